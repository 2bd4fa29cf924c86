//! The compiled engine. Rules are grouped by record source (product/service, plus the
//! categories the source answers to), and each group is compiled once against its own
//! field table: a record reader fills only the fields its group's rules read (per-field
//! indexing), keyword rules get the record's full text only where a group has them,
//! and a record is evaluated against its group's rules only (per-logsource indexing).
//!
//! String comparisons fold ASCII case (as Sigma says and as SQLite's LIKE/NOCASE do);
//! `|cased` and `|re` compare the text as it is. A list value (a JSON array, a Zeek set
//! or vector) matches when any element matches.

use memchr::memmem;
use regex::Regex;
use rustc_hash::FxHashMap;

use crate::cidr::Net;
use crate::condition::Cond;
use crate::pipeline::{self, Mapping};
use crate::sigma::{Check, CmpOp, LogSource, Part, Rule, Search, Value};

/// Where a record comes from: Sigma's product and service (lower case).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Source {
    pub product: String,
    pub service: String,
}

impl Source {
    pub fn new(product: &str, service: &str) -> Source {
        Source {
            product: product.to_ascii_lowercase(),
            service: service.to_ascii_lowercase(),
        }
    }

    /// `product[/service]` as given with `--logsource`.
    pub fn parse(s: &str) -> Option<Source> {
        let (p, sv) = s.split_once('/').unwrap_or((s, ""));
        (!p.is_empty()).then(|| Source::new(p, sv))
    }
}

/// A rule as the engine holds it.
#[derive(Debug, Clone)]
pub struct LoadedRule {
    pub rule: Rule,
    /// File it came from (`builtin:NAME.yml` for shipped rules).
    pub file: String,
}

/// The record's slots: values appended to one buffer (and its ASCII-lowercased copy).
#[derive(Debug, Default)]
pub struct Rec {
    text: String,
    lower: String,
    parts: Vec<(u32, u32)>,
    /// (first part, count); `ABSENT` first = no such field; count 0 = null/empty list.
    slots: Vec<(u32, u32)>,
    /// Full text for keywords.
    full: String,
    full_lower: String,
}

const ABSENT: u32 = u32::MAX;

impl Rec {
    /// Clears the record for a group with `n` slots.
    pub fn reset(&mut self, n: usize) {
        self.text.clear();
        self.lower.clear();
        self.parts.clear();
        self.slots.clear();
        self.slots.resize(n, (ABSENT, 0));
        self.full.clear();
        self.full_lower.clear();
    }

    /// Appends a value to a slot (a second call for the same slot right after adds a list
    /// element; a later one replaces the value: the last key wins).
    pub fn push(&mut self, slot: u16, v: &str) {
        let s = slot as usize;
        let start = self.text.len() as u32;
        self.text.push_str(v);
        let end = self.text.len() as u32;
        let ls = self.lower.len();
        self.lower.push_str(v);
        self.lower[ls..].make_ascii_lowercase();
        let pi = self.parts.len() as u32;
        self.parts.push((start, end));
        let (first, n) = self.slots[s];
        if first != ABSENT && first + n == pi {
            self.slots[s].1 += 1;
        } else {
            self.slots[s] = (pi, 1);
        }
    }

    /// Marks a slot present with no value (JSON null, an empty list).
    pub fn push_null(&mut self, slot: u16) {
        self.slots[slot as usize] = (self.parts.len() as u32, 0);
    }

    /// Adds text to the keyword full text (a tab between values).
    pub fn push_full(&mut self, v: &str) {
        if !self.full.is_empty() {
            self.full.push('\t');
            self.full_lower.push('\t');
        }
        self.full.push_str(v);
        let ls = self.full_lower.len();
        self.full_lower.push_str(v);
        self.full_lower[ls..].make_ascii_lowercase();
    }

    fn present(&self, slot: u16) -> bool {
        self.slots[slot as usize].0 != ABSENT
    }

