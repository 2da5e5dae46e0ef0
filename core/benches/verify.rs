//! Raw `ed25519_dalek::VerifyingKey::verify_strict` against the full venue-code path (text ->
//! base41 -> fields -> trust list -> strict signature -> windows) on the same signed message.
//! The issue's goal: the full path costs at most 1.10x the raw check. After criterion's run the
//! ratio of the two mean estimates is printed.

#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use criterion::{Criterion, criterion_group};
use ed25519_dalek::{Signature, VerifyingKey};
use std::hint::black_box;
use venuecode::{
    Division, Prefix, SecretKey, Timestamp, TrustList, TrustedKey, Usage, Venue, VenueType, base41,
    verify_venue_code,
};

const PREFIX: &str = "HTTPS://VC.SH.GOV.CN/1/";

#[path = "../tests/support/reference.rs"]
mod support;
use support::reference_venue as reference;

fn bench(c: &mut Criterion) {
    let key = SecretKey::from_seed(&[1; 32]);
    // A trust list of realistic size: 64 keys, ours among them.
    let prefix = Prefix::new(PREFIX).unwrap();
    let mut trust = TrustList::new();
    for n in 2..=64u8 {
        trust
            .add(
                TrustedKey::new(SecretKey::from_seed(&[n; 32]).public_key(), Usage::Venue)
                    .with_prefix(&prefix),
            )
            .unwrap();
    }
    trust
        .add(TrustedKey::new(key.public_key(), Usage::Venue).with_prefix(&prefix))
        .unwrap();
    let text = reference()
        .issue(&key, &Prefix::new(PREFIX).unwrap())
        .unwrap();
    let now = Timestamp::from_unix(1_654_000_000);
    verify_venue_code(&text, &trust, now).unwrap();

    // The exact message the full path verifies (SPEC.md §3).
    let bytes = base41::decode(&text[PREFIX.len()..]).unwrap();
    let (body, sig) = bytes.split_at(bytes.len() - 64);
    let mut message = b"VENUECODE/VENUE\0".to_vec();
    message.push(u8::try_from(PREFIX.len()).unwrap());
    message.extend_from_slice(PREFIX.as_bytes());
    message.extend_from_slice(body);
    let raw_key = VerifyingKey::from_bytes(&key.public_key().to_bytes()).unwrap();
    let signature = Signature::from_bytes(sig.try_into().unwrap());
    raw_key.verify_strict(&message, &signature).unwrap();

    let mut group = c.benchmark_group("verify");
    group.bench_function("raw_verify_strict", |b| {
        b.iter(|| black_box(&raw_key).verify_strict(black_box(&message), black_box(&signature)))
    });
    group.bench_function("venue_code_from_text", |b| {
        b.iter(|| verify_venue_code(black_box(&text), black_box(&trust), now))
    });
    group.finish();
}

criterion_group!(benches, bench);

fn main() {
    benches();
    criterion::Criterion::default()
        .configure_from_args()
        .final_summary();
    if common::test_mode() {
        return;
    }
    if let (Some(raw), Some(full)) = (
        common::estimate_ns("verify", "raw_verify_strict", "mean"),
        common::estimate_ns("verify", "venue_code_from_text", "mean"),
    ) {
        println!(
            "raw verify_strict {:.1} µs, full venue-code verify {:.1} µs, ratio {:.3} (goal <= 1.10)",
            raw / 1e3,
            full / 1e3,
            full / raw
        );
    }
}
