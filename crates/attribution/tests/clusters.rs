//! Cluster semantics on a small hand-made store: thresholds, disputes, distinct-from
//! blocking (also through a third name), and the chain of claims.

use serde_json::{json, Value};
use std::borrow::Cow;
use stormwatch_attribution::{ActorGraph, Options};
use stormwatch_model::claim::{Admiralty, ClaimKind, ClaimSpec};
use stormwatch_model::{deterministic_id, ObjectMeta, StixObject};
use stormwatch_store::{SqliteStore, Store};

const T: &str = "2025-01-01T00:00:00.000Z";

fn id(t: &str, k: &str) -> String {
    deterministic_id("test", t, k)
}

fn actor(name: &str, aliases: &[&str], by: &str) -> Value {
    json!({"type": "intrusion-set", "spec_version": "2.1", "id": id("intrusion-set", name),
        "created": T, "modified": T, "name": name, "aliases": aliases, "created_by_ref": id("identity", by)})
}

fn ident(name: &str) -> Value {
    json!({"type": "identity", "spec_version": "2.1", "id": id("identity", name),
        "created": T, "modified": T, "name": name, "identity_class": "organization"})
}

fn claim(kind: ClaimKind, a: &str, b: &str, by: &str, grade: &str) -> Value {
    let (s, t, c) = (
        id("intrusion-set", a),
        id("intrusion-set", b),
        id("identity", by),
    );
    Value::Object(
        ClaimSpec {
            kind,
            source_ref: &s,
            target_ref: &t,
            created_by_ref: &c,
            source_name: by,
            date: Some("2025-03"),
            grade: Admiralty::parse(grade).unwrap(),
            reference: "test",
            url: None,
            note: None,
            timestamp: T,
        }
        .to_stix(),
    )
}

fn store(objs: Vec<Value>) -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let mut s = SqliteStore::open(&dir.path().join("kb.db")).unwrap();
    let objs: Vec<StixObject> = objs
        .into_iter()
        .map(|v| StixObject {
            meta: ObjectMeta::from_map(v.as_object().unwrap()),
            text: Cow::Owned(v.to_string()),
        })
        .collect();
    s.write(&objs, &mut |_| {}).unwrap();
    (dir, s)
}

fn members(g: &ActorGraph, name: &str, o: Options) -> Vec<String> {
    let c = g.cluster(g.find(name).unwrap(), o);
    let mut v: Vec<String> = c
        .members
        .into_iter()
        .filter(|m| m.followed)
        .map(|m| m.name)
        .collect();
    v.sort();
    v
}

fn world() -> Vec<Value> {
    vec![
        ident("Vendor A"),
        ident("Vendor B"),
        ident("ESET"),
        // Vendor A's object lists B and C as aliases of A.
        actor("Alpha", &["Bravo", "Charlie"], "Vendor A"),
        actor("Delta", &[], "Vendor B"),
        claim(
            ClaimKind::OverlapsWith,
            "Charlie",
            "Delta",
            "Vendor B",
            "B3",
        ),
        // A third source says Charlie is distinct from Bravo.
        actor("Bravo", &[], "ESET"),
        actor("Charlie", &[], "ESET"),
        claim(ClaimKind::DistinctFrom, "Charlie", "Bravo", "ESET", "B2"),
    ]
}

#[test]
fn distinct_from_blocks_even_through_a_third_name() {
    let (_d, s) = store(world());
    let g = ActorGraph::load(&s).unwrap();
    let o = Options::default();
    // From Alpha: Bravo joins; Charlie is distinct from Bravo, so it stays out, and
    // so does Delta behind it.
    let from_alpha = members(&g, "Alpha", o);
    assert!(from_alpha.contains(&"Bravo".to_owned()));
    assert!(
        !from_alpha.contains(&"Charlie".to_owned()) || !from_alpha.contains(&"Bravo".to_owned())
    );
    // Never both Bravo and Charlie, whatever the starting point.
    for start in ["Alpha", "Bravo", "Charlie", "Delta"] {
        let m = members(&g, start, o);
        assert!(
            !(m.contains(&"Bravo".to_owned()) && m.contains(&"Charlie".to_owned())),
            "{start}: {m:?}"
        );
    }
    // Including disputes joins everything.
    let all = members(
        &g,
        "Alpha",
        Options {
            include_disputed: true,
            ..o
        },
    );
    assert_eq!(all, vec!["Alpha", "Bravo", "Charlie", "Delta"]);
}

#[test]
fn threshold_and_why() {
    let (_d, s) = store(world());
    let g = ActorGraph::load(&s).unwrap();
    // Vendor B's overlap is B3 = 50: followed at 50, not at 51.
    let o = Options {
        min_confidence: 50,
        include_disputed: false,
    };
    assert!(members(&g, "Delta", o).contains(&"Charlie".to_owned()));
    let o = Options {
        min_confidence: 51,
        include_disputed: false,
    };
    assert_eq!(members(&g, "Delta", o), vec!["Delta"]);
    // The chain Delta - Charlie - Alpha, and what blocks Delta - Bravo.
    let w = g.why(
        g.find("Delta").unwrap(),
        g.find("Alpha").unwrap(),
        Options::default(),
    );
    assert!(w.connected);
    assert_eq!(w.paths[0].len(), 2);
    let w = g.why(
        g.find("Charlie").unwrap(),
        g.find("Bravo").unwrap(),
        Options::default(),
    );
    assert!(!w.connected);
    assert!(w
        .blocked
        .iter()
        .any(|l| l.kind == "distinct-from" && l.source.as_deref() == Some("ESET")));
}

#[test]
fn an_opinion_disputes_an_alias() {
    let mut objs = world();
    objs.push(
        json!({"type": "opinion", "spec_version": "2.1", "id": id("opinion", "x"),
        "created": T, "modified": T, "opinion": "disagree",
        "object_refs": [id("intrusion-set", "Alpha")], "x_stormwatch_alias": "Bravo",
        "created_by_ref": id("identity", "Vendor B")}),
    );
    let (_d, s) = store(objs);
    let g = ActorGraph::load(&s).unwrap();
    let l = g
        .links
        .iter()
        .find(|l| l.from == "Alpha" && l.to == "Bravo")
        .unwrap();
    assert!(l.disputed);
    assert!(!members(&g, "Alpha", Options::default()).contains(&"Bravo".to_owned()));
}
