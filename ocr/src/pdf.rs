//! PDFs through poppler's command-line tools (`pdfinfo`, `pdftotext`, `pdftoppm`): the file is
//! written to a private temporary directory, removed with the [`Pdf`]; the user's bytes are only
//! ever a file argument, never a shell word.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use image::GrayImage;
use tempfile::TempDir;

use crate::process::{self, Finished};
use crate::{ReadError, pnm};

/// Resolutions a page may be rasterised at, whatever its size.
const DPI: std::ops::RangeInclusive<f32> = 36.0..=400.0;
/// A page whose text layer has fewer visible characters than this is read as an image.
const MIN_TEXT_CHARS: usize = 40;
const TIMEOUT: Duration = Duration::from_secs(60);

/// A PDF on disk, its page count checked.
pub(crate) struct Pdf {
    // Removed (with the file) when the `Pdf` is dropped.
    _dir: TempDir,
    path: PathBuf,
    /// The long side of each page, in points.
    long_sides: Vec<f32>,
}

impl Pdf {
    /// Writes `bytes` to a private file and reads the page count: more than `max_pages` is
    /// refused.
    pub(crate) fn open(bytes: &[u8], max_pages: u32) -> Result<Pdf, ReadError> {
        let local = |e: std::io::Error| ReadError::Engine(format!("fichier temporaire : {e}"));
        let dir = tempfile::Builder::new()
            .prefix("wakil-ocr-")
            .tempdir()
            .map_err(local)?;
        let path = dir.path().join("document.pdf");
        std::fs::write(&path, bytes).map_err(local)?;
        let info = poppler("pdfinfo", &path, &["-f", "1", "-l", &max_pages.to_string()])?;
        let info = String::from_utf8_lossy(&info.stdout);
        let pages = info
            .lines()
            .find_map(|line| line.strip_prefix("Pages:"))
            .and_then(|n| n.trim().parse::<u32>().ok())
            .filter(|&n| n > 0)
            .ok_or_else(|| ReadError::Corrupt("PDF sans page lisible".to_owned()))?;
        if pages > max_pages {
            return Err(ReadError::TooManyPages {
                pages,
                max: max_pages,
            });
        }
        Ok(Pdf {
            _dir: dir,
            path,
            long_sides: page_long_sides(&info, pages),
        })
    }

    pub(crate) fn pages(&self) -> u32 {
        self.long_sides.len() as u32
    }

    /// Each page's text layer (`pdftotext -layout`), or `None` for a page without real text (a
    /// scan): fewer than [`MIN_TEXT_CHARS`] visible characters, or text extraction refused.
    pub(crate) fn text_layers(&self) -> Result<Vec<Option<String>>, ReadError> {
        let last = self.pages().to_string();
        let layers = poppler(
            "pdftotext",
            &self.path,
            &["-layout", "-enc", "UTF-8", "-f", "1", "-l", &last, "-"],
        )
        .map(|done| String::from_utf8_lossy(&done.stdout).into_owned())
        // A PDF may forbid copying its text (pdftotext then fails): its pages are read as images.
        .or_else(|e| match e {
            ReadError::Corrupt(_) => Ok(String::new()),
            other => Err(other),
        })?;
        let mut pages: Vec<Option<String>> = layers
            .split('\u{c}')
            .take(self.long_sides.len())
            .map(|text| {
                let visible = text.chars().filter(|c| !c.is_whitespace()).count();
                (visible >= MIN_TEXT_CHARS).then(|| text.to_owned())
            })
            .collect();
        pages.resize(self.long_sides.len(), None);
        Ok(pages)
    }

    /// Page `number` (from 1) in grey, its long side about `long_side` pixels (A4 at 200 dpi
    /// is 2339), at 36 to 400 dpi.
    pub(crate) fn rasterise(&self, number: u32, long_side: u32) -> Result<GrayImage, ReadError> {
        let points = self
            .long_sides
            .get(number.saturating_sub(1) as usize)
            .copied()
            .unwrap_or(842.0);
        let dpi = (long_side as f32 * 72.0 / points.max(1.0)).clamp(*DPI.start(), *DPI.end());
        let page = number.to_string();
        let done = poppler(
            "pdftoppm",
            &self.path,
            &[
                "-r",
                &format!("{dpi:.1}"),
                "-gray",
                "-f",
                &page,
                "-l",
                &page,
            ],
        )?;
        pnm::read_pgm(&done.stdout)
            .ok_or_else(|| ReadError::Corrupt(format!("page {number} du PDF illisible")))
    }
}

/// Runs a poppler tool on the PDF at `path` (the file's name is the last argument, before a
/// `-` output when `args` ends with one). A failure is a damaged or protected PDF.
fn poppler(tool: &str, path: &Path, args: &[&str]) -> Result<Finished, ReadError> {
    let mut command = Command::new(tool);
    match args.split_last() {
        Some((&"-", options)) => command.args(options).arg(path).arg("-"),
        _ => command.args(args).arg(path),
    };
    let done = process::run(&mut command, &[], TIMEOUT).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => ReadError::EngineMissing(
            "Les outils PDF de poppler sont absents : installez-les (apt-get install poppler-utils)."
                .to_owned(),
        ),
        std::io::ErrorKind::TimedOut => {
            ReadError::Corrupt("PDF trop long à lire, peut-être abîmé".to_owned())
        }
        _ => ReadError::Engine(format!("{tool} : {e}")),
    })?;
    if done.status.success() {
        Ok(done)
    } else if contains(&done.stderr, "password") {
        Err(ReadError::Corrupt(
            "PDF protégé par un mot de passe ; enregistrez-le sans protection".to_owned(),
        ))
    } else {
        Err(ReadError::Corrupt("PDF abîmé ou incomplet".to_owned()))
    }
}

fn contains(bytes: &[u8], word: &str) -> bool {
    String::from_utf8_lossy(bytes).to_lowercase().contains(word)
}

/// `Page    1 size: 595.276 x 841.89 pts (A4)` → the long side of each of the `pages` pages
/// (A4 when pdfinfo does not say).
fn page_long_sides(info: &str, pages: u32) -> Vec<f32> {
    let mut sides = vec![842.0; pages as usize];
    for line in info.lines() {
        let Some((page, size)) = line
            .strip_prefix("Page")
            .and_then(|rest| rest.split_once("size:"))
        else {
            continue;
        };
        let number = page.trim().parse::<usize>().ok();
        let dims: Vec<f32> = size
            .split_whitespace()
            .filter_map(|word| word.parse().ok())
            .take(2)
            .collect();
        if let (Some(n), [w, h]) = (number, dims.as_slice())
            && let Some(side) = n.checked_sub(1).and_then(|i| sides.get_mut(i))
        {
            *side = w.max(*h);
        }
    }
    sides
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_sizes_are_read_from_pdfinfo() {
        let info = "Pages:           2\nPage    1 size:  595.276 x 841.89 pts (A4)\nPage    1 rot:   0\nPage    2 size: 2000 x 300 pts\n";
        assert_eq!(page_long_sides(info, 3), vec![841.89, 2000.0, 842.0]);
    }
}
