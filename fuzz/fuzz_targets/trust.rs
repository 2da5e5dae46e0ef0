//! Any bytes as a signed trust list and as a gate's stored state: no panic, no allocation
//! beyond the documented limits. The first byte chooses whether to sign the rest as a trust
//! list's payload with the pinned root, so that the JSON inside is parsed and the root looked up.
#![no_main]

use libfuzzer_sys::fuzz_target;
use venuecode::door::GateState;
use venuecode::{ListKind, SecretKey, Timestamp};

fuzz_target!(|data: &[u8]| {
    let root = SecretKey::from_seed(&[7; 32]);
    let pinned = [root.public_key().id()];
    let now = Timestamp::from_unix(1_649_208_600);
    let mut state = GateState::from_bytes(data).unwrap_or_default();
    let _ = state.trust_list(data, &pinned, now);
    let _ = GateState::from_bytes(&state.to_bytes()).map(|again| assert_eq!(again, state));
    if data.len() > 1 && data[0] & 1 == 1 {
        let from = Timestamp::from_unix(1_649_200_000);
        let until = Timestamp::from_unix(1_649_300_000);
        if let Ok(bytes) = venuecode::fuzzing::seal_list(ListKind::Trust, &root, from, until, &data[1..]) {
            let _ = venuecode::signed_trust::open(&bytes, &pinned, now);
        }
    }
});
