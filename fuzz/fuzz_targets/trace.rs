//! Any text as a trace audit log, line by line, and as a sealed trace reference; any bytes as a
//! reference's bytes, opened with the authority's key: no panic, and a log's chain is refused
//! at the first line that breaks it, never later.
#![no_main]

use libfuzzer_sys::fuzz_target;
use venuecode::trace::audit::AuditChain;
use venuecode::trace::{TraceKey, TraceRef};

fuzz_target!(|data: &[u8]| {
    let key = TraceKey::derive(&[5; 32]);
    if let Ok(sealed) = TraceRef::from_bytes(data) {
        let _ = key.open(&sealed, &data[..16]);
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(sealed) = text.trim().parse::<TraceRef>() {
        assert_eq!(sealed.to_string(), text.trim());
        let _ = key.open(&sealed, b"");
    }
    let mut chain = AuditChain::new(key.audit_key());
    for line in text.lines() {
        let before = chain.entries();
        if chain.push_line(line).is_err() {
            assert_eq!(chain.entries(), before);
            break;
        }
    }
});
