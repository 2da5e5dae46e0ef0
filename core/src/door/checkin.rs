//! Check-in (扫码打卡): the visitor scans the door's venue code with their own phone, lands on
//! their own health-code page, and the entry is recorded. The visitor's app sends a
//! [`CheckInRequest`] (both codes' texts, its time, its device id); whoever stores it verifies
//! both codes again and decides again, at its own time: the client's decision is never trusted.
//! The same request sent twice gives the same record (its id names the request), so a retry
//! stores one record.

use super::state::Replay;
use super::{Door, DoorAdmission, Gate, GateRules, MaskedHolder};
use crate::codes::state::CodeState;
use crate::encoding::timestamp::Timestamp;
use crate::error::Error;
use crate::health::{Colour, NatResult};
use crate::policy::{Outcome, Reason};
use crate::privacy::record_keys::RecordKeys;
use crate::record::{Origin, RecordId, ScanRecord, check_device_id};
use serde::{Deserialize, Serialize};

/// How far a check-in's own time may lie from the receiver's: 5 minutes (a dynamic code lives at
/// most 5 minutes, so an older request could not be checked honestly anyway).
pub const CHECK_IN_SKEW_SECS: i64 = 300;

/// What a visitor's app sends (SPEC.md §12): JSON `{"venue_code", "personal_code", "device",
/// "at"}`, and for a companion (同行人员) `"companion_of"`, the record id of the check-in of the
/// visitor whose phone sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckInRequest {
    /// The door's venue code, as the phone's camera read it.
    pub venue_code: String,
    /// The visitor's own current (dynamic) personal code.
    pub personal_code: String,
    /// The app's device id (1 to 64 printable ASCII characters).
    pub device: String,
    /// When the visitor scanned, by the phone's clock.
    pub at: Timestamp,
    /// For a companion: the record id the visitor's own check-in was answered with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub companion_of: Option<RecordId>,
}

/// The longest check-in request read, in bytes (two code texts of at most 1,024 characters and
/// little else).
pub const MAX_CHECK_IN_BYTES: usize = 16 << 10;

impl CheckInRequest {
    /// Reads a request's JSON, bounded before anything is parsed; an error never quotes it.
    pub fn from_json(text: &str) -> Result<Self, Error> {
        if text.len() > MAX_CHECK_IN_BYTES {
            return Err(invalid_request("longer than 16 KiB".into()));
        }
        serde_json::from_str(text).map_err(|e| {
            invalid_request(format!(
                "not a check-in request (line {}, column {})",
                e.line(),
                e.column()
            ))
        })
    }

    /// Its JSON, as an app sends it.
    pub fn to_json(&self) -> String {
        // A struct of strings and a time always serialises.
        serde_json::to_string(self).unwrap_or_default()
    }
}

fn invalid_request(reason: String) -> Error {
    Error::InvalidInput {
        field: "request",
        reason,
    }
}

/// The visitor's screen after a check-in: large venue and door, the colour as a block, the
/// decision at this venue and why; masked holder data only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pass {
    /// The venue's name.
    pub venue_name: String,
    /// The venue's registry number.
    pub venue_id: String,
    /// The door.
    pub door: String,
    /// The entry time in China Standard Time, as shown (`2022-04-06T09:00:30+08:00`).
    pub local_time: String,
    /// The masked holder.
    pub holder: Option<MaskedHolder>,
    /// The colour, if known.
    pub colour: Option<Colour>,
    /// The latest test's result, if known.
    pub test: Option<NatResult>,
    /// Whole hours since that test's sample.
    pub test_age_hours: Option<u32>,
    /// `valid`, or why the personal code was refused.
    pub code: CodeState,
    /// The decision at this venue.
    pub decision: Outcome,
    /// Whether staff must report at once.
    pub report: bool,
    /// Why.
    pub reasons: Vec<Reason>,
}

impl Pass {
    /// The pass of an admission at a door.
    pub fn of(a: &DoorAdmission) -> Pass {
        let door = a.door();
        let answer = a.status.answer();
        let nat = answer.and_then(|s| s.status.nat);
        Pass {
            venue_name: door.venue_name.clone(),
            venue_id: door.venue_id.clone(),
            door: door.door.clone(),
            local_time: a.at.cst(),
            holder: a.holder.clone(),
            colour: answer.map(|s| s.status.colour),
            test: nat.map(|n| n.result),
            test_age_hours: nat.map(|n| n.age_hours(a.at)),
            code: a.code,
            decision: a.decision,
            report: a.report,
            reasons: a.reasons.clone(),
        }
    }
}

/// A check-in, verified and decided by the receiver: the pass for the visitor's screen and the
/// record to store (origin `self_scan`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckIn {
    /// What the visitor's screen shows.
    pub pass: Pass,
    /// What is stored.
    pub record: ScanRecord,
}

