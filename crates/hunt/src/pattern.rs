//! STIX 2.1 patterning: a hand-written parser for the full grammar and a compiler
//! to the comparisons a sweep over telemetry can decide.
//!
//! [`parse`] accepts the language of the OASIS ANTLR grammar (`STIXPattern.g4`,
//! STIX 2.1): observation expressions `[...]` joined by `AND`, `OR` and
//! `FOLLOWEDBY` (`AND` binds tightest, `FOLLOWEDBY` loosest), parentheses, the qualifiers `WITHIN n SECONDS`,
//! `REPEATS n TIMES` and `START t'..' STOP t'..'`, comparison expressions with
//! `AND`/`OR` and parentheses, every comparison operator (with `NOT`), object
//! paths with quoted keys and list indexes, and every literal kind. Like the
//! reference validator (`stix2-patterns`), it also rejects the same qualifier
//! type applied twice directly to one bracketed observation
//! (`[a:b = 1] WITHIN 5 SECONDS WITHIN 6 SECONDS`).
//!
//! Patterns come from files nobody vetted, so the parser never panics, does not
//! recurse deeper than [`MAX_DEPTH`] levels of brackets and parentheses, and refuses
//! texts longer than [`MAX_PATTERN_BYTES`]; integers must fit in 64 bits and
//! decimals must be finite (the only grammatical patterns it refuses besides
//! these limits). Every error carries the byte offset it was found at.
//!
//! [`compile`] turns a parsed pattern into a [`Sweep`]: the exact values
//! (addresses, networks, domains, URLs, e-mail addresses, hashes) worth looking
//! for in logs, flows and packets, whether one matching value is enough to
//! satisfy the whole pattern, and which comparisons it cannot sweep and why.

use std::collections::HashSet;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Longest pattern text [`parse`] accepts, in bytes (64 KiB).
pub const MAX_PATTERN_BYTES: usize = 64 * 1024;

/// Deepest nesting of `[`, observation `(` and comparison `(` [`parse`] accepts.
pub const MAX_DEPTH: usize = 64;

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/// Why a pattern could not be parsed, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    /// Byte offset into the pattern text where the problem was found.
    pub offset: usize,
    /// What is wrong, for a person.
    pub message: String,
}

impl PatternError {
    fn new(offset: usize, message: impl Into<String>) -> Self {
        PatternError {
            offset,
            message: message.into(),
        }
    }
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at offset {}: {}", self.offset, self.message)
    }
}

impl std::error::Error for PatternError {}

// ---------------------------------------------------------------------------
// AST
// ---------------------------------------------------------------------------

/// A parsed STIX pattern.
///
/// `Display` writes it back in a canonical form (single spaces, upper-case
/// keywords, lower-case hex) that [`parse`] reads back to the same tree.
#[derive(Debug, Clone, PartialEq)]
pub struct Pattern {
    /// The top-level observation expression.
    pub expr: ObservationExpr,
}

/// An observation expression: what must be observed, and in what combination.
///
/// `And`, `Or` and `FollowedBy` are n-ary (always at least two operands, in source
/// order) so that long chains do not make deep trees. As written, `AND` binds
/// tighter than `OR`, which binds tighter than `FOLLOWEDBY`; parentheses are kept
/// as [`ObservationExpr::Group`].
#[derive(Debug, Clone, PartialEq)]
pub enum ObservationExpr {
    /// `[comparison]`, with the qualifiers written directly after it, in order.
    Bracket {
        comparison: ComparisonExpr,
        qualifiers: Vec<Qualifier>,
    },
    /// `( observation expression )`, with the qualifiers written after the `)`.
    Group {
        inner: Box<ObservationExpr>,
        qualifiers: Vec<Qualifier>,
    },
    /// `a AND b AND ...`: every operand observed (any order, any time).
    And(Vec<ObservationExpr>),
    /// `a OR b OR ...`: any operand observed.
    Or(Vec<ObservationExpr>),
    /// `a FOLLOWEDBY b ...`: each operand observed after the previous one.
    FollowedBy(Vec<ObservationExpr>),
}

/// A qualifier on an observation expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Qualifier {
    /// `WITHIN n SECONDS` (n as written: an integer or a decimal, positive).
    Within { seconds: f64 },
    /// `REPEATS n TIMES`.
    Repeats { times: u64 },
    /// `START t'..' STOP t'..'`; the timestamps as written inside the quotes.
    StartStop { start: String, stop: String },
}

/// A comparison expression: the inside of one `[...]`.
///
/// `And` and `Or` are n-ary like [`ObservationExpr`]'s; `AND` binds tighter than
/// `OR`; parentheses are kept as [`ComparisonExpr::Group`].
#[derive(Debug, Clone, PartialEq)]
pub enum ComparisonExpr {
    /// One comparison.
    Comparison(Comparison),
    /// `( comparison expression )`.
    Group(Box<ComparisonExpr>),
    /// `a AND b AND ...`: all hold for the same object.
    And(Vec<ComparisonExpr>),
    /// `a OR b OR ...`: any holds.
    Or(Vec<ComparisonExpr>),
}

/// One comparison (`propTest` in the grammar), e.g. `file:name NOT LIKE '%.exe'`.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The object path compared.
    pub path: ObjectPath,
    /// The operator.
    pub op: Op,
    /// `NOT` was written (`!=` is [`Op::Neq`], not a negated `=`).
    pub negated: bool,
    /// The right-hand side: one literal, the members of an `IN` set (possibly
    /// none), or none for `EXISTS`.
    pub values: Vec<Literal>,
    /// Byte offset of the comparison's first character in the pattern.
    pub offset: usize,
    /// The comparison exactly as written (from the path, or `NOT`/`EXISTS`, to
    /// the end of the last literal or of the path).
    pub text: String,
}

/// An object path: `type:first.key.'quoted key'[0][*]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjectPath {
    /// The object type, e.g. `ipv4-addr`, `file`, `x-custom`.
    pub object_type: String,
    /// The property steps, the first always a [`PathStep::Key`].
    pub steps: Vec<PathStep>,
}

/// One step of an object path after the `:`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathStep {
    /// A property or dictionary key; `quoted` when written as a string literal
    /// (`hashes.'SHA-256'`), with `name` unescaped.
    Key { name: String, quoted: bool },
    /// A list index, `[0]` (negative indexes are grammatical).
    Index(i64),
    /// Any list member, `[*]`.
    AnyIndex,
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// `=` or `==`
    Eq,
    /// `!=` or `<>`
    Neq,
    /// `>`
    Gt,
    /// `<`
    Lt,
    /// `>=`
    Ge,
    /// `<=`
    Le,
    /// `IN (..)`
    In,
    /// `LIKE` (SQL wildcards `%` and `_`)
    Like,
    /// `MATCHES` (a PCRE regular expression)
    Matches,
    /// `ISSUBSET` (address within a network)
    IsSubset,
    /// `ISSUPERSET` (network containing an address or network)
    IsSuperset,
    /// `EXISTS path`
    Exists,
}

/// A literal value.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// `'text'`, unescaped (`\'` and `\\` are the only escapes).
    Str(String),
    /// `5`, `+5`, `-5`.
    Int(i64),
    /// `1.5`, `.5`, `-0.5` (finite).
    Float(f64),
    /// `true` or `false`.
    Bool(bool),
    /// `h'00ff'`, decoded.
    Hex(Vec<u8>),
    /// `b'AAEC'` (base64), decoded.
    Binary(Vec<u8>),
    /// `t'2016-01-01T00:00:00Z'`, the text inside the quotes (syntax checked as the
    /// grammar does: field ranges, not calendar days).
    Timestamp(String),
}

/// One comparison of a pattern, flattened for reporting and sweeping.
#[derive(Debug, Clone, PartialEq)]
pub struct Atom {
    /// The object type, e.g. `ipv4-addr`.
    pub object_type: String,
    /// The property path after the `:`, e.g. `value`, `hashes.'SHA-256'`,
    /// `body_multipart[*].body_raw_ref.name` (keys quoted as they were written).
    pub path: String,
    /// The operator.
    pub op: Op,
    /// `NOT` was written.
    pub negated: bool,
    /// The right-hand side literals (see [`Comparison::values`]).
    pub values: Vec<Literal>,
    /// The comparison as written, e.g. `ipv4-addr:value = '1.2.3.4'`.
    pub text: String,
}

impl Pattern {
    /// Every comparison of the pattern, in source order.
    pub fn atoms(&self) -> Vec<Atom> {
        let mut out = Vec::new();
        let mut comps = Vec::new();
        collect_obs(&self.expr, &mut comps);
        for c in comps {
            out.push(Atom {
                object_type: c.path.object_type.clone(),
                path: c.path.property_path(),
                op: c.op,
                negated: c.negated,
                values: c.values.clone(),
                text: c.text.clone(),
            });
        }
        out
    }

    /// Every comparison of the pattern, in source order, as parsed.
    pub fn comparisons(&self) -> Vec<&Comparison> {
        let mut comps = Vec::new();
        collect_obs(&self.expr, &mut comps);
        comps
    }
}

