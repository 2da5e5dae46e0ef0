//! The lists served to gates and apps (signed and public: no token), their status-list deltas,
//! and the authority's publication of a new one.

use crate::Shared_;
use crate::callers::Authority;
use crate::error::ApiError;
use crate::lists::Kind;
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
    s.fresh_lists().await;
    let (bytes, tag) = s
        .served()
        .lists
        .get(&kind)
        .cloned()
        .ok_or_else(|| ApiError::not_found("no such list is published"))?;
    Ok(conditional(&headers, bytes, &tag))
}

fn conditional(headers: &HeaderMap, bytes: Bytes, tag: &str) -> Response {
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
    if let Ok(v) = HeaderValue::from_str(tag) {
        h.insert(header::ETAG, v);
    }
    response
}

#[derive(Debug, Deserialize)]
pub(crate) struct DeltaQuery {
    from: String,
}

/// The day's delta of a slot-layout status list from the one it replaced (`from` = that one's
/// ETag), as worked out at publication; 404 when the service does not hold that one (fetch the
/// whole list).
pub(crate) async fn status_delta(
    State(s): Shared_,
    Query(q): Query<DeltaQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    s.fresh_lists().await;
    let served = s.served();
    let Some((from, delta, tag)) = &served.delta else {
        return Err(ApiError::not_found("no delta: fetch the whole list"));
    };
    if from != q.from.trim() {
        return Err(ApiError::not_found(
            "no delta from that list: fetch the whole list",
        ));
    }
    Ok(conditional(&headers, delta.clone(), tag))
}

/// What a publication did.
#[derive(Debug, Serialize)]
pub(crate) struct Published {
    /// The list.
    pub kind: &'static str,
    /// Its ETag.
    pub etag: String,
}

/// The authority publishes a list: verified with the others in force (read from the directory
/// first: another node may have published), serials checked, then published in the directory
/// for every node. Another node's publication of the same kind in between is `conflict`.
pub(crate) async fn publish(
    State(s): Shared_,
    Path(kind): Path<String>,
    _: Authority,
    body: Bytes,
) -> Result<axum::Json<Published>, ApiError> {
    let kind = Kind::parse(&kind)?;
    let published = s
        .blocking(move |s| {
            s.reload_lists()?;
            let current = s
                .lists
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone();
            let served = s.served();
            let replaces = served.lists.get(&kind).map(|(_, tag)| tag.clone());
            let list = crate::lists::to_publish(kind, body.to_vec(), Some(&served));
            let next = current.with(kind, list.bytes.clone());
            s.gate.replace(&next.config(), s.now(), || {
                s.directory
                    .publish_list(&list, replaces.as_deref())
                    .map(drop)
                    .map_err(ApiError::from)
            })?;
            s.gate_changes.fetch_add(1, Ordering::AcqRel);
            s.save_state(u64::MAX)?;
            s.reload_lists()?;
            Ok(Published {
                kind: kind.name(),
                etag: list.etag,
            })
        })
        .await?;
    Ok(axum::Json(published))
}
