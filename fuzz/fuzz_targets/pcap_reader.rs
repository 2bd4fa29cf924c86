//! Fuzz target: the pcap / pcapng reader and packet decoder
//! (`stormwatch_hunt::pcap`). Any input may end in an error; none may panic, hang or
//! allocate without bound.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stormwatch_hunt::pcap::{is_capture, read_packets, Packet};

fuzz_target!(|data: &[u8]| {
    let detected = is_capture(data);
    let mut seen = 0u64;
    let mut last_number = 0u64;
    let result = read_packets(data, &mut |p: Packet| {
        seen += 1;
        assert_eq!(p.number, last_number + 1, "packet numbers are consecutive");
        assert!(
            p.offset < data.len() as u64,
            "packet offset inside the input"
        );
        last_number = p.number;
        for v in &p.values {
            assert!(!v.text.is_empty());
        }
    });
    match result {
        Ok(n) => {
            assert!(detected, "only a recognised capture reads without error");
            assert_eq!(n, seen);
        }
        Err(e) => {
            assert!(
                e.offset <= data.len() as u64,
                "error offset inside the input"
            );
            let _ = e.to_string();
        }
    }
});
