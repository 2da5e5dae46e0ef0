//! A venue's records for whoever may read them (its manager, its district, the authority):
//! statistics, pages of desensitised records, exports, live reports.

use crate::Shared;
use crate::Shared_;
use crate::callers::ReadableVenue;
use crate::counters::Refusal;
use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use venuecode::record::{Day, ExportedRecord, RecordId};
use venuecode_ledger::Filter;
use venuecode_ledger::export::Format;

/// The most records one page of `GET .../records` gives.
pub const MAX_PAGE: u32 = 1000;

#[derive(Debug, Deserialize)]
pub(crate) struct DayQuery {
    day: Option<String>,
    door: Option<String>,
    after: Option<String>,
    limit: Option<u32>,
    format: Option<String>,
    k: Option<u64>,
}

/// The largest `k` a published view takes.
pub(crate) const MAX_K: u64 = 1000;

impl DayQuery {
    /// The door asked for, if any, checked as a label (a NUL or a bidi override is no door).
    fn door(&self) -> Result<Option<String>, ApiError> {
        if let Some(door) = &self.door {
            crate::labels::check_label_param("door", door)?;
        }
        Ok(self.door.clone())
    }

    fn day(&self, s: &Shared) -> Result<Day, ApiError> {
        match &self.day {
            Some(d) => Ok(d.parse::<Day>()?),
            None => Ok(Day::of(s.now())),
        }
    }
}

pub(crate) async fn stats(
    State(s): Shared_,
    ReadableVenue(venue_id, _): ReadableVenue,
    Query(q): Query<DayQuery>,
) -> Result<Response, ApiError> {
    let day = q.day(&s)?;
    let filter = Filter {
        venue_id: Some(venue_id),
        door: q.door()?,
        ..Filter::default()
    };
    let mut batches = s.store.batches(
        Filter {
            day: Some(day),
            ..filter
        },
        BATCH,
    );
    let mut stats =
        venuecode::record::DailyStats::new(day, venuecode::record::DEFAULT_RESCAN_WINDOW_SECS);
    let mut hours = venuecode::record::HourlyCounts::new(day);
    while let Some(batch) = batches.recv().await {
        for r in &batch? {
            stats.add(r)?;
            hours.add(r);
        }
    }
    // The view to share beyond the venue: counts below k withheld with every count that would
    // give one away; the hours by colour would give them away, so they go.
    let answer = match q.k {
        None => serde_json::json!({"summary": stats.summary(), "hours": hours}),
        Some(k @ 2..=MAX_K) => {
            serde_json::json!({"summary": stats.published(k), "hours": null, "k": k})
        }
        Some(_) => return Err(ApiError::invalid("k", "from 2 to 1000")),
    };
    Ok(axum::Json(answer).into_response())
}

/// A page of records.
#[derive(Debug, Serialize)]
pub(crate) struct RecordPage<'a> {
    /// The records, as they leave the venue, in the order the service stored them.
    pub records: Vec<ExportedRecord<'a>>,
    /// The cursor for the next page (`after=`): the last record's id, or the one given if
    /// there are none yet.
    pub next: Option<String>,
}

pub(crate) async fn records(
    State(s): Shared_,
    ReadableVenue(venue_id, account): ReadableVenue,
    Query(q): Query<DayQuery>,
) -> Result<Response, ApiError> {
    let after = q
        .after
        .as_deref()
        .map(|a| {
            a.parse::<RecordId>()
                .map_err(|_| ApiError::invalid("after", "not a record id"))
        })
        .transpose()?;
    // As the document says: 1 to 1,000, refused outside (not quietly clamped).
    let limit = q.limit.unwrap_or(100);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::invalid("limit", "from 1 to 1000"));
    }
    let day = q.day.as_deref().map(str::parse::<Day>).transpose()?;
    let filter = Filter {
        day,
        venue_id: Some(venue_id),
        door: q.door()?,
    };
    let page = s
        .store
        .page(filter.clone(), after, limit)
        .await?
        .ok_or_else(|| ApiError::not_found("after: no such record here"))?;
    // Audited before it is answered: a read that cannot be noted is not given.
    s.store
        .note_read(read_of(
            &s,
            &account,
            filter.venue_id.unwrap_or_default(),
            "records",
            page.len() as u64,
        ))
        .await?;
    let next = page
        .last()
        .map(|r| r.id.to_string())
        .or_else(|| after.map(|a| a.to_string()));
    let body = RecordPage {
        records: page.iter().map(ExportedRecord::of).collect(),
        next,
    };
    Ok(axum::Json(body).into_response())
}

