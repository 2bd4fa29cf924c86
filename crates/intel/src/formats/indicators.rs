//! Indicator lists: CSV with a header row, or plain text with one value a line.
//!
//! Values may be defanged (`1[.]2[.]3[.]4`, `hxxps[:]//evil[.]com`, `a[at]b[.]com`);
//! [`refang`] undoes that and [`classify`] recognises the kind of the value and gives
//! its canonical form (IPv6 per RFC 5952, domains and hashes lower-case, no trailing
//! dot). Every value becomes a STIX `indicator` with a STIX pattern. The publisher is
//! the list's name (the caller passes the file stem); the natural key of an
//! indicator is `<kind>:<canonical value>`, so one publisher's IOC has one id
//! whatever list it comes in.
//!
//! A value that looks like an indicator but is malformed (`300.1.2.3`, `1.2.3`, a
//! 31-character hex string, `hxxp://` and nothing after) is a [`RecordError`] with its
//! line and field; a value that does not look like an indicator at all (a title, a
//! word) is skipped and counted in a warning; empty and `#` comment lines are skipped
//! silently.

use std::collections::{BTreeMap, HashSet};
use std::net::Ipv6Addr;

use serde_json::{json, Map, Value};
use stormwatch_model::{deterministic_id, Timestamp};

use super::{source_identity, Converted, FormatError, RecordError, UNKNOWN_TIME};

/// Format name of CSV indicator lists.
pub const FORMAT_CSV: &str = "indicator-csv";
/// Format name of plain-text indicator lists.
pub const FORMAT_TEXT: &str = "indicator-text";

/// Confidence of indicators from a list: its publisher is not graded (F6 -> 50).
pub const CONFIDENCE: u8 = 50;

/// Header names (case-insensitive) of the column holding the indicator value.
pub const VALUE_HEADERS: &[&str] = &[
    "indicator",
    "ioc",
    "value",
    "observable",
    "ip",
    "domain",
    "url",
    "hash",
    "md5",
    "sha1",
    "sha256",
    "address",
];
const TYPE_HEADERS: &[&str] = &["type", "indicator_type", "ioc_type"];
const DESCRIPTION_HEADERS: &[&str] = &["description", "comment", "comments"];
const FIRST_SEEN_HEADERS: &[&str] = &["first_seen", "valid_from", "first_seen_utc"];

/// What an indicator value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IndicatorKind {
    Ipv4,
    Ipv6,
    /// An IPv4 network in CIDR notation (`10.0.0.0/8`).
    Ipv4Cidr,
    /// An IPv6 network in CIDR notation (`2001:db8::/32`).
    Ipv6Cidr,
    Domain,
    Url,
    Email,
    Md5,
    Sha1,
    Sha256,
    Sha512,
}

