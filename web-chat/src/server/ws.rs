//! The chat over WebSocket: frames in, agent turns, frames out (the protocol is documented in
//! ARCHITECTURE.md). One socket is three tasks: a receiver that parses frames, a worker that runs
//! the turns one at a time, and a sender that writes frames and closes the socket on shutdown.

use super::AppState;
use super::auth::{Authed, same_origin, user_json};
use super::error::ApiError;
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;
use tokio::sync::mpsc;
use uuid::Uuid;
use wakil_agent::engine::AgentError;
use wakil_agent::event::{Attachment, Inbound, Outbound};
use wakil_schema::Caller;
use wakil_schema::store::StoredMessage;
use wakil_schema::{MessageRole, StoreError};

/// Longest user message accepted, in characters.
const MAX_TEXT: usize = 4000;
/// Frames waiting for the worker; beyond, the user is asked to wait.
const QUEUE: usize = 8;
/// Messages replayed when a socket (re)connects.
const HISTORY: i64 = 100;
/// Close code when the server stops (the page reconnects).
const CLOSE_GOING_AWAY: u16 = 1001;
/// Close code of a socket whose session is over (logout, expiry): the page shows the login.
const CLOSE_SESSION_ENDED: u16 = 4401;

/// What the sender task writes: a frame, or the close of the socket.
enum Out {
    Frame(Value),
    Close(u16, &'static str),
}

/// A frame from the page.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ClientFrame {
    Message {
        #[serde(default)]
        text: String,
        #[serde(default)]
        residence: Option<String>,
        #[serde(default)]
        attachments: Vec<Uuid>,
    },
    Confirm {
        id: Uuid,
    },
    Cancel {
        id: Uuid,
    },
    NewConversation,
}

pub async fn upgrade(
    State(state): State<Arc<AppState>>,
    authed: Authed,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    same_origin(&headers)?;
    Ok(ws
        .max_message_size(64 * 1024)
        .on_upgrade(move |socket| serve_socket(state, authed, socket)))
}

async fn serve_socket(state: Arc<AppState>, authed: Authed, socket: WebSocket) {
    let (mut sink, mut stream) = socket.split();
    let (out, mut outgoing) = mpsc::unbounded_channel::<Out>();
    let (frames, mut incoming) = mpsc::channel::<ClientFrame>(QUEUE);

    let shutdown = state.shutdown.clone();
    let sender = tokio::spawn(async move {
        let stopping = stopped(shutdown);
        tokio::pin!(stopping);
        loop {
            tokio::select! {
                frame = outgoing.recv() => match frame {
                    Some(Out::Frame(frame)) => {
                        if sink.send(Message::Text(frame.to_string().into())).await.is_err() {
                            break;
                        }
                    }
                    Some(Out::Close(code, reason)) => {
                        let close = CloseFrame { code, reason: reason.into() };
                        let _ = sink.send(Message::Close(Some(close))).await;
                        break;
                    }
                    None => break,
                },
                () = &mut stopping => {
                    let close = CloseFrame {
                        code: CLOSE_GOING_AWAY,
                        reason: "Serveur arrêté : reconnexion dans un instant.".into(),
                    };
                    let _ = sink.send(Message::Close(Some(close))).await;
                    break;
                }
            }
        }
    });

    let errors = out.clone();
    let receiver = tokio::spawn(async move {
        while let Some(Ok(message)) = stream.next().await {
            let text = match message {
                Message::Text(text) => text,
                Message::Close(_) => break,
                Message::Binary(_) => {
                    let _ = errors.send(Out::Frame(error("Format de message non pris en charge.")));
                    continue;
                }
                Message::Ping(_) | Message::Pong(_) => continue,
            };
            match serde_json::from_str::<ClientFrame>(text.as_str()) {
                Ok(frame) => {
                    if frames.try_send(frame).is_err() {
                        let _ = errors.send(Out::Frame(error(
                            "Trop de messages à la fois : attendez la réponse en cours.",
                        )));
                    }
                }
                Err(_) => {
                    let _ =
                        errors.send(Out::Frame(error("Message illisible : rechargez la page.")));
                }
            }
        }
    });

    // The worker is never aborted: a turn that has begun (a confirmed payment) runs to its end
    // and is stored, even if the user has left. `live` tells the server a turn may still run.
    let live = state.live.clone();
    let worker = tokio::spawn(async move {
        let _live = live;
        let mut chat = Chat {
            state: &state,
            caller: authed.caller,
            token_sha256: authed.token_sha256,
            out: &out,
            conversation: None,
        };
        if let Err(e) = chat.hello(false).await {
            chat.send(error(&e.to_string()));
            return;
        }
        while let Some(frame) = incoming.recv().await {
            if !chat.session_alive().await {
                chat.send(error("Votre session est terminée : reconnectez-vous."));
                let _ = out.send(Out::Close(CLOSE_SESSION_ENDED, "Session terminée"));
                return;
            }
            chat.turn(frame).await;
        }
    });

    // The socket ends when either side of it does; the worker then drains what it was given.
    let (sender_abort, receiver_abort) = (sender.abort_handle(), receiver.abort_handle());
    tokio::select! {
        _ = sender => receiver_abort.abort(),
        _ = receiver => {}
    }
    let _ = worker.await;
    sender_abort.abort();
}

