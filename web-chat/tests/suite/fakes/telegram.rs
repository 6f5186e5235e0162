//! A fake Telegram Bot API server, close to the real one on the wire: `POST|GET
//! {url}/bot{token}/{method}` with JSON, urlencoded, query or multipart parameters (method names
//! case-insensitive: teloxide writes them `SendMessage`, `GetUpdates`…), answers
//! `{"ok":true,"result":…}` or `{"ok":false,"error_code":…,"description":…}` with the real
//! descriptions, and file downloads at `GET {url}/file/bot{token}/{file_path}` (teloxide sends
//! the `/` of the path as `%2F`).
//!
//! The test plays the users: `push_*` queues an update as Telegram would (private chat, chat id =
//! user id, message ids shared by the user and the bot in a chat), delivered by `getUpdates`
//! (offset confirmation, limit, long polling). What the bot sends is recorded ([`Sent`]).

use super::{Log, Params, SentFile, bind, serve, unix_now};
use axum::body::Bytes;
use axum::extract::State as AxumState;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

/// The bot's user id (`getMe`, `from` of what it sends).
pub const BOT_ID: i64 = 7_000_001;
/// The bot's username (`getMe`).
pub const BOT_USERNAME: &str = "wakil_test_bot";
/// Above this size `getFile` refuses: "Bad Request: file is too big" (bots download up to 20 MB).
pub const MAX_DOWNLOAD: u64 = 20 * 1024 * 1024;
/// Above this size an upload is refused (bots upload up to 50 MB).
pub const MAX_UPLOAD: usize = 50 * 1024 * 1024;

const NOT_MODIFIED: &str = "Bad Request: message is not modified: specified new message content \
     and reply markup are exactly the same as a current content and reply markup of the message";
const QUERY_TOO_OLD: &str =
    "Bad Request: query is too old and response timeout expired or query ID is invalid";
const WEBHOOK_ACTIVE: &str = "Conflict: can't use getUpdates method while webhook is active; \
     use deleteWebhook to delete the webhook first";
const TERMINATED: &str = "Conflict: terminated by other getUpdates request; make sure that only \
     one bot instance is running";

/// One call the bot made (every method but `getUpdates`), in the order received.
#[derive(Debug, Clone)]
pub struct Sent {
    /// The method, in the Bot API's casing whatever the bot wrote: `sendMessage`,
    /// `editMessageText`, `answerCallbackQuery`, `sendDocument`, `getFile`…
    pub method: String,
    /// The parameters as a JSON object. From a multipart or urlencoded body, text parts holding
    /// JSON (`reply_markup`…) are parsed, ids (`chat_id`, `message_id`…) made numbers and flags
    /// booleans, so that they read as from a JSON body. For `sendDocument`, `document` is what the
    /// bot wrote (`attach://<part>` with teloxide), the file itself is in [`Sent::document`].
    pub body: Value,
    /// The uploaded document of a `sendDocument`.
    pub document: Option<SentFile>,
    /// The fake's refusal (its `description`), `None` when it answered ok.
    pub error: Option<String>,
}

impl Sent {
    /// `body.chat_id` as a number (also when the bot sent it as a string).
    pub fn chat_id(&self) -> Option<i64> {
        as_i64(self.body.get("chat_id")?)
    }

    /// `body.text`.
    pub fn text(&self) -> Option<&str> {
        self.body.get("text")?.as_str()
    }
}

/// A fake Telegram Bot API on 127.0.0.1, for one bot token.
pub struct FakeTelegram {
    shared: Arc<Shared>,
    addr: String,
}

struct Shared {
    token: String,
    state: Mutex<TgState>,
    /// Woken when an update is queued, or a newer `getUpdates` arrives.
    updates: Notify,
    log: Log<Sent>,
}

struct QueuedUpdate {
    id: i64,
    value: Value,
    /// Pushed with `push_raw`: delivered once whatever the offset.
    forced: bool,
}

struct StoredMessage {
    json: Value,
    from_bot: bool,
    /// The text as the bot wrote it (markup included), to tell an edit that changes nothing.
    raw_text: Option<String>,
}

struct ChatState {
    json: Value,
    last_message_id: i32,
    messages: HashMap<i32, StoredMessage>,
}

struct FileEntry {
    unique_id: String,
    size: u64,
    /// `None` for a file declared with `push_document_sized`.
    bytes: Option<Vec<u8>>,
    folder: &'static str,
    extension: String,
    path: Option<String>,
}

#[derive(Default)]
struct TgState {
    last_update_id: i64,
    queue: Vec<QueuedUpdate>,
    all_updates: HashMap<i64, Value>,
    poll_generation: u64,
    webhook: Option<Map<String, Value>>,
    chats: HashMap<i64, ChatState>,
    blocked: HashSet<i64>,
    files: HashMap<String, FileEntry>,
    file_paths: HashMap<String, String>,
    last_file: u64,
    last_path: u64,
    callbacks: HashMap<String, bool>,
    last_callback: u64,
    commands: Value,
    downloads: Vec<String>,
}

type Refusal = (u16, String);

fn refuse(code: u16, description: &str) -> Refusal {
    (code, description.to_string())
}

fn bad(description: &str) -> Refusal {
    (400, format!("Bad Request: {description}"))
}

fn api_ok(result: Value) -> Response {
    (
        StatusCode::OK,
        axum::Json(json!({ "ok": true, "result": result })),
    )
        .into_response()
}

fn api_error(code: u16, description: &str) -> Response {
    (
        StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST),
        axum::Json(json!({ "ok": false, "error_code": code, "description": description })),
    )
        .into_response()
}

fn bot_user() -> Value {
    json!({ "id": BOT_ID, "is_bot": true, "first_name": "Wakil Test", "username": BOT_USERNAME })
}

fn user_json(user: u64) -> Value {
    json!({ "id": user, "is_bot": false, "first_name": "Test", "last_name": user.to_string(),
            "username": format!("user{user}"), "language_code": "fr" })
}