impl IndicatorKind {
    /// Short name, used in natural keys: `ipv4`, `ipv6-cidr`, `domain`, `sha256`...
    pub fn name(self) -> &'static str {
        match self {
            IndicatorKind::Ipv4 => "ipv4",
            IndicatorKind::Ipv6 => "ipv6",
            IndicatorKind::Ipv4Cidr => "ipv4-cidr",
            IndicatorKind::Ipv6Cidr => "ipv6-cidr",
            IndicatorKind::Domain => "domain",
            IndicatorKind::Url => "url",
            IndicatorKind::Email => "email",
            IndicatorKind::Md5 => "md5",
            IndicatorKind::Sha1 => "sha1",
            IndicatorKind::Sha256 => "sha256",
            IndicatorKind::Sha512 => "sha512",
        }
    }

    /// What the kind is, for messages: "an IPv4 address".
    pub fn describe(self) -> &'static str {
        match self {
            IndicatorKind::Ipv4 => "an IPv4 address",
            IndicatorKind::Ipv6 => "an IPv6 address",
            IndicatorKind::Ipv4Cidr => "an IPv4 network",
            IndicatorKind::Ipv6Cidr => "an IPv6 network",
            IndicatorKind::Domain => "a domain name",
            IndicatorKind::Url => "a URL",
            IndicatorKind::Email => "an email address",
            IndicatorKind::Md5 => "an MD5 hash",
            IndicatorKind::Sha1 => "a SHA-1 hash",
            IndicatorKind::Sha256 => "a SHA-256 hash",
            IndicatorKind::Sha512 => "a SHA-512 hash",
        }
    }

    /// The STIX pattern matching `value` (already canonical).
    pub fn pattern(self, value: &str) -> String {
        let v = escape_pattern(value);
        match self {
            IndicatorKind::Ipv4 | IndicatorKind::Ipv4Cidr => format!("[ipv4-addr:value = '{v}']"),
            IndicatorKind::Ipv6 | IndicatorKind::Ipv6Cidr => format!("[ipv6-addr:value = '{v}']"),
            IndicatorKind::Domain => format!("[domain-name:value = '{v}']"),
            IndicatorKind::Url => format!("[url:value = '{v}']"),
            IndicatorKind::Email => format!("[email-addr:value = '{v}']"),
            IndicatorKind::Md5
            | IndicatorKind::Sha1
            | IndicatorKind::Sha256
            | IndicatorKind::Sha512 => {
                format!(
                    "[{} = '{v}']",
                    self.hash_path().unwrap_or("file:hashes.MD5")
                )
            }
        }
    }

    /// The STIX object path of a hash kind (`file:hashes.'SHA-256'`).
    pub fn hash_path(self) -> Option<&'static str> {
        match self {
            IndicatorKind::Md5 => Some("file:hashes.MD5"),
            IndicatorKind::Sha1 => Some("file:hashes.'SHA-1'"),
            IndicatorKind::Sha256 => Some("file:hashes.'SHA-256'"),
            IndicatorKind::Sha512 => Some("file:hashes.'SHA-512'"),
            _ => None,
        }
    }

    /// The hash kind of a hex string of `len` characters.
    fn hash_of_len(len: usize) -> Option<IndicatorKind> {
        match len {
            32 => Some(IndicatorKind::Md5),
            40 => Some(IndicatorKind::Sha1),
            64 => Some(IndicatorKind::Sha256),
            128 => Some(IndicatorKind::Sha512),
            _ => None,
        }
    }

    fn is_ip(self) -> bool {
        matches!(
            self,
            IndicatorKind::Ipv4
                | IndicatorKind::Ipv6
                | IndicatorKind::Ipv4Cidr
                | IndicatorKind::Ipv6Cidr
        )
    }

    fn is_hash(self) -> bool {
        self.hash_path().is_some()
    }
}

