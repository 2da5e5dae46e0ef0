//! Any text as a rule set and as a signed rule set: no panic; a set that loads decides every
//! case without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use venuecode::health::Colour;
use venuecode::policy::{Facts, Policy, Revocations, StatusState, TestFact};
use venuecode::{CodeState, Timestamp, TrustList, VenueClass};

fuzz_target!(|text: &str| {
    let _ = Policy::load_signed(text.as_bytes(), &TrustList::new(), Timestamp::from_unix(0));
    if let Ok(p) = Policy::from_json(text) {
        for class in p.classes() {
            let class = VenueClass::named(class);
            let facts = Facts {
                code: CodeState::Valid,
                status: StatusState::Fresh,
                colour: Some(Colour::Red),
                test: TestFact::None,
                class: &class,
                revocations: Revocations::Checked,
            };
            let _ = p.decide(&facts);
        }
    }
});
