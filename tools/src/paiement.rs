//! `record_payment`: a payment received from a co-owner, allocated to their oldest open échéances
//! in the résidence; what is left over stays as a credit.
//!
//! Two phases. `plan` resolves the co-owner and the résidence within the caller's scope, checks
//! the amount, the date and the bank reference, and previews the allocation and the balance after;
//! it writes nothing. `execute` records the confirmed plan in one transaction: the co-owner's
//! échéances in the résidence are locked, the allocation is computed again over what is open at
//! that moment, and the confirmation's id is stored under a unique constraint, so that confirming
//! twice (even concurrently) records one payment.
//!
//! Choices: the mode defaults to a bank transfer (the most common, and the confirmation says it);
//! a payment may be dated up to one year back ([`MOIS_EN_ARRIERE`]), never in the future; a
//! payment belongs to one résidence (as `paiements.residence_id` does), so a co-owner with lots in
//! several résidences is asked which.

use crate::format::{date, mad, montant};
use crate::scope::{self, coproprietaire_label, resolved};
use crate::{Align, Limits, Planned, Render, Table, ToolContext, ToolError, WriteTool};
use chrono::{Months, NaiveDate};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};
use uuid::Uuid;
use wakil_schema::fold::fold;
use wakil_schema::money::{Allocation, OpenEcheance, allocate_oldest_first, to_centimes};
use wakil_schema::store::{
    AllocationEnregistree, CoproprietaireRef, EcheanceOuverte, Insertion, NouveauPaiement,
    PaiementExistant, ResidenceRef, SoldeChiffres, Tenant,
};
use wakil_schema::{Caller, ModePaiement, Role};

pub struct RecordPayment;

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// Copropriétaire qui a payé : nom ou identifiant. Facultatif quand le lot est indiqué.
    #[serde(default)]
    pub coproprietaire: Option<String>,
    /// Lot du copropriétaire ("A41", "3B", "appartement 12") : le paiement est celui de son
    /// propriétaire actuel.
    #[serde(default)]
    pub lot: Option<String>,
    /// Résidence, pour lever une ambiguïté sur le nom ou le lot.
    #[serde(default)]
    pub residence: Option<String>,
    /// Montant reçu, en MAD (ex. 1200.50).
    pub montant: Decimal,
    /// Date de réception du paiement (AAAA-MM-JJ). Par défaut : aujourd'hui. Jamais dans le
    /// futur, ni plus d'un an en arrière.
    #[serde(default)]
    pub date: Option<NaiveDate>,
    /// Mode de paiement : virement, cheque, especes ou terminal (carte bancaire).
    /// Par défaut : virement (le mode est rappelé dans la demande de confirmation).
    #[serde(default, deserialize_with = "mode_paiement")]
    #[schemars(with = "Option<ModePaiement>")]
    pub mode: Option<ModePaiement>,
    /// Référence bancaire : numéro du chèque, référence du virement, numéro du reçu.
    #[serde(default)]
    pub reference: Option<String>,
}

/// The confirmed action: ids to write, and labels to show (never names to resolve again).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub coproprietaire_id: i64,
    pub residence_id: i64,
    pub montant: Decimal,
    pub date: NaiveDate,
    pub mode: ModePaiement,
    pub reference: Option<String>,
    /// "Mme Khadija Lahlou".
    pub coproprietaire: String,
    /// The co-owner's lots in the résidence ("A41", "A24, P04"); empty when they own none now.
    pub lots: String,
    /// "Résidence Les Jardins de Guéliz".
    pub residence: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Output {
    pub paiement_id: i64,
    /// True when this confirmation had already recorded the payment: nothing was written again.
    pub deja_enregistre: bool,
    pub coproprietaire: CoproprietaireRef,
    pub residence: ResidenceRef,
    pub montant: Decimal,
    pub date: NaiveDate,
    pub mode: ModePaiement,
    pub reference: Option<String>,
    /// The échéances the payment covered, oldest first, with what remains owed on each.
    pub allocations: Vec<AllocationEnregistree>,
    /// Part of the payment allocated to no échéance: it stays as a credit.
    pub credit: Decimal,
    /// Date of the balance below (Africa/Casablanca).
    pub au: NaiveDate,
    /// The account after the payment, as `solde_copro` computes it.
    pub solde: SoldeChiffres,
}

