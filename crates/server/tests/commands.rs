//! The REST command endpoints (`/api/actors/{key}/why`, `/api/attribute`,
//! `/api/audit`, `/api/hunt`): the CLI's json documents, under the same TLP rule
//! as everything else. An AMBER indicator and an AMBER intrusion set owned by one
//! organisation are used for, and shown to, that organisation only; a caller who
//! sees no indicator is swept against the built-in pack, as the CLI is; 401 without
//! a token, 413 over the body limit, 400 with a TAXII error for malformed bodies.

mod common;

use common::http;
use serde_json::{json, Value};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use stormwatch_model::{ObjectMeta, StixObject};
use stormwatch_store::{
    Grant, Location, Permission, PrincipalKind, SqliteStore, Store, TargetKind,
};

const AMBER: &str = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421";
const CLEAR: &str = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487";
const OWNER_IDENTITY: &str = "identity--aaaaaaaa-0000-4000-8000-000000000001";
const T0: &str = "2025-01-01T00:00:00.000Z";
/// Documentation addresses (RFC 5737): test values, not intelligence.
const CLEAR_IP: &str = "203.0.113.7";
const AMBER_IP: &str = "198.51.100.23";
const MAX_BODY: usize = 1 << 20;

fn id(n: u32, t: &str) -> String {
    format!("{t}--00000000-0000-4000-8000-{n:012}")
}

fn obj(mut v: Value, amber: bool) -> StixObject<'static> {
    v["spec_version"] = json!("2.1");
    v["created"] = json!(T0);
    v["modified"] = json!(T0);
    if amber {
        v["created_by_ref"] = json!(OWNER_IDENTITY);
        v["object_marking_refs"] = json!([AMBER]);
    }
    let meta = ObjectMeta::from_map(v.as_object().unwrap());
    StixObject {
        text: Cow::Owned(v.to_string()),
        meta,
    }
}

fn indicator(n: u32, ip: &str, amber: bool) -> StixObject<'static> {
    obj(
        json!({"type": "indicator", "id": id(n, "indicator"), "name": ip,
            "pattern": format!("[ipv4-addr:value = '{ip}']"), "pattern_type": "stix",
            "valid_from": T0, "indicator_types": ["malicious-activity"]}),
        amber,
    )
}

fn technique(n: u32, ext: &str, name: &str) -> StixObject<'static> {
    obj(
        json!({"type": "attack-pattern", "id": id(n, "attack-pattern"), "name": name,
            "external_references": [{"source_name": "mitre-attack", "external_id": ext}]}),
        false,
    )
}

fn actor(n: u32, name: &str, alias: &str, amber: bool) -> StixObject<'static> {
    obj(
        json!({"type": "intrusion-set", "id": id(n, "intrusion-set"), "name": name,
            "aliases": [name, alias]}),
        amber,
    )
}

fn uses(n: u32, actor: u32, technique: u32, amber: bool) -> StixObject<'static> {
    obj(
        json!({"type": "relationship", "id": id(n, "relationship"), "relationship_type": "uses",
            "source_ref": id(actor, "intrusion-set"), "target_ref": id(technique, "attack-pattern")}),
        amber,
    )
}

