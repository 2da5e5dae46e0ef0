//! A service over a small world: a signed trust list, two venues in two districts, accounts of
//! every role, a clock the test moves; calls made in process, each response checked against
//! the committed OpenAPI document.

#![allow(clippy::unwrap_used, dead_code, unreachable_pub)]

#[path = "../../../ledger/tests/support/postgres.rs"]
pub mod postgres;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use tower::ServiceExt;
use venuecode::door::CheckInRequest;
use venuecode::health::{Colour, HealthStatus};
use venuecode::id::IdNumber;
use venuecode::person::{PersonalCode, PersonalIssue, Profile};
use venuecode::token::TokenKey;
use venuecode::trace::TraceKey;
use venuecode::{
    Division, Prefix, Seal, SecretKey, Timestamp, TrustList, TrustedKey, Usage, Venue, VenueType,
    signed_trust,
};
use venuecode_server::{Account, Config, ListSet, Role, Service};

pub const SH: &str = "HTTPS://VC.SH.GOV.CN/1/";
pub const TEMPLE: &str = "SH-PT-0018";
pub const SCHOOL: &str = "SH-PD-0042";
pub const HOLDER: &str = "11010519491231002X";
pub const NAME: &str = "张三丰";

pub fn at(rfc3339: &str) -> Timestamp {
    Timestamp::parse_rfc3339(rfc3339).unwrap()
}

pub fn key(seed: u8) -> SecretKey {
    SecretKey::from_seed(&[seed; 32])
}

/// Keys: 1 venue codes, 2 personal codes, 3 Pudong's venue codes (its divisions only), 9 the
/// root.
pub fn trust() -> TrustList {
    let sh = Prefix::new(SH).unwrap();
    let mut t = TrustList::new();
    t.add(TrustedKey::new(key(1).public_key(), Usage::Venue).with_prefix(&sh))
        .unwrap();
    t.add(
        TrustedKey::new(key(3).public_key(), Usage::Venue)
            .with_prefix(&sh)
            .with_division("310115"),
    )
    .unwrap();
    t.add(TrustedKey::new(key(2).public_key(), Usage::Personal).with_prefix(&sh))
        .unwrap();
    t.add(TrustedKey::new(key(4).public_key(), Usage::Status))
        .unwrap();
    t.add(TrustedKey::new(key(9).public_key(), Usage::Root))
        .unwrap();
    t
}

/// A city's status list of the slot layout (signed by key 4): `slots` holders, every
/// `changed`-th one yellow on `serial`'s day, the rest green; issued at `issued`, valid two
/// days.
pub fn city_status_list(slots: u32, changed: u32, serial: u64, issued: Timestamp) -> Vec<u8> {
    let colour = |i: u32| {
        if i.is_multiple_of(changed) {
            Colour::Yellow
        } else {
            Colour::Green
        }
    };
    venuecode::status::StatusList::build_slots(
        (0..slots).map(|i| {
            Some(HealthStatus {
                colour: colour(i),
                nat: None,
            })
        }),
        Seal {
            serial,
            issued_at: issued,
            valid_until: issued.saturating_add(2 * 86_400),
        },
        &key(4),
    )
    .unwrap()
}

pub fn signed_trust_list(serial: u64) -> Vec<u8> {
    signed_trust::sign(
        &trust(),
        &key(9),
        Seal {
            serial,
            issued_at: at("2022-04-01T00:00:00+08:00"),
            valid_until: at("2022-09-01T00:00:00+08:00"),
        },
    )
    .unwrap()
}

/// The temple (Jing'an, 310106) and the school (Pudong, 310115).
pub fn venue_code(venue_id: &str, door: &str) -> String {
    venue_code_signed_by(venue_id, door, 1)
}

/// A venue code signed by key `seed` (1 is the trusted one).
pub fn venue_code_signed_by(venue_id: &str, door: &str, seed: u8) -> String {
    venue_code_placed(venue_id, door, None, seed)
}

