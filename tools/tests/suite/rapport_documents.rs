//! `rapport_financier` as documents: the PDF and the Excel workbook of the demo's yearly reports,
//! read back (pdftotext, calamine) and checked against figures computed here with SQL of their
//! own; who may ask for them; the same report twice is one document.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use calamine::{Data, Reader};
use chrono::Datelike;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use wakil_schema::testing::DEMO_TODAY;
use wakil_schema::{Caller, Role};
use wakil_tools::format::montant;
use wakil_tools::rapport::{Args, Dossier};
use wakil_tools::{Attachment, ToolError, ToolResult};

use crate::common;
use common::{Demo, demo};

const GUELIZ: &str = "Résidence Les Jardins de Guéliz";

async fn rapport(
    d: &Demo,
    caller: &Caller,
    args: serde_json::Value,
) -> Result<ToolResult, ToolError> {
    wakil_tools::find("rapport_financier")
        .unwrap()
        .call(&d.ctx, caller, args)
        .await?
        .done()
}

/// A year of a résidence, from the raw rows.
#[derive(Debug)]
struct Attendu {
    encaissements: Decimal,
    /// TTC of the validated or paid invoices dated in the year, per category label.
    realise: BTreeMap<String, Decimal>,
    budget: BTreeMap<String, Decimal>,
    /// What is still owed today on the échéances of the year's calls already due.
    impayes: Decimal,
    /// (co-owner, lot) pairs owing something.
    debiteurs: usize,
}

impl Attendu {
    fn depenses(&self) -> Decimal {
        self.realise.values().sum()
    }

    fn categories(&self) -> Vec<&String> {
        let mut c: Vec<&String> = self.realise.keys().chain(self.budget.keys()).collect();
        c.sort();
        c.dedup();
        c
    }
}

async fn attendu(d: &Demo, residence: i64, annee: i32) -> Attendu {
    let db = &d.db.admin;
    let encaissements: Decimal = sqlx::query_scalar(
        "SELECT coalesce(sum(montant), 0) FROM paiements
         WHERE residence_id = $1 AND annule_le IS NULL AND extract(year FROM date_paiement) = $2",
    )
    .bind(residence)
    .bind(annee)
    .fetch_one(db)
    .await
    .unwrap();
    let realise: Vec<(String, Decimal)> = sqlx::query_as(
        "SELECT categorie::text, sum(montant_ttc) FROM factures
         WHERE residence_id = $1 AND statut IN ('validee', 'payee') AND extract(year FROM date_facture) = $2
         GROUP BY 1",
    )
    .bind(residence)
    .bind(annee)
    .fetch_all(db)
    .await
    .unwrap();
    let budget: Vec<(String, Decimal)> = sqlx::query_as(
        "SELECT l.categorie::text, l.montant FROM budget_lignes l JOIN budgets b ON b.id = l.budget_id
         WHERE b.residence_id = $1 AND b.annee = $2",
    )
    .bind(residence)
    .bind(annee)
    .fetch_all(db)
    .await
    .unwrap();
    // Per échéance: amount minus the allocations of payments not cancelled.
    let dus: Vec<(i64, i64, Decimal)> = sqlx::query_as(
        "SELECT e.coproprietaire_id, e.lot_id,
                e.montant - coalesce((SELECT sum(al.montant) FROM allocations al
                                      JOIN paiements p ON p.id = al.paiement_id
                                      WHERE al.echeance_id = e.id AND p.annule_le IS NULL), 0)
         FROM echeances e JOIN appels_de_fonds a ON a.id = e.appel_id
         WHERE e.residence_id = $1 AND extract(year FROM a.periode_debut) = $2 AND e.date_echeance < $3",
    )
    .bind(residence)
    .bind(annee)
    .bind(DEMO_TODAY)
    .fetch_all(db)
    .await
    .unwrap();
    let mut debiteurs: BTreeMap<(i64, i64), Decimal> = BTreeMap::new();
    for (copro, lot, du) in dus.into_iter().filter(|r| r.2 > Decimal::ZERO) {
        *debiteurs.entry((copro, lot)).or_default() += du;
    }
    // Categories by their French label, as the documents show them.
    let label = |c: String| -> String {
        let c: wakil_schema::Categorie = serde_json::from_value(serde_json::json!(c)).unwrap();
        c.label().to_string()
    };
    Attendu {
        encaissements,
        realise: realise.into_iter().map(|(c, m)| (label(c), m)).collect(),
        budget: budget.into_iter().map(|(c, m)| (label(c), m)).collect(),
        impayes: debiteurs.values().sum(),
        debiteurs: debiteurs.len(),
    }
}

