//! Feeds arbitrary bytes through the server's request parsers: the TAXII query
//! string (`match[...]`, `added_after`, `limit`, `next`) and the REST command
//! endpoints' query strings, a POSTed TAXII envelope (then the bundle parser, as
//! `POST .../objects/` does) and a `POST /api/attribute` body. Any input may be
//! rejected with a TAXII error message (always a 4xx); none may panic, overflow the
//! stack or hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stormwatch_server::parse;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match parse::query_pairs(&text) {
        Ok(pairs) => {
            if let Ok(p) = parse::taxii_params(&pairs, 1000) {
                assert!((1..=1000).contains(&p.limit));
                assert!(p.filter.after_cseq >= 0);
            }
            let _ = parse::why_query(&pairs);
            let _ = parse::hunt_query(&pairs);
            let _ = parse::input_name(&pairs);
        }
        Err(e) => assert_eq!(e.status.as_u16(), 400),
    }
    match parse::envelope_bundle(data) {
        Ok(bundle) => {
            let _ = stormwatch_model::parse_bundle(&bundle, Default::default());
        }
        Err(e) => assert_eq!(e.status.as_u16(), 400),
    }
    match parse::attribute_request(data) {
        Ok(r) => assert!(r.limit >= 1 && r.observation.len() <= parse::MAX_OBSERVED),
        Err(e) => assert_eq!(e.status.as_u16(), 400),
    }
});