/// A venue code signed by key `seed` that places the venue in `division` (else its own).
pub fn venue_code_placed(venue_id: &str, door: &str, division: Option<&str>, seed: u8) -> String {
    let (name, own, kind) = match venue_id {
        TEMPLE => ("上海玉佛禅寺", "310106", VenueType::ReligiousVenue),
        _ => ("浦东佛学院", "310115", VenueType::ReligiousSchool),
    };
    Venue::new(
        venue_id,
        kind,
        name,
        division.unwrap_or(own).parse::<Division>().unwrap(),
        door,
        at("2022-04-01T08:00:00+08:00"),
    )
    .with_address("某路1号")
    .with_valid_until(at("2023-04-01T00:00:00+08:00"))
    .issue(&key(seed), &Prefix::new(SH).unwrap())
    .unwrap()
}

/// A dynamic personal code of `colour`, issued at `issued`.
pub fn personal(colour: Colour, issued: Timestamp) -> String {
    personal_of(NAME, HOLDER, colour, issued)
}

/// A dynamic personal code signed by key `seed` (2 is the trusted one).
pub fn personal_signed_by(colour: Colour, issued: Timestamp, seed: u8) -> String {
    personal_code(NAME, HOLDER, colour, issued, seed)
}

/// Another person's dynamic personal code.
pub fn personal_of(name: &str, id_number: &str, colour: Colour, issued: Timestamp) -> String {
    personal_code(name, id_number, colour, issued, 2)
}

fn personal_code(
    name: &str,
    id_number: &str,
    colour: Colour,
    issued: Timestamp,
    seed: u8,
) -> String {
    let issue = PersonalIssue {
        profile: Profile::Dynamic,
        generation: 1,
        issued_at: issued,
        valid_secs: None,
        status: Some(HealthStatus { colour, nat: None }),
    };
    PersonalCode::for_holder(
        name,
        &IdNumber::parse(id_number).unwrap(),
        &TokenKey::from_bytes([7; 32]),
        &issue,
    )
    .unwrap()
    .issue(&key(seed), &Prefix::new(SH).unwrap())
    .unwrap()
}

pub struct World {
    pub dir: tempfile::TempDir,
    pub database: Option<String>,
    pub clock: Arc<AtomicI64>,
    pub service: Service,
    pub tokens: std::collections::BTreeMap<&'static str, String>,
    pub log: Arc<Mutex<Vec<String>>>,
    openapi: Value,
}

/// The accounts every test has, by name.
pub const ACCOUNTS: &[(&str, Role, &[&str], &[&str])] = &[
    ("authority", Role::Authority, &[], &[]),
    ("shanghai", Role::District, &["31"], &[]),
    ("jingan", Role::District, &["310106"], &[]),
    ("pudong", Role::District, &["310115"], &[]),
    ("temple-manager", Role::Manager, &[TEMPLE], &[]),
    ("school-manager", Role::Manager, &[SCHOOL], &[]),
    ("temple-east-gate", Role::Gate, &[TEMPLE], &["东门"]),
    ("school-gate", Role::Gate, &[SCHOOL], &[]),
];

/// A fresh database on the test server `VENUECODE_TEST_POSTGRES` names (scripts/postgres), or
/// none: the tests then run on the SQLite default. scripts/test-all runs them both ways.
pub async fn database() -> Option<String> {
    postgres::database("vc").await
}

pub fn config(
    dir: &std::path::Path,
    database: Option<String>,
    clock: Arc<AtomicI64>,
    log: Arc<Mutex<Vec<String>>>,
) -> Config {
    let lists = ListSet {
        trust: signed_trust_list(1),
        root_kids: vec![key(9).public_key().id()],
        ..ListSet::default()
    };
    let mut config = Config::new(dir, lists, TraceKey::derive(&[5; 32]).public());
    config.database = database;
    config.clock = Arc::new(move || Timestamp::from_unix(clock.load(Ordering::SeqCst)));
    // A list published on one node is read by the others at their next request.
    config.limits.lists_refresh = std::time::Duration::ZERO;
    // Retried webhooks come quickly in tests.
    config.webhook_backoff = std::time::Duration::from_millis(50);
    // The tests' receivers listen on loopback.
    config.private_webhooks = true;
    config.log = Arc::new(move |line| log.lock().unwrap().push(line.to_owned()));
    // The authority's own node: it traces, by token or ID number.
    config.trace = Some(venuecode_server::Trace::new(
        TraceKey::derive(&[5; 32]),
        Some(TokenKey::from_bytes([7; 32])),
    ));
    config
}

