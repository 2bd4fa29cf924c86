//! Every SigmaHQ rule in shared/data/sigma parses or is rejected with a reason; every
//! rule under network/zeek and network/cisco/aaa is supported.

use stormwatch_detect::{load_rules, Detector};

#[test]
fn sigmahq_rules_parse_or_are_rejected_with_a_reason() {
    let Some(dir) = stormwatch_testkit::shared_data("sigma") else {
        return;
    };
    let (rules, skipped) = load_rules(&dir);
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
    let d = Detector::new(rules, None, &[]);
    assert!(d.groups().iter().any(|(s, n)| s == "zeek/dns" && *n >= 5));
    assert!(d.groups().iter().any(|(s, n)| s == "cisco/aaa" && *n >= 13));
}
