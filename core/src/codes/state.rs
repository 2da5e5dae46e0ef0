//! The state a code is in after verification: `valid`, or why it was rejected. Rule sets match
//! on it and records keep it; its names are the error codes of [`crate::Error`].

use crate::error::{Error, REJECTION_CODES};
use serde::{Deserialize, Serialize};

/// `valid`, or the rejection a code's verification ended in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum CodeState {
    /// The code verified.
    Valid,
    /// `malformed`.
    Malformed,
    /// `unsupported_version`.
    UnsupportedVersion,
    /// `unknown_key`.
    UnknownKey,
    /// `wrong_key_usage`.
    WrongKeyUsage,
    /// `bad_signature`.
    BadSignature,
    /// `expired`.
    Expired,
    /// `not_yet_valid`.
    NotYetValid,
    /// `revoked` (the signing key, or the code itself).
    Revoked,
    /// `superseded` (a newer generation was issued).
    Superseded,
    /// `out_of_scope` (the key may not sign for this prefix or division).
    OutOfScope,
    /// `replayed` (a dynamic code shown again: a screenshot).
    Replayed,
}

impl CodeState {
    /// Every state, `valid` first, then the rejections in the order of
    /// [`crate::REJECTION_CODES`].
    pub const ALL: [CodeState; 12] = [
        CodeState::Valid,
        CodeState::Malformed,
        CodeState::UnsupportedVersion,
        CodeState::UnknownKey,
        CodeState::WrongKeyUsage,
        CodeState::BadSignature,
        CodeState::Expired,
        CodeState::NotYetValid,
        CodeState::Revoked,
        CodeState::Superseded,
        CodeState::OutOfScope,
        CodeState::Replayed,
    ];

    /// The state of a verification's result. An error that is not a rejection (a bad argument
    /// rather than a bad code) counts as `malformed`.
    pub fn of<T>(result: &Result<T, Error>) -> CodeState {
        match result {
            Ok(_) => CodeState::Valid,
            Err(e) => REJECTION_CODES
                .iter()
                .position(|c| *c == e.code())
                .map_or(CodeState::Malformed, |i| CodeState::ALL[i + 1]),
        }
    }

    /// Its name: `valid`, or the error code (`bad_signature`, …).
    pub fn name(self) -> &'static str {
        match self {
            CodeState::Valid => "valid",
            // ALL lists REJECTION_CODES in order after `valid` (a test checks it).
            other => REJECTION_CODES[other as usize - 1],
        }
    }

    /// Whether the code verified.
    pub fn is_valid(self) -> bool {
        self == CodeState::Valid
    }

    /// Whether the code carries a trusted key's signature over what it says (valid, or refused
    /// for what it says: expired, revoked, replayed...). A code that is not (it does not parse,
    /// or no trusted key signed it) could have been made by anyone: a receiver counts it
    /// rather than keep it as a record.
    pub fn is_signed(self) -> bool {
        !matches!(
            self,
            CodeState::Malformed
                | CodeState::UnsupportedVersion
                | CodeState::UnknownKey
                | CodeState::WrongKeyUsage
                | CodeState::BadSignature
        )
    }
}

impl std::fmt::Display for CodeState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for CodeState {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        CodeState::ALL
            .into_iter()
            .find(|c| c.name() == s)
            .ok_or_else(|| Error::InvalidInput {
                field: "code_state",
                reason: "expected valid or a rejection code".into(),
            })
    }
}

impl Serialize for CodeState {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for CodeState {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_rejection_codes() {
        let names: Vec<_> = CodeState::ALL[1..].iter().map(|c| c.name()).collect();
        assert_eq!(names, REJECTION_CODES);
        for (i, c) in CodeState::ALL.iter().enumerate() {
            assert_eq!(*c as usize, i);
            assert_eq!(c.name().parse::<CodeState>().ok(), Some(*c));
        }
        for e in Error::one_of_each() {
            let state = CodeState::of::<()>(&Err(e.clone()));
            if e.is_rejection() {
                assert_eq!(state.name(), e.code());
            } else {
                assert_eq!(state, CodeState::Malformed);
            }
        }
        assert_eq!(CodeState::of(&Ok::<_, Error>(())), CodeState::Valid);
    }
}
