//! Fake providers on 127.0.0.1 speaking the real protocols: an HTTP API (the Telegram Bot API or
//! the WhatsApp Cloud API: JSON requests recorded, answers scripted per request) and an SMTP
//! server (the dialogue of RFC 5321, messages recorded).

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::IntoResponse;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One request received by a fake HTTP API.
#[derive(Debug, Clone)]
pub struct Requete {
    pub chemin: String,
    pub autorisation: Option<String>,
    pub corps: serde_json::Value,
}

type Script = dyn Fn(&Requete, usize) -> (u16, serde_json::Value) + Send + Sync;

/// An HTTP API on 127.0.0.1: each POST is recorded and answered by the script, given the request
/// and how many requests came before it.
pub struct FakeApi {
    pub url: String,
    requetes: Arc<Mutex<Vec<Requete>>>,
}

impl FakeApi {
    pub async fn start(
        script: impl Fn(&Requete, usize) -> (u16, serde_json::Value) + Send + Sync + 'static,
    ) -> FakeApi {
        let requetes: Arc<Mutex<Vec<Requete>>> = Arc::default();
        let script: Arc<Script> = Arc::new(script);
        let recorded = requetes.clone();
        let app = axum::Router::new().fallback(move |uri: Uri, headers: HeaderMap, body: Bytes| {
            let (recorded, script) = (recorded.clone(), script.clone());
            async move {
                let requete = Requete {
                    chemin: uri.path().to_string(),
                    autorisation: headers
                        .get("authorization")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_string),
                    corps: serde_json::from_slice(&body).unwrap_or_default(),
                };
                let n = {
                    let mut r = recorded.lock().unwrap();
                    r.push(requete.clone());
                    r.len() - 1
                };
                let (status, body) = script(&requete, n);
                (StatusCode::from_u16(status).unwrap(), axum::Json(body)).into_response()
            }
        });
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        FakeApi { url, requetes }
    }

    pub fn requetes(&self) -> Vec<Requete> {
        self.requetes.lock().unwrap().clone()
    }
}

/// The Bot API's answer to `sendMessage`.
pub fn telegram_ok(n: usize) -> (u16, serde_json::Value) {
    (
        200,
        serde_json::json!({ "ok": true, "result": {
            "message_id": 1000 + n, "date": 1_795_000_000, "chat": { "id": 1, "type": "private" },
            "text": "…" } }),
    )
}

/// The Bot API's refusal.
pub fn telegram_erreur(code: u16, description: &str) -> (u16, serde_json::Value) {
    (
        code,
        serde_json::json!({ "ok": false, "error_code": code, "description": description }),
    )
}

/// The Cloud API's answer to `POST /{phone-number-id}/messages`.
pub fn whatsapp_ok(n: usize, to: &str) -> (u16, serde_json::Value) {
    (
        200,
        serde_json::json!({ "messaging_product": "whatsapp",
            "contacts": [{ "input": to, "wa_id": to }],
            "messages": [{ "id": format!("wamid.TEST{n}") }] }),
    )
}

/// One message received by the fake SMTP server.
#[derive(Debug, Clone, Default)]
pub struct Courriel {
    pub ehlo: String,
    pub from: String,
    pub to: Vec<String>,
    /// Headers and body, as sent (CRLF line ends, dot-stuffing removed).
    pub data: String,
}

impl Courriel {
    pub fn header(&self, name: &str) -> Option<String> {
        let (headers, _) = self.data.split_once("\r\n\r\n")?;
        let prefix = format!("{}:", name.to_ascii_lowercase());
        headers
            .split("\r\n")
            .find(|l| l.to_ascii_lowercase().starts_with(&prefix))
            .map(|l| l[prefix.len()..].trim().to_string())
    }

    /// The body, decoded from base64 when so encoded.
    pub fn body(&self) -> String {
        let (_, body) = self.data.split_once("\r\n\r\n").unwrap_or_default();
        match self.header("Content-Transfer-Encoding").as_deref() {
            Some("base64") => String::from_utf8(base64(body)).unwrap(),
            _ => body.to_string(),
        }
    }
}

fn base64(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in text
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
    {
        let v = ALPHABET.iter().position(|a| *a == c).unwrap() as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

/// An SMTP server on 127.0.0.1 that accepts every message and records it.
pub struct FakeSmtp {
    pub port: u16,
    courriels: Arc<Mutex<Vec<Courriel>>>,
}

impl FakeSmtp {
    pub async fn start() -> FakeSmtp {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let courriels: Arc<Mutex<Vec<Courriel>>> = Arc::default();
        let recorded = courriels.clone();
        tokio::spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                let recorded = recorded.clone();
                tokio::spawn(async move {
                    let (read, mut write) = stream.into_split();
                    let mut lines = BufReader::new(read).lines();
                    reply(&mut write, "220 fake.smtp ESMTP").await;
                    let mut mail = Courriel::default();
                    while let Ok(Some(line)) = lines.next_line().await {
                        let upper = line.to_ascii_uppercase();
                        if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                            mail.ehlo = line[5..].trim().to_string();
                            reply(&mut write, "250-fake.smtp").await;
                            reply(&mut write, "250 8BITMIME").await;
                        } else if upper.starts_with("MAIL FROM:") {
                            mail.from = addr(&line[10..]);
                            reply(&mut write, "250 2.1.0 Ok").await;
                        } else if upper.starts_with("RCPT TO:") {
                            mail.to.push(addr(&line[8..]));
                            reply(&mut write, "250 2.1.5 Ok").await;
                        } else if upper == "DATA" {
                            reply(&mut write, "354 End data with <CR><LF>.<CR><LF>").await;
                            let mut data = Vec::new();
                            while let Ok(Some(l)) = lines.next_line().await {
                                if l == "." {
                                    break;
                                }
                                data.push(l.strip_prefix('.').map_or(l.clone(), str::to_string));
                            }
                            mail.data = data.join("\r\n");
                            let n = {
                                let mut r = recorded.lock().unwrap();
                                r.push(std::mem::take(&mut mail));
                                r.len()
                            };
                            reply(&mut write, &format!("250 2.0.0 Ok: queued as FAKE{n}")).await;
                        } else if upper == "QUIT" {
                            reply(&mut write, "221 2.0.0 Bye").await;
                            break;
                        } else {
                            reply(&mut write, "250 2.0.0 Ok").await;
                        }
                    }
                });
            }
        });
        FakeSmtp { port, courriels }
    }

    pub fn courriels(&self) -> Vec<Courriel> {
        self.courriels.lock().unwrap().clone()
    }
}

async fn reply(w: &mut tokio::net::tcp::OwnedWriteHalf, s: &str) {
    w.write_all(format!("{s}\r\n").as_bytes()).await.unwrap();
}

/// `<a@b>` (with possible parameters after it) → `a@b`.
fn addr(s: &str) -> String {
    let s = s.trim();
    s.split_once('<')
        .and_then(|(_, r)| r.split_once('>'))
        .map_or(s.to_string(), |(a, _)| a.to_string())
}
