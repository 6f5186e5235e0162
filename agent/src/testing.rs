//! A scripted model speaking Ollama's HTTP API on loopback, so tests run the production client
//! unchanged. Each `/api/chat` request takes the next [`Turn`] of the script, else asks the
//! responder, else answers 500 `{"error":"fake ollama: script exhausted"}`.
//!
//! Token counts are estimates: a quarter (rounded up) of the characters of the serialized
//! `messages` and `tools` arrays for the prompt, of the content and serialized tool calls for
//! the output.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use tokio::task::JoinHandle;

use crate::llm::ToolCall;
pub use wakil_tools::documents::embed::{FAKE_EMBEDDING_DIM, fake_embedding};

/// What the scripted model does for one `/api/chat` request.
#[derive(Clone, Debug)]
pub enum Turn {
    /// Prose, streamed word by word.
    Text(String),
    /// Native tool calls.
    Calls(Vec<ToolCall>),
    /// A native call whose arguments are a raw (maybe broken) JSON string.
    RawArguments { name: String, arguments: String },
    /// An HTTP error with this body, e.g. Ollama's "error parsing tool call".
    Error { status: u16, body: String },
    /// Waits, then answers `Text("")`.
    Hang(Duration),
}

/// One `/api/chat` request as received.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub model: String,
    pub messages: Vec<Value>,
    pub tools: Vec<Value>,
    /// `stream` (Ollama's default when absent: true).
    pub stream: bool,
    /// `options`, `null` when absent.
    pub options: Value,
    /// The estimate sent back as `prompt_eval_count`.
    pub prompt_tokens: u32,
}

type Responder = Arc<dyn Fn(&Recorded) -> Turn + Send + Sync>;

#[derive(Default)]
struct Shared {
    script: Mutex<VecDeque<Turn>>,
    responder: Mutex<Option<Responder>>,
    requests: Mutex<Vec<Recorded>>,
}

/// A lock that a panicking test thread cannot make unusable.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The fake server; stopped by [`FakeOllama::stop`] or when dropped.
pub struct FakeOllama {
    url: String,
    shared: Arc<Shared>,
    stopping: Arc<AtomicBool>,
    server: JoinHandle<()>,
}

impl FakeOllama {
    /// Serves `/api/chat`, `/api/version`, `/api/tags` and `/api/embed` (`fake_embedding`) on
    /// `127.0.0.1`, on a free port.
    /// Panics if no port can be bound.
    pub async fn start(script: Vec<Turn>) -> FakeOllama {
        let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
            Ok(listener) => listener,
            Err(error) => panic!("fake ollama: bind 127.0.0.1:0: {error}"),
        };
        let url = match listener.local_addr() {
            Ok(address) => format!("http://{address}"),
            Err(error) => panic!("fake ollama: local address: {error}"),
        };
        let shared = Arc::new(Shared {
            script: Mutex::new(script.into()),
            ..Shared::default()
        });
        let app = Router::new()
            .route("/api/chat", post(chat))
            .route(
                "/api/version",
                get(|| async { axum::Json(json!({"version": "0.0.0-fake"})) }),
            )
            .route("/api/tags", get(tags))
            .route("/api/embed", post(embed))
            .with_state(Arc::clone(&shared));
        let stopping = Arc::new(AtomicBool::new(false));
        let stop_signal = {
            let stopping = Arc::clone(&stopping);
            async move {
                while !stopping.load(Ordering::SeqCst) {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        };
        let server = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app)
                .with_graceful_shutdown(stop_signal)
                .await
            {
                tracing::warn!(%error, "fake ollama stopped");
            }
        });
        FakeOllama {
            url,
            shared,
            stopping,
            server,
        }
    }

    /// A URL where nothing listens (a port just bound and released), for "LLM down" tests.
    pub async fn unreachable_url() -> String {
        let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
            Ok(listener) => listener,
            Err(error) => panic!("fake ollama: bind 127.0.0.1:0: {error}"),
        };
        match listener.local_addr() {
            Ok(address) => format!("http://{address}"),
            Err(error) => panic!("fake ollama: local address: {error}"),
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// Appends a turn to the script.
    pub fn push(&self, turn: Turn) {
        lock(&self.shared.script).push_back(turn);
    }

    /// Decides the turn when the script is empty.
    pub fn respond_with(&self, f: impl Fn(&Recorded) -> Turn + Send + Sync + 'static) {
        *lock(&self.shared.responder) = Some(Arc::new(f));
    }

    /// Every `/api/chat` request received, in order.
    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.shared.requests).clone()
    }

    /// Stops listening and closes idle connections (waits at most 2 s for busy ones).
    pub async fn stop(mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        if tokio::time::timeout(Duration::from_secs(2), &mut self.server)
            .await
            .is_err()
        {
            self.server.abort();
        }
    }
}

impl Drop for FakeOllama {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        self.server.abort();
    }
}

