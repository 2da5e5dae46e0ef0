//! Serials: every signed list and rule set carries one, per issuer and kind, that only grows. A
//! gate keeps the highest it has accepted of each ([`Serials`], part of the gate's state) and
//! refuses an older one (`rolled_back`: yesterday's status list replayed today) and a second,
//! different list under a serial it has seen (`equivocation`: a key that signs two histories).
//! SPEC.md §10.

use crate::error::Error;
use crate::keys::trust::Usage;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The kinds of signed object a gate keeps serials for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ListKind {
    /// A signed trust list (usage `root`).
    Trust,
    /// A status list.
    Status,
    /// A revocation list.
    Revocations,
    /// A signed rule set (its serial is the rule set's `revision`).
    Policy,
}

const HOUR: i64 = 3600;

impl ListKind {
    /// Its name in errors, JSON and SPEC.md.
    pub fn name(self) -> &'static str {
        match self {
            ListKind::Trust => "trust",
            ListKind::Status => "status",
            ListKind::Revocations => "revocations",
            ListKind::Policy => "policy",
        }
    }

    /// The usage of the keys that sign it.
    pub fn usage(self) -> Usage {
        match self {
            ListKind::Trust => Usage::Root,
            ListKind::Status | ListKind::Revocations => Usage::Status,
            ListKind::Policy => Usage::Policy,
        }
    }

    /// The longest window a list of this kind may have, in seconds: status lists 48 hours
    /// (issued daily, a day of slack), revocation lists 7 days, trust lists 180 days, rule sets
    /// 400 days. A list stolen or replayed is usable no longer than this.
    pub fn max_lifetime_secs(self) -> i64 {
        match self {
            ListKind::Status => 48 * HOUR,
            ListKind::Revocations => 7 * 24 * HOUR,
            ListKind::Trust => 180 * 24 * HOUR,
            ListKind::Policy => 400 * 24 * HOUR,
        }
    }

    /// The version byte of its sealed form (the rule set is signed JSON, not sealed).
    pub(crate) fn version(self) -> u8 {
        match self {
            ListKind::Status => 0x32,
            ListKind::Revocations => 0x42,
            ListKind::Trust => 0x52,
            ListKind::Policy => 0,
        }
    }

    /// The signing domain.
    pub(crate) fn domain(self) -> &'static [u8] {
        match self {
            ListKind::Status => b"VENUECODE/STATUS\0",
            ListKind::Revocations => b"VENUECODE/REVOKE\0",
            ListKind::Trust => b"VENUECODE/TRUST\0",
            ListKind::Policy => b"VENUECODE/POLICY\0",
        }
    }
}

/// A verified list's place in its issuer's sequence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Accepted {
    /// The kind.
    pub kind: ListKind,
    /// The issuer: the signing key's `issuer` in the trust list, else its key id.
    pub issuer: String,
    /// The serial.
    pub serial: u64,
    /// SHA-256 of the list's bytes (a rule set's JSON), to tell two lists of one serial apart.
    #[serde(serialize_with = "hex_digest")]
    pub digest: [u8; 32],
}

fn hex_digest<S: serde::Serializer>(d: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode(d))
}

/// The most issuer and kind pairs a state holds: more means a broken trust list.
pub const MAX_SERIALS: usize = 1024;

/// The highest serial accepted of each issuer and kind, with the digest of that list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Serials {
    #[serde(with = "entries")]
    seen: BTreeMap<(ListKind, String), (u64, [u8; 32])>,
}

impl Serials {
    /// No list seen.
    pub fn new() -> Self {
        Self::default()
    }

    /// The highest serial accepted of an issuer's lists of a kind.
    pub fn highest(&self, kind: ListKind, issuer: &str) -> Option<u64> {
        self.seen.get(&(kind, issuer.to_owned())).map(|e| e.0)
    }

    /// `Ok` if `list` may be accepted: its serial is above the highest seen, or equal with the
    /// same digest (the same list again).
    pub fn check(&self, list: &Accepted) -> Result<(), Error> {
        match self.seen.get(&(list.kind, list.issuer.clone())) {
            Some(&(have, _)) if list.serial < have => Err(Error::RolledBack {
                kind: list.kind.name(),
                have,
                got: list.serial,
            }),
            Some((have, digest)) if list.serial == *have && *digest != list.digest => {
                Err(Error::Equivocation {
                    kind: list.kind.name(),
                    serial: list.serial,
                    seen: hex::encode(&digest[..8]),
                    offered: hex::encode(&list.digest[..8]),
                })
            }
            None if self.seen.len() >= MAX_SERIALS => Err(Error::InvalidInput {
                field: "serials",
                reason: format!("more than {MAX_SERIALS} issuers and kinds"),
            }),
            _ => Ok(()),
        }
    }

    /// Checks every list, then records them all (or none).
    pub fn accept(&mut self, lists: &[&Accepted]) -> Result<(), Error> {
        let mut next = self.clone();
        for list in lists {
            next.check(list)?;
            next.seen
                .insert((list.kind, list.issuer.clone()), (list.serial, list.digest));
        }
        *self = next;
        Ok(())
    }
}

/// The JSON form: a list of `{kind, issuer, serial, digest}` (a map with tuple keys is not JSON).
mod entries {
    use super::ListKind;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::collections::BTreeMap;

    #[derive(Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Entry {
        kind: ListKind,
        issuer: String,
        serial: u64,
        digest: String,
    }

    type Map = BTreeMap<(ListKind, String), (u64, [u8; 32])>;

    pub(super) fn serialize<S: Serializer>(map: &Map, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(map.iter().map(|((kind, issuer), (serial, digest))| Entry {
            kind: *kind,
            issuer: issuer.clone(),
            serial: *serial,
            digest: hex::encode(digest),
        }))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Map, D::Error> {
        let entries = Vec::<Entry>::deserialize(d)?;
        if entries.len() > super::MAX_SERIALS {
            return Err(serde::de::Error::custom("too many serials"));
        }
        let mut map = Map::new();
        for e in entries {
            let mut digest = [0; 32];
            hex::decode_to_slice(&e.digest, &mut digest)
                .map_err(|_| serde::de::Error::custom("digest must be 64 hex digits"))?;
            if map.insert((e.kind, e.issuer), (e.serial, digest)).is_some() {
                return Err(serde::de::Error::custom("an issuer and kind listed twice"));
            }
        }
        Ok(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(serial: u64, content: u8) -> Accepted {
        Accepted {
            kind: ListKind::Status,
            issuer: "sh-health".into(),
            serial,
            digest: [content; 32],
        }
    }

    #[test]
    fn serials_only_grow_and_one_serial_has_one_list() {
        let mut s = Serials::new();
        s.accept(&[&list(5, 1)]).unwrap();
        // The same list again is fine; a newer one moves the mark.
        s.accept(&[&list(5, 1)]).unwrap();
        assert_eq!(s.check(&list(4, 9)).unwrap_err().code(), "rolled_back");
        assert_eq!(s.check(&list(5, 2)).unwrap_err().code(), "equivocation");
        s.accept(&[&list(6, 3)]).unwrap();
        assert_eq!(s.highest(ListKind::Status, "sh-health"), Some(6));
        // Another issuer or kind has its own sequence.
        let mut other = list(1, 1);
        other.kind = ListKind::Revocations;
        s.check(&other).unwrap();
        // All or nothing.
        let before = s.clone();
        assert!(s.accept(&[&other, &list(2, 2)]).is_err());
        assert_eq!(s, before);
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<Serials>(&json).unwrap(), s);
    }
}
