//! The routes (SPEC.md §16, `server/openapi.json`): who may call each is checked first (the
//! caller's account and its scope); what each does is core's or the ledger's.

use crate::callers::{Authority, Caller, ReadableVenue};
use crate::directory::{Account, KnownVenue, Role};
use crate::error::ApiError;
use crate::lists::{Kind, etag};
use crate::reports::Report;
use crate::{Shared, page};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, MatchedPath, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tower::ServiceBuilder;
use venuecode::door::{CheckInRequest, MAX_CHECK_IN_BYTES, Pass};
use venuecode::record::{Day, ExportedRecord, RecordId, ScanRecord};
use venuecode_ledger::Filter;
use venuecode_ledger::export::Format;

type Shared_ = State<Arc<Shared>>;

/// The OpenAPI 3.1 document of this version's routes, as committed.
pub const OPENAPI: &str = include_str!("../openapi.json");

/// The most records one upload may carry.
pub const MAX_UPLOAD_RECORDS: usize = 1000;

/// The largest request body, in bytes (an upload of 1,000 records).
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// The largest registry CSV, in bytes (a city's venues).
pub const MAX_REGISTRY_BYTES: usize = 32 << 20;

/// The most records one page of `GET .../records` gives.
pub const MAX_PAGE: u32 = 1000;

/// The routes, with their limits and the access log.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let limits = shared.settings.limits;
    Router::new()
        .route(
            "/healthz",
            get(|| async { axum::Json(serde_json::json!({"status": "ok"})) }),
        )
        .route("/v1/openapi.json", get(openapi))
        .route("/v1/check-ins", post(check_in))
        .route("/v1/me", get(me))
        .route("/v1/venues/{venue}/records", post(upload).get(records))
        .route("/v1/venues/{venue}/stats", get(stats))
        .route("/v1/venues/{venue}/export", get(export))
        .route("/v1/venues/{venue}/reports", get(venue_reports))
        .route("/v1/districts/{division}/reports", get(district_reports))
        .route("/v1/lists/{kind}", get(list).put(publish))
        .route("/v1/lists/status/delta", get(status_delta))
        .route("/v1/districts/{division}/coverage", get(coverage))
        .route("/v1/trace/holder", post(crate::trace::holder))
        .route("/v1/trace/venue", post(crate::trace::venue))
        .route("/v1/trace/audit", get(crate::trace::audit_head))
        .route(
            "/v1/registry",
            post(import_registry).layer(DefaultBodyLimit::max(MAX_REGISTRY_BYTES)),
        )
        .merge(page::routes())
        .layer(
            ServiceBuilder::new()
                .layer(middleware::from_fn_with_state(shared.clone(), access_log))
                .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
                .layer(tower_http::timeout::TimeoutLayer::with_status_code(
                    StatusCode::REQUEST_TIMEOUT,
                    limits.timeout,
                ))
                .layer(tower::limit::GlobalConcurrencyLimitLayer::new(
                    limits.concurrency,
                )),
        )
        .with_state(shared)
}

/// One line a request: no body, no query, no token, no path parameters beyond the route.
async fn access_log(State(s): Shared_, request: Request, next: Next) -> Response {
    let started = std::time::Instant::now();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("-", |p| p.as_str())
        .to_owned();
    let mut response = next.run(request).await;
    if let Some(failed) = response
        .extensions_mut()
        .remove::<crate::error::Unanswered>()
    {
        (s.settings.log)(&format!(
            "{method} {route}: request {}: {}",
            failed.id, failed.detail
        ));
    }
    let status = response.status();
    let json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if (status.is_client_error() || status.is_server_error()) && !json {
        // Errors are JSON with a stable code, whoever answered (SPEC.md §16.3).
        let is_page = route == "/" || route == "/login" || route == "/logout";
        if !is_page {
            response = ApiError::of_status(status).into_response();
        }
    }
    (s.settings.log)(&format!(
        "{method} {route} {} {:.1}ms",
        response.status().as_u16(),
        started.elapsed().as_secs_f64() * 1000.0
    ));
    response
}

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}

