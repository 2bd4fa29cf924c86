//! A JSON-lines record reader that fills only the fields a group reads: the object is
//! walked once, strings of unread keys are skipped with memchr, nested objects are
//! flattened with dotted keys (`process.command_line`), arrays become list values.
//! The walk checks the syntax, so a record that is not valid JSON is an error with
//! its column.

use crate::engine::{Group, Rec};

pub struct J<'a> {
    b: &'a [u8],
    i: usize,
    /// Scratch for unescaped strings.
    buf: String,
    /// Key slots by key ordinal, from the previous record of the same group: records of
    /// one log share their key order, so a byte comparison replaces a hash lookup.
    keys: KeyCache,
    /// The next key ordinal.
    k: usize,
}

type R<T> = Result<T, String>;

/// A value read: into its slot (when a rule reads the key) and the keyword full text.
fn emit(rec: &mut Rec, slot: Option<u16>, full: bool, text: &str) {
    if let Some(s) = slot {
        rec.push(s, text);
    }
    if full {
        rec.push_full(text);
    }
}

/// Key slots by key ordinal.
type KeyCache = Vec<(Key, Option<u16>)>;

/// A key as the slot cache compares it: length and first 16 bytes inline (exact for
/// short keys, the common case), the whole key for longer ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Key {
    len: usize,
    head: [u64; 2],
    long: Vec<u8>,
}

impl Key {
    fn head(k: &[u8]) -> [u64; 2] {
        let mut b = [0u8; 16];
        let n = k.len().min(16);
        b[..n].copy_from_slice(&k[..n]);
        [
            u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
            u64::from_le_bytes([b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]]),
        ]
    }

    fn is(&self, k: &[u8]) -> bool {
        self.len == k.len() && self.head == Key::head(k) && (k.len() <= 16 || self.long == k)
    }

    fn set(&mut self, k: &[u8]) {
        self.len = k.len();
        self.head = Key::head(k);
        self.long.clear();
        if k.len() > 16 {
            self.long.extend_from_slice(k);
        }
    }
}

