//! Draft supplier invoices against the demo data: a correction changes the draft only (and
//! recomputes HT and TVA from a corrected TTC), validation is planned without writing, refused
//! when incomplete, inconsistent or duplicated, and counts once per confirmation, even when two
//! confirmations race.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::json;
use uuid::Uuid;
use wakil_schema::store::{LectureFacture, NouveauFichier, ValeursFacture};
use wakil_schema::{Caller, Categorie, Role};
use wakil_tools::{ToolError, ToolResult};

use crate::common;
use common::{Demo, demo, execute, plan};

/// A supplier and a résidence of the demo syndic.
async fn demo_ids(d: &Demo) -> (i64, String, i64, String) {
    sqlx::query_as(
        "SELECT f.id, f.nom, r.id, r.nom FROM fournisseurs f, residences r
         WHERE f.syndic_id = $1 AND r.syndic_id = $1 AND f.categorie = 'ascenseur'
         ORDER BY f.id, r.id LIMIT 1",
    )
    .bind(d.atlas)
    .fetch_one(&d.db.admin)
    .await
    .unwrap()
}

/// A draft as `extract_invoice` records it, from a stored file.
async fn draft(d: &Demo, who: &Caller, v: &ValeursFacture) -> i64 {
    let mut t = d.ctx.store.tenant(who.syndic_id).await.unwrap();
    let id = Uuid::new_v4();
    let sha = format!("{:064x}", id.as_u128());
    t.add_fichier(
        who,
        &NouveauFichier {
            id,
            nom: "facture.jpg",
            mime: "image/jpeg",
            taille: 1000,
            contenu_sha256: &sha,
        },
    )
    .await
    .unwrap();
    let confiances = json!({
        "montant_ttc": { "score": 0.55, "origin": "texte" },
        "numero": { "score": 0.95, "origin": "texte" },
    });
    let facture = t
        .creer_brouillon(
            who.user_id,
            v,
            &LectureFacture {
                fichier_id: id,
                fichier_nom: "facture.jpg".into(),
                fichier_sha256: sha,
                texte: "FACTURE …".into(),
                moteur: "tesseract 5.3.0 (fra)".into(),
                confiance: dec!(0.55),
                confiances,
                remarques: vec![],
            },
        )
        .await
        .unwrap();
    t.commit().await.unwrap();
    facture
}

fn complete(fournisseur: i64, residence: i64, numero: &str) -> ValeursFacture {
    ValeursFacture {
        fournisseur_id: Some(fournisseur),
        residence_id: Some(residence),
        numero: Some(numero.into()),
        date_facture: chrono::NaiveDate::from_ymd_opt(2026, 10, 15),
        categorie: Some(Categorie::Ascenseur),
        montant_ht: Some(dec!(1000.00)),
        taux_tva: Some(dec!(20)),
        montant_tva: Some(dec!(200.00)),
        montant_ttc: Some(dec!(1200.00)),
        ..ValeursFacture::default()
    }
}

async fn row(d: &Demo, id: i64) -> (String, Option<Decimal>, Option<Decimal>, Option<Decimal>) {
    sqlx::query_as(
        "SELECT statut::text, montant_ht, montant_tva, montant_ttc FROM factures WHERE id = $1",
    )
    .bind(id)
    .fetch_one(&d.db.admin)
    .await
    .unwrap()
}

async fn call(d: &Demo, who: &Caller, tool: &str, args: serde_json::Value) -> ToolResult {
    wakil_tools::find(tool)
        .unwrap()
        .call(&d.ctx, who, args)
        .await
        .unwrap()
        .done()
        .unwrap()
}

#[tokio::test]
async fn a_corrected_ttc_changes_the_draft_only_and_recomputes_ht_and_tva() {
    let d = demo().await;
    let staff = d.caller(d.atlas, Role::Gestionnaire).await;
    let (f, _, r, _) = demo_ids(&d).await;
    let id = draft(&d, &staff, &complete(f, r, "ASC-2026-0042")).await;

    // Without a number, the caller's latest draft is corrected.
    let out = call(
        &d,
        &staff,
        "corriger_facture",
        json!({ "montant_ttc": "1 245,60" }),
    )
    .await;
    assert_eq!(out.output["facture_id"], id);
    assert_eq!(
        row(&d, id).await,
        (
            "brouillon".into(),
            Some(dec!(1038.00)),
            Some(dec!(207.60)),
            Some(dec!(1245.60))
        )
    );
    assert!(
        out.summary.contains("Recalculé : montant ht, tva"),
        "{}",
        out.summary
    );
    // The corrected field is no longer doubtful; the table says it was corrected.
    let ttc = &out.tables[0]
        .rows
        .iter()
        .find(|r| r[0] == "Montant TTC")
        .unwrap()[2];
    assert_eq!(ttc, "corrigé");
    // Complete and consistent: its validation is proposed next.
    assert_eq!(out.follow_up.unwrap().args, json!({ "facture": id }));

    // Unreadable values are refused in French, and nothing changes.
    for (args, says) in [
        (json!({ "montant_ttc": "douze" }), "Montant TTC illisible"),
        (
            json!({ "date_facture": "32/13/2026" }),
            "Date de facture illisible",
        ),
        (json!({ "taux_tva": "19" }), "7, 10, 14 et 20"),
        (
            json!({ "fournisseur": "Zzyzx Qwerty" }),
            "Aucun fournisseur",
        ),
        (json!({}), "Indiquez le champ à corriger"),
    ] {
        let e = wakil_tools::find("corriger_facture")
            .unwrap()
            .call(&d.ctx, &staff, args.clone())
            .await
            .unwrap_err();
        assert!(e.to_string().contains(says), "{args}: {e}");
    }
    assert_eq!(row(&d, id).await.3, Some(dec!(1245.60)));
    // Another syndic's staff cannot see it.
    let other: i64 =
        sqlx::query_scalar("SELECT id FROM syndics WHERE id <> $1 ORDER BY id LIMIT 1")
            .bind(d.atlas)
            .fetch_one(&d.db.admin)
            .await
            .unwrap();
    let stranger = d.caller(other, Role::Gestionnaire).await;
    let e = wakil_tools::find("corriger_facture")
        .unwrap()
        .call(&d.ctx, &stranger, json!({ "facture": id, "numero": "X" }))
        .await
        .unwrap_err();
    assert!(matches!(e, ToolError::NotFound { .. }), "{e}");
}

