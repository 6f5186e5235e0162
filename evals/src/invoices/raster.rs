//! Invoices as images: a flatbed scan (`pdftoppm`), and a phone photo made from it — the page
//! laid on a darker textured table in a 12-megapixel frame, seen slightly in perspective and
//! rotated, lit unevenly with a soft shadow, a little out of focus, with sensor noise, saved as
//! a mediocre JPEG. The warps are plain bilinear sampling through a homography; every random
//! choice derives from the seed, so the same seed gives the same bytes.

use super::GenError;
use image::codecs::jpeg::JpegEncoder;
use image::{ExtendedColorType, ImageFormat, RgbImage};
use std::io::Write;
use std::process::{Command, Stdio};
use wakil_schema::seed::Rng;

/// The photo's frame: 3000 × 4000 pixels (12 MP, portrait).
pub(crate) const FRAME: (u32, u32) = (3000, 4000);

/// Page 1 of `pdf` as a PNG at `dpi`, as a scanner gives it (`pdftoppm -r dpi -png`).
pub fn scan(pdf: &[u8], dpi: u32) -> Result<Vec<u8>, GenError> {
    let mut child = Command::new("pdftoppm")
        .args([
            "-r",
            &dpi.to_string(),
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            "-",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| GenError::Poppler(format!("pdftoppm ne démarre pas ({e})")))?;
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| GenError::Poppler("pdftoppm sans entrée standard".into()))?;
    let input = pdf.to_vec();
    // Written from another thread: pdftoppm may fill its output pipe before reading all input.
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let output = child
        .wait_with_output()
        .map_err(|e| GenError::Poppler(format!("pdftoppm interrompu ({e})")))?;
    let written = writer.join();
    if !output.status.success() || output.stdout.is_empty() {
        return Err(GenError::Poppler(format!(
            "pdftoppm a échoué : {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    match written {
        Ok(Ok(())) => Ok(output.stdout),
        _ => Err(GenError::Poppler(
            "le PDF n'a pas pu être transmis à pdftoppm".into(),
        )),
    }
}

/// Page 1 of `pdf` as a phone photo: a JPEG of [`FRAME`] pixels, deterministic in `seed`.
pub fn photo(pdf: &[u8], seed: u64) -> Result<Vec<u8>, GenError> {
    let mut rng = Rng::derive(seed, 0x7068_6f74);
    let dpi = 250 + 10 * rng.range(0, 5) as u32;
    let png = scan(pdf, dpi)?;
    let page = image::load_from_memory_with_format(&png, ImageFormat::Png)
        .map_err(|e| GenError::Image(e.to_string()))?
        .to_rgb8();
    let params = Params::draw(&mut rng, page.dimensions(), FRAME);
    let mut frame = compose(&page, &params, FRAME);
    for _ in 0..params.blur_passes {
        box_blur(&mut frame, FRAME, params.blur_radius);
    }
    add_noise(&mut frame, params.noise, seed);
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, params.quality)
        .encode(&frame, FRAME.0, FRAME.1, ExtendedColorType::Rgb8)
        .map_err(|e| GenError::Image(e.to_string()))?;
    Ok(jpeg)
}

/// Every random choice of one photo.
struct Params {
    /// Maps a frame pixel to the page's pixel (row-major 3 × 3, h[8] = 1).
    homography: [f64; 9],
    /// Table colour and texture strength.
    table: [f32; 3],
    texture: f32,
    /// Low-frequency texture grid of the table (values in −1..1), `grid.0` × `grid.1` cells.
    grid: (usize, usize),
    cells: Vec<f32>,
    /// Light: overall level, gradient strength and direction, vignette, shadow.
    light: f32,
    gradient: f32,
    direction: (f32, f32),
    vignette: f32,
    /// A soft shadow over a half-plane: its normal, offset (frame fraction) and depth (0: none).
    shadow_normal: (f32, f32),
    shadow_offset: f32,
    shadow_depth: f32,
    /// Warm or cool cast per channel.
    tint: [f32; 3],
    blur_radius: usize,
    blur_passes: usize,
    /// Noise amplitude in grey levels.
    noise: f32,
    quality: u8,
}

fn uniform(rng: &mut Rng, lo: f64, hi: f64) -> f64 {
    let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    lo + (hi - lo) * u
}

impl Params {
    fn draw(rng: &mut Rng, (pw, ph): (u32, u32), (fw, fh): (u32, u32)) -> Params {
        let (pw, ph, fw, fh) = (f64::from(pw), f64::from(ph), f64::from(fw), f64::from(fh));
        // The page fills 78–92 % of the frame's height, near its centre.
        let scale = uniform(rng, 0.78, 0.92) * fh / ph;
        let angle = uniform(rng, 1.0, 6.0).to_radians() * if rng.chance(500) { 1.0 } else { -1.0 };
        let centre = (
            fw / 2.0 + uniform(rng, -0.03, 0.03) * fw,
            fh / 2.0 + uniform(rng, -0.03, 0.03) * fh,
        );
        let (sin, cos) = angle.sin_cos();
        let corners = [(0.0, 0.0), (pw, 0.0), (pw, ph), (0.0, ph)];
        let mut dst = [(0.0, 0.0); 4];
        for (d, (x, y)) in dst.iter_mut().zip(corners) {
            let (dx, dy) = ((x - pw / 2.0) * scale, (y - ph / 2.0) * scale);
            // Perspective: each corner moved 1–4 % of the frame, in any direction.
            let (jx, jy) = (
                uniform(rng, 0.01, 0.04) * fw * if rng.chance(500) { 1.0 } else { -1.0 },
                uniform(rng, 0.01, 0.04) * fh * if rng.chance(500) { 1.0 } else { -1.0 },
            );
            *d = (
                centre.0 + dx * cos - dy * sin + jx,
                centre.1 + dx * sin + dy * cos + jy,
            );
        }
        let homography = homography(&dst, &corners);
        let tables = [
            [92.0, 68.0, 48.0],
            [70.0, 70.0, 74.0],
            [40.0, 48.0, 66.0],
            [120.0, 96.0, 70.0],
        ];
        let table = *rng.pick(&tables);
        let grid = (12, 16);
        let cells = (0..grid.0 * grid.1)
            .map(|_| uniform(rng, -1.0, 1.0) as f32)
            .collect();
        let direction = uniform(rng, 0.0, std::f64::consts::TAU);
        let shadow = uniform(rng, 0.0, std::f64::consts::TAU);
        let warm = uniform(rng, -0.06, 0.08) as f32;
        Params {
            homography,
            table,
            texture: uniform(rng, 10.0, 25.0) as f32,
            grid,
            cells,
            light: uniform(rng, 0.86, 1.0) as f32,
            gradient: uniform(rng, 0.08, 0.3) as f32,
            direction: (direction.cos() as f32, direction.sin() as f32),
            vignette: uniform(rng, 0.1, 0.3) as f32,
            shadow_normal: (shadow.cos() as f32, shadow.sin() as f32),
            shadow_offset: uniform(rng, 0.2, 0.45) as f32,
            shadow_depth: if rng.chance(600) {
                uniform(rng, 0.12, 0.3) as f32
            } else {
                0.0
            },
            tint: [1.0 + warm / 2.0, 1.0, 1.0 - warm],
            blur_radius: rng.range(1, 2) as usize,
            blur_passes: rng.range(1, 2) as usize,
            noise: uniform(rng, 3.0, 9.0) as f32,
            quality: rng.range(55, 85) as u8,
        }
    }

    /// The light reaching frame point (x, y) in 0..1 coordinates.
    fn light_at(&self, x: f32, y: f32) -> f32 {
        let (cx, cy) = (x - 0.5, y - 0.5);
        let gradient = 1.0 + self.gradient * (cx * self.direction.0 + cy * self.direction.1);
        let vignette = 1.0 - self.vignette * (cx * cx + cy * cy) * 2.0;
        let along = cx * self.shadow_normal.0 + cy * self.shadow_normal.1 - self.shadow_offset;
        // A soft edge 6 % of the frame wide.
        let t = (along / 0.06 + 0.5).clamp(0.0, 1.0);
        let shadow = 1.0 - self.shadow_depth * t * t * (3.0 - 2.0 * t);
        self.light * gradient * vignette * shadow
    }

    /// The table's texture at (x, y) in 0..1 coordinates: −1..1, smooth.
    fn texture_at(&self, x: f32, y: f32) -> f32 {
        let gx = x * (self.grid.0 - 1) as f32;
        let gy = y * (self.grid.1 - 1) as f32;
        let (ix, iy) = (
            (gx as usize).min(self.grid.0 - 2),
            (gy as usize).min(self.grid.1 - 2),
        );
        let (fx, fy) = (gx - ix as f32, gy - iy as f32);
        let at = |i: usize, j: usize| self.cells[j * self.grid.0 + i];
        let top = at(ix, iy) * (1.0 - fx) + at(ix + 1, iy) * fx;
        let bottom = at(ix, iy + 1) * (1.0 - fx) + at(ix + 1, iy + 1) * fx;
        top * (1.0 - fy) + bottom * fy
    }
}

/// The homography mapping each `from[i]` to `to[i]` (row-major, h[8] = 1), by solving the
/// 8 × 8 linear system with Gaussian elimination.
fn homography(from: &[(f64, f64); 4], to: &[(f64, f64); 4]) -> [f64; 9] {
    let mut a = [[0.0f64; 9]; 8];
    for (i, ((x, y), (u, v))) in from.iter().zip(to).enumerate() {
        a[2 * i] = [*x, *y, 1.0, 0.0, 0.0, 0.0, -x * u, -y * u, *u];
        a[2 * i + 1] = [0.0, 0.0, 0.0, *x, *y, 1.0, -x * v, -y * v, *v];
    }
    for col in 0..8 {
        let pivot = (col..8)
            .max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))
            .unwrap_or(col);
        a.swap(col, pivot);
        let p = a[col][col];
        if p.abs() < 1e-12 {
            continue;
        }
        let pivot_row = a[col].map(|x| x / p);
        a[col] = pivot_row;
        for (r, row) in a.iter_mut().enumerate() {
            if r != col {
                let f = row[col];
                for (x, p) in row.iter_mut().zip(pivot_row).skip(col) {
                    *x -= f * p;
                }
            }
        }
    }
    let mut h = [0.0; 9];
    for (i, row) in a.iter().enumerate() {
        h[i] = row[8];
    }
    h[8] = 1.0;
    h
}

