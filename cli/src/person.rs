//! `token-key`, `person issue`, `person verify`. Nothing they print holds the raw name or ID
//! number: codes carry masks and a holder token, and errors never echo values.

use crate::clock::time_or_now;
use crate::error::{CliError, EXIT_OK};
use crate::files::{read_secret_key, write_private};
use crate::lists::read_token_key;
use crate::output::{self, say, say_in, shown};
use crate::policy::ListArgs;
use crate::venue::{CodeImages, verdict_of};
use std::path::{Path, PathBuf};
use venuecode::door::PersonalReport;
use venuecode::health::{HealthStatus, NatTest};
use venuecode::id::IdNumber;
use venuecode::person::{PersonalCode, PersonalIssue, Profile};
use venuecode::qr::EcLevel;
use venuecode::status::Resolved;
use venuecode::token::TokenKey;
use venuecode::{Prefix, Timestamp};

/// `person issue` options.
#[derive(Debug, clap::Args)]
pub(crate) struct IssueArgs {
    /// The signing key (PKCS#8 PEM), trusted for personal codes.
    #[arg(long)]
    key: PathBuf,
    /// The authority's holder-token key (from `venuecode token-key`).
    #[arg(long)]
    token_key: PathBuf,
    /// offline (printed, 180 days, no status) or dynamic (on screen, 60 s, with status).
    #[arg(long, value_parser = crate::manual::profiles())]
    profile: String,
    /// The holder's name; only its masked form enters the code.
    #[arg(long)]
    name: String,
    /// The holder's ID number (GB 11643); only its mask and holder token enter the code.
    #[arg(long)]
    id_number: String,
    /// Re-issue counter; raise it when a code is lost.
    #[arg(long, default_value_t = 0)]
    generation: u16,
    /// Offline codes: the holder's slot in the city status list (`status build --slots`).
    #[arg(long)]
    slot: Option<u32>,
    /// Dynamic codes: the colour.
    #[arg(long, value_parser = crate::manual::colours())]
    colour: Option<String>,
    /// Dynamic codes: the latest nucleic-acid test (negative, positive).
    #[arg(long, requires = "nat_sampled")]
    nat: Option<String>,
    /// When the test's sample was taken (RFC 3339).
    #[arg(long, requires = "nat")]
    nat_sampled: Option<String>,
    /// Issued-at (RFC 3339); default now.
    #[arg(long)]
    issued: Option<String>,
    /// Validity in seconds; default 180 days (offline) or 60 s (dynamic).
    #[arg(long)]
    valid_seconds: Option<u32>,
    /// The issuer's URL prefix (HTTPS://, QR alphanumeric, ending in /), e.g.
    /// HTTPS://VC.SH.GOV.CN/1/. Required: there is no default, so that no code points at a host
    /// its issuer does not own. May come from the environment.
    #[arg(long, env = "VENUECODE_PREFIX")]
    prefix: String,
    /// Images of the code (for printing an offline code).
    #[command(flatten)]
    images: CodeImages,
}

pub(crate) fn token_key(out: &Path) -> Result<u8, CliError> {
    write_private(out, TokenKey::generate()?.to_hex().as_bytes())?;
    eprintln!("token key written to {} (keep it secret)", out.display());
    Ok(EXIT_OK)
}

pub(crate) fn issue(a: &IssueArgs) -> Result<u8, CliError> {
    let status = match &a.colour {
        None => None,
        Some(colour) => Some(HealthStatus {
            colour: colour.parse()?,
            nat: match (&a.nat, &a.nat_sampled) {
                (Some(result), Some(at)) => Some(NatTest {
                    result: result.parse()?,
                    sampled_at: Timestamp::parse_rfc3339(at)?,
                }),
                _ => None,
            },
        }),
    };
    let issue = PersonalIssue {
        profile: a.profile.parse::<Profile>()?,
        generation: a.generation,
        issued_at: time_or_now(a.issued.as_deref())?,
        valid_secs: a.valid_seconds,
        status,
    };
    let id = IdNumber::parse(&a.id_number)?;
    let mut code = PersonalCode::for_holder(&a.name, &id, &read_token_key(&a.token_key)?, &issue)?;
    if let Some(slot) = a.slot {
        code = code.with_slot(slot)?;
    }
    let text = code.issue(&read_secret_key(&a.key)?, &Prefix::new(&a.prefix)?)?;
    a.images.write(&text, EcLevel::M)?;
    crate::output::report(
        &serde_json::json!({ "text": text, "profile": issue.profile }),
        || say!("{text}"),
    )?;
    Ok(EXIT_OK)
}

