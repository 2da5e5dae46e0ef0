//! What a venue id or door label given in a route, a query or a trace request may be: core's
//! label, and short enough for the document to state (`Label` in `openapi.json`).

use crate::error::ApiError;

/// The most characters a venue id or door label in a route or query may have (the document's
/// `Label` parameters): a label of core's rule ([`venuecode::record::check_label`]: no control,
/// bidi or invisible character, at most 256 bytes) and at most this long, a bound the
/// document can state.
pub const MAX_LABEL_PARAM_CHARS: usize = 64;

/// Checks a venue id or door label given in a route, a query or a trace request.
pub(crate) fn check_label_param(field: &'static str, value: &str) -> Result<(), ApiError> {
    venuecode::record::check_label(field, value)?;
    if value.chars().count() > MAX_LABEL_PARAM_CHARS {
        return Err(ApiError::invalid(field, "at most 64 characters"));
    }
    Ok(())
}
