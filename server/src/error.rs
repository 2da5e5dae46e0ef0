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
];

/// An error answered to a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
#[non_exhaustive]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// A stable code: one of [`SERVICE_ERROR_CODES`] or of [`venuecode::ERROR_CODES`].
    pub code: &'static str,
    /// What went wrong, for people.
    pub message: String,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
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

    /// Too many requests for this token (429).
    pub fn too_many() -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            "slow down",
        )
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
            other => ApiError::unavailable(&other.to_string()),
        }
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(e: rusqlite::Error) -> Self {
        ApiError::unavailable(&format!("accounts: {e}"))
    }
}

impl From<std::io::Error> for ApiError {
    fn from(e: std::io::Error) -> Self {
        ApiError::unavailable(&e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "error": {"code": self.code, "message": self.message}
        });
        (self.status, axum::Json(body)).into_response()
    }
}
