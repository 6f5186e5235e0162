//! A co-owner's account: what was called, what was paid, how each payment was allocated.

use super::{PAYE_ECHEANCE, Result, Tenant};
use crate::types::ModePaiement;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, sqlx::FromRow)]
pub struct EcheanceDetail {
    pub echeance_id: i64,
    pub appel: String,
    pub residence: String,
    pub lot: String,
    pub date_echeance: NaiveDate,
    pub montant: Decimal,
    pub paye: Decimal,
    pub reste: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, sqlx::FromRow)]
pub struct PaiementDetail {
    pub paiement_id: i64,
    pub date_paiement: NaiveDate,
    pub montant: Decimal,
    pub mode: ModePaiement,
    pub reference: Option<String>,
    /// Part of the payment allocated to échéances; the rest is a credit.
    pub alloue: Decimal,
    /// Échéances this payment covered, oldest first.
    #[sqlx(json)]
    pub allocations: Vec<AllocationDetail>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AllocationDetail {
    pub echeance_id: i64,
    pub appel: String,
    pub lot: String,
    pub montant: Decimal,
}

/// Totals of a co-owner's account as of a date, all computed by SQL.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, sqlx::FromRow)]
pub struct SoldeChiffres {
    /// Sum of all échéances called.
    pub total_appele: Decimal,
    /// Sum of all non-cancelled payments.
    pub total_paye: Decimal,
    /// `total_appele - total_paye`: positive = still owed, negative = credit.
    pub solde: Decimal,
    /// Remaining on échéances already due (the impayé).
    pub echu_impaye: Decimal,
    /// Remaining on échéances not yet due.
    pub a_echoir: Decimal,
    /// Payments not allocated to any échéance.
    pub credit: Decimal,
}

impl Tenant {
    /// A co-owner's échéances, only those of `residence` when given (a président's scope).
    pub async fn echeances_of(
        &mut self,
        coproprietaire_id: i64,
        residence: Option<i64>,
    ) -> Result<Vec<EcheanceDetail>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT e.id AS echeance_id, ap.libelle AS appel, r.nom AS residence, l.numero AS lot,
                    e.date_echeance, e.montant, x.paye, e.montant - x.paye AS reste
             FROM echeances e
             JOIN appels_de_fonds ap ON ap.id = e.appel_id
             JOIN residences r ON r.id = e.residence_id
             JOIN lots l ON l.id = e.lot_id
             CROSS JOIN LATERAL (SELECT {PAYE_ECHEANCE} AS paye) x
             WHERE e.coproprietaire_id = $1 AND ($2::bigint IS NULL OR e.residence_id = $2)
             ORDER BY e.date_echeance, e.id"
        )))
        .bind(coproprietaire_id)
        .bind(residence)
        .fetch_all(&mut *self.tx)
        .await?)
    }

    /// A co-owner's payments, only those of `residence` when given.
    pub async fn paiements_of(
        &mut self,
        coproprietaire_id: i64,
        residence: Option<i64>,
    ) -> Result<Vec<PaiementDetail>> {
        Ok(sqlx::query_as(
            "SELECT p.id AS paiement_id, p.date_paiement, p.montant, p.mode, p.reference,
                    coalesce(sum(a.montant), 0) AS alloue,
                    coalesce(json_agg(json_build_object(
                                 'echeance_id', e.id, 'appel', ap.libelle, 'lot', l.numero,
                                 'montant', a.montant::text) ORDER BY e.date_echeance, e.id)
                             FILTER (WHERE a.id IS NOT NULL), '[]') AS allocations
             FROM paiements p
             LEFT JOIN allocations a ON a.paiement_id = p.id
             LEFT JOIN echeances e ON e.id = a.echeance_id
             LEFT JOIN appels_de_fonds ap ON ap.id = e.appel_id
             LEFT JOIN lots l ON l.id = e.lot_id
             WHERE p.coproprietaire_id = $1 AND p.annule_le IS NULL
               AND ($2::bigint IS NULL OR p.residence_id = $2)
             GROUP BY p.id
             ORDER BY p.date_paiement, p.id",
        )
        .bind(coproprietaire_id)
        .bind(residence)
        .fetch_all(&mut *self.tx)
        .await?)
    }

    /// The account's totals, restricted to `residence` when given (a président's scope).
    /// Remainders count only what is still owed: an over-allocated échéance never lowers them.
    pub async fn solde_chiffres(
        &mut self,
        coproprietaire_id: i64,
        residence: Option<i64>,
        today: NaiveDate,
    ) -> Result<SoldeChiffres> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "WITH e AS (
                 SELECT e.montant, e.date_echeance,
                        greatest(e.montant - {PAYE_ECHEANCE}, 0) AS reste
                 FROM echeances e
                 WHERE e.coproprietaire_id = $1 AND ($3::bigint IS NULL OR e.residence_id = $3)),
             p AS (
                 SELECT p.montant, coalesce((SELECT sum(a.montant) FROM allocations a
                            WHERE a.paiement_id = p.id), 0) AS alloue
                 FROM paiements p
                 WHERE p.coproprietaire_id = $1 AND p.annule_le IS NULL
                   AND ($3::bigint IS NULL OR p.residence_id = $3))
             SELECT (SELECT coalesce(sum(montant), 0) FROM e) AS total_appele,
                    (SELECT coalesce(sum(montant), 0) FROM p) AS total_paye,
                    (SELECT coalesce(sum(montant), 0) FROM e) - (SELECT coalesce(sum(montant), 0) FROM p) AS solde,
                    (SELECT coalesce(sum(reste), 0) FROM e WHERE date_echeance < $2) AS echu_impaye,
                    (SELECT coalesce(sum(reste), 0) FROM e WHERE date_echeance >= $2) AS a_echoir,
                    (SELECT coalesce(sum(montant - alloue), 0) FROM p) AS credit"
        )))
        .bind(coproprietaire_id)
        .bind(today)
        .bind(residence)
        .fetch_one(&mut *self.tx)
        .await?)
    }
}
