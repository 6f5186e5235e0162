//! Recording a payment: what it is allocated to (a co-owner's open échéances in one résidence,
//! oldest first), the checks that keep a payment from being recorded twice, and the payment read
//! back with its allocations. Cancelling a payment (never deleting it), and the credits of live
//! payments imputed to échéances opened later (a new appel, a reversal).

use super::{PAYE_ECHEANCE, ResidenceRef, Result, Tenant};
use crate::money::{OpenEcheance, allocate_oldest_first};
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

/// A payment already recorded (and not cancelled), as a duplicate check reports it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PaiementExistant {
    pub paiement_id: i64,
    pub date_paiement: NaiveDate,
    pub montant: Decimal,
    pub reference: Option<String>,
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
    /// The co-owner already has a live payment with this reference: nothing written.
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

/// A payment as a search for the one to cancel shows it, cancelled or not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, sqlx::FromRow)]
pub struct PaiementTrouve {
    pub paiement_id: i64,
    pub coproprietaire_id: i64,
    pub residence_id: i64,
    pub montant: Decimal,
    pub date_paiement: NaiveDate,
    pub mode: ModePaiement,
    pub reference: Option<String>,
    /// The day it was cancelled (Africa/Casablanca), by whom (their name) and why; none for a
    /// live payment.
    pub annule_le: Option<NaiveDate>,
    pub annule_par: Option<String>,
    pub motif_annulation: Option<String>,
}

/// How to find the payments to cancel: a co-owner's in a résidence, narrowed by what is known.
#[derive(Debug, Clone, Default)]
pub struct PaiementFiltre<'a> {
    /// Compared ignoring case and surrounding spaces.
    pub reference: Option<&'a str>,
    pub montant: Option<Decimal>,
    pub date_paiement: Option<NaiveDate>,
}

/// What cancelling a payment did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Annulation {
    Annule,
    /// This confirmation had already cancelled payment `.0`: nothing written.
    DejaAnnuleeParCetteConfirmation(i64),
    /// The payment was already cancelled (by another confirmation): nothing written.
    DejaAnnule,
}

/// The part of a live payment allocated to no échéance: a credit of its co-owner.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CreditDisponible {
    pub paiement_id: i64,
    pub coproprietaire_id: i64,
    pub date_paiement: NaiveDate,
    pub disponible: Decimal,
}

