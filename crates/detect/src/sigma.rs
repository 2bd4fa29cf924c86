//! Sigma rules: YAML to a checked rule model (the Sigma specification 2.x: selections as
//! field maps, lists of maps and keyword lists; value modifiers; conditions). Anything
//! the engine cannot evaluate is a [`RuleError`] with the reason, never a silent skip.

use serde_yaml::Value as Yaml;

use crate::condition::{self, Cond};
pub use crate::correlation::Correlation;

/// Why a rule cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RuleError(pub String);

fn err<T>(msg: impl Into<String>) -> Result<T, RuleError> {
    Err(RuleError(msg.into()))
}

/// A rule's logsource (only the keys that select records).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogSource {
    pub product: Option<String>,
    pub category: Option<String>,
    pub service: Option<String>,
}

/// A parsed Sigma rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    /// The rule's `name` (how correlation rules refer to it, besides its id).
    pub name: Option<String>,
    pub title: String,
    pub level: String,
    pub tags: Vec<String>,
    pub references: Vec<String>,
    pub description: String,
    pub logsource: LogSource,
    /// Named searches, in file order.
    pub searches: Vec<(String, Search)>,
    /// One condition or several (several: a record matching any).
    pub conditions: Vec<Cond>,
}

/// One search (a named entry under `detection`).
#[derive(Debug, Clone)]
pub enum Search {
    /// All items must match.
    And(Vec<Item>),
    /// Any alternative must match (a list of maps, or a keyword list).
    Or(Vec<Search>),
}

/// A field (or, with `field: None`, the whole record's text) compared with values.
#[derive(Debug, Clone)]
pub struct Item {
    pub field: Option<String>,
    pub check: Check,
}

/// What an item checks.
#[derive(Debug, Clone)]
pub enum Check {
    /// `values`: any (or with `all`, every) must match.
    Values { values: Vec<Value>, all: bool },
    /// `|exists`.
    Exists(bool),
    /// `null`: the field is absent or null.
    Null,
}

/// One comparison value after modifiers.
#[derive(Debug, Clone)]
pub enum Value {
    /// A string with Sigma wildcards (`*`, `?`); case-insensitive unless `cased`.
    Str {
        pattern: Vec<Part>,
        cased: bool,
    },
    Num(f64, String),
    Bool(bool),
    Re(String),
    Cidr(String),
    Cmp(CmpOp, f64),
    /// `|fieldref`: equal to another field (`Part`s say where wildcards go).
    FieldRef {
        field: String,
        starts: bool,
        ends: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Lt,
    Lte,
    Gt,
    Gte,
}

/// A piece of a string pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Lit(String),
    Many,
    One,
}

/// Values for `|expand` placeholders (`%name%`), from the site file's `[placeholders]`.
pub type Placeholders = std::collections::BTreeMap<String, Vec<String>>;

/// One document of a rule file.
#[derive(Debug, Clone)]
pub enum Doc {
    Rule(Rule),
    Correlation(Correlation),
}

/// Parses one rule file's text holding exactly one detection rule (no placeholders).
pub fn parse(text: &str) -> Result<Rule, RuleError> {
    let mut docs = parse_docs(text, &Placeholders::new())?;
    match (docs.len(), docs.pop()) {
        (1, Some(Doc::Rule(r))) => Ok(r),
        (1, Some(Doc::Correlation(_))) => err("a correlation rule, not a detection rule"),
        (n, _) => err(format!("{n} rules in one file where one was expected")),
    }
}

/// Parses a rule file: one or more YAML documents, each a detection rule or a
/// correlation rule (Sigma 2.x). A file with any bad document is rejected whole, naming
/// the document.
pub fn parse_docs(text: &str, ph: &Placeholders) -> Result<Vec<Doc>, RuleError> {
    let mut docs = Vec::new();
    for d in serde_yaml::Deserializer::from_str(text) {
        let v: Yaml = serde::Deserialize::deserialize(d)
            .map_err(|e| RuleError(format!("malformed YAML: {e}")))?;
        if !v.is_null() {
            docs.push(v);
        }
    }
    if docs.is_empty() {
        return err("empty file: no Sigma rule");
    }
    let n = docs.len();
    let mut out = Vec::new();
    for (i, doc) in docs.iter().enumerate() {
        let r = parse_doc(doc, ph).map_err(|e| {
            if n == 1 {
                e
            } else {
                RuleError(format!("document {} of {n}: {}", i + 1, e.0))
            }
        })?;
        out.push(r);
    }
    Ok(out)
}

