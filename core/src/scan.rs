//! Finding and decoding QR codes in images, built on `rqrr` (finder patterns, sampling,
//! Reed-Solomon), with what it lacks for photos of posters: other binarisations than its one
//! row-average threshold, light-on-dark (inverted) codes, and downscaling of large frames.
//!
//! The passes run in order until one decodes a code (see [`PASSES`]); the order and the set
//! were chosen by measuring decode counts and time on the damaged-image benchmark
//! (`bench/qr/`, results in the README).

use crate::raster::GreyImage;

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
    /// Dark where a pixel is darker than the mean of the square around it (side a `1/divisor`
    /// of the image's shorter side) by more than `offset`; robust to uneven light.
    LocalMean {
        /// The window side as a fraction of the shorter image side.
        divisor: usize,
        /// Grey levels below the local mean needed to count as dark.
        offset: u8,
    },
    /// One threshold for the whole image, by Otsu's method.
    Otsu,
}

/// One attempt: at which scale, how to binarise, and whether to look for light-on-dark codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    /// Halve the working image this many more times (0: as is).
    pub halvings: u8,
    /// The binarisation.
    pub binarize: Binarize,
    /// Swap dark and light.
    pub inverted: bool,
}

const fn pass(halvings: u8, binarize: Binarize, inverted: bool) -> Pass {
    Pass {
        halvings,
        binarize,
        inverted,
    }
}

const LOCAL: Binarize = Binarize::LocalMean {
    divisor: 8,
    offset: 4,
};

/// The passes [`scan`] tries, in order.
pub const PASSES: &[Pass] = &[
    pass(0, Binarize::RowAverage, false),
    pass(0, LOCAL, false),
    pass(0, LOCAL, true),
    pass(1, LOCAL, false),
    pass(0, Binarize::Otsu, false),
    pass(1, LOCAL, true),
    pass(0, Binarize::Otsu, true),
];

/// Images are first halved until their longer side is at most this many pixels: finder
/// patterns of any printable code survive, and rqrr's time grows with the pixel count.
pub const WORKING_SIDE: usize = 1600;

/// Every QR code found in an image, each text once.
pub fn scan(image: &GreyImage) -> Vec<Found> {
    scan_with(image, PASSES)
}

/// Plain rqrr: its own binarisation, once, at full size (the baseline of the benchmark).
pub fn scan_plain(image: &GreyImage) -> Vec<Found> {
    let mut found = Vec::new();
    run(image, pass(0, Binarize::RowAverage, false), 1.0, &mut found);
    found
}

/// Runs `passes` in order until one finds a code.
pub fn scan_with(image: &GreyImage, passes: &[Pass]) -> Vec<Found> {
    let mut working = std::borrow::Cow::Borrowed(image);
    let mut scale = 1.0f32;
    while working.width().max(working.height()) > WORKING_SIDE {
        working = std::borrow::Cow::Owned(working.half());
        scale *= 2.0;
    }
    let mut halves: Vec<GreyImage> = Vec::new();
    let mut found = Vec::new();
    for p in passes {
        let level = usize::from(p.halvings);
        while halves.len() < level {
            let next = halves.last().unwrap_or(&working).half();
            halves.push(next);
        }
        let img = if level == 0 {
            &working
        } else {
            &halves[level - 1]
        };
        if img.width() < 21 || img.height() < 21 {
            continue;
        }
        run(
            img,
            *p,
            scale * f32::from(1u16 << p.halvings.min(15)),
            &mut found,
        );
        if !found.is_empty() {
            break;
        }
    }
    found
}

fn run(img: &GreyImage, p: Pass, scale: f32, found: &mut Vec<Found>) {
    let (w, h) = (img.width(), img.height());
    let mut prepared = match p.binarize {
        Binarize::RowAverage if !p.inverted => {
            rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| img.at(x, y))
        }
        Binarize::RowAverage => {
            rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| 255 - img.at(x, y))
        }
        Binarize::LocalMean { divisor, offset } => {
            let dark = local_mean(img, divisor, offset);
            rqrr::PreparedImage::prepare_from_bitmap(w, h, |x, y| dark[y * w + x] != p.inverted)
        }
        Binarize::Otsu => {
            let t = otsu(img.pixels());
            rqrr::PreparedImage::prepare_from_bitmap(w, h, |x, y| (img.at(x, y) < t) != p.inverted)
        }
    };
    for grid in prepared.detect_grids() {
        let Ok((_, text)) = grid.decode() else {
            continue;
        };
        if found.iter().any(|f: &Found| f.text == text) {
            continue;
        }
        let corners = grid.bounds.map(|c| Point {
            x: c.x as f32 * scale,
            y: c.y as f32 * scale,
        });
        found.push(Found { text, corners });
    }
}

/// Dark where a pixel is more than `offset` below the mean of its window (integral image).
fn local_mean(img: &GreyImage, divisor: usize, offset: u8) -> Vec<bool> {
    let (w, h) = (img.width(), img.height());
    let r = (w.min(h) / divisor.max(1) / 2).max(4);
    // Sums of 36 megapixels of 255 fit a u64 with room to spare.
    let mut integral = vec![0u64; (w + 1) * (h + 1)];
    for y in 0..h {
        let mut row = 0u64;
        for x in 0..w {
            row += u64::from(img.at(x, y));
            integral[(y + 1) * (w + 1) + x + 1] = integral[y * (w + 1) + x + 1] + row;
        }
    }
    let mut dark = vec![false; w * h];
    for y in 0..h {
        let (y0, y1) = (y.saturating_sub(r), (y + r + 1).min(h));
        for x in 0..w {
            let (x0, x1) = (x.saturating_sub(r), (x + r + 1).min(w));
            let sum = integral[y1 * (w + 1) + x1] + integral[y0 * (w + 1) + x0]
                - integral[y0 * (w + 1) + x1]
                - integral[y1 * (w + 1) + x0];
            let count = ((x1 - x0) * (y1 - y0)) as u64;
            dark[y * w + x] = (u64::from(img.at(x, y)) + u64::from(offset)) * count < sum;
        }
    }
    dark
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
