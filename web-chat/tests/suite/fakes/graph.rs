//! A fake WhatsApp Cloud API (Graph API style), close to the real one on the wire:
//! `{url}` = `http://127.0.0.1:PORT/v21.0` (any `vN.M` version is accepted),
//! `Authorization: Bearer <token>` on every request (or `access_token=` in the query), Graph
//! errors `{"error":{"message","type","code",…,"fbtrace_id"}}`.
//!
//! - `POST /{phone_number_id}/messages` (JSON): text, interactive (button, list), media by `id` or
//!   `link`, template, read receipts; checked like the real API (lengths, 1-3 buttons, titles of
//!   20 characters at most…), recorded, answered with a `wamid.FAKE<n>`.
//! - `POST /{phone_number_id}/media` (multipart: `messaging_product`, `type`, `file`): recorded,
//!   answered `{"id":"<media id>"}`.
//! - `GET /{media_id}`: its URL (on this server but outside the versioned API, like the real
//!   `lookaside.fbsbx.com` one), `GET` on that URL: the bytes (bearer required too).
//!
//! The webhook payloads Meta posts to the bot are built by [`webhook_text`] & co, signed by
//! [`sign`] (`X-Hub-Signature-256`).

use super::{Log, Params, SentFile, base64, bind, hex, serve, unix_now};
use axum::body::Bytes;
use axum::extract::State as AxumState;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, Mac};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The API version of [`FakeGraph::url`].
pub const GRAPH_VERSION: &str = "v21.0";
/// The business phone number shown in the webhook payloads' `metadata`.
pub const DISPLAY_PHONE_NUMBER: &str = "15550009999";
/// The WhatsApp Business Account id of the webhook payloads' `entry[].id`.
pub const WABA_ID: &str = "102290129340398";

/// One POST the bot made, in the order received.
#[derive(Debug, Clone)]
pub struct GraphSent {
    /// The path after the version: `/{phone_number_id}/messages`, `/{phone_number_id}/media`.
    pub path: String,
    /// The JSON body; for a multipart upload, its text parts (`messaging_product`, `type`).
    pub body: Value,
    /// The uploaded file (the `file` part) of a media upload.
    pub file: Option<SentFile>,
    /// The fake's refusal (`error.message`, with `error_data.details` when any), `None` when
    /// it answered ok.
    pub error: Option<String>,
}

impl GraphSent {
    /// `body.to` as a wa_id (digits only).
    pub fn to(&self) -> Option<String> {
        Some(wa_id(self.body.get("to")?.as_str()?))
    }

    /// `body.type`.
    pub fn kind(&self) -> Option<&str> {
        self.body.get("type")?.as_str()
    }

    /// The text of a text message, or the body text of an interactive one.
    pub fn text(&self) -> Option<&str> {
        match self.kind()? {
            "text" => self.body.pointer("/text/body")?.as_str(),
            "interactive" => self.body.pointer("/interactive/body/text")?.as_str(),
            _ => None,
        }
    }
}

/// A fake WhatsApp Cloud API on 127.0.0.1, for one access token and one business phone number.
pub struct FakeGraph {
    shared: Arc<Shared>,
}

struct Shared {
    token: String,
    phone_number_id: String,
    addr: String,
    state: Mutex<GraphState>,
    log: Log<GraphSent>,
}

struct Media {
    bytes: Vec<u8>,
    mime: String,
}

#[derive(Default)]
struct GraphState {
    media: HashMap<String, Media>,
    last_media: u64,
    last_message: u64,
    downloads: Vec<String>,
}

struct GraphError {
    status: u16,
    body: Value,
}

impl GraphError {
    fn new(status: u16, message: &str, kind: &str, code: u32) -> Self {
        GraphError {
            status,
            body: json!({ "error": { "message": message, "type": kind, "code": code,
                                     "fbtrace_id": "AFakeTraceId0000000000" } }),
        }
    }

    fn param(message: &str) -> Self {
        GraphError::new(400, &format!("(#100) {message}"), "OAuthException", 100)
    }

    /// 131009: the shape of the request is right, a value is not.
    fn invalid(details: &str) -> Self {
        let mut e = GraphError::new(
            400,
            "(#131009) Parameter value is not valid",
            "OAuthException",
            131_009,
        );
        e.body["error"]["error_data"] =
            json!({ "messaging_product": "whatsapp", "details": details });
        e
    }