fn parse_doc(doc: &Yaml, ph: &Placeholders) -> Result<Doc, RuleError> {
    let Yaml::Mapping(m) = doc else {
        return err("not a Sigma rule: the document is not a mapping");
    };
    let get = |k: &str| m.get(Yaml::String(k.into()));
    if get("action").is_some() {
        return err("`action` (global/repeat/reset multi-document rules, Sigma 1.x) is not supported; write each rule out in full");
    }
    if let Some(c) = get("correlation") {
        return crate::correlation::parse(m, c).map(Doc::Correlation);
    }
    if get("filter").is_some() && get("detection").is_none() {
        return err("a filter (meta) rule: filters are not applied");
    }
    let title = str_of(get("title")).ok_or_else(|| RuleError("no `title`".into()))?;
    let id = str_of(get("id")).unwrap_or_default();
    let name = str_of(get("name"));
    let level = str_of(get("level")).unwrap_or_else(|| "medium".into());
    let description = str_of(get("description")).unwrap_or_default();
    let tags = strs_of(get("tags"));
    let references = strs_of(get("references"));
    let ls = match get("logsource") {
        Some(Yaml::Mapping(l)) => LogSource {
            product: str_of(l.get(Yaml::String("product".into()))).map(|s| s.to_lowercase()),
            category: str_of(l.get(Yaml::String("category".into()))).map(|s| s.to_lowercase()),
            service: str_of(l.get(Yaml::String("service".into()))).map(|s| s.to_lowercase()),
        },
        Some(_) => return err("`logsource` is not a mapping"),
        None => return err("no `logsource`"),
    };
    let Some(Yaml::Mapping(det)) = get("detection") else {
        return err("no `detection` mapping");
    };
    let mut searches = Vec::new();
    let mut cond_src: Vec<String> = Vec::new();
    for (k, v) in det {
        let Some(name) = k.as_str() else {
            return err("a detection key that is not a string");
        };
        match name {
            "condition" => match v {
                Yaml::String(s) => cond_src.push(s.clone()),
                Yaml::Sequence(l) => {
                    for c in l {
                        match c.as_str() {
                            Some(s) => cond_src.push(s.to_owned()),
                            None => return err("a `condition` list entry is not a string"),
                        }
                    }
                }
                _ => return err("`condition` is not a string"),
            },
            "timeframe" => {
                return err(
                    "`timeframe` (aggregation over time) is not evaluated: records are streamed",
                )
            }
            _ => {
                let s =
                    search(v, ph).map_err(|e| RuleError(format!("search `{name}`: {}", e.0)))?;
                searches.push((name.to_owned(), s));
            }
        }
    }
    if cond_src.is_empty() {
        return err("no `condition`");
    }
    let names: Vec<&str> = searches.iter().map(|(n, _)| n.as_str()).collect();
    let mut conditions = Vec::new();
    for c in &cond_src {
        conditions.push(
            condition::parse(c, &names).map_err(|e| RuleError(format!("condition {c:?}: {e}")))?,
        );
    }
    Ok(Doc::Rule(Rule {
        id,
        name,
        title,
        level,
        tags,
        references,
        description,
        logsource: ls,
        searches,
        conditions,
    }))
}