// Recursion below is bounded by the nesting depth the parser allows.
fn collect_obs<'a>(e: &'a ObservationExpr, out: &mut Vec<&'a Comparison>) {
    match e {
        ObservationExpr::Bracket { comparison, .. } => collect_cmp(comparison, out),
        ObservationExpr::Group { inner, .. } => collect_obs(inner, out),
        ObservationExpr::And(v) | ObservationExpr::Or(v) | ObservationExpr::FollowedBy(v) => {
            for x in v {
                collect_obs(x, out);
            }
        }
    }
}

fn collect_cmp<'a>(e: &'a ComparisonExpr, out: &mut Vec<&'a Comparison>) {
    match e {
        ComparisonExpr::Comparison(c) => out.push(c),
        ComparisonExpr::Group(inner) => collect_cmp(inner, out),
        ComparisonExpr::And(v) | ComparisonExpr::Or(v) => {
            for x in v {
                collect_cmp(x, out);
            }
        }
    }
}

impl ObjectPath {
    /// The path after the `:` as text, e.g. `hashes.'SHA-256'` or `refs[*].value`.
    pub fn property_path(&self) -> String {
        let mut s = String::new();
        for (i, step) in self.steps.iter().enumerate() {
            match step {
                PathStep::Key { name, quoted } => {
                    if i > 0 {
                        s.push('.');
                    }
                    if *quoted {
                        push_quoted(&mut s, name);
                    } else {
                        s.push_str(name);
                    }
                }
                PathStep::Index(n) => {
                    s.push('[');
                    s.push_str(&n.to_string());
                    s.push(']');
                }
                PathStep::AnyIndex => s.push_str("[*]"),
            }
        }
        s
    }
}

// ---------------------------------------------------------------------------
// Display (canonical form)
// ---------------------------------------------------------------------------

fn push_quoted(s: &mut String, text: &str) {
    s.push('\'');
    for c in text.chars() {
        if c == '\'' || c == '\\' {
            s.push('\\');
        }
        s.push(c);
    }
    s.push('\'');
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Op::Eq => "=",
            Op::Neq => "!=",
            Op::Gt => ">",
            Op::Lt => "<",
            Op::Ge => ">=",
            Op::Le => "<=",
            Op::In => "IN",
            Op::Like => "LIKE",
            Op::Matches => "MATCHES",
            Op::IsSubset => "ISSUBSET",
            Op::IsSuperset => "ISSUPERSET",
            Op::Exists => "EXISTS",
        })
    }
}

fn fmt_float(v: f64) -> String {
    let mut s = format!("{v}");
    if !s.contains('.') {
        s.push_str(".0");
    }
    s
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Str(s) => {
                let mut out = String::with_capacity(s.len() + 2);
                push_quoted(&mut out, s);
                f.write_str(&out)
            }
            Literal::Int(n) => write!(f, "{n}"),
            Literal::Float(v) => f.write_str(&fmt_float(*v)),
            Literal::Bool(b) => write!(f, "{b}"),
            Literal::Hex(bytes) => {
                f.write_str("h'")?;
                for b in bytes {
                    write!(f, "{b:02x}")?;
                }
                f.write_str("'")
            }
            Literal::Binary(bytes) => write!(f, "b'{}'", base64_encode(bytes)),
            Literal::Timestamp(t) => write!(f, "t'{t}'"),
        }
    }
}

impl fmt::Display for ObjectPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.object_type, self.property_path())
    }
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.op == Op::Exists {
            if self.negated {
                f.write_str("NOT ")?;
            }
            return write!(f, "EXISTS {}", self.path);
        }
        write!(f, "{} ", self.path)?;
        if self.negated {
            f.write_str("NOT ")?;
        }
        write!(f, "{}", self.op)?;
        if self.op == Op::In {
            f.write_str(" (")?;
            for (i, v) in self.values.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{v}")?;
            }
            f.write_str(")")
        } else {
            for v in &self.values {
                write!(f, " {v}")?;
            }
            Ok(())
        }
    }
}

impl fmt::Display for Qualifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Qualifier::Within { seconds } => {
                if seconds.fract() == 0.0 && *seconds < 1e15 && *seconds >= 0.0 {
                    write!(f, "WITHIN {} SECONDS", *seconds as u64)
                } else {
                    write!(f, "WITHIN {} SECONDS", fmt_float(*seconds))
                }
            }
            Qualifier::Repeats { times } => write!(f, "REPEATS {times} TIMES"),
            Qualifier::StartStop { start, stop } => write!(f, "START t'{start}' STOP t'{stop}'"),
        }
    }
}

fn cmp_prec(e: &ComparisonExpr) -> u8 {
    match e {
        ComparisonExpr::Or(_) => 1,
        ComparisonExpr::And(_) => 2,
        _ => 3,
    }
}

impl fmt::Display for ComparisonExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ComparisonExpr::Comparison(c) => write!(f, "{c}"),
            ComparisonExpr::Group(inner) => write!(f, "({inner})"),
            ComparisonExpr::And(v) | ComparisonExpr::Or(v) => {
                let (word, prec) = if matches!(self, ComparisonExpr::And(_)) {
                    (" AND ", 2)
                } else {
                    (" OR ", 1)
                };
                for (i, x) in v.iter().enumerate() {
                    if i > 0 {
                        f.write_str(word)?;
                    }
                    // Parenthesise operands that would otherwise regroup (only
                    // possible in hand-built trees; parsed ones use Group).
                    if cmp_prec(x) <= prec {
                        write!(f, "({x})")?;
                    } else {
                        write!(f, "{x}")?;
                    }
                }
                Ok(())
            }
        }
    }
}

fn obs_prec(e: &ObservationExpr) -> u8 {
    match e {
        ObservationExpr::FollowedBy(_) => 1,
        ObservationExpr::Or(_) => 2,
        ObservationExpr::And(_) => 3,
        _ => 4,
    }
}

impl fmt::Display for ObservationExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ObservationExpr::Bracket {
                comparison,
                qualifiers,
            } => {
                write!(f, "[{comparison}]")?;
                for q in qualifiers {
                    write!(f, " {q}")?;
                }
                Ok(())
            }
            ObservationExpr::Group { inner, qualifiers } => {
                write!(f, "({inner})")?;
                for q in qualifiers {
                    write!(f, " {q}")?;
                }
                Ok(())
            }
            ObservationExpr::And(v) | ObservationExpr::Or(v) | ObservationExpr::FollowedBy(v) => {
                let (word, prec) = match self {
                    ObservationExpr::And(_) => (" AND ", 3),
                    ObservationExpr::Or(_) => (" OR ", 2),
                    _ => (" FOLLOWEDBY ", 1),
                };
                for (i, x) in v.iter().enumerate() {
                    if i > 0 {
                        f.write_str(word)?;
                    }
                    if obs_prec(x) <= prec {
                        write!(f, "({x})")?;
                    } else {
                        write!(f, "{x}")?;
                    }
                }
                Ok(())
            }
        }
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.expr)
    }
}

impl std::str::FromStr for Pattern {
    type Err = PatternError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse(s)
    }
}

// ---------------------------------------------------------------------------
// Lexer
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kw {
    And,
    Or,
    Not,
    FollowedBy,
    Like,
    Matches,
    IsSuperset,
    IsSubset,
    Exists,
    Last,
    In,
    Start,
    Stop,
    Seconds,
    Within,
    Repeats,
    Times,
}

fn keyword(s: &str) -> Option<Kw> {
    Some(match s {
        "AND" => Kw::And,
        "OR" => Kw::Or,
        "NOT" => Kw::Not,
        "FOLLOWEDBY" => Kw::FollowedBy,
        "LIKE" => Kw::Like,
        "MATCHES" => Kw::Matches,
        "ISSUPERSET" => Kw::IsSuperset,
        "ISSUBSET" => Kw::IsSubset,
        "EXISTS" => Kw::Exists,
        "LAST" => Kw::Last,
        "IN" => Kw::In,
        "START" => Kw::Start,
        "STOP" => Kw::Stop,
        "SECONDS" => Kw::Seconds,
        "WITHIN" => Kw::Within,
        "REPEATS" => Kw::Repeats,
        "TIMES" => Kw::Times,
        _ => return None,
    })
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// `[a-zA-Z_][a-zA-Z0-9_-]*` that is not a keyword; `hyphen` when it has a `-`.
    Ident {
        hyphen: bool,
    },
    Kw(Kw),
    Str(String),
    /// Integer literal; its text is the token's span.
    Int {
        neg: bool,
    },
    /// Decimal literal; its text is the token's span.
    Float {
        neg: bool,
    },
    Hex(Vec<u8>),
    Bin(Vec<u8>),
    Bool(bool),
    /// Timestamp literal; its text is the span minus `t'` and `'`.
    Ts,
    Eq,
    Neq,
    Lt,
    Le,
    Gt,
    Ge,
    Colon,
    Dot,
    Comma,
    LParen,
    RParen,
    LBrack,
    RBrack,
    Star,
    Eof,
}

