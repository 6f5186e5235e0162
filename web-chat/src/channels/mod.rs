//! The messaging channels: Telegram (`telegram.rs`) and WhatsApp (`whatsapp.rs`). Each adapter
//! only translates its wire format into an [`Incoming`] and implements [`Messenger`] (how to send
//! text, a confirmation, a file in its own idiom); everything else — who the sender is, linking an
//! account with an invitation, shortcuts, files, confirmations, the agent's turn and how its events
//! become messages — happens once, here, in [`Relay`].

mod lanes;
mod render;
pub mod telegram;
pub mod whatsapp;

pub use lanes::Lanes;
pub use render::{Markup, Piece, compose};

use crate::uploads::{UploadError, store_upload};
use std::future::Future;
use std::sync::Arc;
use telegram::{TelegramSettings, TelegramWebhook};
use thiserror::Error;
use tokio::sync::mpsc;
use uuid::Uuid;
use wakil_agent::engine::Agent;
use wakil_agent::event::{Attachment, Inbound, Outbound, TurnReport};
use wakil_schema::{Caller, Canal, Role};
use wakil_tools::envoi::EnvoiConfig;
use whatsapp::WhatsAppSettings;

/// A failure talking to a provider. Logged, never shown to a user.
#[derive(Debug, Error)]
pub enum ChannelError {
    #[error("{canal:?} : {message}")]
    Api { canal: Canal, message: String },
}

impl ChannelError {
    pub fn api(canal: Canal, message: impl std::fmt::Display) -> Self {
        ChannelError::Api {
            canal,
            message: message.to_string(),
        }
    }
}

/// Why a file sent by a user could not be fetched.
#[derive(Debug, Error)]
pub enum FetchError {
    #[error("file above {max} bytes")]
    TooLarge { max: usize },
    #[error(transparent)]
    Channel(#[from] ChannelError),
}

/// One message channel, as the relay speaks through it.
pub trait Messenger: Send + Sync + 'static {
    const CANAL: Canal;
    /// Longest text of one message, in characters.
    const MAX_TEXT: usize;
    /// How text is marked up (bold, italic, monospace) and escaped.
    const MARKUP: Markup;
    /// What someone whose account is not linked is told.
    const UNLINKED: &'static str;
    /// What someone is told when their invitation does not work.
    const INVALID_INVITATION: &'static str;
    /// Whether an invitation code arrives as a plain message (WhatsApp) rather than through a
    /// deep link (`/start <token>` on Telegram).
    const CODE_BY_TEXT: bool;

    /// Where the answer goes (a Telegram chat, a WhatsApp number).
    type Chat: Clone + Send + Sync + 'static;
    /// A file the user sent, still at the provider.
    type Media: Send + 'static;
    /// The message that carried a confirmation, when the channel can change it afterwards.
    type Origin: Send + 'static;

    fn send_text(
        &self,
        chat: &Self::Chat,
        text: &str,
    ) -> impl Future<Output = Result<(), ChannelError>> + Send;

    /// `text` with confirm / cancel buttons for `action`.
    fn send_confirmation(
        &self,
        chat: &Self::Chat,
        text: &str,
        action: Uuid,
    ) -> impl Future<Output = Result<(), ChannelError>> + Send;

    fn send_file(
        &self,
        chat: &Self::Chat,
        file: &Attachment,
        bytes: Vec<u8>,
    ) -> impl Future<Output = Result<(), ChannelError>> + Send;

    /// Shows the outcome of a decision: on the confirmation's own message when the channel can
    /// edit it (`origin`), else as a new message.
    fn show_decision(
        &self,
        chat: &Self::Chat,
        origin: Option<Self::Origin>,
        text: &str,
    ) -> impl Future<Output = Result<(), ChannelError>> + Send;

    /// The bytes of a file the user sent, refused above `max` bytes.
    fn download(
        &self,
        media: Self::Media,
        max: usize,
    ) -> impl Future<Output = Result<Vec<u8>, FetchError>> + Send;

    /// Shows that an answer is being prepared (Telegram's "typing…"); nothing by default.
    fn typing(&self, _chat: &Self::Chat) -> impl Future<Output = ()> + Send {
        async {}
    }
}

/// One delivery from a channel, already translated.
pub struct Incoming<M: Messenger> {
    pub chat: M::Chat,
    /// Who sent it: the Telegram user id, the WhatsApp number.
    pub identity: String,
    /// The provider's id of this delivery (update id, message id): a re-delivery is ignored.
    pub delivery: Option<String>,
    pub what: What<M>,
}

