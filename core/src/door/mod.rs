//! Layer 8, the door: the one check path every face (command line, WASM, mobile, the demo) goes
//! through.
//!
//! Every face loads its gate from one [`GateConfig`] (the trust list with its pin, the signed
//! lists, the rule set). A [`Gate`] holds what a gate device keeps between scans: the
//! [`GateRules`] (trust list, verified status and revocation lists, rule set: loaded and verified
//! once, read-only after) and the small mutable [`GateState`] (serials, dynamic codes seen). A
//! door is configured by its own venue code ([`Gate::door`] gives a [`Door`]); then
//! [`Gate::admit`] takes a personal code's text and gives one [`DoorAdmission`]: the decision,
//! whether to report it, the rule and its reasons, the code's state, the masked holder, the
//! resolved status and, with the venue's pseudonym key, the [`ScanRecord`] to store. A rejected
//! code is an admission too (denied, or sent to staff), never an error.
//!
//! A service that admits from many threads holds a [`SharedGate`]: signatures are checked and
//! records sealed outside any lock; only the memory of dynamic codes is locked, for a few steps.

use crate::codes::person::{Profile, VerifiedPersonalCode, verify_personal_code};
use crate::codes::state::CodeState;
use crate::codes::venue::{Division, VenueClass, VenueType, VerifiedVenueCode, verify_venue_code};
use crate::encoding::timestamp::Timestamp;
use crate::error::Error;
use crate::keys::trust::TrustList;
use crate::kid::KeyId;
use crate::lists::revoke::RevocationList;
use crate::lists::serial::Accepted;
use crate::lists::status::{Resolved, StatusList, StatusSource, resolve_status};
use crate::policy::{Facts, Outcome, Policy, Reason};
use crate::privacy::record_keys::RecordKeys;
use crate::privacy::token::HolderToken;
use crate::record::{Origin, RecordId, ScanRecord};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// What a caller that holds the signed lists as bytes gives a gate (the bindings do: a page or
/// an app receives the lists as files). Each list is verified against the trust list when the
/// gate is loaded; a list that fails is an error, never silently ignored.
#[derive(Debug, Clone, Copy, Default)]
pub struct SignedLists<'a> {
    /// A signed status list (for offline codes).
    pub status_list: Option<&'a [u8]>,
    /// A signed revocation list.
    pub revocations: Option<&'a [u8]>,
    /// A status older than this many seconds is stale; `None` for
    /// [`DEFAULT_MAX_STATUS_AGE_SECS`].
    pub max_status_age_secs: Option<i64>,
}

/// How old a status may be before it counts as stale, unless the caller says otherwise: 24 hours
/// (status lists are issued daily).
pub const DEFAULT_MAX_STATUS_AGE_SECS: i64 = 24 * 3600;

/// The rule set a caller names: a signed rule set if given, else a built-in by id, else
/// [`DEFAULT_POLICY`].
#[derive(Debug, Clone, Copy, Default)]
pub struct PolicyChoice<'a> {
    /// A built-in rule set's id.
    pub builtin: Option<&'a str>,
    /// A signed rule set, as received.
    pub signed: Option<&'a [u8]>,
}

/// The built-in rule set used when a caller names none.
pub const DEFAULT_POLICY: &str = "sh-2022-04-01";

impl PolicyChoice<'_> {
    /// Loads the chosen rule set (a signed one verified against `keys` at `now`).
    pub fn load(&self, keys: &TrustList, now: Timestamp) -> Result<Policy, Error> {
        match self.signed {
            Some(signed) => Policy::load_signed(signed, keys, now),
            None => Policy::builtin(self.builtin.unwrap_or(DEFAULT_POLICY)),
        }
    }
}

/// One door of one venue, from its verified venue code (一门一码): where a scan happens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Door {
    /// The venue's registry number.
    pub venue_id: String,
    /// The venue's name.
    pub venue_name: String,
    /// The door's label (东门).
    pub door: String,
    /// The venue's administrative division.
    #[serde(serialize_with = "crate::codes::venue::serialize_division")]
    pub division: Division,
    /// The venue's type.
    #[serde(serialize_with = "crate::codes::venue::serialize_type")]
    pub venue_type: VenueType,
    /// The class of venue the rule set decides for.
    pub class: VenueClass,
    /// The key that signed the door's code.
    #[serde(serialize_with = "crate::codes::venue::serialize_kid")]
    pub key_id: KeyId,
    /// The host of the code's URL prefix.
    pub host: String,
}

