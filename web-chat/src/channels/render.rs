//! The agent's events as messages of a chat app: prose, tables and notices gathered into text
//! messages (cut at the channel's length limit, between lines), a confirmation as its own message
//! with buttons, a file as a document. Tables fit a phone: a narrow table stays aligned in
//! monospace, a wide one becomes one line per row ("• Mme Lahlou — Lot : A12 · Dû : 4 500,00").

use uuid::Uuid;
use wakil_agent::event::{Attachment, Outbound};
use wakil_tools::Table;

/// How a channel marks text up.
pub struct Markup {
    /// Makes text from the agent safe to send (Telegram HTML: `<`, `>`, `&`).
    pub escape: fn(&str) -> String,
    pub bold: fn(&str) -> String,
    pub italic: fn(&str) -> String,
    /// Monospace block, for aligned tables.
    pub pre: fn(&str) -> String,
}

/// One message to send.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    Text(String),
    Confirmation { text: String, action: Uuid },
    File(Attachment),
}

/// The widest table kept aligned in monospace (characters a phone shows on one line).
const NARROW: usize = 34;

/// The messages for the events of one turn.
pub fn compose(events: &[Outbound], markup: &Markup, max: usize) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut blocks: Vec<String> = Vec::new();
    let mut prose = String::new();
    let flush_prose = |prose: &mut String, blocks: &mut Vec<String>| {
        let text = prose.trim();
        if !text.is_empty() {
            blocks.push(rich(text, markup));
        }
        prose.clear();
    };
    let flush = |blocks: &mut Vec<String>, pieces: &mut Vec<Piece>| {
        if !blocks.is_empty() {
            pieces.extend(
                split(&blocks.join("\n\n"), max)
                    .into_iter()
                    .map(Piece::Text),
            );
            blocks.clear();
        }
    };
    for event in events {
        match event {
            Outbound::Text { text } => prose.push_str(text),
            Outbound::Activity { .. } => {}
            Outbound::Table { table } => {
                flush_prose(&mut prose, &mut blocks);
                blocks.push(table_text(table, markup));
            }
            Outbound::Notice { text } => {
                flush_prose(&mut prose, &mut blocks);
                blocks.push((markup.italic)(&(markup.escape)(text)));
            }
            Outbound::Confirmation {
                id,
                summary,
                tables,
            } => {
                flush_prose(&mut prose, &mut blocks);
                flush(&mut blocks, &mut pieces);
                let mut text = (markup.bold)(&(markup.escape)(summary));
                for t in tables {
                    text.push_str("\n\n");
                    text.push_str(&table_text(t, markup));
                }
                pieces.push(Piece::Confirmation {
                    text: truncate(&text, max),
                    action: *id,
                });
            }
            Outbound::File { file } => {
                flush_prose(&mut prose, &mut blocks);
                flush(&mut blocks, &mut pieces);
                pieces.push(Piece::File(file.clone()));
            }
        }
    }
    flush_prose(&mut prose, &mut blocks);
    flush(&mut blocks, &mut pieces);
    pieces
}

/// A table for a phone screen.
fn table_text(table: &Table, markup: &Markup) -> String {
    let e = markup.escape;
    // Monospace has no bold: a highlight's marks go before the columns are measured.
    let mut unmarked = table.clone();
    for cell in unmarked
        .rows
        .iter_mut()
        .chain(&mut unmarked.footer)
        .flatten()
    {
        *cell = cell.replace("**", "");
    }
    let aligned = unmarked.to_text();
    let widest = aligned
        .lines()
        .skip(1)
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0);
    if widest <= NARROW {
        let body: Vec<&str> = aligned.lines().skip(1).collect();
        return format!(
            "{}\n{}",
            (markup.bold)(&e(&table.title)),
            (markup.pre)(&e(&body.join("\n")))
        );
    }
    let mut lines = vec![(markup.bold)(&e(&table.title))];
    let row = |cells: &[String]| -> String {
        let mut parts = cells.iter().zip(&table.columns);
        let first = parts
            .next()
            .map(|(c, _)| rich(c, markup))
            .unwrap_or_default();
        let rest: Vec<String> = parts
            .filter(|(c, _)| !c.trim().is_empty())
            .map(|(c, col)| format!("{} : {}", e(&col.label), rich(c, markup)))
            .collect();
        if rest.is_empty() {
            first
        } else {
            format!("{first} — {}", rest.join(" · "))
        }
    };
    for cells in &table.rows {
        lines.push(format!("• {}", row(cells)));
    }
    if let Some(footer) = &table.footer {
        lines.push((markup.bold)(&row(footer)));
    }
    lines.join("\n")
}

/// `text` made safe, its `**…**` spans (the words a passage matched, the model's emphasis) in the
/// channel's bold; an unpaired `**` stays as it is.
fn rich(text: &str, markup: &Markup) -> String {
    let mut parts: Vec<String> = text.split("**").map(str::to_string).collect();
    if parts.len().is_multiple_of(2) {
        let last = parts.pop().unwrap_or_default();
        if let Some(before) = parts.last_mut() {
            before.push_str("**");
            before.push_str(&last);
        }
    }
    parts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let safe = (markup.escape)(p);
            if i % 2 == 1 && !p.trim().is_empty() {
                (markup.bold)(&safe)
            } else if i % 2 == 1 {
                format!("**{safe}**")
            } else {
                safe
            }
        })
        .collect()
}

