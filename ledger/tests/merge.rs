//! A venue's ledgers (gates, desks, the check-in service) merge into one: each record once,
//! however often merged; refused when a venue's pseudonyms were made with different keys; and a
//! version-1 ledger opens as version 2 with its pseudonyms unchanged.

#![allow(clippy::unwrap_used)]

use venuecode::Timestamp;
use venuecode::policy::Outcome;
use venuecode::pseudonym::{Pseudonym, PseudonymKey};
use venuecode::record::{Day, Origin, RecordId, ScanRecord};
use venuecode::token::HolderToken;
use venuecode::trace::TraceKey;
use venuecode_ledger::{Filter, Ledger, LedgerError, Merged};

const T0: i64 = 1_649_203_200; // 2022-04-06T08:00:00+08:00

fn record(ledger: &Ledger, device: &str, visitor: u8, at: i64) -> ScanRecord {
    let key = ledger.pseudonym_key("SH-PT-0018").unwrap();
    ScanRecord {
        id: RecordId::derive(Timestamp::from_unix(at), &[device.as_bytes(), &[visitor]]),
        origin: Origin::Gate,
        device: device.into(),
        venue_id: "SH-PT-0018".into(),
        door: format!("door-{device}"),
        at: Timestamp::from_unix(at),
        pseudonym: Some(key.pseudonym(&HolderToken([visitor; 16]))),
        name: Some("张*丰".into()),
        id_number: Some("110105********00**".into()),
        phone: None,
        profile: None,
        code_state: Some(venuecode::CodeState::Valid),
        colour: None,
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

#[test]
fn three_devices_merge_into_one_ledger_once() {
    let dir = tempfile::tempdir().unwrap();
    let venue_key = PseudonymKey::from_bytes([5; 32]);
    let mut devices = Vec::new();
    for device in ["gate-1", "gate-2", "desk"] {
        let mut ledger = Ledger::open(&dir.path().join(format!("{device}.sqlite"))).unwrap();
        ledger
            .provision_venue_key("SH-PT-0018", &venue_key)
            .unwrap();
        // Visitors 1 and 2 at every device; visitor 3 only at gate-2.
        for visitor in [1, 2] {
            ledger
                .append(&record(&ledger, device, visitor, T0 + i64::from(visitor)))
                .unwrap();
        }
        if device == "gate-2" {
            ledger.append(&record(&ledger, device, 3, T0 + 60)).unwrap();
        }
        // A retried upload adds nothing.
        assert!(!ledger.append(&record(&ledger, device, 1, T0 + 1)).unwrap());
        devices.push(ledger);
    }
    let mut all = Ledger::open(&dir.path().join("venue.sqlite")).unwrap();
    let mut total = Merged::default();
    for d in &devices {
        let m = all.merge_from(d).unwrap();
        total.added += m.added;
    }
    assert_eq!(total.added, 7);
    // Merging again adds nothing.
    for d in &devices {
        assert_eq!(
            all.merge_from(d).unwrap(),
            Merged {
                added: 0,
                already: d.for_each(&Filter::default(), |_| {}).unwrap()
            }
        );
    }
    let day = Day::of(Timestamp::from_unix(T0));
    let stats = all.daily_stats(day, &Filter::default(), None).unwrap();
    // Seven scans at three doors, three visitors: each counted once across the devices.
    assert_eq!((stats.scans(), stats.distinct_visitors()), (7, 3));
    // The statistics of the merge are those of all records together.
    let mut sum = venuecode::record::DailyStats::new(day, 600);
    for d in &devices {
        sum.merge(&d.daily_stats(day, &Filter::default(), None).unwrap())
            .unwrap();
    }
    assert_eq!(sum.summary(), stats.summary());
}

#[test]
fn ledgers_with_different_venue_keys_do_not_merge() {
    let dir = tempfile::tempdir().unwrap();
    // Two gates that were never provisioned: each made its own key.
    let mut a = Ledger::open(&dir.path().join("a.sqlite")).unwrap();
    let mut b = Ledger::open(&dir.path().join("b.sqlite")).unwrap();
    a.append(&record(&a, "gate-1", 1, T0)).unwrap();
    b.append(&record(&b, "gate-2", 1, T0)).unwrap();
    let e = a.merge_from(&b).unwrap_err();
    assert!(matches!(e, LedgerError::KeyMismatch(_)), "{e}");
    assert_eq!(e.code(), "key_mismatch");
    // Nor can a ledger holding records take another key afterwards.
    let e = a
        .provision_venue_key("SH-PT-0018", &PseudonymKey::from_bytes([5; 32]))
        .unwrap_err();
    assert_eq!(e.code(), "key_mismatch");
    // A new ledger takes the source's key and merges.
    let mut c = Ledger::open(&dir.path().join("c.sqlite")).unwrap();
    assert_eq!(c.merge_from(&b).unwrap().added, 1);
    assert_eq!(
        c.pseudonym_key("SH-PT-0018").unwrap().fingerprint(),
        b.pseudonym_key("SH-PT-0018").unwrap().fingerprint()
    );
}

#[test]
fn a_version_1_ledger_is_migrated_with_its_pseudonyms() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.sqlite");
    let v1_key = [7u8; 32];
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(&format!(
            "CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
             INSERT INTO meta VALUES ('schema', '1'), ('pseudonym_key', '{}');
             CREATE TABLE scans (id INTEGER PRIMARY KEY, venue_id TEXT NOT NULL, door TEXT NOT NULL,
               at INTEGER NOT NULL, day INTEGER NOT NULL, pseudonym BLOB, name TEXT, id_number TEXT,
               profile TEXT, code_state TEXT NOT NULL, colour TEXT, test_age_hours INTEGER,
               decision TEXT NOT NULL, report INTEGER NOT NULL, rule TEXT NOT NULL);
             CREATE INDEX scans_by_day ON scans (day, venue_id, door);",
            hex::encode(v1_key)
        ))
        .unwrap();
        let p = PseudonymKey::from_bytes(v1_key).pseudonym(&HolderToken([1; 16]));
        for i in 0..2i64 {
            conn.execute(
                "INSERT INTO scans (venue_id, door, at, day, pseudonym, name, id_number, profile,
                 code_state, colour, test_age_hours, decision, report, rule)
                 VALUES ('SH-PT-0018', '东门', ?1, ?2, ?3, '张*丰', '110105********00**', 'dynamic',
                 'valid', 'green', NULL, 'admit', 0, 'green')",
                rusqlite::params![T0 + i, Day::of(Timestamp::from_unix(T0)).0, p.0.to_vec()],
            )
            .unwrap();
        }
    }
    let ledger = Ledger::open(&path).unwrap();
    let mut records = Vec::new();
    ledger
        .for_each(&Filter::default(), |r| records.push(r))
        .unwrap();
    assert_eq!(records.len(), 2);
    assert_ne!(records[0].id, records[1].id);
    assert_eq!(
        (records[0].origin, records[0].device.as_str()),
        (Origin::Gate, "v1")
    );
    // The venue keeps v1's key, so the same visitor keeps the same pseudonym.
    let key = ledger.pseudonym_key("SH-PT-0018").unwrap();
    assert_eq!(
        records[0].pseudonym,
        Some(key.pseudonym(&HolderToken([1; 16])))
    );
    assert_eq!(
        records[0].pseudonym,
        Some(Pseudonym(
            PseudonymKey::from_bytes(v1_key)
                .pseudonym(&HolderToken([1; 16]))
                .0
        ))
    );
    assert_eq!(ledger.integrity_check().unwrap(), "ok");
    drop(ledger);
    // Opening again changes nothing.
    let again = Ledger::open(&path).unwrap();
    assert_eq!(again.for_each(&Filter::default(), |_| {}).unwrap(), 2);
}

