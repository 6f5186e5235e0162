//! A client of the web chat speaking its HTTP and WebSocket protocol as the page does (same
//! `Origin`, the session cookie): used by `wakil bench ws` and the integration tests.

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use thiserror::Error;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

#[derive(Debug, Error)]
pub enum ClientError {
    #[error("requête HTTP : {0}")]
    Http(#[from] reqwest::Error),
    #[error("connexion refusée : {status} {body}")]
    Refused { status: u16, body: String },
    #[error("WebSocket : {0}")]
    Socket(#[from] tokio_tungstenite::tungstenite::Error),
    #[error("trame illisible : {0}")]
    Frame(String),
    #[error("la connexion s'est fermée")]
    Closed,
}

#[derive(Debug, Clone)]
pub struct Client {
    /// "http://127.0.0.1:8080"
    pub base: String,
    http: reqwest::Client,
}

impl Client {
    pub fn new(base: impl Into<String>) -> Self {
        Client {
            base: base.into().trim_end_matches('/').to_string(),
            http: reqwest::Client::new(),
        }
    }

    /// Logs in; the `Cookie` header value of the session.
    pub async fn login(&self, email: &str, password: &str) -> Result<String, ClientError> {
        let r = self
            .http
            .post(format!("{}/api/login", self.base))
            .header("Origin", &self.base)
            .json(&serde_json::json!({ "email": email, "password": password }))
            .send()
            .await?;
        let status = r.status().as_u16();
        let cookie = r
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(str::to_string);
        match cookie {
            Some(cookie) if status == 200 => Ok(cookie),
            _ => Err(ClientError::Refused {
                status,
                body: r.text().await.unwrap_or_default(),
            }),
        }
    }

    /// Opens the chat socket with `cookie` (none: as an anonymous visitor would).
    pub async fn socket(&self, cookie: Option<&str>) -> Result<Socket, ClientError> {
        let url = format!("{}/ws", self.base.replacen("http", "ws", 1));
        let mut req = url.into_client_request()?;
        let origin =
            HeaderValue::from_str(&self.base).map_err(|e| ClientError::Frame(e.to_string()))?;
        req.headers_mut().insert("Origin", origin);
        if let Some(c) = cookie {
            let c = HeaderValue::from_str(c).map_err(|e| ClientError::Frame(e.to_string()))?;
            req.headers_mut().insert("Cookie", c);
        }
        let (stream, _) = tokio_tungstenite::connect_async(req).await?;
        Ok(Socket { stream })
    }
}

#[derive(Debug)]
pub struct Socket {
    stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Socket {
    pub async fn send(&mut self, frame: &Value) -> Result<(), ClientError> {
        self.stream
            .send(Message::Text(frame.to_string().into()))
            .await?;
        Ok(())
    }

    /// The next JSON frame.
    pub async fn next(&mut self) -> Result<Value, ClientError> {
        loop {
            match self.stream.next().await {
                Some(Ok(Message::Text(t))) => {
                    return serde_json::from_str(t.as_str())
                        .map_err(|e| ClientError::Frame(e.to_string()));
                }
                Some(Ok(Message::Close(_))) | None => return Err(ClientError::Closed),
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(e.into()),
            }
        }
    }

    /// The frames of one turn, up to and including `done`.
    pub async fn turn(&mut self) -> Result<Vec<Value>, ClientError> {
        let mut frames = Vec::new();
        loop {
            let f = self.next().await?;
            let done = f["type"] == "done";
            frames.push(f);
            if done {
                return Ok(frames);
            }
        }
    }

    /// Sends a user message and returns the frames of its turn.
    pub async fn ask(&mut self, text: &str) -> Result<Vec<Value>, ClientError> {
        self.send(&serde_json::json!({ "type": "message", "text": text }))
            .await?;
        self.turn().await
    }

    /// Waits for the server to close the socket: its close code and reason, if it sent one.
    pub async fn closed(&mut self) -> Option<(u16, String)> {
        loop {
            match self.stream.next().await {
                Some(Ok(Message::Close(frame))) => {
                    return frame.map(|f| (u16::from(f.code), f.reason.to_string()));
                }
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return None,
            }
        }
    }
}
