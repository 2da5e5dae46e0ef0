//! Layer 8, trace-back (追溯排查) for the authority alone: who was where, from the sealed holder
//! references of records (SPEC.md §15). A venue's records and exports cannot be traced: it takes
//! the authority's [`TraceKey`].
//!
//! A query reads its sources in batches and keeps only what it answers, so memory stays flat
//! however many records it reads. [`HolderTrace`] reads them twice: first for the person's
//! visits, then for the people present within the window of each; [`VenueTrace`] once.

pub mod audit;

use crate::encoding::timestamp::Timestamp;
use crate::error::Error;
use crate::policy::Outcome;
use crate::privacy::token::HolderToken;
pub use crate::privacy::trace::{
    TRACE_REF_LEN, TRACE_REF_VERSION, TraceKey, TracePublicKey, TraceRef,
};
use crate::record::{Origin, RecordId, ScanRecord};
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};

/// The default co-visit window: 30 minutes either side of a visit.
pub const DEFAULT_WINDOW_MINUTES: u32 = 30;

/// The widest co-visit window a query may ask: a day either side.
pub const MAX_WINDOW_MINUTES: u32 = 24 * 60;

/// `minutes` if it is a co-visit window a query may ask (1 to [`MAX_WINDOW_MINUTES`]),
/// `invalid_input` otherwise.
pub fn check_window(minutes: u32) -> Result<u32, Error> {
    if (1..=MAX_WINDOW_MINUTES).contains(&minutes) {
        Ok(minutes)
    } else {
        Err(Error::InvalidInput {
            field: "window_minutes",
            reason: format!("1 to {MAX_WINDOW_MINUTES} minutes"),
        })
    }
}

/// What a trace reads of a record: where, when, how, and the sealed reference. From a ledger's
/// record or an exported row alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presence {
    /// The record's id (the seal's associated data).
    pub id: RecordId,
    /// Who made the record.
    pub origin: Origin,
    /// The venue's registry number.
    pub venue_id: String,
    /// The door.
    pub door: String,
    /// When.
    pub at: Timestamp,
    /// The decision at the door (a person refused was at the door too).
    pub decision: Outcome,
    /// The sealed holder reference, if the record has one.
    pub trace: Option<TraceRef>,
}

impl Presence {
    /// A record's presence; `None` for staff's resolutions (the scan they resolve is the
    /// presence).
    pub fn of(r: &ScanRecord) -> Option<Presence> {
        (!r.is_resolution()).then(|| Presence {
            id: r.id,
            origin: r.origin,
            venue_id: r.venue_id.clone(),
            door: r.door.clone(),
            at: r.at,
            decision: r.decision,
            trace: r.trace,
        })
    }
}

/// A time range, both ends included; an open end is unbounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Period {
    /// From (inclusive).
    pub from: Option<Timestamp>,
    /// To (inclusive).
    pub to: Option<Timestamp>,
}

impl Period {
    /// The period from `from` to `to`: `invalid_input` if it ends before it starts.
    pub fn new(from: Option<Timestamp>, to: Option<Timestamp>) -> Result<Period, Error> {
        if let (Some(f), Some(t)) = (from, to)
            && f > t
        {
            return Err(Error::InvalidInput {
                field: "period",
                reason: "it ends before it starts".into(),
            });
        }
        Ok(Period { from, to })
    }

    /// Whether `t` lies in it.
    pub fn contains(&self, t: Timestamp) -> bool {
        self.from.is_none_or(|f| t >= f) && self.to.is_none_or(|e| t <= e)
    }
}

/// How many records a query read, and of those how many it could not attribute. A record in
/// two sources (a merged ledger and one of its sources) is read, and counted, twice; the
/// answer holds it once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Coverage {
    /// Records in the period read (first pass only, for a holder).
    pub records: u64,
    /// Records without a sealed reference (a code that did not verify; records from before
    /// version 3): nobody can attribute them.
    pub unsealed: u64,
    /// References that did not open with this key for their record: sealed to another key,
    /// altered, or moved to another record.
    pub unopened: u64,
}

impl Coverage {
    fn count(&mut self, opened: &Opened) {
        self.records += 1;
        match opened {
            Opened::Holder(_) => {}
            Opened::Unsealed => self.unsealed += 1,
            Opened::Unopened => self.unopened += 1,
        }
    }
}

/// What opening a presence's reference gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Opened {
    Holder(HolderToken),
    Unsealed,
    Unopened,
}

