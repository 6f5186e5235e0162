//! `send_relance`: a reminder with the exact amount due, to one co-owner, a list, or the debtors
//! of a résidence (optionally above an amount, or late by more than some days), through each
//! co-owner's linked channel.
//!
//! Two phases. `plan` resolves the targets within the caller's scope, computes what each owes
//! (the impayés of `query_impayes`, added up per co-owner), picks each one's channel and applies
//! the throttle; it writes nothing and shows how many will be reminded, the total, the channels,
//! and who will not be (reminded less than N days ago, no usable channel: "à relancer
//! manuellement", nothing owed). `execute` locks the planned co-owners' rows, checks everything
//! again, and in one transaction records each reminder with its message queued in the outbox,
//! under the confirmation's id: confirming twice, or two confirmations at once, remind a co-owner
//! once. The outbox worker ([`crate::envoi::OutboxWorker`]) sends them.
//!
//! Choices:
//! - The amount stated is everything past due in the résidence asked for (all résidences when
//!   none): `montant_min`, `jours_retard_min` and `annee` choose whom to remind (per co-owner and
//!   lot, as `query_impayes` lists them), not what they are told they owe.
//! - Channels: a verified Telegram link first, then WhatsApp (inside the 24-hour window, or with
//!   the approved template configured), then e-mail (a verified link, else the co-owner's
//!   address). Only channels configured on this server count: a co-owner reachable only through
//!   another one is "à relancer manuellement" at plan time, so the summary never promises a
//!   message that cannot leave.
//! - The throttle counts the days (Africa/Casablanca) since the last reminder whose message was
//!   not abandoned; co-owners to remind by hand are listed, not recorded (nothing was sent).
//! - The message is French, or Modern Standard Arabic for a co-owner whose language is Arabic.

use crate::envoi::{EnvoiConfig, MessageSortant, Modele, UsageModele, whatsapp_fenetre_ouverte};
use crate::format::{date, mad, montant};
use crate::scope::{self, coproprietaire_label, resolved};
use crate::{Align, Planned, Render, Table, ToolContext, ToolError, WriteTool, impayes};
use chrono::{DateTime, Days, NaiveDate, Utc};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;
use wakil_schema::store::{
    Contact, Debiteur, DerniereRelance, ImpayeFiltre, NouvelleRelance, RelanceEnregistree, Tenant,
};
use wakil_schema::{Caller, Canal, Langue, Role};

pub struct SendRelance;

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// Copropriétaire à relancer : nom ou identifiant.
    #[serde(default)]
    pub coproprietaire: Option<String>,
    /// Lot ("A41", "3B") : son propriétaire actuel est relancé.
    #[serde(default)]
    pub lot: Option<String>,
    /// Plusieurs copropriétaires à relancer : noms ou identifiants.
    #[serde(default)]
    pub coproprietaires: Option<Vec<String>>,
    /// Résidence : sans copropriétaire ni lot, tous ses débiteurs sont relancés. Le montant
    /// rappelé est celui dû dans cette résidence (sans résidence : dans toutes).
    #[serde(default)]
    pub residence: Option<String>,
    /// Ne relancer que pour les impayés des appels de cette année (ex. 2025).
    #[serde(default)]
    pub annee: Option<i32>,
    /// Ne relancer que les copropriétaires qui doivent au moins ce montant sur un lot, en MAD.
    #[serde(default)]
    pub montant_min: Option<Decimal>,
    /// Ne relancer que si l'échéance impayée la plus ancienne a au moins ce retard, en jours.
    #[serde(default)]
    pub jours_retard_min: Option<i32>,
    /// Relancer aussi ceux déjà relancés récemment (moins de 7 jours par défaut).
    #[serde(default)]
    pub forcer: bool,
}

/// A co-owner to remind, as planned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Cible {
    pub coproprietaire_id: i64,
    /// "Mme Khadija Lahlou".
    pub coproprietaire: String,
    /// "Résidence Les Jardins de Guéliz, lot A41".
    pub lots: String,
}

/// The confirmed action: whom to remind (ids, with labels to show), where the amounts are
/// computed, whether the throttle is overridden; and whom the plan left out, to report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Amounts are what is due in this résidence; none: in all of them.
    pub residence_id: Option<i64>,
    pub forcer: bool,
    pub envoyer: Vec<Cible>,
    pub ecartes: Vec<NonRelance>,
}

