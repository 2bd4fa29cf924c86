//! The indicator set: every sweepable value, keyed for exact lookups.
//!
//! Values are stored in canonical form (IPv4/IPv6 as integers, so every textual
//! spelling of an address matches; domains, e-mail addresses and hashes lower-case;
//! hashes as raw bytes). Each value points at the indicators it came from.

use rustc_hash::FxHashMap;

/// One sweepable value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Ioc {
    Ipv4(u32),
    Ipv4Net {
        addr: u32,
        prefix: u8,
    },
    Ipv6(u128),
    Ipv6Net {
        addr: u128,
        prefix: u8,
    },
    /// Lower-case, no trailing dot. With `subdomains`, only names below it match.
    Domain {
        name: String,
        subdomains: bool,
    },
    Url(String),
    Email(String),
    /// Raw hash bytes (16, 20, 32 or 64 of them).
    Hash(Vec<u8>),
}

impl Ioc {
    /// The canonical text of the value (IPv6 per RFC 5952, lower-case hex).
    pub fn canonical(&self) -> String {
        match self {
            Ioc::Ipv4(a) => std::net::Ipv4Addr::from(*a).to_string(),
            Ioc::Ipv4Net { addr, prefix } => {
                format!("{}/{prefix}", std::net::Ipv4Addr::from(*addr))
            }
            Ioc::Ipv6(a) => std::net::Ipv6Addr::from(*a).to_string(),
            Ioc::Ipv6Net { addr, prefix } => {
                format!("{}/{prefix}", std::net::Ipv6Addr::from(*addr))
            }
            Ioc::Domain { name, subdomains } => {
                if *subdomains {
                    format!("*.{name}")
                } else {
                    name.clone()
                }
            }
            Ioc::Url(u) | Ioc::Email(u) => u.clone(),
            Ioc::Hash(h) => hex_lower(h),
        }
    }
}

/// Lower-case hex of bytes.
pub fn hex_lower(b: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(b.len() * 2);
    for &x in b {
        s.push(HEX[(x >> 4) as usize] as char);
        s.push(HEX[(x & 15) as usize] as char);
    }
    s
}

/// Where a value came from.
#[derive(Debug, Clone)]
pub struct Source {
    /// The indicator and comparison it belongs to.
    pub label: Label,
    /// The indicator's value as a canonical string (what `indicator_value` shows).
    pub value: String,
    /// False when the pattern needs more than one record shows (matches are partial).
    pub whole: bool,
    /// Validity window in Unix seconds, when the indicator states one.
    pub valid_from: Option<i64>,
    pub valid_until: Option<i64>,
}

impl Source {
    /// A value of a STIX indicator, valid at all times.
    pub fn stix(indicator: &str, atom: &str, value: &str, whole: bool) -> Source {
        Source {
            label: Label::Stix {
                indicator: indicator.to_owned(),
                atom: atom.to_owned(),
            },
            value: value.to_owned(),
            whole,
            valid_from: None,
            valid_until: None,
        }
    }
}

/// Which indicator a value belongs to.
#[derive(Debug, Clone)]
pub enum Label {
    /// A STIX indicator: its id, and the comparison the value came from, as written.
    Stix { indicator: String, atom: String },
    /// A value of a plain list (one value per line): its indicator id and pattern
    /// are derived when a hit needs them, by the list's [`PlainList`] (a list can
    /// hold millions of values, and only the few that hit need names).
    Plain {
        /// Index of the list ([`IocSet::add_list`]).
        list: u32,
        /// The list's code for the value's kind (its [`PlainList::name`] decodes it).
        kind: u8,
        /// The value as the list's namer needs it, when it differs from the
        /// canonical [`Source::value`].
        raw: Option<Box<str>>,
    },
}

