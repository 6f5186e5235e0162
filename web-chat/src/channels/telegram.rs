//! Telegram, through teloxide: updates arrive by long polling, or by a webhook on the axum server
//! when a public URL is configured (`WAKIL_PUBLIC_URL`); they become [`Incoming`] deliveries of the
//! relay. Answers are HTML messages; a confirmation is an inline keyboard whose message is edited
//! to show the outcome; documents are sent as files. Only private chats are served.

use super::{
    ChannelError, FetchError, Incoming, Markup, Messenger, Relay, What, command, decision_data,
    parse_decision,
};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use futures_util::StreamExt;
use std::sync::Arc;
use std::time::Duration;
use teloxide::Bot;
use teloxide::net::Download;
use teloxide::payloads::{
    AnswerCallbackQuerySetters, EditMessageTextSetters, GetUpdatesSetters, SendDocumentSetters,
    SendMessageSetters, SetWebhookSetters,
};
use teloxide::requests::{Request, Requester};
use teloxide::types::{
    AllowedUpdate, ChatAction, ChatId, FileId, InlineKeyboardButton, InlineKeyboardMarkup,
    InputFile, MaybeInaccessibleMessage, MessageId, ParseMode, Update, UpdateKind,
};
use tokio::sync::watch;
use uuid::Uuid;
use wakil_agent::event::Attachment;
use wakil_schema::Canal;

/// Seconds a `getUpdates` call waits for updates (below teloxide's 17-second HTTP timeout).
const POLL_SECONDS: u32 = 10;
/// The webhook's path on the server.
pub const WEBHOOK_PATH: &str = "/telegram/webhook";
/// The header Telegram sends with the webhook's secret.
const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TelegramSettings {
    /// `TELEGRAM_BOT_TOKEN`.
    pub token: String,
    /// `TELEGRAM_API_URL` (default `https://api.telegram.org`): tests point it at a fake server.
    pub api_url: String,
    /// Updates come to `{public URL}/telegram/webhook` (`WAKIL_PUBLIC_URL`, HTTPS) instead of
    /// long polling; `secret` authenticates Telegram's calls (`TELEGRAM_WEBHOOK_SECRET`, or
    /// random at each start).
    pub webhook: Option<TelegramWebhook>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TelegramWebhook {
    pub public_url: String,
    pub secret: String,
}

pub struct Telegram {
    bot: Bot,
    relay: Arc<Relay>,
    settings: TelegramSettings,
}

/// Where a Telegram answer goes, and the confirmation message a button belonged to.
pub struct ConfirmationMessage {
    id: MessageId,
    text: String,
}

impl Telegram {
    pub fn new(settings: TelegramSettings, relay: Arc<Relay>) -> Result<Arc<Self>, ChannelError> {
        let url = settings
            .api_url
            .parse()
            .map_err(|e| ChannelError::api(Canal::Telegram, format!("TELEGRAM_API_URL : {e}")))?;
        let bot = Bot::new(&settings.token).set_api_url(url);
        Ok(Arc::new(Telegram {
            bot,
            relay,
            settings,
        }))
    }

    /// The webhook route, when updates come by webhook.
    pub fn routes<S: Clone + Send + Sync + 'static>(self: &Arc<Self>) -> Option<Router<S>> {
        self.settings.webhook.as_ref()?;
        Some(
            Router::new()
                .route(WEBHOOK_PATH, post(webhook))
                .with_state(self.clone()),
        )
    }

    /// Starts receiving: registers the webhook, or polls until `stop`.
    pub async fn run(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        match &self.settings.webhook {
            Some(hook) => {
                let url = format!("{}{WEBHOOK_PATH}", hook.public_url.trim_end_matches('/'));
                let registered = match url.parse() {
                    Ok(url) => self
                        .bot
                        .set_webhook(url)
                        .secret_token(hook.secret.clone())
                        .allowed_updates(allowed())
                        .send()
                        .await
                        .map_err(|e| e.to_string()),
                    Err(e) => Err(format!("WAKIL_PUBLIC_URL invalide : {e}")),
                };
                match registered {
                    Ok(_) => tracing::info!("Telegram : webhook {url}"),
                    Err(e) => tracing::error!("Telegram : webhook non enregistré : {e}"),
                }
            }
            None => self.poll(&mut stop).await,
        }
    }

    async fn poll(self: &Arc<Self>, stop: &mut watch::Receiver<bool>) {
        // A webhook left from another run would make getUpdates fail.
        if let Err(e) = self.bot.delete_webhook().send().await {
            tracing::warn!("Telegram : deleteWebhook : {e}");
        }
        tracing::info!("Telegram : réception par long polling");
        let mut offset = 0i32;
        let mut pause = Duration::from_secs(1);
        loop {
            let request = self
                .bot
                .get_updates()
                .offset(offset)
                .timeout(POLL_SECONDS)
                .allowed_updates(allowed())
                .send();
            let result = tokio::select! {
                r = request => r,
                _ = stop.wait_for(|s| *s) => return,
            };
            match result {
                Ok(updates) => {
                    pause = Duration::from_secs(1);
                    for update in updates {
                        offset = offset.max(i32::try_from(update.id.0).unwrap_or(i32::MAX - 1) + 1);
                        self.accept(update);
                    }
                }
                Err(e) => {
                    tracing::warn!("Telegram : getUpdates : {e} ; nouvel essai dans {pause:?}");
                    tokio::select! {
                        () = tokio::time::sleep(pause) => {}
                        _ = stop.wait_for(|s| *s) => return,
                    }
                    pause = (pause * 2).min(Duration::from_secs(60));
                }
            }
        }
    }

    /// An update, from polling or the webhook: a button is acknowledged at once (Telegram shows
    /// a spinner until then), then the delivery goes to the relay.
    pub fn accept(self: &Arc<Self>, update: Update) {
        let Some((incoming, callback)) = translate(update) else {
            return;
        };
        if let Some(id) = callback {
            let bot = self.bot.clone();
            tokio::spawn(async move {
                if let Err(e) = bot.answer_callback_query(id).text("Reçu").send().await {
                    tracing::warn!("Telegram : answerCallbackQuery : {e}");
                }
            });
        }
        self.relay.dispatch(self, incoming);
    }

    /// An HTML message, with an inline keyboard or none.
    async fn send_html(
        &self,
        chat: ChatId,
        text: &str,
        keyboard: Option<InlineKeyboardMarkup>,
    ) -> Result<(), ChannelError> {
        let mut request = self
            .bot
            .send_message(chat, text)
            .parse_mode(ParseMode::Html);
        if let Some(keyboard) = keyboard {
            request = request.reply_markup(keyboard);
        }
        request
            .send()
            .await
            .map(drop)
            .map_err(|e| ChannelError::api(Canal::Telegram, e))
    }

    fn keyboard(action: Uuid) -> InlineKeyboardMarkup {
        InlineKeyboardMarkup::new([[
            InlineKeyboardButton::callback("✅ Confirmer", decision_data(action, true)),
            InlineKeyboardButton::callback("✖ Annuler", decision_data(action, false)),
        ]])
    }
}

