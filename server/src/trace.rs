//! Trace-back over HTTP (SPEC.md §16.7): the authority's holder and venue queries over the
//! store's records, each written to the audit log before it is answered. Only a node started
//! with the tracing key answers them, and only to the authority's accounts; the queries are
//! core's ([`HolderTrace`], [`VenueTrace`]), the log the ledger's ([`audit`]).

use crate::Shared;
use crate::api::Caller;
use crate::directory::Role;
use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method};
use serde::Deserialize;
use std::path::PathBuf;
use std::sync::Arc;
use venuecode::Timestamp;
use venuecode::id::IdNumber;
use venuecode::record::Day;
use venuecode::token::{HolderToken, TokenKey};
use venuecode::trace::audit::{AuditChain, Logged, TraceQuery};
use venuecode::trace::{
    DEFAULT_WINDOW_MINUTES, HolderTrace, Period, Presence, TraceKey, VenueTrace,
};
use venuecode_ledger::{LedgerError, audit};

/// What the authority's own node holds to answer trace queries; a district's or a venue's
/// node is started without it and answers them `not_found`.
pub struct TraceDesk {
    /// The tracing key every record's holder reference is sealed to.
    pub key: TraceKey,
    /// The holder-token key, to take a person by ID number; without it, by holder token only.
    pub token_key: Option<TokenKey>,
    /// The audit log (JSON Lines, hash-chained, SPEC.md §15.2).
    pub audit: PathBuf,
}

/// What the audit log's `sources` names for the records this service holds.
static SOURCES: std::sync::LazyLock<[String; 1]> =
    std::sync::LazyLock::new(|| ["records service".to_owned()]);

/// `POST /v1/trace/holder`'s body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HolderBody {
    holder: Option<String>,
    id_number: Option<String>,
    from: Option<String>,
    to: Option<String>,
    window_minutes: Option<u32>,
    reason: String,
}

/// `POST /v1/trace/venue`'s body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VenueBody {
    venue_id: String,
    from: String,
    to: String,
    reason: String,
}

/// The caller, if it is the authority, and the node's desk, if it has one.
fn authority(
    s: &Shared,
    headers: &HeaderMap,
    method: &Method,
) -> Result<(String, Arc<TraceDesk>), ApiError> {
    let caller = Caller::of(s, headers, method)?;
    if caller.account.role != Role::Authority {
        return Err(ApiError::forbidden());
    }
    let desk = s.trace_desk.clone().ok_or_else(|| {
        ApiError::not_found("this node does not trace (started without --trace-key)")
    })?;
    Ok((caller.account.name, desk))
}

fn body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // Where, not what: serde's messages quote the values they refuse, and a value here may be
    // an ID number.
    serde_json::from_slice(bytes).map_err(|e| {
        ApiError::invalid(
            "body",
            &format!(
                "not a trace query (line {}, column {})",
                e.line(),
                e.column()
            ),
        )
    })
}

fn period(from: Option<&str>, to: Option<&str>) -> Result<Period, ApiError> {
    let parse = |t: Option<&str>| t.map(Timestamp::parse_rfc3339).transpose();
    Ok(Period::new(parse(from)?, parse(to)?)?)
}

/// The CST days a store reads for `period` widened by `margin` seconds either side.
fn days(period: Period, margin: i64) -> (Option<Day>, Option<Day>) {
    let shift = |t: Timestamp, by: i64| Day::of(Timestamp::from_unix(t.unix().saturating_add(by)));
    (
        period.from.map(|t| shift(t, -margin)),
        period.to.map(|t| shift(t, margin)),
    )
}

/// Feeds every batch of the store's presences for those days to `f`. Called on the blocking
/// pool ([`off_runtime`]): `f` opens sealed references, about 52 µs each.
fn read(
    s: &Shared,
    (from, to): (Option<Day>, Option<Day>),
    mut f: impl FnMut(&[Presence]),
) -> Result<(), ApiError> {
    let mut batches = s.store.presences(from, to);
    while let Some(batch) = batches.blocking_recv() {
        f(&batch?);
    }
    Ok(())
}

/// Runs a trace on the blocking pool: a trace of a large store is seconds of CPU, which on a
/// runtime worker would stall every check-in behind it.
async fn off_runtime<T: Send + 'static>(
    trace: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(trace)
        .await
        .map_err(|_| ApiError::internal("the trace stopped"))?
}

