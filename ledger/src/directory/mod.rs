//! Who may use the records service: accounts (the authority, district offices, venue managers,
//! gate devices), their API tokens and the page's sessions, the venues the service knows (which
//! district each belongs to), the registry and the doors seen, and the webhooks. One SQLite file,
//! `service.sqlite`, beside the ledger, or (feature `postgres`) tables in the city's PostgreSQL
//! database; the service and the command line reach it only through this module (no SQL above
//! the ledger), and `ledger/tests/directory.rs` holds both kinds to the same rules.
//!
//! Tokens and session cookies are 32 random bytes shown once; only their SHA-256 is stored, so a
//! copy of the file gives no one a way in.

#[cfg(feature = "postgres")]
mod postgres;
mod sqlite;

use crate::LedgerError;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::path::Path;
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
    /// One holder of a personal code, on a node that plays the health-code system's part: gets
    /// its own current dynamic code (SPEC.md §16.8), reads nothing else. Its scope is its holder
    /// token, masked name and masked ID number ([`Account::holder`]), never the raw values.
    Holder,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 5] = [
        Role::Authority,
        Role::District,
        Role::Manager,
        Role::Gate,
        Role::Holder,
    ];

    /// Its name, as the command line and the JSON write it.
    pub fn name(self) -> &'static str {
        match self {
            Role::Authority => "authority",
            Role::District => "district",
            Role::Manager => "manager",
            Role::Gate => "gate",
            Role::Holder => "holder",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = LedgerError;
    fn from_str(s: &str) -> Result<Self, LedgerError> {
        Role::ALL
            .into_iter()
            .find(|r| r.name() == s)
            .ok_or_else(|| {
                invalid(
                    "role",
                    "expected authority, district, manager, gate or holder",
                )
            })
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

/// Checks a webhook's URL: `https://` or `http://` and a host, printable ASCII, at most 2,048
/// bytes, a port (if any) that is one.
pub fn check_url(url: &str) -> Result<(), LedgerError> {
    let authority = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .map(|rest| rest.split(['/', '?', '#']).next().unwrap_or_default());
    let ok = url.len() <= 2048
        && url.bytes().all(|b| b.is_ascii_graphic())
        && authority.is_some_and(|a| {
            // An IPv6 host is bracketed: its colons are not the port's.
            let (host, port) = match a.strip_prefix('[').and_then(|v6| v6.split_once(']')) {
                // After the bracket, nothing or a port (anything else is no port).
                Some((host, "")) => (host, None),
                Some((host, rest)) => (host, Some(rest.strip_prefix(':').unwrap_or(rest))),
                None => match a.rsplit_once(':') {
                    Some((host, port)) => (host, Some(port)),
                    None => (a, None),
                },
            };
            !host.is_empty() && !host.contains('@') && port.is_none_or(|p| p.parse::<u16>().is_ok())
        });
    if ok {
        Ok(())
    } else {
        Err(invalid("url", "an https:// or http:// URL with a host"))
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
    /// A holder's account: the holder token of `id` (the authority's `tokens` key makes it),
    /// and the name and ID number masked at once, as a personal code carries them.
    pub fn holder(
        account: &str,
        name: &str,
        id: &venuecode::id::IdNumber,
        tokens: &venuecode::token::TokenKey,
    ) -> Result<Account, LedgerError> {
        // The bound a personal code's issuer puts on the name before masking it.
        venuecode::text::check(name.trim(), 3 * venuecode::person::MAX_NAME_LEN)
            .map_err(|reason| invalid("name", reason))?;
        Ok(Account {
            name: account.to_owned(),
            role: Role::Holder,
            scope: vec![
                tokens.token(id).to_string(),
                venuecode::mask::mask_name(name.trim()),
                venuecode::mask::mask_id_number(id),
            ],
            doors: Vec::new(),
            revoked: false,
        })
    }

    /// A holder account's token, masked name and masked ID number; `None` for any other.
    pub fn holder_of(&self) -> Option<(venuecode::token::HolderToken, &str, &str)> {
        let [token, name, id] = self.scope.as_slice() else {
            return None;
        };
        let token = venuecode::token::HolderToken::from_hex(token).ok()?;
        (self.role == Role::Holder
            && venuecode::mask::is_masked_name(name)
            && venuecode::mask::is_masked_id_number(id))
        .then_some((token, name.as_str(), id.as_str()))
    }

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
            Role::Holder => self.holder_of().is_some() && self.doors.is_empty(),
        };
        if ok {
            Ok(())
        } else {
            Err(invalid(
                "scope",
                "the authority has none; a district names divisions (2, 4 or 6 digits), a \
                 manager venues, a gate one venue (and optionally doors), a holder its token, \
                 masked name and masked ID number",
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

/// Where the directory's tables are: what each kind of database does, without the rules
/// (checks, tokens, digests, expiry), which [`Directory`] applies once for both.
pub(crate) trait Tables: Send + Sync {
    /// Adds an account; `false` if the name is taken.
    fn insert_account(&self, account: &Account, now: i64) -> Result<bool, LedgerError>;
    /// Adds a token digest to a live account; `false` if there is none of that name.
    fn insert_token(&self, name: &str, hash: &str, now: i64) -> Result<bool, LedgerError>;
    /// Revokes an account and deletes its sessions; `false` if there is none of that name.
    fn revoke_account(&self, name: &str) -> Result<bool, LedgerError>;
    /// Revokes a token by digest and deletes the sessions it opened; `false` if there is none.
    fn revoke_token(&self, hash: &str) -> Result<bool, LedgerError>;
    /// Every account, by name.
    fn accounts(&self) -> Result<Vec<Account>, LedgerError>;
    /// The live account of a live token's digest.
    fn by_token(&self, hash: &str) -> Result<Option<Account>, LedgerError>;
    /// Deletes the sessions expired at `now`, adds one for the named account, then deletes
    /// that account's sessions past its [`MAX_SESSIONS`] newest.
    fn insert_session(&self, session: &NewSession<'_>, now: i64) -> Result<(), LedgerError>;
    /// The live account and CSRF token of a session's digest, unexpired at `now`.
    fn by_session(&self, hash: &str, now: i64) -> Result<Option<(Account, String)>, LedgerError>;
    /// Deletes a session by digest.
    fn delete_session(&self, hash: &str) -> Result<(), LedgerError>;
    /// Adds a venue if it is not known; gives the division it is known in (its own, if new).
    fn place_venue(&self, venue: &KnownVenue) -> Result<u32, LedgerError>;
    /// A known venue.
    fn venue(&self, venue_id: &str) -> Result<Option<KnownVenue>, LedgerError>;
    /// Replaces the registry (all or none), and places each of its venues in its division.
    fn replace_registry(&self, venues: &[RegisteredVenue]) -> Result<(), LedgerError>;
    /// The registry, by venue id.
    fn registry(&self) -> Result<Vec<RegisteredVenue>, LedgerError>;
    /// Notes a door (once).
    fn note_door(&self, venue_id: &str, door: &str) -> Result<(), LedgerError>;
    /// Every door noted.
    fn doors_seen(&self) -> Result<BTreeSet<(String, String)>, LedgerError>;
    /// A venue's doors in the registry (its stored list, if it is there) and those noted.
    fn doors_of(&self, venue_id: &str) -> Result<(Option<String>, Vec<String>), LedgerError>;
    /// Whether the database answers.
    fn answers(&self) -> Result<(), LedgerError>;
    /// Adds a webhook (checked); gives its id.
    fn insert_webhook(&self, hook: &Webhook) -> Result<i64, LedgerError>;
    /// Every webhook, by id.
    fn webhooks(&self) -> Result<Vec<Webhook>, LedgerError>;
    /// Deletes a webhook; `false` if there is none.
    fn delete_webhook(&self, id: i64) -> Result<bool, LedgerError>;
    /// Stores a list as its kind's current one, numbered one past the highest publication,
    /// if the kind's current one is `replaces` (its ETag; `None`: there is none); gives the
    /// number, or `None` if another publication came first.
    fn put_list(
        &self,
        list: &PublishedList,
        replaces: Option<&str>,
    ) -> Result<Option<i64>, LedgerError>;
    /// The highest publication's number (0: none).
    fn lists_version(&self) -> Result<i64, LedgerError>;
    /// Every kind's current list.
    fn lists(&self) -> Result<Vec<PublishedList>, LedgerError>;
    /// Deletes the lists of these kinds; gives how many there were.
    fn delete_lists(&self, kinds: &[&str]) -> Result<u64, LedgerError>;
}

/// A list as published, once for every node: its bytes, its ETag and (a status list that
/// replaced one of the slot layout) the delta from the one it replaced, all worked out at
/// publication, never per request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedList {
    /// Its kind's name (`trust`, `status`, `revocations`, `policy`).
    pub kind: String,
    /// The signed list.
    pub bytes: Vec<u8>,
    /// Its ETag (quoted).
    pub etag: String,
    /// The ETag of the list it replaced, and the delta from that one.
    pub delta: Option<(String, Vec<u8>)>,
    /// The directory's number of its publication (set when stored): a node that holds a lower
    /// one reads the lists again.
    pub version: i64,
}

/// A page session to be stored.
pub(crate) struct NewSession<'a> {
    pub(crate) account: &'a str,
    /// The digest of the token that opened it: revoking the token ends it.
    pub(crate) token: &'a str,
    pub(crate) hash: &'a str,
    pub(crate) csrf: &'a str,
    pub(crate) expires: i64,
}

/// The directory: accounts and their tokens and sessions, the venues known, the registry and
/// the doors seen, the webhooks. In `service.sqlite` beside the ledger, or (feature
/// `postgres`) in the city's PostgreSQL database, where every node of the service shares it.
/// A clone is the same directory.
#[derive(Clone)]
pub struct Directory {
    tables: std::sync::Arc<dyn Tables>,
}

/// How long a page session lasts: 8 hours (a working day), then the manager logs in again.
pub const SESSION_SECS: i64 = 8 * 3600;

/// The most page sessions one account keeps: a login past them ends its oldest.
pub const MAX_SESSIONS: i64 = 16;

/// What a token or cookie is, as given: `vct_` and 64 hex digits.
const TOKEN_PREFIX: &str = "vct_";

fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A stored list of names (JSON); a value that is not one reads as none.
fn list(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

/// A list of names as stored.
fn list_text(names: &[String]) -> String {
    serde_json::to_string(names).unwrap_or_default()
}

impl Directory {
    /// Opens (or creates, owner-only) the directory file.
    pub fn open(path: &Path) -> Result<Self, LedgerError> {
        Ok(Directory {
            tables: std::sync::Arc::new(sqlite::SqliteTables::open(path)?),
        })
    }

    /// Opens the directory in the PostgreSQL database a libpq connection string or URL names
    /// (its tables created if missing). Its connection runs on `runtime`; every call waits on
    /// it, so calls belong on a thread that may block (not an async task), as with SQLite.
    #[cfg(feature = "postgres")]
    pub fn open_postgres(url: &str, runtime: tokio::runtime::Handle) -> Result<Self, LedgerError> {
        Ok(Directory {
            tables: std::sync::Arc::new(postgres::PgTables::open(url, runtime)?),
        })
    }

    /// Creates an account (checked first) and gives its first token, shown once.
    pub fn create(&self, account: &Account, now: Timestamp) -> Result<String, LedgerError> {
        account.check()?;
        if !self.tables.insert_account(account, now.unix())? {
            return Err(LedgerError::Exists("an account of that name"));
        }
        self.issue(&account.name, now)
    }

    /// A new token for an account (its other tokens keep working).
    pub fn issue(&self, name: &str, now: Timestamp) -> Result<String, LedgerError> {
        let token = format!("{TOKEN_PREFIX}{}", crate::random_hex()?);
        if !self
            .tables
            .insert_token(name, &digest(&token), now.unix())?
        {
            return Err(LedgerError::NotFound("no such account"));
        }
        Ok(token)
    }

    /// Revokes an account: its tokens and sessions stop working at once.
    pub fn revoke(&self, name: &str) -> Result<(), LedgerError> {
        if !self.tables.revoke_account(name)? {
            return Err(LedgerError::NotFound("no such account"));
        }
        Ok(())
    }

    /// Revokes one token (as given), leaving the account's others; the page sessions it
    /// opened end with it.
    pub fn revoke_token(&self, token: &str) -> Result<(), LedgerError> {
        if !self.tables.revoke_token(&digest(token.trim()))? {
            return Err(LedgerError::NotFound("no such token"));
        }
        Ok(())
    }

    /// Every account, by name.
    pub fn accounts(&self) -> Result<Vec<Account>, LedgerError> {
        self.tables.accounts()
    }

    /// The account a bearer token opens, if it is a live token of a live account.
    pub fn by_token(&self, token: &str) -> Result<Option<Account>, LedgerError> {
        if !token.starts_with(TOKEN_PREFIX) || token.len() != TOKEN_PREFIX.len() + 64 {
            return Ok(None);
        }
        self.tables.by_token(&digest(token))
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
        let session = NewSession {
            account: &account.name,
            token: &digest(token),
            hash: &digest(&cookie),
            csrf: &csrf,
            expires: now.unix() + SESSION_SECS,
        };
        self.tables.insert_session(&session, now.unix())?;
        Ok(Some((cookie, csrf)))
    }

    /// The account and CSRF token of a live session cookie.
    pub fn by_session(
        &self,
        cookie: &str,
        now: Timestamp,
    ) -> Result<Option<(Account, String)>, LedgerError> {
        self.tables.by_session(&digest(cookie), now.unix())
    }

    /// Ends a session.
    pub fn logout(&self, cookie: &str) -> Result<(), LedgerError> {
        self.tables.delete_session(&digest(cookie))
    }

    /// Places the venue a verified code names. A venue's division is the authority's: the
    /// registry's, or (for a venue the registry does not hold yet) its first code's. A code
    /// that places a known venue elsewhere is refused (`DivisionMismatch`) and changes nothing:
    /// a key scoped to one district signs only codes of its divisions, but names any venue id.
    pub fn place_venue(&self, venue: &KnownVenue) -> Result<(), LedgerError> {
        if self.tables.place_venue(venue)? != venue.division {
            return Err(LedgerError::DivisionMismatch(venue.venue_id.clone()));
        }
        Ok(())
    }

    /// A known venue.
    pub fn venue(&self, venue_id: &str) -> Result<Option<KnownVenue>, LedgerError> {
        self.tables.venue(venue_id)
    }

    /// Replaces the registry with these venues (all or none), and places each venue in the
    /// registry's division, moving one that a code placed elsewhere.
    pub fn import_registry(&self, venues: &[RegisteredVenue]) -> Result<(), LedgerError> {
        self.tables.replace_registry(venues)
    }

    /// The registry.
    pub fn registry(&self) -> Result<Vec<RegisteredVenue>, LedgerError> {
        self.tables.registry()
    }

    /// Notes that a door's code verified here.
    pub fn note_door(&self, venue_id: &str, door: &str) -> Result<(), LedgerError> {
        self.tables.note_door(venue_id, door)
    }

    /// Every door whose code verified here, as (venue, door).
    pub fn doors_seen(&self) -> Result<BTreeSet<(String, String)>, LedgerError> {
        self.tables.doors_seen()
    }

    /// Publishes a list as its kind's current one, for every node, if the current one is still
    /// `replaces` (its ETag; `None`: there is none yet); `Exists` if another node published one
    /// meanwhile (read the lists again, then decide). Gives the publication's number.
    pub fn publish_list(
        &self,
        list: &PublishedList,
        replaces: Option<&str>,
    ) -> Result<i64, LedgerError> {
        self.tables
            .put_list(list, replaces)?
            .ok_or(LedgerError::Exists("a newer list of that kind"))
    }

    /// The number of the latest publication of any list (0: none): cheap, for nodes that ask
    /// often whether to read the lists again.
    pub fn lists_version(&self) -> Result<i64, LedgerError> {
        self.tables.lists_version()
    }

    /// Every kind's current list.
    pub fn lists(&self) -> Result<Vec<PublishedList>, LedgerError> {
        self.tables.lists()
    }

    /// The end of use: deletes the lists that name holders (the status list and the
    /// revocation list, by holder token); gives how many there were. The trust list and the
    /// rule set name no one and stay.
    pub fn end_of_use(&self) -> Result<u64, LedgerError> {
        self.tables.delete_lists(&["status", "revocations"])
    }

    /// Whether the directory's database answers (what a health check asks; an error says why
    /// not).
    pub fn answers(&self) -> Result<(), LedgerError> {
        self.tables.answers()
    }

    /// A venue's known doors: the registry's and those whose signed code verified here (what
    /// a gate account with no doors of its own may upload records of).
    pub fn doors_of(&self, venue_id: &str) -> Result<BTreeSet<String>, LedgerError> {
        let (registered, seen) = self.tables.doors_of(venue_id)?;
        let mut doors: BTreeSet<String> = registered
            .as_deref()
            .map(list)
            .unwrap_or_default()
            .into_iter()
            .collect();
        doors.extend(seen);
        Ok(doors)
    }

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
        let mut hook = Webhook {
            id: 0,
            url: url.to_owned(),
            venue_id: venue_id.map(str::to_owned),
            division: division.map(str::to_owned),
            secret: crate::random_hex()?,
        };
        hook.id = self.tables.insert_webhook(&hook)?;
        Ok(hook)
    }

    /// Every webhook.
    pub fn webhooks(&self) -> Result<Vec<Webhook>, LedgerError> {
        self.tables.webhooks()
    }

    /// Removes a webhook.
    pub fn remove_webhook(&self, id: i64) -> Result<(), LedgerError> {
        if !self.tables.delete_webhook(id)? {
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
    if out.is_empty() {
        // A registry replaces the one before whole: an empty one would wipe it.
        return Err(invalid(
            "registry",
            "no venue; a registry replaces the one before whole, so an empty one is refused",
        ));
    }
    Ok(out)
}

/// An account as stored: its role by name, its scope and doors as lists.
fn account_of(
    name: String,
    role: &str,
    scope: &str,
    doors: &str,
    revoked: bool,
) -> Result<Account, LedgerError> {
    Ok(Account {
        name,
        role: role.parse()?,
        scope: list(scope),
        doors: list(doors),
        revoked,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_holder_account_is_its_token_and_masks() {
        let id = venuecode::id::IdNumber::parse("11010519491231002X").unwrap();
        let key = venuecode::token::TokenKey::from_bytes([7; 32]);
        let a = Account::holder("h", "张三丰", &id, &key).unwrap();
        a.check().unwrap();
        let (token, name, masked) = a.holder_of().unwrap();
        assert_eq!(token, key.token(&id));
        assert_eq!((name, masked), ("张*丰", "110105********00**"));
        // Anything else in a holder's scope is refused: a raw name, a raw ID number, no token.
        let t = token.to_string();
        for scope in [
            vec![t.clone(), "张三丰".into(), masked.into()],
            vec![t.clone(), name.into(), "11010519491231002X".into()],
            vec!["x".into(), name.into(), masked.into()],
            vec![t],
        ] {
            let bad = Account { scope, ..a.clone() };
            assert!(bad.check().is_err(), "{:?}", bad.scope);
        }
        // A manager with a holder's scope is no holder.
        let manager = Account {
            role: Role::Manager,
            ..a.clone()
        };
        assert!(manager.holder_of().is_none());
    }

    #[test]
    fn a_webhook_url_is_https_or_http_to_a_host() {
        for good in [
            "https://receiver.example/hook",
            "https://[2001:db8::1]:8443/hook",
            "https://[2001:db8::1]/hook",
            "http://127.0.0.1:8080/hook",
            "http://receiver.example/reports?venue=1",
            "http://h",
        ] {
            assert!(check_url(good).is_ok(), "{good}");
        }
        let long = format!("http://h/{}", "a".repeat(2048));
        for bad in [
            "https://",
            "https://user@h/",
            "https://[2001:db8::1]junk/",
            "https://[]:80/",
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
        let e = check_url("ftp://secret-receiver.example/hook").unwrap_err();
        assert!(!e.to_string().contains("secret-receiver"), "{e}");
    }
}
