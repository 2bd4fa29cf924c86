//! Fuzz target: `stormwatch detect`'s parsers of untrusted input: Sigma rules
//! (`stormwatch_detect::sigma::parse`, then compiled), device log lines (Cisco/Junos
//! syslog, TACACS+ accounting) and whole inputs through the record readers (Zeek TSV,
//! JSON lines, CSV, text) with the built-in rules. Any input may be rejected; none may
//! panic, hang or allocate without bound.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stormwatch_detect::{sigma, syslog, Detection, Detector, LoadedRule, Options};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 3 {
        0 => {
            if let Ok(text) = std::str::from_utf8(rest) {
                let mut ph = stormwatch_detect::Placeholders::new();
                ph.insert("p".into(), vec!["a*".into(), "b".into()]);
                if let Ok(docs) = sigma::parse_docs(text, &ph) {
                    let mut set = stormwatch_detect::builtin_rules();
                    for d in docs {
                        match d {
                            sigma::Doc::Rule(rule) => set.rules.push(LoadedRule { rule, file: "fuzz.yml".into() }),
                            sigma::Doc::Correlation(corr) => set.correlations.push(stormwatch_detect::LoadedCorrelation { corr, file: "fuzz.yml".into() }),
                        }
                    }
                    let det = Detector::new(set, None, &[]);
                    let mut sink = |_: &Detection| -> std::io::Result<()> { Ok(()) };
                    let input = b"{\"_path\":\"dns\",\"query\":\"x.example\"}\nOct 19 18:30:13.311: %SYS-5-CONFIG_I: x\n";
                    let _ = det.scan("fuzz", &input[..], &Options::default(), &mut sink);
                    let d = Detection { rule: 0, line: 1, offset: 0, time: Some((0, false)), captured: vec![Some("h".into())] };
                    let _ = det.correlate(&[&d, &d]);
                }
            }
        }
        1 => {
            let line = String::from_utf8_lossy(rest);
            let _ = syslog::parse(&line, 2026);
            let _ = syslog::parse_tacacs(&line, 2026);
            let _ = syslog::device_time(&line, 2026);
        }
        _ => {
            let det = Detector::new(stormwatch_detect::builtin_rules(), None, &[]);
            let mut sink = |d: &Detection| -> std::io::Result<()> {
                assert!(d.line >= 1);
                Ok(())
            };
            let opts = Options {
                max_line: 1 << 16,
                block: 4096,
                ..Default::default()
            };
            let _ = det.scan("fuzz", rest, &opts, &mut sink);
        }
    }
});
