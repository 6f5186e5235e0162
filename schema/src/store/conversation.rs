//! Conversations, their messages, pending (write) actions and the audit log.

use super::{Result, Tenant};
use crate::types::{Caller, MessageRole, StatutAction};
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

/// A stored message of a conversation.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct StoredMessage {
    pub id: i64,
    pub role: MessageRole,
    pub contenu: String,
    pub outil: Option<String>,
    pub donnees: Option<serde_json::Value>,
    pub created_at: DateTime<Utc>,
}

/// A write waiting for (or past) its human decision.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PendingAction {
    pub id: Uuid,
    pub user_id: i64,
    pub conversation_id: Option<i64>,
    pub outil: String,
    pub arguments: serde_json::Value,
    pub resume: String,
    pub statut: StatutAction,
    pub resultat: Option<serde_json::Value>,
    pub expire_le: DateTime<Utc>,
}

/// What asking to confirm an action gave.
#[derive(Debug, Clone)]
pub enum Claim {
    /// This confirmation won: the caller runs the action now.
    Won(PendingAction),
    /// Not `en attente` any more (decided, expired, running): the action as it stands.
    Decided(PendingAction),
    /// No such action for this caller.
    Unknown,
}

/// One line of the audit log.
#[derive(Debug, Clone)]
pub struct AuditEntry<'a> {
    pub outil: &'a str,
    pub arguments: &'a serde_json::Value,
    pub resultat: &'a str,
    pub succes: bool,
    pub pending_action_id: Option<Uuid>,
    pub confirme_par: Option<i64>,
}

const PENDING_COLUMNS: &str =
    "id, user_id, conversation_id, outil, arguments, resume, statut, resultat, expire_le";

