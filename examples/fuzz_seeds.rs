//! Writes the fuzz targets' seed corpora from the test vectors, so that a fresh machine fuzzes
//! from real codes, lists and rule sets rather than from nothing:
//!
//!     cargo run -p venuecode-examples --example fuzz_seeds -- fuzz/corpus
//!
//! One file per seed, named by target and case; existing files are overwritten.

use std::path::{Path, PathBuf};

#[path = "../core/tests/support/adversarial.rs"]
mod adversarial;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn vectors(root: &Path, name: &str) -> Result<serde_json::Value> {
    let text = std::fs::read_to_string(root.join("core/tests/vectors").join(name))?;
    Ok(serde_json::from_str(&text)?)
}

fn write(out: &Path, target: &str, name: &str, bytes: &[u8]) -> Result<()> {
    let dir = out.join(target);
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join(format!("seed-{name}")), bytes)?;
    Ok(())
}

/// The body of a code's text: base41 after the prefix, without the 64-byte signature.
fn body(text: &str) -> Option<Vec<u8>> {
    let (_, payload) = text.rsplit_once('/')?;
    let mut bytes = venuecode::base41::decode(payload).ok()?;
    bytes.truncate(bytes.len().checked_sub(venuecode::SIGNATURE_LEN)?);
    Some(bytes)
}

fn str_of<'a>(v: &'a serde_json::Value, key: &str) -> Result<&'a str> {
    v[key]
        .as_str()
        .ok_or_else(|| format!("vector field {key} missing").into())
}

fn main() -> Result<()> {
    let out = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "fuzz/corpus".into()),
    );
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut count = 0;
    for (file, target) in [
        ("venue.json", "venue_text"),
        ("personal.json", "person_text"),
    ] {
        let v = vectors(&root, file)?;
        write(
            &out,
            "lists",
            &format!("{target}-trust"),
            v["trust_list"].to_string().as_bytes(),
        )?;
        for case in v["cases"].as_array().ok_or("no cases")? {
            let (name, text) = (str_of(case, "name")?, str_of(case, "text")?);
            write(&out, target, name, text.as_bytes())?;
            if let Some(b) = body(text) {
                write(&out, "payload", &format!("{target}-{name}"), &b)?;
            }
            count += 1;
        }
        for key in ["status_list", "revocations"] {
            if let Some(hex) = v[key].as_str() {
                let bytes: Vec<u8> = (0..hex.len() / 2)
                    .filter_map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
                    .collect();
                write(&out, "lists", key, &bytes)?;
                count += 1;
            }
        }
    }
    // A trust list the `trust` target's root signs: byte 1 asks it to, then the JSON.
    let root_key = venuecode::SecretKey::from_seed(&[7; 32]);
    let mut list = venuecode::TrustList::new();
    list.add(venuecode::TrustedKey::new(
        root_key.public_key(),
        venuecode::Usage::Root,
    ))?;
    let mut seed = vec![1u8];
    seed.extend_from_slice(list.to_json().as_bytes());
    write(&out, "trust", "root-list", &seed)?;
    write(
        &out,
        "trust",
        "state",
        &venuecode::door::GateState::new().to_bytes(),
    )?;
    count += 2;
    for entry in std::fs::read_dir(root.join("core/policies"))? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("policy");
        write(&out, "policy", name, &std::fs::read(&path)?)?;
        count += 1;
    }
    for (i, text) in [
        "张三丰",
        "欧阳娜娜",
        "11010519491231002X",
        "13812345678",
        "安远路170号",
    ]
    .iter()
    .enumerate()
    {
        write(&out, "mask", &i.to_string(), text.as_bytes())?;
        count += 1;
    }
    // A check-in request of a vector door and a vector personal code.
    let venue = vectors(&root, "venue.json")?;
    let personal = vectors(&root, "personal.json")?;
    let request = serde_json::json!({
        "venue_code": str_of(&venue["cases"][0], "text")?,
        "personal_code": str_of(&personal["cases"][1], "text")?,
        "device": "phone-7",
        "at": str_of(&personal["cases"][1], "at")?,
    });
    write(&out, "check_in", "request", request.to_string().as_bytes())?;
    count += 1;
    // The trace vectors: a sealed reference (as text and as bytes) and an audit log.
    let trace = vectors(&root, "trace.json")?;
    let sealed = str_of(&trace["cases"][0], "trace_ref")?;
    write(&out, "trace", "ref-text", sealed.as_bytes())?;
    write(&out, "trace", "ref-bytes", &hex::decode(sealed)?)?;
    let log: Vec<&str> = trace["audit_log"]
        .as_array()
        .ok_or("trace vectors: audit_log missing")?
        .iter()
        .filter_map(|l| l.as_str())
        .collect();
    write(
        &out,
        "trace",
        "audit-log",
        (log.join("\n") + "\n").as_bytes(),
    )?;
    count += 3;
    // An image of a real code (small, so that mutations stay fast), and past findings.
    let text = str_of(&venue["cases"][0], "text")?;
    let png = venuecode::qr::QrMatrix::encode(text, venuecode::qr::EcLevel::M)?.to_png(2)?;
    write(&out, "scan_frame", "venue-png", &png)?;
    count += 1;
    // Frames made to stall the scanner, as the target reads a raw frame: two bytes of width
    // (128 = 127 + 0 * 256 + 1), then the grey pixels.
    for (i, (_, frame)) in adversarial::frames(128, 96).into_iter().enumerate() {
        let mut bytes = vec![127, 0];
        bytes.extend_from_slice(frame.pixels());
        write(&out, "scan_frame", &format!("adversarial-{i}"), &bytes)?;
        count += 1;
    }
    for entry in std::fs::read_dir(root.join("core/tests/fixtures/fuzz"))? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("fixture");
        write(&out, "scan_frame", name, &std::fs::read(&path)?)?;
        count += 1;
    }
    println!("{count} seeds written under {}", out.display());
    Ok(())
}
