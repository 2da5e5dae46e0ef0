//! Signed binary lists (status lists, revocation lists): SPEC.md §10.
//!
//! ```text
//! list      = body signature                      ; signature: 64 bytes
//! body      = version u8, key_id [8], issued_at u32, valid_until u32, payload
//! signed    = domain || body
//! ```
//!
//! A list is signed by a key whose usage is `status`, is valid from issued_at (with the 60 s
//! grace) until valid_until, and is read whole: its size is checked before anything else.

use crate::encoding::timestamp::Timestamp;
use crate::encoding::wire::Reader;
use crate::error::{Error, FormatError, Subject};
use crate::keys::key::{SIGNATURE_LEN, SecretKey};
use crate::keys::trust::{KeyProvider, Usage};
use crate::kid::KeyId;

/// The largest list read: 64 MiB (a status list of 4.9 million holders).
pub const MAX_LIST_BYTES: usize = 64 << 20;

/// The header of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) key_id: KeyId,
    pub(crate) issued_at: Timestamp,
    pub(crate) valid_until: Timestamp,
}

pub(crate) const HEADER_LEN: usize = 1 + 8 + 4 + 4;

fn unix_u32(t: Timestamp, field: &'static str) -> Result<u32, Error> {
    u32::try_from(t.unix()).map_err(|_| Error::InvalidInput {
        field,
        reason: "must lie in 1970..=2106".into(),
    })
}

/// Signs `payload` as a list of kind `version` under `domain`: the list's bytes.
pub(crate) fn seal(
    domain: &[u8],
    version: u8,
    key: &SecretKey,
    issued_at: Timestamp,
    valid_until: Timestamp,
    payload: &[u8],
) -> Result<Vec<u8>, Error> {
    if valid_until <= issued_at {
        return Err(Error::InvalidInput {
            field: "valid_until",
            reason: "must be after issued_at".into(),
        });
    }
    let mut bytes = Vec::with_capacity(HEADER_LEN + payload.len() + SIGNATURE_LEN);
    bytes.push(version);
    bytes.extend_from_slice(&key.public_key().id().0);
    bytes.extend_from_slice(&unix_u32(issued_at, "issued_at")?.to_be_bytes());
    bytes.extend_from_slice(&unix_u32(valid_until, "valid_until")?.to_be_bytes());
    bytes.extend_from_slice(payload);
    if bytes.len() + SIGNATURE_LEN > MAX_LIST_BYTES {
        return Err(Error::InvalidInput {
            field: "list",
            reason: "larger than 64 MiB".into(),
        });
    }
    let signature = key.sign(&signed(domain, &bytes));
    bytes.extend_from_slice(&signature);
    Ok(bytes)
}

fn signed(domain: &[u8], body: &[u8]) -> Vec<u8> {
    let mut message = Vec::with_capacity(domain.len() + body.len());
    message.extend_from_slice(domain);
    message.extend_from_slice(body);
    message
}

/// Checks a list's size, version, signature (usage `status`), key and window; gives its header
/// and payload.
pub(crate) fn open<'a>(
    domain: &[u8],
    version: u8,
    bytes: &'a [u8],
    keys: &(impl KeyProvider + ?Sized),
    now: Timestamp,
) -> Result<(Header, &'a [u8]), Error> {
    if bytes.len() > MAX_LIST_BYTES {
        return Err(FormatError::TooLong {
            max: MAX_LIST_BYTES,
        }
        .into());
    }
    if bytes.len() < HEADER_LEN + SIGNATURE_LEN {
        return Err(FormatError::Truncated("list header").into());
    }
    let (body, signature) = bytes.split_at(bytes.len() - SIGNATURE_LEN);
    let mut r = Reader::new(body);
    let found = r.u8("version")?;
    if found != version {
        return Err(Error::UnsupportedVersion(found));
    }
    let header = Header {
        key_id: KeyId(r.array("key_id")?),
        issued_at: Timestamp::from_unix(i64::from(r.u32("issued_at")?)),
        valid_until: Timestamp::from_unix(i64::from(r.u32("valid_until")?)),
    };
    let mut sig = [0; SIGNATURE_LEN];
    sig.copy_from_slice(signature);
    crate::keys::signature::check_signature(
        keys,
        header.key_id,
        Usage::Status,
        now,
        &signed(domain, body),
        &sig,
    )?;
    crate::keys::signature::check_window(
        Some(header.issued_at),
        Some(header.valid_until),
        now,
        Subject::List,
    )?;
    Ok((header, &body[HEADER_LEN..]))
}
