//! Reading files end to end, with the real Tesseract (Debian `tesseract-ocr-fra`) and poppler.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fixtures;

use std::sync::{Arc, Mutex};

use fixtures::{INVOICE, Page};
use image::{DynamicImage, GrayImage, Luma};
use wakil_ocr::{
    Kind, Limits, OcrEngine, ReadError, Reader, Recognised, TEXT_LAYER, TextOrigin,
    engine_from_lookup,
};

fn tesseract_reader() -> Reader {
    let engine = engine_from_lookup(|_| None).expect("tesseract and tesseract-ocr-fra installed");
    Reader::new(engine, Limits::default())
}

/// An engine that records the pages it is given and reads a fixed text.
struct Recorder {
    seen: Arc<Mutex<Vec<GrayImage>>>,
}

impl OcrEngine for Recorder {
    fn name(&self) -> String {
        "enregistreur".to_owned()
    }
    fn recognise(&self, page: &GrayImage) -> Result<Recognised, ReadError> {
        self.seen.lock().unwrap().push(page.clone());
        Ok(Recognised {
            text: "FACTURE".to_owned(),
            confidence: Some(0.5),
        })
    }
}

fn recording_reader(limits: Limits) -> (Reader, Arc<Mutex<Vec<GrayImage>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    (
        Reader::new(Box::new(Recorder { seen: seen.clone() }), limits),
        seen,
    )
}

/// Digits and words as an invoice parser would compare them: blanks collapsed.
fn squeezed(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn a_pdf_with_a_text_layer_is_read_without_ocr() {
    let pdf = fixtures::pdf(&[Page::Text {
        lines: INVOICE,
        size: 11,
    }]);
    assert_eq!(wakil_ocr::sniff(&pdf), Some(Kind::Pdf));
    let (reader, seen) = recording_reader(Limits::default());
    let reading = reader.read(&pdf).unwrap();
    assert_eq!(reading.kind, Kind::Pdf);
    assert_eq!(reading.engine, TEXT_LAYER);
    assert_eq!(reading.pages.len(), 1);
    assert_eq!(reading.pages[0].origin, TextOrigin::TextLayer);
    assert_eq!(reading.pages[0].confidence, None);
    let text = squeezed(&reading.text());
    for expected in [
        "FACTURE N° F-2025-0142",
        "d'électricité",
        "Résidence Les Jardins d'Anfa",
        "Total TTC 1 245,60 DH",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from {text:?}"
        );
    }
    assert!(seen.lock().unwrap().is_empty(), "no page went to OCR");
}

#[test]
fn a_scanned_pdf_is_rasterised_and_read_by_tesseract() {
    let page = fixtures::render(
        &fixtures::pdf(&[Page::Text {
            lines: INVOICE,
            size: 14,
        }]),
        150,
    );
    let jpeg = fixtures::jpeg(&DynamicImage::ImageLuma8(page.clone()), 85);
    let scan = fixtures::pdf(&[Page::Jpeg {
        bytes: &jpeg,
        width: page.width(),
        height: page.height(),
    }]);
    let reader = tesseract_reader();
    let reading = reader.read(&scan).unwrap();
    assert_eq!(reading.pages[0].origin, TextOrigin::Ocr);
    assert!(
        reading.engine.starts_with("tesseract ") && reading.engine.ends_with(" (fra)"),
        "{}",
        reading.engine
    );
    assert_eq!(reading.engine, reader.engine_name());
    let text = squeezed(&reading.text());
    for expected in ["FACTURE", "1 245,60", "001524563000071", "15/01/2025"] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from {text:?}"
        );
    }
    let confidence = reading.pages[0].confidence.unwrap();
    assert!(confidence > 0.5 && confidence <= 1.0, "{confidence}");
}

