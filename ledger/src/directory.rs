//! Who may use the records service: accounts (the authority, district offices, venue managers,
//! gate devices), their API tokens and the page's sessions, the venues the service knows (which
//! district each belongs to), the registry and the doors seen, and the webhooks. One SQLite file,
//! `service.sqlite`, beside the ledger; the service and the command line reach it only through
//! this module (no SQL above the ledger).
//!
//! Tokens and session cookies are 32 random bytes shown once; only their SHA-256 is stored, so a
//! copy of the file gives no one a way in.

use crate::LedgerError;
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Mutex;
use venuecode::Timestamp;
use venuecode::record::coverage::RegisteredVenue;

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Role {
    /// The health authority: every venue, every district, the trace queries, the lists.
    Authority,
    /// A district office: the venues of its divisions, and their coverage.
    District,
    /// A venue's manager: the records of its venues, desensitised.
    Manager,
    /// A gate or desk device: uploads the records of its venue's doors, reads nothing.
    Gate,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 4] = [Role::Authority, Role::District, Role::Manager, Role::Gate];

    /// Its name, as the command line and the JSON write it.
    pub fn name(self) -> &'static str {
        match self {
            Role::Authority => "authority",
            Role::District => "district",
            Role::Manager => "manager",
            Role::Gate => "gate",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = LedgerError;
    fn from_str(s: &str) -> Result<Self, LedgerError> {
        Role::ALL
            .into_iter()
            .find(|r| r.name() == s)
            .ok_or_else(|| invalid("role", "expected authority, district, manager or gate"))
    }
}

/// A field refused (`invalid_input`); the reason never quotes the value.
fn invalid(field: &'static str, reason: impl Into<String>) -> LedgerError {
    LedgerError::Core(venuecode::Error::InvalidInput {
        field,
        reason: reason.into(),
    })
}

/// A webhook: where reports go, for which venue or division, under which secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Webhook {
    /// Its id.
    pub id: i64,
    /// `http://host[:port]/path`.
    pub url: String,
    /// A venue's reports, or (if none) a division's.
    pub venue_id: Option<String>,
    /// A division (2, 4 or 6 digits).
    pub division: Option<String>,
    /// The HMAC key, hex (not serialised).
    #[serde(skip)]
    pub secret: String,
}

/// Checks a webhook's URL: `http://` and a host (a TLS proxy in front of an https receiver),
/// printable ASCII, at most 2,048 bytes, a port (if any) that is one.
pub fn check_url(url: &str) -> Result<(), LedgerError> {
    let authority = url
        .strip_prefix("http://")
        .map(|rest| rest.split(['/', '?', '#']).next().unwrap_or_default());
    let ok = url.len() <= 2048
        && url.bytes().all(|b| b.is_ascii_graphic())
        && authority.is_some_and(|a| {
            let (host, port) = match a.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (a, None),
            };
            !host.is_empty() && !host.contains('@') && port.is_none_or(|p| p.parse::<u16>().is_ok())
        });
    if ok {
        Ok(())
    } else {
        Err(invalid(
            "url",
            "an http:// URL with a host (a TLS proxy in front of an https receiver)",
        ))
    }
}

/// An account, without its secrets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    /// Its unique name (`pudong-office`, `gate-SH-PT-0018-east`).
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// A district's divisions (2, 4 or 6 digits), a manager's venues, a gate's one venue;
    /// empty for the authority.
    pub scope: Vec<String>,
    /// A gate's doors (empty: every door of its venue).
    pub doors: Vec<String>,
    /// Whether it was revoked (its tokens and sessions no longer work).
    pub revoked: bool,
}

impl Account {
    /// Checks that an account's scope fits its role before it is created.
    pub fn check(&self) -> Result<(), LedgerError> {
        let bounded =
            |v: &[String]| v.len() <= 256 && v.iter().all(|s| !s.is_empty() && s.len() <= 256);
        if self.name.is_empty()
            || self.name.len() > 64
            || !self.name.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(invalid("name", "1 to 64 printable ASCII characters"));
        }
        if !bounded(&self.scope) || !bounded(&self.doors) {
            return Err(invalid("scope", "at most 256 entries of 1 to 256 bytes"));
        }
        let ok = match self.role {
            Role::Authority => self.scope.is_empty() && self.doors.is_empty(),
            Role::District => {
                !self.scope.is_empty()
                    && self.scope.iter().all(|d| venuecode::is_division_scope(d))
                    && self.doors.is_empty()
            }
            Role::Manager => !self.scope.is_empty() && self.doors.is_empty(),
            Role::Gate => self.scope.len() == 1,
        };
        if ok {
            Ok(())
        } else {
            Err(invalid(
                "scope",
                "the authority has none; a district names divisions (2, 4 or 6 digits), a \
                 manager venues, a gate one venue (and optionally doors)",
            ))
        }
    }
}

