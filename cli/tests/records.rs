//! `gate` into the ledger, then `records`: the daily view, exports matching the committed
//! schema, k-suppression, retention, and no raw personal data anywhere.

#![allow(clippy::unwrap_used)]

mod common;
use common::*;
#[path = "../../core/tests/support/python.rs"]
mod python;
use serde_json::Value;

const ID: &str = HOLDER_ID;

fn person(s: &Setup, colour: &str, issued: &str) -> String {
    s.dynamic(colour, issued)
}

/// Validates every line of a JSON Lines file against docs/schema/scan-record-v2.json with
/// PyPI's `jsonschema` (scripts/test-all installs it in target/py; elsewhere set
/// VENUECODE_PYTHON to a Python that has it).
fn validate_against_schema(jsonl: &std::path::Path) {
    let schema =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/schema/scan-record-v2.json");
    let script = "import json, sys, jsonschema\n\
        schema = json.load(open(sys.argv[1]))\n\
        jsonschema.Draft202012Validator.check_schema(schema)\n\
        v = jsonschema.Draft202012Validator(schema)\n\
        n = 0\n\
        for line in open(sys.argv[2]):\n\
        \x20   v.validate(json.loads(line)); n += 1\n\
        print(n)\n";
    let stdout = python::run(script, &[schema.as_os_str(), jsonl.as_os_str()]);
    assert!(stdout.trim().parse::<u32>().unwrap() > 0);
}

