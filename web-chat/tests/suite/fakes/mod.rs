//! Fake chat providers on 127.0.0.1 speaking the real HTTP protocols, for the bot tests:
//! the Telegram Bot API ([`FakeTelegram`], what teloxide talks to) and the WhatsApp Cloud API
//! ([`FakeGraph`], Graph API style). Each records what the bot sent and lets the test play the
//! user (push updates, add media, build signed webhook payloads).
//!
//! A test file includes them with `mod fakes;`.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod graph;
pub mod telegram;

#[allow(unused_imports)]
pub use graph::{
    FakeGraph, GraphSent, sign, webhook_button_reply, webhook_document, webhook_image,
    webhook_status, webhook_text, webhook_verify_query,
};
#[allow(unused_imports)]
pub use telegram::{BOT_ID, BOT_USERNAME, FakeTelegram, Sent};

use axum::extract::DefaultBodyLimit;
use serde_json::{Map, Value};
use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Notify;

/// A file the bot uploaded (a multipart part with a filename).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentFile {
    /// The part's `filename`.
    pub name: String,
    pub bytes: Vec<u8>,
    /// The part's `Content-Type`, when it had one.
    pub mime: Option<String>,
}

/// A listener on 127.0.0.1 (a free port), and its address `ip:port`.
pub(crate) async fn bind() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    (listener, addr)
}

/// Serves `app` on `listener` in the background.
pub(crate) fn serve(listener: TcpListener, app: axum::Router) {
    // Real uploads go up to 50 MB (Telegram) and 100 MB (WhatsApp documents).
    let app = app.layer(DefaultBodyLimit::max(128 * 1024 * 1024));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
}

/// A record of what the bot sent, with waiting for an entry that matches.
pub(crate) struct Log<T> {
    entries: Mutex<Vec<T>>,
    added: Notify,
}

impl<T: Clone + std::fmt::Debug> Log<T> {
    pub(crate) fn new() -> Self {
        Log {
            entries: Mutex::new(Vec::new()),
            added: Notify::new(),
        }
    }

    pub(crate) fn push(&self, entry: T) {
        self.entries.lock().unwrap().push(entry);
        self.added.notify_waiters();
    }

    pub(crate) fn all(&self) -> Vec<T> {
        self.entries.lock().unwrap().clone()
    }

    /// The first entry matching `what`, waiting up to `timeout` for it; panics with all the
    /// entries on timeout.
    pub(crate) async fn wait_for(&self, what: impl Fn(&T) -> bool, timeout: Duration) -> T {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let added = self.added.notified();
            tokio::pin!(added);
            added.as_mut().enable();
            if let Some(found) = self.entries.lock().unwrap().iter().find(|e| what(e)) {
                return found.clone();
            }
            if tokio::time::timeout_at(deadline, added).await.is_err() {
                let entries = self.all();
                if let Some(found) = entries.iter().find(|e| what(e)) {
                    return found.clone();
                }
                panic!(
                    "nothing matching was sent within {timeout:?}; sent ({}):\n{entries:#?}",
                    entries.len()
                );
            }
        }
    }
}

/// Waits for `fut` at most `timeout`, `None` past it.
pub(crate) async fn within<T>(timeout: Duration, fut: impl Future<Output = T>) -> Option<T> {
    tokio::time::timeout(timeout, fut).await.ok()
}

/// One part of a `multipart/form-data` body.
#[derive(Debug, Clone)]
pub(crate) struct Part {
    pub name: String,
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub data: Vec<u8>,
}

impl Part {
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.data).into_owned()
    }

    pub(crate) fn file(&self) -> SentFile {
        SentFile {
            name: self.filename.clone().unwrap_or_default(),
            bytes: self.data.clone(),
            mime: self.content_type.clone(),
        }
    }
}

/// The boundary of a `multipart/form-data` content type, `None` for any other type.
pub(crate) fn multipart_boundary(content_type: &str) -> Option<String> {
    let mut params = content_type.split(';');
    let kind = params.next()?.trim();
    if !kind.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| v.trim().trim_matches('"').to_string())
    })
}

/// Parses a `multipart/form-data` body (RFC 7578): the parts in order, or why it is malformed.
pub(crate) fn parse_multipart(body: &[u8], boundary: &str) -> Result<Vec<Part>, String> {
    let opening = format!("--{boundary}");
    let delimiter = format!("\r\n--{boundary}");
    let mut pos = find(body, opening.as_bytes(), 0).ok_or("no opening boundary")? + opening.len();
    let mut parts = Vec::new();
    loop {
        // After a boundary: `--` closes the body, otherwise CRLF and a part follows.
        if body[pos..].starts_with(b"--") {
            return Ok(parts);
        }
        while matches!(body.get(pos), Some(b' ' | b'\t')) {
            pos += 1;
        }
        if !body[pos..].starts_with(b"\r\n") {
            return Err("boundary not followed by CRLF".into());
        }
        pos += 2;
        let end = find(body, delimiter.as_bytes(), pos).ok_or("unterminated part")?;
        parts.push(parse_part(&body[pos..end])?);
        pos = end + delimiter.len();
    }
}