/// A credit imputed to an échéance: `montant` of payment `paiement_id` now covers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CreditImpute {
    pub coproprietaire_id: i64,
    pub paiement_id: i64,
    pub echeance_id: i64,
    pub appel: String,
    pub lot: String,
    pub date_echeance: NaiveDate,
    pub montant: Decimal,
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

    /// A co-owner's live payment with this bank reference (ignoring case and surrounding
    /// spaces): what the unique index `paiements_reference_unique` compares. A cancelled payment
    /// gives its reference back.
    pub async fn paiement_par_reference(
        &mut self,
        coproprietaire_id: i64,
        reference: &str,
    ) -> Result<Option<PaiementExistant>> {
        Ok(sqlx::query_as(
            "SELECT id AS paiement_id, date_paiement, montant, reference
             FROM paiements
             WHERE coproprietaire_id = $1 AND lower(btrim(reference)) = lower(btrim($2))
               AND annule_le IS NULL",
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

    /// Allocates parts of a payment: `(échéance, amount)`. A part for an échéance the payment
    /// already covers in part (its credit imputed after a reversal reopened it) is added to it.
    pub async fn inserer_allocations(
        &mut self,
        paiement_id: i64,
        parts: &[(i64, Decimal)],
    ) -> Result<()> {
        let (echeances, montants): (Vec<i64>, Vec<Decimal>) = parts.iter().copied().unzip();
        sqlx::query(
            "INSERT INTO allocations (syndic_id, paiement_id, echeance_id, montant)
             SELECT $1, $2, e, m FROM UNNEST($3::bigint[], $4::numeric[]) AS u (e, m)
             ON CONFLICT (paiement_id, echeance_id)
             DO UPDATE SET montant = allocations.montant + EXCLUDED.montant",
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

    /// The credits of the live payments of a résidence (of one co-owner when given), by
    /// co-owner, oldest payment first.
    pub async fn credits_disponibles(
        &mut self,
        residence_id: i64,
        coproprietaire_id: Option<i64>,
    ) -> Result<Vec<CreditDisponible>> {
        Ok(sqlx::query_as(
            "SELECT * FROM (
                 SELECT p.id AS paiement_id, p.coproprietaire_id, p.date_paiement,
                        p.montant - coalesce((SELECT sum(a.montant) FROM allocations a
                                              WHERE a.paiement_id = p.id), 0) AS disponible
                 FROM paiements p
                 WHERE p.residence_id = $1 AND p.annule_le IS NULL
                   AND ($2::bigint IS NULL OR p.coproprietaire_id = $2)) c
             WHERE disponible > 0
             ORDER BY coproprietaire_id, date_paiement, paiement_id",
        )
        .bind(residence_id)
        .bind(coproprietaire_id)
        .fetch_all(&mut *self.tx)
        .await?)
    }

    /// Imputes the credits of a résidence's co-owners (of one co-owner when given) to their open
    /// échéances there, oldest échéance first, the oldest payment's credit first: what keeps a
    /// credit from standing beside a debt once new échéances are called or a reversal reopens
    /// some. Each account is locked as a payment locks it ([`Tenant::verrouiller_echeances`]),
    /// then its credits and échéances are read again. Returns what was imputed.
    pub async fn imputer_credits(
        &mut self,
        residence_id: i64,
        coproprietaire_id: Option<i64>,
    ) -> Result<Vec<CreditImpute>> {
        let mut owners: Vec<i64> = self
            .credits_disponibles(residence_id, coproprietaire_id)
            .await?
            .into_iter()
            .map(|c| c.coproprietaire_id)
            .collect();
        owners.dedup();
        let mut imputed = Vec::new();
        for owner in owners {
            self.verrouiller_echeances(owner, residence_id).await?;
            let credits = self.credits_disponibles(residence_id, Some(owner)).await?;
            let mut open = self.echeances_ouvertes(owner, residence_id).await?;
            for credit in credits {
                let remaining: Vec<OpenEcheance<usize>> = open
                    .iter()
                    .enumerate()
                    .map(|(i, e)| OpenEcheance {
                        key: i,
                        remaining: e.reste,
                    })
                    .collect();
                let allocation = allocate_oldest_first(credit.disponible, &remaining);
                if allocation.parts.is_empty() {
                    break;
                }
                let mut parts = Vec::with_capacity(allocation.parts.len());
                for (i, montant) in allocation.parts {
                    let e = &mut open[i];
                    e.reste -= montant;
                    parts.push((e.echeance_id, montant));
                    imputed.push(CreditImpute {
                        coproprietaire_id: owner,
                        paiement_id: credit.paiement_id,
                        echeance_id: e.echeance_id,
                        appel: e.appel.clone(),
                        lot: e.lot.clone(),
                        date_echeance: e.date_echeance,
                        montant,
                    });
                }
                self.inserer_allocations(credit.paiement_id, &parts).await?;
            }
        }
        Ok(imputed)
    }

    /// A payment by id, cancelled or not.
    pub async fn paiement_trouve(&mut self, paiement_id: i64) -> Result<Option<PaiementTrouve>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{PAIEMENT_TROUVE} WHERE p.id = $1"
        )))
        .bind(paiement_id)
        .fetch_optional(&mut *self.tx)
        .await?)
    }

    /// A co-owner's payments in a résidence that fit `f`, cancelled or not, latest first.
    pub async fn paiements_trouves(
        &mut self,
        coproprietaire_id: i64,
        residence_id: i64,
        f: &PaiementFiltre<'_>,
    ) -> Result<Vec<PaiementTrouve>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{PAIEMENT_TROUVE}
             WHERE p.coproprietaire_id = $1 AND p.residence_id = $2
               AND ($3::text IS NULL OR lower(btrim(p.reference)) = lower(btrim($3)))
               AND ($4::numeric IS NULL OR p.montant = $4)
               AND ($5::date IS NULL OR p.date_paiement = $5)
             ORDER BY p.date_paiement DESC, p.id DESC
             LIMIT 50"
        )))
        .bind(coproprietaire_id)
        .bind(residence_id)
        .bind(f.reference)
        .bind(f.montant)
        .bind(f.date_paiement)
        .fetch_all(&mut *self.tx)
        .await?)
    }

    /// The payment a confirmation cancelled, if any.
    pub async fn paiement_par_annulation(&mut self, confirmation: Uuid) -> Result<Option<i64>> {
        Ok(
            sqlx::query_scalar("SELECT id FROM paiements WHERE annulation_confirmation_id = $1")
                .bind(confirmation)
                .fetch_optional(&mut *self.tx)
                .await?,
        )
    }

    /// Marks a live payment cancelled by `user` for `motif`, under `confirmation` (unique): its
    /// allocations stop counting (see `PAYE_ECHEANCE`), the row and its allocations stay. A
    /// concurrent cancellation of the same payment waits for the first and then finds it done.
    pub async fn annuler_paiement(
        &mut self,
        paiement_id: i64,
        confirmation: Uuid,
        user_id: i64,
        motif: &str,
    ) -> Result<Annulation> {
        let done: Option<i64> = sqlx::query_scalar(
            "UPDATE paiements
             SET annule_le = now(), annule_par = $3, motif_annulation = $4,
                 annulation_confirmation_id = $2
             WHERE id = $1 AND annule_le IS NULL
               AND NOT EXISTS (SELECT 1 FROM paiements WHERE annulation_confirmation_id = $2)
             RETURNING id",
        )
        .bind(paiement_id)
        .bind(confirmation)
        .bind(user_id)
        .bind(motif)
        .fetch_optional(&mut *self.tx)
        .await?;
        if done.is_some() {
            return Ok(Annulation::Annule);
        }
        Ok(match self.paiement_par_annulation(confirmation).await? {
            Some(id) => Annulation::DejaAnnuleeParCetteConfirmation(id),
            None => Annulation::DejaAnnule,
        })
    }
}

/// A payment with who cancelled it (see [`PaiementTrouve`]).
const PAIEMENT_TROUVE: &str = "
    SELECT p.id AS paiement_id, p.coproprietaire_id, p.residence_id, p.montant, p.date_paiement,
           p.mode, p.reference, (p.annule_le AT TIME ZONE 'Africa/Casablanca')::date AS annule_le,
           u.nom_complet AS annule_par, p.motif_annulation
    FROM paiements p LEFT JOIN users u ON u.id = p.annule_par";
