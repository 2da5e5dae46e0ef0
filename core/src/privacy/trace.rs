//! Sealed trace references (追溯排查): a record's holder token sealed to the authority's tracing
//! key, so that only the authority can say whose record it is (SPEC.md §15, ADR 0007).
//!
//! The seal is HPKE (RFC 9180) in base mode: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256 and
//! ChaCha20-Poly1305, with a fresh ephemeral key per record, so two records of one person share
//! no byte a venue could join on. The record's id is the associated data: a reference moved to
//! another record does not open.

use crate::error::Error;
use crate::privacy::token::HolderToken;
use hpke::aead::ChaCha20Poly1305;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::rand_core::{TryCryptoRng, TryRng};
use hpke::{Deserializable, Kem, OpModeR, OpModeS, Serializable};
use sha2::{Digest, Sha256};

type Suite = X25519HkdfSha256;
type PrivateKey = <Suite as Kem>::PrivateKey;
type PublicKey = <Suite as Kem>::PublicKey;
type Encapped = <Suite as Kem>::EncappedKey;

/// HPKE's `info`: binds every seal to this use.
const INFO: &[u8] = b"VENUECODE/TRACE\0";
/// The reference format's version byte.
pub const TRACE_REF_VERSION: u8 = 1;
/// Bytes of a reference: version, the 32-byte encapsulated key, the sealed 16-byte token and
/// its 16-byte tag.
pub const TRACE_REF_LEN: usize = 1 + 32 + 16 + 16;

/// A sealed holder reference. Opens only with the authority's [`TraceKey`] and only for the
/// record it was sealed for.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TraceRef(pub [u8; TRACE_REF_LEN]);

impl TraceRef {
    /// Reads the bytes of a reference: the version byte must be ours.
    pub fn from_bytes(bytes: &[u8]) -> Result<TraceRef, Error> {
        let array: [u8; TRACE_REF_LEN] = bytes.try_into().map_err(|_| invalid_ref())?;
        if array[0] != TRACE_REF_VERSION {
            return Err(invalid_ref());
        }
        Ok(TraceRef(array))
    }
}

fn invalid_ref() -> Error {
    Error::InvalidInput {
        field: "trace_ref",
        reason: "a trace reference is 130 lowercase hex digits starting 01".into(),
    }
}

impl std::fmt::Display for TraceRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl std::fmt::Debug for TraceRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TraceRef({self})")
    }
}

impl std::str::FromStr for TraceRef {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        let mut bytes = [0; TRACE_REF_LEN];
        if s.len() != 2 * TRACE_REF_LEN || s.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(invalid_ref());
        }
        hex::decode_to_slice(s, &mut bytes).map_err(|_| invalid_ref())?;
        TraceRef::from_bytes(&bytes)
    }
}

impl serde::Serialize for TraceRef {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for TraceRef {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The authority's tracing key (secret). Only the authority holds it; venues hold its public
/// half.
pub struct TraceKey(PrivateKey);

impl std::fmt::Debug for TraceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TraceKey(<secret>)")
    }
}

impl TraceKey {
    /// The key derived from 32 bytes of keying material (HPKE's DeriveKeyPair).
    pub fn derive(ikm: &[u8; 32]) -> TraceKey {
        TraceKey(Suite::derive_keypair(ikm).0)
    }

    /// A new random key.
    #[cfg(feature = "keygen")]
    pub fn generate() -> Result<TraceKey, Error> {
        let mut ikm = zeroize::Zeroizing::new([0u8; 32]);
        getrandom::fill(ikm.as_mut()).map_err(|e| Error::Randomness(e.to_string()))?;
        Ok(TraceKey::derive(&ikm))
    }

    /// Reads the key from its file form (64 hex digits).
    pub fn from_hex(text: &str) -> Result<TraceKey, Error> {
        let mut bytes = zeroize::Zeroizing::new([0u8; 32]);
        let bad = || Error::InvalidKey("a tracing key is 64 hex digits".into());
        hex::decode_to_slice(text.trim(), bytes.as_mut()).map_err(|_| bad())?;
        PrivateKey::from_bytes(bytes.as_ref())
            .map(TraceKey)
            .map_err(|_| bad())
    }