/// Escapes a string for a single-quoted STIX pattern literal (`\` and `'`).
pub fn escape_pattern(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        if c == '\\' || c == '\'' {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Defanging tokens and what they stand for (matched case-insensitively).
const DEFANG: &[(&str, &str)] = &[
    ("[://]", "://"),
    ("[:]", ":"),
    ("[.]", "."),
    ("(.)", "."),
    ("{.}", "."),
    ("[dot]", "."),
    ("(dot)", "."),
    ("{dot}", "."),
    ("[at]", "@"),
    ("(at)", "@"),
    ("{at}", "@"),
    ("[@]", "@"),
    ("(@)", "@"),
    ("{@}", "@"),
    ("[/]", "/"),
    ("\\.", "."),
];

/// Undoes common defanging: `[.]`, `(.)`, `{.}`, `[dot]`, `[:]`, `[://]`, `[at]`,
/// `[@]`, `[/]`, `\.`, and the schemes `hxxp`, `hxxps`, `fxp`. Surrounding
/// whitespace is removed; anything else is kept as it is.
pub fn refang(s: &str) -> String {
    let t = s.trim();
    let b = t.as_bytes();
    let mut out = String::with_capacity(t.len());
    let mut i = 0;
    while i < b.len() {
        // Every defang token starts with one of these: copy runs without them whole.
        if !matches!(b[i], b'[' | b'(' | b'{' | b'\\') {
            let run = b[i..]
                .iter()
                .position(|c| matches!(c, b'[' | b'(' | b'{' | b'\\'))
                .map_or(b.len(), |k| i + k);
            // `run` stops at an ASCII byte or the end: a char boundary.
            out.push_str(&t[i..run]);
            i = run;
            continue;
        }
        let tok = DEFANG.iter().find(|(tok, _)| {
            b.get(i..i + tok.len())
                .is_some_and(|w| w.eq_ignore_ascii_case(tok.as_bytes()))
        });
        if let Some((tok, rep)) = tok {
            out.push_str(rep);
            i += tok.len();
            continue;
        }
        match t.get(i..).and_then(|r| r.chars().next()) {
            Some(c) => {
                out.push(c);
                i += c.len_utf8();
            }
            None => break,
        }
    }
    for (bad, good) in [("hxxps:", "https:"), ("hxxp:", "http:"), ("fxp:", "ftp:")] {
        if out
            .as_bytes()
            .get(..bad.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(bad.as_bytes()))
        {
            out.replace_range(..bad.len(), good);
            break;
        }
    }
    out.trim().to_owned()
}

/// The kind and canonical form of a (possibly defanged) indicator value, or `None`
/// when it is not a well-formed indicator.
pub fn classify(s: &str) -> Option<(IndicatorKind, String)> {
    match check(s) {
        Checked::Ok(k, v) => Some((k, v)),
        _ => None,
    }
}

/// What [`check`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Checked {
    /// A well-formed indicator: its kind and canonical value.
    Ok(IndicatorKind, String),
    /// Looks like an indicator but is malformed: why (`is not an IPv4 address (...)`).
    Malformed(String),
    /// Does not look like an indicator at all.
    NotIndicator,
}

/// Recognises a (possibly defanged) value.
pub(crate) fn check(s: &str) -> Checked {
    let v = refang(s);
    if v.is_empty() {
        return Checked::NotIndicator;
    }
    let lower = v.to_ascii_lowercase();
    // URLs: a scheme first.
    if let Some((scheme, _)) = v.split_once("://") {
        if !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        {
            return match url(&v) {
                Ok(u) => Checked::Ok(IndicatorKind::Url, u),
                Err(e) => Checked::Malformed(format!("is not a URL ({e})")),
            };
        }
    }
    let digits_dots = |x: &str| x.chars().all(|c| c.is_ascii_digit() || c == '.');
    // Networks.
    if let Some((addr, prefix)) = v.split_once('/') {
        if let Ok(a) = ipv4(addr) {
            return match prefix_len(prefix, 32) {
                Ok(p) => Checked::Ok(IndicatorKind::Ipv4Cidr, format!("{a}/{p}")),
                Err(e) => Checked::Malformed(format!("is not an IPv4 network ({e})")),
            };
        }
        if addr.contains(':') {
            if let Ok(a) = addr.parse::<Ipv6Addr>() {
                return match prefix_len(prefix, 128) {
                    Ok(p) => Checked::Ok(IndicatorKind::Ipv6Cidr, format!("{a}/{p}")),
                    Err(e) => Checked::Malformed(format!("is not an IPv6 network ({e})")),
                };
            }
        }
        if !addr.is_empty() && digits_dots(addr) && addr.contains('.') {
            return match ipv4(addr) {
                Ok(_) => Checked::Malformed("is not an IPv4 network".into()),
                Err(e) => Checked::Malformed(format!("is not an IPv4 network ({e})")),
            };
        }
        if domain(addr).is_ok() {
            return Checked::Malformed(
                "looks like a URL without a scheme (give http://, https:// or ftp://)".into(),
            );
        }
        return Checked::NotIndicator;
    }
    // IPv4, strictly.
    if digits_dots(&v) && v.contains('.') {
        return match ipv4(&v) {
            Ok(a) => Checked::Ok(IndicatorKind::Ipv4, a),
            Err(e) => Checked::Malformed(format!("is not an IPv4 address ({e})")),
        };
    }
    if v.contains(':') {
        if let Ok(a) = v.parse::<Ipv6Addr>() {
            return Checked::Ok(IndicatorKind::Ipv6, a.to_string());
        }
        if let Some((a, port)) = v.rsplit_once(':') {
            if ipv4(a).is_ok() && !port.is_empty() && port.chars().all(|c| c.is_ascii_digit()) {
                return Checked::Malformed(
                    "is an address with a port; give the address alone".into(),
                );
            }
        }
        if v.chars()
            .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.' || c == '%')
        {
            return Checked::Malformed("is not an IPv6 address".into());
        }
        return Checked::NotIndicator;
    }
    if v.contains('@') {
        return match email(&v) {
            Ok(e) => Checked::Ok(IndicatorKind::Email, e),
            Err(e) => Checked::Malformed(format!("is not an email address ({e})")),
        };
    }
    if v.chars().all(|c| c.is_ascii_hexdigit()) {
        if let Some(k) = IndicatorKind::hash_of_len(v.len()) {
            return Checked::Ok(k, lower);
        }
        if v.len() >= 16 {
            return Checked::Malformed(format!(
                "is {} hex characters, not a hash (MD5 has 32, SHA-1 40, SHA-256 64, SHA-512 128)",
                v.len()
            ));
        }
        return Checked::NotIndicator;
    }
    if v.contains('.') && !v.chars().any(char::is_whitespace) {
        return match domain(&v) {
            Ok(d) => Checked::Ok(IndicatorKind::Domain, d),
            Err(e) => Checked::Malformed(format!("is not a domain name ({e})")),
        };
    }
    Checked::NotIndicator
}

/// A strict dotted-quad IPv4 address: four decimal octets 0-255, no leading zeros.
pub(crate) fn ipv4(s: &str) -> Result<String, String> {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() != 4 {
        return Err(format!("{} parts, not 4", parts.len()));
    }
    for p in &parts {
        if p.is_empty() {
            return Err("an empty octet".into());
        }
        if !p.chars().all(|c| c.is_ascii_digit()) {
            return Err(format!("octet {p:?} is not a number"));
        }
        if p.len() > 1 && p.starts_with('0') {
            return Err(format!("octet {p:?} has a leading zero"));
        }
        if p.len() > 3 || p.parse::<u16>().map_or(true, |n| n > 255) {
            return Err(format!("octet {p} is over 255"));
        }
    }
    Ok(s.to_owned())
}

fn prefix_len(s: &str, max: u8) -> Result<u8, String> {
    if s.is_empty() || !s.chars().all(|c| c.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return Err(format!("prefix length {s:?} is not a number"));
    }
    match s.parse::<u8>() {
        Ok(n) if n <= max => Ok(n),
        _ => Err(format!("prefix length {s} is over {max}")),
    }
}

/// A domain name: labels of letters, digits and hyphens (not at either end), a
/// top-level label of letters (or `xn--` punycode); lower-cased, trailing dot removed.
pub(crate) fn domain(s: &str) -> Result<String, String> {
    let d = s.strip_suffix('.').unwrap_or(s);
    if !d.is_ascii() {
        return Err("non-ASCII characters; give the punycode (xn--) form".into());
    }
    if d.len() > 253 {
        return Err("longer than 253 characters".into());
    }
    let labels: Vec<&str> = d.split('.').collect();
    if labels.len() < 2 {
        return Err("no top-level domain".into());
    }
    for l in &labels {
        if l.is_empty() {
            return Err("an empty label".into());
        }
        if l.len() > 63 {
            return Err(format!("label {l:?} is longer than 63 characters"));
        }
        if let Some(c) = l
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
        {
            return Err(format!("label {l:?} has the character {c:?}"));
        }
        if l.starts_with('-') || l.ends_with('-') {
            return Err(format!("label {l:?} starts or ends with a hyphen"));
        }
    }
    let tld = labels.last().copied().unwrap_or_default();
    let punycode = tld.len() > 4
        && tld[..4].eq_ignore_ascii_case("xn--")
        && tld.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !(punycode || tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic())) {
        return Err(format!("top-level domain {tld:?} is not letters"));
    }
    Ok(d.to_ascii_lowercase())
}