/// Logs the query (before anything is answered) and gives the answer with the log's head.
async fn logged<T: serde::Serialize>(
    s: &Shared,
    desk: &TraceDesk,
    (by, reason): (String, String),
    query: &TraceQuery<'_>,
    results: u64,
    report: &T,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    let query = query.to_json();
    let at = s.now();
    let path = desk.audit.clone();
    let head = tokio::task::spawn_blocking(move || {
        audit::append(
            &path,
            &audit::Asked {
                at,
                by: &by,
                reason: &reason,
                query: &query,
                results,
            },
        )
    })
    .await
    .map_err(|_| ApiError::internal("the audit log's write stopped"))?
    .map_err(|e| match e {
        // The reason is the caller's to mend; anything else is the log's.
        LedgerError::Core(
            e @ venuecode::Error::InvalidInput {
                field: "reason", ..
            },
        ) => ApiError::from(e),
        other => ApiError::internal(&format!(
            "the audit log ({other}): no query is answered until it is mended"
        )),
    })?;
    let answer = Logged {
        report,
        audit_head: &head,
    };
    serde_json::to_value(&answer)
        .map(axum::Json)
        .map_err(|e| ApiError::internal(&e.to_string()))
}

/// Every visit of one person, by holder token or ID number, and the people present within the
/// window of each.
pub(crate) async fn holder(
    State(s): State<Arc<Shared>>,
    method: Method,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    let (by, desk) = authority(&s, &headers, &method)?;
    let b: HolderBody = body(&bytes)?;
    let holder = match (&b.holder, &b.id_number) {
        (Some(token), None) => HolderToken::from_hex(token)?,
        (None, Some(id)) => {
            let key = desk.token_key.as_ref().ok_or_else(|| {
                ApiError::invalid(
                    "id_number",
                    "this node has no token key; send the holder token",
                )
            })?;
            key.token(&IdNumber::parse(id)?)
        }
        _ => {
            return Err(ApiError::invalid(
                "holder",
                "give one of holder and id_number",
            ));
        }
    };
    let window =
        venuecode::trace::check_window(b.window_minutes.unwrap_or(DEFAULT_WINDOW_MINUTES))?;
    let period = period(b.from.as_deref(), b.to.as_deref())?;
    let margin = i64::from(window) * 60;
    let (shared, traced) = (s.clone(), desk.clone());
    let report = off_runtime(move || {
        let mut trace = HolderTrace::new(&traced.key, holder, period, window);
        read(&shared, days(period, 0), |batch| trace.find_visits(batch))?;
        read(&shared, days(period, margin), |batch| {
            trace.find_contacts(batch)
        })?;
        Ok(trace.report())
    })
    .await?;
    let query = TraceQuery::Holder {
        holder,
        period,
        window_minutes: window,
        sources: &*SOURCES,
    };
    let results = report.visits.len() as u64;
    logged(&s, &desk, (by, b.reason), &query, results, &report).await
}

/// Everyone present at a venue in a period.
pub(crate) async fn venue(
    State(s): State<Arc<Shared>>,
    method: Method,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    let (by, desk) = authority(&s, &headers, &method)?;
    let b: VenueBody = body(&bytes)?;
    venuecode::record::check_device_id(&b.venue_id, "venue_id")?;
    let period = period(Some(&b.from), Some(&b.to))?;
    let (shared, traced, venue_id) = (s.clone(), desk.clone(), b.venue_id.clone());
    let report = off_runtime(move || {
        let mut trace = VenueTrace::new(&traced.key, &venue_id, period);
        read(&shared, days(period, 0), |batch| trace.read(batch))?;
        Ok(trace.report())
    })
    .await?;
    let query = TraceQuery::Venue {
        venue_id: &b.venue_id,
        period,
        sources: &*SOURCES,
    };
    let results = report.present.len() as u64;
    logged(&s, &desk, (by, b.reason), &query, results, &report).await
}

/// The audit log's length and head, its chain checked: for the authority to compare with the
/// head it keeps elsewhere.
pub(crate) async fn audit_head(
    State(s): State<Arc<Shared>>,
    method: Method,
    headers: HeaderMap,
) -> Result<axum::Json<AuditChain>, ApiError> {
    let (_, desk) = authority(&s, &headers, &method)?;
    let path = desk.audit.clone();
    tokio::task::spawn_blocking(move || {
        if path.exists() {
            audit::read(&path)
        } else {
            Ok(AuditChain::new())
        }
    })
    .await
    .map_err(|_| ApiError::internal("the audit log's read stopped"))?
    .map(axum::Json)
    .map_err(|e| ApiError::internal(&format!("the audit log ({e})")))
}
