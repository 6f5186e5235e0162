//! The dashboard strip beside the chat: unpaid totals per résidence and budget against actual
//! for the year, from the read tools themselves (run as the caller: same scope, same SQL, same
//! figures as in the chat).

use super::AppState;
use super::auth::Authed;
use super::error::ApiError;
use axum::Json;
use axum::extract::State;
use chrono::Datelike;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::sync::Arc;
use wakil_schema::{Caller, Categorie};
use wakil_tools::{ToolContext, ToolError, format};

/// Résidences shown at most (a syndic with more picks one in the selector and asks the chat).
const MAX_RESIDENCES: usize = 24;
/// Payment proofs listed at most (the oldest first).
const MAX_JUSTIFICATIFS: i64 = 20;

pub async fn dashboard(
    State(state): State<Arc<AppState>>,
    authed: Authed,
) -> Result<Json<Value>, ApiError> {
    let ctx = state.agent.context();
    let caller = &authed.caller;
    let today = ctx.clock.today();
    let mut body = json!({
        "annee": today.year(),
        "au": today,
        "residences": [],
        "compte": null,
    });
    if caller.coproprietaire_id.is_some() {
        let solde = run(ctx, caller, "solde_copro", json!({})).await?;
        let chiffres = &solde["chiffres"];
        body["compte"] = json!({
            "nom": solde["coproprietaire"]["nom"],
            "solde": chiffres["solde"],
            "solde_texte": texte(&chiffres["solde"]),
            "impaye": chiffres["echu_impaye"],
            "impaye_texte": texte(&chiffres["echu_impaye"]),
        });
        return Ok(Json(body));
    }
    let mut t = state.store().tenant_read(caller.syndic_id).await?;
    let residences = t.residences_for(caller).await?;
    t.commit().await?;
    let mut cards = Vec::new();
    for r in residences.iter().take(MAX_RESIDENCES) {
        let id = json!({ "residence": r.id.to_string() });
        let impayes = run(ctx, caller, "query_impayes", id.clone()).await?;
        let rapport = run(ctx, caller, "rapport_financier", id).await?;
        let lignes: Vec<Value> = rapport["budget"]
            .as_array()
            .map(|lines| {
                lines
                    .iter()
                    .map(|l| {
                        json!({
                            "categorie": l["categorie"],
                            "categorie_texte": serde_json::from_value::<Categorie>(l["categorie"].clone())
                                .map(Categorie::label)
                                .ok(),
                            "prevu": l["budget"],
                            "realise": l["realise"],
                            "prevu_texte": texte(&l["budget"]),
                            "realise_texte": texte(&l["realise"]),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        let chiffres = &rapport["chiffres"];
        cards.push(json!({
            "id": r.id,
            "nom": r.nom,
            "impayes": {
                "total": impayes["total"],
                "total_texte": texte(&impayes["total"]),
                "lignes": impayes["nombre_lignes"],
                "coproprietaires": impayes["nombre_coproprietaires"],
            },
            "budget": {
                "prevu": chiffres["budget_total"],
                "realise": chiffres["depenses"],
                "prevu_texte": texte(&chiffres["budget_total"]),
                "realise_texte": texte(&chiffres["depenses"]),
                "lignes": lignes,
            },
        }));
    }
    body["residences"] = Value::Array(cards);
    // Payment proofs sent by co-owners (Telegram, WhatsApp, the page), waiting for a check.
    let mut t = state.store().tenant_read(caller.syndic_id).await?;
    let proofs = t
        .justificatifs_a_verifier(caller, MAX_JUSTIFICATIFS)
        .await?;
    t.commit().await?;
    body["justificatifs"] = proofs
        .iter()
        .map(|j| {
            json!({
                "coproprietaire": j.coproprietaire,
                "nom": j.nom,
                "recu_le": j.created_at,
                "canal": j.canal.label(),
                "url": format!("/fichiers/{}", j.fichier_id),
            })
        })
        .collect();
    Ok(Json(body))
}

/// A read tool's typed output, as the caller.
async fn run(
    ctx: &ToolContext,
    caller: &Caller,
    tool: &str,
    args: Value,
) -> Result<Value, ApiError> {
    let spec = wakil_tools::find(tool).ok_or_else(|| ApiError::internal(tool))?;
    match spec.call(ctx, caller, args).await.and_then(|c| c.done()) {
        Ok(result) => Ok(result.output),
        Err(ToolError::Forbidden(message)) => Err(ApiError::Forbidden(message)),
        Err(e) => Err(ApiError::internal(e)),
    }
}

/// A decimal amount of a tool output ("12345.6") in French ("12 345,60").
fn texte(amount: &Value) -> Value {
    amount
        .as_str()
        .and_then(|a| a.parse::<Decimal>().ok())
        .map_or(Value::Null, |a| Value::String(format::montant(a)))
}
