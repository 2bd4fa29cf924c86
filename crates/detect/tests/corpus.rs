//! Every SigmaHQ rule in shared/data/sigma parses or is rejected with a reason; every
//! rule under network/zeek and network/cisco/aaa is supported.

use stormwatch_detect::{load_rules, Detector, Placeholders, RuleSet};

#[test]
fn sigmahq_rules_parse_or_are_rejected_with_a_reason() {
    let Some(dir) = stormwatch_testkit::shared_data("sigma") else {
        return;
    };
    let set = load_rules(&dir, &Placeholders::new());
    let (rules, skipped) = (set.rules.clone(), set.skipped.clone());
    assert!(set.correlations.is_empty());
    let total = rules.len() + skipped.len();
    assert_eq!(total, 3780, "every .yml file is accounted for");
    for s in &skipped {
        assert!(!s.reason.trim().is_empty(), "{}: empty reason", s.file);
    }
    let mut reasons: std::collections::BTreeMap<String, usize> = Default::default();
    for s in &skipped {
        let key: String = s.reason.split(':').take(2).collect::<Vec<_>>().join(":");
        *reasons.entry(key).or_default() += 1;
    }
    eprintln!(
        "supported {} of {total}; rejected {}: {reasons:#?}",
        rules.len(),
        skipped.len()
    );
    for sub in ["rules/network/zeek", "rules/network/cisco/aaa"] {
        let bad: Vec<_> = skipped.iter().filter(|s| s.file.contains(sub)).collect();
        assert!(bad.is_empty(), "{sub}: {bad:?}");
        assert!(rules.iter().any(|r| r.file.contains(sub)));
    }
    assert!(rules.len() >= 3700, "supported {}", rules.len());
    // Compiles for every source without panicking.
    let d = Detector::new(set.clone(), None, &[]);
    assert!(d.groups().iter().any(|(s, n)| s == "zeek/dns" && *n >= 5));
    assert!(d.groups().iter().any(|(s, n)| s == "cisco/aaa" && *n >= 13));
}

/// `|expand` rules load once the site file gives their placeholders values, and the
/// values take part in matching.
#[test]
fn expand_placeholders_come_from_the_site_file() {
    let Some(dir) = stormwatch_testkit::shared_data("sigma") else {
        return;
    };
    let set = load_rules(&dir, &Placeholders::new());
    let missing: Vec<_> = set
        .skipped
        .iter()
        .filter(|s| s.reason.contains("placeholder %"))
        .collect();
    assert!(missing.len() >= 20, "{}", missing.len());
    let mut ph = Placeholders::new();
    for s in &missing {
        assert!(s.reason.contains("[placeholders]"), "{}", s.reason);
        let name = s.reason.split('%').nth(1).unwrap().to_owned();
        ph.insert(name, vec!["value-one".into(), "value-*".into()]);
    }
    // Some rules have several placeholders: give every one a value, file by file.
    let mut set2 = RuleSet::default();
    for _ in 0..4 {
        set2 = load_rules(&dir, &ph);
        let more: Vec<String> = set2
            .skipped
            .iter()
            .filter(|s| s.reason.contains("placeholder %"))
            .map(|s| s.reason.split('%').nth(1).unwrap().to_owned())
            .collect();
        if more.is_empty() {
            break;
        }
        for n in more {
            ph.insert(n, vec!["x".into()]);
        }
    }
    for s in &missing {
        assert!(
            set2.rules.iter().any(|r| r.file == s.file),
            "{} still rejected: {:?}",
            s.file,
            set2.skipped.iter().find(|x| x.file == s.file)
        );
    }
}
