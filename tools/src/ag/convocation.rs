//! `generate_convocation`: the convocation of an AG (date, time, place, numbered agenda, proxies,
//! quorum, where to consult the documents), refused when the AG is closer than the résidence's
//! notice (`ag_preavis_jours`, 15 days by default); rendered with typst
//! (`templates/convocation.typ`), published as a letter shared with the résidence's co-owners,
//! and the AG marked convened. An AG not yet planned is planned with it when its date, time,
//! place and agenda are given.

use super::saisie::{DonneesAg, NouvelleAg, creer, lire_heure, preparer};
use super::{Quelle, cible, journaliser, nom_ag, saisie_permise, type_long, verrouiller};
use crate::fichiers::{Attachment, GeneratedDocument, PDF, publish};
use crate::format::{date, date_longue, entier, heure};
use crate::render::{self, Pdf};
use crate::{Align, Planned, Render, Table, ToolContext, ToolError, WriteTool};
use chrono::{Days, NaiveDate};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use wakil_schema::fold::fold;
use wakil_schema::store::{AssembleeRef, EnteteAg, PointOdj, ReglesAg, Tenant};
use wakil_schema::{Caller, Role, StatutAg, TypeAg, TypeDocument, Visibilite};

const TEMPLATE: &str = include_str!("../../templates/convocation.typ");

pub struct GenerateConvocation;

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConvocationArgs {
    /// Résidence de l'AG (nom). Facultatif quand l'utilisateur n'en a qu'une.
    #[serde(default)]
    pub residence: Option<String>,
    /// Date de l'AG (AAAA-MM-JJ). Par défaut : la prochaine AG planifiée.
    #[serde(default)]
    pub date_ag: Option<NaiveDate>,
    /// Heure de l'AG ("18:30"), seulement si l'AG n'est pas encore planifiée.
    #[serde(default)]
    pub heure: Option<String>,
    /// Lieu de l'AG, seulement si elle n'est pas encore planifiée.
    #[serde(default)]
    pub lieu: Option<String>,
    /// "ordinaire" (par défaut) ou "extraordinaire", si l'AG n'est pas encore planifiée.
    #[serde(default, rename = "type", deserialize_with = "super::saisie::type_ag")]
    #[schemars(with = "Option<TypeAg>")]
    pub type_ag: Option<TypeAg>,
    /// Titres des points de l'ordre du jour, si l'AG n'est pas encore planifiée.
    #[serde(default)]
    pub ordre_du_jour: Vec<String>,
}

/// The AG to convene: already planned, or planned with the convocation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgConvoquee {
    Existante(i64),
    Nouvelle(NouvelleAg),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConvocationPlan {
    pub assemblee: AgConvoquee,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ConvocationOutput {
    /// True when this confirmation had already sent the convocation: nothing was written again.
    pub deja_enregistre: bool,
    pub assemblee: AssembleeRef,
    pub ordre_du_jour: Vec<PointOdj>,
    /// The convocation (PDF), shared with the résidence's co-owners.
    pub document: Attachment,
}

impl Render for ConvocationOutput {
    fn summary(&self) -> String {
        let a = &self.assemblee;
        format!(
            "Convocation à l'{} ({}) {} le {} : AG le {} à {}, {}. Elle est partagée avec les \
             copropriétaires de la résidence.",
            nom_ag(a),
            a.residence,
            if self.deja_enregistre {
                "déjà établie (rien n'a été refait)"
            } else {
                "établie"
            },
            a.convoquee_le.map_or_else(String::new, date),
            date_longue(a.date),
            heure(a.heure),
            a.lieu
        )
    }

    fn tables(&self) -> Vec<Table> {
        vec![table_odj(
            self.ordre_du_jour.iter().map(|p| p.titre.as_str()),
        )]
    }

    fn files(&self) -> Vec<Attachment> {
        vec![self.document.clone()]
    }
}

fn table_odj<'a>(titres: impl Iterator<Item = &'a str>) -> Table {
    let mut t = Table::new(
        "Ordre du jour",
        &[("N°", Align::Right), ("Point", Align::Left)],
    );
    for (i, titre) in titres.enumerate() {
        t.row(vec![(i + 1).to_string(), titre.to_string()]);
    }
    t
}

