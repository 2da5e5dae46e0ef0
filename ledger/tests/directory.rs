//! The directory contract: what the service's directory promises, whatever keeps it: SQLite
//! always, PostgreSQL too when `VENUECODE_TEST_POSTGRES` names a test server (`scripts/postgres`;
//! scripts/test-all runs this suite both ways). Tokens and cookies work only while their
//! account and they are live, and are stored as digests; a session ends at its expiry, its
//! logout or its account's revocation; a venue's division is the registry's (or its first
//! code's) and no other code moves it; the registry is replaced whole; webhooks are scoped and
//! their URL checked; a list is published only over the one it replaces, each publication
//! numbered; every refusal is typed and quotes nothing it was given.

#![allow(clippy::unwrap_used, missing_docs)]

#[path = "support/postgres.rs"]
mod postgres;

use venuecode::Timestamp;
use venuecode::record::coverage::RegisteredVenue;
use venuecode_ledger::LedgerError;
use venuecode_ledger::directory::{
    Account, Directory, KnownVenue, MAX_SESSIONS, PublishedList, Role, SESSION_SECS, parse_registry,
};

fn at(secs: i64) -> Timestamp {
    Timestamp::from_unix(1_649_206_800 + secs) // 2022-04-06T09:00:00+08:00
}

fn account(name: &str, role: Role, scope: &[&str]) -> Account {
    Account {
        name: name.into(),
        role,
        scope: scope.iter().map(|s| (*s).to_owned()).collect(),
        doors: Vec::new(),
        revoked: false,
    }
}

/// A directory under test, with what keeps it alive and a way to read all it stored.
struct Subject {
    name: &'static str,
    directory: Directory,
    stored: Box<dyn Fn() -> String>,
    _dir: tempfile::TempDir,
    _runtime: Option<tokio::runtime::Runtime>,
}

/// Every directory this run can test, each new and empty.
fn subjects() -> Vec<Subject> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_owned();
    let mut all = vec![Subject {
        name: "sqlite",
        directory: Directory::open(&path.join("service.sqlite")).unwrap(),
        // The database and its write-ahead log, as bytes.
        stored: Box::new(move || {
            let mut bytes = Vec::new();
            for name in ["service.sqlite", "service.sqlite-wal"] {
                bytes.extend(std::fs::read(path.join(name)).unwrap_or_default());
            }
            String::from_utf8_lossy(&bytes).into_owned()
        }),
        _dir: dir,
        _runtime: None,
    }];
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    if let Some(url) = runtime.block_on(postgres::database("vc_directory")) {
        let directory = Directory::open_postgres(&url, runtime.handle().clone()).unwrap();
        let handle = runtime.handle().clone();
        all.push(Subject {
            name: "postgres",
            directory,
            // Every row of every table, as text.
            stored: Box::new(move || {
                handle.block_on(async {
                    let client = postgres::reader(&url).await;
                    let mut text = String::new();
                    for table in ["accounts", "tokens", "sessions", "webhooks"] {
                        for row in client
                            .query(&format!("SELECT t::text FROM {table} t"), &[])
                            .await
                            .unwrap()
                        {
                            text.push_str(row.get::<_, &str>(0));
                        }
                    }
                    text
                })
            }),
            _dir: tempfile::tempdir().unwrap(),
            _runtime: Some(runtime),
        });
    }
    all
}

