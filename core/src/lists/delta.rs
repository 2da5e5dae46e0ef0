//! Daily deltas of city status lists (SPEC.md §10.2): what changed between two signed lists of
//! the slot layout, with the new list's header and signature, so that a gate holding the old list
//! rebuilds the new one byte for byte and verifies it like any list. The delta itself needs no
//! signature: the rebuilt list's does the work.
//!
//! ```text
//! delta   = "VCSD" 0x01, base [32], header [25], count u32, changes u32,
//!           changes x (gap LEB128, symbol u8), signature [64]
//! base    = SHA-256(the old list's bytes)
//! header  = the new list's header (version 0x33 ... valid_until)
//! gap     = slot - (previous changed slot + 1), the first from slot 0; strictly ascending slots
//! ```

use crate::encoding::wire::Reader;
use crate::error::{Error, FormatError};
use crate::keys::key::SIGNATURE_LEN;
use crate::lists::sealed::{self, HEADER_LEN, MAX_LIST_BYTES};
use crate::lists::serial::ListKind;
use sha2::{Digest, Sha256};

const MAGIC: &[u8; 5] = b"VCSD\x01";
/// A slot that no holder has (or no longer has).
pub(crate) const NO_HOLDER: u8 = 0xFF;

/// The slots of a slot-layout payload: `count u32`, then that many symbols, nothing after.
pub(crate) fn payload_slots(payload: &[u8]) -> Result<&[u8], FormatError> {
    let mut r = Reader::new(payload);
    let count = r.u32("count")? as usize;
    let slots = r.take(count, "slots")?;
    r.finish()?;
    Ok(slots)
}

/// The slots of a list of the slot layout, as received (not verified: the caller loads the
/// rebuilt list, which checks everything).
fn slots(list: &[u8]) -> Result<&[u8], Error> {
    let (_, payload) = sealed::peek(ListKind::City, list)?;
    Ok(payload_slots(payload)?)
}

/// The delta from `old` to `new`, two signed status lists of the slot layout.
pub fn delta(old: &[u8], new: &[u8]) -> Result<Vec<u8>, Error> {
    let (before, after) = (slots(old)?, slots(new)?);
    let mut changes = Vec::new();
    let mut count = 0u32;
    let mut next = 0usize;
    for (slot, &symbol) in after.iter().enumerate() {
        if before.get(slot).copied().unwrap_or(NO_HOLDER) != symbol {
            let mut gap = u32::try_from(slot - next).unwrap_or(u32::MAX);
            loop {
                let low = u8::try_from(gap & 0x7F).unwrap_or(0);
                gap >>= 7;
                changes.push(if gap == 0 { low } else { low | 0x80 });
                if gap == 0 {
                    break;
                }
            }
            changes.push(symbol);
            count += 1;
            next = slot + 1;
        }
    }
    let mut out = Vec::with_capacity(MAGIC.len() + 32 + HEADER_LEN + 8 + changes.len() + 64);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&Sha256::digest(old));
    out.extend_from_slice(&new[..HEADER_LEN]);
    out.extend_from_slice(&u32::try_from(after.len()).unwrap_or(u32::MAX).to_be_bytes());
    out.extend_from_slice(&count.to_be_bytes());
    out.extend_from_slice(&changes);
    out.extend_from_slice(&new[new.len() - SIGNATURE_LEN..]);
    Ok(out)
}

