//! Venue-code test vectors: one generator for `tests/vectors/venue.json` and the vector section
//! of SPEC.md. The committed files must equal a fresh run; to rewrite them after a deliberate
//! format change, run `VENUECODE_BLESS=1 cargo test -p venuecode --test vectors`.

#![allow(clippy::unwrap_used)]

use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use venuecode::{
    Division, Prefix, SecretKey, Timestamp, TrustList, TrustedKey, Usage, Venue, VenueType, base41,
    verify_venue_code,
};

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct Vectors {
    description: String,
    keys: Vec<KeyVector>,
    trust_list: serde_json::Value,
    cases: Vec<Case>,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct KeyVector {
    name: String,
    seed: String,
    kid: String,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct Case {
    name: String,
    description: String,
    text: String,
    at: String,
    /// "valid" or an error code.
    expect: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    venue: Option<serde_json::Value>,
}

fn t(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(s).unwrap()
}

const KEYS: [(&str, u8); 6] = [
    ("venue", 0x01),
    ("personal", 0x02),
    ("revoked", 0x03),
    ("stranger", 0x04),
    ("retired", 0x05),
    ("future", 0x06),
];

fn key(name: &str) -> SecretKey {
    let seed = KEYS.iter().find(|k| k.0 == name).unwrap().1;
    SecretKey::from_seed(&[seed; 32])
}

fn trust_list() -> TrustList {
    let mut list = TrustList::new();
    let mut add = |name: &str, usage, f: fn(&mut TrustedKey)| {
        let mut entry = TrustedKey::new(key(name).public_key(), usage);
        entry.label = Some(format!("vector key {name}"));
        f(&mut entry);
        list.add(entry).unwrap();
    };
    add("venue", Usage::Venue, |_| {});
    add("personal", Usage::Personal, |_| {});
    add("revoked", Usage::Venue, |e| e.revoked = true);
    add("retired", Usage::Venue, |e| {
        e.not_after = Some(t("2022-05-01T00:00:00Z"))
    });
    add("future", Usage::Venue, |e| {
        e.not_before = Some(t("2030-01-01T00:00:00Z"))
    });
    list
}

#[path = "support/reference.rs"]
mod support;
use support::reference_venue as reference;

const SH: &str = "HTTPS://VC.SH.GOV.CN/1/";
const DURING: &str = "2022-06-01T02:00:00Z";

/// Rewrites the payload bytes of a code's text.
fn edit_payload(text: &str, f: impl FnOnce(&mut Vec<u8>)) -> String {
    let split = text.rfind('/').unwrap() + 1;
    let mut bytes = base41::decode(&text[split..]).unwrap();
    f(&mut bytes);
    format!("{}{}", &text[..split], base41::encode(&bytes))
}

fn generate() -> Vectors {
    let prefix = Prefix::new(SH).unwrap();
    let issue = |v: &Venue, k: &str| v.issue(&key(k), &prefix).unwrap();
    let reference_text = issue(&reference(), "venue");
    let trust = trust_list();
    let mut cases = Vec::new();
    let mut case = |name: &str, description: &str, text: String, at: &str| {
        let result = verify_venue_code(&text, &trust, t(at));
        let (expect, venue) = match &result {
            Ok(code) => (
                "valid".to_owned(),
                Some(serde_json::to_value(code).unwrap()),
            ),
            Err(e) => (e.code().to_owned(), None),
        };
        cases.push(Case {
            name: name.into(),
            description: description.into(),
            text,
            at: at.into(),
            expect,
            venue,
        });
    };

    case(
        "valid-reference",
        "The reference venue of SPEC.md §5.",
        reference_text.clone(),
        DURING,
    );
    let mut open = reference();
    open.valid_until = None;
    open.venue_type = VenueType::Other;
    open.id = "SH-PT-0018-B".into();
    open.door = "北门2".into();
    case(
        "valid-no-end",
        "No valid-until; type other; an ASCII digit in the door.",
        issue(&open, "venue"),
        "2040-01-01T00:00:00Z",
    );
    let mut rare = reference();
    rare.venue_type = VenueType::from_code(77);
    rare.name = "买买提·艾力（𠮷）纪念堂".into();
    rare.address = "某路1号—2号".into();
    case(
        "valid-rare-characters",
        "Unassigned type 77; the 0xD4, 0xD3, 0xD5 and 0xFF text forms.",
        issue(&rare, "venue"),
        DURING,
    );

    case(
        "malformed-lowercase",
        "A payload character outside the base41 alphabet.",
        reference_text
            .char_indices()
            .map(|(i, c)| if i == SH.len() + 5 { 'a' } else { c })
            .collect(),
        DURING,
    );
    let split = reference_text.rfind('/').unwrap() + 1;
    case(
        "malformed-base41-group",
        "The first base41 group spells 65536, one past the largest pair.",
        format!(
            "{}+.I{}",
            &reference_text[..split],
            &reference_text[split + 3..]
        ),
        DURING,
    );
    case(
        "malformed-trailing-byte",
        "A zero byte between the door field and the signature.",
        edit_payload(&reference_text, |b| b.insert(b.len() - 64, 0)),
        DURING,
    );
    case(
        "unsupported-version",
        "Version byte 0x02.",
        edit_payload(&reference_text, |b| b[0] = 0x02),
        DURING,
    );
    case(
        "unknown-key",
        "Signed by a key that is not in the trust list.",
        issue(&reference(), "stranger"),
        DURING,
    );
    case(
        "wrong-key-usage",
        "Signed by a key trusted for personal codes only.",
        issue(&reference(), "personal"),
        DURING,
    );
    case(
        "bad-signature-rehosted",
        "A genuine payload moved under another URL prefix.",
        reference_text.replace(SH, "HTTPS://VC.SH.GOV.CC/1/"),
        DURING,
    );
    case(
        "bad-signature-bit",
        "One bit of the signature flipped.",
        edit_payload(&reference_text, |b| {
            let last = b.len() - 1;
            b[last] ^= 0x01;
        }),
        DURING,
    );
    case(
        "expired",
        "Verified at the code's valid-until.",
        reference_text.clone(),
        "2023-03-31T16:00:00Z",
    );
    case(
        "not-yet-valid",
        "Verified two minutes before issued-at (beyond the 60 s clock-skew grace).",
        reference_text.clone(),
        "2022-03-31T23:58:00Z",
    );
    case(
        "revoked",
        "Signed by a key the trust list marks revoked.",
        issue(&reference(), "revoked"),
        DURING,
    );
    case(
        "expired-key",
        "Signed by a key whose trust ended on 2022-05-01.",
        issue(&reference(), "retired"),
        DURING,
    );
    case(
        "not-yet-valid-key",
        "Signed by a key trusted only from 2030.",
        issue(&reference(), "future"),
        DURING,
    );

    Vectors {
        description: "venuecode venue-code vectors (SPEC.md §8). Keys are test keys: seed = one byte repeated 32 times.".into(),
        keys: KEYS
            .iter()
            .map(|(name, seed)| KeyVector {
                name: (*name).into(),
                seed: hex::encode([*seed; 32]),
                kid: key(name).public_key().id().to_string(),
            })
            .collect(),
        trust_list: serde_json::from_str(&trust.to_json()).unwrap(),
        cases,
    }
}

fn spec_section(v: &Vectors) -> String {
    let mut out = String::from(
        "<!-- vectors:begin (generated by core/tests/vectors.rs; do not edit) -->\n\n\
         Keys (seed = one byte repeated 32 times; RFC 8032 private key):\n\n\
         | key | seed byte | key id |\n|---|---|---|\n",
    );
    for k in &v.keys {
        out += &format!("| {} | `{}` | `{}` |\n", k.name, &k.seed[..2], k.kid);
    }
    out += "\nTrust list: `venue`, `retired` (not_after 2022-05-01T00:00:00Z), `future` (not_before \
            2030-01-01T00:00:00Z) for venue codes, `revoked` revoked, `personal` for personal codes; \
            `stranger` is not listed. The full list is in `core/tests/vectors/venue.json`.\n\n\
            | vector | verified at | expected | what |\n|---|---|---|---|\n";
    for c in &v.cases {
        out += &format!(
            "| {} | {} | `{}` | {} |\n",
            c.name, c.at, c.expect, c.description
        );
    }
    out += "\nTexts:\n\n```text\n";
    for c in &v.cases {
        out += &format!("{}\n{}\n\n", c.name, c.text);
    }
    out = out.trim_end().to_owned();
    out += "\n```\n\n<!-- vectors:end -->";
    out
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn committed_vectors_match_the_generator() {
    let fresh = generate();
    let json = serde_json::to_string_pretty(&fresh).unwrap() + "\n";
    let json_path = root().join("tests/vectors/venue.json");
    let spec_path = root().join("../SPEC.md");
    let spec = std::fs::read_to_string(&spec_path).unwrap();
    let (begin, end) = (
        spec.find("<!-- vectors:begin").unwrap(),
        spec.find("<!-- vectors:end -->").unwrap(),
    );
    let new_spec = format!(
        "{}{}{}",
        &spec[..begin],
        spec_section(&fresh),
        &spec[end + "<!-- vectors:end -->".len()..]
    );
    if std::env::var_os("VENUECODE_BLESS").is_some() {
        std::fs::write(&json_path, &json).unwrap();
        std::fs::write(&spec_path, &new_spec).unwrap();
    }
    let committed_json = std::fs::read_to_string(&json_path).unwrap();
    let committed_spec = std::fs::read_to_string(&spec_path).unwrap();
    assert!(
        committed_json == json,
        "venue.json is stale: see this file's header"
    );
    assert!(
        committed_spec == new_spec,
        "SPEC.md's vectors are stale: see this file's header"
    );
}

/// Reads the committed file (not the generator) and checks every case through the public API.
#[test]
fn committed_vectors_verify_as_stated() {
    let text = std::fs::read_to_string(root().join("tests/vectors/venue.json")).unwrap();
    let v: Vectors = serde_json::from_str(&text).unwrap();
    let trust = TrustList::from_json(&v.trust_list.to_string()).unwrap();
    let mut seen_codes = std::collections::BTreeSet::new();
    for c in &v.cases {
        match verify_venue_code(&c.text, &trust, t(&c.at)) {
            Ok(code) => {
                assert_eq!(c.expect, "valid", "{}", c.name);
                assert_eq!(
                    Some(serde_json::to_value(&code).unwrap()),
                    c.venue,
                    "{}",
                    c.name
                );
            }
            Err(e) => assert_eq!(e.code(), c.expect, "{}: {e}", c.name),
        }
        seen_codes.insert(c.expect.as_str());
    }
    // One vector or more for each verification outcome.
    for code in std::iter::once(&"valid").chain(venuecode::REJECTION_CODES) {
        assert!(seen_codes.contains(code), "no vector for {code}");
    }
    for k in &v.keys {
        let seed: [u8; 32] = hex::decode(&k.seed).unwrap().try_into().unwrap();
        assert_eq!(
            SecretKey::from_seed(&seed).public_key().id().to_string(),
            k.kid
        );
    }
}
