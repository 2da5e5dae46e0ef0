use super::*;
use crate::Subject;
use crate::keys::trust::{TrustList, TrustedKey};
use proptest::prelude::*;

use crate::test_support::reference_venue as reference;

fn key() -> SecretKey {
    SecretKey::from_seed(&[42; 32])
}

fn t(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(s).unwrap()
}

fn trust() -> TrustList {
    let mut list = TrustList::new();
    list.add(
        TrustedKey::new(key().public_key(), Usage::Venue)
            .with_prefix(&Prefix::new("HTTPS://VC.SH.GOV.CN/1/").unwrap()),
    )
    .unwrap();
    list
}

#[test]
fn body_layout() {
    let kid = key().public_key().id();
    let body = reference().encode_body(kid).unwrap();
    let mut expected = vec![
        0x01, // version
        0x01, // flags: valid_until present
    ];
    expected.extend_from_slice(&kid.0); // key_id
    expected.extend_from_slice(&[
        0x62, 0x46, 0x40, 0x80, // issued_at 1648771200 = 2022-04-01T00:00:00Z
        0x64, 0x27, 0x03, 0x80, // valid_until 1680278400 = 2023-03-31T16:00:00Z
        0x01, // venue_type: religious-venue
        0x04, 0xBB, 0x5B, // division 310107
        0x0A, b'S', b'H', b'-', b'P', b'T', b'-', b'0', b'0', b'1', b'8', // venue_id
        0x0C, // name: 12 bytes
        0x80, 0x0A, // 上 U+4E0A
        0x9F, 0x77, // 海 U+6D77
        0xA5, 0x89, // 玉 U+7389
        0x81, 0x5B, // 佛 U+4F5B
        0xAB, 0x85, // 禅 U+7985
        0x8D, 0xFA, // 寺 U+5BFA
        0x0B, // address: 11 bytes
        0x8D, 0x89, // 安 U+5B89
        0xC1, 0xDC, // 远 U+8FDC
        0xBF, 0xEF, // 路 U+8DEF
        b'1', b'7', b'0', //
        0x85, 0xF7, // 号 U+53F7
        0x04, // door: 4 bytes
        0x80, 0x1C, // 东 U+4E1C
        0xC7, 0xE8, // 门 U+95E8
    ]);
    assert_eq!(hex::encode(&body), hex::encode(&expected));
    let (venue, decoded_kid) = Venue::decode_body(&body).unwrap();
    assert_eq!(venue, reference());
    assert_eq!(decoded_kid, kid);
}

#[test]
fn reference_venue_fits_qr_version_8_at_m() {
    let prefix = Prefix::new("HTTPS://VC.SH.GOV.CN/1/").unwrap();
    let text = reference().issue(&key(), &prefix).unwrap();
    let qr =
        qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M).unwrap();
    let qrcode::Version::Normal(version) = qr.version() else {
        panic!("micro QR chosen")
    };
    println!(
        "reference venue: {} characters, QR version {version} at M",
        text.len()
    );
    assert!(
        text.bytes()
            .all(|b| b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ$*+-./:".contains(&b))
    );
    assert!(version <= 8, "version {version}");
}

#[test]
fn issue_then_verify() {
    let text = reference()
        .issue(&key(), &crate::test_support::test_prefix())
        .unwrap();
    let code = verify_venue_code(&text, &trust(), t("2022-06-01T00:00:00Z")).unwrap();
    assert_eq!(code.venue(), &reference());
    assert_eq!(code.prefix(), "HTTPS://VC.SH.GOV.CN/1/");
    assert_eq!(code.key_id(), key().public_key().id());
    // A single key also serves as a key provider.
    let single = TrustedKey::new(key().public_key(), Usage::Venue)
        .with_prefix(&crate::test_support::test_prefix());
    assert!(verify_venue_code(&text, &single, t("2022-06-01T00:00:00Z")).is_ok());
}

#[test]
fn windows_of_the_code() {
    let text = reference()
        .issue(&key(), &crate::test_support::test_prefix())
        .unwrap();
    let at = |s| verify_venue_code(&text, &trust(), t(s)).map(|_| ());
    assert_eq!(
        at("2022-03-31T23:58:00Z"),
        Err(Error::NotYetValid(Subject::Code))
    );
    assert_eq!(at("2022-03-31T23:59:30Z"), Ok(())); // within the clock-skew grace
    assert_eq!(at("2023-03-31T15:59:59Z"), Ok(()));
    assert_eq!(
        at("2023-03-31T16:00:00Z"),
        Err(Error::Expired(Subject::Code))
    );
    let mut open_ended = reference();
    open_ended.valid_until = None;
    let text = open_ended
        .issue(&key(), &crate::test_support::test_prefix())
        .unwrap();
    assert!(verify_venue_code(&text, &trust(), t("2099-01-01T00:00:00Z")).is_ok());
}