/// One socket's conversation.
struct Chat<'a> {
    state: &'a AppState,
    caller: Caller,
    token_sha256: String,
    out: &'a mpsc::UnboundedSender<Out>,
    conversation: Option<i64>,
}

impl Chat<'_> {
    fn send(&self, frame: Value) {
        // The page may be gone; the turn is stored anyway.
        let _ = self.out.send(Out::Frame(frame));
    }

    /// Whether the socket's session is still valid (not logged out, not expired): checked
    /// before every turn, so a socket never outlives its login.
    async fn session_alive(&self) -> bool {
        match self
            .state
            .store()
            .session_caller(&self.token_sha256, self.caller.canal)
            .await
        {
            Ok(found) => found.is_some_and(|c| c.user_id == self.caller.user_id),
            // The database hiccuped: the turn will say so itself.
            Err(_) => true,
        }
    }

    /// The first frame: who is connected, the conversation so far, the actions still waiting.
    async fn hello(&mut self, fresh: bool) -> Result<(), AgentError> {
        let agent = &self.state.agent;
        let id = if fresh {
            agent.new_conversation(&self.caller).await?
        } else {
            agent.current_conversation(&self.caller).await?
        };
        self.conversation = Some(id);
        let mut t = self
            .state
            .store()
            .tenant_read(self.caller.syndic_id)
            .await?;
        let messages = t.recent_messages(id, HISTORY).await?;
        let waiting = t.waiting_action(&self.caller, id).await?;
        t.commit().await?;
        let history: Vec<Value> = messages.iter().filter_map(history_entry).collect();
        let pending: Vec<Uuid> = waiting.map(|a| a.id).into_iter().collect();
        self.send(json!({
            "type": "hello",
            "user": user_json(&self.caller),
            "conversation": id,
            "history": history,
            "pending": pending,
        }));
        Ok(())
    }

    async fn turn(&mut self, frame: ClientFrame) {
        let (sink, events) = mpsc::unbounded_channel::<Outbound>();
        let state = self.state;
        let agent = &state.agent;
        let result = match frame {
            ClientFrame::NewConversation => match self.hello(true).await {
                Ok(()) => return,
                Err(e) => Err(e),
            },
            ClientFrame::Confirm { id } => {
                let decided = agent.decide(&self.caller, id, true, &sink);
                self.forward_while(events, decided).await
            }
            ClientFrame::Cancel { id } => {
                let decided = agent.decide(&self.caller, id, false, &sink);
                self.forward_while(events, decided).await
            }
            ClientFrame::Message {
                text,
                residence,
                attachments,
            } => {
                if text.chars().count() > MAX_TEXT {
                    return self.refuse(&format!(
                        "Message trop long : {MAX_TEXT} caractères au plus. Raccourcissez-le."
                    ));
                }
                if text.trim().is_empty() && attachments.is_empty() {
                    return self.refuse("Écrivez votre message avant de l'envoyer.");
                }
                let attachments = match self.attachments(&attachments).await {
                    Ok(Some(found)) => found,
                    Ok(None) => {
                        return self.refuse(
                            "Fichier introuvable : envoyez-le de nouveau avant votre message.",
                        );
                    }
                    Err(e) => return self.refuse(&AgentError::from(e).to_string()),
                };
                let inbound = Inbound {
                    caller: self.caller.clone(),
                    text,
                    conversation: self.conversation,
                    attachments,
                    residence,
                };
                let handled = agent.handle(inbound, &sink);
                self.forward_while(events, handled).await
            }
        };
        match result {
            Ok(report) => {
                self.conversation = Some(report.conversation);
                self.send(json!({ "type": "done", "path": report.path }));
            }
            Err(e) => self.refuse(&e.to_string()),
        }
    }

    /// Ends a turn on an error message.
    fn refuse(&self, message: &str) {
        self.send(error(message));
        self.send(json!({ "type": "done", "path": null }));
    }

    /// Runs a turn, forwarding its events as frames while it runs.
    async fn forward_while<T>(
        &self,
        mut events: mpsc::UnboundedReceiver<Outbound>,
        turn: impl std::future::Future<Output = T>,
    ) -> T {
        tokio::pin!(turn);
        loop {
            tokio::select! {
                Some(event) = events.recv() => self.send(event_frame(&event)),
                result = &mut turn => {
                    while let Ok(event) = events.try_recv() {
                        self.send(event_frame(&event));
                    }
                    return result;
                }
            }
        }
    }

    /// The caller's own uploaded files, or `None` if one of them is not theirs or unknown.
    async fn attachments(&self, ids: &[Uuid]) -> Result<Option<Vec<Attachment>>, StoreError> {
        if ids.is_empty() {
            return Ok(Some(Vec::new()));
        }
        let mut t = self
            .state
            .store()
            .tenant_read(self.caller.syndic_id)
            .await?;
        let mut found = Vec::with_capacity(ids.len());
        for id in ids {
            match t.fichier(*id).await? {
                Some(f) if f.user_id == self.caller.user_id => found.push(Attachment::from(f)),
                _ => return Ok(None),
            }
        }
        t.commit().await?;
        Ok(Some(found))
    }
}