struct Fixture {
    _dir: tempfile::TempDir,
    db: PathBuf,
    addr: SocketAddr,
    /// "a": the owning organisation; "o": another organisation reading the same
    /// collection; "e": reads only an empty collection.
    tokens: BTreeMap<&'static str, String>,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kb.db");
    let mut s = SqliteStore::open(&db).unwrap();
    s.collection_add("kb", None, CLEAR).unwrap();
    s.collection_add("empty", None, CLEAR).unwrap();
    s.org_add("owner", &[OWNER_IDENTITY.to_owned()], &[])
        .unwrap();
    s.org_add("other", &[], &[]).unwrap();
    for (u, org, coll) in [
        ("a", "owner", "kb"),
        ("o", "other", "kb"),
        ("e", "other", "empty"),
    ] {
        s.user_add(u, org).unwrap();
        s.grant_add(&Grant {
            principal_kind: PrincipalKind::User,
            principal: u.into(),
            target_kind: TargetKind::Collection,
            target: coll.into(),
            permission: Permission::Read,
        })
        .unwrap();
    }
    let objects = vec![
        indicator(1, CLEAR_IP, false),
        indicator(2, AMBER_IP, true),
        technique(10, "T1190", "Exploit Public-Facing Application"),
        technique(11, "T1059", "Command and Scripting Interpreter"),
        actor(20, "Alpha Panda", "Beta Storm", false),
        actor(21, "Gamma Secret", "Delta Quiet", true),
        uses(30, 20, 10, false),
        uses(31, 21, 11, false),
    ];
    s.use_collection("kb").unwrap();
    s.write(&objects, &mut |_| {}).unwrap();
    let mut tokens = BTreeMap::new();
    for u in ["a", "o", "e"] {
        let (t, h) = stormwatch_server::access::new_token();
        s.token_add(u, &h, None).unwrap();
        tokens.insert(u, t);
    }
    drop(s);
    let mut cfg = stormwatch_server::Config::new(
        "127.0.0.1:0".parse().unwrap(),
        Location::Sqlite(db.clone()),
    );
    cfg.rate_limit = 0;
    cfg.request_log = false;
    cfg.threads = 2;
    cfg.max_body_bytes = MAX_BODY;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        stormwatch_server::run(cfg, |a| {
            let _ = tx.send(a);
        })
        .unwrap();
    });
    let addr = rx.recv_timeout(std::time::Duration::from_secs(30)).unwrap();
    Fixture {
        _dir: dir,
        db,
        addr,
        tokens,
    }
}

impl Fixture {
    fn call(
        &self,
        who: Option<&str>,
        method: &str,
        path: &str,
        ct: &str,
        body: &[u8],
    ) -> (u16, String) {
        let auth = who.map(|w| format!("Bearer {}", self.tokens[w]));
        let mut hs = vec![("Content-Type", ct)];
        if let Some(a) = &auth {
            hs.push(("Authorization", a.as_str()));
        }
        let (st, headers, body) = http(self.addr, method, path, &hs, body);
        if st != 0 {
            assert!(
                headers
                    .iter()
                    .any(|(k, v)| k == "content-type" && v == "application/json"),
                "{path}: {headers:?}"
            );
        }
        (st, body)
    }

    fn json(&self, who: &str, method: &str, path: &str, body: &[u8]) -> (u16, Value, String) {
        let (st, text) = self.call(Some(who), method, path, "application/json", body);
        let v = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}: {text}"));
        (st, v, text)
    }
}

