use serde::Serialize;
use thiserror::Error;
use wakil_schema::StoreError;

/// Why a tool did not produce its output. The Display is French, says what to do, and never
/// shows internals; `Internal` keeps its detail for the logs only.
#[derive(Debug, Error, Serialize)]
#[serde(tag = "erreur", rename_all = "snake_case")]
pub enum ToolError {
    #[error("{0}")]
    Forbidden(String),
    #[error("{}", not_found(what, query, suggestions))]
    NotFound {
        what: &'static str,
        query: String,
        suggestions: Vec<String>,
    },
    #[error("Plusieurs {what}s correspondent à « {query} » : {}. Précisez {}.", candidates.join(" ; "), if feminine(what) { "laquelle" } else { "lequel" })]
    Ambiguous {
        what: &'static str,
        query: String,
        candidates: Vec<String>,
    },
    #[error("{0}")]
    InvalidArgs(String),
    #[error("Outil inconnu : « {name} ». Outils disponibles : {list}.", name = .0, list = tool_names())]
    UnknownTool(String),
    #[error(
        "Une erreur interne est survenue ; réessayez dans un instant. Si elle persiste, contactez l'administrateur."
    )]
    Internal(#[serde(skip)] String),
}

fn tool_names() -> String {
    crate::catalog()
        .iter()
        .map(|t| t.name)
        .collect::<Vec<_>>()
        .join(", ")
}

fn feminine(what: &str) -> bool {
    matches!(what, "résidence" | "facture" | "année")
}

fn not_found(what: &str, query: &str, suggestions: &[String]) -> String {
    let aucun = if feminine(what) { "Aucune" } else { "Aucun" };
    if suggestions.is_empty() {
        format!("{aucun} {what} ne correspond à « {query} ». Vérifiez l'orthographe.")
    } else {
        format!(
            "{aucun} {what} ne correspond à « {query} ». Vouliez-vous dire : {} ?",
            suggestions.join(" ; ")
        )
    }
}

impl From<StoreError> for ToolError {
    fn from(e: StoreError) -> Self {
        ToolError::Internal(e.to_string())
    }
}

impl ToolError {
    pub(crate) fn invalid_args(tool: &str, e: &serde_json::Error) -> Self {
        ToolError::InvalidArgs(format!(
            "Arguments invalides pour « {tool} » : {e}. Consultez le schéma des arguments de l'outil."
        ))
    }

    /// Whether the user can fix it by rephrasing (everything but an internal failure).
    pub fn is_user_error(&self) -> bool {
        !matches!(self, ToolError::Internal(_))
    }
}
