//! Line tokenizers for the supported configuration dialects, into one line model.
//!
//! Cisco-style configurations (IOS, IOS XE, NX-OS, IOS XR, ASA) keep their text and get
//! a parent from the indentation; banners are folded into their opening line. Junos in
//! curly-brace form is flattened into `set`-style paths (`system services telnet`), with
//! section openers kept as header lines; Junos `display set` lines lose their `set `.
//! Nothing here is fatal: unknown lines are kept, oddities become warnings.
//! Hand-written byte scanning, no regular expressions.

use serde::Serialize;
use std::borrow::Cow;

/// The configuration dialects Stormwatch parses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Hash)]
#[serde(rename_all = "kebab-case")]
pub enum Dialect {
    Ios,
    IosXe,
    NxOs,
    IosXr,
    Asa,
    JunosCurly,
    JunosSet,
}

impl Dialect {
    /// The name used in output (`vendor` field).
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Ios => "cisco-ios",
            Dialect::IosXe => "cisco-ios-xe",
            Dialect::NxOs => "cisco-nx-os",
            Dialect::IosXr => "cisco-ios-xr",
            Dialect::Asa => "cisco-asa",
            Dialect::JunosCurly => "juniper-junos",
            Dialect::JunosSet => "juniper-junos-set",
        }
    }

    /// True for Junos (either form).
    pub fn is_junos(self) -> bool {
        matches!(self, Dialect::JunosCurly | Dialect::JunosSet)
    }

    /// True for IOS and IOS XE (the classic Cisco CLI).
    pub fn is_ios(self) -> bool {
        matches!(self, Dialect::Ios | Dialect::IosXe)
    }
}

/// What a line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A configuration statement (for Junos: a leaf, as a full path).
    Stmt,
    /// A Junos curly-brace section opener (its path).
    Header,
    /// A Junos `deactivate`/`delete` line or a statement marked `inactive:`.
    Inactive,
}

/// One configuration line.
#[derive(Debug, Clone)]
pub struct Line<'a> {
    /// 1-based line number in the file.
    pub no: u32,
    /// Indentation depth (Cisco: number of ancestors; Junos: 0).
    pub depth: u16,
    /// The statement, trimmed; for Junos the full path without `set `.
    pub text: Cow<'a, str>,
    /// Index of the enclosing section's line in [`Config::lines`] (Cisco only).
    pub parent: Option<u32>,
    pub kind: Kind,
}

/// A parsed configuration.
#[derive(Debug, Clone)]
pub struct Config<'a> {
    pub dialect: Dialect,
    pub lines: Vec<Line<'a>>,
    /// Oddities met while parsing (unclosed banner, unbalanced braces); never fatal.
    pub warnings: Vec<String>,
}

impl<'a> Config<'a> {
    /// Parses `text` in the given dialect.
    pub fn parse(text: &'a str, dialect: Dialect) -> Config<'a> {
        match dialect {
            Dialect::JunosCurly => parse_junos_curly(text),
            Dialect::JunosSet => parse_junos_set(text),
            d => parse_cisco(text, d),
        }
    }

    /// Statements only (no headers, no inactive lines).
    pub fn stmts(&self) -> impl Iterator<Item = (usize, &Line<'a>)> {
        self.lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.kind == Kind::Stmt)
    }

    /// The parent line of line index `i`.
    pub fn parent(&self, i: usize) -> Option<&Line<'a>> {
        self.lines
            .get(i)
            .and_then(|l| l.parent)
            .and_then(|p| self.lines.get(p as usize))
    }

    /// The top-level ancestor's text of line `i` (itself when it is top-level).
    pub fn root_text(&self, i: usize) -> &str {
        let mut cur = i;
        while let Some(p) = self.lines.get(cur).and_then(|l| l.parent) {
            cur = p as usize;
        }
        self.lines.get(cur).map_or("", |l| &l.text)
    }

    /// Children (direct and deeper) of line index `i`.
    pub fn children(&self, i: usize) -> impl Iterator<Item = (usize, &Line<'a>)> {
        let depth = self.lines.get(i).map_or(0, |l| l.depth);
        self.lines
            .iter()
            .enumerate()
            .skip(i + 1)
            .take_while(move |(_, l)| l.depth > depth)
    }

    /// The line number of the first line whose text starts with `prefix` (on a word
    /// boundary), else 1: where something absent from a section is reported.
    pub fn section_line(&self, prefix: &str) -> u32 {
        self.lines
            .iter()
            .find(|l| starts_word(&l.text, prefix))
            .map_or(1, |l| l.no)
    }

    /// The hostname, when the configuration states one.
    pub fn hostname(&self) -> Option<&str> {
        for (_, l) in self.stmts() {
            let t: &str = &l.text;
            let v = if self.dialect.is_junos() {
                t.strip_prefix("system host-name ").or_else(|| {
                    t.strip_prefix("groups ")
                        .and_then(|r| after_word(r, "system host-name "))
                })
            } else if l.depth == 0 {
                t.strip_prefix("hostname ")
                    .or_else(|| t.strip_prefix("switchname "))
            } else {
                None
            };
            if let Some(v) = v {
                let v = v.trim().trim_matches('"');
                if !v.is_empty() {
                    return Some(v);
                }
            }
        }
        None
    }
}

