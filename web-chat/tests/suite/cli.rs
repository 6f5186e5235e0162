//! The `wakil` binary end to end: `wakil tool` on a fresh demo database.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Output;
use wakil_schema::testing::{DEMO_TODAY, Template, TestDb, fresh};

async fn email_of(db: &TestDb, role: &str) -> String {
    sqlx::query_scalar(
        "SELECT email FROM users WHERE role::text = $1 ORDER BY syndic_id, id LIMIT 1",
    )
    .bind(role)
    .fetch_one(&db.admin)
    .await
    .unwrap()
}

async fn wakil(db: &TestDb, args: &[&str]) -> Output {
    wakil_env(db, args, &[]).await
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[tokio::test]
async fn tool_prints_typed_json_and_the_same_total_as_a_french_table() {
    let db = fresh(Template::Demo).await;
    let email = email_of(&db, "gestionnaire").await;
    let json = wakil(&db, &["tool", "query_impayes", "{}", "--as", &email]).await;
    assert!(json.status.success(), "{}", stderr(&json));
    let output: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    let total: String = output["total"].as_str().unwrap().to_string();
    let expected: rust_decimal::Decimal = sqlx::query_scalar(
        "SELECT sum(e.montant - coalesce((SELECT sum(a.montant) FROM allocations a WHERE a.echeance_id = e.id), 0))
         FROM echeances e JOIN users u ON u.syndic_id = e.syndic_id AND u.email = $1 WHERE e.date_echeance < $2",
    )
    .bind(&email)
    .bind(DEMO_TODAY)
    .fetch_one(&db.admin)
    .await
    .unwrap();
    assert_eq!(total.parse::<rust_decimal::Decimal>().unwrap(), expected);

    let table = wakil(
        &db,
        &["tool", "query_impayes", "{}", "--as", &email, "--table"],
    )
    .await;
    assert!(table.status.success(), "{}", stderr(&table));
    let text = stdout(&table);
    let french = expected.to_string().replace('.', ",");
    let (int, frac) = french.split_once(',').unwrap();
    let grouped: Vec<String> = int
        .as_bytes()
        .rchunks(3)
        .rev()
        .map(|c| String::from_utf8(c.to_vec()).unwrap())
        .collect();
    let shown = format!("{},{frac}", grouped.join("\u{a0}"));
    assert!(text.contains(&shown), "total {shown} not in:\n{text}");
    assert!(text.contains("Impayés au 15/11/2026"), "{text}");
}

#[tokio::test]
async fn tool_errors_are_french_and_exit_with_a_user_error_code() {
    let db = fresh(Template::Demo).await;
    let gestionnaire = email_of(&db, "gestionnaire").await;
    let o = wakil(
        &db,
        &[
            "tool",
            "query_impayes",
            r#"{"residence": "Atlantis"}"#,
            "--as",
            &gestionnaire,
        ],
    )
    .await;
    assert_eq!(o.status.code(), Some(3));
    assert!(
        stderr(&o).contains("Aucune résidence ne correspond à « Atlantis »"),
        "{}",
        stderr(&o)
    );

    let copro = email_of(&db, "coproprietaire").await;
    let o = wakil(&db, &["tool", "query_impayes", "{}", "--as", &copro]).await;
    assert_eq!(o.status.code(), Some(3));
    assert!(
        stderr(&o).contains("réservée à l'équipe du syndic"),
        "{}",
        stderr(&o)
    );

    let o = wakil(
        &db,
        &[
            "tool",
            "query_impayes",
            "{pas du json",
            "--as",
            &gestionnaire,
        ],
    )
    .await;
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("objet JSON"), "{}", stderr(&o));
    assert!(
        !stderr(&o).contains("expected"),
        "no English parser detail: {}",
        stderr(&o)
    );

    let o = wakil(
        &db,
        &[
            "tool",
            "query_impayes",
            r#"{"anne": 2025}"#,
            "--as",
            &gestionnaire,
        ],
    )
    .await;
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("champ inconnu « anne »"),
        "{}",
        stderr(&o)
    );

    let o = wakil(
        &db,
        &["tool", "query_impayes", "{}", "--as", "personne@nulle.part"],
    )
    .await;
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("aucun utilisateur actif"),
        "{}",
        stderr(&o)
    );

    let o = wakil(
        &db,
        &["tool", "inventer_un_chiffre", "{}", "--as", &gestionnaire],
    )
    .await;
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("Outil inconnu"), "{}", stderr(&o));
}

