//! WhatsApp Cloud API: `POST {api}/{phone_number_id}/messages`. Free text within 24 hours of the
//! recipient's last message; outside that window only an approved template may be sent.

use super::{
    Accuse, Destinataire, EchecEnvoi, EnvoiFuture, Envoyeur, MessageSortant, UsageModele,
    WhatsAppConfig, court, http_client,
};
use chrono::{DateTime, TimeDelta, Utc};
use serde::Deserialize;
use wakil_schema::Langue;

/// How long after the recipient's last message free text is allowed.
pub const FENETRE: TimeDelta = TimeDelta::hours(24);

/// Graph API error codes that mean "later" (throttling, temporary unavailability).
const CODES_TEMPORAIRES: &[i64] = &[1, 2, 4, 17, 80007, 130429, 131000, 131016, 131048, 131056];

pub struct WhatsAppClient {
    http: reqwest::Client,
    url: String,
    token: String,
    modele_relance: Option<String>,
}

#[derive(Deserialize)]
struct Reponse {
    #[serde(default)]
    messages: Vec<MessageEnvoye>,
    error: Option<Erreur>,
}

#[derive(Deserialize)]
struct MessageEnvoye {
    id: String,
}

#[derive(Deserialize)]
struct Erreur {
    message: Option<String>,
    code: Option<i64>,
}

/// Whether free text may be sent at `now` to someone whose last message came at `dernier`.
pub fn fenetre_ouverte(dernier: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    dernier.is_some_and(|d| now.signed_duration_since(d) < FENETRE)
}

impl WhatsAppClient {
    pub fn new(config: &WhatsAppConfig) -> Result<Self, String> {
        Ok(WhatsAppClient {
            http: http_client()?,
            url: format!(
                "{}/{}/messages",
                config.api_url.trim_end_matches('/'),
                config.phone_number_id
            ),
            token: config.token.clone(),
            modele_relance: config.modele_relance.clone(),
        })
    }

    /// The request body for `message` to `destinataire` at `now`: text inside the window, else
    /// the configured template.
    fn corps(
        &self,
        destinataire: &Destinataire<'_>,
        message: &MessageSortant,
        now: DateTime<Utc>,
    ) -> Result<serde_json::Value, EchecEnvoi> {
        let to: String = destinataire
            .adresse
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        if to.is_empty() {
            return Err(EchecEnvoi::permanent(format!(
                "numéro WhatsApp invalide : « {} »",
                destinataire.adresse
            )));
        }
        if fenetre_ouverte(destinataire.dernier_entrant_le, now) {
            return Ok(serde_json::json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": to,
                "type": "text",
                "text": { "preview_url": false, "body": message.texte },
            }));
        }
        let modele = message.modele.as_ref().and_then(|m| match m.usage {
            UsageModele::Relance => self.modele_relance.as_deref().map(|nom| (nom, m)),
        });
        let Some((nom, modele)) = modele else {
            return Err(EchecEnvoi::permanent(
                "WhatsApp : le destinataire n'a pas écrit depuis plus de 24 heures et aucun modèle \
                 de message approuvé n'est configuré (WHATSAPP_TEMPLATE_RELANCE)",
            ));
        };
        let parametres: Vec<serde_json::Value> = modele
            .parametres
            .iter()
            .map(|p| serde_json::json!({ "type": "text", "text": p }))
            .collect();
        Ok(serde_json::json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to,
            "type": "template",
            "template": {
                "name": nom,
                "language": { "code": code_langue(message.langue) },
                "components": [{ "type": "body", "parameters": parametres }],
            },
        }))
    }

    /// Sends `message` to `destinataire`; the `wamid` on success.
    pub async fn send(
        &self,
        destinataire: &Destinataire<'_>,
        message: &MessageSortant,
    ) -> Result<Accuse, EchecEnvoi> {
        let body = self.corps(destinataire, message, Utc::now())?;
        let response = self
            .http
            .post(&self.url)
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .map_err(|e| EchecEnvoi::reseau("WhatsApp", e))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| EchecEnvoi::reseau("WhatsApp", e))?;
        let reponse = serde_json::from_str::<Reponse>(&text).ok();
        if status.is_success()
            && let Some(m) = reponse.as_ref().and_then(|r| r.messages.first())
        {
            return Ok(Accuse {
                reference: Some(m.id.clone()),
            });
        }
        let erreur = reponse.and_then(|r| r.error);
        let code = erreur.as_ref().and_then(|e| e.code);
        let detail = erreur
            .and_then(|e| e.message)
            .unwrap_or_else(|| court(&text));
        let mut echec = EchecEnvoi::http(
            status,
            format!(
                "WhatsApp a refusé le message ({}{}) : {}",
                status.as_u16(),
                code.map_or(String::new(), |c| format!(", code {c}")),
                court(&detail)
            ),
            None,
        );
        if code.is_some_and(|c| CODES_TEMPORAIRES.contains(&c)) {
            echec.permanent = false;
        }
        Err(echec)
    }
}

