//! `appel_de_fonds`: a call for funds of a résidence for a period, split over its lots by
//! quote-part exactly to the centime (largest remainder), one échéance per lot for its current
//! owner, and a PDF notice per co-owner (amount, due date, how to pay).
//!
//! Two phases. `plan` resolves the résidence in the caller's scope, reads the period (a label such
//! as "T1 2027" or two dates), takes the total given or the résidence's budget of that year
//! prorated to the period's months, refuses an appel already issued for that period, a lot
//! without owner, amounts or dates that make no sense, and shows the split lot by lot with the
//! credit each co-owner already has; it writes nothing. `execute` issues the confirmed plan in one
//! transaction: the appel (under the confirmation's id, unique: confirming twice issues once)
//! and its échéances, the co-owners' credits imputed to them, then one notice per co-owner,
//! rendered off the async threads and published as a document addressed to them.
//!
//! Choices (documented for the user in the tool's description):
//! * without a total, a `budget` appel calls the year's budget prorated to whole months
//!   (a quarter = a quarter of the budget, rounded to the centime);
//! * the default due date is the period's first day, and never less than
//!   [`DELAI_MINIMUM_JOURS`] days after the notice (an appel issued late gives that delay);
//! * a period lasts at most a year, starts at most a year ahead and ends at most a year ago;
//!   two `budget` appels never cover the same days (a complement is an `exceptionnel` appel).

use crate::fichiers::{GeneratedDocument, PDF, publish};
use crate::format::{date, mad, montant};
use crate::periode::Periode;
use crate::scope;
use crate::{Align, Attachment, Limits, Planned, Render, Table, ToolContext, ToolError, WriteTool};
use chrono::{Datelike, Days, Months, NaiveDate};
use rust_decimal::{Decimal, RoundingStrategy};
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};
use uuid::Uuid;
use wakil_schema::fold::fold;
use wakil_schema::money::{OpenEcheance, allocate_oldest_first, split_amount, to_centimes};
use wakil_schema::store::{
    AppelEmis, AppelInsertion, EcheanceAppel, Emetteur, LotAppele, NouvelAppel, ResidenceRef,
    Tenant,
};
use wakil_schema::{Caller, LotType, Role, TypeAppel, TypeDocument, Visibilite};

pub struct AppelDeFonds;

/// The notice's typst template (see `templates/avis_appel.typ`).
const AVIS: &str = include_str!("../templates/avis_appel.typ");

/// The default due date is at least this many days after the notice.
pub const DELAI_MINIMUM_JOURS: u64 = 30;
/// How far from today a period may lie, and how long it may last, in months.
const MOIS_HORIZON: u32 = 12;
const LIBELLE_MAX: usize = 200;

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// Résidence de l'appel (nom ou ville).
    #[serde(default)]
    pub residence: Option<String>,
    /// Période en clair : « T1 2027 », « 1er trimestre 2027 », « S2 2027 », « janvier 2027 »,
    /// « 2027 ». Sinon, periode_debut et periode_fin.
    #[serde(default)]
    pub periode: Option<String>,
    /// Premier jour de la période (AAAA-MM-JJ).
    #[serde(default)]
    pub periode_debut: Option<NaiveDate>,
    /// Dernier jour de la période (AAAA-MM-JJ).
    #[serde(default)]
    pub periode_fin: Option<NaiveDate>,
    /// Type d'appel : budget (charges courantes, par défaut), travaux ou exceptionnel.
    #[serde(default, rename = "type", deserialize_with = "type_appel")]
    #[schemars(with = "Option<TypeAppel>")]
    pub type_appel: Option<TypeAppel>,
    /// Montant total à appeler, en MAD. Sans montant, un appel « budget » reprend le budget
    /// prévisionnel de l'année au prorata des mois de la période (un trimestre = un quart).
    #[serde(default)]
    pub montant_total: Option<Decimal>,
    /// Libellé de l'appel ; par défaut « Appel de fonds T1 2027 – budget prévisionnel ».
    #[serde(default)]
    pub libelle: Option<String>,
    /// Date limite de paiement (AAAA-MM-JJ). Par défaut : le premier jour de la période, et au
    /// moins 30 jours après l'émission.
    #[serde(default)]
    pub date_echeance: Option<NaiveDate>,
}

/// One lot of the split: its owner, quote-part and amount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LignePlan {
    pub lot_id: i64,
    pub lot: String,
    pub tantiemes: i32,
    pub coproprietaire_id: i64,
    pub coproprietaire: String,
    pub montant: Decimal,
}

/// The confirmed action: the résidence, the period, the total and its split (ids and amounts).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub residence_id: i64,
    /// "Résidence Les Jardins de Guéliz".
    pub residence: String,
    pub type_appel: TypeAppel,
    pub libelle: String,
    pub periode_debut: NaiveDate,
    pub periode_fin: NaiveDate,
    pub montant_total: Decimal,
    pub budget_id: Option<i64>,
    pub date_echeance: NaiveDate,
    /// By lot number; the amounts add up to `montant_total`.
    pub lignes: Vec<LignePlan>,
}

/// One échéance of the appel issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct LigneAppel {
    pub echeance_id: i64,
    pub lot: String,
    pub tantiemes: i32,
    pub coproprietaire_id: i64,
    pub coproprietaire: String,
    pub montant: Decimal,
    /// Already covered: at issue, the co-owner's credit imputed to it.
    pub deja_regle: Decimal,
    /// `montant - deja_regle`.
    pub net: Decimal,
}

/// The notice sent to one co-owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Avis {
    pub coproprietaire_id: i64,
    /// The reference the co-owner is asked to quote with their payment.
    pub reference_paiement: String,
    pub fichier: Attachment,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Output {
    pub appel_id: i64,
    /// True when this confirmation had already issued the appel: nothing was written again.
    pub deja_emis: bool,
    pub residence: ResidenceRef,
    #[serde(rename = "type")]
    pub type_appel: TypeAppel,
    pub libelle: String,
    pub periode_debut: NaiveDate,
    pub periode_fin: NaiveDate,
    pub montant_total: Decimal,
    pub date_emission: NaiveDate,
    pub date_echeance: NaiveDate,
    /// By co-owner then lot; the amounts add up to `montant_total`.
    pub lignes: Vec<LigneAppel>,
    /// One PDF notice per co-owner.
    pub avis: Vec<Avis>,
}

