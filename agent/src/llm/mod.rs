//! The Ollama client: one streamed `/api/chat` turn with tools, and recovery of the tool calls
//! small local models write as text instead of native `tool_calls`.

mod textcalls;
mod wire;

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use textcalls::{Extracted, arguments_value, extract, preview, tool_call_error_raw};

const DEFAULT_HOST: &str = "http://127.0.0.1:11434";
const DEFAULT_PORT: u16 = 11434;
const DEFAULT_MODEL: &str = "mistral";
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);
/// Bound of the `available` probe.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
/// Bound of establishing the TCP connection (within the request's own timeout).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Where the model is and how it is asked.
#[derive(Clone, Debug, PartialEq)]
pub struct LlmConfig {
    /// Base URL, `http://host:port`.
    pub host: String,
    pub model: String,
    pub temperature: f32,
    /// Bound of a whole `chat` call, streaming included.
    pub timeout: Duration,
}

impl LlmConfig {
    /// `OLLAMA_HOST` (default `http://127.0.0.1:11434`; `host:port` or `host` without scheme
    /// accepted, as by ollama), `WAKIL_MODEL` (default `mistral`), `WAKIL_LLM_TEMPERATURE`
    /// (default 0), `WAKIL_LLM_TIMEOUT_SECS` (default 120). An unreadable value falls back to
    /// its default with a warning.
    pub fn from_env() -> Self {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Self {
        let set = |name: &str| var(name).filter(|value| !value.trim().is_empty());
        fn parsed<T: std::str::FromStr>(name: &str, value: Option<String>, default: T) -> T {
            match value {
                None => default,
                Some(text) => text.trim().parse().unwrap_or_else(|_| {
                    tracing::warn!(variable = name, value = %text, "valeur illisible, défaut utilisé");
                    default
                }),
            }
        }
        let temperature: f32 = parsed("WAKIL_LLM_TEMPERATURE", set("WAKIL_LLM_TEMPERATURE"), 0.0);
        let timeout_secs: u64 = parsed(
            "WAKIL_LLM_TIMEOUT_SECS",
            set("WAKIL_LLM_TIMEOUT_SECS"),
            DEFAULT_TIMEOUT.as_secs(),
        );
        Self {
            host: set("OLLAMA_HOST")
                .map_or_else(|| DEFAULT_HOST.to_owned(), |h| normalize_host(&h)),
            model: set("WAKIL_MODEL")
                .map_or_else(|| DEFAULT_MODEL.to_owned(), |m| m.trim().to_owned()),
            temperature: if temperature.is_finite() {
                temperature
            } else {
                0.0
            },
            timeout: if timeout_secs == 0 {
                DEFAULT_TIMEOUT
            } else {
                Duration::from_secs(timeout_secs)
            },
        }
    }
}

/// `OLLAMA_HOST` as ollama reads it: no scheme means `http://` and, without a port, 11434.
fn normalize_host(raw: &str) -> String {
    let raw = raw.trim().trim_end_matches('/');
    if raw.contains("://") {
        return raw.to_owned();
    }
    let has_port = match raw.rfind(']') {
        Some(bracket) => raw[bracket..].contains(':'),
        None => raw.contains(':'),
    };
    if has_port {
        format!("http://{raw}")
    } else {
        format!("http://{raw}:{DEFAULT_PORT}")
    }
}

/// Client of one Ollama server. Cheap to clone.
#[derive(Clone, Debug)]
pub struct LlmClient {
    config: LlmConfig,
    http: reqwest::Client,
    /// `config.host` without trailing `/`.
    base: String,
}

impl LlmClient {
    /// Checks the host (plain `http://` only: the client has no TLS).
    pub fn new(config: LlmConfig) -> Result<Self, LlmError> {
        let base = config.host.trim().trim_end_matches('/').to_owned();
        let url = reqwest::Url::parse(&base)
            .map_err(|e| LlmError::Config(format!("adresse Ollama invalide « {base} » : {e}")))?;
        match url.scheme() {
            "http" => {}
            "https" => {
                return Err(LlmError::Config(format!(
                    "« {base} » : https n'est pas pris en charge (client sans TLS) ; \
                     utilisez http:// vers un Ollama local"
                )));
            }
            other => {
                return Err(LlmError::Config(format!(
                    "« {base} » : schéma « {other} » non pris en charge, http:// attendu"
                )));
            }
        }
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT.min(config.timeout))
            .no_proxy()
            .build()
            .map_err(|e| LlmError::Config(format!("client HTTP : {e}")))?;
        Ok(Self { config, http, base })
    }

