use super::*;
use crate::codes::person::{PersonalCode, PersonalIssue};
use crate::health::{Colour, HealthStatus};
use crate::keys::trust::{TrustedKey, Usage};
use crate::privacy::id::IdNumber;
use crate::privacy::pseudonym::PseudonymKey;
use crate::privacy::token::TokenKey;
use crate::privacy::trace::TraceKey;
use crate::record::Origin;
use crate::{Prefix, Seal, SecretKey};

/// The authority's tracing key of these tests.
fn authority() -> TraceKey {
    TraceKey::derive(&[5; 32])
}

/// A venue device's record keys under `pseudonyms`.
fn keys(pseudonyms: PseudonymKey) -> RecordKeys {
    RecordKeys::with_seed(pseudonyms, authority().public(), [6; 32])
}

struct World {
    trust: TrustList,
    personal: SecretKey,
    status: SecretKey,
    venue: SecretKey,
    tokens: TokenKey,
    id: IdNumber,
    t0: Timestamp,
}

fn world() -> World {
    let (personal, status, venue) = (
        SecretKey::from_seed(&[2; 32]),
        SecretKey::from_seed(&[8; 32]),
        SecretKey::from_seed(&[42; 32]),
    );
    let mut trust = TrustList::new();
    for (k, u) in [
        (&personal, Usage::Personal),
        (&status, Usage::Status),
        (&venue, Usage::Venue),
    ] {
        let mut entry = TrustedKey::new(k.public_key(), u);
        if u == Usage::Venue {
            entry = entry.with_prefix(&Prefix::new("HTTPS://VC.SH.GOV.CN/1/").unwrap());
        } else if u == Usage::Personal {
            entry = entry.with_prefix(&Prefix::new("HTTPS://VC.SH.GOV.CN/P/").unwrap());
        }
        trust.add(entry).unwrap();
    }
    World {
        trust,
        personal,
        status,
        venue,
        tokens: TokenKey::from_bytes([1; 32]),
        id: IdNumber::parse("11010519491231002X").unwrap(),
        t0: Timestamp::parse_rfc3339("2022-04-06T08:00:00+08:00").unwrap(),
    }
}

impl World {
    fn offline(&self, generation: u16) -> String {
        let issue = PersonalIssue {
            profile: Profile::Offline,
            generation,
            issued_at: self.t0,
            valid_secs: None,
            status: None,
        };
        PersonalCode::for_holder("张三丰", &self.id, &self.tokens, &issue)
            .unwrap()
            .issue(
                &self.personal,
                &Prefix::new("HTTPS://VC.SH.GOV.CN/P/").unwrap(),
            )
            .unwrap()
    }

    /// A day-long list's seal.
    fn seal(&self, serial: u64) -> Seal {
        Seal {
            serial,
            issued_at: self.t0,
            valid_until: self.t0.saturating_add(86_400),
        }
    }

    fn lists(&self) -> (Vec<u8>, Vec<u8>) {
        let green = HealthStatus {
            colour: Colour::Green,
            nat: None,
        };
        let token = self.tokens.token(&self.id);
        (
            StatusList::build(vec![(token, green)], self.seal(1), &self.status).unwrap(),
            RevocationList::build(&[], &[(token, 1)], self.seal(1), &self.status).unwrap(),
        )
    }

    fn door_text(&self) -> String {
        crate::test_support::reference_venue()
            .issue(
                &self.venue,
                &Prefix::new("HTTPS://VC.SH.GOV.CN/1/").unwrap(),
            )
            .unwrap()
    }
}