/// Why a co-owner is not reminded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "raison", rename_all = "snake_case")]
pub enum Raison {
    /// Reminded on `le`, less than `delai_jours` ago.
    DejaRelance {
        le: NaiveDate,
        canal: Option<Canal>,
        delai_jours: u32,
    },
    /// No channel this server can use: to remind by hand.
    Manuel { detail: String },
    /// Nothing past due (matching the request).
    AJour,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct NonRelance {
    pub coproprietaire_id: i64,
    pub coproprietaire: String,
    pub lots: String,
    /// What they owe (none when nothing).
    pub montant_du: Option<Decimal>,
    pub plus_ancienne_echeance: Option<NaiveDate>,
    #[serde(flatten)]
    pub raison: Raison,
}

/// A reminder recorded, its message queued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct RelanceLigne {
    pub relance_id: i64,
    pub outbox_id: Option<i64>,
    pub coproprietaire_id: i64,
    pub coproprietaire: String,
    pub lots: String,
    pub montant_du: Decimal,
    pub plus_ancienne_echeance: NaiveDate,
    pub canal: Option<Canal>,
    /// Sent although reminded within the delay.
    pub forcee: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct CanalCompte {
    pub canal: Canal,
    pub nombre: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Output {
    /// True when this confirmation had already recorded these reminders: nothing queued again.
    pub deja_envoyees: bool,
    /// Date of the reminders (Africa/Casablanca).
    pub au: NaiveDate,
    /// Reminders queued for sending, largest debt first.
    pub relances: Vec<RelanceLigne>,
    /// Exact sum of `montant_du` over the reminders.
    pub total: Decimal,
    pub par_canal: Vec<CanalCompte>,
    /// Co-owners not reminded, and why.
    pub non_relances: Vec<NonRelance>,
}

/// Channels in order of preference.
const PREFERENCE: [Canal; 3] = [Canal::Telegram, Canal::Whatsapp, Canal::Email];
/// Names listed in a message before "et N autres".
const NOMS_MAX: usize = 10;

impl WriteTool for SendRelance {
    const NAME: &'static str = "send_relance";
    const DESCRIPTION: &'static str = "Envoie une relance de paiement (montant exact dû et plus ancienne échéance impayée) \
        à un copropriétaire, un lot, une liste de copropriétaires, ou aux débiteurs d'une résidence \
        (filtres : montant minimum, retard minimum, année), par leur canal (Telegram, WhatsApp ou e-mail). \
        Jamais deux fois au même copropriétaire dans le délai configuré, sauf « forcer ». \
        Rien n'est envoyé avant la confirmation de l'utilisateur.";
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
        let mut filtre = impayes::filtre(args.annee, args.montant_min, args.jours_retard_min)?;
        let nommes = args.coproprietaire.is_some()
            || args.lot.is_some()
            || args.coproprietaires.as_ref().is_some_and(|l| !l.is_empty());
        if !nommes
            && args.residence.is_none()
            && args.annee.is_none()
            && args.montant_min.is_none()
            && args.jours_retard_min.is_none()
        {
            return Err(ToolError::InvalidArgs(
                "Précisez qui relancer : un copropriétaire, un lot, une liste de copropriétaires, \
                 ou les débiteurs d'une résidence (avec au besoin un montant ou un retard minimum)."
                    .into(),
            ));
        }
        let today = ctx.clock.today();
        let regles = Regles {
            envoi: &ctx.envoi,
            today,
            now: Utc::now(),
            delai_jours: ctx.limits.relance_delai_jours,
            forcer: args.forcer,
        };

        let mut t = ctx.store.tenant_read(caller.syndic_id).await?;
        let residence = scope::residence(&mut t, caller, args.residence.as_deref()).await?;
        filtre.residence_id = residence.as_ref().map(|r| r.id);
        let (ids, mut ecartes) = match cibles(&mut t, &args, filtre.residence_id).await? {
            Some(nommes) => selection_nommee(&mut t, today, &filtre, nommes).await?,
            None => (debiteurs_filtres(&mut t, today, &filtre).await?, Vec::new()),
        };
        let etat = Etat::lire(&mut t, today, filtre.residence_id, &ids).await?;
        t.commit().await?;

        let mut envoyer: Vec<(Cible, &Debiteur, Decision)> = Vec::new();
        for d in &etat.debiteurs {
            match etat.decider(d, &regles) {
                Decision::Ecarter(raison) => ecartes.push(non_relance(d, raison)),
                decision => envoyer.push((cible(d), d, decision)),
            }
        }
        if envoyer.is_empty() {
            return Err(ToolError::InvalidArgs(rien_a_envoyer(
                &ecartes,
                residence.as_ref().map(|r| r.nom.as_str()),
                today,
            )));
        }
        let summary = question(&envoyer, &ecartes, regles.delai_jours);
        let tables = vec![
            table_envoyer(
                "Relances à envoyer",
                envoyer.iter().map(|(c, d, decision)| {
                    let (canal, forcee) = match decision {
                        Decision::Envoyer { contact, forcee } => (Some(contact.canal), *forcee),
                        Decision::Ecarter(_) => (None, false),
                    };
                    (c, d.montant_du, d.plus_ancienne_echeance, canal, forcee)
                }),
            ),
            table_ecartes(&ecartes),
        ]
        .into_iter()
        .filter(|t| !t.rows.is_empty())
        .collect();
        Ok(Planned {
            plan: Plan {
                residence_id: filtre.residence_id,
                forcer: args.forcer,
                envoyer: envoyer.into_iter().map(|(c, _, _)| c).collect(),
                ecartes,
            },
            summary,
            tables,
        })
    }

    async fn execute(
        ctx: &ToolContext,
        caller: &Caller,
        plan: Plan,
        confirmation: Uuid,
    ) -> Result<Output, ToolError> {
        if let Some(only) = caller.residence_scope()
            && plan.residence_id != Some(only)
        {
            return Err(ToolError::Forbidden(
                "Ces relances concernent une résidence hors de votre périmètre.".into(),
            ));
        }
        let today = ctx.clock.today();
        let regles = Regles {
            envoi: &ctx.envoi,
            today,
            now: Utc::now(),
            delai_jours: ctx.limits.relance_delai_jours,
            forcer: plan.forcer,
        };
        let mut ids: Vec<i64> = plan.envoyer.iter().map(|c| c.coproprietaire_id).collect();
        ids.sort_unstable();
        ids.dedup();

        let mut t = ctx.store.tenant(caller.syndic_id).await?;
        // One confirmation at a time per co-owner: a concurrent one waits here, then sees ours.
        t.verrouiller_coproprietaires(&ids).await?;
        let deja = t.relances_par_confirmation(confirmation).await?;
        if !deja.is_empty() {
            t.commit().await?;
            return Ok(sortie(today, true, relues(&plan, deja), plan.ecartes));
        }
        let etat = Etat::lire(&mut t, today, plan.residence_id, &ids).await?;
        let syndic = t.nom_syndic().await?;
        let mut relances = Vec::new();
        let mut ecartes = plan.ecartes.clone();
        for c in &plan.envoyer {
            let Some(d) = etat
                .debiteurs
                .iter()
                .find(|d| d.coproprietaire_id == c.coproprietaire_id)
            else {
                ecartes.push(NonRelance {
                    coproprietaire_id: c.coproprietaire_id,
                    coproprietaire: c.coproprietaire.clone(),
                    lots: c.lots.clone(),
                    montant_du: None,
                    plus_ancienne_echeance: None,
                    raison: Raison::AJour,
                });
                continue;
            };
            let (contact, forcee) = match etat.decider(d, &regles) {
                Decision::Envoyer { contact, forcee } => (contact, forcee),
                Decision::Ecarter(raison) => {
                    ecartes.push(non_relance(d, raison));
                    continue;
                }
            };
            let contenu = serde_json::to_value(message(d, &syndic))
                .map_err(|e| ToolError::Internal(e.to_string()))?;
            let nouvelle = NouvelleRelance {
                coproprietaire_id: d.coproprietaire_id,
                montant_du: d.montant_du,
                plus_ancienne_echeance: d.plus_ancienne_echeance,
                canal: contact.canal,
                destinataire: &contact.adresse,
                user_id: contact.user_id,
                contenu: &contenu,
                forcee,
                confirmation,
                envoyee_par: caller.user_id,
                date_relance: today,
            };
            let (relance_id, outbox_id) = t.inserer_relance(&nouvelle).await?.ok_or_else(|| {
                ToolError::Internal(format!(
                    "relance de {} déjà enregistrée pour cette confirmation",
                    d.coproprietaire_id
                ))
            })?;
            relances.push(RelanceLigne {
                relance_id,
                outbox_id: Some(outbox_id),
                coproprietaire_id: d.coproprietaire_id,
                coproprietaire: d.coproprietaire.clone(),
                lots: lieu(d),
                montant_du: d.montant_du,
                plus_ancienne_echeance: d.plus_ancienne_echeance,
                canal: Some(contact.canal),
                forcee,
            });
        }
        t.commit().await?;
        Ok(sortie(today, false, relances, ecartes))
    }
}

/// What the throttle and the channel choice go by.
struct Regles<'a> {
    envoi: &'a EnvoiConfig,
    today: NaiveDate,
    /// For WhatsApp's 24-hour window.
    now: DateTime<Utc>,
    delai_jours: u32,
    forcer: bool,
}