    fn unauthorized() -> Self {
        GraphError::new(401, "Invalid OAuth access token.", "OAuthException", 190)
    }

    fn unsupported(method: &str, id: &str) -> Self {
        let mut e = GraphError::new(
            400,
            &format!(
                "Unsupported {method} request. Object with ID '{id}' does not exist, cannot be \
                 loaded due to missing permissions, or does not support this operation. Please \
                 read the Graph API documentation at https://developers.facebook.com/docs/graph-api"
            ),
            "GraphMethodException",
            100,
        );
        e.body["error"]["error_subcode"] = json!(33);
        e
    }

    fn summary(&self) -> String {
        let message = self.body["error"]["message"].as_str().unwrap_or_default();
        match self
            .body
            .pointer("/error/error_data/details")
            .and_then(Value::as_str)
        {
            Some(details) => format!("{message}: {details}"),
            None => message.to_string(),
        }
    }

    fn into_response(self) -> Response {
        (
            StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST),
            axum::Json(self.body),
        )
            .into_response()
    }
}

/// `+33 6 12-34` → `33612 34`'s digits: what WhatsApp answers as `wa_id`.
fn wa_id(input: &str) -> String {
    input.chars().filter(char::is_ascii_digit).collect()
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

impl FakeGraph {
    /// Starts the fake for the access token `token` and the business phone number
    /// `phone_number_id`.
    pub async fn start(token: &str, phone_number_id: &str) -> FakeGraph {
        let (listener, addr) = bind().await;
        let shared = Arc::new(Shared {
            token: token.to_string(),
            phone_number_id: phone_number_id.to_string(),
            addr,
            state: Mutex::new(GraphState::default()),
            log: Log::new(),
        });
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(shared.clone());
        serve(listener, app);
        FakeGraph { shared }
    }

    /// The API base with its version, `http://127.0.0.1:PORT/v21.0`: the bot's Graph URL.
    pub fn url(&self) -> String {
        format!("http://{}/{GRAPH_VERSION}", self.shared.addr)
    }

    /// Adds a media as a user's upload (an image or document they sent): gives its media id, for
    /// [`webhook_image`] or [`webhook_document`].
    pub fn add_media(&self, bytes: Vec<u8>, mime: &str) -> String {
        self.shared.state.lock().unwrap().add_media(bytes, mime)
    }

    /// Every POST the bot made, in order.
    pub fn sent(&self) -> Vec<GraphSent> {
        self.shared.log.all()
    }

    /// The first POST matching `what` (already made or coming within `timeout`); panics with
    /// everything sent when none comes.
    pub async fn wait_for(
        &self,
        what: impl Fn(&GraphSent) -> bool,
        timeout: Duration,
    ) -> GraphSent {
        self.shared.log.wait_for(what, timeout).await
    }

    /// The accepted messages' texts to `wa_id`, in order: text bodies and interactive body texts.
    pub fn texts_to(&self, wa_id: &str) -> Vec<String> {
        self.sent()
            .iter()
            .filter(|s| {
                s.error.is_none()
                    && s.path.ends_with("/messages")
                    && s.to().as_deref() == Some(wa_id)
            })
            .filter_map(|s| s.text().map(str::to_string))
            .collect()
    }

    /// The accepted messages to `wa_id`, in order (their JSON bodies).
    pub fn messages_to(&self, wa_id: &str) -> Vec<Value> {
        self.sent()
            .into_iter()
            .filter(|s| {
                s.error.is_none()
                    && s.path.ends_with("/messages")
                    && s.to().as_deref() == Some(wa_id)
            })
            .map(|s| s.body)
            .collect()
    }

    /// A media as the fake holds it (added by the test or uploaded by the bot): bytes and type.
    pub fn media(&self, media_id: &str) -> Option<(Vec<u8>, String)> {
        let state = self.shared.state.lock().unwrap();
        state
            .media
            .get(media_id)
            .map(|m| (m.bytes.clone(), m.mime.clone()))
    }

    /// The media ids whose bytes the bot downloaded, in order.
    pub fn downloads(&self) -> Vec<String> {
        self.shared.state.lock().unwrap().downloads.clone()
    }
}

impl GraphState {
    fn add_media(&mut self, bytes: Vec<u8>, mime: &str) -> String {
        self.last_media += 1;
        let id = (1_000_000_000_000_000u64 + self.last_media).to_string();
        self.media.insert(
            id.clone(),
            Media {
                bytes,
                mime: mime.to_string(),
            },
        );
        id
    }

    fn send_message(&mut self, body: &Map<String, Value>) -> Result<Value, GraphError> {
        if body.get("messaging_product").and_then(Value::as_str) != Some("whatsapp") {
            return Err(GraphError::param(
                "The parameter messaging_product is required.",
            ));
        }
        // Read receipt (and typing indicator).
        if body.get("status").is_some() {
            if body.get("status").and_then(Value::as_str) != Some("read") {
                return Err(GraphError::param("Param status must be one of {read}"));
            }
            if body.get("message_id").and_then(Value::as_str).is_none() {
                return Err(GraphError::param("The parameter message_id is required."));
            }
            return Ok(json!({ "success": true }));
        }
        let Some(to) = body
            .get("to")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
        else {
            return Err(GraphError::param("The parameter to is required."));
        };
        let kind = body.get("type").and_then(Value::as_str).unwrap_or("text");
        const KINDS: &[&str] = &[
            "text",
            "image",
            "audio",
            "document",
            "video",
            "sticker",
            "location",
            "contacts",
            "interactive",
            "template",
            "reaction",
        ];
        if !KINDS.contains(&kind) {
            return Err(GraphError::param(&format!(
                "Param type must be one of {{{}}}",
                KINDS.join(", ")
            )));
        }
        let Some(content) = body.get(kind).filter(|v| v.is_object()) else {
            return Err(GraphError::param(&format!(
                "The parameter {kind} is required."
            )));
        };
        match kind {
            "text" => check_text(content)?,
            "interactive" => check_interactive(content)?,
            "image" | "audio" | "document" | "video" | "sticker" => {
                check_media(kind, content)?;
            }
            "template" => {
                if content.get("name").and_then(Value::as_str).is_none() {
                    return Err(GraphError::param(
                        "The parameter template['name'] is required.",
                    ));
                }
                if content
                    .pointer("/language/code")
                    .and_then(Value::as_str)
                    .is_none()
                {
                    return Err(GraphError::param(
                        "The parameter template['language']['code'] is required.",
                    ));
                }
            }
            _ => {}
        }
        self.last_message += 1;
        let mut message = json!({ "id": format!("wamid.FAKE{}", self.last_message) });
        if kind == "template" {
            message["message_status"] = json!("accepted");
        }
        Ok(json!({ "messaging_product": "whatsapp",
                   "contacts": [{ "input": to, "wa_id": wa_id(to) }],
                   "messages": [message] }))
    }

    fn upload(&mut self, params: &Params) -> (Result<Value, GraphError>, Option<SentFile>) {
        let file = params.file("file").map(super::Part::file);
        let fields = &params.fields;
        if fields.get("messaging_product").and_then(Value::as_str) != Some("whatsapp") {
            return (
                Err(GraphError::param(
                    "The parameter messaging_product is required.",
                )),
                file,
            );
        }
        let Some(file) = file else {
            return (
                Err(GraphError::param("The parameter file is required.")),
                None,
            );
        };
        let Some(mime) = fields.get("type").and_then(Value::as_str) else {
            return (
                Err(GraphError::param("The parameter type is required.")),
                Some(file),
            );
        };
        if file.bytes.is_empty() {
            return (
                Err(GraphError::param(
                    "Param file must be a file with one of the following types: audio, document, image, video, sticker",
                )),
                Some(file),
            );
        }
        let id = self.add_media(file.bytes.clone(), mime);
        (Ok(json!({ "id": id })), Some(file))
    }
}

fn check_text(text: &Value) -> Result<(), GraphError> {
    let Some(body) = text.get("body").and_then(Value::as_str) else {
        return Err(GraphError::param("The parameter text['body'] is required."));
    };
    if body.is_empty() {
        return Err(GraphError::param(
            "Param text['body'] must be at least 1 character long.",
        ));
    }
    if body.chars().count() > 4096 {
        return Err(GraphError::param(
            "Param text['body'] must be at most 4096 characters long.",
        ));
    }
    Ok(())
}

fn check_interactive(interactive: &Value) -> Result<(), GraphError> {
    let kind = interactive
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| GraphError::param("The parameter interactive['type'] is required."))?;
    let Some(body) = interactive.pointer("/body/text").and_then(Value::as_str) else {
        return Err(GraphError::param(
            "The parameter interactive['body'] is required.",
        ));
    };
    if body.is_empty() || body.chars().count() > 1024 {
        return Err(GraphError::invalid(
            "Body text length invalid. Min length: 1, Max length: 1024",
        ));
    }
    match kind {
        "button" => {
            let buttons = interactive
                .pointer("/action/buttons")
                .and_then(Value::as_array)
                .ok_or_else(|| {
                    GraphError::param("The parameter interactive['action']['buttons'] is required.")
                })?;
            if buttons.is_empty() || buttons.len() > 3 {
                return Err(GraphError::invalid(
                    "Number of buttons invalid. Min: 1, Max: 3",
                ));
            }
            let (mut ids, mut titles) = (HashSet::new(), HashSet::new());
            for button in buttons {
                if button.get("type").and_then(Value::as_str) != Some("reply") {
                    return Err(GraphError::param(
                        "Param interactive['action']['buttons'][0]['type'] must be one of {reply}",
                    ));
                }
                let id = button
                    .pointer("/reply/id")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let title = button
                    .pointer("/reply/title")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                if id.is_empty() || id.chars().count() > 256 {
                    return Err(GraphError::invalid(
                        "Button id length invalid. Min length: 1, Max length: 256",
                    ));
                }
                if title.is_empty() || title.chars().count() > 20 {
                    return Err(GraphError::invalid(
                        "Button title length invalid. Min length: 1, Max length: 20",
                    ));
                }
                if !ids.insert(id) {
                    return Err(GraphError::invalid("Duplicate button id"));
                }
                if !titles.insert(title) {
                    return Err(GraphError::invalid("Duplicate button title"));
                }
            }
        }
        "list" => {
            let button = interactive
                .pointer("/action/button")
                .and_then(Value::as_str)
                .unwrap_or("");
            if button.is_empty() || button.chars().count() > 20 {
                return Err(GraphError::invalid(
                    "Button label length invalid. Min length: 1, Max length: 20",
                ));
            }
            let sections = interactive
                .pointer("/action/sections")
                .and_then(Value::as_array)
                .filter(|s| !s.is_empty() && s.len() <= 10)
                .ok_or_else(|| {
                    GraphError::invalid("Number of sections invalid. Min: 1, Max: 10")
                })?;
            let rows: usize = sections
                .iter()
                .map(|s| s.get("rows").and_then(Value::as_array).map_or(0, Vec::len))
                .sum();
            if rows == 0 || rows > 10 {
                return Err(GraphError::invalid(
                    "Total row count invalid. Min: 1, Max: 10",
                ));
            }
            for row in sections
                .iter()
                .filter_map(|s| s.get("rows").and_then(Value::as_array))
                .flatten()
            {
                let title = row.get("title").and_then(Value::as_str).unwrap_or("");
                if title.is_empty() || title.chars().count() > 24 {
                    return Err(GraphError::invalid(
                        "Row title length invalid. Min length: 1, Max length: 24",
                    ));
                }
            }
        }
        "cta_url" | "product" | "product_list" | "flow" | "location_request_message" => {}
        other => {
            return Err(GraphError::param(&format!(
                "Param interactive['type'] must be one of {{button, list, cta_url, product, \
                 product_list, flow, location_request_message}}, got {other}"
            )));
        }
    }
    Ok(())
}

