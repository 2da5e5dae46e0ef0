#![doc = include_str!("../README.md")]
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
pub use error::{ERROR_CODES, Error, FormatError, REJECTION_CODES, Subject, meaning_zh};
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

/// The library guide's Rust examples, run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../docs/guides/library.md")]
struct LibraryGuideDoctests;
