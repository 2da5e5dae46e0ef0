//! Revocation lists: venue codes revoked one by one, and personal codes superseded below a
//! generation (a lost offline code, after re-issue). SPEC.md §10.
//!
//! ```text
//! payload = venue_count u32, venue_count x code hash [16]        ; strictly ascending
//!           holder_count u32, holder_count x (holder token [16], below u16)  ; ascending by token
//! code hash = SHA-256(the code's text)[0..16]
//! ```
//!
//! A personal code whose holder is listed with `below = N` and whose generation is under N is
//! `superseded`; a listed venue code is `revoked`.

use crate::codes::person::PersonalCode;
use crate::encoding::timestamp::Timestamp;
use crate::encoding::wire::Reader;
use crate::error::{Error, FormatError};
use crate::keys::key::SecretKey;
use crate::keys::trust::KeyProvider;
use crate::kid::KeyId;
use crate::lists::sealed::{self, Seal};
use crate::lists::serial::{Accepted, ListKind};
use crate::privacy::token::HolderToken;
use sha2::{Digest, Sha256};

/// The 16-byte hash by which a venue code is revoked.
pub fn code_hash(text: &str) -> [u8; 16] {
    let digest = Sha256::digest(text.as_bytes());
    let mut hash = [0; 16];
    hash.copy_from_slice(&digest[..16]);
    hash
}

/// A verified revocation list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationList {
    key_id: KeyId,
    accepted: Accepted,
    issued_at: Timestamp,
    valid_until: Timestamp,
    venues: Vec<[u8; 16]>,
    holders: Vec<(HolderToken, u16)>,
}

fn count(n: usize) -> Result<u32, Error> {
    u32::try_from(n).map_err(|_| Error::InvalidInput {
        field: "revocations",
        reason: "too many".into(),
    })
}

impl RevocationList {
    /// Builds and signs a list (usage `status`) revoking these venue codes (by text) and, for
    /// each holder, every personal code with a generation below the number given.
    pub fn build(
        venue_codes: &[&str],
        holders: &[(HolderToken, u16)],
        seal: Seal,
        key: &SecretKey,
    ) -> Result<Vec<u8>, Error> {
        let mut venues: Vec<[u8; 16]> = venue_codes.iter().map(|t| code_hash(t)).collect();
        venues.sort_unstable();
        venues.dedup();
        let mut holders = holders.to_vec();
        holders.sort_unstable();
        // One entry a holder: the highest bound wins.
        holders.reverse();
        holders.dedup_by_key(|(t, _)| *t);
        holders.reverse();
        let mut payload = Vec::with_capacity(8 + venues.len() * 16 + holders.len() * 18);
        payload.extend_from_slice(&count(venues.len())?.to_be_bytes());
        venues.iter().for_each(|h| payload.extend_from_slice(h));
        payload.extend_from_slice(&count(holders.len())?.to_be_bytes());
        for (token, below) in &holders {
            payload.extend_from_slice(&token.0);
            payload.extend_from_slice(&below.to_be_bytes());
        }
        sealed::seal(ListKind::Revocations, key, seal, &payload)
    }

    /// Verifies a list (signature by a trusted `status` key, window at `now`) and its order.
    pub fn load(
        bytes: &[u8],
        keys: &(impl KeyProvider + ?Sized),
        now: Timestamp,
    ) -> Result<Self, Error> {
        let sealed::Opened {
            header,
            payload,
            accepted,
            ..
        } = sealed::open(ListKind::Revocations, bytes, keys, now)?;
        let bad = |reason| {
            Error::from(FormatError::Field {
                field: "revocation list",
                reason,
            })
        };
        let mut r = Reader::new(payload);
        let venue_count = r.u32("venue_count")? as usize;
        let venue_bytes = r.take(
            venue_count.checked_mul(16).ok_or(bad("count overflows"))?,
            "venues",
        )?;
        let venues: Vec<[u8; 16]> = venue_bytes
            .chunks_exact(16)
            .map(|c| c.try_into().unwrap_or([0; 16]))
            .collect();
        let holder_count = r.u32("holder_count")? as usize;
        let holder_bytes = r.take(
            holder_count.checked_mul(18).ok_or(bad("count overflows"))?,
            "holders",
        )?;
        r.finish()?;
        let holders: Vec<(HolderToken, u16)> = holder_bytes
            .chunks_exact(18)
            .map(|c| {
                (
                    HolderToken(c[..16].try_into().unwrap_or([0; 16])),
                    u16::from_be_bytes([c[16], c[17]]),
                )
            })
            .collect();
        if venues.windows(2).any(|w| w[0] >= w[1]) || holders.windows(2).any(|w| w[0].0 >= w[1].0) {
            return Err(bad("entries not in strictly ascending order"));
        }
        Ok(RevocationList {
            key_id: header.key_id,
            accepted,
            issued_at: header.issued_at,
            valid_until: header.valid_until,
            venues,
            holders,
        })
    }

