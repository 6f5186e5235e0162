//! Reads an invoice's text on stdin and prints what the parser extracts, as JSON: a tuning aid.
//!
//! `tesseract photo.jpg - -l fra | cargo run -q -p wakil-invoice --example read_invoice [directory.json]`

use std::io::Read;

use wakil_invoice::{Directory, extract};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let directory: Directory = match std::env::args().nth(1) {
        Some(path) => serde_json::from_str(&std::fs::read_to_string(path)?)?,
        None => Directory::default(),
    };
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text)?;
    let extraction = extract(&text, &[], &directory);
    println!("{}", serde_json::to_string_pretty(&extraction)?);
    Ok(())
}
