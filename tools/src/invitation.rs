//! `inviter`: an invitation to use Wakil on Telegram or WhatsApp, for a co-owner or a staff
//! member. The invitation is a one-time token: a Telegram link (`/start <token>`) or an 8-digit
//! code sent on WhatsApp from the invited number. Redeeming it (`Store::redeem_invitation`, in
//! the channel adapters) binds the Telegram account or the number to the user, verified.
//!
//! Two phases, like every write. `plan` resolves the person within the caller's syndic (a
//! co-owner by name, a staff member by name or e-mail; the closest names when none fits), the
//! WhatsApp number (given, or the co-owner's registered one, normalised to international
//! digits), and says whether a co-owner account will be created; it writes nothing. `execute`
//! creates the account if needed, draws the token and records its SHA-256 only, in one
//! transaction under the confirmation's id: confirming twice creates one invitation, and the
//! second answer does not show the token again (it is not stored anywhere).

use crate::format::date;
use crate::scope::coproprietaire_label;
use crate::{Align, Planned, Render, Table, ToolContext, ToolError, WriteTool};
use chrono::{DateTime, Duration, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use wakil_schema::store::{
    CoproprietaireRef, Lookup, NouvelleInvitation, Tenant, Utilisateur, jeton_sha256,
};
use wakil_schema::{Caller, Canal, Role, StoreError, heure_locale};

pub struct Inviter;

/// The channel of an invitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CanalInvitation {
    #[serde(alias = "Telegram", alias = "TELEGRAM")]
    Telegram,
    #[serde(alias = "WhatsApp", alias = "Whatsapp", alias = "WHATSAPP")]
    Whatsapp,
}

impl CanalInvitation {
    fn canal(self) -> Canal {
        match self {
            CanalInvitation::Telegram => Canal::Telegram,
            CanalInvitation::Whatsapp => Canal::Whatsapp,
        }
    }
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// La personne à inviter : nom d'un copropriétaire, ou nom ou e-mail d'un membre de l'équipe.
    pub personne: String,
    /// Le canal : "telegram" ou "whatsapp".
    pub canal: CanalInvitation,
    /// WhatsApp : le numéro à relier ("06 12 34 56 78", "+212 6 12 34 56 78"). Obligatoire pour
    /// un membre de l'équipe ; pour un copropriétaire, son numéro enregistré est pris s'il est omis.
    #[serde(default)]
    pub telephone: Option<String>,
}

/// The confirmed action: who (ids), the channel, the number; labels to show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The invited user; none when a co-owner's account is to be created.
    pub user_id: Option<i64>,
    pub coproprietaire_id: Option<i64>,
    /// "Fatima Idrissi".
    pub nom: String,
    pub role: Role,
    /// The user's e-mail, or the one the account to create will have.
    pub email: Option<String>,
    /// A co-owner's lots: "A12 (Résidence Les Jardins de Guéliz)".
    pub lots: Option<String>,
    pub canal: Canal,
    /// WhatsApp: the number, international, digits only ("212612345678").
    pub telephone: Option<String>,
    /// The number as shown ("+212 6 12 34 56 78"): the figures of the question come from the plan.
    pub telephone_affiche: Option<String>,
    /// Days the invitation stays valid.
    pub jours: u32,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Output {
    pub invitation_id: i64,
    /// True when this confirmation had already created the invitation: nothing was written
    /// again, and its code is not shown again.
    pub deja_creee: bool,
    pub user_id: i64,
    pub nom: String,
    pub role: Role,
    /// True when the co-owner's account was created by this invitation.
    pub compte_cree: bool,
    pub email: Option<String>,
    pub canal: Canal,
    /// WhatsApp: the invited number (international, digits only).
    pub telephone: Option<String>,
    /// Telegram: `https://t.me/<bot>?start=<code>` when the bot's username is configured;
    /// WhatsApp: `https://wa.me/<number>?text=<code>` when the business number is.
    pub lien: Option<String>,
    /// The token (Telegram) or the 8-digit code (WhatsApp), shown once; none when the
    /// invitation had already been created.
    pub code: Option<String>,
    pub expire_le: DateTime<Utc>,
    /// What the person does with it, in French.
    pub instructions: String,
}