/// An email address `local@domain`; the domain is lower-cased.
pub(crate) fn email(s: &str) -> Result<String, String> {
    let Some((local, dom)) = s.split_once('@') else {
        return Err("no @".into());
    };
    if dom.contains('@') {
        return Err("more than one @".into());
    }
    if local.is_empty() || local.len() > 64 {
        return Err("the part before @ is empty or too long".into());
    }
    if let Some(c) = local
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(*c)))
    {
        return Err(format!("the part before @ has the character {c:?}"));
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err("the part before @ has a misplaced dot".into());
    }
    let d = domain(dom)?;
    Ok(format!("{local}@{d}"))
}

/// An http, https or ftp URL with a host; scheme and host are lower-cased.
pub(crate) fn url(s: &str) -> Result<String, String> {
    let Some((scheme, rest)) = s.split_once("://") else {
        return Err("no scheme".into());
    };
    let scheme = scheme.to_ascii_lowercase();
    if !matches!(scheme.as_str(), "http" | "https" | "ftp") {
        return Err(format!("scheme {scheme:?} is not http, https or ftp"));
    }
    if rest.is_empty() {
        return Err("nothing after the scheme".into());
    }
    if rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("contains whitespace".into());
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    let (host, port) = if let Some(inner) = hostport.strip_prefix('[') {
        let Some((h, after)) = inner.split_once(']') else {
            return Err("unclosed [ in the host".into());
        };
        let a: Ipv6Addr = h
            .parse()
            .map_err(|_| format!("host [{h}] is not an IPv6 address"))?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':').ok_or("junk after the IPv6 host")?),
        };
        (format!("[{a}]"), port)
    } else {
        let (h, port) = match hostport.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        };
        if h.is_empty() {
            return Err("no host".into());
        }
        if h.chars().all(|c| c.is_ascii_digit() || c == '.') {
            ipv4(h).map_err(|e| format!("host {h:?} is not an IPv4 address: {e}"))?;
        } else if h.split('.').enumerate().any(|(i, l)| {
            (l.is_empty() && i + 1 != h.split('.').count())
                || l.chars()
                    .any(|c| !(c.is_alphanumeric() || c == '-' || c == '_'))
        }) {
            return Err(format!("host {h:?} is not a host name"));
        }
        (h.to_lowercase(), port)
    };
    if let Some(p) = port {
        if !p.chars().all(|c| c.is_ascii_digit()) || p.len() > 5 {
            return Err(format!("port {p:?} is not a number"));
        }
    }
    let mut out = format!("{scheme}://");
    if let Some(u) = userinfo {
        out.push_str(u);
        out.push('@');
    }
    out.push_str(&host);
    if let Some(p) = port {
        out.push(':');
        out.push_str(p);
    }
    out.push_str(path);
    Ok(out)
}

