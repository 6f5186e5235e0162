//! Wakil's typed tools.
//!
//! Architecture invariant: a tool is the only way a figure reaches a user. Each tool has typed
//! `Args` and `Output` (serde + JSON Schema), checks the [`Caller`]'s role and scope before any
//! SQL, and computes every figure through `wakil_schema`'s store. Nothing here knows about the LLM
//! or the channels; [`catalog`] lists every tool once, for the agent's registry and the CLI.

pub mod envoi;
mod error;
pub mod fichiers;
pub mod format;
pub mod render;
mod scope;

pub mod ag;
pub mod annulation;
pub mod appel;
pub mod documents;
pub mod extraction;
pub mod factures;
pub mod impayes;
pub mod invitation;
pub mod lecture;
pub mod paiement;
pub mod periode;
pub mod rapport;
pub mod relance;
pub mod solde;

pub use error::ToolError;
pub use fichiers::{Attachment, FileStore};
pub use format::{Align, Column, Table};

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::pin::Pin;
use uuid::Uuid;
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
    pub limits: Limits,
    /// Where stored files (uploads, generated documents) keep their bytes.
    pub files: FileStore,
    /// The outbound channels configured on this server.
    pub envoi: envoi::EnvoiConfig,
    /// How supplier invoices are read (OCR engine, model's second opinion).
    pub lecture: lecture::Lecture,
    /// Where a long tool reports its steps, when the channel shows them.
    pub progress: Option<lecture::Progress>,
    /// The document library's embedding model and the indexing job's signals.
    pub bibliotheque: documents::Bibliotheque,
}

impl ToolContext {
    /// With the operator's limits and channels from the environment (see [`Limits::from_env`],
    /// [`envoi::EnvoiConfig::from_env`]).
    pub fn new(store: Store, clock: Clock, files: FileStore) -> Self {
        ToolContext {
            store,
            clock,
            limits: Limits::from_env(),
            files,
            envoi: envoi::EnvoiConfig::from_env(),
            lecture: lecture::Lecture::from_env(),
            progress: None,
            bibliotheque: documents::Bibliotheque::from_env(),
        }
    }

    /// Reports a step of a long tool ("Lecture du document…") to the channel, if it listens.
    pub(crate) fn step(&self, label: &str) {
        if let Some(p) = &self.progress {
            p.step(label);
        }
    }
}

/// Operator settings that bound what a write accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Above this, a payment is refused as absurd (`WAKIL_PAIEMENT_MAX`, MAD).
    pub paiement_max: rust_decimal::Decimal,
    /// Above this, the total of an appel de fonds is refused as absurd (`WAKIL_APPEL_MAX`, MAD).
    pub appel_max: rust_decimal::Decimal,
    /// Days during which a co-owner is not reminded again unless forced
    /// (`WAKIL_RELANCE_DELAI_JOURS`).
    pub relance_delai_jours: u32,
    /// Days an invitation to Telegram or WhatsApp stays valid (`WAKIL_INVITATION_JOURS`).
    pub invitation_jours: u32,
}

impl Limits {
    /// `WAKIL_PAIEMENT_MAX` and `WAKIL_APPEL_MAX` (MAD, positive decimals),
    /// `WAKIL_RELANCE_DELAI_JOURS` (days, at most 365), `WAKIL_INVITATION_JOURS` (days, 1 to 90),
    /// else the defaults.
    pub fn from_env() -> Self {
        let defaults = Limits::default();
        Limits {
            paiement_max: env_amount("WAKIL_PAIEMENT_MAX").unwrap_or(defaults.paiement_max),
            appel_max: env_amount("WAKIL_APPEL_MAX").unwrap_or(defaults.appel_max),
            relance_delai_jours: std::env::var("WAKIL_RELANCE_DELAI_JOURS")
                .ok()
                .and_then(|v| v.trim().parse::<u32>().ok())
                .filter(|j| *j <= 365)
                .unwrap_or(defaults.relance_delai_jours),
            invitation_jours: std::env::var("WAKIL_INVITATION_JOURS")
                .ok()
                .and_then(|v| v.trim().parse::<u32>().ok())
                .filter(|j| (1..=90).contains(j))
                .unwrap_or(defaults.invitation_jours),
        }
    }
}

