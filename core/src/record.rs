//! Scan records and their daily statistics (当日次数、码色统计、扫码详情), desensitised.
//!
//! A record holds no raw personal data: a per-venue pseudonym, the masked name and ID number as
//! the code carried them, and the decision. Times are stored in UTC; days are counted in China
//! Standard Time (UTC+8), as venues count them.
//!
//! Statistics are exactly mergeable: each keeps, for every visitor and door, the times of its
//! scans, so shards of a city combine into the statistics of all their records. A visit is a run
//! of one visitor's scans at one door, each within the rescan window (default 10 minutes) of the
//! previous one; every scan still counts as a scan.

use crate::error::Error;
use crate::gate::Checked;
use crate::person::{Colour, NatTest, Profile};
use crate::policy::{Decision, Outcome};
use crate::pseudonym::{Pseudonym, PseudonymKey};
use crate::status::Resolved;
use crate::timestamp::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The default rescan window: 10 minutes.
pub const DEFAULT_RESCAN_WINDOW_SECS: u32 = 600;
const CST_OFFSET_SECS: i64 = 8 * 3600;

/// A calendar day in China Standard Time, as days since 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(pub i64);

impl Day {
    /// The CST day an instant falls on.
    pub fn of(t: Timestamp) -> Day {
        Day((t.unix() + CST_OFFSET_SECS).div_euclid(86_400))
    }

    /// Seconds since the day's start (00:00 CST).
    fn second_of(self, t: Timestamp) -> Option<u32> {
        u32::try_from(t.unix() + CST_OFFSET_SECS - self.0 * 86_400)
            .ok()
            .filter(|&s| s < 86_400)
    }
}

impl std::fmt::Display for Day {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (year, month, day) = crate::timestamp::civil_from_days(self.0);
        write!(f, "{year:04}-{month:02}-{day:02}")
    }
}

impl std::str::FromStr for Day {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        let invalid = || Error::InvalidInput {
            field: "day",
            reason: "expected YYYY-MM-DD".into(),
        };
        crate::timestamp::parse_date(s).map(Day).ok_or_else(invalid)
    }
}

impl Serialize for Day {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One scan at a door, desensitised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanRecord {
    /// The venue's registry number.
    pub venue_id: String,
    /// The door.
    pub door: String,
    /// When (UTC).
    pub at: Timestamp,
    /// The visitor's pseudonym at this venue; none for a code that did not verify.
    pub pseudonym: Option<Pseudonym>,
    /// The masked name the code carried (verified codes only).
    pub name: Option<String>,
    /// The masked ID number the code carried (verified codes only).
    pub id_number: Option<String>,
    /// Offline or dynamic (verified codes only).
    pub profile: Option<Profile>,
    /// `valid`, or the code's rejection code.
    pub code_state: String,
    /// The colour, if a status was known.
    pub colour: Option<Colour>,
    /// Hours since the latest test's sample, if one was known.
    pub test_age_hours: Option<u32>,
    /// The decision.
    pub decision: Outcome,
    /// Whether it was reported.
    pub report: bool,
    /// The rule that decided.
    pub rule: String,
}

impl ScanRecord {
    /// The record of a check and its decision at a venue's door.
    pub fn of(
        checked: &Checked,
        decision: &Decision<'_>,
        venue_id: &str,
        door: &str,
        key: &PseudonymKey,
    ) -> Self {
        let verified = checked.code.as_ref().ok().map(|v| v.code());
        let answer = match checked.status {
            Resolved::Fresh(a) | Resolved::Stale(a) => Some(a),
            Resolved::Unknown => None,
        };
        let test_age_hours =
            answer
                .and_then(|a| a.status.nat)
                .map(|NatTest { sampled_at, .. }| {
                    u32::try_from((checked.at.unix() - sampled_at.unix()).max(0) / 3600)
                        .unwrap_or(u32::MAX)
                });
        ScanRecord {
            venue_id: venue_id.to_owned(),
            door: door.to_owned(),
            at: checked.at,
            pseudonym: verified.map(|c| key.pseudonym(&c.holder)),
            name: verified.map(|c| c.name.clone()),
            id_number: verified.map(|c| c.id_number.clone()),
            profile: verified.map(|c| c.profile),
            code_state: checked.code_state().to_owned(),
            colour: answer.map(|a| a.status.colour),
            test_age_hours,
            decision: decision.decision,
            report: decision.report,
            rule: decision.rule.to_owned(),
        }
    }
}

/// One day's statistics of scan records. Merge shards with [`DailyStats::merge`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyStats {
    day: Day,
    window: u32,
    scans: u64,
    reports: u64,
    by_colour: [u64; 4],
    by_decision: [u64; 3],
    by_door: BTreeMap<String, u64>,
    /// Scans of codes that did not verify: no visitor to attach them to, each its own visit.
    anonymous: u64,
    /// Scan times (seconds into the day) of each visitor at each door, sorted.
    times: BTreeMap<(Pseudonym, String), Vec<u32>>,
}

fn colour_index(c: Option<Colour>) -> usize {
    match c {
        Some(Colour::Green) => 0,
        Some(Colour::Yellow) => 1,
        Some(Colour::Red) => 2,
        None => 3,
    }
}

