//! `list_factures`: supplier invoices by status, supplier, category, period.

use crate::format::{date, mad, montant};
use crate::scope;
use crate::{Align, Render, Table, Tool, ToolContext, ToolError};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use wakil_schema::store::{FactureFiltre, FactureLigne, ResidenceRef};
use wakil_schema::{Caller, Categorie, Role, StatutFacture};

pub struct ListFactures;

/// How many invoices are listed at most by default, and at most at all.
const LIMITE_DEFAUT: i64 = 50;
const LIMITE_MAX: i64 = 500;

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// Statut : brouillon (extraite, à vérifier), validee (à payer), payee. Sans statut : toutes.
    #[serde(default)]
    pub statut: Option<StatutFacture>,
    /// Fournisseur (nom, même approximatif).
    #[serde(default)]
    pub fournisseur: Option<String>,
    /// Résidence : nom, ville ou identifiant.
    #[serde(default)]
    pub residence: Option<String>,
    #[serde(default)]
    pub categorie: Option<Categorie>,
    /// Date de facture à partir de (AAAA-MM-JJ).
    #[serde(default)]
    pub du: Option<NaiveDate>,
    /// Date de facture jusqu'au (AAAA-MM-JJ, inclus).
    #[serde(default)]
    pub au: Option<NaiveDate>,
    /// Nombre maximum de factures listées (50 par défaut, 500 au plus).
    #[serde(default)]
    pub limite: Option<i64>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Output {
    pub residence: Option<ResidenceRef>,
    pub statut: Option<StatutFacture>,
    pub factures: Vec<FactureLigne>,
    /// Number of invoices matching (may exceed the listed ones).
    pub nombre: i64,
    /// TTC total of all matching invoices.
    pub total_ttc: Decimal,
}

impl Tool for ListFactures {
    const NAME: &'static str = "list_factures";
    const DESCRIPTION: &'static str = "Liste les factures fournisseurs (brouillon, validée = à payer, payée), \
        filtrées par statut, fournisseur, résidence, catégorie et période, avec le nombre et le total TTC.";
    type Args = Args;
    type Output = Output;

    fn allowed(role: Role) -> bool {
        role.is_staff()
    }

    async fn run(ctx: &ToolContext, caller: &Caller, args: Args) -> Result<Output, ToolError> {
        if let (Some(du), Some(au)) = (args.du, args.au)
            && du > au
        {
            return Err(ToolError::InvalidArgs(format!(
                "La période est inversée : du {} au {}.",
                date(du),
                date(au)
            )));
        }
        let limite = args.limite.unwrap_or(LIMITE_DEFAUT);
        if !(1..=LIMITE_MAX).contains(&limite) {
            return Err(ToolError::InvalidArgs(format!(
                "La limite doit être comprise entre 1 et {LIMITE_MAX}."
            )));
        }
        let mut t = ctx.store.tenant_read(caller.syndic_id).await?;
        let residence = scope::residence(&mut t, caller, args.residence.as_deref()).await?;
        let fournisseur_id = match args.fournisseur.as_deref().filter(|q| !q.trim().is_empty()) {
            Some(q) => Some(scope::fournisseur(&mut t, q).await?.0),
            None => None,
        };
        let trouvees = t
            .factures(&FactureFiltre {
                statuts: args.statut.into_iter().collect(),
                fournisseur_id,
                residence_id: residence.as_ref().map(|r| r.id),
                categorie: args.categorie,
                du: args.du,
                au: args.au,
                limite,
            })
            .await?;
        t.commit().await?;
        Ok(Output {
            residence,
            statut: args.statut,
            factures: trouvees.lignes,
            nombre: trouvees.nombre,
            total_ttc: trouvees.total_ttc,
        })
    }
}

impl Render for Output {
    fn summary(&self) -> String {
        let statut = self
            .statut
            .map(|s| format!(" ({})", s.label()))
            .unwrap_or_default();
        let shown = if (self.factures.len() as i64) < self.nombre {
            format!(", {} affichées", self.factures.len())
        } else {
            String::new()
        };
        format!(
            "{} facture(s){statut}{shown} : total TTC {}.",
            self.nombre,
            mad(self.total_ttc)
        )
    }

    fn tables(&self) -> Vec<Table> {
        let mut t = Table::new(
            "Factures fournisseurs",
            &[
                ("Date", Align::Left),
                ("Fournisseur", Align::Left),
                ("N°", Align::Left),
                ("Résidence", Align::Left),
                ("Catégorie", Align::Left),
                ("HT", Align::Right),
                ("TVA", Align::Right),
                ("TTC", Align::Right),
                ("Statut", Align::Left),
            ],
        );
        let opt = |d: Option<Decimal>| d.map(montant).unwrap_or_else(|| "?".into());
        for f in &self.factures {
            t.row(vec![
                f.date_facture.map(date).unwrap_or_else(|| "?".into()),
                f.fournisseur.clone().unwrap_or_else(|| "?".into()),
                f.numero.clone().unwrap_or_else(|| "?".into()),
                f.residence.clone().unwrap_or_default(),
                f.categorie
                    .map(|c| c.label().to_string())
                    .unwrap_or_default(),
                opt(f.montant_ht),
                opt(f.montant_tva),
                opt(f.montant_ttc),
                f.statut.label().into(),
            ]);
        }
        t.footer = Some(vec![
            format!("{} facture(s)", self.nombre),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            montant(self.total_ttc),
            String::new(),
        ]);
        vec![t]
    }
}
