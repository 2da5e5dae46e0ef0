//! The records service (SPEC.md §16): visitors' check-ins and gates' records in, signed lists
//! out, a venue's desensitised records for its manager and its own systems, reports as they
//! happen, over HTTP with JSON.
//!
//! A thin face over core and the ledger, like the command line: every check-in is verified and
//! decided again by a [`venuecode::door::SharedGate`], every record is stored by the ledger's
//! [`venuecode_ledger::store`], accounts and the registry are the ledger's [`directory`], every
//! statistic is core's, every trace the ledger's [`venuecode_ledger::desk`]. What the service
//! adds is HTTP: who may call what, the lists' publication ([`ListSet`]), the live reports and
//! the webhooks, the page.
//!
//! ```no_run
//! # async fn run(config: venuecode_server::Config) -> Result<(), venuecode_server::ApiError> {
//! let service = venuecode_server::Service::open(config).await?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! service.serve(listener, std::future::pending()).await
//! # }
//! ```

mod api;
mod callers;
mod caps;
mod connections;
mod counters;
mod districts;
mod error;
mod health;
mod holders;
mod intake;
mod labels;
mod lists;
mod page;
mod publishing;
mod reports;
mod trace;
mod venues;
mod visitor;
mod webhooks;

pub use api::{MAX_BODY_BYTES, OPENAPI};
pub use districts::MAX_REGISTRY_BYTES;
pub use error::{ApiError, SERVICE_ERROR_CODES};
pub use holders::{DEFAULT_CODE_SECS, Issuer};
pub use intake::MAX_UPLOAD_RECORDS;
pub use labels::MAX_LABEL_PARAM_CHARS;
pub use lists::{Kind, ListSet};
pub use trace::{Trace, TraceDesk};
pub use venuecode_ledger::Purged;
pub use venuecode_ledger::directory::{self, Account, Directory, Role};
pub use venues::MAX_PAGE;
pub use webhooks::FIRST_BACKOFF;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};
use venuecode::Timestamp;
use venuecode::door::{GateState, SharedGate};
use venuecode::pseudonym::PseudonymKey;
use venuecode::record_keys::RecordKeys;
use venuecode::trace::TracePublicKey;
use venuecode_ledger::LedgerError;
use venuecode_ledger::directory::KnownVenue;
use zeroize::Zeroizing;

/// How long a node trusts what it last heard of a venue's division before asking the directory
/// again: a registry imported on another node reaches this one within it.
const PLACED_SECS: i64 = 60;

/// How often a serving node enforces the retention period and (with the trace desk) writes the
/// purges and reads not yet told to the audit log.
const RETENTION_EVERY: Duration = Duration::from_secs(60);

/// The service's clock (tests and the demo run it at a fixed day).
pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// Where the access log goes: one line a request, method, route, status and time, never a
/// body, a query or a token.
pub type LogSink = Arc<dyn Fn(&str) + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    Arc::new(|| {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        Timestamp::from_unix(secs)
    })
}

/// Limits on what a client may send and how often: `Limits::default()`, then the fields to
/// change (more may come).
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct Limits {
    /// Requests a second each token or session may make, on average.
    pub per_token_per_sec: f64,
    /// Requests a token may make at once before the average applies.
    pub burst: f64,
    /// The longest a request may take before it is answered 408 (trace queries have their
    /// own: [`Limits::trace_timeout`]).
    pub timeout: Duration,
    /// The longest a trace query may take before it is answered 408: it reads every record of
    /// its period, about 50 µs each (a day of 150,000 records is about 8 s, more than a
    /// request's limit). Its reading stops there too, and nothing is logged for it.
    pub trace_timeout: Duration,
    /// The most requests served at once; more wait.
    pub concurrency: usize,
    /// The most connections held at once; more are closed as they come.
    pub connections: usize,
    /// The most connections one client address holds at once (0: no cap, for a service behind
    /// a reverse proxy, whose own caps then apply).
    pub connections_per_address: usize,
    /// The longest a connection may take to send a request's headers, or stay idle between
    /// requests, before it is closed.
    pub header_timeout: Duration,
    /// The most report streams open at once.
    pub streams: usize,
    /// The most report streams one account holds open at once (0: no cap).
    pub streams_per_account: usize,
    /// How often an open report stream asks whether the token or session it was opened with
    /// still stands: a stream ends at most this long after its token is revoked.
    pub stream_recheck: Duration,
    /// Check-ins from one client address (a carrier's NAT may put many phones behind one; 0
    /// a second: no limit, for a service behind a reverse proxy, which then limits them).
    pub check_ins_per_address: Rate,
    /// Check-ins from one device id (a phone checks in its holder and a few companions).
    pub check_ins_per_device: Rate,
    /// Page logins from one client address.
    pub logins_per_address: Rate,
    /// How often a node asks the directory whether a list was published (on any node): a
    /// list published on one node is in force on every other within this.
    pub lists_refresh: Duration,
}

