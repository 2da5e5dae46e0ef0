//! `venuecode serve` and `venuecode accounts` as processes: accounts made on the command line
//! work over HTTP, and a service killed with SIGKILL during a load of check-ins has, when
//! started again, every check-in it acknowledged, none twice; with two nodes on one PostgreSQL,
//! the one not killed has them.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use venuecode::door::CheckInRequest;
use venuecode::health::{Colour, HealthStatus};
use venuecode::id::IdNumber;
use venuecode::person::{PersonalCode, PersonalIssue, Profile};
use venuecode::token::TokenKey;
use venuecode::{
    Division, Prefix, Seal, SecretKey, Timestamp, TrustList, TrustedKey, Usage, Venue, VenueType,
};

const SH: &str = "HTTPS://VC.SH.GOV.CN/1/";

fn key(seed: u8) -> SecretKey {
    SecretKey::from_seed(&[seed; 32])
}

fn now() -> Timestamp {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    Timestamp::from_unix(i64::try_from(secs).unwrap())
}

/// The service's inputs in `dir`: a signed trust list (root key 9), its root key id.
fn setup(dir: &Path) -> String {
    let prefix = Prefix::new(SH).unwrap();
    let mut trust = TrustList::new();
    trust
        .add(TrustedKey::new(key(1).public_key(), Usage::Venue).with_prefix(&prefix))
        .unwrap();
    trust
        .add(TrustedKey::new(key(2).public_key(), Usage::Personal).with_prefix(&prefix))
        .unwrap();
    trust
        .add(TrustedKey::new(key(9).public_key(), Usage::Root))
        .unwrap();
    let seal = Seal {
        serial: 1,
        issued_at: now().saturating_add(-3600),
        valid_until: now().saturating_add(30 * 86_400),
    };
    let signed = venuecode::signed_trust::sign(&trust, &key(9), seal).unwrap();
    std::fs::write(dir.join("trust.signed"), signed).unwrap();
    key(9).public_key().id().to_string()
}

fn venue_code() -> String {
    Venue::new(
        "SH-PT-0018",
        VenueType::ReligiousVenue,
        "上海玉佛禅寺",
        "310106".parse::<Division>().unwrap(),
        "东门",
        now().saturating_add(-3600),
    )
    .with_address("安远路170号")
    .with_valid_until(now().saturating_add(365 * 86_400))
    .issue(&key(1), &Prefix::new(SH).unwrap())
    .unwrap()
}

/// Check-in `i`: a visitor of its own (a name of its own, so a code of its own).
fn request(venue: &str, i: usize) -> String {
    let issue = PersonalIssue {
        profile: Profile::Dynamic,
        generation: 1,
        issued_at: now(),
        valid_secs: None,
        status: Some(HealthStatus {
            colour: Colour::Green,
            nat: None,
        }),
    };
    let personal = PersonalCode::for_holder(
        &format!("访客{i}"),
        &IdNumber::parse("11010519491231002X").unwrap(),
        &TokenKey::from_bytes([7; 32]),
        &issue,
    )
    .unwrap()
    .issue(&key(2), &Prefix::new(SH).unwrap())
    .unwrap();
    CheckInRequest {
        venue_code: venue.to_owned(),
        personal_code: personal,
        device: format!("phone-{i}"),
        at: now(),
        companion_of: None,
    }
    .to_json()
}

struct Served {
    child: Child,
    address: String,
}

/// A fresh database on the test PostgreSQL server (scripts/postgres), if there is one.
fn postgres() -> Option<String> {
    let server = std::env::var("VENUECODE_TEST_POSTGRES").ok()?;
    // One database a test: the tests of this process run at once.
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::SeqCst);
    let name = format!("vc_cli_{}_{n}", std::process::id());
    for sql in [
        format!("DROP DATABASE IF EXISTS {name}"),
        format!("CREATE DATABASE {name}"),
    ] {
        let done = Command::new("psql")
            .arg(format!("{server} dbname=postgres"))
            .args(["-q", "-c", &sql])
            .status()
            .unwrap();
        assert!(done.success(), "{sql}");
    }
    // The service verifies the test server's certificate (scripts/postgres).
    let tls = std::env::var("VENUECODE_TEST_POSTGRES_TLS").unwrap_or_default();
    Some(format!("{server} dbname={name} {tls}").trim().to_owned())
}

fn serve_on(dir: &Path, kid: &str, database: Option<&str>) -> Served {
    serve_in(dir, "data", kid, database)
}