#[derive(Debug, Clone, PartialEq)]
struct Token {
    tok: Tok,
    start: usize,
    end: usize,
}

/// The grammar's whitespace set (`WS`).
fn is_ws(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t'
            | '\r'
            | '\n'
            | '\u{0B}'
            | '\u{0C}'
            | '\u{85}'
            | '\u{A0}'
            | '\u{1680}'
            | '\u{2000}'
            ..='\u{200A}' | '\u{2028}' | '\u{2029}' | '\u{202F}' | '\u{205F}' | '\u{3000}'
    )
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_ident_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

fn is_b64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'+' || b == b'/'
}

/// Tokens are made one at a time, so errors are reported in source order.
///
/// The lexer follows the grammar's lexer (longest match, keywords before
/// identifiers). Where the grammar's lexer would fall back to a token that no
/// parser rule accepts (a lone quote, `h` before a malformed hex string, a lone
/// `-`, an unterminated comment...), the pattern cannot be valid, so this lexer
/// reports a specific error instead.
struct Lexer<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Lexer<'a> {
    fn new(src: &'a str) -> Self {
        Lexer {
            src,
            bytes: src.as_bytes(),
            pos: 0,
        }
    }

    fn peek_byte(&self, at: usize) -> Option<u8> {
        self.bytes.get(at).copied()
    }

    fn char_at(&self, at: usize) -> Option<char> {
        self.src.get(at..).and_then(|s| s.chars().next())
    }

    fn skip_trivia(&mut self) -> Result<(), PatternError> {
        loop {
            let Some(c) = self.char_at(self.pos) else {
                return Ok(());
            };
            if is_ws(c) {
                self.pos += c.len_utf8();
            } else if c == '/' && self.peek_byte(self.pos + 1) == Some(b'*') {
                let body = self.pos + 2;
                match self.src.get(body..).and_then(|s| s.find("*/")) {
                    Some(i) => self.pos = body + i + 2,
                    None => {
                        return Err(PatternError::new(
                            self.pos,
                            "unterminated comment: '/*' has no closing '*/'",
                        ))
                    }
                }
            } else if c == '/' && self.peek_byte(self.pos + 1) == Some(b'/') {
                while let Some(b) = self.peek_byte(self.pos) {
                    if b == b'\n' || b == b'\r' {
                        break;
                    }
                    self.pos += 1;
                }
            } else {
                return Ok(());
            }
        }
    }

    fn next(&mut self) -> Result<Token, PatternError> {
        self.skip_trivia()?;
        let start = self.pos;
        let Some(b) = self.peek_byte(start) else {
            return Ok(Token {
                tok: Tok::Eof,
                start,
                end: start,
            });
        };
        let simple = |tok: Tok, len: usize| Token {
            tok,
            start,
            end: start + len,
        };
        let next = self.peek_byte(start + 1);
        let t = match b {
            b'[' => simple(Tok::LBrack, 1),
            b']' => simple(Tok::RBrack, 1),
            b'(' => simple(Tok::LParen, 1),
            b')' => simple(Tok::RParen, 1),
            b',' => simple(Tok::Comma, 1),
            b':' => simple(Tok::Colon, 1),
            b'*' => simple(Tok::Star, 1),
            b'=' if next == Some(b'=') => simple(Tok::Eq, 2),
            b'=' => simple(Tok::Eq, 1),
            b'!' if next == Some(b'=') => simple(Tok::Neq, 2),
            b'<' if next == Some(b'=') => simple(Tok::Le, 2),
            b'<' if next == Some(b'>') => simple(Tok::Neq, 2),
            b'<' => simple(Tok::Lt, 1),
            b'>' if next == Some(b'=') => simple(Tok::Ge, 2),
            b'>' => simple(Tok::Gt, 1),
            b'.' if next.is_some_and(|n| n.is_ascii_digit()) => self.number(start)?,
            b'.' => simple(Tok::Dot, 1),
            b'0'..=b'9' | b'+' | b'-' => self.number(start)?,
            b'\'' => {
                let (s, end) = self.string(start)?;
                Token {
                    tok: Tok::Str(s),
                    start,
                    end,
                }
            }
            _ if is_ident_start(b) => self.word(start)?,
            _ => {
                let c = self.char_at(start).unwrap_or('\u{FFFD}');
                let msg = match c {
                    '!' => "unexpected '!': the not-equal operator is '!=' (or '<>')".to_string(),
                    '"' => "unexpected '\"': STIX strings are in single quotes".to_string(),
                    '/' | '^' => format!("unexpected '{c}'"),
                    _ => format!("unexpected character {c:?}"),
                };
                return Err(PatternError::new(start, msg));
            }
        };
        self.pos = t.end;
        Ok(t)
    }

    /// IntPos/IntNeg/FloatPos/FloatNeg, longest match.
    fn number(&self, start: usize) -> Result<Token, PatternError> {
        let bytes = self.bytes;
        let mut i = start;
        let mut neg = false;
        if let Some(s @ (b'+' | b'-')) = self.peek_byte(i) {
            neg = s == b'-';
            i += 1;
        }
        let digits_start = i;
        let mut j = i;
        while j < bytes.len() && bytes[j].is_ascii_digit() {
            j += 1;
        }
        // Float: [0-9]* '.' [0-9]+
        if self.peek_byte(j) == Some(b'.')
            && self.peek_byte(j + 1).is_some_and(|d| d.is_ascii_digit())
        {
            let mut k = j + 1;
            while k < bytes.len() && bytes[k].is_ascii_digit() {
                k += 1;
            }
            return Ok(Token {
                tok: Tok::Float { neg },
                start,
                end: k,
            });
        }
        if j == digits_start {
            let c = bytes.get(start).copied().unwrap_or(b'?') as char;
            return Err(PatternError::new(
                start,
                format!("unexpected '{c}': a sign must be followed by a number"),
            ));
        }
        // Int: '0' | [1-9][0-9]*
        if bytes[digits_start] == b'0' && j > digits_start + 1 {
            return Err(PatternError::new(
                start,
                "leading zeros are not allowed in an integer",
            ));
        }
        Ok(Token {
            tok: Tok::Int { neg },
            start,
            end: j,
        })
    }

    /// A string literal starting at the quote at `start`; returns the unescaped
    /// text and the end offset (after the closing quote).
    fn string(&self, start: usize) -> Result<(String, usize), PatternError> {
        let mut out = String::new();
        let body = start + 1;
        let rest = self.src.get(body..).unwrap_or("");
        let mut it = rest.char_indices();
        while let Some((i, c)) = it.next() {
            match c {
                '\'' => return Ok((out, body + i + 1)),
                '\\' => match it.next() {
                    Some((_, e @ ('\'' | '\\'))) => out.push(e),
                    Some((_, e)) => {
                        return Err(PatternError::new(
                            body + i,
                            format!(
                                "invalid escape '\\{e}' in string literal (only \\' and \\\\ are allowed)"
                            ),
                        ))
                    }
                    None => break,
                },
                _ => out.push(c),
            }
        }
        Err(PatternError::new(
            start,
            "unterminated string literal (no closing quote)",
        ))
    }

    /// An identifier, keyword, boolean, or a `h'..'`/`b'..'`/`t'..'` literal.
    fn word(&self, start: usize) -> Result<Token, PatternError> {
        let bytes = self.bytes;
        let mut j = start + 1;
        while j < bytes.len() && is_ident_char(bytes[j]) {
            j += 1;
        }
        let text = &self.src[start..j];
        if j == start + 1 && self.peek_byte(j) == Some(b'\'') {
            match text {
                "h" => return self.hex(start),
                "b" => return self.binary(start),
                "t" => return self.timestamp(start),
                _ => {}
            }
        }
        let tok = match text {
            "true" => Tok::Bool(true),
            "false" => Tok::Bool(false),
            _ => match keyword(text) {
                Some(k) => Tok::Kw(k),
                None => Tok::Ident {
                    hyphen: text.contains('-'),
                },
            },
        };
        Ok(Token { tok, start, end: j })
    }

    /// The bytes between the quotes of a prefixed literal at `start` (`x'...'`),
    /// and the offset after the closing quote. None if there is no closing quote.
    fn quoted_body(&self, start: usize) -> Option<(&'a [u8], usize)> {
        let body = start + 2;
        let rest = self.bytes.get(body..)?;
        let close = rest.iter().position(|&b| b == b'\'')?;
        Some((&rest[..close], body + close + 1))
    }

    fn hex(&self, start: usize) -> Result<Token, PatternError> {
        let bad = |m: &str| PatternError::new(start, format!("invalid hex literal: {m}"));
        let (body, end) = self
            .quoted_body(start)
            .ok_or_else(|| bad("no closing quote"))?;
        if let Some(i) = body.iter().position(|b| !b.is_ascii_hexdigit()) {
            return Err(PatternError::new(
                start + 2 + i,
                "invalid hex literal: only hex digits may appear between h' and '",
            ));
        }
        if !body.len().is_multiple_of(2) {
            return Err(bad("an odd number of hex digits"));
        }
        let bytes = body
            .chunks(2)
            .map(|p| (hex_val(p[0]) << 4) | hex_val(p[1]))
            .collect();
        Ok(Token {
            tok: Tok::Hex(bytes),
            start,
            end,
        })
    }

    fn binary(&self, start: usize) -> Result<Token, PatternError> {
        let bad = || {
            PatternError::new(
                start,
                "invalid binary literal: b'...' needs base64 (groups of 4 of A-Z a-z 0-9 + /, '=' padding at the end)",
            )
        };
        let (body, end) = self.quoted_body(start).ok_or_else(bad)?;
        let bytes = base64_decode(body).ok_or_else(bad)?;
        Ok(Token {
            tok: Tok::Bin(bytes),
            start,
            end,
        })
    }

    fn timestamp(&self, start: usize) -> Result<Token, PatternError> {
        let bad = || {
            PatternError::new(
                start,
                "invalid timestamp literal: expected t'YYYY-MM-DDTHH:MM:SS[.fraction]Z' (UTC, 'Z' required)",
            )
        };
        let (body, end) = self.quoted_body(start).ok_or_else(bad)?;
        if !timestamp_ok(body) {
            return Err(bad());
        }
        Ok(Token {
            tok: Tok::Ts,
            start,
            end,
        })
    }
}

