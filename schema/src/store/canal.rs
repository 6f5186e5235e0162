//! Telegram and WhatsApp: the user behind a chat identity, the invitations that link an identity
//! to a user, the deliveries already seen, and the payment proofs co-owners send.
//!
//! The cross-tenant steps (who is writing, redeeming an invitation, whether a delivery is new)
//! go through `SECURITY DEFINER` functions of migration 0009 that return ids or a boolean; the
//! rest runs in the user's tenant transaction.

use super::resolve::{COPRO_STOPWORDS, pick, suggest};
use super::{Lookup, Result, Store, StoreError, Tenant};
use crate::fold::fold;
use crate::types::{Caller, Canal, Role};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The SHA-256 (lower-case hex) of an invitation token, as `invitations.jeton_sha256` stores it.
/// The token is first normalised like [`normaliser_jeton`].
pub fn jeton_sha256(token: &str) -> String {
    let digest = Sha256::digest(normaliser_jeton(token).as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A token as typed back by a person: surrounding and inner blanks and dashes removed, lower
/// case ("1234 5678" and "1234-5678" are the code "12345678"). Tokens are hex or digits only.
pub fn normaliser_jeton(token: &str) -> String {
    token
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

/// An invitation to record (the token itself is never stored).
#[derive(Debug, Clone)]
pub struct NouvelleInvitation<'a> {
    pub user_id: i64,
    /// Telegram or WhatsApp.
    pub canal: Canal,
    /// [`jeton_sha256`] of the token.
    pub jeton_sha256: &'a str,
    /// WhatsApp: the invited number, international, digits only ("212612345678").
    pub telephone: Option<&'a str>,
    /// The staff member who created it (none from the CLI).
    pub cree_par: Option<i64>,
    /// The confirmation that created it (none from the CLI).
    pub confirmation_id: Option<Uuid>,
    pub expire_le: DateTime<Utc>,
}

/// An invitation already recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct InvitationCreee {
    pub id: i64,
    pub user_id: i64,
    /// The invited user's name.
    pub nom: String,
    pub canal: Canal,
    pub telephone: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expire_le: DateTime<Utc>,
    pub utilisee_le: Option<DateTime<Utc>>,
}

/// A user of the syndic, as the `inviter` tool resolves them (active or not).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Utilisateur {
    pub id: i64,
    pub nom_complet: String,
    pub email: Option<String>,
    pub role: Role,
    pub coproprietaire_id: Option<i64>,
    pub residence_id: Option<i64>,
    pub actif: bool,
}

/// How a co-owner's record says they can be reached.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Coordonnees {
    pub email: Option<String>,
    pub telephone: Option<String>,
}

/// A payment proof waiting for the staff's check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct JustificatifAVerifier {
    pub id: i64,
    pub coproprietaire_id: i64,
    /// "Mme Khadija Lahlou".
    pub coproprietaire: String,
    pub fichier_id: Uuid,
    /// The file's name.
    pub nom: String,
    pub mime: String,
    pub taille: i64,
    pub created_at: DateTime<Utc>,
    pub canal: Canal,
}

impl Store {
    /// The verified user behind `identifiant` on `canal` (wakil_identify_channel), as a Caller on
    /// that canal; records that they just wrote (`channel_links.dernier_entrant_le = now()`, the
    /// WhatsApp 24-hour window) in their tenant transaction.
    pub async fn channel_caller(&self, canal: Canal, identifiant: &str) -> Result<Option<Caller>> {
        let found: Option<(i64, i64)> =
            sqlx::query_as("SELECT user_id, syndic_id FROM wakil_identify_channel($1, $2)")
                .bind(canal)
                .bind(identifiant)
                .fetch_optional(&self.pool)
                .await?;
        self.linked_caller(found, canal, identifiant).await
    }

