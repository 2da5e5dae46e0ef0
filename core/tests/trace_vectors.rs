//! The sealed trace reference's vectors (`tests/vectors/trace.json`, reproduced in SPEC.md §15):
//! generated here, checked against the committed file and SPEC.md, opened through the public
//! API, and opened and sealed by another implementation of RFC 9180 (PyPI `pyhpke`), so that the
//! format is HPKE and not only ours. To rewrite the files after a deliberate format change, run
//! `VENUECODE_BLESS=1 cargo test -p venuecode --test trace_vectors`.

#![allow(clippy::unwrap_used)]

#[path = "support/python.rs"]
mod python;

use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use venuecode::Timestamp;
use venuecode::id::IdNumber;
use venuecode::record::RecordId;
use venuecode::token::TokenKey;
use venuecode::trace::audit::AuditChain;
use venuecode::trace::{TraceKey, TracePublicKey, TraceRef};

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Vectors {
    description: String,
    suite: String,
    info: String,
    tracing_key_ikm: String,
    tracing_key: String,
    tracing_public_key: String,
    cases: Vec<Case>,
    /// The audit log's MAC key: HMAC-SHA-256(tracing key, "VENUECODE/AUDIT-KEY\0").
    audit_key: String,
    audit_log: Vec<String>,
    audit_head: String,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Case {
    name: String,
    description: String,
    /// The record id the reference is opened for (the associated data).
    record_id: String,
    trace_ref: String,
    /// The holder token it opens to, or null if it must not open.
    opens_to: Option<String>,
    /// How it was sealed, for a reference sealed afresh: sealing again must give it.
    sealed: Option<Seal>,
}

/// A seal's inputs: the public key, the token, the record id (associated data), the entropy.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Seal {
    public_key: String,
    token: String,
    record_id: String,
    entropy: String,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn generate() -> Vectors {
    let ikm = [0x07; 32];
    let key = TraceKey::derive(&ikm);
    let public = key.public();
    // The reference holder of SPEC.md §9: token key 0x42 repeated, ID 11010519491231002X.
    let token =
        TokenKey::from_bytes([0x42; 32]).token(&IdNumber::parse("11010519491231002X").unwrap());
    let at = Timestamp::parse_rfc3339("2022-04-06T10:00:00+08:00").unwrap();
    let record = RecordId::derive(
        at,
        &[
            b"gate",
            b"gate-1",
            b"SH-PT-0018",
            "东门".as_bytes(),
            &[0; 32],
        ],
    );
    let other = RecordId::derive(
        at,
        &[
            b"gate",
            b"gate-2",
            b"SH-PT-0018",
            "东门".as_bytes(),
            &[0; 32],
        ],
    );
    let seal = |key: &TracePublicKey, entropy: u8| {
        let inputs = Seal {
            public_key: key.to_hex().trim().to_owned(),
            token: token.to_string(),
            record_id: record.to_string(),
            entropy: hex::encode([entropy; 32]),
        };
        (key.seal(&token, &record.0, &[entropy; 32]), Some(inputs))
    };
    let (sealed, sealed_inputs) = seal(&public, 0x0e);
    let mut altered = sealed;
    altered.0[64] ^= 0x01;
    let case = |name: &str,
                description: &str,
                id: RecordId,
                (r, sealed): (TraceRef, Option<Seal>),
                opens: bool| Case {
        name: name.into(),
        description: description.into(),
        record_id: id.to_string(),
        trace_ref: r.to_string(),
        opens_to: opens.then(|| token.to_string()),
        sealed,
    };
    let mut chain = AuditChain::new(key.audit_key());
    let audit_log: Vec<String> = [("holder", 2u64), ("venue", 7)]
        .iter()
        .enumerate()
        .map(|(i, (kind, results))| {
            let query = serde_json::json!({"kind": kind, "holder": token.to_string()});
            let at = at.saturating_add(86_400 + 60 * i64::try_from(i).unwrap());
            chain
                .append(at, "officer-7", "case 2022-0406-01", query, *results)
                .unwrap()
                .trim_end()
                .to_owned()
        })
        .collect();
    Vectors {
        description: "venuecode sealed trace references (SPEC.md §15). Each fresh seal lists its \
                      inputs, entropy included, so that the vectors are fixed; real seals draw \
                      the entropy fresh."
            .into(),
        suite: "HPKE base mode: DHKEM(X25519, HKDF-SHA256) 0x0020, HKDF-SHA256 0x0001, \
                ChaCha20-Poly1305 0x0003"
            .into(),
        info: hex::encode(b"VENUECODE/TRACE\0"),
        tracing_key_ikm: hex::encode(ikm),
        tracing_key: key.to_hex().trim().to_owned(),
        tracing_public_key: public.to_hex().trim().to_owned(),
        cases: vec![
            case(
                "sealed",
                "the reference holder's token, sealed for a gate scan's record",
                record,
                (sealed, sealed_inputs),
                true,
            ),
            case(
                "sealed_again",
                "the same token and record, other entropy: no byte in common but the version",
                record,
                seal(&public, 0x0f),
                true,
            ),
            case(
                "moved",
                "the first reference opened for another record: refused",
                other,
                (sealed, None),
                false,
            ),
            case(
                "altered",
                "the first reference with its tag's last byte flipped: refused",
                record,
                (altered, None),
                false,
            ),
            case(
                "other_key",
                "sealed to another tracing key (ikm 0x08 repeated): refused",
                record,
                seal(&TraceKey::derive(&[0x08; 32]).public(), 0x0e),
                false,
            ),
        ],
        audit_key: key.audit_key().to_hex().to_string(),
        audit_log,
        audit_head: chain.head().to_owned(),
    }
}

fn spec_section(v: &Vectors) -> String {
    let mut out = String::from(
        "<!-- trace-vectors:begin (generated by core/tests/trace_vectors.rs; do not edit) -->\n\n",
    );
    out += &format!(
        "Tracing key: ikm `{}` (DeriveKeyPair), private key `{}`, public key `{}`.\n\n",
        v.tracing_key_ikm, v.tracing_key, v.tracing_public_key
    );
    out += "| vector | record id | opens to | what |\n|---|---|---|---|\n";
    for c in &v.cases {
        out += &format!(
            "| {} | `{}` | {} | {} |\n",
            c.name,
            c.record_id,
            c.opens_to
                .as_deref()
                .map_or("refused".to_owned(), |t| format!("`{t}`")),
            c.description
        );
    }
    out += "\nReferences:\n\n```text\n";
    for c in &v.cases {
        out += &format!("{}\n{}\n\n", c.name, c.trace_ref);
    }
    out = out.trim_end().to_owned();
    out += &format!(
        "\n```\n\nAn audit log of two entries, its MACs under the audit key `{}`, and its \
         head:\n\n```text\n",
        v.audit_key
    );
    for line in &v.audit_log {
        out += &format!("{line}\n");
    }
    out += &format!("head {}\n```\n\n<!-- trace-vectors:end -->", v.audit_head);
    out
}

#[test]
fn committed_vectors_match_the_generator() {
    let fresh = generate();
    let json = serde_json::to_string_pretty(&fresh).unwrap() + "\n";
    let json_path = root().join("tests/vectors/trace.json");
    let spec_path = root().join("../SPEC.md");
    let spec = std::fs::read_to_string(&spec_path).unwrap();
    let (begin, end_marker) = ("<!-- trace-vectors:begin", "<!-- trace-vectors:end -->");
    let (b, e) = (spec.find(begin).unwrap(), spec.find(end_marker).unwrap());
    let new_spec = format!(
        "{}{}{}",
        &spec[..b],
        spec_section(&fresh),
        &spec[e + end_marker.len()..]
    );
    if std::env::var_os("VENUECODE_BLESS").is_some() {
        std::fs::write(&json_path, &json).unwrap();
        std::fs::write(&spec_path, &new_spec).unwrap();
    }
    assert!(
        std::fs::read_to_string(&json_path).unwrap_or_default() == json,
        "trace.json is stale: see this file's header"
    );
    assert!(
        std::fs::read_to_string(&spec_path).unwrap() == new_spec,
        "SPEC.md's trace vectors are stale: see this file's header"
    );
}

fn committed() -> Vectors {
    serde_json::from_str(&std::fs::read_to_string(root().join("tests/vectors/trace.json")).unwrap())
        .unwrap()
}

fn id_bytes(hex_id: &str) -> Vec<u8> {
    hex_id.parse::<RecordId>().unwrap().0.to_vec()
}

#[test]
fn committed_vectors_open_as_stated() {
    let v = committed();
    let key = TraceKey::from_hex(&v.tracing_key).unwrap();
    assert_eq!(key.public().to_hex().trim(), v.tracing_public_key);
    let ikm: [u8; 32] = hex::decode(&v.tracing_key_ikm).unwrap().try_into().unwrap();
    assert_eq!(TraceKey::derive(&ikm).to_hex(), key.to_hex());
    for c in &v.cases {
        let r: TraceRef = c.trace_ref.parse().unwrap();
        let opened = key
            .open(&r, &id_bytes(&c.record_id))
            .ok()
            .map(|t| t.to_string());
        assert_eq!(opened, c.opens_to, "{}", c.name);
        // A fresh seal comes out the same from its inputs (SPEC.md §15: the ephemeral key).
        if let Some(seal) = &c.sealed {
            let mut token = [0u8; 16];
            hex::decode_to_slice(&seal.token, &mut token).unwrap();
            let entropy: [u8; 32] = hex::decode(&seal.entropy).unwrap().try_into().unwrap();
            let again = TracePublicKey::from_hex(&seal.public_key).unwrap().seal(
                &venuecode::token::HolderToken(token),
                &id_bytes(&seal.record_id),
                &entropy,
            );
            assert_eq!(again, r, "{}", c.name);
        }
    }
    let (a, b) = (&v.cases[0].trace_ref, &v.cases[1].trace_ref);
    assert_eq!(a[..2], b[..2]);
    let shared = (2..a.len())
        .step_by(2)
        .filter(|&i| a[i..i + 2] == b[i..i + 2])
        .count();
    assert!(shared < 4, "{shared} bytes in common");
    assert_eq!(*key.audit_key().to_hex(), v.audit_key);
    let mut chain = AuditChain::new(key.audit_key());
    for line in &v.audit_log {
        chain.push_line(line).unwrap();
    }
    assert_eq!(chain.head(), v.audit_head);
}

/// The audit log's MACs by Python's standard library: the key from the tracing key, each
/// entry's MAC over the domain and its JSON without `hash` (keys in order, no spaces).
const PYAUDIT: &str = r#"
import hashlib, hmac, json, sys
sk, lines = bytes.fromhex(sys.argv[1]), sys.argv[2:]
key = hmac.new(sk, b"VENUECODE/AUDIT-KEY\0", hashlib.sha256).digest()
print(key.hex())
for line in lines:
    entry = json.loads(line)
    mac = entry.pop("hash")
    body = json.dumps(entry, separators=(",", ":"), ensure_ascii=False).encode()
    assert hmac.new(key, b"VENUECODE/AUDIT-MAC\0" + body, hashlib.sha256).hexdigest() == mac, line
    print(mac)
"#;

#[test]
fn another_implementation_computes_the_audit_logs_macs() {
    let v = committed();
    let args: Vec<&str> = std::iter::once(v.tracing_key.as_str())
        .chain(v.audit_log.iter().map(String::as_str))
        .collect();
    let stdout = python::run(PYAUDIT, &args);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.first(), Some(&v.audit_key.as_str()));
    assert_eq!(lines.last(), Some(&v.audit_head.as_str()));
}