    /// The file form: 64 hex digits and a newline.
    pub fn to_hex(&self) -> zeroize::Zeroizing<String> {
        zeroize::Zeroizing::new(hex::encode(self.0.to_bytes()) + "\n")
    }

    /// The key of the trace audit log's MACs: HMAC-SHA-256 under this key's 32 bytes of
    /// `VENUECODE/AUDIT-KEY\0`. Whoever holds the tracing key writes and checks the log; the
    /// log and what lies beside it cannot forge an entry.
    pub fn audit_key(&self) -> AuditKey {
        use hmac::{Hmac, KeyInit, Mac};
        let mut secret = zeroize::Zeroizing::new([0u8; 32]);
        secret.copy_from_slice(&self.0.to_bytes());
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_ref())
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(b"VENUECODE/AUDIT-KEY\0");
        AuditKey::from_bytes(mac.finalize().into_bytes().into())
    }

    /// The public half, for venues.
    pub fn public(&self) -> TracePublicKey {
        TracePublicKey(Suite::sk_to_pk(&self.0))
    }

    /// Opens a reference sealed for the record named by `context`; an error if it was sealed
    /// to another key, for another record, or altered.
    pub fn open(&self, sealed: &TraceRef, context: &[u8]) -> Result<HolderToken, Error> {
        let bytes = &sealed.0;
        let unopened = || Error::InvalidInput {
            field: "trace_ref",
            reason: "does not open with this tracing key for this record".into(),
        };
        if bytes[0] != TRACE_REF_VERSION {
            return Err(unopened());
        }
        let enc = Encapped::from_bytes(&bytes[1..33]).map_err(|_| unopened())?;
        let plain = hpke::single_shot_open::<ChaCha20Poly1305, HkdfSha256, Suite>(
            &OpModeR::Base,
            &self.0,
            &enc,
            INFO,
            &bytes[33..],
            context,
        )
        .map_err(|_| unopened())?;
        let token: [u8; 16] = plain.as_slice().try_into().map_err(|_| unopened())?;
        Ok(HolderToken(token))
    }
}

/// The public half of the authority's tracing key: what every venue device seals with.
#[derive(Clone, PartialEq, Eq)]
pub struct TracePublicKey(PublicKey);

impl std::fmt::Debug for TracePublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TracePublicKey({})", hex::encode(self.0.to_bytes()))
    }
}

impl TracePublicKey {
    /// Reads the key from its file form (64 hex digits).
    pub fn from_hex(text: &str) -> Result<TracePublicKey, Error> {
        let mut bytes = [0u8; 32];
        let bad = || Error::InvalidKey("a tracing public key is 64 hex digits".into());
        hex::decode_to_slice(text.trim(), &mut bytes).map_err(|_| bad())?;
        PublicKey::from_bytes(&bytes)
            .map(TracePublicKey)
            .map_err(|_| bad())
    }

    /// The file form: 64 hex digits and a newline.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0.to_bytes()) + "\n"
    }

    /// Seals `token` for the record named by `context`, the ephemeral key derived from
    /// `entropy` (32 fresh random bytes: the same entropy gives the same reference, which only
    /// test vectors want).
    pub fn seal(&self, token: &HolderToken, context: &[u8], entropy: &[u8; 32]) -> TraceRef {
        let mut rng = Expand {
            seed: *entropy,
            block: 0,
        };
        let sealed = hpke::single_shot_seal_with_rng::<ChaCha20Poly1305, HkdfSha256, Suite>(
            &OpModeS::Base,
            &self.0,
            INFO,
            &token.0,
            context,
            &mut rng,
        );
        let (enc, ciphertext) =
            sealed.unwrap_or_else(|_| unreachable!("sealing 16 bytes to an X25519 key succeeds"));
        let mut out = [0; TRACE_REF_LEN];
        out[0] = TRACE_REF_VERSION;
        out[1..33].copy_from_slice(&enc.to_bytes());
        out[33..].copy_from_slice(&ciphertext);
        TraceRef(out)
    }

    /// Seals with fresh OS randomness.
    #[cfg(feature = "keygen")]
    pub fn seal_random(&self, token: &HolderToken, context: &[u8]) -> Result<TraceRef, Error> {
        let mut entropy = zeroize::Zeroizing::new([0u8; 32]);
        getrandom::fill(entropy.as_mut()).map_err(|e| Error::Randomness(e.to_string()))?;
        Ok(self.seal(token, context, &entropy))
    }
}