fn private_chat_json(user: u64) -> Value {
    json!({ "id": user, "first_name": "Test", "last_name": user.to_string(),
            "username": format!("user{user}"), "type": "private" })
}

fn as_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// Form, query and multipart values are text: give ids, numbers and flags their JSON type.
fn typed(key: &str, value: String) -> Value {
    const NUMBERS: &[&str] = &[
        "chat_id",
        "message_id",
        "offset",
        "limit",
        "timeout",
        "max_connections",
        "message_thread_id",
        "reply_to_message_id",
        "from_chat_id",
        "cache_time",
        "user_id",
    ];
    const FLAGS: &[&str] = &[
        "disable_notification",
        "protect_content",
        "show_alert",
        "drop_pending_updates",
        "disable_content_type_detection",
        "allow_sending_without_reply",
        "disable_web_page_preview",
        "has_spoiler",
    ];
    const JSON: &[&str] = &[
        "reply_markup",
        "entities",
        "caption_entities",
        "allowed_updates",
        "commands",
        "scope",
        "link_preview_options",
        "reply_parameters",
        "media",
    ];
    if JSON.contains(&key)
        && let Ok(v) = serde_json::from_str::<Value>(&value)
    {
        return v;
    }
    if NUMBERS.contains(&key)
        && let Ok(n) = value.trim().parse::<i64>()
    {
        return json!(n);
    }
    if FLAGS.contains(&key) {
        match value.trim() {
            "true" | "True" | "1" => return json!(true),
            "false" | "False" | "0" => return json!(false),
            _ => {}
        }
    }
    Value::String(value)
}

/// The Bot API's casing of a method name (they are case-insensitive on the wire).
fn canonical(method: &str) -> Option<&'static str> {
    const METHODS: &[&str] = &[
        "getMe",
        "getUpdates",
        "setWebhook",
        "deleteWebhook",
        "getWebhookInfo",
        "sendMessage",
        "editMessageText",
        "editMessageReplyMarkup",
        "deleteMessage",
        "answerCallbackQuery",
        "getFile",
        "sendDocument",
        "sendChatAction",
        "setMyCommands",
        "getMyCommands",
        "deleteMyCommands",
    ];
    METHODS
        .iter()
        .find(|m| m.eq_ignore_ascii_case(method))
        .copied()
}

impl FakeTelegram {
    /// Starts the fake for the bot token `token` (any other token gets 401 Unauthorized).
    pub async fn start(token: &str) -> FakeTelegram {
        let shared = Arc::new(Shared {
            token: token.to_string(),
            state: Mutex::new(TgState {
                last_update_id: 100_000,
                commands: json!([]),
                ..TgState::default()
            }),
            updates: Notify::new(),
            log: Log::new(),
        });
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(shared.clone());
        let (listener, addr) = bind().await;
        serve(listener, app);
        FakeTelegram { shared, addr }
    }

    /// The API base, `http://127.0.0.1:PORT`: the bot's `TELEGRAM_API_URL` (teloxide's
    /// `Bot::set_api_url`).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    // --- What users do ---------------------------------------------------------------------

    /// The user `user` writes `text` to the bot in their private chat. `/commands` get a
    /// `bot_command` entity. Gives the update id.
    pub fn push_text(&self, user: u64, text: &str) -> i64 {
        let mut content = Map::new();
        content.insert("text".into(), json!(text));
        let entities = command_entities(text);
        if !entities.is_empty() {
            content.insert("entities".into(), Value::Array(entities));
        }
        self.push_message(user, content)
    }

    /// The user sends a photo (as Telegram does: several sizes, smallest first; the last, largest
    /// one is `bytes`, the smaller ones other small files). Gives the update id.
    pub fn push_photo(&self, user: u64, bytes: Vec<u8>, caption: Option<&str>) -> i64 {
        let sizes = {
            let mut state = self.shared.state.lock().unwrap();
            let mut sizes = Vec::new();
            for (w, h) in [(90, 67), (320, 240)] {
                let thumb = format!("thumbnail {w}x{h}").into_bytes();
                let size = thumb.len() as u64;
                let id = state.add_file(Some(thumb), size, "photos", "jpg");
                sizes.push(photo_size(&state, &id, w, h));
            }
            let size = bytes.len() as u64;
            let id = state.add_file(Some(bytes), size, "photos", "jpg");
            sizes.push(photo_size(&state, &id, 1280, 960));
            sizes
        };
        let mut content = Map::new();
        content.insert("photo".into(), Value::Array(sizes));
        if let Some(caption) = caption {
            content.insert("caption".into(), json!(caption));
        }
        self.push_message(user, content)
    }

    /// The user sends a file as a document. Gives the update id.
    pub fn push_document(&self, user: u64, bytes: Vec<u8>, file_name: &str, mime: &str) -> i64 {
        let size = bytes.len() as u64;
        self.push_document_inner(user, Some(bytes), size, file_name, mime)
    }

    /// The user sends a document of `declared_size` bytes whose content the fake does not hold:
    /// to exercise the 20 MB limit of `getFile` ("Bad Request: file is too big" above it).
    pub fn push_document_sized(
        &self,
        user: u64,
        file_name: &str,
        mime: &str,
        declared_size: u64,
    ) -> i64 {
        self.push_document_inner(user, None, declared_size, file_name, mime)
    }

    fn push_document_inner(
        &self,
        user: u64,
        bytes: Option<Vec<u8>>,
        size: u64,
        file_name: &str,
        mime: &str,
    ) -> i64 {
        let document = {
            let mut state = self.shared.state.lock().unwrap();
            let id = state.add_file(bytes, size, "documents", extension(file_name));
            document_json(&state, &id, file_name, mime)
        };
        let mut content = Map::new();
        content.insert("document".into(), document);
        self.push_message(user, content)
    }

