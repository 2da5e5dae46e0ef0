//! The scan ledger: the desensitised scan records of a venue's gates in one SQLite file.
//!
//! - **Crash-safe**: WAL journal with `synchronous = FULL`, and one transaction a record, so a
//!   record is either fully stored or not at all, and an acknowledged one survives the process
//!   being killed (tests/crash.rs).
//! - **Desensitised**: it stores [`ScanRecord`]s, which hold pseudonyms and masks, never raw
//!   personal data.
//! - **Pseudonyms**: a ledger makes a random venue pseudonym key when created (kept in the file),
//!   so a visitor is counted once at this venue and no other party can link its records; an
//!   authority-derived key can be used instead.
//! - **Retention**: [`Ledger::purge_before`] deletes what the retention rules no longer allow.
//!
//! Schema (version 1): table `scans` (one row a record; `at` in UTC seconds, `day` the China
//! Standard Time day) and table `meta` (`schema`, `pseudonym_key`).

pub mod export;
pub mod parquet;

use rusqlite::{Connection, OptionalExtension, params};
use std::path::Path;
use venuecode::Timestamp;
use venuecode::health::Colour;
use venuecode::person::Profile;
use venuecode::policy::Outcome;
use venuecode::pseudonym::{Pseudonym, PseudonymKey};
use venuecode::record::{DEFAULT_RESCAN_WINDOW_SECS, DailyStats, Day, ScanRecord};

/// The schema version this crate writes and reads.
pub const SCHEMA_VERSION: i64 = 1;

