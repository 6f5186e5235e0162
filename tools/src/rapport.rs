//! `rapport_financier`: the yearly financial report of a résidence, in the chat and, on demand,
//! as a PDF ([`pdf`]) and an Excel workbook ([`xlsx`]) published as documents of the résidence.
//!
//! A document shows figures that already exist and changes no business data: the tool stays a
//! read, without confirmation. The figures are read in one read-only transaction, the documents
//! rendered off the async runtime, then published in a transaction of their own.

mod pdf;
mod xlsx;

pub use pdf::pdf;
pub use xlsx::xlsx;

use crate::fichiers::{self, Attachment, GeneratedDocument};
use crate::format::{date, mad, montant, pourcentage};
use crate::scope;
use crate::{Align, Render, Table, Tool, ToolContext, ToolError};
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use wakil_schema::store::{
    BudgetEcart, DepenseCategorie, EnteteDocument, ImpayeFiltre, ImpayeLigne, RapportChiffres,
    ResidenceRef, Tenant,
};
use wakil_schema::{Caller, Role, TypeDocument, Visibilite};

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
    /// Document à produire en plus de la réponse : "pdf", "xlsx" (classeur Excel) ou "pdf_xlsx"
    /// (les deux). Sans format : la réponse seule.
    #[serde(default)]
    pub format: Option<Format>,
}

/// The documents of the report a user may ask for: the PDF, the Excel workbook, or both.
// No doc comment per variant: the schema stays a plain `enum`, which small models read best.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Pdf,
    #[serde(alias = "excel")]
    Xlsx,
    #[serde(alias = "les_deux")]
    PdfXlsx,
}

impl Format {
    fn pdf(self) -> bool {
        matches!(self, Format::Pdf | Format::PdfXlsx)
    }

    fn xlsx(self) -> bool {
        matches!(self, Format::Xlsx | Format::PdfXlsx)
    }
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Output {
    pub residence: ResidenceRef,
    pub annee: i32,
    pub au: NaiveDate,
    pub chiffres: RapportChiffres,
    pub depenses: Vec<DepenseCategorie>,
    pub budget: Vec<BudgetEcart>,
    /// The documents asked for (`format`), published as documents of the résidence.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fichiers: Vec<Attachment>,
}

/// Everything the report's documents show, read in one transaction: the tool's figures, who
/// issues the report for which building, and the unpaid échéances of the year's calls.
#[derive(Debug, Clone)]
pub struct Dossier {
    pub output: Output,
    pub entete: EnteteDocument,
    /// The year's calls still unpaid at `output.au`, per co-owner and lot (the impayés query).
    pub impayes: Vec<ImpayeLigne>,
}

impl Dossier {
    /// Reads the report of `args` (its `format` aside) as `caller`: SQL only, nothing rendered.
    pub async fn read(ctx: &ToolContext, caller: &Caller, args: &Args) -> Result<Self, ToolError> {
        if !RapportFinancier::allowed(caller.role) {
            return Err(ToolError::Forbidden(scope::STAFF_ONLY.into()));
        }
        let mut t = ctx.store.tenant_read(caller.syndic_id).await?;
        let output = figures(&mut t, ctx, caller, args).await?;
        let entete = t.entete_document(output.residence.id).await?;
        let filtre = ImpayeFiltre {
            residence_id: Some(output.residence.id),
            annee: Some(output.annee),
            ..ImpayeFiltre::default()
        };
        let impayes = t.impayes(output.au, &filtre).await?;
        t.commit().await?;
        Ok(Dossier {
            output,
            entete,
            impayes,
        })
    }

    /// "Rapport financier 2025 — Résidence Les Jardins de Guéliz".
    pub fn titre(&self) -> String {
        format!(
            "Rapport financier {} — {}",
            self.output.annee, self.output.residence.nom
        )
    }

