//! Any text as a check-in request, and any request through a gate's check-in: no panic; a
//! request that parses writes back to JSON that parses to the same request.
#![no_main]

use libfuzzer_sys::fuzz_target;
use venuecode::door::{Checkpoint, CheckInRequest, Gate};
use venuecode::policy::Policy;
use venuecode::pseudonym::PseudonymKey;
use venuecode::record_keys::RecordKeys;
use venuecode::trace::TraceKey;
use venuecode::{Prefix, SecretKey, TrustList, TrustedKey, Usage};

fuzz_target!(|text: &str| {
    let Ok(request) = CheckInRequest::from_json(text) else {
        return;
    };
    assert_eq!(CheckInRequest::from_json(&request.to_json()).ok(), Some(request.clone()));
    let mut trust = TrustList::new();
    // The vectors' keys and prefixes, so that seeds made of them verify.
    for (seed, usage, prefix) in [
        (1u8, Usage::Venue, "HTTPS://VC.SH.GOV.CN/1/"),
        (2, Usage::Personal, "HTTPS://HC.SH.GOV.CN/P/"),
    ] {
        let Ok(prefix) = Prefix::new(prefix) else { return };
        let key = SecretKey::from_seed(&[seed; 32]).public_key();
        let _ = trust.add(TrustedKey::new(key, usage).with_prefix(&prefix));
    }
    let Ok(policy) = Policy::builtin("sh-2022-04-01") else {
        return;
    };
    let mut gate = Gate::new(Checkpoint::new(trust), policy);
    let keys = RecordKeys::with_seed(
        PseudonymKey::from_bytes([9; 32]),
        TraceKey::derive(&[5; 32]).public(),
        [6; 32],
    );
    if let Ok(arrival) = gate.check_in(&request, request.at) {
        let _ = arrival.recorded(&keys);
    }
});
