//! WhatsApp Cloud API: Meta calls the webhook on the axum server — `GET` to verify it
//! (`hub.mode`, `hub.verify_token`, `hub.challenge`), `POST` with the messages, signed with the
//! app secret (`X-Hub-Signature-256`, checked in constant time before anything is read). Each
//! message becomes an [`Incoming`] delivery of the relay, keyed by its id so a re-delivery is
//! handled once. Answers go through the Graph API: text, reply buttons for a confirmation,
//! documents uploaded as media.

use super::{
    ChannelError, FetchError, Incoming, Markup, Messenger, Relay, What, constant_time_eq,
    decision_data, parse_decision,
};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::json;
use sha2::Sha256;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;
use wakil_agent::event::Attachment;
use wakil_schema::Canal;

/// The webhook's path on the server.
pub const WEBHOOK_PATH: &str = "/whatsapp/webhook";
/// The longest body of an interactive message.
const MAX_BUTTON_BODY: usize = 1024;

#[derive(Clone, PartialEq, Eq)]
pub struct WhatsAppSettings {
    /// `WHATSAPP_API_URL` (default `https://graph.facebook.com/v21.0`).
    pub api_url: String,
    /// `WHATSAPP_PHONE_NUMBER_ID`: the business number messages are sent from.
    pub phone_number_id: String,
    /// `WHATSAPP_TOKEN`: the access token of the Graph API.
    pub token: String,
    /// `WHATSAPP_APP_SECRET`: the app secret that signs the webhook's calls.
    pub app_secret: String,
    /// `WHATSAPP_VERIFY_TOKEN`: chosen when the webhook is registered in Meta's console.
    pub verify_token: String,
}

impl std::fmt::Debug for WhatsAppSettings {
    // Secrets are never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WhatsAppSettings")
            .field("api_url", &self.api_url)
            .field("phone_number_id", &self.phone_number_id)
            .finish_non_exhaustive()
    }
}

pub struct WhatsApp {
    http: reqwest::Client,
    relay: Arc<Relay>,
    settings: WhatsAppSettings,
}

/// A media a user sent: its id at the Graph API.
pub struct MediaId(String);

impl WhatsApp {
    pub fn new(settings: WhatsAppSettings, relay: Arc<Relay>) -> Result<Arc<Self>, ChannelError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| ChannelError::api(Canal::Whatsapp, e))?;
        Ok(Arc::new(WhatsApp {
            http,
            relay,
            settings,
        }))
    }

    pub fn routes<S: Clone + Send + Sync + 'static>(self: &Arc<Self>) -> Router<S> {
        Router::new()
            .route(WEBHOOK_PATH, get(verify).post(notify))
            .with_state(self.clone())
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.settings.api_url.trim_end_matches('/'))
    }

    /// Sends one message object; the Graph API's error, without the token, on failure.
    async fn post_message(&self, to: &str, message: serde_json::Value) -> Result<(), ChannelError> {
        let mut body =
            json!({ "messaging_product": "whatsapp", "recipient_type": "individual", "to": to });
        if let (Some(body), Some(message)) = (body.as_object_mut(), message.as_object()) {
            body.extend(message.clone());
        }
        let response = self
            .http
            .post(self.url(&format!("{}/messages", self.settings.phone_number_id)))
            .bearer_auth(&self.settings.token)
            .json(&body)
            .send()
            .await
            .map_err(network)?;
        checked(response).await.map(drop)
    }

    /// Uploads a file as media; its id.
    async fn upload(&self, file: &Attachment, bytes: Vec<u8>) -> Result<String, ChannelError> {
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(file.nom.clone())
            .mime_str(&file.mime)
            .map_err(|e| ChannelError::api(Canal::Whatsapp, e))?;
        let form = reqwest::multipart::Form::new()
            .text("messaging_product", "whatsapp")
            .text("type", file.mime.clone())
            .part("file", part);
        let response = self
            .http
            .post(self.url(&format!("{}/media", self.settings.phone_number_id)))
            .bearer_auth(&self.settings.token)
            .multipart(form)
            .send()
            .await
            .map_err(network)?;
        let value = checked(response).await?;
        value["id"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| ChannelError::api(Canal::Whatsapp, "media sans id"))
    }
}

/// A network failure, without the request's URL (it stays out of the logs).
fn network(e: reqwest::Error) -> ChannelError {
    ChannelError::api(Canal::Whatsapp, format!("réseau : {}", e.without_url()))
}

/// The JSON of a successful answer, or the Graph API's error message.
async fn checked(response: reqwest::Response) -> Result<serde_json::Value, ChannelError> {
    let status = response.status();
    let value: serde_json::Value = response.json().await.unwrap_or_default();
    if status.is_success() {
        return Ok(value);
    }
    let message = value["error"]["message"].as_str().unwrap_or("sans détail");
    Err(ChannelError::api(
        Canal::Whatsapp,
        format!("HTTP {status} : {message}"),
    ))
}

