//! TLP 2.0 enforcement over HTTP: for each TLP level and each kind of principal,
//! every TAXII endpoint (objects paged with `next`, object by id, versions,
//! manifest paged, collections) and the REST API return exactly the expected
//! visible set (ids and counts), relationships and sightings whose ends are hidden
//! included; AMBER and RED reads reach the access log; rate limits answer 429.
//!
//! The expected sets are written out by hand below (not computed by the server's
//! access module), so the test is an independent statement of the rule.

mod common;

use common::http;
use serde_json::{json, Value};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::Path;

use stormwatch_model::{ObjectMeta, StixObject};
use stormwatch_store::{
    Grant, Location, Permission, PrincipalKind, SqliteStore, Store, TargetKind,
};

const CLEAR: &str = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487";
const WHITE: &str = "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9";
const GREEN: &str = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";
const GREEN1: &str = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da";
const AMBER: &str = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421";
const AMBER1: &str = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82";
const STRICT: &str = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003";
const RED: &str = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1";
const STATEMENT: &str = "marking-definition--fa42a846-8d90-4e51-bc29-71d5b4802168";
const OWNER_IDENTITY: &str = "identity--aaaaaaaa-0000-4000-8000-000000000001";
const FOREIGN_IDENTITY: &str = "identity--aaaaaaaa-0000-4000-8000-000000000099";

fn id(n: u32, t: &str) -> String {
    format!("{t}--00000000-0000-4000-8000-{n:012}")
}

fn obj(v: Value) -> StixObject<'static> {
    let meta = ObjectMeta::from_map(v.as_object().unwrap());
    StixObject {
        text: Cow::Owned(v.to_string()),
        meta,
    }
}

fn malware(n: u32, markings: &[&str], by: &str, modified: &str) -> StixObject<'static> {
    let mut v = json!({
        "type": "malware", "spec_version": "2.1", "id": id(n, "malware"),
        "created": "2025-01-01T00:00:00.000Z", "modified": modified,
        "name": format!("m{n}"), "is_family": true, "created_by_ref": by,
    });
    if !markings.is_empty() {
        v["object_marking_refs"] = json!(markings);
    }
    obj(v)
}

fn rel(n: u32, src: &str, dst: &str, markings: &[&str]) -> StixObject<'static> {
    obj(json!({
        "type": "relationship", "spec_version": "2.1", "id": id(n, "relationship"),
        "created": "2025-01-01T00:00:00.000Z", "modified": "2025-01-01T00:00:00.000Z",
        "relationship_type": "related-to", "source_ref": src, "target_ref": dst,
        "created_by_ref": OWNER_IDENTITY, "object_marking_refs": markings,
    }))
}

/// Principals: A (owning org), C (client org), O (other org), R (other org, named
/// on the RED objects), N (no grant on the collection).
const PRINCIPALS: [&str; 5] = ["A", "C", "O", "R", "N"];

struct Fixture {
    _dir: tempfile::TempDir,
    addr: SocketAddr,
    tokens: BTreeMap<&'static str, String>,
    collection: String,
    /// object id -> principals that may see its latest version
    expected: BTreeMap<String, BTreeSet<&'static str>>,
    /// object id -> principal -> visible versions count
    versions: BTreeMap<String, BTreeMap<&'static str, usize>>,
    db: std::path::PathBuf,
}

fn set(s: &str) -> BTreeSet<&'static str> {
    PRINCIPALS
        .iter()
        .copied()
        .filter(|p| s.contains(p))
        .collect()
}