pub(crate) fn str_of(v: Option<&Yaml>) -> Option<String> {
    match v? {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Number(n) => Some(n.to_string()),
        Yaml::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

pub(crate) fn strs_of(v: Option<&Yaml>) -> Vec<String> {
    match v {
        Some(Yaml::Sequence(l)) => l.iter().filter_map(|x| str_of(Some(x))).collect(),
        Some(x) => str_of(Some(x)).into_iter().collect(),
        None => Vec::new(),
    }
}

fn search(v: &Yaml, ph: &Placeholders) -> Result<Search, RuleError> {
    match v {
        Yaml::Mapping(m) => {
            let mut items = Vec::new();
            for (k, val) in m {
                let key = match k {
                    Yaml::String(s) => s.clone(),
                    Yaml::Number(n) => n.to_string(),
                    _ => return err("a field name that is not a string"),
                };
                items.push(item(&key, val, ph)?);
            }
            Ok(Search::And(items))
        }
        Yaml::Sequence(l) => {
            if l.is_empty() {
                return err("an empty list");
            }
            let mut alts = Vec::new();
            let mut keywords = Vec::new();
            for x in l {
                match x {
                    Yaml::Mapping(_) => alts.push(search(x, ph)?),
                    Yaml::Sequence(_) => return err("a list inside a list"),
                    Yaml::Tagged(_) => return err("a tagged YAML value"),
                    scalar => keywords.push(scalar.clone()),
                }
            }
            if !keywords.is_empty() {
                let it = item("", &Yaml::Sequence(keywords), ph)?;
                alts.push(Search::And(vec![it]));
            }
            Ok(if alts.len() == 1 {
                alts.remove(0)
            } else {
                Search::Or(alts)
            })
        }
        Yaml::Null => err("an empty search"),
        scalar => {
            // A single keyword.
            Ok(Search::And(vec![item("", scalar, ph)?]))
        }
    }
}

/// Value transformations, in the order written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transform {
    Wide,
    Utf16Be,
    Utf16,
    Base64,
    Base64Offset,
    Windash,
}

fn item(key: &str, v: &Yaml, ph: &Placeholders) -> Result<Item, RuleError> {
    let mut parts = key.split('|');
    let field = parts.next().unwrap_or_default().trim();
    let field = (!field.is_empty()).then(|| field.to_owned());
    let mut all = false;
    let (mut contains, mut starts, mut ends) = (false, false, false);
    let mut cased = false;
    let mut re: Option<String> = None;
    let mut cidr = false;
    let mut exists = false;
    let mut fieldref = false;
    let mut expand = false;
    let mut cmp: Option<CmpOp> = None;
    let mut transforms = Vec::new();
    for m in parts {
        match m {
            "contains" => contains = true,
            "startswith" => starts = true,
            "endswith" => ends = true,
            "all" => all = true,
            "re" => re = Some(String::new()),
            "i" | "m" | "s" => match re.as_mut() {
                Some(flags) => flags.push_str(m),
                None => return err(format!("modifier `{m}` is only valid after `re`")),
            },
            "cidr" => cidr = true,
            "exists" => exists = true,
            "cased" => cased = true,
            "fieldref" => fieldref = true,
            "lt" => cmp = Some(CmpOp::Lt),
            "lte" => cmp = Some(CmpOp::Lte),
            "gt" => cmp = Some(CmpOp::Gt),
            "gte" => cmp = Some(CmpOp::Gte),
            "wide" | "utf16le" => transforms.push(Transform::Wide),
            "utf16be" => transforms.push(Transform::Utf16Be),
            "utf16" => transforms.push(Transform::Utf16),
            "base64" => transforms.push(Transform::Base64),
            "base64offset" => transforms.push(Transform::Base64Offset),
            "windash" => transforms.push(Transform::Windash),
            "expand" => expand = true,
            "minute" | "hour" | "day" | "week" | "month" | "year" => {
                return err(format!("modifier `{m}` (timestamp parts) is not supported"))
            }
            "" => return err("an empty modifier (`||`)"),
            other => return err(format!("unknown modifier `{other}`")),
        }
    }
    if field.is_none() && (exists || fieldref || cidr || cmp.is_some()) {
        return err(
            "a keyword (no field name) cannot take exists, fieldref, cidr or comparison modifiers",
        );
    }
    let list: Vec<&Yaml> = match v {
        Yaml::Sequence(l) => l.iter().collect(),
        x => vec![x],
    };
    let expanded: Vec<Yaml>;
    let list = if expand {
        expanded = expand_placeholders(key, &list, ph)?;
        expanded.iter().collect()
    } else {
        list
    };
    if exists {
        let b = match v {
            Yaml::Bool(b) => *b,
            Yaml::String(s) if s.eq_ignore_ascii_case("true") => true,
            Yaml::String(s) if s.eq_ignore_ascii_case("false") => false,
            _ => return err("`exists` takes true or false"),
        };
        return Ok(Item {
            field,
            check: Check::Exists(b),
        });
    }
    if list.len() == 1 && list[0].is_null() {
        return Ok(Item {
            field,
            check: Check::Null,
        });
    }
    if list.is_empty() {
        return err(format!("field `{key}` has an empty value list"));
    }
    let mut values = Vec::new();
    for x in list {
        let (text, scalar) = match x {
            Yaml::String(s) => (s.clone(), None),
            Yaml::Number(n) => (n.to_string(), n.as_f64()),
            Yaml::Bool(b) => {
                if re.is_none() && !contains && !starts && !ends && transforms.is_empty() {
                    values.push(Value::Bool(*b));
                    continue;
                }
                (b.to_string(), None)
            }
            Yaml::Null => return err(format!("field `{key}`: null inside a value list")),
            _ => return err(format!("field `{key}`: a value that is not a scalar")),
        };
        if let Some(flags) = &re {
            let pat = if flags.is_empty() {
                text
            } else {
                format!("(?{flags}){text}")
            };
            // A syntax check only: compiling is the engine's job, for the rules a record
            // source can use (compiling all of SigmaHQ's regexes here cost more than
            // parsing the YAML).
            if let Err(e) = regex_syntax::ParserBuilder::new().build().parse(&pat) {
                return err(format!("field `{key}`: regular expression rejected: {e}"));
            }
            values.push(Value::Re(pat));
            continue;
        }
        if cidr {
            if crate::cidr::Net::parse(&text).is_none() {
                return err(format!("field `{key}`: {text:?} is not a CIDR network"));
            }
            values.push(Value::Cidr(text));
            continue;
        }
        if let Some(op) = cmp {
            let n = scalar
                .or_else(|| text.trim().parse().ok())
                .ok_or_else(|| RuleError(format!("field `{key}`: {text:?} is not a number")))?;
            values.push(Value::Cmp(op, n));
            continue;
        }
        if fieldref {
            values.push(Value::FieldRef {
                field: text,
                starts: ends || contains,
                ends: starts || contains,
            });
            continue;
        }
        if let Some(n) = scalar {
            if !contains && !starts && !ends && transforms.is_empty() {
                values.push(Value::Num(n, text));
                continue;
            }
        }
        let mut variants = vec![parse_string(&text)];
        for t in &transforms {
            variants = apply(*t, variants).map_err(|e| RuleError(format!("field `{key}`: {e}")))?;
        }
        for mut p in variants {
            if contains || ends {
                p.insert(0, Part::Many);
            }
            if contains || starts {
                p.push(Part::Many);
            }
            values.push(Value::Str {
                pattern: normalize(p),
                cased,
            });
        }
    }
    Ok(Item {
        field,
        check: Check::Values { values, all },
    })
}

/// `|expand`: every `%name%` in a value is replaced by each of the placeholder's values
/// from the site file (several placeholders in one value: every combination). Values
/// are Sigma strings, so `*` and `?` in them are wildcards.
fn expand_placeholders(
    key: &str,
    list: &[&Yaml],
    ph: &Placeholders,
) -> Result<Vec<Yaml>, RuleError> {
    let mut out = Vec::new();
    for x in list {
        let Yaml::String(s) = x else {
            out.push((*x).clone());
            continue;
        };
        let mut variants = vec![String::new()];
        let mut rest = s.as_str();
        while let Some(a) = rest.find('%') {
            let Some(b) = rest[a + 1..].find('%') else {
                break;
            };
            let name = &rest[a + 1..a + 1 + b];
            for v in variants.iter_mut() {
                v.push_str(&rest[..a]);
            }
            if name.is_empty() {
                for v in variants.iter_mut() {
                    v.push_str("%%");
                }
            } else {
                let Some(vals) = ph.get(name).filter(|v| !v.is_empty()) else {
                    return err(format!(
                        "field `{key}`: placeholder %{name}% has no value; define it in the --site file under [placeholders] (e.g. {name} = [\"value\", ...])"
                    ));
                };
                if variants.len() * vals.len() > 10_000 {
                    return err(format!(
                        "field `{key}`: placeholders expand to more than 10000 values"
                    ));
                }
                variants = variants
                    .iter()
                    .flat_map(|v| vals.iter().map(move |x| format!("{v}{x}")))
                    .collect();
            }
            rest = &rest[a + 2 + b..];
        }
        for v in variants {
            out.push(Yaml::String(format!("{v}{rest}")));
        }
    }
    Ok(out)
}

/// Sigma string escapes: `\*`, `\?` and `\\` are literals; other backslashes stay.
pub fn parse_string(s: &str) -> Vec<Part> {
    let mut out = Vec::new();
    let mut lit = String::new();
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            '\\' => match it.peek() {
                Some(&n @ ('*' | '?' | '\\')) => {
                    lit.push(n);
                    it.next();
                }
                _ => lit.push('\\'),
            },
            '*' | '?' => {
                if !lit.is_empty() {
                    out.push(Part::Lit(std::mem::take(&mut lit)));
                }
                out.push(if c == '*' { Part::Many } else { Part::One });
            }
            c => lit.push(c),
        }
    }
    if !lit.is_empty() {
        out.push(Part::Lit(lit));
    }
    out
}