/// A venue the service knows: from a verified venue code, a gate account or the registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KnownVenue {
    /// The registry number.
    pub venue_id: String,
    /// Its six-digit division.
    pub division: u32,
    /// Its name.
    pub name: String,
}

/// The accounts file.
pub struct Directory {
    conn: Mutex<Connection>,
}

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
    expires INTEGER NOT NULL
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
";

/// How long a page session lasts: 8 hours (a working day), then the manager logs in again.
pub const SESSION_SECS: i64 = 8 * 3600;

/// What a token or cookie is, as given: `vct_` and 64 hex digits.
const TOKEN_PREFIX: &str = "vct_";

fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

fn list(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

impl Directory {
    /// Opens (or creates, owner-only) the accounts file.
    pub fn open(path: &Path) -> Result<Self, LedgerError> {
        crate::create_private(path)?;
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA)?;
        Ok(Directory {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding it leaves SQLite consistent (transactions roll back).
        self.conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Creates an account (checked first) and gives its first token, shown once.
    pub fn create(&self, account: &Account, now: Timestamp) -> Result<String, LedgerError> {
        account.check()?;
        let conn = self.conn();
        let added = conn.execute(
            "INSERT OR IGNORE INTO accounts (name, role, scope, doors, created)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            rusqlite::params![
                account.name,
                account.role.name(),
                serde_json::to_string(&account.scope).unwrap_or_default(),
                serde_json::to_string(&account.doors).unwrap_or_default(),
                now.unix(),
            ],
        )?;
        if added == 0 {
            return Err(LedgerError::Exists("an account of that name"));
        }
        drop(conn);
        self.issue(&account.name, now)
    }

    /// A new token for an account (its other tokens keep working).
    pub fn issue(&self, name: &str, now: Timestamp) -> Result<String, LedgerError> {
        let conn = self.conn();
        let id: i64 = conn
            .query_row(
                "SELECT id FROM accounts WHERE name = ?1 AND revoked = 0",
                [name],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| LedgerError::NotFound("no such account"))?;
        let token = format!("{TOKEN_PREFIX}{}", crate::random_hex()?);
        conn.execute(
            "INSERT INTO tokens (hash, account, created) VALUES (?1, ?2, ?3)",
            rusqlite::params![digest(&token), id, now.unix()],
        )?;
        Ok(token)
    }

    /// Revokes an account: its tokens and sessions stop working at once.
    pub fn revoke(&self, name: &str) -> Result<(), LedgerError> {
        let conn = self.conn();
        let n = conn.execute("UPDATE accounts SET revoked = 1 WHERE name = ?1", [name])?;
        if n == 0 {
            return Err(LedgerError::NotFound("no such account"));
        }
        conn.execute(
            "DELETE FROM sessions WHERE account = (SELECT id FROM accounts WHERE name = ?1)",
            [name],
        )?;
        Ok(())
    }

    /// Revokes one token (as given), leaving the account's others.
    pub fn revoke_token(&self, token: &str) -> Result<(), LedgerError> {
        let n = self.conn().execute(
            "UPDATE tokens SET revoked = 1 WHERE hash = ?1",
            [digest(token.trim())],
        )?;
        if n == 0 {
            return Err(LedgerError::NotFound("no such token"));
        }
        Ok(())
    }

    /// Every account, by name.
    pub fn accounts(&self) -> Result<Vec<Account>, LedgerError> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare("SELECT name, role, scope, doors, revoked FROM accounts ORDER BY name")?;
        let rows = stmt.query_map([], account_of)?;
        let mut out = Vec::new();
        for r in rows {
            out.push(r??);
        }
        Ok(out)
    }

    /// The account a bearer token opens, if it is a live token of a live account.
    pub fn by_token(&self, token: &str) -> Result<Option<Account>, LedgerError> {
        if !token.starts_with(TOKEN_PREFIX) || token.len() != TOKEN_PREFIX.len() + 64 {
            return Ok(None);
        }
        self.conn()
            .query_row(
                "SELECT a.name, a.role, a.scope, a.doors, a.revoked FROM tokens t
                 JOIN accounts a ON a.id = t.account
                 WHERE t.hash = ?1 AND t.revoked = 0 AND a.revoked = 0",
                [digest(token)],
                account_of,
            )
            .optional()?
            .transpose()
    }

    /// A page session for the account a token opens: the cookie's value and the session's CSRF
    /// token (the page sends it back with every change it asks for).
    pub fn login(
        &self,
        token: &str,
        now: Timestamp,
    ) -> Result<Option<(String, String)>, LedgerError> {
        let Some(account) = self.by_token(token)? else {
            return Ok(None);
        };
        let (cookie, csrf) = (
            format!("{TOKEN_PREFIX}{}", crate::random_hex()?),
            crate::random_hex()?,
        );
        let conn = self.conn();
        conn.execute("DELETE FROM sessions WHERE expires <= ?1", [now.unix()])?;
        conn.execute(
            "INSERT INTO sessions (hash, account, csrf, expires)
             SELECT ?1, id, ?2, ?3 FROM accounts WHERE name = ?4",
            rusqlite::params![
                digest(&cookie),
                csrf,
                now.unix() + SESSION_SECS,
                account.name
            ],
        )?;
        Ok(Some((cookie, csrf)))
    }

    /// The account and CSRF token of a live session cookie.
    pub fn by_session(
        &self,
        cookie: &str,
        now: Timestamp,
    ) -> Result<Option<(Account, String)>, LedgerError> {
        let found = self
            .conn()
            .query_row(
                "SELECT a.name, a.role, a.scope, a.doors, a.revoked, s.csrf FROM sessions s
                 JOIN accounts a ON a.id = s.account
                 WHERE s.hash = ?1 AND s.expires > ?2 AND a.revoked = 0",
                rusqlite::params![digest(cookie), now.unix()],
                |r| Ok((account_of(r)?, r.get::<_, String>(5)?)),
            )
            .optional()?;
        match found {
            Some((account, csrf)) => Ok(Some((account?, csrf))),
            None => Ok(None),
        }
    }

    /// Ends a session.
    pub fn logout(&self, cookie: &str) -> Result<(), LedgerError> {
        self.conn()
            .execute("DELETE FROM sessions WHERE hash = ?1", [digest(cookie)])?;
        Ok(())
    }

    /// Notes a venue and its division (from a verified code): what was known is replaced.
    pub fn note_venue(&self, venue: &KnownVenue) -> Result<(), LedgerError> {
        self.conn().execute(
            "INSERT INTO venues (venue_id, division, name) VALUES (?1, ?2, ?3)
             ON CONFLICT (venue_id) DO UPDATE SET division = excluded.division,
                 name = excluded.name",
            rusqlite::params![venue.venue_id, venue.division, venue.name],
        )?;
        Ok(())
    }

    /// A known venue.
    pub fn venue(&self, venue_id: &str) -> Result<Option<KnownVenue>, LedgerError> {
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
}

impl Directory {
    /// Replaces the registry with these venues (all or none), and notes each venue's division.
    pub fn import_registry(&self, venues: &[RegisteredVenue]) -> Result<(), LedgerError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute("DELETE FROM registry", [])?;
        for v in venues {
            tx.execute(
                "INSERT INTO registry (venue_id, name, division, doors) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (venue_id) DO UPDATE SET name = excluded.name,
                     division = excluded.division, doors = excluded.doors",
                rusqlite::params![
                    v.venue_id,
                    v.name,
                    v.division,
                    serde_json::to_string(&v.doors).unwrap_or_default()
                ],
            )?;
            tx.execute(
                // A venue a verified code placed keeps that division.
                "INSERT INTO venues (venue_id, division, name) VALUES (?1, ?2, ?3)
                 ON CONFLICT (venue_id) DO NOTHING",
                rusqlite::params![v.venue_id, v.division, v.name],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The registry.
    pub fn registry(&self) -> Result<Vec<RegisteredVenue>, LedgerError> {
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

    /// Notes that a door's code verified here.
    pub fn note_door(&self, venue_id: &str, door: &str) -> Result<(), LedgerError> {
        self.conn().execute(
            "INSERT OR IGNORE INTO doors_seen (venue_id, door) VALUES (?1, ?2)",
            [venue_id, door],
        )?;
        Ok(())
    }

    /// Every door whose code verified here, as (venue, door).
    pub fn doors_seen(&self) -> Result<BTreeSet<(String, String)>, LedgerError> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT venue_id, door FROM doors_seen")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

impl Directory {
    /// Adds a webhook for a venue's or a division's reports; gives it with its new secret.
    pub fn add_webhook(
        &self,
        url: &str,
        venue_id: Option<&str>,
        division: Option<&str>,
    ) -> Result<Webhook, LedgerError> {
        check_url(url)?;
        match (venue_id, division) {
            (Some(v), None) if !v.is_empty() && v.len() <= 256 => {}
            (None, Some(d)) if venuecode::is_division_scope(d) => {}
            _ => {
                return Err(invalid(
                    "scope",
                    "a venue, or a division of 2, 4 or 6 digits",
                ));
            }
        }
        let secret = crate::random_hex()?;
        let conn = self.conn();
        conn.execute(
            "INSERT INTO webhooks (url, venue_id, division, secret) VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![url, venue_id, division, secret],
        )?;
        Ok(Webhook {
            id: conn.last_insert_rowid(),
            url: url.to_owned(),
            venue_id: venue_id.map(str::to_owned),
            division: division.map(str::to_owned),
            secret,
        })
    }

    /// Every webhook.
    pub fn webhooks(&self) -> Result<Vec<Webhook>, LedgerError> {
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

    /// Removes a webhook.
    pub fn remove_webhook(&self, id: i64) -> Result<(), LedgerError> {
        if self
            .conn()
            .execute("DELETE FROM webhooks WHERE id = ?1", [id])?
            == 0
        {
            return Err(LedgerError::NotFound("no such webhook"));
        }
        Ok(())
    }
}

/// Reads a registry CSV: a header `venue_id,name,division,doors`, doors separated by `;`.
pub fn parse_registry(text: &str) -> Result<Vec<RegisteredVenue>, LedgerError> {
    #[derive(Deserialize)]
    struct Row {
        venue_id: String,
        name: String,
        division: String,
        doors: String,
    }
    let mut out = Vec::new();
    for (i, row) in csv::Reader::from_reader(text.as_bytes())
        .deserialize::<Row>()
        .enumerate()
    {
        let line = i + 2;
        let row = row.map_err(|_| {
            invalid(
                "registry",
                format!("line {line}: expected venue_id,name,division,doors"),
            )
        })?;
        let division = row
            .division
            .parse::<venuecode::Division>()
            .map_err(|_| invalid("registry", format!("line {line}: not a division")))?;
        let doors: Vec<String> = row
            .doors
            .split(';')
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(str::to_owned)
            .collect();
        let bounded = |s: &str| !s.is_empty() && s.len() <= 256 && !s.chars().any(char::is_control);
        if !bounded(&row.venue_id)
            || !bounded(&row.name)
            || doors.is_empty()
            || !doors.iter().all(|d| bounded(d))
        {
            return Err(invalid(
                "registry",
                format!(
                    "line {line}: a venue id, a name and at least one door, each 1 to 256 bytes"
                ),
            ));
        }
        out.push(RegisteredVenue {
            venue_id: row.venue_id,
            name: row.name,
            division: division.code(),
            doors,
        });
    }
    Ok(out)
}

fn account_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<Result<Account, LedgerError>> {
    let (name, role, scope, doors, revoked): (String, String, String, String, i64) =
        (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?);
    Ok(role.parse::<Role>().map(|role| Account {
        name,
        role,
        scope: list(&scope),
        doors: list(&doors),
        revoked: revoked != 0,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_webhook_url_is_plain_http_to_a_host() {
        for good in [
            "http://127.0.0.1:8080/hook",
            "http://receiver.example/reports?venue=1",
            "http://h",
        ] {
            assert!(check_url(good).is_ok(), "{good}");
        }
        let long = format!("http://h/{}", "a".repeat(2048));
        for bad in [
            "https://receiver.example/hook",
            "http:///path",
            "http://",
            "http://h:99999/",
            "http://h:port/",
            "http://user@h/",
            "http://h/a b",
            "http://h/\u{7f}",
            "http://主机/",
            "ftp://h/",
            long.as_str(),
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
        // The refusal does not quote the URL.
        let e = check_url("https://secret-receiver.example/hook").unwrap_err();
        assert!(!e.to_string().contains("secret-receiver"), "{e}");
    }
}
