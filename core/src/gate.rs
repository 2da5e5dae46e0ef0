//! The check at the door, in one call: verify a personal code against the trust list and a
//! revocation list, resolve its status, and give the facts a colour policy decides on.

use crate::error::Error;
use crate::person::{VerifiedPersonalCode, verify_personal_code};
use crate::policy::{Decision, Facts, Policy};
use crate::revoke::RevocationList;
use crate::status::{Resolved, StatusSource, resolve_status};
use crate::timestamp::Timestamp;
use crate::trust::KeyProvider;

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
        let list = StatusList::build(vec![(tokens.token(&id), green)], t0, until, &status).unwrap();
        let list = StatusList::load(&list, &trust, t0).unwrap();
        let revocations =
            RevocationList::build(&[], &[(tokens.token(&id), 1)], t0, until, &status).unwrap();
        let revocations = RevocationList::load(&revocations, &trust, t0).unwrap();
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
    }
}