    /// The unpaid list as a table (the résidence is the report's own: no column for it).
    pub fn impayes_table(&self) -> Table {
        let mut t = Table::new(
            format!(
                "Impayés des appels de l'exercice au {}",
                date(self.output.au)
            ),
            &[
                ("Lot", Align::Left),
                ("Copropriétaire", Align::Left),
                ("Montant dû (MAD)", Align::Right),
                ("Échéances", Align::Right),
                ("Plus ancienne", Align::Right),
                ("Retard (j)", Align::Right),
            ],
        );
        for l in &self.impayes {
            t.row(vec![
                l.lot.clone(),
                l.coproprietaire.clone(),
                montant(l.montant_du),
                l.nb_echeances.to_string(),
                date(l.plus_ancienne_echeance),
                l.jours_retard.to_string(),
            ]);
        }
        let mut coproprietaires: Vec<i64> =
            self.impayes.iter().map(|l| l.coproprietaire_id).collect();
        coproprietaires.sort_unstable();
        coproprietaires.dedup();
        t.footer = Some(vec![
            "Total".into(),
            format!("{} copropriétaire(s)", coproprietaires.len()),
            montant(self.impayes_total()),
            String::new(),
            String::new(),
            String::new(),
        ]);
        t
    }

    /// Exact sum of the unpaid lines.
    pub fn impayes_total(&self) -> Decimal {
        self.impayes.iter().map(|l| l.montant_du).sum()
    }
}

/// The figures of the chat answer, in `t`.
async fn figures(
    t: &mut Tenant,
    ctx: &ToolContext,
    caller: &Caller,
    args: &Args,
) -> Result<Output, ToolError> {
    let today = ctx.clock.today();
    let annee = args.annee.unwrap_or(today.year());
    if !(2000..=today.year()).contains(&annee) {
        return Err(ToolError::InvalidArgs(format!(
            "Année invalide : {annee}. Indiquez un exercice entre 2000 et {}.",
            today.year()
        )));
    }
    let residence = scope::one_residence(t, caller, args.residence.as_deref()).await?;
    let chiffres = t.rapport_chiffres(residence.id, annee, today).await?;
    let depenses = t.depenses_par_categorie(residence.id, annee).await?;
    let budget = t.budget_vs_realise(residence.id, annee).await?;
    Ok(Output {
        residence,
        annee,
        au: today,
        chiffres,
        depenses,
        budget,
        fichiers: Vec::new(),
    })
}

/// A rendered document, before it is published.
struct Rendu {
    bytes: Vec<u8>,
    mime: &'static str,
    pages: Option<usize>,
    extension: &'static str,
}

/// Renders the documents of `format` (CPU-bound: on a blocking thread), then publishes them in
/// one transaction; the same bytes give the document already published.
async fn publier(
    ctx: &ToolContext,
    caller: &Caller,
    dossier: Dossier,
    format: Format,
) -> Result<Output, ToolError> {
    let (dossier, rendus) = tokio::task::spawn_blocking(move || {
        let rendus = rendre(&dossier, format);
        (dossier, rendus)
    })
    .await
    .map_err(|e| ToolError::Internal(format!("rendu du rapport : {e}")))?;
    let rendus = rendus?;
    let titre = dossier.titre();
    let output = dossier.output;
    let mut t = ctx.store.tenant(caller.syndic_id).await?;
    let mut fichiers = Vec::with_capacity(rendus.len());
    for r in &rendus {
        let nom = format!(
            "Rapport financier {} - {}.{}",
            output.annee, output.residence.nom, r.extension
        );
        let document = GeneratedDocument {
            bytes: &r.bytes,
            mime: r.mime,
            pages: r.pages,
            nom: &nom,
            titre: &titre,
            residence_id: output.residence.id,
            type_document: TypeDocument::Autre,
            date_document: output.au,
            visibilite: Visibilite::Staff,
            coproprietaire_id: None,
        };
        fichiers.push(fichiers::publish(&ctx.files, &mut t, caller, &document).await?);
    }
    t.commit().await?;
    Ok(Output { fichiers, ..output })
}

fn rendre(dossier: &Dossier, format: Format) -> Result<Vec<Rendu>, ToolError> {
    let mut rendus = Vec::new();
    if format.pdf() {
        let pdf = pdf(dossier).map_err(|e| ToolError::Internal(e.to_string()))?;
        rendus.push(Rendu {
            bytes: pdf.bytes,
            mime: fichiers::PDF,
            pages: Some(pdf.pages),
            extension: "pdf",
        });
    }
    if format.xlsx() {
        rendus.push(Rendu {
            bytes: xlsx(dossier).map_err(|e| ToolError::Internal(e.to_string()))?,
            mime: fichiers::XLSX,
            pages: None,
            extension: "xlsx",
        });
    }
    Ok(rendus)
}

impl Tool for RapportFinancier {
    const NAME: &'static str = "rapport_financier";
    const DESCRIPTION: &'static str = "Rapport financier annuel d'une résidence : appels émis, encaissements, \
        dépenses par catégorie (HT, TVA, TTC), résultat, budget prévisionnel contre réalisé avec l'écart, \
        factures à payer, impayés et taux de recouvrement. Avec format : aussi en PDF et/ou en classeur Excel, \
        enregistrés comme documents de la résidence.";
    type Args = Args;
    type Output = Output;

