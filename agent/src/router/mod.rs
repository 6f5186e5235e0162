//! The fast-path router: frequent requests (impayés, solde, historique, rapport, factures,
//! relance, paiement) in French, Darija (Latin and Arabic script) or English become a tool call
//! without the LLM, in milliseconds; a request missing one piece becomes a French question; the
//! rest goes to the LLM.
//!
//! Pipeline: [`normalize`] (tokens) → [`entities`] (amounts, dates, lots… without the database)
//! → [`lexicon`] (what each remaining word means) → intent → [`names`] (which unknown words are
//! résidences, co-owners, suppliers: a few indexed-or-small queries in the caller's tenant) →
//! arguments. Any word left unplaced means "not confident": the LLM answers. The router refuses
//! nothing itself: the tools check the caller's scope.

pub(crate) mod document;
mod entities;
mod facture;
mod invitation;
mod lexicon;
mod names;
mod normalize;

use chrono::NaiveDate;
use entities::Entities;
use lexicon::Cue;
use normalize::{Token, tokenize};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Map, Value};
use wakil_schema::store::{Lookup, NameHit};
use wakil_schema::{Caller, Categorie, StatutFacture, Store, StoreError};

/// The language of a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    Fr,
    /// Darija in Latin script.
    Darija,
    /// Arabic script (Darija or standard Arabic).
    Ar,
    En,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    Impayes,
    Solde,
    Historique,
    Rapport,
    Factures,
    Relance,
    Paiement,
    /// An invitation to Telegram or WhatsApp (recognised apart: see [`invitation`]).
    Invitation,
    /// A field of a draft invoice corrected (recognised apart: see [`facture`]).
    CorrectionFacture,
    /// A draft invoice to validate.
    ValidationFacture,
    /// A question about the text of a document (recognised apart: see [`document`]).
    Documents,
}