/// `rest` after `group-name word` when it continues with `prefix` (Junos groups).
fn after_word<'b>(rest: &'b str, prefix: &str) -> Option<&'b str> {
    let (_, r) = rest.split_once(' ')?;
    r.strip_prefix(prefix)
}

/// True when `text` starts with `prefix` followed by the end or a space.
pub fn starts_word(text: &str, prefix: &str) -> bool {
    text.starts_with(prefix)
        && (text.len() == prefix.len()
            || prefix.ends_with(' ')
            || text.as_bytes().get(prefix.len()) == Some(&b' '))
}

/// Iterates lines with their 1-based numbers, without the line end (`\n` or `\r\n`).
pub fn lines_of(text: &str) -> impl Iterator<Item = (u32, &str)> {
    let mut pos = 0usize;
    let mut no = 0u32;
    let bytes = text.as_bytes();
    std::iter::from_fn(move || {
        if pos >= bytes.len() {
            return None;
        }
        no = no.saturating_add(1);
        let end = memchr::memchr(b'\n', &bytes[pos..]).map_or(bytes.len(), |e| pos + e);
        let mut line = &text[pos..end];
        if let Some(l) = line.strip_suffix('\r') {
            line = l;
        }
        pos = end + 1;
        Some((no, line))
    })
}

fn indent_of(line: &str) -> usize {
    line.bytes()
        .take_while(|b| *b == b' ' || *b == b'\t')
        .count()
}

fn parse_cisco(text: &str, dialect: Dialect) -> Config<'_> {
    let mut lines: Vec<Line> = Vec::with_capacity(text.len() / 24);
    let mut warnings = Vec::new();
    // (indent, index) of the open sections.
    let mut stack: Vec<(usize, u32)> = Vec::new();
    let mut it = lines_of(text).peekable();
    while let Some((no, raw)) = it.next() {
        let ind = indent_of(raw);
        let t = raw[ind..].trim_end();
        if t.is_empty() {
            continue;
        }
        if t.starts_with('!') || (t.starts_with('#') && dialect != Dialect::IosXr) {
            // A comment; in IOS a column-0 `!` also closes sections.
            if ind == 0 && dialect != Dialect::IosXr {
                stack.clear();
            }
            continue;
        }
        if dialect == Dialect::IosXr && ind == 0 && (t == "end" || t == "exit") {
            stack.clear();
            continue;
        }
        while stack.last().is_some_and(|(i, _)| *i >= ind) {
            stack.pop();
        }
        let parent = stack.last().map(|(_, p)| *p);
        let idx = lines.len() as u32;
        lines.push(Line {
            no,
            depth: stack.len().min(u16::MAX as usize) as u16,
            text: Cow::Borrowed(t),
            parent,
            kind: Kind::Stmt,
        });
        stack.push((ind, idx));
        // A banner's text is not configuration: skip to its closing delimiter.
        if ind == 0 && t.starts_with("banner ") && dialect != Dialect::Asa {
            if let Some(delim) = banner_delimiter(t) {
                let after_open = banner_rest(t, &delim);
                if after_open.is_some_and(|r| r.contains(delim.as_str())) {
                    continue;
                }
                let mut closed = false;
                let mut skipped = 0usize;
                while let Some((_, l)) = it.peek() {
                    skipped += 1;
                    let done = l.contains(delim.as_str());
                    it.next();
                    if done {
                        closed = true;
                        break;
                    }
                    if skipped > 10_000 {
                        break;
                    }
                }
                if !closed {
                    warnings.push(format!(
                        "line {no}: banner not closed by {delim:?}; the rest of the file was read as its text"
                    ));
                }
            }
        }
    }
    Config {
        dialect,
        lines,
        warnings,
    }
}

