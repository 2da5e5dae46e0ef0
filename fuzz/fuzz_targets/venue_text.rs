//! Any text through venue-code parsing and verification: no panic, and base41 payloads that
//! decode re-encode to the same text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use venuecode::{Prefix, SecretKey, Timestamp, TrustedKey, Usage, UnverifiedVenueCode, base41};

fuzz_target!(|text: &str| {
    if let Ok(bytes) = base41::decode(text) {
        assert_eq!(base41::encode(&bytes), text);
    }
    let Ok(prefix) = Prefix::new("HTTPS://VC.SH.GOV.CN/1/") else { return };
    let key = TrustedKey::new(SecretKey::from_seed(&[1; 32]).public_key(), Usage::Venue)
        .with_prefix(&prefix);
    if let Ok(code) = UnverifiedVenueCode::parse(text) {
        let _ = code.verify(&key, Timestamp::from_unix(1_654_000_000));
    }
});
