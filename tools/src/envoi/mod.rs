//! Outbound messages: the channels' clients (Telegram Bot API, WhatsApp Cloud API, SMTP), their
//! configuration, and the outbox worker that sends what the tools queued.
//!
//! A tool never sends: it queues a [`MessageSortant`] in the outbox (one transaction with what it
//! records), and [`OutboxWorker`] delivers it with retries. Each client implements [`Envoyeur`];
//! their base URLs are settings, so tests point them at fake servers speaking the real protocols
//! on 127.0.0.1. The clients are small and reusable (the channel adapters reply through them).

mod email;
mod telegram;
mod whatsapp;
mod worker;

pub use email::SmtpClient;
pub use telegram::TelegramClient;
pub use whatsapp::{WhatsAppClient, fenetre_ouverte as whatsapp_fenetre_ouverte};
pub use worker::{Bilan, OutboxConfig, OutboxWorker};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;
use wakil_schema::{Canal, Langue};

/// How long one request to a provider may take.
const TIMEOUT: Duration = Duration::from_secs(30);

/// A message as queued in the outbox (`outbox.contenu`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageSortant {
    pub langue: Langue,
    /// Subject line (e-mail).
    pub sujet: String,
    pub texte: String,
    /// The approved template to use where free text is not allowed (WhatsApp outside the
    /// 24-hour window), with its parameters.
    #[serde(default)]
    pub modele: Option<Modele>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Modele {
    pub usage: UsageModele,
    /// The template's body parameters, in order.
    pub parametres: Vec<String>,
}

/// What a template is for; each maps to a template name in the settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UsageModele {
    /// `WHATSAPP_TEMPLATE_RELANCE`: body parameters {{1}} amount due, {{2}} oldest due date.
    Relance,
}

/// Who a message goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destinataire<'a> {
    /// Telegram chat id, WhatsApp number, e-mail address.
    pub adresse: &'a str,
    /// Last message received from them on this channel.
    pub dernier_entrant_le: Option<DateTime<Utc>>,
}

/// The provider took the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accuse {
    /// The provider's id of the message, when it gives one.
    pub reference: Option<String>,
}

/// The provider did not take the message. `message` is French, for operators (`wakil outbox`),
/// and never contains a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct EchecEnvoi {
    /// Trying again cannot help (refused recipient, invalid request): a dead letter at once.
    pub permanent: bool,
    pub message: String,
    /// The provider asked to wait at least this long.
    pub reessayer_apres: Option<Duration>,
}

impl EchecEnvoi {
    pub fn permanent(message: impl Into<String>) -> Self {
        EchecEnvoi {
            permanent: true,
            message: message.into(),
            reessayer_apres: None,
        }
    }

    pub fn temporaire(message: impl Into<String>) -> Self {
        EchecEnvoi {
            permanent: false,
            message: message.into(),
            reessayer_apres: None,
        }
    }

    /// An HTTP refusal: 408, 429 and 5xx are worth retrying, other statuses are not.
    fn http(
        status: reqwest::StatusCode,
        message: String,
        reessayer_apres: Option<Duration>,
    ) -> Self {
        let temporaire = status.is_server_error()
            || status == reqwest::StatusCode::TOO_MANY_REQUESTS
            || status == reqwest::StatusCode::REQUEST_TIMEOUT;
        EchecEnvoi {
            permanent: !temporaire,
            message,
            reessayer_apres,
        }
    }

    /// The request did not get an answer (connection, timeout): worth retrying. The URL, which
    /// may hold a token, is left out.
    fn reseau(service: &str, e: reqwest::Error) -> Self {
        EchecEnvoi::temporaire(format!("{service} injoignable : {}", e.without_url()))
    }
}

pub type EnvoiFuture<'a> = Pin<Box<dyn Future<Output = Result<Accuse, EchecEnvoi>> + Send + 'a>>;

/// A channel's client, as the worker uses it.
pub trait Envoyeur: Send + Sync {
    fn envoyer<'a>(
        &'a self,
        destinataire: &'a Destinataire<'a>,
        message: &'a MessageSortant,
    ) -> EnvoiFuture<'a>;
}

