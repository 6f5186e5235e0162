//! Supplier invoices read from a photo or a PDF: `extract_invoice` reads the file into a draft,
//! `corriger_facture` corrects a draft as the user dictates, `valider_facture` validates it.
//!
//! A draft (`statut = 'brouillon'`) counts in no balance, report or list of invoices to pay: it
//! is what was read, kept with its source file, the text, the OCR engine and each field's
//! confidence, for the human to check. Reading a file the user sent makes a draft at once (unless
//! it duplicates an invoice already recorded: then nothing is saved); a correction changes the
//! draft only; **validation** is the write that makes the invoice count, and it waits for the
//! human's confirmation like every write (once per confirmation).

use crate::format::{date, mad, pourcentage};
use crate::scope;
use crate::{Align, FollowUp, Planned, Render, Table, Tool, ToolContext, ToolError, WriteTool};
use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Instant;
use uuid::Uuid;
use wakil_invoice::{Confidence, DOUBTFUL_BELOW, Directory, Extraction, Origin};
use wakil_ocr::ReadError;
use wakil_schema::store::{
    Doublon, FactureDetail, LectureFacture, Tenant, ValeursFacture, Validation,
};
use wakil_schema::{Caller, Categorie, Role, StatutFacture};

pub struct ExtractInvoice;
pub struct CorrigerFacture;
pub struct ValiderFacture;

/// The TVA rates an invoice may carry (0: not subject to TVA).
const TAUX: [u32; 5] = [0, 7, 10, 14, 20];

// ---- What the user sees of a draft -------------------------------------------------------------

/// A draft's fields as shown: its values, the names behind its ids, each field's confidence.
#[derive(Debug, Clone, PartialEq)]
struct Fiche {
    valeurs: ValeursFacture,
    fournisseur: Option<String>,
    residence: Option<String>,
    confiances: BTreeMap<String, Confidence>,
}

/// One field of a draft, as shown in the table.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Champ {
    /// The field's key ("montant_ttc").
    pub cle: String,
    /// Its French label ("Montant TTC").
    pub champ: String,
    pub valeur: Option<String>,
    /// Confidence in percent, when the field was read.
    pub confiance: Option<u32>,
    /// Read with a low confidence, or inconsistent: to check before validating.
    pub douteux: bool,
    /// Typed by the user.
    pub corrige: bool,
}

/// The fields a validated invoice must have (the table's check), with how to give each.
const REQUIS: &[(&str, &str)] = &[
    ("fournisseur", "« le fournisseur est … »"),
    ("residence", "« la résidence est … »"),
    ("numero", "« le numéro est … »"),
    ("date_facture", "« la date est le 15/01/2025 »"),
    ("categorie", "« la catégorie est eau »"),
    ("montant_ttc", "« le montant TTC est 1 245,60 »"),
];

impl Fiche {
    fn from_detail(d: &FactureDetail) -> Self {
        let confiances = d
            .confiances_champs
            .as_ref()
            .and_then(|c| serde_json::from_value(c.clone()).ok())
            .unwrap_or_default();
        Fiche {
            valeurs: d.valeurs.clone(),
            fournisseur: d.fournisseur.clone(),
            residence: d.residence.clone(),
            confiances,
        }
    }

    /// (key, label, value shown) of every field, in reading order.
    fn lignes(&self) -> Vec<(&'static str, &'static str, Option<String>)> {
        let v = &self.valeurs;
        let periode = match (v.periode_debut, v.periode_fin) {
            (Some(a), Some(b)) => Some(format!("du {} au {}", date(a), date(b))),
            _ => None,
        };
        vec![
            ("fournisseur", "Fournisseur", self.fournisseur.clone()),
            ("numero", "N° de facture", v.numero.clone()),
            ("date_facture", "Date", v.date_facture.map(date)),
            ("date_echeance", "Échéance", v.date_echeance.map(date)),
            ("periode", "Période", periode),
            ("montant_ht", "Montant HT", v.montant_ht.map(mad)),
            (
                "taux_tva",
                "Taux de TVA",
                v.taux_tva.map(|t| pourcentage(t.normalize())),
            ),
            ("montant_tva", "TVA", v.montant_tva.map(mad)),
            ("montant_ttc", "Montant TTC", v.montant_ttc.map(mad)),
            (
                "categorie",
                "Catégorie",
                v.categorie.map(|c| c.label().to_string()),
            ),
            ("residence", "Résidence", self.residence.clone()),
        ]
    }

    fn champs(&self) -> Vec<Champ> {
        self.lignes()
            .into_iter()
            .map(|(cle, champ, valeur)| {
                let c = self.confiances.get(cle).filter(|_| valeur.is_some());
                Champ {
                    cle: cle.into(),
                    champ: champ.into(),
                    douteux: c.is_some_and(|c| c.score < DOUBTFUL_BELOW),
                    corrige: c.is_some_and(|c| c.origin == Origin::Utilisateur),
                    confiance: c.map(|c| (c.score.clamp(0.0, 1.0) * 100.0).round() as u32),
                    valeur,
                }
            })
            .collect()
    }

