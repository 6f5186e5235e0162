//! Invitations to Telegram or WhatsApp ("inviter Mme Idrissi sur Telegram", "lien Telegram pour
//! Karim Benjelloun", "invitation WhatsApp pour M. Alami au 06 12 34 56 78", "3ti invitation
//! telegram l Karim") → the `inviter` tool with `personne`, `canal` and, when a number is given,
//! `telephone`.
//!
//! Their words are their own (invitation, lien, the channels' names), so they are recognised
//! apart from the other intents, before them. The person is one run of words that the lexicon
//! does not know: a co-owner found by the names lookup gets their canonical name; other words
//! (a staff member's name) go to the tool as typed, which resolves them or answers with the
//! closest names. An e-mail is a staff member's login. Without a channel the user is asked which
//! one — a link for the wrong channel is useless, and WhatsApp needs the number — rather than
//! Telegram being assumed.

use super::lexicon::{Cue, classify};
use super::names;
use super::normalize::{Token, tokenize};
use super::{Route, StoreError};
use serde_json::{Map, Value};
use wakil_schema::{Caller, Canal, Store};

/// What an invitation request says.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Demande {
    pub canal: Option<Canal>,
    /// The person's words as typed ("Mme Idrissi"), civilités included.
    pub personne: Option<String>,
    /// The person's words (folded, without civilités) to look up.
    pub mots: Vec<String>,
    pub email: Option<String>,
    /// A phone number as typed ("06 12 34 56 78", "+212 6 12 34 56 78").
    pub telephone: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Invite,
    Link,
    Canal(Canal),
    Digits,
    Plus,
    Context,
    Civilite,
    Person,
    /// A word of another intent (negation, balance, report…): not an invitation request.
    Other,
}

/// Words around an invitation that carry nothing (verbs of sending and making, articles,
/// prepositions, politeness), in French, English and Darija.
const CONTEXT: &[&str] = &[
    "envoie",
    "envoies",
    "envoyer",
    "envoyez",
    "envoi",
    "envoye",
    "cree",
    "creer",
    "creez",
    "genere",
    "generer",
    "generez",
    "fais",
    "faire",
    "faites",
    "fait",
    "prepare",
    "preparer",
    "preparez",
    "donne",
    "donner",
    "donnez",
    "peux",
    "peut",
    "pouvez",
    "tu",
    "vous",
    "stp",
    "svp",
    "merci",
    "please",
    "plait",
    "s",
    "il",
    "te",
    "une",
    "un",
    "le",
    "la",
    "les",
    "l",
    "d",
    "de",
    "du",
    "des",
    "pour",
    "a",
    "au",
    "aux",
    "sur",
    "par",
    "via",
    "avec",
    "en",
    "nouvelle",
    "nouveau",
    "nouvel",
    "moi",
    "me",
    "lui",
    "leur",
    "send",
    "create",
    "make",
    "an",
    "the",
    "to",
    "for",
    "on",
    "with",
    "can",
    "you",
    "3ti",
    "a3ti",
    "3tih",
    "3tiha",
    "sift",
    "sifet",
    "seft",
    "siftli",
    "sifto",
    "siftlih",
    "lih",
    "liha",
    "f",
    "fi",
    "3la",
    "ala",
    "dyal",
    "dial",
    "b",
    "bghit",
    "numero",
    "num",
    "no",
    "tel",
    "telephone",
    "portable",
    "gsm",
    "mobile",
    "n",
    "number",
    "phone",
    "compte",
    "acces",
    "je",
    "veux",
    "voudrais",
    "souhaite",
    "aimerais",
    "j",
    "bonjour",
    "salam",
    "number",
    "son",
    "sa",
    "ses",
    "its",
    "his",
    "her",
];

const TELEGRAM: &[&str] = &[
    "telegram",
    "telegramme",
    "telegrame",
    "telgram",
    "tlgrm",
    "tg",
];
const WHATSAPP: &[&str] = &[
    "whatsapp",
    "whatsap",
    "whatsaap",
    "watsap",
    "watsapp",
    "wattsap",
    "whats",
    "wtsp",
    "wsp",
    "wats",
    "whatsup",
    "watsup",
    "wassap",
    "wasap",
    "واتساب",
    "الواتساب",
];

fn kind(t: &Token) -> Kind {
    let w = t.norm.as_str();
    if w.starts_with("invit") || matches!(w, "دعوة" | "الدعوة") {
        return Kind::Invite;
    }
    if matches!(w, "lien" | "liens" | "link" | "lian" | "code") {
        return Kind::Link;
    }
    if TELEGRAM.contains(&w) || matches!(w, "تيليغرام" | "تلغرام" | "التيليغرام")
    {
        return Kind::Canal(Canal::Telegram);
    }
    if WHATSAPP.contains(&w) {
        return Kind::Canal(Canal::Whatsapp);
    }
    if w == "+" {
        return Kind::Plus;
    }
    if !w.is_empty()
        && w.chars().any(|c| c.is_ascii_digit())
        && w.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '/'))
    {
        return Kind::Digits;
    }
    if CONTEXT.contains(&w) {
        return Kind::Context;
    }
    match classify(t) {
        None => Kind::Person,
        Some(Cue::Civilite) => Kind::Civilite,
        Some(Cue::Filler | Cue::NameLink | Cue::Send | Cue::And) => Kind::Context,
        Some(_) => Kind::Other,
    }
}

