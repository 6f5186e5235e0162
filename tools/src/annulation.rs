//! `annuler_paiement`: the reversal of a payment recorded by mistake (a rejected cheque, a
//! transfer entered twice or for the wrong co-owner). The payment is never deleted: it is marked
//! cancelled (when, by whom, why), its allocations stop counting, the échéances it covered are
//! owed again, and the co-owner's credit from other payments in the résidence is imputed to them.
//!
//! Two phases, like every write. `plan` finds the payment within the caller's scope — by its
//! number, or the co-owner (or lot) narrowed by reference, amount and date; several fit → the
//! candidates are listed — and shows what it covered and the balance after; it writes nothing.
//! `execute` cancels it in one transaction, with the account locked as a payment locks it, under
//! the confirmation's id (a unique column): confirming twice, even concurrently, cancels once. A
//! payment already cancelled is refused with who cancelled it, when and why.

use crate::format::{date, mad, montant};
use crate::paiement::{etat, mode_court, target};
use crate::{Align, Planned, Render, Table, ToolContext, ToolError, WriteTool};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use wakil_schema::money::{OpenEcheance, allocate_oldest_first};
use wakil_schema::store::{
    AllocationEnregistree, Annulation, CoproprietaireRef, CreditImpute, PaiementFiltre,
    PaiementTrouve, ResidenceRef, SoldeChiffres, Tenant,
};
use wakil_schema::{Caller, ModePaiement, Role};

pub struct AnnulerPaiement;

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// Numéro du paiement (n° affiché dans l'historique du compte), s'il est connu.
    #[serde(default)]
    pub paiement: Option<i64>,
    /// Copropriétaire qui avait payé : nom ou identifiant.
    #[serde(default)]
    pub coproprietaire: Option<String>,
    /// Lot du copropriétaire ("A41") : le paiement est cherché chez son propriétaire actuel.
    #[serde(default)]
    pub lot: Option<String>,
    /// Résidence, pour lever une ambiguïté sur le nom ou le lot.
    #[serde(default)]
    pub residence: Option<String>,
    /// Référence bancaire du paiement à annuler (numéro de chèque, référence du virement).
    #[serde(default)]
    pub reference: Option<String>,
    /// Montant du paiement à annuler, en MAD.
    #[serde(default)]
    pub montant: Option<Decimal>,
    /// Date du paiement à annuler (AAAA-MM-JJ).
    #[serde(default)]
    pub date: Option<NaiveDate>,
    /// Motif de l'annulation (obligatoire), par exemple « chèque rejeté » ou « saisi en double ».
    pub motif: String,
}

/// The confirmed action: the payment's id and the reason; labels to show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub paiement_id: i64,
    pub coproprietaire_id: i64,
    pub residence_id: i64,
    pub motif: String,
    pub montant: Decimal,
    pub date: NaiveDate,
    pub mode: ModePaiement,
    pub reference: Option<String>,
    /// "Mme Khadija Lahlou".
    pub coproprietaire: String,
    /// "Résidence Les Jardins de Guéliz".
    pub residence: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Output {
    pub paiement_id: i64,
    /// True when this confirmation had already cancelled the payment: nothing was written again.
    pub deja_annule: bool,
    pub coproprietaire: CoproprietaireRef,
    pub residence: ResidenceRef,
    pub montant: Decimal,
    pub date: NaiveDate,
    pub mode: ModePaiement,
    pub reference: Option<String>,
    pub motif: String,
    /// The échéances the payment covered, owed again: what it had covered (`impute`) and what
    /// remains owed on each now (`reste`, after the credit imputed below).
    pub echeances_rouvertes: Vec<AllocationEnregistree>,
    /// The co-owner's credit (other payments) imputed to the échéances reopened.
    pub credits_imputes: Vec<CreditImpute>,
    /// Date of the balance below (Africa/Casablanca).
    pub au: NaiveDate,
    /// The account after the reversal, as `solde_copro` computes it.
    pub solde: SoldeChiffres,
}