async fn residence_id(d: &Demo, nom: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM residences WHERE nom = $1")
        .bind(nom)
        .fetch_one(&d.db.admin)
        .await
        .unwrap()
}

async fn documents(d: &Demo) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM documents")
        .fetch_one(&d.db.admin)
        .await
        .unwrap()
}

/// Where the documents are kept for a look (`target/tmp/rapport/`).
fn out_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("rapport");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The text of a PDF, laid out (`pdftotext -layout`), no-break spaces as plain spaces.
fn pdf_text(path: &Path) -> String {
    let out = std::process::Command::new("pdftotext")
        .arg("-layout")
        .arg(path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils, installed by scripts/setup.sh)");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout)
        .unwrap()
        .replace('\u{a0}', " ")
}

/// An amount as the documents print it, with plain spaces.
fn m(d: Decimal) -> String {
    montant(d).replace('\u{a0}', " ")
}

/// A line of `text` holding `label` then each of `figures`, in that order.
fn line_with<'a>(text: &'a str, label: &str, figures: &[String]) -> Option<&'a str> {
    text.lines().find(|l| {
        let Some(mut rest) = l.find(label).map(|i| &l[i + label.len()..]) else {
            return false;
        };
        figures.iter().all(|f| {
            // A figure is a whole cell: not the tail of a longer number.
            let found = rest.match_indices(f.as_str()).find(|(i, _)| {
                !rest[..*i]
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_ascii_digit() || c == '-' || c == ',')
            });
            match found {
                Some((i, _)) => {
                    rest = &rest[i + f.len()..];
                    true
                }
                None => false,
            }
        })
    })
}

fn assert_line(text: &str, label: &str, figures: &[String]) {
    assert!(
        line_with(text, label, figures).is_some(),
        "no line « {label} » with {figures:?} in:\n{text}"
    );
}

/// The rows of a sheet.
fn sheet(book: &mut calamine::Xlsx<std::io::Cursor<Vec<u8>>>, name: &str) -> Vec<Vec<Data>> {
    let range = book.worksheet_range(name).unwrap();
    range.rows().map(<[Data]>::to_vec).collect()
}

/// The row whose first cell is `label`.
fn row_of<'a>(rows: &'a [Vec<Data>], label: &str) -> &'a [Data] {
    rows.iter()
        .find(|r| r.first().is_some_and(|c| *c == label))
        .unwrap_or_else(|| panic!("no row « {label} »"))
}

/// A numeric cell, to the centime.
fn cents(cell: &Data) -> Decimal {
    match cell {
        Data::Float(f) => format!("{f:.2}").parse().unwrap(),
        Data::Int(i) => Decimal::from(*i),
        other => panic!("not a number: {other:?}"),
    }
}

