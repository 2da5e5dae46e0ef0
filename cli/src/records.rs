//! `gate` (check at the door and record), and `records`: the venue manager's desensitised daily
//! view, exports and retention.

use crate::clock::time_or_now;
use crate::error::{CliError, EXIT_OK, EXIT_USAGE};
use crate::files::{Access, write_with};
use crate::output::say;
use crate::output::shown;
use crate::policy::{exit_of, show_admission};
use std::path::PathBuf;
use venuecode::record::Day;
use venuecode_ledger::{Filter, Ledger, LedgerError};

impl From<LedgerError> for CliError {
    fn from(e: LedgerError) -> Self {
        CliError::Usage(format!("{e} ({})", e.code()))
    }
}

/// `gate` options.
#[derive(Debug, clap::Args)]
pub(crate) struct GateArgs {
    /// The ledger (SQLite), created if missing.
    #[arg(long)]
    db: PathBuf,
    #[command(flatten)]
    door: crate::policy::DoorArgs,
    #[command(flatten)]
    tracing: crate::trace::TracingArgs,
    /// This door's venue code (its text): which venue and door the scan is at.
    #[arg(long)]
    venue: String,
    /// This gate's device id (1 to 64 printable ASCII characters), kept in each record.
    #[arg(long, default_value = "gate")]
    device: String,
    /// As of this RFC 3339 time instead of now.
    #[arg(long)]
    at: Option<String>,
    /// The visitor's personal code.
    text: String,
}

pub(crate) fn gate(a: &GateArgs) -> Result<u8, CliError> {
    venuecode::record::check_device_id(&a.device, "device")?;
    crate::files::check_ledger_path(&a.db)?;
    let now = time_or_now(a.at.as_deref())?;
    let mut gate = a.door.gate(now)?;
    let tracing = a.tracing.public_key()?;
    // The door's own code is the gate's configuration: if it does not verify, nothing is decided.
    let door = gate.door(&a.venue, now)?;
    let admission = gate.admit(&door, &a.text, now);
    // The decision is shown before it is stored, so a full disk or a read-only ledger does not
    // keep a person waiting; a closed standard output does not stop the storing either.
    show_admission(&admission, crate::output::is_json())?;
    // The record first, then the state; a failure of either is said, and the other still tried:
    // neither a record nor the memory of a dynamic code is dropped silently.
    let remembered = a.door.trust.pin.save(gate.state());
    let stored = Ledger::open(&a.db).and_then(|mut ledger| {
        let keys = ledger.record_keys(&door.venue_id, tracing)?;
        ledger.append(&admission.record(&keys, &a.device))
    });
    if let Err(e) = &remembered {
        eprintln!("venuecode: the gate state was NOT saved (replays and serials): {e}");
    }
    if let Err(e) = stored {
        eprintln!(
            "venuecode: the decision above was NOT recorded: {e} ({})",
            e.code()
        );
        return Ok(EXIT_USAGE);
    }
    if remembered.is_err() {
        return Ok(EXIT_USAGE);
    }
    Ok(exit_of(admission.decision))
}

/// `records` options: the daily view, or a subcommand.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct RecordsArgs {
    #[command(subcommand)]
    command: Option<RecordsCommand>,
    /// The ledger.
    #[arg(long)]
    db: Option<PathBuf>,
    /// The day (YYYY-MM-DD, China Standard Time).
    #[arg(long)]
    day: Option<String>,
    /// Only this venue.
    #[arg(long)]
    venue: Option<String>,
    /// Only this door.
    #[arg(long)]
    door: Option<String>,
    /// Also list each scan (masked).
    #[arg(long)]
    details: bool,
    /// Withhold every count below this (for statistics shared beyond the venue).
    #[arg(long)]
    k: Option<u64>,
}