fn parse_part(raw: &[u8]) -> Result<Part, String> {
    let (head, data) = match find(raw, b"\r\n\r\n", 0) {
        Some(i) => (&raw[..i], &raw[i + 4..]),
        None if raw.starts_with(b"\r\n") => (&raw[..0], &raw[2..]),
        None => return Err("part without a blank line after its headers".into()),
    };
    let head = String::from_utf8_lossy(head);
    let mut part = Part {
        name: String::new(),
        filename: None,
        content_type: None,
        data: data.to_vec(),
    };
    let mut named = false;
    for line in head.split("\r\n") {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        if key.trim().eq_ignore_ascii_case("content-type") {
            part.content_type = Some(value.trim().to_string());
        } else if key.trim().eq_ignore_ascii_case("content-disposition") {
            for (k, v) in disposition_params(value) {
                match k.to_ascii_lowercase().as_str() {
                    "name" => {
                        part.name = v;
                        named = true;
                    }
                    // RFC 5987 `name*=utf-8''percent-encoded`, what reqwest writes for names
                    // outside ASCII.
                    "name*" => {
                        let encoded = v.split_once("''").map_or(v.as_str(), |(_, e)| e);
                        part.name = percent_decode(encoded);
                        named = true;
                    }
                    "filename" => part.filename = Some(v),
                    "filename*" => {
                        let encoded = v.split_once("''").map_or(v.as_str(), |(_, e)| e);
                        part.filename = Some(percent_decode(encoded));
                    }
                    _ => {}
                }
            }
        }
    }
    if !named {
        return Err("part without a Content-Disposition name".into());
    }
    Ok(part)
}

/// `form-data; name="a"; filename="b \"c\".pdf"` → `[(name, a), (filename, b "c".pdf)]`.
fn disposition_params(value: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = value.chars().peekable();
    // Skip the disposition type.
    for c in chars.by_ref() {
        if c == ';' {
            break;
        }
    }
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace() || *c == ';') {
            chars.next();
        }
        let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
        if key.is_empty() {
            return out;
        }
        let mut val = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => val.extend(chars.next()),
                    '"' => break,
                    c => val.push(c),
                }
            }
        } else {
            while let Some(c) = chars.peek().copied() {
                if c == ';' {
                    break;
                }
                val.push(c);
                chars.next();
            }
            val = val.trim().to_string();
        }
        out.push((key.trim().to_string(), val));
    }
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if from > haystack.len() {
        return None;
    }
    haystack[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

/// Decodes `%XX` escapes (and nothing else).
pub(crate) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `a=1&b=x+y` → `[(a, 1), (b, x y)]` (application/x-www-form-urlencoded).
pub(crate) fn parse_urlencoded(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                percent_decode(&k.replace('+', " ")),
                percent_decode(&v.replace('+', " ")),
            )
        })
        .collect()
}

/// The request's parameters as one JSON object: the query string, then the body (JSON,
/// urlencoded or multipart; the text parts of a multipart body, its file parts apart).
pub(crate) struct Params {
    pub fields: Map<String, Value>,
    pub parts: Vec<Part>,
}

impl Params {
    pub(crate) fn parse(
        query: Option<&str>,
        content_type: &str,
        body: &[u8],
        typed: &dyn Fn(&str, String) -> Value,
    ) -> Result<Params, String> {
        let mut fields = Map::new();
        for (k, v) in parse_urlencoded(query.unwrap_or_default()) {
            let value = typed(&k, v);
            fields.insert(k, value);
        }
        let mut parts = Vec::new();
        let mime = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        if let Some(boundary) = multipart_boundary(content_type) {
            for part in parse_multipart(body, &boundary)? {
                if part.filename.is_none() {
                    let value = typed(&part.name, part.text());
                    fields.insert(part.name.clone(), value);
                }
                parts.push(part);
            }
        } else if mime == "application/x-www-form-urlencoded" {
            for (k, v) in parse_urlencoded(&String::from_utf8_lossy(body)) {
                let value = typed(&k, v);
                fields.insert(k, value);
            }
        } else if !body.iter().all(u8::is_ascii_whitespace) {
            match serde_json::from_slice::<Value>(body) {
                Ok(Value::Object(map)) => fields.extend(map),
                Ok(_) => return Err("the JSON body is not an object".into()),
                Err(e) if mime == "application/json" => return Err(format!("invalid JSON: {e}")),
                Err(_) => return Err(format!("unsupported content type {content_type:?}")),
            }
        }
        Ok(Params { fields, parts })
    }

    /// The file part named `name`.
    pub(crate) fn file(&self, name: &str) -> Option<&Part> {
        self.parts
            .iter()
            .find(|p| p.name == name && p.filename.is_some())
    }
}

/// Lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Standard base64 with padding.
pub(crate) fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Now, in Unix seconds.
pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
