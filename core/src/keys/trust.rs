//! Trust lists: the public keys a verifier accepts, each for one usage, with a validity window
//! and a revoked flag. The JSON form is in SPEC.md §6:
//!
//! ```json
//! {
//!   "format": "venuecode-trust-list",
//!   "version": 1,
//!   "keys": [
//!     { "kid": "1f0c…", "public_key": "<64 hex digits>", "usage": "venue",
//!       "not_before": "2022-01-01T00:00:00Z", "not_after": null, "revoked": false,
//!       "label": "Shanghai venue codes 2022" }
//!   ]
//! }
//! ```

use crate::encoding::timestamp::Timestamp;
use crate::error::Error;
use crate::keys::key::PublicKey;
use crate::kid::KeyId;
use serde::{Deserialize, Serialize};

/// The most bytes of trust-list JSON read, and the most keys in one list.
pub const MAX_TRUST_LIST_BYTES: usize = 1 << 20;
/// The most keys in one trust list.
pub const MAX_TRUST_LIST_KEYS: usize = 4096;

/// What a key may sign. One key has one usage, so a key leaked from one system cannot forge
/// another system's documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Usage {
    /// Venue codes (场所码).
    Venue,
    /// Personal codes: offline and dynamic.
    Personal,
    /// Colour policy rule sets.
    Policy,
    /// Status and revocation lists.
    Status,
}

impl Usage {
    /// Every usage, in order.
    pub const ALL: [Usage; 4] = [Usage::Venue, Usage::Personal, Usage::Policy, Usage::Status];

    /// The name used in JSON and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Usage::Venue => "venue",
            Usage::Personal => "personal",
            Usage::Policy => "policy",
            Usage::Status => "status",
        }
    }
}

impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Usage {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Usage::ALL
            .into_iter()
            .find(|u| u.as_str() == s)
            .ok_or_else(|| Error::InvalidInput {
                field: "usage",
                reason: "expected venue, personal, policy or status".into(),
            })
    }
}

/// A key with what it may sign and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedKey {
    /// The public key.
    pub key: PublicKey,
    /// What it may sign.
    pub usage: Usage,
    /// Not trusted before this instant.
    pub not_before: Option<Timestamp>,
    /// Not trusted from this instant on.
    pub not_after: Option<Timestamp>,
    /// Revoked: nothing it signed verifies, whenever it was signed.
    pub revoked: bool,
    /// A human-readable note.
    pub label: Option<String>,
}

impl TrustedKey {
    /// A key trusted for `usage` with no window, not revoked.
    pub fn new(key: PublicKey, usage: Usage) -> Self {
        TrustedKey {
            key,
            usage,
            not_before: None,
            not_after: None,
            revoked: false,
            label: None,
        }
    }
}

/// Where a verifier finds the key for a key id: a [`TrustList`], or a single [`TrustedKey`].
pub trait KeyProvider {
    /// The entry whose key has this id, if there is one.
    fn find(&self, kid: &KeyId) -> Option<&TrustedKey>;
}

impl KeyProvider for TrustedKey {
    fn find(&self, kid: &KeyId) -> Option<&TrustedKey> {
        (self.key.id() == *kid).then_some(self)
    }
}

/// A set of trusted keys, at most one entry a key id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustList {
    // Sorted by key id, for lookup by binary search.
    keys: Vec<TrustedKey>,
}

impl KeyProvider for TrustList {
    fn find(&self, kid: &KeyId) -> Option<&TrustedKey> {
        self.keys
            .binary_search_by(|k| k.key.id().cmp(kid))
            .ok()
            .map(|i| &self.keys[i])
    }
}

impl TrustList {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// The entries, ordered by key id.
    pub fn keys(&self) -> &[TrustedKey] {
        &self.keys
    }

    /// Adds an entry. Two entries with one key id are refused: a verifier must never have to
    /// choose between keys.
    pub fn add(&mut self, entry: TrustedKey) -> Result<(), Error> {
        if self.keys.len() >= MAX_TRUST_LIST_KEYS {
            return Err(Error::InvalidTrustList(format!(
                "more than {MAX_TRUST_LIST_KEYS} keys"
            )));
        }
        if let (Some(a), Some(b)) = (entry.not_before, entry.not_after)
            && a >= b
        {
            return Err(Error::InvalidTrustList(format!(
                "key {}: not_before is not before not_after",
                entry.key.id()
            )));
        }
        match self
            .keys
            .binary_search_by(|k| k.key.id().cmp(&entry.key.id()))
        {
            Ok(_) => Err(Error::InvalidTrustList(format!(
                "key {} is listed twice",
                entry.key.id()
            ))),
            Err(i) => {
                self.keys.insert(i, entry);
                Ok(())
            }
        }
    }

