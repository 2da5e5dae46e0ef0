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

use crate::codes::person::Profile;
use crate::codes::state::CodeState;
use crate::encoding::timestamp::{CST_OFFSET_SECS, Timestamp};
use crate::error::Error;
use crate::health::Colour;
use crate::policy::Outcome;
use crate::privacy::pseudonym::Pseudonym;
use crate::privacy::trace::TraceRef;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub mod coverage;
mod disclosure;
mod id;
pub use id::RecordId;

/// The default rescan window: 10 minutes.
pub const DEFAULT_RESCAN_WINDOW_SECS: u32 = 600;

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
        let (year, month, day) = crate::encoding::timestamp::civil_from_days(self.0);
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
        crate::encoding::timestamp::parse_date(s)
            .map(Day)
            .ok_or_else(invalid)
    }
}

impl Serialize for Day {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Who made a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Origin {
    /// A gate scanned the visitor's personal code.
    Gate,
    /// The visitor scanned the door's venue code with their own phone (扫码打卡).
    SelfScan,
    /// Staff registered a person by hand (另行登记), or decided on a manual scan.
    Staff,
    /// A companion without a phone (同行人员), checked in from the phone of the visitor they
    /// came with: a record of their own that names the visitor's (`companion_of`).
    Companion,
}

impl Origin {
    /// Its name (`self_scan`).
    pub fn name(self) -> &'static str {
        match self {
            Origin::Gate => "gate",
            Origin::SelfScan => "self_scan",
            Origin::Staff => "staff",
            Origin::Companion => "companion",
        }
    }

    /// Its Chinese name (扫码打卡), as staff and the authority read it.
    pub fn name_zh(self) -> &'static str {
        match self {
            Origin::Gate => "闸机扫码",
            Origin::SelfScan => "扫码打卡",
            Origin::Staff => "人工登记",
            Origin::Companion => "同行人员",
        }
    }
}

impl std::str::FromStr for Origin {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        [
            Origin::Gate,
            Origin::SelfScan,
            Origin::Staff,
            Origin::Companion,
        ]
        .into_iter()
        .find(|o| o.name() == s)
        .ok_or_else(|| Error::InvalidInput {
            field: "origin",
            reason: "expected gate, self_scan, staff or companion".into(),
        })
    }
}

/// The longest device or staff id, in bytes (ASCII 0x21..=0x7E).
pub const MAX_DEVICE_LEN: usize = 64;

/// Checks a device or staff id: 1 to 64 printable ASCII characters, no space.
pub fn check_device_id(id: &str, field: &'static str) -> Result<(), Error> {
    if id.is_empty() || id.len() > MAX_DEVICE_LEN || !id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::InvalidInput {
            field,
            reason: "1 to 64 printable ASCII characters".into(),
        });
    }
    Ok(())
}

/// One entry at a door, desensitised: a scan, a check-in, a hand registration, or staff's
/// decision on a manual scan (SPEC.md §12, schema `docs/schema/scan-record-v2.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanRecord {
    /// Unique and time-ordered; the same for the same event stored twice.
    pub id: RecordId,
    /// Who made it.
    pub origin: Origin,
    /// The device that made it (a gate, the visitor's phone, a staff desk).
    pub device: String,
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
    /// The masked ID number the code carried (verified codes only), or staff registered.
    pub id_number: Option<String>,
    /// The masked phone number staff registered (hand registrations only).
    pub phone: Option<String>,
    /// Offline or dynamic (verified codes only).
    pub profile: Option<Profile>,
    /// `valid`, or the code's rejection; none when staff registered a person without a code.
    pub code_state: Option<CodeState>,
    /// The colour, if a status was known.
    pub colour: Option<Colour>,
    /// Hours since the latest test's sample, if one was known.
    pub test_age_hours: Option<u32>,
    /// The decision.
    pub decision: Outcome,
    /// Whether it was reported.
    pub report: bool,
    /// The rule that decided (`staff` for staff's own decisions).
    pub rule: String,
    /// The staff member who registered or decided (staff records only).
    pub staff: Option<String>,
    /// The manual scan this record decides on (staff's resolutions only).
    pub resolves: Option<RecordId>,
    /// The check-in of the visitor a companion came with (origin `companion` only).
    #[serde(default)]
    pub companion_of: Option<RecordId>,
    /// The holder token sealed to the authority's tracing key for this record (SPEC.md §15):
    /// only the authority opens it. None for a code that did not verify and for resolutions
    /// (the scan they resolve carries it).
    #[serde(rename = "trace_ref")]
    pub trace: Option<TraceRef>,
}

