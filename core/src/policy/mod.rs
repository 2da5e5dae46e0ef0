//! Colour policy: the decision at the door (admit, deny, or manual check by staff), from rule sets
//! that are data, issued and signed by the authority (SPEC.md §11), with their own test cases.
//!
//! A rule matches a case when, in every dimension it names, the case's value is in its set:
//!
//! | dimension | values |
//! |---|---|
//! | `code` | `valid`, or a rejection code (`expired`, `superseded`, `unknown_key`, …) |
//! | `status` | `fresh`, `stale`, `unknown` |
//! | `colour` | `green`, `yellow`, `red`, `none` (no status) |
//! | `test` | `negative_recent` (within the set's `test_window_hours`), `negative_old`, `positive`, `none` |
//! | `class` | `public`, `religious`, `residential`, `office`, and the set's own `classes` |
//! | `revocations` | `checked`; `unchecked`: an offline code checked without a revocation list |
//!
//! Rules that can match the same case must have the same outcome (checked when a set is loaded,
//! naming both rules); a case no rule matches gets the set's `default`. Each set carries test
//! cases that must pass before it is used.

use crate::codes::person::VerifiedPersonalCode;
use crate::codes::state::CodeState;
use crate::codes::venue::VenueClass;
use crate::encoding::timestamp::Timestamp;
use crate::error::{Error, Subject};
use crate::health::{Colour, NatResult, NatTest};
use crate::keys::key::SecretKey;
use crate::keys::trust::{KeyProvider, Usage};
use crate::kid::KeyId;
use crate::lists::serial::{Accepted, ListKind};
use crate::lists::status::Resolved;
use serde::{Deserialize, Serialize};

/// The built-in rule sets, by id.
pub const BUILTIN: [(&str, &str); 2] = [
    (
        "sh-2022-04-01",
        include_str!("../../policies/sh-2022-04-01.json"),
    ),
    (
        "sh-2022-public-48h",
        include_str!("../../policies/sh-2022-public-48h.json"),
    ),
];

/// The most bytes of rule-set JSON read.
pub const MAX_POLICY_BYTES: usize = 256 << 10;

/// What happens at the door.
///
/// Deliberately not `#[non_exhaustive]`: a gate must handle every decision itself rather than
/// fall into a wildcard, so a new decision would be a breaking change, in a new major version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Let the person in.
    Admit,
    /// Refuse entry.
    Deny,
    /// Staff must check by other means (register by hand, as the notice asks for people who
    /// cannot scan).
    Manual,
}

impl Outcome {
    /// Its name, as in JSON (`admit`, `deny`, `manual`).
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Admit => "admit",
            Outcome::Deny => "deny",
            Outcome::Manual => "manual",
        }
    }

    /// The Chinese name staff read (通行, 禁止通行, 人工核验).
    pub fn name_zh(self) -> &'static str {
        match self {
            Outcome::Admit => "通行",
            Outcome::Deny => "禁止通行",
            Outcome::Manual => "人工核验",
        }
    }
}

/// A reason, in Chinese and English.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    /// 中文.
    pub zh: String,
    /// English.
    pub en: String,
}

/// A decision and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Decision<'a> {
    /// Admit, deny or manual.
    pub decision: Outcome,
    /// Report at once to the venue's head and the local authority.
    pub report: bool,
    /// The id of the rule that decided (`default` if none matched).
    pub rule: &'a str,
    /// Why.
    pub reasons: [&'a Reason; 1],
}

/// The state of a test, relative to a rule set's window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TestFact {
    /// No test known.
    None,
    /// A test with its result and age in seconds at the door.
    Taken(NatResult, i64),
}

/// Everything a decision depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts<'a> {
    /// `valid`, or the code's rejection.
    pub code: CodeState,
    /// Whether the status is fresh, stale or unknown.
    pub status: StatusState,
    /// The colour, if the status is known.
    pub colour: Option<Colour>,
    /// The latest test, if the status is known.
    pub test: TestFact,
    /// The venue's class.
    pub class: &'a VenueClass,
    /// Whether an offline code was checked against a revocation list.
    pub revocations: Revocations,
}

