//! A simulated case traced by the authority across two venues, four devices, a merged ledger and
//! a Parquet export: its visits and the people present within 30 minutes of each; the audit log
//! that every query is written to and that breaks when edited; the same answer from DuckDB over
//! the exports and the authority's index; and nothing traced without the tracing key.

#![allow(clippy::unwrap_used)]

mod common;
#[path = "../../core/tests/support/python.rs"]
mod python;

use common::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

/// The case, and the people around them (GB 11643 numbers).
const CASE: &str = HOLDER_ID;
const NEAR_A: &str = "310107198503150019";
const LATER_A: &str = "310104199007200027";
const NEAR_B: &str = "310115197511020033";
const EARLY_B: &str = "310101196606060043";

fn json(a: &assert_cmd::assert::Assert) -> Value {
    serde_json::from_str(&stdout_of(a)).unwrap()
}

struct Case {
    s: Setup,
    venue_a: String,
    venue_b: String,
}

impl Case {
    fn new() -> Self {
        let (s, venue_a) = Setup::with_door();
        let venue_b = stdout_of(
            &venuecode()
                .args(["venue", "issue", "--key"])
                .arg(s.path("v.pem"))
                .args([
                    "--id",
                    "SH-HP-0101",
                    "--type",
                    "social-office",
                    "--name",
                    "静安区民族宗教办",
                ])
                .args(["--division", "310105", "--address", "江苏路155号"])
                .args(["--door", "正门", "--issued", ISSUED, "--valid-until", UNTIL])
                .args(["--prefix", "HTTPS://VC.SH.GOV.CN/1/"])
                .assert()
                .code(0),
        )
        .trim()
        .to_owned();
        venuecode()
            .args(["trace", "key", "--out"])
            .arg(s.path("trace.key"))
            .assert()
            .code(0);
        Case {
            s,
            venue_a,
            venue_b,
        }
    }

    fn green(&self, id: &str, at: &str) -> String {
        self.s
            .code(id, at, &["--profile", "dynamic", "--colour", "green"])
    }

    /// A scan of `id` at `at` (CST, 10 seconds after the code was issued) by `cmd` at a door.
    fn scan(&self, cmd: &str, db: &str, venue: &str, id: &str, issued: &str, at: &str) {
        venuecode()
            .args([cmd, "--trust"])
            .arg(self.s.path("trust.json"))
            .arg("--db")
            .arg(self.s.path(db))
            .arg("--trace-pub")
            .arg(self.s.path("trace.key.pub"))
            .args(["--venue", venue, "--at", at])
            .arg(self.green(id, issued))
            .assert()
            .code(0);
    }

    fn register(&self, db: &str, venue: &str, id: &str, at: &str) {
        venuecode()
            .args(["register", "--trust"])
            .arg(self.s.path("trust.json"))
            .arg("--db")
            .arg(self.s.path(db))
            .arg("--trace-pub")
            .arg(self.s.path("trace.key.pub"))
            .args(["--venue", venue, "--token-key"])
            .arg(self.s.path("tk"))
            .args(["--name", "王五", "--id-number", id, "--decision", "admit"])
            .args(["--staff", "staff-1", "--at", at])
            .assert()
            .code(0);
    }

