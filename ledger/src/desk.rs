//! The authority's trace desk (追溯排查): one run of a trace, for the command line and the
//! records service alike (SPEC.md §15, §16.7). It checks who asks and why, resolves the person
//! (a holder token, or an ID number turned into one with the holder-token key and then
//! forgotten), bounds the period and the window, reads the presences (the visits first, then the
//! people present around them), appends the query to the audit log, and only then gives the
//! answer with the log's new head. Where the presences come from is the caller's: ledgers and
//! Parquet exports for the command line, the service's store by day.

use crate::{LedgerError, audit};
use std::sync::Arc;
use venuecode::Timestamp;
use venuecode::id::IdNumber;
use venuecode::record::Day;
use venuecode::token::{HolderToken, TokenKey};
use venuecode::trace::audit::{TraceQuery, check_asker};
use venuecode::trace::{
    HolderReport, HolderTrace, Period, Presence, TraceKey, VenueReport, VenueTrace, check_window,
};

/// What a trace reads: the presences of the records on the China Standard Time days `from` to
/// `to` (either open; a source may give more, a trace keeps only its period), fed batch by batch
/// to the function given.
pub type Read<'a, E> =
    dyn FnMut(Option<Day>, Option<Day>, &mut dyn FnMut(&[Presence])) -> Result<(), E> + 'a;

/// The tracing key, the holder-token key if the desk may take a person by ID number, and the
/// audit log every query is appended to before its answer.
pub struct TraceDesk {
    key: TraceKey,
    token_key: Option<TokenKey>,
    audit: Arc<dyn audit::Journal>,
}

/// Who is traced.
#[derive(Debug, Clone, Copy)]
pub enum Person<'a> {
    /// By holder token (32 hex digits: a contact of an earlier answer).
    Holder(&'a str),
    /// By ID number: turned into the holder token with the desk's token key, never logged.
    IdNumber(&'a str),
}

/// Who asks, when, and why: written to the audit log with the query.
#[derive(Debug, Clone, Copy)]
pub struct Asker<'a> {
    /// The official's id (1 to 64 printable ASCII characters).
    pub by: &'a str,
    /// The case the query serves.
    pub reason: &'a str,
    /// When it was asked.
    pub at: Timestamp,
}

/// Why a trace was not answered.
#[derive(Debug, thiserror::Error)]
pub enum DeskError<E> {
    /// The query as asked is refused (who asks or why, the person, the period, the window): the
    /// asker's to mend. Nothing was read or logged.
    #[error(transparent)]
    Refused(#[from] venuecode::Error),
    /// The presences could not be read. Nothing was logged or answered.
    #[error(transparent)]
    Source(E),
    /// The audit log could not be appended to: no query is answered until it is mended.
    #[error("the audit log ({0}): no query is answered until it is mended")]
    Audit(LedgerError),
}

/// An answer: the report, and the audit log's head once its query was appended.
#[derive(Debug, Clone)]
pub struct Answer<R> {
    /// What the trace found.
    pub report: R,
    /// The audit log's head after this query.
    pub audit_head: String,
}

impl<R: serde::Serialize> Answer<R> {
    /// Its JSON shape (SPEC.md §12): the report with `audit_head`.
    pub fn logged(&self) -> venuecode::trace::audit::Logged<'_, R> {
        venuecode::trace::audit::Logged {
            report: &self.report,
            audit_head: &self.audit_head,
        }
    }
}

/// The period from `from` to `to` (RFC 3339 times, either open).
pub fn period(from: Option<&str>, to: Option<&str>) -> Result<Period, venuecode::Error> {
    let parse = |t: Option<&str>| t.map(Timestamp::parse_rfc3339).transpose();
    Period::new(parse(from)?, parse(to)?)
}

/// The CST days a store reads for `period` widened by `margin` seconds either side.
fn days(period: Period, margin: i64) -> (Option<Day>, Option<Day>) {
    let shift = |t: Timestamp, by: i64| Day::of(Timestamp::from_unix(t.unix().saturating_add(by)));
    (
        period.from.map(|t| shift(t, -margin)),
        period.to.map(|t| shift(t, margin)),
    )
}

impl TraceDesk {
    /// A desk with the tracing key, the holder-token key (to take a person by ID number) and
    /// the audit log every query is appended to.
    pub fn new(key: TraceKey, token_key: Option<TokenKey>, audit: Arc<dyn audit::Journal>) -> Self {
        TraceDesk {
            key,
            token_key,
            audit,
        }
    }