    fn push_message(&self, user: u64, content: Map<String, Value>) -> i64 {
        let mut state = self.shared.state.lock().unwrap();
        let chat = state.chat(user);
        chat.last_message_id += 1;
        let message_id = chat.last_message_id;
        let mut message = json!({ "message_id": message_id, "from": user_json(user),
                                  "chat": chat.json.clone(), "date": unix_now() });
        message.as_object_mut().unwrap().extend(content);
        chat.messages.insert(
            message_id,
            StoredMessage {
                json: message.clone(),
                from_bot: false,
                raw_text: None,
            },
        );
        let id = state.next_update_id();
        let update = json!({ "update_id": id, "message": message });
        state.enqueue(id, update, false);
        drop(state);
        self.shared.updates.notify_waiters();
        id
    }

    /// The user presses the inline button with `data` under the bot's message `message_id` in
    /// their chat (the callback's `message` is that message as it is now, after any edits).
    /// Gives the update id and the callback query id. Panics when the bot never sent that message.
    pub fn push_callback(&self, user: u64, message_id: i32, data: &str) -> (i64, String) {
        let mut state = self.shared.state.lock().unwrap();
        let message = state
            .chats
            .get(&(user as i64))
            .and_then(|c| c.messages.get(&message_id))
            .filter(|m| m.from_bot)
            .map(|m| m.json.clone())
            .unwrap_or_else(|| {
                panic!("push_callback: the bot sent no message {message_id} to chat {user}")
            });
        state.last_callback += 1;
        let query_id = (4_000_000_000_000_000_000u64 + state.last_callback).to_string();
        state.callbacks.insert(query_id.clone(), false);
        let id = state.next_update_id();
        let update = json!({ "update_id": id, "callback_query": {
            "id": query_id, "from": user_json(user), "message": message,
            "chat_instance": format!("-{}", 1_000_000_000 + user), "data": data } });
        state.enqueue(id, update, false);
        drop(state);
        self.shared.updates.notify_waiters();
        (id, query_id)
    }

    /// Queues `update` as is, delivered by the next `getUpdates` whatever its offset (then
    /// confirmed like the others): to deliver an update again with the same `update_id`, as
    /// Telegram does when the bot did not confirm it. Without an `update_id`, one is given.
    /// Gives the update id.
    pub fn push_raw(&self, update: Value) -> i64 {
        let mut state = self.shared.state.lock().unwrap();
        let mut update = update;
        let id = match update.get("update_id").and_then(as_i64) {
            Some(id) => {
                state.last_update_id = state.last_update_id.max(id);
                id
            }
            None => {
                let id = state.next_update_id();
                update
                    .as_object_mut()
                    .expect("push_raw: an update is a JSON object")
                    .insert("update_id".into(), json!(id));
                id
            }
        };
        state.enqueue(id, update, true);
        drop(state);
        self.shared.updates.notify_waiters();
        id
    }

    /// The update `id` as pushed (to deliver it again, through a webhook for instance).
    pub fn update_json(&self, id: i64) -> Value {
        self.shared
            .state
            .lock()
            .unwrap()
            .all_updates
            .get(&id)
            .cloned()
            .unwrap_or_else(|| panic!("update_json: no update {id} was pushed"))
    }

    /// The updates pushed and not confirmed yet (by a `getUpdates` with a greater offset).
    pub fn pending(&self) -> Vec<i64> {
        let state = self.shared.state.lock().unwrap();
        state.queue.iter().map(|u| u.id).collect()
    }

    /// The user blocks the bot: what the bot sends them then fails with 403 "Forbidden: bot was
    /// blocked by the user".
    pub fn block(&self, user: u64) {
        self.shared
            .state
            .lock()
            .unwrap()
            .blocked
            .insert(user as i64);
    }

    /// The user has opened a chat with the bot before the test (the bot may write to them; to
    /// a chat it never saw the fake answers 400 "Bad Request: chat not found").
    pub fn start_chat(&self, user: u64) {
        self.shared.state.lock().unwrap().chat(user);
    }

    // --- What the bot did ------------------------------------------------------------------

    /// Every call the bot made but `getUpdates`, in order.
    pub fn sent(&self) -> Vec<Sent> {
        self.shared.log.all()
    }

    /// The first call matching `what` (already made or coming within `timeout`); panics with
    /// everything sent when none comes.
    pub async fn wait_for(&self, what: impl Fn(&Sent) -> bool, timeout: Duration) -> Sent {
        self.shared.log.wait_for(what, timeout).await
    }

    /// The texts of the accepted `sendMessage` and `editMessageText` to `chat`, in order, as the
    /// bot wrote them (markup included).
    pub fn texts_to(&self, chat: i64) -> Vec<String> {
        self.sent()
            .iter()
            .filter(|s| {
                s.error.is_none()
                    && (s.method == "sendMessage" || s.method == "editMessageText")
                    && s.chat_id() == Some(chat)
            })
            .filter_map(|s| s.text().map(str::to_string))
            .collect()
    }

    /// The documents accepted by `sendDocument` to `chat`, in order.
    pub fn documents_to(&self, chat: i64) -> Vec<SentFile> {
        self.sent()
            .into_iter()
            .filter(|s| {
                s.error.is_none() && s.method == "sendDocument" && s.chat_id() == Some(chat)
            })
            .filter_map(|s| s.document)
            .collect()
    }

    /// The message `message_id` of `chat` as it is now (after edits), as the API returns it.
    pub fn message(&self, chat: i64, message_id: i32) -> Option<Value> {
        let state = self.shared.state.lock().unwrap();
        Some(
            state
                .chats
                .get(&chat)?
                .messages
                .get(&message_id)?
                .json
                .clone(),
        )
    }

    /// The `file_path`s the bot downloaded, in order.
    pub fn downloads(&self) -> Vec<String> {
        self.shared.state.lock().unwrap().downloads.clone()
    }
}

fn photo_size(state: &TgState, file_id: &str, width: u32, height: u32) -> Value {
    let file = &state.files[file_id];
    json!({ "file_id": file_id, "file_unique_id": file.unique_id, "file_size": file.size,
            "width": width, "height": height })
}