    /// Whether this delivery (Telegram update id, WhatsApp message id) is seen for the first time.
    pub async fn first_delivery(&self, canal: Canal, message_id: &str) -> Result<bool> {
        Ok(
            sqlx::query_scalar("SELECT wakil_premiere_reception($1, $2)")
                .bind(canal)
                .bind(message_id)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Redeems an invitation token (hashed here with sha256 hex, after [`normaliser_jeton`]) for
    /// `identifiant`; the linked user as a Caller on `canal` (dernier_entrant_le set), or None
    /// (unknown, used, expired, wrong number, inactive user).
    pub async fn redeem_invitation(
        &self,
        canal: Canal,
        token: &str,
        identifiant: &str,
    ) -> Result<Option<Caller>> {
        let found: Option<(i64, i64)> =
            sqlx::query_as("SELECT user_id, syndic_id FROM wakil_utiliser_invitation($1, $2, $3)")
                .bind(canal)
                .bind(jeton_sha256(token))
                .bind(identifiant)
                .fetch_optional(&self.pool)
                .await?;
        self.linked_caller(found, canal, identifiant).await
    }

    /// The caller behind a channel identity just identified, with its last inbound time set.
    async fn linked_caller(
        &self,
        found: Option<(i64, i64)>,
        canal: Canal,
        identifiant: &str,
    ) -> Result<Option<Caller>> {
        let Some((user_id, syndic_id)) = found else {
            return Ok(None);
        };
        let mut t = self.tenant(syndic_id).await?;
        sqlx::query(
            "UPDATE channel_links SET dernier_entrant_le = now()
             WHERE canal = $1 AND identifiant = $2 AND user_id = $3",
        )
        .bind(canal)
        .bind(identifiant)
        .bind(user_id)
        .execute(&mut *t.tx)
        .await?;
        let caller = t.caller(user_id, canal).await?;
        t.commit().await?;
        Ok(caller)
    }
}

/// The columns of [`Utilisateur`].
const UTILISATEUR: &str =
    "SELECT id, nom_complet, email, role, coproprietaire_id, residence_id, actif FROM users";

impl Tenant {
    /// Records an invitation; its id. A token whose hash is already taken (by any invitation,
    /// of any syndic) is refused with [`StoreError::JetonDejaAttribue`] and nothing written:
    /// draw another one.
    pub async fn create_invitation(&mut self, inv: &NouvelleInvitation<'_>) -> Result<i64> {
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO invitations (syndic_id, user_id, canal, jeton_sha256, telephone, cree_par,
                                      confirmation_id, expire_le)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (jeton_sha256) DO NOTHING
             RETURNING id",
        )
        .bind(self.syndic_id)
        .bind(inv.user_id)
        .bind(inv.canal)
        .bind(inv.jeton_sha256)
        .bind(inv.telephone)
        .bind(inv.cree_par)
        .bind(inv.confirmation_id)
        .bind(inv.expire_le)
        .fetch_optional(&mut *self.tx)
        .await?;
        id.ok_or(StoreError::JetonDejaAttribue)
    }

    /// The invitation a confirmation created, if any (for an idempotent execution).
    pub async fn invitation_par_confirmation(
        &mut self,
        confirmation: Uuid,
    ) -> Result<Option<InvitationCreee>> {
        Ok(sqlx::query_as(
            "SELECT i.id, i.user_id, u.nom_complet AS nom, i.canal, i.telephone, i.created_at,
                    i.expire_le, i.utilisee_le
             FROM invitations i JOIN users u ON u.id = i.user_id
             WHERE i.confirmation_id = $1",
        )
        .bind(confirmation)
        .fetch_optional(&mut *self.tx)
        .await?)
    }

    /// Records a payment proof sent by `caller`, a co-owner, as file `fichier_id` (theirs); its
    /// id. The same file again gives the existing proof's id.
    pub async fn add_justificatif(&mut self, caller: &Caller, fichier_id: Uuid) -> Result<i64> {
        let coproprietaire = caller.coproprietaire_id.ok_or(StoreError::Refus(
            "seul un copropriétaire envoie un justificatif de paiement",
        ))?;
        let inserted: Option<i64> = sqlx::query_scalar(
            "INSERT INTO justificatifs (syndic_id, coproprietaire_id, fichier_id, envoye_par, canal)
             SELECT f.syndic_id, $2, f.id, $3, $4 FROM fichiers f WHERE f.id = $1 AND f.user_id = $3
             ON CONFLICT (fichier_id) DO NOTHING
             RETURNING id",
        )
        .bind(fichier_id)
        .bind(coproprietaire)
        .bind(caller.user_id)
        .bind(caller.canal)
        .fetch_optional(&mut *self.tx)
        .await?;
        if let Some(id) = inserted {
            return Ok(id);
        }
        let existing: Option<i64> =
            sqlx::query_scalar("SELECT id FROM justificatifs WHERE fichier_id = $1")
                .bind(fichier_id)
                .fetch_optional(&mut *self.tx)
                .await?;
        existing.ok_or(StoreError::Refus(
            "ce fichier n'est pas un fichier envoyé par ce copropriétaire",
        ))
    }

    /// The payment proofs waiting for a check, oldest first, at most `limite`: staff only; a
    /// président sees those of their résidence's co-owners.
    pub async fn justificatifs_a_verifier(
        &mut self,
        caller: &Caller,
        limite: i64,
    ) -> Result<Vec<JustificatifAVerifier>> {
        if !caller.role.is_staff() {
            return Err(StoreError::Refus(
                "les justificatifs à vérifier sont réservés à l'équipe du syndic",
            ));
        }
        Ok(sqlx::query_as(
            "SELECT j.id, j.coproprietaire_id,
                    concat_ws(' ', c.civilite, c.prenom, c.nom) AS coproprietaire,
                    j.fichier_id, f.nom, f.mime, f.taille, j.created_at, j.canal
             FROM justificatifs j
             JOIN coproprietaires c ON c.id = j.coproprietaire_id
             JOIN fichiers f ON f.id = j.fichier_id
             WHERE j.statut = 'a_verifier'
               AND ($1::bigint IS NULL OR EXISTS (
                   SELECT 1 FROM proprietes p JOIN lots l ON l.id = p.lot_id
                   WHERE p.coproprietaire_id = j.coproprietaire_id AND p.jusqu_au IS NULL
                     AND l.residence_id = $1))
             ORDER BY j.created_at, j.id
             LIMIT $2",
        )
        .bind(caller.residence_scope())
        .bind(limite.max(0))
        .fetch_all(&mut *self.tx)
        .await?)
    }

    /// A user of this syndic by id (active or not).
    pub async fn utilisateur(&mut self, id: i64) -> Result<Option<Utilisateur>> {
        Ok(
            sqlx::query_as(sqlx::AssertSqlSafe(format!("{UTILISATEUR} WHERE id = $1")))
                .bind(id)
                .fetch_optional(&mut *self.tx)
                .await?,
        )
    }

    /// The user with this login e-mail (any role, active or not).
    pub async fn utilisateur_par_email(&mut self, email: &str) -> Result<Option<Utilisateur>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{UTILISATEUR} WHERE lower(email) = lower(btrim($1))"
        )))
        .bind(email)
        .fetch_optional(&mut *self.tx)
        .await?)
    }

    /// The user account of a co-owner, the active one first.
    pub async fn utilisateur_du_coproprietaire(
        &mut self,
        coproprietaire_id: i64,
    ) -> Result<Option<Utilisateur>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{UTILISATEUR} WHERE coproprietaire_id = $1 ORDER BY actif DESC, id LIMIT 1"
        )))
        .bind(coproprietaire_id)
        .fetch_optional(&mut *self.tx)
        .await?)
    }

    /// A staff member (any role but co-owner, active or not) by name: every typed word must be
    /// in their name; the closest names when none fits.
    pub async fn find_staff(&mut self, query: &str) -> Result<Lookup<Utilisateur>> {
        let staff: Vec<Utilisateur> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{UTILISATEUR} WHERE role <> 'coproprietaire' ORDER BY nom_complet, id"
        )))
        .fetch_all(&mut *self.tx)
        .await?;
        let words: Vec<String> = fold(query)
            .split_whitespace()
            .filter(|w| !COPRO_STOPWORDS.contains(w))
            .map(str::to_string)
            .collect();
        if words.is_empty() {
            return Ok(Lookup::NotFound(Vec::new()));
        }
        let hits: Vec<Utilisateur> = staff
            .iter()
            .filter(|u| {
                let name = fold(&u.nom_complet);
                words.iter().all(|w| name.contains(w.as_str()))
            })
            .cloned()
            .collect();
        if !hits.is_empty() {
            return Ok(pick(
                query,
                hits,
                |u| u.nom_complet.clone(),
                COPRO_STOPWORDS,
            ));
        }
        Ok(suggest(query, &staff, |u| &u.nom_complet))
    }

    /// The e-mail and telephone of a co-owner's record.
    pub async fn coordonnees_coproprietaire(
        &mut self,
        coproprietaire_id: i64,
    ) -> Result<Option<Coordonnees>> {
        Ok(
            sqlx::query_as("SELECT email, telephone FROM coproprietaires WHERE id = $1")
                .bind(coproprietaire_id)
                .fetch_optional(&mut *self.tx)
                .await?,
        )
    }

    /// Creates the user account of a co-owner (role coproprietaire, no password: they use the
    /// bots until one is set), named like their record, in their language, with the record's
    /// e-mail when it has one that no other user has (login e-mails are unique across syndics),
    /// else without.
    pub async fn creer_utilisateur_coproprietaire(
        &mut self,
        coproprietaire_id: i64,
    ) -> Result<Utilisateur> {
        let insert = |with_email: bool| {
            sqlx::query_as::<_, Utilisateur>(sqlx::AssertSqlSafe(format!(
                "INSERT INTO users (syndic_id, email, nom_complet, role, coproprietaire_id, langue)
                 SELECT c.syndic_id, {email}, concat_ws(' ', c.prenom, c.nom), 'coproprietaire',
                        c.id, c.langue
                 FROM coproprietaires c WHERE c.id = $1
                 ON CONFLICT DO NOTHING
                 RETURNING id, nom_complet, email, role, coproprietaire_id, residence_id, actif",
                email = if with_email {
                    "CASE WHEN btrim(coalesce(c.email, '')) ~ '^[^@\\s]+@[^@\\s]+$' \
                     THEN btrim(c.email) END"
                } else {
                    "NULL"
                },
            )))
            .bind(coproprietaire_id)
        };
        if let Some(u) = insert(true).fetch_optional(&mut *self.tx).await? {
            return Ok(u);
        }
        // The e-mail belongs to another user already.
        insert(false)
            .fetch_optional(&mut *self.tx)
            .await?
            .ok_or(StoreError::Refus("copropriétaire introuvable"))
    }
}
