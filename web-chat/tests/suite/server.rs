//! The web chat server end to end: the real `Application` on port 0, a fresh demo database,
//! HTTP and WebSocket clients as the page uses them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::{STAFF, TestApp, of_type, spawn_app, text_of};
use serde_json::{Value, json};
use wakil_schema::testing::demo_clock;
use wakil_tools::format;

/// The figures the tool gives for this user and arguments (the reference for the chat).
async fn tool_output(app: &TestApp, email: &str, tool: &str, args: Value) -> Value {
    let caller = app.caller(email).await;
    app.tool_output(&caller, tool, args).await
}

fn amount(v: &Value) -> String {
    format::montant(v.as_str().unwrap().parse().unwrap())
}

async fn payments(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM paiements")
        .fetch_one(&app.db.admin)
        .await
        .unwrap()
}

#[tokio::test]
async fn login_checks_the_password_and_the_origin_and_logout_ends_the_session() {
    let app = spawn_app().await;
    let bad = app.try_login(STAFF, "wakil2025").await;
    assert_eq!(bad.status(), 401);
    let body: Value = bad.json().await.unwrap();
    assert_eq!(body["error"], "E-mail ou mot de passe incorrect.");
    // An unknown e-mail answers exactly the same.
    let unknown = app.try_login("personne@nulle.part", "wakil2026").await;
    assert_eq!(unknown.status(), 401);
    assert_eq!(unknown.json::<Value>().await.unwrap(), body);

    // From another site (CSRF): refused before anything is checked.
    let cross = app
        .http()
        .post(format!("{}/api/login", app.url))
        .header("Origin", "http://evil.example")
        .json(&json!({ "email": STAFF, "password": common::DEMO_PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), 403);

    let ok = app
        .try_login(" Gestionnaire@Atlas-Syndic.ma ", common::DEMO_PASSWORD)
        .await;
    assert_eq!(ok.status(), 200);
    let set_cookie = ok.headers()["set-cookie"].to_str().unwrap().to_string();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    let cookie = set_cookie.split(';').next().unwrap().to_string();
    // Only the token's hash is stored.
    let token = cookie.trim_start_matches("wakil_session=");
    let stored: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM sessions WHERE token_sha256 = $1 OR token_sha256 = $2",
    )
    .bind(token)
    .bind(wakil_web_chat_sha(token))
    .fetch_one(&app.db.admin)
    .await
    .unwrap();
    assert_eq!(stored, 1);

    let session: Value = app
        .get("/api/session", Some(&cookie))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(session["user"]["nom"], "Salma Bennis");
    assert_eq!(session["residences"].as_array().unwrap().len(), 3);
    assert_eq!(app.get("/api/session", None).await.status(), 401);

    let out = app.post("/api/logout", Some(&cookie), &json!({})).await;
    assert_eq!(out.status(), 204);
    assert_eq!(app.get("/api/session", Some(&cookie)).await.status(), 401);
    assert!(app.try_ws(Some(&cookie)).await.is_err());
}

fn wakil_web_chat_sha(token: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test]
async fn repeated_wrong_passwords_are_slowed_down() {
    let app = spawn_app().await;
    for _ in 0..5 {
        let r = app.try_login(STAFF, "x").await;
        assert_eq!(r.status(), 401);
    }
    // Even the right password waits now.
    let r = app.try_login(STAFF, common::DEMO_PASSWORD).await;
    assert_eq!(r.status(), 429);
    // Another user is not affected.
    app.login(&app.email_of("comptable").await).await;
}

#[tokio::test]
async fn a_socket_needs_a_session_and_the_pages_origin() {
    let app = spawn_app().await;
    let refused = app.try_ws(None).await.unwrap_err().to_string();
    assert!(refused.contains("401"), "{refused}");
    let refused = app
        .try_ws(Some("wakil_session=0123456789abcdef"))
        .await
        .unwrap_err()
        .to_string();
    assert!(refused.contains("401"), "{refused}");

    let cookie = app.login(STAFF).await;
    let mut req = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(
        format!("{}/ws", app.url.replace("http://", "ws://")),
    )
    .unwrap();
    req.headers_mut().insert("Cookie", cookie.parse().unwrap());
    req.headers_mut()
        .insert("Origin", "http://evil.example".parse().unwrap());
    let refused = tokio_tungstenite::connect_async(req)
        .await
        .unwrap_err()
        .to_string();
    assert!(refused.contains("403"), "{refused}");
}

