use super::*;
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
        id: RecordId::derive(at, &[door.as_bytes(), &[visitor.unwrap_or(0xFF)]]),
        origin: Origin::Gate,
        device: "gate-1".into(),
        venue_id: "SH-PT-0018".into(),
        door: door.into(),
        at,
        pseudonym: visitor.map(|v| Pseudonym([v; 16])),
        name: visitor.map(|_| "张*丰".into()),
        id_number: visitor.map(|_| "110105********00**".into()),
        profile: visitor.map(|_| Profile::Dynamic),
        phone: None,
        code_state: Some(if visitor.is_some() {
            CodeState::Valid
        } else {
            CodeState::Expired
        }),
        colour,
        test_age_hours: None,
        decision,
        report: colour == Some(Colour::Red),
        rule: "r".into(),
        staff: None,
        resolves: None,
        companion_of: None,
        trace: None,
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
    assert_eq!(door_count(&summary, "SH-PT-0018", "东门"), Some(6));
    // Shared beyond the venue with k = 3: the small counts are withheld, zeros are not, and
    // neither is a count the total would give away: red 1 and none 1 are withheld, and green
    // too, or green = 7 - 0 - red - none would tell red + none = 2.
    let published = s.published(3);
    assert_eq!(
        (
            published.scans,
            published.reports,
            published.by_colour.yellow
        ),
        (Some(7), None, Some(0))
    );
    let c = published.by_colour;
    assert_eq!((c.green, c.red, c.none), (None, None, None));
    assert_eq!(door_count(&published, "SH-PT-0018", "北门"), None);
    assert_eq!(door_count(&published, "SH-PT-0018", "东门"), None);
    // Decisions: admit 5, deny 2 (below 3): both withheld, manual 0 shown.
    let d = published.by_decision;
    assert_eq!((d.admit, d.deny, d.manual), (None, None, Some(0)));
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

fn door_count(s: &StatsSummary, venue_id: &str, door: &str) -> Option<u64> {
    let d = s
        .by_door
        .iter()
        .find(|d| (d.venue_id.as_str(), d.door.as_str()) == (venue_id, door));
    d.and_then(|d| d.scans)
}

#[test]
fn doors_are_counted_by_venue_and_label() {
    // Two venues' east doors are two doors, and one visitor's scans there are two visits.
    let day = Day::of(t("2022-04-06T12:00:00+08:00"));
    let mut s = DailyStats::new(day, DEFAULT_RESCAN_WINDOW_SECS);
    let at = t("2022-04-06T08:00:00+08:00");
    let mut other = record(Some(1), "东门", at.saturating_add(60), None, Outcome::Admit);
    other.venue_id = "SH-QP-0007".into();
    s.add(&record(Some(1), "东门", at, None, Outcome::Admit))
        .unwrap();
    s.add(&other).unwrap();
    let summary = s.summary();
    assert_eq!(summary.by_door.len(), 2);
    assert_eq!(door_count(&summary, "SH-PT-0018", "东门"), Some(1));
    assert_eq!(door_count(&summary, "SH-QP-0007", "东门"), Some(1));
    assert_eq!(s.visits(), 2);
}

