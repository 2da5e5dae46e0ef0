//! The demonstrations of issue 16 (signed lists v2), one test each, as SECURITY.md lists them
//! (threats 12-16): each passed against the first version's formats, and fails now with the
//! exact error code or decision given here.

#![allow(clippy::unwrap_used)]

use venuecode::door::{Door, Gate, GateState, PolicyChoice, SignedLists};
use venuecode::health::{Colour, HealthStatus};
use venuecode::id::IdNumber;
use venuecode::person::{PersonalCode, PersonalIssue, Profile};
use venuecode::policy::{BUILTIN, Outcome, Policy};
use venuecode::revoke::RevocationList;
use venuecode::status::{Resolved, StatusList};
use venuecode::token::TokenKey;
use venuecode::{
    Division, Error, Prefix, Seal, SecretKey, Timestamp, TrustList, TrustedKey, Usage, Venue,
    VenueType, signed_trust, verify_venue_code,
};

const HOLDER: &str = "11010519491231002X";
const SH: &str = "HTTPS://VC.SH.GOV.CN/1/";

fn at(rfc3339: &str) -> Timestamp {
    Timestamp::parse_rfc3339(rfc3339).unwrap()
}

fn key(seed: u8) -> SecretKey {
    SecretKey::from_seed(&[seed; 32])
}

fn sh() -> Prefix {
    Prefix::new(SH).unwrap()
}

/// Keys: 1 venue codes (Shanghai), 2 personal codes, 3 lists, 4 rule sets, 9 the root.
fn trust() -> TrustList {
    let mut t = TrustList::new();
    let mut venue = TrustedKey::new(key(1).public_key(), Usage::Venue).with_prefix(&sh());
    venue.divisions = vec!["31".into()];
    t.add(venue).unwrap();
    t.add(TrustedKey::new(key(2).public_key(), Usage::Personal).with_prefix(&sh()))
        .unwrap();
    let mut status = TrustedKey::new(key(3).public_key(), Usage::Status);
    status.issuer = Some("sh-health".into());
    t.add(status).unwrap();
    let mut policy = TrustedKey::new(key(4).public_key(), Usage::Policy);
    policy.issuer = Some("sh-health".into());
    t.add(policy).unwrap();
    t.add(TrustedKey::new(key(9).public_key(), Usage::Root))
        .unwrap();
    t
}

fn venue(door: &str) -> Venue {
    Venue::new(
        "SH-PT-0018",
        VenueType::ReligiousVenue,
        "上海玉佛禅寺",
        "310107".parse::<Division>().unwrap(),
        door,
        at("2022-04-01T08:00:00+08:00"),
    )
    .with_address("安远路170号")
    .with_valid_until(at("2023-04-01T00:00:00+08:00"))
}

fn holder() -> venuecode::token::HolderToken {
    TokenKey::from_bytes([7; 32]).token(&IdNumber::parse(HOLDER).unwrap())
}

fn code(profile: Profile, generation: u16, issued: &str) -> String {
    let issue = PersonalIssue {
        profile,
        generation,
        issued_at: at(issued),
        valid_secs: None,
        status: (profile == Profile::Dynamic).then_some(HealthStatus {
            colour: Colour::Green,
            nat: None,
        }),
    };
    let id = IdNumber::parse(HOLDER).unwrap();
    PersonalCode::for_holder("张三丰", &id, &TokenKey::from_bytes([7; 32]), &issue)
        .unwrap()
        .issue(&key(2), &sh())
        .unwrap()
}

fn seal(serial: u64, from: &str, until: &str) -> Seal {
    Seal {
        serial,
        issued_at: at(from),
        valid_until: at(until),
    }
}

fn status_list(serial: u64, from: &str, colour: Colour) -> Vec<u8> {
    let status = HealthStatus { colour, nat: None };
    StatusList::build(
        vec![(holder(), status)],
        seal(serial, from, "2022-04-07T00:00:00+08:00"),
        &key(3),
    )
    .unwrap()
}

fn revocations(serial: u64, from: &str, below: u16) -> Vec<u8> {
    RevocationList::build(
        &[],
        &[(holder(), below)],
        seal(serial, from, "2022-04-07T00:00:00+08:00"),
        &key(3),
    )
    .unwrap()
}

