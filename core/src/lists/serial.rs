//! Serials: every signed list and rule set carries one, per issuer and kind, that only grows. A
//! gate keeps the highest it has accepted of each ([`Serials`], part of the gate's state) and
//! refuses an older one (`rolled_back`: yesterday's status list replayed today) and a second,
//! different list under a serial it has seen (`equivocation`: a key that signs two histories).
//! SPEC.md §10.

use crate::encoding::wire::Reader;
use crate::error::{Error, FormatError};
use crate::keys::trust::Usage;

/// The kinds of signed object a gate keeps serials for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum ListKind {
    /// A signed trust list (usage `root`).
    Trust,
    /// A status list.
    Status,
    /// A revocation list.
    Revocations,
    /// A signed rule set (its serial is the rule set's `revision`).
    Policy,
    /// A status list of the slot layout (a city's): a status list for serials.
    City,
}

const HOUR: i64 = 3600;

impl ListKind {
    const ALL: [ListKind; 4] = [
        ListKind::Trust,
        ListKind::Status,
        ListKind::Revocations,
        ListKind::Policy,
    ];

    /// The kind whose serials it continues: a city list is a status list.
    pub fn serial_kind(self) -> ListKind {
        match self {
            ListKind::City => ListKind::Status,
            other => other,
        }
    }

    /// Its name in errors, JSON and SPEC.md.
    pub fn name(self) -> &'static str {
        match self {
            ListKind::Trust => "trust",
            ListKind::Status | ListKind::City => "status",
            ListKind::Revocations => "revocations",
            ListKind::Policy => "policy",
        }
    }

    /// The usage of the keys that sign it.
    pub fn usage(self) -> Usage {
        match self {
            ListKind::Trust => Usage::Root,
            ListKind::Status | ListKind::City | ListKind::Revocations => Usage::Status,
            ListKind::Policy => Usage::Policy,
        }
    }

    /// The longest window a list of this kind may have, in seconds: status lists 48 hours
    /// (issued daily, a day of slack), revocation lists 7 days, trust lists 180 days, rule sets
    /// 400 days. A list stolen or replayed is usable no longer than this.
    pub fn max_lifetime_secs(self) -> i64 {
        match self {
            ListKind::Status | ListKind::City => 48 * HOUR,
            ListKind::Revocations => 7 * 24 * HOUR,
            ListKind::Trust => 180 * 24 * HOUR,
            ListKind::Policy => 400 * 24 * HOUR,
        }
    }

    /// The version byte of its sealed form (the rule set is signed JSON, not sealed).
    pub(crate) fn version(self) -> u8 {
        match self {
            ListKind::Status => 0x32,
            ListKind::City => 0x33,
            ListKind::Revocations => 0x42,
            ListKind::Trust => 0x52,
            ListKind::Policy => 0,
        }
    }

    /// The signing domain.
    pub(crate) fn domain(self) -> &'static [u8] {
        match self {
            ListKind::Status => b"VENUECODE/STATUS\0",
            ListKind::City => b"VENUECODE/CITY\0",
            ListKind::Revocations => b"VENUECODE/REVOKE\0",
            ListKind::Trust => b"VENUECODE/TRUST\0",
            ListKind::Policy => b"VENUECODE/POLICY\0",
        }
    }
}

/// A verified list's place in its issuer's sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The kind.
    pub kind: ListKind,
    /// The issuer: the signing key's `issuer` in the trust list, else its key id.
    pub issuer: String,
    /// The serial.
    pub serial: u64,
    /// SHA-256 of the list's bytes (a rule set's JSON), to tell two lists of one serial apart.
    pub digest: [u8; 32],
}

/// The most issuer and kind pairs a state holds: more means a broken trust list.
pub const MAX_SERIALS: usize = 1024;

/// The highest serial accepted of each issuer and kind, with the digest of that list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Serials {
    // Sorted by (kind, issuer); a few entries, so a vector (smaller in WASM than a map).
    seen: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    kind: ListKind,
    issuer: String,
    serial: u64,
    digest: [u8; 32],
}

impl Serials {
    /// No list seen.
    pub fn new() -> Self {
        Self::default()
    }

