//! The trace desk's rules, whoever reads the presences: a query is in the audit log before it
//! is answered; a query refused as asked is neither read nor logged; an audit log that cannot be
//! written answers nothing; a source that fails is not logged; the days read are the period's,
//! widened by the window for contacts.

#![allow(clippy::unwrap_used, missing_docs)]

use venuecode::Timestamp;
use venuecode::id::IdNumber;
use venuecode::record::Day;
use venuecode::token::TokenKey;
use venuecode::trace::{Presence, TraceKey};
use venuecode_ledger::LedgerError;
use venuecode_ledger::desk::{self, Asker, DeskError, Person, TraceDesk};

const ID: &str = "11010519491231002X";

fn at() -> Timestamp {
    Timestamp::parse_rfc3339("2022-04-07T09:00:00+08:00").unwrap()
}

fn asker(reason: &str) -> Asker<'_> {
    Asker {
        by: "officer-7",
        reason,
        at: at(),
    }
}

/// A desk whose audit log is the file `dir/audit.jsonl`.
fn desk(dir: &std::path::Path, token_key: bool) -> TraceDesk {
    let key = TraceKey::derive(&[5; 32]);
    let log = venuecode_ledger::audit::AuditLog::new(log_path(dir), key.audit_key());
    TraceDesk::new(
        key,
        token_key.then(|| TokenKey::from_bytes([7; 32])),
        std::sync::Arc::new(log),
    )
}

fn log_path(dir: &std::path::Path) -> std::path::PathBuf {
    dir.join("audit.jsonl")
}

/// A source with no records that notes the days it was asked for.
fn empty(asked: &mut Vec<(Option<Day>, Option<Day>)>) -> Box<desk::Read<'_, LedgerError>> {
    Box::new(move |from, to, f| {
        asked.push((from, to));
        f(&[]);
        Ok(())
    })
}

#[test]
fn a_query_is_logged_before_its_answer_and_never_names_the_id_number() {
    let dir = tempfile::tempdir().unwrap();
    let desk = desk(dir.path(), true);
    let period = desk::period(
        Some("2022-04-06T00:00:00+08:00"),
        Some("2022-04-06T23:59:59+08:00"),
    )
    .unwrap();
    let mut asked = Vec::new();
    let answer = desk
        .holder(
            &asker("case 2022-17"),
            Person::IdNumber(ID),
            period,
            30,
            &["test".to_owned()],
            &mut *empty(&mut asked),
        )
        .unwrap();
    // Visits on the period's day; contacts on the days its window reaches either side.
    let day = |s: &str| Some(s.parse::<Day>().unwrap());
    assert_eq!(
        asked,
        vec![
            (day("2022-04-06"), day("2022-04-06")),
            (day("2022-04-05"), day("2022-04-07")),
        ]
    );
    assert!(answer.report.visits.is_empty());
    let chain = desk.audit_chain().unwrap();
    assert_eq!(
        (chain.entries(), chain.head()),
        (1, answer.audit_head.as_str())
    );
    let log = std::fs::read_to_string(log_path(dir.path())).unwrap();
    let token = TokenKey::from_bytes([7; 32]).token(&IdNumber::parse(ID).unwrap());
    assert!(
        log.contains(&token.to_string()) && !log.contains(ID),
        "{log}"
    );
    assert!(log.contains("case 2022-17") && log.contains("officer-7"));
    // The JSON answer carries the head.
    let json = serde_json::to_value(answer.logged()).unwrap();
    assert_eq!(json["audit_head"], answer.audit_head);
}

#[test]
fn a_query_refused_as_asked_is_neither_read_nor_logged() {
    let dir = tempfile::tempdir().unwrap();
    let with_key = desk(dir.path(), true);
    let without_key = desk(dir.path(), false);
    let period = desk::period(None, None).unwrap();
    let refused: [(&TraceDesk, &str, Person<'_>, u32); 5] = [
        (&with_key, "   ", Person::IdNumber(ID), 30),
        (
            &with_key,
            "case",
            Person::IdNumber("110105194912310021"),
            30,
        ),
        (&with_key, "case", Person::Holder("not hex"), 30),
        (&with_key, "case", Person::IdNumber(ID), 0),
        (&without_key, "case", Person::IdNumber(ID), 30),
    ];
    for (desk, reason, person, window) in refused {
        let mut asked = Vec::new();
        let e = desk
            .holder(
                &asker(reason),
                person,
                period,
                window,
                &[],
                &mut *empty(&mut asked),
            )
            .unwrap_err();
        assert!(matches!(e, DeskError::Refused(_)), "{e}");
        assert!(!e.to_string().contains("110105194912310021"), "{e}");
        assert!(asked.is_empty());
    }
    let mut asked = Vec::new();
    let e = with_key
        .venue(&asker("case"), "", period, &[], &mut *empty(&mut asked))
        .unwrap_err();
    assert!(matches!(e, DeskError::Refused(_)), "{e}");
    assert!(!log_path(dir.path()).exists());
    // Only the period's bounds in order make a period.
    assert!(desk::period(Some("2022-04-07T00:00:00Z"), Some("2022-04-06T00:00:00Z")).is_err());
}

#[test]
fn without_its_audit_log_or_its_source_a_desk_answers_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let period = desk::period(None, None).unwrap();
    // The log's path is a folder: it cannot be appended to.
    std::fs::create_dir(dir.path().join("audit.jsonl")).unwrap();
    let broken = desk(dir.path(), false);
    let mut asked = Vec::new();
    let e = broken
        .venue(
            &asker("case"),
            "SH-PT-0018",
            period,
            &[],
            &mut *empty(&mut asked),
        )
        .unwrap_err();
    assert!(matches!(e, DeskError::Audit(_)), "{e}");
    assert!(e.to_string().contains("no query is answered"));

    let fine = tempfile::tempdir().unwrap();
    let desk = desk(fine.path(), false);
    let mut failing = |_: Option<Day>,
                       _: Option<Day>,
                       _: &mut dyn FnMut(&[Presence])|
     -> Result<(), &'static str> { Err("the store stopped") };
    let e = desk
        .venue(&asker("case"), "SH-PT-0018", period, &[], &mut failing)
        .unwrap_err();
    assert!(matches!(e, DeskError::Source("the store stopped")));
    assert!(!log_path(fine.path()).exists());
}