fn load(
    status: &[u8],
    revoked: Option<&[u8]>,
    now: Timestamp,
    state: GateState,
) -> Result<Gate, Error> {
    let lists = SignedLists {
        status_list: Some(status),
        revocations: revoked,
        max_status_age_secs: None,
    };
    Gate::load(trust(), &lists, &PolicyChoice::default(), now, state)
}

/// Threat 12: the 00:00 status list, still in its window, replayed at 07:00 after the 06:00
/// list turned the holder red.
#[test]
fn an_older_status_list_is_refused_after_a_newer_one() {
    let midnight = status_list(1, "2022-04-06T00:00:00+08:00", Colour::Green);
    let six = status_list(2, "2022-04-06T06:00:00+08:00", Colour::Red);
    let seven = at("2022-04-06T07:00:00+08:00");
    let none = revocations(1, "2022-04-06T00:00:00+08:00", 0);
    let gate = load(&six, Some(&none), seven, GateState::new()).unwrap();
    let state = gate.state().clone();
    // The first version took it: the signature and the window are fine.
    assert!(StatusList::load(&midnight, &trust(), seven).is_ok());
    let e = load(&midnight, Some(&none), seven, state.clone()).unwrap_err();
    assert_eq!(e.code(), "rolled_back");
    // The same list again is fine; a different list under the same serial is evidence.
    assert!(load(&six, Some(&none), seven, state.clone()).is_ok());
    let forked = status_list(2, "2022-04-06T06:00:00+08:00", Colour::Green);
    let e = load(&forked, Some(&none), seven, state.clone()).unwrap_err();
    assert_eq!(e.code(), "equivocation");
    assert!(e.to_string().contains("serial 2"), "{e}");
    // The state survives a restart of the gate.
    let restored = GateState::from_bytes(&state.to_bytes()).unwrap();
    assert_eq!(
        load(&midnight, Some(&none), seven, restored)
            .unwrap_err()
            .code(),
        "rolled_back"
    );
}

/// Threat 12: yesterday's revocation list un-supersedes a lost card; leaving it out admits it
/// silently.
#[test]
fn an_older_revocation_list_is_refused_and_none_is_said() {
    let status = status_list(1, "2022-04-06T00:00:00+08:00", Colour::Green);
    let before = revocations(1, "2022-04-06T00:00:00+08:00", 0);
    let after = revocations(2, "2022-04-06T06:00:00+08:00", 1);
    let now = at("2022-04-06T09:00:00+08:00");
    let gate = load(&status, Some(&after), now, GateState::new()).unwrap();
    let e = load(&status, Some(&before), now, gate.state().clone()).unwrap_err();
    assert_eq!(e.code(), "rolled_back");
    // Without any revocation list, the lost card is not admitted silently: staff check it.
    let mut bare = load(&status, None, now, GateState::new()).unwrap();
    let door = Door::of(
        &verify_venue_code(&venue("东门").issue(&key(1), &sh()).unwrap(), &trust(), now).unwrap(),
    );
    let lost = code(Profile::Offline, 0, "2022-04-01T00:00:00+08:00");
    let a = bare.admit(&door, &lost, now);
    assert_eq!(
        (a.decision, a.rule.as_str(), a.revocations_checked),
        (Outcome::Manual, "no-revocation-list", false)
    );
    let json = serde_json::to_value(&a).unwrap();
    assert_eq!(json["revocations_checked"], false);
}

/// Threat 12: a revocation list good for ten years (`revoke --valid-hours 87600`).
#[test]
fn list_lifetimes_are_capped() {
    let ten_years = seal(1, "2022-04-06T00:00:00+08:00", "2032-04-06T00:00:00+08:00");
    let e = RevocationList::build(&[], &[], ten_years, &key(3)).unwrap_err();
    assert!(e.to_string().contains("168 hours"), "{e}");
    let three_days = seal(1, "2022-04-06T00:00:00+08:00", "2022-04-09T00:00:00+08:00");
    assert!(StatusList::build(Vec::new(), three_days, &key(3)).is_err());
    let week = seal(1, "2022-04-06T00:00:00+08:00", "2022-04-13T00:00:00+08:00");
    assert!(RevocationList::build(&[], &[], week, &key(3)).is_ok());
}