/// A part of the workbook's archive (`unzip -p`), e.g. a sheet's XML.
fn xlsx_part(path: &Path, part: &str) -> String {
    let out = std::process::Command::new("unzip")
        .arg("-p")
        .arg(path)
        .arg(part)
        .output()
        .expect("unzip");
    assert!(out.status.success(), "{part}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn the_pdf_and_the_workbook_show_the_figures_of_sql() {
    let d = demo().await;
    let comptable = d.caller(d.atlas, Role::Comptable).await;
    let residence = residence_id(&d, GUELIZ).await;
    // The last closed year and the current one (the demo is dated 15/11/2026).
    for annee in [DEMO_TODAY.year() - 1, DEMO_TODAY.year()] {
        let a = attendu(&d, residence, annee).await;
        assert!(
            a.encaissements > Decimal::ZERO && a.impayes > Decimal::ZERO && a.realise.len() > 3,
            "{annee}: a year of activity with impayés"
        );
        let r = rapport(
            &d,
            &comptable,
            serde_json::json!({ "residence": "Guéliz", "annee": annee, "format": "pdf_xlsx" }),
        )
        .await
        .unwrap();
        let [pdf, xlsx]: [Attachment; 2] = r.files.clone().try_into().unwrap();
        assert_eq!(pdf.mime, "application/pdf");
        assert_eq!(pdf.nom, format!("Rapport financier {annee} - {GUELIZ}.pdf"));
        assert_eq!(
            xlsx.mime,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        );
        // The chat answer is the same, with the documents.
        assert_eq!(r.tables.len(), 3);
        assert!(r.summary.ends_with("2 documents joints."), "{}", r.summary);

        // The PDF, as a reader would copy its text.
        let bytes = d.ctx.files.read(d.atlas, pdf.id).await.unwrap();
        assert_eq!(bytes.len() as i64, pdf.taille);
        let path = out_dir().join(format!("rapport-gueliz-{annee}.pdf"));
        std::fs::write(&path, &bytes).unwrap();
        let text = pdf_text(&path);
        assert!(text.contains(&format!("Rapport financier {annee}")));
        assert!(text.contains(GUELIZ) && text.contains("Atlas Syndic"));
        assert_line(&text, "Encaissements", &[m(a.encaissements)]);
        assert_line(&text, "Dépenses (TTC)", &[m(a.depenses())]);
        assert_line(
            &text,
            "Résultat (encaissements − dépenses)",
            &[m(a.encaissements - a.depenses())],
        );
        for cat in a.categories() {
            let budget = a.budget.get(cat).copied().unwrap_or_default();
            let realise = a.realise.get(cat).copied().unwrap_or_default();
            // The budget table: budget, actual, gap.
            assert_line(&text, cat, &[m(budget), m(realise), m(realise - budget)]);
        }
        assert_line(
            &text,
            "Impayés sur les appels de l'exercice",
            &[m(a.impayes)],
        );
        // The unpaid list's total row.
        assert_line(&text, "Total", &[m(a.impayes)]);
        let lines = text
            .lines()
            .filter(|l| l.contains("Mme ") || l.contains("M. "))
            .count();
        assert_eq!(lines, a.debiteurs, "one line per debtor and lot:\n{text}");

        // The workbook, read back.
        let bytes = d.ctx.files.read(d.atlas, xlsx.id).await.unwrap();
        let path = out_dir().join(format!("rapport-gueliz-{annee}.xlsx"));
        std::fs::write(&path, &bytes).unwrap();
        let mut book: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(
            book.sheet_names(),
            [
                "Synthèse",
                "Dépenses par catégorie",
                "Budget vs réalisé",
                "Impayés"
            ]
        );
        let synthese = sheet(&mut book, "Synthèse");
        assert_eq!(
            cents(&row_of(&synthese, "Encaissements")[1]),
            a.encaissements
        );
        assert_eq!(cents(&row_of(&synthese, "Dépenses (TTC)")[1]), a.depenses());
        assert_eq!(
            cents(&row_of(&synthese, "Résultat (encaissements − dépenses)")[1]),
            a.encaissements - a.depenses()
        );
        assert_eq!(
            cents(&row_of(&synthese, "Impayés sur les appels de l'exercice")[1]),
            a.impayes
        );
        let depenses = sheet(&mut book, "Dépenses par catégorie");
        for (cat, ttc) in &a.realise {
            assert_eq!(cents(&row_of(&depenses, cat)[4]), *ttc, "{cat}");
        }
        assert_eq!(cents(&row_of(&depenses, "Total")[4]), a.depenses());
        let budget = sheet(&mut book, "Budget vs réalisé");
        for cat in a.categories() {
            let row = row_of(&budget, cat);
            let b = a.budget.get(cat).copied().unwrap_or_default();
            let real = a.realise.get(cat).copied().unwrap_or_default();
            assert_eq!(
                (cents(&row[1]), cents(&row[2]), cents(&row[3])),
                (b, real, real - b),
                "{cat}"
            );
        }
        let impayes = sheet(&mut book, "Impayés");
        assert_eq!(cents(&row_of(&impayes, "Total")[2]), a.impayes);
        let debtors = impayes
            .iter()
            .skip(1)
            .filter(|r| matches!(r.get(2), Some(Data::Float(_))) && r[0] != "Total")
            .count();
        assert_eq!(debtors, a.debiteurs);
        // Amounts are numbers with grouped thousands and two decimals; headers stay in view.
        assert!(xlsx_part(&path, "xl/styles.xml").contains(r##"formatCode="#,##0.00""##));
        for n in 1..=4 {
            let xml = xlsx_part(&path, &format!("xl/worksheets/sheet{n}.xml"));
            assert!(xml.contains(r#"state="frozen""#), "sheet{n}: frozen header");
            assert!(xml.contains("<cols>"), "sheet{n}: column widths");
        }
    }
}

#[tokio::test]
async fn the_same_report_twice_is_the_same_document_for_staff_only() {
    let d = demo().await;
    let gestionnaire = d.caller(d.atlas, Role::Gestionnaire).await;
    let comptable = d.caller(d.atlas, Role::Comptable).await;
    let args = serde_json::json!({ "residence": "Guéliz", "annee": 2025, "format": "pdf" });
    let before = documents(&d).await;
    let first = rapport(&d, &gestionnaire, args.clone()).await.unwrap();
    let again = rapport(&d, &comptable, args).await.unwrap();
    assert_eq!(first.files.len(), 1);
    assert_eq!(first.files, again.files, "same bytes, same file");
    assert_eq!(documents(&d).await, before + 1);
    // The workbook is deterministic too.
    let x1 = rapport(
        &d,
        &gestionnaire,
        serde_json::json!({ "residence": "Guéliz", "annee": 2025, "format": "excel" }),
    )
    .await
    .unwrap();
    let x2 = rapport(
        &d,
        &gestionnaire,
        serde_json::json!({ "residence": "Guéliz", "annee": 2025, "format": "xlsx" }),
    )
    .await
    .unwrap();
    assert_eq!(x1.files, x2.files);
    assert_ne!(x1.files, first.files);
    assert_eq!(documents(&d).await, before + 2);

    let (residence, titre, type_doc, visibilite, pages, mime): (
        i64,
        String,
        String,
        String,
        Option<i32>,
        String,
    ) = sqlx::query_as(
        "SELECT residence_id, titre, type::text, visibilite::text, pages, mime FROM documents
         WHERE fichier_id = $1",
    )
    .bind(first.files[0].id)
    .fetch_one(&d.db.admin)
    .await
    .unwrap();
    assert_eq!(residence, residence_id(&d, GUELIZ).await);
    assert_eq!(titre, format!("Rapport financier 2025 — {GUELIZ}"));
    assert_eq!((type_doc.as_str(), visibilite.as_str()), ("autre", "staff"));
    assert!(pages.is_some_and(|p| p >= 2), "{pages:?}");
    assert_eq!(mime, "application/pdf");

    // Staff open it; a co-owner of the résidence does not (a staff document).
    let owner: i64 = sqlx::query_scalar(
        "SELECT u.id FROM users u JOIN proprietes p ON p.coproprietaire_id = u.coproprietaire_id
         JOIN lots l ON l.id = p.lot_id WHERE l.residence_id = $1 AND p.jusqu_au IS NULL LIMIT 1",
    )
    .bind(residence)
    .fetch_one(&d.db.admin)
    .await
    .unwrap();
    let mut t = d.ctx.store.tenant_read(d.atlas).await.unwrap();
    let owner = t
        .caller(owner, wakil_schema::Canal::Web)
        .await
        .unwrap()
        .unwrap();
    for (who, may) in [(&comptable, true), (&gestionnaire, true), (&owner, false)] {
        let file = t.fichier_lisible(who, first.files[0].id).await.unwrap();
        assert_eq!(file.is_some(), may, "{:?}", who.role);
    }
    t.commit().await.unwrap();
}

#[tokio::test]
async fn a_coproprietaire_cannot_ask_for_the_report() {
    let d = demo().await;
    let copro = d.caller(d.atlas, Role::Coproprietaire).await;
    let before = documents(&d).await;
    for args in [
        serde_json::json!({ "format": "pdf" }),
        serde_json::json!({ "residence": "Guéliz", "annee": 2025, "format": "pdf_xlsx" }),
    ] {
        let e = rapport(&d, &copro, args).await.unwrap_err();
        assert!(matches!(e, ToolError::Forbidden(_)), "{e}");
    }
    // Nor by the documents' own entry point (the benchmark's).
    let args = Args {
        residence: Some("Guéliz".into()),
        ..Args::default()
    };
    let e = Dossier::read(&d.ctx, &copro, &args).await.unwrap_err();
    assert!(matches!(e, ToolError::Forbidden(_)), "{e}");
    assert_eq!(documents(&d).await, before);
}

#[tokio::test]
async fn without_a_format_the_answer_has_no_document_and_a_bad_format_is_explained() {
    let d = demo().await;
    let comptable = d.caller(d.atlas, Role::Comptable).await;
    let before = documents(&d).await;
    let r = rapport(
        &d,
        &comptable,
        serde_json::json!({ "residence": "Agdal", "annee": 2025 }),
    )
    .await
    .unwrap();
    assert!(r.files.is_empty());
    assert!(r.output.get("fichiers").is_none());
    assert!(!r.summary.contains("document"), "{}", r.summary);
    let e = rapport(
        &d,
        &comptable,
        serde_json::json!({ "residence": "Agdal", "format": "docx" }),
    )
    .await
    .unwrap_err();
    assert!(matches!(e, ToolError::InvalidArgs(_)), "{e}");
    assert!(
        e.to_string()
            .contains("« docx » n'est pas une valeur possible de « format »")
            && e.to_string().contains("pdf_xlsx"),
        "{e}"
    );
    assert_eq!(documents(&d).await, before);
}
