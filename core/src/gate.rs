//! The check at the door, in one call: verify a personal code against the trust list and a
//! revocation list, resolve its status, and give the facts a colour policy decides on.

use crate::error::Error;
use crate::person::{VerifiedPersonalCode, verify_personal_code};
use crate::policy::{Decision, Facts, Policy};
use crate::revoke::RevocationList;
use crate::status::{Resolved, StatusList, StatusSource, resolve_status};
use crate::timestamp::Timestamp;
use crate::trust::{KeyProvider, TrustList};
use crate::venue::{VerifiedVenueCode, verify_venue_code};

/// What a gate knows besides the code.
#[derive(Clone, Copy)]
pub struct GateContext<'a> {
    /// Trusted keys.
    pub keys: &'a dyn KeyProvider,
    /// Where offline codes' status comes from.
    pub status: Option<&'a dyn StatusSource>,
    /// Revoked venue codes and superseded personal codes.
    pub revocations: Option<&'a RevocationList>,
    /// A status older than this many seconds is stale.
    pub max_status_age_secs: i64,
}

/// A personal code checked at the door.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// The verified code, or why it was rejected (`superseded` included).
    pub code: Result<VerifiedPersonalCode, Error>,
    /// Its status: fresh, stale or unknown (unknown for a rejected code).
    pub status: Resolved,
    /// When the check was made.
    pub at: Timestamp,
}

/// Verifies a personal code's text and resolves its status at `now`.
pub fn check_personal(text: &str, ctx: &GateContext<'_>, now: Timestamp) -> Checked {
    let code = verify_personal_code(text, ctx.keys, now).and_then(|v| {
        ctx.revocations
            .map_or(Ok(()), |r| r.check_personal(v.code()))?;
        Ok(v)
    });
    let status = match &code {
        Ok(v) => resolve_status(v.code(), ctx.status, now, ctx.max_status_age_secs),
        Err(_) => Resolved::Unknown,
    };
    Checked {
        code,
        status,
        at: now,
    }
}

impl Checked {
    /// `valid`, or the code's rejection code: the code state of records and decisions.
    pub fn code_state(&self) -> &'static str {
        self.code.as_ref().map_or_else(Error::code, |_| "valid")
    }

    /// The facts a policy decides on, at a venue of `class`.
    pub fn facts<'a>(&self, class: &'a str) -> Facts<'a> {
        Facts::of(&self.code, self.status, class, self.at)
    }

    /// The decision of `policy` at a venue of `class`.
    pub fn decide<'p>(&self, policy: &'p Policy, class: &str) -> Decision<'p> {
        policy.decide(&self.facts(class))
    }
}

/// What a caller that holds the signed lists as bytes gives a check (the bindings do: a page or
/// an app receives the lists as files). Each list is verified against the trust list at the time
/// of the check; a list that fails is an error, never silently ignored.
#[derive(Debug, Clone, Copy, Default)]
pub struct SignedLists<'a> {
    /// A signed status list (for offline codes).
    pub status_list: Option<&'a [u8]>,
    /// A signed revocation list.
    pub revocations: Option<&'a [u8]>,
    /// A status older than this many seconds is stale.
    pub max_status_age_secs: i64,
}

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

/// A gate's trust list and lists, loaded and verified once: what a gate device keeps between
/// scans (a status list of a million holders is 13 MB; its signature is checked here, not at
/// every scan). Reload it when new lists arrive, and at the latest when a list's window ends.
#[derive(Debug, Clone)]
pub struct Gate {
    trust: TrustList,
    status: Option<StatusList>,
    revocations: Option<RevocationList>,
    max_status_age_secs: i64,
}

impl Gate {
    /// Verifies the signed lists against `trust` at `now` (their errors are returned) and keeps
    /// them.
    pub fn load(trust: TrustList, lists: &SignedLists<'_>, now: Timestamp) -> Result<Self, Error> {
        let status = lists
            .status_list
            .map(|b| StatusList::load(b, &trust, now))
            .transpose()?;
        let revocations = lists
            .revocations
            .map(|b| RevocationList::load(b, &trust, now))
            .transpose()?;
        Ok(Gate {
            trust,
            status,
            revocations,
            max_status_age_secs: lists.max_status_age_secs,
        })
    }

