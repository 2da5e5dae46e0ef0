//! `status build` and `revoke`: the signed lists a gate uses offline.
//!
//! `status build --in holders.csv` reads (UTF-8, header row, columns by name):
//!
//! | column | required | meaning |
//! |---|---|---|
//! | `id_number` | yes | the holder's ID number (GB 11643) |
//! | `colour` | yes | green, yellow or red |
//! | `nat` | no | negative or positive; empty for no test |
//! | `nat_sampled` | with `nat` | RFC 3339 |
//!
//! With `--slots` (the city layout, one byte a holder: SPEC.md §10.1) a column `slot` gives each
//! holder's slot, the number their offline code carries (`person issue --slot`); `id_number` is
//! then only validated. A bad row stops the build (a partial list would turn holders into
//! "unknown" at the gate); every bad row is reported by line, never with its ID number.

use crate::clock::time_or_now;
use crate::error::{CliError, EXIT_OK};
use crate::files::{read_secret_key, write_atomically};
use crate::keys::seal_of;
use std::path::{Path, PathBuf};
use venuecode::health::{HealthStatus, NatTest};
use venuecode::id::IdNumber;
use venuecode::revoke::RevocationList;
use venuecode::status::StatusList;
use venuecode::token::TokenKey;
use venuecode::{Error, Timestamp};

pub(crate) fn read_token_key(path: &Path) -> Result<TokenKey, CliError> {
    Ok(TokenKey::from_hex(&crate::files::read_secret_text(path)?)?)
}

#[derive(serde::Deserialize)]
struct HolderRow {
    id_number: String,
    #[serde(default)]
    slot: Option<u32>,
    colour: String,
    #[serde(default)]
    nat: Option<String>,
    #[serde(default)]
    nat_sampled: Option<String>,
}

fn status_of(row: &HolderRow) -> Result<HealthStatus, Error> {
    let present = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let nat = match (present(&row.nat), present(&row.nat_sampled)) {
        (None, None) => None,
        (Some(result), Some(at)) => Some(NatTest {
            result: result.parse()?,
            sampled_at: Timestamp::parse_rfc3339(&at)?,
        }),
        _ => {
            return Err(Error::InvalidInput {
                field: "nat",
                reason: "nat and nat_sampled go together".into(),
            });
        }
    };
    Ok(HealthStatus {
        colour: row.colour.trim().parse()?,
        nat,
    })
}

/// `status build` options.
#[derive(Debug, clap::Args)]
pub(crate) struct StatusBuildArgs {
    /// The signing key (PKCS#8 PEM), trusted for `status`.
    #[arg(long)]
    key: PathBuf,
    /// The authority's holder-token key.
    #[arg(long)]
    token_key: PathBuf,
    /// The holders' CSV.
    #[arg(long = "in")]
    input: PathBuf,
    /// The status list to write.
    #[arg(long)]
    out: PathBuf,
    /// The instant the statuses describe (RFC 3339); default now.
    #[arg(long)]
    as_of: Option<String>,
    /// How long gates may use the list (at most 48 hours).
    #[arg(long, default_value_t = 24)]
    valid_hours: u32,
    /// Its serial: above every status list signed before (default: the as-of time in Unix
    /// seconds).
    #[arg(long)]
    serial: Option<u64>,
    /// The city layout: one byte a holder at the slot of the CSV's `slot` column.
    #[arg(long)]
    slots: bool,
}

pub(crate) fn status_build(a: &StatusBuildArgs) -> Result<u8, CliError> {
    let tokens = read_token_key(&a.token_key)?;
    let mut reader = csv::Reader::from_path(&a.input)
        .map_err(|e| CliError::Usage(format!("{}: {e}", a.input.display())))?;
    let mut entries = Vec::new();
    let mut bad = 0;
    for (index, record) in reader.deserialize::<HolderRow>().enumerate() {
        let line = index + 2;
        let entry = record
            .map_err(|_| Error::InvalidInput {
                field: "row",
                reason: "missing or unreadable columns".into(),
            })
            .and_then(|row| {
                let token = tokens.token(&IdNumber::parse(&row.id_number)?);
                let slot = match (a.slots, row.slot) {
                    (true, None) => {
                        return Err(Error::InvalidInput {
                            field: "slot",
                            reason: "--slots needs a slot for every row".into(),
                        });
                    }
                    (_, slot) => slot,
                };
                Ok((token, slot, status_of(&row)?))
            });
        match entry {
            Ok(e) => entries.push(e),
            Err(e) => {
                bad += 1;
                eprintln!(
                    "venuecode: {}: line {line}: {e} ({})",
                    a.input.display(),
                    e.code()
                );
            }
        }
    }
    if bad > 0 {
        return Err(CliError::Usage(format!(
            "{bad} bad rows: no status list written"
        )));
    }
    let as_of = time_or_now(a.as_of.as_deref())?;
    let seal = seal_of(a.serial, as_of, i64::from(a.valid_hours) * 3600)?;
    let until = seal.valid_until;
    let count = entries.len();
    let key = read_secret_key(&a.key)?;
    let bytes = if a.slots {
        let mut slots: Vec<Option<HealthStatus>> = Vec::new();
        for (_, slot, status) in entries {
            let i = usize::try_from(slot.unwrap_or(u32::MAX))
                .ok()
                .filter(|&i| i < venuecode::MAX_LIST_BYTES)
                .ok_or_else(|| CliError::Usage("slot beyond the largest list".into()))?;
            if slots.len() <= i {
                slots.resize(i + 1, None);
            }
            if slots[i].replace(status).is_some() {
                return Err(CliError::Usage(format!("slot {i} is given twice")));
            }
        }
        StatusList::build_slots(slots, seal, &key)?
    } else {
        let entries = entries.into_iter().map(|(t, _, s)| (t, s)).collect();
        StatusList::build(entries, seal, &key)?
    };
    write_atomically(&a.out, &bytes)?;
    crate::output::report(
        &serde_json::json!({ "holders": count, "bytes": bytes.len(), "valid_until": until }),
        || {
            crate::output::say_in!(
                "{count} 人，{} 字节，有效期至 {}",
                "{count} holders, {} bytes, valid until {}",
                bytes.len(),
                until.cst()
            )
        },
    )?;
    Ok(EXIT_OK)
}

