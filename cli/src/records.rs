//! `gate` (check at the door and record), and `records`: the venue manager's desensitised daily
//! view, exports and retention.

use crate::error::{CliError, EXIT_OK, EXIT_REJECTED, EXIT_USAGE};
use crate::person::Gate;
use crate::policy::EXIT_MANUAL;
use crate::venue::time_or_now;
use std::io::Write;
use std::path::PathBuf;
use venuecode::policy::Outcome;
use venuecode::pseudonym::PseudonymKey;
use venuecode::record::{Day, ScanRecord};
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
    /// This door's venue code (its text): which venue and door the scan is at.
    #[arg(long)]
    venue: String,
    /// As of this RFC 3339 time instead of now.
    #[arg(long)]
    at: Option<String>,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
    /// The visitor's personal code.
    text: String,
}

pub(crate) fn gate(a: &GateArgs) -> Result<u8, CliError> {
    let gate = Gate::load(&a.door.trust, a.at.as_deref(), &a.door.lists())?;
    // The door's own code is the gate's configuration: if it does not verify, nothing is decided.
    let venue = gate.gate.verify_venue_code(&a.venue, gate.now)?;
    let policy = a.door.load_policy(&gate)?;
    let checked = gate.check(&a.text);
    let v = venue.venue();
    let class = v.venue_type.policy_class();
    let d = checked.decide(&policy, class);
    // A ledger that cannot even be opened (read-only, full disk) must not stop the decision
    // either: it is shown, then reported as not recorded.
    let ledger = Ledger::open(&a.db);
    let unstored = PseudonymKey::from_bytes([0; 32]);
    let key = ledger.as_ref().map_or(&unstored, Ledger::pseudonym_key);
    let record = ScanRecord::of(&checked, &d, &v.id, &v.door, key);
    // The decision is shown before it is stored: a full disk must not keep a person waiting.
    if a.json {
        println!(
            "{}",
            serde_json::to_string(&serde_json::json!({
                "decision": d.decision, "report": d.report, "rule": d.rule, "reasons": d.reasons,
                "policy": policy.id(), "venue": v.id, "door": v.door, "class": class,
                "code": record.code_state, "holder": [record.name, record.id_number],
            }))
            .map_err(|e| CliError::Usage(e.to_string()))?
        );
    } else {
        let verdict = match d.decision {
            Outcome::Admit => "ADMIT 通行",
            Outcome::Deny => "DENY 不予通行",
            Outcome::Manual => "MANUAL CHECK 人工核验",
        };
        println!(
            "{verdict}{}  [{} {}]",
            if d.report {
                "  — REPORT NOW 立即报告"
            } else {
                ""
            },
            v.name,
            v.door
        );
        println!("  reason   {} / {}", d.reasons[0].zh, d.reasons[0].en);
    }
    let _ = std::io::stdout().flush();
    if let Err(e) = ledger.and_then(|mut l| l.append(&record)) {
        eprintln!(
            "venuecode: the decision above was NOT recorded: {e} ({})",
            e.code()
        );
        return Ok(EXIT_USAGE);
    }
    Ok(match d.decision {
        Outcome::Admit => EXIT_OK,
        Outcome::Deny => EXIT_REJECTED,
        Outcome::Manual => EXIT_MANUAL,
    })
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
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Subcommand)]
enum RecordsCommand {
    /// Writes the records as JSON Lines, CSV or Apache Parquet (schema:
    /// docs/schema/scan-record-v1.json; Parquet adds the CST `day`).
    Export {
        /// The ledger.
        #[arg(long)]
        db: PathBuf,
        /// jsonl, csv or parquet.
        #[arg(long)]
        format: String,
        /// The output file.
        #[arg(long)]
        out: PathBuf,
        /// Only this day.
        #[arg(long)]
        day: Option<String>,
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

/// The CSV columns of an export, in order.
pub(crate) const CSV_COLUMNS: [&str; 13] = [
    "venue_id",
    "door",
    "at",
    "pseudonym",
    "name",
    "id_number",
    "profile",
    "code_state",
    "colour",
    "test_age_hours",
    "decision",
    "report",
    "rule",
];

fn csv_row(r: &ScanRecord) -> Vec<String> {
    let json = serde_json::to_value(r).unwrap_or_default();
    CSV_COLUMNS
        .iter()
        .map(|c| match &json[*c] {
            serde_json::Value::Null => String::new(),
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Array(bytes) => bytes
                .iter()
                .filter_map(|b| b.as_u64())
                .map(|b| format!("{b:02x}"))
                .collect(),
            other => other.to_string(),
        })
        .collect()
}

pub(crate) fn records(a: &RecordsArgs) -> Result<u8, CliError> {
    match &a.command {
        Some(RecordsCommand::Export {
            db,
            format,
            out,
            day,
        }) => export(db, format, out, day.as_deref()),
        Some(RecordsCommand::Purge { db, older_than, at }) => {
            let now = time_or_now(at.as_deref())?;
            let cutoff = now.saturating_add(-i64::from(*older_than) * 86_400);
            let n = Ledger::open(db)?.purge_before(cutoff)?;
            println!("{n} records before {cutoff} deleted");
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
    let ledger = Ledger::open(db)?;
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
    if a.json {
        let value = serde_json::json!({ "summary": summary, "details": if a.details { Some(&details) } else { None } });
        println!(
            "{}",
            serde_json::to_string(&value).map_err(|e| CliError::Usage(e.to_string()))?
        );
        return Ok(EXIT_OK);
    }
    let n = |v: Option<u64>| v.map_or_else(|| "<k".to_owned(), |n| n.to_string());
    println!(
        "{day}: {} scans, {} visits, {} visitors, {} reports",
        n(summary.scans),
        n(summary.visits),
        n(summary.distinct_visitors),
        n(summary.reports)
    );
    let c = summary.by_colour;
    println!(
        "  colour    green {}  yellow {}  red {}  none {}",
        n(c.green),
        n(c.yellow),
        n(c.red),
        n(c.none)
    );
    let d = summary.by_decision;
    println!(
        "  decision  admit {}  deny {}  manual {}",
        n(d.admit),
        n(d.deny),
        n(d.manual)
    );
    for (door, count) in &summary.by_door {
        println!("  door      {door}: {}", n(*count));
    }
    for r in &details {
        println!(
            "  {}  {}  {:<8} {:<20} {:<7} {:?} {}",
            r.at,
            r.door,
            r.name.as_deref().unwrap_or("-"),
            r.id_number.as_deref().unwrap_or("-"),
            r.colour.map_or("-".into(), |c| format!("{c:?}")),
            r.decision,
            r.rule
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
    if !["jsonl", "csv", "parquet"].contains(&format) {
        return Err(CliError::Usage("--format is jsonl, csv or parquet".into()));
    }
    let ledger = Ledger::open(db)?;
    let file = std::fs::File::create(out).map_err(CliError::io(out))?;
    if format == "parquet" {
        let n = venuecode_ledger::parquet::export(&ledger, &filter, std::io::BufWriter::new(file))?;
        println!("{n} records written to {}", out.display());
        return Ok(EXIT_OK);
    }
    let mut w = std::io::BufWriter::new(file);
    let mut failed: Option<std::io::Error> = None;
    let n = match format {
        "jsonl" => ledger.for_each(&filter, |r| {
            if failed.is_none()
                && let Err(e) = serde_json::to_writer(&mut w, &r)
                    .map_err(std::io::Error::from)
                    .and_then(|()| w.write_all(b"\n"))
            {
                failed = Some(e);
            }
        })?,
        "csv" => {
            let mut csv = csv::Writer::from_writer(&mut w);
            csv.write_record(CSV_COLUMNS)
                .map_err(|e| CliError::Usage(e.to_string()))?;
            let n = ledger.for_each(&filter, |r| {
                if failed.is_none()
                    && let Err(e) = csv.write_record(csv_row(&r))
                {
                    failed = Some(e.into());
                }
            })?;
            csv.flush().map_err(CliError::io(out))?;
            n
        }
        _ => unreachable!("checked above"),
    };
    if let Some(e) = failed {
        return Err(CliError::Io {
            path: out.to_owned(),
            source: e,
        });
    }
    w.flush().map_err(CliError::io(out))?;
    println!("{n} records written to {}", out.display());
    Ok(EXIT_OK)
}