/// A service of the world in `dir` with its folder `dir/data` (nodes of one database each
/// have their own).
fn serve_in(dir: &Path, data: &str, kid: &str, database: Option<&str>) -> Served {
    let mut command = Command::new(assert_cmd::cargo::cargo_bin("venuecode"));
    // Eight clients on this host stand for thousands of phones: no limit by address.
    command.args(["serve", "--listen", "127.0.0.1:0", "--root-kid", kid]);
    command.args(["--check-ins-per-address", "0"]);
    if let Some(url) = database {
        command.args(["--database", url]);
    }
    let mut child = command
        .arg("--data")
        .arg(dir.join(data))
        .arg("--trust")
        .arg(dir.join("trust.signed"))
        .arg("--trace-pub")
        .arg(common::trace_pub())
        .env_remove("VENUECODE_ROOT_KID")
        .env_remove("VENUECODE_DATABASE")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let address = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap()
        .trim_end_matches('/')
        .to_owned();
    Served { child, address }
}

/// A new world (its folder, the root key id) with an authority account (its token) in the
/// directory of `DIR/data`, or of `database`.
fn world_with_authority(database: Option<&str>) -> (tempfile::TempDir, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let kid = setup(dir.path());
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    let authority = accounts_on(
        dir.path(),
        database,
        &["create", "authority", "--role", "authority"],
    );
    (dir, kid, authority)
}

/// One HTTP/1.1 request on its own connection: status and body.
fn http(address: &str, method: &str, path: &str, token: Option<&str>, body: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    let auth = token.map_or(String::new(), |t| format!("authorization: Bearer {t}\r\n"));
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nhost: {address}\r\n{auth}content-type: application/json\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap_or_default();
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = response
        .split_once("\r\n\r\n")
        .map_or(String::new(), |(_, b)| b.to_owned());
    (status, body)
}

fn accounts(dir: &Path, args: &[&str]) -> String {
    accounts_on(dir, None, args)
}

/// `accounts` on the service's folder, or on its PostgreSQL database.
fn accounts_on(dir: &Path, database: Option<&str>, args: &[&str]) -> String {
    let mut command = common::signed();
    command.arg("accounts").arg("--data").arg(dir.join("data"));
    if let Some(url) = database {
        command.args(["--database", url]);
    }
    let out = command.args(args).assert().success();
    common::stdout_of(&out).trim().to_owned()
}

/// Every record id of the venue, by cursor paging.
fn all_ids(address: &str, token: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut after = String::new();
    loop {
        let path = format!("/v1/venues/SH-PT-0018/records?limit=1000{after}");
        let (status, body) = http(address, "GET", &path, Some(token), "");
        assert_eq!(status, 200, "{body}");
        let page: serde_json::Value = serde_json::from_str(&body).unwrap();
        let records = page["records"].as_array().unwrap();
        if records.is_empty() {
            return ids;
        }
        ids.extend(records.iter().map(|r| r["id"].as_str().unwrap().to_owned()));
        after = format!("&after={}", page["next"].as_str().unwrap());
    }
}

#[test]
fn accounts_made_on_the_command_line_work_over_http_until_revoked() {
    accounts_over_http(None);
}

/// The same with the directory in PostgreSQL, when the test script started one: the command
/// line and the service meet in the database, not the folder.
#[test]
fn accounts_made_on_the_command_line_in_postgres_work_over_http_until_revoked() {
    match postgres() {
        Some(url) => accounts_over_http(Some(&url)),
        None => {
            eprintln!("VENUECODE_TEST_POSTGRES not set: scripts/test-all runs this on PostgreSQL")
        }
    }
}

fn accounts_over_http(database: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let kid = setup(dir.path());
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    let manager = accounts_on(
        dir.path(),
        database,
        &[
            "create",
            "temple",
            "--role",
            "manager",
            "--scope",
            "SH-PT-0018",
        ],
    );
    assert!(
        manager.starts_with("vct_") && manager.len() == 68,
        "{manager}"
    );
    let refused = common::signed()
        .args(["accounts", "--data"])
        .arg(dir.path().join("data"))
        .args(database.map(|url| ["--database", url]).iter().flatten())
        .args(["create", "bad", "--role", "district", "--scope", "310"])
        .assert()
        .code(2);
    assert!(common::stdout_of(&refused).is_empty());
    let listed = accounts_on(dir.path(), database, &["list"]);
    assert_eq!(listed, "temple\tmanager\tSH-PT-0018");
    if database.is_some() {
        // Not in the folder: the folder's directory knows no one.
        assert_eq!(accounts(dir.path(), &["list"]), "");
    }
    let mut served = serve_on(dir.path(), &kid, database);
    let (status, body) = http(&served.address, "GET", "/v1/me", Some(&manager), "");
    assert_eq!((status, body.contains("\"temple\"")), (200, true), "{body}");
    accounts_on(dir.path(), database, &["revoke", "temple"]);
    let (status, _) = http(&served.address, "GET", "/v1/me", Some(&manager), "");
    assert_eq!(status, 401);
    served.child.kill().unwrap();
    served.child.wait().unwrap();
}

