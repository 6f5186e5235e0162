//! Telegram Bot API: `sendMessage` (`POST {api}/bot{token}/sendMessage`).

use super::{
    Accuse, Destinataire, EchecEnvoi, EnvoiFuture, Envoyeur, MessageSortant, TelegramConfig, court,
    http_client,
};
use serde::Deserialize;
use std::time::Duration;

pub struct TelegramClient {
    http: reqwest::Client,
    /// `{api}/bot{token}/`: holds the token, never printed.
    base: String,
}

/// The Bot API's answer: `{"ok":true,"result":{…}}` or `{"ok":false,"error_code":…,"description":…}`.
#[derive(Deserialize)]
struct Reponse {
    ok: bool,
    result: Option<MessageEnvoye>,
    description: Option<String>,
    parameters: Option<Parametres>,
}

#[derive(Deserialize)]
struct MessageEnvoye {
    message_id: i64,
}

#[derive(Deserialize)]
struct Parametres {
    retry_after: Option<u64>,
}

impl TelegramClient {
    pub fn new(config: &TelegramConfig) -> Result<Self, String> {
        Ok(TelegramClient {
            http: http_client()?,
            base: format!(
                "{}/bot{}/",
                config.api_url.trim_end_matches('/'),
                config.token
            ),
        })
    }

    /// Sends `text` to chat `chat_id` (a number, or `@channel`); the message's id on success.
    pub async fn send_message(&self, chat_id: &str, text: &str) -> Result<Accuse, EchecEnvoi> {
        let chat: serde_json::Value = match chat_id.trim().parse::<i64>() {
            Ok(n) => n.into(),
            Err(_) => chat_id.trim().into(),
        };
        let response = self
            .http
            .post(format!("{}sendMessage", self.base))
            .json(&serde_json::json!({ "chat_id": chat, "text": text }))
            .send()
            .await
            .map_err(|e| EchecEnvoi::reseau("Telegram", e))?;
        let status = response.status();
        let body = response
            .text()
            .await
            .map_err(|e| EchecEnvoi::reseau("Telegram", e))?;
        match serde_json::from_str::<Reponse>(&body) {
            Ok(Reponse {
                ok: true,
                result: Some(m),
                ..
            }) if status.is_success() => Ok(Accuse {
                reference: Some(m.message_id.to_string()),
            }),
            Ok(r) => Err(EchecEnvoi::http(
                status,
                format!(
                    "Telegram a refusé le message ({}) : {}",
                    status.as_u16(),
                    court(r.description.as_deref().unwrap_or("sans détail"))
                ),
                r.parameters
                    .and_then(|p| p.retry_after)
                    .map(Duration::from_secs),
            )),
            Err(_) => Err(EchecEnvoi::http(
                status,
                format!(
                    "réponse inattendue de Telegram ({}) : {}",
                    status.as_u16(),
                    court(&body)
                ),
                None,
            )),
        }
    }
}

impl Envoyeur for TelegramClient {
    fn envoyer<'a>(
        &'a self,
        destinataire: &'a Destinataire<'a>,
        message: &'a MessageSortant,
    ) -> EnvoiFuture<'a> {
        Box::pin(self.send_message(destinataire.adresse, &message.texte))
    }
}
