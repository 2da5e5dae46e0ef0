//! Finding and decoding QR codes in images.
//!
//! First zxing-cpp's detector (rxing's port, driven from `scan/concentric.rs`) on a pyramid of
//! the image; if that finds nothing, the same on the layers inverted (light-on-dark codes);
//! then, if still nothing, `rqrr` (our fork) in the passes of [`PASSES`], which read some
//! blurred, damaged and noisy images the first misses. All run under work budgets: no image
//! takes longer than its pixels allow. The order, the layers and the passes were chosen by
//! measuring on the real photos and the damaged-image set (`bench/qr/`, results in the README;
//! ADR 0009).

use crate::qr::raster::GreyImage;

mod concentric;

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
    /// The text it holds: with the `charsets` feature, its bytes read in the character set its
    /// ECI designates, or else as UTF-8, Shift JIS or ISO-8859-1, as zxing-cpp guesses; without
    /// it, as UTF-8 if they are that, else as ISO-8859-1.
    pub text: String,
    /// The payload's bytes as the code holds them, for payloads that are not text (in JSON,
    /// `bytes_hex`).
    #[serde(rename = "bytes_hex", serialize_with = "hex_bytes")]
    pub bytes: Vec<u8>,
    /// Its corners: top-left, top-right, bottom-right, bottom-left (as the code is read).
    pub corners: [Point; 4],
    /// Where the code stands in a structured-append sequence, if it is part of one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sequence: Option<Sequence>,
}

fn hex_bytes<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode(bytes))
}

/// A code's place in a structured-append sequence: one message split over several codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Sequence {
    /// Its position, from 0.
    pub index: u8,
    /// How many codes the message has.
    pub count: u8,
    /// The parity byte all codes of the message share (the XOR of its bytes).
    pub parity: u8,
}

/// How pixels are split into dark and light before finder patterns are searched for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
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

/// The passes of `rqrr` that [`scan`] tries, in order, when zxing-cpp's detector found nothing.
/// BoofCV set: 997 codes read instead of 972, for about 1 s more; the noisy images of the
/// damaged set need the blurred pass (ADR 0009 lists the passes measured and dropped).
pub const PASSES: &[Pass] = &[
    pass(1600, Binarize::Blocks, false),
    pass(1600, Binarize::BlurOtsu, false),
];

/// Layers of the pyramid: the image, then each a third of the one before, while the longer
/// side exceeds this (zxing-cpp's defaults).
const PYRAMID_MIN_SIDE: usize = 500;
const PYRAMID_FACTOR: usize = 3;

/// Every QR code found in an image, each code once (two codes of the same text in two places
/// are two).
pub fn scan(image: &GreyImage) -> Vec<Found> {
    let mut found = Vec::new();
    let mut layers = Vec::new();
    let mut shrunk = None;
    let mut scale = 1.0;
    loop {
        let img = shrunk.as_ref().unwrap_or(image);
        if img.width() < 21 || img.height() < 21 {
            break;
        }
        if let Some(bits) = concentric::binarize(img) {
            concentric::decode(&bits, scale, &mut found);
            layers.push((bits, scale));
        }
        if img.width().max(img.height()) <= PYRAMID_MIN_SIDE {
            break;
        }
        shrunk = Some(img.shrink(PYRAMID_FACTOR));
        scale *= PYRAMID_FACTOR as f32;
    }
    // Light-on-dark codes (dark-mode screens), searched only when there is no dark-on-light
    // code: no photo of the BoofCV set needs it, and it would cost them 1.8 s.
    for (bits, scale) in &mut layers {
        if !found.is_empty() {
            break;
        }
        bits.invert();
        concentric::decode(bits, *scale, &mut found);
    }
    if found.is_empty() {
        found = scan_with(image, PASSES);
    }
    found
}

/// Adds `code` to `found` unless it is there already: the same code found again (in another
/// layer or pass) is one code; the same text elsewhere is another (a sheet of stickers holds
/// many codes of few texts).
fn push(found: &mut Vec<Found>, code: Found) {
    if !found
        .iter()
        .any(|f| f.bytes == code.bytes && same_place(&f.corners, &code.corners))
    {
        found.push(code);
    }
}