    /// A slot's values, raw and lowered (empty for absent or null).
    pub fn values(&self, slot: u16) -> impl Iterator<Item = (&str, &str)> + '_ {
        let (first, n) = self.slots[slot as usize];
        let range = if first == ABSENT {
            0..0
        } else {
            first as usize..(first + n) as usize
        };
        self.parts[range].iter().map(|&(a, b)| {
            (
                &self.text[a as usize..b as usize],
                &self.lower[a as usize..b as usize],
            )
        })
    }

    /// The first value of a slot.
    pub fn first(&self, slot: u16) -> Option<&str> {
        self.values(slot).next().map(|(r, _)| r)
    }
}

/// A compiled string comparison.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)]
enum Str {
    Eq(String),
    Prefix(String),
    Suffix(String),
    Contains(memmem::Finder<'static>),
    Glob(Vec<Part>),
}

#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)]
enum M {
    Str {
        s: Str,
        cased: bool,
    },
    Re(Regex),
    Cidr(Net),
    Num(f64, String),
    Bool(bool),
    Cmp(CmpOp, f64),
    FieldRef {
        slots: Vec<u16>,
        lead: bool,
        trail: bool,
    },
}

/// A compiled item: mapped slots (any) or the full text.
#[derive(Debug, Clone)]
struct CItem {
    slots: Option<Vec<u16>>,
    check: CCheck,
}

/// Many case-folded literal comparisons of one item, indexed: equality by hash,
/// prefixes and suffixes by hash per length, substrings by one Aho-Corasick automaton.
#[derive(Debug, Clone, Default)]
struct MultiStr {
    eq: rustc_hash::FxHashSet<Box<[u8]>>,
    pre: Vec<(usize, rustc_hash::FxHashSet<Box<[u8]>>)>,
    suf: Vec<(usize, rustc_hash::FxHashSet<Box<[u8]>>)>,
    /// With many prefix (suffix) lengths, one anchored automaton over the prefixes (the
    /// reversed suffixes) replaces a hash lookup per length.
    pre_ac: Option<aho_corasick::AhoCorasick>,
    suf_ac: Option<aho_corasick::AhoCorasick>,
    ac: Option<aho_corasick::AhoCorasick>,
}

/// Values up to this long are reversed on the stack for the suffix automaton.
const REV_MAX: usize = 256;

fn anchored_hit(a: &aho_corasick::AhoCorasick, v: &[u8]) -> bool {
    let input = aho_corasick::Input::new(v).anchored(aho_corasick::Anchored::Yes);
    matches!(a.try_find(input), Ok(Some(_)))
}

impl MultiStr {
    fn matches(&self, v: &[u8]) -> bool {
        if self.eq.contains(v) {
            return true;
        }
        match &self.pre_ac {
            Some(a) => {
                if anchored_hit(a, v) {
                    return true;
                }
            }
            None => {
                for (n, set) in &self.pre {
                    if v.len() >= *n && set.contains(&v[..*n]) {
                        return true;
                    }
                }
            }
        }
        match &self.suf_ac {
            Some(a) if v.len() <= REV_MAX => {
                let mut buf = [0u8; REV_MAX];
                let r = &mut buf[..v.len()];
                r.copy_from_slice(v);
                r.reverse();
                if anchored_hit(a, r) {
                    return true;
                }
            }
            _ => {
                for (n, set) in &self.suf {
                    if v.len() >= *n && set.contains(&v[v.len() - n..]) {
                        return true;
                    }
                }
            }
        }
        self.ac.as_ref().is_some_and(|a| a.is_match(v))
    }
}

/// An anchored automaton over `needles` when they have more than a few lengths.
fn anchored_ac(needles: &[Vec<u8>]) -> Option<aho_corasick::AhoCorasick> {
    let mut lens: Vec<usize> = needles.iter().map(Vec::len).collect();
    lens.sort_unstable();
    lens.dedup();
    if lens.len() <= 3 {
        return None;
    }
    aho_corasick::AhoCorasick::builder()
        .start_kind(aho_corasick::StartKind::Anchored)
        .build(needles)
        .ok()
}

fn by_len(v: Vec<String>) -> Vec<(usize, rustc_hash::FxHashSet<Box<[u8]>>)> {
    let mut m: FxHashMap<usize, rustc_hash::FxHashSet<Box<[u8]>>> = FxHashMap::default();
    for s in v {
        m.entry(s.len())
            .or_default()
            .insert(s.into_bytes().into_boxed_slice());
    }
    let mut out: Vec<_> = m.into_iter().collect();
    out.sort_by_key(|(n, _)| *n);
    out
}

/// Splits an any-of value list into an indexed part (case-folded literals, when there
/// are enough to be worth it) and the rest.
fn index_values(ms: Vec<M>) -> (Option<Box<MultiStr>>, Vec<M>) {
    let literal = |m: &M| {
        matches!(
            m,
            M::Str {
                s: Str::Eq(_) | Str::Prefix(_) | Str::Suffix(_) | Str::Contains(_),
                cased: false
            }
        )
    };
    if ms.iter().filter(|m| literal(m)).count() < 4 {
        return (None, ms);
    }
    let (mut eq, mut pre, mut suf, mut con) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut rest = Vec::new();
    for m in ms {
        match m {
            M::Str { s, cased: false } => match s {
                Str::Eq(x) => eq.push(x),
                Str::Prefix(x) => pre.push(x),
                Str::Suffix(x) => suf.push(x),
                Str::Contains(f) => con.push(f.needle().to_vec()),
                g => rest.push(M::Str { s: g, cased: false }),
            },
            other => rest.push(other),
        }
    }
    let ac = if con.is_empty() {
        None
    } else {
        aho_corasick::AhoCorasick::new(&con).ok()
    };
    let pre_ac = anchored_ac(
        &pre.iter()
            .map(|x| x.as_bytes().to_vec())
            .collect::<Vec<_>>(),
    );
    let suf_ac = anchored_ac(
        &suf.iter()
            .map(|x| x.bytes().rev().collect::<Vec<u8>>())
            .collect::<Vec<_>>(),
    );
    let multi = MultiStr {
        pre_ac,
        suf_ac,
        eq: eq
            .into_iter()
            .map(|s| s.into_bytes().into_boxed_slice())
            .collect(),
        pre: by_len(pre),
        suf: by_len(suf),
        ac,
    };
    (Some(Box::new(multi)), rest)
}

#[derive(Debug, Clone)]
enum CCheck {
    Values {
        ms: Vec<M>,
        all: bool,
    },
    /// Any of the indexed literals or of the remaining values.
    Any {
        multi: Box<MultiStr>,
        ms: Vec<M>,
    },
    Exists(bool),
    Null,
}

#[derive(Debug, Clone)]
enum CSearch {
    And(Vec<CItem>),
    Or(Vec<CSearch>),
}

#[derive(Debug, Clone)]
struct CRule {
    rule: usize,
    searches: Vec<CSearch>,
    conds: Vec<Cond>,
    /// The field slots the rule reads.
    slots: Vec<u16>,
}

/// The rules that apply to one record source, compiled against its field table.
#[derive(Debug, Clone, Default)]
pub struct Group {
    /// Record field names, by slot.
    pub fields: Vec<String>,
    map: FxHashMap<Vec<u8>, u16>,
    /// Whether some rule has keywords (the reader then fills the full text).
    pub fulltext: bool,
    rules: Vec<CRule>,
    /// Flow heuristics' slots and the engine index of the first flow rule.
    pub(crate) flow: Option<(crate::flow::Slots, usize)>,
    /// Regex compile errors of the rule being compiled (moved to `rejected`).
    pub(crate) regex_errors: Vec<String>,
    /// Rules left out of the group, with why (a regex the engine could not compile).
    pub(crate) rejected: Vec<(usize, String)>,
    /// Rules feeding correlations: the slots of the fields to capture (see
    /// `Detector` captures).
    pub(crate) captures: rustc_hash::FxHashMap<usize, Vec<Option<u16>>>,
}

impl Group {
    /// The slot of a record field name, if a rule (or the caller) reads it.
    pub fn slot(&self, name: &[u8]) -> Option<u16> {
        self.map.get(name).copied()
    }