impl Door {
    /// The door a verified venue code names.
    pub fn of(code: &VerifiedVenueCode) -> Door {
        let v = code.venue();
        Door {
            venue_id: v.id.clone(),
            venue_name: v.name.clone(),
            door: v.door.clone(),
            division: v.division,
            venue_type: v.venue_type,
            class: v.venue_type.class(),
            key_id: code.key_id(),
            host: code.host().to_owned(),
        }
    }
}

/// A personal code checked at the door, before any rule set: the verified code or its
/// rejection, and its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// The verified code, or why it was rejected (`superseded` included).
    pub code: Result<VerifiedPersonalCode, Error>,
    /// Its status: fresh, stale or unknown (unknown for a rejected code).
    pub status: Resolved,
    /// Whether a revocation list was checked (without one, a lost card is not caught).
    pub revocations_checked: bool,
    /// When the check was made.
    pub at: Timestamp,
}

impl Checked {
    /// `valid`, or the code's rejection.
    pub fn code_state(&self) -> CodeState {
        CodeState::of(&self.code)
    }
}

/// The masked holder a verified personal code names, for staff to compare with the ID card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MaskedHolder {
    /// The masked name (张*丰).
    pub name: String,
    /// The masked ID number (110105********00**).
    pub id_number: String,
}

/// The answer at the door for one personal code (SPEC.md §12 gives its JSON shape).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Admission {
    /// Admit, deny or manual.
    pub decision: Outcome,
    /// Report at once to the venue's head and the local authority.
    pub report: bool,
    /// The rule that decided (`default` if none matched).
    pub rule: String,
    /// Why.
    pub reasons: Vec<Reason>,
    /// The rule set's id.
    pub policy: String,
    /// The class of venue decided for.
    pub class: VenueClass,
    /// The door, when the decision was made at one.
    pub door: Option<Door>,
    /// When.
    pub at: Timestamp,
    /// `valid`, or the code's rejection.
    pub code: CodeState,
    /// The masked holder (verified codes only).
    pub holder: Option<MaskedHolder>,
    /// Offline or dynamic (verified codes only).
    pub profile: Option<Profile>,
    /// The status as resolved: fresh, stale or unknown.
    pub status: Resolved,
    /// Whether a revocation list was checked: `false` says a lost or superseded card could not
    /// be caught (the built-in rule sets send offline codes to staff then).
    pub revocations_checked: bool,
    /// Links the holder across venues: never serialised, only turned into a venue's pseudonym.
    #[serde(skip)]
    holder_token: Option<HolderToken>,
    /// SHA-256 of the personal code's text: names the scan in its record id.
    #[serde(skip)]
    code_digest: [u8; 32],
}

impl Admission {
    /// The record of this admission at `door` (SPEC.md §11): the holder named by the venue's
    /// pseudonym and sealed to the authority, never by name or ID number. The same scan recorded
    /// twice has the same id.
    fn record_at(
        &self,
        door: &Door,
        origin: Origin,
        keys: &RecordKeys,
        device: &str,
    ) -> ScanRecord {
        let answer = self.status.answer();
        let id = RecordId::derive(
            self.at,
            &[
                origin.name().as_bytes(),
                device.as_bytes(),
                door.venue_id.as_bytes(),
                door.door.as_bytes(),
                &self.code_digest,
            ],
        );
        ScanRecord {
            id,
            origin,
            device: device.to_owned(),
            venue_id: door.venue_id.clone(),
            door: door.door.clone(),
            at: self.at,
            pseudonym: self.holder_token.as_ref().map(|t| keys.pseudonym(t)),
            name: self.holder.as_ref().map(|h| h.name.clone()),
            id_number: self.holder.as_ref().map(|h| h.id_number.clone()),
            phone: None,
            profile: self.profile,
            code_state: Some(self.code),
            colour: answer.map(|a| a.status.colour),
            test_age_hours: answer
                .and_then(|a| a.status.nat)
                .map(|n| n.age_hours(self.at)),
            decision: self.decision,
            report: self.report,
            rule: self.rule.clone(),
            staff: None,
            resolves: None,
            companion_of: None,
            trace: self.holder_token.as_ref().map(|t| keys.seal(t, &id.0)),
        }
    }
}

/// An admission at a door: an [`Admission`] (which it dereferences to, and serialises as) that
/// always has its door, so it can always be recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct DoorAdmission {
    admission: Admission,
}

impl DoorAdmission {
    /// The door it was decided at.
    pub fn door(&self) -> &Door {
        match &self.admission.door {
            Some(door) => door,
            // Made only by `GateRules::admit_with`, which gives it its door.
            None => unreachable!("an admission at a door has its door"),
        }
    }

    /// The admission, as SPEC.md §12 shows it.
    pub fn admission(&self) -> &Admission {
        &self.admission
    }