fn hex_val(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        b'A'..=b'F' => b - b'A' + 10,
        _ => 0,
    }
}

/// The grammar's TimestampLiteral body: field ranges, not calendar validity.
fn timestamp_ok(s: &[u8]) -> bool {
    let d = |i: usize| s.get(i).is_some_and(|b| b.is_ascii_digit());
    let at = |i: usize| s.get(i).copied().unwrap_or(0);
    if s.len() < 20 || !(0..4).all(d) || at(4) != b'-' || at(7) != b'-' {
        return false;
    }
    let month_ok = (at(5) == b'0' && (b'1'..=b'9').contains(&at(6)))
        || (at(5) == b'1' && (b'0'..=b'2').contains(&at(6)));
    let day_ok = (at(8) == b'0' && (b'1'..=b'9').contains(&at(9)))
        || ((at(8) == b'1' || at(8) == b'2') && d(9))
        || (at(8) == b'3' && (at(9) == b'0' || at(9) == b'1'));
    let hour_ok = ((at(11) == b'0' || at(11) == b'1') && d(12))
        || (at(11) == b'2' && (b'0'..=b'3').contains(&at(12)));
    let min_ok = (b'0'..=b'5').contains(&at(14)) && d(15);
    let sec_ok = ((b'0'..=b'5').contains(&at(17)) && d(18)) || (at(17) == b'6' && at(18) == b'0');
    if !(month_ok
        && day_ok
        && at(10) == b'T'
        && hour_ok
        && at(13) == b':'
        && min_ok
        && at(16) == b':'
        && sec_ok)
    {
        return false;
    }
    let rest = &s[19..];
    match rest {
        [b'Z'] => true,
        [b'.', mid @ .., b'Z'] => !mid.is_empty() && mid.iter().all(|b| b.is_ascii_digit()),
        _ => false,
    }
}

fn b64_val(b: u8) -> u8 {
    match b {
        b'A'..=b'Z' => b - b'A',
        b'a'..=b'z' => b - b'a' + 26,
        b'0'..=b'9' => b - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => 0,
    }
}

/// Decodes the grammar's BinaryLiteral body: one or more groups of four base64
/// characters, the last possibly ending in `=` or `==`.
fn base64_decode(body: &[u8]) -> Option<Vec<u8>> {
    if body.is_empty() || !body.len().is_multiple_of(4) {
        return None;
    }
    let pad = body.iter().rev().take_while(|&&b| b == b'=').count();
    if pad > 2 {
        return None;
    }
    let data = &body[..body.len() - pad];
    if !data.iter().all(|&b| is_b64(b)) {
        return None;
    }
    let mut out = Vec::with_capacity(body.len() / 4 * 3);
    for chunk in body.chunks(4) {
        let v: Vec<u32> = chunk
            .iter()
            .map(|&b| if b == b'=' { 0 } else { u32::from(b64_val(b)) })
            .collect();
        let n = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
        let used = chunk.iter().filter(|&&b| b != b'=').count();
        out.push((n >> 16) as u8);
        if used >= 3 {
            out.push((n >> 8) as u8);
        }
        if used == 4 {
            out.push(n as u8);
        }
    }
    Some(out)
}