enum Decision {
    Envoyer { contact: Contact, forcee: bool },
    Ecarter(Raison),
}

/// What the decision needs about the candidates, read in one transaction.
struct Etat {
    /// Those who owe something, largest debt first.
    debiteurs: Vec<Debiteur>,
    contacts: HashMap<i64, Vec<Contact>>,
    dernieres: HashMap<i64, DerniereRelance>,
}

impl Etat {
    async fn lire(
        t: &mut Tenant,
        today: NaiveDate,
        residence: Option<i64>,
        ids: &[i64],
    ) -> Result<Etat, ToolError> {
        let debiteurs = t.debiteurs(today, residence, ids).await?;
        let owing: Vec<i64> = debiteurs.iter().map(|d| d.coproprietaire_id).collect();
        let mut contacts: HashMap<i64, Vec<Contact>> = HashMap::new();
        for c in t.contacts(&owing).await? {
            contacts.entry(c.coproprietaire_id).or_default().push(c);
        }
        let dernieres = t
            .dernieres_relances(&owing)
            .await?
            .into_iter()
            .map(|r| (r.coproprietaire_id, r))
            .collect();
        Ok(Etat {
            debiteurs,
            contacts,
            dernieres,
        })
    }

    fn decider(&self, d: &Debiteur, regles: &Regles<'_>) -> Decision {
        let derniere = self.dernieres.get(&d.coproprietaire_id);
        let recente = derniere.filter(|r| {
            regles
                .today
                .signed_duration_since(r.date_relance)
                .num_days()
                < i64::from(regles.delai_jours)
        });
        if let Some(r) = recente
            && !regles.forcer
        {
            return Decision::Ecarter(Raison::DejaRelance {
                le: r.date_relance,
                canal: r.canal,
                delai_jours: regles.delai_jours,
            });
        }
        let contacts = self
            .contacts
            .get(&d.coproprietaire_id)
            .map_or(&[][..], Vec::as_slice);
        match choisir_canal(contacts, regles.envoi, regles.now) {
            Ok(contact) => Decision::Envoyer {
                contact: contact.clone(),
                forcee: recente.is_some(),
            },
            Err(detail) => Decision::Ecarter(Raison::Manuel { detail }),
        }
    }
}

/// The first usable contact in order of preference, or why there is none (French).
fn choisir_canal<'a>(
    contacts: &'a [Contact],
    envoi: &EnvoiConfig,
    now: DateTime<Utc>,
) -> Result<&'a Contact, String> {
    if contacts.is_empty() {
        return Err("aucun canal relié (ni Telegram, ni WhatsApp, ni e-mail)".into());
    }
    let mut pourquoi: Vec<String> = Vec::new();
    for canal in PREFERENCE {
        let Some(contact) = contacts.iter().find(|c| c.canal == canal) else {
            continue;
        };
        match canal {
            Canal::Whatsapp => match &envoi.whatsapp {
                None => pourquoi.push("WhatsApp non configuré sur ce serveur".into()),
                Some(w)
                    if w.modele_relance.is_none()
                        && !contacts.iter().any(|c| {
                            c.canal == Canal::Whatsapp
                                && whatsapp_fenetre_ouverte(c.dernier_entrant_le, now)
                        }) =>
                {
                    pourquoi.push(
                        "WhatsApp : pas de message du copropriétaire depuis 24 heures et aucun \
                         modèle de relance approuvé configuré"
                            .into(),
                    );
                }
                Some(_) => {
                    // Inside the window if any of their WhatsApp numbers is.
                    return Ok(contacts
                        .iter()
                        .find(|c| {
                            c.canal == Canal::Whatsapp
                                && whatsapp_fenetre_ouverte(c.dernier_entrant_le, now)
                        })
                        .unwrap_or(contact));
                }
            },
            _ if envoi.configure(canal) => return Ok(contact),
            Canal::Email => pourquoi.push("e-mail non configuré sur ce serveur (SMTP)".into()),
            _ => pourquoi.push(format!("{} non configuré sur ce serveur", canal.label())),
        }
    }
    Err(pourquoi.join(" ; "))
}

