//! Sealing a holder reference (what every record costs a venue's device), opening one (what
//! every record costs a trace), and a holder trace's first pass over 10,000 records on every
//! core. Prints records opened per second.

#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use criterion::{Criterion, criterion_group};
use std::hint::black_box;
use venuecode::Timestamp;
use venuecode::policy::Outcome;
use venuecode::pseudonym::PseudonymKey;
use venuecode::record::{Origin, RecordId};
use venuecode::record_keys::RecordKeys;
use venuecode::token::HolderToken;
use venuecode::trace::{HolderTrace, Period, Presence, TraceKey};

const RECORDS: usize = 10_000;

fn bench(c: &mut Criterion) {
    let authority = TraceKey::derive(&[1; 32]);
    let keys = RecordKeys::with_seed(
        PseudonymKey::from_bytes([2; 32]),
        authority.public(),
        [3; 32],
    );
    let token = HolderToken([4; 16]);
    let id = RecordId([5; 16]);
    let mut group = c.benchmark_group("trace");
    group.bench_function("seal", |b| b.iter(|| keys.seal(black_box(&token), &id.0)));
    let sealed = keys.seal(&token, &id.0);
    group.bench_function("open", |b| {
        b.iter(|| authority.open(black_box(&sealed), &id.0).unwrap())
    });
    group.finish();
    let records: Vec<Presence> = (0..RECORDS)
        .map(|i| {
            let at = Timestamp::from_unix(1_649_203_200 + i64::try_from(i).unwrap());
            let id = RecordId::derive(at, &[&i.to_be_bytes()]);
            let holder = HolderToken([u8::try_from(i % 251).unwrap(); 16]);
            Presence {
                id,
                origin: Origin::Gate,
                venue_id: "SH-PT-0018".into(),
                door: "east".into(),
                at,
                decision: Outcome::Admit,
                trace: Some(keys.seal(&holder, &id.0)),
            }
        })
        .collect();
    let mut group = c.benchmark_group("trace_pass");
    group.sample_size(10);
    group.bench_function("find_visits_10k", |b| {
        b.iter(|| {
            let mut t = HolderTrace::new(&authority, token, Period::default(), 30);
            t.find_visits(black_box(&records));
            t.report()
        })
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
    let per_sec = |ns: Option<f64>, n: f64| ns.map_or(f64::NAN, |ns| n * 1e9 / ns);
    println!(
        "seal {:.0}/s, open {:.0}/s on one core, first pass {:.0} records/s on all cores",
        per_sec(common::estimate_ns("trace", "seal", "mean"), 1.0),
        per_sec(common::estimate_ns("trace", "open", "mean"), 1.0),
        per_sec(
            common::estimate_ns("trace_pass", "find_visits_10k", "mean"),
            RECORDS as f64
        ),
    );
}