impl WriteTool for AppelDeFonds {
    const NAME: &'static str = "appel_de_fonds";
    const DESCRIPTION: &'static str = "Émet un appel de fonds pour une résidence et une période (« T1 2027 », \
        « 2e semestre 2027 », ou deux dates) : le montant total (donné, ou pour un appel « budget » le budget \
        prévisionnel de l'année au prorata des mois) est réparti sur les lots selon leurs tantièmes, au \
        centime près ; une échéance par lot pour son propriétaire, le crédit éventuel de chacun imputé, et un \
        avis PDF par copropriétaire (montant, échéance, modalités de paiement). Échéance par défaut : le \
        premier jour de la période, au moins 30 jours après l'émission. Rien n'est émis avant la \
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
        let periode = periode(&args, today)?;
        let type_appel = args.type_appel.unwrap_or(TypeAppel::Budget);
        let libelle = libelle(args.libelle.as_deref(), type_appel, &periode)?;
        let date_echeance = check_echeance(
            args.date_echeance
                .unwrap_or_else(|| echeance_par_defaut(&periode, today)),
            today,
        )?;
        if let Some(m) = args.montant_total {
            check_total(m, &ctx.limits)?;
        }

        let mut t = ctx.store.tenant_read(caller.syndic_id).await?;
        let residence = scope::one_residence(&mut t, caller, args.residence.as_deref()).await?;
        let budget = t
            .budget_annuel(residence.id, periode.debut.year())
            .await?
            .filter(|_| type_appel == TypeAppel::Budget);
        let (montant_total, source) = match args.montant_total {
            Some(m) => (m, None),
            None => {
                let budget = match (type_appel, budget) {
                    (TypeAppel::Budget, Some(b)) => b,
                    (TypeAppel::Budget, None) => {
                        return Err(ToolError::InvalidArgs(format!(
                            "Aucun budget prévisionnel {} n'est enregistré pour {} : indiquez le montant \
                             total de l'appel (montant_total).",
                            periode.debut.year(),
                            residence.nom
                        )));
                    }
                    (other, _) => {
                        return Err(ToolError::InvalidArgs(format!(
                            "Indiquez le montant total de l'appel {} (montant_total) : seul un appel « budget » \
                             se calcule à partir du budget prévisionnel.",
                            type_texte(other)
                        )));
                    }
                };
                let (total, mois) = prorata(budget.total, &periode)?;
                check_total(total, &ctx.limits)?;
                (total, Some((budget.total, mois)))
            }
        };
        check_existing(
            &t.appels_chevauchants(residence.id, type_appel, periode.debut, periode.fin)
                .await?,
            type_appel,
            periode.debut,
            &residence.nom,
        )?;
        let lots = t.lots_appeles(residence.id).await?;
        let lignes = split(&lots, montant_total, &residence.nom)?;
        let credits = credit_preview(&mut t, residence.id, &lignes, date_echeance).await?;
        t.commit().await?;

        let plan = Plan {
            residence_id: residence.id,
            residence: residence.nom,
            type_appel,
            libelle,
            periode_debut: periode.debut,
            periode_fin: periode.fin,
            montant_total,
            budget_id: budget.map(|b| b.budget_id),
            date_echeance,
            lignes,
        };
        Ok(Planned {
            summary: question(&plan, source),
            tables: vec![split_table(&plan, &credits)],
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
        check_total(plan.montant_total, &ctx.limits)?;
        check_echeance(plan.date_echeance, today)?;
        if caller
            .residence_scope()
            .is_some_and(|only| only != plan.residence_id)
        {
            return Err(ToolError::Forbidden(
                "Cet appel concerne une résidence hors de votre périmètre.".into(),
            ));
        }

        let mut t = ctx.store.tenant(caller.syndic_id).await?;
        // One appel of a résidence at a time: a concurrent one waits here, then sees ours.
        t.verrouiller_residence(plan.residence_id).await?;
        let (appel_id, deja_emis) = match t.appel_par_confirmation(confirmation).await? {
            Some(id) => (id, true),
            None => (
                issue(ctx, &mut t, caller, &plan, confirmation, today).await?,
                false,
            ),
        };
        let output = read_back(&mut t, appel_id, deja_emis).await?;
        t.commit().await?;
        Ok(output)
    }
}