/// Whether a lost or superseded card could be caught.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Revocations {
    /// A revocation list was checked, or the code is not an offline one (a dynamic code comes
    /// from the health-code service, current by construction; a rejected code has no card).
    Checked,
    /// An offline code, checked without a revocation list.
    Unchecked,
}

/// How current a status is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StatusState {
    /// No older than the caller's limit.
    Fresh,
    /// Older than the caller's limit.
    Stale,
    /// None.
    Unknown,
}

impl<'a> Facts<'a> {
    /// The facts of a verified personal code (or its error), its resolved status at `now`, and
    /// whether a revocation list was checked.
    pub fn of(
        code: &Result<VerifiedPersonalCode, Error>,
        status: Resolved,
        revocations_checked: bool,
        class: &'a VenueClass,
        now: Timestamp,
    ) -> Facts<'a> {
        let code_state = CodeState::of(code);
        let (state, answer) = match status {
            Resolved::Fresh(a) => (StatusState::Fresh, Some(a)),
            Resolved::Stale(a) => (StatusState::Stale, Some(a)),
            Resolved::Unknown => (StatusState::Unknown, None),
        };
        let test = match answer.and_then(|a| a.status.nat) {
            Some(NatTest { result, sampled_at }) => {
                TestFact::Taken(result, now.unix() - sampled_at.unix())
            }
            None => TestFact::None,
        };
        let offline = code
            .as_ref()
            .is_ok_and(|v| v.code().profile == crate::codes::person::Profile::Offline);
        Facts {
            code: code_state,
            status: state,
            colour: answer.map(|a| a.status.colour),
            test,
            class,
            revocations: if offline && !revocations_checked {
                Revocations::Unchecked
            } else {
                Revocations::Checked
            },
        }
    }
}

const STATUS: [&str; 3] = ["fresh", "stale", "unknown"];
const TESTS: [&str; 4] = ["negative_recent", "negative_old", "positive", "none"];
const REVOCATIONS: [&str; 2] = ["checked", "unchecked"];

/// A colour's bit in the `colour` dimension: its byte code, and `none` after the three.
fn colour_bit(c: Option<Colour>) -> u32 {
    1 << c.map_or(3, |c| u32::from(c.code()))
}

fn colour_bits(names: &[String], rule: &str) -> Result<u32, Error> {
    names.iter().try_fold(0u32, |acc, n| {
        let c = match n.as_str() {
            "none" => None,
            other => Some(
                other
                    .parse::<Colour>()
                    .map_err(|_| invalid(format!("rule {rule}: unknown colour {n:?}")))?,
            ),
        };
        Ok(acc | colour_bit(c))
    })
}

/// A rule's condition as bit sets, one a dimension; all ones where the rule names none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Mask {
    code: u32,
    status: u32,
    colour: u32,
    test: u32,
    class: u64,
    revocations: u32,
}

impl Mask {
    /// Every case.
    const ALL: Mask = Mask {
        code: u32::MAX,
        status: u32::MAX,
        colour: u32::MAX,
        test: u32::MAX,
        class: u64::MAX,
        revocations: u32::MAX,
    };

    fn overlaps(&self, o: &Mask) -> bool {
        self.code & o.code != 0
            && self.status & o.status != 0
            && self.colour & o.colour != 0
            && self.test & o.test != 0
            && self.class & o.class != 0
            && self.revocations & o.revocations != 0
    }

    fn is_empty(&self) -> bool {
        self.code == 0
            || self.status == 0
            || self.colour == 0
            || self.test == 0
            || self.class == 0
            || self.revocations == 0
    }

