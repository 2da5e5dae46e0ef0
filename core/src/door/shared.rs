//! A gate shared by the threads of a service: the read-only [`GateRules`] behind an [`Arc`],
//! replaced whole when the authority publishes a list, and the [`GateState`] behind a mutex
//! held only to note a dynamic code. Signature checks, the status look-up, the rule set and the
//! record's HPKE seal all run outside both locks.

use super::checkin::{Arrival, CheckInRequest};
use super::state::{Replay, Sighting};
use super::{Door, DoorAdmission, Gate, GateConfig, GateRules, GateState};
use crate::encoding::timestamp::Timestamp;
use crate::error::Error;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

/// A [`Gate`] for many threads (the records service).
#[derive(Debug)]
pub struct SharedGate {
    rules: RwLock<Arc<GateRules>>,
    state: Mutex<GateState>,
}

impl SharedGate {
    /// Shares a loaded gate.
    pub fn new(gate: Gate) -> Self {
        let (rules, state) = gate.into_parts();
        SharedGate {
            rules: RwLock::new(Arc::new(rules)),
            state: Mutex::new(state),
        }
    }

    /// The rules in force now (a new list replaces them; this copy stays as it was).
    pub fn rules(&self) -> Arc<GateRules> {
        // A poisoned lock still holds a whole Arc: it is only ever replaced whole.
        self.rules
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn state(&self) -> MutexGuard<'_, GateState> {
        // Nothing panics while holding it mid-update: its value stays whole.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// [`Gate::admit`], from any thread.
    pub fn admit(&self, door: &Door, personal_text: &str, now: Timestamp) -> DoorAdmission {
        self.rules()
            .admit_with(door, personal_text, now, &mut |until| {
                self.state()
                    .remember(personal_text, &door.venue_id, &door.door, "", now, until)
            })
    }

    /// [`Gate::check_in`], from any thread.
    pub fn check_in(&self, request: &CheckInRequest, now: Timestamp) -> Result<Arrival, Error> {
        Ok(self.check_in_seen(request, now)?.0)
    }

    /// [`SharedGate::check_in`], and the sighting of a dynamic code admitted here as its first
    /// (none for any other code): what a service of many nodes claims in its store, with the
    /// record, before the code counts as seen.
    pub fn check_in_seen(
        &self,
        request: &CheckInRequest,
        now: Timestamp,
    ) -> Result<(Arrival, Option<Sighting>), Error> {
        let rules = self.rules();
        let door = rules.door_of(request, now)?;
        let mut sighting = None;
        let arrival = rules.arrive_with(request, &door, now, &mut |until| {
            let seen = Sighting::new(
                &request.personal_code,
                &door.venue_id,
                &door.door,
                &request.device,
                now,
                until,
            );
            let replay = self.state().note(seen);
            if replay == Replay::Fresh {
                sighting = Some(seen);
            }
            replay
        });
        Ok((arrival, sighting))
    }

    /// A check-in decided as `replay` says of its dynamic code, remembering nothing: with
    /// [`Replay::Fresh`], the answer again to a retry whose record is already stored (its first
    /// answer was lost, a timeout), which the memory of dynamic codes would otherwise call a
    /// screenshot of itself; otherwise the decision when a store shared by many nodes holds an
    /// earlier sighting ([`super::Sighting::after`]) that this node's memory did not.
    pub fn check_in_as(
        &self,
        request: &CheckInRequest,
        now: Timestamp,
        replay: Replay,
    ) -> Result<Arrival, Error> {
        let rules = self.rules();
        let door = rules.door_of(request, now)?;
        Ok(rules.arrive_with(request, &door, now, &mut |_| replay))
    }

    /// Forgets the dynamic code a check-in at `door` brought, when its record could not be
    /// stored: the visitor's retry is then a first sighting again. Nothing is forgotten that
    /// another device or door noted.
    pub fn forget(&self, request: &CheckInRequest, door: &Door) {
        self.state().forget(
            &request.personal_code,
            &door.venue_id,
            &door.door,
            &request.device,
        );
    }

    /// Loads `config` at `now` against the state and, if every list and serial verifies and
    /// then `keep` succeeds (the caller stores the new lists there), replaces the rules and
    /// records the serials; on an error from either nothing changes. Check-ins of dynamic codes
    /// wait for it (it holds the state); others go on with the rules before.
    pub fn replace<E: From<Error>>(
        &self,
        config: &GateConfig,
        now: Timestamp,
        keep: impl FnOnce() -> Result<(), E>,
    ) -> Result<(), E> {
        let mut state = self.state();
        let (rules, next) = config.load(now, state.clone())?.into_parts();
        keep()?;
        *state = next;
        *self.rules.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(rules);
        Ok(())
    }

    /// The state's stored form ([`GateState::to_bytes`]).
    pub fn state_bytes(&self) -> Vec<u8> {
        self.state().to_bytes()
    }
}