impl DailyStats {
    /// Empty statistics of `day`, with a rescan window in seconds.
    pub fn new(day: Day, rescan_window_secs: u32) -> Self {
        DailyStats {
            day,
            window: rescan_window_secs,
            scans: 0,
            reports: 0,
            by_colour: [0; 4],
            by_decision: [0; 3],
            by_door: BTreeMap::new(),
            anonymous: 0,
            times: BTreeMap::new(),
        }
    }

    /// Counts a record; one of another day is refused.
    pub fn add(&mut self, r: &ScanRecord) -> Result<(), Error> {
        let second = self
            .day
            .second_of(r.at)
            .ok_or_else(|| Error::InvalidInput {
                field: "at",
                reason: format!("the record is not of {}", self.day),
            })?;
        self.scans += 1;
        self.reports += u64::from(r.report);
        self.by_colour[colour_index(r.colour)] += 1;
        self.by_decision[r.decision as usize] += 1;
        *self.by_door.entry(r.door.clone()).or_default() += 1;
        match r.pseudonym {
            None => self.anonymous += 1,
            Some(p) => {
                let times = self.times.entry((p, r.door.clone())).or_default();
                let at = times.partition_point(|&t| t <= second);
                times.insert(at, second);
            }
        }
        Ok(())
    }

    /// Adds another shard's statistics of the same day and window.
    pub fn merge(&mut self, other: &DailyStats) -> Result<(), Error> {
        if (self.day, self.window) != (other.day, other.window) {
            return Err(Error::InvalidInput {
                field: "stats",
                reason: "different days or rescan windows".into(),
            });
        }
        self.scans += other.scans;
        self.reports += other.reports;
        self.anonymous += other.anonymous;
        for i in 0..4 {
            self.by_colour[i] += other.by_colour[i];
        }
        for i in 0..3 {
            self.by_decision[i] += other.by_decision[i];
        }
        for (door, n) in &other.by_door {
            *self.by_door.entry(door.clone()).or_default() += n;
        }
        for (key, times) in &other.times {
            let mine = self.times.entry(key.clone()).or_default();
            mine.extend_from_slice(times);
            mine.sort_unstable();
        }
        Ok(())
    }

    /// The day.
    pub fn day(&self) -> Day {
        self.day
    }

    /// Every scan (当日次数).
    pub fn scans(&self) -> u64 {
        self.scans
    }

    /// Visits: rescans within the window count once.
    pub fn visits(&self) -> u64 {
        let runs: usize = self
            .times
            .values()
            .map(|t| 1 + t.windows(2).filter(|w| w[1] - w[0] > self.window).count())
            .sum();
        runs as u64 + self.anonymous
    }

    /// Distinct verified visitors.
    pub fn distinct_visitors(&self) -> u64 {
        let mut last = None;
        self.times
            .keys()
            .filter(|(p, _)| last.replace(*p) != Some(*p))
            .count() as u64
    }

    /// The summary shown to a venue manager, every count exact.
    pub fn summary(&self) -> StatsSummary {
        self.summary_with(Some)
    }

    /// The summary shared beyond the venue: any count below `k` (but above zero) is withheld.
    pub fn published(&self, k: u64) -> StatsSummary {
        self.summary_with(|n| (n == 0 || n >= k).then_some(n))
    }

    fn summary_with(&self, f: impl Fn(u64) -> Option<u64>) -> StatsSummary {
        StatsSummary {
            day: self.day,
            scans: f(self.scans),
            visits: f(self.visits()),
            distinct_visitors: f(self.distinct_visitors()),
            reports: f(self.reports),
            by_colour: ColourCounts {
                green: f(self.by_colour[0]),
                yellow: f(self.by_colour[1]),
                red: f(self.by_colour[2]),
                none: f(self.by_colour[3]),
            },
            by_decision: DecisionCounts {
                admit: f(self.by_decision[0]),
                deny: f(self.by_decision[1]),
                manual: f(self.by_decision[2]),
            },
            by_door: self
                .by_door
                .iter()
                .map(|(d, &n)| (d.clone(), f(n)))
                .collect(),
        }
    }
}

/// A day's counts; `None` where a count was withheld (below k).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatsSummary {
    /// The day (CST).
    pub day: Day,
    /// Scans.
    pub scans: Option<u64>,
    /// Visits (rescans within the window once).
    pub visits: Option<u64>,
    /// Distinct verified visitors.
    pub distinct_visitors: Option<u64>,
    /// Reports raised.
    pub reports: Option<u64>,
    /// Scans by colour.
    pub by_colour: ColourCounts,
    /// Scans by decision.
    pub by_decision: DecisionCounts,
    /// Scans by door.
    pub by_door: BTreeMap<String, Option<u64>>,
}

/// Scans by colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ColourCounts {
    /// Green.
    pub green: Option<u64>,
    /// Yellow.
    pub yellow: Option<u64>,
    /// Red.
    pub red: Option<u64>,
    /// No status known.
    pub none: Option<u64>,
}

/// Scans by decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DecisionCounts {
    /// Admitted.
    pub admit: Option<u64>,
    /// Denied.
    pub deny: Option<u64>,
    /// Sent to staff.
    pub manual: Option<u64>,
}

#[cfg(test)]
mod tests;