    fn allowed(role: Role) -> bool {
        role.is_staff()
    }

    async fn run(ctx: &ToolContext, caller: &Caller, args: Args) -> Result<Output, ToolError> {
        match args.format {
            None => {
                let mut t = ctx.store.tenant_read(caller.syndic_id).await?;
                let output = figures(&mut t, ctx, caller, &args).await?;
                t.commit().await?;
                Ok(output)
            }
            Some(format) => {
                let dossier = Dossier::read(ctx, caller, &args).await?;
                publier(ctx, caller, dossier, format).await
            }
        }
    }
}

impl Output {
    /// The headline figures, labelled as every rendering shows them (chat, PDF, Excel).
    pub fn synthese(&self) -> [(&'static str, Decimal); 7] {
        let c = &self.chiffres;
        [
            ("Budget prévisionnel", c.budget_total),
            ("Appels de fonds émis", c.appels_emis),
            ("Encaissements", c.encaissements),
            ("Dépenses (TTC)", c.depenses),
            ("Résultat (encaissements − dépenses)", c.resultat),
            ("Factures validées à payer (à ce jour)", c.factures_a_payer),
            ("Impayés sur les appels de l'exercice", c.impayes),
        ]
    }

    pub fn table_synthese(&self) -> Table {
        let mut synthese = Table::new(
            format!(
                "{} — exercice {} (au {})",
                self.residence.nom,
                self.annee,
                date(self.au)
            ),
            &[("", Align::Left), ("MAD", Align::Right)],
        );
        for (label, value) in self.synthese() {
            synthese.row(vec![label.into(), montant(value)]);
        }
        if let Some(taux) = self.chiffres.taux_recouvrement {
            synthese.row(vec![TAUX_RECOUVREMENT.into(), pourcentage(taux)]);
        }
        synthese
    }

    pub fn table_depenses(&self) -> Table {
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
        let total = self.depenses_total();
        depenses.footer = Some(vec![
            "Total".into(),
            total.nb_factures.to_string(),
            montant(total.montant_ht),
            montant(total.montant_tva),
            montant(self.chiffres.depenses),
        ]);
        depenses
    }

    pub fn table_budget(&self) -> Table {
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
        let (realise, ecart) = self.budget_totaux();
        budget.footer = Some(vec![
            "Total".into(),
            montant(self.chiffres.budget_total),
            montant(realise),
            montant(ecart),
            String::new(),
        ]);
        budget
    }

    /// Exact sums of the expense lines (count, HT, TVA; TTC is `chiffres.depenses`).
    fn depenses_total(&self) -> DepenseTotal {
        DepenseTotal {
            nb_factures: self.depenses.iter().map(|d| d.nb_factures).sum(),
            montant_ht: self.depenses.iter().map(|d| d.montant_ht).sum(),
            montant_tva: self.depenses.iter().map(|d| d.montant_tva).sum(),
        }
    }

    /// Exact sums of the budget lines' actual and gap.
    fn budget_totaux(&self) -> (Decimal, Decimal) {
        (
            self.budget.iter().map(|b| b.realise).sum(),
            self.budget.iter().map(|b| b.ecart).sum(),
        )
    }
}

const TAUX_RECOUVREMENT: &str = "Taux de recouvrement";

struct DepenseTotal {
    nb_factures: i64,
    montant_ht: Decimal,
    montant_tva: Decimal,
}

impl Render for Output {
    fn summary(&self) -> String {
        let c = &self.chiffres;
        let documents = match self.fichiers.len() {
            0 => String::new(),
            1 => " Document joint.".to_string(),
            n => format!(" {n} documents joints."),
        };
        format!(
            "{} — exercice {} au {} : encaissements {}, dépenses {}, résultat {}, impayés {}.{documents}",
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
        vec![
            self.table_synthese(),
            self.table_depenses(),
            self.table_budget(),
        ]
    }

    fn files(&self) -> Vec<Attachment> {
        self.fichiers.clone()
    }
}
