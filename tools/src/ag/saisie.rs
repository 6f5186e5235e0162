//! Entering an AG by conversation: plan it, add agenda items and resolutions, take the
//! attendance ("M. Alami présent, représente aussi Mme Idrissi"), record the votes of a
//! resolution ("contre : Mme Bennani ; abstention : M. Tazi ; les autres pour").
//!
//! Each plan resolves and checks within the caller's scope and writes nothing; each execution
//! is journaled under its confirmation (`ag_saisies`), locks the AG, checks again what may have
//! changed, and answers with the AG's state.

use super::{
    Deliberation, Quelle, Saisie, cible, deja_tenue, journaliser, membre, minuscule, modifiable,
    nom_ag, phrase_quorum, regle_majorite, saisie_permise, texte, type_long, valeur_tapee,
    verrouiller,
};
use crate::format::{date, date_longue, entier, heure};
use crate::scope;
use crate::{Align, Planned, Table, ToolContext, ToolError, WriteTool};
use chrono::{Months, NaiveDate, NaiveTime};
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::HashSet;
use uuid::Uuid;
use wakil_schema::fold::fold;
use wakil_schema::store::{AssembleeRef, LignePresence, NouvelleAssemblee, Tenant};
use wakil_schema::{Caller, ChoixVote, Majorite, Presence, Role, StatutAg, TypeAg};

const LIEU_MAX: usize = 200;
const TITRE_MAX: usize = 200;
const DESCRIPTION_MAX: usize = 1000;
const RESOLUTION_MAX: usize = 2000;
const POINTS_MAX: usize = 30;

// --- planifier_ag ------------------------------------------------------------------------------

pub struct PlanifierAg;

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanifierArgs {
    /// Résidence de l'AG (nom). Facultatif quand l'utilisateur n'en a qu'une.
    #[serde(default)]
    pub residence: Option<String>,
    /// Date de l'AG (AAAA-MM-JJ).
    pub date: NaiveDate,
    /// Heure de début, par exemple "18:30" ou "18h30".
    pub heure: String,
    /// Lieu de la réunion, par exemple "Salle polyvalente de la résidence".
    pub lieu: String,
    /// "ordinaire" (par défaut) ou "extraordinaire".
    #[serde(default, rename = "type", deserialize_with = "type_ag")]
    #[schemars(with = "Option<TypeAg>")]
    pub type_ag: Option<TypeAg>,
    /// Titres des points de l'ordre du jour, dans l'ordre. D'autres points peuvent être ajoutés
    /// ensuite, avant la convocation.
    #[serde(default)]
    pub ordre_du_jour: Vec<String>,
    /// Vrai pour la seconde réunion d'une AG qui n'a pas atteint le quorum (elle délibère quel
    /// que soit le nombre de présents).
    #[serde(default)]
    pub seconde_reunion: bool,
}

/// An AG to create, checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NouvelleAg {
    pub residence_id: i64,
    pub residence: String,
    pub type_ag: TypeAg,
    pub date: NaiveDate,
    pub heure: NaiveTime,
    pub lieu: String,
    pub seconde_reunion: bool,
    pub ordre_du_jour: Vec<String>,
}

/// What a new AG is made of, as typed.
pub(crate) struct DonneesAg<'a> {
    pub residence: Option<&'a str>,
    pub date: NaiveDate,
    pub heure: &'a str,
    pub lieu: &'a str,
    pub type_ag: Option<TypeAg>,
    pub ordre_du_jour: &'a [String],
    pub seconde_reunion: bool,
}

/// "18:30", "18h30", "18 h", "9h05" → the time.
pub(crate) fn lire_heure(text: &str) -> Result<NaiveTime, ToolError> {
    let compact: String = text
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let (h, m) = compact
        .split_once([':', 'h'])
        .unwrap_or((compact.as_str(), ""));
    let m = if m.is_empty() { "0" } else { m };
    h.parse::<u32>()
        .ok()
        .zip(m.parse::<u32>().ok())
        .and_then(|(h, m)| NaiveTime::from_hms_opt(h, m, 0))
        .ok_or_else(|| {
            ToolError::InvalidArgs(format!(
                "L'heure « {text} » est illisible : indiquez-la comme 18:30 ou 18h30."
            ))
        })
}