/// The frame: the page through the homography (bilinear) on the textured table, lit.
fn compose(page: &RgbImage, p: &Params, (fw, fh): (u32, u32)) -> Vec<u8> {
    let (pw, ph) = page.dimensions();
    let (maxu, maxv) = (f64::from(pw) - 1.0, f64::from(ph) - 1.0);
    let src = page.as_raw();
    let stride = pw as usize * 3;
    let h = &p.homography;
    // Paper is never pure white under a lamp.
    let paper = [0.97f32, 0.96, 0.93];
    let mut out = vec![0u8; fw as usize * fh as usize * 3];
    for (y, row) in out.chunks_mut(fw as usize * 3).enumerate() {
        let yf = y as f64;
        let ny = y as f32 / fh as f32;
        for x in 0..fw as usize {
            let xf = x as f64;
            let nx = x as f32 / fw as f32;
            let w = h[6] * xf + h[7] * yf + h[8];
            let u = (h[0] * xf + h[1] * yf + h[2]) / w;
            let v = (h[3] * xf + h[4] * yf + h[5]) / w;
            let light = p.light_at(nx, ny);
            let px = &mut row[x * 3..x * 3 + 3];
            if (0.0..maxu).contains(&u) && (0.0..maxv).contains(&v) {
                let (iu, iv) = (u as usize, v as usize);
                let (fu, fv) = ((u - iu as f64) as f32, (v - iv as f64) as f32);
                let i00 = iv * stride + iu * 3;
                let i10 = i00 + 3;
                let (i01, i11) = (i00 + stride, i10 + stride);
                for (c, out) in px.iter_mut().enumerate() {
                    let top = f32::from(src[i00 + c]) * (1.0 - fu) + f32::from(src[i10 + c]) * fu;
                    let bottom =
                        f32::from(src[i01 + c]) * (1.0 - fu) + f32::from(src[i11 + c]) * fu;
                    let value = (top * (1.0 - fv) + bottom * fv) * paper[c] * light * p.tint[c];
                    *out = value.clamp(0.0, 255.0) as u8;
                }
            } else {
                let grain = p.texture * p.texture_at(nx, ny);
                for (c, out) in px.iter_mut().enumerate() {
                    let value = (p.table[c] + grain) * light * p.tint[c];
                    *out = value.clamp(0.0, 255.0) as u8;
                }
            }
        }
    }
    out
}