    /// The admission, as SPEC.md §12 shows it.
    pub fn into_admission(self) -> Admission {
        self.admission
    }

    /// The desensitised record of this admission made by `device` (origin `gate`), with the
    /// venue's pseudonym for the holder and the holder sealed to the authority (an HPKE seal: a
    /// service makes it outside any lock). The same scan recorded twice has the same id.
    pub fn record(&self, keys: &RecordKeys, device: &str) -> ScanRecord {
        self.admission
            .record_at(self.door(), Origin::Gate, keys, device)
    }
}

impl std::ops::Deref for DoorAdmission {
    type Target = Admission;

    fn deref(&self) -> &Admission {
        &self.admission
    }
}

/// A gate's trust list and signed lists, loaded and verified once: what verifies doors and
/// personal codes. [`GateRules`] add the rule set; a page that only verifies (the verify-only
/// WASM module) uses this alone. Read-only once loaded.
#[derive(Debug, Clone)]
pub struct Checkpoint {
    trust: TrustList,
    status: Option<StatusList>,
    revocations: Option<RevocationList>,
    max_status_age_secs: i64,
    status_expired: bool,
}

impl Checkpoint {
    /// A checkpoint with a trust list and no lists yet.
    pub fn new(trust: TrustList) -> Self {
        Checkpoint {
            trust,
            status: None,
            revocations: None,
            max_status_age_secs: DEFAULT_MAX_STATUS_AGE_SECS,
            status_expired: false,
        }
    }

    /// Verifies the signed lists against `trust` at `now` and their serials against `state`
    /// (`rolled_back`, `equivocation`; every other error is returned), and records their
    /// serials in `state` (all of them, or on an error none). A status list past its window is
    /// left out rather than stopping the door (不漏一人): offline codes are then decided with
    /// their status unknown, which the rule sets send to staff, and
    /// [`Checkpoint::status_expired`] says so. An expired revocation list still stops it: a
    /// revoked code must not pass.
    pub fn load(
        trust: TrustList,
        lists: &SignedLists<'_>,
        now: Timestamp,
        state: &mut GateState,
    ) -> Result<Self, Error> {
        let (status, status_expired) =
            match lists.status_list.map(|b| StatusList::load(b, &trust, now)) {
                Some(Err(Error::Expired(crate::error::Subject::List))) => (None, true),
                other => (other.transpose()?, false),
            };
        let revocations = lists
            .revocations
            .map(|b| RevocationList::load(b, &trust, now))
            .transpose()?;
        let accepted: Vec<&Accepted> = status
            .iter()
            .map(StatusList::accepted)
            .chain(revocations.iter().map(RevocationList::accepted))
            .collect();
        state.accept(&accepted)?;
        Ok(Checkpoint {
            status,
            revocations,
            max_status_age_secs: lists
                .max_status_age_secs
                .unwrap_or(DEFAULT_MAX_STATUS_AGE_SECS),
            status_expired,
            ..Checkpoint::new(trust)
        })
    }

    /// Whether the status list given had expired and was left out: every offline code is
    /// then a staff check, until a new list is loaded. Faces say so plainly.
    pub fn status_expired(&self) -> bool {
        self.status_expired
    }

    /// With a verified status list.
    pub fn with_status(mut self, list: StatusList) -> Self {
        self.status = Some(list);
        self
    }

    /// With a verified revocation list.
    pub fn with_revocations(mut self, list: RevocationList) -> Self {
        self.revocations = Some(list);
        self
    }

    /// With a limit on a status's age, in seconds.
    pub fn with_max_status_age_secs(mut self, secs: i64) -> Self {
        self.max_status_age_secs = secs;
        self
    }

    /// The trust list.
    pub fn trust(&self) -> &TrustList {
        &self.trust
    }

    /// The status list, if one was given.
    pub fn status(&self) -> Option<&StatusList> {
        self.status.as_ref()
    }

    /// The revocation list, if one was given.
    pub fn revocations(&self) -> Option<&RevocationList> {
        self.revocations.as_ref()
    }

    /// Verifies a venue code (a door's poster) and checks it against the revocation list.
    pub fn verify_venue_code(
        &self,
        text: &str,
        now: Timestamp,
    ) -> Result<VerifiedVenueCode, Error> {
        let code = verify_venue_code(text, &self.trust, now)?;
        if let Some(r) = &self.revocations {
            r.check_venue(text)?;
        }
        Ok(code)
    }

