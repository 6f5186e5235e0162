//! Recording a payment: what it is allocated to (a co-owner's open échéances in one résidence,
//! oldest first), the checks that keep a payment from being recorded twice, and the payment read
//! back with its allocations.

use super::{PAYE_ECHEANCE, ResidenceRef, Result, Tenant};
use crate::types::ModePaiement;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// An échéance not fully paid, as a payment's allocation sees it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct EcheanceOuverte {
    pub echeance_id: i64,
    pub appel: String,
    pub lot: String,
    pub date_echeance: NaiveDate,
    pub montant: Decimal,
    /// What is still owed on it (never negative).
    pub reste: Decimal,
}

/// A payment already recorded, as a duplicate check reports it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PaiementExistant {
    pub paiement_id: i64,
    pub date_paiement: NaiveDate,
    pub montant: Decimal,
    pub reference: Option<String>,
    pub annule: bool,
}

/// A payment to insert.
#[derive(Debug, Clone)]
pub struct NouveauPaiement<'a> {
    pub coproprietaire_id: i64,
    pub residence_id: i64,
    pub montant: Decimal,
    pub date_paiement: NaiveDate,
    pub mode: ModePaiement,
    pub reference: Option<&'a str>,
    /// The confirmed pending action: a confirmation records one payment at most.
    pub confirmation: Uuid,
    pub enregistre_par: i64,
}

/// What inserting a payment did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Insertion {
    Inseree(i64),
    /// This confirmation has already recorded payment `.0`: nothing written.
    DejaEnregistree(i64),
    /// The co-owner already has a payment with this exact reference: nothing written.
    ReferenceDejaUtilisee,
}

/// A recorded payment with its allocations.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PaiementEnregistre {
    pub paiement_id: i64,
    pub coproprietaire_id: i64,
    pub residence_id: i64,
    pub montant: Decimal,
    pub date_paiement: NaiveDate,
    pub mode: ModePaiement,
    pub reference: Option<String>,
    #[sqlx(skip)]
    pub allocations: Vec<AllocationEnregistree>,
}

/// One échéance a payment covered, with what remains owed on it now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, sqlx::FromRow)]
pub struct AllocationEnregistree {
    pub echeance_id: i64,
    pub appel: String,
    pub lot: String,
    pub date_echeance: NaiveDate,
    /// Part of the payment allocated to this échéance.
    pub impute: Decimal,
    /// Still owed on the échéance (all payments counted).
    pub reste: Decimal,
}

impl Tenant {
    /// The résidences where a co-owner owns a lot now or has échéances, by name.
    pub async fn residences_of_coproprietaire(
        &mut self,
        coproprietaire_id: i64,
    ) -> Result<Vec<ResidenceRef>> {
        Ok(sqlx::query_as(
            "SELECT r.id, r.nom, r.ville FROM residences r
             WHERE EXISTS (SELECT 1 FROM proprietes p JOIN lots l ON l.id = p.lot_id
                           WHERE p.coproprietaire_id = $1 AND p.jusqu_au IS NULL
                             AND l.residence_id = r.id)
                OR EXISTS (SELECT 1 FROM echeances e
                           WHERE e.coproprietaire_id = $1 AND e.residence_id = r.id)
             ORDER BY r.nom",
        )
        .bind(coproprietaire_id)
        .fetch_all(&mut *self.tx)
        .await?)
    }