/// A plain indicator list: who published it (the natural-key publisher of its
/// values' ids) and how a value's kind and text give its id's natural key and
/// its STIX pattern.
#[derive(Debug, Clone)]
pub struct PlainList {
    pub publisher: String,
    /// `(kind code, value)` to `(natural key, pattern)`; the indicator id is
    /// `stormwatch_model::deterministic_id(publisher, "indicator", natural key)`.
    pub name: fn(u8, &str) -> (String, String),
}

/// The sources of one value: one, inline, or several (most values have one).
#[derive(Debug, Clone)]
enum Ids {
    One(u32),
    Many(Vec<u32>),
}

impl Ids {
    fn push(&mut self, i: u32) {
        match self {
            Ids::One(a) => {
                let a = *a;
                *self = Ids::Many(vec![a, i]);
            }
            Ids::Many(v) => v.push(i),
        }
    }

    fn as_slice(&self) -> &[u32] {
        match self {
            Ids::One(a) => std::slice::from_ref(a),
            Ids::Many(v) => v,
        }
    }
}

/// Adds source `i` to the value `k` of a map.
fn insert<K: std::hash::Hash + Eq>(map: &mut FxHashMap<K, Ids>, k: K, i: u32) {
    map.entry(k)
        .and_modify(|v| v.push(i))
        .or_insert(Ids::One(i));
}

/// The indicator set.
#[derive(Debug, Default)]
pub struct IocSet {
    sources: Vec<Source>,
    lists: Vec<PlainList>,
    v4: FxHashMap<u32, Ids>,
    v4_nets: Vec<(u32, u32, u32)>,
    v6: FxHashMap<u128, Ids>,
    v6_nets: Vec<(u128, u128, u32)>,
    domains: FxHashMap<String, Ids>,
    subdomains: FxHashMap<String, Ids>,
    urls: FxHashMap<String, Ids>,
    emails: FxHashMap<String, Ids>,
    hashes: FxHashMap<Vec<u8>, Ids>,
    hash_lengths: [bool; 4],
    allow: Vec<Ioc>,
    /// One-hash Bloom filters over exact IPv4 values, exact domain names and
    /// subdomain parents: the scanner asks them before building a lookup key, so
    /// the common token that is no indicator costs a hash and one bit test.
    v4_bits: Bits,
    domain_bits: Bits,
    subdomain_bits: Bits,
}

/// A blocked Bloom filter: each member sets two bits of one 64-bit word (the word
/// from the hash's high bits, the bits from its middle ones: one memory access per
/// test), rebuilt as it fills so that it keeps at least 16 bits per member. With 16
/// to 32 bits per member about 1 test in 150 to 500 is a false positive (one bit per
/// member: 1 in 16 to 32), each of which costs a hash-map lookup.
#[derive(Debug, Default, Clone)]
struct Bits {
    words: Vec<u64>,
    /// log2 of the number of bits.
    shift: u32,
    members: Vec<u64>,
}

impl Bits {
    fn insert(&mut self, h: u64) {
        self.members.push(h);
        let want = (self.members.len() * 16).next_power_of_two().max(1 << 12);
        let bits = self.words.len() * 64;
        if want > bits {
            let shift = want.trailing_zeros();
            self.words = vec![0; want / 64];
            self.shift = shift;
            let members = std::mem::take(&mut self.members);
            for &m in &members {
                self.set(m);
            }
            self.members = members;
        } else {
            self.set(h);
        }
    }

    /// Sizes the filter for `more` members beyond those it has, so that adding them
    /// does not rebuild it on the way.
    fn reserve(&mut self, more: usize) {
        let want = ((self.members.len() + more) * 16)
            .next_power_of_two()
            .max(1 << 12);
        if want > self.words.len() * 64 {
            self.words = vec![0; want / 64];
            self.shift = want.trailing_zeros();
            let members = std::mem::take(&mut self.members);
            for &m in &members {
                self.set(m);
            }
            self.members = members;
        }
        self.members.reserve(more);
    }