    /// The door a venue code names, verified and checked against the revocation list: the
    /// gate's configuration. If it does not verify, nothing may be decided there.
    pub fn door(&self, venue_text: &str, now: Timestamp) -> Result<Door, Error> {
        self.verify_venue_code(venue_text, now)
            .map(|c| Door::of(&c))
    }

    /// Verifies a personal code and resolves its status at `now` (its rejection is in
    /// [`Checked::code`]). A status list whose key is scoped to other divisions than the
    /// holder's does not speak for them: their status is unknown.
    pub fn check(&self, text: &str, now: Timestamp) -> Checked {
        let code = verify_personal_code(text, &self.trust, now).and_then(|v| {
            if let Some(r) = &self.revocations {
                r.check_personal(v.code())?;
            }
            Ok(v)
        });
        let status = match &code {
            Ok(v) => resolve_status(
                v.code(),
                self.status
                    .as_ref()
                    .filter(|s| s.covers_division(v.code().division()))
                    .map(|s| s as &dyn StatusSource),
                now,
                self.max_status_age_secs,
            ),
            Err(_) => Resolved::Unknown,
        };
        Checked {
            code,
            status,
            revocations_checked: self.revocations.is_some(),
            at: now,
        }
    }
}

/// What a gate decides with: a [`Checkpoint`] (trust list and lists) and the rule set, loaded
/// and verified once (a status list of a million holders is 13 MB; its signature is checked
/// here, not at every scan). Read-only: threads share it, and every signature check runs
/// against it without a lock.
#[derive(Debug, Clone)]
pub struct GateRules {
    checkpoint: Checkpoint,
    policy: Policy,
}

impl GateRules {
    /// The rules of a checkpoint and a rule set.
    pub fn new(checkpoint: Checkpoint, policy: Policy) -> Self {
        GateRules { checkpoint, policy }
    }

    /// Verifies the signed lists and the chosen rule set against `trust` at `now`, and all
    /// their serials against `state`; records the serials in `state` (all, or on an error none).
    pub fn load(
        trust: TrustList,
        lists: &SignedLists<'_>,
        policy: &PolicyChoice<'_>,
        now: Timestamp,
        state: &mut GateState,
    ) -> Result<Self, Error> {
        let policy = policy.load(&trust, now)?;
        if let Some(accepted) = policy.accepted() {
            // Checked here, recorded with the lists below: all or nothing.
            state.serials().check(accepted)?;
        }
        let checkpoint = Checkpoint::load(trust, lists, now, state)?;
        if let Some(accepted) = policy.accepted() {
            state.accept(&[accepted])?;
        }
        Ok(GateRules::new(checkpoint, policy))
    }

    /// The trust list and lists.
    pub fn checkpoint(&self) -> &Checkpoint {
        &self.checkpoint
    }

    /// The rule set.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// [`Checkpoint::door`].
    pub fn door(&self, venue_text: &str, now: Timestamp) -> Result<Door, Error> {
        self.checkpoint.door(venue_text, now)
    }

    /// [`Checkpoint::check`].
    pub fn check(&self, text: &str, now: Timestamp) -> Checked {
        self.checkpoint.check(text, now)
    }

    /// The admission of a personal code at a venue of `class`, without a door (no record):
    /// `invalid_input` if the rule set does not know the class.
    pub fn decide(
        &self,
        class: &VenueClass,
        personal_text: &str,
        now: Timestamp,
    ) -> Result<Admission, Error> {
        if !self.policy.knows_class(class) {
            return Err(Error::InvalidInput {
                field: "venue_class",
                reason: "not a class of the rule set".into(),
            });
        }
        let checked = self.check(personal_text, now);
        Ok(self.admission(None, class, personal_text, checked))
    }

    /// The admission of a personal code at a door. `remember` notes a verified dynamic code
    /// (given its expiry) in the gate's state and says whether it was seen before: the one step
    /// that needs the state, done after the signature checks.
    fn admit_with(
        &self,
        door: &Door,
        personal_text: &str,
        now: Timestamp,
        remember: &mut dyn FnMut(Timestamp) -> Replay,
    ) -> DoorAdmission {
        let mut checked = self.check(personal_text, now);
        if let Ok(v) = &checked.code
            && v.code().profile == Profile::Dynamic
        {
            let place = match remember(v.code().valid_until) {
                Replay::Fresh => None,
                Replay::ElsewhereFirst => Some("another door or phone"),
                Replay::HereBefore => Some("this door"),
            };
            if let Some(place) = place {
                checked.code = Err(Error::Replayed(place));
                checked.status = Resolved::Unknown;
            }
        }
        DoorAdmission {
            admission: self.admission(Some(door), &door.class, personal_text, checked),
        }
    }