/// Merges adjacent literals and repeated `*`.
fn normalize(p: Vec<Part>) -> Vec<Part> {
    let mut out: Vec<Part> = Vec::new();
    for x in p {
        match (out.last_mut(), x) {
            (Some(Part::Lit(a)), Part::Lit(b)) => a.push_str(&b),
            (Some(Part::Many), Part::Many) => {}
            (_, x) => out.push(x),
        }
    }
    out
}

fn literal(p: &[Part]) -> Result<String, String> {
    let mut s = String::new();
    for x in p {
        match x {
            Part::Lit(l) => s.push_str(l),
            _ => return Err("encoding modifiers (base64, wide, ...) cannot take wildcards".into()),
        }
    }
    Ok(s)
}

/// Bytes of an encoded string: kept as Latin-1 chars so that UTF-16's NULs survive.
fn bytes_to_string(b: &[u8]) -> String {
    b.iter().map(|&c| c as char).collect()
}

fn string_bytes(s: &str) -> Vec<u8> {
    // Strings built by `bytes_to_string` hold only chars < 256; others are UTF-8.
    if s.chars().all(|c| (c as u32) < 256) && s.chars().any(|c| c == '\0') {
        s.chars().map(|c| c as u8).collect()
    } else {
        s.as_bytes().to_vec()
    }
}

