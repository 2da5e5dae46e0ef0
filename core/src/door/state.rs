//! What a gate keeps from one start to the next (SPEC.md §13.1): the highest serial it accepted
//! of each issuer's lists ([`Serials`]), and the dynamic codes it admitted while they are still
//! valid, to catch a screenshot shown again. The faces store it as bytes ([`GateState::to_bytes`]:
//! the CLI in a state file written atomically, WASM and mobile apps wherever they keep data)
//! and give it back when the gate starts.

use crate::encoding::timestamp::Timestamp;
use crate::encoding::wire::Reader;
use crate::error::{Error, FormatError};
use crate::keys::trust::TrustList;
use crate::kid::KeyId;
use crate::lists::serial::{Accepted, Serials};
use sha2::{Digest, Sha256};

/// How long after its first scan a dynamic code may be scanned again at the same door, by the
/// same phone or gate, without counting as replayed, in seconds: a camera that reads one screen
/// twice, a visitor who retries. Longer than that, at another door or venue, or from another
/// phone, is a second person with a copy.
pub const REPLAY_GRACE_SECS: i64 = 10;

/// The most dynamic codes remembered: codes live at most five minutes, so this is over 200
/// scans a second at one gate; beyond it, the ones that expire first are forgotten first.
pub const MAX_REMEMBERED: usize = 65_536;

/// The most bytes of state read.
pub const MAX_STATE_BYTES: usize = 4 << 20;

/// The stored form's first bytes: a name and the version.
const MAGIC: &[u8; 5] = b"VCGS\x01";

/// A dynamic code admitted, remembered until it expires: digests only, not the text or door.
/// A gate keeps its own in its [`GateState`]; a service of many nodes keeps them in its store,
/// where every node sees them, and asks [`Sighting::after`] of each earlier one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sighting {
    /// SHA-256 of the code's text, first 16 bytes.
    pub code: [u8; 16],
    /// SHA-256 of the venue id, door label and the device that sent it (each length-prefixed;
    /// a gate's own scans have none), first 8 bytes.
    pub place: [u8; 8],
    /// When it was first seen.
    pub first_at: Timestamp,
    /// When the code expires: after this it is forgotten.
    pub until: Timestamp,
}

impl Sighting {
    /// A dynamic code seen at a door from a device at `now`, valid until `until`.
    pub fn new(
        text: &str,
        venue_id: &str,
        door: &str,
        device: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> Self {
        Sighting {
            code: digest(&[text.as_bytes()]),
            place: digest(&[venue_id.as_bytes(), door.as_bytes(), device.as_bytes()]),
            first_at: now,
            until,
        }
    }

    /// Whether this sighting replays `earlier`, a sighting of the same code not yet expired
    /// (an expired one is forgotten): the one rule of replays, for a gate's memory and a
    /// service's store alike. At another place it is [`Replay::ElsewhereFirst`]; at this place
    /// longer ago than [`REPLAY_GRACE_SECS`] it is [`Replay::HereBefore`].
    pub fn after(&self, earlier: &Sighting) -> Replay {
        if earlier.place != self.place {
            Replay::ElsewhereFirst
        } else if self.first_at.unix() - earlier.first_at.unix() > REPLAY_GRACE_SECS {
            Replay::HereBefore
        } else {
            Replay::Fresh
        }
    }
}

/// Whether a dynamic code seen now replays an earlier sighting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replay {
    /// The first scan, or a second within the grace at the same door from the same device.
    Fresh,
    /// Seen at another door or venue, or from another phone.
    ElsewhereFirst,
    /// Seen at this door, longer ago than the grace.
    HereBefore,
}

/// A gate's state: serials and the dynamic codes it remembers.
///
/// The codes are found through an open-addressing index on their digests (a digest is already
/// uniform, so its first bytes are the hash), and expired ones are swept at most once a second:
/// a service admitting thousands of codes a second does a few steps for each, not one per code
/// remembered.
#[derive(Debug, Clone)]
pub struct GateState {
    serials: Serials,
    /// In the order admitted (the stored order).
    seen: Vec<Sighting>,
    /// Slots of `seen` positions plus one (0: empty); at most half full.
    index: Vec<u32>,
    /// No code is swept before this.
    next_sweep: Timestamp,
}

