//! The `stormwatch` binary end to end, on the bundled example data.

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use stormwatch_testkit::example;

struct Kb {
    dir: tempfile::TempDir,
}

impl Kb {
    fn new() -> Kb {
        Kb {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    fn db(&self) -> PathBuf {
        self.dir.path().join("kb.db")
    }
    fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("stormwatch").unwrap();
        c.env_remove("STORMWATCH_DB")
            .env_remove("STORMWATCH_DATABASE_URL")
            .arg("--db")
            .arg(self.db());
        c
    }
    fn loaded() -> Kb {
        let kb = Kb::new();
        kb.cmd()
            .arg("import")
            .arg(example("attack-salt-typhoon.json"))
            .arg(example("AA25-239A.stix.json"))
            .assert()
            .success();
        kb
    }
    fn json(&self, args: &[&str]) -> (Value, i32) {
        let out = self
            .cmd()
            .args(["--format", "json"])
            .args(args)
            .output()
            .unwrap();
        let v = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", String::from_utf8_lossy(&out.stdout)));
        (v, out.status.code().unwrap())
    }
    /// Every object in the store, as exported, sorted: the store's observable state.
    fn snapshot(&self) -> Vec<String> {
        let out = self
            .cmd()
            .args(["export", "--all-versions", "--format", "jsonl"])
            .output()
            .unwrap();
        assert!(out.status.success());
        let mut v: Vec<String> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect();
        v.sort();
        v
    }
    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }
}

fn objects_in(path: &Path) -> Vec<Value> {
    let v: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let mut o = v["objects"].as_array().unwrap().clone();
    o.sort_by_key(|x| x["id"].as_str().unwrap().to_owned());
    o
}

#[test]
fn help_for_every_command() {
    for c in ["import", "export", "search", "show", "stats"] {
        Command::cargo_bin("stormwatch")
            .unwrap()
            .args([c, "--help"])
            .assert()
            .success()
            .stdout(predicate::str::contains("--format"));
    }
}

