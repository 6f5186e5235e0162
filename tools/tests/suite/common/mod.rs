//! The demo database and its callers, shared by the tools' integration tests.

use uuid::Uuid;
use wakil_schema::testing::{Template, TestDb, demo_clock, fresh};
use wakil_schema::{Caller, Canal, Role};
use wakil_tools::{Called, PendingPlan, ToolContext, ToolError, ToolResult};

pub struct Demo {
    pub db: TestDb,
    pub ctx: ToolContext,
    /// The demo syndic (Atlas Syndic).
    pub atlas: i64,
}

pub async fn demo() -> Demo {
    let db = fresh(Template::Demo).await;
    let atlas: i64 = sqlx::query_scalar("SELECT id FROM syndics ORDER BY id LIMIT 1")
        .fetch_one(&db.admin)
        .await
        .unwrap();
    let ctx = ToolContext::new(
        db.store.clone(),
        demo_clock(),
        wakil_tools::FileStore::new(std::env::temp_dir().join("wakil-test-fichiers")),
    );
    Demo { db, ctx, atlas }
}

impl Demo {
    /// A caller of the given role in `syndic` (the first such user).
    pub async fn caller(&self, syndic: i64, role: Role) -> Caller {
        let email: String = sqlx::query_scalar(
            "SELECT email FROM users WHERE syndic_id = $1 AND role = $2 ORDER BY id LIMIT 1",
        )
        .bind(syndic)
        .bind(role)
        .fetch_one(&self.db.admin)
        .await
        .unwrap();
        self.ctx
            .store
            .caller_by_email(&email, Canal::Cli)
            .await
            .unwrap()
            .unwrap()
    }

    /// The id of the co-owner named `prenom nom`, as the owner sees it.
    pub async fn copro(&self, prenom: &str, nom: &str) -> i64 {
        sqlx::query_scalar("SELECT id FROM coproprietaires WHERE prenom = $1 AND nom = $2")
            .bind(prenom)
            .bind(nom)
            .fetch_one(&self.db.admin)
            .await
            .unwrap()
    }

    /// The id of the résidence named `nom`, as the owner sees it.
    pub async fn residence(&self, nom: &str) -> i64 {
        sqlx::query_scalar("SELECT id FROM residences WHERE nom = $1")
            .bind(nom)
            .fetch_one(&self.db.admin)
            .await
            .unwrap()
    }
}

/// A write's plan (nothing written yet); a read here is a test failure.
#[allow(dead_code)]
pub async fn plan(
    ctx: &ToolContext,
    caller: &Caller,
    tool: &str,
    args: serde_json::Value,
) -> Result<PendingPlan, ToolError> {
    match wakil_tools::find(tool)
        .unwrap()
        .call(ctx, caller, args)
        .await?
    {
        Called::Pending(p) => Ok(p),
        Called::Done(r) => panic!("{tool} must wait for a confirmation, got {}", r.summary),
    }
}

/// Runs a plan as its confirmation `confirmation` does.
#[allow(dead_code)]
pub async fn execute(
    ctx: &ToolContext,
    caller: &Caller,
    p: &PendingPlan,
    confirmation: Uuid,
) -> Result<ToolResult, ToolError> {
    wakil_tools::find(p.tool)
        .unwrap()
        .execute(ctx, caller, p.plan.clone(), confirmation)
        .await
}