    /// Adds a field to read (flow heuristics use this); returns its slot.
    pub fn want(&mut self, name: &str) -> u16 {
        if let Some(&s) = self.map.get(name.as_bytes()) {
            return s;
        }
        let s = self.fields.len() as u16;
        self.fields.push(name.to_owned());
        self.map.insert(name.as_bytes().to_vec(), s);
        s
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }

    /// Engine rule indices whose rules match the record, in rule order.
    pub fn eval(&self, rec: &Rec, out: &mut Vec<usize>) {
        // Search results, memoized per rule (on the stack for all but huge rules).
        let mut small = [None; 64];
        let mut big: Vec<Option<bool>> = Vec::new();
        for r in &self.rules {
            let n = r.searches.len();
            let memo: &mut [Option<bool>] = if n <= small.len() {
                small[..n].fill(None);
                &mut small[..n]
            } else {
                big.clear();
                big.resize(n, None);
                &mut big
            };
            if r.conds.iter().any(|c| cond(c, &r.searches, rec, memo)) {
                out.push(r.rule);
            }
        }
    }

    /// Each rule (engine index) with the slots it reads.
    pub fn rule_slots(&self) -> impl Iterator<Item = (usize, Vec<u16>)> + '_ {
        self.rules.iter().map(|r| (r.rule, r.slots.clone()))
    }

