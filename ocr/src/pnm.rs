//! Binary PGM (P5): the uncompressed grey image exchanged with `pdftoppm` and `tesseract`, which
//! costs nothing to write or read.

use image::GrayImage;

/// The image as a P5 file.
pub(crate) fn write_pgm(image: &GrayImage) -> Vec<u8> {
    let header = format!("P5\n{} {}\n255\n", image.width(), image.height());
    let mut bytes = Vec::with_capacity(header.len() + image.as_raw().len());
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend_from_slice(image.as_raw());
    bytes
}

/// A P5 file with 8-bit samples; `None` when it is anything else or truncated.
pub(crate) fn read_pgm(bytes: &[u8]) -> Option<GrayImage> {
    let rest = bytes.strip_prefix(b"P5")?;
    let mut fields = [0u32; 3];
    let mut at = 0;
    for field in &mut fields {
        // Blanks and `#` comments separate the header's numbers.
        loop {
            match rest.get(at)? {
                b'#' => at += rest[at..].iter().position(|&b| b == b'\n')?,
                b if b.is_ascii_whitespace() => at += 1,
                _ => break,
            }
        }
        let digits = rest[at..].iter().take_while(|b| b.is_ascii_digit()).count();
        *field = std::str::from_utf8(&rest[at..at + digits])
            .ok()?
            .parse()
            .ok()?;
        at += digits;
    }
    let [width, height, max] = fields;
    // One blank ends the header.
    if max != 255 || !rest.get(at)?.is_ascii_whitespace() {
        return None;
    }
    let len = usize::try_from(u64::from(width) * u64::from(height)).ok()?;
    let data = rest.get(at + 1..at + 1 + len)?;
    GrayImage::from_raw(width, height, data.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grey_image_goes_through_pgm_unchanged() {
        let image = GrayImage::from_fn(7, 3, |x, y| image::Luma([(x * 30 + y) as u8]));
        let bytes = write_pgm(&image);
        assert!(bytes.starts_with(b"P5\n7 3\n255\n"));
        assert_eq!(read_pgm(&bytes), Some(image));
        assert_eq!(
            read_pgm(b"P5 # poppler\n2 1\n255\n\x00\xff").map(|i| i.into_raw()),
            Some(vec![0, 255])
        );
    }

    #[test]
    fn truncated_or_foreign_files_are_refused() {
        assert_eq!(read_pgm(b"P5\n2 2\n255\n\x00\x01\x02"), None);
        assert_eq!(read_pgm(b"P5\n2 1\n65535\n\x00\x01\x02\x03"), None);
        assert_eq!(read_pgm(b"P6\n1 1\n255\n\x00\x00\x00"), None);
        assert_eq!(read_pgm(b"P5\n"), None);
    }
}
