use super::*;
use crate::Subject;
use crate::codes::person::{PersonalIssue, Profile};
use crate::keys::trust::{TrustList, TrustedKey, Usage};
use crate::lists::sealed as list;
use crate::lists::serial::ListKind;
use crate::privacy::id::IdNumber;
use crate::privacy::token::TokenKey;

fn key() -> SecretKey {
    SecretKey::from_seed(&[5; 32])
}

fn trust(usage: Usage) -> TrustList {
    let mut t = TrustList::new();
    let mut entry = TrustedKey::new(key().public_key(), usage);
    if usage.signs_codes() {
        entry = entry.with_prefix(&crate::Prefix::new("HTTPS://HC.SH.GOV.CN/P/").unwrap());
    }
    t.add(entry).unwrap();
    t
}

fn t(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(s).unwrap()
}

fn seal() -> Seal {
    Seal {
        serial: 1,
        issued_at: t(AS_OF),
        valid_until: t(UNTIL),
    }
}

fn token(n: u8) -> HolderToken {
    let mut b = [n; 16];
    b[15] = n.wrapping_mul(7);
    HolderToken(b)
}

fn statuses() -> Vec<(HolderToken, HealthStatus)> {
    let nat = |r, at| {
        Some(NatTest {
            result: r,
            sampled_at: t(at),
        })
    };
    vec![
        (
            token(3),
            HealthStatus {
                colour: Colour::Green,
                nat: nat(NatResult::Negative, "2022-04-05T08:00:00Z"),
            },
        ),
        (
            token(1),
            HealthStatus {
                colour: Colour::Yellow,
                nat: None,
            },
        ),
        (
            token(2),
            HealthStatus {
                colour: Colour::Red,
                nat: nat(NatResult::Positive, "2022-04-04T08:00:00Z"),
            },
        ),
    ]
}

const AS_OF: &str = "2022-04-06T00:00:00Z";
const UNTIL: &str = "2022-04-07T00:00:00Z";
const NOW: &str = "2022-04-06T09:00:00Z";

#[test]
fn build_load_lookup() {
    let bytes = StatusList::build(statuses(), seal(), &key()).unwrap();
    assert_eq!(bytes.len(), list::HEADER_LEN + 4 + 3 * ENTRY + 64);
    let list = StatusList::load(&bytes, &trust(Usage::Status), t(NOW)).unwrap();
    assert_eq!(
        (list.len(), list.as_of(), list.key_id()),
        (3, t(AS_OF), key().public_key().id())
    );
    for (token, status) in statuses() {
        assert_eq!(list.lookup(&token), Some(status));
    }
    assert_eq!(list.lookup(&token(0)), None);
    assert_eq!(list.lookup(&token(4)), None);
    assert!(list.lookup(&token(1)).is_some());
    assert_eq!(list.as_of(), t(AS_OF));
}

#[test]
fn lists_are_verified_like_codes() {
    let bytes = StatusList::build(statuses(), seal(), &key()).unwrap();
    let load = |b: &[u8], usage, now| StatusList::load(b, &trust(usage), t(now)).map(|_| ());
    assert_eq!(
        load(&bytes, Usage::Status, UNTIL),
        Err(Error::Expired(Subject::List))
    );
    assert_eq!(
        load(&bytes, Usage::Status, "2022-04-05T00:00:00Z"),
        Err(Error::NotYetValid(Subject::List))
    );
    assert!(matches!(
        load(&bytes, Usage::Personal, NOW),
        Err(Error::WrongKeyUsage(_))
    ));
    for i in [0, 5, list::HEADER_LEN + 6, bytes.len() - 1] {
        let mut tampered = bytes.clone();
        tampered[i] ^= 0x10;
        assert!(load(&tampered, Usage::Status, NOW).is_err(), "byte {i}");
    }
    assert!(load(&bytes[..20], Usage::Status, NOW).is_err());
    assert!(load(&[], Usage::Status, NOW).is_err());
}

