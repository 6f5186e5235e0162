//! The Telegram and WhatsApp bots end to end: the real `Application` on port 0 with a fresh demo
//! database, its bots pointed at fake Bot API and Graph API servers on 127.0.0.1 that record what
//! the bots send; users act by pushing updates (Telegram) or signed webhook calls (WhatsApp).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;
use crate::fakes;

use common::{STAFF, TestApp, demo_invoice, spawn_app_configured};
use fakes::graph::{self as graph, FakeGraph};
use fakes::telegram::FakeTelegram;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use wakil_evals::invoices::{Layout, photo};
use wakil_schema::Caller;
use wakil_tools::envoi::{EnvoiConfig, TelegramConfig, WhatsAppConfig};
use wakil_tools::format;
use wakil_web_chat::channels::telegram::{TelegramSettings, TelegramWebhook};
use wakil_web_chat::channels::whatsapp::WhatsAppSettings;

const TOKEN: &str = "123456:TEST-TOKEN";
const WA_TOKEN: &str = "EAAG-test-token";
const PHONE_ID: &str = "1098765432";
const APP_SECRET: &str = "app-secret-for-tests";
const VERIFY: &str = "verify-me";
const WAIT: Duration = Duration::from_secs(20);

/// The server with a Telegram bot on `tg` (long polling, or a webhook when `webhook`).
async fn with_telegram(tg: &FakeTelegram, webhook: Option<&str>) -> TestApp {
    let envoi = EnvoiConfig {
        telegram: Some(TelegramConfig {
            api_url: tg.url(),
            token: TOKEN.into(),
            bot_username: Some("wakil_test_bot".into()),
        }),
        ..EnvoiConfig::default()
    };
    let settings = TelegramSettings {
        token: TOKEN.into(),
        api_url: tg.url(),
        webhook: webhook.map(|secret| TelegramWebhook {
            public_url: "https://wakil.example.ma".into(),
            secret: secret.into(),
        }),
    };
    spawn_app_configured(envoi, |c| c.telegram = Some(settings)).await
}

/// The server with the WhatsApp webhook, answering through `wa`.
async fn with_whatsapp(wa: &FakeGraph) -> TestApp {
    let envoi = EnvoiConfig {
        whatsapp: Some(WhatsAppConfig {
            api_url: wa.url(),
            phone_number_id: PHONE_ID.into(),
            token: WA_TOKEN.into(),
            modele_relance: None,
            numero: Some("212522000000".into()),
        }),
        ..EnvoiConfig::default()
    };
    let settings = WhatsAppSettings {
        api_url: wa.url(),
        phone_number_id: PHONE_ID.into(),
        token: WA_TOKEN.into(),
        app_secret: APP_SECRET.into(),
        verify_token: VERIFY.into(),
    };
    spawn_app_configured(envoi, |c| c.whatsapp = Some(settings)).await
}