/// Tokens drawn again when one is already taken (any syndic's invitation).
const TIRAGES: usize = 5;

impl WriteTool for Inviter {
    const NAME: &'static str = "inviter";
    const DESCRIPTION: &'static str = "Crée une invitation à utiliser Wakil sur Telegram ou WhatsApp pour un \
        copropriétaire (par son nom) ou un membre de l'équipe (par son nom ou son e-mail) : un lien \
        Telegram, ou un code à envoyer sur WhatsApp depuis le numéro invité. Pour WhatsApp, le numéro \
        enregistré du copropriétaire est utilisé s'il n'est pas indiqué. Crée le compte d'un \
        copropriétaire qui n'en a pas. Rien n'est créé avant la confirmation de l'utilisateur.";
    type Args = Args;
    type Plan = Plan;
    type Output = Output;

    fn allowed(role: Role) -> bool {
        matches!(role, Role::Admin | Role::Gestionnaire)
    }

    async fn plan(
        ctx: &ToolContext,
        caller: &Caller,
        args: Args,
    ) -> Result<Planned<Plan>, ToolError> {
        let canal = args.canal.canal();
        let telephone = args
            .telephone
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(normaliser_telephone)
            .transpose()?;
        let mut t = ctx.store.tenant_read(caller.syndic_id).await?;
        let cible = personne(&mut t, caller, &args.personne).await?;
        let (user, copro) = match cible {
            Cible::Utilisateur(u) => {
                let copro = match u.coproprietaire_id {
                    Some(c) => t.coproprietaire_by_id(c, None).await?,
                    None => None,
                };
                (Some(u), copro)
            }
            Cible::Coproprietaire(c) => {
                let u = t.utilisateur_du_coproprietaire(c.id).await?;
                (u, Some(c))
            }
        };
        if let Some(u) = user.as_ref().filter(|u| !u.actif) {
            return Err(ToolError::InvalidArgs(format!(
                "Le compte de {} est désactivé : réactivez-le avant de l'inviter. Rien n'a été créé.",
                u.nom_complet
            )));
        }
        let coordonnees = match &copro {
            Some(c) => t.coordonnees_coproprietaire(c.id).await?,
            None => None,
        };
        t.commit().await?;

        let nom = match (&user, &copro) {
            (Some(u), _) => u.nom_complet.clone(),
            (None, Some(c)) => sans_civilite(&c.nom),
            (None, None) => return Err(ToolError::Internal("personne sans compte".into())),
        };
        let telephone = match (canal, telephone) {
            (Canal::Whatsapp, Some(t)) => Some(t),
            (Canal::Whatsapp, None) => {
                let enregistre = coordonnees
                    .as_ref()
                    .and_then(|c| c.telephone.as_deref())
                    .map(str::trim)
                    .filter(|t| !t.is_empty());
                match (enregistre, &copro) {
                    (Some(n), _) => Some(normaliser_telephone(n).map_err(|_| {
                        ToolError::InvalidArgs(format!(
                            "Le numéro enregistré de {nom} (« {n} ») n'est pas un numéro utilisable : \
                             indiquez son numéro WhatsApp (par exemple 06 12 34 56 78)."
                        ))
                    })?),
                    (None, Some(_)) => {
                        return Err(ToolError::InvalidArgs(format!(
                            "Aucun numéro n'est enregistré pour {nom} : indiquez son numéro WhatsApp \
                             (par exemple 06 12 34 56 78)."
                        )));
                    }
                    (None, None) => {
                        return Err(ToolError::InvalidArgs(format!(
                            "Indiquez le numéro WhatsApp de {nom} (par exemple 06 12 34 56 78) : \
                             le code ne sera accepté que depuis ce numéro."
                        )));
                    }
                }
            }
            // Telegram links whichever account opens the link: no number.
            _ => None,
        };
        let email = match &user {
            Some(u) => u.email.clone(),
            None => coordonnees
                .and_then(|c| c.email)
                .map(|e| e.trim().to_string())
                .filter(|e| !e.is_empty()),
        };
        let plan = Plan {
            user_id: user.as_ref().map(|u| u.id),
            coproprietaire_id: copro.as_ref().map(|c| c.id),
            role: user.as_ref().map_or(Role::Coproprietaire, |u| u.role),
            nom,
            email,
            lots: copro.map(|c| c.lots).filter(|l| !l.is_empty()),
            canal,
            telephone_affiche: telephone.as_deref().map(affichage),
            telephone,
            jours: ctx.limits.invitation_jours,
        };
        Ok(Planned {
            summary: question(&plan),
            tables: vec![plan_table(&plan)],
            plan,
        })
    }