#[derive(Debug, clap::Subcommand)]
enum RecordsCommand {
    /// Writes the records as JSON Lines, CSV or Apache Parquet (schema:
    /// docs/schema/scan-record-v2.json; Parquet adds the CST `day`).
    Export {
        /// The ledger.
        #[arg(long)]
        db: PathBuf,
        /// JSON Lines, CSV or Apache Parquet.
        #[arg(long, value_parser = crate::manual::export_formats())]
        format: String,
        /// The output file (written whole, then renamed into place; mode 0600), or - for
        /// standard output.
        #[arg(long)]
        out: PathBuf,
        /// Only this day.
        #[arg(long)]
        day: Option<String>,
    },
    /// Adds the records of other ledgers (a venue's gates, desks, check-in service) to one:
    /// each record once, however often it is merged; a venue whose ledgers use different
    /// pseudonym keys is refused.
    Merge {
        /// The ledger merged into (created if missing).
        #[arg(long)]
        db: PathBuf,
        /// The ledgers merged from.
        #[arg(required = true)]
        sources: Vec<PathBuf>,
    },
    /// Gives a venue its pseudonym key (from `venuecode venue-key`): provision the same key on
    /// every device of the venue, so a visitor is one visitor across its doors.
    Provision {
        /// The ledger.
        #[arg(long)]
        db: PathBuf,
        /// The venue's registry number.
        #[arg(long)]
        venue_id: String,
        /// The venue's key file (64 hex digits, mode 0600).
        #[arg(long)]
        key_file: PathBuf,
    },
    /// Deletes records older than the retention period.
    Purge {
        /// The ledger.
        #[arg(long)]
        db: PathBuf,
        /// Keep this many days.
        #[arg(long)]
        older_than: u32,
        /// As of this RFC 3339 time instead of now.
        #[arg(long)]
        at: Option<String>,
    },
}

pub(crate) fn records(a: &RecordsArgs) -> Result<u8, CliError> {
    match &a.command {
        Some(RecordsCommand::Export {
            db,
            format,
            out,
            day,
        }) => export(db, format, out, day.as_deref()),
        Some(RecordsCommand::Merge { db, sources }) => {
            let mut target = crate::files::ledger(db)?;
            for source in sources {
                if !source.is_file() {
                    return Err(CliError::Usage(format!(
                        "{}: no such ledger",
                        source.display()
                    )));
                }
                let m = target.merge_from(&crate::files::ledger(source)?)?;
                let value = serde_json::json!({
                    "source": source.display().to_string(), "added": m.added, "already": m.already,
                });
                crate::output::report(&value, || {
                    crate::output::say_in!(
                        "{}：新增记录 {} 条，已有 {} 条",
                        "{}: {} records added, {} already there",
                        source.display(),
                        m.added,
                        m.already
                    )
                })?;
            }
            Ok(EXIT_OK)
        }
        Some(RecordsCommand::Provision {
            db,
            venue_id,
            key_file,
        }) => {
            let key = venuecode::pseudonym::PseudonymKey::from_hex(
                &crate::files::read_secret_text(key_file)?,
            )?;
            crate::files::ledger(db)?.provision_venue_key(venue_id, &key)?;
            crate::output::report(&serde_json::json!({ "provisioned": venue_id }), || {
                crate::output::say_in!("场所 {} 已配置", "venue {} provisioned", shown(venue_id))
            })?;
            Ok(EXIT_OK)
        }
        Some(RecordsCommand::Purge { db, older_than, at }) => {
            let now = time_or_now(at.as_deref())?;
            let cutoff = now.saturating_add(-i64::from(*older_than) * 86_400);
            let n = crate::files::ledger(db)?.purge_before(cutoff)?;
            crate::output::report(
                &serde_json::json!({ "deleted": n, "before": cutoff }),
                || {
                    crate::output::say_in!(
                        "已删除 {} 之前的记录 {n} 条",
                        "{n} records before {} deleted",
                        cutoff.cst()
                    )
                },
            )?;
            Ok(EXIT_OK)
        }
        None => show(a),
    }
}