#[tokio::test]
async fn tool_lists_the_catalog_and_prints_argument_schemas() {
    let db = fresh(Template::Empty).await;
    let o = wakil(&db, &["tool"]).await;
    let text = stdout(&o);
    for name in [
        "query_impayes",
        "solde_copro",
        "rapport_financier",
        "list_factures",
    ] {
        assert!(text.contains(name), "{text}");
    }
    let o = wakil(&db, &["tool", "solde_copro", "--schema"]).await;
    let schema: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(schema["properties"]["lot"].is_object(), "{schema}");
}

/// The README's path: no DATABASE_URL, a private PostgreSQL under --data-dir, started for each
/// command, reused by the next, stopped when the command ends.
#[tokio::test]
async fn without_database_url_the_embedded_server_holds_the_demo() {
    let dir = std::env::temp_dir().join(format!("wakil-cli-embedded-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let run = |args: &[&str]| {
        let mut c = tokio::process::Command::new(env!("CARGO_BIN_EXE_wakil"));
        c.arg("--data-dir")
            .arg(&dir)
            .args(args)
            .env_remove("DATABASE_URL")
            .env("WAKIL_TODAY", DEMO_TODAY.to_string());
        c.output()
    };
    let o = run(&["seed", "--demo"]).await.unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        !dir.join("pgdata/postmaster.pid").exists(),
        "the server is stopped after the command"
    );
    let o = run(&["users"]).await.unwrap();
    assert!(
        stdout(&o).contains("gestionnaire@atlas-syndic.ma"),
        "{}",
        stdout(&o)
    );
    let o = run(&[
        "tool",
        "query_impayes",
        r#"{"residence": "Guéliz"}"#,
        "--as",
        "gestionnaire@atlas-syndic.ma",
    ])
    .await
    .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let output: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(
        output["residence"]["nom"]
            .as_str()
            .unwrap()
            .contains("Guéliz")
    );
    let o = run(&["seed", "--demo"]).await.unwrap();
    assert!(
        stderr(&o).contains("la démo est déjà chargée"),
        "{}",
        stderr(&o)
    );
    // The documents' benchmark loads its own demo next to it.
    let o = run(&["bench", "render", "--runs", "2"]).await.unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    for case in [
        "rapport annuel (PDF) — 2 pages",
        "rapport annuel (Excel)",
        "PV de la dernière AG (PDF) — 4 pages",
    ] {
        assert!(stdout(&o).contains(case), "{}", stdout(&o));
    }
    assert_eq!(stdout(&o).matches("rendu  latence (ms) : p50").count(), 3);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn ask_answers_on_the_fast_path_and_a_payment_waits_for_its_confirmation() {
    let db = fresh(Template::Demo).await;
    let gestionnaire = "gestionnaire@atlas-syndic.ma";
    let o = wakil(
        &db,
        &["ask", "impayés de Guéliz", "--as", gestionnaire, "--no-llm"],
    )
    .await;
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("Impayés au 15/11/2026"),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("Mode réduit"), "{}", stdout(&o));
    assert!(stderr(&o).contains("outil query_impayes"), "{}", stderr(&o));

    let count = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM paiements")
            .fetch_one(&db.admin)
            .await
            .unwrap()
    };
    let before = count().await;
    // No terminal: the action waits, its id is printed.
    let o = wakil(
        &db,
        &[
            "ask",
            "Meryem Marrakchi a payé 400 DH en espèces",
            "--as",
            gestionnaire,
            "--no-llm",
        ],
    )
    .await;
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("Enregistrer un paiement de 400,00"),
        "{}",
        stdout(&o)
    );
    assert_eq!(count().await, before);
    let err = stderr(&o);
    let id = err
        .split("--confirm ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the action id")
        .to_string();
    for _ in 0..2 {
        let o = wakil(&db, &["ask", "--confirm", &id, "--as", gestionnaire]).await;
        assert!(o.status.success(), "{}", stderr(&o));
    }
    assert_eq!(count().await, before + 1);
}

