//! The one generator behind the demo and the benchmark: builds the rows of a syndic and its
//! résidences in memory, deterministically, with explicit ids.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, TimeZone, Utc, Weekday};
use rust_decimal::Decimal;
use serde_json::json;

use crate::decoupage::{self, Page};
use crate::money::{OpenEcheance, allocate_oldest_first, split_amount, split_largest_remainder};
use crate::types::{
    Canal, Categorie, ChoixVote, Langue, LotType, Majorite, ModePaiement, Presence, Role,
    StatutFacture, TypeAg, TypeAppel, TypeDocument, Visibilite,
};

use super::data::{
    Distributeur, EMAIL_DOMAINS, NOMS, PRENOMS_F, PRENOMS_M, fmt_date, fmt_date_longue, fmt_mad,
    slug,
};
use super::layout::Layout;
use super::rng::Rng;
use super::tables::*;
use super::{SeedError, SeedUser};

/// How co-owner e-mails and phone numbers are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// `prenom.nom@gmail.com`, random `+2126…` numbers, unique across the run.
    Realistic,
    /// Derived from the co-owner's id (`prenom.nom.123@exemple.ma`, `+2127…`): unique in any
    /// database, at any scale, without bookkeeping.
    Synthetic,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum SupplierKey {
    Distributeur(&'static str),
    Ascenseur,
    Gardiennage,
    Nettoyage,
    Jardinage,
    Assurance,
    Honoraires,
    Entretien,
    Travaux,
}

#[derive(Debug, Clone)]
pub(crate) struct SupplierSpec {
    pub key: SupplierKey,
    pub nom: String,
    pub categorie: Categorie,
    pub prefixe: String,
    pub telephone: Option<String>,
    pub email: Option<String>,
    /// Fixed ICE (the syndic billing its own fees); otherwise drawn.
    pub ice: Option<String>,
}

impl SupplierSpec {
    pub(crate) fn new(key: SupplierKey, nom: &str, categorie: Categorie, prefixe: &str) -> Self {
        SupplierSpec {
            key,
            nom: nom.to_string(),
            categorie,
            prefixe: prefixe.to_string(),
            telephone: None,
            email: None,
            ice: None,
        }
    }

    pub(crate) fn distributeur(d: Distributeur) -> Self {
        let mut s = SupplierSpec::new(
            SupplierKey::Distributeur(d.nom),
            d.nom,
            Categorie::Electricite,
            d.prefixe,
        );
        s.telephone = Some(d.telephone.to_string());
        s
    }

    pub(crate) fn contact(mut self, telephone: &str, email: &str) -> Self {
        self.telephone = Some(telephone.to_string());
        self.email = Some(email.to_string());
        self
    }
}

#[derive(Debug, Clone)]
pub(crate) struct StaffSpec {
    pub role: Role,
    pub nom_complet: String,
    pub email: String,
}

/// What to add around the finances of a résidence (the demo's extras).
#[derive(Debug, Clone, Default)]
pub(crate) struct Extras {
    /// An ordinary AG in June of Y-1 with its agenda, attendance, votes and PV document.
    pub ag: bool,
    /// The règlement de copropriété as a chunked document.
    pub reglement: Option<&'static str>,
    /// Index of an OCR-extracted draft invoice template.
    pub draft: Option<usize>,
    pub lieu_ag: String,
    /// Other documents of the résidence's library (contracts, letters, notes).
    pub documents: &'static [DemoDocument],
}

/// A markdown document of a résidence's library, recorded like the règlement (chunked by `## `
/// section).
#[derive(Debug, Clone, Copy)]
pub(crate) struct DemoDocument {
    /// The title stored; the same as the text's `# ` heading.
    pub titre: &'static str,
    /// The markdown text (`include_str!`).
    pub texte: &'static str,
    pub type_document: TypeDocument,
    pub date: NaiveDate,
    pub visibilite: Visibilite,
}

#[derive(Debug, Clone)]
pub(crate) struct ResidenceSpec {
    pub nom: String,
    pub adresse: String,
    pub ville: String,
    pub lat: Decimal,
    pub lon: Decimal,
    pub layout: Layout,
    /// Used in the président's login (`president.<slug>@<domain>`).
    pub slug: String,
    pub distributeur: Distributeur,
    pub chronic: usize,
    pub overpayer: bool,
    /// The first shop belongs to this company.
    pub societe: Option<String>,
    pub late_per_mille: u64,
    /// Verified Telegram / WhatsApp links of co-owners, and unverified ones.
    pub telegram: usize,
    pub whatsapp: usize,
    pub unverified: usize,
    pub president_telegram: bool,
    /// The account of the syndicat des copropriétaires (bank, 24-digit RIB), printed on notices.
    pub compte: Option<(&'static str, &'static str)>,
    /// Logins for the co-owners with an e-mail and for the président.
    pub logins: bool,
    pub demandes: usize,
    pub extras: Extras,
    /// Budget factor in per mille of the layout's budget.
    pub budget_per_mille: i64,
}

#[derive(Debug, Clone)]
pub(crate) struct SyndicSpec {
    pub nom: String,
    pub ice: String,
    pub ville: String,
    pub telephone: String,
    pub email: String,
    pub domain: String,
    pub style: Style,
    pub seed: u64,
    pub staff: Vec<StaffSpec>,
    /// Staff logins with a verified Telegram link (demo).
    pub staff_telegram: Vec<Role>,
    pub suppliers: Vec<SupplierSpec>,
    pub residences: Vec<ResidenceSpec>,
    /// List notable co-owner logins (debtors, credit, linked channels) in the report.
    pub report_coowners: bool,
}

/// What the generator hands over: rows, and what the report shows.
#[derive(Debug, Default)]
pub(crate) struct Chunk {
    pub batch: Batch,
    pub users: Vec<SeedUser>,
    pub syndics: Vec<(i64, String, u32)>,
}

#[derive(Debug)]
struct SupplierState {
    id: i64,
    nom: String,
    ice: String,
    prefixe: String,
    seq: u64,
}

struct SyndicCtx {
    id: i64,
    nom: String,
    domain: String,
    style: Style,
    gestionnaire: Option<i64>,
    comptable: Option<i64>,
    suppliers: BTreeMap<SupplierKey, SupplierState>,
    pay_seq: u64,
    report: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Profile {
    OnTime,
    Late,
    /// Pays the first `n` calls, then only a few partial amounts.
    Chronic(usize),
    Overpayer,
}

#[derive(Debug)]
struct Owner {
    id: i64,
    civilite: &'static str,
    prenom: Option<String>,
    nom: String,
    email: Option<String>,
    telephone: String,
    langue: Langue,
    lots: Vec<usize>,
    depuis: NaiveDate,
    profile: Profile,
    mode: ModePaiement,
    user_id: Option<i64>,
    tantiemes: i32,
}

impl Owner {
    /// `Khadija Lahlou` (logins) — the company name for a company.
    fn nom(&self) -> String {
        match &self.prenom {
            Some(p) => format!("{p} {}", self.nom),
            None => self.nom.clone(),
        }
    }

    /// `Mme Khadija Lahlou` (minutes).
    fn nom_complet(&self) -> String {
        match &self.prenom {
            Some(p) => format!("{} {} {}", self.civilite, p, self.nom),
            None => self.nom.clone(),
        }
    }
}

#[derive(Debug, Clone)]
struct AppelPlan {
    kind: TypeAppel,
    budget_id: Option<i64>,
    libelle: String,
    debut: NaiveDate,
    fin: NaiveDate,
    total: Decimal,
    emission: NaiveDate,
    echeance: NaiveDate,
}

pub(crate) fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

pub(crate) fn add_days(d: NaiveDate, n: i64) -> NaiveDate {
    d.checked_add_signed(TimeDelta::days(n)).unwrap_or(d)
}

fn month_end(y: i32, m: u32) -> NaiveDate {
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    add_days(ymd(ny, nm, 1), -1)
}

/// A local time in Casablanca as a timestamp.
pub(crate) fn at(d: NaiveDate, h: u32, m: u32) -> DateTime<Utc> {
    let ndt = d.and_hms_opt(h, m, 0).unwrap_or_default();
    match chrono_tz::Africa::Casablanca
        .from_local_datetime(&ndt)
        .earliest()
    {
        Some(t) => t.with_timezone(&Utc),
        None => Utc.from_utc_datetime(&ndt),
    }
}

fn centimes(c: i64) -> Decimal {
    Decimal::new(c, 2)
}

fn to_c(d: Decimal) -> i64 {
    crate::money::to_centimes(d.round_dp(2)).unwrap_or(0)
}

/// HT and TVA (rounded half up to the centime, like PostgreSQL's `round`) from a TTC target.
fn ht_tva(ttc_target_c: i64, taux: i64) -> (i64, i64) {
    let ht = (ttc_target_c * 100 + (100 + taux) / 2) / (100 + taux);
    let tva = (ht * taux + 50) / 100;
    (ht, tva)
}

const EAU_SAISON: [i64; 12] = [80, 80, 90, 100, 110, 125, 135, 135, 115, 100, 85, 80];
const ELEC_SAISON: [i64; 12] = [115, 110, 100, 90, 90, 100, 105, 105, 95, 95, 100, 115];

const DRAFTS: &[(SupplierKey, Categorie, &str, i64)] = &[
    (
        SupplierKey::Entretien,
        Categorie::Entretien,
        "Remplacement de la pompe de relevage du sous-sol",
        1_380_000,
    ),
    (
        SupplierKey::Ascenseur,
        Categorie::Ascenseur,
        "Remplacement des câbles de traction de l'ascenseur",
        2_940_000,
    ),
    (
        SupplierKey::Jardinage,
        Categorie::Jardinage,
        "Élagage de 14 palmiers et évacuation des palmes",
        840_000,
    ),
];

/// What a request needs the building to have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Besoin {
    Rien,
    Ascenseur,
    Jardin,
    Parking,
}

const DEMANDES: &[(&str, Besoin)] = &[
    (
        "La lumière de la cage d'escalier ne fonctionne plus à mon étage depuis trois jours.",
        Besoin::Rien,
    ),
    (
        "Fuite d'eau au plafond du parking, au niveau de ma place de stationnement.",
        Besoin::Parking,
    ),
    (
        "L'ascenseur est bloqué au rez-de-chaussée, merci d'envoyer un technicien.",
        Besoin::Ascenseur,
    ),
    (
        "Le portail du parking ne se referme plus correctement, il reste entrouvert la nuit.",
        Besoin::Parking,
    ),
    (
        "Infiltration d'eau dans la chambre après la pluie, probablement depuis la terrasse.",
        Besoin::Rien,
    ),
    (
        "Le jardinier n'est pas passé depuis deux semaines, les haies débordent sur l'allée.",
        Besoin::Jardin,
    ),
    (
        "L'interphone de l'entrée principale est en panne, les visiteurs ne peuvent pas sonner.",
        Besoin::Rien,
    ),
    (
        "Odeur persistante dans le local poubelles du rez-de-chaussée.",
        Besoin::Rien,
    ),
];

/// A budget: year, id, lines (category, MAD).
type Budget = (i32, i64, Vec<(Categorie, i64)>);

/// An agenda item: title, description, and the resolution put to the vote (majority, whether
/// the room is favourable, text).
type AgItem = (&'static str, String, Option<(Majorite, bool, String)>);

/// Builds the rows; ids continue from the maxima read under lock.
pub(crate) struct Generator {
    pub ids: Ids,
    today: NaiveDate,
    y: i32,
    used_emails: HashSet<String>,
    used_names: HashSet<String>,
    used_phones: HashSet<String>,
    used_telegram: HashSet<String>,
}

impl Generator {
    pub(crate) fn new(ids: Ids, today: NaiveDate) -> Self {
        Generator {
            ids,
            today,
            y: today.year(),
            used_emails: HashSet::new(),
            used_names: HashSet::new(),
            used_phones: HashSet::new(),
            used_telegram: HashSet::new(),
        }
    }

    /// Generates every syndic, handing over a chunk every `per_chunk` résidences. `emit`
    /// returns false when the receiver is gone, which stops the generation.
    pub(crate) fn run(
        mut self,
        syndics: &[SyndicSpec],
        per_chunk: usize,
        mut emit: impl FnMut(Chunk) -> bool,
    ) -> Result<(), SeedError> {
        let mut chunk = Chunk::default();
        let mut in_chunk = 0;
        for spec in syndics {
            let mut ctx = self.syndic(spec, &mut chunk)?;
            for (i, r) in spec.residences.iter().enumerate() {
                let mut rng = Rng::derive(spec.seed, i as u64 + 1);
                self.residence(&mut ctx, r, &mut rng, &mut chunk)?;
                in_chunk += 1;
                if in_chunk >= per_chunk {
                    if !emit(std::mem::take(&mut chunk)) {
                        return Ok(());
                    }
                    in_chunk = 0;
                }
            }
        }
        emit(chunk);
        Ok(())
    }

    fn syndic(&mut self, spec: &SyndicSpec, chunk: &mut Chunk) -> Result<SyndicCtx, SeedError> {
        let b = &mut chunk.batch;
        let mut rng = Rng::derive(spec.seed, 0);
        let id = next(&mut self.ids.syndics);
        b.syndics.push(SyndicRow {
            id,
            nom: spec.nom.clone(),
            ice: Some(spec.ice.clone()),
            ville: Some(spec.ville.clone()),
            telephone: Some(spec.telephone.clone()),
            email: Some(spec.email.clone()),
        });
        chunk
            .syndics
            .push((id, spec.nom.clone(), spec.residences.len() as u32));
        let mut ctx = SyndicCtx {
            id,
            nom: spec.nom.clone(),
            domain: spec.domain.clone(),
            style: spec.style,
            gestionnaire: None,
            comptable: None,
            suppliers: BTreeMap::new(),
            pay_seq: 0,
            report: spec.report_coowners,
        };
        for s in &spec.staff {
            let uid = next(&mut self.ids.users);
            self.used_emails.insert(s.email.to_lowercase());
            self.used_names.insert(s.nom_complet.clone());
            b.users.push(UserRow {
                id: uid,
                syndic_id: id,
                email: s.email.clone(),
                nom_complet: s.nom_complet.clone(),
                role: s.role,
                coproprietaire_id: None,
                residence_id: None,
                langue: Langue::Fr,
                password_hash: Some(super::DEMO_PASSWORD_HASH.into()),
            });
            match s.role {
                Role::Gestionnaire => ctx.gestionnaire = ctx.gestionnaire.or(Some(uid)),
                Role::Comptable => ctx.comptable = ctx.comptable.or(Some(uid)),
                _ => {}
            }
            chunk.users.push(SeedUser {
                syndic: spec.nom.clone(),
                email: s.email.clone(),
                role: s.role,
                nom_complet: s.nom_complet.clone(),
                residence: None,
                note: None,
            });
            if spec.staff_telegram.contains(&s.role) {
                let chat = self.telegram_id(&mut rng, uid, spec.style);
                let verifie = at(add_days(self.today, -rng.range(20, 300)), 9, 15);
                b.channel_links.push(ChannelLinkRow {
                    id: next(&mut self.ids.channel_links),
                    syndic_id: id,
                    user_id: uid,
                    canal: Canal::Telegram,
                    identifiant: chat.clone(),
                    verifie_le: Some(verifie),
                });
                if let Some(u) = chunk.users.last_mut() {
                    u.note = Some(format!("Telegram vérifié (chat {chat})"));
                }
            }
        }
        // The comptable records payments; without one, the gestionnaire does.
        if ctx.comptable.is_none() {
            ctx.comptable = ctx.gestionnaire;
        }
        let mut ices = HashSet::new();
        for s in &spec.suppliers {
            let fid = next(&mut self.ids.fournisseurs);
            let ice = match &s.ice {
                Some(i) => i.clone(),
                None => loop {
                    let i = format!("00{}", rng.digits(13));
                    if !ices.contains(&i) {
                        break i;
                    }
                },
            };
            ices.insert(ice.clone());
            b.fournisseurs.push(FournisseurRow {
                id: fid,
                syndic_id: id,
                nom: s.nom.clone(),
                ice: Some(ice.clone()),
                categorie: s.categorie,
                telephone: s.telephone.clone(),
                email: s.email.clone(),
                rib: Some(rng.digits(24)),
            });
            ctx.suppliers.insert(
                s.key,
                SupplierState {
                    id: fid,
                    nom: s.nom.clone(),
                    ice,
                    prefixe: s.prefixe.clone(),
                    seq: rng.range(100, 900) as u64,
                },
            );
        }
        Ok(ctx)
    }

    fn telegram_id(&mut self, rng: &mut Rng, user_id: i64, style: Style) -> String {
        match style {
            Style::Synthetic => format!("{}", 8_000_000_000_i64 + user_id),
            Style::Realistic => loop {
                let c = format!("{}", rng.range(1_000_000_000, 6_999_999_999));
                if self.used_telegram.insert(c.clone()) {
                    break c;
                }
            },
        }
    }

    fn person(&mut self, rng: &mut Rng, style: Style) -> (&'static str, String, String) {
        for attempt in 0.. {
            let female = rng.chance(450);
            let prenom = if female {
                *rng.pick(PRENOMS_F)
            } else {
                *rng.pick(PRENOMS_M)
            };
            let nom = *rng.pick(NOMS);
            let civ = if female { "Mme" } else { "M." };
            if style == Style::Synthetic || attempt > 50 {
                return (civ, prenom.to_string(), nom.to_string());
            }
            if self.used_names.insert(format!("{prenom} {nom}")) {
                return (civ, prenom.to_string(), nom.to_string());
            }
        }
        ("M.", "Karim".to_string(), "Alami".to_string())
    }

    fn email(&mut self, rng: &mut Rng, style: Style, prenom: &str, nom: &str, id: i64) -> String {
        match style {
            Style::Synthetic => format!("{}.{}.{id}@exemple.ma", slug(prenom), slug(nom)),
            Style::Realistic => {
                let domain = *rng.pick(EMAIL_DOMAINS);
                let base = format!("{}.{}", slug(prenom), slug(nom));
                let mut e = format!("{base}@{domain}");
                let mut k = 1;
                while !self.used_emails.insert(e.clone()) {
                    k += 1;
                    e = format!("{base}{k}@{domain}");
                }
                e
            }
        }
    }

    fn phone(&mut self, rng: &mut Rng, style: Style, id: i64) -> String {
        match style {
            Style::Synthetic => format!("+2127{:08}", id % 100_000_000),
            Style::Realistic => loop {
                let p = format!("+2126{}{}", rng.range(1, 9), rng.digits(7));
                if self.used_phones.insert(p.clone()) {
                    break p;
                }
            },
        }
    }

    #[allow(clippy::too_many_lines)]
    fn residence(
        &mut self,
        sy: &mut SyndicCtx,
        spec: &ResidenceSpec,
        rng: &mut Rng,
        chunk: &mut Chunk,
    ) -> Result<(), SeedError> {
        let today = self.today;
        let y = self.y;
        let rid = next(&mut self.ids.residences);
        chunk.batch.residences.push(ResidenceRow {
            id: rid,
            syndic_id: sy.id,
            nom: spec.nom.clone(),
            adresse: spec.adresse.clone(),
            ville: spec.ville.clone(),
            latitude: Some(spec.lat),
            longitude: Some(spec.lon),
            base_tantiemes: 1000,
            banque: spec.compte.map(|c| c.0),
            rib: spec.compte.map(|c| c.1),
        });
        // The distributor's contract number for the résidence, as its bills print it: derived
        // from the ids (not drawn), so the rest of the demo data stays the same.
        if let Some(d) = sy
            .suppliers
            .get(&SupplierKey::Distributeur(spec.distributeur.nom))
        {
            chunk
                .batch
                .references_fournisseurs
                .push(ReferenceFournisseurRow {
                    id: next(&mut self.ids.references_fournisseurs),
                    syndic_id: sy.id,
                    residence_id: rid,
                    fournisseur_id: d.id,
                    reference: format!(
                        "{}-{:08}",
                        d.prefixe,
                        (rid * 104_729 + 7_919) % 100_000_000
                    ),
                });
        }

        // Lots and their quote-parts: weighted surfaces split exactly over the base.
        let plan = spec.layout.lots(rng);
        let weights: Vec<u64> = plan.iter().map(|l| l.weight()).collect();
        let tantiemes = split_largest_remainder(1000, &weights)
            .ok_or_else(|| SeedError::Generator("tantièmes split failed".into()))?;
        if tantiemes.iter().any(|&t| t <= 0) {
            return Err(SeedError::Generator(format!(
                "a lot of {} has 0 tantième",
                spec.nom
            )));
        }
        let mut lot_ids = Vec::with_capacity(plan.len());
        for (l, &t) in plan.iter().zip(&tantiemes) {
            let id = next(&mut self.ids.lots);
            lot_ids.push(id);
            chunk.batch.lots.push(LotRow {
                id,
                syndic_id: sy.id,
                residence_id: rid,
                numero: l.numero.clone(),
                r#type: l.kind,
                etage: Some(l.etage),
                surface_m2: Some(Decimal::new(l.half_m2 * 50, 2)),
                tantiemes: t as i32,
            });
        }

        // Owners: one per flat and shop (the first shop may belong to a company); parkings go
        // to flat owners, who then hold two lots.
        let mut owners: Vec<Owner> = Vec::new();
        let mut lot_owner = vec![usize::MAX; plan.len()];
        let mut societe_done = false;
        for (i, l) in plan.iter().enumerate() {
            if l.kind == LotType::Parking {
                continue;
            }
            let id = next(&mut self.ids.coproprietaires);
            let depuis = ymd(
                y - 2 - rng.range(0, 12) as i32,
                rng.range(1, 12) as u32,
                rng.range(1, 28) as u32,
            );
            let langue = if rng.chance(130) {
                Langue::Ar
            } else {
                Langue::Fr
            };
            let mode = match rng.below(100) {
                0..=59 => ModePaiement::Virement,
                60..=89 => ModePaiement::Cheque,
                90..=94 => ModePaiement::Especes,
                _ => ModePaiement::Terminal,
            };
            let telephone = self.phone(rng, sy.style, id);
            let owner = if l.kind == LotType::Commerce && !societe_done && spec.societe.is_some() {
                societe_done = true;
                let nom = spec.societe.clone().unwrap_or_default();
                let email = match sy.style {
                    Style::Realistic => {
                        let e = format!(
                            "contact@{}.ma",
                            slug(&nom).replace("-sarl", "").replace('-', "")
                        );
                        self.used_emails.insert(e.clone());
                        e
                    }
                    Style::Synthetic => format!("contact.{id}@exemple.ma"),
                };
                Owner {
                    id,
                    civilite: "Société",
                    prenom: None,
                    nom,
                    email: Some(email),
                    telephone,
                    langue: Langue::Fr,
                    lots: vec![i],
                    depuis,
                    profile: Profile::OnTime,
                    mode: ModePaiement::Virement,
                    user_id: None,
                    tantiemes: 0,
                }
            } else {
                let (civ, prenom, nom) = self.person(rng, sy.style);
                let email = if rng.chance(860) {
                    Some(self.email(rng, sy.style, &prenom, &nom, id))
                } else {
                    None
                };
                Owner {
                    id,
                    civilite: civ,
                    prenom: Some(prenom),
                    nom,
                    email,
                    telephone,
                    langue,
                    lots: vec![i],
                    depuis,
                    profile: Profile::OnTime,
                    mode,
                    user_id: None,
                    tantiemes: 0,
                }
            };
            lot_owner[i] = owners.len();
            owners.push(owner);
        }
        let mut flat_owners: Vec<usize> = (0..owners.len())
            .filter(|&o| {
                owners[o]
                    .lots
                    .iter()
                    .all(|&l| plan[l].kind == LotType::Appartement)
            })
            .collect();
        rng.shuffle(&mut flat_owners);
        let mut next_flat = flat_owners.iter().copied().cycle();
        for (i, l) in plan.iter().enumerate() {
            if l.kind == LotType::Parking {
                let o = next_flat.next().unwrap_or(0);
                lot_owner[i] = o;
                owners[o].lots.push(i);
            }
        }
        for o in &mut owners {
            o.tantiemes = o.lots.iter().map(|&l| tantiemes[l] as i32).sum();
        }

        // Profiles: the président pays on time; debtors and the over-payer have an e-mail.
        let mut candidates: Vec<usize> = flat_owners
            .iter()
            .copied()
            .filter(|&o| owners[o].email.is_some())
            .collect();
        candidates.sort_unstable();
        rng.shuffle(&mut candidates);
        let president = candidates.first().copied();
        let mut pool = candidates.iter().skip(1).copied();
        let mut chronic = Vec::new();
        for _ in 0..spec.chronic {
            if let Some(o) = pool.next() {
                owners[o].profile = Profile::Chronic(rng.range(1, 2) as usize);
                chronic.push(o);
            }
        }
        let overpayer = if spec.overpayer { pool.next() } else { None };
        if let Some(o) = overpayer {
            owners[o].profile = Profile::Overpayer;
        }
        let linked: Vec<usize> = pool
            .take(spec.telegram + spec.whatsapp + spec.unverified)
            .collect();
        for (k, o) in owners.iter_mut().enumerate() {
            if o.profile == Profile::OnTime
                && Some(k) != president
                && !linked.contains(&k)
                && o.civilite != "Société"
                && rng.chance(spec.late_per_mille)
            {
                o.profile = Profile::Late;
            }
        }

        for (k, o) in owners.iter().enumerate() {
            chunk.batch.coproprietaires.push(CoproprietaireRow {
                id: o.id,
                syndic_id: sy.id,
                civilite: Some(o.civilite),
                prenom: o.prenom.clone(),
                nom: o.nom.clone(),
                email: o.email.clone(),
                telephone: Some(o.telephone.clone()),
                langue: o.langue,
                adresse: (o.civilite == "Société")
                    .then(|| format!("Local {}, {}", plan[o.lots[0]].numero, spec.adresse)),
            });
            for &l in &o.lots {
                chunk.batch.proprietes.push(ProprieteRow {
                    id: next(&mut self.ids.proprietes),
                    syndic_id: sy.id,
                    lot_id: lot_ids[l],
                    coproprietaire_id: o.id,
                    depuis: if plan[l].kind == LotType::Parking && k % 3 == 0 {
                        // Some bought their parking later than their flat.
                        add_days(o.depuis, rng.range(200, 900)).min(ymd(y - 2, 12, 31))
                    } else {
                        o.depuis
                    },
                    jusqu_au: None,
                });
            }
        }

        // Logins: every co-owner with an e-mail, and the président of the conseil syndical.
        for o in owners.iter_mut().filter(|_| spec.logins) {
            if let Some(email) = &o.email {
                let uid = next(&mut self.ids.users);
                o.user_id = Some(uid);
                chunk.batch.users.push(UserRow {
                    id: uid,
                    syndic_id: sy.id,
                    email: email.clone(),
                    nom_complet: o.nom(),
                    role: Role::Coproprietaire,
                    coproprietaire_id: Some(o.id),
                    residence_id: None,
                    langue: o.langue,
                    password_hash: Some(super::DEMO_PASSWORD_HASH.into()),
                });
            }
        }
        let lot_list = |o: &Owner| -> String {
            o.lots
                .iter()
                .map(|&l| plan[l].numero.as_str())
                .collect::<Vec<_>>()
                .join(" + ")
        };
        if let Some(p) = president.filter(|_| spec.logins) {
            let uid = next(&mut self.ids.users);
            let email = format!("president.{}@{}", spec.slug, sy.domain);
            let name = owners[p].nom();
            chunk.batch.users.push(UserRow {
                id: uid,
                syndic_id: sy.id,
                email: email.clone(),
                nom_complet: name.clone(),
                role: Role::President,
                coproprietaire_id: None,
                residence_id: Some(rid),
                langue: owners[p].langue,
                password_hash: Some(super::DEMO_PASSWORD_HASH.into()),
            });
            let mut note = format!("copropriétaire du lot {}", lot_list(&owners[p]));
            if spec.president_telegram {
                let chat = self.telegram_id(rng, uid, sy.style);
                chunk.batch.channel_links.push(ChannelLinkRow {
                    id: next(&mut self.ids.channel_links),
                    syndic_id: sy.id,
                    user_id: uid,
                    canal: Canal::Telegram,
                    identifiant: chat.clone(),
                    verifie_le: Some(at(add_days(today, -rng.range(10, 200)), 20, 5)),
                });
                note.push_str(&format!(", Telegram vérifié (chat {chat})"));
            }
            if sy.report {
                chunk.users.push(SeedUser {
                    syndic: sy.nom.clone(),
                    email,
                    role: Role::President,
                    nom_complet: name,
                    residence: Some(spec.nom.clone()),
                    note: Some(note),
                });
            }
        }

        // Channel links of co-owners: Telegram and WhatsApp, verified or pending.
        let mut notes: BTreeMap<usize, Vec<String>> = BTreeMap::new();
        let mut link_targets: Vec<(usize, Canal, bool)> = Vec::new();
        if let Some(&c) = chronic.first() {
            link_targets.push((c, Canal::Whatsapp, true));
        }
        if let Some(o) = overpayer {
            link_targets.push((o, Canal::Telegram, true));
        }
        let mut li = linked.iter().copied();
        for _ in 0..spec.telegram {
            if let Some(o) = li.next() {
                link_targets.push((o, Canal::Telegram, true));
            }
        }
        for _ in 0..spec.whatsapp {
            if let Some(o) = li.next() {
                link_targets.push((o, Canal::Whatsapp, true));
            }
        }
        for _ in 0..spec.unverified {
            if let Some(o) = li.next() {
                link_targets.push((o, Canal::Whatsapp, false));
            }
        }
        for (o, canal, verified) in link_targets {
            let Some(uid) = owners[o].user_id else {
                continue;
            };
            let identifiant = match canal {
                Canal::Telegram => self.telegram_id(rng, uid, sy.style),
                _ => owners[o].telephone.trim_start_matches('+').to_string(),
            };
            let verifie_le = verified.then(|| at(add_days(today, -rng.range(3, 250)), 19, 40));
            chunk.batch.channel_links.push(ChannelLinkRow {
                id: next(&mut self.ids.channel_links),
                syndic_id: sy.id,
                user_id: uid,
                canal,
                identifiant: identifiant.clone(),
                verifie_le,
            });
            let what = if canal == Canal::Telegram {
                "Telegram"
            } else {
                "WhatsApp"
            };
            let state = if verified {
                "vérifié"
            } else {
                "non vérifié"
            };
            let id_label = if canal == Canal::Telegram {
                "chat"
            } else {
                "numéro"
            };
            notes
                .entry(o)
                .or_default()
                .push(format!("{what} {state} ({id_label} {identifiant})"));
        }

        // Budgets of Y-1 and Y.
        let mut budgets: Vec<Budget> = Vec::new();
        let mut prev: Vec<(Categorie, i64)> = spec
            .layout
            .budget()
            .iter()
            .map(|&(c, m)| (c, (m * spec.budget_per_mille / 1000 + 50) / 100 * 100))
            .collect();
        let ag_date = ag_day(y - 1);
        for annee in [y - 1, y] {
            if annee == y {
                prev = prev
                    .iter()
                    .map(|&(c, m)| (c, (m * rng.range(1015, 1060) / 1000 + 50) / 100 * 100))
                    .collect();
            }
            let bid = next(&mut self.ids.budgets);
            let vote_le = if annee == y && spec.extras.ag {
                ag_date
            } else {
                ymd(annee - 1, rng.range(5, 6) as u32, rng.range(2, 27) as u32)
            };
            chunk.batch.budgets.push(BudgetRow {
                id: bid,
                syndic_id: sy.id,
                residence_id: rid,
                annee,
                vote_le: Some(vote_le),
            });
            for &(c, m) in &prev {
                chunk.batch.budget_lignes.push(BudgetLigneRow {
                    id: next(&mut self.ids.budget_lignes),
                    syndic_id: sy.id,
                    budget_id: bid,
                    categorie: c,
                    montant: Decimal::from(m),
                });
            }
            budgets.push((annee, bid, prev.clone()));
        }
        let budget_total = |annee: i32| -> i64 {
            budgets
                .iter()
                .find(|b| b.0 == annee)
                .map_or(0, |b| b.2.iter().map(|l| l.1).sum())
        };

        // The AG of Y-1 (with its travaux decision).
        let mut plans: Vec<AppelPlan> = Vec::new();
        let mut travaux: Option<(NaiveDate, Decimal)> = None;
        if spec.extras.ag {
            let pv = self.assemblee(
                sy,
                spec,
                rid,
                rng,
                &owners,
                president,
                &plan,
                budget_total(y),
                chunk,
            )?;
            if let Some(total) = pv.travaux {
                travaux = Some((ag_date, total));
                let emission = add_days(ag_date, 21);
                plans.push(AppelPlan {
                    kind: TypeAppel::Travaux,
                    budget_id: None,
                    libelle: format!(
                        "Travaux d'étanchéité de la terrasse du bâtiment B (AG du {})",
                        fmt_date(ag_date)
                    ),
                    debut: add_days(emission, 10),
                    fin: add_days(emission, 100),
                    total,
                    emission,
                    echeance: add_days(emission, 30),
                });
            }
        }

        // Quarterly calls for funds from Q1 of Y-1 to the current quarter.
        for annee in [y - 1, y] {
            let Some(&(_, bid, _)) = budgets.iter().find(|b| b.0 == annee) else {
                continue;
            };
            let total = Decimal::from(budget_total(annee)) / Decimal::from(4);
            for q in 1..=4u32 {
                let debut = ymd(annee, 3 * (q - 1) + 1, 1);
                if debut > today {
                    break;
                }
                plans.push(AppelPlan {
                    kind: TypeAppel::Budget,
                    budget_id: Some(bid),
                    libelle: format!("Appel de fonds T{q} {annee} – budget prévisionnel"),
                    debut,
                    fin: month_end(annee, 3 * q),
                    total: total.round_dp(2),
                    emission: add_days(debut, -15),
                    echeance: add_days(debut, 30),
                });
            }
        }
        plans.sort_by_key(|p| (p.echeance, p.debut));

        // Échéances: each call split over the lots by tantièmes, to the centime.
        let weights: Vec<u64> = tantiemes.iter().map(|&t| t as u64).collect();
        // Per owner: (échéance id, call index, due date, amount).
        let mut dues: Vec<Vec<(i64, usize, NaiveDate, Decimal)>> = vec![Vec::new(); owners.len()];
        let mut per_call: Vec<Vec<Decimal>> = vec![vec![Decimal::ZERO; plans.len()]; owners.len()];
        for (ai, p) in plans.iter().enumerate() {
            let appel_id = next(&mut self.ids.appels);
            chunk.batch.appels.push(AppelRow {
                id: appel_id,
                syndic_id: sy.id,
                residence_id: rid,
                budget_id: p.budget_id,
                r#type: p.kind,
                libelle: p.libelle.clone(),
                periode_debut: p.debut,
                periode_fin: p.fin,
                montant_total: p.total,
                date_emission: p.emission,
                date_echeance: p.echeance,
            });
            let parts = split_amount(p.total, &weights)
                .ok_or_else(|| SeedError::Generator("échéance split failed".into()))?;
            for (l, part) in parts.into_iter().enumerate() {
                if part <= Decimal::ZERO {
                    continue;
                }
                let eid = next(&mut self.ids.echeances);
                let o = lot_owner[l];
                chunk.batch.echeances.push(EcheanceRow {
                    id: eid,
                    syndic_id: sy.id,
                    appel_id,
                    residence_id: rid,
                    lot_id: lot_ids[l],
                    coproprietaire_id: owners[o].id,
                    montant: part,
                    date_echeance: p.echeance,
                });
                dues[o].push((eid, ai, p.echeance, part));
                per_call[o][ai] += part;
            }
        }

        // Payments by behaviour, allocated oldest first.
        let mut balances = Vec::with_capacity(owners.len());
        for (k, o) in owners.iter().enumerate() {
            balances.push(self.payments(
                sy,
                rid,
                rng,
                o,
                &plans,
                &mut dues[k],
                &per_call[k],
                chunk,
            ));
        }

        // Report: the président is listed above; now notable co-owners.
        if sy.report {
            for (k, o) in owners.iter().enumerate() {
                let mut n: Vec<String> = Vec::new();
                match o.profile {
                    Profile::Chronic(_) => n.push(format!(
                        "débiteur chronique : {} échus impayés, dont plus de 90 jours",
                        fmt_mad(balances[k].0)
                    )),
                    Profile::Overpayer => {
                        n.push(format!("trop-perçu : avoir de {}", fmt_mad(balances[k].1)))
                    }
                    _ => {}
                }
                if let Some(l) = notes.get(&k) {
                    n.extend(l.iter().cloned());
                }
                if n.is_empty() {
                    continue;
                }
                if let Some(email) = &o.email {
                    chunk.users.push(SeedUser {
                        syndic: sy.nom.clone(),
                        email: email.clone(),
                        role: Role::Coproprietaire,
                        nom_complet: o.nom(),
                        residence: Some(spec.nom.clone()),
                        note: Some(format!("lot {} ; {}", lot_list(o), n.join(", "))),
                    });
                }
            }
        }

        self.factures(sy, spec, rid, rng, &budgets, travaux, chunk);

        if let Some(text) = spec.extras.reglement {
            self.reglement(sy, spec, rid, text, chunk);
        }
        for d in spec.extras.documents {
            self.document(
                sy,
                Some(rid),
                d.titre.to_string(),
                d.type_document,
                Some(d.date),
                d.visibilite,
                d.texte,
                chunk,
            );
        }

        // Demandes d'intervention: the first one recent and still open.
        let has = |c: Categorie| spec.layout.budget().iter().any(|l| l.0 == c);
        let possibles: Vec<&(&str, Besoin)> = DEMANDES
            .iter()
            .filter(|(_, b)| match b {
                Besoin::Ascenseur => has(Categorie::Ascenseur),
                Besoin::Jardin => has(Categorie::Jardinage),
                _ => true,
            })
            .collect();
        let parkings: Vec<usize> = (0..plan.len())
            .filter(|&l| plan[l].kind == LotType::Parking)
            .collect();
        let flats: Vec<usize> = (0..plan.len())
            .filter(|&l| plan[l].kind == LotType::Appartement)
            .collect();
        let start = rng.below(possibles.len() as u64) as usize;
        for d in 0..spec.demandes {
            let (texte, besoin) = *possibles[(start + d) % possibles.len()];
            let lot = if besoin == Besoin::Parking && !parkings.is_empty() {
                *rng.pick(&parkings)
            } else {
                *rng.pick(&flats)
            };
            let age = if d == 0 {
                rng.range(1, 10)
            } else {
                rng.range(15, 120)
            };
            let statut = match age {
                0..=14 => "ouverte",
                15..=45 => "en_cours",
                _ if d % 4 == 3 => "rejetee",
                _ => "resolue",
            };
            chunk.batch.demandes.push(DemandeRow {
                id: next(&mut self.ids.demandes),
                syndic_id: sy.id,
                residence_id: rid,
                lot_id: Some(lot_ids[lot]),
                coproprietaire_id: Some(owners[lot_owner[lot]].id),
                description: texte.to_string(),
                statut,
                created_at: at(
                    add_days(today, -age),
                    rng.range(8, 21) as u32,
                    rng.range(0, 59) as u32,
                ),
            });
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn payments(
        &mut self,
        sy: &mut SyndicCtx,
        rid: i64,
        rng: &mut Rng,
        o: &Owner,
        plans: &[AppelPlan],
        dues: &mut [(i64, usize, NaiveDate, Decimal)],
        per_call: &[Decimal],
        chunk: &mut Chunk,
    ) -> (Decimal, Decimal) {
        #[derive(Clone, Copy)]
        enum Intent {
            Call(usize),
            Partial,
            Over,
        }
        let today = self.today;
        dues.sort_by_key(|d| (d.2, d.0));
        let mut intents: Vec<(NaiveDate, Intent)> = Vec::new();
        let mut paid_calls = 0;
        for (ai, p) in plans.iter().enumerate() {
            if per_call[ai] <= Decimal::ZERO {
                continue;
            }
            let date = match o.profile {
                Profile::OnTime | Profile::Overpayer => {
                    if rng.chance(850) {
                        add_days(p.echeance, -rng.range(0, 20))
                    } else {
                        add_days(p.echeance, rng.range(1, 20))
                    }
                }
                Profile::Late => add_days(p.echeance, rng.range(30, 120)),
                Profile::Chronic(n) => {
                    if paid_calls >= n {
                        continue;
                    }
                    paid_calls += 1;
                    add_days(p.echeance, -rng.range(0, 10))
                }
            };
            intents.push((date.max(add_days(p.emission, 1)), Intent::Call(ai)));
        }
        if let Profile::Chronic(n) = o.profile {
            for (k, extra) in [(n, 45), (n + 2, 20)] {
                if let Some(p) = plans.get(k) {
                    intents.push((add_days(p.echeance, extra), Intent::Partial));
                }
            }
        }
        intents.retain(|i| i.0 <= today);
        intents.sort_by_key(|i| i.0);
        if o.profile == Profile::Overpayer
            && let Some(last) = intents.last_mut()
            && let Intent::Call(_) = last.1
        {
            last.1 = Intent::Over;
        }

        let mut remaining: Vec<Decimal> = dues.iter().map(|d| d.3).collect();
        let mut credit = Decimal::ZERO;
        for (date, intent) in intents {
            let open: Vec<OpenEcheance<usize>> = dues
                .iter()
                .enumerate()
                .filter(|(i, d)| plans[d.1].emission <= date && remaining[*i] > Decimal::ZERO)
                .map(|(i, _)| OpenEcheance {
                    key: i,
                    remaining: remaining[i],
                })
                .collect();
            let amount = match intent {
                Intent::Call(ai) => per_call[ai],
                Intent::Partial => {
                    let open_c: i64 = open.iter().map(|e| to_c(e.remaining)).sum();
                    centimes(open_c * 35 / 100 / 10_000 * 10_000)
                }
                Intent::Over => {
                    // A round sum well above everything open: the rest (300 to 1,300 MAD)
                    // stays as a credit.
                    let open_c: i64 = open.iter().map(|e| to_c(e.remaining)).sum();
                    centimes(((open_c + 30_000) / 100_000 + 1) * 100_000)
                }
            };
            if amount <= Decimal::ZERO {
                continue;
            }
            let alloc = allocate_oldest_first(amount, &open);
            let mode = if rng.chance(900) {
                o.mode
            } else {
                *rng.pick(&[
                    ModePaiement::Virement,
                    ModePaiement::Cheque,
                    ModePaiement::Especes,
                ])
            };
            sy.pay_seq += 1;
            let year = date.year();
            let reference = match mode {
                ModePaiement::Virement => format!("VIR-{year}-{:06}", sy.pay_seq),
                ModePaiement::Cheque => {
                    format!("CHQ-{:07}", 1_000_000 + sy.pay_seq * 7 % 9_000_000)
                }
                ModePaiement::Especes => format!("REC-{year}-{:05}", sy.pay_seq),
                ModePaiement::Terminal => format!("TPE-{year}-{:06}", sy.pay_seq),
            };
            let pid = next(&mut self.ids.paiements);
            chunk.batch.paiements.push(PaiementRow {
                id: pid,
                syndic_id: sy.id,
                coproprietaire_id: o.id,
                residence_id: rid,
                montant: amount,
                date_paiement: date,
                mode,
                reference: Some(reference),
                enregistre_par: sy.comptable,
                created_at: at(date, rng.range(9, 17) as u32, rng.range(0, 59) as u32),
            });
            for (i, part) in alloc.parts {
                remaining[i] -= part;
                chunk.batch.allocations.push(AllocationRow {
                    id: next(&mut self.ids.allocations),
                    syndic_id: sy.id,
                    paiement_id: pid,
                    echeance_id: dues[i].0,
                    montant: part,
                });
            }
            credit += alloc.credit;
        }
        let overdue = dues
            .iter()
            .zip(&remaining)
            .filter(|(d, _)| d.2 < today)
            .map(|(_, r)| *r)
            .sum();
        (overdue, credit)
    }

    #[allow(clippy::too_many_arguments)]
    fn facture(
        &mut self,
        sy: &mut SyndicCtx,
        rid: i64,
        rng: &mut Rng,
        key: SupplierKey,
        categorie: Categorie,
        taux: i64,
        ttc_target_c: i64,
        date: NaiveDate,
        periode: (NaiveDate, NaiveDate),
        chunk: &mut Chunk,
    ) {
        let today = self.today;
        if date > today || ttc_target_c <= 0 {
            return;
        }
        let Some(s) = sy.suppliers.get_mut(&key) else {
            return;
        };
        s.seq += 1;
        let numero = format!("{}-{}-{:06}", s.prefixe, date.year(), s.seq);
        let (mut ht, mut tva) = ht_tva(ttc_target_c, taux);
        if !matches!(key, SupplierKey::Distributeur(_) | SupplierKey::Entretien) {
            // Contracts are priced in round amounts before tax.
            ht = (ht + 500) / 1000 * 1000;
            tva = (ht * taux + 50) / 100;
        }
        let valide = add_days(date, rng.range(1, 4)).min(today);
        let paid = add_days(date, 45) <= today;
        let payee_le = paid.then(|| add_days(date, rng.range(15, 40)).min(today));
        chunk.batch.factures.push(FactureRow {
            id: next(&mut self.ids.factures),
            syndic_id: sy.id,
            residence_id: Some(rid),
            fournisseur_id: Some(s.id),
            numero: Some(numero),
            date_facture: Some(date),
            date_echeance: Some(add_days(date, 30)),
            periode_debut: Some(periode.0),
            periode_fin: Some(periode.1),
            categorie: Some(categorie),
            montant_ht: Some(centimes(ht)),
            taux_tva: Some(Decimal::from(taux)),
            montant_tva: Some(centimes(tva)),
            montant_ttc: Some(centimes(ht + tva)),
            statut: if paid {
                StatutFacture::Payee
            } else {
                StatutFacture::Validee
            },
            texte_ocr: None,
            moteur_ocr: None,
            confiance: None,
            confiances_champs: None,
            valide_par: sy.comptable,
            valide_le: Some(at(valide, 10, rng.range(0, 59) as u32)),
            payee_le,
            reference_paiement: payee_le
                .map(|d| format!("ORD-{}-{:06}", d.year(), rng.range(1, 999_999))),
            created_at: at(add_days(date, 1).min(today), 9, 0),
        });
    }

    /// Supplier invoices of Y-1 and Y up to today: near the budget, some lines over, some under.
    #[allow(clippy::too_many_arguments)]
    fn factures(
        &mut self,
        sy: &mut SyndicCtx,
        spec: &ResidenceSpec,
        rid: i64,
        rng: &mut Rng,
        budgets: &[Budget],
        travaux: Option<(NaiveDate, Decimal)>,
        chunk: &mut Chunk,
    ) {
        let dist = SupplierKey::Distributeur(spec.distributeur.nom);
        for (annee, _, lines) in budgets {
            let annee = *annee;
            for &(cat, line) in lines {
                // Actual spending in per mille of the line.
                let f = rng.range(880, 1140);
                let target_c = line * 100 * f / 1000;
                match cat {
                    Categorie::Eau | Categorie::Electricite => {
                        let (season, taux) = if cat == Categorie::Eau {
                            (&EAU_SAISON, 7)
                        } else {
                            (&ELEC_SAISON, 14)
                        };
                        let season_sum: i64 = season.iter().sum();
                        for m in 1..=12u32 {
                            let noise = rng.range(960, 1040);
                            let c = target_c * season[m as usize - 1] / season_sum * noise / 1000;
                            let date = add_days(month_end(annee, m), rng.range(3, 8));
                            let periode = (ymd(annee, m, 1), month_end(annee, m));
                            self.facture(sy, rid, rng, dist, cat, taux, c, date, periode, chunk);
                        }
                    }
                    Categorie::Gardiennage | Categorie::Nettoyage | Categorie::Jardinage => {
                        let key = match cat {
                            Categorie::Gardiennage => SupplierKey::Gardiennage,
                            Categorie::Nettoyage => SupplierKey::Nettoyage,
                            _ => SupplierKey::Jardinage,
                        };
                        let monthly = target_c / 12;
                        for m in 1..=12u32 {
                            let date = month_end(annee, m);
                            let periode = (ymd(annee, m, 1), date);
                            self.facture(sy, rid, rng, key, cat, 20, monthly, date, periode, chunk);
                        }
                    }
                    Categorie::Ascenseur | Categorie::HonorairesSyndic => {
                        let (key, c, day) = if cat == Categorie::Ascenseur {
                            (SupplierKey::Ascenseur, target_c / 4, 5)
                        } else {
                            (SupplierKey::Honoraires, line * 100 / 4, 3)
                        };
                        for q in 1..=4u32 {
                            let debut = ymd(annee, 3 * q - 2, 1);
                            let periode = (debut, month_end(annee, 3 * q));
                            self.facture(
                                sy,
                                rid,
                                rng,
                                key,
                                cat,
                                20,
                                c,
                                add_days(debut, day - 1),
                                periode,
                                chunk,
                            );
                        }
                    }
                    Categorie::Assurance => {
                        let periode = (ymd(annee, 1, 1), ymd(annee, 12, 31));
                        let key = SupplierKey::Assurance;
                        self.facture(
                            sy,
                            rid,
                            rng,
                            key,
                            cat,
                            0,
                            target_c,
                            ymd(annee, 1, 10),
                            periode,
                            chunk,
                        );
                    }
                    _ => {
                        // Ad-hoc maintenance: four jobs a year of uneven size.
                        let w: Vec<u64> = (0..4).map(|_| rng.range(5, 20) as u64).collect();
                        let parts = split_largest_remainder(target_c, &w).unwrap_or_default();
                        for (k, c) in parts.into_iter().enumerate() {
                            let m = 2 + 3 * k as u32;
                            let date = ymd(annee, m, rng.range(8, 25) as u32);
                            self.facture(
                                sy,
                                rid,
                                rng,
                                SupplierKey::Entretien,
                                cat,
                                20,
                                c,
                                date,
                                (date, date),
                                chunk,
                            );
                        }
                    }
                }
            }
        }
        if let Some((ag, total)) = travaux {
            let date = add_days(ag, 95);
            let c = to_c(total) * 96 / 100 / 10_000 * 10_000;
            let key = SupplierKey::Travaux;
            self.facture(
                sy,
                rid,
                rng,
                key,
                Categorie::Travaux,
                20,
                c,
                date,
                (add_days(ag, 40), add_days(ag, 85)),
                chunk,
            );
        }
        if let Some(d) = spec.extras.draft {
            self.draft(sy, spec, rid, rng, d, chunk);
        }
    }

    /// An invoice photographed and extracted, waiting for validation.
    fn draft(
        &mut self,
        sy: &mut SyndicCtx,
        spec: &ResidenceSpec,
        rid: i64,
        rng: &mut Rng,
        which: usize,
        chunk: &mut Chunk,
    ) {
        let today = self.today;
        let (key, cat, designation, ttc_target) = DRAFTS[which % DRAFTS.len()];
        let Some(s) = sy.suppliers.get_mut(&key) else {
            return;
        };
        s.seq += 1;
        let numero = format!("{}-{}-{:06}", s.prefixe, today.year(), s.seq);
        let date = add_days(today, -rng.range(1, 6));
        let (ht, tva) = ht_tva(ttc_target, 20);
        let confiance = rng.range(580, 930);
        let ocr = format!(
            "{}\nICE : {}\nFACTURE N' {}\nDate : {}\n\nClient : {} - {}\n{}\n\nDesignation : {}\n\n\
             Total HT : {}\nTVA 20% : {}\nTotal TTC : {}\nArrêtée la présente facture à la somme de {} TTC.",
            s.nom.to_uppercase(),
            s.ice,
            numero,
            fmt_date(date),
            sy.nom,
            spec.nom,
            spec.adresse,
            designation,
            fmt_mad(centimes(ht)).replace(" MAD", ""),
            fmt_mad(centimes(tva)).replace(" MAD", ""),
            fmt_mad(centimes(ht + tva)).replace(" MAD", " DH"),
            fmt_mad(centimes(ht + tva)),
        );
        let champ = |rng: &mut Rng, lo: i64| rng.range(lo, 990) as f64 / 1000.0;
        let champs = json!({
            "fournisseur": champ(rng, 900),
            "numero": champ(rng, 700),
            "date_facture": champ(rng, 800),
            "montant_ht": champ(rng, 550),
            "montant_tva": champ(rng, 550),
            "montant_ttc": champ(rng, 850),
            "categorie": champ(rng, 500),
        });
        chunk.batch.factures.push(FactureRow {
            id: next(&mut self.ids.factures),
            syndic_id: sy.id,
            residence_id: Some(rid),
            fournisseur_id: Some(s.id),
            numero: Some(numero),
            date_facture: Some(date),
            date_echeance: None,
            periode_debut: None,
            periode_fin: None,
            categorie: Some(cat),
            montant_ht: Some(centimes(ht)),
            taux_tva: Some(Decimal::from(20)),
            montant_tva: Some(centimes(tva)),
            montant_ttc: Some(centimes(ht + tva)),
            statut: StatutFacture::Brouillon,
            texte_ocr: Some(ocr),
            moteur_ocr: Some("tesseract 5.3 (fra)"),
            confiance: Some(Decimal::new(confiance, 3)),
            confiances_champs: Some(champs),
            valide_par: None,
            valide_le: None,
            payee_le: None,
            reference_paiement: None,
            created_at: at(add_days(date, 1).min(today), 11, 20),
        });
    }

    /// The AG of June Y-1: agenda, attendance, resolutions, votes in tantièmes; its PV as a
    /// document. Returns the amount of the works voted, if adopted.
    #[allow(clippy::too_many_arguments)]
    fn assemblee(
        &mut self,
        sy: &mut SyndicCtx,
        spec: &ResidenceSpec,
        rid: i64,
        rng: &mut Rng,
        owners: &[Owner],
        president: Option<usize>,
        plan: &[super::layout::LotPlan],
        budget_y: i64,
        chunk: &mut Chunk,
    ) -> Result<AgOutcome, SeedError> {
        let y = self.y;
        let date = ag_day(y - 1);
        let convoquee = add_days(date, -21);
        let aid = next(&mut self.ids.assemblees);

        // Attendance: the président attends; the others come, send a proxy or stay away.
        let mut presence = vec![Presence::Absent; owners.len()];
        for (k, p) in presence.iter_mut().enumerate() {
            *p = if Some(k) == president {
                Presence::Present
            } else {
                match rng.below(100) {
                    0..=57 => Presence::Present,
                    58..=77 => Presence::Represente,
                    _ => Presence::Absent,
                }
            };
        }
        // Quorum: at least half of the co-owners present or represented.
        let mut k = 0;
        while presence.iter().filter(|p| **p != Presence::Absent).count() * 2 < owners.len() {
            if presence[k] == Presence::Absent {
                presence[k] = Presence::Present;
            }
            k += 1;
        }
        if !presence.contains(&Presence::Present) {
            presence[0] = Presence::Present;
        }
        let present: Vec<usize> = (0..owners.len())
            .filter(|&k| presence[k] == Presence::Present)
            .collect();
        let secretaire = present
            .iter()
            .copied()
            .find(|&k| Some(k) != president && owners[k].prenom.is_some());
        let troisieme =
            present.iter().copied().rev().find(|&k| {
                Some(k) != president && Some(k) != secretaire && owners[k].prenom.is_some()
            });
        let name = |k: Option<usize>| k.map(|k| owners[k].nom_complet());
        chunk.batch.assemblees.push(AssembleeRow {
            id: aid,
            syndic_id: sy.id,
            residence_id: rid,
            r#type: TypeAg::Ordinaire,
            date_heure: at(date, 10, 0),
            lieu: spec.extras.lieu_ag.clone(),
            convoquee_le: Some(convoquee),
            seconde_reunion: false,
            president_seance: name(president),
            secretaire: name(secretaire),
            statut: "cloturee",
        });
        let mut represente_par = vec![None; owners.len()];
        for (k, o) in owners.iter().enumerate() {
            let par = if presence[k] == Presence::Represente {
                let mut m = *rng.pick(&present);
                if m == k {
                    m = present[0];
                }
                Some(m)
            } else {
                None
            };
            represente_par[k] = par;
            chunk.batch.presences.push(PresenceRow {
                id: next(&mut self.ids.presences),
                syndic_id: sy.id,
                assemblee_id: aid,
                coproprietaire_id: o.id,
                presence: presence[k],
                represente_par: par.map(|m| owners[m].id),
                tantiemes: o.tantiemes,
            });
        }
        let voix_presentes: i64 = (0..owners.len())
            .filter(|&k| presence[k] != Presence::Absent)
            .map(|k| i64::from(owners[k].tantiemes))
            .sum();
        let nb_presents = (0..owners.len())
            .filter(|&k| presence[k] != Presence::Absent)
            .count();

        let travaux_total = Decimal::from(120_000);
        let items: Vec<AgItem> = vec![
            (
                "Approbation des comptes de l'exercice",
                format!("Présentation des comptes de l'exercice {} arrêtés au 31 décembre et du rapport du conseil syndical.", y - 2),
                Some((Majorite::Simple, true, format!("L'assemblée générale approuve les comptes de l'exercice {} tels que présentés par le syndic.", y - 2))),
            ),
            (
                "Quitus au syndic",
                "Quitus au syndic Atlas Syndic pour sa gestion de l'exercice écoulé.".replace("Atlas Syndic", &sy.nom),
                Some((Majorite::Simple, true, format!("L'assemblée générale donne quitus entier et définitif au syndic {} pour sa gestion de l'exercice {}.", sy.nom, y - 2))),
            ),
            (
                "Budget prévisionnel",
                format!("Examen et vote du budget prévisionnel de l'exercice {y}."),
                Some((Majorite::Simple, true, format!("L'assemblée générale approuve le budget prévisionnel de l'exercice {y} pour un montant total de {}, appelé par quarts trimestriels selon les tantièmes.", fmt_mad(Decimal::from(budget_y))))),
            ),
            (
                "Travaux d'étanchéité de la terrasse du bâtiment B",
                "Infiltrations constatées dans les appartements du 4e étage du bâtiment B ; trois devis ont été joints à la convocation.".to_string(),
                Some((Majorite::Absolue, true, format!("L'assemblée générale décide la réfection complète de l'étanchéité de la terrasse du bâtiment B pour un montant maximal de {} TTC, financée par un appel de fonds exceptionnel réparti selon les tantièmes, et mandate le syndic pour retenir l'entreprise la mieux-disante.", fmt_mad(travaux_total)))),
            ),
            (
                "Installation de caméras de vidéosurveillance",
                "Proposition d'installer huit caméras dans les halls, le parking et le jardin.".to_string(),
                Some((Majorite::TroisQuarts, false, "L'assemblée générale décide l'installation d'un système de vidéosurveillance de huit caméras dans les parties communes pour un montant de 46 800,00 MAD TTC.".to_string())),
            ),
            (
                "Renouvellement du contrat de gardiennage",
                "Renouvellement pour un an du contrat de gardiennage (trois agents en rotation, 24 h/24).".to_string(),
                Some((Majorite::Simple, true, "L'assemblée générale approuve le renouvellement du contrat de gardiennage pour une durée d'un an aux conditions présentées.".to_string())),
            ),
            (
                "Élection des membres du conseil syndical",
                "Élection de trois membres du conseil syndical pour deux ans.".to_string(),
                Some((Majorite::Simple, true, format!("L'assemblée générale élit membres du conseil syndical pour deux ans : {}.", [president, secretaire, troisieme].iter().filter_map(|k| name(*k)).collect::<Vec<_>>().join(", ")))),
            ),
            ("Questions diverses", "Questions diverses (sans vote).".to_string(), None),
        ];

        let mut outcome = AgOutcome { travaux: None };
        let mut pv = format!(
            "# Procès-verbal de l'assemblée générale ordinaire du {}\n\n{} — {}, {}.\n\n\
             L'assemblée générale ordinaire des copropriétaires s'est tenue le {} à 10 h 00, {}, \
             sur convocation du syndic {} adressée le {}.\n\n",
            fmt_date_longue(date),
            spec.nom,
            spec.adresse,
            spec.ville,
            fmt_date_longue(date),
            lower_first(&spec.extras.lieu_ag),
            sy.nom,
            fmt_date_longue(convoquee),
        );
        pv.push_str(&format!(
            "## Feuille de présence et quorum\n\n{} copropriétaires sur {} sont présents ou représentés, \
             totalisant {} tantièmes sur 1000. Le quorum de la moitié des copropriétaires étant atteint, \
             l'assemblée peut valablement délibérer. Président de séance : {}. Secrétaire : {}.\n\n",
            nb_presents,
            owners.len(),
            voix_presentes,
            name(president).unwrap_or_default(),
            name(secretaire).unwrap_or_default(),
        ));
        pv.push_str("Présents : ");
        pv.push_str(
            &owners
                .iter()
                .enumerate()
                .filter(|(k, _)| presence[*k] == Presence::Present)
                .map(|(_, o)| {
                    format!(
                        "{} (lot {}, {} t.)",
                        o.nom_complet(),
                        o.lots
                            .iter()
                            .map(|&l| plan[l].numero.as_str())
                            .collect::<Vec<_>>()
                            .join("+"),
                        o.tantiemes
                    )
                })
                .collect::<Vec<_>>()
                .join(" ; "),
        );
        pv.push_str(".\n\nReprésentés : ");
        pv.push_str(
            &owners
                .iter()
                .enumerate()
                .filter_map(|(k, o)| {
                    represente_par[k].map(|m| {
                        format!(
                            "{} par {} ({} t.)",
                            o.nom_complet(),
                            owners[m].nom_complet(),
                            o.tantiemes
                        )
                    })
                })
                .collect::<Vec<_>>()
                .join(" ; "),
        );
        pv.push_str(".\n\n");

        let mut numero = 0;
        for (rang, (titre, description, resolution)) in items.into_iter().enumerate() {
            let oid = next(&mut self.ids.ordre_du_jour);
            chunk.batch.ordre_du_jour.push(OrdreDuJourRow {
                id: oid,
                syndic_id: sy.id,
                assemblee_id: aid,
                rang: rang as i32 + 1,
                titre: titre.to_string(),
                description: Some(description.clone()),
            });
            let Some((majorite, favorable, texte)) = resolution else {
                pv.push_str(&format!(
                    "## Point {} – {}\n\n{} Aucune résolution n'est soumise au vote.\n\n",
                    rang + 1,
                    titre,
                    description
                ));
                continue;
            };
            numero += 1;
            let resid = next(&mut self.ids.resolutions);
            let (mut pour, mut contre, mut abst) = (0i64, 0i64, 0i64);
            for (k, o) in owners.iter().enumerate() {
                if presence[k] == Presence::Absent {
                    continue;
                }
                let r = rng.below(100);
                let choix = if Some(k) == president {
                    ChoixVote::Pour
                } else if favorable {
                    match r {
                        0..=84 => ChoixVote::Pour,
                        85..=92 => ChoixVote::Contre,
                        _ => ChoixVote::Abstention,
                    }
                } else {
                    match r {
                        0..=32 => ChoixVote::Pour,
                        33..=84 => ChoixVote::Contre,
                        _ => ChoixVote::Abstention,
                    }
                };
                let t = i64::from(o.tantiemes);
                match choix {
                    ChoixVote::Pour => pour += t,
                    ChoixVote::Contre => contre += t,
                    ChoixVote::Abstention => abst += t,
                }
                chunk.batch.votes.push(VoteRow {
                    id: next(&mut self.ids.votes),
                    syndic_id: sy.id,
                    resolution_id: resid,
                    coproprietaire_id: o.id,
                    choix,
                    tantiemes: o.tantiemes,
                });
            }
            let adoptee = crate::ag::adoptee(majorite, pour, voix_presentes, 1000);
            if adoptee && majorite == Majorite::Absolue {
                outcome.travaux = Some(travaux_total);
            }
            chunk.batch.resolutions.push(ResolutionRow {
                id: resid,
                syndic_id: sy.id,
                assemblee_id: aid,
                ordre_du_jour_id: oid,
                numero,
                texte: texte.clone(),
                majorite,
                issue: Some(if adoptee { "adoptee" } else { "rejetee" }),
            });
            pv.push_str(&format!(
                "## Résolution n° {numero} – {titre}\n\n{description}\n\n{texte}\n\n\
                 Votes : pour {pour} tantièmes, contre {contre} tantièmes, abstention {abst} tantièmes. \
                 Majorité requise : {}. La résolution est {}.\n\n",
                majorite.label(),
                if adoptee { "adoptée" } else { "rejetée" },
            ));
        }
        pv.push_str(&format!(
            "L'ordre du jour étant épuisé, la séance est levée à 12 h 40.\n\n\
             Le président de séance : {}. Le secrétaire : {}. Le syndic : {}.\n",
            name(president).unwrap_or_default(),
            name(secretaire).unwrap_or_default(),
            sy.nom,
        ));
        self.document(
            sy,
            Some(rid),
            format!(
                "Procès-verbal de l'AGO du {} – {}",
                fmt_date(date),
                spec.nom
            ),
            TypeDocument::Pv,
            Some(add_days(date, 7)),
            Visibilite::Residence,
            &pv,
            chunk,
        );
        Ok(outcome)
    }

    fn reglement(
        &mut self,
        sy: &mut SyndicCtx,
        spec: &ResidenceSpec,
        rid: i64,
        text: &str,
        chunk: &mut Chunk,
    ) {
        self.document(
            sy,
            Some(rid),
            format!("Règlement de copropriété – {}", spec.nom),
            TypeDocument::Reglement,
            Some(ymd(2012, 3, 15)),
            Visibilite::Residence,
            text,
            chunk,
        );
    }

    /// A markdown document, chunked by `## ` section, with page numbers (about 450 words a page).
    #[allow(clippy::too_many_arguments)]
    fn document(
        &mut self,
        sy: &mut SyndicCtx,
        rid: Option<i64>,
        titre: String,
        kind: TypeDocument,
        date: Option<NaiveDate>,
        visibilite: Visibilite,
        text: &str,
        chunk: &mut Chunk,
    ) {
        let did = next(&mut self.ids.documents);
        // The demo's documents are printed ones: pages of about 450 words, cut between
        // paragraphs, then chunked like any document.
        let pages = pages_estimees(text);
        let last_page = pages.len() as i32;
        let pages: Vec<Page<'_>> = (1..)
            .zip(&pages)
            .map(|(numero, texte)| Page {
                numero: Some(numero),
                texte,
            })
            .collect();
        let texte_sha256 = decoupage::sha256_texte(&pages);
        let morceaux = decoupage::decouper(&pages);
        let chunks = morceaux.len() as i32;
        for m in morceaux {
            chunk.batch.document_chunks.push(DocumentChunkRow {
                id: next(&mut self.ids.document_chunks),
                syndic_id: sy.id,
                document_id: did,
                rang: m.rang,
                page: m.page,
                sha256: Some(m.sha256()),
                titre: m.titre,
                contenu: m.contenu,
            });
        }
        chunk.batch.documents.push(DocumentRow {
            id: did,
            syndic_id: sy.id,
            residence_id: rid,
            titre,
            r#type: kind,
            date_document: date,
            // A document shown to the co-owners belongs to a résidence (a CHECK of the table).
            visibilite: if rid.is_some() {
                visibilite
            } else {
                Visibilite::Staff
            },
            mime: "text/markdown",
            contenu: text.to_string(),
            pages: Some(last_page),
            statut: "indexe",
            chunks,
            texte_sha256,
            ajoute_par: sy.gestionnaire,
        });
    }
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map_or_else(String::new, |f| f.to_lowercase().chain(c).collect())
}

struct AgOutcome {
    travaux: Option<Decimal>,
}

/// The AG of a year: the second Saturday of June.
pub(crate) fn ag_day(year: i32) -> NaiveDate {
    let mut d = ymd(year, 6, 8);
    while d.weekday() != Weekday::Sat {
        d = add_days(d, 1);
    }
    d
}

/// `text` as pages of about [`MOTS_PAR_PAGE`] words, a page break falling between paragraphs.
pub(crate) fn pages_estimees(text: &str) -> Vec<String> {
    let mut pages = Vec::new();
    let mut page = String::new();
    let mut mots = 0;
    for paragraphe in text.split("\n\n") {
        if mots >= MOTS_PAR_PAGE {
            pages.push(std::mem::take(&mut page));
            mots = 0;
        }
        if !page.is_empty() {
            page.push_str("\n\n");
        }
        page.push_str(paragraphe);
        mots += paragraphe.split_whitespace().count();
    }
    pages.push(page);
    pages
}

/// Words on a printed page of the demo's documents.
const MOTS_PAR_PAGE: usize = 450;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ht_and_tva_add_up_and_round_like_postgres() {
        for ttc in [100_000, 333_333, 1_234_567, 1] {
            for taux in [0, 7, 10, 14, 20] {
                let (ht, tva) = ht_tva(ttc, taux);
                // round(ht * taux / 100, 2), half away from zero.
                let exact = Decimal::new(ht * taux, 4);
                assert_eq!(
                    Decimal::new(tva, 2),
                    exact.round_dp_with_strategy(
                        2,
                        rust_decimal::RoundingStrategy::MidpointAwayFromZero
                    )
                );
                assert!((ht + tva - ttc).abs() <= 1, "{ttc} {taux}");
            }
        }
    }

    #[test]
    fn pages_break_between_paragraphs_every_450_words() {
        let paragraphe = "mot ".repeat(200);
        let texte = [paragraphe.trim(); 5].join("\n\n");
        let pages = pages_estimees(&texte);
        let mots: Vec<usize> = pages.iter().map(|p| p.split_whitespace().count()).collect();
        assert_eq!(mots, vec![600, 400]);
        assert_eq!(pages_estimees("Court.").len(), 1);
    }
}