const MOTIF_MAX: usize = 500;
/// Candidates listed when several payments fit.
const CANDIDATS: usize = 8;

impl WriteTool for AnnulerPaiement {
    const NAME: &'static str = "annuler_paiement";
    const DESCRIPTION: &'static str = "Annule un paiement enregistré par erreur (chèque rejeté, saisie en double, \
        mauvais copropriétaire) : le paiement est conservé et marqué annulé avec son motif, les échéances \
        qu'il couvrait redeviennent dues. Trouve le paiement par son numéro, ou par le copropriétaire (ou \
        le lot) et sa référence, son montant ou sa date. Motif obligatoire ; rien n'est modifié avant la \
        confirmation de l'utilisateur.";
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
        let motif = check_motif(&args.motif)?;
        let mut t = ctx.store.tenant_read(caller.syndic_id).await?;
        let p = find(&mut t, caller, &args).await?;
        let coproprietaire = t
            .coproprietaire_by_id(p.coproprietaire_id, None)
            .await?
            .ok_or_else(|| {
                ToolError::Internal(format!("copropriétaire {}", p.coproprietaire_id))
            })?;
        if p.annule_le.is_some() {
            return Err(already_cancelled(&p, &coproprietaire.nom));
        }
        let residence = t
            .residence_by_id(p.residence_id)
            .await?
            .ok_or_else(|| ToolError::Internal(format!("résidence {}", p.residence_id)))?;
        let couvert = t
            .paiement_enregistre(p.paiement_id)
            .await?
            .map(|e| e.allocations)
            .unwrap_or_default();
        let open = t
            .echeances_ouvertes(p.coproprietaire_id, p.residence_id)
            .await?;
        let autres_credits: Decimal = t
            .credits_disponibles(p.residence_id, Some(p.coproprietaire_id))
            .await?
            .iter()
            .filter(|c| c.paiement_id != p.paiement_id)
            .map(|c| c.disponible)
            .sum();
        let solde = t.solde_chiffres(p.coproprietaire_id, None, today).await?;
        t.commit().await?;