#[test]
fn offline_code_with_status_list_and_revocations_is_admitted_at_a_door() {
    let w = world();
    let (status, revocations) = w.lists();
    let lists = SignedLists {
        status_list: Some(&status),
        revocations: Some(&revocations),
        max_status_age_secs: None,
    };
    let now = w.t0.saturating_add(3_600);
    let mut gate = Gate::load(
        w.trust.clone(),
        &lists,
        &PolicyChoice::default(),
        now,
        GateState::new(),
    )
    .unwrap();
    assert_eq!(gate.policy().id(), DEFAULT_POLICY);
    let door = gate.door(&w.door_text(), now).unwrap();
    assert_eq!(
        (door.door.as_str(), &door.class),
        ("东门", &VenueClass::Religious)
    );

    let a = gate.admit(&door, &w.offline(1), now);
    assert_eq!(
        (a.code, a.decision, a.report),
        (CodeState::Valid, Outcome::Admit, false)
    );
    assert_eq!(a.holder.as_ref().unwrap().name, "张*丰");
    let key = keys(PseudonymKey::from_bytes([9; 32]));
    let r = a.record(&key, "gate-1");
    assert_eq!(
        (r.venue_id.as_str(), r.door.as_str()),
        ("SH-PT-0018", "东门")
    );
    assert_eq!(r.pseudonym, Some(key.pseudonym(&w.tokens.token(&w.id))));
    // Only the authority opens the sealed reference, and only for this record.
    let sealed = r.trace.unwrap();
    assert_eq!(
        authority().open(&sealed, &r.id.0).unwrap(),
        w.tokens.token(&w.id)
    );
    assert!(authority().open(&sealed, &[0; 16]).is_err());
    assert_eq!(
        (r.colour, r.code_state),
        (Some(Colour::Green), Some(CodeState::Valid))
    );
    // The holder token never reaches a serialised admission.
    let json = serde_json::to_string(&a).unwrap();
    assert!(!json.contains("holder_token"), "{json}");
    assert!(!json.contains("11010519491231002X"));

    let lost = gate.admit(&door, &w.offline(0), now);
    assert_eq!(
        (lost.code, lost.decision),
        (CodeState::Superseded, Outcome::Deny)
    );
    assert_eq!(
        (lost.status, lost.holder.as_ref()),
        (Resolved::Unknown, None)
    );
    assert_eq!(lost.record(&key, "gate-1").pseudonym, None);

    // Without a door: no record; a class the rule set does not know is a bad input.
    let d = gate
        .decide(&VenueClass::Public, &w.offline(1), now)
        .unwrap();
    assert_eq!((d.decision, d.door), (Outcome::Admit, None));
    let stadium = gate.decide(&VenueClass::named("stadium"), &w.offline(1), now);
    assert_eq!(stadium.unwrap_err().code(), "invalid_input");
}

#[test]
fn without_a_status_list_an_offline_code_goes_to_staff() {
    let w = world();
    let now = w.t0.saturating_add(3_600);
    let mut gate = Gate::new(
        Checkpoint::new(w.trust.clone()),
        Policy::builtin(DEFAULT_POLICY).unwrap(),
    );
    let door = gate.door(&w.door_text(), now).unwrap();
    let a = gate.admit(&door, &w.offline(1), now);
    assert_eq!(
        (a.rule.as_str(), a.status),
        ("no-status", Resolved::Unknown)
    );
}

#[test]
fn damaged_lists_and_revoked_doors_are_errors() {
    let w = world();
    let (status, _) = w.lists();
    let mut damaged = status.clone();
    let last = damaged.len() - 1;
    damaged[last] ^= 1;
    let bad = SignedLists {
        status_list: Some(&damaged),
        ..SignedLists::default()
    };
    let now = w.t0.saturating_add(60);
    assert!(
        Gate::load(
            w.trust.clone(),
            &bad,
            &PolicyChoice::default(),
            now,
            GateState::new()
        )
        .is_err()
    );

    let door = w.door_text();
    let revoked = RevocationList::build(&[door.as_str()], &[], w.seal(2), &w.status).unwrap();
    let lists = SignedLists {
        revocations: Some(&revoked),
        ..SignedLists::default()
    };
    let chosen = PolicyChoice {
        builtin: Some("sh-2022-public-48h"),
        signed: None,
    };
    let gate = Gate::load(w.trust.clone(), &lists, &chosen, now, GateState::new()).unwrap();
    assert_eq!(gate.policy().id(), "sh-2022-public-48h");
    assert_eq!(gate.door(&door, now).unwrap_err().code(), "revoked");
}

