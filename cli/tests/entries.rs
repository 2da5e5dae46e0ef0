//! A venue's day on three devices: a visitor's own check-in, a gate scan and a hand
//! registration, stored in three ledgers provisioned with the venue's key, merged into one in
//! which every visitor is counted once; and staff resolving a scan sent to them.

#![allow(clippy::unwrap_used)]

mod common;
use common::*;
use serde_json::Value;

const ID: &str = HOLDER_ID;
const OTHER: &str = "110105198001010016";

fn json(a: &assert_cmd::assert::Assert) -> Value {
    serde_json::from_str(&stdout_of(a)).unwrap()
}

#[test]
fn three_devices_one_venue_one_visitor_each() {
    let (s, venue) = Setup::with_door();
    // The authority derives the venue's pseudonym key; every device gets it.
    venuecode()
        .arg("token-key")
        .arg("--out")
        .arg(s.path("root"))
        .assert()
        .success();
    venuecode()
        .args(["venue-key", "--venue-id", "SH-PT-0018", "--root"])
        .arg(s.path("root"))
        .arg("--out")
        .arg(s.path("venue.key"))
        .assert()
        .success();
    for device in ["gate", "phones", "desk"] {
        venuecode()
            .args(["records", "provision", "--venue-id", "SH-PT-0018", "--db"])
            .arg(s.path(&format!("{device}.sqlite")))
            .arg("--key-file")
            .arg(s.path("venue.key"))
            .assert()
            .success();
    }
    let green =
        |id: &str, issued: &str| s.code(id, issued, &["--profile", "dynamic", "--colour", "green"]);
    let door = |cmd: &str, db: &str| {
        let mut c = venuecode();
        c.args([cmd, "--json", "--trust"])
            .arg(s.path("trust.json"))
            .arg("--db")
            .arg(s.path(db))
            .args(["--venue", &venue]);
        c
    };
    // 08:00 the visitor checks in with their phone; 08:30 a gate scans them; 09:00 a second
    // person is registered by hand at the desk; 09:10 the visitor comes back through the gate.
    let code = green(ID, "2022-06-01T08:00:00+08:00");
    let a = door("check-in", "phones.sqlite")
        .args([
            "--device",
            "phone-7",
            "--at",
            "2022-06-01T08:00:10+08:00",
            &code,
        ])
        .assert()
        .code(0);
    let check_in = json(&a);
    assert_eq!(check_in["pass"]["venue_name"], "上海玉佛禅寺");
    assert_eq!(check_in["pass"]["local_time"], "2022-06-01T08:00:10+08:00");
    assert_eq!(check_in["record"]["origin"], "self_scan");
    assert_eq!(check_in["stored"], true);
    // The app retries: nothing more is stored.
    let a = door("check-in", "phones.sqlite")
        .args([
            "--device",
            "phone-7",
            "--at",
            "2022-06-01T08:00:10+08:00",
            &code,
        ])
        .assert()
        .code(0);
    assert_eq!(json(&a)["stored"], false);
    let code = green(ID, "2022-06-01T08:30:00+08:00");
    door("gate", "gate.sqlite")
        .args([
            "--device",
            "gate-1",
            "--at",
            "2022-06-01T08:30:10+08:00",
            &code,
        ])
        .assert()
        .code(0);
    let a = venuecode()
        .args(["register", "--json", "--trust"])
        .arg(s.path("trust.json"))
        .arg("--db")
        .arg(s.path("desk.sqlite"))
        .args(["--venue", &venue, "--token-key"])
        .arg(s.path("tk"))
        .args([
            "--name",
            "李四",
            "--id-number",
            OTHER,
            "--phone",
            "13812345678",
        ])
        .args([
            "--decision",
            "admit",
            "--staff",
            "staff-3",
            "--device",
            "desk-1",
        ])
        .args(["--at", "2022-06-01T09:00:00+08:00"])
        .assert()
        .code(0);
    let registered = json(&a);
    let out = stdout_of(&a);
    assert!(
        !out.contains("李四") && !out.contains(OTHER) && !out.contains("12345678"),
        "{out}"
    );
    assert_eq!(
        (registered["origin"].as_str(), registered["phone"].as_str()),
        (Some("staff"), Some("138****5678"))
    );
    let code = green(ID, "2022-06-01T09:10:00+08:00");
    door("gate", "gate.sqlite")
        .args([
            "--device",
            "gate-1",
            "--at",
            "2022-06-01T09:10:10+08:00",
            &code,
        ])
        .assert()
        .code(0);

    // Merged, twice: one ledger, each record once, each visitor once.
    for _ in 0..2 {
        venuecode()
            .args(["records", "merge", "--db"])
            .arg(s.path("venue.sqlite"))
            .arg(s.path("gate.sqlite"))
            .arg(s.path("phones.sqlite"))
            .arg(s.path("desk.sqlite"))
            .assert()
            .success();
    }
    let a = venuecode()
        .args([
            "records",
            "--json",
            "--details",
            "--day",
            "2022-06-01",
            "--db",
        ])
        .arg(s.path("venue.sqlite"))
        .assert()
        .code(0);
    let view = json(&a);
    let summary = &view["summary"];
    assert_eq!(
        (
            summary["scans"].as_u64(),
            summary["distinct_visitors"].as_u64()
        ),
        (Some(4), Some(2))
    );
    let origins: Vec<&str> = view["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["origin"].as_str().unwrap())
        .collect();
    assert_eq!(origins.len(), 4);
    for origin in ["self_scan", "gate", "staff"] {
        assert!(origins.contains(&origin), "{origins:?}");
    }
    // A device that was not provisioned cannot be merged in: its pseudonyms would differ.
    door("gate", "stray.sqlite")
        .args([
            "--device",
            "gate-9",
            "--at",
            "2022-06-01T09:10:10+08:00",
            &code,
        ])
        .assert()
        .code(0);
    venuecode()
        .args(["records", "merge", "--db"])
        .arg(s.path("venue.sqlite"))
        .arg(s.path("stray.sqlite"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("key_mismatch"));
}

#[test]
fn staff_resolve_a_scan_sent_to_them() {
    let (s, venue) = Setup::with_door();
    // An offline card without a status list goes to staff (exit 3).
    let card = s.code(ID, ISSUED, &["--profile", "offline"]);
    let a = venuecode()
        .args(["gate", "--json", "--trust"])
        .arg(s.path("trust.json"))
        .arg("--db")
        .arg(s.path("l.sqlite"))
        .args(["--venue", &venue, "--at", DURING, &card])
        .assert()
        .code(3);
    assert_eq!(json(&a)["decision"], "manual");
    let a = venuecode()
        .args([
            "records",
            "--json",
            "--details",
            "--day",
            "2022-06-01",
            "--db",
        ])
        .arg(s.path("l.sqlite"))
        .assert()
        .code(0);
    let id = json(&a)["details"][0]["id"].as_str().unwrap().to_owned();
    let resolve_at = |decision: &str, at: &str| {
        venuecode()
            .args(["resolve", "--json", "--db"])
            .arg(s.path("l.sqlite"))
            .args([
                "--record",
                &id,
                "--decision",
                decision,
                "--staff",
                "staff-3",
            ])
            .args(["--at", at])
            .assert()
    };
    let resolve = |decision: &str| resolve_at(decision, "2022-06-01T10:05:00+08:00");
    let r = json(&resolve("admit").code(0));
    assert_eq!(
        (r["resolves"].as_str(), r["decision"].as_str()),
        (Some(id.as_str()), Some("admit"))
    );
    // The same decision again is a retry; another decision, or a second one later, is refused:
    // a scan sent to staff has one final decision.
    resolve("admit").code(0);
    for (decision, at) in [
        ("deny", "2022-06-01T10:05:00+08:00"),
        ("admit", "2022-06-01T10:06:00+08:00"),
    ] {
        let a = resolve_at(decision, at).code(2);
        let stderr = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
        assert!(stderr.contains("already_resolved"), "{stderr}");
    }
    let a = venuecode()
        .args(["records", "--json", "--day", "2022-06-01", "--db"])
        .arg(s.path("l.sqlite"))
        .assert()
        .code(0);
    let summary = &json(&a)["summary"];
    assert_eq!(
        (
            summary["scans"].as_u64(),
            summary["resolved"]["admit"].as_u64()
        ),
        (Some(1), Some(1))
    );
    // Only a manual scan can be resolved; `maybe` is not a decision (and is not echoed).
    venuecode()
        .args(["resolve", "--db"])
        .arg(s.path("l.sqlite"))
        .args([
            "--record",
            &"0".repeat(32),
            "--decision",
            "deny",
            "--staff",
            "s",
        ])
        .assert()
        .code(2);
    let a = resolve("maybe").code(2);
    assert!(!String::from_utf8_lossy(&a.get_output().stderr).contains("maybe"));
}

#[test]
fn a_check_in_request_from_an_app_is_decided_again() {
    let (s, venue) = Setup::with_door();
    let red = s.dynamic("red", "2022-06-01T08:00:00+08:00");
    // The app's request, as it would send it (its time by JavaScript's `toISOString()`, with
    // milliseconds); the receiver decides (red: deny, report).
    let request = serde_json::json!({
        "venue_code": venue, "personal_code": red, "device": "phone-7",
        "at": "2022-06-01T00:00:20.123Z",
    });
    std::fs::write(s.path("request.json"), request.to_string()).unwrap();
    let a = venuecode()
        .args(["check-in", "--json", "--trust"])
        .arg(s.path("trust.json"))
        .arg("--db")
        .arg(s.path("l.sqlite"))
        .arg("--request")
        .arg(s.path("request.json"))
        .args(["--at", "2022-06-01T08:00:30+08:00"])
        .assert()
        .code(1);
    let c = json(&a);
    assert_eq!(
        (
            c["pass"]["decision"].as_str(),
            c["pass"]["report"].as_bool()
        ),
        (Some("deny"), Some(true))
    );
    // The phone is stored as the venue's pseudonym of its id.
    let device = c["record"]["device"].as_str().unwrap();
    assert!(
        device.starts_with("phone-") && device != "phone-7",
        "{device}"
    );
    // A request that is not one is refused without quoting it.
    std::fs::write(s.path("bad.json"), format!("{{\"venue_code\": \"{ID}\"}}")).unwrap();
    let a = venuecode()
        .args(["check-in", "--trust"])
        .arg(s.path("trust.json"))
        .arg("--db")
        .arg(s.path("l.sqlite"))
        .arg("--request")
        .arg(s.path("bad.json"))
        .assert()
        .code(2);
    assert!(!String::from_utf8_lossy(&a.get_output().stderr).contains(ID));
}
