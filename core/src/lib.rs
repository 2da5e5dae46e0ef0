//! Signed venue codes (场所码) and the checks done at a venue's door.
//!
//! An authority signs one code for each door of a venue; any scanner verifies it **offline**
//! against a trust list: the signature (strict Ed25519 over the exact bytes received, with the
//! issuer's URL prefix bound in), the key's usage, revocation and validity window, and the
//! code's own validity window. A counterfeit poster fails with a typed error whose
//! [`Error::code`] is a stable string (`bad_signature`, `unknown_key`, …).
//!
//! ```
//! use venuecode::{Division, Prefix, SecretKey, Timestamp, TrustList, TrustedKey, Usage, Venue, VenueType};
//!
//! // The authority's key (use SecretKey::generate() or a PEM file in practice).
//! let key = SecretKey::from_seed(&[42; 32]);
//! let prefix = Prefix::new("HTTPS://VC.SH.GOV.CN/1/")?;
//! // Trusted for venue codes under this one prefix (SPEC.md §6: keys are scoped).
//! let mut trust = TrustList::new();
//! trust.add(TrustedKey::new(key.public_key(), Usage::Venue).with_prefix(&prefix))?;
//!
//! let venue = Venue {
//!     id: "SH-PT-0018".into(),
//!     venue_type: VenueType::ReligiousVenue,
//!     name: "上海玉佛禅寺".into(),
//!     division: "310107".parse()?,
//!     address: "安远路170号".into(),
//!     door: "东门".into(),
//!     issued_at: Timestamp::parse_rfc3339("2022-04-01T08:00:00+08:00")?,
//!     valid_until: Some(Timestamp::parse_rfc3339("2023-04-01T00:00:00+08:00")?),
//! };
//! let text = venue.issue(&key, &prefix)?;
//! assert!(text.starts_with("HTTPS://VC.SH.GOV.CN/1/"));
//!
//! // At the door, offline: the time is an argument.
//! let now = Timestamp::parse_rfc3339("2022-06-01T09:30:00+08:00")?;
//! let code = venuecode::verify_venue_code(&text, &trust, now)?;
//! assert_eq!(code.venue().door, "东门");
//!
//! // The same payload re-hosted under another prefix is refused.
//! let moved = text.replace("VC.SH.GOV.CN", "VC.SH.GOV.CC");
//! let err = venuecode::verify_venue_code(&moved, &trust, now).unwrap_err();
//! assert_eq!(err.code(), "bad_signature");
//!
//! // After its valid-until, the code is expired.
//! let later = Timestamp::parse_rfc3339("2023-04-01T00:00:00+08:00")?;
//! assert_eq!(venuecode::verify_venue_code(&text, &trust, later).unwrap_err().code(), "expired");
//! # Ok::<(), venuecode::Error>(())
//! ```
#![forbid(unsafe_code)]

// The layers, bottom to top. A module imports only from its own layer and those below it
// (tests/layers.rs checks this); `error` and `kid` are the ground everything stands on.
mod codes;
pub mod door;
mod encoding;
mod error;
pub mod health;
mod keys;
mod kid;
mod lists;
pub mod policy;
mod privacy;
pub mod qr;
pub mod record;
pub mod trace;

// The public paths, one hop from the root.
pub use codes::envelope::{MAX_PREFIX_LEN, MAX_TEXT_LEN, Prefix};
pub use codes::person;
pub use codes::state::CodeState;
pub use codes::venue::{
    Division, UnverifiedVenueCode, Venue, VenueClass, VenueType, VerifiedVenueCode,
    verify_venue_code,
};
pub use codes::{CodeKind, code_kind};
pub use encoding::timestamp::Timestamp;
pub use encoding::{base41, text};
pub use error::{ERROR_CODES, Error, FormatError, REJECTION_CODES, Subject};
pub use keys::key::{PublicKey, SIGNATURE_LEN, SecretKey};
pub use keys::signature::CLOCK_SKEW_SECS;
pub use keys::trust::{
    KeyProvider, MAX_TRUST_LIST_BYTES, MAX_TRUST_LIST_KEYS, TrustList, TrustedKey, Usage,
    division_in, is_division_scope,
};
pub use kid::{KeyId, ParseKeyIdError};
pub use lists::delta as status_delta;
pub use lists::sealed::{MAX_LIST_BYTES, Seal};
pub use lists::serial::{Accepted, ListKind, MAX_SERIALS, Serials};
pub use lists::trust as signed_trust;
pub use lists::{revoke, status};
pub use privacy::{id, mask, pseudonym, record_keys, token};
#[cfg(feature = "poster")]
pub use qr::poster;
#[cfg(feature = "scan")]
pub use qr::{raster, scan};

/// Constants of the venue-code format (SPEC.md §5).
pub mod venue_format {
    pub use crate::codes::venue::{
        MAX_ADDRESS_LEN, MAX_DOOR_LEN, MAX_ID_LEN, MAX_NAME_LEN, VERSION,
    };
}

/// Hooks for the fuzz targets (feature `fuzzing`): not part of the API.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing {
    use crate::{Error, SecretKey, Timestamp};

    /// Signs `payload` as a list of `kind` (serial 1), so that fuzzed payloads reach the
    /// checks behind the signature.
    pub fn seal_list(
        kind: crate::ListKind,
        key: &SecretKey,
        from: Timestamp,
        until: Timestamp,
        payload: &[u8],
    ) -> Result<Vec<u8>, Error> {
        let seal = crate::Seal {
            serial: 1,
            issued_at: from,
            valid_until: until,
        };
        crate::lists::sealed::seal(kind, key, seal, payload)
    }

    /// Decodes a venue-code body and encodes it again (`None` if it does not decode): the
    /// format has one encoding for each venue, so the bytes must come back unchanged.
    pub fn venue_body_round_trip(body: &[u8]) -> Option<Result<Vec<u8>, Error>> {
        let (venue, kid) = crate::codes::venue::Venue::decode_body(body).ok()?;
        Some(venue.encode_body(kid))
    }

    /// The same for a personal-code body.
    pub fn personal_body_round_trip(body: &[u8]) -> Option<Result<Vec<u8>, Error>> {
        let (code, kid) = crate::codes::person::PersonalCode::decode_body(body).ok()?;
        Some(code.encode_body(kid))
    }
}

/// Shared by the unit tests (and, by path, the integration tests and benchmarks).
#[cfg(test)]
#[path = "../tests/support/reference.rs"]
mod test_support;

/// The README's Rust examples, run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
