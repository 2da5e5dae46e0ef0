//! The threat model of SECURITY.md, one test per threat: each attack is built as an attacker
//! would build it, and the test checks the exact error code (or decision) the library gives.

#![allow(clippy::unwrap_used)]

use venuecode::CodeState;
use venuecode::door::{Checkpoint, Gate};
use venuecode::health::{Colour, HealthStatus};
use venuecode::id::IdNumber;
use venuecode::person::{PersonalCode, PersonalIssue, Profile, verify_personal_code};
use venuecode::policy::{Outcome, Policy};
use venuecode::revoke::RevocationList;
use venuecode::status::{Resolved, StatusList};
use venuecode::token::TokenKey;
use venuecode::{
    CLOCK_SKEW_SECS, Division, Error, Prefix, Seal, SecretKey, Timestamp, TrustList, TrustedKey,
    Usage, Venue, VenueType, base41, verify_venue_code,
};

const HOLDER: &str = "11010519491231002X";

fn at(rfc3339: &str) -> Timestamp {
    Timestamp::parse_rfc3339(rfc3339).unwrap()
}

fn key(seed: u8) -> SecretKey {
    SecretKey::from_seed(&[seed; 32])
}

/// The authority's keys: 1 signs venue codes, 2 personal codes, 3 lists.
fn trust() -> TrustList {
    let mut t = TrustList::new();
    t.add(TrustedKey::new(key(1).public_key(), Usage::Venue).with_prefix(&sh()))
        .unwrap();
    t.add(TrustedKey::new(key(2).public_key(), Usage::Personal).with_prefix(&sh()))
        .unwrap();
    t.add(TrustedKey::new(key(3).public_key(), Usage::Status))
        .unwrap();
    t
}

fn sh() -> Prefix {
    Prefix::new("HTTPS://VC.SH.GOV.CN/1/").unwrap()
}

/// A list's seal: serial, issued at, valid until.
fn seal(serial: u64, from: &str, until: &str) -> Seal {
    Seal {
        serial,
        issued_at: at(from),
        valid_until: at(until),
    }
}

fn venue() -> Venue {
    Venue::new(
        "SH-PT-0018",
        VenueType::ReligiousVenue,
        "上海玉佛禅寺",
        "310107".parse::<Division>().unwrap(),
        "东门",
        at("2022-04-01T08:00:00+08:00"),
    )
    .with_address("安远路170号")
    .with_valid_until(at("2023-04-01T00:00:00+08:00"))
}

fn poster(signer: &SecretKey) -> String {
    venue()
        .issue(signer, &Prefix::new("HTTPS://VC.SH.GOV.CN/1/").unwrap())
        .unwrap()
}

fn code_of(r: Result<impl Sized, Error>) -> &'static str {
    r.map_or_else(|e| e.code(), |_| "valid")
}

const NOW: &str = "2022-06-01T09:30:00+08:00";

/// Re-encodes a code's text with its payload bytes changed by `f` (the signature untouched).
fn tamper(text: &str, f: impl FnOnce(&mut Vec<u8>)) -> String {
    let (prefix, payload) = text.rsplit_once('/').unwrap();
    let mut bytes = base41::decode(payload).unwrap();
    f(&mut bytes);
    format!("{prefix}/{}", base41::encode(&bytes))
}

#[test]
fn counterfeit_poster() {
    let t = trust();
    let now = at(NOW);
    // Signed by a key nobody trusts.
    assert_eq!(
        code_of(verify_venue_code(&poster(&key(66)), &t, now)),
        "unknown_key"
    );
    // Signed by a trusted key that may sign personal codes, not venue codes.
    assert_eq!(
        code_of(verify_venue_code(&poster(&key(2)), &t, now)),
        "wrong_key_usage"
    );
    // No signature at all: the payload cut before it.
    let unsigned = tamper(&poster(&key(1)), |b| b.truncate(b.len() - 64));
    assert_eq!(code_of(verify_venue_code(&unsigned, &t, now)), "malformed");
    // A zeroed signature, and a changed door.
    let zeroed = tamper(&poster(&key(1)), |b| {
        let n = b.len();
        b[n - 64..].fill(0);
    });
    assert_eq!(
        code_of(verify_venue_code(&zeroed, &t, now)),
        "bad_signature"
    );
    // A genuine poster with its door changed.
    let moved = tamper(&poster(&key(1)), |b| {
        let door = b.len() - 64 - 1;
        b[door] ^= 1;
    });
    assert_eq!(code_of(verify_venue_code(&moved, &t, now)), "bad_signature");
    assert_eq!(
        code_of(verify_venue_code(&poster(&key(1)), &t, now)),
        "valid"
    );
}