#[test]
fn records_hold_no_raw_data_and_replays_attach_no_visitor() {
    let w = world();
    let now = w.t0;
    let issue = PersonalIssue {
        profile: Profile::Dynamic,
        generation: 0,
        issued_at: now,
        valid_secs: None,
        status: Some(HealthStatus {
            colour: Colour::Green,
            nat: Some(crate::health::NatTest {
                result: crate::health::NatResult::Negative,
                sampled_at: now.saturating_add(-30 * 3600),
            }),
        }),
    };
    let text = PersonalCode::for_holder("张三丰", &w.id, &w.tokens, &issue)
        .unwrap()
        .issue(
            &w.personal,
            &Prefix::new("HTTPS://VC.SH.GOV.CN/P/").unwrap(),
        )
        .unwrap();
    let mut gate = Gate::new(
        Checkpoint::new(w.trust.clone()),
        Policy::builtin("sh-2022-public-48h").unwrap(),
    );
    let door = gate.door(&w.door_text(), now).unwrap();
    let venue_key = keys(PseudonymKey::for_venue(&[9; 32], "SH-PT-0018"));
    let r = gate.admit(&door, &text, now).record(&venue_key, "gate-1");
    assert_eq!(
        (r.decision, r.test_age_hours, r.code_state),
        (Outcome::Admit, Some(30), Some(CodeState::Valid))
    );
    assert_eq!(
        r.pseudonym,
        Some(venue_key.pseudonym(&w.tokens.token(&w.id)))
    );
    let json = serde_json::to_string(&r).unwrap();
    assert!(
        json.contains("张*丰") && !json.contains("张三丰") && !json.contains("19491231"),
        "{json}"
    );
    // A replayed screenshot: denied, no visitor attached.
    let late = gate.admit(&door, &text, now.saturating_add(120));
    let r = late.record(&venue_key, "gate-1");
    assert_eq!(
        (r.decision, r.pseudonym, r.name, r.code_state),
        (Outcome::Deny, None, None, Some(CodeState::Expired))
    );
}

fn dynamic(w: &World, colour: Colour, issued_at: Timestamp) -> String {
    let issue = PersonalIssue {
        profile: Profile::Dynamic,
        generation: 0,
        issued_at,
        valid_secs: None,
        status: Some(HealthStatus { colour, nat: None }),
    };
    PersonalCode::for_holder("张三丰", &w.id, &w.tokens, &issue)
        .unwrap()
        .issue(
            &w.personal,
            &Prefix::new("HTTPS://VC.SH.GOV.CN/P/").unwrap(),
        )
        .unwrap()
}

