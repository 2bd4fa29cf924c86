//! Feeds arbitrary bytes through the attribution workbench's readers of untrusted
//! files: the ACH case parser and scorer (`stormwatch ach CASE.toml`), the
//! timestamp reader (`stormwatch timing FILE`: CSV, JSON lines, hunt JSON, Zeek TSV,
//! plain lines) and the observation reader (`stormwatch attribute FILE`). Any input
//! may be rejected with an error; none may panic, overflow the stack or hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stormwatch_attribution::ach::Case;
use stormwatch_attribution::overlap::Observation;
use stormwatch_attribution::timing::{analyse, parse_time, Events, NOISE};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(case) = Case::parse(&text) {
        let a = case.analyse();
        assert_eq!(a.ranking.len(), case.hypotheses.len());
        assert_eq!(a.evidence.len(), case.evidence.len());
        for h in &a.hypotheses {
            assert!(h.inconsistency <= 0.0 || h.inconsistency.is_nan() || case.weights != Default::default());
        }
    }
    let ev = Events::parse(&text);
    // Keep the analysed span small: the fuzzer is not a benchmark.
    let times: Vec<i64> = ev
        .times
        .iter()
        .copied()
        .filter(|t| (1_500_000_000..1_600_000_000).contains(t))
        .take(200)
        .collect();
    if !times.is_empty() {
        let lo = times.iter().min().copied().unwrap_or(0);
        let near: Vec<i64> = times.into_iter().filter(|t| t - lo < 60 * 86_400).collect();
        let r = analyse(&near, &["CN".into()], NOISE).expect("CN is a known hypothesis");
        assert_eq!(r.events, near.len());
    }
    for line in text.lines().take(50) {
        let _ = parse_time(line);
    }
    let _ = Observation::parse_text(&text);
});
