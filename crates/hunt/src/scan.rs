//! The hot path: tokenize bytes, classify each token by its shape, look it up exactly.
//!
//! Substring matchers report `1.2.3.4` inside `11.2.3.45`; this one cannot, because
//! it only ever looks up whole tokens (maximal runs of letters, digits, `.`, `:`, `-`,
//! `_` and `@`), and a hash only as a whole run of hex digits. One pass over the
//! bytes with a class table; a token is examined only when its shape can be an
//! indicator (most words are rejected on the class mask alone), and nothing is
//! allocated per line.

use crate::iocs::{Ioc, IocSet};

#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing;

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
    /// `\n` bytes in the buffer before `start`: the hit's 0-based line.
    pub newlines: u64,
}

/// [`Hit::newlines`] not known yet (URL hits, found apart from the windows).
const UNKNOWN_LINE: u64 = u64::MAX;

/// Scans buffers against one indicator set.
pub struct Scanner<'a> {
    set: &'a IocSet,
    v4: bool,
    v6: bool,
    dom: bool,
    email: bool,
    url: bool,
    hash: bool,
    /// Hex digits in the shortest hash the set wants (`usize::MAX` for none): a
    /// shorter token cannot hold one.
    min_hex: usize,
    url_finder: memchr::memmem::Finder<'static>,
    /// The CPU has AVX2, and the bit instructions every AVX2 CPU has (BMI1, BMI2,
    /// LZCNT, POPCNT: without them `count_ones` is a dozen instructions) (x86_64 only).
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

/// The value of the decimal octet `buf[from..to]`, known to hold only digits, and
/// whether it is one (1 to 3 digits, no leading zero, at most 255). Branch-free:
/// octet lengths vary from address to address, so branches on them mispredict.
#[inline(always)]
fn octet(buf: &[u8], from: usize, to: usize) -> (u32, bool) {
    let len = to.saturating_sub(from);
    let l2 = usize::from(len >= 2);
    let l3 = usize::from(len >= 3);
    let d = |i: usize| u32::from(buf[i].wrapping_sub(b'0'));
    // Every index stays inside `buf` whatever the positions (the caller parses
    // tokens of the wrong shape too, and drops the result); with `len` of 0 the
    // result is rejected.
    let last = (to.max(from + 1) - 1).min(buf.len().saturating_sub(1));
    let v = d(last) + 10 * d(last - l2) * l2 as u32 + 100 * d(last - 2 * l3) * l3 as u32;
    let ok = len.wrapping_sub(1) < 3 && v <= 255 && !(l2 == 1 && buf[from] == b'0');
    (v, ok)
}

/// IPv4 from the four octets between `s`, the dots `p1..p3` and `e`.
#[inline(always)]
fn v4_octets(buf: &[u8], s: usize, p1: usize, p2: usize, p3: usize, e: usize) -> (u32, bool) {
    let (a, ok0) = octet(buf, s, p1);
    let (b, ok1) = octet(buf, p1 + 1, p2);
    let (c, ok2) = octet(buf, p2 + 1, p3);
    let (x, ok3) = octet(buf, p3 + 1, e);
    ((a << 24) | (b << 16) | (c << 8) | x, ok0 & ok1 & ok2 & ok3)
}

/// Shuffle masks for [`v4_simd`], one per octet-length combination (1 to 3 digits
/// each, 81 in all): `shuffle` moves the digits of octet `j` to bytes `4j+1..4j+4`,
/// right-aligned, zeros elsewhere; `lead` marks the leading digit of octets with two
/// or three digits (it must not be a zero).
///
/// `key` is the shape as a bit set relative to the token start: its three dots and
/// the separator after it ([`V4_KEY_HASH`] finds the shape from it).
struct V4Shape {
    shuffle: [u8; 16],
    lead: [u8; 16],
    key: u64,
}

static V4_SHAPES: [V4Shape; 81] = {
    const EMPTY: V4Shape = V4Shape {
        shuffle: [0x80; 16],
        lead: [0; 16],
        key: 0,
    };
    let mut t = [EMPTY; 81];
    let mut i = 0;
    while i < 81 {
        let lens = [i / 27 + 1, i / 9 % 3 + 1, i / 3 % 3 + 1, i % 3 + 1];
        let mut start = 0;
        let mut j = 0;
        while j < 4 {
            let l = lens[j];
            let mut q = 0;
            while q < l {
                // digit q of l goes to byte 4j + 4 - l + q
                t[i].shuffle[4 * j + 4 - l + q] = (start + q) as u8;
                q += 1;
            }
            if l >= 2 {
                t[i].lead[4 * j + 4 - l] = 0xFF;
            }
            start += l + 1;
            // the dot (or, after the last octet, the separator) after octet j
            t[i].key |= 1 << (start - 1);
            j += 1;
        }
        i += 1;
    }
    t
};

/// Multiplier of the perfect hash of the 81 [`V4Shape::key`]s into 256 slots (found
/// by a search; the `v4_key_hash_is_perfect` test checks it).
const V4_KEY_MUL: u64 = 0x68d8_e8e0_2465_a4f9;

#[inline(always)]
const fn v4_key_slot(key: u64) -> usize {
    (key.wrapping_mul(V4_KEY_MUL) >> 56) as usize
}

/// The [`V4_SHAPES`] index for each hash slot (0 for an empty slot: a key that
/// hashes there differs from shape 0's, which is how it is rejected).
static V4_KEY_HASH: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 81 {
        t[v4_key_slot(V4_SHAPES[i].key)] = i as u8;
        i += 1;
    }
    t
};

/// IPv4 from the 16 bytes starting at a token of digits and dots, from the token's
/// shape key (its dots and the separator after it as bits relative to its start):
/// a hash lookup instead of octet lengths from dot positions. Only reached from code
/// compiled for AVX2.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn v4_simd_keyed(b16: &[u8], key: u64) -> (u32, bool) {
    let shape = &V4_SHAPES[usize::from(V4_KEY_HASH[v4_key_slot(key)])];
    let (addr, ok) = v4_simd_shape(b16, shape);
    (addr, ok & (shape.key == key))
}

/// IPv4 from the 16 bytes starting at a token of digits and three dots, with the
/// octet lengths `lens` (from the dot positions): one shuffle puts each octet's
/// digits in a 32-bit lane and two multiply-adds give the values. Only reached
/// from code compiled for AVX2 (which implies SSSE3 and SSE4.1).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn v4_simd(b16: &[u8], lens: [usize; 4]) -> (u32, bool) {
    // `&`, not `all`: a short-circuit is a branch on data, and it mispredicts.
    let len_ok = lens.iter().fold(true, |ok, l| ok & (l.wrapping_sub(1) < 3));
    let k = |l: usize| l.clamp(1, 3) - 1;
    let shape = &V4_SHAPES[k(lens[0]) * 27 + k(lens[1]) * 9 + k(lens[2]) * 3 + k(lens[3])];
    let (addr, ok) = v4_simd_shape(b16, shape);
    (addr, ok & len_ok)
}