    /// When it was issued.
    pub fn issued_at(&self) -> Timestamp {
        self.issued_at
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

    /// `Err(RevokedCode)` if this venue code's text is revoked.
    pub fn check_venue(&self, text: &str) -> Result<(), Error> {
        match self.venues.binary_search(&code_hash(text)) {
            Ok(_) => Err(Error::RevokedCode),
            Err(_) => Ok(()),
        }
    }

    /// `Err(Superseded)` if this personal code's generation is below its holder's bound.
    pub fn check_personal(&self, code: &PersonalCode) -> Result<(), Error> {
        match self.holders.binary_search_by_key(&code.holder, |(t, _)| *t) {
            Ok(i) if code.generation < self.holders[i].1 => Err(Error::Superseded {
                generation: code.generation,
                below: self.holders[i].1,
            }),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::person::{PersonalIssue, Profile};
    use crate::keys::trust::{TrustList, TrustedKey, Usage};
    use crate::privacy::id::IdNumber;
    use crate::privacy::token::TokenKey;

    fn t(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339(s).unwrap()
    }

    fn seal() -> Seal {
        Seal {
            serial: 1,
            issued_at: t("2022-04-06T00:00:00Z"),
            valid_until: t("2022-04-07T00:00:00Z"),
        }
    }

    #[test]
    fn revokes_venue_codes_and_supersedes_generations() {
        let key = SecretKey::from_seed(&[5; 32]);
        let mut trust = TrustList::new();
        trust
            .add(TrustedKey::new(key.public_key(), Usage::Status))
            .unwrap();
        let tokens = TokenKey::from_bytes([7; 32]);
        let id = IdNumber::parse("11010519491231002X").unwrap();
        let code = |generation| {
            let issue = PersonalIssue {
                profile: Profile::Offline,
                generation,
                issued_at: t("2022-04-01T00:00:00Z"),
                valid_secs: None,
                status: None,
            };
            PersonalCode::for_holder("张三丰", &id, &tokens, &issue).unwrap()
        };
        let holder = code(0).holder;
        let bytes = RevocationList::build(
            &["HTTPS://A.B/REVOKED", "HTTPS://A.B/ALSO"],
            &[(holder, 1), (holder, 2), (HolderToken([9; 16]), 5)],
            seal(),
            &key,
        )
        .unwrap();
        let list = RevocationList::load(&bytes, &trust, t("2022-04-06T12:00:00Z")).unwrap();
        assert_eq!(
            list.check_venue("HTTPS://A.B/REVOKED"),
            Err(Error::RevokedCode)
        );
        assert_eq!(list.check_venue("HTTPS://A.B/FINE"), Ok(()));
        assert_eq!(
            list.check_personal(&code(0)),
            Err(Error::Superseded {
                generation: 0,
                below: 2
            })
        );
        assert_eq!(
            list.check_personal(&code(1)).unwrap_err().code(),
            "superseded"
        );
        assert_eq!(list.check_personal(&code(2)), Ok(()));
        assert!(RevocationList::load(&bytes, &trust, t("2022-04-07T00:00:00Z")).is_err());
        let mut tampered = bytes.clone();
        tampered[sealed::HEADER_LEN + 5] ^= 1;
        assert_eq!(
            RevocationList::load(&tampered, &trust, t("2022-04-06T12:00:00Z")),
            Err(Error::BadSignature)
        );
        // A payload that lies about its counts is malformed, whatever the signature.
        let mut lying = 5u32.to_be_bytes().to_vec();
        lying.extend_from_slice(&[0; 16]);
        let sealed = sealed::seal(ListKind::Revocations, &key, seal(), &lying).unwrap();
        assert_eq!(
            RevocationList::load(&sealed, &trust, t("2022-04-06T12:00:00Z"))
                .unwrap_err()
                .code(),
            "malformed"
        );
    }
}
