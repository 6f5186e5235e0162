//! `wakil bench invoices`: the invoice reader against the synthetic corpus. For each layout and
//! seed, one invoice in three variants — its text-layer PDF, a clean 200-dpi scan, a degraded
//! phone photo — each read by `wakil_ocr::Reader` and parsed by `wakil_invoice::extract` with
//! the fictitious syndic's [`Directory`], then compared with the truth field by field over
//! [`FIELDS`]. The corpus is made first; only the reading and the parsing are timed, one page
//! at a time.

use super::{GenError, Layout, Spec, invoice, photo, pick, scan, universe};
use crate::percentile;
use chrono::NaiveDate;
use serde::Serialize;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use wakil_invoice::{Directory, Extraction, FIELDS, InvoiceData, extract};
use wakil_ocr::{Limits, Reader, engine_from_env};

/// The syndic printed on the corpus's invoices.
pub const SYNDIC: &str = "Atlas Syndic Gestion SARL";

pub struct Options {
    /// Invoices per layout.
    pub per_layout: usize,
    /// Seed of the syndic's universe and of every invoice.
    pub seed: u64,
    /// The day the invoices are rendered (invoices are dated before it).
    pub today: NaiveDate,
    /// Where to write the corpus, the OCR text and the extractions, for inspection.
    pub keep: Option<PathBuf>,
}

/// How an invoice reaches the reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Variant {
    /// The PDF with its text layer.
    Pdf,
    /// Page 1 scanned at 200 dpi (PNG).
    Scan,
    /// Page 1 as a phone photo (JPEG, 12 MP, degraded).
    Photo,
}

impl Variant {
    pub const ALL: [Variant; 3] = [Variant::Pdf, Variant::Scan, Variant::Photo];

    pub fn name(self) -> &'static str {
        match self {
            Variant::Pdf => "PDF",
            Variant::Scan => "scan",
            Variant::Photo => "photo",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Variant::Pdf => "pdf",
            Variant::Scan => "png",
            Variant::Photo => "jpg",
        }
    }
}

/// One invoice in one variant, read and parsed.
#[derive(Debug, Clone)]
pub struct Sample {
    pub layout: Layout,
    pub variant: Variant,
    pub seed: u64,
    pub truth: InvoiceData,
    /// What the extraction settled on (empty when the file could not be read).
    pub values: InvoiceData,
    /// The reader's error, in French, when the file could not be read.
    pub error: Option<String>,
    pub pages: usize,
    /// Reading (decode, prepare, OCR, QR) and parsing, wall clock.
    pub total: Duration,
    pub prepare: Duration,
    pub ocr: Duration,
}

impl Sample {
    /// Whether `field` was read as the truth states it (both absent counts as exact).
    pub fn exact(&self, field: &str) -> bool {
        self.values.field(field) == self.truth.field(field)
    }

    /// Every field of [`FIELDS`] exact, including no value where the truth has none.
    pub fn entirely_right(&self) -> bool {
        FIELDS.iter().all(|f| self.exact(f))
    }
}

/// `ok` out of `total`, shown as a percentage, or "—" when there is nothing to count.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Share {
    pub ok: usize,
    pub total: usize,
}

impl Share {
    pub fn rate(self) -> Option<f64> {
        (self.total > 0).then(|| self.ok as f64 / self.total as f64)
    }
}

impl fmt::Display for Share {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.rate() {
            Some(r) => write!(f, "{:.1} %", r * 100.0),
            None => write!(f, "—"),
        }
    }
}

/// A field's scores in one variant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FieldScore {
    /// Correct / predicted.
    pub precision: Share,
    /// Correct / stated by the truth.
    pub recall: Share,
}

/// Median and 95th percentile, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Spread {
    pub median: f64,
    pub p95: f64,
}

impl Spread {
    fn of(mut ms: Vec<f64>) -> Spread {
        ms.sort_by(f64::total_cmp);
        Spread {
            median: percentile(&ms, 0.5),
            p95: percentile(&ms, 0.95),
        }
    }
}