/// Waits until the texts sent after the first `before` satisfy `done`; they are returned joined.
async fn new_texts(
    all: impl Fn() -> Vec<String>,
    before: usize,
    done: impl Fn(&str) -> bool,
) -> String {
    let start = Instant::now();
    loop {
        let texts = all();
        let joined = texts.get(before..).unwrap_or_default().join("\n");
        if done(&joined) {
            return joined;
        }
        assert!(
            start.elapsed() < WAIT,
            "no such answer within {WAIT:?}; sent so far: {texts:#?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A co-owner of Atlas Syndic with a login and a registered phone, not linked to any channel, and
/// a neighbour of theirs in the same résidence.
struct Owner {
    email: String,
    nom: String,
    coproprietaire_id: i64,
    telephone: String,
}

async fn owner_and_neighbour(app: &TestApp) -> (Owner, Owner) {
    let rows: Vec<(String, String, i64, String)> = sqlx::query_as(
        "SELECT u.email, coalesce(c.prenom || ' ', '') || c.nom, c.id, c.telephone
         FROM users u JOIN coproprietaires c ON c.id = u.coproprietaire_id
         WHERE u.syndic_id = (SELECT syndic_id FROM users WHERE email = $1)
           AND c.telephone IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM channel_links l WHERE l.user_id = u.id)
           AND EXISTS (SELECT 1 FROM echeances e WHERE e.coproprietaire_id = c.id)
         ORDER BY c.id",
    )
    .bind(STAFF)
    .fetch_all(&app.db.admin)
    .await
    .unwrap();
    let owner = |(email, nom, coproprietaire_id, telephone): (String, String, i64, String)| Owner {
        email,
        nom,
        coproprietaire_id,
        telephone,
    };
    let mut rows = rows.into_iter();
    (owner(rows.next().unwrap()), owner(rows.next().unwrap()))
}

/// A co-owner's balance from the raw rows (called minus live payments), formatted as shown.
async fn balance(app: &TestApp, coproprietaire_id: i64) -> String {
    let solde: rust_decimal::Decimal = sqlx::query_scalar(
        "SELECT (SELECT coalesce(sum(montant), 0) FROM echeances WHERE coproprietaire_id = $1)
              - (SELECT coalesce(sum(montant), 0) FROM paiements
                 WHERE coproprietaire_id = $1 AND annule_le IS NULL)",
    )
    .bind(coproprietaire_id)
    .fetch_one(&app.db.admin)
    .await
    .unwrap();
    format::montant(solde)
}

/// An invitation created by the gestionnaire through the `inviter` tool with these arguments,
/// confirmed: its code.
async fn invite_with(app: &TestApp, args: Value) -> String {
    let staff: Caller = app.caller(STAFF).await;
    let spec = wakil_tools::find("inviter").unwrap();
    let called = spec.call(&app.ctx, &staff, args).await.unwrap();
    let wakil_tools::Called::Pending(plan) = called else {
        panic!("inviter is a confirmed write")
    };
    let done = spec
        .execute(&app.ctx, &staff, plan.plan, uuid::Uuid::new_v4())
        .await
        .unwrap();
    done.output["code"].as_str().unwrap().to_string()
}

async fn invite(app: &TestApp, personne: &str, canal: &str) -> String {
    invite_with(app, json!({ "personne": personne, "canal": canal })).await
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(&app.db.admin)
        .await
        .unwrap()
}

/// The Telegram chat of the demo gestionnaire (verified in the demo data).
async fn staff_chat(app: &TestApp) -> u64 {
    let id: String = sqlx::query_scalar(
        "SELECT l.identifiant FROM channel_links l JOIN users u ON u.id = l.user_id
         WHERE u.email = $1 AND l.canal = 'telegram' AND l.verifie_le IS NOT NULL",
    )
    .bind(STAFF)
    .fetch_one(&app.db.admin)
    .await
    .unwrap();
    id.parse().unwrap()
}

#[tokio::test]
async fn a_co_owner_links_with_the_deep_link_and_gets_their_own_balance_only() {
    let tg = FakeTelegram::start(TOKEN).await;
    let app = with_telegram(&tg, None).await;
    let (owner, neighbour) = owner_and_neighbour(&app).await;
    let user: u64 = 900_001;
    let chat = user as i64;
    let texts = || tg.texts_to(chat);

    // Not linked: a polite explanation, nothing else.
    tg.push_text(user, "combien je dois ?");
    let said = new_texts(texts, 0, |t| !t.is_empty()).await;
    assert!(said.contains("demandez une invitation"), "{said}");
    assert!(!said.contains("MAD"), "{said}");

    let token = invite(&app, &owner.nom, "telegram").await;
    let n = texts().len();
    tg.push_text(user, &format!("/start {token}"));
    let said = new_texts(texts, n, |t| t.contains("Bonjour")).await;
    assert!(said.contains(&owner.nom), "{said}");
    assert!(said.contains("/solde"), "{said}");

    // Their balance, to the centime, computed from the rows.
    let expected = balance(&app, owner.coproprietaire_id).await;
    for question in ["combien je dois ?", "/solde"] {
        let n = texts().len();
        tg.push_text(user, question);
        let said = new_texts(texts, n, |t| t.contains(&expected)).await;
        assert!(!said.contains(&neighbour.nom), "{said}");
    }

    // A neighbour's balance: refused, without their figures.
    let theirs = balance(&app, neighbour.coproprietaire_id).await;
    let n = texts().len();
    tg.push_text(user, &format!("quel est le solde de {} ?", neighbour.nom));
    let said = new_texts(texts, n, |t| !t.is_empty()).await;
    assert!(!said.contains(&theirs), "{said}");
    assert!(said.contains("votre propre compte"), "{said}");

    // The token was single-use: someone else opening it gets the explanation.
    let other: u64 = 900_002;
    tg.push_text(other, &format!("/start {token}"));
    let said = new_texts(|| tg.texts_to(other as i64), 0, |t| !t.is_empty()).await;
    assert!(said.contains("plus valable"), "{said}");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM channel_links WHERE identifiant = '900002'"
        )
        .await,
        0
    );
    // The link records when they last wrote (WhatsApp's window uses the same column).
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM channel_links WHERE identifiant = '900001' \
             AND verifie_le IS NOT NULL AND dernier_entrant_le > now() - interval '1 minute'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn staff_confirm_a_payment_with_the_inline_keyboard_once_even_if_the_button_comes_twice() {
    let tg = FakeTelegram::start(TOKEN).await;
    let app = with_telegram(&tg, None).await;
    let user = staff_chat(&app).await;
    let chat = user as i64;
    let payments = || count(&app, "SELECT count(*) FROM paiements");
    let before = payments().await;

    tg.push_text(user, "M. Omar Lahlou a payé 200,05 DH par virement");
    let question = tg
        .wait_for(
            |s| s.method == "sendMessage" && s.body["reply_markup"]["inline_keyboard"].is_array(),
            WAIT,
        )
        .await;
    assert!(
        question.body["text"].as_str().unwrap().contains("200,05"),
        "{}",
        question.body
    );
    assert_eq!(payments().await, before, "nothing written before the click");
    let buttons = &question.body["reply_markup"]["inline_keyboard"][0];
    let confirm = buttons[0]["callback_data"].as_str().unwrap().to_string();
    assert!(
        buttons[1]["callback_data"]
            .as_str()
            .unwrap()
            .starts_with("x:")
    );
    let message_id = (1..1000)
        .rev()
        .find(|id| {
            tg.message(chat, *id)
                .is_some_and(|m| m["reply_markup"]["inline_keyboard"].is_array())
        })
        .unwrap();

    // The button pressed twice, and the first press delivered again.
    let (first, _) = tg.push_callback(user, message_id, &confirm);
    tg.push_callback(user, message_id, &confirm);
    tg.push_raw(tg.update_json(first));
    let edited = tg.wait_for(|s| s.method == "editMessageText", WAIT).await;
    let text = edited.body["text"].as_str().unwrap();
    assert!(text.contains("200,05"), "{text}");
    assert!(
        edited
            .body
            .get("reply_markup")
            .is_none_or(|m| m["inline_keyboard"] == json!([]))
    );
    // Both presses are acknowledged; the second says it was already done.
    let start = Instant::now();
    while tg
        .sent()
        .iter()
        .filter(|s| s.method == "answerCallbackQuery")
        .count()
        < 2
    {
        assert!(start.elapsed() < WAIT);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    new_texts(|| tg.texts_to(chat), 0, |t| t.contains("déjà")).await;
    assert_eq!(payments().await, before + 1);
}

#[tokio::test]
async fn files_from_staff_and_co_owners_and_documents_back() {
    let tg = FakeTelegram::start(TOKEN).await;
    let app = with_telegram(&tg, None).await;
    let user = staff_chat(&app).await;
    let chat = user as i64;
    let texts = || tg.texts_to(chat);
    let files = || count(&app, "SELECT count(*) FROM fichiers");
    let before = files().await;

    // An invoice photo: kept, read into a draft, its validation asked with buttons.
    let invoice = demo_invoice(&app, Layout::Nettoyage, 3).await;
    tg.push_photo(
        user,
        photo(&invoice.pdf, 3).unwrap(),
        Some("facture nettoyage"),
    );
    let said = new_texts(texts, 0, |t| t.contains("Valider la facture")).await;
    assert!(said.contains("brouillon de facture n°"), "{said}");
    assert_eq!(files().await, before + 1);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM factures WHERE statut = 'brouillon' AND fichier_id IS NOT NULL"
        )
        .await,
        1
    );

    // Above 20 MB: refused before any download, nothing stored.
    let n = texts().len();
    tg.push_document_sized(user, "scan.pdf", "application/pdf", 25 * 1024 * 1024);
    let said = new_texts(texts, n, |t| t.contains("trop volumineux")).await;
    assert!(said.contains("20 Mo"), "{said}");
    // Not a photo nor a PDF: refused, nothing stored.
    let n = texts().len();
    tg.push_document(
        user,
        b"MZ\x90\0 not a pdf".to_vec(),
        "virus.pdf",
        "application/pdf",
    );
    new_texts(texts, n, |t| t.contains("non pris en charge")).await;
    assert_eq!(files().await, before + 1);

    // A PDF made by a tool comes back as a document.
    tg.push_text(user, "rapport financier 2025 de Guéliz en PDF");
    let sent = tg.wait_for(|s| s.method == "sendDocument", WAIT).await;
    let doc = sent.document.unwrap();
    assert!(doc.name.ends_with(".pdf"), "{}", doc.name);
    assert!(doc.bytes.starts_with(b"%PDF-"));

    // A co-owner's photo is a payment proof for staff to review.
    let (owner, _) = owner_and_neighbour(&app).await;
    let token = invite(&app, &owner.nom, "telegram").await;
    let owner_tg: u64 = 900_010;
    tg.push_text(owner_tg, &format!("/start {token}"));
    new_texts(
        || tg.texts_to(owner_tg as i64),
        0,
        |t| t.contains("Bonjour"),
    )
    .await;
    tg.push_photo(
        owner_tg,
        [&[0xFF, 0xD8, 0xFF, 0xE0][..], &[1u8; 512]].concat(),
        None,
    );
    let said = new_texts(|| tg.texts_to(owner_tg as i64), 1, |t| !t.is_empty()).await;
    assert!(said.contains("vérification"), "{said}");
    let proofs = count(
        &app,
        &format!(
            "SELECT count(*) FROM justificatifs WHERE coproprietaire_id = {} AND statut = 'a_verifier'",
            owner.coproprietaire_id
        ),
    )
    .await;
    assert_eq!(proofs, 1);
    // Staff see it on the dashboard, with a link to the file.
    let cookie = app.login(STAFF).await;
    let board: Value = app
        .get("/api/tableau-de-bord", Some(&cookie))
        .await
        .json()
        .await
        .unwrap();
    let listed = board["justificatifs"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "{board}");
    let who = listed[0]["coproprietaire"].as_str().unwrap();
    assert!(who.ends_with(&owner.nom), "{who}");
    assert_eq!(listed[0]["canal"], "Telegram");
    let url = listed[0]["url"].as_str().unwrap();
    let file = app.get(url, Some(&cookie)).await;
    assert_eq!(file.status(), 200);
    // The co-owner's own dashboard has no such list.
    let mine = app.login(&owner.email).await;
    let board: Value = app
        .get("/api/tableau-de-bord", Some(&mine))
        .await
        .json()
        .await
        .unwrap();
    assert!(board.get("justificatifs").is_none(), "{board}");
}