fn start(db: &Path, rate: u32) -> SocketAddr {
    let mut cfg = stormwatch_server::Config::new(
        "127.0.0.1:0".parse().unwrap(),
        Location::Sqlite(db.to_owned()),
    );
    cfg.rate_limit = rate;
    cfg.request_log = false;
    cfg.threads = 2;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        stormwatch_server::run(cfg, |a| {
            let _ = tx.send(a);
        })
        .unwrap();
    });
    rx.recv_timeout(std::time::Duration::from_secs(30)).unwrap()
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kb.db");
    let mut s = SqliteStore::open(&db).unwrap();
    let c = s.collection_add("tlp", None, AMBER).unwrap();
    s.org_add("owner", &[OWNER_IDENTITY.to_owned()], &[])
        .unwrap();
    s.org_add("client", &[], &["owner".to_owned()]).unwrap();
    s.org_add("other", &[], &[]).unwrap();
    for (u, org) in [
        ("a", "owner"),
        ("c", "client"),
        ("o", "other"),
        ("r", "other"),
        ("n", "other"),
    ] {
        s.user_add(u, org).unwrap();
    }
    for org in ["owner", "client"] {
        s.grant_add(&Grant {
            principal_kind: PrincipalKind::Org,
            principal: org.into(),
            target_kind: TargetKind::Collection,
            target: "tlp".into(),
            permission: Permission::Read,
        })
        .unwrap();
    }
    for u in ["o", "r"] {
        s.grant_add(&Grant {
            principal_kind: PrincipalKind::User,
            principal: u.into(),
            target_kind: TargetKind::Collection,
            target: "tlp".into(),
            permission: Permission::Read,
        })
        .unwrap();
    }
    let t0 = "2025-01-01T00:00:00.000Z";
    let mut objects = Vec::new();
    let mut expected = BTreeMap::new();
    let mut add = |o: StixObject<'static>, who: &str| {
        expected.insert(o.meta.id.clone(), set(who));
        objects.push(o);
    };
    add(malware(1, &[CLEAR], OWNER_IDENTITY, t0), "ACOR");
    add(malware(2, &[WHITE], OWNER_IDENTITY, t0), "ACOR");
    add(malware(3, &[GREEN], OWNER_IDENTITY, t0), "ACOR");
    add(malware(4, &[GREEN1], FOREIGN_IDENTITY, t0), "ACOR");
    add(malware(5, &[AMBER], OWNER_IDENTITY, t0), "AC");
    add(malware(6, &[AMBER1], OWNER_IDENTITY, t0), "AC");
    add(malware(7, &[STRICT], OWNER_IDENTITY, t0), "A");
    add(malware(8, &[RED], OWNER_IDENTITY, t0), "R");
    add(malware(9, &[], OWNER_IDENTITY, t0), "AC"); // collection default: AMBER
    add(malware(10, &[STATEMENT], OWNER_IDENTITY, t0), "AC"); // not TLP: default
    add(malware(11, &[CLEAR, RED], OWNER_IDENTITY, t0), ""); // RED, nobody named
    add(malware(12, &[AMBER], FOREIGN_IDENTITY, t0), ""); // owner unknown
    add(malware(13, &[STRICT, STATEMENT], OWNER_IDENTITY, t0), "A");
    let m = |n| id(n, "malware");
    add(rel(20, &m(1), &m(2), &[CLEAR]), "ACOR");
    add(rel(21, &m(1), &m(8), &[CLEAR]), "R"); // an end is RED
    add(rel(22, &m(3), &m(5), &[CLEAR]), "AC"); // an end is AMBER
    add(rel(23, &m(7), &m(5), &[GREEN]), "A");
    add(rel(24, &m(1), &m(12), &[CLEAR]), ""); // an end nobody sees
    add(
        rel(
            25,
            &m(1),
            "malware--00000000-0000-4000-8000-999999999999",
            &[CLEAR],
        ),
        "ACOR",
    ); // an end the store does not hold hides nothing
    add(
        obj(json!({
            "type": "sighting", "spec_version": "2.1", "id": id(30, "sighting"),
            "created": t0, "modified": t0, "sighting_of_ref": m(8),
            "object_marking_refs": [CLEAR],
        })),
        "R",
    );
    add(
        obj(json!({
            "type": "sighting", "spec_version": "2.1", "id": id(31, "sighting"),
            "created": t0, "modified": t0, "sighting_of_ref": m(1),
            "object_marking_refs": [CLEAR],
        })),
        "ACOR",
    );
    // Two versions: CLEAR then RED.
    let v1 = malware(40, &[CLEAR], OWNER_IDENTITY, t0);
    let v2 = malware(40, &[RED], OWNER_IDENTITY, "2025-06-01T00:00:00.000Z");
    add(v1, "ACOR");
    objects.push(v2);
    expected.insert(m(40), set("R"));
    s.use_collection("tlp").unwrap();
    s.write(&objects, &mut |_| {}).unwrap();
    for target in [m(8), m(40)] {
        s.grant_add(&Grant {
            principal_kind: PrincipalKind::User,
            principal: "r".into(),
            target_kind: TargetKind::Object,
            target: target.clone(),
            permission: Permission::Read,
        })
        .unwrap();
    }
    let mut tokens = BTreeMap::new();
    for (p, u) in [("A", "a"), ("C", "c"), ("O", "o"), ("R", "r"), ("N", "n")] {
        let (t, h) = stormwatch_server::access::new_token();
        s.token_add(u, &h, None).unwrap();
        tokens.insert(p, t);
    }
    let mut versions: BTreeMap<String, BTreeMap<&'static str, usize>> = BTreeMap::new();
    for (oid, who) in &expected {
        for p in PRINCIPALS {
            versions
                .entry(oid.clone())
                .or_default()
                .insert(p, usize::from(who.contains(p)));
        }
    }
    // The two-version object: v1 (CLEAR) is visible to A C O R, v2 (RED) to R.
    let e = versions.get_mut(&m(40)).unwrap();
    for (p, n) in [("A", 1), ("C", 1), ("O", 1), ("R", 2), ("N", 0)] {
        e.insert(p, n);
    }
    drop(s);
    let addr = start(&db, 0);
    Fixture {
        _dir: dir,
        addr,
        tokens,
        collection: c.id,
        expected,
        versions,
        db,
    }
}

