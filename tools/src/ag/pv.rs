//! `generate_pv`: the procès-verbal of an AG, computed from its attendance sheet and votes with
//! the rules of [`wakil_schema::ag`], rendered with typst (`templates/pv.typ`) and published as a
//! document shared with the résidence's co-owners. Confirmed, it completes the attendance sheet
//! (absent co-owners recorded), stores each resolution's outcome, records the officers of the
//! meeting and closes the AG.

use super::{
    Deliberation, EtatAg, Quelle, capitalize, cible, deja_tenue, issue, issue_texte, journaliser,
    membre, minuscule, nom_ag, phrase_plafonnement, phrase_quorum, regle_majorite, saisie_permise,
    type_long, verrouiller,
};
use crate::fichiers::{Attachment, GeneratedDocument, PDF, publish};
use crate::format::{date, date_longue, entier, heure};
use crate::render::{self, Pdf};
use crate::{Planned, Render, Table, ToolContext, ToolError, WriteTool};
use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use wakil_schema::store::{EnteteAg, Tenant};
use wakil_schema::{Caller, Presence, Role, StatutAg, TypeDocument, Visibilite};

const TEMPLATE: &str = include_str!("../../templates/pv.typ");

pub struct GeneratePv;

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PvArgs {
    /// Résidence de l'AG (nom). Facultatif quand l'utilisateur n'en a qu'une.
    #[serde(default)]
    pub residence: Option<String>,
    /// Date de l'AG (AAAA-MM-JJ). Par défaut : la dernière AG tenue.
    #[serde(default)]
    pub date_ag: Option<NaiveDate>,
    /// Président de séance (copropriétaire présent), s'il n'est pas déjà enregistré.
    #[serde(default)]
    pub president_seance: Option<String>,
    /// Secrétaire de séance (copropriétaire présent), s'il n'est pas déjà enregistré.
    #[serde(default)]
    pub secretaire: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PvPlan {
    pub assemblee_id: i64,
    pub president_seance: String,
    pub secretaire: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PvOutput {
    /// True when this confirmation had already drawn up the PV: nothing was written again.
    pub deja_enregistre: bool,
    pub etat: EtatAg,
    /// The PV (PDF), shared with the résidence's co-owners.
    pub document: Attachment,
}

impl Render for PvOutput {
    fn summary(&self) -> String {
        let adoptees = self
            .etat
            .resolutions
            .iter()
            .filter(|r| r.issue == Some(wakil_schema::IssueResolution::Adoptee))
            .count();
        format!(
            "Procès-verbal de l'{} ({}) établi{} : {} ; {} résolution(s) adoptée(s) sur {}. Il est \
             partagé avec les copropriétaires de la résidence.",
            nom_ag(&self.etat.assemblee),
            self.etat.assemblee.residence,
            if self.deja_enregistre {
                " (déjà, rien n'a été refait)"
            } else {
                ""
            },
            phrase_quorum(&self.etat.presence),
            adoptees,
            self.etat.resolutions.len()
        )
    }

    fn tables(&self) -> Vec<Table> {
        self.etat.tables()
    }

    fn files(&self) -> Vec<Attachment> {
        vec![self.document.clone()]
    }
}

/// What a PV needs: someone present, and every resolution's votes when the AG may deliberate.
fn verifier(d: &Deliberation) -> Result<(), ToolError> {
    let q = d.assemblee.quorum;
    if q.presents == 0 {
        return Err(ToolError::InvalidArgs(format!(
            "La feuille de présence de l'{} ({}) ne compte aucun présent : enregistrez d'abord la \
             présence.",
            nom_ag(&d.ag),
            d.ag.residence
        )));
    }
    if q.peut_deliberer() {
        let sans_votes: Vec<String> = d
            .resolutions
            .iter()
            .filter(|r| d.votes_de(r.id).is_empty())
            .map(|r| format!("n° {}", r.numero))
            .collect();
        if !sans_votes.is_empty() {
            return Err(ToolError::InvalidArgs(format!(
                "Les votes des résolutions {} ne sont pas saisis : enregistrez-les avant \
                 d'établir le procès-verbal.",
                sans_votes.join(", ")
            )));
        }
    }
    Ok(())
}

/// An officer of the meeting: the name given (a co-owner present), else the one recorded.
async fn membre_du_bureau(
    t: &mut Tenant,
    d: &Deliberation,
    donne: Option<&str>,
    enregistre: Option<&str>,
    role: &str,
) -> Result<String, ToolError> {
    let Some(q) = donne.map(str::trim).filter(|q| !q.is_empty()) else {
        return enregistre.map(str::to_string).ok_or_else(|| {
            ToolError::InvalidArgs(format!(
                "Indiquez le {role} (un copropriétaire présent à l'AG)."
            ))
        });
    };
    let m = membre(t, &d.ag, &d.feuille, q).await?;
    if m.presence != Presence::Present {
        return Err(ToolError::InvalidArgs(format!(
            "{} n'est pas présent à l'AG : le {role} est choisi parmi les copropriétaires \
             présents.",
            m.nom
        )));
    }
    if d.ag.statut == StatutAg::Cloturee && enregistre.is_some_and(|e| e != m.nom) {
        return Err(ToolError::InvalidArgs(format!(
            "L'AG est clôturée avec {} comme {role} : son procès-verbal ne change pas de \
             signataire.",
            enregistre.unwrap_or_default()
        )));
    }
    Ok(m.nom.clone())
}

impl WriteTool for GeneratePv {
    const NAME: &'static str = "generate_pv";
    const DESCRIPTION: &'static str = "Établit le procès-verbal (PDF) d'une AG tenue : feuille de présence avec \
        les tantièmes, quorum, votes pour / contre / abstention de chaque résolution, majorité requise \
        et issue, signatures du président de séance et du secrétaire. Le PV est partagé avec les \
        copropriétaires et l'AG est clôturée.";
    type Args = PvArgs;
    type Plan = PvPlan;
    type Output = PvOutput;

    fn allowed(role: Role) -> bool {
        saisie_permise(role)
    }

    async fn plan(
        ctx: &ToolContext,
        caller: &Caller,
        args: PvArgs,
    ) -> Result<Planned<PvPlan>, ToolError> {
        let today = ctx.clock.today();
        let mut t = ctx.store.tenant_read(caller.syndic_id).await?;
        let ag = cible(
            &mut t,
            caller,
            args.residence.as_deref(),
            args.date_ag,
            Quelle::Tenue,
            today,
        )
        .await?;
        deja_tenue(&ag, today)?;
        let d = Deliberation::charger(&mut t, ag).await?;
        let president_seance = membre_du_bureau(
            &mut t,
            &d,
            args.president_seance.as_deref(),
            d.ag.president_seance.as_deref(),
            "président de séance",
        )
        .await?;
        let secretaire = membre_du_bureau(
            &mut t,
            &d,
            args.secretaire.as_deref(),
            d.ag.secretaire.as_deref(),
            "secrétaire de séance",
        )
        .await?;
        t.commit().await?;
        verifier(&d)?;
        let etat = d.etat();
        let adoptees = etat
            .resolutions
            .iter()
            .filter(|r| r.issue == Some(wakil_schema::IssueResolution::Adoptee))
            .count();
        Ok(Planned {
            summary: format!(
                "{} Établir le procès-verbal de l'{} ({}) : {} résolution(s), dont {} \
                 adoptée(s) ; président de séance {president_seance}, secrétaire {secretaire} ; le \
                 PV (PDF) sera partagé avec les copropriétaires de la résidence et l'AG clôturée ?",
                phrase_quorum(&etat.presence),
                nom_ag(&d.ag),
                d.ag.residence,
                etat.resolutions.len(),
                adoptees
            ),
            tables: etat.tables(),
            plan: PvPlan {
                assemblee_id: d.ag.id,
                president_seance,
                secretaire,
            },
        })
    }

    async fn execute(
        ctx: &ToolContext,
        caller: &Caller,
        plan: PvPlan,
        confirmation: Uuid,
    ) -> Result<PvOutput, ToolError> {
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
            deja_tenue(&ag, today)?;
            t.completer_feuille(ag.id).await?;
            let d = Deliberation::charger(&mut t, ag.clone()).await?;
            verifier(&d)?;
            for r in &d.resolutions {
                t.fixer_issue(r.id, d.decompte(r).map(|c| issue(c.adoptee)))
                    .await?;
            }
            t.cloturer_assemblee(ag.id, &plan.president_seance, &plan.secretaire)
                .await?;
            t.completer_saisie_ag(confirmation, ag.id, None).await?;
        }
        let ag = t
            .assemblee(ag.id)
            .await?
            .ok_or_else(|| ToolError::Internal(format!("AG {}", ag.id)))?;
        let d = Deliberation::charger(&mut t, ag).await?;
        let pdf = pdf(&mut t, &d, today).await?;
        let titre = format!("Procès-verbal de l'{} – {}", nom_ag(&d.ag), d.ag.residence);
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
                residence_id: d.ag.residence_id,
                type_document: TypeDocument::Pv,
                date_document: d.ag.date,
                visibilite: Visibilite::Residence,
                coproprietaire_id: None,
            },
        )
        .await?;
        let etat = d.etat();
        t.commit().await?;
        Ok(PvOutput {
            deja_enregistre: journal.is_some(),
            etat,
            document,
        })
    }
}

