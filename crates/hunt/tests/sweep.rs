//! The sweep driver: line numbers and offsets stay exact across block boundaries,
//! whatever the block size, and records come out in input order.

use stormwatch_hunt::iocs::{Ioc, IocSet, Source};
use stormwatch_hunt::sweep::{sweep, Match, Options};

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
