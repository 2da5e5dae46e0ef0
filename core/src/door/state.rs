//! What a gate keeps from one start to the next (SPEC.md §12.3): the highest serial it accepted
//! of each issuer's lists ([`Serials`]), and the dynamic codes it admitted while they are still
//! valid, to catch a screenshot shown again. The faces store it as bytes ([`GateState::to_bytes`]:
//! the CLI in a state file written atomically, WASM and mobile apps wherever they keep data)
//! and give it back when the gate starts.

use crate::encoding::timestamp::Timestamp;
use crate::error::Error;
use crate::keys::trust::TrustList;
use crate::kid::KeyId;
use crate::lists::serial::{Accepted, Serials};
use serde::{Deserialize, Serialize};

/// How long after its first scan a dynamic code may be scanned again at the same door without
/// counting as replayed, in seconds: a camera that reads one screen twice, a visitor who
/// retries. Longer than that, or at another door or venue, is a second person with a copy.
pub const REPLAY_GRACE_SECS: i64 = 10;

/// The most dynamic codes remembered: codes live at most five minutes, so this is over 200
/// scans a second at one gate; beyond it, the ones that expire first are forgotten first.
pub const MAX_REMEMBERED: usize = 65_536;

/// The most bytes of state read.
pub const MAX_STATE_BYTES: usize = 16 << 20;

const FORMAT: &str = "venuecode-gate-state";

/// A dynamic code admitted, remembered until it expires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Seen {
    /// SHA-256 of the code's text, first 16 bytes, hex: the text itself is not kept.
    code: String,
    /// The door it was first scanned at: SHA-256 of venue id and door label, first 8 bytes.
    door: String,
    first_at: Timestamp,
    until: Timestamp,
}

/// Where a dynamic code was seen before, if it counts as replayed now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Replay {
    /// The first scan, or a second within the grace at the same door.
    Fresh,
    /// Seen at another door (or venue).
    ElsewhereFirst,
    /// Seen at this door, longer ago than the grace.
    HereBefore,
}

/// A gate's state: serials and the dynamic codes it remembers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateState {
    format: String,
    version: u32,
    serials: Serials,
    seen: Vec<Seen>,
}

fn short_hex(parts: &[&[u8]], n: usize) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for p in parts {
        h.update(u32::try_from(p.len()).unwrap_or(u32::MAX).to_be_bytes());
        h.update(p);
    }
    hex::encode(&h.finalize()[..n])
}

impl Default for GateState {
    fn default() -> Self {
        Self::new()
    }
}

impl GateState {
    /// A new gate's state: nothing seen.
    pub fn new() -> Self {
        GateState {
            format: FORMAT.into(),
            version: 1,
            serials: Serials::new(),
            seen: Vec::new(),
        }
    }

    /// Reads stored state. Bounded; a broken state is an error (a gate must not silently start
    /// from nothing, which would accept old lists again).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let bad = |reason: String| Error::InvalidInput {
            field: "gate state",
            reason,
        };
        if bytes.len() > MAX_STATE_BYTES {
            return Err(bad(format!("longer than {MAX_STATE_BYTES} bytes")));
        }
        let state: GateState = serde_json::from_slice(bytes).map_err(|e| bad(e.to_string()))?;
        if state.format != FORMAT || state.version != 1 {
            return Err(bad(format!("expected format {FORMAT:?} version 1")));
        }
        if state.seen.len() > MAX_REMEMBERED {
            return Err(bad("too many remembered codes".into()));
        }
        Ok(state)
    }

    /// The bytes to store.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(self)
            .unwrap_or_else(|_| unreachable!("plain structs serialize"));
        out.push(b'\n');
        out
    }

    /// The serials accepted.
    pub fn serials(&self) -> &Serials {
        &self.serials
    }

    /// How many dynamic codes it remembers.
    pub fn remembered(&self) -> usize {
        self.seen.len()
    }

    /// Checks a set of verified lists against the serials and records them, all or none.
    pub fn accept(&mut self, lists: &[&Accepted]) -> Result<(), Error> {
        self.serials.accept(lists)
    }

    /// Verifies a signed trust list against pinned root key ids at `now` and records its
    /// serial: `rolled_back` if an older one is offered than this gate has used.
    pub fn trust_list(
        &mut self,
        signed: &[u8],
        pinned: &[KeyId],
        now: Timestamp,
    ) -> Result<TrustList, Error> {
        let (list, accepted) = crate::lists::trust::open(signed, pinned, now)?;
        self.accept(&[&accepted])?;
        Ok(list)
    }

    /// Notes a dynamic code admitted at a door and says whether it is replayed. Expired entries
    /// are dropped first; a replayed code is not remembered again (its first sighting stands).
    pub(crate) fn remember(
        &mut self,
        text: &str,
        venue_id: &str,
        door: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> Replay {
        self.seen.retain(|s| s.until > now);
        let code = short_hex(&[text.as_bytes()], 16);
        let here = short_hex(&[venue_id.as_bytes(), door.as_bytes()], 8);
        if let Some(s) = self.seen.iter().find(|s| s.code == code) {
            return if s.door != here {
                Replay::ElsewhereFirst
            } else if now.unix() - s.first_at.unix() > REPLAY_GRACE_SECS {
                Replay::HereBefore
            } else {
                Replay::Fresh
            };
        }
        if self.seen.len() >= MAX_REMEMBERED
            && let Some(i) = (0..self.seen.len()).min_by_key(|&i| self.seen[i].until)
        {
            self.seen.swap_remove(i);
        }
        self.seen.push(Seen {
            code,
            door: here,
            first_at: now,
            until,
        });
        Replay::Fresh
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_codes_until_they_expire() {
        let mut s = GateState::new();
        let t = Timestamp::from_unix;
        assert_eq!(s.remember("A", "V1", "东门", t(100), t(400)), Replay::Fresh);
        // The same screen read twice within the grace.
        assert_eq!(s.remember("A", "V1", "东门", t(105), t(400)), Replay::Fresh);
        assert_eq!(
            s.remember("A", "V1", "东门", t(111), t(400)),
            Replay::HereBefore
        );
        assert_eq!(
            s.remember("A", "V1", "西门", t(101), t(400)),
            Replay::ElsewhereFirst
        );
        assert_eq!(
            s.remember("A", "V2", "东门", t(101), t(400)),
            Replay::ElsewhereFirst
        );
        assert_eq!(s.remember("B", "V1", "东门", t(101), t(400)), Replay::Fresh);
        assert_eq!(s.remembered(), 2);
        // After the code's end it is forgotten (and would be refused as expired anyway).
        assert_eq!(s.remember("C", "V1", "东门", t(400), t(700)), Replay::Fresh);
        assert_eq!(s.remembered(), 1);
        let again = GateState::from_bytes(&s.to_bytes()).unwrap();
        assert_eq!(again, s);
        assert!(GateState::from_bytes(b"{}").is_err());
        assert!(GateState::from_bytes(&vec![b' '; MAX_STATE_BYTES + 1]).is_err());
    }
}