/// The PV of AG `assemblee_id` as it stands, read from SQL (nothing written) and ready to render:
/// what `generate_pv` publishes once the AG is closed. For staff within their scope. Reading and
/// rendering are apart so that a benchmark can time them apart.
pub async fn lire_pv(
    ctx: &ToolContext,
    caller: &Caller,
    assemblee_id: i64,
) -> Result<PvPret, ToolError> {
    if !caller.role.is_staff() {
        return Err(ToolError::Forbidden(crate::scope::STAFF_ONLY.into()));
    }
    let mut t = ctx.store.tenant_read(caller.syndic_id).await?;
    let ag = t
        .assemblee(assemblee_id)
        .await?
        .filter(|a| {
            caller
                .residence_scope()
                .is_none_or(|only| only == a.residence_id)
        })
        .ok_or_else(|| {
            ToolError::InvalidArgs(format!(
                "Aucune AG n° {assemblee_id} n'est enregistrée dans votre périmètre."
            ))
        })?;
    let d = Deliberation::charger(&mut t, ag).await?;
    let pret = PvPret::lire(&mut t, &d, ctx.clock.today()).await?;
    t.commit().await?;
    Ok(pret)
}

/// Renders the PV of AG `assemblee_id` as it stands (nothing written).
pub async fn render_pv(
    ctx: &ToolContext,
    caller: &Caller,
    assemblee_id: i64,
) -> Result<Pdf, ToolError> {
    lire_pv(ctx, caller, assemblee_id)
        .await?
        .render_blocking()
        .await
}