#[test]
fn genuine_code_rehosted_under_another_prefix() {
    let genuine = poster(&key(1));
    let phishing = genuine.replace(
        "HTTPS://VC.SH.GOV.CN/1/",
        "HTTPS://VC-SH-GOV.CN.EVIL.COM/1/",
    );
    assert_eq!(
        code_of(verify_venue_code(&phishing, &trust(), at(NOW))),
        "bad_signature"
    );
}

#[test]
fn old_or_unknown_format_version_replayed() {
    let genuine = poster(&key(1));
    // Only version 1 exists; any other version byte is refused before the signature is
    // looked at, a personal code's version (0x21) under the venue verifier included.
    for version in [0x00, 0x02, 0x21, 0xFF] {
        let downgraded = tamper(&genuine, |b| b[0] = version);
        let got = code_of(verify_venue_code(&downgraded, &trust(), at(NOW)));
        assert_eq!(got, "unsupported_version", "version {version:#04x}");
    }
    // A genuine personal code offered as a venue code: its kind is refused.
    let person = personal(Profile::Offline, 0, "2022-04-06T09:00:00+08:00", None);
    assert_eq!(
        code_of(verify_venue_code(&person, &trust(), at(NOW))),
        "unsupported_version"
    );
}

fn personal(profile: Profile, generation: u16, issued: &str, colour: Option<Colour>) -> String {
    let issue = PersonalIssue {
        profile,
        generation,
        issued_at: at(issued),
        valid_secs: None,
        status: colour.map(|colour| HealthStatus { colour, nat: None }),
    };
    let id = IdNumber::parse(HOLDER).unwrap();
    PersonalCode::for_holder("张三丰", &id, &TokenKey::from_bytes([7; 32]), &issue)
        .unwrap()
        .issue(&key(2), &Prefix::new("HTTPS://VC.SH.GOV.CN/1/").unwrap())
        .unwrap()
}

#[test]
fn screenshot_of_a_dynamic_code_replayed_after_it_expired() {
    let shot = personal(
        Profile::Dynamic,
        0,
        "2022-04-06T09:00:00+08:00",
        Some(Colour::Green),
    );
    let t = trust();
    assert_eq!(
        code_of(verify_personal_code(
            &shot,
            &t,
            at("2022-04-06T09:00:59+08:00")
        )),
        "valid"
    );
    // A minute after issue, and no clock-skew grace on expiry.
    assert_eq!(
        code_of(verify_personal_code(
            &shot,
            &t,
            at("2022-04-06T09:01:00+08:00")
        )),
        "expired"
    );
    assert_eq!(
        code_of(verify_personal_code(
            &shot,
            &t,
            at("2022-04-07T09:00:00+08:00")
        )),
        "expired"
    );
}

#[test]
fn lost_offline_code_after_reissue() {
    let t = trust();
    let issued = "2022-04-06T09:00:00+08:00";
    let lost = personal(Profile::Offline, 0, issued, None);
    let reissued = personal(Profile::Offline, 1, issued, None);
    let token = TokenKey::from_bytes([7; 32]).token(&IdNumber::parse(HOLDER).unwrap());
    let list = RevocationList::build(
        &[],
        &[(token, 1)],
        seal(1, issued, "2022-04-08T00:00:00+08:00"),
        &key(3),
    )
    .unwrap();
    let now = at("2022-04-07T09:00:00+08:00");
    let list = RevocationList::load(&list, &t, now).unwrap();
    let bare = Checkpoint::new(t);
    let gate = bare.clone().with_revocations(list);
    assert_eq!(gate.check(&lost, now).code_state(), CodeState::Superseded);
    assert_eq!(gate.check(&reissued, now).code_state(), CodeState::Valid);
    // Without the revocation list the lost card still verifies: gates must load the list.
    assert_eq!(bare.check(&lost, now).code_state(), CodeState::Valid);
}

#[test]
fn revoked_or_expired_signing_key() {
    let code = poster(&key(1));
    let now = at(NOW);
    let mut revoked = TrustedKey::new(key(1).public_key(), Usage::Venue).with_prefix(&sh());
    revoked.revoked = true;
    assert_eq!(code_of(verify_venue_code(&code, &revoked, now)), "revoked");
    // A key retired before the poster was signed: the key had expired for it.
    let mut expired = TrustedKey::new(key(1).public_key(), Usage::Venue).with_prefix(&sh());
    expired.not_after = Some(at("2022-03-01T00:00:00+08:00"));
    assert_eq!(code_of(verify_venue_code(&code, &expired, now)), "expired");
    // A forgery is never reported as revoked: the signature is checked first.
    assert_eq!(
        code_of(verify_venue_code(&poster(&key(66)), &revoked, now)),
        "unknown_key"
    );
}