    async fn execute(
        ctx: &ToolContext,
        caller: &Caller,
        plan: Plan,
        confirmation: Uuid,
    ) -> Result<Output, ToolError> {
        if !matches!(plan.canal, Canal::Telegram | Canal::Whatsapp) {
            return Err(ToolError::Internal(format!("canal {:?}", plan.canal)));
        }
        let mut t = ctx.store.tenant(caller.syndic_id).await?;
        if let Some(inv) = t.invitation_par_confirmation(confirmation).await? {
            let user = t.utilisateur(inv.user_id).await?;
            t.commit().await?;
            let role = user.as_ref().map_or(plan.role, |u| u.role);
            return Ok(Output {
                invitation_id: inv.id,
                deja_creee: true,
                user_id: inv.user_id,
                nom: inv.nom.clone(),
                role,
                compte_cree: false,
                email: user.and_then(|u| u.email),
                canal: inv.canal,
                telephone: inv.telephone.clone(),
                lien: None,
                code: None,
                expire_le: inv.expire_le,
                instructions: format!(
                    "Cette invitation a déjà été créée par cette confirmation ; son code n'est montré \
                     qu'une fois. Si {} ne l'a plus, créez une nouvelle invitation.",
                    inv.nom
                ),
            });
        }
        let (user, compte_cree) = invited_user(&mut t, &plan).await?;
        let expire_le = Utc::now() + Duration::days(i64::from(plan.jours));
        let mut tirage = 0;
        let (id, code) = loop {
            let code = tirer_code(plan.canal);
            let hash = jeton_sha256(&code);
            let created = t
                .create_invitation(&NouvelleInvitation {
                    user_id: user.id,
                    canal: plan.canal,
                    jeton_sha256: &hash,
                    telephone: plan.telephone.as_deref(),
                    cree_par: Some(caller.user_id),
                    confirmation_id: Some(confirmation),
                    expire_le,
                })
                .await;
            match created {
                Ok(id) => break (id, code),
                Err(StoreError::JetonDejaAttribue) if tirage + 1 < TIRAGES => tirage += 1,
                Err(e) => return Err(e.into()),
            }
        };
        t.commit().await?;
        let lien = lien(ctx, plan.canal, &code);
        let instructions = instructions(
            &user.nom_complet,
            plan.canal,
            plan.telephone.as_deref(),
            &code,
            lien.as_deref(),
            ctx.envoi
                .whatsapp
                .as_ref()
                .and_then(|w| w.numero.as_deref()),
            expire_le,
        );
        Ok(Output {
            invitation_id: id,
            deja_creee: false,
            user_id: user.id,
            nom: user.nom_complet,
            role: user.role,
            compte_cree,
            email: user.email,
            canal: plan.canal,
            telephone: plan.telephone,
            lien,
            code: Some(code),
            expire_le,
            instructions,
        })
    }
}

/// Who the arguments name.
enum Cible {
    Utilisateur(Utilisateur),
    /// A co-owner, with or without an account.
    Coproprietaire(CoproprietaireRef),
}