    /// Reads the JSON form. Unknown fields, a `kid` that does not match its key, duplicate
    /// keys, weak keys and over-long input are errors.
    pub fn from_json(json: &str) -> Result<Self, Error> {
        if json.len() > MAX_TRUST_LIST_BYTES {
            return Err(Error::InvalidTrustList(format!(
                "longer than {MAX_TRUST_LIST_BYTES} bytes"
            )));
        }
        let file: TrustListFile =
            serde_json::from_str(json).map_err(|e| Error::InvalidTrustList(e.to_string()))?;
        if file.format != FORMAT || file.version != 1 {
            return Err(Error::InvalidTrustList(format!(
                "expected format {FORMAT:?} version 1"
            )));
        }
        let mut list = TrustList::new();
        for entry in file.keys {
            let mut raw = [0u8; 32];
            hex::decode_to_slice(&entry.public_key, &mut raw)
                .map_err(|_| Error::InvalidTrustList("public_key must be 64 hex digits".into()))?;
            let key =
                PublicKey::from_bytes(&raw).map_err(|e| Error::InvalidTrustList(e.to_string()))?;
            let kid: KeyId = entry
                .kid
                .parse()
                .map_err(|_| Error::InvalidTrustList("kid must be 16 hex digits".into()))?;
            if kid != key.id() {
                return Err(Error::InvalidTrustList(format!(
                    "kid {kid} does not match its public key (expected {})",
                    key.id()
                )));
            }
            list.add(TrustedKey {
                key,
                usage: entry.usage,
                not_before: entry.not_before,
                not_after: entry.not_after,
                revoked: entry.revoked,
                label: entry.label,
            })?;
        }
        Ok(list)
    }

    /// The JSON form, pretty-printed, keys ordered by key id.
    pub fn to_json(&self) -> String {
        let file = TrustListFile {
            format: FORMAT.into(),
            version: 1,
            keys: self
                .keys
                .iter()
                .map(|k| KeyEntry {
                    kid: k.key.id().to_string(),
                    public_key: hex::encode(k.key.to_bytes()),
                    usage: k.usage,
                    not_before: k.not_before,
                    not_after: k.not_after,
                    revoked: k.revoked,
                    label: k.label.clone(),
                })
                .collect(),
        };
        let mut json = serde_json::to_string_pretty(&file)
            .unwrap_or_else(|_| unreachable!("plain structs serialize"));
        json.push('\n');
        json
    }
}

const FORMAT: &str = "venuecode-trust-list";

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TrustListFile {
    format: String,
    version: u32,
    keys: Vec<KeyEntry>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyEntry {
    kid: String,
    public_key: String,
    usage: Usage,
    #[serde(default)]
    not_before: Option<Timestamp>,
    #[serde(default)]
    not_after: Option<Timestamp>,
    #[serde(default)]
    revoked: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    label: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::key::SecretKey;

    fn key(n: u8) -> PublicKey {
        SecretKey::from_seed(&[n; 32]).public_key()
    }

    #[test]
    fn json_round_trip_and_lookup() {
        let mut list = TrustList::new();
        for n in 1..=5 {
            let mut entry = TrustedKey::new(key(n), Usage::ALL[usize::from(n) % 4]);
            entry.not_before = Some(Timestamp::from_unix(1_600_000_000));
            entry.revoked = n == 3;
            list.add(entry).unwrap();
        }
        let json = list.to_json();
        let again = TrustList::from_json(&json).unwrap();
        assert_eq!(again, list);
        for n in 1..=5 {
            let found = again.find(&key(n).id()).unwrap();
            assert_eq!(found.key, key(n));
            assert_eq!(found.revoked, n == 3);
        }
        assert!(again.find(&key(9).id()).is_none());
    }

    #[test]
    fn refuses_inconsistent_lists() {
        let mut list = TrustList::new();
        list.add(TrustedKey::new(key(1), Usage::Venue)).unwrap();
        let dup = list.add(TrustedKey::new(key(1), Usage::Personal));
        assert!(matches!(dup, Err(Error::InvalidTrustList(_))));

        let good = list.to_json();
        let wrong_kid = good.replace(&key(1).id().to_string(), "0000000000000000");
        assert!(
            TrustList::from_json(&wrong_kid)
                .unwrap_err()
                .to_string()
                .contains("does not match")
        );
        let unknown_field = good.replace("\"revoked\"", "\"revokd\"");
        assert!(TrustList::from_json(&unknown_field).is_err());
        let bad_usage = good.replace("\"venue\"", "\"poster\"");
        assert!(TrustList::from_json(&bad_usage).is_err());
        assert!(TrustList::from_json("{}").is_err());
        // Valid but for its length: only the guard refuses it.
        let padded = format!("{good}{}", " ".repeat(MAX_TRUST_LIST_BYTES));
        assert!(TrustList::from_json(&good).is_ok());
        let e = TrustList::from_json(&padded).unwrap_err();
        assert!(e.to_string().contains("longer than"), "{e}");

        let mut window = TrustedKey::new(key(2), Usage::Venue);
        window.not_before = Some(Timestamp::from_unix(10));
        window.not_after = Some(Timestamp::from_unix(10));
        assert!(list.add(window).is_err());
    }
}