    /// The trust list.
    pub fn trust(&self) -> &TrustList {
        &self.trust
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

    /// Checks a personal code at `now` (its rejection is in [`Checked::code`]).
    pub fn check(&self, text: &str, now: Timestamp) -> Checked {
        let ctx = GateContext {
            keys: &self.trust,
            status: self.status.as_ref().map(|s| s as &dyn StatusSource),
            revocations: self.revocations.as_ref(),
            max_status_age_secs: self.max_status_age_secs,
        };
        check_personal(text, &ctx, now)
    }

    /// The decision at the door in one call: the venue class (`invalid_input` if `policy` does
    /// not know it), then the code. A rejected code is a decision too; only bad inputs are
    /// errors.
    pub fn decide<'p>(
        &self,
        text: &str,
        policy: &'p Policy,
        class: &str,
        now: Timestamp,
    ) -> Result<(Checked, Decision<'p>), Error> {
        if !policy.knows_class(class) {
            return Err(Error::InvalidInput {
                field: "venue_class",
                reason: "not a class of the rule set".into(),
            });
        }
        let checked = self.check(text, now);
        let decision = checked.decide(policy, class);
        Ok((checked, decision))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::IdNumber;
    use crate::person::{Colour, HealthStatus, PersonalCode, PersonalIssue, Profile};
    use crate::policy::Outcome;
    use crate::status::StatusList;
    use crate::token::TokenKey;
    use crate::trust::{TrustList, TrustedKey, Usage};
    use crate::{Prefix, SecretKey};

    #[test]
    fn offline_code_with_status_list_and_revocations_decides() {
        let (personal, status) = (
            SecretKey::from_seed(&[2; 32]),
            SecretKey::from_seed(&[8; 32]),
        );
        let mut trust = TrustList::new();
        trust
            .add(TrustedKey::new(personal.public_key(), Usage::Personal))
            .unwrap();
        trust
            .add(TrustedKey::new(status.public_key(), Usage::Status))
            .unwrap();
        let tokens = TokenKey::from_bytes([1; 32]);
        let id = IdNumber::parse("11010519491231002X").unwrap();
        let t0 = Timestamp::parse_rfc3339("2022-04-06T08:00:00+08:00").unwrap();
        let code = |generation| {
            let issue = PersonalIssue {
                profile: Profile::Offline,
                generation,
                issued_at: t0,
                valid_secs: None,
                status: None,
            };
            let c = PersonalCode::for_holder("张三丰", &id, &tokens, &issue).unwrap();
            c.issue(&personal, &Prefix::default()).unwrap()
        };
        let green = HealthStatus {
            colour: Colour::Green,
            nat: None,
        };
        let until = t0.saturating_add(86_400);
        let list_bytes =
            StatusList::build(vec![(tokens.token(&id), green)], t0, until, &status).unwrap();
        let list = StatusList::load(&list_bytes, &trust, t0).unwrap();
        let revocation_bytes =
            RevocationList::build(&[], &[(tokens.token(&id), 1)], t0, until, &status).unwrap();
        let revocations = RevocationList::load(&revocation_bytes, &trust, t0).unwrap();
        let ctx = GateContext {
            keys: &trust,
            status: Some(&list),
            revocations: Some(&revocations),
            max_status_age_secs: 86_400,
        };
        let policy = Policy::builtin("sh-2022-04-01").unwrap();
        let now = t0.saturating_add(3_600);

        let current = check_personal(&code(1), &ctx, now);
        assert_eq!(
            current.decide(&policy, "religious").decision,
            Outcome::Admit
        );
        let lost = check_personal(&code(0), &ctx, now);
        assert_eq!(lost.code.as_ref().unwrap_err().code(), "superseded");
        assert_eq!(lost.status, Resolved::Unknown);
        assert_eq!(lost.decide(&policy, "religious").decision, Outcome::Deny);
        let without_list = GateContext {
            status: None,
            ..ctx
        };
        let d = check_personal(&code(1), &without_list, now);
        assert_eq!(d.decide(&policy, "religious").rule, "no-status");

        // The same from signed bytes, as the bindings call it.
        let lists = SignedLists {
            status_list: Some(&list_bytes),
            revocations: Some(&revocation_bytes),
            max_status_age_secs: 86_400,
        };
        let policy = PolicyChoice::default().load(&trust, now).unwrap();
        assert_eq!(policy.id(), DEFAULT_POLICY);
        let gate = Gate::load(trust.clone(), &lists, now).unwrap();
        let (c, d) = gate.decide(&code(1), &policy, "religious", now).unwrap();
        assert_eq!((c.code_state(), d.decision), ("valid", Outcome::Admit));
        let (c, d) = gate.decide(&code(0), &policy, "religious", now).unwrap();
        assert_eq!((c.code_state(), d.decision), ("superseded", Outcome::Deny));
        let unknown = gate.decide(&code(1), &policy, "stadium", now);
        assert_eq!(unknown.unwrap_err().code(), "invalid_input");
        // A damaged list is an error, not a missing list.
        let mut damaged = list_bytes.clone();
        let last = damaged.len() - 1;
        damaged[last] ^= 1;
        let bad = SignedLists {
            status_list: Some(&damaged),
            ..lists
        };
        assert!(Gate::load(trust.clone(), &bad, now).is_err());
        let chosen = PolicyChoice {
            builtin: Some("sh-2022-public-48h"),
            signed: None,
        };
        assert_eq!(chosen.load(&trust, now).unwrap().id(), "sh-2022-public-48h");
    }
}
