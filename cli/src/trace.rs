//! Trace-back (追溯排查) for the authority: its tracing key, what venues seal with, the holder
//! and venue queries over ledgers and Parquet exports, the index for SQL engines, and the audit
//! log every query is written to before its answer is shown.

use crate::clock::time_or_now;
use crate::error::CliError;
use crate::files::{read_secret_text, write_private};
use crate::lists::read_token_key;
use crate::output::{say, say_in, shown};
use std::path::{Path, PathBuf};
use venuecode::trace::{
    DEFAULT_WINDOW_MINUTES, HolderReport, TraceKey, TracePublicKey, VenueReport,
};
use venuecode_ledger::LedgerError;
use venuecode_ledger::audit;
use venuecode_ledger::desk::{self, Answer, DeskError, Person, TraceDesk};
use venuecode_ledger::presence::{OpenedWriter, read_presences};

/// The authority's public tracing key, which every record's holder reference is sealed to.
#[derive(Debug, clap::Args)]
pub(crate) struct TracingArgs {
    /// The authority's public tracing key (64 hex digits, from `trace key`).
    #[arg(long, env = "VENUECODE_TRACE_PUB")]
    trace_pub: PathBuf,
}

impl TracingArgs {
    /// The key, read before anything is decided: a gate without it could record nothing
    /// traceable.
    pub(crate) fn public_key(&self) -> Result<TracePublicKey, CliError> {
        Ok(TracePublicKey::from_hex(&crate::files::read_text(
            &self.trace_pub,
        )?)?)
    }
}

/// `trace` subcommands.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum TraceCommand {
    /// Makes the authority's tracing key (64 hex digits, mode 0600) and its public half, for
    /// every venue device, beside it as FILE.pub.
    Key {
        /// Where to write the key; an existing file is never overwritten.
        #[arg(long)]
        out: PathBuf,
    },
    /// Every visit of one person (venue, door, time, origin) and, for each, the people present
    /// at the venue within the window, as holder tokens.
    Holder(Box<HolderArgs>),
    /// Everyone present at a venue in a period, as holder tokens.
    Venue(Box<VenueArgs>),
    /// The authority's index of the sources' records: record id and holder token, as Parquet,
    /// for SQL over Parquet exports in DuckDB or Spark (SPEC.md §15.3).
    Open(Box<OpenArgs>),
    /// Verifies an audit log's chain of MACs under the tracing key's audit key, against the
    /// head kept beside it (or --head-file); with --head, that it ends at a head kept elsewhere.
    Audit {
        /// The audit log.
        #[arg(long)]
        log: PathBuf,
        /// The authority's tracing key (mode 0600): the log's MACs are under a key derived from
        /// it.
        #[arg(long)]
        trace_key: PathBuf,
        /// The file the log's head is kept in (default: the log's path with `.head` added).
        #[arg(long)]
        head_file: Option<PathBuf>,
        /// The head MAC the log must end at (printed by every query).
        #[arg(long)]
        head: Option<String>,
    },
}

/// Who asks, why, with which key, logged where.
#[derive(Debug, clap::Args)]
pub(crate) struct Asker {
    /// The authority's tracing key (mode 0600).
    #[arg(long)]
    trace_key: PathBuf,
    /// Who asks: the official's id, written to the audit log.
    #[arg(long)]
    by: String,
    /// Why: the case the query serves, written to the audit log.
    #[arg(long)]
    reason: String,
    /// The audit log (JSON Lines, a chain of MACs), created if missing.
    #[arg(long, env = "VENUECODE_TRACE_AUDIT")]
    audit: PathBuf,
    /// The file the log's head is kept in (default: the log's path with `.head` added); better
    /// on other storage than the log.
    #[arg(long, env = "VENUECODE_TRACE_AUDIT_HEAD")]
    audit_head: Option<PathBuf>,
    /// As of this RFC 3339 time instead of now (the audit entry's time).
    #[arg(long)]
    at: Option<String>,
}

/// `trace holder` options.
#[derive(Debug, clap::Args)]
pub(crate) struct HolderArgs {
    #[command(flatten)]
    asker: Asker,
    /// The authority's holder-token key (with --id-number).
    #[arg(long, requires = "id_number")]
    token_key: Option<PathBuf>,
    /// The person's ID number (only its holder token is logged).
    #[arg(long, requires = "token_key", required_unless_present = "holder")]
    id_number: Option<String>,
    /// The person's holder token instead (32 hex digits: a contact of an earlier trace).
    #[arg(long, conflicts_with = "id_number")]
    holder: Option<String>,
    /// From this RFC 3339 time.
    #[arg(long)]
    from: Option<String>,
    /// To this RFC 3339 time.
    #[arg(long)]
    to: Option<String>,
    /// Co-visitors within this many minutes either side of each visit.
    #[arg(long, default_value_t = DEFAULT_WINDOW_MINUTES)]
    window_minutes: u32,
    /// Ledgers and Parquet exports.
    #[arg(required = true)]
    sources: Vec<PathBuf>,
}