impl PartialEq for GateState {
    fn eq(&self, other: &Self) -> bool {
        self.serials == other.serials && self.seen == other.seen
    }
}

impl Eq for GateState {}

fn digest<const N: usize>(parts: &[&[u8]]) -> [u8; N] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(u32::try_from(p.len()).unwrap_or(u32::MAX).to_be_bytes());
        h.update(p);
    }
    let mut out = [0; N];
    out.copy_from_slice(&h.finalize()[..N]);
    out
}

/// A time as stored: before 1970 is 1970, after 2106 is 2106.
fn unix_u32(t: Timestamp) -> u32 {
    Timestamp::from_unix(t.unix().max(0))
        .unix_u32()
        .unwrap_or(u32::MAX)
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
            serials: Serials::new(),
            seen: Vec::new(),
            index: Vec::new(),
            next_sweep: Timestamp::from_unix(0),
        }
    }

    /// Where a digest's search starts in the index.
    fn slot(code: &[u8; 16], mask: usize) -> usize {
        u32::from_be_bytes([code[0], code[1], code[2], code[3]]) as usize & mask
    }

    /// Puts `seen[position]` into the index.
    fn index_one(&mut self, position: usize) {
        let mask = self.index.len() - 1;
        let mut i = Self::slot(&self.seen[position].code, mask);
        while self.index[i] != 0 {
            i = (i + 1) & mask;
        }
        self.index[i] = u32::try_from(position + 1).unwrap_or(u32::MAX);
    }

    /// Builds the index again (after codes were dropped, or to grow it).
    fn reindex(&mut self) {
        let size = (self.seen.len() * 2 + 2).next_power_of_two().max(64);
        self.index.clear();
        self.index.resize(size, 0);
        for p in 0..self.seen.len() {
            self.index_one(p);
        }
    }

    /// The position of a code in `seen`.
    fn find(&self, code: &[u8; 16]) -> Option<usize> {
        if self.index.is_empty() {
            return None;
        }
        let mask = self.index.len() - 1;
        let mut i = Self::slot(code, mask);
        loop {
            let p = self.index[i] as usize;
            if p == 0 {
                return None;
            }
            if self.seen.get(p - 1).is_some_and(|s| s.code == *code) {
                return Some(p - 1);
            }
            i = (i + 1) & mask;
        }
    }

    /// Drops the codes `keep` refuses, and builds the index again.
    fn drop_where(&mut self, keep: impl FnMut(&Sighting) -> bool) {
        self.seen.retain(keep);
        self.reindex();
    }

    /// Forgets the codes expired at `now` (at most once a second) and, when full, the ones that
    /// expire first.
    fn sweep(&mut self, now: Timestamp) {
        if now >= self.next_sweep {
            self.next_sweep = now.saturating_add(1);
            if self.seen.iter().any(|s| s.until <= now) {
                self.drop_where(|s| s.until > now);
            }
        }
        if self.seen.len() >= MAX_REMEMBERED {
            // Every code of the earliest expiry second goes at once (at least one).
            let first = self.seen.iter().map(|s| s.until).min().unwrap_or(now);
            self.drop_where(|s| s.until > first);
        }
    }

    /// Reads stored state (SPEC.md §13.1). Bounded; a broken state is an error (a gate must not
    /// silently start from nothing, which would accept old lists again).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() > MAX_STATE_BYTES {
            return Err(FormatError::TooLong {
                max: MAX_STATE_BYTES,
            }
            .into());
        }
        let mut r = Reader::new(bytes);
        if r.array::<5>("magic")? != *MAGIC {
            return Err(FormatError::Field {
                field: "gate state",
                reason: "not a venuecode gate state of version 1",
            }
            .into());
        }
        let serials = Serials::read(&mut r)?;
        let count = r.u32("seen")? as usize;
        if count > MAX_REMEMBERED {
            return Err(FormatError::Field {
                field: "seen",
                reason: "too many remembered codes",
            }
            .into());
        }
        let mut seen = Vec::with_capacity(count.min(bytes.len() / 32));
        for _ in 0..count {
            seen.push(Sighting {
                code: r.array("code")?,
                place: r.array("door")?,
                first_at: Timestamp::from_unix(i64::from(r.u32("first_at")?)),
                until: Timestamp::from_unix(i64::from(r.u32("until")?)),
            });
        }
        r.finish()?;
        let mut state = GateState {
            serials,
            seen,
            ..GateState::new()
        };
        state.reindex();
        Ok(state)
    }

    /// The bytes to store.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        self.serials.write(&mut out);
        out.extend_from_slice(
            &u32::try_from(self.seen.len())
                .unwrap_or(u32::MAX)
                .to_be_bytes(),
        );
        for s in &self.seen {
            out.extend_from_slice(&s.code);
            out.extend_from_slice(&s.place);
            out.extend_from_slice(&unix_u32(s.first_at).to_be_bytes());
            out.extend_from_slice(&unix_u32(s.until).to_be_bytes());
        }
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

    /// Notes a dynamic code admitted at a door, sent by `device` (a phone's id; empty for a
    /// gate's own scan), and says whether it is replayed. Expired entries are dropped first; a
    /// replayed code is not remembered again (its first sighting stands).
    pub(crate) fn remember(
        &mut self,
        text: &str,
        venue_id: &str,
        door: &str,
        device: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> Replay {
        self.note(Sighting::new(text, venue_id, door, device, now, until))
    }

    /// [`GateState::remember`], of a sighting made already.
    pub(crate) fn note(&mut self, sighting: Sighting) -> Replay {
        let now = sighting.first_at;
        self.sweep(now);
        let found = self.find(&sighting.code);
        // Expired but not yet swept: forgotten.
        if let Some(earlier) = found.map(|p| &self.seen[p]).filter(|s| s.until > now) {
            return sighting.after(earlier);
        }
        if found.is_some() {
            self.drop_where(|s| s.code != sighting.code);
        }
        self.seen.push(sighting);
        if self.seen.len() * 2 > self.index.len() {
            self.reindex();
        } else {
            self.index_one(self.seen.len() - 1);
        }
        Replay::Fresh
    }
}

