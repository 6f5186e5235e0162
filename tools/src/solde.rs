//! `solde_copro`: a co-owner's balance and movements. A co-owner sees their own account only.

use crate::format::{date, mad, montant};
use crate::scope::{self, coproprietaire_label, resolved};
use crate::{Align, Render, Table, Tool, ToolContext, ToolError};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use wakil_schema::fold::{fold, lot_key};
use wakil_schema::store::{
    CoproprietaireRef, EcheanceDetail, PaiementDetail, SoldeChiffres, Tenant,
};
use wakil_schema::{Caller, Role};

pub struct SoldeCopro;

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// Copropriétaire : nom ou identifiant. Omis par un copropriétaire : son propre compte.
    #[serde(default)]
    pub coproprietaire: Option<String>,
    /// Lot ("A12", "3B", "lot 12") : le compte de son propriétaire actuel.
    #[serde(default)]
    pub lot: Option<String>,
    /// Résidence, pour lever une ambiguïté sur le nom ou le lot.
    #[serde(default)]
    pub residence: Option<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Output {
    pub coproprietaire: CoproprietaireRef,
    pub au: NaiveDate,
    pub chiffres: SoldeChiffres,
    pub echeances: Vec<EcheanceDetail>,
    pub paiements: Vec<PaiementDetail>,
}

const OWN_ACCOUNT_ONLY: &str = "Vous ne pouvez consulter que votre propre compte.";

impl Tool for SoldeCopro {
    const NAME: &'static str = "solde_copro";
    const DESCRIPTION: &'static str = "Solde d'un copropriétaire : total appelé, total payé, solde, impayé échu, \
        crédit, avec le détail des échéances et des paiements (et leur imputation). \
        Un copropriétaire ne peut consulter que son propre compte.";
    type Args = Args;
    type Output = Output;

    fn allowed(_role: Role) -> bool {
        true
    }

    async fn run(ctx: &ToolContext, caller: &Caller, args: Args) -> Result<Output, ToolError> {
        let today = ctx.clock.today();
        let mut t = ctx.store.tenant_read(caller.syndic_id).await?;
        let id = match caller.coproprietaire_id {
            Some(own) => own_account(&mut t, own, &args).await?,
            None => target(&mut t, caller, &args).await?,
        };
        // A président sees the part of the account that belongs to their résidence.
        let scope = caller.residence_scope();
        let coproprietaire = t
            .coproprietaire_by_id(id, scope)
            .await?
            .ok_or_else(|| ToolError::Internal(format!("copropriétaire {id} introuvable")))?;
        let chiffres = t.solde_chiffres(id, scope, today).await?;
        let echeances = t.echeances_of(id, scope).await?;
        let paiements = t.paiements_of(id, scope).await?;
        t.commit().await?;
        Ok(Output {
            coproprietaire,
            au: today,
            chiffres,
            echeances,
            paiements,
        })
    }
}

/// A co-owner's own account. What they name is compared with their own record in Rust: naming
/// anyone else is refused before any query with that name runs, so nothing reveals whether they
/// exist.
async fn own_account(t: &mut Tenant, own: i64, args: &Args) -> Result<i64, ToolError> {
    let me = t
        .coproprietaire_by_id(own, None)
        .await?
        .ok_or_else(|| ToolError::Internal(format!("copropriétaire {own} introuvable")))?;
    if named(args.coproprietaire.as_deref()).is_some_and(|q| !names_me(q, &me.nom))
        || named(args.lot.as_deref()).is_some_and(|q| !is_my_lot(q, &me.lots))
    {
        return Err(ToolError::Forbidden(OWN_ACCOUNT_ONLY.into()));
    }
    Ok(own)
}

fn named(q: Option<&str>) -> Option<&str> {
    q.map(str::trim).filter(|q| !q.is_empty())
}

/// Every word of `query` (civility aside) is a word of the co-owner's name: their own surname,
/// even shared with neighbours, or their full name.
fn names_me(query: &str, my_name: &str) -> bool {
    const CIVILITY: [&str; 7] = [
        "m",
        "mme",
        "mr",
        "mlle",
        "monsieur",
        "madame",
        "mademoiselle",
    ];
    let mine = fold(my_name);
    let mine: Vec<&str> = mine.split_whitespace().collect();
    let asked = fold(&query.replace(['.', ','], " "));
    let mut words = asked
        .split_whitespace()
        .filter(|w| !CIVILITY.contains(w))
        .peekable();
    words.peek().is_some() && words.all(|w| mine.contains(&w))
}

/// `query` is one of the co-owner's lots ("A12 (Résidence …), P05 (…)").
fn is_my_lot(query: &str, my_lots: &str) -> bool {
    let asked = lot_key(query);
    my_lots
        .split(", ")
        .filter_map(|l| l.split(" (").next())
        .any(|numero| lot_key(numero) == asked)
}

