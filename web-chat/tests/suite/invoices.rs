//! Supplier invoices sent to the web chat by the staff, end to end: the real server on port 0, a
//! fresh demo database, the real OCR (Tesseract) and synthetic invoices from the corpus generator
//! (`wakil_evals::invoices`), billed by a supplier of the demo syndic to one of its résidences.
//!
//! A text-layer PDF, a clean scan and a degraded phone photo each become a draft with the
//! invoice's fields, shown with their confidences while the steps are reported; the validation
//! is a confirmation that counts once; the same invoice sent again is flagged and not saved; a
//! photo that is no invoice, a corrupt file and a file over the limits are refused in French with
//! nothing saved.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::{STAFF, TestApp, Ws, demo_invoice, of_type, spawn_app_with_context, text_of};
use serde_json::{Value, json};
use wakil_evals::invoices::{Layout, photo, scan};
use wakil_invoice::InvoiceData;

async fn upload(app: &TestApp, cookie: &str, bytes: &[u8], name: &str) -> reqwest::Response {
    app.http()
        .post(format!("{}/api/fichiers", app.url))
        .header("Origin", &app.url)
        .header("Cookie", cookie)
        .header("X-Filename", name)
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap()
}

/// Uploads `bytes` and sends them in a message; the turn's frames.
async fn send(app: &TestApp, cookie: &str, ws: &mut Ws, bytes: &[u8], name: &str) -> Vec<Value> {
    let r = upload(app, cookie, bytes, name).await;
    assert_eq!(r.status(), 200, "{name}");
    let file: Value = r.json().await.unwrap();
    ws.send(json!({ "type": "message", "text": "", "attachments": [file["id"]] }))
        .await;
    ws.turn().await
}

async fn drafts(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM factures WHERE fichier_id IS NOT NULL")
        .fetch_one(&app.db.admin)
        .await
        .unwrap()
}

/// A draft as recorded.
#[derive(sqlx::FromRow)]
struct Row {
    fournisseur: Option<String>,
    numero: Option<String>,
    date_facture: Option<chrono::NaiveDate>,
    montant_ht: Option<rust_decimal::Decimal>,
    montant_tva: Option<rust_decimal::Decimal>,
    montant_ttc: Option<rust_decimal::Decimal>,
    residence: Option<String>,
    statut: String,
    moteur_ocr: String,
}

/// The draft recorded, as the truth is written; its status and OCR engine.
async fn draft(app: &TestApp, id: i64) -> (InvoiceData, String, String) {
    let row: Row = sqlx::query_as(
        "SELECT s.nom AS fournisseur, f.numero, f.date_facture, f.montant_ht, f.montant_tva,
                f.montant_ttc, r.nom AS residence, f.statut::text AS statut, f.moteur_ocr
         FROM factures f LEFT JOIN fournisseurs s ON s.id = f.fournisseur_id
         LEFT JOIN residences r ON r.id = f.residence_id WHERE f.id = $1",
    )
    .bind(id)
    .fetch_one(&app.db.admin)
    .await
    .unwrap();
    (
        InvoiceData {
            fournisseur: row.fournisseur,
            numero: row.numero,
            date_facture: row.date_facture,
            montant_ht: row.montant_ht,
            montant_tva: row.montant_tva,
            montant_ttc: row.montant_ttc,
            residence: row.residence,
            ..InvoiceData::default()
        },
        row.statut,
        row.moteur_ocr,
    )
}

/// The fields a draft keeps, from the truth.
fn kept(truth: &InvoiceData) -> InvoiceData {
    InvoiceData {
        fournisseur: truth.fournisseur.clone(),
        numero: truth.numero.clone(),
        date_facture: truth.date_facture,
        montant_ht: truth.montant_ht,
        montant_tva: truth.montant_tva,
        montant_ttc: truth.montant_ttc,
        residence: truth.residence.clone(),
        ..InvoiceData::default()
    }
}

