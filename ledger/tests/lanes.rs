//! Several gate lanes writing to one ledger at once, each through its own connection, while a
//! statistics reader reads: no record lost or duplicated, each lane's records in its own order,
//! and every statistics snapshot consistent (its door counts add up to its scan count, and
//! counts never go down).

#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use venuecode::Timestamp;
use venuecode::health::Colour;
use venuecode::policy::Outcome;
use venuecode::record::{Day, ScanRecord};
use venuecode_ledger::{Filter, Ledger};

const LANES: usize = 4;
const PER_LANE: usize = 250;
const T0: i64 = 1_649_203_200; // 2022-04-06T08:00:00+08:00

fn record(lane: usize, i: usize) -> ScanRecord {
    let colour = [Colour::Green, Colour::Yellow, Colour::Red][i % 3];
    ScanRecord {
        id: venuecode::record::RecordId::derive(
            Timestamp::from_unix(T0 + i64::try_from(i).unwrap()),
            &[
                format!("{lane}/{i}").as_bytes(),
                Timestamp::from_unix(T0 + i64::try_from(i).unwrap())
                    .unix()
                    .to_be_bytes()
                    .as_slice(),
            ],
        ),
        origin: venuecode::record::Origin::Gate,
        device: "test".into(),
        venue_id: "SH-PT-0018".into(),
        door: format!("lane-{lane}"),
        at: Timestamp::from_unix(T0 + i64::try_from(i).unwrap()),
        pseudonym: None,
        name: None,
        id_number: None,
        phone: None,
        profile: None,
        code_state: Some(venuecode::CodeState::Valid),
        colour: Some(colour),
        test_age_hours: None,
        decision: if colour == Colour::Green {
            Outcome::Admit
        } else {
            Outcome::Deny
        },
        report: colour != Colour::Green,
        rule: format!("{lane}/{i}"),
        staff: None,
        resolves: None,
        companion_of: None,
        trace: None,
    }
}

#[test]
fn lanes_write_while_statistics_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.db");
    drop(Ledger::open(&path).unwrap());
    let day = Day::of(Timestamp::from_unix(T0));
    let done = Arc::new(AtomicBool::new(false));

    let reader = {
        let (path, done) = (path.clone(), done.clone());
        std::thread::spawn(move || {
            let ledger = Ledger::open(&path).unwrap();
            let (mut snapshots, mut last) = (0, 0);
            loop {
                let finished = done.load(Ordering::SeqCst);
                let s = ledger
                    .daily_stats(day, &Filter::default(), None)
                    .unwrap()
                    .summary();
                let scans = s.scans.unwrap();
                let by_door: u64 = s.by_door.iter().map(|d| d.scans.unwrap()).sum();
                assert_eq!(by_door, scans, "a snapshot's doors add up to its scans");
                let by_decision = s.by_decision.admit.unwrap()
                    + s.by_decision.deny.unwrap()
                    + s.by_decision.manual.unwrap();
                assert_eq!(by_decision, scans);
                assert!(scans >= last, "counts never go down");
                last = scans;
                snapshots += 1;
                if finished {
                    return (snapshots, last);
                }
            }
        })
    };
    let writers: Vec<_> = (0..LANES)
        .map(|lane| {
            let path = path.clone();
            std::thread::spawn(move || {
                let mut ledger = Ledger::open(&path).unwrap();
                (0..PER_LANE)
                    .map(|i| ledger.append(&record(lane, i)).unwrap())
                    .collect::<Vec<bool>>()
            })
        })
        .collect();
    let added: Vec<Vec<bool>> = writers.into_iter().map(|w| w.join().unwrap()).collect();
    done.store(true, Ordering::SeqCst);
    let (snapshots, last) = reader.join().unwrap();
    assert!(snapshots >= 1);
    assert_eq!(last, u64::try_from(LANES * PER_LANE).unwrap());

    // Every append acknowledged a new record.
    assert!(added.iter().flatten().all(|&new| new));
    assert_eq!(added.iter().flatten().count(), LANES * PER_LANE);

    // Every record once, each lane's in the order written.
    let ledger = Ledger::open(&path).unwrap();
    let mut seen = HashSet::new();
    let mut next = [0usize; LANES];
    ledger
        .for_each(&Filter::default(), |r| {
            assert!(seen.insert(r.rule.clone()), "duplicate {}", r.rule);
            let (lane, i) = r.rule.split_once('/').unwrap();
            let (lane, i): (usize, usize) = (lane.parse().unwrap(), i.parse().unwrap());
            assert_eq!(i, next[lane], "lane {lane} out of order");
            assert_eq!(r, record(lane, i));
            next[lane] += 1;
        })
        .unwrap();
    assert_eq!(next, [PER_LANE; LANES]);

    // The whole day's statistics equal the merge of each lane's.
    let whole = ledger.daily_stats(day, &Filter::default(), None).unwrap();
    let mut merged = None::<venuecode::record::DailyStats>;
    for lane in 0..LANES {
        let filter = Filter {
            door: Some(format!("lane-{lane}")),
            ..Filter::default()
        };
        let s = ledger.daily_stats(day, &filter, None).unwrap();
        assert_eq!(s.scans(), u64::try_from(PER_LANE).unwrap());
        match &mut merged {
            None => merged = Some(s),
            Some(m) => m.merge(&s).unwrap(),
        }
    }
    assert_eq!(merged.unwrap().summary(), whole.summary());
    let reports = LANES * (0..PER_LANE).filter(|i| i % 3 != 0).count();
    assert_eq!(
        whole.summary().reports,
        Some(u64::try_from(reports).unwrap())
    );
    assert_eq!(ledger.integrity_check().unwrap(), "ok");
}
