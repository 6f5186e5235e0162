//! The assemblée générale by conversation: plan it, build its agenda and resolutions, take the
//! attendance and the votes, convene it, draw up its PV.
//!
//! - `planifier_ag`, `ajouter_point_ordre_du_jour`, `ajouter_resolution`, `enregistrer_presence`,
//!   `enregistrer_votes` ([`saisie`]): confirmed entries (staff admin / gestionnaire);
//! - `generate_convocation` ([`convocation`]) and `generate_pv` ([`pv`]): confirmed, they render a
//!   PDF (typst) published as a document shared with the résidence's co-owners;
//! - `consulter_ag` (here): the state of an AG, for every member of staff (a président: their
//!   résidence).
//!
//! Every figure comes from SQL rows (attendance sheet, votes) through the rules of
//! [`wakil_schema::ag`]; the tantièmes of a co-owner are those of their lots, never typed. Each
//! confirmed entry is journaled under its confirmation id (`ag_saisies`): confirming twice
//! writes once. An AG is named by its résidence and its date; without a date, the AG being
//! prepared (the next one, else the latest not closed) — or, for a PV, the latest held.

mod convocation;
mod pv;
mod saisie;

pub use convocation::GenerateConvocation;
pub use pv::{GeneratePv, PvPret, lire_pv, render_pv};
pub use saisie::{
    AjouterPointOrdreDuJour, AjouterResolution, EnregistrerPresence, EnregistrerVotes, PlanifierAg,
};

use crate::format::{date, entier, heure};
use crate::scope::{self, coproprietaire_label, resolved};
use crate::{Align, Render, Table, Tool, ToolContext, ToolError};
use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};
use uuid::Uuid;
use wakil_schema::ag::{Assemblee, Decompte, Membre};
use wakil_schema::fold::fold;
use wakil_schema::store::{
    AssembleeRef, LignePresence, Lookup, LotRef, PointOdj, ReglesAg, ResolutionAg, SaisieAg,
    Tenant, VoteAg,
};
use wakil_schema::{Caller, ChoixVote, IssueResolution, Majorite, Role, StatutAg, TypeAg};

/// Who may enter an AG: the syndic's administrators and managers.
pub(crate) fn saisie_permise(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Gestionnaire)
}

/// Which AG a request means when it names no date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Quelle {
    /// The AG being prepared or held, not closed: the next one, else the latest.
    EnCours,
    /// The latest AG whose day has come (not cancelled).
    Tenue,
}

/// "AGO du 14/06/2025".
pub(crate) fn nom_ag(a: &AssembleeRef) -> String {
    format!(
        "{} du {}{}",
        match a.type_ag {
            TypeAg::Ordinaire => "AGO",
            TypeAg::Extraordinaire => "AGE",
        },
        date(a.date),
        if a.seconde_reunion {
            " (seconde réunion)"
        } else {
            ""
        }
    )
}

/// "assemblée générale ordinaire".
pub(crate) fn type_long(t: TypeAg) -> &'static str {
    match t {
        TypeAg::Ordinaire => "assemblée générale ordinaire",
        TypeAg::Extraordinaire => "assemblée générale extraordinaire",
    }
}

