//! A district's view (its office and the authority): live reports of its area, coverage of its
//! registered venues, and the authority's registry import.

use crate::Shared_;
use crate::callers::{Authority, Caller};
use crate::counters::Refusal;
use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// The largest registry CSV, in bytes (a city's venues).
pub const MAX_REGISTRY_BYTES: usize = 32 << 20;

pub(crate) async fn district_reports(
    State(s): Shared_,
    Path(division): Path<String>,
    headers: HeaderMap,
    caller: Caller,
) -> Result<Response, ApiError> {
    if !venuecode::is_division_scope(&division) {
        return Err(ApiError::invalid("division", "2, 4 or 6 digits"));
    }
    if !caller.may_read_district(&division) {
        return Err(ApiError::forbidden());
    }
    let scope = [division];
    let name = caller.account.name;
    let still = crate::callers::still_signed_in(s.clone(), headers, name.clone());
    Ok(s.reports
        .stream(
            &name,
            move |r| {
                r.division
                    .is_some_and(|d| venuecode::division_in(&scope, d))
            },
            still,
        )
        .inspect_err(|_| s.counters.refused(Refusal::TooManyStreams))?
        .into_response())
}

/// What a registry import did.
#[derive(Debug, Serialize)]
pub(crate) struct Imported {
    /// Venues in the registry now.
    pub venues: u64,
}

/// The authority imports the registry of venues (CSV), replacing the one before.
pub(crate) async fn import_registry(
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
            // This node asks the directory about every venue again (others within a minute).
            s.placed
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clear();
            Ok(venues.len() as u64)
        })
        .await?;
    Ok(axum::Json(Imported { venues }))
}

/// Coverage of a district (or city, or province): for its office and the authority.
pub(crate) async fn coverage(
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