/// The co-owners the request names (with their label and lots), or none for "the debtors".
async fn cibles(
    t: &mut Tenant,
    args: &Args,
    residence: Option<i64>,
) -> Result<Option<Vec<Cible>>, ToolError> {
    let non_vide = |q: &Option<String>| {
        q.as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .map(str::to_string)
    };
    let nom = non_vide(&args.coproprietaire);
    let mut out: Vec<Cible> = Vec::new();
    if let Some(q) = non_vide(&args.lot) {
        let (lot, owner) = scope::lot_owner(
            t,
            residence,
            &q,
            nom.as_deref(),
            "il n'y a personne à relancer.",
        )
        .await?;
        let c = t
            .coproprietaire_by_id(owner, Some(lot.residence_id))
            .await?
            .ok_or_else(|| ToolError::Internal(format!("copropriétaire {owner} introuvable")))?;
        out.push(Cible {
            coproprietaire_id: c.id,
            coproprietaire: c.nom,
            lots: format!("{}, lot {}", lot.residence, lot.numero),
        });
    } else if let Some(q) = nom {
        out.push(un_coproprietaire(t, &q, residence).await?);
    }
    for q in args.coproprietaires.iter().flatten() {
        let q = q.trim();
        if !q.is_empty() {
            out.push(un_coproprietaire(t, q, residence).await?);
        }
    }
    if out.is_empty() {
        return Ok(None);
    }
    let mut vus = HashSet::new();
    out.retain(|c| vus.insert(c.coproprietaire_id));
    Ok(Some(out))
}

async fn un_coproprietaire(
    t: &mut Tenant,
    q: &str,
    residence: Option<i64>,
) -> Result<Cible, ToolError> {
    let c = resolved(
        t.find_coproprietaire(q, residence).await?,
        "copropriétaire",
        q,
        coproprietaire_label,
    )?;
    Ok(Cible {
        coproprietaire_id: c.id,
        coproprietaire: c.nom,
        lots: c.lots,
    })
}

/// Of the named co-owners, those with impayés matching the filter; the others owe nothing.
async fn selection_nommee(
    t: &mut Tenant,
    today: NaiveDate,
    filtre: &ImpayeFiltre,
    nommes: Vec<Cible>,
) -> Result<(Vec<i64>, Vec<NonRelance>), ToolError> {
    let mut ids = Vec::new();
    let mut a_jour = Vec::new();
    for c in nommes {
        let f = ImpayeFiltre {
            coproprietaire_id: Some(c.coproprietaire_id),
            ..filtre.clone()
        };
        if t.impayes(today, &f).await?.is_empty() {
            a_jour.push(NonRelance {
                coproprietaire_id: c.coproprietaire_id,
                coproprietaire: c.coproprietaire,
                lots: c.lots,
                montant_du: None,
                plus_ancienne_echeance: None,
                raison: Raison::AJour,
            });
        } else {
            ids.push(c.coproprietaire_id);
        }
    }
    Ok((ids, a_jour))
}

/// The co-owners `query_impayes` lists with this filter.
async fn debiteurs_filtres(
    t: &mut Tenant,
    today: NaiveDate,
    filtre: &ImpayeFiltre,
) -> Result<Vec<i64>, ToolError> {
    let mut vus = HashSet::new();
    Ok(t.impayes(today, filtre)
        .await?
        .into_iter()
        .map(|l| l.coproprietaire_id)
        .filter(|id| vus.insert(*id))
        .collect())
}

/// "Résidence Les Jardins de Guéliz, lot A41", "Résidence X, lots A24, P04 ; Résidence Y, lot B2":
/// the lots with an amount due.
fn lieu(d: &Debiteur) -> String {
    lieu_avec(d, "lot", "lots", ", ", " ; ")
}

fn lieu_avec(
    d: &Debiteur,
    un: &str,
    plusieurs: &str,
    virgule: &str,
    point_virgule: &str,
) -> String {
    let mut groupes: Vec<(&str, Vec<&str>)> = Vec::new();
    for (r, l) in d.residences.iter().zip(&d.lots) {
        match groupes.last_mut() {
            Some((gr, lots)) if *gr == r.as_str() => lots.push(l),
            _ => groupes.push((r, vec![l])),
        }
    }
    groupes
        .iter()
        .map(|(r, lots)| {
            let mot = if lots.len() > 1 { plusieurs } else { un };
            format!("{r}{virgule}{mot} {}", lots.join(virgule))
        })
        .collect::<Vec<_>>()
        .join(point_virgule)
}

fn cible(d: &Debiteur) -> Cible {
    Cible {
        coproprietaire_id: d.coproprietaire_id,
        coproprietaire: d.coproprietaire.clone(),
        lots: lieu(d),
    }
}

fn non_relance(d: &Debiteur, raison: Raison) -> NonRelance {
    NonRelance {
        coproprietaire_id: d.coproprietaire_id,
        coproprietaire: d.coproprietaire.clone(),
        lots: lieu(d),
        montant_du: Some(d.montant_du),
        plus_ancienne_echeance: Some(d.plus_ancienne_echeance),
        raison,
    }
}

