//! The lists served to gates and apps (signed and public: no token), their status-list deltas,
//! and the authority's publication of a new one.

use crate::Shared_;
use crate::callers::Authority;
use crate::error::ApiError;
use crate::lists::{Kind, etag};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::sync::atomic::Ordering;

/// A list, for gates and apps (no token needed: lists are signed and public). `If-None-Match`
/// with its ETag gives 304.
pub(crate) async fn list(
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
pub(crate) struct DeltaQuery {
    from: String,
}

/// The day's delta of a slot-layout status list from the one it replaced (`from` = that one's
/// ETag); 404 when the service does not hold that one (fetch the whole list).
pub(crate) async fn status_delta(
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
pub(crate) async fn publish(
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