/// Issues the plan in `t` (not committed): the appel, its échéances, the credits imputed, the
/// notices. Returns the appel's id.
async fn issue(
    ctx: &ToolContext,
    t: &mut Tenant,
    caller: &Caller,
    plan: &Plan,
    confirmation: Uuid,
    today: NaiveDate,
) -> Result<i64, ToolError> {
    let changed = || {
        ToolError::InvalidArgs(format!(
            "Les lots de {} ont changé depuis la préparation de l'appel (propriétaires ou tantièmes) : \
             rien n'a été émis ; refaites la demande.",
            plan.residence
        ))
    };
    let lots = t.lots_appeles(plan.residence_id).await?;
    let lignes = split(&lots, plan.montant_total, &plan.residence).map_err(|_| changed())?;
    if lignes != plan.lignes {
        return Err(changed());
    }
    check_existing(
        &t.appels_chevauchants(
            plan.residence_id,
            plan.type_appel,
            plan.periode_debut,
            plan.periode_fin,
        )
        .await?,
        plan.type_appel,
        plan.periode_debut,
        &plan.residence,
    )?;
    let nouvel = NouvelAppel {
        residence_id: plan.residence_id,
        budget_id: plan.budget_id,
        type_appel: plan.type_appel,
        libelle: &plan.libelle,
        periode_debut: plan.periode_debut,
        periode_fin: plan.periode_fin,
        montant_total: plan.montant_total,
        date_emission: today,
        date_echeance: plan.date_echeance,
        confirmation,
        emis_par: caller.user_id,
    };
    let appel_id = match t.inserer_appel(&nouvel).await? {
        AppelInsertion::Insere(id) => id,
        AppelInsertion::DejaEmis(id) => return Ok(id),
        AppelInsertion::PeriodeDejaAppelee => {
            return Err(ToolError::InvalidArgs(format!(
                "Un appel de fonds {} commençant le {} existe déjà pour {} : rien n'a été émis.",
                type_texte(plan.type_appel),
                date(plan.periode_debut),
                plan.residence
            )));
        }
    };
    let appel = t
        .appel_emis(appel_id)
        .await?
        .ok_or_else(|| ToolError::Internal(format!("appel {appel_id} introuvable")))?;
    let parts: Vec<(i64, i64, Decimal)> = plan
        .lignes
        .iter()
        .map(|l| (l.lot_id, l.coproprietaire_id, l.montant))
        .collect();
    t.inserer_echeances(&appel, &parts).await?;
    t.imputer_credits(plan.residence_id, None).await?;

    let emetteur = t
        .emetteur(plan.residence_id)
        .await?
        .ok_or_else(|| ToolError::Internal(format!("résidence {}", plan.residence_id)))?;
    let echeances = t.echeances_de_l_appel(appel_id).await?;
    let notices: Vec<Notice> = per_owner(&echeances)
        .into_iter()
        .map(|rows| Notice::new(&appel, &emetteur, rows))
        .collect();
    let rendered = render_all(notices, today).await?;
    for (notice, pdf) in rendered {
        let nom = format!(
            "Avis d'appel de fonds {} - {}.pdf",
            notice.periode_court, notice.data.destinataire[0]
        );
        let titre = format!(
            "Avis d'appel de fonds – {} – {}",
            appel.libelle, notice.data.destinataire[0]
        );
        let fichier = publish(
            &ctx.files,
            t,
            caller,
            &GeneratedDocument {
                bytes: &pdf.bytes,
                mime: PDF,
                pages: Some(pdf.pages),
                nom: &nom,
                titre: &titre,
                residence_id: plan.residence_id,
                type_document: TypeDocument::Courrier,
                date_document: today,
                visibilite: Visibilite::Staff,
                coproprietaire_id: Some(notice.coproprietaire_id),
            },
        )
        .await?;
        t.enregistrer_avis(
            appel_id,
            notice.coproprietaire_id,
            fichier.id,
            &notice.data.reference,
        )
        .await?;
    }
    Ok(appel_id)
}

/// The appel as stored, with its échéances and notices.
async fn read_back(t: &mut Tenant, appel_id: i64, deja_emis: bool) -> Result<Output, ToolError> {
    let appel = t
        .appel_emis(appel_id)
        .await?
        .ok_or_else(|| ToolError::Internal(format!("appel {appel_id} introuvable")))?;
    let residence = t
        .residence_by_id(appel.residence_id)
        .await?
        .ok_or_else(|| ToolError::Internal(format!("résidence {}", appel.residence_id)))?;
    let lignes = t
        .echeances_de_l_appel(appel_id)
        .await?
        .into_iter()
        .map(|e| LigneAppel {
            echeance_id: e.echeance_id,
            lot: e.lot,
            tantiemes: e.tantiemes,
            coproprietaire_id: e.coproprietaire_id,
            coproprietaire: e.coproprietaire,
            montant: e.montant,
            deja_regle: e.paye,
            net: e.montant - e.paye,
        })
        .collect();
    let avis = t
        .avis_de_l_appel(appel_id)
        .await?
        .into_iter()
        .map(|a| Avis {
            coproprietaire_id: a.coproprietaire_id,
            reference_paiement: a.reference_paiement,
            fichier: a.fichier.into(),
        })
        .collect();
    Ok(Output {
        appel_id,
        deja_emis,
        residence,
        type_appel: appel.type_appel,
        libelle: appel.libelle,
        periode_debut: appel.periode_debut,
        periode_fin: appel.periode_fin,
        montant_total: appel.montant_total,
        date_emission: appel.date_emission,
        date_echeance: appel.date_echeance,
        lignes,
        avis,
    })
}

/// The period from a label and/or two dates, checked.
fn periode(args: &Args, today: NaiveDate) -> Result<Periode, ToolError> {
    let from_label = match args.periode.as_deref().map(str::trim) {
        Some(text) if !text.is_empty() => Some(Periode::parse(text).ok_or_else(|| {
            ToolError::InvalidArgs(format!(
                "Période « {text} » non reconnue : écrivez par exemple « T1 2027 », « 1er trimestre 2027 », \
                 « 2e semestre 2027 », « janvier 2027 » ou « 2027 », ou donnez periode_debut et periode_fin."
            ))
        })?),
        _ => None,
    };
    let p = match (from_label, args.periode_debut, args.periode_fin) {
        (Some(p), None, None) => p,
        (Some(p), debut, fin) => {
            if debut.is_some_and(|d| d != p.debut) || fin.is_some_and(|f| f != p.fin) {
                return Err(ToolError::InvalidArgs(format!(
                    "La période « {} » va du {} au {}, ce qui ne correspond pas aux dates indiquées : \
                     donnez l'une ou l'autre.",
                    p.libelle(),
                    date(p.debut),
                    date(p.fin)
                )));
            }
            p
        }
        (None, Some(debut), Some(fin)) => Periode { debut, fin },
        (None, _, _) => {
            return Err(ToolError::InvalidArgs(
                "Indiquez la période de l'appel : « T1 2027 », « 1er trimestre 2027 », « 2027 »… \
                 ou ses dates de début et de fin (periode_debut, periode_fin)."
                    .into(),
            ));
        }
    };
    check_periode(p, today)
}