/// [`v4_simd`] with the shape known: the address and whether the octets have no
/// leading zero and are at most 255.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn v4_simd_shape(b16: &[u8], shape: &V4Shape) -> (u32, bool) {
    use std::arch::x86_64::*;
    debug_assert_eq!(b16.len(), 16);
    // SAFETY: the caller is compiled for AVX2 on a CPU that has it (see
    // `Scanner::scan_windows_avx2`), which includes SSSE3/SSE4.1; the loads read
    // exactly 16 bytes from 16-byte slices.
    unsafe {
        let x = _mm_sub_epi8(
            _mm_loadu_si128(b16.as_ptr().cast()),
            _mm_set1_epi8(b'0' as i8),
        );
        let digits = _mm_shuffle_epi8(x, _mm_loadu_si128(shape.shuffle.as_ptr().cast()));
        let lead = _mm_loadu_si128(shape.lead.as_ptr().cast());
        let zero_lead = _mm_movemask_epi8(_mm_and_si128(
            _mm_cmpeq_epi8(digits, _mm_setzero_si128()),
            lead,
        ));
        let w = _mm_setr_epi8(0, 100, 10, 1, 0, 100, 10, 1, 0, 100, 10, 1, 0, 100, 10, 1);
        let pairs = _mm_maddubs_epi16(digits, w);
        let v = _mm_madd_epi16(pairs, _mm_set1_epi16(1));
        let big = _mm_movemask_epi8(_mm_cmpgt_epi32(v, _mm_set1_epi32(255)));
        let packed = _mm_shuffle_epi8(
            v,
            _mm_setr_epi8(12, 8, 4, 0, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1),
        );
        let addr = _mm_cvtsi128_si32(packed) as u32;
        (addr, (zero_lead == 0) & (big == 0))
    }
}

/// Bit `j` set where byte `j` of `c` is a hex digit (any case).
#[inline]
fn hex_bits16(c: &[u8; 16]) -> u32 {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::*;
        // SAFETY: SSE2 is part of the x86_64 baseline; one 16-byte load from a
        // 16-byte array.
        unsafe {
            let x = _mm_loadu_si128(c.as_ptr().cast());
            // Unsigned `v <= k` as `min(v, k) == v`.
            let d = _mm_sub_epi8(x, _mm_set1_epi8(b'0' as i8));
            let digit = _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d);
            let l = _mm_sub_epi8(
                _mm_or_si128(x, _mm_set1_epi8(0x20)),
                _mm_set1_epi8(b'a' as i8),
            );
            let letter = _mm_cmpeq_epi8(_mm_min_epu8(l, _mm_set1_epi8(5)), l);
            _mm_movemask_epi8(_mm_or_si128(digit, letter)) as u32
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        c.iter()
            .enumerate()
            .fold(0, |m, (j, b)| m | u32::from(b.is_ascii_hexdigit()) << j)
    }
}

/// The value of a hex digit (any case), without branches: hash digits are
/// random, so a branch between digits and letters mispredicts half the time.
#[inline(always)]
fn hex_val(c: u8) -> u8 {
    (c & 0x0F) + 9 * (c >> 6)
}

