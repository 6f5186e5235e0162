//! Supplier invoices.

use super::{Result, Tenant, push};
use crate::types::{Categorie, StatutFacture};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sqlx::postgres::PgArguments;
use uuid::Uuid;

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

/// A supplier of the syndic's list, to recognise on an invoice.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct FournisseurConnu {
    pub id: i64,
    pub nom: String,
    pub ice: Option<String>,
    pub categorie: Categorie,
}

/// A résidence of the syndic with the references suppliers print for it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ResidenceConnue {
    pub id: i64,
    pub nom: String,
    pub adresse: String,
    pub ville: String,
    pub references: Vec<String>,
}

/// What an invoice states, as the syndic's ids: a draft's values, corrected or validated.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct ValeursFacture {
    pub fournisseur_id: Option<i64>,
    pub residence_id: Option<i64>,
    pub numero: Option<String>,
    pub date_facture: Option<NaiveDate>,
    pub date_echeance: Option<NaiveDate>,
    pub periode_debut: Option<NaiveDate>,
    pub periode_fin: Option<NaiveDate>,
    pub categorie: Option<Categorie>,
    pub montant_ht: Option<Decimal>,
    pub taux_tva: Option<Decimal>,
    pub montant_tva: Option<Decimal>,
    pub montant_ttc: Option<Decimal>,
}

/// How a draft was read: its source file, the text, the engine, the confidences.
#[derive(Debug, Clone, PartialEq)]
pub struct LectureFacture {
    pub fichier_id: Uuid,
    pub fichier_nom: String,
    pub fichier_sha256: String,
    pub texte: String,
    pub moteur: String,
    /// The lowest field confidence (0–1).
    pub confiance: Decimal,
    /// Per field: `{"score": 0.93, "origin": "texte"}`.
    pub confiances: serde_json::Value,
    /// French remarks of the reading.
    pub remarques: Vec<String>,
}

/// One supplier invoice with everything a review needs.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct FactureDetail {
    pub id: i64,
    pub statut: StatutFacture,
    #[sqlx(flatten)]
    pub valeurs: ValeursFacture,
    pub fournisseur: Option<String>,
    pub residence: Option<String>,
    pub fichier_id: Option<Uuid>,
    pub moteur_ocr: Option<String>,
    pub confiances_champs: Option<serde_json::Value>,
    pub remarques: Option<serde_json::Value>,
    pub cree_par: Option<i64>,
    pub confirmation_id: Option<Uuid>,
    pub valide_le: Option<DateTime<Utc>>,
}

/// Why an invoice looks like one already recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum RaisonDoublon {
    /// The very same file.
    MemeFichier,
    /// The same supplier and invoice number.
    MemeNumero,
    /// The same supplier, TTC amount and date.
    MemeMontantEtDate,
}

impl RaisonDoublon {
    pub fn label(self) -> &'static str {
        match self {
            RaisonDoublon::MemeFichier => "même fichier",
            RaisonDoublon::MemeNumero => "même fournisseur et même numéro",
            RaisonDoublon::MemeMontantEtDate => "même fournisseur, même montant et même date",
        }
    }
}

/// An invoice already recorded that a new one may duplicate.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Doublon {
    #[sqlx(flatten)]
    pub facture: FactureLigne,
    pub raison: RaisonDoublon,
}

/// What validating a draft gave.
#[derive(Debug, Clone, PartialEq)]
pub enum Validation {
    /// Validated now, by this confirmation.
    Validee,
    /// This confirmation had already validated it: nothing written again.
    DejaFaite,
    /// Not a draft any more (validated or paid by someone else meanwhile), or not found.
    PlusBrouillon(Option<StatutFacture>),
}

const DETAIL_SELECT: &str = "
    SELECT f.id, f.statut, f.fournisseur_id, f.residence_id, f.numero, f.date_facture,
           f.date_echeance, f.periode_debut, f.periode_fin, f.categorie, f.montant_ht, f.taux_tva,
           f.montant_tva, f.montant_ttc, s.nom AS fournisseur, r.nom AS residence, f.fichier_id,
           f.moteur_ocr, f.confiances_champs, f.remarques, f.cree_par, f.confirmation_id,
           f.valide_le
    FROM factures f
    LEFT JOIN fournisseurs s ON s.id = f.fournisseur_id
    LEFT JOIN residences r ON r.id = f.residence_id";