fn draft_id(frames: &[Value]) -> i64 {
    let text = text_of(frames);
    let at = text.find("brouillon de facture n° ").expect(&text) + "brouillon de facture n° ".len();
    text[at..]
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn a_text_layer_pdf_becomes_a_draft_whose_validation_counts_once_and_a_second_copy_is_flagged()
 {
    let app = spawn_app_with_context(|_| {}).await;
    let inv = demo_invoice(&app, Layout::Ascenseur, 7).await;
    let cookie = app.login(STAFF).await;
    let (mut ws, _) = app.ws(&cookie).await;

    let frames = send(&app, &cookie, &mut ws, &inv.pdf, "facture ascenseur.pdf").await;
    // The steps, as they happen: received, read, analysed, drafted.
    let steps: Vec<&str> = of_type(&frames, "activity")
        .iter()
        .filter_map(|f| f["label"].as_str())
        .collect();
    for (step, word) in steps
        .iter()
        .zip(["Reçu", "Lecture", "Analyse", "Brouillon"])
    {
        assert!(step.starts_with(word), "{steps:?}");
    }
    assert!(steps.len() >= 4, "{steps:?}");
    let id = draft_id(&frames);
    let (read, statut, moteur) = draft(&app, id).await;
    assert_eq!(read, kept(&inv.truth));
    assert_eq!(
        (statut.as_str(), moteur.as_str()),
        ("brouillon", "texte du PDF")
    );
    // The fields in a table; then the validation to confirm, with the figures of the draft.
    let tables = of_type(&frames, "table");
    let rows = tables[0]["table"]["rows"].as_array().unwrap();
    assert!(rows.iter().any(|r| r[0] == "Montant TTC"), "{rows:?}");
    let confirmation = of_type(&frames, "confirmation");
    assert_eq!(confirmation.len(), 1, "{frames:?}");
    let ttc = wakil_tools::format::mad(inv.truth.montant_ttc.unwrap());
    assert!(
        confirmation[0]["summary"].as_str().unwrap().contains(&ttc),
        "{confirmation:?}"
    );

    // Confirmed twice: validated once.
    let action = confirmation[0]["id"].clone();
    ws.send(json!({ "type": "confirm", "id": action })).await;
    let first = ws.turn().await;
    ws.send(json!({ "type": "confirm", "id": action })).await;
    let second = ws.turn().await;
    assert!(text_of(&first).contains("validée"), "{first:?}");
    assert!(text_of(&second).contains("déjà"), "{second:?}");
    assert_eq!(draft(&app, id).await.1, "validee");

    // The same PDF again, then a scan of the same invoice: flagged, nothing saved.
    let before = drafts(&app).await;
    let again = send(&app, &cookie, &mut ws, &inv.pdf, "encore.pdf").await;
    assert!(
        text_of(&again).contains("semble déjà enregistrée"),
        "{again:?}"
    );
    assert!(text_of(&again).contains("même fichier"), "{again:?}");
    let scanned = scan(&inv.pdf, 200).unwrap();
    let copy = send(&app, &cookie, &mut ws, &scanned, "scan.png").await;
    assert!(
        text_of(&copy).contains("même fournisseur et même numéro"),
        "{copy:?}"
    );
    assert!(of_type(&copy, "confirmation").is_empty());
    assert_eq!(drafts(&app).await, before);
}

#[tokio::test]
async fn a_clean_scan_and_a_phone_photo_are_read_by_ocr_and_corrected_by_conversation() {
    let app = spawn_app_with_context(|_| {}).await;
    let cookie = app.login(STAFF).await;
    let (mut ws, _) = app.ws(&cookie).await;

    let inv = demo_invoice(&app, Layout::Gardiennage, 11).await;
    let frames = send(
        &app,
        &cookie,
        &mut ws,
        &scan(&inv.pdf, 200).unwrap(),
        "scan.png",
    )
    .await;
    let (read, _, moteur) = draft(&app, draft_id(&frames)).await;
    assert!(moteur.starts_with("tesseract"), "{moteur}");
    assert_eq!(read, kept(&inv.truth));

    let inv = demo_invoice(&app, Layout::Gardiennage, 12).await;
    let frames = send(
        &app,
        &cookie,
        &mut ws,
        &photo(&inv.pdf, 12).unwrap(),
        "photo.jpg",
    )
    .await;
    let id = draft_id(&frames);
    let (read, _, _) = draft(&app, id).await;
    assert_eq!(read.montant_ttc, inv.truth.montant_ttc, "{frames:?}");
    assert_eq!(read.fournisseur, inv.truth.fournisseur);
    assert_eq!(read.numero, inv.truth.numero);

    // A correction by conversation: the TTC typed, HT and TVA recomputed from the rate.
    let frames = ws.ask("le montant TTC est 1 245,60").await;
    assert!(
        text_of(&frames).contains(&format!("Brouillon n° {id} corrigé")),
        "{frames:?}"
    );
    let (read, statut, _) = draft(&app, id).await;
    assert_eq!(statut, "brouillon");
    assert_eq!(read.montant_ttc, Some(rust_decimal_macros::dec!(1245.60)));
    assert_eq!(
        read.montant_ht.unwrap() + read.montant_tva.unwrap(),
        rust_decimal_macros::dec!(1245.60)
    );
    // Its validation is asked again, with the corrected figure.
    let confirmation = of_type(&frames, "confirmation");
    assert!(
        confirmation[0]["summary"]
            .as_str()
            .unwrap()
            .contains(&wakil_tools::format::mad(rust_decimal_macros::dec!(
                1245.60
            ))),
        "{frames:?}"
    );
}

#[tokio::test]
async fn what_is_no_invoice_corrupt_or_too_big_is_refused_in_french_and_nothing_is_saved() {
    // The reader's own limit, below the upload's: one page.
    let app = spawn_app_with_context(|ctx| {
        let engine = wakil_ocr::engine_from_env().unwrap();
        let limits = wakil_ocr::Limits {
            max_bytes: 2 * 1024 * 1024,
            max_pages: 1,
        };
        ctx.lecture = wakil_tools::lecture::Lecture::new(wakil_ocr::Reader::new(engine, limits));
    })
    .await;
    let cookie = app.login(STAFF).await;
    let (mut ws, _) = app.ws(&cookie).await;

    // A photo of no invoice: a landscape of colour gradients.
    let mut landscape = image::RgbImage::new(1200, 900);
    for (x, y, p) in landscape.enumerate_pixels_mut() {
        *p = image::Rgb([(x / 5) as u8, (y / 4) as u8, 120]);
    }
    let mut jpeg = Vec::new();
    image::DynamicImage::ImageRgb8(landscape)
        .write_to(
            &mut std::io::Cursor::new(&mut jpeg),
            image::ImageFormat::Jpeg,
        )
        .unwrap();
    let frames = send(&app, &cookie, &mut ws, &jpeg, "paysage.jpg").await;
    assert!(
        text_of(&frames).contains("ne ressemble pas à une facture")
            || text_of(&frames).contains("Aucun texte"),
        "{frames:?}"
    );

    // A JPEG cut short.
    let corrupt = [&jpeg[..jpeg.len() / 3], b"\0\0\0"].concat();
    let frames = send(&app, &cookie, &mut ws, &corrupt, "abimee.jpg").await;
    assert!(text_of(&frames).contains("illisible"), "{frames:?}");

    // Over the reader's limit (3 MB of a valid JPEG header and padding), and over the upload's.
    let big = [&jpeg[..], &vec![0u8; 3 * 1024 * 1024]].concat();
    let frames = send(&app, &cookie, &mut ws, &big, "enorme.jpg").await;
    assert!(text_of(&frames).contains("trop volumineux"), "{frames:?}");
    let huge = vec![0xFFu8; 21 * 1024 * 1024];
    let r = upload(
        &app,
        &cookie,
        &[b"\xFF\xD8\xFF".as_slice(), &huge].concat(),
        "x.jpg",
    )
    .await;
    assert_eq!(r.status(), 413);

    assert!(of_type(&frames, "confirmation").is_empty());
    assert_eq!(drafts(&app).await, 0);
}
