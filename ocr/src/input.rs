//! What a file may be: the size and page limits, the kind told by its first bytes, and the
//! decoding of a photo with its EXIF orientation applied.

use std::io::Cursor;
use std::ops::RangeInclusive;

use image::{
    DynamicImage, GrayImage, ImageDecoder, ImageFormat, ImageReader, metadata::Orientation,
};
use zune_core::{bytestream::ZCursor, colorspace::ColorSpace, options::DecoderOptions};

use crate::ReadError;

const MIB: u64 = 1024 * 1024;

/// A photo larger than this is refused before its pixels are allocated (decompression bombs).
const MAX_PIXELS: u64 = 100_000_000;
/// Nor may either side be longer than this.
const MAX_SIDE: u32 = 30_000;

/// How big a file may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_bytes: u64,
    pub max_pages: u32,
}

impl Default for Limits {
    /// 20 Mo, 10 pages.
    fn default() -> Limits {
        Limits {
            max_bytes: 20 * MIB,
            max_pages: 10,
        }
    }
}

impl Limits {
    /// `WAKIL_FACTURE_MAX_MO` (1 to 100 Mo) and `WAKIL_FACTURE_MAX_PAGES` (1 to 50); a value
    /// missing or out of range keeps the default.
    pub fn from_env() -> Limits {
        Limits::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`Limits::from_env`] with the settings read through `lookup`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Limits {
        let setting = |name: &str, range: RangeInclusive<u32>| {
            lookup(name)
                .and_then(|value| value.trim().parse::<u32>().ok())
                .filter(|n| range.contains(n))
        };
        let default = Limits::default();
        Limits {
            max_bytes: setting("WAKIL_FACTURE_MAX_MO", 1..=100)
                .map_or(default.max_bytes, |mo| u64::from(mo) * MIB),
            max_pages: setting("WAKIL_FACTURE_MAX_PAGES", 1..=50).unwrap_or(default.max_pages),
        }
    }

    /// The size limit in Mo, as the user is told.
    pub fn max_mo(&self) -> u64 {
        self.max_bytes.div_ceil(MIB)
    }
}

/// The kinds of file read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Jpeg,
    Png,
    Webp,
    Pdf,
}

/// The kind of a file, by its magic bytes only (never its name or announced type).
pub fn sniff(bytes: &[u8]) -> Option<Kind> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(Kind::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(Kind::Png)
    } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Some(Kind::Webp)
    } else if bytes[..bytes.len().min(1024)]
        .windows(5)
        .any(|w| w == b"%PDF-")
    {
        // Readers accept a PDF header anywhere in the first kilobyte.
        Some(Kind::Pdf)
    } else {
        None
    }
}

/// Whether a JPEG ends with its end-of-image marker (`FF D9`), allowing for the padding some
/// cameras and apps append after it.
fn jpeg_complete(bytes: &[u8]) -> bool {
    let tail = &bytes[bytes.len().saturating_sub(4096)..];
    tail.windows(2).any(|w| w == [0xFF, 0xD9])
}

/// Decodes a photo, turned as its EXIF orientation says. JPEGs are decoded straight to grey.
pub(crate) fn decode_image(bytes: &[u8], kind: Kind) -> Result<DynamicImage, ReadError> {
    let (format, name) = match kind {
        Kind::Jpeg => (ImageFormat::Jpeg, "JPEG"),
        Kind::Png => (ImageFormat::Png, "PNG"),
        Kind::Webp => (ImageFormat::WebP, "WebP"),
        Kind::Pdf => return Err(ReadError::Unsupported),
    };
    let damaged = || ReadError::Corrupt(format!("image {name} abîmée ou incomplète"));
    // The JPEG decoder fills a cut-off file with grey rather than failing: a photo whose
    // end-of-image marker is missing was not received whole.
    if kind == Kind::Jpeg && !jpeg_complete(bytes) {
        return Err(damaged());
    }
    if kind == Kind::Jpeg
        && let Some(grey) = decode_jpeg_grey(bytes, damaged)?
    {
        return Ok(grey);
    }
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|e| match e {
        image::ImageError::Limits(_) => too_big(),
        _ => damaged(),
    })?;
    let (width, height) = decoder.dimensions();
    check_pixels(width as usize, height as usize)?;
    // An unreadable EXIF block does not make the picture unreadable.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(|_| damaged())?;
    image.apply_orientation(orientation);
    Ok(image)
}

