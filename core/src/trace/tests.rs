use super::*;
use crate::privacy::pseudonym::PseudonymKey;
use crate::privacy::record_keys::RecordKeys;

const T0: i64 = 1_649_203_200;

fn authority() -> TraceKey {
    TraceKey::derive(&[5; 32])
}

fn keys(seed: u8) -> RecordKeys {
    RecordKeys::with_seed(
        PseudonymKey::from_bytes([seed; 32]),
        authority().public(),
        [seed; 32],
    )
}

/// A presence of holder `who` at `venue` `minutes` after T0, sealed by `keys`.
fn at(keys: &RecordKeys, who: u8, venue: &str, minutes: i64) -> Presence {
    let at = Timestamp::from_unix(T0 + minutes * 60);
    let id = RecordId::derive(at, &[venue.as_bytes(), &[who]]);
    Presence {
        id,
        origin: Origin::Gate,
        venue_id: venue.into(),
        door: "east".into(),
        at,
        decision: Outcome::Admit,
        trace: Some(keys.seal(&HolderToken([who; 16]), &id.0)),
    }
}

#[test]
fn a_holder_trace_finds_visits_and_contacts_within_the_window() {
    let (a, b) = (keys(1), keys(2));
    let mut source = vec![
        at(&a, 1, "SH-A", 0),   // the case at venue A
        at(&a, 2, "SH-A", 10),  // contact
        at(&a, 3, "SH-A", 31),  // outside the window
        at(&b, 4, "SH-A", -30), // at the window's edge: a contact
        at(&b, 1, "SH-B", 120), // the case at venue B
        at(&b, 2, "SH-B", 100), // contact again, at B
        at(&b, 5, "SH-C", 120), // another venue, same time: not a contact
    ];
    let mut unsealed = at(&a, 6, "SH-A", 5);
    unsealed.trace = None;
    source.push(unsealed);
    let foreign = RecordKeys::with_seed(
        PseudonymKey::from_bytes([9; 32]),
        TraceKey::derive(&[6; 32]).public(),
        [9; 32],
    );
    source.push(at(&foreign, 7, "SH-A", 5));
    let key = authority();
    let mut trace = HolderTrace::new(&key, HolderToken([1; 16]), Period::default(), 30);
    // Two sources holding the same records (a merged ledger and a gate's): counted once.
    for batch in [&source[..4], &source[4..], &source[..]] {
        trace.find_visits(batch);
    }
    for batch in [&source[..], &source[..]] {
        trace.find_contacts(batch);
    }
    let report = trace.report();
    let visits: Vec<(&str, Vec<HolderToken>)> = report
        .visits
        .iter()
        .map(|v| {
            (
                v.venue_id.as_str(),
                v.contacts.iter().map(|c| c.holder).collect(),
            )
        })
        .collect();
    assert_eq!(
        visits,
        vec![
            ("SH-A", vec![HolderToken([4; 16]), HolderToken([2; 16])]),
            ("SH-B", vec![HolderToken([2; 16])]),
        ]
    );
    assert_eq!(report.contacts, 2);
    assert_eq!(report.coverage.records, 9 + 9);
    assert_eq!(report.coverage.unsealed, 2);
    assert_eq!(report.coverage.unopened, 2);
}

#[test]
fn a_period_bounds_the_visits() {
    let a = keys(1);
    let source = [
        at(&a, 1, "SH-A", 0),
        at(&a, 1, "SH-A", 600),
        at(&a, 2, "SH-A", 601),
    ];
    let key = authority();
    let period = Period {
        from: Some(Timestamp::from_unix(T0 + 60)),
        to: None,
    };
    let mut trace = HolderTrace::new(&key, HolderToken([1; 16]), period, 5);
    trace.find_visits(&source);
    trace.find_contacts(&source);
    let report = trace.report();
    assert_eq!(report.visits.len(), 1);
    assert_eq!(report.visits[0].at, Timestamp::from_unix(T0 + 600 * 60));
    assert_eq!(report.visits[0].contacts[0].holder, HolderToken([2; 16]));
}

#[test]
fn a_venue_trace_lists_everyone_present_once() {
    let (a, b) = (keys(1), keys(2));
    let source: Vec<Presence> = (0..300)
        .map(|i| {
            at(
                if i % 2 == 0 { &a } else { &b },
                u8::try_from(i % 7).unwrap(),
                "SH-A",
                i,
            )
        })
        .chain([at(&a, 9, "SH-B", 5)])
        .collect();
    let key = authority();
    let period = Period {
        from: Some(Timestamp::from_unix(T0)),
        to: Some(Timestamp::from_unix(T0 + 99 * 60)),
    };
    let mut trace = VenueTrace::new(&key, "SH-A", period);
    trace.read(&source);
    trace.read(&source);
    let report = trace.report();
    let holders: Vec<u8> = report.present.iter().map(|p| p.holder.0[0]).collect();
    assert_eq!(holders, vec![0, 1, 2, 3, 4, 5, 6]);
    let entries: usize = report.present.iter().map(|p| p.entries.len()).sum();
    assert_eq!(entries, 100);
    assert_eq!(report.coverage.records, 200);
}

#[test]
fn a_period_may_not_end_before_it_starts() {
    let (a, b) = (Timestamp::from_unix(T0), Timestamp::from_unix(T0 + 1));
    assert!(Period::new(Some(a), Some(b)).is_ok());
    assert!(Period::new(Some(a), Some(a)).is_ok());
    assert_eq!(
        Period::new(Some(b), Some(a)).unwrap_err().code(),
        "invalid_input"
    );
}
