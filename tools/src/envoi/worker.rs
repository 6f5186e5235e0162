//! The outbox worker: finds the syndics with messages due, claims a batch in each syndic's own
//! transaction, sends each message through its channel's client, and records the outcome:
//! sent; failed and tried again after an exponential backoff (network errors, 5xx, 429);
//! abandoned (dead letter) on a permanent refusal (4xx, invalid address) or after
//! [`OutboxConfig::max_tentatives`] attempts. A message for a channel this server has no client
//! for waits, with a clear error, without using up its attempts.

use super::{Destinataire, EchecEnvoi, Envoyeurs, MessageSortant};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use wakil_schema::store::{EnvoiDu, IssueEnvoi};
use wakil_schema::{Canal, StatutOutbox, Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxConfig {
    /// Pause between two passes when nothing is left to do.
    pub intervalle: Duration,
    /// Messages claimed at once per syndic.
    pub lot: i64,
    /// Attempts before a message is abandoned (`WAKIL_OUTBOX_MAX_TENTATIVES`).
    pub max_tentatives: i32,
    /// Wait after the first failure; doubled after each next one, up to `delai_max`.
    pub delai_base: Duration,
    pub delai_max: Duration,
    /// How long a claim holds a message: after that, a worker that died mid-send is presumed
    /// gone and the message is claimed again.
    pub bail: Duration,
    /// Wait before looking again at a message whose channel is not configured here.
    pub attente_canal: Duration,
}

impl Default for OutboxConfig {
    fn default() -> Self {
        OutboxConfig {
            intervalle: Duration::from_secs(5),
            lot: 10,
            max_tentatives: 8,
            delai_base: Duration::from_secs(60),
            delai_max: Duration::from_secs(6 * 3600),
            bail: Duration::from_secs(5 * 60),
            attente_canal: Duration::from_secs(15 * 60),
        }
    }
}

impl OutboxConfig {
    /// `WAKIL_OUTBOX_MAX_TENTATIVES` (1–50) and `WAKIL_OUTBOX_INTERVALLE_SECS` (1–3600).
    pub fn from_env() -> Self {
        let d = OutboxConfig::default();
        let var = |k: &str| {
            std::env::var(k)
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        OutboxConfig {
            max_tentatives: var("WAKIL_OUTBOX_MAX_TENTATIVES")
                .map_or(d.max_tentatives, |n| n.clamp(1, 50) as i32),
            intervalle: var("WAKIL_OUTBOX_INTERVALLE_SECS")
                .map_or(d.intervalle, |s| Duration::from_secs(s.clamp(1, 3600))),
            ..d
        }
    }

    /// The wait after the `n`-th failed attempt (n ≥ 1): base × 2^(n−1), at most `delai_max`.
    pub fn delai(&self, n: i32) -> Duration {
        let doublements = n.saturating_sub(1).clamp(0, 30) as u32;
        self.delai_base
            .saturating_mul(1u32 << doublements)
            .min(self.delai_max)
    }
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Bilan {
    pub envoyes: usize,
    /// Failed, to be tried again.
    pub echecs: usize,
    pub abandonnes: usize,
    /// Not attempted: their channel is not configured on this server.
    pub differes: usize,
    /// Some syndic had a full batch: more may be due at once.
    pub plein: bool,
}

pub struct OutboxWorker {
    store: Store,
    envoyeurs: Arc<Envoyeurs>,
    config: OutboxConfig,
}

impl OutboxWorker {
    pub fn new(store: Store, envoyeurs: Envoyeurs, config: OutboxConfig) -> Self {
        OutboxWorker {
            store,
            envoyeurs: Arc::new(envoyeurs),
            config,
        }
    }

    /// One pass: a batch of the due messages of every syndic that has some.
    pub async fn passe(&self) -> Result<Bilan, StoreError> {
        self.passe_sauf_arret(&|| false).await
    }

    async fn passe_sauf_arret(
        &self,
        arret: &(dyn Fn() -> bool + Sync),
    ) -> Result<Bilan, StoreError> {
        let mut bilan = Bilan::default();
        for syndic in self.store.syndics_avec_envois_dus().await? {
            if arret() {
                break;
            }
            let mut t = self.store.tenant(syndic).await?;
            let lot = t.reserver_envois(self.config.lot, self.config.bail).await?;
            t.commit().await?;
            bilan.plein |= lot.len() as i64 >= self.config.lot;
            let mut restants = lot.into_iter();
            for envoi in restants.by_ref() {
                let issue = self.traiter(&envoi).await;
                let mut t = self.store.tenant(syndic).await?;
                let statut = t.terminer_envoi(envoi.id, &issue.as_issue()).await?;
                t.commit().await?;
                journaliser(syndic, &envoi, &issue, statut);
                match issue {
                    Issue::Envoye(_) => bilan.envoyes += 1,
                    Issue::Echec(..) => bilan.echecs += 1,
                    Issue::Abandonne(_) => bilan.abandonnes += 1,
                    Issue::Differe(..) => bilan.differes += 1,
                }
                if arret() {
                    break;
                }
            }
            // Stopping: what was claimed and not attempted goes back at once, not after the lease.
            let rendus: Vec<i64> = restants.map(|e| e.id).collect();
            if !rendus.is_empty() {
                let mut t = self.store.tenant(syndic).await?;
                for id in rendus {
                    t.terminer_envoi(id, &IssueEnvoi::Rendu).await?;
                }
                t.commit().await?;
            }
        }
        Ok(bilan)
    }

    /// Sends one claimed message and says what to record.
    async fn traiter(&self, envoi: &EnvoiDu) -> Issue {
        let Some(envoyeur) = self.envoyeurs.get(envoi.canal) else {
            return Issue::Differe(
                format!(
                    "{} n'est pas configuré sur ce serveur ({}) : le message partira dès qu'il le sera",
                    envoi.canal.label(),
                    variables(envoi.canal)
                ),
                self.config.attente_canal,
            );
        };
        let message: MessageSortant = match serde_json::from_value(envoi.contenu.clone()) {
            Ok(m) => m,
            Err(e) => return Issue::Abandonne(format!("contenu du message illisible : {e}")),
        };
        let destinataire = Destinataire {
            adresse: &envoi.destinataire,
            dernier_entrant_le: envoi.dernier_entrant_le,
        };
        match envoyeur.envoyer(&destinataire, &message).await {
            Ok(a) => Issue::Envoye(a.reference),
            Err(e) => apres_echec(&self.config, envoi.tentatives + 1, e),
        }
    }

    /// Runs passes until `stop` turns true (or its sender is dropped); the message being sent
    /// is finished, the rest of the batch given back.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        loop {
            if *stop.borrow() {
                break;
            }
            let arret = {
                let stop = stop.clone();
                move || *stop.borrow()
            };
            let plein = match self.passe_sauf_arret(&arret).await {
                Ok(b) => b.plein,
                Err(e) => {
                    tracing::error!("outbox : {e}");
                    false
                }
            };
            if plein {
                continue;
            }
            tokio::select! {
                changed = stop.changed() => if changed.is_err() { break },
                () = tokio::time::sleep(self.config.intervalle) => {}
            }
        }
        tracing::info!("outbox : arrêt de l'envoi");
    }

    /// [`OutboxWorker::run`] on a task of its own.
    pub fn spawn(self, stop: watch::Receiver<bool>) -> JoinHandle<()> {
        tokio::spawn(self.run(stop))
    }
}

/// After the `n`-th attempt failed with `e`: abandoned when permanent or the last one allowed,
/// else tried again after the backoff (or after what the provider asked, if longer).
fn apres_echec(config: &OutboxConfig, n: i32, e: EchecEnvoi) -> Issue {
    if e.permanent {
        return Issue::Abandonne(e.message);
    }
    if n >= config.max_tentatives {
        return Issue::Abandonne(format!("{} ({n} tentatives)", e.message));
    }
    let attente = config.delai(n).max(e.reessayer_apres.unwrap_or_default());
    Issue::Echec(e.message, attente)
}

/// What to record after an attempt.
#[derive(Debug, PartialEq)]
enum Issue {
    Envoye(Option<String>),
    Echec(String, Duration),
    Abandonne(String),
    Differe(String, Duration),
}

impl Issue {
    fn as_issue(&self) -> IssueEnvoi<'_> {
        match self {
            Issue::Envoye(r) => IssueEnvoi::Envoye {
                reference: r.as_deref(),
            },
            Issue::Echec(e, dans) => IssueEnvoi::Echec {
                erreur: e,
                dans: *dans,
            },
            Issue::Abandonne(e) => IssueEnvoi::Abandonne { erreur: e },
            Issue::Differe(e, dans) => IssueEnvoi::Differe {
                erreur: e,
                dans: *dans,
            },
        }
    }
}