/// Cuts `text` into messages of at most `max` characters, between lines when possible.
fn split(text: &str, max: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.split('\n') {
        let needed = current.chars().count() + line.chars().count() + 1;
        if !current.is_empty() && needed > max {
            out.push(std::mem::take(&mut current));
        }
        if line.chars().count() > max {
            let chars: Vec<char> = line.chars().collect();
            for chunk in chars.chunks(max) {
                out.push(chunk.iter().collect());
            }
            continue;
        }
        if !current.is_empty() {
            current.push('\n');
        }
        current.push_str(line);
    }
    if !current.trim().is_empty() {
        out.push(current);
    }
    out
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;
    use wakil_tools::Align;

    const PLAIN: Markup = Markup {
        escape: |s| s.replace('<', "&lt;"),
        bold: |s| format!("*{s}*"),
        italic: |s| format!("_{s}_"),
        pre: |s| format!("```{s}```"),
    };

    fn wide() -> Table {
        let mut t = Table::new(
            "Impayés — Résidence Les Jardins de Guéliz",
            &[
                ("Copropriétaire", Align::Left),
                ("Lot", Align::Left),
                ("Échéances", Align::Right),
                ("Montant dû", Align::Right),
            ],
        );
        t.row(vec![
            "Mme Khadija Lahlou".into(),
            "A12".into(),
            "3".into(),
            "4 500,00".into(),
        ]);
        t.footer = Some(vec![
            "Total".into(),
            "".into(),
            "3".into(),
            "4 500,00".into(),
        ]);
        t
    }

    #[test]
    fn highlighted_words_are_in_bold_and_stray_marks_stay() {
        assert_eq!(
            rich("le **dépannage** <vite> et les **pannes**", &PLAIN),
            "le *dépannage* &lt;vite> et les *pannes*"
        );
        assert_eq!(rich("2 ** 3", &PLAIN), "2 ** 3");
        assert_eq!(rich("a **b** c ** d", &PLAIN), "a *b* c ** d");
        assert_eq!(rich("vide ****", &PLAIN), "vide ****");
        let mut t = Table::new(
            "Passages",
            &[("Document", Align::Left), ("Extrait", Align::Left)],
        );
        t.row(vec![
            "Règlement – Résidence Les Jardins de Guéliz".into(),
            "Les **animaux** domestiques sont admis".into(),
        ]);
        let text = table_text(&t, &PLAIN);
        assert!(
            text.contains("Extrait : Les *animaux* domestiques"),
            "{text}"
        );
        let mut narrow = Table::new("P", &[("Mot", Align::Left)]);
        narrow.row(vec!["**chat**".into()]);
        assert_eq!(table_text(&narrow, &PLAIN), "*P*\n```Mot\n────\nchat```");
    }

    #[test]
    fn a_turn_becomes_messages_in_order() {
        let id = Uuid::new_v4();
        let events = vec![
            Outbound::Activity {
                tool: "query_impayes".into(),
                label: "…".into(),
            },
            Outbound::Text {
                text: "Voici les impayés ".into(),
            },
            Outbound::Text {
                text: "<de Guéliz>.".into(),
            },
            Outbound::Table { table: wide() },
            Outbound::Notice {
                text: "Mode réduit".into(),
            },
            Outbound::Confirmation {
                id,
                summary: "Enregistrer 1 200,00 MAD ?".into(),
                tables: vec![],
            },
        ];
        let pieces = compose(&events, &PLAIN, 4096);
        assert_eq!(pieces.len(), 2);
        let Piece::Text(text) = &pieces[0] else {
            panic!("{pieces:?}")
        };
        assert!(
            text.starts_with("Voici les impayés &lt;de Guéliz>."),
            "{text}"
        );
        assert!(
            text.contains(
                "• Mme Khadija Lahlou — Lot : A12 · Échéances : 3 · Montant dû : 4 500,00"
            ),
            "{text}"
        );
        assert!(
            text.contains("*Total — Échéances : 3 · Montant dû : 4 500,00*"),
            "{text}"
        );
        assert!(text.ends_with("_Mode réduit_"), "{text}");
        assert_eq!(
            pieces[1],
            Piece::Confirmation {
                text: "*Enregistrer 1 200,00 MAD ?*".into(),
                action: id
            }
        );
    }

    #[test]
    fn narrow_tables_stay_aligned() {
        let mut t = Table::new("Solde", &[("", Align::Left), ("MAD", Align::Right)]);
        t.row(vec!["Appelé".into(), "9 000,00".into()]);
        t.row(vec!["Payé".into(), "4 500,00".into()]);
        let text = table_text(&t, &PLAIN);
        assert!(text.starts_with("*Solde*\n```"), "{text}");
        assert!(text.contains("Appelé  9 000,00"), "{text}");
    }

    #[test]
    fn long_text_is_cut_between_lines() {
        let text = (0..100)
            .map(|i| format!("ligne {i:03}"))
            .collect::<Vec<_>>()
            .join("\n");
        let parts = split(&text, 100);
        assert!(parts.iter().all(|p| p.chars().count() <= 100));
        assert_eq!(parts.join("\n"), text);
        assert_eq!(split(&"x".repeat(250), 100).len(), 3);
    }
}