impl World {
    pub async fn new() -> World {
        World::with(|_| {}).await
    }

    /// A world whose service's configuration `change` alters first.
    pub async fn with(change: impl FnOnce(&mut Config)) -> World {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(AtomicI64::new(at("2022-04-06T09:00:00+08:00").unix()));
        let log = Arc::new(Mutex::new(Vec::new()));
        let database = database().await;
        let mut config = config(dir.path(), database.clone(), clock.clone(), log.clone());
        change(&mut config);
        let service = Service::open(config).await.unwrap();
        let mut tokens = std::collections::BTreeMap::new();
        for (name, role, scope, doors) in ACCOUNTS {
            let account = Account {
                name: (*name).into(),
                role: *role,
                scope: scope.iter().map(|s| (*s).to_owned()).collect(),
                doors: doors.iter().map(|s| (*s).to_owned()).collect(),
                revoked: false,
            };
            let directory = service.directory().clone();
            let token = tokio::task::spawn_blocking(move || {
                directory.create(&account, Timestamp::from_unix(0))
            })
            .await
            .unwrap()
            .unwrap();
            tokens.insert(*name, token);
        }
        let openapi = serde_json::from_str(venuecode_server::OPENAPI).unwrap();
        World {
            dir,
            database,
            clock,
            service,
            tokens,
            log,
            openapi,
        }
    }

    /// The service started again on the same folder and database (what it kept: the gate's
    /// state, the audit log's head), its configuration changed by `change`.
    pub async fn restart(&mut self, change: impl FnOnce(&mut Config)) {
        let mut config = config(
            self.dir.path(),
            self.database.clone(),
            self.clock.clone(),
            self.log.clone(),
        );
        change(&mut config);
        self.service = Service::open(config).await.unwrap();
    }

    /// A second node of this world's service: another service on the same PostgreSQL
    /// database (a folder of its own, the same clock, accounts and tokens), as a city runs
    /// several behind a load balancer. None on the SQLite default, which one node holds.
    pub async fn node(&self) -> Option<World> {
        self.node_with(|_| {}).await
    }

    /// [`World::node`], its configuration changed by `change`.
    pub async fn node_with(&self, change: impl FnOnce(&mut Config)) -> Option<World> {
        let database = self.database.clone()?;
        let dir = tempfile::tempdir().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut config = config(
            dir.path(),
            Some(database.clone()),
            self.clock.clone(),
            log.clone(),
        );
        change(&mut config);
        let service = Service::open(config).await.unwrap();
        Some(World {
            dir,
            database: Some(database),
            clock: self.clock.clone(),
            service,
            tokens: self.tokens.clone(),
            log,
            openapi: self.openapi.clone(),
        })
    }

    pub fn now(&self) -> Timestamp {
        Timestamp::from_unix(self.clock.load(Ordering::SeqCst))
    }

    pub fn advance(&self, secs: i64) {
        self.clock.fetch_add(secs, Ordering::SeqCst);
    }

