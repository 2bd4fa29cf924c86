//! Differential check of the windowed scanner against the plain tokenizer, for the
//! `hunt_scanner` fuzz target and the tests. Not part of the API: compiled only for
//! tests and with the `fuzzing` feature.

use super::{parse_v4, Scanner, CLASS, SEP};
use crate::iocs::{Ioc, IocSet, Source};

/// One hit, comparable: position, canonical value, sources, line.
type Seen = (usize, usize, String, Vec<u32>, u64);

/// Splits `data` into an indicator-set description and a text, builds the set
/// ([`set_from`]) and checks the scanner on the text ([`compare`]). The first byte
/// says how many of the following bytes describe the set. Panics on a difference.
pub fn check(data: &[u8]) {
    let Some((&k, rest)) = data.split_first() else {
        return;
    };
    let (spec, text) = rest.split_at(usize::from(k).min(rest.len()));
    compare(&set_from(spec, text), text);
}

/// Builds a small set from `spec`, a sequence of records: a byte `op` (its low 3
/// bits the kind) and the bytes the kind takes. Kinds: 0 IPv4 (4 bytes), 1 IPv6
/// (up to 16 bytes, zeros after), 2 and 3 a domain without and with subdomains and
/// 5 an e-mail address (`op >> 3 & 15` + 1 bytes mapped to name characters), 4 a
/// hash (16, 20, 32 or 64 bytes), 6 a value taken from a token of `text` (the next
/// byte picks it), so that the set has values the text holds, 7 an IPv4 network (4
/// bytes and a prefix byte).
pub fn set_from(spec: &[u8], text: &[u8]) -> IocSet {
    let mut set = IocSet::default();
    let tokens: Vec<&[u8]> = text
        .split(|&b| CLASS[usize::from(b)] == SEP)
        .filter(|t| !t.is_empty())
        .collect();
    let mut i = 0;
    while i < spec.len() {
        let op = spec[i];
        i += 1;
        let mut take = |n: usize| {
            let part = &spec[i.min(spec.len())..(i + n).min(spec.len())];
            i += n;
            part
        };
        let name = |b: &[u8]| -> String {
            const ALPHABET: &[u8; 8] = b"ab0-z.9x";
            let s: String = b
                .iter()
                .map(|&c| char::from(ALPHABET[usize::from(c % 8)]))
                .collect();
            s.trim_matches(['.', '-']).to_owned()
        };
        let ioc = match op % 8 {
            0 => Some(Ioc::Ipv4(be_bytes(take(4)) as u32)),
            1 => Some(Ioc::Ipv6(be_bytes(take(16)))),
            k @ (2 | 3) => {
                let n = name(take(usize::from(op >> 3 & 15) + 1));
                (!n.is_empty()).then_some(Ioc::Domain {
                    name: n,
                    subdomains: k == 3,
                })
            }
            4 => {
                let len = [16, 20, 32, 64][usize::from(op >> 3 & 3)];
                let h = take(len);
                (h.len() == len).then(|| Ioc::Hash(h.to_vec()))
            }
            5 => {
                let n = name(take(usize::from(op >> 3 & 15) + 1));
                Some(Ioc::Email(format!("{n}@{n}")))
            }
            6 => {
                let pick = usize::from(take(1).first().copied().unwrap_or(0));
                if tokens.is_empty() {
                    None
                } else {
                    from_token(tokens[pick % tokens.len()], op)
                }
            }
            _ => {
                let addr = be_bytes(take(4)) as u32;
                let prefix = take(1).first().copied().unwrap_or(32) % 33;
                Some(Ioc::Ipv4Net { addr, prefix })
            }
        };
        if let Some(ioc) = ioc {
            let v = ioc.canonical();
            set.add(ioc, Source::stix(&v, &v, &v, true));
        }
    }
    set
}

/// The big-endian value of up to 16 bytes (missing ones zero).
fn be_bytes(b: &[u8]) -> u128 {
    let mut a = [0u8; 16];
    a[..b.len()].copy_from_slice(b);
    u128::from_be_bytes(a) >> (8 * (16 - b.len().max(1)))
}

/// An indicator the token (or, with bit 3 of `op`, its last `:`-separated piece)
/// would match: an address, a hash, an e-mail address or a domain (with bit 4, a
/// parent for subdomains).
fn from_token(tok: &[u8], op: u8) -> Option<Ioc> {
    let tok = if op & 8 != 0 {
        tok.rsplit(|&b| b == b':').next().unwrap_or(tok)
    } else {
        tok
    };
    let t = std::str::from_utf8(tok).ok()?;
    let t = t.trim_matches(['.', '-', '_', ':']);
    if let Some(a) = parse_v4(t.as_bytes()) {
        return Some(Ioc::Ipv4(a));
    }
    if let Ok(a) = t.parse::<std::net::Ipv6Addr>() {
        return Some(Ioc::Ipv6(u128::from(a)));
    }
    let hex: String = t.chars().take_while(char::is_ascii_hexdigit).collect();
    if matches!(hex.len(), 32 | 40 | 64 | 128) {
        let bytes = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or(0))
            .collect();
        return Some(Ioc::Hash(bytes));
    }
    let lower = t.to_ascii_lowercase();
    if lower.contains('@') {
        return Some(Ioc::Email(lower));
    }
    if op & 16 != 0 {
        let parent = lower.split_once('.').map_or(lower.as_str(), |(_, p)| p);
        return Some(Ioc::Domain {
            name: parent.to_owned(),
            subdomains: true,
        });
    }
    (!lower.is_empty()).then_some(Ioc::Domain {
        name: lower,
        subdomains: false,
    })
}

/// Checks that [`Scanner::scan`] (AVX2 where the CPU has it, and the SSE2 path)
/// reports exactly the hits of the plain tokenizer, with the same lines, and counts
/// the newlines. Panics on a difference.
pub fn compare(set: &IocSet, text: &[u8]) {
    let sc = Scanner::new(set);
    let collect = |out: &mut Vec<Seen>, h: super::Hit| {
        out.push((
            h.start,
            h.end,
            h.observed.canonical(),
            h.sources,
            h.newlines,
        ))
    };
    let (mut fast, mut portable, mut reference) = (Vec::new(), Vec::new(), Vec::new());
    let n_fast = sc.scan(text, &mut |h| collect(&mut fast, h));
    let n_portable = sc.scan_portable(text, &mut |h| collect(&mut portable, h));
    sc.scan_reference(text, &mut |h| collect(&mut reference, h));
    let lines = memchr::memchr_iter(b'\n', text).count() as u64;
    let shown = || String::from_utf8_lossy(text).into_owned();
    assert_eq!(fast, reference, "scan vs reference on {:?}", shown());
    assert_eq!(
        portable,
        reference,
        "SSE2 scan vs reference on {:?}",
        shown()
    );
    assert_eq!((n_fast, n_portable), (lines, lines), "newlines");
}
