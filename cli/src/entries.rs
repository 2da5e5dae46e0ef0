//! The other ways an entry is recorded: `check-in` (a visitor's own scan of the door's code,
//! stored as the records side would store it), `register` (a person registered by hand at the
//! desk) and `resolve` (staff's final decision on a scan sent to them); and `venue-key`, the
//! authority's per-venue pseudonym key for every device of a venue.

use crate::clock::time_or_now;
use crate::error::{CliError, EXIT_OK};
use crate::files::{read_secret_text, write_private};
use crate::lists::read_token_key;
use crate::output::{self, say, shown};
use crate::policy::{DoorArgs, exit_of};
use crate::trace::TracingArgs;
use std::path::PathBuf;
use venuecode::door::{CheckInRequest, Registration, register, resolve};
use venuecode::id::IdNumber;
use venuecode::policy::Outcome;
use venuecode::pseudonym::PseudonymKey;
use venuecode::record::{RecordId, ScanRecord};

/// `check-in` options.
#[derive(Debug, clap::Args)]
pub(crate) struct CheckInArgs {
    /// The ledger the check-in is stored in (created if missing).
    #[arg(long)]
    db: PathBuf,
    #[command(flatten)]
    door: DoorArgs,
    #[command(flatten)]
    tracing: TracingArgs,
    /// The door's venue code, as the visitor's phone read it.
    #[arg(long, required_unless_present = "request")]
    venue: Option<String>,
    /// The visitor's device id.
    #[arg(long, default_value = "phone")]
    device: String,
    /// Receive the app's request instead (JSON: venue_code, personal_code, device, at), from a
    /// file or - for standard input.
    #[arg(long, conflicts_with_all = ["venue", "text"])]
    request: Option<PathBuf>,
    /// The check-in's time (and the receiver's), RFC 3339, instead of now.
    #[arg(long)]
    at: Option<String>,
    /// The visitor's own current personal code.
    #[arg(required_unless_present = "request")]
    text: Option<String>,
}

pub(crate) fn check_in(a: &CheckInArgs) -> Result<u8, CliError> {
    let now = time_or_now(a.at.as_deref())?;
    let request = match (&a.request, &a.venue, &a.text) {
        (Some(path), ..) => {
            let text = if path.as_os_str() == "-" {
                std::io::read_to_string(std::io::stdin().lock()).map_err(CliError::io(path))?
            } else {
                crate::files::read_text(path)?
            };
            CheckInRequest::from_json(&text)?
        }
        (None, Some(venue), Some(text)) => CheckInRequest {
            venue_code: venue.clone(),
            personal_code: text.clone(),
            device: a.device.clone(),
            at: now,
            companion_of: None,
        },
        _ => {
            return Err(CliError::Usage(
                "give --venue and the personal code, or --request".into(),
            ));
        }
    };
    let mut gate = a.door.gate(now)?;
    let mut ledger = crate::files::ledger(&a.db)?;
    let arrival = gate.check_in(&request, now)?;
    let keys = ledger.record_keys(&arrival.door().venue_id, a.tracing.public_key()?)?;
    let check_in = arrival.recorded(&keys);
    a.door.trust.pin.save(gate.state())?;
    let added = ledger.append(&check_in.record)?;
    if crate::output::is_json() {
        #[derive(serde::Serialize)]
        struct View<'a> {
            #[serde(flatten)]
            check_in: &'a venuecode::door::CheckIn,
            stored: bool,
        }
        output::json(&View {
            check_in: &check_in,
            stored: added,
        })?;
    } else {
        let p = &check_in.pass;
        say!("{}  {}", shown(&p.venue_name), shown(&p.door));
        say!("  {}", p.local_time);
        if let Some(h) = &p.holder {
            say!("  {}  {}", shown(&h.name), h.id_number);
        }
        if let Some(c) = p.colour {
            say!("  {}", output::colour(c));
        }
        let decision = output::decision(p.decision);
        say!(
            "  {decision}{}",
            if p.report {
                "  REPORT 立即报告"
            } else {
                ""
            }
        );
        for r in &p.reasons {
            say!("  {}", output::reason(r));
        }
        output::say_stored(check_in.record.id, added);
    }
    Ok(exit_of(check_in.pass.decision))
}

/// Staff's decision: admit or deny.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum StaffDecision {
    /// Let the person in.
    Admit,
    /// Refuse entry.
    Deny,
}

impl From<StaffDecision> for Outcome {
    fn from(d: StaffDecision) -> Self {
        match d {
            StaffDecision::Admit => Outcome::Admit,
            StaffDecision::Deny => Outcome::Deny,
        }
    }
}

