//! A gate's configuration (SPEC.md §13): the trust list with its pin, the signed lists and the
//! rule set, as received. Every face (the command line, the service, the WASM module, the mobile
//! bindings) loads its [`Gate`] from one of these, so the order of the checks (trust list, then
//! lists, then rule set, every serial against the state, all or nothing) is written once.

use super::{Checkpoint, Gate, GateState, PolicyChoice, SignedLists};
use crate::encoding::timestamp::Timestamp;
use crate::error::Error;
use crate::keys::trust::TrustList;
use crate::kid::KeyId;

/// The trust list a gate is given.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum GateTrust {
    /// A signed trust list, as received, and the root key ids pinned on the device that it must
    /// be signed by: verified at load, its serial checked against the state and recorded there.
    Signed {
        /// The signed list (`venuecode trust sign`).
        list: Vec<u8>,
        /// The pinned root key ids.
        roots: Vec<KeyId>,
    },
    /// An unsigned trust list: whoever can write it decides what verifies (tests, pilots, and
    /// faces that say so loudly).
    Unsigned(TrustList),
}

/// What a gate is loaded from: the owned form of the lists a device holds. Start from
/// [`GateConfig::new`] and set the fields to add.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct GateConfig {
    /// The trust list.
    pub trust: GateTrust,
    /// A signed status list (for offline codes).
    pub status: Option<Vec<u8>>,
    /// A signed revocation list.
    pub revocations: Option<Vec<u8>>,
    /// A signed rule set; without one, the built-in [`GateConfig::builtin`].
    pub policy: Option<Vec<u8>>,
    /// A built-in rule set's id; without one, [`super::DEFAULT_POLICY`].
    pub builtin: Option<String>,
    /// A status older than this many seconds is stale; `None` for
    /// [`super::DEFAULT_MAX_STATUS_AGE_SECS`].
    pub max_status_age_secs: Option<i64>,
}

impl GateConfig {
    /// A configuration of a trust list alone: no status or revocation list, the default rule
    /// set.
    pub fn new(trust: GateTrust) -> Self {
        GateConfig {
            trust,
            status: None,
            revocations: None,
            policy: None,
            builtin: None,
            max_status_age_secs: None,
        }
    }

    /// The signed lists, as [`Checkpoint::load`] takes them.
    pub fn signed_lists(&self) -> SignedLists<'_> {
        SignedLists {
            status_list: self.status.as_deref(),
            revocations: self.revocations.as_deref(),
            max_status_age_secs: self.max_status_age_secs,
        }
    }

    /// The rule set chosen.
    pub fn policy_choice(&self) -> PolicyChoice<'_> {
        PolicyChoice {
            builtin: self.builtin.as_deref(),
            signed: self.policy.as_deref(),
        }
    }

    /// The trust list, a signed one verified against its pinned roots at `now` with its serial
    /// checked against `state` and recorded there.
    pub fn trust_list(&self, now: Timestamp, state: &mut GateState) -> Result<TrustList, Error> {
        match &self.trust {
            GateTrust::Signed { list, roots } => state.trust_list(list, roots, now),
            GateTrust::Unsigned(list) => Ok(list.clone()),
        }
    }

    /// The trust list and the signed lists, verified at `now`, their serials checked against
    /// `state` and recorded there (all, or on an error none): a checkpoint that verifies codes
    /// without deciding (the rule set is not loaded).
    pub fn checkpoint(&self, now: Timestamp, state: &mut GateState) -> Result<Checkpoint, Error> {
        let mut next = state.clone();
        let trust = self.trust_list(now, &mut next)?;
        let checkpoint = Checkpoint::load(trust, &self.signed_lists(), now, &mut next)?;
        *state = next;
        Ok(checkpoint)
    }

    /// The gate: the trust list, the signed lists and the rule set verified at `now`, every
    /// serial checked against `state` (an older list than one used before is `rolled_back`).
    /// On success the gate holds the state with their serials recorded.
    pub fn load(&self, now: Timestamp, state: GateState) -> Result<Gate, Error> {
        self.clone().into_gate(now, state)
    }

    /// [`GateConfig::load`], taking the configuration (an unsigned trust list moves into the
    /// gate instead of being copied).
    pub fn into_gate(self, now: Timestamp, mut state: GateState) -> Result<Gate, Error> {
        let trust = match self.trust {
            GateTrust::Signed { list, roots } => state.trust_list(&list, &roots, now)?,
            GateTrust::Unsigned(list) => list,
        };
        let lists = SignedLists {
            status_list: self.status.as_deref(),
            revocations: self.revocations.as_deref(),
            max_status_age_secs: self.max_status_age_secs,
        };
        let policy = PolicyChoice {
            builtin: self.builtin.as_deref(),
            signed: self.policy.as_deref(),
        };
        Gate::load(trust, &lists, &policy, now, state)
    }
}
