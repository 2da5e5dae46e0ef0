//! The checks every signed object goes through: the key, its usage, the signature, the key's
//! status and window, and the object's own window.

use crate::encoding::timestamp::Timestamp;
use crate::error::{Error, Subject};
use crate::keys::key::SIGNATURE_LEN;
use crate::keys::trust::{KeyProvider, Usage};
use crate::kid::KeyId;

/// How far in the future a code's issued-at or a key's not-before may lie and still be accepted,
/// in seconds: gate devices' clocks drift. Expiry gets no such grace.
pub const CLOCK_SKEW_SECS: i64 = 60;

/// Checks a signature against the key a provider holds for `kid`, in this order: the key is
/// known, it may sign `usage`, the signature verifies, the key is not revoked, and `now` is in
/// the key's window. The signature comes before the key's status so that only genuine codes are
/// ever reported as revoked or expired.
pub(crate) fn check_signature(
    keys: &(impl KeyProvider + ?Sized),
    kid: KeyId,
    usage: Usage,
    now: Timestamp,
    message: &[u8],
    signature: &[u8; SIGNATURE_LEN],
) -> Result<(), Error> {
    let entry = keys.find(&kid).ok_or(Error::UnknownKey(kid))?;
    if entry.usage != usage {
        return Err(Error::WrongKeyUsage(kid));
    }
    entry.key.verify(message, signature)?;
    if entry.revoked {
        return Err(Error::Revoked(kid));
    }
    check_window(entry.not_before, entry.not_after, now, Subject::Key)
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
