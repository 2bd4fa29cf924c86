//! Transactional import: whole files or nothing, every bad object reported.

use std::io::Write;
use std::path::Path;
use stormwatch_intel::{import_file, ImportOptions, NoProgress};
use stormwatch_store::{ExportFilter, SqliteStore, Store};
use stormwatch_testkit::example;

const GOOD: &str = r#"{"type":"ipv4-addr","id":"ipv4-addr--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5","value":"1.2.3.4"}"#;
const GOOD2: &str = r#"{"type":"ipv4-addr","id":"ipv4-addr--d78cb6e5-0c4b-4611-8297-d1b8b55e40b5","value":"5.6.7.8"}"#;
const BAD_ID: &str = r#"{"type":"ipv4-addr","id":"ipv4-addr--not-a-uuid","value":"9.9.9.9"}"#;
const BAD_TIME: &str = r#"{"type":"malware","spec_version":"2.1","id":"malware--e78cb6e5-0c4b-4611-8297-d1b8b55e40b5","created":"yesterday","modified":"2020-01-01T00:00:00Z","is_family":true,"name":"x"}"#;

fn bundle(objs: &[&str]) -> String {
    format!(
        "{{\"type\":\"bundle\",\"id\":\"bundle--a78cb6e5-0c4b-4611-8297-d1b8b55e40b5\",\"objects\":[\n{}\n]}}",
        objs.join(",\n")
    )
}

fn count(s: &dyn Store) -> usize {
    let mut n = 0;
    s.export(&ExportFilter::default(), &mut |_| {
        n += 1;
        Ok(())
    })
    .unwrap();
    n
}

fn import(s: &mut SqliteStore, p: &Path, skip: bool) -> stormwatch_intel::FileReport {
    let opts = ImportOptions {
        skip_invalid: skip,
        ..Default::default()
    };
    import_file(
        s,
        p,
        &p.display().to_string(),
        &opts,
        &Default::default(),
        &mut NoProgress,
    )
}

#[test]
fn a_bad_object_rejects_the_whole_file_and_lists_every_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = SqliteStore::open(&dir.path().join("kb.db")).unwrap();
    let f = dir.path().join("mixed.json");
    std::fs::write(&f, bundle(&[GOOD, BAD_ID, GOOD2, BAD_TIME])).unwrap();
    let r = import(&mut s, &f, false);
    assert!(r.is_rejected());
    assert!(!r.committed);
    assert_eq!(r.imported, 0);
    assert_eq!(count(&s), 0, "nothing may be written");
    let idx: Vec<usize> = r.rejected.iter().map(|x| x.index).collect();
    assert_eq!(idx, vec![1, 3]);
    assert_eq!(r.rejected[0].line, 3);
    assert!(
        r.rejected[0].error.contains("property id"),
        "{}",
        r.rejected[0].error
    );
    assert_eq!(
        r.rejected[1].id.as_deref(),
        Some("malware--e78cb6e5-0c4b-4611-8297-d1b8b55e40b5")
    );
    assert!(
        r.rejected[1].error.contains("property created"),
        "{}",
        r.rejected[1].error
    );

    // --skip-invalid imports the valid ones and still reports the rest.
    let r = import(&mut s, &f, true);
    assert!(r.committed && !r.is_rejected());
    assert_eq!((r.imported, r.rejected.len()), (2, 2));
    assert_eq!(count(&s), 2);
}

#[test]
fn reimport_adds_nothing_and_gzip_is_detected_by_content() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = SqliteStore::open(&dir.path().join("kb.db")).unwrap();
    let src = example("attack-salt-typhoon.json");
    let r = import(&mut s, &src, false);
    assert_eq!((r.imported, r.unchanged), (47, 0));
    assert_eq!(r.format.as_deref(), Some("stix-2.1"));
    // The same content, gzipped, under a name that says nothing.
    let gz = dir.path().join("intel.dat");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(&std::fs::read(&src).unwrap()).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    let r = import(&mut s, &gz, false);
    assert_eq!((r.imported, r.unchanged), (0, 47));
    assert_eq!(r.format.as_deref(), Some("stix-2.1+gzip"));
}

#[test]
fn dangling_references_are_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = SqliteStore::open(&dir.path().join("kb.db")).unwrap();
    let r = import(&mut s, &example("AA25-239A.stix.json"), false);
    assert!(r.committed);
    assert_eq!(r.imported, 172);
    let w = r
        .warnings
        .iter()
        .find(|w| w.contains("neither in this file nor in the store"))
        .unwrap();
    assert!(w.starts_with("3 referenced objects"), "{w}");
}

#[test]
fn stix_20_upgrades() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = SqliteStore::open(&dir.path().join("kb.db")).unwrap();
    let f = dir.path().join("old.json");
    std::fs::write(&f, r#"{"type":"bundle","id":"bundle--a78cb6e5-0c4b-4611-8297-d1b8b55e40b5","spec_version":"2.0","objects":[
        {"type":"malware","id":"malware--a78cb6e5-0c4b-4611-8297-d1b8b55e40b5","created":"2017-01-01T00:00:00.000Z","modified":"2017-01-01T00:00:00.000Z","name":"X","labels":["malware"]},
        {"type":"indicator","id":"indicator--a78cb6e5-0c4b-4611-8297-d1b8b55e40b5","created":"2017-01-01T00:00:00.000Z","modified":"2017-01-01T00:00:00.000Z","labels":["malicious-activity"],"pattern":"[ipv4-addr:value = '1.2.3.4']","valid_from":"2017-01-01T00:00:00Z"}]}"#).unwrap();
    let r = import(&mut s, &f, false);
    assert!(r.committed, "{r:?}");
    assert_eq!(r.format.as_deref(), Some("stix-2.0"));
    let m: serde_json::Value = s
        .get("malware--a78cb6e5-0c4b-4611-8297-d1b8b55e40b5")
        .unwrap()
        .unwrap()
        .value()
        .unwrap();
    assert_eq!(m["spec_version"], "2.1");
    assert_eq!(m["is_family"], true);
    let i: serde_json::Value = s
        .get("indicator--a78cb6e5-0c4b-4611-8297-d1b8b55e40b5")
        .unwrap()
        .unwrap()
        .value()
        .unwrap();
    assert_eq!(i["pattern_type"], "stix");
    assert_eq!(i["labels"], serde_json::json!(["malicious-activity"]));
}
