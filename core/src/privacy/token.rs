//! Holder tokens: a keyed hash of a full ID number that links a personal code to status and
//! revocation records without carrying the number.
//!
//! `token = HMAC-SHA-256(token key, "VENUECODE/HOLDER\0" || ID number)[0..16]` (SPEC.md §9).
//! The token key is the authority's secret, shared only with whoever builds status lists. Without
//! it a token reveals nothing; with it, anyone can test guesses of an ID number, so it must not
//! sit on gate devices unless their owner accepts that (see [`TokenKey::holder_matches`]).

use crate::error::Error;
use crate::privacy::id::IdNumber;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

const DOMAIN: &[u8] = b"VENUECODE/HOLDER\0";

/// A holder token: 16 bytes.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HolderToken(pub [u8; 16]);

impl std::fmt::Debug for HolderToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HolderToken({})", hex::encode(self.0))
    }
}

impl serde::Serialize for HolderToken {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl HolderToken {
    /// From its text form (what traces and exports print): 32 hex digits, either case,
    /// surrounding white space ignored; `invalid_input` otherwise.
    pub fn from_hex(text: &str) -> Result<Self, Error> {
        let mut bytes = [0u8; 16];
        hex::decode_to_slice(text.trim(), &mut bytes).map_err(|_| Error::InvalidInput {
            field: "holder",
            reason: "a holder token is 32 hex digits".into(),
        })?;
        Ok(HolderToken(bytes))
    }
}

impl std::fmt::Display for HolderToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

/// The authority's secret for holder tokens: 32 bytes, wiped on drop.
pub struct TokenKey(zeroize::Zeroizing<[u8; 32]>);

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKey(<secret>)")
    }
}

impl TokenKey {
    /// From 32 bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        TokenKey(zeroize::Zeroizing::new(bytes))
    }

    /// A new key from the operating system's randomness.
    #[cfg(feature = "keygen")]
    pub fn generate() -> Result<Self, Error> {
        let mut bytes = zeroize::Zeroizing::new([0u8; 32]);
        getrandom::fill(bytes.as_mut()).map_err(|e| Error::Randomness(e.to_string()))?;
        Ok(TokenKey(bytes))
    }

    /// From its file form: 64 hex digits (surrounding white space ignored).
    pub fn from_hex(text: &str) -> Result<Self, Error> {
        let mut bytes = zeroize::Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(text.trim(), bytes.as_mut())
            .map_err(|_| Error::InvalidKey("a token key is 64 hex digits".into()))?;
        Ok(TokenKey(bytes))
    }

    /// Its file form: 64 hex digits and a newline, in memory wiped on drop.
    pub fn to_hex(&self) -> zeroize::Zeroizing<String> {
        zeroize::Zeroizing::new(hex::encode(self.0.as_ref()) + "\n")
    }

    /// The holder token of an ID number.
    pub fn token(&self, id: &IdNumber) -> HolderToken {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(self.0.as_ref())
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(DOMAIN);
        mac.update(id.expose().as_bytes());
        let digest = mac.finalize().into_bytes();
        let mut token = [0; 16];
        token.copy_from_slice(&digest[..16]);
        HolderToken(token)
    }

    /// `holder matches`: whether an ID number typed or read from the card is the one a code's
    /// token was made from. Constant-time in the token comparison. Needs the token key, which
    /// lets its holder test guesses: give it only to devices trusted with that.
    pub fn holder_matches(&self, id: &IdNumber, token: &HolderToken) -> bool {
        let mine = self.token(id);
        mine.0
            .iter()
            .zip(token.0)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_reads_back_from_its_text_and_nothing_else_does() {
        let token = HolderToken([0xab; 16]);
        let text = token.to_string();
        assert_eq!(HolderToken::from_hex(&text).unwrap(), token);
        assert_eq!(HolderToken::from_hex(&text.to_uppercase()).unwrap(), token);
        for bad in ["", &text[..30], "zz", &format!("{text}00")] {
            let err = HolderToken::from_hex(bad).unwrap_err();
            assert_eq!(err.code(), "invalid_input", "{bad}");
        }
    }

    #[test]
    fn tokens_are_keyed_and_stable() {
        let id = IdNumber::parse("11010519491231002X").unwrap();
        let (a, b) = (TokenKey::from_bytes([1; 32]), TokenKey::from_bytes([2; 32]));
        assert_eq!(a.token(&id), a.token(&id));
        assert_ne!(a.token(&id), b.token(&id));
        assert!(a.holder_matches(&id, &a.token(&id)));
        assert!(!a.holder_matches(&id, &b.token(&id)));
        // Pinned: HMAC-SHA-256(01 x 32, "VENUECODE/HOLDER\0" || id)[..16].
        // (computed independently with Python's hmac module)
        assert_eq!(a.token(&id).to_string(), "86ac222da732b251973f67db67e2fe6e");
        let again = TokenKey::from_hex(&a.to_hex()).unwrap();
        assert_eq!(again.token(&id), a.token(&id));
        assert!(TokenKey::from_hex("abc").is_err());
        assert_eq!(format!("{a:?}"), "TokenKey(<secret>)");
    }
}