#[test]
fn gate_records_export_purge() {
    let (s, venue) = Setup::with_door();
    let db = s.path("ledger.sqlite");
    let gate = |code: &str, at: &str| {
        venuecode()
            .args(["gate", "--json", "--trust"])
            .arg(s.path("trust.json"))
            .arg("--db")
            .arg(&db)
            .args(["--venue", &venue, "--at", at, code])
            .output()
            .unwrap()
    };
    // Green at 08:00 and a rescan at 08:05; red at 09:00; the green screenshot replayed at 10:00.
    let green = person(&s, "green", "2022-06-01T08:00:00+08:00");
    for (code, at, exit) in [
        (&green, "2022-06-01T08:00:10+08:00", 0),
        (&green, "2022-06-01T08:00:50+08:00", 0),
        (
            &person(&s, "red", "2022-06-01T09:00:00+08:00"),
            "2022-06-01T09:00:10+08:00",
            1,
        ),
        (&green, "2022-06-01T10:00:00+08:00", 1),
    ] {
        let out = gate(code, at);
        assert_eq!(
            out.status.code(),
            Some(exit),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        let json: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            (json["door"]["venue_id"].as_str(), json["class"].as_str()),
            (Some("SH-PT-0018"), Some("religious"))
        );
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
        .arg(&db)
        .assert()
        .code(0);
    let json: Value = serde_json::from_str(&stdout_of(&a)).unwrap();
    let summary = &json["summary"];
    assert_eq!(
        (
            summary["scans"].as_u64(),
            summary["visits"].as_u64(),
            summary["distinct_visitors"].as_u64()
        ),
        (Some(4), Some(3), Some(1))
    );
    assert_eq!(
        (
            summary["reports"].as_u64(),
            summary["by_colour"]["red"].as_u64(),
            summary["by_decision"]["deny"].as_u64()
        ),
        (Some(1), Some(1), Some(2))
    );
    assert_eq!(json["details"].as_array().unwrap().len(), 4);
    assert_eq!(json["details"][3]["code_state"], "expired");
    // Shared beyond the venue with k = 2: the single red scan is withheld.
    let a = venuecode()
        .args([
            "records",
            "--json",
            "--k",
            "2",
            "--day",
            "2022-06-01",
            "--db",
        ])
        .arg(&db)
        .assert()
        .code(0);
    let json: Value = serde_json::from_str(&stdout_of(&a)).unwrap();
    assert_eq!(
        (
            json["summary"]["by_colour"]["red"].clone(),
            json["summary"]["scans"].as_u64()
        ),
        (Value::Null, Some(4))
    );

    // Exports: every JSON Lines record has exactly the schema's fields; CSV has its columns.
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../docs/schema/scan-record-v2.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let mut fields: Vec<&str> = schema["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    fields.sort_unstable();
    venuecode()
        .args(["records", "export", "--format", "jsonl", "--db"])
        .arg(&db)
        .arg("--out")
        .arg(s.path("x.jsonl"))
        .assert()
        .code(0);
    let jsonl = std::fs::read_to_string(s.path("x.jsonl")).unwrap();
    assert_eq!(jsonl.lines().count(), 4);
    for line in jsonl.lines() {
        let record: Value = serde_json::from_str(line).unwrap();
        let mut keys: Vec<&str> = record
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(keys, fields);
    }
    // And a real JSON Schema validator (PyPI `jsonschema`, draft 2020-12) accepts every record,
    // verified and rejected alike.
    validate_against_schema(&s.path("x.jsonl"));
    venuecode()
        .args(["records", "export", "--format", "csv", "--db"])
        .arg(&db)
        .arg("--out")
        .arg(s.path("x.csv"))
        .assert()
        .code(0);
    let csv = std::fs::read_to_string(s.path("x.csv")).unwrap();
    assert_eq!(csv.lines().count(), 5);
    assert!(csv.starts_with("id,origin,device,venue_id,door,at,pseudonym,id_division,"));
    // What leaves the venue holds no name, masked or not, and of the ID number its division.
    for output in [&jsonl, &csv] {
        assert!(
            !output.contains("张*丰") && !output.contains("张三丰") && !output.contains("19491231")
        );
        assert!(output.contains("110105") && !output.contains("********"));
    }

    venuecode()
        .args(["records", "export", "--format", "parquet", "--db"])
        .arg(&db)
        .arg("--out")
        .arg(s.path("x.parquet"))
        .assert()
        .code(0);
    let parquet = std::fs::read(s.path("x.parquet")).unwrap();
    assert!(
        parquet.starts_with(b"PAR1") && parquet.ends_with(b"PAR1"),
        "not a Parquet file"
    );

    // Retention: records older than 30 days are deleted.
    let a = venuecode()
        .args([
            "records",
            "purge",
            "--older-than",
            "30",
            "--at",
            "2022-07-15T00:00:00Z",
            "--db",
        ])
        .arg(&db)
        .assert()
        .code(0);
    assert!(stdout_of(&a).starts_with("4 records"));
    // Usage errors.
    venuecode()
        .args(["records", "--day", "2022-06-01"])
        .assert()
        .code(2);
    venuecode()
        .args(["records", "export", "--format", "xml", "--out", "x", "--db"])
        .arg(&db)
        .assert()
        .code(2);
}

/// What `gate` printed and how it ended, for a green visitor at `db`, under `sh` with `limits`
/// (shell commands run before the gate, such as `ulimit -f 8`).
fn gate_under(
    s: &Setup,
    db: &std::path::Path,
    venue: &str,
    code: &str,
    limits: &str,
) -> std::process::Output {
    let bin = assert_cmd::cargo::cargo_bin("venuecode");
    std::process::Command::new("sh")
        .env("VENUECODE_TRACE_PUB", trace_pub())
        .env("VENUECODE_INSECURE_UNSIGNED_TRUST", "1")
        .arg("-c")
        .arg(format!("{limits}; exec \"$0\" \"$@\""))
        .arg(bin)
        .args(["gate", "--json", "--trust"])
        .arg(s.path("trust.json"))
        .arg("--db")
        .arg(db)
        .args(["--venue", venue, "--at", "2022-06-01T08:00:10+08:00", code])
        .output()
        .unwrap()
}

fn scans_on(db: &std::path::Path) -> u64 {
    let a = venuecode()
        .args(["records", "--json", "--day", "2022-06-01", "--db"])
        .arg(db)
        .assert()
        .code(0);
    let json: Value = serde_json::from_str(&stdout_of(&a)).unwrap();
    json["summary"]["scans"].as_u64().unwrap()
}

/// The decision is on stdout, exit 2, and the error says the scan was not recorded.
fn assert_shown_but_not_recorded(out: &std::process::Output) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["decision"], "admit");
    assert!(
        stderr.contains("NOT recorded") && stderr.contains("ledger"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("张三丰") && !stderr.contains(ID),
        "{stderr}"
    );
}

#[test]
fn a_full_disk_or_read_only_ledger_still_shows_the_decision() {
    let (s, venue) = Setup::with_door();
    let green = person(&s, "green", "2022-06-01T08:00:00+08:00");

    // A disk that takes no more bytes: the file-size limit makes every write past 4 KiB fail
    // (EFBIG, as ENOSPC would), with SIGXFSZ ignored as a daemon would.
    let full = std::fs::create_dir(s.path("full"))
        .map(|()| s.path("full/ledger.sqlite"))
        .unwrap();
    assert_eq!(
        gate_under(&s, &full, &venue, &green, "true").status.code(),
        Some(0)
    );
    assert_eq!(scans_on(&full), 1);
    let out = gate_under(&s, &full, &venue, &green, "trap '' XFSZ; ulimit -f 8");
    assert_shown_but_not_recorded(&out);
    assert_eq!(scans_on(&full), 1, "nothing half-written");

    // A read-only ledger. Root ignores permission bits, so root makes it immutable instead.
    let dir = s.path("ro");
    std::fs::create_dir(&dir).unwrap();
    let db = dir.join("ledger.sqlite");
    assert_eq!(
        gate_under(&s, &db, &venue, &green, "true").status.code(),
        Some(0)
    );
    let root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .unwrap()
        .stdout
        == b"0\n";
    let lock = |on: bool| {
        if root {
            let flag = if on { "+i" } else { "-i" };
            let ok = std::process::Command::new("chattr")
                .arg(flag)
                .arg(&db)
                .arg(&dir)
                .status()
                .unwrap()
                .success();
            assert!(ok, "chattr {flag} (needs a filesystem with attributes)");
        } else {
            use std::os::unix::fs::PermissionsExt;
            let (f, d) = if on { (0o444, 0o555) } else { (0o644, 0o755) };
            std::fs::set_permissions(&db, std::fs::Permissions::from_mode(f)).unwrap();
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(d)).unwrap();
        }
    };
    lock(true);
    let out = gate_under(&s, &db, &venue, &green, "true");
    lock(false);
    assert_shown_but_not_recorded(&out);
    assert_eq!(scans_on(&db), 1);
}
