//! `stormwatch hunt` through the binary: exact matching with near misses, the
//! advisory's indicators (upper-case hashes, compound patterns), inputs and formats,
//! and bad inputs that are reported while the rest is swept.

use assert_cmd::Command;
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use stormwatch_testkit::{example, shared_data};

fn sw(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("stormwatch").unwrap();
    c.env_remove("STORMWATCH_DB")
        .env_remove("STORMWATCH_DATABASE_URL")
        .arg("--db")
        .arg(dir.join("kb.db"));
    c
}

/// The advisory's first IPv4 address, first IPv6 address and first SHA-256 (as written).
fn advisory_values() -> (String, String, String) {
    let v: Value =
        serde_json::from_slice(&std::fs::read(example("AA25-239A.stix.json")).unwrap()).unwrap();
    let pats: Vec<String> = v["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["pattern"].as_str().map(str::to_owned))
        .collect();
    let between = |p: &str, key: &str| -> Option<String> {
        let i = p.find(key)? + key.len();
        let rest = &p[i..];
        let s = rest.find('\'')? + 1;
        let e = rest[s..].find('\'')? + s;
        Some(rest[s..e].to_owned())
    };
    let v4 = pats
        .iter()
        .find_map(|p| between(p, "ipv4-addr:value"))
        .unwrap();
    let v6 = pats
        .iter()
        .find_map(|p| between(p, "ipv6-addr:value"))
        .unwrap();
    let sha = pats.iter().find_map(|p| between(p, "'SHA-256'")).unwrap();
    (v4, v6, sha)
}

fn records(out: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn near_misses(v4: &str) -> Vec<String> {
    let o: Vec<&str> = v4.split('.').collect();
    vec![
        format!("1{v4}"),
        format!("{v4}5"),
        format!("{v4}.9"),
        format!("{}.{}.{}.{}1", o[0], o[1], o[2], o[3]),
        format!("x{v4}"),
        format!("{v4}x"),
    ]
}

#[test]
fn exact_matches_and_near_misses() {
    let (v4, v6, sha) = advisory_values();
    let dir = tempfile::tempdir().unwrap();
    let v6full: std::net::Ipv6Addr = v6.parse().unwrap();
    let seg = v6full.segments();
    let expanded = seg
        .iter()
        .map(|s| format!("{s:04x}"))
        .collect::<Vec<_>>()
        .join(":");
    let mut bad_sha = sha.to_lowercase();
    bad_sha.replace_range(63..64, if bad_sha.ends_with('0') { "1" } else { "0" });
    let mut lines = vec![
        format!("1541752426.1\tC1\t{v4}\t443\tconn"), // 1 hit
        format!("1541752427.1\tC2\t10.0.0.1\t{}\tsha", sha.to_lowercase()), // 2 hit (lower-case hash)
        format!("1541752428.1\tC3\t{}\t53", expanded.to_uppercase()), // 3 hit (IPv6 expanded, upper)
        format!("1541752429.1\tC4\t{bad_sha}\t0"),                    // 4 miss (off by one)
        format!("1541752430.1\tC5\t{}a\t0", sha.to_lowercase()),      // 5 miss (longer hex run)
    ];
    for m in near_misses(&v4) {
        lines.push(format!("1541752431.1\tC6\t{m}\t0"));
    }
    lines.push(format!("1541752432.1\tC7\t[{v6}]:443\tx")); // hit: compressed form in brackets
    let log = dir.path().join("conn.log");
    std::fs::write(
        &log,
        format!(
            "#separator \\x09\n#fields\tts\tuid\tv\tp\tk\n{}\n",
            lines.join("\n")
        ),
    )
    .unwrap();
    let out = sw(dir.path())
        .args(["--format", "jsonl", "hunt", "--iocs"])
        .arg(example("AA25-239A.stix.json"))
        .arg(&log)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let recs = records(&out.stdout);
    let hit_lines: Vec<u64> = recs.iter().map(|r| r["line"].as_u64().unwrap()).collect();
    assert_eq!(hit_lines, vec![3, 4, 5, 14], "{recs:#?}");
    for r in &recs {
        for k in [
            "file",
            "line",
            "packet",
            "offset",
            "value",
            "canonical",
            "indicator",
            "indicator_value",
            "partial",
            "atoms",
            "time",
            "time_inferred",
        ] {
            assert!(r.get(k).is_some(), "{k}");
        }
        assert!(r["indicator"].as_str().unwrap().starts_with("indicator--"));
    }
    let sha_rec = &recs[1];
    assert_eq!(
        sha_rec["partial"], true,
        "the advisory's file patterns AND a file name"
    );
    assert_eq!(sha_rec["canonical"], sha.to_lowercase());
    assert_eq!(
        recs[0]["time"],
        "2018-11-09T08:33:46.100Z".replace(".100", ".000")
    );
    assert_eq!(recs[2]["canonical"], v6full.to_string());
    // The byte offset points at the value.
    let text = std::fs::read(&log).unwrap();
    let off = recs[0]["offset"].as_u64().unwrap() as usize;
    assert_eq!(&text[off..off + v4.len()], v4.as_bytes());
}

#[test]
fn json_document_gzip_and_directories() {
    let (v4, _, _) = advisory_values();
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(logs.join("sub")).unwrap();
    std::fs::write(
        logs.join("a.json"),
        format!("{{\"ts\":\"2025-01-02T03:04:05Z\",\"src\":\"{v4}\"}}\n"),
    )
    .unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(format!("Jan  2 03:04:05 r1 sshd: from {v4}\n").as_bytes())
        .unwrap();
    std::fs::write(logs.join("sub/b.log.gz"), gz.finish().unwrap()).unwrap();
    std::fs::write(logs.join("skip.txt"), format!("{v4}\n")).unwrap();
    let out = sw(dir.path())
        .args([
            "--format",
            "json",
            "hunt",
            "--exclude",
            "*.txt",
            "--year",
            "2025",
        ])
        .arg(&logs)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let m = v["matches"].as_array().unwrap();
    assert_eq!(m.len(), 2, "{m:#?}");
    assert_eq!(m[0]["time"], "2025-01-02T03:04:05.000Z");
    assert_eq!(m[1]["time_inferred"], true);
    assert_eq!(v["summary"][0]["hits"], 2);
    assert_eq!(v["inputs"].as_array().unwrap().len(), 2);
    for i in v["inputs"].as_array().unwrap() {
        assert_eq!(i["sha256"].as_str().unwrap().len(), 64);
    }
    assert!(v["inputs"][1]["format"]
        .as_str()
        .unwrap()
        .ends_with("+gzip"));
    assert_eq!(v["indicators"]["source"], "the built-in pack (AA25-239A)");
    assert!(
        !v["unsweepable"].as_array().unwrap().is_empty(),
        "file:name and SSDEEP atoms are listed"
    );
}

#[test]
fn bad_inputs_are_reported_and_the_rest_is_swept() {
    let (v4, _, _) = advisory_values();
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.log");
    std::fs::write(&good, format!("x {v4} y\n")).unwrap();
    let garbage = dir.path().join("garbage.bin");
    std::fs::write(
        &garbage,
        (0..4096u32)
            .map(|i| (i * 7919 % 251) as u8)
            .collect::<Vec<u8>>(),
    )
    .unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&format!("a {v4} b\n").repeat(10_000).into_bytes())
        .unwrap();
    let gz = gz.finish().unwrap();
    let trunc = dir.path().join("trunc.log.gz");
    std::fs::write(&trunc, &gz[..gz.len() / 2]).unwrap();
    let long = dir.path().join("long.log");
    std::fs::write(&long, vec![b'a'; 3 << 20]).unwrap();
    let sub = dir.path().join("dir");
    std::fs::create_dir(&sub).unwrap();
    std::os::unix::fs::symlink(dir.path().join("nowhere"), sub.join("dangling.log")).unwrap();
    let out = sw(dir.path())
        .args(["--format", "json", "hunt", "--max-line-bytes", "1048576"])
        .arg(&garbage)
        .arg(&trunc)
        .arg(&long)
        .arg(&sub)
        .arg(dir.path().join("missing.log"))
        .arg(&good)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let errs = v["errors"].as_array().unwrap();
    let named = |f: &str| errs.iter().any(|e| e["file"].as_str().unwrap().contains(f));
    for f in [
        "garbage.bin",
        "trunc.log.gz",
        "long.log",
        "dangling.log",
        "missing.log",
    ] {
        assert!(named(f), "{f} not reported: {errs:#?}");
    }
    // The good file (and the readable half of the gzip) were still swept.
    assert!(v["matches"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["file"].as_str().unwrap().ends_with("good.log")));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("garbage.bin at byte"), "{stderr}");
}

