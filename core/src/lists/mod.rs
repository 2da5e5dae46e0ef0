//! Layer 5, signed lists: status lists (offline holders' colour and test) and revocation lists
//! (venue codes, superseded personal codes), both in the sealed-list envelope.

pub mod revoke;
pub(crate) mod sealed;
pub mod status;