    /// The engine rule indices of this group's rules.
    pub fn rule_indices(&self) -> impl Iterator<Item = usize> + '_ {
        self.rules.iter().map(|r| r.rule)
    }
}

fn cond(c: &Cond, ss: &[CSearch], rec: &Rec, memo: &mut [Option<bool>]) -> bool {
    match c {
        Cond::Search(i) => {
            if let Some(v) = memo[*i] {
                return v;
            }
            let v = search(&ss[*i], rec);
            memo[*i] = Some(v);
            v
        }
        Cond::And(v) => v.iter().all(|x| cond(x, ss, rec, memo)),
        Cond::Or(v) => v.iter().any(|x| cond(x, ss, rec, memo)),
        Cond::Not(x) => !cond(x, ss, rec, memo),
        Cond::Const(b) => *b,
    }
}

fn search(s: &CSearch, rec: &Rec) -> bool {
    match s {
        CSearch::And(items) => items.iter().all(|i| item(i, rec)),
        CSearch::Or(v) => v.iter().any(|x| search(x, rec)),
    }
}

fn item(i: &CItem, rec: &Rec) -> bool {
    if let CCheck::Any { multi, ms } = &i.check {
        let one = |raw: &str, low: &str| {
            multi.matches(low.as_bytes()) || ms.iter().any(|m| match_value(m, raw, low, rec))
        };
        return match &i.slots {
            None => one(&rec.full, &rec.full_lower),
            Some(slots) => slots
                .iter()
                .any(|&s| rec.values(s).any(|(raw, low)| one(raw, low))),
        };
    }
    match &i.slots {
        None => match &i.check {
            CCheck::Values { ms, all } => {
                let one = |m: &M| match_value(m, &rec.full, &rec.full_lower, rec);
                if *all {
                    ms.iter().all(one)
                } else {
                    ms.iter().any(one)
                }
            }
            _ => false,
        },
        Some(slots) => match &i.check {
            CCheck::Any { .. } => false,
            CCheck::Exists(b) => slots.iter().any(|&s| rec.present(s)) == *b,
            CCheck::Null => slots.iter().all(|&s| rec.values(s).next().is_none()),
            CCheck::Values { ms, all } => {
                let one = |m: &M| {
                    slots.iter().any(|&s| {
                        rec.values(s)
                            .any(|(raw, low)| match_value(m, raw, low, rec))
                    })
                };
                if *all {
                    ms.iter().all(one)
                } else {
                    ms.iter().any(one)
                }
            }
        },
    }
}