/// The outbound channels configured on this server (from the environment, see
/// [`EnvoiConfig::from_env`]); a channel left out is not used: its co-owners are reminded by hand.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct EnvoiConfig {
    pub telegram: Option<TelegramConfig>,
    pub whatsapp: Option<WhatsAppConfig>,
    pub email: Option<SmtpConfig>,
}

#[derive(Clone, PartialEq, Eq)]
pub struct TelegramConfig {
    /// `TELEGRAM_API_URL`, default `https://api.telegram.org`.
    pub api_url: String,
    /// `TELEGRAM_BOT_TOKEN`.
    pub token: String,
    /// `TELEGRAM_BOT_USERNAME` without its leading '@' ("AtlasSyndicBot"): invitation links
    /// `https://t.me/<bot>?start=<token>`.
    pub bot_username: Option<String>,
}

#[derive(Clone, PartialEq, Eq)]
pub struct WhatsAppConfig {
    /// `WHATSAPP_API_URL`, default `https://graph.facebook.com/v21.0`.
    pub api_url: String,
    /// `WHATSAPP_PHONE_NUMBER_ID`.
    pub phone_number_id: String,
    /// `WHATSAPP_TOKEN`.
    pub token: String,
    /// `WHATSAPP_TEMPLATE_RELANCE`: the approved template sent outside the 24-hour window.
    pub modele_relance: Option<String>,
    /// `WHATSAPP_NUMERO`: the business number, international, digits only ("212522123456"):
    /// invitation links `https://wa.me/<number>?text=<code>`.
    pub numero: Option<String>,
}

#[derive(Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    /// `SMTP_URL`: `smtps://user:password@host:465`, `smtp://user:password@host:587?tls=required`
    /// (STARTTLS), or `smtp://host:25` (no encryption: local relays only).
    pub url: String,
    /// `SMTP_FROM`: `Syndic Atlas <relances@atlas-syndic.ma>`.
    pub from: String,
}

pub const TELEGRAM_API_URL: &str = "https://api.telegram.org";
pub const WHATSAPP_API_URL: &str = "https://graph.facebook.com/v21.0";

impl EnvoiConfig {
    /// `TELEGRAM_BOT_TOKEN` (+ `TELEGRAM_API_URL`, `TELEGRAM_BOT_USERNAME`); `WHATSAPP_TOKEN` and
    /// `WHATSAPP_PHONE_NUMBER_ID` (+ `WHATSAPP_API_URL`, `WHATSAPP_TEMPLATE_RELANCE`,
    /// `WHATSAPP_NUMERO`); `SMTP_URL` and `SMTP_FROM`. A channel whose settings are missing, or
    /// invalid (logged), is left out; an unreadable optional setting is left out (logged).
    pub fn from_env() -> Self {
        Self::from_vars(|k| {
            std::env::var(k)
                .ok()
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        })
    }

    fn from_vars(var: impl Fn(&str) -> Option<String>) -> Self {
        let telegram = var("TELEGRAM_BOT_TOKEN").map(|token| TelegramConfig {
            api_url: var("TELEGRAM_API_URL").unwrap_or_else(|| TELEGRAM_API_URL.into()),
            token,
            bot_username: var("TELEGRAM_BOT_USERNAME").and_then(|u| bot_username(&u)),
        });
        let whatsapp = match (var("WHATSAPP_TOKEN"), var("WHATSAPP_PHONE_NUMBER_ID")) {
            (Some(token), Some(phone_number_id)) => Some(WhatsAppConfig {
                api_url: var("WHATSAPP_API_URL").unwrap_or_else(|| WHATSAPP_API_URL.into()),
                phone_number_id,
                token,
                modele_relance: var("WHATSAPP_TEMPLATE_RELANCE"),
                numero: var("WHATSAPP_NUMERO").and_then(|n| numero_whatsapp(&n)),
            }),
            (None, None) => None,
            _ => {
                tracing::error!(
                    "WhatsApp non configuré : définissez WHATSAPP_TOKEN et WHATSAPP_PHONE_NUMBER_ID"
                );
                None
            }
        };
        let email = match (var("SMTP_URL"), var("SMTP_FROM")) {
            (Some(url), Some(from)) => {
                let config = SmtpConfig { url, from };
                match SmtpClient::new(&config) {
                    Ok(_) => Some(config),
                    Err(e) => {
                        tracing::error!("e-mail non configuré : {e}");
                        None
                    }
                }
            }
            (None, None) => None,
            _ => {
                tracing::error!("e-mail non configuré : définissez SMTP_URL et SMTP_FROM");
                None
            }
        };
        EnvoiConfig {
            telegram,
            whatsapp,
            email,
        }
    }

