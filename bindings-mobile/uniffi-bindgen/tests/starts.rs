//! The generator starts and offers `generate` (scripts/mobile runs this very binary, as built
//! by `cargo test --workspace`).

#![allow(clippy::unwrap_used)]

#[test]
fn it_starts_and_offers_generate() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_uniffi-bindgen"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("generate"));
}