    /// What validation still needs, as "label (how to say it)".
    fn manquants(&self) -> Vec<String> {
        let present = |cle: &str| match cle {
            "fournisseur" => self.valeurs.fournisseur_id.is_some(),
            "residence" => self.valeurs.residence_id.is_some(),
            "numero" => self.valeurs.numero.is_some(),
            "date_facture" => self.valeurs.date_facture.is_some(),
            "categorie" => self.valeurs.categorie.is_some(),
            _ => self.valeurs.montant_ttc.is_some(),
        };
        REQUIS
            .iter()
            .filter(|(cle, _)| !present(cle))
            .map(|(cle, comment)| {
                let label = self
                    .lignes()
                    .into_iter()
                    .find(|(k, _, _)| k == cle)
                    .map_or(*cle, |(_, l, _)| l);
                format!("{} ({comment})", label.to_lowercase())
            })
            .collect()
    }

    fn table(&self, title: String) -> Table {
        let mut table = Table::new(
            title,
            &[
                ("Champ", Align::Left),
                ("Valeur", Align::Left),
                ("Confiance", Align::Right),
            ],
        );
        for c in self.champs() {
            let confiance = match (&c.valeur, c.confiance) {
                (None, _) if REQUIS.iter().any(|(k, _)| *k == c.cle) => "à compléter".to_string(),
                (None, _) => String::new(),
                (Some(_), _) if c.corrige => "corrigé".to_string(),
                (Some(_), Some(p)) if c.douteux => format!("⚠ à vérifier ({p} %)"),
                (Some(_), Some(p)) => format!("{p} %"),
                (Some(_), None) => String::new(),
            };
            table.row(vec![
                c.champ,
                c.valeur.unwrap_or_else(|| "—".into()),
                confiance,
            ]);
        }
        table
    }

    fn douteux(&self) -> Vec<String> {
        self.champs()
            .into_iter()
            .filter(|c| c.douteux)
            .map(|c| c.champ.to_lowercase())
            .collect()
    }
}

/// A category key of the parser ("electricite") as the domain's enum.
fn categorie(key: &str) -> Option<Categorie> {
    serde_json::from_value(serde_json::json!(key)).ok()
}

/// What the reading settled on, as values the table accepts (an impossible rate or a
/// non-positive TTC is left out).
fn valeurs(x: &Extraction) -> ValeursFacture {
    let v = &x.values;
    ValeursFacture {
        fournisseur_id: x.fournisseur_id,
        residence_id: x.residence_id,
        numero: v.numero.clone(),
        date_facture: v.date_facture,
        date_echeance: v.date_echeance,
        periode_debut: v.periode_debut.filter(|_| v.periode_fin.is_some()),
        periode_fin: v.periode_fin.filter(|_| v.periode_debut.is_some()),
        categorie: v.categorie.as_deref().and_then(categorie),
        montant_ht: v.montant_ht.filter(|m| !m.is_sign_negative()),
        taux_tva: v.taux_tva.filter(|t| taux_permis(*t)),
        montant_tva: v.montant_tva.filter(|m| !m.is_sign_negative()),
        montant_ttc: v.montant_ttc.filter(|m| *m > Decimal::ZERO),
    }
}

fn taux_permis(t: Decimal) -> bool {
    TAUX.iter().any(|r| Decimal::from(*r) == t)
}

/// The lowest confidence of the fields read (1 when none), for the draft's overall confidence.
fn confiance_globale(confiances: &BTreeMap<String, Confidence>) -> Decimal {
    let lowest = confiances
        .values()
        .map(|c| c.score.clamp(0.0, 1.0))
        .fold(1.0_f32, f32::min);
    Decimal::new((lowest * 1000.0).round() as i64, 3)
}

fn directory(
    fournisseurs: Vec<wakil_schema::store::FournisseurConnu>,
    residences: Vec<wakil_schema::store::ResidenceConnue>,
) -> Directory {
    Directory {
        suppliers: fournisseurs
            .into_iter()
            .map(|f| wakil_invoice::KnownSupplier {
                id: f.id,
                nom: f.nom,
                ice: f.ice,
                categorie: serde_json::to_value(f.categorie)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
            })
            .collect(),
        residences: residences
            .into_iter()
            .map(|r| wakil_invoice::KnownResidence {
                id: r.id,
                nom: r.nom,
                adresse: r.adresse,
                ville: r.ville,
                references: r.references,
            })
            .collect(),
    }
}

/// An invoice already recorded that the new one may duplicate, as shown.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct DoublonVu {
    pub facture_id: i64,
    pub fournisseur: Option<String>,
    pub numero: Option<String>,
    pub date_facture: Option<NaiveDate>,
    pub montant_ttc: Option<Decimal>,
    pub statut: StatutFacture,
    /// Why it looks the same ("même fournisseur et même numéro").
    pub raison: String,
}

impl From<&Doublon> for DoublonVu {
    fn from(d: &Doublon) -> Self {
        DoublonVu {
            facture_id: d.facture.id,
            fournisseur: d.facture.fournisseur.clone(),
            numero: d.facture.numero.clone(),
            date_facture: d.facture.date_facture,
            montant_ttc: d.facture.montant_ttc,
            statut: d.facture.statut,
            raison: d.raison.label().into(),
        }
    }
}

fn doublons_table(doublons: &[DoublonVu]) -> Table {
    let mut table = Table::new(
        "Déjà enregistrée",
        &[
            ("Facture", Align::Right),
            ("Fournisseur", Align::Left),
            ("N°", Align::Left),
            ("Date", Align::Left),
            ("TTC", Align::Right),
            ("Statut", Align::Left),
            ("Ressemblance", Align::Left),
        ],
    );
    for d in doublons {
        table.row(vec![
            d.facture_id.to_string(),
            d.fournisseur.clone().unwrap_or_default(),
            d.numero.clone().unwrap_or_default(),
            d.date_facture.map(date).unwrap_or_default(),
            d.montant_ttc.map(mad).unwrap_or_default(),
            d.statut.label().into(),
            d.raison.clone(),
        ]);
    }
    table
}