/// A token bucket's rate: so many a second on average, so many at once before the average
/// applies. A rate of 0 a second is no limit.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct Rate {
    /// On average, a second.
    pub per_sec: f64,
    /// At once.
    pub burst: f64,
}

impl Rate {
    /// `per_sec` on average, `burst` at once.
    pub const fn new(per_sec: f64, burst: f64) -> Self {
        Rate { per_sec, burst }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            per_token_per_sec: 50.0,
            burst: 200.0,
            timeout: Duration::from_secs(10),
            trace_timeout: Duration::from_secs(120),
            concurrency: 1024,
            connections: 4096,
            connections_per_address: 128,
            header_timeout: Duration::from_secs(10),
            streams: 1024,
            streams_per_account: 8,
            stream_recheck: Duration::from_secs(15),
            check_ins_per_address: Rate::new(20.0, 200.0),
            check_ins_per_device: Rate::new(1.0 / 6.0, 10.0),
            logins_per_address: Rate::new(1.0 / 6.0, 10.0),
            lists_refresh: Duration::from_secs(1),
        }
    }
}

/// What the service is started with: [`Config::new`], then the fields to change (more may
/// come, so it is not built by a struct literal outside this crate).
#[non_exhaustive]
pub struct Config {
    /// Its folder: `ledger.sqlite`, `service.sqlite` (with the lists in force), `gate.state`.
    pub data: PathBuf,
    /// A PostgreSQL database (libpq connection string or URL) for the records and the
    /// directory (accounts, venues, registry, webhooks), instead of `DIR/ledger.sqlite` and
    /// `DIR/service.sqlite`: what several nodes share.
    pub database: Option<String>,
    /// The lists given at start (the signed trust list is required the first time the
    /// directory holds none): each is published in the directory, for every node, when it
    /// differs from the one published there (and is newer: else `rolled_back`).
    pub lists: ListSet,
    /// The authority's public tracing key: every record carries the holder sealed to it.
    pub tracing: TracePublicKey,
    /// The authority's root of venue pseudonym keys (`venuecode venue-key` derives the same
    /// key for a venue's gates), so that their records and the service's count one visitor
    /// once; without it the ledger's own root is used.
    pub venue_root: Option<Zeroizing<[u8; 32]>>,
    /// The clock.
    pub clock: Clock,
    /// Limits.
    pub limits: Limits,
    /// The wait before a webhook's second attempt (doubled each time after):
    /// [`webhooks::FIRST_BACKOFF`].
    pub webhook_backoff: Duration,
    /// Whether webhooks may be delivered to loopback, private and link-local addresses (a
    /// duty desk on the service's own network); off, a webhook URL cannot point the service
    /// at its own network or the cloud's metadata service.
    pub private_webhooks: bool,
    /// CA certificates (a PEM file) that webhook receivers' certificates may chain to besides
    /// Mozilla's roots: a duty desk on a private CA.
    pub webhook_ca: Option<PathBuf>,
    /// Whether the service is reached over plain HTTP (a machine of one's own, `demo
    /// --serve`): its session cookie is then `vc_session` without `Secure`. Off (the default,
    /// a service behind a TLS proxy), it is `__Host-vc_session` with `Secure`, which browsers
    /// send over HTTPS only.
    pub plain_http: bool,
    /// The access log.
    pub log: LogSink,
    /// The tracing keys, on the authority's nodes only: with them the authority's accounts
    /// may trace over HTTP (SPEC.md §16.7), every query in the store's one audit log.
    pub trace: Option<Trace>,
    /// The personal-code key, on a node that plays the health-code system's part: with it a
    /// holder account gets its own current dynamic code (`GET /v1/holder/code`, SPEC.md §16.8).
    pub issuer: Option<Issuer>,
    /// How many CST days of records are kept: [`DEFAULT_RETAIN_DAYS`]. Every minute (and at
    /// start) the records of the days before are deleted; a node with the trace desk writes
    /// each purge to the audit log.
    pub retain_days: u32,
}