/// The notice: an AG is convened at least `preavis_jours` before it.
pub(crate) fn verifier_preavis(
    date_ag: NaiveDate,
    envoi: NaiveDate,
    preavis_jours: i32,
) -> Result<(), ToolError> {
    let au_plus_tot = envoi + Days::new(u64::try_from(preavis_jours).unwrap_or(0));
    if date_ag < au_plus_tot {
        return Err(ToolError::InvalidArgs(format!(
            "La convocation doit être adressée au moins {preavis_jours} jours avant l'AG : \
             envoyée le {}, elle permet une AG à partir du {}, pas le {}. Rien n'a été envoyé ; \
             choisissez une date à partir du {}.",
            date(envoi),
            date(au_plus_tot),
            date(date_ag),
            date(au_plus_tot)
        )));
    }
    Ok(())
}

/// An AG already planned may be convened (or its convocation issued again) while not held.
fn convocable(ag: &AssembleeRef, points: &[PointOdj]) -> Result<(), ToolError> {
    if !matches!(ag.statut, StatutAg::Planifiee | StatutAg::Convoquee) {
        return Err(ToolError::InvalidArgs(format!(
            "L'{} ({}) est {} : elle ne se convoque plus.",
            nom_ag(ag),
            ag.residence,
            ag.statut.label()
        )));
    }
    if points.is_empty() {
        return Err(ToolError::InvalidArgs(format!(
            "L'ordre du jour de l'{} ({}) est vide : ajoutez ses points avant de la convoquer \
             (rien d'autre que l'ordre du jour ne peut être voté).",
            nom_ag(ag),
            ag.residence
        )));
    }
    Ok(())
}

/// Refuses a time, place or agenda given for an AG already planned with others.
fn coherent(
    ag: &AssembleeRef,
    points: &[PointOdj],
    args: &ConvocationArgs,
) -> Result<(), ToolError> {
    let autre_heure = match args.heure.as_deref() {
        Some(h) => lire_heure(h)? != ag.heure,
        None => false,
    };
    let autre_lieu = args
        .lieu
        .as_deref()
        .is_some_and(|l| fold(l.trim()) != fold(&ag.lieu));
    let autre_odj = !args.ordre_du_jour.is_empty()
        && args
            .ordre_du_jour
            .iter()
            .map(|t| fold(t.trim()))
            .collect::<Vec<_>>()
            != points.iter().map(|p| fold(&p.titre)).collect::<Vec<_>>();
    if autre_heure || autre_lieu || autre_odj {
        return Err(ToolError::InvalidArgs(format!(
            "L'{} ({}) est déjà planifiée à {}, {}, avec un ordre du jour de {} point(s) : la \
             convocation reprend ce qui est enregistré. Pour la convoquer, ne précisez que sa \
             date ; ajoutez les points manquants avant de la convoquer.",
            nom_ag(ag),
            ag.residence,
            heure(ag.heure),
            ag.lieu,
            points.len()
        )));
    }
    Ok(())
}

async fn regles(t: &mut Tenant, residence_id: i64) -> Result<ReglesAg, ToolError> {
    t.regles_ag(residence_id)
        .await?
        .ok_or_else(|| ToolError::Internal(format!("résidence {residence_id}")))
}

impl WriteTool for GenerateConvocation {
    const NAME: &'static str = "generate_convocation";
    const DESCRIPTION: &'static str = "Établit la convocation (PDF) d'une AG : date, heure, lieu, ordre du jour \
        numéroté, règles de représentation et de quorum ; refusée si l'AG est à moins du préavis \
        (15 jours par défaut). Partagée avec les copropriétaires de la résidence. Si l'AG n'est pas \
        encore planifiée, donner sa date, son heure, son lieu et son ordre du jour.";
    type Args = ConvocationArgs;
    type Plan = ConvocationPlan;
    type Output = ConvocationOutput;

