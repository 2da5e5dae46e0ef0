use super::*;
use crate::Subject;
use crate::keys::trust::{TrustList, TrustedKey};
use proptest::prelude::*;

const ID: &str = "11010519491231002X";
const NAME: &str = "张三丰";

fn key() -> SecretKey {
    SecretKey::from_seed(&[9; 32])
}

fn tokens() -> TokenKey {
    TokenKey::from_bytes([7; 32])
}

fn trust() -> TrustList {
    let mut list = TrustList::new();
    list.add(
        TrustedKey::new(key().public_key(), Usage::Personal)
            .with_prefix(&Prefix::new("HTTPS://HC.SH.GOV.CN/P/").unwrap()),
    )
    .unwrap();
    list
}

fn t0() -> Timestamp {
    Timestamp::parse_rfc3339("2022-04-06T09:30:00+08:00").unwrap()
}

fn issue(
    profile: Profile,
    status: Option<HealthStatus>,
    valid_secs: Option<u32>,
) -> Result<PersonalCode, Error> {
    let id = IdNumber::parse(ID).unwrap();
    let issue = PersonalIssue {
        profile,
        generation: 3,
        issued_at: t0(),
        valid_secs,
        status,
    };
    PersonalCode::for_holder(NAME, &id, &tokens(), &issue)
}

fn green_tested() -> Option<HealthStatus> {
    Some(HealthStatus {
        colour: Colour::Green,
        nat: Some(NatTest {
            result: NatResult::Negative,
            sampled_at: t0().saturating_add(-12 * 3600),
        }),
    })
}

fn text_of(code: &PersonalCode) -> String {
    code.issue(&key(), &Prefix::new("HTTPS://HC.SH.GOV.CN/P/").unwrap())
        .unwrap()
}

#[test]
fn offline_codes_round_trip_without_raw_data() {
    let code = issue(Profile::Offline, None, None).unwrap();
    assert_eq!(code.name, "张*丰");
    assert_eq!(code.id_number, "110105********00**");
    assert_eq!(code.valid_until, t0().saturating_add(180 * 86_400));
    let text = text_of(&code);
    let verified = verify_personal_code(&text, &trust(), t0()).unwrap();
    assert_eq!(verified.code(), &code);
    assert!(tokens().holder_matches(&IdNumber::parse(ID).unwrap(), &verified.code().holder));
    // Neither the raw name nor the hidden digits are in the signed bytes.
    let body = crate::encoding::base41::decode(&text[text.rfind('/').unwrap() + 1..]).unwrap();
    let mut raw_name = Vec::new();
    text::encode_into(NAME, &mut raw_name);
    assert!(!body.windows(raw_name.len()).any(|w| w == raw_name));
    assert!(!body.windows(8).any(|w| w == &ID.as_bytes()[6..14]));
    // An offline code fits the same QR size as a venue code: version 8 at M.
    let qr =
        qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M).unwrap();
    println!(
        "offline code: {} characters, QR {:?} at M",
        text.len(),
        qr.version()
    );
    assert!(
        matches!(qr.version(), qrcode::Version::Normal(v) if v <= 8),
        "{:?}",
        qr.version()
    );
}

#[test]
fn dynamic_codes_carry_status_and_expire_in_a_minute() {
    let code = issue(Profile::Dynamic, green_tested(), None).unwrap();
    let text = text_of(&code);
    let verified = verify_personal_code(&text, &trust(), t0().saturating_add(30)).unwrap();
    assert_eq!(verified.code().status, green_tested());
    // A screenshot replayed after a minute is refused.
    let replay = verify_personal_code(&text, &trust(), t0().saturating_add(60));
    assert_eq!(replay.unwrap_err(), Error::Expired(Subject::Code));
    // A status without a test, and a red one, also round-trip.
    let red = Some(HealthStatus {
        colour: Colour::Red,
        nat: None,
    });
    let code = issue(Profile::Dynamic, red, Some(300)).unwrap();
    assert_eq!(
        verify_personal_code(&text_of(&code), &trust(), t0())
            .unwrap()
            .code()
            .status,
        red
    );
}

#[test]
fn profile_rules() {
    let err = |r: Result<PersonalCode, Error>| match r {
        Err(Error::InvalidInput { field, .. }) => field,
        other => panic!("{other:?}"),
    };
    assert_eq!(err(issue(Profile::Dynamic, None, None)), "status");
    assert_eq!(err(issue(Profile::Offline, green_tested(), None)), "status");
    assert_eq!(
        err(issue(Profile::Dynamic, green_tested(), Some(301))),
        "valid_until"
    );
    assert_eq!(
        err(issue(Profile::Offline, None, Some(367 * 86_400))),
        "valid_until"
    );
    assert_eq!(err(issue(Profile::Offline, None, Some(0))), "valid_until");
    let future_test = Some(HealthStatus {
        colour: Colour::Green,
        nat: Some(NatTest {
            result: NatResult::Negative,
            sampled_at: t0().saturating_add(1),
        }),
    });
    assert_eq!(
        err(issue(Profile::Dynamic, future_test, None)),
        "nat_sampled"
    );
    let id = IdNumber::parse(ID).unwrap();
    let plain = PersonalIssue {
        profile: Profile::Offline,
        generation: 0,
        issued_at: t0(),
        valid_secs: None,
        status: None,
    };
    assert!(PersonalCode::for_holder("", &id, &tokens(), &plain).is_err());
    assert!(PersonalCode::for_holder("张\u{202E}三", &id, &tokens(), &plain).is_err());
}