/// Days of records kept by default: 28, twice the 14-day incubation period that contact
/// tracing looks back over, so that a case found late in one incubation period can still be
/// traced back through the one before (docs/adr/0014-many-nodes-one-postgresql.md).
pub const DEFAULT_RETAIN_DAYS: u32 = 28;

/// The longest retention period a service takes: a year (personal data serves epidemic control
/// only, SPEC.md §16.4).
pub const MAX_RETAIN_DAYS: u32 = 366;

impl Config {
    /// A service on the folder `data` with the lists given at start and the authority's public
    /// tracing key; the rest as a production node has it: the records in `data/ledger.sqlite`,
    /// the ledger's own pseudonym root, the system clock, [`Limits::default`], webhooks retried
    /// from [`webhooks::FIRST_BACKOFF`], the access log on standard error, no trace queries.
    pub fn new(data: impl Into<PathBuf>, lists: ListSet, tracing: TracePublicKey) -> Config {
        Config {
            data: data.into(),
            database: None,
            lists,
            tracing,
            venue_root: None,
            clock: system_clock(),
            limits: Limits::default(),
            webhook_backoff: webhooks::FIRST_BACKOFF,
            private_webhooks: false,
            webhook_ca: None,
            plain_http: false,
            log: Arc::new(|line| eprintln!("{line}")),
            trace: None,
            issuer: None,
            retain_days: DEFAULT_RETAIN_DAYS,
        }
    }
}

