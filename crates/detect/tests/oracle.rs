//! Correctness against pySigma + SQLite: every rule under sigma/rules/network/zeek (and
//! the category rules the Zeek logs answer to: network/dns, web/proxy_generic, the
//! built-in Zeek rule) is converted by pySigma's SQLite backend with the pipelines this
//! crate ships; the same Zeek logs (shared/data/logs/zeek plus crafted positives in
//! tests/data) loaded into SQLite must return exactly the records Stormwatch reports,
//! rule by rule. The oracle is the Python in `$STORMWATCH_PYSIGMA_PYTHON` (set by .ci/run).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use stormwatch_detect::{load_rules, Detection, Detector, Options, Placeholders, RuleSet};

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn log_files(dirs: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    fn walk(p: &Path, out: &mut Vec<PathBuf>) {
        if p.is_file() {
            out.push(p.to_path_buf());
            return;
        }
        let mut v: Vec<PathBuf> = std::fs::read_dir(p)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        v.sort();
        for x in v {
            if x.is_dir() {
                walk(&x, out);
            } else if x.to_string_lossy().ends_with(".log")
                || x.to_string_lossy().ends_with(".gz")
                || x.to_string_lossy().ends_with(".json")
            {
                out.push(x);
            }
        }
    }
    for d in dirs {
        walk(d, &mut out);
    }
    out
}

#[test]
fn pysigma_sqlite_agrees_rule_by_rule() {
    let Some(python) = stormwatch_testkit::oracle("STORMWATCH_PYSIGMA_PYTHON") else {
        return;
    };
    let Some(sigma) = stormwatch_testkit::shared_data("sigma/rules") else {
        return;
    };
    let Some(zeek) = stormwatch_testkit::shared_data("logs/zeek") else {
        return;
    };
    let rule_dirs = [
        sigma.join("network/zeek"),
        sigma.join("network/dns"),
        sigma.join("web/proxy_generic"),
        manifest().join("rules/wsma_exploit_http.yml"),
    ];
    let logs = vec![zeek, manifest().join("tests/data/zeek-positives.json")];
    let files = log_files(&logs);

    let mut cmd = Command::new(&python);
    cmd.arg(manifest().join("tests/pysigma_oracle.py"))
        .arg("--pipeline")
        .arg(manifest().join("pipelines/zeek.yml"))
        .arg("--logsources")
        .arg(manifest().join("pipelines/logsources.toml"))
        .arg("--rules")
        .args(&rule_dirs)
        .arg("--logs")
        .args(&files);
    let out = cmd.output().expect("run the pySigma oracle");
    assert!(
        out.status.success(),
        "oracle failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("oracle JSON");
    let oracle = doc["rules"].as_object().expect("rules");
    eprintln!("oracle conversion errors: {}", doc["errors"]);

    let mut rules = RuleSet::default();
    for d in &rule_dirs {
        let set = load_rules(d, &Placeholders::new());
        assert!(set.skipped.is_empty(), "{:?}", set.skipped);
        rules.extend(set);
    }
    let det = Detector::new(rules, None, &[]);
    let mut ours: BTreeMap<String, BTreeSet<(String, u64)>> = BTreeMap::new();
    for f in &files {
        let name = f.display().to_string();
        let reader = std::fs::File::open(f).unwrap();
        let mut hits: Vec<Detection> = Vec::new();
        let mut sink = |d: &Detection| -> std::io::Result<()> {
            hits.push(d.clone());
            Ok(())
        };
        let res = det
            .scan(&name, reader, &Options::default(), &mut sink)
            .unwrap();
        assert!(res.report.error.is_none(), "{name}: {:?}", res.report.error);
        assert_eq!(
            res.record_errors_total, 0,
            "{name}: {:?}",
            res.record_errors
        );
        for d in hits {
            if det.flow_rule(d.rule) {
                continue;
            }
            ours.entry(det.rules[d.rule].rule.id.clone())
                .or_default()
                .insert((name.clone(), d.line));
        }
    }
    let mut compared = 0;
    let mut with_hits = 0;
    let mut mismatches = Vec::new();
    for (id, v) in oracle {
        let theirs: BTreeSet<(String, u64)> = v["matches"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| (m[0].as_str().unwrap().to_owned(), m[1].as_u64().unwrap()))
            .collect();
        let mine = ours.get(id).cloned().unwrap_or_default();
        compared += 1;
        if !theirs.is_empty() {
            with_hits += 1;
        }
        if mine != theirs {
            let only_ours: Vec<_> = mine.difference(&theirs).take(3).collect();
            let only_theirs: Vec<_> = theirs.difference(&mine).take(3).collect();
            mismatches.push(format!(
                "{id} ({}): ours {} vs pySigma {}; only ours {only_ours:?}; only pySigma {only_theirs:?}",
                v["file"],
                mine.len(),
                theirs.len()
            ));
        }
    }
    eprintln!("compared {compared} rules, {with_hits} with matches");
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    assert!(compared >= 30, "only {compared} rules compared");
    assert!(with_hits >= 15, "only {with_hits} rules had matches");
    // Every rule under network/zeek is compared.
    let zeek_ids = load_rules(&sigma.join("network/zeek"), &Placeholders::new()).rules;
    for r in zeek_ids {
        assert!(oracle.contains_key(&r.rule.id), "not compared: {}", r.file);
    }
}