impl Tenant {
    /// The caller's conversation on their channel: the latest one active within `idle_minutes`,
    /// or a new one.
    pub async fn conversation_for(&mut self, caller: &Caller, idle_minutes: i32) -> Result<i64> {
        let current: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM conversations
             WHERE user_id = $1 AND canal = $2
               AND last_activity > now() - make_interval(mins => $3)
             ORDER BY last_activity DESC LIMIT 1",
        )
        .bind(caller.user_id)
        .bind(caller.canal)
        .bind(idle_minutes)
        .fetch_optional(&mut *self.tx)
        .await?;
        if let Some(id) = current {
            return Ok(id);
        }
        self.new_conversation(caller).await
    }

    /// Starts a new conversation for the caller on their channel.
    pub async fn new_conversation(&mut self, caller: &Caller) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO conversations (syndic_id, user_id, canal) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(self.syndic_id)
        .bind(caller.user_id)
        .bind(caller.canal)
        .fetch_one(&mut *self.tx)
        .await?)
    }

    /// Whether `conversation` belongs to `caller` (a channel may name one to resume).
    pub async fn owns_conversation(&mut self, caller: &Caller, conversation: i64) -> Result<bool> {
        Ok(sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM conversations WHERE id = $1 AND user_id = $2)",
        )
        .bind(conversation)
        .bind(caller.user_id)
        .fetch_one(&mut *self.tx)
        .await?)
    }

    /// Appends a message and marks the conversation active.
    pub async fn add_message(
        &mut self,
        conversation: i64,
        role: MessageRole,
        contenu: &str,
        outil: Option<&str>,
        donnees: Option<&serde_json::Value>,
    ) -> Result<i64> {
        let id = sqlx::query_scalar(
            "INSERT INTO messages (syndic_id, conversation_id, role, contenu, outil, donnees)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(self.syndic_id)
        .bind(conversation)
        .bind(role)
        .bind(contenu)
        .bind(outil)
        .bind(donnees)
        .fetch_one(&mut *self.tx)
        .await?;
        sqlx::query("UPDATE conversations SET last_activity = now() WHERE id = $1")
            .bind(conversation)
            .execute(&mut *self.tx)
            .await?;
        Ok(id)
    }

    /// The last `limit` messages of a conversation, oldest first.
    pub async fn recent_messages(
        &mut self,
        conversation: i64,
        limit: i64,
    ) -> Result<Vec<StoredMessage>> {
        Ok(sqlx::query_as(
            "SELECT * FROM (
                 SELECT id, role, contenu, outil, donnees, created_at FROM messages
                 WHERE conversation_id = $1 ORDER BY id DESC LIMIT $2
             ) m ORDER BY id",
        )
        .bind(conversation)
        .bind(limit)
        .fetch_all(&mut *self.tx)
        .await?)
    }

    /// Stores a write waiting for the caller's decision; it expires after `ttl_minutes`. It
    /// replaces the caller's actions still waiting in the same conversation (cancelled): a "oui"
    /// only ever answers the latest question.
    pub async fn create_pending(
        &mut self,
        caller: &Caller,
        conversation: Option<i64>,
        outil: &str,
        plan: &serde_json::Value,
        resume: &str,
        ttl_minutes: i32,
    ) -> Result<Uuid> {
        if let Some(conversation) = conversation {
            sqlx::query(
                "UPDATE pending_actions SET statut = 'annulee', decide_le = now()
                 WHERE user_id = $1 AND conversation_id = $2 AND statut = 'en_attente'",
            )
            .bind(caller.user_id)
            .bind(conversation)
            .execute(&mut *self.tx)
            .await?;
        }
        let id = Uuid::new_v4();
        sqlx::query(
            "INSERT INTO pending_actions
                 (id, syndic_id, user_id, conversation_id, canal, outil, arguments, resume, expire_le)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now() + make_interval(mins => $9))",
        )
        .bind(id)
        .bind(self.syndic_id)
        .bind(caller.user_id)
        .bind(conversation)
        .bind(caller.canal)
        .bind(outil)
        .bind(plan)
        .bind(resume)
        .bind(ttl_minutes)
        .execute(&mut *self.tx)
        .await?;
        Ok(id)
    }

    /// The conversation an action of the caller's was asked in.
    pub async fn pending_conversation(&mut self, caller: &Caller, id: Uuid) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT conversation_id FROM pending_actions WHERE id = $1 AND user_id = $2",
        )
        .bind(id)
        .bind(caller.user_id)
        .fetch_optional(&mut *self.tx)
        .await?
        .flatten())
    }

    /// The caller's most recent action still waiting in a conversation, if not expired.
    pub async fn waiting_action(
        &mut self,
        caller: &Caller,
        conversation: i64,
    ) -> Result<Option<PendingAction>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {PENDING_COLUMNS} FROM pending_actions
             WHERE user_id = $1 AND conversation_id = $2 AND statut = 'en_attente'
               AND expire_le > now()
             ORDER BY created_at DESC LIMIT 1"
        )))
        .bind(caller.user_id)
        .bind(conversation)
        .fetch_optional(&mut *self.tx)
        .await?)
    }

    /// Decides an action of the caller's. Only one decision ever wins: the `UPDATE … WHERE statut =
    /// 'en_attente'` takes the row lock, so a second confirmation (even concurrent) sees the first
    /// one's outcome. An expired action is marked so and cannot be confirmed.
    pub async fn decide_pending(
        &mut self,
        caller: &Caller,
        id: Uuid,
        confirm: bool,
    ) -> Result<Claim> {
        let next = if confirm {
            StatutAction::Confirmee
        } else {
            StatutAction::Annulee
        };
        let won: Option<PendingAction> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "UPDATE pending_actions SET statut = $3, decide_le = now()
             WHERE id = $1 AND user_id = $2 AND statut = 'en_attente' AND expire_le > now()
             RETURNING {PENDING_COLUMNS}"
        )))
        .bind(id)
        .bind(caller.user_id)
        .bind(next)
        .fetch_optional(&mut *self.tx)
        .await?;
        if let Some(action) = won {
            return Ok(Claim::Won(action));
        }
        let current: Option<PendingAction> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "UPDATE pending_actions
             SET statut = CASE WHEN statut = 'en_attente' THEN 'expiree'::statut_action ELSE statut END
             WHERE id = $1 AND user_id = $2
             RETURNING {PENDING_COLUMNS}"
        )))
        .bind(id)
        .bind(caller.user_id)
        .fetch_optional(&mut *self.tx)
        .await?;
        Ok(current.map_or(Claim::Unknown, Claim::Decided))
    }

    /// Records how a confirmed action ended (`executee` or `echec`) with its result.
    pub async fn finish_pending(
        &mut self,
        id: Uuid,
        statut: StatutAction,
        resultat: &serde_json::Value,
    ) -> Result<()> {
        sqlx::query("UPDATE pending_actions SET statut = $2, resultat = $3 WHERE id = $1")
            .bind(id)
            .bind(statut)
            .bind(resultat)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Appends to the audit log (the application may insert, never update or delete).
    pub async fn audit(&mut self, caller: &Caller, entry: &AuditEntry<'_>) -> Result<()> {
        sqlx::query(
            "INSERT INTO audit_log (syndic_id, user_id, canal, outil, arguments, resultat, succes,
                                    pending_action_id, confirme_par)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(self.syndic_id)
        .bind(caller.user_id)
        .bind(caller.canal)
        .bind(entry.outil)
        .bind(entry.arguments)
        .bind(entry.resultat)
        .bind(entry.succes)
        .bind(entry.pending_action_id)
        .bind(entry.confirme_par)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }
}
