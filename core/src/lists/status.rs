//! Status lists: a signed, dated table from holder tokens (or from the slots offline codes carry)
//! to colour and latest test, so a gate without network resolves an offline code's status
//! (SPEC.md §10).
//!
//! ```text
//! payload = count u32, count x entry, sorted by token prefix, strictly ascending
//! entry   = token prefix [8]      ; the first 8 bytes of the holder token
//!           status u8             ; bits 0-1 colour (0 green, 1 yellow, 2 red),
//!                                 ; bits 2-3 test (0 none, 1 negative, 2 positive), 4-7 zero
//!           nat_sampled u32       ; 0 when there is no test; not after the list's issued_at
//! ```
//!
//! 13 bytes a holder: a city of a million fits in 13 MB. Lookup is a binary search over the
//! bytes as received; the list is checked once, when loaded.
//!
//! The **slot layout** (version 0x33, a city of 25 million in 25 MB; ADR 0010) holds one byte a
//! holder, at the slot their offline code carries (`PersonalCode::slot`), so it needs no tokens:
//!
//! ```text
//! payload = count u32, count x symbol u8
//! symbol  = 255: no holder; else colour x 75 + t, colour 0 green, 1 yellow, 2 red, and
//!           t < 72: negative, sampled in the hour h (hours since 1970) with h mod 72 = t, the
//!                   latest such hour not after the list's issued_at (so within 72 hours of it)
//!           t = 72: no test; 73: negative, sampled 72 hours or more before; 74: positive
//! ```

use crate::codes::person::PersonalCode;
use crate::encoding::timestamp::Timestamp;
use crate::error::{Error, FormatError};
use crate::health::{Colour, HealthStatus, NatResult, NatTest};
use crate::keys::key::SecretKey;
use crate::keys::trust::KeyProvider;
use crate::kid::KeyId;
use crate::lists::sealed::{self, MAX_LIST_BYTES, Seal};
use crate::lists::serial::{Accepted, ListKind};
use crate::privacy::token::HolderToken;

const ENTRY: usize = 13;

/// A holder's status and the instant it describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct StatusAnswer {
    /// The status (its fields `colour`, `nat` inline in JSON).
    #[serde(flatten)]
    pub status: HealthStatus,
    /// As of when (a status list's issued_at, or a dynamic code's).
    pub as_of: Timestamp,
}

/// Where a gate learns an offline holder's status: a [`StatusList`], or an integrator's own
/// (online) service.
pub trait StatusSource {
    /// The status of a verified code's holder (by its holder token or its slot), if the source
    /// knows it.
    fn status_of(&self, code: &PersonalCode) -> Option<StatusAnswer>;
}

/// How a personal code's status was resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum Resolved {
    /// Known, and no older than the caller's limit.
    Fresh(StatusAnswer),
    /// Known, but older than the caller's limit: reported, for the policy to decide.
    Stale(StatusAnswer),
    /// No status: an offline code without a source, or a holder the source does not know.
    Unknown,
}

impl Resolved {
    /// The status, fresh or stale; `None` if unknown.
    pub fn answer(&self) -> Option<StatusAnswer> {
        match self {
            Resolved::Fresh(a) | Resolved::Stale(a) => Some(*a),
            Resolved::Unknown => None,
        }
    }
}

/// The status of a verified personal code: a dynamic code's own, or an offline code's from
/// `source`; older than `max_age_secs` at `now` is [`Resolved::Stale`], never silently fresh.
pub fn resolve_status(
    code: &PersonalCode,
    source: Option<&dyn StatusSource>,
    now: Timestamp,
    max_age_secs: i64,
) -> Resolved {
    let answer = match code.status {
        Some(status) => Some(StatusAnswer {
            status,
            as_of: code.issued_at,
        }),
        None => source.and_then(|s| s.status_of(code)),
    };
    match answer {
        None => Resolved::Unknown,
        Some(a) if now.unix().saturating_sub(a.as_of.unix()) > max_age_secs => Resolved::Stale(a),
        Some(a) => Resolved::Fresh(a),
    }
}

