//! Key ids (SPEC.md §2): the first 8 bytes of SHA-256 over a 32-byte public key. The bottom
//! layer with [`crate::error`], which names key ids in its messages.

use sha2::{Digest, Sha256};

/// The 8-byte id of a public key: SHA-256(public key)[0..8].
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyId(pub [u8; 8]);

impl KeyId {
    /// The id of a raw 32-byte public key.
    pub fn of(public_key: &[u8; 32]) -> Self {
        let digest = Sha256::digest(public_key);
        let mut id = [0; 8];
        id.copy_from_slice(&digest[..8]);
        KeyId(id)
    }
}

impl std::fmt::Display for KeyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl std::fmt::Debug for KeyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyId({self})")
    }
}

/// A key id that is not 16 hex digits (reported as `invalid_key`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseKeyIdError;

impl std::fmt::Display for ParseKeyIdError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a key id is 16 hex digits")
    }
}

impl std::error::Error for ParseKeyIdError {}

impl std::str::FromStr for KeyId {
    type Err = ParseKeyIdError;
    fn from_str(s: &str) -> Result<Self, ParseKeyIdError> {
        let mut id = [0; 8];
        hex::decode_to_slice(s, &mut id).map_err(|_| ParseKeyIdError)?;
        Ok(KeyId(id))
    }
}