#[test]
fn kinds_and_usages_do_not_mix() {
    let text = text_of(&issue(Profile::Offline, None, None).unwrap());
    // A personal code is not a venue code, nor the other way round.
    assert_eq!(
        crate::verify_venue_code(&text, &trust(), t0()).unwrap_err(),
        Error::UnsupportedVersion(VERSION)
    );
    let venue = crate::test_support::reference_venue()
        .issue(&key(), &crate::test_support::test_prefix())
        .unwrap();
    assert_eq!(
        verify_personal_code(&venue, &trust(), t0()).unwrap_err(),
        Error::UnsupportedVersion(0x01)
    );
    // A key trusted for venue codes cannot vouch for personal codes.
    let mut venue_only = TrustList::new();
    venue_only
        .add(
            TrustedKey::new(key().public_key(), Usage::Venue)
                .with_prefix(&Prefix::new("HTTPS://HC.SH.GOV.CN/P/").unwrap()),
        )
        .unwrap();
    assert!(matches!(
        verify_personal_code(&text, &venue_only, t0()),
        Err(Error::WrongKeyUsage(_))
    ));
}

#[test]
fn decoding_refuses_unmasked_or_inconsistent_bodies() {
    let code = issue(Profile::Offline, None, None).unwrap();
    let kid = key().public_key().id();
    let body = code.encode_body(kid).unwrap();
    let decode = |b: &[u8]| PersonalCode::decode_body(b).map(|_| ());
    // The masked ID is the last 18 bytes of an offline body: put the hidden digits back.
    let mut unmasked = body.clone();
    let n = unmasked.len();
    unmasked[n - 18..].copy_from_slice(ID.as_bytes());
    assert!(matches!(
        decode(&unmasked),
        Err(Error::Malformed(FormatError::Field {
            field: "id_number",
            ..
        }))
    ));
    let mut profile = body.clone();
    profile[1] = 7;
    assert!(matches!(
        decode(&profile),
        Err(Error::Malformed(FormatError::Field {
            field: "profile",
            ..
        }))
    ));
    let mut dynamic_without_status = body.clone();
    dynamic_without_status[1] = 1;
    assert!(decode(&dynamic_without_status).is_err());
    let mut trailing = body.clone();
    trailing.push(0);
    assert_eq!(decode(&trailing), Err(FormatError::TrailingBytes(1).into()));
    assert_eq!(
        decode(&body[..n - 1]),
        Err(FormatError::Truncated("id_number").into())
    );
}

fn any_issue() -> impl Strategy<Value = (String, PersonalIssue)> {
    let status = (
        0u8..3,
        proptest::option::of((any::<bool>(), 0u32..86_400 * 3)),
    )
        .prop_map(|(c, nat)| HealthStatus {
            colour: [Colour::Green, Colour::Yellow, Colour::Red][usize::from(c)],
            nat: nat.map(|(neg, ago)| NatTest {
                result: if neg {
                    NatResult::Negative
                } else {
                    NatResult::Positive
                },
                sampled_at: t0().saturating_add(-i64::from(ago)),
            }),
        });
    (
        "[\\u{4E00}-\\u{9FFF}]{1,5}",
        any::<bool>(),
        any::<u16>(),
        0i64..100_000_000,
        1u32..=300,
        status,
    )
        .prop_map(|(name, offline, generation, shift, secs, status)| {
            let issued_at = t0().saturating_add(shift);
            let (profile, status, valid_secs) = if offline {
                (Profile::Offline, None, secs * 86_400)
            } else {
                (
                    Profile::Dynamic,
                    Some(HealthStatus {
                        nat: status.nat.map(|n| NatTest {
                            sampled_at: issued_at.saturating_add(n.sampled_at.unix() - t0().unix()),
                            ..n
                        }),
                        ..status
                    }),
                    secs,
                )
            };
            (
                name,
                PersonalIssue {
                    profile,
                    generation,
                    issued_at,
                    valid_secs: Some(valid_secs.min(OFFLINE_MAX_SECS)),
                    status,
                },
            )
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn round_trip((name, issue) in any_issue()) {
        let id = IdNumber::parse(ID).unwrap();
        let code = PersonalCode::for_holder(&name, &id, &tokens(), &issue).unwrap();
        let text = text_of(&code);
        let verified = verify_personal_code(&text, &trust(), issue.issued_at).unwrap();
        prop_assert_eq!(verified.code(), &code);
    }

    #[test]
    fn any_single_bit_change_is_rejected((name, issue) in any_issue(), position in any::<prop::sample::Index>(), bit in 0u8..8) {
        let id = IdNumber::parse(ID).unwrap();
        let text = text_of(&PersonalCode::for_holder(&name, &id, &tokens(), &issue).unwrap());
        let mut bytes = text.into_bytes();
        let i = position.index(bytes.len());
        bytes[i] ^= 1 << bit;
        if let Ok(changed) = String::from_utf8(bytes) {
            prop_assert!(verify_personal_code(&changed, &trust(), issue.issued_at).is_err());
        }
    }
}
