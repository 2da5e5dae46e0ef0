//! zxing-cpp's QR detector, in rxing's port, under our work budget: the image split into dark
//! and light by local averages (zxing's hybrid binariser); finder patterns found as 1:1:3:1:1
//! runs along rows and confirmed as concentric squares; sets of three ranked by how plausible
//! their geometry is; each sampled with alignment patterns and fitted lines, and decoded
//! (ECI, mirrored symbols, structured append) by rxing's decoder.
//!
//! rxing's own reader has no bound: it checks every new finder pattern against all found so
//! far and samples every set of three, 12 s on one 1280 x 720 frame of finder-like squares
//! (ADR 0009). Here the patterns are found with a grid of cells instead, and patterns, the
//! work of confirming them and the sets sampled are capped.

use rxing::common::cpp_essentials::{
    ConcentricPattern, FindLeftGuardBy, FixedPattern, IsPattern, LocateConcentricPattern,
    PatternRow, PatternType, PatternView,
};
use rxing::common::{BitArray, BitMatrix, DetectorRXingResult};
use rxing::qrcode::cpp_port::decoder::Decode;
use rxing::qrcode::cpp_port::detector::{GenerateFinderPatternSets, SampleQR};

use super::{Found, Point, Sequence};
use crate::qr::raster::GreyImage;

const PATTERN: FixedPattern<5, 7, false> = FixedPattern::new([1, 1, 3, 1, 1]);

/// At most this many finder patterns are kept from one image: a sheet of 60 codes has 180.
const MAX_PATTERNS: usize = 600;
/// Confirming a candidate is charged the most it can trace (8 times its reach); all
/// confirmations of one image are charged at most this much per image pixel.
const LOCATE_WORK_PER_PIXEL: usize = 8;
/// Sets of three sampled: this many, and more for each code decoded.
const MAX_SAMPLES: usize = 64;
const SAMPLES_PER_CODE: usize = 16;
/// The side of the cells that record where patterns lie.
const CELL: usize = 16;

/// An image split into dark and light by zxing's hybrid binarisation, in rxing's form (for
/// sampling) and as packed rows (for finding finder patterns).
pub(super) struct Binarized {
    bits: BitMatrix,
    rows: Vec<u8>,
    stride: usize,
}

/// `img` binarised, if it has pixels.
pub(super) fn binarize(img: &GreyImage) -> Option<Binarized> {
    let (w, h) = (
        u32::try_from(img.width()).ok()?,
        u32::try_from(img.height()).ok()?,
    );
    let mut bits = BitMatrix::new(w, h).ok()?;
    let hybrid = super::Hybrid::new(img);
    let word = std::mem::size_of::<usize>();
    let stride = img.width().div_ceil(8);
    let mut rows = Vec::with_capacity(stride * img.height());
    let mut row = BitArray::with_size(img.width());
    let mut dark = Vec::new();
    for y in 0..h {
        hybrid.row(img, y as usize, &mut dark);
        for (k, bytes) in dark.chunks(word).enumerate() {
            let mut packed = [0u8; std::mem::size_of::<usize>()];
            packed[..bytes.len()].copy_from_slice(bytes);
            row.setBulk(k * word * 8, usize::from_le_bytes(packed));
        }
        bits.setRow(y, &row);
        rows.extend_from_slice(&dark);
    }
    Some(Binarized { bits, rows, stride })
}

impl Binarized {
    /// Swaps dark and light, for light-on-dark codes.
    pub(super) fn invert(&mut self) {
        self.bits.flip_self();
        for byte in &mut self.rows {
            *byte = !*byte;
        }
    }

    /// Row `y` as zxing's pattern row: the lengths of its runs, light first (0 if the row starts
    /// dark), ending light (0 if it ends dark).
    fn runs(&self, y: usize) -> PatternRow {
        let width = self.bits.width() as usize;
        let row = &self.rows[y * self.stride..][..self.stride];
        let mut runs: Vec<PatternType> = Vec::new();
        let (mut dark, mut count) = (false, 0 as PatternType);
        let mut x = 0;
        while x < width {
            let byte = row[x / 8];
            let uniform = if dark { 0xff } else { 0 };
            if x % 8 == 0 && x + 8 <= width && byte == uniform {
                count = count.saturating_add(8);
                x += 8;
                continue;
            }
            if (byte >> (x % 8) & 1 == 1) != dark {
                runs.push(count);
                (dark, count) = (!dark, 0);
            }
            count = count.saturating_add(1);
            x += 1;
        }
        runs.push(count);
        if dark {
            runs.push(0);
        }
        PatternRow::new(runs)
    }
}