    pub fn config(&self) -> &LlmConfig {
        &self.config
    }

    /// `GET /api/version` within about 2 s: is the server there?
    pub async fn available(&self) -> bool {
        self.http
            .get(format!("{}/api/version", self.base))
            .timeout(PROBE_TIMEOUT)
            .send()
            .await
            .is_ok_and(|response| response.status().is_success())
    }

    /// One model turn: `POST /api/chat` streamed, with the tools and `options.temperature`.
    /// Content deltas reach `on_text` as they arrive, except text that may be a tool call
    /// (from the first `{`, `[` or `` ` ``): it is held back and passed at the end only if it
    /// turns out to be prose. The whole call is bounded by `config.timeout`.
    pub async fn chat(
        &self,
        messages: &[Message],
        tools: &[ToolDef],
        on_text: &mut (dyn FnMut(&str) + Send),
    ) -> Result<Reply, LlmError> {
        tokio::time::timeout(
            self.config.timeout,
            self.chat_unbounded(messages, tools, on_text),
        )
        .await
        .unwrap_or(Err(LlmError::Timeout))
    }

    async fn chat_unbounded(
        &self,
        messages: &[Message],
        tools: &[ToolDef],
        on_text: &mut (dyn FnMut(&str) + Send),
    ) -> Result<Reply, LlmError> {
        let request =
            wire::ChatRequest::new(&self.config.model, self.config.temperature, messages, tools);
        let mut response = self
            .http
            .post(format!("{}/api/chat", self.base))
            .json(&request)
            .send()
            .await
            .map_err(|e| self.transport_error(&e))?;
        let known: Vec<&str> = tools.iter().map(|tool| tool.name.as_str()).collect();
        let mut turn = TurnState::new(&known);
        let status = response.status();
        if !status.is_success() {
            let body = response
                .text()
                .await
                .map_err(|e| self.transport_error(&e))?;
            let message = wire::error_message(&body).unwrap_or_else(|| body.trim().to_owned());
            if let Some(raw) = tool_call_error_raw(&message) {
                turn.unparsed_call(raw);
                return turn.finish(on_text);
            }
            return Err(LlmError::Http {
                status: status.as_u16(),
                message,
            });
        }
        let mut lines = LineBuffer::default();
        while !turn.done {
            let Some(bytes) = response
                .chunk()
                .await
                .map_err(|e| self.transport_error(&e))?
            else {
                break;
            };
            for line in lines.push(&bytes) {
                turn.line(&line, on_text)?;
            }
        }
        if !turn.done
            && let Some(line) = lines.rest()
        {
            turn.line(&line, on_text)?;
        }
        turn.finish(on_text)
    }

    fn transport_error(&self, error: &reqwest::Error) -> LlmError {
        if error.is_connect() {
            LlmError::Unreachable(format!("{} : {}", self.base, root_cause(error)))
        } else if error.is_timeout() {
            LlmError::Timeout
        } else {
            LlmError::Protocol(format!("échange HTTP interrompu : {}", root_cause(error)))
        }
    }
}

/// The innermost cause, e.g. "Connection refused (os error 111)".
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}

/// Splits a byte stream into lines (`\n`), whatever the chunk boundaries.
#[derive(Default)]
struct LineBuffer {
    pending: Vec<u8>,
}

impl LineBuffer {
    /// The complete, non-blank lines now available.
    fn push(&mut self, bytes: &[u8]) -> Vec<Vec<u8>> {
        self.pending.extend_from_slice(bytes);
        let mut lines = Vec::new();
        while let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=end).collect();
            if !line.trim_ascii().is_empty() {
                lines.push(line.trim_ascii().to_vec());
            }
        }
        lines
    }

    /// The last line when the stream did not end with `\n`.
    fn rest(&mut self) -> Option<Vec<u8>> {
        let line = std::mem::take(&mut self.pending);
        (!line.trim_ascii().is_empty()).then(|| line.trim_ascii().to_vec())
    }
}

/// What a turn has produced so far.
struct TurnState<'t> {
    known: &'t [&'t str],
    content: String,
    /// Byte of `content` from which text is held back (may be a tool call).
    held_from: Option<usize>,
    native: Vec<ParsedCall>,
    /// Raw output from Ollama's "error parsing tool call".
    unparsed: Option<String>,
    done: bool,
    prompt_tokens: u32,
    output_tokens: u32,
}

