//! Preparing a photographed page for OCR, in small pure steps: grey ([`to_grey`]), brought to
//! the size OCR reads best ([`downscale`]), lit evenly ([`flatten_light`]), contrast stretched
//! ([`stretch_contrast`]), straightened ([`skew_angle`], [`rotate`]), and its background cleared
//! with a black-and-white mask ([`binarise`], [`clear_background`]). The EXIF orientation is
//! applied when the photo is decoded. Integer arithmetic where it matters: a 12-megapixel photo
//! is prepared in about a hundred milliseconds.

use image::{DynamicImage, GrayImage, Luma};

/// The long side a page is brought to: a photographed A4 page then has its body text about 20
/// pixels high, what Tesseract reads best for the time it takes (measured from 1 600 to 4 000
/// pixels: smaller loses digits, larger costs time for little).
pub(crate) const PAGE_SIDE: u32 = 2400;
/// A small picture (a messaging app's 1 600 pixels) is enlarged, by this much at most.
const MAX_ENLARGEMENT: f64 = 2.0;
/// The long side of the copy the skew is measured on.
const SKEW_SIDE: u32 = 1000;
/// The skews looked for, in degrees, either way.
const MAX_SKEW: f32 = 10.0;
/// Below this skew (degrees), a page is left as it is: rotating would only blur it.
const MIN_ROTATION: f32 = 0.15;
/// Pixels darker than this are ink, once the light is flattened and the contrast stretched.
const INK: u8 = 128;
/// Fixed-point unit of the resampling weights.
const ONE: u32 = 1 << 12;

/// A page ready for OCR: dark text on a white background, straight, about [`PAGE_SIDE`]
/// pixels long. The strokes keep their grey edges: Tesseract's recogniser reads grey text
/// better than a black-and-white page (measured on degraded photos).
pub fn prepare(image: DynamicImage) -> GrayImage {
    prepare_page(image).1
}

/// The straightened grey page (where QR codes are looked for) and the page for OCR.
pub(crate) fn prepare_page(image: DynamicImage) -> (GrayImage, GrayImage) {
    if image.width() == 0 || image.height() == 0 {
        let empty = GrayImage::new(image.width(), image.height());
        return (empty.clone(), empty);
    }
    let grey = straighten(normalise(image));
    let page = clear_background(&grey);
    (grey, page)
}

/// Grey, at most [`PAGE_SIDE`] long, evenly lit, contrast stretched: what [`straighten`] starts
/// from.
pub(crate) fn normalise(image: DynamicImage) -> GrayImage {
    let mut grey = downscale(to_grey(image), PAGE_SIDE);
    flatten_light(&mut grey);
    stretch_contrast(&mut grey);
    grey
}

/// The page rotated so that its text lines are horizontal, and enlarged towards
/// [`PAGE_SIDE`] when smaller (one resampling for both).
pub(crate) fn straighten(grey: GrayImage) -> GrayImage {
    let angle = Some(skew_angle(&grey)).filter(|a| a.abs() >= MIN_ROTATION);
    let long = grey.width().max(grey.height()).max(1);
    let scale = (f64::from(PAGE_SIDE) / f64::from(long)).clamp(1.0, MAX_ENLARGEMENT);
    if angle.is_none() && scale < 1.05 {
        grey
    } else {
        rotate(&grey, angle.unwrap_or(0.0), scale)
    }
}

/// The image in grey (Rec. 709 luma, in integers); a transparent background counts as white.
pub(crate) fn to_grey(image: DynamicImage) -> GrayImage {
    let (width, height) = (image.width(), image.height());
    let luma = |p: &[u8]| {
        ((54 * u32::from(p[0]) + 183 * u32::from(p[1]) + 19 * u32::from(p[2]) + 128) >> 8) as u8
    };
    let pixels = match image {
        DynamicImage::ImageLuma8(grey) => return grey,
        DynamicImage::ImageRgb8(rgb) => rgb.as_raw().chunks_exact(3).map(luma).collect(),
        DynamicImage::ImageRgba8(rgba) => rgba
            .as_raw()
            .chunks_exact(4)
            .map(|p| {
                let alpha = u32::from(p[3]);
                ((u32::from(luma(p)) * alpha + 255 * (255 - alpha)) / 255) as u8
            })
            .collect(),
        other => return other.into_luma8(),
    };
    GrayImage::from_raw(width, height, pixels).unwrap_or_default()
}

