use super::*;
use crate::gate::{GateContext, check_personal};
use crate::id::IdNumber;
use crate::person::{HealthStatus, PersonalCode, PersonalIssue};
use crate::policy::Policy;
use crate::token::TokenKey;
use crate::trust::{TrustList, TrustedKey, Usage};
use crate::{Prefix, SecretKey};
use proptest::prelude::*;

fn t(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(s).unwrap()
}

fn record(
    visitor: Option<u8>,
    door: &str,
    at: Timestamp,
    colour: Option<Colour>,
    decision: Outcome,
) -> ScanRecord {
    ScanRecord {
        venue_id: "SH-PT-0018".into(),
        door: door.into(),
        at,
        pseudonym: visitor.map(|v| Pseudonym([v; 16])),
        name: visitor.map(|_| "张*丰".into()),
        id_number: visitor.map(|_| "110105********00**".into()),
        profile: visitor.map(|_| Profile::Dynamic),
        code_state: if visitor.is_some() {
            "valid"
        } else {
            "expired"
        }
        .into(),
        colour,
        test_age_hours: None,
        decision,
        report: colour == Some(Colour::Red),
        rule: "r".into(),
    }
}

#[test]
fn days_are_counted_in_china_standard_time() {
    let d = Day::of(t("2022-04-01T00:00:00+08:00"));
    assert_eq!(d.to_string(), "2022-04-01");
    assert_eq!(Day::of(t("2022-03-31T16:00:00Z")), d);
    assert_eq!(Day::of(t("2022-03-31T15:59:59Z")).to_string(), "2022-03-31");
    assert_eq!("2022-04-01".parse::<Day>().unwrap(), d);
    assert!("2022-13-01".parse::<Day>().is_err());
}

#[test]
fn scans_visits_visitors_and_rescans() {
    let day = Day::of(t("2022-04-06T12:00:00+08:00"));
    let mut s = DailyStats::new(day, DEFAULT_RESCAN_WINDOW_SECS);
    let green = Some(Colour::Green);
    // Visitor 1 at the east door: 08:00, 08:05, 08:14 (one visit), 08:30 (a second visit).
    for at in ["08:00", "08:05", "08:14", "08:30"] {
        s.add(&record(
            Some(1),
            "东门",
            t(&format!("2022-04-06T{at}:00+08:00")),
            green,
            Outcome::Admit,
        ))
        .unwrap();
    }
    // The same visitor at the north door: a visit of its own.
    s.add(&record(
        Some(1),
        "北门",
        t("2022-04-06T08:06:00+08:00"),
        green,
        Outcome::Admit,
    ))
    .unwrap();
    // Visitor 2, red, reported; and an expired code with no visitor.
    s.add(&record(
        Some(2),
        "东门",
        t("2022-04-06T09:00:00+08:00"),
        Some(Colour::Red),
        Outcome::Deny,
    ))
    .unwrap();
    s.add(&record(
        None,
        "东门",
        t("2022-04-06T09:01:00+08:00"),
        None,
        Outcome::Deny,
    ))
    .unwrap();
    assert_eq!(s.scans(), 7);
    assert_eq!(s.visits(), 2 + 1 + 1 + 1);
    assert_eq!(s.distinct_visitors(), 2);
    let summary = s.summary();
    assert_eq!(summary.reports, Some(1));
    assert_eq!(
        (
            summary.by_colour.green,
            summary.by_colour.red,
            summary.by_colour.none
        ),
        (Some(5), Some(1), Some(1))
    );
    assert_eq!(
        (summary.by_decision.admit, summary.by_decision.deny),
        (Some(5), Some(2))
    );
    assert_eq!(summary.by_door["东门"], Some(6));
    // Shared beyond the venue with k = 3: the small counts are withheld, zeros are not.
    let published = s.published(3);
    assert_eq!(
        (
            published.scans,
            published.reports,
            published.by_colour.yellow
        ),
        (Some(7), None, Some(0))
    );
    assert_eq!(published.by_door["北门"], None);
    // A record of another day is refused.
    assert!(
        s.add(&record(
            Some(3),
            "东门",
            t("2022-04-07T08:00:00+08:00"),
            green,
            Outcome::Admit
        ))
        .is_err()
    );
    assert!(s.merge(&DailyStats::new(day, 60)).is_err());
}

