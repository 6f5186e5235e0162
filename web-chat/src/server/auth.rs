//! Login, sessions and the request guards: the session cookie gives the [`Authed`] caller; a
//! state-changing request must come from the page itself ([`same_origin`]).

use super::AppState;
use super::error::ApiError;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Argon2, password_hash::rand_core::OsRng};
use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::header::{COOKIE, HOST, ORIGIN, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wakil_schema::{Caller, Canal};
use wakil_tools::fichiers::sha256_hex;

const COOKIE_NAME: &str = "wakil_session";

/// Failed logins allowed per e-mail within [`ATTEMPT_WINDOW`].
const MAX_FAILURES: u32 = 5;
const ATTEMPT_WINDOW: Duration = Duration::from_secs(10 * 60);

/// The logged-in caller of a request, and the hash of their session token.
pub struct Authed {
    pub caller: Caller,
    pub(crate) token_sha256: String,
}

impl FromRequestParts<Arc<AppState>> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let token = session_token(&parts.headers).ok_or(ApiError::Unauthorized)?;
        let token_sha256 = sha256_hex(token.as_bytes());
        let caller = state
            .store()
            .session_caller(&token_sha256, Canal::Web)
            .await?
            .ok_or(ApiError::Unauthorized)?;
        Ok(Authed {
            caller,
            token_sha256,
        })
    }
}

/// CSRF guard: the request's `Origin` must be this server (`Host`). Browsers always send it on
/// POST and WebSocket requests; the cookie is also SameSite=Strict.
pub fn same_origin(headers: &HeaderMap) -> Result<(), ApiError> {
    let origin = headers.get(ORIGIN).and_then(|v| v.to_str().ok());
    let host = headers.get(HOST).and_then(|v| v.to_str().ok());
    match (origin, host) {
        (Some(origin), Some(host))
            if origin
                .strip_prefix("http://")
                .or_else(|| origin.strip_prefix("https://"))
                == Some(host) =>
        {
            Ok(())
        }
        _ => Err(ApiError::CrossOrigin),
    }
}

fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| value.to_string())
        .filter(|t| !t.is_empty())
}

/// Hashes a password with Argon2id (a fresh salt, argon2's default cost), off the async threads.
pub async fn hash_password(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(ApiError::internal)
    })
    .await
    .map_err(ApiError::internal)?
}

/// Whether `password` matches the stored `hash`, off the async threads. An unreadable hash
/// matches nothing.
async fn verify_password(password: String, hash: String) -> Result<bool, ApiError> {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
    })
    .await
    .map_err(ApiError::internal)
}

/// Failed logins per e-mail, to slow down password guessing.
#[derive(Default)]
pub struct Attempts(Mutex<HashMap<String, (u32, Instant)>>);

impl Attempts {
    fn blocked(&self, email: &str) -> bool {
        self.0.lock().is_ok_and(|map| {
            map.get(email)
                .is_some_and(|(n, since)| *n >= MAX_FAILURES && since.elapsed() < ATTEMPT_WINDOW)
        })
    }

    fn failed(&self, email: &str) {
        if let Ok(mut map) = self.0.lock() {
            map.retain(|_, (_, since)| since.elapsed() < ATTEMPT_WINDOW);
            map.entry(email.to_string())
                .or_insert((0, Instant::now()))
                .0 += 1;
        }
    }

    fn succeeded(&self, email: &str) {
        if let Ok(mut map) = self.0.lock() {
            map.remove(email);
        }
    }
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
}

/// What the page knows of its user.
pub fn user_json(caller: &Caller) -> serde_json::Value {
    serde_json::json!({
        "nom": caller.nom,
        "role": caller.role,
        "role_texte": caller.role.label(),
    })
}