    fn allowed(role: Role) -> bool {
        saisie_permise(role)
    }

    async fn plan(
        ctx: &ToolContext,
        caller: &Caller,
        args: ConvocationArgs,
    ) -> Result<Planned<ConvocationPlan>, ToolError> {
        let today = ctx.clock.today();
        let mut t = ctx.store.tenant_read(caller.syndic_id).await?;
        let existante = cible(
            &mut t,
            caller,
            args.residence.as_deref(),
            args.date_ag,
            Quelle::EnCours,
            today,
        )
        .await;
        let (plan, description, titres) = match (existante, &args) {
            (Ok(ag), _) => {
                let points = t.ordre_du_jour(ag.id).await?;
                coherent(&ag, &points, &args)?;
                convocable(&ag, &points)?;
                let envoi = ag.convoquee_le.unwrap_or(today);
                verifier_preavis(
                    ag.date,
                    envoi,
                    regles(&mut t, ag.residence_id).await?.preavis_jours,
                )?;
                (
                    AgConvoquee::Existante(ag.id),
                    format!(
                        "l'{} ({}) du {} à {}, {}",
                        type_long(ag.type_ag),
                        ag.residence,
                        date_longue(ag.date),
                        heure(ag.heure),
                        ag.lieu
                    ),
                    points.into_iter().map(|p| p.titre).collect::<Vec<_>>(),
                )
            }
            (
                Err(_),
                ConvocationArgs {
                    date_ag: Some(date_ag),
                    heure: Some(h),
                    lieu: Some(lieu),
                    ..
                },
            ) if !args.ordre_du_jour.is_empty() => {
                let nouvelle = preparer(
                    &mut t,
                    caller,
                    &DonneesAg {
                        residence: args.residence.as_deref(),
                        date: *date_ag,
                        heure: h,
                        lieu,
                        type_ag: args.type_ag,
                        ordre_du_jour: &args.ordre_du_jour,
                        seconde_reunion: false,
                    },
                    today,
                )
                .await?;
                verifier_preavis(
                    nouvelle.date,
                    today,
                    regles(&mut t, nouvelle.residence_id).await?.preavis_jours,
                )?;
                let description = format!(
                    "l'{} ({}) du {} à {}, {} (planifiée avec la convocation)",
                    type_long(nouvelle.type_ag),
                    nouvelle.residence,
                    date_longue(nouvelle.date),
                    heure(nouvelle.heure),
                    nouvelle.lieu
                );
                let titres = nouvelle.ordre_du_jour.clone();
                (AgConvoquee::Nouvelle(nouvelle), description, titres)
            }
            (Err(e), _) => return Err(e),
        };
        t.commit().await?;
        Ok(Planned {
            summary: format!(
                "Convoquer les copropriétaires à {description}, ordre du jour en {} point(s) ? La \
                 convocation (PDF) sera partagée avec les copropriétaires de la résidence.",
                titres.len()
            ),
            tables: vec![table_odj(titres.iter().map(String::as_str))],
            plan: ConvocationPlan { assemblee: plan },
        })
    }