    /// Whether messages can go out through `canal` on this server.
    pub fn configure(&self, canal: Canal) -> bool {
        match canal {
            Canal::Telegram => self.telegram.is_some(),
            Canal::Whatsapp => self.whatsapp.is_some(),
            Canal::Email => self.email.is_some(),
            Canal::Web | Canal::Cli => false,
        }
    }
}

/// A Telegram bot's username as `t.me` links take it: without '@', 5 to 32 letters, digits or
/// '_'.
fn bot_username(value: &str) -> Option<String> {
    let u = value.trim().trim_start_matches('@');
    let ok =
        (5..=32).contains(&u.len()) && u.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !ok {
        tracing::error!("TELEGRAM_BOT_USERNAME illisible (« {value} ») : ignoré");
    }
    ok.then(|| u.to_string())
}

/// The business number as `wa.me` links take it: international, digits only ("+212 522-12 34 56"
/// gives "212522123456").
fn numero_whatsapp(value: &str) -> Option<String> {
    let digits: String = value
        .trim()
        .trim_start_matches('+')
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
        .collect();
    let ok = (8..=15).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit());
    if !ok {
        tracing::error!("WHATSAPP_NUMERO illisible (« {value} ») : ignoré");
    }
    ok.then_some(digits)
}

/// Tokens and passwords are never printed.
impl std::fmt::Debug for EnvoiConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnvoiConfig")
            .field("telegram", &self.telegram.as_ref().map(|t| &t.api_url))
            .field(
                "whatsapp",
                &self
                    .whatsapp
                    .as_ref()
                    .map(|w| (&w.api_url, &w.phone_number_id, &w.modele_relance)),
            )
            .field("email", &self.email.as_ref().map(|e| &e.from))
            .finish()
    }
}

/// The clients of the configured channels.
#[derive(Default)]
pub struct Envoyeurs {
    clients: Vec<(Canal, Box<dyn Envoyeur>)>,
}

impl Envoyeurs {
    /// A client for each channel of `config`.
    pub fn from_config(config: &EnvoiConfig) -> Result<Self, String> {
        let mut e = Envoyeurs::default();
        if let Some(c) = &config.telegram {
            e = e.avec(Canal::Telegram, TelegramClient::new(c)?);
        }
        if let Some(c) = &config.whatsapp {
            e = e.avec(Canal::Whatsapp, WhatsAppClient::new(c)?);
        }
        if let Some(c) = &config.email {
            e = e.avec(Canal::Email, SmtpClient::new(c)?);
        }
        Ok(e)
    }

    /// With `envoyeur` for `canal` (replacing any other).
    pub fn avec(mut self, canal: Canal, envoyeur: impl Envoyeur + 'static) -> Self {
        self.clients.retain(|(c, _)| *c != canal);
        self.clients.push((canal, Box::new(envoyeur)));
        self
    }

    pub fn get(&self, canal: Canal) -> Option<&dyn Envoyeur> {
        self.clients
            .iter()
            .find(|(c, _)| *c == canal)
            .map(|(_, e)| e.as_ref())
    }
}

/// The HTTP client of the API clients: rustls, bounded time.
fn http_client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .timeout(TIMEOUT)
        .connect_timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| format!("client HTTP : {e}"))
}