/// Threat 12: an older, more lenient rule set (a lower revision) replayed to the gate.
#[test]
fn an_older_rule_set_is_refused() {
    let dated = |revision: u32| {
        let mut v: serde_json::Value = serde_json::from_str(BUILTIN[1].1).unwrap();
        v["revision"] = revision.into();
        v["valid_until"] = "2023-04-01T00:00:00+08:00".into();
        Policy::sign(v.to_string().as_bytes(), &key(4)).unwrap()
    };
    let (old, new) = (dated(1), dated(2));
    let now = at("2022-04-06T09:00:00+08:00");
    let status = status_list(1, "2022-04-06T00:00:00+08:00", Colour::Green);
    let lists = SignedLists {
        status_list: Some(&status),
        ..SignedLists::default()
    };
    fn signed(p: &[u8]) -> PolicyChoice<'_> {
        PolicyChoice {
            builtin: None,
            signed: Some(p),
        }
    }
    let gate = Gate::load(trust(), &lists, &signed(&new), now, GateState::new()).unwrap();
    assert_eq!(gate.policy().revision(), 2);
    let e = Gate::load(trust(), &lists, &signed(&old), now, gate.state().clone()).unwrap_err();
    assert_eq!(e.code(), "rolled_back");
}

/// Threat 13: whoever can write the trust list adds a key, or restores an older list that
/// un-revokes one.
#[test]
fn a_signed_trust_list_cannot_be_edited_or_rolled_back() {
    let pinned = [key(9).public_key().id()];
    let now = at("2022-04-06T09:00:00+08:00");
    let mut newer = trust();
    let mut revoked = newer.keys()[0].clone();
    revoked.revoked = true;
    let mut list = TrustList::new();
    for k in newer.keys() {
        list.add(if k.key == revoked.key {
            revoked.clone()
        } else {
            k.clone()
        })
        .unwrap();
    }
    newer = list;
    let window = |serial| {
        seal(
            serial,
            "2022-04-01T00:00:00+08:00",
            "2022-06-01T00:00:00+08:00",
        )
    };
    let old = signed_trust::sign(&trust(), &key(9), window(1)).unwrap();
    let new = signed_trust::sign(&newer, &key(9), window(2)).unwrap();
    let mut state = GateState::new();
    state.trust_list(&new, &pinned, now).unwrap();
    assert_eq!(
        state.trust_list(&old, &pinned, now).unwrap_err().code(),
        "rolled_back"
    );
    // An attacker's key added to the JSON: the root's signature no longer holds.
    let mut forged = trust();
    forged
        .add(TrustedKey::new(key(66).public_key(), Usage::Venue).with_prefix(&sh()))
        .unwrap();
    let mut edited = new[..25].to_vec();
    edited.extend_from_slice(forged.to_json().as_bytes());
    edited.extend_from_slice(&new[new.len() - 64..]);
    assert_eq!(
        GateState::new().trust_list(&edited, &pinned, now),
        Err(Error::BadSignature)
    );
    // A list signed by the attacker's own root is not pinned.
    let mut theirs = forged.clone();
    theirs
        .add(TrustedKey::new(key(67).public_key(), Usage::Root))
        .unwrap();
    let theirs = signed_trust::sign(&theirs, &key(67), window(3)).unwrap();
    assert_eq!(
        GateState::new()
            .trust_list(&theirs, &pinned, now)
            .unwrap_err()
            .code(),
        "unknown_key"
    );
}

/// Threat 14: a genuine key signs a code under a phishing host; the human and JSON outputs
/// show the host.
#[test]
fn keys_sign_only_under_their_prefixes_and_divisions() {
    let now = at("2022-06-01T09:00:00+08:00");
    let phishing = Prefix::new("HTTPS://VC.SH.GOV.CN.PAY-CHECK.CC/1/").unwrap();
    let text = venue("东门").issue(&key(1), &phishing).unwrap();
    assert_eq!(
        verify_venue_code(&text, &trust(), now).unwrap_err().code(),
        "out_of_scope"
    );
    for bad in [
        "HTTPS://::/",
        "HTTPS://VC.SH.GOV.CN$.EVIL.CC/",
        "HTTPS://VC.SH.GOV.CN/../",
    ] {
        assert_eq!(
            Prefix::new(bad).unwrap_err().code(),
            "invalid_input",
            "{bad}"
        );
    }
    // A Shanghai key for a Jiangsu venue.
    let mut elsewhere = venue("东门");
    elsewhere.division = "320102".parse().unwrap();
    let text = elsewhere.issue(&key(1), &sh()).unwrap();
    assert_eq!(
        verify_venue_code(&text, &trust(), now).unwrap_err().code(),
        "out_of_scope"
    );
    let genuine =
        verify_venue_code(&venue("东门").issue(&key(1), &sh()).unwrap(), &trust(), now).unwrap();
    assert_eq!(genuine.host(), "VC.SH.GOV.CN");
    assert_eq!(
        serde_json::to_value(&genuine).unwrap()["host"],
        "VC.SH.GOV.CN"
    );
}

