//! The text envelope shared by every signed code (SPEC.md §3):
//!
//! ```text
//! text    = prefix payload
//! prefix  = "HTTPS://" 1*(A-Z / 0-9 / "$" / "*" / "+" / "-" / "." / ":" / "/") "/"   ; <= 64 chars
//! payload = base41(body || signature)          ; no "/" in base41, so the last "/" ends the prefix
//! signed  = domain || len(prefix) as u8 || prefix || body
//! ```
//!
//! The prefix is the issuer's URL, so that a general phone scanner opens it; it is part of the
//! signed message, so a genuine payload moved under another prefix no longer verifies. The
//! domain string keeps a signature over one kind of code from verifying as another.

use crate::encoding::base41;
use crate::encoding::timestamp::Timestamp;
use crate::error::{Error, FormatError, Subject};
use crate::keys::key::SIGNATURE_LEN;
use crate::keys::signature::{check_signature, check_window};
use crate::keys::trust::{KeyProvider, Usage};
use crate::kid::KeyId;

/// The longest code text read, in characters (longer input is refused before any decoding).
pub const MAX_TEXT_LEN: usize = 1024;
/// The longest URL prefix, in characters.
pub const MAX_PREFIX_LEN: usize = 64;

/// An issuer's URL prefix: `HTTPS://`, then characters of the QR alphanumeric set other than
/// space and `%`, ending in `/`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Prefix(String);

impl Prefix {
    /// Checks and wraps a prefix.
    pub fn new(prefix: &str) -> Result<Self, Error> {
        check_prefix(prefix).map_err(|e| Error::InvalidInput {
            field: "prefix",
            reason: e.to_string(),
        })?;
        Ok(Prefix(prefix.to_owned()))
    }

    /// The prefix text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Prefix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn check_prefix(prefix: &str) -> Result<(), FormatError> {
    let rest = prefix
        .strip_prefix("HTTPS://")
        .ok_or(FormatError::BadPrefix("must start with HTTPS://"))?;
    if prefix.len() > MAX_PREFIX_LEN {
        return Err(FormatError::BadPrefix("longer than 64 characters"));
    }
    if !prefix.ends_with('/') || rest.starts_with('/') || rest.len() < 2 {
        return Err(FormatError::BadPrefix("must name a host and end with /"));
    }
    let allowed = |c: u8| c.is_ascii_uppercase() || c.is_ascii_digit() || b"$*+-.:/".contains(&c);
    if !rest.bytes().all(allowed) {
        return Err(FormatError::BadPrefix(
            "only A-Z 0-9 $ * + - . : / are allowed (QR alphanumeric, URL-safe)",
        ));
    }
    Ok(())
}

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
    /// `domain`, the prefix and the body as received, the key's status, and the code's window.
    pub(crate) fn verify(
        &self,
        domain: &[u8],
        usage: Usage,
        keys: &(impl KeyProvider + ?Sized),
        now: Timestamp,
        window: (Option<Timestamp>, Option<Timestamp>),
    ) -> Result<(), Error> {
        let message = signed_message(domain, self.prefix, &self.body);
        check_signature(keys, self.kid, usage, now, &message, &self.signature)?;
        check_window(window.0, window.1, now, Subject::Code)
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
    fn prefixes() {
        for ok in [
            "HTTPS://VC.SH.GOV.CN/1/",
            "HTTPS://A.B/",
            "HTTPS://A.B:8443/V/",
        ] {
            assert!(Prefix::new(ok).is_ok(), "{ok}");
        }
        for bad in [
            "HTTP://VC.SH.GOV.CN/1/",
            "https://vc.sh.gov.cn/1/",
            "HTTPS://VC.SH.GOV.CN/1",
            "HTTPS:///",
            "HTTPS://VC SH/",
            "HTTPS://VC%20SH/",
            "HTTPS://VC.SH.GOV.CN/?A=1/",
        ] {
            assert!(Prefix::new(bad).is_err(), "{bad}");
        }
        let long = format!("HTTPS://{}/", "A".repeat(MAX_PREFIX_LEN));
        assert!(Prefix::new(&long).is_err());
    }

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