#[test]
fn signed_but_non_canonical_payloads_are_refused() {
    let entry = |token: u8, status: u8, sampled: u32| {
        let mut e = vec![token; 8];
        e.push(status);
        e.extend_from_slice(&sampled.to_be_bytes());
        e
    };
    let sealed = |entries: &[Vec<u8>], count: u32| {
        let mut payload = count.to_be_bytes().to_vec();
        entries.iter().for_each(|e| payload.extend_from_slice(e));
        list::seal(ListKind::Status, &key(), seal(), &payload).unwrap()
    };
    let load = |b: Vec<u8>| StatusList::load(&b, &trust(Usage::Status), t(NOW)).map(|_| ());
    assert!(load(sealed(&[entry(1, 0, 0), entry(2, 0, 0)], 2)).is_ok());
    assert!(
        load(sealed(&[entry(2, 0, 0), entry(1, 0, 0)], 2)).is_err(),
        "unsorted"
    );
    assert!(
        load(sealed(&[entry(1, 0, 0), entry(1, 0, 0)], 2)).is_err(),
        "duplicate"
    );
    assert!(load(sealed(&[entry(1, 3, 0)], 1)).is_err(), "colour 3");
    assert!(
        load(sealed(&[entry(1, 0x10, 0)], 1)).is_err(),
        "reserved bits"
    );
    assert!(
        load(sealed(&[entry(1, 0b0100, 0)], 1)).is_err(),
        "negative test without a time"
    );
    assert!(
        load(sealed(&[entry(1, 0, 5)], 1)).is_err(),
        "a time without a test"
    );
    assert!(
        load(sealed(&[entry(1, 0b0100, u32::MAX)], 1)).is_err(),
        "a test after the list"
    );
    assert!(
        load(sealed(&[entry(1, 0, 0)], 2)).is_err(),
        "count too high"
    );
    assert!(load(sealed(&[], u32::MAX)).is_err(), "count overflow");
}

#[test]
fn building_refuses_duplicates_and_future_tests() {
    let mut twice = statuses();
    twice.push(statuses()[0]);
    assert!(StatusList::build(twice, seal(), &key()).is_err());
    let mut future = statuses();
    future[0].1.nat = Some(NatTest {
        result: NatResult::Negative,
        sampled_at: t(NOW),
    });
    assert!(StatusList::build(future, seal(), &key()).is_err());
    assert!(
        StatusList::build(
            statuses(),
            Seal {
                issued_at: t(UNTIL),
                valid_until: t(AS_OF),
                ..seal()
            },
            &key()
        )
        .is_err()
    );
}

#[test]
fn resolution_reports_staleness() {
    let tokens = TokenKey::from_bytes([7; 32]);
    let id = IdNumber::parse("11010519491231002X").unwrap();
    let issue = |profile, status| PersonalIssue {
        profile,
        generation: 0,
        issued_at: t(AS_OF),
        valid_secs: None,
        status,
    };
    let offline =
        PersonalCode::for_holder("张三丰", &id, &tokens, &issue(Profile::Offline, None)).unwrap();
    let green = HealthStatus {
        colour: Colour::Green,
        nat: None,
    };
    let bytes = StatusList::build(vec![(offline.holder, green)], seal(), &key()).unwrap();
    let list = StatusList::load(&bytes, &trust(Usage::Status), t(NOW)).unwrap();
    let answer = StatusAnswer {
        status: green,
        as_of: t(AS_OF),
    };
    assert_eq!(
        resolve_status(&offline, Some(&list), t(NOW), 24 * 3600),
        Resolved::Fresh(answer)
    );
    assert_eq!(
        resolve_status(&offline, Some(&list), t(NOW), 3600),
        Resolved::Stale(answer)
    );
    assert_eq!(
        resolve_status(&offline, None, t(NOW), 3600),
        Resolved::Unknown
    );
    let dynamic = PersonalCode::for_holder(
        "张三丰",
        &id,
        &tokens,
        &issue(Profile::Dynamic, Some(green)),
    )
    .unwrap();
    assert_eq!(
        resolve_status(&dynamic, None, t(AS_OF), 60),
        Resolved::Fresh(answer)
    );
}