fn check_media(kind: &str, media: &Value) -> Result<(), GraphError> {
    let id = media.get("id").and_then(Value::as_str);
    let link = media.get("link").and_then(Value::as_str);
    match (id, link) {
        (Some(_), Some(_)) => Err(GraphError::param(&format!(
            "Param {kind} must have exactly one of id or link"
        ))),
        (None, None) => Err(GraphError::param(&format!(
            "The parameter {kind}['id'] or {kind}['link'] is required."
        ))),
        (None, Some(link)) if !(link.starts_with("https://") || link.starts_with("http://")) => {
            Err(GraphError::param(&format!(
                "Param {kind}['link'] must be a valid URL"
            )))
        }
        _ => {
            let caption = media.get("caption").and_then(Value::as_str).unwrap_or("");
            if caption.chars().count() > 1024 {
                return Err(GraphError::param(&format!(
                    "Param {kind}['caption'] must be at most 1024 characters long."
                )));
            }
            Ok(())
        }
    }
}

fn graph_typed(_key: &str, value: String) -> Value {
    Value::String(value)
}

async fn handle(
    AxumState(shared): AxumState<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let query = super::parse_urlencoded(uri.query().unwrap_or_default());
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| token.trim().to_string())
        })
        .or_else(|| {
            query
                .iter()
                .find(|(k, _)| k == "access_token")
                .map(|(_, v)| v.clone())
        });
    if bearer.as_deref() != Some(shared.token.as_str()) {
        return GraphError::unauthorized().into_response();
    }
    let path = uri.path();
    // The media download URL, outside the versioned API.
    if let Some(id) = path.strip_prefix("/media-bytes/") {
        let mut state = shared.state.lock().unwrap();
        let found = state
            .media
            .get(id)
            .map(|m| (m.bytes.clone(), m.mime.clone()));
        return match found {
            Some((bytes, mime)) if method == Method::GET => {
                state.downloads.push(id.to_string());
                (StatusCode::OK, [(header::CONTENT_TYPE, mime)], bytes).into_response()
            }
            _ => (StatusCode::NOT_FOUND, "Not Found").into_response(),
        };
    }
    let mut segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let versioned = segments.first().is_some_and(|s| {
        s.strip_prefix('v')
            .is_some_and(|v| !v.is_empty() && v.chars().all(|c| c.is_ascii_digit() || c == '.'))
    });
    if versioned {
        segments.remove(0);
    }
    let relative = format!("/{}", segments.join("/"));
    let method_name = method.as_str().to_ascii_lowercase();
    match (method.clone(), &segments[..]) {
        (Method::POST, [id, edge @ ("messages" | "media")]) => {
            if *id != shared.phone_number_id {
                return GraphError::unsupported("post", id).into_response();
            }
            let content_type = headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            let params = match Params::parse(uri.query(), content_type, &body, &graph_typed) {
                Ok(mut params) => {
                    params.fields.remove("access_token");
                    params
                }
                Err(e) => {
                    return GraphError::param(&format!("Invalid request body: {e}"))
                        .into_response();
                }
            };
            let (result, file) = {
                let mut state = shared.state.lock().unwrap();
                if *edge == "messages" {
                    (state.send_message(&params.fields), None)
                } else {
                    state.upload(&params)
                }
            };
            shared.log.push(GraphSent {
                path: relative,
                body: Value::Object(params.fields.clone()),
                file,
                error: result.as_ref().err().map(GraphError::summary),
            });
            match result {
                Ok(answer) => (StatusCode::OK, axum::Json(answer)).into_response(),
                Err(e) => e.into_response(),
            }
        }
        (Method::GET, [id]) => {
            let state = shared.state.lock().unwrap();
            match state.media.get(*id) {
                Some(media) => (
                    StatusCode::OK,
                    axum::Json(json!({
                        "messaging_product": "whatsapp",
                        "url": format!("http://{}/media-bytes/{id}", shared.addr),
                        "mime_type": media.mime,
                        "sha256": sha256_hex(&media.bytes),
                        "file_size": media.bytes.len(),
                        "id": id,
                    })),
                )
                    .into_response(),
                None => GraphError::unsupported("get", id).into_response(),
            }
        }
        (Method::DELETE, [id]) => {
            let mut state = shared.state.lock().unwrap();
            match state.media.remove(*id) {
                Some(_) => (StatusCode::OK, axum::Json(json!({ "success": true }))).into_response(),
                None => GraphError::unsupported("delete", id).into_response(),
            }
        }
        _ => {
            let id = segments.first().copied().unwrap_or_default();
            GraphError::unsupported(&method_name, id).into_response()
        }
    }
}

