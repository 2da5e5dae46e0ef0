//! `code_kind` over the committed vectors: every code that gets as far as its format version is
//! told apart by it, whatever its signature; anything else is `malformed`.

#![allow(clippy::unwrap_used)]

use venuecode::{CodeKind, code_kind};

fn cases(file: &str) -> Vec<(String, String, String)> {
    let path = format!("{}/tests/vectors/{file}", env!("CARGO_MANIFEST_DIR"));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    v["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let s = |k: &str| c[k].as_str().unwrap().to_owned();
            (s("name"), s("text"), s("expect"))
        })
        .collect()
}

#[test]
fn kind_of_every_vector() {
    for (file, kind) in [
        ("venue.json", CodeKind::Venue),
        ("personal.json", CodeKind::Personal),
    ] {
        let mut told = 0;
        for (name, text, expect) in cases(file) {
            match expect.as_str() {
                "unsupported_version" => {
                    assert_eq!(code_kind(&text).unwrap_err().code(), expect, "{name}")
                }
                // Malformed at the envelope, or only inside the body (the kind is still read).
                "malformed" => match code_kind(&text) {
                    Ok(k) => assert_eq!(k, kind, "{name}"),
                    Err(e) => assert_eq!(e.code(), "malformed", "{name}"),
                },
                _ => {
                    assert_eq!(code_kind(&text).unwrap(), kind, "{name}");
                    told += 1;
                }
            }
        }
        assert!(told >= 10, "{file}: {told}");
    }
}

#[test]
fn not_a_code() {
    for text in [
        "",
        "hello",
        "HTTPS://VC.EXAMPLE.CN/1/",
        "https://vc.example.cn/1/ABC",
    ] {
        assert_eq!(code_kind(text).unwrap_err().code(), "malformed", "{text:?}");
    }
}
