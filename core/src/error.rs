//! Errors, each with a stable code string shown by every layer (CLI, WASM, mobile).
//!
//! Messages never echo the values a caller passed in: a name or an ID number must not reach a
//! log through an error.

use crate::kid::{KeyId, ParseKeyIdError};
use thiserror::Error;

/// Why a code's text or bytes are not a well-formed code. Reported as [`Error::Malformed`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum FormatError {
    /// The text is longer than any code we issue.
    #[error("text is longer than {max} characters")]
    TooLong {
        /// The limit.
        max: usize,
    },
    /// The URL prefix is missing or not of the allowed form.
    #[error("bad URL prefix: {0}")]
    BadPrefix(&'static str),
    /// A payload character is outside the base41 alphabet.
    #[error("character {position} of the payload is not in the base41 alphabet")]
    BadCharacter {
        /// Zero-based position in the payload part of the text.
        position: usize,
    },
    /// The payload length cannot come from a whole number of bytes.
    #[error("payload length {0} is not a valid base41 length")]
    BadLength(usize),
    /// A base41 group encodes a value out of its range (a second spelling of some bytes).
    #[error("base41 group at character {position} is out of range")]
    NonCanonicalGroup {
        /// Zero-based position of the group in the payload part of the text.
        position: usize,
    },
    /// The bytes end inside a field.
    #[error("truncated in field {0}")]
    Truncated(&'static str),
    /// Bytes follow the last field.
    #[error("{0} trailing bytes")]
    TrailingBytes(usize),
    /// Flag bits that this version does not define are set.
    #[error("reserved flag bits set")]
    ReservedFlags,
    /// A field holds a value that its definition does not allow.
    #[error("field {field}: {reason}")]
    Field {
        /// The field's name as in SPEC.md.
        field: &'static str,
        /// What is wrong, without the value.
        reason: &'static str,
    },
}

/// What a validity window belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Subject {
    /// The code itself (its issued-at and valid-until).
    Code,
    /// The signing key's entry in the trust list.
    Key,
    /// A status or revocation list.
    List,
    /// A colour-policy rule set.
    Policy,
}

impl std::fmt::Display for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Subject::Code => "code",
            Subject::Key => "signing key",
            Subject::List => "list",
            Subject::Policy => "rule set",
        })
    }
}

/// Every error of the library. [`Error::code`] gives its stable code string.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Error {
    /// The text or bytes are not a well-formed code.
    #[error("malformed: {0}")]
    Malformed(#[from] FormatError),
    /// The code's format version is not one this library reads.
    #[error("unsupported format version {0:#04x}")]
    UnsupportedVersion(u8),
    /// No key with the code's key id is trusted.
    #[error("no trusted key has id {0}")]
    UnknownKey(KeyId),
    /// The key is trusted, but not for this kind of code.
    #[error("key {0} is not trusted for this kind of code")]
    WrongKeyUsage(KeyId),
    /// The signature does not verify (strict RFC 8032 rules).
    #[error("signature does not verify")]
    BadSignature,
    /// The code or its key is past its validity window.
    #[error("{0} has expired")]
    Expired(Subject),
    /// The code or its key is not valid yet.
    #[error("{0} is not valid yet")]
    NotYetValid(Subject),
    /// The signing key is revoked in the trust list.
    #[error("signing key {0} is revoked")]
    Revoked(KeyId),
    /// The code itself is on a revocation list.
    #[error("the code is revoked")]
    RevokedCode,
    /// A newer personal code was issued to the holder: this one's generation is below the bound
    /// of the revocation list.
    #[error("superseded: generation {generation}, codes below {below} are revoked")]
    Superseded {
        /// This code's generation.
        generation: u16,
        /// The lowest generation still valid.
        below: u16,
    },
    /// The key is trusted, but not for this URL prefix or this division.
    #[error("key {0} may not sign for this URL prefix or division")]
    OutOfScope(KeyId),
    /// A dynamic code already shown at another door or venue (`another door or phone`), by
    /// another phone at this door, or again at this door after the grace (`this door`): a
    /// screenshot.
    #[error("the code was already used (at {0})")]
    Replayed(&'static str),
    /// A signed list older than one the gate has already accepted from its issuer.
    #[error("{kind} serial {got} is older than serial {have}, already accepted")]
    RolledBack {
        /// The kind of list (`status`, `revocations`, `policy`, `trust`).
        kind: &'static str,
        /// The highest serial accepted.
        have: u64,
        /// The serial offered.
        got: u64,
    },
    /// Two different lists signed under one serial by one issuer: evidence of a compromised
    /// or misused key, to report with both lists' digests.
    #[error(
        "{kind} serial {serial} was signed twice with different contents ({seen} and {offered})"
    )]
    Equivocation {
        /// The kind of list.
        kind: &'static str,
        /// The serial.
        serial: u64,
        /// SHA-256 (first 8 bytes, hex) of the list accepted before.
        seen: String,
        /// The same of the list offered now.
        offered: String,
    },
    /// A value given to an issuing function breaks a rule of the format.
    #[error("invalid {field}: {reason}")]
    InvalidInput {
        /// The field's name.
        field: &'static str,
        /// What is wrong, without the value.
        reason: String,
    },
    /// A key file or key bytes cannot be read.
    #[error("invalid key: {0}")]
    InvalidKey(String),
    /// A trust list cannot be read or would be inconsistent.
    #[error("invalid trust list: {0}")]
    InvalidTrustList(String),
    /// A colour-policy rule set cannot be read, conflicts with itself, or fails its own tests.
    #[error("invalid rule set: {0}")]
    InvalidPolicy(String),
    /// An image cannot be read or written, or is beyond the size limits.
    #[error("invalid image: {0}")]
    InvalidImage(String),
    /// The operating system gave no randomness for a new key.
    #[error("no randomness available: {0}")]
    Randomness(String),
}