#[tokio::test]
async fn the_telegram_webhook_needs_its_secret() {
    let tg = FakeTelegram::start(TOKEN).await;
    let app = with_telegram(&tg, Some("s3cret-webhook")).await;
    let set = tg.wait_for(|s| s.method == "setWebhook", WAIT).await;
    assert_eq!(set.body["url"], "https://wakil.example.ma/telegram/webhook");
    assert_eq!(set.body["secret_token"], "s3cret-webhook");
    let user = staff_chat(&app).await;
    let update = tg.update_json(tg.push_text(user, "/aide"));
    let post = |secret: Option<&'static str>| {
        let mut req = app
            .http()
            .post(format!("{}/telegram/webhook", app.url))
            .json(&update);
        if let Some(s) = secret {
            req = req.header("X-Telegram-Bot-Api-Secret-Token", s);
        }
        req.send()
    };
    assert_eq!(post(None).await.unwrap().status(), 401);
    assert_eq!(post(Some("wrong")).await.unwrap().status(), 401);
    assert!(tg.texts_to(user as i64).is_empty());
    assert_eq!(post(Some("s3cret-webhook")).await.unwrap().status(), 200);
    let said = new_texts(|| tg.texts_to(user as i64), 0, |t| !t.is_empty()).await;
    assert!(said.contains("impayés de Guéliz"), "{said}");
    // Delivered again by Telegram: handled once.
    assert_eq!(post(Some("s3cret-webhook")).await.unwrap().status(), 200);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(tg.texts_to(user as i64).len(), 1);
}

