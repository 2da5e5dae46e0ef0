//! Signed trust lists (SPEC.md §6): a trust list's JSON sealed by a root key, so that whoever
//! can write a gate's files cannot add a key or restore an older list that un-revokes one.
//!
//! ```text
//! signed trust list = sealed list of kind trust (version 0x52, domain "VENUECODE/TRUST\0")
//! payload           = the trust list's JSON (UTF-8), which lists the root key (usage root)
//! ```
//!
//! Apps and gates pin the key ids of one or more root keys. A signed trust list verifies if its
//! key id is pinned, its own payload lists that key with usage `root`, the signature verifies
//! with it, and the root entry's window holds the list's issue time; its serial, per issuer,
//! only grows ([`crate::Serials`]).

use crate::encoding::timestamp::Timestamp;
use crate::error::{Error, FormatError};
use crate::keys::key::SecretKey;
use crate::keys::trust::{KeyProvider, TrustList, Usage};
use crate::kid::KeyId;
use crate::lists::sealed::{self, Seal};
use crate::lists::serial::{Accepted, ListKind};

/// Signs a trust list with a root key that the list itself names with usage `root`.
pub fn sign(list: &TrustList, root: &SecretKey, seal: Seal) -> Result<Vec<u8>, Error> {
    let kid = root.public_key().id();
    match list.find(&kid) {
        Some(entry) if entry.usage == Usage::Root && entry.key == root.public_key() => {}
        _ => {
            return Err(Error::InvalidInput {
                field: "root",
                reason: "the trust list must list the root key, with usage root".into(),
            });
        }
    }
    sealed::seal(ListKind::Trust, root, seal, list.to_json().as_bytes())
}

/// Verifies a signed trust list against the pinned root key ids at `now`: the list and its
/// place in the issuer's sequence (for [`crate::Serials`]).
pub fn open(
    bytes: &[u8],
    pinned: &[KeyId],
    now: Timestamp,
) -> Result<(TrustList, Accepted), Error> {
    let (header, payload) = sealed::peek(ListKind::Trust, bytes)?;
    if !pinned.contains(&header.key_id) {
        return Err(Error::UnknownKey(header.key_id));
    }
    let json = std::str::from_utf8(payload).map_err(|_| {
        Error::from(FormatError::Field {
            field: "trust list",
            reason: "not UTF-8",
        })
    })?;
    // The payload is parsed before its signature is checked: it holds the root's public key.
    // Its parser is bounded and total like every other.
    let list = TrustList::from_json(json)?;
    let opened = sealed::open(ListKind::Trust, bytes, &list, now)?;
    Ok((list, opened.accepted))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::prefix::Prefix;
    use crate::keys::trust::TrustedKey;

    fn t(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339(s).unwrap()
    }

    fn seal(serial: u64) -> Seal {
        Seal {
            serial,
            issued_at: t("2022-04-01T00:00:00Z"),
            valid_until: t("2022-06-01T00:00:00Z"),
        }
    }

    #[test]
    fn pinned_root_signs_the_list() {
        let root = SecretKey::from_seed(&[1; 32]);
        let venue = SecretKey::from_seed(&[2; 32]);
        let prefix = Prefix::new("HTTPS://VC.SH.GOV.CN/1/").unwrap();
        let mut list = TrustList::new();
        list.add(TrustedKey::new(root.public_key(), Usage::Root))
            .unwrap();
        list.add(TrustedKey::new(venue.public_key(), Usage::Venue).with_prefix(&prefix))
            .unwrap();
        let bytes = sign(&list, &root, seal(3)).unwrap();
        let now = t("2022-05-01T00:00:00Z");
        let pinned = [root.public_key().id()];
        let (again, accepted) = open(&bytes, &pinned, now).unwrap();
        assert_eq!(again, list);
        assert_eq!(accepted.serial, 3);
        assert_eq!(accepted.kind, ListKind::Trust);

        // Not pinned: whoever made the list, it is unknown.
        assert_eq!(
            open(&bytes, &[venue.public_key().id()], now).unwrap_err(),
            Error::UnknownKey(root.public_key().id())
        );
        // An attacker who edits the payload (adds a key) breaks the signature.
        let attacker = SecretKey::from_seed(&[9; 32]);
        let mut forged = list.clone();
        forged
            .add(TrustedKey::new(attacker.public_key(), Usage::Venue).with_prefix(&prefix))
            .unwrap();
        let json = forged.to_json();
        let (header, _) = bytes.split_at(sealed::HEADER_LEN);
        let mut edited = header.to_vec();
        edited.extend_from_slice(json.as_bytes());
        edited.extend_from_slice(&bytes[bytes.len() - 64..]);
        assert_eq!(open(&edited, &pinned, now), Err(Error::BadSignature));
        // A list the attacker signs with a root of their own is not pinned.
        let mut own = list.clone();
        own.add(TrustedKey::new(attacker.public_key(), Usage::Root))
            .unwrap();
        let theirs = sign(&own, &attacker, seal(4)).unwrap();
        assert_eq!(
            open(&theirs, &pinned, now).unwrap_err().code(),
            "unknown_key"
        );
        // A key that is pinned but listed for another usage cannot sign lists.
        let mut wrong = TrustList::new();
        wrong
            .add(TrustedKey::new(root.public_key(), Usage::Status))
            .unwrap();
        assert!(sign(&wrong, &root, seal(1)).is_err());
        // The lifetime cap: a trust list lives at most 180 days.
        let long = Seal {
            valid_until: t("2023-04-01T00:00:00Z"),
            ..seal(4)
        };
        assert_eq!(
            sign(&list, &root, long).unwrap_err().code(),
            "invalid_input"
        );
        // Expired at the end of its window.
        assert_eq!(
            open(&bytes, &pinned, t("2022-06-01T00:00:00Z"))
                .unwrap_err()
                .code(),
            "expired"
        );
    }
}
