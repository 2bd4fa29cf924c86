//! The binary on the big real files in ../shared/data (skipped when absent, except
//! under CI=true), with stix2-validator as the oracle for exported bundles.

use assert_cmd::Command;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use stormwatch_testkit::{oracle, shared_data};

fn sw(db: &Path) -> Command {
    let mut c = Command::cargo_bin("stormwatch").unwrap();
    c.env_remove("STORMWATCH_DB")
        .env_remove("STORMWATCH_DATABASE_URL")
        .arg("--db")
        .arg(db);
    c
}

fn by_id(path: &Path) -> BTreeMap<String, Value> {
    let v: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    v["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["id"].as_str().unwrap().to_owned(), o.clone()))
        .collect()
}

/// Runs stix2-validator on a bundle and requires that it reports no error.
fn validate(bundle: &Path) {
    let Some(v) = oracle("STORMWATCH_STIX2_VALIDATOR") else {
        return;
    };
    let out = std::process::Command::new(v).arg(bundle).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "stix2-validator rejected {}:\n{text}",
        bundle.display()
    );
    assert!(!text.contains("[X]"), "{text}");
}

#[test]
fn enterprise_attack_import_show_search_export() {
    let Some(src) = shared_data("attack/enterprise-attack-18.1.json") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kb.db");
    sw(&db).arg("import").arg(&src).assert().success();
    let out = sw(&db).args(["show", "G1045"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("Salt Typhoon") && text.contains("JumbledPath") && text.contains("T1190"),
        "{text}"
    );
    let out = sw(&db)
        .args([
            "--format",
            "json",
            "search",
            "typhoon",
            "--type",
            "intrusion-set",
        ])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|h| h["name"].as_str())
        .collect();
    assert!(
        names.starts_with(&["Salt Typhoon", "Volt Typhoon"])
            || names.starts_with(&["Volt Typhoon", "Salt Typhoon"]),
        "{names:?}"
    );
    // Export gives the same set of objects with equal JSON values.
    let exported = dir.path().join("export.json");
    sw(&db)
        .args(["export", "-o"])
        .arg(&exported)
        .assert()
        .success();
    let (a, b) = (by_id(&src), by_id(&exported));
    assert_eq!(a.len(), 24_772);
    assert!(a == b, "export differs from the input");
}

#[test]
fn ics_export_passes_stix2_validator() {
    let Some(src) = shared_data("attack/ics-attack-18.1.json") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kb.db");
    sw(&db).arg("import").arg(&src).assert().success();
    let exported = dir.path().join("ics.json");
    sw(&db)
        .args(["export", "-o"])
        .arg(&exported)
        .assert()
        .success();
    assert_eq!(by_id(&src), by_id(&exported));
    validate(&exported);
}

#[test]
fn stix20_bundle_exports_as_valid_21() {
    let Some(src) = shared_data("attack/enterprise-attack-15.0.stix20.json") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kb.db");
    sw(&db).arg("import").arg(&src).assert().success();
    let exported = dir.path().join("v21.json");
    sw(&db)
        .args(["export", "-o"])
        .arg(&exported)
        .assert()
        .success();
    let (a, b) = (by_id(&src), by_id(&exported));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    assert!(b.values().all(|o| o["spec_version"] == "2.1"));
    // Validate a slice of every type (the whole 26 MB bundle takes the validator minutes).
    let slice = dir.path().join("slice.json");
    sw(&db)
        .args(["export", "-o"])
        .arg(&slice)
        .args([
            "--type",
            "malware",
            "--type",
            "tool",
            "--type",
            "intrusion-set",
            "--type",
            "identity",
            "--type",
            "marking-definition",
            "--type",
            "x-mitre-tactic",
            "--type",
            "campaign",
        ])
        .assert()
        .success();
    validate(&slice);
}

#[test]
fn advisory_and_examples_import() {
    let Some(dir_ex) = shared_data("stix/examples/cti-documentation") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kb.db");
    let mut files: Vec<_> = std::fs::read_dir(dir_ex)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    sw(&db).arg("import").args(&files).assert().success();
    let exported = dir.path().join("examples.json");
    sw(&db)
        .args(["export", "-o"])
        .arg(&exported)
        .assert()
        .success();
    validate(&exported);
}