/// Completes when the server starts stopping.
async fn stopped(mut shutdown: tokio::sync::watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stopping| *stopping).await;
}

fn error(message: &str) -> Value {
    json!({ "type": "error", "message": message })
}

/// An agent event as a frame: the same JSON, with a link for a file.
fn event_frame(event: &Outbound) -> Value {
    with_url(serde_json::to_value(event).unwrap_or_else(|_| error("Affichage impossible.")))
}

fn with_url(mut frame: Value) -> Value {
    if frame["type"] == "file"
        && let Some(id) = frame["id"].as_str().map(str::to_string)
    {
        frame["url"] = Value::String(format!("/fichiers/{id}"));
    }
    frame
}

/// A stored message as the page replays it; tool messages are not shown.
fn history_entry(m: &StoredMessage) -> Option<Value> {
    let at = m.created_at.to_rfc3339();
    match m.role {
        MessageRole::User => {
            let attachments: Vec<Value> = m
                .donnees
                .as_ref()
                .and_then(|d| d["attachments"].as_array())
                .map(|files| {
                    files
                        .iter()
                        .map(|f| {
                            let mut f = f.clone();
                            f["type"] = "file".into();
                            with_url(f)
                        })
                        .collect()
                })
                .unwrap_or_default();
            Some(json!({ "role": "user", "text": m.contenu, "attachments": attachments, "at": at }))
        }
        MessageRole::Assistant => {
            let events: Vec<Value> = match m.donnees.as_ref().and_then(|d| d["events"].as_array()) {
                Some(events) => events.iter().cloned().map(with_url).collect(),
                // An answer stored before events were kept: its text.
                None => vec![json!({ "type": "text", "text": m.contenu })],
            };
            Some(json!({ "role": "assistant", "events": events, "at": at }))
        }
        _ => None,
    }
}
