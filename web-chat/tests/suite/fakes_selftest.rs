#![allow(clippy::unwrap_used, clippy::expect_used)]

//! The fakes of `tests/fakes` checked against real clients: teloxide for the Telegram Bot API,
//! plain reqwest for the WhatsApp Cloud API.

use crate::fakes;

use fakes::{FakeGraph, FakeTelegram, SentFile};
use futures_util::StreamExt;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use teloxide::net::Download;
use teloxide::payloads::setters::*;
use teloxide::prelude::*;
use teloxide::types::{
    CallbackQueryId, FileId, InlineKeyboardButton, InlineKeyboardMarkup, InputFile,
    MessageEntityKind, MessageId, ParseMode, UpdateKind,
};
use teloxide::update_listeners::{AsUpdateStream, Polling};
use teloxide::{ApiError, RequestError};

const TOKEN: &str = "123456789:AAF-test_token";
const USER: u64 = 424_242;
const CHAT: ChatId = ChatId(424_242);
const WAIT: Duration = Duration::from_secs(3);

fn bot(tg: &FakeTelegram) -> Bot {
    Bot::new(TOKEN).set_api_url(reqwest::Url::parse(&tg.url()).unwrap())
}

fn api_error(e: RequestError) -> ApiError {
    match e {
        RequestError::Api(e) => e,
        other => panic!("expected an API error, got {other:?}"),
    }
}

async fn download(bot: &Bot, file_id: &str) -> Vec<u8> {
    let file = bot.get_file(FileId(file_id.to_string())).await.unwrap();
    let mut bytes = Vec::new();
    bot.download_file(&file.path, &mut bytes).await.unwrap();
    bytes
}

fn keyboard() -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new([[
        InlineKeyboardButton::callback("Oui", "confirm:1"),
        InlineKeyboardButton::callback("Non", "cancel:1"),
    ]])
}