/// A record as it leaves the venue (exports, the data interface; schema
/// `docs/schema/scan-record-v2.json`): what a venue's staff see at its own desk less what could
/// join two venues' records. No name, no phone number, and of the ID number only its division
/// (six digits): on a synthetic population of a million shaped like Shanghai's, every exported
/// record then matches at least 100 people (`core/tests/anonymity.rs`), where the masked name
/// and ID number match one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportedRecord<'a> {
    /// Unique and time-ordered.
    pub id: RecordId,
    /// Who made it.
    pub origin: Origin,
    /// The device that made it (a visitor's phone as the venue's pseudonym of it).
    pub device: &'a str,
    /// The venue's registry number.
    pub venue_id: &'a str,
    /// The door.
    pub door: &'a str,
    /// When (UTC).
    pub at: Timestamp,
    /// The visitor's pseudonym at this venue.
    pub pseudonym: Option<Pseudonym>,
    /// The administrative division of the holder's ID number (its first six digits).
    pub id_division: Option<&'a str>,
    /// Offline or dynamic.
    pub profile: Option<Profile>,
    /// `valid`, or the code's rejection; none for a hand registration.
    pub code_state: Option<CodeState>,
    /// The colour, if a status was known.
    pub colour: Option<Colour>,
    /// Hours since the latest test's sample, if one was known.
    pub test_age_hours: Option<u32>,
    /// The decision.
    pub decision: Outcome,
    /// Whether it was reported.
    pub report: bool,
    /// The rule that decided.
    pub rule: &'a str,
    /// The staff member who registered or decided.
    pub staff: Option<&'a str>,
    /// The manual scan this record decides on.
    pub resolves: Option<RecordId>,
    /// The check-in of the visitor a companion came with.
    pub companion_of: Option<RecordId>,
    /// The sealed holder reference, for the authority's trace-back alone.
    #[serde(rename = "trace_ref")]
    pub trace: Option<TraceRef>,
}

impl<'a> ExportedRecord<'a> {
    /// The export of a record.
    pub fn of(r: &'a ScanRecord) -> Self {
        ExportedRecord {
            id: r.id,
            origin: r.origin,
            device: &r.device,
            venue_id: &r.venue_id,
            door: &r.door,
            at: r.at,
            pseudonym: r.pseudonym,
            id_division: r.id_number.as_deref().and_then(|n| n.get(..6)),
            profile: r.profile,
            code_state: r.code_state,
            colour: r.colour,
            test_age_hours: r.test_age_hours,
            decision: r.decision,
            report: r.report,
            rule: &r.rule,
            staff: r.staff.as_deref(),
            resolves: r.resolves,
            companion_of: r.companion_of,
            trace: r.trace,
        }
    }
}

/// The longest venue id, door label or rule name a record may carry, in bytes.
pub const MAX_RECORD_FIELD_LEN: usize = 256;

/// Checks a label a record or a query names (a venue id, a door, a rule): 1 to
/// [`MAX_RECORD_FIELD_LEN`] bytes, no control, bidi or invisible character.
pub fn check_label(field: &'static str, value: &str) -> Result<(), Error> {
    if value.is_empty()
        || value.len() > MAX_RECORD_FIELD_LEN
        || !value.chars().all(crate::encoding::text::is_allowed)
    {
        return Err(Error::InvalidInput {
            field,
            reason: "1 to 256 bytes, no control, bidi or invisible characters".into(),
        });
    }
    Ok(())
}

/// The longest run of digits a label may hold: 6 (a door numbered `100001` is a door; a run
/// of 7 or more may be an ID or phone number).
const MAX_DIGIT_RUN: usize = 6;

/// Whether `text` holds a run of more than [`MAX_DIGIT_RUN`] digits, ASCII or full-width.
pub(crate) fn has_digit_run(text: &str) -> bool {
    let mut run = 0;
    for c in text.chars() {
        run = if c.is_ascii_digit() || ('０'..='９').contains(&c) {
            run + 1
        } else {
            0
        };
        if run > MAX_DIGIT_RUN {
            return true;
        }
    }
    false
}

impl ScanRecord {
    /// Whether it is staff's decision on an earlier manual scan rather than an entry of its own.
    pub fn is_resolution(&self) -> bool {
        self.resolves.is_some()
    }

