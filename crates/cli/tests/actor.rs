//! `intel init` and `actor` through the binary, on the built-in pack and the bundled
//! ATT&CK excerpt.

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;
use stormwatch_testkit::example;

struct Kb(tempfile::TempDir);

impl Kb {
    fn new() -> Kb {
        let kb = Kb(tempfile::tempdir().unwrap());
        kb.cmd().args(["intel", "init"]).assert().success();
        kb.cmd()
            .arg("import")
            .arg(example("attack-salt-typhoon.json"))
            .assert()
            .success();
        kb
    }
    fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("stormwatch").unwrap();
        c.env_remove("STORMWATCH_DB")
            .env_remove("STORMWATCH_DATABASE_URL")
            .arg("--db")
            .arg(self.0.path().join("kb.db"));
        c
    }
    fn json(&self, args: &[&str]) -> (Value, i32) {
        let out = self
            .cmd()
            .args(["--format", "json"])
            .args(args)
            .output()
            .unwrap();
        let v = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        (v, out.status.code().unwrap())
    }
}

fn cluster_names(v: &Value) -> Vec<String> {
    v["cluster"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["followed"] == true)
        .map(|m| m["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn intel_init_is_idempotent() {
    let kb = Kb::new();
    let (v, code) = kb.json(&["intel", "init"]);
    assert_eq!(code, 0);
    for f in v["files"].as_array().unwrap() {
        assert_eq!(f["imported"], 0, "{f}");
        assert!(f["unchanged"].as_u64().unwrap() > 0);
    }
}

#[test]
fn aliases_reach_salt_typhoon_with_sources() {
    let kb = Kb::new();
    for name in [
        "GhostEmperor",
        "earth estries",
        "UNC2286",
        "RedMike",
        "operator-panda",
    ] {
        let (v, code) = kb.json(&["actor", "show", name]);
        assert_eq!(code, 0, "{name}");
        assert!(
            cluster_names(&v).contains(&"Salt Typhoon".to_owned()),
            "{name}: {:?}",
            cluster_names(&v)
        );
        for l in v["links"].as_array().unwrap() {
            for k in [
                "id",
                "from",
                "to",
                "kind",
                "source",
                "date",
                "reference",
                "confidence",
                "admiralty",
                "disputed",
                "followed",
            ] {
                assert!(l.get(k).is_some(), "{k} missing");
            }
            assert!(l["source"].is_string(), "every link names its source: {l}");
        }
    }
}

#[test]
fn volt_typhoon_stays_apart() {
    let kb = Kb::new();
    let (v, _) = kb.json(&["actor", "show", "Volt Typhoon"]);
    assert!(!cluster_names(&v).contains(&"Salt Typhoon".to_owned()));
    let (v, _) = kb.json(&["actor", "show", "Salt Typhoon"]);
    let names = cluster_names(&v);
    assert!(
        !names.contains(&"Volt Typhoon".to_owned()) && !names.contains(&"Flax Typhoon".to_owned())
    );
    assert!(
        !names.contains(&"FamousSparrow".to_owned()),
        "disputed by ESET"
    );
    // With disputed links included, FamousSparrow joins.
    let (v, _) = kb.json(&["actor", "show", "Salt Typhoon", "--include-disputed"]);
    assert!(cluster_names(&v).contains(&"FamousSparrow".to_owned()));
}

#[test]
fn why_famoussparrow_is_blocked_unless_disputed_included() {
    let kb = Kb::new();
    let (v, code) = kb.json(&["actor", "why", "FamousSparrow", "Salt Typhoon"]);
    assert_eq!(code, 1);
    assert_eq!(v["connected"], false);
    let blocked = v["blocked"].as_array().unwrap();
    assert!(
        blocked
            .iter()
            .any(|l| l["kind"] == "distinct-from" && l["source"] == "ESET"),
        "{blocked:?}"
    );
    assert!(blocked
        .iter()
        .any(|l| l["kind"] == "same-as" && l["disputed"] == true));
    let (v, code) = kb.json(&[
        "actor",
        "why",
        "FamousSparrow",
        "Salt Typhoon",
        "--include-disputed",
    ]);
    assert_eq!(code, 0);
    assert_eq!(v["connected"], true);
    assert!(!v["paths"][0].as_array().unwrap().is_empty());
    // Connected names: exit 0 with the chain.
    let (v, code) = kb.json(&["actor", "why", "UNC2286", "Salt Typhoon"]);
    assert_eq!(code, 0);
    assert_eq!(
        v["paths"][0].as_array().unwrap().len(),
        2,
        "UNC2286 - Earth Estries - Salt Typhoon"
    );
}

#[test]
fn threshold_and_typos() {
    let kb = Kb::new();
    // RedMike links are graded 70 (advisory) and 50 (Recorded Future); at 80 nothing joins.
    let (v, _) = kb.json(&["actor", "show", "Salt Typhoon", "--min-confidence", "80"]);
    assert_eq!(cluster_names(&v), vec!["Salt Typhoon"]);
    kb.cmd()
        .args(["actor", "show", "Salt Typhon"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did you mean: Salt Typhoon"));
}

#[test]
fn profile_has_techniques_software_and_claims() {
    let kb = Kb::new();
    let (v, _) = kb.json(&["actor", "show", "Salt Typhoon"]);
    let p = &v["profile"];
    assert!(p["techniques"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["external_id"] == "T1190"));
    assert!(p["software"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["name"] == "JumbledPath"));
    let claims = p["claims"].as_array().unwrap();
    assert!(claims
        .iter()
        .any(|c| c["source"] == "US Treasury OFAC" && c["date"] == "2025-01-17"));
    assert!(claims
        .iter()
        .any(|c| c["source"] == "Global Times" && c["kind"] == "fabricated"));
    assert!(
        claims
            .iter()
            .any(|c| c["source"] == "Eclypsium" && c["date"].is_null()),
        "unknown dates stay unknown"
    );
    assert!(p["organisations"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["name"] == "Sichuan Juxinhe Network Technology"));
}

#[test]
fn analyst_link_dispute_retract() {
    let kb = Kb::new();
    // An analyst claims Volt Typhoon overlaps Salt Typhoon... but Microsoft says distinct.
    let out = kb
        .cmd()
        .args([
            "actor",
            "link",
            "UNC2286",
            "Flax Typhoon",
            "--kind",
            "same-as",
            "--grade",
            "B2",
            "--date",
            "2025-06",
            "--reference",
            "my notes",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let id = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    // Flax Typhoon is distinct from Salt Typhoon: from Salt Typhoon it is not followed.
    let (v, _) = kb.json(&["actor", "show", "Salt Typhoon"]);
    assert!(!cluster_names(&v).contains(&"Flax Typhoon".to_owned()));
    let link = v["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == id.as_str())
        .cloned()
        .unwrap();
    assert_eq!(link["admiralty"], "B2");
    assert_eq!(link["date"], "2025-06");
    // Dispute the RedMike link of Recorded Future.
    let (v, _) = kb.json(&["actor", "show", "RedMike"]);
    let rf = v["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["source"] == "Recorded Future")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    kb.cmd()
        .args(["actor", "dispute", &rf, "--reason", "not convinced"])
        .assert()
        .success();
    let (v, _) = kb.json(&["actor", "show", "RedMike"]);
    let l = v["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == rf.as_str())
        .unwrap()
        .clone();
    assert_eq!(l["disputed"], true);
    // Retract the analyst's own link: it is revoked, not deleted.
    kb.cmd().args(["actor", "retract", &id]).assert().success();
    let (v, _) = kb.json(&["actor", "show", "UNC2286"]);
    assert!(!v["links"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["id"] == id.as_str()));
    let (v, _) = kb.json(&["export", "--all-versions", "--type", "relationship"]);
    assert_eq!(
        v["objects"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["id"] == id.as_str())
            .count(),
        2
    );
    // Someone else's claim cannot be retracted.
    kb.cmd().args(["actor", "retract", &rf]).assert().code(2);
    // Bad grades and dates are refused.
    kb.cmd()
        .args([
            "actor",
            "link",
            "UNC2286",
            "RedMike",
            "--grade",
            "Z9",
            "--reference",
            "x",
        ])
        .assert()
        .code(2);
    kb.cmd()
        .args([
            "actor",
            "link",
            "UNC2286",
            "RedMike",
            "--date",
            "late 2024",
            "--reference",
            "x",
        ])
        .assert()
        .code(2);
}

#[test]
fn navigator_layer_of_techniques() {
    let kb = Kb::new();
    let out = kb
        .cmd()
        .args(["actor", "show", "GhostEmperor", "--format", "navigator"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["domain"], "enterprise-attack");
    assert_eq!(v["versions"]["layer"], "4.5");
    let t = v["techniques"].as_array().unwrap();
    assert_eq!(t.len(), 14);
    assert!(t.iter().any(|x| x["techniqueID"] == "T1190"));
    // Other commands refuse it.
    kb.cmd()
        .args(["stats", "--format", "navigator"])
        .assert()
        .code(2);
}