fn base64_encode(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b0 = u32::from(chunk[0]);
        let b1 = chunk.get(1).copied().map(u32::from);
        let b2 = chunk.get(2).copied().map(u32::from);
        let n = (b0 << 16) | (b1.unwrap_or(0) << 8) | b2.unwrap_or(0);
        s.push(A[(n >> 18) as usize & 63] as char);
        s.push(A[(n >> 12) as usize & 63] as char);
        s.push(if b1.is_some() {
            A[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        s.push(if b2.is_some() {
            A[n as usize & 63] as char
        } else {
            '='
        });
    }
    s
}

// ---------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------

/// Parses a STIX 2.1 pattern.
///
/// Accepts what the OASIS grammar accepts (plus the reference validator's
/// duplicate-qualifier rule), with these limits: at most [`MAX_PATTERN_BYTES`]
/// bytes, at most [`MAX_DEPTH`] nested brackets and parentheses, integers that fit
/// in 64 bits, finite decimals. Never panics.
pub fn parse(text: &str) -> Result<Pattern, PatternError> {
    if text.len() > MAX_PATTERN_BYTES {
        return Err(PatternError::new(
            MAX_PATTERN_BYTES,
            format!(
                "pattern is {} bytes; the limit is {MAX_PATTERN_BYTES} bytes",
                text.len()
            ),
        ));
    }
    let mut lexer = Lexer::new(text);
    let cur = lexer.next()?;
    let mut p = Parser {
        src: text,
        lexer,
        cur,
        prev_end: 0,
        depth: 0,
    };
    if p.cur.tok == Tok::Eof {
        return Err(PatternError::new(
            p.cur.start,
            "empty pattern: expected an observation such as [ipv4-addr:value = '198.51.100.1']",
        ));
    }
    let expr = p.obs_exprs()?;
    if p.cur.tok != Tok::Eof {
        let what = match p.cur.tok {
            Tok::RBrack => "an unmatched ']'".to_string(),
            Tok::RParen => "an unmatched ')'".to_string(),
            _ => p.describe(),
        };
        return Err(PatternError::new(
            p.cur.start,
            format!(
                "expected AND, OR, FOLLOWEDBY, a qualifier or the end of the pattern, found {what}"
            ),
        ));
    }
    Ok(Pattern { expr })
}

struct Parser<'a> {
    src: &'a str,
    lexer: Lexer<'a>,
    cur: Token,
    /// End offset of the last consumed token.
    prev_end: usize,
    depth: usize,
}

impl Parser<'_> {
    /// Consumes the current token and lexes the next one.
    fn bump(&mut self) -> Result<Token, PatternError> {
        let next = self.lexer.next()?;
        let t = std::mem::replace(&mut self.cur, next);
        self.prev_end = t.end;
        Ok(t)
    }

    fn is_kw(&self, k: Kw) -> bool {
        self.cur.tok == Tok::Kw(k)
    }

    fn text(&self, t: &Token) -> &str {
        self.src.get(t.start..t.end).unwrap_or("")
    }

    /// The current token for an error message.
    fn describe(&self) -> String {
        if self.cur.tok == Tok::Eof {
            return "the end of the pattern".to_string();
        }
        let t = self.text(&self.cur);
        let shown: String = t.chars().take(40).collect();
        if shown.len() < t.len() {
            format!("`{shown}...`")
        } else {
            format!("`{shown}`")
        }
    }

    fn err_here(&self, expected: &str) -> PatternError {
        PatternError::new(
            self.cur.start,
            format!("expected {expected}, found {}", self.describe()),
        )
    }

    fn enter(&mut self, at: usize) -> Result<(), PatternError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(PatternError::new(
                at,
                format!("brackets and parentheses nest deeper than {MAX_DEPTH} levels"),
            ));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    // observationExpressions: FOLLOWEDBY, loosest.
    fn obs_exprs(&mut self) -> Result<ObservationExpr, PatternError> {
        let first = self.obs_or()?;
        if !self.is_kw(Kw::FollowedBy) {
            return Ok(first);
        }
        let mut v = vec![first];
        while self.is_kw(Kw::FollowedBy) {
            self.bump()?;
            v.push(self.obs_or()?);
        }
        Ok(ObservationExpr::FollowedBy(v))
    }

    fn obs_or(&mut self) -> Result<ObservationExpr, PatternError> {
        let first = self.obs_and()?;
        if !self.is_kw(Kw::Or) {
            return Ok(first);
        }
        let mut v = vec![first];
        while self.is_kw(Kw::Or) {
            self.bump()?;
            v.push(self.obs_and()?);
        }
        Ok(ObservationExpr::Or(v))
    }

    fn obs_and(&mut self) -> Result<ObservationExpr, PatternError> {
        let first = self.obs_expr()?;
        if !self.is_kw(Kw::And) {
            return Ok(first);
        }
        let mut v = vec![first];
        while self.is_kw(Kw::And) {
            self.bump()?;
            v.push(self.obs_expr()?);
        }
        Ok(ObservationExpr::And(v))
    }

    fn obs_expr(&mut self) -> Result<ObservationExpr, PatternError> {
        match self.cur.tok {
            Tok::LBrack => {
                let open = self.cur.start;
                self.enter(open)?;
                self.bump()?;
                let comparison = self.cmp_or()?;
                if self.cur.tok != Tok::RBrack {
                    return Err(self.err_here(&format!(
                        "AND, OR or ']' to close the observation opened at offset {open}"
                    )));
                }
                self.bump()?;
                self.leave();
                let qualifiers = self.qualifiers(true)?;
                Ok(ObservationExpr::Bracket {
                    comparison,
                    qualifiers,
                })
            }
            Tok::LParen => {
                let open = self.cur.start;
                self.enter(open)?;
                self.bump()?;
                let inner = self.obs_exprs()?;
                if self.cur.tok != Tok::RParen {
                    return Err(self.err_here(&format!(
                        "AND, OR, FOLLOWEDBY, a qualifier or ')' to close the parenthesis opened at offset {open}"
                    )));
                }
                self.bump()?;
                self.leave();
                let qualifiers = self.qualifiers(false)?;
                Ok(ObservationExpr::Group {
                    inner: Box::new(inner),
                    qualifiers,
                })
            }
            Tok::Ident { .. } => Err(self.err_here(
                "'[' to start an observation (a pattern looks like [object-type:property = 'value'])",
            )),
            _ => Err(self.err_here("'[' or '(' to start an observation")),
        }
    }

    /// Qualifiers after an observation. With `check_dups` (a bracketed
    /// observation), a qualifier type may appear only once, as the reference
    /// validator requires.
    fn qualifiers(&mut self, check_dups: bool) -> Result<Vec<Qualifier>, PatternError> {
        let mut out: Vec<Qualifier> = Vec::new();
        loop {
            let at = self.cur.start;
            let q = match self.cur.tok {
                Tok::Kw(Kw::Within) => {
                    self.bump()?;
                    let seconds = match self.cur.tok {
                        Tok::Int { neg: false } | Tok::Float { neg: false } => {
                            let t = self.text(&self.cur).to_string();
                            match t.parse::<f64>() {
                                Ok(v) if v.is_finite() => v,
                                _ => {
                                    return Err(PatternError::new(
                                        self.cur.start,
                                        "WITHIN seconds out of range",
                                    ))
                                }
                            }
                        }
                        Tok::Int { neg: true } | Tok::Float { neg: true } => {
                            return Err(PatternError::new(
                                self.cur.start,
                                "WITHIN needs a positive number of seconds",
                            ))
                        }
                        _ => return Err(self.err_here("a number of seconds after WITHIN")),
                    };
                    self.bump()?;
                    if !self.is_kw(Kw::Seconds) {
                        return Err(self.err_here("SECONDS (the only unit) after the WITHIN value"));
                    }
                    self.bump()?;
                    Qualifier::Within { seconds }
                }
                Tok::Kw(Kw::Repeats) => {
                    self.bump()?;
                    let times = match self.cur.tok {
                        Tok::Int { neg: false } => {
                            let t = self.text(&self.cur);
                            t.trim_start_matches('+').parse::<u64>().map_err(|_| {
                                PatternError::new(self.cur.start, "REPEATS count out of range")
                            })?
                        }
                        _ => {
                            return Err(
                                self.err_here("a positive integer after REPEATS (REPEATS n TIMES)")
                            )
                        }
                    };
                    self.bump()?;
                    if !self.is_kw(Kw::Times) {
                        return Err(self.err_here("TIMES after the REPEATS count"));
                    }
                    self.bump()?;
                    Qualifier::Repeats { times }
                }
                Tok::Kw(Kw::Start) => {
                    self.bump()?;
                    let start = self.ts("a timestamp t'...' after START")?;
                    if !self.is_kw(Kw::Stop) {
                        return Err(self.err_here("STOP after the START timestamp"));
                    }
                    self.bump()?;
                    let stop = self.ts("a timestamp t'...' after STOP")?;
                    Qualifier::StartStop { start, stop }
                }
                _ => return Ok(out),
            };
            if check_dups
                && out
                    .iter()
                    .any(|o| std::mem::discriminant(o) == std::mem::discriminant(&q))
            {
                let name = match q {
                    Qualifier::Within { .. } => "WITHIN",
                    Qualifier::Repeats { .. } => "REPEATS",
                    Qualifier::StartStop { .. } => "START/STOP",
                };
                return Err(PatternError::new(
                    at,
                    format!(
                        "duplicate {name} qualifier on one observation (parenthesise to qualify a qualified observation)"
                    ),
                ));
            }
            out.push(q);
        }
    }

    fn ts(&mut self, expected: &str) -> Result<String, PatternError> {
        if self.cur.tok != Tok::Ts {
            return Err(self.err_here(expected));
        }
        let t = self.bump()?;
        Ok(self
            .src
            .get(t.start + 2..t.end.saturating_sub(1))
            .unwrap_or("")
            .to_string())
    }

    fn cmp_or(&mut self) -> Result<ComparisonExpr, PatternError> {
        let first = self.cmp_and()?;
        if !self.is_kw(Kw::Or) {
            return Ok(first);
        }
        let mut v = vec![first];
        while self.is_kw(Kw::Or) {
            self.bump()?;
            v.push(self.cmp_and()?);
        }
        Ok(ComparisonExpr::Or(v))
    }

    fn cmp_and(&mut self) -> Result<ComparisonExpr, PatternError> {
        let first = self.prop_test()?;
        if !self.is_kw(Kw::And) {
            return Ok(first);
        }
        let mut v = vec![first];
        while self.is_kw(Kw::And) {
            self.bump()?;
            v.push(self.prop_test()?);
        }
        Ok(ComparisonExpr::And(v))
    }

    fn prop_test(&mut self) -> Result<ComparisonExpr, PatternError> {
        let start = self.cur.start;
        match self.cur.tok {
            Tok::LParen => {
                self.enter(start)?;
                self.bump()?;
                let inner = self.cmp_or()?;
                if self.cur.tok != Tok::RParen {
                    return Err(self.err_here(&format!(
                        "AND, OR or ')' to close the parenthesis opened at offset {start}"
                    )));
                }
                self.bump()?;
                self.leave();
                Ok(ComparisonExpr::Group(Box::new(inner)))
            }
            Tok::Kw(Kw::Not) | Tok::Kw(Kw::Exists) => {
                let negated = self.is_kw(Kw::Not);
                if negated {
                    self.bump()?;
                    if !self.is_kw(Kw::Exists) {
                        return Err(self.err_here(
                            "EXISTS after a leading NOT (otherwise NOT goes after the object path: file:name NOT = 'x')",
                        ));
                    }
                }
                self.bump()?;
                let path = self.object_path()?;
                let end = self.prev_end;
                Ok(ComparisonExpr::Comparison(Comparison {
                    path,
                    op: Op::Exists,
                    negated,
                    values: Vec::new(),
                    offset: start,
                    text: self.src.get(start..end).unwrap_or("").to_string(),
                }))
            }
            Tok::Ident { .. } => {
                let path = self.object_path()?;
                let negated = self.is_kw(Kw::Not);
                if negated {
                    self.bump()?;
                }
                let op = match self.cur.tok {
                    Tok::Eq => Op::Eq,
                    Tok::Neq => Op::Neq,
                    Tok::Gt => Op::Gt,
                    Tok::Lt => Op::Lt,
                    Tok::Ge => Op::Ge,
                    Tok::Le => Op::Le,
                    Tok::Kw(Kw::In) => Op::In,
                    Tok::Kw(Kw::Like) => Op::Like,
                    Tok::Kw(Kw::Matches) => Op::Matches,
                    Tok::Kw(Kw::IsSubset) => Op::IsSubset,
                    Tok::Kw(Kw::IsSuperset) => Op::IsSuperset,
                    _ => {
                        return Err(self.err_here(&format!(
                            "a comparison operator (=, !=, <, <=, >, >=, IN, LIKE, MATCHES, ISSUBSET, ISSUPERSET) after `{}`",
                            clip(&path.to_string())
                        )))
                    }
                };
                self.bump()?;
                let mut values = Vec::new();
                match op {
                    Op::In => {
                        if self.cur.tok != Tok::LParen {
                            return Err(self.err_here("'(' to start the IN list"));
                        }
                        self.bump()?;
                        if self.cur.tok != Tok::RParen {
                            loop {
                                values.push(self.literal(op)?);
                                match self.cur.tok {
                                    Tok::Comma => {
                                        self.bump()?;
                                    }
                                    Tok::RParen => break,
                                    _ => return Err(self.err_here("',' or ')' in the IN list")),
                                }
                            }
                        }
                        self.bump()?;
                    }
                    Op::Like | Op::Matches | Op::IsSubset | Op::IsSuperset => {
                        match &self.cur.tok {
                            Tok::Str(s) => values.push(Literal::Str(s.clone())),
                            _ => return Err(self.err_here(&format!("a string literal after {op}"))),
                        }
                        self.bump()?;
                    }
                    _ => {
                        values.push(self.literal(op)?);
                    }
                }
                let end = self.prev_end;
                Ok(ComparisonExpr::Comparison(Comparison {
                    path,
                    op,
                    negated,
                    values,
                    offset: start,
                    text: self.src.get(start..end).unwrap_or("").to_string(),
                }))
            }
            _ => {
                Err(self
                    .err_here("a comparison (object-type:property operator value), '(' or EXISTS"))
            }
        }
    }

    /// A literal after `op`, consumed.
    fn literal(&mut self, op: Op) -> Result<Literal, PatternError> {
        let at = self.cur.start;
        let lit = match &self.cur.tok {
            Tok::Str(s) => Literal::Str(s.clone()),
            Tok::Int { .. } => {
                let t = self.text(&self.cur);
                Literal::Int(t.trim_start_matches('+').parse::<i64>().map_err(|_| {
                    PatternError::new(at, "integer literal does not fit in 64 bits")
                })?)
            }
            Tok::Float { .. } => {
                let t = self.text(&self.cur);
                match t.parse::<f64>() {
                    Ok(v) if v.is_finite() => Literal::Float(v),
                    _ => return Err(PatternError::new(at, "decimal literal out of range")),
                }
            }
            Tok::Bool(b) => {
                if matches!(op, Op::Gt | Op::Lt | Op::Ge | Op::Le) {
                    return Err(PatternError::new(
                        at,
                        format!("a boolean cannot be compared with {op}"),
                    ));
                }
                Literal::Bool(*b)
            }
            Tok::Hex(b) => Literal::Hex(b.clone()),
            Tok::Bin(b) => Literal::Binary(b.clone()),
            Tok::Ts => Literal::Timestamp(
                self.src
                    .get(self.cur.start + 2..self.cur.end.saturating_sub(1))
                    .unwrap_or("")
                    .to_string(),
            ),
            Tok::Ident { .. } => {
                return Err(self.err_here("a literal (strings are in single quotes)"));
            }
            _ => return Err(self.err_here("a literal value")),
        };
        self.bump()?;
        Ok(lit)
    }

    /// `type:first(.key | [n] | [*])*`.
    fn object_path(&mut self) -> Result<ObjectPath, PatternError> {
        let object_type = match self.cur.tok {
            Tok::Ident { .. } => self.text(&self.cur).to_string(),
            _ => return Err(self.err_here("an object type (such as file or ipv4-addr)")),
        };
        self.bump()?;
        if self.cur.tok != Tok::Colon {
            return Err(self.err_here(&format!(
                "':' after the object type `{}` (object-type:property)",
                clip(&object_type)
            )));
        }
        self.bump()?;
        let mut steps = vec![self.key("a property name after ':'")?];
        loop {
            match self.cur.tok {
                Tok::Dot => {
                    self.bump()?;
                    steps.push(self.key("a property name or quoted key after '.'")?);
                }
                Tok::LBrack => {
                    self.bump()?;
                    let step = match self.cur.tok {
                        Tok::Star => PathStep::AnyIndex,
                        Tok::Int { .. } => {
                            let t = self.text(&self.cur);
                            PathStep::Index(t.trim_start_matches('+').parse::<i64>().map_err(
                                |_| PatternError::new(self.cur.start, "list index out of range"),
                            )?)
                        }
                        _ => return Err(self.err_here("a list index (an integer or *)")),
                    };
                    self.bump()?;
                    if self.cur.tok != Tok::RBrack {
                        return Err(self.err_here("']' after the list index"));
                    }
                    self.bump()?;
                    steps.push(step);
                }
                _ => break,
            }
        }
        Ok(ObjectPath { object_type, steps })
    }

    fn key(&mut self, expected: &str) -> Result<PathStep, PatternError> {
        let step = match &self.cur.tok {
            Tok::Ident { hyphen: false } => PathStep::Key {
                name: self.text(&self.cur).to_string(),
                quoted: false,
            },
            Tok::Str(s) => PathStep::Key {
                name: s.clone(),
                quoted: true,
            },
            Tok::Ident { hyphen: true } => {
                let t = clip(self.text(&self.cur));
                return Err(PatternError::new(
                    self.cur.start,
                    format!("a property name cannot contain '-'; quote it: '{t}'"),
                ));
            }
            Tok::Kw(_) | Tok::Bool(_) => {
                let t = self.text(&self.cur);
                return Err(PatternError::new(
                    self.cur.start,
                    format!(
                        "`{t}` is a reserved word; quote it to use it as a property name: '{t}'"
                    ),
                ));
            }
            _ => return Err(self.err_here(expected)),
        };
        self.bump()?;
        Ok(step)
    }
}