/// `register` options.
#[derive(Debug, clap::Args)]
pub(crate) struct RegisterArgs {
    /// The ledger.
    #[arg(long)]
    db: PathBuf,
    /// The trust list (the door's venue code is verified).
    #[command(flatten)]
    trust: crate::trust::TrustArgs,
    /// The door's venue code.
    #[arg(long)]
    venue: String,
    /// The authority's holder-token key, so that the person is the same visitor as when they
    /// scan a code.
    #[arg(long)]
    token_key: PathBuf,
    #[command(flatten)]
    tracing: TracingArgs,
    /// The name, as on the ID card (only its mask is stored).
    #[arg(long)]
    name: String,
    /// The ID number (validated; only its mask and the venue's pseudonym are stored).
    #[arg(long)]
    id_number: String,
    /// The phone number (only its mask is stored).
    #[arg(long)]
    phone: Option<String>,
    #[command(flatten)]
    desk: DeskArgs,
}

pub(crate) fn register_person(a: &RegisterArgs) -> Result<u8, CliError> {
    let now = time_or_now(a.desk.at.as_deref())?;
    let mut state = a.trust.pin.state()?;
    let checkpoint = a.trust.config()?.checkpoint(now, &mut state)?;
    a.trust.pin.save(&state)?;
    let door = checkpoint.door(&a.venue, now)?;
    let id = IdNumber::parse(&a.id_number)?;
    let mut ledger = crate::files::ledger(&a.db)?;
    let record = register(
        &door,
        &Registration {
            name: &a.name,
            id_number: &id,
            phone: a.phone.as_deref(),
            decision: a.desk.decision.into(),
            staff: &a.desk.staff,
            device: &a.desk.device,
            at: now,
        },
        &read_token_key(&a.token_key)?,
        &ledger.record_keys(&door.venue_id, a.tracing.public_key()?)?,
    )?;
    let added = ledger.append(&record)?;
    show_record(&record, added, crate::output::is_json())?;
    Ok(exit_of(record.decision))
}

/// What staff at a desk give for each record they make: their decision, who they are, the
/// desk, when; and how to show the record.
#[derive(Debug, clap::Args)]
pub(crate) struct DeskArgs {
    /// Staff's decision.
    #[arg(long, value_enum)]
    decision: StaffDecision,
    /// The staff member's id.
    #[arg(long)]
    staff: String,
    /// The desk's device id.
    #[arg(long, default_value = "desk")]
    device: String,
    /// When, RFC 3339, instead of now.
    #[arg(long)]
    at: Option<String>,
}

/// `resolve` options.
#[derive(Debug, clap::Args)]
pub(crate) struct ResolveArgs {
    /// The ledger.
    #[arg(long)]
    db: PathBuf,
    /// The manual scan's record id (32 hex digits).
    #[arg(long)]
    record: String,
    #[command(flatten)]
    desk: DeskArgs,
}

pub(crate) fn resolve_manual(a: &ResolveArgs) -> Result<u8, CliError> {
    let now = time_or_now(a.desk.at.as_deref())?;
    let id: RecordId = a.record.parse()?;
    let mut ledger = crate::files::ledger(&a.db)?;
    let manual = ledger
        .get(id)?
        .ok_or_else(|| CliError::Usage(format!("no record {id} in the ledger")))?;
    let record = resolve(
        &manual,
        a.desk.decision.into(),
        &a.desk.staff,
        &a.desk.device,
        now,
    )?;
    let added = ledger.append(&record)?;
    show_record(&record, added, crate::output::is_json())?;
    Ok(exit_of(record.decision))
}

fn show_record(r: &ScanRecord, added: bool, json: bool) -> Result<(), CliError> {
    if json {
        return output::json(r);
    }
    say!(
        "{} {}  [{} {}]  {}",
        output::decision(r.decision),
        r.name.as_deref().map_or("-".into(), shown),
        shown(&r.venue_id),
        shown(&r.door),
        r.at.cst()
    );
    output::say_stored(r.id, added);
    Ok(())
}

/// `venue-key`: the authority derives a venue's pseudonym key from its root (a 64-hex-digit
/// secret, such as one `venuecode token-key` makes), for every device of the venue.
pub(crate) fn venue_key(
    root: &std::path::Path,
    venue_id: &str,
    out: &std::path::Path,
) -> Result<u8, CliError> {
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(read_secret_text(root)?.trim(), &mut bytes)
        .map_err(|_| venuecode::Error::InvalidKey("a root key is 64 hex digits".into()))?;
    let key = PseudonymKey::for_venue(&bytes, venue_id);
    write_private(out, key.to_hex().as_bytes())?;
    if crate::output::is_json() {
        crate::output::json(
            &serde_json::json!({ "venue_id": venue_id, "out": out.display().to_string() }),
        )?;
    } else {
        eprintln!(
            "venue key of {} written to {} (keep it secret)",
            shown(venue_id),
            out.display()
        );
    }
    Ok(EXIT_OK)
}