    fn holds(&self, point: &Mask) -> bool {
        self.overlaps(point)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct When {
    #[serde(default)]
    code: Option<Vec<String>>,
    #[serde(default)]
    status: Option<Vec<String>>,
    #[serde(default)]
    colour: Option<Vec<String>>,
    #[serde(default)]
    test: Option<Vec<String>>,
    #[serde(default)]
    class: Option<Vec<String>>,
    #[serde(default)]
    revocations: Option<Vec<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    id: String,
    #[serde(default)]
    when: Option<When>,
    decision: Outcome,
    #[serde(default)]
    report: bool,
    reason: Reason,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct DefaultFile {
    decision: Outcome,
    #[serde(default)]
    report: bool,
    reason: Reason,
}

/// A test case inside a rule set.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct TestFile {
    name: String,
    input: TestInput,
    expect: TestExpect,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct TestInput {
    code: String,
    status: StatusState,
    #[serde(default)]
    colour: Option<String>,
    #[serde(default)]
    test: Option<NatResult>,
    #[serde(default)]
    test_age_hours: Option<u32>,
    class: String,
    #[serde(default)]
    revocations: Option<Revocations>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct TestExpect {
    decision: Outcome,
    report: bool,
    rule: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    format: String,
    version: u32,
    id: String,
    revision: u32,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    valid_from: Option<Timestamp>,
    #[serde(default)]
    valid_until: Option<Timestamp>,
    #[serde(default)]
    test_window_hours: Option<u32>,
    #[serde(default)]
    classes: Vec<String>,
    rules: Vec<serde_json::Value>,
    default: DefaultFile,
    tests: Vec<TestFile>,
}

#[derive(Debug, Clone)]
struct Rule {
    id: String,
    mask: Mask,
    decision: Outcome,
    report: bool,
    reason: Reason,
}

/// A loaded rule set: parsed, checked for conflicts, its own tests passed.
#[derive(Debug, Clone)]
pub struct Policy {
    id: String,
    revision: u32,
    description: Option<String>,
    valid_from: Option<Timestamp>,
    valid_until: Option<Timestamp>,
    test_window_secs: Option<i64>,
    classes: Vec<String>,
    rules: Vec<Rule>,
    default: Rule,
    tests: usize,
    accepted: Option<Accepted>,
}

fn invalid(message: String) -> Error {
    Error::InvalidPolicy(message)
}

fn bits<const N: usize>(
    names: &[String],
    domain: [&str; N],
    rule: &str,
    dimension: &str,
) -> Result<u32, Error> {
    names.iter().try_fold(0u32, |acc, n| {
        let i = domain
            .iter()
            .position(|d| d == n)
            .ok_or_else(|| invalid(format!("rule {rule}: unknown {dimension} {n:?}")))?;
        Ok(acc | 1 << i)
    })
}

impl Policy {
    /// A built-in rule set by id (`sh-2022-04-01`, `sh-2022-public-48h`).
    pub fn builtin(id: &str) -> Result<Self, Error> {
        let (_, json) = BUILTIN
            .iter()
            .find(|(b, _)| *b == id)
            .ok_or_else(|| invalid(format!("no built-in rule set {id:?}")))?;
        Self::from_json(json)
    }

    /// Reads a rule set, checks it (unknown fields and values, conflicting rules, conditions that
    /// cannot be evaluated) and runs its tests; any failure is an error naming the rule or test.
    /// The validity window is not checked here: see [`Policy::check_window`].
    pub fn from_json(json: &str) -> Result<Self, Error> {
        if json.len() > MAX_POLICY_BYTES {
            return Err(invalid(format!("longer than {MAX_POLICY_BYTES} bytes")));
        }
        let file: PolicyFile = serde_json::from_str(json).map_err(|e| invalid(e.to_string()))?;
        if file.format != "venuecode-policy" || file.version != 1 {
            return Err(invalid(
                "expected format \"venuecode-policy\" version 1".into(),
            ));
        }
        let mut classes: Vec<String> = VenueClass::BUILT_IN
            .iter()
            .map(|c| c.name().to_owned())
            .collect();
        for c in &file.classes {
            if classes.contains(c) {
                return Err(invalid(format!("class {c:?} is declared twice")));
            }
            classes.push(c.clone());
        }
        if classes.len() > 64 {
            return Err(invalid("more than 64 classes".into()));
        }
        let mut rules = Vec::with_capacity(file.rules.len());
        for (i, value) in file.rules.into_iter().enumerate() {
            let name = value
                .get("id")
                .and_then(|v| v.as_str())
                .map_or_else(|| format!("#{}", i + 1), str::to_owned);
            let rule: RuleFile =
                serde_json::from_value(value).map_err(|e| invalid(format!("rule {name}: {e}")))?;
            if rule.id == "default" || rules.iter().any(|r: &Rule| r.id == rule.id) {
                return Err(invalid(format!("rule {}: the id is taken", rule.id)));
            }
            let mask = Self::mask(&rule, &classes, file.test_window_hours.is_some())?;
            rules.push(Rule {
                id: rule.id,
                mask,
                decision: rule.decision,
                report: rule.report,
                reason: rule.reason,
            });
        }
        for (i, a) in rules.iter().enumerate() {
            for b in &rules[i + 1..] {
                if a.mask.overlaps(&b.mask) && (a.decision, a.report) != (b.decision, b.report) {
                    return Err(invalid(format!(
                        "rules {} and {} can match the same case with different outcomes",
                        a.id, b.id
                    )));
                }
            }
        }
        let policy = Policy {
            id: file.id,
            revision: file.revision,
            description: file.description,
            valid_from: file.valid_from,
            valid_until: file.valid_until,
            test_window_secs: file.test_window_hours.map(|h| i64::from(h) * 3600),
            classes,
            rules,
            default: Rule {
                id: "default".into(),
                mask: Mask::ALL,
                decision: file.default.decision,
                report: file.default.report,
                reason: file.default.reason,
            },
            tests: file.tests.len(),
            accepted: None,
        };
        if file.tests.is_empty() {
            return Err(invalid("a rule set must carry test cases".into()));
        }
        for test in &file.tests {
            policy.run_test(test)?;
        }
        Ok(policy)
    }

    fn mask(rule: &RuleFile, classes: &[String], has_window: bool) -> Result<Mask, Error> {
        let id = &rule.id;
        let mut mask = Mask::ALL;
        let Some(when) = &rule.when else {
            return Ok(mask);
        };
        if let Some(codes) = &when.code {
            mask.code = codes.iter().try_fold(0u32, |acc, c| {
                let state = c
                    .parse::<CodeState>()
                    .map_err(|_| invalid(format!("rule {id}: unknown code state {c:?}")))?;
                Ok::<_, Error>(acc | 1 << state as u32)
            })?;
        }
        if let Some(s) = &when.status {
            mask.status = bits(s, STATUS, id, "status")?;
        }
        if let Some(c) = &when.colour {
            mask.colour = colour_bits(c, id)?;
        }
        if let Some(t) = &when.test {
            mask.test = bits(t, TESTS, id, "test")?;
            if !has_window && mask.test & 0b11 != 0 {
                return Err(invalid(format!(
                    "rule {id}: negative_recent and negative_old need the set's test_window_hours"
                )));
            }
        }
        if let Some(cs) = &when.class {
            mask.class = cs.iter().try_fold(0u64, |acc, c| {
                let i = classes
                    .iter()
                    .position(|k| k == c)
                    .ok_or_else(|| invalid(format!("rule {id}: unknown class {c:?}")))?;
                Ok::<_, Error>(acc | 1 << i)
            })?;
        }
        if let Some(r) = &when.revocations {
            mask.revocations = bits(r, REVOCATIONS, id, "revocations")?;
        }
        if mask.is_empty() {
            return Err(invalid(format!("rule {id}: an empty set never matches")));
        }
        Ok(mask)
    }

    fn run_test(&self, test: &TestFile) -> Result<(), Error> {
        let fail = |what: String| invalid(format!("test {}: {what}", test.name));
        let i = &test.input;
        let colour = match i.colour.as_deref() {
            None | Some("none") => None,
            Some(c) => Some(
                c.parse::<Colour>()
                    .map_err(|_| fail(format!("unknown colour {c:?}")))?,
            ),
        };
        let test_fact = match (i.test, i.test_age_hours) {
            (None, None) => TestFact::None,
            (Some(r), Some(h)) => TestFact::Taken(r, i64::from(h) * 3600),
            _ => {
                return Err(fail("test and test_age_hours go together".into()));
            }
        };
        let code = i
            .code
            .parse::<CodeState>()
            .map_err(|_| fail(format!("unknown code state {:?}", i.code)))?;
        if !self.classes.contains(&i.class) {
            return Err(fail(format!("unknown class {:?}", i.class)));
        }
        let class = VenueClass::named(&i.class);
        let facts = Facts {
            code,
            status: i.status,
            colour,
            test: test_fact,
            class: &class,
            revocations: i.revocations.unwrap_or(Revocations::Checked),
        };
        let d = self.decide(&facts);
        let e = &test.expect;
        if (d.decision, d.report, d.rule) != (e.decision, e.report, e.rule.as_str()) {
            return Err(fail(format!(
                "expected {:?}{} by rule {}, got {:?}{} by rule {}",
                e.decision,
                if e.report { " with report" } else { "" },
                e.rule,
                d.decision,
                if d.report { " with report" } else { "" },
                d.rule
            )));
        }
        Ok(())
    }

    /// The point a case occupies in every dimension.
    fn point(&self, f: &Facts<'_>) -> Mask {
        let code = 1 << f.code as u32;
        let status = match f.status {
            StatusState::Fresh => 1,
            StatusState::Stale => 2,
            StatusState::Unknown => 4,
        };
        let colour = colour_bit(f.colour);
        let test = match f.test {
            TestFact::None => 8,
            TestFact::Taken(NatResult::Positive, _) => 4,
            TestFact::Taken(NatResult::Negative, age) => match self.test_window_secs {
                // A sample dated in the future counts as old: the clock or the data is wrong.
                Some(window) if (0..=window).contains(&age) => 1,
                _ => 2,
            },
        };
        let class = self
            .classes
            .iter()
            .position(|c| c == f.class.name())
            .map_or(0, |i| 1u64 << i);
        let revocations = match f.revocations {
            Revocations::Checked => 1,
            Revocations::Unchecked => 2,
        };
        Mask {
            code,
            status,
            colour,
            test,
            class,
            revocations,
        }
    }

    /// The decision for a case. A class the set does not know, or a code state that is not one,
    /// matches no rule and gets the default.
    pub fn decide(&self, facts: &Facts<'_>) -> Decision<'_> {
        let point = self.point(facts);
        let rule = self
            .rules
            .iter()
            .find(|r| r.mask.holds(&point))
            .unwrap_or(&self.default);
        Decision {
            decision: rule.decision,
            report: rule.report,
            rule: &rule.id,
            reasons: [&rule.reason],
        }
    }

    /// `expired` or `not_yet_valid` (subject `policy`) outside the set's validity window.
    pub fn check_window(&self, now: Timestamp) -> Result<(), Error> {
        crate::keys::signature::check_window(
            self.valid_from,
            self.valid_until,
            now,
            Subject::Policy,
        )
    }

    /// The set's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The set's revision.
    pub fn revision(&self) -> u32 {
        self.revision
    }

    /// The set's description.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// Whether it knows a venue class.
    pub fn knows_class(&self, class: &VenueClass) -> bool {
        self.classes.iter().any(|c| c == class.name())
    }

    /// The venue classes it knows.
    pub fn classes(&self) -> &[String] {
        &self.classes
    }

    /// How many test cases it carries (all passed).
    pub fn test_count(&self) -> usize {
        self.tests
    }

    /// A signed rule set's issuer, serial (its `revision`) and digest; `None` for a built-in.
    pub fn accepted(&self) -> Option<&Accepted> {
        self.accepted.as_ref()
    }

    /// A signed rule set must have a window no longer than the cap: an old, more lenient set
    /// is then unusable after it, whatever a gate remembers.
    fn check_lifetime(&self) -> Result<(), Error> {
        let cap = ListKind::Policy.max_lifetime_secs();
        match (self.valid_from, self.valid_until) {
            (Some(from), Some(until)) if until.unix() - from.unix() <= cap => Ok(()),
            _ => Err(invalid(format!(
                "a signed rule set needs valid_from and valid_until at most {} days apart",
                cap / 86_400
            ))),
        }
    }

    /// Signs a rule set's JSON bytes (usage `policy`): the signed file's bytes. The set needs
    /// a window of at most 400 days; its `revision` is its serial.
    pub fn sign(json: &[u8], key: &SecretKey) -> Result<Vec<u8>, Error> {
        let text = std::str::from_utf8(json).map_err(|_| invalid("not UTF-8".into()))?;
        Self::from_json(text)?.check_lifetime()?;
        let mut message = ListKind::Policy.domain().to_vec();
        message.extend_from_slice(json);
        let signed = SignedFile {
            format: SIGNED_FORMAT.into(),
            kid: key.public_key().id().to_string(),
            payload: hex::encode(json),
            signature: hex::encode(key.sign(&message)),
        };
        let mut out = serde_json::to_vec_pretty(&signed).map_err(|e| invalid(e.to_string()))?;
        out.push(b'\n');
        Ok(out)
    }

    /// Verifies a signed rule set (a trusted key with usage `policy`, over the exact bytes of
    /// the rule set, issued at its `valid_from` inside the key's window), loads it, and checks
    /// its lifetime and its validity window at `now`. Its [`Policy::accepted`] is for the
    /// gate's serials.
    pub fn load_signed(
        signed: &[u8],
        keys: &(impl KeyProvider + ?Sized),
        now: Timestamp,
    ) -> Result<Self, Error> {
        if signed.len() > 2 * MAX_POLICY_BYTES + 1024 {
            return Err(invalid("signed rule set too long".into()));
        }
        let file: SignedFile =
            serde_json::from_slice(signed).map_err(|e| invalid(e.to_string()))?;
        if file.format != SIGNED_FORMAT {
            return Err(invalid(format!("expected format {SIGNED_FORMAT:?}")));
        }
        let kid: KeyId = file
            .kid
            .parse()
            .map_err(|_| invalid("kid must be 16 hex digits".into()))?;
        let json = hex::decode(&file.payload).map_err(|_| invalid("payload must be hex".into()))?;
        let mut signature = [0u8; 64];
        hex::decode_to_slice(&file.signature, &mut signature)
            .map_err(|_| invalid("signature must be 128 hex digits".into()))?;
        let mut message = ListKind::Policy.domain().to_vec();
        message.extend_from_slice(&json);
        // Parsed before the signature is checked, for its issue time; the parser is total.
        let text =
            std::str::from_utf8(&json).map_err(|_| invalid("payload is not UTF-8".into()))?;
        let mut policy = Self::from_json(text)?;
        let entry = crate::keys::signature::check_signature(
            keys,
            kid,
            Usage::Policy,
            crate::keys::signature::Claims::issued(policy.valid_from.unwrap_or(now)),
            &message,
            &signature,
        )?;
        policy.check_lifetime()?;
        policy.check_window(now)?;
        policy.accepted = Some(Accepted {
            kind: ListKind::Policy,
            issuer: entry.issuer(),
            serial: u64::from(policy.revision),
            digest: <sha2::Sha256 as sha2::Digest>::digest(&json).into(),
        });
        Ok(policy)
    }
}

const SIGNED_FORMAT: &str = "venuecode-signed-policy";

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignedFile {
    format: String,
    kid: String,
    payload: String,
    signature: String,
}

#[cfg(test)]
mod tests;