async fn wakil_env(db: &TestDb, args: &[&str], env: &[(&str, &str)]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_wakil"))
        .args(args)
        .env("DATABASE_URL", &db.admin_url)
        .env("WAKIL_APP_PASSWORD", &db.app_password)
        .env("WAKIL_TODAY", DEMO_TODAY.to_string())
        .envs(env.iter().copied())
        .output()
        .await
        .unwrap()
}

#[tokio::test]
async fn invite_prints_a_link_that_links_the_account_once() {
    let db = fresh(Template::Demo).await;
    let gestionnaire = email_of(&db, "gestionnaire").await;
    let telegram = [
        ("TELEGRAM_BOT_TOKEN", "123:abc"),
        ("TELEGRAM_BOT_USERNAME", "@AtlasSyndicBot"),
    ];
    let o = wakil_env(
        &db,
        &[
            "invite",
            "--as",
            &gestionnaire,
            "--canal",
            "telegram",
            "Anas",
            "Mernissi",
        ],
        &telegram,
    )
    .await;
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.starts_with("Invitation Telegram créée pour Anas Mernissi (copropriétaire)."),
        "{text}"
    );
    let lien = text
        .lines()
        .find_map(|l| l.strip_prefix("Lien : "))
        .expect("a link");
    let code = text
        .lines()
        .find_map(|l| l.strip_prefix("Code : "))
        .expect("a code");
    assert_eq!(lien, format!("https://t.me/AtlasSyndicBot?start={code}"));
    assert!(
        text.contains(
            "Ouvrez ce lien sur le téléphone de Anas Mernissi, puis appuyez sur Démarrer"
        ),
        "{text}"
    );
    let (cree_par, confirmation): (Option<i64>, Option<uuid::Uuid>) =
        sqlx::query_as("SELECT cree_par, confirmation_id FROM invitations")
            .fetch_one(&db.admin)
            .await
            .unwrap();
    assert!(cree_par.is_some() && confirmation.is_some());

    let caller = db
        .store
        .redeem_invitation(wakil_schema::Canal::Telegram, code, "4242")
        .await
        .unwrap()
        .expect("the code links the account");
    assert_eq!(caller.nom, "Anas Mernissi");
    assert!(
        db.store
            .redeem_invitation(wakil_schema::Canal::Telegram, code, "4243")
            .await
            .unwrap()
            .is_none()
    );

    // WhatsApp for a staff member needs the number; a président may not invite.
    let o = wakil(
        &db,
        &[
            "invite",
            "--as",
            &gestionnaire,
            "--canal",
            "whatsapp",
            &email_of(&db, "comptable").await,
        ],
    )
    .await;
    assert_eq!(o.status.code(), Some(3));
    assert!(
        stderr(&o).contains("Indiquez le numéro WhatsApp"),
        "{}",
        stderr(&o)
    );
    let o = wakil(
        &db,
        &[
            "invite",
            "--as",
            &gestionnaire,
            "--canal",
            "whatsapp",
            "--telephone",
            "06 12 34 56 78",
            &email_of(&db, "comptable").await,
        ],
    )
    .await;
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("Depuis le numéro +212 6 12 34 56 78, envoyez ce code"),
        "{text}"
    );
    let president = email_of(&db, "president").await;
    let o = wakil(
        &db,
        &[
            "invite",
            "--as",
            &president,
            "--canal",
            "telegram",
            "Anas Mernissi",
        ],
    )
    .await;
    assert_eq!(o.status.code(), Some(3));
    assert!(
        stderr(&o).contains("n'est pas accessible"),
        "{}",
        stderr(&o)
    );
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM invitations")
        .fetch_one(&db.admin)
        .await
        .unwrap();
    assert_eq!(n, 2);
}

