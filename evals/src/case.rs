//! Evaluation cases: TOML files under `evals/cases/` (format in `evals/cases/README.md`).

use crate::EvalError;
use serde::Deserialize;
use std::path::Path;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub id: String,
    pub intent: String,
    pub lang: String,
    pub user: String,
    #[serde(default)]
    pub history: Vec<String>,
    pub message: String,
    #[serde(default)]
    pub expect: Expect,
    /// What a scripted model answers when the message reaches the LLM.
    pub model: Option<ModelScript>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    pub tool: Option<String>,
    /// A subset of the call's arguments.
    pub args: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(default)]
    pub refusal: bool,
    #[serde(default)]
    pub no_tool: bool,
    #[serde(default)]
    pub no_write: bool,
    #[serde(default)]
    pub figures: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelScript {
    #[serde(default)]
    pub calls: Vec<ScriptedCall>,
    pub answer: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptedCall {
    pub name: String,
    #[serde(default)]
    pub arguments: serde_json::Map<String, serde_json::Value>,
}

#[derive(Deserialize)]
struct CaseFile {
    #[serde(default)]
    case: Vec<Case>,
}

/// Every case of every `*.toml` file of `dir`, in file then file order; ids must be unique.
pub fn load_dir(dir: &Path) -> Result<Vec<Case>, EvalError> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| EvalError::Cases(format!("{} : {e}", dir.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file)
            .map_err(|e| EvalError::Cases(format!("{} : {e}", file.display())))?;
        let parsed: CaseFile = toml::from_str(&text)
            .map_err(|e| EvalError::Cases(format!("{} : {e}", file.display())))?;
        cases.extend(parsed.case);
    }
    let mut ids = std::collections::HashSet::new();
    if let Some(dup) = cases.iter().find(|c| !ids.insert(c.id.as_str())) {
        return Err(EvalError::Cases(format!(
            "identifiant en double : {}",
            dup.id
        )));
    }
    if cases.is_empty() {
        return Err(EvalError::Cases(format!(
            "aucun cas dans {}",
            dir.display()
        )));
    }
    Ok(cases)
}
