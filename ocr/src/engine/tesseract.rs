//! Tesseract through its command-line program: the page goes in on stdin (PGM), words with their
//! confidences come out on stdout (TSV).

use std::ffi::OsString;
use std::process::Command;
use std::thread;
use std::time::Duration;

use image::GrayImage;
use image::imageops::crop_imm;

use super::{OcrEngine, Recognised};
use crate::process::{self, Finished};
use crate::{ReadError, pnm};

/// Page segmentation: one uniform block of text, so that a table's label and amount stay on
/// one line (invoices are tables more than columns).
const PAGE_SEGMENTATION: &str = "6";
const TIMEOUT: Duration = Duration::from_secs(120);
/// A page is read in up to this many horizontal bands at once, one Tesseract each (as many as
/// there are cores): on two cores a page takes about half the time.
const MAX_BANDS: usize = 2;
/// Bands are cut only in pages at least this tall.
const MIN_BAND_HEIGHT: u32 = 600;
const INSTALL: &str = "apt-get install tesseract-ocr tesseract-ocr-fra";

/// Tesseract in French.
#[derive(Debug, Clone)]
pub struct Tesseract {
    program: OsString,
    version: String,
}

impl Tesseract {
    /// The `program` (a name on the `PATH` or a path), checked to run and to know French.
    pub fn new(program: impl Into<OsString>) -> Result<Tesseract, ReadError> {
        let program = program.into();
        let missing = || {
            ReadError::EngineMissing(format!(
                "Tesseract est introuvable : installez-le ({INSTALL}) ou indiquez son chemin dans WAKIL_TESSERACT."
            ))
        };
        let ask = |flag: &str| -> Result<String, ReadError> {
            let done = run(Command::new(&program).arg(flag), &[]).map_err(|_| missing())?;
            if !done.status.success() {
                return Err(missing());
            }
            // Older versions print on stderr.
            Ok(format!(
                "{}\n{}",
                String::from_utf8_lossy(&done.stdout),
                String::from_utf8_lossy(&done.stderr)
            ))
        };
        let version = ask("--version")?
            .lines()
            .find_map(|line| line.trim().strip_prefix("tesseract "))
            .map(|v| v.trim().to_owned())
            .ok_or_else(missing)?;
        if !ask("--list-langs")?
            .lines()
            .any(|line| line.trim() == "fra")
        {
            return Err(ReadError::EngineMissing(
                "Tesseract ne connaît pas le français : installez sa langue (apt-get install tesseract-ocr-fra)."
                    .to_owned(),
            ));
        }
        Ok(Tesseract { program, version })
    }

    /// One band of a page, read by one Tesseract process.
    fn read_band(&self, band: &GrayImage) -> Result<Tally, ReadError> {
        let mut command = Command::new(&self.program);
        command.args([
            "stdin",
            "stdout",
            "-l",
            "fra",
            "--psm",
            PAGE_SEGMENTATION,
            "tsv",
        ]);
        let done = run(&mut command, &pnm::write_pgm(band))
            .map_err(|e| ReadError::Engine(format!("tesseract : {e}")))?;
        if !done.status.success() {
            return Err(ReadError::Engine(format!(
                "tesseract ({}) : {}",
                done.status,
                String::from_utf8_lossy(&done.stderr).trim()
            )));
        }
        Ok(Tally::from_tsv(&String::from_utf8_lossy(&done.stdout)))
    }
}

impl OcrEngine for Tesseract {
    fn name(&self) -> String {
        format!("tesseract {} (fra)", self.version)
    }

    fn recognise(&self, page: &GrayImage) -> Result<Recognised, ReadError> {
        let bands = thread::available_parallelism().map_or(1, |n| n.get().min(MAX_BANDS));
        let cuts = band_cuts(page, bands);
        let edges: Vec<u32> = std::iter::once(0)
            .chain(cuts)
            .chain(std::iter::once(page.height()))
            .collect();
        let read: Vec<Result<Tally, ReadError>> = thread::scope(|scope| {
            let readers: Vec<_> = edges
                .windows(2)
                .map(|band| {
                    let band =
                        crop_imm(page, 0, band[0], page.width(), band[1] - band[0]).to_image();
                    scope.spawn(move || self.read_band(&band))
                })
                .collect();
            readers
                .into_iter()
                .map(|reader| {
                    reader.join().unwrap_or_else(|_| {
                        Err(ReadError::Engine("tesseract : fil interrompu".to_owned()))
                    })
                })
                .collect()
        });
        let mut all = Tally::default();
        for band in read {
            all.append(band?);
        }
        Ok(all.into_recognised())
    }
}

/// The rows where a page is cut into `bands` bands holding about as much text each (reading
/// time follows the text). Text is measured per row by its ink edges (a page's frame or a
/// table's vertical rules add only a few); near each boundary (within an eighth of the page)
/// the cut goes through the middle of the clearest gap, so that no line of text is cut.
fn band_cuts(page: &GrayImage, bands: usize) -> Vec<u32> {
    const CLEARANCE: usize = 4;
    let height = page.height();
    if bands < 2 || height < MIN_BAND_HEIGHT * bands as u32 {
        return Vec::new();
    }
    let edges: Vec<u64> = page
        .rows()
        .map(|row| {
            let ink: Vec<bool> = row.map(|p| p[0] < 128).collect();
            ink.windows(2).filter(|w| w[0] != w[1]).count() as u64
        })
        .collect();
    // A cut at a row must clear the rows around it too.
    let around: Vec<u64> = (0..edges.len())
        .map(|y| {
            let rows = y.saturating_sub(CLEARANCE)..(y + CLEARANCE + 1).min(edges.len());
            edges[rows].iter().copied().max().unwrap_or(0)
        })
        .collect();
    let total: u64 = edges.iter().sum::<u64>().max(1);
    let reach = height / 8;
    let mut cuts = Vec::new();
    let mut seen = 0;
    let mut rows = edges.iter().enumerate();
    for k in 1..bands as u64 {
        let share = total * k / bands as u64;
        let Some((middle, _)) = rows.by_ref().find(|(_, n)| {
            seen += **n;
            seen >= share
        }) else {
            break;
        };
        let middle = (middle as u32).clamp(reach, height - reach);
        let cut = (middle - reach..=middle + reach)
            .min_by_key(|&y| (around[y as usize], y.abs_diff(middle)))
            .unwrap_or(middle);
        cuts.push(cut);
    }
    cuts
}

