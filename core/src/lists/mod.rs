//! Layer 5, signed lists: status lists (offline holders' colour and test), revocation lists
//! (venue codes, superseded personal codes) and signed trust lists, all in the sealed-list
//! envelope, with the serials that keep a gate from going back to an older one.

pub mod delta;
pub mod revoke;
pub(crate) mod sealed;
pub(crate) mod serial;
pub mod status;
pub mod trust;