impl Fixture {
    /// The collection's objects `p` sees (one page of up to 1000), by id.
    fn objects(&self, p: &str) -> BTreeMap<String, Value> {
        let (st, _, v) = self.get(
            p,
            &format!(
                "/taxii2/root/collections/{}/objects/?limit=1000",
                self.collection
            ),
        );
        assert_eq!(st, 200, "{p}: {v}");
        v["objects"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| (o["id"].as_str().unwrap().to_owned(), o.clone()))
            .collect()
    }

    fn get(&self, p: &str, path: &str) -> (u16, Vec<(String, String)>, Value) {
        let auth = format!("Bearer {}", self.tokens[p]);
        let (st, hs, body) = http(
            self.addr,
            "GET",
            path,
            &[
                ("Authorization", &auth),
                ("Accept", "application/taxii+json;version=2.1"),
            ],
            b"",
        );
        let v = if body.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"))
        };
        (st, hs, v)
    }

    fn expected_for(&self, p: &str) -> BTreeSet<String> {
        self.expected
            .iter()
            .filter(|(_, who)| who.contains(p))
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// Walks a listing with `next`, `limit` at a time; returns (ids, pages).
    fn walk(&self, p: &str, what: &str, limit: usize, key: &str) -> (Vec<String>, usize) {
        let base = format!(
            "/taxii2/root/collections/{}/{what}/?limit={limit}",
            self.collection
        );
        let mut url = base.clone();
        let mut ids = Vec::new();
        let mut pages = 0;
        loop {
            let (st, _, v) = self.get(p, &url);
            assert_eq!(st, 200, "{p} {url}: {v}");
            pages += 1;
            let objs = v["objects"].as_array().cloned().unwrap_or_default();
            assert!(objs.len() <= limit);
            ids.extend(objs.iter().map(|o| o[key].as_str().unwrap().to_owned()));
            if v["more"] == true {
                url = format!("{base}&next={}", v["next"].as_str().unwrap());
            } else {
                break;
            }
            assert!(pages < 1000);
        }
        (ids, pages)
    }
}