impl<'t> TurnState<'t> {
    fn new(known: &'t [&'t str]) -> Self {
        Self {
            known,
            content: String::new(),
            held_from: None,
            native: Vec::new(),
            unparsed: None,
            done: false,
            prompt_tokens: 0,
            output_tokens: 0,
        }
    }

    fn line(
        &mut self,
        line: &[u8],
        on_text: &mut (dyn FnMut(&str) + Send),
    ) -> Result<(), LlmError> {
        let chunk: wire::ChatChunk = serde_json::from_slice(line).map_err(|e| {
            LlmError::Protocol(format!(
                "ligne illisible ({e}) : {}",
                preview(&String::from_utf8_lossy(line))
            ))
        })?;
        if let Some(error) = chunk.error {
            return match tool_call_error_raw(&error) {
                Some(raw) => {
                    self.unparsed_call(raw);
                    Ok(())
                }
                None => Err(LlmError::Server(error)),
            };
        }
        if let Some(message) = chunk.message {
            if let Some(delta) = message.content {
                self.text(&delta, on_text);
            }
            for call in message.tool_calls.unwrap_or_default() {
                let (arguments, repaired) = arguments_value(call.function.arguments);
                self.native.push(ParsedCall {
                    name: call.function.name,
                    arguments,
                    repaired,
                });
            }
        }
        if chunk.done {
            self.done = true;
            self.prompt_tokens = chunk.prompt_eval_count.unwrap_or(0);
            self.output_tokens = chunk.eval_count.unwrap_or(0);
        }
        Ok(())
    }

    fn text(&mut self, delta: &str, on_text: &mut (dyn FnMut(&str) + Send)) {
        if self.held_from.is_none() {
            match delta.find(['{', '[', '`']) {
                Some(at) => {
                    self.held_from = Some(self.content.len() + at);
                    if at > 0 {
                        on_text(&delta[..at]);
                    }
                }
                None if !delta.is_empty() => on_text(delta),
                None => {}
            }
        }
        self.content.push_str(delta);
    }

    /// Ollama could not parse the model's tool call; its raw text ends the turn.
    fn unparsed_call(&mut self, raw: &str) {
        self.held_from.get_or_insert(self.content.len());
        self.content.push_str(raw);
        self.unparsed = Some(raw.to_owned());
        self.done = true;
    }

    fn finish(self, on_text: &mut (dyn FnMut(&str) + Send)) -> Result<Reply, LlmError> {
        if !self.done {
            return Err(LlmError::Protocol(
                "le flux s'est terminé sans la ligne finale (done)".to_owned(),
            ));
        }
        let forwarded = self.held_from.unwrap_or(self.content.len());
        let reply = |content: String, calls: Vec<ParsedCall>, calls_from_text: bool| Reply {
            content,
            calls,
            calls_from_text,
            prompt_tokens: self.prompt_tokens,
            output_tokens: self.output_tokens,
        };
        if !self.native.is_empty() && self.unparsed.is_none() {
            flush(&self.content[forwarded..], on_text);
            return Ok(reply(self.content.clone(), self.native.clone(), false));
        }
        let found: Extracted = extract(&self.content, self.known);
        if found.calls.is_empty() {
            if let Some(raw) = self.unparsed {
                return Err(LlmError::ToolCallParse(raw));
            }
            flush(&self.content[forwarded..], on_text);
            return Ok(reply(self.content.clone(), Vec::new(), false));
        }
        flush(&found.prose_from(&self.content, forwarded), on_text);
        let prose = found.prose_from(&self.content, 0).trim().to_owned();
        let mut calls = self.native.clone();
        calls.extend(found.calls);
        Ok(reply(prose, calls, true))
    }
}

fn flush(held: &str, on_text: &mut (dyn FnMut(&str) + Send)) {
    if !held.trim().is_empty() {
        on_text(held);
    }
}

/// Who speaks in a message; serialized lowercase as Ollama expects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageRole {
    System,
    User,
    Assistant,
    Tool,
}

/// One message of the conversation sent to the model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub role: MessageRole,
    pub content: String,
    /// The calls an assistant message made.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    /// The tool whose result a `Tool` message carries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_name: Option<String>,
}

impl Message {
    fn new(role: MessageRole, content: impl Into<String>) -> Self {
        Self {
            role,
            content: content.into(),
            tool_calls: Vec::new(),
            tool_name: None,
        }
    }