/// Decodes the codes in `image`, scaling their corners by `scale`, into `found` (skipping codes
/// already there).
pub(super) fn decode(image: &Binarized, scale: f32, found: &mut Vec<Found>) {
    let bits = &image.bits;
    let mut patterns = finder_patterns(image);
    let sets = GenerateFinderPatternSets(&mut patterns);
    let mut used: Vec<ConcentricPattern> = Vec::new();
    let mut allowance = MAX_SAMPLES;
    for set in sets {
        if allowance == 0 {
            break;
        }
        if [set.bl, set.tl, set.tr].iter().any(|p| used.contains(p)) {
            continue;
        }
        allowance -= 1;
        let Ok(detected) = SampleQR(bits, &set) else {
            continue;
        };
        let Ok(result) = Decode(detected.getBits()) else {
            continue;
        };
        if !result.isValid() {
            continue;
        }
        used.extend([set.bl, set.tl, set.tr]);
        allowance += SAMPLES_PER_CODE;
        let Some(corners) = corners(detected.getPoints(), scale) else {
            continue;
        };
        let append = result.structuredAppend();
        let sequence = (append.count > 0).then(|| Sequence {
            index: u8::try_from(append.index).unwrap_or(0),
            count: u8::try_from(append.count).unwrap_or(0),
            parity: u8::try_from(append.id.parse::<u16>().unwrap_or(0)).unwrap_or(0),
        });
        let content = result.content();
        super::push(
            found,
            Found {
                text: text(content),
                bytes: content.bytes().to_vec(),
                corners,
                sequence,
            },
        );
    }
}

/// A payload's text: rxing's reading (ECIs; zxing's guess without one) when the character sets
/// are built in, else ours of its bytes.
fn text(content: &rxing::common::ECIStringBuilder) -> String {
    #[cfg(feature = "charsets")]
    return content.to_string();
    #[cfg(not(feature = "charsets"))]
    return super::payload_text(content.bytes());
}

fn corners(points: &[rxing::Point], scale: f32) -> Option<[Point; 4]> {
    let corner = |i: usize| {
        points.get(i).map(|p| Point {
            x: p.x * scale,
            y: p.y * scale,
        })
    };
    // rxing's sampler gives top-left, top-right, bottom-left, bottom-right.
    Some([corner(0)?, corner(1)?, corner(3)?, corner(2)?])
}

