//! Files: an upload from the page (a photo of an invoice, a PDF) becomes a stored file the next
//! message can carry; a stored file is downloaded by its owner or the syndic's staff only.

use super::AppState;
use super::auth::{Authed, same_origin};
use super::error::ApiError;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use uuid::Uuid;
use wakil_schema::store::NouveauFichier;

/// The kinds of file accepted, recognised by their first bytes (the declared type is not
/// trusted): phone photos and PDFs.
const KINDS: &[(&str, &[u8], usize)] = &[
    ("image/jpeg", &[0xFF, 0xD8, 0xFF], 0),
    ("image/png", b"\x89PNG\r\n\x1a\n", 0),
    ("image/webp", b"WEBP", 8),
    ("application/pdf", b"%PDF-", 0),
];

const UNSUPPORTED: &str =
    "Type de fichier non pris en charge : envoyez une photo (JPEG, PNG, WebP) ou un PDF.";

/// What the bytes are, whatever the browser said.
fn sniff(bytes: &[u8]) -> Option<&'static str> {
    KINDS
        .iter()
        .find(|(_, magic, at)| bytes.get(*at..*at + magic.len()) == Some(*magic))
        .map(|(mime, _, _)| *mime)
}

/// The file's name as the user sees it: from `X-Filename` (URI-encoded), without any path.
fn file_name(headers: &HeaderMap, mime: &str) -> String {
    let raw = headers
        .get("x-filename")
        .and_then(|v| v.to_str().ok())
        .map(percent_decode)
        .unwrap_or_default();
    let base = raw
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(120)
        .collect::<String>();
    let base = base.trim();
    if base.is_empty() {
        let ext = mime.rsplit('/').next().unwrap_or("bin");
        format!("fichier.{ext}")
    } else {
        base.to_string()
    }
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
    if body.is_empty() {
        return Err(ApiError::BadRequest(
            "Fichier vide : choisissez un autre fichier.".into(),
        ));
    }
    if body.len() > state.config.max_upload_bytes {
        return Err(too_large(state.config.max_upload_bytes));
    }
    let mime = sniff(&body).ok_or_else(|| ApiError::Unsupported(UNSUPPORTED.into()))?;
    let nom = file_name(&headers, mime);
    let id = Uuid::new_v4();
    // Bytes first, then the row: a row always has its bytes.
    state
        .files()
        .write(authed.caller.syndic_id, id, &body)
        .await
        .map_err(ApiError::internal)?;
    let taille = i64::try_from(body.len()).map_err(ApiError::internal)?;
    let sha = wakil_tools::fichiers::sha256_hex(&body);
    let mut t = state.store().tenant(authed.caller.syndic_id).await?;
    t.add_fichier(
        &authed.caller,
        &NouveauFichier {
            id,
            nom: &nom,
            mime,
            taille,
            contenu_sha256: &sha,
        },
    )
    .await?;
    t.commit().await?;
    Ok(Json(serde_json::json!({
        "id": id,
        "nom": nom,
        "mime": mime,
        "taille": taille,
        "url": format!("/fichiers/{id}"),
    })))
}

pub fn too_large(max: usize) -> ApiError {
    ApiError::TooLarge(format!(
        "Fichier trop volumineux : {} Mo au plus. Réduisez la photo ou scannez moins de pages.",
        max / (1024 * 1024)
    ))
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
    fn files_are_recognised_by_their_bytes() {
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0rest"), Some("image/jpeg"));
        assert_eq!(sniff(b"%PDF-1.7\n"), Some("application/pdf"));
        assert_eq!(sniff(b"RIFF\x10\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff(b"MZ\x90\0 an executable"), None);
        assert_eq!(sniff(b"<html>"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn names_lose_their_path_and_keep_their_accents() {
        let mut h = HeaderMap::new();
        h.insert(
            "x-filename",
            HeaderValue::from_static("..%2F..%2Fetc%2Ffacture%20%C3%A9t%C3%A9.pdf"),
        );
        assert_eq!(file_name(&h, "application/pdf"), "facture été.pdf");
        assert_eq!(file_name(&HeaderMap::new(), "image/png"), "fichier.png");
    }
}
