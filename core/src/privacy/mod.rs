//! Layer 3, privacy: ID numbers, masks, holder tokens and per-venue pseudonyms. Nothing here
//! keeps a raw name or ID number.

pub mod id;
pub mod mask;
pub mod pseudonym;
pub mod token;