fn check_periode(p: Periode, today: NaiveDate) -> Result<Periode, ToolError> {
    if p.fin < p.debut {
        return Err(ToolError::InvalidArgs(format!(
            "La fin de la période ({}) précède son début ({}) : vérifiez les dates.",
            date(p.fin),
            date(p.debut)
        )));
    }
    let horizon = Months::new(MOIS_HORIZON);
    if p.debut
        .checked_add_months(horizon)
        .is_none_or(|limit| p.fin >= limit)
    {
        return Err(ToolError::InvalidArgs(format!(
            "Un appel de fonds couvre au plus {MOIS_HORIZON} mois (ici du {} au {}) : émettez un appel par période.",
            date(p.debut),
            date(p.fin)
        )));
    }
    if today
        .checked_add_months(horizon)
        .is_none_or(|limit| p.debut > limit)
    {
        return Err(ToolError::InvalidArgs(format!(
            "La période commence le {}, plus d'un an à l'avance : un appel s'émet au plus un an avant sa période.",
            date(p.debut)
        )));
    }
    if today
        .checked_sub_months(horizon)
        .is_none_or(|limit| p.fin < limit)
    {
        return Err(ToolError::InvalidArgs(format!(
            "La période s'est terminée le {}, il y a plus d'un an : vérifiez l'année. Une régularisation \
             aussi ancienne se fait en comptabilité.",
            date(p.fin)
        )));
    }
    Ok(p)
}

/// The period's first day, and at least [`DELAI_MINIMUM_JOURS`] days after `today`.
fn echeance_par_defaut(p: &Periode, today: NaiveDate) -> NaiveDate {
    let delai = today
        .checked_add_days(Days::new(DELAI_MINIMUM_JOURS))
        .unwrap_or(today);
    p.debut.max(delai)
}

fn check_echeance(d: NaiveDate, today: NaiveDate) -> Result<NaiveDate, ToolError> {
    if d < today {
        return Err(ToolError::InvalidArgs(format!(
            "La date d'échéance ({}) est passée : indiquez une date à partir d'aujourd'hui ({}), \
             laissant aux copropriétaires le temps de payer.",
            date(d),
            date(today)
        )));
    }
    if today
        .checked_add_months(Months::new(MOIS_HORIZON))
        .is_none_or(|limit| d > limit)
    {
        return Err(ToolError::InvalidArgs(format!(
            "La date d'échéance ({}) est à plus d'un an : vérifiez-la.",
            date(d)
        )));
    }
    Ok(d)
}

fn check_total(total: Decimal, limits: &Limits) -> Result<Decimal, ToolError> {
    if total <= Decimal::ZERO {
        return Err(ToolError::InvalidArgs(format!(
            "Le montant total d'un appel de fonds doit être positif (reçu : {}). Indiquez-le en MAD, \
             par exemple 100025.00.",
            mad(total)
        )));
    }
    if to_centimes(total).is_none() {
        return Err(ToolError::InvalidArgs(format!(
            "Le montant {total} n'est pas exprimé au centime près : indiquez au plus deux décimales."
        )));
    }
    if total > limits.appel_max {
        return Err(ToolError::InvalidArgs(format!(
            "Un appel de {} dépasse le plafond de {} par appel. Vérifiez le montant ; pour un appel plus \
             élevé, demandez à l'administrateur de relever le plafond.",
            mad(total),
            mad(limits.appel_max)
        )));
    }
    Ok(total)
}

/// The year's budget prorated to the period's whole months, to the centime; and the months.
fn prorata(budget: Decimal, p: &Periode) -> Result<(Decimal, u32), ToolError> {
    let mois = p
        .mois_entiers()
        .filter(|_| p.debut.year() == p.fin.year())
        .ok_or_else(|| {
            ToolError::InvalidArgs(format!(
                "Pour un appel calculé sur le budget, la période doit couvrir des mois entiers d'une même \
                 année (ici du {} au {}) : indiquez le montant total (montant_total) ou une période comme « T1 2027 ».",
                date(p.debut),
                date(p.fin)
            ))
        })?;
    let total = (budget * Decimal::from(mois) / Decimal::from(12))
        .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    Ok((total, mois))
}

fn libelle(given: Option<&str>, type_appel: TypeAppel, p: &Periode) -> Result<String, ToolError> {
    match given.map(str::trim).filter(|l| !l.is_empty()) {
        Some(l) if l.chars().count() > LIBELLE_MAX => Err(ToolError::InvalidArgs(format!(
            "Le libellé est trop long ({LIBELLE_MAX} caractères au plus)."
        ))),
        Some(l) => Ok(l.to_string()),
        None => Ok(format!(
            "Appel de fonds {} – {}",
            p.libelle(),
            type_texte(type_appel)
        )),
    }
}

fn type_texte(t: TypeAppel) -> &'static str {
    match t {
        TypeAppel::Budget => "budget prévisionnel",
        TypeAppel::Travaux => "travaux",
        TypeAppel::Exceptionnel => "exceptionnel",
    }
}

/// Refuses an appel of the same type starting the same day (the unique constraint), and for a
/// `budget` appel any overlap: the same days are never called twice for the current charges.
fn check_existing(
    existing: &[AppelEmis],
    type_appel: TypeAppel,
    debut: NaiveDate,
    residence: &str,
) -> Result<(), ToolError> {
    let conflict = existing
        .iter()
        .find(|a| a.periode_debut == debut)
        .or_else(|| existing.first().filter(|_| type_appel == TypeAppel::Budget));
    match conflict {
        None => Ok(()),
        Some(a) => Err(ToolError::InvalidArgs(format!(
            "{residence} a déjà un appel de fonds {} pour cette période : « {} » (du {} au {}, {}, échéance le {}). \
             Rien n'a été émis{}.",
            type_texte(type_appel),
            a.libelle,
            date(a.periode_debut),
            date(a.periode_fin),
            mad(a.montant_total),
            date(a.date_echeance),
            if type_appel == TypeAppel::Budget {
                " ; pour un complément, émettez un appel « exceptionnel »"
            } else {
                ""
            }
        ))),
    }
}

