//! Layer 3, privacy: ID numbers, masks, holder tokens, per-venue pseudonyms and the sealed trace
//! references only the authority opens. Nothing here keeps a raw name or ID number.

pub mod id;
pub mod mask;
pub mod pseudonym;
pub mod record_keys;
pub mod token;
pub(crate) mod trace;
