//! Signed lists v2 on the command line: the signed trust list and its pinned root, the state
//! file that refuses older lists and catches replayed screenshots, lifetime caps, the host.

#![allow(clippy::unwrap_used)]

use serde_json::Value;

mod common;
use common::*;

/// A setup whose trust list is signed: gives it and the root's key id.
fn signed_setup() -> (Setup, String, String) {
    let (s, venue) = Setup::with_door();
    let kid = stdout_of(
        &venuecode()
            .args(["root", "keygen", "--out"])
            .arg(s.path("root.pem"))
            .arg("--trust")
            .arg(s.path("trust.json"))
            .assert()
            .code(0),
    )
    .trim()
    .to_owned();
    sign(&s, "trust.signed", 2);
    (s, venue, kid)
}

fn sign(s: &Setup, out: &str, serial: u64) {
    venuecode()
        .args(["trust", "sign", "--root"])
        .arg(s.path("root.pem"))
        .arg("--in")
        .arg(s.path("trust.json"))
        .arg("--out")
        .arg(s.path(out))
        .args([
            "--serial",
            &serial.to_string(),
            "--issued",
            ISSUED,
            "--valid-days",
            "180",
        ])
        .assert()
        .code(0);
}

#[test]
fn a_gate_reads_only_a_signed_trust_list_and_never_an_older_one() {
    let (s, venue, kid) = signed_setup();
    let verify = |trust: &str, extra: &[&str]| {
        signed()
            .args(["venue", "verify", "--json", "--trust"])
            .arg(s.path(trust))
            .arg("--state")
            .arg(s.path("gate.state"))
            .args(extra)
            .args(["--at", DURING, &venue])
            .output()
            .unwrap()
    };
    // The unsigned JSON is refused unless asked for by name.
    let out = verify("trust.json", &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--insecure-unsigned-trust"));
    assert_eq!(
        verify("trust.json", &["--insecure-unsigned-trust"])
            .status
            .code(),
        Some(0)
    );
    // The signed list needs its pinned root; another id is an unknown key.
    assert_eq!(verify("trust.signed", &[]).status.code(), Some(2));
    let out = verify("trust.signed", &["--root-kid", "0000000000000000"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown_key"));
    let out = verify("trust.signed", &["--root-kid", &kid]);
    assert_eq!(out.status.code(), Some(0));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["venue"]["host"], "VC.SH.GOV.CN");
    assert_eq!(json["revocations_checked"], false);
    // An older signed list after the newer one: refused, whatever its signature.
    sign(&s, "old.signed", 1);
    let out = verify("old.signed", &["--root-kid", &kid]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("rolled_back"));
    // The human form shows the host a phone opens, and says no revocation list was checked.
    let out = signed()
        .args(["venue", "verify", "--root-kid", &kid, "--trust"])
        .arg(s.path("trust.signed"))
        .args(["--at", DURING, &venue])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("host         VC.SH.GOV.CN"), "{text}");
    assert!(text.contains("revocations  not checked"), "{text}");
}

#[test]
fn a_screenshot_is_caught_through_the_state_file() {
    let (s, venue, kid) = signed_setup();
    let green = s.dynamic("green", "2022-06-01T08:00:00+08:00");
    let gate = |at: &str| {
        signed()
            .args(["gate", "--json", "--root-kid", &kid, "--trust"])
            .arg(s.path("trust.signed"))
            .arg("--state")
            .arg(s.path("gate.state"))
            .arg("--db")
            .arg(s.path("ledger.sqlite"))
            .args(["--venue", &venue, "--at", at, &green])
            .output()
            .unwrap()
    };
    let first = gate("2022-06-01T08:00:05+08:00");
    assert_eq!(first.status.code(), Some(0));
    let again = gate("2022-06-01T08:00:30+08:00");
    assert_eq!(again.status.code(), Some(1));
    let json: Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(
        (&json["code"], &json["decision"], &json["report"]),
        (
            &Value::from("replayed"),
            &Value::from("deny"),
            &Value::from(true)
        )
    );
    // A state file that cannot be written stops the gate before it decides (exit 2): a gate that
    // would forget what it admitted does not run.
    let out = signed()
        .args(["gate", "--json", "--root-kid", &kid, "--trust"])
        .arg(s.path("trust.signed"))
        .arg("--state")
        .arg(s.path("no-such-folder/gate.state"))
        .arg("--db")
        .arg(s.path("other.sqlite"))
        .args([
            "--venue",
            &venue,
            "--at",
            "2022-06-01T08:00:06+08:00",
            &green,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no-such-folder"), "{err}");
}

#[test]
fn lists_live_days_not_years() {
    let (s, _) = Setup::with_door();
    s.key("st.pem", "status");
    venuecode()
        .args(["revoke", "--valid-hours", "87600", "--key"])
        .arg(s.path("st.pem"))
        .arg("--out")
        .arg(s.path("r.bin"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("168 hours"));
    venuecode()
        .args(["revoke", "--valid-hours", "168", "--key"])
        .arg(s.path("st.pem"))
        .arg("--out")
        .arg(s.path("r.bin"))
        .assert()
        .code(0);
    // A venue key without the prefixes it may sign under is not trusted.
    venuecode()
        .args(["keygen", "--usage", "venue", "--out"])
        .arg(s.path("unscoped.pem"))
        .arg("--trust")
        .arg(s.path("trust.json"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("prefixes"));
    assert!(!s.path("unscoped.pem").exists());
}

/// The city layout on the command line: a list of slots, a card that carries its slot, and a
/// gate that takes the next day's list as a delta.
#[test]
fn a_city_list_and_its_daily_delta() {
    let (s, _) = Setup::with_door();
    s.key("st.pem", "status");
    let build = |csv: &str, out: &str, as_of: &str| {
        std::fs::write(s.path("holders.csv"), csv).unwrap();
        venuecode()
            .args(["status", "build", "--slots", "--key"])
            .arg(s.path("st.pem"))
            .arg("--token-key")
            .arg(s.path("tk"))
            .arg("--in")
            .arg(s.path("holders.csv"))
            .arg("--out")
            .arg(s.path(out))
            .args(["--as-of", as_of])
            .assert()
            .code(0);
    };
    let header = "id_number,slot,colour,nat,nat_sampled\n";
    let other = "11010519491231002X";
    build(
        &format!("{header}{HOLDER_ID},3,green,negative,2022-06-01T02:00:00+08:00\n"),
        "day1.bin",
        "2022-06-01T06:00:00+08:00",
    );
    build(
        &format!("{header}{other},3,red,,\n"),
        "day2.bin",
        "2022-06-02T06:00:00+08:00",
    );
    let card = s.code(
        HOLDER_ID,
        "2022-05-01T00:00:00+08:00",
        &["--profile", "offline", "--slot", "3"],
    );
    let verify = |list: &str, at: &str| -> Value {
        let out = venuecode()
            .args(["person", "verify", "--json", "--trust"])
            .arg(s.path("trust.json"))
            .arg("--status")
            .arg(s.path(list))
            .args(["--at", at, &card])
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let first = verify("day1.bin", "2022-06-01T09:00:00+08:00");
    assert_eq!(first["status"]["state"], "fresh", "{first}");
    assert_eq!(first["status"]["colour"], "green");
    assert_eq!(first["status"]["nat"]["result"], "negative");
    // The next day's list, as a delta of the first.
    venuecode()
        .args(["status", "delta", "--from"])
        .arg(s.path("day1.bin"))
        .arg("--to")
        .arg(s.path("day2.bin"))
        .arg("--out")
        .arg(s.path("delta.bin"))
        .assert()
        .code(0);
    venuecode()
        .args(["status", "apply", "--list"])
        .arg(s.path("day1.bin"))
        .arg("--delta")
        .arg(s.path("delta.bin"))
        .arg("--out")
        .arg(s.path("rebuilt.bin"))
        .assert()
        .code(0);
    assert_eq!(
        std::fs::read(s.path("rebuilt.bin")).unwrap(),
        std::fs::read(s.path("day2.bin")).unwrap()
    );
    let second = verify("rebuilt.bin", "2022-06-02T09:00:00+08:00");
    assert_eq!(second["status"]["colour"], "red", "{second}");
    // A delta applied to another list than the one it was made from is refused.
    venuecode()
        .args(["status", "apply", "--list"])
        .arg(s.path("day2.bin"))
        .arg("--delta")
        .arg(s.path("delta.bin"))
        .arg("--out")
        .arg(s.path("wrong.bin"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("another list"));
}

#[test]
fn an_expired_list_is_told_to_staff_as_expired_not_as_a_screenshot() {
    let (s, venue, kid) = signed_setup();
    // The signed trust list lives 180 days from its issue; half a year later it has expired.
    let out = signed()
        .args([
            "--lang",
            "zh",
            "venue",
            "verify",
            "--root-kid",
            &kid,
            "--trust",
        ])
        .arg(s.path("trust.signed"))
        .args(["--at", "2022-12-01T10:00:00+08:00", &venue])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("expired") && stderr.contains("过期") && !stderr.contains("截图"),
        "{stderr}"
    );
}

/// Past its window the status list is left out, not the door: a green dynamic code is admitted
/// and an offline code goes to staff, each recorded, and staff are told why (不漏一人).
#[test]
fn an_expired_status_list_sends_offline_codes_to_staff_and_the_door_goes_on() {
    let (s, venue) = Setup::with_door();
    s.key("st.pem", "status");
    std::fs::write(
        s.path("holders.csv"),
        format!("id_number,colour\n{HOLDER_ID},green\n"),
    )
    .unwrap();
    venuecode()
        .args(["status", "build", "--key"])
        .arg(s.path("st.pem"))
        .arg("--token-key")
        .arg(s.path("tk"))
        .arg("--in")
        .arg(s.path("holders.csv"))
        .arg("--out")
        .arg(s.path("status.bin"))
        .args(["--as-of", "2022-06-01T06:00:00+08:00"])
        .assert()
        .code(0);
    let gate = |at: &str, code: &str| {
        venuecode()
            .args(["gate", "--json", "--trust"])
            .arg(s.path("trust.json"))
            .arg("--status")
            .arg(s.path("status.bin"))
            .arg("--db")
            .arg(s.path("gate.sqlite"))
            .args(["--venue", &venue, "--device", "gate-1", "--at", at, code])
            .output()
            .unwrap()
    };
    let offline = s.code(
        HOLDER_ID,
        "2022-06-01T00:00:00+08:00",
        &["--profile", "offline"],
    );
    // While the list is in its window, the offline code's status comes from it.
    let fresh = gate("2022-06-01T09:00:00+08:00", &offline);
    let decided: serde_json::Value = serde_json::from_slice(&fresh.stdout).unwrap();
    assert_eq!(
        (&decided["status"]["state"], &decided["status"]["colour"]),
        (&"fresh".into(), &"green".into()),
        "{decided}"
    );
    assert!(!String::from_utf8_lossy(&fresh.stderr).contains("expired"));
    // Two days later it has expired: the door goes on.
    let at = "2022-06-03T09:00:00+08:00";
    let dynamic = s.dynamic("green", "2022-06-03T08:59:50+08:00");
    let out = gate(at, &dynamic);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("status list has expired"), "{stderr}");
    let out = gate(at, &offline);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let decided: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (&decided["decision"], &decided["status"]["state"]),
        (&"manual".into(), &"unknown".into()),
        "{decided}"
    );
    // Every entry recorded: the three scans are in the ledger.
    let records = venuecode()
        .args(["records", "export", "--format", "jsonl", "--db"])
        .arg(s.path("gate.sqlite"))
        .args(["--out", "-"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&records.stdout).lines().count(),
        3,
        "{records:?}"
    );
}