/// A PV read and formatted, to render.
pub struct PvPret {
    doc: PvDocument,
    today: NaiveDate,
}

impl PvPret {
    async fn lire(t: &mut Tenant, d: &Deliberation, today: NaiveDate) -> Result<Self, ToolError> {
        let entete = t
            .entete_ag(d.ag.residence_id)
            .await?
            .ok_or_else(|| ToolError::Internal(format!("résidence {}", d.ag.residence_id)))?;
        Ok(PvPret {
            doc: PvDocument::new(d, &entete),
            today,
        })
    }

    /// Compiles the PV (CPU-bound: off the async threads, see [`PvPret::render_blocking`]).
    pub fn render(&self) -> Result<Pdf, ToolError> {
        render::pdf(TEMPLATE, &self.doc, self.today).map_err(|e| ToolError::Internal(e.to_string()))
    }

    async fn render_blocking(self) -> Result<Pdf, ToolError> {
        tokio::task::spawn_blocking(move || self.render())
            .await
            .map_err(|e| ToolError::Internal(e.to_string()))?
    }
}

async fn pdf(t: &mut Tenant, d: &Deliberation, today: NaiveDate) -> Result<Pdf, ToolError> {
    PvPret::lire(t, d, today).await?.render_blocking().await
}

/// The PV's `data.json`: every figure formatted.
#[derive(Debug, Serialize)]
struct PvDocument {
    titre: String,
    emetteur: String,
    sous_titre: String,
    pied: String,
    preambule: String,
    /// (role, name)
    bureau: Vec<(String, String)>,
    presence: Vec<[String; 4]>,
    presence_total: [String; 4],
    recapitulatif: Vec<[String; 3]>,
    recapitulatif_total: [String; 3],
    quorum: String,
    quorum_atteint: bool,
    plafonnements: Vec<String>,
    points: Vec<PointDocument>,
    sans_vote: String,
    /// What the votes are counted in.
    unite: String,
    cloture: String,
    signatures: Vec<(String, String)>,
}