fn doublon_phrase(d: &DoublonVu) -> String {
    format!(
        "la facture n° {} ({}{}{}, {})",
        d.facture_id,
        d.fournisseur.as_deref().unwrap_or("fournisseur inconnu"),
        d.numero
            .as_deref()
            .map(|n| format!(", n° {n}"))
            .unwrap_or_default(),
        d.montant_ttc
            .map(|m| format!(", {} TTC", mad(m)))
            .unwrap_or_default(),
        d.raison
    )
}

// ---- extract_invoice ---------------------------------------------------------------------------

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtractArgs {
    /// L'identifiant du fichier envoyé (photo JPEG/PNG/WebP ou PDF de la facture).
    pub fichier: Uuid,
}

/// How a reading ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Issue {
    /// A draft was recorded.
    Brouillon,
    /// It looks like an invoice already recorded: nothing saved.
    Doublon,
    /// The document is not an invoice: nothing saved.
    PasUneFacture,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ExtractOutput {
    pub issue: Issue,
    /// The draft recorded.
    pub facture_id: Option<i64>,
    pub fichier: String,
    /// The OCR engine ("tesseract 5.3.0 (fra)"), or "texte du PDF".
    pub moteur: String,
    pub pages: usize,
    /// Whether the model's second opinion was taken into account.
    pub second_avis: bool,
    pub champs: Vec<Champ>,
    /// What validation still needs, and how to give it.
    pub a_completer: Vec<String>,
    pub remarques: Vec<String>,
    pub doublons: Vec<DoublonVu>,
    pub duree_ms: u64,
    #[serde(skip)]
    #[schemars(skip)]
    fiche: Option<Fiche>,
}