/// An e-mail address in `text`, and the text without it.
fn email(text: &str) -> (Option<String>, String) {
    let mut found = None;
    let mut rest = Vec::new();
    for word in text.split_whitespace() {
        let w = word.trim_matches(|c: char| {
            matches!(
                c,
                '.' | ',' | ';' | ':' | '!' | '?' | '«' | '»' | '"' | '\'' | '(' | ')' | '<' | '>'
            )
        });
        let ok = w.split_once('@').is_some_and(|(user, domain)| {
            !user.is_empty() && domain.contains('.') && !domain.contains('@')
        });
        if ok && found.is_none() {
            found = Some(w.to_string());
        } else {
            rest.push(word);
        }
    }
    (found, rest.join(" "))
}

/// An invitation request, if `text` is one; `Err(())` when it looks like one but says more than
/// the router understands (two channels, two names, other intents' words): the LLM answers.
pub(crate) fn recognise(text: &str) -> Option<Result<Demande, ()>> {
    let (email, rest) = email(text);
    let tokens = tokenize(&rest);
    let kinds: Vec<Kind> = tokens.iter().map(kind).collect();
    let invite = kinds.contains(&Kind::Invite);
    let mut canals: Vec<Canal> = kinds
        .iter()
        .filter_map(|k| match k {
            Kind::Canal(c) => Some(*c),
            _ => None,
        })
        .collect();
    canals.dedup();
    let link = kinds.contains(&Kind::Link) && !canals.is_empty();
    if !(invite || link) {
        return None;
    }
    if canals.len() > 1 || kinds.contains(&Kind::Other) {
        return Some(Err(()));
    }
    // Runs of number tokens (a '+' may open one): the phone number.
    let mut phones: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < kinds.len() {
        let starts = kinds[i] == Kind::Digits
            || (kinds[i] == Kind::Plus && kinds.get(i + 1) == Some(&Kind::Digits));
        if starts {
            let start = i;
            i += 1;
            while i < kinds.len() && kinds[i] == Kind::Digits {
                i += 1;
            }
            phones.push((start, i));
        } else {
            i += 1;
        }
    }
    let telephone = match phones.as_slice() {
        [] => None,
        [(a, b)] => {
            let typed: Vec<&str> = tokens[*a..*b].iter().map(|t| t.raw.as_str()).collect();
            let number = typed.join(" ").replacen("+ ", "+", 1);
            let digits = number.chars().filter(char::is_ascii_digit).count();
            if !(8..=15).contains(&digits) {
                return Some(Err(()));
            }
            Some(number)
        }
        _ => return Some(Err(())),
    };
    // One run of person words (civilités inside or before it).
    let mut runs: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < kinds.len() {
        if matches!(kinds[i], Kind::Person | Kind::Civilite) {
            let start = i;
            while i < kinds.len() && matches!(kinds[i], Kind::Person | Kind::Civilite) {
                i += 1;
            }
            if kinds[start..i].contains(&Kind::Person) {
                runs.push((start, i));
            }
        } else {
            i += 1;
        }
    }
    let (personne, mots) = match runs.as_slice() {
        [] => (None, Vec::new()),
        [(a, b)] if b - a <= 6 && email.is_none() => {
            let run = &tokens[*a..*b];
            if run.iter().any(Token::is_arabic) {
                return Some(Err(()));
            }
            let typed: Vec<&str> = run.iter().map(|t| t.raw.as_str()).collect();
            let mots = run
                .iter()
                .zip(&kinds[*a..*b])
                .filter(|(_, k)| **k == Kind::Person)
                .map(|(t, _)| t.norm.clone())
                .collect();
            (Some(typed.join(" ")), mots)
        }
        _ => return Some(Err(())),
    };
    Some(Ok(Demande {
        canal: canals.first().copied(),
        personne,
        mots,
        email,
        telephone,
    }))
}

