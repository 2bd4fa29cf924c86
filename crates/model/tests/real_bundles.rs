//! The parser and validator on real, independently written STIX files.

use serde_json::Value;
use std::path::Path;
use stormwatch_model::{bundle::as_utf8, parse_bundle, Limits};
use stormwatch_testkit::{example, shared_data};

fn objects_of(path: &Path) -> Vec<Value> {
    let v: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    match v.get("objects") {
        Some(Value::Array(a)) => a.clone(),
        _ => vec![v],
    }
}

/// Every object is accepted, and its stored text is the same JSON value as the input.
fn assert_lossless(path: &Path) -> usize {
    let bytes = std::fs::read(path).unwrap();
    let text = as_utf8(&bytes).unwrap();
    let parsed = parse_bundle(text, Limits::default()).unwrap();
    assert!(
        parsed.rejected.is_empty(),
        "{}: {:?}",
        path.display(),
        parsed.rejected
    );
    let input = objects_of(path);
    assert_eq!(parsed.objects.len(), input.len(), "{}", path.display());
    for (c, orig) in parsed.objects.iter().zip(&input) {
        let stored: Value = serde_json::from_str(&c.object.text).unwrap();
        if !c.upgraded {
            assert_eq!(&stored, orig, "{}", path.display());
        }
    }
    parsed.objects.len()
}

#[test]
fn cisa_advisory_file() {
    let path = example("AA25-239A.stix.json");
    assert_eq!(assert_lossless(&path), 172);
    let bytes = std::fs::read(&path).unwrap();
    let parsed = parse_bundle(as_utf8(&bytes).unwrap(), Limits::default()).unwrap();
    // Technique ids appear only inside names; they become external ids.
    let t1569 = parsed
        .objects
        .iter()
        .find(|c| {
            c.object.meta.name.as_deref() == Some("Execution / System Services [T1569] (ENT)")
        })
        .unwrap();
    assert_eq!(t1569.object.meta.external_ids[0].id, "T1569");
    // The CISA marking definition (whose extension-definition is absent) is kept.
    assert!(parsed
        .objects
        .iter()
        .any(|c| c.object.meta.type_name == "marking-definition"));
}

#[test]
fn attack_excerpt() {
    assert_eq!(assert_lossless(&example("attack-salt-typhoon.json")), 47);
}

#[test]
fn official_stix_examples() {
    let Some(dir) = shared_data("stix/examples") else {
        return;
    };
    let mut files = Vec::new();
    let mut stack = vec![dir];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "json") {
                files.push(p);
            }
        }
    }
    assert!(files.len() > 40, "{}", files.len());
    for f in files {
        assert_lossless(&f);
    }
}

#[test]
fn attack_enterprise_ics_mobile() {
    for (f, n) in [
        ("attack/enterprise-attack-18.1.json", 24_772),
        ("attack/ics-attack-18.1.json", 1_826),
        ("attack/mobile-attack-17.1.json", 2_148),
    ] {
        let Some(p) = shared_data(f) else { return };
        assert_eq!(assert_lossless(&p), n, "{f}");
    }
}

#[test]
fn attack_20_is_upgraded() {
    let Some(p) = shared_data("attack/enterprise-attack-15.0.stix20.json") else {
        return;
    };
    let bytes = std::fs::read(&p).unwrap();
    let parsed = parse_bundle(as_utf8(&bytes).unwrap(), Limits::default()).unwrap();
    assert!(parsed.rejected.is_empty());
    assert_eq!(parsed.objects.len(), 19_981);
    assert_eq!(parsed.format_name(), "stix-2.0");
    for c in &parsed.objects {
        assert!(c.upgraded);
        let v: Value = serde_json::from_str(&c.object.text).unwrap();
        assert_eq!(v["spec_version"], "2.1");
        if v["type"] == "malware" {
            assert_eq!(v["is_family"], true);
            assert!(v.get("labels").is_none());
        }
        // Nothing valid after upgrade fails the 2.1 validator.
        assert!(stormwatch_model::validate(v.as_object().unwrap())
            .iter()
            .all(|i| i.severity != stormwatch_model::Severity::Error));
    }
}
