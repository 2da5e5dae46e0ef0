//! Finding and decoding QR codes in images, built on `rqrr` (finder patterns, sampling,
//! Reed-Solomon), with what it lacks for photos of posters: other binarisations than its one
//! row-average threshold, light-on-dark (inverted) codes, and downscaling of large frames.
//!
//! The passes run in order until one decodes a code (see [`PASSES`]); the order and the set
//! were chosen by measuring decode counts and time on the damaged-image benchmark
//! (`bench/qr/`, results in the README).

use crate::qr::raster::GreyImage;

/// A point in the scanned image, in pixels.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Point {
    /// From the left edge.
    pub x: f32,
    /// From the top edge.
    pub y: f32,
}

/// A decoded QR code.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Found {
    /// The text it holds.
    pub text: String,
    /// Its corners: top-left, top-right, bottom-right, bottom-left (as the code is read).
    pub corners: [Point; 4],
}

/// How pixels are split into dark and light before finder patterns are searched for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binarize {
    /// rqrr's own: a moving average along each row.
    RowAverage,
    /// A threshold for each 8 x 8 block from the mean of the 5 x 5 blocks around it, as in
    /// zxing's hybrid binariser: robust to uneven light and shadows.
    Blocks,
    /// One threshold for the whole image, by Otsu's method.
    Otsu,
    /// Otsu's threshold after a 3 x 3 box blur, against sensor noise.
    BlurOtsu,
}

/// One attempt: at which size, how to binarise, and whether to look for light-on-dark codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    /// Halve the image until its longer side is at most this many pixels. rqrr's time grows
    /// with the pixel count, and a printed code's modules stay several pixels wide.
    pub max_side: usize,
    /// The binarisation.
    pub binarize: Binarize,
    /// Swap dark and light.
    pub inverted: bool,
}

const fn pass(max_side: usize, binarize: Binarize, inverted: bool) -> Pass {
    Pass {
        max_side,
        binarize,
        inverted,
    }
}

/// The passes [`scan`] tries, in order.
pub const PASSES: &[Pass] = &[
    // Phone photos at full size first (up to 4096 pixels a side): a sheet of small codes
    // vanishes when halved; BoofCV set: 465 codes read instead of 400, for 8 s more.
    pass(4096, Binarize::Otsu, false),
    pass(1600, Binarize::Blocks, false),
    pass(1600, Binarize::BlurOtsu, false),
    pass(1600, Binarize::Otsu, true),
    pass(1600, Binarize::RowAverage, false),
];

/// Every QR code found in an image, each code once (two codes of the same text in two places
/// are two).
pub fn scan(image: &GreyImage) -> Vec<Found> {
    scan_with(image, PASSES)
}

/// Runs `passes` in order until one finds a code.
pub fn scan_with(image: &GreyImage, passes: &[Pass]) -> Vec<Found> {
    // halves[k]: the image halved k times, made when a pass first needs it.
    let mut halves: Vec<GreyImage> = Vec::new();
    let mut found = Vec::new();
    for p in passes {
        let mut level = 0;
        let (mut w, mut h) = (image.width(), image.height());
        while w.max(h) > p.max_side && w.min(h) >= 42 {
            (w, h, level) = (w / 2, h / 2, level + 1);
        }
        while halves.len() < level {
            let next = halves.last().unwrap_or(image).half();
            halves.push(next);
        }
        let img = if level == 0 {
            image
        } else {
            &halves[level - 1]
        };
        if img.width() < 21 || img.height() < 21 {
            continue;
        }
        run(img, *p, f32::from(1u16 << level.min(15)), &mut found);
        if !found.is_empty() {
            break;
        }
    }
    found
}

fn run(img: &GreyImage, p: Pass, scale: f32, found: &mut Vec<Found>) {
    let (w, h) = (img.width(), img.height());
    let dark = |bits: Vec<u8>| rqrr::PreparedImage::from_binary(w, h, bits);
    let prepared = match p.binarize {
        Binarize::RowAverage => Some(rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
            if p.inverted {
                255 - img.at(x, y)
            } else {
                img.at(x, y)
            }
        })),
        Binarize::Blocks => dark(blocks(img, p.inverted)),
        Binarize::Otsu => {
            let t = otsu(img.pixels());
            dark(
                img.pixels()
                    .iter()
                    .map(|&v| u8::from((v < t) != p.inverted))
                    .collect(),
            )
        }
        Binarize::BlurOtsu => {
            let blurred = box_blur3(img);
            let t = otsu(&blurred);
            dark(
                blurred
                    .iter()
                    .map(|&v| u8::from((v < t) != p.inverted))
                    .collect(),
            )
        }
    };
    let Some(mut prepared) = prepared else { return };
    for (bounds, result) in prepared.detect_and_decode() {
        let Ok((_, bytes)) = result else { continue };
        let text = payload_text(bytes);
        let corners = bounds.map(|c| Point {
            x: c.x as f32 * scale,
            y: c.y as f32 * scale,
        });
        // The same code found again is one code; the same text elsewhere is another (a sheet
        // of stickers holds many codes of few texts).
        if found
            .iter()
            .any(|f: &Found| f.text == text && same_place(&f.corners, &corners))
        {
            continue;
        }
        found.push(Found { text, corners });
    }
}

/// A payload's text, as zxing-cpp guesses it without an ECI: UTF-8 if the bytes are UTF-8;
/// else Shift JIS if they are that (kanji mode, Japanese byte mode; with the `shift-jis`
/// feature); else ISO-8859-1, QR's default for bytes, which takes any byte.
fn payload_text(bytes: Vec<u8>) -> String {
    match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let bytes = e.into_bytes();
            #[cfg(feature = "shift-jis")]
            if let Some(text) =
                encoding_rs::SHIFT_JIS.decode_without_bom_handling_and_without_replacement(&bytes)
            {
                return text.into_owned();
            }
            bytes.iter().map(|&b| char::from(b)).collect()
        }
    }
}

