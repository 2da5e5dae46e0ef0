//! One door decision by each built-in rule set, once loaded (goal: well under a microsecond).
//! Prints the means.

#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use criterion::{Criterion, criterion_group};
use std::hint::black_box;
use venuecode::health::{Colour, NatResult};
use venuecode::policy::{Facts, Policy, Revocations, StatusState, TestFact};

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("policy");
    for id in ["sh-2022-04-01", "sh-2022-public-48h"] {
        let policy = Policy::builtin(id).unwrap();
        // A green holder with a 49-hour-old test at a religious venue: the later rules decide.
        let facts = Facts {
            code: venuecode::CodeState::Valid,
            status: StatusState::Fresh,
            colour: Some(Colour::Green),
            test: TestFact::Taken(NatResult::Negative, 49 * 3600),
            class: &venuecode::VenueClass::Religious,
            revocations: Revocations::Checked,
        };
        group.bench_function(id, |b| b.iter(|| policy.decide(black_box(&facts)).decision));
    }
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
    for id in ["sh-2022-04-01", "sh-2022-public-48h"] {
        if let Some(ns) = common::estimate_ns("policy", id, "mean") {
            println!("{id}: one decision {ns:.0} ns (goal: well under 1 µs)");
        }
    }
}
