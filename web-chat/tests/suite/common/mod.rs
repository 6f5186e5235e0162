//! The real server on port 0 against a fresh demo database, and clients for it: HTTP (login,
//! JSON) and WebSocket (frames until the turn is over).

#![allow(dead_code)]

use serde_json::Value;
use std::time::Duration;
use wakil_agent::engine::{Agent, AgentConfig};
use wakil_schema::store::Store;
use wakil_schema::testing::{Template, TestDb, demo_clock, fresh};
use wakil_schema::{Caller, Canal};
use wakil_tools::envoi::{EnvoiConfig, OutboxWorker};
use wakil_tools::{FileStore, ToolContext};
use wakil_web_chat::client::{Client, ClientError, Socket};
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
    spawn_app_with(None, |_| {}).await
}

/// Like [`spawn_app`], with the tools' context changed by `adjust` (the invoice reader).
pub async fn spawn_app_with_context(adjust: impl FnOnce(&mut ToolContext)) -> TestApp {
    spawn_app_inner(None, |_| {}, adjust).await
}

/// Like [`spawn_app`], with these outbound channels and the server's settings changed by
/// `configure` (the bots: Telegram, WhatsApp).
pub async fn spawn_app_configured(
    envoi: EnvoiConfig,
    configure: impl FnOnce(&mut ServeConfig),
) -> TestApp {
    spawn_app_with(Some((envoi, None)), configure).await
}

/// Like [`spawn_app`], with these outbound channels and the outbox worker the function makes
/// (from the store) running inside the server, as `wakil serve` does.
pub async fn spawn_app_with_outbox(
    envoi: EnvoiConfig,
    worker: impl FnOnce(Store) -> OutboxWorker + 'static,
) -> TestApp {
    spawn_app_with(Some((envoi, Some(Box::new(worker)))), |_| {}).await
}

type Outbox = (EnvoiConfig, Option<Box<dyn FnOnce(Store) -> OutboxWorker>>);

async fn spawn_app_with(
    outbox: Option<Outbox>,
    configure: impl FnOnce(&mut ServeConfig),
) -> TestApp {
    spawn_app_inner(outbox, configure, |_| {}).await
}

async fn spawn_app_inner(
    outbox: Option<Outbox>,
    configure: impl FnOnce(&mut ServeConfig),
    adjust: impl FnOnce(&mut ToolContext),
) -> TestApp {
    let db = fresh(Template::Demo).await;
    let files_dir = std::env::temp_dir().join(format!("wakil-files-{}", db.name));
    let mut ctx = ToolContext::new(
        db.store.clone(),
        demo_clock(),
        FileStore::new(files_dir.clone()),
    );
    if let Some((envoi, _)) = &outbox {
        ctx.envoi = envoi.clone();
    }
    adjust(&mut ctx);
    let agent = Agent::new(ctx.clone(), None, AgentConfig::default());
    let mut config = ServeConfig::new("127.0.0.1:0".parse().unwrap());
    configure(&mut config);
    let mut app = Application::build(agent, config).await.unwrap();
    if let Some((_, Some(worker))) = outbox {
        app = app.with_outbox(worker(db.store.clone()));
    }
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

    /// A login attempt as the page makes it.
    pub async fn try_login(&self, email: &str, password: &str) -> reqwest::Response {
        self.post(
            "/api/login",
            None,
            &serde_json::json!({ "email": email, "password": password }),
        )
        .await
    }

    pub fn client(&self) -> Client {
        Client::new(&self.url)
    }

    /// Logs in; the `Cookie` header value to send afterwards.
    pub async fn login(&self, email: &str) -> String {
        self.client()
            .login(email, DEMO_PASSWORD)
            .await
            .unwrap_or_else(|e| panic!("login of {email}: {e}"))
    }

    /// Logs in as `email` and opens a socket: the cookie, the socket and its `hello`.
    pub async fn open_as(&self, email: &str) -> (String, Ws, Value) {
        let cookie = self.login(email).await;
        let (ws, hello) = self.ws(&cookie).await;
        (cookie, ws, hello)
    }

    /// A WebSocket as the page opens it; its first frame (`hello`) is returned with it.
    pub async fn ws(&self, cookie: &str) -> (Ws, Value) {
        let mut ws = self.try_ws(Some(cookie)).await.unwrap();
        let hello = ws.next().await;
        assert_eq!(hello["type"], "hello", "{hello}");
        (ws, hello)
    }

    pub async fn try_ws(&self, cookie: Option<&str>) -> Result<Ws, ClientError> {
        Ok(Ws(self.client().socket(cookie).await?))
    }

    /// The caller behind a demo e-mail (web channel).
    pub async fn caller(&self, email: &str) -> Caller {
        self.store
            .caller_by_email(email, Canal::Web)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no demo user {email}"))
    }

    /// A read tool's typed output, run as `caller`: the reference figures for the page.
    pub async fn tool_output(&self, caller: &Caller, tool: &str, args: Value) -> Value {
        wakil_tools::find(tool)
            .unwrap()
            .call(&self.ctx, caller, args)
            .await
            .unwrap()
            .done()
            .unwrap()
            .output
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

/// A socket whose every wait is bounded (20 s) and whose failures fail the test.
#[derive(Debug)]
pub struct Ws(Socket);

async fn bounded<T>(what: &str, f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(20), f)
        .await
        .unwrap_or_else(|_| panic!("{what} within 20 s"))
}

impl Ws {
    pub async fn send(&mut self, frame: Value) {
        self.0.send(&frame).await.unwrap();
    }

    pub async fn next(&mut self) -> Value {
        bounded("a frame", self.0.next()).await.unwrap()
    }

    pub async fn turn(&mut self) -> Vec<Value> {
        bounded("a whole turn", self.0.turn()).await.unwrap()
    }

    pub async fn ask(&mut self, text: &str) -> Vec<Value> {
        bounded("an answer", self.0.ask(text)).await.unwrap()
    }

    pub async fn closed(&mut self) -> Option<(u16, String)> {
        bounded("the close", self.0.closed()).await
    }
}

/// The prose of the frames, joined.
pub fn text_of(frames: &[Value]) -> String {
    of_type(frames, "text")
        .iter()
        .map(|f| f["text"].as_str().unwrap_or_default())
        .collect()
}

/// The frames of a given type.
pub fn of_type<'a>(frames: &'a [Value], kind: &str) -> Vec<&'a Value> {
    frames.iter().filter(|f| f["type"] == kind).collect()
}

