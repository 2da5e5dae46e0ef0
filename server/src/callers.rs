//! Who asks, as axum extractors: a [`Caller`] (an account, by bearer token or by the page's
//! session cookie with its CSRF token for anything but a read), the [`Authority`], a
//! [`ReadableVenue`]. Every look-up runs on the blocking pool; every route that needs an account
//! takes one of these, and none looks a caller up by hand.

use crate::Rate;
use crate::directory::{Account, KnownVenue, Role};
use crate::error::ApiError;
use crate::{Shared, page};
use axum::extract::Path;
use axum::http::{HeaderMap, Method, header};
use std::sync::Arc;

/// Who is asking: an account, by bearer token or by the page's session cookie (then with its
/// CSRF token for anything but a read).
pub(crate) struct Caller {
    pub(crate) account: Account,
}

impl Caller {
    pub(crate) fn of(s: &Shared, headers: &HeaderMap, method: &Method) -> Result<Caller, ApiError> {
        let account = account_of(s, headers, method)?.ok_or_else(ApiError::unauthorized)?;
        let limits = &s.settings.limits;
        if !s.limiter.allow(
            &account.name,
            Rate::new(limits.per_token_per_sec, limits.burst),
        ) {
            return Err(ApiError::too_many("slow down"));
        }
        Ok(Caller { account })
    }

    /// The authority, a manager of the venue, or the district office of its division.
    fn may_read_venue(&self, venue_id: &str, venue: Option<&KnownVenue>) -> bool {
        let a = &self.account;
        match a.role {
            Role::Authority => true,
            Role::Manager => a.scope.iter().any(|v| v == venue_id),
            Role::District => venue.is_some_and(|v| venuecode::division_in(&a.scope, v.division)),
            // A gate reads nothing; a role added later reads nothing until it is given rights.
            _ => false,
        }
    }

    /// The authority, or a district office whose divisions contain all of `division`.
    pub(crate) fn may_read_district(&self, division: &str) -> bool {
        let a = &self.account;
        match a.role {
            Role::Authority => true,
            Role::District => a.scope.iter().any(|d| division.starts_with(d.as_str())),
            _ => false,
        }
    }

    fn venue(&self, s: &Shared, venue_id: &str) -> Result<Option<KnownVenue>, ApiError> {
        let venue = s.directory.venue(venue_id)?;
        if self.may_read_venue(venue_id, venue.as_ref()) {
            Ok(venue)
        } else {
            Err(ApiError::forbidden())
        }
    }
}

/// The account the request's credential names (a token, or a page session with its CSRF token
/// for anything but a read), if any.
fn account_of(
    s: &Shared,
    headers: &HeaderMap,
    method: &Method,
) -> Result<Option<Account>, ApiError> {
    let account = if let Some(token) = bearer(headers) {
        s.directory.by_token(token)?
    } else if let Some(cookie) = page::session_cookie(headers, s.settings.plain_http) {
        match s.directory.by_session(cookie, s.now())? {
            Some((account, csrf)) => {
                let read = matches!(*method, Method::GET | Method::HEAD);
                if !read && !page::csrf_matches(headers, &csrf) {
                    return Err(ApiError::forbidden());
                }
                Some(account)
            }
            None => None,
        }
    } else {
        None
    };
    Ok(account)
}

/// Whether the credential of `headers` (a token, a page session) still names the account
/// `name`: false once the token is revoked, the session ended or the account revoked, and
/// when the directory cannot say. What an open report stream asks now and then.
pub(crate) fn still_signed_in(
    s: Arc<Shared>,
    headers: HeaderMap,
    name: String,
) -> crate::reports::StillSignedIn {
    let (headers, name) = (Arc::new(headers), Arc::new(name));
    Box::new(move || {
        let (s, headers, name) = (s.clone(), headers.clone(), name.clone());
        Box::pin(async move {
            s.blocking(move |s| account_of(s, &headers, &Method::GET))
                .await
                .is_ok_and(|a| a.is_some_and(|a| a.name == *name))
        })
    })
}

/// Who asks, as an extractor: the look-ups run on the blocking pool.
impl axum::extract::FromRequestParts<Arc<Shared>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        s: &Arc<Shared>,
    ) -> Result<Self, ApiError> {
        let (headers, method) = (parts.headers.clone(), parts.method.clone());
        s.blocking(move |s| Caller::of(s, &headers, &method)).await
    }
}

/// The authority's account: every other caller is answered 403.
pub(crate) struct Authority(pub(crate) Account);

impl axum::extract::FromRequestParts<Arc<Shared>> for Authority {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        s: &Arc<Shared>,
    ) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, s).await?;
        if caller.account.role == Role::Authority {
            Ok(Authority(caller.account))
        } else {
            Err(ApiError::forbidden())
        }
    }
}

/// A venue whose records the caller may read, from the route's `{venue}`, and the caller's
/// account: the check every venue route makes first.
pub(crate) struct ReadableVenue(pub(crate) String, pub(crate) Account);

impl axum::extract::FromRequestParts<Arc<Shared>> for ReadableVenue {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        s: &Arc<Shared>,
    ) -> Result<Self, ApiError> {
        let Path(venue_id) = Path::<String>::from_request_parts(parts, s)
            .await
            .map_err(|_| ApiError::invalid("venue", "not a venue id"))?;
        crate::labels::check_label_param("venue", &venue_id)?;
        let (headers, method, id) = (
            parts.headers.clone(),
            parts.method.clone(),
            venue_id.clone(),
        );
        let account = s
            .blocking(move |s| {
                let caller = Caller::of(s, &headers, &method)?;
                caller.venue(s, &id)?;
                Ok(caller.account)
            })
            .await?;
        Ok(ReadableVenue(venue_id, account))
    }
}

/// The token of an `Authorization: Bearer ...` header; the scheme's name is case-insensitive
/// (RFC 9110 §11.1).
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bearer_scheme_is_case_insensitive() {
        let token = "vct_0123";
        for value in ["Bearer vct_0123", "bearer vct_0123", "BEARER  vct_0123 "] {
            let mut headers = HeaderMap::new();
            headers.insert(header::AUTHORIZATION, value.parse().unwrap());
            assert_eq!(bearer(&headers), Some(token), "{value}");
        }
        for value in ["Basic dXNlcg==", "Bearervct_0123", "vct_0123"] {
            let mut headers = HeaderMap::new();
            headers.insert(header::AUTHORIZATION, value.parse().unwrap());
            assert_eq!(bearer(&headers), None, "{value}");
        }
    }
}