fn show(a: &RecordsArgs) -> Result<u8, CliError> {
    let (Some(db), Some(day)) = (&a.db, &a.day) else {
        return Err(CliError::Usage(
            "records needs --db and --day (or a subcommand: export, purge)".into(),
        ));
    };
    let day: Day = day.parse()?;
    let ledger = crate::files::ledger(db)?;
    let filter = Filter {
        day: Some(day),
        venue_id: a.venue.clone(),
        door: a.door.clone(),
    };
    let stats = ledger.daily_stats(day, &filter, None)?;
    let summary = match a.k {
        Some(k) => stats.published(k),
        None => stats.summary(),
    };
    let mut details = Vec::new();
    if a.details && a.k.is_none() {
        ledger.for_each(&filter, |r| details.push(r))?;
    }
    if crate::output::is_json() {
        /// `records --json`: the day's statistics and, with --details, its records.
        #[derive(serde::Serialize)]
        struct View<'a> {
            summary: &'a venuecode::record::StatsSummary,
            #[serde(skip_serializing_if = "Option::is_none")]
            details: Option<&'a [venuecode::record::ScanRecord]>,
        }
        crate::output::json(&View {
            summary: &summary,
            details: a.details.then_some(details.as_slice()),
        })?;
        return Ok(EXIT_OK);
    }
    let n = |v: Option<u64>| v.map_or_else(|| "<k".to_owned(), |n| n.to_string());
    crate::output::say_in!(
        "{day}：扫码 {} 次，到访 {} 人次，{} 人，上报 {} 次",
        "{day}: {} scans, {} visits, {} visitors, {} reports",
        n(summary.scans),
        n(summary.visits),
        n(summary.distinct_visitors),
        n(summary.reports)
    );
    let c = summary.by_colour;
    crate::output::say_in!(
        "  健康码    绿码 {}  黄码 {}  红码 {}  无 {}",
        "  colour    green {}  yellow {}  red {}  none {}",
        n(c.green),
        n(c.yellow),
        n(c.red),
        n(c.none)
    );
    let d = summary.by_decision;
    crate::output::say_in!(
        "  结果      通行 {}  禁止 {}  人工 {}",
        "  decision  admit {}  deny {}  manual {}",
        n(d.admit),
        n(d.deny),
        n(d.manual)
    );
    for door in &summary.by_door {
        crate::output::say_in!(
            "  门        {} {}：{}",
            "  door      {} {}: {}",
            shown(&door.venue_id),
            shown(&door.door),
            n(door.scans)
        );
    }
    for r in &details {
        say!(
            "  {}  {}  {}  {:<8} {:<20} {:<7} {:?} {}",
            r.at.cst(),
            shown(&r.venue_id),
            shown(&r.door),
            shown(r.name.as_deref().unwrap_or("-")),
            shown(r.id_number.as_deref().unwrap_or("-")),
            r.colour.map_or("-", |c| c.name()),
            r.decision,
            shown(&r.rule)
        );
    }
    Ok(EXIT_OK)
}

fn export(
    db: &std::path::Path,
    format: &str,
    out: &std::path::Path,
    day: Option<&str>,
) -> Result<u8, CliError> {
    let filter = Filter {
        day: day.map(str::parse).transpose()?,
        ..Filter::default()
    };
    let format: venuecode_ledger::export::Format = format.parse()?;
    let ledger = crate::files::ledger(db)?;
    let n = write_with(out, Access::Private, |w| {
        Ok(format.write(&ledger, &filter, w)?)
    })?;
    // Standard output holds the export itself.
    if !crate::files::is_std(out) {
        let value = serde_json::json!({ "records": n, "out": out.display().to_string() });
        crate::output::report(&value, || {
            crate::output::say_in!(
                "已写出 {n} 条记录到 {}",
                "{n} records written to {}",
                out.display()
            )
        })?;
    }
    Ok(EXIT_OK)
}
