//! Layer 2, keys and trust: Ed25519 keys, trust lists, and the signature and window checks every
//! signed object goes through.

pub(crate) mod key;
pub(crate) mod signature;
pub(crate) mod trust;
