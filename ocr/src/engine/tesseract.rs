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

impl Tesseract {
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

/// The rows where a page is cut into `bands` bands of about equal height: near each
/// boundary (within an eighth of the page), the row with the least ink, so that no line of
/// text is cut when there is a gap.
fn band_cuts(page: &GrayImage, bands: usize) -> Vec<u32> {
    let height = page.height();
    if bands < 2 || height < MIN_BAND_HEIGHT * bands as u32 {
        return Vec::new();
    }
    let ink: Vec<usize> = page
        .rows()
        .map(|row| row.filter(|p| p[0] < 128).count())
        .collect();
    let reach = i64::from(height / 8);
    (1..bands as u32)
        .map(|k| {
            let target = i64::from(height * k / bands as u32);
            (target - reach..=target + reach)
                .min_by_key(|&y| (ink[y as usize], (y - target).abs()))
                .unwrap_or(target) as u32
        })
        .collect()
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
    fn pages_are_cut_in_a_gap_between_lines() {
        // Text lines 30 pixels high every 50 rows; the middle (row 700) falls in a line.
        let page = GrayImage::from_fn(400, 1400, |_, y| {
            image::Luma([if y % 50 < 30 { 0 } else { 255 }])
        });
        let cuts = band_cuts(&page, 2);
        assert_eq!(cuts.len(), 1);
        assert!(cuts[0] % 50 >= 30, "cut in a line at {}", cuts[0]);
        assert!(cuts[0].abs_diff(700) <= 25, "{}", cuts[0]);
        assert!(band_cuts(&page, 1).is_empty());
        assert!(band_cuts(&GrayImage::new(400, 1000), 2).is_empty());
    }
}
