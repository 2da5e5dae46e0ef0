//! The scan ledger: the desensitised records of a venue's doors in one SQLite file.
//!
//! - **Crash-safe**: WAL journal with `synchronous = FULL`, and one transaction a record, so a
//!   record is either fully stored or not at all, and an acknowledged one survives the process
//!   being killed (tests/crash.rs).
//! - **Once**: every record has a unique id that names its event ([`RecordId`]); storing it
//!   again adds nothing, so a retried upload and a merge made twice store each record once.
//! - **Desensitised**: it stores [`ScanRecord`]s, which hold pseudonyms and masks, never raw
//!   personal data. Files are the owner's only (0600).
//! - **One visitor across doors**: pseudonyms are made with one key per venue. The key is
//!   provisioned ([`Ledger::provision_venue_key`]: every device of a venue gets the same one,
//!   given by the authority or the venue), or derived from the ledger's own random root, so that
//!   the ledgers of a venue's gates, desks and check-in service merge into one in which a
//!   visitor is one visitor ([`Ledger::merge_from`]).
//! - **Retention**: [`Ledger::purge_before`] deletes and erases what retention no longer allows.
//!
//! Schema (version 3): table `scans` (one row a record, `record_id` unique; `at` in UTC seconds,
//! `day` the China Standard Time day; `trace_ref` the sealed holder reference), table
//! `venue_keys` (provisioned keys) and table `meta` (`schema`, `pseudonym_root`). Older ledgers
//! are migrated when opened: a version-1 ledger's records get ids and origin `gate`, and its
//! single key becomes the key of each venue it holds; version 2 gains `trace_ref`, empty on the
//! records it had (nobody can trace those).

pub mod audit;
pub mod desk;
pub mod directory;
pub mod export;
pub mod files;
#[cfg(feature = "service")]
pub mod journal;
pub mod outbox;
pub mod parquet;
#[cfg(feature = "postgres")]
mod pg;
pub mod presence;
pub mod sightings;
#[cfg(feature = "service")]
pub mod store;
#[cfg(feature = "postgres")]
pub mod tls;

use rusqlite::{Connection, OptionalExtension, ToSql};
pub use sightings::{Entry, Stored};
use std::path::Path;
use venuecode::door::Sighting;
use venuecode::health::Colour;
use venuecode::person::Profile;
use venuecode::policy::Outcome;
use venuecode::pseudonym::{Pseudonym, PseudonymKey};
use venuecode::record::{
    DEFAULT_RESCAN_WINDOW_SECS, DailyStats, Day, Origin, RecordId, ScanRecord,
};
use venuecode::record_keys::RecordKeys;
use venuecode::trace::{TracePublicKey, TraceRef};
use venuecode::{CodeState, Timestamp};

/// The schema version this crate writes and reads.
pub const SCHEMA_VERSION: i64 = 3;

/// Why a ledger operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LedgerError {
    /// SQLite refused (full disk, read-only file, corruption…).
    #[error("ledger: {0}")]
    Sqlite(SqliteError),
    /// The file is a ledger of another schema version, or not a ledger.
    #[error("ledger: {0}")]
    Schema(String),
    /// A stored value could not be read back.
    #[error("ledger: a stored record is not valid: {0}")]
    Corrupt(String),
    /// Two ledgers (or a ledger and a provisioned key) make a venue's pseudonyms with different
    /// keys: their records of that venue cannot be counted together.
    #[error(
        "ledger: venue {0} has another pseudonym key here; provision the same venue key on every device"
    )]
    KeyMismatch(String),
    /// A library error.
    #[error(transparent)]
    Core(#[from] venuecode::Error),
    /// The file could not be created or written.
    #[error("ledger: {0}")]
    Io(#[from] std::io::Error),
    /// A file beside the ledger (the trace audit log) could not be opened, locked, read or
    /// written: its path and why.
    #[error("{0}: {1}")]
    File(String, std::io::Error),
    /// The store's writer has more requests waiting than it takes: nothing was stored; retry.
    #[error("the store is busy; retry")]
    Busy,
    /// The store's writer or reader stopped: nothing more is stored.
    #[error("the store stopped")]
    Stopped,
    /// The group commit this request was part of failed (the cause, in words): nothing of the
    /// group was stored.
    #[error("the store failed: {0}")]
    Group(String),
    /// The PostgreSQL server refused or could not be reached (its message).
    #[error("postgres: {0}")]
    Postgres(String),
    /// What was to be created exists already (an account of that name).
    #[error("{0} exists already")]
    Exists(&'static str),
    /// What was named is not there (an account, a token, a webhook).
    #[error("{0}")]
    NotFound(&'static str),
    /// A verified code places the venue (its id) in a division other than the one the registry
    /// (or the venue's first code) gave it: a key scoped to one district does not move another
    /// district's venue.
    #[error(
        "venue {0} belongs to another division than its code says; the registry decides a venue's division"
    )]
    DivisionMismatch(String),
    /// Staff's decision on a manual scan (its id) that already has another: a scan sent to
    /// staff has one final decision.
    #[error(
        "ledger: the scan {0} was resolved already; a scan sent to staff has one final decision"
    )]
    AlreadyResolved(String),
}

/// An error of the embedded SQLite: its message, and where it came from as the error's
/// `source`. Opaque, so that the SQLite binding's version is not part of this crate's API.
#[derive(Debug)]
pub struct SqliteError(rusqlite::Error);

impl std::fmt::Display for SqliteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for SqliteError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

// For `?` inside the crate; hidden, since rusqlite is not part of the API.
#[doc(hidden)]
impl From<rusqlite::Error> for LedgerError {
    fn from(e: rusqlite::Error) -> Self {
        LedgerError::Sqlite(SqliteError(e))
    }
}

impl LedgerError {
    /// A stable code: `ledger`, `key_mismatch`, `division_mismatch`, `already_resolved`, or
    /// the library's code.
    pub fn code(&self) -> &'static str {
        match self {
            LedgerError::Core(e) => e.code(),
            LedgerError::KeyMismatch(_) => "key_mismatch",
            LedgerError::DivisionMismatch(_) => "division_mismatch",
            LedgerError::AlreadyResolved(_) => "already_resolved",
            _ => "ledger",
        }
    }
}

/// Which records to read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only this CST day.
    pub day: Option<Day>,
    /// Only this venue.
    pub venue_id: Option<String>,
    /// Only this door.
    pub door: Option<String>,
}

