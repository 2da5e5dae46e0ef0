//! Trust lists: the public keys a verifier accepts, each for one usage and a scope (the URL
//! prefixes and divisions it may sign for), with a window for what it signs and a revoked flag.
//! The JSON form is in SPEC.md §6:
//!
//! ```json
//! {
//!   "format": "venuecode-trust-list",
//!   "version": 2,
//!   "keys": [
//!     { "kid": "1f0c…", "public_key": "<64 hex digits>", "usage": "venue",
//!       "not_before": "2022-01-01T00:00:00Z", "not_after": null, "revoked": false,
//!       "prefixes": ["HTTPS://VC.SH.GOV.CN/1/"], "divisions": ["3101"],
//!       "label": "Shanghai venue codes 2022" }
//!   ]
//! }
//! ```
//!
//! A key's window bounds the **issue time** of what it signs, not the time of checking: a key
//! retired with `not_after` stops signing, and the posters it signed before stay valid until
//! their own end; `revoked` kills everything it ever signed.

use crate::encoding::prefix::Prefix;
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
    /// Trust lists: a root key, kept offline, that gates and apps pin by its key id.
    Root,
}

impl Usage {
    /// Every usage, in order.
    pub const ALL: [Usage; 5] = [
        Usage::Venue,
        Usage::Personal,
        Usage::Policy,
        Usage::Status,
        Usage::Root,
    ];

    /// Whether what it signs is a code under a URL prefix (so the key must name its prefixes).
    pub fn signs_codes(self) -> bool {
        matches!(self, Usage::Venue | Usage::Personal)
    }

    /// The name used in JSON and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Usage::Venue => "venue",
            Usage::Personal => "personal",
            Usage::Policy => "policy",
            Usage::Status => "status",
            Usage::Root => "root",
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
                reason: "expected venue, personal, policy, status or root".into(),
            })
    }
}

/// A key with what it may sign, for whom and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedKey {
    /// The public key.
    pub key: PublicKey,
    /// What it may sign.
    pub usage: Usage,
    /// Nothing it signed with an earlier issue time is trusted.
    pub not_before: Option<Timestamp>,
    /// Nothing it signed with this issue time or later is trusted (the key is retired).
    pub not_after: Option<Timestamp>,
    /// Revoked: nothing it signed verifies, whenever it was signed.
    pub revoked: bool,
    /// A human-readable note.
    pub label: Option<String>,
    /// The exact URL prefixes its codes may be under. Venue and personal keys name at least
    /// one; other keys none.
    pub prefixes: Vec<Prefix>,
    /// The divisions it may sign for: 2, 4 or 6 digits (province, city, district), matched
    /// against the start of a venue's division or a holder's; empty for all.
    pub divisions: Vec<String>,
    /// The issuer whose serials the lists it signs continue (SPEC.md §10); `None`: the key's own
    /// id. Two keys of one issuer (a key and its successor) share one sequence.
    pub issuer: Option<String>,
}

impl TrustedKey {
    /// A key trusted for `usage` with no window and no scope, not revoked. A venue or personal
    /// key needs a prefix ([`TrustedKey::with_prefix`]) before a list takes it.
    pub fn new(key: PublicKey, usage: Usage) -> Self {
        TrustedKey {
            key,
            usage,
            not_before: None,
            not_after: None,
            revoked: false,
            label: None,
            prefixes: Vec::new(),
            divisions: Vec::new(),
            issuer: None,
        }
    }

    /// With one more URL prefix it may sign under.
    pub fn with_prefix(mut self, prefix: &Prefix) -> Self {
        self.prefixes.push(prefix.clone());
        self
    }

    /// With one more division it may sign for (2, 4 or 6 digits).
    pub fn with_division(mut self, division: &str) -> Self {
        self.divisions.push(division.to_owned());
        self
    }

    /// The issuer label its lists are counted under: its `issuer`, else its key id.
    pub fn issuer(&self) -> String {
        self.issuer
            .clone()
            .unwrap_or_else(|| self.key.id().to_string())
    }

    /// Whether a six-digit division is inside its scope.
    pub fn covers_division(&self, division: u32) -> bool {
        division_in(&self.divisions, division)
    }

    fn check(&self) -> Result<(), Error> {
        let kid = self.key.id();
        let bad = |reason: &str| Err(Error::InvalidTrustList(format!("key {kid}: {reason}")));
        if let (Some(a), Some(b)) = (self.not_before, self.not_after)
            && a >= b
        {
            return bad("not_before is not before not_after");
        }
        if self.usage.signs_codes() == self.prefixes.is_empty() {
            return bad(if self.prefixes.is_empty() {
                "a venue or personal key must name the URL prefixes it signs under"
            } else {
                "only venue and personal keys have prefixes"
            });
        }
        if self.prefixes.len() > MAX_SCOPE || self.divisions.len() > MAX_SCOPE {
            return bad("more than 64 prefixes or divisions");
        }
        if !self.divisions.iter().all(|d| is_division_scope(d)) {
            return bad("divisions are 2, 4 or 6 digits");
        }
        if let Some(issuer) = &self.issuer {
            let ok = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit() || b"-.".contains(&c);
            if issuer.is_empty() || issuer.len() > 32 || !issuer.bytes().all(ok) {
                return bad("an issuer is 1-32 of a-z 0-9 - .");
            }
        }
        Ok(())
    }
}