// --- Webhook payloads (what Meta posts to the bot) ------------------------------------------

fn webhook(phone_number_id: &str, value: Map<String, Value>) -> Value {
    let mut full = json!({
        "messaging_product": "whatsapp",
        "metadata": { "display_phone_number": DISPLAY_PHONE_NUMBER,
                      "phone_number_id": phone_number_id },
    });
    full.as_object_mut().unwrap().extend(value);
    json!({
        "object": "whatsapp_business_account",
        "entry": [{ "id": WABA_ID, "changes": [{ "value": full, "field": "messages" }] }],
    })
}

fn inbound(
    phone_number_id: &str,
    from: &str,
    message_id: &str,
    kind: &str,
    content: Value,
) -> Value {
    let mut message = json!({ "from": from, "id": message_id,
                              "timestamp": unix_now().to_string(), "type": kind });
    message[kind] = content;
    let mut value = Map::new();
    value.insert(
        "contacts".into(),
        json!([{ "profile": { "name": "Test" }, "wa_id": from }]),
    );
    value.insert("messages".into(), json!([message]));
    webhook(phone_number_id, value)
}

/// The media's `sha256` as webhooks give it (base64); the fake has not the bytes here, it hashes
/// the media id.
fn webhook_sha256(media_id: &str) -> String {
    base64(&Sha256::digest(media_id.as_bytes()))
}