/// A JPEG in grey, turned as its EXIF orientation says (zune-jpeg, which `image` uses, asked for
/// luma only); `None` for a colour space it cannot turn to grey (CMYK), left to `image`.
fn decode_jpeg_grey(
    bytes: &[u8],
    damaged: impl Fn() -> ReadError,
) -> Result<Option<DynamicImage>, ReadError> {
    let options = DecoderOptions::default()
        .set_strict_mode(false)
        .set_max_width(usize::MAX)
        .set_max_height(usize::MAX);
    let mut decoder = zune_jpeg::JpegDecoder::new_with_options(ZCursor::new(bytes), options);
    decoder.decode_headers().map_err(|_| damaged())?;
    let (width, height) = decoder.dimensions().ok_or_else(&damaged)?;
    check_pixels(width, height)?;
    if !matches!(
        decoder.input_colorspace(),
        Some(ColorSpace::YCbCr | ColorSpace::RGB | ColorSpace::Luma | ColorSpace::LumaA)
    ) {
        return Ok(None);
    }
    decoder.set_options(decoder.options().jpeg_set_out_colorspace(ColorSpace::Luma));
    let orientation = decoder
        .exif()
        .and_then(|exif| Orientation::from_exif_chunk(exif))
        .unwrap_or(Orientation::NoTransforms);
    let pixels = decoder.decode().map_err(|_| damaged())?;
    let grey = GrayImage::from_raw(width as u32, height as u32, pixels).ok_or_else(damaged)?;
    let mut image = DynamicImage::ImageLuma8(grey);
    image.apply_orientation(orientation);
    Ok(Some(image))
}

/// A picture of more than [`MAX_PIXELS`] is refused before its pixels are allocated; an empty
/// one is damaged.
fn check_pixels(width: usize, height: usize) -> Result<(), ReadError> {
    if width == 0 || height == 0 {
        Err(ReadError::Corrupt("image vide".to_owned()))
    } else if width.max(height) > MAX_SIDE as usize || (width as u64) * (height as u64) > MAX_PIXELS
    {
        Err(too_big())
    } else {
        Ok(())
    }
}

fn too_big() -> ReadError {
    ReadError::Corrupt("image trop grande : 100 mégapixels au plus".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jpeg_cut_short_is_damaged() {
        let mut jpeg = Vec::new();
        DynamicImage::new_luma8(64, 64)
            .write_to(&mut Cursor::new(&mut jpeg), ImageFormat::Jpeg)
            .unwrap_or_default();
        assert!(decode_image(&jpeg, Kind::Jpeg).is_ok());
        let cut = [&jpeg[..jpeg.len() / 2], b"\0\0\0"].concat();
        assert!(matches!(
            decode_image(&cut, Kind::Jpeg),
            Err(ReadError::Corrupt(m)) if m.contains("abîmée ou incomplète")
        ));
    }

    #[test]
    fn kinds_are_told_by_magic_bytes() {
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0\0\x10JFIF"), Some(Kind::Jpeg));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0"), Some(Kind::Png));
        assert_eq!(sniff(b"RIFF\x10\0\0\0WEBPVP8 "), Some(Kind::Webp));
        assert_eq!(sniff(b"%PDF-1.7\n"), Some(Kind::Pdf));
        assert_eq!(sniff(b"\r\n%PDF-1.4\n"), Some(Kind::Pdf));
        assert_eq!(sniff(b"GIF89a\x01\0"), None);
        assert_eq!(sniff(b"PK\x03\x04facture.pdf"), None);
        assert_eq!(sniff(b"RIFF\x10\0\0\0WAVE"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn limits_come_from_settings_within_their_range() {
        let limits = Limits::from_lookup(|name| match name {
            "WAKIL_FACTURE_MAX_MO" => Some(" 5 ".to_owned()),
            "WAKIL_FACTURE_MAX_PAGES" => Some("3".to_owned()),
            _ => None,
        });
        assert_eq!(limits.max_bytes, 5 * MIB);
        assert_eq!(limits.max_mo(), 5);
        assert_eq!(limits.max_pages, 3);

        let out_of_range = Limits::from_lookup(|name| match name {
            "WAKIL_FACTURE_MAX_MO" => Some("0".to_owned()),
            "WAKIL_FACTURE_MAX_PAGES" => Some("beaucoup".to_owned()),
            _ => None,
        });
        assert_eq!(out_of_range, Limits::default());
        assert_eq!(Limits::default().max_mo(), 20);
        assert_eq!(Limits::from_lookup(|_| Some("51".to_owned())).max_pages, 10);
    }
}