/// Why a ledger operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LedgerError {
    /// SQLite refused (full disk, read-only file, corruption…).
    #[error("ledger: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The file is a ledger of another schema version, or not a ledger.
    #[error("ledger: {0}")]
    Schema(String),
    /// A stored value could not be read back.
    #[error("ledger: a stored record is not valid: {0}")]
    Corrupt(String),
    /// A library error.
    #[error(transparent)]
    Core(#[from] venuecode::Error),
    /// The file could not be created or written.
    #[error("ledger: {0}")]
    Io(#[from] std::io::Error),
}

impl LedgerError {
    /// A stable code: `ledger`, or the library's code.
    pub fn code(&self) -> &'static str {
        match self {
            LedgerError::Core(e) => e.code(),
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

/// An open ledger file.
pub struct Ledger {
    conn: Connection,
    key: PseudonymKey,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS scans (
    id INTEGER PRIMARY KEY,
    venue_id TEXT NOT NULL,
    door TEXT NOT NULL,
    at INTEGER NOT NULL,
    day INTEGER NOT NULL,
    pseudonym BLOB,
    name TEXT,
    id_number TEXT,
    profile TEXT,
    code_state TEXT NOT NULL,
    colour TEXT,
    test_age_hours INTEGER,
    decision TEXT NOT NULL,
    report INTEGER NOT NULL,
    rule TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS scans_by_day ON scans (day, venue_id, door);
";

const INSERT: &str =
    "INSERT INTO scans (venue_id, door, at, day, pseudonym, name, id_number, profile,
    code_state, colour, test_age_hours, decision, report, rule)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";

/// A record's column values, in INSERT's order.
fn row(r: &ScanRecord) -> impl rusqlite::Params + '_ {
    (
        &r.venue_id,
        &r.door,
        r.at.unix(),
        Day::of(r.at).0,
        r.pseudonym.map(|p| p.0.to_vec()),
        &r.name,
        &r.id_number,
        r.profile.map(|p| text(&p)),
        r.code_state.name(),
        r.colour.map(|c| c.name()),
        r.test_age_hours,
        text(&r.decision),
        r.report,
        &r.rule,
    )
}

/// Creates the file with mode 0600 if it does not exist (an existing file keeps its mode).
fn create_private(path: &Path) -> Result<(), LedgerError> {
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

fn text<T: serde::Serialize>(value: &T) -> String {
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

impl Ledger {
    /// Opens a ledger, creating it (and its venue pseudonym key) if the file is new. A new
    /// file is readable by its owner only (mode 0600; SQLite gives its journal the same mode).
    pub fn open(path: &Path) -> Result<Self, LedgerError> {
        create_private(path)?;
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // Deleted rows are overwritten with zeros, so a purge leaves no personal data behind.
        conn.pragma_update(None, "secure_delete", "ON")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA)?;
        let schema: Option<String> = conn
            .query_row("SELECT value FROM meta WHERE name = 'schema'", [], |r| {
                r.get(0)
            })
            .optional()?;
        match schema {
            None => {
                conn.execute(
                    "INSERT INTO meta (name, value) VALUES ('schema', ?1)",
                    [SCHEMA_VERSION.to_string()],
                )?;
            }
            Some(v) if v == SCHEMA_VERSION.to_string() => {}
            Some(v) => {
                return Err(LedgerError::Schema(format!(
                    "schema version {v}, this program reads {SCHEMA_VERSION}"
                )));
            }
        }
        let stored: Option<String> = conn
            .query_row(
                "SELECT value FROM meta WHERE name = 'pseudonym_key'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        let key = match stored {
            Some(hex_key) => {
                let mut bytes = [0u8; 32];
                hex::decode_to_slice(&hex_key, &mut bytes)
                    .map_err(|_| LedgerError::Corrupt("pseudonym_key".into()))?;
                bytes
            }
            None => {
                let mut bytes = [0u8; 32];
                getrandom::fill(&mut bytes)
                    .map_err(|e| venuecode::Error::Randomness(e.to_string()))?;
                conn.execute(
                    "INSERT INTO meta (name, value) VALUES ('pseudonym_key', ?1)",
                    [hex::encode(bytes)],
                )?;
                bytes
            }
        };
        Ok(Ledger {
            conn,
            key: PseudonymKey::from_bytes(key),
        })
    }

    /// The venue pseudonym key of this ledger.
    pub fn pseudonym_key(&self) -> &PseudonymKey {
        &self.key
    }

    /// Stores a record in its own transaction; when this returns `Ok`, the record is on disk.
    pub fn append(&mut self, r: &ScanRecord) -> Result<i64, LedgerError> {
        let tx = self.conn.transaction()?;
        tx.prepare_cached(INSERT)?.execute(row(r))?;
        let id = tx.last_insert_rowid();
        tx.commit()?;
        Ok(id)
    }

    /// Stores many records in one transaction (an import); all or none.
    pub fn append_all(&mut self, records: &[ScanRecord]) -> Result<(), LedgerError> {
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(INSERT)?;
            for r in records {
                stmt.execute(row(r))?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Streams the records that pass `filter`, in the order stored, without holding them all.
    pub fn for_each(
        &self,
        filter: &Filter,
        mut f: impl FnMut(ScanRecord),
    ) -> Result<u64, LedgerError> {
        let mut stmt = self.conn.prepare(
            "SELECT venue_id, door, at, pseudonym, name, id_number, profile, code_state, colour,
                    test_age_hours, decision, report, rule
             FROM scans
             WHERE (?1 IS NULL OR day = ?1) AND (?2 IS NULL OR venue_id = ?2) AND (?3 IS NULL OR door = ?3)
             ORDER BY id",
        )?;
        let mut rows = stmt.query(params![
            filter.day.map(|d| d.0),
            filter.venue_id,
            filter.door
        ])?;
        let mut n = 0;
        while let Some(row) = rows.next()? {
            let pseudonym: Option<Vec<u8>> = row.get(3)?;
            let pseudonym = pseudonym
                .map(|p| {
                    <[u8; 16]>::try_from(p.as_slice())
                        .map(Pseudonym)
                        .map_err(|_| LedgerError::Corrupt("pseudonym".into()))
                })
                .transpose()?;
            let profile: Option<String> = row.get(6)?;
            let colour: Option<String> = row.get(8)?;
            let decision: String = row.get(10)?;
            let code_state: String = row.get(7)?;
            f(ScanRecord {
                venue_id: row.get(0)?,
                door: row.get(1)?,
                at: Timestamp::from_unix(row.get(2)?),
                pseudonym,
                name: row.get(4)?,
                id_number: row.get(5)?,
                profile: profile.as_deref().map(parse::<Profile>).transpose()?,
                code_state: code_state
                    .parse()
                    .map_err(|_| LedgerError::Corrupt("code_state".into()))?,
                colour: colour.as_deref().map(parse::<Colour>).transpose()?,
                test_age_hours: row.get(9)?,
                decision: parse::<Outcome>(&decision)?,
                report: row.get(11)?,
                rule: row.get(12)?,
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
            venue_id: "SH-PT-0018".into(),
            door: door.into(),
            at: Timestamp::from_unix(at),
            pseudonym: visitor.map(|v| Pseudonym([v; 16])),
            name: visitor.map(|_| "张*丰".into()),
            id_number: visitor.map(|_| "110105********00**".into()),
            profile: visitor.map(|_| Profile::Offline),
            code_state: venuecode::CodeState::Valid,
            colour: Some(Colour::Green),
            test_age_hours: Some(12),
            decision: Outcome::Admit,
            report: false,
            rule: "green".into(),
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
                .pseudonym_key()
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
                .pseudonym_key()
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