#[test]
fn a_check_in_is_decided_by_the_receiver_and_stored_once() {
    let w = world();
    let now = w.t0;
    let mut gate = Gate::new(
        Checkpoint::new(w.trust.clone()),
        Policy::builtin(DEFAULT_POLICY).unwrap(),
    );
    let key = keys(PseudonymKey::from_bytes([9; 32]));
    let request = CheckInRequest {
        venue_code: w.door_text(),
        personal_code: dynamic(&w, Colour::Green, now),
        device: "phone-7".into(),
        at: now.saturating_add(5),
        companion_of: None,
    };
    let c = gate
        .check_in(&request, now.saturating_add(10))
        .unwrap()
        .recorded(&key);
    assert_eq!(
        (c.pass.venue_name.as_str(), c.pass.door.as_str()),
        ("上海玉佛禅寺", "东门")
    );
    assert_eq!(
        (c.pass.decision, c.pass.colour),
        (Outcome::Admit, Some(Colour::Green))
    );
    assert_eq!(c.pass.local_time, "2022-04-06T08:00:05+08:00");
    assert_eq!(
        (c.record.origin, c.record.device.clone()),
        (Origin::SelfScan, key.pseudonyms().phone("phone-7"))
    );
    // The phone's id is the venue's pseudonym of it: another venue's key names it otherwise.
    assert_ne!(
        key.pseudonyms().phone("phone-7"),
        PseudonymKey::from_bytes([8; 32]).phone("phone-7")
    );
    assert!(c.record.device.starts_with("phone-") && c.record.device.len() == 22);
    assert_eq!(
        c.record.pseudonym,
        Some(key.pseudonym(&w.tokens.token(&w.id)))
    );
    // The same request again (a retry) is the same record; another device's is another.
    let again = gate
        .check_in(&request, now.saturating_add(20))
        .unwrap()
        .recorded(&key);
    assert_eq!(again.record.id, c.record.id);
    let other = CheckInRequest {
        device: "phone-8".into(),
        ..request.clone()
    };
    assert_ne!(
        gate.check_in(&other, now).unwrap().recorded(&key).record.id,
        c.record.id
    );
    // The receiver decides: a red code is denied and reported whatever the app thought.
    let red = CheckInRequest {
        personal_code: dynamic(&w, Colour::Red, now),
        ..request.clone()
    };
    let r = gate.check_in(&red, now).unwrap().recorded(&key);
    assert_eq!((r.pass.decision, r.pass.report), (Outcome::Deny, true));
    // Re-verified at the receiver's time: the code has expired an hour later.
    let late = CheckInRequest {
        at: now.saturating_add(3_600),
        ..request.clone()
    };
    let l = gate
        .check_in(&late, now.saturating_add(3_600))
        .unwrap()
        .recorded(&key);
    assert_eq!(
        (l.pass.code, l.pass.decision),
        (CodeState::Expired, Outcome::Deny)
    );
    // A request dated far from the receiver's clock, a bad device id, a door that is not one.
    let skewed = gate.check_in(&request, now.saturating_add(1_000));
    assert_eq!(skewed.unwrap_err().code(), "invalid_input");
    let bad_device = CheckInRequest {
        device: "手机".into(),
        ..request.clone()
    };
    assert!(gate.check_in(&bad_device, now).is_err());
    let no_door = CheckInRequest {
        venue_code: request.personal_code.clone(),
        ..request.clone()
    };
    assert_eq!(
        gate.check_in(&no_door, now).unwrap_err().code(),
        "unsupported_version"
    );
    // The request's JSON form: read back exactly; unknown fields, oversized or broken input
    // refused without quoting it.
    let json = request.to_json();
    assert_eq!(CheckInRequest::from_json(&json).unwrap(), request);
    assert!(CheckInRequest::from_json(&json.replace("\"at\"", "\"when\"")).is_err());
    let padded = format!("{json}{}", " ".repeat(MAX_CHECK_IN_BYTES));
    assert!(
        CheckInRequest::from_json(&padded)
            .unwrap_err()
            .to_string()
            .contains("16 KiB")
    );
    let e = CheckInRequest::from_json("{\"venue_code\": 11010519491231002}").unwrap_err();
    assert!(!e.to_string().contains("11010519491231002"), "{e}");
}

#[test]
fn hand_registrations_are_masked_and_the_same_visitor_as_a_scan() {
    let w = world();
    let now = w.t0;
    let mut gate = Gate::new(
        Checkpoint::new(w.trust.clone()),
        Policy::builtin(DEFAULT_POLICY).unwrap(),
    );
    let door = gate.door(&w.door_text(), now).unwrap();
    let key = keys(PseudonymKey::from_bytes([9; 32]));
    let reg = Registration {
        name: "张三丰",
        id_number: &w.id,
        phone: Some("13812345678"),
        decision: Outcome::Admit,
        staff: "staff-3",
        device: "desk-1",
        at: now,
    };
    let r = register(&door, &reg, &w.tokens, &key).unwrap();
    assert_eq!(
        (r.origin, r.decision, r.code_state),
        (Origin::Staff, Outcome::Admit, None)
    );
    assert_eq!(
        (
            r.name.as_deref(),
            r.id_number.as_deref(),
            r.phone.as_deref()
        ),
        (
            Some("张*丰"),
            Some("110105********00**"),
            Some("138****5678")
        )
    );
    let json = serde_json::to_string(&r).unwrap();
    assert!(!json.contains("张三丰") && !json.contains("19491231") && !json.contains("12345678"));
    // The same person scanning a code at a gate has the same pseudonym.
    let scan = gate.admit(&door, &dynamic(&w, Colour::Green, now), now);
    assert_eq!(scan.record(&key, "gate-1").pseudonym, r.pseudonym);
    // Staff decide admit or deny; a bad phone number or staff id is refused, never echoed.
    let manual = Registration {
        decision: Outcome::Manual,
        ..reg
    };
    assert!(register(&door, &manual, &w.tokens, &key).is_err());
    let phone = Registration {
        phone: Some("12345"),
        ..reg
    };
    let e = register(&door, &phone, &w.tokens, &key).unwrap_err();
    assert!(!e.to_string().contains("12345"));
    let invisible = Registration {
        name: "张\u{200B}三丰",
        ..reg
    };
    assert!(register(&door, &invisible, &w.tokens, &key).is_err());
}

