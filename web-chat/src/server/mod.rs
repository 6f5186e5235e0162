//! The web chat server: `Application::build` binds and wires the routes, `run_until_stopped`
//! serves until the shutdown signal, then closes the open sockets and lets running turns end.

mod auth;
mod dashboard;
mod error;
mod files;
mod ws;

pub use auth::hash_password;
pub use error::{ApiError, ServerError};

use crate::channels::Relay;
use crate::channels::telegram::{Telegram, TelegramSettings};
use crate::channels::whatsapp::{WhatsApp, WhatsAppSettings};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use wakil_agent::engine::Agent;
use wakil_schema::store::Store;
use wakil_tools::documents::indexation::Indexeur;
use wakil_tools::envoi::OutboxWorker;

/// How long running turns get to finish once the server stops.
const DRAIN: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub addr: SocketAddr,
    /// Mark the session cookie `Secure` (behind HTTPS): `WAKIL_COOKIE_SECURE=1`.
    pub cookie_secure: bool,
    /// Lifetime of a login session: `WAKIL_SESSION_HOURS` (default 12).
    pub session_hours: i32,
    /// Largest upload: `WAKIL_UPLOAD_MAX_MB` (default 20), also for files sent through Telegram
    /// (whose bots cannot download more than 20 MB) and WhatsApp.
    pub max_upload_bytes: usize,
    /// The Telegram bot (see [`crate::channels::settings_from_env`]); none by default.
    pub telegram: Option<TelegramSettings>,
    /// The WhatsApp webhook; none by default.
    pub whatsapp: Option<WhatsAppSettings>,
}

impl ServeConfig {
    pub fn new(addr: SocketAddr) -> Self {
        ServeConfig {
            addr,
            cookie_secure: false,
            session_hours: 12,
            max_upload_bytes: crate::uploads::MAX_UPLOAD_BYTES,
            telegram: None,
            whatsapp: None,
        }
    }

    pub fn from_env(addr: SocketAddr) -> Self {
        let d = ServeConfig::new(addr);
        let var = |k: &str| std::env::var(k).ok().map(|v| v.trim().to_string());
        ServeConfig {
            cookie_secure: var("WAKIL_COOKIE_SECURE").is_some_and(|v| v == "1" || v == "true"),
            session_hours: var("WAKIL_SESSION_HOURS")
                .and_then(|v| v.parse().ok())
                .map_or(d.session_hours, |h: i32| h.clamp(1, 24 * 30)),
            max_upload_bytes: var("WAKIL_UPLOAD_MAX_MB")
                .and_then(|v| v.parse().ok())
                .map_or(d.max_upload_bytes, |mb: usize| {
                    mb.clamp(1, 200) * 1024 * 1024
                }),
            ..d
        }
    }
}

/// What every handler shares.
pub struct AppState {
    agent: Arc<Agent>,
    config: ServeConfig,
    attempts: auth::Attempts,
    /// Flips to `true` when the server stops: open sockets close.
    shutdown: watch::Receiver<bool>,
    /// Held by every socket's worker; the server waits until none is left (or [`DRAIN`]).
    live: mpsc::Sender<()>,
}

impl AppState {
    fn store(&self) -> &Store {
        &self.agent.context().store
    }

    /// Where stored files keep their bytes (the tools' own store: generated documents too).
    fn files(&self) -> &wakil_tools::FileStore {
        &self.agent.context().files
    }
}

pub struct Application {
    listener: TcpListener,
    router: Router,
    stop: watch::Sender<bool>,
    drained: mpsc::Receiver<()>,
    outbox: Option<OutboxWorker>,
    indexeur: Indexeur,
    telegram: Option<Arc<Telegram>>,
}

/// Between two passes of the indexing job when nobody wakes it (generated documents wait at most
/// this long).
const INDEXATION_INTERVALLE: std::time::Duration = std::time::Duration::from_secs(20);