/// Invoice numbers compare without case, spaces or punctuation ("FA 2025-001" = "fa2025001").
const NUMERO_CLE: &str = "regexp_replace(upper(coalesce({}, '')), '[^0-9A-Z]', '', 'g')";

fn numero_cle(column: &str) -> String {
    NUMERO_CLE.replace("{}", column)
}

/// The columns of [`ValeursFacture`] as `$2`…`$13`, in [`bind_valeurs`]'s order.
const VALEURS_SET: &str = "residence_id = $2, fournisseur_id = $3, numero = $4, date_facture = $5,
    date_echeance = $6, periode_debut = $7, periode_fin = $8, categorie = $9, montant_ht = $10,
    taux_tva = $11, montant_tva = $12, montant_ttc = $13";

/// Binds `first` as `$1`, then the values as `$2`…`$13`.
fn bind_valeurs<'q>(
    q: sqlx::query::Query<'q, sqlx::Postgres, PgArguments>,
    first: i64,
    v: &'q ValeursFacture,
) -> sqlx::query::Query<'q, sqlx::Postgres, PgArguments> {
    q.bind(first)
        .bind(v.residence_id)
        .bind(v.fournisseur_id)
        .bind(v.numero.as_deref())
        .bind(v.date_facture)
        .bind(v.date_echeance)
        .bind(v.periode_debut)
        .bind(v.periode_fin)
        .bind(v.categorie)
        .bind(v.montant_ht)
        .bind(v.taux_tva)
        .bind(v.montant_tva)
        .bind(v.montant_ttc)
}

impl Tenant {
    /// The syndic's suppliers and résidences (with their references), to recognise an invoice.
    pub async fn annuaire_factures(
        &mut self,
    ) -> Result<(Vec<FournisseurConnu>, Vec<ResidenceConnue>)> {
        let fournisseurs =
            sqlx::query_as("SELECT id, nom, ice, categorie FROM fournisseurs ORDER BY nom, id")
                .fetch_all(&mut *self.tx)
                .await?;
        let residences = sqlx::query_as(
            "SELECT r.id, r.nom, r.adresse, r.ville,
                    coalesce(array_agg(x.reference ORDER BY x.reference)
                             FILTER (WHERE x.reference IS NOT NULL), '{}') AS references
             FROM residences r
             LEFT JOIN references_fournisseurs x ON x.residence_id = r.id
             GROUP BY r.id ORDER BY r.nom, r.id",
        )
        .fetch_all(&mut *self.tx)
        .await?;
        Ok((fournisseurs, residences))
    }

