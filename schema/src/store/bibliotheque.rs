//! The document library: what the indexing job reads and writes, the progress users see, and
//! hybrid retrieval — French full-text and vector similarity, fused by reciprocal rank — within
//! what the caller may read. Visibility is decided here, in SQL: a co-owner's query never reaches
//! a staff-only document, whatever the words.

use super::{Result, Store, Tenant};
use crate::decoupage::Morceau;
use crate::types::{Caller, StatutIndexation, TypeDocument, Visibilite};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use std::collections::HashMap;
use uuid::Uuid;

/// The constant of reciprocal rank fusion: a passage scores 1 / (K + rank) in each list.
pub const RRF_K: f64 = 60.0;
/// How deep each list is read before fusion.
const PROFONDEUR: i64 = 40;

/// Who may read a document, as SQL over `d` (a `documents` row): staff, their syndic's documents
/// (a président, those of their résidence); a co-owner, the documents addressed to them and
/// those shared with a résidence where they own a lot. Binds $1 staff, $2 résidence scope,
/// $3 co-owner.
const LISIBLE: &str = "(($1 AND ($2::bigint IS NULL OR d.residence_id = $2))
    OR (NOT $1 AND (d.coproprietaire_id = $3
        OR (d.visibilite = 'residence' AND d.coproprietaire_id IS NULL AND d.residence_id IN (
            SELECT l.residence_id FROM lots l
            JOIN proprietes p ON p.lot_id = l.id AND p.jusqu_au IS NULL
            WHERE p.coproprietaire_id = $3)))))";

/// A document the indexing job has claimed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DocumentAIndexer {
    pub id: i64,
    pub titre: String,
    pub mime: String,
    pub fichier_id: Option<Uuid>,
    pub texte_sha256: Option<String>,
}

/// What writing a document's index did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexEcrit {
    pub chunks: i32,
    /// False when the text was the one already indexed: nothing was rewritten.
    pub reecrit: bool,
    /// Chunks that kept their embedding (identical title and content).
    pub embeddings_gardes: i32,
}

/// A document as the library lists it, with its indexing progress.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, sqlx::FromRow)]
pub struct DocumentEtat {
    pub id: i64,
    pub titre: String,
    #[sqlx(rename = "type")]
    #[serde(rename = "type")]
    pub type_document: TypeDocument,
    pub date_document: Option<NaiveDate>,
    pub residence: Option<String>,
    pub visibilite: Visibilite,
    pub statut: StatutIndexation,
    pub pages: Option<i32>,
    pub pages_lues: Option<i32>,
    pub chunks: Option<i32>,
    /// Chunks that have an embedding of the configured model.
    pub chunks_vectorises: i64,
    pub lecture: Option<String>,
    pub erreur: Option<String>,
    pub indexe_le: Option<DateTime<Utc>>,
}

/// What to search.
#[derive(Debug, Clone)]
pub struct Recherche<'a> {
    pub texte: &'a str,
    /// Full-text ranking is used.
    pub plein_texte: bool,
    /// The query's embedding and the model that made it: chunks embedded by that model are
    /// ranked by cosine distance.
    pub vecteur: Option<(&'a str, &'a [f32])>,
    pub residence_id: Option<i64>,
    pub type_document: Option<TypeDocument>,
    pub limite: i64,
}

/// A passage found, with its source.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, sqlx::FromRow)]
pub struct Passage {
    pub chunk_id: i64,
    pub document_id: i64,
    pub document: String,
    #[sqlx(rename = "type")]
    #[serde(rename = "type")]
    pub type_document: TypeDocument,
    pub date_document: Option<NaiveDate>,
    pub page: Option<i32>,
    /// The headings the passage falls under ("Article 9 – Animaux").
    pub section: Option<String>,
    pub contenu: String,
    /// Reciprocal rank fusion score.
    pub score: f64,
    /// Its rank in the full-text list and in the vector list (from 1), when in them.
    pub rang_texte: Option<i64>,
    pub rang_vecteur: Option<i64>,
}