impl Application {
    /// Binds `config.addr` (port 0: any free port) and wires the routes.
    pub async fn build(agent: Agent, config: ServeConfig) -> Result<Self, ServerError> {
        let files_dir = agent.context().files.dir().to_path_buf();
        std::fs::create_dir_all(&files_dir).map_err(|source| ServerError::FilesDir {
            path: files_dir,
            source,
        })?;
        let listener =
            TcpListener::bind(config.addr)
                .await
                .map_err(|source| ServerError::Bind {
                    addr: config.addr,
                    source,
                })?;
        let (stop, shutdown) = watch::channel(false);
        let (live, drained) = mpsc::channel(1);
        let max_upload = config.max_upload_bytes;
        let indexeur = {
            let ctx = agent.context();
            Indexeur::new(
                ctx.store.clone(),
                ctx.files.clone(),
                ctx.lecture.clone(),
                ctx.bibliotheque.clone(),
            )
        };
        let agent = Arc::new(agent);
        let relay = Arc::new(Relay::new(agent.clone(), max_upload, live.downgrade()));
        let telegram = match config.telegram.clone() {
            Some(settings) => {
                Some(Telegram::new(settings, relay.clone()).map_err(ServerError::Channel)?)
            }
            None => None,
        };
        let whatsapp = match config.whatsapp.clone() {
            Some(settings) => {
                Some(WhatsApp::new(settings, relay.clone()).map_err(ServerError::Channel)?)
            }
            None => None,
        };
        let state = Arc::new(AppState {
            agent,
            config,
            attempts: auth::Attempts::default(),
            shutdown,
            live,
        });
        let mut router = Router::new()
            .route("/", get(index))
            .route("/static/app.js", get(app_js))
            .route("/static/style.css", get(style_css))
            .route("/api/login", post(auth::login))
            .route("/api/logout", post(auth::logout))
            .route("/api/session", get(auth::session))
            .route("/api/tableau-de-bord", get(dashboard::dashboard))
            .route(
                "/api/fichiers",
                post(files::upload).layer(DefaultBodyLimit::max(max_upload + 1)),
            )
            .route("/fichiers/{id}", get(files::download))
            .route("/ws", get(ws::upgrade));
        if let Some(routes) = telegram.as_ref().and_then(|t| t.routes()) {
            router = router.merge(routes);
        }
        if let Some(wa) = &whatsapp {
            router = router.merge(wa.routes());
        }
        let router = router
            .fallback(not_found)
            .layer(axum::middleware::map_response(security_headers))
            .with_state(state);
        Ok(Application {
            listener,
            router,
            stop,
            drained,
            outbox: None,
            indexeur,
            telegram,
        })
    }

    /// Sends the outbox (reminders…) while the server runs: the worker starts with it and stops
    /// at shutdown, after the message it is sending.
    pub fn with_outbox(mut self, worker: OutboxWorker) -> Self {
        self.outbox = Some(worker);
        self
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves (and sends the outbox) until `signal` completes; then tells open sockets and the
    /// outbox worker to stop, stops accepting, and waits (at most [`DRAIN`]) for the turns still
    /// running and the message being sent.
    pub async fn run_until_stopped(
        self,
        signal: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServerError> {
        let Application {
            listener,
            router,
            stop,
            mut drained,
            outbox,
            indexeur,
            telegram,
        } = self;
        let outbox = outbox.map(|w| w.spawn(stop.subscribe()));
        let indexeur = indexeur.spawn(INDEXATION_INTERVALLE, stop.subscribe());
        let telegram = telegram.map(|t| tokio::spawn(t.run(stop.subscribe())));
        axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                signal.await;
                let _ = stop.send(true);
            })
            .await
            .map_err(ServerError::Serve)?;
        // Every worker holds a sender; `recv` gives `None` once the last one is dropped.
        if tokio::time::timeout(DRAIN, drained.recv()).await.is_err() {
            tracing::warn!("some turns were still running at shutdown");
        }
        if let Some(task) = telegram {
            let _ = task.await;
        }
        if tokio::time::timeout(DRAIN, indexeur).await.is_err() {
            tracing::warn!("the indexing job was still reading a document at shutdown");
        }
        if let Some(task) = outbox
            && tokio::time::timeout(DRAIN, task).await.is_err()
        {
            tracing::warn!("the outbox worker was still sending at shutdown");
        }
        Ok(())
    }
}

async fn index() -> Response {
    asset(
        "text/html; charset=utf-8",
        include_str!("../../static/index.html"),
    )
}

async fn app_js() -> Response {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("../../static/app.js"),
    )
}

async fn style_css() -> Response {
    asset(
        "text/css; charset=utf-8",
        include_str!("../../static/style.css"),
    )
}

fn asset(mime: &'static str, body: &'static str) -> Response {
    (
        [
            (CONTENT_TYPE, HeaderValue::from_static(mime)),
            (CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response()
}

async fn not_found() -> ApiError {
    ApiError::NotFound("Page introuvable.")
}

/// No inline script or style, nothing from elsewhere, no framing, no sniffing.
async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in [
        (
            "content-security-policy",
            "default-src 'self'; connect-src 'self'; img-src 'self' data: blob:; style-src 'self'; \
             script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        ),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("x-frame-options", "DENY"),
    ] {
        headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    response
}