#[test]
fn every_endpoint_shows_each_principal_exactly_its_visible_set() {
    let f = fixture();
    // Warm the server's object cache with every object first (R sees the RED ones,
    // A the AMBER+STRICT ones, through the objects listing and by id), so that what
    // follows checks the rule with the JSON of hidden objects in memory.
    for p in ["R", "A", "C"] {
        f.walk(p, "objects", 100, "id");
        for oid in f.expected.keys() {
            f.get(
                p,
                &format!("/taxii2/root/collections/{}/objects/{oid}/", f.collection),
            );
        }
    }
    for p in ["A", "C", "O", "R"] {
        let want = f.expected_for(p);
        for limit in [1, 2, 3, 100] {
            let (ids, _) = f.walk(p, "objects", limit, "id");
            let got: BTreeSet<String> = ids.iter().cloned().collect();
            assert_eq!(
                got.len(),
                ids.len(),
                "{p} objects limit {limit}: duplicates"
            );
            assert_eq!(got, want, "{p} objects limit {limit}");
            let (ids, _) = f.walk(p, "manifest", limit, "id");
            let got: BTreeSet<String> = ids.iter().cloned().collect();
            assert_eq!(got, want, "{p} manifest limit {limit}");
        }
        // Exact page sizes: every page but the last is full.
        let (ids, pages) = f.walk(p, "objects", 2, "id");
        assert_eq!(pages, ids.len().div_ceil(2).max(1), "{p}: pages");
        for (oid, who) in &f.expected {
            let (st, _, v) = f.get(
                p,
                &format!("/taxii2/root/collections/{}/objects/{oid}/", f.collection),
            );
            if who.contains(p) {
                assert_eq!(st, 200, "{p} {oid}");
                assert_eq!(v["objects"][0]["id"], oid.as_str());
            } else {
                assert_eq!(st, 404, "{p} {oid} leaked: {v}");
                assert!(!v.to_string().contains("\"objects\""));
            }
            let (st, _, v) = f.get(
                p,
                &format!(
                    "/taxii2/root/collections/{}/objects/{oid}/versions/",
                    f.collection
                ),
            );
            let n = f.versions[oid][p];
            if n == 0 {
                assert_eq!(st, 404, "{p} {oid} versions leaked: {v}");
            } else {
                assert_eq!(st, 200);
                assert_eq!(v["versions"].as_array().unwrap().len(), n, "{p} {oid}");
            }
            // match[version]=all through the objects listing.
            let (st, _, v) = f.get(
                p,
                &format!(
                    "/taxii2/root/collections/{}/objects/?match[id]={oid}&match[version]=all",
                    f.collection
                ),
            );
            assert_eq!(st, 200);
            let got = v["objects"].as_array().map_or(0, Vec::len);
            assert_eq!(got, n, "{p} {oid} all versions");
        }
        // Type filters do not widen anything.
        let (_, _, v) = f.get(
            p,
            &format!(
                "/taxii2/root/collections/{}/objects/?match[type]=relationship,sighting&limit=1000",
                f.collection
            ),
        );
        let got: BTreeSet<String> = v["objects"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|o| o["id"].as_str().unwrap().to_owned())
            .collect();
        let want_rel: BTreeSet<String> = want
            .iter()
            .filter(|i| i.starts_with("relationship--") || i.starts_with("sighting--"))
            .cloned()
            .collect();
        assert_eq!(got, want_rel, "{p} relationships");
    }
    // REST: show, search and actor follow the same rule.
    for p in ["A", "C", "O", "R", "N"] {
        let want = f.expected_for(p);
        for oid in f.expected.keys() {
            let (st, _, v) = f.get(p, &format!("/api/objects/{oid}"));
            if want.contains(oid) {
                assert_eq!(st, 200, "{p} {oid}: {v}");
                assert_eq!(v["id"], oid.as_str());
                for r in v["relationships"].as_array().unwrap() {
                    let rid = r["relationship_id"].as_str().unwrap();
                    assert!(want.contains(rid), "{p} {oid}: relationship {rid} leaked");
                }
            } else {
                assert_eq!(st, 404, "{p} {oid} leaked over REST: {v}");
            }
        }
        let (st, _, v) = f.get(p, "/api/search?q=m&limit=1000");
        assert_eq!(st, 200, "{v}");
        let got: BTreeSet<String> = v["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["id"].as_str().unwrap().to_owned())
            .collect();
        let want_m: BTreeSet<String> = want
            .iter()
            .filter(|i| i.starts_with("malware--"))
            .cloned()
            .collect();
        assert_eq!(got, want_m, "{p} search");
        let (st, _, _) = f.get(p, "/api/actors/m8");
        assert_eq!(st, if p == "R" { 200 } else { 404 }, "{p} actor m8");
    }
    let (st, _, _) = http(f.addr, "GET", "/api/search?q=m", &[], b"");
    assert_eq!(st, 401);
    // Counts per level, stated once more as numbers.
    let counts: Vec<usize> = ["A", "C", "O", "R"]
        .iter()
        .map(|p| f.expected_for(p).len())
        .collect();
    assert_eq!(counts, vec![15, 12, 7, 11]);
}

#[test]
fn principals_without_a_grant_or_credential_see_nothing_but_discovery() {
    let f = fixture();
    let (st, _, v) = f.get("N", "/taxii2/root/collections/");
    assert_eq!(st, 200);
    assert!(v.get("collections").is_none(), "{v}");
    for path in [
        format!("/taxii2/root/collections/{}/", f.collection),
        format!("/taxii2/root/collections/{}/objects/", f.collection),
        format!("/taxii2/root/collections/{}/manifest/", f.collection),
        format!(
            "/taxii2/root/collections/{}/objects/{}/",
            f.collection,
            id(1, "malware")
        ),
    ] {
        let (st, _, v) = f.get("N", &path);
        assert_eq!(st, 404, "{path}: {v}");
        let (st, _, body) = http(f.addr, "GET", &path, &[], b"");
        assert_eq!(st, 401, "{path}: {body}");
        assert!(!body.contains("malware--"));
    }
    let (st, _, body) = http(f.addr, "GET", "/taxii2/", &[], b"");
    assert_eq!(st, 200);
    assert!(body.contains("api_roots"));
    // Readers may not write.
    let auth = format!("Bearer {}", f.tokens["O"]);
    let (st, _, _) = http(
        f.addr,
        "POST",
        &format!("/taxii2/root/collections/{}/objects/", f.collection),
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/taxii+json;version=2.1"),
        ],
        b"{\"objects\": []}",
    );
    assert_eq!(st, 403);
    let (st, _, _) = http(
        f.addr,
        "DELETE",
        &format!(
            "/taxii2/root/collections/{}/objects/{}/",
            f.collection,
            id(1, "malware")
        ),
        &[("Authorization", &auth)],
        b"",
    );
    assert_eq!(st, 403);
}