/// The AG of the caller's résidence on `date_ag`, or the one `quelle` means.
pub(crate) async fn cible(
    t: &mut Tenant,
    caller: &Caller,
    residence: Option<&str>,
    date_ag: Option<NaiveDate>,
    quelle: Quelle,
    today: NaiveDate,
) -> Result<AssembleeRef, ToolError> {
    let r = scope::one_residence(t, caller, residence).await?;
    let all: Vec<AssembleeRef> = t
        .assemblees(r.id)
        .await?
        .into_iter()
        .filter(|a| a.statut != StatutAg::Annulee)
        .collect();
    let liste = || {
        if all.is_empty() {
            "aucune AG n'est enregistrée".to_string()
        } else {
            format!(
                "AG enregistrées : {}",
                all.iter()
                    .rev()
                    .take(8)
                    .map(|a| format!("{} ({})", nom_ag(a), a.statut.label()))
                    .collect::<Vec<_>>()
                    .join(" ; ")
            )
        }
    };
    if let Some(d) = date_ag {
        return all.iter().find(|a| a.date == d).cloned().ok_or_else(|| {
            ToolError::InvalidArgs(format!(
                "Aucune AG de la {} ne se tient le {} ({}). Vérifiez la date.",
                r.nom,
                date(d),
                liste()
            ))
        });
    }
    let found = match quelle {
        Quelle::EnCours => {
            let open: Vec<&AssembleeRef> = all
                .iter()
                .filter(|a| {
                    matches!(
                        a.statut,
                        StatutAg::Planifiee | StatutAg::Convoquee | StatutAg::Tenue
                    )
                })
                .collect();
            open.iter()
                .find(|a| a.date >= today)
                .or(open.last())
                .map(|a| (*a).clone())
        }
        Quelle::Tenue => all.iter().rev().find(|a| a.date <= today).cloned(),
    };
    found.ok_or_else(|| {
        ToolError::InvalidArgs(match quelle {
            Quelle::EnCours => format!(
                "Aucune AG n'est en préparation pour la {} ({}). Planifiez-la d'abord \
                 (date, heure, lieu, ordre du jour), ou précisez la date de l'AG.",
                r.nom,
                liste()
            ),
            Quelle::Tenue => format!(
                "Aucune AG de la {} ne s'est encore tenue ({}). Précisez la date de l'AG.",
                r.nom,
                liste()
            ),
        })
    })
}

/// Refuses an entry on an AG that is closed (its PV is drawn up) or cancelled.
pub(crate) fn modifiable(a: &AssembleeRef) -> Result<(), ToolError> {
    match a.statut {
        StatutAg::Cloturee => Err(ToolError::InvalidArgs(format!(
            "L'{} ({}) est clôturée : son procès-verbal est établi et ses données ne peuvent plus \
             être modifiées.",
            nom_ag(a),
            a.residence
        ))),
        StatutAg::Annulee => Err(ToolError::InvalidArgs(format!(
            "L'{} ({}) est annulée.",
            nom_ag(a),
            a.residence
        ))),
        _ => Ok(()),
    }
}

/// Refuses attendance and votes before the day of the AG.
pub(crate) fn deja_tenue(a: &AssembleeRef, today: NaiveDate) -> Result<(), ToolError> {
    if a.date > today {
        return Err(ToolError::InvalidArgs(format!(
            "L'{} ({}) n'a pas encore eu lieu : la présence et les votes se saisissent le jour \
             de l'AG ou après.",
            nom_ag(a),
            a.residence
        )));
    }
    Ok(())
}

/// A co-owner on the attendance sheet, by name (or lot number) within the résidence.
pub(crate) async fn membre<'a>(
    t: &mut Tenant,
    ag: &AssembleeRef,
    feuille: &'a [LignePresence],
    query: &str,
) -> Result<&'a LignePresence, ToolError> {
    let q = query.trim();
    // A name, else a lot number ("A12"): its owner.
    let id = match t.find_coproprietaire(q, Some(ag.residence_id)).await? {
        Lookup::NotFound(suggestions) => match t.find_lot(q, Some(ag.residence_id)).await? {
            Lookup::Found(LotRef {
                coproprietaire_id: Some(id),
                ..
            }) => id,
            _ => {
                resolved(
                    Lookup::NotFound(suggestions),
                    "copropriétaire",
                    q,
                    coproprietaire_label,
                )?
                .id
            }
        },
        other => resolved(other, "copropriétaire", q, coproprietaire_label)?.id,
    };
    feuille
        .iter()
        .find(|l| l.coproprietaire_id == id)
        .ok_or_else(|| {
            ToolError::InvalidArgs(format!(
                "« {q} » ne possède aucun lot dans la {} le jour de l'AG ({}) : il ne figure pas \
                 sur la feuille de présence.",
                ag.residence,
                date(ag.date)
            ))
        })
}

