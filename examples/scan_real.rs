//! Runs venuecode's scanner on a set of real photos with labelled corners (the BoofCV set's
//! `manifest.json`: `[{"file", "quads": [[[x, y] x 4], ...]}]`), image loading included, one image
//! after another on one core, and writes what it found for `bench/qr/real_score.py`:
//! `{"decoder", "seconds", "found": {file: [[cx, cy], ...]}, "millis": {file: ms}}`, each point the
//! centroid of a decoded code's corners.
//!
//! `cargo run --release -p venuecode-examples --example scan_real -- SET_DIR OUT.json`

use std::collections::BTreeMap;
use std::time::Instant;
use venuecode::raster::GreyImage;
use venuecode::scan::scan;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(set), Some(out)) = (args.get(1), args.get(2)) else {
        return Err("usage: scan_real SET_DIR OUT.json".into());
    };
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{set}/manifest.json"))?)?;
    let files: Vec<&str> = manifest
        .as_array()
        .ok_or("manifest.json: not a list")?
        .iter()
        .filter_map(|e| e["file"].as_str())
        .collect();
    let (mut found, mut millis) = (BTreeMap::new(), BTreeMap::new());
    let start = Instant::now();
    for file in &files {
        let one = Instant::now();
        let bytes = std::fs::read(format!("{set}/{file}"))?;
        let centres: Vec<[f32; 2]> = GreyImage::decode(&bytes)
            .map(|image| {
                scan(&image)
                    .iter()
                    .map(|f| {
                        let (x, y) = f
                            .corners
                            .iter()
                            .fold((0.0, 0.0), |(x, y), p| (x + p.x / 4.0, y + p.y / 4.0));
                        [x, y]
                    })
                    .collect()
            })
            .unwrap_or_default();
        found.insert(file.to_string(), centres);
        millis.insert(file.to_string(), one.elapsed().as_secs_f64() * 1e3);
    }
    let seconds = start.elapsed().as_secs_f64();
    let json = serde_json::json!({
        "decoder": "venuecode", "seconds": seconds, "found": found, "millis": millis,
    });
    std::fs::write(out, json.to_string())?;
    println!("venuecode: {} images in {seconds:.1} s", files.len());
    Ok(())
}
