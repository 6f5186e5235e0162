//! Tenant isolation is enforced by PostgreSQL: the application role cannot read or write another
//! syndic's rows, even with hand-written SQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use sqlx::{Connection, Executor, PgConnection, Row};
use wakil_schema::testing::{Template, fresh};

async fn syndic_ids(admin: &sqlx::PgPool) -> (i64, i64) {
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM syndics ORDER BY id")
        .fetch_all(admin)
        .await
        .unwrap();
    assert!(ids.len() >= 2, "the demo has two syndics");
    (ids[0], ids[1])
}

/// A hand-made transaction of the application role with `wakil.syndic_id` set, as the store does.
async fn as_syndic(conn: &mut PgConnection, syndic: i64) -> sqlx::Transaction<'_, sqlx::Postgres> {
    let mut tx = conn.begin().await.unwrap();
    sqlx::query("SELECT set_config('wakil.syndic_id', $1, true)")
        .bind(syndic.to_string())
        .execute(&mut *tx)
        .await
        .unwrap();
    tx
}

/// Tables that carry syndic_id (all tenant tables but `syndics` itself).
async fn tenant_tables(admin: &sqlx::PgPool) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
         WHERE c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace AND a.attname = 'syndic_id'
         ORDER BY 1",
    )
    .fetch_all(admin)
    .await
    .unwrap()
}

#[tokio::test]
async fn app_role_does_not_bypass_rls_and_every_tenant_table_has_a_policy() {
    let db = fresh(Template::Empty).await;
    let mut conn = PgConnection::connect(&db.app_url).await.unwrap();
    let row = conn
        .fetch_one("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        .await
        .unwrap();
    assert!(!row.get::<bool, _>(0), "wakil_app must not be a superuser");
    assert!(!row.get::<bool, _>(1), "wakil_app must not bypass RLS");

    let unprotected: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_class c
         WHERE c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace
           AND c.relname <> '_sqlx_migrations'
           AND (NOT c.relrowsecurity OR NOT EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid))",
    )
    .fetch_all(&db.admin)
    .await
    .unwrap();
    assert_eq!(
        unprotected,
        Vec::<String>::new(),
        "tables without row-level security"
    );
    let owner_is_app: bool = sqlx::query_scalar(
        "SELECT bool_or(pg_get_userbyid(relowner) = 'wakil_app') FROM pg_class
         WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace",
    )
    .fetch_one(&db.admin)
    .await
    .unwrap();
    assert!(
        !owner_is_app,
        "the application role must not own tables (owners bypass RLS)"
    );
}

#[tokio::test]
async fn hand_written_select_sees_only_the_syndic_of_the_transaction() {
    let db = fresh(Template::Demo).await;
    let (a, b) = syndic_ids(&db.admin).await;
    let tables = tenant_tables(&db.admin).await;
    assert!(tables.len() > 25, "tenant tables: {tables:?}");
    let mut conn = PgConnection::connect(&db.app_url).await.unwrap();

    // Without a syndic set, nothing is visible.
    for table in tables.iter().chain(std::iter::once(&"syndics".to_string())) {
        let n: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
                .fetch_one(&mut conn)
                .await
                .unwrap();
        assert_eq!(n, 0, "{table} visible without a syndic");
    }

    // With syndic A set, `SELECT *` returns exactly A's rows, for every table.
    let mut tx = as_syndic(&mut conn, a).await;
    let mut checked_b_rows = 0;
    for table in &tables {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT * FROM {table}")))
            .fetch_all(&mut *tx)
            .await
            .unwrap();
        assert!(
            rows.iter().all(|r| r.get::<i64, _>("syndic_id") == a),
            "{table} leaks another syndic"
        );
        let (own, other): (i64, i64) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT count(*) FILTER (WHERE syndic_id = $1), count(*) FILTER (WHERE syndic_id = $2) FROM {table}"
        )))
        .bind(a)
        .bind(b)
        .fetch_one(&db.admin)
        .await
        .unwrap();
        assert_eq!(
            rows.len() as i64,
            own,
            "{table}: all of A's rows are visible"
        );
        checked_b_rows += other;
    }
    assert!(checked_b_rows > 0, "syndic B has rows that were hidden");
    let visible_syndics: Vec<i64> = sqlx::query_scalar("SELECT id FROM syndics")
        .fetch_all(&mut *tx)
        .await
        .unwrap();
    assert_eq!(visible_syndics, vec![a]);

    // Writing B's rows is impossible: updates match nothing, inserts are refused.
    let updated = sqlx::query("UPDATE coproprietaires SET nom = 'X' WHERE syndic_id = $1")
        .bind(b)
        .execute(&mut *tx)
        .await
        .unwrap()
        .rows_affected();
    assert_eq!(updated, 0);
    let insert = sqlx::query("INSERT INTO coproprietaires (syndic_id, nom) VALUES ($1, 'Intrus')")
        .bind(b)
        .execute(&mut *tx)
        .await;
    assert!(
        insert.is_err(),
        "inserting a row for another syndic must fail"
    );
    tx.rollback().await.unwrap();

    // A row of A cannot point at B's rows either (composite foreign keys).
    let b_residence: i64 =
        sqlx::query_scalar("SELECT id FROM residences WHERE syndic_id = $1 LIMIT 1")
            .bind(b)
            .fetch_one(&db.admin)
            .await
            .unwrap();
    let mut tx = as_syndic(&mut conn, a).await;
    let cross = sqlx::query(
        "INSERT INTO lots (syndic_id, residence_id, numero, tantiemes) VALUES ($1, $2, 'Z9', 10)",
    )
    .bind(a)
    .bind(b_residence)
    .execute(&mut *tx)
    .await;
    assert!(
        cross.is_err(),
        "a lot of A in B's résidence must be refused"
    );
}

