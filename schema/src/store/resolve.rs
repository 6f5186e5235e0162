//! Entity resolution: what the user typed ("guéliz", "3B", "alami") → the syndic's rows, with the
//! closest matches when nothing fits and the candidates when several do.

use super::{Result, Tenant};
use crate::fold::{closest, fold, lot_key};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What a lookup found.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup<T> {
    Found(T),
    /// Several rows fit equally: ask which one.
    Ambiguous(Vec<T>),
    /// Nothing fits; the closest names, best first (possibly none).
    NotFound(Vec<T>),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, sqlx::FromRow)]
pub struct ResidenceRef {
    pub id: i64,
    pub nom: String,
    pub ville: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, sqlx::FromRow)]
pub struct CoproprietaireRef {
    pub id: i64,
    /// "Mme Fatima Bennani"
    pub nom: String,
    /// Current lots, e.g. "A12 (Résidence Al Maârif)".
    pub lots: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, sqlx::FromRow)]
pub struct LotRef {
    pub id: i64,
    pub numero: String,
    pub residence_id: i64,
    pub residence: String,
    pub coproprietaire_id: Option<i64>,
    pub coproprietaire: Option<String>,
}

/// Words that carry no identity in a résidence name.
const RESIDENCE_STOPWORDS: &[&str] = &[
    "residence",
    "res",
    "immeuble",
    "imm",
    "la",
    "le",
    "les",
    "de",
    "du",
    "des",
    "d",
    "l",
];

/// Civilités and honorifics: not part of a co-owner's identity.
pub(super) const COPRO_STOPWORDS: &[&str] = &[
    "m", "mme", "mlle", "mr", "madame", "monsieur", "si", "lalla", "societe",
];

const SUGGESTIONS: usize = 5;
const FUZZY_THRESHOLD: f64 = 0.78;
/// Lot numbers are short codes ("3B"): one wrong character already costs a third of the score.
const LOT_THRESHOLD: f64 = 0.6;

/// `%token%` patterns for `LIKE ALL`, with LIKE's wildcards escaped.
fn like_patterns(folded: &str, stopwords: &[&str]) -> Vec<String> {
    folded
        .split_whitespace()
        .filter(|w| !stopwords.contains(w))
        .map(|w| {
            format!(
                "%{}%",
                w.replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_")
            )
        })
        .collect()
}

/// The significant words of a folded text.
fn words(text: &str, stopwords: &[&str]) -> Vec<String> {
    fold(text)
        .split_whitespace()
        .filter(|w| !stopwords.contains(w))
        .map(str::to_string)
        .collect()
}

/// Among several hits (each query word is a substring of theirs), the best: one whose words are
/// exactly the query's, else the only one containing every query word as a whole word ("42"
/// picks "Majorelle 42" over "Majorelle 142"); otherwise the narrowest set, to ask which.
pub(super) fn pick<T: Clone>(
    query: &str,
    hits: Vec<T>,
    key: impl Fn(&T) -> String,
    stopwords: &[&str],
) -> Lookup<T> {
    if hits.len() <= 1 {
        return hits
            .into_iter()
            .next()
            .map_or(Lookup::NotFound(Vec::new()), Lookup::Found);
    }
    let q = words(query, stopwords);
    let exact: Vec<T> = hits
        .iter()
        .filter(|h| words(&key(h), stopwords) == q)
        .cloned()
        .collect();
    let whole: Vec<T> = hits
        .iter()
        .filter(|h| {
            let w = words(&key(h), stopwords);
            q.iter().all(|x| w.contains(x))
        })
        .cloned()
        .collect();
    for tier in [exact, whole] {
        match tier.len() {
            0 => {}
            1 => {
                return tier
                    .into_iter()
                    .next()
                    .map_or(Lookup::NotFound(Vec::new()), Lookup::Found);
            }
            _ => return Lookup::Ambiguous(tier),
        }
    }
    Lookup::Ambiguous(hits)
}

pub(super) fn suggest<T: Clone>(query: &str, all: &[T], name: impl Fn(&T) -> &str) -> Lookup<T> {
    Lookup::NotFound(
        closest(query, all, name, FUZZY_THRESHOLD, SUGGESTIONS)
            .into_iter()
            .cloned()
            .collect(),
    )
}

