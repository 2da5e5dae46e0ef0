use super::*;
use crate::keys::trust::{TrustList, TrustedKey};
use proptest::prelude::*;

const SETS: [&str; 2] = ["sh-2022-04-01", "sh-2022-public-48h"];

/// Interned classes, so that facts can borrow one by name.
fn class_named(name: &str) -> &'static VenueClass {
    const CLASSES: [&str; 6] = [
        "public",
        "religious",
        "residential",
        "office",
        "stadium",
        "",
    ];
    static ALL: std::sync::OnceLock<Vec<VenueClass>> = std::sync::OnceLock::new();
    let all = ALL.get_or_init(|| CLASSES.iter().map(|c| VenueClass::named(c)).collect());
    &all[CLASSES.iter().position(|c| *c == name).unwrap()]
}

fn facts(code: &str, colour: Option<Colour>, test: TestFact, class: &str) -> Facts<'static> {
    let class = class_named(class);
    let status = if code == "valid" {
        StatusState::Fresh
    } else {
        StatusState::Unknown
    };
    let (colour, test) = if code == "valid" {
        (colour, test)
    } else {
        (None, TestFact::None)
    };
    Facts {
        code: code.parse().unwrap(),
        status,
        colour,
        test,
        class,
        revocations: Revocations::Checked,
    }
}

/// The two built-in sets as the issue states them, written independently of their JSON.
fn oracle(set: &str, code: &str, colour: Colour, test: TestFact, class: &str) -> (Outcome, bool) {
    match code {
        "valid" => {}
        "unknown_key" => return (Outcome::Manual, false),
        "replayed" => return (Outcome::Deny, true),
        _ => return (Outcome::Deny, false),
    }
    match colour {
        Colour::Yellow | Colour::Red => (Outcome::Deny, true),
        Colour::Green if set == "sh-2022-public-48h" && matches!(class, "public" | "religious") => {
            match test {
                TestFact::Taken(NatResult::Negative, age) if age <= 48 * 3600 => {
                    (Outcome::Admit, false)
                }
                _ => (Outcome::Deny, false),
            }
        }
        Colour::Green => (Outcome::Admit, false),
    }
}

#[test]
fn built_in_sets_load_and_pass_their_tests() {
    for id in SETS {
        let p = Policy::builtin(id).unwrap();
        assert_eq!(p.id(), id);
        assert!(p.test_count() >= 10);
        assert!(p.description().is_some());
    }
    assert_eq!(
        Policy::builtin("nope").unwrap_err().code(),
        "invalid_policy"
    );
}

#[test]
fn the_table_colour_by_test_by_class_by_code_state_under_both_sets() {
    let tests = [
        ("none", TestFact::None),
        ("12 h", TestFact::Taken(NatResult::Negative, 12 * 3600)),
        ("47 h", TestFact::Taken(NatResult::Negative, 47 * 3600)),
        ("49 h", TestFact::Taken(NatResult::Negative, 49 * 3600)),
        ("positive", TestFact::Taken(NatResult::Positive, 6 * 3600)),
    ];
    let mut cases = 0;
    for set in SETS {
        let policy = Policy::builtin(set).unwrap();
        for colour in [Colour::Green, Colour::Yellow, Colour::Red] {
            for (test_name, test) in tests {
                for class in ["public", "religious", "residential", "office"] {
                    for code in ["valid", "expired", "superseded", "revoked", "bad_signature"] {
                        let d = policy.decide(&facts(code, Some(colour), test, class));
                        let expected = oracle(set, code, colour, test, class);
                        assert_eq!(
                            (d.decision, d.report),
                            expected,
                            "{set}: {code} {colour:?} test {test_name} at {class} (rule {})",
                            d.rule
                        );
                        assert!(!d.reasons[0].zh.is_empty() && !d.reasons[0].en.is_empty());
                        cases += 1;
                    }
                }
            }
        }
    }
    assert_eq!(cases, 2 * 3 * 5 * 4 * 5);
}