#[tokio::test]
async fn the_impayes_table_has_the_tools_total_and_a_reconnect_replays_it() {
    let app = spawn_app().await;
    let (cookie, mut ws, first) = app.open_as(STAFF).await;
    assert_eq!(first["user"]["nom"], "Salma Bennis");
    assert_eq!(first["history"], json!([]));

    let frames = ws
        .ask("Quels sont les impayés de la résidence Guéliz ?")
        .await;
    let kinds: Vec<&str> = frames.iter().map(|f| f["type"].as_str().unwrap()).collect();
    assert_eq!(kinds.first(), Some(&"activity"), "{kinds:?}");
    assert_eq!(kinds.last(), Some(&"done"));
    assert_eq!(frames.last().unwrap()["path"], "fast_path");
    let tables = of_type(&frames, "table");
    assert_eq!(tables.len(), 1);
    let table = &tables[0]["table"];
    let expected = tool_output(
        &app,
        STAFF,
        "query_impayes",
        json!({ "residence": "Guéliz" }),
    )
    .await;
    let footer = table["footer"].as_array().unwrap();
    let total_column = table["columns"]
        .as_array()
        .unwrap()
        .iter()
        .position(|c| c["label"].as_str().unwrap().starts_with("Montant dû"))
        .unwrap();
    assert_eq!(footer[total_column], amount(&expected["total"]));
    assert_eq!(table["columns"][total_column]["align"], "right");
    assert_eq!(
        table["rows"].as_array().unwrap().len(),
        expected["lignes"].as_array().unwrap().len()
    );

    // A second tab, or the same page reconnecting: the conversation comes back.
    let (_again, hello) = app.ws(&cookie).await;
    assert_eq!(hello["conversation"], first["conversation"]);
    let history = hello["history"].as_array().unwrap();
    assert_eq!(history.len(), 2, "{history:?}");
    assert_eq!(history[0]["role"], "user");
    assert_eq!(
        history[0]["text"],
        "Quels sont les impayés de la résidence Guéliz ?"
    );
    assert_eq!(history[1]["role"], "assistant");
    let replayed: Vec<&Value> = history[1]["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "table")
        .collect();
    assert_eq!(replayed.len(), 1);
    assert_eq!(replayed[0]["table"], *table);

    // "Nouvelle conversation": an empty history, and the old one is not resumed any more.
    ws.send(json!({ "type": "new_conversation" })).await;
    let fresh = ws.next().await;
    assert_eq!(fresh["type"], "hello");
    assert_eq!(fresh["history"], json!([]));
    assert_ne!(fresh["conversation"], hello["conversation"]);
}

#[tokio::test]
async fn the_selected_residence_is_used_when_the_message_names_none() {
    let app = spawn_app().await;
    let (_, mut ws, _) = app.open_as(STAFF).await;
    ws.send(
        json!({ "type": "message", "text": "les impayés", "residence": "Résidence Agdal Parc" }),
    )
    .await;
    let frames = ws.turn().await;
    let expected = tool_output(
        &app,
        STAFF,
        "query_impayes",
        json!({ "residence": "Agdal Parc" }),
    )
    .await;
    let text: String = text_of(&frames);
    assert!(text.contains("Agdal Parc"), "{text}");
    assert!(text.contains(&amount(&expected["total"])), "{text}");
    // A résidence named in the message wins over the selector.
    ws.send(json!({ "type": "message", "text": "impayés de Guéliz", "residence": "Résidence Agdal Parc" }))
        .await;
    let text: String = text_of(&ws.turn().await);
    assert!(text.contains("Guéliz"), "{text}");
}

#[tokio::test]
async fn a_payment_is_confirmed_once_whatever_the_clicks_and_tabs() {
    let app = spawn_app().await;
    let (cookie, mut ws, _) = app.open_as(STAFF).await;
    let (mut other_tab, _) = app.ws(&cookie).await;
    let before = payments(&app).await;
    let frames = ws.ask("M. Omar Lahlou a payé 200,05 DH par virement").await;
    let confirmation = of_type(&frames, "confirmation");
    assert_eq!(confirmation.len(), 1, "{frames:?}");
    let id = confirmation[0]["id"].as_str().unwrap().to_string();
    assert!(
        confirmation[0]["summary"]
            .as_str()
            .unwrap()
            .contains("200,05"),
        "{}",
        confirmation[0]
    );
    assert_eq!(
        payments(&app).await,
        before,
        "nothing written before the click"
    );

    // Two clicks in one tab and one in another, at once.
    ws.send(json!({ "type": "confirm", "id": id })).await;
    ws.send(json!({ "type": "confirm", "id": id })).await;
    other_tab.send(json!({ "type": "confirm", "id": id })).await;
    let first = ws.turn().await;
    let second = ws.turn().await;
    let third = other_tab.turn().await;
    assert_eq!(payments(&app).await, before + 1);
    let said = |frames: &[Value]| -> String { text_of(frames) };
    let all = [said(&first), said(&second), said(&third)];
    let recorded = all.iter().filter(|t| t.contains("déjà")).count();
    assert_eq!(recorded, 2, "{all:?}");
    assert_eq!(first.last().unwrap()["path"], "decision");
}

#[tokio::test]
async fn a_co_owner_gets_their_own_account_and_never_the_debtors_list() {
    let app = spawn_app().await;
    let email = app.email_of("coproprietaire").await;
    let cookie = app.login(&email).await;
    let (mut ws, hello) = app.ws(&cookie).await;
    assert_eq!(hello["user"]["role"], "coproprietaire");
    let frames = ws
        .ask("Donne-moi la liste des débiteurs de la résidence Guéliz")
        .await;
    assert!(of_type(&frames, "table").is_empty(), "{frames:?}");
    let text: String = text_of(&frames);
    let own = tool_output(&app, &email, "solde_copro", json!({})).await;
    // Their own figures, or a refusal: never someone else's name.
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT nom FROM coproprietaires WHERE id <> (SELECT coproprietaire_id FROM users WHERE email = $1)",
    )
    .bind(&email)
    .fetch_all(&app.db.admin)
    .await
    .unwrap();
    for n in names {
        assert!(!text.contains(&format!(" {n}")), "{n} in {text}");
    }
    let frames = ws.ask("combien je dois ?").await;
    let text: String = text_of(&frames);
    assert!(
        text.contains(&amount(&own["chiffres"]["echu_impaye"]))
            || text.contains(&amount(&own["chiffres"]["solde"])),
        "{text}"
    );

    // The dashboard: their account, no résidence figures.
    let board: Value = app
        .get("/api/tableau-de-bord", Some(&cookie))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(board["residences"], json!([]));
    assert_eq!(board["compte"]["solde"], own["chiffres"]["solde"]);
}