#[test]
fn zeek_logs_with_injected_indicators() {
    let Some(zeek) = shared_data("logs/zeek/trickbot-2018-11-09") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // Indicators taken from the real log: a responder address and a DNS query.
    let conn = std::fs::read_to_string(zeek.join("conn.log")).unwrap();
    let data: Vec<&str> = conn.lines().filter(|l| !l.starts_with('#')).collect();
    let resp = data[0].split('\t').nth(4).unwrap().to_owned();
    let iocs = dir.path().join("iocs.txt");
    std::fs::write(&iocs, format!("{resp}\n203.0.113.77\n")).unwrap();
    let out = sw(dir.path())
        .args(["--format", "jsonl", "hunt", "--iocs"])
        .arg(&iocs)
        .arg(zeek.join("conn.log"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let recs = records(&out.stdout);
    // Recall: every line whose responder or originator field is exactly the address.
    let expected: Vec<u64> = conn
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.starts_with('#') && l.split('\t').any(|f| f == resp))
        .map(|(i, _)| i as u64 + 1)
        .collect();
    let mut got: Vec<u64> = recs.iter().map(|r| r["line"].as_u64().unwrap()).collect();
    got.dedup();
    assert_eq!(
        got, expected,
        "precision and recall 1.0 against exact field equality"
    );
}

#[allow(dead_code)]
fn unused(_: PathBuf) {}

#[test]
fn packet_captures_report_packets() {
    let Some(pcap) = shared_data("pcap/empire.pcap") else {
        return;
    };
    let Some(flows) = shared_data("netflow-csv/empire.nfdump.csv") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // The first flow's source address, from nfdump's CSV of the same capture.
    let csv = std::fs::read_to_string(&flows).unwrap();
    let ip = csv
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .nth(3)
        .unwrap()
        .to_owned();
    let iocs = dir.path().join("iocs.txt");
    std::fs::write(&iocs, format!("{ip}\n")).unwrap();
    let out = sw(dir.path())
        .args(["--format", "json", "hunt", "--iocs"])
        .arg(&iocs)
        .arg(&pcap)
        .arg(&flows)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let m = v["matches"].as_array().unwrap();
    let (pk, fl): (Vec<&Value>, Vec<&Value>) = m.iter().partition(|x| x["packet"].is_u64());
    assert!(!pk.is_empty() && !fl.is_empty());
    assert!(pk
        .iter()
        .all(|x| x["line"].is_null() && x["time"].as_str().unwrap().starts_with("2018-10-09")));
    assert!(fl
        .iter()
        .all(|x| x["packet"].is_null() && x["time"].as_str().unwrap().starts_with("2018-10-09")));
    assert_eq!(pk[0]["packet"], 1);
    assert_eq!(v["inputs"][0]["format"], "pcap");
    // --record writes one sighting per indicator, once.
    for _ in 0..2 {
        sw(dir.path())
            .args(["-q", "hunt", "--record", "--iocs"])
            .arg(&iocs)
            .arg(&flows)
            .assert()
            .code(1);
    }
    let out = sw(dir.path())
        .args(["--format", "json", "export", "--type", "sighting"])
        .output()
        .unwrap();
    let b: Value = serde_json::from_slice(&out.stdout).unwrap();
    let s = b["objects"].as_array().unwrap();
    assert_eq!(s.len(), 1);
    assert!(s[0]["count"].as_u64().unwrap() > 0);
    assert!(s[0]["description"].as_str().unwrap().contains("sha256:"));
    assert_eq!(v["inputs"][1]["format"], "csv");
}

#[test]
fn zstd_inputs_and_truncated_zstd() {
    let (v4, _, _) = advisory_values();
    let dir = tempfile::tempdir().unwrap();
    let text = format!("a\nb {v4} c\n").repeat(1000);
    let z = zstd::encode_all(text.as_bytes(), 3).unwrap();
    let good = dir.path().join("flows.log.zst");
    std::fs::write(&good, &z).unwrap();
    let trunc = dir.path().join("trunc.zst");
    std::fs::write(&trunc, &z[..z.len() / 2]).unwrap();
    let out = sw(dir.path())
        .args(["--format", "json", "hunt"])
        .arg(&good)
        .arg(&trunc)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "the truncated file is an error");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let m: Vec<&Value> = v["matches"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["file"].as_str().unwrap().ends_with("flows.log.zst"))
        .collect();
    assert_eq!(m.len(), 1000);
    assert_eq!(m[0]["line"], 2);
    assert_eq!(m[999]["line"], 2000);
    assert_eq!(m[0]["offset"], 4, "offsets are in the decompressed stream");
    assert_eq!(v["inputs"][0]["format"], "text+zstd");
    assert_eq!(v["inputs"][0]["bytes"], z.len() as u64, "bytes as stored");
    let errs = v["errors"].as_array().unwrap();
    assert!(
        errs.iter()
            .any(|e| e["file"].as_str().unwrap().ends_with("trunc.zst")),
        "{errs:#?}"
    );
}