#[test]
fn a_photo_rotated_and_unevenly_lit_is_read_after_preparation() {
    let page = fixtures::render(
        &fixtures::pdf(&[Page::Text {
            lines: INVOICE,
            size: 11,
        }]),
        300,
    );
    let photo = fixtures::photographed(&page, 5.0);
    let reading = tesseract_reader().read(&fixtures::png(&photo)).unwrap();
    assert_eq!(reading.kind, Kind::Png);
    let text = squeezed(&reading.text());
    for expected in [
        "FACTURE",
        "1 245,60",
        "001524563000071",
        "207,60",
        "Casablanca",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from {text:?}"
        );
    }
}

#[test]
fn the_exif_orientation_of_a_jpeg_is_applied() {
    // The page stored lying on its side, as a phone held sideways saves it, with the EXIF tag
    // 6 ("turn 90° clockwise to display").
    let page = fixtures::render(
        &fixtures::pdf(&[Page::Text {
            lines: INVOICE,
            size: 14,
        }]),
        150,
    );
    let lying = DynamicImage::ImageLuma8(page).rotate270();
    let stored = fixtures::jpeg(&lying, 90);

    let (reader, seen) = recording_reader(Limits::default());
    reader
        .read(&fixtures::with_exif_orientation(&stored, 6))
        .unwrap();
    reader.read(&stored).unwrap();
    let seen = seen.lock().unwrap();
    assert!(
        seen[0].height() > seen[0].width(),
        "turned upright: {:?}",
        seen[0].dimensions()
    );
    assert!(
        seen[1].width() > seen[1].height(),
        "left as stored: {:?}",
        seen[1].dimensions()
    );

    let text = squeezed(
        &tesseract_reader()
            .read(&fixtures::with_exif_orientation(&stored, 6))
            .unwrap()
            .text(),
    );
    assert!(
        text.contains("FACTURE") && text.contains("1 245,60"),
        "{text:?}"
    );
}