#[tokio::test]
async fn validation_waits_for_its_confirmation_and_counts_once() {
    let d = demo().await;
    let staff = d.caller(d.atlas, Role::Gestionnaire).await;
    let (f, fournisseur, r, residence) = demo_ids(&d).await;
    let id = draft(&d, &staff, &complete(f, r, "ASC-2026-0043")).await;

    let p = plan(&d.ctx, &staff, "valider_facture", json!({ "facture": id }))
        .await
        .unwrap();
    assert!(p.summary.contains(&fournisseur), "{}", p.summary);
    assert!(p.summary.contains(&residence), "{}", p.summary);
    assert!(
        p.summary.contains(&wakil_tools::format::mad(dec!(1200))),
        "{}",
        p.summary
    );
    assert_eq!(row(&d, id).await.0, "brouillon", "a plan writes nothing");

    // The same confirmation twice at once: one validation.
    let confirmation = Uuid::new_v4();
    let (a, b) = tokio::join!(
        execute(&d.ctx, &staff, &p, confirmation),
        execute(&d.ctx, &staff, &p, confirmation)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let again: Vec<bool> = [&a, &b]
        .iter()
        .map(|r| r.output["deja_validee"].as_bool().unwrap())
        .collect();
    assert_eq!(again.iter().filter(|x| **x).count(), 1, "{again:?}");
    let (statut, valide_par): (String, Option<i64>) =
        sqlx::query_as("SELECT statut::text, valide_par FROM factures WHERE id = $1")
            .bind(id)
            .fetch_one(&d.db.admin)
            .await
            .unwrap();
    assert_eq!(
        (statut.as_str(), valide_par),
        ("validee", Some(staff.user_id))
    );

    // Another confirmation of an older plan: refused, nothing changes.
    let e = execute(&d.ctx, &staff, &p, Uuid::new_v4())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("déjà validée"), "{e}");
    // A validated invoice is no longer a draft to correct.
    let e = wakil_tools::find("corriger_facture")
        .unwrap()
        .call(&d.ctx, &staff, json!({ "facture": id, "numero": "X" }))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("déjà validée"), "{e}");
}

#[tokio::test]
async fn validation_is_refused_when_incomplete_inconsistent_or_duplicated() {
    let d = demo().await;
    let staff = d.caller(d.atlas, Role::Gestionnaire).await;
    let (f, _, r, _) = demo_ids(&d).await;

    let incomplete = draft(
        &d,
        &staff,
        &ValeursFacture {
            montant_ttc: Some(dec!(900.00)),
            ..ValeursFacture::default()
        },
    )
    .await;
    let e = plan(
        &d.ctx,
        &staff,
        "valider_facture",
        json!({ "facture": incomplete }),
    )
    .await
    .unwrap_err();
    let m = e.to_string();
    assert!(
        m.contains("incomplet") && m.contains("« la résidence est … »"),
        "{m}"
    );

    let mut wrong = complete(f, r, "ASC-2026-0044");
    wrong.montant_ttc = Some(dec!(1250.00));
    let wrong = draft(&d, &staff, &wrong).await;
    let e = plan(
        &d.ctx,
        &staff,
        "valider_facture",
        json!({ "facture": wrong }),
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("ne concordent pas"), "{e}");

    // A TTC alone (a handyman's bill without TVA) is validated as HT = TTC, TVA 0.
    let mut sans_tva = complete(f, r, "B-17");
    (sans_tva.montant_ht, sans_tva.montant_tva, sans_tva.taux_tva) = (None, None, None);
    sans_tva.montant_ttc = Some(dec!(1800));
    let sans_tva = draft(&d, &staff, &sans_tva).await;
    let p = plan(
        &d.ctx,
        &staff,
        "valider_facture",
        json!({ "facture": sans_tva }),
    )
    .await
    .unwrap();
    assert!(p.summary.contains("sans TVA"), "{}", p.summary);
    execute(&d.ctx, &staff, &p, Uuid::new_v4()).await.unwrap();
    assert_eq!(
        row(&d, sans_tva).await,
        (
            "validee".into(),
            Some(dec!(1800)),
            Some(dec!(0)),
            Some(dec!(1800))
        )
    );

    // The same supplier and number as a recorded invoice ("b 17" is "B-17").
    let double = draft(&d, &staff, &complete(f, r, "b 17")).await;
    let e = plan(
        &d.ctx,
        &staff,
        "valider_facture",
        json!({ "facture": double }),
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("semble déjà enregistré"), "{e}");
    assert_eq!(row(&d, double).await.0, "brouillon");

    // A co-owner may neither correct nor validate.
    let owner = d.caller(d.atlas, Role::Coproprietaire).await;
    for tool in ["corriger_facture", "valider_facture", "extract_invoice"] {
        let e = wakil_tools::find(tool)
            .unwrap()
            .call(&d.ctx, &owner, json!({}))
            .await
            .unwrap_err();
        assert!(matches!(e, ToolError::Forbidden(_)), "{tool}: {e}");
    }
}