#[test]
fn staff_resolve_only_manual_scans() {
    let w = world();
    let now = w.t0;
    let mut gate = Gate::new(
        Checkpoint::new(w.trust.clone()),
        Policy::builtin(DEFAULT_POLICY).unwrap(),
    );
    let door = gate.door(&w.door_text(), now).unwrap();
    let key = keys(PseudonymKey::from_bytes([9; 32]));
    // An offline code without a status list goes to staff.
    let manual = gate.admit(&door, &w.offline(1), now).record(&key, "gate-1");
    assert_eq!(manual.decision, Outcome::Manual);
    let later = now.saturating_add(60);
    let r = resolve(&manual, Outcome::Admit, "staff-3", "desk-1", later).unwrap();
    assert_eq!(
        (r.resolves, r.decision, r.origin),
        (Some(manual.id), Outcome::Admit, Origin::Staff)
    );
    assert_eq!((r.pseudonym, r.door.as_str()), (manual.pseudonym, "东门"));
    assert_ne!(r.id, manual.id);
    assert!(resolve(&r, Outcome::Deny, "staff-3", "desk-1", later).is_err());
    let green = gate.admit(&door, &dynamic(&w, Colour::Green, now), now);
    let admitted = green.record(&key, "gate-1");
    assert!(resolve(&admitted, Outcome::Deny, "staff-3", "desk-1", later).is_err());
    // Statistics: the resolution is no entry of its own.
    let mut stats = crate::record::DailyStats::new(crate::record::Day::of(now), 600);
    for record in [&manual, &r, &admitted] {
        stats.add(record).unwrap();
    }
    let s = stats.summary();
    assert_eq!(
        (s.scans, s.resolved.admit, s.by_decision.manual),
        (Some(2), Some(1), Some(1))
    );
}

#[test]
fn a_gate_config_loads_the_gate_and_refuses_an_older_list_changing_nothing() {
    let w = world();
    let (status, revocations) = w.lists();
    let now = w.t0.saturating_add(60);
    let mut config = GateConfig::new(GateTrust::Unsigned(w.trust.clone()));
    config.status = Some(status);
    config.revocations = Some(revocations);
    config.builtin = Some("sh-2022-public-48h".into());
    let mut gate = config.load(now, GateState::new()).unwrap();
    assert_eq!(gate.policy().id(), "sh-2022-public-48h");
    let door = gate.door(&w.door_text(), now).unwrap();
    // The status list of the configuration speaks for the offline code; the revocation list
    // catches its lost predecessor.
    let a = gate.admit(&door, &w.offline(1), now);
    assert_eq!((a.code, a.revocations_checked), (CodeState::Valid, true));
    assert!(matches!(a.status, Resolved::Fresh(_)), "{:?}", a.status);
    assert_eq!(
        gate.admit(&door, &w.offline(0), now).code,
        CodeState::Superseded
    );

    // A status list older than the one the state holds: rolled back, and the checkpoint's state
    // is left as it was.
    let green = HealthStatus {
        colour: Colour::Green,
        nat: None,
    };
    let newer =
        StatusList::build(vec![(w.tokens.token(&w.id), green)], w.seal(2), &w.status).unwrap();
    let mut state = gate.state().clone();
    let mut next = config.clone();
    next.status = Some(newer);
    next.checkpoint(now, &mut state).unwrap();
    let before = state.clone();
    assert_eq!(
        config.checkpoint(now, &mut state).unwrap_err().code(),
        "rolled_back"
    );
    assert_eq!(state, before);
    assert_eq!(config.load(now, state).unwrap_err().code(), "rolled_back");
}