/// Whether a text names a scope of divisions: 2, 4 or 6 digits (a province, a city, a district).
pub fn is_division_scope(text: &str) -> bool {
    matches!(text.len(), 2 | 4 | 6) && text.bytes().all(|c| c.is_ascii_digit())
}

/// Whether a six-digit division is inside a scope of 2, 4 or 6-digit divisions (empty: all).
pub fn division_in(scope: &[String], division: u32) -> bool {
    let code = format!("{division:06}");
    scope.is_empty() || scope.iter().any(|d| code.starts_with(d.as_str()))
}

/// The most prefixes, and the most divisions, one key may name.
const MAX_SCOPE: usize = 64;

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

    /// The venue code whose URL a request's path is (a phone's scanner opens
    /// `HTTPS://VC.SH.GOV.CN/1/<payload>` as `GET /1/<payload>` on that host, SPEC.md §16.8):
    /// the URL prefix of a venue key whose path the path starts with, preferring the one whose
    /// host is `host` (compared without case), followed by the payload as it came. `None` when
    /// no venue key's prefix has that path, or the payload is empty, longer than 1,024 bytes or
    /// holds a `/`. Nothing is verified here.
    pub fn venue_code_at(&self, path: &str, host: Option<&str>) -> Option<String> {
        let mut found: Option<String> = None;
        for prefix in self
            .keys
            .iter()
            .filter(|k| k.usage == Usage::Venue)
            .flat_map(|k| k.prefixes.iter())
        {
            let p = prefix.as_str();
            let route = &p["HTTPS://".len() + prefix.host().len()..];
            let Some(payload) = path.strip_prefix(route) else {
                continue;
            };
            if payload.is_empty() || payload.len() > 1024 || payload.contains('/') {
                continue;
            }
            let text = format!("{p}{payload}");
            if host.is_some_and(|h| h.eq_ignore_ascii_case(prefix.host())) {
                return Some(text);
            }
            found.get_or_insert(text);
        }
        found
    }

    /// Adds an entry. Two entries with one key id are refused: a verifier must never have to
    /// choose between keys.
    pub fn add(&mut self, entry: TrustedKey) -> Result<(), Error> {
        if self.keys.len() >= MAX_TRUST_LIST_KEYS {
            return Err(Error::InvalidTrustList(format!(
                "more than {MAX_TRUST_LIST_KEYS} keys"
            )));
        }
        entry.check()?;
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
        if file.format != FORMAT || file.version != VERSION {
            return Err(Error::InvalidTrustList(format!(
                "expected format {FORMAT:?} version {VERSION} (version 1 lists had no scopes: \
                 add the keys again with their prefixes)"
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
            let prefixes = entry
                .prefixes
                .iter()
                .map(|p| Prefix::new(p).map_err(|e| Error::InvalidTrustList(e.to_string())))
                .collect::<Result<_, _>>()?;
            list.add(TrustedKey {
                key,
                usage: entry.usage,
                not_before: entry.not_before,
                not_after: entry.not_after,
                revoked: entry.revoked,
                label: entry.label,
                prefixes,
                divisions: entry.divisions,
                issuer: entry.issuer,
            })?;
        }
        Ok(list)
    }

    /// The JSON form, pretty-printed, keys ordered by key id.
    pub fn to_json(&self) -> String {
        let file = TrustListFile {
            format: FORMAT.into(),
            version: VERSION,
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
                    prefixes: k.prefixes.iter().map(|p| p.as_str().to_owned()).collect(),
                    divisions: k.divisions.clone(),
                    issuer: k.issuer.clone(),
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
const VERSION: u32 = 2;

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
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    prefixes: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    divisions: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    issuer: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::key::SecretKey;

    fn key(n: u8) -> PublicKey {
        SecretKey::from_seed(&[n; 32]).public_key()
    }

    #[test]
    fn a_path_under_a_venue_key_s_prefix_is_its_code_s_url() {
        let mut list = TrustList::new();
        let sh = Prefix::new("HTTPS://VC.SH.GOV.CN/1/").unwrap();
        let other = Prefix::new("HTTPS://VC.EXAMPLE.CN/1/").unwrap();
        list.add(TrustedKey::new(key(1), Usage::Venue).with_prefix(&sh))
            .unwrap();
        list.add(TrustedKey::new(key(2), Usage::Venue).with_prefix(&other))
            .unwrap();
        let personal = Prefix::new("HTTPS://HC.SH.GOV.CN/P/").unwrap();
        list.add(TrustedKey::new(key(3), Usage::Personal).with_prefix(&personal))
            .unwrap();
        // The host asked for picks among prefixes sharing a path, in any case.
        assert_eq!(
            list.venue_code_at("/1/ABC", Some("vc.example.cn"))
                .as_deref(),
            Some("HTTPS://VC.EXAMPLE.CN/1/ABC")
        );
        assert_eq!(
            list.venue_code_at("/1/ABC", Some("vc.sh.gov.cn"))
                .as_deref(),
            Some("HTTPS://VC.SH.GOV.CN/1/ABC")
        );
        // Another host (a proxy's): one of the prefixes with that path.
        assert!(list.venue_code_at("/1/ABC", Some("localhost")).is_some());
        // Not a venue code's URL: a personal key's path, another path, no payload, a deeper
        // path, a payload too long.
        for path in ["/P/ABC", "/2/ABC", "/1/", "/1/A/B"] {
            assert_eq!(list.venue_code_at(path, None), None, "{path}");
        }
        assert_eq!(
            list.venue_code_at(&format!("/1/{}", "A".repeat(1025)), None),
            None
        );
    }

    #[test]
    fn json_round_trip_and_lookup() {
        let mut list = TrustList::new();
        let prefix = Prefix::new("HTTPS://VC.SH.GOV.CN/1/").unwrap();
        for n in 1..=5 {
            let mut entry = TrustedKey::new(key(n), Usage::ALL[usize::from(n) % 5]);
            entry.not_before = Some(Timestamp::from_unix(1_600_000_000));
            entry.revoked = n == 3;
            if entry.usage.signs_codes() {
                entry = entry.with_prefix(&prefix).with_division("3101");
            } else {
                entry.issuer = Some("sh-health".into());
            }
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
        let prefix = Prefix::new("HTTPS://VC.SH.GOV.CN/1/").unwrap();
        let mut list = TrustList::new();
        list.add(TrustedKey::new(key(1), Usage::Venue).with_prefix(&prefix))
            .unwrap();
        let dup = list.add(TrustedKey::new(key(1), Usage::Personal).with_prefix(&prefix));
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

        let mut window = TrustedKey::new(key(2), Usage::Venue).with_prefix(&prefix);
        window.not_before = Some(Timestamp::from_unix(10));
        window.not_after = Some(Timestamp::from_unix(10));
        assert!(list.add(window).is_err());
    }

    #[test]
    fn scopes_are_checked_when_added() {
        let prefix = Prefix::new("HTTPS://VC.SH.GOV.CN/1/").unwrap();
        let mut list = TrustList::new();
        let refused = |list: &mut TrustList, entry: TrustedKey| {
            let e = list.add(entry).unwrap_err();
            assert_eq!(e.code(), "invalid_trust_list");
            e.to_string()
        };
        // A venue key without prefixes would sign under any host.
        assert!(refused(&mut list, TrustedKey::new(key(1), Usage::Venue)).contains("prefixes"));
        assert!(
            refused(
                &mut list,
                TrustedKey::new(key(1), Usage::Status).with_prefix(&prefix)
            )
            .contains("only venue and personal")
        );
        for division in ["3", "310", "31010", "3101070", "31a1"] {
            let entry = TrustedKey::new(key(1), Usage::Venue)
                .with_prefix(&prefix)
                .with_division(division);
            assert!(
                refused(&mut list, entry).contains("divisions"),
                "{division}"
            );
        }
        let mut entry = TrustedKey::new(key(1), Usage::Status);
        entry.issuer = Some("SH HEALTH".into());
        assert!(refused(&mut list, entry).contains("issuer"));
        // A prefix of the old grammar is refused in the JSON too.
        list.add(TrustedKey::new(key(1), Usage::Venue).with_prefix(&prefix))
            .unwrap();
        let json = list
            .to_json()
            .replace("HTTPS://VC.SH.GOV.CN/1/", "HTTPS://VC.SH.GOV.CN$.EVIL.CC/");
        assert_eq!(
            TrustList::from_json(&json).unwrap_err().code(),
            "invalid_trust_list"
        );
        let v1 = list.to_json().replace("\"version\": 2", "\"version\": 1");
        assert!(
            TrustList::from_json(&v1)
                .unwrap_err()
                .to_string()
                .contains("version 1")
        );
        let entry = TrustedKey::new(key(2), Usage::Venue)
            .with_prefix(&prefix)
            .with_division("3101");
        assert!(entry.covers_division(310107));
        assert!(!entry.covers_division(320107));
        assert!(TrustedKey::new(key(2), Usage::Status).covers_division(320107));
    }
}
