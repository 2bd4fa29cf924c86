//! Feeds arbitrary bytes through the same path `stormwatch import` uses:
//! UTF-8 check, then bundle parsing and per-object validation. Any input may be
//! rejected with an error; none may panic, overflow or hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stormwatch_model::bundle::as_utf8;
use stormwatch_model::{parse_bundle, Limits};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = as_utf8(data) else {
        return;
    };
    // A small object limit also exercises the "object too large" path.
    for limits in [
        Limits::default(),
        Limits {
            max_object_bytes: 256,
        },
    ] {
        if let Ok(parsed) = parse_bundle(text, limits) {
            // Touch the results so nothing is optimised away.
            let _ = parsed.format_name();
            for checked in &parsed.objects {
                let _ = checked.index;
            }
            for rejected in &parsed.rejected {
                let _ = rejected.errors.len();
            }
        }
    }
});