#[test]
fn a_check_in_verifies_its_door_once_and_names_it_with_the_admission() {
    let w = world();
    let now = w.t0;
    let mut gate = Gate::new(
        Checkpoint::new(w.trust.clone()),
        Policy::builtin(DEFAULT_POLICY).unwrap(),
    );
    let request = CheckInRequest {
        venue_code: w.door_text(),
        personal_code: dynamic(&w, Colour::Green, now),
        device: "phone-7".into(),
        at: now,
        companion_of: None,
    };
    let arrival = gate.check_in(&request, now).unwrap();
    assert_eq!(arrival.door(), &gate.door(&w.door_text(), now).unwrap());
    assert_eq!(
        arrival.admission().admission().door.as_ref(),
        Some(arrival.door())
    );
    let key = keys(PseudonymKey::from_bytes([9; 32]));
    let c = arrival.recorded(&key);
    assert_eq!(
        (c.pass, c.record.id),
        (arrival.pass(), arrival.record(&key).id)
    );
    // The JSON of an admission at a door is the admission's own (SPEC.md §12).
    let at_door = gate.admit(arrival.door(), &w.offline(1), now);
    assert_eq!(
        serde_json::to_value(&at_door).unwrap(),
        serde_json::to_value(at_door.admission()).unwrap()
    );
}

#[test]
fn a_shared_gate_decides_as_a_gate_and_remembers_codes_for_every_thread() {
    let w = world();
    let now = w.t0;
    let gate = Gate::new(
        Checkpoint::new(w.trust.clone()),
        Policy::builtin(DEFAULT_POLICY).unwrap(),
    );
    let mut single = gate.clone();
    let shared = std::sync::Arc::new(SharedGate::new(gate));
    let east = shared.rules().door(&w.door_text(), now).unwrap();
    let west = Door {
        door: "西门".into(),
        ..east.clone()
    };
    let code = dynamic(&w, Colour::Green, now);
    let request = CheckInRequest {
        venue_code: w.door_text(),
        personal_code: code.clone(),
        device: "phone-7".into(),
        at: now,
        companion_of: None,
    };
    // The same decision and record as a gate of one thread.
    let key = keys(PseudonymKey::from_bytes([9; 32]));
    let there = {
        let shared = shared.clone();
        let request = request.clone();
        std::thread::spawn(move || shared.check_in(&request, now).unwrap())
            .join()
            .unwrap()
    };
    let here = single.check_in(&request, now).unwrap();
    assert_eq!(there.pass(), here.pass());
    let (a, b) = (there.record(&key), here.record(&key));
    assert_eq!(
        (a.id, a.pseudonym, a.decision),
        (b.id, b.pseudonym, b.decision)
    );
    // Seen by one thread, a screenshot shown at another door is replayed for every thread.
    let again = {
        let shared = shared.clone();
        let code = code.clone();
        std::thread::spawn(move || shared.admit(&west, &code, now.saturating_add(1)))
            .join()
            .unwrap()
    };
    assert_eq!(
        (again.code, again.decision),
        (CodeState::Replayed, Outcome::Deny)
    );
    // And the state to store holds it.
    let state = GateState::from_bytes(&shared.state_bytes()).unwrap();
    assert_eq!(state.remembered(), 1);
    // Within the grace, the same phone at the same door is a retry; the gate's own scanner, or
    // another phone, is a second device with the same screen.
    let retry = shared.check_in(&request, now.saturating_add(2)).unwrap();
    assert_eq!(retry.pass().code, CodeState::Valid);
    assert_eq!(shared.admit(&east, &code, now).code, CodeState::Replayed);
    // Past the grace the same request is a screenshot of itself, unless asked again as a
    // retry (its record already stored); a sighting whose record was not stored is forgotten.
    let later = now.saturating_add(15);
    assert_eq!(
        shared.check_in(&request, later).unwrap().pass().code,
        CodeState::Replayed
    );
    let retry = shared.check_in_as(&request, later, Replay::Fresh).unwrap();
    assert_eq!(
        (retry.pass().code, retry.record(&key).id),
        (CodeState::Valid, a.id)
    );
    shared.forget(&request, &east);
    assert_eq!(
        shared.check_in(&request, later).unwrap().pass().code,
        CodeState::Valid
    );
}