/// The benchmark's outcome: every sample, and the scores derived from them.
#[derive(Debug, Clone)]
pub struct Report {
    pub samples: Vec<Sample>,
    /// The OCR engine's name (the one that read the scans and photos).
    pub engine: String,
    pub per_layout: usize,
    pub seed: u64,
}

impl Report {
    fn of(&self, variant: Variant) -> impl Iterator<Item = &Sample> {
        self.samples.iter().filter(move |s| s.variant == variant)
    }

    pub fn field(&self, field: &str, variant: Variant) -> FieldScore {
        let mut score = FieldScore::default();
        for s in self.of(variant) {
            let (value, truth) = (s.values.field(field), s.truth.field(field));
            let correct = value.is_some() && value == truth;
            if value.is_some() {
                score.precision.total += 1;
                score.precision.ok += usize::from(correct);
            }
            if truth.is_some() {
                score.recall.total += 1;
                score.recall.ok += usize::from(correct);
            }
        }
        score
    }

    /// The truth's fields (those it states) read exactly, for `layout` or all layouts.
    pub fn exact(&self, variant: Variant, layout: Option<Layout>) -> Share {
        let mut share = Share::default();
        for s in self
            .of(variant)
            .filter(|s| layout.is_none_or(|l| s.layout == l))
        {
            for f in FIELDS {
                if s.truth.field(f).is_some() {
                    share.total += 1;
                    share.ok += usize::from(s.exact(f));
                }
            }
        }
        share
    }

    /// Values given where the truth has none, over the values given.
    pub fn spurious(&self, variant: Variant) -> Share {
        let mut share = Share::default();
        for s in self.of(variant) {
            for f in FIELDS {
                if s.values.field(f).is_some() {
                    share.total += 1;
                    share.ok += usize::from(s.truth.field(f).is_none());
                }
            }
        }
        share
    }

    pub fn entirely_right(&self, variant: Variant) -> Share {
        let mut share = Share::default();
        for s in self.of(variant) {
            share.total += 1;
            share.ok += usize::from(s.entirely_right());
        }
        share
    }

    /// Files the reader refused or failed on.
    pub fn unread(&self, variant: Variant) -> usize {
        self.of(variant).filter(|s| s.error.is_some()).count()
    }

    /// Time per page: total, preparation, OCR.
    pub fn times(&self, variant: Variant) -> [Spread; 3] {
        let per_page = |pick: fn(&Sample) -> Duration| {
            Spread::of(
                self.of(variant)
                    .map(|s| pick(s).as_secs_f64() * 1000.0 / s.pages.max(1) as f64)
                    .collect(),
            )
        };
        [
            per_page(|s| s.total),
            per_page(|s| s.prepare),
            per_page(|s| s.ocr),
        ]
    }
}