/// The object cache never serves stale or hidden JSON: a version replaced in place
/// (same id and `modified`, other content and markings), a newer version and a
/// deleted entry, each written by another process on the same store while the
/// server's cache holds the old JSON, show at once.
#[test]
fn a_warm_cache_serves_no_stale_or_hidden_object() {
    let f = fixture();
    let all = |p: &str| f.objects(p);
    for p in ["A", "R", "O"] {
        all(p);
    }
    let before = all("O");
    let m = |n| id(n, "malware");
    assert!(before.contains_key(&m(2)) && before.contains_key(&m(3)));
    assert!(before.contains_key(&id(20, "relationship")));
    // Another process writes to the same store.
    let mut s = SqliteStore::open(&f.db).unwrap();
    s.use_collection("tlp").unwrap();
    let t0 = "2025-01-01T00:00:00.000Z";
    let mut m2 = malware(2, &[RED], OWNER_IDENTITY, t0); // was WHITE: now RED, nobody named
    let mut m3 = malware(3, &[GREEN], OWNER_IDENTITY, t0); // same marking, other content
    for (o, d) in [(&mut m2, "now red"), (&mut m3, "replaced text")] {
        let mut v: Value = serde_json::from_str(&o.text).unwrap();
        v["description"] = d.into();
        *o = obj(v);
    }
    let mut m1 = malware(1, &[CLEAR], OWNER_IDENTITY, "2025-09-01T00:00:00.000Z");
    let mut v: Value = serde_json::from_str(&m1.text).unwrap();
    v["description"] = "a newer version".into();
    m1 = obj(v);
    let r = s.write(&[m2, m3, m1], &mut |_| {}).unwrap();
    assert_eq!(r.replaced.len(), 2, "{r:?}");
    let deleted = s
        .delete_entries(&f.collection, &m(4), &Default::default(), &[])
        .unwrap();
    assert_eq!(deleted, 1);
    drop(s);
    for p in ["A", "C", "O", "R"] {
        let now = all(p);
        assert!(
            !now.contains_key(&m(2)),
            "{p}: a RED object leaked from the cache"
        );
        assert!(
            !now.contains_key(&id(20, "relationship")),
            "{p}: a relationship with a hidden end leaked"
        );
        assert!(!now.contains_key(&m(4)), "{p}: a deleted entry was served");
        assert_eq!(
            now[&m(3)]["description"],
            "replaced text",
            "{p}: stale JSON"
        );
        assert_eq!(now[&m(1)]["description"], "a newer version", "{p}");
        assert_eq!(now[&m(1)]["modified"], "2025-09-01T00:00:00.000Z", "{p}");
        // By id too.
        let (st, _, v) = f.get(
            p,
            &format!(
                "/taxii2/root/collections/{}/objects/{}/",
                f.collection,
                m(2)
            ),
        );
        assert_eq!(st, 404, "{p}: {v}");
        let (st, _, v) = f.get(
            p,
            &format!(
                "/taxii2/root/collections/{}/objects/{}/",
                f.collection,
                m(3)
            ),
        );
        assert_eq!(st, 200);
        assert_eq!(v["objects"][0]["description"], "replaced text", "{p}");
    }
    // The older version of m1 is still served, from the cache, when asked for.
    let (st, _, v) = f.get(
        "O",
        &format!(
            "/taxii2/root/collections/{}/objects/{}/?match[version]=first",
            f.collection,
            m(1)
        ),
    );
    assert_eq!(st, 200);
    assert_eq!(v["objects"][0], before[&m(1)]);
}