impl From<ParseKeyIdError> for Error {
    fn from(e: ParseKeyIdError) -> Self {
        Error::InvalidKey(e.to_string())
    }
}

impl Error {
    /// What this error means, in Chinese, for staff: [`meaning_zh`] of its code, except that a
    /// window that ended or has not begun is told apart by what it belongs to (an expired code
    /// may be a screenshot; an expired list or rule set needs a new one, not suspicion).
    pub fn meaning_zh(&self) -> &'static str {
        match self {
            Error::Expired(Subject::Key) => "签发密钥已过期",
            Error::Expired(Subject::List) => "名单已过期（请更新名单）",
            Error::Expired(Subject::Policy) => "规则集已过期（请更新规则集）",
            Error::NotYetValid(Subject::Key) => "签发密钥尚未生效",
            Error::NotYetValid(Subject::List) => "名单尚未生效（请核对设备时间）",
            Error::NotYetValid(Subject::Policy) => "规则集尚未生效（请核对设备时间）",
            // Every code has a meaning (tested with ERROR_CODES).
            e => meaning_zh(e.code()).unwrap_or("错误"),
        }
    }

    /// The stable code string: the same in Rust, the CLI's `--json`, WASM and mobile bindings.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Malformed(_) => "malformed",
            Error::UnsupportedVersion(_) => "unsupported_version",
            Error::UnknownKey(_) => "unknown_key",
            Error::WrongKeyUsage(_) => "wrong_key_usage",
            Error::BadSignature => "bad_signature",
            Error::Expired(_) => "expired",
            Error::NotYetValid(_) => "not_yet_valid",
            Error::Revoked(_) | Error::RevokedCode => "revoked",
            Error::Superseded { .. } => "superseded",
            Error::OutOfScope(_) => "out_of_scope",
            Error::Replayed(_) => "replayed",
            Error::RolledBack { .. } => "rolled_back",
            Error::Equivocation { .. } => "equivocation",
            Error::InvalidInput { .. } => "invalid_input",
            Error::InvalidKey(_) => "invalid_key",
            Error::InvalidTrustList(_) => "invalid_trust_list",
            Error::InvalidPolicy(_) => "invalid_policy",
            Error::InvalidImage(_) => "invalid_image",
            Error::Randomness(_) => "randomness",
        }
    }

    /// True for the outcomes of verifying a code (as opposed to bad arguments or files).
    pub fn is_rejection(&self) -> bool {
        matches!(
            self,
            Error::Malformed(_)
                | Error::UnsupportedVersion(_)
                | Error::UnknownKey(_)
                | Error::WrongKeyUsage(_)
                | Error::BadSignature
                | Error::Expired(_)
                | Error::NotYetValid(_)
                | Error::Revoked(_)
                | Error::RevokedCode
                | Error::Superseded { .. }
                | Error::OutOfScope(_)
                | Error::Replayed(_)
        )
    }
}

/// The codes of a verification's rejections ([`Error::is_rejection`]): the first eleven of
/// [`ERROR_CODES`].
pub const REJECTION_CODES: &[&str] = ERROR_CODES.split_at(11).0;

