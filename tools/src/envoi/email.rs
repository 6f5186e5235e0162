//! E-mail through an SMTP server (lettre, rustls): plain text UTF-8, one connection per message.

use super::{
    Accuse, Destinataire, EchecEnvoi, EnvoiFuture, Envoyeur, MessageSortant, SmtpConfig, TIMEOUT,
    court,
};
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

pub struct SmtpClient {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpClient {
    /// Checks the settings (no connection is made): `SMTP_URL` readable, `SMTP_FROM` an address.
    pub fn new(config: &SmtpConfig) -> Result<Self, String> {
        let from: Mailbox = config.from.parse().map_err(|_| {
            format!(
                "SMTP_FROM n'est pas une adresse e-mail : « {} »",
                config.from
            )
        })?;
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(&config.url)
            .map_err(|e| format!("SMTP_URL illisible : {e}"))?
            .timeout(Some(TIMEOUT));
        // EHLO with the sender's domain, unless the URL names one (`smtp://host/ehlo.name`).
        let url_names_one = config
            .url
            .split_once("://")
            .and_then(|(_, rest)| rest.split_once('/'))
            .is_some_and(|(_, path)| !path.split('?').next().unwrap_or_default().is_empty());
        if !url_names_one {
            builder = builder.hello_name(ClientId::Domain(from.email.domain().to_string()));
        }
        Ok(SmtpClient {
            transport: builder.build(),
            from,
        })
    }

    /// Sends `message` to `to`; the server's answer on success.
    pub async fn send(&self, to: &str, message: &MessageSortant) -> Result<Accuse, EchecEnvoi> {
        let to: Mailbox = to.trim().parse().map_err(|_| {
            EchecEnvoi::permanent(format!("adresse e-mail invalide : « {} »", to.trim()))
        })?;
        let email = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(message.sujet.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(message.texte.clone())
            .map_err(|e| EchecEnvoi::permanent(format!("e-mail impossible à composer : {e}")))?;
        match self.transport.send(email).await {
            Ok(response) => Ok(Accuse {
                reference: Some(court(&response.message().collect::<Vec<_>>().join(" ")))
                    .filter(|r| !r.is_empty()),
            }),
            Err(e) if e.is_permanent() => Err(EchecEnvoi::permanent(format!(
                "le serveur SMTP a refusé le message : {e}"
            ))),
            Err(e) => Err(EchecEnvoi::temporaire(format!(
                "envoi SMTP impossible pour l'instant : {e}"
            ))),
        }
    }
}

impl Envoyeur for SmtpClient {
    fn envoyer<'a>(
        &'a self,
        destinataire: &'a Destinataire<'a>,
        message: &'a MessageSortant,
    ) -> EnvoiFuture<'a> {
        Box::pin(self.send(destinataire.adresse, message))
    }
}