/// Columns aligned: the first on the left, the others on the right.
fn table(f: &mut fmt::Formatter<'_>, rows: &[Vec<String>]) -> fmt::Result {
    let n = rows.iter().map(Vec::len).max().unwrap_or(0);
    let width = |i: usize| {
        rows.iter()
            .filter_map(|r| r.get(i))
            .map(|c| c.chars().count())
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..n).map(width).collect();
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            let pad = " ".repeat(widths[i] - cell.chars().count());
            if i == 0 {
                line.push_str(&format!("{cell}{pad}"));
            } else {
                line.push_str(&format!("  {pad}{cell}"));
            }
        }
        writeln!(f, "{}", line.trim_end())?;
    }
    Ok(())
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let invoices = self.of(Variant::Pdf).count();
        writeln!(
            f,
            "Factures synthétiques : {invoices} ({} mises en page × {}, graine {}), moteur OCR : {}",
            Layout::ALL.len(),
            self.per_layout,
            self.seed,
            self.engine
        )?;
        writeln!(
            f,
            "\nPar champ : précision (justes / lus) et rappel (justes / dans la vérité)"
        )?;
        let mut rows = vec![
            std::iter::once("champ".to_string())
                .chain(Variant::ALL.iter().flat_map(|v| {
                    [
                        format!("{} préc.", v.name()),
                        format!("{} rappel", v.name()),
                    ]
                }))
                .collect::<Vec<_>>(),
        ];
        for field in FIELDS {
            let mut row = vec![field.to_string()];
            for v in Variant::ALL {
                let s = self.field(field, v);
                row.push(s.precision.to_string());
                row.push(s.recall.to_string());
            }
            rows.push(row);
        }
        table(f, &rows)?;

        writeln!(f, "\nPar mise en page : champs de la vérité lus exactement")?;
        let mut rows = vec![
            std::iter::once("mise en page".to_string())
                .chain(Variant::ALL.iter().map(|v| v.name().to_string()))
                .collect::<Vec<_>>(),
        ];
        for layout in Layout::ALL {
            let mut row = vec![layout.name().to_string()];
            for v in Variant::ALL {
                row.push(self.exact(v, Some(layout)).to_string());
            }
            rows.push(row);
        }
        table(f, &rows)?;

        writeln!(f, "\nEnsemble")?;
        let mut rows = vec![
            std::iter::once(String::new())
                .chain(Variant::ALL.iter().map(|v| v.name().to_string()))
                .collect::<Vec<_>>(),
        ];
        let line = |label: &str, cell: &dyn Fn(Variant) -> String| {
            std::iter::once(label.to_string())
                .chain(Variant::ALL.iter().map(|v| cell(*v)))
                .collect::<Vec<_>>()
        };
        rows.push(line("champs exacts", &|v| {
            let s = self.exact(v, None);
            format!("{s} ({}/{})", s.ok, s.total)
        }));
        rows.push(line("valeurs en trop", &|v| {
            let s = self.spurious(v);
            format!("{} ({}/{})", s, s.ok, s.total)
        }));
        rows.push(line("factures entièrement justes", &|v| {
            let s = self.entirely_right(v);
            format!("{s} ({}/{})", s.ok, s.total)
        }));
        rows.push(line("fichiers illisibles", &|v| self.unread(v).to_string()));
        table(f, &rows)?;

        writeln!(
            f,
            "\nTemps par page (ms, lecture + QR + analyse ; préparation et OCR en détail)"
        )?;
        let mut rows = vec![
            ["", "médiane", "p95", "prépa. méd.", "OCR méd.", "OCR p95"]
                .map(String::from)
                .to_vec(),
        ];
        for v in Variant::ALL {
            let [total, prepare, ocr] = self.times(v);
            rows.push(vec![
                v.name().to_string(),
                format!("{:.0}", total.median),
                format!("{:.0}", total.p95),
                format!("{:.0}", prepare.median),
                format!("{:.0}", ocr.median),
                format!("{:.0}", ocr.p95),
            ]);
        }
        table(f, &rows)
    }
}

/// One invoice's three files.
struct Files {
    layout: Layout,
    seed: u64,
    truth: InvoiceData,
    bytes: [Vec<u8>; 3],
}

