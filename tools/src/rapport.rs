//! `rapport_financier`: the yearly financial report of a résidence.

use crate::format::{date, mad, montant, pourcentage};
use crate::scope;
use crate::{Align, Render, Table, Tool, ToolContext, ToolError};
use chrono::{Datelike, NaiveDate};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use wakil_schema::store::{BudgetEcart, DepenseCategorie, RapportChiffres, ResidenceRef};
use wakil_schema::{Caller, Role};

pub struct RapportFinancier;

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// Résidence : nom, ville ou identifiant. Facultatif si l'appelant n'en gère qu'une.
    #[serde(default)]
    pub residence: Option<String>,
    /// Année de l'exercice (par défaut l'année en cours).
    #[serde(default)]
    pub annee: Option<i32>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Output {
    pub residence: ResidenceRef,
    pub annee: i32,
    pub au: NaiveDate,
    pub chiffres: RapportChiffres,
    pub depenses: Vec<DepenseCategorie>,
    pub budget: Vec<BudgetEcart>,
}

impl Tool for RapportFinancier {
    const NAME: &'static str = "rapport_financier";
    const DESCRIPTION: &'static str = "Rapport financier annuel d'une résidence : appels émis, encaissements, \
        dépenses par catégorie (HT, TVA, TTC), résultat, budget prévisionnel contre réalisé avec l'écart, \
        factures à payer, impayés et taux de recouvrement.";
    type Args = Args;
    type Output = Output;

    fn allowed(role: Role) -> bool {
        role.is_staff()
    }

    async fn run(ctx: &ToolContext, caller: &Caller, args: Args) -> Result<Output, ToolError> {
        let today = ctx.clock.today();
        let annee = args.annee.unwrap_or(today.year());
        if !(2000..=today.year()).contains(&annee) {
            return Err(ToolError::InvalidArgs(format!(
                "Année invalide : {annee}. Indiquez un exercice entre 2000 et {}.",
                today.year()
            )));
        }
        let mut t = ctx.store.tenant_read(caller.syndic_id).await?;
        let residence = scope::one_residence(&mut t, caller, args.residence.as_deref()).await?;
        let chiffres = t.rapport_chiffres(residence.id, annee, today).await?;
        let depenses = t.depenses_par_categorie(residence.id, annee).await?;
        let budget = t.budget_vs_realise(residence.id, annee).await?;
        t.commit().await?;
        Ok(Output {
            residence,
            annee,
            au: today,
            chiffres,
            depenses,
            budget,
        })
    }
}

impl Render for Output {
    fn summary(&self) -> String {
        let c = &self.chiffres;
        format!(
            "{} — exercice {} au {} : encaissements {}, dépenses {}, résultat {}, impayés {}.",
            self.residence.nom,
            self.annee,
            date(self.au),
            mad(c.encaissements),
            mad(c.depenses),
            mad(c.resultat),
            mad(c.impayes)
        )
    }

    fn tables(&self) -> Vec<Table> {
        let c = &self.chiffres;
        let mut synthese = Table::new(
            format!(
                "{} — exercice {} (au {})",
                self.residence.nom,
                self.annee,
                date(self.au)
            ),
            &[("", Align::Left), ("MAD", Align::Right)],
        );
        for (label, value) in [
            ("Budget prévisionnel", c.budget_total),
            ("Appels de fonds émis", c.appels_emis),
            ("Encaissements", c.encaissements),
            ("Dépenses (TTC)", c.depenses),
            ("Résultat (encaissements − dépenses)", c.resultat),
            ("Factures validées à payer (à ce jour)", c.factures_a_payer),
            ("Impayés sur les appels de l'exercice", c.impayes),
        ] {
            synthese.row(vec![label.into(), montant(value)]);
        }
        if let Some(taux) = c.taux_recouvrement {
            synthese.row(vec!["Taux de recouvrement".into(), pourcentage(taux)]);
        }

        let mut depenses = Table::new(
            "Dépenses par catégorie",
            &[
                ("Catégorie", Align::Left),
                ("Factures", Align::Right),
                ("HT", Align::Right),
                ("TVA", Align::Right),
                ("TTC", Align::Right),
            ],
        );
        for d in &self.depenses {
            depenses.row(vec![
                d.categorie.label().into(),
                d.nb_factures.to_string(),
                montant(d.montant_ht),
                montant(d.montant_tva),
                montant(d.montant_ttc),
            ]);
        }
        depenses.footer = Some(vec![
            "Total".into(),
            self.depenses
                .iter()
                .map(|d| d.nb_factures)
                .sum::<i64>()
                .to_string(),
            montant(self.depenses.iter().map(|d| d.montant_ht).sum()),
            montant(self.depenses.iter().map(|d| d.montant_tva).sum()),
            montant(c.depenses),
        ]);

        let mut budget = Table::new(
            "Budget prévisionnel et réalisé",
            &[
                ("Catégorie", Align::Left),
                ("Budget", Align::Right),
                ("Réalisé", Align::Right),
                ("Écart", Align::Right),
                ("Exécution", Align::Right),
            ],
        );
        for b in &self.budget {
            budget.row(vec![
                b.categorie.label().into(),
                montant(b.budget),
                montant(b.realise),
                montant(b.ecart),
                b.taux_execution
                    .map(pourcentage)
                    .unwrap_or_else(|| "—".into()),
            ]);
        }
        budget.footer = Some(vec![
            "Total".into(),
            montant(c.budget_total),
            montant(self.budget.iter().map(|b| b.realise).sum()),
            montant(self.budget.iter().map(|b| b.ecart).sum()),
            String::new(),
        ]);
        vec![synthese, depenses, budget]
    }
}