fn document_json(state: &TgState, file_id: &str, file_name: &str, mime: &str) -> Value {
    let file = &state.files[file_id];
    let mut document = json!({ "file_id": file_id, "file_unique_id": file.unique_id,
                               "file_size": file.size, "mime_type": mime });
    if !file_name.is_empty() {
        document["file_name"] = json!(file_name);
    }
    document
}

fn extension(file_name: &str) -> &str {
    match file_name.rsplit_once('.') {
        Some((_, ext)) if !ext.is_empty() && ext.len() <= 8 => ext,
        _ => "bin",
    }
}

fn guess_mime(file_name: &str) -> &'static str {
    match extension(file_name).to_ascii_lowercase().as_str() {
        "pdf" => "application/pdf",
        "txt" => "text/plain",
        "csv" => "text/csv",
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "zip" => "application/zip",
        _ => "application/octet-stream",
    }
}

/// `bot_command` entities for the `/commands` of `text` (offsets in UTF-16 code units).
fn command_entities(text: &str) -> Vec<Value> {
    let mut entities = Vec::new();
    let mut offset16 = 0;
    let mut previous: Option<char> = None;
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '/' && previous.is_none_or(char::is_whitespace) {
            let command: String = chars[i + 1..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || **c == '_' || **c == '@')
                .collect();
            if command
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric())
            {
                let length = 1 + command.len();
                entities
                    .push(json!({ "offset": offset16, "length": length, "type": "bot_command" }));
                offset16 += length;
                i += length;
                previous = command.chars().last();
                continue;
            }
        }
        offset16 += c.len_utf16();
        previous = Some(c);
        i += 1;
    }
    entities
}

impl TgState {
    fn next_update_id(&mut self) -> i64 {
        self.last_update_id += 1;
        self.last_update_id
    }

    fn enqueue(&mut self, id: i64, value: Value, forced: bool) {
        self.all_updates.insert(id, value.clone());
        self.queue.push(QueuedUpdate { id, value, forced });
    }

    fn chat(&mut self, user: u64) -> &mut ChatState {
        self.chats.entry(user as i64).or_insert_with(|| ChatState {
            json: private_chat_json(user),
            last_message_id: 0,
            messages: HashMap::new(),
        })
    }

    fn add_file(
        &mut self,
        bytes: Option<Vec<u8>>,
        size: u64,
        folder: &'static str,
        extension: &str,
    ) -> String {
        self.last_file += 1;
        let n = self.last_file;
        let prefix = if folder == "photos" {
            "AgACAgQAAxkBAAI"
        } else {
            "BQACAgQAAxkBAAI"
        };
        let file_id = format!("{prefix}{n:06}FakeFileId");
        self.files.insert(
            file_id.clone(),
            FileEntry {
                unique_id: format!("AgAD{n:06}"),
                size,
                bytes,
                folder,
                extension: extension.to_string(),
                path: None,
            },
        );
        file_id
    }

    /// Drops the updates an offset confirms (`offset > 0`: ids below it; `offset < 0`: all but
    /// the last `-offset`). Updates pushed with `push_raw` stay until delivered.
    fn confirm(&mut self, offset: i64) {
        if offset > 0 {
            self.queue.retain(|u| u.id >= offset || u.forced);
        } else if offset < 0 {
            let keep = offset.unsigned_abs() as usize;
            let excess = self.queue.len().saturating_sub(keep);
            let mut index = 0;
            self.queue.retain(|u| {
                index += 1;
                index > excess || u.forced
            });
        }
    }

    /// The chat the bot writes to: it must exist (a user wrote to the bot) and not have blocked it.
    fn writable_chat(&mut self, params: &Map<String, Value>) -> Result<i64, Refusal> {
        let chat_id = match params.get("chat_id") {
            None => return Err(bad("chat_id is empty")),
            Some(v) => as_i64(v).ok_or_else(|| bad("chat not found"))?,
        };
        if !self.chats.contains_key(&chat_id) {
            return Err(bad("chat not found"));
        }
        if self.blocked.contains(&chat_id) {
            return Err(refuse(403, "Forbidden: bot was blocked by the user"));
        }
        Ok(chat_id)
    }

    fn new_bot_message(
        &mut self,
        chat_id: i64,
        content: Map<String, Value>,
        raw_text: Option<String>,
    ) -> Value {
        let chat = self.chats.get_mut(&chat_id).unwrap();
        chat.last_message_id += 1;
        let message_id = chat.last_message_id;
        let mut message = json!({ "message_id": message_id, "from": bot_user(),
                                  "chat": chat.json.clone(), "date": unix_now() });
        message.as_object_mut().unwrap().extend(content);
        chat.messages.insert(
            message_id,
            StoredMessage {
                json: message.clone(),
                from_bot: true,
                raw_text,
            },
        );
        message
    }

    fn call(
        &mut self,
        method: &str,
        params: &Params,
    ) -> (Result<Value, Refusal>, Option<SentFile>) {
        let p = &params.fields;
        let result = match method {
            "getMe" => Ok(
                json!({ "id": BOT_ID, "is_bot": true, "first_name": "Wakil Test",
                "username": BOT_USERNAME, "can_join_groups": true,
                "can_read_all_group_messages": false, "supports_inline_queries": false,
                "can_connect_to_business": false, "has_main_web_app": false }),
            ),
            "setWebhook" => self.set_webhook(p),
            "deleteWebhook" => {
                self.webhook = None;
                if p.get("drop_pending_updates") == Some(&json!(true)) {
                    self.queue.clear();
                }
                Ok(json!(true))
            }
            "getWebhookInfo" => Ok(self.webhook_info()),
            "sendMessage" => self.send_message(p),
            "editMessageText" => self.edit_message_text(p),
            "editMessageReplyMarkup" => self.edit_reply_markup(p),
            "deleteMessage" => self.delete_message(p),
            "answerCallbackQuery" => {
                let id = p.get("callback_query_id").and_then(|v| match v {
                    Value::String(s) => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                });
                match id.and_then(|id| self.callbacks.get_mut(&id)) {
                    Some(answered) if !*answered => {
                        *answered = true;
                        Ok(json!(true))
                    }
                    _ => Err(refuse(400, QUERY_TOO_OLD)),
                }
            }
            "getFile" => self.get_file(p),
            "sendDocument" => return self.send_document(params),
            "sendChatAction" => self.send_chat_action(p),
            "setMyCommands" => match p.get("commands") {
                Some(Value::Array(commands)) => {
                    self.commands = Value::Array(commands.clone());
                    Ok(json!(true))
                }
                _ => Err(bad("parameter \"commands\" is required")),
            },
            "getMyCommands" => Ok(self.commands.clone()),
            "deleteMyCommands" => {
                self.commands = json!([]);
                Ok(json!(true))
            }
            _ => Err(refuse(404, "Not Found: method not found")),
        };
        (result, None)
    }