#[test]
fn a_token_opens_its_live_account_only_and_is_stored_as_a_digest() {
    for s in subjects() {
        eprintln!("directory: {}", s.name);
        let d = &s.directory;
        let manager = account("temple-manager", Role::Manager, &["SH-PT-0018"]);
        let first = d.create(&manager, at(0)).unwrap();
        let second = d.issue("temple-manager", at(1)).unwrap();
        assert_ne!(first, second);
        for token in [&first, &second] {
            assert_eq!(d.by_token(token).unwrap().unwrap().name, "temple-manager");
        }
        // Neither token is stored as given: only their digests.
        let stored = (s.stored)();
        for token in [&first, &second] {
            let digest = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(token.as_bytes()));
            assert!(stored.contains(&digest), "the digest is what is kept");
            assert!(!stored.contains(&token[4..]), "a token was stored as given");
        }
        // A name taken, a scope that does not fit the role: refused, typed.
        assert!(matches!(
            d.create(&manager, at(2)).unwrap_err(),
            LedgerError::Exists(_)
        ));
        let bad = account("pudong", Role::District, &["31011"]);
        assert_eq!(d.create(&bad, at(2)).unwrap_err().code(), "invalid_input");
        // One token revoked, the other still works; the account revoked, none does.
        d.revoke_token(&first).unwrap();
        assert!(d.by_token(&first).unwrap().is_none());
        assert!(d.by_token(&second).unwrap().is_some());
        d.revoke("temple-manager").unwrap();
        assert!(d.by_token(&second).unwrap().is_none());
        assert!(d.issue("temple-manager", at(3)).is_err());
        assert!(d.accounts().unwrap()[0].revoked);
        // Unknown names and tokens, and things that are not tokens.
        assert!(matches!(
            d.revoke("nobody").unwrap_err(),
            LedgerError::NotFound(_)
        ));
        assert!(matches!(
            d.revoke_token("vct_00").unwrap_err(),
            LedgerError::NotFound(_)
        ));
        assert!(d.by_token("not a token").unwrap().is_none());
    }
}

#[test]
fn a_session_ends_at_its_expiry_its_logout_or_its_accounts_revocation() {
    for s in subjects() {
        eprintln!("directory: {}", s.name);
        let d = &s.directory;
        let token = d
            .create(&account("office", Role::District, &["310107"]), at(0))
            .unwrap();
        let (cookie, csrf) = d.login(&token, at(0)).unwrap().unwrap();
        let (who, same_csrf) = d
            .by_session(&cookie, at(SESSION_SECS - 1))
            .unwrap()
            .unwrap();
        assert_eq!((who.name.as_str(), same_csrf), ("office", csrf));
        assert!(d.by_session(&cookie, at(SESSION_SECS)).unwrap().is_none());
        // A wrong token logs nobody in.
        assert!(d.login("vct_nothing", at(0)).unwrap().is_none());
        let (cookie, _) = d.login(&token, at(10)).unwrap().unwrap();
        d.logout(&cookie).unwrap();
        assert!(d.by_session(&cookie, at(11)).unwrap().is_none());
        // A session ends with the token that opened it (red team, 2026-12: it lived on for up
        // to 8 hours); one opened with the account's other token goes on.
        let other = d.issue("office", at(12)).unwrap();
        let (by_first, _) = d.login(&token, at(12)).unwrap().unwrap();
        let (by_other, _) = d.login(&other, at(12)).unwrap().unwrap();
        d.revoke_token(&token).unwrap();
        assert!(d.by_session(&by_first, at(13)).unwrap().is_none());
        assert!(d.by_session(&by_other, at(13)).unwrap().is_some());
        // An account keeps its newest sessions only.
        let cookies: Vec<String> = (0..=MAX_SESSIONS)
            .map(|_| d.login(&other, at(14)).unwrap().unwrap().0)
            .collect();
        assert!(d.by_session(&by_other, at(15)).unwrap().is_none());
        assert!(d.by_session(&cookies[0], at(15)).unwrap().is_none());
        for cookie in &cookies[1..] {
            assert!(d.by_session(cookie, at(15)).unwrap().is_some());
        }
        let (cookie, _) = d.login(&other, at(20)).unwrap().unwrap();
        d.revoke("office").unwrap();
        assert!(d.by_session(&cookie, at(21)).unwrap().is_none());
    }
}