fn allowed() -> Vec<AllowedUpdate> {
    vec![AllowedUpdate::Message, AllowedUpdate::CallbackQuery]
}

/// An update as a delivery of the relay, and the callback query to acknowledge.
fn translate(
    update: Update,
) -> Option<(Incoming<Telegram>, Option<teloxide::types::CallbackQueryId>)> {
    let delivery = Some(update.id.0.to_string());
    match update.kind {
        UpdateKind::Message(msg) => {
            if !msg.chat.is_private() {
                return None;
            }
            let identity = msg.from.as_ref()?.id.0.to_string();
            let caption = msg.caption().unwrap_or_default().to_string();
            let what = if let Some(text) = msg.text() {
                match start_payload(text) {
                    Some(payload) => What::Start(payload),
                    None => What::Text(text.to_string()),
                }
            } else if let Some(photo) = msg.photo().and_then(|sizes| {
                sizes
                    .iter()
                    .max_by_key(|p| u64::from(p.width) * u64::from(p.height))
            }) {
                What::File {
                    media: photo.file.id.clone(),
                    nom: "photo.jpg".into(),
                    taille: Some(u64::from(photo.file.size)),
                    caption,
                }
            } else if let Some(doc) = msg.document() {
                What::File {
                    media: doc.file.id.clone(),
                    nom: doc.file_name.clone().unwrap_or_default(),
                    taille: Some(u64::from(doc.file.size)),
                    caption,
                }
            } else {
                What::Unsupported
            };
            Some((
                Incoming {
                    chat: msg.chat.id,
                    identity,
                    delivery,
                    what,
                },
                None,
            ))
        }
        UpdateKind::CallbackQuery(q) => {
            let identity = q.from.id.0.to_string();
            let (action, confirm) = q.data.as_deref().and_then(parse_decision)?;
            let (chat, origin) = match &q.message {
                Some(MaybeInaccessibleMessage::Regular(m)) => (
                    m.chat.id,
                    Some(ConfirmationMessage {
                        id: m.id,
                        text: m.text().unwrap_or_default().to_string(),
                    }),
                ),
                Some(MaybeInaccessibleMessage::Inaccessible(m)) => (m.chat.id, None),
                None => (ChatId(i64::try_from(q.from.id.0).ok()?), None),
            };
            Some((
                Incoming {
                    chat,
                    identity,
                    delivery,
                    what: What::Decision {
                        action,
                        confirm,
                        origin,
                    },
                },
                Some(q.id),
            ))
        }
        _ => None,
    }
}

