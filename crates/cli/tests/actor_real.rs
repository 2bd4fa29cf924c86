//! Issue "actors and names" on the real data: ATT&CK 18.1, every MISP galaxy cluster
//! file and Microsoft's mapping, on top of the built-in pack. Skipped without
//! ../shared (fails under CI=true).

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};
use stormwatch_testkit::shared_data;

fn sw(db: &Path) -> Command {
    let mut c = Command::cargo_bin("stormwatch").unwrap();
    c.env_remove("STORMWATCH_DB")
        .env_remove("STORMWATCH_DATABASE_URL")
        .arg("--db")
        .arg(db);
    c
}

fn json(db: &Path, args: &[&str]) -> (Value, i32) {
    let out = sw(db)
        .args(["--format", "json"])
        .args(args)
        .output()
        .unwrap();
    (
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null),
        out.status.code().unwrap(),
    )
}

fn followed(v: &Value) -> Vec<String> {
    v["cluster"].as_array().map_or(Vec::new(), |c| {
        c.iter()
            .filter(|m| m["followed"] == true)
            .map(|m| m["name"].as_str().unwrap_or("").to_owned())
            .collect()
    })
}

fn loaded() -> Option<(tempfile::TempDir, PathBuf)> {
    let attack = shared_data("attack/enterprise-attack-18.1.json")?;
    let galaxy = shared_data("misp-galaxy/clusters")?;
    let ms = shared_data("microsoft/MicrosoftMapping.json")?;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kb.db");
    sw(&db).args(["intel", "init"]).assert().success();
    let mut files: Vec<PathBuf> = std::fs::read_dir(galaxy)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 33);
    sw(&db)
        .arg("import")
        .arg(attack)
        .arg(ms)
        .args(&files)
        .assert()
        .success();
    Some((dir, db))
}

#[test]
fn must_show_on_real_data() {
    let Some((_dir, db)) = loaded() else { return };
    for name in ["GhostEmperor", "earth estries", "UNC2286", "RedMike"] {
        let (v, code) = json(&db, &["actor", "show", name]);
        assert_eq!(code, 0, "{name}");
        assert!(
            followed(&v).iter().any(|n| n == "Salt Typhoon"),
            "{name}: {:?}",
            followed(&v)
        );
        // Every link names its source, date (or null), kind and confidence.
        for l in v["links"].as_array().unwrap() {
            assert!(
                l["source"].is_string() && l["kind"].is_string() && l["confidence"].is_u64(),
                "{l}"
            );
            assert!(l.get("date").is_some());
        }
    }
    let (v, _) = json(&db, &["actor", "show", "Volt Typhoon"]);
    assert!(
        !followed(&v).iter().any(|n| n == "Salt Typhoon"),
        "{:?}",
        followed(&v)
    );
    let (v, code) = json(&db, &["actor", "why", "FamousSparrow", "Salt Typhoon"]);
    assert_eq!(code, 1);
    assert_eq!(v["connected"], false);
    assert!(v["blocked"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["kind"] == "distinct-from" && l["source"] == "ESET"));
    let (v, code) = json(
        &db,
        &[
            "actor",
            "why",
            "FamousSparrow",
            "Salt Typhoon",
            "--include-disputed",
        ],
    );
    assert_eq!((code, v["connected"].clone()), (0, Value::Bool(true)));
    // ATT&CK's profile reaches the cluster.
    let (v, _) = json(&db, &["actor", "show", "Salt Typhoon"]);
    assert!(v["profile"]["software"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["name"] == "JumbledPath"));
    // intel init stays idempotent on a full store.
    let (v, code) = json(&db, &["intel", "init"]);
    assert_eq!(code, 0);
    assert!(v["files"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["imported"] == 0));
}

#[test]
fn every_microsoft_name_is_decoded_and_compared() {
    let Some(ms) = shared_data("microsoft/MicrosoftMapping.json") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kb.db");
    sw(&db).arg("import").arg(&ms).assert().success();
    let records: Value = serde_json::from_slice(&std::fs::read(&ms).unwrap()).unwrap();
    let records = records.as_array().unwrap();
    assert_eq!(records.len(), 166);
    let mut flagged = 0;
    for r in records {
        let name = r["Threat actor name"].as_str().unwrap();
        let (v, code) = json(&db, &["actor", "show", name]);
        assert_eq!(code, 0, "{name}");
        let t = &v["taxonomy"];
        assert!(t["meaning"].is_string(), "{name}: {t}");
        assert_eq!(t["stated_origin"], r["Origin/Threat"], "{name}");
        if !t["differences"].as_array().unwrap().is_empty() {
            flagged += 1;
        }
    }
    assert!(
        flagged > 0,
        "some names disagree with the taxonomy (e.g. an empty origin)"
    );
}

#[test]
fn bad_actor_inputs_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kb.db");
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let galaxy = write(
        "galaxy.json",
        r#"{"name":"Threat Actor","type":"threat-actor","uuid":"7cdff317-a673-4474-84ec-4f1754947823","version":1,"values":[
            {"value":"Good Actor","uuid":"0b8f0f05-9f3c-4a1e-9a5c-111111111111"},
            {"value":"No Uuid Actor"}]}"#,
    );
    let mapping = write(
        "mapping.json",
        r#"[{"Actor": "Salt Typhoon", "Aliases": "GhostEmperor"}]"#,
    );
    let csv = write(
        "iocs.csv",
        "ip,comment\n1.2.3.4,fine\n300.1.2.3,bad octet\n",
    );
    for (f, expect) in [(&galaxy, "uuid"), (&mapping, "Actor"), (&csv, "300.1.2.3")] {
        let out = sw(&db).arg("import").arg(f).output().unwrap();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.status.code(), Some(2), "{all}");
        assert!(all.contains(expect), "{expect} in {all}");
    }
    let (v, _) = json(&db, &["stats"]);
    assert_eq!(v["objects"], 0, "nothing written");
    // --skip-invalid imports the good records.
    sw(&db)
        .args(["import", "--skip-invalid"])
        .arg(&galaxy)
        .arg(&csv)
        .assert()
        .success();
    let (v, _) = json(&db, &["actor", "show", "Good Actor"]);
    assert_eq!(v["resolved"]["name"], "Good Actor");
    let (v, _) = json(&db, &["search", "1.2.3.4"]);
    assert!(!v["hits"].as_array().unwrap().is_empty());
}