/// The delimiter of `banner TYPE DELIM...`: `^C`, a control character or the first
/// character of the third word.
fn banner_delimiter(t: &str) -> Option<String> {
    let mut words = t.split_ascii_whitespace();
    words.next()?;
    let kind = words.next()?;
    let third = if matches!(
        kind,
        "motd" | "login" | "exec" | "incoming" | "slip-ppp" | "prompt-timeout" | "config-save"
    ) {
        words.next()
    } else {
        // `banner ^C...` (type omitted defaults to motd).
        Some(kind)
    }?;
    if third.starts_with("^C") {
        return Some("^C".into());
    }
    third.chars().next().map(|c| c.to_string())
}

/// The text after the opening delimiter on the banner's first line.
fn banner_rest<'b>(t: &'b str, delim: &str) -> Option<&'b str> {
    let at = t.find(delim)?;
    Some(&t[at + delim.len()..])
}

fn parse_junos_set(text: &str) -> Config<'_> {
    let mut lines = Vec::with_capacity(text.len() / 48);
    for (no, raw) in lines_of(text) {
        let t = raw.trim();
        if t.is_empty() || t.starts_with('#') || t.starts_with("/*") {
            continue;
        }
        let (kind, rest) = if let Some(r) = t.strip_prefix("set ") {
            (Kind::Stmt, r.trim_start())
        } else if t.starts_with("deactivate ") || t.starts_with("delete ") {
            (Kind::Inactive, t)
        } else {
            (Kind::Stmt, t)
        };
        lines.push(Line {
            no,
            depth: 0,
            text: Cow::Borrowed(rest),
            parent: None,
            kind,
        });
    }
    Config {
        dialect: Dialect::JunosSet,
        lines,
        warnings: Vec::new(),
    }
}