/// The total split over the lots by tantièmes (largest remainder), each lot for its owner.
fn split(lots: &[LotAppele], total: Decimal, residence: &str) -> Result<Vec<LignePlan>, ToolError> {
    if lots.is_empty() {
        return Err(ToolError::InvalidArgs(format!(
            "{residence} n'a aucun lot enregistré : rien à appeler."
        )));
    }
    let sans_proprietaire: Vec<&str> = lots
        .iter()
        .filter(|l| l.coproprietaire_id.is_none())
        .map(|l| l.lot.as_str())
        .collect();
    if !sans_proprietaire.is_empty() {
        return Err(ToolError::InvalidArgs(format!(
            "{} de {residence} n'{} pas de propriétaire enregistré ({}) : enregistrez-le avant d'émettre \
             l'appel, pour que chaque part ait son débiteur.",
            if sans_proprietaire.len() == 1 {
                "Un lot"
            } else {
                "Des lots"
            },
            if sans_proprietaire.len() == 1 {
                "a"
            } else {
                "ont"
            },
            sans_proprietaire.join(", ")
        )));
    }
    let weights: Vec<u64> = lots
        .iter()
        .map(|l| u64::try_from(l.tantiemes).unwrap_or(0))
        .collect();
    let parts = split_amount(total, &weights)
        .ok_or_else(|| ToolError::Internal(format!("répartition impossible de {total}")))?;
    if parts.iter().any(|p| *p <= Decimal::ZERO) {
        return Err(ToolError::InvalidArgs(format!(
            "{} est trop faible pour être réparti sur les {} lots de {residence} : chaque lot doit recevoir \
             au moins un centime.",
            mad(total),
            lots.len()
        )));
    }
    Ok(lots
        .iter()
        .zip(parts)
        .filter_map(|(l, montant)| {
            Some(LignePlan {
                lot_id: l.lot_id,
                lot: l.lot.clone(),
                tantiemes: l.tantiemes,
                coproprietaire_id: l.coproprietaire_id?,
                coproprietaire: l.coproprietaire.clone().unwrap_or_default(),
                montant,
            })
        })
        .collect())
}

/// What each lot's owner's credit will cover of its new échéance, as `imputer_credits` will
/// impute it: the credit goes to the owner's open échéances oldest first, the new ones included
/// (after the existing ones of the same due date, in lot order). By index of `lignes`.
async fn credit_preview(
    t: &mut Tenant,
    residence_id: i64,
    lignes: &[LignePlan],
    date_echeance: NaiveDate,
) -> Result<Vec<Decimal>, ToolError> {
    let mut out = vec![Decimal::ZERO; lignes.len()];
    let credits = t.credits_disponibles(residence_id, None).await?;
    let mut owners: Vec<i64> = credits.iter().map(|c| c.coproprietaire_id).collect();
    owners.dedup();
    for owner in owners {
        let credit: Decimal = credits
            .iter()
            .filter(|c| c.coproprietaire_id == owner)
            .map(|c| c.disponible)
            .sum();
        // (due date, existing first, order, remaining, index of the new line).
        let mut open: Vec<(NaiveDate, bool, i64, Decimal, Option<usize>)> = t
            .echeances_ouvertes(owner, residence_id)
            .await?
            .into_iter()
            .map(|e| (e.date_echeance, false, e.echeance_id, e.reste, None))
            .collect();
        for (i, l) in lignes.iter().enumerate() {
            if l.coproprietaire_id == owner {
                open.push((date_echeance, true, i as i64, l.montant, Some(i)));
            }
        }
        open.sort_by_key(|e| (e.0, e.1, e.2));
        let keyed: Vec<OpenEcheance<Option<usize>>> = open
            .iter()
            .map(|e| OpenEcheance {
                key: e.4,
                remaining: e.3,
            })
            .collect();
        for (key, part) in allocate_oldest_first(credit, &keyed).parts {
            if let Some(i) = key {
                out[i] += part;
            }
        }
    }
    Ok(out)
}

/// « Émettre l'appel « Appel de fonds T1 2027 – budget prévisionnel » de Résidence Les Jardins de
/// Guéliz (du 01/01/2027 au 31/03/2027) : 40 lots, 37 copropriétaires, total 100 025,00 MAD
/// (budget 2027 de 400 100,00 MAD × 3/12), échéance le 01/01/2027 ? »
fn question(plan: &Plan, source: Option<(Decimal, u32)>) -> String {
    let mut owners: Vec<i64> = plan.lignes.iter().map(|l| l.coproprietaire_id).collect();
    owners.sort_unstable();
    owners.dedup();
    let source = source.map_or(String::new(), |(budget, mois)| {
        format!(
            " (budget {} de {} × {mois}/12)",
            plan.periode_debut.year(),
            mad(budget)
        )
    });
    format!(
        "Émettre l'appel « {} » de {} (du {} au {}) : {} lots, {} copropriétaires, total {}{source}, \
         échéance le {} ? Un avis PDF sera établi pour chaque copropriétaire.",
        plan.libelle,
        plan.residence,
        date(plan.periode_debut),
        date(plan.periode_fin),
        plan.lignes.len(),
        owners.len(),
        mad(plan.montant_total),
        date(plan.date_echeance)
    )
}