fn match_value(m: &M, raw: &str, low: &str, rec: &Rec) -> bool {
    match m {
        M::Str { s, cased } => match_str(s, if *cased { raw } else { low }),
        M::Re(r) => r.is_match(raw),
        M::Cidr(n) => n.contains_str(raw),
        M::Num(n, text) => {
            low.eq_ignore_ascii_case(text) || low.trim().parse::<f64>().is_ok_and(|v| v == *n)
        }
        M::Bool(b) => {
            if *b {
                low == "true" || low == "1"
            } else {
                low == "false" || low == "0"
            }
        }
        M::Cmp(op, n) => low.trim().parse::<f64>().is_ok_and(|v| match op {
            CmpOp::Lt => v < *n,
            CmpOp::Lte => v <= *n,
            CmpOp::Gt => v > *n,
            CmpOp::Gte => v >= *n,
        }),
        M::FieldRef { slots, lead, trail } => slots.iter().any(|&s| {
            rec.values(s).any(|(_, other)| match (lead, trail) {
                (false, false) => low == other,
                (false, true) => low.starts_with(other),
                (true, false) => low.ends_with(other),
                (true, true) => low.contains(other),
            })
        }),
    }
}

fn match_str(s: &Str, v: &str) -> bool {
    match s {
        Str::Eq(x) => v == x,
        Str::Prefix(x) => v.starts_with(x.as_str()),
        Str::Suffix(x) => v.ends_with(x.as_str()),
        Str::Contains(f) => f.find(v.as_bytes()).is_some(),
        Str::Glob(p) => glob(p, v),
    }
}

/// Wildcard match: `Many` = any run of chars, `One` = exactly one char.
fn glob(p: &[Part], v: &str) -> bool {
    match p.first() {
        None => v.is_empty(),
        Some(Part::Lit(l)) => v.strip_prefix(l.as_str()).is_some_and(|r| glob(&p[1..], r)),
        Some(Part::One) => {
            let mut c = v.chars();
            c.next().is_some() && glob(&p[1..], c.as_str())
        }
        Some(Part::Many) => {
            let rest = &p[1..];
            if rest.is_empty() {
                return true;
            }
            if let Some(Part::Lit(l)) = rest.first() {
                // Try each occurrence of the next literal.
                let mut from = 0;
                while let Some(i) = v[from..].find(l.as_str()) {
                    if glob(rest, &v[from + i..]) {
                        return true;
                    }
                    from += i + v[from + i..].chars().next().map_or(1, char::len_utf8);
                }
                return false;
            }
            let mut s = v;
            loop {
                if glob(rest, s) {
                    return true;
                }
                let mut c = s.chars();
                if c.next().is_none() {
                    return false;
                }
                s = c.as_str();
            }
        }
    }
}

fn compile_str(pattern: &[Part], cased: bool) -> Str {
    let low = |s: &str| {
        if cased {
            s.to_owned()
        } else {
            s.to_ascii_lowercase()
        }
    };
    let p: Vec<Part> = pattern
        .iter()
        .map(|x| match x {
            Part::Lit(l) => Part::Lit(low(l)),
            o => o.clone(),
        })
        .collect();
    match p.as_slice() {
        [] => Str::Eq(String::new()),
        [Part::Lit(l)] => Str::Eq(l.clone()),
        [Part::Lit(l), Part::Many] => Str::Prefix(l.clone()),
        [Part::Many, Part::Lit(l)] => Str::Suffix(l.clone()),
        [Part::Many, Part::Lit(l), Part::Many] => {
            Str::Contains(memmem::Finder::new(l.as_bytes()).into_owned())
        }
        _ => Str::Glob(p),
    }
}