/// A verified status list.
#[derive(Debug, Clone)]
pub struct StatusList {
    key_id: KeyId,
    accepted: Accepted,
    divisions: Vec<String>,
    as_of: Timestamp,
    valid_until: Timestamp,
    table: Table,
}

/// The two layouts of a status list's entries.
#[derive(Debug, Clone)]
enum Table {
    /// 13-byte entries sorted by token prefix.
    Tokens(Vec<u8>),
    /// One symbol a slot.
    Slots(Vec<u8>),
}

const HOUR: i64 = 3600;
/// Hours a test's time is kept to the hour in the slot layout.
const CYCLE: i64 = 72;
const NO_TEST: u8 = 72;
const OLD_TEST: u8 = 73;
const POSITIVE: u8 = 74;
const PER_COLOUR: u8 = 75;

/// The slot symbol of a status as of `as_of` (a test after `as_of` is refused).
fn slot_symbol(s: &HealthStatus, as_of: Timestamp) -> Result<u8, Error> {
    let colour = s.colour.code();
    let t = match s.nat {
        None => NO_TEST,
        Some(n) if n.result == NatResult::Positive => POSITIVE,
        Some(n) if n.sampled_at > as_of || n.sampled_at.unix() <= 0 => {
            return Err(Error::InvalidInput {
                field: "nat_sampled",
                reason: "must be after 1970 and not after the list's time".into(),
            });
        }
        Some(n) => {
            let hour = n.sampled_at.unix().div_euclid(HOUR);
            if as_of.unix().div_euclid(HOUR) - hour >= CYCLE {
                OLD_TEST
            } else {
                u8::try_from(hour.rem_euclid(CYCLE)).unwrap_or(OLD_TEST)
            }
        }
    };
    Ok(colour * PER_COLOUR + t)
}

/// The status a slot symbol stands for as of `as_of`: `Some(None)` for no holder, `None` for a
/// symbol that is not one.
fn slot_status(symbol: u8, as_of: Timestamp) -> Option<Option<HealthStatus>> {
    if symbol == crate::lists::delta::NO_HOLDER {
        return Some(None);
    }
    let colour = Colour::from_code(symbol / PER_COLOUR)?;
    let now_hour = as_of.unix().div_euclid(HOUR);
    let at_hour = |hour: i64| Timestamp::from_unix(hour * HOUR);
    let nat = match symbol % PER_COLOUR {
        NO_TEST => None,
        OLD_TEST => Some(NatTest {
            result: NatResult::Negative,
            sampled_at: at_hour(now_hour - CYCLE),
        }),
        POSITIVE => Some(NatTest {
            result: NatResult::Positive,
            sampled_at: as_of,
        }),
        t => Some(NatTest {
            result: NatResult::Negative,
            sampled_at: at_hour(now_hour - (now_hour - i64::from(t)).rem_euclid(CYCLE)),
        }),
    };
    Some(Some(HealthStatus { colour, nat }))
}

fn prefix(token: &HolderToken) -> [u8; 8] {
    let mut p = [0; 8];
    p.copy_from_slice(&token.0[..8]);
    p
}

fn encode_status(s: &HealthStatus) -> (u8, u32) {
    let colour = match s.colour {
        Colour::Green => 0,
        Colour::Yellow => 1,
        Colour::Red => 2,
    };
    match s.nat {
        None => (colour, 0),
        Some(n) => {
            let result = if n.result == NatResult::Negative {
                1
            } else {
                2
            };
            (
                colour | result << 2,
                u32::try_from(n.sampled_at.unix()).unwrap_or(0),
            )
        }
    }
}

fn decode_status(byte: u8, sampled: u32) -> Option<HealthStatus> {
    let colour = match byte & 0b11 {
        0 => Colour::Green,
        1 => Colour::Yellow,
        2 => Colour::Red,
        _ => return None,
    };
    let nat = match (byte >> 2 & 0b11, sampled) {
        (0, 0) => None,
        (1, t) if t > 0 => Some(NatTest {
            result: NatResult::Negative,
            sampled_at: Timestamp::from_unix(i64::from(t)),
        }),
        (2, t) if t > 0 => Some(NatTest {
            result: NatResult::Positive,
            sampled_at: Timestamp::from_unix(i64::from(t)),
        }),
        _ => return None,
    };
    (byte >> 4 == 0).then_some(HealthStatus { colour, nat })
}

