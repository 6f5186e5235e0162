//! Stored files: where their bytes live on disk, and the documents tools generate (an appel de
//! fonds notice, a convocation, a PV, a yearly report), recorded as documents of their résidence
//! so that the web chat serves them to whoever may open them.

use crate::ToolError;
use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use uuid::Uuid;
use wakil_schema::store::{Fichier, NouveauDocument, NouveauFichier, Store, StoreError, Tenant};
use wakil_schema::{Caller, TypeDocument, Visibilite};

/// A stored file as a message carries it: sent by the user, or produced for them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Attachment {
    pub id: Uuid,
    pub nom: String,
    pub mime: String,
    pub taille: i64,
}

impl From<Fichier> for Attachment {
    fn from(f: Fichier) -> Self {
        Attachment {
            id: f.id,
            nom: f.nom,
            mime: f.mime,
            taille: f.taille,
        }
    }
}

/// Where file bytes live: `<dir>/<syndic>/<uuid>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileStore {
    dir: PathBuf,
}

impl FileStore {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        FileStore { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn path(&self, syndic: i64, id: Uuid) -> PathBuf {
        self.dir.join(syndic.to_string()).join(id.to_string())
    }

    /// Writes the bytes of file `id` (to a temporary name, then renamed: a reader never sees
    /// half a file).
    pub async fn write(&self, syndic: i64, id: Uuid, bytes: &[u8]) -> std::io::Result<()> {
        let path = self.path(syndic, id);
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        let tmp = path.with_extension("part");
        tokio::fs::write(&tmp, bytes).await?;
        tokio::fs::rename(&tmp, &path).await
    }

    pub async fn read(&self, syndic: i64, id: Uuid) -> std::io::Result<Vec<u8>> {
        tokio::fs::read(self.path(syndic, id)).await
    }
}

pub const PDF: &str = "application/pdf";
/// The MIME type of an Excel workbook.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Records a file `caller` sent (its name and type already checked by the channel): its bytes
/// on disk first, then its row, so that a row always has its bytes.
pub async fn recevoir<E>(
    store: &Store,
    files: &FileStore,
    caller: &Caller,
    nom: &str,
    mime: &str,
    bytes: &[u8],
) -> Result<Attachment, E>
where
    E: From<StoreError> + From<std::io::Error>,
{
    let id = Uuid::new_v4();
    files.write(caller.syndic_id, id, bytes).await?;
    let taille = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
    let mut t = store.tenant(caller.syndic_id).await?;
    t.add_fichier(
        caller,
        &NouveauFichier {
            id,
            nom,
            mime,
            taille,
            contenu_sha256: &sha256_hex(bytes),
        },
    )
    .await?;
    t.commit().await?;
    Ok(Attachment {
        id,
        nom: nom.to_string(),
        mime: mime.to_string(),
        taille,
    })
}

/// A generated file (a PDF, an Excel workbook) to publish as a document of a résidence.
#[derive(Debug, Clone)]
pub struct GeneratedDocument<'a> {
    pub bytes: &'a [u8],
    /// [`PDF`] or [`XLSX`].
    pub mime: &'a str,
    /// Its page count, when it has pages.
    pub pages: Option<usize>,
    /// The file name the user sees ("PV AG 2026 - Les Jardins de Guéliz.pdf").
    pub nom: &'a str,
    pub titre: &'a str,
    pub residence_id: i64,
    pub type_document: TypeDocument,
    pub date_document: NaiveDate,
    pub visibilite: Visibilite,
    /// The co-owner it is addressed to, who may then open it.
    pub coproprietaire_id: Option<i64>,
}

/// Records `doc` in `t` (bytes on disk first, so that a row always has its bytes). The same bytes
/// published twice give the document already stored, not a copy.
pub async fn publish(
    files: &FileStore,
    t: &mut Tenant,
    caller: &Caller,
    doc: &GeneratedDocument<'_>,
) -> Result<Attachment, ToolError> {
    let sha = sha256_hex(doc.bytes);
    if let Some(existing) = t.fichier_du_document(&sha).await? {
        return Ok(existing.into());
    }
    let id = Uuid::new_v4();
    files
        .write(t.syndic_id(), id, doc.bytes)
        .await
        .map_err(|e| ToolError::Internal(format!("écriture de {}: {e}", doc.nom)))?;
    let taille = i64::try_from(doc.bytes.len()).map_err(|e| ToolError::Internal(e.to_string()))?;
    t.add_fichier(
        caller,
        &NouveauFichier {
            id,
            nom: doc.nom,
            mime: doc.mime,
            taille,
            contenu_sha256: &sha,
        },
    )
    .await?;
    t.add_document(
        caller,
        &NouveauDocument {
            residence_id: doc.residence_id,
            titre: doc.titre,
            type_document: doc.type_document,
            date_document: doc.date_document,
            visibilite: doc.visibilite,
            coproprietaire_id: doc.coproprietaire_id,
            fichier: id,
            mime: doc.mime,
            pages: doc.pages.and_then(|p| i32::try_from(p).ok()),
            contenu_sha256: &sha,
        },
    )
    .await?;
    Ok(Attachment {
        id,
        nom: doc.nom.to_string(),
        mime: doc.mime.to_string(),
        taille,
    })
}