/// The message to a debtor, in their language.
fn message(d: &Debiteur, syndic: &str) -> MessageSortant {
    let echeance = date(d.plus_ancienne_echeance);
    match d.langue {
        Langue::Ar => {
            let montant_ar = format!("{}\u{a0}درهم", montant(d.montant_du));
            let nom = nom_complet(d);
            let salut = match d.civilite.as_deref() {
                Some("Mme") => format!("السيدة {nom} المحترمة،"),
                Some("M.") => format!("السيد {nom} المحترم،"),
                Some("Société") => format!("السادة {nom} المحترمون،"),
                _ => format!("{nom}،"),
            };
            let lieu = lieu_avec(d, "الوحدة", "الوحدات", "، ", " ؛ ");
            MessageSortant {
                langue: Langue::Ar,
                sujet: format!("تذكير: مبلغ غير مسدَّد قدره {montant_ar}"),
                texte: format!(
                    "{salut}\n\nتحية طيبة وبعد،\n\nنحيطكم علمًا، ما لم يكن هناك خطأ من جانبنا، بأن \
                     حسابكم في الملكية المشتركة ({lieu}) يُظهر مبلغًا غير مسدَّد قدره {montant_ar}، \
                     وأن أقدم قسط غير مسدَّد منه حلّ أجل أدائه في {echeance}.\n\nنرجو منكم تسوية \
                     هذا المبلغ في أقرب الآجال. وإن كنتم قد سدّدتموه، فالمرجو عدم اعتبار هذه \
                     الرسالة.\n\nوتفضلوا بقبول فائق الاحترام،\n{syndic}"
                ),
                modele: Some(Modele {
                    usage: UsageModele::Relance,
                    parametres: vec![montant_ar, echeance],
                }),
            }
        }
        Langue::Fr | Langue::En => {
            let du = mad(d.montant_du);
            let salut = match d.civilite.as_deref() {
                Some(civ @ ("M." | "Mme")) => format!("Bonjour {civ} {},", d.nom),
                Some("Société") => "Madame, Monsieur,".to_string(),
                _ => format!("Bonjour {},", nom_complet(d)),
            };
            MessageSortant {
                langue: Langue::Fr,
                sujet: format!("Rappel : solde impayé de {du}"),
                texte: format!(
                    "{salut}\n\nSauf erreur de notre part, votre compte de copropriété ({}) présente \
                     un solde impayé de {du}, dont la plus ancienne échéance date du {echeance}.\n\n\
                     Merci de régulariser votre situation dans les meilleurs délais. Si vous avez \
                     déjà effectué ce règlement, merci de ne pas tenir compte de ce message.\n\n\
                     Cordialement,\n{syndic}",
                    lieu(d)
                ),
                modele: Some(Modele {
                    usage: UsageModele::Relance,
                    parametres: vec![du, echeance],
                }),
            }
        }
    }
}

/// "Khadija Lahlou" (no civilité).
fn nom_complet(d: &Debiteur) -> String {
    match d.prenom.as_deref().filter(|p| !p.is_empty()) {
        Some(p) => format!("{p} {}", d.nom),
        None => d.nom.clone(),
    }
}

/// Counts per channel, in order of preference.
fn par_canal(canaux: impl Iterator<Item = Canal>) -> Vec<CanalCompte> {
    let canaux: Vec<Canal> = canaux.collect();
    PREFERENCE
        .iter()
        .map(|&canal| CanalCompte {
            canal,
            nombre: canaux.iter().filter(|c| **c == canal).count(),
        })
        .filter(|c| c.nombre > 0)
        .collect()
}

/// "Telegram : 2, WhatsApp : 1".
fn canaux_texte(comptes: &[CanalCompte]) -> String {
    comptes
        .iter()
        .map(|c| format!("{}\u{a0}: {}", c.canal.label(), c.nombre))
        .collect::<Vec<_>>()
        .join(", ")
}

fn pluriel(n: usize, un: &str, plusieurs: &str) -> String {
    format!("{n} {}", if n > 1 { plusieurs } else { un })
}

/// "1 déjà relancé il y a moins de 7 jours, 2 à relancer manuellement, 1 sans impayé".
fn ecartes_texte(ecartes: &[NonRelance], delai_jours: u32) -> String {
    let compte = |f: fn(&Raison) -> bool| ecartes.iter().filter(|e| f(&e.raison)).count();
    let deja = compte(|r| matches!(r, Raison::DejaRelance { .. }));
    let manuels = compte(|r| matches!(r, Raison::Manuel { .. }));
    let a_jour = compte(|r| matches!(r, Raison::AJour));
    let mut parts = Vec::new();
    if deja > 0 {
        parts.push(format!(
            "{} il y a moins de {delai_jours} jours",
            pluriel(deja, "déjà relancé", "déjà relancés")
        ));
    }
    if manuels > 0 {
        parts.push(format!("{manuels} à relancer manuellement"));
    }
    if a_jour > 0 {
        parts.push(format!("{a_jour} sans impayé"));
    }
    parts.join(", ")
}

/// The confirmation question.
fn question(
    envoyer: &[(Cible, &Debiteur, Decision)],
    ecartes: &[NonRelance],
    delai: u32,
) -> String {
    let canaux = par_canal(envoyer.iter().filter_map(|(_, _, d)| match d {
        Decision::Envoyer { contact, .. } => Some(contact.canal),
        Decision::Ecarter(_) => None,
    }));
    let forcees = envoyer
        .iter()
        .filter(|(_, _, d)| matches!(d, Decision::Envoyer { forcee: true, .. }))
        .count();
    let avant = if ecartes.is_empty() {
        String::new()
    } else {
        format!("Non relancés : {}. ", ecartes_texte(ecartes, delai))
    };
    let force = match forcees {
        0 => String::new(),
        n => format!(
            ", {} malgré une relance il y a moins de {delai} jours",
            pluriel(n, "relance forcée", "relances forcées")
        ),
    };
    if let [(c, d, Decision::Envoyer { contact, .. })] = envoyer {
        return format!(
            "{avant}Envoyer une relance à {} ({}) par {} : {} dus, échéance impayée la plus \
             ancienne du {}{force} ?",
            c.coproprietaire,
            c.lots,
            contact.canal.label(),
            mad(d.montant_du),
            date(d.plus_ancienne_echeance)
        );
    }
    let total: Decimal = envoyer.iter().map(|(_, d, _)| d.montant_du).sum();
    format!(
        "{avant}Envoyer une relance à {} copropriétaires pour un total dû de {} ({}){force} ?",
        envoyer.len(),
        mad(total),
        canaux_texte(&canaux)
    )
}