/// A positive amount from the environment ("1 000 000" or "1000000.50").
fn env_amount(name: &str) -> Option<rust_decimal::Decimal> {
    std::env::var(name)
        .ok()
        .and_then(|v| {
            v.trim()
                .replace(' ', "")
                .parse::<rust_decimal::Decimal>()
                .ok()
        })
        .filter(|m| m.is_sign_positive() && !m.is_zero())
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            paiement_max: rust_decimal::Decimal::from(1_000_000),
            appel_max: rust_decimal::Decimal::from(10_000_000),
            relance_delai_jours: 7,
            invitation_jours: 7,
        }
    }
}

/// How an output is shown: French tables and a one-line summary, and the files it produced.
pub trait Render {
    fn summary(&self) -> String;
    fn tables(&self) -> Vec<Table>;
    /// Documents generated by the tool (PDF notices, a PV, a report), shown as links.
    fn files(&self) -> Vec<Attachment> {
        Vec::new()
    }
    /// A write this result leads to, planned at once for the human to confirm (a draft invoice
    /// read from a photo → its validation).
    fn follow_up(&self) -> Option<FollowUp> {
        None
    }
}

/// A tool call that a result proposes next.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FollowUp {
    pub tool: &'static str,
    pub args: serde_json::Value,
}

pub trait Tool: Send + Sync + 'static {
    const NAME: &'static str;
    /// French, for the model and for `wakil tool --help`.
    const DESCRIPTION: &'static str;
    type Args: DeserializeOwned + JsonSchema + Send;
    type Output: Serialize + JsonSchema + Render + Send;

    fn allowed(role: Role) -> bool;

    fn run(
        ctx: &ToolContext,
        caller: &Caller,
        args: Self::Args,
    ) -> impl Future<Output = Result<Self::Output, ToolError>> + Send;
}

/// A write is two-phase. `plan` validates and resolves the arguments within the caller's scope and
/// writes nothing; the plan is stored as a pending action and shown to the human. Only their
/// confirmation runs `execute`, with the pending action's id, which the write stores under a
/// unique constraint so that a confirmation counts once.
pub trait WriteTool: Send + Sync + 'static {
    const NAME: &'static str;
    /// French, for the model and for `wakil tool --help`.
    const DESCRIPTION: &'static str;
    type Args: DeserializeOwned + JsonSchema + Send;
    /// The resolved, validated action (ids, not names): what is confirmed is what runs.
    type Plan: Serialize + DeserializeOwned + Send;
    type Output: Serialize + JsonSchema + Render + Send;

    fn allowed(role: Role) -> bool;

    fn plan(
        ctx: &ToolContext,
        caller: &Caller,
        args: Self::Args,
    ) -> impl Future<Output = Result<Planned<Self::Plan>, ToolError>> + Send;

    fn execute(
        ctx: &ToolContext,
        caller: &Caller,
        plan: Self::Plan,
        confirmation: Uuid,
    ) -> impl Future<Output = Result<Self::Output, ToolError>> + Send;
}

/// A write ready for confirmation: the plan and how to show it ("Enregistrer 1 200,00 MAD … ?").
#[derive(Debug, Clone)]
pub struct Planned<P> {
    pub plan: P,
    /// One French sentence ending with a question mark.
    pub summary: String,
    pub tables: Vec<Table>,
}

/// A tool's output once erased: its JSON, its summary and its tables.
#[derive(Debug, Clone, Serialize)]
pub struct ToolResult {
    pub tool: &'static str,
    pub output: serde_json::Value,
    pub summary: String,
    pub tables: Vec<Table>,
    pub files: Vec<Attachment>,
    pub follow_up: Option<FollowUp>,
}

/// A write's plan once erased, waiting for the human.
#[derive(Debug, Clone, Serialize)]
pub struct PendingPlan {
    pub tool: &'static str,
    pub plan: serde_json::Value,
    pub summary: String,
    pub tables: Vec<Table>,
}