/// The image shrunk, by area averaging, so that its long side is at most `max_side`.
pub(crate) fn downscale(image: GrayImage, max_side: u32) -> GrayImage {
    let (width, height) = image.dimensions();
    let long = width.max(height);
    if long <= max_side {
        return image;
    }
    let scale = f64::from(max_side) / f64::from(long);
    let new = |side: u32| ((f64::from(side) * scale).round() as u32).max(1);
    let (new_width, new_height) = (new(width), new(height));
    let columns = area_weights(width, new_width);
    let rows = area_weights(height, new_height);
    let source = image.as_raw();
    let (width, height, new_width) = (width as usize, height as usize, new_width as usize);

    // Rows first: each row of the source narrowed to `new_width`.
    let mut narrow = vec![0u8; new_width * height];
    for (row, out) in source
        .chunks_exact(width)
        .zip(narrow.chunks_exact_mut(new_width))
    {
        for ((first, weights), out) in columns.iter().zip(out.iter_mut()) {
            let sum: u32 = row[*first..first + weights.len()]
                .iter()
                .zip(weights)
                .map(|(&p, &w)| u32::from(p) * w)
                .sum();
            *out = (sum / ONE).min(255) as u8;
        }
    }
    // Then columns, a whole row at a time.
    let mut out = vec![0u8; new_width * new_height as usize];
    let mut sums = vec![0u32; new_width];
    for ((first, weights), out) in rows.iter().zip(out.chunks_exact_mut(new_width)) {
        sums.fill(0);
        for (k, &w) in weights.iter().enumerate() {
            let row = &narrow[(first + k) * new_width..][..new_width];
            for (sum, &p) in sums.iter_mut().zip(row) {
                *sum += u32::from(p) * w;
            }
        }
        for (out, sum) in out.iter_mut().zip(&sums) {
            *out = (sum / ONE).min(255) as u8;
        }
    }
    GrayImage::from_raw(new_width as u32, new_height, out).unwrap_or_default()
}

/// For each of `to` output pixels, the first of the `from` source pixels it covers and their
/// weights (fractions of [`ONE`] summing to about [`ONE`]).
fn area_weights(from: u32, to: u32) -> Vec<(usize, Vec<u32>)> {
    let ratio = f64::from(from) / f64::from(to);
    (0..to)
        .map(|i| {
            let (start, end) = (f64::from(i) * ratio, (f64::from(i) + 1.0) * ratio);
            let first = start.floor() as usize;
            let last = (end.ceil() as usize).min(from as usize);
            let weights = (first..last)
                .map(|j| {
                    let covered = end.min(j as f64 + 1.0) - start.max(j as f64);
                    (covered / ratio * f64::from(ONE)).round() as u32
                })
                .collect();
            (first, weights)
        })
        .collect()
}

/// Evens out the light: each pixel divided by the paper's brightness around it, so that the
/// paper becomes white everywhere (shadows, a lamp's gradient) and ink keeps its contrast.
pub(crate) fn flatten_light(image: &mut GrayImage) {
    let (width, height) = (image.width() as usize, image.height() as usize);
    // The paper's brightness per block: a high percentile (ink and noise ignored)…
    let block = (width.max(height) / 80).max(16);
    let (columns, rows) = (width.div_ceil(block), height.div_ceil(block));
    let mut paper = vec![0u8; columns * rows];
    let mut histogram = [0u32; 256];
    for by in 0..rows {
        for bx in 0..columns {
            histogram.fill(0);
            let (x0, y0) = (bx * block, by * block);
            let (x1, y1) = ((x0 + block).min(width), (y0 + block).min(height));
            for y in y0..y1 {
                for &p in &image.as_raw()[y * width + x0..y * width + x1] {
                    histogram[usize::from(p)] += 1;
                }
            }
            paper[by * columns + bx] = percentile(&histogram, 0.9);
        }
    }
    // … the brightest of its neighbours (a block covered by a dark logo or a thick title),
    // then smoothed.
    let around = |grid: &[u8], combine: fn(&[u8]) -> u8| {
        let mut out = vec![0u8; grid.len()];
        for by in 0..rows {
            for bx in 0..columns {
                let mut near = [0u8; 9];
                let mut n = 0;
                for y in by.saturating_sub(1)..(by + 2).min(rows) {
                    for x in bx.saturating_sub(1)..(bx + 2).min(columns) {
                        near[n] = grid[y * columns + x];
                        n += 1;
                    }
                }
                out[by * columns + bx] = combine(&near[..n]);
            }
        }
        out
    };
    let paper = around(&paper, |near| near.iter().copied().max().unwrap_or(255));
    let paper = around(&paper, |near| {
        (near.iter().map(|&p| u32::from(p)).sum::<u32>() / near.len().max(1) as u32) as u8
    });

    // Each pixel over the paper's brightness at its place (bilinear between block centres).
    let position = |i: usize, blocks: usize| {
        let at = ((i as f32 + 0.5) / block as f32 - 0.5).clamp(0.0, (blocks - 1) as f32);
        let low = at.floor() as usize;
        (
            low,
            (low + 1).min(blocks - 1),
            ((at - low as f32) * 256.0) as u32,
        )
    };
    let xs: Vec<_> = (0..width).map(|x| position(x, columns)).collect();
    let mut line = vec![0u32; columns];
    for (y, row) in image.chunks_exact_mut(width).enumerate() {
        let (top, bottom, t) = position(y, rows);
        for (bx, value) in line.iter_mut().enumerate() {
            *value = u32::from(paper[top * columns + bx]) * (256 - t)
                + u32::from(paper[bottom * columns + bx]) * t;
        }
        for (p, &(left, right, t)) in row.iter_mut().zip(&xs) {
            let light = (line[left] * (256 - t) + line[right] * t).max(1 << 16);
            *p = (u32::from(*p) * (255 << 16) / light).min(255) as u8;
        }
    }
}

