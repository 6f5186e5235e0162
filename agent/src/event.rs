//! What channels give the agent and what it gives back. Channels only translate these to their
//! own idiom (WebSocket frames, Telegram messages and inline keyboards, WhatsApp buttons, a
//! terminal).

use serde::Serialize;
use uuid::Uuid;
use wakil_schema::Caller;
use wakil_tools::Table;

/// One message from an authenticated caller.
#[derive(Debug, Clone)]
pub struct Inbound {
    pub caller: Caller,
    pub text: String,
    /// The conversation to continue, when the channel knows it; otherwise the caller's latest
    /// active one on this channel (or a new one).
    pub conversation: Option<i64>,
    /// Files sent with the message (already stored by the channel).
    pub attachments: Vec<Attachment>,
    /// The résidence the user has selected in the channel (the web chat's selector): the
    /// default when the message names none.
    pub residence: Option<String>,
}

impl Inbound {
    /// A plain text message, with no attachment nor selected résidence.
    pub fn text(caller: Caller, text: impl Into<String>, conversation: Option<i64>) -> Self {
        Inbound {
            caller,
            text: text.into(),
            conversation,
            attachments: Vec::new(),
            residence: None,
        }
    }
}

pub use wakil_tools::Attachment;

/// What the user sees, as it happens.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Outbound {
    /// A piece of the answer's prose (streamed).
    Text { text: String },
    /// A tool is running ("Recherche des impayés…").
    Activity { tool: String, label: String },
    /// A table rendered from a tool output.
    Table { table: Table },
    /// A write waits for the human: show confirm / cancel for `id`.
    Confirmation {
        id: Uuid,
        summary: String,
        tables: Vec<Table>,
    },
    /// A file to open (an attachment received, a document produced).
    File {
        #[serde(flatten)]
        file: Attachment,
    },
    /// Something the user should know about the service (reduced mode, a replaced answer).
    Notice { text: String },
}

/// How one tool call of a turn ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "issue", rename_all = "snake_case")]
pub enum CallOutcome {
    Done { summary: String },
    Pending { id: Uuid, summary: String },
    Refused { message: String },
    Failed { message: String },
}

impl CallOutcome {
    /// What the call gave, in one line: its summary, or why it did not run.
    pub fn text(&self) -> &str {
        match self {
            CallOutcome::Done { summary } | CallOutcome::Pending { summary, .. } => summary,
            CallOutcome::Refused { message } | CallOutcome::Failed { message } => message,
        }
    }

    /// Whether the call produced something (a result, or a plan waiting for confirmation).
    pub fn succeeded(&self) -> bool {
        matches!(self, CallOutcome::Done { .. } | CallOutcome::Pending { .. })
    }
}

/// One tool call of a turn, as the evals and `wakil ask` show it.
#[derive(Debug, Clone, Serialize)]
pub struct CallRecord {
    pub tool: String,
    pub args: serde_json::Value,
    pub outcome: CallOutcome,
    #[serde(skip)]
    pub output: Option<serde_json::Value>,
}

/// Who answered a turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Path {
    /// The deterministic router, without the LLM.
    FastPath,
    /// The LLM tool loop.
    Llm,
    /// The LLM was needed but unreachable: reduced mode.
    Reduced,
    /// A decision on a pending action (button or "oui"/"non").
    Decision,
}

/// The whole of one turn, once it is over.
#[derive(Debug, Clone, Serialize)]
pub struct TurnReport {
    pub conversation: i64,
    pub path: Path,
    pub calls: Vec<CallRecord>,
    /// The text shown (prose, summaries, questions), without the tables.
    pub answer: String,
    pub refused: bool,
    /// The model's prose was replaced because it stated an amount no tool gave.
    pub prose_replaced: bool,
    pub model_calls: u32,
    pub prompt_tokens: u32,
    pub pending: Option<Uuid>,
}
