//! The SQLite store through the Store trait: versions, latest, revocation, indexes,
//! search and export filters.

use serde_json::{json, Value};
use std::borrow::Cow;
use stormwatch_model::{ObjectMeta, StixObject};
use stormwatch_store::{Direction, ExportFilter, SearchQuery, SqliteStore, Store};

const IS: &str = "intrusion-set--1c3dcf91-b859-4aae-a09c-ae26dc8b6390";
const MW: &str = "malware--05489800-6c6f-4922-a0de-d573b333e612";
const REL: &str = "relationship--11111111-2222-4333-8444-555555555555";
const CLEAR: &str = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487";

fn obj(v: Value) -> StixObject<'static> {
    let meta = ObjectMeta::from_map(v.as_object().unwrap());
    StixObject {
        text: Cow::Owned(v.to_string()),
        meta,
    }
}

fn intrusion_set(modified: &str, description: &str, revoked: bool) -> StixObject<'static> {
    obj(json!({
        "type": "intrusion-set", "spec_version": "2.1", "id": IS,
        "created": "2025-02-24T20:45:14.093Z", "modified": modified,
        "name": "Salt Typhoon", "aliases": ["Salt Typhoon", "GhostEmperor", "Operator Panda"],
        "description": description, "revoked": revoked,
        "external_references": [{"source_name": "mitre-attack", "external_id": "G1045"}],
        "object_marking_refs": [CLEAR],
        "x_custom": {"kept": [1, 2.5, null]}
    }))
}

fn fixture() -> Vec<StixObject<'static>> {
    vec![
        intrusion_set(
            "2025-03-06T20:09:16.402Z",
            "PRC state-backed telecom intruder",
            false,
        ),
        obj(
            json!({"type": "malware", "spec_version": "2.1", "id": MW, "is_family": true,
            "created": "2025-02-24T00:00:00Z", "modified": "2025-02-24T00:00:00Z",
            "name": "JumbledPath",
            "external_references": [{"source_name": "mitre-attack", "external_id": "S1206"}]}),
        ),
        obj(
            json!({"type": "relationship", "spec_version": "2.1", "id": REL,
            "created": "2025-02-24T00:00:00Z", "modified": "2025-02-24T00:00:00Z",
            "relationship_type": "uses", "source_ref": IS, "target_ref": MW,
            "description": "Salt Typhoon uses JumbledPath"}),
        ),
    ]
}

fn store() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let s = SqliteStore::open(&dir.path().join("sub/dir/kb.db")).unwrap();
    (dir, s)
}

#[test]
fn writes_are_idempotent_and_versioned() {
    let (_d, mut s) = store();
    let r = s.write(&fixture(), &mut |_| {}).unwrap();
    assert_eq!((r.imported, r.unchanged), (3, 0));
    let r = s.write(&fixture(), &mut |_| {}).unwrap();
    assert_eq!((r.imported, r.unchanged), (0, 3));

    // A newer version becomes the latest; the older one stays.
    let v2 = intrusion_set("2025-04-01T00:00:00Z", "updated text about routers", false);
    s.write(&[v2], &mut |_| {}).unwrap();
    let latest = s.get(IS).unwrap().unwrap();
    assert!(latest.json.contains("updated text"));
    assert_eq!(s.versions(IS).unwrap().len(), 2);
    // An older version arriving late does not displace the latest.
    let v0 = intrusion_set("2025-01-01T00:00:00Z", "oldest", false);
    s.write(&[v0], &mut |_| {}).unwrap();
    assert!(s.get(IS).unwrap().unwrap().json.contains("updated text"));
    let versions = s.versions(IS).unwrap();
    assert_eq!(versions.len(), 3);
    assert!(versions[0].json.contains("oldest"));
    // Search follows the latest version only.
    let q = |t: &str| SearchQuery {
        text: t.into(),
        limit: 10,
        ..Default::default()
    };
    assert!(s.search(&q("routers")).unwrap().len() == 1);
    assert!(s.search(&q("intruder")).unwrap().is_empty());
    // Custom properties are stored as they came.
    let v: Value = latest.value().unwrap();
    assert_eq!(v["x_custom"], json!({"kept": [1, 2.5, null]}));
}

#[test]
fn resolve_by_id_external_id_name_and_alias() {
    let (_d, mut s) = store();
    s.write(&fixture(), &mut |_| {}).unwrap();
    for key in [
        IS,
        "G1045",
        "g1045",
        "salt typhoon",
        "SALT-TYPHOON",
        "ghostemperor",
        "Operator Panda",
    ] {
        let found = s.resolve(key).unwrap();
        assert_eq!(found.len(), 1, "{key}");
        assert_eq!(found[0].id, IS, "{key}");
    }
    assert!(s.resolve("Volt Typhoon").unwrap().is_empty());
    assert_eq!(s.suggest("Salt Typhon", 3).unwrap()[0], "Salt Typhoon");
    assert_eq!(
        s.names(IS).unwrap(),
        vec!["Salt Typhoon", "GhostEmperor", "Operator Panda"]
    );
}