/// A co-owner with their current lots, in résidence `$1` only when it is set.
const COPRO_SELECT: &str = "
    SELECT c.id,
           concat_ws(' ', c.civilite, c.prenom, c.nom) AS nom,
           coalesce((SELECT string_agg(l.numero || ' (' || r.nom || ')', ', ' ORDER BY r.nom, l.numero)
                     FROM proprietes p JOIN lots l ON l.id = p.lot_id JOIN residences r ON r.id = l.residence_id
                     WHERE p.coproprietaire_id = c.id AND p.jusqu_au IS NULL
                       AND ($1::bigint IS NULL OR l.residence_id = $1)), '') AS lots
    FROM coproprietaires c";

const COPRO_IN_SCOPE: &str = "($1::bigint IS NULL OR EXISTS (
        SELECT 1 FROM proprietes p JOIN lots l ON l.id = p.lot_id
        WHERE p.coproprietaire_id = c.id AND p.jusqu_au IS NULL AND l.residence_id = $1))";

const LOT_SELECT: &str = "
    SELECT l.id, l.numero, l.residence_id, r.nom AS residence,
           c.id AS coproprietaire_id, concat_ws(' ', c.civilite, c.prenom, c.nom) AS coproprietaire
    FROM lots l
    JOIN residences r ON r.id = l.residence_id
    LEFT JOIN proprietes p ON p.lot_id = l.id AND p.jusqu_au IS NULL
    LEFT JOIN coproprietaires c ON c.id = p.coproprietaire_id";