    /// The word and the two bits of hash `h` (`shift` >= 12).
    #[inline(always)]
    fn slot(&self, h: u64) -> (usize, u64) {
        let word = (h >> (64 - (self.shift - 6))) as usize;
        // Middle bits for the two bits (a multiply's low bits are weak), below the
        // word index for any filter under 2^38 bits.
        (word, (1 << ((h >> 20) & 63)) | (1 << ((h >> 26) & 63)))
    }

    fn set(&mut self, h: u64) {
        let (w, m) = self.slot(h);
        self.words[w] |= m;
    }

    #[inline]
    fn maybe(&self, h: u64) -> bool {
        if self.words.is_empty() {
            return false;
        }
        let (w, m) = self.slot(h);
        self.words[w] & m == m
    }
}

const MIX: u64 = 0x9E37_79B9_7F4A_7C15;

/// The filter hash of an IPv4 address.
#[inline]
fn v4_hash(a: u32) -> u64 {
    (u64::from(a) ^ 0x5bd1_e995).wrapping_mul(MIX)
}

/// The filter hash of a name, case-folded (`| 0x20` on every byte: equal for names
/// equal but for ASCII case, and token bytes fold to nothing else), eight bytes at a
/// time.
#[inline]
fn name_hash(name: &[u8]) -> u64 {
    const FOLD: u64 = 0x2020_2020_2020_2020;
    let mut h = (name.len() as u64).wrapping_mul(MIX);
    let mut chunks = name.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = (h ^ (u64::from_le_bytes(w) | FOLD))
            .wrapping_mul(MIX)
            .rotate_left(29);
    }
    let rest = chunks.remainder();
    let r = rest.len();
    if r > 0 {
        // The last 1 to 7 bytes from two overlapping loads (no copy through a
        // stack buffer, whose partial stores would stall the load after them);
        // with the length hashed first, different tails stay different.
        let u32_at = |i: usize| {
            let mut w = [0u8; 4];
            w.copy_from_slice(&rest[i..i + 4]);
            u64::from(u32::from_le_bytes(w))
        };
        let w = if r >= 4 {
            u32_at(0) | (u32_at(r - 4) << 32)
        } else {
            u64::from(rest[0]) | (u64::from(rest[r / 2]) << 8) | (u64::from(rest[r - 1]) << 16)
        };
        h = (h ^ (w | FOLD)).wrapping_mul(MIX).rotate_left(29);
    }
    (h ^ (h >> 31)).wrapping_mul(MIX)
}

fn hash_slot(len: usize) -> Option<usize> {
    match len {
        16 => Some(0),
        20 => Some(1),
        32 => Some(2),
        64 => Some(3),
        _ => None,
    }
}

fn net_range_v4(addr: u32, prefix: u8) -> (u32, u32) {
    let p = u32::from(prefix.min(32));
    let mask = if p == 0 { 0 } else { u32::MAX << (32 - p) };
    (addr & mask, (addr & mask) | !mask)
}

fn net_range_v6(addr: u128, prefix: u8) -> (u128, u128) {
    let p = u32::from(prefix.min(128));
    let mask = if p == 0 { 0 } else { u128::MAX << (128 - p) };
    (addr & mask, (addr & mask) | !mask)
}

