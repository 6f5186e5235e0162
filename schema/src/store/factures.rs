//! Supplier invoices.

use super::{Result, Tenant, push};
use crate::types::{Categorie, StatutFacture};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sqlx::postgres::PgArguments;

#[derive(Debug, Clone, Default)]
pub struct FactureFiltre {
    pub statuts: Vec<StatutFacture>,
    pub fournisseur_id: Option<i64>,
    pub residence_id: Option<i64>,
    pub categorie: Option<Categorie>,
    /// Invoice date from (inclusive).
    pub du: Option<NaiveDate>,
    /// Invoice date to (inclusive).
    pub au: Option<NaiveDate>,
    pub limite: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, sqlx::FromRow)]
pub struct FactureLigne {
    pub id: i64,
    pub fournisseur: Option<String>,
    pub numero: Option<String>,
    pub date_facture: Option<NaiveDate>,
    pub date_echeance: Option<NaiveDate>,
    pub residence: Option<String>,
    pub categorie: Option<Categorie>,
    pub montant_ht: Option<Decimal>,
    pub montant_tva: Option<Decimal>,
    pub montant_ttc: Option<Decimal>,
    pub statut: StatutFacture,
    /// Extraction confidence of a draft (0–1).
    pub confiance: Option<Decimal>,
}

/// The invoices that match, newest first (at most `limite`), and the count and TTC total of all
/// that match.
#[derive(Debug, Clone, PartialEq)]
pub struct FacturesTrouvees {
    pub lignes: Vec<FactureLigne>,
    pub nombre: i64,
    pub total_ttc: Decimal,
}

const FACTURES_WHERE: &str = "
    WHERE (cardinality($1::statut_facture[]) = 0 OR f.statut = ANY ($1))
      AND ($2::bigint IS NULL OR f.fournisseur_id = $2)
      AND ($3::bigint IS NULL OR f.residence_id = $3)
      AND ($4::categorie_depense IS NULL OR f.categorie = $4)
      AND ($5::date IS NULL OR f.date_facture >= $5)
      AND ($6::date IS NULL OR f.date_facture <= $6)";

/// The filter's parameters `$1`…`$6` of [`FACTURES_WHERE`].
fn filter_args(f: &FactureFiltre) -> Result<PgArguments> {
    let mut args = PgArguments::default();
    push(&mut args, &f.statuts)?;
    push(&mut args, f.fournisseur_id)?;
    push(&mut args, f.residence_id)?;
    push(&mut args, f.categorie)?;
    push(&mut args, f.du)?;
    push(&mut args, f.au)?;
    Ok(args)
}

impl Tenant {
    pub async fn factures(&mut self, f: &FactureFiltre) -> Result<FacturesTrouvees> {
        let mut args = filter_args(f)?;
        push(&mut args, f.limite)?;
        let lignes: Vec<FactureLigne> = sqlx::query_as_with(
            sqlx::AssertSqlSafe(format!(
                "SELECT f.id, s.nom AS fournisseur, f.numero, f.date_facture, f.date_echeance, r.nom AS residence,
                        f.categorie, f.montant_ht, f.montant_tva, f.montant_ttc, f.statut, f.confiance
                 FROM factures f
                 LEFT JOIN fournisseurs s ON s.id = f.fournisseur_id
                 LEFT JOIN residences r ON r.id = f.residence_id
                 {FACTURES_WHERE}
                 ORDER BY f.date_facture DESC NULLS FIRST, f.id DESC
                 LIMIT $7"
            )),
            args,
        )
        .fetch_all(&mut *self.tx)
        .await?;
        let (nombre, total_ttc): (i64, Decimal) = sqlx::query_as_with(
            sqlx::AssertSqlSafe(format!(
                "SELECT count(*), coalesce(sum(f.montant_ttc), 0) FROM factures f {FACTURES_WHERE}"
            )),
            filter_args(f)?,
        )
        .fetch_one(&mut *self.tx)
        .await?;
        Ok(FacturesTrouvees {
            lignes,
            nombre,
            total_ttc,
        })
    }

    /// Suppliers as (id, name) for resolution.
    pub async fn fournisseurs(&mut self) -> Result<Vec<(i64, String)>> {
        Ok(
            sqlx::query_as("SELECT id, nom FROM fournisseurs ORDER BY nom")
                .fetch_all(&mut *self.tx)
                .await?,
        )
    }
}