pub enum What<M: Messenger> {
    Text(String),
    /// Telegram's `/start`, with the deep link's payload (an invitation token).
    Start(Option<String>),
    /// A photo or a document.
    File {
        media: M::Media,
        nom: String,
        /// The size the provider announces, checked before downloading.
        taille: Option<u64>,
        caption: String,
    },
    /// A button of a confirmation.
    Decision {
        action: Uuid,
        confirm: bool,
        origin: Option<M::Origin>,
    },
    /// Something the bot does not read (a sticker, a voice note, a location).
    Unsupported,
}

/// The bots `wakil serve` runs, from the outbound settings of the tools (`TELEGRAM_BOT_TOKEN`,
/// `TELEGRAM_API_URL`; `WHATSAPP_TOKEN`, `WHATSAPP_PHONE_NUMBER_ID`, `WHATSAPP_API_URL`) and the
/// receiving ones: `WAKIL_PUBLIC_URL` (Telegram by webhook instead of long polling, with
/// `TELEGRAM_WEBHOOK_SECRET` or a random secret), `WHATSAPP_APP_SECRET` and
/// `WHATSAPP_VERIFY_TOKEN` (the WhatsApp webhook).
pub fn settings_from_env(
    envoi: &EnvoiConfig,
) -> (Option<TelegramSettings>, Option<WhatsAppSettings>) {
    let var = |k: &str| {
        std::env::var(k)
            .ok()
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let telegram = envoi.telegram.as_ref().map(|t| TelegramSettings {
        token: t.token.clone(),
        api_url: t.api_url.clone(),
        webhook: var("WAKIL_PUBLIC_URL").map(|public_url| TelegramWebhook {
            public_url,
            secret: var("TELEGRAM_WEBHOOK_SECRET")
                .unwrap_or_else(|| Uuid::new_v4().simple().to_string()),
        }),
    });
    let whatsapp = match (
        &envoi.whatsapp,
        var("WHATSAPP_APP_SECRET"),
        var("WHATSAPP_VERIFY_TOKEN"),
    ) {
        (Some(w), Some(app_secret), Some(verify_token)) => Some(WhatsAppSettings {
            api_url: w.api_url.clone(),
            phone_number_id: w.phone_number_id.clone(),
            token: w.token.clone(),
            app_secret,
            verify_token,
        }),
        (Some(_), _, _) => {
            tracing::warn!(
                "WhatsApp : messages entrants désactivés, définissez WHATSAPP_APP_SECRET et \
                 WHATSAPP_VERIFY_TOKEN (les relances sortantes restent envoyées)"
            );
            None
        }
        (None, _, _) => None,
    };
    (telegram, whatsapp)
}

/// Whether two secrets are equal, in a time that does not depend on where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The button data of a decision: `c:<uuid>` confirms, `x:<uuid>` cancels.
pub fn decision_data(action: Uuid, confirm: bool) -> String {
    format!("{}:{action}", if confirm { 'c' } else { 'x' })
}

/// The decision a button carries.
pub fn parse_decision(data: &str) -> Option<(Uuid, bool)> {
    let (kind, id) = data.split_once(':')?;
    let confirm = match kind {
        "c" => true,
        "x" => false,
        _ => return None,
    };
    Some((id.parse().ok()?, confirm))
}

const UNSUPPORTED: &str = "Je ne lis que les messages écrits, les photos et les PDF. \
    Écrivez votre question, ou envoyez /aide.";

const SOLDE_STAFF: &str =
    "Précisez le copropriétaire ou le lot, par exemple : /solde Lahlou ou /solde lot A12.";
const HISTORIQUE_STAFF: &str =
    "Précisez le copropriétaire ou le lot, par exemple : /historique Lahlou.";

/// What a channel user can do, by role.
fn help(caller: &Caller) -> String {
    if caller.role == Role::Coproprietaire {
        "Je réponds sur votre compte de copropriétaire :\n\
         • /solde — ce que vous devez aujourd'hui ;\n\
         • /historique — vos derniers appels et paiements ;\n\
         • envoyez la photo d'un reçu de virement ou d'un chèque : elle est transmise à votre syndic pour vérification.\n\
         Vous pouvez aussi écrire simplement, en français ou en darija : « combien je dois ? »."
            .into()
    } else {
        "Exemples de demandes :\n\
         • « impayés de Guéliz », « solde du lot A12 », /solde Lahlou, /historique Lahlou ;\n\
         • « rapport financier 2025 de Guéliz en PDF » ;\n\
         • « M. Alami a payé 1 200 DH par chèque n° 123 » (vous confirmez avant tout enregistrement) ;\n\
         • « relance les impayés de plus de 90 jours » ;\n\
         • envoyez la photo ou le PDF d'une facture fournisseur."
            .into()
    }
}

fn welcome(caller: &Caller, canal: Canal) -> String {
    let canal = match canal {
        Canal::Whatsapp => "Votre numéro WhatsApp est relié",
        _ => "Votre compte Telegram est relié",
    };
    format!(
        "Bonjour {} ! {canal} à Wakil ({}).\n\n{}",
        caller.nom,
        caller.role.label(),
        help(caller)
    )
}

/// An invitation code as someone types it: 8 digits, spaces and dashes allowed.
fn as_code(text: &str) -> Option<String> {
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    let only = text
        .chars()
        .all(|c| c.is_ascii_digit() || c.is_whitespace() || c == '-');
    (only && digits.len() == 8).then_some(digits)
}

/// The shared logic of the messaging channels.
pub struct Relay {
    agent: Arc<Agent>,
    max_file: usize,
    lanes: Lanes,
}

impl Relay {
    /// `live` is held while a message is being handled: the server waits for it at shutdown.
    pub fn new(agent: Arc<Agent>, max_file: usize, live: mpsc::WeakSender<()>) -> Self {
        Relay {
            agent,
            max_file,
            lanes: Lanes::new(live),
        }
    }

    /// Queues a delivery: deliveries of one sender are handled one at a time, in order; different
    /// senders at once.
    pub fn dispatch<M: Messenger>(self: &Arc<Self>, messenger: &Arc<M>, incoming: Incoming<M>) {
        let key = format!("{:?}:{}", M::CANAL, incoming.identity);
        let (relay, messenger) = (self.clone(), messenger.clone());
        self.lanes.push(key, async move {
            relay.receive(messenger.as_ref(), incoming).await;
        });
    }

    /// Handles one delivery to the end; failures are logged and, when possible, told to the user.
    pub async fn receive<M: Messenger>(&self, m: &M, incoming: Incoming<M>) {
        if let Err(e) = self.try_receive(m, incoming).await {
            tracing::error!("{:?} : {e}", M::CANAL);
        }
    }

    async fn try_receive<M: Messenger>(
        &self,
        m: &M,
        incoming: Incoming<M>,
    ) -> Result<(), ChannelError> {
        let store = &self.agent.context().store;
        let Incoming {
            chat,
            identity,
            delivery,
            what,
        } = incoming;
        let unavailable = |e: wakil_schema::StoreError| {
            tracing::error!("{:?} : {e}", M::CANAL);
            wakil_agent::engine::AgentError::from(e).to_string()
        };
        if let Some(id) = &delivery {
            match store.first_delivery(M::CANAL, id).await {
                Ok(true) => {}
                Ok(false) => return Ok(()),
                Err(e) => return m.send_text(&chat, &unavailable(e)).await,
            }
        }
        let caller = match store.channel_caller(M::CANAL, &identity).await {
            Ok(c) => c,
            Err(e) => return m.send_text(&chat, &unavailable(e)).await,
        };
        // An invitation: a deep link's token, or a code typed by someone not linked yet.
        let token = match (&what, &caller) {
            (What::Start(Some(token)), _) => Some(token.clone()),
            (What::Text(text), None) if M::CODE_BY_TEXT => as_code(text),
            _ => None,
        };
        if let Some(token) = token {
            return match store.redeem_invitation(M::CANAL, &token, &identity).await {
                Ok(Some(linked)) => m.send_text(&chat, &welcome(&linked, M::CANAL)).await,
                Ok(None) => m.send_text(&chat, M::INVALID_INVITATION).await,
                Err(e) => m.send_text(&chat, &unavailable(e)).await,
            };
        }
        let Some(caller) = caller else {
            return m.send_text(&chat, M::UNLINKED).await;
        };
        match what {
            What::Start(_) => m.send_text(&chat, &welcome(&caller, M::CANAL)).await,
            What::Unsupported => m.send_text(&chat, UNSUPPORTED).await,
            What::Text(text) => match shortcut(&caller, &text) {
                Shortcut::Reply(reply) => m.send_text(&chat, &reply).await,
                Shortcut::Ask(question) => self.turn(m, &chat, &caller, question, vec![]).await,
            },
            What::File {
                media,
                nom,
                taille,
                caption,
            } => {
                let too_large = UploadError::TooLarge { max: self.max_file }.to_string();
                if taille.is_some_and(|t| t > self.max_file as u64) {
                    return m.send_text(&chat, &too_large).await;
                }
                m.typing(&chat).await;
                let bytes = match m.download(media, self.max_file).await {
                    Ok(bytes) => bytes,
                    Err(FetchError::TooLarge { .. }) => {
                        return m.send_text(&chat, &too_large).await;
                    }
                    Err(FetchError::Channel(e)) => {
                        tracing::error!("{e}");
                        return m
                            .send_text(
                                &chat,
                                "Le fichier n'a pas pu être récupéré : renvoyez-le dans un instant.",
                            )
                            .await;
                    }
                };
                let files = &self.agent.context().files;
                match store_upload(store, files, &caller, &nom, &bytes, self.max_file).await {
                    Ok(file) => self.turn(m, &chat, &caller, caption, vec![file]).await,
                    Err(e) => {
                        if matches!(e, UploadError::Store(_) | UploadError::Io(_)) {
                            tracing::error!("{:?} : {e:?}", M::CANAL);
                        }
                        m.send_text(&chat, &e.to_string()).await
                    }
                }
            }
            What::Decision {
                action,
                confirm,
                origin,
            } => {
                let (sink, events) = mpsc::unbounded_channel();
                let decided = self.agent.decide(&caller, action, confirm, &sink).await;
                drop(sink);
                let pieces = self.pieces::<M>(events, decided);
                let mut pieces = pieces.into_iter();
                match pieces.next() {
                    Some(Piece::Text(first)) => m.show_decision(&chat, origin, &first).await?,
                    Some(other) => self.send_piece(m, &chat, &caller, other).await?,
                    None => {}
                }
                for piece in pieces {
                    self.send_piece(m, &chat, &caller, piece).await?;
                }
                Ok(())
            }
        }
    }

    /// One agent turn for a message, and its answer sent.
    async fn turn<M: Messenger>(
        &self,
        m: &M,
        chat: &M::Chat,
        caller: &Caller,
        text: String,
        attachments: Vec<Attachment>,
    ) -> Result<(), ChannelError> {
        m.typing(chat).await;
        let (sink, events) = mpsc::unbounded_channel();
        let received: Vec<Uuid> = attachments.iter().map(|a| a.id).collect();
        let inbound = Inbound {
            caller: caller.clone(),
            text,
            conversation: None,
            attachments,
            residence: None,
        };
        let handled = self.agent.handle(inbound, &sink).await;
        drop(sink);
        for piece in self.pieces::<M>(events, handled) {
            // The file the user just sent is not sent back to them.
            if matches!(&piece, Piece::File(f) if received.contains(&f.id)) {
                continue;
            }
            self.send_piece(m, chat, caller, piece).await?;
        }
        Ok(())
    }

    /// The messages of a finished turn.
    fn pieces<M: Messenger>(
        &self,
        mut events: mpsc::UnboundedReceiver<Outbound>,
        report: Result<TurnReport, wakil_agent::engine::AgentError>,
    ) -> Vec<Piece> {
        let mut shown = Vec::new();
        while let Ok(event) = events.try_recv() {
            shown.push(event);
        }
        if let Err(e) = report {
            tracing::error!("{:?} : {e:?}", M::CANAL);
            shown.push(Outbound::Text {
                text: e.to_string(),
            });
        }
        compose(&shown, &M::MARKUP, M::MAX_TEXT)
    }

    async fn send_piece<M: Messenger>(
        &self,
        m: &M,
        chat: &M::Chat,
        caller: &Caller,
        piece: Piece,
    ) -> Result<(), ChannelError> {
        match piece {
            Piece::Text(text) => m.send_text(chat, &text).await,
            Piece::Confirmation { text, action } => m.send_confirmation(chat, &text, action).await,
            Piece::File(file) => {
                let files = &self.agent.context().files;
                match files.read(caller.syndic_id, file.id).await {
                    Ok(bytes) => m.send_file(chat, &file, bytes).await,
                    Err(e) => {
                        tracing::error!("fichier {} illisible : {e}", file.id);
                        m.send_text(
                            chat,
                            &format!(
                                "Le document « {} » n'a pas pu être envoyé : retrouvez-le dans le chat web.",
                                file.nom
                            ),
                        )
                        .await
                    }
                }
            }
        }
    }
}

/// What a message asks once its shortcut (`/solde`, `/aide`…) is read.
enum Shortcut {
    /// Answered at once, without the agent.
    Reply(String),
    /// The question the agent gets.
    Ask(String),
}

/// A `/command` as typed: its name in lower case, without a `@bot` mention ("/solde@wakil_bot"),
/// and the rest of the message, trimmed.
pub fn command(text: &str) -> Option<(String, &str)> {
    let command = text.trim().strip_prefix('/')?;
    let (head, rest) = command
        .split_once(char::is_whitespace)
        .unwrap_or((command, ""));
    let name = head.split('@').next().unwrap_or_default().to_lowercase();
    Some((name, rest.trim()))
}

fn shortcut(caller: &Caller, text: &str) -> Shortcut {
    let Some((name, rest)) = command(text) else {
        return Shortcut::Ask(text.trim().to_string());
    };
    let owner = caller.role == Role::Coproprietaire;
    match name.as_str() {
        "aide" | "help" | "start" => Shortcut::Reply(help(caller)),
        "solde" if owner => Shortcut::Ask("combien je dois ?".into()),
        "historique" if owner => Shortcut::Ask("mon historique de paiements".into()),
        "solde" | "historique" if rest.is_empty() => Shortcut::Reply(
            if name == "solde" {
                SOLDE_STAFF
            } else {
                HISTORIQUE_STAFF
            }
            .into(),
        ),
        "solde" => Shortcut::Ask(format!("solde de {rest}")),
        "historique" => Shortcut::Ask(format!("historique de {rest}")),
        _ => Shortcut::Reply(format!("Commande inconnue : /{name}.\n\n{}", help(caller))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(role: Role) -> Caller {
        Caller {
            user_id: 1,
            syndic_id: 1,
            role,
            nom: "Mme Lahlou".into(),
            coproprietaire_id: (role == Role::Coproprietaire).then_some(3),
            residence_id: None,
            canal: Canal::Telegram,
        }
    }

    fn asked(caller: &Caller, text: &str) -> Option<String> {
        match shortcut(caller, text) {
            Shortcut::Ask(q) => Some(q),
            Shortcut::Reply(_) => None,
        }
    }

    #[test]
    fn shortcuts_become_questions_in_the_callers_scope() {
        let owner = caller(Role::Coproprietaire);
        assert_eq!(
            asked(&owner, "/solde").as_deref(),
            Some("combien je dois ?")
        );
        // A co-owner's /solde never names anyone: their own account only.
        assert_eq!(
            asked(&owner, "/solde Alami").as_deref(),
            Some("combien je dois ?")
        );
        assert_eq!(
            asked(&owner, "/historique@wakil_bot").as_deref(),
            Some("mon historique de paiements")
        );
        let staff = caller(Role::Gestionnaire);
        assert_eq!(
            asked(&staff, "/solde  Lahlou ").as_deref(),
            Some("solde de Lahlou")
        );
        assert_eq!(asked(&staff, "/solde"), None);
        assert_eq!(asked(&staff, "/aide"), None);
        assert_eq!(asked(&staff, "/inconnue"), None);
        assert_eq!(
            asked(&staff, "impayés de Guéliz").as_deref(),
            Some("impayés de Guéliz")
        );
    }

    #[test]
    fn decisions_round_trip_through_button_data() {
        let id = Uuid::new_v4();
        assert_eq!(parse_decision(&decision_data(id, true)), Some((id, true)));
        assert_eq!(parse_decision(&decision_data(id, false)), Some((id, false)));
        assert!(decision_data(id, true).len() <= 64, "Telegram's limit");
        assert_eq!(parse_decision("c:pas-un-uuid"), None);
        assert_eq!(parse_decision(&format!("z:{id}")), None);
    }

    #[test]
    fn codes_are_eight_digits_as_typed() {
        assert_eq!(as_code("1234 5678").as_deref(), Some("12345678"));
        assert_eq!(as_code(" 12-34-56-78 ").as_deref(), Some("12345678"));
        assert_eq!(as_code("1234567"), None);
        assert_eq!(as_code("j'ai payé 12345678"), None);
    }
}