pub async fn login(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    form: Result<Json<LoginForm>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    same_origin(&headers)?;
    let Json(form) = form.map_err(|_| {
        ApiError::BadRequest("Saisissez votre e-mail et votre mot de passe.".into())
    })?;
    let email = form.email.trim().to_lowercase();
    if email.is_empty() || form.password.is_empty() {
        return Err(ApiError::BadRequest(
            "Saisissez votre e-mail et votre mot de passe.".into(),
        ));
    }
    if state.attempts.blocked(&email) {
        return Err(ApiError::TooManyAttempts);
    }
    let candidate = state.store().login_candidate(&email).await?;
    // An unknown e-mail costs the same time as a wrong password: nothing tells them apart.
    let hash = candidate
        .as_ref()
        .and_then(|c| c.password_hash.clone())
        .unwrap_or_else(|| wakil_schema::seed::DEMO_PASSWORD_HASH.to_string());
    let matches = verify_password(form.password, hash).await?;
    let candidate = match candidate {
        Some(c) if matches && c.password_hash.is_some() => c,
        _ => {
            state.attempts.failed(&email);
            return Err(ApiError::BadCredentials);
        }
    };
    state.attempts.succeeded(&email);
    let token = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let mut t = state.store().tenant(candidate.syndic_id).await?;
    t.create_session(
        candidate.user_id,
        &sha256_hex(token.as_bytes()),
        state.config.session_hours,
    )
    .await?;
    let caller = t
        .caller(candidate.user_id, Canal::Web)
        .await?
        .ok_or(ApiError::BadCredentials)?;
    t.commit().await?;
    let cookie = cookie(
        &token,
        state.config.session_hours * 3600,
        state.config.cookie_secure,
    )?;
    Ok((
        [(SET_COOKIE, cookie)],
        Json(serde_json::json!({ "user": user_json(&caller) })),
    )
        .into_response())
}

pub async fn logout(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    authed: Authed,
) -> Result<Response, ApiError> {
    same_origin(&headers)?;
    let mut t = state.store().tenant(authed.caller.syndic_id).await?;
    t.delete_session(&authed.token_sha256).await?;
    t.commit().await?;
    let cookie = cookie("", 0, state.config.cookie_secure)?;
    Ok((StatusCode::NO_CONTENT, [(SET_COOKIE, cookie)]).into_response())
}

/// The user and the résidences they may pick in the selector.
pub async fn session(
    State(state): State<Arc<AppState>>,
    authed: Authed,
) -> Result<Json<serde_json::Value>, ApiError> {
    let mut t = state.store().tenant_read(authed.caller.syndic_id).await?;
    let residences = t.residences_for(&authed.caller).await?;
    t.commit().await?;
    let residences: Vec<_> = residences
        .iter()
        .map(|r| serde_json::json!({ "id": r.id, "nom": r.nom }))
        .collect();
    Ok(Json(serde_json::json!({
        "user": user_json(&authed.caller),
        "residences": residences,
    })))
}

fn cookie(token: &str, max_age: i32, secure: bool) -> Result<HeaderValue, ApiError> {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{COOKIE_NAME}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    ))
    .map_err(ApiError::internal)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test]
    async fn the_demo_hash_verifies_the_demo_password_and_nothing_else() {
        let hash = wakil_schema::seed::DEMO_PASSWORD_HASH.to_string();
        let demo = wakil_schema::seed::DEMO_PASSWORD.to_string();
        assert!(verify_password(demo, hash.clone()).await.unwrap());
        assert!(!verify_password("wakil2025".into(), hash).await.unwrap());
    }

    #[tokio::test]
    async fn a_fresh_hash_verifies_and_is_salted() {
        let a = hash_password("correct horse".into()).await.unwrap();
        let b = hash_password("correct horse".into()).await.unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("$argon2id$"));
        assert!(verify_password("correct horse".into(), a).await.unwrap());
        assert!(
            !verify_password("x".into(), "not a hash".into())
                .await
                .unwrap()
        );
    }

    #[test]
    fn origin_must_be_the_server_itself() {
        let mut h = HeaderMap::new();
        h.insert(HOST, HeaderValue::from_static("127.0.0.1:8080"));
        assert!(same_origin(&h).is_err());
        h.insert(ORIGIN, HeaderValue::from_static("http://evil.example"));
        assert!(same_origin(&h).is_err());
        h.insert(ORIGIN, HeaderValue::from_static("http://127.0.0.1:8080"));
        assert!(same_origin(&h).is_ok());
        h.insert(
            ORIGIN,
            HeaderValue::from_static("http://127.0.0.1:8080.evil.example"),
        );
        assert!(same_origin(&h).is_err());
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            COOKIE,
            HeaderValue::from_static("theme=dark; wakil_session=abc123; x=y"),
        );
        assert_eq!(session_token(&h).as_deref(), Some("abc123"));
        h.insert(COOKIE, HeaderValue::from_static("wakil_session="));
        assert_eq!(session_token(&h), None);
    }
}