/// How far back a payment may be dated, in months.
pub const MOIS_EN_ARRIERE: u32 = 12;
const REFERENCE_MAX: usize = 100;

impl WriteTool for RecordPayment {
    const NAME: &'static str = "record_payment";
    const DESCRIPTION: &'static str = "Enregistre un paiement reçu d'un copropriétaire (virement, chèque, espèces, \
        carte) et l'impute aux échéances impayées les plus anciennes ; l'excédent reste en crédit. \
        Rien n'est enregistré avant la confirmation de l'utilisateur. Renvoie l'imputation et le nouveau solde.";
    type Args = Args;
    type Plan = Plan;
    type Output = Output;

    fn allowed(role: Role) -> bool {
        matches!(role, Role::Admin | Role::Gestionnaire | Role::Comptable)
    }

    async fn plan(
        ctx: &ToolContext,
        caller: &Caller,
        args: Args,
    ) -> Result<Planned<Plan>, ToolError> {
        let today = ctx.clock.today();
        let montant = check_montant(args.montant, &ctx.limits)?;
        let date_paiement = check_date(args.date.unwrap_or(today), today)?;
        let reference = check_reference(args.reference.as_deref())?;
        let mode = args.mode.unwrap_or(ModePaiement::Virement);

        let mut t = ctx.store.tenant_read(caller.syndic_id).await?;
        let (coproprietaire, residence, lots) = target(&mut t, caller, &args).await?;
        if let Some(r) = reference.as_deref()
            && let Some(existing) = t.paiement_par_reference(coproprietaire.id, r).await?
        {
            return Err(duplicate(&coproprietaire.nom, &existing));
        }
        let open = t
            .echeances_ouvertes(coproprietaire.id, residence.id)
            .await?;
        let solde = t.solde_chiffres(coproprietaire.id, None, today).await?;
        t.commit().await?;

        let plan = Plan {
            coproprietaire_id: coproprietaire.id,
            residence_id: residence.id,
            montant,
            date: date_paiement,
            mode,
            reference,
            coproprietaire: coproprietaire.nom,
            lots,
            residence: residence.nom,
        };
        let allocation = allocate(montant, &open);
        Ok(Planned {
            summary: question(&plan),
            tables: vec![
                preview_table(&open, &allocation),
                balance_table(solde.solde, montant),
            ],
            plan,
        })
    }

    async fn execute(
        ctx: &ToolContext,
        caller: &Caller,
        plan: Plan,
        confirmation: Uuid,
    ) -> Result<Output, ToolError> {
        let today = ctx.clock.today();
        // The plan was stored between the two phases: what does not need the database is checked
        // again, the rest is re-read below.
        check_montant(plan.montant, &ctx.limits)?;
        check_date(plan.date, today)?;
        if caller
            .residence_scope()
            .is_some_and(|only| only != plan.residence_id)
        {
            return Err(ToolError::Forbidden(
                "Ce paiement concerne une résidence hors de votre périmètre.".into(),
            ));
        }

        let mut t = ctx.store.tenant(caller.syndic_id).await?;
        let (paiement_id, deja_enregistre) = match t.paiement_par_confirmation(confirmation).await?
        {
            Some(id) => (id, true),
            None => record(&mut t, caller, &plan, confirmation).await?,
        };
        t.commit().await?;

        let mut t = ctx.store.tenant_read(caller.syndic_id).await?;
        let p = t
            .paiement_enregistre(paiement_id)
            .await?
            .ok_or_else(|| ToolError::Internal(format!("paiement {paiement_id} introuvable")))?;
        let coproprietaire = t
            .coproprietaire_by_id(p.coproprietaire_id, None)
            .await?
            .ok_or_else(|| {
                ToolError::Internal(format!(
                    "copropriétaire {} introuvable",
                    p.coproprietaire_id
                ))
            })?;
        let residence = t.residence_by_id(p.residence_id).await?.ok_or_else(|| {
            ToolError::Internal(format!("résidence {} introuvable", p.residence_id))
        })?;
        let solde = t.solde_chiffres(p.coproprietaire_id, None, today).await?;
        t.commit().await?;
        let alloue: Decimal = p.allocations.iter().map(|a| a.impute).sum();
        Ok(Output {
            paiement_id,
            deja_enregistre,
            coproprietaire,
            residence,
            credit: p.montant - alloue,
            montant: p.montant,
            date: p.date_paiement,
            mode: p.mode,
            reference: p.reference,
            allocations: p.allocations,
            au: today,
            solde,
        })
    }
}

