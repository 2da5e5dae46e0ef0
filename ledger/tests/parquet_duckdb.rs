//! The Parquet export read by DuckDB (PyPI `duckdb`): its GROUP BY over our file must give the
//! same daily statistics as ours. scripts/test-all installs DuckDB in `target/py`; elsewhere set
//! VENUECODE_PYTHON to a Python that has it.

#![allow(clippy::unwrap_used)]

#[path = "../../core/tests/support/python.rs"]
mod python;

use serde_json::Value;
use venuecode::Timestamp;
use venuecode::health::Colour;
use venuecode::person::Profile;
use venuecode::policy::Outcome;
use venuecode::pseudonym::Pseudonym;
use venuecode::record::{Day, ScanRecord};
use venuecode_ledger::{Filter, Ledger};

const QUERY: &str = r#"
import duckdb, json, sys
rows = duckdb.connect().execute("""
  SELECT CAST(day AS VARCHAR), door, count(*), count(DISTINCT pseudonym), sum(CASE WHEN report THEN 1 ELSE 0 END),
         count(*) FILTER (WHERE colour = 'green'), count(*) FILTER (WHERE colour = 'yellow'),
         count(*) FILTER (WHERE colour = 'red'), count(*) FILTER (WHERE colour IS NULL),
         count(*) FILTER (WHERE decision = 'admit'), count(*) FILTER (WHERE decision = 'deny'),
         count(*) FILTER (WHERE decision = 'manual')
  FROM read_parquet(?) GROUP BY GROUPING SETS ((day), (day, door)) ORDER BY 1, 2 NULLS FIRST""", [sys.argv[1]]).fetchall()
print(json.dumps(rows))
"#;

#[test]
fn duckdb_reads_our_parquet_and_agrees_with_our_statistics() {
    let dir = tempfile::tempdir().unwrap();
    let mut ledger = Ledger::open(&dir.path().join("ledger.sqlite")).unwrap();
    let start = Timestamp::parse_rfc3339("2022-04-06T00:00:00+08:00").unwrap();
    let mut state = 7u64;
    let mut next = |n: u64| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) % n
    };
    for i in 0u32..3000 {
        let visitor = next(400);
        let verified = visitor >= 20;
        let colour = [
            Some(Colour::Green),
            Some(Colour::Yellow),
            Some(Colour::Red),
            None,
        ][usize::try_from(next(4)).unwrap()];
        let decision =
            [Outcome::Admit, Outcome::Deny, Outcome::Manual][usize::try_from(next(3)).unwrap()];
        let at = start.saturating_add(i64::try_from(next(2 * 86_400)).unwrap());
        ledger
            .append(&ScanRecord {
                id: venuecode::record::RecordId::derive(at, &[&i.to_be_bytes()]),
                origin: venuecode::record::Origin::Gate,
                device: "test".into(),
                venue_id: "SH-PT-0018".into(),
                door: ["东门", "北门", "南门"][usize::try_from(next(3)).unwrap()].into(),
                at,
                pseudonym: verified.then(|| Pseudonym([u8::try_from(visitor % 256).unwrap(); 16])),
                name: verified.then(|| "张*丰".into()),
                id_number: verified.then(|| "110105********00**".into()),
                phone: None,
                profile: verified.then_some(Profile::Offline),
                code_state: if verified {
                    Some(venuecode::CodeState::Valid)
                } else {
                    Some(venuecode::CodeState::Expired)
                },
                colour,
                test_age_hours: (next(2) == 0).then(|| u32::try_from(next(100)).unwrap()),
                decision,
                report: colour == Some(Colour::Red),
                rule: "r".into(),
                staff: None,
                resolves: None,
                companion_of: None,
                trace: None,
            })
            .unwrap();
    }
    let path = dir.path().join("scans.parquet");
    let written = venuecode_ledger::parquet::export(
        &ledger,
        &Filter::default(),
        std::fs::File::create(&path).unwrap(),
    )
    .unwrap();
    assert_eq!(written, 3000);

    let rows: Vec<Vec<Value>> =
        serde_json::from_str(&python::run(QUERY, &[path.as_os_str()])).unwrap();
    let mut checked = 0;
    for row in &rows {
        let day: Day = row[0].as_str().unwrap().parse().unwrap();
        let door = row[1].as_str();
        let filter = Filter {
            door: door.map(str::to_owned),
            ..Filter::default()
        };
        let s = ledger.daily_stats(day, &filter, None).unwrap();
        let sum = s.summary();
        let ours = [
            Some(s.scans()),
            Some(s.distinct_visitors()),
            sum.reports,
            sum.by_colour.green,
            sum.by_colour.yellow,
            sum.by_colour.red,
            sum.by_colour.none,
            sum.by_decision.admit,
            sum.by_decision.deny,
            sum.by_decision.manual,
        ]
        .map(|v| v.unwrap());
        let theirs: Vec<u64> = row[2..].iter().map(|v| v.as_u64().unwrap()).collect();
        assert_eq!(theirs, ours, "{day} {door:?}");
        checked += 1;
    }
    // Two or three days (the CST day boundary), each with its doors.
    assert!(checked >= 2 * 4, "{checked} groups");
}
