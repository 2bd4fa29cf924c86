//! The sweep driver: line numbers and offsets stay exact across block boundaries,
//! whatever the block size, and records come out in input order.

use stormwatch_hunt::iocs::{Ioc, IocSet, Source};
use stormwatch_hunt::sweep::{sweep, sweep_file, Match, Options};

fn set() -> IocSet {
    let mut s = IocSet::default();
    for (i, ip) in ["192.0.2.1", "198.51.100.7"].iter().enumerate() {
        let a: std::net::Ipv4Addr = ip.parse().unwrap();
        s.add(
            Ioc::Ipv4(u32::from(a)),
            Source::stix(&format!("indicator--{i}"), ip, ip, true),
        );
    }
    s
}

fn run(text: &str, block: usize) -> Vec<Match> {
    let mut out = Vec::new();
    let opts = Options {
        block,
        ..Default::default()
    };
    let rep = sweep(&set(), "t.log", text.as_bytes(), &opts, &mut |m: &Match| {
        out.push(m.clone());
        Ok(())
    })
    .unwrap();
    assert!(rep.error.is_none(), "{:?}", rep.error);
    assert_eq!(rep.bytes, text.len() as u64);
    out
}

#[test]
fn lines_and_offsets_across_blocks() {
    let mut text = String::new();
    let mut expect = Vec::new();
    for i in 0..5000 {
        let line = match i % 97 {
            0 => format!("{i} from 192.0.2.1 ok"),
            5 => format!("{i} to 198.51.100.7:80 and 192.0.2.1"),
            7 => format!("{i} near 192.0.2.10 198.51.100.70"),
            _ => format!("{i} nothing to see at 10.1.2.3 here"),
        };
        let start = text.len();
        if i % 97 == 0 {
            expect.push((i as u64 + 1, start + line.find("192").unwrap()));
        }
        if i % 97 == 5 {
            expect.push((i as u64 + 1, start + line.find("198").unwrap()));
            expect.push((i as u64 + 1, start + line.find("192").unwrap()));
        }
        text.push_str(&line);
        text.push('\n');
    }
    for block in [64, 1000, 4096, 1 << 20] {
        let got: Vec<(u64, usize)> = run(&text, block)
            .iter()
            .map(|m| (m.line.unwrap(), m.offset as usize))
            .collect();
        assert_eq!(got, expect, "block {block}");
    }
}

#[test]
fn last_line_without_newline() {
    let m = run("a\nb 192.0.2.1", 4);
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].line, Some(2));
    assert_eq!(m[0].offset, 4);
}

/// What a record says, for comparing two sweeps of the same bytes.
fn key(m: &Match) -> (Option<u64>, u64, String, String, Option<String>) {
    (
        m.line,
        m.offset,
        m.value.clone(),
        m.indicator.clone(),
        m.time.clone(),
    )
}

type Swept = (
    Vec<(Option<u64>, u64, String, String, Option<String>)>,
    stormwatch_hunt::sweep::InputReport,
);

fn stream_sweep(set: &IocSet, bytes: &[u8], opts: &Options) -> Swept {
    let mut out = Vec::new();
    let rep = sweep(set, "f", bytes, opts, &mut |m: &Match| {
        out.push(key(m));
        Ok(())
    })
    .unwrap();
    (out, rep)
}

fn file_sweep(set: &IocSet, path: &std::path::Path, opts: &Options) -> Swept {
    let mut out = Vec::new();
    let f = std::fs::File::open(path).unwrap();
    let seen = std::sync::atomic::AtomicU64::new(0);
    let rep = sweep_file(
        set,
        "f",
        &f,
        opts,
        &mut |m: &Match| {
            out.push(key(m));
            Ok(())
        },
        &|n| {
            seen.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
        },
    )
    .unwrap();
    let len = std::fs::metadata(path).unwrap().len();
    if rep.error.is_none() {
        assert_eq!(seen.into_inner(), len, "progress counts every byte once");
    } else {
        assert!(seen.into_inner() <= len, "progress counts no byte twice");
    }
    (out, rep)
}

/// Every chunk size gives the stream's records, report, hash and error.
fn assert_file_agrees(set: &IocSet, bytes: &[u8], opts: Options, chunks: &[usize]) -> Swept {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    std::fs::write(&path, bytes).unwrap();
    let want = stream_sweep(set, bytes, &opts);
    for &chunk in chunks {
        let got = file_sweep(set, &path, &Options { chunk, ..opts });
        assert_eq!(got.0, want.0, "records, chunk {chunk}");
        let (g, w) = (&got.1, &want.1);
        if w.error.is_none() || w.sha256.is_empty() {
            assert_eq!(
                (&g.sha256, g.bytes, &g.format, g.matches),
                (&w.sha256, w.bytes, &w.format, w.matches),
                "report, chunk {chunk}"
            );
        } else {
            // A stream that stopped early hashes what was read; a regular file is
            // hashed whole, so that its SHA-256 is `sha256sum`'s.
            use sha2::Digest;
            let whole = stormwatch_hunt::iocs::hex_lower(&sha2::Sha256::digest(bytes));
            assert_eq!(
                (&g.sha256, g.bytes, &g.format, g.matches),
                (&whole, bytes.len() as u64, &w.format, w.matches),
                "report, chunk {chunk}"
            );
        }
        assert_eq!(
            g.error.as_ref().map(|e| (e.position, &e.error)),
            w.error.as_ref().map(|e| (e.position, &e.error)),
            "error, chunk {chunk}"
        );
    }
    want
}

