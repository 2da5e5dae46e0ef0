//! `check` (the decision at the door), `policy test`, `policy sign`.
//!
//! `check` exits 0 to admit, 1 to deny, 3 for a manual check by staff, 2 for usage errors.

use crate::clock::time_or_now;
use crate::error::{CliError, EXIT_OK, EXIT_REJECTED};
use crate::files::{read_secret_key, read_text, write_atomically};
use crate::lists::read_list;
use crate::output::say;
use crate::output::{self, shown};
use crate::trust::TrustArgs;
use std::path::{Path, PathBuf};
use venuecode::door::{Admission, Gate, GateConfig};
use venuecode::policy::{Outcome, Policy};
use venuecode::{Timestamp, VenueClass};

/// Exit code of `check` for a manual check.
pub(crate) const EXIT_MANUAL: u8 = 3;

/// What `check` and `gate` both take: the trust list, the rule set, the lists.
#[derive(Debug, clap::Args)]
pub(crate) struct DoorArgs {
    #[command(flatten)]
    pub(crate) trust: TrustArgs,
    /// A signed rule set (from `policy sign`).
    #[arg(long, conflicts_with = "builtin")]
    policy: Option<PathBuf>,
    /// A built-in rule set (default sh-2022-04-01).
    #[arg(long, value_parser = crate::manual::builtins())]
    builtin: Option<String>,
    #[command(flatten)]
    lists: ListArgs,
}

/// The lists a personal code is checked against.
#[derive(Debug, clap::Args)]
pub(crate) struct ListArgs {
    /// A status list for offline codes.
    #[arg(long)]
    status: Option<PathBuf>,
    /// A revocation list.
    #[arg(long)]
    revocations: Option<PathBuf>,
    /// A status older than this is stale.
    #[arg(long, default_value_t = 24)]
    max_status_age_hours: u32,
}

impl DoorArgs {
    /// The core's gate: trust list, lists and rule set, each verified at `now`.
    pub(crate) fn gate(&self, now: Timestamp) -> Result<Gate, CliError> {
        let mut config = self.lists.config(&self.trust)?;
        config.policy = self
            .policy
            .as_deref()
            .map(crate::files::read_bytes)
            .transpose()?;
        config.builtin.clone_from(&self.builtin);
        load_gate(&self.trust, &config, now)
    }
}

/// The core's gate of `config`, its serials checked against the state file and recorded there.
pub(crate) fn load_gate(
    trust: &TrustArgs,
    config: &GateConfig,
    now: Timestamp,
) -> Result<Gate, CliError> {
    let gate = config.load(now, trust.pin.state()?)?;
    trust.pin.save(gate.state())?;
    if gate.checkpoint().status_expired() {
        // The door goes on (不漏一人), and says why every offline code goes to staff.
        eprintln!(
            "{}",
            crate::output::tr(
                "注意：状态名单已过期，离线码一律交由工作人员核验（manual），请尽快更新名单",
                "warning: the status list has expired: every offline code goes to staff (manual) until a new list is loaded",
            )
        );
    }
    Ok(gate)
}