#[test]
fn records_from_the_gate_hold_no_raw_data() {
    let (personal, keys) = (
        SecretKey::from_seed(&[2; 32]),
        TokenKey::from_bytes([1; 32]),
    );
    let mut trust = TrustList::new();
    trust
        .add(TrustedKey::new(personal.public_key(), Usage::Personal))
        .unwrap();
    let id = IdNumber::parse("11010519491231002X").unwrap();
    let now = t("2022-04-06T08:00:00+08:00");
    let status = Some(HealthStatus {
        colour: Colour::Green,
        nat: Some(NatTest {
            result: crate::person::NatResult::Negative,
            sampled_at: now.saturating_add(-30 * 3600),
        }),
    });
    let issue = PersonalIssue {
        profile: Profile::Dynamic,
        generation: 0,
        issued_at: now,
        valid_secs: None,
        status,
    };
    let text = PersonalCode::for_holder("张三丰", &id, &keys, &issue)
        .unwrap()
        .issue(&personal, &Prefix::default())
        .unwrap();
    let ctx = GateContext {
        keys: &trust,
        status: None,
        revocations: None,
        max_status_age_secs: 86_400,
    };
    let policy = Policy::builtin("sh-2022-public-48h").unwrap();
    let venue_key = PseudonymKey::for_venue(&[9; 32], "SH-PT-0018");
    let checked = check_personal(&text, &ctx, now);
    let r = ScanRecord::of(
        &checked,
        &checked.decide(&policy, "religious"),
        "SH-PT-0018",
        "东门",
        &venue_key,
    );
    assert_eq!(
        (r.decision, r.test_age_hours, r.code_state.as_str()),
        (Outcome::Admit, Some(30), "valid")
    );
    assert_eq!(r.pseudonym, Some(venue_key.pseudonym(&keys.token(&id))));
    let json = serde_json::to_string(&r).unwrap();
    assert!(
        json.contains("张*丰") && !json.contains("张三丰") && !json.contains("19491231"),
        "{json}"
    );
    // A replayed screenshot: denied, no visitor attached.
    let late = check_personal(&text, &ctx, now.saturating_add(120));
    let r = ScanRecord::of(
        &late,
        &late.decide(&policy, "religious"),
        "SH-PT-0018",
        "东门",
        &venue_key,
    );
    assert_eq!(
        (r.decision, r.pseudonym, r.name, r.code_state.as_str()),
        (Outcome::Deny, None, None, "expired")
    );
}

fn any_records() -> impl Strategy<Value = Vec<(ScanRecord, bool)>> {
    let start = t("2022-04-06T00:00:00+08:00");
    proptest::collection::vec(
        (
            proptest::option::of(0u8..6),
            0usize..3,
            0i64..86_400,
            proptest::option::of(prop_oneof![
                Just(Colour::Green),
                Just(Colour::Yellow),
                Just(Colour::Red)
            ]),
            0usize..3,
            any::<bool>(),
        )
            .prop_map(move |(v, door, second, colour, decision, shard)| {
                let decision = [Outcome::Admit, Outcome::Deny, Outcome::Manual][decision];
                (
                    record(
                        v,
                        ["东门", "北门", "南门"][door],
                        start.saturating_add(second),
                        colour,
                        decision,
                    ),
                    shard,
                )
            }),
        0..200,
    )
}

proptest! {
    /// Two shards merged give exactly the statistics of all their records.
    #[test]
    fn statistics_merge_exactly(records in any_records(), window in 0u32..3600) {
        let day = Day::of(t("2022-04-06T12:00:00+08:00"));
        let (mut all, mut a, mut b) = (DailyStats::new(day, window), DailyStats::new(day, window), DailyStats::new(day, window));
        for (r, shard) in &records {
            all.add(r).unwrap();
            if *shard { a.add(r).unwrap() } else { b.add(r).unwrap() }
        }
        a.merge(&b).unwrap();
        prop_assert_eq!(a.summary(), all.summary());
        prop_assert_eq!(&a, &all);
        prop_assert!(all.distinct_visitors() <= all.visits() && all.visits() <= all.scans());
    }
}