impl Tool for ExtractInvoice {
    const NAME: &'static str = "extract_invoice";
    const DESCRIPTION: &'static str = "Lit la photo ou le PDF d'une facture fournisseur envoyé \
        (fichier) : fournisseur, numéro, dates, période, montants HT/TVA/TTC, catégorie, résidence, \
        chacun avec sa confiance. Enregistre un brouillon (qui ne compte nulle part avant sa \
        validation) sauf si la facture est déjà enregistrée (doublon signalé, rien n'est \
        enregistré) ; la validation est ensuite demandée pour confirmation.";
    type Args = ExtractArgs;
    type Output = ExtractOutput;

    fn allowed(role: Role) -> bool {
        role.is_staff()
    }

    async fn run(
        ctx: &ToolContext,
        caller: &Caller,
        args: ExtractArgs,
    ) -> Result<ExtractOutput, ToolError> {
        let started = Instant::now();
        let mut t = ctx.store.tenant(caller.syndic_id).await?;
        let fichier = t
            .fichier(args.fichier)
            .await?
            .ok_or_else(|| ToolError::NotFound {
                what: "fichier",
                query: args.fichier.to_string(),
                suggestions: Vec::new(),
            })?;
        let (fournisseurs, residences) = t.annuaire_factures().await?;
        t.commit().await?;
        let dir = directory(fournisseurs, residences);
        let bytes = ctx
            .files
            .read(caller.syndic_id, fichier.id)
            .await
            .map_err(|e| ToolError::Internal(format!("fichier {}: {e}", fichier.id)))?;
        let reader = ctx.lecture.reader().map_err(|why| {
            ToolError::InvalidArgs(format!(
                "La lecture automatique des factures n'est pas disponible sur ce serveur : {why} \
                 Le fichier est conservé."
            ))
        })?;

        ctx.step("Lecture du document…");
        let reading = tokio::task::spawn_blocking(move || reader.read(&bytes))
            .await
            .map_err(|e| ToolError::Internal(e.to_string()))?
            .map_err(|e| match e {
                ReadError::Engine(detail) => ToolError::Internal(detail),
                user => ToolError::InvalidArgs(user.to_string()),
            })?;

        ctx.step("Analyse des champs…");
        let text = reading.text();
        let mut x = wakil_invoice::extract(&text, &reading.qr, &dir);
        let mut second_avis = false;
        if let Some(avis) = ctx.lecture.second_avis.as_ref().filter(|_| x.is_invoice) {
            ctx.step("Analyse : second avis du modèle…");
            match avis.lire(&text).await {
                Ok(model) => {
                    x = wakil_invoice::reconcile(x, &model, &dir);
                    second_avis = true;
                }
                Err(e) => tracing::warn!(error = %e, "second avis du modèle indisponible"),
            }
        }
        let mut out = ExtractOutput {
            issue: Issue::PasUneFacture,
            facture_id: None,
            fichier: fichier.nom.clone(),
            moteur: reading.engine.clone(),
            pages: reading.pages.len(),
            second_avis,
            champs: Vec::new(),
            a_completer: Vec::new(),
            remarques: x.notes.clone(),
            doublons: Vec::new(),
            duree_ms: 0,
            fiche: None,
        };
        if !x.is_invoice {
            out.duree_ms = started.elapsed().as_millis() as u64;
            return Ok(out);
        }
        let valeurs = valeurs(&x);
        let nom = |id: Option<i64>, list: &[(i64, String)]| {
            id.and_then(|id| list.iter().find(|(i, _)| *i == id).map(|(_, n)| n.clone()))
        };
        let fournisseurs: Vec<(i64, String)> = dir
            .suppliers
            .iter()
            .map(|s| (s.id, s.nom.clone()))
            .collect();
        let residences: Vec<(i64, String)> = dir
            .residences
            .iter()
            .map(|r| (r.id, r.nom.clone()))
            .collect();
        let fiche = Fiche {
            fournisseur: nom(valeurs.fournisseur_id, &fournisseurs).or_else(|| {
                x.values
                    .fournisseur
                    .as_ref()
                    .map(|n| format!("{n} (absent de votre liste)"))
            }),
            residence: nom(valeurs.residence_id, &residences),
            valeurs,
            confiances: x.confidences.clone(),
        };
        out.champs = fiche.champs();
        out.a_completer = fiche.manquants();

        let mut t = ctx.store.tenant(caller.syndic_id).await?;
        let doublons = t
            .doublons_facture(None, &fiche.valeurs, Some(&fichier.contenu_sha256))
            .await?;
        if !doublons.is_empty() {
            t.commit().await?;
            out.issue = Issue::Doublon;
            out.doublons = doublons.iter().map(DoublonVu::from).collect();
            out.fiche = Some(fiche);
            out.duree_ms = started.elapsed().as_millis() as u64;
            return Ok(out);
        }
        ctx.step("Brouillon : enregistrement…");
        let lecture = LectureFacture {
            fichier_id: fichier.id,
            fichier_nom: fichier.nom.clone(),
            fichier_sha256: fichier.contenu_sha256.clone(),
            texte: text,
            moteur: reading.engine,
            confiance: confiance_globale(&x.confidences),
            confiances: serde_json::to_value(&x.confidences)
                .map_err(|e| ToolError::Internal(e.to_string()))?,
            remarques: x.notes.clone(),
        };
        let id = t
            .creer_brouillon(caller.user_id, &fiche.valeurs, &lecture)
            .await?;
        t.commit().await?;
        out.issue = Issue::Brouillon;
        out.facture_id = Some(id);
        out.fiche = Some(fiche);
        out.duree_ms = started.elapsed().as_millis() as u64;
        Ok(out)
    }
}

impl Render for ExtractOutput {
    fn summary(&self) -> String {
        let lu = format!(
            "« {} » lu en {} ({}{})",
            self.fichier,
            secondes(self.duree_ms),
            self.moteur,
            if self.second_avis {
                " + second avis du modèle"
            } else {
                ""
            }
        );
        match self.issue {
            Issue::PasUneFacture => format!(
                "{lu} : ce document ne ressemble pas à une facture (aucun montant ni mention de \
                 facture lisible). Rien n'a été enregistré. Si c'en est une, renvoyez une photo \
                 nette, prise à plat et bien éclairée, ou le PDF."
            ),
            Issue::Doublon => format!(
                "{lu} : cette facture semble déjà enregistrée ({}). Rien n'a été enregistré.",
                self.doublons
                    .iter()
                    .map(doublon_phrase)
                    .collect::<Vec<_>>()
                    .join(" ; ")
            ),
            Issue::Brouillon => {
                let id = self.facture_id.unwrap_or_default();
                let douteux = self.fiche.as_ref().map(Fiche::douteux).unwrap_or_default();
                let mut s = format!("{lu} : brouillon de facture n° {id} enregistré.");
                if !douteux.is_empty() {
                    s.push_str(&format!(" À vérifier : {}.", douteux.join(", ")));
                }
                if !self.remarques.is_empty() {
                    s.push_str(&format!(" {}", self.remarques.join(" ")));
                }
                if self.a_completer.is_empty() {
                    s.push_str(
                        " Corrigez un champ en l'écrivant (« le montant TTC est 1 245,60 ») ou \
                         validez la facture.",
                    );
                } else {
                    s.push_str(&format!(
                        " Pour la valider, complétez : {}.",
                        self.a_completer.join(" ; ")
                    ));
                }
                s
            }
        }
    }

    fn tables(&self) -> Vec<Table> {
        let mut tables = Vec::new();
        if let Some(fiche) = &self.fiche {
            let title = match self.facture_id {
                Some(id) => format!("Brouillon n° {id} — {}", self.fichier),
                None => format!("Facture lue — {}", self.fichier),
            };
            tables.push(fiche.table(title));
        }
        if !self.doublons.is_empty() {
            tables.push(doublons_table(&self.doublons));
        }
        tables
    }