/// The slot layout: every symbol, each status back as the gate needs it, bad symbols refused.
#[test]
fn slot_lists_keep_colour_test_and_age_to_the_hour() {
    let as_of = t(AS_OF);
    let negative = |hours_ago: i64| HealthStatus {
        colour: Colour::Green,
        nat: Some(NatTest {
            result: NatResult::Negative,
            sampled_at: as_of.saturating_add(-hours_ago * 3600 - 120),
        }),
    };
    let mut statuses: Vec<Option<HealthStatus>> = (0..80).map(|h| Some(negative(h))).collect();
    statuses.push(None);
    statuses.push(Some(HealthStatus {
        colour: Colour::Red,
        nat: Some(NatTest {
            result: NatResult::Positive,
            sampled_at: as_of.saturating_add(-5000),
        }),
    }));
    statuses.push(Some(HealthStatus {
        colour: Colour::Yellow,
        nat: None,
    }));
    let bytes = StatusList::build_slots(statuses.clone(), seal(), &key()).unwrap();
    assert_eq!(
        bytes.len(),
        crate::lists::sealed::HEADER_LEN + 4 + statuses.len() + 64
    );
    let list = StatusList::load(&bytes, &trust(Usage::Status), t(NOW)).unwrap();
    assert_eq!(list.len(), statuses.len());
    assert_eq!(list.accepted().kind, ListKind::Status);
    for h in 0..80u32 {
        let got = list.lookup_slot(h).unwrap();
        let sampled = got.nat.unwrap().sampled_at;
        // Within 72 hours: the sample's hour, rounded down (never younger than it was).
        let age = (as_of.unix() - sampled.unix()) / 3600;
        if h < 71 {
            assert!(age == i64::from(h) || age == i64::from(h) + 1, "{h}: {age}");
            assert!(sampled <= negative(h.into()).nat.unwrap().sampled_at);
        } else {
            assert!(age >= 72, "{h}: {age}");
        }
    }
    assert_eq!(list.lookup_slot(80), None);
    assert_eq!(list.lookup_slot(81).unwrap().colour, Colour::Red);
    assert_eq!(
        list.lookup_slot(81).unwrap().nat.unwrap().result,
        NatResult::Positive
    );
    assert_eq!(list.lookup_slot(82).unwrap().nat, None);
    assert_eq!(list.lookup_slot(83), None);
    assert_eq!(list.lookup(&token(1)), None);
    // A symbol that is not one, signed: refused.
    let mut payload = 1u32.to_be_bytes().to_vec();
    payload.push(225);
    let bad = list::seal(ListKind::City, &key(), seal(), &payload).unwrap();
    assert_eq!(
        StatusList::load(&bad, &trust(Usage::Status), t(NOW))
            .unwrap_err()
            .code(),
        "malformed"
    );
    // A test after the list's time cannot be listed.
    let future = negative(-2);
    assert!(StatusList::build_slots([Some(future)], seal(), &key()).is_err());
}

/// An offline code with a slot resolves from a slot list; without one it is unknown there.
#[test]
fn an_offline_code_with_a_slot_resolves_from_the_city_list() {
    let tokens = TokenKey::from_bytes([7; 32]);
    let id = IdNumber::parse("11010519491231002X").unwrap();
    let issue = PersonalIssue {
        profile: Profile::Offline,
        generation: 0,
        issued_at: t("2022-04-01T00:00:00Z"),
        valid_secs: None,
        status: None,
    };
    let card = PersonalCode::for_holder("张三丰", &id, &tokens, &issue).unwrap();
    let slotted = card.clone().with_slot(2).unwrap();
    let green = HealthStatus {
        colour: Colour::Green,
        nat: None,
    };
    let bytes = StatusList::build_slots([None, None, Some(green)], seal(), &key()).unwrap();
    let list = StatusList::load(&bytes, &trust(Usage::Status), t(NOW)).unwrap();
    assert_eq!(list.status_of(&slotted).unwrap().status, green);
    assert_eq!(list.status_of(&card), None);
    // Dynamic codes have no slot.
    let dynamic = PersonalIssue {
        profile: Profile::Dynamic,
        status: Some(green),
        valid_secs: Some(60),
        ..issue
    };
    let code = PersonalCode::for_holder("张三丰", &id, &tokens, &dynamic).unwrap();
    assert_eq!(code.with_slot(1).unwrap_err().code(), "invalid_input");
}
