//! The lists the service decides with and serves: the signed trust list, the status list, the
//! revocation list and the rule set. The authority replaces one with `PUT /v1/lists/{kind}` on
//! any node; the new set is verified whole by core, serials included, before it is published in
//! the directory (the city's PostgreSQL, or `service.sqlite`), where every node reads it: a node
//! asks at most every [`crate::Limits::lists_refresh`] whether a newer publication exists, and
//! verifies it against its own gate state before it decides or serves with it. A list's ETag and
//! a status list's delta are worked out once, at publication.

use crate::error::ApiError;
use axum::body::Bytes;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::Path;
use venuecode::KeyId;
use venuecode::door::{GateConfig, GateTrust};
use venuecode_ledger::directory::PublishedList;
use venuecode_ledger::files::Access;

/// A list the service serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Kind {
    /// The signed trust list.
    Trust,
    /// The status list (offline codes).
    Status,
    /// The revocation list.
    Revocations,
    /// The signed rule set.
    Policy,
}

impl Kind {
    /// Every kind, in the order they are loaded.
    pub const ALL: [Kind; 4] = [Kind::Trust, Kind::Status, Kind::Revocations, Kind::Policy];

    /// Its name in URLs and file names.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Trust => "trust",
            Kind::Status => "status",
            Kind::Revocations => "revocations",
            Kind::Policy => "policy",
        }
    }

    /// The kind a URL names.
    pub fn parse(s: &str) -> Result<Kind, ApiError> {
        Kind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| ApiError::not_found("no such list"))
    }
}

/// The lists in force.
#[derive(Debug, Clone, Default)]
pub struct ListSet {
    /// The signed trust list.
    pub trust: Vec<u8>,
    /// The root key ids the trust list must be signed by.
    pub root_kids: Vec<KeyId>,
    /// A signed status list.
    pub status: Option<Vec<u8>>,
    /// A signed revocation list.
    pub revocations: Option<Vec<u8>>,
    /// A signed rule set (else the built-in one).
    pub policy: Option<Vec<u8>>,
    /// The built-in rule set's id, if no signed one is given.
    pub builtin: Option<String>,
    /// A status older than this many seconds is stale.
    pub max_status_age_secs: Option<i64>,
}

/// A list's entity tag: the first 16 bytes of its SHA-256, quoted.
pub(crate) fn etag(bytes: &[u8]) -> String {
    format!("\"{}\"", hex::encode(&Sha256::digest(bytes)[..16]))
}

impl ListSet {
    /// The core gate's configuration these lists make (the trust list signed by a pinned root).
    pub fn config(&self) -> GateConfig {
        let mut config = GateConfig::new(GateTrust::Signed {
            list: self.trust.clone(),
            roots: self.root_kids.clone(),
        });
        config.status.clone_from(&self.status);
        config.revocations.clone_from(&self.revocations);
        config.policy.clone_from(&self.policy);
        config.builtin.clone_from(&self.builtin);
        config.max_status_age_secs = self.max_status_age_secs;
        config
    }

    /// A list's bytes, if there is one.
    pub fn get(&self, kind: Kind) -> Option<&[u8]> {
        match kind {
            Kind::Trust => Some(self.trust.as_slice()).filter(|t| !t.is_empty()),
            Kind::Status => self.status.as_deref(),
            Kind::Revocations => self.revocations.as_deref(),
            Kind::Policy => self.policy.as_deref(),
        }
    }

    /// These lists with one replaced.
    pub fn with(&self, kind: Kind, bytes: Vec<u8>) -> ListSet {
        let mut next = self.clone();
        match kind {
            Kind::Trust => next.trust = bytes,
            Kind::Status => next.status = Some(bytes),
            Kind::Revocations => next.revocations = Some(bytes),
            Kind::Policy => next.policy = Some(bytes),
        }
        next
    }

    /// Fills in, from `dir/lists/` (where a node kept them before the directory held lists),
    /// the kinds not given at start.
    pub fn with_kept(mut self, dir: &Path) -> Result<ListSet, ApiError> {
        for kind in Kind::ALL {
            if self.get(kind).is_some() {
                continue;
            }
            let path = dir.join("lists").join(format!("{}.bin", kind.name()));
            match std::fs::read(&path) {
                Ok(bytes) => self = self.with(kind, bytes),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(self)
    }

    /// These lists' settings (root key ids, built-in rule set, status age) with the lists
    /// published in the directory.
    pub(crate) fn with_published(&self, published: &[PublishedList]) -> ListSet {
        let mut next = ListSet {
            root_kids: self.root_kids.clone(),
            builtin: self.builtin.clone(),
            max_status_age_secs: self.max_status_age_secs,
            ..ListSet::default()
        };
        for p in published {
            if let Ok(kind) = Kind::parse(&p.kind) {
                next = next.with(kind, p.bytes.clone());
            }
        }
        next
    }
}

/// A list to publish: its ETag, and for a status list the delta from the one it replaces (none
/// when either is not of the slot layout).
pub(crate) fn to_publish(kind: Kind, bytes: Vec<u8>, replaces: Option<&Served>) -> PublishedList {
    let delta = replaces
        .filter(|_| kind == Kind::Status)
        .and_then(|served| served.lists.get(&kind))
        .and_then(|(previous, tag)| {
            venuecode::status_delta::delta(previous, &bytes)
                .ok()
                .map(|d| (tag.clone(), d))
        });
    PublishedList {
        kind: kind.name().to_owned(),
        etag: etag(&bytes),
        bytes,
        delta,
        version: 0,
    }
}

/// The lists as a node serves them: each kind's bytes and ETag, and the status list's delta
/// from the one it replaced, as published (cheap to clone per request, never hashed again).
#[derive(Debug, Default)]
pub(crate) struct Served {
    pub(crate) lists: HashMap<Kind, (Bytes, String)>,
    /// The ETag of the status list replaced, the delta from it, and the delta's ETag.
    pub(crate) delta: Option<(String, Bytes, String)>,
    /// The directory's number of the latest publication these include.
    pub(crate) version: i64,
}

impl Served {
    pub(crate) fn of(published: &[PublishedList]) -> Served {
        let mut served = Served::default();
        for p in published {
            let Ok(kind) = Kind::parse(&p.kind) else {
                continue;
            };
            served.version = served.version.max(p.version);
            served
                .lists
                .insert(kind, (Bytes::from(p.bytes.clone()), p.etag.clone()));
            if let (Kind::Status, Some((from, delta))) = (kind, &p.delta) {
                served.delta = Some((from.clone(), Bytes::from(delta.clone()), etag(delta)));
            }
        }
        served
    }
}

/// Writes `dir/name` whole or not at all (the ledger's writer: a temporary file of a random
/// name, created exclusively), creating `dir` if missing.
pub(crate) fn write_atomically(
    dir: &Path,
    name: &str,
    access: Access,
    bytes: &[u8],
) -> Result<(), ApiError> {
    std::fs::create_dir_all(dir)?;
    Ok(venuecode_ledger::files::write_atomically(
        &dir.join(name),
        access,
        bytes,
    )?)
}
