//! The caller's scope, applied before any figure is read: which résidences and which co-owner
//! accounts a caller may see, and the resolution of what they typed within that scope.

use crate::ToolError;
use wakil_schema::Caller;
use wakil_schema::fold::closest;
use wakil_schema::store::{CoproprietaireRef, Lookup, LotRef, ResidenceRef, Tenant};

pub(crate) const STAFF_ONLY: &str = "Cette information est réservée à l'équipe du syndic. Vous pouvez consulter votre propre compte (« mon solde »).";

/// Turns a lookup into the row or a typed error with candidates / closest matches.
pub(crate) fn resolved<T>(
    lookup: Lookup<T>,
    what: &'static str,
    query: &str,
    label: impl Fn(&T) -> String,
) -> Result<T, ToolError> {
    match lookup {
        Lookup::Found(t) => Ok(t),
        Lookup::Ambiguous(c) => Err(ToolError::Ambiguous {
            what,
            query: query.to_string(),
            candidates: c.iter().map(label).collect(),
        }),
        Lookup::NotFound(s) => Err(ToolError::NotFound {
            what,
            query: query.to_string(),
            suggestions: s.iter().map(label).collect(),
        }),
    }
}

pub(crate) fn residence_label(r: &ResidenceRef) -> String {
    format!("{} ({})", r.nom, r.ville)
}

pub(crate) fn coproprietaire_label(c: &CoproprietaireRef) -> String {
    if c.lots.is_empty() {
        c.nom.clone()
    } else {
        format!("{} — {}", c.nom, c.lots)
    }
}

/// The résidence the caller asked for, within what they may see; `None` when they named none
/// (and are not bound to one).
pub(crate) async fn residence(
    t: &mut Tenant,
    caller: &Caller,
    query: Option<&str>,
) -> Result<Option<ResidenceRef>, ToolError> {
    let only = caller.residence_scope();
    match query.map(str::trim).filter(|q| !q.is_empty()) {
        Some(q) => {
            let r = resolved(
                t.find_residence(q, only).await?,
                "résidence",
                q,
                residence_label,
            )?;
            Ok(Some(r))
        }
        None => match only {
            Some(id) => Ok(t.residence_by_id(id).await?),
            None => Ok(None),
        },
    }
}

/// The syndic's supplier closest to `q`: (id, name), or the closest names when none is close.
pub(crate) async fn fournisseur(t: &mut Tenant, q: &str) -> Result<(i64, String), ToolError> {
    let all = t.fournisseurs().await?;
    let best = closest(q, &all, |(_, nom)| nom, 0.8, 5);
    let lookup = match best.as_slice() {
        [] => Lookup::NotFound(
            closest(q, &all, |(_, nom)| nom, 0.6, 5)
                .into_iter()
                .cloned()
                .collect(),
        ),
        [one, ..] => Lookup::Found((*one).clone()),
    };
    resolved(lookup, "fournisseur", q, |(_, nom)| nom.clone())
}

/// Like [`residence`], when the tool needs exactly one: a caller with a single résidence gets it,
/// otherwise they are asked which.
pub(crate) async fn one_residence(
    t: &mut Tenant,
    caller: &Caller,
    query: Option<&str>,
) -> Result<ResidenceRef, ToolError> {
    if let Some(r) = residence(t, caller, query).await? {
        return Ok(r);
    }
    let all = t.residences(caller.residence_scope()).await?;
    match all.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(ToolError::InvalidArgs(
            "Aucune résidence n'est enregistrée pour ce syndic.".into(),
        )),
        many => Err(ToolError::InvalidArgs(format!(
            "Précisez la résidence : {}.",
            many.iter()
                .take(10)
                .map(residence_label)
                .collect::<Vec<_>>()
                .join(" ; ")
        ))),
    }
}

/// Lot `q` (in `residence` when given) and the id of its current owner. When `nom` is given too,
/// it must name that owner. `sans_proprietaire` says what to do when the lot has none.
pub(crate) async fn lot_owner(
    t: &mut Tenant,
    residence: Option<i64>,
    q: &str,
    nom: Option<&str>,
    sans_proprietaire: &str,
) -> Result<(LotRef, i64), ToolError> {
    let lot = resolved(t.find_lot(q, residence).await?, "lot", q, |l| {
        format!("{} ({})", l.numero, l.residence)
    })?;
    let owner = lot.coproprietaire_id.ok_or_else(|| {
        ToolError::InvalidArgs(format!(
            "Le lot {} ({}) n'a pas de propriétaire enregistré : {sans_proprietaire}",
            lot.numero, lot.residence
        ))
    })?;
    if let Some(n) = nom {
        let same = match t.find_coproprietaire(n, Some(lot.residence_id)).await? {
            Lookup::Found(c) => c.id == owner,
            Lookup::Ambiguous(c) => c.iter().any(|c| c.id == owner),
            Lookup::NotFound(_) => false,
        };
        if !same {
            return Err(ToolError::InvalidArgs(format!(
                "Le lot {} ({}) appartient à {}, pas à « {n} ». Vérifiez le lot ou le nom.",
                lot.numero,
                lot.residence,
                lot.coproprietaire
                    .as_deref()
                    .unwrap_or("un autre copropriétaire")
            )));
        }
    }
    Ok((lot, owner))
}