/// A box blur of `radius`, horizontal then vertical (two passes approach a Gaussian).
fn box_blur(img: &mut [u8], (w, h): (u32, u32), radius: usize) {
    let (w, h) = (w as usize, h as usize);
    let n = 2 * radius as u32 + 1;
    let mut line = Vec::new();
    for y in 0..h {
        line.clear();
        line.extend_from_slice(&img[y * w * 3..(y + 1) * w * 3]);
        blur_line(&line, &mut img[y * w * 3..(y + 1) * w * 3], w, 3, radius, n);
    }
    // Vertical: a running sum per column, row after row (cache-friendly).
    let src = img.to_vec();
    let row = |y: isize| {
        let y = y.clamp(0, h as isize - 1) as usize;
        &src[y * w * 3..(y + 1) * w * 3]
    };
    let r = radius as isize;
    let mut sums = vec![0u32; w * 3];
    for k in -r..=r {
        for (s, v) in sums.iter_mut().zip(row(k)) {
            *s += u32::from(*v);
        }
    }
    for y in 0..h {
        for (d, s) in img[y * w * 3..(y + 1) * w * 3].iter_mut().zip(&sums) {
            *d = (s / n) as u8;
        }
        let y = y as isize;
        for ((s, add), sub) in sums.iter_mut().zip(row(y + r + 1)).zip(row(y - r)) {
            *s = *s + u32::from(*add) - u32::from(*sub);
        }
    }
}