/// Records the plan in `t` (not committed): the payment and its allocation over what is open now.
/// Returns the payment's id and whether this confirmation had already recorded it.
async fn record(
    t: &mut Tenant,
    caller: &Caller,
    plan: &Plan,
    confirmation: Uuid,
) -> Result<(i64, bool), ToolError> {
    let gone = || {
        ToolError::InvalidArgs(
            "Le copropriétaire ou la résidence de ce paiement n'existe plus ; refaites la demande."
                .into(),
        )
    };
    t.coproprietaire_by_id(plan.coproprietaire_id, None)
        .await?
        .ok_or_else(gone)?;
    t.residence_by_id(plan.residence_id)
        .await?
        .ok_or_else(gone)?;
    // One payment of this account at a time: a concurrent one waits here until we commit, then
    // sees our allocations.
    t.verrouiller_echeances(plan.coproprietaire_id, plan.residence_id)
        .await?;
    if let Some(r) = plan.reference.as_deref()
        && let Some(existing) = t.paiement_par_reference(plan.coproprietaire_id, r).await?
    {
        return Err(duplicate(&plan.coproprietaire, &existing));
    }
    let nouveau = NouveauPaiement {
        coproprietaire_id: plan.coproprietaire_id,
        residence_id: plan.residence_id,
        montant: plan.montant,
        date_paiement: plan.date,
        mode: plan.mode,
        reference: plan.reference.as_deref(),
        confirmation,
        enregistre_par: caller.user_id,
    };
    match t.inserer_paiement(&nouveau).await? {
        Insertion::Inseree(id) => {
            let open = t
                .echeances_ouvertes(plan.coproprietaire_id, plan.residence_id)
                .await?;
            let allocation = allocate(plan.montant, &open);
            let parts: Vec<(i64, Decimal)> = allocation
                .parts
                .iter()
                .map(|(e, m)| (e.echeance_id, *m))
                .collect();
            if !parts.is_empty() {
                t.inserer_allocations(id, &parts).await?;
            }
            Ok((id, false))
        }
        Insertion::DejaEnregistree(id) => Ok((id, true)),
        Insertion::ReferenceDejaUtilisee => {
            let existing = match plan.reference.as_deref() {
                Some(r) => t.paiement_par_reference(plan.coproprietaire_id, r).await?,
                None => None,
            };
            Err(existing.map_or_else(
                || ToolError::Internal("conflit d'unicité sans référence".into()),
                |e| duplicate(&plan.coproprietaire, &e),
            ))
        }
    }
}

