//! The checks every signed object goes through: the key, its usage, the signature, the key's
//! status, its window at the object's issue time and its scope, and the object's own window.

use crate::encoding::timestamp::Timestamp;
use crate::error::{Error, Subject};
use crate::keys::key::SIGNATURE_LEN;
use crate::keys::trust::{KeyProvider, TrustedKey, Usage};
use crate::kid::KeyId;

/// How far in the future a code's issued-at or a key's not-before may lie and still be accepted,
/// in seconds: gate devices' clocks drift. Expiry gets no such grace.
pub const CLOCK_SKEW_SECS: i64 = 60;

/// What a signed object says of itself, checked against its key's entry.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Claims<'a> {
    /// When it says it was signed: the key's window must hold it.
    pub(crate) issued_at: Timestamp,
    /// The URL prefix a code is under (codes only).
    pub(crate) prefix: Option<&'a str>,
    /// The six-digit division it is for: a venue's, a holder's.
    pub(crate) division: Option<u32>,
}

impl Claims<'_> {
    /// A list's or rule set's claims: only its issue time.
    pub(crate) fn issued(issued_at: Timestamp) -> Self {
        Claims {
            issued_at,
            prefix: None,
            division: None,
        }
    }
}

/// Checks a signature against the key a provider holds for `kid`, in this order: the key is
/// known, it may sign `usage`, the signature verifies, the key is not revoked, the object's
/// issue time is in the key's window, and its prefix and division are in the key's scope. The
/// signature comes before the key's status so that only genuine codes are ever reported as
/// revoked, expired or out of scope. Gives the key's entry.
pub(crate) fn check_signature<'k>(
    keys: &'k (impl KeyProvider + ?Sized),
    kid: KeyId,
    usage: Usage,
    claims: Claims<'_>,
    message: &[u8],
    signature: &[u8; SIGNATURE_LEN],
) -> Result<&'k TrustedKey, Error> {
    let entry = keys.find(&kid).ok_or(Error::UnknownKey(kid))?;
    if entry.usage != usage {
        return Err(Error::WrongKeyUsage(kid));
    }
    entry.key.verify(message, signature)?;
    if entry.revoked {
        return Err(Error::Revoked(kid));
    }
    check_window(
        entry.not_before,
        entry.not_after,
        claims.issued_at,
        Subject::Key,
    )?;
    let prefix_ok = claims
        .prefix
        .is_none_or(|p| entry.prefixes.iter().any(|q| q.as_str() == p));
    let division_ok = claims.division.is_none_or(|d| entry.covers_division(d));
    if !prefix_ok || !division_ok {
        return Err(Error::OutOfScope(kid));
    }
    Ok(entry)
}

/// `now` must not be before `not_before` (less the clock-skew grace) and must be before
/// `not_after`.
pub(crate) fn check_window(
    not_before: Option<Timestamp>,
    not_after: Option<Timestamp>,
    now: Timestamp,
    subject: Subject,
) -> Result<(), Error> {
    if let Some(start) = not_before
        && now.saturating_add(CLOCK_SKEW_SECS) < start
    {
        return Err(Error::NotYetValid(subject));
    }
    if let Some(end) = not_after
        && now >= end
    {
        return Err(Error::Expired(subject));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows() {
        let t = Timestamp::from_unix;
        assert_eq!(
            check_window(Some(t(100)), Some(t(200)), t(150), Subject::Code),
            Ok(())
        );
        assert_eq!(
            check_window(Some(t(100)), Some(t(200)), t(199), Subject::Code),
            Ok(())
        );
        assert_eq!(
            check_window(Some(t(100)), Some(t(200)), t(200), Subject::Code),
            Err(Error::Expired(Subject::Code))
        );
        // Within the clock-skew grace before the start.
        assert_eq!(
            check_window(Some(t(100)), None, t(100 - CLOCK_SKEW_SECS), Subject::Key),
            Ok(())
        );
        assert_eq!(
            check_window(Some(t(100)), None, t(99 - CLOCK_SKEW_SECS), Subject::Key),
            Err(Error::NotYetValid(Subject::Key))
        );
        assert_eq!(check_window(None, None, t(i64::MAX), Subject::Key), Ok(()));
    }
}