#[test]
fn a_merge_streams_in_batches_and_counts_each_record() {
    let dir = tempfile::tempdir().unwrap();
    let mut source = Ledger::open(&dir.path().join("s.sqlite")).unwrap();
    let records: Vec<ScanRecord> = (0..25_001)
        .map(|i| {
            let mut r = record(&source, "gate-1", 1, T0 + i % 80_000);
            r.id = RecordId::derive(Timestamp::from_unix(T0), &[&i.to_be_bytes()]);
            r
        })
        .collect();
    assert_eq!(source.append_all(&records).unwrap(), 25_001);
    // Two batches and a part: every record added once, then none.
    let mut target = Ledger::open(&dir.path().join("t.sqlite")).unwrap();
    assert_eq!(
        target.merge_from(&source).unwrap(),
        Merged {
            added: 25_001,
            already: 0
        }
    );
    assert_eq!(
        target.merge_from(&source).unwrap(),
        Merged {
            added: 0,
            already: 25_001
        }
    );
    source
        .append(&record(&source, "gate-1", 2, T0 + 7))
        .unwrap();
    assert_eq!(
        target.merge_from(&source).unwrap(),
        Merged {
            added: 1,
            already: 25_001
        }
    );
}

#[test]
fn a_version_2_ledger_gains_trace_references_and_merges_keep_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v2.sqlite");
    let authority = TraceKey::derive(&[4; 32]);
    let sealed = |r: &mut ScanRecord| {
        r.trace = Some(
            authority
                .public()
                .seal(&HolderToken([1; 16]), &r.id.0, &[9; 32]),
        );
    };
    {
        let mut ledger = Ledger::open(&path).unwrap();
        ledger.append(&record(&ledger, "gate-1", 1, T0)).unwrap();
    }
    // What a version-2 ledger was: no trace_ref column.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "ALTER TABLE scans DROP COLUMN trace_ref;
         UPDATE meta SET value = '2' WHERE name = 'schema';",
    )
    .unwrap();
    drop(conn);
    let mut ledger = Ledger::open(&path).unwrap();
    let mut newer = record(&ledger, "gate-1", 1, T0 + 60);
    sealed(&mut newer);
    assert!(ledger.append(&newer).unwrap());
    let mut records = Vec::new();
    ledger
        .for_each(&Filter::default(), |r| records.push(r))
        .unwrap();
    assert_eq!(
        records
            .iter()
            .map(|r| r.trace.is_some())
            .collect::<Vec<_>>(),
        [false, true]
    );
    // Merged elsewhere, the reference still opens for its record.
    let mut target = Ledger::open(&dir.path().join("t.sqlite")).unwrap();
    target.merge_from(&ledger).unwrap();
    let mut merged = Vec::new();
    target
        .for_each(&Filter::default(), |r| merged.push(r))
        .unwrap();
    let r = &merged[1];
    assert_eq!(
        authority.open(&r.trace.unwrap(), &r.id.0).unwrap(),
        HolderToken([1; 16])
    );
    assert_eq!(ledger.integrity_check().unwrap(), "ok");
}

#[test]
fn a_ledger_from_before_companions_gains_their_link_when_opened() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l.sqlite");
    let mut ledger = Ledger::open(&path).unwrap();
    let earlier = record(&ledger, "gate-1", 1, T0);
    ledger.append(&earlier).unwrap();
    drop(ledger);
    // A version-3 ledger as the programs before 2026-12-08 made it.
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch("ALTER TABLE scans DROP COLUMN companion_of")
        .unwrap();
    let mut ledger = Ledger::open(&path).unwrap();
    let companion = ScanRecord {
        origin: Origin::Companion,
        companion_of: Some(earlier.id),
        ..record(&ledger, "gate-1", 2, T0 + 1)
    };
    assert!(ledger.append(&companion).unwrap());
    assert_eq!(ledger.get(earlier.id).unwrap(), Some(earlier));
    assert_eq!(ledger.get(companion.id).unwrap(), Some(companion));
}
