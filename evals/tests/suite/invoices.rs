#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The synthetic invoice corpus: every layout renders, its truth adds up and is what the PDF
//! prints, the scans and photos are images of the expected size, all deterministic in the seed.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::io::Write;
use std::process::{Command, Stdio};
use wakil_evals::invoices::{Invoice, Layout, Spec, invoice, photo, pick, scan, universe};
use wakil_invoice::{CATEGORIES, Directory, FIELDS};

const SYNDIC: &str = "Atlas Syndic Gestion SARL";

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 3, 12).unwrap()
}

fn draw(directory: &Directory, layout: Layout, seed: u64) -> Invoice {
    let (supplier, residence) = pick(directory, layout, seed);
    invoice(&Spec {
        layout,
        supplier,
        residence,
        syndic: SYNDIC,
        seed,
        today: today(),
    })
    .unwrap()
}

/// The PDF's text layer, as `pdftotext -layout` reads it, with runs of blanks made one space.
fn pdf_text(pdf: &[u8]) -> String {
    let mut child = Command::new("pdftotext")
        .args(["-layout", "-", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("pdftotext (poppler-utils)");
    child.stdin.take().unwrap().write_all(pdf).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The ways an invoice may write `amount`: "1 245,60", "1.245,60", "1245.60", "1245,60", and
/// without the centimes when they are zero ("1 800").
fn written(amount: Decimal) -> Vec<String> {
    let text = format!("{:.2}", amount);
    let (int, frac) = text.split_once('.').unwrap();
    let group = |sep: &str| {
        let mut out = String::new();
        for (i, c) in int.chars().enumerate() {
            if i > 0 && (int.len() - i) % 3 == 0 {
                out.push_str(sep);
            }
            out.push(c);
        }
        out
    };
    let mut forms = vec![
        format!("{},{frac}", group(" ")),
        format!("{},{frac}", group(".")),
        format!("{int}.{frac}"),
        format!("{int},{frac}"),
    ];
    if frac == "00" {
        forms.extend([group(" "), group("."), int.to_string()]);
    }
    forms
}

#[test]
fn every_layout_renders_a_truth_that_adds_up_and_is_printed() {
    let directory = universe(1);
    for layout in Layout::ALL {
        for seed in 0..6 {
            let inv = draw(&directory, layout, seed);
            let t = &inv.truth;
            let at = format!("{} seed {seed}", layout.name());
            assert!(inv.pdf.starts_with(b"%PDF-"), "{at}");
            assert_eq!(inv.layout, layout);

            // Amounts add up: HT + TVA = TTC, TVA = HT × rate rounded (one rate per invoice
            // except a distributor's water-and-electricity bill, which states both TVAs).
            let ttc = t.montant_ttc.unwrap();
            assert!(ttc > Decimal::ZERO, "{at}");
            match (t.montant_ht, t.montant_tva, t.taux_tva) {
                (Some(ht), Some(tva), Some(taux)) => {
                    assert_eq!(ht + tva, ttc, "{at}");
                    assert!([7, 10, 14, 20].map(Decimal::from).contains(&taux), "{at}");
                    let mixed = layout == Layout::Distributeur && {
                        let text = pdf_text(&inv.pdf);
                        text.contains("TVA 7 %") && text.contains("TVA 14 %")
                    };
                    if !mixed {
                        assert_eq!((ht * taux / Decimal::ONE_HUNDRED).round_dp(2), tva, "{at}");
                    }
                }
                (None, None, None) => assert_eq!(layout, Layout::Bricoleur, "{at}"),
                other => panic!("{at}: partial split {other:?}"),
            }
            assert!(
                CATEGORIES.contains(&t.categorie.as_deref().unwrap()),
                "{at}"
            );
            assert!(t.date_facture.unwrap() <= today(), "{at}");
            if let (Some(a), Some(b)) = (t.periode_debut, t.periode_fin) {
                assert!(
                    a < b && b <= t.date_facture.unwrap() + chrono::Days::new(92),
                    "{at}"
                );
            }
            if let Some(ice) = &t.ice {
                assert_eq!(ice.len(), 15, "{at}");
            }
            assert!(
                directory
                    .suppliers
                    .iter()
                    .any(|s| Some(&s.nom) == t.fournisseur.as_ref())
            );
            assert!(
                directory
                    .residences
                    .iter()
                    .any(|r| Some(&r.nom) == t.residence.as_ref())
            );

            // What the truth states is on the page: the number, the TTC as written, the ICE.
            let text = pdf_text(&inv.pdf);
            let numero = t.numero.as_deref().unwrap();
            assert!(text.contains(numero), "{at}: {numero} not in {text}");
            if let Some(ice) = &t.ice {
                assert!(text.contains(ice.as_str()), "{at}: ICE {ice}");
            }
            let printed = written(ttc).iter().any(|w| text.contains(w.as_str()));
            assert!(printed, "{at}: TTC {ttc} not in {text}");
        }
    }
}

#[test]
fn each_layout_varies_with_the_seed_and_is_deterministic() {
    let directory = universe(2);
    for layout in Layout::ALL {
        let a = draw(&directory, layout, 11);
        let b = draw(&directory, layout, 11);
        assert_eq!(a.truth, b.truth);
        assert_eq!(a.pdf, b.pdf, "{}: same seed, same bytes", layout.name());
        let others: Vec<_> = (12..16)
            .map(|s| draw(&directory, layout, s).truth)
            .collect();
        assert!(others.iter().all(|o| *o != a.truth), "{}", layout.name());
    }
}

#[test]
fn the_truth_leaves_out_what_a_layout_does_not_print() {
    let directory = universe(3);
    let truths: Vec<_> = (0..12)
        .map(|s| draw(&directory, Layout::Bricoleur, s).truth)
        .collect();
    assert!(
        truths
            .iter()
            .all(|t| t.field("periode").is_none() && t.montant_ht.is_none())
    );
    // Over a dozen notes, some carry the ICE and some do not.
    assert!(truths.iter().any(|t| t.ice.is_some()));
    assert!(truths.iter().any(|t| t.ice.is_none()));
    let bills: Vec<_> = (0..12)
        .map(|s| draw(&directory, Layout::Distributeur, s).truth)
        .collect();
    for t in &bills {
        for f in FIELDS {
            assert!(t.field(f).is_some(), "a distributor's bill states {f}");
        }
    }
    let categories: Vec<_> = bills.iter().filter_map(|t| t.categorie.clone()).collect();
    assert!(categories.iter().any(|c| c == "eau") && categories.iter().any(|c| c == "electricite"));
}

#[test]
fn scans_and_photos_are_images_of_the_expected_size_and_deterministic() {
    let directory = universe(4);
    let a4 = draw(&directory, Layout::Ascenseur, 5);
    let png = scan(&a4.pdf, 200).unwrap();
    let img = image::load_from_memory(&png).unwrap();
    assert_eq!((img.width(), img.height()), (1654, 2339), "A4 at 200 dpi");
    let a5 = draw(&directory, Layout::Bricoleur, 5);
    let img = image::load_from_memory(&scan(&a5.pdf, 100).unwrap()).unwrap();
    assert_eq!((img.width(), img.height()), (583, 827), "A5 at 100 dpi");

    let jpeg = photo(&a4.pdf, 5).unwrap();
    assert!(jpeg.starts_with(&[0xFF, 0xD8]), "a JPEG");
    let img = image::load_from_memory(&jpeg).unwrap().to_luma8();
    assert_eq!(img.dimensions(), (3000, 4000));
    // The page is on a darker table: the corners are dark, the centre is paper.
    let (w, h) = img.dimensions();
    assert!(
        img.get_pixel(5, 5)[0] < 160,
        "corner {:?}",
        img.get_pixel(5, 5)
    );
    let centre: u32 = (0..50)
        .map(|i| u32::from(img.get_pixel(w / 2 - 25 + i, h / 2)[0]))
        .max()
        .unwrap();
    assert!(centre > 170, "paper in the centre: {centre}");
    assert_eq!(photo(&a4.pdf, 5).unwrap(), jpeg, "same seed, same photo");
    assert_ne!(photo(&a4.pdf, 6).unwrap(), jpeg);
}

#[test]
fn a_broken_pdf_is_an_error_in_french_not_a_panic() {
    let err = scan(b"not a pdf", 100).unwrap_err();
    assert!(err.to_string().contains("pdftoppm"), "{err}");
    assert!(photo(b"%PDF-1.7 broken", 1).is_err());
}