/// Posts a webhook notification to the server, signed with `secret` (or not at all).
async fn notify(app: &TestApp, body: &Value, secret: Option<&str>) -> u16 {
    let bytes = serde_json::to_vec(body).unwrap();
    let mut req = app
        .http()
        .post(format!("{}/whatsapp/webhook", app.url))
        .header("Content-Type", "application/json")
        .body(bytes.clone());
    if let Some(s) = secret {
        req = req.header("X-Hub-Signature-256", graph::sign(s, &bytes));
    }
    req.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn whatsapp_verifies_signatures_links_by_code_and_handles_a_message_once() {
    let wa = FakeGraph::start(WA_TOKEN, PHONE_ID).await;
    let app = with_whatsapp(&wa).await;

    // Meta's verification of the webhook.
    let verify = |token: &str| {
        app.http()
            .get(format!(
                "{}/whatsapp/webhook?hub.mode=subscribe&hub.verify_token={token}&hub.challenge=1158201444",
                app.url
            ))
            .send()
    };
    let ok = verify(VERIFY).await.unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.text().await.unwrap(), "1158201444");
    assert_eq!(verify("nope").await.unwrap().status(), 403);

    let (owner, neighbour) = owner_and_neighbour(&app).await;
    let number: String = owner
        .telephone
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let number = match number.strip_prefix('0') {
        Some(rest) => format!("212{rest}"),
        None => number,
    };
    let texts = || wa.texts_to(&number);

    // A bad signature: rejected, nothing processed.
    let hello = graph::webhook_text(PHONE_ID, &number, "wamid.A1", "combien je dois ?");
    assert_eq!(notify(&app, &hello, None).await, 401);
    assert_eq!(notify(&app, &hello, Some("not-the-secret")).await, 401);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(wa.sent().is_empty(), "{:?}", wa.sent());

    // Unlinked: the explanation.
    assert_eq!(notify(&app, &hello, Some(APP_SECRET)).await, 200);
    let said = new_texts(texts, 0, |t| !t.is_empty()).await;
    assert!(said.contains("code d'invitation"), "{said}");

    // The code from another number does not link; from the registered one it does.
    let code = invite(&app, &owner.nom, "whatsapp").await;
    let intruder = "212699999999";
    let stolen = graph::webhook_text(PHONE_ID, intruder, "wamid.X1", &code);
    assert_eq!(notify(&app, &stolen, Some(APP_SECRET)).await, 200);
    let said = new_texts(|| wa.texts_to(intruder), 0, |t| !t.is_empty()).await;
    assert!(said.contains("pas valable"), "{said}");
    let n = texts().len();
    let linking = graph::webhook_text(PHONE_ID, &number, "wamid.A2", &code);
    assert_eq!(notify(&app, &linking, Some(APP_SECRET)).await, 200);
    let said = new_texts(texts, n, |t| t.contains("Bonjour")).await;
    assert!(said.contains(&owner.nom), "{said}");

    // Their balance; the same message delivered three times is answered once.
    let expected = balance(&app, owner.coproprietaire_id).await;
    let n = texts().len();
    let ask = graph::webhook_text(PHONE_ID, &number, "wamid.A3", "combien je dois ?");
    for _ in 0..3 {
        assert_eq!(notify(&app, &ask, Some(APP_SECRET)).await, 200);
    }
    new_texts(texts, n, |t| t.contains(&expected)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let answers = texts()[n..]
        .iter()
        .filter(|t| t.contains(&expected))
        .count();
    assert_eq!(answers, 1, "{:?}", &texts()[n..]);
    let questions = count(
        &app,
        "SELECT count(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id \
         WHERE c.canal = 'whatsapp' AND m.role = 'user' AND m.contenu = 'combien je dois ?'",
    )
    .await;
    assert_eq!(questions, 1);

    // A neighbour's balance: refused without their figures.
    let theirs = balance(&app, neighbour.coproprietaire_id).await;
    let n = texts().len();
    let nosy = graph::webhook_text(
        PHONE_ID,
        &number,
        "wamid.A4",
        &format!("solde de {}", neighbour.nom),
    );
    assert_eq!(notify(&app, &nosy, Some(APP_SECRET)).await, 200);
    let said = new_texts(texts, n, |t| !t.is_empty()).await;
    assert!(!said.contains(&theirs), "{said}");

    // Statuses (delivered, read) are acknowledged and ignored.
    let n = wa.sent().len();
    let status = graph::webhook_status(PHONE_ID, &number, "wamid.FAKE1", "delivered");
    assert_eq!(notify(&app, &status, Some(APP_SECRET)).await, 200);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(wa.sent().len(), n);
}

#[tokio::test]
async fn whatsapp_staff_confirm_with_a_reply_button_once_and_send_a_document() {
    let wa = FakeGraph::start(WA_TOKEN, PHONE_ID).await;
    let app = with_whatsapp(&wa).await;
    let number = "212661000001";
    // The gestionnaire's number is linked through an invitation with the number given.
    let code = invite_with(
        &app,
        json!({ "personne": STAFF, "canal": "whatsapp", "telephone": "+212 661 00 00 01" }),
    )
    .await;
    let texts = || wa.texts_to(number);
    let link = graph::webhook_text(PHONE_ID, number, "wamid.S1", &code);
    assert_eq!(notify(&app, &link, Some(APP_SECRET)).await, 200);
    new_texts(texts, 0, |t| t.contains("Bonjour")).await;

    let payments = || count(&app, "SELECT count(*) FROM paiements");
    let before = payments().await;
    let pay = graph::webhook_text(
        PHONE_ID,
        number,
        "wamid.S2",
        "M. Omar Lahlou a payé 200,05 DH par virement",
    );
    assert_eq!(notify(&app, &pay, Some(APP_SECRET)).await, 200);
    let question = wa.wait_for(|s| s.body["type"] == "interactive", WAIT).await;
    let interactive = &question.body["interactive"];
    assert!(
        interactive["body"]["text"]
            .as_str()
            .unwrap()
            .contains("200,05"),
        "{interactive}"
    );
    let confirm = interactive["action"]["buttons"][0]["reply"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(payments().await, before);
    let n = texts().len();
    for (i, id) in ["wamid.S3", "wamid.S4", "wamid.S3"].iter().enumerate() {
        let press = graph::webhook_button_reply(PHONE_ID, number, id, &confirm, "Confirmer");
        assert_eq!(
            notify(&app, &press, Some(APP_SECRET)).await,
            200,
            "press {i}"
        );
    }
    new_texts(texts, n, |t| t.contains("déjà")).await;
    assert_eq!(payments().await, before + 1);

    // An invoice sent as a document is fetched from the Graph API and kept.
    let files = count(&app, "SELECT count(*) FROM fichiers").await;
    let invoice = demo_invoice(&app, Layout::Jardinage, 5).await;
    let media = wa.add_media(invoice.pdf, "application/pdf");
    let doc = graph::webhook_document(
        PHONE_ID,
        number,
        "wamid.S5",
        &media,
        "facture.pdf",
        "application/pdf",
    );
    assert_eq!(notify(&app, &doc, Some(APP_SECRET)).await, 200);
    let n = texts().len();
    new_texts(texts, n.saturating_sub(1), |t| {
        t.contains("brouillon de facture n°")
    })
    .await;
    assert_eq!(
        count(&app, "SELECT count(*) FROM fichiers").await,
        files + 1
    );

    // A report asked in PDF is uploaded as media and sent as a document.
    let report = graph::webhook_text(
        PHONE_ID,
        number,
        "wamid.S6",
        "rapport financier 2025 de Guéliz en PDF",
    );
    assert_eq!(notify(&app, &report, Some(APP_SECRET)).await, 200);
    let sent = wa.wait_for(|s| s.body["type"] == "document", WAIT).await;
    let media_id = sent.body["document"]["id"].as_str().unwrap();
    let upload = wa
        .sent()
        .into_iter()
        .find(|s| s.path.ends_with("/media"))
        .unwrap();
    assert!(upload.file.unwrap().bytes.starts_with(b"%PDF-"));
    assert!(!media_id.is_empty());
}
