//! Completions and manual pages from clap's generators, and the closed sets of values that
//! `--help` names and a wrong value is told.

#![allow(clippy::unwrap_used)]

mod common;
use common::*;

fn stdout(args: &[&str]) -> String {
    let out = venuecode().args(args).assert().code(0);
    String::from_utf8(out.get_output().stdout.clone()).unwrap()
}

#[test]
fn completions_for_every_shell_name_the_commands() {
    let bash = stdout(&["completions", "bash"]);
    for word in [
        "venuecode",
        "completions",
        "trace",
        "holder",
        "--window-minutes",
    ] {
        assert!(bash.contains(word), "bash completion lacks {word}");
    }
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        assert!(
            stdout(&["completions", shell]).contains("venuecode"),
            "{shell}"
        );
    }
    venuecode().args(["completions", "tcsh"]).assert().code(2);
}

#[test]
fn the_manual_is_roff_with_a_page_for_every_command() {
    let page = stdout(&["man"]);
    assert!(page.starts_with(".ie"), "{}", &page[..80.min(page.len())]);
    assert!(page.contains(".TH venuecode 1"), "no title");
    assert!(
        page.contains("Exit codes"),
        "the exit codes are in the page"
    );
    let s = Setup::new();
    venuecode()
        .args(["man", "--out"])
        .arg(s.path("man"))
        .assert()
        .code(0);
    for page in [
        "venuecode.1",
        "venuecode-venue-issue.1",
        "venuecode-trace-holder.1",
    ] {
        let text = std::fs::read_to_string(s.path(&format!("man/{page}"))).unwrap();
        assert!(text.contains(".TH"), "{page}");
    }
}

#[test]
fn help_names_the_values_and_a_wrong_one_is_told_them_but_not_echoed() {
    assert!(stdout(&["keygen", "--help"]).contains("venue, personal, policy, status, root"));
    assert!(stdout(&["person", "issue", "--help"]).contains("green, yellow, red"));
    assert!(stdout(&["check", "--help"]).contains("sh-2022-public-48h"));
    let s = Setup::new();
    let refused = venuecode()
        .args(["keygen", "--usage", "venue-ish", "--out"])
        .arg(s.path("k.pem"))
        .arg("--trust")
        .arg(s.path("t.json"))
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&refused.get_output().stderr).into_owned();
    assert!(err.contains("--usage"), "{err}");
    assert!(
        err.contains("one of venue, personal, policy, status, root"),
        "{err}"
    );
    assert!(!err.contains("venue-ish"), "{err}");
    assert!(!s.path("k.pem").exists());
}

#[test]
fn venue_types_profiles_formats_and_roles_are_typed_choices_from_the_core_lists() {
    let issue = stdout(&["venue", "issue", "--help"]);
    assert!(
        issue.contains("other, religious-venue, religious-school, muslim-cemetery"),
        "{issue}"
    );
    assert!(stdout(&["person", "issue", "--help"]).contains("offline, dynamic"));
    assert!(stdout(&["records", "export", "--help"]).contains("jsonl, csv, parquet"));
    assert!(
        stdout(&["accounts", "create", "--help"])
            .contains("authority, district, manager, gate, holder")
    );
    // A type this version does not name is still written type-N.
    let s = Setup::new();
    s.key("v.pem", "venue");
    let fields = |venue_type: &str| {
        let mut cmd = venuecode();
        cmd.args(["venue", "issue", "--key"])
            .arg(s.path("v.pem"))
            .args([
                "--prefix",
                "HTTPS://VC.SH.GOV.CN/1/",
                "--id",
                "X-1",
                "--type",
                venue_type,
            ])
            .args([
                "--name",
                "某场所",
                "--division",
                "310107",
                "--address",
                "某路1号",
                "--door",
                "东门",
            ]);
        cmd
    };
    fields("type-9").assert().code(0);
    let refused = fields("stadium-ish").assert().code(2);
    let err = String::from_utf8_lossy(&refused.get_output().stderr).into_owned();
    assert!(
        err.contains("--type") && err.contains("social-office, type-N"),
        "{err}"
    );
    assert!(!err.contains("stadium-ish"), "{err}");
}