#[test]
fn key_id_collisions() {
    // A code naming a trusted key's id, signed by another key.
    let forged = tamper(&poster(&key(66)), |b| {
        b[2..10].copy_from_slice(&key(1).public_key().id().0);
    });
    assert_eq!(
        code_of(verify_venue_code(&forged, &trust(), at(NOW))),
        "bad_signature"
    );
    // A trust list cannot hold two keys under one id, or an id that is not its key's.
    let mut t = trust();
    let again = t.add(TrustedKey::new(key(1).public_key(), Usage::Personal).with_prefix(&sh()));
    assert_eq!(code_of(again), "invalid_trust_list");
    let json = t.to_json().replace(
        &key(1).public_key().id().to_string(),
        &key(2).public_key().id().to_string(),
    );
    assert_eq!(code_of(TrustList::from_json(&json)), "invalid_trust_list");
}

#[test]
fn stale_status_list() {
    let t = trust();
    let issued = "2022-04-06T09:00:00+08:00";
    let card = personal(Profile::Offline, 0, issued, None);
    let token = TokenKey::from_bytes([7; 32]).token(&IdNumber::parse(HOLDER).unwrap());
    let green = HealthStatus {
        colour: Colour::Green,
        nat: None,
    };
    let bytes = StatusList::build(
        vec![(token, green)],
        seal(1, issued, "2022-04-08T09:00:00+08:00"),
        &key(3),
    )
    .unwrap();
    let none_revoked = RevocationList::build(
        &[],
        &[],
        seal(1, issued, "2022-04-09T09:00:00+08:00"),
        &key(3),
    )
    .unwrap();
    let decide = |now: Timestamp| {
        let list = StatusList::load(&bytes, &t, now).unwrap();
        let checkpoint = Checkpoint::new(t.clone())
            .with_status(list)
            .with_revocations(RevocationList::load(&none_revoked, &t, now).unwrap())
            .with_max_status_age_secs(24 * 3600);
        let gate = Gate::new(checkpoint, Policy::builtin("sh-2022-04-01").unwrap());
        let a = gate
            .decide(&venuecode::VenueClass::Public, &card, now)
            .unwrap();
        (a.status, a.decision)
    };
    let (fresh, d) = decide(at("2022-04-06T10:00:00+08:00"));
    assert!(matches!(fresh, Resolved::Fresh(_)));
    assert_eq!(d, Outcome::Admit);
    // A day and a half later the list still verifies, but its statement is 36 hours old.
    let (stale, d) = decide(at("2022-04-07T21:00:00+08:00"));
    assert!(matches!(stale, Resolved::Stale(_)));
    assert_eq!(d, Outcome::Manual);
    // After its own window, the list is refused outright.
    let late = StatusList::load(&bytes, &t, at("2022-04-08T09:00:00+08:00"));
    assert_eq!(code_of(late), "expired");
}

#[test]
fn clock_skew_at_the_gate() {
    assert_eq!(CLOCK_SKEW_SECS, 60);
    let t = trust();
    let mut v = venue();
    v.issued_at = at("2022-06-01T09:31:00+08:00");
    let code = v
        .issue(&key(1), &Prefix::new("HTTPS://VC.SH.GOV.CN/1/").unwrap())
        .unwrap();
    // A gate whose clock is up to 60 s behind the issuer's accepts the code...
    assert_eq!(
        code_of(verify_venue_code(
            &code,
            &t,
            at("2022-06-01T09:30:00+08:00")
        )),
        "valid"
    );
    // ...and 61 s behind, refuses it as not yet valid.
    assert_eq!(
        code_of(verify_venue_code(
            &code,
            &t,
            at("2022-06-01T09:29:59+08:00")
        )),
        "not_yet_valid"
    );
    // Expiry has no grace: a gate clock ahead of time refuses at once.
    assert_eq!(
        code_of(verify_venue_code(
            &code,
            &t,
            at("2023-04-01T00:00:00+08:00")
        )),
        "expired"
    );
}