/// The value below which `share` of the counted pixels lie.
fn percentile(histogram: &[u32; 256], share: f32) -> u8 {
    let total: u32 = histogram.iter().sum();
    let wanted = (total as f32 * share) as u32;
    let mut seen = 0;
    for (value, &count) in histogram.iter().enumerate() {
        seen += count;
        if seen > wanted {
            return value as u8;
        }
    }
    255
}

/// Stretches the grey levels so that the darkest ink is black and the paper white.
pub(crate) fn stretch_contrast(image: &mut GrayImage) {
    let mut histogram = [0u32; 256];
    for &p in image.as_raw() {
        histogram[usize::from(p)] += 1;
    }
    let (dark, light) = (percentile(&histogram, 0.005), percentile(&histogram, 0.95));
    if light <= dark.saturating_add(32) {
        // A blank or uniform picture: nothing to stretch.
        return;
    }
    let span = u32::from(light - dark);
    let table: Vec<u8> = (0..=255u32)
        .map(|v| (v.saturating_sub(u32::from(dark)) * 255 / span).min(255) as u8)
        .collect();
    for p in image.iter_mut() {
        *p = table[usize::from(*p)];
    }
}

/// The angle (degrees, within ±[`MAX_SKEW`]) of the page's text lines: they run along
/// `y = x · tan(angle) + c`, y going down. Measured on a small copy: the angle at which the
/// lower edges of the ink, projected along it, pile up on the fewest rows.
pub(crate) fn skew_angle(image: &GrayImage) -> f32 {
    let small = downscale(image.clone(), SKEW_SIDE);
    let (width, height) = small.dimensions();
    let mut edges = Vec::new();
    for y in 0..height.saturating_sub(1) {
        for x in 0..width {
            if small.get_pixel(x, y)[0] < INK && small.get_pixel(x, y + 1)[0] >= INK {
                edges.push((x as f32, y as f32));
            }
        }
    }
    if edges.is_empty() {
        return 0.0;
    }
    let margin = (width as f32 * MAX_SKEW.to_radians().tan()).ceil() + 1.0;
    let mut rows = vec![0u32; (height as f32 + 2.0 * margin) as usize + 1];
    let mut score = |angle: f32| {
        rows.fill(0);
        let slope = angle.to_radians().tan();
        for &(x, y) in &edges {
            let row = (y - x * slope + margin).round() as usize;
            if let Some(count) = rows.get_mut(row) {
                *count += 1;
            }
        }
        rows.iter()
            .map(|&n| u64::from(n) * u64::from(n))
            .sum::<u64>()
    };
    let best = |angles: &mut dyn Iterator<Item = f32>, score: &mut dyn FnMut(f32) -> u64| {
        angles
            .map(|a| (score(a), a))
            .fold((0, 0.0), |best, candidate| {
                if candidate.0 > best.0 {
                    candidate
                } else {
                    best
                }
            })
            .1
    };
    let steps = (2.0 * MAX_SKEW / 0.5) as i32;
    let coarse = best(
        &mut (0..=steps).map(|i| -MAX_SKEW + i as f32 * 0.5),
        &mut score,
    );
    best(
        &mut (-10..=10).map(|i| coarse + i as f32 * 0.05),
        &mut score,
    )
}

