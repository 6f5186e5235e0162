//! The one error of this crate: every variant displays a French message for the user, saying
//! what to do; details meant for the logs stay in `Debug`.

/// Why a file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(
        "Fichier trop volumineux : {max_mo} Mo au plus. Envoyez une photo plus légère ou un PDF d'une seule facture."
    )]
    TooLarge { max_mo: u64 },
    #[error(
        "Document trop long : {pages} pages, {max} au plus. Envoyez les pages de la facture seulement."
    )]
    TooManyPages { pages: u32, max: u32 },
    #[error("Format non reconnu : envoyez une photo (JPEG, PNG, WebP) ou un PDF.")]
    Unsupported,
    /// The detail is French and names the file's problem, never a path or a library message.
    #[error("Fichier illisible ({0}) : renvoyez-le ou prenez une nouvelle photo.")]
    Corrupt(String),
    #[error(
        "Aucun texte lisible dans ce fichier : prenez une photo nette et bien éclairée de la facture entière."
    )]
    Empty,
    /// The message says what to install or set.
    #[error("{0}")]
    EngineMissing(String),
    /// The detail is for the logs (`Debug`), not for the user.
    #[error(
        "La lecture du texte a échoué : réessayez dans un instant ; si cela se répète, prévenez l'administrateur."
    )]
    Engine(String),
}
