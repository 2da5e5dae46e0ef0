//! The memory of dynamic codes, kept by the store itself (table `sightings`), so that every node
//! of a service sees every code any node admitted, with no cap on their number: a check-in's
//! record is stored only with its claim, in one transaction, and a claim that an earlier
//! sighting refutes ([`Sighting::after`], core's one rule) stores nothing; the service then
//! decides the check-in again as a replay and stores that. Both stores apply the rule here, under
//! the lock their writers already hold (SQLite's one writer, PostgreSQL's feed lock), so two
//! nodes cannot both claim one code.

use std::collections::HashMap;
use venuecode::door::{Replay, Sighting};
use venuecode::record::ScanRecord;

/// A record to store; for a dynamic code this node saw as new, the sighting it claims; and the
/// report to queue if the record is new ([`crate::outbox`]).
#[derive(Debug, Clone)]
pub struct Entry {
    /// The record.
    pub record: ScanRecord,
    /// The first sighting of a dynamic code ([`venuecode::door::SharedGate::check_in_seen`]): the
    /// record is stored only if no earlier sighting, on any node, refutes it.
    pub claim: Option<Sighting>,
    /// Its report, written to the outbox with the record if the record is new.
    pub report: Option<crate::outbox::Report>,
}

impl From<ScanRecord> for Entry {
    fn from(record: ScanRecord) -> Self {
        Entry {
            record,
            claim: None,
            report: None,
        }
    }
}

/// What became of an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// Stored now.
    New,
    /// A record of its id was stored before (a retry); `replayed` if that record's code was
    /// refused as replayed.
    Already {
        /// The stored record's code was replayed.
        replayed: bool,
    },
    /// Nothing stored: an earlier sighting of its dynamic code, on some node, makes it a replay.
    Replayed(Replay),
}

/// A group's claims decided against the sightings stored of their codes (`earlier`, by code),
/// in the group's order (a second claim of one code sees the first): for each entry, `None` to
/// store its record or the replay that refutes it; and the sightings to write (new codes, and
/// codes whose earlier sighting has expired).
pub(crate) fn settle(
    claims: impl Iterator<Item = Option<Sighting>>,
    mut earlier: HashMap<[u8; 16], Sighting>,
) -> (Vec<Option<Replay>>, Vec<Sighting>) {
    let mut writes: Vec<Sighting> = Vec::new();
    let fates = claims
        .map(|claim| {
            let claim = claim?;
            match earlier.get(&claim.code) {
                Some(before) if before.until > claim.first_at => match claim.after(before) {
                    // A retry within the grace: the first sighting stands.
                    Replay::Fresh => None,
                    replay => Some(replay),
                },
                _ => {
                    writes.retain(|w| w.code != claim.code);
                    writes.push(claim);
                    earlier.insert(claim.code, claim);
                    None
                }
            }
        })
        .collect();
    (fates, writes)
}

/// Sightings expire with their codes; a store drops the expired ones at most this often
/// (seconds of the receivers' clock).
pub(crate) const SWEEP_SECS: i64 = 10;

/// How long past its code's expiry a sighting is kept: a node whose clock runs ahead of the
/// others' by less than this drops no sighting they still hold valid.
pub(crate) const SWEEP_MARGIN_SECS: i64 = 300;

#[cfg(test)]
mod tests {
    use super::*;
    use venuecode::Timestamp;

    #[test]
    fn a_group_settles_in_its_order_and_an_expired_sighting_is_replaced() {
        let t = Timestamp::from_unix;
        let seen = |code: u8, place: u8, at: i64| Sighting {
            code: [code; 16],
            place: [place; 8],
            first_at: t(at),
            until: t(at + 60),
        };
        let stored = HashMap::from([([1; 16], seen(1, 1, 0)), ([2; 16], seen(2, 1, 0))]);
        let (fates, writes) = settle(
            [
                None,
                Some(seen(1, 2, 5)),  // another place: a replay
                Some(seen(2, 1, 70)), // its earlier one expired at 60: new again
                Some(seen(3, 1, 5)),  // new
                Some(seen(3, 2, 6)),  // the same group's own earlier claim refutes it
                Some(seen(3, 1, 8)),  // the first place within the grace: a retry
            ]
            .into_iter(),
            stored,
        );
        assert_eq!(
            fates,
            [
                None,
                Some(Replay::ElsewhereFirst),
                None,
                None,
                Some(Replay::ElsewhereFirst),
                None
            ]
        );
        assert_eq!(writes, [seen(2, 1, 70), seen(3, 1, 5)]);
    }
}