impl StatusList {
    /// Builds and signs a list (usage `status`) of the holders' statuses as of
    /// `seal.issued_at`. Two entries for one holder, or a test sampled after that, are refused.
    pub fn build(
        mut entries: Vec<(HolderToken, HealthStatus)>,
        seal: Seal,
        key: &SecretKey,
    ) -> Result<Vec<u8>, Error> {
        let as_of = seal.issued_at;
        entries.sort_unstable_by_key(|(t, _)| prefix(t));
        if entries
            .windows(2)
            .any(|w| prefix(&w[0].0) == prefix(&w[1].0))
        {
            return Err(Error::InvalidInput {
                field: "holders",
                reason: "a holder is listed twice".into(),
            });
        }
        let count = u32::try_from(entries.len())
            .ok()
            .filter(|&n| (n as usize) * ENTRY < MAX_LIST_BYTES)
            .ok_or_else(|| Error::InvalidInput {
                field: "holders",
                reason: "too many for one list".into(),
            })?;
        let mut payload = Vec::with_capacity(4 + entries.len() * ENTRY);
        payload.extend_from_slice(&count.to_be_bytes());
        for (token, status) in &entries {
            if status
                .nat
                .is_some_and(|n| n.sampled_at > as_of || n.sampled_at.unix() <= 0)
            {
                return Err(Error::InvalidInput {
                    field: "nat_sampled",
                    reason: "must be after 1970 and not after the list's time".into(),
                });
            }
            let (byte, sampled) = encode_status(status);
            payload.extend_from_slice(&prefix(token));
            payload.push(byte);
            payload.extend_from_slice(&sampled.to_be_bytes());
        }
        sealed::seal(ListKind::Status, key, seal, &payload)
    }

    /// Builds and signs a list of the slot layout: the status of the holder of each slot, in
    /// slot order (`None` for a slot no holder has), as of `seal.issued_at`. Streams: a city of
    /// 25 million takes 25 MB, never a table of statuses.
    pub fn build_slots(
        statuses: impl IntoIterator<Item = Option<HealthStatus>>,
        seal: Seal,
        key: &SecretKey,
    ) -> Result<Vec<u8>, Error> {
        let mut payload = vec![0; 4];
        for status in statuses {
            payload.push(match status {
                Some(s) => slot_symbol(&s, seal.issued_at)?,
                None => crate::lists::delta::NO_HOLDER,
            });
            if payload.len() > MAX_LIST_BYTES {
                return Err(Error::InvalidInput {
                    field: "holders",
                    reason: "too many for one list".into(),
                });
            }
        }
        let count = u32::try_from(payload.len() - 4).unwrap_or(u32::MAX);
        payload[..4].copy_from_slice(&count.to_be_bytes());
        sealed::seal(ListKind::City, key, seal, &payload)
    }

    /// Verifies a list of either layout (signature by a trusted `status` key, window at `now`)
    /// and checks every entry once: strictly ascending tokens, valid status bytes, tests not
    /// after the list; for slots, every symbol one of the layout's.
    pub fn load(
        bytes: &[u8],
        keys: &(impl KeyProvider + ?Sized),
        now: Timestamp,
    ) -> Result<Self, Error> {
        if bytes.first() == Some(&ListKind::City.version()) {
            return Self::load_slots(bytes, keys, now);
        }
        let sealed::Opened {
            header,
            payload,
            accepted,
            divisions,
        } = sealed::open(ListKind::Status, bytes, keys, now)?;
        let bad = |reason| {
            Error::from(FormatError::Field {
                field: "status list",
                reason,
            })
        };
        let count_bytes: [u8; 4] = payload
            .get(..4)
            .and_then(|b| b.try_into().ok())
            .ok_or(bad("no count"))?;
        let count = u32::from_be_bytes(count_bytes) as usize;
        let entries = &payload[4..];
        if entries.len() != count.saturating_mul(ENTRY) {
            return Err(bad("length does not match the count"));
        }
        let as_of = u32::try_from(header.issued_at.unix()).unwrap_or(0);
        let mut previous: Option<&[u8]> = None;
        for e in entries.chunks_exact(ENTRY) {
            if previous.is_some_and(|p| p >= &e[..8]) {
                return Err(bad("entries not in strictly ascending order"));
            }
            previous = Some(&e[..8]);
            let sampled = u32::from_be_bytes([e[9], e[10], e[11], e[12]]);
            if decode_status(e[8], sampled).is_none() || sampled > as_of {
                return Err(bad("invalid status entry"));
            }
        }
        Ok(StatusList {
            key_id: header.key_id,
            accepted,
            divisions,
            as_of: header.issued_at,
            valid_until: header.valid_until,
            table: Table::Tokens(entries.to_vec()),
        })
    }

