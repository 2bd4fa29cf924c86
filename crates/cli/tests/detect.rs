//! `stormwatch detect` through the binary: built-in rules on crafted positives and on
//! the real Cisco IOS samples, silence on the real benign corpora, SigmaHQ rules on
//! Zeek logs, the site file, bad input, and --record.

use assert_cmd::Command;
use serde_json::Value;
use std::path::PathBuf;

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../detect/tests/data")
        .join(name)
}

fn cmd(db: &std::path::Path) -> Command {
    let mut c = Command::cargo_bin("stormwatch").unwrap();
    c.env_remove("STORMWATCH_DB")
        .env_remove("STORMWATCH_DATABASE_URL")
        .arg("--db")
        .arg(db.join("kb.db"))
        .arg("--no-progress");
    c
}

fn jsonl(out: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect()
}

const BUILTIN_IDS: &[&str] = &[
    "ff791019-81bd-43db-90a5-3992a34c0166",
    "6e82fd47-b952-4921-a9d2-bf5201711245",
    "6370b15f-45e4-4488-9a40-79d7d76b00ed",
    "57496835-9600-4ad2-970d-59330442354c",
    "c51394b3-cdce-4224-b375-afbe7fa77de7",
    "17b31cfa-1ee6-4c4c-8618-c13d062b1f42",
    "3b7d98aa-a99c-47f3-9ac3-a1fa88a54f13",
    "635c73b9-5fe8-4838-84fe-fb632d21f734",
    "fbe1c6a2-1ff4-41ac-853a-40134ce66a6a",
    "8d7a1773-3628-48e9-9af0-8beca45f4ab2",
    "58c3be4f-7046-45ce-8149-291cf3323b0b",
    "5ba921e6-5fa7-4d32-9a2d-5372b08a1463",
    "2f6a7b8c-9d0e-4f1a-8b2c-3d4e5f6a7b8c",
    "5a0f3c1e-2b7d-4e8a-9c61-7d2e4b9f0a13",
    // the correlation: web UI login then a privilege-15 user (TACACS+ NAS = syslog host)
    "9d4e2f61-8a3b-4c7e-b5d0-1f6a2c8e3b47",
    // flow heuristics
    "9a48c6d0-2847-4a66-b154-e2e74b87a1fa",
    "8d0d50c0-afa2-49c1-9c98-397545263010",
    "9f7be572-1ea7-4f7d-a235-24c630b0126d",
    "968afc4d-c8ee-4889-8dea-b60528ec446d",
];