    fn follow_up(&self) -> Option<FollowUp> {
        let id = self.facture_id.filter(|_| self.a_completer.is_empty())?;
        Some(FollowUp {
            tool: ValiderFacture::NAME,
            args: serde_json::json!({ "facture": id }),
        })
    }
}

/// "0,8 s", "12 s".
fn secondes(ms: u64) -> String {
    if ms < 10_000 {
        format!("{},{} s", ms / 1000, (ms % 1000) / 100)
    } else {
        format!("{} s", (ms + 500) / 1000)
    }
}

// ---- corriger_facture --------------------------------------------------------------------------

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectionArgs {
    /// Le numéro du brouillon ; sans numéro, le dernier brouillon envoyé par l'utilisateur.
    #[serde(default)]
    pub facture: Option<i64>,
    /// Le fournisseur (nom tel qu'enregistré dans la liste des fournisseurs).
    #[serde(default)]
    pub fournisseur: Option<String>,
    /// La résidence concernée.
    #[serde(default)]
    pub residence: Option<String>,
    /// Le numéro de la facture, tel qu'imprimé.
    #[serde(default)]
    pub numero: Option<String>,
    /// La date de la facture ("15/01/2025", "15 janvier 2025").
    #[serde(default)]
    pub date_facture: Option<String>,
    /// La date d'échéance.
    #[serde(default)]
    pub date_echeance: Option<String>,
    /// Montant hors taxes ("1 037,50").
    #[serde(default)]
    pub montant_ht: Option<String>,
    /// Taux de TVA en % : 0, 7, 10, 14 ou 20.
    #[serde(default)]
    pub taux_tva: Option<String>,
    /// Montant de la TVA.
    #[serde(default)]
    pub montant_tva: Option<String>,
    /// Montant toutes taxes comprises ("1 245,60").
    #[serde(default)]
    pub montant_ttc: Option<String>,
    #[serde(default)]
    pub categorie: Option<Categorie>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CorrectionOutput {
    pub facture_id: i64,
    /// The fields changed, by label.
    pub corriges: Vec<String>,
    /// Fields recomputed from the corrected ones (HT and TVA from the TTC and the rate).
    pub recalcules: Vec<String>,
    pub champs: Vec<Champ>,
    pub a_completer: Vec<String>,
    #[serde(skip)]
    #[schemars(skip)]
    fiche: Fiche,
}

fn montant(label: &str, s: &str) -> Result<Decimal, ToolError> {
    wakil_invoice::parse_amount(s)
        .filter(|m| !m.is_sign_negative())
        .ok_or_else(|| {
            ToolError::InvalidArgs(format!(
                "{label} illisible : « {s} ». Écrivez-le par exemple 1 245,60."
            ))
        })
}

fn jour(label: &str, s: &str) -> Result<NaiveDate, ToolError> {
    wakil_invoice::parse_date(s).ok_or_else(|| {
        ToolError::InvalidArgs(format!(
            "{label} illisible : « {s} ». Écrivez-la par exemple 15/01/2025 ou 15 janvier 2025."
        ))
    })
}

fn taux(s: &str) -> Result<Decimal, ToolError> {
    let t = s.trim().trim_end_matches('%').trim();
    wakil_invoice::parse_amount(t)
        .filter(|t| taux_permis(*t))
        .ok_or_else(|| {
            ToolError::InvalidArgs(format!(
                "Taux de TVA impossible : « {s} ». Les taux marocains sont 7, 10, 14 et 20 % (0 sans TVA)."
            ))
        })
}

fn arrondi(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// Makes HT + TVA = TTC again after a correction, recomputing only fields the user did not give,
/// from those they gave and the rate. Returns the keys recomputed.
fn ajuster_montants(v: &mut ValeursFacture, donnes: &[&str]) -> Vec<&'static str> {
    let (Some(ht), Some(tva), Some(ttc)) = (v.montant_ht, v.montant_tva, v.montant_ttc) else {
        return Vec::new();
    };
    if ht + tva == ttc {
        return Vec::new();
    }
    let given = |k: &str| donnes.contains(&k);
    let rate = v.taux_tva.map(|t| t / Decimal::from(100));
    match (
        given("montant_ttc"),
        given("montant_ht"),
        given("montant_tva"),
        rate,
    ) {
        (true, false, false, Some(r)) => {
            let new_ht = arrondi(ttc / (Decimal::ONE + r));
            v.montant_ht = Some(new_ht);
            v.montant_tva = Some(ttc - new_ht);
            vec!["montant_ht", "montant_tva"]
        }
        (true, true, false, _) => {
            v.montant_tva = Some(ttc - ht);
            vec!["montant_tva"]
        }
        (true, false, true, _) => {
            v.montant_ht = Some(ttc - tva);
            vec!["montant_ht"]
        }
        (false, true, false, Some(r)) => {
            let new_tva = arrondi(ht * r);
            v.montant_tva = Some(new_tva);
            v.montant_ttc = Some(ht + new_tva);
            vec!["montant_tva", "montant_ttc"]
        }
        (false, _, _, _) => {
            v.montant_ttc = Some(ht + tva);
            vec!["montant_ttc"]
        }
        _ => Vec::new(),
    }
}

/// The draft `facture` of the caller's syndic, or the caller's latest one.
async fn brouillon(
    t: &mut Tenant,
    caller: &Caller,
    facture: Option<i64>,
) -> Result<FactureDetail, ToolError> {
    let id = match facture {
        Some(id) => id,
        None => t.dernier_brouillon(caller.user_id).await?.ok_or_else(|| {
            ToolError::InvalidArgs(
                "Aucun brouillon de facture en cours. Envoyez la photo ou le PDF d'une facture \
                 fournisseur."
                    .into(),
            )
        })?,
    };
    let detail = t
        .facture_detail(id)
        .await?
        .ok_or_else(|| ToolError::NotFound {
            what: "facture",
            query: id.to_string(),
            suggestions: Vec::new(),
        })?;
    if detail.statut != StatutFacture::Brouillon {
        return Err(ToolError::InvalidArgs(format!(
            "La facture n° {id} est déjà {} : elle n'est plus modifiable ici.",
            detail.statut.label()
        )));
    }
    Ok(detail)
}

impl Tool for CorrigerFacture {
    const NAME: &'static str = "corriger_facture";
    const DESCRIPTION: &'static str = "Corrige un ou plusieurs champs d'un brouillon de facture \
        lu par extract_invoice (par défaut le dernier) : fournisseur, résidence, numéro, dates, \
        montants HT/TVA/TTC, taux de TVA, catégorie. HT et TVA sont recalculés depuis un TTC \
        corrigé et le taux. Ne modifie qu'un brouillon ; la validation reste à confirmer.";
    type Args = CorrectionArgs;
    type Output = CorrectionOutput;

    fn allowed(role: Role) -> bool {
        role.is_staff()
    }

    async fn run(
        ctx: &ToolContext,
        caller: &Caller,
        args: CorrectionArgs,
    ) -> Result<CorrectionOutput, ToolError> {
        let mut t = ctx.store.tenant(caller.syndic_id).await?;
        let detail = brouillon(&mut t, caller, args.facture).await?;
        let mut fiche = Fiche::from_detail(&detail);
        let mut donnes: Vec<&'static str> = Vec::new();
        let v = &mut fiche.valeurs;
        if let Some(q) = args.fournisseur.as_deref().filter(|q| !q.trim().is_empty()) {
            let (id, nom) = scope::fournisseur(&mut t, q).await?;
            v.fournisseur_id = Some(id);
            fiche.fournisseur = Some(nom);
            donnes.push("fournisseur");
        }
        if let Some(q) = args.residence.as_deref().filter(|q| !q.trim().is_empty()) {
            let r = scope::one_residence(&mut t, caller, Some(q)).await?;
            v.residence_id = Some(r.id);
            fiche.residence = Some(r.nom);
            donnes.push("residence");
        }
        if let Some(n) = args
            .numero
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            v.numero = Some(n.to_string());
            donnes.push("numero");
        }
        if let Some(d) = &args.date_facture {
            v.date_facture = Some(jour("Date de facture", d)?);
            donnes.push("date_facture");
        }
        if let Some(d) = &args.date_echeance {
            v.date_echeance = Some(jour("Date d'échéance", d)?);
            donnes.push("date_echeance");
        }
        if let Some(s) = &args.taux_tva {
            v.taux_tva = Some(taux(s)?);
            donnes.push("taux_tva");
        }
        if let Some(s) = &args.montant_ht {
            v.montant_ht = Some(montant("Montant HT", s)?);
            donnes.push("montant_ht");
        }
        if let Some(s) = &args.montant_tva {
            v.montant_tva = Some(montant("Montant de TVA", s)?);
            donnes.push("montant_tva");
        }
        if let Some(s) = &args.montant_ttc {
            let m = montant("Montant TTC", s)?;
            if m.is_zero() {
                return Err(ToolError::InvalidArgs(
                    "Le montant TTC doit être supérieur à 0.".into(),
                ));
            }
            v.montant_ttc = Some(m);
            donnes.push("montant_ttc");
        }
        if let Some(c) = args.categorie {
            v.categorie = Some(c);
            donnes.push("categorie");
        }
        if donnes.is_empty() {
            return Err(ToolError::InvalidArgs(
                "Indiquez le champ à corriger et sa valeur, par exemple « le montant TTC est \
                 1 245,60 » ou « la résidence est Les Orangers »."
                    .into(),
            ));
        }
        let recalcules = ajuster_montants(v, &donnes);
        for k in donnes.iter().chain(&recalcules) {
            fiche.confiances.insert(
                (*k).to_string(),
                Confidence {
                    score: 1.0,
                    origin: Origin::Utilisateur,
                },
            );
        }
        let confiances = serde_json::to_value(&fiche.confiances)
            .map_err(|e| ToolError::Internal(e.to_string()))?;
        if !t
            .corriger_brouillon(
                detail.id,
                &fiche.valeurs,
                &confiances,
                confiance_globale(&fiche.confiances),
            )
            .await?
        {
            return Err(ToolError::InvalidArgs(format!(
                "La facture n° {} vient d'être validée : elle n'est plus modifiable ici.",
                detail.id
            )));
        }
        t.commit().await?;
        let label = |k: &str| {
            fiche
                .lignes()
                .into_iter()
                .find(|(cle, _, _)| *cle == k)
                .map_or_else(|| k.to_string(), |(_, l, _)| l.to_lowercase())
        };
        Ok(CorrectionOutput {
            facture_id: detail.id,
            corriges: donnes.iter().map(|k| label(k)).collect(),
            recalcules: recalcules.iter().map(|k| label(k)).collect(),
            champs: fiche.champs(),
            a_completer: fiche.manquants(),
            fiche,
        })
    }
}

impl Render for CorrectionOutput {
    fn summary(&self) -> String {
        let mut s = format!(
            "Brouillon n° {} corrigé : {}.",
            self.facture_id,
            self.corriges.join(", ")
        );
        if !self.recalcules.is_empty() {
            s.push_str(&format!(" Recalculé : {}.", self.recalcules.join(", ")));
        }
        if !self.a_completer.is_empty() {
            s.push_str(&format!(
                " Pour la valider, complétez : {}.",
                self.a_completer.join(" ; ")
            ));
        }
        s
    }