/// `YYYY-MM-DD` as a STIX timestamp at midnight UTC, if it is a real date.
pub(crate) fn day_timestamp(s: &str) -> Option<String> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let t = format!("{s}T00:00:00.000Z");
    Timestamp::parse(&t).ok().map(|ts| ts.to_string())
}

/// Unix seconds (a string or a number) as a STIX timestamp, for years 1970-9999.
pub(crate) fn unix_timestamp(v: &Value) -> Result<Option<String>, String> {
    let secs = match v {
        Value::Null => return Ok(None),
        Value::Number(n) => n.as_i64(),
        Value::String(s) if s.trim().is_empty() => return Ok(None),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    };
    match secs {
        Some(s) if (0..=253_402_300_799).contains(&s) => {
            Ok(Some(Timestamp::from_unix(s, 0).to_string()))
        }
        _ => Err(format!("{v} is not a unix time")),
    }
}

/// A first-seen cell: a STIX timestamp, `YYYY-MM-DD`, or `YYYY-MM-DD HH:MM:SS`
/// (with `T` or a space, optional `Z` or ` UTC`).
fn first_seen(s: &str) -> Option<String> {
    let t = s.trim();
    let t = t.strip_suffix(" UTC").unwrap_or(t).replacen(' ', "T", 1);
    if let Ok(ts) = Timestamp::parse(&t) {
        return Some(ts.to_string());
    }
    Timestamp::parse_lenient(&t).ok().map(|ts| ts.to_string())
}

/// An indicator object with the common properties (no description, no markings).
pub(crate) fn indicator_base(
    publisher: &str,
    natural_key: &str,
    name: &str,
    pattern: &str,
    time: &str,
    confidence: u8,
) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("type".into(), json!("indicator"));
    m.insert("spec_version".into(), json!("2.1"));
    m.insert(
        "id".into(),
        json!(deterministic_id(publisher, "indicator", natural_key)),
    );
    m.insert(
        "created_by_ref".into(),
        json!(super::source_identity_id(publisher)),
    );
    m.insert("created".into(), json!(time));
    m.insert("modified".into(), json!(time));
    m.insert("name".into(), json!(name));
    m.insert("pattern".into(), json!(pattern));
    m.insert("pattern_type".into(), json!("stix"));
    m.insert("valid_from".into(), json!(time));
    m.insert("confidence".into(), json!(confidence));
    m
}

