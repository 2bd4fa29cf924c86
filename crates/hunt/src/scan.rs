//! The hot path: tokenize bytes, classify each token by its shape, look it up exactly.
//!
//! Substring matchers report `1.2.3.4` inside `11.2.3.45`; this one cannot, because
//! it only ever looks up whole tokens (maximal runs of letters, digits, `.`, `:`, `-`,
//! `_` and `@`), and a hash only as a whole run of hex digits. One pass over the
//! bytes with a class table; a token is examined only when its shape can be an
//! indicator (most words are rejected on the class mask alone), and nothing is
//! allocated per line.

use crate::iocs::{Ioc, IocSet};

const SEP: u8 = 0;
const DIGIT: u8 = 1;
const HEXL: u8 = 2;
const ALPHA: u8 = 4;
const DOT: u8 = 8;
const COLON: u8 = 16;
const DASH: u8 = 32;
const AT: u8 = 64;

static CLASS: [u8; 256] = {
    let mut t = [SEP; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = match b {
            b'0'..=b'9' => DIGIT,
            b'a'..=b'f' | b'A'..=b'F' => HEXL,
            b'g'..=b'z' | b'G'..=b'Z' => ALPHA,
            b'.' => DOT,
            b':' => COLON,
            b'-' | b'_' => DASH,
            b'@' => AT,
            _ => SEP,
        };
        c += 1;
    }
    t
};

/// One match in a buffer: byte range of the value as seen, the observed value in
/// canonical form, and the indicator sources it hit.
#[derive(Debug, Clone)]
pub struct Hit {
    pub start: usize,
    pub end: usize,
    pub observed: Ioc,
    pub sources: Vec<u32>,
}

/// Scans buffers against one indicator set.
pub struct Scanner<'a> {
    set: &'a IocSet,
    v4: bool,
    v6: bool,
    dom: bool,
    email: bool,
    url: bool,
    hash: bool,
    url_finder: memchr::memmem::Finder<'static>,
}

fn parse_v4(b: &[u8]) -> Option<u32> {
    let mut out = 0u32;
    let mut parts = 0;
    let mut cur = 0u32;
    let mut digits = 0;
    for &c in b {
        if c == b'.' {
            if digits == 0 || parts == 3 {
                return None;
            }
            out = (out << 8) | cur;
            parts += 1;
            cur = 0;
            digits = 0;
        } else {
            let d = u32::from(c.wrapping_sub(b'0'));
            if d > 9 || (digits == 1 && cur == 0) {
                return None; // not a digit, or a leading zero ("01")
            }
            cur = cur * 10 + d;
            digits += 1;
            if cur > 255 {
                return None;
            }
        }
    }
    (parts == 3 && digits > 0).then_some((out << 8) | cur)
}

fn hex_val(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => c.wrapping_sub(b'A').wrapping_add(10),
    }
}