    fn admission(
        &self,
        door: Option<&Door>,
        class: &VenueClass,
        text: &str,
        checked: Checked,
    ) -> Admission {
        let now = checked.at;
        let d = self.policy.decide(&Facts::of(
            &checked.code,
            checked.status,
            checked.revocations_checked,
            class,
            now,
        ));
        let verified = checked.code.as_ref().ok().map(VerifiedPersonalCode::code);
        Admission {
            decision: d.decision,
            report: d.report,
            rule: d.rule.to_owned(),
            reasons: d.reasons.iter().map(|r| (*r).clone()).collect(),
            policy: self.policy.id().to_owned(),
            class: class.clone(),
            door: door.cloned(),
            at: now,
            code: checked.code_state(),
            holder: verified.map(|c| MaskedHolder {
                name: c.name.clone(),
                id_number: c.id_number.clone(),
            }),
            profile: verified.map(|c| c.profile),
            status: checked.status,
            revocations_checked: checked.revocations_checked,
            holder_token: verified.map(|c| c.holder),
            code_digest: Sha256::digest(text.as_bytes()).into(),
        }
    }
}

/// A gate device: its [`GateRules`] and its [`GateState`], for one thread (a page, an app, the
/// command line). Reload it when new lists arrive, and at the latest when a list's window ends.
#[derive(Debug, Clone)]
pub struct Gate {
    rules: GateRules,
    state: GateState,
}

impl Gate {
    /// A gate of a checkpoint and a rule set, with a new state.
    pub fn new(checkpoint: Checkpoint, policy: Policy) -> Self {
        Gate {
            rules: GateRules::new(checkpoint, policy),
            state: GateState::new(),
        }
    }

    /// Verifies the signed lists and the chosen rule set against `trust` at `now`, and all
    /// their serials against `state` (their errors are returned), and keeps them. Faces load
    /// a gate from a [`GateConfig`] instead.
    pub fn load(
        trust: TrustList,
        lists: &SignedLists<'_>,
        policy: &PolicyChoice<'_>,
        now: Timestamp,
        mut state: GateState,
    ) -> Result<Self, Error> {
        let rules = GateRules::load(trust, lists, policy, now, &mut state)?;
        Ok(Gate { rules, state })
    }

    /// The state to store after loading and after every admission.
    pub fn state(&self) -> &GateState {
        &self.state
    }

    /// The rules: trust list, lists and rule set.
    pub fn rules(&self) -> &GateRules {
        &self.rules
    }

    /// Its rules and its state, apart (a [`SharedGate`] holds them so).
    pub fn into_parts(self) -> (GateRules, GateState) {
        (self.rules, self.state)
    }

    /// The trust list and lists.
    pub fn checkpoint(&self) -> &Checkpoint {
        &self.rules.checkpoint
    }

    /// The rule set.
    pub fn policy(&self) -> &Policy {
        &self.rules.policy
    }

    /// [`Checkpoint::door`].
    pub fn door(&self, venue_text: &str, now: Timestamp) -> Result<Door, Error> {
        self.rules.door(venue_text, now)
    }

    /// [`Checkpoint::check`].
    pub fn check(&self, text: &str, now: Timestamp) -> Checked {
        self.rules.check(text, now)
    }

    /// The admission of a personal code at a door. A dynamic code is remembered while it is
    /// valid: shown again at another door or venue, or at this door after
    /// [`REPLAY_GRACE_SECS`], it is `replayed` (a screenshot), and the rule set decides.
    pub fn admit(&mut self, door: &Door, personal_text: &str, now: Timestamp) -> DoorAdmission {
        let state = &mut self.state;
        self.rules
            .admit_with(door, personal_text, now, &mut |until| {
                state.remember(personal_text, &door.venue_id, &door.door, "", now, until)
            })
    }

    /// [`GateRules::decide`].
    pub fn decide(
        &self,
        class: &VenueClass,
        personal_text: &str,
        now: Timestamp,
    ) -> Result<Admission, Error> {
        self.rules.decide(class, personal_text, now)
    }
}

mod checkin;
mod config;
mod register;
mod report;
mod shared;
mod state;
pub use checkin::{Arrival, CHECK_IN_SKEW_SECS, CheckIn, CheckInRequest, MAX_CHECK_IN_BYTES, Pass};
pub use config::{GateConfig, GateTrust};
pub use register::{Registration, STAFF_RULE, register, resolve};
pub use report::{PersonalReport, VenueReport};
pub use shared::SharedGate;
pub use state::{GateState, MAX_REMEMBERED, MAX_STATE_BYTES, REPLAY_GRACE_SECS, Replay, Sighting};

#[cfg(test)]
mod tests;