#[test]
fn issuing_refuses_bad_fields() {
    let bad = |f: fn(&mut Venue), field: &str| {
        let mut v = reference();
        f(&mut v);
        match v.issue(&key(), &crate::test_support::test_prefix()) {
            Err(Error::InvalidInput { field: got, .. }) => assert_eq!(got, field),
            other => panic!("{field}: {other:?}"),
        }
    };
    bad(|v| v.id = String::new(), "venue_id");
    bad(|v| v.id = "A".repeat(33), "venue_id");
    bad(|v| v.id = "SH PT".into(), "venue_id");
    bad(|v| v.id = "场所".into(), "venue_id");
    bad(|v| v.name = String::new(), "name");
    bad(|v| v.name = "寺".repeat(49), "name");
    bad(|v| v.name = "玉佛\u{202E}寺".into(), "name");
    bad(|v| v.address = " 安远路".into(), "address");
    bad(|v| v.door = "东门\n".into(), "door");
    bad(|v| v.issued_at = Timestamp::from_unix(-1), "issued_at");
    bad(|v| v.valid_until = Some(v.issued_at), "valid_until");
    bad(
        |v| v.valid_until = Some(Timestamp::from_unix(1 << 33)),
        "valid_until",
    );
    assert!(Division::new(100_000).is_err());
    assert!("31010".parse::<Division>().is_err());
    assert!("31010x".parse::<Division>().is_err());
    assert_eq!("310107".parse::<Division>().unwrap().to_string(), "310107");
}

#[test]
fn decoding_refuses_non_canonical_bodies() {
    let kid = key().public_key().id();
    let body = reference().encode_body(kid).unwrap();
    let decode = |b: &[u8]| Venue::decode_body(b).map(|_| ());
    let mut trailing = body.clone();
    trailing.push(0);
    assert_eq!(decode(&trailing), Err(FormatError::TrailingBytes(1).into()));
    assert_eq!(
        decode(&body[..body.len() - 1]),
        Err(FormatError::Truncated("door").into())
    );
    let mut flags = body.clone();
    flags[1] |= 0x80;
    assert_eq!(decode(&flags), Err(FormatError::ReservedFlags.into()));
    let mut version = body.clone();
    version[0] = 0x02;
    assert_eq!(decode(&version), Err(Error::UnsupportedVersion(2)));
    let mut division = body.clone();
    division[19..22].copy_from_slice(&[0, 0, 1]);
    assert!(matches!(
        decode(&division),
        Err(Error::Malformed(FormatError::Field {
            field: "division",
            ..
        }))
    ));
    assert_eq!(decode(&[]), Err(FormatError::Truncated("version").into()));
}

#[test]
fn unassigned_types_read_without_a_format_break() {
    let mut v = reference();
    v.venue_type = VenueType::from_code(77);
    assert_eq!(v.venue_type, VenueType::Unassigned(77));
    assert_eq!(v.venue_type.slug(), "type-77");
    assert_eq!("type-77".parse::<VenueType>().unwrap(), v.venue_type);
    assert_eq!(
        "type-1".parse::<VenueType>().unwrap(),
        VenueType::ReligiousVenue
    );
    let text = v
        .issue(&key(), &crate::test_support::test_prefix())
        .unwrap();
    let code = verify_venue_code(&text, &trust(), t("2022-06-01T00:00:00Z")).unwrap();
    assert_eq!(code.venue().venue_type, VenueType::Unassigned(77));
    assert_eq!(VenueType::MuslimCemetery.class(), VenueClass::Religious);
    assert_eq!(VenueType::SocialOffice.class(), VenueClass::Office);
    assert_eq!(VenueType::Unassigned(77).class(), VenueClass::Public);
    for named in VenueType::named() {
        assert_eq!(VenueType::from_code(named.code()), named);
        assert_eq!(named.slug().parse::<VenueType>().unwrap(), named);
        assert!(named.name_zh().is_some());
    }
}

fn field_text(max_chars: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            proptest::char::range('\u{4E00}', '\u{9FFF}'),
            proptest::char::range('0', 'z'),
            Just('·'),
            Just('（'),
            Just('𠮷'),
            any::<char>(),
        ],
        1..=max_chars,
    )
    .prop_map(|cs| cs.into_iter().collect::<String>())
    .prop_filter("field rules", |s| text::check(s, 32).is_ok())
}

