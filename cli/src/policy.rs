//! `check` (the decision at the door), `policy test`, `policy sign`.
//!
//! `check` exits 0 to admit, 1 to deny, 3 for a manual check by staff, 2 for usage errors.

use crate::error::{CliError, EXIT_OK, EXIT_REJECTED};
use crate::files::{read_secret_key, read_text, write_atomically};
use crate::person::{Gate, Lists};
use std::path::{Path, PathBuf};
use venuecode::gate::PolicyChoice;
use venuecode::policy::{Outcome, Policy};

/// Exit code of `check` for a manual check.
pub(crate) const EXIT_MANUAL: u8 = 3;

/// What `check` and `gate` both take: the trust list, the rule set, the lists.
#[derive(Debug, clap::Args)]
pub(crate) struct DoorArgs {
    /// The trust list.
    #[arg(long)]
    pub(crate) trust: PathBuf,
    /// A signed rule set (from `policy sign`).
    #[arg(long, conflicts_with = "builtin")]
    policy: Option<PathBuf>,
    /// A built-in rule set: sh-2022-04-01 (the default) or sh-2022-public-48h.
    #[arg(long)]
    builtin: Option<String>,
    /// A status list for offline codes.
    #[arg(long)]
    status: Option<PathBuf>,
    /// A revocation list.
    #[arg(long)]
    pub(crate) revocations: Option<PathBuf>,
    /// A status older than this is stale.
    #[arg(long, default_value_t = 24)]
    max_status_age_hours: u32,
}

impl DoorArgs {
    /// The rule set: signed (verified against the gate's trust list at its instant) or built in.
    pub(crate) fn load_policy(&self, gate: &Gate) -> Result<Policy, CliError> {
        let signed = match &self.policy {
            Some(path) => Some(std::fs::read(path).map_err(CliError::io(path))?),
            None => None,
        };
        let choice = PolicyChoice {
            builtin: self.builtin.as_deref(),
            signed: signed.as_deref(),
        };
        Ok(choice.load(gate.gate.trust(), gate.now)?)
    }

    /// The lists a personal code is checked against.
    pub(crate) fn lists(&self) -> Lists<'_> {
        Lists {
            status: self.status.as_deref(),
            revocations: self.revocations.as_deref(),
            max_status_age_hours: self.max_status_age_hours,
        }
    }
}

/// `check` options.
#[derive(Debug, clap::Args)]
pub(crate) struct CheckArgs {
    #[command(flatten)]
    door: DoorArgs,
    /// The venue's class: public, religious, residential, office, or one the rule set defines.
    #[arg(long)]
    venue_class: String,
    /// Decide as of this RFC 3339 time instead of now.
    #[arg(long)]
    at: Option<String>,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
    /// The personal code's text.
    text: String,
}

#[derive(serde::Serialize)]
struct Output<'a> {
    decision: Outcome,
    report: bool,
    rule: &'a str,
    reasons: [&'a venuecode::policy::Reason; 1],
    policy: &'a str,
    code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    holder: Option<[&'a str; 2]>,
}

pub(crate) fn check(a: &CheckArgs) -> Result<u8, CliError> {
    let gate = Gate::load(&a.door.trust, a.at.as_deref(), &a.door.lists())?;
    let policy = a.door.load_policy(&gate)?;
    if !policy.knows_class(&a.venue_class) {
        return Err(CliError::Usage(format!(
            "rule set {} knows no venue class {:?} (it knows {})",
            policy.id(),
            a.venue_class,
            policy.classes().join(", ")
        )));
    }
    let checked = gate.check(&a.text);
    let d = checked.decide(&policy, &a.venue_class);
    let holder = checked
        .code
        .as_ref()
        .ok()
        .map(|v| [v.code().name.as_str(), v.code().id_number.as_str()]);
    let code = checked.code_state();
    if a.json {
        let out = Output {
            decision: d.decision,
            report: d.report,
            rule: d.rule,
            reasons: d.reasons,
            policy: policy.id(),
            code,
            holder,
        };
        println!(
            "{}",
            serde_json::to_string(&out).map_err(|e| CliError::Usage(e.to_string()))?
        );
    } else {
        let verdict = match d.decision {
            Outcome::Admit => "ADMIT 通行",
            Outcome::Deny => "DENY 不予通行",
            Outcome::Manual => "MANUAL CHECK 人工核验",
        };
        println!(
            "{verdict}{}",
            if d.report {
                "  — REPORT NOW 立即报告"
            } else {
                ""
            }
        );
        if let Some([name, id]) = holder {
            println!("  holder   {name}  {id}");
        }
        println!("  code     {code}");
        println!("  reason   {} / {}", d.reasons[0].zh, d.reasons[0].en);
        println!("  rule     {} ({})", d.rule, policy.id());
    }
    Ok(match d.decision {
        Outcome::Admit => EXIT_OK,
        Outcome::Deny => EXIT_REJECTED,
        Outcome::Manual => EXIT_MANUAL,
    })
}

/// `policy test FILE`: loads a rule set, which runs its tests; 0 if all pass, 1 if not.
pub(crate) fn test(path: &Path) -> Result<u8, CliError> {
    match Policy::from_json(&read_text(path)?) {
        Ok(p) => {
            println!(
                "{} revision {}: {} tests passed, no conflicting rules",
                p.id(),
                p.revision(),
                p.test_count()
            );
            Ok(EXIT_OK)
        }
        Err(e) => {
            println!("refused: {e} ({})", e.code());
            Ok(EXIT_REJECTED)
        }
    }
}

/// `policy sign --key K.pem FILE [--out F]`.
pub(crate) fn sign(key: &Path, path: &Path, out: Option<&Path>) -> Result<u8, CliError> {
    let json = std::fs::read(path).map_err(CliError::io(path))?;
    let signed = Policy::sign(&json, &read_secret_key(key)?)?;
    match out {
        Some(out) => write_atomically(out, &signed)?,
        None => print!("{}", String::from_utf8_lossy(&signed)),
    }
    Ok(EXIT_OK)
}