/// A 1:1:3:1:1 run in a row, as zxing-cpp's `FindPattern`.
fn find_pattern(view: PatternView<'_>) -> Option<PatternView<'_>> {
    FindLeftGuardBy::<5, _>(view, 5, |view: &PatternView, space: Option<f32>| {
        // A quick plausibility test before the ratios.
        let run = |i: usize| -> PatternType { view[i] };
        if run(2) < 3 || run(2) < 2 * run(0).max(run(4)) || run(2) < run(1).max(run(3)) {
            return false;
        }
        IsPattern::<true, 5, 7, false>(view, &PATTERN, space, 0.1, 0.0, 0.0) != 0.0
    })
    .ok()
}

/// zxing-cpp's `FindFinderPatterns` (every third row, trying harder), with the check that a
/// candidate lies inside a pattern already found made through cells instead of against every
/// pattern, and its work capped.
fn finder_patterns(image: &Binarized) -> Vec<ConcentricPattern> {
    let bits = &image.bits;
    let (w, h) = (bits.width() as usize, bits.height() as usize);
    let (cols, rows) = (w / CELL + 1, h / CELL + 1);
    let mut cells: Vec<Vec<u16>> = vec![Vec::new(); cols * rows];
    let mut found: Vec<ConcentricPattern> = Vec::new();
    let mut work = w.saturating_mul(h).saturating_mul(LOCATE_WORK_PER_PIXEL);
    // Float-to-int casts saturate (NaN to 0), and the cell is clamped to the grid.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let cell_of = |x: f32, y: f32| {
        (
            (x.max(0.0) as usize / CELL).min(cols - 1),
            (y.max(0.0) as usize / CELL).min(rows - 1),
        )
    };
    for y in (2..h).step_by(3) {
        let row = image.runs(y);
        let mut next = PatternView::new(&row);
        while let Some(view) = find_pattern(next) {
            if !view.isValid() {
                break;
            }
            next = view;
            let run: PatternType = next.iter().sum();
            let p = rxing::point(
                f32::from(next.pixelsInFront())
                    + f32::from(next[0])
                    + f32::from(next[1])
                    + f32::from(next[2]) / 2.0,
                y as f32 + 0.5,
            );
            let (cx, cy) = cell_of(p.x, p.y);
            let inside = cells[cy * cols + cx].iter().any(|&i| {
                let old = found[usize::from(i)];
                rxing::Point::distance(p, old.p) < old.size as f32 / 2.0
            });
            if !inside {
                // zxing-cpp's reach: 3 runs' length, for very skewed patterns.
                let reach = i32::from(run) * 3;
                let cost = usize::try_from(reach).unwrap_or(0).saturating_mul(8);
                if cost > work {
                    return found;
                }
                work -= cost;
                if let Some(pattern) =
                    LocateConcentricPattern::<true, 5, 7>(bits, &PATTERN.into(), p, reach)
                {
                    let Ok(index) = u16::try_from(found.len()) else {
                        return found;
                    };
                    // Every cell the pattern's disc touches records it; that work counts too.
                    let r = pattern.size.max(0) as f32 / 2.0;
                    let (x0, y0) = cell_of(pattern.p.x - r, pattern.p.y - r);
                    let (x1, y1) = cell_of(pattern.p.x + r, pattern.p.y + r);
                    work = work.saturating_sub((x1 - x0 + 1) * (y1 - y0 + 1));
                    for cy in y0..=y1 {
                        for cx in x0..=x1 {
                            cells[cy * cols + cx].push(index);
                        }
                    }
                    found.push(pattern);
                    if found.len() >= MAX_PATTERNS {
                        return found;
                    }
                }
            }
            next.skipPair();
            next.skipPair();
            next.extend();
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use rxing::Binarizer;

    /// A grey image with shading, texture, flat areas and sharp edges, of any size.
    fn textured(w: usize, h: usize) -> GreyImage {
        let pixels = (0..w * h)
            .map(|i| {
                let (x, y) = (i % w, i / w);
                let shade = x * 96 / w + y * 64 / h;
                let texture = ((x * 7 + y * 13) ^ (x * y)) % 61 * ((x / 40 + y / 30) % 2);
                let edge = if (x / 9 + y / 5) % 3 == 0 { 90 } else { 0 };
                u8::try_from((shade + texture + edge).min(255)).unwrap()
            })
            .collect();
        GreyImage::new(w, h, pixels).unwrap()
    }

    #[test]
    fn our_hybrid_binarisation_is_zxings() {
        for (w, h) in [(64, 64), (123, 77), (301, 205), (640, 360)] {
            let img = textured(w, h);
            let ours = binarize(&img).unwrap();
            let source = rxing::Luma8LuminanceSource::new(
                img.pixels().to_vec(),
                u32::try_from(w).unwrap(),
                u32::try_from(h).unwrap(),
            )
            .unwrap();
            let binarizer = rxing::common::HybridBinarizer::new(source);
            let theirs = binarizer.get_black_matrix().unwrap();
            let differ = (0..h)
                .flat_map(|y| (0..w).map(move |x| (x, y)))
                .filter(|&(x, y)| {
                    let (x, y) = (u32::try_from(x).unwrap(), u32::try_from(y).unwrap());
                    ours.bits.get(x, y) != theirs.get(x, y)
                })
                .count();
            assert_eq!(differ, 0, "{w} x {h}");
        }
    }

    #[test]
    fn packed_rows_are_the_matrix_and_its_runs() {
        let mut img = binarize(&textured(301, 205)).unwrap();
        for inverted in [false, true] {
            for y in [0, 1, 100, 204] {
                let runs: Vec<PatternType> = img.runs(y).into_iter().collect();
                let mut x = 0u32;
                let mut expanded = Vec::new();
                for (i, &n) in runs.iter().enumerate() {
                    for _ in 0..n {
                        expanded.push(i % 2 == 1);
                        x += 1;
                    }
                }
                assert_eq!(x, 301, "row {y}: runs cover the row");
                let bits: Vec<bool> = (0..301)
                    .map(|x| img.bits.get(x, u32::try_from(y).unwrap()))
                    .collect();
                assert_eq!(expanded, bits, "row {y}, inverted {inverted}");
            }
            img.invert();
        }
    }
}