    pub fn system(content: impl Into<String>) -> Self {
        Self::new(MessageRole::System, content)
    }

    pub fn user(content: impl Into<String>) -> Self {
        Self::new(MessageRole::User, content)
    }

    pub fn assistant(content: impl Into<String>, calls: Vec<ToolCall>) -> Self {
        Self {
            tool_calls: calls,
            ..Self::new(MessageRole::Assistant, content)
        }
    }

    /// The result of tool `name`.
    pub fn tool(name: impl Into<String>, content: impl Into<String>) -> Self {
        Self {
            tool_name: Some(name.into()),
            ..Self::new(MessageRole::Tool, content)
        }
    }
}

/// A tool offered to the model.
#[derive(Clone, Debug)]
pub struct ToolDef {
    pub name: String,
    pub description: String,
    /// A JSON Schema object.
    pub parameters: Value,
}

/// A tool call as kept in the conversation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    pub name: String,
    pub arguments: Value,
}

/// What the model answered in one turn.
#[derive(Clone, Debug)]
pub struct Reply {
    /// The prose, without any tool call written as text.
    pub content: String,
    /// Native calls, or calls recovered from the text.
    pub calls: Vec<ParsedCall>,
    /// The calls were recovered from the content or from Ollama's "error parsing tool call".
    pub calls_from_text: bool,
    /// `prompt_eval_count` of the final chunk (0 when absent).
    pub prompt_tokens: u32,
    /// `eval_count` of the final chunk (0 when absent).
    pub output_tokens: u32,
}

/// A call the model asked for, as read.
#[derive(Clone, Debug, PartialEq)]
pub struct ParsedCall {
    pub name: String,
    /// The arguments object, or why it could not be read ("JSON invalide : …"), for the model.
    pub arguments: Result<Value, String>,
    /// The JSON had to be repaired (or the call was recovered from text that was).
    pub repaired: bool,
}