/// An AG's rows and what the rules make of them.
pub(crate) struct Deliberation {
    pub ag: AssembleeRef,
    pub regles: ReglesAg,
    pub feuille: Vec<LignePresence>,
    pub points: Vec<PointOdj>,
    pub resolutions: Vec<ResolutionAg>,
    pub votes: Vec<VoteAg>,
    pub assemblee: Assemblee,
}

fn membres(feuille: &[LignePresence]) -> Vec<Membre> {
    feuille
        .iter()
        .map(|l| Membre {
            coproprietaire_id: l.coproprietaire_id,
            tantiemes: l.tantiemes,
            presence: l.presence,
        })
        .collect()
}

impl Deliberation {
    pub async fn charger(t: &mut Tenant, ag: AssembleeRef) -> Result<Self, ToolError> {
        let regles = t
            .regles_ag(ag.residence_id)
            .await?
            .ok_or_else(|| ToolError::Internal(format!("résidence {}", ag.residence_id)))?;
        let feuille = t.feuille_de_presence(ag.id).await?;
        let points = t.ordre_du_jour(ag.id).await?;
        let resolutions = t.resolutions(ag.id).await?;
        let votes = t.votes_ag(ag.id).await?;
        let assemblee = Assemblee::new(&membres(&feuille), regles.regles, ag.seconde_reunion);
        Ok(Deliberation {
            ag,
            regles,
            feuille,
            points,
            resolutions,
            votes,
            assemblee,
        })
    }

    /// The same AG with another attendance sheet (a preview of an entry).
    pub fn avec_feuille(mut self, feuille: Vec<LignePresence>) -> Self {
        self.assemblee = Assemblee::new(
            &membres(&feuille),
            self.regles.regles,
            self.ag.seconde_reunion,
        );
        self.feuille = feuille;
        self
    }

    pub fn votes_de(&self, resolution_id: i64) -> Vec<(i64, ChoixVote)> {
        self.votes
            .iter()
            .filter(|v| v.resolution_id == resolution_id)
            .map(|v| (v.coproprietaire_id, v.choix))
            .collect()
    }

    /// The count of a resolution whose votes are entered, when the AG may deliberate.
    pub fn decompte(&self, r: &ResolutionAg) -> Option<Decompte> {
        let votes = self.votes_de(r.id);
        (self.assemblee.quorum.peut_deliberer() && !votes.is_empty())
            .then(|| self.assemblee.decompter(r.majorite, &votes))
    }

    pub fn nom(&self, coproprietaire_id: i64) -> String {
        self.feuille
            .iter()
            .find(|l| l.coproprietaire_id == coproprietaire_id)
            .map_or_else(String::new, |l| l.nom.clone())
    }

