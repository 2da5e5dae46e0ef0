//! Verifying an offline personal code and resolving its status from a status list of one
//! million holders, against raw `ed25519_dalek` `verify_strict` on the same signed message
//! (goal: at most 1.15x), and the bare status lookup. Prints the list's size and the ratio.

#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use criterion::{Criterion, criterion_group};
use ed25519_dalek::{Signature, VerifyingKey};
use std::hint::black_box;
use venuecode::health::{Colour, HealthStatus};
use venuecode::id::IdNumber;
use venuecode::person::{PersonalCode, PersonalIssue, Profile, verify_personal_code};
use venuecode::status::{StatusList, resolve_status};
use venuecode::token::{HolderToken, TokenKey};
use venuecode::{Prefix, SecretKey, Timestamp, TrustList, TrustedKey, Usage, base41};

const PREFIX: &str = "HTTPS://HC.SH.GOV.CN/P/";
const HOLDERS: usize = 1_000_000;

fn bench(c: &mut Criterion) {
    let (personal, status_key) = (
        SecretKey::from_seed(&[2; 32]),
        SecretKey::from_seed(&[8; 32]),
    );
    let mut trust = TrustList::new();
    trust
        .add(
            TrustedKey::new(personal.public_key(), Usage::Personal)
                .with_prefix(&Prefix::new(PREFIX).unwrap()),
        )
        .unwrap();
    trust
        .add(TrustedKey::new(status_key.public_key(), Usage::Status))
        .unwrap();
    let tokens = TokenKey::from_bytes([0x42; 32]);
    let id = IdNumber::parse("11010519491231002X").unwrap();
    let issued = Timestamp::from_unix(1_649_208_600);
    let issue = PersonalIssue {
        profile: Profile::Offline,
        generation: 0,
        issued_at: issued,
        valid_secs: None,
        status: None,
    };
    let code = PersonalCode::for_holder("张三丰", &id, &tokens, &issue).unwrap();
    let text = code
        .issue(&personal, &Prefix::new(PREFIX).unwrap())
        .unwrap();

    // A million holders: pseudo-random tokens, and ours among them.
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut entries: Vec<(HolderToken, HealthStatus)> = (0..HOLDERS - 1)
        .map(|_| {
            let mut t = [0u8; 16];
            for half in t.chunks_mut(8) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                half.copy_from_slice(&state.to_be_bytes());
            }
            (
                HolderToken(t),
                HealthStatus {
                    colour: Colour::Green,
                    nat: None,
                },
            )
        })
        .collect();
    entries.push((
        code.holder,
        HealthStatus {
            colour: Colour::Yellow,
            nat: None,
        },
    ));
    let seal = venuecode::Seal {
        serial: 1,
        issued_at: issued,
        valid_until: issued.saturating_add(86_400),
    };
    let bytes = StatusList::build(entries, seal, &status_key).unwrap();
    let now = issued.saturating_add(3_600);
    let list = StatusList::load(&bytes, &trust, now).unwrap();
    println!(
        "status list: {} holders, {} bytes ({:.1} MB)",
        list.len(),
        bytes.len(),
        bytes.len() as f64 / 1e6
    );

    // The exact message the code's signature covers (SPEC.md §3, §9).
    let payload = base41::decode(&text[PREFIX.len()..]).unwrap();
    let (body, sig) = payload.split_at(payload.len() - 64);
    let mut message = b"VENUECODE/PERSON\0".to_vec();
    message.push(u8::try_from(PREFIX.len()).unwrap());
    message.extend_from_slice(PREFIX.as_bytes());
    message.extend_from_slice(body);
    let raw_key = VerifyingKey::from_bytes(&personal.public_key().to_bytes()).unwrap();
    let signature = Signature::from_bytes(sig.try_into().unwrap());
    raw_key.verify_strict(&message, &signature).unwrap();
    let resolved = |t: &str| {
        let verified = verify_personal_code(t, &trust, now).unwrap();
        resolve_status(verified.code(), Some(&list), now, 86_400)
    };
    assert!(
        matches!(resolved(&text), venuecode::status::Resolved::Fresh(a) if a.status.colour == Colour::Yellow)
    );

    let mut group = c.benchmark_group("person");
    group.bench_function("raw_verify_strict", |b| {
        b.iter(|| black_box(&raw_key).verify_strict(black_box(&message), black_box(&signature)))
    });
    group.bench_function("offline_verify_and_status_1m", |b| {
        b.iter(|| resolved(black_box(&text)))
    });
    group.bench_function("status_lookup_1m", |b| {
        b.iter(|| list.lookup(black_box(&code.holder)))
    });
    group.finish();
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    if common::test_mode() {
        return;
    }
    if let (Some(raw), Some(full), Some(lookup)) = (
        common::estimate_ns("person", "raw_verify_strict", "mean"),
        common::estimate_ns("person", "offline_verify_and_status_1m", "mean"),
        common::estimate_ns("person", "status_lookup_1m", "mean"),
    ) {
        println!(
            "raw verify_strict {:.1} µs, offline code + status from 1M list {:.1} µs, ratio {:.3} (goal <= 1.15); lookup alone {:.0} ns",
            raw / 1e3,
            full / 1e3,
            full / raw,
            lookup
        );
    }
}
