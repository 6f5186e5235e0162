//! Wakil's evaluation suite: cases as TOML data files, a runner that plays each case through the
//! real agent (fast path alone, a scripted model, or a live Ollama model), and a scorecard.

mod case;
pub mod invoices;
pub mod retrieval;
mod score;

pub use case::{Case, Expect, ModelScript, load_dir};
pub use score::{CaseResult, Ratio, Scorecard, percentile};

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use thiserror::Error;
use wakil_agent::engine::{Agent, AgentConfig};
use wakil_agent::event::{Inbound, Outbound, TurnReport};
use wakil_agent::llm::{LlmClient, LlmConfig, ToolCall};
use wakil_agent::testing::{FakeOllama, Recorded, Turn};
use wakil_schema::{Canal, StoreError};
use wakil_tools::ToolContext;

/// The cases shipped with the product.
pub const CASES_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/cases");

#[derive(Debug, Error)]
pub enum EvalError {
    #[error("cas d'évaluation illisibles : {0}")]
    Cases(String),
    #[error("base de données : {0}")]
    Store(#[from] StoreError),
    #[error("modèle de langue : {0}")]
    Llm(String),
    #[error("agent : {0}")]
    Agent(#[from] wakil_agent::engine::AgentError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The deterministic router alone, no LLM (what runs when the model is down).
    FastPath,
    /// Fast path, then a scripted model (`[case.model]`, or a well-behaved one) through the real
    /// Ollama client and tool loop.
    Scripted,
    /// Fast path, then the configured Ollama model (`OLLAMA_HOST`, `WAKIL_MODEL`).
    Ollama,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::FastPath => "fast-path",
            Mode::Scripted => "scripted",
            Mode::Ollama => "ollama",
        }
    }
}

/// Plays every case through the agent and scores it. The database must hold the demo data of
/// `wakil_schema::seed::seed_demo` for the date of `ctx.clock`.
pub async fn run(ctx: ToolContext, mode: Mode, cases: &[Case]) -> Result<Scorecard, EvalError> {
    let current: Arc<Mutex<Option<Case>>> = Arc::new(Mutex::new(None));
    let (llm, fake) = match mode {
        Mode::FastPath => (None, None),
        Mode::Scripted => {
            let fake = FakeOllama::start(Vec::new()).await;
            let script = current.clone();
            fake.respond_with(move |r| scripted_turn(&script, r));
            let client = LlmClient::new(LlmConfig {
                host: fake.url(),
                model: "scripted".into(),
                temperature: 0.0,
                timeout: Duration::from_secs(10),
            })
            .map_err(|e| EvalError::Llm(e.to_string()))?;
            (Some(client), Some(fake))
        }
        Mode::Ollama => {
            let client =
                LlmClient::new(LlmConfig::from_env()).map_err(|e| EvalError::Llm(e.to_string()))?;
            if !client.available().await {
                return Err(EvalError::Llm(format!(
                    "Ollama ne répond pas à {} : démarrez-le ou utilisez --mode fast-path|scripted",
                    client.config().host
                )));
            }
            (Some(client), None)
        }
    };
    let today = ctx.clock.today();
    let agent = Agent::new(ctx, llm, AgentConfig::default());
    let mut results = Vec::with_capacity(cases.len());
    for case in cases {
        results.push(run_case(&agent, case, &current).await?);
    }
    if let Some(fake) = fake {
        fake.stop().await;
    }
    Ok(Scorecard::new(mode.name(), today, results))
}

async fn run_case(
    agent: &Agent,
    case: &Case,
    current: &Arc<Mutex<Option<Case>>>,
) -> Result<CaseResult, EvalError> {
    let store = &agent.context().store;
    let Some(caller) = store.caller_by_email(&case.user, Canal::Web).await? else {
        return Ok(CaseResult::broken(
            case,
            format!("utilisateur inconnu : {}", case.user),
        ));
    };
    let mut t = store.tenant(caller.syndic_id).await?;
    let conversation = t.new_conversation(&caller).await?;
    t.commit().await?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    set_current(current, None);
    for earlier in &case.history {
        let inbound = Inbound::text(caller.clone(), earlier.clone(), Some(conversation));
        agent.handle(inbound, &tx).await?;
    }
    while rx.try_recv().is_ok() {}
    set_current(current, Some(case.clone()));
    let inbound = Inbound::text(caller, case.message.clone(), Some(conversation));
    let started = Instant::now();
    let report: TurnReport = agent.handle(inbound, &tx).await?;
    let latency = started.elapsed();
    set_current(current, None);
    let mut shown = Vec::new();
    while let Ok(event) = rx.try_recv() {
        shown.push(event);
    }
    Ok(CaseResult::score(
        case,
        &report,
        &shown,
        latency,
        agent.context().clock.today(),
    ))
}

fn set_current(current: &Arc<Mutex<Option<Case>>>, case: Option<Case>) {
    if let Ok(mut c) = current.lock() {
        *c = case;
    }
}

/// The scripted model: the case's `[case.model]`, or a well-behaved model that calls the expected
/// tool with the expected arguments, then answers briefly without figures.
fn scripted_turn(current: &Arc<Mutex<Option<Case>>>, request: &Recorded) -> Turn {
    let case = current.lock().ok().and_then(|c| c.clone());
    let after_tool = request.messages.last().is_some_and(|m| m["role"] == "tool");
    let Some(case) = case else {
        return Turn::Text("D'accord.".into());
    };
    let script = case.model.clone().unwrap_or_default();
    if after_tool {
        return Turn::Text(
            script
                .answer
                .unwrap_or_else(|| "Voici le résultat de votre demande.".into()),
        );
    }
    let calls: Vec<ToolCall> = if case.model.is_some() {
        script
            .calls
            .iter()
            .map(|c| ToolCall {
                name: c.name.clone(),
                arguments: serde_json::Value::Object(c.arguments.clone()),
            })
            .collect()
    } else {
        case.expect
            .tool
            .iter()
            .map(|name| ToolCall {
                name: name.clone(),
                arguments: serde_json::Value::Object(case.expect.args.clone().unwrap_or_default()),
            })
            .collect()
    };
    if calls.is_empty() {
        Turn::Text(script.answer.unwrap_or_else(|| {
            "Je suis Wakil, l'assistant de votre syndic : impayés, soldes, factures, rapport financier.".into()
        }))
    } else {
        Turn::Calls(calls)
    }
}

/// The text a user saw: prose, notices, confirmations and table cells.
pub fn displayed(events: &[Outbound]) -> String {
    let mut out = Vec::new();
    for e in events {
        match e {
            Outbound::Text { text } | Outbound::Notice { text } => out.push(text.clone()),
            Outbound::Confirmation { summary, .. } => out.push(summary.clone()),
            Outbound::Table { table } => out.push(table.to_text()),
            Outbound::File { file } => out.push(file.nom.clone()),
            Outbound::Activity { .. } => {}
        }
    }
    out.join("\n")
}