/// `tail -f log | stormwatch hunt -`: a match is printed while the input is still
/// open, not when a block fills or the input ends.
#[test]
fn live_stdin_reports_lines_as_they_arrive() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let (v4, _, _) = advisory_values();
    let dir = tempfile::tempdir().unwrap();
    let bin = assert_cmd::cargo::cargo_bin("stormwatch");
    let mut child = std::process::Command::new(bin)
        .env_remove("STORMWATCH_DB")
        .arg("--db")
        .arg(dir.path().join("kb.db"))
        .args(["--format", "jsonl", "-q", "hunt", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(format!("Jan  2 03:04:05 r1 sshd: from {v4}\n").as_bytes())
        .unwrap();
    stdin.flush().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("no record while stdin is still open");
    let rec: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(rec["file"], "-");
    assert_eq!(rec["line"], 1);
    assert_eq!(rec["canonical"], v4.as_str());
    drop(stdin);
    assert_eq!(child.wait().unwrap().code(), Some(1));
}

#[test]
fn no_hash_leaves_sha256_null_and_finds_the_same() {
    let (v4, _, _) = advisory_values();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("a.log");
    std::fs::write(&log, format!("x {v4} y\n").repeat(100)).unwrap();
    let run = |extra: &[&str]| -> Value {
        let out = sw(dir.path())
            .args(["--format", "json", "hunt"])
            .args(extra)
            .arg(&log)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let with = run(&[]);
    let without = run(&["--no-hash"]);
    assert_eq!(with["inputs"][0]["sha256"].as_str().unwrap().len(), 64);
    assert!(without["inputs"][0]["sha256"].is_null());
    assert_eq!(without["inputs"][0]["bytes"], with["inputs"][0]["bytes"]);
    assert_eq!(without["matches"], with["matches"]);
}

/// A plain list's values get their indicator ids and patterns only when they hit;
/// they must be exactly the ones `stormwatch import` gives the same list, for every
/// kind, including values whose written form is not the canonical one (defanged,
/// upper-case, an uncompressed IPv6 address, a URL with an upper-case host).
#[test]
fn plain_list_hits_name_the_indicators_import_creates() {
    let dir = tempfile::tempdir().unwrap();
    let sha = "AB".repeat(32);
    let md5 = "cd".repeat(16);
    let list = format!(
        "# a plain list\n198.51.100[.]23\n2001:0DB8:0000:0000:0000:0000:0000:0042\nEvil-Example[.]com\nhxxp://Bad.Example.ORG/path\nops@Exfil.example.net\n{sha}\n{md5}\n203.0.113.0/24\n"
    );
    let iocs = dir.path().join("partner-feed.txt");
    std::fs::write(&iocs, list).unwrap();
    let log = dir.path().join("a.log");
    std::fs::write(
        &log,
        format!(
            "x 198.51.100.23 y\nv6 2001:db8::42\nq evil-example.com A\nGET http://bad.example.org/path\nfrom ops@exfil.example.net\nsha256={} md5={md5}\nnet 203.0.113.9\n",
            sha.to_lowercase()
        ),
    )
    .unwrap();
    let out = sw(dir.path())
        .args(["--format", "jsonl", "hunt", "--no-hash", "--iocs"])
        .arg(&iocs)
        .arg(&log)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let recs = records(&out.stdout);
    // The same list imported: its indicators, by id.
    let st = sw(dir.path()).arg("import").arg(&iocs).output().unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let ex = sw(dir.path())
        .args(["export", "--format", "jsonl", "--type", "indicator"])
        .output()
        .unwrap();
    assert!(ex.status.success());
    let imported: std::collections::BTreeMap<String, String> = records(&ex.stdout)
        .iter()
        .map(|o| {
            (
                o["id"].as_str().unwrap().to_owned(),
                o["pattern"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(imported.len(), 8, "{imported:?}");
    let mut named = std::collections::BTreeSet::new();
    for r in &recs {
        let id = r["indicator"].as_str().unwrap();
        let pattern = imported
            .get(id)
            .unwrap_or_else(|| panic!("hunt names {id}, which import did not create: {r}"));
        assert_eq!(r["atoms"][0].as_str().unwrap(), pattern, "{r}");
        named.insert(id.to_owned());
    }
    // Every line of the log hits (the sha256 line twice: two hashes).
    assert_eq!(named.len(), 8, "{recs:?}");
}

#[test]
fn many_files_and_a_big_one_come_out_in_walk_order() {
    // 150 small files (swept several at once) around one file over 8 MiB (swept in
    // chunks by all cores): records in walk order, lines exact, every file hashed.
    let (v4, _, _) = advisory_values();
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let mut want = Vec::new();
    for i in 0..150 {
        let name = format!("f{i:03}.log");
        let mut text = String::new();
        let lines = if i == 75 { 200_000 } else { 1 + i % 7 };
        for l in 1..=lines {
            if l % 4 == 1 {
                text.push_str(&format!("{l} conn from {v4} port 443 padding padding\n"));
                want.push((name.clone(), l as u64));
            } else {
                text.push_str(&format!(
                    "{l} conn from 10.0.0.1 port 443 padding padding\n"
                ));
            }
        }
        std::fs::write(logs.join(&name), text).unwrap();
    }
    assert!(std::fs::metadata(logs.join("f075.log")).unwrap().len() > 8 << 20);
    let out = sw(dir.path())
        .args(["--format", "json", "hunt"])
        .arg(&logs)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut got: Vec<(String, u64)> = v["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let f = m["file"].as_str().unwrap();
            let name = Path::new(f)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (name, m["line"].as_u64().unwrap())
        })
        .collect();
    // One record per indicator of the value: one position per hit.
    got.dedup();
    assert_eq!(got.len(), want.len());
    assert!(got == want, "records out of walk order");
    let inputs = v["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), 150);
    for i in inputs {
        assert_eq!(i["sha256"].as_str().unwrap().len(), 64);
    }
}