/// `revoke` options.
#[derive(Debug, clap::Args)]
pub(crate) struct RevokeArgs {
    /// The signing key (PKCS#8 PEM), trusted for `status`.
    #[arg(long)]
    key: PathBuf,
    /// The revocation list to write.
    #[arg(long)]
    out: PathBuf,
    /// A venue code's text to revoke (repeatable).
    #[arg(long = "venue")]
    venues: Vec<String>,
    /// ID_NUMBER:N — supersede the holder's personal codes below generation N (repeatable).
    #[arg(long = "holder", requires = "token_key")]
    holders: Vec<String>,
    /// The authority's holder-token key (for --holder).
    #[arg(long)]
    token_key: Option<PathBuf>,
    /// Issued-at (RFC 3339); default now.
    #[arg(long)]
    issued: Option<String>,
    /// How long gates may use the list (at most 168 hours: a week).
    #[arg(long, default_value_t = 24)]
    valid_hours: u32,
    /// Its serial: above every revocation list signed before (default: the issue time in
    /// Unix seconds).
    #[arg(long)]
    serial: Option<u64>,
}

pub(crate) fn revoke(a: &RevokeArgs) -> Result<u8, CliError> {
    let tokens = a.token_key.as_deref().map(read_token_key).transpose()?;
    let mut holders = Vec::new();
    for spec in &a.holders {
        let (id, below) = spec
            .rsplit_once(':')
            .ok_or_else(|| CliError::Usage("--holder takes ID_NUMBER:GENERATION".into()))?;
        let below: u16 = below
            .parse()
            .map_err(|_| CliError::Usage("--holder: the generation is 0 to 65535".into()))?;
        let tokens = tokens
            .as_ref()
            .ok_or_else(|| CliError::Usage("--holder needs --token-key".into()))?;
        holders.push((tokens.token(&IdNumber::parse(id)?), below));
    }
    let issued = time_or_now(a.issued.as_deref())?;
    let seal = seal_of(a.serial, issued, i64::from(a.valid_hours) * 3600)?;
    let until = seal.valid_until;
    let venues: Vec<&str> = a.venues.iter().map(String::as_str).collect();
    let bytes = RevocationList::build(&venues, &holders, seal, &read_secret_key(&a.key)?)?;
    write_atomically(&a.out, &bytes)?;
    let value = serde_json::json!({
        "venue_codes": venues.len(), "holders": holders.len(), "bytes": bytes.len(),
        "valid_until": until,
    });
    crate::output::report(&value, || {
        crate::output::say_in!(
            "场所码 {} 个，持码人 {} 人，有效期至 {}",
            "{} venue codes, {} holders, valid until {}",
            venues.len(),
            holders.len(),
            until.cst()
        )
    })?;
    Ok(EXIT_OK)
}

pub(crate) fn read_list(path: &Path) -> Result<Vec<u8>, CliError> {
    let too_long = || -> CliError {
        venuecode::Error::from(venuecode::FormatError::TooLong {
            max: venuecode::MAX_LIST_BYTES,
        })
        .into()
    };
    // A file's size is known before reading it; standard input's only after.
    if !crate::files::is_std(path) {
        let len = std::fs::metadata(path).map_err(CliError::io(path))?.len();
        if len > venuecode::MAX_LIST_BYTES as u64 {
            return Err(too_long());
        }
    }
    let bytes = crate::files::read_bytes(path)?;
    if bytes.len() > venuecode::MAX_LIST_BYTES {
        return Err(too_long());
    }
    Ok(bytes)
}

/// `status delta` options.
#[derive(Debug, clap::Args)]
pub(crate) struct StatusDeltaArgs {
    /// The list the gates hold (slot layout).
    #[arg(long)]
    from: PathBuf,
    /// The new list.
    #[arg(long)]
    to: PathBuf,
    /// The delta to write.
    #[arg(long)]
    out: PathBuf,
}

pub(crate) fn status_delta(a: &StatusDeltaArgs) -> Result<u8, CliError> {
    let delta = venuecode::status_delta::delta(&read_list(&a.from)?, &read_list(&a.to)?)?;
    write_atomically(&a.out, &delta)?;
    crate::output::report(&serde_json::json!({ "bytes": delta.len() }), || {
        crate::output::say_in!("{} 字节", "{} bytes", delta.len())
    })?;
    Ok(EXIT_OK)
}

/// `status apply` options.
#[derive(Debug, clap::Args)]
pub(crate) struct StatusApplyArgs {
    /// The list the gate holds.
    #[arg(long)]
    list: PathBuf,
    /// The delta (from `status delta`).
    #[arg(long)]
    delta: PathBuf,
    /// Where to write the new list; the gate verifies it when it loads it (`--status`).
    #[arg(long)]
    out: PathBuf,
}

pub(crate) fn status_apply(a: &StatusApplyArgs) -> Result<u8, CliError> {
    let list = venuecode::status_delta::apply(&read_list(&a.list)?, &read_list(&a.delta)?)?;
    write_atomically(&a.out, &list)?;
    crate::output::report(&serde_json::json!({ "bytes": list.len() }), || {
        crate::output::say_in!("{} 字节", "{} bytes", list.len())
    })?;
    Ok(EXIT_OK)
}
