//! Files: an upload from the page (a photo of an invoice, a PDF) becomes a stored file the next
//! message can carry; a stored file is downloaded by its owner or the syndic's staff only.

use super::AppState;
use super::auth::{Authed, same_origin};
use super::error::ApiError;
use crate::uploads::{UploadError, store_upload};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use uuid::Uuid;

/// The file's name as the user sent it: `X-Filename`, URI-encoded.
fn file_name(headers: &HeaderMap) -> String {
    headers
        .get("x-filename")
        .and_then(|v| v.to_str().ok())
        .map(percent_decode)
        .unwrap_or_default()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0)) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub async fn upload(
    State(state): State<Arc<AppState>>,
    authed: Authed,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    same_origin(&headers)?;
    let file = store_upload(
        state.store(),
        state.files(),
        &authed.caller,
        &file_name(&headers),
        &body,
        state.config.max_upload_bytes,
    )
    .await
    .map_err(|e| match e {
        UploadError::Empty => ApiError::BadRequest(e.to_string()),
        UploadError::TooLarge { max } => too_large(max),
        UploadError::Unsupported => ApiError::Unsupported(e.to_string()),
        UploadError::Store(_) | UploadError::Io(_) => ApiError::internal(e),
    })?;
    let (id, nom, mime, taille) = (file.id, file.nom, file.mime, file.taille);
    Ok(Json(serde_json::json!({
        "id": id,
        "nom": nom,
        "mime": mime,
        "taille": taille,
        "url": format!("/fichiers/{id}"),
    })))
}

pub fn too_large(max: usize) -> ApiError {
    ApiError::TooLarge(UploadError::TooLarge { max }.to_string())
}

pub async fn download(
    State(state): State<Arc<AppState>>,
    authed: Authed,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    const NOT_FOUND: &str = "Fichier introuvable.";
    let id: Uuid = id.parse().map_err(|_| ApiError::NotFound(NOT_FOUND))?;
    let mut t = state.store().tenant_read(authed.caller.syndic_id).await?;
    let file = t.fichier_lisible(&authed.caller, id).await?;
    t.commit().await?;
    // A file the caller may not open is "not found": its existence is not revealed.
    let file = file.ok_or(ApiError::NotFound(NOT_FOUND))?;
    let bytes = state
        .files()
        .read(authed.caller.syndic_id, id)
        .await
        .map_err(ApiError::internal)?;
    let encoded: String = file
        .nom
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    let disposition = HeaderValue::from_str(&format!("inline; filename*=UTF-8''{encoded}"))
        .map_err(ApiError::internal)?;
    let mime = HeaderValue::from_str(&file.mime).map_err(ApiError::internal)?;
    Ok((
        [(CONTENT_TYPE, mime), (CONTENT_DISPOSITION, disposition)],
        bytes,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_their_path_and_keep_their_accents() {
        let mut h = HeaderMap::new();
        h.insert(
            "x-filename",
            HeaderValue::from_static("..%2F..%2Fetc%2Ffacture%20%C3%A9t%C3%A9.pdf"),
        );
        assert_eq!(
            crate::uploads::clean_name(&file_name(&h), "application/pdf"),
            "facture été.pdf"
        );
        assert_eq!(file_name(&HeaderMap::new()), "");
    }
}