#[test]
fn every_builtin_rule_fires_on_crafted_positives() {
    let tmp = tempfile::tempdir().unwrap();
    let out = cmd(tmp.path())
        .args(["detect", "--format", "jsonl", "--site"])
        .arg(data("site.toml"))
        .arg(data("device-positives.log"))
        .arg(data("conn-positives.log"))
        .arg(data("zeek-positives.json"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let recs = jsonl(&out.stdout);
    for id in BUILTIN_IDS
        .iter()
        .chain(["9a8c1f2e-6b3d-4e5f-8a7b-1c2d3e4f5a6b"].iter())
    {
        assert!(
            recs.iter().any(|r| r["rule"] == *id),
            "rule {id} did not fire"
        );
    }
    for r in &recs {
        for k in [
            "rule",
            "title",
            "level",
            "tags",
            "file",
            "line",
            "offset",
            "time",
            "time_inferred",
        ] {
            assert!(r.get(k).is_some(), "key {k} missing in {r}");
        }
    }
    // Line numbers are 1-based lines of the input; offsets point at them.
    let text = std::fs::read_to_string(data("device-positives.log")).unwrap();
    let r = recs
        .iter()
        .find(|r| r["rule"] == "57496835-9600-4ad2-970d-59330442354c")
        .unwrap();
    let line = r["line"].as_u64().unwrap() as usize;
    assert!(text
        .lines()
        .nth(line - 1)
        .unwrap()
        .contains("copy running-config tftp://"));
    assert!(text[r["offset"].as_u64().unwrap() as usize..].starts_with("Oct 19 18:33:00"));
    assert_eq!(r["time_inferred"], true);
    let tags = r["tags"].as_array().unwrap();
    assert!(tags
        .iter()
        .any(|t| t.as_str().unwrap().starts_with("attack.t")));
    // The conn record on port 22 is normal.
    assert!(!recs
        .iter()
        .any(|r| r["file"].as_str().unwrap().ends_with("conn-positives.log") && r["line"] == 12));
}

#[test]
fn site_file_tells_normal_from_unusual() {
    let tmp = tempfile::tempdir().unwrap();
    let out = cmd(tmp.path())
        .args(["detect", "--format", "jsonl", "--site"])
        .arg(data("site-approving.toml"))
        .arg(data("conn-positives.log"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(out.stdout.is_empty());
    // A bad site file is a usage error naming the key.
    let bad = tmp.path().join("bad.toml");
    std::fs::write(&bad, "aaa_servers = [\"not-an-ip\"]\n").unwrap();
    let out = cmd(tmp.path())
        .args(["detect", "--site"])
        .arg(&bad)
        .arg(data("conn-positives.log"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("aaa_servers") && err.contains("not-an-ip"),
        "{err}"
    );
}

#[test]
fn real_cisco_samples_fire_and_benign_corpora_stay_silent() {
    let Some(ios) =
        stormwatch_testkit::shared_data("logs/sekoia-intake-formats/cisco-ios.raw-messages.log")
    else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let out = cmd(tmp.path())
        .args(["detect", "--format", "jsonl"])
        .arg(&ios)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let recs = jsonl(&out.stdout);
    let fired: Vec<(&str, u64)> = recs
        .iter()
        .map(|r| (r["rule"].as_str().unwrap(), r["line"].as_u64().unwrap()))
        .collect();
    // %SYS-4-CONFIG_RESOLVE_FAILURE (tftp://), %AAA-6-USERNAME_CONFIGURATION, %AAAA-4-CLI_DEPRECATED.
    assert!(
        fired.contains(&("5ba921e6-5fa7-4d32-9a2d-5372b08a1463", 12)),
        "{fired:?}"
    );
    assert!(
        fired.contains(&("635c73b9-5fe8-4838-84fe-fb632d21f734", 50)),
        "{fired:?}"
    );
    assert!(
        fired.contains(&("58c3be4f-7046-45ce-8149-291cf3323b0b", 51)),
        "{fired:?}"
    );

    for benign in [
        "logs/zeek",
        "logs/loghub",
        "logs/sekoia-intake-formats/openssh.raw-messages.log",
    ] {
        let Some(p) = stormwatch_testkit::shared_data(benign) else {
            return;
        };
        let out = cmd(tmp.path())
            .args(["detect", "--format", "jsonl"])
            .arg(&p)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{benign}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn sigmahq_rules_over_zeek_logs_and_cisco_aaa() {
    let (Some(rules), Some(zeek)) = (
        stormwatch_testkit::shared_data("sigma/rules/network"),
        stormwatch_testkit::shared_data("logs/zeek/trickbot-2018-11-09/dce_rpc.log"),
    ) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let out = cmd(tmp.path())
        .args(["detect", "--format", "json", "--no-builtin", "--rules"])
        .arg(&rules)
        .arg(&zeek)
        .arg(data("device-positives.log"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let dets = doc["detections"].as_array().unwrap();
    // MITRE BZAR execution on the real Trickbot dce_rpc.log (svcctl calls).
    assert!(dets
        .iter()
        .any(|d| d["rule"] == "b640c0b8-87f8-4daa-aef8-95a24261dd1d"));
    // SigmaHQ cisco/aaa "Cisco Clear Logs" reads the TACACS+ command `clear logging`.
    assert!(dets
        .iter()
        .any(|d| d["rule"] == "ceb407f6-8277-439b-951f-e4210e3ed956"));
    assert!(doc["rules_skipped"].as_array().unwrap().is_empty());
    for k in ["errors", "warnings", "inputs", "summary"] {
        assert!(doc.get(k).is_some(), "{k}");
    }
}

#[test]
fn bad_rules_and_bad_records_are_reported_and_the_rest_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    std::fs::write(rules.join("broken.yml"), "title: [unclosed\n").unwrap();
    std::fs::write(
        rules.join("unknown_modifier.yml"),
        "title: t\nid: 1\nlogsource: {product: zeek, service: dns}\ndetection:\n  s:\n    query|sounds_like: x\n  condition: s\n",
    )
    .unwrap();
    std::fs::write(
        rules.join("good.yml"),
        "title: NKN seed lookup\nid: 11111111-2222-4333-8444-555555555555\nlogsource: {product: zeek, service: dns}\ndetection:\n  s:\n    query|contains: '.nkn.org'\n  nofield:\n    no_such_field: 1\n  condition: s or nofield\nlevel: low\n",
    )
    .unwrap();
    let logs = tmp.path().join("dns.json");
    std::fs::write(
        &logs,
        "{\"_path\":\"dns\",\"query\":\"seed1.nkn.org\"}\n{\"_path\":\"dns\",\"query\": oops}\n{\"_path\":\"dns\",\"query\":\"seed2.nkn.org\"}\n",
    )
    .unwrap();
    let tsv = data("conn-positives.log");
    let out = cmd(tmp.path())
        .args(["detect", "--format", "json", "--no-builtin", "--rules"])
        .arg(&rules)
        .arg(&logs)
        .arg(&tsv)
        .arg(tmp.path().join("missing.log"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "bad records and a missing input fail the run"
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let skipped = doc["rules_skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 2, "{skipped:?}");
    let reasons: Vec<&str> = skipped
        .iter()
        .map(|s| s["reason"].as_str().unwrap())
        .collect();
    assert!(
        reasons.iter().any(|r| r.starts_with("malformed YAML")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("unknown modifier `sounds_like`")),
        "{reasons:?}"
    );
    let dets = doc["detections"].as_array().unwrap();
    let lines: Vec<u64> = dets.iter().map(|d| d["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, [1, 3], "the good rule still ran on the good records");
    let errors = doc["errors"].as_array().unwrap();
    assert!(
        errors
            .iter()
            .any(|e| e["line"] == 2 && e["error"].as_str().unwrap().contains("not valid JSON")),
        "{errors:?}"
    );
    assert!(errors
        .iter()
        .any(|e| e["file"].as_str().unwrap().ends_with("missing.log")));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("dns.json:2: not valid JSON at column"),
        "{stderr}"
    );
}

#[test]
fn unknown_field_is_a_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("r.yml");
    std::fs::write(
        &rules,
        "title: odd conn field\nid: 22222222-2222-4333-8444-555555555555\nlogsource: {product: zeek, service: conn}\ndetection:\n  s:\n    no_such_field: 1\n  condition: s\n",
    )
    .unwrap();
    let out = cmd(tmp.path())
        .args(["detect", "--format", "json", "--no-builtin", "--rules"])
        .arg(&rules)
        .arg(data("conn-positives.log"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let w = doc["warnings"].as_array().unwrap();
    assert!(
        w.iter()
            .any(|w| w["field"] == "no_such_field" && w["source"] == "zeek/conn"),
        "{w:?}"
    );
}

#[test]
fn record_stores_sightings_of_sigma_indicators_once() {
    let tmp = tempfile::tempdir().unwrap();
    let run = || {
        cmd(tmp.path())
            .args(["detect", "--format", "jsonl", "--record"])
            .arg(data("device-positives.log"))
            .output()
            .unwrap()
    };
    let out = run();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("recorded 15 sightings"));
    run();
    let out = cmd(tmp.path())
        .args(["export", "--type", "indicator", "--type", "sighting"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bundle: Value = serde_json::from_slice(&out.stdout).unwrap();
    let objs = bundle["objects"].as_array().unwrap();
    let inds: Vec<&Value> = objs.iter().filter(|o| o["type"] == "indicator").collect();
    let sights: Vec<&Value> = objs.iter().filter(|o| o["type"] == "sighting").collect();
    // 13 rules, the web UI login rule and the correlation it completes.
    assert_eq!(inds.len(), 15);
    assert_eq!(sights.len(), 15, "re-running records nothing new");
    assert!(inds.iter().all(|i| i["pattern_type"] == "sigma"));
    assert!(inds.iter().any(|i| i["pattern"]
        .as_str()
        .unwrap()
        .contains("type: temporal_ordered")));
    let epc = inds
        .iter()
        .find(|i| {
            i["pattern"]
                .as_str()
                .unwrap()
                .contains("ff791019-81bd-43db-90a5-3992a34c0166")
        })
        .unwrap();
    let s = sights
        .iter()
        .find(|s| s["sighting_of_ref"] == epc["id"])
        .unwrap();
    assert_eq!(s["count"], 2);
}

#[test]
fn logsource_flag_runs_keyword_rules_on_plain_text_logs() {
    let Some(rules) = stormwatch_testkit::shared_data("sigma/rules/linux/builtin/sshd") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("auth.log");
    std::fs::write(
        &log,
        "Dec 10 06:55:46 LabSZ sshd[24200]: Accepted password for x\nDec 10 06:55:47 LabSZ sshd[24201]: Corrupted MAC on input.\n",
    )
    .unwrap();
    let out = cmd(tmp.path())
        .args([
            "detect",
            "--format",
            "jsonl",
            "--no-builtin",
            "--year",
            "2025",
            "--logsource",
            "linux/sshd",
            "--rules",
        ])
        .arg(&rules)
        .arg(&log)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let recs = jsonl(&out.stdout);
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0]["rule"], "e76b413a-83d0-4b94-8e4c-85db4a5b8bdc");
    assert_eq!(recs[0]["line"], 2);
    assert_eq!(recs[0]["time"], "2025-12-10T06:55:47.000Z");
    assert_eq!(recs[0]["time_inferred"], true);
    // Without --logsource the text has no logsource: nothing runs, nothing is found.
    let out = cmd(tmp.path())
        .args(["detect", "--format", "jsonl", "--no-builtin", "--rules"])
        .arg(&rules)
        .arg(&log)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
}

const CORRELATION: &str = "9d4e2f61-8a3b-4c7e-b5d0-1f6a2c8e3b47";

/// The built-in correlation fires only for a web UI login followed within ten minutes
/// by a privilege-15 user on the same device; its record lists both detections.
#[test]
fn web_login_then_priv15_correlates_per_device_within_the_window() {
    let tmp = tempfile::tempdir().unwrap();
    let out = cmd(tmp.path())
        .args(["detect", "--format", "jsonl"])
        .arg(data("webui-then-priv15.log"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let recs = jsonl(&out.stdout);
    let corr: Vec<&Value> = recs.iter().filter(|r| r["rule"] == CORRELATION).collect();
    // edge-1: login (line 1) then priv-15 (line 3), 3m52s later. edge-2: the priv-15
    // user at line 2 precedes its login, the one at line 5 is 25 min after it. edge-3:
    // an SSH login (port 22), not the web UI.
    assert_eq!(corr.len(), 1, "{corr:?}");
    let c = corr[0];
    assert_eq!(c["line"], 3);
    assert_eq!(c["level"], "critical");
    assert_eq!(c["correlation"]["type"], "temporal_ordered");
    assert_eq!(c["correlation"]["group"]["host"], "edge-1");
    assert_eq!(c["correlation"]["timespan_seconds"], 600);
    let lines: Vec<u64> = c["correlation"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, vec![1, 3]);
    // Both member rules still report on their own (generate: true).
    let priv15 = recs
        .iter()
        .filter(|r| r["rule"] == "c51394b3-cdce-4224-b375-afbe7fa77de7")
        .count();
    assert_eq!(priv15, 4);
    let web = recs
        .iter()
        .filter(|r| r["rule"] == "5a0f3c1e-2b7d-4e8a-9c61-7d2e4b9f0a13")
        .count();
    assert_eq!(web, 2, "the port-22 login is not a web login");
}

/// A user's Sigma correlation rule (`event_count` over its own base rule, in one
/// multi-document file), with `generate: false` hiding the base rule's detections, and
/// an `|expand` rule whose placeholder the site file fills.
#[test]
fn user_correlations_and_expand_placeholders() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    std::fs::write(
        rules.join("burst.yml"),
        "title: Privilege-15 command
name: p15_cmd
id: 0b6f0d3e-1111-4c1c-9a9a-000000000001
logsource:
    product: cisco
    service: aaa
detection:
    sel:
        command|contains: 'privilege 15'
    condition: sel
level: medium
---
title: Two privilege-15 commands on one device within an hour
id: 0b6f0d3e-1111-4c1c-9a9a-000000000002
correlation:
    type: event_count
    rules: [p15_cmd]
    group-by: [host]
    timespan: 1h
    condition:
        gte: 2
level: high
",
    )
    .unwrap();
    std::fs::write(
        rules.join("expand.yml"),
        "title: Login from a jump host
id: 0b6f0d3e-1111-4c1c-9a9a-000000000003
logsource:
    product: cisco
    service: syslog
detection:
    sel:
        mnemonic: LOGIN_SUCCESS
        message|contains|expand: '[Source: %jump_hosts%]'
    condition: sel
level: low
",
    )
    .unwrap();
    let site = tmp.path().join("site.toml");
    std::fs::write(
        &site,
        "[placeholders]\njump_hosts = [\"10.0.0.5\", \"192.0.2.1\"]\n",
    )
    .unwrap();
    let out = cmd(tmp.path())
        .args(["detect", "--no-builtin", "--format", "json", "--rules"])
        .arg(&rules)
        .arg("--site")
        .arg(&site)
        .arg(data("webui-then-priv15.log"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        doc["rules_skipped"].as_array().unwrap().len(),
        0,
        "{}",
        doc["rules_skipped"]
    );
    let dets = doc["detections"].as_array().unwrap();
    // generate: false: the base rule reports only through the correlation.
    assert!(!dets
        .iter()
        .any(|d| d["rule"] == "0b6f0d3e-1111-4c1c-9a9a-000000000001"));
    let burst: Vec<&Value> = dets
        .iter()
        .filter(|d| d["rule"] == "0b6f0d3e-1111-4c1c-9a9a-000000000002")
        .collect();
    // edge-2 has two privilege-15 commands (10:01:40, 11:55:00): 1h53m apart, no.
    // edge-3 and edge-1 have one each.
    assert!(burst.is_empty(), "{burst:?}");
    // The expanded rule: logins from 10.0.0.5 (lines 4 and 6).
    let lines: Vec<u64> = dets
        .iter()
        .filter(|d| d["rule"] == "0b6f0d3e-1111-4c1c-9a9a-000000000003")
        .map(|d| d["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, vec![4, 6]);

    // Without the placeholder the rule is rejected, naming it and the fix.
    let out = cmd(tmp.path())
        .args(["detect", "--no-builtin", "--format", "json", "--rules"])
        .arg(&rules)
        .arg(data("webui-then-priv15.log"))
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let reason = doc["rules_skipped"][0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("%jump_hosts%") && reason.contains("[placeholders]"),
        "{reason}"
    );

    // A wider window joins edge-2's two commands.
    let text = std::fs::read_to_string(rules.join("burst.yml"))
        .unwrap()
        .replace("timespan: 1h", "timespan: 2h");
    std::fs::write(rules.join("burst.yml"), text).unwrap();
    let out = cmd(tmp.path())
        .args(["detect", "--no-builtin", "--format", "jsonl", "--rules"])
        .arg(&rules)
        .arg("--site")
        .arg(&site)
        .arg(data("webui-then-priv15.log"))
        .output()
        .unwrap();
    let recs = jsonl(&out.stdout);
    let burst: Vec<&Value> = recs
        .iter()
        .filter(|d| d["rule"] == "0b6f0d3e-1111-4c1c-9a9a-000000000002")
        .collect();
    assert_eq!(burst.len(), 1);
    assert_eq!(burst[0]["correlation"]["group"]["host"], "edge-2");
    assert_eq!(burst[0]["correlation"]["count"], 2);
    assert_eq!(burst[0]["line"], 5);
}

/// detect walks directories with the same --include/--exclude globs as hunt.
#[test]
fn include_and_exclude_globs_choose_files_in_directories() {
    let tmp = tempfile::tempdir().unwrap();
    let out = cmd(tmp.path())
        .args([
            "detect",
            "--format",
            "jsonl",
            "--include",
            "*.log",
            "--exclude",
            "**/conn*",
        ])
        .arg(data(""))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let files: std::collections::BTreeSet<String> = jsonl(&out.stdout)
        .iter()
        .map(|r| {
            let f = r["file"].as_str().unwrap();
            f.rsplit('/').next().unwrap().to_owned()
        })
        .collect();
    let want: std::collections::BTreeSet<String> =
        ["device-positives.log", "webui-then-priv15.log"]
            .iter()
            .map(|s| s.to_string())
            .collect();
    assert_eq!(files, want);
}