/// Checks a new AG against the résidence's AGs and rules; writes nothing.
pub(crate) async fn preparer(
    t: &mut Tenant,
    caller: &Caller,
    d: &DonneesAg<'_>,
    today: NaiveDate,
) -> Result<NouvelleAg, ToolError> {
    let heure = lire_heure(d.heure)?;
    let lieu = texte(d.lieu, "le lieu de la réunion", LIEU_MAX)?;
    if d.ordre_du_jour.len() > POINTS_MAX {
        return Err(ToolError::InvalidArgs(format!(
            "Un ordre du jour de plus de {POINTS_MAX} points n'est pas accepté : regroupez-les."
        )));
    }
    let ordre_du_jour = d
        .ordre_du_jour
        .iter()
        .map(|p| texte(p, "le titre de chaque point de l'ordre du jour", TITRE_MAX))
        .collect::<Result<Vec<_>, _>>()?;
    let earliest = today
        .checked_sub_months(Months::new(12))
        .unwrap_or(NaiveDate::MIN);
    let latest = today
        .checked_add_months(Months::new(24))
        .unwrap_or(NaiveDate::MAX);
    if d.date < earliest || d.date > latest {
        return Err(ToolError::InvalidArgs(format!(
            "La date de l'AG ({}) est hors de la période acceptée (du {} au {}) : vérifiez-la.",
            date(d.date),
            date(earliest),
            date(latest)
        )));
    }
    let r = scope::one_residence(t, caller, d.residence).await?;
    let existantes = t.assemblees(r.id).await?;
    if let Some(a) = existantes
        .iter()
        .find(|a| a.date == d.date && a.statut != StatutAg::Annulee)
    {
        return Err(ToolError::InvalidArgs(format!(
            "La {} a déjà une AG le {} ({}, {}) : rien n'a été planifié.",
            r.nom,
            date(d.date),
            nom_ag(a),
            a.statut.label()
        )));
    }
    if d.seconde_reunion {
        let regles = t
            .regles_ag(r.id)
            .await?
            .ok_or_else(|| ToolError::Internal(format!("résidence {}", r.id)))?;
        let premiere = existantes
            .iter()
            .rev()
            .find(|a| a.date < d.date && a.statut != StatutAg::Annulee);
        let delai = i64::from(regles.seconde_reunion_jours);
        let dans_les_delais = premiere.is_some_and(|a| (d.date - a.date).num_days() <= delai);
        if !dans_les_delais {
            return Err(ToolError::InvalidArgs(format!(
                "Une seconde réunion se tient dans les {delai} jours qui suivent une première AG \
                 sans quorum ; {}. Vérifiez la date, ou planifiez une AG ordinaire.",
                premiere.map_or("la résidence n'a pas d'AG précédente".to_string(), |a| {
                    format!(
                        "la dernière AG de la résidence est celle du {}",
                        date(a.date)
                    )
                })
            )));
        }
    }
    Ok(NouvelleAg {
        residence_id: r.id,
        residence: r.nom,
        type_ag: d.type_ag.unwrap_or(TypeAg::Ordinaire),
        date: d.date,
        heure,
        lieu,
        seconde_reunion: d.seconde_reunion,
        ordre_du_jour,
    })
}

/// Creates a prepared AG and its agenda in `t`; returns its id.
pub(crate) async fn creer(t: &mut Tenant, ag: &NouvelleAg) -> Result<i64, ToolError> {
    if t.assemblees(ag.residence_id)
        .await?
        .iter()
        .any(|a| a.date == ag.date && a.statut != StatutAg::Annulee)
    {
        return Err(ToolError::InvalidArgs(format!(
            "Une AG de la {} le {} a été enregistrée entre-temps : rien n'a été planifié.",
            ag.residence,
            date(ag.date)
        )));
    }
    let id = t
        .inserer_assemblee(&NouvelleAssemblee {
            residence_id: ag.residence_id,
            type_ag: ag.type_ag,
            date: ag.date,
            heure: ag.heure,
            lieu: &ag.lieu,
            seconde_reunion: ag.seconde_reunion,
        })
        .await?;
    for titre in &ag.ordre_du_jour {
        t.inserer_point(id, titre, None).await?;
    }
    Ok(id)
}

/// "l'assemblée générale ordinaire de la Résidence X le samedi 5 décembre 2026 à 18 h 30
/// (Salle…)".
fn decrire(ag: &NouvelleAg) -> String {
    format!(
        "l'{}{} de la {} le {} à {} ({})",
        type_long(ag.type_ag),
        if ag.seconde_reunion {
            " (seconde réunion)"
        } else {
            ""
        },
        ag.residence,
        date_longue(ag.date),
        heure(ag.heure),
        ag.lieu
    )
}

fn table_odj(titres: &[String]) -> Table {
    let mut t = Table::new(
        "Ordre du jour",
        &[("N°", Align::Right), ("Point", Align::Left)],
    );
    for (i, titre) in titres.iter().enumerate() {
        t.row(vec![(i + 1).to_string(), titre.clone()]);
    }
    t
}

/// The AG a journaled entry is about, read back.
async fn relire(t: &mut Tenant, assemblee_id: Option<i64>) -> Result<AssembleeRef, ToolError> {
    let id = assemblee_id.ok_or_else(|| ToolError::Internal("saisie sans AG".into()))?;
    t.assemblee(id)
        .await?
        .ok_or_else(|| ToolError::Internal(format!("AG {id} introuvable")))
}

/// The AG's state in `t`, then commits.
async fn terminer(
    mut t: Tenant,
    ag: AssembleeRef,
    action: String,
    deja_enregistre: bool,
) -> Result<Saisie, ToolError> {
    let etat = Deliberation::charger(&mut t, ag).await?.etat();
    t.commit().await?;
    Ok(Saisie {
        action,
        deja_enregistre,
        etat,
    })
}

impl WriteTool for PlanifierAg {
    const NAME: &'static str = "planifier_ag";
    const DESCRIPTION: &'static str = "Planifie une assemblée générale (AG) d'une résidence : date, heure, lieu, \
        type (ordinaire ou extraordinaire) et, si on les connaît, les points de l'ordre du jour. \
        La convocation se fait ensuite avec generate_convocation.";
    type Args = PlanifierArgs;
    type Plan = NouvelleAg;
    type Output = Saisie;

    fn allowed(role: Role) -> bool {
        saisie_permise(role)
    }

    async fn plan(
        ctx: &ToolContext,
        caller: &Caller,
        args: PlanifierArgs,
    ) -> Result<Planned<NouvelleAg>, ToolError> {
        let today = ctx.clock.today();
        let mut t = ctx.store.tenant_read(caller.syndic_id).await?;
        let ag = preparer(
            &mut t,
            caller,
            &DonneesAg {
                residence: args.residence.as_deref(),
                date: args.date,
                heure: &args.heure,
                lieu: &args.lieu,
                type_ag: args.type_ag,
                ordre_du_jour: &args.ordre_du_jour,
                seconde_reunion: args.seconde_reunion,
            },
            today,
        )
        .await?;
        let preavis = t
            .regles_ag(ag.residence_id)
            .await?
            .map_or(0, |r| r.preavis_jours);
        t.commit().await?;
        let au_plus_tot = today + chrono::Days::new(u64::try_from(preavis).unwrap_or(0));
        let attention = if ag.date >= today && ag.date < au_plus_tot {
            format!(
                "Attention : la convocation doit partir {preavis} jours avant l'AG ; convoquée \
                 aujourd'hui, l'AG ne pourrait se tenir qu'à partir du {}. ",
                date(au_plus_tot)
            )
        } else {
            String::new()
        };
        let summary = format!("{attention}Planifier {} ?", decrire(&ag));
        Ok(Planned {
            summary,
            tables: vec![table_odj(&ag.ordre_du_jour)],
            plan: ag,
        })
    }