    /// The holder token of `person`: `invalid_input` for a malformed token, an invalid ID
    /// number, or an ID number at a desk without the token key.
    pub fn holder_of(&self, person: Person<'_>) -> Result<HolderToken, venuecode::Error> {
        match person {
            Person::Holder(token) => HolderToken::from_hex(token),
            Person::IdNumber(id) => {
                let key =
                    self.token_key
                        .as_ref()
                        .ok_or_else(|| venuecode::Error::InvalidInput {
                            field: "id_number",
                            reason: "this desk has no holder-token key; give the holder token"
                                .into(),
                        })?;
                Ok(key.token(&IdNumber::parse(id)?))
            }
        }
    }

    /// Every visit of one person in `period`, and for each the people present at that venue
    /// within `window_minutes` either side; `sources` names what `read` reads, for the log.
    pub fn holder<E>(
        &self,
        asker: &Asker<'_>,
        person: Person<'_>,
        period: Period,
        window_minutes: u32,
        sources: &[String],
        read: &mut Read<'_, E>,
    ) -> Result<Answer<HolderReport>, DeskError<E>> {
        check_asker(asker.by, asker.reason)?;
        let holder = self.holder_of(person)?;
        let window = check_window(window_minutes)?;
        let mut trace = HolderTrace::new(&self.key, holder, period, window);
        let (from, to) = days(period, 0);
        read(from, to, &mut |batch| trace.find_visits(batch)).map_err(DeskError::Source)?;
        let (from, to) = days(period, i64::from(window) * 60);
        read(from, to, &mut |batch| trace.find_contacts(batch)).map_err(DeskError::Source)?;
        let report = trace.report();
        let query = TraceQuery::Holder {
            holder,
            period,
            window_minutes: window,
            sources,
        };
        let results = report.visits.len() as u64;
        let audit_head = self.log(asker, &query, results)?;
        Ok(Answer { report, audit_head })
    }

    /// Everyone present at a venue in `period`.
    pub fn venue<E>(
        &self,
        asker: &Asker<'_>,
        venue_id: &str,
        period: Period,
        sources: &[String],
        read: &mut Read<'_, E>,
    ) -> Result<Answer<VenueReport>, DeskError<E>> {
        check_asker(asker.by, asker.reason)?;
        venuecode::record::check_device_id(venue_id, "venue_id")?;
        let mut trace = VenueTrace::new(&self.key, venue_id, period);
        let (from, to) = days(period, 0);
        read(from, to, &mut |batch| trace.read(batch)).map_err(DeskError::Source)?;
        let report = trace.report();
        let query = TraceQuery::Venue {
            venue_id,
            period,
            sources,
        };
        let results = report.present.len() as u64;
        let audit_head = self.log(asker, &query, results)?;
        Ok(Answer { report, audit_head })
    }

    /// Opens every sealed reference `read` gives, handing each presence with its holder to
    /// `f` (the authority's index for SQL engines; its first error stops the run), then logs the
    /// query with the number handed over; gives the log's head.
    pub fn open<E>(
        &self,
        asker: &Asker<'_>,
        sources: &[String],
        coverage: &mut venuecode::trace::Coverage,
        read: &mut Read<'_, E>,
        f: &mut dyn FnMut(&Presence, HolderToken) -> Result<(), E>,
    ) -> Result<String, DeskError<E>> {
        check_asker(asker.by, asker.reason)?;
        let mut rows = 0u64;
        let mut failed = None;
        read(None, None, &mut |batch| {
            for (presence, holder) in venuecode::trace::open_all(&self.key, batch, coverage) {
                if failed.is_none() {
                    match f(presence, holder) {
                        Ok(()) => rows += 1,
                        Err(e) => failed = Some(e),
                    }
                }
            }
        })
        .map_err(DeskError::Source)?;
        if let Some(e) = failed {
            return Err(DeskError::Source(e));
        }
        self.log(asker, &TraceQuery::Open { sources }, rows)
    }

    /// Appends a query to the audit log (durably, under the log's lock); gives the new head.
    fn log<E>(
        &self,
        asker: &Asker<'_>,
        query: &TraceQuery<'_>,
        results: u64,
    ) -> Result<String, DeskError<E>> {
        self.audit
            .append(&audit::Asked {
                at: asker.at,
                by: asker.by,
                reason: asker.reason,
                query: &query.to_json(),
                results,
            })
            .map_err(|e| match e {
                // Checked before anything was read; the log checks them again as it appends.
                LedgerError::Core(
                    e @ venuecode::Error::InvalidInput {
                        field: "by" | "reason",
                        ..
                    },
                ) => DeskError::Refused(e),
                other => DeskError::Audit(other),
            })
    }

    /// The audit log's chain, checked, and against the head kept (a new chain if there is no
    /// log yet).
    pub fn audit_chain(&self) -> Result<venuecode::trace::audit::AuditChain, LedgerError> {
        self.audit.read()
    }
}
