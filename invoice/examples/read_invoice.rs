//! Reads an invoice's text on stdin and prints what the parser extracts, as JSON: a tuning aid.
//!
//! `tesseract photo.jpg - -l fra | cargo run -q -p wakil-invoice --example read_invoice [directory.json [qr.txt]]`
//! (`qr.txt`: the QR codes' payloads, one a line).

use std::io::Read;

use wakil_invoice::{Directory, extract};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let directory: Directory = match std::env::args().nth(1) {
        Some(path) => serde_json::from_str(&std::fs::read_to_string(path)?)?,
        None => Directory::default(),
    };
    let qr: Vec<String> = match std::env::args().nth(2) {
        Some(path) => std::fs::read_to_string(path)?
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_string)
            .collect(),
        None => Vec::new(),
    };
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text)?;
    let extraction = extract(&text, &qr, &directory);
    println!("{}", serde_json::to_string_pretty(&extraction)?);
    Ok(())
}