impl<'a> J<'a> {
    pub fn new(b: &'a [u8]) -> J<'a> {
        J {
            b,
            i: 0,
            buf: String::new(),
            keys: Vec::new(),
            k: 0,
        }
    }

    fn err<T>(&self, what: &str) -> R<T> {
        Err(format!("not valid JSON at column {}: {what}", self.i + 1))
    }

    fn ws(&mut self) {
        while self.i < self.b.len() && matches!(self.b[self.i], b' ' | b'\t' | b'\r' | b'\n') {
            self.i += 1;
        }
    }

    /// Skips a string (at its opening quote); returns the raw content range and whether
    /// it has escapes.
    fn skip_string(&mut self) -> R<(usize, usize, bool)> {
        let start = self.i + 1;
        let mut j = start;
        let mut esc = false;
        // Most strings are short: eight bytes at a time beats setting up a vector search.
        const LO: u64 = 0x0101_0101_0101_0101;
        const HI: u64 = 0x8080_8080_8080_8080;
        let lim = (start + 64).min(self.b.len());
        while j + 8 <= lim {
            let Ok(word) = <[u8; 8]>::try_from(&self.b[j..j + 8]) else {
                break;
            };
            let w = u64::from_le_bytes(word);
            let q = w ^ (LO * b'"' as u64);
            let e = w ^ (LO * b'\\' as u64);
            // The lowest set bit marks the first quote or backslash exactly.
            let m = (q.wrapping_sub(LO) & !q & HI) | (e.wrapping_sub(LO) & !e & HI);
            if m != 0 {
                j += (m.trailing_zeros() / 8) as usize;
                if self.b[j] == b'"' {
                    self.i = j + 1;
                    return Ok((start, j, false));
                }
                break;
            }
            j += 8;
        }
        loop {
            match memchr::memchr2(b'"', b'\\', &self.b[j..]) {
                None => {
                    self.i = self.b.len();
                    return self.err("unterminated string");
                }
                Some(k) => {
                    let p = j + k;
                    if self.b[p] == b'"' {
                        self.i = p + 1;
                        return Ok((start, p, esc));
                    }
                    esc = true;
                    j = p + 2;
                    if j > self.b.len() {
                        self.i = self.b.len();
                        return self.err("unterminated string");
                    }
                }
            }
        }
    }

    /// Unescapes `b[s..e]` into `self.buf`.
    fn unescape(&mut self, s: usize, e: usize) -> R<()> {
        self.buf.clear();
        let raw = &self.b[s..e];
        let mut i = 0;
        let mut out: Vec<u8> = Vec::with_capacity(raw.len());
        while i < raw.len() {
            let c = raw[i];
            if c != b'\\' {
                if c < 0x20 {
                    self.i = s + i;
                    return self.err("a control character inside a string");
                }
                out.push(c);
                i += 1;
                continue;
            }
            let Some(&n) = raw.get(i + 1) else {
                return self.err("a bad escape");
            };
            i += 2;
            match n {
                b'"' => out.push(b'"'),
                b'\\' => out.push(b'\\'),
                b'/' => out.push(b'/'),
                b'b' => out.push(8),
                b'f' => out.push(12),
                b'n' => out.push(b'\n'),
                b'r' => out.push(b'\r'),
                b't' => out.push(b'\t'),
                b'u' => {
                    let hex = |k: usize| -> Option<u32> {
                        let h = raw.get(k..k + 4)?;
                        u32::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()
                    };
                    let Some(mut cp) = hex(i) else {
                        self.i = s + i;
                        return self.err("a bad \\u escape");
                    };
                    i += 4;
                    if (0xD800..0xDC00).contains(&cp)
                        && raw.get(i) == Some(&b'\\')
                        && raw.get(i + 1) == Some(&b'u')
                    {
                        if let Some(lo) = hex(i + 2).filter(|lo| (0xDC00..0xE000).contains(lo)) {
                            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                            i += 6;
                        }
                    }
                    let ch = char::from_u32(cp).unwrap_or('\u{FFFD}');
                    let mut tmp = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut tmp).as_bytes());
                }
                _ => {
                    self.i = s + i - 1;
                    return self.err("a bad escape");
                }
            }
        }
        self.buf = match String::from_utf8(out) {
            Ok(s) => s,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        };
        Ok(())
    }

    fn string_value(&mut self) -> R<()> {
        let (s, e, esc) = self.skip_string()?;
        if esc {
            self.unescape(s, e)
        } else {
            self.buf.clear();
            match std::str::from_utf8(&self.b[s..e]) {
                Ok(x) => self.buf.push_str(x),
                Err(_) => self.buf.push_str(&String::from_utf8_lossy(&self.b[s..e])),
            }
            if self.b[s..e].iter().any(|&c| c < 0x20) {
                return self.err("a control character inside a string");
            }
            Ok(())
        }
    }

    /// A number or literal: returns its text range.
    fn scalar(&mut self) -> R<(usize, usize)> {
        let s = self.i;
        while self.i < self.b.len()
            && !matches!(
                self.b[self.i],
                b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n'
            )
        {
            self.i += 1;
        }
        let t = &self.b[s..self.i];
        let ok = matches!(t, b"true" | b"false" | b"null")
            || (!t.is_empty()
                && t.iter()
                    .all(|c| c.is_ascii_digit() || matches!(c, b'-' | b'+' | b'.' | b'e' | b'E'))
                && (t[0].is_ascii_digit() || t[0] == b'-'));
        if !ok {
            self.i = s;
            return self.err("expected a value");
        }
        Ok((s, self.i))
    }

    /// Skips any value (validating it).
    fn skip_value(&mut self, depth: usize) -> R<()> {
        if depth > 64 {
            return self.err("nested deeper than 64 levels");
        }
        self.ws();
        match self.b.get(self.i) {
            None => self.err("expected a value"),
            Some(b'"') => self.skip_string().map(|_| ()),
            Some(b'{') => {
                self.i += 1;
                self.ws();
                if self.b.get(self.i) == Some(&b'}') {
                    self.i += 1;
                    return Ok(());
                }
                loop {
                    self.ws();
                    if self.b.get(self.i) != Some(&b'"') {
                        return self.err("expected a key");
                    }
                    self.skip_string()?;
                    self.ws();
                    if self.b.get(self.i) != Some(&b':') {
                        return self.err("expected `:`");
                    }
                    self.i += 1;
                    self.skip_value(depth + 1)?;
                    self.ws();
                    match self.b.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(());
                        }
                        _ => return self.err("expected `,` or `}`"),
                    }
                }
            }
            Some(b'[') => {
                self.i += 1;
                self.ws();
                if self.b.get(self.i) == Some(&b']') {
                    self.i += 1;
                    return Ok(());
                }
                loop {
                    self.skip_value(depth + 1)?;
                    self.ws();
                    match self.b.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(());
                        }
                        _ => return self.err("expected `,` or `]`"),
                    }
                }
            }
            Some(_) => self.scalar().map(|_| ()),
        }
    }

    /// Reads an object into `rec` (keys prefixed with `prefix`).
    pub fn object(
        &mut self,
        g: &Group,
        rec: &mut Rec,
        full: bool,
        prefix: &mut Vec<u8>,
        depth: usize,
    ) -> R<()> {
        if depth > 64 {
            return self.err("nested deeper than 64 levels");
        }
        self.ws();
        if self.b.get(self.i) != Some(&b'{') {
            return self.err("a record must be a JSON object");
        }
        self.i += 1;
        self.ws();
        if self.b.get(self.i) == Some(&b'}') {
            self.i += 1;
            return Ok(());
        }
        let plen = prefix.len();
        loop {
            self.ws();
            if self.b.get(self.i) != Some(&b'"') {
                return self.err("expected a key");
            }
            let (ks, ke, kesc) = self.skip_string()?;
            prefix.truncate(plen);
            if kesc {
                self.unescape(ks, ke)?;
                prefix.extend_from_slice(self.buf.as_bytes());
            } else {
                prefix.extend_from_slice(&self.b[ks..ke]);
            }
            self.ws();
            if self.b.get(self.i) != Some(&b':') {
                return self.err("expected `:` after a key");
            }
            self.i += 1;
            self.ws();
            let slot = match self.keys.get_mut(self.k) {
                Some((k, s)) if k.is(prefix) => *s,
                Some(e) => {
                    let s = g.slot(prefix);
                    e.0.set(prefix);
                    e.1 = s;
                    s
                }
                None => {
                    let s = g.slot(prefix);
                    let mut k = Key::default();
                    k.set(prefix);
                    self.keys.push((k, s));
                    s
                }
            };
            self.k += 1;
            match self.b.get(self.i) {
                None => return self.err("expected a value"),
                Some(b'"') => {
                    if slot.is_some() || full {
                        self.string_value()?;
                        emit(rec, slot, full, &self.buf);
                    } else {
                        self.skip_string()?;
                    }
                }
                Some(b'{') => {
                    prefix.push(b'.');
                    self.object(g, rec, full, prefix, depth + 1)?;
                }
                Some(b'[') => {
                    if slot.is_none() && !full {
                        self.skip_value(depth + 1)?;
                    } else {
                        self.array(slot, rec, full, depth + 1)?;
                    }
                }
                Some(_) => {
                    let (s, e) = self.scalar()?;
                    let t = &self.b[s..e];
                    if t == b"null" {
                        if let Some(sl) = slot {
                            rec.push_null(sl);
                        }
                    } else if slot.is_some() || full {
                        // Validated ASCII.
                        emit(rec, slot, full, std::str::from_utf8(t).unwrap_or_default());
                    }
                }
            }
            self.ws();
            match self.b.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    prefix.truncate(plen);
                    return Ok(());
                }
                _ => return self.err("expected `,` or `}`"),
            }
        }
    }

    fn array(&mut self, slot: Option<u16>, rec: &mut Rec, full: bool, depth: usize) -> R<()> {
        self.i += 1;
        self.ws();
        if let Some(s) = slot {
            rec.push_null(s);
        }
        if self.b.get(self.i) == Some(&b']') {
            self.i += 1;
            return Ok(());
        }
        loop {
            self.ws();
            match self.b.get(self.i) {
                Some(b'"') => {
                    self.string_value()?;
                    emit(rec, slot, full, &self.buf);
                }
                Some(b'{') | Some(b'[') => self.skip_value(depth + 1)?,
                _ => {
                    let (s, e) = self.scalar()?;
                    let text = std::str::from_utf8(&self.b[s..e]).unwrap_or_default();
                    if text != "null" {
                        emit(rec, slot, full, text);
                    }
                }
            }
            self.ws();
            match self.b.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return self.err("expected `,` or `]`"),
            }
        }
    }

    /// After the record: only whitespace may follow.
    pub fn end(&mut self) -> R<()> {
        self.ws();
        if self.i < self.b.len() {
            return self.err("text after the JSON object");
        }
        Ok(())
    }
}

