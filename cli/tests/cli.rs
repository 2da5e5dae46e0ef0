//! The `venuecode` binary end to end: exit codes, files, JSON, and OpenSSL interop.

#![allow(clippy::unwrap_used)]

use serde_json::Value;
use std::path::Path;

mod common;
use common::*;

fn error_of(result: (i32, Value)) -> (i32, String) {
    assert_eq!(result.1["valid"], false, "{}", result.1);
    (result.0, result.1["code"].as_str().unwrap().to_owned())
}

#[test]
fn issue_and_verify() {
    let s = Setup::new();
    let kid = s.key("k.pem", "venue");
    let text = s.issue("k.pem", &[]);
    assert!(text.starts_with("HTTPS://VC.SH.GOV.CN/1/"));
    let (code, json) = s.verify(&text, DURING);
    assert_eq!(code, 0);
    assert_eq!(json["valid"], true);
    let venue = &json["venue"];
    assert_eq!(venue["id"], "SH-PT-0018");
    assert_eq!(venue["type"], "religious-venue");
    assert_eq!(venue["name"], "上海玉佛禅寺");
    assert_eq!(venue["division"], "310107");
    assert_eq!(venue["address"], "安远路170号");
    assert_eq!(venue["door"], "东门");
    assert_eq!(venue["issued_at"], "2022-04-01T00:00:00Z");
    assert_eq!(venue["valid_until"], "2023-03-31T16:00:00Z");
    assert_eq!(venue["key_id"], kid.as_str());
    // The text form without --json.
    venuecode()
        .args(["venue", "verify", "--trust"])
        .arg(s.path("trust.json"))
        .args(["--at", DURING, &text])
        .assert()
        .code(0)
        .stdout(predicates::str::contains("door         东门"));
}

#[test]
fn every_rejection_exits_1_with_its_code() {
    let s = Setup::new();
    s.key("venue.pem", "venue");
    s.key("personal.pem", "personal");
    s.key("revoked.pem", "venue");
    let text = s.issue("venue.pem", &[]);

    assert_eq!(error_of(s.verify(&text, UNTIL)), (1, "expired".into()));
    assert_eq!(
        error_of(s.verify(&text, "2022-03-01T00:00:00Z")),
        (1, "not_yet_valid".into())
    );
    let moved = text.replace("VC.SH.GOV.CN", "VC.SH.GOV.CC");
    assert_eq!(
        error_of(s.verify(&moved, DURING)),
        (1, "bad_signature".into())
    );
    assert_eq!(
        error_of(s.verify("HTTPS://VC.SH.GOV.CN/1/ABC", DURING)),
        (1, "malformed".into())
    );
    let wrong_usage = s.issue("personal.pem", &[]);
    assert_eq!(
        error_of(s.verify(&wrong_usage, DURING)),
        (1, "wrong_key_usage".into())
    );

    let revoked = s.issue("revoked.pem", &[]);
    assert_eq!(s.verify(&revoked, DURING).0, 0);
    // A key that nobody trusts.
    venuecode()
        .args(["keygen", "--out"])
        .arg(s.path("stranger.pem"))
        .assert()
        .success();
    let stranger = s.issue("stranger.pem", &[]);
    assert_eq!(
        error_of(s.verify(&stranger, DURING)),
        (1, "unknown_key".into())
    );

    let revoked_kid = kid_of(&s, "revoked.pem");
    venuecode()
        .args(["trust", "revoke", "--trust"])
        .arg(s.path("trust.json"))
        .args(["--kid", &revoked_kid])
        .assert()
        .success();
    assert_eq!(error_of(s.verify(&revoked, DURING)), (1, "revoked".into()));
    // The other venue key is untouched.
    assert_eq!(s.verify(&text, DURING).0, 0);
}

/// The key id of a private key file, by adding it to a scratch trust list.
fn kid_of(s: &Setup, key: &str) -> String {
    let scratch = s.path(&format!("{key}.scratch.json"));
    trust_add("venue")
        .arg(&scratch)
        .arg("--key")
        .arg(s.path(key))
        .assert()
        .success();
    let list: Value = serde_json::from_str(&std::fs::read_to_string(scratch).unwrap()).unwrap();
    list["keys"][0]["kid"].as_str().unwrap().to_owned()
}