fn any_venue() -> impl Strategy<Value = Venue> {
    (
        "[!-~]{1,32}",
        any::<u8>(),
        field_text(8),
        110_000u32..=829_999,
        field_text(8),
        field_text(8),
        0u32..u32::MAX,
        proptest::option::of(1u32..=u32::MAX),
    )
        .prop_map(
            |(id, ty, name, division, address, door, issued, until)| Venue {
                id,
                venue_type: VenueType::from_code(ty),
                name,
                division: Division(division),
                address,
                door,
                issued_at: Timestamp::from_unix(i64::from(issued)),
                valid_until: until
                    .filter(|&u| u > issued)
                    .map(|u| Timestamp::from_unix(i64::from(u))),
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn round_trip(venue in any_venue()) {
        let text = venue.issue(&key(), &crate::test_support::test_prefix()).unwrap();
        let now = venue.issued_at;
        let code = verify_venue_code(&text, &trust(), now).unwrap();
        prop_assert_eq!(code.venue(), &venue);
    }

    #[test]
    fn any_single_bit_change_is_rejected(venue in any_venue(), position in any::<prop::sample::Index>(), bit in 0u8..8) {
        let text = venue.issue(&key(), &crate::test_support::test_prefix()).unwrap();
        let mut bytes = text.into_bytes();
        let i = position.index(bytes.len());
        bytes[i] ^= 1 << bit;
        // A flipped bit may leave invalid UTF-8, which no caller can pass as text.
        if let Ok(changed) = String::from_utf8(bytes) {
            prop_assert!(verify_venue_code(&changed, &trust(), venue.issued_at).is_err());
        }
    }

    #[test]
    fn parse_is_total(text in "HTTPS://A\\.B/[0-9A-Z$*+\\-.]{0,300}|\\PC{0,300}") {
        let _ = UnverifiedVenueCode::parse(&text);
    }
}

/// The numbers of docs/adr/0001-text-encoding.md: the reference venue's text length and QR
/// version (at M) with its text fields in packed text or UTF-8, and with the address below the
/// division or in full.
#[test]
fn text_encoding_choice_numbers() {
    const PREFIX: &str = "HTTPS://VC.SH.GOV.CN/1/";
    let version_of = |chars: usize| {
        let text = format!("{PREFIX}{}", "A".repeat(chars - PREFIX.len()));
        match qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M)
            .unwrap()
            .version()
        {
            qrcode::Version::Normal(v) => v,
            qrcode::Version::Micro(_) => 0,
        }
    };
    let kid = key().public_key().id();
    let packed_body = reference().encode_body(kid).unwrap().len();
    let fields = |v: &Venue| [v.name.clone(), v.address.clone(), v.door.clone()];
    let measure = |v: &Venue, utf8: bool| {
        let body = packed_body
            - fields(&reference())
                .iter()
                .map(|f| text::encoded_len(f))
                .sum::<usize>()
            + fields(v)
                .iter()
                .map(|f| if utf8 { f.len() } else { text::encoded_len(f) })
                .sum::<usize>();
        let chars = PREFIX.len() + crate::encoding::base41::encoded_len(body + 64);
        (body, chars, version_of(chars))
    };
    let mut full = reference();
    full.address = "上海市普陀区安远路170号".into();
    let rows = [
        (
            "packed, address below division (chosen)",
            measure(&reference(), false),
        ),
        ("UTF-8, address below division", measure(&reference(), true)),
        ("packed, full address", measure(&full, false)),
        ("UTF-8, full address", measure(&full, true)),
    ];
    for (what, (body, chars, version)) in rows {
        println!("{what:<42} body {body:>3} B  text {chars:>3} chars  QR version {version}");
    }
    // The real encoder agrees with the computed row.
    let text = reference()
        .issue(&key(), &Prefix::new(PREFIX).unwrap())
        .unwrap();
    assert_eq!(text.len(), rows[0].1.1);
    assert_eq!(rows.map(|r| r.1.2), [8, 9, 9, 9]);
}

#[test]
fn the_builder_sets_every_field() {
    let r = reference();
    let built = Venue::new(
        r.id.clone(),
        r.venue_type,
        r.name.clone(),
        r.division,
        r.door.clone(),
        r.issued_at,
    );
    assert_eq!((built.address.as_str(), built.valid_until), ("", None));
    let built = built
        .with_address(r.address.clone())
        .with_valid_until(r.valid_until);
    assert_eq!(built, r);
    assert_eq!(built.clone().with_valid_until(None).valid_until, None);
}

#[test]
fn code_kind_names_are_the_serialised_ones() {
    for kind in [crate::CodeKind::Venue, crate::CodeKind::Personal] {
        assert_eq!(
            serde_json::to_string(&kind).unwrap(),
            format!("\"{}\"", kind.name())
        );
    }
}