/// A synthetic invoice (`wakil_evals::invoices`) billed by the demo syndic's first supplier of
/// the layout's category to its first résidence (with the references its suppliers print).
pub async fn demo_invoice(
    app: &TestApp,
    layout: wakil_evals::invoices::Layout,
    seed: u64,
) -> wakil_evals::invoices::Invoice {
    use wakil_evals::invoices::Layout;
    let categorie = match layout {
        Layout::Distributeur => "electricite",
        Layout::Ascenseur => "ascenseur",
        Layout::Gardiennage => "gardiennage",
        Layout::Nettoyage => "nettoyage",
        Layout::Jardinage => "jardinage",
        Layout::Bricoleur => "entretien",
    };
    let (id, nom, ice): (i64, String, Option<String>) = sqlx::query_as(
        "SELECT f.id, f.nom, f.ice FROM fournisseurs f JOIN syndics s ON s.id = f.syndic_id
         WHERE s.nom = 'Atlas Syndic' AND f.categorie = $1::categorie_depense ORDER BY f.id LIMIT 1",
    )
    .bind(categorie)
    .fetch_one(&app.db.admin)
    .await
    .unwrap();
    let (rid, rnom, adresse, ville): (i64, String, String, String) = sqlx::query_as(
        "SELECT r.id, r.nom, r.adresse, r.ville FROM residences r JOIN syndics s ON s.id = r.syndic_id
         WHERE s.nom = 'Atlas Syndic' ORDER BY r.id LIMIT 1",
    )
    .fetch_one(&app.db.admin)
    .await
    .unwrap();
    let references: Vec<String> =
        sqlx::query_scalar("SELECT reference FROM references_fournisseurs WHERE residence_id = $1")
            .bind(rid)
            .fetch_all(&app.db.admin)
            .await
            .unwrap();
    let supplier = wakil_invoice::KnownSupplier {
        id,
        nom,
        ice,
        categorie: categorie.into(),
    };
    let residence = wakil_invoice::KnownResidence {
        id: rid,
        nom: rnom,
        adresse,
        ville,
        references,
    };
    wakil_evals::invoices::invoice(&wakil_evals::invoices::Spec {
        layout,
        supplier: &supplier,
        residence: &residence,
        syndic: "Atlas Syndic",
        seed,
        today: wakil_schema::testing::DEMO_TODAY,
    })
    .unwrap()
}
