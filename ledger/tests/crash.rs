//! Kill the writer (SIGKILL) in the middle of a burst of appends, reopen: every record whose
//! append returned is there, and the file passes SQLite's integrity check.
//!
//! The test binary runs itself a second time as the writer (VENUECODE_CRASH_WRITER names the
//! ledger): it appends records and prints each id after its transaction committed.

#![allow(clippy::unwrap_used)]
#![cfg(unix)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use venuecode::Timestamp;
use venuecode::health::Colour;
use venuecode::policy::Outcome;
use venuecode::record::ScanRecord;
use venuecode_ledger::{Filter, Ledger};

/// Record `i` of writer round `round`: named uniquely across rounds, so that a record a later
/// round lost cannot hide behind an earlier round's record of the same number.
fn record(round: &str, i: i64) -> ScanRecord {
    ScanRecord {
        id: venuecode::record::RecordId::derive(
            Timestamp::from_unix(1_649_203_200 + i),
            &[
                format!("r{round}-{i}").as_bytes(),
                Timestamp::from_unix(1_649_203_200 + i)
                    .unix()
                    .to_be_bytes()
                    .as_slice(),
            ],
        ),
        origin: venuecode::record::Origin::Gate,
        device: "test".into(),
        venue_id: "SH-PT-0018".into(),
        door: "东门".into(),
        at: Timestamp::from_unix(1_649_203_200 + i),
        pseudonym: None,
        name: None,
        id_number: None,
        phone: None,
        profile: None,
        code_state: Some(venuecode::CodeState::Expired),
        colour: Some(Colour::Green),
        test_age_hours: None,
        decision: Outcome::Deny,
        report: false,
        rule: format!("r{round}-{i}"),
        staff: None,
        resolves: None,
        companion_of: None,
        trace: None,
    }
}

/// The writer's side: not a test of its own, but the child that the test below starts.
#[test]
#[ignore = "the writer half of acknowledged_records_survive_sigkill, run only as its child"]
fn writer() {
    let Ok(path) = std::env::var("VENUECODE_CRASH_WRITER") else {
        return;
    };
    let round = std::env::var("VENUECODE_CRASH_ROUND").unwrap();
    let mut ledger = Ledger::open(std::path::Path::new(&path)).unwrap();
    let mut out = std::io::stdout();
    for i in 0.. {
        let r = record(&round, i);
        assert!(ledger.append(&r).unwrap());
        writeln!(out, "ACK {} {i}", r.id).unwrap();
        out.flush().unwrap();
    }
}

#[test]
fn acknowledged_records_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.sqlite");
    drop(Ledger::open(&path).unwrap());
    for round in 0..3 {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "writer",
                "--include-ignored",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env("VENUECODE_CRASH_WRITER", &path)
            .env("VENUECODE_CRASH_ROUND", round.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut acknowledged = Vec::new();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        // Let it write a burst, then kill it in the middle of the next append.
        while acknowledged.len() < 200 + 100 * round {
            let line = lines.next().unwrap().unwrap();
            if let Some((id, i)) = ack(&line) {
                acknowledged.push((id.to_owned(), i.parse::<i64>().unwrap()));
            }
        }
        kill_9(child.id());
        let _ = child.wait();
        // Acknowledgements printed before the kill and not read yet count too.
        for line in lines.map_while(Result::ok) {
            if let Some((id, i)) = ack(&line) {
                acknowledged.push((id.to_owned(), i.parse::<i64>().unwrap()));
            }
        }

        let ledger = Ledger::open(&path).unwrap();
        let mut stored = std::collections::BTreeMap::<String, u32>::new();
        ledger
            .for_each(&Filter::default(), |r| {
                *stored.entry(r.rule.clone()).or_default() += 1;
            })
            .unwrap();
        for (_, i) in &acknowledged {
            assert_eq!(
                stored.get(&format!("r{round}-{i}")),
                Some(&1),
                "round {round}: acknowledged record {i} lost or stored twice"
            );
        }
        // At most the one append in flight at the kill is there beyond the acknowledged ones.
        let this_round = stored
            .keys()
            .filter(|k| k.starts_with(&format!("r{round}-")))
            .count();
        assert!(
            (acknowledged.len()..=acknowledged.len() + 1).contains(&this_round),
            "round {round}: {this_round} stored, {} acknowledged; unacknowledged: {:?}",
            acknowledged.len(),
            stored
                .keys()
                .filter(|k| k.starts_with(&format!("r{round}-")))
                .filter(|k| !acknowledged
                    .iter()
                    .any(|(_, i)| **k == format!("r{round}-{i}")))
                .collect::<Vec<_>>()
        );
        assert_eq!(ledger.integrity_check().unwrap(), "ok");
    }
}

/// The id and number an `ACK id i` line acknowledges (libtest may print its `test writer ...`
/// before the first one on the same line).
fn ack(line: &str) -> Option<(&str, &str)> {
    let at = line.find("ACK ")?;
    line[at + 4..].split_once(' ')
}

/// SIGKILL through the shell's own `kill`: no unsafe code, no libc binding.
fn kill_9(pid: u32) {
    let status = Command::new("sh")
        .args(["-c", &format!("kill -9 {pid}")])
        .status()
        .unwrap();
    assert!(status.success());
}