/// Why nothing can be sent, with what the user can do.
fn rien_a_envoyer(ecartes: &[NonRelance], residence: Option<&str>, today: NaiveDate) -> String {
    if let [e] = ecartes {
        return match &e.raison {
            Raison::AJour => format!(
                "{} n'a aucun impayé à relancer au {} : aucune relance à envoyer.",
                e.coproprietaire,
                date(today)
            ),
            Raison::DejaRelance {
                le,
                canal,
                delai_jours,
            } => {
                let prochaine = le
                    .checked_add_days(Days::new(u64::from(*delai_jours)))
                    .unwrap_or(*le);
                format!(
                    "{} a déjà reçu une relance le {}{} ; la suivante est possible à partir du {} \
                     (délai de {delai_jours} jours entre deux relances). Pour relancer quand même, \
                     demandez une relance forcée.",
                    e.coproprietaire,
                    date(*le),
                    canal.map_or(String::new(), |c| format!(" par {}", c.label())),
                    date(prochaine)
                )
            }
            Raison::Manuel { detail } => format!(
                "{} doit {} (échéance impayée la plus ancienne : {}) mais ne peut pas être relancé \
                 par message : {detail}. À relancer manuellement (téléphone, courrier).",
                e.coproprietaire,
                e.montant_du.map_or_else(String::new, mad),
                e.plus_ancienne_echeance.map_or_else(String::new, date)
            ),
        };
    }
    if ecartes.is_empty() {
        let ou = residence.map_or(String::new(), |r| format!(" ({r})"));
        return format!(
            "Aucun impayé correspondant à relancer{ou} au {} : aucune relance à envoyer.",
            date(today)
        );
    }
    let delai = ecartes
        .iter()
        .find_map(|e| match e.raison {
            Raison::DejaRelance { delai_jours, .. } => Some(delai_jours),
            _ => None,
        })
        .unwrap_or_default();
    let mut s = format!(
        "Aucune relance à envoyer : {}.",
        ecartes_texte(ecartes, delai)
    );
    let manuels: Vec<String> = ecartes
        .iter()
        .filter(|e| matches!(e.raison, Raison::Manuel { .. }))
        .map(|e| match e.montant_du {
            Some(m) => format!("{} ({})", e.coproprietaire, mad(m)),
            None => e.coproprietaire.clone(),
        })
        .collect();
    if !manuels.is_empty() {
        s.push_str(&format!(
            " À relancer manuellement (aucun canal utilisable) : {}{}.",
            manuels
                .iter()
                .take(NOMS_MAX)
                .cloned()
                .collect::<Vec<_>>()
                .join(", "),
            match manuels.len().saturating_sub(NOMS_MAX) {
                0 => String::new(),
                n => format!(" et {n} autres"),
            }
        ));
    }
    if ecartes
        .iter()
        .any(|e| matches!(e.raison, Raison::DejaRelance { .. }))
    {
        s.push_str(
            " Pour relancer quand même ceux relancés récemment, demandez une relance forcée.",
        );
    }
    s
}

/// The reminders a confirmation already recorded, labelled as planned.
fn relues(plan: &Plan, deja: Vec<RelanceEnregistree>) -> Vec<RelanceLigne> {
    deja.into_iter()
        .map(|r| RelanceLigne {
            lots: plan
                .envoyer
                .iter()
                .find(|c| c.coproprietaire_id == r.coproprietaire_id)
                .map(|c| c.lots.clone())
                .unwrap_or_default(),
            relance_id: r.relance_id,
            outbox_id: r.outbox_id,
            coproprietaire_id: r.coproprietaire_id,
            coproprietaire: r.coproprietaire,
            montant_du: r.montant_du,
            plus_ancienne_echeance: r.plus_ancienne_echeance,
            canal: r.canal,
            forcee: r.forcee,
        })
        .collect()
}

fn sortie(
    au: NaiveDate,
    deja_envoyees: bool,
    relances: Vec<RelanceLigne>,
    non_relances: Vec<NonRelance>,
) -> Output {
    Output {
        deja_envoyees,
        au,
        total: relances.iter().map(|r| r.montant_du).sum(),
        par_canal: par_canal(relances.iter().filter_map(|r| r.canal)),
        relances,
        non_relances,
    }
}

fn table_envoyer<'a>(
    titre: &str,
    lignes: impl Iterator<Item = (&'a Cible, Decimal, NaiveDate, Option<Canal>, bool)>,
) -> Table {
    let mut t = Table::new(
        titre,
        &[
            ("Copropriétaire", Align::Left),
            ("Lots", Align::Left),
            ("Montant dû (MAD)", Align::Right),
            ("Plus ancienne échéance", Align::Left),
            ("Canal", Align::Left),
        ],
    );
    let mut total = Decimal::ZERO;
    let mut n = 0;
    for (c, du, echeance, canal, forcee) in lignes {
        total += du;
        n += 1;
        t.row(vec![
            c.coproprietaire.clone(),
            c.lots.clone(),
            montant(du),
            date(echeance),
            format!(
                "{}{}",
                canal.map_or("—", |c| c.label()),
                if forcee { " (relance forcée)" } else { "" }
            ),
        ]);
    }
    t.footer = Some(vec![
        "Total".into(),
        pluriel(n, "copropriétaire", "copropriétaires"),
        montant(total),
        String::new(),
        String::new(),
    ]);
    t
}

