//! Any text through the masking functions and ID validation: no panic; a one-part name keeps its
//! length; a valid ID number masks to the masked form.
#![no_main]

use libfuzzer_sys::fuzz_target;
use venuecode::id::IdNumber;
use venuecode::mask::{is_masked_id_number, mask_id_number, mask_name, mask_phone};

fuzz_target!(|text: &str| {
    let masked = mask_name(text);
    let trimmed = text.trim();
    if !trimmed.contains(|c: char| c.is_whitespace() || "·•・‧.".contains(c)) {
        assert_eq!(masked.chars().count(), trimmed.chars().count());
    }
    let _ = mask_phone(text);
    if let Ok(id) = IdNumber::parse(text) {
        assert!(is_masked_id_number(&mask_id_number(&id)));
    }
});
