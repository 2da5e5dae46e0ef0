//! The store contract: what every records store of the service promises, decided once and held
//! against each store. The SQLite ledger always; PostgreSQL too when `VENUECODE_TEST_POSTGRES`
//! names a test server (`scripts/postgres`; scripts/test-all runs this suite both ways).
//!
//! The rules: an append is answered once durable and says of each record whether it was new (a
//! retry stores nothing twice, nor a record twice in one request); records come back in the
//! order stored, by filter and by page (a cursor that is not there is `None`); a trace's
//! presences cover the days asked, each once; a venue's pseudonym key is stored or derived, and
//! a provisioned one replaces it only while the venue has no record with a pseudonym; a dynamic
//! code's first sighting is claimed with its record, once for every node, until it expires.

#![allow(clippy::unwrap_used, missing_docs)]

#[path = "support/postgres.rs"]
mod postgres;

use venuecode::Timestamp;
use venuecode::door::{Replay, Sighting};
use venuecode::policy::Outcome;
use venuecode::pseudonym::PseudonymKey;
use venuecode::record::{Day, Origin, RecordId, ScanRecord};
use venuecode::token::HolderToken;
use venuecode_ledger::sightings::{Entry, Stored};
use venuecode_ledger::store::Store;
use venuecode_ledger::{Filter, LedgerError};

const T0: i64 = 1_649_203_200; // 2022-04-06T08:00:00+08:00
const DAY: i64 = 86_400;

/// A store under test, with what keeps it alive.
struct Subject {
    name: &'static str,
    store: Store,
    /// The PostgreSQL database's connection string (none for SQLite).
    url: Option<String>,
    _dir: tempfile::TempDir,
}

impl Subject {
    /// Runs `sql` on the store's database behind its back, as an operator with the database's
    /// rights (but not the tracing key) could.
    async fn behind(&self, sql: &str) {
        match &self.url {
            Some(url) => postgres::reader(url)
                .await
                .batch_execute(sql)
                .await
                .unwrap(),
            None => rusqlite::Connection::open(self._dir.path().join("ledger.sqlite"))
                .unwrap()
                .execute_batch(sql)
                .unwrap(),
        }
    }
}

/// Every store this run can test, each new and empty.
async fn subjects() -> Vec<Subject> {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Store::open(&dir.path().join("ledger.sqlite"), None)
        .await
        .unwrap();
    let mut all = vec![Subject {
        name: "sqlite",
        store: sqlite,
        url: None,
        _dir: dir,
    }];
    if let Some(url) = postgres::database("vc_store").await {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("unused.sqlite"), Some(&url))
            .await
            .unwrap();
        all.push(Subject {
            name: "postgres",
            store,
            url: Some(url),
            _dir: dir,
        });
    }
    all
}