/// Runs `rqrr`'s `passes` in order until one finds a code.
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
            let next = halves.last().unwrap_or(image).shrink(2);
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
        let corners = bounds.map(|c| Point {
            x: c.x as f32 * scale,
            y: c.y as f32 * scale,
        });
        push(
            found,
            Found {
                text: payload_text(&bytes),
                bytes,
                corners,
                sequence: None,
            },
        );
    }
}

/// A payload's text, as zxing-cpp guesses it without an ECI: UTF-8 if the bytes are UTF-8;
/// else Shift JIS if they are that (kanji mode, Japanese byte mode; with the `charsets`
/// feature); else ISO-8859-1, QR's default for bytes, which takes any byte.
fn payload_text(bytes: &[u8]) -> String {
    if let Ok(text) = std::str::from_utf8(bytes) {
        return text.to_owned();
    }
    #[cfg(feature = "charsets")]
    if let Some(text) =
        encoding_rs::SHIFT_JIS.decode_without_bom_handling_and_without_replacement(bytes)
    {
        return text.into_owned();
    }
    bytes.iter().map(|&b| char::from(b)).collect()
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

/// zxing's hybrid binarisation: a threshold for each 8 x 8 block, the mean of the typical
/// levels of the 5 x 5 blocks around it (shifted inwards at the edges); a pixel at or below its
/// block's threshold is dark. A flat block (little contrast) counts as light background unless
/// its neighbours say it lies in a dark area, such as a finder pattern's centre. As in zxing,
/// the last block of a row or column that does not fill 8 pixels is moved back to end at the
/// edge, and a pixel two blocks cover is dark if either says so: the bits are zxing's
/// (`concentric::tests`).
struct Hybrid {
    thresholds: Vec<u8>,
    cols: usize,
    rows: usize,
}

/// The first pixel of block `b` of a side of `n` pixels.
fn block_start(b: usize, n: usize) -> usize {
    (b * BLOCK).min(n.saturating_sub(BLOCK))
}

impl Hybrid {
    fn new(img: &GreyImage) -> Hybrid {
        let (w, h) = (img.width(), img.height());
        let (bw, bh) = (w.div_ceil(BLOCK), h.div_ceil(BLOCK));
        let mut level = vec![0u32; bw * bh];
        // Per column of the block row first (what vectorises), then per block.
        let (mut col_sum, mut col_min, mut col_max) = (vec![0u16; w], vec![0u8; w], vec![0u8; w]);
        for by in 0..bh {
            col_sum.fill(0);
            col_min.fill(255);
            col_max.fill(0);
            let y0 = block_start(by, h);
            let rows = &img.pixels()[y0 * w..(y0 + BLOCK).min(h) * w];
            for row in rows.chunks_exact(w) {
                let (col_sum, col_min, col_max) =
                    (&mut col_sum[..w], &mut col_min[..w], &mut col_max[..w]);
                for x in 0..w {
                    let v = row[x];
                    col_sum[x] += u16::from(v);
                    col_min[x] = col_min[x].min(v);
                    col_max[x] = col_max[x].max(v);
                }
            }
            for bx in 0..bw {
                let x0 = block_start(bx, w);
                let cols = x0..(x0 + BLOCK).min(w);
                let n = (cols.len() * rows.len() / w).max(1);
                let sum: u32 = col_sum[cols.clone()].iter().map(|&v| u32::from(v)).sum();
                let min = col_min[cols.clone()].iter().copied().min().unwrap_or(255);
                let max = col_max[cols].iter().copied().max().unwrap_or(0);
                let mut avg = sum / u32::try_from(n).unwrap_or(1);
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
        // The 5 x 5 window's first block: 2 before, kept inside the image when it is 5 blocks wide.
        let first = |b: usize, n: usize| b.saturating_sub(2).min(n.saturating_sub(5));
        let mut thresholds = vec![0u8; bw * bh];
        for by in 0..bh {
            let (y0, y1) = (first(by, bh), (first(by, bh) + 5).min(bh));
            for bx in 0..bw {
                let (x0, x1) = (first(bx, bw), (first(bx, bw) + 5).min(bw));
                let mut sum = 0;
                for ny in y0..y1 {
                    sum += level[ny * bw + x0..ny * bw + x1].iter().sum::<u32>();
                }
                let mean = sum / u32::try_from((x1 - x0) * (y1 - y0)).unwrap_or(1);
                thresholds[by * bw + bx] = u8::try_from(mean).unwrap_or(u8::MAX);
            }
        }
        Hybrid {
            thresholds,
            cols: bw,
            rows: bh,
        }
    }

    /// Row `y` of `img` (the image it was made from) into `out`, a bit for each pixel, set if
    /// dark: the first pixel of each 8 in the lowest bit of its byte.
    fn row(&self, img: &GreyImage, y: usize, out: &mut Vec<u8>) {
        out.clear();
        out.resize(img.width().div_ceil(8), 0);
        let by = (y / BLOCK).min(self.rows - 1);
        self.or_row(img, y, by, out);
        // The last block row, moved back, covers the end of the one before.
        if by + 1 == self.rows - 1 && y >= block_start(by + 1, img.height()) {
            self.or_row(img, y, by + 1, out);
        }
    }

    /// Sets in `out` the pixels of row `y` dark by the thresholds of block row `by`.
    fn or_row(&self, img: &GreyImage, y: usize, by: usize, out: &mut [u8]) {
        let w = img.width();
        let thresholds = &self.thresholds[by * self.cols..][..self.cols];
        let row = &img.pixels()[y * w..(y + 1) * w];
        let full = w / BLOCK;
        for ((byte, block), &t) in out.iter_mut().zip(row.chunks_exact(BLOCK)).zip(thresholds) {
            let block: &[u8; BLOCK] = block.try_into().unwrap_or(&[0; BLOCK]);
            *byte |= block
                .iter()
                .enumerate()
                .fold(0u8, |bits, (i, &v)| bits | (u8::from(v <= t) << i));
        }
        // The last block, moved back to end at the edge.
        if full < self.cols {
            let t = thresholds[self.cols - 1];
            for x in block_start(self.cols - 1, w)..w {
                if row[x] <= t {
                    out[x / 8] |= 1 << (x % 8);
                }
            }
        }
    }
}

/// The hybrid binarisation as rqrr takes it: 1 for dark (or light, if `inverted`).
fn blocks(img: &GreyImage, inverted: bool) -> Vec<u8> {
    let (w, hybrid) = (img.width(), Hybrid::new(img));
    let mut out = Vec::with_capacity(w * img.height());
    let mut row = Vec::new();
    for y in 0..img.height() {
        hybrid.row(img, y, &mut row);
        for (x, &bits) in (0..w).step_by(8).zip(&row) {
            let n = (w - x).min(8);
            out.extend((0..n).map(|i| u8::from((bits >> i & 1 == 1) != inverted)));
        }
    }
    out
}

/// Each pixel the mean of the 3 x 3 square around it (edges repeat).
fn box_blur3(img: &GreyImage) -> Vec<u8> {
    let (w, h) = (img.width(), img.height());
    // Sums of three along each row, then of three such rows; edge pixels repeat.
    let mut rows = vec![0u16; w * h];
    for (src, dst) in img.pixels().chunks_exact(w).zip(rows.chunks_exact_mut(w)) {
        let at = |x: usize| u16::from(src[x]);
        dst[0] = 2 * at(0) + at(1.min(w - 1));
        if w > 1 {
            for (d, three) in dst[1..w - 1].iter_mut().zip(src.windows(3)) {
                *d = three.iter().map(|&v| u16::from(v)).sum();
            }
            dst[w - 1] = at(w - 2) + 2 * at(w - 1);
        }
    }
    let mut out = vec![0u8; w * h];
    for y in 0..h {
        let (u, d) = (y.saturating_sub(1), (y + 1).min(h - 1));
        let (up, mid, down) = (
            &rows[u * w..][..w],
            &rows[y * w..][..w],
            &rows[d * w..][..w],
        );
        for (x, o) in out[y * w..][..w].iter_mut().enumerate() {
            *o = u8::try_from((up[x] + mid[x] + down[x]) / 9).unwrap_or(u8::MAX);
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
