//! Tesseract through its command-line program: the page goes in on stdin (PGM), words with their
//! confidences come out on stdout (TSV).

use std::ffi::OsString;
use std::process::Command;
use std::time::Duration;

use image::GrayImage;

use super::{OcrEngine, Recognised};
use crate::process::{self, Finished};
use crate::{ReadError, pnm};

/// Page segmentation: one uniform block of text, so that a table's label and amount stay on
/// one line (invoices are tables more than columns).
const PAGE_SEGMENTATION: &str = "6";
const TIMEOUT: Duration = Duration::from_secs(120);
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
        let done = run(&mut command, &pnm::write_pgm(page))
            .map_err(|e| ReadError::Engine(format!("tesseract : {e}")))?;
        if !done.status.success() {
            return Err(ReadError::Engine(format!(
                "tesseract ({}) : {}",
                done.status,
                String::from_utf8_lossy(&done.stderr).trim()
            )));
        }
        Ok(from_tsv(&String::from_utf8_lossy(&done.stdout)))
    }
}

/// Tesseract runs one thread per page: on a shared two-core machine OpenMP's threads cost more
/// than they give.
fn run(command: &mut Command, stdin: &[u8]) -> std::io::Result<Finished> {
    process::run(command.env("OMP_THREAD_LIMIT", "1"), stdin, TIMEOUT)
}

/// The text of Tesseract's TSV output: words joined by spaces, lines by `\n`, blocks and
/// paragraphs separated by a blank line; the confidence is the words' mean.
fn from_tsv(tsv: &str) -> Recognised {
    let mut text = String::new();
    let mut previous: Option<(&str, &str, &str)> = None;
    let (mut sum, mut words) = (0.0f32, 0u32);
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
            sum += confidence.min(100.0) / 100.0;
            words += 1;
        }
    }
    Recognised {
        text,
        confidence: (words > 0).then(|| sum / words as f32),
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
        let read = from_tsv(tsv);
        assert_eq!(read.text, "FACTURE N°12\nTotal\n\n1 245,60");
        let confidence = read.confidence.unwrap_or_default();
        assert!((confidence - 0.85).abs() < 1e-4, "{confidence}");
        assert_eq!(from_tsv("level\n").confidence, None);
    }
}
