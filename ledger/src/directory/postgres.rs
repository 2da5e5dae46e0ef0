//! The directory in the city's PostgreSQL database, shared by every node of the service. Its
//! calls keep the directory's blocking interface: each waits on the runtime the connections run
//! on, from a thread that may block. Connections come from a pool ([`crate::pg::pool`]): one
//! the server closed (a restart) is replaced at the next call.

use super::{
    Account, KnownVenue, MAX_SESSIONS, NewSession, PublishedList, Tables, Webhook, account_of,
    list, list_text,
};
use crate::LedgerError;
use deadpool_postgres::Pool;
use std::collections::BTreeSet;
use tokio::runtime::Handle;
use tokio_postgres::{Client, Row};
use venuecode::record::coverage::RegisteredVenue;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS accounts (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    scope TEXT NOT NULL,
    doors TEXT NOT NULL,
    created BIGINT NOT NULL,
    revoked BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE TABLE IF NOT EXISTS tokens (
    hash TEXT PRIMARY KEY,
    account BIGINT NOT NULL REFERENCES accounts (id),
    created BIGINT NOT NULL,
    revoked BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE TABLE IF NOT EXISTS sessions (
    hash TEXT PRIMARY KEY,
    account BIGINT NOT NULL REFERENCES accounts (id),
    csrf TEXT NOT NULL,
    expires BIGINT NOT NULL
);
ALTER TABLE sessions ADD COLUMN IF NOT EXISTS token TEXT;
ALTER TABLE sessions ADD COLUMN IF NOT EXISTS opened BIGSERIAL;
CREATE INDEX IF NOT EXISTS sessions_by_account ON sessions (account);
CREATE INDEX IF NOT EXISTS sessions_by_token ON sessions (token);
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
    id BIGSERIAL PRIMARY KEY,
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
    bytes BYTEA NOT NULL,
    etag TEXT NOT NULL,
    delta_from TEXT,
    delta BYTEA,
    version BIGINT NOT NULL
);
";

/// The advisory lock under which lists are published, one at a time across nodes.
const LISTS_LOCK: i64 = 7_310_109;

/// The directory's pool of PostgreSQL connections and the runtime they run on.
pub(crate) struct PgTables {
    runtime: Handle,
    pool: Pool,
}

/// Connections a directory's pool holds at most: its calls come from the blocking pool, a few
/// at a time (look-ups of tokens and sessions, venues placed once a minute).
const POOL_SIZE: usize = 8;

impl PgTables {
    pub(crate) fn open(url: &str, runtime: Handle) -> Result<Self, LedgerError> {
        let pool = crate::pg::pool(url, POOL_SIZE)?;
        runtime.block_on(async {
            let mut client = pool.get().await?;
            crate::pg::create(&mut client, SCHEMA).await
        })?;
        Ok(PgTables { runtime, pool })
    }

    /// Runs `work` on a connection of the pool (a new one if the server closed the last).
    fn run<T>(
        &self,
        work: impl AsyncFnOnce(&mut Client) -> Result<T, LedgerError>,
    ) -> Result<T, LedgerError> {
        self.runtime.block_on(async {
            let mut client = self.pool.get().await?;
            work(&mut client).await
        })
    }
}

/// An account from a row whose first five columns are name, role, scope, doors, revoked.
fn account(r: &Row) -> Result<Account, LedgerError> {
    account_of(r.get(0), r.get(1), r.get(2), r.get(3), r.get(4))
}

/// A division as stored (six digits fit an `INTEGER`).
fn division_of(r: &Row, i: usize) -> Result<u32, LedgerError> {
    u32::try_from(r.get::<_, i32>(i))
        .map_err(|_| LedgerError::Corrupt("a stored division is negative".into()))
}

/// A division as a column holds it.
fn division_column(code: u32) -> Result<i32, LedgerError> {
    i32::try_from(code).map_err(|_| {
        LedgerError::Core(venuecode::Error::InvalidInput {
            field: "division",
            reason: "six digits".into(),
        })
    })
}

impl Tables for PgTables {
    fn insert_account(&self, a: &Account, now: i64) -> Result<bool, LedgerError> {
        let (scope, doors) = (list_text(&a.scope), list_text(&a.doors));
        self.run(async |c| {
            let n = c
                .execute(
                    "INSERT INTO accounts (name, role, scope, doors, created)
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO NOTHING",
                    &[&a.name, &a.role.name(), &scope, &doors, &now],
                )
                .await?;
            Ok(n == 1)
        })
    }

    fn insert_token(&self, name: &str, hash: &str, now: i64) -> Result<bool, LedgerError> {
        self.run(async |c| {
            let n = c
                .execute(
                    "INSERT INTO tokens (hash, account, created)
                     SELECT $1, id, $2 FROM accounts WHERE name = $3 AND NOT revoked",
                    &[&hash, &now, &name],
                )
                .await?;
            Ok(n == 1)
        })
    }

    fn revoke_account(&self, name: &str) -> Result<bool, LedgerError> {
        self.run(async |c| {
            let tx = c.transaction().await?;
            let n = tx
                .execute(
                    "UPDATE accounts SET revoked = TRUE WHERE name = $1",
                    &[&name],
                )
                .await?;
            tx.execute(
                "DELETE FROM sessions WHERE account = (SELECT id FROM accounts WHERE name = $1)",
                &[&name],
            )
            .await?;
            tx.commit().await?;
            Ok(n == 1)
        })
    }

    fn revoke_token(&self, hash: &str) -> Result<bool, LedgerError> {
        self.run(async |c| {
            let tx = c.transaction().await?;
            let n = tx
                .execute("UPDATE tokens SET revoked = TRUE WHERE hash = $1", &[&hash])
                .await?;
            tx.execute("DELETE FROM sessions WHERE token = $1", &[&hash])
                .await?;
            tx.commit().await?;
            Ok(n == 1)
        })
    }

    fn accounts(&self) -> Result<Vec<Account>, LedgerError> {
        self.run(async |c| {
            c.query(
                "SELECT name, role, scope, doors, revoked FROM accounts ORDER BY name",
                &[],
            )
            .await?
            .iter()
            .map(account)
            .collect()
        })
    }

    fn by_token(&self, hash: &str) -> Result<Option<Account>, LedgerError> {
        self.run(async |c| {
            c.query_opt(
                "SELECT a.name, a.role, a.scope, a.doors, a.revoked FROM tokens t
                 JOIN accounts a ON a.id = t.account
                 WHERE t.hash = $1 AND NOT t.revoked AND NOT a.revoked",
                &[&hash],
            )
            .await?
            .as_ref()
            .map(account)
            .transpose()
        })
    }

    fn insert_session(&self, s: &NewSession<'_>, now: i64) -> Result<(), LedgerError> {
        self.run(async |c| {
            let tx = c.transaction().await?;
            tx.execute("DELETE FROM sessions WHERE expires <= $1", &[&now])
                .await?;
            tx.execute(
                "INSERT INTO sessions (hash, account, csrf, expires, token)
                 SELECT $1, id, $2, $3, $5 FROM accounts WHERE name = $4",
                &[&s.hash, &s.csrf, &s.expires, &s.account, &s.token],
            )
            .await?;
            tx.execute(
                "DELETE FROM sessions WHERE account = (SELECT id FROM accounts WHERE name = $1)
                   AND hash NOT IN (SELECT s.hash FROM sessions s
                                    JOIN accounts a ON a.id = s.account WHERE a.name = $1
                                    ORDER BY s.expires DESC, s.opened DESC LIMIT $2)",
                &[&s.account, &MAX_SESSIONS],
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    fn by_session(&self, hash: &str, now: i64) -> Result<Option<(Account, String)>, LedgerError> {
        self.run(async |c| {
            match c
                .query_opt(
                    "SELECT a.name, a.role, a.scope, a.doors, a.revoked, s.csrf FROM sessions s
                     JOIN accounts a ON a.id = s.account
                     WHERE s.hash = $1 AND s.expires > $2 AND NOT a.revoked",
                    &[&hash, &now],
                )
                .await?
            {
                Some(row) => Ok(Some((account(&row)?, row.get(5)))),
                None => Ok(None),
            }
        })
    }

    fn delete_session(&self, hash: &str) -> Result<(), LedgerError> {
        self.run(async |c| {
            c.execute("DELETE FROM sessions WHERE hash = $1", &[&hash])
                .await?;
            Ok(())
        })
    }

    fn place_venue(&self, v: &KnownVenue) -> Result<u32, LedgerError> {
        let division = division_column(v.division)?;
        self.run(async |c| {
            let tx = c.transaction().await?;
            tx.execute(
                "INSERT INTO venues (venue_id, division, name) VALUES ($1, $2, $3)
                 ON CONFLICT (venue_id) DO NOTHING",
                &[&v.venue_id, &division, &v.name],
            )
            .await?;
            let row = tx
                .query_one(
                    "SELECT division FROM venues WHERE venue_id = $1",
                    &[&v.venue_id],
                )
                .await?;
            tx.commit().await?;
            division_of(&row, 0)
        })
    }

    fn venue(&self, venue_id: &str) -> Result<Option<KnownVenue>, LedgerError> {
        self.run(async |c| {
            match c
                .query_opt(
                    "SELECT venue_id, division, name FROM venues WHERE venue_id = $1",
                    &[&venue_id],
                )
                .await?
            {
                Some(r) => Ok(Some(KnownVenue {
                    venue_id: r.get(0),
                    division: division_of(&r, 1)?,
                    name: r.get(2),
                })),
                None => Ok(None),
            }
        })
    }

    fn replace_registry(&self, venues: &[RegisteredVenue]) -> Result<(), LedgerError> {
        let rows = venues
            .iter()
            .map(|v| Ok((v, division_column(v.division)?, list_text(&v.doors))))
            .collect::<Result<Vec<_>, LedgerError>>()?;
        self.run(async |c| {
            let tx = c.transaction().await?;
            tx.execute("DELETE FROM registry", &[]).await?;
            for (v, division, doors) in &rows {
                tx.execute(
                    "INSERT INTO registry (venue_id, name, division, doors)
                     VALUES ($1, $2, $3, $4)
                     ON CONFLICT (venue_id) DO UPDATE SET name = EXCLUDED.name,
                         division = EXCLUDED.division, doors = EXCLUDED.doors",
                    &[&v.venue_id, &v.name, division, doors],
                )
                .await?;
                tx.execute(
                    "INSERT INTO venues (venue_id, division, name) VALUES ($1, $2, $3)
                     ON CONFLICT (venue_id) DO UPDATE SET division = EXCLUDED.division,
                         name = EXCLUDED.name",
                    &[&v.venue_id, division, &v.name],
                )
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    fn registry(&self) -> Result<Vec<RegisteredVenue>, LedgerError> {
        self.run(async |c| {
            c.query(
                "SELECT venue_id, name, division, doors FROM registry ORDER BY venue_id",
                &[],
            )
            .await?
            .iter()
            .map(|r| {
                Ok(RegisteredVenue {
                    venue_id: r.get(0),
                    name: r.get(1),
                    division: division_of(r, 2)?,
                    doors: list(r.get(3)),
                })
            })
            .collect()
        })
    }

    fn note_door(&self, venue_id: &str, door: &str) -> Result<(), LedgerError> {
        self.run(async |c| {
            c.execute(
                "INSERT INTO doors_seen (venue_id, door) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[&venue_id, &door],
            )
            .await?;
            Ok(())
        })
    }

    fn doors_seen(&self) -> Result<BTreeSet<(String, String)>, LedgerError> {
        self.run(async |c| {
            Ok(c.query("SELECT venue_id, door FROM doors_seen", &[])
                .await?
                .iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect())
        })
    }

    fn doors_of(&self, venue_id: &str) -> Result<(Option<String>, Vec<String>), LedgerError> {
        self.run(async |c| {
            let registered = c
                .query_opt(
                    "SELECT doors FROM registry WHERE venue_id = $1",
                    &[&venue_id],
                )
                .await?
                .map(|r| r.get(0));
            let seen = c
                .query(
                    "SELECT door FROM doors_seen WHERE venue_id = $1",
                    &[&venue_id],
                )
                .await?
                .iter()
                .map(|r| r.get(0))
                .collect();
            Ok((registered, seen))
        })
    }

    fn answers(&self) -> Result<(), LedgerError> {
        self.runtime.block_on(crate::pg::answers(&self.pool))
    }

    fn insert_webhook(&self, h: &Webhook) -> Result<i64, LedgerError> {
        self.run(async |c| {
            let row = c
                .query_one(
                    "INSERT INTO webhooks (url, venue_id, division, secret)
                     VALUES ($1, $2, $3, $4) RETURNING id",
                    &[&h.url, &h.venue_id, &h.division, &h.secret],
                )
                .await?;
            Ok(row.get(0))
        })
    }

    fn webhooks(&self) -> Result<Vec<Webhook>, LedgerError> {
        self.run(async |c| {
            Ok(c.query(
                "SELECT id, url, venue_id, division, secret FROM webhooks ORDER BY id",
                &[],
            )
            .await?
            .iter()
            .map(|r| Webhook {
                id: r.get(0),
                url: r.get(1),
                venue_id: r.get(2),
                division: r.get(3),
                secret: r.get(4),
            })
            .collect())
        })
    }

    fn delete_webhook(&self, id: i64) -> Result<bool, LedgerError> {
        self.run(async |c| {
            let n = c
                .execute("DELETE FROM webhooks WHERE id = $1", &[&id])
                .await?;
            Ok(n == 1)
        })
    }

    fn put_list(
        &self,
        list: &PublishedList,
        replaces: Option<&str>,
    ) -> Result<Option<i64>, LedgerError> {
        self.run(async |c| {
            let tx = c.transaction().await?;
            // Publications are numbered one at a time, across nodes.
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LISTS_LOCK])
                .await?;
            let current: Option<String> = tx
                .query_opt("SELECT etag FROM lists WHERE kind = $1", &[&list.kind])
                .await?
                .map(|r| r.get(0));
            if current.as_deref() != replaces {
                return Ok(None);
            }
            let version: i64 = tx
                .query_one("SELECT COALESCE(MAX(version), 0) + 1 FROM lists", &[])
                .await?
                .get(0);
            let (from, delta) = list.delta.as_ref().map(|(f, d)| (f, d)).unzip();
            tx.execute(
                "INSERT INTO lists (kind, bytes, etag, delta_from, delta, version)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (kind) DO UPDATE SET bytes = EXCLUDED.bytes, etag = EXCLUDED.etag,
                     delta_from = EXCLUDED.delta_from, delta = EXCLUDED.delta,
                     version = EXCLUDED.version",
                &[&list.kind, &list.bytes, &list.etag, &from, &delta, &version],
            )
            .await?;
            tx.commit().await?;
            Ok(Some(version))
        })
    }

    fn delete_lists(&self, kinds: &[&str]) -> Result<u64, LedgerError> {
        self.run(async |c| {
            Ok(
                c.execute("DELETE FROM lists WHERE kind = ANY($1)", &[&kinds])
                    .await?,
            )
        })
    }

    fn lists_version(&self) -> Result<i64, LedgerError> {
        self.run(async |c| {
            Ok(
                c.query_one("SELECT COALESCE(MAX(version), 0) FROM lists", &[])
                    .await?
                    .get(0),
            )
        })
    }

    fn lists(&self) -> Result<Vec<PublishedList>, LedgerError> {
        self.run(async |c| {
            Ok(c.query(
                "SELECT kind, bytes, etag, delta_from, delta, version FROM lists ORDER BY kind",
                &[],
            )
            .await?
            .iter()
            .map(|r| {
                let from: Option<String> = r.get(3);
                let delta: Option<Vec<u8>> = r.get(4);
                PublishedList {
                    kind: r.get(0),
                    bytes: r.get(1),
                    etag: r.get(2),
                    delta: from.zip(delta),
                    version: r.get(5),
                }
            })
            .collect())
        })
    }
}
