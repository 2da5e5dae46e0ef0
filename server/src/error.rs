//! The service's errors: an HTTP status and a stable code, as JSON
//! `{"error": {"code": "...", "message": "..."}}` (SPEC.md §16.3). A message never quotes what
//! the request carried.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use venuecode_ledger::LedgerError;

/// The codes of the service's own errors; a verification's errors carry the library's codes
/// ([`venuecode::ERROR_CODES`]).
pub const SERVICE_ERROR_CODES: &[&str] = &[
    "unauthorized",
    "forbidden",
    "not_found",
    "conflict",
    "too_many_requests",
    "payload_too_large",
    "timeout",
    "method_not_allowed",
    "unavailable",
    "internal",
    "division_mismatch",
];

/// An error answered to a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
// Displayed (to the operator: a service that does not start) with its detail; answered without.
#[error("{code}: {message}{}", detail.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
#[non_exhaustive]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// A stable code: one of [`SERVICE_ERROR_CODES`] or of [`venuecode::ERROR_CODES`].
    pub code: &'static str,
    /// What went wrong, for people.
    pub message: String,
    /// What the store or the machine said: logged with the request's id, never answered (it may
    /// name tables, paths or values).
    detail: Option<String>,
}

/// A failure's own text and the id it was answered with, for the access log.
#[derive(Debug, Clone)]
pub(crate) struct Unanswered {
    /// The id in the answer (`request_id`).
    pub(crate) id: String,
    /// What failed, in the store's or the system's words.
    pub(crate) detail: String,
}

/// A request id: unique in this process, and unlikely to repeat across nodes and restarts.
fn request_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    static START: std::sync::LazyLock<u64> = std::sync::LazyLock::new(|| {
        let mut seed = [0u8; 8];
        // Without the system's randomness, the start time tells processes apart.
        if getrandom::fill(&mut seed).is_err() {
            let mixed = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| {
                    d.as_secs().rotate_left(32) ^ u64::from(d.subsec_nanos())
                });
            seed = mixed.to_be_bytes();
        }
        u64::from_be_bytes(seed)
    });
    format!(
        "{:08x}-{}",
        *START >> 32,
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            detail: None,
        }
    }

    /// The store failed; nothing was acknowledged (503: retry). `detail`, the store's own
    /// words, is logged with the request's id and never answered.
    pub fn storage(detail: impl Into<String>) -> Self {
        ApiError {
            detail: Some(detail.into()),
            ..Self::unavailable("the store failed; nothing was acknowledged: retry")
        }
    }

    /// The machine failed (500): `message` for the caller, `detail` logged with the request's
    /// id and never answered.
    pub fn failed(message: &str, detail: impl Into<String>) -> Self {
        ApiError {
            detail: Some(detail.into()),
            ..Self::internal(message)
        }
    }

    /// No valid token or session (401).
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "a valid token or session is needed",
        )
    }

    /// The account may not do this (403).
    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "this account may not do this",
        )
    }

    /// Nothing there (404).
    pub fn not_found(message: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// It contradicts what is there (409).
    pub fn conflict(message: &str) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", message)
    }

    /// A check-in whose personal code no trusted key signed (422, the code's state as the
    /// code): nothing is stored.
    pub(crate) fn unsigned_code(state: venuecode::CodeState) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            state.name(),
            "the personal code does not verify; nothing is stored",
        )
    }

    /// Too many requests, or streams, for this caller (429).
    pub fn too_many(message: &str) -> Self {
        Self::new(StatusCode::TOO_MANY_REQUESTS, "too_many_requests", message)
    }

    /// The storage failed; nothing was acknowledged (503: retry).
    pub fn unavailable(message: &str) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
    }

    /// A bug or the machine (500).
    pub fn internal(message: &str) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }

    /// The JSON error for a status that axum or tower answered in plain text (a body over the
    /// limit, a timeout, a query that does not parse, a route that does not exist).
    pub fn of_status(status: StatusCode) -> Self {
        let (code, message) = match status.as_u16() {
            400 => ("invalid_input", "the request does not parse"),
            401 => ("unauthorized", "a valid token or session is needed"),
            403 => ("forbidden", "this account may not do this"),
            404 => ("not_found", "no such route"),
            405 => ("method_not_allowed", "not with this method"),
            408 => ("timeout", "the request took too long"),
            413 => (
                "payload_too_large",
                "the body is larger than this route takes",
            ),
            415 => ("invalid_input", "not of a type this route takes"),
            422 => ("invalid_input", "the body does not parse"),
            429 => ("too_many_requests", "slow down"),
            503 => ("unavailable", "retry"),
            _ => ("internal", "the service failed"),
        };
        Self::new(status, code, message)
    }

    /// A field is not valid (400, `invalid_input`).
    pub fn invalid(field: &str, reason: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_input",
            format!("{field}: {reason}"),
        )
    }
}

impl From<venuecode::Error> for ApiError {
    fn from(e: venuecode::Error) -> Self {
        let status = match &e {
            venuecode::Error::InvalidInput { .. } => StatusCode::BAD_REQUEST,
            venuecode::Error::RolledBack { .. } | venuecode::Error::Equivocation { .. } => {
                StatusCode::CONFLICT
            }
            venuecode::Error::Randomness(_) => StatusCode::INTERNAL_SERVER_ERROR,
            // A code, a list or a key that does not parse or does not verify.
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        ApiError::new(status, e.code(), e.to_string())
    }
}

impl From<LedgerError> for ApiError {
    fn from(e: LedgerError) -> Self {
        match e {
            LedgerError::Core(e) => e.into(),
            LedgerError::KeyMismatch(_) => ApiError::conflict(&e.to_string()),
            LedgerError::DivisionMismatch(_) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "division_mismatch",
                "the code places its venue in another division than the registry's",
            ),
            LedgerError::AlreadyResolved(_) => ApiError::conflict(&e.to_string()),
            LedgerError::Busy => ApiError::unavailable("the store is busy; retry"),
            LedgerError::Exists(what) => ApiError::conflict(&format!("{what} exists already")),
            LedgerError::NotFound(what) => ApiError::not_found(what),
            LedgerError::Stopped => ApiError::unavailable("the store stopped"),
            other => ApiError::storage(other.to_string()),
        }
    }
}

impl From<std::io::Error> for ApiError {
    fn from(e: std::io::Error) -> Self {
        ApiError::storage(e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self.detail {
            None => {
                let body = serde_json::json!({
                    "error": {"code": self.code, "message": self.message}
                });
                (self.status, axum::Json(body)).into_response()
            }
            Some(detail) => {
                // The caller gets the code and an id to quote; the log gets what failed.
                let id = request_id();
                let body = serde_json::json!({
                    "error": {
                        "code": self.code,
                        "message": format!("{} (request {id})", self.message),
                        "request_id": id,
                    }
                });
                let mut response = (self.status, axum::Json(body)).into_response();
                response.extensions_mut().insert(Unanswered { id, detail });
                response
            }
        }
    }
}