    /// Venue A: two gates, merged into `a.sqlite`. Venue B: phones and a desk, merged and
    /// exported as `b.parquet`.
    fn day(&self) {
        // The authority derives each venue's pseudonym key; each venue's devices get it.
        venuecode()
            .args(["token-key", "--out"])
            .arg(self.s.path("root"))
            .assert()
            .success();
        for (venue_id, devices) in [
            ("SH-PT-0018", ["a-gate1.sqlite", "a-gate2.sqlite"]),
            ("SH-HP-0101", ["b-phones.sqlite", "b-desk.sqlite"]),
        ] {
            let key = self.s.path(&format!("{venue_id}.key"));
            venuecode()
                .args(["venue-key", "--venue-id", venue_id, "--root"])
                .arg(self.s.path("root"))
                .arg("--out")
                .arg(&key)
                .assert()
                .success();
            for db in devices {
                venuecode()
                    .args(["records", "provision", "--venue-id", venue_id, "--db"])
                    .arg(self.s.path(db))
                    .arg("--key-file")
                    .arg(&key)
                    .assert()
                    .success();
            }
        }
        let (a, b) = (&self.venue_a, &self.venue_b);
        self.scan(
            "gate",
            "a-gate1.sqlite",
            a,
            CASE,
            "2022-06-01T10:00:00+08:00",
            "2022-06-01T10:00:10+08:00",
        );
        self.scan(
            "gate",
            "a-gate2.sqlite",
            a,
            NEAR_A,
            "2022-06-01T10:20:00+08:00",
            "2022-06-01T10:20:10+08:00",
        );
        self.scan(
            "gate",
            "a-gate2.sqlite",
            a,
            LATER_A,
            "2022-06-01T10:40:30+08:00",
            "2022-06-01T10:40:40+08:00",
        );
        self.scan(
            "check-in",
            "b-phones.sqlite",
            b,
            CASE,
            "2022-06-01T14:00:00+08:00",
            "2022-06-01T14:00:10+08:00",
        );
        self.scan(
            "check-in",
            "b-phones.sqlite",
            b,
            EARLY_B,
            "2022-06-01T09:00:00+08:00",
            "2022-06-01T09:00:10+08:00",
        );
        self.register("b-desk.sqlite", b, NEAR_B, "2022-06-01T13:45:00+08:00");
        for (target, sources) in [
            ("a.sqlite", ["a-gate1.sqlite", "a-gate2.sqlite"]),
            ("b.sqlite", ["b-phones.sqlite", "b-desk.sqlite"]),
        ] {
            venuecode()
                .args(["records", "merge", "--db"])
                .arg(self.s.path(target))
                .args(sources.map(|d| self.s.path(d)))
                .assert()
                .code(0);
        }
        for venue in ["a", "b"] {
            venuecode()
                .args(["records", "export", "--format", "parquet", "--db"])
                .arg(self.s.path(&format!("{venue}.sqlite")))
                .arg("--out")
                .arg(self.s.path(&format!("{venue}.parquet")))
                .assert()
                .code(0);
        }
    }

    fn trace(&self, key: &str, args: &[&str], sources: &[&str]) -> assert_cmd::Command {
        let mut c = venuecode();
        c.arg("trace")
            .args(args)
            .arg("--trace-key")
            .arg(self.s.path(key))
            .args([
                "--by",
                "officer-7",
                "--reason",
                "case 2022-0601-01",
                "--audit",
            ])
            .arg(self.s.path("audit.jsonl"))
            .args(sources.iter().map(|d| self.s.path(d)));
        c
    }

    fn holder(&self, id: &str, sources: &[&str]) -> Value {
        let mut c = self.trace("trace.key", &["holder", "--json"], sources);
        c.arg("--token-key")
            .arg(self.s.path("tk"))
            .args(["--id-number", id]);
        json(&c.assert().code(0))
    }
}