impl Tenant {
    pub async fn residence_by_id(&mut self, id: i64) -> Result<Option<ResidenceRef>> {
        Ok(
            sqlx::query_as("SELECT id, nom, ville FROM residences WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *self.tx)
                .await?,
        )
    }

    /// The résidences, optionally only `only` (a président's own).
    pub async fn residences(&mut self, only: Option<i64>) -> Result<Vec<ResidenceRef>> {
        Ok(sqlx::query_as(
            "SELECT id, nom, ville FROM residences WHERE ($1::bigint IS NULL OR id = $1) ORDER BY nom",
        )
        .bind(only)
        .fetch_all(&mut *self.tx)
        .await?)
    }

    /// A résidence by id, name or city words ("guéliz", "maarif", "Agdal Parc").
    pub async fn find_residence(
        &mut self,
        query: &str,
        only: Option<i64>,
    ) -> Result<Lookup<ResidenceRef>> {
        if let Ok(id) = query.trim().parse::<i64>() {
            let found = self
                .residence_by_id(id)
                .await?
                .filter(|r| only.is_none_or(|o| o == r.id));
            return Ok(found.map_or(Lookup::NotFound(Vec::new()), Lookup::Found));
        }
        // The exact name (what the router passes): by index, where the words below read every
        // résidence.
        let exact: Vec<ResidenceRef> = sqlx::query_as(
            "SELECT id, nom, ville FROM residences
             WHERE nom_cle = wakil_fold($1) AND ($2::bigint IS NULL OR id = $2) LIMIT 2",
        )
        .bind(query.trim())
        .bind(only)
        .fetch_all(&mut *self.tx)
        .await?;
        if let [one] = exact.as_slice() {
            return Ok(Lookup::Found(one.clone()));
        }
        let patterns = like_patterns(&fold(query), RESIDENCE_STOPWORDS);
        if !patterns.is_empty() {
            let hits: Vec<ResidenceRef> = sqlx::query_as(
                "SELECT id, nom, ville FROM residences
                 WHERE ($2::bigint IS NULL OR id = $2)
                   AND wakil_fold(nom || ' ' || ville) LIKE ALL ($1)
                 ORDER BY nom LIMIT 20",
            )
            .bind(&patterns)
            .bind(only)
            .fetch_all(&mut *self.tx)
            .await?;
            if !hits.is_empty() {
                return Ok(pick(query, hits, |r| r.nom.clone(), RESIDENCE_STOPWORDS));
            }
        }
        let all = self.residences(only).await?;
        Ok(suggest(query, &all, |r| &r.nom))
    }

    /// A co-owner by id or name, among the owners of `residence` when given.
    pub async fn find_coproprietaire(
        &mut self,
        query: &str,
        residence: Option<i64>,
    ) -> Result<Lookup<CoproprietaireRef>> {
        if let Ok(id) = query.trim().parse::<i64>() {
            let found: Option<CoproprietaireRef> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{COPRO_SELECT} WHERE {COPRO_IN_SCOPE} AND c.id = $2"
            )))
            .bind(residence)
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?;
            return Ok(found.map_or(Lookup::NotFound(Vec::new()), Lookup::Found));
        }
        let patterns = like_patterns(
            &fold(query),
            &["m", "mme", "mr", "madame", "monsieur", "si", "lalla"],
        );
        if !patterns.is_empty() {
            let hits: Vec<CoproprietaireRef> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{COPRO_SELECT} WHERE {COPRO_IN_SCOPE} AND c.nom_cle LIKE ALL ($2) ORDER BY c.nom, c.prenom LIMIT 20"
            )))
            .bind(residence)
            .bind(&patterns)
            .fetch_all(&mut *self.tx)
            .await?;
            if !hits.is_empty() {
                return Ok(pick(query, hits, |c| c.nom.clone(), COPRO_STOPWORDS));
            }
        }
        let all: Vec<CoproprietaireRef> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{COPRO_SELECT} WHERE {COPRO_IN_SCOPE} ORDER BY c.nom, c.prenom"
        )))
        .bind(residence)
        .fetch_all(&mut *self.tx)
        .await?;
        Ok(suggest(query, &all, |c| &c.nom))
    }

    /// A co-owner by id; their lots are listed within `residence` when given.
    pub async fn coproprietaire_by_id(
        &mut self,
        id: i64,
        residence: Option<i64>,
    ) -> Result<Option<CoproprietaireRef>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{COPRO_SELECT} WHERE c.id = $2"
        )))
        .bind(residence)
        .bind(id)
        .fetch_optional(&mut *self.tx)
        .await?)
    }

    /// A lot by number ("3B", "lot A-12"), in `residence` when given, else anywhere in scope.
    pub async fn find_lot(
        &mut self,
        query: &str,
        residence: Option<i64>,
    ) -> Result<Lookup<LotRef>> {
        let key = lot_key(query);
        let hits: Vec<LotRef> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{LOT_SELECT} WHERE l.numero_cle = $1 AND ($2::bigint IS NULL OR l.residence_id = $2)
             ORDER BY r.nom LIMIT 20"
        )))
        .bind(&key)
        .bind(residence)
        .fetch_all(&mut *self.tx)
        .await?;
        match hits.len() {
            1 => return Ok(Lookup::Found(hits[0].clone())),
            n if n > 1 => return Ok(Lookup::Ambiguous(hits)),
            _ => {}
        }
        // Closest numbers in the résidence (or, without one, those sharing the key's digits).
        let all: Vec<LotRef> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{LOT_SELECT} WHERE ($1::bigint IS NOT NULL AND l.residence_id = $1)
                OR ($1::bigint IS NULL AND l.numero_cle LIKE '%' || $2 || '%')
             ORDER BY r.nom, l.numero LIMIT 500"
        )))
        .bind(residence)
        .bind(key.trim_start_matches(|c: char| c.is_ascii_alphabetic()))
        .fetch_all(&mut *self.tx)
        .await?;
        Ok(Lookup::NotFound(
            closest(&key, &all, |l| &l.numero, LOT_THRESHOLD, SUGGESTIONS)
                .into_iter()
                .cloned()
                .collect(),
        ))
    }
}

/// A résidence, co-owner or supplier one of whose name words the user typed (for the fast-path
/// router, which must tell names from other words without loading every name).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct NameHit {
    /// "residence", "coproprietaire" or "fournisseur".
    pub kind: String,
    pub id: i64,
    /// The name to give a tool: a résidence's or supplier's name, a co-owner's first name and
    /// surname ("Omar Lahlou").
    pub nom: String,
    /// For people: with the civilité ("M. Omar Lahlou"); otherwise the name.
    pub libelle: String,
    /// A co-owner's current lot numbers ("B21, P05"); a résidence's city.
    pub detail: String,
    /// The typed words (folded) found among the name's words.
    pub mots: Vec<String>,
}

/// The words of a résidence: name and city.
const RESIDENCE_WORDS: &str =
    "string_to_array(r.nom_cle || ' ' || wakil_fold(coalesce(r.ville, '')), ' ')";