#[test]
fn usage_and_io_errors_exit_2() {
    let s = Setup::new();
    s.key("k.pem", "venue");
    let text = s.issue("k.pem", &[]);
    // Missing trust list.
    venuecode()
        .args(["venue", "verify", "--trust"])
        .arg(s.path("missing.json"))
        .arg(&text)
        .assert()
        .code(2);
    // A corrupt trust list.
    std::fs::write(s.path("bad.json"), "{\"format\":1}").unwrap();
    venuecode()
        .args(["venue", "verify", "--trust"])
        .arg(s.path("bad.json"))
        .arg(&text)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("invalid_trust_list"));
    // Bad field values and bad times.
    for (flag, value) in [
        ("--division", "31010"),
        ("--door", ""),
        ("--valid-until", "tomorrow"),
        ("--prefix", "http://vc.example.cn/"),
    ] {
        let mut cmd = venuecode();
        cmd.args(["venue", "issue", "--key"]).arg(s.path("k.pem"));
        let mut args = vec![
            ("--id", "X1"),
            ("--type", "other"),
            ("--name", "某场所"),
            ("--division", "310107"),
            ("--address", "某路1号"),
            ("--door", "东门"),
            ("--prefix", "HTTPS://VC.SH.GOV.CN/1/"),
        ];
        args.retain(|(f, _)| *f != flag);
        args.push((flag, value));
        for (f, v) in args {
            cmd.args([f, v]);
        }
        cmd.assert()
            .code(2)
            .stderr(predicates::str::contains("invalid_input"));
    }
    // A venue type is a typed choice (clap): told the valid ones.
    venuecode()
        .args(["venue", "issue", "--type", "church"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("invalid value for --type"));
    // Missing arguments (clap).
    venuecode().args(["venue", "issue"]).assert().code(2);
    // An existing key file is never overwritten.
    venuecode()
        .args(["keygen", "--out"])
        .arg(s.path("k.pem"))
        .assert()
        .code(2);
    // A key listed twice.
    trust_add("personal")
        .arg(s.path("trust.json"))
        .arg("--key")
        .arg(s.path("k.pem"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("listed twice"));
}

#[cfg(unix)]
#[test]
fn private_keys_are_mode_0600() {
    use std::os::unix::fs::PermissionsExt;
    let s = Setup::new();
    s.key("k.pem", "venue");
    let mode = std::fs::metadata(s.path("k.pem"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

fn openssl(args: &[&str], dir: &Path) -> String {
    let out = std::process::Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl must be installed (.ci/run installs it)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn openssl_keys_sign_and_ours_open_in_openssl() {
    let s = Setup::new();
    let dir = s.dir.path();
    // A key made by OpenSSL issues codes that verify.
    openssl(
        &["genpkey", "-algorithm", "ed25519", "-out", "openssl.pem"],
        dir,
    );
    openssl(
        &[
            "pkey",
            "-in",
            "openssl.pem",
            "-pubout",
            "-out",
            "openssl.pub.pem",
        ],
        dir,
    );
    trust_add("venue")
        .arg(s.path("trust.json"))
        .arg("--key")
        .arg(s.path("openssl.pub.pem"))
        .assert()
        .success();
    let text = s.issue("openssl.pem", &[]);
    assert_eq!(s.verify(&text, DURING).0, 0);

    // Our key opens in OpenSSL, and OpenSSL derives the same public key we trust.
    s.key("ours.pem", "venue");
    let der = std::process::Command::new("openssl")
        .args(["pkey", "-in", "ours.pem", "-pubout", "-outform", "DER"])
        .current_dir(dir)
        .output()
        .unwrap()
        .stdout;
    assert_eq!(der.len(), 44);
    let raw = hex_encode(&der[12..]);
    let trust = std::fs::read_to_string(s.path("trust.json")).unwrap();
    assert!(
        trust.contains(&raw),
        "OpenSSL's public key {raw} is not in the trust list"
    );
}

fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn demo_runs_the_day_and_its_report_matches_the_truth() {
    let s = Setup::new();
    let out = venuecode()
        .args(["demo", "--out"])
        .arg(s.path("demo"))
        .assert()
        .code(0);
    let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(
        stdout.contains("the report matches the simulated truth"),
        "{stdout}"
    );
    // A case traced across two venues, as the simulation says, and the query logged.
    let traced = stdout
        .lines()
        .find(|l| l.starts_with("the trace matches the simulated truth: "))
        .unwrap_or_else(|| panic!("{stdout}"));
    let visits: u64 = traced
        .split(": ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(visits >= 2, "{traced}");
    let audit = venuecode()
        .args(["trace", "audit", "--json", "--log"])
        .arg(s.path("demo/trace-audit.jsonl"))
        .arg("--trace-key")
        .arg(s.path("demo/trace.key"))
        .assert()
        .code(0);
    let audit: Value = serde_json::from_slice(&audit.get_output().stdout).unwrap();
    assert_eq!(audit["entries"], 1);
    let entry: Value =
        serde_json::from_str(&std::fs::read_to_string(s.path("demo/trace-audit.jsonl")).unwrap())
            .unwrap();
    assert_eq!(entry["results"].as_u64(), Some(visits));
    for incident in ["refused, unknown_key", "Deny, superseded", "Deny, expired"] {
        assert!(stdout.contains(incident), "{incident} missing:\n{stdout}");
    }
    // The scans the report counts are the ledger's.
    let scans: u64 = stdout
        .lines()
        .find(|l| l.starts_with("the report matches"))
        .and_then(|l| l.split(": ").nth(1))
        .and_then(|l| l.split(' ').next())
        .unwrap()
        .parse()
        .unwrap();
    assert!(scans > 1000, "{scans}");
    let a = venuecode()
        .args(["records", "--json", "--day", "2022-04-06", "--db"])
        .arg(s.path("demo/ledger.sqlite"))
        .assert()
        .code(0);
    let json: Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
    assert_eq!(json["summary"]["scans"].as_u64(), Some(scans));
    // Posters and codes for six doors; a door's code scans and verifies with the demo's trust list.
    let posters = std::fs::read_dir(s.path("demo/posters")).unwrap().count();
    assert_eq!(posters, 12);
    venuecode()
        .args(["scan", "--at", "2022-06-01T00:00:00Z", "--trust"])
        .arg(s.path("demo/trust.json"))
        .arg(s.path("demo/posters/SH-PT-0018-1-code.png"))
        .assert()
        .code(0)
        .stdout(predicates::str::contains("上海玉佛禅寺"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for key in [
            "venue.pem",
            "personal.pem",
            "status.pem",
            "holder.key",
            "trace.key",
        ] {
            let mode = std::fs::metadata(s.path(&format!("demo/{key}")))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{key}");
        }
    }
    // Running it again in the same place starts a fresh ledger.
    venuecode()
        .args(["demo", "--out"])
        .arg(s.path("demo"))
        .assert()
        .code(0);
    let a = venuecode()
        .args(["records", "--json", "--day", "2022-04-06", "--db"])
        .arg(s.path("demo/ledger.sqlite"))
        .assert()
        .code(0);
    let json: Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
    assert_eq!(json["summary"]["scans"].as_u64(), Some(scans));
}

#[test]
fn revoked_venue_codes_are_refused_with_a_revocation_list() {
    let s = Setup::new();
    s.key("v.pem", "venue");
    s.key("s.pem", "status");
    let text = s.issue("v.pem", &[]);
    s.key("v2.pem", "venue");
    let other = s.issue("v2.pem", &[]);
    venuecode()
        .args(["revoke", "--issued", "2022-06-01T00:00:00+08:00", "--key"])
        .arg(s.path("s.pem"))
        .args(["--venue", &text, "--out"])
        .arg(s.path("r.bin"))
        .assert()
        .code(0);
    let verify = |code: &str| {
        venuecode()
            .args(["venue", "verify", "--json", "--trust"])
            .arg(s.path("trust.json"))
            .args(["--at", DURING, "--revocations"])
            .arg(s.path("r.bin"))
            .arg(code)
            .output()
            .unwrap()
    };
    let out = verify(&text);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"code\":\"revoked\""));
    assert_eq!(verify(&other).status.code(), Some(0));
}