/// The bytes of the hex digits `src` (any case; `out` is half as long), 16 digits
/// at a time with SSE2 where there is a whole 16.
#[inline]
fn hex_decode(src: &[u8], out: &mut [u8]) {
    debug_assert_eq!(src.len(), 2 * out.len());
    let mut k = 0;
    #[cfg(target_arch = "x86_64")]
    while k + 16 <= src.len() {
        use std::arch::x86_64::*;
        // SAFETY: SSE2 is part of the x86_64 baseline; one 16-byte load from a
        // 16-byte slice and one 8-byte store into an 8-byte slice.
        unsafe {
            let x = _mm_loadu_si128(src[k..k + 16].as_ptr().cast());
            // `hex_val` on each byte: bit 6 (letters) is moved to bit 0 of its own
            // byte by a 16-bit shift and a mask.
            let letter = _mm_and_si128(_mm_srli_epi16(x, 6), _mm_set1_epi8(1));
            let nine = _mm_or_si128(_mm_slli_epi16(letter, 3), letter);
            let nib = _mm_add_epi8(_mm_and_si128(x, _mm_set1_epi8(0x0F)), nine);
            // Each 16-bit lane holds (first digit, second digit): first << 4 | second.
            let hi = _mm_slli_epi16(_mm_and_si128(nib, _mm_set1_epi16(0x00FF)), 4);
            let v = _mm_or_si128(hi, _mm_srli_epi16(nib, 8));
            let packed = _mm_packus_epi16(v, v);
            _mm_storel_epi64(out[k / 2..k / 2 + 8].as_mut_ptr().cast(), packed);
        }
        k += 16;
    }
    for (o, p) in out[k / 2..].iter_mut().zip(src[k..].chunks_exact(2)) {
        *o = (hex_val(p[0]) << 4) | hex_val(p[1]);
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
            min_hex: [16, 20, 32, 64]
                .into_iter()
                .find(|&n| set.wants_hash_len(n))
                .map_or(usize::MAX, |n| 2 * n),
            url_finder: memchr::memmem::Finder::new(b"://"),
            #[cfg(target_arch = "x86_64")]
            avx2: std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("bmi1")
                && std::arch::is_x86_feature_detected!("bmi2")
                && std::arch::is_x86_feature_detected!("lzcnt")
                && std::arch::is_x86_feature_detected!("popcnt"),
            #[cfg(not(target_arch = "x86_64"))]
            avx2: false,
        }
    }

    /// Scans `buf`, calling `f` for every hit in order of position.
    ///
    /// Only tokens that can hold an indicator are looked at: those with a `.`, `:` or
    /// `@` (addresses, names, e-mail) and, when hashes are wanted, those holding a run
    /// of hex digits long enough for one. The buffer is classified 64 bytes at a time
    /// into bit masks ([`Masks`]), in windows that start where a token starts, so
    /// that every token shorter than 64 bytes lies inside one window: which tokens
    /// to look at, and their bounds and character classes, come from the masks, and
    /// no byte is visited one by one.
    ///
    /// Returns the number of `\n` bytes in `buf` (counted from the same window
    /// masks, so a caller numbering lines needs no second pass).
    pub fn scan(&self, buf: &[u8], f: &mut dyn FnMut(Hit)) -> u64 {
        self.scan_with(buf, self.avx2, f)
    }

    /// [`Scanner::scan`] without AVX2 (the SSE2 masks and the scalar IPv4 parse), so
    /// tests cover that path on machines that have AVX2.
    #[cfg(any(test, feature = "fuzzing"))]
    pub(crate) fn scan_portable(&self, buf: &[u8], f: &mut dyn FnMut(Hit)) -> u64 {
        self.scan_with(buf, false, f)
    }

    #[cfg_attr(not(target_arch = "x86_64"), allow(unused_variables))]
    fn scan_with(&self, buf: &[u8], avx2: bool, f: &mut dyn FnMut(Hit)) -> u64 {
        let mut sc = Scratch::default();
        let mut hits: Vec<Hit> = Vec::new();
        let need_spec = self.v4 || self.v6 || self.dom || self.email;
        let newlines = if need_spec || self.hash {
            #[cfg(target_arch = "x86_64")]
            let n = if avx2 {
                // SAFETY: `avx2` is only true when the CPU has AVX2, BMI1, BMI2, LZCNT
                // and POPCNT (checked at run time in `Scanner::new`).
                unsafe { self.scan_windows_avx2(buf, need_spec, &mut sc, &mut hits) }
            } else {
                self.scan_windows::<false>(buf, need_spec, &mut sc, &mut hits)
            };
            #[cfg(not(target_arch = "x86_64"))]
            let n = self.scan_windows::<false>(buf, need_spec, &mut sc, &mut hits);
            n
        } else {
            memchr::memchr_iter(b'\n', buf).count() as u64
        };
        if self.url {
            self.urls(buf, &mut hits);
            hits.sort_by_key(|h| h.start);
            fill_lines(buf, &mut hits);
        }
        for h in hits {
            f(h);
        }
        newlines
    }

    /// [`Scanner::scan_windows`] compiled for AVX2 (and BMI1/BMI2/LZCNT/POPCNT).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,bmi1,bmi2,lzcnt,popcnt")]
    unsafe fn scan_windows_avx2(
        &self,
        buf: &[u8],
        spec: bool,
        sc: &mut Scratch,
        hits: &mut Vec<Hit>,
    ) -> u64 {
        self.scan_windows::<true>(buf, spec, sc, hits)
    }

    #[inline(always)]
    fn scan_windows<const AVX2: bool>(
        &self,
        buf: &[u8],
        spec: bool,
        sc: &mut Scratch,
        hits: &mut Vec<Hit>,
    ) -> u64 {
        let n = buf.len();
        // Windows are not aligned: each starts where no token runs on from before it
        // (at the buffer start, or after a separator), and ends before the token that
        // runs into the next window, which starts the next window. So every token
        // shorter than 64 bytes lies inside exactly one window and is decided there
        // with the window's bit masks; only tokens of 64 bytes or more (hashes,
        // base64, long URLs) are bounded and classified window by window.
        let want = Want {
            hex: self.min_hex < 64,
            hash: self.hash,
            names: spec && (self.dom || self.email),
            v4: spec && self.v4,
            v6: spec && self.v6,
        };
        let mut w = 0usize;
        // Newlines before `w`.
        let mut lines = 0u64;
        while w < n {
            let full = Masks::at::<AVX2>(buf, w);
            let m = full.view();
            let t = m.tok;
            if t == u64::MAX {
                w = self.long_token::<AVX2>(buf, w, &full, lines, sc, hits);
                continue;
            }
            // The token running into the next window (its top bits) starts the next
            // window; `adv` >= 1 since bit 63 is a separator or the top token starts
            // after one.
            let adv = 64 - (!t).leading_zeros() as usize;
            sc.window(w, m.nl, lines);
            let inner = t & low_bits(adv);
            let hex16 = if want.hash { hex16_of(m.hex) } else { 0 };
            let (visits, fast) = inner_visits(want, &m, hex16, inner);
            // Inner tokens are marked by the separator after them, so the bits come
            // in position order and hits come out in order.
            let mut cand = visits;
            while cand != 0 {
                let pi = cand.trailing_zeros();
                let bit = 1u64 << pi;
                cand &= !bit;
                let below_mask = bit - 1;
                let rs = (64 - (!t & below_mask).leading_zeros()) as usize;
                let (s, e) = (w + rs, w + pi as usize);
                if fast & bit != 0 {
                    // Digits and three dots or more: an address of the plain shape
                    // (exactly three dots, none at an end, octets of 1 to 3 digits
                    // without a leading zero, each at most 255) is parsed here;
                    // anything else takes the general way below (trimming).
                    let dm = m.dot & (u64::MAX << rs) & below_mask;
                    // The keyed parse checks the shape itself (AVX2, 16 bytes
                    // readable); otherwise the dot positions are checked here.
                    let keyed = cfg!(target_arch = "x86_64") && AVX2 && s + 16 <= n;
                    #[cfg(target_arch = "x86_64")]
                    if keyed {
                        let key = (dm >> rs) | (1 << (pi as usize - rs));
                        let (addr, ok) = v4_simd_keyed(&buf[s..s + 16], key);
                        if ok {
                            if self.set.maybe_v4(addr) {
                                self.set.lookup_v4(addr, &mut sc.ids);
                                self.push(hits, s, e, Ioc::Ipv4(addr), sc);
                            }
                            continue;
                        }
                    }
                    if !keyed
                        && dm.count_ones() == 3
                        && (dm >> rs) & 1 == 0
                        && (dm >> (pi - 1)) & 1 == 0
                    {
                        self.ipv4_dotted::<AVX2>(buf, w, s, e, dm, sc, hits);
                        continue;
                    }
                    sc.hex_run = false;
                    self.token(buf, s, e, DIGIT | DOT, sc, hits);
                } else {
                    let mask = full.class_of(rs, pi as usize);
                    sc.hex_run =
                        hex16 & low_cleared(rs) & !low_cleared((pi as usize).saturating_sub(15))
                            != 0;
                    self.token(buf, s, e, mask, sc, hits);
                }
            }
            lines += u64::from((m.nl & low_bits(adv)).count_ones());
            w += adv;
        }
        lines
    }

    /// The token of 64 bytes or more starting at `w` (whose window's masks are `m`),
    /// bounded and classified 64 bytes at a time and looked at whole; returns its end
    /// (a separator, or the end of the buffer). A token holds no newline.
    #[inline(always)]
    fn long_token<const AVX2: bool>(
        &self,
        buf: &[u8],
        w: usize,
        m: &Masks,
        lines: u64,
        sc: &mut Scratch,
        hits: &mut Vec<Hit>,
    ) -> usize {
        let n = buf.len();
        let mut mask = m.class_of(0, 64);
        // Runs of 32 hex digits or more cover an aligned 16-byte one (aligned from
        // `w`, as the masks are).
        let mut hex16 = m.hex16();
        let mut e = w + 64;
        while e < n {
            let next = Masks::at::<AVX2>(buf, e);
            if next.tok != u64::MAX {
                let k = (!next.tok).trailing_zeros() as usize;
                if k > 0 {
                    mask |= next.class_of(0, k);
                }
                hex16 |= next.hex16() & !low_cleared(k.saturating_sub(15));
                e += k;
                break;
            }
            mask |= next.class_of(0, 64);
            hex16 |= next.hex16();
            e += 64;
        }
        let e = e.min(n);
        sc.window(w, 0, lines);
        sc.hex_run = hex16 != 0;
        self.token(buf, w, e, mask, sc, hits);
        e
    }

    /// The plain byte-by-byte tokenizer the fast path must agree with (tests and
    /// the fuzz target only).
    #[cfg(any(test, feature = "fuzzing"))]
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
        fill_lines(buf, &mut hits);
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
            newlines: scratch.line_of(start),
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
            if len >= self.min_hex && sc.hex_run {
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
            // An IPv6 address has a "::" or seven colons (six, before a dotted
            // IPv4 tail): MAC addresses and times, with five or two, skip the parse.
            if self.v6
                && mask & (ALPHA | DASH) == 0
                && (2..=45).contains(&len)
                && v6_colons_fit(&buf[s..e])
            {
                if let Some(a) = parse_v6(&buf[s..e]) {
                    self.set.lookup_v6(a, &mut sc.ids);
                    self.push(hits, s, e, Ioc::Ipv6(a), sc);
                    return;
                }
            }
            if mask & DOT != 0 || len >= self.min_hex {
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
        if len >= self.min_hex && sc.hex_run {
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

    /// IPv4 from a token of digits and exactly three dots, none at an end, at
    /// window offset `w`, with the dots at the set bits of `dots` (window-relative).
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn ipv4_dotted<const AVX2: bool>(
        &self,
        buf: &[u8],
        w: usize,
        s: usize,
        e: usize,
        dots: u64,
        sc: &mut Scratch,
        hits: &mut Vec<Hit>,
    ) {
        let at = |d: u64| (w + d.trailing_zeros() as usize).min(e - 1);
        let p1 = at(dots);
        let d = dots & dots.wrapping_sub(1);
        let p2 = at(d).max(p1);
        let d = d & d.wrapping_sub(1);
        let p3 = at(d).max(p2);
        #[cfg(target_arch = "x86_64")]
        let (addr, ok) = if AVX2 && s + 16 <= buf.len() {
            v4_simd(
                &buf[s..s + 16],
                // Wrapping, so that a caller's wrong shape (two equal positions)
                // gives lengths that are rejected, not an overflow.
                [
                    p1.wrapping_sub(s),
                    p2.wrapping_sub(p1 + 1),
                    p3.wrapping_sub(p2 + 1),
                    e.wrapping_sub(p3 + 1),
                ],
            )
        } else {
            v4_octets(buf, s, p1, p2, p3, e)
        };
        #[cfg(not(target_arch = "x86_64"))]
        let (addr, ok) = v4_octets(buf, s, p1, p2, p3, e);
        if ok & self.set.maybe_v4(addr) {
            self.set.lookup_v4(addr, &mut sc.ids);
            self.push(hits, s, e, Ioc::Ipv4(addr), sc);
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

    /// The hex runs of `s..e` that are wanted hashes. The runs are found 16 bytes at
    /// a time from a bit mask of the hex digits ([`hex_bits16`]), not byte by byte.
    fn hashes(&self, buf: &[u8], s: usize, e: usize, sc: &mut Scratch, hits: &mut Vec<Hit>) {
        // Start of the hex run the scan is in, if any.
        let mut run: Option<usize> = None;
        let mut i = s;
        while i < e {
            let len = (e - i).min(16);
            let valid = (1u32 << len) - 1;
            let bits = if i + 16 <= buf.len() {
                let mut c = [0u8; 16];
                c.copy_from_slice(&buf[i..i + 16]);
                hex_bits16(&c)
            } else {
                let mut c = [0u8; 16];
                c[..len].copy_from_slice(&buf[i..i + len]);
                hex_bits16(&c)
            } & valid;
            // The run boundaries in this chunk, from bit `pos` on (`pos` <= 16).
            let mut pos = 0u32;
            loop {
                if let Some(rs) = run {
                    let end = !bits & valid & (u32::MAX << pos);
                    if end == 0 {
                        break;
                    }
                    let z = end.trailing_zeros();
                    self.hash_run(buf, rs, i + z as usize, sc, hits);
                    run = None;
                    pos = z + 1;
                } else {
                    let start = bits & (u32::MAX << pos);
                    if start == 0 {
                        break;
                    }
                    let z = start.trailing_zeros();
                    run = Some(i + z as usize);
                    pos = z;
                }
            }
            i += len;
        }
        if let Some(rs) = run {
            self.hash_run(buf, rs, e, sc, hits);
        }
    }

    /// The hex run `rs..i` (a whole run), if it is a wanted hash.
    fn hash_run(&self, buf: &[u8], rs: usize, i: usize, sc: &mut Scratch, hits: &mut Vec<Hit>) {
        let rl = i - rs;
        if matches!(rl, 32 | 40 | 64 | 128) && self.set.wants_hash_len(rl / 2) {
            let mut bytes = [0u8; 64];
            let bytes = &mut bytes[..rl / 2];
            hex_decode(&buf[rs..i], bytes);
            self.set.lookup_hash(bytes, &mut sc.ids);
            if !sc.ids.is_empty() {
                let obs = Ioc::Hash(bytes.to_vec());
                self.push(hits, rs, i, obs, sc);
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

/// IPv6 exactly as `Ipv6Addr` parses it. Without `::` or a dot, an address is
/// eight groups of one to four hex digits (the spelling logs mostly use): parsed
/// here; anything else goes to `std`'s parser.
fn parse_v6(t: &[u8]) -> Option<u128> {
    if t.contains(&b'.') || t.windows(2).any(|p| p == b"::") {
        let a = std::str::from_utf8(t)
            .ok()?
            .parse::<std::net::Ipv6Addr>()
            .ok()?;
        return Some(u128::from(a));
    }
    let (mut a, mut groups, mut g, mut digits) = (0u128, 0, 0u128, 0);
    for &b in t {
        if b == b':' {
            if digits == 0 {
                return None;
            }
            a = (a << 16) | g;
            groups += 1;
            (g, digits) = (0, 0);
        } else {
            if !b.is_ascii_hexdigit() || digits == 4 {
                return None;
            }
            g = (g << 4) | u128::from(hex_val(b));
            digits += 1;
        }
    }
    (digits > 0 && groups == 7).then_some((a << 16) | g)
}

/// Whether the colons of a token allow an IPv6 address: a `::`, or seven colons, or
/// six with a dot (an IPv4 tail). Only rejects what `Ipv6Addr` would reject.
fn v6_colons_fit(t: &[u8]) -> bool {
    let colons = t.iter().filter(|&&b| b == b':').count();
    colons == 7 || (colons == 6 && t.contains(&b'.')) || t.windows(2).any(|p| p == b"::")
}

/// Fills in [`Hit::newlines`] where it is unknown, counting from the hit before
/// (`hits` sorted by position).
fn fill_lines(buf: &[u8], hits: &mut [Hit]) {
    let (mut pos, mut lines) = (0usize, 0u64);
    for h in hits {
        if h.newlines == UNKNOWN_LINE {
            lines += memchr::memchr_iter(b'\n', &buf[pos..h.start]).count() as u64;
            h.newlines = lines;
        } else {
            lines = h.newlines;
        }
        pos = h.start;
    }
}

/// The lowest `k` bits set, for `k` in 1..=64 (no branch).
#[inline(always)]
fn low_bits(k: usize) -> u64 {
    debug_assert!((1..=64).contains(&k));
    u64::MAX >> (64 - k)
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
    // Bit i survives when bits i..i+16 are all set; keep the aligned ones.
    let mut x = hex;
    x &= x >> 1;
    x &= x >> 2;
    x &= x >> 4;
    x &= x >> 8;
    x & 0x0001_0001_0001_0001
}

/// Class bits of [`Masks::of_avx2`]'s nibble lookup: each class is a set of high
/// nibbles times a set of low nibbles (letters take two: `G-O`, `P-Z`); `-` gets a
/// bit, `_` and `\n` are compared for.
const N_DIGIT: u8 = 1;
const N_HEXL: u8 = 2;
const N_ALPHA_A: u8 = 4;
const N_ALPHA_B: u8 = 8;
const N_DOT: u8 = 16;
const N_COLON: u8 = 32;
const N_AT: u8 = 64;
const N_MINUS: u8 = 128;

/// By low nibble: the classes with a byte of that low nibble.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
static NIB_LO: [u8; 16] = {
    let mut t = [0u8; 16];
    let mut l = 0;
    while l < 16 {
        let mut v = 0;
        if l <= 9 {
            v |= N_DIGIT;
        }
        if l >= 1 && l <= 6 {
            v |= N_HEXL;
        }
        if l >= 7 {
            v |= N_ALPHA_A;
        }
        if l <= 0xA {
            v |= N_ALPHA_B;
        }
        if l == 0xE {
            v |= N_DOT;
        }
        if l == 0xA {
            v |= N_COLON;
        }
        if l == 0 {
            v |= N_AT;
        }
        if l == 0xD {
            v |= N_MINUS;
        }
        t[l] = v;
        l += 1;
    }
    t
};

/// By high nibble (0 for 8 and above).
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
static NIB_HI: [u8; 16] = {
    let mut t = [0u8; 16];
    t[2] = N_DOT | N_MINUS;
    t[3] = N_DIGIT | N_COLON;
    t[4] = N_HEXL | N_ALPHA_A | N_AT;
    t[5] = N_ALPHA_B;
    t[6] = N_HEXL | N_ALPHA_A;
    t[7] = N_ALPHA_B;
    t
};

/// What a scan looks for, fixed for the whole buffer ([`inner_visits`]).
#[derive(Debug, Clone, Copy)]
struct Want {
    /// A hash of 32 hex digits or fewer can be inside a short token.
    hex: bool,
    hash: bool,
    names: bool,
    v4: bool,
    v6: bool,
}

/// The inner tokens of a window (`inner`: token bytes of tokens that touch
/// neither window edge) worth a look, each marked by the separator after it; and
/// among them those for the IPv4 fast path (digits and three dots or more). Adding a mask `y` of bytes inside tokens to `inner` carries out of
/// exactly the tokens that hold a bit of `y`, onto the separator after each: one
/// add answers "which tokens hold a `y`" for the whole window. The `k`-th dot
/// of a token is a dot with `k - 1` dots before it in its token: `d & (inner + d)`
/// keeps the dots of `d` that are not the first of their token.
#[inline(always)]
fn inner_visits(want: Want, m: &View, hex16: u64, inner: u64) -> (u64, u64) {
    // No token in `inner` reaches bit 63: the adds never overflow.
    let ends_with = |y: u64| inner.wrapping_add(y) & !inner;
    let mut all = 0;
    let mut fast = 0;
    // A run of 32 or more hex digits covers an aligned 16-byte one; an inner
    // token is at most 63 bytes long.
    if want.hex {
        all |= ends_with(hex16 & inner);
    }
    // Tokens with letters, `-`, `_`, `:` or `@` (`other`) and a `.` or `@`:
    // names, e-mail, `address:port`; with two colons or more, IPv6. (One
    // colon and no dot is nothing but a hash, above: `A:`, `key:`.)
    let other = ends_with(m.other & inner);
    let dot_at = other & ends_with((m.dot | m.at) & inner);
    if want.names {
        all |= dot_at;
    } else if want.v4 {
        // Only `address:port` (and longer colon lists) can hold IPv4.
        all |= dot_at & ends_with(m.colon & inner);
    }
    if want.v6 {
        let c1 = m.colon & inner;
        all |= ends_with(c1 & inner.wrapping_add(c1));
    }
    if want.v4 {
        // Digits and dots: only an IPv4 address, which needs three dots
        // (times and durations, with one, are dropped here).
        let d1 = m.dot & inner;
        let d2 = d1 & inner.wrapping_add(d1);
        let d3 = d2 & inner.wrapping_add(d2);
        fast = ends_with(d3) & !other;
        all |= fast;
    }
    (all, fast)
}

/// The masks of a window that [`inner_visits`] and the window loop use.
#[derive(Debug, Clone, Copy)]
struct View {
    tok: u64,
    dot: u64,
    colon: u64,
    at: u64,
    /// [`Masks::other`].
    other: u64,
    /// Hex digits.
    hex: u64,
    nl: u64,
}

/// Character classes of a 64-byte window, one bit per byte.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Masks {
    /// Token bytes (letters, digits, `.`, `:`, `-`, `_`, `@`).
    tok: u64,
    dot: u64,
    colon: u64,
    at: u64,
    digit: u64,
    /// `a-f`, `A-F`.
    hexl: u64,
    /// `g-z`, `G-Z`, `-`, `_` (the rest of a token's bytes).
    word: u64,
    /// `\n`.
    nl: u64,
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

    /// The masks of the 64 bytes at `w` (zero bytes, all separators, past the end).
    #[inline(always)]
    fn at<const AVX2: bool>(buf: &[u8], w: usize) -> Masks {
        let n = buf.len();
        if w + 64 <= n {
            Masks::of::<AVX2>(&buf[w..w + 64])
        } else if w < n {
            let mut pad = [0u8; 64];
            pad[..n - w].copy_from_slice(&buf[w..]);
            Masks::of::<AVX2>(&pad)
        } else {
            Masks::default()
        }
    }

    /// What [`inner_visits`] and the window loop use.
    #[inline(always)]
    fn view(&self) -> View {
        View {
            tok: self.tok,
            dot: self.dot,
            colon: self.colon,
            at: self.at,
            other: self.other(),
            hex: self.digit | self.hexl,
            nl: self.nl,
        }
    }

    /// The [`CLASS`] bits present in bytes `s..e` of the window.
    #[inline]
    fn class_of(&self, s: usize, e: usize) -> u8 {
        debug_assert!(s < e && e <= 64);
        let r = (u64::MAX << s) & low_bits(e);
        let bit = |m: u64, c: u8| if m & r != 0 { c } else { 0 };
        bit(self.digit, DIGIT)
            | bit(self.hexl, HEXL)
            | bit(self.word, ALPHA | DASH)
            | bit(self.dot, DOT)
            | bit(self.colon, COLON)
            | bit(self.at, AT)
    }

    /// The masks from one class byte per input byte, looked up by nibble
    /// (`NIB_LO[low] & NIB_HI[high]`, two shuffles), then one shift and move-mask per
    /// class; `_` and `\n` by compare. Bytes of 0x80 and above look up zero.
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn of_avx2(w: &[u8]) -> Masks {
        use std::arch::x86_64::*;
        let mut m = Masks::default();
        // SAFETY: only reached from code compiled for AVX2 on a CPU that has it
        // (`Scanner::scan_windows_avx2`); the only memory accesses are unaligned
        // 32-byte loads from 32-byte slices of `w` and 16-byte loads of the tables.
        unsafe {
            let lo_t = _mm256_broadcastsi128_si256(_mm_loadu_si128(NIB_LO.as_ptr().cast()));
            let hi_t = _mm256_broadcastsi128_si256(_mm_loadu_si128(NIB_HI.as_ptr().cast()));
            let low4 = _mm256_set1_epi8(0x0F);
            let under = _mm256_set1_epi8(b'_' as i8);
            let newline = _mm256_set1_epi8(b'\n' as i8);
            let word = _mm256_set1_epi8((N_ALPHA_A | N_ALPHA_B | N_MINUS) as i8);
            let zero = _mm256_setzero_si256();
            let bits = |v: __m256i| u64::from(_mm256_movemask_epi8(v) as u32);
            let nbits = |v: __m256i| u64::from(!(_mm256_movemask_epi8(v) as u32));
            for k in 0..2 {
                let x = _mm256_loadu_si256(w[k * 32..k * 32 + 32].as_ptr().cast());
                // The low-nibble lookup needs no mask: bytes of 0x80 and above
                // look up zero, and they are separators.
                let c = _mm256_and_si256(
                    _mm256_shuffle_epi8(lo_t, x),
                    _mm256_shuffle_epi8(hi_t, _mm256_and_si256(_mm256_srli_epi16(x, 4), low4)),
                );
                let u = _mm256_cmpeq_epi8(x, under);
                let sh = k * 32;
                // Bit j of each byte to bit 7 (16-bit shifts: bit 7 of each byte
                // comes from the same byte).
                m.digit |= bits(_mm256_slli_epi16(c, 7)) << sh;
                m.hexl |= bits(_mm256_slli_epi16(c, 6)) << sh;
                m.dot |= bits(_mm256_slli_epi16(c, 3)) << sh;
                m.colon |= bits(_mm256_slli_epi16(c, 2)) << sh;
                m.at |= bits(_mm256_slli_epi16(c, 1)) << sh;
                m.word |= nbits(_mm256_cmpeq_epi8(
                    _mm256_and_si256(_mm256_or_si256(c, u), word),
                    zero,
                )) << sh;
                m.tok |= nbits(_mm256_cmpeq_epi8(_mm256_or_si256(c, u), zero)) << sh;
                m.nl |= bits(_mm256_cmpeq_epi8(x, newline)) << sh;
            }
        }
        m
    }

    /// `tok` from the class masks.
    #[inline(always)]
    fn derived(mut self) -> Masks {
        self.tok = self.spec() | self.digit | self.hexl | self.word;
        self
    }

    /// `.`, `:` and `@`: a token holding one can be an address, name or e-mail.
    #[inline(always)]
    fn spec(&self) -> u64 {
        self.dot | self.colon | self.at
    }

    /// Token bytes other than digits and `.`.
    #[inline(always)]
    fn other(&self) -> u64 {
        self.tok & !(self.digit | self.dot)
    }

    /// The first byte of each 16-byte-aligned run of hex digits: a run of 32 or more
    /// hex digits always covers one.
    #[inline(always)]
    fn hex16(&self) -> u64 {
        hex16_of(self.digit | self.hexl)
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
            let (dot, colon, at, minus, under, newline) = (
                set(b'.'),
                set(b':'),
                set(b'@'),
                set(b'-'),
                set(b'_'),
                set(b'\n'),
            );
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
                m.nl |= bits(_mm_cmpeq_epi8(x, newline)) << sh;
                m.dot |= bits(v_dot) << sh;
                m.colon |= bits(v_colon) << sh;
                m.at |= bits(v_at) << sh;
                m.digit |= bits(v_digit) << sh;
                m.hexl |= bits(v_hexl) << sh;
                m.word |= bits(_mm_or_si128(v_alpha, v_dash)) << sh;
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
            m.word |= on(c == ALPHA || c == DASH);
            m.nl |= on(b == b'\n');
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
    ids: Vec<u32>,
    /// The current token may hold a hex run of 32 or more (false only when the
    /// window masks prove it does not).
    hex_run: bool,
    /// Where the current window starts, its newlines, and the newlines before
    /// it ([`UNKNOWN_LINE`] outside the windows): a hit's line is counted from
    /// them only when there is a hit.
    win: usize,
    win_nl: u64,
    win_lines: u64,
}

impl Default for Scratch {
    fn default() -> Self {
        Scratch {
            text: String::new(),
            ids: Vec::new(),
            hex_run: true,
            win: 0,
            win_nl: 0,
            win_lines: UNKNOWN_LINE,
        }
    }
}

impl Scratch {
    #[inline(always)]
    fn window(&mut self, w: usize, nl: u64, lines: u64) {
        self.win = w;
        self.win_nl = nl;
        self.win_lines = lines;
    }

    /// Newlines before byte `p` of the current window (or after it, in a token
    /// that runs on: a token holds no newline).
    #[inline]
    fn line_of(&self, p: usize) -> u64 {
        if self.win_lines == UNKNOWN_LINE {
            return UNKNOWN_LINE;
        }
        let d = p - self.win;
        let below = if d >= 64 { u64::MAX } else { (1u64 << d) - 1 };
        self.win_lines + u64::from((self.win_nl & below).count_ones())
    }

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
            s.add(i, Source::stix(&v, &v, &v, true));
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
    fn v4_key_hash_is_perfect() {
        let mut slots: Vec<usize> = V4_SHAPES.iter().map(|t| v4_key_slot(t.key)).collect();
        slots.sort_unstable();
        slots.dedup();
        assert_eq!(slots.len(), 81);
        for (i, t) in V4_SHAPES.iter().enumerate() {
            assert_eq!(usize::from(V4_KEY_HASH[v4_key_slot(t.key)]), i);
            assert_eq!(t.key.count_ones(), 4);
        }
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

    /// Every octet spelling (1 to 3 digits, leading zeros, over 255) in every
    /// position, at every offset in a window: the windowed scanner (with and without
    /// AVX2) finds exactly what the plain tokenizer and `std` find.
    #[test]
    fn ipv4_octets_in_every_position() {
        let mut text = String::new();
        let mut want = Vec::new();
        for o in 0..1000u32 {
            for (k, t) in [
                format!("{o}.1.2.3"),
                format!("1.{o}.2.3"),
                format!("1.2.{o:02}.3"),
                format!("1.2.3.{o:03}"),
                format!("{o}.{o}.{o}.{o}"),
            ]
            .into_iter()
            .enumerate()
            {
                text.push_str(&" ".repeat((o as usize + k) % 7));
                text.push_str(&t);
                text.push(if o % 3 == 0 { '\n' } else { '\t' });
                if let Ok(a) = t.parse::<std::net::Ipv4Addr>() {
                    want.push(Ioc::Ipv4(u32::from(a)));
                }
            }
        }
        let s = set(want.clone());
        let sc = Scanner::new(&s);
        let (mut a, mut b, mut c) = (Vec::new(), Vec::new(), Vec::new());
        sc.scan(text.as_bytes(), &mut |h| a.push((h.start, h.end)));
        sc.scan_portable(text.as_bytes(), &mut |h| b.push((h.start, h.end)));
        sc.scan_reference(text.as_bytes(), &mut |h| c.push((h.start, h.end)));
        assert_eq!(a, c);
        assert_eq!(b, c);
        // Each valid spelling is found once; the invalid ones never.
        let found: Vec<&str> = c.iter().map(|&(x, y)| &text[x..y]).collect();
        for f in &found {
            assert!(f.parse::<std::net::Ipv4Addr>().is_ok(), "{f}");
        }
        let valid = text
            .split(['\n', '\t', ' '])
            .filter(|t| t.parse::<std::net::Ipv4Addr>().is_ok())
            .count();
        assert_eq!(found.len(), valid);
    }

    #[test]
    fn v6_colon_precheck_never_rejects_an_address() {
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        let mut tried = 0;
        for _ in 0..50_000 {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            // Random groups, some zeroed so that `::` compression shows up.
            let mut groups = [0u16; 8];
            for (i, g) in groups.iter_mut().enumerate() {
                if (rng >> (i + 8)) & 3 != 0 {
                    *g = (rng >> (i * 5)) as u16;
                }
            }
            let a = std::net::Ipv6Addr::from(groups);
            let expanded = groups.map(|g| format!("{g:x}")).join(":");
            let padded = groups.map(|g| format!("{g:04X}")).join(":");
            let o = a.octets();
            let tail = format!(
                "{}:{}.{}.{}.{}",
                groups[..6]
                    .iter()
                    .map(|g| format!("{g:x}"))
                    .collect::<Vec<_>>()
                    .join(":"),
                o[12],
                o[13],
                o[14],
                o[15]
            );
            for t in [a.to_string(), expanded, padded, tail] {
                assert!(t.parse::<std::net::Ipv6Addr>().is_ok(), "{t}");
                assert!(v6_colons_fit(t.as_bytes()), "{t}");
                tried += 1;
            }
        }
        assert_eq!(tried, 200_000);
        for ok in [
            "::1",
            "fe80::1",
            "1:2:3:4:5:6:7:8",
            "::ffff:1.2.3.4",
            "1:2:3:4:5:6:1.2.3.4",
        ] {
            assert!(v6_colons_fit(ok.as_bytes()), "{ok}");
        }
        assert!(!v6_colons_fit(b"00:11:22:33:44:55"));
        assert!(!v6_colons_fit(b"12:34:56"));
    }

    /// The IPv6 parser against `std` on spellings of random addresses and on
    /// near misses (a character dropped, doubled or changed).
    #[test]
    fn parse_v6_agrees_with_std() {
        let mut rng = 0x1234_5678_9abc_def1u64;
        let mut next = move || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        let std_v6 = |t: &[u8]| {
            std::str::from_utf8(t)
                .ok()
                .and_then(|t| t.parse::<std::net::Ipv6Addr>().ok())
                .map(u128::from)
        };
        let mut checked = 0;
        for _ in 0..20_000 {
            let r = next();
            let groups: Vec<u16> = (0..8)
                .map(|i| {
                    if (r >> (8 + i)) & 3 == 0 {
                        0
                    } else {
                        next() as u16
                    }
                })
                .collect();
            let a = std::net::Ipv6Addr::from([
                groups[0], groups[1], groups[2], groups[3], groups[4], groups[5], groups[6],
                groups[7],
            ]);
            for t in [
                a.to_string(),
                groups
                    .iter()
                    .map(|g| format!("{g:x}"))
                    .collect::<Vec<_>>()
                    .join(":"),
                groups
                    .iter()
                    .map(|g| format!("{g:04X}"))
                    .collect::<Vec<_>>()
                    .join(":"),
            ] {
                let t = t.into_bytes();
                assert_eq!(parse_v6(&t), Some(u128::from(a)));
                let i = next() as usize % t.len();
                let mut dropped = t.clone();
                dropped.remove(i);
                let mut doubled = t.clone();
                doubled.insert(i, t[i]);
                let mut changed = t.clone();
                changed[i] = b":0aAfFgG."[next() as usize % 9];
                for v in [dropped, doubled, changed] {
                    assert_eq!(parse_v6(&v), std_v6(&v), "{}", String::from_utf8_lossy(&v));
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 180_000);
        for t in [
            &b":1:2:3:4:5:6:7"[..],
            b"1:2:3:4:5:6:7:",
            b"1:2:3:4:5:6:7:8:9",
            b"12345:1:2:3:4:5:6:7",
            b"",
        ] {
            assert_eq!(parse_v6(t), std_v6(t), "{}", String::from_utf8_lossy(t));
        }
    }

    #[test]
    fn hex_decode_agrees_with_a_plain_parse() {
        let digits = b"0123456789abcdefABCDEF";
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for len in [0usize, 2, 14, 16, 18, 32, 40, 64, 128] {
            for _ in 0..200 {
                let src: Vec<u8> = (0..len)
                    .map(|_| {
                        seed ^= seed << 13;
                        seed ^= seed >> 7;
                        seed ^= seed << 17;
                        digits[(seed % digits.len() as u64) as usize]
                    })
                    .collect();
                let want: Vec<u8> = src
                    .chunks_exact(2)
                    .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
                    .collect();
                let mut got = vec![0u8; len / 2];
                hex_decode(&src, &mut got);
                assert_eq!(got, want, "{}", String::from_utf8_lossy(&src));
            }
        }
    }

    #[test]
    fn hex_bits16_is_is_ascii_hexdigit() {
        for base in (0..256).step_by(16) {
            let c: [u8; 16] = std::array::from_fn(|j| (base + j) as u8);
            let want = (0..16).fold(0, |m, j| m | u32::from(c[j].is_ascii_hexdigit()) << j);
            assert_eq!(hex_bits16(&c), want, "bytes from {base}");
        }
    }

    /// The hex runs of hash candidates (found 16 bytes at a time) against a plain
    /// search for maximal runs, on tokens of hex digits, other letters, `-` and `_`
    /// (tokens that only a hash can match), with runs of every length around the
    /// hash lengths, at every offset and at the end of the buffer.
    #[test]
    fn hash_runs_agree_with_a_plain_search() {
        let mut rng = 0x0bad_cafe_f00d_1234u64;
        let mut next = move || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        for round in 0..2000 {
            let mut text: Vec<u8> = vec![b' '; round % 17];
            for _ in 0..(1 + next() % 6) {
                let r = next();
                let len = [31, 32, 33, 39, 40, 41, 63, 64, 65, 127, 128, 129, 5][r as usize % 13];
                for _ in 0..len {
                    text.push(b"0123456789abcdefABCDEF"[next() as usize % 22]);
                }
                match (r >> 8) % 4 {
                    0 => text.push(b' '),
                    1 => text.push(b"gz-_"[(r >> 12) as usize % 4]),
                    2 => text.push(b'\n'),
                    _ => {}
                }
            }
            // The plain search: maximal hex runs inside tokens.
            let mut want = Vec::new();
            let mut i = 0;
            while i < text.len() {
                if text[i].is_ascii_hexdigit() {
                    let rs = i;
                    while i < text.len() && text[i].is_ascii_hexdigit() {
                        i += 1;
                    }
                    if matches!(i - rs, 32 | 40 | 64 | 128) {
                        want.push((rs, i));
                    }
                } else {
                    i += 1;
                }
            }
            let iocs = want
                .iter()
                .map(|&(a, b)| {
                    Ioc::Hash(
                        text[a..b]
                            .chunks(2)
                            .map(|p| (hex_val(p[0]) << 4) | hex_val(p[1]))
                            .collect(),
                    )
                })
                .collect();
            let s = set(iocs);
            let mut got = Vec::new();
            Scanner::new(&s).scan(&text, &mut |h| got.push((h.start, h.end)));
            assert_eq!(got, want, "{}", String::from_utf8_lossy(&text));
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
                assert_eq!(m.spec() >> i & 1 == 1, spec, "byte {b}");
            }
            for k in 0..4 {
                let all_hex = w[k * 16..k * 16 + 16].iter().all(u8::is_ascii_hexdigit);
                assert_eq!(m.hex16() >> (k * 16) & 1 == 1, all_hex);
            }
            assert_eq!(Masks::of::<false>(w), Masks::of_scalar(w));
            if std::arch::is_x86_feature_detected!("avx2") {
                assert_eq!(Masks::of_avx2(w), Masks::of_scalar(w));
            }
        }
        let hex = [b'a'; 64];
        assert_eq!(
            Masks::of::<false>(&hex).hex16(),
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
            Ioc::Url("http://example.com/a".into()),
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
            if pad % 3 == 0 {
                synth.extend_from_slice(b"GET http://example.com/a 200\n\n");
            }
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
            let (mut a, mut b, mut c) = (Vec::new(), Vec::new(), Vec::new());
            let na = sc.scan(t, &mut |h| a.push((h.start, h.end, h.sources, h.newlines)));
            sc.scan_reference(t, &mut |h| b.push((h.start, h.end, h.sources, h.newlines)));
            let nc = sc.scan_portable(t, &mut |h| c.push((h.start, h.end, h.sources, h.newlines)));
            assert!(!b.is_empty());
            assert_eq!(a, b);
            assert_eq!(c, b, "without AVX2");
            let lines = memchr::memchr_iter(b'\n', t).count() as u64;
            assert_eq!((na, nc), (lines, lines), "newlines counted from the masks");
            // Every split point: the same hits as a whole-buffer scan would give for
            // each half.
            for cut in [1, 63, 64, 65, 127, 128, 1000] {
                if cut < t.len() {
                    let (x, y) = t.split_at(cut);
                    for part in [x, y] {
                        let (mut a, mut b) = (Vec::new(), Vec::new());
                        let n = sc.scan(part, &mut |h| a.push((h.start, h.end, h.newlines)));
                        sc.scan_reference(part, &mut |h| b.push((h.start, h.end, h.newlines)));
                        assert_eq!(a, b);
                        assert_eq!(n, memchr::memchr_iter(b'\n', part).count() as u64);
                    }
                }
            }
        }
    }

    /// The differential check of the `hunt_scanner` fuzz target on many generated
    /// inputs (fixed seed): text made of fragments shaped like indicators and near
    /// misses (octets of every length, too many dots, hex runs one short or one
    /// long, IPv6 spellings, names, e-mail, long tokens across window edges), glued
    /// with and without separators; sets made of values taken from the text and of
    /// random ones.
    #[test]
    fn generated_inputs_agree_with_reference() {
        let mut rng = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        let hex = b"0123456789abcdefABCDEF";
        for round in 0..10_000 {
            let mut text = Vec::new();
            let target = 16 + (next() % 700) as usize;
            while text.len() < target {
                let r = next();
                match r % 16 {
                    0 | 1 => {
                        // Dotted numbers: 1 to 5 parts of 1 to 4 digits.
                        let parts = 1 + (r >> 8) % 5;
                        if (r >> 24) % 7 == 0 {
                            text.push(b'.');
                        }
                        for k in 0..parts {
                            if k > 0 {
                                text.push(b'.');
                            }
                            let v = (next()
                                % [10, 100, 300, 1000, 10000][(r >> (12 + k)) as usize % 5])
                                as u32;
                            if (r >> 20) % 9 == 0 {
                                text.push(b'0');
                            }
                            text.extend_from_slice(v.to_string().as_bytes());
                        }
                        if (r >> 27) % 7 == 0 {
                            text.push(b'.');
                        }
                    }
                    2 => text.extend_from_slice(
                        format!("{}.{:06}", 1_300_000_000 + r % 100_000_000, r % 1_000_000)
                            .as_bytes(),
                    ),
                    3 | 4 => {
                        let len = [15, 16, 31, 32, 33, 40, 41, 63, 64, 65, 128, 129]
                            [(r >> 8) as usize % 12];
                        let pool = if (r >> 16) % 4 == 0 {
                            &hex[..10]
                        } else {
                            &hex[..]
                        };
                        for _ in 0..len {
                            text.push(pool[next() as usize % pool.len()]);
                        }
                    }
                    5 => {
                        let g: Vec<u16> = (0..8)
                            .map(|i| {
                                if (r >> (8 + i)) & 1 == 0 {
                                    0
                                } else {
                                    next() as u16
                                }
                            })
                            .collect();
                        let a = std::net::Ipv6Addr::from([
                            g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7],
                        ]);
                        let t = match (r >> 20) % 3 {
                            0 => a.to_string(),
                            1 => g
                                .iter()
                                .map(|x| format!("{x:X}"))
                                .collect::<Vec<_>>()
                                .join(":"),
                            _ => format!(
                                "::ffff:{}.{}.{}.{}",
                                r % 256,
                                (r >> 30) % 256,
                                (r >> 40) % 300,
                                7
                            ),
                        };
                        text.extend_from_slice(t.as_bytes());
                    }
                    6 | 7 => {
                        let labels = 1 + (r >> 8) % 4;
                        for k in 0..labels {
                            if k > 0 {
                                text.push(b'.');
                            }
                            let n = 1 + (next() % 8) as usize;
                            for _ in 0..n {
                                text.push(b"abcxyzEXAMPLE-09"[next() as usize % 16]);
                            }
                        }
                        if (r >> 30) % 5 == 0 {
                            text.push(b'.');
                        }
                    }
                    8 => text.extend_from_slice(b"user@mail.example.org"),
                    9 => {
                        let n = 60 + (r >> 8) as usize % 140;
                        for _ in 0..n {
                            text.push(b"a1.b2-c3_d4e5f6"[next() as usize % 15]);
                        }
                    }
                    10 => text.push(b".:-_@"[(r >> 8) as usize % 5]),
                    11 => text.extend_from_slice(
                        format!(
                            "{}.{}.{}.{}:{}",
                            r % 256,
                            (r >> 8) % 256,
                            (r >> 16) % 256,
                            (r >> 24) % 256,
                            (r >> 32) % 65536
                        )
                        .as_bytes(),
                    ),
                    12 => text.extend_from_slice(&[0xC3, 0xA9, 0xFF][..1 + (r >> 8) as usize % 3]),
                    _ => {}
                }
                // Mostly a separator between fragments, sometimes none (they merge).
                if next() % 5 != 0 {
                    text.push(b" \t\n,\"/=("[next() as usize % 8]);
                }
            }
            // The set: values from the text (kind 6) and random ones.
            let mut spec = Vec::new();
            for _ in 0..(1 + next() % 60) {
                let r = next();
                if r % 3 == 0 {
                    spec.extend_from_slice(&r.to_le_bytes()[..]);
                    spec.extend_from_slice(&next().to_le_bytes()[..]);
                } else {
                    spec.push(6 | (r >> 8) as u8 & 0xF8);
                    spec.push((r >> 16) as u8);
                }
            }
            spec.truncate(255);
            let mut data = vec![spec.len() as u8];
            data.extend_from_slice(&spec);
            // A leading offset so that tokens sit at every position in a window.
            data.extend(std::iter::repeat_n(b' ', round % 64));
            data.extend_from_slice(&text);
            fuzzing::check(&data);
        }
    }
}