/// Whether a rule applies to records of `src`.
pub fn applies(ls: &LogSource, src: &Source, cats: &[String]) -> bool {
    if ls.product.is_none() && ls.service.is_none() && ls.category.is_none() {
        return false;
    }
    ls.product.as_ref().is_none_or(|p| *p == src.product)
        && ls.service.as_ref().is_none_or(|s| *s == src.service)
        && ls.category.as_ref().is_none_or(|c| cats.contains(c))
}

/// Builds the group of rules for one record source.
pub fn build_group(rules: &[LoadedRule], maps: &[Mapping], src: &Source) -> Group {
    let cats = pipeline::categories(&src.product, &src.service);
    let mut g = Group::default();
    for (ri, lr) in rules.iter().enumerate() {
        if !applies(&lr.rule.logsource, src, &cats) {
            continue;
        }
        let ls = &lr.rule.logsource;
        let mut field = |g: &mut Group, f: &str| -> Vec<u16> {
            pipeline::map_field(maps, ls, f)
                .iter()
                .map(|n| g.want(n))
                .collect()
        };
        let mut searches = Vec::new();
        for (_, s) in &lr.rule.searches {
            searches.push(compile_search(s, &mut g, &mut field));
        }
        let mut slots = Vec::new();
        for s in &searches {
            search_slots(s, &mut slots);
        }
        slots.sort_unstable();
        slots.dedup();
        if !g.regex_errors.is_empty() {
            let why = std::mem::take(&mut g.regex_errors).join("; ");
            g.rejected.push((ri, why));
            continue;
        }
        g.rules.push(CRule {
            rule: ri,
            searches,
            conds: lr.rule.conditions.clone(),
            slots,
        });
    }
    g
}

fn search_slots(s: &CSearch, out: &mut Vec<u16>) {
    match s {
        CSearch::Or(v) => v.iter().for_each(|x| search_slots(x, out)),
        CSearch::And(items) => {
            for i in items {
                out.extend(i.slots.iter().flatten());
                if let CCheck::Values { ms, .. } | CCheck::Any { ms, .. } = &i.check {
                    for m in ms {
                        if let M::FieldRef { slots, .. } = m {
                            out.extend(slots);
                        }
                    }
                }
            }
        }
    }
}