/// The person `query` names within the caller's syndic: an e-mail is a user's login; a name is
/// a co-owner's or a staff member's (both fitting: the caller is asked which).
async fn personne(t: &mut Tenant, caller: &Caller, query: &str) -> Result<Cible, ToolError> {
    let q = query.trim();
    if q.is_empty() {
        return Err(ToolError::InvalidArgs(
            "Indiquez la personne à inviter : le nom d'un copropriétaire, ou le nom ou l'e-mail \
             d'un membre de l'équipe."
                .into(),
        ));
    }
    if q.contains('@') {
        return match t.utilisateur_par_email(q).await? {
            Some(u) => Ok(Cible::Utilisateur(u)),
            None => Err(ToolError::NotFound {
                what: "utilisateur",
                query: q.to_string(),
                suggestions: Vec::new(),
            }),
        };
    }
    let copro = t.find_coproprietaire(q, caller.residence_scope()).await?;
    // A président's scope has no staff; admins and gestionnaires see them all.
    let staff = if caller.residence_scope().is_none() {
        t.find_staff(q).await?
    } else {
        Lookup::NotFound(Vec::new())
    };
    match (copro, staff) {
        (Lookup::Found(c), Lookup::NotFound(_)) => Ok(Cible::Coproprietaire(c)),
        (Lookup::NotFound(_), Lookup::Found(u)) => Ok(Cible::Utilisateur(u)),
        (Lookup::NotFound(c), Lookup::NotFound(s)) => Err(ToolError::NotFound {
            what: "personne",
            query: q.to_string(),
            suggestions: c
                .iter()
                .map(coproprietaire_label)
                .chain(s.iter().map(staff_label))
                .take(6)
                .collect(),
        }),
        (copro, staff) => {
            let candidates: Vec<String> = as_list(copro)
                .iter()
                .map(|c| format!("{} (n° {}, copropriétaire)", coproprietaire_label(c), c.id))
                .chain(as_list(staff).iter().map(staff_label))
                .take(8)
                .collect();
            Err(ToolError::InvalidArgs(format!(
                "Plusieurs personnes correspondent à « {q} » : {}. Précisez le nom complet, \
                 l'e-mail d'un membre de l'équipe ou le numéro (n°) du copropriétaire.",
                candidates.join(" ; ")
            )))
        }
    }
}

fn as_list<T>(l: Lookup<T>) -> Vec<T> {
    match l {
        Lookup::Found(x) => vec![x],
        Lookup::Ambiguous(v) => v,
        Lookup::NotFound(_) => Vec::new(),
    }
}

/// "Youssef Amrani (gestionnaire, y.amrani@atlas-syndic.ma)".
fn staff_label(u: &Utilisateur) -> String {
    match &u.email {
        Some(e) => format!("{} ({}, {e})", u.nom_complet, u.role.label()),
        None => format!("{} ({})", u.nom_complet, u.role.label()),
    }
}

/// "Mme Fatima Idrissi" → "Fatima Idrissi" (users are named without civilité).
fn sans_civilite(nom: &str) -> String {
    for c in ["M. ", "Mme ", "Société "] {
        if let Some(rest) = nom.strip_prefix(c) {
            return rest.to_string();
        }
    }
    nom.to_string()
}

/// The invited user, created for a co-owner without an account (or found if one was created
/// since the plan); whether it was created now.
async fn invited_user(t: &mut Tenant, plan: &Plan) -> Result<(Utilisateur, bool), ToolError> {
    let existing = match (plan.user_id, plan.coproprietaire_id) {
        (Some(id), _) => t.utilisateur(id).await?,
        (None, Some(c)) => t.utilisateur_du_coproprietaire(c).await?,
        (None, None) => None,
    };
    let (user, created) = match (existing, plan.coproprietaire_id) {
        (Some(u), _) => (u, false),
        (None, Some(c)) => (t.creer_utilisateur_coproprietaire(c).await?, true),
        (None, None) => {
            return Err(ToolError::InvalidArgs(format!(
                "Le compte de {} n'existe plus ; refaites la demande.",
                plan.nom
            )));
        }
    };
    if !user.actif {
        return Err(ToolError::InvalidArgs(format!(
            "Le compte de {} est désactivé : réactivez-le avant de l'inviter. Rien n'a été créé.",
            user.nom_complet
        )));
    }
    Ok((user, created))
}

/// A fresh token: 32 lower-case hex characters for Telegram (a valid `start` parameter), an
/// 8-digit code for WhatsApp; from the random bits of a version-4 UUID.
fn tirer_code(canal: Canal) -> String {
    let uuid = Uuid::new_v4();
    match canal {
        Canal::Whatsapp => {
            // The low 62 bits of a v4 UUID are random (the version and variant bits are above).
            let random = u128::from_be_bytes(*uuid.as_bytes()) & ((1u128 << 62) - 1);
            format!("{:08}", random % 100_000_000)
        }
        _ => uuid.simple().to_string(),
    }
}

