//! The directory in one SQLite file (`service.sqlite`): the embedded default.

use super::{
    Account, KnownVenue, MAX_SESSIONS, NewSession, PublishedList, Tables, Webhook, account_of,
    list, list_text,
};
use crate::LedgerError;
use rusqlite::{Connection, OptionalExtension};
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use venuecode::record::coverage::RegisteredVenue;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS accounts (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    scope TEXT NOT NULL,
    doors TEXT NOT NULL,
    created INTEGER NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS tokens (
    hash TEXT PRIMARY KEY,
    account INTEGER NOT NULL REFERENCES accounts (id),
    created INTEGER NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS sessions (
    hash TEXT PRIMARY KEY,
    account INTEGER NOT NULL REFERENCES accounts (id),
    csrf TEXT NOT NULL,
    expires INTEGER NOT NULL,
    token TEXT
);
CREATE TABLE IF NOT EXISTS registry (
    venue_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    division INTEGER NOT NULL,
    doors TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS doors_seen (
    venue_id TEXT NOT NULL,
    door TEXT NOT NULL,
    PRIMARY KEY (venue_id, door)
);
CREATE TABLE IF NOT EXISTS webhooks (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL,
    venue_id TEXT,
    division TEXT,
    secret TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS venues (
    venue_id TEXT PRIMARY KEY,
    division INTEGER NOT NULL,
    name TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS lists (
    kind TEXT PRIMARY KEY,
    bytes BLOB NOT NULL,
    etag TEXT NOT NULL,
    delta_from TEXT,
    delta BLOB,
    version INTEGER NOT NULL
);
";

/// The directory's SQLite connection.
pub(crate) struct SqliteTables {
    conn: Mutex<Connection>,
}

impl SqliteTables {
    pub(crate) fn open(path: &Path) -> Result<Self, LedgerError> {
        crate::create_private(path)?;
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA)?;
        // A file from before sessions named their token: the column added (its sessions, which
        // name none, end by expiry or logout).
        let named: bool = conn.query_row(
            "SELECT COUNT(*) > 0 FROM pragma_table_info('sessions') WHERE name = 'token'",
            [],
            |r| r.get(0),
        )?;
        if !named {
            conn.execute_batch("ALTER TABLE sessions ADD COLUMN token TEXT")?;
        }
        Ok(SqliteTables {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding it leaves SQLite consistent (transactions roll back).
        self.conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// An account from a row whose first five columns are name, role, scope, doors, revoked.
fn account(r: &rusqlite::Row<'_>) -> rusqlite::Result<Result<Account, LedgerError>> {
    let (name, role, scope, doors, revoked): (String, String, String, String, i64) =
        (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?);
    Ok(account_of(name, &role, &scope, &doors, revoked != 0))
}

impl Tables for SqliteTables {
    fn insert_account(&self, a: &Account, now: i64) -> Result<bool, LedgerError> {
        let added = self.conn().execute(
            "INSERT OR IGNORE INTO accounts (name, role, scope, doors, created)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            rusqlite::params![
                a.name,
                a.role.name(),
                list_text(&a.scope),
                list_text(&a.doors),
                now
            ],
        )?;
        Ok(added == 1)
    }

    fn insert_token(&self, name: &str, hash: &str, now: i64) -> Result<bool, LedgerError> {
        let added = self.conn().execute(
            "INSERT INTO tokens (hash, account, created)
             SELECT ?1, id, ?2 FROM accounts WHERE name = ?3 AND revoked = 0",
            rusqlite::params![hash, now, name],
        )?;
        Ok(added == 1)
    }

    fn revoke_account(&self, name: &str) -> Result<bool, LedgerError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let n = tx.execute("UPDATE accounts SET revoked = 1 WHERE name = ?1", [name])?;
        tx.execute(
            "DELETE FROM sessions WHERE account = (SELECT id FROM accounts WHERE name = ?1)",
            [name],
        )?;
        tx.commit()?;
        Ok(n == 1)
    }

    fn revoke_token(&self, hash: &str) -> Result<bool, LedgerError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let n = tx.execute("UPDATE tokens SET revoked = 1 WHERE hash = ?1", [hash])?;
        tx.execute("DELETE FROM sessions WHERE token = ?1", [hash])?;
        tx.commit()?;
        Ok(n == 1)
    }

    fn accounts(&self) -> Result<Vec<Account>, LedgerError> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare("SELECT name, role, scope, doors, revoked FROM accounts ORDER BY name")?;
        let rows = stmt.query_map([], account)?;
        let mut out = Vec::new();
        for r in rows {
            out.push(r??);
        }
        Ok(out)
    }

    fn by_token(&self, hash: &str) -> Result<Option<Account>, LedgerError> {
        self.conn()
            .query_row(
                "SELECT a.name, a.role, a.scope, a.doors, a.revoked FROM tokens t
                 JOIN accounts a ON a.id = t.account
                 WHERE t.hash = ?1 AND t.revoked = 0 AND a.revoked = 0",
                [hash],
                account,
            )
            .optional()?
            .transpose()
    }

    fn insert_session(&self, s: &NewSession<'_>, now: i64) -> Result<(), LedgerError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute("DELETE FROM sessions WHERE expires <= ?1", [now])?;
        tx.execute(
            "INSERT INTO sessions (hash, account, csrf, expires, token)
             SELECT ?1, id, ?2, ?3, ?5 FROM accounts WHERE name = ?4",
            rusqlite::params![s.hash, s.csrf, s.expires, s.account, s.token],
        )?;
        tx.execute(
            "DELETE FROM sessions WHERE account = (SELECT id FROM accounts WHERE name = ?1)
               AND hash NOT IN (SELECT s.hash FROM sessions s JOIN accounts a ON a.id = s.account
                                WHERE a.name = ?1 ORDER BY s.expires DESC, s.rowid DESC
                                LIMIT ?2)",
            rusqlite::params![s.account, MAX_SESSIONS],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn by_session(&self, hash: &str, now: i64) -> Result<Option<(Account, String)>, LedgerError> {
        let found = self
            .conn()
            .query_row(
                "SELECT a.name, a.role, a.scope, a.doors, a.revoked, s.csrf FROM sessions s
                 JOIN accounts a ON a.id = s.account
                 WHERE s.hash = ?1 AND s.expires > ?2 AND a.revoked = 0",
                rusqlite::params![hash, now],
                |r| Ok((account(r)?, r.get::<_, String>(5)?)),
            )
            .optional()?;
        match found {
            Some((account, csrf)) => Ok(Some((account?, csrf))),
            None => Ok(None),
        }
    }

    fn delete_session(&self, hash: &str) -> Result<(), LedgerError> {
        self.conn()
            .execute("DELETE FROM sessions WHERE hash = ?1", [hash])?;
        Ok(())
    }

    fn place_venue(&self, v: &KnownVenue) -> Result<u32, LedgerError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT INTO venues (venue_id, division, name) VALUES (?1, ?2, ?3)
             ON CONFLICT (venue_id) DO NOTHING",
            rusqlite::params![v.venue_id, v.division, v.name],
        )?;
        let held = tx.query_row(
            "SELECT division FROM venues WHERE venue_id = ?1",
            [&v.venue_id],
            |r| r.get(0),
        )?;
        tx.commit()?;
        Ok(held)
    }

    fn venue(&self, venue_id: &str) -> Result<Option<KnownVenue>, LedgerError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT venue_id, division, name FROM venues WHERE venue_id = ?1",
                [venue_id],
                |r| {
                    Ok(KnownVenue {
                        venue_id: r.get(0)?,
                        division: r.get(1)?,
                        name: r.get(2)?,
                    })
                },
            )
            .optional()?)
    }

    fn replace_registry(&self, venues: &[RegisteredVenue]) -> Result<(), LedgerError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute("DELETE FROM registry", [])?;
        for v in venues {
            tx.execute(
                "INSERT INTO registry (venue_id, name, division, doors) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (venue_id) DO UPDATE SET name = excluded.name,
                     division = excluded.division, doors = excluded.doors",
                rusqlite::params![v.venue_id, v.name, v.division, list_text(&v.doors)],
            )?;
            tx.execute(
                "INSERT INTO venues (venue_id, division, name) VALUES (?1, ?2, ?3)
                 ON CONFLICT (venue_id) DO UPDATE SET division = excluded.division,
                     name = excluded.name",
                rusqlite::params![v.venue_id, v.division, v.name],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    fn registry(&self) -> Result<Vec<RegisteredVenue>, LedgerError> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare("SELECT venue_id, name, division, doors FROM registry ORDER BY venue_id")?;
        let rows = stmt.query_map([], |r| {
            Ok(RegisteredVenue {
                venue_id: r.get(0)?,
                name: r.get(1)?,
                division: r.get(2)?,
                doors: list(&r.get::<_, String>(3)?),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn note_door(&self, venue_id: &str, door: &str) -> Result<(), LedgerError> {
        self.conn().execute(
            "INSERT OR IGNORE INTO doors_seen (venue_id, door) VALUES (?1, ?2)",
            [venue_id, door],
        )?;
        Ok(())
    }

    fn doors_seen(&self) -> Result<BTreeSet<(String, String)>, LedgerError> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT venue_id, door FROM doors_seen")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn doors_of(&self, venue_id: &str) -> Result<(Option<String>, Vec<String>), LedgerError> {
        let conn = self.conn();
        let registered = conn
            .query_row(
                "SELECT doors FROM registry WHERE venue_id = ?1",
                [venue_id],
                |r| r.get(0),
            )
            .optional()?;
        let mut stmt = conn.prepare("SELECT door FROM doors_seen WHERE venue_id = ?1")?;
        let seen = stmt.query_map([venue_id], |r| r.get(0))?;
        Ok((registered, seen.collect::<Result<_, _>>()?))
    }

    fn answers(&self) -> Result<(), LedgerError> {
        self.conn().query_row("SELECT 1", [], |_| Ok(()))?;
        Ok(())
    }

    fn insert_webhook(&self, h: &Webhook) -> Result<i64, LedgerError> {
        let conn = self.conn();
        conn.execute(
            "INSERT INTO webhooks (url, venue_id, division, secret) VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![h.url, h.venue_id, h.division, h.secret],
        )?;
        Ok(conn.last_insert_rowid())
    }

    fn webhooks(&self) -> Result<Vec<Webhook>, LedgerError> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare("SELECT id, url, venue_id, division, secret FROM webhooks ORDER BY id")?;
        let rows = stmt.query_map([], |r| {
            Ok(Webhook {
                id: r.get(0)?,
                url: r.get(1)?,
                venue_id: r.get(2)?,
                division: r.get(3)?,
                secret: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn delete_webhook(&self, id: i64) -> Result<bool, LedgerError> {
        let n = self
            .conn()
            .execute("DELETE FROM webhooks WHERE id = ?1", [id])?;
        Ok(n == 1)
    }

    fn put_list(
        &self,
        list: &PublishedList,
        replaces: Option<&str>,
    ) -> Result<Option<i64>, LedgerError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let current: Option<String> = tx
            .query_row(
                "SELECT etag FROM lists WHERE kind = ?1",
                [&list.kind],
                |r| r.get(0),
            )
            .optional()?;
        if current.as_deref() != replaces {
            return Ok(None);
        }
        let version: i64 =
            tx.query_row("SELECT COALESCE(MAX(version), 0) + 1 FROM lists", [], |r| {
                r.get(0)
            })?;
        let (from, delta) = list.delta.as_ref().map(|(f, d)| (f, d)).unzip();
        tx.execute(
            "INSERT OR REPLACE INTO lists (kind, bytes, etag, delta_from, delta, version)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            rusqlite::params![list.kind, list.bytes, list.etag, from, delta, version],
        )?;
        tx.commit()?;
        Ok(Some(version))
    }

    fn delete_lists(&self, kinds: &[&str]) -> Result<u64, LedgerError> {
        let conn = self.conn();
        let mut n = 0;
        for kind in kinds {
            n += conn.execute("DELETE FROM lists WHERE kind = ?1", [kind])? as u64;
        }
        Ok(n)
    }

    fn lists_version(&self) -> Result<i64, LedgerError> {
        Ok(self
            .conn()
            .query_row("SELECT COALESCE(MAX(version), 0) FROM lists", [], |r| {
                r.get(0)
            })?)
    }

    fn lists(&self) -> Result<Vec<PublishedList>, LedgerError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT kind, bytes, etag, delta_from, delta, version FROM lists ORDER BY kind",
        )?;
        let rows = stmt.query_map([], |r| {
            let from: Option<String> = r.get(3)?;
            let delta: Option<Vec<u8>> = r.get(4)?;
            Ok(PublishedList {
                kind: r.get(0)?,
                bytes: r.get(1)?,
                etag: r.get(2)?,
                delta: from.zip(delta),
                version: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