#[test]
fn cases_outside_the_rules_go_to_staff() {
    let p = Policy::builtin("sh-2022-04-01").unwrap();
    // Unknown key: manual; no status: manual; a class the set does not know: the default.
    assert_eq!(
        p.decide(&facts("unknown_key", None, TestFact::None, "public"))
            .decision,
        Outcome::Manual
    );
    let no_status = Facts {
        code: CodeState::Valid,
        status: StatusState::Unknown,
        colour: None,
        test: TestFact::None,
        class: &VenueClass::Public,
        revocations: Revocations::Checked,
    };
    assert_eq!(p.decide(&no_status).rule, "no-status");
    let stale = Facts {
        status: StatusState::Stale,
        colour: Some(Colour::Green),
        ..no_status
    };
    assert_eq!(p.decide(&stale).decision, Outcome::Manual);
    let unknown_class = facts("valid", Some(Colour::Green), TestFact::None, "stadium");
    assert_eq!(p.decide(&unknown_class).rule, "default");
    // A sample dated after the door time counts as old under a window.
    let p2 = Policy::builtin("sh-2022-public-48h").unwrap();
    let future = facts(
        "valid",
        Some(Colour::Green),
        TestFact::Taken(NatResult::Negative, -3600),
        "public",
    );
    assert_eq!(p2.decide(&future).rule, "green-untested");
}

fn edited(f: impl FnOnce(&mut serde_json::Value)) -> String {
    let mut v: serde_json::Value = serde_json::from_str(BUILTIN[1].1).unwrap();
    f(&mut v);
    v.to_string()
}

#[test]
fn bad_rule_sets_are_refused_naming_the_rule_or_test() {
    let err = |json: String| Policy::from_json(&json).unwrap_err().to_string();
    let e = err(edited(|v| {
        v["rules"][4]["when"]["colour"] = serde_json::json!(["purple"])
    }));
    assert!(e.contains("rule green") && e.contains("purple"), "{e}");
    let e = err(edited(|v| {
        v["rules"][5]["when"]["hue"] = serde_json::json!(["green"])
    }));
    assert!(e.contains("rule green-tested") && e.contains("hue"), "{e}");
    let e = err(edited(|v| {
        v["rules"][4]["when"]["class"] = serde_json::json!(["stadium"])
    }));
    assert!(e.contains("rule green") && e.contains("stadium"), "{e}");
    // Green at offices admits by one rule and would deny by another: a conflict.
    let e = err(edited(|v| {
        v["rules"][6]["when"]["class"] = serde_json::json!(["public", "religious", "office"])
    }));
    assert!(
        e.contains("green") && e.contains("green-untested") && e.contains("different outcomes"),
        "{e}"
    );
    let e = err(edited(|v| v["test_window_hours"] = serde_json::Value::Null));
    assert!(
        e.contains("rule green-tested") && e.contains("test_window_hours"),
        "{e}"
    );
    let e = err(edited(|v| {
        v["tests"][0]["expect"]["decision"] = serde_json::json!("deny")
    }));
    assert!(
        e.contains("test green with a 12 h test") && e.contains("expected Deny"),
        "{e}"
    );
    let e = err(edited(|v| v["tests"] = serde_json::json!([])));
    assert!(e.contains("test cases"), "{e}");
    let e = err(edited(|v| {
        v["rules"][1]["id"] = serde_json::json!("invalid-code")
    }));
    assert!(e.contains("the id is taken"), "{e}");
    let e = err(edited(|v| {
        v["rules"][0]["when"]["code"] = serde_json::json!([])
    }));
    assert!(e.contains("never matches"), "{e}");
    let e = err(edited(|v| v["surprise"] = serde_json::json!(1)));
    assert!(e.contains("surprise"), "{e}");
    // Valid but for its length: only the guard refuses it.
    let padded = format!("{}{}", BUILTIN[0].1, " ".repeat(MAX_POLICY_BYTES));
    assert!(err(padded).contains("longer than"));
    // Rules with the same outcome may overlap.
    assert!(
        Policy::from_json(&edited(|v| {
            let copy = v["rules"][0].clone();
            let mut copy = copy;
            copy["id"] = serde_json::json!("invalid-again");
            v["rules"].as_array_mut().unwrap().push(copy);
        }))
        .is_ok()
    );
}