/// Whether two codes' corners describe one place: the centre of each within half the other's
/// shorter side of its centre.
fn same_place(a: &[Point; 4], b: &[Point; 4]) -> bool {
    let centre = |q: &[Point; 4]| {
        q.iter()
            .fold((0.0, 0.0), |(x, y), p| (x + p.x / 4.0, y + p.y / 4.0))
    };
    let side = |q: &[Point; 4]| {
        (0..4)
            .map(|i| {
                let (p, r) = (q[i], q[(i + 1) % 4]);
                ((p.x - r.x).powi(2) + (p.y - r.y).powi(2)).sqrt()
            })
            .fold(f32::INFINITY, f32::min)
    };
    let ((ax, ay), (bx, by)) = (centre(a), centre(b));
    let d = ((ax - bx).powi(2) + (ay - by).powi(2)).sqrt();
    d <= side(a).min(side(b)) / 2.0
}

const BLOCK: usize = 8;

/// The hybrid (block) binarisation: 1 for dark (or light, if `inverted`).
fn blocks(img: &GreyImage, inverted: bool) -> Vec<u8> {
    let (w, h) = (img.width(), img.height());
    let (bw, bh) = (w.div_ceil(BLOCK), h.div_ceil(BLOCK));
    // Each block's typical level. A flat block (little contrast) is light background unless its
    // neighbours say it lies in a dark area, such as a finder pattern's centre.
    let mut level = vec![0u32; bw * bh];
    for by in 0..bh {
        for bx in 0..bw {
            let (mut sum, mut min, mut max, mut n) = (0u32, 255u8, 0u8, 0u32);
            for y in by * BLOCK..((by + 1) * BLOCK).min(h) {
                for &v in &img.pixels()[y * w + bx * BLOCK..y * w + ((bx + 1) * BLOCK).min(w)] {
                    sum += u32::from(v);
                    min = min.min(v);
                    max = max.max(v);
                    n += 1;
                }
            }
            let mut avg = sum / n.max(1);
            if max - min <= 24 {
                avg = u32::from(min) / 2;
                if bx > 0 && by > 0 {
                    let around = (level[(by - 1) * bw + bx]
                        + 2 * level[by * bw + bx - 1]
                        + level[(by - 1) * bw + bx - 1])
                        / 4;
                    if u32::from(min) < around {
                        avg = around;
                    }
                }
            }
            level[by * bw + bx] = avg;
        }
    }
    let mut out = vec![0u8; w * h];
    for by in 0..bh {
        for bx in 0..bw {
            let (x0, x1) = (bx.saturating_sub(2), (bx + 3).min(bw));
            let (y0, y1) = (by.saturating_sub(2), (by + 3).min(bh));
            let mut sum = 0;
            for ny in y0..y1 {
                sum += level[ny * bw + x0..ny * bw + x1].iter().sum::<u32>();
            }
            let threshold = sum / u32::try_from((x1 - x0) * (y1 - y0)).unwrap_or(1);
            for y in by * BLOCK..((by + 1) * BLOCK).min(h) {
                for x in bx * BLOCK..((bx + 1) * BLOCK).min(w) {
                    out[y * w + x] = u8::from((u32::from(img.at(x, y)) <= threshold) != inverted);
                }
            }
        }
    }
    out
}

/// Each pixel the mean of the 3 x 3 square around it (edges repeat).
fn box_blur3(img: &GreyImage) -> Vec<u8> {
    let (w, h) = (img.width(), img.height());
    let mut rows = vec![0u16; w * h];
    for y in 0..h {
        for x in 0..w {
            let (l, r) = (x.saturating_sub(1), (x + 1).min(w - 1));
            rows[y * w + x] =
                u16::from(img.at(l, y)) + u16::from(img.at(x, y)) + u16::from(img.at(r, y));
        }
    }
    let mut out = vec![0u8; w * h];
    for y in 0..h {
        let (u, d) = (y.saturating_sub(1), (y + 1).min(h - 1));
        for x in 0..w {
            let sum = rows[u * w + x] + rows[y * w + x] + rows[d * w + x];
            out[y * w + x] = u8::try_from(sum / 9).unwrap_or(u8::MAX);
        }
    }
    out
}

/// Otsu's threshold: the grey level that best separates the histogram into two classes.
fn otsu(pixels: &[u8]) -> u8 {
    let mut hist = [0u64; 256];
    for &p in pixels {
        hist[usize::from(p)] += 1;
    }
    let total = pixels.len() as f64;
    let sum_all: f64 = hist
        .iter()
        .enumerate()
        .map(|(i, &c)| i as f64 * c as f64)
        .sum();
    let (mut best, mut best_var, mut weight_b, mut sum_b) = (128u8, -1.0f64, 0.0f64, 0.0f64);
    for (t, &count) in hist.iter().enumerate() {
        weight_b += count as f64;
        if weight_b == 0.0 {
            continue;
        }
        let weight_f = total - weight_b;
        if weight_f == 0.0 {
            break;
        }
        sum_b += t as f64 * count as f64;
        let (mean_b, mean_f) = (sum_b / weight_b, (sum_all - sum_b) / weight_f);
        let between = weight_b * weight_f * (mean_b - mean_f).powi(2);
        if between > best_var {
            best_var = between;
            // The threshold lies above level t; levels run 0..=255.
            best = u8::try_from(t + 1).unwrap_or(u8::MAX);
        }
    }
    best
}

#[cfg(test)]
mod tests;