/// The template language of a co-owner's language.
fn code_langue(langue: Langue) -> &'static str {
    match langue {
        Langue::Fr => "fr",
        Langue::Ar => "ar",
        Langue::En => "en",
    }
}

impl Envoyeur for WhatsAppClient {
    fn envoyer<'a>(
        &'a self,
        destinataire: &'a Destinataire<'a>,
        message: &'a MessageSortant,
    ) -> EnvoiFuture<'a> {
        Box::pin(self.send(destinataire, message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envoi::Modele;

    fn client(modele: Option<&str>) -> WhatsAppClient {
        WhatsAppClient::new(&WhatsAppConfig {
            api_url: "http://127.0.0.1:9/v21.0/".into(),
            phone_number_id: "1055".into(),
            token: "t".into(),
            modele_relance: modele.map(str::to_string),
            numero: None,
        })
        .unwrap()
    }

    fn message() -> MessageSortant {
        MessageSortant {
            langue: Langue::Ar,
            sujet: "s".into(),
            texte: "نص".into(),
            modele: Some(Modele {
                usage: UsageModele::Relance,
                parametres: vec!["3 450,00 درهم".into(), "31/03/2026".into()],
            }),
        }
    }

    #[test]
    fn text_inside_the_window_template_outside() {
        let c = client(Some("relance_impaye"));
        assert_eq!(c.url, "http://127.0.0.1:9/v21.0/1055/messages");
        let now = Utc::now();
        let inside = Destinataire {
            adresse: "+212 668 211 981",
            dernier_entrant_le: Some(now - TimeDelta::hours(23)),
        };
        let body = c.corps(&inside, &message(), now).unwrap();
        assert_eq!(body["type"], "text");
        assert_eq!(body["to"], "212668211981");
        assert_eq!(body["text"]["body"], "نص");

        for dernier in [None, Some(now - TimeDelta::hours(24))] {
            let outside = Destinataire {
                dernier_entrant_le: dernier,
                ..inside.clone()
            };
            let body = c.corps(&outside, &message(), now).unwrap();
            assert_eq!(body["type"], "template");
            assert_eq!(body["template"]["name"], "relance_impaye");
            assert_eq!(body["template"]["language"]["code"], "ar");
            let p = &body["template"]["components"][0]["parameters"];
            assert_eq!(p[0]["text"], "3 450,00 درهم");
            assert_eq!(p[1]["text"], "31/03/2026");
        }

        // No template configured: outside the window nothing can be sent, for good.
        let e = client(None)
            .corps(
                &Destinataire {
                    adresse: "212668211981",
                    dernier_entrant_le: None,
                },
                &message(),
                now,
            )
            .unwrap_err();
        assert!(e.permanent && e.message.contains("24 heures"), "{e}");
    }
}