/// Opens the references of a batch, on every core but one's share of the batch each.
fn open_batch(key: &TraceKey, batch: &[&Presence]) -> Vec<Opened> {
    let open = |p: &&Presence| match &p.trace {
        None => Opened::Unsealed,
        Some(r) => key
            .open(r, &p.id.0)
            .map_or(Opened::Unopened, Opened::Holder),
    };
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    if threads < 2 || batch.len() < 256 || cfg!(target_family = "wasm") {
        return batch.iter().map(open).collect();
    }
    let chunk = batch.len().div_ceil(threads);
    std::thread::scope(|s| {
        let parts: Vec<_> = batch
            .chunks(chunk)
            .map(|part| s.spawn(move || part.iter().map(open).collect::<Vec<_>>()))
            .collect();
        parts
            .into_iter()
            .flat_map(|h| {
                h.join()
                    .unwrap_or_else(|_| unreachable!("opening does not panic"))
            })
            .collect()
    })
}

/// The presences of a batch whose references open, with their holders; the rest counted in
/// `coverage`. What the authority's index for SQL engines is made of.
pub fn open_all<'a>(
    key: &TraceKey,
    batch: &'a [Presence],
    coverage: &mut Coverage,
) -> Vec<(&'a Presence, HolderToken)> {
    let all: Vec<&Presence> = batch.iter().collect();
    all.iter()
        .zip(open_batch(key, &all))
        .filter_map(|(p, opened)| {
            coverage.count(&opened);
            match opened {
                Opened::Holder(h) => Some((*p, h)),
                Opened::Unsealed | Opened::Unopened => None,
            }
        })
        .collect()
}

/// A visit of the traced person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Visit {
    /// The record.
    pub record_id: RecordId,
    /// The venue.
    pub venue_id: String,
    /// The door.
    pub door: String,
    /// When.
    pub at: Timestamp,
    /// Gate scan, self-scan or hand registration.
    pub origin: Origin,
    /// The decision at the door.
    pub decision: Outcome,
    /// The other people at the venue within the window, by holder token, earliest first.
    pub contacts: Vec<Contact>,
}

/// Someone present at a venue within the window of a visit: their first record there in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Contact {
    /// Their holder token (the authority's registry names the person).
    pub holder: HolderToken,
    /// The record.
    pub record_id: RecordId,
    /// The door.
    pub door: String,
    /// When.
    pub at: Timestamp,
    /// Gate scan, self-scan or hand registration.
    pub origin: Origin,
}

/// The answer to a holder query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HolderReport {
    /// The person traced, by holder token.
    pub holder: HolderToken,
    /// The period searched.
    pub period: Period,
    /// The co-visit window, in minutes either side.
    pub window_minutes: u32,
    /// The visits, earliest first.
    pub visits: Vec<Visit>,
    /// Distinct contacts over all visits.
    pub contacts: usize,
    /// What was read.
    pub coverage: Coverage,
}

/// Every visit of one person and the people present within the window of each.
///
/// Feed every source to [`HolderTrace::find_visits`], then every source again to
/// [`HolderTrace::find_contacts`]; a record read twice (a merged ledger and one of its sources)
/// is one visit or contact.
#[derive(Debug)]
pub struct HolderTrace<'k> {
    key: &'k TraceKey,
    holder: HolderToken,
    period: Period,
    window_minutes: u32,
    visits: Vec<Visit>,
    seen: HashSet<RecordId>,
    contacts: Vec<BTreeMap<HolderToken, Contact>>,
    coverage: Coverage,
}

impl<'k> HolderTrace<'k> {
    /// A trace of `holder` over `period`, contacts within `window_minutes` either side.
    pub fn new(
        key: &'k TraceKey,
        holder: HolderToken,
        period: Period,
        window_minutes: u32,
    ) -> Self {
        HolderTrace {
            key,
            holder,
            period,
            window_minutes,
            visits: Vec::new(),
            seen: HashSet::new(),
            contacts: Vec::new(),
            coverage: Coverage::default(),
        }
    }

    fn window_secs(&self) -> i64 {
        i64::from(self.window_minutes) * 60
    }

    /// First pass: the person's visits in a batch of presences.
    pub fn find_visits(&mut self, batch: &[Presence]) {
        let wanted: Vec<&Presence> = batch
            .iter()
            .filter(|p| self.period.contains(p.at))
            .collect();
        for (p, opened) in wanted.iter().zip(open_batch(self.key, &wanted)) {
            self.coverage.count(&opened);
            // Only the visits' ids are kept: memory grows with the answer, not the sources.
            if opened == Opened::Holder(self.holder) && self.seen.insert(p.id) {
                self.visits.push(Visit {
                    record_id: p.id,
                    venue_id: p.venue_id.clone(),
                    door: p.door.clone(),
                    at: p.at,
                    origin: p.origin,
                    decision: p.decision,
                    contacts: Vec::new(),
                });
                self.contacts.push(BTreeMap::new());
            }
        }
    }

    /// The visits a presence falls in the window of.
    fn windows_of<'a>(&'a self, p: &'a Presence) -> impl Iterator<Item = usize> + 'a {
        let w = self.window_secs();
        self.visits.iter().enumerate().filter_map(move |(i, v)| {
            (v.venue_id == p.venue_id && (p.at.unix() - v.at.unix()).abs() <= w).then_some(i)
        })
    }

