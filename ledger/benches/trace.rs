//! Trace-back at district scale: 30 days of a district (400 venues, two doors each, a million
//! residents) as one Parquet export of 10,000,000 sealed records, then a holder trace over it:
//! the case's visits and everyone within 30 minutes of each, checked against what was generated.
//! Times writing (sealing every record on every core), both passes of the trace, and the
//! process's peak resident memory during the trace (goal: flat, whatever the size).
//! `VENUECODE_TRACE_RECORDS` changes the count; `--test`, or a run without `--bench`
//! (`cargo test --benches`), runs 20,000.

#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::{peak_mb, reset_peak};
use std::collections::HashSet;
use std::time::Instant;
use venuecode::Timestamp;
use venuecode::policy::Outcome;
use venuecode::pseudonym::{Pseudonym, PseudonymKey};
use venuecode::record::{Origin, RecordId, ScanRecord};
use venuecode::record_keys::RecordKeys;
use venuecode::token::HolderToken;
use venuecode::trace::{HolderTrace, Period, TraceKey};
use venuecode_ledger::parquet::{ROW_GROUP, RecordWriter};
use venuecode_ledger::presence::read_presences;

const RESIDENTS: u64 = 1_000_000;
const DAYS: u64 = 30;
const WINDOW_SECS: i64 = 30 * 60;
/// The case: a resident who visits a venue every 36 hours.
const CASE: u64 = 7;

fn token(resident: u64) -> HolderToken {
    let mut t = [0u8; 16];
    t[..8].copy_from_slice(&resident.to_be_bytes());
    HolderToken(t)
}

fn record(i: u64, at: Timestamp, venue: u64, door: u64) -> ScanRecord {
    ScanRecord {
        id: RecordId::derive(at, &[&i.to_be_bytes()]),
        origin: Origin::Gate,
        device: format!("gate-{venue}-{door}"),
        venue_id: format!("SH-JA-{venue:04}"),
        door: ["东门", "北门"][usize::try_from(door).unwrap()].into(),
        at,
        pseudonym: Some(Pseudonym([0; 16])),
        name: None,
        id_number: Some("310106********00**".into()),
        phone: None,
        profile: None,
        code_state: Some(venuecode::CodeState::Valid),
        colour: Some(venuecode::health::Colour::Green),
        test_age_hours: None,
        decision: Outcome::Admit,
        report: false,
        rule: "green".into(),
        staff: None,
        resolves: None,
        companion_of: None,
        trace: None,
    }
}

fn main() {
    let test = std::env::args().any(|a| a == "--test") || !std::env::args().any(|a| a == "--bench");
    let n: u64 = if test {
        20_000
    } else {
        std::env::var("VENUECODE_TRACE_RECORDS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(10_000_000)
    };
    // A quick run keeps the venues few, so that its case has contacts too.
    let venues: u64 = if test { 4 } else { 400 };
    let authority = TraceKey::derive(&[1; 32]);
    let start = Timestamp::parse_rfc3339("2022-04-01T00:00:00+08:00").unwrap();
    let span = DAYS * 86_400;
    // The case's visits: every 36 hours from day 1, at venue (k * 37) mod venues.
    let case_visits: Vec<(u64, i64)> = (0..)
        .map(|k: u64| {
            (
                (k * 37) % venues,
                86_400 + i64::try_from(k * 36 * 3600).unwrap(),
            )
        })
        .take_while(|&(_, at)| at < i64::try_from(span).unwrap() - 86_400)
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("district.parquet");
    let mut writer = RecordWriter::new(std::fs::File::create(&path).unwrap()).unwrap();
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let keys: Vec<RecordKeys> = (0..threads)
        .map(|t| {
            let seed = [u8::try_from(t % 256).unwrap(); 32];
            RecordKeys::with_seed(PseudonymKey::from_bytes([2; 32]), authority.public(), seed)
        })
        .collect();
    let mut state = 1u64;
    let mut contacts_truth = HashSet::new();
    let mut next_case = 0;
    let t = Instant::now();
    let mut i = 0u64;
    while i < n {
        // A row group of records in time order, the case's own visits among them.
        let mut chunk: Vec<(ScanRecord, HolderToken)> = Vec::with_capacity(ROW_GROUP);
        while chunk.len() < ROW_GROUP && i < n {
            let secs = i64::try_from(i * span / n).unwrap();
            let at = start.saturating_add(secs);
            if let Some(&(venue, case_at)) = case_visits.get(next_case)
                && case_at <= secs
            {
                next_case += 1;
                let r = record(
                    u64::MAX - next_case as u64,
                    start.saturating_add(case_at),
                    venue,
                    0,
                );
                chunk.push((r, token(CASE)));
            }
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            let (venue, resident) = ((state >> 20) % venues, (state >> 33) % RESIDENTS);
            let resident = if resident == CASE { CASE + 1 } else { resident };
            if case_visits
                .iter()
                .any(|&(v, c)| v == venue && (secs - c).abs() <= WINDOW_SECS)
            {
                contacts_truth.insert(token(resident));
            }
            chunk.push((record(i, at, venue, (state >> 10) % 2), token(resident)));
            i += 1;
        }
        let part = chunk.len().div_ceil(threads);
        std::thread::scope(|s| {
            for (slice, k) in chunk.chunks_mut(part).zip(&keys) {
                s.spawn(move || {
                    for (r, holder) in slice {
                        r.trace = Some(k.seal(holder, &r.id.0));
                    }
                });
            }
        });
        for (r, _) in chunk {
            writer.push(r).unwrap();
        }
    }
    let written = writer.finish().unwrap();
    let write_secs = t.elapsed().as_secs_f64();
    let size_mb = std::fs::metadata(&path).unwrap().len() as f64 / 1e6;

    reset_peak();
    let mut trace = HolderTrace::new(&authority, token(CASE), Period::default(), 30);
    let t = Instant::now();
    read_presences(&path, |b| trace.find_visits(b)).unwrap();
    let first = t.elapsed().as_secs_f64();
    let t = Instant::now();
    read_presences(&path, |b| trace.find_contacts(b)).unwrap();
    let second = t.elapsed().as_secs_f64();
    let peak = peak_mb();
    let report = trace.report();
    let found: HashSet<HolderToken> = report
        .visits
        .iter()
        .flat_map(|v| v.contacts.iter().map(|c| c.holder))
        .collect();
    assert_eq!(next_case, case_visits.len());
    assert_eq!(report.visits.len(), next_case);
    assert_eq!(found, contacts_truth);
    assert!(!found.is_empty());
    assert_eq!(report.coverage.unopened, 0);
    println!(
        "{written} sealed records in Parquet ({size_mb:.1} MB) written in {write_secs:.1} s \
         ({:.0} records/s on {threads} cores); trace: first pass {first:.1} s ({:.0} records/s), \
         second pass {second:.1} s; peak memory during the trace {peak:.1} MB; {} visits and {} \
         contacts, as generated",
        written as f64 / write_secs,
        written as f64 / first,
        report.visits.len(),
        found.len()
    );
}