impl IocSet {
    /// Adds a value with its source.
    pub fn add(&mut self, ioc: Ioc, source: Source) {
        let i = self.sources.len() as u32;
        self.sources.push(source);
        match ioc {
            Ioc::Ipv4(a) => {
                self.v4_bits.insert(v4_hash(a));
                insert(&mut self.v4, a, i)
            }
            Ioc::Ipv4Net { addr, prefix } => {
                let (lo, hi) = net_range_v4(addr, prefix);
                let at = self.v4_nets.partition_point(|x| *x < (lo, hi, i));
                self.v4_nets.insert(at, (lo, hi, i));
            }
            Ioc::Ipv6(a) => insert(&mut self.v6, a, i),
            Ioc::Ipv6Net { addr, prefix } => {
                let (lo, hi) = net_range_v6(addr, prefix);
                let at = self.v6_nets.partition_point(|x| *x < (lo, hi, i));
                self.v6_nets.insert(at, (lo, hi, i));
            }
            Ioc::Domain { name, subdomains } => {
                let (map, bits) = if subdomains {
                    (&mut self.subdomains, &mut self.subdomain_bits)
                } else {
                    (&mut self.domains, &mut self.domain_bits)
                };
                bits.insert(name_hash(name.as_bytes()));
                insert(map, name, i);
            }
            Ioc::Url(u) => insert(&mut self.urls, u, i),
            Ioc::Email(e) => insert(&mut self.emails, e, i),
            Ioc::Hash(h) => {
                if let Some(s) = hash_slot(h.len()) {
                    self.hash_lengths[s] = true;
                }
                insert(&mut self.hashes, h, i);
            }
        }
    }

    /// Adds many values (a big list) at once: the maps and filters are sized
    /// for them first instead of growing as they come.
    pub fn add_all(&mut self, values: Vec<(Ioc, Source)>) {
        let mut n = [0usize; 8];
        for (ioc, _) in &values {
            let k = match ioc {
                Ioc::Ipv4(_) => 0,
                Ioc::Ipv6(_) => 1,
                Ioc::Domain {
                    subdomains: false, ..
                } => 2,
                Ioc::Domain {
                    subdomains: true, ..
                } => 3,
                Ioc::Url(_) => 4,
                Ioc::Email(_) => 5,
                Ioc::Hash(_) => 6,
                Ioc::Ipv4Net { .. } | Ioc::Ipv6Net { .. } => 7,
            };
            n[k] += 1;
        }
        self.sources.reserve(values.len());
        self.v4.reserve(n[0]);
        self.v4_bits.reserve(n[0]);
        self.v6.reserve(n[1]);
        self.domains.reserve(n[2]);
        self.domain_bits.reserve(n[2]);
        self.subdomains.reserve(n[3]);
        self.subdomain_bits.reserve(n[3]);
        self.urls.reserve(n[4]);
        self.emails.reserve(n[5]);
        self.hashes.reserve(n[6]);
        for (ioc, src) in values {
            self.add(ioc, src);
        }
    }

    /// Values that must never be reported (known-good infrastructure, `--allow`).
    pub fn allow(&mut self, ioc: Ioc) {
        self.allow.push(ioc);
    }

    /// Whether a value is allow-listed.
    pub fn allowed(&self, ioc: &Ioc) -> bool {
        self.allow.iter().any(|a| match (a, ioc) {
            (Ioc::Ipv4Net { addr, prefix }, Ioc::Ipv4(x)) => {
                let (lo, hi) = net_range_v4(*addr, *prefix);
                (lo..=hi).contains(x)
            }
            (Ioc::Ipv6Net { addr, prefix }, Ioc::Ipv6(x)) => {
                let (lo, hi) = net_range_v6(*addr, *prefix);
                (lo..=hi).contains(x)
            }
            (
                Ioc::Domain {
                    name,
                    subdomains: true,
                },
                Ioc::Domain { name: n, .. },
            ) => {
                n.len() > name.len()
                    && n.ends_with(name.as_str())
                    && n.as_bytes()[n.len() - name.len() - 1] == b'.'
            }
            (a, b) => a == b,
        })
    }

    pub fn source(&self, i: u32) -> &Source {
        &self.sources[i as usize]
    }

    /// Registers a plain list; its values' [`Label::Plain`] name it by the index
    /// returned.
    pub fn add_list(&mut self, list: PlainList) -> u32 {
        self.lists.push(list);
        (self.lists.len() - 1) as u32
    }

