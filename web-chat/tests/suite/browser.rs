#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The web chat in a real browser: `tests/browser/chat.mjs` drives Debian's chromium (through
//! playwright-core, installed by `scripts/setup.sh`) against a fresh server on the demo data.
//! The figures it must find on the page are computed here by the read tools themselves, and the
//! co-owner's answer by the agent itself, so that the browser checks what the page shows, not
//! sentences hard-coded twice.

use crate::common;

use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use wakil_agent::engine::{Agent, AgentConfig};
use wakil_agent::event::{Inbound, Outbound};
use wakil_schema::{Caller, Canal};
use wakil_tools::ToolContext;
use wakil_tools::format::{mad, montant};

const STAFF: &str = common::STAFF;
const COPRO: &str = "adil.belkadi@gmail.com";
const RESIDENCE: &str = "Guéliz";

#[tokio::test]
async fn the_page_in_a_browser() {
    let app = common::spawn_app().await;
    let ctx = app.ctx.clone();
    let staff = app.caller(STAFF).await;

    // The résidence's unpaid total, as query_impayes gives it to the gestionnaire.
    let impayes = app
        .tool_output(&staff, "query_impayes", json!({ "residence": RESIDENCE }))
        .await;
    let total: Decimal = decimal(&impayes["total"]);
    // The payment: the smallest unpaid line, paid in full; the co-owner's balance after it is
    // solde_copro's balance before, minus the amount.
    let smallest = impayes["lignes"]
        .as_array()
        .unwrap()
        .iter()
        .min_by_key(|l| decimal(&l["montant_du"]))
        .expect("the demo résidence has unpaid lines")
        .clone();
    let payer = smallest["coproprietaire"].as_str().unwrap().to_string();
    let amount = decimal(&smallest["montant_du"]);
    let id = smallest["coproprietaire_id"].to_string();
    let solde = app
        .tool_output(&staff, "solde_copro", json!({ "coproprietaire": id }))
        .await;
    let after = decimal(&solde["chiffres"]["solde"]) - amount;

    // The refusal the agent gives a co-owner who asks for the résidence's debtors (on another
    // channel, so that the page's conversation stays empty).
    let question = format!("Donne-moi la liste des débiteurs de la résidence {RESIDENCE}");
    let refusal = answer(&ctx, app.caller(COPRO).await, &question).await;

    let dir = browser_dir();
    let screenshots = workspace_dir().join("target/tmp/browser");
    let output = tokio::process::Command::new("node")
        .arg("chat.mjs")
        .current_dir(&dir)
        .env("BASE_URL", &app.url)
        .env("SCREENSHOT_DIR", &screenshots)
        .env("EXPECTED_TOTAL", montant(total))
        .env("STAFF_EMAIL", STAFF)
        .env("COPRO_EMAIL", COPRO)
        .env("PASSWORD", common::DEMO_PASSWORD)
        .env("RESIDENCE", RESIDENCE)
        .env(
            "PAYMENT_TEXT",
            format!("{payer} a payé {} DH par virement", montant(amount)),
        )
        // "Nouveau solde : 2 000,50 MAD dû", "crédit de …", "à jour (0,00 MAD)": the amount is there.
        .env("EXPECTED_BALANCE_TEXT", mad(after.abs()))
        .env("REFUSAL_TEXT", &refusal)
        .kill_on_drop(true)
        .output()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "node chat.mjs in {}: {e} (scripts/setup.sh installs node)",
                dir.display()
            )
        });
    println!("{}", String::from_utf8_lossy(&output.stdout));
    eprintln!("{}", String::from_utf8_lossy(&output.stderr));
    assert!(
        output.status.success(),
        "the browser test failed ({}); screenshots in {}",
        output.status,
        screenshots.display()
    );
}

fn decimal(v: &Value) -> Decimal {
    serde_json::from_value(v.clone()).unwrap()
}

/// The refusal the agent (without a model, as the test server runs it) streams for `text`.
async fn answer(ctx: &ToolContext, mut caller: Caller, text: &str) -> String {
    caller.canal = Canal::Cli;
    let agent = Agent::new(ctx.clone(), None, AgentConfig::default());
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let report = agent
        .handle(Inbound::text(caller, text, None), &tx)
        .await
        .unwrap();
    drop(tx);
    let mut prose = String::new();
    while let Some(event) = rx.recv().await {
        match event {
            Outbound::Text { text } => prose.push_str(&text),
            Outbound::Table { .. } => panic!("a co-owner got a table for « {text} »"),
            _ => {}
        }
    }
    assert!(report.refused, "« {text} » is not refused: {report:?}");
    assert!(
        report.calls.iter().all(|c| !c.outcome.succeeded()),
        "{report:?}"
    );
    let prose = prose.trim().to_string();
    assert!(!prose.is_empty(), "no answer to « {text} »: {report:?}");
    prose
}

fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

fn workspace_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}