/// The webhook payload of a text message from `from` (a wa_id) to the business number
/// `phone_number_id`; `message_id` is its `wamid…`.
pub fn webhook_text(phone_number_id: &str, from: &str, message_id: &str, text: &str) -> Value {
    inbound(
        phone_number_id,
        from,
        message_id,
        "text",
        json!({ "body": text }),
    )
}

/// The webhook payload of an image (a media id of [`FakeGraph::add_media`]), with its caption.
pub fn webhook_image(
    phone_number_id: &str,
    from: &str,
    message_id: &str,
    media_id: &str,
    caption: Option<&str>,
) -> Value {
    let mut image = json!({ "mime_type": "image/jpeg", "sha256": webhook_sha256(media_id),
                            "id": media_id });
    if let Some(caption) = caption {
        image["caption"] = json!(caption);
    }
    inbound(phone_number_id, from, message_id, "image", image)
}

/// The webhook payload of a document (a media id of [`FakeGraph::add_media`]).
pub fn webhook_document(
    phone_number_id: &str,
    from: &str,
    message_id: &str,
    media_id: &str,
    filename: &str,
    mime: &str,
) -> Value {
    inbound(
        phone_number_id,
        from,
        message_id,
        "document",
        json!({ "filename": filename, "mime_type": mime, "sha256": webhook_sha256(media_id),
                "id": media_id }),
    )
}