#[test]
fn file_chunks_agree_with_the_stream() {
    // Short and long lines, empty lines, a last line without a newline; chunk
    // sizes that split lines, tokens and CRLF pairs everywhere.
    let mut text = String::new();
    for i in 0..3000 {
        match i % 13 {
            0 => text.push_str(&format!("{i} from 192.0.2.1 ok\n")),
            3 => text.push('\n'),
            5 => text.push_str(&format!("{i} {} 198.51.100.7:80\r\n", "x".repeat(i % 700))),
            8 => text.push_str(&format!(
                "{i} near 192.0.2.10 1.198.51.100.7 198.51.100.70\n"
            )),
            _ => text.push_str(&format!("{i} nothing at 10.1.2.3\n")),
        }
    }
    text.push_str("tail 192.0.2.1");
    let want = assert_file_agrees(
        &set(),
        text.as_bytes(),
        Options::default(),
        &[1, 2, 3, 17, 64, 1000, 4096, 1 << 20],
    );
    assert!(want.0.len() > 400, "{} records", want.0.len());
    let hashless = Options {
        hash: false,
        ..Default::default()
    };
    assert_file_agrees(&set(), text.as_bytes(), hashless, &[7, 1 << 20]);
    // The empty file.
    assert_file_agrees(&set(), b"", Options::default(), &[1, 1 << 20]);
}

#[test]
fn file_long_lines_and_binary_agree_with_the_stream() {
    // A line longer than the limit ends the sweep at its start; hits before stand.
    let mut text = String::new();
    for i in 0..200 {
        text.push_str(&format!("{i} 192.0.2.1\n"));
    }
    let long_at = text.len();
    text.push_str(&"y".repeat(5000));
    text.push_str(" 192.0.2.1\nafter 192.0.2.1\n");
    let opts = Options {
        max_line: 1000,
        block: 1000,
        ..Default::default()
    };
    let want = assert_file_agrees(&set(), text.as_bytes(), opts, &[1, 64, 999, 4096]);
    assert_eq!(want.0.len(), 200);
    assert_eq!(
        want.1.error.as_ref().map(|e| e.position),
        Some(long_at as u64)
    );
    // A NUL byte in the first block: binary, nothing swept, nothing matched.
    let mut bin = b"192.0.2.1 text then\n".to_vec();
    bin.extend_from_slice(&[0, 1, 2, 3]);
    bin.extend_from_slice(b" 192.0.2.1\n");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bin");
    std::fs::write(&path, &bin).unwrap();
    let (recs, rep) = file_sweep(&set(), &path, &Options::default());
    assert!(recs.is_empty());
    assert_eq!(rep.format, "binary");
    assert_eq!(rep.error.as_ref().map(|e| e.position), Some(20));
    // The hash is of the whole file, for evidence handling.
    use sha2::Digest;
    assert_eq!(
        rep.sha256,
        stormwatch_hunt::iocs::hex_lower(&sha2::Sha256::digest(&bin))
    );
}

#[test]
fn file_chunks_agree_with_the_stream_on_real_logs() {
    let Some(dir) = stormwatch_testkit::shared_data("logs/zeek/trickbot-2018-11-09") else {
        return;
    };
    // Every distinct address of the logs' id.orig_h/id.resp_h columns and every
    // query name is an indicator: hits on most lines.
    let mut bytes = Vec::new();
    for name in ["conn.log", "dns.log", "http.log", "ssl.log"] {
        bytes.extend(std::fs::read(dir.join(name)).unwrap());
    }
    let mut s = IocSet::default();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let mut n = 0;
    let mut seen = std::collections::HashSet::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        for (k, field) in line.split('\t').enumerate() {
            if k == 2 || k == 4 {
                let Ok(a) = field.parse::<std::net::Ipv4Addr>() else {
                    continue;
                };
                if seen.insert(a) {
                    s.add(
                        Ioc::Ipv4(u32::from(a)),
                        Source::stix(&format!("indicator--{n}"), field, field, true),
                    );
                    n += 1;
                }
            }
        }
    }
    for (i, d) in ["www.google.com", "api.ipify.org", "ipinfo.io"]
        .iter()
        .enumerate()
    {
        s.add(
            Ioc::Domain {
                name: d.to_string(),
                subdomains: false,
            },
            Source::stix(&format!("indicator--d{i}"), d, d, true),
        );
    }
    let want = assert_file_agrees(&s, &bytes, Options::default(), &[4093, 65536, 1 << 20]);
    assert!(want.0.len() > 1000, "{} records", want.0.len());
    assert_eq!(want.1.format, "zeek-tsv");
}

#[test]
fn one_value_under_many_indicators() {
    // 20,000 indicators for one address: one record each, in list order (and the
    // grouping is a map lookup, not a search of the records so far).
    let mut s = IocSet::default();
    for i in 0..20_000 {
        s.add(
            Ioc::Ipv4(0xC000_0201),
            Source::stix(
                &format!("indicator--{i:05}"),
                "192.0.2.1",
                "192.0.2.1",
                true,
            ),
        );
    }
    let (recs, rep) = stream_sweep(&s, b"x 192.0.2.1 y\n", &Options::default());
    assert_eq!(rep.matches, 20_000);
    let ids: Vec<&str> = recs.iter().map(|r| r.3.as_str()).collect();
    let want: Vec<String> = (0..20_000).map(|i| format!("indicator--{i:05}")).collect();
    assert_eq!(ids, want);
}