// ---------------------------------------------------------------------------
// Compiler
// ---------------------------------------------------------------------------

/// What a sweep over telemetry can decide.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Sweep {
    /// Values to look for, in the order of the comparisons they came from
    /// (an exact duplicate from the same comparison is listed once).
    pub terms: Vec<Term>,
    /// True when matching any single term satisfies the whole pattern: every
    /// term comes from a comparison that is reached from the top only through
    /// `OR`s (of comparisons or of observations) and parentheses, with no
    /// qualifier on the way. Comparisons that cannot be swept do not change this
    /// when they are alternatives (`OR`): a term match still satisfies the
    /// pattern; the gap is listed in `unsweepable`.
    ///
    /// False when the pattern needs more than one record can show (an `AND` of
    /// comparisons, even when one side cannot be swept; observations joined by
    /// `AND` or `FOLLOWEDBY`; any `WITHIN`, `REPEATS` or `START`/`STOP`), and when
    /// there are no terms. Matches of a sweep that is not whole are reported with
    /// `partial: true`.
    pub whole: bool,
    /// Comparisons (or values of an `IN` list) it cannot sweep, each with the
    /// reason, in source order.
    pub unsweepable: Vec<Unsweepable>,
}

/// A comparison, or one value of it, that a sweep cannot decide.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Unsweepable {
    /// The comparison as written ([`Atom::text`]).
    pub atom: String,
    /// Why, for a person.
    pub reason: String,
}

/// One value to look for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Term {
    /// The value.
    pub kind: TermKind,
    /// The comparison it came from ([`Atom::text`]).
    pub atom: String,
}

/// A value to look for, normalised for exact lookup.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TermKind {
    /// One IPv4 address (`1.2.3.4`, or a `/32`).
    Ipv4(u32),
    /// An IPv4 network; host bits are zero; `prefix` is 1..=31.
    Ipv4Net { addr: u32, prefix: u8 },
    /// One IPv6 address (any spelling, or a `/128`).
    Ipv6(u128),
    /// An IPv6 network; host bits are zero; `prefix` is 1..=127.
    Ipv6Net { addr: u128, prefix: u8 },
    /// A domain name, lower-case, without a trailing dot. With `subdomains`
    /// (from `LIKE '%.example.com'`) the term stands for the names strictly
    /// below `name` (`a.example.com`, `a.b.example.com`) and NOT `name` itself,
    /// exactly as the LIKE pattern reads; without it, for `name` only.
    Domain { name: String, subdomains: bool },
    /// A URL exactly as given (surrounding white space removed).
    Url(String),
    /// An e-mail address, lower-case.
    Email(String),
    /// MD5 digest.
    Md5([u8; 16]),
    /// SHA-1 digest.
    Sha1([u8; 20]),
    /// SHA-256 digest.
    Sha256([u8; 32]),
    /// SHA-512 digest.
    Sha512([u8; 64]),
}

