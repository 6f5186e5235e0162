//! `query_impayes`: who has not paid, how much, since when.

use crate::format::{date, mad, montant};
use crate::scope;
use crate::{Align, Render, Table, Tool, ToolContext, ToolError};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use wakil_schema::store::{ImpayeFiltre, ImpayeLigne, ResidenceRef};
use wakil_schema::{Caller, Role};

pub struct QueryImpayes;

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// Résidence : nom, ville ou identifiant ("Guéliz", "Al Maârif"). Sans résidence : toutes.
    #[serde(default)]
    pub residence: Option<String>,
    /// Année des appels de fonds (ex. 2025). Sans année : toutes.
    #[serde(default)]
    pub annee: Option<i32>,
    /// Montant minimum dû par copropriétaire et lot, en MAD.
    #[serde(default)]
    pub montant_min: Option<Decimal>,
    /// Retard minimum, en jours, de l'échéance impayée la plus ancienne.
    #[serde(default)]
    pub jours_retard_min: Option<i32>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Output {
    /// The résidence asked for; none = all the caller may see.
    pub residence: Option<ResidenceRef>,
    /// Date of the computation (Africa/Casablanca).
    pub au: NaiveDate,
    pub annee: Option<i32>,
    pub lignes: Vec<ImpayeLigne>,
    /// Exact sum of `montant_du` over the lines.
    pub total: Decimal,
    pub nombre_lignes: usize,
    pub nombre_coproprietaires: usize,
}

impl Tool for QueryImpayes {
    const NAME: &'static str = "query_impayes";
    const DESCRIPTION: &'static str = "Liste les impayés (échéances échues non réglées) par copropriétaire et par lot, \
        avec le montant dû, l'échéance la plus ancienne et les jours de retard, et le total exact. \
        Filtres : résidence, année, montant minimum, retard minimum en jours.";
    type Args = Args;
    type Output = Output;

    fn allowed(role: Role) -> bool {
        role.is_staff()
    }

    async fn run(ctx: &ToolContext, caller: &Caller, args: Args) -> Result<Output, ToolError> {
        let mut filtre = filtre(args.annee, args.montant_min, args.jours_retard_min)?;
        let today = ctx.clock.today();
        let mut t = ctx.store.tenant_read(caller.syndic_id).await?;
        let residence = scope::residence(&mut t, caller, args.residence.as_deref()).await?;
        filtre.residence_id = residence.as_ref().map(|r| r.id);
        let lignes = t.impayes(today, &filtre).await?;
        t.commit().await?;
        let mut coproprietaires: Vec<i64> = lignes.iter().map(|l| l.coproprietaire_id).collect();
        coproprietaires.sort_unstable();
        coproprietaires.dedup();
        Ok(Output {
            residence,
            au: today,
            annee: args.annee,
            total: lignes.iter().map(|l| l.montant_du).sum(),
            nombre_lignes: lignes.len(),
            nombre_coproprietaires: coproprietaires.len(),
            lignes,
        })
    }
}

/// The impayés filter (all résidences), checked: a plausible year, a positive amount and delay.
pub(crate) fn filtre(
    annee: Option<i32>,
    montant_min: Option<Decimal>,
    jours_retard_min: Option<i32>,
) -> Result<ImpayeFiltre, ToolError> {
    if let Some(a) = annee.filter(|a| !(2000..=2100).contains(a)) {
        return Err(ToolError::InvalidArgs(format!(
            "Année invalide : {a}. Indiquez une année comme 2025."
        )));
    }
    if montant_min.is_some_and(|m| m < Decimal::ZERO) {
        return Err(ToolError::InvalidArgs(
            "Le montant minimum doit être positif.".into(),
        ));
    }
    if jours_retard_min.is_some_and(|j| j < 0) {
        return Err(ToolError::InvalidArgs(
            "Le retard minimum doit être un nombre de jours positif.".into(),
        ));
    }
    Ok(ImpayeFiltre {
        residence_id: None,
        annee,
        montant_min,
        jours_retard_min,
        coproprietaire_id: None,
    })
}

impl Render for Output {
    fn summary(&self) -> String {
        let ou = self
            .residence
            .as_ref()
            .map_or("toutes résidences".to_string(), |r| r.nom.clone());
        if self.lignes.is_empty() {
            return format!("Aucun impayé ({ou}) au {}.", date(self.au));
        }
        format!(
            "{} impayé(s) pour {} copropriétaire(s) ({ou}) au {} : total {}.",
            self.nombre_lignes,
            self.nombre_coproprietaires,
            date(self.au),
            mad(self.total)
        )
    }

    fn tables(&self) -> Vec<Table> {
        let mut t = Table::new(
            format!("Impayés au {}", date(self.au)),
            &[
                ("Résidence", Align::Left),
                ("Lot", Align::Left),
                ("Copropriétaire", Align::Left),
                ("Montant dû (MAD)", Align::Right),
                ("Échéances", Align::Right),
                ("Plus ancienne", Align::Left),
                ("Retard (j)", Align::Right),
            ],
        );
        for l in &self.lignes {
            t.row(vec![
                l.residence.clone(),
                l.lot.clone(),
                l.coproprietaire.clone(),
                montant(l.montant_du),
                l.nb_echeances.to_string(),
                date(l.plus_ancienne_echeance),
                l.jours_retard.to_string(),
            ]);
        }
        t.footer = Some(vec![
            "Total".into(),
            String::new(),
            format!("{} copropriétaire(s)", self.nombre_coproprietaires),
            montant(self.total),
            String::new(),
            String::new(),
            String::new(),
        ]);
        vec![t]
    }
}