    /// Checks a record that arrives from elsewhere (a gate's upload): ids of devices and staff,
    /// bounded labels, and personal fields in their masked forms only, so that a device that
    /// sends a raw name, ID number or phone number has it refused, not stored.
    pub fn check(&self) -> Result<(), Error> {
        check_device_id(&self.device, "device")?;
        if let Some(staff) = &self.staff {
            check_device_id(staff, "staff")?;
        }
        check_label("venue_id", &self.venue_id)?;
        if self.companion_of.is_some() != (self.origin == Origin::Companion) {
            return Err(Error::InvalidInput {
                field: "companion_of",
                reason: "a companion's record names the visitor's, and no other does".into(),
            });
        }
        for (field, value) in [("door", &self.door), ("rule", &self.rule)] {
            check_label(field, value)?;
            // A venue's id is the registry's (and may be a long number); a door's name or a
            // rule's is typed at a gate, where an ID or phone number does not belong.
            if has_digit_run(value) {
                return Err(Error::InvalidInput {
                    field,
                    reason: "a run of 7 digits (an ID or phone number) is not a label".into(),
                });
            }
        }
        let unmasked = |field: &'static str| Error::InvalidInput {
            field,
            reason: "not in its masked form".into(),
        };
        if let Some(name) = &self.name
            && !crate::privacy::mask::is_masked_name(name)
        {
            return Err(unmasked("name"));
        }
        if let Some(id) = &self.id_number
            && !crate::privacy::mask::is_masked_id_number(id)
        {
            return Err(unmasked("id_number"));
        }
        if let Some(phone) = &self.phone {
            let b = phone.as_bytes();
            let masked = b.len() == 11
                && b[3..7] == *b"****"
                && b[..3].iter().chain(&b[7..]).all(u8::is_ascii_digit);
            if !masked {
                return Err(unmasked("phone"));
            }
        }
        Ok(())
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
    /// Staff's final decisions on manual scans: admit, deny.
    resolved: [u64; 2],
    /// Scans at each door, by venue and door label: two venues' 东门 are two doors.
    by_door: BTreeMap<(String, String), u64>,
    /// Scans of codes that did not verify: no visitor to attach them to, each its own visit.
    anonymous: u64,
    /// Scan times (seconds into the day) of each visitor at each door (venue, label), sorted.
    times: BTreeMap<(Pseudonym, String, String), Vec<u32>>,
    /// Scans by colour, decision, report flag and door together: what every count above sums,
    /// so that the published view can tell which counts give away others.
    joint: BTreeMap<Joint, u64>,
}

/// A joint cell: colour (by [`colour_index`]), decision, report flag, door (venue, label).
type Joint = (usize, usize, bool, (String, String));