fn matched_indicators(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = v["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["indicator"].as_str().unwrap().to_owned())
        .collect();
    out.sort();
    out
}

fn log_line(ip: &str, n: u32) -> String {
    format!("Jan 10 10:00:{n:02} r1 sshd[1]: Failed password for root from {ip} port 22 ssh2\n")
}

#[test]
fn hunt_sweeps_only_the_indicators_the_caller_may_see() {
    let f = fixture();
    let body = format!(
        "{}{}noise 10.0.0.1\n",
        log_line(CLEAR_IP, 1),
        log_line(AMBER_IP, 2)
    );
    // The other organisation: the AMBER indicator is neither used nor shown.
    let (st, v, text) = f.json(
        "o",
        "POST",
        "/api/hunt?name=auth.log&year=2025",
        body.as_bytes(),
    );
    assert_eq!(st, 200, "{text}");
    assert_eq!(matched_indicators(&v), [id(1, "indicator")]);
    assert_eq!(v["matches"][0]["file"], "auth.log");
    assert_eq!(v["matches"][0]["line"], 1);
    assert_eq!(v["matches"][0]["value"], CLEAR_IP);
    assert_eq!(v["matches"][0]["time"], "2025-01-10T10:00:01.000Z");
    assert_eq!(v["indicators"]["source"], "1 from the store, 0 from --iocs");
    assert_eq!(v["inputs"][0]["file"], "auth.log");
    assert_eq!(v["inputs"][0]["bytes"], body.len());
    assert!(
        !text.contains(&id(2, "indicator")) && !text.contains(AMBER_IP),
        "{text}"
    );
    for key in ["summary", "errors", "unsweepable", "caveat"] {
        assert!(v.get(key).is_some(), "{key}: {text}");
    }
    // The owning organisation: both, and the AMBER read is logged.
    let (st, v, text) = f.json("a", "POST", "/api/hunt?name=auth.log", body.as_bytes());
    assert_eq!(st, 200, "{text}");
    assert_eq!(
        matched_indicators(&v),
        [id(1, "indicator"), id(2, "indicator")]
    );
    let log = SqliteStore::open(&f.db).unwrap().access_log(100).unwrap();
    assert!(
        log.iter().any(|r| r.user == "a"
            && r.object_id == id(2, "indicator")
            && r.endpoint == "rest hunt"),
        "{log:?}"
    );
    assert!(!log.iter().any(|r| r.user == "o"), "{log:?}");
    // gzip bodies are recognised by content.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(body.as_bytes()).unwrap();
    let gz = gz.finish().unwrap();
    let (st, v, text) = f.json("a", "POST", "/api/hunt", &gz);
    assert_eq!(st, 200, "{text}");
    assert_eq!(v["inputs"][0]["format"], "text+gzip", "{text}");
    assert_eq!(v["matches"][0]["file"], "-");
    assert_eq!(matched_indicators(&v).len(), 2);
    // A gzip stream cut short cannot be read to its end: 400 naming the input.
    let (st, v, text) = f.json("a", "POST", "/api/hunt?name=cut.gz", &gz[..gz.len() / 2]);
    assert_eq!(st, 400, "{text}");
    assert!(
        v["description"].as_str().unwrap().starts_with("cut.gz"),
        "{text}"
    );
    assert_eq!(v["http_status"], "400");
    // Bad options.
    for q in ["?year=12", "?respect_validity=maybe", "?name="] {
        let (st, _, text) = f.json("a", "POST", &format!("/api/hunt{q}"), b"x");
        assert_eq!(st, 400, "{q}: {text}");
    }
}

/// The first IPv4 indicator value of the built-in pack (the advisory's).
fn pack_ipv4() -> (String, String) {
    let v: Value = serde_json::from_str(stormwatch_intel::pack::ADVISORY_STIX).unwrap();
    for o in v["objects"].as_array().unwrap() {
        let p = o["pattern"].as_str().unwrap_or("");
        if let Some(rest) = p.strip_prefix("[ipv4-addr:value = '") {
            if let Some((ip, "]")) = rest.split_once('\'') {
                return (ip.to_owned(), o["id"].as_str().unwrap().to_owned());
            }
        }
    }
    panic!("the pack has no plain IPv4 indicator");
}

#[test]
fn hunt_falls_back_to_the_pack_when_nothing_is_visible() {
    let f = fixture();
    let (ip, pack_id) = pack_ipv4();
    let body = format!("{}{}", log_line(&ip, 3), log_line(CLEAR_IP, 4));
    let (st, v, text) = f.json("e", "POST", "/api/hunt", body.as_bytes());
    assert_eq!(st, 200, "{text}");
    assert_eq!(v["indicators"]["source"], "the built-in pack (AA25-239A)");
    assert_eq!(matched_indicators(&v), [pack_id]);
    assert_eq!(v["matches"][0]["value"], ip.as_str());
    // A caller who sees indicators is not swept against the pack.
    let (_, v, _) = f.json("o", "POST", "/api/hunt", body.as_bytes());
    assert_eq!(matched_indicators(&v), [id(1, "indicator")]);
}

#[test]
fn attribute_ranks_only_visible_actors() {
    let f = fixture();
    let req = br#"{"ttp": ["T1190", "T1059"], "limit": 5}"#;
    let (st, v, text) = f.json("o", "POST", "/api/attribute", req);
    assert_eq!(st, 200, "{text}");
    let names: Vec<&str> = v["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Alpha Panda"], "{text}");
    assert_eq!(v["candidates"][0]["id"], id(20, "intrusion-set"));
    assert_eq!(v["candidates"][0]["shared"][0]["id"], "T1190");
    assert!(
        !text.contains("Gamma") && !text.contains(&id(21, "intrusion-set")),
        "{text}"
    );
    for key in [
        "ignored",
        "ignored_detail",
        "observed",
        "candidates_total",
        "caveat",
    ] {
        assert!(v.get(key).is_some(), "{key}: {text}");
    }
    let (st, v, text) = f.json("a", "POST", "/api/attribute", req);
    assert_eq!(st, 200, "{text}");
    let mut names: Vec<&str> = v["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["Alpha Panda", "Gamma Secret"], "{text}");
    // Nothing known: 400 naming the values; malformed bodies: 400.
    let (st, v, _) = f.json("o", "POST", "/api/attribute", br#"{"ttp": ["T9999"]}"#);
    assert_eq!(st, 400);
    assert!(v["description"].as_str().unwrap().contains("T9999"), "{v}");
    for bad in [
        &b"{\"ttp\": [\"T1190\""[..],
        b"[]",
        b"{\"colour\": [\"red\"]}",
        b"{\"ttp\": 7}",
    ] {
        let (st, v, _) = f.json("o", "POST", "/api/attribute", bad);
        assert_eq!(st, 400, "{}", String::from_utf8_lossy(bad));
        assert_eq!(v["http_status"], "400");
        assert!(v["title"].is_string() && v["description"].is_string());
    }
}

#[test]
fn actor_why_follows_only_visible_claims() {
    let f = fixture();
    let (st, v, text) = f.json(
        "o",
        "GET",
        "/api/actors/Alpha%20Panda/why?to=Beta%20Storm",
        b"",
    );
    assert_eq!(st, 200, "{text}");
    assert_eq!(v["connected"], true);
    let link = &v["paths"][0][0];
    assert_eq!(link["from"], "Alpha Panda", "{text}");
    assert_eq!(link["to"], "Beta Storm", "{text}");
    assert!(v["blocked"].is_array());
    // The AMBER actor's names exist only for its owner.
    let (st, v, text) = f.json(
        "o",
        "GET",
        "/api/actors/Gamma%20Secret/why?to=Delta%20Quiet",
        b"",
    );
    assert_eq!(st, 404, "{text}");
    assert_eq!(v["http_status"], "404");
    let (st, _, text) = f.json(
        "o",
        "GET",
        "/api/actors/Gamma%20Secre/why?to=Alpha%20Panda",
        b"",
    );
    assert_eq!(st, 404);
    assert!(
        !text.contains("Gamma Secret"),
        "a suggestion leaked: {text}"
    );
    let (st, v, text) = f.json(
        "a",
        "GET",
        "/api/actors/Gamma%20Secret/why?to=Delta%20Quiet",
        b"",
    );
    assert_eq!(st, 200, "{text}");
    assert_eq!(v["connected"], true);
    // Not connected: 200 with connected false.
    let (st, v, text) = f.json(
        "a",
        "GET",
        "/api/actors/Gamma%20Secret/why?to=Alpha%20Panda",
        b"",
    );
    assert_eq!(st, 200, "{text}");
    assert_eq!(v["connected"], false);
    // Bad queries.
    for q in [
        "",
        "?to=",
        "?to=Beta%20Storm&min_confidence=101",
        "?to=x&include_disputed=maybe",
    ] {
        let (st, v, _) = f.json(
            "o",
            "GET",
            &format!("/api/actors/Alpha%20Panda/why{q}"),
            b"",
        );
        assert_eq!(st, 400, "{q}");
        assert_eq!(v["http_status"], "400");
    }
}

/// An IOS XE configuration from shared/data with advisory tradecraft planted
/// before its final `end`; returns the text and the 1-based line of the plant.
fn planted_config(block: &[&str]) -> Option<(String, u64)> {
    let src = stormwatch_testkit::shared_data(
        "netconf/batfish-lab-validation/cisco_private_asn/configs/R-PrivateASN100/show_running-config.txt",
    )?;
    let text = std::fs::read_to_string(src).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .rposition(|l| l.trim() == "end")
        .unwrap_or(lines.len());
    let mut out: Vec<&str> = lines[..at].to_vec();
    out.extend_from_slice(block);
    out.extend_from_slice(&lines[at..]);
    Some((out.join("\n") + "\n", at as u64 + 1))
}

fn finding_at(v: &Value, rule: &str, line: u64) -> bool {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["rule"] == rule && f["line"] == line)
}

#[test]
fn audit_finds_planted_tradecraft_with_secrets_redacted() {
    let Some((config, first)) = planted_config(&[
        "vstack",
        "tacacs-server host 193.43.104.185 key 7 0822455D0A16",
        "snmp-server community s3cretCommunity RW",
    ]) else {
        return;
    };
    let f = fixture();
    let (st, v, text) = f.call_audit("e", "r1.cfg", config.as_bytes());
    assert_eq!(st, 200, "{text}");
    assert!(finding_at(&v, "AUD031", first), "vstack: {text}");
    // The TACACS+ server is an advisory address: the pack is swept for a caller
    // who sees no indicator.
    assert!(finding_at(&v, "AUD002", first + 1), "tacacs host: {text}");
    assert_eq!(v["indicators"]["source"], "the built-in pack (AA25-239A)");
    assert!(
        !text.contains("0822455D0A16") && !text.contains("s3cretCommunity"),
        "a secret leaked: {text}"
    );
    assert!(text.contains("<redacted>"), "{text}");
    assert_eq!(v["files"][0]["file"], "r1.cfg");
    assert_eq!(v["files"][0]["vendor"], "cisco-ios-xe", "{}", v["files"]);
    assert_eq!(v["findings"][0]["file"], "r1.cfg");
    assert_eq!(v["errors"], json!([]));
    // Another vendor: skipped, as the CLI does.
    let (st, v, text) = f.call_audit("e", "x.txt", b"just some words\nand more words\n");
    assert_eq!(st, 200, "{text}");
    assert_eq!(v["skipped"][0]["file"], "x.txt", "{text}");
    // Binary and empty bodies: 400 naming the input.
    for bad in [&b"\x00\x01\x02binary"[..], b"   \n"] {
        let (st, v, text) = f.call_audit("e", "bad.cfg", bad);
        assert_eq!(st, 400, "{text}");
        assert!(
            v["description"].as_str().unwrap().starts_with("bad.cfg: "),
            "{text}"
        );
    }
}

#[test]
fn audit_uses_amber_indicators_only_for_their_owner() {
    let block = format!("logging host {AMBER_IP}");
    let Some((config, first)) = planted_config(&[block.as_str()]) else {
        return;
    };
    let f = fixture();
    let addr_hit = |v: &Value| {
        v["findings"].as_array().unwrap().iter().any(|x| {
            x["line"] == first
                && x["message"].as_str().unwrap_or("").contains(AMBER_IP)
                && x["rule"] == "AUD002"
        })
    };
    let (st, v, text) = f.call_audit("a", "r1.cfg", config.as_bytes());
    assert_eq!(st, 200, "{text}");
    assert!(
        addr_hit(&v),
        "the owner's AMBER indicator was not used: {text}"
    );
    let (st, v, text) = f.call_audit("o", "r1.cfg", config.as_bytes());
    assert_eq!(st, 200, "{text}");
    assert!(
        !addr_hit(&v),
        "another organisation's AMBER indicator was used: {text}"
    );
}

impl Fixture {
    fn call_audit(&self, who: &str, name: &str, body: &[u8]) -> (u16, Value, String) {
        let (st, text) = self.call(
            Some(who),
            "POST",
            &format!("/api/audit?name={name}"),
            "text/plain",
            body,
        );
        let v = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        (st, v, text)
    }
}

#[test]
fn credentials_body_limit_and_openapi() {
    let f = fixture();
    for (method, path) in [
        ("POST", "/api/hunt"),
        ("POST", "/api/audit"),
        ("POST", "/api/attribute"),
        ("GET", "/api/actors/Alpha%20Panda/why?to=Beta%20Storm"),
    ] {
        let (st, text) = f.call(None, method, path, "text/plain", b"x");
        assert_eq!(st, 401, "{path}: {text}");
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["http_status"], "401");
    }
    let big = vec![b'a'; MAX_BODY + 1];
    for path in ["/api/hunt", "/api/audit", "/api/attribute"] {
        let (st, text) = f.call(Some("o"), "POST", path, "text/plain", &big);
        assert_eq!(st, 413, "{path}: {text}");
    }
    // Just under the limit is accepted.
    let (st, _, text) = f.json("o", "POST", "/api/hunt", &big[1..]);
    assert_eq!(st, 200, "{text}");
    let (st, doc) = f.call(None, "GET", "/api/openapi.json", "", b"");
    assert_eq!(st, 200);
    let doc: Value = serde_json::from_str(&doc).unwrap();
    for (path, method) in [
        ("/api/actors/{key}/why", "get"),
        ("/api/attribute", "post"),
        ("/api/audit", "post"),
        ("/api/hunt", "post"),
    ] {
        let op = &doc["paths"][path][method];
        assert!(op["responses"]["200"].is_object(), "{path}");
        assert!(op["responses"]["400"].is_object(), "{path}");
    }
    assert!(doc["paths"]["/api/hunt"]["post"]["requestBody"]["content"]
        ["application/octet-stream"]
        .is_object());
}