/// A running-sum box filter over `len` pixels of `channels` bytes, edges clamped.
fn blur_line(src: &[u8], dst: &mut [u8], len: usize, channels: usize, radius: usize, n: u32) {
    for c in 0..channels {
        let at = |i: isize| u32::from(src[i.clamp(0, len as isize - 1) as usize * channels + c]);
        let r = radius as isize;
        let mut sum: u32 = (-r..=r).map(at).sum();
        for i in 0..len {
            dst[i * channels + c] = (sum / n) as u8;
            let i = i as isize;
            sum = sum + at(i + r + 1) - at(i - r);
        }
    }
}

/// Sensor noise: triangular, mostly luminance with a little colour, `amplitude` grey levels.
fn add_noise(img: &mut [u8], amplitude: f32, seed: u64) {
    let mut rng = Rng::derive(seed, 0x6e6f_6973);
    for px in img.chunks_mut(3) {
        let bits = rng.next_u64();
        let byte = |k: u32| ((bits >> (8 * k)) & 0xff) as f32;
        let luma = (byte(0) + byte(1) - 255.0) / 255.0 * amplitude;
        for (c, value) in px.iter_mut().enumerate() {
            let chroma = (byte(2 + c as u32) - 127.5) / 127.5 * amplitude * 0.3;
            *value = (f32::from(*value) + luma + chroma).clamp(0.0, 255.0) as u8;
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn the_homography_maps_the_corners() {
        let from = [(10.0, 20.0), (900.0, 40.0), (950.0, 1300.0), (30.0, 1250.0)];
        let to = [(0.0, 0.0), (800.0, 0.0), (800.0, 1100.0), (0.0, 1100.0)];
        let h = homography(&from, &to);
        for ((x, y), (u, v)) in from.iter().zip(to) {
            let w = h[6] * x + h[7] * y + h[8];
            assert!(((h[0] * x + h[1] * y + h[2]) / w - u).abs() < 1e-6);
            assert!(((h[3] * x + h[4] * y + h[5]) / w - v).abs() < 1e-6);
        }
    }

    #[test]
    fn a_box_blur_spreads_a_point_and_keeps_flat_areas() {
        let (w, h) = (9u32, 7u32);
        let mut img = vec![90u8; (w * h * 3) as usize];
        let centre = ((3 * w + 4) * 3) as usize;
        img[centre] = 255;
        box_blur(&mut img, (w, h), 1);
        assert!(img[centre] < 255 && img[centre] > 90);
        assert!(img[centre + 3] > 90, "the neighbour got some of the point");
        assert_eq!(img[0], 90);
    }
}
