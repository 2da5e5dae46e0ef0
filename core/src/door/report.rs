//! The JSON shapes of verification results (SPEC.md §12): what `venue verify --json`, `person
//! verify --json`, `scan --json`, the WASM module and the records service give for a venue code
//! and for a personal code. Names are snake_case, times RFC 3339 in UTC, like every JSON
//! output of the project.

use crate::codes::person::Profile;
use crate::codes::state::CodeState;
use crate::codes::venue::VerifiedVenueCode;
use crate::door::{Checked, MaskedHolder};
use crate::encoding::timestamp::Timestamp;
use crate::error::Error;
use crate::health::HealthStatus;
use crate::lists::status::Resolved;
use serde::Serialize;

/// A venue code's verification: `{"valid": true, "code": "valid", "venue": {…}}`, or
/// `{"valid": false, "code": "bad_signature", "message": "…"}`.
#[derive(Debug, Clone, Serialize)]
pub struct VenueReport<'a> {
    /// Whether it verified.
    pub valid: bool,
    /// `valid`, or the rejection.
    pub code: CodeState,
    /// Why it was rejected (never holds personal data).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The venue and door it names, with the key, prefix and host it was signed under.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub venue: Option<&'a VerifiedVenueCode>,
    /// Whether a revocation list was checked (`false`: a revoked poster is not caught).
    pub revocations_checked: bool,
}

impl<'a> VenueReport<'a> {
    /// The report of a verification, with or without a revocation list.
    pub fn of(result: &'a Result<VerifiedVenueCode, Error>, revocations_checked: bool) -> Self {
        VenueReport {
            revocations_checked,
            valid: result.is_ok(),
            code: CodeState::of(result),
            message: result.as_ref().err().map(Error::to_string),
            venue: result.as_ref().ok(),
        }
    }
}

/// A personal code's verification at a gate: masked holder data and the status as resolved.
#[derive(Debug, Clone, Serialize)]
pub struct PersonalReport {
    /// Whether it verified.
    pub valid: bool,
    /// `valid`, or the rejection (`superseded` included).
    pub code: CodeState,
    /// Why it was rejected (never holds personal data).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Offline or dynamic.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<Profile>,
    /// The masked holder.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub holder: Option<MaskedHolder>,
    /// The re-issue counter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generation: Option<u16>,
    /// Issued at.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued_at: Option<Timestamp>,
    /// Valid until.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<Timestamp>,
    /// The status the code carries (dynamic codes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub carried_status: Option<HealthStatus>,
    /// The signing key's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// The host of its URL prefix.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// The status as resolved at the gate: fresh, stale or unknown.
    pub status: Resolved,
    /// Whether a revocation list was checked (`false`: a lost card is not caught).
    pub revocations_checked: bool,
    /// When it was checked.
    pub at: Timestamp,
}

impl PersonalReport {
    /// The report of a check.
    pub fn of(checked: &Checked) -> Self {
        let v = checked.code.as_ref().ok();
        let c = v.map(|v| v.code());
        PersonalReport {
            valid: v.is_some(),
            code: checked.code_state(),
            message: checked.code.as_ref().err().map(Error::to_string),
            profile: c.map(|c| c.profile),
            holder: c.map(|c| MaskedHolder {
                name: c.name.clone(),
                id_number: c.id_number.clone(),
            }),
            generation: c.map(|c| c.generation),
            issued_at: c.map(|c| c.issued_at),
            valid_until: c.map(|c| c.valid_until),
            carried_status: c.and_then(|c| c.status),
            key_id: v.map(|v| v.key_id().to_string()),
            host: v.map(|v| v.host().to_owned()),
            status: checked.status,
            revocations_checked: checked.revocations_checked,
            at: checked.at,
        }
    }
}
