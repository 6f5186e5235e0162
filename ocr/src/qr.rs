//! QR codes, decoded in pure Rust (rqrr).

use image::GrayImage;

/// The content of every QR code found on the page (each once, in the order found); empty when
/// there is none or none could be decoded.
pub fn decode_qr(page: &GrayImage) -> Vec<String> {
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(
        page.width() as usize,
        page.height() as usize,
        |x, y| page.get_pixel(x as u32, y as u32)[0],
    );
    let mut found: Vec<String> = Vec::new();
    for grid in prepared.detect_grids() {
        if let Ok((_, content)) = grid.decode()
            && !found.contains(&content)
        {
            found.push(content);
        }
    }
    found
}