/// Colours by byte code, then no status.
fn colour_index(c: Option<Colour>) -> usize {
    c.map_or(Colour::ALL.len(), |c| usize::from(c.code()))
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
            resolved: [0; 2],
            by_door: BTreeMap::new(),
            anonymous: 0,
            times: BTreeMap::new(),
            joint: BTreeMap::new(),
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
        if r.is_resolution() {
            // Not an entry of its own: the manual scan it decides on was counted.
            match r.decision {
                Outcome::Admit => self.resolved[0] += 1,
                Outcome::Deny => self.resolved[1] += 1,
                Outcome::Manual => {}
            }
            return Ok(());
        }
        self.scans += 1;
        self.reports += u64::from(r.report);
        self.by_colour[colour_index(r.colour)] += 1;
        self.by_decision[r.decision as usize] += 1;
        let door = (r.venue_id.clone(), r.door.clone());
        *self.by_door.entry(door.clone()).or_default() += 1;
        let joint = (
            colour_index(r.colour),
            r.decision as usize,
            r.report,
            door.clone(),
        );
        *self.joint.entry(joint).or_default() += 1;
        match r.pseudonym {
            None => self.anonymous += 1,
            Some(p) => {
                let times = self.times.entry((p, door.0, door.1)).or_default();
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
        for i in 0..2 {
            self.resolved[i] += other.resolved[i];
        }
        for (door, n) in &other.by_door {
            *self.by_door.entry(door.clone()).or_default() += n;
        }
        for (cell, n) in &other.joint {
            *self.joint.entry(cell.clone()).or_default() += n;
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
            .filter(|(p, _, _)| last.replace(*p) != Some(*p))
            .count() as u64
    }

    /// The summary shown to a venue manager, every count exact.
    pub fn summary(&self) -> StatsSummary {
        self.summary_with(Some)
    }

    /// The summary shared beyond the venue: every count below `k` (but above zero) is
    /// withheld, and so is every count that the counts shown would give away, within a
    /// breakdown (each sums to the scans: its withheld counts add up to at least `k`) or across
    /// breakdowns and totals (red as the reports less yellow; SPEC.md §12). Visits and
    /// visitors are withheld below `k`; staff's resolutions are a breakdown of their own.
    pub fn published(&self, k: u64) -> StatsSummary {
        use disclosure::Count;
        let cells: Vec<&Joint> = self.joint.keys().collect();
        let over = |keep: &dyn Fn(&Joint) -> bool| -> Vec<usize> {
            (0..cells.len()).filter(|&i| keep(cells[i])).collect()
        };
        let mut counts = vec![
            Count::new(self.scans, over(&|_| true), k),
            Count::new(self.reports, over(&|c| c.2), k),
        ];
        let colours: Vec<usize> = (0..4)
            .map(|i| {
                counts.push(Count::new(self.by_colour[i], over(&|c| c.0 == i), k));
                counts.len() - 1
            })
            .collect();
        let decisions: Vec<usize> = (0..3)
            .map(|i| {
                counts.push(Count::new(self.by_decision[i], over(&|c| c.1 == i), k));
                counts.len() - 1
            })
            .collect();
        let doors: Vec<usize> = self
            .by_door
            .iter()
            .map(|(door, &n)| {
                counts.push(Count::new(n, over(&|c| c.3 == *door), k));
                counts.len() - 1
            })
            .collect();
        disclosure::audit(
            &mut counts,
            &[colours.clone(), decisions.clone(), doors.clone()],
            0,
            cells.len(),
            k,
        );
        let shown = |i: usize| counts[i].shown.then_some(counts[i].value);
        let mut s = self.summary_with(|n| (n == 0 || n >= k).then_some(n));
        s.scans = shown(0);
        s.reports = shown(1);
        let c = |i: usize| shown(colours[i]);
        s.by_colour = ColourCounts {
            green: c(0),
            yellow: c(1),
            red: c(2),
            none: c(3),
        };
        let d = |i: usize| shown(decisions[i]);
        s.by_decision = DecisionCounts {
            admit: d(0),
            deny: d(1),
            manual: d(2),
        };
        for (door, &i) in s.by_door.iter_mut().zip(&doors) {
            door.scans = shown(i);
        }
        // Resolutions: their own total (not shown), their two counts.
        let sum: u64 = self.resolved.iter().sum();
        let mut resolved = vec![
            Count::new(sum, Vec::new(), k),
            Count::new(self.resolved[0], Vec::new(), k),
            Count::new(self.resolved[1], Vec::new(), k),
        ];
        disclosure::complement(&mut resolved, &[1, 2], 0, k);
        s.resolved = ResolvedCounts {
            admit: resolved[1].shown.then_some(self.resolved[0]),
            deny: resolved[2].shown.then_some(self.resolved[1]),
        };
        s
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
            resolved: ResolvedCounts {
                admit: f(self.resolved[0]),
                deny: f(self.resolved[1]),
            },
            by_door: self
                .by_door
                .iter()
                .map(|((venue_id, door), &n)| DoorCount {
                    venue_id: venue_id.clone(),
                    door: door.clone(),
                    scans: f(n),
                })
                .collect(),
        }
    }
}

/// A day's counts; `None` where a count was withheld (below k, or giving one away).
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
    /// Staff's final decisions on manual scans.
    pub resolved: ResolvedCounts,
    /// Scans by door, ordered by venue and door.
    pub by_door: Vec<DoorCount>,
}

/// Scans at one door.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DoorCount {
    /// The venue's registry number.
    pub venue_id: String,
    /// The door's label.
    pub door: String,
    /// Scans there.
    pub scans: Option<u64>,
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

/// A day's scans by hour (China Standard Time) and colour: the manager's chart. Resolutions
/// are staff's decisions on scans already counted, and are not counted again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HourlyCounts {
    /// The day.
    pub day: Day,
    /// 24 hours from 00:00.
    pub hours: Vec<HourCount>,
}

/// One hour's scans by colour.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct HourCount {
    /// The hour (0 to 23).
    pub hour: u8,
    /// Green.
    pub green: u64,
    /// Yellow.
    pub yellow: u64,
    /// Red.
    pub red: u64,
    /// No status known.
    pub none: u64,
}

impl HourlyCounts {
    /// No scans yet.
    pub fn new(day: Day) -> Self {
        HourlyCounts {
            day,
            hours: (0..24u8)
                .map(|hour| HourCount {
                    hour,
                    ..HourCount::default()
                })
                .collect(),
        }
    }

    /// Counts a record of this day (others, and resolutions, are left out).
    pub fn add(&mut self, r: &ScanRecord) {
        let Some(second) = self.day.second_of(r.at) else {
            return;
        };
        if r.is_resolution() {
            return;
        }
        if let Some(h) = self.hours.get_mut((second / 3600) as usize) {
            let cell = match r.colour {
                Some(Colour::Green) => &mut h.green,
                Some(Colour::Yellow) => &mut h.yellow,
                Some(Colour::Red) => &mut h.red,
                None => &mut h.none,
            };
            *cell += 1;
        }
    }
}

/// Staff's final decisions on manual scans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ResolvedCounts {
    /// Admitted after a check by hand.
    pub admit: Option<u64>,
    /// Refused after a check by hand.
    pub deny: Option<u64>,
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