fn apply(t: Transform, vs: Vec<Vec<Part>>) -> Result<Vec<Vec<Part>>, String> {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut out = Vec::new();
    for v in vs {
        match t {
            Transform::Wide | Transform::Utf16Be | Transform::Utf16 => {
                // Wildcards are kept: only the literals are encoded.
                let mut p = Vec::new();
                for (i, x) in v.iter().enumerate() {
                    match x {
                        Part::Lit(l) => {
                            let mut b = Vec::new();
                            if t == Transform::Utf16 && i == 0 {
                                b.extend_from_slice(&[0xff, 0xfe]);
                            }
                            for u in l.encode_utf16() {
                                let [lo, hi] = u.to_le_bytes();
                                if t == Transform::Utf16Be {
                                    b.extend_from_slice(&[hi, lo]);
                                } else {
                                    b.extend_from_slice(&[lo, hi]);
                                }
                            }
                            p.push(Part::Lit(bytes_to_string(&b)));
                        }
                        other => p.push(other.clone()),
                    }
                }
                out.push(p);
            }
            Transform::Base64 => {
                let s = literal(&v)?;
                out.push(vec![Part::Lit(b64.encode(string_bytes(&s)))]);
            }
            Transform::Base64Offset => {
                let s = literal(&v)?;
                let data = string_bytes(&s);
                let starts = [0usize, 2, 3];
                for (i, &start0) in starts.iter().enumerate() {
                    let mut d = vec![b' '; i];
                    d.extend_from_slice(&data);
                    let enc = b64.encode(&d);
                    let cut_end = match (data.len() + i) % 3 {
                        0 => 0,
                        1 => 3,
                        _ => 2,
                    };
                    let end = enc.len().saturating_sub(cut_end);
                    let start = start0.min(end);
                    out.push(vec![Part::Lit(enc[start..end].to_owned())]);
                }
            }
            Transform::Windash => {
                // `-` or `/` after a non-word char (or the start) and before a word char.
                let s_parts = v;
                let mut total = 0;
                let mut pieces: Vec<Vec<Part>> = vec![Vec::new()];
                for x in &s_parts {
                    match x {
                        Part::Lit(l) => {
                            let chars: Vec<char> = l.chars().collect();
                            let mut cur = String::new();
                            let mut segs: Vec<Result<String, ()>> = Vec::new();
                            for (i, &c) in chars.iter().enumerate() {
                                let prev_word = i > 0 && is_word(chars[i - 1]);
                                let next_word = chars.get(i + 1).is_some_and(|&n| is_word(n));
                                if (c == '-' || c == '/') && !prev_word && next_word {
                                    segs.push(Ok(std::mem::take(&mut cur)));
                                    segs.push(Err(()));
                                    total += 1;
                                } else {
                                    cur.push(c);
                                }
                            }
                            segs.push(Ok(cur));
                            for s in segs {
                                match s {
                                    Ok(t) if t.is_empty() => {}
                                    Ok(t) => {
                                        pieces.iter_mut().for_each(|p| p.push(Part::Lit(t.clone())))
                                    }
                                    Err(()) => {
                                        let mut next = Vec::new();
                                        for p in &pieces {
                                            for d in ["-", "/", "\u{2013}", "\u{2014}", "\u{2015}"]
                                            {
                                                let mut q = p.clone();
                                                q.push(Part::Lit(d.into()));
                                                next.push(q);
                                            }
                                        }
                                        pieces = next;
                                    }
                                }
                            }
                        }
                        other => pieces.iter_mut().for_each(|p| p.push(other.clone())),
                    }
                    if total > 3 {
                        return Err("windash expands at most three dashes in one value".into());
                    }
                }
                out.extend(pieces.into_iter().map(normalize));
            }
        }
    }
    Ok(out)
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_wildcards() {
        assert_eq!(
            parse_string(r"\\\*\IPC$"),
            vec![Part::Lit(r"\*\IPC$".into())]
        );
        assert_eq!(
            parse_string("a*b?"),
            vec![
                Part::Lit("a".into()),
                Part::Many,
                Part::Lit("b".into()),
                Part::One
            ]
        );
    }

    #[test]
    fn base64offset_matches_pysigma() {
        // pySigma: base64offset of "/bin/sh" -> L2Jpbi9za, 9iaW4vc2, vYmluL3No
        let r = parse(
            "title: t\nlogsource: {product: x}\ndetection:\n  s:\n    f|base64offset|contains: /bin/sh\n  condition: s\n",
        )
        .unwrap();
        let Search::And(items) = &r.searches[0].1 else {
            panic!()
        };
        let Check::Values { values, .. } = &items[0].check else {
            panic!()
        };
        let lits: Vec<String> = values
            .iter()
            .map(|v| match v {
                Value::Str { pattern, .. } => match &pattern[1] {
                    Part::Lit(l) => l.clone(),
                    _ => panic!(),
                },
                _ => panic!(),
            })
            .collect();
        assert_eq!(lits, ["L2Jpbi9za", "9iaW4vc2", "vYmluL3No"]);
    }

    #[test]
    fn rejections_name_the_reason() {
        let e = parse(
            "title: t\nlogsource: {product: x}\ndetection:\n  s:\n    f|foo: 1\n  condition: s\n",
        )
        .unwrap_err();
        assert!(e.0.contains("unknown modifier `foo`"), "{e}");
        let e = parse("title: [\n").unwrap_err();
        assert!(e.0.starts_with("malformed YAML"), "{e}");
        let e = parse("title: t\nlogsource: {product: x}\ndetection:\n  s:\n    f: 1\n  condition: s and nope\n").unwrap_err();
        assert!(e.0.contains("nope"), "{e}");
    }

    #[test]
    fn windash_expands() {
        let r = parse("title: t\nlogsource: {product: x}\ndetection:\n  s:\n    f|windash|contains: ' -enc '\n  condition: s\n").unwrap();
        let Search::And(items) = &r.searches[0].1 else {
            panic!()
        };
        let Check::Values { values, .. } = &items[0].check else {
            panic!()
        };
        assert_eq!(values.len(), 5);
    }
}