/// The co-owner, the résidence of the payment and the co-owner's lots there, within the caller's
/// scope.
async fn target(
    t: &mut Tenant,
    caller: &Caller,
    args: &Args,
) -> Result<(CoproprietaireRef, ResidenceRef, String), ToolError> {
    let residence = scope::residence(t, caller, args.residence.as_deref()).await?;
    let nom = args
        .coproprietaire
        .as_deref()
        .map(str::trim)
        .filter(|q| !q.is_empty());
    if let Some(q) = args.lot.as_deref().filter(|q| !q.trim().is_empty()) {
        let (lot, owner) = scope::lot_owner(
            t,
            residence.as_ref().map(|r| r.id),
            q,
            nom,
            "indiquez le copropriétaire qui a payé.",
        )
        .await?;
        let coproprietaire = t
            .coproprietaire_by_id(owner, None)
            .await?
            .ok_or_else(|| ToolError::Internal(format!("copropriétaire {owner} introuvable")))?;
        let residence = t.residence_by_id(lot.residence_id).await?.ok_or_else(|| {
            ToolError::Internal(format!("résidence {} introuvable", lot.residence_id))
        })?;
        return Ok((coproprietaire, residence, lot.numero));
    }
    let Some(q) = nom else {
        return Err(ToolError::InvalidArgs(
            "Précisez le copropriétaire (nom) ou le lot pour lequel le paiement a été reçu.".into(),
        ));
    };
    let coproprietaire = resolved(
        t.find_coproprietaire(q, residence.as_ref().map(|r| r.id))
            .await?,
        "copropriétaire",
        q,
        coproprietaire_label,
    )?;
    let residence = match residence {
        Some(r) => r,
        None => {
            let all = t.residences_of_coproprietaire(coproprietaire.id).await?;
            match <[ResidenceRef; 1]>::try_from(all) {
                Ok([one]) => one,
                Err(all) if all.is_empty() => {
                    return Err(ToolError::InvalidArgs(format!(
                        "{} n'a ni lot ni échéance enregistrés : précisez la résidence du paiement.",
                        coproprietaire.nom
                    )));
                }
                Err(all) => {
                    return Err(ToolError::InvalidArgs(format!(
                        "{} a des lots dans plusieurs résidences ({}) : précisez la résidence ou le lot du paiement.",
                        coproprietaire.nom,
                        all.iter()
                            .map(scope::residence_label)
                            .collect::<Vec<_>>()
                            .join(" ; ")
                    )));
                }
            }
        }
    };
    let lots = t.lots_of(coproprietaire.id, residence.id).await?.join(", ");
    Ok((coproprietaire, residence, lots))
}

fn check_montant(montant: Decimal, limits: &Limits) -> Result<Decimal, ToolError> {
    if montant <= Decimal::ZERO {
        return Err(ToolError::InvalidArgs(format!(
            "Le montant d'un paiement doit être positif (reçu : {}). Indiquez la somme reçue en MAD, par exemple 1200.50.",
            mad(montant)
        )));
    }
    if to_centimes(montant).is_none() {
        return Err(ToolError::InvalidArgs(format!(
            "Le montant {montant} n'est pas exprimé au centime près : indiquez au plus deux décimales, par exemple 1200.50."
        )));
    }
    if montant > limits.paiement_max {
        return Err(ToolError::InvalidArgs(format!(
            "Un paiement de {} dépasse le plafond de {} par paiement. Vérifiez le montant ; \
             pour une somme plus élevée, demandez à l'administrateur de relever le plafond.",
            mad(montant),
            mad(limits.paiement_max)
        )));
    }
    Ok(montant)
}

fn check_date(d: NaiveDate, today: NaiveDate) -> Result<NaiveDate, ToolError> {
    if d > today {
        return Err(ToolError::InvalidArgs(format!(
            "La date du paiement ({}) est dans le futur : indiquez la date à laquelle il a été reçu \
             (au plus tard aujourd'hui, {}).",
            date(d),
            date(today)
        )));
    }
    let earliest = today
        .checked_sub_months(Months::new(MOIS_EN_ARRIERE))
        .unwrap_or(NaiveDate::MIN);
    if d < earliest {
        return Err(ToolError::InvalidArgs(format!(
            "La date du paiement ({}) remonte à plus d'un an : vérifiez-la. Un paiement ne peut \
             pas être daté d'avant le {} ; un paiement plus ancien se régularise en comptabilité.",
            date(d),
            date(earliest)
        )));
    }
    Ok(d)
}

