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
    /// The CPU has AVX2 (x86_64 only).
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    avx2: bool,
}

fn parse_v4(b: &[u8]) -> Option<u32> {
    if !(7..=15).contains(&b.len()) {
        return None;
    }
    let digit = |i: usize| -> Option<u32> {
        let d = b.get(i)?.wrapping_sub(b'0');
        (d <= 9).then_some(u32::from(d))
    };
    let mut i = 0;
    let mut out = 0u32;
    for part in 0..4 {
        let mut v = digit(i)?;
        i += 1;
        if let Some(d) = digit(i) {
            if v == 0 {
                return None; // a leading zero ("01")
            }
            v = v * 10 + d;
            i += 1;
            if let Some(d) = digit(i) {
                v = v * 10 + d;
                i += 1;
                if v > 255 {
                    return None;
                }
            }
        }
        out = (out << 8) | v;
        if part < 3 {
            if b.get(i) != Some(&b'.') {
                return None;
            }
            i += 1;
        }
    }
    (i == b.len()).then_some(out)
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
            #[cfg(target_arch = "x86_64")]
            avx2: std::arch::is_x86_feature_detected!("avx2"),
            #[cfg(not(target_arch = "x86_64"))]
            avx2: false,
        }
    }

    /// Scans `buf`, calling `f` for every hit in order of position.
    ///
    /// Only tokens that can hold an indicator are looked at: those with a `.`, `:` or
    /// `@` (addresses, names, e-mail) and, when hashes are wanted, those holding a run
    /// of hex digits long enough for one. The buffer is classified 64 bytes at a time
    /// into bit masks ([`Masks`]); a candidate token's bounds and character classes
    /// come from the masks, so bytes are visited one by one only for tokens that
    /// straddle a window edge.
    pub fn scan(&self, buf: &[u8], f: &mut dyn FnMut(Hit)) {
        let mut sc = Scratch::default();
        let mut hits: Vec<Hit> = Vec::new();
        let need_spec = self.v4 || self.v6 || self.dom || self.email;
        if need_spec || self.hash {
            #[cfg(target_arch = "x86_64")]
            if self.avx2 {
                // SAFETY: the CPU has AVX2 (checked at run time in `Scanner::new`).
                unsafe { self.scan_windows_avx2(buf, need_spec, &mut sc, &mut hits) };
            } else {
                self.scan_windows::<false>(buf, need_spec, &mut sc, &mut hits);
            }
            #[cfg(not(target_arch = "x86_64"))]
            self.scan_windows::<false>(buf, need_spec, &mut sc, &mut hits);
        }
        if self.url {
            self.urls(buf, &mut hits);
            hits.sort_by_key(|h| h.start);
        }
        for h in hits {
            f(h);
        }
    }

    /// [`Scanner::scan_windows`] compiled for AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn scan_windows_avx2(
        &self,
        buf: &[u8],
        spec: bool,
        sc: &mut Scratch,
        hits: &mut Vec<Hit>,
    ) {
        self.scan_windows::<true>(buf, spec, sc, hits)
    }

    #[inline(always)]
    fn scan_windows<const AVX2: bool>(
        &self,
        buf: &[u8],
        spec: bool,
        sc: &mut Scratch,
        hits: &mut Vec<Hit>,
    ) {
        let n = buf.len();
        // Bytes before `done` belong to tokens already examined.
        let mut done = 0usize;
        let mut w = 0usize;
        while w < n {
            let m = if w + 64 <= n {
                Masks::of::<AVX2>(&buf[w..w + 64])
            } else {
                let mut pad = [0u8; 64];
                pad[..n - w].copy_from_slice(&buf[w..]);
                Masks::of::<AVX2>(&pad)
            };
            let mut cand = 0u64;
            if spec {
                cand |= m.spec;
            }
            if self.hash {
                cand |= m.hex16;
            }
            if done > w {
                cand &= low_cleared(done - w);
            }
            while cand != 0 {
                let pi = cand.trailing_zeros();
                let p = w + pi as usize;
                // Token start: after the last separator before p.
                let below = !m.tok & ((1u64 << pi) - 1);
                let s = if below != 0 {
                    w + (64 - below.leading_zeros()) as usize
                } else {
                    let mut s = w;
                    while s > 0 && CLASS[buf[s - 1] as usize] != SEP {
                        s -= 1;
                    }
                    s
                };
                // Token end: the first separator at or after p.
                let above = !m.tok & !((1u64 << pi) - 1);
                let (e, inside) = if above != 0 {
                    (w + above.trailing_zeros() as usize, s >= w)
                } else {
                    let mut e = w + 64;
                    while e < n && CLASS[buf[e] as usize] != SEP {
                        e += 1;
                    }
                    (e.min(n), false)
                };
                let mask = if inside {
                    let mask = m.class_of(s - w, e - w);
                    if mask == DIGIT | DOT {
                        // Numbers and dots can only be an IPv4 address: fewer than
                        // three dots (times, durations) is none; digits at both ends
                        // and three dots is a candidate needing no trimming.
                        let dots = (m.dot & low_cleared(s - w) & !low_cleared(e - w)).count_ones();
                        let edge = (m.dot >> (s - w)) & 1 != 0 || (m.dot >> (e - 1 - w)) & 1 != 0;
                        if dots < 3 {
                            0
                        } else if dots == 3 && !edge {
                            if self.v4 {
                                self.ipv4(buf, s, e, sc, hits);
                            }
                            0
                        } else {
                            mask
                        }
                    } else {
                        mask
                    }
                } else {
                    buf[s..e].iter().fold(0, |a, &b| a | CLASS[b as usize])
                };
                if e > s && mask != 0 {
                    // A hash needs an aligned 16-byte hex run inside the token.
                    sc.hex_run = !inside
                        || m.hex16 & low_cleared(s - w) & !low_cleared((e - w).saturating_sub(15))
                            != 0;
                    self.token(buf, s, e, mask, sc, hits);
                }
                done = e.max(p + 1);
                if done - w >= 64 {
                    break;
                }
                cand &= low_cleared(done - w);
            }
            w += 64;
            if done > w {
                // Skip whole windows inside a long token.
                w += (done - w) / 64 * 64;
            }
        }
    }

    /// The plain byte-by-byte tokenizer the fast path must agree with (tests only).
    #[cfg(test)]
    pub(crate) fn scan_reference(&self, buf: &[u8], f: &mut dyn FnMut(Hit)) {
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
            if self.hash && len >= 32 && sc.hex_run {
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
                self.ipv4(buf, ts, te, sc, hits);
            }
            return;
        }
        if self.dom {
            self.domain(buf, ts, te, sc, hits);
        }
        if self.hash && len >= 32 && sc.hex_run {
            self.hashes(buf, s, e, sc, hits);
        }
    }

    #[inline]
    fn ipv4(&self, buf: &[u8], s: usize, e: usize, sc: &mut Scratch, hits: &mut Vec<Hit>) {
        if let Some(a) = parse_v4(&buf[s..e]) {
            if self.set.maybe_v4(a) {
                self.set.lookup_v4(a, &mut sc.ids);
                self.push(hits, s, e, Ioc::Ipv4(a), sc);
            }
        }
    }

    fn domain(&self, buf: &[u8], s: usize, e: usize, sc: &mut Scratch, hits: &mut Vec<Hit>) {
        let (s, e) = trim(buf, s, e);
        if e <= s {
            return;
        }
        if !self.set.maybe_domain(&buf[s..e]) {
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

/// `u64` with the lowest `k` bits cleared (all bits cleared for `k >= 64`).
#[inline]
fn low_cleared(k: usize) -> u64 {
    if k >= 64 {
        0
    } else {
        !((1u64 << k) - 1)
    }
}

/// Bit 16k set where all 16 bytes of the k-th 16-byte run are hex digits.
#[inline(always)]
fn hex16_of(hex: u64) -> u64 {
    let mut out = 0;
    for k in 0..4 {
        if (hex >> (k * 16)) & 0xFFFF == 0xFFFF {
            out |= 1 << (k * 16);
        }
    }
    out
}

/// Character classes of a 64-byte window, one bit per byte.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Masks {
    /// Token bytes (letters, digits, `.`, `:`, `-`, `_`, `@`).
    tok: u64,
    /// `.`, `:` and `@`: a token holding one can be an address, name or e-mail.
    spec: u64,
    dot: u64,
    colon: u64,
    at: u64,
    digit: u64,
    /// `a-f`, `A-F`.
    hexl: u64,
    /// `g-z`, `G-Z`.
    alpha: u64,
    /// `-`, `_`.
    dash: u64,
    /// The first byte of each 16-byte-aligned run of hex digits: a run of 32 or more
    /// hex digits always covers one.
    hex16: u64,
}

impl Masks {
    /// `AVX2` may be true only where the CPU has AVX2 and the caller is compiled
    /// for it.
    #[inline(always)]
    fn of<const AVX2: bool>(w: &[u8]) -> Masks {
        debug_assert_eq!(w.len(), 64);
        #[cfg(target_arch = "x86_64")]
        {
            if AVX2 {
                Masks::of_avx2(w)
            } else {
                Masks::of_sse2(w)
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            Masks::of_scalar(w)
        }
    }

    /// The [`CLASS`] bits present in bytes `s..e` of the window.
    #[inline]
    fn class_of(&self, s: usize, e: usize) -> u8 {
        let r = low_cleared(s) & !low_cleared(e);
        let bit = |m: u64, c: u8| if m & r != 0 { c } else { 0 };
        bit(self.digit, DIGIT)
            | bit(self.hexl, HEXL)
            | bit(self.alpha, ALPHA)
            | bit(self.dot, DOT)
            | bit(self.colon, COLON)
            | bit(self.dash, DASH)
            | bit(self.at, AT)
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn of_avx2(w: &[u8]) -> Masks {
        use std::arch::x86_64::*;
        let mut m = Masks::default();
        // SAFETY: only reached from code compiled for AVX2 on a CPU that has it
        // (`Scanner::scan_windows_avx2`); the only memory accesses are unaligned
        // 32-byte loads from 32-byte slices of `w`.
        unsafe {
            let set = |b: u8| _mm256_set1_epi8(b as i8);
            let (dot, colon, at, minus, under) =
                (set(b'.'), set(b':'), set(b'@'), set(b'-'), set(b'_'));
            let (d0, d9, la, lf, lg, lz, case) = (
                set(b'0'),
                set(b'9'),
                set(b'a'),
                set(b'f'),
                set(b'g'),
                set(b'z'),
                set(0x20),
            );
            let within = |x: __m256i, lo: __m256i, hi: __m256i| {
                _mm256_and_si256(
                    _mm256_cmpeq_epi8(_mm256_max_epu8(x, lo), x),
                    _mm256_cmpeq_epi8(_mm256_min_epu8(x, hi), x),
                )
            };
            let bits = |v: __m256i| u64::from(_mm256_movemask_epi8(v) as u32);
            for k in 0..2 {
                let x = _mm256_loadu_si256(w[k * 32..k * 32 + 32].as_ptr().cast());
                let y = _mm256_or_si256(x, case);
                let v_dot = _mm256_cmpeq_epi8(x, dot);
                let v_colon = _mm256_cmpeq_epi8(x, colon);
                let v_at = _mm256_cmpeq_epi8(x, at);
                let v_dash =
                    _mm256_or_si256(_mm256_cmpeq_epi8(x, minus), _mm256_cmpeq_epi8(x, under));
                let v_digit = within(x, d0, d9);
                let v_hexl = within(y, la, lf);
                let v_alpha = within(y, lg, lz);
                let sh = k * 32;
                m.dot |= bits(v_dot) << sh;
                m.colon |= bits(v_colon) << sh;
                m.at |= bits(v_at) << sh;
                m.dash |= bits(v_dash) << sh;
                m.digit |= bits(v_digit) << sh;
                m.hexl |= bits(v_hexl) << sh;
                m.alpha |= bits(v_alpha) << sh;
            }
        }
        m.derived()
    }

    /// Fills the masks that follow from the class masks: `spec`, `tok`, `hex16`.
    #[inline(always)]
    fn derived(mut self) -> Masks {
        self.spec = self.dot | self.colon | self.at;
        self.tok = self.spec | self.dash | self.digit | self.hexl | self.alpha;
        self.hex16 = hex16_of(self.digit | self.hexl);
        self
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn of_sse2(w: &[u8]) -> Masks {
        use std::arch::x86_64::*;
        let mut m = Masks::default();
        // SAFETY: SSE2 is part of the x86_64 baseline, and the only memory accesses
        // are unaligned 16-byte loads from 16-byte slices of `w`.
        unsafe {
            let set = |b: u8| _mm_set1_epi8(b as i8);
            let (dot, colon, at, minus, under) =
                (set(b'.'), set(b':'), set(b'@'), set(b'-'), set(b'_'));
            let (d0, d9, la, lf, lg, lz, case) = (
                set(b'0'),
                set(b'9'),
                set(b'a'),
                set(b'f'),
                set(b'g'),
                set(b'z'),
                set(0x20),
            );
            let within = |x: __m128i, lo: __m128i, hi: __m128i| {
                _mm_and_si128(
                    _mm_cmpeq_epi8(_mm_max_epu8(x, lo), x),
                    _mm_cmpeq_epi8(_mm_min_epu8(x, hi), x),
                )
            };
            let bits = |v: __m128i| u64::from(_mm_movemask_epi8(v) as u16);
            for k in 0..4 {
                let x = _mm_loadu_si128(w[k * 16..k * 16 + 16].as_ptr().cast());
                let y = _mm_or_si128(x, case);
                let v_dot = _mm_cmpeq_epi8(x, dot);
                let v_colon = _mm_cmpeq_epi8(x, colon);
                let v_at = _mm_cmpeq_epi8(x, at);
                let v_dash = _mm_or_si128(_mm_cmpeq_epi8(x, minus), _mm_cmpeq_epi8(x, under));
                let v_digit = within(x, d0, d9);
                let v_hexl = within(y, la, lf);
                let v_alpha = within(y, lg, lz);
                let sh = k * 16;
                m.dot |= bits(v_dot) << sh;
                m.colon |= bits(v_colon) << sh;
                m.at |= bits(v_at) << sh;
                m.dash |= bits(v_dash) << sh;
                m.digit |= bits(v_digit) << sh;
                m.hexl |= bits(v_hexl) << sh;
                m.alpha |= bits(v_alpha) << sh;
            }
        }
        m.derived()
    }

    #[cfg_attr(target_arch = "x86_64", allow(dead_code))]
    fn of_scalar(w: &[u8]) -> Masks {
        let mut m = Masks::default();
        for (i, &b) in w.iter().enumerate() {
            let c = CLASS[b as usize];
            let bit = 1u64 << i;
            let on = |x: bool| if x { bit } else { 0 };
            m.dot |= on(c == DOT);
            m.colon |= on(c == COLON);
            m.at |= on(c == AT);
            m.digit |= on(c == DIGIT);
            m.hexl |= on(c == HEXL);
            m.alpha |= on(c == ALPHA);
            m.dash |= on(c == DASH);
        }
        m.derived()
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

struct Scratch {
    text: String,
    bytes: Vec<u8>,
    ids: Vec<u32>,
    /// The current token may hold a hex run of 32 or more (false only when the
    /// window masks prove it does not).
    hex_run: bool,
}

impl Default for Scratch {
    fn default() -> Self {
        Scratch {
            text: String::new(),
            bytes: Vec::new(),
            ids: Vec::new(),
            hex_run: true,
        }
    }
}

impl Scratch {
    /// Lower-cases a token into `text` (tokens are ASCII by construction; anything
    /// else is taken lossily).
    fn lower(&mut self, b: &[u8]) {
        self.text.clear();
        match std::str::from_utf8(b) {
            Ok(t) => self.text.push_str(t),
            Err(_) => self.text.push_str(&String::from_utf8_lossy(b)),
        }
        self.text.make_ascii_lowercase();
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
    fn parse_v4_exact() {
        assert_eq!(parse_v4(b"1.2.3.4"), Some(0x0102_0304));
        assert_eq!(parse_v4(b"255.255.255.255"), Some(u32::MAX));
        assert_eq!(parse_v4(b"10.0.0.100"), Some(0x0a00_0064));
        for bad in [
            &b"256.1.1.1"[..],
            b"1.2.3",
            b"1.2.3.4.5",
            b"01.2.3.4",
            b"1.2.3.04",
            b"1..2.3",
            b"1.2.3.4.",
            b".1.2.3.4",
            b"1.2.3.1000",
            b"1.2.3.a",
            b"",
        ] {
            assert_eq!(parse_v4(bad), None, "{}", String::from_utf8_lossy(bad));
        }
        // Agrees with std on every 1..=3-digit octet spelling.
        for o in 0..1000u32 {
            for t in [
                format!("{o}.1.2.3"),
                format!("1.2.3.{o}"),
                format!("1.{o:02}.2.3"),
            ] {
                assert_eq!(
                    parse_v4(t.as_bytes()),
                    t.parse::<std::net::Ipv4Addr>().ok().map(u32::from),
                    "{t}"
                );
            }
        }
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

    #[test]
    fn sse2_masks_agree_with_scalar() {
        let mut bytes: Vec<u8> = (0..=255u8).collect();
        bytes.extend_from_slice(b"1.2.3.4 deadbeefDEADBEEF0123456789abcdefABCDEF a@b.c x_y-z:: ");
        while !bytes.len().is_multiple_of(64) {
            bytes.push(b'g');
        }
        for w in bytes.chunks(64) {
            let m = Masks::of_scalar(w);
            for (i, &b) in w.iter().enumerate() {
                assert_eq!(m.tok >> i & 1 == 1, CLASS[b as usize] != SEP, "byte {b}");
                let spec = matches!(b, b'.' | b':' | b'@');
                assert_eq!(m.spec >> i & 1 == 1, spec, "byte {b}");
            }
            for k in 0..4 {
                let all_hex = w[k * 16..k * 16 + 16].iter().all(u8::is_ascii_hexdigit);
                assert_eq!(m.hex16 >> (k * 16) & 1 == 1, all_hex);
            }
            assert_eq!(Masks::of::<false>(w), Masks::of_scalar(w));
            if std::arch::is_x86_feature_detected!("avx2") {
                assert_eq!(Masks::of_avx2(w), Masks::of_scalar(w));
            }
        }
        let hex = [b'a'; 64];
        assert_eq!(
            Masks::of::<false>(&hex).hex16,
            1 | 1 << 16 | 1 << 32 | 1 << 48
        );
    }

    /// The windowed scanner against the plain tokenizer on real logs and on text made
    /// to put tokens across window edges.
    #[test]
    fn fast_path_agrees_with_reference() {
        let a6: std::net::Ipv6Addr = "fe80::1".parse().unwrap();
        let mut iocs = vec![
            Ioc::Ipv6(u128::from(a6)),
            Ioc::Hash(vec![0xab; 32]),
            Ioc::Hash(vec![0x01; 16]),
            Ioc::Domain {
                name: "example.com".into(),
                subdomains: true,
            },
            Ioc::Email("a@b.cd".into()),
        ];
        let mut texts: Vec<Vec<u8>> = Vec::new();
        let mut synth = Vec::new();
        for pad in 0..130 {
            synth.extend(std::iter::repeat_n(b'x', pad % 67));
            synth.extend_from_slice(b" 10.0.0.1 ");
            synth.extend(std::iter::repeat_n(b'-', pad % 5));
            synth.extend_from_slice("ab".repeat(32).as_bytes());
            synth.extend_from_slice(b" w.example.com:80 fe80::1 a@b.cd ");
            synth.extend_from_slice("01".repeat(16).as_bytes());
            synth.extend_from_slice(b".bin\n");
        }
        texts.push(synth);
        if let Some(dir) = stormwatch_testkit::shared_data("logs/zeek/trickbot-2018-11-09") {
            for name in ["conn.log", "dns.log", "files.log", "http.log", "ssl.log"] {
                if let Ok(b) = std::fs::read(dir.join(name)) {
                    texts.push(b);
                }
            }
        }
        // Every address in the texts becomes an indicator.
        for t in &texts {
            let mut v4 = 0usize;
            for tok in t.split(|b| CLASS[*b as usize] == SEP) {
                if let Some(a) = parse_v4(tok) {
                    if v4.is_multiple_of(7) {
                        iocs.push(Ioc::Ipv4(a));
                    }
                    v4 += 1;
                }
            }
        }
        iocs.push(Ioc::Ipv4(0x0a00_0001));
        let s = set(iocs);
        let sc = Scanner::new(&s);
        for t in &texts {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            sc.scan(t, &mut |h| a.push((h.start, h.end, h.sources)));
            sc.scan_reference(t, &mut |h| b.push((h.start, h.end, h.sources)));
            assert!(!b.is_empty());
            assert_eq!(a, b);
            // Every split point: the same hits as a whole-buffer scan would give for
            // each half.
            for cut in [1, 63, 64, 65, 127, 128, 1000] {
                if cut < t.len() {
                    let (x, y) = t.split_at(cut);
                    for part in [x, y] {
                        let (mut a, mut b) = (Vec::new(), Vec::new());
                        sc.scan(part, &mut |h| a.push((h.start, h.end)));
                        sc.scan_reference(part, &mut |h| b.push((h.start, h.end)));
                        assert_eq!(a, b);
                    }
                }
            }
        }
    }
}
