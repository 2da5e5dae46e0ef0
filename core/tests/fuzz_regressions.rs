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
        // Either outcome is fine; a panic fails the test.
        if let Ok(image) = GreyImage::decode(&bytes) {
            let _ = scan(&image);
        }
        seen += 1;
    }
    assert!(seen >= 1, "no fixtures in {}", dir.display());
}