/// The `_path` of a Zeek JSON record (a quick look, before the group is known).
pub fn zeek_path(line: &[u8]) -> Option<&[u8]> {
    // Zeek writes `_path` first; look there before searching the line.
    let rest = match line.strip_prefix(b"{\"_path\":\"") {
        Some(r) => r,
        None => {
            static F: std::sync::OnceLock<memchr::memmem::Finder<'static>> =
                std::sync::OnceLock::new();
            let f = F.get_or_init(|| memchr::memmem::Finder::new(b"\"_path\""));
            let i = f.find(line)? + 7;
            let rest = &line[i..];
            let q = rest.iter().position(|&c| c != b' ' && c != b':')?;
            rest[q..].strip_prefix(b"\"")?
        }
    };
    let e = memchr::memchr(b'"', rest)?;
    Some(&rest[..e])
}

/// Reads one JSON line into `rec`.
pub fn read(line: &[u8], g: &Group, rec: &mut Rec) -> Result<(), String> {
    read_with(line, g, rec, &mut Scratch::default())
}

/// Buffers reused from record to record.
#[derive(Default)]
pub struct Scratch {
    prefix: Vec<u8>,
    buf: String,
    /// Key caches per group (by address), oldest first (the first evicted past 16).
    keys: Vec<(usize, KeyCache)>,
}