/// The image rotated so that lines at `angle` (as [`skew_angle`] gives it) become horizontal,
/// and scaled by `scale`; bilinear, on a canvas grown to keep the corners, white where nothing
/// was.
pub(crate) fn rotate(image: &GrayImage, angle: f32, scale: f64) -> GrayImage {
    let (sin, cos) = f64::from(angle).to_radians().sin_cos();
    let (width, height) = (f64::from(image.width()), f64::from(image.height()));
    let out_width = ((width * cos.abs() + height * sin.abs()) * scale).ceil() as u32;
    let out_height = ((width * sin.abs() + height * cos.abs()) * scale).ceil() as u32;
    // From an output pixel to its source point: undo the scale, then the rotation.
    let (sin, cos) = (sin / scale, cos / scale);
    let (w, h) = (i64::from(image.width()), i64::from(image.height()));
    let source = image.as_raw();
    let pixel = |x: i64, y: i64| -> i64 {
        if x < 0 || y < 0 || x >= w || y >= h {
            255
        } else {
            i64::from(source[(y * w + x) as usize])
        }
    };
    // 16.16 fixed point: the source point of output pixel (0, y), and its step along x.
    let fixed = |v: f64| (v * 65536.0).round() as i64;
    let (step_x, step_y) = (fixed(cos), fixed(sin));
    let (half_out_x, half_out_y) = (f64::from(out_width) / 2.0, f64::from(out_height) / 2.0);
    let mut out = GrayImage::new(out_width, out_height);
    for (y, row) in out.rows_mut().enumerate() {
        let dy = y as f64 + 0.5 - half_out_y;
        let dx = 0.5 - half_out_x;
        let mut sx = fixed(width / 2.0 + dx * cos - dy * sin - 0.5);
        let mut sy = fixed(height / 2.0 + dx * sin + dy * cos - 0.5);
        for p in row {
            let (x0, y0) = (sx >> 16, sy >> 16);
            let (fx, fy) = ((sx >> 8) & 0xFF, (sy >> 8) & 0xFF);
            let [a, b, c, d] = if x0 >= 0 && y0 >= 0 && x0 + 1 < w && y0 + 1 < h {
                let at = (y0 * w + x0) as usize;
                let (top, bottom) = (&source[at..at + 2], &source[at + w as usize..][..2]);
                [top[0], top[1], bottom[0], bottom[1]].map(i64::from)
            } else {
                [
                    pixel(x0, y0),
                    pixel(x0 + 1, y0),
                    pixel(x0, y0 + 1),
                    pixel(x0 + 1, y0 + 1),
                ]
            };
            let top = a * (256 - fx) + b * fx;
            let bottom = c * (256 - fx) + d * fx;
            *p = Luma([((top * (256 - fy) + bottom * fy) >> 16).clamp(0, 255) as u8]);
            sx += step_x;
            sy += step_y;
        }
    }
    out
}