#[tokio::test]
async fn the_audit_log_is_append_only_for_the_application() {
    let db = fresh(Template::Demo).await;
    let (a, _) = syndic_ids(&db.admin).await;
    let mut conn = PgConnection::connect(&db.app_url).await.unwrap();
    let mut tx = as_syndic(&mut conn, a).await;
    sqlx::query("INSERT INTO audit_log (syndic_id, canal, outil, arguments, resultat, succes) VALUES ($1, 'cli', 'test', '{}', 'ok', true)")
        .bind(a)
        .execute(&mut *tx)
        .await
        .unwrap();
    let delete = tx.execute("DELETE FROM audit_log").await;
    assert!(
        delete.is_err(),
        "the application must not delete audit entries"
    );
}

#[tokio::test]
async fn sql_and_rust_fold_names_the_same_way() {
    let db = fresh(Template::Empty).await;
    for s in [
        "Résidence Al Maârif",
        "L'Œuvre d’Élodie-Çelik",
        "  BENJELLOUN   Ïmane ",
        "Agdal Parc",
    ] {
        let sql: String = sqlx::query_scalar("SELECT wakil_fold($1)")
            .bind(s)
            .fetch_one(&db.admin)
            .await
            .unwrap();
        assert_eq!(sql, wakil_schema::fold::fold(s), "{s}");
    }
}

#[tokio::test]
async fn every_reference_between_tenant_rows_carries_the_syndic() {
    let db = fresh(Template::Empty).await;
    // Foreign keys of tenant tables to other tables than `syndics` must include syndic_id,
    // otherwise a row could point into another tenant (FK checks bypass RLS).
    let loose: Vec<String> = sqlx::query_scalar(
        "SELECT con.conname::text FROM pg_constraint con
         WHERE con.contype = 'f' AND con.connamespace = 'public'::regnamespace
           AND con.confrelid <> 'syndics'::regclass
           AND NOT EXISTS (SELECT 1 FROM unnest(con.conkey) k
                           JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k
                           WHERE a.attname = 'syndic_id')
         ORDER BY 1",
    )
    .fetch_all(&db.admin)
    .await
    .unwrap();
    assert_eq!(loose, Vec::<String>::new());
}

/// Parallel processes migrating their own databases all set the shared role's password: a race
/// on the role's catalog row ("tuple concurrently updated") made one of them fail.
#[tokio::test]
async fn migrations_of_several_databases_at_once_all_succeed() {
    let mut dbs = Vec::new();
    for _ in 0..6 {
        dbs.push(fresh(Template::Demo).await);
    }
    for _ in 0..5 {
        let runs: Vec<_> = dbs
            .iter()
            .map(|db| {
                let (admin, password) = (db.admin.clone(), db.app_password.clone());
                tokio::spawn(async move { wakil_schema::store::migrate(&admin, &password).await })
            })
            .collect();
        for run in runs {
            run.await.unwrap().unwrap();
        }
    }
}

#[tokio::test]
async fn the_outbox_worker_learns_which_syndics_have_messages_due_and_nothing_else() {
    let db = fresh(Template::Demo).await;
    let (a, b) = syndic_ids(&db.admin).await;
    // A message due for each syndic, one not yet due for A, one sent for B.
    for (syndic, statut, dans) in [
        (a, "en_attente", "-1 minute"),
        (b, "echec", "-1 second"),
        (a, "echec", "1 hour"),
        (b, "envoye", "-1 hour"),
    ] {
        sqlx::query(
            "INSERT INTO outbox (syndic_id, canal, destinataire, contenu, statut, prochaine_tentative, envoye_le)
             VALUES ($1, 'telegram', '1', '{}', $2::statut_outbox, now() + $3::interval,
                     CASE WHEN $2 = 'envoye' THEN now() END)",
        )
        .bind(syndic)
        .bind(statut)
        .bind(dans)
        .execute(&db.admin)
        .await
        .unwrap();
    }
    let mut conn = PgConnection::connect(&db.app_url).await.unwrap();
    let dus: Vec<i64> =
        sqlx::query_scalar("SELECT syndic_id FROM wakil_outbox_syndics_dus() ORDER BY 1")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    assert_eq!(dus, vec![a, b]);
    // The messages themselves stay behind row-level security.
    let visible: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(visible, 0);
    // Once B's messages are sent, only A has some due.
    sqlx::query("UPDATE outbox SET statut = 'envoye', envoye_le = now() WHERE syndic_id = $1")
        .bind(b)
        .execute(&db.admin)
        .await
        .unwrap();
    let dus: Vec<i64> = sqlx::query_scalar("SELECT syndic_id FROM wakil_outbox_syndics_dus()")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    assert_eq!(dus, vec![a]);
}