    /// Invoices (other than `sauf`) that the given one may duplicate: the same file, the same
    /// supplier and number, or the same supplier, TTC amount and date.
    pub async fn doublons_facture(
        &mut self,
        sauf: Option<i64>,
        valeurs: &ValeursFacture,
        fichier_sha256: Option<&str>,
    ) -> Result<Vec<Doublon>> {
        let numero = numero_cle("$3");
        let existing = numero_cle("f.numero");
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT f.id, s.nom AS fournisseur, f.numero, f.date_facture, f.date_echeance,
                    r.nom AS residence, f.categorie, f.montant_ht, f.montant_tva, f.montant_ttc,
                    f.statut, f.confiance,
                    CASE WHEN f.fichier_sha256 = $6 THEN 'meme_fichier'
                         WHEN {existing} = {numero} THEN 'meme_numero'
                         ELSE 'meme_montant_et_date' END AS raison
             FROM factures f
             LEFT JOIN fournisseurs s ON s.id = f.fournisseur_id
             LEFT JOIN residences r ON r.id = f.residence_id
             WHERE f.id IS DISTINCT FROM $1
               AND (f.fichier_sha256 = $6
                    OR (f.fournisseur_id = $2 AND {numero} <> '' AND {existing} = {numero})
                    OR (f.fournisseur_id = $2 AND f.montant_ttc = $4 AND f.date_facture = $5))
             ORDER BY f.id
             LIMIT 5"
        )))
        .bind(sauf)
        .bind(valeurs.fournisseur_id)
        .bind(valeurs.numero.as_deref())
        .bind(valeurs.montant_ttc)
        .bind(valeurs.date_facture)
        .bind(fichier_sha256)
        .fetch_all(&mut *self.tx)
        .await?)
    }

    /// Records a draft read from a file; returns its id.
    pub async fn creer_brouillon(
        &mut self,
        cree_par: i64,
        v: &ValeursFacture,
        lecture: &LectureFacture,
    ) -> Result<i64> {
        let q = sqlx::query(
            "INSERT INTO factures
                 (syndic_id, residence_id, fournisseur_id, numero, date_facture, date_echeance,
                  periode_debut, periode_fin, categorie, montant_ht, taux_tva, montant_tva,
                  montant_ttc, statut, fichier_id, fichier_source, fichier_sha256, texte_ocr,
                  moteur_ocr, confiance, confiances_champs, remarques, cree_par)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'brouillon', $14, $15,
                     $16, $17, $18, $19, $20, $21, $22)
             RETURNING id",
        );
        let row = bind_valeurs(q, self.syndic_id, v)
            .bind(lecture.fichier_id)
            .bind(&lecture.fichier_nom)
            .bind(&lecture.fichier_sha256)
            .bind(&lecture.texte)
            .bind(&lecture.moteur)
            .bind(lecture.confiance)
            .bind(&lecture.confiances)
            .bind(serde_json::json!(lecture.remarques))
            .bind(cree_par)
            .fetch_one(&mut *self.tx)
            .await?;
        Ok(sqlx::Row::try_get(&row, 0)?)
    }

    /// One invoice of the syndic.
    pub async fn facture_detail(&mut self, id: i64) -> Result<Option<FactureDetail>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{DETAIL_SELECT} WHERE f.id = $1"
        )))
        .bind(id)
        .fetch_optional(&mut *self.tx)
        .await?)
    }

    /// The latest draft this user sent, if any.
    pub async fn dernier_brouillon(&mut self, user_id: i64) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM factures WHERE cree_par = $1 AND statut = 'brouillon'
             ORDER BY created_at DESC, id DESC LIMIT 1",
        )
        .bind(user_id)
        .fetch_optional(&mut *self.tx)
        .await?)
    }

    /// Replaces a draft's values and confidences (a correction); false when it is no longer a
    /// draft.
    pub async fn corriger_brouillon(
        &mut self,
        id: i64,
        v: &ValeursFacture,
        confiances: &serde_json::Value,
        confiance: Decimal,
    ) -> Result<bool> {
        let q = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE factures SET {VALEURS_SET}, confiances_champs = $14, confiance = $15
             WHERE id = $1 AND statut = 'brouillon'"
        )));
        let done = bind_valeurs(q, id, v)
            .bind(confiances)
            .bind(confiance)
            .execute(&mut *self.tx)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Validates a draft with the values confirmed, once per confirmation: a second run of the
    /// same confirmation writes nothing. The table's checks refuse an incomplete invoice or
    /// amounts that do not add up.
    pub async fn valider_facture(
        &mut self,
        id: i64,
        v: &ValeursFacture,
        valide_par: i64,
        confirmation: Uuid,
    ) -> Result<Validation> {
        let q = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE factures SET {VALEURS_SET}, statut = 'validee', valide_par = $14,
                    valide_le = now(), confirmation_id = $15
             WHERE id = $1 AND statut = 'brouillon'"
        )));
        let done = bind_valeurs(q, id, v)
            .bind(valide_par)
            .bind(confirmation)
            .execute(&mut *self.tx)
            .await?;
        if done.rows_affected() == 1 {
            return Ok(Validation::Validee);
        }
        let now: Option<(StatutFacture, Option<Uuid>)> =
            sqlx::query_as("SELECT statut, confirmation_id FROM factures WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *self.tx)
                .await?;
        Ok(match now {
            Some((_, Some(c))) if c == confirmation => Validation::DejaFaite,
            other => Validation::PlusBrouillon(other.map(|(s, _)| s)),
        })
    }
}