    fn tables(&self) -> Vec<Table> {
        vec![
            self.fiche
                .table(format!("Brouillon n° {}", self.facture_id)),
        ]
    }

    fn follow_up(&self) -> Option<FollowUp> {
        self.a_completer.is_empty().then(|| FollowUp {
            tool: ValiderFacture::NAME,
            args: serde_json::json!({ "facture": self.facture_id }),
        })
    }
}

// ---- valider_facture ---------------------------------------------------------------------------

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ValidationArgs {
    /// Le numéro du brouillon à valider ; sans numéro, le dernier brouillon envoyé par
    /// l'utilisateur.
    #[serde(default)]
    pub facture: Option<i64>,
}

/// The validation to confirm: the draft and the exact values that will be written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidationPlan {
    pub facture_id: i64,
    pub valeurs: ValeursFacture,
    pub fournisseur: String,
    pub residence: String,
    /// "sans TVA" when HT = TTC was assumed for an invoice stating no TVA.
    pub hypothese: Option<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ValidationOutput {
    pub facture_id: i64,
    /// True when this confirmation had already validated it: nothing written again.
    pub deja_validee: bool,
    pub fournisseur: String,
    pub residence: String,
    pub numero: Option<String>,
    pub montant_ttc: Option<Decimal>,
}

/// Completes the amounts an invoice may leave implicit: the third from two of HT, TVA, TTC; a
/// TTC alone means no TVA (HT = TTC, rate 0). Returns the assumption made, if any.
fn completer_montants(v: &mut ValeursFacture) -> Option<String> {
    match (v.montant_ht, v.montant_tva, v.montant_ttc) {
        (None, None, Some(ttc)) if v.taux_tva.is_none_or(|t| t.is_zero()) => {
            v.montant_ht = Some(ttc);
            v.montant_tva = Some(Decimal::ZERO);
            v.taux_tva = Some(Decimal::ZERO);
            Some("sans TVA (aucune TVA indiquée sur la facture) : HT = TTC".into())
        }
        (None, None, Some(ttc)) => {
            let rate = v.taux_tva.unwrap_or_default() / Decimal::from(100);
            let ht = arrondi(ttc / (Decimal::ONE + rate));
            v.montant_ht = Some(ht);
            v.montant_tva = Some(ttc - ht);
            Some("HT et TVA calculés depuis le TTC et le taux".into())
        }
        (Some(ht), None, Some(ttc)) => {
            v.montant_tva = Some(ttc - ht);
            None
        }
        (None, Some(tva), Some(ttc)) => {
            v.montant_ht = Some(ttc - tva);
            None
        }
        (Some(ht), Some(tva), None) => {
            v.montant_ttc = Some(ht + tva);
            None
        }
        _ => None,
    }
}

impl WriteTool for ValiderFacture {
    const NAME: &'static str = "valider_facture";
    const DESCRIPTION: &'static str = "Valide un brouillon de facture fournisseur (par défaut le \
        dernier lu) : la facture devient « à payer » et compte dans les dépenses. Vérifie qu'elle \
        est complète, que HT + TVA = TTC et qu'elle n'est pas déjà enregistrée. Rien n'est \
        validé avant la confirmation de l'utilisateur.";
    type Args = ValidationArgs;
    type Plan = ValidationPlan;
    type Output = ValidationOutput;