/// `wakil docs add` stores a file where `wakil serve` reads them (`WAKIL_FILES_DIR`), adds it
/// (the command is the confirmation) and indexes it at once; `docs list` shows it indexed;
/// `docs reindex` rewrites nothing; the same file again, or a co-owner, is refused in French and
/// stores nothing, not even the file.
#[tokio::test]
async fn docs_add_indexes_at_once_and_reindex_rewrites_nothing() {
    let db = fresh(Template::Demo).await;
    let gestionnaire = email_of(&db, "gestionnaire").await;
    let dir = std::env::temp_dir().join(format!("wakil-docs-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("ascenseur.md");
    std::fs::write(
        &path,
        "# Consignes de l'ascenseur\n\n## Article 1 – Charges\n\nLa cabine porte 630 kg au plus. \
         Les déménagements se font cabine protégée, après avis du gardien.\n",
    )
    .unwrap();
    let files = dir.join("fichiers");
    let env = [
        ("WAKIL_FILES_DIR", files.to_str().unwrap()),
        ("WAKIL_EMBED_MODEL", "aucun"),
    ];
    let path = path.to_str().unwrap();
    let count = async |table: &str| -> i64 {
        sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
            .fetch_one(&db.admin)
            .await
            .unwrap()
    };
    let before = count("documents").await;
    // Files are kept as <dir>/<syndic>/<id>.
    let stored = || -> usize {
        std::fs::read_dir(&files).map_or(0, |syndics| {
            syndics
                .flatten()
                .map(|s| std::fs::read_dir(s.path()).map_or(0, |d| d.count()))
                .sum()
        })
    };

    let add = [
        "docs",
        "add",
        path,
        "--as",
        &gestionnaire,
        "--type",
        "reglement",
        "--residence",
        "Guéliz",
        "--visibilite",
        "residence",
    ];
    let o = wakil_env(&db, &add, &env).await;
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("« Consignes de l'ascenseur » est ajouté et indexé"),
        "{}",
        stdout(&o)
    );
    assert!(
        stderr(&o).contains("Indexé :"),
        "the job's steps: {}",
        stderr(&o)
    );
    assert_eq!(count("documents").await, before + 1);
    let (statut, chunks): (String, i32) = sqlx::query_as(
        "SELECT statut::text, chunks FROM documents WHERE titre = 'Consignes de l''ascenseur'",
    )
    .fetch_one(&db.admin)
    .await
    .unwrap();
    assert_eq!((statut.as_str(), chunks), ("indexe", 1));
    assert_eq!(stored(), 1, "the bytes are in WAKIL_FILES_DIR");
    let rows = count("fichiers").await;

    let o = wakil_env(&db, &["docs", "list", "--as", &gestionnaire], &env).await;
    assert!(o.status.success(), "{}", stderr(&o));
    let line = stdout(&o)
        .lines()
        .find(|l| l.starts_with("Consignes de l'ascenseur"))
        .map(str::to_string)
        .unwrap_or_else(|| panic!("{}", stdout(&o)));
    assert!(line.contains("indexé · 1 passage(s)"), "{line}");

    let o = wakil_env(&db, &["docs", "reindex", "--as", &gestionnaire], &env).await;
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("0 réindexé(s), 1 inchangé(s), 0 en erreur"),
        "{}",
        stdout(&o)
    );

    // The same bytes again; then a co-owner.
    let o = wakil_env(&db, &add, &env).await;
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("déjà dans la bibliothèque"),
        "{}",
        stderr(&o)
    );
    let copro = email_of(&db, "coproprietaire").await;
    let mut theirs = add;
    theirs[4] = &copro;
    let o = wakil_env(&db, &theirs, &env).await;
    assert!(!o.status.success());
    assert!(stderr(&o).contains("réservé"), "{}", stderr(&o));
    assert_eq!(count("documents").await, before + 1);
    assert_eq!(
        (count("fichiers").await, stored()),
        (rows, 1),
        "refusals store nothing"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