/// `person verify --json`: the core's report, and whether the holder matches an ID number.
#[derive(serde::Serialize)]
struct Output {
    #[serde(flatten)]
    report: PersonalReport,
    #[serde(skip_serializing_if = "Option::is_none")]
    holder_matches: Option<bool>,
}

pub(crate) fn verify(
    trust: &crate::trust::TrustArgs,
    at: Option<&str>,
    json: bool,
    check: Option<(&Path, &str)>,
    lists: &ListArgs,
    text: &str,
) -> Result<u8, CliError> {
    let now = time_or_now(at)?;
    let checked = crate::policy::load_gate(trust, &lists.config(trust)?, now)?.check(text, now);
    let holder_matches = match (&checked.code, check) {
        (Ok(v), Some((token_key, id))) => {
            Some(read_token_key(token_key)?.holder_matches(&IdNumber::parse(id)?, &v.code().holder))
        }
        _ => None,
    };
    let report = PersonalReport::of(&checked);
    if json {
        output::json(&Output {
            report,
            holder_matches,
        })?;
    } else {
        print_human(&report, holder_matches);
    }
    verdict_of(checked.code.map(|_| ()))
}

fn print_human(r: &PersonalReport, holder_matches: Option<bool>) {
    let zh = crate::output::lang() == crate::output::Lang::Zh;
    let (Some(profile), Some(holder)) = (r.profile, &r.holder) else {
        let message = r.message.as_deref().unwrap_or("");
        let code = r.code.name();
        if zh {
            say!("拒绝：{}（{code}）{message}", crate::error::error_zh(code));
        } else {
            say!("rejected: {code} ({message})");
        }
        return;
    };
    let profile = match (profile, zh) {
        (Profile::Offline, true) => "离线码",
        (Profile::Dynamic, true) => "动态码",
        (Profile::Offline, false) => "offline",
        (Profile::Dynamic, false) => "dynamic",
    };
    say_in!("个人码有效（{profile}）", "valid personal code ({profile})");
    // Every output of a verified code names its host (SPEC.md §7): the one the signing key is
    // scoped to, which a visitor can compare with the address their phone opened.
    if let Some(host) = &r.host {
        say_in!("  签发域名     {}", "  host         {}", shown(host));
    }
    say_in!(
        "  持码人       {}  {}",
        "  holder       {}  {}",
        shown(&holder.name),
        holder.id_number
    );
    let state = match (r.status, zh) {
        (Resolved::Fresh(_), false) => "fresh",
        (Resolved::Stale(_), false) => "stale",
        (Resolved::Unknown, false) => "unknown",
        (Resolved::Fresh(_), true) => "最新",
        (Resolved::Stale(_), true) => "已过时",
        (Resolved::Unknown, true) => "未知",
    };
    match r.status.answer() {
        Some(a) => {
            say_in!(
                "  健康码       {}（{state}，截至 {}）",
                "  colour       {} ({state}, as of {})",
                crate::output::colour(a.status.colour),
                a.as_of.cst()
            );
            match a.status.nat {
                Some(n) => say_in!(
                    "  最近核酸     {}，采样于 {}",
                    "  latest test  {}, sampled {}",
                    crate::output::nat(n.result),
                    n.sampled_at.cst()
                ),
                None => say_in!("  最近核酸     无", "  latest test  none"),
            }
        }
        None => say_in!(
            "  状态         未知（离线码：请给 --status）",
            "  status       unknown (offline code: give --status)"
        ),
    }
    if let Some(g) = r.generation {
        say_in!("  代次         {g}", "  generation   {g}");
    }
    if let Some(t) = r.valid_until {
        say_in!("  有效期至     {}", "  valid until  {}", t.cst());
    }
    if let Some(m) = holder_matches {
        match (m, zh) {
            (true, true) => say!("  与所给身份证号一致：是"),
            (false, true) => say!("  与所给身份证号一致：否"),
            (m, false) => say!(
                "  holder matches the ID number given: {}",
                if m { "yes" } else { "NO" }
            ),
        }
    }
}