#[test]
fn a_webp_photo_is_read() {
    let page = GrayImage::from_fn(120, 80, |x, _| Luma([if x % 20 < 3 { 0 } else { 255 }]));
    let mut webp = Vec::new();
    image::codecs::webp::WebPEncoder::new_lossless(&mut webp)
        .encode(
            &DynamicImage::ImageLuma8(page).into_rgb8(),
            120,
            80,
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    let (reader, seen) = recording_reader(Limits::default());
    let reading = reader.read(&webp).unwrap();
    assert_eq!(reading.kind, Kind::Webp);
    assert_eq!(reading.engine, "enregistreur");
    assert_eq!(reading.pages[0].confidence, Some(0.5));
    // A small picture is enlarged (twice at most).
    assert_eq!(seen.lock().unwrap()[0].dimensions(), (240, 160));
}

#[test]
fn the_pages_of_a_pdf_are_read_each_its_own_way() {
    let scan = fixtures::jpeg(
        &DynamicImage::ImageLuma8(GrayImage::from_pixel(100, 140, Luma([250]))),
        80,
    );
    let pdf = fixtures::pdf(&[
        Page::Text {
            lines: INVOICE,
            size: 11,
        },
        Page::Jpeg {
            bytes: &scan,
            width: 100,
            height: 140,
        },
    ]);
    let (reader, seen) = recording_reader(Limits::default());
    let reading = reader.read(&pdf).unwrap();
    let origins: Vec<_> = reading.pages.iter().map(|p| (p.number, p.origin)).collect();
    assert_eq!(origins, [(1, TextOrigin::TextLayer), (2, TextOrigin::Ocr)]);
    assert_eq!(reading.engine, "enregistreur");
    assert_eq!(reading.text().split('\u{c}').nth(1), Some("FACTURE"));
    // Page 2 rasterised with its long side at 2400 pixels (A4 at 205 dpi).
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    assert!(
        seen[0].width().abs_diff(1697) <= 2 && seen[0].height().abs_diff(2400) <= 2,
        "{:?}",
        seen[0].dimensions()
    );
}

#[test]
fn qr_codes_are_decoded() {
    let content = "ICE:001524563000071;FAC:F-2025-0142;TTC:1245.60;DATE:2025-01-15";
    let (modules, _) = fixtures::qr_modules(content);
    let side = (modules + 8) * 6;
    let mut alone = GrayImage::from_pixel(side, side, Luma([255]));
    fixtures::draw_qr(&mut alone, content, 24, 24, 6);
    assert_eq!(wakil_ocr::decode_qr(&alone), [content]);
    assert!(wakil_ocr::decode_qr(&GrayImage::from_pixel(300, 300, Luma([255]))).is_empty());

    // On a photographed page, found while the page is read.
    let mut page = fixtures::render(
        &fixtures::pdf(&[Page::Text {
            lines: INVOICE,
            size: 11,
        }]),
        200,
    );
    fixtures::draw_qr(&mut page, content, 1100, 1700, 6);
    let (reader, _) = recording_reader(Limits::default());
    let reading = reader
        .read(&fixtures::png(&fixtures::photographed(&page, 2.0)))
        .unwrap();
    assert_eq!(reading.qr, [content]);

    // Drawn on a page with a text layer: the page is rasterised only to look for it.
    let pdf = fixtures::pdf(&[Page::TextWithQr {
        lines: INVOICE,
        size: 11,
        qr: content,
    }]);
    let (reader, seen) = recording_reader(Limits::default());
    let reading = reader.read(&pdf).unwrap();
    assert_eq!(reading.engine, TEXT_LAYER);
    assert_eq!(reading.qr, [content]);
    assert!(seen.lock().unwrap().is_empty());
}

#[test]
fn files_that_cannot_be_read_are_refused_with_a_french_reason() {
    let (reader, seen) = recording_reader(Limits {
        max_bytes: 5_000,
        max_pages: 2,
    });
    let err = |bytes: &[u8]| reader.read(bytes).unwrap_err();

    let oversized = err(&[0xFF; 5_001]);
    assert!(
        matches!(oversized, ReadError::TooLarge { max_mo: 1 }),
        "{oversized:?}"
    );
    assert!(
        oversized
            .to_string()
            .starts_with("Fichier trop volumineux : 1 Mo au plus.")
    );

    for foreign in [
        &b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"[..],
        b"PK\x03\x04\x14\x00\x00\x00facture.pdf",
        b"bonjour",
    ] {
        let e = err(foreign);
        assert!(matches!(e, ReadError::Unsupported), "{e:?}");
        assert_eq!(
            e.to_string(),
            "Format non reconnu : envoyez une photo (JPEG, PNG, WebP) ou un PDF."
        );
    }

    let jpeg = fixtures::jpeg(
        &DynamicImage::ImageLuma8(GrayImage::from_pixel(64, 64, Luma([200]))),
        80,
    );
    let truncated = err(&jpeg[..jpeg.len() / 2]);
    assert!(matches!(truncated, ReadError::Corrupt(_)), "{truncated:?}");
    assert_eq!(
        truncated.to_string(),
        "Fichier illisible (image JPEG abîmée ou incomplète) : renvoyez-le ou prenez une nouvelle photo."
    );

    let corrupt_png = err(b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR garbage");
    assert!(
        matches!(corrupt_png, ReadError::Corrupt(_)),
        "{corrupt_png:?}"
    );

    let locked = err(&fixtures::locked_pdf(&[Page::Text {
        lines: INVOICE,
        size: 11,
    }]));
    assert!(matches!(locked, ReadError::Corrupt(_)), "{locked:?}");
    assert_eq!(
        locked.to_string(),
        "Fichier illisible (PDF protégé par un mot de passe ; enregistrez-le sans protection) : renvoyez-le ou prenez une nouvelle photo."
    );

    let corrupt_pdf = err(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage\n%%EOF");
    assert!(
        matches!(corrupt_pdf, ReadError::Corrupt(_)),
        "{corrupt_pdf:?}"
    );
    let message = corrupt_pdf.to_string();
    assert!(
        message.starts_with("Fichier illisible (PDF") && !message.contains('/'),
        "{message}"
    );

    let three = fixtures::pdf(&[
        Page::Text {
            lines: &["un"],
            size: 11,
        },
        Page::Text {
            lines: &["deux"],
            size: 11,
        },
        Page::Text {
            lines: &["trois"],
            size: 11,
        },
    ]);
    let too_long = err(&three);
    assert!(
        matches!(too_long, ReadError::TooManyPages { pages: 3, max: 2 }),
        "{too_long:?}"
    );
    assert!(
        too_long
            .to_string()
            .starts_with("Document trop long : 3 pages, 2 au plus.")
    );

    assert!(
        seen.lock().unwrap().is_empty(),
        "no refused file reached the engine"
    );
}

#[test]
fn a_page_without_any_text_is_empty() {
    let reading = tesseract_reader().read(&fixtures::png(&GrayImage::from_pixel(
        600,
        800,
        Luma([255]),
    )));
    let err = reading.unwrap_err();
    assert!(matches!(err, ReadError::Empty), "{err:?}");
    assert!(err.to_string().starts_with("Aucun texte lisible"));
}

#[test]
fn decompression_bombs_are_refused_before_decoding() {
    let (reader, seen) = recording_reader(Limits::default());
    let refused = |bytes: &[u8]| {
        let e = reader.read(bytes).unwrap_err();
        assert!(matches!(e, ReadError::Corrupt(_)), "{e:?}");
        assert_eq!(
            e.to_string(),
            "Fichier illisible (image trop grande : 100 mégapixels au plus) : renvoyez-le ou prenez une nouvelle photo."
        );
    };
    // A small JPEG whose frame header claims 60 000 × 60 000 pixels.
    let mut jpeg = fixtures::jpeg(
        &DynamicImage::ImageLuma8(GrayImage::from_pixel(16, 16, Luma([9]))),
        80,
    );
    let sof = jpeg.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
    jpeg[sof + 5..sof + 9].copy_from_slice(&[0xEA, 0x60, 0xEA, 0x60]);
    refused(&jpeg);
    // A PNG whose header claims 20 000 × 20 000 pixels.
    let mut png = fixtures::png(&GrayImage::from_pixel(16, 16, Luma([9])));
    png[16..24].copy_from_slice(&[0, 0, 0x4E, 0x20, 0, 0, 0x4E, 0x20]);
    let crc = fixtures::crc32(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    refused(&png);
    assert!(seen.lock().unwrap().is_empty());
}

#[test]
fn damaged_files_are_refused_without_a_panic() {
    let (reader, _) = recording_reader(Limits::default());
    let page = GrayImage::from_fn(90, 60, |x, y| Luma([((x * 3 + y * 5) % 256) as u8]));
    let mut webp = Vec::new();
    image::codecs::webp::WebPEncoder::new_lossless(&mut webp)
        .encode(page.as_raw(), 90, 60, image::ExtendedColorType::L8)
        .unwrap();
    let jpeg = fixtures::jpeg(&DynamicImage::ImageLuma8(page.clone()), 75);
    let png = fixtures::png(&page);
    let pdf = fixtures::pdf(&[Page::Text {
        lines: INVOICE,
        size: 11,
    }]);
    for file in [&jpeg, &png, &webp, &pdf] {
        for cut in (4..file.len()).step_by(37) {
            let mut damaged = file[..cut].to_vec();
            // Truncated, then with its tail scrambled.
            for flipped in [false, true] {
                if flipped {
                    damaged.extend(file[cut..].iter().map(|b| b ^ 0x5A));
                }
                match reader.read(&damaged) {
                    Ok(_)
                    | Err(ReadError::Corrupt(_) | ReadError::Unsupported | ReadError::Empty) => {}
                    Err(other) => panic!("{cut} bytes: {other:?}"),
                }
            }
        }
    }
}