/// A check-in verified and decided, not yet recorded: the door its venue code names (verified
/// once), the admission there, and the pass. Recording it seals the holder to the authority
/// (HPKE), which a service does outside any lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrival {
    admission: DoorAdmission,
    device: String,
    companion_of: Option<RecordId>,
}

impl Arrival {
    /// The door the venue code names: whose venue key records it.
    pub fn door(&self) -> &Door {
        self.admission.door()
    }

    /// The admission at that door (its time is the visitor's, its decision the receiver's).
    pub fn admission(&self) -> &DoorAdmission {
        &self.admission
    }

    /// What the visitor's screen shows.
    pub fn pass(&self) -> Pass {
        Pass::of(&self.admission)
    }

    /// The record to store (origin `self_scan`, or `companion` naming the visitor's record),
    /// with the venue's pseudonyms for the holder and the phone: the same request gives the
    /// same record id.
    pub fn record(&self, keys: &RecordKeys) -> ScanRecord {
        // The phone is named per venue, as the holder is: its id must not link venues.
        let device = keys.pseudonyms().phone(&self.device);
        let origin = match self.companion_of {
            Some(_) => Origin::Companion,
            None => Origin::SelfScan,
        };
        let mut record = self
            .admission
            .admission
            .record_at(self.door(), origin, keys, &device);
        record.companion_of = self.companion_of;
        record
    }

    /// Checks a companion's check-in against the record it names, `visitor` (the store's
    /// record of that id, if any): the visitor's own check-in (origin `self_scan`) from this
    /// phone at this door, within [`CHECK_IN_SKEW_SECS`] of this one. A phone can name only
    /// its own check-ins, and a companion cannot name another companion. Nothing to check when
    /// the request names none.
    pub fn check_companion(
        &self,
        visitor: Option<&ScanRecord>,
        keys: &RecordKeys,
    ) -> Result<(), Error> {
        let Some(id) = self.companion_of else {
            return Ok(());
        };
        let door = self.door();
        let ok = visitor.is_some_and(|v| {
            v.id == id
                && v.origin == Origin::SelfScan
                && v.venue_id == door.venue_id
                && v.door == door.door
                && v.device == keys.pseudonyms().phone(&self.device)
                && (v.at.unix() - self.admission.at.unix()).abs() <= CHECK_IN_SKEW_SECS
        });
        if ok {
            Ok(())
        } else {
            Err(Error::InvalidInput {
                field: "companion_of",
                reason: "not this phone's own check-in at this door within 5 minutes".into(),
            })
        }
    }

    /// The pass and the record.
    pub fn recorded(&self, keys: &RecordKeys) -> CheckIn {
        CheckIn {
            pass: self.pass(),
            record: self.record(keys),
        }
    }
}

impl GateRules {
    /// A check-in's checks before its admission: the device id, the request's time within
    /// [`CHECK_IN_SKEW_SECS`] of `now`, and the door's venue code (verified once).
    pub(super) fn door_of(&self, request: &CheckInRequest, now: Timestamp) -> Result<Door, Error> {
        check_device_id(&request.device, "device")?;
        if (request.at.unix() - now.unix()).abs() > CHECK_IN_SKEW_SECS {
            return Err(Error::InvalidInput {
                field: "at",
                reason: "more than 5 minutes from the receiver's clock".into(),
            });
        }
        self.door(&request.venue_code, now)
    }

    /// The admission of a check-in at `door` (from [`GateRules::door_of`]), at the receiver's
    /// time `now`, `remember` noting a dynamic code in the state.
    pub(super) fn arrive_with(
        &self,
        request: &CheckInRequest,
        door: &Door,
        now: Timestamp,
        remember: &mut dyn FnMut(Timestamp) -> Replay,
    ) -> Arrival {
        let mut admission = self.admit_with(door, &request.personal_code, now, remember);
        // The entry time is the visitor's (within the skew); the decision is the receiver's.
        admission.admission.at = request.at;
        Arrival {
            admission,
            device: request.device.clone(),
            companion_of: request.companion_of,
        }
    }
}

impl Gate {
    /// Verifies and decides a check-in at the receiver's time `now`: the door's venue code is
    /// verified once, and the [`Arrival`] names the door (whose venue key records it) with the
    /// admission. Errors: the venue code does not verify (nothing is recorded at a door that is
    /// not one), the device id is not one, or the request's time lies more than
    /// [`CHECK_IN_SKEW_SECS`] from `now`. A personal code that does not verify is a decision
    /// (denied), recorded like any other.
    pub fn check_in(&mut self, request: &CheckInRequest, now: Timestamp) -> Result<Arrival, Error> {
        let door = self.rules.door_of(request, now)?;
        let state = &mut self.state;
        Ok(self.rules.arrive_with(request, &door, now, &mut |until| {
            state.remember(
                &request.personal_code,
                &door.venue_id,
                &door.door,
                &request.device,
                now,
                until,
            )
        }))
    }
}
