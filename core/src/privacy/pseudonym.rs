//! Pseudonyms for scan records: the same visitor gets the same pseudonym at one venue, and
//! records of two venues cannot be linked without the authority's root key.
//!
//! `venue key = HMAC-SHA-256(root, "VENUECODE/VENUE-KEY\0" || venue id)`;
//! `pseudonym = HMAC-SHA-256(venue key, "VENUECODE/PSEUDONYM\0" || holder token)[0..16]`.
//! A venue holds only its own key; the authority, holding the root, can derive every venue's.

use crate::privacy::token::HolderToken;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// A visitor's pseudonym at one venue: 16 bytes.
/// In JSON and CSV, 32 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pseudonym(pub [u8; 16]);

impl serde::Serialize for Pseudonym {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Pseudonym {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        let mut bytes = [0; 16];
        hex::decode_to_slice(text.as_bytes(), &mut bytes)
            .map_err(|_| serde::de::Error::custom("a pseudonym is 32 hex digits"))?;
        Ok(Pseudonym(bytes))
    }
}

impl std::fmt::Debug for Pseudonym {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pseudonym({})", hex::encode(self.0))
    }
}

impl std::fmt::Display for Pseudonym {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

fn hmac(key: &[u8], domain: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(domain);
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// One venue's pseudonym key, wiped on drop.
pub struct PseudonymKey(zeroize::Zeroizing<[u8; 32]>);

impl std::fmt::Debug for PseudonymKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PseudonymKey(<secret>)")
    }
}

impl PseudonymKey {
    /// The key of `venue_id` under the authority's 32-byte root.
    pub fn for_venue(root: &[u8; 32], venue_id: &str) -> Self {
        PseudonymKey(zeroize::Zeroizing::new(hmac(
            root,
            b"VENUECODE/VENUE-KEY\0",
            venue_id.as_bytes(),
        )))
    }

    /// From 32 bytes (a venue given its key by the authority).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        PseudonymKey(zeroize::Zeroizing::new(bytes))
    }

    /// From its file form: 64 hex digits (surrounding white space ignored).
    pub fn from_hex(text: &str) -> Result<Self, crate::error::Error> {
        let mut bytes = zeroize::Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(text.trim(), bytes.as_mut()).map_err(|_| {
            crate::error::Error::InvalidKey("a venue pseudonym key is 64 hex digits".into())
        })?;
        Ok(PseudonymKey(bytes))
    }

    /// Its file form: 64 hex digits and a newline, in memory wiped on drop.
    pub fn to_hex(&self) -> zeroize::Zeroizing<String> {
        zeroize::Zeroizing::new(hex::encode(self.0.as_ref()) + "\n")
    }

    /// A value that tells two keys apart without showing either: the pseudonym of the all-zero
    /// holder token. Two ledgers can merge a venue's records only if they agree on it.
    pub fn fingerprint(&self) -> Pseudonym {
        self.pseudonym(&HolderToken([0; 16]))
    }

    /// A holder's pseudonym at this venue.
    pub fn pseudonym(&self, holder: &HolderToken) -> Pseudonym {
        let digest = hmac(self.0.as_ref(), b"VENUECODE/PSEUDONYM\0", &holder.0);
        let mut p = [0; 16];
        p.copy_from_slice(&digest[..16]);
        Pseudonym(p)
    }

    /// A visitor's phone at this venue: `phone-` and 16 hex digits of
    /// HMAC-SHA-256(key, "VENUECODE/DEVICE\0" || the app's device id). An app sends the same
    /// device id everywhere; stored as it is, it would link a visitor's records across venues.
    pub fn phone(&self, device: &str) -> String {
        let digest = hmac(self.0.as_ref(), b"VENUECODE/DEVICE\0", device.as_bytes());
        format!("phone-{}", hex::encode(&digest[..8]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_at_a_venue_unlinkable_across() {
        let root = [3; 32];
        let holder = HolderToken([7; 16]);
        let (a, b) = (
            PseudonymKey::for_venue(&root, "SH-PT-0018"),
            PseudonymKey::for_venue(&root, "SH-PT-0101"),
        );
        assert_eq!(a.pseudonym(&holder), a.pseudonym(&holder));
        assert_ne!(a.pseudonym(&holder), b.pseudonym(&holder));
        assert_ne!(a.pseudonym(&holder), a.pseudonym(&HolderToken([8; 16])));
        // Computed independently with Python's hmac module.
        assert_eq!(
            a.pseudonym(&holder).to_string(),
            "e32d0c6b74c924af8896ff2b87c6229d"
        );
    }
}