    pub fn etat(&self) -> EtatAg {
        let q = self.assemblee.quorum;
        EtatAg {
            assemblee: self.ag.clone(),
            presence: PresenceTotaux {
                coproprietaires: q.coproprietaires,
                presents: q.presents,
                representes: q.representes,
                absents: q.coproprietaires - q.presents_ou_representes(),
                requis: q.requis,
                tantiemes_totaux: q.tantiemes_totaux,
                tantiemes_presents: q.tantiemes_presents,
                tantiemes_representes: q.tantiemes_representes,
                tantiemes_absents: q.tantiemes_totaux
                    - q.tantiemes_presents
                    - q.tantiemes_representes,
                voix_totales: q.voix_totales,
                voix_presentes: q.voix_presentes,
                quorum_atteint: q.atteint,
                seconde_reunion: q.seconde_reunion,
            },
            plafonnements: self
                .assemblee
                .plafonnements
                .iter()
                .map(|p| VoixPlafonnees {
                    coproprietaire: self.nom(p.coproprietaire_id),
                    tantiemes: p.tantiemes,
                    voix: p.voix,
                    voix_autres: p.voix_autres,
                })
                .collect(),
            ordre_du_jour: self.points.clone(),
            resolutions: self
                .resolutions
                .iter()
                .map(|r| {
                    let d = self.decompte(r);
                    ResolutionEtat {
                        numero: r.numero,
                        point: r.point_rang,
                        texte: r.texte.clone(),
                        majorite: r.majorite,
                        votes_saisis: !self.votes_de(r.id).is_empty(),
                        decompte: d.map(|d| DecompteEtat {
                            pour: d.pour,
                            contre: d.contre,
                            abstention: d.abstention,
                            non_exprimees: d.non_exprimees,
                            base: d.base,
                            seuil: d.seuil,
                        }),
                        issue: d.map(|d| issue(d.adoptee)),
                    }
                })
                .collect(),
        }
    }
}

pub(crate) fn issue(adoptee: bool) -> IssueResolution {
    if adoptee {
        IssueResolution::Adoptee
    } else {
        IssueResolution::Rejetee
    }
}

/// The state of an AG: attendance and quorum, agenda, resolutions and their counts.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct EtatAg {
    pub assemblee: AssembleeRef,
    pub presence: PresenceTotaux,
    /// Owners whose votes are capped (art. 16 decies).
    pub plafonnements: Vec<VoixPlafonnees>,
    pub ordre_du_jour: Vec<PointOdj>,
    pub resolutions: Vec<ResolutionEtat>,
}

/// Attendance in head count and tantièmes; votes are after the cap.
#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
pub struct PresenceTotaux {
    pub coproprietaires: i64,
    pub presents: i64,
    pub representes: i64,
    pub absents: i64,
    /// Co-owners present or represented needed for the quorum.
    pub requis: i64,
    pub tantiemes_totaux: i64,
    pub tantiemes_presents: i64,
    pub tantiemes_representes: i64,
    pub tantiemes_absents: i64,
    pub voix_totales: i64,
    pub voix_presentes: i64,
    pub quorum_atteint: bool,
    pub seconde_reunion: bool,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct VoixPlafonnees {
    pub coproprietaire: String,
    pub tantiemes: i64,
    /// Votes after the cap.
    pub voix: i64,
    /// The other co-owners' votes.
    pub voix_autres: i64,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ResolutionEtat {
    pub numero: i32,
    /// Rank of its agenda item.
    pub point: i32,
    pub texte: String,
    pub majorite: Majorite,
    pub votes_saisis: bool,
    /// The count, once votes are entered (and the AG may deliberate).
    pub decompte: Option<DecompteEtat>,
    /// The outcome the count gives.
    pub issue: Option<IssueResolution>,
}

/// Votes after the cap.
#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
pub struct DecompteEtat {
    pub pour: i64,
    pub contre: i64,
    pub abstention: i64,
    pub non_exprimees: i64,
    /// The votes the majority is taken over.
    pub base: i64,
    /// The fewest votes "pour" that adopt it.
    pub seuil: i64,
}

/// What a majority requires, in words.
pub(crate) fn regle_majorite(m: Majorite) -> &'static str {
    match m {
        Majorite::Simple => "majorité des voix des copropriétaires présents ou représentés",
        Majorite::Absolue => "majorité des voix de tous les copropriétaires",
        Majorite::TroisQuarts => "trois quarts des voix de tous les copropriétaires",
        Majorite::Unanimite => "unanimité des voix de tous les copropriétaires",
    }
}

pub(crate) fn majorite_courte(m: Majorite) -> &'static str {
    match m {
        Majorite::Simple => "simple",
        Majorite::Absolue => "absolue",
        Majorite::TroisQuarts => "3/4",
        Majorite::Unanimite => "unanimité",
    }
}