/// The reference as stored: trimmed, none when blank.
fn check_reference(reference: Option<&str>) -> Result<Option<String>, ToolError> {
    let Some(r) = reference.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    if r.chars().count() > REFERENCE_MAX {
        return Err(ToolError::InvalidArgs(format!(
            "La référence du paiement est trop longue ({REFERENCE_MAX} caractères au plus) : \
             indiquez le numéro du chèque, du virement ou du reçu."
        )));
    }
    Ok(Some(r.to_string()))
}

fn duplicate(coproprietaire: &str, existing: &PaiementExistant) -> ToolError {
    let reference = existing.reference.as_deref().unwrap_or_default();
    ToolError::InvalidArgs(if existing.annule {
        format!(
            "La référence {reference} a déjà servi pour un paiement annulé de {coproprietaire} \
             ({} daté du {}). Rien n'a été enregistré ; indiquez une référence distincte, \
             par exemple « {reference}-bis ».",
            mad(existing.montant),
            date(existing.date_paiement)
        )
    } else {
        format!(
            "Ce paiement est déjà enregistré : {coproprietaire} a un paiement réf. {reference} \
             de {} daté du {}. Rien n'a été enregistré ; s'il s'agit d'un autre paiement, \
             indiquez sa propre référence.",
            mad(existing.montant),
            date(existing.date_paiement)
        )
    })
}

fn allocate(montant: Decimal, open: &[EcheanceOuverte]) -> Allocation<&EcheanceOuverte> {
    let open: Vec<OpenEcheance<&EcheanceOuverte>> = open
        .iter()
        .map(|e| OpenEcheance {
            key: e,
            remaining: e.reste,
        })
        .collect();
    allocate_oldest_first(montant, &open)
}

/// The mode as said in a sentence ("chèque", "carte bancaire").
fn mode_court(mode: ModePaiement) -> &'static str {
    match mode {
        ModePaiement::Virement => "virement",
        ModePaiement::Cheque => "chèque",
        ModePaiement::Especes => "espèces",
        ModePaiement::Terminal => "carte bancaire",
    }
}

/// « Enregistrer un paiement de 1 200,00 MAD (chèque, réf. CHQ-1234) de Mme Khadija Lahlou,
/// lot A41 (Résidence Les Jardins de Guéliz), daté du 15/11/2026 ? »
fn question(plan: &Plan) -> String {
    let reference = plan
        .reference
        .as_deref()
        .map_or("sans référence".to_string(), |r| format!("réf. {r}"));
    let lots = match plan.lots.as_str() {
        "" => String::new(),
        l if l.contains(", ") => format!(", lots {l}"),
        l => format!(", lot {l}"),
    };
    format!(
        "Enregistrer un paiement de {} ({}, {reference}) de {}{lots} ({}), daté du {} ?",
        mad(plan.montant),
        mode_court(plan.mode),
        plan.coproprietaire,
        plan.residence,
        date(plan.date)
    )
}

const CREDIT_LABEL: &str = "Non imputé : reste en crédit";

fn preview_table(open: &[EcheanceOuverte], allocation: &Allocation<&EcheanceOuverte>) -> Table {
    let mut t = Table::new(
        "Imputation prévue (échéances les plus anciennes d'abord)",
        &[
            ("Appel", Align::Left),
            ("Lot", Align::Left),
            ("Échéance", Align::Left),
            ("Reste dû", Align::Right),
            ("Imputé", Align::Right),
            ("Reste après", Align::Right),
        ],
    );
    for (e, part) in &allocation.parts {
        t.row(vec![
            e.appel.clone(),
            e.lot.clone(),
            date(e.date_echeance),
            montant(e.reste),
            montant(*part),
            montant(e.reste - *part),
        ]);
    }
    // Échéances the payment does not reach stay open, as they are.
    let alloue: Decimal = allocation.parts.iter().map(|p| p.1).sum();
    let ouvert: Decimal = open.iter().map(|e| e.reste).sum();
    let non_couvert = ouvert - allocation.parts.iter().map(|p| p.0.reste).sum::<Decimal>();
    if non_couvert > Decimal::ZERO {
        t.row(vec![
            "Échéances suivantes, non couvertes".into(),
            String::new(),
            String::new(),
            montant(non_couvert),
            montant(Decimal::ZERO),
            montant(non_couvert),
        ]);
    }
    if allocation.credit > Decimal::ZERO {
        t.row(vec![
            CREDIT_LABEL.into(),
            String::new(),
            String::new(),
            String::new(),
            montant(allocation.credit),
            String::new(),
        ]);
    }
    t.footer = Some(vec![
        "Total".into(),
        String::new(),
        String::new(),
        montant(ouvert),
        montant(alloue + allocation.credit),
        montant(ouvert - alloue),
    ]);
    t
}