/// A provider's error text, cut short for the outbox.
fn court(text: &str) -> String {
    const MAX: usize = 300;
    let text = text.trim();
    match text.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> EnvoiConfig {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect();
        EnvoiConfig::from_vars(|k| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()))
    }

    #[test]
    fn channels_are_configured_by_their_variables_only() {
        let none = vars(&[]);
        assert_eq!(none, EnvoiConfig::default());
        assert!(!none.configure(Canal::Telegram) && !none.configure(Canal::Email));

        let all = vars(&[
            ("TELEGRAM_BOT_TOKEN", "123:abc"),
            ("WHATSAPP_TOKEN", "EAAB"),
            ("WHATSAPP_PHONE_NUMBER_ID", "1055"),
            ("WHATSAPP_TEMPLATE_RELANCE", "relance_impaye"),
            ("TELEGRAM_BOT_USERNAME", "@AtlasSyndicBot"),
            ("WHATSAPP_NUMERO", "+212 522-12 34 56"),
            ("SMTP_URL", "smtp://127.0.0.1:2525"),
            ("SMTP_FROM", "Atlas Syndic <relances@atlas-syndic.ma>"),
        ]);
        for canal in [Canal::Telegram, Canal::Whatsapp, Canal::Email] {
            assert!(all.configure(canal), "{canal}");
        }
        assert!(!all.configure(Canal::Web));
        let t = all.telegram.clone().unwrap();
        assert_eq!(
            (t.api_url.as_str(), t.token.as_str()),
            (TELEGRAM_API_URL, "123:abc")
        );
        assert_eq!(t.bot_username.as_deref(), Some("AtlasSyndicBot"));
        let w = all.whatsapp.clone().unwrap();
        assert_eq!(w.api_url, WHATSAPP_API_URL);
        assert_eq!(w.modele_relance.as_deref(), Some("relance_impaye"));
        assert_eq!(w.numero.as_deref(), Some("212522123456"));
        // Secrets stay out of logs.
        let debug = format!("{all:?}");
        assert!(
            !debug.contains("123:abc") && !debug.contains("EAAB"),
            "{debug}"
        );

        // The optional settings stay optional, and are left out when unreadable.
        let minimal = vars(&[
            ("TELEGRAM_BOT_TOKEN", "123:abc"),
            ("WHATSAPP_TOKEN", "EAAB"),
            ("WHATSAPP_PHONE_NUMBER_ID", "1055"),
        ]);
        assert_eq!(minimal.telegram.unwrap().bot_username, None);
        assert_eq!(minimal.whatsapp.unwrap().numero, None);
        let unreadable = vars(&[
            ("TELEGRAM_BOT_TOKEN", "123:abc"),
            ("TELEGRAM_BOT_USERNAME", "mon bot!"),
            ("WHATSAPP_TOKEN", "EAAB"),
            ("WHATSAPP_PHONE_NUMBER_ID", "1055"),
            ("WHATSAPP_NUMERO", "appelez-nous"),
        ]);
        assert_eq!(unreadable.telegram.unwrap().bot_username, None);
        assert_eq!(unreadable.whatsapp.unwrap().numero, None);
        // A username without '@' is taken as is.
        let plain = vars(&[
            ("TELEGRAM_BOT_TOKEN", "123:abc"),
            ("TELEGRAM_BOT_USERNAME", "Atlas_bot"),
        ]);
        assert_eq!(
            plain.telegram.unwrap().bot_username.as_deref(),
            Some("Atlas_bot")
        );

        // Half a configuration, or an unreadable one, is no configuration.
        assert!(vars(&[("WHATSAPP_TOKEN", "EAAB")]).whatsapp.is_none());
        assert!(vars(&[("SMTP_URL", "smtp://127.0.0.1")]).email.is_none());
        assert!(
            vars(&[("SMTP_URL", "gopher://x"), ("SMTP_FROM", "a@b.ma")])
                .email
                .is_none()
        );
        assert!(
            vars(&[
                ("SMTP_URL", "smtp://127.0.0.1"),
                ("SMTP_FROM", "pas une adresse")
            ])
            .email
            .is_none()
        );
    }

    #[test]
    fn http_statuses_worth_retrying() {
        use reqwest::StatusCode;
        for (status, permanent) in [
            (StatusCode::INTERNAL_SERVER_ERROR, false),
            (StatusCode::BAD_GATEWAY, false),
            (StatusCode::TOO_MANY_REQUESTS, false),
            (StatusCode::REQUEST_TIMEOUT, false),
            (StatusCode::BAD_REQUEST, true),
            (StatusCode::FORBIDDEN, true),
            (StatusCode::UNAUTHORIZED, true),
        ] {
            assert_eq!(
                EchecEnvoi::http(status, String::new(), None).permanent,
                permanent,
                "{status}"
            );
        }
        assert_eq!(court(&"é".repeat(400)).chars().count(), 301);
    }
}