fn raison_texte(r: &Raison) -> String {
    match r {
        Raison::DejaRelance {
            le,
            canal,
            delai_jours,
        } => format!(
            "déjà relancé le {}{} (délai de {delai_jours} jours)",
            date(*le),
            canal.map_or(String::new(), |c| format!(" par {}", c.label()))
        ),
        Raison::Manuel { detail } => format!("à relancer manuellement : {detail}"),
        Raison::AJour => "aucun impayé à relancer".into(),
    }
}

fn table_ecartes(ecartes: &[NonRelance]) -> Table {
    let mut t = Table::new(
        "Non relancés",
        &[
            ("Copropriétaire", Align::Left),
            ("Lots", Align::Left),
            ("Montant dû (MAD)", Align::Right),
            ("Plus ancienne échéance", Align::Left),
            ("Raison", Align::Left),
        ],
    );
    for e in ecartes {
        t.row(vec![
            e.coproprietaire.clone(),
            e.lots.clone(),
            e.montant_du.map_or_else(String::new, montant),
            e.plus_ancienne_echeance.map_or_else(String::new, date),
            raison_texte(&e.raison),
        ]);
    }
    t
}

impl Render for Output {
    fn summary(&self) -> String {
        let n = self.relances.len();
        let mut s = if self.deja_envoyees {
            format!(
                "Ces relances étaient déjà enregistrées (rien n'a été renvoyé) : {} pour un total dû \
                 de {}.",
                pluriel(n, "relance", "relances"),
                mad(self.total)
            )
        } else if n == 0 {
            "Aucune relance envoyée.".to_string()
        } else {
            format!(
                "{} en cours d'envoi pour un total dû de {} ({}).",
                pluriel(n, "relance", "relances"),
                mad(self.total),
                canaux_texte(&self.par_canal)
            )
        };
        if !self.non_relances.is_empty() {
            let delai = self
                .non_relances
                .iter()
                .find_map(|e| match e.raison {
                    Raison::DejaRelance { delai_jours, .. } => Some(delai_jours),
                    _ => None,
                })
                .unwrap_or_default();
            s.push_str(&format!(
                " Non relancés : {}.",
                ecartes_texte(&self.non_relances, delai)
            ));
        }
        s
    }