/// The generator HPKE draws its ephemeral key from: SHA-256 of the caller's 32 bytes and a
/// block counter (HPKE asks for exactly 32 bytes, so this is the entropy itself, hashed).
struct Expand {
    seed: [u8; 32],
    block: u64,
}

impl Drop for Expand {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.seed);
    }
}

impl TryRng for Expand {
    type Error = std::convert::Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut b = [0; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut b = [0; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        for chunk in dst.chunks_mut(32) {
            let block = Sha256::new()
                .chain_update(b"VENUECODE/TRACE-EPHEMERAL\0")
                .chain_update(self.seed)
                .chain_update(self.block.to_be_bytes())
                .finalize();
            self.block += 1;
            chunk.copy_from_slice(&block[..chunk.len()]);
        }
        Ok(())
    }
}

impl TryCryptoRng for Expand {}

/// The key of the audit log's MACs: 32 bytes, derived from the tracing key
/// ([`TraceKey::audit_key`]), so that only who holds that key can write or check
/// the log, and nothing kept beside the log can forge it.
#[derive(Clone)]
pub struct AuditKey(zeroize::Zeroizing<[u8; 32]>);

impl AuditKey {
    /// The key of these bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> AuditKey {
        AuditKey(zeroize::Zeroizing::new(bytes))
    }

    /// Its bytes (for test vectors).
    pub fn to_hex(&self) -> zeroize::Zeroizing<String> {
        zeroize::Zeroizing::new(hex::encode(self.0.as_ref()))
    }

    /// Its bytes, for the log's MACs.
    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey(<secret>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_only_with_the_key_for_the_record() {
        let authority = TraceKey::derive(&[7; 32]);
        let public = authority.public();
        let token = HolderToken([9; 16]);
        let a = public.seal(&token, b"record-a", &[1; 32]);
        assert_eq!(authority.open(&a, b"record-a").unwrap(), token);
        assert!(authority.open(&a, b"record-b").is_err());
        assert!(TraceKey::derive(&[8; 32]).open(&a, b"record-a").is_err());
        // Randomised: the same holder and record sealed twice share nothing but the version.
        let b = public.seal(&token, b"record-a", &[2; 32]);
        assert_ne!(a.0[1..], b.0[1..]);
        assert_eq!(authority.open(&b, b"record-a").unwrap(), token);
        for i in 0..TRACE_REF_LEN {
            let mut altered = a;
            altered.0[i] ^= 1;
            if i == 0 {
                assert!(TraceRef::from_bytes(&altered.0).is_err());
            }
            assert!(authority.open(&altered, b"record-a").is_err(), "byte {i}");
        }
    }

    #[test]
    fn keys_and_references_round_trip_as_text() {
        let authority = TraceKey::derive(&[7; 32]);
        let again = TraceKey::from_hex(&authority.to_hex()).unwrap();
        assert_eq!(again.public(), authority.public());
        let public = TracePublicKey::from_hex(&authority.public().to_hex()).unwrap();
        assert_eq!(public, authority.public());
        let r = public.seal(&HolderToken([1; 16]), b"x", &[3; 32]);
        assert_eq!(r.to_string().parse::<TraceRef>().unwrap(), r);
        assert!(r.to_string().to_uppercase().parse::<TraceRef>().is_err());
        assert!("01".parse::<TraceRef>().is_err());
        assert!(TraceKey::from_hex("abc").is_err());
        assert!(TracePublicKey::from_hex(&"z".repeat(64)).is_err());
        assert_eq!(format!("{authority:?}"), "TraceKey(<secret>)");
    }
}