/// Tesseract runs one thread per page: on a shared two-core machine OpenMP's threads cost more
/// than they give.
fn run(command: &mut Command, stdin: &[u8]) -> std::io::Result<Finished> {
    process::run(command.env("OMP_THREAD_LIMIT", "1"), stdin, TIMEOUT)
}

/// Words read, as text, with their confidences summed.
#[derive(Debug, Default)]
struct Tally {
    text: String,
    confidence_sum: f32,
    words: u32,
}

impl Tally {
    /// The text of Tesseract's TSV output: words joined by spaces, lines by `\n`, blocks and
    /// paragraphs separated by a blank line.
    fn from_tsv(tsv: &str) -> Tally {
        let mut tally = Tally::default();
        let mut previous: Option<(&str, &str, &str)> = None;
        for row in tsv.lines().skip(1) {
            let cells: Vec<&str> = row.split('\t').collect();
            let [
                level,
                _,
                block,
                paragraph,
                line,
                _,
                _,
                _,
                _,
                _,
                confidence,
                word,
            ] = cells[..]
            else {
                continue;
            };
            let word = word.trim();
            if level != "5" || word.is_empty() {
                continue;
            }
            let text = &mut tally.text;
            match previous {
                None => {}
                Some((b, p, _)) if (b, p) != (block, paragraph) => text.push_str("\n\n"),
                Some((_, _, l)) if l != line => text.push('\n'),
                Some(_) => text.push(' '),
            }
            text.push_str(word);
            previous = Some((block, paragraph, line));
            if let Ok(confidence) = confidence.parse::<f32>()
                && confidence >= 0.0
            {
                tally.confidence_sum += confidence.min(100.0) / 100.0;
                tally.words += 1;
            }
        }
        tally
    }

    /// The next band's words after these, on a new line.
    fn append(&mut self, next: Tally) {
        if !self.text.is_empty() && !next.text.is_empty() {
            self.text.push('\n');
        }
        self.text.push_str(&next.text);
        self.confidence_sum += next.confidence_sum;
        self.words += next.words;
    }

    /// The text and the words' mean confidence.
    fn into_recognised(self) -> Recognised {
        Recognised {
            confidence: (self.words > 0).then(|| self.confidence_sum / self.words as f32),
            text: self.text,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsv_becomes_lines_of_words_with_a_mean_confidence() {
        let tsv = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n\
            1\t1\t0\t0\t0\t0\t0\t0\t100\t100\t-1\t\n\
            5\t1\t1\t1\t1\t1\t0\t0\t10\t10\t96.5\tFACTURE\n\
            5\t1\t1\t1\t1\t2\t0\t0\t10\t10\t90\tN°12\n\
            5\t1\t1\t1\t2\t1\t0\t0\t10\t10\t80\tTotal\n\
            5\t1\t1\t1\t2\t2\t0\t0\t10\t10\t-1\t \n\
            5\t1\t2\t1\t1\t1\t0\t0\t10\t10\t73.5\t1 245,60\n";
        let mut read = Tally::from_tsv(tsv);
        assert_eq!(read.text, "FACTURE N°12\nTotal\n\n1 245,60");
        read.append(Tally::from_tsv(tsv));
        let read = read.into_recognised();
        assert_eq!(
            read.text,
            "FACTURE N°12\nTotal\n\n1 245,60\nFACTURE N°12\nTotal\n\n1 245,60"
        );
        let confidence = read.confidence.unwrap_or_default();
        assert!((confidence - 0.85).abs() < 1e-4, "{confidence}");
        assert_eq!(
            Tally::from_tsv("level\n").into_recognised().confidence,
            None
        );
    }

    #[test]
    fn pages_are_cut_in_a_gap_between_lines_halving_the_text() {
        // A frame down both sides; lines of words 30 pixels high every 50 rows down to row
        // 1000, then blank paper; row 18 of each line crosses only thin tips of its words.
        let page = GrayImage::from_fn(400, 1400, |x, y| {
            let frame = (2..8).contains(&x) || (392..398).contains(&x);
            let word = (20..380).contains(&x) && (x / 20) % 2 == 0 && y % 50 < 30 && y < 1000;
            let tips = y % 50 == 18 && x % 20 > 3;
            image::Luma([if frame || (word && !tips) { 0 } else { 255 }])
        });
        let cuts = band_cuts(&page, 2);
        assert_eq!(cuts.len(), 1);
        assert!(
            (34..46).contains(&(cuts[0] % 50)),
            "not in the middle of a gap: {}",
            cuts[0]
        );
        assert!(cuts[0].abs_diff(500) <= 60, "{}", cuts[0]);
        assert!(band_cuts(&page, 1).is_empty());
        assert!(band_cuts(&GrayImage::new(400, 1000), 2).is_empty());
    }
}