impl<'a> Scanner<'a> {
    pub fn new(set: &'a IocSet) -> Scanner<'a> {
        Scanner {
            set,
            v4: set.has_ipv4(),
            v6: set.has_ipv6(),
            dom: set.has_domains(),
            email: set.has_emails(),
            url: set.has_urls(),
            hash: [16, 20, 32, 64].iter().any(|&n| set.wants_hash_len(n)),
            url_finder: memchr::memmem::Finder::new(b"://"),
        }
    }

    /// Scans `buf`, calling `f` for every hit in order of position.
    pub fn scan(&self, buf: &[u8], f: &mut dyn FnMut(Hit)) {
        let mut scratch = Scratch::default();
        let mut i = 0;
        let n = buf.len();
        let mut hits: Vec<Hit> = Vec::new();
        while i < n {
            while i < n && CLASS[buf[i] as usize] == SEP {
                i += 1;
            }
            let start = i;
            let mut mask = 0u8;
            while i < n {
                let c = CLASS[buf[i] as usize];
                if c == SEP {
                    break;
                }
                mask |= c;
                i += 1;
            }
            if i > start {
                self.token(buf, start, i, mask, &mut scratch, &mut hits);
            }
        }
        if self.url {
            self.urls(buf, &mut hits);
            hits.sort_by_key(|h| h.start);
        }
        for h in hits {
            f(h);
        }
    }

    fn push(
        &self,
        hits: &mut Vec<Hit>,
        start: usize,
        end: usize,
        observed: Ioc,
        scratch: &mut Scratch,
    ) {
        if scratch.ids.is_empty() {
            return;
        }
        if self.set.allowed(&observed) {
            scratch.ids.clear();
            return;
        }
        let mut sources = std::mem::take(&mut scratch.ids);
        sources.sort_unstable();
        sources.dedup();
        hits.push(Hit {
            start,
            end,
            observed,
            sources,
        });
    }

    fn token(
        &self,
        buf: &[u8],
        s: usize,
        e: usize,
        mask: u8,
        sc: &mut Scratch,
        hits: &mut Vec<Hit>,
    ) {
        let len = e - s;
        if mask & (DOT | COLON | AT) == 0 {
            if self.hash && len >= 32 {
                self.hashes(buf, s, e, sc, hits);
            }
            return;
        }
        if mask & AT != 0 {
            if self.email || self.dom {
                let (ts, te) = trim(buf, s, e);
                let t = &buf[ts..te];
                if let Some(at) = t.iter().position(|&b| b == b'@') {
                    if self.email {
                        sc.lower(t);
                        self.set.lookup_email(&sc.text, &mut sc.ids);
                        let obs = Ioc::Email(sc.text.clone());
                        self.push(hits, ts, te, obs, sc);
                    }
                    if self.dom && at + 1 < t.len() {
                        self.domain(buf, ts + at + 1, te, sc, hits);
                    }
                }
            }
            return;
        }
        if mask & COLON != 0 {
            // IPv6 (any spelling std accepts), else pieces split at ':' (1.2.3.4:443, host:80).
            if self.v6 && mask & (ALPHA | DASH) == 0 && (2..=45).contains(&len) {
                if let Ok(t) = std::str::from_utf8(&buf[s..e]) {
                    if let Ok(a) = t.parse::<std::net::Ipv6Addr>() {
                        let a = u128::from(a);
                        self.set.lookup_v6(a, &mut sc.ids);
                        self.push(hits, s, e, Ioc::Ipv6(a), sc);
                        return;
                    }
                }
            }
            if mask & DOT != 0 || (self.hash && len >= 32) {
                let mut p = s;
                while p < e {
                    let q = buf[p..e]
                        .iter()
                        .position(|&b| b == b':')
                        .map_or(e, |x| p + x);
                    if q > p {
                        let m = buf[p..q].iter().fold(0, |m, &b| m | CLASS[b as usize]);
                        if m & COLON == 0 {
                            self.token(buf, p, q, m, sc, hits);
                        }
                    }
                    p = q + 1;
                }
            }
            return;
        }
        // Dotted tokens: IPv4, domain names, hashes with an extension.
        let (ts, te) = trim(buf, s, e);
        if te <= ts {
            return;
        }
        if mask & (HEXL | ALPHA | DASH) == 0 {
            if self.v4 {
                if let Some(a) = parse_v4(&buf[ts..te]) {
                    self.set.lookup_v4(a, &mut sc.ids);
                    self.push(hits, ts, te, Ioc::Ipv4(a), sc);
                }
            }
            return;
        }
        if self.dom {
            self.domain(buf, ts, te, sc, hits);
        }
        if self.hash && len >= 32 {
            self.hashes(buf, s, e, sc, hits);
        }
    }

    fn domain(&self, buf: &[u8], s: usize, e: usize, sc: &mut Scratch, hits: &mut Vec<Hit>) {
        let (s, e) = trim(buf, s, e);
        if e <= s {
            return;
        }
        sc.lower(&buf[s..e]);
        self.set.lookup_domain(&sc.text, &mut sc.ids);
        if !sc.ids.is_empty() {
            let obs = Ioc::Domain {
                name: sc.text.clone(),
                subdomains: false,
            };
            self.push(hits, s, e, obs, sc);
        }
    }

    fn hashes(&self, buf: &[u8], s: usize, e: usize, sc: &mut Scratch, hits: &mut Vec<Hit>) {
        let mut i = s;
        while i < e {
            while i < e && CLASS[buf[i] as usize] & (DIGIT | HEXL) == 0 {
                i += 1;
            }
            let rs = i;
            while i < e && CLASS[buf[i] as usize] & (DIGIT | HEXL) != 0 {
                i += 1;
            }
            let rl = i - rs;
            if matches!(rl, 32 | 40 | 64 | 128) && self.set.wants_hash_len(rl / 2) {
                sc.bytes.clear();
                sc.bytes.extend(
                    buf[rs..i]
                        .chunks_exact(2)
                        .map(|p| (hex_val(p[0]) << 4) | hex_val(p[1])),
                );
                self.set.lookup_hash(&sc.bytes, &mut sc.ids);
                if !sc.ids.is_empty() {
                    let obs = Ioc::Hash(sc.bytes.clone());
                    self.push(hits, rs, i, obs, sc);
                }
            }
        }
    }

    fn urls(&self, buf: &[u8], hits: &mut Vec<Hit>) {
        let mut sc = Scratch::default();
        for pos in self.url_finder.find_iter(buf) {
            let mut s = pos;
            while s > 0 && buf[s - 1].is_ascii_alphabetic() {
                s -= 1;
            }
            if s == pos {
                continue;
            }
            let mut e = pos + 3;
            while e < buf.len()
                && !matches!(
                    buf[e],
                    b' ' | b'\t' | b'\n' | b'\r' | b'"' | b'\'' | b'<' | b'>' | b'`'
                )
            {
                e += 1;
            }
            while e > pos + 3 && matches!(buf[e - 1], b'.' | b',' | b')' | b';') {
                e -= 1;
            }
            let Ok(u) = std::str::from_utf8(&buf[s..e]) else {
                continue;
            };
            let canon = canonical_url(u);
            self.set.lookup_url(&canon, &mut sc.ids);
            self.push(hits, s, e, Ioc::Url(canon), &mut sc);
        }
    }
}

/// Lower-cases a URL's scheme and host and drops a trailing `/` of an empty path.
pub fn canonical_url(u: &str) -> String {
    let Some((scheme, rest)) = u.split_once("://") else {
        return u.to_owned();
    };
    let cut = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (host, path) = rest.split_at(cut);
    let host = host.to_ascii_lowercase();
    let host = host.trim_end_matches('.');
    let path = if path == "/" { "" } else { path };
    format!("{}://{host}{path}", scheme.to_ascii_lowercase())
}

/// Trims dots, dashes, underscores and colons at both ends.
fn trim(buf: &[u8], mut s: usize, mut e: usize) -> (usize, usize) {
    while s < e && matches!(buf[s], b'.' | b'-' | b'_' | b':') {
        s += 1;
    }
    while e > s && matches!(buf[e - 1], b'.' | b'-' | b'_' | b':') {
        e -= 1;
    }
    (s, e)
}

#[derive(Default)]
struct Scratch {
    text: String,
    bytes: Vec<u8>,
    ids: Vec<u32>,
}

impl Scratch {
    fn lower(&mut self, b: &[u8]) {
        self.text.clear();
        self.text
            .extend(b.iter().map(|c| c.to_ascii_lowercase() as char));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iocs::Source;

    fn set(iocs: Vec<Ioc>) -> IocSet {
        let mut s = IocSet::default();
        for i in iocs {
            let v = i.canonical();
            s.add(
                i,
                Source {
                    indicator: v.clone(),
                    value: v.clone(),
                    atom: v,
                    whole: true,
                    valid_from: None,
                    valid_until: None,
                },
            );
        }
        s
    }

    fn found(s: &IocSet, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        Scanner::new(s).scan(text.as_bytes(), &mut |h| {
            out.push(text[h.start..h.end].to_owned())
        });
        out
    }

    #[test]
    fn ipv4_boundaries() {
        let s = set(vec![Ioc::Ipv4(0x0102_0304)]);
        assert_eq!(found(&s, "x 1.2.3.4 y"), vec!["1.2.3.4"]);
        assert_eq!(found(&s, "src=1.2.3.4:443,"), vec!["1.2.3.4"]);
        assert_eq!(found(&s, "end 1.2.3.4."), vec!["1.2.3.4"]);
        assert_eq!(found(&s, "\t1.2.3.4\t"), vec!["1.2.3.4"]);
        for near in [
            "11.2.3.4",
            "1.2.3.45",
            "11.2.3.45",
            "1.2.3.4.5",
            "01.2.3.4",
            "a1.2.3.4",
            "1.2.3.4a",
        ] {
            assert!(found(&s, near).is_empty(), "{near}");
        }
    }

    #[test]
    fn ipv6_spellings() {
        let a: std::net::Ipv6Addr = "2001:db8::1".parse().unwrap();
        let s = set(vec![Ioc::Ipv6(u128::from(a))]);
        for sp in [
            "2001:db8::1",
            "2001:DB8::1",
            "2001:0db8:0000:0000:0000:0000:0000:0001",
            "2001:db8:0:0:0:0:0:1",
        ] {
            assert_eq!(found(&s, &format!("a {sp} b")).len(), 1, "{sp}");
        }
        assert!(found(&s, "2001:db8::11").is_empty());
    }

    #[test]
    fn hashes_need_whole_runs() {
        let h = vec![0xab; 32];
        let s = set(vec![Ioc::Hash(h)]);
        let hex = "ab".repeat(32);
        assert_eq!(
            found(&s, &format!("sha256={}", hex.to_uppercase())).len(),
            1
        );
        assert_eq!(found(&s, &format!("x {hex}.bin")).len(), 1);
        assert!(found(&s, &format!("{hex}a")).is_empty(), "longer hex run");
        assert!(found(&s, &format!("a{hex}")).is_empty());
        assert!(found(&s, &hex[..62]).is_empty());
    }

    #[test]
    fn domains_urls_emails() {
        let s = set(vec![
            Ioc::Domain {
                name: "evil.com".into(),
                subdomains: false,
            },
            Ioc::Domain {
                name: "bad.org".into(),
                subdomains: true,
            },
            Ioc::Url("http://evil.com/x".into()),
            Ioc::Email("a@evil.com".into()),
        ]);
        assert_eq!(found(&s, "query EVIL.COM. A"), vec!["EVIL.COM"]);
        assert!(found(&s, "notevil.com evil.com.au").is_empty());
        assert_eq!(found(&s, "x.y.bad.org"), vec!["x.y.bad.org"]);
        assert!(found(&s, "bad.org").is_empty());
        assert_eq!(
            found(&s, "GET HTTP://Evil.com/x ok"),
            vec!["HTTP://Evil.com/x", "Evil.com"]
        );
        assert_eq!(
            found(&s, "from <A@Evil.com>"),
            vec!["A@Evil.com", "Evil.com"]
        );
    }
}
