//! Record ids: unique, time-ordered, and the same for the same event, so that a record stored
//! twice (a gate retrying after a timeout, a visitor's app resending a check-in, two ledgers
//! merged twice) is one record.
//!
//! ```text
//! id   = at_ms (6 bytes, big-endian, milliseconds since 1970) || digest (10 bytes)
//! text = 32 lowercase hex digits      ; sorts as the ids sort: by time first
//! digest = SHA-256("VENUECODE/RECORD-ID\0" || for each part: len u32 || part)[0..10]
//! ```
//!
//! The parts name the event: its origin, the device, the code's text (or the registered
//! holder's token) and its instant. Ten bytes of digest make a collision between two different
//! events of the same millisecond a 2^-40 chance even among a million of them.

use crate::encoding::timestamp::Timestamp;
use crate::error::Error;
use sha2::{Digest, Sha256};

/// A record's id.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RecordId(pub [u8; 16]);

const DOMAIN: &[u8] = b"VENUECODE/RECORD-ID\0";

impl RecordId {
    /// The id of the event `parts` name, at `at` (times are whole seconds: the milliseconds
    /// are zero, and keep the field for finer clocks).
    pub fn derive(at: Timestamp, parts: &[&[u8]]) -> RecordId {
        let millis = at.unix().clamp(0, (1 << 38) - 1).saturating_mul(1000);
        let mut h = Sha256::new();
        h.update(DOMAIN);
        for p in parts {
            h.update(u32::try_from(p.len()).unwrap_or(u32::MAX).to_be_bytes());
            h.update(p);
        }
        let digest = h.finalize();
        let mut id = [0; 16];
        id[..6].copy_from_slice(&millis.to_be_bytes()[2..]);
        id[6..].copy_from_slice(&digest[..10]);
        RecordId(id)
    }

    /// When the event happened (to the second).
    pub fn at(&self) -> Timestamp {
        let mut ms = [0; 8];
        ms[2..].copy_from_slice(&self.0[..6]);
        Timestamp::from_unix_millis(i64::from_be_bytes(ms))
    }
}

impl std::fmt::Display for RecordId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl std::fmt::Debug for RecordId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RecordId({self})")
    }
}

impl std::str::FromStr for RecordId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        let mut id = [0; 16];
        if s.len() != 32 || s.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(invalid());
        }
        hex::decode_to_slice(s, &mut id).map_err(|_| invalid())?;
        Ok(RecordId(id))
    }
}

fn invalid() -> Error {
    Error::InvalidInput {
        field: "record_id",
        reason: "a record id is 32 lowercase hex digits".into(),
    }
}

impl serde::Serialize for RecordId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for RecordId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_order_by_time_and_name_their_event() {
        let t = Timestamp::from_unix(1_649_203_200);
        let a = RecordId::derive(t, &[b"gate", b"door-1", b"code"]);
        assert_eq!(a, RecordId::derive(t, &[b"gate", b"door-1", b"code"]));
        assert_ne!(a, RecordId::derive(t, &[b"gate", b"door-2", b"code"]));
        // Parts are length-prefixed: ("ab","c") is not ("a","bc").
        assert_ne!(
            RecordId::derive(t, &[b"ab", b"c"]),
            RecordId::derive(t, &[b"a", b"bc"])
        );
        let later = RecordId::derive(t.saturating_add(1), &[b"x"]);
        assert!(later > a && later.to_string() > a.to_string());
        assert_eq!(a.at(), t);
        assert_eq!(a.to_string().parse::<RecordId>().unwrap(), a);
        assert!(a.to_string().to_uppercase().parse::<RecordId>().is_err());
        assert!("00".parse::<RecordId>().is_err());
        assert_eq!(&a.to_string()[..12], "017ffc2bc000");
    }
}
