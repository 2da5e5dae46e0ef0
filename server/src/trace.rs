//! Trace-back over HTTP (SPEC.md §16.7): the authority's holder and venue queries over the
//! store's records, each written to the audit log before it is answered. Only a node started
//! with the tracing key answers them, and only to the authority's accounts. Each route
//! translates its body and answer: the run itself is the ledger's trace desk
//! ([`venuecode_ledger::desk`]), over the service's store.

use crate::Shared;
use crate::callers::Authority;
use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::State;
use serde::Deserialize;
use std::sync::Arc;
use std::time::Instant;
use venuecode::trace::DEFAULT_WINDOW_MINUTES;
use venuecode::trace::audit::AuditChain;
pub use venuecode_ledger::desk::TraceDesk;
use venuecode_ledger::desk::{self, Answer, DeskError, Person};
use venuecode_ledger::journal::StoreJournal;

/// The authority's keys for tracing on a node: the tracing key (its audit key keys the log's
/// MACs), the holder-token key to take a person by ID number, and the file the node keeps the
/// audit log's head in (default `DIR/trace-audit.head`; better on other storage than the
/// database, so that the two cannot be cut back together).
pub struct Trace {
    /// The tracing key.
    pub key: venuecode::trace::TraceKey,
    /// The holder-token key, if queries may name a person by ID number.
    pub token_key: Option<venuecode::token::TokenKey>,
    /// Where this node keeps the audit log's head.
    pub audit_head: Option<std::path::PathBuf>,
}

impl Trace {
    /// The keys, with the head kept in the default file.
    pub fn new(
        key: venuecode::trace::TraceKey,
        token_key: Option<venuecode::token::TokenKey>,
    ) -> Trace {
        Trace {
            key,
            token_key,
            audit_head: None,
        }
    }

    /// The desk on the store's audit log.
    pub(crate) fn desk(
        self,
        store: &venuecode_ledger::store::Store,
        data: &std::path::Path,
    ) -> Result<(Arc<TraceDesk>, Arc<StoreJournal>), ApiError> {
        let head = self
            .audit_head
            .unwrap_or_else(|| data.join("trace-audit.head"));
        let journal = Arc::new(StoreJournal::new(
            store.clone(),
            self.key.audit_key(),
            head,
        )?);
        let desk = TraceDesk::new(self.key, self.token_key, journal.clone());
        Ok((Arc::new(desk), journal))
    }
}

/// What the audit log's `sources` names for the records this service holds.
static SOURCES: std::sync::LazyLock<[String; 1]> =
    std::sync::LazyLock::new(|| ["records service".to_owned()]);

/// `POST /v1/trace/holder`'s body. An optional field is given or left out, never `null` (as
/// the document says).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HolderBody {
    #[serde(default, deserialize_with = "given")]
    holder: Option<String>,
    #[serde(default, deserialize_with = "given")]
    id_number: Option<String>,
    #[serde(default, deserialize_with = "given")]
    from: Option<String>,
    #[serde(default, deserialize_with = "given")]
    to: Option<String>,
    #[serde(default, deserialize_with = "given")]
    window_minutes: Option<u32>,
    reason: String,
}

/// A field that is there has a value: `null` is refused.
fn given<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
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

/// The node's desk, if it has one (asked only of the authority).
fn desk(s: &Shared) -> Result<Arc<TraceDesk>, ApiError> {
    s.trace_desk.clone().ok_or_else(not_tracing)
}

fn not_tracing() -> ApiError {
    ApiError::not_found("this node does not trace (started without --trace-key)")
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

/// The store's presences of those days, batch by batch, until the trace's time limit
/// ([`crate::Limits::trace_timeout`], from `started`): past it the reading stops, so a query
/// already answered 408 neither goes on taking a core nor is logged. Called on the blocking
/// pool ([`off_runtime`]): the desk opens sealed references, about 52 µs each.
fn store(s: &Shared, started: Instant) -> Box<desk::Read<'_, ApiError>> {
    let limit = s.settings.limits.trace_timeout;
    Box::new(move |from, to, f| {
        let mut batches = s.store.presences(from, to);
        while let Some(batch) = batches.blocking_recv() {
            if started.elapsed() >= limit {
                return Err(ApiError::of_status(axum::http::StatusCode::REQUEST_TIMEOUT));
            }
            f(&batch?);
        }
        Ok(())
    })
}

