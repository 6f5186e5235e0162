//! Money writes against the demo data: `appel_de_fonds` (split to the centime, credits imputed,
//! one PDF notice per co-owner), `annuler_paiement` (a payment marked cancelled, never deleted),
//! and a sequence of appels, payments and a reversal whose balances are computed by hand here.
//! Expected figures come from raw rows and hand arithmetic, not from the tools' SQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use std::time::Instant;
use uuid::Uuid;
use wakil_schema::{Caller, Clock, Role};
use wakil_tools::format::{mad, montant};
use wakil_tools::{ToolContext, ToolError, ToolResult};

use crate::common;
use common::{Demo, demo, execute, plan};

const GUELIZ: &str = "Résidence Les Jardins de Guéliz";
const MAARIF: &str = "Résidence Al Maârif";

fn ymd(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn dec_of(v: &serde_json::Value) -> Decimal {
    v.as_str()
        .unwrap_or_else(|| panic!("decimal as string, got {v}"))
        .parse()
        .unwrap()
}

/// Plans and confirms at once.
async fn run(
    ctx: &ToolContext,
    caller: &Caller,
    tool: &str,
    args: serde_json::Value,
) -> ToolResult {
    let p = plan(ctx, caller, tool, args).await.unwrap();
    execute(ctx, caller, &p, Uuid::new_v4()).await.unwrap()
}

/// Rows of every table a money write touches, as the owner sees them.
#[derive(Debug, PartialEq, Eq, sqlx::FromRow)]
struct Counts {
    appels: i64,
    echeances: i64,
    paiements: i64,
    annules: i64,
    allocations: i64,
    documents: i64,
    fichiers: i64,
    avis: i64,
}

impl Demo {
    async fn counts(&self) -> Counts {
        sqlx::query_as(
            "SELECT (SELECT count(*) FROM appels_de_fonds) AS appels,
                    (SELECT count(*) FROM echeances) AS echeances,
                    (SELECT count(*) FROM paiements) AS paiements,
                    (SELECT count(*) FROM paiements WHERE annule_le IS NOT NULL) AS annules,
                    (SELECT count(*) FROM allocations) AS allocations,
                    (SELECT count(*) FROM documents) AS documents,
                    (SELECT count(*) FROM fichiers) AS fichiers,
                    (SELECT count(*) FROM avis_appel) AS avis",
        )
        .fetch_one(&self.db.admin)
        .await
        .unwrap()
    }

    async fn scalar<T>(&self, sql: &'static str, id: i64) -> T
    where
        T: for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres> + Send + Unpin,
    {
        sqlx::query_scalar(sql)
            .bind(id)
            .fetch_one(&self.db.admin)
            .await
            .unwrap()
    }

    /// Adds a budget for `annee` with one line of `total`.
    async fn budget(&self, residence: i64, annee: i32, total: Decimal) {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO budgets (syndic_id, residence_id, annee) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(self.atlas)
        .bind(residence)
        .bind(annee)
        .fetch_one(&self.db.admin)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO budget_lignes (syndic_id, budget_id, categorie, montant) VALUES ($1, $2, 'entretien', $3)",
        )
        .bind(self.atlas)
        .bind(id)
        .bind(total)
        .execute(&self.db.admin)
        .await
        .unwrap();
    }
}

/// `solde_copro`'s figures for a co-owner, as the tool computes them with `ctx`'s clock.
async fn solde(ctx: &ToolContext, caller: &Caller, copro: i64) -> serde_json::Value {
    wakil_tools::find("solde_copro")
        .unwrap()
        .call(
            ctx,
            caller,
            serde_json::json!({ "coproprietaire": copro.to_string() }),
        )
        .await
        .unwrap()
        .done()
        .unwrap()
        .output["chiffres"]
        .clone()
}

/// The account figures that matter: (solde, échu impayé, à échoir, crédit).
async fn compte(ctx: &ToolContext, caller: &Caller, copro: i64) -> [Decimal; 4] {
    let c = solde(ctx, caller, copro).await;
    [
        dec_of(&c["solde"]),
        dec_of(&c["echu_impaye"]),
        dec_of(&c["a_echoir"]),
        dec_of(&c["credit"]),
    ]
}

/// `query_impayes` of a résidence: the total and what one co-owner owes in it.
async fn impayes(
    ctx: &ToolContext,
    caller: &Caller,
    residence: &str,
    copro: i64,
) -> (Decimal, Decimal) {
    let out = wakil_tools::find("query_impayes")
        .unwrap()
        .call(ctx, caller, serde_json::json!({ "residence": residence }))
        .await
        .unwrap()
        .done()
        .unwrap()
        .output;
    let du = out["lignes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["coproprietaire_id"] == copro)
        .map(|l| dec_of(&l["montant_du"]))
        .sum();
    (dec_of(&out["total"]), du)
}

/// The text of a PDF (`pdftotext -layout`), the file kept under the test's target directory.
fn pdf_text(name: &str, bytes: &[u8]) -> String {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("avis");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", path.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (poppler-utils, scripts/setup.sh)");
    assert!(out.status.success());
    words(&String::from_utf8(out.stdout).unwrap())
}

/// Runs of white space (non-breaking spaces and line breaks included) as one space: figures and
/// phrases compare whatever the layout.
fn words(text: &str) -> String {
    text.split(|c: char| c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Page 1 of a PDF kept as a PNG next to it, to look at.
fn pdf_png(name: &str) {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("avis");
    let status = std::process::Command::new("pdftoppm")
        .args(["-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile"])
        .arg(dir.join(name))
        .arg(dir.join(name.trim_end_matches(".pdf")))
        .status()
        .unwrap();
    assert!(status.success());
}

fn appel_id(r: &ToolResult) -> i64 {
    r.output["appel_id"].as_i64().unwrap()
}

#[tokio::test]
async fn the_plan_splits_the_budget_quarter_exactly_and_writes_nothing() {
    let d = demo().await;
    let comptable = d.caller(d.atlas, Role::Comptable).await;
    let gueliz = d.residence(GUELIZ).await;
    // A budget that does not divide evenly: a quarter is 87 400,3775 → 87 400,38.
    d.budget(gueliz, 2027, dec!(349601.51)).await;
    let before = d.counts().await;

    let p = plan(
        &d.ctx,
        &comptable,
        "appel_de_fonds",
        serde_json::json!({ "residence": "Guéliz", "periode": "1er trimestre 2027" }),
    )
    .await
    .unwrap();
    assert_eq!(d.counts().await, before, "planning wrote something");
    let total = dec!(87400.38);
    assert_eq!(dec_of(&p.plan["montant_total"]), total);
    assert_eq!(p.plan["periode_debut"], "2027-01-01");
    assert_eq!(p.plan["periode_fin"], "2027-03-31");
    assert_eq!(p.plan["type_appel"], "budget");
    // Due on the period's first day (more than 30 days after the 15/11/2026 notice).
    assert_eq!(p.plan["date_echeance"], "2027-01-01");
    assert_eq!(
        p.plan["libelle"],
        "Appel de fonds T1 2027 – budget prévisionnel"
    );
    let budget_id: i64 = d
        .scalar(
            "SELECT id FROM budgets WHERE residence_id = $1 AND annee = 2027",
            gueliz,
        )
        .await;
    assert_eq!(p.plan["budget_id"], budget_id);
    assert_eq!(
        p.summary,
        "Émettre l'appel « Appel de fonds T1 2027 – budget prévisionnel » de Résidence Les Jardins de Guéliz \
         (du 01/01/2027 au 31/03/2027) : 40 lots, 34 copropriétaires, total 87\u{a0}400,38\u{a0}MAD \
         (budget 2027 de 349\u{a0}601,51\u{a0}MAD × 3/12), échéance le 01/01/2027 ? \
         Un avis PDF sera établi pour chaque copropriétaire."
    );

    // The split: every lot of the résidence once, parts adding up to the total exactly, each
    // within one centime of its exact share (tantièmes from the raw rows).
    let lots: Vec<(i64, i32)> =
        sqlx::query_as("SELECT id, tantiemes FROM lots WHERE residence_id = $1")
            .bind(gueliz)
            .fetch_all(&d.db.admin)
            .await
            .unwrap();
    let base: i32 = lots.iter().map(|l| l.1).sum();
    let lignes = p.plan["lignes"].as_array().unwrap();
    assert_eq!(lignes.len(), lots.len());
    let mut sum = Decimal::ZERO;
    for l in lignes {
        let (_, t) = lots
            .iter()
            .find(|x| x.0 == l["lot_id"].as_i64().unwrap())
            .unwrap();
        let part = dec_of(&l["montant"]);
        let exact = total * Decimal::from(*t) / Decimal::from(base);
        assert!((part - exact).abs() < dec!(0.01), "{l}: {part} vs {exact}");
        assert_eq!(part.scale(), 2);
        sum += part;
    }
    assert_eq!(sum, total);
    // The table shown: one row per lot, totals equal to the appel's total.
    let t = &p.tables[0];
    assert_eq!(t.rows.len(), lots.len());
    let footer = t.footer.clone().unwrap();
    assert_eq!(footer[2], base.to_string());
    assert_eq!(footer[3], montant(total));
    assert_eq!(footer[4], "0,00", "no credit in Guéliz");
    assert_eq!(footer[5], montant(total));
}

#[tokio::test]
async fn an_appel_imputes_the_credit_and_publishes_one_notice_per_co_owner() {
    let d = demo().await;
    let gestionnaire = d.caller(d.atlas, Role::Gestionnaire).await;
    let maarif = d.residence(MAARIF).await;
    // The demo's one credit: Zineb El Khatib, in Maârif, nothing open.
    let zineb = d.copro("Zineb", "El Khatib").await;
    let [solde0, echu0, a_echoir0, credit0] = compte(&d.ctx, &gestionnaire, zineb).await;
    assert!(credit0 > Decimal::ZERO && echu0 == Decimal::ZERO && a_echoir0 == Decimal::ZERO);
    assert_eq!(solde0, -credit0);
    let before = d.counts().await;

    let total = dec!(82800.00);
    let p = plan(
        &d.ctx,
        &gestionnaire,
        "appel_de_fonds",
        serde_json::json!({ "residence": "Maârif", "periode": "T1 2027", "montant_total": "82800" }),
    )
    .await
    .unwrap();
    // The plan shows her credit against her lot.
    let part_zineb: Decimal = p.plan["lignes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["coproprietaire_id"] == zineb)
        .map(|l| dec_of(&l["montant"]))
        .sum();
    let imputed = credit0.min(part_zineb);
    let footer = p.tables[0].footer.clone().unwrap();
    assert_eq!(footer[4], montant(imputed));
    assert_eq!(footer[5], montant(total - imputed));

    let started = Instant::now();
    let r = execute(&d.ctx, &gestionnaire, &p, Uuid::new_v4())
        .await
        .unwrap();
    let elapsed = started.elapsed();
    let id = appel_id(&r);
    let owners: i64 = d
        .scalar(
            "SELECT count(DISTINCT p.coproprietaire_id) FROM proprietes p JOIN lots l ON l.id = p.lot_id
             WHERE l.residence_id = $1 AND p.jusqu_au IS NULL",
            maarif,
        )
        .await;
    println!(
        "{owners} avis en {elapsed:?} (appel compris), soit {:?} par avis",
        elapsed / u32::try_from(owners).unwrap()
    );

    // The échéances: one per lot, due 01/01/2027, adding up to the total.
    let (n, sum, due): (i64, Decimal, NaiveDate) = sqlx::query_as(
        "SELECT count(*), sum(montant), min(date_echeance) FROM echeances WHERE appel_id = $1
         HAVING min(date_echeance) = max(date_echeance)",
    )
    .bind(id)
    .fetch_one(&d.db.admin)
    .await
    .unwrap();
    assert_eq!((n, sum, due), (40, total, ymd(2027, 1, 1)));
    let after = d.counts().await;
    assert_eq!(after.appels, before.appels + 1);
    assert_eq!(after.echeances, before.echeances + 40);
    assert_eq!(after.avis, before.avis + owners);
    assert_eq!(after.documents, before.documents + owners);
    let (emis_par, confirmation): (i64, Option<Uuid>) =
        sqlx::query_as("SELECT emis_par, confirmation_id FROM appels_de_fonds WHERE id = $1")
            .bind(id)
            .fetch_one(&d.db.admin)
            .await
            .unwrap();
    assert_eq!(emis_par, gestionnaire.user_id);
    assert!(confirmation.is_some());

    // Her credit now covers her new échéance; the balance did not move.
    let [solde1, echu1, a_echoir1, credit1] = compte(&d.ctx, &gestionnaire, zineb).await;
    assert_eq!(solde1, solde0 + part_zineb);
    assert_eq!(credit1, credit0 - imputed);
    assert_eq!(a_echoir1, part_zineb - imputed);
    assert_eq!(echu1, Decimal::ZERO);
    let ligne = r.output["lignes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["coproprietaire_id"] == zineb)
        .unwrap()
        .clone();
    assert_eq!(dec_of(&ligne["deja_regle"]), imputed);
    assert_eq!(dec_of(&ligne["net"]), part_zineb - imputed);

    // Her notice: addressed to her only, her exact amounts and due date from SQL.
    let avis = r.output["avis"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["coproprietaire_id"] == zineb)
        .unwrap()
        .clone();
    let fichier: Uuid = avis["fichier"]["id"].as_str().unwrap().parse().unwrap();
    let (visibilite, addressee, residence): (String, i64, i64) = sqlx::query_as(
        "SELECT visibilite::text, coproprietaire_id, residence_id FROM documents WHERE fichier_id = $1",
    )
    .bind(fichier)
    .fetch_one(&d.db.admin)
    .await
    .unwrap();
    assert_eq!(
        (visibilite.as_str(), addressee, residence),
        ("staff", zineb, maarif)
    );
    assert_eq!(r.files.len(), usize::try_from(owners).unwrap());
    let bytes = d.ctx.files.read(d.atlas, fichier).await.unwrap();
    let text = pdf_text("avis-credit.pdf", &bytes);
    pdf_png("avis-credit.pdf");
    let (montant_sql, paye_sql, due_sql): (Decimal, Decimal, NaiveDate) = sqlx::query_as(
        "SELECT sum(e.montant), coalesce(sum(a.montant), 0), min(e.date_echeance)
         FROM echeances e LEFT JOIN allocations a ON a.echeance_id = e.id
         WHERE e.appel_id = $1 AND e.coproprietaire_id = $2",
    )
    .bind(id)
    .bind(zineb)
    .fetch_one(&d.db.admin)
    .await
    .unwrap();
    assert_eq!((montant_sql, paye_sql), (part_zineb, imputed));
    for expected in [
        "Avis d'appel de fonds".to_string(),
        "Mme Zineb El Khatib".to_string(),
        montant(montant_sql),
        format!("− {}", montant(paye_sql)),
        montant(montant_sql - paye_sql),
        due_sql.format("%d/%m/%Y").to_string(),
        format!("AF-{id}-{zineb}"),
        "011 780 0000258140007316 07".to_string(),
        "Syndicat des copropriétaires de la Résidence Al Maârif".to_string(),
        mad(total),
    ] {
        assert!(
            text.contains(&words(&expected)),
            "« {expected} » missing in:\n{text}"
        );
    }

    // A co-owner opens their own notice, not a neighbour's.
    let other = r.output["avis"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["coproprietaire_id"] != zineb)
        .unwrap()["fichier"]["id"]
        .as_str()
        .unwrap()
        .parse::<Uuid>()
        .unwrap();
    let email: String = sqlx::query_scalar("SELECT email FROM users WHERE coproprietaire_id = $1")
        .bind(zineb)
        .fetch_one(&d.db.admin)
        .await
        .unwrap();
    let caller = d
        .ctx
        .store
        .caller_by_email(&email, wakil_schema::Canal::Web)
        .await
        .unwrap()
        .unwrap();
    let mut t = d.ctx.store.tenant_read(d.atlas).await.unwrap();
    assert!(t.fichier_lisible(&caller, fichier).await.unwrap().is_some());
    assert!(t.fichier_lisible(&caller, other).await.unwrap().is_none());
    t.commit().await.unwrap();
}

#[tokio::test]
async fn a_notice_without_bank_details_says_so_and_lists_every_lot() {
    let d = demo().await;
    let gestionnaire = d.caller(d.atlas, Role::Gestionnaire).await;
    let gueliz = d.residence(GUELIZ).await;
    sqlx::query("UPDATE residences SET banque = NULL, rib = NULL WHERE id = $1")
        .bind(gueliz)
        .execute(&d.db.admin)
        .await
        .unwrap();
    // Adil Slaoui owns two lots in Guéliz (A24 and P04).
    let adil = d.copro("Adil", "Slaoui").await;
    let r = run(
        &d.ctx,
        &gestionnaire,
        "appel_de_fonds",
        serde_json::json!({ "residence": "Guéliz", "periode": "T1 2027", "type": "travaux",
                            "montant_total": 120000, "libelle": "Ravalement des façades",
                            "date_echeance": "2027-02-15" }),
    )
    .await;
    let id = appel_id(&r);
    let rows: Vec<(String, i32, Decimal)> = sqlx::query_as(
        "SELECT l.numero, l.tantiemes, e.montant FROM echeances e JOIN lots l ON l.id = e.lot_id
         WHERE e.appel_id = $1 AND e.coproprietaire_id = $2 ORDER BY l.numero",
    )
    .bind(id)
    .bind(adil)
    .fetch_all(&d.db.admin)
    .await
    .unwrap();
    assert_eq!(rows.len(), 2);
    let avis = r.output["avis"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["coproprietaire_id"] == adil)
        .unwrap()
        .clone();
    let fichier: Uuid = avis["fichier"]["id"].as_str().unwrap().parse().unwrap();
    let text = pdf_text(
        "avis-deux-lots.pdf",
        &d.ctx.files.read(d.atlas, fichier).await.unwrap(),
    );
    pdf_png("avis-deux-lots.pdf");
    let total: Decimal = rows.iter().map(|r| r.2).sum();
    for (lot, t, m) in &rows {
        assert!(text.contains(lot.as_str()), "{lot} missing:\n{text}");
        assert!(text.contains(&format!("{t} / 1000")), "{t}:\n{text}");
        assert!(text.contains(&words(&montant(*m))), "{m}:\n{text}");
    }
    for expected in [
        montant(total),
        "15/02/2027".to_string(),
        "Ravalement des façades".to_string(),
        "RIB communiqué par le syndic".to_string(),
    ] {
        assert!(
            text.contains(&words(&expected)),
            "« {expected} » missing in:\n{text}"
        );
    }
    assert!(!text.contains("Crédit de votre compte"), "{text}");
}

#[tokio::test]
async fn confirming_an_appel_twice_even_at_once_issues_it_once() {
    let d = demo().await;
    let gestionnaire = d.caller(d.atlas, Role::Gestionnaire).await;
    let p = plan(
        &d.ctx,
        &gestionnaire,
        "appel_de_fonds",
        serde_json::json!({ "residence": "Agdal", "periode": "T1 2027", "montant_total": 87400 }),
    )
    .await
    .unwrap();
    let before = d.counts().await;
    let confirmation = Uuid::new_v4();
    let spawn = || {
        let (ctx, caller, plan) = (d.ctx.clone(), gestionnaire.clone(), p.clone());
        tokio::spawn(async move { execute(&ctx, &caller, &plan, confirmation).await })
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.await.unwrap().unwrap(), b.await.unwrap().unwrap());
    assert_eq!(appel_id(&a), appel_id(&b));
    assert_ne!(a.output["deja_emis"], b.output["deja_emis"]);
    let after = d.counts().await;
    assert_eq!(after.appels, before.appels + 1);
    assert_eq!(after.echeances, before.echeances + 40);
    // Sequentially again: the same appel, the same notices, nothing written.
    let again = execute(&d.ctx, &gestionnaire, &p, confirmation)
        .await
        .unwrap();
    assert_eq!(again.output["deja_emis"], true);
    assert_eq!(again.output["avis"], a.output["avis"]);
    assert_eq!(again.output["lignes"], a.output["lignes"]);
    assert!(again.summary.contains("déjà émis"), "{}", again.summary);
    assert_eq!(d.counts().await, after);
    // Another confirmation of the same plan: the period is already called.
    let e = execute(&d.ctx, &gestionnaire, &p, Uuid::new_v4())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("a déjà un appel de fonds"), "{e}");
    assert_eq!(d.counts().await, after);
}

#[tokio::test]
async fn bad_appels_are_refused_in_french_and_nothing_is_written() {
    let d = demo().await;
    let gestionnaire = d.caller(d.atlas, Role::Gestionnaire).await;
    let before = d.counts().await;
    let q1 = |extra: serde_json::Value| {
        let mut args = serde_json::json!({ "residence": "Guéliz", "periode": "T1 2027", "montant_total": 1000 });
        for (k, v) in extra.as_object().unwrap() {
            args[k] = v.clone();
        }
        args
    };
    let cases = [
        (
            q1(serde_json::json!({ "montant_total": 0 })),
            "doit être positif",
        ),
        (
            q1(serde_json::json!({ "montant_total": -10 })),
            "doit être positif",
        ),
        (
            q1(serde_json::json!({ "montant_total": "1000.001" })),
            "au centime près",
        ),
        (
            q1(serde_json::json!({ "montant_total": "10000000.01" })),
            "dépasse le plafond de 10\u{a0}000\u{a0}000,00\u{a0}MAD",
        ),
        (
            q1(serde_json::json!({ "montant_total": "0.01" })),
            "trop faible",
        ),
        (
            serde_json::json!({ "residence": "Guéliz", "periode": "T1 2027" }),
            "Aucun budget prévisionnel 2027 n'est enregistré pour Résidence Les Jardins de Guéliz",
        ),
        (
            serde_json::json!({ "residence": "Guéliz", "periode": "T1 2027", "type": "travaux" }),
            "Indiquez le montant total de l'appel travaux",
        ),
        (
            q1(serde_json::json!({ "periode": "T4 2026" })),
            "a déjà un appel de fonds budget prévisionnel pour cette période : « Appel de fonds T4 2026 – budget prévisionnel »",
        ),
        (
            q1(serde_json::json!({ "periode": "décembre 2026" })),
            "pour un complément, émettez un appel « exceptionnel »",
        ),
        (
            q1(
                serde_json::json!({ "periode": null, "periode_debut": "2027-03-31", "periode_fin": "2027-01-01" }),
            ),
            "La fin de la période (01/01/2027) précède son début (31/03/2027)",
        ),
        (
            q1(serde_json::json!({ "periode": null, "periode_debut": "2027-01-01" })),
            "Indiquez la période de l'appel",
        ),
        (
            q1(serde_json::json!({ "periode": "le trimestre prochain" })),
            "non reconnue",
        ),
        (
            q1(serde_json::json!({ "periode": "2028" })),
            "plus d'un an à l'avance",
        ),
        (
            q1(serde_json::json!({ "periode": "T1 2025" })),
            "il y a plus d'un an",
        ),
        (
            q1(
                serde_json::json!({ "periode": null, "periode_debut": "2027-01-01", "periode_fin": "2028-01-31" }),
            ),
            "au plus 12 mois",
        ),
        (
            q1(serde_json::json!({ "periode_debut": "2027-02-01" })),
            "ne correspond pas aux dates indiquées",
        ),
        (
            q1(serde_json::json!({ "date_echeance": "2026-11-14" })),
            "est passée",
        ),
        (
            q1(serde_json::json!({ "type": "mensuel" })),
            "« mensuel » n'est pas une valeur possible de « type »",
        ),
    ];
    for (args, expected) in cases {
        let e = plan(&d.ctx, &gestionnaire, "appel_de_fonds", args.clone())
            .await
            .unwrap_err();
        assert!(matches!(e, ToolError::InvalidArgs(_)), "{args}: {e:?}");
        assert!(e.to_string().contains(expected), "{args}: {e}");
    }
    // An unknown résidence: the closest names.
    let e = plan(
        &d.ctx,
        &gestionnaire,
        "appel_de_fonds",
        q1(serde_json::json!({ "residence": "Gueliss" })),
    )
    .await
    .unwrap_err();
    assert!(matches!(e, ToolError::NotFound { .. }), "{e:?}");
    assert!(e.to_string().contains("Guéliz"), "{e}");
    // The ceiling is the operator's setting.
    let mut ctx = d.ctx.clone();
    ctx.limits.appel_max = dec!(500);
    let e = plan(
        &ctx,
        &gestionnaire,
        "appel_de_fonds",
        q1(serde_json::json!({})),
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("500,00\u{a0}MAD"), "{e}");
    // A lot without owner: listed, nothing issued.
    sqlx::query(
        "UPDATE proprietes SET jusqu_au = '2026-11-01' WHERE jusqu_au IS NULL AND lot_id =
           (SELECT id FROM lots WHERE residence_id = (SELECT id FROM residences WHERE nom = $1) AND numero = 'A41')",
    )
    .bind(GUELIZ)
    .execute(&d.db.admin)
    .await
    .unwrap();
    let e = plan(
        &d.ctx,
        &gestionnaire,
        "appel_de_fonds",
        q1(serde_json::json!({})),
    )
    .await
    .unwrap_err();
    assert!(
        e.to_string().starts_with(
            "Un lot de Résidence Les Jardins de Guéliz n'a pas de propriétaire enregistré (A41)"
        ),
        "{e}"
    );
    assert_eq!(d.counts().await, before);

    // Co-owners and présidents cannot issue one.
    for role in [Role::Coproprietaire, Role::President] {
        let caller = d.caller(d.atlas, role).await;
        let e = plan(&d.ctx, &caller, "appel_de_fonds", q1(serde_json::json!({})))
            .await
            .unwrap_err();
        assert!(matches!(e, ToolError::Forbidden(_)), "{role:?}: {e:?}");
    }
}

#[tokio::test]
async fn a_payment_is_cancelled_once_never_deleted_and_its_reference_can_be_used_again() {
    let d = demo().await;
    let comptable = d.caller(d.atlas, Role::Comptable).await;
    let karim = d.copro("Karim", "Naciri").await;
    let [solde0, ..] = compte(&d.ctx, &comptable, karim).await;
    let paiement = run(
        &d.ctx,
        &comptable,
        "record_payment",
        serde_json::json!({ "coproprietaire": "Karim Naciri", "montant": 600, "mode": "cheque",
                            "reference": "CHQ-777", "date": "2026-11-10" }),
    )
    .await;
    let id = paiement.output["paiement_id"].as_i64().unwrap();
    let before = d.counts().await;

    // Found by co-owner and reference (another case, spaces): the plan writes nothing.
    let p = plan(
        &d.ctx,
        &comptable,
        "annuler_paiement",
        serde_json::json!({ "lot": "A13", "residence": "Guéliz", "reference": " chq-777 ",
                            "motif": "chèque rejeté" }),
    )
    .await
    .unwrap();
    assert_eq!(d.counts().await, before);
    assert_eq!(p.plan["paiement_id"], id);
    assert_eq!(
        p.summary,
        format!(
            "Annuler le paiement n° {id} de 600,00\u{a0}MAD (chèque, réf. CHQ-777) de M. Karim Naciri \
             (Résidence Les Jardins de Guéliz), daté du 10/11/2026, motif « chèque rejeté » ?"
        )
    );
    // The balance after: back up by the payment, exactly.
    assert_eq!(p.tables[1].rows[0][1], montant(solde0 - dec!(600)));
    assert_eq!(p.tables[1].rows[2][1], montant(solde0));

    // Two confirmations of the same reversal at once: cancelled once.
    let confirmation = Uuid::new_v4();
    let spawn = || {
        let (ctx, caller, plan) = (d.ctx.clone(), comptable.clone(), p.clone());
        tokio::spawn(async move { execute(&ctx, &caller, &plan, confirmation).await })
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.await.unwrap().unwrap(), b.await.unwrap().unwrap());
    assert_ne!(a.output["deja_annule"], b.output["deja_annule"]);
    let after = d.counts().await;
    assert_eq!(after.annules, before.annules + 1);
    assert_eq!(after.paiements, before.paiements, "never deleted");
    assert_eq!(after.allocations, before.allocations, "allocations kept");
    let (annule_par, motif, conf): (i64, String, Uuid) = sqlx::query_as(
        "SELECT annule_par, motif_annulation, annulation_confirmation_id FROM paiements WHERE id = $1",
    )
    .bind(id)
    .fetch_one(&d.db.admin)
    .await
    .unwrap();
    assert_eq!(
        (annule_par, motif.as_str(), conf),
        (comptable.user_id, "chèque rejeté", confirmation)
    );
    let [solde1, ..] = compte(&d.ctx, &comptable, karim).await;
    assert_eq!(solde1, solde0);

    // Cancelling it again (another request): refused with who, when and why.
    let e = plan(
        &d.ctx,
        &comptable,
        "annuler_paiement",
        serde_json::json!({ "paiement": id, "motif": "doublon" }),
    )
    .await
    .unwrap_err();
    // The day of the reversal is when it happened (the server's clock, not the tools' date).
    let le: NaiveDate = d
        .scalar(
            "SELECT (annule_le AT TIME ZONE 'Africa/Casablanca')::date FROM paiements WHERE id = $1",
            id,
        )
        .await;
    assert_eq!(
        e.to_string(),
        format!(
            "Le paiement n° {id} : 600,00\u{a0}MAD du 10/11/2026 (chèque, réf. CHQ-777) de M. Karim Naciri \
             a déjà été annulé le {} par Rachid Amrani (motif : chèque rejeté). Rien n'a été modifié.",
            le.format("%d/%m/%Y")
        )
    );
    let e = execute(&d.ctx, &comptable, &p, Uuid::new_v4())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("a déjà été annulé"), "{e}");
    assert_eq!(d.counts().await, after);

    // Its reference is free again: the real cheque is recorded with it, once even if two
    // confirmations race.
    let p = plan(
        &d.ctx,
        &comptable,
        "record_payment",
        serde_json::json!({ "coproprietaire": "Karim Naciri", "montant": 600, "mode": "cheque",
                            "reference": "CHQ-777" }),
    )
    .await
    .unwrap();
    let spawn = |confirmation: Uuid| {
        let (ctx, caller, plan) = (d.ctx.clone(), comptable.clone(), p.clone());
        tokio::spawn(async move { execute(&ctx, &caller, &plan, confirmation).await })
    };
    let (a, b) = (spawn(Uuid::new_v4()), spawn(Uuid::new_v4()));
    let results = [a.await.unwrap(), b.await.unwrap()];
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
    let e = results.into_iter().find_map(Result::err).unwrap();
    assert!(e.to_string().contains("déjà enregistré"), "{e}");
    assert_eq!(d.counts().await.paiements, after.paiements + 1);
    let [solde2, ..] = compte(&d.ctx, &comptable, karim).await;
    assert_eq!(solde2, solde0 - dec!(600));
}

#[tokio::test]
async fn the_payment_to_cancel_is_asked_for_when_several_fit() {
    let d = demo().await;
    let gestionnaire = d.caller(d.atlas, Role::Gestionnaire).await;
    let before = d.counts().await;
    // Khadija Lahlou has many payments: which one?
    let e = plan(
        &d.ctx,
        &gestionnaire,
        "annuler_paiement",
        serde_json::json!({ "lot": "A41", "residence": "Guéliz", "motif": "erreur" }),
    )
    .await
    .unwrap_err();
    match &e {
        ToolError::Ambiguous { candidates, .. } => {
            assert!(candidates.len() > 1, "{e}");
            assert!(candidates[0].starts_with("n° "), "{e}");
        }
        e => panic!("expected Ambiguous, got {e:?}"),
    }
    assert!(e.to_string().contains("Précisez lequel"), "{e}");
    // An amount nobody paid: the latest payments are suggested.
    let e = plan(
        &d.ctx,
        &gestionnaire,
        "annuler_paiement",
        serde_json::json!({ "lot": "A41", "residence": "Guéliz", "montant": "1.23", "motif": "erreur" }),
    )
    .await
    .unwrap_err();
    match &e {
        ToolError::NotFound { suggestions, .. } => assert!(!suggestions.is_empty(), "{e}"),
        e => panic!("expected NotFound, got {e:?}"),
    }
    assert!(
        e.to_string()
            .starts_with("Aucun paiement ne correspond à « Mme Khadija Lahlou, 1,23\u{a0}MAD »"),
        "{e}"
    );
    for (args, expected) in [
        (
            serde_json::json!({ "lot": "A41", "motif": "  " }),
            "Indiquez le motif de l'annulation",
        ),
        (
            serde_json::json!({ "motif": "erreur" }),
            "Précisez le paiement à annuler",
        ),
        (
            serde_json::json!({ "lot": "A41" }),
            "le champ « motif » est obligatoire",
        ),
    ] {
        let e = plan(&d.ctx, &gestionnaire, "annuler_paiement", args.clone())
            .await
            .unwrap_err();
        assert!(matches!(e, ToolError::InvalidArgs(_)), "{args}: {e:?}");
        assert!(e.to_string().contains(expected), "{args}: {e}");
    }
    // Another syndic's payment number does not exist for this caller.
    let other: i64 = sqlx::query_scalar(
        "SELECT p.id FROM paiements p WHERE p.syndic_id <> $1 ORDER BY id LIMIT 1",
    )
    .bind(d.atlas)
    .fetch_one(&d.db.admin)
    .await
    .unwrap();
    let e = plan(
        &d.ctx,
        &gestionnaire,
        "annuler_paiement",
        serde_json::json!({ "paiement": other, "motif": "erreur" }),
    )
    .await
    .unwrap_err();
    assert!(matches!(e, ToolError::NotFound { .. }), "{e:?}");
    // Only the syndic's staff who record payments may cancel one.
    for role in [Role::Coproprietaire, Role::President] {
        let caller = d.caller(d.atlas, role).await;
        let e = plan(
            &d.ctx,
            &caller,
            "annuler_paiement",
            serde_json::json!({ "paiement": 1, "motif": "erreur" }),
        )
        .await
        .unwrap_err();
        assert!(matches!(e, ToolError::Forbidden(_)), "{role:?}: {e:?}");
    }
    assert_eq!(d.counts().await, before);
}

/// Appel → partial payment → overpayment (credit) → next appel consumes the credit → another
/// overpayment → reversal of the first payment (its échéance reopens, the balance goes back up
/// by exactly its amount, the standing credit covers part of it) → the real payment re-entered
/// with the same reference. Every figure is computed by hand.
#[tokio::test]
async fn balances_stay_exact_through_appels_payments_credit_and_a_reversal() {
    let d = demo().await;
    let comptable = d.caller(d.atlas, Role::Comptable).await;
    let gueliz = d.residence(GUELIZ).await;
    let base: i64 = d
        .scalar(
            "SELECT sum(tantiemes)::bigint FROM lots WHERE residence_id = $1",
            gueliz,
        )
        .await;
    assert_eq!(base, 1000);
    // Karim Naciri: lot A13, 25 tantièmes, up to date.
    let karim = d.copro("Karim", "Naciri").await;
    let tantiemes: i32 = d
        .scalar(
            "SELECT l.tantiemes FROM lots l JOIN proprietes p ON p.lot_id = l.id AND p.jusqu_au IS NULL
             WHERE p.coproprietaire_id = $1",
            karim,
        )
        .await;
    assert_eq!(tantiemes, 25);
    let at_0 = d.ctx.clone();
    let zero = Decimal::ZERO;
    assert_eq!(compte(&at_0, &comptable, karim).await, [zero; 4]);

    // 1. 15/11/2026: T1 2027, 100 000,00 MAD → his part: 100 000 × 25 / 1000 = 2 500,00, due
    //    01/01/2027 (not yet due).
    let a1 = run(
        &at_0,
        &comptable,
        "appel_de_fonds",
        serde_json::json!({ "residence": "Guéliz", "periode": "T1 2027", "montant_total": "100000.00" }),
    )
    .await;
    assert_eq!(a1.output["date_echeance"], "2027-01-01");
    let p1 = dec!(2500.00);
    assert_eq!(compte(&at_0, &comptable, karim).await, [p1, zero, p1, zero]);

    // Time passes: 10/01/2027, the T1 échéance is due.
    let mut at_1 = d.ctx.clone();
    at_1.clock = Clock::Fixed(ymd(2027, 1, 10));
    assert_eq!(compte(&at_1, &comptable, karim).await, [p1, p1, zero, zero]);
    let (impayes_1, du_1) = impayes(&at_1, &comptable, "Guéliz", karim).await;
    assert_eq!(du_1, p1);

    // 2. A partial payment of 1 000,00 (cheque CHQ-SEQ-1): 1 500,00 still due.
    let r = run(
        &at_1,
        &comptable,
        "record_payment",
        serde_json::json!({ "coproprietaire": "Karim Naciri", "montant": "1000.00", "mode": "cheque",
                            "reference": "CHQ-SEQ-1" }),
    )
    .await;
    let paiement_1 = r.output["paiement_id"].as_i64().unwrap();
    let reste = p1 - dec!(1000);
    assert_eq!(
        compte(&at_1, &comptable, karim).await,
        [reste, reste, zero, zero]
    );
    assert_eq!(
        impayes(&at_1, &comptable, "Guéliz", karim).await,
        (impayes_1 - dec!(1000), reste)
    );

    // 3. An overpayment: the 1 500,00 due plus 750,55 kept as credit.
    run(
        &at_1,
        &comptable,
        "record_payment",
        serde_json::json!({ "coproprietaire": "Karim Naciri", "montant": (reste + dec!(750.55)).to_string(),
                            "mode": "virement", "reference": "VIR-SEQ-2" }),
    )
    .await;
    let credit = dec!(750.55);
    assert_eq!(
        compte(&at_1, &comptable, karim).await,
        [-credit, zero, zero, credit]
    );
    assert_eq!(
        impayes(&at_1, &comptable, "Guéliz", karim).await,
        (impayes_1 - p1, zero)
    );

    // 4. T2 2027, 100 000,00 MAD again: 2 500,00, of which the credit covers 750,55 at once.
    let p = plan(
        &at_1,
        &comptable,
        "appel_de_fonds",
        serde_json::json!({ "residence": "Guéliz", "periode": "T2 2027", "montant_total": 100000 }),
    )
    .await
    .unwrap();
    let row = p.tables[0]
        .rows
        .iter()
        .find(|r| r[0] == "A13")
        .unwrap()
        .clone();
    assert_eq!(
        row[3..],
        [
            montant(dec!(2500)),
            montant(credit),
            montant(dec!(2500) - credit)
        ]
    );
    let a2 = execute(&at_1, &comptable, &p, Uuid::new_v4())
        .await
        .unwrap();
    assert_eq!(a2.output["date_echeance"], "2027-04-01");
    let p2 = dec!(2500.00);
    let a_echoir = p2 - credit;
    assert_eq!(
        compte(&at_1, &comptable, karim).await,
        [a_echoir, zero, a_echoir, zero]
    );

    // 5. He pays T2 and 200,00 more: a credit of 200,00.
    run(
        &at_1,
        &comptable,
        "record_payment",
        serde_json::json!({ "coproprietaire": "Karim Naciri", "montant": (a_echoir + dec!(200)).to_string(),
                            "mode": "virement", "reference": "VIR-SEQ-3" }),
    )
    .await;
    assert_eq!(
        compte(&at_1, &comptable, karim).await,
        [dec!(-200), zero, zero, dec!(200)]
    );

    // 6. The first cheque bounces: cancelled. T1 owes its 1 000,00 again, of which the 200,00
    //    credit covers 200,00: 800,00 due, the balance up by exactly 1 000,00.
    let p = plan(
        &at_1,
        &comptable,
        "annuler_paiement",
        serde_json::json!({ "coproprietaire": "Karim Naciri", "reference": "CHQ-SEQ-1",
                            "motif": "chèque rejeté par la banque" }),
    )
    .await
    .unwrap();
    assert_eq!(p.plan["paiement_id"], paiement_1);
    assert!(
        p.summary
            .ends_with("Le crédit de ses autres paiements (200,00\u{a0}MAD) sera imputé aux échéances rouvertes."),
        "{}",
        p.summary
    );
    let r = execute(&at_1, &comptable, &p, Uuid::new_v4())
        .await
        .unwrap();
    let rouvertes = r.output["echeances_rouvertes"].as_array().unwrap();
    assert_eq!(rouvertes.len(), 1);
    assert_eq!(dec_of(&rouvertes[0]["impute"]), dec!(1000));
    assert_eq!(dec_of(&rouvertes[0]["reste"]), dec!(800));
    let credits = r.output["credits_imputes"].as_array().unwrap();
    assert_eq!(credits.len(), 1);
    assert_eq!(dec_of(&credits[0]["montant"]), dec!(200));
    assert_eq!(credits[0]["echeance_id"], rouvertes[0]["echeance_id"]);
    assert_eq!(
        compte(&at_1, &comptable, karim).await,
        [dec!(800), dec!(800), zero, zero]
    );
    assert_eq!(r.output["solde"], solde(&at_1, &comptable, karim).await);
    assert_eq!(
        impayes(&at_1, &comptable, "Guéliz", karim).await,
        (impayes_1 - p1 + dec!(800), dec!(800))
    );
    assert!(
        r.summary.ends_with(
            "200,00\u{a0}MAD de crédit ont été imputés aux échéances rouvertes. Nouveau solde : 800,00\u{a0}MAD dû."
        ),
        "{}",
        r.summary
    );

    // 7. The replacement cheque comes with the same number: accepted, everything settled.
    run(
        &at_1,
        &comptable,
        "record_payment",
        serde_json::json!({ "coproprietaire": "Karim Naciri", "montant": 800, "mode": "cheque",
                            "reference": "CHQ-SEQ-1" }),
    )
    .await;
    assert_eq!(compte(&at_1, &comptable, karim).await, [zero; 4]);
    assert_eq!(
        impayes(&at_1, &comptable, "Guéliz", karim).await,
        (impayes_1 - p1, zero)
    );
    // Nothing is over-allocated anywhere.
    let over: i64 = d
        .scalar(
            "SELECT count(*) FROM echeances e WHERE e.residence_id = $1 AND e.montant <
               (SELECT coalesce(sum(a.montant), 0) FROM allocations a JOIN paiements p ON p.id = a.paiement_id
                WHERE a.echeance_id = e.id AND p.annule_le IS NULL)",
            gueliz,
        )
        .await;
    assert_eq!(over, 0);
}
