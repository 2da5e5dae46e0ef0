//! Inputs the fuzzer found (fuzz/ targets); each must give a result or a typed error, never a
//! panic, in every build profile.

use venuecode::raster::GreyImage;
use venuecode::scan::scan;

#[test]
fn fuzz_findings_do_not_panic() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("fixtures") {
        let bytes = std::fs::read(entry.expect("entry").path()).expect("readable");
        // Either outcome is fine; a panic fails the test. Both readings of the scan_frame
        // target: an encoded image, and a grey frame whose first two bytes give the width.
        if let Ok(image) = GreyImage::decode(&bytes) {
            let _ = scan(&image);
        }
        if bytes.len() > 2 {
            let width = usize::from(bytes[0]) + usize::from(bytes[1]) * 256 % 1024 + 1;
            let pixels = &bytes[2..];
            let height = pixels.len() / width;
            if height > 0
                && let Ok(image) = GreyImage::from_grey_frame(pixels, width, height, width)
            {
                let _ = scan(&image);
            }
        }
        seen += 1;
    }
    assert!(seen >= 1, "no fixtures in {}", dir.display());
}
