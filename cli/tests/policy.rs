//! `check`, `policy test`, `policy sign` end to end, with their exit codes.

#![allow(clippy::unwrap_used)]

mod common;
use common::*;
use serde_json::Value;

const ID: &str = HOLDER_ID;
const ISSUED_AT: &str = "2022-04-06T08:00:00+08:00";
const AT: &str = "2022-04-06T08:00:30+08:00";

fn setup() -> Setup {
    let s = Setup::new();
    s.key("p.pem", "personal");
    s.key("policy.pem", "policy");
    s.token_key();
    s
}

fn issue(s: &Setup, key: &str, extra: &[&str]) -> String {
    stdout_of(&s.person(key, "张三丰", ID, ISSUED_AT, extra).code(0))
        .trim()
        .to_owned()
}

fn check(s: &Setup, code: &str, policy: &[&str], class: &str) -> (i32, Value, String) {
    let out = venuecode()
        .args(["check", "--json", "--trust"])
        .arg(s.path("trust.json"))
        .args(["--at", AT, "--venue-class", class])
        .args(policy)
        .arg(code)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let json = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    (
        out.status.code().unwrap(),
        json,
        stdout + &String::from_utf8_lossy(&out.stderr),
    )
}

#[test]
fn decisions_and_their_exit_codes() {
    let s = setup();
    let green = issue(&s, "p.pem", &["--profile", "dynamic", "--colour", "green"]);
    let red = issue(&s, "p.pem", &["--profile", "dynamic", "--colour", "red"]);
    let offline = issue(&s, "p.pem", &["--profile", "offline"]);
    // A key nobody trusts, and one trusted only for venue codes.
    venuecode()
        .args(["keygen", "--out"])
        .arg(s.path("stranger.pem"))
        .assert()
        .success();
    let unknown = issue(
        &s,
        "stranger.pem",
        &["--profile", "dynamic", "--colour", "green"],
    );
    s.key("venue.pem", "venue");
    let misused = issue(
        &s,
        "venue.pem",
        &["--profile", "dynamic", "--colour", "green"],
    );

    let (code, json, all) = check(&s, &green, &[], "religious");
    assert_eq!(
        (code, json["decision"].as_str(), json["rule"].as_str()),
        (0, Some("admit"), Some("green"))
    );
    assert_eq!(json["policy"], "sh-2022-04-01");
    assert_eq!(json["holder"]["name"], "张*丰");
    assert!(!all.contains("张三丰") && !all.contains(ID));
    let (code, json, _) = check(&s, &red, &[], "religious");
    assert_eq!(
        (code, json["decision"].as_str(), json["report"].as_bool()),
        (1, Some("deny"), Some(true))
    );
    assert!(
        json["reasons"][0]["zh"]
            .as_str()
            .unwrap()
            .contains("立即报告")
    );
    let (code, json, _) = check(&s, &offline, &[], "religious");
    assert_eq!(
        (code, json["decision"].as_str(), json["rule"].as_str()),
        (3, Some("manual"), Some("no-status"))
    );
    let (code, json, _) = check(&s, &unknown, &[], "religious");
    assert_eq!(
        (code, json["rule"].as_str(), json["code"].as_str()),
        (3, Some("unchecked-code"), Some("unknown_key"))
    );
    let (code, json, _) = check(&s, &misused, &[], "religious");
    assert_eq!(
        (code, json["rule"].as_str(), json["code"].as_str()),
        (1, Some("invalid-code"), Some("wrong_key_usage"))
    );

    // The 48-hour rule set: green without a test is denied at public venues, admitted at offices.
    let strict = ["--builtin", "sh-2022-public-48h"];
    let (code, json, _) = check(&s, &green, &strict, "public");
    assert_eq!(
        (code, json["rule"].as_str(), json["report"].as_bool()),
        (1, Some("green-untested"), Some(false))
    );
    assert_eq!(check(&s, &green, &strict, "office").0, 0);
    // Unknown classes and rule sets are usage errors.
    assert_eq!(check(&s, &green, &[], "stadium").0, 2);
    assert_eq!(check(&s, &green, &["--builtin", "sh-2099"], "public").0, 2);
    // The human form.
    venuecode()
        .args(["check", "--trust"])
        .arg(s.path("trust.json"))
        .args(["--at", AT, "--venue-class", "public", &red])
        .assert()
        .code(1)
        .stdout(predicates::str::contains("REPORT NOW"));
}

#[test]
fn rule_sets_are_tested_and_signed() {
    let s = setup();
    let builtin = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../core/policies/sh-2022-public-48h.json");
    venuecode()
        .args(["policy", "test"])
        .arg(&builtin)
        .assert()
        .code(0)
        .stdout(predicates::str::contains("13 tests passed"));
    let mut broken: Value =
        serde_json::from_str(&std::fs::read_to_string(&builtin).unwrap()).unwrap();
    broken["rules"][6]["when"]["class"] = serde_json::json!(["public", "religious", "office"]);
    std::fs::write(s.path("broken.json"), broken.to_string()).unwrap();
    venuecode()
        .args(["policy", "test"])
        .arg(s.path("broken.json"))
        .assert()
        .code(1)
        .stdout(predicates::str::contains("green-untested"));

    // A signed rule set needs an end at most 400 days after its start.
    venuecode()
        .args(["policy", "sign", "--key"])
        .arg(s.path("policy.pem"))
        .arg(&builtin)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("400 days"));
    let mut dated: Value =
        serde_json::from_str(&std::fs::read_to_string(&builtin).unwrap()).unwrap();
    dated["valid_until"] = serde_json::json!("2023-04-01T00:00:00+08:00");
    let builtin = s.path("dated.json");
    std::fs::write(&builtin, dated.to_string()).unwrap();
    venuecode()
        .args(["policy", "sign", "--key"])
        .arg(s.path("policy.pem"))
        .arg("--out")
        .arg(s.path("signed.json"))
        .arg(&builtin)
        .assert()
        .code(0);
    let green = issue(&s, "p.pem", &["--profile", "dynamic", "--colour", "green"]);
    let signed = s.path("signed.json");
    let (code, json, _) = check(
        &s,
        &green,
        &["--policy", signed.to_str().unwrap()],
        "public",
    );
    assert_eq!(
        (code, json["policy"].as_str()),
        (1, Some("sh-2022-public-48h"))
    );
    // Signed by a key not trusted for rule sets: refused as a usage error.
    venuecode()
        .args(["policy", "sign", "--key"])
        .arg(s.path("p.pem"))
        .arg("--out")
        .arg(s.path("wrong.json"))
        .arg(&builtin)
        .assert()
        .code(0);
    let wrong = s.path("wrong.json");
    let (code, _, all) = check(&s, &green, &["--policy", wrong.to_str().unwrap()], "public");
    assert_eq!(code, 2);
    assert!(all.contains("wrong_key_usage"), "{all}");
    // A broken rule set cannot be signed.
    venuecode()
        .args(["policy", "sign", "--key"])
        .arg(s.path("policy.pem"))
        .arg(s.path("broken.json"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("invalid_policy"));
}
