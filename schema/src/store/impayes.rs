//! Impayés: échéances past their due date and not fully covered by (non-cancelled) payments.

use super::{PAYE_ECHEANCE, Result, Tenant, push};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sqlx::postgres::PgArguments;

/// Filters of the impayés query; `None` means no filter.
#[derive(Debug, Clone, Default)]
pub struct ImpayeFiltre {
    pub residence_id: Option<i64>,
    /// Year of the appel's period.
    pub annee: Option<i32>,
    pub montant_min: Option<Decimal>,
    pub jours_retard_min: Option<i32>,
    pub coproprietaire_id: Option<i64>,
}

/// What one co-owner owes for one lot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, sqlx::FromRow)]
pub struct ImpayeLigne {
    pub residence_id: i64,
    pub residence: String,
    pub lot_id: i64,
    pub lot: String,
    pub coproprietaire_id: i64,
    pub coproprietaire: String,
    /// Remaining amount due on the unpaid échéances (MAD).
    pub montant_du: Decimal,
    pub nb_echeances: i64,
    pub plus_ancienne_echeance: NaiveDate,
    /// Days since the oldest unpaid due date.
    pub jours_retard: i32,
}

/// The unpaid échéances grouped per co-owner and lot, largest amount first, as of `today`.
pub(super) fn impayes_sql() -> String {
    format!(
        "
    WITH reste AS (
        SELECT e.residence_id, e.lot_id, e.coproprietaire_id, e.date_echeance,
               e.montant - {PAYE_ECHEANCE} AS du
        FROM echeances e
        JOIN appels_de_fonds ap ON ap.id = e.appel_id
        WHERE e.date_echeance < $1
          AND ($2::bigint IS NULL OR e.residence_id = $2)
          AND ($3::int IS NULL OR ap.periode_debut >= make_date($3, 1, 1) AND ap.periode_debut < make_date($3 + 1, 1, 1))
          AND ($4::bigint IS NULL OR e.coproprietaire_id = $4)
    )
    SELECT x.residence_id, r.nom AS residence, x.lot_id, l.numero AS lot, x.coproprietaire_id,
           concat_ws(' ', c.civilite, c.prenom, c.nom) AS coproprietaire,
           sum(x.du) AS montant_du, count(*) AS nb_echeances,
           min(x.date_echeance) AS plus_ancienne_echeance,
           ($1::date - min(x.date_echeance)) AS jours_retard
    FROM reste x
    JOIN residences r ON r.id = x.residence_id
    JOIN lots l ON l.id = x.lot_id
    JOIN coproprietaires c ON c.id = x.coproprietaire_id
    WHERE x.du > 0
    GROUP BY x.residence_id, r.nom, x.lot_id, l.numero, x.coproprietaire_id, c.civilite, c.prenom, c.nom
    HAVING ($5::numeric IS NULL OR sum(x.du) >= $5)
       AND ($6::int IS NULL OR $1::date - min(x.date_echeance) >= $6)
    ORDER BY montant_du DESC, r.nom, l.numero"
    )
}

pub(super) fn impayes_args(today: NaiveDate, f: &ImpayeFiltre) -> Result<PgArguments> {
    let mut args = PgArguments::default();
    push(&mut args, today)?;
    push(&mut args, f.residence_id)?;
    push(&mut args, f.annee)?;
    push(&mut args, f.coproprietaire_id)?;
    push(&mut args, f.montant_min)?;
    push(&mut args, f.jours_retard_min)?;
    Ok(args)
}

impl Tenant {
    pub async fn impayes(
        &mut self,
        today: NaiveDate,
        f: &ImpayeFiltre,
    ) -> Result<Vec<ImpayeLigne>> {
        Ok(
            sqlx::query_as_with(sqlx::AssertSqlSafe(impayes_sql()), impayes_args(today, f)?)
                .fetch_all(&mut *self.tx)
                .await?,
        )
    }

    /// `EXPLAIN (ANALYZE, BUFFERS)` of the impayés query, for the benchmark command.
    pub async fn explain_impayes(
        &mut self,
        today: NaiveDate,
        f: &ImpayeFiltre,
    ) -> Result<Vec<String>> {
        let sql = sqlx::AssertSqlSafe(format!("EXPLAIN (ANALYZE, BUFFERS) {}", impayes_sql()));
        Ok(sqlx::query_scalar_with(sql, impayes_args(today, f)?)
            .fetch_all(&mut *self.tx)
            .await?)
    }
}