/// What a stable error code means, in Chinese, for staff (签名无效, 已过期…): every code of
/// [`ERROR_CODES`] has one; `None` for any other string.
pub fn meaning_zh(code: &str) -> Option<&'static str> {
    Some(match code {
        "malformed" => "码格式错误",
        "unsupported_version" => "不支持的码版本",
        "unknown_key" => "签发密钥不受信任（可能是伪造的码）",
        "wrong_key_usage" => "密钥用途不符",
        "bad_signature" => "签名无效（码被篡改或伪造）",
        "expired" => "已过期（可能是截图重放）",
        "not_yet_valid" => "尚未生效",
        "revoked" => "已吊销",
        "superseded" => "已被新码取代（旧卡作废）",
        "out_of_scope" => "超出密钥的授权范围",
        "replayed" => "重复出示（截图重放）",
        "rolled_back" => "名单比已用过的旧（回滚）",
        "equivocation" => "同一序号出现两份不同名单",
        "invalid_input" => "输入无效",
        "invalid_key" => "密钥无效",
        "invalid_trust_list" => "信任列表无效",
        "invalid_policy" => "规则集无效",
        "invalid_image" => "图像无效",
        "randomness" => "系统随机数不可用",
        _ => return None,
    })
}

/// Every stable error code, for bindings and documentation.
pub const ERROR_CODES: &[&str] = &[
    "malformed",
    "unsupported_version",
    "unknown_key",
    "wrong_key_usage",
    "bad_signature",
    "expired",
    "not_yet_valid",
    "revoked",
    "superseded",
    "out_of_scope",
    "replayed",
    "rolled_back",
    "equivocation",
    "invalid_input",
    "invalid_key",
    "invalid_trust_list",
    "invalid_policy",
    "invalid_image",
    "randomness",
];

impl Error {
    /// One error of each stable code, in the order of [`ERROR_CODES`]: for bindings to check
    /// that their mapping of errors is total.
    pub fn one_of_each() -> Vec<Error> {
        let kid = KeyId([0; 8]);
        vec![
            Error::Malformed(FormatError::ReservedFlags),
            Error::UnsupportedVersion(2),
            Error::UnknownKey(kid),
            Error::WrongKeyUsage(kid),
            Error::BadSignature,
            Error::Expired(Subject::Code),
            Error::NotYetValid(Subject::Key),
            Error::Revoked(kid),
            Error::Superseded {
                generation: 0,
                below: 1,
            },
            Error::OutOfScope(kid),
            Error::Replayed("this door"),
            Error::RolledBack {
                kind: "status",
                have: 2,
                got: 1,
            },
            Error::Equivocation {
                kind: "status",
                serial: 2,
                seen: String::new(),
                offered: String::new(),
            },
            Error::InvalidInput {
                field: "x",
                reason: String::new(),
            },
            Error::InvalidKey(String::new()),
            Error::InvalidTrustList(String::new()),
            Error::InvalidPolicy(String::new()),
            Error::InvalidImage(String::new()),
            Error::Randomness(String::new()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stable_code_has_its_chinese_meaning() {
        for code in ERROR_CODES {
            assert!(meaning_zh(code).is_some(), "{code}");
        }
        assert_eq!(meaning_zh("no_such_code"), None);
        // An error's own meaning is its code's, but for the windows of keys, lists and rule sets.
        for e in Error::one_of_each() {
            if !matches!(e, Error::Expired(s) | Error::NotYetValid(s) if s != Subject::Code) {
                assert_eq!(Some(e.meaning_zh()), meaning_zh(e.code()), "{}", e.code());
            }
        }
    }

    #[test]
    fn an_expired_list_is_not_told_to_staff_as_a_screenshot() {
        let code = Error::Expired(Subject::Code).meaning_zh();
        assert!(code.contains("截图"), "{code}");
        for subject in [Subject::Key, Subject::List, Subject::Policy] {
            for e in [Error::Expired(subject), Error::NotYetValid(subject)] {
                assert!(!e.meaning_zh().contains("截图"), "{}", e.meaning_zh());
                assert_ne!(Some(e.meaning_zh()), meaning_zh(e.code()));
            }
        }
    }

    #[test]
    fn rejection_codes_are_the_rejections() {
        let all = Error::one_of_each();
        let codes: Vec<_> = all.iter().map(Error::code).collect();
        assert_eq!(codes, ERROR_CODES);
        let (rejection, other) = all.split_at(REJECTION_CODES.len());
        assert!(rejection.iter().all(Error::is_rejection));
        assert!(!other.iter().any(Error::is_rejection));
        assert!(Error::RevokedCode.is_rejection());
        assert_eq!(Error::RevokedCode.code(), "revoked");
    }
}
