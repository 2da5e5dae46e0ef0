//! The keys a venue's device writes records with: the venue's pseudonym key and the authority's
//! public tracing key, with the randomness each sealed reference needs.

use crate::privacy::pseudonym::{Pseudonym, PseudonymKey};
use crate::privacy::token::HolderToken;
use crate::privacy::trace::{TracePublicKey, TraceRef};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::sync::atomic::{AtomicU64, Ordering};

/// A venue device's record keys. Every reference it seals draws its ephemeral key from a secret
/// seed, a counter and the record's id (HMAC-SHA-256), so that even a seed and counter copied
/// into two processes seal two different records with two different keys.
pub struct RecordKeys {
    pseudonyms: PseudonymKey,
    tracing: TracePublicKey,
    seed: zeroize::Zeroizing<[u8; 32]>,
    sealed: AtomicU64,
}

impl std::fmt::Debug for RecordKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordKeys")
            .field("pseudonyms", &self.pseudonyms)
            .field("tracing", &self.tracing)
            .finish_non_exhaustive()
    }
}

impl RecordKeys {
    /// The keys with a seed from OS randomness.
    #[cfg(feature = "keygen")]
    pub fn new(
        pseudonyms: PseudonymKey,
        tracing: TracePublicKey,
    ) -> Result<Self, crate::error::Error> {
        let mut seed = zeroize::Zeroizing::new([0u8; 32]);
        getrandom::fill(seed.as_mut())
            .map_err(|e| crate::error::Error::Randomness(e.to_string()))?;
        Ok(Self::with_seed(pseudonyms, tracing, *seed))
    }

    /// The keys with a caller's secret seed (32 random bytes; a fixed seed only for tests).
    pub fn with_seed(pseudonyms: PseudonymKey, tracing: TracePublicKey, seed: [u8; 32]) -> Self {
        RecordKeys {
            pseudonyms,
            tracing,
            seed: zeroize::Zeroizing::new(seed),
            sealed: AtomicU64::new(0),
        }
    }

    /// The venue's pseudonym key.
    pub fn pseudonyms(&self) -> &PseudonymKey {
        &self.pseudonyms
    }

    /// The venue's pseudonym of a holder.
    pub fn pseudonym(&self, holder: &HolderToken) -> Pseudonym {
        self.pseudonyms.pseudonym(holder)
    }

    /// Seals `holder` for the record named by `context` (its id's bytes).
    pub fn seal(&self, holder: &HolderToken, context: &[u8]) -> TraceRef {
        let n = self.sealed.fetch_add(1, Ordering::Relaxed);
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(self.seed.as_ref())
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(b"VENUECODE/SEAL\0");
        mac.update(&n.to_be_bytes());
        mac.update(context);
        let entropy = zeroize::Zeroizing::new(<[u8; 32]>::from(mac.finalize().into_bytes()));
        self.tracing.seal(holder, context, &entropy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::privacy::trace::TraceKey;

    #[test]
    fn every_seal_is_fresh() {
        let authority = TraceKey::derive(&[1; 32]);
        let keys = RecordKeys::with_seed(
            PseudonymKey::from_bytes([2; 32]),
            authority.public(),
            [3; 32],
        );
        let token = HolderToken([4; 16]);
        let (a, b) = (keys.seal(&token, b"r"), keys.seal(&token, b"r"));
        assert_ne!(a, b);
        assert_eq!(authority.open(&a, b"r").unwrap(), token);
        assert_eq!(authority.open(&b, b"r").unwrap(), token);
        // A copy of the same seed and counter still seals other records with other keys.
        let copy = RecordKeys::with_seed(
            PseudonymKey::from_bytes([2; 32]),
            authority.public(),
            [3; 32],
        );
        assert_ne!(copy.seal(&token, b"s").0[1..33], a.0[1..33]);
    }
}