#[test]
fn a_venues_division_is_the_registrys_and_no_code_moves_it() {
    for s in subjects() {
        eprintln!("directory: {}", s.name);
        let d = &s.directory;
        let temple = |division| KnownVenue {
            venue_id: "SH-PT-0018".into(),
            division,
            name: "上海玉佛禅寺".into(),
        };
        // The temple's first code placed it in 310107; its codes keep it there.
        d.place_venue(&temple(310_107)).unwrap();
        d.place_venue(&temple(310_107)).unwrap();
        // Another district's key signs a code that places it in 310118: refused, typed, and
        // the temple stays where it was.
        let e = d.place_venue(&temple(310_118)).unwrap_err();
        assert!(matches!(e, LedgerError::DivisionMismatch(_)), "{e}");
        assert_eq!(e.code(), "division_mismatch");
        assert_eq!(d.venue("SH-PT-0018").unwrap().unwrap().division, 310_107);
        d.note_door("SH-PT-0018", "东门").unwrap();
        d.note_door("SH-PT-0018", "东门").unwrap();
        // The registry is the authority's: it places every venue it holds, moving one a code
        // placed elsewhere, and a new one it places.
        let csv = "venue_id,name,division,doors\n\
               SH-PT-0018,上海玉佛禅寺,310118,东门;西门\n\
               SH-QP-0007,示例回民公墓,310118,南门\n";
        d.import_registry(&parse_registry(csv).unwrap()).unwrap();
        assert_eq!(d.registry().unwrap().len(), 2);
        assert_eq!(d.venue("SH-PT-0018").unwrap().unwrap().division, 310_118);
        assert_eq!(d.venue("SH-QP-0007").unwrap().unwrap().division, 310_118);
        assert_eq!(d.venue("SH-XX-0000").unwrap(), None);
        // A venue's known doors: the registry's and those seen; none of a venue unknown.
        let doors = |v: &str| d.doors_of(v).unwrap().into_iter().collect::<Vec<_>>();
        assert_eq!(doors("SH-PT-0018"), ["东门", "西门"]);
        assert_eq!(doors("SH-QP-0007"), ["南门"]);
        assert!(doors("SH-XX-0000").is_empty());
        // Now the codes that place it in 310107 are the refused ones.
        assert!(matches!(
            d.place_venue(&temple(310_107)).unwrap_err(),
            LedgerError::DivisionMismatch(_)
        ));
        d.place_venue(&temple(310_118)).unwrap();
        // A second import replaces the first whole.
        d.import_registry(&[RegisteredVenue {
            venue_id: "SH-QP-0007".into(),
            name: "示例回民公墓".into(),
            division: 310_118,
            doors: vec!["南门".into()],
        }])
        .unwrap();
        let registry = d.registry().unwrap();
        assert_eq!(registry.len(), 1);
        assert_eq!(registry[0].venue_id, "SH-QP-0007");
        assert_eq!(doors("SH-PT-0018"), ["东门"], "seen, no longer registered");
        assert_eq!(
            d.doors_seen().unwrap().into_iter().collect::<Vec<_>>(),
            [("SH-PT-0018".to_owned(), "东门".to_owned())]
        );
        // An empty registry would wipe the one before: refused (red team, 2026-12: an empty
        // `POST /v1/registry` did).
        for empty in ["", "venue_id,name,division,doors\n"] {
            assert_eq!(parse_registry(empty).unwrap_err().code(), "invalid_input");
        }
        // A bad row is told by its line, without its content.
        let e = parse_registry("venue_id,name,division,doors\nX,名,99999999,门\n").unwrap_err();
        assert!(e.to_string().contains("line 2") && !e.to_string().contains("99999999"));
    }
}