/// Black (ink) and white by Sauvola's local threshold — mean `m` and deviation `s` over a
/// window about the size of a word, from running sums; ink where `p ≤ m·(1 + k·(s/R − 1))` —
/// so that shadows and gradients keep their text.
pub(crate) fn binarise(image: &GrayImage) -> GrayImage {
    const K: f32 = 0.2;
    const R: f32 = 128.0;
    let (width, height) = (image.width() as usize, image.height() as usize);
    // At most 201 × 201 pixels of 255² in a window: the sums of squares fit in a u32.
    let radius = (width.max(height) / 100).clamp(7, 100);
    let source = image.as_raw();
    let mut out = vec![255u8; width * height];
    // Sums over the window's rows, per column, kept up to date as the window slides down.
    let mut column_sum = vec![0u32; width];
    let mut column_squares = vec![0u32; width];
    let row = |y: usize| &source[y * width..][..width];
    for y in 0..radius.min(height) {
        slide(&mut column_sum, &mut column_squares, row(y), true);
    }
    for y in 0..height {
        if y + radius < height {
            slide(&mut column_sum, &mut column_squares, row(y + radius), true);
        }
        if y > radius {
            slide(
                &mut column_sum,
                &mut column_squares,
                row(y - radius - 1),
                false,
            );
        }
        let rows = (y + radius).min(height - 1) - y.saturating_sub(radius) + 1;
        let (mut sum, mut squares) = (0u32, 0u32);
        for x in 0..radius.min(width) {
            sum += column_sum[x];
            squares += column_squares[x];
        }
        for (x, (&p, out)) in row(y)
            .iter()
            .zip(&mut out[y * width..][..width])
            .enumerate()
        {
            if x + radius < width {
                sum += column_sum[x + radius];
                squares += column_squares[x + radius];
            }
            if x > radius {
                sum -= column_sum[x - radius - 1];
                squares -= column_squares[x - radius - 1];
            }
            let columns = (x + radius).min(width - 1) - x.saturating_sub(radius) + 1;
            let n = (rows * columns) as f32;
            let mean = sum as f32 / n;
            let variance = (squares as f32 / n - mean * mean).max(0.0);
            // p ≤ m(1 − k) + (k·m/R)·s, squared to spare the square root.
            let above = f32::from(p) - mean * (1.0 - K);
            let scale = K * mean / R;
            if above <= 0.0 || above * above <= scale * scale * variance {
                *out = 0;
            }
        }
    }
    GrayImage::from_raw(width as u32, height as u32, out).unwrap_or_default()
}

/// Adds a row's pixels to (or takes them from) the per-column sums and sums of squares.
fn slide(sums: &mut [u32], squares: &mut [u32], row: &[u8], add: bool) {
    for ((sum, square), &p) in sums.iter_mut().zip(squares.iter_mut()).zip(row) {
        let p = u32::from(p);
        if add {
            *sum += p;
            *square += p * p;
        } else {
            *sum -= p;
            *square -= p * p;
        }
    }
}

