//! The manager's page (Chinese first, English switchable): a login with the account's token,
//! then a session cookie (`__Host-`, Secure, HttpOnly, SameSite=Strict), and a CSRF token that the page sends back
//! with every form and change. What the page shows it reads from the same JSON routes as any
//! other client, with the same checks.

use crate::Shared;
use crate::counters::Refusal;
use crate::error::ApiError;
use axum::Router;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::net::SocketAddr;
use std::sync::Arc;

/// The session cookie's name where the service is reached over HTTPS: the `__Host-` prefix
/// makes a browser take it only with `Secure`, from this host, for `Path=/`, so a sibling
/// subdomain or a plain-HTTP hop cannot plant or read it.
pub(crate) const SESSION_COOKIE: &str = "__Host-vc_session";

/// Its name where the operator said the service is reached over plain HTTP
/// ([`crate::Config::plain_http`]: a machine of one's own, `demo --serve`).
pub(crate) const PLAIN_SESSION_COOKIE: &str = "vc_session";

/// The session cookie's name, and the attributes it is set with.
pub(crate) fn cookie_name(plain_http: bool) -> &'static str {
    if plain_http {
        PLAIN_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    }
}

/// The `Set-Cookie` value of a session (`""` with age 0 ends it).
fn set_cookie(plain_http: bool, value: &str, max_age: i64) -> Option<HeaderValue> {
    let secure = if plain_http { "" } else { "; Secure" };
    let name = cookie_name(plain_http);
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Strict{secure}; Max-Age={max_age}"
    ))
    .ok()
}

/// The header the page sends its CSRF token in.
pub(crate) const CSRF_HEADER: &str = "x-csrf-token";

const LOGIN: &str = include_str!("../assets/login.html");
const DASHBOARD: &str = include_str!("../assets/index.html");
const HOLDER: &str = include_str!("../assets/holder.html");
const SCRIPT: &str = include_str!("../assets/app.js");
const STYLE: &str = include_str!("../assets/app.css");

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/", get(index))
        .route("/login", post(login))
        .route("/logout", post(logout))
        .route(
            "/app.js",
            get(|| asset("text/javascript; charset=utf-8", SCRIPT)),
        )
        .route("/app.css", get(|| asset("text/css; charset=utf-8", STYLE)))
}

/// A page's own script or style.
pub(crate) async fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

/// The session cookie's value, if the request carries one (by the name the service sets).
pub(crate) fn session_cookie(headers: &HeaderMap, plain_http: bool) -> Option<&str> {
    let name = cookie_name(plain_http);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix(name)?.strip_prefix('='))
}

/// Whether the request's CSRF token (header or form field) is the session's; compared as
/// digests, so the time taken says nothing of the token.
pub(crate) fn csrf_matches(headers: &HeaderMap, csrf: &str) -> bool {
    headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|given| same(given, csrf))
}

fn same(a: &str, b: &str) -> bool {
    Sha256::digest(a.as_bytes()) == Sha256::digest(b.as_bytes())
}

/// Marks a response as one of the pages (HTML, an error page included), which the access log
/// leaves as it is rather than answering an error in JSON.
#[derive(Clone, Copy)]
pub(crate) struct IsPage;

/// Pages are never framed, never cached, and run only their own script.
pub(crate) fn page(html: String) -> Response {
    let mut r = Html(html).into_response();
    r.extensions_mut().insert(IsPage);
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; frame-ancestors 'none'; \
             form-action 'self'; base-uri 'none'",
        ),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    r
}

async fn index(State(s): State<Arc<Shared>>, headers: HeaderMap) -> Result<Response, ApiError> {
    let session = match session_cookie(&headers, s.settings.plain_http).map(str::to_owned) {
        Some(cookie) => {
            s.blocking(move |s| Ok(s.directory.by_session(&cookie, s.now())?))
                .await?
        }
        None => None,
    };
    Ok(match session {
        // A holder's home: what to do with the phone (its masked name, escaped, and the CSRF
        // token to log out).
        Some((account, csrf)) if account.role == crate::directory::Role::Holder => {
            let name = account.holder_of().map_or("", |(_, name, _)| name);
            page(
                HOLDER
                    .replace("{{name}}", &venuecode::text::for_markup(name))
                    .replace("{{csrf}}", &csrf),
            )
        }
        // The CSRF token is hex; nothing else of the account goes into the HTML itself.
        Some((_, csrf)) => page(DASHBOARD.replace("{{csrf}}", &csrf)),
        None => page(LOGIN.replace("{{error}}", "")),
    })
}

#[derive(Deserialize)]
struct LoginForm {
    token: String,
}

/// Whether a form post comes from the page itself, as the browser tells (`Sec-Fetch-Site`,
/// else `Origin` against `Host`): another site's form cannot log a manager into its own
/// account, nor out. A request that says neither is no browser's cross-site post.
pub(crate) fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return matches!(site.as_bytes(), b"same-origin" | b"none");
    }
    match headers.get(header::ORIGIN) {
        None => true,
        Some(origin) => {
            let authority = origin
                .to_str()
                .ok()
                .and_then(|o| o.split_once("://"))
                .map(|(_, a)| a);
            let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
            authority.is_some() && authority == host
        }
    }
}

async fn login(
    State(s): State<Arc<Shared>>,
    client: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, ApiError> {
    if !same_origin(&headers) {
        return Err(ApiError::forbidden());
    }
    // Tokens are 256 bits: the limit keeps a guesser from costing the directory, not from
    // guessing.
    if let Some(Extension(ConnectInfo(client))) = client
        && !s.logins.allow(
            &client.ip().to_string(),
            s.settings.limits.logins_per_address,
        )
    {
        s.counters.refused(Refusal::TooManyLogins);
        return Err(ApiError::too_many("too many logins from this address"));
    }
    let token = form.token.trim().to_owned();
    match s
        .blocking(move |s| Ok(s.directory.login(&token, s.now())?))
        .await?
    {
        Some((cookie, _)) => {
            let mut r = Redirect::to("/").into_response();
            let age = crate::directory::SESSION_SECS;
            if let Some(v) = set_cookie(s.settings.plain_http, &cookie, age) {
                r.headers_mut().insert(header::SET_COOKIE, v);
            }
            Ok(r)
        }
        None => {
            let mut r = page(LOGIN.replace(
                "{{error}}",
                "<p class=\"error\" data-i18n=\"login_failed\">登录失败：令牌无效</p>",
            ));
            *r.status_mut() = StatusCode::UNAUTHORIZED;
            Ok(r)
        }
    }
}

#[derive(Deserialize)]
struct LogoutForm {
    csrf: String,
}

async fn logout(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    Form(form): Form<LogoutForm>,
) -> Result<Response, ApiError> {
    if !same_origin(&headers) {
        return Err(ApiError::forbidden());
    }
    let Some(cookie) = session_cookie(&headers, s.settings.plain_http).map(str::to_owned) else {
        return Ok(Redirect::to("/").into_response());
    };
    let ended = s
        .blocking(move |s| {
            let Some((_, csrf)) = s.directory.by_session(&cookie, s.now())? else {
                return Ok(false);
            };
            if !same(&form.csrf, &csrf) {
                return Err(ApiError::forbidden());
            }
            s.directory.logout(&cookie)?;
            Ok(true)
        })
        .await?;
    if !ended {
        return Ok(Redirect::to("/").into_response());
    }
    let mut r = Redirect::to("/").into_response();
    if let Some(v) = set_cookie(s.settings.plain_http, "", 0) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(r)
}
