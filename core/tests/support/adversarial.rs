//! Frames made to stall a scanner: grids of finder-like squares, checkerboards, noise and
//! text-like clutter, at several scales. Shared by the scan tests, the scan benchmark and the
//! fuzz seeds. Every one must finish within the scanner's work budget.

use venuecode::raster::GreyImage;

/// A finder-like square (7 x 7 modules: dark ring, light ring, dark 3 x 3 centre) at `m`
/// pixels a module, tiled every `pitch` modules.
fn finder_grid(w: usize, h: usize, m: usize, pitch: usize) -> Vec<u8> {
    let mut px = vec![255u8; w * h];
    for y in 0..h {
        for x in 0..w {
            let (mx, my) = ((x / m) % pitch, (y / m) % pitch);
            if mx < 7 && my < 7 {
                let ring = mx.min(my).min(6 - mx).min(6 - my);
                if ring != 1 {
                    px[y * w + x] = 0;
                }
            }
        }
    }
    px
}

fn checkerboard(w: usize, h: usize, m: usize) -> Vec<u8> {
    (0..w * h)
        .map(|i| {
            if ((i % w) / m + (i / w) / m).is_multiple_of(2) {
                0
            } else {
                255
            }
        })
        .collect()
}

fn noise(w: usize, h: usize, m: usize, seed: u64) -> Vec<u8> {
    let mut state = seed;
    let cells = w.div_ceil(m) * h.div_ceil(m);
    let values: Vec<u8> = (0..cells)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            if (state >> 63) == 1 { 0 } else { 255 }
        })
        .collect();
    (0..w * h)
        .map(|i| values[((i / w) / m) * w.div_ceil(m) + (i % w) / m])
        .collect()
}

/// Lines of dark glyph-sized blocks, as a printed page of text.
fn text_page(w: usize, h: usize, seed: u64) -> Vec<u8> {
    let mut px = vec![255u8; w * h];
    let mut state = seed;
    for line in (8..h.saturating_sub(16)).step_by(18) {
        let mut x = 10;
        while x + 12 < w {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            let glyph = 4 + usize::try_from((state >> 60) & 7).unwrap_or(0);
            for y in line..line + 12 {
                for gx in x..x + glyph {
                    if !(gx + y + usize::try_from(state >> 58).unwrap_or(0)).is_multiple_of(3) {
                        px[y * w + gx] = 0;
                    }
                }
            }
            x += glyph + 3;
        }
    }
    px
}

/// The adversarial frames at `w` x `h`, each with its name.
pub(crate) fn frames(w: usize, h: usize) -> Vec<(String, GreyImage)> {
    let mut out = Vec::new();
    let mut add = |name: String, px: Vec<u8>| {
        out.push((name, GreyImage::new(w, h, px).expect("sizes match")));
    };
    for m in [1, 2, 3, 4, 6] {
        for pitch in [8, 10] {
            add(
                format!("finder grid {m} px, pitch {pitch}"),
                finder_grid(w, h, m, pitch),
            );
        }
    }
    for m in [1, 2, 4, 8] {
        add(format!("checkerboard {m} px"), checkerboard(w, h, m));
        add(format!("noise {m} px"), noise(w, h, m, 7 + m as u64));
    }
    add("text page".into(), text_page(w, h, 3));
    out
}
