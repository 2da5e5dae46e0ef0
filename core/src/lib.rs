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
//! let mut trust = TrustList::new();
//! trust.add(TrustedKey::new(key.public_key(), Usage::Venue))?;
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
//! let prefix = Prefix::new("HTTPS://VC.SH.GOV.CN/1/")?;
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

pub mod base41;
mod envelope;
mod error;
pub mod gate;
pub mod id;
mod key;
mod list;
pub mod mask;
pub mod person;
pub mod policy;
#[cfg(feature = "poster")]
pub mod poster;
pub mod pseudonym;
#[cfg(feature = "render")]
pub mod qr;
#[cfg(feature = "scan")]
pub mod raster;
pub mod record;
pub mod revoke;
#[cfg(feature = "scan")]
pub mod scan;
pub mod status;
pub mod text;
mod timestamp;
pub mod token;
mod trust;
mod venue;
mod wire;

pub use envelope::{CLOCK_SKEW_SECS, CodeKind, MAX_PREFIX_LEN, MAX_TEXT_LEN, Prefix, code_kind};
pub use error::{ERROR_CODES, Error, FormatError, REJECTION_CODES, Subject};
pub use key::{KeyId, PublicKey, SIGNATURE_LEN, SecretKey};
pub use list::MAX_LIST_BYTES;
pub use timestamp::Timestamp;
pub use trust::{
    KeyProvider, MAX_TRUST_LIST_BYTES, MAX_TRUST_LIST_KEYS, TrustList, TrustedKey, Usage,
};
pub use venue::{
    Division, UnverifiedVenueCode, Venue, VenueType, VerifiedVenueCode, verify_venue_code,
};

/// Constants of the venue-code format (SPEC.md §5).
pub mod venue_format {
    pub use crate::venue::{MAX_ADDRESS_LEN, MAX_DOOR_LEN, MAX_ID_LEN, MAX_NAME_LEN, VERSION};
}

/// Hooks for the fuzz targets (feature `fuzzing`): not part of the API.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing {
    use crate::{Error, SecretKey, Timestamp};

    /// Signs `payload` as a status list (`status`) or a revocation list, so that fuzzed payloads
    /// reach the checks behind the signature.
    pub fn seal_list(
        status: bool,
        key: &SecretKey,
        from: Timestamp,
        until: Timestamp,
        payload: &[u8],
    ) -> Result<Vec<u8>, Error> {
        let (domain, version): (&[u8], u8) = if status {
            (crate::status::DOMAIN, crate::status::VERSION)
        } else {
            (crate::revoke::DOMAIN, crate::revoke::VERSION)
        };
        crate::list::seal(domain, version, key, from, until, payload)
    }

    /// Decodes a venue-code body and encodes it again (`None` if it does not decode): the
    /// format has one encoding for each venue, so the bytes must come back unchanged.
    pub fn venue_body_round_trip(body: &[u8]) -> Option<Result<Vec<u8>, Error>> {
        let (venue, kid) = crate::venue::Venue::decode_body(body).ok()?;
        Some(venue.encode_body(kid))
    }

    /// The same for a personal-code body.
    pub fn personal_body_round_trip(body: &[u8]) -> Option<Result<Vec<u8>, Error>> {
        let (code, kid) = crate::person::PersonalCode::decode_body(body).ok()?;
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