/// What calling a tool gives: a read's result, or a write's plan to confirm.
#[derive(Debug, Clone)]
pub enum Called {
    Done(ToolResult),
    Pending(PendingPlan),
}

impl Called {
    /// A read's result; a write's plan is not one (it waits for a confirmation).
    pub fn done(self) -> Result<ToolResult, ToolError> {
        match self {
            Called::Done(r) => Ok(r),
            Called::Pending(p) => Err(ToolError::Internal(format!(
                "{} attend une confirmation",
                p.tool
            ))),
        }
    }
}

type CallFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, ToolError>> + Send + 'a>>;
type CallFn = for<'a> fn(&'a ToolContext, &'a Caller, serde_json::Value) -> CallFuture<'a, Called>;
type ExecuteFn =
    for<'a> fn(&'a ToolContext, &'a Caller, serde_json::Value, Uuid) -> CallFuture<'a, ToolResult>;

/// A tool as data: what the agent registers and the CLI dispatches on.
#[derive(Clone, Copy)]
pub struct ToolSpec {
    pub name: &'static str,
    pub description: &'static str,
    pub kind: ToolKind,
    pub allowed: fn(Role) -> bool,
    pub args_schema: fn() -> schemars::Schema,
    pub output_schema: fn() -> schemars::Schema,
    call: CallFn,
    execute: Option<ExecuteFn>,
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
    /// Whether `caller`'s role may use this tool (what every call checks first), for a channel
    /// that wants to refuse before doing anything else.
    pub fn autoriser(&self, caller: &Caller) -> Result<(), ToolError> {
        check_role(self.name, self.allowed, caller)
    }

    pub fn read<T: Tool>() -> Self {
        ToolSpec {
            name: T::NAME,
            description: T::DESCRIPTION,
            kind: ToolKind::Read,
            allowed: T::allowed,
            args_schema: || schemars::schema_for!(T::Args),
            output_schema: || schemars::schema_for!(T::Output),
            call: call_read::<T>,
            execute: None,
        }
    }

    pub fn write<T: WriteTool>() -> Self {
        ToolSpec {
            name: T::NAME,
            description: T::DESCRIPTION,
            kind: ToolKind::Write,
            allowed: T::allowed,
            args_schema: || schemars::schema_for!(T::Args),
            output_schema: || schemars::schema_for!(T::Output),
            call: call_plan::<T>,
            execute: Some(execute_erased::<T>),
        }
    }

    /// Checks the role and parses the arguments; runs a read, plans a write (nothing written).
    pub async fn call(
        &self,
        ctx: &ToolContext,
        caller: &Caller,
        args: serde_json::Value,
    ) -> Result<Called, ToolError> {
        (self.call)(ctx, caller, args).await
    }

    /// Runs a confirmed write's plan; `confirmation` is the pending action's id.
    pub async fn execute(
        &self,
        ctx: &ToolContext,
        caller: &Caller,
        plan: serde_json::Value,
        confirmation: Uuid,
    ) -> Result<ToolResult, ToolError> {
        match self.execute {
            Some(execute) => execute(ctx, caller, plan, confirmation).await,
            None => Err(ToolError::Internal(format!(
                "{} est une lecture : rien à confirmer",
                self.name
            ))),
        }
    }
}

/// The one role check of every tool, before its arguments are even read.
fn check_role(name: &str, allowed: fn(Role) -> bool, caller: &Caller) -> Result<(), ToolError> {
    if allowed(caller.role) {
        return Ok(());
    }
    Err(ToolError::Forbidden(if caller.role.is_staff() {
        format!(
            "L'outil « {name} » n'est pas accessible à un {}.",
            caller.role.label()
        )
    } else {
        scope::STAFF_ONLY.to_string()
    }))
}

/// Parses a tool's arguments; `null` (no arguments at all) means "all defaults".
fn parse_args<A: DeserializeOwned + JsonSchema>(
    name: &str,
    args: serde_json::Value,
) -> Result<A, ToolError> {
    let args = if args.is_null() {
        serde_json::json!({})
    } else {
        args
    };
    serde_path_to_error::deserialize(args)
        .map_err(|e| ToolError::invalid_args(name, schemars::schema_for!(A).as_value(), &e))
}