    async fn execute(
        ctx: &ToolContext,
        caller: &Caller,
        plan: NouvelleAg,
        confirmation: Uuid,
    ) -> Result<Saisie, ToolError> {
        if caller
            .residence_scope()
            .is_some_and(|only| only != plan.residence_id)
        {
            return Err(ToolError::Forbidden(
                "Cette AG concerne une résidence hors de votre périmètre.".into(),
            ));
        }
        let mut t = ctx.store.tenant(caller.syndic_id).await?;
        let (id, deja) = match journaliser(&mut t, caller, confirmation, None, Self::NAME).await? {
            Some(s) => (relire(&mut t, s.assemblee_id).await?.id, true),
            None => {
                let id = creer(&mut t, &plan).await?;
                t.completer_saisie_ag(confirmation, id, Some(id)).await?;
                (id, false)
            }
        };
        let ag = relire(&mut t, Some(id)).await?;
        let action = format!("AG planifiée : {}.", decrire(&plan));
        terminer(t, ag, action, deja).await
    }
}

pub(super) fn type_ag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<TypeAg>, D::Error> {
    valeur_tapee(
        d,
        &[
            ("ordinaire", TypeAg::Ordinaire),
            ("ago", TypeAg::Ordinaire),
            ("extraordinaire", TypeAg::Extraordinaire),
            ("age", TypeAg::Extraordinaire),
        ],
        &["ordinaire", "extraordinaire"],
    )
}

// --- ajouter_point_ordre_du_jour ---------------------------------------------------------------