fn compile_search(
    s: &Search,
    g: &mut Group,
    field: &mut dyn FnMut(&mut Group, &str) -> Vec<u16>,
) -> CSearch {
    match s {
        Search::Or(v) => CSearch::Or(v.iter().map(|x| compile_search(x, g, field)).collect()),
        Search::And(items) => CSearch::And(
            items
                .iter()
                .map(|it| {
                    let slots = it.field.as_ref().map(|f| field(g, f));
                    if slots.is_none() {
                        g.fulltext = true;
                    }
                    let mut bad: Vec<String> = Vec::new();
                    let check = match &it.check {
                        Check::Exists(b) => CCheck::Exists(*b),
                        Check::Null => CCheck::Null,
                        Check::Values { values, all } => CCheck::Values {
                            all: *all,
                            ms: values
                                .iter()
                                .map(|v| match v {
                                    Value::Str { pattern, cased } => M::Str {
                                        s: if slots.is_none() {
                                            // Keywords match anywhere in the text.
                                            let mut p = pattern.clone();
                                            if p.first() != Some(&Part::Many) {
                                                p.insert(0, Part::Many);
                                            }
                                            if p.last() != Some(&Part::Many) {
                                                p.push(Part::Many);
                                            }
                                            compile_str(&p, *cased)
                                        } else {
                                            compile_str(pattern, *cased)
                                        },
                                        cased: *cased,
                                    },
                                    // The syntax was checked when the rule was parsed;
                                    // compiling can still fail (size limits): the rule
                                    // is then rejected (see `Group::rejected`).
                                    Value::Re(r) => M::Re(match Regex::new(r) {
                                        Ok(x) => x,
                                        Err(e) => {
                                            bad.push(format!(
                                                "regular expression {r:?} cannot be compiled: {e}"
                                            ));
                                            Regex::new("$^").expect("regex")
                                        }
                                    }),
                                    Value::Cidr(c) => {
                                        M::Cidr(Net::parse(c).unwrap_or(
                                            Net::parse("255.255.255.255/32").expect("net"),
                                        ))
                                    }
                                    Value::Num(n, t) => {
                                        if slots.is_none() {
                                            M::Str {
                                                s: Str::Contains(
                                                    memmem::Finder::new(t.as_bytes()).into_owned(),
                                                ),
                                                cased: false,
                                            }
                                        } else {
                                            M::Num(*n, t.clone())
                                        }
                                    }
                                    Value::Bool(b) => M::Bool(*b),
                                    Value::Cmp(op, n) => M::Cmp(*op, *n),
                                    Value::FieldRef {
                                        field: f,
                                        starts,
                                        ends,
                                    } => M::FieldRef {
                                        slots: field(g, f),
                                        lead: *starts,
                                        trail: *ends,
                                    },
                                })
                                .collect(),
                        },
                    };
                    let check = match check {
                        CCheck::Values { ms, all: false } => match index_values(ms) {
                            (Some(multi), ms) => CCheck::Any { multi, ms },
                            (None, ms) => CCheck::Values { ms, all: false },
                        },
                        c => c,
                    };
                    g.regex_errors.extend(bad);
                    CItem { slots, check }
                })
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_semantics() {
        let p = crate::sigma::parse_string("a*b?c");
        let low: Vec<Part> = p;
        assert!(glob(&low, "axxbyc"));
        assert!(glob(&low, "abyc"));
        assert!(!glob(&low, "abc"));
        assert!(glob(&[Part::Many, Part::Lit("é".into()), Part::One], "xéz"));
    }

    /// Long prefix/suffix lists of many lengths go through the anchored automata; they
    /// must agree with a plain starts_with/ends_with, case-insensitively, also for values
    /// longer than the reversal buffer.
    #[test]
    fn indexed_prefix_and_suffix_lists() {
        let sufs = [
            ".evil",
            "pool.example",
            "x.org",
            "mining.example.net",
            "a.b.c.d.io",
            "q",
        ];
        let pres = ["get /", "post /api", "x", "abcdefgh", "longer prefix!"];
        let mut yaml = String::from(
            "title: t\nlogsource: {product: zeek, service: dns}\ndetection:\n  s1:\n    query|endswith:\n",
        );
        for x in sufs {
            yaml.push_str(&format!("      - '{x}'\n"));
        }
        yaml.push_str("  s2:\n    query|startswith:\n");
        for x in pres {
            yaml.push_str(&format!("      - '{x}'\n"));
        }
        yaml.push_str("  condition: s1 or s2\n");
        let rule = crate::sigma::parse(&yaml).unwrap();
        let rules = vec![LoadedRule {
            rule,
            file: "t".into(),
        }];
        let g = build_group(&rules, &[], &Source::new("zeek", "dns"));
        let q = g.slot(b"query").unwrap();
        let long = "z".repeat(REV_MAX + 10);
        let mut values: Vec<String> = vec![
            "a.EVIL".into(),
            "evil".into(),
            "POOL.example".into(),
            "ool.example".into(),
            "yyq".into(),
            "Get /x".into(),
            "get".into(),
            "abcdefg".into(),
            "abcdefghij".into(),
            format!("{long}.evil"),
            format!("{long}.evi"),
            format!("x{long}"),
            String::new(),
        ];
        values.push("mining.example.netX".into());
        for v in values {
            let mut rec = Rec::default();
            rec.reset(g.fields.len());
            rec.push(q, &v);
            let mut out = Vec::new();
            g.eval(&rec, &mut out);
            let l = v.to_ascii_lowercase();
            let want = sufs.iter().any(|s| l.ends_with(s)) || pres.iter().any(|p| l.starts_with(p));
            assert_eq!(!out.is_empty(), want, "{v:?}");
        }
    }
}