#[tokio::test]
async fn the_dashboard_has_the_tools_figures_per_residence() {
    let app = spawn_app().await;
    let cookie = app.login(STAFF).await;
    assert_eq!(app.get("/api/tableau-de-bord", None).await.status(), 401);
    let board: Value = app
        .get("/api/tableau-de-bord", Some(&cookie))
        .await
        .json()
        .await
        .unwrap();
    let cards = board["residences"].as_array().unwrap();
    assert_eq!(cards.len(), 3);
    for card in cards {
        let id = card["id"].as_i64().unwrap().to_string();
        let impayes = tool_output(&app, STAFF, "query_impayes", json!({ "residence": id })).await;
        assert_eq!(card["impayes"]["total"], impayes["total"]);
        assert_eq!(card["impayes"]["total_texte"], amount(&impayes["total"]));
        let rapport =
            tool_output(&app, STAFF, "rapport_financier", json!({ "residence": id })).await;
        assert_eq!(card["budget"]["prevu"], rapport["chiffres"]["budget_total"]);
        assert_eq!(
            card["budget"]["lignes"].as_array().unwrap().len(),
            rapport["budget"].as_array().unwrap().len()
        );
    }
    // A président sees their résidence only.
    let president = app.login(&app.email_of("president").await).await;
    let board: Value = app
        .get("/api/tableau-de-bord", Some(&president))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(board["residences"].as_array().unwrap().len(), 1);
}

const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