/// Whether `signature` (`sha256=<hex>`) is the HMAC-SHA256 of `body` under `secret`, compared in
/// constant time.
fn signed(secret: &str, body: &[u8], signature: Option<&str>) -> bool {
    let Some(bytes) = signature
        .and_then(|s| s.strip_prefix("sha256="))
        .and_then(hex)
    else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&bytes).is_ok()
}

fn hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

impl Messenger for WhatsApp {
    const CANAL: Canal = Canal::Whatsapp;
    const MAX_TEXT: usize = 4000;
    const MARKUP: Markup = Markup {
        escape: |s| s.to_string(),
        bold: |s| format!("*{s}*"),
        italic: |s| format!("_{s}_"),
        pre: |s| format!("```\n{s}\n```"),
    };
    const UNLINKED: &'static str = "Bonjour ! Ce numéro est réservé aux copropriétaires et aux \
        équipes des syndics qui utilisent Wakil. Pour relier votre numéro, demandez un code \
        d'invitation à votre syndic et envoyez-le ici, depuis le numéro qu'il a enregistré.";
    const INVALID_INVITATION: &'static str = "Ce code n'est pas valable pour ce numéro, ou il a \
        expiré. Vérifiez-le, ou demandez un nouveau code à votre syndic.";
    const CODE_BY_TEXT: bool = true;

    type Chat = String;
    type Media = MediaId;
    type Origin = ();

    async fn send_text(&self, chat: &String, text: &str) -> Result<(), ChannelError> {
        self.post_message(
            chat,
            json!({ "type": "text", "text": { "preview_url": false, "body": text } }),
        )
        .await
    }

    async fn send_confirmation(
        &self,
        chat: &String,
        text: &str,
        action: Uuid,
    ) -> Result<(), ChannelError> {
        let body = if text.chars().count() <= MAX_BUTTON_BODY {
            text
        } else {
            self.send_text(chat, text).await?;
            "Confirmez-vous cette action ?"
        };
        let button = |confirm: bool, title: &str| json!({ "type": "reply", "reply": { "id": decision_data(action, confirm), "title": title } });
        self.post_message(
            chat,
            json!({
                "type": "interactive",
                "interactive": {
                    "type": "button",
                    "body": { "text": body },
                    "action": { "buttons": [button(true, "Confirmer"), button(false, "Annuler")] },
                },
            }),
        )
        .await
    }

    async fn send_file(
        &self,
        chat: &String,
        file: &Attachment,
        bytes: Vec<u8>,
    ) -> Result<(), ChannelError> {
        let id = self.upload(file, bytes).await?;
        self.post_message(
            chat,
            json!({
                "type": "document",
                "document": { "id": id, "filename": file.nom, "caption": file.nom },
            }),
        )
        .await
    }

    async fn show_decision(
        &self,
        chat: &String,
        _origin: Option<()>,
        text: &str,
    ) -> Result<(), ChannelError> {
        self.send_text(chat, text).await
    }