fn result_of<O: Serialize + Render>(
    tool: &'static str,
    output: &O,
) -> Result<ToolResult, ToolError> {
    Ok(ToolResult {
        tool,
        summary: output.summary(),
        tables: output.tables(),
        files: output.files(),
        follow_up: output.follow_up(),
        output: serde_json::to_value(output).map_err(|e| ToolError::Internal(e.to_string()))?,
    })
}

fn call_read<'a, T: Tool>(
    ctx: &'a ToolContext,
    caller: &'a Caller,
    args: serde_json::Value,
) -> CallFuture<'a, Called> {
    Box::pin(async move {
        check_role(T::NAME, T::allowed, caller)?;
        let args: T::Args = parse_args(T::NAME, args)?;
        let output = T::run(ctx, caller, args).await?;
        Ok(Called::Done(result_of(T::NAME, &output)?))
    })
}

fn call_plan<'a, T: WriteTool>(
    ctx: &'a ToolContext,
    caller: &'a Caller,
    args: serde_json::Value,
) -> CallFuture<'a, Called> {
    Box::pin(async move {
        check_role(T::NAME, T::allowed, caller)?;
        let args: T::Args = parse_args(T::NAME, args)?;
        let planned = T::plan(ctx, caller, args).await?;
        Ok(Called::Pending(PendingPlan {
            tool: T::NAME,
            plan: serde_json::to_value(&planned.plan)
                .map_err(|e| ToolError::Internal(e.to_string()))?,
            summary: planned.summary,
            tables: planned.tables,
        }))
    })
}

fn execute_erased<'a, T: WriteTool>(
    ctx: &'a ToolContext,
    caller: &'a Caller,
    plan: serde_json::Value,
    confirmation: Uuid,
) -> CallFuture<'a, ToolResult> {
    Box::pin(async move {
        check_role(T::NAME, T::allowed, caller)?;
        let plan: T::Plan =
            serde_json::from_value(plan).map_err(|e| ToolError::Internal(e.to_string()))?;
        let output = T::execute(ctx, caller, plan, confirmation).await?;
        result_of(T::NAME, &output)
    })
}

/// Every tool of the product, registered once.
pub fn catalog() -> Vec<ToolSpec> {
    vec![
        ToolSpec::read::<impayes::QueryImpayes>(),
        ToolSpec::read::<solde::SoldeCopro>(),
        ToolSpec::read::<rapport::RapportFinancier>(),
        ToolSpec::read::<factures::ListFactures>(),
        ToolSpec::read::<documents::SearchDocuments>(),
        ToolSpec::read::<documents::ListDocuments>(),
        ToolSpec::write::<documents::AjouterDocument>(),
        ToolSpec::write::<paiement::RecordPayment>(),
        ToolSpec::write::<relance::SendRelance>(),
        ToolSpec::write::<annulation::AnnulerPaiement>(),
        ToolSpec::write::<appel::AppelDeFonds>(),
        ToolSpec::write::<invitation::Inviter>(),
        ToolSpec::read::<extraction::ExtractInvoice>(),
        ToolSpec::read::<extraction::CorrigerFacture>(),
        ToolSpec::write::<extraction::ValiderFacture>(),
        ToolSpec::read::<ag::ConsulterAg>(),
        ToolSpec::write::<ag::PlanifierAg>(),
        ToolSpec::write::<ag::AjouterPointOrdreDuJour>(),
        ToolSpec::write::<ag::AjouterResolution>(),
        ToolSpec::write::<ag::EnregistrerPresence>(),
        ToolSpec::write::<ag::EnregistrerVotes>(),
        ToolSpec::write::<ag::GenerateConvocation>(),
        ToolSpec::write::<ag::GeneratePv>(),
    ]
}

/// The tool named `name`, if any.
pub fn find(name: &str) -> Option<ToolSpec> {
    catalog().into_iter().find(|t| t.name == name)
}
