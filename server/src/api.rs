//! The routes (SPEC.md §16, `server/openapi.json`): who may call each is checked first (the
//! caller's account and its scope); what each does is core's or the ledger's.

use crate::callers::Caller;
use crate::directory::Account;
use crate::error::ApiError;
use crate::{
    Shared, counters, districts, health, holders, intake, page, publishing, trace, venues, visitor,
};
use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::sync::Arc;
use tower::ServiceBuilder;

use crate::Shared_;

/// The OpenAPI 3.1 document of this version's routes, as committed.
pub const OPENAPI: &str = include_str!("../openapi.json");

/// The largest request body, in bytes (an upload of 1,000 records).
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// The routes, with their limits and the access log.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let limits = shared.settings.limits;
    Router::new()
        .route("/healthz", get(health::health))
        .route("/v1/openapi.json", get(openapi))
        .route("/v1/check-ins", post(intake::check_in))
        .route("/v1/me", get(me))
        .route("/v1/holder/code", get(holders::code))
        .route("/v1/holder/companions", post(holders::companion))
        .route(
            "/v1/venues/{venue}/records",
            post(intake::upload).get(venues::records),
        )
        .route("/v1/venues/{venue}/stats", get(venues::stats))
        .route("/v1/venues/{venue}/export", get(venues::export))
        .route("/v1/venues/{venue}/reports", get(venues::venue_reports))
        .route(
            "/v1/districts/{division}/reports",
            get(districts::district_reports),
        )
        .route(
            "/v1/lists/{kind}",
            // A city's status list (25 M holders, about 25 MB): core's limit of a list.
            get(publishing::list)
                .put(publishing::publish)
                .layer(DefaultBodyLimit::max(venuecode::MAX_LIST_BYTES)),
        )
        .route("/v1/lists/status/delta", get(publishing::status_delta))
        .route(
            "/v1/districts/{division}/coverage",
            get(districts::coverage),
        )
        .route("/v1/counters", get(counters::counters))
        .route(
            "/v1/registry",
            post(districts::import_registry)
                .layer(DefaultBodyLimit::max(districts::MAX_REGISTRY_BYTES)),
        )
        .merge(page::routes())
        .merge(visitor::routes())
        // Any other path: a venue code's URL (its landing page), else 404.
        .fallback(visitor::landing)
        .layer(timeout(limits.timeout))
        .merge(
            // A trace reads every record of its period: a time limit of its own.
            Router::new()
                .route("/v1/trace/holder", post(trace::holder))
                .route("/v1/trace/venue", post(trace::venue))
                .route("/v1/trace/audit", get(trace::audit_head))
                .route("/v1/trace/audit/log", get(trace::audit_log))
                .layer(timeout(limits.trace_timeout)),
        )
        .layer(
            ServiceBuilder::new()
                .layer(middleware::from_fn(answer_headers))
                .layer(middleware::from_fn_with_state(shared.clone(), access_log))
                .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
                .layer(tower::limit::GlobalConcurrencyLimitLayer::new(
                    limits.concurrency,
                )),
        )
        .with_state(shared)
}

/// Answers 408 to a request not answered within `limit`.
fn timeout(limit: std::time::Duration) -> tower_http::timeout::TimeoutLayer {
    tower_http::timeout::TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, limit)
}

/// Headers on every answer: `nosniff` (a record's text is never read as a page), and
/// `no-store` unless the route said how it may be cached (the signed lists, revalidated by
/// their ETag): answers carry records, names of venues and accounts, which no cache keeps.
async fn answer_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        header::HeaderValue::from_static("nosniff"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("no-store"),
        );
    }
    response
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
        let is_page = response.extensions().get::<crate::page::IsPage>().is_some();
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

async fn me(caller: Caller) -> axum::Json<Account> {
    axum::Json(caller.account)
}