/// `trace venue` options.
#[derive(Debug, clap::Args)]
pub(crate) struct VenueArgs {
    #[command(flatten)]
    asker: Asker,
    /// The venue's registry number.
    #[arg(long)]
    venue: String,
    /// From this RFC 3339 time.
    #[arg(long)]
    from: String,
    /// To this RFC 3339 time.
    #[arg(long)]
    to: String,
    /// Ledgers and Parquet exports.
    #[arg(required = true)]
    sources: Vec<PathBuf>,
}

/// `trace open` options.
#[derive(Debug, clap::Args)]
pub(crate) struct OpenArgs {
    #[command(flatten)]
    asker: Asker,
    /// Where to write the index (Parquet, mode 0600); an existing file is never overwritten.
    #[arg(long)]
    out: PathBuf,
    /// Ledgers and Parquet exports.
    #[arg(required = true)]
    sources: Vec<PathBuf>,
}

pub(crate) fn run(command: &TraceCommand) -> Result<u8, CliError> {
    match command {
        TraceCommand::Key { out } => key(out),
        TraceCommand::Holder(a) => holder(a),
        TraceCommand::Venue(a) => venue(a),
        TraceCommand::Open(a) => open(a),
        TraceCommand::Audit {
            log,
            trace_key,
            head_file,
            head,
        } => {
            let key = TraceKey::from_hex(&read_secret_text(trace_key)?)?;
            let mut audit = audit::AuditLog::new(log.clone(), key.audit_key());
            if let Some(file) = head_file {
                audit = audit.with_head(file.clone());
            }
            verify_audit(&audit, head.as_deref(), crate::output::is_json())
        }
    }
}

fn key(out: &Path) -> Result<u8, CliError> {
    let key = TraceKey::generate()?;
    let public = with_suffix(out, ".pub");
    if public.exists() {
        return Err(CliError::Usage(format!(
            "{}: exists; it is never overwritten",
            public.display()
        )));
    }
    write_private(out, key.to_hex().as_bytes())?;
    crate::files::write_atomically(&public, key.public().to_hex().as_bytes())?;
    let value = serde_json::json!({
        "secret": out.display().to_string(), "public": public.display().to_string(),
    });
    crate::output::report(&value, || {
        say_in!(
            "已写入 {}（私钥）和 {}",
            "wrote {} (secret) and {}",
            out.display(),
            public.display()
        )
    })?;
    Ok(0)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

impl Asker {
    /// The desk this asker works at: the tracing key, the holder-token key if given, the log.
    fn desk(&self, token_key: Option<&Path>) -> Result<TraceDesk, CliError> {
        let key = TraceKey::from_hex(&read_secret_text(&self.trace_key)?)?;
        let token_key = token_key.map(read_token_key).transpose()?;
        let mut log = audit::AuditLog::new(self.audit.clone(), key.audit_key());
        if let Some(head) = &self.audit_head {
            log = log.with_head(head.clone());
        }
        Ok(TraceDesk::new(key, token_key, std::sync::Arc::new(log)))
    }

    fn asked<'a>(&'a self, at: venuecode::Timestamp) -> desk::Asker<'a> {
        desk::Asker {
            by: &self.by,
            reason: &self.reason,
            at,
        }
    }
}

/// The files' presences, one after another (a file holds every day: the period is the trace's).
fn files(sources: &[PathBuf]) -> Box<desk::Read<'_, LedgerError>> {
    Box::new(move |_, _, f| {
        for source in sources {
            read_presences(source, &mut *f)?;
        }
        Ok(())
    })
}

impl From<DeskError<LedgerError>> for CliError {
    fn from(e: DeskError<LedgerError>) -> CliError {
        match e {
            DeskError::Refused(e) => e.into(),
            DeskError::Source(e) | DeskError::Audit(e) => e.into(),
        }
    }
}

fn source_names(sources: &[PathBuf]) -> Vec<String> {
    sources.iter().map(|p| p.display().to_string()).collect()
}

fn holder(a: &HolderArgs) -> Result<u8, CliError> {
    let person = match (&a.holder, &a.id_number, &a.token_key) {
        (Some(token), _, _) => Person::Holder(token),
        (None, Some(id), Some(_)) => Person::IdNumber(id),
        _ => {
            return Err(CliError::Usage(
                "--holder, or --id-number with --token-key".into(),
            ));
        }
    };
    let desk = a.asker.desk(a.token_key.as_deref())?;
    let period = desk::period(a.from.as_deref(), a.to.as_deref())?;
    let at = time_or_now(a.asker.at.as_deref())?;
    let answer = desk.holder(
        &a.asker.asked(at),
        person,
        period,
        a.window_minutes,
        &source_names(&a.sources),
        &mut *files(&a.sources),
    )?;
    show(&answer, show_holder)
}

