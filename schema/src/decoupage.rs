//! How a document's text is cut into chunks for retrieval: at its headings (Markdown `#`
//! titles, "Article 12 – …", "Chapitre II", "Résolution n° 3 – …", short lines in capitals),
//! each chunk keeping the heading it falls under and the page where it starts; a long section is
//! cut again between paragraphs (then between sentences), never in the middle of a word.
//!
//! Pure: the seed and the indexing job cut the same way.

use sha2::{Digest, Sha256};

/// Changes whenever the cutting changes, so that documents are cut again (it is part of the
/// text's hash).
pub const VERSION: &str = "decoupage-1";

/// Above this many words a section is cut again; a piece aims at [`CIBLE_MOTS`].
const MAX_MOTS: usize = 320;
const CIBLE_MOTS: usize = 220;

/// One page of text; `numero` is `None` when the source has no pages (plain text, Markdown).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<'a> {
    pub numero: Option<i32>,
    pub texte: &'a str,
}

/// A chunk, in document order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Morceau {
    pub rang: i32,
    pub page: Option<i32>,
    /// The headings it falls under ("Chapitre II › Article 9 – Animaux"), if any.
    pub titre: Option<String>,
    pub contenu: String,
}

impl Morceau {
    /// The hash of its title and content: an identical chunk keeps its embedding.
    pub fn sha256(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.titre.as_deref().unwrap_or("").as_bytes());
        h.update([0u8]);
        h.update(self.contenu.as_bytes());
        hex(&h.finalize())
    }
}