/// Rebuilds the new list from the old one and a delta. Errors: `malformed` for a delta that
/// does not parse or does not start from `old`; the rebuilt list must still be loaded (its
/// signature, window and serial checked).
pub fn apply(old: &[u8], delta: &[u8]) -> Result<Vec<u8>, Error> {
    let bad = |reason| {
        Error::from(FormatError::Field {
            field: "status delta",
            reason,
        })
    };
    if delta.len() > MAX_LIST_BYTES {
        return Err(FormatError::TooLong {
            max: MAX_LIST_BYTES,
        }
        .into());
    }
    let before = slots(old)?;
    let mut r = Reader::new(
        delta
            .get(..delta.len().saturating_sub(SIGNATURE_LEN))
            .unwrap_or(&[]),
    );
    if r.array::<5>("magic")? != *MAGIC {
        return Err(bad("not a status delta"));
    }
    if r.array::<32>("base")? != <[u8; 32]>::from(Sha256::digest(old)) {
        return Err(bad("made from another list than the one held"));
    }
    let header = r.take(HEADER_LEN, "header")?;
    let count = r.u32("count")? as usize;
    if count > MAX_LIST_BYTES - HEADER_LEN - SIGNATURE_LEN - 4 {
        return Err(bad("too many slots"));
    }
    let changes = r.u32("changes")? as usize;
    if changes > count {
        return Err(bad("more changes than slots"));
    }
    let mut slots = before.to_vec();
    slots.resize(count, NO_HOLDER);
    let mut next = 0usize;
    for _ in 0..changes {
        let mut gap = 0u64;
        for shift in (0..35).step_by(7) {
            let byte = r.u8("gap")?;
            gap |= u64::from(byte & 0x7F) << shift;
            if byte & 0x80 == 0 {
                break;
            }
            if shift == 28 {
                return Err(bad("gap longer than 5 bytes"));
            }
        }
        let slot = usize::try_from(gap)
            .ok()
            .and_then(|g| next.checked_add(g))
            .filter(|&s| s < count)
            .ok_or(bad("a change past the last slot"))?;
        slots[slot] = r.u8("symbol")?;
        next = slot + 1;
    }
    r.finish()?;
    let mut list = Vec::with_capacity(HEADER_LEN + 4 + count + SIGNATURE_LEN);
    list.extend_from_slice(header);
    list.extend_from_slice(&u32::try_from(count).unwrap_or(u32::MAX).to_be_bytes());
    list.extend_from_slice(&slots);
    list.extend_from_slice(&delta[delta.len() - SIGNATURE_LEN..]);
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::timestamp::Timestamp;
    use crate::health::{Colour, HealthStatus};
    use crate::keys::key::SecretKey;
    use crate::keys::trust::{TrustList, TrustedKey, Usage};
    use crate::lists::sealed::Seal;
    use crate::lists::status::StatusList;

    fn colour(n: usize) -> Option<HealthStatus> {
        let colour = [Colour::Green, Colour::Yellow, Colour::Red][n % 3];
        (!n.is_multiple_of(7)).then_some(HealthStatus { colour, nat: None })
    }

    #[test]
    fn a_delta_rebuilds_the_new_list_exactly() {
        let key = SecretKey::from_seed(&[3; 32]);
        let mut trust = TrustList::new();
        trust
            .add(TrustedKey::new(key.public_key(), Usage::Status))
            .unwrap();
        let day = |serial: u64, d: i64| Seal {
            serial,
            issued_at: Timestamp::from_unix(1_649_200_000 + d * 86_400),
            valid_until: Timestamp::from_unix(1_649_200_000 + d * 86_400 + 86_400),
        };
        let old = StatusList::build_slots((0..1000).map(colour), day(1, 0), &key).unwrap();
        // A tenth changed, and 300 more holders at the end (slots far apart: long gaps).
        let new = StatusList::build_slots(
            (0..1300).map(|n| {
                if n % 10 == 3 || n == 999 {
                    colour(n + 1)
                } else {
                    colour(n)
                }
            }),
            day(2, 1),
            &key,
        )
        .unwrap();
        let d = delta(&old, &new).unwrap();
        // 101 changed and at most 300 added, each a gap byte or two and a symbol.
        assert!(d.len() <= 134 + 3 * 401, "{} of {}", d.len(), new.len());
        assert_eq!(apply(&old, &d).unwrap(), new);
        let now = Timestamp::from_unix(1_649_200_000 + 86_400 + 60);
        assert!(StatusList::load(&apply(&old, &d).unwrap(), &trust, now).is_ok());
        // From another list than the one held: refused before anything is rebuilt.
        let other = StatusList::build_slots((0..1000).map(|_| None), day(1, 0), &key).unwrap();
        assert_eq!(apply(&other, &d).unwrap_err().code(), "malformed");
        // A changed symbol: the rebuilt list no longer verifies.
        let mut forged = d.clone();
        let at = forged.len() - 65;
        forged[at] ^= 1;
        let rebuilt = apply(&old, &forged).unwrap();
        assert_eq!(
            StatusList::load(&rebuilt, &trust, now).unwrap_err().code(),
            "bad_signature"
        );
        // Cut anywhere: an error, never a panic.
        for cut in 0..d.len() {
            assert!(apply(&old, &d[..cut]).is_err(), "{cut}");
        }
        // Shrinking and an unchanged list.
        let same = delta(&new, &new).unwrap();
        assert_eq!(apply(&new, &same).unwrap(), new);
        let fewer = StatusList::build_slots((0..10).map(colour), day(3, 1), &key).unwrap();
        assert_eq!(apply(&new, &delta(&new, &fewer).unwrap()).unwrap(), fewer);
    }
}
