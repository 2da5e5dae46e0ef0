//! The visitor's landing page (扫码即亮码, SPEC.md §16.8): a venue code's own URL, served. A
//! phone's scanner opens the code's text as a URL (`HTTPS://VC.SH.GOV.CN/1/<payload>`); a
//! service behind that host answers `GET /1/<payload>` with the page of the door the code
//! names, verified as a gate verifies it. The page checks in the visitor and the companions
//! whose codes the device holds (its wallet, `venuecode.wallet` in `localStorage`), each through
//! `POST /v1/check-ins`. A poster that does not verify gets a refusal page with its stable error
//! code, and nothing is recorded: the page only shows; check-ins record.

use crate::Shared;
use crate::directory::Role;
use crate::error::ApiError;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::sync::Arc;
use venuecode::door::Door;

const LANDING: &str = include_str!("../assets/visitor.html");
const REFUSED: &str = include_str!("../assets/refused.html");
const SCRIPT: &str = include_str!("../assets/visitor.js");
const STYLE: &str = include_str!("../assets/visitor.css");

/// The page's own script and style.
pub(crate) fn routes() -> axum::Router<Arc<Shared>> {
    axum::Router::new()
        .route(
            "/visitor.js",
            get(|| crate::page::asset("text/javascript; charset=utf-8", SCRIPT)),
        )
        .route(
            "/visitor.css",
            get(|| crate::page::asset("text/css; charset=utf-8", STYLE)),
        )
}

/// Every path no route takes: a venue code's URL answered with its landing page, anything else
/// 404 as before.
pub(crate) async fn landing(
    State(s): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return ApiError::of_status(StatusCode::NOT_FOUND).into_response();
    }
    let path = percent_decoded(uri.path());
    let text = path.and_then(|p| {
        let rules = s.gate.rules();
        rules.checkpoint().trust().venue_code_at(&p, host(&headers))
    });
    let Some(text) = text else {
        return ApiError::of_status(StatusCode::NOT_FOUND).into_response();
    };
    s.fresh_lists().await;
    let now = s.now();
    match s.gate.rules().door(&text, now) {
        Ok(door) => {
            let holder = holder_session(&s, &headers).await;
            crate::page::page(landing_html(&door, &text, now.unix(), holder.as_deref()))
        }
        Err(e) => {
            let mut r = crate::page::page(refused_html(e.code()));
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            r
        }
    }
}

/// The CSRF token of the page's session if it is a holder's, whose own code the page then
/// takes from the service (`GET /v1/holder/code`) and who may add companions by name
/// (`POST /v1/holder/companions`); any other visitor's code comes from the wallet.
async fn holder_session(s: &Arc<Shared>, headers: &HeaderMap) -> Option<String> {
    let cookie = crate::page::session_cookie(headers, s.settings.plain_http)?.to_owned();
    s.blocking(move |s| Ok(s.directory.by_session(&cookie, s.now())?))
        .await
        .ok()
        .flatten()
        .filter(|(account, _)| account.role == Role::Holder)
        .map(|(_, csrf)| csrf)
}

/// A path with its `%XX` escapes decoded (a scanner may escape base41's `$*+`); `None` for a
/// bad escape or a path that is not then UTF-8.
fn percent_decoded(path: &str) -> Option<String> {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The request's host, without its port: which of the prefixes sharing a path it asks for.
fn host(headers: &HeaderMap) -> Option<&str> {
    let host = headers.get(header::HOST)?.to_str().ok()?;
    Some(host.rsplit_once(':').map_or(host, |(name, _)| name))
}

fn landing_html(door: &Door, text: &str, now: i64, holder_csrf: Option<&str>) -> String {
    let kind = door.venue_type.name_zh().unwrap_or("场所");
    LANDING
        .replace("{{venue}}", &venuecode::text::for_markup(&door.venue_name))
        .replace("{{door}}", &venuecode::text::for_markup(&door.door))
        .replace("{{type}}", &venuecode::text::for_markup(kind))
        .replace("{{code}}", &venuecode::text::for_markup(text))
        .replace("{{now}}", &now.to_string())
        .replace(
            "{{holder}}",
            if holder_csrf.is_some() {
                "true"
            } else {
                "false"
            },
        )
        // Hex, as the manager's page carries it.
        .replace("{{csrf}}", holder_csrf.unwrap_or_default())
}

fn refused_html(code: &str) -> String {
    let meaning = venuecode::meaning_zh(code).unwrap_or("无法核验");
    REFUSED
        .replace("{{code}}", &venuecode::text::for_markup(code))
        .replace("{{meaning}}", &venuecode::text::for_markup(meaning))
}

#[cfg(test)]
mod tests {
    use super::percent_decoded;

    #[test]
    fn a_path_is_percent_decoded_and_a_bad_escape_refused() {
        assert_eq!(
            percent_decoded("/1/AB%24%2A%2B-.").as_deref(),
            Some("/1/AB$*+-.")
        );
        assert_eq!(percent_decoded("/1/%E4%B8%9C").as_deref(), Some("/1/东"));
        for bad in ["/1/%", "/1/%2", "/1/%ZZ", "/1/%FF"] {
            assert_eq!(percent_decoded(bad), None, "{bad}");
        }
    }
}
