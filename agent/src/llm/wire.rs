//! Ollama's `/api/chat` JSON, as sent and received.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Message, MessageRole, ToolCall, ToolDef};

#[derive(Serialize)]
pub(super) struct ChatRequest<'a> {
    model: &'a str,
    messages: Vec<WireMessage<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tools: Vec<WireTool<'a>>,
    stream: bool,
    options: WireOptions,
}

impl<'a> ChatRequest<'a> {
    pub fn new(
        model: &'a str,
        temperature: f32,
        messages: &'a [Message],
        tools: &'a [ToolDef],
    ) -> Self {
        Self {
            model,
            messages: messages.iter().map(WireMessage::from).collect(),
            tools: tools.iter().map(WireTool::from).collect(),
            stream: true,
            options: WireOptions { temperature },
        }
    }
}

#[derive(Serialize)]
struct WireOptions {
    temperature: f32,
}

#[derive(Serialize)]
struct WireMessage<'a> {
    role: &'a MessageRole,
    content: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_calls: Vec<WireCall<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_name: Option<&'a str>,
}

impl<'a> From<&'a Message> for WireMessage<'a> {
    fn from(message: &'a Message) -> Self {
        Self {
            role: &message.role,
            content: &message.content,
            tool_calls: message.tool_calls.iter().map(WireCall::from).collect(),
            tool_name: message.tool_name.as_deref(),
        }
    }
}

#[derive(Serialize)]
struct WireCall<'a> {
    function: WireFunction<'a>,
}

#[derive(Serialize)]
struct WireFunction<'a> {
    name: &'a str,
    arguments: &'a Value,
}

impl<'a> From<&'a ToolCall> for WireCall<'a> {
    fn from(call: &'a ToolCall) -> Self {
        Self {
            function: WireFunction {
                name: &call.name,
                arguments: &call.arguments,
            },
        }
    }
}

#[derive(Serialize)]
struct WireTool<'a> {
    r#type: &'static str,
    function: WireToolFunction<'a>,
}

#[derive(Serialize)]
struct WireToolFunction<'a> {
    name: &'a str,
    description: &'a str,
    parameters: &'a Value,
}

impl<'a> From<&'a ToolDef> for WireTool<'a> {
    fn from(tool: &'a ToolDef) -> Self {
        Self {
            r#type: "function",
            function: WireToolFunction {
                name: &tool.name,
                description: &tool.description,
                parameters: &tool.parameters,
            },
        }
    }
}

/// One NDJSON line of the streamed reply (or the whole reply when not streamed).
#[derive(Deserialize)]
pub(super) struct ChatChunk {
    #[serde(default)]
    pub message: Option<ChunkMessage>,
    #[serde(default)]
    pub done: bool,
    #[serde(default)]
    pub prompt_eval_count: Option<u32>,
    #[serde(default)]
    pub eval_count: Option<u32>,
    #[serde(default)]
    pub error: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct ChunkMessage {
    #[serde(default)]
    pub content: Option<String>,
    #[serde(default)]
    pub tool_calls: Option<Vec<ChunkCall>>,
}

#[derive(Deserialize)]
pub(super) struct ChunkCall {
    pub function: ChunkFunction,
}

#[derive(Deserialize)]
pub(super) struct ChunkFunction {
    pub name: String,
    /// An object from Ollama; tolerated as a JSON string too.
    #[serde(default)]
    pub arguments: Value,
}

/// The `error` of an error body `{"error":"…"}`.
pub(super) fn error_message(body: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct ErrorBody {
        error: String,
    }
    serde_json::from_str::<ErrorBody>(body)
        .ok()
        .map(|b| b.error)
}