#[test]
fn a_killed_service_keeps_every_acknowledged_check_in_once() {
    killed_under_load(None);
}

/// The same against PostgreSQL, when the test script started one.
#[test]
fn a_killed_service_on_postgres_keeps_every_acknowledged_check_in_once() {
    match postgres() {
        Some(url) => killed_under_load(Some(&url)),
        None => {
            eprintln!("VENUECODE_TEST_POSTGRES not set: scripts/test-all runs this on PostgreSQL")
        }
    }
}

/// Two nodes on one PostgreSQL database, the check-ins dealt to both: one is SIGKILLed under
/// load, and the other, still serving, holds every check-in either acknowledged.
#[test]
fn two_nodes_on_postgres_one_killed_under_load_lose_no_acknowledged_check_in() {
    match postgres() {
        Some(url) => killed_under_load_of(Some(&url), 2),
        None => {
            eprintln!("VENUECODE_TEST_POSTGRES not set: scripts/test-all runs this on PostgreSQL")
        }
    }
}

fn killed_under_load(database: Option<&str>) {
    killed_under_load_of(database, 1);
}

/// `nodes` services on one store take 8 clients' check-ins; the first is killed mid-load. The
/// last node (started again if it was the one killed) then holds every acknowledged check-in
/// once, and takes the retries of the others, each stored once.
fn killed_under_load_of(database: Option<&str>, nodes: usize) {
    let (dir, kid, authority) = world_with_authority(database);
    let venue = venue_code();
    // Made before the load, so the clients only send.
    let requests: Vec<String> = (0..4000).map(|i| request(&venue, i)).collect();
    let requests = Arc::new(requests);
    // One node's folder is the one `accounts` wrote (SQLite's directory is in it).
    let folder = |n: usize| match n {
        0 => "data".to_owned(),
        n => format!("data{n}"),
    };
    let mut served: Vec<Served> = (0..nodes)
        .map(|n| serve_in(dir.path(), &folder(n), &kid, database))
        .collect();
    let acked = Arc::new(Mutex::new(Vec::<(usize, String)>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..8)
        .map(|c| {
            let (requests, acked, stop, address) = (
                requests.clone(),
                acked.clone(),
                stop.clone(),
                served[c % nodes].address.clone(),
            );
            std::thread::spawn(move || {
                for i in (c..requests.len()).step_by(8) {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let Ok(mut stream) = TcpStream::connect(&address) else {
                        return;
                    };
                    let body = &requests[i];
                    let sent = write!(
                        stream,
                        "POST /v1/check-ins HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\
                         content-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let mut response = String::new();
                    if sent.is_err() || stream.read_to_string(&mut response).is_err() {
                        return;
                    }
                    // Acknowledged: a 200 with the record's id, read whole.
                    if response.starts_with("HTTP/1.1 200")
                        && let Some(json) = response.split_once("\r\n\r\n").map(|x| x.1)
                        && let Ok(v) = serde_json::from_str::<serde_json::Value>(json)
                    {
                        let id = v["record_id"].as_str().unwrap().to_owned();
                        acked.lock().unwrap().push((i, id));
                    }
                }
            })
        })
        .collect();
    // Kill it mid-load, once some check-ins are acknowledged.
    while acked.lock().unwrap().len() < 300 {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    served[0].child.kill().unwrap();
    served[0].child.wait().unwrap();
    if nodes > 1 {
        // The other node goes on serving its clients a while.
        let (before, since) = (acked.lock().unwrap().len(), std::time::Instant::now());
        while acked.lock().unwrap().len() < before + 100 {
            assert!(
                since.elapsed().as_secs() < 30,
                "the other node stopped serving"
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }
    stop.store(true, Ordering::SeqCst);
    for c in clients {
        c.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() < requests.len(), "the kill came after the load");

    let mut served = match served.pop() {
        Some(last) if nodes > 1 => last,
        _ => serve_in(dir.path(), &folder(0), &kid, database),
    };
    let stored = all_ids(&served.address, &authority);
    let unique: std::collections::BTreeSet<&String> = stored.iter().collect();
    assert_eq!(unique.len(), stored.len(), "a record stored twice");
    for (_, id) in &acked {
        assert!(unique.contains(id), "acknowledged {id} lost");
    }
    // The apps retry what was not acknowledged: each stored once, the others already there.
    let done: std::collections::BTreeSet<usize> = acked.iter().map(|a| a.0).collect();
    let retried: Vec<usize> = (0..requests.len())
        .filter(|i| !done.contains(i))
        .take(200)
        .collect();
    let mut new = 0;
    for &i in &retried {
        let (status, body) = http(&served.address, "POST", "/v1/check-ins", None, &requests[i]);
        assert_eq!(status, 200, "{body}");
        let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
        let id = answer["record_id"].as_str().unwrap().to_owned();
        // Stored before the kill (unacknowledged) or now, never both.
        assert_eq!(answer["stored"], !unique.contains(&id), "{id}");
        new += usize::from(answer["stored"] == true);
    }
    let after = all_ids(&served.address, &authority);
    let unique_after: std::collections::BTreeSet<&String> = after.iter().collect();
    assert_eq!(unique_after.len(), after.len());
    assert_eq!(after.len(), stored.len() + new);
    served.child.kill().unwrap();
    served.child.wait().unwrap();
}

#[test]
fn the_end_of_use_destroys_the_records_their_copies_and_the_keys_and_says_so() {
    end_of_use(None);
    if let Some(url) = postgres() {
        end_of_use(Some(&url));
    }
}

fn end_of_use(database: Option<&str>) {
    let (dir, kid, authority) = world_with_authority(database);
    let venue = venue_code();
    let mut served = serve_on(dir.path(), &kid, database);
    for i in 0..5 {
        let (status, body) = http(
            &served.address,
            "POST",
            "/v1/check-ins",
            None,
            &request(&venue, i),
        );
        assert_eq!(status, 200, "{body}");
    }
    served.child.kill().unwrap();
    served.child.wait().unwrap();
    let key = dir.path().join("trace.key");
    std::fs::write(&key, "secret").unwrap();
    let end = |confirm: &str| {
        let mut command = common::signed();
        command
            .arg("end-of-use")
            .arg("--data")
            .arg(dir.path().join("data"));
        if let Some(url) = database {
            command.args(["--database", url]);
        }
        command
            .arg("--key")
            .arg(&key)
            .args(["--confirm", confirm, "--json"])
            .assert()
    };
    // Not without saying so.
    end("yes").failure();
    assert!(key.exists());
    let out = end("end-of-use").success();
    let said: serde_json::Value = serde_json::from_str(&common::stdout_of(&out)).unwrap();
    assert_eq!(said["store"]["records"], 5, "{said}");
    assert!(
        said["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f.as_str() == Some(key.to_str().unwrap())),
        "{said}"
    );
    assert!(!key.exists(), "the key file destroyed");
    // The service starts again, empty.
    let mut served = serve_on(dir.path(), &kid, database);
    assert!(all_ids(&served.address, &authority).is_empty());
    served.child.kill().unwrap();
    served.child.wait().unwrap();
}

#[test]
fn a_holder_account_keeps_only_masks_and_a_token() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    let key = dir.path().join("holder.key");
    common::signed()
        .arg("token-key")
        .arg("--out")
        .arg(&key)
        .assert()
        .success();
    let token = accounts(
        dir.path(),
        &[
            "create",
            "visitor-1",
            "--role",
            "holder",
            "--holder-name",
            "张三丰",
            "--id-number",
            "11010519491231002X",
            "--token-key",
            key.to_str().unwrap(),
        ],
    );
    assert!(token.starts_with("vct_"), "{token}");
    let listed = accounts(dir.path(), &["list"]);
    assert!(listed.starts_with("visitor-1\tholder\t"), "{listed}");
    assert!(
        listed.contains("张*丰") && listed.contains("110105********00**"),
        "{listed}"
    );
    assert!(!listed.contains("张三丰") && !listed.contains("11010519491231002X"));
    let stored = std::fs::read(dir.path().join("data/service.sqlite")).unwrap();
    for raw in ["张三丰", "11010519491231002X"] {
        assert!(
            !stored.windows(raw.len()).any(|w| w == raw.as_bytes()),
            "{raw} stored"
        );
    }
    // A holder is named by its person, not by a scope; a person is for holders only.
    for args in [
        &["create", "h2", "--role", "holder", "--scope", "SH-PT-0018"][..],
        &[
            "create",
            "m2",
            "--role",
            "manager",
            "--scope",
            "SH-PT-0018",
            "--holder-name",
            "李四",
            "--id-number",
            "11010519491231002X",
            "--token-key",
            key.to_str().unwrap(),
        ][..],
    ] {
        common::signed()
            .arg("accounts")
            .arg("--data")
            .arg(dir.path().join("data"))
            .args(args)
            .assert()
            .code(2);
    }
}