/// The webhook payload of a press on a reply button (`type` `interactive`,
/// `interactive.type` `button_reply`). Without `context` (the message that carried the buttons).
pub fn webhook_button_reply(
    phone_number_id: &str,
    from: &str,
    message_id: &str,
    button_id: &str,
    title: &str,
) -> Value {
    inbound(
        phone_number_id,
        from,
        message_id,
        "interactive",
        json!({ "type": "button_reply", "button_reply": { "id": button_id, "title": title } }),
    )
}

/// The webhook payload of a status update (no message): `status` of the message `wamid` sent
/// to `recipient` — `sent`, `delivered`, `read`, or `failed` (then with the error 131047, the
/// 24-hour window closed).
pub fn webhook_status(phone_number_id: &str, recipient: &str, wamid: &str, status: &str) -> Value {
    let mut entry = json!({
        "id": wamid, "status": status, "timestamp": unix_now().to_string(),
        "recipient_id": recipient,
    });
    if status == "failed" {
        entry["errors"] = json!([{ "code": 131047, "title": "Re-engagement message",
            "message": "Re-engagement message",
            "error_data": { "details": "Message failed to send because more than 24 hours have \
                                        passed since the customer last replied to this number." } }]);
    } else {
        entry["conversation"] = json!({ "id": "CONVERSATION_ID_FAKE",
                                         "origin": { "type": "service" } });
        entry["pricing"] = json!({ "billable": true, "pricing_model": "CBP",
                                   "category": "service" });
    }
    let mut value = Map::new();
    value.insert("statuses".into(), json!([entry]));
    webhook(phone_number_id, value)
}

/// The `X-Hub-Signature-256` header of a webhook body: `sha256=<lowercase hex HMAC-SHA256 of
/// the body with the app secret>`.
pub fn sign(app_secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(app_secret.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex(&mac.finalize().into_bytes()))
}

/// The query of Meta's webhook verification `GET`: `hub.mode=subscribe&hub.verify_token=…&
/// hub.challenge=…` (the bot answers the challenge when the token is its own).
pub fn webhook_verify_query(verify_token: &str, challenge: &str) -> String {
    format!("hub.mode=subscribe&hub.verify_token={verify_token}&hub.challenge={challenge}")
}