/// Which entries are the latest of a relationship's ends is cached under the
/// store's entries generation: a newer version of an end (not replaced in place,
/// so the content generation stays) and an end that did not exist and now does,
/// each written by another process while the cache is warm, decide visibility at
/// once.
#[test]
fn a_warm_cache_follows_new_versions_of_relationship_ends() {
    let f = fixture();
    let ids = |p: &str| -> BTreeSet<String> { f.objects(p).into_keys().collect() };
    let (r22, r25) = (id(22, "relationship"), id(25, "relationship"));
    // N has no grant on the collection (404 everywhere, tested elsewhere).
    const READERS: [&str; 4] = ["A", "C", "O", "R"];
    for p in READERS {
        let seen = ids(p);
        assert_eq!(seen.contains(&r22), "AC".contains(p), "{p}");
        assert_eq!(seen.contains(&r25), "ACOR".contains(p), "{p}");
    }
    let generation = |s: &SqliteStore| {
        s.entry_keys(&f.collection, &Default::default(), 1000)
            .unwrap()
            .0
    };
    let mut s = SqliteStore::open(&f.db).unwrap();
    s.use_collection("tlp").unwrap();
    let g0 = generation(&s);
    let missing = "malware--00000000-0000-4000-8000-999999999999";
    let mut held: Value =
        serde_json::from_str(&malware(99, &[RED], OWNER_IDENTITY, "2025-01-01T00:00:00.000Z").text)
            .unwrap();
    held["id"] = missing.into();
    let r = s
        .write(
            &[
                malware(3, &[RED], OWNER_IDENTITY, "2025-06-01T00:00:00.000Z"),
                obj(held),
            ],
            &mut |_| {},
        )
        .unwrap();
    assert!(r.replaced.is_empty(), "{r:?}");
    assert_eq!(generation(&s), g0, "the content generation stays");
    for p in READERS {
        let seen = ids(p);
        assert!(!seen.contains(&r22), "{p}: an end's newer version is RED");
        assert!(!seen.contains(&r25), "{p}: the missing end now exists, RED");
    }
    // And back: a still newer version of m3, CLEAR.
    s.write(
        &[malware(
            3,
            &[CLEAR],
            OWNER_IDENTITY,
            "2025-07-01T00:00:00.000Z",
        )],
        &mut |_| {},
    )
    .unwrap();
    drop(s);
    for p in READERS {
        assert_eq!(ids(p).contains(&r22), "AC".contains(p), "{p}");
    }
}