async fn upload(app: &TestApp, cookie: &str, bytes: &[u8], name: &str) -> reqwest::Response {
    app.http()
        .post(format!("{}/api/fichiers", app.url))
        .header("Origin", &app.url)
        .header("Cookie", cookie)
        .header("Content-Type", "image/png")
        .header("X-Filename", name)
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_uploaded_file_goes_with_a_message_and_only_its_owner_and_staff_open_it() {
    let app = spawn_app().await;
    let owners: Vec<String> = sqlx::query_scalar(
        "SELECT email FROM users WHERE role = 'coproprietaire' ORDER BY id LIMIT 2",
    )
    .fetch_all(&app.db.admin)
    .await
    .unwrap();
    let owner = app.login(&owners[0]).await;
    let neighbour = app.login(&owners[1]).await;
    let staff = app.login(STAFF).await;

    let refused = upload(&app, &owner, b"MZ\x90\0 not an image", "virus.exe").await;
    assert_eq!(refused.status(), 415);
    let body: Value = refused.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("JPEG, PNG, WebP"));
    assert_eq!(upload(&app, &owner, b"", "vide.png").await.status(), 400);

    let r = upload(&app, &owner, PNG, "re%C3%A7u%20virement.png").await;
    assert_eq!(r.status(), 200);
    let file: Value = r.json().await.unwrap();
    assert_eq!(file["nom"], "reçu virement.png");
    assert_eq!(file["mime"], "image/png");
    let url = file["url"].as_str().unwrap();

    let (mut ws, _) = app.ws(&owner).await;
    ws.send(json!({ "type": "message", "text": "", "attachments": [file["id"]] }))
        .await;
    let frames = ws.turn().await;
    let files = of_type(&frames, "file");
    assert_eq!(files.len(), 1, "{frames:?}");
    assert_eq!(files[0]["url"], url);
    assert_eq!(files[0]["nom"], "reçu virement.png");
    // A co-owner's file is a payment proof for the staff to check.
    let texts: String = of_type(&frames, "text")
        .iter()
        .filter_map(|f| f["text"].as_str())
        .collect();
    assert!(
        texts.starts_with("Justificatif reçu : « reçu virement.png »"),
        "{texts}"
    );
    let proofs: Vec<(uuid::Uuid, String)> =
        sqlx::query_as("SELECT fichier_id, canal::text FROM justificatifs")
            .fetch_all(&app.db.admin)
            .await
            .unwrap();
    let id: uuid::Uuid = file["id"].as_str().unwrap().parse().unwrap();
    assert_eq!(proofs, vec![(id, "web".to_string())]);

    // The neighbour can neither open it nor send it as theirs.
    assert_eq!(app.get(url, Some(&neighbour)).await.status(), 404);
    let (mut theirs, _) = app.ws(&neighbour).await;
    theirs
        .send(json!({ "type": "message", "text": "voici", "attachments": [file["id"]] }))
        .await;
    let frames = theirs.turn().await;
    assert_eq!(of_type(&frames, "error").len(), 1, "{frames:?}");

    for cookie in [&owner, &staff] {
        let r = app.get(url, Some(cookie)).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "image/png");
        assert_eq!(r.bytes().await.unwrap().as_ref(), PNG);
    }
    assert_eq!(app.get(url, None).await.status(), 401);
}

#[tokio::test]
async fn bad_frames_get_a_french_error_and_the_socket_stays_usable() {
    let app = spawn_app().await;
    let (_, mut ws, _) = app.open_as(STAFF).await;
    ws.send(json!({ "type": "launch_missiles" })).await;
    let e = ws.next().await;
    assert_eq!(e["type"], "error");
    assert_eq!(e["message"], "Message illisible : rechargez la page.");
    let frames = ws.ask("   ").await;
    assert_eq!(
        of_type(&frames, "error")[0]["message"],
        "Écrivez votre message avant de l'envoyer."
    );
    let long = "a".repeat(4001);
    let frames = ws.ask(&long).await;
    assert!(
        of_type(&frames, "error")[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("Message trop long")
    );
    // An unknown action: nothing runs.
    ws.send(json!({ "type": "confirm", "id": uuid::Uuid::new_v4() }))
        .await;
    let frames = ws.turn().await;
    let text: String = text_of(&frames);
    assert!(text.contains("introuvable"), "{text}");
    assert!(!of_type(&ws.ask("factures à payer").await, "table").is_empty());
}

#[tokio::test]
async fn stopping_the_server_closes_open_sockets() {
    let mut app = spawn_app().await;
    let (_, mut ws, _) = app.open_as(STAFF).await;
    let stopped = app.stop();
    let (closed, result) = tokio::join!(ws.closed(), stopped);
    result.unwrap();
    let (code, reason) = closed.expect("a close frame");
    assert_eq!(code, 1001);
    assert!(reason.starts_with("Serveur arrêté"), "{reason}");
    assert!(reqwest::get(&app.url).await.is_err(), "no longer listening");
}

#[tokio::test]
async fn the_page_and_its_assets_are_served_with_a_strict_policy() {
    let app = spawn_app().await;
    let page = app.get("/", None).await;
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(page.text().await.unwrap().contains("lang=\"fr\""));
    for (path, mime) in [
        ("/static/app.js", "text/javascript"),
        ("/static/style.css", "text/css"),
    ] {
        let r = app.get(path, None).await;
        assert_eq!(r.status(), 200);
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with(mime)
        );
    }
    let missing = app.get("/nulle-part", None).await;
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.json::<Value>().await.unwrap()["error"],
        "Page introuvable."
    );
}