#[test]
fn a_first_sighting_is_what_a_shared_store_claims_and_its_rule_is_the_gates() {
    let w = world();
    let now = w.t0;
    let gate = || {
        SharedGate::new(Gate::new(
            Checkpoint::new(w.trust.clone()),
            Policy::builtin(DEFAULT_POLICY).unwrap(),
        ))
    };
    let (node_a, node_b) = (gate(), gate());
    let code = dynamic(&w, Colour::Green, now);
    let request = |device: &str| CheckInRequest {
        venue_code: w.door_text(),
        personal_code: code.clone(),
        device: device.into(),
        at: now,
        companion_of: None,
    };
    let (_, first) = node_a.check_in_seen(&request("phone-1"), now).unwrap();
    let claimed = first.expect("a dynamic code's first sighting");
    // Node B has not seen it: its own memory calls it fresh, and its sighting is what the
    // store compares with the one node A claimed.
    let (second, seen) = node_b
        .check_in_seen(&request("phone-2"), now.saturating_add(5))
        .unwrap();
    assert_eq!(second.pass().code, CodeState::Valid);
    let replay = seen.unwrap().after(&claimed);
    assert_eq!(replay, Replay::ElsewhereFirst);
    let decided = node_b
        .check_in_as(&request("phone-2"), now.saturating_add(5), replay)
        .unwrap();
    assert_eq!(
        (decided.pass().code, decided.pass().decision),
        (CodeState::Replayed, Outcome::Deny)
    );
    // The rule: the same place within the grace is fresh, past it replayed; a replay is not a
    // sighting to claim.
    let at = |secs: i64| Sighting {
        first_at: now.saturating_add(secs),
        ..claimed
    };
    assert_eq!(at(REPLAY_GRACE_SECS).after(&claimed), Replay::Fresh);
    assert_eq!(
        at(REPLAY_GRACE_SECS + 1).after(&claimed),
        Replay::HereBefore
    );
    let (replayed, none) = node_a.check_in_seen(&request("phone-2"), now).unwrap();
    assert_eq!((replayed.pass().code, none), (CodeState::Replayed, None));
    // An offline code is no dynamic code: nothing to claim.
    let offline = CheckInRequest {
        personal_code: w.offline(2),
        ..request("phone-1")
    };
    assert_eq!(node_a.check_in_seen(&offline, now).unwrap().1, None);
}

#[test]
fn a_shared_gate_replaces_its_rules_only_when_the_lists_verify_and_are_kept() {
    let w = world();
    let now = w.t0.saturating_add(60);
    let mut config = GateConfig::new(GateTrust::Unsigned(w.trust.clone()));
    let shared = SharedGate::new(config.load(now, GateState::new()).unwrap());
    let door = shared.rules().door(&w.door_text(), now).unwrap();
    // No status or revocation list: an offline code goes to staff.
    assert_eq!(
        shared.admit(&door, &w.offline(1), now).decision,
        Outcome::Manual
    );

    let (status, revocations) = w.lists();
    config.status = Some(status);
    config.revocations = Some(revocations);
    // The caller could not keep the lists: nothing changes.
    let e = shared
        .replace(&config, now, || {
            Err(Error::InvalidInput {
                field: "lists",
                reason: "disk full".into(),
            })
        })
        .unwrap_err();
    assert_eq!(e.code(), "invalid_input");
    assert_eq!(
        shared.admit(&door, &w.offline(1), now).decision,
        Outcome::Manual
    );
    let before = shared.state_bytes();
    // Kept: the new status list decides, and its serial is in the state.
    shared.replace(&config, now, || Ok::<_, Error>(())).unwrap();
    assert_eq!(
        shared.admit(&door, &w.offline(1), now).decision,
        Outcome::Admit
    );
    assert_ne!(shared.state_bytes(), before);
    // A damaged list is refused, and the rules before stay.
    let mut damaged = config.clone();
    if let Some(s) = damaged.status.as_mut() {
        let last = s.len() - 1;
        s[last] ^= 1;
    }
    let kept = std::cell::Cell::new(false);
    assert!(
        shared
            .replace(&damaged, now, || {
                kept.set(true);
                Ok::<_, Error>(())
            })
            .is_err()
    );
    assert!(!kept.get());
    assert_eq!(
        shared.admit(&door, &w.offline(1), now).decision,
        Outcome::Admit
    );
}