#[test]
fn signed_rule_sets() {
    let key = SecretKey::from_seed(&[4; 32]);
    let mut trust = TrustList::new();
    trust
        .add(TrustedKey::new(key.public_key(), Usage::Policy))
        .unwrap();
    // A signed set needs an end no more than 400 days after its start.
    assert!(
        Policy::sign(BUILTIN[1].1.as_bytes(), &key)
            .unwrap_err()
            .to_string()
            .contains("400 days")
    );
    let dated = BUILTIN[1].1.replace(
        "\"valid_until\": null",
        "\"valid_until\": \"2023-04-01T00:00:00+08:00\"",
    );
    let json = dated.as_bytes();
    let signed = Policy::sign(json, &key).unwrap();
    let now = Timestamp::parse_rfc3339("2022-06-01T00:00:00Z").unwrap();
    let p = Policy::load_signed(&signed, &trust, now).unwrap();
    assert_eq!(p.id(), "sh-2022-public-48h");
    // Its serial is its revision, under the key's issuer.
    let accepted = p.accepted().unwrap();
    assert_eq!(accepted.serial, u64::from(p.revision()));
    assert_eq!(accepted.issuer, key.public_key().id().to_string());
    assert!(
        Policy::builtin("sh-2022-public-48h")
            .unwrap()
            .accepted()
            .is_none()
    );
    // Before its valid_from: not yet valid.
    let early = Timestamp::parse_rfc3339("2022-03-01T00:00:00Z").unwrap();
    assert_eq!(
        Policy::load_signed(&signed, &trust, early).unwrap_err(),
        Error::NotYetValid(Subject::Policy)
    );
    // Tampered payload: bad signature.
    let mut v: serde_json::Value = serde_json::from_slice(&signed).unwrap();
    let payload = v["payload"].as_str().unwrap().replacen("34", "35", 1);
    v["payload"] = payload.into();
    let tampered = serde_json::to_vec(&v).unwrap();
    assert_eq!(
        Policy::load_signed(&tampered, &trust, now).unwrap_err(),
        Error::BadSignature
    );
    // A key trusted for something else cannot sign rules.
    let mut venue_only = TrustList::new();
    venue_only
        .add(
            TrustedKey::new(key.public_key(), Usage::Venue)
                .with_prefix(&crate::Prefix::new("HTTPS://VC.SH.GOV.CN/1/").unwrap()),
        )
        .unwrap();
    assert!(matches!(
        Policy::load_signed(&signed, &venue_only, now),
        Err(Error::WrongKeyUsage(_))
    ));
    // A rule set that fails its own tests cannot be signed.
    let broken = edited(|v| v["tests"][0]["expect"]["rule"] = serde_json::json!("green"));
    assert!(Policy::sign(broken.as_bytes(), &key).is_err());
}

fn any_facts() -> impl Strategy<Value = (usize, Option<Colour>, TestFact, usize, usize)> {
    (
        0usize..CodeState::ALL.len(),
        proptest::option::of(prop_oneof![
            Just(Colour::Green),
            Just(Colour::Yellow),
            Just(Colour::Red)
        ]),
        prop_oneof![
            Just(TestFact::None),
            (any::<bool>(), any::<i64>()).prop_map(|(neg, age)| TestFact::Taken(
                if neg {
                    NatResult::Negative
                } else {
                    NatResult::Positive
                },
                age
            )),
        ],
        0usize..3,
        0usize..6,
    )
}

proptest! {
    /// No case makes either set panic, red never admits, and neither does an offline code
    /// checked without a revocation list.
    #[test]
    fn red_never_admits((code, colour, test, status, class) in any_facts(), unchecked: bool) {
        let code = CodeState::ALL[code];
        let status = [StatusState::Fresh, StatusState::Stale, StatusState::Unknown][status];
        let class = class_named(["public", "religious", "residential", "office", "stadium", ""][class]);
        for set in SETS {
            let p = Policy::builtin(set).unwrap();
            let d = p.decide(&Facts {
                code,
                status,
                colour,
                test,
                class,
                revocations: if unchecked { Revocations::Unchecked } else { Revocations::Checked },
            });
            if unchecked {
                prop_assert_ne!(d.decision, Outcome::Admit, "{} admitted unchecked by {}", set, d.rule);
            }
            if colour == Some(Colour::Red) {
                prop_assert_ne!(d.decision, Outcome::Admit, "{} admitted red by {}", set, d.rule);
            }
            if code != CodeState::Valid {
                prop_assert_ne!(d.decision, Outcome::Admit);
            }
        }
    }
}