impl GateState {
    /// Forgets a dynamic code noted from `device` at a door, when the record of that sighting
    /// could not be kept: the visitor's retry is then a first sighting again, not a screenshot.
    /// A code first noted elsewhere, or from another device, stays remembered.
    pub(crate) fn forget(&mut self, text: &str, venue_id: &str, door: &str, device: &str) {
        let s = Sighting::new(
            text,
            venue_id,
            door,
            device,
            Timestamp::from_unix(0),
            Timestamp::from_unix(0),
        );
        if self
            .find(&s.code)
            .is_some_and(|p| self.seen[p].place == s.place)
        {
            self.drop_where(|seen| seen.code != s.code);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn many_codes_are_found_through_the_index_and_forgotten_when_expired() {
        let mut s = GateState::new();
        let t = Timestamp::from_unix;
        // Over several growths of the index: 1,000 codes, a second apart, each valid 300 s.
        for i in 0..1000 {
            let code = format!("C{i}");
            assert_eq!(
                s.remember(&code, "V", "东门", "", t(i), t(i + 300)),
                Replay::Fresh
            );
        }
        assert_eq!(s.remembered(), 300, "the ones expired by 999 are swept");
        // Old and recent ones alike are caught.
        for i in [700, 800, 990, 999] {
            let code = format!("C{i}");
            assert_eq!(
                s.remember(&code, "V", "西门", "", t(999), t(999 + 300)),
                Replay::ElsewhereFirst
            );
        }
        assert_eq!(
            s.remember("C999", "V", "东门", "", t(1010), t(1299)),
            Replay::HereBefore
        );
        // An expired code is new again.
        assert_eq!(
            s.remember("C0", "V", "西门", "", t(1010), t(1310)),
            Replay::Fresh
        );
        let mut again = GateState::from_bytes(&s.to_bytes()).unwrap();
        assert_eq!(again, s);
        assert_eq!(again.to_bytes(), s.to_bytes());
        assert_eq!(
            again.remember("C990", "V", "西门", "", t(1011), t(1311)),
            Replay::ElsewhereFirst
        );
    }

    #[test]
    fn a_full_memory_forgets_the_codes_that_expire_first() {
        let mut s = GateState::new();
        let t = Timestamp::from_unix;
        let n = i64::try_from(MAX_REMEMBERED).unwrap();
        for i in 0..n {
            // Half expire at 500, half at 600.
            s.remember(
                &format!("C{i}"),
                "V",
                "东门",
                "",
                t(100),
                t(if i % 2 == 0 { 500 } else { 600 }),
            );
        }
        assert_eq!(s.remembered(), MAX_REMEMBERED);
        s.remember("new", "V", "东门", "", t(101), t(700));
        assert_eq!(s.remembered(), MAX_REMEMBERED / 2 + 1);
        assert_eq!(
            s.remember("C1", "V", "西门", "", t(102), t(600)),
            Replay::ElsewhereFirst
        );
        assert_eq!(
            s.remember("C0", "V", "西门", "", t(102), t(500)),
            Replay::Fresh,
            "forgotten"
        );
    }

    #[test]
    fn remembers_codes_until_they_expire() {
        let mut s = GateState::new();
        let t = Timestamp::from_unix;
        assert_eq!(
            s.remember("A", "V1", "东门", "", t(100), t(400)),
            Replay::Fresh
        );
        // The same screen read twice within the grace.
        assert_eq!(
            s.remember("A", "V1", "东门", "", t(105), t(400)),
            Replay::Fresh
        );
        assert_eq!(
            s.remember("A", "V1", "东门", "", t(111), t(400)),
            Replay::HereBefore
        );
        assert_eq!(
            s.remember("A", "V1", "西门", "", t(101), t(400)),
            Replay::ElsewhereFirst
        );
        assert_eq!(
            s.remember("A", "V2", "东门", "", t(101), t(400)),
            Replay::ElsewhereFirst
        );
        assert_eq!(
            s.remember("B", "V1", "东门", "", t(101), t(400)),
            Replay::Fresh
        );
        assert_eq!(s.remembered(), 2);
        // The grace is one phone's: the same code from another phone at the same door, within
        // it, is a copy (red team, 2026-12: 3,000 device ids admitted one person 3,000 times).
        assert_eq!(
            s.remember("D", "V1", "东门", "phone-1", t(200), t(400)),
            Replay::Fresh
        );
        assert_eq!(
            s.remember("D", "V1", "东门", "phone-1", t(202), t(400)),
            Replay::Fresh
        );
        assert_eq!(
            s.remember("D", "V1", "东门", "phone-2", t(203), t(400)),
            Replay::ElsewhereFirst
        );
        assert_eq!(s.remembered(), 3);
        // A sighting whose record could not be kept is forgotten, so its retry is a first one;
        // another device cannot make the gate forget a code it did not bring.
        s.forget("D", "V1", "东门", "phone-2");
        assert_eq!(s.remembered(), 3);
        s.forget("D", "V1", "东门", "phone-1");
        assert_eq!(s.remembered(), 2);
        assert_eq!(
            s.remember("D", "V1", "东门", "phone-1", t(230), t(400)),
            Replay::Fresh
        );
        assert_eq!(s.remembered(), 3);
        // After the codes' end they are forgotten (and would be refused as expired anyway).
        assert_eq!(
            s.remember("C", "V1", "东门", "", t(400), t(700)),
            Replay::Fresh
        );
        assert_eq!(s.remembered(), 1);
        let again = GateState::from_bytes(&s.to_bytes()).unwrap();
        assert_eq!(again, s);
        assert!(GateState::from_bytes(b"{}").is_err());
        let mut longer = s.to_bytes();
        longer.push(0);
        assert_eq!(
            GateState::from_bytes(&longer).unwrap_err().code(),
            "malformed"
        );
        assert!(GateState::from_bytes(&vec![b' '; MAX_STATE_BYTES + 1]).is_err());
    }
}