/// How many rows of one kind have a word in their name (see [`Tenant::name_word_counts`]).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct NameWordCount {
    pub mot: String,
    /// "residence", "coproprietaire" or "fournisseur".
    pub kind: String,
    pub n: i64,
}

/// The words through which each kind's rows are looked up ([`Tenant::names_with_words`]); no
/// word, no row of that kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NameDrivers {
    pub residence: Vec<String>,
    pub coproprietaire: Vec<String>,
    pub fournisseur: Vec<String>,
}

impl Tenant {
    /// For each of `words` (folded) and each kind, how many résidences (by name or city),
    /// co-owners and suppliers have it as a whole word of their name, counted up to `cap` (an
    /// index-only read of at most `cap` entries per word); zero counts are left out.
    pub async fn name_word_counts(
        &mut self,
        words: &[String],
        cap: i64,
    ) -> Result<Vec<NameWordCount>> {
        Ok(sqlx::query_as(
            "SELECT w.mot, k.kind, c.n
             FROM unnest($1::text[]) w(mot)
             CROSS JOIN unnest(ARRAY['residence', 'coproprietaire', 'fournisseur']) k(kind)
             CROSS JOIN LATERAL (
                 SELECT count(*) AS n FROM (
                     SELECT 1 FROM nom_mots n
                     WHERE n.syndic_id = wakil_syndic() AND n.mot = w.mot AND n.kind = k.kind
                     LIMIT $2) x) c
             WHERE c.n > 0",
        )
        .bind(words)
        .bind(cap)
        .fetch_all(&mut *self.tx)
        .await?)
    }