/// Which kinds a declared type (a `type` cell, or the value column's header) allows:
/// `Some(None)` any kind, `Some(Some(f))` kinds passing `f`, `None` a type that is
/// not converted (filename, mutex...).
type KindFilter = fn(IndicatorKind) -> bool;

fn declared(type_name: &str) -> Option<Option<(KindFilter, &'static str)>> {
    let t = type_name
        .trim()
        .to_ascii_lowercase()
        .replace([' ', '_'], "-");
    let f: (KindFilter, &'static str) = match t.as_str() {
        "" | "indicator" | "ioc" | "value" | "observable" | "address" | "auto" | "any" => {
            return Some(None)
        }
        "ip" | "ipv4" | "ipv6" | "ip-src" | "ip-dst" | "ipv4-addr" | "ipv6-addr" | "ip-address"
        | "ipaddress" | "cidr" | "network" | "subnet" | "netblock" => {
            (IndicatorKind::is_ip, "an IP address or network")
        }
        "domain" | "hostname" | "fqdn" | "domain-name" | "host" => {
            (|k| k == IndicatorKind::Domain, "a domain name")
        }
        "url" | "uri" | "link" => (|k| k == IndicatorKind::Url, "a URL"),
        "email" | "e-mail" | "email-addr" | "email-src" | "email-dst" | "mail" => {
            (|k| k == IndicatorKind::Email, "an email address")
        }
        "hash" | "filehash" | "file-hash" | "hashes" => (IndicatorKind::is_hash, "a hash"),
        "md5" => (|k| k == IndicatorKind::Md5, "an MD5 hash"),
        "sha1" | "sha-1" => (|k| k == IndicatorKind::Sha1, "a SHA-1 hash"),
        "sha256" | "sha-256" => (|k| k == IndicatorKind::Sha256, "a SHA-256 hash"),
        "sha512" | "sha-512" => (|k| k == IndicatorKind::Sha512, "a SHA-512 hash"),
        _ => return None,
    };
    Some(Some(f))
}

/// True when a CSV header line names an indicator column.
pub fn looks_like_indicator_csv(first_line: &str) -> bool {
    let line = first_line.trim_start_matches('\u{feff}');
    let sep = delimiter(line) as char;
    line.split(sep).any(|h| {
        let h = h.trim().trim_matches('"').trim();
        VALUE_HEADERS.iter().any(|v| v.eq_ignore_ascii_case(h))
    })
}

fn delimiter(header: &str) -> u8 {
    if header.contains(',') {
        b','
    } else if header.contains('\t') {
        b'\t'
    } else if header.contains(';') {
        b';'
    } else {
        b','
    }
}

/// Converts a CSV or text list: CSV when the first non-comment line is a header
/// naming an indicator column, else text.
pub fn convert(text: &str, source_name: &str) -> Result<Converted, FormatError> {
    let first = text
        .trim_start_matches('\u{feff}')
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .unwrap_or("");
    if first.contains([',', '\t', ';']) && looks_like_indicator_csv(first) {
        convert_csv(text, source_name)
    } else {
        convert_text(text, source_name)
    }
}

/// Collects indicators of one list.
struct Builder<'a> {
    publisher: &'a str,
    out: Converted,
    seen: HashSet<String>,
    duplicates: usize,
    unrecognised: Vec<(usize, String)>,
    unsupported: BTreeMap<String, usize>,
    bad_dates: usize,
}

