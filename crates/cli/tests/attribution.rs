//! Issue "attribution workbench" through the real binary: overlap ranking on ATT&CK
//! 18.1 (+ the built-in pack), claims, competing hypotheses and time of activity.
//! Tests on shared data skip without ../shared (fail under CI=true); set
//! STORMWATCH_SHARED_DATA to point at another copy of shared/data.

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn data(rel: &str) -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("STORMWATCH_SHARED_DATA") {
        let p = PathBuf::from(d).join(rel);
        if p.exists() {
            return Some(p);
        }
    }
    stormwatch_testkit::shared_data(rel)
}

fn sw(db: &Path) -> Command {
    let mut c = Command::cargo_bin("stormwatch").unwrap();
    c.env_remove("STORMWATCH_DB")
        .env_remove("STORMWATCH_DATABASE_URL")
        .arg("--db")
        .arg(db);
    c
}

fn run_json(db: &Path, args: &[&str]) -> (Value, i32, String) {
    let out = sw(db)
        .args(["--format", "json"])
        .args(args)
        .output()
        .unwrap();
    (
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null),
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// One store with the pack and ATT&CK 18.1, shared by the tests of this file.
fn attack_store() -> Option<&'static Path> {
    static STORE: OnceLock<Option<(tempfile::TempDir, PathBuf)>> = OnceLock::new();
    STORE
        .get_or_init(|| {
            let attack = data("attack/enterprise-attack-18.1.json")?;
            let dir = tempfile::tempdir().unwrap();
            let db = dir.path().join("kb.db");
            sw(&db).args(["-q", "intel", "init"]).assert().success();
            sw(&db)
                .args(["-q", "import"])
                .arg(attack)
                .assert()
                .success();
            Some((dir, db))
        })
        .as_ref()
        .map(|(_, p)| p.as_path())
}