    /// Second pass: the people present within the window of each visit, in a batch.
    pub fn find_contacts(&mut self, batch: &[Presence]) {
        if self.visits.is_empty() {
            return;
        }
        // Each presence with the visits whose window it falls in; only those are opened.
        let (near, windows): (Vec<&Presence>, Vec<Vec<usize>>) = batch
            .iter()
            .map(|p| (p, self.windows_of(p).collect::<Vec<_>>()))
            .filter(|(_, w)| !w.is_empty())
            .unzip();
        let opened = open_batch(self.key, &near);
        for ((p, opened), windows) in near.iter().zip(opened).zip(windows) {
            let Opened::Holder(holder) = opened else {
                continue;
            };
            if holder == self.holder {
                continue;
            }
            for i in windows {
                let contact = Contact {
                    holder,
                    record_id: p.id,
                    door: p.door.clone(),
                    at: p.at,
                    origin: p.origin,
                };
                let slot = self.contacts[i].entry(holder).or_insert(contact.clone());
                if (contact.at, contact.record_id) < (slot.at, slot.record_id) {
                    *slot = contact;
                }
            }
        }
    }

    /// The answer.
    pub fn report(self) -> HolderReport {
        let mut distinct = HashSet::new();
        let mut visits: Vec<Visit> = self
            .visits
            .into_iter()
            .zip(self.contacts)
            .map(|(mut v, found)| {
                let mut contacts: Vec<Contact> = found.into_values().collect();
                contacts.sort_by_key(|c| (c.at, c.record_id));
                distinct.extend(contacts.iter().map(|c| c.holder));
                v.contacts = contacts;
                v
            })
            .collect();
        visits.sort_by_key(|v| (v.at, v.record_id));
        HolderReport {
            holder: self.holder,
            period: self.period,
            window_minutes: self.window_minutes,
            visits,
            contacts: distinct.len(),
            coverage: self.coverage,
        }
    }
}

/// One person's records at the venue in the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Present {
    /// Their holder token.
    pub holder: HolderToken,
    /// Their entries, earliest first.
    pub entries: Vec<Entry>,
}

/// A record of a person present.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// The record.
    pub record_id: RecordId,
    /// The door.
    pub door: String,
    /// When.
    pub at: Timestamp,
    /// Gate scan, self-scan or hand registration.
    pub origin: Origin,
    /// The decision at the door.
    pub decision: Outcome,
}

/// The answer to a venue query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VenueReport {
    /// The venue.
    pub venue_id: String,
    /// The period searched.
    pub period: Period,
    /// Everyone present, by their first entry.
    pub present: Vec<Present>,
    /// What was read (records of this venue in the period).
    pub coverage: Coverage,
}

/// Everyone present at one venue in a period: one pass over the sources.
#[derive(Debug)]
pub struct VenueTrace<'k> {
    key: &'k TraceKey,
    venue_id: String,
    period: Period,
    seen: HashSet<RecordId>,
    present: BTreeMap<HolderToken, Vec<Entry>>,
    coverage: Coverage,
}

impl<'k> VenueTrace<'k> {
    /// A trace of the venue `venue_id` over `period`.
    pub fn new(key: &'k TraceKey, venue_id: &str, period: Period) -> Self {
        VenueTrace {
            key,
            venue_id: venue_id.to_owned(),
            period,
            seen: HashSet::new(),
            present: BTreeMap::new(),
            coverage: Coverage::default(),
        }
    }

    /// Reads a batch of presences.
    pub fn read(&mut self, batch: &[Presence]) {
        let wanted: Vec<&Presence> = batch
            .iter()
            .filter(|p| p.venue_id == self.venue_id && self.period.contains(p.at))
            .collect();
        for (p, opened) in wanted.iter().zip(open_batch(self.key, &wanted)) {
            self.coverage.count(&opened);
            if let Opened::Holder(holder) = opened
                && self.seen.insert(p.id)
            {
                self.present.entry(holder).or_default().push(Entry {
                    record_id: p.id,
                    door: p.door.clone(),
                    at: p.at,
                    origin: p.origin,
                    decision: p.decision,
                });
            }
        }
    }

    /// The answer.
    pub fn report(self) -> VenueReport {
        let mut present: Vec<Present> = self
            .present
            .into_iter()
            .map(|(holder, mut entries)| {
                entries.sort_by_key(|e| (e.at, e.record_id));
                Present { holder, entries }
            })
            .collect();
        present.sort_by_key(|p| p.entries.first().map(|e| (e.at, e.record_id)));
        VenueReport {
            venue_id: self.venue_id,
            period: self.period,
            present,
            coverage: self.coverage,
        }
    }
}

#[cfg(test)]
mod tests;