fn balance_table(solde: Decimal, paiement: Decimal) -> Table {
    let mut t = Table::new(
        "Solde du compte (positif = dû)",
        &[("", Align::Left), ("MAD", Align::Right)],
    );
    t.row(vec!["Solde actuel".into(), montant(solde)]);
    t.row(vec!["Paiement".into(), montant(-paiement)]);
    t.row(vec![
        "Solde après paiement".into(),
        montant(solde - paiement),
    ]);
    t
}

fn etat(solde: Decimal) -> String {
    if solde > Decimal::ZERO {
        format!("{} dû", mad(solde))
    } else if solde < Decimal::ZERO {
        format!("crédit de {}", mad(-solde))
    } else {
        "à jour (0,00 MAD)".to_string()
    }
}

impl Render for Output {
    fn summary(&self) -> String {
        let mut s = if self.deja_enregistre {
            format!(
                "Ce paiement de {} pour {} était déjà enregistré (rien n'a été ajouté).",
                mad(self.montant),
                self.coproprietaire.nom
            )
        } else {
            format!(
                "Paiement de {} enregistré pour {}.",
                mad(self.montant),
                self.coproprietaire.nom
            )
        };
        if self.credit > Decimal::ZERO {
            s.push_str(&format!(
                " {} non imputés restent en crédit.",
                mad(self.credit)
            ));
        }
        s.push_str(&format!(" Nouveau solde : {}.", etat(self.solde.solde)));
        s
    }

    fn tables(&self) -> Vec<Table> {
        let mut imputation = Table::new(
            format!(
                "Imputation du paiement du {} ({}{})",
                date(self.date),
                mode_court(self.mode),
                self.reference
                    .as_deref()
                    .map_or(String::new(), |r| format!(", réf. {r}"))
            ),
            &[
                ("Appel", Align::Left),
                ("Lot", Align::Left),
                ("Échéance", Align::Left),
                ("Imputé", Align::Right),
                ("Reste dû", Align::Right),
            ],
        );
        for a in &self.allocations {
            imputation.row(vec![
                a.appel.clone(),
                a.lot.clone(),
                date(a.date_echeance),
                montant(a.impute),
                montant(a.reste),
            ]);
        }
        if self.credit > Decimal::ZERO {
            imputation.row(vec![
                CREDIT_LABEL.into(),
                String::new(),
                String::new(),
                montant(self.credit),
                String::new(),
            ]);
        }
        imputation.footer = Some(vec![
            "Total".into(),
            String::new(),
            String::new(),
            montant(self.montant),
            montant(self.allocations.iter().map(|a| a.reste).sum()),
        ]);

        let c = &self.solde;
        let mut compte = Table::new(
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
            compte.row(vec![label.into(), montant(value)]);
        }
        vec![imputation, compte]
    }
}

