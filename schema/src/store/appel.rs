//! Appels de fonds issued from the chat: what a call is split over (the lots of a résidence, by
//! quote-part, and their current owners), the budget it may be drawn from, the call and its
//! échéances written once per confirmation, and what the notice to each co-owner shows.

use super::{Fichier, PAYE_ECHEANCE, Result, Tenant};
use crate::types::{LotType, TypeAppel};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A lot as a call splits over it: its quote-part and its current owner (none: no owner
/// recorded, the call cannot be issued).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, sqlx::FromRow)]
pub struct LotAppele {
    pub lot_id: i64,
    pub lot: String,
    pub tantiemes: i32,
    pub coproprietaire_id: Option<i64>,
    /// "Mme Khadija Lahlou".
    pub coproprietaire: Option<String>,
}

/// Who issues a notice and where to pay: the résidence (its syndicat's bank account) and the
/// syndic managing it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Emetteur {
    pub residence: String,
    pub adresse: String,
    pub ville: String,
    pub base_tantiemes: i32,
    pub banque: Option<String>,
    /// 24 digits.
    pub rib: Option<String>,
    pub syndic: String,
    pub syndic_ville: Option<String>,
    pub syndic_telephone: Option<String>,
    pub syndic_email: Option<String>,
    pub syndic_ice: Option<String>,
}

/// A résidence's budget of one year and its total (sum of its lines).
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct BudgetAnnuel {
    pub budget_id: i64,
    pub total: Decimal,
}

/// An appel de fonds as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, sqlx::FromRow)]
pub struct AppelEmis {
    pub appel_id: i64,
    pub residence_id: i64,
    #[sqlx(rename = "type")]
    #[serde(rename = "type")]
    pub type_appel: TypeAppel,
    pub libelle: String,
    pub periode_debut: NaiveDate,
    pub periode_fin: NaiveDate,
    pub montant_total: Decimal,
    pub date_emission: NaiveDate,
    pub date_echeance: NaiveDate,
}

/// An appel to insert.
#[derive(Debug, Clone)]
pub struct NouvelAppel<'a> {
    pub residence_id: i64,
    pub budget_id: Option<i64>,
    pub type_appel: TypeAppel,
    pub libelle: &'a str,
    pub periode_debut: NaiveDate,
    pub periode_fin: NaiveDate,
    pub montant_total: Decimal,
    pub date_emission: NaiveDate,
    pub date_echeance: NaiveDate,
    /// The confirmed pending action: a confirmation issues one appel at most.
    pub confirmation: Uuid,
    pub emis_par: i64,
}

/// What inserting an appel did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppelInsertion {
    Insere(i64),
    /// This confirmation has already issued appel `.0`: nothing written.
    DejaEmis(i64),
    /// The résidence already has an appel of this type starting that day: nothing written.
    PeriodeDejaAppelee,
}

/// One échéance of an appel, as its notice shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, sqlx::FromRow)]
pub struct EcheanceAppel {
    pub echeance_id: i64,
    pub lot_id: i64,
    pub lot: String,
    pub lot_type: LotType,
    pub tantiemes: i32,
    pub coproprietaire_id: i64,
    pub coproprietaire: String,
    /// The co-owner's postal address, when recorded.
    pub adresse: Option<String>,
    pub montant: Decimal,
    /// Paid on it (at issue: the co-owner's credit imputed to it).
    pub paye: Decimal,
    /// What the co-owner still owes on the résidence's other appels (same on each of their rows).
    pub reste_autres: Decimal,
}

/// The notice of an appel sent to one co-owner.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AvisAppel {
    pub coproprietaire_id: i64,
    /// The reference the notice asks the co-owner to quote with their payment.
    pub reference_paiement: String,
    #[sqlx(flatten)]
    pub fichier: Fichier,
}