fn journaliser(syndic: i64, envoi: &EnvoiDu, issue: &Issue, statut: Option<StatutOutbox>) {
    let (id, canal) = (envoi.id, envoi.canal.label());
    match (issue, statut) {
        (_, None) => tracing::warn!(
            syndic,
            id,
            canal,
            "outbox : message modifié pendant l'envoi"
        ),
        (Issue::Envoye(_), _) => tracing::info!(syndic, id, canal, "outbox : message envoyé"),
        (Issue::Echec(e, dans), _) => {
            tracing::warn!(
                syndic,
                id,
                canal,
                "outbox : échec, nouvel essai dans {dans:?} : {e}"
            )
        }
        (Issue::Abandonne(e), _) => tracing::error!(syndic, id, canal, "outbox : abandonné : {e}"),
        (Issue::Differe(e, _), _) => tracing::warn!(syndic, id, canal, "outbox : en attente : {e}"),
    }
}

/// The settings that configure a channel.
fn variables(canal: Canal) -> &'static str {
    match canal {
        Canal::Telegram => "TELEGRAM_BOT_TOKEN",
        Canal::Whatsapp => "WHATSAPP_TOKEN, WHATSAPP_PHONE_NUMBER_ID",
        Canal::Email => "SMTP_URL, SMTP_FROM",
        Canal::Web | Canal::Cli => "canal sans envoi",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_ceiling() {
        let c = OutboxConfig::default();
        let minutes: Vec<u64> = (1..=10).map(|n| c.delai(n).as_secs() / 60).collect();
        assert_eq!(minutes, [1, 2, 4, 8, 16, 32, 64, 128, 256, 360]);
        assert_eq!(c.delai(0), c.delai_base);
        assert_eq!(c.delai(i32::MAX), c.delai_max);
    }

    #[test]
    fn a_failure_is_retried_until_the_last_attempt_unless_permanent() {
        let c = OutboxConfig {
            max_tentatives: 3,
            ..OutboxConfig::default()
        };
        let panne = || EchecEnvoi::temporaire("Telegram injoignable");
        assert_eq!(
            apres_echec(&c, 1, panne()),
            Issue::Echec("Telegram injoignable".into(), Duration::from_secs(60))
        );
        assert_eq!(
            apres_echec(&c, 2, panne()),
            Issue::Echec("Telegram injoignable".into(), Duration::from_secs(120))
        );
        assert_eq!(
            apres_echec(&c, 3, panne()),
            Issue::Abandonne("Telegram injoignable (3 tentatives)".into())
        );
        assert_eq!(
            apres_echec(&c, 1, EchecEnvoi::permanent("chat not found")),
            Issue::Abandonne("chat not found".into())
        );
        // The provider's "retry after" wins over a shorter backoff.
        let lent = EchecEnvoi {
            reessayer_apres: Some(Duration::from_secs(600)),
            ..panne()
        };
        assert_eq!(
            apres_echec(&c, 1, lent),
            Issue::Echec("Telegram injoignable".into(), Duration::from_secs(600))
        );
    }
}
