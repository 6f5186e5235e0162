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
const COPRO_STOPWORDS: &[&str] = &[
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
fn pick<T: Clone>(
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

fn suggest<T: Clone>(query: &str, all: &[T], name: impl Fn(&T) -> &str) -> Lookup<T> {
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

impl Tenant {
    /// Résidences, co-owners (owning a lot in `residence` when given) and, when `fournisseurs`,
    /// suppliers having one of `words` (folded) as a whole word of their name (or city), with the
    /// words they matched; at most 50 of each kind, those matching most words first.
    pub async fn names_with_words(
        &mut self,
        words: &[String],
        residence: Option<i64>,
        fournisseurs: bool,
    ) -> Result<Vec<NameHit>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "(SELECT * FROM (
                 SELECT 'residence' AS kind, r.id, r.nom, r.nom AS libelle, r.ville AS detail,
                        ARRAY(SELECT DISTINCT w FROM unnest({RESIDENCE_WORDS}) w WHERE w = ANY($1)) AS mots
                 FROM residences r WHERE {RESIDENCE_WORDS} && $1) x
              ORDER BY cardinality(mots) DESC, nom LIMIT 50)
             UNION ALL
             (SELECT * FROM (
                 SELECT 'coproprietaire' AS kind, c.id, concat_ws(' ', c.prenom, c.nom) AS nom,
                        concat_ws(' ', c.civilite, c.prenom, c.nom) AS libelle,
                        coalesce((SELECT string_agg(l.numero, ', ' ORDER BY l.numero)
                                  FROM proprietes p JOIN lots l ON l.id = p.lot_id
                                  WHERE p.coproprietaire_id = c.id AND p.jusqu_au IS NULL
                                    AND ($2::bigint IS NULL OR l.residence_id = $2)), '') AS detail,
                        ARRAY(SELECT DISTINCT w FROM unnest(string_to_array(c.nom_cle, ' ')) w WHERE w = ANY($1)) AS mots
                 FROM coproprietaires c
                 WHERE string_to_array(c.nom_cle, ' ') && $1
                   AND ($2::bigint IS NULL OR EXISTS (
                       SELECT 1 FROM proprietes p JOIN lots l ON l.id = p.lot_id
                       WHERE p.coproprietaire_id = c.id AND p.jusqu_au IS NULL AND l.residence_id = $2))) x
              ORDER BY cardinality(mots) DESC, nom LIMIT 50)
             UNION ALL
             (SELECT 'fournisseur', f.id, f.nom, f.nom, '',
                     ARRAY(SELECT DISTINCT w FROM unnest(string_to_array(f.nom_cle, ' ')) w WHERE w = ANY($1))
              FROM fournisseurs f WHERE $3 AND string_to_array(f.nom_cle, ' ') && $1
              ORDER BY f.nom LIMIT 50)"
        )))
        .bind(words)
        .bind(residence)
        .bind(fournisseurs)
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

    /// The distinct name words (folded) of résidences (with cities), co-owners and suppliers that
    /// start like one of `prefixes` (two letters): candidates to correct a typo in a name.
    pub async fn name_words_starting(&mut self, prefixes: &[String]) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT DISTINCT w FROM (
                 SELECT unnest({RESIDENCE_WORDS}) AS w FROM residences r
                 UNION ALL SELECT unnest(string_to_array(nom_cle, ' ')) FROM coproprietaires
                 UNION ALL SELECT unnest(string_to_array(nom_cle, ' ')) FROM fournisseurs) x
             WHERE left(w, 2) = ANY($1) AND length(w) >= 3
             LIMIT 5000"
        )))
        .bind(prefixes)
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