    /// Runs `f` on the service's directory, on the blocking pool (where a PostgreSQL
    /// directory's calls belong, as the service's own do).
    pub async fn directory<T: Send + 'static>(
        &self,
        f: impl FnOnce(&venuecode_server::Directory) -> T + Send + 'static,
    ) -> T {
        let directory = self.service.directory().clone();
        tokio::task::spawn_blocking(move || f(&directory))
            .await
            .unwrap()
    }

    /// Opens a report stream (a route of Server-Sent Events) as `account`: the response, its
    /// body still coming.
    pub async fn subscribe(&self, path: &str, account: &str) -> axum::response::Response {
        let request = Request::get(path)
            .header("authorization", format!("Bearer {}", self.token(account)))
            .body(Body::empty())
            .unwrap();
        self.service.router().oneshot(request).await.unwrap()
    }

    /// Runs `sql` on the world's store (the SQLite ledger, or the test's PostgreSQL database)
    /// behind the service, as an operator with the database's rights could.
    pub async fn behind(&self, sql: &str) {
        match &self.database {
            Some(url) => postgres::reader(url)
                .await
                .batch_execute(sql)
                .await
                .unwrap(),
            None => rusqlite::Connection::open(self.dir.path().join("ledger.sqlite"))
                .unwrap()
                .execute_batch(sql)
                .unwrap(),
        }
    }

    /// The first page of a venue's records, as `account` reads it.
    pub async fn records_page(&self, venue_id: &str, account: &str) -> Answer {
        self.get(
            "/v1/venues/{venue}/records",
            &[("venue", venue_id)],
            "",
            account,
        )
        .await
    }

    /// The audit log as the authority downloads it (JSON Lines, every entry checked).
    pub async fn audit_log(&self) -> String {
        let r = self.get("/v1/trace/audit/log", &[], "", "authority").await;
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        String::from_utf8(r.body.to_vec()).unwrap()
    }

    pub fn token(&self, account: &str) -> &str {
        &self.tokens[account]
    }

    /// A check-in request at a door of a venue, now.
    pub fn check_in_request(
        &self,
        venue_id: &str,
        door: &str,
        colour: Colour,
        device: &str,
    ) -> String {
        CheckInRequest {
            venue_code: venue_code(venue_id, door),
            personal_code: personal(colour, self.now()),
            device: device.into(),
            at: self.now(),
            companion_of: None,
        }
        .to_json()
    }

    /// A check-in request of the person `id_number` at a door of a venue, now.
    pub fn check_in_request_of(&self, id_number: &str, venue_id: &str, door: &str) -> String {
        CheckInRequest {
            venue_code: venue_code(venue_id, door),
            personal_code: personal_of("李四", id_number, Colour::Green, self.now()),
            device: "phone".into(),
            at: self.now(),
            companion_of: None,
        }
        .to_json()
    }

    /// Calls a route: `route` is its template in the OpenAPI document, `params` fill it in.
    /// The response is checked against the document; gives its status, headers and body.
    pub async fn call(
        &self,
        method: &str,
        route: &str,
        params: &[(&str, &str)],
        query: &str,
        auth: Auth<'_>,
        body: Vec<u8>,
    ) -> Answer {
        let mut path = route.to_owned();
        for (k, v) in params {
            path = path.replace(&format!("{{{k}}}"), &urlencode(v));
        }
        if !query.is_empty() {
            path = format!("{path}?{query}");
        }
        let mut request = Request::builder().method(method).uri(&path);
        match auth {
            Auth::None => {}
            Auth::Client(address) => {
                let address: std::net::SocketAddr = address.parse().unwrap();
                request = request.extension(axum::extract::ConnectInfo(address));
            }
            Auth::Bearer(t) => request = request.header("authorization", format!("Bearer {t}")),
            Auth::Cookie(c, csrf) => {
                request = request.header("cookie", format!("__Host-vc_session={c}"));
                if let Some(csrf) = csrf {
                    request = request.header("x-csrf-token", csrf);
                }
            }
        }
        let request = request.body(Body::from(body)).unwrap();
        let response = self.service.router().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let streaming = headers
            .get("content-type")
            .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
        // An event stream never ends: its body is read by the tests that listen to it.
        let bytes = if streaming {
            Vec::new()
        } else {
            response
                .into_body()
                .collect()
                .await
                .unwrap()
                .to_bytes()
                .to_vec()
        };
        let answer = Answer {
            status,
            headers,
            body: bytes,
        };
        self.conforms(method, route, &answer);
        answer
    }

    pub async fn get(
        &self,
        route: &str,
        params: &[(&str, &str)],
        query: &str,
        account: &str,
    ) -> Answer {
        self.call(
            "GET",
            route,
            params,
            query,
            Auth::Bearer(self.token(account)),
            Vec::new(),
        )
        .await
    }

    /// A published list, as anyone fetches it.
    pub async fn list(&self, kind: &str) -> Answer {
        let route = "/v1/lists/{kind}";
        self.call("GET", route, &[("kind", kind)], "", Auth::None, Vec::new())
            .await
    }

    /// A check-in from a client address (`198.51.100.7:40000`).
    pub async fn check_in_from(&self, address: &str, body: &str) -> Answer {
        self.call(
            "POST",
            "/v1/check-ins",
            &[],
            "",
            Auth::Client(address),
            body.as_bytes().to_vec(),
        )
        .await
    }

    /// A gate's upload of `records` to `venue_id`, as `account`.
    pub async fn upload(
        &self,
        venue_id: &str,
        account: &str,
        records: &[venuecode::record::ScanRecord],
    ) -> Answer {
        let body = serde_json::to_vec(&serde_json::json!({ "records": records })).unwrap();
        let auth = Auth::Bearer(self.token(account));
        let route = "/v1/venues/{venue}/records";
        self.call("POST", route, &[("venue", venue_id)], "", auth, body)
            .await
    }

    /// A registry import (CSV), as `account`.
    pub async fn import_registry(&self, csv: &str, account: &str) -> Answer {
        let auth = Auth::Bearer(self.token(account));
        let body = csv.as_bytes().to_vec();
        self.call("POST", "/v1/registry", &[], "", auth, body).await
    }

    pub async fn check_in(&self, body: &str) -> Answer {
        self.call(
            "POST",
            "/v1/check-ins",
            &[],
            "",
            Auth::None,
            body.as_bytes().to_vec(),
        )
        .await
    }

    /// Checks a response against the document: its status is listed for the route, and a JSON
    /// body matches the schema given for it.
    fn conforms(&self, method: &str, route: &str, answer: &Answer) {
        let op = &self.openapi["paths"][route][method.to_lowercase()];
        assert!(op.is_object(), "{method} {route} is not in openapi.json");
        let responses = &op["responses"];
        let listed = &responses[answer.status.as_u16().to_string()];
        let listed = if listed.is_null() {
            assert!(
                [408, 413, 429, 503].contains(&answer.status.as_u16()),
                "{method} {route} answered {}, which openapi.json does not list: {}",
                answer.status,
                String::from_utf8_lossy(&answer.body)
            );
            &self.openapi["components"]["responses"]["Limited"]
        } else {
            listed
        };
        let content = answer
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if content.starts_with("application/json")
            && let Some(schema) = listed["content"]["application/json"]["schema"].as_object()
        {
            let name = schema["$ref"].as_str().unwrap().rsplit('/').next().unwrap();
            self.matches(name, answer);
        }
    }

    /// Validates a JSON body against a component schema of the document.
    pub fn matches(&self, schema: &str, answer: &Answer) {
        let value: Value = serde_json::from_slice(&answer.body).unwrap_or_else(|e| {
            panic!("not JSON ({e}): {}", String::from_utf8_lossy(&answer.body))
        });
        self.validate(schema, &value);
    }

    pub fn validate(&self, schema: &str, value: &Value) {
        let root = serde_json::json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "components": self.openapi["components"],
            "$ref": format!("#/components/schemas/{schema}"),
        });
        let validator = jsonschema::validator_for(&root).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(value)
            .map(|e| format!("{e} at {}", e.instance_path))
            .collect();
        assert!(errors.is_empty(), "{schema}: {errors:?} in {value}");
    }
}

