//! One 1280 x 720 grey camera frame with one venue code in it, through `scan::scan`: the gate
//! scanner's per-frame cost (goal: median under 10 ms on this machine); and frames made to stall
//! it (`tests/support/adversarial.rs`: finder-like grids, checkerboards, noise, a text page), each
//! within the work budget (goal: every one under 50 ms). Prints the median and the slowest.

#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use criterion::{Criterion, criterion_group};
use std::hint::black_box;
use venuecode::qr::{EcLevel, QrMatrix};
use venuecode::raster::GreyImage;
use venuecode::scan::scan;
use venuecode::{Division, Prefix, SecretKey, Timestamp, Venue, VenueType};

#[path = "../tests/support/reference.rs"]
mod support;

#[path = "../tests/support/adversarial.rs"]
mod adversarial;

/// A frame as a phone or gate camera sees a poster: a lit gradient, some clutter, the code
/// (4 pixels a module) off centre.
fn frame() -> (GreyImage, String) {
    let text = support::reference_venue()
        .issue(
            &SecretKey::from_seed(&[1; 32]),
            &Prefix::new("HTTPS://VC.SH.GOV.CN/1/").unwrap(),
        )
        .unwrap();
    let (side, code) = QrMatrix::encode(&text, EcLevel::M).unwrap().to_grey(4);
    let (w, h, side) = (1280usize, 720usize, side as usize);
    let mut pixels: Vec<u8> = (0..w * h)
        .map(|i| u8::try_from(150 + (i % w) * 80 / w).unwrap())
        .collect();
    for (n, (x0, y0)) in [(40, 60), (900, 80), (1000, 500), (120, 520)]
        .into_iter()
        .enumerate()
    {
        for y in y0..y0 + 120 {
            for x in x0..x0 + 200 {
                pixels[y * w + x] = u8::try_from(40 + 30 * n).unwrap();
            }
        }
    }
    let (ox, oy) = (480, 180);
    for y in 0..side {
        pixels[(oy + y) * w + ox..(oy + y) * w + ox + side]
            .copy_from_slice(&code[y * side..(y + 1) * side]);
    }
    (GreyImage::new(w, h, pixels).unwrap(), text)
}

fn bench(c: &mut Criterion) {
    let (image, text) = frame();
    assert_eq!(scan(&image)[0].text, text);
    let mut group = c.benchmark_group("scan");
    group.bench_function("frame_1280x720_grey", |b| {
        b.iter(|| scan(black_box(&image)))
    });
    group.finish();
    let mut group = c.benchmark_group("scan_adversarial");
    group.sample_size(10);
    for (name, frame) in adversarial::frames(1280, 720) {
        assert!(scan(&frame).is_empty(), "{name}");
        group.bench_function(name.replace([' ', ','], "_"), |b| {
            b.iter(|| scan(black_box(&frame)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    if common::test_mode() {
        return;
    }
    if let Some(median) = common::estimate_ns("scan", "frame_1280x720_grey", "median") {
        println!(
            "1280x720 grey frame: median {:.2} ms (goal < 10 ms)",
            median / 1e6
        );
    }
    let slowest = adversarial::frames(1280, 720)
        .into_iter()
        .filter_map(|(name, _)| {
            let id = name.replace([' ', ','], "_");
            common::estimate_ns("scan_adversarial", &id, "mean").map(|ns| (ns, name))
        })
        .max_by(|a, b| a.0.total_cmp(&b.0));
    if let Some((ns, name)) = slowest {
        println!(
            "slowest adversarial 1280x720 frame: {name}, mean {:.1} ms (goal < 50 ms)",
            ns / 1e6
        );
    }
}