/// Compiles a pattern to what a sweep over logs, flows and packets can decide.
///
/// Swept comparisons (with `=`, `IN`, and `LIKE` without wildcards, which is an
/// equality):
/// - `ipv4-addr:value`, `ipv6-addr:value`: an address, or a network in CIDR
///   form (host bits cleared; a full-length prefix is an address); also with
///   `ISSUBSET 'net'`, and with `ISSUPERSET` of a single address. IPv6 in any
///   textual form (compressed, expanded, upper-case, embedded IPv4).
/// - `network-traffic:dst_ref.value`, `network-traffic:src_ref.value`: an
///   address or network as above, or a domain name. The sweep does not check
///   which end of the connection the value was seen at.
/// - `domain-name:value`: an exact name; `LIKE '%.example.com'` (nothing but a
///   leading `%.` as wildcard) sweeps the names below example.com, not
///   example.com itself.
/// - `url:value`; `email-addr:value` and the addresses of `email-message`
///   (`from_ref.value`, `sender_ref.value`, `to_refs[*].value`, `cc_refs[*].value`,
///   `bcc_refs[*].value`).
/// - `hashes.MD5|SHA-1|SHA-256|SHA-512` (any quoting and case of the key, with or
///   without the hyphen) of `file`, `artifact` and `x509-certificate`; and
///   `hashes[*]`, whose algorithm is taken from the digest length.
///
/// Everything else is listed in [`Sweep::unsweepable`] with the reason:
/// negations (`NOT`, `!=`), ordering comparisons, `MATCHES`, `LIKE` with other
/// wildcards, `EXISTS`, fuzzy hashes (SSDEEP, TLSH) and other hash algorithms,
/// properties that logs and flows do not show (e.g. `file:name`), unknown or
/// custom object types, and values that are not what the property holds (a
/// malformed address, a digest of the wrong length).
pub fn compile(p: &Pattern) -> Sweep {
    let mut c = Compiler::default();
    c.obs(&p.expr, true);
    let whole = !c.terms.is_empty() && !c.any_insufficient;
    Sweep {
        terms: c.terms,
        whole,
        unsweepable: c.unsweepable,
    }
}

#[derive(Default)]
struct Compiler {
    terms: Vec<Term>,
    seen: HashSet<(TermKind, String)>,
    unsweepable: Vec<Unsweepable>,
    /// Some term came from a position where one match does not satisfy the
    /// whole pattern.
    any_insufficient: bool,
}

impl Compiler {
    // Recursion is bounded by the parser's nesting limit.
    fn obs(&mut self, e: &ObservationExpr, sufficient: bool) {
        match e {
            ObservationExpr::Bracket {
                comparison,
                qualifiers,
            } => self.cmp(comparison, sufficient && qualifiers.is_empty()),
            ObservationExpr::Group { inner, qualifiers } => {
                self.obs(inner, sufficient && qualifiers.is_empty())
            }
            ObservationExpr::Or(v) => {
                for x in v {
                    self.obs(x, sufficient);
                }
            }
            ObservationExpr::And(v) | ObservationExpr::FollowedBy(v) => {
                for x in v {
                    self.obs(x, false);
                }
            }
        }
    }

    fn cmp(&mut self, e: &ComparisonExpr, sufficient: bool) {
        match e {
            ComparisonExpr::Comparison(c) => self.atom(c, sufficient),
            ComparisonExpr::Group(inner) => self.cmp(inner, sufficient),
            ComparisonExpr::Or(v) => {
                for x in v {
                    self.cmp(x, sufficient);
                }
            }
            ComparisonExpr::And(v) => {
                for x in v {
                    self.cmp(x, false);
                }
            }
        }
    }

    fn skip(&mut self, c: &Comparison, reason: impl Into<String>) {
        self.unsweepable.push(Unsweepable {
            atom: c.text.clone(),
            reason: reason.into(),
        });
    }

    fn term(&mut self, c: &Comparison, kind: TermKind, sufficient: bool) {
        self.any_insufficient |= !sufficient;
        if self.seen.insert((kind.clone(), c.text.clone())) {
            self.terms.push(Term {
                kind,
                atom: c.text.clone(),
            });
        }
    }

    fn atom(&mut self, c: &Comparison, sufficient: bool) {
        let prop = c.path.property_path();
        let shown = clip(&format!("{}:{}", c.path.object_type, prop)).into_owned();
        if c.negated || c.op == Op::Neq {
            return self.skip(
                c,
                "negations (NOT, !=) cannot be shown by one matching value",
            );
        }
        let Some(target) = target_of(&c.path) else {
            return self.skip(c, unobservable_reason(&c.path, &shown));
        };
        if let Target::Hash(Err(reason)) = &target {
            return self.skip(c, reason.clone());
        }
        // The operator decides whether there are values to look for at all.
        let values: Vec<&Literal> = match c.op {
            Op::Eq | Op::In => c.values.iter().collect(),
            Op::Like => {
                let Some(Literal::Str(s)) = c.values.first() else {
                    return self.skip(c, "LIKE needs a string");
                };
                if let Some(rest) = s.strip_prefix("%.") {
                    if matches!(target, Target::Domain | Target::IpOrDomain)
                        && !rest.contains(['%', '_'])
                    {
                        return match domain_name(rest) {
                            Ok(name) => self.term(
                                c,
                                TermKind::Domain {
                                    name,
                                    subdomains: true,
                                },
                                sufficient,
                            ),
                            Err(e) => self.skip(c, e),
                        };
                    }
                }
                if s.contains(['%', '_']) {
                    return self.skip(
                        c,
                        "LIKE patterns are not swept (only domain-name:value LIKE '%.example.com' is); use an exact value",
                    );
                }
                // No wildcard: LIKE is an equality.
                c.values.iter().collect()
            }
            Op::IsSubset | Op::IsSuperset => {
                if !matches!(target, Target::Ip(_) | Target::IpOrDomain) {
                    return self.skip(
                        c,
                        format!("{} applies to IP addresses; {shown} is not one", c.op),
                    );
                }
                c.values.iter().collect()
            }
            Op::Matches => {
                return self.skip(c, "regular expressions are not swept; use an exact value")
            }
            Op::Gt | Op::Lt | Op::Ge | Op::Le => {
                return self.skip(
                    c,
                    format!(
                        "ordering comparisons ({}) are not swept; use an exact value",
                        c.op
                    ),
                )
            }
            Op::Exists => {
                return self.skip(
                    c,
                    "EXISTS tests that a property is present; it names no value to look for",
                )
            }
            Op::Neq => return, // handled above
        };
        if values.is_empty() {
            return self.skip(c, "IN () lists no values");
        }
        for v in values {
            let Literal::Str(s) = v else {
                self.skip(
                    c,
                    format!(
                        "value {} is not a string; {shown} holds text",
                        clip(&v.to_string())
                    ),
                );
                continue;
            };
            match self.value_term(&target, c.op, s) {
                Ok(kind) => self.term(c, kind, sufficient),
                Err(reason) => self.skip(c, reason),
            }
        }
    }

    fn value_term(&self, target: &Target, op: Op, s: &str) -> Result<TermKind, String> {
        let v = s.trim();
        // Reasons quote the value; a hostile one may be 64 KiB long.
        let q = clip(v);
        match target {
            Target::Ip(version) => {
                let ip = ip_or_net(v)?;
                match (version, &ip) {
                    (IpVersion::V4, IpTerm::V6 { .. }) => {
                        return Err(format!("'{q}' is an IPv6 address; ipv4-addr holds IPv4"))
                    }
                    (IpVersion::V6, IpTerm::V4 { .. }) => {
                        return Err(format!("'{q}' is an IPv4 address; ipv6-addr holds IPv6"))
                    }
                    _ => {}
                }
                ip_term(ip, op, v)
            }
            Target::IpOrDomain => match ip_or_net(v) {
                Ok(ip) => ip_term(ip, op, v),
                Err(ip_err) => {
                    if op != Op::Eq && op != Op::In && op != Op::Like {
                        return Err(ip_err);
                    }
                    match domain_name(v) {
                        Ok(name) => Ok(TermKind::Domain {
                            name,
                            subdomains: false,
                        }),
                        Err(_) => Err(format!("'{q}' is neither an IP address nor a domain name")),
                    }
                }
            },
            Target::Domain => domain_name(v).map(|name| TermKind::Domain {
                name,
                subdomains: false,
            }),
            Target::Url => {
                if v.is_empty() || v.chars().any(|c| c.is_whitespace() || c.is_control()) {
                    Err(format!("'{q}' is not a URL"))
                } else {
                    Ok(TermKind::Url(v.to_string()))
                }
            }
            Target::Email => email(v).map(TermKind::Email),
            Target::Hash(Ok(alg)) => hash_term(*alg, v),
            Target::Hash(Err(reason)) => Err(reason.clone()),
        }
    }
}

/// `v`, shortened to 100 characters for messages.
fn clip(v: &str) -> std::borrow::Cow<'_, str> {
    match v.char_indices().nth(100) {
        Some((i, _)) => format!("{}...", &v[..i]).into(),
        None => v.into(),
    }
}