/// The link that carries the code, when the bot's username or the business number is known.
fn lien(ctx: &ToolContext, canal: Canal, code: &str) -> Option<String> {
    match canal {
        Canal::Telegram => ctx
            .envoi
            .telegram
            .as_ref()
            .and_then(|t| t.bot_username.as_deref())
            .map(|bot| format!("https://t.me/{bot}?start={code}")),
        Canal::Whatsapp => ctx
            .envoi
            .whatsapp
            .as_ref()
            .and_then(|w| w.numero.as_deref())
            .map(|n| format!("https://wa.me/{n}?text={code}")),
        _ => None,
    }
}

/// "22/11/2026 à 14:05" (Morocco's time).
fn quand(t: DateTime<Utc>) -> String {
    let local = heure_locale(t);
    format!("{} à {}", date(local.date()), local.format("%H:%M"))
}

fn instructions(
    nom: &str,
    canal: Canal,
    telephone: Option<&str>,
    code: &str,
    lien: Option<&str>,
    numero_syndic: Option<&str>,
    expire_le: DateTime<Utc>,
) -> String {
    let validite = format!(
        "Valable jusqu'au {}, une seule fois. Transmettez-le à {nom} seulement.",
        quand(expire_le)
    );
    match (canal, lien) {
        (Canal::Telegram, Some(l)) => format!(
            "Ouvrez ce lien sur le téléphone de {nom}, puis appuyez sur Démarrer : {l}. {validite}"
        ),
        (Canal::Telegram, None) => format!(
            "Dans Telegram, ouvrez le bot du syndic et envoyez /start {code} depuis le compte de {nom}. \
             {validite}"
        ),
        (_, lien) => {
            let depuis = telephone.map_or_else(String::new, |t| format!(" {}", affichage(t)));
            let vers = numero_syndic.map_or_else(String::new, |n| format!(" ({})", affichage(n)));
            let lien = lien.map_or_else(String::new, |l| {
                format!(" (ou ouvrez ce lien sur ce téléphone : {l})")
            });
            format!(
                "Depuis le numéro{depuis}, envoyez ce code au numéro WhatsApp du syndic{vers} : \
                 {code}{lien}. {validite}"
            )
        }
    }
}

/// A number typed by a person, as WhatsApp knows it: international, digits only. A Moroccan
/// national number ("06 12 34 56 78") gets the country code 212; an international one is written
/// with '+' or "00" ("+33 6 12 34 56 78", "0033 6…") or starts with 212.
pub fn normaliser_telephone(saisi: &str) -> Result<String, ToolError> {
    let refus = || {
        ToolError::InvalidArgs(format!(
            "Numéro de téléphone non reconnu : « {} ». Indiquez un numéro marocain \
             (06 12 34 56 78) ou un numéro international avec son indicatif (+33 6 12 34 56 78).",
            saisi.trim()
        ))
    };
    let compact: String = saisi
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '.' | '-' | '/' | '(' | ')'))
        .collect();
    let (international, digits) = if let Some(rest) = compact.strip_prefix('+') {
        (true, rest)
    } else if let Some(rest) = compact.strip_prefix("00") {
        (true, rest)
    } else {
        (false, compact.as_str())
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(refus());
    }
    let numero = if international {
        digits.to_string()
    } else if let Some(national) = digits.strip_prefix('0') {
        // 05… fixed, 06 / 07 mobiles, 08… : ten digits with the leading zero.
        if national.len() != 9 || !matches!(national.as_bytes()[0], b'5'..=b'8') {
            return Err(refus());
        }
        format!("212{national}")
    } else if digits.starts_with("212") && digits.len() == 12 {
        digits.to_string()
    } else {
        return Err(refus());
    };
    if !(8..=15).contains(&numero.len()) || numero.starts_with('0') {
        return Err(refus());
    }
    // A Moroccan number has 9 digits after 212, the first one 5 to 8.
    if let Some(national) = numero.strip_prefix("212")
        && (national.len() != 9 || !matches!(national.as_bytes()[0], b'5'..=b'8'))
    {
        return Err(refus());
    }
    Ok(numero)
}

