//! Any text through personal-code parsing and verification: no panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use venuecode::person::UnverifiedPersonalCode;
use venuecode::{Prefix, SecretKey, Timestamp, TrustedKey, Usage};

fuzz_target!(|text: &str| {
    let Ok(prefix) = Prefix::new("HTTPS://HC.SH.GOV.CN/P/") else { return };
    let key = TrustedKey::new(SecretKey::from_seed(&[2; 32]).public_key(), Usage::Personal)
        .with_prefix(&prefix);
    if let Ok(code) = UnverifiedPersonalCode::parse(text) {
        let _ = code.verify(&key, Timestamp::from_unix(1_649_208_600));
    }
});