/// The route of an invitation request of `caller` (staff): the co-owner's canonical name when
/// the names lookup finds them by all the typed words, else the words as typed.
pub(crate) async fn route(store: &Store, caller: &Caller, d: Demande) -> Result<Route, StoreError> {
    let personne = match (&d.email, &d.personne) {
        (Some(e), _) => Some(e.clone()),
        (None, Some(typed)) => Some(
            canonical(store, caller, &d.mots)
                .await?
                .unwrap_or_else(|| typed.clone()),
        ),
        (None, None) => None,
    };
    let Some(personne) = personne else {
        let sur = d
            .canal
            .map_or_else(String::new, |c| format!(" sur {}", c.label()));
        return Ok(Route::Ask(format!(
            "Qui faut-il inviter{sur} ? Indiquez le nom du copropriétaire, ou le nom ou l'e-mail \
             du membre de l'équipe."
        )));
    };
    let Some(canal) = d.canal else {
        return Ok(Route::Ask(format!(
            "Sur quel canal faut-il inviter {personne} : Telegram ou WhatsApp ?"
        )));
    };
    let mut args = Map::new();
    args.insert("personne".into(), Value::String(personne));
    args.insert(
        "canal".into(),
        Value::String(if canal == Canal::Whatsapp {
            "whatsapp".into()
        } else {
            "telegram".into()
        }),
    );
    if let Some(t) = d.telephone {
        args.insert("telephone".into(), Value::String(t));
    }
    Ok(Route::Call {
        tool: "inviter",
        args: Value::Object(args),
    })
}

/// The co-owner all of `mots` name, if the names lookup finds one.
async fn canonical(
    store: &Store,
    caller: &Caller,
    mots: &[String],
) -> Result<Option<String>, StoreError> {
    let words: Vec<String> = mots
        .iter()
        .filter(|w| w.chars().count() >= 2)
        .cloned()
        .collect();
    if words.is_empty() {
        return Ok(None);
    }
    let mut t = store.tenant_read(caller.syndic_id).await?;
    let kinds = names::Kinds {
        residence: false,
        coproprietaire: true,
        fournisseur: false,
        copro_to_tool: true,
    };
    let n = names::resolve(&mut t, &words, &[], kinds, caller.residence_scope()).await?;
    t.commit().await?;
    Ok(n.coproprietaire
        .filter(|_| !n.several && words.iter().all(|w| n.claimed.contains(w)))
        .map(|h| h.nom))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Demande {
        match recognise(text) {
            Some(Ok(d)) => d,
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn invitation_requests_in_french_english_and_darija() {
        let d = ok("inviter Mme Idrissi sur Telegram");
        assert_eq!(d.canal, Some(Canal::Telegram));
        assert_eq!(d.personne.as_deref(), Some("Mme Idrissi"));
        assert_eq!(d.mots, vec!["idrissi"]);

        let d = ok("invitation WhatsApp pour M. Alami");
        assert_eq!(d.canal, Some(Canal::Whatsapp));
        assert_eq!(d.personne.as_deref(), Some("M Alami"));

        let d = ok("lien Telegram pour Karim Benjelloun");
        assert_eq!(
            (d.canal, d.personne.as_deref()),
            (Some(Canal::Telegram), Some("Karim Benjelloun"))
        );
        let d = ok("Envoie une invitation telegram à Khadija Lahlou stp");
        assert_eq!(d.personne.as_deref(), Some("Khadija Lahlou"));
        let d = ok("3ti invitation telegram l Karim Benjelloun");
        assert_eq!(
            (d.canal, d.personne.as_deref()),
            (Some(Canal::Telegram), Some("Karim Benjelloun"))
        );
        let d = ok("send a WhatsApp invitation to Mr Alami");
        assert_eq!(d.canal, Some(Canal::Whatsapp));
        assert_eq!(d.mots, vec!["alami"]);
    }

    #[test]
    fn numbers_and_e_mails() {
        let d = ok("invite Youssef Amrani sur WhatsApp au 06 12 34 56 78");
        assert_eq!(d.personne.as_deref(), Some("Youssef Amrani"));
        assert_eq!(d.telephone.as_deref(), Some("06 12 34 56 78"));
        let d = ok("invitation whatsapp pour M. Alami, numéro +212 6 12 34 56 78");
        assert_eq!(d.telephone.as_deref(), Some("+212 6 12 34 56 78"));
        let d = ok("invite comptable@atlas-syndic.ma sur WhatsApp au 0612345678.");
        assert_eq!(d.email.as_deref(), Some("comptable@atlas-syndic.ma"));
        assert_eq!(d.personne, None);
        assert_eq!(d.telephone.as_deref(), Some("0612345678"));
    }

    #[test]
    fn what_is_missing_or_not_an_invitation() {
        let d = ok("inviter Mme Idrissi");
        assert_eq!(
            (d.canal, d.personne.as_deref()),
            (None, Some("Mme Idrissi"))
        );
        let d = ok("envoie une invitation Telegram");
        assert_eq!((d.canal, d.personne), (Some(Canal::Telegram), None));
        for text in [
            "solde de Mme Idrissi",
            "envoie les impayés sur WhatsApp",
            "le lien du rapport",
            "relance Karim par whatsapp",
        ] {
            assert_eq!(recognise(text), None, "{text}");
        }
        for text in [
            "le lien WhatsApp ne marche pas",
            "invitation Telegram et WhatsApp pour M. Alami",
            "inviter M. Alami et Mme Idrissi sur Telegram au 0612345678 ou 0698765432",
            "invitation telegram pour le solde de Mme Idrissi",
        ] {
            assert_eq!(recognise(text), Some(Err(())), "{text}");
        }
    }
}