    async fn execute(
        ctx: &ToolContext,
        caller: &Caller,
        plan: ConvocationPlan,
        confirmation: Uuid,
    ) -> Result<ConvocationOutput, ToolError> {
        let today = ctx.clock.today();
        let mut t = ctx.store.tenant(caller.syndic_id).await?;
        let existante = match &plan.assemblee {
            AgConvoquee::Existante(id) => Some(*id),
            AgConvoquee::Nouvelle(_) => None,
        };
        let journal = journaliser(&mut t, caller, confirmation, existante, Self::NAME).await?;
        let id = match (&journal, &plan.assemblee) {
            (Some(s), _) => s
                .assemblee_id
                .ok_or_else(|| ToolError::Internal("convocation sans AG".into()))?,
            (None, AgConvoquee::Existante(id)) => *id,
            (None, AgConvoquee::Nouvelle(nouvelle)) => {
                if caller
                    .residence_scope()
                    .is_some_and(|only| only != nouvelle.residence_id)
                {
                    return Err(ToolError::Forbidden(
                        "Cette AG concerne une résidence hors de votre périmètre.".into(),
                    ));
                }
                creer(&mut t, nouvelle).await?
            }
        };
        let ag = verrouiller(&mut t, caller, id).await?;
        if journal.is_none() {
            let points = t.ordre_du_jour(ag.id).await?;
            convocable(&ag, &points)?;
            let envoi = ag.convoquee_le.unwrap_or(today);
            verifier_preavis(
                ag.date,
                envoi,
                regles(&mut t, ag.residence_id).await?.preavis_jours,
            )?;
            t.marquer_convoquee(ag.id, today).await?;
            t.completer_saisie_ag(confirmation, ag.id, None).await?;
        }
        let ag = t
            .assemblee(ag.id)
            .await?
            .ok_or_else(|| ToolError::Internal(format!("AG {id}")))?;
        let points = t.ordre_du_jour(ag.id).await?;
        let regles = regles(&mut t, ag.residence_id).await?;
        let entete = t
            .entete_ag(ag.residence_id)
            .await?
            .ok_or_else(|| ToolError::Internal(format!("résidence {}", ag.residence_id)))?;
        let convoquee_le = ag.convoquee_le.unwrap_or(today);
        let doc = ConvocationDocument::new(&ag, &points, &regles, &entete, convoquee_le);
        let pdf: Pdf =
            tokio::task::spawn_blocking(move || render::pdf(TEMPLATE, &doc, convoquee_le))
                .await
                .map_err(|e| ToolError::Internal(e.to_string()))?
                .map_err(|e| ToolError::Internal(e.to_string()))?;
        let titre = format!("Convocation à l'{} – {}", nom_ag(&ag), ag.residence);
        let document = publish(
            &ctx.files,
            &mut t,
            caller,
            &GeneratedDocument {
                bytes: &pdf.bytes,
                mime: PDF,
                pages: Some(pdf.pages),
                nom: &format!("{titre}.pdf"),
                titre: &titre,
                residence_id: ag.residence_id,
                type_document: TypeDocument::Courrier,
                date_document: convoquee_le,
                visibilite: Visibilite::Residence,
                coproprietaire_id: None,
            },
        )
        .await?;
        t.commit().await?;
        Ok(ConvocationOutput {
            deja_enregistre: journal.is_some(),
            assemblee: ag,
            ordre_du_jour: points,
            document,
        })
    }
}

/// The convocation's `data.json`.
#[derive(Debug, Serialize)]
struct ConvocationDocument {
    titre: String,
    emetteur: String,
    sous_titre: String,
    pied: String,
    lieu_date: String,
    objet: String,
    destinataires: String,
    introduction: String,
    date: String,
    heure: String,
    lieu: String,
    points: Vec<PointOdj>,
    pouvoirs: String,
    quorum: String,
    documents: String,
    signature_role: String,
    residence: String,
    ag_nom: String,
}