/// The account a staff member asked for, within their résidences.
async fn target(t: &mut Tenant, caller: &Caller, args: &Args) -> Result<i64, ToolError> {
    let residence = scope::residence(t, caller, args.residence.as_deref())
        .await?
        .map(|r| r.id);
    if let Some(q) = args.lot.as_deref().filter(|q| !q.trim().is_empty()) {
        let lot = resolved(t.find_lot(q, residence).await?, "lot", q, |l| {
            format!("{} ({})", l.numero, l.residence)
        })?;
        return lot.coproprietaire_id.ok_or_else(|| {
            ToolError::InvalidArgs(format!(
                "Le lot {} ({}) n'a pas de propriétaire enregistré.",
                lot.numero, lot.residence
            ))
        });
    }
    match args
        .coproprietaire
        .as_deref()
        .filter(|q| !q.trim().is_empty())
    {
        Some(q) => Ok(resolved(
            t.find_coproprietaire(q, residence).await?,
            "copropriétaire",
            q,
            coproprietaire_label,
        )?
        .id),
        None => Err(ToolError::InvalidArgs(
            "Précisez le copropriétaire (nom) ou le lot dont vous voulez le solde.".into(),
        )),
    }
}

impl Render for Output {
    fn summary(&self) -> String {
        let c = &self.chiffres;
        let etat = if c.solde > Decimal::ZERO {
            format!("reste dû {}", mad(c.solde))
        } else if c.solde < Decimal::ZERO {
            format!("crédit de {}", mad(-c.solde))
        } else {
            "à jour".to_string()
        };
        format!(
            "{} au {} : {etat} (dont échu impayé {}).",
            self.coproprietaire.nom,
            date(self.au),
            mad(c.echu_impaye)
        )
    }

    fn tables(&self) -> Vec<Table> {
        let c = &self.chiffres;
        let mut resume = Table::new(
            format!("Compte de {} au {}", self.coproprietaire.nom, date(self.au)),
            &[("", Align::Left), ("MAD", Align::Right)],
        );
        for (label, value) in [
            ("Total appelé", c.total_appele),
            ("Total payé", c.total_paye),
            ("Solde (positif = dû)", c.solde),
            ("Dont échu impayé", c.echu_impaye),
            ("Dont à échoir", c.a_echoir),
            ("Crédit non imputé", c.credit),
        ] {
            resume.row(vec![label.into(), montant(value)]);
        }

        let mut echeances = Table::new(
            "Échéances",
            &[
                ("Appel", Align::Left),
                ("Lot", Align::Left),
                ("Échéance", Align::Left),
                ("Montant", Align::Right),
                ("Payé", Align::Right),
                ("Reste", Align::Right),
            ],
        );
        for e in &self.echeances {
            echeances.row(vec![
                e.appel.clone(),
                e.lot.clone(),
                date(e.date_echeance),
                montant(e.montant),
                montant(e.paye),
                montant(e.reste),
            ]);
        }
        echeances.footer = Some(vec![
            "Total".into(),
            String::new(),
            String::new(),
            montant(c.total_appele),
            montant(self.echeances.iter().map(|e| e.paye).sum()),
            montant(self.echeances.iter().map(|e| e.reste).sum()),
        ]);

        let mut paiements = Table::new(
            "Paiements",
            &[
                ("Date", Align::Left),
                ("Mode", Align::Left),
                ("Référence", Align::Left),
                ("Montant", Align::Right),
                ("Imputé", Align::Right),
            ],
        );
        for p in &self.paiements {
            paiements.row(vec![
                date(p.date_paiement),
                p.mode.label().into(),
                p.reference.clone().unwrap_or_default(),
                montant(p.montant),
                montant(p.alloue),
            ]);
        }
        paiements.footer = Some(vec![
            "Total".into(),
            String::new(),
            String::new(),
            montant(c.total_paye),
            montant(self.paiements.iter().map(|p| p.alloue).sum()),
        ]);
        vec![resume, echeances, paiements]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_co_owner_names_only_themselves() {
        let me = "Mme Khadija Lahlou";
        for q in [
            "Lahlou",
            "khadija lahlou",
            "Mme Lahlou",
            "M. LAHLOU",
            "Khadija",
        ] {
            assert!(names_me(q, me), "{q}");
        }
        for q in ["Omar Lahlou", "Mernissi", "Mme", "Khadija Mernissi"] {
            assert!(!names_me(q, me), "{q}");
        }
        let lots = "A41 (Résidence Les Jardins de Guéliz), P05 (Résidence Les Jardins de Guéliz)";
        assert!(is_my_lot("lot a41", lots));
        assert!(is_my_lot("P05", lots));
        assert!(!is_my_lot("A4", lots));
        assert!(!is_my_lot("B21", lots));
    }
}