    async fn download(&self, media: MediaId, max: usize) -> Result<Vec<u8>, FetchError> {
        let response = self
            .http
            .get(self.url(&media.0))
            .bearer_auth(&self.settings.token)
            .send()
            .await
            .map_err(network)?;
        let meta = checked(response).await?;
        if meta["file_size"].as_u64().is_some_and(|s| s > max as u64) {
            return Err(FetchError::TooLarge { max });
        }
        let url = meta["url"]
            .as_str()
            .ok_or_else(|| ChannelError::api(Canal::Whatsapp, "média sans URL"))?;
        let mut response = self
            .http
            .get(url)
            .bearer_auth(&self.settings.token)
            .send()
            .await
            .map_err(network)?;
        if !response.status().is_success() {
            return Err(ChannelError::api(
                Canal::Whatsapp,
                format!("téléchargement du média : HTTP {}", response.status()),
            )
            .into());
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(network)? {
            if bytes.len() + chunk.len() > max {
                return Err(FetchError::TooLarge { max });
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    }
}

/// `GET /whatsapp/webhook`: Meta checks the webhook when it is registered.
async fn verify(
    State(wa): State<Arc<WhatsApp>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let token = query.get("hub.verify_token").map(String::as_bytes);
    let subscribe = query.get("hub.mode").map(String::as_str) == Some("subscribe");
    match query.get("hub.challenge") {
        Some(challenge)
            if subscribe
                && token
                    .is_some_and(|t| constant_time_eq(t, wa.settings.verify_token.as_bytes())) =>
        {
            (StatusCode::OK, challenge.clone()).into_response()
        }
        _ => StatusCode::FORBIDDEN.into_response(),
    }
}

/// `POST /whatsapp/webhook`: messages (and delivery statuses, ignored). Nothing is read before
/// the signature is checked; a bad or missing signature gets 401 and nothing is processed.
async fn notify(State(wa): State<Arc<WhatsApp>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let signature = headers
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok());
    if !signed(&wa.settings.app_secret, &body, signature) {
        tracing::warn!("WhatsApp : appel du webhook sans signature valide, ignoré");
        return StatusCode::UNAUTHORIZED;
    }
    let notification: Notification = match serde_json::from_slice(&body) {
        Ok(n) => n,
        // Meta would send it again and again: logged and acknowledged.
        Err(e) => {
            tracing::warn!("WhatsApp : notification illisible : {e}");
            return StatusCode::OK;
        }
    };
    for value in notification
        .entry
        .into_iter()
        .flat_map(|e| e.changes)
        .map(|c| c.value)
    {
        let ours = value
            .metadata
            .as_ref()
            .is_none_or(|m| m.phone_number_id == wa.settings.phone_number_id);
        if !ours {
            continue;
        }
        for message in value.messages {
            wa.relay.dispatch(&wa, translate(message));
        }
    }
    StatusCode::OK
}

#[derive(Deserialize)]
struct Notification {
    #[serde(default)]
    entry: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    #[serde(default)]
    changes: Vec<Change>,
}

#[derive(Deserialize)]
struct Change {
    value: ChangeValue,
}

#[derive(Deserialize)]
struct ChangeValue {
    metadata: Option<Metadata>,
    #[serde(default)]
    messages: Vec<WaMessage>,
}

#[derive(Deserialize)]
struct Metadata {
    phone_number_id: String,
}

#[derive(Deserialize)]
struct WaMessage {
    from: String,
    id: String,
    #[serde(rename = "type")]
    kind: String,
    text: Option<WaText>,
    image: Option<WaMedia>,
    document: Option<WaMedia>,
    interactive: Option<WaInteractive>,
    button: Option<WaButton>,
}

#[derive(Deserialize)]
struct WaText {
    body: String,
}

#[derive(Deserialize)]
struct WaMedia {
    id: String,
    filename: Option<String>,
    caption: Option<String>,
}

#[derive(Deserialize)]
struct WaInteractive {
    button_reply: Option<WaReply>,
}

#[derive(Deserialize)]
struct WaReply {
    id: String,
}

/// A quick-reply button of a template message.
#[derive(Deserialize)]
struct WaButton {
    text: String,
}

fn translate(m: WaMessage) -> Incoming<WhatsApp> {
    let what = match m.kind.as_str() {
        "text" => m.text.map_or(What::Unsupported, |t| What::Text(t.body)),
        "image" | "document" => match m.image.or(m.document) {
            Some(media) => What::File {
                nom: media.filename.unwrap_or_else(|| {
                    if m.kind == "image" {
                        "photo.jpg".into()
                    } else {
                        String::new()
                    }
                }),
                media: MediaId(media.id),
                // The size is known once the media's address is asked for (`download`).
                taille: None,
                caption: media.caption.unwrap_or_default(),
            },
            None => What::Unsupported,
        },
        "interactive" => match m
            .interactive
            .and_then(|i| i.button_reply)
            .and_then(|r| parse_decision(&r.id))
        {
            Some((action, confirm)) => What::Decision {
                action,
                confirm,
                origin: None,
            },
            None => What::Unsupported,
        },
        "button" => m.button.map_or(What::Unsupported, |b| What::Text(b.text)),
        _ => What::Unsupported,
    };
    // WhatsApp ids are digits; keep them so (the registered numbers are compared that way).
    let from: String = m.from.chars().filter(char::is_ascii_digit).collect();
    Incoming {
        chat: from.clone(),
        identity: from,
        delivery: Some(m.id),
        what,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_hmac_sha256_of_the_body() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let good = "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
        let body = b"what do ya want for nothing?";
        assert!(signed("Jefe", body, Some(good)));
        assert!(!signed("Jefe", b"what do ya want for nothing!", Some(good)));
        assert!(!signed("jefe", body, Some(good)));
        assert!(!signed(
            "Jefe",
            body,
            Some(&good.replace("sha256=", "sha1="))
        ));
        assert!(!signed("Jefe", body, Some("sha256=5bdc")));
        assert!(!signed("Jefe", body, Some("sha256=zz")));
        assert!(!signed("Jefe", body, None));
    }

    #[test]
    fn messages_translate_to_deliveries() {
        let id = Uuid::new_v4();
        let m: WaMessage = serde_json::from_value(json!({
            "from": "212612345678", "id": "wamid.1", "timestamp": "1700000000", "type": "interactive",
            "interactive": { "type": "button_reply", "button_reply": { "id": decision_data(id, true), "title": "Confirmer" } }
        }))
        .unwrap();
        let incoming = translate(m);
        assert_eq!(incoming.identity, "212612345678");
        assert_eq!(incoming.delivery.as_deref(), Some("wamid.1"));
        assert!(matches!(
            incoming.what,
            What::Decision { action, confirm: true, .. } if action == id
        ));
        let m: WaMessage = serde_json::from_value(json!({
            "from": "212612345678", "id": "wamid.2", "type": "sticker", "sticker": { "id": "1" }
        }))
        .unwrap();
        assert!(matches!(translate(m).what, What::Unsupported));
    }
}
