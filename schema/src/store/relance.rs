//! Reminders (`send_relance`): the debtors with the exact amount they owe and their oldest due
//! date (the impayés query, grouped per co-owner), how each can be reached, when each was last
//! reminded, and the reminder recorded together with its outbox message.

use super::impayes::{impayes_args, impayes_sql};
use super::{ImpayeFiltre, Result, Tenant, push};
use crate::types::{Canal, Langue, StatutOutbox};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

/// What one co-owner owes, over their lots: the impayés lines of `query_impayes` added up.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Debiteur {
    pub coproprietaire_id: i64,
    /// "Mme Khadija Lahlou".
    pub coproprietaire: String,
    /// "M.", "Mme", "Société" or none.
    pub civilite: Option<String>,
    pub prenom: Option<String>,
    pub nom: String,
    pub langue: Langue,
    /// Remaining amount due on their past-due échéances (MAD).
    pub montant_du: Decimal,
    pub plus_ancienne_echeance: NaiveDate,
    pub jours_retard: i32,
    /// The lots with an amount due and their résidence, by résidence then lot: `residences[i]`
    /// is the résidence of `lots[i]`.
    pub residences: Vec<String>,
    pub lots: Vec<String>,
}

/// A way to reach a co-owner: a verified channel link of one of their users, or the e-mail of
/// their co-owner record (`user_id` none).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Contact {
    pub coproprietaire_id: i64,
    pub canal: Canal,
    /// Telegram chat id, WhatsApp number, e-mail address.
    pub adresse: String,
    pub user_id: Option<i64>,
    /// Last message received from them on this channel (WhatsApp's 24-hour window).
    pub dernier_entrant_le: Option<DateTime<Utc>>,
}

/// The last reminder of a co-owner that was not abandoned.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DerniereRelance {
    pub coproprietaire_id: i64,
    pub date_relance: NaiveDate,
    pub canal: Option<Canal>,
}

/// A reminder to record, with the message to queue.
#[derive(Debug, Clone)]
pub struct NouvelleRelance<'a> {
    pub coproprietaire_id: i64,
    pub montant_du: Decimal,
    pub plus_ancienne_echeance: NaiveDate,
    pub canal: Canal,
    pub destinataire: &'a str,
    pub user_id: Option<i64>,
    /// The message, as the senders read it.
    pub contenu: &'a serde_json::Value,
    /// Sent although the co-owner was reminded within the delay.
    pub forcee: bool,
    pub confirmation: Uuid,
    pub envoyee_par: i64,
    pub date_relance: NaiveDate,
}

/// A recorded reminder and the state of its message.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct RelanceEnregistree {
    pub relance_id: i64,
    pub coproprietaire_id: i64,
    pub coproprietaire: String,
    pub montant_du: Decimal,
    pub plus_ancienne_echeance: NaiveDate,
    pub canal: Option<Canal>,
    pub outbox_id: Option<i64>,
    pub forcee: bool,
    pub statut: Option<StatutOutbox>,
}

impl Tenant {
    /// What each of `coproprietaires` owes now in `residence_id` (all résidences when none), as
    /// the impayés query computes it; co-owners who owe nothing are absent. Largest debt first.
    pub async fn debiteurs(
        &mut self,
        today: NaiveDate,
        residence_id: Option<i64>,
        coproprietaires: &[i64],
    ) -> Result<Vec<Debiteur>> {
        let sql = format!(
            "WITH i AS ({})
             SELECT c.id AS coproprietaire_id,
                    concat_ws(' ', c.civilite, c.prenom, c.nom) AS coproprietaire,
                    c.civilite, c.prenom, c.nom, c.langue,
                    sum(i.montant_du) AS montant_du,
                    min(i.plus_ancienne_echeance) AS plus_ancienne_echeance,
                    max(i.jours_retard) AS jours_retard,
                    array_agg(i.residence ORDER BY i.residence, i.lot) AS residences,
                    array_agg(i.lot ORDER BY i.residence, i.lot) AS lots
             FROM i JOIN coproprietaires c ON c.id = i.coproprietaire_id
             WHERE i.coproprietaire_id = ANY($7)
             GROUP BY c.id
             ORDER BY montant_du DESC, c.nom, c.id",
            impayes_sql()
        );
        let filtre = ImpayeFiltre {
            residence_id,
            ..ImpayeFiltre::default()
        };
        let mut args = impayes_args(today, &filtre)?;
        push(&mut args, coproprietaires)?;
        Ok(sqlx::query_as_with(sqlx::AssertSqlSafe(sql), args)
            .fetch_all(&mut *self.tx)
            .await?)
    }