    fn tables(&self) -> Vec<Table> {
        let cibles: Vec<Cible> = self
            .relances
            .iter()
            .map(|r| Cible {
                coproprietaire_id: r.coproprietaire_id,
                coproprietaire: r.coproprietaire.clone(),
                lots: r.lots.clone(),
            })
            .collect();
        let envoyees = table_envoyer(
            &format!("Relances du {}", date(self.au)),
            cibles
                .iter()
                .zip(&self.relances)
                .map(|(c, r)| (c, r.montant_du, r.plus_ancienne_echeance, r.canal, r.forcee)),
        );
        [envoyees, table_ecartes(&self.non_relances)]
            .into_iter()
            .filter(|t| !t.rows.is_empty())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envoi::{SmtpConfig, TelegramConfig, WhatsAppConfig};
    use chrono::TimeDelta;
    use rust_decimal_macros::dec;

    fn debiteur(langue: Langue, civilite: Option<&str>) -> Debiteur {
        Debiteur {
            coproprietaire_id: 13,
            coproprietaire: "Mme Khadija Lahlou".into(),
            civilite: civilite.map(str::to_string),
            prenom: Some("Khadija".into()),
            nom: "Lahlou".into(),
            langue,
            montant_du: dec!(3450),
            plus_ancienne_echeance: NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
            jours_retard: 229,
            residences: vec![
                "Résidence Les Jardins de Guéliz".into(),
                "Résidence Les Jardins de Guéliz".into(),
                "Résidence Al Maârif".into(),
            ],
            lots: vec!["A24".into(), "P04".into(), "B2".into()],
        }
    }

    #[test]
    fn the_french_message_states_the_amount_and_the_oldest_due_date() {
        let mut d = debiteur(Langue::Fr, Some("Mme"));
        d.residences.truncate(1);
        d.lots.truncate(1);
        let m = message(&d, "Atlas Syndic");
        assert_eq!(m.langue, Langue::Fr);
        assert_eq!(
            m.texte,
            "Bonjour Mme Lahlou,\n\nSauf erreur de notre part, votre compte de copropriété \
             (Résidence Les Jardins de Guéliz, lot A24) présente un solde impayé de \
             3\u{a0}450,00\u{a0}MAD, dont la plus ancienne échéance date du 31/03/2026.\n\n\
             Merci de régulariser votre situation dans les meilleurs délais. Si vous avez déjà \
             effectué ce règlement, merci de ne pas tenir compte de ce message.\n\n\
             Cordialement,\nAtlas Syndic"
        );
        assert_eq!(m.sujet, "Rappel : solde impayé de 3\u{a0}450,00\u{a0}MAD");
        assert_eq!(
            m.modele.unwrap().parametres,
            ["3\u{a0}450,00\u{a0}MAD", "31/03/2026"]
        );
        assert!(
            message(&debiteur(Langue::Fr, None), "S")
                .texte
                .starts_with("Bonjour Khadija Lahlou,")
        );
        assert!(
            message(&debiteur(Langue::Fr, Some("Société")), "S")
                .texte
                .starts_with("Madame, Monsieur,")
        );
    }

    #[test]
    fn several_lots_and_residences_are_named() {
        let d = debiteur(Langue::Fr, Some("Mme"));
        assert_eq!(
            lieu(&d),
            "Résidence Les Jardins de Guéliz, lots A24, P04 ; Résidence Al Maârif, lot B2"
        );
    }

    #[test]
    fn the_arabic_message_keeps_the_same_figures() {
        let m = message(&debiteur(Langue::Ar, Some("Mme")), "Atlas Syndic");
        assert_eq!(m.langue, Langue::Ar);
        assert!(
            m.texte.starts_with("السيدة Khadija Lahlou المحترمة،"),
            "{}",
            m.texte
        );
        assert!(m.texte.contains("3\u{a0}450,00\u{a0}درهم"), "{}", m.texte);
        assert!(m.texte.contains("31/03/2026"));
        assert!(
            m.texte.contains(
                "Résidence Les Jardins de Guéliz، الوحدات A24، P04 ؛ Résidence Al Maârif، الوحدة B2"
            ),
            "{}",
            m.texte
        );
        assert!(m.texte.ends_with("\nAtlas Syndic"));
        assert!(!m.texte.contains("MAD") && !m.texte.contains("Bonjour"));
        assert_eq!(
            m.modele.unwrap().parametres,
            ["3\u{a0}450,00\u{a0}درهم", "31/03/2026"]
        );
    }

    fn contact(canal: Canal, adresse: &str, dernier: Option<DateTime<Utc>>) -> Contact {
        Contact {
            coproprietaire_id: 13,
            canal,
            adresse: adresse.into(),
            user_id: Some(13),
            dernier_entrant_le: dernier,
        }
    }

    fn config(telegram: bool, whatsapp: Option<Option<&str>>, email: bool) -> EnvoiConfig {
        EnvoiConfig {
            telegram: telegram.then(|| TelegramConfig {
                api_url: "http://127.0.0.1:1".into(),
                token: "t".into(),
                bot_username: None,
            }),
            whatsapp: whatsapp.map(|modele| WhatsAppConfig {
                api_url: "http://127.0.0.1:1".into(),
                phone_number_id: "1".into(),
                token: "t".into(),
                modele_relance: modele.map(str::to_string),
                numero: None,
            }),
            email: email.then(|| SmtpConfig {
                url: "smtp://127.0.0.1:1".into(),
                from: "relances@atlas-syndic.ma".into(),
            }),
        }
    }

    #[test]
    fn the_channel_is_the_first_usable_in_order_of_preference() {
        let now = Utc::now();
        let tg = contact(Canal::Telegram, "1698428374", None);
        let wa_old = contact(
            Canal::Whatsapp,
            "212600000001",
            Some(now - TimeDelta::days(3)),
        );
        let wa_new = contact(
            Canal::Whatsapp,
            "212600000002",
            Some(now - TimeDelta::hours(2)),
        );
        let mail = contact(Canal::Email, "k.lahlou@example.ma", None);
        let all = [tg.clone(), wa_old.clone(), wa_new.clone(), mail.clone()];

        let full = config(true, Some(Some("relance_impaye")), true);
        assert_eq!(choisir_canal(&all, &full, now), Ok(&tg));
        // Without Telegram on this server: WhatsApp, the number inside the window first.
        let no_tg = config(false, Some(None), true);
        assert_eq!(choisir_canal(&all, &no_tg, now), Ok(&wa_new));
        // Outside the window without a template: e-mail.
        let outside = [wa_old.clone(), mail.clone()];
        assert_eq!(choisir_canal(&outside, &no_tg, now), Ok(&mail));
        // With the template, WhatsApp even outside the window.
        assert_eq!(
            choisir_canal(&outside, &config(false, Some(Some("m")), true), now),
            Ok(&wa_old)
        );
        // Nothing usable: why, channel by channel.
        assert_eq!(
            choisir_canal(&all, &EnvoiConfig::default(), now),
            Err(
                "Telegram non configuré sur ce serveur ; WhatsApp non configuré sur ce serveur ; \
                 e-mail non configuré sur ce serveur (SMTP)"
                    .into()
            )
        );
        assert_eq!(
            choisir_canal(&[wa_old], &config(true, Some(None), false), now),
            Err(
                "WhatsApp : pas de message du copropriétaire depuis 24 heures et aucun modèle de \
                 relance approuvé configuré"
                    .into()
            )
        );
        assert_eq!(
            choisir_canal(&[], &full, now),
            Err("aucun canal relié (ni Telegram, ni WhatsApp, ni e-mail)".into())
        );
    }

    #[test]
    fn the_throttle_counts_days_since_the_last_reminder() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 15).unwrap();
        let envoi = config(true, None, false);
        let mut etat = Etat {
            debiteurs: vec![],
            contacts: HashMap::from([(13, vec![contact(Canal::Telegram, "1", None)])]),
            dernieres: HashMap::new(),
        };
        let d = debiteur(Langue::Fr, Some("Mme"));
        let regles = |forcer| Regles {
            envoi: &envoi,
            today,
            now: Utc::now(),
            delai_jours: 7,
            forcer,
        };
        let decide = |etat: &Etat, forcer| match etat.decider(&d, &regles(forcer)) {
            Decision::Envoyer { forcee, .. } => Ok(forcee),
            Decision::Ecarter(r) => Err(r),
        };
        assert_eq!(decide(&etat, false), Ok(false));
        for (jours, throttled) in [(0, true), (6, true), (7, false), (30, false)] {
            let le = today - Days::new(jours);
            etat.dernieres.insert(
                13,
                DerniereRelance {
                    coproprietaire_id: 13,
                    date_relance: le,
                    canal: Some(Canal::Telegram),
                },
            );
            if throttled {
                assert_eq!(
                    decide(&etat, false),
                    Err(Raison::DejaRelance {
                        le,
                        canal: Some(Canal::Telegram),
                        delai_jours: 7
                    }),
                    "{jours} jours"
                );
                assert_eq!(decide(&etat, true), Ok(true), "forcée après {jours} jours");
            } else {
                assert_eq!(decide(&etat, false), Ok(false), "{jours} jours");
            }
        }
    }
}