/// "Le quorum est atteint : 24 copropriétaires sur 34 présents ou représentés (17 requis),
/// totalisant 612 / 1 000 tantièmes."
pub(crate) fn phrase_quorum(p: &PresenceTotaux) -> String {
    let chiffres = format!(
        "{} copropriétaires sur {} présents ou représentés ({} requis), totalisant {} / {} tantièmes",
        entier(p.presents + p.representes),
        entier(p.coproprietaires),
        entier(p.requis),
        entier(p.tantiemes_presents + p.tantiemes_representes),
        entier(p.tantiemes_totaux),
    );
    if p.quorum_atteint {
        format!("Le quorum est atteint : {chiffres}.")
    } else if p.seconde_reunion {
        format!(
            "Seconde réunion : l'assemblée délibère valablement quel que soit le nombre de \
             copropriétaires présents ou représentés ({chiffres})."
        )
    } else {
        format!(
            "Le quorum n'est pas atteint : {chiffres}. L'assemblée ne peut pas délibérer ; une \
             seconde réunion doit être convoquée."
        )
    }
}

/// "Plafonnement des voix (art. 16 decies) : M. X détient 600 tantièmes sur 1 000, plus de la
/// moitié des voix ; ses voix sont réduites à 400, la somme des voix des autres copropriétaires."
pub(crate) fn phrase_plafonnement(p: &VoixPlafonnees, presence: &PresenceTotaux) -> String {
    format!(
        "Plafonnement des voix (art. 16 decies) : {} détient {} tantièmes sur {}, au-delà du \
         plafond ; ses voix sont réduites de {} à {} (les autres copropriétaires totalisent {} \
         voix). Total des voix : {}, dont {} présentes ou représentées.",
        p.coproprietaire,
        entier(p.tantiemes),
        entier(presence.tantiemes_totaux),
        entier(p.tantiemes),
        entier(p.voix),
        entier(p.voix_autres),
        entier(presence.voix_totales),
        entier(presence.voix_presentes),
    )
}

pub(crate) fn issue_texte(i: Option<IssueResolution>) -> &'static str {
    match i {
        Some(IssueResolution::Adoptee) => "adoptée",
        Some(IssueResolution::Rejetee) => "rejetée",
        None => "—",
    }
}

impl EtatAg {
    fn entete(&self) -> String {
        let a = &self.assemblee;
        format!(
            "{} ({}), {} à {}, {} — {}",
            nom_ag(a),
            a.residence,
            date(a.date),
            heure(a.heure),
            a.lieu,
            a.statut.label()
        )
    }
}

impl Render for EtatAg {
    fn summary(&self) -> String {
        let votees = self
            .resolutions
            .iter()
            .filter(|r| r.decompte.is_some())
            .count();
        let mut s = format!(
            "{} : {} point(s) à l'ordre du jour, {} résolution(s) dont {} votée(s).",
            self.entete(),
            self.ordre_du_jour.len(),
            self.resolutions.len(),
            votees
        );
        if self.presence.presents + self.presence.representes > 0 {
            s.push(' ');
            s.push_str(&phrase_quorum(&self.presence));
        }
        s
    }