    /// The numbers of the lots a co-owner owns now in a résidence ("A24", "P04").
    pub async fn lots_of(
        &mut self,
        coproprietaire_id: i64,
        residence_id: i64,
    ) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT l.numero FROM proprietes p JOIN lots l ON l.id = p.lot_id
             WHERE p.coproprietaire_id = $1 AND p.jusqu_au IS NULL AND l.residence_id = $2
             ORDER BY l.numero",
        )
        .bind(coproprietaire_id)
        .bind(residence_id)
        .fetch_all(&mut *self.tx)
        .await?)
    }

    /// A co-owner's payment with this bank reference (ignoring case and surrounding spaces), a
    /// live one before a cancelled one.
    pub async fn paiement_par_reference(
        &mut self,
        coproprietaire_id: i64,
        reference: &str,
    ) -> Result<Option<PaiementExistant>> {
        Ok(sqlx::query_as(
            "SELECT id AS paiement_id, date_paiement, montant, reference, annule_le IS NOT NULL AS annule
             FROM paiements
             WHERE coproprietaire_id = $1 AND lower(btrim(reference)) = lower(btrim($2))
             ORDER BY annule_le IS NOT NULL, date_paiement DESC, id DESC
             LIMIT 1",
        )
        .bind(coproprietaire_id)
        .bind(reference)
        .fetch_optional(&mut *self.tx)
        .await?)
    }

    /// The payment a confirmation recorded, if any.
    pub async fn paiement_par_confirmation(&mut self, confirmation: Uuid) -> Result<Option<i64>> {
        Ok(
            sqlx::query_scalar("SELECT id FROM paiements WHERE confirmation_id = $1")
                .bind(confirmation)
                .fetch_optional(&mut *self.tx)
                .await?,
        )
    }

    /// A co-owner's échéances in a résidence that are not fully paid, oldest due date first:
    /// the order in which a payment covers them.
    pub async fn echeances_ouvertes(
        &mut self,
        coproprietaire_id: i64,
        residence_id: i64,
    ) -> Result<Vec<EcheanceOuverte>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT e.id AS echeance_id, ap.libelle AS appel, l.numero AS lot, e.date_echeance,
                    e.montant, greatest(e.montant - x.paye, 0) AS reste
             FROM echeances e
             JOIN appels_de_fonds ap ON ap.id = e.appel_id
             JOIN lots l ON l.id = e.lot_id
             CROSS JOIN LATERAL (SELECT {PAYE_ECHEANCE} AS paye) x
             WHERE e.coproprietaire_id = $1 AND e.residence_id = $2 AND e.montant > x.paye
             ORDER BY e.date_echeance, e.id"
        )))
        .bind(coproprietaire_id)
        .bind(residence_id)
        .fetch_all(&mut *self.tx)
        .await?)
    }

    /// Locks a co-owner's échéances in a résidence until the transaction ends, so that two
    /// payments of the same account are allocated one after the other. Read what is open with
    /// [`Tenant::echeances_ouvertes`] afterwards: that statement sees what a payment committed
    /// while this one waited.
    pub async fn verrouiller_echeances(
        &mut self,
        coproprietaire_id: i64,
        residence_id: i64,
    ) -> Result<()> {
        sqlx::query(
            "SELECT id FROM echeances WHERE coproprietaire_id = $1 AND residence_id = $2
             ORDER BY id FOR UPDATE",
        )
        .bind(coproprietaire_id)
        .bind(residence_id)
        .fetch_all(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Inserts a payment unless its confirmation or its (co-owner, reference) is already
    /// recorded: the unique constraints decide, even between concurrent transactions.
    pub async fn inserer_paiement(&mut self, p: &NouveauPaiement<'_>) -> Result<Insertion> {
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO paiements (syndic_id, coproprietaire_id, residence_id, montant, date_paiement,
                                    mode, reference, confirmation_id, enregistre_par)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT DO NOTHING
             RETURNING id",
        )
        .bind(self.syndic_id)
        .bind(p.coproprietaire_id)
        .bind(p.residence_id)
        .bind(p.montant)
        .bind(p.date_paiement)
        .bind(p.mode)
        .bind(p.reference)
        .bind(p.confirmation)
        .bind(p.enregistre_par)
        .fetch_optional(&mut *self.tx)
        .await?;
        if let Some(id) = id {
            return Ok(Insertion::Inseree(id));
        }
        // The conflicting row is committed (ON CONFLICT waited for it): this statement sees it.
        Ok(
            match self.paiement_par_confirmation(p.confirmation).await? {
                Some(id) => Insertion::DejaEnregistree(id),
                None => Insertion::ReferenceDejaUtilisee,
            },
        )
    }

    /// Allocates parts of a payment: `(échéance, amount)`.
    pub async fn inserer_allocations(
        &mut self,
        paiement_id: i64,
        parts: &[(i64, Decimal)],
    ) -> Result<()> {
        let (echeances, montants): (Vec<i64>, Vec<Decimal>) = parts.iter().copied().unzip();
        sqlx::query(
            "INSERT INTO allocations (syndic_id, paiement_id, echeance_id, montant)
             SELECT $1, $2, e, m FROM UNNEST($3::bigint[], $4::numeric[]) AS u (e, m)",
        )
        .bind(self.syndic_id)
        .bind(paiement_id)
        .bind(&echeances)
        .bind(&montants)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// A payment with its allocations (oldest échéance first) and what remains on each.
    pub async fn paiement_enregistre(
        &mut self,
        paiement_id: i64,
    ) -> Result<Option<PaiementEnregistre>> {
        let paiement: Option<PaiementEnregistre> = sqlx::query_as(
            "SELECT id AS paiement_id, coproprietaire_id, residence_id, montant, date_paiement, mode, reference
             FROM paiements WHERE id = $1",
        )
        .bind(paiement_id)
        .fetch_optional(&mut *self.tx)
        .await?;
        let Some(mut paiement) = paiement else {
            return Ok(None);
        };
        paiement.allocations = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT e.id AS echeance_id, ap.libelle AS appel, l.numero AS lot, e.date_echeance,
                    al.montant AS impute, greatest(e.montant - x.paye, 0) AS reste
             FROM allocations al
             JOIN echeances e ON e.id = al.echeance_id
             JOIN appels_de_fonds ap ON ap.id = e.appel_id
             JOIN lots l ON l.id = e.lot_id
             CROSS JOIN LATERAL (SELECT {PAYE_ECHEANCE} AS paye) x
             WHERE al.paiement_id = $1
             ORDER BY e.date_echeance, e.id"
        )))
        .bind(paiement_id)
        .fetch_all(&mut *self.tx)
        .await?;
        Ok(Some(paiement))
    }
}