/// What a visitor's app gets back: the pass for its screen, and the record's id.
#[derive(Debug, Serialize)]
pub(crate) struct CheckInAnswer {
    /// The pass: venue, door, masked holder, colour, the decision and why.
    pub pass: Pass,
    /// The stored record's id (the same for the same request sent again).
    pub record_id: RecordId,
    /// False when this request was stored before (a retry).
    pub stored: bool,
}

async fn check_in(State(s): Shared_, body: Bytes) -> Result<axum::Json<CheckInAnswer>, ApiError> {
    if body.len() > MAX_CHECK_IN_BYTES {
        return Err(ApiError::invalid("request", "longer than 16 KiB"));
    }
    let text = std::str::from_utf8(&body).map_err(|_| ApiError::invalid("request", "not UTF-8"))?;
    let request = CheckInRequest::from_json(text)?;
    let now = s.now();
    let arrival = s.gate.check_in(&request, now)?;
    s.gate_changes.fetch_add(1, Ordering::AcqRel);
    let door = arrival.door();
    let keys = s.record_keys(&door.venue_id).await?;
    let check_in = arrival.recorded(&keys);
    let division = door.division.code();
    let noted = s
        .noted
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get(&door.venue_id)
        == Some(&division);
    if !noted {
        let venue = KnownVenue {
            venue_id: door.venue_id.clone(),
            division,
            name: door.venue_name.clone(),
        };
        s.blocking(move |s| Ok(s.directory.note_venue(&venue)?))
            .await?;
        s.noted
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(door.venue_id.clone(), division);
    }
    let door_key = (door.venue_id.clone(), door.door.clone());
    let door_new = s
        .doors
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .insert(door_key);
    if door_new {
        let (venue_id, label) = (door.venue_id.clone(), door.door.clone());
        s.blocking(move |s| Ok(s.directory.note_door(&venue_id, &label)?))
            .await?;
    }
    let record_id = check_in.record.id;
    let stored = intake(&s, vec![check_in.record], Some(division)).await?;
    Ok(axum::Json(CheckInAnswer {
        pass: check_in.pass,
        record_id,
        stored: stored.first().copied().unwrap_or(false),
    }))
}

/// The one way records come in, a visitor's check-in or a gate's batch: stored durably (group
/// commit), then each new one's report published (a retry reports nothing twice). Gives, for
/// each record, whether it was new.
async fn intake(
    s: &Arc<Shared>,
    records: Vec<ScanRecord>,
    division: Option<u32>,
) -> Result<Vec<bool>, ApiError> {
    let reports: Vec<Option<Report>> = records.iter().map(|r| Report::of(r, division)).collect();
    let flags = s.store.append(records).await?;
    for (report, _) in reports.into_iter().zip(&flags).filter(|(_, new)| **new) {
        if let Some(report) = report {
            s.report(report);
        }
    }
    Ok(flags)
}

async fn me(caller: Caller) -> axum::Json<Account> {
    axum::Json(caller.account)
}

/// A gate's batch.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Upload {
    records: Vec<ScanRecord>,
}

/// What an upload stored.
#[derive(Debug, Serialize)]
pub(crate) struct Uploaded {
    /// Records new to the service.
    pub added: u64,
    /// Records it already held (a retry, a queue sent twice).
    pub already: u64,
}

async fn upload(
    State(s): Shared_,
    Path(venue_id): Path<String>,
    caller: Caller,
    body: Bytes,
) -> Result<axum::Json<Uploaded>, ApiError> {
    let a = &caller.account;
    if a.role != Role::Gate || a.scope.first() != Some(&venue_id) {
        return Err(ApiError::forbidden());
    }
    let upload: Upload = serde_json::from_slice(&body).map_err(|e| {
        ApiError::invalid(
            "records",
            &format!("not an upload (line {}, column {})", e.line(), e.column()),
        )
    })?;
    if upload.records.len() > MAX_UPLOAD_RECORDS {
        return Err(ApiError::invalid(
            "records",
            "more than 1,000 in one upload",
        ));
    }
    for r in &upload.records {
        r.check()?;
        let door_allowed = a.doors.is_empty() || a.doors.contains(&r.door);
        if r.venue_id != venue_id || !door_allowed {
            return Err(ApiError::forbidden());
        }
    }
    let id = venue_id.clone();
    let division = s
        .blocking(move |s| Ok(s.directory.venue(&id)?))
        .await?
        .map(|v| v.division);
    let flags = intake(&s, upload.records, division).await?;
    let added = flags.iter().filter(|&&f| f).count() as u64;
    Ok(axum::Json(Uploaded {
        added,
        already: flags.len() as u64 - added,
    }))
}