fn holders(visit: &Value) -> BTreeSet<String> {
    visit["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["holder"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_case_is_traced_across_two_venues_and_every_query_is_audited() {
    let c = Case::new();
    c.day();
    // The merged ledger of venue A, one of its gates again, and venue B's Parquet export.
    let sources = ["a.sqlite", "a-gate1.sqlite", "b.parquet"];
    let report = c.holder(CASE, &sources);
    let visits = report["visits"].as_array().unwrap();
    let places: Vec<(&str, &str)> = visits
        .iter()
        .map(|v| {
            (
                v["venue_id"].as_str().unwrap(),
                v["origin"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        places,
        [("SH-PT-0018", "gate"), ("SH-HP-0101", "self_scan")]
    );
    // Who was near: each contact's own trace names the same holder token.
    let token = |id| {
        c.holder(id, &sources)["holder"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(holders(&visits[0]), BTreeSet::from([token(NEAR_A)]));
    assert_eq!(holders(&visits[1]), BTreeSet::from([token(NEAR_B)]));
    assert_eq!(visits[1]["contacts"][0]["origin"], "staff");
    assert_eq!(report["contacts"], 2);
    assert_eq!(report["coverage"]["unopened"], 0);
    // A window of 45 minutes takes in the later visitor at A.
    let mut wide = c.trace(
        "trace.key",
        &["holder", "--json", "--window-minutes", "45"],
        &sources,
    );
    wide.arg("--token-key")
        .arg(c.s.path("tk"))
        .args(["--id-number", CASE]);
    let wide = json(&wide.assert().code(0));
    assert_eq!(holders(&wide["visits"][0]).len(), 2);
    // A contact traced next by the token the answer gave: no ID number, no token key.
    let near = visits[0]["contacts"][0]["holder"].as_str().unwrap();
    let by_token = json(
        &c.trace(
            "trace.key",
            &["holder", "--json", "--holder", near],
            &sources,
        )
        .assert()
        .code(0),
    );
    assert_eq!(by_token["holder"], near);
    assert_eq!(by_token["visits"], c.holder(NEAR_A, &sources)["visits"]);
    // A window past a day either side is refused before anything is read or logged.
    c.trace(
        "trace.key",
        &[
            "holder",
            "--json",
            "--holder",
            near,
            "--window-minutes",
            "1441",
        ],
        &sources,
    )
    .assert()
    .code(2);

    // Everyone at venue B that afternoon.
    let venue = json(
        &c.trace(
            "trace.key",
            &[
                "venue",
                "--json",
                "--venue",
                "SH-HP-0101",
                "--from",
                "2022-06-01T12:00:00+08:00",
                "--to",
                "2022-06-01T18:00:00+08:00",
            ],
            &["b.sqlite"],
        )
        .assert()
        .code(0),
    );
    let present: BTreeSet<String> = venue["present"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["holder"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(present, BTreeSet::from([token(CASE), token(NEAR_B)]));

    // Every query was logged, by token and never by ID number, and the chain holds.
    let log = std::fs::read_to_string(c.s.path("audit.jsonl")).unwrap();
    assert_eq!(log.lines().count(), 9, "{log}");
    for id in [CASE, NEAR_A, NEAR_B] {
        assert!(!log.contains(id), "{log}");
    }
    let first: Value = serde_json::from_str(log.lines().next().unwrap()).unwrap();
    assert_eq!(
        (
            first["by"].as_str(),
            first["reason"].as_str(),
            first["results"].as_u64()
        ),
        (Some("officer-7"), Some("case 2022-0601-01"), Some(2))
    );
    assert_eq!(first["query"]["holder"], report["holder"]);
    let audit = |extra: &[&str]| {
        let mut cmd = venuecode();
        cmd.args(["trace", "audit", "--json", "--log"])
            .arg(c.s.path("audit.jsonl"))
            .arg("--trace-key")
            .arg(c.s.path("trace.key"))
            .args(extra);
        cmd.assert()
    };
    let head = report["audit_head"].as_str().unwrap().to_owned();
    let now = json(&audit(&[]).code(0));
    assert_eq!(now["entries"], 9);
    // A head kept elsewhere: the log ends there, or it is refused.
    let head_now = now["head"].as_str().unwrap().to_owned();
    assert_eq!(json(&audit(&["--head", &head_now]).code(0))["entries"], 9);
    audit(&["--head", &head]).code(2);
    // Cut short to the first entry: the chain still reads, but the head kept beside the log
    // says 9 entries (red team, 2026-12: a log cut short was taken).
    std::fs::write(
        c.s.path("audit.jsonl"),
        log.lines().next().unwrap().to_owned() + "\n",
    )
    .unwrap();
    let cut = audit(&[]).code(2);
    assert!(String::from_utf8_lossy(&cut.get_output().stderr).contains("cut short"));
    // Without the tracing key the log is not checked at all.
    venuecode()
        .args(["trace", "audit", "--log"])
        .arg(c.s.path("audit.jsonl"))
        .assert()
        .code(2);
    // Edited: the results of the first query changed. The log no longer verifies, and no trace
    // answers until it is mended.
    std::fs::write(
        c.s.path("audit.jsonl"),
        log.replacen("\"results\":2", "\"results\":1", 1),
    )
    .unwrap();
    let broken = audit(&[]).code(2);
    assert!(String::from_utf8_lossy(&broken.get_output().stderr).contains("line 1"));
    let mut refused = c.trace("trace.key", &["holder", "--json"], &sources);
    refused
        .arg("--token-key")
        .arg(c.s.path("tk"))
        .args(["--id-number", CASE]);
    let refused = refused.assert().code(2);
    assert!(refused.get_output().stdout.is_empty());
}

#[test]
fn without_the_tracing_key_nothing_is_traced() {
    let c = Case::new();
    c.day();
    // The venue's own export holds sealed references, one per verified record...
    let export = stdout_of(
        &venuecode()
            .args(["records", "export", "--format", "jsonl", "--db"])
            .arg(c.s.path("a.sqlite"))
            .args(["--out", "-"])
            .assert()
            .code(0),
    );
    let refs: BTreeSet<String> = export
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["trace_ref"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(refs.len(), 3);
    // ...that another key opens none of.
    venuecode()
        .args(["trace", "key", "--out"])
        .arg(c.s.path("other.key"))
        .assert()
        .code(0);
    let mut other = c.trace(
        "other.key",
        &["holder", "--json"],
        &["a.sqlite", "b.parquet"],
    );
    other
        .arg("--token-key")
        .arg(c.s.path("tk"))
        .args(["--id-number", CASE]);
    let report = json(&other.assert().code(0));
    assert_eq!(report["visits"].as_array().unwrap().len(), 0);
    assert_eq!(report["coverage"]["unopened"], 6);
    // A gate that has not been given the authority's key stores nothing untraceable.
    let mut gate = venuecode();
    gate.env_remove("VENUECODE_TRACE_PUB")
        .args(["gate", "--trust"])
        .arg(c.s.path("trust.json"))
        .arg("--db")
        .arg(c.s.path("untraced.sqlite"))
        .args(["--venue", &c.venue_a, "--at", "2022-06-01T10:00:10+08:00"])
        .arg(c.green(CASE, "2022-06-01T10:00:00+08:00"));
    let refused = gate.assert().code(2);
    assert!(String::from_utf8_lossy(&refused.get_output().stderr).contains("--trace-pub"));
    assert!(!c.s.path("untraced.sqlite").exists());
    // Nor does a check-in receiver or a desk: nothing is stored without the key.
    for cmd in ["check-in", "register"] {
        let mut entry = venuecode();
        entry
            .env_remove("VENUECODE_TRACE_PUB")
            .args([cmd, "--trust"])
            .arg(c.s.path("trust.json"))
            .arg("--db")
            .arg(c.s.path("untraced.sqlite"))
            .args(["--venue", &c.venue_a, "--at", "2022-06-01T10:00:10+08:00"]);
        if cmd == "register" {
            entry.arg("--token-key").arg(c.s.path("tk"));
            entry.args([
                "--name",
                "王五",
                "--id-number",
                NEAR_B,
                "--decision",
                "admit",
            ]);
            entry.args(["--staff", "staff-1"]);
        } else {
            entry.arg(c.green(CASE, "2022-06-01T10:00:00+08:00"));
        }
        let refused = entry.assert().code(2);
        let stderr = String::from_utf8_lossy(&refused.get_output().stderr).into_owned();
        assert!(stderr.contains("--trace-pub"), "{cmd}: {stderr}");
        let stored = venuecode()
            .args(["records", "--json", "--day", "2022-06-01", "--db"])
            .arg(c.s.path("untraced.sqlite"))
            .assert()
            .code(0);
        assert_eq!(json(&stored)["summary"]["scans"], 0, "{cmd}");
    }
    // The tracing key must be the owner's alone.
    let key = c.s.path("trace.key");
    std::fs::set_permissions(&key, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    let mut loose = c.trace("trace.key", &["holder"], &["a.sqlite"]);
    loose
        .arg("--token-key")
        .arg(c.s.path("tk"))
        .args(["--id-number", CASE]);
    loose.assert().code(2);
}

const DUCKDB: &str = r#"
import duckdb, json, sys
sql = open(sys.argv[1]).read()
params = {"exports": sys.argv[2].split(","), "idx": sys.argv[3], "holder": sys.argv[4], "window_secs": int(sys.argv[5])}
rows = duckdb.connect().execute(sql, params).fetchall()
print(json.dumps([[str(v) for v in r] for r in rows]))
"#;

#[test]
fn duckdb_over_the_exports_and_the_index_gives_the_same_answer() {
    let c = Case::new();
    c.day();
    let exports = ["a.parquet", "b.parquet"];
    let report = c.holder(CASE, &exports);
    let mut open = c.trace("trace.key", &["open"], &exports);
    open.arg("--out")
        .arg(c.s.path("index.parquet"))
        .assert()
        .code(0);
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(c.s.path("index.parquet"))
            .unwrap()
            .permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
    let sql = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/sql/trace_holder.sql");
    let exports_arg = exports.map(|e| c.s.path(e).display().to_string()).join(",");
    let index = c.s.path("index.parquet").display().to_string();
    let holder = report["holder"].as_str().unwrap();
    let sql = sql.display().to_string();
    let stdout = python::run(
        DUCKDB,
        &[sql.as_str(), &exports_arg, &index, holder, "1800"],
    );
    let rows: Vec<Vec<String>> = serde_json::from_str(&stdout).unwrap();
    // (visit record, contact holder, contact record) from both.
    let from_sql: BTreeSet<(String, String, String)> = rows
        .into_iter()
        .map(|r| (r[0].clone(), r[3].clone(), r[4].clone()))
        .collect();
    let ours: BTreeSet<(String, String, String)> = report["visits"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|v| {
            v["contacts"].as_array().unwrap().iter().map(|k| {
                (
                    v["record_id"].as_str().unwrap().to_owned(),
                    k["holder"].as_str().unwrap().to_owned(),
                    k["record_id"].as_str().unwrap().to_owned(),
                )
            })
        })
        .collect();
    assert_eq!(from_sql.len(), 2);
    assert_eq!(from_sql, ours);
}