/// "212612345678" → "+212 6 12 34 56 78"; other countries "+33612345678".
pub fn affichage(numero: &str) -> String {
    match numero.strip_prefix("212") {
        Some(national) if national.len() == 9 => {
            let (first, rest) = national.split_at(1);
            let pairs: Vec<&str> = rest
                .as_bytes()
                .chunks(2)
                .filter_map(|c| std::str::from_utf8(c).ok())
                .collect();
            format!("+212 {first} {}", pairs.join(" "))
        }
        _ => format!("+{numero}"),
    }
}

fn qui(plan: &Plan) -> String {
    match &plan.lots {
        Some(lots) => format!("{} ({}, {lots})", plan.nom, plan.role.label()),
        None => format!("{} ({})", plan.nom, plan.role.label()),
    }
}

/// « Créer le compte copropriétaire de Fatima Idrissi (sans e-mail) et lui envoyer une invitation
/// WhatsApp (copropriétaire, A12 (…)) depuis le +212 6 12 34 56 78, valable 7 jours ? »
fn question(plan: &Plan) -> String {
    let compte = if plan.user_id.is_none() {
        match &plan.email {
            Some(e) => format!(
                "Un compte copropriétaire sera créé pour {} (e-mail {e}, sans mot de passe). ",
                plan.nom
            ),
            None => format!(
                "Un compte copropriétaire sera créé pour {} (sans e-mail ni mot de passe). ",
                plan.nom
            ),
        }
    } else {
        String::new()
    };
    let numero = plan.telephone.as_deref().map_or_else(String::new, |t| {
        format!(", depuis le numéro {}", affichage(t))
    });
    format!(
        "{compte}Inviter {} sur {}{numero}, invitation valable {} jours ?",
        qui(plan),
        plan.canal.label(),
        plan.jours
    )
}

fn plan_table(plan: &Plan) -> Table {
    let mut t = Table::new(
        format!("Invitation {}", plan.canal.label()),
        &[("", Align::Left), ("", Align::Left)],
    );
    t.row(vec!["Personne".into(), plan.nom.clone()]);
    t.row(vec!["Rôle".into(), plan.role.label().into()]);
    if let Some(lots) = &plan.lots {
        t.row(vec!["Lots".into(), lots.clone()]);
    }
    t.row(vec!["Canal".into(), plan.canal.label().into()]);
    if let Some(n) = &plan.telephone {
        t.row(vec!["Numéro WhatsApp".into(), affichage(n)]);
    }
    t.row(vec!["Validité".into(), format!("{} jours", plan.jours)]);
    t.row(vec![
        "Compte".into(),
        match (plan.user_id, &plan.email) {
            (Some(_), Some(e)) => format!("existant ({e})"),
            (Some(_), None) => "existant (sans e-mail)".into(),
            (None, Some(e)) => format!("à créer (e-mail {e}, sans mot de passe)"),
            (None, None) => "à créer (sans e-mail ni mot de passe)".into(),
        },
    ]);
    t
}

/// The summary never holds the code (it goes to the append-only audit log): the link, the code
/// and the instructions are in the table.
impl Render for Output {
    fn summary(&self) -> String {
        if self.deja_creee {
            return format!(
                "L'invitation {} de {} avait déjà été créée par cette confirmation (rien n'a été créé \
                 de nouveau) ; elle est valable jusqu'au {}. {}",
                self.canal.label(),
                self.nom,
                quand(self.expire_le),
                self.instructions
            );
        }
        let compte = if self.compte_cree {
            match &self.email {
                Some(e) => format!(" Son compte copropriétaire a été créé (e-mail {e})."),
                None => " Son compte copropriétaire a été créé (sans e-mail).".to_string(),
            }
        } else {
            String::new()
        };
        format!(
            "Invitation {} créée pour {} ({}).{compte} Le {} et les instructions ci-dessous ne sont \
             montrés qu'une fois.",
            self.canal.label(),
            self.nom,
            self.role.label(),
            if self.lien.is_some() { "lien" } else { "code" }
        )
    }