/// [`read`] with reused buffers.
pub fn read_with(
    line: &[u8],
    g: &Group,
    rec: &mut Rec,
    scratch: &mut Scratch,
) -> Result<(), String> {
    rec.reset(g.fields.len());
    let gid = g as *const Group as usize;
    let slot = match scratch.keys.iter().position(|(id, _)| *id == gid) {
        Some(p) => p,
        None => {
            if scratch.keys.len() >= 16 {
                scratch.keys.remove(0);
            }
            scratch.keys.push((gid, Vec::new()));
            scratch.keys.len() - 1
        }
    };
    let mut j = J {
        b: line,
        i: 0,
        buf: std::mem::take(&mut scratch.buf),
        keys: std::mem::take(&mut scratch.keys[slot].1),
        k: 0,
    };
    scratch.prefix.clear();
    let r = j
        .object(g, rec, g.fulltext, &mut scratch.prefix, 0)
        .and_then(|_| j.end());
    scratch.buf = std::mem::take(&mut j.buf);
    scratch.keys[slot].1 = std::mem::take(&mut j.keys);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Strings of every length up to 150 with a quote escape at every position: the
    /// eight-bytes-at-a-time skip and the vector search agree with a plain reading.
    #[test]
    fn strings_of_every_length_and_escape_position() {
        let mut g = Group::default();
        let a = g.want("a");
        let mut rec = Rec::default();
        for n in 0..150 {
            let plain: String = (0..n).map(|i| (b'a' + (i % 26) as u8) as char).collect();
            for esc in std::iter::once(None).chain((0..=n).map(Some)) {
                let (raw, want) = match esc {
                    None => (plain.clone(), plain.clone()),
                    Some(p) => (
                        format!("{}\\\"{}", &plain[..p], &plain[p..]),
                        format!("{}\"{}", &plain[..p], &plain[p..]),
                    ),
                };
                // The wanted key, and an unwanted key before it (skipped, not read).
                let line = format!("{{\"skip\":\"{raw}\",\"a\":\"{raw}\",\"n\":1}}");
                read(line.as_bytes(), &g, &mut rec).unwrap_or_else(|e| panic!("{line}: {e}"));
                assert_eq!(rec.first(a), Some(want.as_str()), "{line}");
                let cut = format!("{{\"a\":\"{raw}");
                assert!(read(cut.as_bytes(), &g, &mut rec).is_err(), "{cut}");
            }
        }
    }

    #[test]
    fn reads_wanted_fields_flattened_and_rejects_bad_json() {
        let mut g = Group::default();
        let q = g.want("query");
        let a = g.want("answers");
        let n = g.want("process.command_line");
        let mut rec = Rec::default();
        read(
            br#"{"_path":"dns","query":"A\u00e9\"b","answers":["1.2.3.4",5,null],"process":{"command_line":"x y","pid":1},"skip":{"deep":[1,{"a":2}]}}"#,
            &g,
            &mut rec,
        )
        .unwrap();
        assert_eq!(rec.first(q), Some("A\u{e9}\"b"));
        let ans: Vec<&str> = rec.values(a).map(|(r, _)| r).collect();
        assert_eq!(ans, ["1.2.3.4", "5"]);
        assert_eq!(rec.first(n), Some("x y"));
        assert_eq!(zeek_path(br#"{"ts":1,"_path":"conn"}"#), Some(&b"conn"[..]));
        for bad in [
            &br#"{"a": oops}"#[..],
            br#"{"a":"x""#,
            br#"{"a":1} trailing"#,
            br#"[1,2]"#,
            br#"{"a":1,}"#,
        ] {
            assert!(
                read(bad, &g, &mut rec).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(100), "]".repeat(100));
        assert!(read(deep.as_bytes(), &g, &mut rec).is_err());
    }
}