/// A rate limiter: a token bucket for each caller (an account, a client address, a device).
#[derive(Default)]
pub(crate) struct Limiter {
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl Limiter {
    /// Whether `who` may go on at `rate` (taking one token if so).
    pub(crate) fn allow(&self, who: &str, rate: Rate) -> bool {
        if rate.per_sec <= 0.0 {
            return true;
        }
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = Instant::now();
        if buckets.len() > 100_000 {
            // Bounded: a bucket idle long enough to fill up again is as good as none.
            let full = Duration::from_secs_f64(rate.burst / rate.per_sec);
            buckets.retain(|_, (_, at)| now.duration_since(*at) < full);
        }
        let (tokens, at) = buckets.entry(who.to_owned()).or_insert((rate.burst, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * rate.per_sec).min(rate.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// What a running service was started with and never changes: its folder, the authority's
/// public tracing key, the venue keys' root, its clock, limits and log.
pub(crate) struct Settings {
    pub(crate) data: PathBuf,
    pub(crate) tracing: TracePublicKey,
    pub(crate) venue_root: Option<Zeroizing<[u8; 32]>>,
    pub(crate) clock: Clock,
    pub(crate) limits: Limits,
    pub(crate) plain_http: bool,
    pub(crate) log: LogSink,
    pub(crate) retain_days: u32,
}

/// A handler's view of what the service shares.
pub(crate) type Shared_ = axum::extract::State<Arc<Shared>>;

/// What every request handler shares: the settings, and the service's state (its stores, the
/// gate, the lists in force, the caches, the report streams and webhooks, the trace desk).
pub(crate) struct Shared {
    pub(crate) settings: Settings,
    pub(crate) directory: Directory,
    pub(crate) store: venuecode_ledger::store::Store,
    pub(crate) gate: SharedGate,
    /// Bumped whenever the gate's state changes; the saver writes it when it moved.
    pub(crate) gate_changes: AtomicU64,
    /// The lists in force, and as served (read from the directory at most every
    /// [`Limits::lists_refresh`]; `lists_seen` is the last publication read, verified or not).
    pub(crate) lists: RwLock<ListSet>,
    pub(crate) served: RwLock<Arc<lists::Served>>,
    pub(crate) lists_checked: Mutex<Instant>,
    pub(crate) lists_seen: std::sync::atomic::AtomicI64,
    pub(crate) keys: Mutex<HashMap<String, Arc<RecordKeys>>>,
    /// The venues placed lately, with their division and when (Unix seconds): a check-in asks
    /// the directory about its venue once in [`PLACED_SECS`].
    pub(crate) placed: Mutex<HashMap<String, (u32, i64)>>,
    pub(crate) counters: Arc<counters::Counters>,
    /// The last health check's answer.
    pub(crate) health: health::Health,
    /// The doors whose codes verified here since the start (noted once each).
    pub(crate) doors: Mutex<std::collections::HashSet<(String, String)>>,
    /// Requests by account.
    pub(crate) limiter: Limiter,
    /// Check-ins by client address, and by device id.
    pub(crate) addresses: Limiter,
    pub(crate) devices: Limiter,
    /// Page logins by client address.
    pub(crate) logins: Limiter,
    /// Companions added, by holder account.
    pub(crate) companions: Limiter,
    pub(crate) reports: reports::Reports,
    pub(crate) replays: reports::Replays,
    pub(crate) webhooks: webhooks::Sender,
    pub(crate) trace_desk: Option<Arc<TraceDesk>>,
    /// The store's audit log, on a node with the trace desk.
    pub(crate) journal: Option<Arc<venuecode_ledger::journal::StoreJournal>>,
    /// What issues holders' codes, on a node that does.
    pub(crate) issuer: Option<Issuer>,
}

impl Shared {
    pub(crate) fn now(&self) -> Timestamp {
        (self.settings.clock)()
    }

    /// The lists as served now.
    pub(crate) fn served(&self) -> Arc<lists::Served> {
        self.served
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Reads the lists again if [`Limits::lists_refresh`] has passed since this node last asked
    /// the directory; a failure is logged and the lists in force stay.
    pub(crate) async fn fresh_lists(self: &Arc<Self>) {
        let due = {
            let mut at = self
                .lists_checked
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let due = at.elapsed() >= self.settings.limits.lists_refresh;
            if due {
                *at = Instant::now();
            }
            due
        };
        if due && let Err(e) = self.blocking(Shared::reload_lists).await {
            (self.settings.log)(&format!("lists not read again: {e}"));
        }
    }

    /// Reads the lists from the directory if a publication this node has not read exists, and
    /// puts them in force once they verify against this node's gate state (on the blocking
    /// pool). A publication that does not verify here is read once, refused, and logged.
    pub(crate) fn reload_lists(&self) -> Result<(), ApiError> {
        let version = self.directory.lists_version()?;
        if self.lists_seen.swap(version, Ordering::AcqRel) == version {
            return Ok(());
        }
        let published = self.directory.lists()?;
        let next = self
            .lists
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .with_published(&published);
        self.gate
            .replace(&next.config(), self.now(), || Ok::<(), ApiError>(()))?;
        *self
            .lists
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = next;
        *self
            .served
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            Arc::new(lists::Served::of(&published));
        self.gate_changes.fetch_add(1, Ordering::AcqRel);
        Ok(())
    }

    /// Places the venue a verified code names (the directory decides: a venue's division is
    /// the registry's, and a code that moves it is refused and counted). A venue placed less
    /// than [`PLACED_SECS`] ago in the same division is not asked about again.
    pub(crate) async fn place_venue(self: &Arc<Self>, venue: KnownVenue) -> Result<(), ApiError> {
        let now = self.now().unix();
        let fresh = self
            .placed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&venue.venue_id)
            .is_some_and(|&(division, at)| division == venue.division && now - at < PLACED_SECS);
        if fresh {
            return Ok(());
        }
        let (id, division) = (venue.venue_id.clone(), venue.division);
        self.blocking(move |s| match s.directory.place_venue(&venue) {
            Err(e @ LedgerError::DivisionMismatch(_)) => {
                s.counters.refused(counters::Refusal::DivisionMismatch);
                Err(e.into())
            }
            placed => Ok(placed?),
        })
        .await?;
        self.placed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(id, (division, now));
        Ok(())
    }

    /// Runs directory work (SQLite reads and writes) on the blocking pool: never on one of the
    /// runtime's workers, where a slow disk would stall every request behind it.
    pub(crate) async fn blocking<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&Shared) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let s = self.clone();
        tokio::task::spawn_blocking(move || f(&s))
            .await
            .map_err(|_| ApiError::internal("a directory look-up stopped"))?
    }

    /// Writes the gate's state if it changed since `seen`; gives the change count written.
    pub(crate) fn save_state(&self, seen: u64) -> Result<u64, ApiError> {
        let changes = self.gate_changes.load(Ordering::Acquire);
        if changes == seen {
            return Ok(seen);
        }
        let bytes = self.gate.state_bytes();
        lists::write_atomically(
            &self.settings.data,
            "gate.state",
            venuecode_ledger::files::Access::Private,
            &bytes,
        )?;
        Ok(changes)
    }

    /// The keys a venue's records are written with (cached).
    pub(crate) async fn record_keys(&self, venue_id: &str) -> Result<Arc<RecordKeys>, ApiError> {
        if let Some(k) = self
            .keys
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(venue_id)
        {
            return Ok(k.clone());
        }
        let provisioned = self
            .settings
            .venue_root
            .as_ref()
            .map(|root| PseudonymKey::for_venue(root, venue_id));
        let pseudonyms = self.store.pseudonym_key(venue_id, provisioned).await?;
        let keys = Arc::new(RecordKeys::new(pseudonyms, self.settings.tracing.clone())?);
        self.keys
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(venue_id.to_owned(), keys.clone());
        Ok(keys)
    }
}

/// The lists a node starts with: the directory's (verified against this node's gate state),
/// with those given at start over them, and, for a kind the directory lacks, one a node kept in
/// `DIR/lists/` before the directory held lists. Each that differs from the directory's is
/// published there (it must be newer: the gate refuses an older one, `rolled_back`). Gives the
/// lists, the gate, and the directory's lists after.
fn start_lists(
    directory: &Directory,
    given: ListSet,
    data: &std::path::Path,
    now: Timestamp,
    mut state: GateState,
) -> Result<
    (
        ListSet,
        venuecode::door::Gate,
        Vec<venuecode_ledger::directory::PublishedList>,
    ),
    ApiError,
> {
    let published = directory.lists()?;
    let stored = given.with_published(&published);
    if !stored.trust.is_empty() {
        state = stored.config().load(now, state)?.state().clone();
    }
    let kept = ListSet::default().with_kept(data)?;
    let mut lists = stored.clone();
    for kind in Kind::ALL {
        if let Some(bytes) = given.get(kind) {
            lists = lists.with(kind, bytes.to_vec());
        } else if stored.get(kind).is_none()
            && let Some(bytes) = kept.get(kind)
        {
            lists = lists.with(kind, bytes.to_vec());
        }
    }
    if lists.trust.is_empty() {
        return Err(ApiError::invalid(
            "trust",
            "a signed trust list is needed the first time",
        ));
    }
    let gate = lists.config().load(now, state)?;
    let served = lists::Served::of(&published);
    for kind in Kind::ALL {
        if let Some(bytes) = lists.get(kind)
            && stored.get(kind) != Some(bytes)
        {
            let list = lists::to_publish(kind, bytes.to_vec(), Some(&served));
            let replaces = served.lists.get(&kind).map(|(_, tag)| tag.as_str());
            directory.publish_list(&list, replaces)?;
        }
    }
    Ok((lists, gate, directory.lists()?))
}

/// A service, opened and ready to serve.
pub struct Service {
    shared: Arc<Shared>,
}

impl Service {
    /// Opens the data folder (created if new), loads the lists (those given, else those kept)
    /// and the gate's state, and verifies them all: a list older than one used before is
    /// refused (`rolled_back`).
    pub async fn open(config: Config) -> Result<Service, ApiError> {
        if !(1..=MAX_RETAIN_DAYS).contains(&config.retain_days) {
            return Err(ApiError::invalid("retain_days", "1 to 366 days"));
        }
        std::fs::create_dir_all(&config.data)?;
        let directory = match config.database.clone() {
            None => Directory::open(&config.data.join("service.sqlite"))?,
            Some(url) => {
                // Its calls wait on this runtime: they run on the blocking pool, as SQLite's do.
                let runtime = tokio::runtime::Handle::current();
                tokio::task::spawn_blocking(move || Directory::open_postgres(&url, runtime))
                    .await
                    .map_err(|_| ApiError::internal("opening the directory stopped"))??
            }
        };
        let store = venuecode_ledger::store::Store::open(
            &config.data.join("ledger.sqlite"),
            config.database.as_deref(),
        )
        .await?;
        let state = match std::fs::read(config.data.join("gate.state")) {
            Ok(bytes) => GateState::from_bytes(&bytes)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => GateState::new(),
            Err(e) => return Err(e.into()),
        };
        let now = (config.clock)();
        let (lists, gate, published) = {
            let (directory, given, data) =
                (directory.clone(), config.lists.clone(), config.data.clone());
            tokio::task::spawn_blocking(move || start_lists(&directory, given, &data, now, state))
                .await
                .map_err(|_| ApiError::internal("reading the lists stopped"))??
        };
        lists::write_atomically(
            &config.data,
            "gate.state",
            venuecode_ledger::files::Access::Private,
            &gate.state().to_bytes(),
        )?;
        let mut roots = venuecode_ledger::tls::mozilla_roots();
        if let Some(ca) = &config.webhook_ca {
            venuecode_ledger::tls::add_roots(&mut roots, ca)?;
        }
        let webhooks = webhooks::Sender::new(
            config.clock.clone(),
            config.log.clone(),
            config.webhook_backoff,
            config.private_webhooks,
            venuecode_ledger::tls::client_config(roots)?,
        );
        let reports_seen = store.last_report().await?;
        let (trace_desk, journal) = match config.trace {
            Some(t) => {
                let (desk, journal) = t.desk(&store, &config.data)?;
                (Some(desk), Some(journal))
            }
            None => (None, None),
        };
        let service = Service {
            shared: Arc::new(Shared {
                settings: Settings {
                    data: config.data,
                    tracing: config.tracing,
                    venue_root: config.venue_root,
                    clock: config.clock,
                    limits: config.limits,
                    plain_http: config.plain_http,
                    log: config.log,
                    retain_days: config.retain_days,
                },
                directory,
                store,
                gate: SharedGate::new(gate),
                gate_changes: AtomicU64::new(0),
                lists_seen: std::sync::atomic::AtomicI64::new(
                    published.iter().map(|p| p.version).max().unwrap_or(0),
                ),
                served: RwLock::new(Arc::new(lists::Served::of(&published))),
                lists: RwLock::new(lists),
                lists_checked: Mutex::new(Instant::now()),
                keys: Mutex::new(HashMap::new()),
                placed: Mutex::new(HashMap::new()),
                counters: Arc::new(counters::Counters::default()),
                health: health::Health::default(),
                doors: Mutex::new(std::collections::HashSet::new()),
                limiter: Limiter::default(),
                addresses: Limiter::default(),
                devices: Limiter::default(),
                logins: Limiter::default(),
                companions: Limiter::default(),
                replays: reports::Replays::default(),
                reports: reports::Reports::new(
                    config.limits.streams,
                    config.limits.streams_per_account,
                    config.limits.stream_recheck,
                ),
                webhooks,
                trace_desk,
                journal,
                issuer: config.issuer,
            }),
        };
        // Reports, and the webhook deliveries made of them, from the outbox every node writes.
        tokio::spawn(reports::tail(service.shared.clone(), reports_seen));
        tokio::spawn(webhooks::run(service.shared.clone()));
        Ok(service)
    }

    /// The accounts.
    pub fn directory(&self) -> &Directory {
        &self.shared.directory
    }

    /// The HTTP routes, for serving or for tests that call them in process.
    pub fn router(&self) -> axum::Router {
        api::router(self.shared.clone())
    }

    /// Enforces the retention period once: deletes the records of the CST days before the
    /// last [`Config::retain_days`] and, on a node with the trace desk, writes every purge and
    /// every read of a venue's records the audit log does not yet tell (this node's or
    /// another's) to it. Gives what this pass deleted. [`Service::serve`] runs it at start and
    /// every minute.
    pub async fn maintain(&self) -> Result<Vec<venuecode_ledger::Purged>, ApiError> {
        let s = &self.shared;
        let now = s.now();
        let today = venuecode::record::Day::of(now);
        let before = venuecode::record::Day(today.0 - i64::from(s.settings.retain_days) + 1);
        let purged = s.store.purge(before, now).await?;
        if let Some(journal) = &s.journal {
            journal.tell_untold(s.settings.retain_days, now).await?;
        }
        Ok(purged)
    }

    /// Serves on `listener` until `shutdown` completes, saving the gate's state every second
    /// and at the end.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<(), ApiError> {
        let shared = self.shared.clone();
        let saver = tokio::spawn(async move {
            let mut seen = 0;
            loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
                let s = shared.clone();
                match tokio::task::spawn_blocking(move || s.save_state(seen)).await {
                    Ok(Ok(written)) => seen = written,
                    Ok(Err(e)) => (shared.settings.log)(&format!("gate state not saved: {e}")),
                    Err(_) => {}
                }
            }
        });
        let retention = {
            let service = Service {
                shared: self.shared.clone(),
            };
            tokio::spawn(async move {
                loop {
                    match service.maintain().await {
                        Ok(purged) => {
                            for p in purged {
                                (service.shared.settings.log)(&format!(
                                    "retention: purged {} records of {}",
                                    p.records, p.day
                                ));
                            }
                        }
                        Err(e) => (service.shared.settings.log)(&format!("retention: {e}")),
                    }
                    tokio::time::sleep(RETENTION_EVERY).await;
                }
            })
        };
        let app = self.router();
        let limits = self.shared.settings.limits;
        let counters = self.shared.counters.clone();
        connections::serve(listener, app, limits, counters, shutdown).await;
        saver.abort();
        retention.abort();
        self.shared.save_state(u64::MAX)?;
        Ok(())
    }
}

/// The crate README's example, run as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