#[tokio::test]
async fn a_socket_does_not_outlive_its_login() {
    let app = spawn_app().await;
    let (cookie, mut ws, _) = app.open_as(STAFF).await;
    assert!(!of_type(&ws.ask("factures à payer").await, "table").is_empty());
    let out = app.post("/api/logout", Some(&cookie), &json!({})).await;
    assert_eq!(out.status(), 204);
    ws.send(json!({ "type": "message", "text": "impayés de Guéliz" }))
        .await;
    let e = ws.next().await;
    assert_eq!(e["type"], "error");
    assert_eq!(
        e["message"],
        "Votre session est terminée : reconnectez-vous."
    );
    let (code, _) = ws.closed().await.expect("a close frame");
    assert_eq!(code, 4401);
}

/// Three co-owner users: two with lots in the same résidence, one without a lot there; and that
/// résidence's id.
async fn owners_of_one_residence(app: &TestApp) -> (i64, [String; 3]) {
    let (residence, a, b): (i64, String, String) = sqlx::query_as(
        "SELECT l1.residence_id, u1.email, u2.email
         FROM users u1 JOIN proprietes p1 ON p1.coproprietaire_id = u1.coproprietaire_id AND p1.jusqu_au IS NULL
         JOIN lots l1 ON l1.id = p1.lot_id
         JOIN users u2 ON u2.syndic_id = u1.syndic_id AND u2.id > u1.id
         JOIN proprietes p2 ON p2.coproprietaire_id = u2.coproprietaire_id AND p2.jusqu_au IS NULL
         JOIN lots l2 ON l2.id = p2.lot_id AND l2.residence_id = l1.residence_id
         WHERE u1.email = $1 ORDER BY u2.id LIMIT 1",
    )
    .bind(app.email_of("coproprietaire").await)
    .fetch_one(&app.db.admin)
    .await
    .unwrap();
    let elsewhere: String = sqlx::query_scalar(
        "SELECT u.email FROM users u WHERE u.role = 'coproprietaire'
           AND u.syndic_id = (SELECT syndic_id FROM residences WHERE id = $1)
           AND NOT EXISTS (SELECT 1 FROM proprietes p JOIN lots l ON l.id = p.lot_id
                           WHERE p.coproprietaire_id = u.coproprietaire_id AND l.residence_id = $1)
         ORDER BY u.id LIMIT 1",
    )
    .bind(residence)
    .fetch_one(&app.db.admin)
    .await
    .unwrap();
    (residence, [a, b, elsewhere])
}