impl ListArgs {
    /// The gate configuration of `--trust` and these lists (the default rule set).
    pub(crate) fn config(&self, trust: &TrustArgs) -> Result<GateConfig, CliError> {
        let mut config = trust.config()?;
        config.status = self.status.as_deref().map(read_list).transpose()?;
        config.revocations = self.revocations.as_deref().map(read_list).transpose()?;
        config.max_status_age_secs = Some(i64::from(self.max_status_age_hours) * 3600);
        Ok(config)
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
    /// The personal code's text.
    text: String,
}

pub(crate) fn check(a: &CheckArgs) -> Result<u8, CliError> {
    let now = time_or_now(a.at.as_deref())?;
    let gate = a.door.gate(now)?;
    let class = VenueClass::named(&a.venue_class);
    if !gate.policy().knows_class(&class) {
        return Err(CliError::Usage(format!(
            "rule set {} knows no venue class {:?} (it knows {})",
            gate.policy().id(),
            a.venue_class,
            gate.policy().classes().join(", ")
        )));
    }
    let admission = gate.decide(&class, &a.text, now)?;
    show_admission(&admission, crate::output::is_json())?;
    Ok(exit_of(admission.decision))
}

/// Prints an admission: its JSON (SPEC.md §12), or the lines staff read.
pub(crate) fn show_admission(a: &Admission, json: bool) -> Result<(), CliError> {
    if json {
        return output::json(a);
    }
    let verdict = match a.decision {
        Outcome::Admit => "ADMIT",
        Outcome::Deny => "DENY",
        Outcome::Manual => "MANUAL CHECK",
    };
    let verdict = format!("{verdict} {}", a.decision.name_zh());
    let report = if a.report {
        "  — REPORT NOW 立即报告"
    } else {
        ""
    };
    match &a.door {
        Some(d) => say!(
            "{verdict}{report}  [{} {}]",
            shown(&d.venue_name),
            shown(&d.door)
        ),
        None => say!("{verdict}{report}"),
    }
    if let Some(h) = &a.holder {
        output::say_in!(
            "  持码人   {}  {}",
            "  holder   {}  {}",
            shown(&h.name),
            h.id_number
        );
    }
    if let Some(s) = a.status.answer() {
        output::say_in!(
            "  健康码   {}",
            "  colour   {}",
            output::colour(s.status.colour)
        );
    }
    output::say_in!("  码状态   {}", "  code     {}", output::code_state(a.code));
    for r in &a.reasons {
        output::say_in!("  理由     {}", "  reason   {}", output::reason(r));
    }
    output::say_in!(
        "  规则     {}（{}）",
        "  rule     {} ({})",
        a.rule,
        a.policy
    );
    output::say_in!("  时间     {}", "  at       {}", a.at.cst());
    Ok(())
}

/// The exit code of a decision: 0 admit, 1 deny, 3 manual.
pub(crate) fn exit_of(decision: Outcome) -> u8 {
    match decision {
        Outcome::Admit => EXIT_OK,
        Outcome::Deny => EXIT_REJECTED,
        Outcome::Manual => EXIT_MANUAL,
    }
}

/// `policy test FILE`: loads a rule set, which runs its tests; 0 if all pass, 1 if not.
pub(crate) fn test(path: &Path) -> Result<u8, CliError> {
    match Policy::from_json(&read_text(path)?) {
        Ok(p) => {
            let value = serde_json::json!({
                "valid": true, "id": p.id(), "revision": p.revision(), "tests": p.test_count(),
            });
            crate::output::report(&value, || {
                output::say_in!(
                    "{} 第 {} 版：{} 项测试通过，无冲突规则",
                    "{} revision {}: {} tests passed, no conflicting rules",
                    p.id(),
                    p.revision(),
                    p.test_count()
                )
            })?;
            Ok(EXIT_OK)
        }
        Err(e) => {
            let value = serde_json::json!({
                "valid": false, "code": e.code(), "message": e.to_string(),
            });
            crate::output::report(&value, || match output::lang() {
                output::Lang::Zh => say!("拒绝：{}（{}）{e}", e.meaning_zh(), e.code()),
                output::Lang::En => say!("refused: {e} ({})", e.code()),
            })?;
            Ok(EXIT_REJECTED)
        }
    }
}

/// `policy sign --key K.pem FILE [--out F]`.
pub(crate) fn sign(key: &Path, path: &Path, out: Option<&Path>) -> Result<u8, CliError> {
    let json = crate::files::read_bytes(path)?;
    let signed = Policy::sign(&json, &read_secret_key(key)?)?;
    match out {
        Some(out) => write_atomically(out, &signed)?,
        None => crate::output::bytes(&signed),
    }
    Ok(EXIT_OK)
}