/// `/api/embed`: `{"model", "input": string | [string]}` → `{"model", "embeddings": [[…]]}`.
async fn embed(body: Bytes) -> Response {
    let request: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return error_response(StatusCode::BAD_REQUEST, &e.to_string()),
    };
    let inputs: Vec<String> = match &request["input"] {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => return error_response(StatusCode::BAD_REQUEST, "input is required"),
    };
    axum::Json(json!({
        "model": request["model"],
        "embeddings": inputs.iter().map(|t| fake_embedding(t)).collect::<Vec<_>>(),
    }))
    .into_response()
}

async fn tags() -> axum::Json<Value> {
    axum::Json(json!({"models": [{
        "name": "mistral:latest",
        "model": "mistral:latest",
        "details": {"family": "llama", "parameter_size": "7.2B"},
    }]}))
}

async fn chat(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let request: Value = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(error) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                &format!("invalid request: {error}"),
            );
        }
    };
    let recorded = record(&request);
    lock(&shared.requests).push(recorded.clone());
    let scripted = lock(&shared.script).pop_front();
    let turn = match scripted {
        Some(turn) => turn,
        None => {
            let responder = lock(&shared.responder).clone();
            match responder {
                Some(responder) => responder(&recorded),
                None => {
                    return error_response(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "fake ollama: script exhausted",
                    );
                }
            }
        }
    };
    let reply = match turn {
        Turn::Text(text) => Reply::text(text),
        Turn::Calls(calls) => Reply::calls(
            calls
                .into_iter()
                .map(|call| (call.name, call.arguments))
                .collect(),
        ),
        Turn::RawArguments { name, arguments } => {
            Reply::calls(vec![(name, Value::String(arguments))])
        }
        Turn::Error { status, body } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return (status, [(header::CONTENT_TYPE, "application/json")], body).into_response();
        }
        Turn::Hang(duration) => {
            tokio::time::sleep(duration).await;
            Reply::text(String::new())
        }
    };
    reply.into_response(&recorded)
}

fn record(request: &Value) -> Recorded {
    let array = |key: &str| {
        request
            .get(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let messages = array("messages");
    let tools = array("tools");
    let prompt_chars = Value::Array(messages.clone()).to_string().chars().count()
        + Value::Array(tools.clone()).to_string().chars().count();
    Recorded {
        model: request
            .get("model")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        messages,
        tools,
        stream: request
            .get("stream")
            .and_then(Value::as_bool)
            .unwrap_or(true),
        options: request.get("options").cloned().unwrap_or(Value::Null),
        prompt_tokens: estimate_tokens(prompt_chars),
    }
}

/// A quarter of `chars`, rounded up.
fn estimate_tokens(chars: usize) -> u32 {
    u32::try_from(chars.div_ceil(4)).unwrap_or(u32::MAX)
}

fn error_response(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({ "error": message }))).into_response()
}

/// The model's side of a turn, before it is put on the wire.
struct Reply {
    text: String,
    /// `(name, arguments)`; arguments are an object, or a string for `RawArguments`.
    calls: Vec<(String, Value)>,
}

impl Reply {
    fn text(text: String) -> Self {
        Self {
            text,
            calls: Vec::new(),
        }
    }

    fn calls(calls: Vec<(String, Value)>) -> Self {
        Self {
            text: String::new(),
            calls,
        }
    }

    fn wire_calls(&self) -> Value {
        self.calls
            .iter()
            .enumerate()
            .map(|(index, (name, arguments))| {
                json!({"function": {"index": index, "name": name, "arguments": arguments}})
            })
            .collect()
    }

    fn into_response(self, recorded: &Recorded) -> Response {
        let model = recorded.model.as_str();
        let created_at = "2025-01-01T00:00:00Z";
        let tool_calls = self.wire_calls();
        let output_tokens =
            estimate_tokens(self.text.chars().count() + tool_calls.to_string().chars().count());
        let line = |content: &str, with_calls: bool, done: bool| {
            let mut message = json!({"role": "assistant", "content": content});
            if with_calls && !self.calls.is_empty() {
                message["tool_calls"] = tool_calls.clone();
            }
            let mut line = json!({
                "model": model,
                "created_at": created_at,
                "message": message,
                "done": done,
            });
            if done {
                line["done_reason"] = json!("stop");
                line["prompt_eval_count"] = json!(recorded.prompt_tokens);
                line["eval_count"] = json!(output_tokens);
            }
            line.to_string() + "\n"
        };
        if !recorded.stream {
            return (
                [(header::CONTENT_TYPE, "application/json")],
                line(&self.text, true, true),
            )
                .into_response();
        }
        // As Ollama streams: content deltas, the calls in a chunk of their own, an empty last one.
        let mut body: String = self
            .text
            .split_inclusive(char::is_whitespace)
            .map(|word| line(word, false, false))
            .collect();
        if !self.calls.is_empty() {
            body.push_str(&line("", true, false));
        }
        body.push_str(&line("", false, true));
        ([(header::CONTENT_TYPE, "application/x-ndjson")], body).into_response()
    }
}