/// Makes the corpus, then reads and parses every file; `progress` hears what is being done.
pub fn run(options: &Options, mut progress: impl FnMut(&str)) -> Result<Report, GenError> {
    let directory = universe(options.seed);
    let reader = Reader::new(
        engine_from_env().map_err(|e| GenError::Ocr(e.to_string()))?,
        Limits::default(),
    );
    let mut corpus = Vec::new();
    for (l, layout) in Layout::ALL.into_iter().enumerate() {
        progress(&format!(
            "génération : {} × {}",
            layout.name(),
            options.per_layout
        ));
        for i in 0..options.per_layout {
            let seed = options.seed * 10_000 + l as u64 * 1_000 + i as u64;
            let (supplier, residence) = pick(&directory, layout, seed);
            let inv = invoice(&Spec {
                layout,
                supplier,
                residence,
                syndic: SYNDIC,
                seed,
                today: options.today,
            })?;
            let scanned = scan(&inv.pdf, 200)?;
            let photographed = photo(&inv.pdf, seed)?;
            corpus.push(Files {
                layout,
                seed,
                truth: inv.truth,
                bytes: [inv.pdf, scanned, photographed],
            });
        }
    }
    let mut samples = Vec::new();
    for (n, files) in corpus.iter().enumerate() {
        progress(&format!(
            "lecture {}/{} : {} {}",
            n + 1,
            corpus.len(),
            files.layout.name(),
            files.seed
        ));
        for (variant, bytes) in Variant::ALL.into_iter().zip(&files.bytes) {
            let (sample, read) = read(&reader, &directory, files, variant, bytes);
            if let Some(dir) = &options.keep {
                keep(dir, files, variant, &sample, read.as_ref())?;
            }
            samples.push(sample);
        }
    }
    Ok(Report {
        samples,
        engine: reader.engine_name(),
        per_layout: options.per_layout,
        seed: options.seed,
    })
}

/// What was read, for `--keep`.
struct Read {
    text: String,
    qr: Vec<String>,
    engine: String,
    extraction: Extraction,
}

fn read(
    reader: &Reader,
    directory: &Directory,
    files: &Files,
    variant: Variant,
    bytes: &[u8],
) -> (Sample, Option<Read>) {
    let started = Instant::now();
    let reading = reader.read(bytes);
    let outcome = reading.map(|r| {
        let text = r.text();
        let extraction = extract(&text, &r.qr, directory);
        (r, text, extraction)
    });
    let total = started.elapsed();
    let mut sample = Sample {
        layout: files.layout,
        variant,
        seed: files.seed,
        truth: files.truth.clone(),
        values: InvoiceData::default(),
        error: None,
        pages: 1,
        total,
        prepare: Duration::ZERO,
        ocr: Duration::ZERO,
    };
    match outcome {
        Ok((reading, text, extraction)) => {
            sample.values = extraction.values.clone();
            sample.pages = reading.pages.len();
            sample.prepare = reading.timings.prepare;
            sample.ocr = reading.timings.ocr;
            let read = Read {
                text,
                qr: reading.qr,
                engine: reading.engine,
                extraction,
            };
            (sample, Some(read))
        }
        Err(e) => {
            sample.error = Some(e.to_string());
            (sample, None)
        }
    }
}

/// Writes an invoice's file of `variant`, its truth, and what was read, under `dir`.
fn keep(
    dir: &Path,
    files: &Files,
    variant: Variant,
    sample: &Sample,
    read: Option<&Read>,
) -> Result<(), GenError> {
    let stem = dir.join(format!("{}-{}", files.layout.name(), files.seed));
    let io = |e: std::io::Error| GenError::Keep(format!("{} ({e})", dir.display()));
    std::fs::create_dir_all(dir).map_err(io)?;
    let index = Variant::ALL.iter().position(|v| *v == variant).unwrap_or(0);
    std::fs::write(
        stem.with_extension(variant.extension()),
        &files.bytes[index],
    )
    .map_err(io)?;
    std::fs::write(stem.with_extension("truth.json"), pretty(&files.truth)).map_err(io)?;
    let report = match read {
        Some(r) => serde_json::json!({
            "engine": r.engine,
            "qr": r.qr,
            "extraction": r.extraction,
            "exact": FIELDS.iter().map(|f| (f.to_string(), sample.exact(f))).collect::<std::collections::BTreeMap<_, _>>(),
            "ms": sample.total.as_secs_f64() * 1000.0,
        }),
        None => serde_json::json!({ "erreur": sample.error }),
    };
    let ext = variant.extension();
    std::fs::write(
        stem.with_extension(format!("{ext}.txt")),
        read.map(|r| r.text.as_str()).unwrap_or_default(),
    )
    .map_err(io)?;
    std::fs::write(stem.with_extension(format!("{ext}.json")), pretty(&report)).map_err(io)?;
    Ok(())
}

fn pretty(value: &impl Serialize) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}