/// A desk's refusal is the caller's (400); a broken audit log answers nothing (500).
impl From<DeskError<ApiError>> for ApiError {
    fn from(e: DeskError<ApiError>) -> ApiError {
        match e {
            DeskError::Refused(e) => e.into(),
            DeskError::Source(e) => e,
            DeskError::Audit(e) => ApiError::failed(
                "the audit log cannot be written: no query is answered until it is mended",
                e.to_string(),
            ),
        }
    }
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

fn answered<T: serde::Serialize>(
    answer: &Answer<T>,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    serde_json::to_value(answer.logged())
        .map(axum::Json)
        .map_err(|e| ApiError::failed("an answer did not serialise", e.to_string()))
}

/// Every visit of one person, by holder token or ID number, and the people present within the
/// window of each.
pub(crate) async fn holder(
    State(s): State<Arc<Shared>>,
    Authority(account): Authority,
    bytes: Bytes,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    let (by, desk) = (account.name, desk(&s)?);
    let b: HolderBody = body(&bytes)?;
    let period = desk::period(b.from.as_deref(), b.to.as_deref())?;
    let (at, started) = (s.now(), Instant::now());
    let shared = s.clone();
    let answer = off_runtime(move || {
        let person = match (b.holder.as_deref(), b.id_number.as_deref()) {
            (Some(token), None) => Person::Holder(token),
            (None, Some(id)) => Person::IdNumber(id),
            _ => {
                return Err(ApiError::invalid(
                    "holder",
                    "give one of holder and id_number",
                ));
            }
        };
        let asker = desk::Asker {
            by: &by,
            reason: &b.reason,
            at,
        };
        Ok(desk.holder(
            &asker,
            person,
            period,
            b.window_minutes.unwrap_or(DEFAULT_WINDOW_MINUTES),
            &*SOURCES,
            &mut *store(&shared, started),
        )?)
    })
    .await?;
    answered(&answer)
}

/// Everyone present at a venue in a period.
pub(crate) async fn venue(
    State(s): State<Arc<Shared>>,
    Authority(account): Authority,
    bytes: Bytes,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    let (by, desk) = (account.name, desk(&s)?);
    let b: VenueBody = body(&bytes)?;
    crate::labels::check_label_param("venue_id", &b.venue_id)?;
    let period = desk::period(Some(&b.from), Some(&b.to))?;
    let (at, started) = (s.now(), Instant::now());
    let shared = s.clone();
    let answer = off_runtime(move || {
        let asker = desk::Asker {
            by: &by,
            reason: &b.reason,
            at,
        };
        Ok(desk.venue(
            &asker,
            &b.venue_id,
            period,
            &*SOURCES,
            &mut *store(&shared, started),
        )?)
    })
    .await?;
    answered(&answer)
}

/// The audit log's length and head, its chain checked: for the authority to compare with the
/// head it keeps elsewhere.
pub(crate) async fn audit_head(
    State(s): State<Arc<Shared>>,
    _: Authority,
) -> Result<axum::Json<AuditChain>, ApiError> {
    journal(&s)?
        .chain()
        .await
        .map(axum::Json)
        .map_err(unreadable)
}

/// The whole audit log, every entry checked: JSON Lines, for the authority to keep and to
/// verify with `venuecode trace audit`.
pub(crate) async fn audit_log(
    State(s): State<Arc<Shared>>,
    _: Authority,
) -> Result<axum::response::Response, ApiError> {
    let lines = journal(&s)?.lines().await.map_err(unreadable)?;
    Ok(axum::response::IntoResponse::into_response((
        [(axum::http::header::CONTENT_TYPE, AUDIT_LOG_TYPE)],
        lines,
    )))
}

/// The media type of `GET /v1/trace/audit/log`.
const AUDIT_LOG_TYPE: &str = "application/jsonl";

/// The node's audit log, if it has the desk.
fn journal(s: &Shared) -> Result<Arc<StoreJournal>, ApiError> {
    s.journal.clone().ok_or_else(not_tracing)
}

fn unreadable(e: venuecode_ledger::LedgerError) -> ApiError {
    ApiError::failed("the audit log cannot be read", e.to_string())
}