impl Filter {
    /// Its SQL condition, naming only the columns it constrains, and their values: a condition
    /// `(? IS NULL OR day = ?)` would keep SQLite from the index on (day, venue, door), and
    /// every statistic would read the whole ledger (red team, 2026-12: 570 ms at 3 M rows).
    fn condition(&self) -> (String, Vec<&dyn ToSql>) {
        let mut sql = "WHERE 1 = 1".to_owned();
        let mut args: Vec<&dyn ToSql> = Vec::new();
        if let Some(day) = &self.day {
            sql.push_str(" AND day = ?");
            args.push(&day.0);
        }
        if let Some(venue) = &self.venue_id {
            sql.push_str(" AND venue_id = ?");
            args.push(venue);
        }
        if let Some(door) = &self.door {
            sql.push_str(" AND door = ?");
            args.push(door);
        }
        (sql, args)
    }
}

/// What a merge did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Merged {
    /// Records new to the target.
    pub added: u64,
    /// Records the target already held.
    pub already: u64,
}

/// A day's records deleted because the retention period passed: which day, how many.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Purged {
    /// The CST day.
    pub day: Day,
    /// How many records it held.
    pub records: u64,
}

/// Reads of a venue's records by one account, as the audit log tells them: who, which venue,
/// how (`records`: the data interface's pages; `export`: a day's file), how many records, and
/// the last read's time.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Read {
    /// The account that read.
    pub account: String,
    /// The venue read.
    pub venue_id: String,
    /// `records` or `export`.
    pub what: String,
    /// Records given.
    pub records: u64,
    /// The last read's time (Unix seconds).
    pub at: i64,
}

/// What the audit log does not yet tell: the days purged and the reads of venues' records
/// (summed by account, venue and kind), noted by any node.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Untold {
    /// Days purged, in order.
    pub purges: Vec<Purged>,
    /// Reads, in the order of each sum's last read.
    pub reads: Vec<Read>,
    /// The number of the last read summed.
    pub last_read: i64,
}