impl Intent {
    /// The tool that serves the intent.
    pub fn tool(self) -> &'static str {
        match self {
            Intent::Impayes => "query_impayes",
            Intent::Solde | Intent::Historique => "solde_copro",
            Intent::Rapport => "rapport_financier",
            Intent::Factures => "list_factures",
            Intent::Relance => "send_relance",
            Intent::Paiement => "record_payment",
            Intent::Invitation => "inviter",
            Intent::CorrectionFacture => "corriger_facture",
            Intent::ValidationFacture => "valider_facture",
            Intent::Documents => "search_documents",
        }
    }

    fn of_tool(tool: &str) -> Option<Intent> {
        Some(match tool {
            "query_impayes" => Intent::Impayes,
            "solde_copro" => Intent::Solde,
            "rapport_financier" => Intent::Rapport,
            "list_factures" => Intent::Factures,
            "send_relance" => Intent::Relance,
            _ => return None,
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Route {
    /// Confident: call this tool now, without the LLM.
    Call {
        tool: &'static str,
        args: serde_json::Value,
    },
    /// The intent is understood but a piece is missing or ambiguous: ask the user (French).
    Ask(String),
    /// Not confident: the LLM handles the message.
    Llm,
}

#[derive(Clone, Debug)]
pub struct Routed {
    pub route: Route,
    pub intent: Option<Intent>,
    pub lang: Lang,
}

/// The last tool call of the conversation, for follow-ups ("et pour 2024 ?", "relance-les").
#[derive(Clone, Debug)]
pub struct Previous {
    pub tool: String,
    pub args: serde_json::Value,
}

/// Routes one message of `caller`. Reads only names (résidences, co-owners, suppliers, lots)
/// matching the message's words, in the caller's tenant.
pub async fn route(
    store: &Store,
    caller: &Caller,
    today: NaiveDate,
    text: &str,
    previous: Option<&Previous>,
) -> Result<Routed, StoreError> {
    let lang = detect_lang(text);
    // Invitations have words of their own: recognised first, apart. A co-owner's request, or one
    // the router cannot read entirely, goes to the LLM.
    // The review of a draft invoice: a field dictated, or its validation (staff only).
    if caller.role.is_staff()
        && let Some(route) = facture::recognise(text)
    {
        let intent = match &route {
            Route::Call { tool, .. } if *tool == "valider_facture" => Intent::ValidationFacture,
            _ => Intent::CorrectionFacture,
        };
        return Ok(Routed {
            route,
            intent: Some(intent),
            lang,
        });
    }
    if let Some(demande) = invitation::recognise(text) {
        let route = match demande {
            Ok(d) if caller.role.is_staff() => invitation::route(store, caller, d).await?,
            _ => Route::Llm,
        };
        return Ok(Routed {
            route,
            intent: Some(Intent::Invitation),
            lang,
        });
    }
    let mut a = analyze(text, today, &[]);
    if !a.has_amount() && document::recognise(text) {
        return Ok(llm(Some(Intent::Documents), lang));
    }
    let staff = caller.role.is_staff();
    let (intent, weak, follow_up) = match decide(&a.f, staff, a.has_amount()) {
        Decision::Intent(i, weak) => (i, weak, None),
        Decision::Nothing => match previous.filter(|_| a.may_follow_up()) {
            Some(p) => match Intent::of_tool(&p.tool) {
                Some(i) => (i, false, Some(p)),
                None => return Ok(llm(None, lang)),
            },
            None => return Ok(llm(None, lang)),
        },
        Decision::Unsure => return Ok(llm(None, lang)),
    };
    let found = find(store, caller, &a, intent).await?;
    // "Al Amal 321": the number is part of the name, not an amount (nor a year, a delay).
    if !found.in_names.is_empty() {
        a = analyze(text, today, &found.in_names);
    }
    let route = build(intent, weak, &a, found, caller, previous, follow_up).unwrap_or(Route::Llm);
    Ok(Routed {
        route,
        intent: Some(intent),
        lang,
    })
}

fn llm(intent: Option<Intent>, lang: Lang) -> Routed {
    Routed {
        route: Route::Llm,
        intent,
        lang,
    }
}

/// A yes/no answer to a confirmation: the whole (short) message only.
pub fn yes_no(text: &str) -> Option<bool> {
    if matches!(text.trim(), "👍" | "✅" | "👌") {
        return Some(true);
    }
    let words: Vec<String> = tokenize(text)
        .into_iter()
        .map(|t| t.norm)
        .filter(|w| {
            !matches!(
                w.as_str(),
                "merci" | "svp" | "stp" | "please" | "thanks" | "3afak" | "afak" | "شكرا" | "عافاك"
            )
        })
        .collect();
    let text = words.join(" ");
    const YES: &[&str] = &[
        "oui",
        "ouais",
        "ouai",
        "oui oui",
        "ok",
        "okay",
        "okey",
        "d accord",
        "daccord",
        "dac",
        "confirme",
        "je confirme",
        "confirmer",
        "confirmez",
        "confirmé",
        "valide",
        "valider",
        "vas y",
        "go",
        "yes",
        "yep",
        "yeah",
        "sure",
        "yes please",
        "wakha",
        "wakhha",
        "waxa",
        "iyeh",
        "iyah",
        "ih",
        "eyeh",
        "ah",
        "نعم",
        "اه",
        "واخا",
        "ايه",
        "اييه",
        "اكيد",
        "oui confirme",
        "c est bon",
        "parfait",
        "certainement",
        "bien sur",
        "absolument",
        "ok confirme",
    ];
    const NO: &[&str] = &[
        "non",
        "non merci",
        "annule",
        "annuler",
        "annulez",
        "no",
        "nope",
        "cancel",
        "stop",
        "la",
        "lla",
        "laa",
        "لا",
        "ماشي",
        "machi",
        "non annule",
        "pas maintenant",
        "abandonne",
        "laisse tomber",
        "no thanks",
    ];
    if YES.contains(&text.as_str()) {
        Some(true)
    } else if NO.contains(&text.as_str()) {
        Some(false)
    } else {
        None
    }
}

/// The language of a message: Arabic script, else the most Darija, English or French words.
pub fn detect_lang(text: &str) -> Lang {
    if text.chars().any(normalize::is_arabic) {
        return Lang::Ar;
    }
    const DARIJA: &[&str] = &[
        "wach",
        "wash",
        "chhal",
        "ch7al",
        "shhal",
        "chkoun",
        "chkon",
        "khless",
        "khlless",
        "khles",
        "khallas",
        "khellas",
        "nkhelles",
        "nkhless",
        "khassni",
        "khasni",
        "khasso",
        "dyal",
        "dial",
        "dyali",
        "bghit",
        "3afak",
        "afak",
        "lihom",
        "sift",
        "sifet",
        "wslkom",
        "wsalkom",
        "wsal",
        "kra",
        "lkra",
        "flouss",
        "lflouss",
        "sandik",
        "mazal",
        "mzal",
        "l3am",
        "daba",
        "kolchi",
        "koulchi",
        "3tini",
        "atini",
        "khallsch",
        "makhallsch",
        "khalsou",
        "khallsou",
        "3liya",
        "chno",
        "chnou",
        "kayn",
        "kaynin",
        "ga3",
        "bzaf",
        "lbareh",
        "lyoum",
        "khlless",
        "nta",
        "rah",
        "rani",
        "kridi",
        "9adech",
        "kdach",
        "lvirement",
        "fat",
        "li",
    ];
    const EN: &[&str] = &[
        "the",
        "how",
        "much",
        "who",
        "what",
        "my",
        "is",
        "did",
        "you",
        "paid",
        "hasn",
        "haven",
        "unpaid",
        "owe",
        "owes",
        "balance",
        "report",
        "invoices",
        "invoice",
        "show",
        "send",
        "reminder",
        "record",
        "payment",
        "payments",
        "please",
        "year",
        "last",
        "this",
        "of",
        "with",
        "received",
        "receive",
        "transfer",
        "history",
        "do",
        "does",
        "i",
        "me",
        "to",
        "from",
        "for",
        "and",
        "financial",
        "expenses",
        "suppliers",
        "remind",
        "them",
        "who's",
    ];
    const FR: &[&str] = &[
        "le",
        "la",
        "les",
        "de",
        "du",
        "des",
        "qui",
        "que",
        "combien",
        "est",
        "pas",
        "mon",
        "mes",
        "je",
        "pour",
        "solde",
        "impayes",
        "factures",
        "relance",
        "paiement",
        "paye",
        "enregistre",
        "svp",
        "bonjour",
        "merci",
        "quel",
        "quelle",
        "annee",
        "dernier",
        "a",
        "et",
        "un",
        "une",
        "par",
        "sur",
        "n",
        "doit",
        "dois",
        "rapport",
        "bilan",
        "au",
        "en",
        "ont",
    ];
    let (mut d, mut e, mut f) = (0, 0, 0);
    for t in tokenize(text) {
        let w = t.norm.as_str();
        if DARIJA.contains(&w) || lexicon::negated_verb(&t) {
            d += 1;
        }
        if EN.contains(&w) {
            e += 1;
        }
        if FR.contains(&w) {
            f += 1;
        }
    }
    if d > 0 && d >= e {
        Lang::Darija
    } else if e > f {
        Lang::En
    } else {
        Lang::Fr
    }
}

/// What the words say, before any name is looked up.
#[derive(Debug, Default)]
struct Features {
    impaye: bool,
    solde: bool,
    solde_weak: bool,
    historique: bool,
    rapport: bool,
    facture: bool,
    relance: bool,
    send: bool,
    message: bool,
    pay: bool,
    /// "n'a pas payé", "khallsch", "hasn't paid".
    pay_negated: bool,
    /// "à payer", "to pay": due.
    pay_due: bool,
    /// "payées", "paid", "réglées".
    pay_done: bool,
    pay_noun: bool,
    record: bool,
    receive: bool,
    own: bool,
    them: bool,
    /// "qui", "who", "chkoun": about several people.
    who: bool,
    negation: bool,
    blocker: bool,
    brouillon: bool,
    validee: bool,
    /// "en PDF", "en Excel": the report's documents.
    pdf: bool,
    tableur: bool,
    categories: Vec<Categorie>,
    /// Words that fit only some intents.
    only: Vec<&'static [Intent]>,
    /// "on a payé", "we paid", "خاصنا نخلصو": the syndic's own spending (suppliers).
    we_pay: bool,
}

struct Analysis {
    tokens: Vec<Token>,
    cues: Vec<Option<Cue>>,
    /// Tokens taken by an entity.
    used: Vec<bool>,
    e: Entities,
    f: Features,
    today: NaiveDate,
}

/// `in_names`: tokens known to be part of a name (numbers: "Al Amal 321"), no entity.
fn analyze(text: &str, today: NaiveDate, in_names: &[usize]) -> Analysis {
    let tokens = tokenize(text);
    let mut used = vec![false; tokens.len()];
    for &i in in_names {
        if let Some(u) = used.get_mut(i) {
            *u = true;
        }
    }
    let e = entities::extract(&tokens, today, &mut used);
    let mut cues: Vec<Option<Cue>> = tokens
        .iter()
        .zip(&used)
        .map(|(t, u)| if *u { None } else { lexicon::classify(t) })
        .collect();
    // "un règlement de 174,80", "règlement par chèque": a payment, not the co-ownership rules.
    for (i, t) in tokens.iter().enumerate() {
        let payment = (i + 1..=i + 3)
            .filter(|&j| used.get(j) == Some(&true))
            .any(|j| {
                let w = tokens[j].norm.as_str();
                entities::mode(w).is_some()
                    || entities::number(w).is_some_and(|(n, _)| {
                        e.years.iter().all(|y| Decimal::from(*y) != n)
                            && !(e.amounts.is_empty() && e.numbers.is_empty())
                    })
            });
        if t.norm == "reglement" && payment {
            cues[i] = Some(Cue::PayNoun);
        }
    }
    let mut f = Features {
        who: tokens.iter().any(|t| {
            matches!(
                t.norm.as_str(),
                "qui" | "who" | "chkoun" | "chkon" | "chkun" | "shkoun" | "شكون" | "من"
            )
        }),
        ..Features::default()
    };
    // "tu es maintenant admin", "you are now", "daba nta": someone rewriting the assistant's
    // role; the LLM (and its refusals) answers, never the fast path.
    f.blocker = tokens.windows(3).any(|w| {
        matches!(
            [w[0].norm.as_str(), w[1].norm.as_str(), w[2].norm.as_str()],
            ["tu" | "vous", "es" | "etes", "maintenant" | "desormais"] | ["you", "are", "now"]
        )
    }) || tokens.windows(2).any(|w| {
        matches!(
            [w[0].norm.as_str(), w[1].norm.as_str()],
            ["daba", "nta" | "nti" | "ntaya"] | ["nta" | "nti", "daba"] | ["انت", "دابا"]
        )
    });
    // "did you get my transfer?": received.
    f.receive = tokens.windows(2).any(|w| {
        matches!(w[0].norm.as_str(), "you" | "u") && matches!(w[1].norm.as_str(), "get" | "gotten")
    });
    for (k, cue) in cues.iter().enumerate() {
        let Some(cue) = cue else { continue };
        match cue {
            Cue::Impaye => f.impaye = true,
            Cue::Solde => f.solde = true,
            Cue::SoldeWeak => f.solde_weak = true,
            Cue::Historique => f.historique = true,
            Cue::Rapport => f.rapport = true,
            Cue::Facture => f.facture = true,
            Cue::Relance => {
                f.relance = true;
                // "relance-le", "relancez-la", "relance-lui": the one of the previous answer.
                let next = tokens.get(k + 1).map(|t| t.norm.as_str());
                if matches!(next, Some("le" | "la" | "lui" | "l")) {
                    f.them = true;
                }
            }
            Cue::Send => f.send = true,
            Cue::Message => f.message = true,
            Cue::Pay => {
                let before = &cues[k.saturating_sub(3)..k];
                let negated =
                    lexicon::negated_verb(&tokens[k]) || before.contains(&Some(Cue::Negation));
                let prev = if k > 0 {
                    tokens[k - 1].norm.as_str()
                } else {
                    ""
                };
                let w = tokens[k].norm.as_str();
                // "khassni nkhelles", "خاصنا نخلصو": must pay, i.e. due (and a payment verb).
                let must = k > 0 && cues[k - 1] == Some(Cue::Own) && {
                    let p = tokens[k - 1].norm.as_str();
                    p.contains("خاص") || normalize::skeleton(p).starts_with("khs")
                };
                let due = (matches!(prev, "a" | "to") && matches!(w, "payer" | "pay" | "regler"))
                    || (prev == "be" && k > 1 && tokens[k - 2].norm == "to");
                // "we paid", "on a payé", "nous avons réglé": the syndic paying its suppliers.
                let we = tokens[k.saturating_sub(2)..k]
                    .iter()
                    .any(|t| matches!(t.norm.as_str(), "on" | "nous" | "we" | "avons"));
                if negated {
                    f.pay_negated = true;
                } else if due {
                    f.pay_due = true;
                } else {
                    f.pay = true;
                    f.pay_due |= must;
                    f.we_pay |= we;
                    if we
                        || matches!(
                            w,
                            "payee" | "payees" | "payes" | "paid" | "reglee" | "reglees"
                        )
                    {
                        f.pay_done = !must;
                    }
                }
            }
            Cue::PayNoun => f.pay_noun = true,
            Cue::Record => f.record = true,
            Cue::Receive => f.receive = true,
            Cue::Only(intents) => f.only.push(intents),
            Cue::Own => f.own = true,
            Cue::Them => f.them = true,
            Cue::Blocker => f.blocker = true,
            Cue::Brouillon => f.brouillon = true,
            Cue::Validee => f.validee = true,
            Cue::Pdf => f.pdf = true,
            Cue::Tableur => f.tableur = true,
            Cue::Categorie(c) => f.categories.push(*c),
            Cue::Negation => f.negation = true,
            Cue::Civilite | Cue::NameLink | Cue::Residence | Cue::And | Cue::Filler => {}
        }
    }
    Analysis {
        tokens,
        cues,
        used,
        e,
        f,
        today,
    }
}

impl Analysis {
    fn has_amount(&self) -> bool {
        !self.e.amounts.is_empty() || !self.e.numbers.is_empty()
    }

    /// Unplaced words: not an entity, not a known word.
    fn unknown(&self) -> Vec<usize> {
        (0..self.tokens.len())
            .filter(|&i| !self.used[i] && self.cues[i].is_none())
            .collect()
    }

    /// Bare numbers ("321", taken as an amount or a year) right after or before a word that may
    /// be a name ("Al Amal 321") or "résidence", "immeuble" ("immeuble 14"), not inside a longer
    /// entity ("plus de 90 jours", "lot 12", "2000 DH").
    fn name_numbers(&self) -> Vec<usize> {
        let name_like = |j: usize| {
            j < self.tokens.len()
                && ((!self.used[j] && self.cues[j].is_none())
                    || self.cues[j] == Some(Cue::Residence))
        };
        let free = |j: usize| j >= self.tokens.len() || !self.used[j];
        (0..self.tokens.len())
            .filter(|&i| {
                let t = &self.tokens[i];
                self.used[i]
                    && !t.norm.is_empty()
                    && t.norm.chars().all(|c| c.is_ascii_digit())
                    && ((i > 0 && name_like(i - 1) && free(i + 1))
                        || (name_like(i + 1) && (i == 0 || free(i - 1))))
            })
            .collect()
    }

    /// A short message with no intent of its own ("et pour 2024 ?", "et Agdal ?").
    fn may_follow_up(&self) -> bool {
        self.tokens.len() <= 8 && !self.f.blocker
    }

    /// "ses", "his", "her", "dyalo": someone already named.
    fn possessive(&self) -> bool {
        self.tokens.iter().any(|t| {
            matches!(
                t.norm.as_str(),
                "ses"
                    | "son"
                    | "sa"
                    | "his"
                    | "her"
                    | "dyalo"
                    | "dyalou"
                    | "dyalha"
                    | "ديالو"
                    | "ديالها"
            )
        })
    }

    /// "il", "elle", "he", "she", "howa", "hiya": someone already named.
    fn pronoun(&self) -> bool {
        self.tokens.iter().any(|t| {
            matches!(
                t.norm.as_str(),
                "il" | "elle" | "he" | "she" | "howa" | "hiya" | "huwa" | "هو" | "هي"
            )
        })
    }

    /// Dates other than today (today is harmless: "les impayés aujourd'hui").
    fn other_dates(&self) -> bool {
        self.e.dates.iter().any(|d| *d != self.today)
    }
}

enum Decision {
    Intent(Intent, bool),
    /// Two intents, or a word for the LLM (règlement, AG, …).
    Unsure,
    Nothing,
}

fn decide(f: &Features, staff: bool, has_amount: bool) -> Decision {
    use Decision::{Intent as I, Nothing, Unsure};
    if f.blocker {
        return Unsure;
    }
    // "qui doit encore de l'argent ?": the debtors.
    let impaye = f.impaye || f.pay_negated || (f.who && f.solde && !f.own);
    let paid = f.pay || f.pay_noun || f.receive;
    // "ne relance pas Lahlou", "n'enregistre rien": not an order to act.
    if f.negation && (f.relance || f.send || f.record) && !impaye {
        return Unsure;
    }
    if f.facture || (staff && f.we_pay && !f.rapport) {
        return if f.rapport || f.relance || f.record || f.solde || f.historique {
            Unsure
        } else {
            I(Intent::Factures, false)
        };
    }
    if f.relance || (f.send && (f.message || impaye)) {
        // "rappel de paiement", "payment reminder": the reminder's noun, not a payment made.
        let paid_now = if f.relance { f.pay || f.receive } else { paid };
        return if f.rapport || f.record || (paid_now && has_amount) {
            Unsure
        } else {
            I(Intent::Relance, false)
        };
    }
    if f.record || (staff && paid && has_amount && !impaye) {
        return if f.rapport || impaye || !staff {
            Unsure
        } else {
            I(Intent::Paiement, false)
        };
    }
    if impaye {
        return if f.rapport {
            Unsure
        } else {
            I(Intent::Impayes, false)
        };
    }
    if f.rapport {
        return if f.solde || f.historique || paid {
            Unsure
        } else {
            I(Intent::Rapport, false)
        };
    }
    if f.historique || f.pay_noun || f.receive {
        return I(Intent::Historique, false);
    }
    if f.solde || (f.solde_weak && (f.own || f.pay)) {
        return I(Intent::Solde, false);
    }
    if f.pay {
        return I(Intent::Historique, false);
    }
    if f.solde_weak {
        return I(Intent::Solde, true);
    }
    Nothing
}

/// The names and lot of the message.
#[derive(Debug, Default)]
struct Found {
    residence: Option<String>,
    coproprietaire: Option<String>,
    lot: Option<String>,
    fournisseur: Option<String>,
    ask: Option<String>,
    /// Several names of one kind.
    several: bool,
    /// Words still unplaced.
    leftover: Vec<usize>,
    /// Number tokens that are part of a name ("Al Amal 321").
    in_names: Vec<usize>,
}

async fn find(
    store: &Store,
    caller: &Caller,
    a: &Analysis,
    intent: Intent,
) -> Result<Found, StoreError> {
    let unknown = a.unknown();
    let mut found = Found {
        lot: a.e.lots.first().cloned(),
        leftover: unknown.clone(),
        ..Found::default()
    };
    // A co-owner's messages never look anyone up: the tools decide what they may see.
    if !caller.role.is_staff() {
        return Ok(found);
    }
    let mut words: Vec<String> = unknown
        .iter()
        .map(|&i| &a.tokens[i])
        .filter(|t| !t.is_arabic() && t.norm.chars().count() >= 2)
        .map(|t| t.norm.clone())
        .collect();
    let arabic: Vec<usize> = unknown
        .iter()
        .copied()
        .filter(|&i| a.tokens[i].is_arabic())
        .collect();
    // Numbers next to a name word or to "résidence", "immeuble" may be part of a name; they
    // (and those words) only support a name found by another word.
    let numbers = a.name_numbers();
    let mut support: Vec<String> = Vec::new();
    for &i in &numbers {
        support.push(a.tokens[i].norm.clone());
        for j in [i.wrapping_sub(1), i + 1] {
            if a.cues.get(j) == Some(&Some(Cue::Residence)) {
                support.push(a.tokens[j].norm.clone());
            }
        }
    }
    if words.is_empty() && support.is_empty() && arabic.is_empty() && a.e.lots.len() != 1 {
        return Ok(found);
    }
    let mut t = store.tenant_read(caller.syndic_id).await?;
    // Arabic-script words: résidence names and cities spelled in Arabic ("كليز", "المعاريف").
    let mut spelled: Vec<(usize, String)> = Vec::new();
    if !arabic.is_empty() {
        let stored = t.residence_words(caller.residence_scope()).await?;
        for &i in &arabic {
            let next = a.tokens.get(i + 1).map(|t| t.norm.as_str());
            // "الدار البيضاء": the first word goes with the second.
            let w = match (a.tokens[i].norm.as_str(), next) {
                ("الدار", Some(n)) if n.starts_with("البيضا") => n,
                (w, _) => w,
            };
            if let Some(latin) = names::arabic_name(w, &stored) {
                words.push(latin.to_string());
                spelled.push((i, latin.to_string()));
            }
        }
    }
    words.extend(support.iter().cloned());
    words.sort();
    words.dedup();
    let mut residence_id = None;
    if !words.is_empty() {
        let kinds = names::Kinds {
            residence: true,
            coproprietaire: !matches!(intent, Intent::Rapport | Intent::Factures),
            fournisseur: intent == Intent::Factures,
            // A reminder to "Mme Filali (A14)": the lot says which Filali.
            copro_to_tool: matches!(intent, Intent::Solde | Intent::Historique | Intent::Impayes)
                || (intent == Intent::Relance && a.e.lots.len() == 1),
        };
        let n = names::resolve(&mut t, &words, &support, kinds, caller.residence_scope()).await?;
        found.in_names = numbers
            .into_iter()
            .filter(|&i| n.claimed.contains(&a.tokens[i].norm))
            .collect();
        residence_id = n.residence.as_ref().map(|r| r.id);
        found.residence = n.residence.map(|h: NameHit| h.nom);
        found.coproprietaire = n.coproprietaire.map(|h| h.nom);
        found.fournisseur = n.fournisseur.map(|h| h.nom);
        found.ask = n.ask;
        found.several = n.several;
        found.leftover.retain(|&i| {
            let latin = spelled.iter().find(|(j, _)| *j == i).map(|(_, l)| l);
            !n.claimed.contains(latin.unwrap_or(&a.tokens[i].norm))
        });
    }
    if let [lot] = a.e.lots.as_slice() {
        match t
            .find_lot(lot, residence_id.or(caller.residence_scope()))
            .await?
        {
            Lookup::Found(l) => found.lot = Some(l.numero),
            Lookup::Ambiguous(lots) if found.ask.is_none() => {
                let list: Vec<&str> = lots.iter().map(|l| l.residence.as_str()).collect();
                found.ask = Some(format!(
                    "Le lot {lot} existe dans plusieurs résidences : {}. Laquelle ?",
                    list.join(", ")
                ));
            }
            _ => {}
        }
    }
    t.commit().await?;
    Ok(found)
}

/// Not confident: the LLM takes the message.
struct Unsure;

/// At most one value.
fn one<T: Clone>(values: &[T]) -> Result<Option<T>, Unsure> {
    match values {
        [] => Ok(None),
        [v] => Ok(Some(v.clone())),
        _ => Err(Unsure),
    }
}

fn decimal(d: Decimal) -> Value {
    Value::String(d.normalize().to_string())
}

fn ensure(ok: bool) -> Result<(), Unsure> {
    if ok { Ok(()) } else { Err(Unsure) }
}

fn build(
    mut intent: Intent,
    weak: bool,
    a: &Analysis,
    mut found: Found,
    caller: &Caller,
    previous: Option<&Previous>,
    follow_up: Option<&Previous>,
) -> Result<Route, Unsure> {
    let e = &a.e;
    let f = &a.f;
    let staff = caller.role.is_staff();
    let person_intent = matches!(
        intent,
        Intent::Solde | Intent::Historique | Intent::Paiement | Intent::Relance
    );
    // Leftover words right after "M.", "Mme", "de", "pour"… are a name the tool will look up
    // (and answer with the closest names if there is none).
    // A payment takes both a lot and a name (the tool checks that they agree).
    if person_intent
        && found.coproprietaire.is_none()
        && (found.lot.is_none() || intent == Intent::Paiement)
        && let Some(name) = name_after_cue(a, &found.leftover)
    {
        found.coproprietaire = Some(name);
        found.leftover.clear();
    }
    // A co-owner asking for a résidence's debtors ("qui n'a pas payé à Guéliz ?", a résidence
    // that may not even be theirs): the tool's role check answers, plainly, instead of a guess.
    let others = f.who
        || a.tokens.iter().any(|t| {
            matches!(
                t.norm.as_str(),
                "debiteur" | "debiteurs" | "retardataires" | "voisins" | "autres"
            )
        });
    if intent == Intent::Impayes
        && !staff
        && found.coproprietaire.is_none()
        && found.lot.is_none()
        && (others || (!f.own && (found.residence.is_some() || !found.leftover.is_empty())))
    {
        let mut args = Map::new();
        if let Some(r) = &found.residence {
            args.insert("residence".into(), Value::String(r.clone()));
        }
        return Ok(Route::Call {
            tool: "query_impayes",
            args: Value::Object(args),
        });
    }
    ensure(found.leftover.is_empty() && !found.several)?;
    ensure(f.only.iter().all(|intents| intents.contains(&intent)))?;
    if let Some(q) = found.ask.take() {
        return Ok(Route::Ask(q));
    }
    // A co-owner's "impayés" are their own unpaid charges; staff's "impayés de M. X" too.
    if intent == Intent::Impayes
        && (!staff || found.coproprietaire.is_some() || found.lot.is_some())
    {
        ensure(e.amounts.is_empty() && e.days.is_empty() && e.years.is_empty())?;
        intent = Intent::Solde;
    }
    // "owners owing more than 4,000 MAD", "qui doit depuis plus de 90 jours": the debtors.
    if intent == Intent::Solde
        && staff
        && found.coproprietaire.is_none()
        && found.lot.is_none()
        && !f.own
        && (e.amounts.iter().any(|m| m.min) || !e.days.is_empty())
    {
        intent = Intent::Impayes;
    }
    // A period filters only the invoices; the history shows its dates anyway.
    ensure(e.periods.is_empty() || matches!(intent, Intent::Factures | Intent::Historique))?;
    let mut args = Map::new();
    let mut put = |k: &str, v: Value| {
        args.insert(k.to_string(), v);
    };
    let target = |put: &mut dyn FnMut(&str, Value), found: &Found| {
        if let Some(lot) = &found.lot {
            put("lot", Value::String(lot.clone()));
        } else if let Some(c) = &found.coproprietaire {
            put("coproprietaire", Value::String(c.clone()));
        }
    };
    if let Some(r) = &found.residence {
        put("residence", Value::String(r.clone()));
    }
    match intent {
        // Recognised apart (`invitation`, `facture`, `document`), never built here.
        Intent::Invitation
        | Intent::CorrectionFacture
        | Intent::ValidationFacture
        | Intent::Documents => {
            return Err(Unsure);
        }
        Intent::Impayes => {
            ensure(e.numbers.is_empty() && !a.other_dates() && e.modes.is_empty())?;
            ensure(e.references.is_empty() && f.categories.is_empty())?;
            if let Some(y) = one(&e.years)? {
                put("annee", Value::from(y));
            }
            if let Some(m) = one(&e.amounts)? {
                put("montant_min", decimal(m.value));
            }
            if let Some(d) = one(&e.days)? {
                put("jours_retard_min", Value::from(d));
            }
        }
        Intent::Solde | Intent::Historique => {
            if intent == Intent::Solde {
                ensure(e.amounts.is_empty() && e.numbers.is_empty() && !a.other_dates())?;
                ensure(e.modes.is_empty() && e.references.is_empty())?;
            }
            // "versements de cette année": the history lists them with their dates.
            ensure(intent == Intent::Historique || e.years.is_empty())?;
            ensure(e.days.is_empty() && f.categories.is_empty())?;
            ensure(e.lots.len() <= 1)?;
            target(&mut put, &found);
        }
        Intent::Rapport => {
            ensure(e.amounts.is_empty() && e.numbers.is_empty() && e.days.is_empty())?;
            ensure(!a.other_dates() && e.modes.is_empty() && e.references.is_empty())?;
            ensure(e.lots.is_empty() && found.coproprietaire.is_none())?;
            if let Some(y) = one(&e.years)? {
                put("annee", Value::from(y));
            }
            let format = match (f.pdf, f.tableur) {
                (true, true) => Some("pdf_xlsx"),
                (true, false) => Some("pdf"),
                (false, true) => Some("xlsx"),
                (false, false) => None,
            };
            if let Some(format) = format {
                put("format", Value::from(format));
            }
        }
        Intent::Factures => {
            ensure(e.amounts.is_empty() && e.numbers.is_empty() && e.days.is_empty())?;
            ensure(e.dates.is_empty() && e.modes.is_empty() && e.references.is_empty())?;
            ensure(e.lots.is_empty() && found.coproprietaire.is_none())?;
            let mut statuts = Vec::new();
            if f.validee || f.pay_due || f.pay_negated || f.impaye {
                statuts.push(StatutFacture::Validee);
            }
            if f.pay_done {
                statuts.push(StatutFacture::Payee);
            }
            if f.brouillon {
                statuts.push(StatutFacture::Brouillon);
            }
            if let Some(s) = one(&statuts)? {
                put("statut", serde_json::to_value(s).map_err(|_| Unsure)?);
            }
            if let Some(c) = one(&f.categories)? {
                put("categorie", serde_json::to_value(c).map_err(|_| Unsure)?);
            }
            if let Some(s) = &found.fournisseur {
                put("fournisseur", Value::String(s.clone()));
            }
            match (one(&e.years)?, one(&e.periods)?) {
                (Some(y), None) => {
                    put("du", Value::String(format!("{y}-01-01")));
                    put("au", Value::String(format!("{y}-12-31")));
                }
                (None, Some(p)) => {
                    put("du", Value::String(p.du.format("%Y-%m-%d").to_string()));
                    if let Some(au) = p.au {
                        put("au", Value::String(au.format("%Y-%m-%d").to_string()));
                    }
                }
                (None, None) => {}
                (Some(_), Some(_)) => return Err(Unsure),
            }
        }
        Intent::Relance => {
            ensure(e.numbers.is_empty() && !a.other_dates() && e.modes.is_empty())?;
            ensure(e.references.is_empty() && f.categories.is_empty())?;
            target(&mut put, &found);
            if let Some(y) = one(&e.years)? {
                put("annee", Value::from(y));
            }
            if let Some(m) = one(&e.amounts)? {
                put("montant_min", decimal(m.value));
            }
            if let Some(d) = one(&e.days)? {
                put("jours_retard_min", Value::from(d));
            }
        }
        Intent::Paiement => {
            ensure(e.years.is_empty() && e.days.is_empty() && f.categories.is_empty())?;
            // Both when both are said: the tool checks that the lot is the payer's.
            if let Some(lot) = &found.lot {
                put("lot", Value::String(lot.clone()));
            }
            if let Some(c) = &found.coproprietaire {
                put("coproprietaire", Value::String(c.clone()));
            }
            let montant = match (one(&e.amounts)?, one(&e.numbers)?) {
                (Some(m), None) if !m.min => Some(m.value),
                (None, n) => n,
                _ => return Err(Unsure),
            };
            if let Some(m) = montant {
                put("montant", decimal(m));
            }
            if let Some(d) = one(&e.dates)? {
                put("date", Value::String(d.format("%Y-%m-%d").to_string()));
            }
            if let Some(m) = one(&e.modes)? {
                put("mode", serde_json::to_value(m).map_err(|_| Unsure)?);
            }
            if let Some(r) = one(&e.references)? {
                put("reference", Value::String(r));
            }
        }
    }
    if let Some(p) = follow_up.filter(|p| p.tool == intent.tool()) {
        // Only what the message adds changes the previous call.
        ensure(!args.is_empty())?;
        let mut merged = p.args.as_object().cloned().unwrap_or_default();
        if args.contains_key("lot") || args.contains_key("coproprietaire") {
            merged.remove("lot");
            merged.remove("coproprietaire");
        }
        merged.extend(args);
        args = merged;
    } else if intent == Intent::Relance
        && !has_target(&args)
        && f.them
        && !f.impaye
        && !f.pay_negated
    {
        // "relance-les": those of the previous answer.
        let keys: &[&str] = match previous.map(|p| p.tool.as_str()) {
            Some("query_impayes") => &["residence", "annee", "montant_min", "jours_retard_min"],
            Some("solde_copro") => &["coproprietaire", "lot", "residence"],
            _ => &[],
        };
        ensure(!keys.is_empty())?;
        if let Some(prev) = previous.and_then(|p| p.args.as_object()) {
            for k in keys {
                if let Some(v) = prev.get(*k).filter(|_| !args.contains_key(*k)) {
                    args.insert((*k).to_string(), v.clone());
                }
            }
        }
    }
    // "et ses derniers paiements ?" after a balance: the same person.
    if matches!(intent, Intent::Solde | Intent::Historique)
        && !has_target(&args)
        && a.possessive()
        && let Some(prev) = previous
            .filter(|p| p.tool == "solde_copro")
            .and_then(|p| p.args.as_object())
    {
        for k in ["coproprietaire", "lot", "residence"] {
            if let Some(v) = prev.get(k) {
                args.insert(k.to_string(), v.clone());
            }
        }
    }
    // "elle a payé 5000 DH, enregistre" after a balance: that person's payment.
    if intent == Intent::Paiement
        && !args.contains_key("coproprietaire")
        && !args.contains_key("lot")
        && (a.pronoun() || a.possessive())
        && let Some(prev) = previous
            .filter(|p| p.tool == "solde_copro")
            .and_then(|p| p.args.as_object())
    {
        for k in ["coproprietaire", "lot", "residence"] {
            if let Some(v) = prev.get(k).filter(|_| !args.contains_key(k)) {
                args.insert(k.to_string(), v.clone());
            }
        }
    }
    let has_person = args.contains_key("coproprietaire") || args.contains_key("lot");
    match intent {
        Intent::Solde | Intent::Historique if staff && !has_person => {
            // "solde de la résidence", "solde de tous": not one account.
            ensure(!weak && !f.them && !args.contains_key("residence"))?;
            let quoi = if intent == Intent::Solde {
                "le solde"
            } else {
                "l'historique des paiements"
            };
            return Ok(Route::Ask(format!(
                "De quel copropriétaire ou de quel lot voulez-vous {quoi} ?"
            )));
        }
        Intent::Solde if weak && !has_person => ensure(f.own)?,
        Intent::Relance if !(has_target(&args) || f.impaye || f.pay_negated) => {
            return Ok(Route::Ask(
                "Qui faut-il relancer : un copropriétaire, un lot, ou les impayés d'une résidence ?"
                    .into(),
            ));
        }
        Intent::Paiement => {
            let montant = args.contains_key("montant");
            let question = match (has_person, montant) {
                (true, true) => None,
                (true, false) => Some("Quel est le montant du paiement ?"),
                (false, true) => {
                    Some("Pour quel copropriétaire ou quel lot faut-il enregistrer ce paiement ?")
                }
                (false, false) => Some(
                    "Quel montant, et pour quel copropriétaire ou quel lot faut-il enregistrer ce paiement ?",
                ),
            };
            if let Some(q) = question {
                return Ok(Route::Ask(q.into()));
            }
        }
        _ => {}
    }
    Ok(Route::Call {
        tool: intent.tool(),
        args: Value::Object(args),
    })
}

fn has_target(args: &Map<String, Value>) -> bool {
    ["coproprietaire", "lot", "residence"]
        .iter()
        .any(|k| args.contains_key(*k))
}

/// The leftover words as one name, when they follow "M.", "Mme", "si", "de", "pour"… in one run
/// ("solde de Benjeloun" → "Benjeloun").
fn name_after_cue(a: &Analysis, leftover: &[usize]) -> Option<String> {
    let (&first, &last) = (leftover.first()?, leftover.last()?);
    let contiguous = leftover
        .windows(2)
        .all(|w| w[1] == w[0] + 1 || (w[0] + 1..w[1]).all(|i| a.cues[i] == Some(Cue::Civilite)));
    let cue = first
        .checked_sub(1)
        .and_then(|i| a.cues[i])
        .is_some_and(|c| matches!(c, Cue::Civilite | Cue::NameLink))
        // "…, Latifa Mernissi": a name closing the message after a comma.
        || (a.tokens[first].after_comma && last + 1 == a.tokens.len());
    if !contiguous || !cue || leftover.iter().any(|&i| a.tokens[i].is_arabic()) {
        return None;
    }
    let words: Vec<&str> = (first..=last)
        .filter(|i| a.cues[*i] != Some(Cue::Civilite))
        .map(|i| a.tokens[i].raw.as_str())
        .collect();
    Some(words.join(" "))
}

#[cfg(test)]
mod tests;
