//! Fuzz target: content detection and every non-STIX importer (Microsoft mapping,
//! MISP galaxy and event, KEV JSON/CSV, indicator lists). Must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stormwatch_intel::detect::{convert, detect, Detected};
use stormwatch_intel::Context;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let d = detect(text);
    if d == Detected::Stix {
        let _ = stormwatch_model::parse_bundle(text, Default::default());
    } else if let Ok(c) = convert(d, text, "fuzz.txt", &Context::default()) {
        let _ = stormwatch_intel::check_converted(c);
    }
});