#[test]
fn a_companion_is_checked_in_from_the_visitor_s_phone_as_a_record_of_their_own() {
    let w = world();
    let now = w.t0;
    let mut gate = Gate::new(
        Checkpoint::new(w.trust.clone()),
        Policy::builtin(DEFAULT_POLICY).unwrap(),
    );
    let key = keys(PseudonymKey::from_bytes([9; 32]));
    let visitor = CheckInRequest {
        venue_code: w.door_text(),
        personal_code: dynamic(&w, Colour::Green, now),
        device: "phone-7".into(),
        at: now,
        companion_of: None,
    };
    let own = gate.check_in(&visitor, now).unwrap().record(&key);
    let request = CheckInRequest {
        personal_code: w.offline(2),
        companion_of: Some(own.id),
        ..visitor.clone()
    };
    let arrival = gate.check_in(&request, now.saturating_add(30)).unwrap();
    arrival.check_companion(Some(&own), &key).unwrap();
    let record = arrival.record(&key);
    assert_eq!(
        (record.origin, record.companion_of),
        (Origin::Companion, Some(own.id))
    );
    assert_eq!(record.device, own.device);
    assert_ne!(record.id, own.id);
    record.check().unwrap();
    // The same code checked in on its own is another record.
    let alone = CheckInRequest {
        companion_of: None,
        ..request.clone()
    };
    let alone = gate.check_in(&alone, now.saturating_add(30)).unwrap();
    assert_ne!(alone.record(&key).id, record.id);
    assert!(alone.check_companion(None, &key).is_ok());
    // Refused: a record that is not there, a companion's record, another phone's check-in,
    // and one more than 5 minutes before.
    let refused = |arrival: &Arrival, visitor: Option<&ScanRecord>| {
        matches!(
            arrival.check_companion(visitor, &key),
            Err(Error::InvalidInput {
                field: "companion_of",
                ..
            })
        )
    };
    assert!(refused(&arrival, None));
    let companion_of_companion = ScanRecord {
        id: own.id,
        ..record.clone()
    };
    assert!(refused(&arrival, Some(&companion_of_companion)));
    let other_phone = CheckInRequest {
        device: "phone-8".into(),
        ..request.clone()
    };
    let other_phone = gate.check_in(&other_phone, now.saturating_add(30)).unwrap();
    assert!(refused(&other_phone, Some(&own)));
    let late = CheckInRequest {
        at: now.saturating_add(301),
        ..request.clone()
    };
    let late = gate.check_in(&late, now.saturating_add(301)).unwrap();
    assert!(refused(&late, Some(&own)));
}

#[test]
fn an_expired_status_list_is_left_out_and_said_but_an_expired_revocation_list_stops_the_door() {
    let w = world();
    let (status, revocations) = w.lists();
    let later = w.t0.saturating_add(2 * 86_400);
    let load = |status: Option<&[u8]>, revocations: Option<&[u8]>| {
        let lists = SignedLists {
            status_list: status,
            revocations,
            max_status_age_secs: None,
        };
        Gate::load(
            w.trust.clone(),
            &lists,
            &PolicyChoice::default(),
            later,
            GateState::new(),
        )
    };
    let gate = load(Some(&status), None).unwrap();
    assert!(gate.checkpoint().status_expired());
    assert!(gate.checkpoint().status().is_none());
    // Its serial was not taken: the state holds no serial of a list it did not use.
    assert_eq!(gate.state(), &GateState::new());
    // Offline codes are then decided with their status unknown; dynamic codes as ever.
    let mut gate = gate;
    let door = gate.door(&w.door_text(), later).unwrap();
    let offline = gate.admit(&door, &w.offline(1), later);
    assert_eq!(offline.decision, Outcome::Manual);
    let green = gate.admit(&door, &dynamic(&w, Colour::Green, later), later);
    assert_eq!(green.decision, Outcome::Admit);
    // In its window nothing is said.
    let fresh = Gate::load(
        w.trust.clone(),
        &SignedLists {
            status_list: Some(&status),
            revocations: None,
            max_status_age_secs: None,
        },
        &PolicyChoice::default(),
        w.t0.saturating_add(60),
        GateState::new(),
    )
    .unwrap();
    assert!(!fresh.checkpoint().status_expired());
    // A revoked code must not pass: an expired revocation list is still an error.
    assert!(matches!(
        load(None, Some(&revocations)),
        Err(Error::Expired(crate::error::Subject::List))
    ));
}
