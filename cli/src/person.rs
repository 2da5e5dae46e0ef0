//! `token-key`, `person issue`, `person verify`. Nothing they print holds the raw name or ID
//! number: codes carry masks and a holder token, and errors never echo values.

use crate::error::{CliError, EXIT_OK};
use crate::files::{read_secret_key, read_trust_list, write_private};
use crate::lists::{read_list, read_token_key};
use crate::venue::{CodeImages, time_or_now, verdict_of};
use std::path::{Path, PathBuf};
use venuecode::gate::{Checked, SignedLists};
use venuecode::id::IdNumber;
use venuecode::person::{
    HealthStatus, NatTest, PersonalCode, PersonalIssue, Profile, VerifiedPersonalCode,
};
use venuecode::qr::EcLevel;
use venuecode::status::Resolved;
use venuecode::token::TokenKey;
use venuecode::{Error, Prefix, Timestamp};

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
    #[arg(long)]
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
    /// Dynamic codes: the colour (green, yellow, red).
    #[arg(long)]
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
    /// The issuer's URL prefix.
    #[arg(long, default_value = Prefix::EXAMPLE)]
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
    let code = PersonalCode::for_holder(&a.name, &id, &read_token_key(&a.token_key)?, &issue)?;
    let text = code.issue(&read_secret_key(&a.key)?, &Prefix::new(&a.prefix)?)?;
    a.images.write(&text, EcLevel::M)?;
    println!("{text}");
    Ok(EXIT_OK)
}

/// `person verify --json`: what staff may see, and nothing more.
#[derive(serde::Serialize)]
struct Output<'a> {
    valid: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    profile: Option<Profile>,
    #[serde(skip_serializing_if = "Option::is_none")]
    holder: Option<Holder<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<Option<HealthStatus>>,
    /// Where the status came from: fresh, stale (older than --max-status-age-hours) or unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    status_state: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status_as_of: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    generation: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    issued_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    valid_until: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    holder_matches: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
}

#[derive(serde::Serialize)]
struct Holder<'a> {
    name: &'a str,
    id: &'a str,
}

/// Where `person verify` looks beyond the code.
pub(crate) struct Lists<'a> {
    pub(crate) status: Option<&'a Path>,
    pub(crate) revocations: Option<&'a Path>,
    pub(crate) max_status_age_hours: u32,
}

/// A gate (the core's: trust list and lists loaded once) and the one instant a command
/// checks at, as `person verify`, `check` and `gate` need them.
pub(crate) struct Gate {
    pub(crate) gate: venuecode::gate::Gate,
    pub(crate) now: venuecode::Timestamp,
}

impl Gate {
    pub(crate) fn load(
        trust: &Path,
        at: Option<&str>,
        lists: &Lists<'_>,
    ) -> Result<Self, CliError> {
        let trust = read_trust_list(trust)?;
        let now = time_or_now(at)?;
        let status = lists.status.map(read_list).transpose()?;
        let revocations = lists.revocations.map(read_list).transpose()?;
        let signed = SignedLists {
            status_list: status.as_deref(),
            revocations: revocations.as_deref(),
            max_status_age_secs: i64::from(lists.max_status_age_hours) * 3600,
        };
        Ok(Gate {
            gate: venuecode::gate::Gate::load(trust, &signed, now)?,
            now,
        })
    }

    pub(crate) fn check(&self, text: &str) -> Checked {
        self.gate.check(text, self.now)
    }
}

pub(crate) fn verify(
    trust: &Path,
    at: Option<&str>,
    json: bool,
    check: Option<(&Path, &str)>,
    lists: &Lists<'_>,
    text: &str,
) -> Result<u8, CliError> {
    let checked = Gate::load(trust, at, lists)?.check(text);
    let resolved = checked.code.is_ok().then_some(checked.status);
    let matches = match (&checked.code, check) {
        (Ok(v), Some((token_key, id))) => {
            Some(read_token_key(token_key)?.holder_matches(&IdNumber::parse(id)?, &v.code().holder))
        }
        _ => None,
    };
    if json {
        println!(
            "{}",
            serde_json::to_string(&output(&checked.code, resolved, matches))
                .map_err(|e| CliError::Usage(e.to_string()))?
        );
    } else {
        print_human(&checked.code, resolved, matches);
    }
    verdict_of(checked.code.map(|_| ()))
}

fn state(resolved: Option<Resolved>) -> (Option<HealthStatus>, &'static str, Option<Timestamp>) {
    match resolved {
        Some(Resolved::Fresh(a)) => (Some(a.status), "fresh", Some(a.as_of)),
        Some(Resolved::Stale(a)) => (Some(a.status), "stale", Some(a.as_of)),
        _ => (None, "unknown", None),
    }
}

fn output(
    result: &Result<VerifiedPersonalCode, Error>,
    resolved: Option<Resolved>,
    holder_matches: Option<bool>,
) -> Output<'_> {
    let (status, status_state, status_as_of) = state(resolved);
    match result {
        Ok(v) => {
            let c = v.code();
            Output {
                valid: true,
                profile: Some(c.profile),
                holder: Some(Holder {
                    name: &c.name,
                    id: &c.id_number,
                }),
                status: Some(status),
                status_state: Some(status_state),
                status_as_of,
                generation: Some(c.generation),
                issued_at: Some(c.issued_at),
                valid_until: Some(c.valid_until),
                key_id: Some(v.key_id().to_string()),
                holder_matches,
                error: None,
                message: None,
            }
        }
        Err(e) => Output {
            valid: false,
            profile: None,
            holder: None,
            status: None,
            status_state: None,
            status_as_of: None,
            generation: None,
            issued_at: None,
            valid_until: None,
            key_id: None,
            holder_matches: None,
            error: Some(e.code()),
            message: Some(e.to_string()),
        },
    }
}

fn print_human(
    result: &Result<VerifiedPersonalCode, Error>,
    resolved: Option<Resolved>,
    holder_matches: Option<bool>,
) {
    match result {
        Ok(v) => {
            let c = v.code();
            let profile = if c.profile == Profile::Offline {
                "offline"
            } else {
                "dynamic"
            };
            println!("valid personal code ({profile})");
            println!("  holder       {}  {}", c.name, c.id_number);
            match state(resolved) {
                (Some(s), state, as_of) => {
                    let as_of = as_of.map_or_else(String::new, |t| t.to_string());
                    println!("  colour       {:?} ({state}, as of {as_of})", s.colour);
                    match s.nat {
                        Some(n) => {
                            println!("  latest test  {:?}, sampled {}", n.result, n.sampled_at)
                        }
                        None => println!("  latest test  none"),
                    }
                }
                (None, ..) => println!("  status       unknown (offline code: give --status)"),
            }
            println!("  generation   {}", c.generation);
            println!("  valid until  {}", c.valid_until);
            if let Some(m) = holder_matches {
                println!(
                    "  holder matches the ID number given: {}",
                    if m { "yes" } else { "NO" }
                );
            }
        }
        Err(e) => println!("rejected: {} ({e})", e.code()),
    }
}