    /// The résidences, co-owners (owning a lot in `residence` when given) and suppliers having
    /// one of their kind's `drivers` as a whole word of their name (or city), each with the
    /// `words` (folded, the drivers among them) they have; at most 50 of each kind, those having
    /// most words first. Reads only the rows of the drivers (the caller picks words that few
    /// names have), by index.
    pub async fn names_with_words(
        &mut self,
        words: &[String],
        drivers: &NameDrivers,
        residence: Option<i64>,
    ) -> Result<Vec<NameHit>> {
        Ok(sqlx::query_as(
            "WITH c AS (
                 SELECT kind, id FROM nom_mots
                 WHERE syndic_id = wakil_syndic() AND kind = 'residence' AND mot = ANY($2)
                 UNION
                 SELECT kind, id FROM nom_mots
                 WHERE syndic_id = wakil_syndic() AND kind = 'coproprietaire' AND mot = ANY($3)
                 UNION
                 SELECT kind, id FROM nom_mots
                 WHERE syndic_id = wakil_syndic() AND kind = 'fournisseur' AND mot = ANY($4)),
             m AS (
                 SELECT n.kind, n.id, array_agg(n.mot ORDER BY n.mot) AS mots
                 FROM c JOIN nom_mots n ON n.kind = c.kind AND n.id = c.id
                 WHERE n.syndic_id = wakil_syndic() AND n.mot = ANY($1)
                 GROUP BY n.kind, n.id)
             (SELECT 'residence' AS kind, r.id, r.nom, r.nom AS libelle, r.ville AS detail, m.mots
              FROM m JOIN residences r ON r.id = m.id
              WHERE m.kind = 'residence'
              ORDER BY cardinality(m.mots) DESC, r.nom LIMIT 50)
             UNION ALL
             (SELECT 'coproprietaire', c.id, concat_ws(' ', c.prenom, c.nom),
                     concat_ws(' ', c.civilite, c.prenom, c.nom),
                     coalesce((SELECT string_agg(l.numero, ', ' ORDER BY l.numero)
                               FROM proprietes p JOIN lots l ON l.id = p.lot_id
                               WHERE p.coproprietaire_id = c.id AND p.jusqu_au IS NULL
                                 AND ($5::bigint IS NULL OR l.residence_id = $5)), ''),
                     m.mots
              FROM m JOIN coproprietaires c ON c.id = m.id
              WHERE m.kind = 'coproprietaire'
                AND ($5::bigint IS NULL OR EXISTS (
                    SELECT 1 FROM proprietes p JOIN lots l ON l.id = p.lot_id
                    WHERE p.coproprietaire_id = c.id AND p.jusqu_au IS NULL
                      AND l.residence_id = $5))
              ORDER BY cardinality(m.mots) DESC, concat_ws(' ', c.prenom, c.nom) LIMIT 50)
             UNION ALL
             (SELECT 'fournisseur', f.id, f.nom, f.nom, '', m.mots
              FROM m JOIN fournisseurs f ON f.id = m.id
              WHERE m.kind = 'fournisseur'
              ORDER BY cardinality(m.mots) DESC, f.nom LIMIT 50)",
        )
        .bind(words)
        .bind(&drivers.residence)
        .bind(&drivers.coproprietaire)
        .bind(&drivers.fournisseur)
        .bind(residence)
        .fetch_all(&mut *self.tx)
        .await?)
    }

    /// The distinct words (folded) of the names and cities of the résidences (only `only` when
    /// given): what an Arabic-script word is compared with, by its consonants.
    pub async fn residence_words(&mut self, only: Option<i64>) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT DISTINCT w FROM (SELECT unnest({RESIDENCE_WORDS}) AS w FROM residences r
                                    WHERE $1::bigint IS NULL OR r.id = $1) x
             WHERE length(w) >= 3 LIMIT 5000"
        )))
        .bind(only)
        .fetch_all(&mut *self.tx)
        .await?)
    }

    /// The distinct name words (folded) of résidences (with cities), co-owners and suppliers
    /// that start like one of `prefixes` (two letters): candidates to correct a typo in a name.
    /// One index probe per distinct word (skipping from a word to the next), whatever the
    /// number of names.
    pub async fn name_words_starting(&mut self, prefixes: &[String]) -> Result<Vec<String>> {
        // Each prefix as the range [prefix, prefix with its last letter incremented).
        let ends: Vec<String> = prefixes
            .iter()
            .map(|p| {
                let mut chars: Vec<char> = p.chars().collect();
                if let Some(last) = chars.last_mut() {
                    *last = char::from_u32(u32::from(*last) + 1).unwrap_or(char::MAX);
                }
                chars.into_iter().collect()
            })
            .collect();
        Ok(sqlx::query_scalar(
            "WITH RECURSIVE w(mot, fin) AS (
                 SELECT (SELECT n.mot FROM nom_mots n
                         WHERE n.syndic_id = wakil_syndic() AND n.mot >= p.debut AND n.mot < p.fin
                         ORDER BY n.mot LIMIT 1), p.fin
                 FROM unnest($1::text[], $2::text[]) p(debut, fin)
                 UNION ALL
                 SELECT (SELECT n.mot FROM nom_mots n
                         WHERE n.syndic_id = wakil_syndic() AND n.mot > w.mot AND n.mot < w.fin
                         ORDER BY n.mot LIMIT 1), w.fin
                 FROM w WHERE w.mot IS NOT NULL)
             SELECT DISTINCT mot FROM w WHERE length(mot) >= 3 LIMIT 5000",
        )
        .bind(prefixes)
        .bind(&ends)
        .fetch_all(&mut *self.tx)
        .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(l: Lookup<&str>) -> Vec<String> {
        match l {
            Lookup::Found(x) => vec![format!("found {x}")],
            Lookup::Ambiguous(v) => v.iter().map(|x| format!("ambiguous {x}")).collect(),
            Lookup::NotFound(v) => v.iter().map(|x| format!("none {x}")).collect(),
        }
    }

    #[test]
    fn whole_words_beat_substrings() {
        let hits = vec![
            "Résidence Majorelle 142",
            "Résidence Majorelle 42",
            "Résidence Majorelle 242",
        ];
        let got = names(pick(
            "majorelle 42",
            hits,
            |s| s.to_string(),
            RESIDENCE_STOPWORDS,
        ));
        assert_eq!(got, vec!["found Résidence Majorelle 42"]);
    }

    #[test]
    fn exact_names_win_and_shared_surnames_stay_ambiguous() {
        let hits = vec!["M. Anas Mernissi", "Mme Latifa Mernissi"];
        let got = names(pick(
            "Anas Mernissi",
            hits.clone(),
            |s| s.to_string(),
            COPRO_STOPWORDS,
        ));
        assert_eq!(got, vec!["found M. Anas Mernissi"]);
        let got = names(pick("mernissi", hits, |s| s.to_string(), COPRO_STOPWORDS));
        assert_eq!(got.len(), 2, "{got:?}");
    }
}