/// The technique ids inside the advisory STIX file's attack-pattern names.
fn advisory_technique_ids() -> Vec<String> {
    let text = std::fs::read_to_string(stormwatch_testkit::example("AA25-239A.stix.json")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    let mut ids = Vec::new();
    for o in v["objects"].as_array().unwrap() {
        if o["type"] != "attack-pattern" {
            continue;
        }
        let n = o["name"].as_str().unwrap();
        let (Some(s), Some(e)) = (n.find('['), n.find(']')) else {
            continue;
        };
        ids.push(n[s + 1..e].to_owned());
    }
    ids
}

#[test]
fn advisory_techniques_rank_salt_typhoon_first() {
    let Some(db) = attack_store() else { return };
    let ids = advisory_technique_ids();
    assert_eq!(ids.len(), 44, "42 techniques + 2 tactics");
    let (v, code, err) = run_json(db, &["attribute", "--ttp", &ids.join(",")]);
    assert_eq!(code, 0, "{err}");
    let c = &v["candidates"];
    assert_eq!(c[0]["external_id"], "G1045", "{}", c[0]);
    assert_eq!(c[0]["name"], "Salt Typhoon");
    // Merged with the pack's Salt Typhoon object (same name), ATT&CK id first.
    assert!(
        c[0]["members"].as_array().unwrap().len() >= 2,
        "{}",
        c[0]["members"]
    );
    assert!(c[0]["id"].as_str().unwrap().starts_with("intrusion-set--"));
    let p0 = c[0]["probability"].as_f64().unwrap();
    let p1 = c[1]["probability"].as_f64().unwrap();
    assert!(p0 > 0.9 && p1 < 0.1, "{p0} {p1}");
    assert!(c[0]["score"].as_f64().unwrap() > c[1]["score"].as_f64().unwrap() + 10.0);
    // The two tactics are ignored, with a warning naming them.
    assert_eq!(v["ignored"], serde_json::json!(["TA0011", "TA0010"]));
    assert!(err.contains("TA0011") && err.contains("tactic"), "{err}");
    // Shared items carry id, name and weight; T1059 (ubiquitous) weighs less than a rare one.
    for s in c[0]["shared"].as_array().unwrap() {
        assert!(s["id"].is_string() && s["weight"].is_number() && s.get("name").is_some());
    }
}

#[test]
fn rarer_items_weigh_more_and_unknown_ids_are_named() {
    let Some(db) = attack_store() else { return };
    let (v, code, err) = run_json(
        db,
        &[
            "attribute",
            "--ttp",
            "T1190,T1059.008,T9999",
            "--software",
            "S1206",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["candidates"][0]["external_id"], "G1045");
    assert_eq!(v["ignored"], serde_json::json!(["T9999"]));
    assert!(
        err.contains("T9999") && err.contains("unknown technique"),
        "{err}"
    );
    let shared = v["candidates"][0]["shared"].as_array().unwrap();
    let w = |id: &str| {
        shared
            .iter()
            .find(|s| s["id"] == id)
            .and_then(|s| s["weight"].as_f64())
            .unwrap()
    };
    // JumbledPath is used by one actor, T1190 by dozens.
    assert!(w("S1206") > w("T1190") + 1.0, "{shared:?}");
    // Software by name.
    let (v, code, _) = run_json(db, &["attribute", "--software", "jumbledpath"]);
    assert_eq!(code, 0);
    assert_eq!(v["candidates"][0]["external_id"], "G1045");
}

#[test]
fn nothing_known_is_exit_2_naming_the_items() {
    let Some(db) = attack_store() else { return };
    let (_, code, err) = run_json(
        db,
        &[
            "attribute",
            "--ttp",
            "T9998,TA0001",
            "--software",
            "NoSuchTool",
        ],
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("T9998") && err.contains("NoSuchTool") && err.contains("error:"),
        "{err}"
    );
}

#[test]
fn observations_from_a_file() {
    let Some(db) = attack_store() else { return };
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("obs.json");
    std::fs::write(&f, r#"{"ttp": ["T1602.002", "T1098.004", "T1110.002"], "software": ["S1206"], "cve": ["CVE-2018-0171"]}"#).unwrap();
    let (v, code, err) = run_json(db, &["attribute", f.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["candidates"][0]["external_id"], "G1045");
    assert!(v["candidates"][0]["shared"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["id"] == "CVE-2018-0171"));
    let csv = dir.path().join("obs.csv");
    std::fs::write(&csv, "kind,value\nttp,T1602.002\nsoftware,S1206\nbogus,1\n").unwrap();
    let (_, code, err) = run_json(db, &["attribute", csv.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.contains("obs.csv") && err.contains("line 4") && err.contains("bogus"),
        "{err}"
    );
}

fn pack_store() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kb.db");
    sw(&db).args(["-q", "intel", "init"]).assert().success();
    (dir, db)
}

fn groups_for(v: &Value, subject: &str, object: &str) -> (u64, u64) {
    let p = v["propositions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["subject"] == subject && p["kind"] == "attributed-to" && p["object"] == object)
        .unwrap_or_else(|| panic!("{subject} -> {object} in {v}"));
    (
        p["claims"].as_u64().unwrap(),
        p["independent_groups"].as_u64().unwrap(),
    )
}

#[test]
fn claims_count_independent_groups_not_documents() {
    let (_d, db) = pack_store();
    let prc = "People's Republic of China (state)";
    let (v, code, _) = run_json(&db, &["claim", "list", "--kind", "attributed-to"]);
    assert_eq!(code, 0);
    let (n0, g0) = groups_for(&v, "Salt Typhoon", prc);
    // Every claim carries source, group, grade and confidence.
    for c in v["claims"].as_array().unwrap() {
        assert!(
            c["source"].is_string()
                && c["independence_group"].is_string()
                && c["admiralty"].is_string(),
            "{c}"
        );
    }
    // A second US government voice adds a document, not an independent group...
    let out = sw(&db)
        .args(["claim", "add", "Salt Typhoon", "attributed-to", prc, "--source", "FBI", "--date", "2025-04",
               "--reference", "FBI request for information, 2025-04: seeks information on individuals behind Salt Typhoon"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let id = String::from_utf8(out.stdout).unwrap();
    assert!(id.trim().starts_with("relationship--"), "{id}");
    let (v, _, _) = run_json(&db, &["claim", "list", "--kind", "attributed-to"]);
    let c = v["claims"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id.trim())
        .unwrap();
    assert_eq!(c["admiralty"], "A2");
    assert_eq!(c["confidence"], 70);
    assert_eq!(c["independence_group"], "US government");
    let (n1, g1) = groups_for(&v, "Salt Typhoon", prc);
    assert_eq!(
        (n1, g1),
        (n0 + 1, g0 + 1),
        "US government was not yet among the groups"
    );
    // ...and a third US agency in the same group adds neither.
    sw(&db)
        .args([
            "-q",
            "claim",
            "add",
            "Salt Typhoon",
            "attributed-to",
            prc,
            "--source",
            "CISA",
            "--grade",
            "b3",
            "--reference",
            "FBI and CISA joint statement, 2024-11-13",
        ])
        .assert()
        .success();
    let (v, _, _) = run_json(&db, &["claim", "list", "--about", "salt"]);
    assert_eq!(groups_for(&v, "Salt Typhoon", prc), (n1 + 1, g1));
    // A typo in the kind, the grade or an unknown name is named.
    let out = sw(&db)
        .args([
            "claim",
            "add",
            "Salt Typhoon",
            "atributed-to",
            prc,
            "--source",
            "X",
            "--reference",
            "r",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("\"atributed-to\""));
    let out = sw(&db)
        .args([
            "claim",
            "add",
            "Salt Typhoon",
            "attributed-to",
            prc,
            "--source",
            "X",
            "--grade",
            "G9",
            "--reference",
            "r",
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("--grade \"G9\""));
    let out = sw(&db)
        .args([
            "claim",
            "add",
            "Salt Typhoon",
            "attributed-to",
            "Nowhere Ltd",
            "--source",
            "X",
            "--reference",
            "r",
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("Nowhere Ltd"));
}

fn ach_case() -> PathBuf {
    stormwatch_testkit::example("ach-salt-typhoon.toml")
}

#[test]
fn ach_example_renders_in_every_format_and_exports_as_stix() {
    let (dir, db) = pack_store();
    let case = ach_case();
    let case = case.to_str().unwrap();
    let (v, code, err) = run_json(&db, &["ach", case, "--store"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["hypotheses"].as_array().unwrap().len(), 4);
    assert_eq!(v["ranking"][0], "H1");
    assert!(v["sensitivity"]["removals"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["kind"] == "group"));
    assert!(v["caveat"].is_string());
    let diag: Vec<f64> = v["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["diagnosticity"].as_f64().unwrap())
        .collect();
    assert!(diag.contains(&0.0) && diag.contains(&3.0), "{diag:?}");
    // Every claim the case cites is a claim of the built-in pack.
    let (claims, _, _) = run_json(&db, &["claim", "list"]);
    let ids: Vec<&str> = claims["claims"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    for e in v["evidence"].as_array().unwrap() {
        for c in e["claims"].as_array().unwrap() {
            assert!(
                ids.contains(&c.as_str().unwrap()),
                "{} cites {c}, not in the pack",
                e["id"]
            );
        }
    }
    for (fmt, needle) in [
        ("text", "INCONSISTENCY"),
        ("md", "| **inconsistency** |"),
        ("html", "<td class=\"II\">II</td>"),
    ] {
        let out = sw(&db)
            .args(["--format", fmt, "ach", case])
            .output()
            .unwrap();
        assert!(out.status.success());
        let s = String::from_utf8(out.stdout).unwrap();
        assert!(s.contains(needle), "{fmt}: {s}");
        assert!(s.contains("Salt Typhoon") && s.contains("robust"), "{fmt}");
    }
    // Stored as a grouping with its extension-definition; both export.
    let out = sw(&db)
        .args([
            "--format",
            "jsonl",
            "export",
            "--type",
            "grouping",
            "--type",
            "extension-definition",
        ])
        .output()
        .unwrap();
    let s = String::from_utf8(out.stdout).unwrap();
    let objs: Vec<Value> = s
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let grouping = objs
        .iter()
        .find(|o| o["type"] == "grouping")
        .expect("grouping exported");
    assert!(objs.iter().any(|o| o["type"] == "extension-definition"));
    let ext = grouping["extensions"]
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap();
    assert_eq!(ext["extension_type"], "property-extension");
    assert_eq!(ext["ranking"][0], "H1");
    // A source's grade changes the scores.
    let text = std::fs::read_to_string(case).unwrap();
    let changed = dir.path().join("changed.toml");
    std::fs::write(
        &changed,
        text.replacen("grade = \"A2\"", "grade = \"A5\"", 1),
    )
    .unwrap();
    let (w, code, _) = run_json(&db, &["ach", changed.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_ne!(
        v["hypotheses"][1]["inconsistency"],
        w["hypotheses"][1]["inconsistency"]
    );
    assert_eq!(w["evidence"][0]["weight"], 0.2);
}

#[test]
fn ach_init_and_typos() {
    let (dir, db) = pack_store();
    let f = dir.path().join("case.toml");
    sw(&db).args(["ach", "init"]).arg(&f).assert().success();
    sw(&db).arg("ach").arg(&f).assert().success();
    // init never overwrites.
    sw(&db).args(["ach", "init"]).arg(&f).assert().code(2);
    let text = std::fs::read_to_string(&f).unwrap();
    std::fs::write(
        &f,
        text.replace("relevance = \"medium\"", "relevence = \"medium\""),
    )
    .unwrap();
    let out = sw(&db).arg("ach").arg(&f).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("case.toml") && err.contains("relevence") && err.contains("line"),
        "{err}"
    );
    std::fs::write(&f, text.replace("H2 = \"I\" }", "H3 = \"I\" }")).unwrap();
    let err =
        String::from_utf8_lossy(&sw(&db).arg("ach").arg(&f).output().unwrap().stderr).into_owned();
    assert!(
        err.contains("evidence E1") && err.contains("\"H3\""),
        "{err}"
    );
    let ex = dir.path().join("example.toml");
    sw(&db)
        .args(["ach", "init", "--example"])
        .arg(&ex)
        .assert()
        .success();
    assert_eq!(
        std::fs::read_to_string(&ex).unwrap(),
        std::fs::read_to_string(ach_case()).unwrap()
    );
}

#[test]
fn timing_on_synthetic_operator_activity() {
    let (dir, db) = pack_store();
    let f = stormwatch_testkit::example("timing-synthetic-cn.csv");
    let (v, code, err) = run_json(
        &db,
        &[
            "timing",
            f.to_str().unwrap(),
            "--hypothesis",
            "CN",
            "--hypothesis",
            "US",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["events"], 300);
    assert_eq!(v["best"], "+08:00");
    assert_eq!(v["offsets"][0]["offset"], "+08:00");
    assert_eq!(v["offsets"][0]["consistent"], true);
    assert_eq!(v["offsets"].as_array().unwrap().len(), 40);
    for k in [
        "offset",
        "log_likelihood",
        "lr_vs_best",
        "lr_vs_uniform",
        "consistent",
    ] {
        assert!(v["offsets"][3].get(k).is_some(), "{k}");
    }
    for o in ["+05:45", "+03:30", "-09:30", "+12:45", "+14:00", "-12:00"] {
        assert!(
            v["offsets"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x["offset"] == o),
            "{o}"
        );
    }
    assert_eq!(v["hypotheses"][0]["zone"], "Asia/Shanghai");
    assert!(v["caveat"]
        .as_str()
        .unwrap()
        .contains("not operator actions"));
    // SVG heatmap: well-formed, 2 panels of 7 x 24 cells.
    let out = sw(&db)
        .args(["--format", "svg", "timing"])
        .arg(&f)
        .output()
        .unwrap();
    assert!(out.status.success());
    let svg = String::from_utf8(out.stdout).unwrap();
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    assert_eq!(svg.matches("<rect x=").count() - 5, 2 * 7 * 24);
    // Malformed timestamps are named with their line; the rest is analysed; exit 2.
    let bad = dir.path().join("bad.csv");
    let mut text = std::fs::read_to_string(&f).unwrap();
    text.push_str("yesterday at noon,x\n");
    std::fs::write(&bad, text).unwrap();
    let (v, code, err) = run_json(&db, &["timing", bad.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert_eq!(v["events"], 300);
    assert!(
        err.contains("bad.csv:302") && err.contains("yesterday at noon"),
        "{err}"
    );
    let (_, code, err) = run_json(
        &db,
        &["timing", f.to_str().unwrap(), "--hypothesis", "Atlantis"],
    );
    assert_eq!(code, 2);
    assert!(err.contains("Atlantis"), "{err}");
}

#[test]
fn timing_on_real_zeek_logs_warns_about_machine_activity() {
    let Some(http) = data("logs/zeek/trickbot-2018-11-09/http.log") else {
        return;
    };
    let (_d, db) = pack_store();
    let (v, code, err) = run_json(&db, &["timing", http.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(v["events"].as_u64().unwrap() > 1000);
    assert!(v["caveat"].as_str().unwrap().contains("C2 beacons"));
}
