//! The yearly financial report of a résidence: calls, receipts, expenses, budget vs actual.

use super::{PAYE_ECHEANCE, Result, Tenant};
use crate::types::Categorie;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The headline figures of a résidence's year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, sqlx::FromRow)]
pub struct RapportChiffres {
    /// Total of the échéances of the appels whose period starts in the year.
    pub appels_emis: Decimal,
    /// Payments received in the year (by payment date), cancelled ones excluded.
    pub encaissements: Decimal,
    /// Validated or paid supplier invoices dated in the year (TTC).
    pub depenses: Decimal,
    /// `encaissements - depenses`: cash received against expenses incurred (validated or paid
    /// invoices of the year, paid or not).
    pub resultat: Decimal,
    /// Total of the year's budget lines.
    pub budget_total: Decimal,
    /// Validated invoices dated up to the end of the year and still unpaid today (TTC): a past
    /// year's figure shrinks as its invoices get paid.
    pub factures_a_payer: Decimal,
    /// Still owed, as of today, on the year's échéances already due.
    pub impayes: Decimal,
    /// Share of the year's échéances already due that has been paid, in percent (1 decimal).
    pub taux_recouvrement: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, sqlx::FromRow)]
pub struct DepenseCategorie {
    pub categorie: Categorie,
    pub nb_factures: i64,
    pub montant_ht: Decimal,
    pub montant_tva: Decimal,
    pub montant_ttc: Decimal,
}

/// Budget vs actual for one category.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, sqlx::FromRow)]
pub struct BudgetEcart {
    pub categorie: Categorie,
    pub budget: Decimal,
    pub realise: Decimal,
    /// `realise - budget`: positive = overspent.
    pub ecart: Decimal,
    /// `realise / budget` in percent (1 decimal); none without a budget.
    pub taux_execution: Option<Decimal>,
}

const DEPENSES_DE_L_ANNEE: &str = "
    SELECT f.categorie, f.montant_ht, f.montant_tva, f.montant_ttc FROM factures f
    WHERE f.residence_id = $1 AND f.statut IN ('validee', 'payee')
      AND f.date_facture >= make_date($2, 1, 1) AND f.date_facture < make_date($2 + 1, 1, 1)";

impl Tenant {
    pub async fn rapport_chiffres(
        &mut self,
        residence_id: i64,
        annee: i32,
        today: NaiveDate,
    ) -> Result<RapportChiffres> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "WITH ech AS (
                 SELECT e.montant, e.date_echeance,
                        greatest(e.montant - {PAYE_ECHEANCE}, 0) AS reste
                 FROM echeances e JOIN appels_de_fonds ap ON ap.id = e.appel_id
                 WHERE e.residence_id = $1
                   AND ap.periode_debut >= make_date($2, 1, 1) AND ap.periode_debut < make_date($2 + 1, 1, 1)),
             enc AS (
                 SELECT coalesce(sum(montant), 0) AS total FROM paiements
                 WHERE residence_id = $1 AND annule_le IS NULL
                   AND date_paiement >= make_date($2, 1, 1) AND date_paiement < make_date($2 + 1, 1, 1)),
             dep AS (SELECT coalesce(sum(montant_ttc), 0) AS total FROM ({DEPENSES_DE_L_ANNEE}) d),
             echu AS (SELECT coalesce(sum(montant), 0) AS appele, coalesce(sum(reste), 0) AS reste
                      FROM ech WHERE date_echeance < $3)
             SELECT (SELECT coalesce(sum(montant), 0) FROM ech) AS appels_emis,
                    enc.total AS encaissements,
                    dep.total AS depenses,
                    enc.total - dep.total AS resultat,
                    (SELECT coalesce(sum(bl.montant), 0) FROM budgets b JOIN budget_lignes bl ON bl.budget_id = b.id
                     WHERE b.residence_id = $1 AND b.annee = $2) AS budget_total,
                    (SELECT coalesce(sum(montant_ttc), 0) FROM factures
                     WHERE residence_id = $1 AND statut = 'validee' AND date_facture < make_date($2 + 1, 1, 1)) AS factures_a_payer,
                    echu.reste AS impayes,
                    CASE WHEN echu.appele > 0
                         THEN round(100 * (echu.appele - echu.reste) / echu.appele, 1) END AS taux_recouvrement
             FROM enc, dep, echu"
        )))
        .bind(residence_id)
        .bind(annee)
        .bind(today)
        .fetch_one(&mut *self.tx)
        .await?)
    }

    pub async fn depenses_par_categorie(
        &mut self,
        residence_id: i64,
        annee: i32,
    ) -> Result<Vec<DepenseCategorie>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT categorie, count(*) AS nb_factures, sum(montant_ht) AS montant_ht,
                    sum(montant_tva) AS montant_tva, sum(montant_ttc) AS montant_ttc
             FROM ({DEPENSES_DE_L_ANNEE}) d GROUP BY categorie ORDER BY montant_ttc DESC, categorie"
        )))
        .bind(residence_id)
        .bind(annee)
        .fetch_all(&mut *self.tx)
        .await?)
    }

    /// Every budget line of the year and every category with expenses, side by side.
    pub async fn budget_vs_realise(
        &mut self,
        residence_id: i64,
        annee: i32,
    ) -> Result<Vec<BudgetEcart>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "WITH b AS (
                 SELECT bl.categorie, bl.montant FROM budgets b JOIN budget_lignes bl ON bl.budget_id = b.id
                 WHERE b.residence_id = $1 AND b.annee = $2),
             r AS (SELECT categorie, sum(montant_ttc) AS montant FROM ({DEPENSES_DE_L_ANNEE}) d GROUP BY categorie)
             SELECT coalesce(b.categorie, r.categorie) AS categorie,
                    coalesce(b.montant, 0) AS budget,
                    coalesce(r.montant, 0) AS realise,
                    coalesce(r.montant, 0) - coalesce(b.montant, 0) AS ecart,
                    CASE WHEN b.montant > 0 THEN round(100 * coalesce(r.montant, 0) / b.montant, 1) END AS taux_execution
             FROM b FULL JOIN r ON r.categorie = b.categorie
             ORDER BY coalesce(b.categorie, r.categorie)"
        )))
        .bind(residence_id)
        .bind(annee)
        .fetch_all(&mut *self.tx)
        .await?)
    }
}
