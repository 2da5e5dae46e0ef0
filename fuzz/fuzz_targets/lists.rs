//! Any bytes as a status list (both layouts), a revocation list, a trust list and a status
//! delta: no panic, no allocation
//! beyond the documented limits. Signatures fail on random bytes, so the first byte chooses
//! whether to re-sign the rest with the trusted key and reach the payload checks.
#![no_main]

use libfuzzer_sys::fuzz_target;
use venuecode::revoke::RevocationList;
use venuecode::status::StatusList;
use venuecode::{ListKind, SecretKey, Timestamp, TrustList, TrustedKey, Usage};

fuzz_target!(|data: &[u8]| {
    let key = SecretKey::from_seed(&[8; 32]);
    let mut trust = TrustList::new();
    let _ = trust.add(TrustedKey::new(key.public_key(), Usage::Status));
    let now = Timestamp::from_unix(1_649_208_600);
    let _ = StatusList::load(data, &trust, now);
    let _ = RevocationList::load(data, &trust, now);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = TrustList::from_json(text);
    }
    // Reach the payload checks: sign the input as a payload behind a valid header.
    if data.len() > 1 && data[0] & 1 == 1 {
        let from = Timestamp::from_unix(1_649_200_000);
        let until = Timestamp::from_unix(1_649_300_000);
        let kind = [ListKind::Status, ListKind::Revocations, ListKind::City][usize::from(data[1] % 3)];
        if let Ok(bytes) = venuecode::fuzzing::seal_list(kind, &key, from, until, &data[2..]) {
            let _ = StatusList::load(&bytes, &trust, now);
            let _ = RevocationList::load(&bytes, &trust, now);
            // The input as a delta of a small city list, and of the list itself.
            let _ = venuecode::status_delta::apply(&bytes, data);
            if let Ok(rebuilt) = venuecode::status_delta::apply(&bytes, &bytes) {
                let _ = StatusList::load(&rebuilt, &trust, now);
            }
        }
    }
});