impl<'a> Builder<'a> {
    fn new(format: &str, publisher: &'a str) -> Result<Builder<'a>, FormatError> {
        if publisher.trim().is_empty() {
            return Err(FormatError("an indicator list needs a source name".into()));
        }
        Ok(Builder {
            publisher,
            out: Converted {
                format: format.into(),
                objects: vec![source_identity(publisher, "organization")],
                ..Default::default()
            },
            seen: HashSet::new(),
            duplicates: 0,
            unrecognised: Vec::new(),
            unsupported: BTreeMap::new(),
            bad_dates: 0,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        index: usize,
        line: usize,
        field: &str,
        raw: &str,
        declared_type: Option<(&str, &str)>,
        description: Option<&str>,
        first_seen_cell: Option<&str>,
    ) {
        let reject = |this: &mut Self, error: String| {
            this.out.rejected.push(RecordError {
                index,
                line,
                id: Some(raw.to_owned()),
                error,
            });
        };
        // declared_type: (what declared it, e.g. `column "type"`, the type).
        let filter = match declared_type {
            None => None,
            Some((_, t)) => match declared(t) {
                Some(f) => f,
                None => {
                    *self
                        .unsupported
                        .entry(t.trim().to_ascii_lowercase())
                        .or_default() += 1;
                    return;
                }
            },
        };
        let (kind, value) = match check(raw) {
            Checked::Ok(k, v) => (k, v),
            Checked::Malformed(why) => return reject(self, format!("{field}: {raw:?} {why}")),
            Checked::NotIndicator => {
                if filter.is_some() {
                    let what = filter.map_or("an indicator", |(_, d)| d);
                    return reject(self, format!("{field}: {raw:?} is not {what}"));
                }
                self.unrecognised.push((line, raw.to_owned()));
                return;
            }
        };
        if let (Some((ok, what)), Some((by, t))) = (filter, declared_type) {
            if !ok(kind) {
                return reject(
                    self,
                    format!(
                        "{field}: {raw:?} is {}, but {by} says {:?} ({what})",
                        kind.describe(),
                        t.trim()
                    ),
                );
            }
        }
        let time = match first_seen_cell.map(str::trim).filter(|s| !s.is_empty()) {
            None => UNKNOWN_TIME.to_owned(),
            Some(s) => first_seen(s).unwrap_or_else(|| {
                self.bad_dates += 1;
                UNKNOWN_TIME.to_owned()
            }),
        };
        let key = format!("{}:{value}", kind.name());
        let mut m = indicator_base(
            self.publisher,
            &key,
            &value,
            &kind.pattern(&value),
            &time,
            CONFIDENCE,
        );
        let id = m
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        if !self.seen.insert(id) {
            self.duplicates += 1;
            return;
        }
        if let Some(d) = description.map(str::trim).filter(|d| !d.is_empty()) {
            m.insert("description".into(), json!(d));
        }
        self.out.objects.push(m);
    }

    fn finish(mut self, what: &str) -> Converted {
        if !self.unrecognised.is_empty() {
            let sample: Vec<String> = self
                .unrecognised
                .iter()
                .take(3)
                .map(|(l, v)| format!("line {l}: {v:?}"))
                .collect();
            self.out.warnings.push(format!(
                "{} {what} not recognised as indicators were skipped (e.g. {})",
                self.unrecognised.len(),
                sample.join(", ")
            ));
        }
        if !self.unsupported.is_empty() {
            let n: usize = self.unsupported.values().sum();
            let list: Vec<String> = self
                .unsupported
                .iter()
                .map(|(t, c)| format!("{t} ({c})"))
                .collect();
            self.out.warnings.push(format!(
                "{n} {what} of unsupported types kept out: {}",
                list.join(", ")
            ));
        }
        if self.duplicates > 0 {
            self.out.warnings.push(format!(
                "{} duplicate indicators were kept once",
                self.duplicates
            ));
        }
        if self.bad_dates > 0 {
            self.out.warnings.push(format!(
                "{} {what} had an unreadable first-seen date; their valid_from is {UNKNOWN_TIME}",
                self.bad_dates
            ));
        }
        self.out
    }
}

/// Converts a plain-text list: one value per line (possibly defanged); anything after
/// the first comma, tab or space is the description. Empty lines and lines starting
/// with `#` are skipped.
pub fn convert_text(text: &str, source_name: &str) -> Result<Converted, FormatError> {
    let mut b = Builder::new(FORMAT_TEXT, source_name)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let (value, rest) = match t.find(|c: char| c == ',' || c.is_whitespace()) {
            Some(at) => t.split_at(at),
            None => (t, ""),
        };
        let desc = rest
            .trim_start_matches(|c: char| c == ',' || c.is_whitespace())
            .trim_start_matches('#')
            .trim();
        b.add(i, i + 1, "value", value, None, Some(desc), None);
    }
    Ok(b.finish("lines"))
}

/// Converts a CSV list with a header row. The value column is the first whose header
/// is one of [`VALUE_HEADERS`]; optional columns: `type`, `description`/`comment`,
/// `first_seen`/`valid_from`. Lines starting with `#` are comments.
pub fn convert_csv(text: &str, source_name: &str) -> Result<Converted, FormatError> {
    let mut b = Builder::new(FORMAT_CSV, source_name)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let header_line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .unwrap_or("");
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .comment(Some(b'#'))
        .delimiter(delimiter(header_line))
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| FormatError(format!("cannot read the CSV header: {e}")))?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_owned())
        .collect();
    let find = |names: &[&str]| {
        headers
            .iter()
            .position(|h| names.iter().any(|n| n.eq_ignore_ascii_case(h)))
    };
    let Some(vcol) = find(VALUE_HEADERS) else {
        return Err(FormatError(format!(
            "no indicator column: the header {:?} names none of {}",
            headers.join(","),
            VALUE_HEADERS.join(", ")
        )));
    };
    let tcol = find(TYPE_HEADERS);
    let dcol = find(DESCRIPTION_HEADERS);
    let fcol = find(FIRST_SEEN_HEADERS);
    let vname = headers.get(vcol).cloned().unwrap_or_default();
    let field = format!("column {vname:?}");
    let tfield = tcol
        .and_then(|c| headers.get(c))
        .map(|h| format!("column {h:?}"));
    let mut empty = 0usize;
    for (index, rec) in rdr.records().enumerate() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                b.out.rejected.push(RecordError {
                    index,
                    line: e.position().map_or(0, |p| p.line() as usize),
                    id: None,
                    error: format!("unreadable CSV row: {e}"),
                });
                continue;
            }
        };
        let line = rec.position().map_or(0, |p| p.line() as usize);
        let value = rec.get(vcol).unwrap_or("");
        if value.is_empty() {
            if rec.iter().any(|c| !c.is_empty()) {
                empty += 1;
            }
            continue;
        }
        let type_cell = tcol.and_then(|c| rec.get(c)).filter(|t| !t.is_empty());
        let declared_type = match (type_cell, &tfield) {
            (Some(t), Some(by)) => Some((by.as_str(), t)),
            _ => Some((field.as_str(), vname.as_str())),
        };
        b.add(
            index,
            line,
            &field,
            value,
            declared_type,
            dcol.and_then(|c| rec.get(c)),
            fcol.and_then(|c| rec.get(c)),
        );
    }
    let mut out = b.finish("rows");
    if empty > 0 {
        out.warnings
            .push(format!("{empty} rows with an empty {field} were skipped"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refangs() {
        assert_eq!(refang(" hXXps[:]//evil[.]com/a "), "https://evil.com/a");
        assert_eq!(refang("fxp://x[.]org"), "ftp://x.org");
        assert_eq!(refang("fxpro[.]com"), "fxpro.com");
        assert_eq!(refang("a[AT]b(.)c"), "a@b.c");
    }

    #[test]
    fn classifies() {
        assert_eq!(
            classify("10.0.0.0/8"),
            Some((IndicatorKind::Ipv4Cidr, "10.0.0.0/8".into()))
        );
        assert_eq!(
            classify("2001:DB8::/32"),
            Some((IndicatorKind::Ipv6Cidr, "2001:db8::/32".into()))
        );
        assert_eq!(
            classify("HTTP://Evil.COM:8080/A?b"),
            Some((IndicatorKind::Url, "http://evil.com:8080/A?b".into()))
        );
        assert_eq!(classify("1.2.3.4:443"), None);
        assert_eq!(check("word"), Checked::NotIndicator);
        assert!(matches!(check("01.2.3.4"), Checked::Malformed(_)));
        assert!(matches!(check("evil.com/path"), Checked::Malformed(_)));
    }
}