#[derive(Debug, Deserialize)]
struct DayQuery {
    day: Option<String>,
    door: Option<String>,
    after: Option<String>,
    limit: Option<u32>,
    format: Option<String>,
}

impl DayQuery {
    fn day(&self, s: &Shared) -> Result<Day, ApiError> {
        match &self.day {
            Some(d) => Ok(d.parse::<Day>()?),
            None => Ok(Day::of(s.now())),
        }
    }
}

async fn stats(
    State(s): Shared_,
    ReadableVenue(venue_id): ReadableVenue,
    Query(q): Query<DayQuery>,
) -> Result<Response, ApiError> {
    let day = q.day(&s)?;
    let filter = Filter {
        venue_id: Some(venue_id),
        door: q.door,
        ..Filter::default()
    };
    let records = s
        .store
        .records(Filter {
            day: Some(day),
            ..filter
        })
        .await?;
    let mut stats =
        venuecode::record::DailyStats::new(day, venuecode::record::DEFAULT_RESCAN_WINDOW_SECS);
    let mut hours = venuecode::record::HourlyCounts::new(day);
    for r in &records {
        stats.add(r)?;
        hours.add(r);
    }
    let summary = stats.summary();
    Ok(axum::Json(serde_json::json!({"summary": summary, "hours": hours})).into_response())
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

async fn records(
    State(s): Shared_,
    ReadableVenue(venue_id): ReadableVenue,
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
    let limit = q.limit.unwrap_or(100).clamp(1, MAX_PAGE);
    let day = q.day.as_deref().map(str::parse::<Day>).transpose()?;
    let filter = Filter {
        day,
        venue_id: Some(venue_id),
        door: q.door,
    };
    let page = s
        .store
        .page(filter, after, limit)
        .await?
        .ok_or_else(|| ApiError::not_found("after: no such record here"))?;
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

async fn export(
    State(s): Shared_,
    ReadableVenue(venue_id): ReadableVenue,
    Query(q): Query<DayQuery>,
) -> Result<Response, ApiError> {
    let day = q.day(&s)?;
    let format: Format = q.format.as_deref().unwrap_or("jsonl").parse()?;
    let filename = format!("{venue_id}-{day}.{}", format.name());
    let filter = Filter {
        day: Some(day),
        venue_id: Some(venue_id),
        door: q.door,
    };
    let records = s.store.records(filter).await?;
    let bytes = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, ApiError> {
        let mut out = Vec::new();
        format.write_records(records, &mut out)?;
        Ok(out)
    })
    .await
    .map_err(|_| ApiError::internal("an export stopped"))??;
    let disposition = format!(
        "attachment; filename=\"{}\"",
        filename.replace(['"', '\\'], "_")
    );
    let mut response = bytes.into_response();
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

async fn venue_reports(
    State(s): Shared_,
    ReadableVenue(venue_id): ReadableVenue,
) -> Result<Response, ApiError> {
    Ok(s.reports
        .stream(move |r| r.venue_id == venue_id)
        .into_response())
}

async fn district_reports(
    State(s): Shared_,
    Path(division): Path<String>,
    caller: Caller,
) -> Result<Response, ApiError> {
    if !venuecode::is_division_scope(&division) {
        return Err(ApiError::invalid("division", "2, 4 or 6 digits"));
    }
    if !caller.may_read_district(&division) {
        return Err(ApiError::forbidden());
    }
    let scope = [division];
    Ok(s.reports
        .stream(move |r| {
            r.division
                .is_some_and(|d| venuecode::division_in(&scope, d))
        })
        .into_response())
}

/// A list, for gates and apps (no token needed: lists are signed and public). `If-None-Match`
/// with its ETag gives 304.
async fn list(
    State(s): Shared_,
    Path(kind): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let kind = Kind::parse(&kind)?;
    let bytes = {
        let lists = s
            .lists
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        lists.get(kind).map(<[u8]>::to_vec)
    }
    .ok_or_else(|| ApiError::not_found("no such list is published"))?;
    Ok(conditional(&headers, bytes))
}

fn conditional(headers: &HeaderMap, bytes: Vec<u8>) -> Response {
    let tag = etag(&bytes);
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag || t.trim() == "*"));
    let mut response = if matches {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        bytes.into_response()
    };
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(v) = HeaderValue::from_str(&tag) {
        h.insert(header::ETAG, v);
    }
    response
}

