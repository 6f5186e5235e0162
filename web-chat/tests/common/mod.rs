//! The real server on port 0 against a fresh demo database, and clients for it: HTTP (login,
//! JSON) and WebSocket (frames until the turn is over).

#![allow(dead_code)]

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use wakil_agent::engine::{Agent, AgentConfig};
use wakil_schema::store::Store;
use wakil_schema::testing::{Template, TestDb, demo_clock, fresh};
use wakil_tools::ToolContext;
use wakil_web_chat::server::{Application, ServeConfig, ServerError};

pub const DEMO_PASSWORD: &str = wakil_schema::seed::DEMO_PASSWORD;
pub const STAFF: &str = "gestionnaire@atlas-syndic.ma";

pub struct TestApp {
    /// "http://127.0.0.1:PORT"
    pub url: String,
    pub store: Store,
    pub ctx: ToolContext,
    pub db: TestDb,
    pub files_dir: std::path::PathBuf,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<Result<(), ServerError>>>,
}

/// The server with the fast path alone (no LLM), on a fresh demo database, dated like the demo.
pub async fn spawn_app() -> TestApp {
    let db = fresh(Template::Demo).await;
    let ctx = ToolContext::new(db.store.clone(), demo_clock());
    let agent = Agent::new(ctx.clone(), None, AgentConfig::default());
    let files_dir = std::env::temp_dir().join(format!("wakil-files-{}", db.name));
    let config = ServeConfig::new("127.0.0.1:0".parse().unwrap(), files_dir.clone());
    let app = Application::build(agent, config).await.unwrap();
    let url = format!("http://{}", app.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    TestApp {
        url,
        store: db.store.clone(),
        ctx,
        db,
        files_dir,
        stop: Some(stop),
        server: Some(server),
    }
}

impl TestApp {
    pub fn http(&self) -> reqwest::Client {
        reqwest::Client::new()
    }

    /// A POST as the page sends it (same `Origin`), with the session cookie if any.
    pub async fn post(&self, path: &str, cookie: Option<&str>, body: &Value) -> reqwest::Response {
        let mut req = self
            .http()
            .post(format!("{}{path}", self.url))
            .header("Origin", &self.url)
            .json(body);
        if let Some(c) = cookie {
            req = req.header("Cookie", c);
        }
        req.send().await.unwrap()
    }

    pub async fn get(&self, path: &str, cookie: Option<&str>) -> reqwest::Response {
        let mut req = self.http().get(format!("{}{path}", self.url));
        if let Some(c) = cookie {
            req = req.header("Cookie", c);
        }
        req.send().await.unwrap()
    }

    /// Logs in; the `Cookie` header value to send afterwards.
    pub async fn login(&self, email: &str) -> String {
        let r = self
            .post(
                "/api/login",
                None,
                &serde_json::json!({ "email": email, "password": DEMO_PASSWORD }),
            )
            .await;
        assert_eq!(r.status(), 200, "login of {email}");
        let set = r.headers()["set-cookie"].to_str().unwrap().to_string();
        set.split(';').next().unwrap().to_string()
    }

    /// A WebSocket as the page opens it; its first frame (`hello`) is returned with it.
    pub async fn ws(&self, cookie: &str) -> (Ws, Value) {
        let mut ws = self.try_ws(Some(cookie)).await.unwrap();
        let hello = ws.next().await;
        assert_eq!(hello["type"], "hello", "{hello}");
        (ws, hello)
    }

    pub async fn try_ws(
        &self,
        cookie: Option<&str>,
    ) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
        let mut req = format!("{}/ws", self.url.replace("http://", "ws://"))
            .into_client_request()
            .unwrap();
        req.headers_mut()
            .insert("Origin", HeaderValue::from_str(&self.url).unwrap());
        if let Some(c) = cookie {
            req.headers_mut()
                .insert("Cookie", HeaderValue::from_str(c).unwrap());
        }
        let (stream, _) = tokio_tungstenite::connect_async(req).await?;
        Ok(Ws { stream })
    }

    /// The e-mail of a demo user (`role` as stored), the first of Atlas Syndic.
    pub async fn email_of(&self, role: &str) -> String {
        sqlx::query_scalar(
            "SELECT email FROM users WHERE role::text = $1 ORDER BY syndic_id, id LIMIT 1",
        )
        .bind(role)
        .fetch_one(&self.db.admin)
        .await
        .unwrap()
    }

    /// Stops the server as Ctrl-C does, and waits for it.
    pub async fn stop(&mut self) -> Result<(), ServerError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.server.take() {
            Some(h) => tokio::time::timeout(Duration::from_secs(20), h)
                .await
                .expect("the server stops")
                .unwrap(),
            None => Ok(()),
        }
    }
}

#[derive(Debug)]
pub struct Ws {
    stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Ws {
    pub async fn send(&mut self, frame: Value) {
        self.stream
            .send(Message::Text(frame.to_string().into()))
            .await
            .unwrap();
    }

    /// The next JSON frame (panics after 20 s, or if the socket closes).
    pub async fn next(&mut self) -> Value {
        loop {
            let m = tokio::time::timeout(Duration::from_secs(20), self.stream.next())
                .await
                .expect("a frame within 20 s")
                .expect("the socket is open")
                .unwrap();
            match m {
                Message::Text(t) => return serde_json::from_str(t.as_str()).unwrap(),
                Message::Ping(_) | Message::Pong(_) => continue,
                other => panic!("unexpected frame {other:?}"),
            }
        }
    }

    /// The frames of one turn, up to and including `done`.
    pub async fn turn(&mut self) -> Vec<Value> {
        let mut frames = Vec::new();
        loop {
            let f = self.next().await;
            let done = f["type"] == "done";
            frames.push(f);
            if done {
                return frames;
            }
        }
    }

    /// Sends a message and returns the frames of its turn.
    pub async fn ask(&mut self, text: &str) -> Vec<Value> {
        self.send(serde_json::json!({ "type": "message", "text": text }))
            .await;
        self.turn().await
    }

    /// The close frame the server sends, if it closes (None if the stream just ends).
    pub async fn closed(&mut self) -> Option<(u16, String)> {
        loop {
            let m = tokio::time::timeout(Duration::from_secs(20), self.stream.next())
                .await
                .expect("the socket closes within 20 s");
            match m {
                Some(Ok(Message::Close(frame))) => {
                    return frame.map(|f| (u16::from(f.code), f.reason.to_string()));
                }
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return None,
            }
        }
    }
}

/// The frames of a given type.
pub fn of_type<'a>(frames: &'a [Value], kind: &str) -> Vec<&'a Value> {
    frames.iter().filter(|f| f["type"] == kind).collect()
}