/// Shows an answer whose query the desk has logged: JSON with the log's new head, or text.
fn show<T: serde::Serialize>(answer: &Answer<T>, text: fn(&T, &str)) -> Result<u8, CliError> {
    if crate::output::is_json() {
        crate::output::json(&answer.logged())?;
    } else {
        text(&answer.report, &answer.audit_head);
    }
    Ok(0)
}

fn show_holder(r: &HolderReport, head: &str) {
    say_in!(
        "持码人 {}：到访 {} 次，密接 {} 人（{} 分钟内）",
        "holder {}: {} visits, {} distinct contacts within {} minutes",
        r.holder,
        r.visits.len(),
        r.contacts,
        r.window_minutes
    );
    for v in &r.visits {
        say_in!(
            "  {}  {} {} {} {}：密接 {} 人",
            "  {}  {} {} {} {}: {} contacts",
            v.at.cst(),
            shown(&v.venue_id),
            shown(&v.door),
            crate::output::origin(v.origin),
            crate::output::decision(v.decision),
            v.contacts.len()
        );
        for c in &v.contacts {
            say!(
                "    {}  {}  {} {}",
                c.holder,
                c.at.cst(),
                shown(&c.door),
                crate::output::origin(c.origin)
            );
        }
    }
    show_coverage(&r.coverage, head);
}

fn show_coverage(c: &venuecode::trace::Coverage, head: &str) {
    say_in!(
        "读取记录 {} 条：无密封引用 {} 条，此密钥无法开启 {} 条",
        "read {} records: {} without a sealed reference, {} that did not open with this key",
        c.records,
        c.unsealed,
        c.unopened
    );
    say_in!("审计日志头 {head}", "audit log head {head}");
}

fn venue(a: &VenueArgs) -> Result<u8, CliError> {
    let desk = a.asker.desk(None)?;
    let period = desk::period(Some(&a.from), Some(&a.to))?;
    let at = time_or_now(a.asker.at.as_deref())?;
    let answer = desk.venue(
        &a.asker.asked(at),
        &a.venue,
        period,
        &source_names(&a.sources),
        &mut *files(&a.sources),
    )?;
    show(&answer, show_venue)
}

fn show_venue(r: &VenueReport, head: &str) {
    say_in!(
        "场所 {}：在场 {} 人",
        "venue {}: {} people present",
        shown(&r.venue_id),
        r.present.len()
    );
    for p in &r.present {
        let first = p.entries.first();
        say_in!(
            "  {}  进入 {} 次，首次 {} {}",
            "  {}  {} entries, first {} {}",
            p.holder,
            p.entries.len(),
            first.map(|e| e.at.cst()).unwrap_or_default(),
            first.map(|e| shown(&e.door)).unwrap_or_default()
        );
    }
    show_coverage(&r.coverage, head);
}

fn open(a: &OpenArgs) -> Result<u8, CliError> {
    let desk = a.asker.desk(None)?;
    let at = time_or_now(a.asker.at.as_deref())?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(&a.out).map_err(CliError::io(&a.out))?;
    let mut index = OpenedWriter::new(std::io::BufWriter::new(file))?;
    let mut coverage = venuecode::trace::Coverage::default();
    // Logged before the index is finished: a query is in the log before anything is given.
    let head = desk.open(
        &a.asker.asked(at),
        &source_names(&a.sources),
        &mut coverage,
        &mut *files(&a.sources),
        &mut |presence, holder| index.push(presence.id, holder),
    )?;
    let rows = index.finish()?;
    let value = serde_json::json!({
        "rows": rows, "out": a.out.display().to_string(), "coverage": coverage, "audit_head": head,
    });
    crate::output::report(&value, || {
        say_in!(
            "已写入 {} 条记录的持码人到 {}",
            "wrote {} holders of records to {}",
            rows,
            a.out.display()
        );
        show_coverage(&coverage, &head);
    })?;
    Ok(0)
}

fn verify_audit(log: &audit::AuditLog, head: Option<&str>, json: bool) -> Result<u8, CliError> {
    let chain = log.read()?;
    if let Some(expected) = head
        && expected != chain.head()
    {
        return Err(CliError::Usage(format!(
            "{}: the log ends at {} after {} entries, not at the head kept ({}): cut short or replaced",
            log.path().display(),
            chain.head(),
            chain.entries(),
            shown(expected)
        )));
    }
    if json {
        crate::output::json(&chain)?;
    } else {
        say_in!(
            "{} 条记录，链完整，头 {}",
            "{} entries, chain intact, head {}",
            chain.entries(),
            chain.head()
        );
    }
    Ok(0)
}