    /// The STIX id of source `i`'s indicator.
    pub fn indicator(&self, i: u32) -> std::borrow::Cow<'_, str> {
        let s = self.source(i);
        match &s.label {
            Label::Stix { indicator, .. } => indicator.into(),
            Label::Plain { list, kind, raw } => match self.lists.get(*list as usize) {
                Some(l) => {
                    let (key, _) = (l.name)(*kind, raw.as_deref().unwrap_or(&s.value));
                    stormwatch_model::deterministic_id(&l.publisher, "indicator", &key).into()
                }
                None => String::new().into(),
            },
        }
    }

    /// The comparison source `i` came from (a STIX pattern or a part of one).
    pub fn atom(&self, i: u32) -> std::borrow::Cow<'_, str> {
        let s = self.source(i);
        match &s.label {
            Label::Stix { atom, .. } => atom.into(),
            Label::Plain { list, kind, raw } => match self.lists.get(*list as usize) {
                Some(l) => (l.name)(*kind, raw.as_deref().unwrap_or(&s.value)).1.into(),
                None => String::new().into(),
            },
        }
    }

    pub fn len(&self) -> usize {
        self.sources.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }

    pub fn has_ipv4(&self) -> bool {
        !self.v4.is_empty() || !self.v4_nets.is_empty()
    }
    pub fn has_ipv6(&self) -> bool {
        !self.v6.is_empty() || !self.v6_nets.is_empty()
    }
    pub fn has_domains(&self) -> bool {
        !self.domains.is_empty() || !self.subdomains.is_empty()
    }
    pub fn has_urls(&self) -> bool {
        !self.urls.is_empty()
    }
    pub fn has_emails(&self) -> bool {
        !self.emails.is_empty()
    }
    /// Whether some hash of this byte length is wanted.
    pub fn wants_hash_len(&self, bytes: usize) -> bool {
        hash_slot(bytes).is_some_and(|s| self.hash_lengths[s])
    }

    /// False when no IPv4 indicator can match `a` (a filter: true may be a false
    /// positive).
    #[inline]
    pub fn maybe_v4(&self, a: u32) -> bool {
        !self.v4_nets.is_empty() || self.v4_bits.maybe(v4_hash(a))
    }

    /// False when no domain indicator can match the name (any case, no trailing
    /// dot): neither the name itself nor, for subdomain indicators, a parent.
    #[inline]
    pub fn maybe_domain(&self, name: &[u8]) -> bool {
        if self.domain_bits.maybe(name_hash(name)) {
            return true;
        }
        if !self.subdomains.is_empty() {
            for (i, &b) in name.iter().enumerate() {
                if b == b'.' && self.subdomain_bits.maybe(name_hash(&name[i + 1..])) {
                    return true;
                }
            }
        }
        false
    }

    /// Sources of an IPv4 address (exact and CIDR).
    pub fn lookup_v4(&self, a: u32, out: &mut Vec<u32>) {
        if !self.maybe_v4(a) {
            return;
        }
        if let Some(v) = self.v4.get(&a) {
            out.extend_from_slice(v.as_slice());
        }
        if !self.v4_nets.is_empty() {
            let end = self.v4_nets.partition_point(|(lo, _, _)| *lo <= a);
            out.extend(
                self.v4_nets[..end]
                    .iter()
                    .filter(|(_, hi, _)| a <= *hi)
                    .map(|(_, _, i)| *i),
            );
        }
    }

    /// Sources of an IPv6 address (exact and CIDR).
    pub fn lookup_v6(&self, a: u128, out: &mut Vec<u32>) {
        if let Some(v) = self.v6.get(&a) {
            out.extend_from_slice(v.as_slice());
        }
        if !self.v6_nets.is_empty() {
            let end = self.v6_nets.partition_point(|(lo, _, _)| *lo <= a);
            out.extend(
                self.v6_nets[..end]
                    .iter()
                    .filter(|(_, hi, _)| a <= *hi)
                    .map(|(_, _, i)| *i),
            );
        }
    }

    /// Sources of a domain name (lower-case, no trailing dot): exact, and every
    /// parent domain registered for subdomains.
    pub fn lookup_domain(&self, d: &str, out: &mut Vec<u32>) {
        if let Some(v) = self.domains.get(d) {
            out.extend_from_slice(v.as_slice());
        }
        if !self.subdomains.is_empty() {
            let mut rest = d;
            while let Some(dot) = rest.find('.') {
                rest = &rest[dot + 1..];
                if let Some(v) = self.subdomains.get(rest) {
                    out.extend_from_slice(v.as_slice());
                }
            }
        }
    }

    pub fn lookup_url(&self, u: &str, out: &mut Vec<u32>) {
        if let Some(v) = self.urls.get(u) {
            out.extend_from_slice(v.as_slice());
        }
    }

    pub fn lookup_email(&self, e: &str, out: &mut Vec<u32>) {
        if let Some(v) = self.emails.get(e) {
            out.extend_from_slice(v.as_slice());
        }
    }

    pub fn lookup_hash(&self, h: &[u8], out: &mut Vec<u32>) {
        if let Some(v) = self.hashes.get(h) {
            out.extend_from_slice(v.as_slice());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_have_no_false_negatives() {
        let mut set = IocSet::default();
        let mut names = Vec::new();
        for i in 0..5000u32 {
            set.add(Ioc::Ipv4(i.wrapping_mul(2_654_435_761)), src("x"));
            let n = format!("host{i}.Example{}.com", i % 7);
            set.add(
                Ioc::Domain {
                    name: n.to_ascii_lowercase(),
                    subdomains: i % 2 == 0,
                },
                src("x"),
            );
            names.push((n, i % 2 == 0));
        }
        for i in 0..5000u32 {
            assert!(set.maybe_v4(i.wrapping_mul(2_654_435_761)));
        }
        for (n, sub) in &names {
            let upper = n.to_ascii_uppercase();
            if *sub {
                assert!(set.maybe_domain(format!("a.b.{upper}").as_bytes()), "{n}");
            } else {
                assert!(set.maybe_domain(upper.as_bytes()), "{n}");
            }
        }
        let misses = (0..10_000u32)
            .filter(|i| set.maybe_v4(0xC000_0000 | i))
            .count();
        assert!(misses < 100, "{misses} false positives in 10,000");
    }

    fn src(v: &str) -> Source {
        Source::stix(&format!("indicator--{v}"), v, v, true)
    }

    #[test]
    fn nets_and_subdomains() {
        let mut s = IocSet::default();
        s.add(
            Ioc::Ipv4Net {
                addr: 0x0a00_0000,
                prefix: 8,
            },
            src("10/8"),
        );
        s.add(Ioc::Ipv4(0x0102_0304), src("1.2.3.4"));
        s.add(
            Ioc::Domain {
                name: "example.com".into(),
                subdomains: true,
            },
            src("*.example.com"),
        );
        let mut out = Vec::new();
        s.lookup_v4(0x0a01_0203, &mut out);
        assert_eq!(out, vec![0]);
        out.clear();
        s.lookup_v4(0x0b00_0000, &mut out);
        assert!(out.is_empty());
        s.lookup_domain("a.b.example.com", &mut out);
        assert_eq!(out, vec![2]);
        out.clear();
        s.lookup_domain("example.com", &mut out);
        assert!(out.is_empty(), "subdomains only");
        s.lookup_domain("notexample.com", &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn allow_list() {
        let mut s = IocSet::default();
        s.allow(Ioc::Ipv4Net {
            addr: 0xc0a8_0000,
            prefix: 16,
        });
        assert!(s.allowed(&Ioc::Ipv4(0xc0a8_0101)));
        assert!(!s.allowed(&Ioc::Ipv4(0xc0a9_0101)));
    }
}
