//! Two venues' exports cannot be joined: on a synthetic population of 1,000,000 shaped like
//! Shanghai's, what an exported record says of its holder (everything but the event's own fields)
//! is shared by at least 100 people. The desk view's masks (张*丰, 110105********00**) are not:
//! that is why exports carry less.

#![allow(clippy::unwrap_used, missing_docs, unreachable_pub)]

use std::collections::HashMap;
use venuecode::mask::{mask_id_number, mask_name};
use venuecode::person::Profile;
use venuecode::policy::Outcome;
use venuecode::pseudonym::PseudonymKey;
use venuecode::record::{ExportedRecord, Origin, RecordId, ScanRecord};
use venuecode::token::TokenKey;
use venuecode::{CodeState, Timestamp};

#[path = "support/population.rs"]
#[allow(dead_code)]
mod population;

/// The fields that describe the event, not the person: a class is what remains. The sealed
/// trace reference is the record's own too: sealed afresh for each record, two references of
/// one person share nothing but the version byte (`core/src/privacy/trace.rs`).
const EVENT_FIELDS: [&str; 15] = [
    "id",
    "origin",
    "device",
    "venue_id",
    "door",
    "at",
    "pseudonym",
    "code_state",
    "colour",
    "test_age_hours",
    "decision",
    "report",
    "rule",
    "resolves",
    "trace_ref",
];

fn person_part(mut json: serde_json::Value) -> String {
    let object = json.as_object_mut().unwrap();
    for field in EVENT_FIELDS.iter().chain(&["staff"]) {
        object.remove(*field);
    }
    json.to_string()
}

fn smallest_class(keys: &[String]) -> usize {
    let mut sizes: HashMap<&str, usize> = HashMap::new();
    for k in keys {
        *sizes.entry(k).or_default() += 1;
    }
    sizes.values().copied().min().unwrap()
}

#[test]
fn every_exported_record_matches_at_least_100_people() {
    let people = population::population(1_000_000, 0x5348_2022);
    let (tokens, key) = (
        TokenKey::from_bytes([1; 32]),
        PseudonymKey::from_bytes([2; 32]),
    );
    let at = Timestamp::from_unix(1_649_203_200);
    let (mut exported, mut desk) = (Vec::new(), Vec::new());
    for (i, p) in people.iter().enumerate() {
        let record = ScanRecord {
            id: RecordId::derive(at, &[&i.to_be_bytes()]),
            origin: Origin::Gate,
            device: "gate-1".into(),
            venue_id: "SH-PT-0018".into(),
            door: "东门".into(),
            at,
            pseudonym: Some(key.pseudonym(&tokens.token(&p.id))),
            name: Some(mask_name(&p.name)),
            id_number: Some(mask_id_number(&p.id)),
            phone: Some("138****5678".into()),
            profile: Some(if i % 3 == 0 {
                Profile::Offline
            } else {
                Profile::Dynamic
            }),
            code_state: Some(CodeState::Valid),
            colour: None,
            test_age_hours: None,
            decision: Outcome::Admit,
            report: false,
            rule: "green".into(),
            staff: None,
            resolves: None,
            companion_of: None,
            trace: None,
        };
        exported.push(person_part(
            serde_json::to_value(ExportedRecord::of(&record)).unwrap(),
        ));
        desk.push(person_part(serde_json::to_value(&record).unwrap()));
    }
    let k = smallest_class(&exported);
    println!(
        "smallest class of an exported record: {k} of {} people",
        people.len()
    );
    assert!(k >= 100, "an exported record matches only {k} people");
    // What the desk sees would single people out: it stays at the desk.
    assert!(smallest_class(&desk) < 100);
    // The export still says where the holder is registered.
    assert!(exported[0].contains("id_division"), "{}", exported[0]);
}
