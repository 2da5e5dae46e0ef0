//! Outputs you can trust: each test here failed on the first version's command line.

#![allow(clippy::unwrap_used)]

mod common;
use common::*;
use serde_json::Value;
use std::process::Stdio;

const ID: &str = HOLDER_ID;

/// A venue key, a personal key, a token key, the door's code and a green dynamic code.
fn gate_setup() -> (Setup, String, String) {
    let (s, venue) = Setup::with_door();
    let green = s.dynamic("green", "2022-06-01T08:00:00+08:00");
    (s, venue, green)
}

/// Runs the binary with its standard output a pipe whose reading end is already closed.
fn with_closed_stdout(args: &[&std::ffi::OsStr]) -> std::process::Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    std::process::Command::new(assert_cmd::cargo::cargo_bin("venuecode"))
        .env("VENUECODE_TRACE_PUB", common::trace_pub())
        .env("VENUECODE_INSECURE_UNSIGNED_TRUST", "1")
        .args(args)
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap()
}

#[test]
fn a_closed_stdout_panics_nothing_and_the_gate_still_records() {
    let (s, venue, green) = gate_setup();
    let db = s.path("ledger.sqlite");
    let trust = s.path("trust.json");
    let out = with_closed_stdout(&[
        "gate".as_ref(),
        "--json".as_ref(),
        "--trust".as_ref(),
        trust.as_os_str(),
        "--db".as_ref(),
        db.as_os_str(),
        "--venue".as_ref(),
        venue.as_ref(),
        "--at".as_ref(),
        "2022-06-01T08:00:10+08:00".as_ref(),
        green.as_ref(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    // The scan was stored although nobody read the decision.
    let a = venuecode()
        .args(["records", "--json", "--day", "2022-06-01", "--db"])
        .arg(&db)
        .assert()
        .code(0);
    let json: Value = serde_json::from_str(&stdout_of(&a)).unwrap();
    assert_eq!(json["summary"]["scans"], 1);
    // `records --details | head -1`.
    let out = with_closed_stdout(&[
        "records".as_ref(),
        "--details".as_ref(),
        "--day".as_ref(),
        "2022-06-01".as_ref(),
        "--db".as_ref(),
        db.as_os_str(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}

#[test]
fn there_is_no_default_issuer_prefix() {
    let s = Setup::new();
    s.key("v.pem", "venue");
    let a = venuecode()
        .args(["venue", "issue", "--key"])
        .arg(s.path("v.pem"))
        .args(FIELDS)
        .env_remove("VENUECODE_PREFIX")
        .assert()
        .code(2);
    let stderr = String::from_utf8(a.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("--prefix"), "{stderr}");
    // The environment may name it, as a configuration does.
    let a = venuecode()
        .args(["venue", "issue", "--key"])
        .arg(s.path("v.pem"))
        .args(FIELDS)
        .env("VENUECODE_PREFIX", "HTTPS://VC.SH.GOV.CN/1/")
        .assert()
        .code(0);
    assert!(stdout_of(&a).starts_with("HTTPS://VC.SH.GOV.CN/1/"));
}

#[test]
fn people_read_china_standard_time() {
    let (s, venue, green) = gate_setup();
    let a = venuecode()
        .args(["venue", "verify", "--trust"])
        .arg(s.path("trust.json"))
        .args(["--at", DURING, &venue])
        .assert()
        .code(0);
    let out = stdout_of(&a);
    assert!(out.contains("2022-04-01T08:00:00+08:00"), "{out}");
    assert!(!out.contains("00:00:00Z"), "{out}");
    let db = s.path("l.sqlite");
    venuecode()
        .args(["gate", "--trust"])
        .arg(s.path("trust.json"))
        .arg("--db")
        .arg(&db)
        .args([
            "--venue",
            &venue,
            "--at",
            "2022-06-01T08:00:10+08:00",
            &green,
        ])
        .assert()
        .code(0)
        .stdout(predicates::str::contains("2022-06-01T08:00:10+08:00"));
    let a = venuecode()
        .args(["records", "--details", "--day", "2022-06-01", "--db"])
        .arg(&db)
        .assert()
        .code(0);
    let out = stdout_of(&a);
    assert!(out.contains("2022-06-01T08:00:10+08:00"), "{out}");
    // Machine outputs stay in UTC.
    let a = venuecode()
        .args([
            "records",
            "--json",
            "--details",
            "--day",
            "2022-06-01",
            "--db",
        ])
        .arg(&db)
        .assert()
        .code(0);
    assert!(stdout_of(&a).contains("2022-06-01T00:00:10Z"));
}

#[test]
fn decoded_text_cannot_drive_the_terminal() {
    let s = Setup::new();
    let png = s.path("evil.png");
    // A QR code holding an OSC sequence (set the window title) and a line erase.
    let evil = "HTTPS://VC.SH.GOV.CN/1/\u{1b}]0;owned\u{7}\u{1b}[2KX";
    let status = std::process::Command::new("qrencode")
        .args(["-8", "-o"])
        .arg(&png)
        .arg(evil)
        .status()
        .expect("qrencode (Debian qrencode; scripts/test-all installs it)");
    assert!(status.success());
    let a = venuecode().arg("scan").arg(&png).assert().code(0);
    let out = stdout_of(&a);
    assert!(!out.contains('\u{1b}') && !out.contains('\u{7}'), "{out:?}");
    assert!(out.contains("\\u{001B}]0;owned\\u{0007}"), "{out}");
}

#[test]
fn csv_cells_cannot_be_formulas() {
    let s = Setup::new();
    s.key("k.pem", "venue");
    let csv = "id,type,name,division,address,door\n\
               =1+2,religious-venue,某寺,310107,某路1号,@东门\n";
    std::fs::write(s.path("venues.csv"), csv).unwrap();
    venuecode()
        .args(["poster", "--prefix", "HTTPS://VC.SH.GOV.CN/1/", "--key"])
        .arg(s.path("k.pem"))
        .arg("--batch")
        .arg(s.path("venues.csv"))
        .arg("--out")
        .arg(s.path("out"))
        .assert()
        .code(0);
    let summary = std::fs::read_to_string(s.path("out/summary.csv")).unwrap();
    let mut rows = csv::Reader::from_reader(summary.as_bytes());
    let headers = rows.headers().unwrap().clone();
    let row = rows.records().next().unwrap().unwrap();
    let cell = |name: &str| &row[headers.iter().position(|h| h == name).unwrap()];
    assert_eq!((cell("venue_id"), cell("door")), ("'=1+2", "'@东门"));
}

#[cfg(unix)]
#[test]
fn files_are_written_whole_privately_and_never_through_a_planted_link() {
    use std::os::unix::fs::PermissionsExt;
    let (s, venue, green) = gate_setup();
    // The first version wrote `<out>.tmp`, following a symlink planted there.
    let victim = s.path("victim");
    std::fs::write(&victim, "untouched").unwrap();
    std::os::unix::fs::symlink(&victim, s.path("door.svg.tmp")).unwrap();
    s.issue("v.pem", &["--svg", s.path("door.svg").to_str().unwrap()]);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "untouched");
    assert!(
        std::fs::read_to_string(s.path("door.svg"))
            .unwrap()
            .starts_with("<svg")
    );
    let leftovers: Vec<_> = std::fs::read_dir(s.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with(".venuecode-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // Ledgers, exports and keys are the owner's only.
    let db = s.path("l.sqlite");
    venuecode()
        .args(["gate", "--trust"])
        .arg(s.path("trust.json"))
        .arg("--db")
        .arg(&db)
        .args([
            "--venue",
            &venue,
            "--at",
            "2022-06-01T08:00:10+08:00",
            &green,
        ])
        .assert()
        .code(0);
    for format in ["jsonl", "csv", "parquet"] {
        let out = s.path(&format!("x.{format}"));
        venuecode()
            .args(["records", "export", "--format", format, "--db"])
            .arg(&db)
            .arg("--out")
            .arg(&out)
            .assert()
            .code(0);
        let mode = std::fs::metadata(&out).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{format}: {mode:o}");
    }
    for file in [db, s.path("v.pem"), s.path("tk")] {
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "{}: {mode:o}", file.display());
    }
    // `-` is standard output, not a file named `-`.
    let a = venuecode()
        .args([
            "records", "export", "--format", "jsonl", "--out", "-", "--db",
        ])
        .arg(s.path("l.sqlite"))
        .current_dir(s.dir.path())
        .assert()
        .code(0);
    assert!(stdout_of(&a).contains("\"venue_id\":\"SH-PT-0018\""));
    assert!(!s.path("-").exists());
}

#[cfg(unix)]
#[test]
fn a_private_key_others_can_read_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let s = Setup::new();
    s.key("v.pem", "venue");
    std::fs::set_permissions(s.path("v.pem"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let a = venuecode()
        .args([
            "venue",
            "issue",
            "--prefix",
            "HTTPS://VC.SH.GOV.CN/1/",
            "--key",
        ])
        .arg(s.path("v.pem"))
        .args(FIELDS)
        .assert()
        .code(2);
    let stderr = String::from_utf8(a.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("chmod 600"), "{stderr}");
}

#[test]
fn argument_errors_never_echo_a_value() {
    let s = Setup::new();
    s.key("p.pem", "personal");
    s.token_key();
    // An ID number typed into the wrong option, and as a stray argument.
    for extra in [
        &["--generation", ID][..],
        &["--colour", "green", ID][..],
        &["--valid-seconds", ID][..],
    ] {
        let a = s
            .person("p.pem", "张三丰", "110105194912310037", ISSUED, extra)
            .code(2);
        let stderr = String::from_utf8(a.get_output().stderr.clone()).unwrap();
        assert!(!stderr.contains(ID), "{stderr}");
        assert!(stderr.starts_with("venuecode: "), "{stderr}");
    }
    let a = venuecode()
        .args(["person", "issue", "--generation", ID])
        .assert()
        .code(2);
    let stderr = String::from_utf8(a.get_output().stderr.clone()).unwrap();
    assert!(
        !stderr.contains(ID) && stderr.contains("--generation"),
        "{stderr}"
    );
}

#[test]
fn invisible_characters_are_refused_in_every_field() {
    let s = Setup::new();
    s.key("v.pem", "venue");
    for door in [
        "东\u{00AD}门",
        "东\u{3164}门",
        "东\u{E0041}门",
        "\u{2F24}门",
    ] {
        let mut fields = FIELDS.to_vec();
        let at = fields.iter().position(|f| *f == "--door").unwrap();
        fields[at + 1] = door;
        venuecode()
            .args([
                "venue",
                "issue",
                "--prefix",
                "HTTPS://VC.SH.GOV.CN/1/",
                "--key",
            ])
            .arg(s.path("v.pem"))
            .args(&fields)
            .assert()
            .code(2)
            .stderr(predicates::str::contains("invalid_input"));
    }
}

#[test]
fn the_demo_counts_two_venues_east_doors_as_two_doors() {
    let s = Setup::new();
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
    let json: Value = serde_json::from_str(&stdout_of(&a)).unwrap();
    let doors = json["summary"]["by_door"].as_array().unwrap();
    assert_eq!(doors.len(), 6, "{doors:?}");
    let east: Vec<_> = doors.iter().filter(|d| d["door"] == "东门").collect();
    assert_eq!(east.len(), 2);
    assert_ne!(east[0]["venue_id"], east[1]["venue_id"]);
}

#[test]
fn a_dash_is_standard_input_or_output_never_a_file_named_dash() {
    let s = Setup::new();
    s.key("v.pem", "venue");
    let text = s.issue("v.pem", &[]);
    // The trust list read from standard input.
    let trust = std::fs::read_to_string(s.path("trust.json")).unwrap();
    let out = venuecode()
        .current_dir(s.dir.path())
        .args(["venue", "verify", "--json", "--trust", "-", "--at"])
        .args(["2022-06-01T00:00:00Z", &text])
        .write_stdin(trust)
        .assert()
        .code(0);
    let json: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(json["venue"]["door"], "东门");
    // A secret key is never written to standard output.
    let out = venuecode()
        .current_dir(s.dir.path())
        .args(["keygen", "--out", "-"])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("never to standard output"), "{stderr}");
    assert!(out.get_output().stdout.is_empty());
    // A ledger is a file.
    let out = venuecode()
        .current_dir(s.dir.path())
        .args(["records", "--db", "-", "--day", "2022-06-01"])
        .assert()
        .code(2);
    assert!(String::from_utf8_lossy(&out.get_output().stderr).contains("a ledger is a file"));
    assert!(!s.path("-").exists(), "no file named -");
}

/// Every line of standard output, as JSON: with `--json` nothing else is printed there.
fn json_out(cmd: &mut assert_cmd::Command) -> Vec<Value> {
    let out = cmd.assert().success();
    let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect();
    assert!(!lines.is_empty(), "no JSON result");
    lines
}

#[test]
fn json_is_printed_by_every_command_that_prints_a_result() {
    let s = Setup::new();
    let key = json_out(
        venuecode()
            .args([
                "keygen",
                "--json",
                "--usage",
                "venue",
                "--prefix",
                "HTTPS://VC.SH.GOV.CN/1/",
            ])
            .arg("--out")
            .arg(s.path("v.pem"))
            .arg("--trust")
            .arg(s.path("trust.json")),
    );
    assert_eq!(key[0]["usage"], "venue");
    assert_eq!(key[0]["kid"].as_str().unwrap().len(), 16);
    let issued = json_out(
        venuecode()
            .args(["--json", "venue", "issue", "--key"])
            .arg(s.path("v.pem"))
            .args(FIELDS)
            .args(["--prefix", "HTTPS://VC.SH.GOV.CN/1/"]),
    );
    assert!(
        issued[0]["text"]
            .as_str()
            .unwrap()
            .starts_with("HTTPS://VC.SH.GOV.CN/1/")
    );
    let policy = json_out(
        venuecode().args(["policy", "test", "--json"]).arg(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../core/policies/sh-2022-04-01.json"),
        ),
    );
    assert_eq!(policy[0]["valid"], true);
    let trace = json_out(
        venuecode()
            .args(["trace", "key", "--json", "--out"])
            .arg(s.path("trace.key")),
    );
    assert!(trace[0]["public"].as_str().unwrap().ends_with(".pub"));
    let data = s.path("service");
    let token = json_out(
        venuecode()
            .args(["accounts", "--json", "--data"])
            .arg(&data)
            .args(["create", "m1", "--role", "manager", "--scope", "X-1"]),
    );
    assert_eq!(token[0]["name"], "m1");
    let accounts = json_out(
        venuecode()
            .args(["accounts", "--json", "--data"])
            .arg(&data)
            .arg("list"),
    );
    assert_eq!(accounts[0][0]["role"], "manager");
    json_out(
        venuecode()
            .args(["webhooks", "--json", "--data"])
            .arg(&data)
            .args(["add", "--url", "http://127.0.0.1:9/hook", "--venue", "X-1"]),
    );
    let hooks = json_out(
        venuecode()
            .args(["webhooks", "--json", "--data"])
            .arg(&data)
            .arg("list"),
    );
    assert_eq!(hooks[0][0]["venue_id"], "X-1");
    // The demo: its whole report checked, one JSON object out.
    let demo = json_out(
        venuecode()
            .args(["demo", "--json", "--out"])
            .arg(s.path("demo")),
    );
    assert_eq!(demo.len(), 1);
    assert_eq!(
        (&demo[0]["report_matches"], &demo[0]["trace_matches"]),
        (&Value::Bool(true), &Value::Bool(true))
    );
}

#[test]
fn chinese_under_a_chinese_locale_or_lang_zh_with_the_same_json_and_codes() {
    let s = Setup::new();
    s.key("v.pem", "venue");
    let text = s.issue("v.pem", &[]);
    let verify = |lang: Option<&str>, env_lang: &str, json: bool| {
        let mut cmd = venuecode();
        cmd.env("LANG", env_lang)
            .args(["venue", "verify", "--trust"]);
        cmd.arg(s.path("trust.json"))
            .args(["--at", "2022-06-01T00:00:00Z", &text]);
        if let Some(l) = lang {
            cmd.args(["--lang", l]);
        }
        if json {
            cmd.arg("--json");
        }
        let out = cmd.assert().code(0);
        String::from_utf8(out.get_output().stdout.clone()).unwrap()
    };
    let zh = verify(None, "zh_CN.UTF-8", false);
    assert!(zh.contains("场所码有效") && zh.contains("签发密钥"), "{zh}");
    assert_eq!(verify(Some("zh"), "C.UTF-8", false), zh);
    let en = verify(Some("en"), "zh_CN.UTF-8", false);
    assert!(
        en.contains("valid venue code") && !en.contains("场所码有效"),
        "{en}"
    );
    // JSON is the same in every language.
    assert_eq!(
        verify(Some("zh"), "C.UTF-8", true),
        verify(Some("en"), "C.UTF-8", true)
    );
    // A refusal: the code's meaning in Chinese, the stable code as it is.
    let forged = {
        let f = Setup::new();
        f.key("f.pem", "venue");
        f.issue("f.pem", &[])
    };
    let out = venuecode()
        .args(["--lang", "zh", "venue", "verify", "--trust"])
        .arg(s.path("trust.json"))
        .args(["--at", "2022-06-01T00:00:00Z", &forged])
        .assert()
        .code(1);
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        stdout.contains("拒绝：签发密钥不受信任") && stdout.contains("unknown_key"),
        "{stdout}"
    );
    // The main job in Chinese: its report, incidents and trace, checked against the truth.
    let out = venuecode()
        .args(["--lang", "zh", "demo", "--out"])
        .arg(s.path("demo"))
        .assert()
        .code(0);
    let demo = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    for line in [
        "日报与模拟的真实情况一致",
        "追溯与模拟的真实情况一致",
        "伪造的场所码",
        "禁止通行, replayed",
    ] {
        assert!(demo.contains(line), "{line} not in {demo}");
    }
    assert!(!demo.contains("incidents"), "{demo}");
}