/// Records a gate at the temple's east door made of `n` green visitors, a minute apart.
pub fn gate_records(w: &World, n: usize) -> Vec<venuecode::record::ScanRecord> {
    gate_records_at(w, TEMPLE, "东门", n)
}

/// Records a gate at a venue's door made of `n` green visitors, a minute apart.
pub fn gate_records_at(
    w: &World,
    venue_id: &str,
    door_label: &str,
    n: usize,
) -> Vec<venuecode::record::ScanRecord> {
    use venuecode::door::{Gate, GateState, PolicyChoice, SignedLists};
    let mut gate = Gate::load(
        trust(),
        &SignedLists::default(),
        &PolicyChoice::default(),
        w.now(),
        GateState::new(),
    )
    .unwrap();
    let keys = venuecode::record_keys::RecordKeys::with_seed(
        venuecode::pseudonym::PseudonymKey::for_venue(&[3; 32], venue_id),
        TraceKey::derive(&[5; 32]).public(),
        [4; 32],
    );
    (0..n)
        .map(|i| {
            let now = w.now().saturating_add(60 * i64::try_from(i).unwrap());
            let door = gate.door(&venue_code(venue_id, door_label), now).unwrap();
            let admission = gate.admit(&door, &personal(Colour::Green, now), now);
            admission.record(&keys, "gate-east-1")
        })
        .collect()
}

pub enum Auth<'a> {
    None,
    /// No credentials, from this client address (as the service's listener gives it).
    Client(&'a str),
    Bearer(&'a str),
    Cookie(&'a str, Option<&'a str>),
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    pub fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
