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
    matches!(what, "résidence" | "facture" | "année" | "personne")
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
    /// Arguments that do not fit `schema`, explained in French (serde's messages are English).
    pub(crate) fn invalid_args(
        tool: &str,
        schema: &serde_json::Value,
        e: &serde_path_to_error::Error<serde_json::Error>,
    ) -> Self {
        let detail = french_detail(schema, &e.path().to_string(), &e.inner().to_string());
        ToolError::InvalidArgs(format!("Arguments invalides pour « {tool} » : {detail}."))
    }

    /// Whether the user can fix it by rephrasing (everything but an internal failure).
    pub fn is_user_error(&self) -> bool {
        !matches!(self, ToolError::Internal(_))
    }
}

/// The `backticked` words of a serde message.
fn quoted(msg: &str) -> Vec<&str> {
    msg.split('`').skip(1).step_by(2).collect()
}

/// What the argument schema expects at a top-level field, in French.
fn expected(schema: &serde_json::Value, field: &str) -> &'static str {
    let prop = &schema["properties"][field];
    let has_type = |t: &str| match &prop["type"] {
        serde_json::Value::String(s) => s == t,
        serde_json::Value::Array(a) => a.iter().any(|v| v == t),
        _ => false,
    };
    if prop["format"] == "date" {
        "une date AAAA-MM-JJ"
    } else if has_type("integer") {
        "un nombre entier"
    } else if has_type("number") {
        "un montant, par exemple 1200.50"
    } else if has_type("string") {
        "un texte"
    } else {
        "une valeur conforme au schéma"
    }
}

/// serde_json's English message for a field at `path`, said in French.
fn french_detail(schema: &serde_json::Value, path: &str, msg: &str) -> String {
    let msg = msg.split(" at line ").next().unwrap_or(msg);
    let words = quoted(msg);
    let first = words.first().copied().unwrap_or("");
    let rest = words.get(1..).unwrap_or_default().join(", ");
    if msg.starts_with("unknown field") {
        format!("champ inconnu « {first} » (champs acceptés : {rest})")
    } else if msg.starts_with("unknown variant") {
        format!(
            "« {first} » n'est pas une valeur possible de « {path} » (valeurs acceptées : {rest})"
        )
    } else if msg.starts_with("missing field") {
        format!("le champ « {first} » est obligatoire")
    } else {
        format!(
            "la valeur de « {path} » est invalide, attendu : {}",
            expected(schema, path)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detail(json: &str) -> String {
        #[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Args {
            annee: Option<i32>,
            statut: Option<wakil_schema::StatutFacture>,
            du: Option<chrono::NaiveDate>,
            montant: Option<rust_decimal::Decimal>,
        }
        let mut de = serde_json::Deserializer::from_str(json);
        let e = serde_path_to_error::deserialize::<_, Args>(&mut de).unwrap_err();
        let schema = schemars::schema_for!(Args);
        french_detail(
            schema.as_value(),
            &e.path().to_string(),
            &e.inner().to_string(),
        )
    }

    #[test]
    fn argument_errors_are_said_in_french() {
        assert_eq!(
            detail(r#"{"anne": 2025}"#),
            "champ inconnu « anne » (champs acceptés : annee, statut, du, montant)"
        );
        assert_eq!(
            detail(r#"{"statut": "payée"}"#),
            "« payée » n'est pas une valeur possible de « statut » (valeurs acceptées : brouillon, validee, payee)"
        );
        assert_eq!(
            detail(r#"{"annee": "deux mille"}"#),
            "la valeur de « annee » est invalide, attendu : un nombre entier"
        );
        assert_eq!(
            detail(r#"{"du": "15/01/2025"}"#),
            "la valeur de « du » est invalide, attendu : une date AAAA-MM-JJ"
        );
        assert_eq!(
            detail(r#"{"montant": "beaucoup"}"#),
            "la valeur de « montant » est invalide, attendu : un montant, par exemple 1200.50"
        );
    }
}