    fn allowed(role: Role) -> bool {
        matches!(role, Role::Admin | Role::Gestionnaire | Role::Comptable)
    }

    async fn plan(
        ctx: &ToolContext,
        caller: &Caller,
        args: ValidationArgs,
    ) -> Result<Planned<ValidationPlan>, ToolError> {
        let mut t = ctx.store.tenant_read(caller.syndic_id).await?;
        let detail = brouillon(&mut t, caller, args.facture).await?;
        let mut fiche = Fiche::from_detail(&detail);
        let manquants = fiche.manquants();
        if !manquants.is_empty() {
            return Err(ToolError::InvalidArgs(format!(
                "Le brouillon n° {} est incomplet. Complétez : {}.",
                detail.id,
                manquants.join(" ; ")
            )));
        }
        let hypothese = completer_montants(&mut fiche.valeurs);
        let v = &fiche.valeurs;
        if let (Some(ht), Some(tva), Some(ttc)) = (v.montant_ht, v.montant_tva, v.montant_ttc)
            && ht + tva != ttc
        {
            return Err(ToolError::InvalidArgs(format!(
                "Les montants du brouillon n° {} ne concordent pas : HT {} + TVA {} = {}, mais le \
                 TTC lu est {}. Corrigez le montant faux, par exemple « le montant TTC est {} ».",
                detail.id,
                mad(ht),
                mad(tva),
                mad(ht + tva),
                mad(ttc),
                crate::format::montant(ht + tva)
            )));
        }
        let doublons = t.doublons_facture(Some(detail.id), v, None).await?;
        if let Some(d) = doublons.first() {
            return Err(ToolError::InvalidArgs(format!(
                "Le brouillon n° {} semble déjà enregistré : {}. Rien n'a été validé ; si ce \
                 n'est pas la même facture, corrigez son numéro ou son montant.",
                detail.id,
                doublon_phrase(&DoublonVu::from(d))
            )));
        }
        t.commit().await?;
        let fournisseur = fiche.fournisseur.clone().unwrap_or_default();
        let residence = fiche.residence.clone().unwrap_or_default();
        let summary = format!(
            "Valider la facture {}de {}{} : {} TTC pour {}{} ?",
            v.numero
                .as_deref()
                .map(|n| format!("n° {n} "))
                .unwrap_or_default(),
            fournisseur,
            v.date_facture
                .map(|d| format!(" du {}", date(d)))
                .unwrap_or_default(),
            v.montant_ttc.map(mad).unwrap_or_default(),
            residence,
            hypothese
                .as_deref()
                .map(|h| format!(" ({h})"))
                .unwrap_or_default()
        );
        let tables = vec![fiche.table(format!("Brouillon n° {}", detail.id))];
        Ok(Planned {
            plan: ValidationPlan {
                facture_id: detail.id,
                valeurs: fiche.valeurs,
                fournisseur,
                residence,
                hypothese,
            },
            summary,
            tables,
        })
    }