#[derive(Debug, Serialize)]
struct PointDocument {
    numero: String,
    titre: String,
    description: Option<String>,
    resolutions: Vec<ResolutionDocument>,
}

#[derive(Debug, Serialize)]
struct ResolutionDocument {
    numero: String,
    texte: String,
    /// "majorité des voix … — au moins 307 voix sur 612"
    majorite: String,
    votes_entetes: Vec<String>,
    votes: Option<Vec<String>>,
    issue: String,
    adoptee: Option<bool>,
}

impl PvDocument {
    fn new(d: &Deliberation, e: &EnteteAg) -> Self {
        let ag = &d.ag;
        let etat = d.etat();
        let p = &etat.presence;
        let convocation = ag
            .convoquee_le
            .map_or(String::new(), |c| format!(" adressée le {}", date(c)));
        let preambule = format!(
            "L'{} des copropriétaires de la {}, {}, {}, s'est réunie{} le {} à {}, {}, sur \
             convocation du syndic {}{convocation}.",
            type_long(ag.type_ag),
            e.residence,
            e.adresse,
            e.ville,
            if ag.seconde_reunion {
                " en seconde réunion, faute de quorum à la première,"
            } else {
                ""
            },
            date_longue(ag.date),
            heure(ag.heure),
            minuscule(&ag.lieu),
            e.syndic,
        );
        let bureau = vec![
            (
                "Président de séance".to_string(),
                ag.president_seance.clone().unwrap_or_default(),
            ),
            (
                "Secrétaire".to_string(),
                ag.secretaire.clone().unwrap_or_default(),
            ),
            ("Syndic".to_string(), e.syndic.clone()),
        ];
        let presence = d
            .feuille
            .iter()
            .map(|l| {
                [
                    l.nom.clone(),
                    if l.lots.is_empty() {
                        "—".into()
                    } else {
                        l.lots.clone()
                    },
                    entier(l.tantiemes),
                    {
                        // "Mme …" and "Société …" take the feminine.
                        let e = if l.nom.starts_with("Mme ") || l.nom.starts_with("Société ") {
                            "e"
                        } else {
                            ""
                        };
                        match l.presence {
                            Presence::Present => format!("Présent{e}"),
                            Presence::Represente => format!(
                                "Représenté{e} par {}",
                                l.mandataire.as_deref().unwrap_or_default()
                            ),
                            Presence::Absent => format!("Absent{e}"),
                        }
                    },
                ]
            })
            .collect();
        let presence_total = [
            format!("Total : {} copropriétaires", entier(p.coproprietaires)),
            String::new(),
            entier(p.tantiemes_totaux),
            String::new(),
        ];
        let recapitulatif = [
            ("Présents", p.presents, p.tantiemes_presents),
            ("Représentés", p.representes, p.tantiemes_representes),
            ("Absents", p.absents, p.tantiemes_absents),
        ]
        .iter()
        .map(|(label, n, t)| [(*label).to_string(), entier(*n), entier(*t)])
        .collect();
        let points = d
            .points
            .iter()
            .map(|pt| PointDocument {
                numero: pt.rang.to_string(),
                titre: pt.titre.clone(),
                description: pt.description.clone(),
                resolutions: d
                    .resolutions
                    .iter()
                    .filter(|r| r.point_id == pt.id)
                    .map(|r| {
                        let c = d.decompte(r);
                        let mut votes_entetes = vec![
                            "Pour".to_string(),
                            "Contre".to_string(),
                            "Abstention".to_string(),
                        ];
                        let votes = c.map(|c| {
                            let mut v =
                                vec![entier(c.pour), entier(c.contre), entier(c.abstention)];
                            if c.non_exprimees > 0 {
                                v.push(entier(c.non_exprimees));
                            }
                            v
                        });
                        if c.is_some_and(|c| c.non_exprimees > 0) {
                            votes_entetes.push("Non exprimées".into());
                        }
                        ResolutionDocument {
                            numero: r.numero.to_string(),
                            texte: r.texte.clone(),
                            majorite: match c {
                                Some(c) => format!(
                                    "{} — au moins {} voix sur {}",
                                    regle_majorite(r.majorite),
                                    entier(c.seuil),
                                    entier(c.base)
                                ),
                                None => regle_majorite(r.majorite).to_string(),
                            },
                            votes_entetes,
                            votes,
                            issue: match c {
                                Some(c) => capitalize(issue_texte(Some(issue(c.adoptee)))),
                                None => "Non délibérée faute de quorum".to_string(),
                            },
                            adoptee: c.map(|c| c.adoptee),
                        }
                    })
                    .collect(),
            })
            .collect();
        let cloture = if d.assemblee.quorum.peut_deliberer() {
            format!(
                "L'ordre du jour étant épuisé, la séance est levée. Fait à {}, le {}.",
                e.ville,
                date(ag.date)
            )
        } else {
            let limite = ag.date
                + chrono::Days::new(u64::try_from(d.regles.seconde_reunion_jours).unwrap_or(0));
            format!(
                "Faute de quorum, l'assemblée n'a pu délibérer. Une seconde réunion doit se tenir \
                 au plus tard le {} ; elle délibérera valablement quel que soit le nombre de \
                 copropriétaires présents ou représentés. Fait à {}, le {}.",
                date(limite),
                e.ville,
                date(ag.date)
            )
        };
        PvDocument {
            titre: format!("Procès-verbal de l'{}", type_long(ag.type_ag)),
            emetteur: e.syndic.clone(),
            sous_titre: format!(
                "{} — {}, {} — séance du {}",
                e.residence,
                e.adresse,
                e.ville,
                date(ag.date)
            ),
            pied: format!("PV de l'{} — {}", nom_ag(ag), e.residence),
            preambule,
            bureau,
            presence,
            presence_total,
            recapitulatif,
            recapitulatif_total: [
                "Total".into(),
                entier(p.coproprietaires),
                entier(p.tantiemes_totaux),
            ],
            quorum: phrase_quorum(p),
            quorum_atteint: d.assemblee.quorum.peut_deliberer(),
            plafonnements: etat
                .plafonnements
                .iter()
                .map(|c| phrase_plafonnement(c, p))
                .collect(),
            points,
            sans_vote: "Aucune résolution n'est soumise au vote.".into(),
            unite: "Les votes sont comptés en voix : les tantièmes de chaque copropriétaire \
                    présent ou représenté, après plafonnement le cas échéant."
                .into(),
            cloture,
            signatures: vec![
                (
                    "Le président de séance".into(),
                    ag.president_seance.clone().unwrap_or_default(),
                ),
                (
                    "Le secrétaire".into(),
                    ag.secretaire.clone().unwrap_or_default(),
                ),
            ],
        }
    }
}
