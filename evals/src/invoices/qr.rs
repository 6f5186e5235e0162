//! A QR code as data for typst: its width in modules and the runs of dark modules, row by row
//! (typst draws one rectangle per run).

use super::GenError;
use qrcode::{Color, EcLevel, QrCode};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Qr {
    /// Modules per side (without the quiet zone).
    pub taille: usize,
    /// `[x, y, length]` of each horizontal run of dark modules.
    pub runs: Vec<[usize; 3]>,
}

/// Encodes `payload` (medium error correction: it must survive a phone photo).
pub(crate) fn encode(payload: &str) -> Result<Qr, GenError> {
    let code = QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M)
        .map_err(|e| GenError::Qr(e.to_string()))?;
    let taille = code.width();
    let colors = code.to_colors();
    let mut runs = Vec::new();
    for (y, row) in colors.chunks(taille).enumerate() {
        let mut x = 0;
        while x < taille {
            if row[x] == Color::Dark {
                let start = x;
                while x < taille && row[x] == Color::Dark {
                    x += 1;
                }
                runs.push([start, y, x - start]);
            } else {
                x += 1;
            }
        }
    }
    Ok(Qr { taille, runs })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn runs_cover_exactly_the_dark_modules() {
        let payload = "ICE:001234567000089;N:F2025-0147;DATE:2025-01-15;TTC:1245.60";
        let qr = encode(payload).unwrap();
        let code = QrCode::with_error_correction_level(payload, EcLevel::M).unwrap();
        let dark = code
            .to_colors()
            .iter()
            .filter(|c| **c == Color::Dark)
            .count();
        assert_eq!(qr.taille, code.width());
        assert_eq!(qr.runs.iter().map(|r| r[2]).sum::<usize>(), dark);
        // The finder pattern's top row: 7 dark modules from the corner.
        assert_eq!(qr.runs[0], [0, 0, 7]);
    }
}