    /// Every way to reach `coproprietaires`: the verified channel links of their active users,
    /// then the e-mail of their co-owner record.
    pub async fn contacts(&mut self, coproprietaires: &[i64]) -> Result<Vec<Contact>> {
        Ok(sqlx::query_as(
            "SELECT u.coproprietaire_id, l.canal, l.identifiant AS adresse, l.user_id,
                    l.dernier_entrant_le
             FROM channel_links l JOIN users u ON u.id = l.user_id
             WHERE u.coproprietaire_id = ANY($1) AND u.actif AND l.verifie_le IS NOT NULL
             UNION ALL
             SELECT c.id, 'email'::canal, btrim(c.email), NULL::bigint, NULL::timestamptz
             FROM coproprietaires c
             WHERE c.id = ANY($1) AND btrim(coalesce(c.email, '')) <> ''
             ORDER BY 1, 2, 4 NULLS LAST, 3",
        )
        .bind(coproprietaires)
        .fetch_all(&mut *self.tx)
        .await?)
    }

    /// The last reminder of each of `coproprietaires`, not counting those whose message was
    /// abandoned (it never reached them).
    pub async fn dernieres_relances(
        &mut self,
        coproprietaires: &[i64],
    ) -> Result<Vec<DerniereRelance>> {
        Ok(sqlx::query_as(
            "SELECT DISTINCT ON (r.coproprietaire_id) r.coproprietaire_id, r.date_relance, r.canal
             FROM relances r LEFT JOIN outbox o ON o.id = r.outbox_id
             WHERE r.coproprietaire_id = ANY($1) AND o.statut IS DISTINCT FROM 'abandonne'
             ORDER BY r.coproprietaire_id, r.date_relance DESC, r.id DESC",
        )
        .bind(coproprietaires)
        .fetch_all(&mut *self.tx)
        .await?)
    }

    /// Locks the co-owners' rows until the transaction ends, so that two confirmations reminding
    /// the same co-owner run one after the other (the second then sees the first's reminder).
    /// `FOR NO KEY UPDATE`: rows referencing them (payments…) can still be inserted meanwhile.
    pub async fn verrouiller_coproprietaires(&mut self, coproprietaires: &[i64]) -> Result<()> {
        sqlx::query(
            "SELECT id FROM coproprietaires WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE",
        )
        .bind(coproprietaires)
        .fetch_all(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// The reminders a confirmation recorded, largest debt first.
    pub async fn relances_par_confirmation(
        &mut self,
        confirmation: Uuid,
    ) -> Result<Vec<RelanceEnregistree>> {
        Ok(sqlx::query_as(
            "SELECT r.id AS relance_id, r.coproprietaire_id,
                    concat_ws(' ', c.civilite, c.prenom, c.nom) AS coproprietaire,
                    r.montant_du, r.plus_ancienne_echeance, r.canal, r.outbox_id, r.forcee,
                    o.statut
             FROM relances r
             JOIN coproprietaires c ON c.id = r.coproprietaire_id
             LEFT JOIN outbox o ON o.id = r.outbox_id
             WHERE r.confirmation_id = $1
             ORDER BY r.montant_du DESC, r.id",
        )
        .bind(confirmation)
        .fetch_all(&mut *self.tx)
        .await?)
    }

    /// Queues the message and records the reminder pointing at it, in one statement; nothing when
    /// this confirmation already reminded this co-owner. Returns `(relance, outbox)` ids. (Under
    /// [`Tenant::verrouiller_coproprietaires`] the check is exact; the unique constraint on
    /// `(confirmation_id, coproprietaire_id)` stands behind it.)
    pub async fn inserer_relance(&mut self, r: &NouvelleRelance<'_>) -> Result<Option<(i64, i64)>> {
        Ok(sqlx::query_as(
            "WITH o AS (
                 INSERT INTO outbox (syndic_id, canal, destinataire, user_id, coproprietaire_id, contenu)
                 SELECT $1, $2, $3, $4, $5, $6
                 WHERE NOT EXISTS (SELECT 1 FROM relances
                                   WHERE confirmation_id = $7 AND coproprietaire_id = $5)
                 RETURNING id)
             INSERT INTO relances (syndic_id, coproprietaire_id, montant_du, plus_ancienne_echeance,
                                   canal, outbox_id, forcee, envoyee_par, confirmation_id, date_relance)
             SELECT $1, $5, $8, $9, $2, o.id, $10, $11, $7, $12 FROM o
             RETURNING id, outbox_id",
        )
        .bind(self.syndic_id)
        .bind(r.canal)
        .bind(r.destinataire)
        .bind(r.user_id)
        .bind(r.coproprietaire_id)
        .bind(r.contenu)
        .bind(r.confirmation)
        .bind(r.montant_du)
        .bind(r.plus_ancienne_echeance)
        .bind(r.forcee)
        .bind(r.envoyee_par)
        .bind(r.date_relance)
        .fetch_optional(&mut *self.tx)
        .await?)
    }

    /// The name of this transaction's syndic, to sign its messages.
    pub async fn nom_syndic(&mut self) -> Result<String> {
        Ok(sqlx::query_scalar("SELECT nom FROM syndics WHERE id = $1")
            .bind(self.syndic_id)
            .fetch_one(&mut *self.tx)
            .await?)
    }
}