    fn find(&self, kind: ListKind, issuer: &str) -> Result<usize, usize> {
        self.seen
            .binary_search_by(|e| (e.kind, e.issuer.as_str()).cmp(&(kind, issuer)))
    }

    /// The highest serial accepted of an issuer's lists of a kind.
    pub fn highest(&self, kind: ListKind, issuer: &str) -> Option<u64> {
        self.find(kind, issuer).ok().map(|i| self.seen[i].serial)
    }

    /// `Ok` if `list` may be accepted: its serial is above the highest seen, or equal with the
    /// same digest (the same list again).
    pub fn check(&self, list: &Accepted) -> Result<(), Error> {
        match self.find(list.kind, &list.issuer).map(|i| &self.seen[i]) {
            Ok(e) if list.serial < e.serial => Err(Error::RolledBack {
                kind: list.kind.name(),
                have: e.serial,
                got: list.serial,
            }),
            Ok(e) if list.serial == e.serial && e.digest != list.digest => {
                Err(Error::Equivocation {
                    kind: list.kind.name(),
                    serial: list.serial,
                    seen: hex::encode(&e.digest[..8]),
                    offered: hex::encode(&list.digest[..8]),
                })
            }
            Err(_) if self.seen.len() >= MAX_SERIALS => Err(Error::InvalidInput {
                field: "serials",
                reason: "more than 1024 issuers and kinds".into(),
            }),
            _ => Ok(()),
        }
    }

    /// Checks every list, then records them all (or none).
    pub fn accept(&mut self, lists: &[&Accepted]) -> Result<(), Error> {
        let mut next = self.clone();
        for list in lists {
            next.check(list)?;
            let entry = Entry {
                kind: list.kind,
                issuer: list.issuer.clone(),
                serial: list.serial,
                digest: list.digest,
            };
            match next.find(list.kind, &list.issuer) {
                Ok(i) => next.seen[i] = entry,
                Err(i) => next.seen.insert(i, entry),
            }
        }
        *self = next;
        Ok(())
    }

    /// Its stored form (SPEC.md §13.1): `count u16`, then per entry `kind u8` (0 trust,
    /// 1 status, 2 revocations, 3 policy), the issuer as `u8 len` and bytes, `serial u64`,
    /// `digest [32]`, in (kind, issuer) order.
    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(
            &u16::try_from(self.seen.len())
                .unwrap_or(u16::MAX)
                .to_be_bytes(),
        );
        for e in &self.seen {
            let code = ListKind::ALL.iter().position(|k| *k == e.kind).unwrap_or(0);
            out.push(u8::try_from(code).unwrap_or(0));
            out.push(u8::try_from(e.issuer.len()).unwrap_or(u8::MAX));
            out.extend_from_slice(e.issuer.as_bytes());
            out.extend_from_slice(&e.serial.to_be_bytes());
            out.extend_from_slice(&e.digest);
        }
    }

    /// Reads the stored form: bounded, every entry once, in order.
    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, FormatError> {
        let bad = |reason| FormatError::Field {
            field: "serials",
            reason,
        };
        let count = usize::from(u16::from_be_bytes(r.array("serials")?));
        if count > MAX_SERIALS {
            return Err(bad("too many issuers and kinds"));
        }
        let mut seen: Vec<Entry> = Vec::with_capacity(count);
        for _ in 0..count {
            let kind = *ListKind::ALL
                .get(usize::from(r.u8("kind")?))
                .ok_or(bad("unknown kind"))?;
            let issuer = std::str::from_utf8(r.short_bytes("issuer")?)
                .map_err(|_| bad("issuer is not UTF-8"))?
                .to_owned();
            let serial = u64::from_be_bytes(r.array("serial")?);
            let digest = r.array("digest")?;
            if seen
                .last()
                .is_some_and(|l| (l.kind, l.issuer.as_str()) >= (kind, issuer.as_str()))
            {
                return Err(bad("entries not in strictly ascending order"));
            }
            seen.push(Entry {
                kind,
                issuer,
                serial,
                digest,
            });
        }
        Ok(Serials { seen })
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
        let mut bytes = Vec::new();
        s.write(&mut bytes);
        let mut r = Reader::new(&bytes);
        assert_eq!(Serials::read(&mut r).unwrap(), s);
        r.finish().unwrap();
    }
}