/// The hash of a document's text as cut: pages, their numbers and [`VERSION`].
pub fn sha256_texte(pages: &[Page<'_>]) -> String {
    let mut h = Sha256::new();
    h.update(VERSION.as_bytes());
    for p in pages {
        h.update([0u8]);
        h.update(p.numero.unwrap_or(0).to_le_bytes());
        h.update(p.texte.as_bytes());
    }
    hex(&h.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A heading line, as it should read in a chunk's title.
fn titre_de(ligne: &str) -> Option<(usize, String)> {
    let l = ligne.trim();
    if l.is_empty() || l.chars().count() > 120 {
        return None;
    }
    // Markdown: the level is the number of '#', unless the title says what it is.
    let dieses = l.chars().take_while(|c| *c == '#').count();
    let markdown = (1..=6).contains(&dieses) && l[dieses..].starts_with(' ');
    let nu = if markdown { &l[dieses..] } else { l };
    let nu = nu
        .trim()
        .trim_matches(|c: char| c == '*' || c == '_')
        .trim();
    let mot = nu.split_whitespace().next().unwrap_or("").to_lowercase();
    let suivant = nu.split_whitespace().nth(1).unwrap_or("");
    let numerote = |s: &str| {
        let s = s.trim_end_matches(['.', ':', '–', '-']);
        !s.is_empty()
            && (s.chars().all(|c| c.is_ascii_digit())
                || s.chars().all(|c| "IVXLC".contains(c))
                || matches!(
                    s.to_lowercase().as_str(),
                    "premier" | "1er" | "unique" | "n°"
                ))
    };
    let niveau = match mot.trim_end_matches('.') {
        "titre" | "chapitre" | "partie" => Some(2),
        "section" => Some(3),
        "article" | "art" | "résolution" | "resolution" | "annexe" => Some(4),
        _ => None,
    };
    if let Some(n) = niveau
        && numerote(suivant)
        && !nu.ends_with(['.', ',', ';'])
    {
        // A level-1 Markdown title stays the document's title.
        return Some((if dieses == 1 { 1 } else { n }, nu.to_string()));
    }
    if markdown {
        return Some((dieses, nu.to_string()));
    }
    // A short line in capitals ("DISPOSITIONS GÉNÉRALES") is a heading.
    let lettres: Vec<char> = nu.chars().filter(|c| c.is_alphabetic()).collect();
    if lettres.len() >= 6
        && nu.split_whitespace().count() <= 10
        && lettres.iter().all(|c| c.is_uppercase())
    {
        return Some((2, nu.to_string()));
    }
    None
}

/// Cuts `pages` into chunks (a paragraph cut by a page break goes on: only a blank line ends it).
pub fn decouper(pages: &[Page<'_>]) -> Vec<Morceau> {
    let mut sections: Vec<Section> = Vec::new();
    // The open headings, by level: a level-4 article under a level-2 chapter.
    let mut pile: Vec<(usize, String)> = Vec::new();
    let mut courante = Section::default();
    for page in pages {
        let texte = page.texte.replace('\r', "");
        for ligne in texte.lines() {
            if let Some((niveau, titre)) = titre_de(ligne) {
                if courante.a_du_texte() {
                    sections.push(std::mem::take(&mut courante));
                }
                // The document's own title (a level-1 heading) names no section.
                pile.retain(|(n, _)| *n < niveau);
                if niveau > 1 {
                    pile.push((niveau, titre));
                }
                courante = Section {
                    titre: (!pile.is_empty()).then(|| {
                        pile.iter()
                            .map(|(_, t)| t.as_str())
                            .collect::<Vec<_>>()
                            .join(" › ")
                    }),
                    ..Section::default()
                };
                continue;
            }
            courante.ajouter(page.numero, ligne);
        }
    }
    if courante.a_du_texte() {
        sections.push(courante);
    }
    let mut out = Vec::new();
    for s in sections {
        for (page, contenu) in s.morceaux() {
            out.push(Morceau {
                rang: out.len() as i32,
                page,
                titre: s.titre.clone(),
                contenu,
            });
        }
    }
    out
}

/// A section's paragraphs, each with the page where it starts.
#[derive(Debug, Default)]
struct Section {
    titre: Option<String>,
    paragraphes: Vec<(Option<i32>, String)>,
    ouvert: bool,
}

impl Section {
    fn a_du_texte(&self) -> bool {
        self.paragraphes.iter().any(|(_, p)| !p.trim().is_empty())
    }

    fn ajouter(&mut self, page: Option<i32>, ligne: &str) {
        let l = ligne.trim();
        if l.is_empty() {
            self.ouvert = false;
            return;
        }
        // A list item starts its own line within the paragraph.
        let item = l.starts_with(['-', '•', '*']) || l.starts_with(|c: char| c.is_ascii_digit());
        match self.paragraphes.last_mut() {
            Some((_, p)) if self.ouvert => {
                p.push(if item { '\n' } else { ' ' });
                p.push_str(l);
            }
            _ => self.paragraphes.push((page, l.to_string())),
        }
        self.ouvert = true;
    }

    /// The section as pieces of at most [`MAX_MOTS`] words, cut between paragraphs, else
    /// between sentences.
    fn morceaux(&self) -> Vec<(Option<i32>, String)> {
        let mut unites: Vec<(Option<i32>, String)> = Vec::new();
        for (page, p) in &self.paragraphes {
            if mots(p) <= MAX_MOTS {
                unites.push((*page, p.clone()));
            } else {
                unites.extend(phrases(p).into_iter().map(|s| (*page, s)));
            }
        }
        let total: usize = unites.iter().map(|(_, u)| mots(u)).sum();
        let mut out: Vec<(Option<i32>, String)> = Vec::new();
        let mut n = 0;
        for (page, u) in unites {
            let m = mots(&u);
            let reste = total - n;
            match out.last_mut() {
                Some((_, cur))
                    if mots(cur) + m <= MAX_MOTS
                        && (mots(cur) < CIBLE_MOTS || reste <= MAX_MOTS - mots(cur)) =>
                {
                    cur.push_str("\n\n");
                    cur.push_str(&u);
                }
                _ => out.push((page, u)),
            }
            n += m;
        }
        out
    }
}

fn mots(s: &str) -> usize {
    s.split_whitespace().count()
}

/// A long paragraph's sentences, grouped up to [`CIBLE_MOTS`] words; a sentence longer than
/// [`MAX_MOTS`] is cut between words.
fn phrases(p: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    for mot in p.split_inclusive(' ') {
        cur.push_str(mot);
        let fin_de_phrase = mot.trim_end().ends_with(['.', '!', '?', ';', ':']);
        if (fin_de_phrase && mots(&cur) >= CIBLE_MOTS) || mots(&cur) >= MAX_MOTS {
            out.push(cur.trim().to_string());
            cur.clear();
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn une(texte: &str) -> Vec<Morceau> {
        decouper(&[Page {
            numero: None,
            texte,
        }])
    }

    #[test]
    fn articles_and_markdown_titles_start_chunks() {
        let m = une(
            "# Règlement\n\nPréambule du règlement.\n\n## Article 1 – Objet\n\nLe présent règlement.\n\n\
             Article 2 - Animaux\nLes chiens sont tenus en laisse.\n\nCHAPITRE II\n\nArticle 3 : Bruit\nPas de bruit après 22 h.\n",
        );
        let titres: Vec<Option<&str>> = m.iter().map(|c| c.titre.as_deref()).collect();
        assert_eq!(
            titres,
            vec![
                None,
                Some("Article 1 – Objet"),
                Some("Article 2 - Animaux"),
                Some("CHAPITRE II › Article 3 : Bruit"),
            ]
        );
        assert_eq!(m[2].contenu, "Les chiens sont tenus en laisse.");
        assert_eq!(
            m.iter().map(|c| c.rang).collect::<Vec<_>>(),
            vec![0, 1, 2, 3]
        );
    }

    #[test]
    fn a_sentence_starting_with_article_is_no_heading() {
        let m =
            une("## Article 4 – Charges\n\nArticle 5 du décret, les charges sont dues.\nSuite.");
        assert_eq!(m.len(), 1);
        assert!(m[0].contenu.starts_with("Article 5 du décret"));
    }

    #[test]
    fn chunks_keep_the_page_where_they_start() {
        let p1 = "Article 1 – Objet\nTexte de l'objet.\n\nArticle 2 – Durée\nLe contrat dure un an";
        let p2 = "et se renouvelle.\n\nArticle 3 – Prix\nLe prix est fixé à l'annexe.";
        let m = decouper(&[
            Page {
                numero: Some(1),
                texte: p1,
            },
            Page {
                numero: Some(2),
                texte: p2,
            },
        ]);
        let pages: Vec<(Option<&str>, Option<i32>)> =
            m.iter().map(|c| (c.titre.as_deref(), c.page)).collect();
        assert_eq!(
            pages,
            vec![
                (Some("Article 1 – Objet"), Some(1)),
                (Some("Article 2 – Durée"), Some(1)),
                (Some("Article 3 – Prix"), Some(2)),
            ]
        );
        // The paragraph cut by the page break is one.
        assert_eq!(m[1].contenu, "Le contrat dure un an et se renouvelle.");
    }

    #[test]
    fn a_long_article_is_cut_between_paragraphs_under_its_title() {
        let para = |i: usize| format!("Paragraphe {i} : {}.", "mot ".repeat(100).trim());
        let texte = format!(
            "## Article 7 – Travaux\n\n{}",
            (0..6).map(para).collect::<Vec<_>>().join("\n\n")
        );
        let m = une(&texte);
        assert!(m.len() >= 2, "{} chunks", m.len());
        for c in &m {
            assert_eq!(c.titre.as_deref(), Some("Article 7 – Travaux"));
            assert!(mots(&c.contenu) <= MAX_MOTS, "{}", mots(&c.contenu));
            assert!(c.contenu.starts_with("Paragraphe"));
        }
        let total: usize = m.iter().map(|c| mots(&c.contenu)).sum();
        assert_eq!(total, 6 * 103);
    }

    #[test]
    fn a_huge_paragraph_is_cut_between_sentences() {
        let texte = "Une phrase de dix mots pour remplir le paragraphe ici. ".repeat(80);
        let m = une(&texte);
        assert!(m.len() >= 3);
        assert!(m.iter().all(|c| c.contenu.ends_with('.')));
    }

    #[test]
    fn hashes_change_with_the_text_not_otherwise() {
        let a = [Page {
            numero: Some(1),
            texte: "Article 1 – Objet\nTexte.",
        }];
        let b = [Page {
            numero: Some(1),
            texte: "Article 1 – Objet\nTexte modifié.",
        }];
        assert_eq!(sha256_texte(&a), sha256_texte(&a.clone()));
        assert_ne!(sha256_texte(&a), sha256_texte(&b));
        let m = une("Article 1 – Objet\nTexte.");
        assert_eq!(m[0].sha256(), une("Article 1 – Objet\nTexte.")[0].sha256());
        assert_ne!(m[0].sha256(), une("Article 1 – But\nTexte.")[0].sha256());
    }
}
