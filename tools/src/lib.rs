//! Wakil's typed tools.
//!
//! Architecture invariant: a tool is the only way a figure reaches a user. Each tool has typed
//! `Args` and `Output` (serde + JSON Schema), checks the [`Caller`]'s role and scope before any
//! SQL, and computes every figure through `wakil_schema`'s store. Nothing here knows about the LLM
//! or the channels; [`catalog`] lists every tool once, for the agent's registry and the CLI.

mod error;
pub mod format;
mod scope;

pub mod factures;
pub mod impayes;
pub mod rapport;
pub mod solde;

pub use error::ToolError;
pub use format::{Align, Column, Table};

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::pin::Pin;
use wakil_schema::{Caller, Clock, Role, Store};

/// Reads run at once; writes go through a confirmed pending action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolKind {
    Read,
    Write,
}

/// What every tool runs with.
#[derive(Clone, Debug)]
pub struct ToolContext {
    pub store: Store,
    pub clock: Clock,
}

/// How an output is shown: French tables and a one-line summary.
pub trait Render {
    fn summary(&self) -> String;
    fn tables(&self) -> Vec<Table>;
}

pub trait Tool: Send + Sync + 'static {
    const NAME: &'static str;
    /// French, for the model and for `wakil tool --help`.
    const DESCRIPTION: &'static str;
    const KIND: ToolKind;
    type Args: DeserializeOwned + JsonSchema + Send;
    type Output: Serialize + JsonSchema + Render + Send;

    fn allowed(role: Role) -> bool;

    fn run(
        ctx: &ToolContext,
        caller: &Caller,
        args: Self::Args,
    ) -> impl Future<Output = Result<Self::Output, ToolError>> + Send;
}

/// A tool's output once erased: its JSON, its summary and its tables.
#[derive(Debug, Clone, Serialize)]
pub struct ToolResult {
    pub tool: &'static str,
    pub output: serde_json::Value,
    pub summary: String,
    pub tables: Vec<Table>,
}

type CallFuture<'a> = Pin<Box<dyn Future<Output = Result<ToolResult, ToolError>> + Send + 'a>>;

/// A tool as data: what the agent registers and the CLI dispatches on.
#[derive(Clone, Copy)]
pub struct ToolSpec {
    pub name: &'static str,
    pub description: &'static str,
    pub kind: ToolKind,
    pub allowed: fn(Role) -> bool,
    pub args_schema: fn() -> schemars::Schema,
    pub output_schema: fn() -> schemars::Schema,
    call: for<'a> fn(&'a ToolContext, &'a Caller, serde_json::Value) -> CallFuture<'a>,
}

impl std::fmt::Debug for ToolSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToolSpec")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .finish()
    }
}

impl ToolSpec {
    pub fn of<T: Tool>() -> Self {
        ToolSpec {
            name: T::NAME,
            description: T::DESCRIPTION,
            kind: T::KIND,
            allowed: T::allowed,
            args_schema: || schemars::schema_for!(T::Args),
            output_schema: || schemars::schema_for!(T::Output),
            call: call_erased::<T>,
        }
    }

    /// Checks the role, parses the arguments and runs the tool (see `call_erased`).
    pub async fn call(
        &self,
        ctx: &ToolContext,
        caller: &Caller,
        args: serde_json::Value,
    ) -> Result<ToolResult, ToolError> {
        (self.call)(ctx, caller, args).await
    }
}

fn call_erased<'a, T: Tool>(
    ctx: &'a ToolContext,
    caller: &'a Caller,
    args: serde_json::Value,
) -> CallFuture<'a> {
    Box::pin(async move {
        // The one role check of every tool, before its arguments are even read.
        if !T::allowed(caller.role) {
            return Err(ToolError::Forbidden(if caller.role.is_staff() {
                format!(
                    "L'outil « {} » n'est pas accessible à un {}.",
                    T::NAME,
                    caller.role.label()
                )
            } else {
                scope::STAFF_ONLY.to_string()
            }));
        }
        // `null` (no arguments at all) means "all defaults".
        let args = if args.is_null() {
            serde_json::json!({})
        } else {
            args
        };
        let args: T::Args = serde_path_to_error::deserialize(args).map_err(|e| {
            ToolError::invalid_args(T::NAME, schemars::schema_for!(T::Args).as_value(), &e)
        })?;
        let output = T::run(ctx, caller, args).await?;
        Ok(ToolResult {
            tool: T::NAME,
            summary: output.summary(),
            tables: output.tables(),
            output: serde_json::to_value(&output)
                .map_err(|e| ToolError::Internal(e.to_string()))?,
        })
    })
}

/// Every tool of the product, registered once.
pub fn catalog() -> Vec<ToolSpec> {
    vec![
        ToolSpec::of::<impayes::QueryImpayes>(),
        ToolSpec::of::<solde::SoldeCopro>(),
        ToolSpec::of::<rapport::RapportFinancier>(),
        ToolSpec::of::<factures::ListFactures>(),
    ]
}

/// The tool named `name`, if any.
pub fn find(name: &str) -> Option<ToolSpec> {
    catalog().into_iter().find(|t| t.name == name)
}
