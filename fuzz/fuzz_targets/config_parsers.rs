//! Fuzz target: configuration detection and every dialect's parser, the device model,
//! the checks, redaction and drift (`stormwatch audit`). Must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stormwatch_audit::{drift, Config, Dialect, Options};
use stormwatch_hunt::iocs::IocSet;

const ALL: [Dialect; 7] = [
    Dialect::Ios,
    Dialect::IosXe,
    Dialect::NxOs,
    Dialect::IosXr,
    Dialect::Asa,
    Dialect::JunosCurly,
    Dialect::JunosSet,
];

fuzz_target!(|data: &[u8]| {
    let set = IocSet::default();
    let _ = stormwatch_audit::audit_bytes("fuzz.cfg", data, &set, 1 << 20, Options::default());
    let text = String::from_utf8_lossy(data);
    for d in ALL {
        let c = Config::parse(&text, d);
        let (_, hits) = stormwatch_audit::hits(&c, &set, Options::default());
        let _ = drift::diff(&c, &c, &hits, false);
        for (_, l) in c.stmts() {
            let _ = stormwatch_audit::redact::redact(&l.text, d.is_junos());
        }
    }
    let _ = stormwatch_audit::exposure::from_inventory("fuzz", &text);
    let _ = stormwatch_audit::exposure::from_show_version("fuzz", &text);
});
