//! The text envelope shared by every signed code (SPEC.md §3):
//!
//! ```text
//! text    = prefix payload
//! prefix  = "HTTPS://" host "/" *(segment "/")   ; <= 64 chars, crate::encoding::prefix
//! payload = base41(body || signature)          ; no "/" in base41, so the last "/" ends the prefix
//! signed  = domain || len(prefix) as u8 || prefix || body
//! ```
//!
//! The prefix is the issuer's URL, so that a general phone scanner opens it; it is part of the
//! signed message, so a genuine payload moved under another prefix no longer verifies. The
//! domain string keeps a signature over one kind of code from verifying as another.

use crate::encoding::base41;
use crate::encoding::prefix::check as check_prefix;
pub use crate::encoding::prefix::{MAX_PREFIX_LEN, Prefix};
use crate::encoding::timestamp::Timestamp;
use crate::error::{Error, FormatError, Subject};
use crate::keys::key::SIGNATURE_LEN;
use crate::keys::signature::{Claims, check_signature, check_window};
use crate::keys::trust::{KeyProvider, Usage};
use crate::kid::KeyId;

/// The longest code text read, in characters (longer input is refused before any decoding).
pub const MAX_TEXT_LEN: usize = 1024;
/// A code's text split into its prefix and decoded bytes.
pub(crate) struct Envelope<'a> {
    pub(crate) prefix: &'a str,
    pub(crate) body: Vec<u8>,
    pub(crate) signature: [u8; SIGNATURE_LEN],
}

impl<'a> Envelope<'a> {
    /// Splits and decodes a text. Bounded: the length is checked before anything is decoded.
    pub(crate) fn open(text: &'a str) -> Result<Self, FormatError> {
        if text.len() > MAX_TEXT_LEN {
            return Err(FormatError::TooLong { max: MAX_TEXT_LEN });
        }
        let split = text
            .rfind('/')
            .ok_or(FormatError::BadPrefix("no URL prefix"))?;
        let (prefix, payload) = text.split_at(split + 1);
        check_prefix(prefix)?;
        let mut body = base41::decode(payload)?;
        if body.len() < SIGNATURE_LEN + 1 {
            return Err(FormatError::Truncated("signature"));
        }
        let mut signature = [0; SIGNATURE_LEN];
        signature.copy_from_slice(&body[body.len() - SIGNATURE_LEN..]);
        body.truncate(body.len() - SIGNATURE_LEN);
        Ok(Envelope {
            prefix,
            body,
            signature,
        })
    }
}

/// A code's text opened and its body decoded, not yet verified: the typestate both kinds of
/// code build on. It keeps the bytes as received, which is what the signature is checked over.
#[derive(Debug)]
pub(crate) struct Opened<'a, T> {
    pub(crate) prefix: &'a str,
    body: Vec<u8>,
    signature: [u8; SIGNATURE_LEN],
    pub(crate) decoded: T,
    pub(crate) kid: KeyId,
}

impl<'a, T> Opened<'a, T> {
    /// Splits and decodes a text with the kind's body decoder.
    pub(crate) fn open(
        text: &'a str,
        decode: impl FnOnce(&[u8]) -> Result<(T, KeyId), Error>,
    ) -> Result<Self, Error> {
        let Envelope {
            prefix,
            body,
            signature,
        } = Envelope::open(text)?;
        let (decoded, kid) = decode(&body)?;
        Ok(Opened {
            prefix,
            body,
            signature,
            decoded,
            kid,
        })
    }

    /// The checks of SPEC.md §7 from step 2 on: the key, its usage, the signature over
    /// `domain`, the prefix and the body as received, the key's status, its window at the
    /// code's issue time, its scope (this prefix, `division`), and the code's window at `now`.
    pub(crate) fn verify(
        &self,
        domain: &[u8],
        usage: Usage,
        keys: &(impl KeyProvider + ?Sized),
        now: Timestamp,
        window: (Timestamp, Option<Timestamp>),
        division: Option<u32>,
    ) -> Result<(), Error> {
        let message = signed_message(domain, self.prefix, &self.body);
        let claims = Claims {
            issued_at: window.0,
            prefix: Some(self.prefix),
            division,
        };
        check_signature(keys, self.kid, usage, claims, &message, &self.signature)?;
        check_window(Some(window.0), window.1, now, Subject::Code)
    }
}

/// The bytes a signature covers.
pub(crate) fn signed_message(domain: &[u8], prefix: &str, body: &[u8]) -> Vec<u8> {
    let mut message = Vec::with_capacity(domain.len() + 1 + prefix.len() + body.len());
    message.extend_from_slice(domain);
    // Prefixes are at most 64 characters (checked on every path here).
    message.push(u8::try_from(prefix.len()).unwrap_or(u8::MAX));
    message.extend_from_slice(prefix.as_bytes());
    message.extend_from_slice(body);
    message
}

/// Text of a signed body: prefix, then base41 of body and signature.
pub(crate) fn seal(prefix: &Prefix, body: &[u8], signature: &[u8; SIGNATURE_LEN]) -> String {
    let mut bytes = Vec::with_capacity(body.len() + SIGNATURE_LEN);
    bytes.extend_from_slice(body);
    bytes.extend_from_slice(signature);
    let mut text = prefix.as_str().to_owned();
    text.push_str(&base41::encode(&bytes));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_refuses_before_decoding() {
        let long = format!("HTTPS://A.B/{}", "0".repeat(MAX_TEXT_LEN));
        assert!(matches!(
            Envelope::open(&long),
            Err(FormatError::TooLong { .. })
        ));
        assert!(matches!(
            Envelope::open("0000"),
            Err(FormatError::BadPrefix(_))
        ));
        assert!(matches!(
            Envelope::open("HTTPS://A.B/000"),
            Err(FormatError::Truncated("signature"))
        ));
    }
}