impl Tenant {
    /// Locks a résidence against another appel being issued for it until the transaction ends
    /// (payments, which only reference it, are not held up).
    pub async fn verrouiller_residence(&mut self, residence_id: i64) -> Result<()> {
        sqlx::query("SELECT id FROM residences WHERE id = $1 FOR NO KEY UPDATE")
            .bind(residence_id)
            .fetch_optional(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// The lots of a résidence with their tantièmes and current owner, by number: the order in
    /// which a call is split (the largest-remainder ties go to the earlier lot).
    pub async fn lots_appeles(&mut self, residence_id: i64) -> Result<Vec<LotAppele>> {
        Ok(sqlx::query_as(
            "SELECT l.id AS lot_id, l.numero AS lot, l.tantiemes, c.id AS coproprietaire_id,
                    concat_ws(' ', c.civilite, c.prenom, c.nom) AS coproprietaire
             FROM lots l
             LEFT JOIN proprietes p ON p.lot_id = l.id AND p.jusqu_au IS NULL
             LEFT JOIN coproprietaires c ON c.id = p.coproprietaire_id
             WHERE l.residence_id = $1
             ORDER BY l.numero, l.id",
        )
        .bind(residence_id)
        .fetch_all(&mut *self.tx)
        .await?)
    }

    /// The résidence and its syndic, as a notice names them.
    pub async fn emetteur(&mut self, residence_id: i64) -> Result<Option<Emetteur>> {
        Ok(sqlx::query_as(
            "SELECT r.nom AS residence, r.adresse, r.ville, r.base_tantiemes, r.banque, r.rib,
                    s.nom AS syndic, s.ville AS syndic_ville, s.telephone AS syndic_telephone,
                    s.email AS syndic_email, s.ice AS syndic_ice
             FROM residences r JOIN syndics s ON s.id = r.syndic_id
             WHERE r.id = $1",
        )
        .bind(residence_id)
        .fetch_optional(&mut *self.tx)
        .await?)
    }

    /// The résidence's budget of `annee`, if one was recorded.
    pub async fn budget_annuel(
        &mut self,
        residence_id: i64,
        annee: i32,
    ) -> Result<Option<BudgetAnnuel>> {
        Ok(sqlx::query_as(
            "SELECT b.id AS budget_id, coalesce(sum(bl.montant), 0) AS total
             FROM budgets b LEFT JOIN budget_lignes bl ON bl.budget_id = b.id
             WHERE b.residence_id = $1 AND b.annee = $2
             GROUP BY b.id",
        )
        .bind(residence_id)
        .bind(annee)
        .fetch_optional(&mut *self.tx)
        .await?)
    }

    /// The résidence's appels of this type whose period meets `[debut, fin]`, oldest first.
    pub async fn appels_chevauchants(
        &mut self,
        residence_id: i64,
        type_appel: TypeAppel,
        debut: NaiveDate,
        fin: NaiveDate,
    ) -> Result<Vec<AppelEmis>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{APPEL_EMIS} WHERE residence_id = $1 AND type = $2
               AND periode_debut <= $4 AND periode_fin >= $3
             ORDER BY periode_debut, id"
        )))
        .bind(residence_id)
        .bind(type_appel)
        .bind(debut)
        .bind(fin)
        .fetch_all(&mut *self.tx)
        .await?)
    }

    pub async fn appel_emis(&mut self, appel_id: i64) -> Result<Option<AppelEmis>> {
        Ok(
            sqlx::query_as(sqlx::AssertSqlSafe(format!("{APPEL_EMIS} WHERE id = $1")))
                .bind(appel_id)
                .fetch_optional(&mut *self.tx)
                .await?,
        )
    }

    /// The appel a confirmation issued, if any.
    pub async fn appel_par_confirmation(&mut self, confirmation: Uuid) -> Result<Option<i64>> {
        Ok(
            sqlx::query_scalar("SELECT id FROM appels_de_fonds WHERE confirmation_id = $1")
                .bind(confirmation)
                .fetch_optional(&mut *self.tx)
                .await?,
        )
    }

    /// Inserts an appel unless its confirmation or its (résidence, type, start) is already
    /// recorded: the unique constraints decide, even between concurrent transactions.
    pub async fn inserer_appel(&mut self, a: &NouvelAppel<'_>) -> Result<AppelInsertion> {
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO appels_de_fonds (syndic_id, residence_id, budget_id, type, libelle,
                                          periode_debut, periode_fin, montant_total, date_emission,
                                          date_echeance, confirmation_id, emis_par)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
             ON CONFLICT DO NOTHING
             RETURNING id",
        )
        .bind(self.syndic_id)
        .bind(a.residence_id)
        .bind(a.budget_id)
        .bind(a.type_appel)
        .bind(a.libelle)
        .bind(a.periode_debut)
        .bind(a.periode_fin)
        .bind(a.montant_total)
        .bind(a.date_emission)
        .bind(a.date_echeance)
        .bind(a.confirmation)
        .bind(a.emis_par)
        .fetch_optional(&mut *self.tx)
        .await?;
        if let Some(id) = id {
            return Ok(AppelInsertion::Insere(id));
        }
        // The conflicting row is committed (ON CONFLICT waited for it): this statement sees it.
        Ok(match self.appel_par_confirmation(a.confirmation).await? {
            Some(id) => AppelInsertion::DejaEmis(id),
            None => AppelInsertion::PeriodeDejaAppelee,
        })
    }

    /// The échéances of an appel, all due on `date_echeance`: `(lot, co-owner, amount)`, in the
    /// order given (their ids follow it).
    pub async fn inserer_echeances(
        &mut self,
        appel: &AppelEmis,
        parts: &[(i64, i64, Decimal)],
    ) -> Result<()> {
        let mut lots = Vec::with_capacity(parts.len());
        let mut owners = Vec::with_capacity(parts.len());
        let mut montants = Vec::with_capacity(parts.len());
        for &(lot, owner, montant) in parts {
            lots.push(lot);
            owners.push(owner);
            montants.push(montant);
        }
        sqlx::query(
            "INSERT INTO echeances (syndic_id, appel_id, residence_id, lot_id, coproprietaire_id,
                                    montant, date_echeance)
             SELECT $1, $2, $3, l, c, m, $7
             FROM UNNEST($4::bigint[], $5::bigint[], $6::numeric[]) WITH ORDINALITY AS u (l, c, m, n)
             ORDER BY n",
        )
        .bind(self.syndic_id)
        .bind(appel.appel_id)
        .bind(appel.residence_id)
        .bind(&lots)
        .bind(&owners)
        .bind(&montants)
        .bind(appel.date_echeance)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// The échéances of an appel with their lots, owners and what is paid on them, by co-owner
    /// (name) then lot: one notice per co-owner reads consecutive rows.
    pub async fn echeances_de_l_appel(&mut self, appel_id: i64) -> Result<Vec<EcheanceAppel>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "WITH autres AS (
                 SELECT e.coproprietaire_id, sum(greatest(e.montant - {PAYE_ECHEANCE}, 0)) AS reste
                 FROM echeances e
                 WHERE e.residence_id = (SELECT residence_id FROM appels_de_fonds WHERE id = $1)
                   AND e.appel_id <> $1
                   AND e.coproprietaire_id IN (SELECT coproprietaire_id FROM echeances WHERE appel_id = $1)
                 GROUP BY e.coproprietaire_id)
             SELECT e.id AS echeance_id, l.id AS lot_id, l.numero AS lot, l.type AS lot_type,
                    l.tantiemes, e.coproprietaire_id,
                    concat_ws(' ', c.civilite, c.prenom, c.nom) AS coproprietaire, c.adresse,
                    e.montant, x.paye, coalesce(autres.reste, 0) AS reste_autres
             FROM echeances e
             JOIN lots l ON l.id = e.lot_id
             JOIN coproprietaires c ON c.id = e.coproprietaire_id
             CROSS JOIN LATERAL (SELECT {PAYE_ECHEANCE} AS paye) x
             LEFT JOIN autres ON autres.coproprietaire_id = e.coproprietaire_id
             WHERE e.appel_id = $1
             ORDER BY c.nom, c.prenom, e.coproprietaire_id, l.numero, l.id"
        )))
        .bind(appel_id)
        .fetch_all(&mut *self.tx)
        .await?)
    }

    /// Records the notice of an appel sent to a co-owner (its file is a document addressed to
    /// them) and the payment reference it asks them to quote.
    pub async fn enregistrer_avis(
        &mut self,
        appel_id: i64,
        coproprietaire_id: i64,
        fichier: Uuid,
        reference_paiement: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO avis_appel (syndic_id, appel_id, coproprietaire_id, fichier_id, reference_paiement)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(self.syndic_id)
        .bind(appel_id)
        .bind(coproprietaire_id)
        .bind(fichier)
        .bind(reference_paiement)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// The notices of an appel, in the order of [`Tenant::echeances_de_l_appel`]'s co-owners.
    pub async fn avis_de_l_appel(&mut self, appel_id: i64) -> Result<Vec<AvisAppel>> {
        Ok(sqlx::query_as(
            "SELECT a.coproprietaire_id, a.reference_paiement,
                    f.id, f.user_id, f.nom, f.mime, f.taille, f.contenu_sha256, f.created_at
             FROM avis_appel a
             JOIN fichiers f ON f.id = a.fichier_id
             JOIN coproprietaires c ON c.id = a.coproprietaire_id
             WHERE a.appel_id = $1
             ORDER BY c.nom, c.prenom, c.id",
        )
        .bind(appel_id)
        .fetch_all(&mut *self.tx)
        .await?)
    }
}

const APPEL_EMIS: &str = "
    SELECT id AS appel_id, residence_id, type, libelle, periode_debut, periode_fin, montant_total,
           date_emission, date_echeance
    FROM appels_de_fonds";