impl Store {
    /// The syndics with a document waiting, or with chunks not embedded by `modele`
    /// (cross-tenant, ids only: `wakil_documents_syndics_a_indexer`).
    pub async fn syndics_a_indexer(&self, modele: Option<&str>) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT s FROM wakil_documents_syndics_a_indexer($1) AS s ORDER BY 1",
        )
        .bind(modele)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Puts back in the queue the documents whose indexing was cut short; how many.
    pub async fn reprendre_indexations(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT wakil_documents_reprendre()")
            .fetch_one(&self.pool)
            .await?)
    }

    /// Creates the HNSW index of embeddings of dimension `dim`, if missing.
    pub async fn index_vectoriel(&self, dim: usize) -> Result<()> {
        sqlx::query("SELECT wakil_index_vectoriel($1)")
            .bind(i32::try_from(dim).unwrap_or(i32::MAX))
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

impl Tenant {
    /// Claims the oldest waiting document (skipping one another job holds).
    pub async fn reserver_document(&mut self) -> Result<Option<DocumentAIndexer>> {
        Ok(sqlx::query_as(
            "UPDATE documents d SET statut = 'indexation', pages_lues = 0, erreur = NULL
             FROM (SELECT id FROM documents WHERE statut = 'en_attente'
                   ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) a
             WHERE d.id = a.id
             RETURNING d.id, d.titre, d.mime, d.fichier_id, d.texte_sha256",
        )
        .fetch_optional(&mut *self.tx)
        .await?)
    }

    /// Records reading progress: `pages_lues` of `pages`.
    pub async fn avancement_lecture(&mut self, id: i64, pages: i32, pages_lues: i32) -> Result<()> {
        sqlx::query("UPDATE documents SET pages = $2, pages_lues = $3 WHERE id = $1")
            .bind(id)
            .bind(pages)
            .bind(pages_lues)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Writes a document's chunks and marks it indexed. The same text as last time rewrites
    /// nothing; otherwise the chunks are replaced, and a chunk identical to an old one keeps its
    /// embedding.
    pub async fn ecrire_index(
        &mut self,
        id: i64,
        texte_sha256: &str,
        lecture: &str,
        pages: i32,
        morceaux: &[Morceau],
    ) -> Result<IndexEcrit> {
        let (ancien, existants): (Option<String>, i64) = sqlx::query_as(
            "SELECT d.texte_sha256, (SELECT count(*) FROM document_chunks c WHERE c.document_id = d.id)
             FROM documents d WHERE d.id = $1",
        )
        .bind(id)
        .fetch_one(&mut *self.tx)
        .await?;
        let inchange =
            ancien.as_deref() == Some(texte_sha256) && existants == morceaux.len() as i64;
        let mut gardes = 0;
        if !inchange {
            let anciens: Vec<(String, String, String)> = sqlx::query_as(
                "SELECT sha256, embedding::text, embedding_modele FROM document_chunks
                 WHERE document_id = $1 AND sha256 IS NOT NULL AND embedding IS NOT NULL",
            )
            .bind(id)
            .fetch_all(&mut *self.tx)
            .await?;
            let anciens: HashMap<String, (String, String)> = anciens
                .into_iter()
                .map(|(sha, e, m)| (sha, (e, m)))
                .collect();
            sqlx::query("DELETE FROM document_chunks WHERE document_id = $1")
                .bind(id)
                .execute(&mut *self.tx)
                .await?;
            let shas: Vec<String> = morceaux.iter().map(Morceau::sha256).collect();
            let (embeddings, modeles): (Vec<Option<String>>, Vec<Option<String>>) = shas
                .iter()
                .map(|s| match anciens.get(s) {
                    Some((e, m)) => (Some(e.clone()), Some(m.clone())),
                    None => (None, None),
                })
                .unzip();
            gardes = embeddings.iter().filter(|e| e.is_some()).count() as i32;
            sqlx::query(
                "INSERT INTO document_chunks (syndic_id, document_id, rang, page, titre, contenu,
                                              sha256, embedding, embedding_modele)
                 SELECT $1, $2, n.rang, n.page, n.titre, n.contenu, n.sha256, n.embedding::vector,
                        n.modele
                 FROM unnest($3::int[], $4::int[], $5::text[], $6::text[], $7::text[], $8::text[],
                             $9::text[]) AS n(rang, page, titre, contenu, sha256, embedding, modele)",
            )
            .bind(self.syndic_id)
            .bind(id)
            .bind(morceaux.iter().map(|m| m.rang).collect::<Vec<_>>())
            .bind(morceaux.iter().map(|m| m.page).collect::<Vec<_>>())
            .bind(morceaux.iter().map(|m| m.titre.clone()).collect::<Vec<_>>())
            .bind(morceaux.iter().map(|m| m.contenu.clone()).collect::<Vec<_>>())
            .bind(&shas)
            .bind(&embeddings)
            .bind(&modeles)
            .execute(&mut *self.tx)
            .await?;
        }
        sqlx::query(
            "UPDATE documents SET statut = 'indexe', erreur = NULL, texte_sha256 = $2, lecture = $3,
                    pages = $4, pages_lues = $4, chunks = $5, indexe_le = now()
             WHERE id = $1",
        )
        .bind(id)
        .bind(texte_sha256)
        .bind(lecture)
        .bind(pages)
        .bind(morceaux.len() as i32)
        .execute(&mut *self.tx)
        .await?;
        Ok(IndexEcrit {
            chunks: morceaux.len() as i32,
            reecrit: !inchange,
            embeddings_gardes: gardes,
        })
    }

    /// Marks a document that has no prose to search (`lecture` says why): no chunks.
    pub async fn sans_texte(&mut self, id: i64, lecture: &str) -> Result<()> {
        sqlx::query("DELETE FROM document_chunks WHERE document_id = $1")
            .bind(id)
            .execute(&mut *self.tx)
            .await?;
        sqlx::query(
            "UPDATE documents SET statut = 'sans_texte', lecture = $2, erreur = NULL, chunks = 0,
                 texte_sha256 = NULL, indexe_le = now()
             WHERE id = $1",
        )
        .bind(id)
        .bind(lecture)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Marks a document's indexing failed, with the reason users read (French).
    pub async fn erreur_indexation(&mut self, id: i64, erreur: &str) -> Result<()> {
        sqlx::query("UPDATE documents SET statut = 'erreur', erreur = $2 WHERE id = $1")
            .bind(id)
            .bind(erreur)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Up to `limite` chunks without an embedding of `modele`, as the text to embed (their
    /// headings, then their content), in document order.
    pub async fn chunks_a_vectoriser(
        &mut self,
        modele: &str,
        limite: i64,
    ) -> Result<Vec<(i64, i64, String)>> {
        Ok(sqlx::query_as(
            "SELECT id, document_id, concat_ws(E'\\n', titre, contenu) FROM document_chunks
             WHERE embedding_modele IS DISTINCT FROM $1
             ORDER BY document_id, rang LIMIT $2
             FOR UPDATE SKIP LOCKED",
        )
        .bind(modele)
        .bind(limite)
        .fetch_all(&mut *self.tx)
        .await?)
    }

    /// Stores embeddings of `modele` for chunks (by id).
    pub async fn ecrire_embeddings(
        &mut self,
        modele: &str,
        vecteurs: &[(i64, Vec<f32>)],
    ) -> Result<()> {
        sqlx::query(
            "UPDATE document_chunks c SET embedding = v.e::vector, embedding_modele = $1
             FROM unnest($2::bigint[], $3::text[]) AS v(id, e) WHERE c.id = v.id",
        )
        .bind(modele)
        .bind(vecteurs.iter().map(|(id, _)| *id).collect::<Vec<_>>())
        .bind(
            vecteurs
                .iter()
                .map(|(_, v)| vecteur_texte(v))
                .collect::<Vec<_>>(),
        )
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// The document with these exact bytes, if this syndic has it: (id, title).
    pub async fn document_du_contenu(
        &mut self,
        contenu_sha256: &str,
    ) -> Result<Option<(i64, String)>> {
        Ok(
            sqlx::query_as("SELECT id, titre FROM documents WHERE contenu_sha256 = $1")
                .bind(contenu_sha256)
                .fetch_optional(&mut *self.tx)
                .await?,
        )
    }

    /// Puts documents back in the indexing queue: one, or all that have a stored file. How many.
    pub async fn reindexer(&mut self, id: Option<i64>) -> Result<u64> {
        Ok(sqlx::query(
            "UPDATE documents SET statut = 'en_attente'
             WHERE ($1::bigint IS NULL OR id = $1) AND fichier_id IS NOT NULL AND statut <> 'indexation'",
        )
        .bind(id)
        .execute(&mut *self.tx)
        .await?
        .rows_affected())
    }

    /// The documents `caller` may read (of one résidence, of one document), newest first, with
    /// their indexing progress; `modele` counts the chunks it has embedded.
    pub async fn documents_lisibles(
        &mut self,
        caller: &Caller,
        residence_id: Option<i64>,
        document_id: Option<i64>,
        modele: Option<&str>,
        limite: i64,
    ) -> Result<Vec<DocumentEtat>> {
        // LISIBLE is a constant: nothing of the caller's is written in the query.
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT d.id, d.titre, d.type, d.date_document, r.nom AS residence, d.visibilite,
                    d.statut, d.pages, d.pages_lues, d.chunks,
                    (SELECT count(*) FROM document_chunks c
                     WHERE c.document_id = d.id AND c.embedding_modele = $6) AS chunks_vectorises,
                    d.lecture, d.erreur, d.indexe_le
             FROM documents d LEFT JOIN residences r ON r.id = d.residence_id
             WHERE {LISIBLE} AND ($4::bigint IS NULL OR d.residence_id = $4)
               AND ($5::bigint IS NULL OR d.id = $5)
             ORDER BY coalesce(d.date_document, d.created_at::date) DESC, d.id DESC
             LIMIT $7"
        )))
        .bind(caller.role.is_staff())
        .bind(caller.residence_scope())
        .bind(caller.coproprietaire_id)
        .bind(residence_id)
        .bind(document_id)
        .bind(modele)
        .bind(limite)
        .fetch_all(&mut *self.tx)
        .await?)
    }

    /// The passages `caller` may read that best answer `r`: the full-text list (French stems,
    /// accents folded, any word of the question) and the vector list (cosine distance, chunks of
    /// the query's model only), each read [`PROFONDEUR`] deep, fused by reciprocal rank. The
    /// full-text rank is not normalised by length: on the 52 questions of `wakil bench documents`,
    /// normalisation 0 found 53.8 % in the top 5, against 46.2 % for 1, 44.2 % for 2 and 48.1 %
    /// for `ts_rank_cd` with 1.
    pub async fn rechercher(&mut self, caller: &Caller, r: &Recherche<'_>) -> Result<Vec<Passage>> {
        // The dimension is part of the index's expression: it is written in the query (an integer).
        let (modele, vecteur, dim) = match r.vecteur {
            Some((m, v)) if !v.is_empty() => (Some(m), Some(vecteur_texte(v)), v.len()),
            _ => (None, None, 1),
        };
        sqlx::query("SET LOCAL hnsw.iterative_scan = strict_order")
            .execute(&mut *self.tx)
            .await?;
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "WITH visibles AS (
                 SELECT d.id FROM documents d
                 WHERE {LISIBLE} AND ($4::bigint IS NULL OR d.residence_id = $4)
                   AND ($5::type_document IS NULL OR d.type = $5)
             ),
             q AS (
                 SELECT to_tsquery('simple', coalesce(
                     (SELECT string_agg(DISTINCT quote_literal(lexeme), ' | ')
                      FROM unnest(to_tsvector('french', wakil_sans_accents($6)))), '')) AS q
             ),
             texte AS (
                 SELECT c.id, row_number() OVER (ORDER BY ts_rank(c.tsv, q.q, 0) DESC, c.id) AS r
                 FROM document_chunks c, q
                 WHERE $7 AND c.document_id IN (SELECT id FROM visibles) AND c.tsv @@ q.q
                 ORDER BY r LIMIT {PROFONDEUR}
             ),
             proches AS (
                 SELECT c.id, c.embedding::vector({dim}) <=> $9::vector({dim}) AS distance
                 FROM document_chunks c
                 WHERE $8::text IS NOT NULL AND c.embedding_modele = $8 AND vector_dims(c.embedding) = {dim}
                   AND c.document_id IN (SELECT id FROM visibles)
                 ORDER BY c.embedding::vector({dim}) <=> $9::vector({dim})
                 LIMIT {PROFONDEUR}
             ),
             vecteur AS (SELECT id, row_number() OVER (ORDER BY distance, id) AS r FROM proches),
             fusion AS (
                 SELECT coalesce(t.id, v.id) AS id, t.r AS rang_texte, v.r AS rang_vecteur,
                        coalesce(1.0 / ({RRF_K} + t.r), 0) + coalesce(1.0 / ({RRF_K} + v.r), 0) AS score
                 FROM texte t FULL JOIN vecteur v ON v.id = t.id
             )
             SELECT c.id AS chunk_id, d.id AS document_id, d.titre AS document, d.type,
                    d.date_document, c.page, c.titre AS section, c.contenu,
                    f.score::float8 AS score, f.rang_texte, f.rang_vecteur
             FROM fusion f
             JOIN document_chunks c ON c.id = f.id
             JOIN documents d ON d.id = c.document_id
             ORDER BY f.score DESC, c.id
             LIMIT $10"
        )))
        .bind(caller.role.is_staff())
        .bind(caller.residence_scope())
        .bind(caller.coproprietaire_id)
        .bind(r.residence_id)
        .bind(r.type_document)
        .bind(r.texte)
        .bind(r.plein_texte)
        .bind(modele)
        .bind(vecteur)
        .bind(r.limite)
        .fetch_all(&mut *self.tx)
        .await?)
    }
}

/// A vector as pgvector reads it: `[0.1,0.2]`.
fn vecteur_texte(v: &[f32]) -> String {
    let mut s = String::with_capacity(v.len() * 10 + 2);
    s.push('[');
    for (i, x) in v.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&x.to_string());
    }
    s.push(']');
    s
}