fn split_table(plan: &Plan, credits: &[Decimal]) -> Table {
    let mut t = Table::new(
        format!("Répartition par lot selon les tantièmes — {}", plan.libelle),
        &[
            ("Lot", Align::Left),
            ("Copropriétaire", Align::Left),
            ("Tantièmes", Align::Right),
            ("Montant", Align::Right),
            ("Crédit imputé", Align::Right),
            ("Net à payer", Align::Right),
        ],
    );
    for (l, credit) in plan.lignes.iter().zip(credits) {
        t.row(vec![
            l.lot.clone(),
            l.coproprietaire.clone(),
            l.tantiemes.to_string(),
            montant(l.montant),
            montant(*credit),
            montant(l.montant - *credit),
        ]);
    }
    let credit: Decimal = credits.iter().copied().sum();
    t.footer = Some(vec![
        "Total".into(),
        String::new(),
        plan.lignes
            .iter()
            .map(|l| i64::from(l.tantiemes))
            .sum::<i64>()
            .to_string(),
        montant(plan.lignes.iter().map(|l| l.montant).sum()),
        montant(credit),
        montant(plan.montant_total - credit),
    ]);
    t
}

/// Consecutive échéances of the same co-owner (the store orders them so).
fn per_owner(echeances: &[EcheanceAppel]) -> Vec<&[EcheanceAppel]> {
    echeances
        .chunk_by(|a, b| a.coproprietaire_id == b.coproprietaire_id)
        .collect()
}

/// What a notice shows, every figure computed by SQL and formatted here.
#[derive(Debug, Clone, Serialize)]
struct AvisData {
    titre: &'static str,
    emetteur: String,
    pied: String,
    /// Contact lines of the syndic.
    syndic: Vec<String>,
    /// Name, then address lines.
    destinataire: Vec<String>,
    residence: String,
    adresse_residence: String,
    libelle: String,
    /// The libellé, with the kind of appel when it does not say it.
    objet: String,
    /// A budget appel (the letter cites the budget voted by the AG).
    budget: bool,
    periode: String,
    date_emission: String,
    date_echeance: String,
    /// [lot, type, tantièmes, montant].
    lots: Vec<[String; 4]>,
    total_lots: String,
    total_appel: String,
    credit: Option<String>,
    net: String,
    regle: bool,
    anterieur: Option<String>,
    reference: String,
    titulaire: String,
    banque: Option<String>,
    rib: Option<String>,
    bureau: String,
}

struct Notice {
    coproprietaire_id: i64,
    periode_court: String,
    data: AvisData,
}

impl Notice {
    fn new(appel: &AppelEmis, e: &Emetteur, rows: &[EcheanceAppel]) -> Notice {
        let first = &rows[0];
        let total: Decimal = rows.iter().map(|r| r.montant).sum();
        let credit: Decimal = rows.iter().map(|r| r.paye).sum();
        let lots_numeros: Vec<&str> = rows.iter().map(|r| r.lot.as_str()).collect();
        let mut destinataire = vec![first.coproprietaire.clone()];
        match first
            .adresse
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty())
        {
            Some(a) => destinataire.extend(a.lines().map(str::to_string)),
            None => {
                destinataire.push(format!(
                    "{} {}, {}",
                    if rows.len() == 1 { "Lot" } else { "Lots" },
                    lots_numeros.join(", "),
                    e.residence
                ));
                destinataire.push(e.adresse.clone());
                destinataire.push(e.ville.clone());
            }
        }
        let syndic = [
            e.syndic_ville.clone(),
            e.syndic_telephone.as_deref().map(|t| format!("Tél. {t}")),
            e.syndic_email.clone(),
            e.syndic_ice.as_deref().map(|i| format!("ICE {i}")),
        ]
        .into_iter()
        .flatten()
        .collect();
        let periode = Periode {
            debut: appel.periode_debut,
            fin: appel.periode_fin,
        };
        let data = AvisData {
            titre: "Avis d'appel de fonds",
            emetteur: e.syndic.clone(),
            pied: format!("{} — appel n° {}", e.residence, appel.appel_id),
            syndic,
            destinataire,
            residence: e.residence.clone(),
            adresse_residence: format!("{}, {}", e.adresse, e.ville),
            libelle: appel.libelle.clone(),
            periode: format!(
                "du {} au {}",
                date(appel.periode_debut),
                date(appel.periode_fin)
            ),
            objet: if appel.libelle.contains(type_texte(appel.type_appel)) {
                appel.libelle.clone()
            } else {
                format!(
                    "{} (appel de fonds {})",
                    appel.libelle,
                    type_texte(appel.type_appel)
                )
            },
            budget: appel.type_appel == TypeAppel::Budget,
            date_emission: date(appel.date_emission),
            date_echeance: date(appel.date_echeance),
            lots: rows
                .iter()
                .map(|r| {
                    [
                        r.lot.clone(),
                        lot_type(r.lot_type).to_string(),
                        format!("{} / {}", r.tantiemes, e.base_tantiemes),
                        montant(r.montant),
                    ]
                })
                .collect(),
            total_lots: montant(total),
            total_appel: mad(appel.montant_total),
            credit: (credit > Decimal::ZERO).then(|| montant(credit)),
            net: montant(total - credit),
            regle: total == credit,
            anterieur: (first.reste_autres > Decimal::ZERO).then(|| mad(first.reste_autres)),
            reference: format!("AF-{}-{}", appel.appel_id, first.coproprietaire_id),
            titulaire: format!("Syndicat des copropriétaires de la {}", e.residence),
            banque: e.banque.clone(),
            rib: e.rib.as_deref().map(rib_groupe),
            bureau: match e.syndic_ville.as_deref() {
                Some(v) => format!("au bureau de {} ({v})", e.syndic),
                None => format!("au bureau de {}", e.syndic),
            },
        };
        Notice {
            coproprietaire_id: first.coproprietaire_id,
            periode_court: periode.libelle(),
            data,
        }
    }
}

/// "007 450 0001234560041872 18": bank, city, account, key.
fn rib_groupe(rib: &str) -> String {
    match (rib.get(..3), rib.get(3..6), rib.get(6..22), rib.get(22..)) {
        (Some(b), Some(v), Some(c), Some(k)) if rib.len() == 24 => format!("{b} {v} {c} {k}"),
        _ => rib.to_string(),
    }
}

