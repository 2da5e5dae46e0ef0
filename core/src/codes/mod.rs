//! Layer 4, codes: the text envelope shared by every signed code, venue codes (场所码), personal
//! codes (个人码) and the state a code is in after verification.

use crate::error::{Error, FormatError};

pub(crate) mod envelope;
pub mod person;
pub(crate) mod state;
pub(crate) mod venue;

use envelope::Envelope;

/// Which kind of code a text claims to be, read from its format version and nothing else: it
/// tells a scanner which verifier to call. Nothing is verified here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum CodeKind {
    /// A venue code ([`crate::verify_venue_code`]).
    Venue,
    /// A personal code ([`crate::codes::person::verify_personal_code`]).
    Personal,
}

impl CodeKind {
    /// Its name, as serialised: `venue` or `personal`.
    pub fn name(self) -> &'static str {
        match self {
            CodeKind::Venue => "venue",
            CodeKind::Personal => "personal",
        }
    }
}

/// The kind a text claims to be: `malformed` if it is not a code at all, `unsupported_version`
/// if its format version is unknown.
pub fn code_kind(text: &str) -> Result<CodeKind, Error> {
    let envelope = Envelope::open(text)?;
    match envelope.body.first() {
        Some(&crate::codes::venue::VERSION) => Ok(CodeKind::Venue),
        Some(&crate::codes::person::VERSION) => Ok(CodeKind::Personal),
        Some(&other) => Err(Error::UnsupportedVersion(other)),
        // `Envelope::open` refuses bodies shorter than a signature and a byte.
        None => Err(FormatError::Truncated("version").into()),
    }
}
