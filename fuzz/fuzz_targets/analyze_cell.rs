//! The cell analysis on arbitrary text: it must never panic or overflow the stack.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(code) = std::str::from_utf8(data) {
        let _ = elastic_notebook::analysis::analyze(code);
    }
});