/// The mode as typed by a model or a person: "chèque", "CHQ", "espèces", "carte", "TPE"…
fn mode_paiement<'de, D: Deserializer<'de>>(d: D) -> Result<Option<ModePaiement>, D::Error> {
    let Some(text) = Option::<String>::deserialize(d)? else {
        return Ok(None);
    };
    let mode = match fold(text.trim()).as_str() {
        "" => return Ok(None),
        "virement" | "vir" | "virement bancaire" | "transfert" => ModePaiement::Virement,
        "cheque" | "chq" | "cheque bancaire" => ModePaiement::Cheque,
        "especes" | "espece" | "cash" | "liquide" => ModePaiement::Especes,
        "terminal" | "carte" | "carte bancaire" | "cb" | "tpe" => ModePaiement::Terminal,
        _ => {
            return Err(serde::de::Error::unknown_variant(
                &text,
                &["virement", "cheque", "especes", "terminal"],
            ));
        }
    };
    Ok(Some(mode))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn parse(json: serde_json::Value) -> Result<Args, String> {
        serde_json::from_value(json).map_err(|e| e.to_string())
    }

    #[test]
    fn the_mode_accepts_french_spellings() {
        for (typed, mode) in [
            ("chèque", ModePaiement::Cheque),
            ("Espèces", ModePaiement::Especes),
            ("virement", ModePaiement::Virement),
            ("CB", ModePaiement::Terminal),
        ] {
            let a =
                parse(serde_json::json!({ "lot": "A41", "montant": 10, "mode": typed })).unwrap();
            assert_eq!(a.mode, Some(mode), "{typed}");
        }
        let a = parse(serde_json::json!({ "lot": "A41", "montant": "10.50" })).unwrap();
        assert_eq!((a.mode, a.montant), (None, dec!(10.50)));
        let e = parse(serde_json::json!({ "lot": "A41", "montant": 10, "mode": "bitcoin" }))
            .unwrap_err();
        assert!(e.starts_with("unknown variant `bitcoin`"), "{e}");
    }

    #[test]
    fn amounts_dates_and_references_are_checked() {
        let limits = Limits::default();
        assert!(check_montant(dec!(0), &limits).is_err());
        assert!(check_montant(dec!(-5), &limits).is_err());
        assert!(check_montant(dec!(10.005), &limits).is_err());
        assert!(check_montant(dec!(1000000.01), &limits).is_err());
        assert_eq!(
            check_montant(dec!(1000000), &limits).unwrap(),
            dec!(1000000)
        );
        let today = NaiveDate::from_ymd_opt(2026, 11, 15).unwrap();
        assert!(check_date(today.succ_opt().unwrap(), today).is_err());
        let year_ago = NaiveDate::from_ymd_opt(2025, 11, 15).unwrap();
        assert_eq!(check_date(year_ago, today).unwrap(), year_ago);
        assert!(check_date(year_ago.pred_opt().unwrap(), today).is_err());
        assert_eq!(check_reference(Some("  ")).unwrap(), None);
        assert_eq!(
            check_reference(Some(" CHQ-1 ")).unwrap().as_deref(),
            Some("CHQ-1")
        );
        assert!(check_reference(Some(&"x".repeat(101))).is_err());
    }

    #[test]
    fn the_question_names_mode_reference_lots_and_date() {
        let mut plan = Plan {
            coproprietaire_id: 13,
            residence_id: 1,
            montant: dec!(1200),
            date: NaiveDate::from_ymd_opt(2026, 11, 15).unwrap(),
            mode: ModePaiement::Cheque,
            reference: Some("CHQ-1234".into()),
            coproprietaire: "Mme Khadija Lahlou".into(),
            lots: "A41".into(),
            residence: "Résidence Les Jardins de Guéliz".into(),
        };
        assert_eq!(
            question(&plan),
            "Enregistrer un paiement de 1\u{a0}200,00\u{a0}MAD (chèque, réf. CHQ-1234) de Mme Khadija Lahlou, \
             lot A41 (Résidence Les Jardins de Guéliz), daté du 15/11/2026 ?"
        );
        plan.lots = "A24, P04".into();
        plan.reference = None;
        plan.mode = ModePaiement::Virement;
        assert!(
            question(&plan)
                .contains("(virement, sans référence) de Mme Khadija Lahlou, lots A24, P04 ("),
            "{}",
            question(&plan)
        );
    }
}