#[test]
fn relationships_from_both_ends() {
    let (_d, mut s) = store();
    s.write(&fixture(), &mut |_| {}).unwrap();
    let out = s.relationships(IS).unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].kind, "uses");
    assert_eq!(out[0].direction, Direction::Outgoing);
    assert_eq!(out[0].other_name.as_deref(), Some("JumbledPath"));
    assert_eq!(out[0].other_external_id.as_deref(), Some("S1206"));
    let back = s.relationships(MW).unwrap();
    assert_eq!(back[0].direction, Direction::Incoming);
    assert_eq!(back[0].other_name.as_deref(), Some("Salt Typhoon"));
}

#[test]
fn revoked_objects_leave_search_but_stay_exported() {
    let (_d, mut s) = store();
    s.write(&fixture(), &mut |_| {}).unwrap();
    let revoked = intrusion_set("2025-05-01T00:00:00Z", "withdrawn", true);
    s.write(&[revoked], &mut |_| {}).unwrap();
    let q = SearchQuery {
        text: "salt".into(),
        limit: 10,
        ..Default::default()
    };
    assert!(s.search(&q).unwrap().is_empty());
    let q = SearchQuery {
        include_revoked: true,
        ..q
    };
    assert_eq!(s.search(&q).unwrap().len(), 1);
    // Resolving still finds it (nothing else matches), marked revoked.
    let r = s.resolve("G1045").unwrap();
    assert!(r[0].revoked);
    let mut n = 0;
    s.export(&ExportFilter::default(), &mut |_| {
        n += 1;
        Ok(())
    })
    .unwrap();
    assert_eq!(n, 3);
    assert_eq!(s.stats().unwrap().revoked, 1);
}

#[test]
fn search_ranks_names_and_filters_types() {
    let (_d, mut s) = store();
    s.write(&fixture(), &mut |_| {}).unwrap();
    let q = SearchQuery {
        text: "jumbled".into(),
        limit: 10,
        ..Default::default()
    };
    let hits = s.search(&q).unwrap();
    assert_eq!(hits[0].id, MW);
    assert_eq!(hits[0].external_id.as_deref(), Some("S1206"));
    let q = SearchQuery {
        text: "salt".into(),
        types: vec!["malware".into()],
        limit: 10,
        ..Default::default()
    };
    assert!(s.search(&q).unwrap().is_empty());
    // FTS syntax in user input is inert.
    for evil in ["\"", "AND OR NOT", "salt*", "name:salt", "(", "NEAR("] {
        let q = SearchQuery {
            text: evil.into(),
            limit: 10,
            ..Default::default()
        };
        s.search(&q).unwrap();
    }
    let q = SearchQuery {
        text: "s1206".into(),
        limit: 10,
        ..Default::default()
    };
    assert_eq!(s.search(&q).unwrap()[0].id, MW);
}

#[test]
fn export_filters() {
    let (_d, mut s) = store();
    s.write(&fixture(), &mut |_| {}).unwrap();
    s.write(
        &[intrusion_set("2025-04-01T00:00:00Z", "v2", false)],
        &mut |_| {},
    )
    .unwrap();
    let ids = |f: ExportFilter| {
        let mut out = Vec::new();
        s.export(&f, &mut |o| {
            out.push(o.id.clone());
            Ok(())
        })
        .unwrap();
        out
    };
    assert_eq!(ids(ExportFilter::default()).len(), 3);
    assert_eq!(
        ids(ExportFilter {
            all_versions: true,
            ..Default::default()
        })
        .len(),
        4
    );
    assert_eq!(
        ids(ExportFilter {
            types: vec!["malware".into()],
            ..Default::default()
        }),
        vec![MW]
    );
    assert_eq!(
        ids(ExportFilter {
            markings: vec![CLEAR.into()],
            ..Default::default()
        }),
        vec![IS]
    );
    let since = stormwatch_model::Timestamp::parse("2025-03-01T00:00:00Z")
        .unwrap()
        .key();
    assert_eq!(
        ids(ExportFilter {
            since: Some(since),
            ..Default::default()
        }),
        vec![IS]
    );
}

#[test]
fn refuses_a_file_that_is_not_a_store() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("notes.txt");
    std::fs::write(
        &p,
        "hello, this is not sqlite at all, just text padding padding padding",
    )
    .unwrap();
    let e = SqliteStore::open(&p).err().expect("must fail").to_string();
    assert!(e.contains("not a Stormwatch"), "{e}");
}