/// Why a model turn failed.
#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    /// Nothing answers at the host (connection refused, unknown host, connect timeout).
    #[error("Ollama injoignable : {0}")]
    Unreachable(String),
    /// The turn took longer than `config.timeout`.
    #[error("Ollama n'a pas répondu dans le délai imparti")]
    Timeout,
    /// Ollama could not parse the model's tool call, and neither could we (the raw text).
    #[error("appel d'outil illisible produit par le modèle : {0}")]
    ToolCallParse(String),
    /// A non-success HTTP status; `message` is Ollama's `error` when there is one.
    #[error("Ollama a répondu {status} : {message}")]
    Http { status: u16, message: String },
    /// A reply that is not Ollama's protocol (unreadable line, stream cut short).
    #[error("réponse d'Ollama inattendue : {0}")]
    Protocol(String),
    /// Ollama reported an error inside the stream (`{"error":…}` line).
    #[error("erreur signalée par Ollama : {0}")]
    Server(String),
    /// The configuration cannot be used (e.g. an https host).
    #[error("configuration LLM invalide : {0}")]
    Config(String),
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn config_from_variables() {
        let config = |vars: &[(&str, &str)]| {
            let vars: HashMap<String, String> = vars
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect();
            LlmConfig::from_lookup(|name| vars.get(name).cloned())
        };
        assert_eq!(
            config(&[]),
            LlmConfig {
                host: "http://127.0.0.1:11434".to_owned(),
                model: "mistral".to_owned(),
                temperature: 0.0,
                timeout: Duration::from_secs(120),
            }
        );
        let set = config(&[
            ("OLLAMA_HOST", "gpu-box:8080"),
            ("WAKIL_MODEL", "qwen2.5:7b"),
            ("WAKIL_LLM_TEMPERATURE", "0.2"),
            ("WAKIL_LLM_TIMEOUT_SECS", "30"),
        ]);
        assert_eq!(set.host, "http://gpu-box:8080");
        assert_eq!(set.model, "qwen2.5:7b");
        assert!((set.temperature - 0.2).abs() < f32::EPSILON);
        assert_eq!(set.timeout, Duration::from_secs(30));
        let unreadable = config(&[
            ("WAKIL_LLM_TEMPERATURE", "chaud"),
            ("WAKIL_LLM_TIMEOUT_SECS", "-3"),
            ("OLLAMA_HOST", "  "),
        ]);
        assert_eq!(unreadable, config(&[]));
    }

    #[test]
    fn host_as_ollama_reads_it() {
        for (raw, host) in [
            ("127.0.0.1:11434", "http://127.0.0.1:11434"),
            ("localhost", "http://localhost:11434"),
            ("0.0.0.0", "http://0.0.0.0:11434"),
            ("[::1]:9000", "http://[::1]:9000"),
            ("[::1]", "http://[::1]:11434"),
            ("http://ollama:11434/", "http://ollama:11434"),
            ("https://ollama.example", "https://ollama.example"),
        ] {
            assert_eq!(normalize_host(raw), host, "{raw}");
        }
    }

    #[test]
    fn https_and_odd_hosts_are_refused() {
        let with_host = |host: &str| LlmConfig {
            host: host.to_owned(),
            ..LlmConfig::from_lookup(|_| None)
        };
        for host in ["https://ollama.example", "ftp://x", "pas une url"] {
            let error = LlmClient::new(with_host(host)).expect_err(host);
            assert!(matches!(error, LlmError::Config(_)), "{host}: {error}");
        }
        let https = LlmClient::new(with_host("https://ollama.example")).expect_err("https");
        assert!(https.to_string().contains("https"), "{https}");
        assert!(LlmClient::new(with_host("http://127.0.0.1:11434/")).is_ok());
    }

    #[test]
    fn lines_survive_any_chunking() {
        let stream = "{\"a\":\"é\"}\n\n{\"b\":2}\r\n{\"c\":3}".as_bytes();
        for size in 1..stream.len() {
            let mut buffer = LineBuffer::default();
            let mut lines: Vec<Vec<u8>> = stream
                .chunks(size)
                .flat_map(|chunk| buffer.push(chunk))
                .collect();
            lines.extend(buffer.rest());
            let lines: Vec<String> = lines
                .into_iter()
                .map(|l| String::from_utf8(l).expect("utf-8"))
                .collect();
            assert_eq!(lines, ["{\"a\":\"é\"}", "{\"b\":2}", "{\"c\":3}"], "{size}");
        }
    }

    /// Runs deltas through a turn; returns what reached `on_text` and the reply.
    fn run(deltas: &[&str], known: &[&str]) -> (Vec<String>, Reply) {
        let mut seen = Vec::new();
        let mut on_text = |text: &str| seen.push(text.to_owned());
        let mut turn = TurnState::new(known);
        for delta in deltas {
            let line = serde_json::json!({"message": {"role": "assistant", "content": delta}, "done": false});
            turn.line(line.to_string().as_bytes(), &mut on_text)
                .expect("line");
        }
        turn.line(
            br#"{"done":true,"prompt_eval_count":7,"eval_count":3}"#,
            &mut on_text,
        )
        .expect("last line");
        let reply = turn.finish(&mut on_text).expect("reply");
        (seen, reply)
    }

    #[test]
    fn possible_calls_are_held_back_from_on_text() {
        let (seen, reply) = run(&["Bonjour ", "à tous."], &[]);
        assert_eq!(seen, ["Bonjour ", "à tous."]);
        assert_eq!(reply.content, "Bonjour à tous.");
        assert_eq!((reply.prompt_tokens, reply.output_tokens), (7, 3));

        let (seen, reply) = run(
            &[
                "Je vérifie. ",
                "[TOOL_CALLS]",
                "[{\"name\": \"lister_residences\"}]",
            ],
            &["lister_residences"],
        );
        assert_eq!(seen, ["Je vérifie. "]);
        assert_eq!(reply.content, "Je vérifie.");
        assert!(reply.calls_from_text);

        // Held back, then released because it was prose after all.
        let (seen, reply) = run(&["Voir ", "[1] et ", "la suite."], &[]);
        assert_eq!(seen, ["Voir ", "[1] et la suite."]);
        assert_eq!(reply.content, "Voir [1] et la suite.");
        assert!(reply.calls.is_empty());

        // Prose after a call is released at the end.
        let (seen, reply) = run(
            &["{\"name\": \"lister_residences\"}", " Voilà."],
            &["lister_residences"],
        );
        assert_eq!(seen, [" Voilà."]);
        assert_eq!(reply.content, "Voilà.");
    }

    #[test]
    fn stream_without_done_is_a_protocol_error() {
        let mut on_text = |_: &str| {};
        let mut turn = TurnState::new(&[]);
        turn.line(
            br#"{"message":{"role":"assistant","content":"Bon"},"done":false}"#,
            &mut on_text,
        )
        .expect("line");
        assert!(matches!(
            turn.finish(&mut on_text),
            Err(LlmError::Protocol(_))
        ));
    }
}
