//! `token-key`, `person issue`, `person verify` end to end, and the promise that no output of
//! theirs carries the raw name or ID number.

#![allow(clippy::unwrap_used)]

mod common;
use common::*;

const NAME: &str = "张三丰";
const ID: &str = HOLDER_ID;
const ISSUED_AT: &str = "2022-04-01T08:00:00+08:00";

fn setup() -> Setup {
    let s = Setup::new();
    s.key("p.pem", "personal");
    s.token_key();
    s
}

fn person_issue(s: &Setup, extra: &[&str]) -> assert_cmd::assert::Assert {
    s.person("p.pem", NAME, ID, ISSUED_AT, extra)
}

fn person_issue_for(s: &Setup, name: &str, id: &str, extra: &[&str]) -> assert_cmd::assert::Assert {
    s.person("p.pem", name, id, ISSUED_AT, extra)
}

fn person_verify(s: &Setup, at: &str, extra: &[&str], text: &str) -> assert_cmd::assert::Assert {
    venuecode()
        .args(["person", "verify", "--json", "--trust"])
        .arg(s.path("trust.json"))
        .args(["--at", at])
        .args(extra)
        .arg(text)
        .assert()
}

/// Every byte a command wrote, both streams.
fn all_output(a: &assert_cmd::assert::Assert) -> String {
    let o = a.get_output();
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn assert_no_raw_data(output: &str) {
    for secret in [NAME, "三丰", ID, &ID[6..14], &ID[..17]] {
        assert!(
            !output.contains(secret),
            "output holds {secret:?}:\n{output}"
        );
    }
}

#[test]
fn offline_code_verifies_with_masked_holder_and_holder_match() {
    let s = setup();
    let issued = person_issue(&s, &["--profile", "offline"]).code(0);
    assert_no_raw_data(&all_output(&issued));
    let text = stdout_of(&issued).trim().to_owned();

    let tk = s.path("tk");
    let a = person_verify(
        &s,
        "2022-05-01T00:00:00Z",
        &["--token-key", tk.to_str().unwrap(), "--id-number", ID],
        &text,
    )
    .code(0);
    assert_no_raw_data(&stdout_of(&a));
    let json: serde_json::Value = serde_json::from_str(&stdout_of(&a)).unwrap();
    assert_eq!(json["valid"], true);
    assert_eq!(json["profile"], "offline");
    assert_eq!(json["holder"]["name"], "张*丰");
    assert_eq!(json["holder"]["id_number"], "110105********00**");
    assert_eq!(json["status"]["state"], "unknown");
    assert_eq!(json["holder_matches"], true);
    assert_eq!(json["valid_until"], "2022-09-28T00:00:00Z"); // 180 days

    // Another person's card does not match.
    let other = "110105194912310046"; // a valid number, not the holder's
    let a = person_verify(
        &s,
        "2022-05-01T00:00:00Z",
        &["--token-key", tk.to_str().unwrap(), "--id-number", other],
        &text,
    )
    .code(0);
    let json: serde_json::Value = serde_json::from_str(&stdout_of(&a)).unwrap();
    assert_eq!(json["holder_matches"], false);
    // After 180 days: expired.
    let a = person_verify(&s, "2022-09-28T00:00:00Z", &[], &text).code(1);
    assert!(stdout_of(&a).contains("\"code\":\"expired\""));
}

#[test]
fn an_offline_code_prints_as_a_png_other_readers_decode() {
    let s = setup();
    let png = s.path("card.png");
    let svg = s.path("card.svg");
    let issued = person_issue(
        &s,
        &[
            "--profile",
            "offline",
            "--png",
            png.to_str().unwrap(),
            "--svg",
            svg.to_str().unwrap(),
        ],
    )
    .code(0);
    let text = stdout_of(&issued).trim().to_owned();
    assert_interop(&png, &text);
    assert!(std::fs::read_to_string(&svg).unwrap().starts_with("<svg"));
    let a = person_verify(&s, "2022-05-01T00:00:00Z", &[], &text).code(0);
    assert!(stdout_of(&a).contains("\"valid\":true"));
}

#[test]
fn dynamic_code_carries_status_and_refuses_replay() {
    let s = setup();
    let issued = person_issue(
        &s,
        &[
            "--profile",
            "dynamic",
            "--colour",
            "yellow",
            "--nat",
            "negative",
            "--nat-sampled",
            "2022-03-31T20:00:00+08:00",
        ],
    )
    .code(0);
    let text = stdout_of(&issued).trim().to_owned();
    let a = person_verify(&s, "2022-04-01T00:00:59Z", &[], &text).code(0);
    let json: serde_json::Value = serde_json::from_str(&stdout_of(&a)).unwrap();
    assert_eq!(json["status"]["colour"], "yellow");
    assert_eq!(json["status"]["nat"]["result"], "negative");
    // The screenshot, replayed a minute later.
    let a = person_verify(&s, "2022-04-01T00:01:00Z", &[], &text).code(1);
    assert!(stdout_of(&a).contains("\"code\":\"expired\""));
}

#[test]
fn errors_never_carry_the_raw_data() {
    let s = setup();
    // A wrong check character, a dynamic code without status, a name with a bidi override.
    for (name, id, profile) in [
        (NAME, "110105194912310021", "offline"),
        (NAME, ID, "dynamic"),
        ("张\u{202E}三丰", ID, "offline"),
        (NAME, ID, "weekly"),
    ] {
        let a = person_issue_for(&s, name, id, &["--profile", profile]).code(2);
        assert_no_raw_data(&all_output(&a));
        // A profile is a typed choice (clap's refusal); the rest are the library's.
        let expected = if profile == "weekly" {
            "invalid value for --profile"
        } else {
            "invalid_input"
        };
        assert!(all_output(&a).contains(expected), "{}", all_output(&a));
    }
    // A personal code given to the venue verifier, and a venue key's code to the person verifier.
    let text = stdout_of(&person_issue(&s, &["--profile", "offline"]).code(0))
        .trim()
        .to_owned();
    venuecode()
        .args(["venue", "verify", "--json", "--trust"])
        .arg(s.path("trust.json"))
        .arg(&text)
        .assert()
        .code(1)
        .stdout(predicates::str::contains("unsupported_version"));
    s.key("v.pem", "venue");
    let a = venuecode()
        .args(["person", "issue", "--profile", "offline", "--key"])
        .arg(s.path("v.pem"))
        .arg("--token-key")
        .arg(s.path("tk"))
        .args(["--name", NAME, "--id-number", ID, "--issued", ISSUED_AT])
        .args(["--prefix", "HTTPS://VC.SH.GOV.CN/P/"])
        .assert()
        .code(0);
    let by_venue_key = stdout_of(&a).trim().to_owned();
    let a = person_verify(&s, "2022-05-01T00:00:00Z", &[], &by_venue_key).code(1);
    assert!(stdout_of(&a).contains("wrong_key_usage"));
    // The token key file is private and never overwritten.
    venuecode()
        .arg("token-key")
        .arg("--out")
        .arg(s.path("tk"))
        .assert()
        .code(2);
}

#[test]
fn status_and_revocation_lists_at_the_gate() {
    let s = setup();
    s.key("s.pem", "status");
    let other = "110105194912310046";
    std::fs::write(
        s.path("holders.csv"),
        format!(
            "id_number,colour,nat,nat_sampled\n{ID},green,negative,2022-03-31T20:00:00+08:00\n{other},red,,\n"
        ),
    )
    .unwrap();
    let built = venuecode()
        .args([
            "status",
            "build",
            "--as-of",
            "2022-04-01T06:00:00+08:00",
            "--key",
        ])
        .arg(s.path("s.pem"))
        .arg("--token-key")
        .arg(s.path("tk"))
        .arg("--in")
        .arg(s.path("holders.csv"))
        .arg("--out")
        .arg(s.path("status.bin"))
        .assert()
        .code(0);
    assert_no_raw_data(&all_output(&built));
    assert!(stdout_of(&built).starts_with("2 holders"));

    let text = stdout_of(&person_issue(&s, &["--profile", "offline"]).code(0))
        .trim()
        .to_owned();
    let status = s.path("status.bin");
    let with_status = |at: &str, extra: &[&str]| {
        let mut args = vec!["--status", status.to_str().unwrap()];
        args.extend_from_slice(extra);
        let a = person_verify(&s, at, &args, &text).code(0);
        serde_json::from_str::<serde_json::Value>(&stdout_of(&a)).unwrap()
    };
    let json = with_status("2022-04-01T02:00:00Z", &[]);
    assert_eq!(json["status"]["colour"], "green");
    assert_eq!(json["status"]["nat"]["result"], "negative");
    assert_eq!(json["status"]["state"], "fresh");
    assert_eq!(json["status"]["as_of"], "2022-03-31T22:00:00Z");
    let json = with_status("2022-04-01T02:00:00Z", &["--max-status-age-hours", "1"]);
    assert_eq!(json["status"]["state"], "stale");
    assert_eq!(json["status"]["colour"], "green"); // reported, not hidden
    // A holder the list does not know: no status, state unknown.
    let stranger = stdout_of(
        &person_issue_for(&s, "李四", "110105198001010016", &["--profile", "offline"]).code(0),
    )
    .trim()
    .to_owned();
    let a = person_verify(
        &s,
        "2022-04-01T02:00:00Z",
        &["--status", status.to_str().unwrap()],
        &stranger,
    )
    .code(0);
    let json: serde_json::Value = serde_json::from_str(&stdout_of(&a)).unwrap();
    assert_eq!(json["status"], serde_json::json!({"state": "unknown"}));

    // The holder lost generation 0: revoke below 1, re-issue generation 1.
    let revoked = venuecode()
        .args(["revoke", "--issued", "2022-04-01T06:00:00+08:00", "--key"])
        .arg(s.path("s.pem"))
        .arg("--token-key")
        .arg(s.path("tk"))
        .args(["--holder", &format!("{ID}:1")])
        .arg("--out")
        .arg(s.path("revoked.bin"))
        .assert()
        .code(0);
    assert_no_raw_data(&all_output(&revoked));
    let revocations = s.path("revoked.bin");
    let args = ["--revocations", revocations.to_str().unwrap()];
    let a = person_verify(&s, "2022-04-01T02:00:00Z", &args, &text).code(1);
    assert!(
        stdout_of(&a).contains("\"code\":\"superseded\""),
        "{}",
        stdout_of(&a)
    );
    let reissued =
        stdout_of(&person_issue(&s, &["--profile", "offline", "--generation", "1"]).code(0))
            .trim()
            .to_owned();
    person_verify(&s, "2022-04-01T02:00:00Z", &args, &reissued).code(0);
    // After the list's day, the list itself has expired: a usage error, the gate must refresh.
    person_verify(&s, "2022-04-02T00:00:00Z", &args, &reissued).code(2);
}

#[test]
fn a_bad_holder_row_stops_the_status_list() {
    let s = setup();
    s.key("s.pem", "status");
    std::fs::write(
        s.path("holders.csv"),
        format!("id_number,colour\n{ID},green\n110105194912310021,green\n{ID},purple\n"),
    )
    .unwrap();
    let a = venuecode()
        .args(["status", "build", "--key"])
        .arg(s.path("s.pem"))
        .arg("--token-key")
        .arg(s.path("tk"))
        .arg("--in")
        .arg(s.path("holders.csv"))
        .arg("--out")
        .arg(s.path("status.bin"))
        .assert()
        .code(2);
    let out = all_output(&a);
    assert!(
        out.contains("line 3") && out.contains("line 4") && out.contains("2 bad rows"),
        "{out}"
    );
    assert!(
        !out.contains("110105194912310021") && !out.contains("19491231"),
        "{out}"
    );
    assert!(!s.path("status.bin").exists());
}

#[test]
fn human_output_names_the_host_in_the_language_asked() {
    let s = setup();
    let text = stdout_of(&person_issue(&s, &["--profile", "offline"]).code(0))
        .trim()
        .to_owned();
    for (lang, host_line, profile, foreign) in [
        ("en", "  host         VC.SH.GOV.CN", "(offline)", "离线码"),
        ("zh", "  签发域名     VC.SH.GOV.CN", "（离线码）", "offline"),
    ] {
        let a = venuecode()
            .args(["--lang", lang, "person", "verify", "--trust"])
            .arg(s.path("trust.json"))
            .args(["--at", "2022-05-01T00:00:00Z"])
            .arg(&text)
            .assert()
            .code(0);
        let out = stdout_of(&a);
        assert!(out.lines().any(|l| l == host_line), "{lang}: {out}");
        assert!(
            out.contains(profile) && !out.contains(foreign),
            "{lang}: {out}"
        );
        assert_no_raw_data(&out);
    }
}