/// `/start` and its deep-link payload (`/start abc123` → `Some(Some("abc123"))`).
fn start_payload(text: &str) -> Option<Option<String>> {
    let (name, payload) = command(text)?;
    (name == "start").then(|| (!payload.is_empty()).then(|| payload.to_string()))
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

impl Messenger for Telegram {
    const CANAL: Canal = Canal::Telegram;
    // Telegram allows 4096 characters; markup and escapes count before parsing.
    const MAX_TEXT: usize = 3500;
    const MARKUP: Markup = Markup {
        escape: html_escape,
        bold: |s| format!("<b>{s}</b>"),
        italic: |s| format!("<i>{s}</i>"),
        pre: |s| format!("<pre>{s}</pre>"),
    };
    const UNLINKED: &'static str = "Bonjour ! Ce bot est réservé aux copropriétaires et aux équipes \
        des syndics qui utilisent Wakil. Pour relier votre compte, demandez une invitation à votre \
        syndic, puis ouvrez le lien reçu sur ce téléphone.";
    const INVALID_INVITATION: &'static str = "Ce lien d'invitation n'est plus valable (déjà utilisé \
        ou expiré). Demandez-en un nouveau à votre syndic.";
    const CODE_BY_TEXT: bool = false;

    type Chat = ChatId;
    type Media = FileId;
    type Origin = ConfirmationMessage;

    async fn send_text(&self, chat: &ChatId, text: &str) -> Result<(), ChannelError> {
        self.send_html(*chat, text, None).await
    }

    async fn send_confirmation(
        &self,
        chat: &ChatId,
        text: &str,
        action: Uuid,
    ) -> Result<(), ChannelError> {
        self.send_html(*chat, text, Some(Telegram::keyboard(action)))
            .await
    }

    async fn send_file(
        &self,
        chat: &ChatId,
        file: &Attachment,
        bytes: Vec<u8>,
    ) -> Result<(), ChannelError> {
        let document = InputFile::memory(bytes).file_name(file.nom.clone());
        self.bot
            .send_document(*chat, document)
            .caption(file.nom.clone())
            .send()
            .await
            .map(drop)
            .map_err(|e| ChannelError::api(Canal::Telegram, e))
    }

    async fn show_decision(
        &self,
        chat: &ChatId,
        origin: Option<ConfirmationMessage>,
        text: &str,
    ) -> Result<(), ChannelError> {
        let Some(origin) = origin else {
            return self.send_text(chat, text).await;
        };
        // The confirmation's message keeps its question and shows the outcome; without a
        // keyboard, it cannot be clicked again.
        let edited = format!("{}\n\n{text}", html_escape(&origin.text));
        let result = self
            .bot
            .edit_message_text(*chat, origin.id, edited)
            .parse_mode(ParseMode::Html)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) => {
                tracing::warn!("Telegram : editMessageText : {e}");
                self.send_text(chat, text).await
            }
        }
    }

    async fn download(&self, media: FileId, max: usize) -> Result<Vec<u8>, FetchError> {
        let file = self.bot.get_file(media).send().await.map_err(|e| match e {
            teloxide::RequestError::Api(teloxide::ApiError::Unknown(ref m))
                if m.contains("too big") =>
            {
                FetchError::TooLarge { max }
            }
            e => FetchError::Channel(ChannelError::api(Canal::Telegram, e)),
        })?;
        if file.size as usize > max {
            return Err(FetchError::TooLarge { max });
        }
        let mut bytes = Vec::with_capacity(file.size as usize);
        let mut stream = self.bot.download_file_stream(&file.path);
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| ChannelError::api(Canal::Telegram, e))?;
            if bytes.len() + chunk.len() > max {
                return Err(FetchError::TooLarge { max });
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    }

    async fn typing(&self, chat: &ChatId) {
        let _ = self
            .bot
            .send_chat_action(*chat, ChatAction::Typing)
            .send()
            .await;
    }
}

/// `POST /telegram/webhook`: Telegram's call, authenticated by the secret header (compared in
/// constant time). Answers at once; the update is handled in its sender's lane.
async fn webhook(
    State(telegram): State<Arc<Telegram>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let Some(hook) = &telegram.settings.webhook else {
        return StatusCode::NOT_FOUND;
    };
    let given = headers
        .get(SECRET_HEADER)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if !super::constant_time_eq(given, hook.secret.as_bytes()) {
        return StatusCode::UNAUTHORIZED;
    }
    match serde_json::from_slice::<Update>(&body) {
        Ok(update) => {
            telegram.accept(update);
            StatusCode::OK
        }
        // Telegram would retry an error forever: an update we cannot read is dropped.
        Err(e) => {
            tracing::warn!("Telegram : mise à jour illisible : {e}");
            StatusCode::OK
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_reads_the_deep_link_payload() {
        assert_eq!(start_payload("/start"), Some(None));
        assert_eq!(
            start_payload("/start 0af3c9e1"),
            Some(Some("0af3c9e1".into()))
        );
        assert_eq!(
            start_payload("/start@wakil_bot abc"),
            Some(Some("abc".into()))
        );
        assert_eq!(start_payload("/starting"), None);
        assert_eq!(start_payload("bonjour"), None);
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(html_escape("a < b & c > d"), "a &lt; b &amp; c &gt; d");
    }
}