/// Threat 14: a status key speaks only for its divisions' holders.
#[test]
fn a_status_key_scoped_to_divisions_speaks_for_those_holders_only() {
    let mut t = trust();
    let district = SecretKey::from_seed(&[5; 32]);
    let mut entry = TrustedKey::new(district.public_key(), Usage::Status);
    entry.divisions = vec!["3201".into()];
    t.add(entry).unwrap();
    let now = at("2022-04-06T09:00:00+08:00");
    let list = StatusList::build(
        vec![(
            holder(),
            HealthStatus {
                colour: Colour::Green,
                nat: None,
            },
        )],
        seal(1, "2022-04-06T00:00:00+08:00", "2022-04-07T00:00:00+08:00"),
        &district,
    )
    .unwrap();
    let lists = SignedLists {
        status_list: Some(&list),
        ..SignedLists::default()
    };
    let gate = Gate::load(t, &lists, &PolicyChoice::default(), now, GateState::new()).unwrap();
    // The holder is registered in 110105 (Beijing): a Nanjing key does not speak for them.
    let checked = gate.check(&code(Profile::Offline, 0, "2022-04-01T00:00:00+08:00"), now);
    assert!(checked.code.is_ok());
    assert_eq!(checked.status, Resolved::Unknown);
}

/// Threat 14: a key trusted from 2030 signs codes dated 2022; retiring a key keeps its posters.
#[test]
fn a_key_window_holds_the_issue_time() {
    let text = venue("东门").issue(&key(1), &sh()).unwrap();
    let now = at("2022-06-01T09:00:00+08:00");
    let mut future = TrustedKey::new(key(1).public_key(), Usage::Venue).with_prefix(&sh());
    future.not_before = Some(at("2030-01-01T00:00:00Z"));
    assert_eq!(
        verify_venue_code(&text, &future, now).unwrap_err(),
        Error::NotYetValid(venuecode::Subject::Key)
    );
    let mut retired = TrustedKey::new(key(1).public_key(), Usage::Venue).with_prefix(&sh());
    retired.not_after = Some(at("2022-05-01T00:00:00Z"));
    assert!(verify_venue_code(&text, &retired, now).is_ok());
}

/// Threat 15: one screenshot of a dynamic code, four times in 54 s: twice at one door, at
/// another door, at another venue.
#[test]
fn a_dynamic_code_is_admitted_once() {
    let now = at("2022-04-06T09:00:05+08:00");
    let status = status_list(1, "2022-04-06T00:00:00+08:00", Colour::Green);
    let none = revocations(1, "2022-04-06T00:00:00+08:00", 0);
    let mut gate = load(&status, Some(&none), now, GateState::new()).unwrap();
    let door = |d: &str, id: &str| {
        let mut v = venue(d);
        v.id = id.into();
        Door::of(&verify_venue_code(&v.issue(&key(1), &sh()).unwrap(), &trust(), now).unwrap())
    };
    let (east, west, other) = (
        door("东门", "SH-PT-0018"),
        door("西门", "SH-PT-0018"),
        door("东门", "SH-PT-0101"),
    );
    let shot = code(Profile::Dynamic, 0, "2022-04-06T09:00:00+08:00");
    let first = gate.admit(&east, &shot, now);
    assert_eq!(first.decision, Outcome::Admit);
    // The same screen read again within the grace: the same person.
    assert_eq!(
        gate.admit(&east, &shot, now.saturating_add(3)).decision,
        Outcome::Admit
    );
    for (door, secs) in [(&east, 30), (&west, 40), (&other, 54)] {
        let a = gate.admit(
            door,
            &shot,
            at("2022-04-06T09:00:00+08:00").saturating_add(secs),
        );
        assert_eq!(
            (a.decision, a.report, a.code.name()),
            (Outcome::Deny, true, "replayed"),
            "{} {secs}",
            door.door
        );
        // A replay names no visitor in the record.
        assert!(a.holder.is_none());
    }
}