#[tokio::test]
async fn a_generated_document_opens_for_staff_its_addressee_and_the_residence_it_is_shared_with() {
    use wakil_schema::{TypeDocument, Visibilite};
    use wakil_tools::fichiers::{GeneratedDocument, PDF, publish};
    let app = spawn_app().await;
    let (residence, [addressee, neighbour, elsewhere]) = owners_of_one_residence(&app).await;
    let staff = app.caller(STAFF).await;
    let addressee_id = app.caller(&addressee).await.coproprietaire_id;
    let date = demo_clock().today();
    let render = |text: &str| {
        wakil_tools::render::pdf(
            "#import \"wakil.typ\": *\n#show: wakil-doc.with(titre: json(\"data.json\").t)\nContenu.",
            &json!({ "t": text }),
            date,
        )
        .unwrap()
    };
    let (notice, pv, rapport) = (render("Avis"), render("PV"), render("Rapport"));
    let mut t = app.store.tenant(staff.syndic_id).await.unwrap();
    let mut publish_as = async |pdf: &wakil_tools::render::Pdf, visibilite, to: Option<i64>| {
        publish(
            &app.ctx.files,
            &mut t,
            &staff,
            &GeneratedDocument {
                bytes: &pdf.bytes,
                mime: PDF,
                pages: Some(pdf.pages),
                nom: "document.pdf",
                titre: "Document",
                residence_id: residence,
                type_document: TypeDocument::Courrier,
                date_document: date,
                visibilite,
                coproprietaire_id: to,
            },
        )
        .await
        .unwrap()
    };
    let notice = publish_as(&notice, Visibilite::Staff, addressee_id).await;
    let pv = publish_as(&pv, Visibilite::Residence, None).await;
    let rapport = publish_as(&rapport, Visibilite::Staff, None).await;
    // The same bytes published again are the same document, not a copy.
    let again = publish_as(&render("PV"), Visibilite::Residence, None).await;
    t.commit().await.unwrap();
    assert_eq!(again.id, pv.id);

    let url = |a: &wakil_tools::Attachment| format!("/fichiers/{}", a.id);
    let staff = app.login(STAFF).await;
    let (addressee, neighbour, elsewhere) = (
        app.login(&addressee).await,
        app.login(&neighbour).await,
        app.login(&elsewhere).await,
    );
    for (who, file, status) in [
        (&staff, &notice, 200),
        (&staff, &rapport, 200),
        (&addressee, &notice, 200),
        (&addressee, &pv, 200),
        (&addressee, &rapport, 404),
        (&neighbour, &notice, 404),
        (&neighbour, &pv, 200),
        (&elsewhere, &pv, 404),
        (&elsewhere, &notice, 404),
    ] {
        let r = app.get(&url(file), Some(who)).await;
        assert_eq!(r.status(), status, "{} for {who}", file.id);
        if status == 200 {
            assert_eq!(r.headers()["content-type"], "application/pdf");
            assert!(r.bytes().await.unwrap().starts_with(b"%PDF-"));
        }
    }
}

#[tokio::test]
async fn the_yearly_report_asked_in_pdf_and_excel_comes_as_links_for_staff_of_the_residence() {
    let app = spawn_app().await;
    let (_cookie, mut ws, _) = app.open_as(STAFF).await;
    let frames = ws
        .ask("rapport financier 2025 de Guéliz en PDF et en Excel")
        .await;
    assert_eq!(frames.last().unwrap()["path"], "fast_path", "{frames:?}");
    assert_eq!(of_type(&frames, "table").len(), 3, "{frames:?}");
    let files = of_type(&frames, "file");
    assert_eq!(files.len(), 2, "{frames:?}");
    let (pdf, xlsx) = (files[0], files[1]);
    assert_eq!(pdf["mime"], "application/pdf");
    assert_eq!(
        pdf["nom"],
        "Rapport financier 2025 - Résidence Les Jardins de Guéliz.pdf"
    );
    assert_eq!(
        xlsx["mime"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );

    // A staff document of Guéliz: its staff open it, its co-owners and another résidence's
    // président do not.
    let owner: String = sqlx::query_scalar(
        "SELECT u.email FROM users u JOIN proprietes p ON p.coproprietaire_id = u.coproprietaire_id
         JOIN lots l ON l.id = p.lot_id JOIN residences r ON r.id = l.residence_id
         WHERE r.nom = 'Résidence Les Jardins de Guéliz' AND p.jusqu_au IS NULL ORDER BY u.id LIMIT 1",
    )
    .fetch_one(&app.db.admin)
    .await
    .unwrap();
    let staff = app.login(STAFF).await;
    let comptable = app.login("comptable@atlas-syndic.ma").await;
    let president = app.login("president.gueliz@atlas-syndic.ma").await;
    let other_president = app.login("president.agdal@atlas-syndic.ma").await;
    let owner = app.login(&owner).await;
    for file in [pdf, xlsx] {
        let url = file["url"].as_str().unwrap();
        for (who, status) in [
            (&staff, 200),
            (&comptable, 200),
            (&president, 200),
            (&other_president, 404),
            (&owner, 404),
        ] {
            let r = app.get(url, Some(who)).await;
            assert_eq!(r.status(), status, "{url}");
            if status == 200 {
                assert_eq!(r.headers()["content-type"], file["mime"].as_str().unwrap());
                let bytes = r.bytes().await.unwrap();
                assert_eq!(bytes.len() as u64, file["taille"].as_u64().unwrap());
            }
        }
    }
}