#[derive(Debug, Deserialize)]
struct DeltaQuery {
    from: String,
}

/// The day's delta of a slot-layout status list from the one it replaced (`from` = that one's
/// ETag); 404 when the service does not hold that one (fetch the whole list).
async fn status_delta(
    State(s): Shared_,
    Query(q): Query<DeltaQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (previous, current) = {
        let lists = s
            .lists
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        (lists.previous_status.clone(), lists.status.clone())
    };
    let (Some(previous), Some(current)) = (previous, current) else {
        return Err(ApiError::not_found("no delta: fetch the whole list"));
    };
    if etag(&previous) != q.from.trim() {
        return Err(ApiError::not_found(
            "no delta from that list: fetch the whole list",
        ));
    }
    let delta = venuecode::status_delta::delta(&previous, &current)?;
    Ok(conditional(&headers, delta))
}

/// What a publication did.
#[derive(Debug, Serialize)]
pub(crate) struct Published {
    /// The list.
    pub kind: &'static str,
    /// Its ETag.
    pub etag: String,
}

/// The authority publishes a list: verified with the others, serials checked, then in force.
async fn publish(
    State(s): Shared_,
    Path(kind): Path<String>,
    _: Authority,
    body: Bytes,
) -> Result<axum::Json<Published>, ApiError> {
    let kind = Kind::parse(&kind)?;
    let bytes = body.to_vec();
    let s2 = s.clone();
    let published = tokio::task::spawn_blocking(move || -> Result<Published, ApiError> {
        let mut lists = s2
            .lists
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let next = lists.with(kind, bytes.clone());
        s2.gate.replace(&next.config(), s2.now(), || {
            crate::lists::ListSet::keep(&s2.settings.data, kind, &bytes)
        })?;
        *lists = next;
        s2.gate_changes.fetch_add(1, Ordering::AcqRel);
        s2.save_state(u64::MAX)?;
        Ok(Published {
            kind: kind.name(),
            etag: etag(&bytes),
        })
    })
    .await
    .map_err(|_| ApiError::internal("publishing stopped"))??;
    Ok(axum::Json(published))
}

/// What a registry import did.
#[derive(Debug, Serialize)]
pub(crate) struct Imported {
    /// Venues in the registry now.
    pub venues: u64,
}

/// The authority imports the registry of venues (CSV), replacing the one before.
async fn import_registry(
    State(s): Shared_,
    _: Authority,
    body: Bytes,
) -> Result<axum::Json<Imported>, ApiError> {
    let venues = s
        .blocking(move |s| {
            let text = std::str::from_utf8(&body)
                .map_err(|_| ApiError::invalid("registry", "not UTF-8"))?;
            let venues = crate::directory::parse_registry(text)?;
            s.directory.import_registry(&venues)?;
            Ok(venues.len() as u64)
        })
        .await?;
    Ok(axum::Json(Imported { venues }))
}

/// Coverage of a district (or city, or province): for its office and the authority.
async fn coverage(
    State(s): Shared_,
    Path(division): Path<String>,
    caller: Caller,
) -> Result<axum::Json<venuecode::record::coverage::Coverage>, ApiError> {
    if !venuecode::is_division_scope(&division) {
        return Err(ApiError::invalid("division", "2, 4 or 6 digits"));
    }
    if !caller.may_read_district(&division) {
        return Err(ApiError::forbidden());
    }
    let (registry, seen) = s
        .blocking(|s| Ok((s.directory.registry()?, s.directory.doors_seen()?)))
        .await?;
    Ok(axum::Json(venuecode::record::coverage::Coverage::of(
        &division, &registry, &seen,
    )))
}
