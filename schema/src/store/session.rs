//! Web sessions, passwords, the files of a conversation, and the résidences a caller may pick.

use super::{Result, Store, Tenant};
use crate::store::ResidenceRef;
use crate::types::{Caller, Canal};
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

/// What a login needs to check a password: the user and their stored hash (none: no password
/// set, the user cannot log in on the web).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LoginCandidate {
    pub user_id: i64,
    pub syndic_id: i64,
    pub password_hash: Option<String>,
}

/// A stored file (its bytes are on disk, named by `id`).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Fichier {
    pub id: Uuid,
    pub user_id: i64,
    pub nom: String,
    pub mime: String,
    pub taille: i64,
    pub contenu_sha256: String,
    pub created_at: DateTime<Utc>,
}

/// A file to record (`wakil_schema` does not see the bytes).
#[derive(Debug, Clone)]
pub struct NouveauFichier<'a> {
    pub id: Uuid,
    pub nom: &'a str,
    pub mime: &'a str,
    pub taille: i64,
    pub contenu_sha256: &'a str,
}

impl Store {
    /// The active user behind a login e-mail, with their password hash (cross-tenant, through
    /// `wakil_login`).
    pub async fn login_candidate(&self, email: &str) -> Result<Option<LoginCandidate>> {
        Ok(
            sqlx::query_as("SELECT user_id, syndic_id, password_hash FROM wakil_login($1)")
                .bind(email)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// The caller behind a valid session token's hash, on `canal`.
    pub async fn session_caller(&self, token_sha256: &str, canal: Canal) -> Result<Option<Caller>> {
        let found: Option<(i64, i64)> =
            sqlx::query_as("SELECT user_id, syndic_id FROM wakil_identify_session($1)")
                .bind(token_sha256)
                .fetch_optional(&self.pool)
                .await?;
        self.caller_of(found, canal).await
    }

    /// Sets the password hash of the user behind `email`; false when there is no such user.
    pub async fn set_password_hash(&self, email: &str, hash: &str) -> Result<bool> {
        let Some(user) = self.login_candidate(email).await? else {
            return Ok(false);
        };
        let mut t = self.tenant(user.syndic_id).await?;
        let done = sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
            .bind(user.user_id)
            .bind(hash)
            .execute(&mut *t.tx)
            .await?
            .rows_affected();
        // Sessions opened with the old password end with it.
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user.user_id)
            .execute(&mut *t.tx)
            .await?;
        t.commit().await?;
        Ok(done == 1)
    }
}

impl Tenant {
    /// Opens a session of `user_id` for `hours`; the token itself is never stored.
    pub async fn create_session(
        &mut self,
        user_id: i64,
        token_sha256: &str,
        hours: i32,
    ) -> Result<()> {
        // Expired sessions of this user go at the same time.
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND expire_le <= now()")
            .bind(user_id)
            .execute(&mut *self.tx)
            .await?;
        sqlx::query(
            "INSERT INTO sessions (syndic_id, user_id, token_sha256, expire_le)
             VALUES ($1, $2, $3, now() + make_interval(hours => $4))",
        )
        .bind(self.syndic_id)
        .bind(user_id)
        .bind(token_sha256)
        .bind(hours)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Ends a session (logout).
    pub async fn delete_session(&mut self, token_sha256: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_sha256 = $1")
            .bind(token_sha256)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// The résidences the caller may choose among: all of the syndic's for staff, their own for a
    /// président, those where a co-owner holds a lot.
    pub async fn residences_for(&mut self, caller: &Caller) -> Result<Vec<ResidenceRef>> {
        match caller.coproprietaire_id {
            Some(copro) => Ok(sqlx::query_as(
                "SELECT DISTINCT r.id, r.nom, r.ville FROM residences r
                 JOIN lots l ON l.residence_id = r.id
                 JOIN proprietes p ON p.lot_id = l.id AND p.jusqu_au IS NULL
                 WHERE p.coproprietaire_id = $1 ORDER BY r.nom",
            )
            .bind(copro)
            .fetch_all(&mut *self.tx)
            .await?),
            None => self.residences(caller.residence_scope()).await,
        }
    }

    /// Records a file given by (or produced for) `caller`.
    pub async fn add_fichier(&mut self, caller: &Caller, f: &NouveauFichier<'_>) -> Result<()> {
        sqlx::query(
            "INSERT INTO fichiers (id, syndic_id, user_id, nom, mime, taille, contenu_sha256)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(f.id)
        .bind(self.syndic_id)
        .bind(caller.user_id)
        .bind(f.nom)
        .bind(f.mime)
        .bind(f.taille)
        .bind(f.contenu_sha256)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// A file of this syndic, whoever it belongs to (see [`Tenant::fichier_lisible`] for a
    /// caller's access).
    pub async fn fichier(&mut self, id: Uuid) -> Result<Option<Fichier>> {
        Ok(sqlx::query_as(
            "SELECT id, user_id, nom, mime, taille, contenu_sha256, created_at
             FROM fichiers WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&mut *self.tx)
        .await?)
    }
}