#[test]
fn amber_and_red_reads_are_logged() {
    let f = fixture();
    let before = SqliteStore::open(&f.db).unwrap().access_log(1000).unwrap();
    assert!(before.is_empty());
    f.get(
        "A",
        &format!(
            "/taxii2/root/collections/{}/objects/?limit=1000",
            f.collection
        ),
    );
    f.get(
        "R",
        &format!(
            "/taxii2/root/collections/{}/objects/{}/",
            f.collection,
            id(8, "malware")
        ),
    );
    let log = SqliteStore::open(&f.db).unwrap().access_log(1000).unwrap();
    let a: BTreeSet<&str> = log
        .iter()
        .filter(|r| r.user == "a")
        .map(|r| r.object_id.as_str())
        .collect();
    let want_a: BTreeSet<String> = [5, 6, 7, 9, 10, 13]
        .iter()
        .map(|n| id(*n, "malware"))
        .collect();
    assert_eq!(
        a,
        want_a.iter().map(String::as_str).collect::<BTreeSet<_>>()
    );
    assert!(log
        .iter()
        .any(|r| r.user == "r" && r.object_id == id(8, "malware") && r.tlp == "TLP:RED"));
    // CLEAR and GREEN reads are not logged.
    assert!(!log.iter().any(|r| r.object_id == id(1, "malware")));
}

#[test]
fn rate_limits_answer_429_per_token() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kb.db");
    let mut s = SqliteStore::open(&db).unwrap();
    s.org_add("o", &[], &[]).unwrap();
    s.user_add("u", "o").unwrap();
    s.user_add("v", "o").unwrap();
    let (t, h) = stormwatch_server::access::new_token();
    s.token_add("u", &h, None).unwrap();
    let (t2, h2) = stormwatch_server::access::new_token();
    s.token_add("v", &h2, None).unwrap();
    drop(s);
    let addr = start(&db, 5);
    let call = |t: &str| {
        let auth = format!("Bearer {t}");
        http(
            addr,
            "GET",
            "/taxii2/root/",
            &[("Authorization", &auth)],
            b"",
        )
        .0
    };
    let codes: Vec<u16> = (0..30).map(|_| call(&t)).collect();
    assert!(codes.iter().take(10).all(|c| *c == 200), "{codes:?}");
    assert!(codes.contains(&429), "{codes:?}");
    // Another token has its own budget.
    assert_eq!(call(&t2), 200);
}