    fn tables(&self) -> Vec<Table> {
        let mut t = Table::new(
            format!("Invitation {}", self.canal.label()),
            &[("", Align::Left), ("", Align::Left)],
        );
        t.row(vec!["Personne".into(), self.nom.clone()]);
        if let Some(n) = &self.telephone {
            t.row(vec!["Numéro WhatsApp".into(), affichage(n)]);
        }
        if let Some(l) = &self.lien {
            t.row(vec!["Lien".into(), l.clone()]);
        }
        if let Some(c) = &self.code {
            t.row(vec!["Code".into(), c.clone()]);
        }
        t.row(vec!["Valable jusqu'au".into(), quand(self.expire_le)]);
        if self.code.is_some() {
            t.row(vec!["Instructions".into(), self.instructions.clone()]);
        }
        vec![t]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moroccan_and_international_numbers_become_digits() {
        for (saisi, attendu) in [
            ("06 12 34 56 78", "212612345678"),
            ("0612345678", "212612345678"),
            ("06.12.34.56.78", "212612345678"),
            ("07-12-34-56-78", "212712345678"),
            ("05 22 12 34 56", "212522123456"),
            ("+212 6 12 34 56 78", "212612345678"),
            ("+212612345678", "212612345678"),
            ("00212 6 12 34 56 78", "212612345678"),
            ("212612345678", "212612345678"),
            ("+33 6 12 34 56 78", "33612345678"),
            ("0033 6 12 34 56 78", "33612345678"),
            ("+1 (415) 555-0100", "14155550100"),
        ] {
            assert_eq!(normaliser_telephone(saisi).unwrap(), attendu, "{saisi}");
        }
    }

    #[test]
    fn anything_else_is_refused_clearly() {
        for saisi in [
            "",
            "abc",
            "06 12 34 56",
            "06 12 34 56 78 9",
            "01 23 45 67 89",
            "612345678",
            "33612345678",
            "+212 6 12 34",
            "+212 1 12 34 56 78",
            "+0 612345678",
            "+1234567",
            "+1234567890123456",
            "06 12 34 56 7x",
        ] {
            let e = normaliser_telephone(saisi).unwrap_err().to_string();
            assert!(
                e.starts_with("Numéro de téléphone non reconnu"),
                "{saisi}: {e}"
            );
            assert!(e.contains("06 12 34 56 78"), "{e}");
        }
    }

    #[test]
    fn numbers_are_shown_the_moroccan_way() {
        assert_eq!(affichage("212612345678"), "+212 6 12 34 56 78");
        assert_eq!(affichage("33612345678"), "+33612345678");
    }

    #[test]
    fn tokens_fit_their_channel() {
        for _ in 0..200 {
            let t = tirer_code(Canal::Telegram);
            assert_eq!(t.len(), 32);
            assert!(
                t.chars()
                    .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
            );
            let w = tirer_code(Canal::Whatsapp);
            assert_eq!(w.len(), 8);
            assert!(w.chars().all(|c| c.is_ascii_digit()));
        }
        assert_ne!(tirer_code(Canal::Telegram), tirer_code(Canal::Telegram));
    }

    #[test]
    fn instructions_say_what_to_do() {
        let expire = Utc::now() + Duration::days(7);
        let t = instructions(
            "Fatima Idrissi",
            Canal::Telegram,
            None,
            "ab12",
            Some("https://t.me/AtlasBot?start=ab12"),
            None,
            expire,
        );
        assert!(
            t.starts_with(
                "Ouvrez ce lien sur le téléphone de Fatima Idrissi, puis appuyez sur Démarrer : \
                 https://t.me/AtlasBot?start=ab12."
            ),
            "{t}"
        );
        let t = instructions("X", Canal::Telegram, None, "ab12", None, None, expire);
        assert!(t.contains("envoyez /start ab12"), "{t}");
        let t = instructions(
            "X",
            Canal::Whatsapp,
            Some("212612345678"),
            "12345678",
            None,
            Some("212522123456"),
            expire,
        );
        assert!(
            t.starts_with(
                "Depuis le numéro +212 6 12 34 56 78, envoyez ce code au numéro WhatsApp du syndic \
                 (+212 5 22 12 34 56) : 12345678."
            ),
            "{t}"
        );
    }
}