fn audit_lines(conn: &Connection, from: u64) -> Result<Vec<String>, LedgerError> {
    let mut stmt =
        conn.prepare_cached("SELECT line FROM audit WHERE entry >= ?1 ORDER BY entry")?;
    let rows = stmt.query_map([i64::try_from(from).unwrap_or(i64::MAX)], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn untold(conn: &Connection) -> Result<Untold, LedgerError> {
    let last_read: i64 =
        conn.query_row("SELECT COALESCE(MAX(seq), 0) FROM reads", [], |r| r.get(0))?;
    let mut stmt = conn.prepare_cached(
        "SELECT account, venue_id, what, SUM(records), MAX(at) FROM reads WHERE seq <= ?1
         GROUP BY account, venue_id, what ORDER BY MAX(seq)",
    )?;
    let reads = stmt
        .query_map([last_read], |r| {
            Ok(Read {
                account: r.get(0)?,
                venue_id: r.get(1)?,
                what: r.get(2)?,
                records: r.get::<_, i64>(3)?.unsigned_abs(),
                at: r.get(4)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let mut stmt =
        conn.prepare_cached("SELECT day, records FROM purges WHERE logged = 0 ORDER BY day")?;
    let purges = stmt
        .query_map([], |r| {
            Ok(Purged {
                day: Day(r.get(0)?),
                records: r.get::<_, i64>(1)?.unsigned_abs(),
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(Untold {
        purges,
        reads,
        last_read,
    })
}

/// What the end of use destroyed in a store: its counts of rows.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Destroyed {
    /// Scan records.
    pub records: u64,
    /// Reports queued for streams and webhooks (copies of records).
    pub reports: u64,
    /// Webhook deliveries waiting.
    pub deliveries: u64,
    /// Dynamic codes remembered.
    pub sightings: u64,
    /// Reads noted and not yet logged.
    pub reads: u64,
    /// Venues' pseudonym keys (and the store's own root, replaced by a new random one): no
    /// pseudonym kept anywhere can be made again.
    pub venue_keys: u64,
}

/// Rows one statement of a purge deletes.
const PURGE_BATCH: i64 = 10_000;

/// The outbox's reports after `?1`, at most `?2`, in commit order.
const OUTBOX_AFTER: &str = "SELECT seq, venue_id, division, record_id, body FROM outbox
    WHERE seq > ?1 ORDER BY seq LIMIT ?2";

/// A row of `outbox` (seq, venue_id, division, record_id, body).
fn queued(r: &rusqlite::Row<'_>) -> rusqlite::Result<outbox::Queued> {
    Ok(outbox::Queued {
        seq: r.get(0)?,
        report: outbox::Report {
            venue_id: r.get(1)?,
            division: r.get(2)?,
            record_id: r.get(3)?,
            body: r.get(4)?,
        },
    })
}

/// An open ledger file.
pub struct Ledger {
    conn: Connection,
    root: PseudonymKey,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS scans (
    id INTEGER PRIMARY KEY,
    record_id TEXT NOT NULL UNIQUE,
    origin TEXT NOT NULL,
    device TEXT NOT NULL,
    venue_id TEXT NOT NULL,
    door TEXT NOT NULL,
    at INTEGER NOT NULL,
    day INTEGER NOT NULL,
    pseudonym BLOB,
    name TEXT,
    id_number TEXT,
    phone TEXT,
    profile TEXT,
    code_state TEXT,
    colour TEXT,
    test_age_hours INTEGER,
    decision TEXT NOT NULL,
    report INTEGER NOT NULL,
    rule TEXT NOT NULL,
    staff TEXT,
    resolves TEXT,
    trace_ref BLOB,
    companion_of TEXT
);
CREATE INDEX IF NOT EXISTS scans_by_day ON scans (day, venue_id, door);
CREATE TABLE IF NOT EXISTS venue_keys (venue_id TEXT PRIMARY KEY, key TEXT NOT NULL);
";

/// The dynamic codes seen ([`sightings`]), the reports and deliveries ([`outbox`]), the
/// days purged ([`Purged`]) and the audit log: tables added to
/// version 3 without a new version (a ledger without them gains them when opened; older
/// programs never read them).
const SIGHTINGS: &str = "
CREATE TABLE IF NOT EXISTS sightings (
    code BLOB PRIMARY KEY,
    place BLOB NOT NULL,
    first_at INTEGER NOT NULL,
    until INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS sightings_by_until ON sightings (until);
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY,
    day INTEGER NOT NULL,
    venue_id TEXT NOT NULL,
    division INTEGER,
    record_id TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
    seq INTEGER NOT NULL,
    webhook INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at INTEGER NOT NULL DEFAULT 0,
    lease_until INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (seq, webhook)
);
CREATE TABLE IF NOT EXISTS reads (
    seq INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    account TEXT NOT NULL,
    venue_id TEXT NOT NULL,
    what TEXT NOT NULL,
    records INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS purges (
    day INTEGER PRIMARY KEY,
    records INTEGER NOT NULL,
    purged_at INTEGER NOT NULL,
    logged INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS audit (entry INTEGER PRIMARY KEY, line TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS scans_by_resolves ON scans (resolves) WHERE resolves IS NOT NULL;
";

const COLUMNS: &str = "record_id, origin, device, venue_id, door, at, day, pseudonym, name,
    id_number, phone, profile, code_state, colour, test_age_hours, decision, report, rule, staff,
    resolves, trace_ref, companion_of";

/// Inserts a record unless one with its id is there (the same event stored again).
fn insert_sql() -> String {
    format!(
        "INSERT OR IGNORE INTO scans ({COLUMNS}) VALUES
         (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)"
    )
}

/// A record's column values, in INSERT's order.
fn row(r: &ScanRecord) -> impl rusqlite::Params + '_ {
    rusqlite::params_from_iter([
        rusqlite::types::Value::from(r.id.to_string()),
        r.origin.name().to_owned().into(),
        r.device.clone().into(),
        r.venue_id.clone().into(),
        r.door.clone().into(),
        r.at.unix().into(),
        Day::of(r.at).0.into(),
        r.pseudonym.map(|p| p.0.to_vec()).into(),
        r.name.clone().into(),
        r.id_number.clone().into(),
        r.phone.clone().into(),
        r.profile.map(|p| text(&p)).into(),
        r.code_state.map(|c| c.name().to_owned()).into(),
        r.colour.map(|c| c.name().to_owned()).into(),
        r.test_age_hours.map(i64::from).into(),
        text(&r.decision).into(),
        i64::from(r.report).into(),
        r.rule.clone().into(),
        r.staff.clone().into(),
        r.resolves.map(|id| id.to_string()).into(),
        r.trace.map(|t| t.0.to_vec()).into(),
        r.companion_of.map(|id| id.to_string()).into(),
    ])
}

/// Creates the file with mode 0600 if it does not exist (an existing file keeps its mode).
pub fn create_private(path: &Path) -> Result<(), LedgerError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(LedgerError::Io(e)),
    }
}

pub(crate) fn text<T: serde::Serialize>(value: &T) -> String {
    // Unit enums serialise to a JSON string; the ledger stores it without quotes.
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn parse<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, LedgerError> {
    serde_json::from_value(serde_json::Value::String(s.to_owned()))
        .map_err(|_| LedgerError::Corrupt(s.to_owned()))
}

fn meta(conn: &Connection, name: &str) -> Result<Option<String>, LedgerError> {
    Ok(conn
        .query_row("SELECT value FROM meta WHERE name = ?1", [name], |r| {
            r.get(0)
        })
        .optional()?)
}

/// 32 random bytes as hex: keys, roots, tokens and secrets.
pub(crate) fn random_hex() -> Result<String, LedgerError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| venuecode::Error::Randomness(e.to_string()))?;
    Ok(hex::encode(bytes))
}

/// Version 1 to 2: ids for the records (origin `gate`, device `v1`), and v1's single pseudonym
/// key as the key of every venue it holds, so that pseudonyms stay what they were.
fn migrate_v1(conn: &mut Connection) -> Result<(), LedgerError> {
    let tx = conn.transaction()?;
    tx.execute_batch(
        "ALTER TABLE scans RENAME TO scans_v1;
         DROP INDEX IF EXISTS scans_by_day;",
    )?;
    tx.execute_batch(SCHEMA)?;
    let v1_key =
        meta(&tx, "pseudonym_key")?.ok_or_else(|| LedgerError::Corrupt("pseudonym_key".into()))?;
    tx.execute(
        "INSERT OR IGNORE INTO venue_keys (venue_id, key)
         SELECT DISTINCT venue_id, ?1 FROM scans_v1",
        [&v1_key],
    )?;
    {
        let mut read = tx.prepare(
            "SELECT id, venue_id, door, at, pseudonym, name, id_number, profile, code_state,
                    colour, test_age_hours, decision, report, rule FROM scans_v1 ORDER BY id",
        )?;
        let mut write = tx.prepare(&insert_sql())?;
        let mut rows = read.query([])?;
        while let Some(r) = rows.next()? {
            let rowid: i64 = r.get(0)?;
            let (venue_id, door): (String, String) = (r.get(1)?, r.get(2)?);
            let at = Timestamp::from_unix(r.get(3)?);
            let id = RecordId::derive(
                at,
                &[
                    b"v1",
                    &rowid.to_be_bytes(),
                    venue_id.as_bytes(),
                    door.as_bytes(),
                ],
            );
            write.execute(rusqlite::params![
                id.to_string(),
                "gate",
                "v1",
                venue_id,
                door,
                at.unix(),
                Day::of(at).0,
                r.get::<_, Option<Vec<u8>>>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, Option<String>>(6)?,
                Option::<String>::None,
                r.get::<_, Option<String>>(7)?,
                r.get::<_, String>(8)?,
                r.get::<_, Option<String>>(9)?,
                r.get::<_, Option<i64>>(10)?,
                r.get::<_, String>(11)?,
                r.get::<_, i64>(12)?,
                r.get::<_, String>(13)?,
                Option::<String>::None,
                Option::<String>::None,
                Option::<Vec<u8>>::None,
                Option::<String>::None,
            ])?;
        }
    }
    tx.execute_batch(
        "DROP TABLE scans_v1;
         DELETE FROM meta WHERE name = 'pseudonym_key';
         UPDATE meta SET value = '3' WHERE name = 'schema';",
    )?;
    tx.commit()?;
    Ok(())
}

impl Ledger {
    /// Opens a ledger, creating it (with its random pseudonym root) if the file is new, and
    /// migrating a version-1 ledger. A new file is readable by its owner only (mode 0600;
    /// SQLite gives its journal the same mode).
    pub fn open(path: &Path) -> Result<Self, LedgerError> {
        create_private(path)?;
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        // Deleted rows are overwritten with zeros, so a purge leaves no personal data behind.
        conn.pragma_update(None, "secure_delete", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);",
        )?;
        match meta(&conn, "schema")?.as_deref() {
            None => {
                conn.execute_batch(SCHEMA)?;
                conn.execute(
                    "INSERT INTO meta (name, value) VALUES ('schema', ?1)",
                    [SCHEMA_VERSION.to_string()],
                )?;
            }
            Some("1") => migrate_v1(&mut conn)?,
            // Version 2 to 3: the sealed trace reference (none on older records).
            Some("2") => conn.execute_batch(
                "BEGIN;
                 ALTER TABLE scans ADD COLUMN trace_ref BLOB;
                 UPDATE meta SET value = '3' WHERE name = 'schema';
                 COMMIT;",
            )?,
            Some("3") => {}
            Some(v) => {
                return Err(LedgerError::Schema(format!(
                    "schema version {v}, this program reads {SCHEMA_VERSION}"
                )));
            }
        }
        conn.execute_batch(SIGHTINGS)?;
        // A companion's link (2026-12-08), added to version 3 without a new version: older
        // programs name their columns and never read it.
        let linked: bool = conn.query_row(
            "SELECT count(*) > 0 FROM pragma_table_info('scans') WHERE name = 'companion_of'",
            [],
            |r| r.get(0),
        )?;
        if !linked {
            conn.execute_batch("ALTER TABLE scans ADD COLUMN companion_of TEXT")?;
        }
        let root = match meta(&conn, "pseudonym_root")? {
            Some(hex_key) => hex_key,
            None => {
                let key = random_hex()?;
                conn.execute(
                    "INSERT INTO meta (name, value) VALUES ('pseudonym_root', ?1)",
                    [&key],
                )?;
                key
            }
        };
        Ok(Ledger {
            conn,
            root: PseudonymKey::from_hex(&root)
                .map_err(|_| LedgerError::Corrupt("pseudonym_root".into()))?,
        })
    }

    /// The pseudonym key of a venue: the provisioned one, or else one derived from this
    /// ledger's root.
    pub fn pseudonym_key(&self, venue_id: &str) -> Result<PseudonymKey, LedgerError> {
        let provisioned: Option<String> = self
            .conn
            .query_row(
                "SELECT key FROM venue_keys WHERE venue_id = ?1",
                [venue_id],
                |r| r.get(0),
            )
            .optional()?;
        match provisioned {
            Some(hex_key) => PseudonymKey::from_hex(&hex_key)
                .map_err(|_| LedgerError::Corrupt("venue key".into())),
            None => {
                let mut root = [0u8; 32];
                hex::decode_to_slice(self.root.to_hex().trim(), &mut root)
                    .map_err(|_| LedgerError::Corrupt("pseudonym_root".into()))?;
                Ok(PseudonymKey::for_venue(&root, venue_id))
            }
        }
    }

    /// The keys this ledger's device writes a venue's records with: the venue's pseudonym key and
    /// the authority's public tracing key.
    pub fn record_keys(
        &self,
        venue_id: &str,
        tracing: TracePublicKey,
    ) -> Result<RecordKeys, LedgerError> {
        Ok(RecordKeys::new(self.pseudonym_key(venue_id)?, tracing)?)
    }

    /// Sets a venue's pseudonym key, as the authority or the venue hands it to every device of
    /// the venue. Refused (`key_mismatch`) if the ledger already made that venue's pseudonyms
    /// with another key.
    pub fn provision_venue_key(
        &mut self,
        venue_id: &str,
        key: &PseudonymKey,
    ) -> Result<(), LedgerError> {
        let current = self.pseudonym_key(venue_id)?;
        if current.fingerprint() == key.fingerprint() {
            return self.store_venue_key(venue_id, key);
        }
        let held: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM scans WHERE venue_id = ?1 AND pseudonym IS NOT NULL",
            [venue_id],
            |r| r.get(0),
        )?;
        if held > 0 {
            return Err(LedgerError::KeyMismatch(venue_id.to_owned()));
        }
        self.store_venue_key(venue_id, key)
    }

    fn store_venue_key(&mut self, venue_id: &str, key: &PseudonymKey) -> Result<(), LedgerError> {
        self.conn.execute(
            "INSERT INTO venue_keys (venue_id, key) VALUES (?1, ?2)
             ON CONFLICT (venue_id) DO UPDATE SET key = excluded.key",
            [venue_id, key.to_hex().trim()],
        )?;
        Ok(())
    }

    /// Stores a record in its own transaction; when this returns, the record is on disk. Gives
    /// `false` when a record with its id was already there (nothing was added). Staff's
    /// decision on a manual scan that already has another is refused (`already_resolved`): the
    /// same decision stored again is a retry, a second one a contradiction.
    pub fn append(&mut self, r: &ScanRecord) -> Result<bool, LedgerError> {
        let tx = self.conn.transaction()?;
        if let Some(manual) = r.resolves {
            let earlier: Option<(String, String)> = tx
                .query_row(
                    "SELECT record_id, decision FROM scans WHERE resolves = ?1 LIMIT 1",
                    [manual.to_string()],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()?;
            // The very same decision again is a retry; anything else contradicts the first.
            if earlier.is_some_and(|(id, decision)| {
                id != r.id.to_string() || decision != text(&r.decision)
            }) {
                return Err(LedgerError::AlreadyResolved(manual.to_string()));
            }
        }
        let added = tx.prepare_cached(&insert_sql())?.execute(row(r))? == 1;
        tx.commit()?;
        Ok(added)
    }

    /// Stores many records in one transaction (an import); all or none. Gives how many were new.
    pub fn append_all(&mut self, records: &[ScanRecord]) -> Result<u64, LedgerError> {
        let tx = self.conn.transaction()?;
        let mut added = 0;
        {
            let mut stmt = tx.prepare_cached(&insert_sql())?;
            for r in records {
                added += stmt.execute(row(r))? as u64;
            }
        }
        tx.commit()?;
        Ok(added)
    }

    /// Stores records in one transaction, all or none, and says what became of each: a service
    /// commits the records of many requests at once (group commit) and answers each. A record
    /// whose dynamic code's claim an earlier sighting refutes is not stored
    /// ([`sightings`]); the claims won are written in the same transaction.
    pub fn append_entries(&mut self, entries: &[Entry]) -> Result<Vec<Stored>, LedgerError> {
        // Immediate: it reads (sightings) before it writes, and a deferred transaction whose
        // snapshot another connection wrote past (the outbox's dispatcher) cannot take the
        // write lock: SQLite answers `database is locked` at once, without waiting.
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let claims: Vec<Sighting> = entries.iter().filter_map(|e| e.claim).collect();
        let mut earlier = std::collections::HashMap::new();
        if let Some(now) = claims.iter().map(|c| c.first_at).max() {
            let swept: i64 = tx
                .query_row(
                    "SELECT value FROM meta WHERE name = 'sightings_swept'",
                    [],
                    |r| r.get::<_, String>(0),
                )
                .optional()?
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            if now.unix() - swept >= sightings::SWEEP_SECS {
                tx.execute(
                    "DELETE FROM sightings WHERE until <= ?1",
                    [now.unix() - sightings::SWEEP_MARGIN_SECS],
                )?;
                tx.execute(
                    "INSERT OR REPLACE INTO meta (name, value) VALUES ('sightings_swept', ?1)",
                    [now.unix().to_string()],
                )?;
            }
            let mut find =
                tx.prepare_cached("SELECT place, first_at, until FROM sightings WHERE code = ?1")?;
            for c in &claims {
                let found = find
                    .query_row([c.code.as_slice()], |r| {
                        Ok((
                            r.get::<_, Vec<u8>>(0)?,
                            r.get::<_, i64>(1)?,
                            r.get::<_, i64>(2)?,
                        ))
                    })
                    .optional()?;
                if let Some((place, first_at, until)) = found {
                    let place = place
                        .try_into()
                        .map_err(|_| LedgerError::Corrupt("a stored sighting".into()))?;
                    earlier.insert(
                        c.code,
                        Sighting {
                            code: c.code,
                            place,
                            first_at: Timestamp::from_unix(first_at),
                            until: Timestamp::from_unix(until),
                        },
                    );
                }
            }
        }
        let (fates, writes) = sightings::settle(entries.iter().map(|e| e.claim), earlier);
        {
            let mut write = tx.prepare_cached(
                "INSERT OR REPLACE INTO sightings (code, place, first_at, until)
                 VALUES (?1, ?2, ?3, ?4)",
            )?;
            for w in &writes {
                write.execute(rusqlite::params![
                    w.code.as_slice(),
                    w.place.as_slice(),
                    w.first_at.unix(),
                    w.until.unix()
                ])?;
            }
        }
        let mut out = Vec::with_capacity(entries.len());
        {
            let mut insert = tx.prepare_cached(&insert_sql())?;
            let mut state =
                tx.prepare_cached("SELECT code_state FROM scans WHERE record_id = ?1")?;
            let mut queue = tx.prepare_cached(
                "INSERT INTO outbox (day, venue_id, division, record_id, body)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for (e, fate) in entries.iter().zip(fates) {
                out.push(match fate {
                    Some(replay) => Stored::Replayed(replay),
                    None if insert.execute(row(&e.record))? == 1 => {
                        if let Some(r) = &e.report {
                            queue.execute(rusqlite::params![
                                Day::of(e.record.at).0,
                                r.venue_id,
                                r.division,
                                r.record_id,
                                r.body
                            ])?;
                        }
                        Stored::New
                    }
                    None => {
                        let code: Option<String> =
                            state.query_row([e.record.id.to_string()], |r| r.get(0))?;
                        Stored::Already {
                            replayed: code.as_deref() == Some(CodeState::Replayed.name()),
                        }
                    }
                });
            }
        }
        tx.commit()?;
        Ok(out)
    }

    /// Up to `limit` records that pass `filter`, in the order they were stored, after the record
    /// `after` (from the start without one): a system that syncs by the last id it holds also
    /// gets records that arrived late with older times (a gate's queue after an outage). An
    /// `after` this ledger does not hold is `None`.
    pub fn page(
        &self,
        filter: &Filter,
        after: Option<RecordId>,
        limit: u32,
    ) -> Result<Option<Vec<ScanRecord>>, LedgerError> {
        let start: i64 = match after {
            None => 0,
            // A cursor is a record of the venue read: another venue's id is not here (its
            // place among this venue's records is not told).
            Some(id) => match self
                .conn
                .query_row(
                    "SELECT id FROM scans WHERE record_id = ?1
                     AND (?2 IS NULL OR venue_id = ?2)",
                    rusqlite::params![id.to_string(), filter.venue_id],
                    |r| r.get(0),
                )
                .optional()?
            {
                Some(rowid) => rowid,
                None => return Ok(None),
            },
        };
        let mut out = Vec::new();
        let (condition, mut args) = filter.condition();
        let (start, limit) = (start, i64::from(limit));
        args.push(&start);
        args.push(&limit);
        self.query(
            &format!("{condition} AND id > ? ORDER BY id LIMIT ?"),
            &args,
            |r| out.push(r),
        )?;
        Ok(Some(out))
    }

    /// The record with an id, if stored.
    pub fn get(&self, id: RecordId) -> Result<Option<ScanRecord>, LedgerError> {
        let mut found = None;
        self.query("WHERE record_id = ?1", &[&id.to_string()], |r| {
            found = Some(r);
        })?;
        Ok(found)
    }

    /// Adds every record of `source` that this ledger does not hold, in one transaction: merging
    /// twice adds nothing. A venue whose records here were made with another pseudonym key than
    /// in `source` is refused (`key_mismatch`); a venue new here takes `source`'s key.
    pub fn merge_from(&mut self, source: &Ledger) -> Result<Merged, LedgerError> {
        let mut venues = Vec::new();
        {
            let mut stmt = source.conn.prepare("SELECT DISTINCT venue_id FROM scans")?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                venues.push(r.get::<_, String>(0)?);
            }
        }
        for venue in &venues {
            self.provision_venue_key(venue, &source.pseudonym_key(venue)?)?;
        }
        // Streamed in batches of 10,000, each batch one transaction: memory stays flat.
        let mut merged = Merged::default();
        let mut batch = Vec::with_capacity(10_000);
        let mut failed = None;
        let mut flush = |target: &mut Ledger, batch: &mut Vec<ScanRecord>| {
            if failed.is_some() || batch.is_empty() {
                batch.clear();
                return;
            }
            match target.append_all(batch) {
                Ok(added) => {
                    merged.added += added;
                    merged.already += batch.len() as u64 - added;
                }
                Err(e) => failed = Some(e),
            }
            batch.clear();
        };
        source.for_each(&Filter::default(), |r| {
            batch.push(r);
            if batch.len() == 10_000 {
                flush(self, &mut batch);
            }
        })?;
        flush(self, &mut batch);
        match failed {
            Some(e) => Err(e),
            None => Ok(merged),
        }
    }

    /// Streams the records that pass `filter`, in the order stored, without holding them all.
    pub fn for_each(&self, filter: &Filter, f: impl FnMut(ScanRecord)) -> Result<u64, LedgerError> {
        let (condition, args) = filter.condition();
        self.query(&condition, &args, f)
    }

    fn query(
        &self,
        condition: &str,
        args: &[&dyn ToSql],
        mut f: impl FnMut(ScanRecord),
    ) -> Result<u64, LedgerError> {
        let order = if condition.contains("ORDER BY") {
            ""
        } else {
            " ORDER BY id"
        };
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT {COLUMNS} FROM scans {condition}{order}"))?;
        let mut rows = stmt.query(args)?;
        let corrupt = |what: &str| LedgerError::Corrupt(what.to_owned());
        let mut n = 0;
        while let Some(row) = rows.next()? {
            let id: String = row.get(0)?;
            let origin: String = row.get(1)?;
            let pseudonym: Option<Vec<u8>> = row.get(7)?;
            let pseudonym = pseudonym
                .map(|p| {
                    <[u8; 16]>::try_from(p.as_slice())
                        .map(Pseudonym)
                        .map_err(|_| corrupt("pseudonym"))
                })
                .transpose()?;
            let profile: Option<String> = row.get(11)?;
            let code_state: Option<String> = row.get(12)?;
            let colour: Option<String> = row.get(13)?;
            let decision: String = row.get(15)?;
            let resolves: Option<String> = row.get(19)?;
            let trace: Option<Vec<u8>> = row.get(20)?;
            let companion_of: Option<String> = row.get(21)?;
            f(ScanRecord {
                id: id.parse().map_err(|_| corrupt("record_id"))?,
                origin: origin.parse::<Origin>().map_err(|_| corrupt("origin"))?,
                device: row.get(2)?,
                venue_id: row.get(3)?,
                door: row.get(4)?,
                at: Timestamp::from_unix(row.get(5)?),
                pseudonym,
                name: row.get(8)?,
                id_number: row.get(9)?,
                phone: row.get(10)?,
                profile: profile.as_deref().map(parse::<Profile>).transpose()?,
                code_state: code_state
                    .as_deref()
                    .map(|c| c.parse::<CodeState>().map_err(|_| corrupt("code_state")))
                    .transpose()?,
                colour: colour.as_deref().map(parse::<Colour>).transpose()?,
                test_age_hours: row.get(14)?,
                decision: parse::<Outcome>(&decision)?,
                report: row.get(16)?,
                rule: row.get(17)?,
                staff: row.get(18)?,
                resolves: resolves
                    .as_deref()
                    .map(|r| r.parse::<RecordId>().map_err(|_| corrupt("resolves")))
                    .transpose()?,
                companion_of: companion_of
                    .as_deref()
                    .map(|r| r.parse::<RecordId>().map_err(|_| corrupt("companion_of")))
                    .transpose()?,
                trace: trace
                    .map(|t| TraceRef::from_bytes(&t).map_err(|_| corrupt("trace_ref")))
                    .transpose()?,
            });
            n += 1;
        }
        Ok(n)
    }

    /// The statistics of a day (and venue and door, if the filter names them).
    pub fn daily_stats(
        &self,
        day: Day,
        filter: &Filter,
        rescan_window_secs: Option<u32>,
    ) -> Result<DailyStats, LedgerError> {
        let mut stats = DailyStats::new(
            day,
            rescan_window_secs.unwrap_or(DEFAULT_RESCAN_WINDOW_SECS),
        );
        let filter = Filter {
            day: Some(day),
            ..filter.clone()
        };
        let mut failed = None;
        self.for_each(&filter, |r| {
            if let Err(e) = stats.add(&r) {
                failed.get_or_insert(e);
            }
        })?;
        match failed {
            Some(e) => Err(e.into()),
            None => Ok(stats),
        }
    }

    /// SQLite's `PRAGMA integrity_check`: `ok`, or what is wrong.
    pub fn integrity_check(&self) -> Result<String, LedgerError> {
        Ok(self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }

    /// Deletes the records of every CST day before `before`, a day at a time (in batches of
    /// 10,000 rows, each its own transaction, so that a service's writer waits for
    /// none long), notes each day and its count in table `purges` (to be logged), and
    /// truncates the write-ahead log; deleted rows are zeroed (`secure_delete`). Gives what was
    /// purged.
    pub fn purge_days_before(
        &mut self,
        before: Day,
        now: Timestamp,
    ) -> Result<Vec<Purged>, LedgerError> {
        let days: Vec<i64> = {
            let mut stmt = self
                .conn
                .prepare("SELECT DISTINCT day FROM scans WHERE day < ?1 ORDER BY day")?;
            let rows = stmt.query_map([before.0], |r| r.get(0))?;
            rows.collect::<Result<_, _>>()?
        };
        let mut purged = Vec::with_capacity(days.len());
        for day in days {
            let mut records = 0u64;
            loop {
                let n = self.conn.execute(
                    "DELETE FROM scans WHERE id IN
                     (SELECT id FROM scans WHERE day = ?1 LIMIT ?2)",
                    [day, PURGE_BATCH],
                )?;
                records += n as u64;
                if n == 0 {
                    break;
                }
            }
            self.conn.execute(
                "INSERT INTO purges (day, records, purged_at, logged) VALUES (?1, ?2, ?3, 0)
                 ON CONFLICT (day) DO UPDATE SET purged_at = excluded.purged_at, logged = 0,
                     records = excluded.records + CASE logged WHEN 1 THEN 0 ELSE records END",
                rusqlite::params![day, i64::try_from(records).unwrap_or(i64::MAX), now.unix()],
            )?;
            purged.push(Purged {
                day: Day(day),
                records,
            });
        }
        // Reports are copies of records: they go with their days.
        self.conn.execute(
            "DELETE FROM deliveries WHERE seq IN (SELECT seq FROM outbox WHERE day < ?1)",
            [before.0],
        )?;
        self.conn
            .execute("DELETE FROM outbox WHERE day < ?1", [before.0])?;
        if !purged.is_empty() {
            self.conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        }
        Ok(purged)
    }

    /// Up to [`outbox::OUTBOX_BATCH`] reports after the one numbered `after`, in commit order.
    pub fn reports_after(&self, after: i64) -> Result<Vec<outbox::Queued>, LedgerError> {
        let mut stmt = self.conn.prepare_cached(OUTBOX_AFTER)?;
        let rows = stmt.query_map([after, outbox::OUTBOX_BATCH], queued)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The number of the last report queued (0: none).
    pub fn last_report(&self) -> Result<i64, LedgerError> {
        Ok(self
            .conn
            .query_row("SELECT COALESCE(MAX(seq), 0) FROM outbox", [], |r| r.get(0))?)
    }

    /// Makes the deliveries of the reports not yet dispatched, `hooks` naming the webhooks
    /// that want each, and moves the dispatcher's cursor past them, in one transaction.
    pub fn dispatch(
        &mut self,
        hooks: &dyn Fn(&outbox::Report) -> Vec<i64>,
    ) -> Result<usize, LedgerError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let cursor: i64 = meta(&tx, "outbox_dispatched")?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let reports: Vec<outbox::Queued> = {
            let mut stmt = tx.prepare_cached(OUTBOX_AFTER)?;
            let rows = stmt.query_map([cursor, outbox::OUTBOX_BATCH], queued)?;
            rows.collect::<Result<_, _>>()?
        };
        let Some(last) = reports.last().map(|q| q.seq) else {
            return Ok(0);
        };
        let mut made = 0;
        {
            let mut insert = tx.prepare_cached(
                "INSERT OR IGNORE INTO deliveries (seq, webhook) VALUES (?1, ?2)",
            )?;
            for q in &reports {
                for hook in hooks(&q.report) {
                    made += insert.execute([q.seq, hook])?;
                }
            }
        }
        tx.execute(
            "INSERT OR REPLACE INTO meta (name, value) VALUES ('outbox_dispatched', ?1)",
            [last.to_string()],
        )?;
        tx.commit()?;
        Ok(made)
    }

    /// Claims up to `limit` deliveries due at `now_ms` whose lease (if any) has ended, each for
    /// [`outbox::LEASE_MS`], counting the attempt.
    pub fn claim_deliveries(
        &mut self,
        now_ms: i64,
        limit: i64,
    ) -> Result<Vec<outbox::Delivery>, LedgerError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let claimed: Vec<outbox::Delivery> = {
            let mut stmt = tx.prepare_cached(
                "UPDATE deliveries SET attempts = attempts + 1, lease_until = ?1
                 WHERE (seq, webhook) IN (SELECT seq, webhook FROM deliveries
                     WHERE next_at <= ?2 AND lease_until <= ?2 ORDER BY next_at, seq LIMIT ?3)
                 RETURNING seq, webhook, attempts",
            )?;
            let rows = stmt.query_map([now_ms + outbox::LEASE_MS, now_ms, limit], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, u32>(2)?,
                ))
            })?;
            let ids: Vec<(i64, i64, u32)> = rows.collect::<Result<_, _>>()?;
            let mut report = tx.prepare_cached(
                "SELECT seq, venue_id, division, record_id, body FROM outbox WHERE seq = ?1",
            )?;
            let mut out = Vec::with_capacity(ids.len());
            for (seq, webhook, attempts) in ids {
                let q = report.query_row([seq], queued)?;
                out.push(outbox::Delivery {
                    seq,
                    webhook,
                    attempts,
                    report: q.report,
                });
            }
            out
        };
        tx.commit()?;
        Ok(claimed)
    }

    /// A delivery taken (or given up): it is done. With `retry_at_ms`, it waits until then
    /// for its next attempt instead.
    pub fn settle_delivery(
        &mut self,
        seq: i64,
        webhook: i64,
        retry_at_ms: Option<i64>,
    ) -> Result<(), LedgerError> {
        match retry_at_ms {
            None => self.conn.execute(
                "DELETE FROM deliveries WHERE seq = ?1 AND webhook = ?2",
                [seq, webhook],
            )?,
            Some(at) => self.conn.execute(
                "UPDATE deliveries SET next_at = ?3, lease_until = 0
                 WHERE seq = ?1 AND webhook = ?2",
                [seq, webhook, at],
            )?,
        };
        Ok(())
    }

    /// Notes a read of a venue's records, for the audit log.
    pub fn note_read(&self, read: &Read) -> Result<(), LedgerError> {
        self.conn.execute(
            "INSERT INTO reads (at, account, venue_id, what, records) VALUES (?1, ?2, ?3, ?4, ?5)",
            rusqlite::params![
                read.at,
                read.account,
                read.venue_id,
                read.what,
                i64::try_from(read.records).unwrap_or(i64::MAX)
            ],
        )?;
        Ok(())
    }

    /// The end of use: deletes every record, report, delivery, sighting, read and venue key,
    /// replaces the pseudonym root with a new random one, and erases what was deleted (pages
    /// zeroed, the write-ahead log truncated, the file vacuumed). Gives what it destroyed.
    pub fn end_of_use(&mut self) -> Result<Destroyed, LedgerError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let gone = |table: &str| -> Result<u64, LedgerError> {
            Ok(tx.execute(&format!("DELETE FROM {table}"), [])? as u64)
        };
        let destroyed = Destroyed {
            records: gone("scans")?,
            reports: gone("outbox")?,
            deliveries: gone("deliveries")?,
            sightings: gone("sightings")?,
            reads: gone("reads")?,
            venue_keys: gone("venue_keys")?,
        };
        let root = random_hex()?;
        tx.execute(
            "UPDATE meta SET value = ?1 WHERE name = 'pseudonym_root'",
            [&root],
        )?;
        tx.commit()?;
        self.root = PseudonymKey::from_hex(&root)
            .map_err(|_| LedgerError::Corrupt("pseudonym_root".into()))?;
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        self.conn.execute_batch("VACUUM")?;
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(destroyed)
    }

    /// The first and last CST days the ledger holds records of (the index on days read at
    /// its two ends).
    pub fn days_held(&self) -> Result<(Option<i64>, Option<i64>), LedgerError> {
        Ok(self
            .conn
            .query_row("SELECT MIN(day), MAX(day) FROM scans", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?)
    }

    /// The audit log's lines from entry `from` on, in order (the service's one chain for
    /// every node: `journal`).
    pub fn audit_lines(&self, from: u64) -> Result<Vec<String>, LedgerError> {
        audit_lines(&self.conn, from)
    }

    /// Appends to the audit log under the writers' lock, in one transaction: `write` is given
    /// the lines from entry `from` on and, with `tell`, what the log does not yet tell; the
    /// lines it gives follow them, and what it was given to tell is marked told.
    pub fn audit_append<T>(
        &mut self,
        from: u64,
        tell: bool,
        write: impl FnOnce(&[String], Option<&Untold>) -> Result<(Vec<String>, T), LedgerError>,
    ) -> Result<T, LedgerError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let lines = audit_lines(&tx, from)?;
        let untold = tell.then(|| untold(&tx)).transpose()?;
        let (new, out) = write(&lines, untold.as_ref())?;
        let last = from.max(1) - 1 + lines.len() as u64;
        {
            let mut insert =
                tx.prepare_cached("INSERT INTO audit (entry, line) VALUES (?1, ?2)")?;
            for (n, line) in (last + 1..).zip(&new) {
                insert.execute(rusqlite::params![
                    i64::try_from(n).unwrap_or(i64::MAX),
                    line
                ])?;
            }
        }
        if let Some(told) = untold {
            for p in &told.purges {
                tx.execute("UPDATE purges SET logged = 1 WHERE day = ?1", [p.day.0])?;
            }
            tx.execute("DELETE FROM reads WHERE seq <= ?1", [told.last_read])?;
        }
        tx.commit()?;
        Ok(out)
    }

    /// Deletes every record before `cutoff`, and erases them: their pages are zeroed
    /// (`secure_delete`), the WAL is checkpointed and truncated, and the file is vacuumed, so
    /// neither the database nor its journal keeps their bytes. Gives how many.
    pub fn purge_before(&mut self, cutoff: Timestamp) -> Result<u64, LedgerError> {
        let n = self
            .conn
            .execute("DELETE FROM scans WHERE at < ?1", [cutoff.unix()])?;
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        self.conn.execute_batch("VACUUM")?;
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(n as u64)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use venuecode::policy::Outcome;

    pub(crate) fn record(at: i64, door: &str, visitor: Option<u8>) -> ScanRecord {
        ScanRecord {
            id: venuecode::record::RecordId::derive(
                Timestamp::from_unix(at),
                &[
                    "green".as_bytes(),
                    Timestamp::from_unix(at).unix().to_be_bytes().as_slice(),
                ],
            ),
            origin: venuecode::record::Origin::Gate,
            device: "test".into(),
            venue_id: "SH-PT-0018".into(),
            door: door.into(),
            at: Timestamp::from_unix(at),
            pseudonym: visitor.map(|v| Pseudonym([v; 16])),
            name: visitor.map(|_| "张*丰".into()),
            id_number: visitor.map(|_| "110105********00**".into()),
            phone: None,
            profile: visitor.map(|_| Profile::Offline),
            code_state: Some(venuecode::CodeState::Valid),
            colour: Some(Colour::Green),
            test_age_hours: Some(12),
            decision: Outcome::Admit,
            report: false,
            rule: "green".into(),
            staff: None,
            resolves: None,
            companion_of: None,
            trace: None,
        }
    }

    #[test]
    fn pages_follow_arrival_and_a_group_commit_answers_each_record() {
        let dir = tempfile::tempdir().unwrap();
        let mut ledger = Ledger::open(&dir.path().join("l.sqlite")).unwrap();
        let t0 = 1_649_203_200;
        let (a, b, late) = (
            record(t0 + 60, "东门", Some(1)),
            record(t0 + 120, "东门", Some(2)),
            record(t0, "西门", Some(3)),
        );
        assert_eq!(
            ledger
                .append_entries(&[a.clone().into(), b.clone().into()])
                .unwrap(),
            [Stored::New, Stored::New]
        );
        // A queued record, older than the ones stored, and one of them again.
        assert_eq!(
            ledger
                .append_entries(&[late.clone().into(), a.clone().into()])
                .unwrap(),
            [Stored::New, Stored::Already { replayed: false }]
        );
        let all = Filter::default();
        let first = ledger.page(&all, None, 2).unwrap().unwrap();
        assert_eq!(first, [a.clone(), b.clone()]);
        let next = ledger.page(&all, Some(b.id), 2).unwrap().unwrap();
        assert_eq!(
            next,
            std::slice::from_ref(&late),
            "the late record comes after the cursor"
        );
        assert!(
            ledger
                .page(&all, Some(late.id), 2)
                .unwrap()
                .unwrap()
                .is_empty()
        );
        let east = Filter {
            door: Some("西门".into()),
            ..Filter::default()
        };
        assert_eq!(ledger.page(&east, Some(a.id), 10).unwrap().unwrap(), [late]);
        let unknown = record(t0 + 999, "东门", None).id;
        assert_eq!(ledger.page(&all, Some(unknown), 10).unwrap(), None);
    }

    #[test]
    fn a_days_or_a_venues_records_are_read_through_the_index() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::open(&dir.path().join("l.sqlite")).unwrap();
        let plan = |filter: &Filter| {
            let (condition, args) = filter.condition();
            let mut stmt = ledger
                .conn
                .prepare(&format!(
                    "EXPLAIN QUERY PLAN SELECT {COLUMNS} FROM scans {condition} ORDER BY id"
                ))
                .unwrap();
            let rows = stmt
                .query_map(args.as_slice(), |r| r.get::<_, String>(3))
                .unwrap();
            rows.map(Result::unwrap).collect::<Vec<_>>().join("; ")
        };
        let day = Filter {
            day: Some(Day(19_088)),
            ..Filter::default()
        };
        let venue_day = Filter {
            venue_id: Some("SH-PT-0018".into()),
            ..day.clone()
        };
        for f in [&day, &venue_day] {
            let plan = plan(f);
            assert!(plan.contains("USING INDEX scans_by_day"), "{plan}");
        }
    }

    #[test]
    fn append_read_stats_purge_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.sqlite");
        let t0 = 1_649_203_200; // 2022-04-06T00:00:00Z, 08:00 CST
        let key_bytes;
        {
            let mut ledger = Ledger::open(&path).unwrap();
            key_bytes = ledger
                .pseudonym_key("SH-PT-0018")
                .unwrap()
                .pseudonym(&venuecode::token::HolderToken([1; 16]));
            for (i, door) in [(0i64, "东门"), (1, "东门"), (2, "北门")] {
                ledger.append(&record(t0 + 60 * i, door, Some(1))).unwrap();
            }
            ledger.append(&record(t0 - 86_400, "东门", None)).unwrap();
        }
        let mut ledger = Ledger::open(&path).unwrap();
        // The key survives reopening, so pseudonyms stay stable.
        assert_eq!(
            ledger
                .pseudonym_key("SH-PT-0018")
                .unwrap()
                .pseudonym(&venuecode::token::HolderToken([1; 16])),
            key_bytes
        );
        let mut all = Vec::new();
        assert_eq!(
            ledger
                .for_each(&Filter::default(), |r| all.push(r))
                .unwrap(),
            4
        );
        assert_eq!(all[0], record(t0, "东门", Some(1)));
        let day = Day::of(Timestamp::from_unix(t0));
        let stats = ledger.daily_stats(day, &Filter::default(), None).unwrap();
        assert_eq!(
            (stats.scans(), stats.visits(), stats.distinct_visitors()),
            (3, 2, 1)
        );
        let east = Filter {
            door: Some("东门".into()),
            ..Filter::default()
        };
        assert_eq!(ledger.daily_stats(day, &east, None).unwrap().scans(), 2);
        assert_eq!(ledger.purge_before(Timestamp::from_unix(t0)).unwrap(), 1);
        assert_eq!(ledger.for_each(&Filter::default(), |_| {}).unwrap(), 3);
    }

    #[test]
    fn purge_erases_the_bytes_and_files_are_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.sqlite");
        let t0 = 1_649_203_200;
        let mut ledger = Ledger::open(&path).unwrap();
        let mut old = record(t0 - 86_400, "东门", Some(1));
        old.rule = "purged-marker-7f3a".into();
        ledger.append(&old).unwrap();
        ledger.append(&record(t0, "北门", Some(2))).unwrap();
        let bytes = || {
            let mut all = Vec::new();
            for entry in std::fs::read_dir(dir.path()).unwrap() {
                all.extend(std::fs::read(entry.unwrap().path()).unwrap());
            }
            all
        };
        let contains = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).any(|w| w == needle);
        assert!(contains(&bytes(), b"purged-marker-7f3a"));
        assert_eq!(ledger.purge_before(Timestamp::from_unix(t0)).unwrap(), 1);
        // Neither the database nor its journal keeps the purged row.
        assert!(!contains(&bytes(), b"purged-marker-7f3a"));
        assert_eq!(ledger.for_each(&Filter::default(), |_| {}).unwrap(), 1);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for entry in std::fs::read_dir(dir.path()).unwrap() {
                let mode = entry.unwrap().metadata().unwrap().permissions().mode();
                assert_eq!(mode & 0o077, 0, "mode {mode:o}");
            }
        }
    }

    #[test]
    fn other_schemas_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.sqlite");
        drop(Ledger::open(&path).unwrap());
        let conn = Connection::open(&path).unwrap();
        conn.execute("UPDATE meta SET value = '99' WHERE name = 'schema'", [])
            .unwrap();
        drop(conn);
        assert!(matches!(Ledger::open(&path), Err(LedgerError::Schema(_))));
    }
}

/// The crate README's example, run as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
