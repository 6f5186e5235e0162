//! The server's errors: [`ServerError`] for starting and running it, [`ApiError`] for what a
//! request answers (a French message in JSON; internals are logged, never sent).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use thiserror::Error;
use wakil_schema::StoreError;

#[derive(Debug, Error)]
pub enum ServerError {
    #[error(
        "impossible d'écouter sur {addr} : {source} (le port est-il déjà pris ? essayez --port)"
    )]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("le serveur s'est arrêté sur une erreur : {0}")]
    Serve(std::io::Error),
    #[error("canal de messagerie mal configuré : {0}")]
    Channel(crate::channels::ChannelError),
    #[error("dossier des fichiers {path} inutilisable : {source}")]
    FilesDir {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

/// What a request answers when it fails.
#[derive(Debug, Error)]
pub enum ApiError {
    #[error("Connectez-vous pour continuer.")]
    Unauthorized,
    #[error("E-mail ou mot de passe incorrect.")]
    BadCredentials,
    #[error("Trop de tentatives de connexion : réessayez dans quelques minutes.")]
    TooManyAttempts,
    #[error("Requête refusée : elle ne vient pas de la page de Wakil. Rechargez la page.")]
    CrossOrigin,
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("{0}")]
    Unsupported(String),
    #[error("{0}")]
    NotFound(&'static str),
    #[error("{0}")]
    Forbidden(String),
    #[error(
        "Erreur interne : réessayez dans un instant. Si cela persiste, contactez votre syndic."
    )]
    Internal(String),
}

impl ApiError {
    /// An unexpected failure: the detail goes to the log, the user gets a generic message.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        ApiError::Internal(detail.to_string())
    }

    fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized | ApiError::BadCredentials => StatusCode::UNAUTHORIZED,
            ApiError::TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
            ApiError::CrossOrigin | ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unsupported(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::internal(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(detail) = &self {
            tracing::error!(%detail, "request failed");
        }
        let body = Json(serde_json::json!({ "error": self.to_string() }));
        (self.status(), body).into_response()
    }
}