        let reimpute = credit_reimpute(&couvert, &open, autres_credits);
        let plan = Plan {
            paiement_id: p.paiement_id,
            coproprietaire_id: p.coproprietaire_id,
            residence_id: p.residence_id,
            motif,
            montant: p.montant,
            date: p.date_paiement,
            mode: p.mode,
            reference: p.reference,
            coproprietaire: coproprietaire.nom,
            residence: residence.nom,
        };
        Ok(Planned {
            summary: question(&plan, reimpute),
            tables: vec![
                covered_table(&plan, &couvert),
                balance_table(solde.solde, plan.montant),
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
        check_motif(&plan.motif)?;
        if caller
            .residence_scope()
            .is_some_and(|only| only != plan.residence_id)
        {
            return Err(ToolError::Forbidden(
                "Ce paiement concerne une résidence hors de votre périmètre.".into(),
            ));
        }
        let mut t = ctx.store.tenant(caller.syndic_id).await?;
        let (deja_annule, credits_imputes) = match t.paiement_par_annulation(confirmation).await? {
            Some(_) => (true, Vec::new()),
            None => cancel(&mut t, caller, &plan, confirmation).await?,
        };
        t.commit().await?;

        let mut t = ctx.store.tenant_read(caller.syndic_id).await?;
        let p = t
            .paiement_enregistre(plan.paiement_id)
            .await?
            .ok_or_else(|| ToolError::Internal(format!("paiement {}", plan.paiement_id)))?;
        let coproprietaire = t
            .coproprietaire_by_id(p.coproprietaire_id, None)
            .await?
            .ok_or_else(|| {
                ToolError::Internal(format!("copropriétaire {}", p.coproprietaire_id))
            })?;
        let residence = t
            .residence_by_id(p.residence_id)
            .await?
            .ok_or_else(|| ToolError::Internal(format!("résidence {}", p.residence_id)))?;
        let solde = t.solde_chiffres(p.coproprietaire_id, None, today).await?;
        t.commit().await?;
        Ok(Output {
            paiement_id: p.paiement_id,
            deja_annule,
            coproprietaire,
            residence,
            montant: p.montant,
            date: p.date_paiement,
            mode: p.mode,
            reference: p.reference,
            motif: plan.motif,
            echeances_rouvertes: p.allocations,
            credits_imputes,
            au: today,
            solde,
        })
    }
}

/// Cancels the plan's payment in `t` (not committed) and imputes the co-owner's other credit to
/// what it reopened. Returns whether this confirmation had already cancelled it, and the credit
/// imputed.
async fn cancel(
    t: &mut Tenant,
    caller: &Caller,
    plan: &Plan,
    confirmation: Uuid,
) -> Result<(bool, Vec<CreditImpute>), ToolError> {
    // One change of this account at a time: a payment, a reversal or an appel's credit
    // imputation waits here until we commit, then sees the reversal.
    t.verrouiller_echeances(plan.coproprietaire_id, plan.residence_id)
        .await?;
    let p = t
        .paiement_trouve(plan.paiement_id)
        .await?
        .filter(|p| {
            p.coproprietaire_id == plan.coproprietaire_id && p.residence_id == plan.residence_id
        })
        .ok_or_else(|| {
            ToolError::InvalidArgs(
                "Ce paiement n'existe plus tel qu'il a été présenté ; refaites la demande.".into(),
            )
        })?;
    match t
        .annuler_paiement(p.paiement_id, confirmation, caller.user_id, &plan.motif)
        .await?
    {
        Annulation::Annule => {
            let credits = t
                .imputer_credits(plan.residence_id, Some(plan.coproprietaire_id))
                .await?;
            Ok((false, credits))
        }
        Annulation::DejaAnnuleeParCetteConfirmation(_) => Ok((true, Vec::new())),
        Annulation::DejaAnnule => {
            let p = t
                .paiement_trouve(plan.paiement_id)
                .await?
                .ok_or_else(|| ToolError::Internal(format!("paiement {}", plan.paiement_id)))?;
            Err(already_cancelled(&p, &plan.coproprietaire))
        }
    }
}

/// The payment the arguments point to, within the caller's scope (cancelled or not).
async fn find(t: &mut Tenant, caller: &Caller, args: &Args) -> Result<PaiementTrouve, ToolError> {
    let reference = args
        .reference
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    let filtre = PaiementFiltre {
        reference,
        montant: args.montant,
        date_paiement: args.date,
    };
    if let Some(id) = args.paiement {
        let not_found = || ToolError::NotFound {
            what: "paiement",
            query: format!("n° {id}"),
            suggestions: Vec::new(),
        };
        let p = t.paiement_trouve(id).await?.ok_or_else(not_found)?;
        if caller
            .residence_scope()
            .is_some_and(|only| only != p.residence_id)
        {
            return Err(not_found());
        }
        if !fits(&p, &filtre) {
            return Err(ToolError::InvalidArgs(format!(
                "Le paiement n° {id} ({}) ne correspond pas à la référence, au montant ou à la date indiqués. \
                 Vérifiez le numéro ou retirez-le pour chercher par copropriétaire.",
                label(&p)
            )));
        }
        return Ok(p);
    }
    if args
        .coproprietaire
        .as_deref()
        .is_none_or(|c| c.trim().is_empty())
        && args.lot.as_deref().is_none_or(|l| l.trim().is_empty())
    {
        return Err(ToolError::InvalidArgs(
            "Précisez le paiement à annuler : son numéro, ou le copropriétaire (ou le lot) avec \
             sa référence, son montant ou sa date."
                .into(),
        ));
    }
    let (coproprietaire, residence, _) = target(
        t,
        caller,
        args.coproprietaire.as_deref(),
        args.lot.as_deref(),
        args.residence.as_deref(),
    )
    .await?;
    let found = t
        .paiements_trouves(coproprietaire.id, residence.id, &filtre)
        .await?;
    let (live, cancelled): (Vec<_>, Vec<_>) =
        found.into_iter().partition(|p| p.annule_le.is_none());
    let query = describe(&coproprietaire.nom, &filtre);
    match <[PaiementTrouve; 1]>::try_from(live) {
        Ok([one]) => Ok(one),
        Err(live) if !live.is_empty() => Err(ToolError::Ambiguous {
            what: "paiement",
            query,
            candidates: live.iter().take(CANDIDATS).map(label).collect(),
        }),
        Err(_) => match cancelled.into_iter().next() {
            Some(p) => Ok(p),
            None => {
                let latest = t
                    .paiements_trouves(coproprietaire.id, residence.id, &PaiementFiltre::default())
                    .await?;
                Err(ToolError::NotFound {
                    what: "paiement",
                    query,
                    suggestions: latest
                        .iter()
                        .filter(|p| p.annule_le.is_none())
                        .take(5)
                        .map(label)
                        .collect(),
                })
            }
        },
    }
}

fn fits(p: &PaiementTrouve, f: &PaiementFiltre<'_>) -> bool {
    f.montant.is_none_or(|m| m == p.montant)
        && f.date_paiement.is_none_or(|d| d == p.date_paiement)
        && f.reference.is_none_or(|r| {
            p.reference
                .as_deref()
                .is_some_and(|pr| pr.trim().to_lowercase() == r.trim().to_lowercase())
        })
}

/// "Mme Khadija Lahlou, réf. CHQ-1, 1 200,00 MAD, du 12/11/2026".
fn describe(coproprietaire: &str, f: &PaiementFiltre<'_>) -> String {
    let mut parts = vec![coproprietaire.to_string()];
    if let Some(r) = f.reference {
        parts.push(format!("réf. {r}"));
    }
    if let Some(m) = f.montant {
        parts.push(mad(m));
    }
    if let Some(d) = f.date_paiement {
        parts.push(format!("du {}", date(d)));
    }
    parts.join(", ")
}

/// "n° 345 : 1 200,00 MAD du 12/11/2026 (chèque, réf. CHQ-1234)".
fn label(p: &PaiementTrouve) -> String {
    format!(
        "n° {} : {} du {} ({}{})",
        p.paiement_id,
        mad(p.montant),
        date(p.date_paiement),
        mode_court(p.mode),
        p.reference
            .as_deref()
            .map_or(String::new(), |r| format!(", réf. {r}"))
    )
}

fn already_cancelled(p: &PaiementTrouve, coproprietaire: &str) -> ToolError {
    let quand = p
        .annule_le
        .map_or(String::new(), |d| format!(" le {}", date(d)));
    let qui = p
        .annule_par
        .as_deref()
        .map_or(String::new(), |u| format!(" par {u}"));
    let motif = p
        .motif_annulation
        .as_deref()
        .map_or(String::new(), |m| format!(" (motif : {m})"));
    ToolError::InvalidArgs(format!(
        "Le paiement {} de {coproprietaire} a déjà été annulé{quand}{qui}{motif}. Rien n'a été modifié.",
        label(p)
    ))
}

fn check_motif(motif: &str) -> Result<String, ToolError> {
    let motif = motif.trim();
    if motif.is_empty() {
        return Err(ToolError::InvalidArgs(
            "Indiquez le motif de l'annulation (par exemple « chèque rejeté » ou « saisi en double ») : \
             il est conservé avec le paiement annulé."
                .into(),
        ));
    }
    if motif.chars().count() > MOTIF_MAX {
        return Err(ToolError::InvalidArgs(format!(
            "Le motif est trop long ({MOTIF_MAX} caractères au plus) : résumez-le en une phrase."
        )));
    }
    Ok(motif.to_string())
}

/// The credit of the co-owner's other payments that will cover the échéances the reversal
/// reopens (with what is open already, oldest first), as `imputer_credits` will impute it.
fn credit_reimpute(
    couvert: &[AllocationEnregistree],
    open: &[wakil_schema::store::EcheanceOuverte],
    credit: Decimal,
) -> Decimal {
    let mut after: Vec<(NaiveDate, i64, Decimal)> = open
        .iter()
        .map(|e| (e.date_echeance, e.echeance_id, e.reste))
        .collect();
    for a in couvert {
        match after.iter_mut().find(|e| e.1 == a.echeance_id) {
            Some(e) => e.2 += a.impute,
            None => after.push((a.date_echeance, a.echeance_id, a.reste + a.impute)),
        }
    }
    after.sort();
    let open: Vec<OpenEcheance<i64>> = after
        .iter()
        .map(|e| OpenEcheance {
            key: e.1,
            remaining: e.2,
        })
        .collect();
    let allocation = allocate_oldest_first(credit, &open);
    allocation
        .parts
        .iter()
        .filter(|(e, _)| couvert.iter().any(|a| a.echeance_id == *e))
        .map(|p| p.1)
        .sum()
}

/// « Annuler le paiement n° 345 de 1 200,00 MAD (chèque, réf. CHQ-1234) de Mme Khadija Lahlou
/// (Résidence Les Jardins de Guéliz), daté du 12/11/2026, motif « chèque rejeté » ? », and what
/// the co-owner's other credit will cover when there is some.
fn question(plan: &Plan, reimpute: Decimal) -> String {
    let reference = plan
        .reference
        .as_deref()
        .map_or("sans référence".to_string(), |r| format!("réf. {r}"));
    let mut q = format!(
        "Annuler le paiement n° {} de {} ({}, {reference}) de {} ({}), daté du {}, motif « {} » ?",
        plan.paiement_id,
        mad(plan.montant),
        mode_court(plan.mode),
        plan.coproprietaire,
        plan.residence,
        date(plan.date),
        plan.motif
    );
    if reimpute > Decimal::ZERO {
        q.push_str(&format!(
            " Le crédit de ses autres paiements ({}) sera imputé aux échéances rouvertes.",
            mad(reimpute)
        ));
    }
    q
}

fn covered_table(plan: &Plan, couvert: &[AllocationEnregistree]) -> Table {
    let mut t = Table::new(
        "Échéances couvertes par ce paiement : elles redeviendront dues",
        &[
            ("Appel", Align::Left),
            ("Lot", Align::Left),
            ("Échéance", Align::Left),
            ("Imputé", Align::Right),
            ("Reste dû après annulation", Align::Right),
        ],
    );
    for a in couvert {
        t.row(vec![
            a.appel.clone(),
            a.lot.clone(),
            date(a.date_echeance),
            montant(a.impute),
            montant(a.reste + a.impute),
        ]);
    }
    let impute: Decimal = couvert.iter().map(|a| a.impute).sum();
    if plan.montant > impute {
        t.row(vec![
            "Non imputé (crédit), retiré du compte".into(),
            String::new(),
            String::new(),
            montant(plan.montant - impute),
            String::new(),
        ]);
    }
    t.footer = Some(vec![
        "Total du paiement".into(),
        String::new(),
        String::new(),
        montant(plan.montant),
        String::new(),
    ]);
    t
}

fn balance_table(solde: Decimal, paiement: Decimal) -> Table {
    let mut t = Table::new(
        "Solde du compte (positif = dû)",
        &[("", Align::Left), ("MAD", Align::Right)],
    );
    t.row(vec!["Solde actuel".into(), montant(solde)]);
    t.row(vec!["Annulation du paiement".into(), montant(paiement)]);
    t.row(vec![
        "Solde après annulation".into(),
        montant(solde + paiement),
    ]);
    t
}

impl Render for Output {
    fn summary(&self) -> String {
        let mut s = if self.deja_annule {
            format!(
                "Le paiement n° {} de {} de {} était déjà annulé par cette confirmation (rien n'a été modifié).",
                self.paiement_id,
                mad(self.montant),
                self.coproprietaire.nom
            )
        } else {
            format!(
                "Paiement n° {} de {} de {} annulé (motif : {}). Les échéances qu'il couvrait redeviennent dues.",
                self.paiement_id,
                mad(self.montant),
                self.coproprietaire.nom,
                self.motif
            )
        };
        let credit: Decimal = self.credits_imputes.iter().map(|c| c.montant).sum();
        if credit > Decimal::ZERO {
            s.push_str(&format!(
                " {} de crédit ont été imputés aux échéances rouvertes.",
                mad(credit)
            ));
        }
        s.push_str(&format!(" Nouveau solde : {}.", etat(self.solde.solde)));
        s
    }

    fn tables(&self) -> Vec<Table> {
        let mut rouvertes = Table::new(
            format!(
                "Échéances rouvertes par l'annulation du paiement du {} ({}{})",
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
                ("Montant annulé", Align::Right),
                ("Reste dû", Align::Right),
            ],
        );
        for a in &self.echeances_rouvertes {
            rouvertes.row(vec![
                a.appel.clone(),
                a.lot.clone(),
                date(a.date_echeance),
                montant(a.impute),
                montant(a.reste),
            ]);
        }
        rouvertes.footer = Some(vec![
            "Total".into(),
            String::new(),
            String::new(),
            montant(self.echeances_rouvertes.iter().map(|a| a.impute).sum()),
            montant(self.echeances_rouvertes.iter().map(|a| a.reste).sum()),
        ]);
        let mut tables = vec![rouvertes];
        if !self.credits_imputes.is_empty() {
            let mut credit = Table::new(
                "Crédit d'autres paiements imputé aux échéances rouvertes",
                &[
                    ("Paiement n°", Align::Left),
                    ("Appel", Align::Left),
                    ("Lot", Align::Left),
                    ("Échéance", Align::Left),
                    ("Imputé", Align::Right),
                ],
            );
            for c in &self.credits_imputes {
                credit.row(vec![
                    c.paiement_id.to_string(),
                    c.appel.clone(),
                    c.lot.clone(),
                    date(c.date_echeance),
                    montant(c.montant),
                ]);
            }
            tables.push(credit);
        }
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
        tables.push(compte);
        tables
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn the_reason_is_required_and_bounded() {
        assert!(check_motif("  ").is_err());
        assert_eq!(check_motif(" chèque rejeté ").unwrap(), "chèque rejeté");
        assert!(check_motif(&"x".repeat(501)).is_err());
    }

    #[test]
    fn the_question_names_the_payment_and_the_reason() {
        let plan = Plan {
            paiement_id: 345,
            coproprietaire_id: 13,
            residence_id: 1,
            motif: "chèque rejeté".into(),
            montant: dec!(1200),
            date: NaiveDate::from_ymd_opt(2026, 11, 12).unwrap(),
            mode: ModePaiement::Cheque,
            reference: Some("CHQ-1234".into()),
            coproprietaire: "Mme Khadija Lahlou".into(),
            residence: "Résidence Les Jardins de Guéliz".into(),
        };
        assert_eq!(
            question(&plan, Decimal::ZERO),
            "Annuler le paiement n° 345 de 1\u{a0}200,00\u{a0}MAD (chèque, réf. CHQ-1234) de Mme Khadija Lahlou \
             (Résidence Les Jardins de Guéliz), daté du 12/11/2026, motif « chèque rejeté » ?"
        );
        assert!(
            question(&plan, dec!(300)).ends_with(
                "? Le crédit de ses autres paiements (300,00\u{a0}MAD) sera imputé aux échéances rouvertes."
            )
        );
    }
}
