//! Reading a file into text, page by page: a PDF's text layer when it has one, else the page
//! prepared and read by the OCR engine, with the QR codes looked for at the same time.

use std::thread;
use std::time::{Duration, Instant};

use image::DynamicImage;

use crate::input::{Kind, Limits, decode_image, sniff};
use crate::pdf::Pdf;
use crate::prepare::{PAGE_SIDE, prepare_page};
use crate::{OcrEngine, ReadError, decode_qr};

/// What [`Reading::engine`] says when no page needed OCR.
pub const TEXT_LAYER: &str = "texte du PDF";
/// A page with a text layer is rasterised this big (A4 at 150 dpi) only to look for QR codes:
/// a 2 cm code then has more than 3 pixels a module.
const QR_SIDE: u32 = 1754;

/// Reads photos and PDFs with one OCR engine, within limits. One reader serves every request
/// (it is `Send + Sync`; each [`Reader::read`] works on its own data).
pub struct Reader {
    engine: Box<dyn OcrEngine>,
    limits: Limits,
}

const _: () = {
    const fn shared<T: Send + Sync>() {}
    shared::<Reader>();
};

/// The text of a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub kind: Kind,
    pub pages: Vec<PageText>,
    /// The contents of the QR codes found on the pages (each once).
    pub qr: Vec<String>,
    /// [`TEXT_LAYER`] when every page came from the PDF's text, else the OCR engine's name.
    pub engine: String,
    pub timings: Timings,
}

/// The text of one page.
#[derive(Debug, Clone, PartialEq)]
pub struct PageText {
    /// From 1.
    pub number: u32,
    pub text: String,
    pub origin: TextOrigin,
    /// The OCR engine's mean word confidence (0 to 1), when it gives one.
    pub confidence: Option<f32>,
}

/// Where a page's text came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextOrigin {
    /// The PDF's own text.
    TextLayer,
    /// The page read as an image.
    Ocr,
}

/// Time spent, over all pages. QR codes are decoded while the engine reads, on another thread:
/// `qr` and `ocr` overlap. `qr` includes rasterising a text-layer page to look for codes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timings {
    /// Decoding the photo, or reading the PDF (page count, text layer, rasterising).
    pub decode: Duration,
    pub prepare: Duration,
    pub ocr: Duration,
    pub qr: Duration,
}

impl Reading {
    /// The pages' text, separated by a form feed.
    pub fn text(&self) -> String {
        let pages: Vec<&str> = self.pages.iter().map(|p| p.text.as_str()).collect();
        pages.join("\u{c}")
    }
}

impl Reader {
    pub fn new(engine: Box<dyn OcrEngine>, limits: Limits) -> Reader {
        Reader { engine, limits }
    }

    pub fn engine_name(&self) -> String {
        self.engine.name()
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Reads a photo (JPEG, PNG, WebP) or a PDF. Blocking and CPU-bound (call it from a
    /// blocking thread); stores nothing.
    pub fn read(&self, bytes: &[u8]) -> Result<Reading, ReadError> {
        if bytes.len() as u64 > self.limits.max_bytes {
            return Err(ReadError::TooLarge {
                max_mo: self.limits.max_mo(),
            });
        }
        let kind = sniff(bytes).ok_or(ReadError::Unsupported)?;
        let mut timings = Timings::default();
        let mut qr = Vec::new();
        let pages = if kind == Kind::Pdf {
            self.read_pdf(bytes, &mut timings, &mut qr)?
        } else {
            let started = Instant::now();
            let image = decode_image(bytes, kind)?;
            timings.decode += started.elapsed();
            vec![self.read_image(1, image, &mut timings, &mut qr)?]
        };
        if pages.iter().all(|page| page.text.trim().is_empty()) && qr.is_empty() {
            return Err(ReadError::Empty);
        }
        let engine = if pages.iter().all(|p| p.origin == TextOrigin::TextLayer) {
            TEXT_LAYER.to_owned()
        } else {
            self.engine.name()
        };
        Ok(Reading {
            kind,
            pages,
            qr,
            engine,
            timings,
        })
    }

    fn read_pdf(
        &self,
        bytes: &[u8],
        timings: &mut Timings,
        qr: &mut Vec<String>,
    ) -> Result<Vec<PageText>, ReadError> {
        let started = Instant::now();
        let pdf = Pdf::open(bytes, self.limits.max_pages)?;
        let layers = pdf.text_layers()?;
        timings.decode += started.elapsed();
        layers
            .into_iter()
            .zip(1..)
            .map(|(layer, number)| match layer {
                Some(text) => {
                    let started = Instant::now();
                    // The text is read: a page that cannot be rasterised just has no QR code.
                    if let Ok(image) = pdf.rasterise(number, QR_SIDE) {
                        add_codes(qr, decode_qr(&image));
                    }
                    timings.qr += started.elapsed();
                    Ok(PageText {
                        number,
                        text: text.trim_end().to_owned(),
                        origin: TextOrigin::TextLayer,
                        confidence: None,
                    })
                }
                None => {
                    let started = Instant::now();
                    let image = pdf.rasterise(number, PAGE_SIDE)?;
                    timings.decode += started.elapsed();
                    self.read_image(number, DynamicImage::ImageLuma8(image), timings, qr)
                }
            })
            .collect()
    }

    /// Prepares a page image and reads it, looking for QR codes meanwhile.
    fn read_image(
        &self,
        number: u32,
        image: DynamicImage,
        timings: &mut Timings,
        qr: &mut Vec<String>,
    ) -> Result<PageText, ReadError> {
        let started = Instant::now();
        let (grey, page) = prepare_page(image);
        timings.prepare += started.elapsed();
        let (recognised, codes) = thread::scope(|scope| {
            let codes = scope.spawn(|| {
                let started = Instant::now();
                (decode_qr(&grey), started.elapsed())
            });
            let started = Instant::now();
            let recognised = self.engine.recognise(&page);
            timings.ocr += started.elapsed();
            // A QR decoder that panics found nothing usable.
            (recognised, codes.join().unwrap_or_default())
        });
        let (codes, qr_time) = codes;
        timings.qr += qr_time;
        add_codes(qr, codes);
        let recognised = recognised?;
        Ok(PageText {
            number,
            text: recognised.text.trim_end().to_owned(),
            origin: TextOrigin::Ocr,
            confidence: recognised.confidence,
        })
    }
}

/// The codes not yet found, in order.
fn add_codes(found: &mut Vec<String>, codes: Vec<String>) {
    for code in codes {
        if !found.contains(&code) {
            found.push(code);
        }
    }
}