const PYHPKE: &str = r#"
import sys
from pyhpke import AEADId, CipherSuite, KDFId, KEMId
suite = CipherSuite.new(KEMId.DHKEM_X25519_HKDF_SHA256, KDFId.HKDF_SHA256, AEADId.CHACHA20_POLY1305)
sk, pk, info, ref, aad, token = (bytes.fromhex(a) for a in sys.argv[1:7])
assert ref[0] == 1
recipient = suite.create_recipient_context(ref[1:33], suite.kem.deserialize_private_key(sk), info=info)
print(recipient.open(ref[33:], aad=aad).hex())
enc, sender = suite.create_sender_context(suite.kem.deserialize_public_key(pk), info=info)
print("01" + enc.hex() + sender.seal(token, aad=aad).hex())
"#;

#[test]
fn another_hpke_implementation_opens_ours_and_seals_what_we_open() {
    let v = committed();
    let c = &v.cases[0];
    let aad = hex::encode(id_bytes(&c.record_id));
    let stdout = python::run(
        PYHPKE,
        &[
            &v.tracing_key,
            &v.tracing_public_key,
            &v.info,
            &c.trace_ref,
            &aad,
            c.opens_to.as_ref().unwrap(),
        ],
    );
    let mut lines = stdout.lines();
    assert_eq!(lines.next(), c.opens_to.as_deref());
    let theirs: TraceRef = lines.next().unwrap().parse().unwrap();
    let key = TraceKey::from_hex(&v.tracing_key).unwrap();
    let token = key.open(&theirs, &id_bytes(&c.record_id)).unwrap();
    assert_eq!(Some(token.to_string()), c.opens_to);
    assert!(key.open(&theirs, &[0; 16]).is_err());
    // And the public key the venues hold is the one pyhpke sealed to.
    assert_eq!(
        TracePublicKey::from_hex(&v.tracing_public_key).unwrap(),
        key.public()
    );
}