    fn tables(&self) -> Vec<Table> {
        let mut odj = Table::new(
            format!("Ordre du jour et résolutions — {}", nom_ag(&self.assemblee)),
            &[
                ("Point", Align::Left),
                ("Résolution", Align::Left),
                ("Majorité", Align::Left),
                ("Pour", Align::Right),
                ("Contre", Align::Right),
                ("Abstention", Align::Right),
                ("Seuil", Align::Right),
                ("Issue", Align::Left),
            ],
        );
        for p in &self.ordre_du_jour {
            let resolutions: Vec<&ResolutionEtat> = self
                .resolutions
                .iter()
                .filter(|r| r.point == p.rang)
                .collect();
            if resolutions.is_empty() {
                odj.row(vec![
                    format!("{}. {}", p.rang, p.titre),
                    "(sans vote)".into(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                ]);
            }
            for r in resolutions {
                let n = |f: fn(&DecompteEtat) -> i64| {
                    r.decompte.as_ref().map_or(String::new(), |d| entier(f(d)))
                };
                odj.row(vec![
                    format!("{}. {}", p.rang, p.titre),
                    format!("n° {} — {}", r.numero, r.texte),
                    majorite_courte(r.majorite).into(),
                    n(|d| d.pour),
                    n(|d| d.contre),
                    n(|d| d.abstention),
                    n(|d| d.seuil),
                    if r.votes_saisis {
                        issue_texte(r.issue).into()
                    } else {
                        "votes à saisir".into()
                    },
                ]);
            }
        }
        let p = &self.presence;
        let mut presence = Table::new(
            "Feuille de présence",
            &[
                ("", Align::Left),
                ("Copropriétaires", Align::Right),
                ("Tantièmes", Align::Right),
            ],
        );
        for (label, n, tantiemes) in [
            ("Présents", p.presents, p.tantiemes_presents),
            ("Représentés", p.representes, p.tantiemes_representes),
            ("Absents", p.absents, p.tantiemes_absents),
        ] {
            presence.row(vec![label.into(), entier(n), entier(tantiemes)]);
        }
        presence.footer = Some(vec![
            "Total".into(),
            entier(p.coproprietaires),
            entier(p.tantiemes_totaux),
        ]);
        vec![odj, presence]
    }
}

/// `consulter_ag`: the state of an AG.
pub struct ConsulterAg;

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsulterArgs {
    /// Résidence de l'AG (nom). Facultatif quand l'utilisateur n'en a qu'une.
    #[serde(default)]
    pub residence: Option<String>,
    /// Date de l'AG (AAAA-MM-JJ). Par défaut : l'AG en préparation, sinon la dernière tenue.
    #[serde(default)]
    pub date_ag: Option<NaiveDate>,
}

impl Tool for ConsulterAg {
    const NAME: &'static str = "consulter_ag";
    const DESCRIPTION: &'static str = "Montre où en est une assemblée générale (AG) d'une résidence : date, lieu, \
        ordre du jour, résolutions, feuille de présence, quorum, votes et issue de chaque résolution.";
    type Args = ConsulterArgs;
    type Output = EtatAg;

    fn allowed(role: Role) -> bool {
        role.is_staff()
    }

    async fn run(
        ctx: &ToolContext,
        caller: &Caller,
        args: ConsulterArgs,
    ) -> Result<EtatAg, ToolError> {
        let today = ctx.clock.today();
        let mut t = ctx.store.tenant_read(caller.syndic_id).await?;
        let r = args.residence.as_deref();
        let ag = match cible(&mut t, caller, r, args.date_ag, Quelle::EnCours, today).await {
            Ok(ag) => ag,
            Err(_) if args.date_ag.is_none() => {
                cible(&mut t, caller, r, None, Quelle::Tenue, today).await?
            }
            Err(e) => return Err(e),
        };
        let etat = Deliberation::charger(&mut t, ag).await?.etat();
        t.commit().await?;
        Ok(etat)
    }
}

/// What an AG entry did, and the AG after it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Saisie {
    /// One French sentence: what was recorded.
    pub action: String,
    /// True when this confirmation had already been recorded: nothing was written again.
    pub deja_enregistre: bool,
    pub etat: EtatAg,
}

impl Render for Saisie {
    fn summary(&self) -> String {
        let fait = if self.deja_enregistre {
            format!("Déjà enregistré (rien n'a été ajouté) : {}", self.action)
        } else {
            self.action.clone()
        };
        format!("{fait} {}", self.etat.summary())
    }

    fn tables(&self) -> Vec<Table> {
        self.etat.tables()
    }
}