    fn load_slots(
        bytes: &[u8],
        keys: &(impl KeyProvider + ?Sized),
        now: Timestamp,
    ) -> Result<Self, Error> {
        let sealed::Opened {
            header,
            payload,
            accepted,
            divisions,
        } = sealed::open(ListKind::City, bytes, keys, now)?;
        let slots = crate::lists::delta::payload_slots(payload)?;
        if slots
            .iter()
            .any(|&s| s != crate::lists::delta::NO_HOLDER && s >= 3 * PER_COLOUR)
        {
            return Err(FormatError::Field {
                field: "status list",
                reason: "invalid slot symbol",
            }
            .into());
        }
        Ok(StatusList {
            key_id: header.key_id,
            accepted,
            divisions,
            as_of: header.issued_at,
            valid_until: header.valid_until,
            table: Table::Slots(slots.to_vec()),
        })
    }

    /// How many holders (slots, in the slot layout) it lists.
    pub fn len(&self) -> usize {
        match &self.table {
            Table::Tokens(e) => e.len() / ENTRY,
            Table::Slots(s) => s.len(),
        }
    }

    /// Whether it lists nobody.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The status of the holder of a slot (slot layout), if there is one.
    pub fn lookup_slot(&self, slot: u32) -> Option<HealthStatus> {
        match &self.table {
            Table::Slots(s) => slot_status(*s.get(usize::try_from(slot).ok()?)?, self.as_of)?,
            Table::Tokens(_) => None,
        }
    }

    /// The instant its statuses describe.
    pub fn as_of(&self) -> Timestamp {
        self.as_of
    }

    /// Until when it may be used.
    pub fn valid_until(&self) -> Timestamp {
        self.valid_until
    }

    /// The key that signed it.
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// Its issuer, serial and digest.
    pub fn accepted(&self) -> &Accepted {
        &self.accepted
    }

    /// Whether its key may speak for holders of this division (a status key scoped to
    /// divisions speaks for those holders only).
    pub fn covers_division(&self, division: Option<u32>) -> bool {
        self.divisions.is_empty()
            || division.is_some_and(|d| crate::keys::trust::division_in(&self.divisions, d))
    }

    /// A holder's status, if listed (token layout).
    pub fn lookup(&self, holder: &HolderToken) -> Option<HealthStatus> {
        let Table::Tokens(entries) = &self.table else {
            return None;
        };
        let key = prefix(holder);
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let e = &entries[mid * ENTRY..(mid + 1) * ENTRY];
            match e[..8].cmp(&key[..]) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => {
                    return decode_status(e[8], u32::from_be_bytes([e[9], e[10], e[11], e[12]]));
                }
            }
        }
        None
    }
}

impl StatusSource for StatusList {
    fn status_of(&self, code: &PersonalCode) -> Option<StatusAnswer> {
        let status = match &self.table {
            Table::Tokens(_) => self.lookup(&code.holder),
            Table::Slots(_) => code.slot.and_then(|s| self.lookup_slot(s)),
        };
        status.map(|status| StatusAnswer {
            status,
            as_of: self.as_of,
        })
    }
}

#[cfg(test)]
mod tests;