proptest! {
    /// No withheld cell of a published breakdown can be worked out from the total and the
    /// cells shown: the withheld ones add up to at least k.
    #[test]
    fn published_cells_cannot_be_worked_out(records in any_records(), k in 2u64..8) {
        let day = Day::of(t("2022-04-06T12:00:00+08:00"));
        let mut s = DailyStats::new(day, 600);
        for (r, _) in &records {
            s.add(r).unwrap();
        }
        let exact = s.summary();
        let p = s.published(k);
        let total = exact.scans.unwrap();
        let c = |x: ColourCounts| [x.green, x.yellow, x.red, x.none];
        let d = |x: DecisionCounts| [x.admit, x.deny, x.manual];
        let doors = |x: &StatsSummary| x.by_door.iter().map(|d| d.scans).collect::<Vec<_>>();
        let groups = [
            (c(exact.by_colour).to_vec(), c(p.by_colour).to_vec()),
            (d(exact.by_decision).to_vec(), d(p.by_decision).to_vec()),
            (doors(&exact), doors(&p)),
        ];
        for (exact, shown) in groups {
            let withheld: u64 = exact.iter().zip(&shown).filter(|(_, s)| s.is_none()).map(|(e, _)| e.unwrap()).sum();
            if shown.iter().any(Option::is_none) {
                prop_assert!(p.scans.is_none() || withheld >= k, "withheld {withheld} < k {k}");
            }
            for (e, s) in exact.iter().zip(&shown) {
                if let Some(s) = s {
                    prop_assert_eq!(Some(*s), *e);
                    prop_assert!(*s == 0 || *s >= k);
                }
            }
        }
        // A total below k is withheld; one at or above k usually shows, but the greedy audit
        // may withhold it when nothing else keeps a count from being given away (withholding
        // more is safe: see the module `disclosure`).
        if total > 0 && total < k {
            prop_assert!(p.scans.is_none());
        }
    }

    /// Nor from counts of other breakdowns and totals: no withheld count's records are the
    /// records of one to three counts shown, added or taken away (red as the reports less
    /// yellow), checked record by record, apart from the code under test.
    #[test]
    fn withheld_counts_are_no_sum_or_difference_of_counts_shown(records in any_records(), k in 2u64..8, rule in 0u8..3, flip in any::<u64>()) {
        let day = Day::of(t("2022-04-06T12:00:00+08:00"));
        let mut s = DailyStats::new(day, 600);
        let mut records: Vec<ScanRecord> = records.into_iter().map(|(r, _)| r).collect();
        // What is reported: red (the records as made), red and yellow, or red with some
        // records flipped.
        for (i, r) in records.iter_mut().enumerate() {
            match rule {
                0 => {}
                1 => r.report = matches!(r.colour, Some(Colour::Red | Colour::Yellow)),
                _ => r.report ^= flip >> (i % 64) & 1 == 1,
            }
        }
        for r in &records {
            s.add(r).unwrap();
        }
        let p = s.published(k);
        // Each count as (what is shown, which records it counts).
        let colour = |c: Option<Colour>| move |r: &ScanRecord| r.colour == c;
        let decision = |d: Outcome| move |r: &ScanRecord| r.decision == d;
        let mut counts: Vec<(Option<u64>, Vec<i64>)> = Vec::new();
        let mut add = |shown: Option<u64>, of: &dyn Fn(&ScanRecord) -> bool| {
            counts.push((shown, records.iter().map(|r| i64::from(of(r))).collect()));
        };
        add(p.scans, &|_| true);
        add(p.reports, &|r| r.report);
        add(p.by_colour.green, &colour(Some(Colour::Green)));
        add(p.by_colour.yellow, &colour(Some(Colour::Yellow)));
        add(p.by_colour.red, &colour(Some(Colour::Red)));
        add(p.by_colour.none, &colour(None));
        add(p.by_decision.admit, &decision(Outcome::Admit));
        add(p.by_decision.deny, &decision(Outcome::Deny));
        add(p.by_decision.manual, &decision(Outcome::Manual));
        for d in &p.by_door {
            let door = d.door.clone();
            add(d.scans, &move |r: &ScanRecord| r.door == door);
        }
        let shown: Vec<&Vec<i64>> = counts.iter().filter(|c| c.0.is_some()).map(|c| &c.1).collect();
        for (value, of) in counts.iter().filter(|c| c.0.is_none()) {
            if of.iter().all(|&x| x == 0) {
                continue;
            }
            let n = shown.len();
            for a in 0..n {
                for b in a..=n {
                    for c in b..=n {
                        for signs in 0..8u8 {
                            let mut sum = vec![0i64; of.len()];
                            for (j, &i) in [a, b, c].iter().enumerate() {
                                if i == n || (j > 0 && i == [a, b, c][j - 1]) {
                                    continue;
                                }
                                let sign = if signs >> j & 1 == 1 { -1 } else { 1 };
                                for (x, y) in sum.iter_mut().zip(shown[i]) {
                                    *x += sign * y;
                                }
                            }
                            prop_assert!(sum != *of, "a withheld count ({value:?}) is {a}, {b}, {c} with signs {signs:03b}");
                        }
                    }
                }
            }
        }
    }
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

#[test]
fn an_uploaded_record_carries_masks_only() {
    let good = record(
        Some(1),
        "东门",
        t("2022-04-06T09:00:00+08:00"),
        Some(Colour::Green),
        Outcome::Admit,
    );
    assert_eq!(good.check(), Ok(()));
    let with_phone = ScanRecord {
        phone: Some("138****5678".into()),
        ..good.clone()
    };
    assert_eq!(with_phone.check(), Ok(()));
    // Masks of both shapes, and door numbers, pass.
    for (name, door) in [
        ("张*丰", "1号门"),
        ("张**", "B2-100001"),
        ("欧阳**", "东门"),
    ] {
        let r = ScanRecord {
            name: Some(name.into()),
            door: door.into(),
            ..good.clone()
        };
        assert_eq!(r.check(), Ok(()), "{name} {door}");
    }
    let bad = [
        (
            "name",
            ScanRecord {
                name: Some("张三丰".into()),
                ..good.clone()
            },
        ),
        (
            "id_number",
            ScanRecord {
                id_number: Some("110105194912310025".into()),
                ..good.clone()
            },
        ),
        // Red team, 2026-12: a raw name with any one `*` passed, and a door label carried a
        // name, an ID number and a phone number, or bidi and zero-width characters.
        (
            "name",
            ScanRecord {
                name: Some("张*丰丰".into()),
                ..good.clone()
            },
        ),
        (
            "name",
            ScanRecord {
                name: Some("*张三丰".into()),
                ..good.clone()
            },
        ),
        (
            "door",
            ScanRecord {
                door: "东门 张三丰 110105194912310025".into(),
                ..good.clone()
            },
        ),
        (
            "door",
            ScanRecord {
                door: "东门 13812345678".into(),
                ..good.clone()
            },
        ),
        (
            "door",
            ScanRecord {
                door: "东门\u{202e}".into(),
                ..good.clone()
            },
        ),
        (
            "door",
            ScanRecord {
                door: "东\u{200b}门".into(),
                ..good.clone()
            },
        ),
        (
            "phone",
            ScanRecord {
                phone: Some("13812345678".into()),
                ..good.clone()
            },
        ),
        (
            "device",
            ScanRecord {
                device: "two words".into(),
                ..good.clone()
            },
        ),
        (
            "staff",
            ScanRecord {
                staff: Some(String::new()),
                ..good.clone()
            },
        ),
        (
            "venue_id",
            ScanRecord {
                venue_id: String::new(),
                ..good.clone()
            },
        ),
        (
            "door",
            ScanRecord {
                door: "x".repeat(257),
                ..good.clone()
            },
        ),
        (
            "rule",
            ScanRecord {
                rule: "a\nb".into(),
                ..good.clone()
            },
        ),
    ];
    for (field, r) in bad {
        match r.check() {
            Err(Error::InvalidInput { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: {other:?}"),
        }
    }
}

#[test]
fn hours_are_counted_by_colour_in_china_standard_time() {
    let day: Day = "2022-04-06".parse().unwrap();
    let mut hours = HourlyCounts::new(day);
    for (at, colour) in [
        ("2022-04-06T00:10:00+08:00", Some(Colour::Green)),
        ("2022-04-06T09:00:00+08:00", Some(Colour::Green)),
        ("2022-04-06T09:59:59+08:00", Some(Colour::Red)),
        ("2022-04-06T23:59:59+08:00", None),
        // The day before and after, in CST.
        ("2022-04-05T23:59:59+08:00", Some(Colour::Green)),
        ("2022-04-07T00:00:00+08:00", Some(Colour::Green)),
    ] {
        hours.add(&record(Some(1), "东门", t(at), colour, Outcome::Admit));
    }
    let resolution = ScanRecord {
        resolves: Some(RecordId([1; 16])),
        ..record(
            Some(1),
            "东门",
            t("2022-04-06T09:30:00+08:00"),
            None,
            Outcome::Admit,
        )
    };
    hours.add(&resolution);
    assert_eq!(hours.hours.len(), 24);
    let h = |i: usize| hours.hours[i];
    assert_eq!((h(0).hour, h(0).green), (0, 1));
    assert_eq!((h(9).green, h(9).red, h(9).none), (1, 1, 0));
    assert_eq!(h(23).none, 1);
    let total: u64 = hours
        .hours
        .iter()
        .map(|h| h.green + h.yellow + h.red + h.none)
        .sum();
    assert_eq!(total, 4);
}

#[test]
fn a_withheld_colour_is_not_the_reports_less_the_colours_shown() {
    // The red team's day: 34 reports, 28 of them yellow and 6 red, with k = 10. Red is withheld
    // (6 < 10); the reports less yellow gave it back (34 - 28 = 6), so one of them goes too.
    let day = Day::of(t("2022-04-06T12:00:00+08:00"));
    let mut s = DailyStats::new(day, 600);
    let at = t("2022-04-06T08:00:00+08:00");
    let add = |s: &mut DailyStats, n: u8, colour: Colour, report: bool, outcome: Outcome| {
        for v in 0..n {
            let mut r = record(
                Some(v),
                "东门",
                at.saturating_add(i64::from(v) * 60),
                Some(colour),
                outcome,
            );
            r.report = report;
            r.id = RecordId::derive(r.at, &[&[colour.code(), v]]);
            s.add(&r).unwrap();
        }
    };
    add(&mut s, 100, Colour::Green, false, Outcome::Admit);
    add(&mut s, 28, Colour::Yellow, true, Outcome::Deny);
    add(&mut s, 6, Colour::Red, true, Outcome::Deny);
    // Five scans without a status, checked by hand: withheld with red, 11 together.
    for v in 0..5u8 {
        let mut r = record(
            Some(v),
            "东门",
            at.saturating_add(i64::from(v)),
            None,
            Outcome::Manual,
        );
        r.id = RecordId::derive(r.at, &[b"none", &[v]]);
        s.add(&r).unwrap();
    }
    let exact = s.summary();
    assert_eq!(
        (exact.reports, exact.by_colour.yellow, exact.by_colour.red),
        (Some(34), Some(28), Some(6))
    );
    let p = s.published(10);
    assert_eq!(p.by_colour.red, None);
    assert!(
        p.reports.is_none() || p.by_colour.yellow.is_none(),
        "red = reports - yellow: {p:?}"
    );
    // Deny is yellow and red together: deny less yellow would be red too.
    assert!(
        p.by_decision.deny.is_none() || p.by_colour.yellow.is_none(),
        "red = deny - yellow: {p:?}"
    );
    // Green and the total stay shown: nothing small hides in them.
    assert_eq!((p.scans, p.by_colour.green), (Some(139), Some(100)));
}