    async fn execute(
        ctx: &ToolContext,
        caller: &Caller,
        plan: ValidationPlan,
        confirmation: Uuid,
    ) -> Result<ValidationOutput, ToolError> {
        let mut t = ctx.store.tenant(caller.syndic_id).await?;
        let outcome = t
            .valider_facture(plan.facture_id, &plan.valeurs, caller.user_id, confirmation)
            .await?;
        let deja_validee = match outcome {
            Validation::Validee => false,
            Validation::DejaFaite => true,
            Validation::PlusBrouillon(statut) => {
                return Err(ToolError::InvalidArgs(match statut {
                    Some(s) => format!(
                        "La facture n° {} est déjà {} : rien n'a été changé.",
                        plan.facture_id,
                        s.label()
                    ),
                    None => format!("La facture n° {} n'existe plus.", plan.facture_id),
                }));
            }
        };
        t.commit().await?;
        Ok(ValidationOutput {
            facture_id: plan.facture_id,
            deja_validee,
            fournisseur: plan.fournisseur,
            residence: plan.residence,
            numero: plan.valeurs.numero,
            montant_ttc: plan.valeurs.montant_ttc,
        })
    }
}

impl Render for ValidationOutput {
    fn summary(&self) -> String {
        format!(
            "Facture {}de {} {} : {} TTC à payer ({}).",
            self.numero
                .as_deref()
                .map(|n| format!("n° {n} "))
                .unwrap_or_default(),
            self.fournisseur,
            if self.deja_validee {
                "déjà validée par cette confirmation"
            } else {
                "validée"
            },
            self.montant_ttc.map(mad).unwrap_or_default(),
            self.residence
        )
    }

    fn tables(&self) -> Vec<Table> {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn montants(ht: &str, taux: &str, tva: &str, ttc: &str) -> ValeursFacture {
        ValeursFacture {
            montant_ht: Some(d(ht)),
            taux_tva: Some(d(taux)),
            montant_tva: Some(d(tva)),
            montant_ttc: Some(d(ttc)),
            ..ValeursFacture::default()
        }
    }

    #[test]
    fn a_corrected_ttc_recomputes_ht_and_tva_from_the_rate() {
        let mut v = montants("1000.00", "20", "200.00", "1245.60");
        let recomputed = ajuster_montants(&mut v, &["montant_ttc"]);
        assert_eq!(recomputed, vec!["montant_ht", "montant_tva"]);
        assert_eq!(v.montant_ht, Some(d("1038.00")));
        assert_eq!(v.montant_tva, Some(d("207.60")));
        assert_eq!(v.montant_ttc, Some(d("1245.60")));
    }

    #[test]
    fn consistent_amounts_are_left_alone() {
        let mut v = montants("1038.00", "20", "207.60", "1245.60");
        assert!(ajuster_montants(&mut v, &["montant_ttc"]).is_empty());
        assert_eq!(v, montants("1038.00", "20", "207.60", "1245.60"));
    }

    #[test]
    fn a_corrected_ht_recomputes_tva_and_ttc() {
        let mut v = montants("900.00", "10", "100.00", "1100.00");
        assert_eq!(
            ajuster_montants(&mut v, &["montant_ht"]),
            vec!["montant_tva", "montant_ttc"]
        );
        assert_eq!(v.montant_tva, Some(d("90.00")));
        assert_eq!(v.montant_ttc, Some(d("990.00")));
    }

    #[test]
    fn a_ttc_alone_means_no_tva() {
        let mut v = ValeursFacture {
            montant_ttc: Some(d("1800")),
            ..ValeursFacture::default()
        };
        assert!(completer_montants(&mut v).is_some());
        assert_eq!(v.montant_ht, Some(d("1800")));
        assert_eq!(v.montant_tva, Some(Decimal::ZERO));
        assert_eq!(v.taux_tva, Some(Decimal::ZERO));
    }

    #[test]
    fn doubtful_and_missing_fields_are_marked_in_the_table() {
        let mut confiances = BTreeMap::new();
        confiances.insert(
            "montant_ttc".to_string(),
            Confidence {
                score: 0.55,
                origin: Origin::Texte,
            },
        );
        let fiche = Fiche {
            valeurs: ValeursFacture {
                montant_ttc: Some(d("1245.60")),
                ..ValeursFacture::default()
            },
            fournisseur: None,
            residence: None,
            confiances,
        };
        let table = fiche.table("t".into());
        let ttc = table.rows.iter().find(|r| r[0] == "Montant TTC").unwrap();
        assert_eq!(ttc[2], "⚠ à vérifier (55 %)");
        let residence = table.rows.iter().find(|r| r[0] == "Résidence").unwrap();
        assert_eq!(residence[2], "à compléter");
        assert_eq!(fiche.douteux(), vec!["montant ttc"]);
        assert_eq!(fiche.manquants().len(), 5);
    }

    #[test]
    fn categories_of_the_parser_map_to_the_domain() {
        for key in wakil_invoice::CATEGORIES {
            assert!(categorie(key).is_some(), "{key}");
        }
        assert_eq!(categorie("inconnue"), None);
    }

    #[test]
    fn durations_read_in_seconds() {
        assert_eq!(secondes(840), "0,8 s");
        assert_eq!(secondes(12_400), "12 s");
    }
}