fn lot_type(t: LotType) -> &'static str {
    match t {
        LotType::Appartement => "Appartement",
        LotType::Villa => "Villa",
        LotType::Commerce => "Commerce",
        LotType::Bureau => "Bureau",
        LotType::Parking => "Parking",
        LotType::Cave => "Cave",
    }
}

/// Renders the notices off the async threads (typst is CPU-bound), split over the machine's
/// cores, in order.
async fn render_all(
    notices: Vec<Notice>,
    today: NaiveDate,
) -> Result<Vec<(Notice, crate::render::Pdf)>, ToolError> {
    tokio::task::spawn_blocking(move || {
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        let per_thread = notices.len().div_ceil(threads).max(1);
        let pdfs: Vec<Result<crate::render::Pdf, ToolError>> = std::thread::scope(|s| {
            let workers: Vec<_> = notices
                .chunks(per_thread)
                .map(|chunk| {
                    s.spawn(move || {
                        chunk
                            .iter()
                            .map(|n| {
                                crate::render::pdf(AVIS, &n.data, today)
                                    .map_err(|e| ToolError::Internal(format!("avis d'appel : {e}")))
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|w| {
                    w.join().unwrap_or_else(|_| {
                        vec![Err(ToolError::Internal(
                            "rendu d'un avis interrompu".into(),
                        ))]
                    })
                })
                .collect()
        });
        notices
            .into_iter()
            .zip(pdfs)
            .map(|(n, pdf)| Ok((n, pdf?)))
            .collect::<Result<Vec<_>, ToolError>>()
    })
    .await
    .map_err(|e| ToolError::Internal(format!("rendu des avis : {e}")))?
}

impl Render for Output {
    fn summary(&self) -> String {
        let owners = self.avis.len();
        let head = if self.deja_emis {
            format!(
                "L'appel « {} » était déjà émis par cette confirmation (rien n'a été ajouté).",
                self.libelle
            )
        } else {
            format!(
                "Appel « {} » émis pour {} : {} réparti sur {} lots, échéance le {}.",
                self.libelle,
                self.residence.nom,
                mad(self.montant_total),
                self.lignes.len(),
                date(self.date_echeance)
            )
        };
        let credit: Decimal = self.lignes.iter().map(|l| l.deja_regle).sum();
        let mut s = format!("{head} {owners} avis PDF, un par copropriétaire.");
        if credit > Decimal::ZERO && !self.deja_emis {
            s.push_str(&format!(
                " Crédit imputé : {} ; reste à appeler : {}.",
                mad(credit),
                mad(self.montant_total - credit)
            ));
        }
        s
    }

    fn tables(&self) -> Vec<Table> {
        let mut t = Table::new(
            format!(
                "Échéances de l'appel « {} » (échéance le {})",
                self.libelle,
                date(self.date_echeance)
            ),
            &[
                ("Lot", Align::Left),
                ("Copropriétaire", Align::Left),
                ("Tantièmes", Align::Right),
                ("Montant", Align::Right),
                (
                    if self.deja_emis {
                        "Déjà réglé"
                    } else {
                        "Crédit imputé"
                    },
                    Align::Right,
                ),
                ("Net à payer", Align::Right),
            ],
        );
        for l in &self.lignes {
            t.row(vec![
                l.lot.clone(),
                l.coproprietaire.clone(),
                l.tantiemes.to_string(),
                montant(l.montant),
                montant(l.deja_regle),
                montant(l.net),
            ]);
        }
        t.footer = Some(vec![
            "Total".into(),
            String::new(),
            self.lignes
                .iter()
                .map(|l| i64::from(l.tantiemes))
                .sum::<i64>()
                .to_string(),
            montant(self.lignes.iter().map(|l| l.montant).sum()),
            montant(self.lignes.iter().map(|l| l.deja_regle).sum()),
            montant(self.lignes.iter().map(|l| l.net).sum()),
        ]);
        vec![t]
    }

    fn files(&self) -> Vec<Attachment> {
        self.avis.iter().map(|a| a.fichier.clone()).collect()
    }
}

/// The type as typed by a model or a person: "budget", "Budget prévisionnel", "travaux",
/// "exceptionnelle"…
fn type_appel<'de, D: Deserializer<'de>>(d: D) -> Result<Option<TypeAppel>, D::Error> {
    let Some(text) = Option::<String>::deserialize(d)? else {
        return Ok(None);
    };
    let t = match fold(text.trim()).as_str() {
        "" => return Ok(None),
        "budget" | "budget previsionnel" | "charges" | "charges courantes" | "courant" => {
            TypeAppel::Budget
        }
        "travaux" => TypeAppel::Travaux,
        "exceptionnel" | "exceptionnelle" => TypeAppel::Exceptionnel,
        _ => {
            return Err(serde::de::Error::unknown_variant(
                &text,
                &["budget", "travaux", "exceptionnel"],
            ));
        }
    };
    Ok(Some(t))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn d(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn a_quarter_of_the_budget_is_a_quarter_to_the_centime() {
        let q1 = Periode::parse("T1 2027").unwrap();
        assert_eq!(prorata(dec!(400100), &q1).unwrap(), (dec!(100025.00), 3));
        assert_eq!(prorata(dec!(100000.01), &q1).unwrap().0, dec!(25000.00));
        assert_eq!(prorata(dec!(100000.02), &q1).unwrap().0, dec!(25000.01));
        let month = Periode::parse("février 2027").unwrap();
        assert_eq!(prorata(dec!(1000), &month).unwrap().0, dec!(83.33));
        let odd = Periode {
            debut: d(2027, 1, 15),
            fin: d(2027, 3, 31),
        };
        assert!(prorata(dec!(1000), &odd).is_err());
        let across = Periode {
            debut: d(2026, 12, 1),
            fin: d(2027, 2, 28),
        };
        assert!(prorata(dec!(1000), &across).is_err());
    }

    #[test]
    fn the_default_due_date_is_the_first_day_but_never_too_soon() {
        let q1 = Periode::parse("T1 2027").unwrap();
        assert_eq!(echeance_par_defaut(&q1, d(2026, 11, 15)), d(2027, 1, 1));
        assert_eq!(echeance_par_defaut(&q1, d(2026, 12, 15)), d(2027, 1, 14));
        assert_eq!(echeance_par_defaut(&q1, d(2027, 2, 1)), d(2027, 3, 3));
    }

    #[test]
    fn periods_and_due_dates_that_make_no_sense_are_refused() {
        let today = d(2026, 11, 15);
        let p = |a, b| Periode { debut: a, fin: b };
        assert!(check_periode(p(d(2027, 3, 31), d(2027, 1, 1)), today).is_err());
        assert!(check_periode(p(d(2027, 1, 1), d(2028, 1, 1)), today).is_err());
        assert!(check_periode(p(d(2027, 1, 1), d(2027, 12, 31)), today).is_ok());
        assert!(check_periode(p(d(2027, 12, 1), d(2027, 12, 31)), today).is_err());
        assert!(check_periode(p(d(2025, 7, 1), d(2025, 9, 30)), today).is_err());
        assert!(check_periode(p(d(2025, 10, 1), d(2025, 12, 31)), today).is_ok());
        assert!(check_echeance(d(2026, 11, 14), today).is_err());
        assert!(check_echeance(today, today).is_ok());
        assert!(check_echeance(d(2027, 11, 16), today).is_err());
    }

    #[test]
    fn totals_are_checked_against_the_ceiling() {
        let limits = Limits::default();
        assert!(check_total(dec!(0), &limits).is_err());
        assert!(check_total(dec!(-1), &limits).is_err());
        assert!(check_total(dec!(1.001), &limits).is_err());
        assert!(check_total(dec!(10000000.01), &limits).is_err());
        assert!(check_total(dec!(10000000), &limits).is_ok());
    }

    #[test]
    fn default_labels_name_the_period_and_the_type() {
        let q1 = Periode::parse("T1 2027").unwrap();
        assert_eq!(
            libelle(None, TypeAppel::Budget, &q1).unwrap(),
            "Appel de fonds T1 2027 – budget prévisionnel"
        );
        assert_eq!(
            libelle(Some("  "), TypeAppel::Travaux, &q1).unwrap(),
            "Appel de fonds T1 2027 – travaux"
        );
        assert_eq!(
            libelle(Some(" Ravalement "), TypeAppel::Travaux, &q1).unwrap(),
            "Ravalement"
        );
        assert!(libelle(Some(&"x".repeat(201)), TypeAppel::Travaux, &q1).is_err());
    }

    fn sample(credit: Option<&str>, rib: Option<&str>, anterieur: Option<&str>) -> AvisData {
        AvisData {
            titre: "Avis d'appel de fonds",
            emetteur: "Atlas Syndic".into(),
            pied: "Résidence Test — appel n° 1".into(),
            syndic: vec!["Casablanca".into(), "Tél. +212522987654".into()],
            destinataire: vec!["Mme Test".into(), "Lot A1, Résidence Test".into()],
            residence: "Résidence Test".into(),
            adresse_residence: "1, rue Test, Rabat".into(),
            libelle: "Appel de fonds T1 2027 – budget prévisionnel".into(),
            objet: "Appel de fonds T1 2027 – budget prévisionnel".into(),
            budget: true,
            periode: "du 01/01/2027 au 31/03/2027".into(),
            date_emission: "15/11/2026".into(),
            date_echeance: "01/01/2027".into(),
            lots: vec![[
                "A1".into(),
                "Appartement".into(),
                "25 / 1000".into(),
                "2\u{a0}500,00".into(),
            ]],
            total_lots: "2\u{a0}500,00".into(),
            total_appel: "100\u{a0}000,00\u{a0}MAD".into(),
            credit: credit.map(str::to_string),
            net: "2\u{a0}500,00".into(),
            regle: false,
            anterieur: anterieur.map(str::to_string),
            reference: "AF-1-2".into(),
            titulaire: "Syndicat des copropriétaires de la Résidence Test".into(),
            banque: rib.map(|_| "Banque Test".to_string()),
            rib: rib.map(str::to_string),
            bureau: "au bureau de Atlas Syndic".into(),
        }
    }

    #[test]
    fn the_notice_template_renders_one_page_with_or_without_the_optional_parts() {
        let today = d(2026, 11, 15);
        for data in [
            sample(None, None, None),
            sample(
                Some("300,00"),
                Some("007 450 0001234560041872 18"),
                Some("1\u{a0}200,00\u{a0}MAD"),
            ),
        ] {
            let started = std::time::Instant::now();
            let pdf = crate::render::pdf(AVIS, &data, today).unwrap();
            println!("avis rendu en {:?}", started.elapsed());
            assert!(pdf.bytes.starts_with(b"%PDF-"));
            assert_eq!(pdf.pages, 1);
        }
    }

    #[test]
    fn a_rib_is_grouped_as_printed_by_banks() {
        assert_eq!(
            rib_groupe("007450000123456004187218"),
            "007 450 0001234560041872 18"
        );
        assert_eq!(rib_groupe("123"), "123");
    }

    #[test]
    fn lots_without_owner_are_listed_and_nothing_is_split() {
        let lot = |n: &str, owner: Option<i64>| LotAppele {
            lot_id: 1,
            lot: n.into(),
            tantiemes: 10,
            coproprietaire_id: owner,
            coproprietaire: owner.map(|_| "M. X".into()),
        };
        let e = split(
            &[lot("A1", Some(1)), lot("A2", None), lot("B7", None)],
            dec!(100),
            "Résidence Test",
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Des lots de Résidence Test n'ont pas de propriétaire enregistré (A2, B7) : enregistrez-le \
             avant d'émettre l'appel, pour que chaque part ait son débiteur."
        );
        let e = split(&[lot("A1", Some(1)), lot("A2", Some(2))], dec!(0.01), "R").unwrap_err();
        assert!(e.to_string().contains("trop faible"), "{e}");
    }
}
