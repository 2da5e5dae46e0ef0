//! Times the scanner on a damaged-image set from `bench/qr/make_set.py`, image loading included,
//! once with every pass (`venuecode::scan::scan`) and once as plain, unmodified rqrr 0.11.0 from
//! crates.io (its own binarisation, `detect_grids`, `decode`), and writes one JSON file each:
//! `{"decoder", "seconds", "results": {file: decoded_ok}, "millis": {file: ms}}`.
//!
//! `cargo run --release -p venuecode-examples --example scan_set -- SET_DIR OUT_DIR`

use std::collections::BTreeMap;
use std::time::Instant;
use venuecode::raster::GreyImage;
use venuecode::scan::scan;

type Scanner = fn(&GreyImage) -> Vec<String>;

fn ours(image: &GreyImage) -> Vec<String> {
    scan(image).into_iter().map(|f| f.text).collect()
}

fn plain_rqrr(image: &GreyImage) -> Vec<String> {
    let (w, h) = (image.width(), image.height());
    let mut prepared = rqrr_upstream::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
        image.pixels()[y * w + x]
    });
    prepared
        .detect_grids()
        .into_iter()
        .filter_map(|g| g.decode().ok().map(|(_, text)| text))
        .collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(set), Some(out)) = (args.get(1), args.get(2)) else {
        return Err("usage: scan_set SET_DIR OUT_DIR".into());
    };
    let manifest = std::fs::read_to_string(format!("{set}/manifest.csv"))?;
    let rows: Vec<(&str, &str)> = manifest
        .lines()
        .skip(1)
        .filter_map(|l| {
            let mut parts = l.trim_end().splitn(3, ',');
            let file = parts.next()?;
            let _kind = parts.next()?;
            Some((file, parts.next()?))
        })
        .collect();
    let scanners: [(&str, &str, Scanner); 2] = [
        ("venuecode", "ours", ours),
        ("plain rqrr 0.11.0", "rqrr", plain_rqrr),
    ];
    for (name, file_name, scanner) in scanners {
        let mut results = BTreeMap::new();
        let mut millis = BTreeMap::new();
        let start = Instant::now();
        for (file, text) in &rows {
            let one = Instant::now();
            let bytes = std::fs::read(format!("{set}/{file}"))?;
            let ok = GreyImage::decode(&bytes)
                .map(|image| scanner(&image).iter().any(|t| t == text))
                .unwrap_or(false);
            results.insert(file.to_string(), ok);
            millis.insert(file.to_string(), one.elapsed().as_secs_f64() * 1e3);
        }
        let seconds = start.elapsed().as_secs_f64();
        let json = serde_json::json!({ "decoder": name, "seconds": seconds, "results": results, "millis": millis });
        std::fs::write(format!("{out}/{file_name}.json"), json.to_string())?;
        let decoded = results.values().filter(|&&ok| ok).count();
        println!("{name}: {decoded}/{} in {seconds:.2} s", rows.len());
    }
    Ok(())
}
