//! Signed binary lists (status lists, revocation lists, trust lists): SPEC.md §10.
//!
//! ```text
//! list      = body signature                      ; signature: 64 bytes
//! body      = version u8, key_id [8], serial u64, issued_at u32, valid_until u32, payload
//! signed    = domain || body
//! ```
//!
//! A list is signed by a key of the kind's usage (`status`; `root` for trust lists), issued
//! inside the key's window, valid from issued_at (with the 60 s grace) until valid_until, which
//! is at most the kind's [`ListKind::max_lifetime_secs`] later, and is read whole: its size is
//! checked before anything else. Its serial, per issuer and kind, only grows (a gate keeps the
//! highest it accepted: [`crate::lists::serial::Serials`]).

use crate::encoding::timestamp::Timestamp;
use crate::encoding::wire::Reader;
use crate::error::{Error, FormatError, Subject};
use crate::keys::key::{SIGNATURE_LEN, SecretKey};
use crate::keys::signature::Claims;
use crate::keys::trust::KeyProvider;
use crate::kid::KeyId;
use crate::lists::serial::{Accepted, ListKind};
use sha2::{Digest, Sha256};

/// The largest list read: 64 MiB (a status list of 4.9 million holders).
pub const MAX_LIST_BYTES: usize = 64 << 20;

/// The header of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) key_id: KeyId,
    pub(crate) serial: u64,
    pub(crate) issued_at: Timestamp,
    pub(crate) valid_until: Timestamp,
}

pub(crate) const HEADER_LEN: usize = 1 + 8 + 8 + 4 + 4;

/// A list's place in its issuer's sequence and its window, given when signing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seal {
    /// Above every serial the issuer signed before for this kind.
    pub serial: u64,
    /// When it was issued (a status list: the instant its statuses describe).
    pub issued_at: Timestamp,
    /// Until when it may be used: at most the kind's lifetime cap after `issued_at`.
    pub valid_until: Timestamp,
}

fn unix_u32(t: Timestamp, field: &'static str) -> Result<u32, Error> {
    t.unix_u32().ok_or_else(|| Error::InvalidInput {
        field,
        reason: "must lie in 1970..=2106".into(),
    })
}

/// Signs `payload` as a list of `kind`: the list's bytes.
pub(crate) fn seal(
    kind: ListKind,
    key: &SecretKey,
    seal: Seal,
    payload: &[u8],
) -> Result<Vec<u8>, Error> {
    let Seal {
        serial,
        issued_at,
        valid_until,
    } = seal;
    if valid_until <= issued_at {
        return Err(Error::InvalidInput {
            field: "valid_until",
            reason: "must be after issued_at".into(),
        });
    }
    if valid_until.unix() - issued_at.unix() > kind.max_lifetime_secs() {
        return Err(Error::InvalidInput {
            field: "valid_until",
            reason: format!(
                "a {} list lives at most {} hours",
                kind.name(),
                kind.max_lifetime_secs() / 3600
            ),
        });
    }
    let mut bytes = Vec::with_capacity(HEADER_LEN + payload.len() + SIGNATURE_LEN);
    bytes.push(kind.version());
    bytes.extend_from_slice(&key.public_key().id().0);
    bytes.extend_from_slice(&serial.to_be_bytes());
    bytes.extend_from_slice(&unix_u32(issued_at, "issued_at")?.to_be_bytes());
    bytes.extend_from_slice(&unix_u32(valid_until, "valid_until")?.to_be_bytes());
    bytes.extend_from_slice(payload);
    if bytes.len() + SIGNATURE_LEN > MAX_LIST_BYTES {
        return Err(Error::InvalidInput {
            field: "list",
            reason: "larger than 64 MiB".into(),
        });
    }
    let signature = key.sign(&signed(kind.domain(), &bytes));
    bytes.extend_from_slice(&signature);
    Ok(bytes)
}

fn signed(domain: &[u8], body: &[u8]) -> Vec<u8> {
    let mut message = Vec::with_capacity(domain.len() + body.len());
    message.extend_from_slice(domain);
    message.extend_from_slice(body);
    message
}

/// A list whose signature, key, scope and window were checked.
#[derive(Debug)]
pub(crate) struct Opened<'a> {
    pub(crate) header: Header,
    pub(crate) payload: &'a [u8],
    /// The issuer, kind, serial and digest, for the gate's serials.
    pub(crate) accepted: Accepted,
    /// The signing key's divisions (a status key's holders); empty for all.
    pub(crate) divisions: Vec<String>,
}

/// The header of a list, read without checking anything else (the trust list needs its key
/// id to find the root key inside its own payload).
pub(crate) fn peek(kind: ListKind, bytes: &[u8]) -> Result<(Header, &[u8]), Error> {
    if bytes.len() > MAX_LIST_BYTES {
        return Err(FormatError::TooLong {
            max: MAX_LIST_BYTES,
        }
        .into());
    }
    if bytes.len() < HEADER_LEN + SIGNATURE_LEN {
        return Err(FormatError::Truncated("list header").into());
    }
    let body = &bytes[..bytes.len() - SIGNATURE_LEN];
    let mut r = Reader::new(body);
    let found = r.u8("version")?;
    if found != kind.version() {
        return Err(Error::UnsupportedVersion(found));
    }
    let header = Header {
        key_id: KeyId(r.array("key_id")?),
        serial: u64::from_be_bytes(r.array("serial")?),
        issued_at: Timestamp::from_unix(i64::from(r.u32("issued_at")?)),
        valid_until: Timestamp::from_unix(i64::from(r.u32("valid_until")?)),
    };
    Ok((header, &body[HEADER_LEN..]))
}

/// Checks a list's size, version, signature (the kind's usage), key, scope and window, and its
/// lifetime cap; gives its header and payload.
pub(crate) fn open<'a>(
    kind: ListKind,
    bytes: &'a [u8],
    keys: &(impl KeyProvider + ?Sized),
    now: Timestamp,
) -> Result<Opened<'a>, Error> {
    let (header, payload) = peek(kind, bytes)?;
    let (body, signature) = bytes.split_at(bytes.len() - SIGNATURE_LEN);
    let mut sig = [0; SIGNATURE_LEN];
    sig.copy_from_slice(signature);
    let entry = crate::keys::signature::check_signature(
        keys,
        header.key_id,
        kind.usage(),
        Claims::issued(header.issued_at),
        &signed(kind.domain(), body),
        &sig,
    )?;
    if header.valid_until.unix() - header.issued_at.unix() > kind.max_lifetime_secs() {
        return Err(FormatError::Field {
            field: "valid_until",
            reason: "beyond the kind's lifetime cap",
        }
        .into());
    }
    crate::keys::signature::check_window(
        Some(header.issued_at),
        Some(header.valid_until),
        now,
        Subject::List,
    )?;
    Ok(Opened {
        header,
        payload,
        accepted: Accepted {
            kind: kind.serial_kind(),
            issuer: entry.issuer(),
            serial: header.serial,
            digest: Sha256::digest(bytes).into(),
        },
        divisions: entry.divisions.clone(),
    })
}