#[tokio::test]
async fn telegram_get_me_and_wrong_token() {
    let tg = FakeTelegram::start(TOKEN).await;
    let me = bot(&tg).get_me().await.unwrap();
    assert_eq!(me.id, UserId(7_000_001));
    assert!(me.is_bot);
    assert_eq!(me.username(), "wakil_test_bot");

    let wrong = Bot::new("123456789:wrong").set_api_url(reqwest::Url::parse(&tg.url()).unwrap());
    assert_eq!(
        api_error(wrong.get_me().await.unwrap_err()),
        ApiError::InvalidToken
    );

    // Unknown method, on the wire.
    let answer = reqwest::Client::new()
        .post(format!("{}/bot{TOKEN}/noSuchMethod", tg.url()))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 404);
    assert_eq!(
        answer.json::<Value>().await.unwrap(),
        json!({"ok": false, "error_code": 404, "description": "Not Found: method not found"})
    );
    // Wrong token, on the wire.
    let answer = reqwest::Client::new()
        .get(format!("{}/bot1:nope/getMe", tg.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 401);
    assert_eq!(
        answer.json::<Value>().await.unwrap(),
        json!({"ok": false, "error_code": 401, "description": "Unauthorized"})
    );
    // Form parameters and any casing are accepted too.
    let answer: Value = reqwest::Client::new()
        .post(format!("{}/bot{TOKEN}/GETME", tg.url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("a=1")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["result"]["username"], "wakil_test_bot");
}

#[tokio::test]
async fn telegram_pushed_updates_reach_teloxide() {
    let tg = FakeTelegram::start(TOKEN).await;
    let bot = bot(&tg);
    tg.push_text(USER, "bonjour");
    tg.push_text(USER, "/start code-42");
    let photo = b"\xff\xd8\xff\xe0 a jpeg".to_vec();
    tg.push_photo(USER, photo.clone(), Some("la facture"));
    tg.push_document(
        USER,
        b"%PDF-1.7 releve".to_vec(),
        "relevé.pdf",
        "application/pdf",
    );

    let updates = bot.get_updates().await.unwrap();
    assert_eq!(updates.len(), 4);
    let messages: Vec<&Message> = updates
        .iter()
        .map(|u| match &u.kind {
            UpdateKind::Message(m) => m,
            other => panic!("not a message: {other:?}"),
        })
        .collect();
    for m in &messages {
        assert_eq!(m.chat.id, CHAT);
        assert!(m.chat.is_private());
        assert_eq!(m.from.as_ref().unwrap().id, UserId(USER));
    }
    assert_eq!(messages[0].text(), Some("bonjour"));
    assert_eq!(messages[1].text(), Some("/start code-42"));
    let entity = &messages[1].entities().unwrap()[0];
    assert_eq!(
        (entity.kind.clone(), entity.offset, entity.length),
        (MessageEntityKind::BotCommand, 0, 6)
    );
    // Message ids go up in the chat.
    assert!(messages[0].id.0 < messages[1].id.0);

    let sizes = messages[2].photo().unwrap();
    assert_eq!(sizes.len(), 3);
    assert_eq!(messages[2].caption(), Some("la facture"));
    let largest = sizes.last().unwrap();
    assert_eq!(download(&bot, &largest.file.id.0).await, photo);
    assert_ne!(download(&bot, &sizes[0].file.id.0).await, photo);

    let document = messages[3].document().unwrap();
    assert_eq!(document.file_name.as_deref(), Some("relevé.pdf"));
    assert_eq!(
        document.mime_type.as_ref().unwrap().as_ref(),
        "application/pdf"
    );
    assert_eq!(document.file.size, 15);
    assert_eq!(
        download(&bot, &document.file.id.0).await,
        b"%PDF-1.7 releve"
    );
    assert_eq!(tg.downloads().len(), 3);
    assert!(tg.downloads().iter().any(|p| p.starts_with("documents/")));
}

#[tokio::test]
async fn telegram_offset_confirms_and_push_raw_redelivers() {
    let tg = FakeTelegram::start(TOKEN).await;
    let bot = bot(&tg);
    let first = tg.push_text(USER, "un");
    let second = tg.push_text(USER, "deux");
    assert_eq!(second, first + 1);

    // Without an offset nothing is confirmed.
    assert_eq!(bot.get_updates().await.unwrap().len(), 2);
    assert_eq!(bot.get_updates().await.unwrap().len(), 2);
    // limit
    let one = bot.get_updates().limit(1).await.unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(i64::from(one[0].id.0), first);
    // offset confirms what is below it.
    let rest = bot.get_updates().offset(second as i32).await.unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!(tg.pending(), vec![second]);
    assert!(
        bot.get_updates()
            .offset(second as i32 + 1)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(tg.pending().is_empty());

    // The same update delivered again (same update_id), whatever the offset.
    let again = tg.push_raw(tg.update_json(first));
    assert_eq!(again, first);
    let redelivered = bot.get_updates().offset(second as i32 + 1).await.unwrap();
    assert_eq!(redelivered.len(), 1);
    assert_eq!(i64::from(redelivered[0].id.0), first);
    assert!(
        bot.get_updates()
            .offset(second as i32 + 1)
            .await
            .unwrap()
            .is_empty()
    );

    // A negative offset keeps the last ones only (teloxide's drop_pending_updates).
    tg.push_text(USER, "trois");
    let last = tg.push_text(USER, "quatre");
    let kept = bot.get_updates().offset(-1).await.unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(i64::from(kept[0].id.0), last);
    assert_eq!(tg.pending(), vec![last]);
}

#[tokio::test]
async fn telegram_long_polling() {
    let tg = FakeTelegram::start(TOKEN).await;
    let bot = bot(&tg);
    let started = Instant::now();
    let waiting = tokio::spawn({
        let bot = bot.clone();
        async move { bot.get_updates().timeout(5).await.unwrap() }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!waiting.is_finished());
    let id = tg.push_text(USER, "réveil");
    let updates = waiting.await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(updates.len(), 1);
    assert_eq!(i64::from(updates[0].id.0), id);

    // Nothing comes: the timeout elapses with no update.
    let started = Instant::now();
    let none = bot
        .get_updates()
        .offset(id as i32 + 1)
        .timeout(1)
        .await
        .unwrap();
    assert!(none.is_empty());
    assert!(started.elapsed() >= Duration::from_millis(900));

    // teloxide's own polling listener (getWebhookInfo, then getUpdates with offsets).
    tg.push_text(USER, "a");
    tg.push_text(USER, "b");
    let mut polling = Polling::builder(bot)
        .timeout(Duration::from_secs(2))
        .delete_webhook()
        .await
        .build();
    let stream = polling.as_stream();
    tokio::pin!(stream);
    let mut texts = Vec::new();
    while texts.len() < 2 {
        let update = tokio::time::timeout(WAIT, stream.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        if let UpdateKind::Message(m) = update.kind {
            texts.push(m.text().unwrap().to_string());
        }
    }
    assert_eq!(texts, ["a", "b"]);
    assert!(tg.sent().iter().any(|s| s.method == "getWebhookInfo"));
}

#[tokio::test]
async fn telegram_newer_get_updates_ends_the_waiting_one() {
    let tg = FakeTelegram::start(TOKEN).await;
    let bot = bot(&tg);
    let older = tokio::spawn({
        let bot = bot.clone();
        async move { bot.get_updates().timeout(5).await }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let newer = tokio::spawn({
        let bot = bot.clone();
        async move { bot.get_updates().timeout(5).await }
    });
    let older = tokio::time::timeout(WAIT, older).await.unwrap().unwrap();
    assert_eq!(
        api_error(older.unwrap_err()),
        ApiError::TerminatedByOtherGetUpdates
    );
    tg.push_text(USER, "pour le plus récent");
    let newer = tokio::time::timeout(WAIT, newer).await.unwrap().unwrap();
    assert_eq!(newer.unwrap().len(), 1);
}

#[tokio::test]
async fn telegram_send_edit_and_callback() {
    let tg = FakeTelegram::start(TOKEN).await;
    let bot = bot(&tg);
    tg.push_text(USER, "salut");
    let sent = bot
        .send_message(CHAT, "Confirmer le paiement ?")
        .reply_markup(keyboard())
        .await
        .unwrap();
    assert_eq!(sent.chat.id, CHAT);
    assert_eq!(sent.from.as_ref().unwrap().id, UserId(7_000_001));
    assert_eq!(sent.text(), Some("Confirmer le paiement ?"));
    assert_eq!(sent.reply_markup(), Some(&keyboard()));
    assert_eq!(sent.id, MessageId(2), "the user's message was 1");

    let recorded = tg.wait_for(|s| s.method == "sendMessage", WAIT).await;
    assert_eq!(recorded.body["chat_id"], json!(USER));
    assert_eq!(
        recorded.body["reply_markup"]["inline_keyboard"][0][0]["callback_data"],
        "confirm:1"
    );

    // The user presses a button: the callback carries the bot's message.
    let (_, query_id) = tg.push_callback(USER, sent.id.0, "confirm:1");
    let updates = bot.get_updates().await.unwrap();
    let UpdateKind::CallbackQuery(query) = &updates.last().unwrap().kind else {
        panic!("not a callback query: {updates:?}");
    };
    assert_eq!(query.id.0, query_id);
    assert_eq!(query.data.as_deref(), Some("confirm:1"));
    assert_eq!(query.from.id, UserId(USER));
    let message = query.regular_message().unwrap();
    assert_eq!((message.id, message.chat.id), (sent.id, CHAT));
    assert_eq!(message.reply_markup(), Some(&keyboard()));

    bot.answer_callback_query(query.id.clone()).await.unwrap();
    assert_eq!(
        api_error(
            bot.answer_callback_query(query.id.clone())
                .await
                .unwrap_err()
        ),
        ApiError::Unknown(
            "Bad Request: query is too old and response timeout expired or query ID is invalid"
                .into()
        )
    );
    assert!(
        bot.answer_callback_query(CallbackQueryId("123".into()))
            .await
            .is_err()
    );

    // Edit the message: without reply_markup the keyboard goes away.
    let edited = bot
        .edit_message_text(CHAT, sent.id, "Paiement confirmé ✅")
        .await
        .unwrap();
    assert_eq!(edited.text(), Some("Paiement confirmé ✅"));
    assert_eq!(edited.reply_markup(), None);
    assert!(edited.edit_date().is_some());
    assert_eq!(
        tg.message(CHAT.0, sent.id.0).unwrap()["text"],
        "Paiement confirmé ✅"
    );
    assert_eq!(
        api_error(
            bot.edit_message_text(CHAT, sent.id, "Paiement confirmé ✅")
                .await
                .unwrap_err()
        ),
        ApiError::MessageNotModified
    );
    assert_eq!(
        api_error(
            bot.edit_message_text(CHAT, MessageId(99), "x")
                .await
                .unwrap_err()
        ),
        ApiError::MessageToEditNotFound
    );
    assert_eq!(
        tg.texts_to(CHAT.0),
        ["Confirmer le paiement ?", "Paiement confirmé ✅"]
    );

    bot.send_chat_action(CHAT, teloxide::types::ChatAction::Typing)
        .await
        .unwrap();
    assert!(tg.sent().iter().any(|s| s.method == "sendChatAction"));
    assert!(tg.sent().iter().all(|s| s.method != "getUpdates"));
}

#[tokio::test]
async fn telegram_refusals_like_the_real_api() {
    let tg = FakeTelegram::start(TOKEN).await;
    let bot = bot(&tg);
    // A chat that never wrote to the bot.
    assert_eq!(
        api_error(bot.send_message(ChatId(999), "x").await.unwrap_err()),
        ApiError::ChatNotFound
    );
    tg.start_chat(USER);
    bot.send_message(CHAT, "<b>Relevé</b> &amp; solde")
        .parse_mode(ParseMode::Html)
        .await
        .unwrap();
    assert!(matches!(
        api_error(
            bot.send_message(CHAT, "<b>Relevé")
                .parse_mode(ParseMode::Html)
                .await
                .unwrap_err()
        ),
        ApiError::CantParseEntities(_)
    ));
    assert!(matches!(
        api_error(
            bot.send_message(CHAT, "Total: 1.5 MAD")
                .parse_mode(ParseMode::MarkdownV2)
                .await
                .unwrap_err()
        ),
        ApiError::CantParseEntities(_)
    ));
    bot.send_message(CHAT, "*Total*: 1\\.5 MAD `code.x` [lien](https://a.b/c)")
        .parse_mode(ParseMode::MarkdownV2)
        .await
        .unwrap();
    assert_eq!(
        api_error(bot.send_message(CHAT, "").await.unwrap_err()),
        ApiError::MessageTextIsEmpty
    );
    assert_eq!(
        api_error(bot.send_message(CHAT, "x".repeat(4097)).await.unwrap_err()),
        ApiError::MessageIsTooLong
    );
    let long_data =
        InlineKeyboardMarkup::new([[InlineKeyboardButton::callback("x", "d".repeat(65))]]);
    assert_eq!(
        api_error(
            bot.send_message(CHAT, "x")
                .reply_markup(long_data)
                .await
                .unwrap_err()
        ),
        ApiError::ButtonDataInvalid
    );
    tg.block(USER);
    assert_eq!(
        api_error(bot.send_message(CHAT, "x").await.unwrap_err()),
        ApiError::BotBlocked
    );
    let refused: Vec<_> = tg
        .sent()
        .into_iter()
        .filter(|s| s.error.is_some())
        .collect();
    assert_eq!(refused.len(), 7);
    assert_eq!(tg.texts_to(CHAT.0).len(), 2);
}

#[tokio::test]
async fn telegram_files() {
    let tg = FakeTelegram::start(TOKEN).await;
    let bot = bot(&tg);
    // Above 20 MB getFile refuses.
    tg.push_document_sized(USER, "gros.pdf", "application/pdf", 25 * 1024 * 1024);
    let updates = bot.get_updates().await.unwrap();
    let UpdateKind::Message(m) = &updates[0].kind else {
        panic!()
    };
    let document = m.document().unwrap();
    assert_eq!(document.file.size, 25 * 1024 * 1024);
    assert_eq!(
        api_error(bot.get_file(document.file.id.clone()).await.unwrap_err()),
        ApiError::Unknown("Bad Request: file is too big".into())
    );
    assert_eq!(
        api_error(bot.get_file(FileId("nope".into())).await.unwrap_err()),
        ApiError::Unknown("Bad Request: invalid file_id".into())
    );

    // sendDocument: multipart, the file in its own part.
    let pdf = b"%PDF-1.7\n\x00\x01\x02 binary \r\n--not a boundary\r\n".to_vec();
    let sent = bot
        .send_document(CHAT, InputFile::memory(pdf.clone()).file_name("x.pdf"))
        .caption("[1]")
        .reply_markup(keyboard())
        .await
        .unwrap();
    let document = sent.document().unwrap();
    assert_eq!(document.file_name.as_deref(), Some("x.pdf"));
    assert_eq!(
        document.mime_type.as_ref().unwrap().as_ref(),
        "application/pdf"
    );
    assert_eq!(sent.caption(), Some("[1]"));
    assert_eq!(sent.reply_markup(), Some(&keyboard()));
    let recorded = tg.wait_for(|s| s.method == "sendDocument", WAIT).await;
    assert_eq!(
        recorded.document,
        Some(SentFile {
            name: "x.pdf".into(),
            bytes: pdf.clone(),
            mime: None
        })
    );
    assert_eq!(recorded.body["chat_id"], json!(USER));
    // Multipart text parts read as from JSON: ids as numbers, reply_markup parsed.
    assert_eq!(recorded.body["caption"], "[1]");
    assert_eq!(
        recorded.body["reply_markup"]["inline_keyboard"][0][1]["callback_data"],
        "cancel:1"
    );
    assert!(
        recorded.body["document"]
            .as_str()
            .unwrap()
            .starts_with("attach://")
    );
    assert_eq!(tg.documents_to(CHAT.0).len(), 1);
    // What the bot sent can be fetched back.
    assert_eq!(download(&bot, &document.file.id.0).await, pdf);
}

#[tokio::test]
async fn telegram_webhook_excludes_get_updates() {
    let tg = FakeTelegram::start(TOKEN).await;
    let bot = bot(&tg);
    let id = tg.push_text(USER, "via webhook");
    assert!(
        bot.set_webhook(reqwest::Url::parse("http://127.0.0.1:1/hook").unwrap())
            .await
            .is_err(),
        "an HTTPS URL is required"
    );
    bot.set_webhook(reqwest::Url::parse("https://wakil.example/telegram").unwrap())
        .secret_token("s3cret-token")
        .await
        .unwrap();
    let set = tg
        .wait_for(|s| s.method == "setWebhook" && s.error.is_none(), WAIT)
        .await;
    assert_eq!(set.body["url"], "https://wakil.example/telegram");
    assert_eq!(set.body["secret_token"], "s3cret-token");
    let info = bot.get_webhook_info().await.unwrap();
    assert_eq!(info.url.unwrap().as_str(), "https://wakil.example/telegram");
    assert_eq!(info.pending_update_count, 1);
    let RequestError::Api(ApiError::Unknown(conflict)) = bot.get_updates().await.unwrap_err()
    else {
        panic!()
    };
    assert!(conflict.starts_with("Conflict: can't use getUpdates method while webhook is active"));
    // What to post to the bot's webhook.
    assert_eq!(tg.update_json(id)["message"]["text"], "via webhook");

    bot.delete_webhook().await.unwrap();
    assert!(bot.get_webhook_info().await.unwrap().url.is_none());
    assert_eq!(bot.get_updates().await.unwrap().len(), 1);
}

// --- WhatsApp ---------------------------------------------------------------------------------

const WA_TOKEN: &str = "EAAG-fake-token";
const PHONE_ID: &str = "106540352242922";
const WA_USER: &str = "212612345678";

fn post(graph: &FakeGraph, path: &str) -> reqwest::RequestBuilder {
    reqwest::Client::new()
        .post(format!("{}{path}", graph.url()))
        .bearer_auth(WA_TOKEN)
}

#[tokio::test]
async fn graph_messages() {
    let graph = FakeGraph::start(WA_TOKEN, PHONE_ID).await;
    assert!(graph.url().ends_with("/v21.0"));
    let answer = post(&graph, &format!("/{PHONE_ID}/messages"))
        .json(
            &json!({ "messaging_product": "whatsapp", "recipient_type": "individual",
                       "to": format!("+{WA_USER}"), "type": "text",
                       "text": { "preview_url": false, "body": "Bonjour" } }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(
        answer.json::<Value>().await.unwrap(),
        json!({ "messaging_product": "whatsapp",
                "contacts": [{ "input": format!("+{WA_USER}"), "wa_id": WA_USER }],
                "messages": [{ "id": "wamid.FAKE1" }] })
    );

    let buttons = |title: &str| {
        json!({ "messaging_product": "whatsapp", "to": WA_USER, "type": "interactive",
                "interactive": { "type": "button", "body": { "text": "Confirmer ?" },
                    "action": { "buttons": [
                        { "type": "reply", "reply": { "id": "confirm:1", "title": title } },
                        { "type": "reply", "reply": { "id": "cancel:1", "title": "Non" } }] } } })
    };
    let ok = post(&graph, &format!("/{PHONE_ID}/messages"))
        .json(&buttons("Oui"))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let refused = post(&graph, &format!("/{PHONE_ID}/messages"))
        .json(&buttons("Un titre beaucoup trop long"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    let refused: Value = refused.json().await.unwrap();
    assert_eq!(refused["error"]["code"], 131_009);

    let template = post(&graph, &format!("/{PHONE_ID}/messages"))
        .json(
            &json!({ "messaging_product": "whatsapp", "to": WA_USER, "type": "template",
                       "template": { "name": "relance", "language": { "code": "fr" } } }),
        )
        .send()
        .await
        .unwrap();
    let template: Value = template.json().await.unwrap();
    assert_eq!(template["messages"][0]["message_status"], "accepted");

    // Another phone number id.
    let wrong = post(&graph, "/999/messages")
        .json(
            &json!({ "messaging_product": "whatsapp", "to": WA_USER, "type": "text",
                       "text": { "body": "x" } }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 400);

    assert_eq!(graph.texts_to(WA_USER), ["Bonjour", "Confirmer ?"]);
    let sent = graph.wait_for(|s| s.kind() == Some("template"), WAIT).await;
    assert_eq!(sent.path, format!("/{PHONE_ID}/messages"));
    assert_eq!(
        graph.sent().len(),
        4,
        "the refused one recorded, not the 404"
    );
    assert!(
        graph.sent()[2]
            .error
            .as_ref()
            .unwrap()
            .contains("Button title")
    );
}

#[tokio::test]
async fn graph_media_upload_then_document() {
    let graph = FakeGraph::start(WA_TOKEN, PHONE_ID).await;
    let pdf = b"%PDF-1.7 appel de fonds\r\n--x\r\n".to_vec();
    let form = reqwest::multipart::Form::new()
        .text("messaging_product", "whatsapp")
        .text("type", "application/pdf")
        .part(
            "file",
            reqwest::multipart::Part::bytes(pdf.clone())
                .file_name("appel.pdf")
                .mime_str("application/pdf")
                .unwrap(),
        );
    let answer: Value = post(&graph, &format!("/{PHONE_ID}/media"))
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let media_id = answer["id"].as_str().unwrap().to_string();
    let upload = graph.sent().pop().unwrap();
    assert_eq!(upload.path, format!("/{PHONE_ID}/media"));
    assert_eq!(
        upload.body,
        json!({ "messaging_product": "whatsapp", "type": "application/pdf" })
    );
    assert_eq!(
        upload.file,
        Some(SentFile {
            name: "appel.pdf".into(),
            bytes: pdf.clone(),
            mime: Some("application/pdf".into())
        })
    );
    assert_eq!(graph.media(&media_id).unwrap().0, pdf);

    let answer = post(&graph, &format!("/{PHONE_ID}/messages"))
        .json(
            &json!({ "messaging_product": "whatsapp", "to": WA_USER, "type": "document",
                       "document": { "id": media_id, "filename": "appel.pdf",
                                     "caption": "Appel de fonds" } }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let sent = graph.messages_to(WA_USER);
    assert_eq!(sent[0]["document"]["id"], media_id.as_str());
}

#[tokio::test]
async fn graph_media_download_and_bearer() {
    let graph = FakeGraph::start(WA_TOKEN, PHONE_ID).await;
    let image = b"\xff\xd8\xff photo".to_vec();
    let media_id = graph.add_media(image.clone(), "image/jpeg");
    let client = reqwest::Client::new();
    let meta: Value = client
        .get(format!("{}/{media_id}", graph.url()))
        .bearer_auth(WA_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(meta["messaging_product"], "whatsapp");
    assert_eq!(meta["mime_type"], "image/jpeg");
    assert_eq!(meta["file_size"], image.len());
    assert_eq!(meta["id"], media_id.as_str());
    assert_eq!(meta["sha256"].as_str().unwrap().len(), 64);
    let url = meta["url"].as_str().unwrap();

    let unauthorized = client.get(url).send().await.unwrap();
    assert_eq!(unauthorized.status(), 401);
    let bytes = client.get(url).bearer_auth(WA_TOKEN).send().await.unwrap();
    assert_eq!(bytes.headers()["content-type"], "image/jpeg");
    assert_eq!(bytes.bytes().await.unwrap().to_vec(), image);
    assert_eq!(graph.downloads(), vec![media_id.clone()]);

    // Every request needs the bearer.
    let answer = client
        .post(format!("{}/{PHONE_ID}/messages", graph.url()))
        .json(
            &json!({ "messaging_product": "whatsapp", "to": WA_USER, "type": "text",
                       "text": { "body": "x" } }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 401);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["error"]["code"], 190);
    assert_eq!(body["error"]["type"], "OAuthException");
    assert_eq!(body["error"]["message"], "Invalid OAuth access token.");
    let wrong = client
        .get(format!("{}/{media_id}", graph.url()))
        .bearer_auth("other")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    assert!(graph.sent().is_empty());
    // An unknown media id.
    let unknown = client
        .get(format!("{}/42", graph.url()))
        .bearer_auth(WA_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 400);
}

#[test]
fn graph_webhook_payloads_and_signature() {
    // RFC 4231, test case 2.
    assert_eq!(
        fakes::sign("Jefe", b"what do ya want for nothing?"),
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );

    let text = fakes::webhook_text(PHONE_ID, WA_USER, "wamid.IN1", "Bonjour");
    assert_eq!(text["object"], "whatsapp_business_account");
    let value = &text["entry"][0]["changes"][0]["value"];
    assert_eq!(text["entry"][0]["changes"][0]["field"], "messages");
    assert_eq!(value["messaging_product"], "whatsapp");
    assert_eq!(value["metadata"]["phone_number_id"], PHONE_ID);
    assert_eq!(value["contacts"][0]["wa_id"], WA_USER);
    assert!(value["contacts"][0]["profile"]["name"].is_string());
    let message = &value["messages"][0];
    assert_eq!(
        (
            &message["from"],
            &message["id"],
            &message["type"],
            &message["text"]["body"]
        ),
        (
            &json!(WA_USER),
            &json!("wamid.IN1"),
            &json!("text"),
            &json!("Bonjour")
        )
    );
    assert!(message["timestamp"].is_string());

    let image = fakes::webhook_image(PHONE_ID, WA_USER, "wamid.IN2", "77", Some("facture"));
    let image = &image["entry"][0]["changes"][0]["value"]["messages"][0];
    assert_eq!(
        (&image["type"], &image["image"]["id"]),
        (&json!("image"), &json!("77"))
    );
    assert_eq!(image["image"]["caption"], "facture");

    let document = fakes::webhook_document(
        PHONE_ID,
        WA_USER,
        "wamid.IN3",
        "78",
        "releve.pdf",
        "application/pdf",
    );
    let document = &document["entry"][0]["changes"][0]["value"]["messages"][0]["document"];
    assert_eq!(
        (
            &document["id"],
            &document["filename"],
            &document["mime_type"]
        ),
        (
            &json!("78"),
            &json!("releve.pdf"),
            &json!("application/pdf")
        )
    );

    let reply = fakes::webhook_button_reply(PHONE_ID, WA_USER, "wamid.IN4", "confirm:1", "Oui");
    let reply = &reply["entry"][0]["changes"][0]["value"]["messages"][0];
    assert_eq!(reply["type"], "interactive");
    assert_eq!(reply["interactive"]["type"], "button_reply");
    assert_eq!(reply["interactive"]["button_reply"]["id"], "confirm:1");

    let status = fakes::webhook_status(PHONE_ID, WA_USER, "wamid.FAKE1", "delivered");
    let value = &status["entry"][0]["changes"][0]["value"];
    assert!(value.get("messages").is_none());
    assert_eq!(value["statuses"][0]["status"], "delivered");
    assert_eq!(value["statuses"][0]["id"], "wamid.FAKE1");
}