#[derive(Debug, Clone, Copy)]
enum IpVersion {
    V4,
    V6,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum HashAlg {
    Md5,
    Sha1,
    Sha256,
    Sha512,
    /// `hashes[*]`: from the digest length.
    ByLength,
}

#[derive(Debug, Clone)]
enum Target {
    Ip(IpVersion),
    IpOrDomain,
    Domain,
    Url,
    Email,
    Hash(Result<HashAlg, String>),
}

fn key_names(steps: &[PathStep]) -> Vec<Option<&str>> {
    steps
        .iter()
        .map(|s| match s {
            PathStep::Key { name, .. } => Some(name.as_str()),
            PathStep::Index(_) | PathStep::AnyIndex => None,
        })
        .collect()
}

/// The kind of value a path holds, when a sweep can look for it.
fn target_of(path: &ObjectPath) -> Option<Target> {
    let keys = key_names(&path.steps);
    let t = path.object_type.as_str();
    let is_index = |i: usize| {
        matches!(
            path.steps.get(i),
            Some(PathStep::Index(_) | PathStep::AnyIndex)
        )
    };
    match (t, keys.as_slice()) {
        ("ipv4-addr", [Some("value")]) => Some(Target::Ip(IpVersion::V4)),
        ("ipv6-addr", [Some("value")]) => Some(Target::Ip(IpVersion::V6)),
        ("network-traffic", [Some("dst_ref" | "src_ref"), Some("value")]) => {
            Some(Target::IpOrDomain)
        }
        ("domain-name", [Some("value")]) => Some(Target::Domain),
        ("url", [Some("value")]) => Some(Target::Url),
        ("email-addr", [Some("value")]) => Some(Target::Email),
        ("email-message", [Some("from_ref" | "sender_ref"), Some("value")]) => Some(Target::Email),
        ("email-message", [Some("to_refs" | "cc_refs" | "bcc_refs"), None, Some("value")])
            if is_index(1) =>
        {
            Some(Target::Email)
        }
        ("file" | "artifact" | "x509-certificate", [Some("hashes"), Some(alg)]) => {
            Some(Target::Hash(hash_alg(alg)))
        }
        ("file" | "artifact" | "x509-certificate", [Some("hashes"), None])
            if matches!(path.steps.get(1), Some(PathStep::AnyIndex)) =>
        {
            Some(Target::Hash(Ok(HashAlg::ByLength)))
        }
        _ => None,
    }
}

fn hash_alg(key: &str) -> Result<HashAlg, String> {
    let norm: String = key
        .chars()
        .filter(|c| *c != '-' && *c != '_')
        .flat_map(char::to_uppercase)
        .collect();
    match norm.as_str() {
        "MD5" => Ok(HashAlg::Md5),
        "SHA1" => Ok(HashAlg::Sha1),
        "SHA256" => Ok(HashAlg::Sha256),
        "SHA512" => Ok(HashAlg::Sha512),
        "SSDEEP" | "TLSH" => Err(format!(
            "{key} is a fuzzy hash; fuzzy hashes are not swept (they need similarity scoring, not lookup)"
        )),
        _ => Err(format!(
            "hash algorithm {key} is not swept (MD5, SHA-1, SHA-256 and SHA-512 are)"
        )),
    }
}

const SCO_TYPES: &[&str] = &[
    "artifact",
    "autonomous-system",
    "directory",
    "domain-name",
    "email-addr",
    "email-message",
    "file",
    "ipv4-addr",
    "ipv6-addr",
    "mac-addr",
    "mutex",
    "network-traffic",
    "process",
    "software",
    "url",
    "user-account",
    "windows-registry-key",
    "x509-certificate",
];

fn unobservable_reason(path: &ObjectPath, shown: &str) -> String {
    let t = path.object_type.as_str();
    let t = &*clip(t);
    if SCO_TYPES.contains(&t) {
        format!("{shown} is not observable in logs/flows")
    } else if t.starts_with("x-") || t.starts_with("x_") {
        format!("custom object type '{t}' is not swept")
    } else {
        format!("unknown object type '{t}' (not a STIX 2.1 cyber-observable type)")
    }
}

#[derive(Debug, Clone, Copy)]
enum IpTerm {
    V4 { addr: u32, prefix: u8 },
    V6 { addr: u128, prefix: u8 },
}

/// An address or CIDR network, host bits cleared.
fn ip_or_net(v: &str) -> Result<IpTerm, String> {
    let q = clip(v);
    let (addr, prefix) = match v.split_once('/') {
        Some((a, p)) => {
            if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("'{q}' has an invalid network prefix"));
            }
            (
                a,
                Some(
                    p.parse::<u8>()
                        .map_err(|_| format!("'{q}' has an invalid network prefix"))?,
                ),
            )
        }
        None => (v, None),
    };
    if let Ok(a) = addr.parse::<Ipv4Addr>() {
        let prefix = prefix.unwrap_or(32);
        if prefix > 32 {
            return Err(format!("'{q}': an IPv4 prefix is at most /32"));
        }
        let mask = if prefix == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(prefix))
        };
        return Ok(IpTerm::V4 {
            addr: u32::from(a) & mask,
            prefix,
        });
    }
    if let Ok(a) = addr.parse::<Ipv6Addr>() {
        let prefix = prefix.unwrap_or(128);
        if prefix > 128 {
            return Err(format!("'{q}': an IPv6 prefix is at most /128"));
        }
        let mask = if prefix == 0 {
            0
        } else {
            u128::MAX << (128 - u32::from(prefix))
        };
        return Ok(IpTerm::V6 {
            addr: u128::from(a) & mask,
            prefix,
        });
    }
    Err(format!("'{q}' is not an IP address or CIDR network"))
}

fn ip_term(ip: IpTerm, op: Op, v: &str) -> Result<TermKind, String> {
    let q = clip(v);
    let (host, zero) = match ip {
        IpTerm::V4 { prefix, .. } => (prefix == 32, prefix == 0),
        IpTerm::V6 { prefix, .. } => (prefix == 128, prefix == 0),
    };
    if op == Op::IsSuperset && !host {
        return Err(format!(
            "ISSUPERSET '{q}' asks for networks containing a network; telemetry holds single addresses"
        ));
    }
    if zero {
        return Err(format!("'{q}' is a /0 network: it matches every address"));
    }
    Ok(match ip {
        IpTerm::V4 { addr, prefix: 32 } => TermKind::Ipv4(addr),
        IpTerm::V4 { addr, prefix } => TermKind::Ipv4Net { addr, prefix },
        IpTerm::V6 { addr, prefix: 128 } => TermKind::Ipv6(addr),
        IpTerm::V6 { addr, prefix } => TermKind::Ipv6Net { addr, prefix },
    })
}

/// A domain name, lower-case, without a trailing dot; at least two labels of
/// letters, digits, `-` and `_`, 1-63 bytes each, 253 at most in all, not an
/// IP address.
fn domain_name(v: &str) -> Result<String, String> {
    let v = v.trim();
    let q = clip(v);
    let name = v.strip_suffix('.').unwrap_or(v).to_ascii_lowercase();
    if !name.is_ascii() {
        return Err(format!(
            "'{q}' is not ASCII; give the domain in its punycode (xn--) form"
        ));
    }
    if name.is_empty() || name.len() > 253 {
        return Err(format!("'{q}' is not a domain name"));
    }
    let labels: Vec<&str> = name.split('.').collect();
    if labels.iter().any(|l| {
        l.is_empty()
            || l.len() > 63
            || !l
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    }) {
        return Err(format!("'{q}' is not a domain name"));
    }
    if labels.len() < 2 {
        return Err(format!(
            "'{q}' has a single label; sweeping it would match unrelated names"
        ));
    }
    if labels
        .last()
        .is_some_and(|l| l.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(format!(
            "'{q}' is not a domain name (it ends in a numeric label)"
        ));
    }
    Ok(name)
}

fn email(v: &str) -> Result<String, String> {
    let q = clip(v);
    let bad = || format!("'{q}' is not an e-mail address");
    let (local, domain) = v.rsplit_once('@').ok_or_else(bad)?;
    if local.is_empty() || local.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    let domain = domain_name(domain).map_err(|_| bad())?;
    Ok(format!("{}@{}", local.to_lowercase(), domain))
}

fn hash_term(alg: HashAlg, v: &str) -> Result<TermKind, String> {
    let q = clip(v);
    let (name, want) = match alg {
        HashAlg::Md5 => ("MD5", 32),
        HashAlg::Sha1 => ("SHA-1", 40),
        HashAlg::Sha256 => ("SHA-256", 64),
        HashAlg::Sha512 => ("SHA-512", 128),
        HashAlg::ByLength => match v.len() {
            32 => ("MD5", 32),
            40 => ("SHA-1", 40),
            64 => ("SHA-256", 64),
            128 => ("SHA-512", 128),
            n => {
                return Err(format!(
                    "'{q}' ({n} characters) is not an MD5, SHA-1, SHA-256 or SHA-512 digest"
                ))
            }
        },
    };
    if !v.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("'{q}' is not a {name} hash (not hexadecimal)"));
    }
    if v.len() != want {
        return Err(format!(
            "'{q}' is not a {name} hash (expected {want} hex digits, got {})",
            v.len()
        ));
    }
    let bytes: Vec<u8> = v
        .as_bytes()
        .chunks(2)
        .map(|p| (hex_val(p[0]) << 4) | hex_val(p[1]))
        .collect();
    Ok(match want {
        32 => TermKind::Md5(bytes.try_into().map_err(|_| name.to_string())?),
        40 => TermKind::Sha1(bytes.try_into().map_err(|_| name.to_string())?),
        64 => TermKind::Sha256(bytes.try_into().map_err(|_| name.to_string())?),
        _ => TermKind::Sha512(bytes.try_into().map_err(|_| name.to_string())?),
    })
}