/// A gate's record at `venue`/`door` at `at`, of `visitor`, with a pseudonym or without one.
fn record(venue: &str, door: &str, visitor: u8, at: i64, key: Option<&PseudonymKey>) -> ScanRecord {
    let at = Timestamp::from_unix(at);
    ScanRecord {
        id: RecordId::derive(at, &[venue.as_bytes(), door.as_bytes(), &[visitor]]),
        origin: Origin::Gate,
        device: "gate-1".into(),
        venue_id: venue.into(),
        door: door.into(),
        at,
        pseudonym: key.map(|k| k.pseudonym(&HolderToken([visitor; 16]))),
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

#[tokio::test]
async fn an_append_says_which_records_were_new_and_stores_each_once() {
    for s in subjects().await {
        let (a, b, c) = (
            record("V1", "东门", 1, T0, None),
            record("V1", "东门", 2, T0 + 60, None),
            record("V1", "西门", 3, T0 + 120, None),
        );
        let store = &s.store;
        assert_eq!(store.append(Vec::new()).await.unwrap(), Vec::<bool>::new());
        assert_eq!(
            store.append(vec![a.clone(), b.clone()]).await.unwrap(),
            [true, true],
            "{}",
            s.name
        );
        // A retry, and a request carrying one record twice.
        assert_eq!(
            store.append(vec![b.clone(), c.clone()]).await.unwrap(),
            [false, true],
            "{}",
            s.name
        );
        assert_eq!(
            store.append(vec![a.clone(), a.clone()]).await.unwrap(),
            [false, false],
            "{}",
            s.name
        );
        let d = record("V1", "东门", 4, T0 + 180, None);
        assert_eq!(
            store.append(vec![d.clone(), d.clone()]).await.unwrap(),
            [true, false],
            "{}",
            s.name
        );
        let all = store.records(Filter::default()).await.unwrap();
        assert_eq!(all, vec![a, b, c, d], "{}", s.name);
    }
}

#[tokio::test]
async fn records_come_back_in_stored_order_by_filter_and_by_page() {
    for s in subjects().await {
        let store = &s.store;
        let stored: Vec<ScanRecord> = (0..7u8)
            .map(|i| {
                let venue = if i % 3 == 0 { "V2" } else { "V1" };
                let door = if i % 2 == 0 { "东门" } else { "西门" };
                // Out of time order on purpose: the stored order is what counts.
                record(
                    venue,
                    door,
                    i,
                    T0 + DAY * i64::from(i % 2) - i64::from(i),
                    None,
                )
            })
            .collect();
        for r in &stored {
            store.append(vec![r.clone()]).await.unwrap();
        }
        let day0 = Day::of(Timestamp::from_unix(T0));
        let filter = Filter {
            day: Some(day0),
            venue_id: Some("V1".into()),
            ..Filter::default()
        };
        let want: Vec<ScanRecord> = stored
            .iter()
            .filter(|r| r.venue_id == "V1" && Day::of(r.at) == day0)
            .cloned()
            .collect();
        assert!(!want.is_empty());
        assert_eq!(store.records(filter).await.unwrap(), want, "{}", s.name);
        let east = Filter {
            door: Some("东门".into()),
            ..Filter::default()
        };
        let want: Vec<ScanRecord> = stored
            .iter()
            .filter(|r| r.door == "东门")
            .cloned()
            .collect();
        assert_eq!(store.records(east).await.unwrap(), want, "{}", s.name);
        // Pages of three, each after the last one's id, give everything once in order.
        let mut paged = Vec::new();
        let mut after = None;
        loop {
            let page = store
                .page(Filter::default(), after, 3)
                .await
                .unwrap()
                .unwrap();
            if page.is_empty() {
                break;
            }
            assert!(page.len() <= 3);
            after = page.last().map(|r| r.id);
            paged.extend(page);
        }
        assert_eq!(paged, stored, "{}", s.name);
        let unknown = RecordId::derive(Timestamp::from_unix(T0), &[b"nowhere"]);
        assert_eq!(
            store
                .page(Filter::default(), Some(unknown), 3)
                .await
                .unwrap(),
            None,
            "{}",
            s.name
        );
        // A cursor is a record of the venue read: another venue's record id is not here.
        let other = stored
            .iter()
            .find(|r| r.venue_id != stored[0].venue_id)
            .unwrap();
        let mine = Filter {
            venue_id: Some(stored[0].venue_id.clone()),
            ..Filter::default()
        };
        assert_eq!(
            store.page(mine.clone(), Some(other.id), 3).await.unwrap(),
            None,
            "{}",
            s.name
        );
        assert!(
            store
                .page(mine, Some(stored[0].id), 3)
                .await
                .unwrap()
                .is_some()
        );
        // A record by id: the visitor's check-in a companion's names.
        assert_eq!(
            store.record(stored[0].id).await.unwrap().as_ref(),
            Some(&stored[0]),
            "{}",
            s.name
        );
        assert_eq!(store.record(unknown).await.unwrap(), None, "{}", s.name);
    }
}

#[tokio::test]
async fn a_trace_reads_every_presence_of_the_days_asked_once_and_no_other_day() {
    // (Before, the SQLite store read the whole ledger for any period, and PostgreSQL read the
    // table in record order with the day as a filter: a trace of one day read them all.)
    for s in subjects().await {
        let store = &s.store;
        let stored: Vec<ScanRecord> = (0..9u8)
            .map(|i| record("V1", "东门", i, T0 + DAY * i64::from(i % 3), None))
            .collect();
        store.append(stored.clone()).await.unwrap();
        let day = |n: i64| Day::of(Timestamp::from_unix(T0 + DAY * n));
        for (from, to, days) in [
            (Some(day(1)), Some(day(1)), vec![day(1)]),
            (None, Some(day(1)), vec![day(0), day(1)]),
            (Some(day(1)), None, vec![day(1), day(2)]),
            (None, None, vec![day(0), day(1), day(2)]),
            (Some(day(5)), None, vec![]),
        ] {
            let mut batches = store.presences(from, to);
            let mut seen = Vec::new();
            while let Some(batch) = batches.recv().await {
                seen.extend(batch.unwrap().into_iter().map(|p| p.id));
            }
            seen.sort_by_key(|id| id.0);
            let mut want: Vec<RecordId> = stored
                .iter()
                .filter(|r| days.contains(&Day::of(r.at)))
                .map(|r| r.id)
                .collect();
            want.sort_by_key(|id| id.0);
            assert_eq!(seen, want, "{}: {from:?} to {to:?}", s.name);
        }
    }
}

#[tokio::test]
async fn a_venue_key_is_replaced_only_while_the_venue_has_no_pseudonymous_record() {
    for s in subjects().await {
        let store = &s.store;
        // Without provisioning: one key, derived from the store's root, the same each time.
        let derived = store.pseudonym_key("V1", None).await.unwrap();
        let again = store.pseudonym_key("V1", None).await.unwrap();
        assert_eq!(derived.fingerprint(), again.fingerprint(), "{}", s.name);
        let other = store.pseudonym_key("V2", None).await.unwrap();
        assert_ne!(derived.fingerprint(), other.fingerprint(), "{}", s.name);

        // Provisioned before any record: stored; a second provisioning replaces it.
        let k1 = || PseudonymKey::from_bytes([1; 32]);
        let k2 = || PseudonymKey::from_bytes([2; 32]);
        let got = store.pseudonym_key("V1", Some(k1())).await.unwrap();
        assert_eq!(got.fingerprint(), k1().fingerprint(), "{}", s.name);
        let got = store.pseudonym_key("V1", Some(k2())).await.unwrap();
        assert_eq!(got.fingerprint(), k2().fingerprint(), "{}", s.name);
        let kept = store.pseudonym_key("V1", None).await.unwrap();
        assert_eq!(kept.fingerprint(), k2().fingerprint(), "{}", s.name);

        // A record without a pseudonym (a rejected code) does not bind the key...
        store
            .append(vec![record("V1", "东门", 1, T0, None)])
            .await
            .unwrap();
        let got = store.pseudonym_key("V1", Some(k1())).await.unwrap();
        assert_eq!(got.fingerprint(), k1().fingerprint(), "{}", s.name);
        // ...one with a pseudonym does: the same key is fine, another is refused.
        store
            .append(vec![record("V1", "东门", 2, T0, Some(&k1()))])
            .await
            .unwrap();
        store.pseudonym_key("V1", Some(k1())).await.unwrap();
        let e = store.pseudonym_key("V1", Some(k2())).await.unwrap_err();
        assert!(
            matches!(e, LedgerError::KeyMismatch(ref v) if v == "V1"),
            "{}: {e}",
            s.name
        );
        let kept = store.pseudonym_key("V1", None).await.unwrap();
        assert_eq!(kept.fingerprint(), k1().fingerprint(), "{}", s.name);

        // Records made with the derived key bind it too, though it was never stored.
        store
            .append(vec![record("V2", "东门", 3, T0, Some(&other))])
            .await
            .unwrap();
        let e = store.pseudonym_key("V2", Some(k1())).await.unwrap_err();
        assert!(matches!(e, LedgerError::KeyMismatch(_)), "{}: {e}", s.name);
        let kept = store.pseudonym_key("V2", None).await.unwrap();
        assert_eq!(kept.fingerprint(), other.fingerprint(), "{}", s.name);
    }
}

#[tokio::test]
async fn the_city_store_speaks_tls_as_sslmode_asks_and_always_verifies_the_certificate() {
    let (Some(url), Ok(tls)) = (
        postgres::database("tls").await,
        std::env::var("VENUECODE_TEST_POSTGRES_TLS"),
    ) else {
        eprintln!("no test server with TLS (scripts/postgres): nothing to test here");
        return;
    };
    let name = postgres::name_of(&url).to_owned();
    let plain = url.replace(&tls, "");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("unused.sqlite");
    // How many of the database's connections are encrypted, and how many there are.
    let count = async |ssl: bool| {
        postgres::admin_value(&format!(
            "SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
             WHERE a.datname = '{name}' AND s.ssl = {ssl}"
        ))
        .await
    };
    // Verified against the test CA (`sslrootcert`), `verify-full`: encrypted.
    let store = Store::open(&path, Some(&url)).await.unwrap();
    store.answers().await.unwrap();
    assert_ne!(count(true).await, "0");
    assert_eq!(count(false).await, "0");
    drop(store);
    // `require` without the CA: Mozilla's roots do not know the test CA, and an unverified
    // certificate is never used (libpq's `require` would have).
    let e = Store::open(&path, Some(&format!("{plain} sslmode=require")))
        .await
        .err()
        .unwrap();
    assert!(e.to_string().contains("certificate"), "{e}");
    // `disable`: in clear, as asked.
    let store = Store::open(&path, Some(&format!("{plain} sslmode=disable")))
        .await
        .unwrap();
    store.answers().await.unwrap();
    assert_ne!(count(false).await, "0");
}

/// Two stores on one new PostgreSQL database (two nodes), or none without a test server.
async fn two_nodes(name: &str) -> Option<(tempfile::TempDir, [Store; 2])> {
    let Some(url) = postgres::database(name).await else {
        eprintln!("no test server (scripts/postgres): nothing to test here");
        return None;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("unused.sqlite");
    let nodes = [
        Store::open(&path, Some(&url)).await.unwrap(),
        Store::open(&path, Some(&url)).await.unwrap(),
    ];
    Some((dir, nodes))
}

#[tokio::test]
async fn a_reader_paging_while_two_nodes_write_gets_every_record_once() {
    // Two stores on one database are two nodes. Before, a record number was taken before its
    // commit, so a later number could commit first and a reader's cursor pass the earlier one
    // before it was visible (red team, 2026-12: 906 of 20,001 records never reached a reader
    // paging with `after`).
    let Some((_dir, nodes)) = two_nodes("vc_feed").await else {
        return;
    };
    const EACH: i64 = 400;
    let doors = ["东门", "北门", "南门", "西门"];
    let mut writers = Vec::new();
    for (n, node) in nodes.iter().enumerate() {
        // Four writers a node: each node's group commit takes several at once.
        for door in doors {
            let node = node.clone();
            writers.push(tokio::spawn(async move {
                for i in 0..EACH {
                    let visitor = u8::try_from(n).unwrap();
                    let r = record("SH-PT-0018", door, visitor, T0 + i, None);
                    node.append(vec![r]).await.unwrap();
                }
            }));
        }
    }
    let reader = nodes[1].clone();
    let mut seen = Vec::new();
    let mut after = None;
    let mut done = false;
    loop {
        let page = reader
            .page(Filter::default(), after, 50)
            .await
            .unwrap()
            .unwrap();
        if let Some(last) = page.last() {
            after = Some(last.id);
        }
        let empty = page.is_empty();
        seen.extend(page.into_iter().map(|r| r.id));
        if empty && done {
            break;
        }
        done = writers.iter().all(tokio::task::JoinHandle::is_finished);
    }
    for w in writers {
        w.await.unwrap();
    }
    let total = usize::try_from(EACH).unwrap() * doors.len() * nodes.len();
    let unique: std::collections::BTreeSet<RecordId> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len(), "a record given twice");
    assert_eq!(seen.len(), total, "records skipped by the cursor");
}

/// A claim of the dynamic code `code` seen at `place` at `at`, valid a minute.
fn sighting(code: u8, place: u8, at: i64) -> Sighting {
    Sighting {
        code: [code; 16],
        place: [place; 8],
        first_at: Timestamp::from_unix(at),
        until: Timestamp::from_unix(at + 60),
    }
}

fn claimed(record: &ScanRecord, claim: Sighting) -> Entry {
    Entry {
        record: record.clone(),
        claim: Some(claim),
        report: None,
    }
}

#[tokio::test]
async fn a_dynamic_code_is_claimed_with_its_record_once_until_it_expires() {
    for s in subjects().await {
        let store = &s.store;
        let (east, west) = (
            record("V1", "东门", 1, T0, None),
            record("V1", "西门", 2, T0 + 5, None),
        );
        assert_eq!(
            store
                .store(vec![claimed(&east, sighting(7, 1, T0))])
                .await
                .unwrap(),
            [Stored::New],
            "{}",
            s.name
        );
        // The same code at another place within its minute: nothing stored.
        assert_eq!(
            store
                .store(vec![claimed(&west, sighting(7, 2, T0 + 5))])
                .await
                .unwrap(),
            [Stored::Replayed(Replay::ElsewhereFirst)],
            "{}",
            s.name
        );
        // The service stores the replay it then decides; its retry finds it stored as one.
        let mut replay = west.clone();
        replay.code_state = Some(venuecode::CodeState::Replayed);
        replay.decision = Outcome::Deny;
        assert_eq!(store.append(vec![replay.clone()]).await.unwrap(), [true]);
        assert_eq!(
            store
                .store(vec![claimed(&replay, sighting(7, 2, T0 + 6))])
                .await
                .unwrap(),
            [Stored::Replayed(Replay::ElsewhereFirst)],
            "{}",
            s.name
        );
        assert_eq!(
            store.store(vec![replay.clone().into()]).await.unwrap(),
            [Stored::Already { replayed: true }],
            "{}",
            s.name
        );
        // The first place again: within the grace a retry (its record stored), past it a
        // replay; once the code has expired, a new sighting.
        assert_eq!(
            store
                .store(vec![claimed(&east, sighting(7, 1, T0 + 3))])
                .await
                .unwrap(),
            [Stored::Already { replayed: false }],
            "{}",
            s.name
        );
        assert_eq!(
            store
                .store(vec![claimed(&east, sighting(7, 1, T0 + 30))])
                .await
                .unwrap(),
            [Stored::Replayed(Replay::HereBefore)],
            "{}",
            s.name
        );
        let later = record("V1", "西门", 3, T0 + 61, None);
        assert_eq!(
            store
                .store(vec![claimed(&later, sighting(7, 2, T0 + 61))])
                .await
                .unwrap(),
            [Stored::New],
            "{}",
            s.name
        );
        // Within one group: the first claim wins, the second is a replay.
        let (a, b) = (
            record("V1", "东门", 4, T0 + 62, None),
            record("V1", "西门", 5, T0 + 62, None),
        );
        assert_eq!(
            store
                .store(vec![
                    claimed(&a, sighting(8, 1, T0 + 62)),
                    claimed(&b, sighting(8, 2, T0 + 62))
                ])
                .await
                .unwrap(),
            [Stored::New, Stored::Replayed(Replay::ElsewhereFirst)],
            "{}",
            s.name
        );
        let all = store.records(Filter::default()).await.unwrap();
        assert_eq!(all, vec![east, replay, later, a], "{}", s.name);
    }
}

#[tokio::test]
async fn one_screenshot_at_two_nodes_at_once_is_admitted_by_one() {
    // Before, each node remembered the codes it saw itself: one screenshot was admitted at
    // node A's east door and node B's west door within its minute (red team, 2026-12).
    let Some((_dir, nodes)) = two_nodes("vc_claims").await else {
        return;
    };
    // 200 codes, each shown at both nodes at the same moment.
    let mut tries = Vec::new();
    for code in 0..200u8 {
        for (n, node) in nodes.iter().enumerate() {
            let node = node.clone();
            let place = u8::try_from(n).unwrap();
            let r = record(
                "SH-PT-0018",
                ["东门", "西门"][n],
                code,
                T0 + i64::from(code),
                None,
            );
            let claim = sighting(code, place, T0 + i64::from(code));
            tries.push(tokio::spawn(async move {
                node.store(vec![claimed(&r, claim)]).await.unwrap()[0]
            }));
        }
    }
    let mut outcomes = Vec::new();
    for t in tries {
        outcomes.push(t.await.unwrap());
    }
    for pair in outcomes.chunks(2) {
        let won = pair.iter().filter(|s| **s == Stored::New).count();
        let lost = pair
            .iter()
            .filter(|s| **s == Stored::Replayed(Replay::ElsewhereFirst))
            .count();
        assert_eq!((won, lost), (1, 1), "{pair:?}");
    }
    assert_eq!(
        nodes[0].records(Filter::default()).await.unwrap().len(),
        200
    );
}

#[tokio::test]
async fn days_past_retention_are_purged_whole_and_noted_for_the_audit_log() {
    for s in subjects().await {
        let store = &s.store;
        let day = |n: i64| Day::of(Timestamp::from_unix(T0 + n * DAY));
        let mut records = Vec::new();
        for (n, count) in [(0, 3u8), (1, 2), (2, 4)] {
            for v in 0..count {
                records.push(record("V1", "东门", v, T0 + n * DAY + i64::from(v), None));
            }
        }
        store.append(records).await.unwrap();
        let now = Timestamp::from_unix(T0 + 30 * DAY);
        let purged = store.purge(day(2), now).await.unwrap();
        let counts: Vec<(Day, u64)> = purged.iter().map(|p| (p.day, p.records)).collect();
        assert_eq!(counts, [(day(0), 3), (day(1), 2)], "{}", s.name);
        let left = store.records(Filter::default()).await.unwrap();
        assert_eq!(left.len(), 4, "{}", s.name);
        assert!(left.iter().all(|r| Day::of(r.at) == day(2)), "{}", s.name);
        // Nothing left to purge; the purges wait for the audit log until it tells them.
        assert!(
            store.purge(day(2), now).await.unwrap().is_empty(),
            "{}",
            s.name
        );
        assert_eq!(untold(store).await.purges, purged, "{}", s.name);
        told(store).await;
        assert!(untold(store).await.purges.is_empty(), "{}", s.name);
        // A late record of a purged day is stored, then purged and noted again on its own.
        let late = record("V1", "西门", 9, T0 + 100, None);
        assert_eq!(store.append(vec![late]).await.unwrap(), [true]);
        let again = store.purge(day(2), now).await.unwrap();
        assert_eq!(again.len(), 1, "{}", s.name);
        assert_eq!((again[0].day, again[0].records), (day(0), 1), "{}", s.name);
        assert_eq!(untold(store).await.purges, again, "{}", s.name);
    }
}

/// What the audit log does not yet tell, left untold.
async fn untold(store: &Store) -> venuecode_ledger::Untold {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(None));
    let keep = seen.clone();
    let peeked = store
        .audit_append(0, true, move |_, untold| {
            *keep.lock().unwrap() = untold.cloned();
            Err::<(Vec<String>, ()), _>(LedgerError::Stopped)
        })
        .await;
    assert!(peeked.is_err(), "an error appends nothing");
    seen.lock().unwrap().take().unwrap()
}

/// Marks what the log does not yet tell as told (nothing appended).
async fn told(store: &Store) {
    store
        .audit_append(0, true, |_, _| Ok((Vec::new(), ())))
        .await
        .unwrap();
}

#[tokio::test]
async fn reports_are_queued_with_their_records_and_each_delivery_is_claimed_by_one() {
    use venuecode_ledger::outbox::{LEASE_MS, Report};
    for s in subjects().await {
        let store = &s.store;
        let report = |r: &ScanRecord| Report {
            venue_id: r.venue_id.clone(),
            division: Some(310_106),
            record_id: r.id.to_string(),
            body: format!("{{\"id\":\"{}\"}}", r.id),
        };
        let (red, green) = (
            record("V1", "东门", 1, T0, None),
            record("V1", "东门", 2, T0 + 1, None),
        );
        let entry = |r: &ScanRecord, reported: bool| Entry {
            record: r.clone(),
            claim: None,
            report: reported.then(|| report(r)),
        };
        let start = store.last_report().await.unwrap();
        store
            .store(vec![entry(&red, true), entry(&green, false)])
            .await
            .unwrap();
        // A retry of a stored record queues nothing again.
        store.store(vec![entry(&red, true)]).await.unwrap();
        let queued = store.reports_after(start).await.unwrap();
        assert_eq!(queued.len(), 1, "{}", s.name);
        assert_eq!(queued[0].report, report(&red), "{}", s.name);
        // Made into deliveries once (for webhooks 7 and 9), whoever dispatches again.
        assert_eq!(store.dispatch(|_| vec![7, 9]).await.unwrap(), 2);
        assert_eq!(store.dispatch(|_| vec![7, 9]).await.unwrap(), 0);
        let t = 1_000_000;
        let claimed = store.claim_deliveries(t, 10).await.unwrap();
        assert_eq!(claimed.len(), 2, "{}", s.name);
        assert!(
            claimed
                .iter()
                .all(|d| d.attempts == 1 && d.report == report(&red))
        );
        // Leased: nobody else gets them until the lease ends (a node killed mid-attempt).
        assert!(store.claim_deliveries(t + 1, 10).await.unwrap().is_empty());
        let again = store.claim_deliveries(t + LEASE_MS, 10).await.unwrap();
        assert_eq!(again.len(), 2, "{}", s.name);
        assert!(again.iter().all(|d| d.attempts == 2));
        // One taken; the other waits for its retry time.
        store.settle_delivery(&again[0], None).await.unwrap();
        store
            .settle_delivery(&again[1], Some(t + LEASE_MS + 5_000))
            .await
            .unwrap();
        assert!(
            store
                .claim_deliveries(t + LEASE_MS + 4_999, 10)
                .await
                .unwrap()
                .is_empty()
        );
        let last = store
            .claim_deliveries(t + LEASE_MS + 5_000, 10)
            .await
            .unwrap();
        assert_eq!(
            (last.len(), last[0].webhook, last[0].attempts),
            (1, again[1].webhook, 3),
            "{}",
            s.name
        );
    }
}

#[tokio::test]
async fn check_ins_and_the_dispatcher_writing_at_once_both_succeed() {
    // Before, a group that read its sightings first and then wrote failed at once with
    // `database is locked` when the dispatcher had written since (found by the load benchmark).
    for s in subjects().await {
        let store = s.store.clone();
        let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let dispatcher = {
            let (store, done) = (store.clone(), done.clone());
            tokio::spawn(async move {
                while !done.load(std::sync::atomic::Ordering::SeqCst) {
                    store.dispatch(|_| vec![1]).await?;
                    store.claim_deliveries(i64::MAX / 2, 4).await?;
                }
                Ok::<_, LedgerError>(())
            })
        };
        let writers: Vec<_> = (0..32u8)
            .map(|w| {
                let store = store.clone();
                tokio::spawn(async move {
                    for i in 0..40u8 {
                        let (visitor, at) = (
                            w.wrapping_mul(40).wrapping_add(i),
                            T0 + i64::from(w) * 100 + i64::from(i),
                        );
                        let r = record(&format!("V{w}"), "东门", visitor, at, None);
                        let report = venuecode_ledger::outbox::Report {
                            venue_id: r.venue_id.clone(),
                            division: None,
                            record_id: r.id.to_string(),
                            body: "{}".into(),
                        };
                        let mut claim = sighting(visitor, 1, at);
                        claim.code[0] = w;
                        let entry = Entry {
                            claim: Some(claim),
                            report: Some(report),
                            record: r,
                        };
                        assert_eq!(store.store(vec![entry]).await?, [Stored::New]);
                    }
                    Ok::<_, LedgerError>(())
                })
            })
            .collect();
        for w in writers {
            w.await
                .unwrap()
                .unwrap_or_else(|e| panic!("{}: {e}", s.name));
        }
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        dispatcher.await.unwrap().unwrap();
    }
}

#[tokio::test]
async fn a_days_records_come_in_batches_each_once_in_stored_order() {
    for s in subjects().await {
        let store = &s.store;
        let records: Vec<ScanRecord> = (0..10u8)
            .map(|v| record("V1", "东门", v, T0 + i64::from(v), None))
            .collect();
        store.append(records.clone()).await.unwrap();
        store
            .append(vec![record("V2", "东门", 1, T0, None)])
            .await
            .unwrap();
        let filter = Filter {
            venue_id: Some("V1".into()),
            day: Some(Day::of(Timestamp::from_unix(T0))),
            ..Filter::default()
        };
        let mut batches = store.batches(filter, 3);
        let mut sizes = Vec::new();
        let mut read = Vec::new();
        while let Some(batch) = batches.recv().await {
            let batch = batch.unwrap();
            sizes.push(batch.len());
            read.extend(batch);
        }
        assert_eq!(sizes, [3, 3, 3, 1], "{}", s.name);
        assert_eq!(read, records, "{}", s.name);
    }
}

#[tokio::test]
async fn the_end_of_use_destroys_every_record_and_copy_and_the_pseudonym_keys() {
    for s in subjects().await {
        let store = &s.store;
        let before = store.pseudonym_key("V1", None).await.unwrap();
        let r = record("V1", "东门", 1, T0, Some(&before));
        let entry = Entry {
            claim: Some(sighting(1, 1, T0)),
            report: Some(venuecode_ledger::outbox::Report {
                venue_id: "V1".into(),
                division: None,
                record_id: r.id.to_string(),
                body: "{}".into(),
            }),
            record: r,
        };
        store.store(vec![entry]).await.unwrap();
        store.dispatch(|_| vec![3]).await.unwrap();
        let destroyed = store.end_of_use().await.unwrap();
        assert_eq!(
            (
                destroyed.records,
                destroyed.reports,
                destroyed.deliveries,
                destroyed.sightings
            ),
            (1, 1, 1, 1),
            "{}",
            s.name
        );
        assert!(store.records(Filter::default()).await.unwrap().is_empty());
        assert!(store.reports_after(0).await.unwrap().is_empty());
        // No pseudonym made before can be made again.
        let after = store.pseudonym_key("V1", None).await.unwrap();
        assert_ne!(after.fingerprint(), before.fingerprint(), "{}", s.name);
        // And the store goes on working.
        let next = record("V1", "东门", 2, T0 + 1, None);
        assert_eq!(store.append(vec![next]).await.unwrap(), [true]);
    }
}

mod audit {
    use super::*;
    use std::sync::Arc;
    use venuecode::trace::audit::{AuditChain, AuditEntry, AuditKey};
    use venuecode_ledger::audit::{Asked, Journal};
    use venuecode_ledger::journal::StoreJournal;

    fn key() -> AuditKey {
        AuditKey::from_bytes([7; 32])
    }

    /// A node's view of the log in `store`, its head kept in `heads/<name>`.
    fn node(store: &Store, heads: &std::path::Path, name: &str) -> Arc<StoreJournal> {
        Arc::new(StoreJournal::new(store.clone(), key(), heads.join(name)).unwrap())
    }

    /// Appends a query numbered `n` through `journal`, off the runtime as a desk does.
    async fn append(journal: &Arc<StoreJournal>, n: u64) -> Result<String, LedgerError> {
        let journal = journal.clone();
        tokio::task::spawn_blocking(move || {
            let query = serde_json::json!({"kind": "venue", "n": n});
            journal.append(&Asked {
                at: Timestamp::from_unix(T0),
                by: "officer-7",
                reason: "case 1",
                query: &query,
                results: n,
            })
        })
        .await
        .unwrap()
    }

    /// The log's entries, read from its JSON Lines with a chain of the test's own.
    fn entries(lines: &str) -> Vec<AuditEntry> {
        let mut chain = AuditChain::new(key());
        lines.lines().map(|l| chain.push_line(l).unwrap()).collect()
    }

    /// A second node on the store's database (PostgreSQL), or the same store (SQLite: one
    /// process).
    async fn second(s: &Subject) -> Store {
        match &s.url {
            Some(url) => Store::open(std::path::Path::new("unused"), Some(url))
                .await
                .unwrap(),
            None => s.store.clone(),
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_node_appends_to_one_chain_and_what_was_noted_is_told_once() {
        // (Before, each node wrote a log file of its own: two traces at two nodes made two
        // chains with two heads.)
        for s in subjects().await {
            let heads = tempfile::tempdir().unwrap();
            let other = second(&s).await;
            let nodes = [
                node(&s.store, heads.path(), "a"),
                node(&other, heads.path(), "b"),
            ];
            let mut writers = Vec::new();
            for (i, journal) in nodes.iter().enumerate() {
                for w in 0..4u64 {
                    let journal = journal.clone();
                    writers.push(tokio::spawn(async move {
                        for n in 0..10 {
                            append(&journal, (i as u64) * 100 + w * 10 + n)
                                .await
                                .unwrap();
                        }
                    }));
                }
            }
            for w in writers {
                w.await.unwrap();
            }
            let (a, b) = (
                nodes[0].chain().await.unwrap(),
                nodes[1].chain().await.unwrap(),
            );
            assert_eq!((a.entries(), b.entries()), (80, 80), "{}", s.name);
            assert_eq!(a.head(), b.head(), "{}: one head", s.name);
            let logged = entries(&nodes[1].lines().await.unwrap());
            let mut numbers: Vec<u64> = logged.iter().map(|e| e.results).collect();
            numbers.sort_unstable();
            numbers.dedup();
            assert_eq!(numbers.len(), 80, "{}: each query once", s.name);

            // A day purged and two reads, noted at either node; both nodes tell at once.
            let read = |venue: &str| venuecode_ledger::Read {
                account: "manager-1".into(),
                venue_id: venue.into(),
                what: "records".into(),
                records: 5,
                at: T0,
            };
            s.store
                .append(vec![record("V1", "东门", 1, T0, None)])
                .await
                .unwrap();
            s.store
                .purge(
                    Day(Day::of(Timestamp::from_unix(T0)).0 + 1),
                    Timestamp::from_unix(T0),
                )
                .await
                .unwrap();
            s.store.note_read(read("V1")).await.unwrap();
            other.note_read(read("V1")).await.unwrap();
            let now = Timestamp::from_unix(T0 + 30 * DAY);
            let (x, y) = tokio::join!(nodes[0].tell_untold(28, now), nodes[1].tell_untold(28, now));
            let (x, y) = (x.unwrap(), y.unwrap());
            assert_eq!(x, y, "{}: the second found nothing left to tell", s.name);
            let logged = entries(&nodes[0].lines().await.unwrap());
            assert_eq!(logged.len(), 82, "{}", s.name);
            let kinds: Vec<(&str, u64)> = logged[80..]
                .iter()
                .map(|e| (e.query["kind"].as_str().unwrap(), e.results))
                .collect();
            assert_eq!(kinds, [("purge", 1), ("read", 10)], "{}", s.name);
            assert_eq!(logged[80].by, "venuecode-retention", "{}", s.name);
            assert_eq!(logged[81].by, "manager-1", "{}", s.name);
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_log_edited_cut_short_or_emptied_behind_the_nodes_is_refused() {
        for damage in [
            "UPDATE audit SET line = replace(line, 'case 1', 'case 2') WHERE entry = 1",
            "DELETE FROM audit WHERE entry = 3",
            "DELETE FROM audit",
        ] {
            for s in subjects().await {
                let heads = tempfile::tempdir().unwrap();
                let running = node(&s.store, heads.path(), "a");
                for n in 0..3 {
                    append(&running, n).await.unwrap();
                }
                s.behind(damage).await;
                // A node started on it (its head kept), and the running node's download.
                let restarted = node(&s.store, heads.path(), "a");
                let e = restarted.chain().await.unwrap_err();
                assert_eq!(e.code(), "invalid_input", "{}: {damage}", s.name);
                assert!(append(&restarted, 9).await.is_err(), "{}: {damage}", s.name);
                assert!(running.lines().await.is_err(), "{}: {damage}", s.name);
                assert!(append(&running, 9).await.is_err(), "{}: {damage}", s.name);
                let left = s.store.audit_lines(0).await.unwrap().len();
                assert!(left <= 3, "{}: {damage}: nothing appended", s.name);
            }
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_running_node_appends_nothing_after_its_last_entry_changed() {
        for s in subjects().await {
            let heads = tempfile::tempdir().unwrap();
            let running = node(&s.store, heads.path(), "a");
            for n in 0..2 {
                append(&running, n).await.unwrap();
            }
            s.behind("UPDATE audit SET line = replace(line, 'case 1', 'case 2') WHERE entry = 2")
                .await;
            assert!(append(&running, 9).await.is_err(), "{}", s.name);
            assert_eq!(s.store.audit_lines(0).await.unwrap().len(), 2, "{}", s.name);
        }
    }
}

#[tokio::test]
async fn a_companion_s_record_keeps_its_link_to_the_visitor_s() {
    for s in subjects().await {
        let visitor = ScanRecord {
            origin: Origin::SelfScan,
            ..record("V1", "东门", 1, T0, None)
        };
        let companion = ScanRecord {
            origin: Origin::Companion,
            companion_of: Some(visitor.id),
            ..record("V1", "东门", 2, T0 + 1, None)
        };
        companion.check().unwrap();
        let store = &s.store;
        assert_eq!(
            store
                .append(vec![visitor.clone(), companion.clone()])
                .await
                .unwrap(),
            [true, true],
            "{}",
            s.name
        );
        assert_eq!(
            store.record(companion.id).await.unwrap().as_ref(),
            Some(&companion),
            "{}",
            s.name
        );
        assert_eq!(
            store.records(Filter::default()).await.unwrap(),
            [visitor, companion],
            "{}",
            s.name
        );
    }
}
