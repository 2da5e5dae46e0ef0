//! Status lists: a signed, dated table from holder tokens to colour and latest test, so a gate
//! without network resolves an offline code's status (SPEC.md §10).
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
    /// The status of a holder, if the source knows it.
    fn status_of(&self, holder: &HolderToken) -> Option<StatusAnswer>;
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
        None => source.and_then(|s| s.status_of(&code.holder)),
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
    entries: Vec<u8>,
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

    /// Verifies a list (signature by a trusted `status` key, window at `now`) and checks every
    /// entry once: strictly ascending tokens, valid status bytes, tests not after the list.
    pub fn load(
        bytes: &[u8],
        keys: &(impl KeyProvider + ?Sized),
        now: Timestamp,
    ) -> Result<Self, Error> {
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
            entries: entries.to_vec(),
        })
    }

    /// How many holders it lists.
    pub fn len(&self) -> usize {
        self.entries.len() / ENTRY
    }

    /// Whether it lists nobody.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
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
        let code = division.map(|d| format!("{d:06}"));
        self.divisions.is_empty()
            || code.is_some_and(|c| self.divisions.iter().any(|d| c.starts_with(d.as_str())))
    }

    /// A holder's status, if listed.
    pub fn lookup(&self, holder: &HolderToken) -> Option<HealthStatus> {
        let key = prefix(holder);
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let e = &self.entries[mid * ENTRY..(mid + 1) * ENTRY];
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
    fn status_of(&self, holder: &HolderToken) -> Option<StatusAnswer> {
        self.lookup(holder).map(|status| StatusAnswer {
            status,
            as_of: self.as_of,
        })
    }
}

#[cfg(test)]
mod tests;