pub(crate) async fn export(
    State(s): Shared_,
    ReadableVenue(venue_id, account): ReadableVenue,
    Query(q): Query<DayQuery>,
) -> Result<Response, ApiError> {
    let day = q.day(&s)?;
    let format: Format = q.format.as_deref().unwrap_or("jsonl").parse()?;
    let filename = format!("{venue_id}-{day}.{}", format.name());
    let filter = Filter {
        day: Some(day),
        venue_id: Some(venue_id.clone()),
        door: q.door()?,
    };
    // Streamed: records read a batch at a time, written as they come, sent in chunks; a
    // venue's day of any size holds a batch (and a Parquet row group) in memory, not the file.
    let mut batches = s.store.batches(filter, BATCH);
    let first = batches.recv().await.transpose()?;
    let (chunks, body) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let (log, shared, runtime) = (
        s.settings.log.clone(),
        s.clone(),
        tokio::runtime::Handle::current(),
    );
    tokio::task::spawn_blocking(move || {
        let records = first.into_iter().flatten().chain(
            std::iter::from_fn(|| match batches.blocking_recv()? {
                Ok(batch) => Some(batch),
                Err(e) => {
                    log(&format!("an export stopped: {e}"));
                    None
                }
            })
            .flatten(),
        );
        let out = std::io::BufWriter::with_capacity(CHUNK, Chunks(chunks.clone()));
        match format.write_records(records, out) {
            Ok(n) => {
                // Audited once written (its count known); the log tells a note that failed.
                let read = read_of(&shared, &account, venue_id, "export", n);
                if let Err(e) = runtime.block_on(shared.store.note_read(read)) {
                    log(&format!(
                        "an export's read not noted for the audit log: {e}"
                    ));
                }
            }
            Err(e) => {
                log(&format!("an export stopped: {e}"));
                let _ = chunks.blocking_send(Err(std::io::Error::other("the export stopped")));
            }
        }
    });
    let disposition = format!(
        "attachment; filename=\"{}\"",
        filename.replace(['"', '\\'], "_")
    );
    let stream = futures_util::stream::unfold(body, |mut body| async move {
        body.recv().await.map(|chunk| (chunk, body))
    });
    let mut response = axum::body::Body::from_stream(stream).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.media_type()),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

/// A read of a venue's records by `account`, now.
fn read_of(
    s: &Shared,
    account: &crate::Account,
    venue_id: String,
    what: &str,
    records: u64,
) -> venuecode_ledger::Read {
    venuecode_ledger::Read {
        account: account.name.clone(),
        venue_id,
        what: what.to_owned(),
        records,
        at: s.now().unix(),
    }
}

/// Records a statistic or an export reads at a time.
const BATCH: u32 = 10_000;

/// The size of an export's chunks.
const CHUNK: usize = 64 << 10;

/// A writer that sends what it is given, as chunks, to a response's body (from a thread that
/// may block); a body gone (the client left) is an error that ends the writing.
struct Chunks(tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>);

impl std::io::Write for Chunks {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .blocking_send(Ok(Bytes::copy_from_slice(buf)))
            .map_err(|_| std::io::Error::other("the client left"))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub(crate) async fn venue_reports(
    State(s): Shared_,
    headers: HeaderMap,
    ReadableVenue(venue_id, account): ReadableVenue,
) -> Result<Response, ApiError> {
    let still = crate::callers::still_signed_in(s.clone(), headers, account.name.clone());
    Ok(s.reports
        .stream(&account.name, move |r| r.venue_id == venue_id, still)
        .inspect_err(|_| s.counters.refused(Refusal::TooManyStreams))?
        .into_response())
}