#[test]
fn webhooks_are_scoped_to_a_venue_or_a_division_and_their_url_checked() {
    for s in subjects() {
        eprintln!("directory: {}", s.name);
        let d = &s.directory;
        let venue = d
            .add_webhook("http://127.0.0.1:9/hook", Some("SH-PT-0018"), None)
            .unwrap();
        let district = d
            .add_webhook("http://127.0.0.1:9/district", None, Some("3101"))
            .unwrap();
        assert_ne!(venue.secret, district.secret);
        assert_eq!(venue.secret.len(), 64);
        // The secret is never serialised.
        assert!(
            !serde_json::to_string(&venue)
                .unwrap()
                .contains(&venue.secret)
        );
        // HTTPS too.
        let secure = d
            .add_webhook("https://desk.example:8443/hook", Some("SH-PT-0018"), None)
            .unwrap();
        d.remove_webhook(secure.id).unwrap();
        for (url, v, div) in [
            ("ftp://127.0.0.1/hook", Some("SH-PT-0018"), None),
            ("https://user@127.0.0.1/hook", Some("SH-PT-0018"), None),
            ("https://127.0.0.1:99999/hook", Some("SH-PT-0018"), None),
            ("http://127.0.0.1/hook", None, Some("310")),
            ("http://127.0.0.1/hook", Some("SH-PT-0018"), Some("3101")),
            ("http://127.0.0.1/hook", None, None),
        ] {
            assert_eq!(
                d.add_webhook(url, v, div).unwrap_err().code(),
                "invalid_input",
                "{url} {v:?} {div:?}"
            );
        }
        assert_eq!(d.webhooks().unwrap(), vec![venue.clone(), district]);
        d.remove_webhook(venue.id).unwrap();
        assert!(matches!(
            d.remove_webhook(venue.id).unwrap_err(),
            LedgerError::NotFound(_)
        ));
        assert_eq!(d.webhooks().unwrap().len(), 1);
    }
}

#[test]
fn a_directory_file_from_before_sessions_named_their_token_opens_and_works() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("service.sqlite");
    let old = rusqlite::Connection::open(&path).unwrap();
    old.execute_batch(
        "CREATE TABLE sessions (hash TEXT PRIMARY KEY, account INTEGER NOT NULL,
                                csrf TEXT NOT NULL, expires INTEGER NOT NULL);",
    )
    .unwrap();
    drop(old);
    let d = Directory::open(&path).unwrap();
    let token = d
        .create(&account("office", Role::District, &["310107"]), at(0))
        .unwrap();
    let (cookie, _) = d.login(&token, at(0)).unwrap().unwrap();
    assert!(d.by_session(&cookie, at(1)).unwrap().is_some());
    d.revoke_token(&token).unwrap();
    assert!(d.by_session(&cookie, at(2)).unwrap().is_none());
}

#[test]
fn a_list_is_published_only_over_the_one_it_replaces_and_numbered() {
    for s in subjects() {
        eprintln!("directory: {}", s.name);
        let d = &s.directory;
        let list = |kind: &str, etag: &str, delta: Option<(&str, &[u8])>| PublishedList {
            kind: kind.into(),
            bytes: etag.as_bytes().to_vec(),
            etag: etag.into(),
            delta: delta.map(|(from, bytes)| (from.into(), bytes.to_vec())),
            version: 0,
        };
        assert_eq!(d.lists_version().unwrap(), 0);
        assert!(d.lists().unwrap().is_empty());
        assert_eq!(d.publish_list(&list("trust", "t1", None), None).unwrap(), 1);
        assert_eq!(
            d.publish_list(&list("status", "s1", None), None).unwrap(),
            2
        );
        // Another node published meanwhile: a publication over what it no longer is, or as if
        // there were none, is refused and changes nothing.
        for replaces in [None, Some("s0")] {
            let e = d
                .publish_list(&list("status", "s2", None), replaces)
                .unwrap_err();
            assert!(matches!(e, LedgerError::Exists(_)), "{e}");
        }
        let next = list("status", "s2", Some(("s1", b"delta")));
        assert_eq!(d.publish_list(&next, Some("s1")).unwrap(), 3);
        assert_eq!(d.lists_version().unwrap(), 3);
        let lists = d.lists().unwrap();
        assert_eq!(
            lists,
            [
                PublishedList { version: 3, ..next },
                PublishedList {
                    version: 1,
                    ..list("trust", "t1", None)
                }
            ]
        );
    }
}