/// Flattens a curly-brace Junos configuration into paths.
fn parse_junos_curly(text: &str) -> Config<'_> {
    let b = text.as_bytes();
    let mut lines: Vec<Line> = Vec::with_capacity(text.len() / 32);
    let mut warnings = Vec::new();
    let mut stack: Vec<String> = Vec::new();
    let mut words: Vec<&str> = Vec::new();
    let mut first_line = 0u32;
    let mut line = 1u32;
    let mut i = 0usize;
    let mut inactive_depth: Option<usize> = None;
    let join = |stack: &[String], words: &[&str]| -> String {
        let mut s = String::new();
        for w in stack
            .iter()
            .map(String::as_str)
            .chain(words.iter().copied())
        {
            if !s.is_empty() {
                s.push(' ');
            }
            s.push_str(w);
        }
        s
    };
    while i < b.len() {
        let c = b[i];
        match c {
            b'\n' => {
                line += 1;
                i += 1;
            }
            b' ' | b'\t' | b'\r' => i += 1,
            b'#' if words.is_empty() => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < b.len() && !(b[i] == b'*' && b.get(i + 1) == Some(&b'/')) {
                    if b[i] == b'\n' {
                        line += 1;
                    }
                    i += 1;
                }
                i = (i + 2).min(b.len());
            }
            b'{' | b';' => {
                let inactive = words.first().is_some_and(|w| *w == "inactive:");
                if inactive {
                    words.remove(0);
                }
                let path = join(&stack, &words);
                let no = if words.is_empty() { line } else { first_line };
                let kind = if inactive || inactive_depth.is_some() {
                    Kind::Inactive
                } else if c == b'{' {
                    Kind::Header
                } else {
                    Kind::Stmt
                };
                if !path.is_empty() && (c == b'{' || !words.is_empty()) {
                    lines.push(Line {
                        no,
                        depth: 0,
                        text: Cow::Owned(path),
                        parent: None,
                        kind,
                    });
                }
                if c == b'{' {
                    if inactive && inactive_depth.is_none() {
                        inactive_depth = Some(stack.len());
                    }
                    stack.push(words.join(" "));
                }
                words.clear();
                i += 1;
            }
            b'}' => {
                if !words.is_empty() {
                    // A statement without `;` before `}`: keep it.
                    let path = join(&stack, &words);
                    lines.push(Line {
                        no: first_line,
                        depth: 0,
                        text: Cow::Owned(path),
                        parent: None,
                        kind: Kind::Stmt,
                    });
                    words.clear();
                }
                if stack.pop().is_none() {
                    warnings.push(format!("line {line}: unbalanced '}}'"));
                }
                if inactive_depth.is_some_and(|d| stack.len() <= d) {
                    inactive_depth = None;
                }
                i += 1;
            }
            _ => {
                if words.is_empty() {
                    first_line = line;
                }
                let start = i;
                if c == b'"' {
                    i += 1;
                    while i < b.len() && b[i] != b'"' {
                        if b[i] == b'\\' {
                            i += 1;
                        }
                        if i < b.len() && b[i] == b'\n' {
                            line += 1;
                        }
                        i += 1;
                    }
                    i = (i + 1).min(b.len());
                } else if c == b'[' {
                    while i < b.len() && b[i] != b']' && b[i] != b';' {
                        if b[i] == b'\n' {
                            line += 1;
                        }
                        i += 1;
                    }
                    if i < b.len() && b[i] == b']' {
                        i += 1;
                    }
                } else {
                    while i < b.len()
                        && !matches!(b[i], b' ' | b'\t' | b'\r' | b'\n' | b'{' | b'}' | b';')
                    {
                        i += 1;
                    }
                }
                // Safe: boundaries are at ASCII bytes or the end.
                if let Some(w) = text.get(start..i) {
                    words.push(w);
                } else {
                    i += 1;
                }
            }
        }
    }
    if !stack.is_empty() {
        warnings.push(format!(
            "{} sections not closed at the end of the file",
            stack.len()
        ));
    }
    if !words.is_empty() {
        let path = join(&stack, &words);
        lines.push(Line {
            no: first_line,
            depth: 0,
            text: Cow::Owned(path),
            parent: None,
            kind: Kind::Stmt,
        });
    }
    Config {
        dialect: Dialect::JunosCurly,
        lines,
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cisco_hierarchy_and_banner() {
        let t = "hostname r1\n!\nbanner motd ^C\nhello\ninterface Foo\n^C\ninterface Gi0/0\n ip address 1.2.3.4 255.255.255.0\n no shutdown\nline vty 0 4\n transport input telnet\n";
        let c = Config::parse(t, Dialect::Ios);
        let texts: Vec<&str> = c.lines.iter().map(|l| &*l.text).collect();
        assert_eq!(
            texts,
            [
                "hostname r1",
                "banner motd ^C",
                "interface Gi0/0",
                "ip address 1.2.3.4 255.255.255.0",
                "no shutdown",
                "line vty 0 4",
                "transport input telnet"
            ]
        );
        assert_eq!(c.lines[3].parent, Some(2));
        assert_eq!(c.lines[3].no, 8);
        assert_eq!(c.lines[6].parent, Some(5));
        assert_eq!(c.hostname(), Some("r1"));
    }

    #[test]
    fn junos_curly_flattens() {
        let t = "## Last commit\nsystem {\n    host-name r2;\n    services {\n        telnet;\n        ssh { root-login allow; }\n    }\n    /* c */ name-server [ 1.1.1.1 2.2.2.2 ];\n}\ninactive: snmp { community public; }\n";
        let c = Config::parse(t, Dialect::JunosCurly);
        let st: Vec<(u32, &str)> = c.stmts().map(|(_, l)| (l.no, &*l.text)).collect();
        assert_eq!(
            st,
            [
                (3, "system host-name r2"),
                (5, "system services telnet"),
                (6, "system services ssh root-login allow"),
                (8, "system name-server [ 1.1.1.1 2.2.2.2 ]")
            ]
        );
        assert!(c.warnings.is_empty());
        assert_eq!(c.hostname(), Some("r2"));
        assert!(c
            .lines
            .iter()
            .any(|l| l.kind == Kind::Inactive && l.text == "snmp community public"));
    }

    #[test]
    fn junos_unbalanced_is_a_warning() {
        let c = Config::parse("system {\n host-name x;\n}\n}\n", Dialect::JunosCurly);
        assert_eq!(c.warnings.len(), 1);
        let c = Config::parse("system {\n host-name \"x y", Dialect::JunosCurly);
        assert!(!c.warnings.is_empty());
    }
}