impl ConvocationDocument {
    fn new(
        ag: &AssembleeRef,
        points: &[PointOdj],
        regles: &ReglesAg,
        e: &EnteteAg,
        convoquee_le: NaiveDate,
    ) -> Self {
        let type_ag = type_long(ag.type_ag);
        let quorum = if ag.seconde_reunion {
            "Cette seconde réunion délibère valablement quel que soit le nombre de copropriétaires \
             présents ou représentés."
                .to_string()
        } else {
            format!(
                "L'assemblée délibère valablement si {} au moins des copropriétaires sont présents \
                 ou représentés. À défaut, une seconde réunion sera convoquée dans les {} jours ; \
                 elle délibérera valablement quel que soit le nombre de présents.",
                part(regles.regles.quorum_milliemes),
                entier(i64::from(regles.seconde_reunion_jours))
            )
        };
        let contact: Vec<&str> = [e.syndic_telephone.as_deref(), e.syndic_email.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        ConvocationDocument {
            titre: format!("Convocation à l'{type_ag}"),
            emetteur: e.syndic.clone(),
            sous_titre: format!("{} — {}, {}", e.residence, e.adresse, e.ville),
            pied: format!("Convocation à l'{} — {}", nom_ag(ag), e.residence),
            lieu_date: format!(
                "{}, le {}",
                e.syndic_ville.as_deref().unwrap_or(&e.ville),
                date_longue(convoquee_le)
            ),
            objet: format!(
                "Convocation à l'{type_ag}{} du {}",
                if ag.seconde_reunion {
                    " (seconde réunion)"
                } else {
                    ""
                },
                date_longue(ag.date)
            ),
            destinataires: format!(
                "Mesdames et Messieurs les copropriétaires de la {}",
                e.residence
            ),
            introduction: format!(
                "Nous avons l'honneur de vous convoquer à l'{type_ag} des copropriétaires de la \
                 {}, qui se tiendra aux date, heure et lieu ci-dessous. Elle délibérera sur les \
                 seules questions inscrites à l'ordre du jour.",
                e.residence
            ),
            date: date_longue(ag.date),
            heure: heure(ag.heure),
            lieu: ag.lieu.clone(),
            points: points.to_vec(),
            pouvoirs: "Chaque copropriétaire dispose d'un nombre de voix égal à ses tantièmes. Si \
                       vous ne pouvez pas assister à l'assemblée, vous pouvez vous y faire \
                       représenter par un autre copropriétaire muni d'un pouvoir écrit et signé \
                       (modèle ci-dessous). Les voix d'un copropriétaire détenant plus de la \
                       moitié des voix sont réduites à la somme des voix des autres copropriétaires."
                .into(),
            quorum: format!(
                "{quorum} Les décisions sont prises à la majorité des voix des copropriétaires \
                 présents ou représentés, sauf celles pour lesquelles la loi exige la majorité \
                 de tous les copropriétaires, les trois quarts des voix ou l'unanimité."
            ),
            documents: format!(
                "Les documents relatifs aux questions inscrites à l'ordre du jour (comptes, \
                 budget, devis, projets de résolution) peuvent être consultés au bureau du syndic {}{}, \
                 et dans l'espace documents de la résidence sur Wakil, jusqu'à la veille de \
                 l'assemblée.",
                e.syndic,
                if contact.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", contact.join(", "))
                }
            ),
            signature_role: "Pour le syndic,".into(),
            residence: e.residence.clone(),
            ag_nom: format!("l'{type_ag} du {}", date_longue(ag.date)),
        }
    }
}

/// 500 → "la moitié", 667 → "66,7 %".
fn part(milliemes: i64) -> String {
    match milliemes {
        500 => "la moitié".into(),
        1000 => "la totalité".into(),
        m => format!("{},{} %", m / 10, m % 10),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_notice_is_counted_in_days_from_the_sending() {
        let d = |m, j| NaiveDate::from_ymd_opt(2026, m, j).unwrap();
        assert!(verifier_preavis(d(11, 30), d(11, 15), 15).is_ok());
        let e = verifier_preavis(d(11, 29), d(11, 15), 15).unwrap_err();
        assert_eq!(
            e.to_string(),
            "La convocation doit être adressée au moins 15 jours avant l'AG : envoyée le \
             15/11/2026, elle permet une AG à partir du 30/11/2026, pas le 29/11/2026. Rien n'a \
             été envoyé ; choisissez une date à partir du 30/11/2026."
        );
        assert!(verifier_preavis(d(11, 15), d(11, 15), 0).is_ok());
        assert_eq!(part(500), "la moitié");
        assert_eq!(part(667), "66,7 %");
    }
}
