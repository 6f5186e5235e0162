//! Documents of a résidence whose bytes are a stored file: what tools generate (notices,
//! convocations, PVs, reports), and who may open a stored file.

use super::{Result, Tenant};
use crate::store::Fichier;
use crate::types::{Caller, TypeDocument, Visibilite};
use chrono::NaiveDate;
use serde::Serialize;
use uuid::Uuid;

/// A generated document to record; its file is recorded with it.
#[derive(Debug, Clone)]
pub struct NouveauDocument<'a> {
    pub residence_id: i64,
    pub titre: &'a str,
    pub type_document: TypeDocument,
    pub date_document: NaiveDate,
    pub visibilite: Visibilite,
    /// The one co-owner it is addressed to (an appel de fonds notice), who may then open it.
    pub coproprietaire_id: Option<i64>,
    pub fichier: Uuid,
    pub mime: &'a str,
    pub pages: Option<i32>,
    pub contenu_sha256: &'a str,
}

/// Who issues a generated document of a résidence, and for which building: the header of a
/// report, a notice, a PV.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct EnteteDocument {
    pub syndic: String,
    pub syndic_ville: Option<String>,
    pub syndic_telephone: Option<String>,
    pub syndic_email: Option<String>,
    pub residence: String,
    pub adresse: String,
    pub ville: String,
}

impl Tenant {
    /// The header of the documents of `residence_id` (the syndic and the building).
    pub async fn entete_document(&mut self, residence_id: i64) -> Result<EnteteDocument> {
        Ok(sqlx::query_as(
            "SELECT s.nom AS syndic, s.ville AS syndic_ville, s.telephone AS syndic_telephone,
                    s.email AS syndic_email, r.nom AS residence, r.adresse, r.ville
             FROM residences r JOIN syndics s ON s.id = r.syndic_id
             WHERE r.id = $1",
        )
        .bind(residence_id)
        .fetch_one(&mut *self.tx)
        .await?)
    }

    /// The file of the document with these exact bytes, if this syndic already has it.
    pub async fn fichier_du_document(&mut self, contenu_sha256: &str) -> Result<Option<Fichier>> {
        Ok(sqlx::query_as(
            "SELECT f.id, f.user_id, f.nom, f.mime, f.taille, f.contenu_sha256, f.created_at
             FROM documents d JOIN fichiers f ON f.id = d.fichier_id
             WHERE d.contenu_sha256 = $1",
        )
        .bind(contenu_sha256)
        .fetch_optional(&mut *self.tx)
        .await?)
    }

    /// Records a document (its file is already recorded with [`Tenant::add_fichier`]).
    pub async fn add_document(&mut self, caller: &Caller, d: &NouveauDocument<'_>) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO documents (syndic_id, residence_id, titre, type, date_document, visibilite,
                                    mime, contenu_sha256, pages, statut, ajoute_par, fichier_id,
                                    coproprietaire_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'en_attente', $10, $11, $12)
             RETURNING id",
        )
        .bind(self.syndic_id)
        .bind(d.residence_id)
        .bind(d.titre)
        .bind(d.type_document)
        .bind(d.date_document)
        .bind(d.visibilite)
        .bind(d.mime)
        .bind(d.contenu_sha256)
        .bind(d.pages)
        .bind(caller.user_id)
        .bind(d.fichier)
        .bind(d.coproprietaire_id)
        .fetch_one(&mut *self.tx)
        .await?)
    }

    /// A stored file, if `caller` may open it: their own; for staff, any (a président: their own
    /// and the documents of their résidence); for a co-owner, the documents addressed to them and
    /// those shared with a résidence where they own a lot. Anything else is `None`, as if it did
    /// not exist.
    pub async fn fichier_lisible(&mut self, caller: &Caller, id: Uuid) -> Result<Option<Fichier>> {
        Ok(sqlx::query_as(
            "SELECT f.id, f.user_id, f.nom, f.mime, f.taille, f.contenu_sha256, f.created_at
             FROM fichiers f
             WHERE f.id = $1 AND (
                 f.user_id = $2
                 OR ($3 AND $4::bigint IS NULL)
                 OR EXISTS (
                     SELECT 1 FROM documents d
                     WHERE d.fichier_id = f.id AND (
                         ($3 AND d.residence_id = $4)
                         OR d.coproprietaire_id = $5
                         OR (d.visibilite = 'residence' AND EXISTS (
                             SELECT 1 FROM lots l
                             JOIN proprietes p ON p.lot_id = l.id AND p.jusqu_au IS NULL
                             WHERE l.residence_id = d.residence_id AND p.coproprietaire_id = $5)))))",
        )
        .bind(id)
        .bind(caller.user_id)
        .bind(caller.role.is_staff())
        .bind(caller.residence_scope())
        .bind(caller.coproprietaire_id)
        .fetch_optional(&mut *self.tx)
        .await?)
    }
}