pub struct AjouterPointOrdreDuJour;

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PointArgs {
    /// Résidence de l'AG (nom). Facultatif quand l'utilisateur n'en a qu'une.
    #[serde(default)]
    pub residence: Option<String>,
    /// Date de l'AG (AAAA-MM-JJ). Par défaut : la prochaine AG en préparation.
    #[serde(default)]
    pub date_ag: Option<NaiveDate>,
    /// Titre du point, par exemple "Approbation des comptes de l'exercice 2026".
    pub titre: String,
    /// Précisions sur le point (documents joints, contexte), facultatives.
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointPlan {
    pub assemblee_id: i64,
    pub titre: String,
    pub description: Option<String>,
    /// "AGO du 05/12/2026 (Résidence X)".
    pub ag: String,
}

/// Agenda items may be added until the convocation: nothing else is voted.
fn ordre_du_jour_ouvert(ag: &AssembleeRef) -> Result<(), ToolError> {
    modifiable(ag)?;
    if ag.statut != StatutAg::Planifiee {
        return Err(ToolError::InvalidArgs(format!(
            "L'{} ({}) est déjà {} : un point ajouté maintenant ne figurerait pas sur la \
             convocation, et rien d'autre que l'ordre du jour ne peut être voté. Inscrivez-le à \
             l'ordre du jour d'une prochaine AG.",
            nom_ag(ag),
            ag.residence,
            ag.statut.label()
        )));
    }
    Ok(())
}

fn libelle_ag(ag: &AssembleeRef) -> String {
    format!("{} ({})", nom_ag(ag), ag.residence)
}

impl WriteTool for AjouterPointOrdreDuJour {
    const NAME: &'static str = "ajouter_point_ordre_du_jour";
    const DESCRIPTION: &'static str = "Ajoute un point à la fin de l'ordre du jour d'une AG pas encore convoquée \
        (rien d'autre que l'ordre du jour ne peut être voté).";
    type Args = PointArgs;
    type Plan = PointPlan;
    type Output = Saisie;

    fn allowed(role: Role) -> bool {
        saisie_permise(role)
    }

    async fn plan(
        ctx: &ToolContext,
        caller: &Caller,
        args: PointArgs,
    ) -> Result<Planned<PointPlan>, ToolError> {
        let titre = texte(&args.titre, "le titre du point", TITRE_MAX)?;
        let description = args
            .description
            .as_deref()
            .filter(|d| !d.trim().is_empty())
            .map(|d| texte(d, "la description du point", DESCRIPTION_MAX))
            .transpose()?;
        let today = ctx.clock.today();
        let mut t = ctx.store.tenant_read(caller.syndic_id).await?;
        let ag = cible(
            &mut t,
            caller,
            args.residence.as_deref(),
            args.date_ag,
            Quelle::EnCours,
            today,
        )
        .await?;
        ordre_du_jour_ouvert(&ag)?;
        let points = t.ordre_du_jour(ag.id).await?;
        t.commit().await?;
        if let Some(p) = points.iter().find(|p| fold(&p.titre) == fold(&titre)) {
            return Err(ToolError::InvalidArgs(format!(
                "Le point « {} » figure déjà à l'ordre du jour de l'{} (point {}).",
                p.titre,
                libelle_ag(&ag),
                p.rang
            )));
        }
        let plan = PointPlan {
            assemblee_id: ag.id,
            titre,
            description,
            ag: libelle_ag(&ag),
        };
        let mut titres: Vec<String> = points.into_iter().map(|p| p.titre).collect();
        titres.push(plan.titre.clone());
        Ok(Planned {
            summary: format!(
                "Ajouter le point n° {} « {} » à l'ordre du jour de l'{} ?",
                titres.len(),
                plan.titre,
                plan.ag
            ),
            tables: vec![table_odj(&titres)],
            plan,
        })
    }

    async fn execute(
        ctx: &ToolContext,
        caller: &Caller,
        plan: PointPlan,
        confirmation: Uuid,
    ) -> Result<Saisie, ToolError> {
        let mut t = ctx.store.tenant(caller.syndic_id).await?;
        let journal = journaliser(
            &mut t,
            caller,
            confirmation,
            Some(plan.assemblee_id),
            Self::NAME,
        )
        .await?;
        let ag = verrouiller(&mut t, caller, plan.assemblee_id).await?;
        let point_id = match journal {
            Some(s) => s.objet_id,
            None => {
                ordre_du_jour_ouvert(&ag)?;
                let id = t
                    .inserer_point(ag.id, &plan.titre, plan.description.as_deref())
                    .await?;
                t.completer_saisie_ag(confirmation, ag.id, Some(id)).await?;
                Some(id)
            }
        };
        let rang = t
            .ordre_du_jour(ag.id)
            .await?
            .iter()
            .find(|p| Some(p.id) == point_id)
            .map_or(0, |p| p.rang);
        let action = format!(
            "Point n° {rang} « {} » ajouté à l'ordre du jour de l'{}.",
            plan.titre, plan.ag
        );
        terminer(t, ag, action, journal.is_some()).await
    }
}

// --- ajouter_resolution ------------------------------------------------------------------------

pub struct AjouterResolution;

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolutionArgs {
    /// Résidence de l'AG (nom). Facultatif quand l'utilisateur n'en a qu'une.
    #[serde(default)]
    pub residence: Option<String>,
    /// Date de l'AG (AAAA-MM-JJ). Par défaut : la prochaine AG en préparation.
    #[serde(default)]
    pub date_ag: Option<NaiveDate>,
    /// Numéro du point de l'ordre du jour auquel la résolution se rattache (1, 2, …).
    pub point: i32,
    /// Texte de la résolution soumise au vote, par exemple "Approbation des comptes 2026".
    pub texte: String,
    /// Majorité requise : "simple" (par défaut : majorité des voix des présents et
    /// représentés), "absolue" (majorité des voix de tous les copropriétaires), "trois_quarts"
    /// ou "unanimite".
    #[serde(default, deserialize_with = "majorite")]
    #[schemars(with = "Option<Majorite>")]
    pub majorite: Option<Majorite>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResolutionPlan {
    pub assemblee_id: i64,
    pub point_id: i64,
    pub point_rang: i32,
    pub point_titre: String,
    pub texte: String,
    pub majorite: Majorite,
    pub ag: String,
}

impl WriteTool for AjouterResolution {
    const NAME: &'static str = "ajouter_resolution";
    const DESCRIPTION: &'static str = "Ajoute une résolution soumise au vote sur un point de l'ordre du jour d'une AG, \
        avec sa majorité (simple, absolue, trois quarts, unanimité). Exemple : « ajoute la résolution \
        Approbation des comptes 2026 au point 2, majorité simple ».";
    type Args = ResolutionArgs;
    type Plan = ResolutionPlan;
    type Output = Saisie;

    fn allowed(role: Role) -> bool {
        saisie_permise(role)
    }

    async fn plan(
        ctx: &ToolContext,
        caller: &Caller,
        args: ResolutionArgs,
    ) -> Result<Planned<ResolutionPlan>, ToolError> {
        let texte_resolution = texte(&args.texte, "le texte de la résolution", RESOLUTION_MAX)?;
        let majorite = args.majorite.unwrap_or(Majorite::Simple);
        let today = ctx.clock.today();
        let mut t = ctx.store.tenant_read(caller.syndic_id).await?;
        let ag = cible(
            &mut t,
            caller,
            args.residence.as_deref(),
            args.date_ag,
            Quelle::EnCours,
            today,
        )
        .await?;
        modifiable(&ag)?;
        let points = t.ordre_du_jour(ag.id).await?;
        let resolutions = t.resolutions(ag.id).await?;
        t.commit().await?;
        let point = points
            .iter()
            .find(|p| p.rang == args.point)
            .ok_or_else(|| {
                ToolError::InvalidArgs(format!(
                    "L'ordre du jour de l'{} n'a pas de point n° {} ({}). Rien d'autre que \
                     l'ordre du jour ne peut être voté : rattachez la résolution à l'un de ses \
                     points.",
                    libelle_ag(&ag),
                    args.point,
                    if points.is_empty() {
                        "il est vide".to_string()
                    } else {
                        points
                            .iter()
                            .map(|p| format!("{}. {}", p.rang, p.titre))
                            .collect::<Vec<_>>()
                            .join(" ; ")
                    }
                ))
            })?;
        if let Some(r) = resolutions
            .iter()
            .find(|r| r.point_id == point.id && fold(&r.texte) == fold(&texte_resolution))
        {
            return Err(ToolError::InvalidArgs(format!(
                "Cette résolution figure déjà au point {} (résolution n° {}).",
                point.rang, r.numero
            )));
        }
        let plan = ResolutionPlan {
            assemblee_id: ag.id,
            point_id: point.id,
            point_rang: point.rang,
            point_titre: point.titre.clone(),
            texte: texte_resolution,
            majorite,
            ag: libelle_ag(&ag),
        };
        Ok(Planned {
            summary: format!(
                "Ajouter la résolution n° {} « {} » au point {} « {} » de l'{}, adoptée à la {} ?",
                resolutions.len() + 1,
                plan.texte,
                plan.point_rang,
                plan.point_titre,
                plan.ag,
                regle_majorite(majorite)
            ),
            tables: Vec::new(),
            plan,
        })
    }

    async fn execute(
        ctx: &ToolContext,
        caller: &Caller,
        plan: ResolutionPlan,
        confirmation: Uuid,
    ) -> Result<Saisie, ToolError> {
        let mut t = ctx.store.tenant(caller.syndic_id).await?;
        let journal = journaliser(
            &mut t,
            caller,
            confirmation,
            Some(plan.assemblee_id),
            Self::NAME,
        )
        .await?;
        let ag = verrouiller(&mut t, caller, plan.assemblee_id).await?;
        let resolution_id = match journal {
            Some(s) => s.objet_id,
            None => {
                modifiable(&ag)?;
                if !t
                    .ordre_du_jour(ag.id)
                    .await?
                    .iter()
                    .any(|p| p.id == plan.point_id)
                {
                    return Err(ToolError::InvalidArgs(
                        "Ce point de l'ordre du jour n'existe plus ; refaites la demande.".into(),
                    ));
                }
                let id = t
                    .inserer_resolution(ag.id, plan.point_id, &plan.texte, plan.majorite)
                    .await?;
                t.completer_saisie_ag(confirmation, ag.id, Some(id)).await?;
                Some(id)
            }
        };
        let numero = t
            .resolutions(ag.id)
            .await?
            .iter()
            .find(|r| Some(r.id) == resolution_id)
            .map_or(0, |r| r.numero);
        let action = format!(
            "Résolution n° {numero} « {} » ajoutée au point {} « {} » de l'{} ({}).",
            plan.texte,
            plan.point_rang,
            plan.point_titre,
            plan.ag,
            regle_majorite(plan.majorite)
        );
        terminer(t, ag, action, journal.is_some()).await
    }
}

fn majorite<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Majorite>, D::Error> {
    valeur_tapee(
        d,
        &[
            ("simple", Majorite::Simple),
            ("majorite simple", Majorite::Simple),
            ("absolue", Majorite::Absolue),
            ("majorite absolue", Majorite::Absolue),
            ("trois quarts", Majorite::TroisQuarts),
            ("3/4", Majorite::TroisQuarts),
            ("majorite des trois quarts", Majorite::TroisQuarts),
            ("unanimite", Majorite::Unanimite),
        ],
        &["simple", "absolue", "trois_quarts", "unanimite"],
    )
}

// --- enregistrer_presence ----------------------------------------------------------------------

pub struct EnregistrerPresence;

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PresenceArgs {
    /// Résidence de l'AG (nom). Facultatif quand l'utilisateur n'en a qu'une.
    #[serde(default)]
    pub residence: Option<String>,
    /// Date de l'AG (AAAA-MM-JJ). Par défaut : l'AG en cours.
    #[serde(default)]
    pub date_ag: Option<NaiveDate>,
    /// Copropriétaire présent à l'AG (nom, ou numéro de lot).
    pub coproprietaire: String,
    /// Copropriétaires absents qu'il représente (pouvoirs), par nom ou numéro de lot.
    #[serde(default)]
    pub represente: Vec<String>,
    /// Vrai pour enregistrer ce copropriétaire absent (correction d'une saisie) ; ceux qu'il
    /// représentait deviennent absents.
    #[serde(default)]
    pub absent: bool,
}

/// One line of the attendance sheet to record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Changement {
    pub coproprietaire_id: i64,
    pub nom: String,
    pub tantiemes: i64,
    pub presence: Presence,
    pub represente_par: Option<i64>,
    /// What the sheet said before ("absent (non saisi)", "représenté par M. X").
    pub avant: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PresencePlan {
    pub assemblee_id: i64,
    pub ag: String,
    pub changements: Vec<Changement>,
}

fn etat_presence(l: &LignePresence) -> String {
    match (l.presence, l.enregistre) {
        (Presence::Absent, false) => "absent (non saisi)".into(),
        (Presence::Represente, _) => format!(
            "représenté par {}",
            l.mandataire.as_deref().unwrap_or("un copropriétaire")
        ),
        (p, _) => p.label().into(),
    }
}

/// The sheet once the changes are recorded (as [`Tenant::enregistrer_presence`] does).
fn appliquer(feuille: &[LignePresence], changements: &[Changement]) -> Vec<LignePresence> {
    let mut f = feuille.to_vec();
    for c in changements {
        if c.presence == Presence::Absent {
            for l in f
                .iter_mut()
                .filter(|l| l.represente_par == Some(c.coproprietaire_id))
            {
                l.presence = Presence::Absent;
                l.represente_par = None;
            }
        }
        if let Some(l) = f
            .iter_mut()
            .find(|l| l.coproprietaire_id == c.coproprietaire_id)
        {
            l.presence = c.presence;
            l.represente_par = c.represente_par;
            l.enregistre = true;
        }
    }
    f
}

impl WriteTool for EnregistrerPresence {
    const NAME: &'static str = "enregistrer_presence";
    const DESCRIPTION: &'static str = "Feuille de présence d'une AG : enregistre un copropriétaire présent et ceux \
        qu'il représente (pouvoirs), par exemple « M. Alami présent, représente aussi Mme Idrissi ». \
        Les tantièmes viennent des lots. Les copropriétaires non saisis sont absents.";
    type Args = PresenceArgs;
    type Plan = PresencePlan;
    type Output = Saisie;

    fn allowed(role: Role) -> bool {
        saisie_permise(role)
    }

    async fn plan(
        ctx: &ToolContext,
        caller: &Caller,
        args: PresenceArgs,
    ) -> Result<Planned<PresencePlan>, ToolError> {
        let today = ctx.clock.today();
        let mut t = ctx.store.tenant_read(caller.syndic_id).await?;
        let ag = cible(
            &mut t,
            caller,
            args.residence.as_deref(),
            args.date_ag,
            Quelle::EnCours,
            today,
        )
        .await?;
        modifiable(&ag)?;
        deja_tenue(&ag, today)?;
        let d = Deliberation::charger(&mut t, ag).await?;
        let present = membre(&mut t, &d.ag, &d.feuille, &args.coproprietaire)
            .await?
            .clone();
        let mut representes: Vec<LignePresence> = Vec::new();
        for q in &args.represente {
            representes.push(membre(&mut t, &d.ag, &d.feuille, q).await?.clone());
        }
        t.commit().await?;
        if args.absent && !representes.is_empty() {
            return Err(ToolError::InvalidArgs(format!(
                "{} ne peut pas être absent et représenter d'autres copropriétaires : \
                 enregistrez-le présent, ou retirez les pouvoirs.",
                present.nom
            )));
        }
        let mut vus = HashSet::from([present.coproprietaire_id]);
        for r in &representes {
            if !vus.insert(r.coproprietaire_id) {
                return Err(ToolError::InvalidArgs(format!(
                    "{} est cité deux fois (ou se représente lui-même) : chaque copropriétaire \
                     est présent, représenté ou absent.",
                    r.nom
                )));
            }
            if let Some(m) = d
                .feuille
                .iter()
                .find(|l| l.represente_par == Some(r.coproprietaire_id))
            {
                return Err(ToolError::InvalidArgs(format!(
                    "{} représente déjà {} : un copropriétaire représenté ne peut pas représenter \
                     à son tour. Enregistrez d'abord {} autrement.",
                    r.nom, m.nom, m.nom
                )));
            }
        }
        let mut changements = vec![Changement {
            coproprietaire_id: present.coproprietaire_id,
            nom: present.nom.clone(),
            tantiemes: present.tantiemes,
            presence: if args.absent {
                Presence::Absent
            } else {
                Presence::Present
            },
            represente_par: None,
            avant: etat_presence(&present),
        }];
        changements.extend(representes.iter().map(|r| Changement {
            coproprietaire_id: r.coproprietaire_id,
            nom: r.nom.clone(),
            tantiemes: r.tantiemes,
            presence: Presence::Represente,
            represente_par: Some(present.coproprietaire_id),
            avant: etat_presence(r),
        }));
        let ag_label = libelle_ag(&d.ag);
        let apres = appliquer(&d.feuille, &changements);
        let preview = d.avec_feuille(apres);
        let plan = PresencePlan {
            assemblee_id: preview.ag.id,
            ag: ag_label,
            changements,
        };
        let mut table = Table::new(
            "Feuille de présence : modifications",
            &[
                ("Copropriétaire", Align::Left),
                ("Tantièmes", Align::Right),
                ("Avant", Align::Left),
                ("Après", Align::Left),
            ],
        );
        for c in &plan.changements {
            table.row(vec![
                c.nom.clone(),
                entier(c.tantiemes),
                c.avant.clone(),
                apres_texte(c, &present.nom),
            ]);
        }
        Ok(Planned {
            summary: format!(
                "Après cette saisie, {} Enregistrer à l'{} : {} ?",
                minuscule(&phrase_quorum(&preview.etat().presence)),
                plan.ag,
                phrase_changements(&plan.changements)
            ),
            tables: vec![table],
            plan,
        })
    }

    async fn execute(
        ctx: &ToolContext,
        caller: &Caller,
        plan: PresencePlan,
        confirmation: Uuid,
    ) -> Result<Saisie, ToolError> {
        let today = ctx.clock.today();
        let mut t = ctx.store.tenant(caller.syndic_id).await?;
        let journal = journaliser(
            &mut t,
            caller,
            confirmation,
            Some(plan.assemblee_id),
            Self::NAME,
        )
        .await?;
        let ag = verrouiller(&mut t, caller, plan.assemblee_id).await?;
        if journal.is_none() {
            modifiable(&ag)?;
            deja_tenue(&ag, today)?;
            // The present (or absent) co-owner first: then those they represent.
            for c in &plan.changements {
                if !t
                    .enregistrer_presence(ag.id, c.coproprietaire_id, c.presence, c.represente_par)
                    .await?
                {
                    return Err(ToolError::InvalidArgs(format!(
                        "{} ne possède plus de lot dans la résidence le jour de l'AG : rien n'a \
                         été enregistré.",
                        c.nom
                    )));
                }
            }
            t.marquer_tenue(ag.id).await?;
            t.completer_saisie_ag(confirmation, ag.id, None).await?;
        }
        let action = format!(
            "Présence enregistrée à l'{} : {}.",
            plan.ag,
            phrase_changements(&plan.changements)
        );
        terminer(t, ag, action, journal.is_some()).await
    }
}

fn apres_texte(c: &Changement, mandataire: &str) -> String {
    match c.presence {
        Presence::Represente => format!("représenté par {mandataire}"),
        p => p.label().into(),
    }
}

/// "M. Alami présent (120 tantièmes), représentant Mme Idrissi (85 tantièmes)".
fn phrase_changements(changements: &[Changement]) -> String {
    let Some((first, rest)) = changements.split_first() else {
        return String::new();
    };
    let mut s = format!(
        "{} {} ({} tantièmes)",
        first.nom,
        first.presence.label(),
        entier(first.tantiemes)
    );
    if !rest.is_empty() {
        s.push_str(&format!(
            ", représentant {}",
            rest.iter()
                .map(|c| format!("{} ({} tantièmes)", c.nom, entier(c.tantiemes)))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    s
}

// --- enregistrer_votes -------------------------------------------------------------------------

pub struct EnregistrerVotes;

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VotesArgs {
    /// Résidence de l'AG (nom). Facultatif quand l'utilisateur n'en a qu'une.
    #[serde(default)]
    pub residence: Option<String>,
    /// Date de l'AG (AAAA-MM-JJ). Par défaut : l'AG en cours.
    #[serde(default)]
    pub date_ag: Option<NaiveDate>,
    /// Numéro de la résolution votée (1, 2, …).
    pub resolution: i32,
    /// Copropriétaires qui votent contre (noms ou numéros de lot).
    #[serde(default)]
    pub contre: Vec<String>,
    /// Copropriétaires qui s'abstiennent (noms ou numéros de lot).
    #[serde(default)]
    pub abstention: Vec<String>,
    /// Copropriétaires qui votent pour. Par défaut : tous les autres présents ou représentés.
    /// Si la liste est donnée, chaque présent ou représenté doit figurer dans l'une des listes.
    #[serde(default)]
    pub pour: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VotesPlan {
    pub assemblee_id: i64,
    pub resolution_id: i64,
    pub numero: i32,
    pub texte: String,
    pub ag: String,
    pub votes: Vec<(i64, ChoixVote)>,
    /// The co-owners present or represented when the votes were prepared.
    pub votants: Vec<i64>,
    /// "pour 755, contre 120, abstention 30 voix".
    pub resultat: String,
}

fn votants(feuille: &[LignePresence]) -> Vec<i64> {
    let mut v: Vec<i64> = feuille
        .iter()
        .filter(|l| l.presence != Presence::Absent)
        .map(|l| l.coproprietaire_id)
        .collect();
    v.sort_unstable();
    v
}

impl WriteTool for EnregistrerVotes {
    const NAME: &'static str = "enregistrer_votes";
    const DESCRIPTION: &'static str = "Enregistre les votes d'une résolution d'AG : qui vote contre, qui s'abstient ; \
        les autres présents ou représentés votent pour (ou listes explicites). Les voix sont les \
        tantièmes des lots (plafonnées au-delà de la moitié). Remplace les votes déjà saisis pour \
        cette résolution.";
    type Args = VotesArgs;
    type Plan = VotesPlan;
    type Output = Saisie;

    fn allowed(role: Role) -> bool {
        saisie_permise(role)
    }

    async fn plan(
        ctx: &ToolContext,
        caller: &Caller,
        args: VotesArgs,
    ) -> Result<Planned<VotesPlan>, ToolError> {
        let today = ctx.clock.today();
        let mut t = ctx.store.tenant_read(caller.syndic_id).await?;
        let ag = cible(
            &mut t,
            caller,
            args.residence.as_deref(),
            args.date_ag,
            Quelle::EnCours,
            today,
        )
        .await?;
        modifiable(&ag)?;
        deja_tenue(&ag, today)?;
        let d = Deliberation::charger(&mut t, ag).await?;
        let q = d.assemblee.quorum;
        if q.presents_ou_representes() == 0 {
            return Err(ToolError::InvalidArgs(format!(
                "La feuille de présence de l'{} est vide : enregistrez d'abord les présents et \
                 leurs pouvoirs.",
                libelle_ag(&d.ag)
            )));
        }
        if !q.peut_deliberer() {
            return Err(ToolError::InvalidArgs(format!(
                "{} Aucun vote ne peut être enregistré.",
                phrase_quorum(&d.etat().presence)
            )));
        }
        let resolution = d
            .resolutions
            .iter()
            .find(|r| r.numero == args.resolution)
            .ok_or_else(|| {
                ToolError::InvalidArgs(format!(
                    "L'{} n'a pas de résolution n° {} ({}).",
                    libelle_ag(&d.ag),
                    args.resolution,
                    if d.resolutions.is_empty() {
                        "aucune résolution n'est encore saisie".to_string()
                    } else {
                        d.resolutions
                            .iter()
                            .map(|r| format!("n° {} : {}", r.numero, r.texte))
                            .collect::<Vec<_>>()
                            .join(" ; ")
                    }
                ))
            })?;
        let mut votes: Vec<(i64, ChoixVote)> = Vec::new();
        let mut noms: Vec<(ChoixVote, String)> = Vec::new();
        let listes = [
            (ChoixVote::Contre, args.contre.as_slice()),
            (ChoixVote::Abstention, args.abstention.as_slice()),
            (ChoixVote::Pour, args.pour.as_deref().unwrap_or_default()),
        ];
        for (choix, liste) in listes {
            for q in liste {
                let m = membre(&mut t, &d.ag, &d.feuille, q).await?;
                if m.presence == Presence::Absent {
                    return Err(ToolError::InvalidArgs(format!(
                        "{} est absent et non représenté à l'{} : il ne vote pas. Enregistrez \
                         d'abord sa présence ou son pouvoir.",
                        m.nom,
                        libelle_ag(&d.ag)
                    )));
                }
                if votes.iter().any(|(id, _)| *id == m.coproprietaire_id) {
                    return Err(ToolError::InvalidArgs(format!(
                        "{} est cité deux fois : chacun vote une seule fois (pour, contre ou \
                         abstention).",
                        m.nom
                    )));
                }
                votes.push((m.coproprietaire_id, choix));
                noms.push((choix, m.nom.clone()));
            }
        }
        t.commit().await?;
        let presents = votants(&d.feuille);
        let manquants: Vec<&str> = d
            .feuille
            .iter()
            .filter(|l| {
                presents.contains(&l.coproprietaire_id)
                    && !votes.iter().any(|(id, _)| *id == l.coproprietaire_id)
            })
            .map(|l| l.nom.as_str())
            .collect();
        match (&args.pour, manquants.is_empty()) {
            (Some(_), false) => {
                return Err(ToolError::InvalidArgs(format!(
                    "Avec une liste « pour », chaque présent ou représenté doit figurer dans une \
                     liste ; manquent : {}. Complétez les listes, ou ne donnez pas la liste \
                     « pour » (les autres votent alors pour).",
                    manquants.join(", ")
                )));
            }
            (None, _) => {
                let autres: Vec<(i64, ChoixVote)> = d
                    .feuille
                    .iter()
                    .filter(|l| {
                        presents.contains(&l.coproprietaire_id)
                            && !votes.iter().any(|(id, _)| *id == l.coproprietaire_id)
                    })
                    .map(|l| (l.coproprietaire_id, ChoixVote::Pour))
                    .collect();
                votes.extend(autres);
            }
            (Some(_), true) => {}
        }
        let c = d.assemblee.decompter(resolution.majorite, &votes);
        let resultat = format!(
            "pour {}, contre {}, abstention {} voix",
            entier(c.pour),
            entier(c.contre),
            entier(c.abstention)
        );
        let mut table = Table::new(
            format!("Votes de la résolution n° {}", resolution.numero),
            &[
                ("Vote", Align::Left),
                ("Copropriétaires", Align::Left),
                ("Voix", Align::Right),
            ],
        );
        let nommes = |choix: ChoixVote| {
            noms.iter()
                .filter(|(c, _)| *c == choix)
                .map(|(_, n)| n.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let pour_noms = if args.pour.is_some() {
            nommes(ChoixVote::Pour)
        } else {
            "tous les autres présents ou représentés".to_string()
        };
        for (label, qui, voix) in [
            ("Pour", pour_noms, c.pour),
            ("Contre", nommes(ChoixVote::Contre), c.contre),
            ("Abstention", nommes(ChoixVote::Abstention), c.abstention),
        ] {
            table.row(vec![label.into(), qui, entier(voix)]);
        }
        let plan = VotesPlan {
            assemblee_id: d.ag.id,
            resolution_id: resolution.id,
            numero: resolution.numero,
            texte: resolution.texte.clone(),
            ag: libelle_ag(&d.ag),
            votes,
            votants: presents,
            resultat,
        };
        Ok(Planned {
            summary: format!(
                "Enregistrer les votes de la résolution n° {} (« {} ») de l'{} : {} ; {} \
                 requise, au moins {} voix sur {} : la résolution serait {} ?",
                plan.numero,
                plan.texte,
                plan.ag,
                plan.resultat,
                regle_majorite(resolution.majorite),
                entier(c.seuil),
                entier(c.base),
                if c.adoptee { "adoptée" } else { "rejetée" }
            ),
            tables: vec![table],
            plan,
        })
    }

    async fn execute(
        ctx: &ToolContext,
        caller: &Caller,
        plan: VotesPlan,
        confirmation: Uuid,
    ) -> Result<Saisie, ToolError> {
        let today = ctx.clock.today();
        let mut t = ctx.store.tenant(caller.syndic_id).await?;
        let journal = journaliser(
            &mut t,
            caller,
            confirmation,
            Some(plan.assemblee_id),
            Self::NAME,
        )
        .await?;
        let ag = verrouiller(&mut t, caller, plan.assemblee_id).await?;
        if journal.is_none() {
            modifiable(&ag)?;
            deja_tenue(&ag, today)?;
            if votants(&t.feuille_de_presence(ag.id).await?) != plan.votants {
                return Err(ToolError::InvalidArgs(
                    "La feuille de présence a changé depuis la préparation de ces votes : rien \
                     n'a été enregistré ; refaites la demande."
                        .into(),
                ));
            }
            if !t
                .resolutions(ag.id)
                .await?
                .iter()
                .any(|r| r.id == plan.resolution_id)
            {
                return Err(ToolError::InvalidArgs(
                    "Cette résolution n'existe plus ; refaites la demande.".into(),
                ));
            }
            t.remplacer_votes(plan.resolution_id, &plan.votes).await?;
            t.completer_saisie_ag(confirmation, ag.id, Some(plan.resolution_id))
                .await?;
        }
        let action = format!(
            "Votes de la résolution n° {} enregistrés à l'{} : {}.",
            plan.numero, plan.ag, plan.resultat
        );
        terminer(t, ag, action, journal.is_some()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_read_as_people_type_them() {
        let hm = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
        for (typed, t) in [
            ("18:30", hm(18, 30)),
            ("18h30", hm(18, 30)),
            ("18 h 30", hm(18, 30)),
            ("9h", hm(9, 0)),
            ("10", hm(10, 0)),
            (" 9H05 ", hm(9, 5)),
        ] {
            assert_eq!(lire_heure(typed).unwrap(), t, "{typed}");
        }
        for bad in ["25:00", "midi", "18:75", ""] {
            assert!(lire_heure(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn type_and_majority_accept_french_spellings() {
        let a: PlanifierArgs = serde_json::from_value(serde_json::json!({
            "date": "2026-12-05", "heure": "18h30", "lieu": "Salle", "type": "AGE"
        }))
        .unwrap();
        assert_eq!(a.type_ag, Some(TypeAg::Extraordinaire));
        for (typed, m) in [
            ("Majorité absolue", Majorite::Absolue),
            ("3/4", Majorite::TroisQuarts),
            ("trois_quarts", Majorite::TroisQuarts),
            ("unanimité", Majorite::Unanimite),
        ] {
            let r: ResolutionArgs = serde_json::from_value(serde_json::json!({
                "point": 1, "texte": "x", "majorite": typed
            }))
            .unwrap();
            assert_eq!(r.majorite, Some(m), "{typed}");
        }
        let e = serde_json::from_value::<ResolutionArgs>(serde_json::json!({
            "point": 1, "texte": "x", "majorite": "relative"
        }))
        .unwrap_err();
        assert!(
            e.to_string().starts_with("unknown variant `relative`"),
            "{e}"
        );
    }
}