/// The grey page with white wherever [`binarise`] finds no ink within a pixel: shadows, paper
/// texture, noise and faint smudges go, strokes keep their grey edges.
pub(crate) fn clear_background(grey: &GrayImage) -> GrayImage {
    let ink = binarise(grey);
    let (width, height) = (grey.width() as usize, grey.height() as usize);
    let ink = ink.as_raw();
    // Ink widened by a pixel: along rows, then across them.
    let mut near = vec![false; width * height];
    for (ink, near) in ink.chunks_exact(width).zip(near.chunks_exact_mut(width)) {
        for x in 0..width {
            near[x] = ink[x.saturating_sub(1)..(x + 2).min(width)].contains(&0);
        }
    }
    let mut out = grey.clone();
    for (y, row) in out.chunks_exact_mut(width).enumerate() {
        let line = |r: usize| &near[r * width..][..width];
        let (above, below) = (line(y.saturating_sub(1)), line((y + 1).min(height - 1)));
        for (((p, &a), &b), &c) in row.iter_mut().zip(above).zip(line(y)).zip(below) {
            if !(a || b || c) {
                *p = 255;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::RgbImage;

    /// A page of "text": rows of dark word-like bars on white, the lines at `angle` degrees
    /// (y down), drawn directly at that slope.
    fn lines_of_words(width: u32, height: u32, angle: f32) -> GrayImage {
        let slope = angle.to_radians().tan();
        GrayImage::from_fn(width, height, |x, y| {
            let along = y as f32 - x as f32 * slope;
            let in_line =
                along.rem_euclid(40.0) < 12.0 && along > 40.0 && along < height as f32 - 40.0;
            let in_word = (x % 90) < 70 && x > 60 && x < width - 60;
            Luma([if in_line && in_word { 20 } else { 235 }])
        })
    }

    fn ink_share(image: &GrayImage, pick: impl Fn(u32, u32) -> bool) -> f32 {
        let (mut ink, mut all) = (0, 0);
        for (x, y, p) in image.enumerate_pixels() {
            if pick(x, y) {
                all += 1;
                ink += u32::from(p[0] < INK);
            }
        }
        ink as f32 / all.max(1) as f32
    }

    #[test]
    fn downscaling_averages_areas_to_the_long_side_asked() {
        let big = GrayImage::from_fn(4000, 3000, |x, y| {
            Luma([if (x / 2 + y / 2) % 2 == 0 { 0 } else { 200 }])
        });
        let small = downscale(big, 1000);
        assert_eq!(small.dimensions(), (1000, 750));
        // 4×4 blocks of a 2-pixel checkerboard average to 100.
        assert!(
            small.pixels().all(|p| (98..=102).contains(&p[0])),
            "{:?}",
            small.get_pixel(10, 10)
        );

        let odd = downscale(GrayImage::from_pixel(3001, 17, Luma([77])), 2400);
        assert_eq!(odd.dimensions(), (2400, 14));
        assert!(odd.pixels().all(|p| (76..=77).contains(&p[0])));

        let already = GrayImage::from_pixel(300, 200, Luma([5]));
        assert_eq!(downscale(already.clone(), 2400), already);
    }

    #[test]
    fn uneven_light_is_flattened_and_ink_kept() {
        // Paper from 90 (shadow, left) to 250 (lit, right); ink at a third of the paper's light.
        let page = lines_of_words(1200, 900, 0.0);
        let mut lit = GrayImage::from_fn(1200, 900, |x, y| {
            let light = 90.0 + 160.0 * x as f32 / 1199.0;
            let ink = page.get_pixel(x, y)[0] < INK;
            Luma([(if ink { light / 3.0 } else { light }) as u8])
        });
        flatten_light(&mut lit);
        let is_ink = |x: u32, y: u32| page.get_pixel(x, y)[0] < INK;
        let paper = ink_share(&lit, |x, y| !is_ink(x, y));
        let ink = ink_share(&lit, is_ink);
        assert!(paper < 0.01, "paper read as ink: {paper}");
        assert!(ink > 0.99, "ink lost: {ink}");
    }

    #[test]
    fn contrast_is_stretched_from_ink_to_paper() {
        let mut dull =
            GrayImage::from_fn(200, 100, |x, _| Luma([if x % 10 == 0 { 110 } else { 170 }]));
        stretch_contrast(&mut dull);
        assert_eq!(dull.get_pixel(0, 0)[0], 0);
        assert_eq!(dull.get_pixel(1, 0)[0], 255);
        let mut blank = GrayImage::from_pixel(50, 50, Luma([200]));
        stretch_contrast(&mut blank);
        assert_eq!(blank.get_pixel(3, 3)[0], 200);
    }

    #[test]
    fn the_skew_of_text_lines_is_measured_both_ways() {
        for angle in [4.0f32, -3.0, 7.5, 0.0] {
            let measured = skew_angle(&lines_of_words(2000, 1500, angle));
            assert!(
                (measured - angle).abs() <= 0.5,
                "{angle}° measured as {measured}°"
            );
        }
        assert_eq!(
            skew_angle(&GrayImage::from_pixel(300, 300, Luma([255]))),
            0.0
        );
    }

    #[test]
    fn a_page_skewed_by_4_degrees_is_straightened() {
        let skewed = lines_of_words(2000, 1500, 4.0);
        let straight = straighten(skewed);
        // The canvas grows to keep the corners, filled with white.
        assert!(straight.width() > 2000 && straight.height() > 1500);
        assert_eq!(straight.get_pixel(0, 0)[0], 255);
        let left = skew_angle(&straight);
        assert!(left.abs() <= 0.5, "still skewed by {left}°");
    }

    #[test]
    fn a_small_picture_is_enlarged_at_most_twice() {
        let small = lines_of_words(600, 450, 0.0);
        let enlarged = straighten(small.clone());
        assert_eq!(enlarged.dimensions(), (1200, 900));
        // Pixel (x, y) lands on (2x, 2y), give or take the interpolation at the edges of a bar.
        let agree = enlarged
            .enumerate_pixels()
            .filter(|(x, y, p)| p[0].abs_diff(small.get_pixel(x / 2, y / 2)[0]) < 64)
            .count();
        assert!(agree as f32 / enlarged.len() as f32 > 0.97, "{agree}");
        let half = straighten(lines_of_words(1600, 1200, 0.0));
        assert_eq!(half.dimensions(), (2400, 1800));
        let large = lines_of_words(PAGE_SIDE, 1000, 0.0);
        assert_eq!(straighten(large.clone()), large);
    }

    #[test]
    fn rotation_keeps_the_image_when_the_angle_is_zero() {
        let page = lines_of_words(300, 200, 0.0);
        let same = rotate(&page, 0.0, 1.0);
        assert_eq!(same.dimensions(), page.dimensions());
        assert!(
            same.pixels()
                .zip(page.pixels())
                .all(|(a, b)| a[0].abs_diff(b[0]) <= 1)
        );
    }

    #[test]
    fn binarisation_keeps_strokes_under_a_light_gradient() {
        // No flattening here: Sauvola alone copes with the gradient, where one global
        // threshold could not (ink on the lit side is brighter than paper in the shadow).
        let page = lines_of_words(1200, 900, 0.0);
        let lit = GrayImage::from_fn(1200, 900, |x, y| {
            let light = 70.0 + 180.0 * (x + y) as f32 / 2100.0;
            let ink = page.get_pixel(x, y)[0] < INK;
            Luma([(if ink { light * 0.45 } else { light }) as u8])
        });
        assert!(lit.get_pixel(1150, 850)[0] > lit.get_pixel(50, 50)[0]);
        let binary = binarise(&lit);
        assert!(binary.pixels().all(|p| p[0] == 0 || p[0] == 255));
        let is_ink = |x: u32, y: u32| page.get_pixel(x, y)[0] < INK;
        let paper = ink_share(&binary, |x, y| !is_ink(x, y));
        let ink = ink_share(&binary, is_ink);
        assert!(paper < 0.01, "paper read as ink: {paper}");
        assert!(ink > 0.95, "ink lost: {ink}");
    }

    #[test]
    fn the_background_is_cleared_and_strokes_keep_their_grey_edges() {
        // Paper with noise (values 200 to 240) and strokes with a grey border.
        let page = GrayImage::from_fn(600, 400, |x, y| {
            let stroke = (x / 10) % 4 == 1 && (y / 40) % 2 == 1;
            let border = (x / 10) % 4 == 1 && (y / 40) % 2 == 1 && (x % 10 == 0 || x % 10 == 9);
            let noise = ((x * 7919 + y * 104_729) % 41) as u8;
            Luma([if border {
                120
            } else if stroke {
                30
            } else {
                200 + noise
            }])
        });
        let cleared = clear_background(&page);
        let near_stroke = |x: u32, y: u32| {
            (x.saturating_sub(1)..(x + 2).min(600)).any(|nx| {
                (y.saturating_sub(1)..(y + 2).min(400)).any(|ny| page.get_pixel(nx, ny)[0] < 200)
            })
        };
        for (x, y, p) in cleared.enumerate_pixels() {
            let original = page.get_pixel(x, y)[0];
            if original < 200 {
                assert_eq!(p[0], original, "stroke changed at ({x}, {y})");
            } else if !near_stroke(x, y) {
                assert_eq!(p[0], 255, "noise kept at ({x}, {y})");
            }
        }
        assert!(cleared.get_pixel(5, 5)[0] == 255 && cleared.get_pixel(300, 20)[0] == 255);
    }

    #[test]
    fn an_empty_picture_stays_empty() {
        assert_eq!(prepare(DynamicImage::new_luma8(0, 0)).dimensions(), (0, 0));
        assert_eq!(prepare(DynamicImage::new_rgb8(0, 7)).dimensions(), (0, 7));
    }

    #[test]
    fn a_colour_photo_is_prepared_within_the_size_straight_and_clean() {
        let lines = lines_of_words(4000, 3000, 2.0);
        let photo = RgbImage::from_fn(4000, 3000, |x, y| {
            let v = lines.get_pixel(x, y)[0];
            image::Rgb([v, v.saturating_sub(10), v / 2])
        });
        let page = prepare(DynamicImage::ImageRgb8(photo));
        assert!(page.width().max(page.height()) <= PAGE_SIDE + 100);
        assert!(skew_angle(&page).abs() <= 0.5);
        let white = page.pixels().filter(|p| p[0] == 255).count() as f32;
        assert!(white / page.len() as f32 > 0.6, "background left: {white}");
    }

    #[test]
    fn colours_and_transparency_become_grey_on_white() {
        let rgb = RgbImage::from_pixel(2, 1, image::Rgb([255, 0, 0]));
        assert_eq!(to_grey(DynamicImage::ImageRgb8(rgb)).get_pixel(1, 0)[0], 54);
        let clear = image::RgbaImage::from_pixel(2, 2, image::Rgba([0, 0, 0, 0]));
        assert_eq!(
            to_grey(DynamicImage::ImageRgba8(clear)).get_pixel(0, 0)[0],
            255
        );
        let ink = image::RgbaImage::from_pixel(2, 2, image::Rgba([0, 0, 0, 255]));
        assert_eq!(to_grey(DynamicImage::ImageRgba8(ink)).get_pixel(0, 0)[0], 0);
    }
}