/// Journals a confirmed entry of `outil`. `Some` when this confirmation was already journaled:
/// what it recorded then, and nothing must be written again.
pub(crate) async fn journaliser(
    t: &mut Tenant,
    caller: &Caller,
    confirmation: Uuid,
    assemblee_id: Option<i64>,
    outil: &str,
) -> Result<Option<SaisieAg>, ToolError> {
    if t.journaliser_saisie_ag(confirmation, assemblee_id, outil, caller.user_id)
        .await?
    {
        return Ok(None);
    }
    let saisie = t.saisie_ag(confirmation).await?.ok_or_else(|| {
        ToolError::Internal(format!("saisie {confirmation} introuvable après conflit"))
    })?;
    Ok(Some(saisie))
}

/// The AG of a plan, locked, within the caller's scope.
pub(crate) async fn verrouiller(
    t: &mut Tenant,
    caller: &Caller,
    assemblee_id: i64,
) -> Result<AssembleeRef, ToolError> {
    let ag = t
        .verrouiller_assemblee(assemblee_id)
        .await?
        .ok_or_else(|| {
            ToolError::InvalidArgs("Cette AG n'existe plus ; refaites la demande.".into())
        })?;
    if caller
        .residence_scope()
        .is_some_and(|only| only != ag.residence_id)
    {
        return Err(ToolError::Forbidden(
            "Cette AG concerne une résidence hors de votre périmètre.".into(),
        ));
    }
    Ok(ag)
}

/// A text argument trimmed, refused when blank or longer than `max` characters.
pub(crate) fn texte(valeur: &str, quoi: &str, max: usize) -> Result<String, ToolError> {
    let v = valeur.trim();
    if v.is_empty() {
        return Err(ToolError::InvalidArgs(format!("Indiquez {quoi}.")));
    }
    if v.chars().count() > max {
        return Err(ToolError::InvalidArgs(format!(
            "{} dépasse {max} caractères : abrégez.",
            capitalize(quoi)
        )));
    }
    Ok(v.to_string())
}

/// "Salle polyvalente" → "salle polyvalente" (inside a sentence).
pub(crate) fn minuscule(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map_or_else(String::new, |f| f.to_lowercase().chain(c).collect())
}

pub(crate) fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
}

/// An enum typed by a person or a model ("AGO", "3/4", "unanimité"): folded, looked up in
/// `table`; `None` when blank.
pub(crate) fn valeur_tapee<'de, D: Deserializer<'de>, T: Copy>(
    d: D,
    table: &[(&str, T)],
    attendues: &'static [&'static str],
) -> Result<Option<T>, D::Error> {
    let Some(text) = Option::<String>::deserialize(d)? else {
        return Ok(None);
    };
    let key = fold(text.trim()).replace(['_', '-'], " ");
    if key.is_empty() {
        return Ok(None);
    }
    table
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| Some(*v))
        .ok_or_else(|| serde::de::Error::unknown_variant(&text, attendues))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quorum_sentences_state_head_count_and_tantiemes() {
        let mut p = PresenceTotaux {
            coproprietaires: 40,
            presents: 20,
            representes: 4,
            absents: 16,
            requis: 20,
            tantiemes_totaux: 1000,
            tantiemes_presents: 500,
            tantiemes_representes: 112,
            tantiemes_absents: 388,
            voix_totales: 1000,
            voix_presentes: 612,
            quorum_atteint: true,
            seconde_reunion: false,
        };
        assert_eq!(
            phrase_quorum(&p),
            "Le quorum est atteint : 24 copropriétaires sur 40 présents ou représentés (20 requis), \
             totalisant 612 / 1\u{a0}000 tantièmes."
        );
        p.quorum_atteint = false;
        assert!(phrase_quorum(&p).starts_with("Le quorum n'est pas atteint"));
        p.seconde_reunion = true;
        assert!(phrase_quorum(&p).starts_with("Seconde réunion"));
    }
}
