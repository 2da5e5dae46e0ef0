//! Streaming at city scale: a ledger of 5,000,000 records (30 days, three doors, 200,000
//! visitors), then the daily statistics of every day and the Parquet and JSON Lines exports,
//! each timed, with the process's peak resident memory during it (goal: flat, under 64 MB).
//! Prints records per second. `VENUECODE_STREAM_RECORDS` changes the count; `--test`, or a run without `--bench` (`cargo test --benches`), runs 20,000.

#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::{peak_mb, reset_peak};
use std::time::Instant;
use venuecode::Timestamp;
use venuecode::health::Colour;
use venuecode::person::Profile;
use venuecode::policy::Outcome;
use venuecode::pseudonym::Pseudonym;
use venuecode::record::{Day, ScanRecord};
use venuecode_ledger::{Filter, Ledger};

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` passes nothing: a quick run then.
    let test = std::env::args().any(|a| a == "--test") || !std::env::args().any(|a| a == "--bench");
    let n: u64 = if test {
        20_000
    } else {
        std::env::var("VENUECODE_STREAM_RECORDS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(5_000_000)
    };
    let dir = tempfile::tempdir().unwrap();
    let mut ledger = Ledger::open(&dir.path().join("city.sqlite")).unwrap();
    let start = Timestamp::parse_rfc3339("2022-04-01T00:00:00+08:00").unwrap();
    let days = 30u64;
    let mut state = 1u64;
    let t = Instant::now();
    let mut batch = Vec::with_capacity(100_000);
    for i in 0..n {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        let visitor = (state >> 40) % 200_000;
        let mut p = [0u8; 16];
        p[..8].copy_from_slice(&visitor.to_be_bytes());
        let at = start.saturating_add(i64::try_from(i * days * 86_400 / n).unwrap());
        batch.push(ScanRecord {
            id: venuecode::record::RecordId::derive(at, &[&i.to_be_bytes()]),
            origin: venuecode::record::Origin::Gate,
            device: "test".into(),
            venue_id: "SH-PT-0018".into(),
            door: ["东门", "北门", "南门"][(state >> 20) as usize % 3].into(),
            // Records in time order, as a ledger fills.
            at,
            pseudonym: Some(Pseudonym(p)),
            name: Some("张*丰".into()),
            id_number: Some("110105********00**".into()),
            phone: None,
            profile: Some(Profile::Dynamic),
            code_state: Some(venuecode::CodeState::Valid),
            colour: Some([Colour::Green, Colour::Yellow, Colour::Red][(state >> 10) as usize % 3]),
            test_age_hours: Some(12),
            decision: Outcome::Admit,
            report: false,
            rule: "green".into(),
            staff: None,
            resolves: None,
            companion_of: None,
            trace: None,
        });
        if batch.len() == 100_000 {
            ledger.append_all(&batch).unwrap();
            batch.clear();
        }
    }
    ledger.append_all(&batch).unwrap();
    drop(batch);
    let rate = |secs: f64| n as f64 / secs;
    println!(
        "{n} records written in {:.1} s ({:.0} records/s, in batches of 100,000)",
        t.elapsed().as_secs_f64(),
        rate(t.elapsed().as_secs_f64())
    );

    reset_peak();
    let t = Instant::now();
    let mut scans = 0;
    for d in 0..days {
        let day = Day(Day::of(start).0 + i64::try_from(d).unwrap());
        scans += ledger
            .daily_stats(day, &Filter::default(), None)
            .unwrap()
            .scans();
    }
    assert_eq!(scans, n);
    let secs = t.elapsed().as_secs_f64();
    println!(
        "daily statistics of {days} days: {secs:.1} s ({:.0} records/s), peak RSS {:.1} MB",
        rate(secs),
        peak_mb()
    );

    reset_peak();
    let t = Instant::now();
    let file = std::fs::File::create(dir.path().join("city.parquet")).unwrap();
    assert_eq!(
        venuecode_ledger::parquet::export(
            &ledger,
            &Filter::default(),
            std::io::BufWriter::new(file)
        )
        .unwrap(),
        n
    );
    let secs = t.elapsed().as_secs_f64();
    let size = std::fs::metadata(dir.path().join("city.parquet"))
        .unwrap()
        .len();
    println!(
        "Parquet export: {secs:.1} s ({:.0} records/s, {:.1} MB file), peak RSS {:.1} MB",
        rate(secs),
        size as f64 / 1e6,
        peak_mb()
    );

    reset_peak();
    let t = Instant::now();
    let out = std::fs::File::create(dir.path().join("city.jsonl")).unwrap();
    venuecode_ledger::export::jsonl(&ledger, &Filter::default(), out).unwrap();
    let secs = t.elapsed().as_secs_f64();
    println!(
        "JSON Lines export: {secs:.1} s ({:.0} records/s), peak RSS {:.1} MB",
        rate(secs),
        peak_mb()
    );
}
