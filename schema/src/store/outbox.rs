//! The outbox of outbound messages (Telegram, WhatsApp, e-mail): what a worker claims, and what
//! it records after each attempt. Operators list it and queue dead letters again.
//!
//! A claim flips due messages to `envoi` with a lease (`prochaine_tentative` = its end) in a
//! short transaction (`FOR UPDATE SKIP LOCKED`: two workers never claim the same message); the
//! sending happens outside any transaction; the outcome is recorded in another one. A worker that
//! dies mid-send leaves the message `envoi` until the lease ends, then it is claimed again: a
//! message is sent at least once, and twice only if a worker dies between sending and recording.

use super::{Result, Store, Tenant};
use crate::types::{Canal, StatutOutbox};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;
use std::time::Duration;

/// A message claimed for sending.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct EnvoiDu {
    pub id: i64,
    pub canal: Canal,
    pub destinataire: String,
    pub contenu: serde_json::Value,
    /// Attempts already made (this one not counted).
    pub tentatives: i32,
    /// Last message received from the recipient on this channel (WhatsApp's 24-hour window).
    pub dernier_entrant_le: Option<DateTime<Utc>>,
}

/// What came of one attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum IssueEnvoi<'a> {
    Envoye {
        reference: Option<&'a str>,
    },
    /// Counted as an attempt; tried again after `dans`.
    Echec {
        erreur: &'a str,
        dans: Duration,
    },
    /// Counted as an attempt; never tried again (dead letter).
    Abandonne {
        erreur: &'a str,
    },
    /// Not attempted (the channel is not configured on this server): not counted, tried again
    /// after `dans`.
    Differe {
        erreur: &'a str,
        dans: Duration,
    },
    /// Not attempted (the worker is stopping): back to the queue at once, not counted.
    Rendu,
}

/// A message as an operator lists it (`wakil outbox`).
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct OutboxLigne {
    pub id: i64,
    pub syndic: String,
    pub canal: Canal,
    pub destinataire: String,
    pub statut: StatutOutbox,
    pub tentatives: i32,
    pub prochaine_tentative: DateTime<Utc>,
    pub derniere_erreur: Option<String>,
    pub envoye_le: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl Store {
    /// The syndics that have messages due now (cross-tenant, ids only: `wakil_outbox_syndics_dus`).
    pub async fn syndics_avec_envois_dus(&self) -> Result<Vec<i64>> {
        Ok(
            sqlx::query_scalar("SELECT syndic_id FROM wakil_outbox_syndics_dus() ORDER BY 1")
                .fetch_all(&self.pool)
                .await?,
        )
    }
}

impl Tenant {
    /// Claims up to `limite` due messages, oldest due first, for `bail`; messages another
    /// transaction holds are skipped. Commit before sending.
    pub async fn reserver_envois(&mut self, limite: i64, bail: Duration) -> Result<Vec<EnvoiDu>> {
        Ok(sqlx::query_as(
            "UPDATE outbox o SET statut = 'envoi', prochaine_tentative = now() + $2
             FROM (SELECT id FROM outbox
                   WHERE statut IN ('en_attente', 'envoi', 'echec') AND prochaine_tentative <= now()
                   ORDER BY prochaine_tentative, id
                   LIMIT $1
                   FOR UPDATE SKIP LOCKED) d
             WHERE o.id = d.id
             RETURNING o.id, o.canal, o.destinataire, o.contenu, o.tentatives,
                       (SELECT l.dernier_entrant_le FROM channel_links l
                        WHERE l.canal = o.canal AND l.identifiant = o.destinataire) AS dernier_entrant_le",
        )
        .bind(limite)
        .bind(bail)
        .fetch_all(&mut *self.tx)
        .await?)
    }

    /// Records the outcome of an attempt on a claimed message; returns its new state (`None`
    /// when it is no longer claimed, e.g. an operator changed it meanwhile).
    pub async fn terminer_envoi(
        &mut self,
        id: i64,
        issue: &IssueEnvoi<'_>,
    ) -> Result<Option<StatutOutbox>> {
        // `statut` none: back to what it was before the claim.
        let (statut, compte, erreur, dans, reference) = match issue {
            IssueEnvoi::Envoye { reference } => (
                Some(StatutOutbox::Envoye),
                1,
                None,
                Duration::ZERO,
                *reference,
            ),
            IssueEnvoi::Echec { erreur, dans } => {
                (Some(StatutOutbox::Echec), 1, Some(*erreur), *dans, None)
            }
            IssueEnvoi::Abandonne { erreur } => (
                Some(StatutOutbox::Abandonne),
                1,
                Some(*erreur),
                Duration::ZERO,
                None,
            ),
            IssueEnvoi::Differe { erreur, dans } => {
                (Some(StatutOutbox::Echec), 0, Some(*erreur), *dans, None)
            }
            IssueEnvoi::Rendu => (None, 0, None, Duration::ZERO, None),
        };
        Ok(sqlx::query_scalar(
            "UPDATE outbox SET statut = coalesce($2, CASE WHEN tentatives > 0 THEN 'echec'::statut_outbox
                                                          ELSE 'en_attente'::statut_outbox END),
                    tentatives = tentatives + $3,
                    derniere_erreur = coalesce($4, derniere_erreur),
                    prochaine_tentative = now() + $5,
                    envoye_le = CASE WHEN $2 IS NOT DISTINCT FROM 'envoye'::statut_outbox THEN now() END,
                    reference_externe = $6
             WHERE id = $1 AND statut = 'envoi'
             RETURNING statut",
        )
        .bind(id)
        .bind(statut)
        .bind(compte)
        .bind(erreur)
        .bind(dans)
        .bind(reference)
        .fetch_optional(&mut *self.tx)
        .await?)
    }
}

/// The latest messages of every syndic, optionally of one status (operator command, owner pool).
pub async fn lister_outbox(
    admin: &PgPool,
    statut: Option<StatutOutbox>,
    limite: i64,
) -> Result<Vec<OutboxLigne>> {
    Ok(sqlx::query_as(
        "SELECT o.id, s.nom AS syndic, o.canal, o.destinataire, o.statut, o.tentatives,
                o.prochaine_tentative, o.derniere_erreur, o.envoye_le, o.created_at
         FROM outbox o JOIN syndics s ON s.id = o.syndic_id
         WHERE $1::statut_outbox IS NULL OR o.statut = $1
         ORDER BY o.id DESC LIMIT $2",
    )
    .bind(statut)
    .bind(limite)
    .fetch_all(admin)
    .await?)
}

/// Queues an abandoned message again (attempts reset); false when `id` is not a dead letter
/// (operator command, owner pool).
pub async fn relancer_abandonne(admin: &PgPool, id: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE outbox SET statut = 'en_attente', tentatives = 0, prochaine_tentative = now()
         WHERE id = $1 AND statut = 'abandonne'",
    )
    .bind(id)
    .execute(admin)
    .await?;
    Ok(done.rows_affected() == 1)
}