    fn set_webhook(&mut self, p: &Map<String, Value>) -> Result<Value, Refusal> {
        let url = p.get("url").and_then(Value::as_str).unwrap_or_default();
        if url.is_empty() {
            self.webhook = None;
            return Ok(json!(true));
        }
        let Some(rest) = url.strip_prefix("https://") else {
            return Err(bad(
                "bad webhook: An HTTPS URL must be provided for webhook",
            ));
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let port = authority
            .rsplit_once(':')
            .filter(|(_, port)| port.chars().all(|c| c.is_ascii_digit()))
            .map_or(Some(443), |(_, port)| port.parse::<u16>().ok());
        if !matches!(port, Some(80 | 88 | 443 | 8443)) {
            return Err(bad(
                "bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443",
            ));
        }
        if let Some(secret) = p.get("secret_token").and_then(Value::as_str)
            && (secret.is_empty()
                || secret.len() > 256
                || !secret
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        {
            return Err(bad("secret token contains unallowed characters"));
        }
        if p.get("drop_pending_updates") == Some(&json!(true)) {
            self.queue.clear();
        }
        self.webhook = Some(p.clone());
        Ok(json!(true))
    }

    fn webhook_info(&self) -> Value {
        let mut info = json!({ "url": "", "has_custom_certificate": false,
                               "pending_update_count": self.queue.len() });
        if let Some(webhook) = &self.webhook {
            info["url"] = webhook["url"].clone();
            info["max_connections"] = webhook.get("max_connections").cloned().unwrap_or(json!(40));
            info["ip_address"] = json!("127.0.0.1");
            if let Some(allowed) = webhook.get("allowed_updates") {
                info["allowed_updates"] = allowed.clone();
            }
        }
        info
    }

    fn send_message(&mut self, p: &Map<String, Value>) -> Result<Value, Refusal> {
        let chat_id = self.writable_chat(p)?;
        let raw = p.get("text").and_then(Value::as_str).unwrap_or_default();
        let text = render(raw, p.get("parse_mode"))?;
        if text.trim().is_empty() {
            return Err(bad("message text is empty"));
        }
        if utf16_len(&text) > 4096 {
            return Err(bad("message is too long"));
        }
        let mut content = Map::new();
        content.insert("text".into(), json!(text));
        if let Some(markup) = inline_markup(p)? {
            content.insert("reply_markup".into(), markup);
        }
        Ok(self.new_bot_message(chat_id, content, Some(raw.to_string())))
    }

    fn bot_message(
        &mut self,
        p: &Map<String, Value>,
        not_found: &str,
    ) -> Result<&mut StoredMessage, Refusal> {
        let chat_id = self.writable_chat(p)?;
        let Some(message_id) = p.get("message_id").and_then(as_i64) else {
            return Err(bad("message identifier is not specified"));
        };
        let message = self
            .chats
            .get_mut(&chat_id)
            .and_then(|c| c.messages.get_mut(&(message_id as i32)))
            .ok_or_else(|| bad(not_found))?;
        if !message.from_bot {
            return Err(bad("message can't be edited"));
        }
        Ok(message)
    }

    fn edit_message_text(&mut self, p: &Map<String, Value>) -> Result<Value, Refusal> {
        if p.contains_key("inline_message_id") {
            return Ok(json!(true));
        }
        let raw = p.get("text").and_then(Value::as_str).unwrap_or_default();
        let text = render(raw, p.get("parse_mode"))?;
        if text.trim().is_empty() {
            return Err(bad("message text is empty"));
        }
        if utf16_len(&text) > 4096 {
            return Err(bad("MESSAGE_TOO_LONG"));
        }
        let markup = inline_markup(p)?;
        let message = self.bot_message(p, "message to edit not found")?;
        if message.json.get("text").is_none() {
            return Err(bad("there is no text in the message to edit"));
        }
        if message.raw_text.as_deref() == Some(raw)
            && message.json.get("reply_markup") == markup.as_ref()
        {
            return Err(refuse(400, NOT_MODIFIED));
        }
        // Editing the text without `reply_markup` removes the inline keyboard.
        let json = message.json.as_object_mut().unwrap();
        json.insert("text".into(), json!(text));
        json.insert("edit_date".into(), json!(unix_now()));
        match markup {
            Some(markup) => json.insert("reply_markup".into(), markup),
            None => json.remove("reply_markup"),
        };
        message.raw_text = Some(raw.to_string());
        Ok(message.json.clone())
    }

    fn edit_reply_markup(&mut self, p: &Map<String, Value>) -> Result<Value, Refusal> {
        if p.contains_key("inline_message_id") {
            return Ok(json!(true));
        }
        let markup = inline_markup(p)?;
        let message = self.bot_message(p, "message to edit not found")?;
        if message.json.get("reply_markup") == markup.as_ref() {
            return Err(refuse(400, NOT_MODIFIED));
        }
        let json = message.json.as_object_mut().unwrap();
        json.insert("edit_date".into(), json!(unix_now()));
        match markup {
            Some(markup) => json.insert("reply_markup".into(), markup),
            None => json.remove("reply_markup"),
        };
        Ok(message.json.clone())
    }

    fn delete_message(&mut self, p: &Map<String, Value>) -> Result<Value, Refusal> {
        let chat_id = self.writable_chat(p)?;
        let message_id = p.get("message_id").and_then(as_i64).unwrap_or_default() as i32;
        match self
            .chats
            .get_mut(&chat_id)
            .and_then(|c| c.messages.remove(&message_id))
        {
            Some(_) => Ok(json!(true)),
            None => Err(bad("message to delete not found")),
        }
    }

    fn get_file(&mut self, p: &Map<String, Value>) -> Result<Value, Refusal> {
        let file_id = p.get("file_id").and_then(Value::as_str).unwrap_or_default();
        let next_path = self.last_path + 1;
        let Some(file) = self.files.get_mut(file_id) else {
            return Err(bad("invalid file_id"));
        };
        if file.size > MAX_DOWNLOAD {
            return Err(bad("file is too big"));
        }
        let path = match &file.path {
            Some(path) => path.clone(),
            None => {
                let path = format!("{}/file_{next_path}.{}", file.folder, file.extension);
                file.path = Some(path.clone());
                self.last_path = next_path;
                path
            }
        };
        let result = json!({ "file_id": file_id, "file_unique_id": file.unique_id,
                             "file_size": file.size, "file_path": path });
        self.file_paths.insert(path, file_id.to_string());
        Ok(result)
    }

    fn send_document(&mut self, params: &Params) -> (Result<Value, Refusal>, Option<SentFile>) {
        let p = &params.fields;
        let chat_id = match self.writable_chat(p) {
            Ok(id) => id,
            Err(e) => return (Err(e), None),
        };
        // The document: a file part named `document`, or `attach://<name>` naming the file part
        // (what teloxide sends), or the file_id / URL of a file Telegram already has.
        let (file, file_id) = match p.get("document") {
            Some(Value::String(s)) if s.starts_with("attach://") => {
                match params.file(&s["attach://".len()..]) {
                    Some(part) => (Some(part.file()), None),
                    None => return (Err(bad("wrong file identifier/HTTP URL specified")), None),
                }
            }
            Some(Value::String(s)) if s.starts_with("http://") || s.starts_with("https://") => {
                (None, None)
            }
            Some(Value::String(s)) if self.files.contains_key(s) => (None, Some(s.clone())),
            Some(_) => return (Err(bad("wrong file identifier/HTTP URL specified")), None),
            None => match params.file("document") {
                Some(part) => (Some(part.file()), None),
                None => return (Err(bad("there is no document in the request")), None),
            },
        };
        if let Some(file) = &file {
            if file.bytes.is_empty() {
                return (Err(bad("file must be non-empty")), Some(file.clone()));
            }
            if file.bytes.len() > MAX_UPLOAD {
                return (
                    Err(refuse(413, "Request Entity Too Large")),
                    Some(file.clone()),
                );
            }
        }
        let mut content = Map::new();
        if let Some(caption) = p.get("caption").and_then(Value::as_str) {
            let caption = match render(caption, p.get("parse_mode")) {
                Ok(c) => c,
                Err(e) => return (Err(e), file),
            };
            if utf16_len(&caption) > 1024 {
                return (Err(bad("message caption is too long")), file);
            }
            if !caption.is_empty() {
                content.insert("caption".into(), json!(caption));
            }
        }
        match inline_markup(p) {
            Ok(Some(markup)) => {
                content.insert("reply_markup".into(), markup);
            }
            Ok(None) => {}
            Err(e) => return (Err(e), file),
        }
        let (name, mime) = match &file {
            Some(f) => {
                let mime = f
                    .mime
                    .clone()
                    .filter(|m| m != "application/octet-stream")
                    .unwrap_or_else(|| guess_mime(&f.name).to_string());
                (f.name.clone(), mime)
            }
            None => (
                "document".to_string(),
                "application/octet-stream".to_string(),
            ),
        };
        let file_id = match (&file, file_id) {
            (Some(f), _) => self.add_file(
                Some(f.bytes.clone()),
                f.bytes.len() as u64,
                "documents",
                extension(&name),
            ),
            (None, Some(id)) => id,
            (None, None) => self.add_file(Some(Vec::new()), 0, "documents", extension(&name)),
        };
        content.insert(
            "document".into(),
            document_json(self, &file_id, &name, &mime),
        );
        (Ok(self.new_bot_message(chat_id, content, None)), file)
    }

    fn send_chat_action(&mut self, p: &Map<String, Value>) -> Result<Value, Refusal> {
        const ACTIONS: &[&str] = &[
            "typing",
            "upload_photo",
            "record_video",
            "upload_video",
            "record_voice",
            "upload_voice",
            "upload_document",
            "choose_sticker",
            "find_location",
            "record_video_note",
            "upload_video_note",
        ];
        self.writable_chat(p)?;
        match p.get("action").and_then(Value::as_str) {
            Some(action) if ACTIONS.contains(&action) => Ok(json!(true)),
            _ => Err(bad("wrong parameter action in request")),
        }
    }

    /// The updates a `getUpdates` at `offset` delivers now (`limit` at most).
    fn take_updates(&mut self, offset: i64, limit: usize) -> Vec<Value> {
        let mut batch = Vec::new();
        for update in &mut self.queue {
            if batch.len() >= limit {
                break;
            }
            if update.id >= offset || offset <= 0 || update.forced {
                update.forced = false;
                batch.push(update.value.clone());
            }
        }
        batch
    }
}

/// The `reply_markup` to echo in the message: only an inline keyboard shows in it. Checks the
/// callback data (1-64 bytes).
fn inline_markup(p: &Map<String, Value>) -> Result<Option<Value>, Refusal> {
    let Some(markup) = p.get("reply_markup") else {
        return Ok(None);
    };
    let Some(markup_obj) = markup.as_object() else {
        return Err(bad("can't parse reply keyboard markup JSON object"));
    };
    let Some(keyboard) = markup_obj.get("inline_keyboard") else {
        return Ok(None);
    };
    let rows = keyboard.as_array().ok_or_else(|| {
        bad("field \"inline_keyboard\" of the InlineKeyboardMarkup must be an Array")
    })?;
    for row in rows {
        let buttons = row.as_array().ok_or_else(|| {
            bad("field \"inline_keyboard\" of the InlineKeyboardMarkup must be an Array of Arrays")
        })?;
        for button in buttons {
            if button
                .get("text")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
            {
                return Err(bad("text buttons are unallowed in the inline keyboard"));
            }
            if let Some(data) = button.get("callback_data") {
                let data = data.as_str().unwrap_or_default();
                if data.is_empty() || data.len() > 64 {
                    return Err(bad("BUTTON_DATA_INVALID"));
                }
            }
        }
    }
    Ok(Some(markup.clone()))
}

/// The text as shown, after the markup of `parse_mode`; refuses markup Telegram cannot parse
/// ("Bad Request: can't parse entities: …").
fn render(text: &str, parse_mode: Option<&Value>) -> Result<String, Refusal> {
    let parsed = match parse_mode.and_then(Value::as_str) {
        Some(mode) if mode.eq_ignore_ascii_case("html") => render_html(text),
        Some(mode) if mode.eq_ignore_ascii_case("markdownv2") => render_markdown_v2(text),
        Some(mode) if mode.eq_ignore_ascii_case("markdown") => Ok(text.to_string()),
        Some("") => Ok(text.to_string()),
        Some(_) => return Err(bad("unsupported parse_mode")),
        None => Ok(text.to_string()),
    };
    parsed.map_err(|e| bad(&format!("can't parse entities: {e}")))
}

fn render_html(text: &str) -> Result<String, String> {
    const TAGS: &[&str] = &[
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "tg-emoji",
        "code",
        "pre",
        "blockquote",
    ];
    let mut out = String::new();
    let mut open: Vec<String> = Vec::new();
    let mut rest = text;
    let mut offset = 0;
    while let Some(c) = rest.chars().next() {
        let step;
        match c {
            '<' => {
                let Some(end) = rest.find('>') else {
                    return Err(format!("Unclosed start tag at byte offset {offset}"));
                };
                let tag = &rest[1..end];
                if let Some(name) = tag.strip_prefix('/') {
                    let name = name.trim().to_ascii_lowercase();
                    match open.pop() {
                        Some(o) if o == name => {}
                        Some(o) => {
                            return Err(format!(
                                "Unmatched end tag at byte offset {offset}, expected \"</{o}>\", \
                                 found \"</{name}>\""
                            ));
                        }
                        None => {
                            return Err(format!("Unexpected end tag at byte offset {offset}"));
                        }
                    }
                } else {
                    let name = tag
                        .split(|c: char| c.is_whitespace() || c == '/')
                        .next()
                        .unwrap_or_default()
                        .to_ascii_lowercase();
                    if !TAGS.contains(&name.as_str()) {
                        return Err(format!(
                            "Unsupported start tag \"{name}\" at byte offset {offset}"
                        ));
                    }
                    open.push(name);
                }
                step = end + 1;
            }
            '&' => {
                let entity = rest[1..]
                    .find(';')
                    .filter(|end| *end <= 10)
                    .map(|end| &rest[1..=end]);
                let decoded = entity.and_then(|e| match e {
                    "lt" => Some('<'),
                    "gt" => Some('>'),
                    "amp" => Some('&'),
                    "quot" => Some('"'),
                    _ => e
                        .strip_prefix("#x")
                        .and_then(|h| u32::from_str_radix(h, 16).ok())
                        .or_else(|| e.strip_prefix('#').and_then(|d| d.parse().ok()))
                        .and_then(char::from_u32),
                });
                match (entity, decoded) {
                    (Some(e), Some(d)) => {
                        out.push(d);
                        step = e.len() + 2;
                    }
                    _ => {
                        out.push('&');
                        step = 1;
                    }
                }
            }
            c => {
                out.push(c);
                step = c.len_utf8();
            }
        }
        rest = &rest[step..];
        offset += step;
    }
    if let Some(o) = open.last() {
        return Err(format!(
            "Can't find end tag corresponding to start tag \"{o}\""
        ));
    }
    Ok(out)
}

fn render_markdown_v2(text: &str) -> Result<String, String> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let at = |i: usize| chars.get(i).map(|(_, c)| *c);
    let mut out = String::new();
    let mut open: Vec<(&'static str, usize)> = Vec::new();
    fn toggle(kind: &'static str, offset: usize, open: &mut Vec<(&'static str, usize)>) {
        match open.iter().position(|(k, _)| *k == kind) {
            Some(i) => {
                open.remove(i);
            }
            None => open.push((kind, offset)),
        }
    }
    let mut i = 0;
    let mut line_start = true;
    while i < chars.len() {
        let (offset, c) = chars[i];
        let mut next_line_start = false;
        match c {
            '\\' => {
                if let Some(escaped) = at(i + 1) {
                    out.push(escaped);
                    i += 1;
                }
            }
            '`' if at(i + 1) == Some('`') && at(i + 2) == Some('`') => {
                // ```language\ncode```: only ` and \ need escaping inside.
                let mut j = i + 3;
                let mut closed = false;
                while j < chars.len() {
                    match chars[j].1 {
                        '\\' => {
                            out.extend(at(j + 1));
                            j += 1;
                        }
                        '`' if at(j + 1) == Some('`') && at(j + 2) == Some('`') => {
                            closed = true;
                            break;
                        }
                        c => out.push(c),
                    }
                    j += 1;
                }
                if !closed {
                    return Err(format!(
                        "Can't find end of Pre entity at byte offset {offset}"
                    ));
                }
                i = j + 2;
            }
            '`' => {
                let mut j = i + 1;
                let mut closed = false;
                while j < chars.len() {
                    match chars[j].1 {
                        '\\' => {
                            out.extend(at(j + 1));
                            j += 1;
                        }
                        '`' => {
                            closed = true;
                            break;
                        }
                        c => out.push(c),
                    }
                    j += 1;
                }
                if !closed {
                    return Err(format!(
                        "Can't find end of Code entity at byte offset {offset}"
                    ));
                }
                i = j;
            }
            '*' => toggle("Bold", offset, &mut open),
            '_' if at(i + 1) == Some('_') => {
                toggle("Underline", offset, &mut open);
                i += 1;
            }
            '_' => toggle("Italic", offset, &mut open),
            '~' => toggle("Strikethrough", offset, &mut open),
            '|' if at(i + 1) == Some('|') => {
                toggle("Spoiler", offset, &mut open);
                i += 1;
            }
            '[' => open.push(("TextUrl", offset)),
            '!' if at(i + 1) == Some('[') => {
                open.push(("CustomEmoji", offset));
                i += 1;
            }
            ']' if open
                .iter()
                .any(|(k, _)| *k == "TextUrl" || *k == "CustomEmoji") =>
            {
                let position = open
                    .iter()
                    .rposition(|(k, _)| *k == "TextUrl" || *k == "CustomEmoji")
                    .unwrap_or_default();
                open.remove(position);
                if at(i + 1) != Some('(') {
                    return Err(format!(
                        "Can't find end of a URL at byte offset {}",
                        offset + 1
                    ));
                }
                // (url): only ) and \ need escaping inside.
                let mut j = i + 2;
                loop {
                    match at(j) {
                        None => {
                            return Err(format!(
                                "Can't find end of a URL at byte offset {}",
                                offset + 1
                            ));
                        }
                        Some('\\') => j += 2,
                        Some(')') => break,
                        Some(_) => j += 1,
                    }
                }
                i = j;
            }
            '>' if line_start => {}
            '\n' => {
                out.push('\n');
                next_line_start = true;
            }
            ']' | '(' | ')' | '>' | '#' | '+' | '-' | '=' | '|' | '{' | '}' | '.' | '!' => {
                return Err(format!(
                    "Character '{c}' is reserved and must be escaped with the preceding '\\'"
                ));
            }
            c => out.push(c),
        }
        line_start = next_line_start;
        i += 1;
    }
    if let Some((kind, offset)) = open.first() {
        return Err(format!(
            "Can't find end of {kind} entity at byte offset {offset}"
        ));
    }
    Ok(out)
}

async fn handle(
    AxumState(shared): AxumState<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path();
    if let Some(rest) = path.strip_prefix("/file/") {
        let (token, file_path) = rest.split_once('/').unwrap_or((rest, ""));
        return download(&shared, token, &super::percent_decode(file_path));
    }
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let [bot, method] = segments[..] else {
        return api_error(404, "Not Found");
    };
    let Some(token) = super::percent_decode(bot)
        .strip_prefix("bot")
        .map(str::to_string)
    else {
        return api_error(404, "Not Found");
    };
    if token != shared.token {
        return api_error(401, "Unauthorized");
    }
    let Some(method) = canonical(method) else {
        return api_error(404, "Not Found: method not found");
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let params = match Params::parse(uri.query(), content_type, &body, &typed) {
        Ok(params) => params,
        Err(e) => return api_error(400, &format!("Bad Request: {e}")),
    };
    if method == "getUpdates" {
        return get_updates(&shared, &params.fields).await;
    }
    let (result, document) = shared.state.lock().unwrap().call(method, &params);
    shared.log.push(Sent {
        method: method.to_string(),
        body: Value::Object(params.fields.clone()),
        document,
        error: result.as_ref().err().map(|(_, d)| d.clone()),
    });
    match result {
        Ok(result) => api_ok(result),
        Err((code, description)) => api_error(code, &description),
    }
}

async fn get_updates(shared: &Shared, p: &Map<String, Value>) -> Response {
    let offset = p.get("offset").and_then(as_i64).unwrap_or(0);
    let limit = p.get("limit").and_then(as_i64).unwrap_or(100).clamp(1, 100) as usize;
    let timeout = p.get("timeout").and_then(as_i64).unwrap_or(0).clamp(0, 50) as u64;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout);
    let generation = {
        let mut state = shared.state.lock().unwrap();
        if state.webhook.is_some() {
            return api_error(409, WEBHOOK_ACTIVE);
        }
        state.confirm(offset);
        state.poll_generation += 1;
        state.poll_generation
    };
    // A newer getUpdates ends the one waiting, as Telegram does.
    shared.updates.notify_waiters();
    // Once the negative offset has trimmed the queue, everything left is delivered.
    let offset = offset.max(0);
    loop {
        let woken = shared.updates.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        {
            let mut state = shared.state.lock().unwrap();
            if state.poll_generation != generation {
                return api_error(409, TERMINATED);
            }
            if state.webhook.is_some() {
                return api_error(409, WEBHOOK_ACTIVE);
            }
            let batch = state.take_updates(offset, limit);
            if !batch.is_empty() || tokio::time::Instant::now() >= deadline {
                return api_ok(Value::Array(batch));
            }
        }
        let _ = tokio::time::timeout_at(deadline, woken).await;
    }
}

fn download(shared: &Shared, token: &str, file_path: &str) -> Response {
    if super::percent_decode(token).strip_prefix("bot") != Some(shared.token.as_str()) {
        return api_error(401, "Unauthorized");
    }
    let mut state = shared.state.lock().unwrap();
    let bytes = state
        .file_paths
        .get(file_path)
        .and_then(|id| state.files.get(id))
        .and_then(|f| f.bytes.clone());
    match bytes {
        Some(bytes) => {
            state.downloads.push(file_path.to_string());
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/octet-stream")],
                bytes,
            )
                .into_response()
        }
        None => api_error(404, "Not Found"),
    }
}