#[test]
fn import_json_report_shape() {
    let kb = Kb::new();
    let (v, code) = kb.json(&[
        "import",
        example("attack-salt-typhoon.json").to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    let f = &v["files"][0];
    assert_eq!(f["format"], "stix-2.1");
    assert_eq!(f["imported"], 47);
    assert_eq!(f["unchanged"], 0);
    assert_eq!(f["rejected"], serde_json::json!([]));
    // Re-import adds nothing.
    let (v, code) = kb.json(&[
        "import",
        example("attack-salt-typhoon.json").to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    assert_eq!(v["files"][0]["imported"], 0);
    assert_eq!(v["files"][0]["unchanged"], 47);
}

#[test]
fn show_g1045_lists_techniques_and_software() {
    let kb = Kb::loaded();
    kb.cmd()
        .args(["show", "G1045"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Salt Typhoon"))
        .stdout(predicate::str::contains("uses → attack-pattern (14)"))
        .stdout(predicate::str::contains("T1190"))
        .stdout(predicate::str::contains("uses → malware (1)"))
        .stdout(predicate::str::contains("JumbledPath"));
    let (v, code) = kb.json(&["show", "salt typhoon"]);
    assert_eq!(code, 0);
    let o = &v["objects"][0];
    assert_eq!(
        o["object"]["id"],
        "intrusion-set--1c3dcf91-b859-4aae-a09c-ae26dc8b6390"
    );
    assert!(o["names"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n == "Salt Typhoon"));
    let rels = o["relationships"].as_array().unwrap();
    assert_eq!(rels.len(), 15);
    for r in rels {
        for k in ["type", "direction", "other_id", "other_name"] {
            assert!(r.get(k).is_some(), "{k} missing in {r}");
        }
    }
    assert!(rels.iter().any(|r| r["type"] == "uses"
        && r["other_name"] == "JumbledPath"
        && r["direction"] == "outgoing"));
}

#[test]
fn show_by_external_id_from_two_sources() {
    // T1190 exists in ATT&CK (external reference) and in CISA's file (only in a name).
    let kb = Kb::loaded();
    let (v, code) = kb.json(&["show", "T1190"]);
    assert_eq!(code, 0);
    assert_eq!(v["objects"].as_array().unwrap().len(), 2);
}

#[test]
fn show_cve_named_only_in_the_name() {
    // CISA's file carries CVE ids only as vulnerability names.
    let kb = Kb::loaded();
    let (v, code) = kb.json(&["show", "cve-2024-3400"]);
    assert_eq!(code, 0);
    assert_eq!(v["objects"][0]["object"]["type"], "vulnerability");
}

#[test]
fn show_unknown_suggests_and_exits_2() {
    let kb = Kb::loaded();
    kb.cmd()
        .args(["show", "Salt Typhon"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did you mean: Salt Typhoon"));
}

#[test]
fn search_typhoon() {
    let kb = Kb::loaded();
    let (v, code) = kb.json(&["search", "typhoon", "--type", "intrusion-set"]);
    assert_eq!(code, 0);
    let hits = v["hits"].as_array().unwrap();
    let names: Vec<&str> = hits.iter().map(|h| h["name"].as_str().unwrap()).collect();
    assert!(
        names.contains(&"Salt Typhoon") && names.contains(&"Volt Typhoon"),
        "{names:?}"
    );
    for h in hits {
        for k in ["id", "type", "name", "external_id", "score"] {
            assert!(h.get(k).is_some(), "{k}");
        }
        assert_eq!(h["type"], "intrusion-set");
    }
    // No hits: exit 1.
    kb.cmd().args(["search", "zzzznothing"]).assert().code(1);
    // jsonl and csv.
    let out = kb
        .cmd()
        .args(["search", "typhoon", "--format", "jsonl"])
        .output()
        .unwrap();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let _: Value = serde_json::from_str(line).unwrap();
    }
    kb.cmd()
        .args(["search", "jumbledpath", "--format", "csv"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with(
            "score,type,external_id,name,id\n",
        ));
}

#[test]
fn export_round_trip_is_lossless() {
    let kb = Kb::new();
    let src = example("attack-salt-typhoon.json");
    kb.cmd().arg("import").arg(&src).assert().success();
    let out = kb.dir.path().join("out.json");
    kb.cmd().args(["export", "-o"]).arg(&out).assert().success();
    assert_eq!(objects_in(&out), objects_in(&src));
    // Filters.
    let (v, _) = kb.json(&["export", "--type", "malware"]);
    assert_eq!(v["objects"].as_array().unwrap().len(), 1);
    let (v, _) = kb.json(&["export", "--since", "2025-01-01"]);
    assert!(v["objects"]
        .as_array()
        .unwrap()
        .iter()
        .all(|o| o["modified"].as_str().unwrap() >= "2025"));
    let (v, _) = kb.json(&[
        "export",
        "--marking",
        "marking-definition--fa42a846-8d90-4e51-bc29-71d5b4802168",
    ]);
    assert_eq!(v["objects"].as_array().unwrap().len(), 46); // all but the marking definition itself
    let (v, _) = kb.json(&["export", "--marking", "TLP:RED"]);
    assert_eq!(v["objects"].as_array().unwrap().len(), 0);
    kb.cmd()
        .args(["export", "--marking", "TLP:PURPLE"])
        .assert()
        .code(2);
    kb.cmd()
        .args(["export", "--since", "last week"])
        .assert()
        .code(2);
}

#[test]
fn stats_counts_types() {
    let kb = Kb::loaded();
    let (v, code) = kb.json(&["stats"]);
    assert_eq!(code, 0);
    assert_eq!(v["objects"], 47 + 172);
    assert!(v["bytes"].as_u64().unwrap() > 0);
    let types = v["types"].as_array().unwrap();
    assert!(types
        .iter()
        .any(|t| t["type"] == "indicator" && t["count"] == 93));
}

#[test]
fn store_selection_flags_and_environment() {
    let kb = Kb::new();
    // STORMWATCH_DB is used when --db is absent.
    Command::cargo_bin("stormwatch")
        .unwrap()
        .env("STORMWATCH_DB", kb.db())
        .env_remove("STORMWATCH_DATABASE_URL")
        .arg("import")
        .arg(example("attack-salt-typhoon.json"))
        .assert()
        .success();
    kb.cmd().args(["show", "G1045"]).assert().success();
    // Both flags: usage error.
    kb.cmd()
        .args(["--database-url", "postgres://x@localhost/db", "stats"])
        .assert()
        .code(2);
}

#[test]
fn bad_inputs_fail_cleanly_and_leave_the_store_unchanged() {
    let kb = Kb::loaded();
    let before = kb.snapshot();
    let id = "c78cb6e5-0c4b-4611-8297-d1b8b55e40b5";
    let good = format!(r#"{{"type":"ipv4-addr","id":"ipv4-addr--{id}","value":"1.2.3.4"}}"#);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("truncated.json", br#"{"type":"bundle","objects":[{"type":"ipv4-a"#.to_vec(), "invalid JSON at line 1"),
        ("plain.json", br#"{"hello": "world"}"#.to_vec(), "not a STIX bundle"),
        ("array.json", b"[1, 2, 3]".to_vec(), "not a STIX bundle"),
        (
            "badid.json",
            format!(r#"{{"type":"bundle","objects":[{good},{{"type":"ipv4-addr","id":"ipv4-addr--1234","value":"1.1.1.1"}}]}}"#).into_bytes(),
            "objects[1] (line 1) ipv4-addr--1234: property id",
        ),
        (
            "deep.json",
            format!(r#"{{"type":"bundle","objects":[{good},{{"type":"x-deep","x_v":{}{}}}]}}"#, "[".repeat(10_000), "]".repeat(10_000)).into_bytes(),
            "nested deeper than 100 levels",
        ),
        (
            "deep-top.json",
            format!(r#"{{"type":"bundle","x":{}{},"objects":[]}}"#, "[".repeat(10_000), "]".repeat(10_000)).into_bytes(),
            "nested deeper than 100 levels",
        ),
        ("utf8.json", b"{\"type\":\"bundle\",\n\"objects\":[\"\xff\xfe\"]}".to_vec(), "invalid UTF-8 at line 2"),
        ("empty.json", Vec::new(), "file is empty"),
    ];
    for (name, bytes, expect) in cases {
        let p = kb.write(name, &bytes);
        let out = kb.cmd().arg("import").arg(&p).output().unwrap();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.status.code(), Some(2), "{name}: {all}");
        assert!(all.contains(expect), "{name}: expected {expect:?} in {all}");
        assert!(all.contains(name), "{name}: the file is named in {all}");
        assert_eq!(kb.snapshot(), before, "{name} changed the store");
    }
    // A missing file, among good ones: the rest is imported, then exit 2.
    let good_file = kb.write(
        "good.json",
        format!(r#"{{"type":"bundle","objects":[{good}]}}"#).as_bytes(),
    );
    kb.cmd()
        .arg("import")
        .arg(kb.dir.path().join("missing.json"))
        .arg(&good_file)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("missing.json"));
    kb.cmd()
        .args(["show", &format!("ipv4-addr--{id}")])
        .assert()
        .success();
}

#[test]
fn huge_string_is_refused_without_touching_the_store() {
    let kb = Kb::loaded();
    let before = kb.snapshot();
    let big = "A".repeat(100 << 20);
    // A file that is one 100 MB JSON string.
    let p = kb.write("string.json", format!("\"{big}\"").as_bytes());
    kb.cmd()
        .arg("import")
        .arg(&p)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("string, not a bundle"));
    // An object carrying a 100 MB description.
    let obj = format!(
        r#"{{"type":"bundle","objects":[{{"type":"x-big","id":"x-big--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5","created":"2020-01-01T00:00:00Z","modified":"2020-01-01T00:00:00Z","spec_version":"2.1","description":"{big}"}}]}}"#
    );
    let p = kb.write("bigobj.json", obj.as_bytes());
    kb.cmd()
        .arg("import")
        .arg(&p)
        .assert()
        .code(2)
        .stdout(predicate::str::contains("over the limit"));
    assert_eq!(kb.snapshot(), before);
}

#[test]
fn skip_invalid_imports_the_rest() {
    let kb = Kb::new();
    let id = "c78cb6e5-0c4b-4611-8297-d1b8b55e40b5";
    let p = kb.write(
        "mixed.json",
        format!(r#"{{"type":"bundle","objects":[{{"type":"ipv4-addr","id":"ipv4-addr--{id}","value":"1.2.3.4"}},{{"type":"ipv4-addr","id":"nope"}}]}}"#).as_bytes(),
    );
    let (v, code) = kb.json(&["import", "--skip-invalid", p.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(v["files"][0]["imported"], 1);
    let rej = &v["files"][0]["rejected"][0];
    assert_eq!(rej["index"], 1);
    assert!(rej["error"].as_str().unwrap().contains("property id"));
}

#[test]
fn stdin_import() {
    let kb = Kb::new();
    kb.cmd()
        .args(["import", "-"])
        .write_stdin(std::fs::read(example("attack-salt-typhoon.json")).unwrap())
        .assert()
        .success();
    kb.cmd().args(["show", "JumbledPath"]).assert().success();
}