#[test]
fn personal_data_in_errors_and_outputs() {
    let raw_name = "张三丰";
    let t = trust();
    let card = personal(Profile::Offline, 0, "2022-04-06T09:00:00+08:00", None);
    // The code itself holds masks and a keyed token only.
    let id = IdNumber::parse(HOLDER).unwrap();
    let (_, payload) = card.rsplit_once('/').unwrap();
    let body = base41::decode(payload).unwrap();
    assert!(!String::from_utf8_lossy(&body).contains(raw_name));
    assert!(!body.windows(8).any(|w| w == b"19491231"));
    // Verified and printed: masked.
    let v = verify_personal_code(&card, &t, at("2022-04-07T00:00:00+08:00")).unwrap();
    let shown = format!("{:?} {}", v, serde_json::to_string(v.code()).unwrap());
    assert!(
        !shown.contains(raw_name) && !shown.contains(HOLDER),
        "{shown}"
    );
    assert!(shown.contains("张*丰"));
    // Debug of an ID number, and errors about ID numbers, never show it.
    assert_eq!(format!("{id:?}"), "IdNumber(<redacted>)");
    for bad in [
        "110105194912310021",
        "11010519491231002",
        "A10105194912310021",
    ] {
        let e = IdNumber::parse(bad).unwrap_err().to_string();
        assert!(!e.contains("19491231") && !e.contains(bad), "{e}");
    }
    // Rejections of a personal code name the rule, not the holder.
    let e = verify_personal_code(&card, &t, at("2023-01-01T00:00:00+08:00")).unwrap_err();
    assert!(!e.to_string().contains(raw_name));
}

#[test]
fn huge_or_malformed_inputs_are_refused_before_allocating() {
    use venuecode::raster::{GreyImage, MAX_IMAGE_PIXELS, MAX_IMAGE_SIDE};
    // Text: longer than the limit is refused before decoding.
    let long = format!(
        "HTTPS://VC.SH.GOV.CN/1/{}",
        "0".repeat(venuecode::MAX_TEXT_LEN)
    );
    // The error is the length's (any other would mean the text was decoded first).
    assert!(matches!(
        verify_venue_code(&long, &trust(), at(NOW)),
        Err(venuecode::Error::Malformed(
            venuecode::FormatError::TooLong { .. }
        ))
    ));
    // Frames: dimensions past the limits, or a buffer shorter than they claim.
    let one = [0u8; 16];
    assert_eq!(
        code_of(GreyImage::from_grey_frame(
            &one,
            MAX_IMAGE_SIDE + 1,
            1,
            MAX_IMAGE_SIDE + 1
        )),
        "invalid_image"
    );
    let side = MAX_IMAGE_SIDE;
    assert!(side * side > MAX_IMAGE_PIXELS);
    assert_eq!(
        code_of(GreyImage::from_grey_frame(&one, side, side, side)),
        "invalid_image"
    );
    assert_eq!(
        code_of(GreyImage::from_grey_frame(&one, 4, 5, 4)),
        "invalid_image"
    );
    // A PNG header claiming 100,000 x 100,000 pixels, and no pixels.
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    png.extend_from_slice(&100_000u32.to_be_bytes());
    png.extend_from_slice(&100_000u32.to_be_bytes());
    png.extend_from_slice(&[8, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(code_of(GreyImage::decode(&png)), "invalid_image");
    // Lists and rule sets past their limits.
    let t = trust();
    let huge = vec![0u8; venuecode::MAX_LIST_BYTES + 1];
    let too_long = |r: Result<_, venuecode::Error>| {
        matches!(
            r,
            Err(venuecode::Error::Malformed(
                venuecode::FormatError::TooLong { .. }
            ))
        )
    };
    assert!(too_long(StatusList::load(&huge, &t, at(NOW)).map(|_| ())));
    assert!(too_long(
        RevocationList::load(&huge, &t, at(NOW)).map(|_| ())
    ));
    // A trust list and a rule set that would be valid but for their length: only the guard
    // refuses them (JSON allows the trailing white space).
    let padded = |json: String, max: usize| json + &" ".repeat(max + 1);
    let long_json = padded(t.to_json(), venuecode::MAX_TRUST_LIST_BYTES);
    let e = TrustList::from_json(&long_json).unwrap_err();
    assert!(e.to_string().contains("longer than"), "{e}");
    let builtin = venuecode::policy::BUILTIN[0].1.to_owned();
    assert!(Policy::from_json(&builtin).is_ok());
    let long_policy = padded(builtin, venuecode::policy::MAX_POLICY_BYTES);
    let e = Policy::from_json(&long_policy).unwrap_err();
    assert!(e.to_string().contains("longer than"), "{e}");
}
