//! Any bytes as a venue-code body and as a personal-code body (the binary payload under the
//! base41 text and the signature): no panic, and a body that decodes encodes back to exactly
//! the same bytes (one encoding per code: no malleable payloads).
#![no_main]

use libfuzzer_sys::fuzz_target;
use venuecode::fuzzing::{personal_body_round_trip, venue_body_round_trip};

fuzz_target!(|body: &[u8]| {
    if let Some(again) = venue_body_round_trip(body) {
        assert_eq!(again.as_deref(), Ok(body), "venue body");
    }
    if let Some(again) = personal_body_round_trip(body) {
        assert_eq!(again.as_deref(), Ok(body), "personal body");
    }
});
