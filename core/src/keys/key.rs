//! Ed25519 keys: strict verification, key ids, and PKCS#8 / SPKI PEM files that OpenSSL reads.
//!
//! A key id is the first 8 bytes of SHA-256 over the 32-byte public key (SPEC.md §2). It selects
//! a key; it proves nothing, since the signature is always checked with the trusted key itself.

use crate::error::Error;
use crate::kid::KeyId;
#[cfg(feature = "pem")]
use ed25519_dalek::ed25519::pkcs8::KeypairBytes;
#[cfg(feature = "pem")]
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
#[cfg(feature = "pem")]
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

/// Length of an Ed25519 signature in bytes.
pub const SIGNATURE_LEN: usize = 64;

/// An Ed25519 public key with its key id.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    key: VerifyingKey,
    id: KeyId,
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKey({})", self.id)
    }
}

impl PublicKey {
    /// From the 32-byte encoding. Refuses encodings that are not a curve point and the
    /// small-order ("weak") keys, for which a signature proves nothing.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, Error> {
        let key = VerifyingKey::from_bytes(bytes)
            .map_err(|_| Error::InvalidKey("not an Ed25519 public key".into()))?;
        if key.is_weak() {
            return Err(Error::InvalidKey("a small-order (weak) Ed25519 key".into()));
        }
        Ok(Self::wrap(key))
    }

    fn wrap(key: VerifyingKey) -> Self {
        PublicKey {
            id: KeyId::of(key.as_bytes()),
            key,
        }
    }

    #[cfg(feature = "pem")]
    /// From a `-----BEGIN PUBLIC KEY-----` (SPKI) PEM, as `openssl pkey -pubout` writes.
    pub fn from_spki_pem(pem: &str) -> Result<Self, Error> {
        let key = VerifyingKey::from_public_key_pem(pem)
            .map_err(|_| Error::InvalidKey("not an Ed25519 SPKI PEM public key".into()))?;
        Self::from_bytes(key.as_bytes())
    }

    #[cfg(feature = "pem")]
    /// The SPKI PEM form.
    pub fn to_spki_pem(&self) -> String {
        // Encoding a valid key into a growable string cannot fail.
        self.key
            .to_public_key_pem(LineEnding::LF)
            .unwrap_or_else(|_| unreachable!("SPKI encoding of a valid key"))
    }

    /// The 32-byte encoding.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// The key id.
    pub fn id(&self) -> KeyId {
        self.id
    }

    /// Verifies a signature by RFC 8032's strict rules (`verify_strict`): non-canonical `S`,
    /// small-order `R` and weak keys are refused. This is the check every code goes through.
    pub fn verify(&self, message: &[u8], signature: &[u8; SIGNATURE_LEN]) -> Result<(), Error> {
        let signature = Signature::from_bytes(signature);
        self.key
            .verify_strict(message, &signature)
            .map_err(|_| Error::BadSignature)
    }
}

/// An Ed25519 signing key. Its memory is wiped on drop.
pub struct SecretKey(SigningKey);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretKey({})", self.public_key().id())
    }
}

impl SecretKey {
    /// A new key from the operating system's randomness.
    #[cfg(feature = "keygen")]
    pub fn generate() -> Result<Self, Error> {
        let mut seed = zeroize::Zeroizing::new([0u8; 32]);
        getrandom::fill(seed.as_mut()).map_err(|e| Error::Randomness(e.to_string()))?;
        Ok(Self::from_seed(&seed))
    }

    /// From a 32-byte seed (RFC 8032's private key). For test keys and vectors.
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        SecretKey(SigningKey::from_bytes(seed))
    }

    #[cfg(feature = "pem")]
    /// From a `-----BEGIN PRIVATE KEY-----` (PKCS#8) PEM, as `openssl genpkey -algorithm ed25519`
    /// writes.
    pub fn from_pkcs8_pem(pem: &str) -> Result<Self, Error> {
        SigningKey::from_pkcs8_pem(pem)
            .map(SecretKey)
            .map_err(|_| Error::InvalidKey("not an Ed25519 PKCS#8 PEM private key".into()))
    }

    #[cfg(feature = "pem")]
    /// The PKCS#8 PEM form, in memory that is wiped on drop. It is the v1 form (seed only), as
    /// `openssl genpkey` writes: OpenSSL 3.0 refuses the v2 form that embeds the public key.
    pub fn to_pkcs8_pem(&self) -> zeroize::Zeroizing<String> {
        let seed = KeypairBytes {
            secret_key: self.0.to_bytes(),
            public_key: None,
        };
        seed.to_pkcs8_pem(LineEnding::LF)
            .unwrap_or_else(|_| unreachable!("PKCS#8 encoding of a valid key"))
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey::wrap(self.0.verifying_key())
    }

    /// Signs a message (deterministic, RFC 8032).
    pub fn sign(&self, message: &[u8]) -> [u8; SIGNATURE_LEN] {
        self.0.sign(message).to_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    #[test]
    fn rfc8032_test_1() {
        // RFC 8032 §7.1, TEST 1: empty message.
        let seed: [u8; 32] =
            hex::decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
                .unwrap()
                .try_into()
                .unwrap();
        let key = SecretKey::from_seed(&seed);
        let public = key.public_key();
        assert_eq!(
            hex::encode(public.to_bytes()),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
        );
        let sig = key.sign(b"");
        assert_eq!(
            hex::encode(sig),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        );
        public.verify(b"", &sig).unwrap();
        assert_eq!(public.verify(b"x", &sig), Err(Error::BadSignature));
    }

    #[cfg(feature = "pem")]
    #[test]
    fn pem_round_trips() {
        let key = SecretKey::from_seed(&[7; 32]);
        let pem = key.to_pkcs8_pem();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        // The v1 form: 48 bytes of DER, 64 characters of base64 on one line.
        assert_eq!(pem.lines().nth(1).map(str::len), Some(64));
        assert_eq!(pem.lines().count(), 3);
        let again = SecretKey::from_pkcs8_pem(&pem).unwrap();
        assert_eq!(again.public_key(), key.public_key());
        let spki = key.public_key().to_spki_pem();
        assert!(spki.starts_with("-----BEGIN PUBLIC KEY-----"));
        assert_eq!(PublicKey::from_spki_pem(&spki).unwrap(), key.public_key());
        assert!(SecretKey::from_pkcs8_pem(&spki).is_err());
        assert!(PublicKey::from_spki_pem("junk").is_err());
    }

    #[test]
    fn weak_keys_are_refused() {
        // The identity point, a small-order point.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert!(matches!(
            PublicKey::from_bytes(&identity),
            Err(Error::InvalidKey(_))
        ));
    }

    #[test]
    fn key_id_is_sha256_prefix() {
        let public = SecretKey::from_seed(&[7; 32]).public_key();
        let digest = Sha256::digest(public.to_bytes());
        assert_eq!(public.id().0, digest[..8]);
        assert_eq!(
            public.id().to_string().parse::<KeyId>().unwrap(),
            public.id()
        );
    }
}
