//! Reading one input into records and evaluating them: the hunt's block reader
//! (`stormwatch_hunt::records`: plain or gzip, line numbers, format detection) feeds
//! batches of line-aligned blocks, each block parsed and evaluated on its own thread.
//! Zeek TSV headers (`#path`, `#fields`, `#types`, separators) are tracked across
//! blocks; JSON records take their source from `_path`; CSV from its header (nfdump);
//! text lines go through the syslog and TACACS+ parsers.

use rayon::prelude::*;
use std::io::{self, Read};

use stormwatch_hunt::records::{self, Block};
use stormwatch_hunt::sweep::{InputReport, Options as ReadOptions};
use stormwatch_hunt::time::{self, TimeFormat};

use crate::engine::{Group, Rec, Source};
use crate::{flow, json, syslog, Detector};

/// Options for scanning.
#[derive(Debug, Clone)]
pub struct Options {
    /// The source of records whose format does not say (`--logsource`).
    pub logsource: Option<Source>,
    /// Year for times without one.
    pub year: i32,
    pub max_line: usize,
    pub block: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            logsource: None,
            year: 2026,
            max_line: 64 << 20,
            block: 4 << 20,
        }
    }
}

/// One detection: a rule (index into [`Detector::rules`]) matched a record.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    pub rule: usize,
    /// 1-based line in the decompressed text.
    pub line: u64,
    /// 0-based byte offset of the record's line.
    pub offset: u64,
    /// Unix seconds, and whether inferred.
    pub time: Option<(i64, bool)>,
    /// For rules feeding correlations: the captured field values (empty otherwise).
    pub captured: Vec<Option<String>>,
}

/// A record that could not be read.
#[derive(Debug, Clone)]
pub struct RecordError {
    pub line: u64,
    pub offset: u64,
    pub error: String,
}

/// A rule field that an input's schema does not have (the rule cannot match there).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct UnknownField {
    pub rule: usize,
    pub field: String,
    pub source: String,
}

/// What scanning one input gave.
#[derive(Debug, Clone)]
pub struct InputResult {
    pub report: InputReport,
    pub records: u64,
    /// The first record errors (at most [`MAX_RECORD_ERRORS`]) and their total.
    pub record_errors: Vec<RecordError>,
    pub record_errors_total: u64,
    pub unknown_fields: Vec<UnknownField>,
    /// Sources seen (`product/service`) with record counts.
    pub sources: Vec<(String, u64)>,
}

/// Record errors kept per input (the total is counted).
pub const MAX_RECORD_ERRORS: usize = 20;

/// Receives detections in input order.
pub trait Sink: Send {
    fn detection(&mut self, d: &Detection) -> io::Result<()>;
}

impl<F: FnMut(&Detection) -> io::Result<()> + Send> Sink for F {
    fn detection(&mut self, d: &Detection) -> io::Result<()> {
        self(d)
    }
}

/// A Zeek TSV header.
#[derive(Debug, Clone)]
struct Zeek {
    sep: u8,
    set_sep: u8,
    empty: Vec<u8>,
    unset: Vec<u8>,
    path: String,
    fields: Vec<String>,
    sets: Vec<bool>,
}

impl Default for Zeek {
    fn default() -> Self {
        Zeek {
            sep: b'\t',
            set_sep: b',',
            empty: b"(empty)".to_vec(),
            unset: b"-".to_vec(),
            path: String::new(),
            fields: Vec::new(),
            sets: Vec::new(),
        }
    }
}

fn unhex(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'\\' && s.get(i + 1) == Some(&b'x') {
            if let Some(v) = s
                .get(i + 2..i + 4)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(v);
                i += 4;
                continue;
            }
        }
        out.push(s[i]);
        i += 1;
    }
    out
}

impl Zeek {
    /// Applies one `#` header line.
    fn header(&mut self, line: &[u8]) {
        if let Some(v) = line.strip_prefix(b"#separator ") {
            if let Some(&c) = unhex(v).first() {
                self.sep = c;
            }
            return;
        }
        let mut it = line.split(|&c| c == self.sep);
        let key = it.next().unwrap_or_default();
        let vals: Vec<&[u8]> = it.collect();
        let s = |v: &[u8]| String::from_utf8_lossy(v).into_owned();
        match key {
            b"#set_separator" => {
                if let Some(v) = vals.first().map(|v| unhex(v)) {
                    if let Some(&c) = v.first() {
                        self.set_sep = c;
                    }
                }
            }
            b"#empty_field" => self.empty = vals.first().map(|v| v.to_vec()).unwrap_or_default(),
            b"#unset_field" => self.unset = vals.first().map(|v| v.to_vec()).unwrap_or_default(),
            b"#path" => self.path = vals.first().map(|v| s(v)).unwrap_or_default(),
            b"#fields" => {
                self.fields = vals.iter().map(|v| s(v)).collect();
                self.sets = vec![false; self.fields.len()];
            }
            b"#types" => {
                self.sets = vals
                    .iter()
                    .map(|t| t.starts_with(b"set[") || t.starts_with(b"vector["))
                    .collect();
            }
            _ => {}
        }
    }
}

/// Per-block results.
#[derive(Default)]
struct Out {
    detections: Vec<Detection>,
    errors: Vec<RecordError>,
    errors_total: u64,
    records: u64,
    unknown: Vec<UnknownField>,
    sources: Vec<(Source, u64)>,
}

impl Out {
    fn source_index(&mut self, s: &Source) -> usize {
        match self.sources.iter().position(|(x, _)| x == s) {
            Some(i) => i,
            None => {
                self.sources.push((s.clone(), 0));
                self.sources.len() - 1
            }
        }
    }

    fn count_source(&mut self, s: &Source) {
        match self.sources.iter_mut().find(|(x, _)| x == s) {
            Some((_, n)) => *n += 1,
            None => self.sources.push((s.clone(), 1)),
        }
    }

    fn error(&mut self, line: u64, offset: u64, error: String) {
        self.errors_total += 1;
        if self.errors.len() < MAX_RECORD_ERRORS {
            self.errors.push(RecordError {
                line,
                offset,
                error,
            });
        }
    }
}

struct Ctx<'a> {
    det: &'a Detector,
    opts: &'a Options,
    fmt: TimeFormat,
    csv_header: Option<&'a [String]>,
}

impl Detector {
    /// Scans one input; detections go to `sink` in input order. Reading errors end the
    /// input and are in the report; record errors are counted and the first kept.
    pub fn scan(
        &self,
        name: &str,
        reader: impl Read,
        opts: &Options,
        sink: &mut dyn Sink,
    ) -> io::Result<InputResult> {
        let ropts = ReadOptions {
            block: opts.block,
            max_line: opts.max_line,
            year: opts.year,
            ..Default::default()
        };
        let mut zeek = Zeek::default();
        let mut csv_header: Option<Vec<String>> = None;
        let mut total = Total::default();
        let mut first = true;
        let mut on_batch = |blocks: &[Block], fmt: TimeFormat| -> io::Result<()> {
            // Headers at the start of each block, found serially (cheap: only `#` lines).
            let mut starts: Vec<Zeek> = Vec::with_capacity(blocks.len());
            if fmt == TimeFormat::ZeekTsv {
                for b in blocks {
                    starts.push(zeek.clone());
                    let d = &b.data;
                    let mut at: Vec<usize> = Vec::new();
                    if d.first() == Some(&b'#') {
                        at.push(0);
                    }
                    at.extend(memchr::memmem::find_iter(d, b"\n#").map(|p| p + 1));
                    for s in at {
                        let e = memchr::memchr(b'\n', &d[s..]).map_or(d.len(), |k| s + k);
                        let l = &d[s..e];
                        zeek.header(l.strip_suffix(b"\r").unwrap_or(l));
                    }
                }
            }
            if first && matches!(fmt, TimeFormat::Csv(_)) {
                if let Some((_, _, l)) = blocks.first().and_then(|b| b.lines().next()) {
                    csv_header = Some(
                        String::from_utf8_lossy(l)
                            .split(',')
                            .map(|c| c.trim().trim_matches('"').to_owned())
                            .collect(),
                    );
                }
            }
            let ctx = Ctx {
                det: self,
                opts,
                fmt,
                csv_header: csv_header.as_deref(),
            };
            let skip_first = first && matches!(fmt, TimeFormat::Csv(_));
            first = false;
            let outs: Vec<Out> = blocks
                .par_iter()
                .enumerate()
                .map(|(i, b)| {
                    let z = starts.get(i).cloned();
                    ctx.block(b, z, skip_first && i == 0)
                })
                .collect();
            for o in outs {
                for d in &o.detections {
                    sink.detection(d)?;
                }
                total.report_merge(o);
            }
            Ok(())
        };
        let mut report = records::read_blocks(name, reader, &ropts, &mut on_batch)?;
        report.matches = total.detections_count;
        let mut unknown = total.unknown;
        unknown.sort();
        unknown.dedup();
        Ok(InputResult {
            report,
            records: total.records,
            record_errors: total.errors,
            record_errors_total: total.errors_total,
            unknown_fields: unknown,
            sources: total
                .sources
                .into_iter()
                .map(|(s, n)| (format!("{}/{}", s.product, s.service), n))
                .collect(),
        })
    }
}

/// Totals over blocks.
#[derive(Default)]
struct Total {
    detections_count: u64,
    errors: Vec<RecordError>,
    errors_total: u64,
    records: u64,
    unknown: Vec<UnknownField>,
    sources: Vec<(Source, u64)>,
}

trait Merge {
    fn report_merge(&mut self, o: Out);
}

impl Merge for Total {
    fn report_merge(&mut self, o: Out) {
        self.detections_count += o.detections.len() as u64;
        self.errors_total += o.errors_total;
        for e in o.errors {
            if self.errors.len() < MAX_RECORD_ERRORS {
                self.errors.push(e);
            }
        }
        self.records += o.records;
        self.unknown.extend(o.unknown);
        for (s, n) in o.sources {
            match self.sources.iter_mut().find(|(x, _)| *x == s) {
                Some((_, m)) => *m += n,
                None => self.sources.push((s, n)),
            }
        }
    }
}

impl Ctx<'_> {
    fn block(&self, b: &Block, zeek: Option<Zeek>, skip_first: bool) -> Out {
        let mut out = Out::default();
        let mut rec = Rec::default();
        let mut hits: Vec<usize> = Vec::new();
        match self.fmt {
            TimeFormat::ZeekTsv => {
                self.zeek_block(b, zeek.unwrap_or_default(), &mut rec, &mut hits, &mut out)
            }
            TimeFormat::Json => {
                let fixed = self
                    .opts
                    .logsource
                    .clone()
                    .unwrap_or_else(|| Source::new("json", ""));
                let fixed_g = self.det.group(&fixed);
                let mut fixed_idx: Option<usize> = None;
                // The last `_path` seen: (path, source, group, index in out.sources).
                let mut last: Option<(Vec<u8>, Source, Option<&Group>, usize)> = None;
                let mut scratch = json::Scratch::default();
                let no_rules = Group::default();
                for (line, off, l) in b.lines() {
                    if l.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    out.records += 1;
                    let (_src, g) = match json::zeek_path(l) {
                        Some(p) => {
                            if last.as_ref().is_none_or(|x| x.0.as_slice() != p) {
                                let s = Source::new("zeek", &String::from_utf8_lossy(p));
                                let g = self.det.group(&s);
                                let i = out.source_index(&s);
                                last = Some((p.to_vec(), s, g, i));
                            }
                            let Some((_, s, g, i)) = last.as_ref() else {
                                continue;
                            };
                            out.sources[*i].1 += 1;
                            (s, *g)
                        }
                        None => {
                            let i = *fixed_idx.get_or_insert_with(|| out.source_index(&fixed));
                            out.sources[i].1 += 1;
                            (&fixed, fixed_g)
                        }
                    };
                    let Some(g) = g else {
                        // Still check the syntax: a bad record is reported.
                        if let Err(e) = json::read_with(l, &no_rules, &mut rec, &mut scratch) {
                            out.error(line, off, e);
                        }
                        continue;
                    };
                    if let Err(e) = json::read_with(l, g, &mut rec, &mut scratch) {
                        out.error(line, off, e);
                        continue;
                    }
                    self.eval(g, &rec, l, line, off, None, &mut hits, &mut out);
                }
            }
            TimeFormat::Csv(_) => {
                let header = self.csv_header.unwrap_or(&[]);
                let src = match header {
                    [a, b, c, d, e, ..]
                        if a == "ts" && b == "te" && c == "td" && d == "sa" && e == "da" =>
                    {
                        Source::new("nfdump", "flow")
                    }
                    _ => self
                        .opts
                        .logsource
                        .clone()
                        .unwrap_or_else(|| Source::new("csv", "")),
                };
                let Some(g) = self.det.group(&src) else {
                    out.records += b.lines().count() as u64;
                    return out;
                };
                let cols: Vec<Option<u16>> = header.iter().map(|h| g.slot(h.as_bytes())).collect();
                for (i, (line, off, l)) in b.lines().enumerate() {
                    if (skip_first && i == 0) || l.is_empty() {
                        continue;
                    }
                    out.records += 1;
                    out.count_source(&src);
                    rec.reset(g.fields.len());
                    let text = String::from_utf8_lossy(l);
                    for (c, v) in text.split(',').enumerate() {
                        if let Some(Some(s)) = cols.get(c) {
                            rec.push(*s, v.trim().trim_matches('"'));
                        }
                        if g.fulltext {
                            rec.push_full(v);
                        }
                    }
                    self.eval(g, &rec, l, line, off, None, &mut hits, &mut out);
                }
            }
            TimeFormat::Text => {
                for (line, off, l) in b.lines() {
                    if l.is_empty() {
                        continue;
                    }
                    out.records += 1;
                    let text = String::from_utf8_lossy(l);
                    let parsed = syslog::parse_tacacs(&text, self.opts.year)
                        .or_else(|| syslog::parse(&text, self.opts.year));
                    let (src, fields, full, t) = match parsed {
                        Some(p) => (p.source, p.fields, p.full, p.time),
                        None => match &self.opts.logsource {
                            Some(s) => (s.clone(), Vec::new(), None, None),
                            None => continue,
                        },
                    };
                    out.count_source(&src);
                    let Some(g) = self.det.group(&src) else {
                        continue;
                    };
                    rec.reset(g.fields.len());
                    for (k, v) in &fields {
                        if let Some(s) = g.slot(k.as_bytes()) {
                            rec.push(s, v);
                        }
                    }
                    if g.fulltext {
                        rec.push_full(full.as_deref().unwrap_or(&text));
                    }
                    let t = t.or_else(|| time::record_time(l, TimeFormat::Text, self.opts.year));
                    self.eval(g, &rec, l, line, off, Some(t), &mut hits, &mut out);
                }
            }
        }
        out
    }

    #[allow(clippy::too_many_arguments)]
    fn eval(
        &self,
        g: &Group,
        rec: &Rec,
        l: &[u8],
        line: u64,
        off: u64,
        t: Option<Option<(i64, bool)>>,
        hits: &mut Vec<usize>,
        out: &mut Out,
    ) {
        hits.clear();
        g.eval(rec, hits);
        flow::check(self.det, g, rec, hits);
        if hits.is_empty() {
            return;
        }
        let t = t.unwrap_or_else(|| time::record_time(l, self.fmt, self.opts.year));
        for &r in hits.iter() {
            let captured = match g.captures.get(&r) {
                None => Vec::new(),
                Some(slots) => slots
                    .iter()
                    .map(|s| s.and_then(|s| rec.first(s)).map(str::to_owned))
                    .collect(),
            };
            out.detections.push(Detection {
                rule: r,
                line,
                offset: off,
                time: t,
                captured,
            });
        }
    }

    fn zeek_block(
        &self,
        b: &Block,
        mut z: Zeek,
        rec: &mut Rec,
        hits: &mut Vec<usize>,
        out: &mut Out,
    ) {
        type Current<'g> = (String, Source, Option<&'g Group>, Vec<Option<u16>>);
        let mut cur: Option<Current> = None;
        let mut stale = true;
        for (line, off, l) in b.lines() {
            if l.first() == Some(&b'#') {
                z.header(l);
                stale = true;
                continue;
            }
            if l.is_empty() {
                continue;
            }
            out.records += 1;
            if stale || cur.as_ref().is_none_or(|c| c.0 != z.path) {
                let src = if z.path.is_empty() {
                    self.opts
                        .logsource
                        .clone()
                        .unwrap_or_else(|| Source::new("zeek", ""))
                } else {
                    Source::new("zeek", &z.path)
                };
                let g = self.det.group(&src);
                let cols: Vec<Option<u16>> = match g {
                    Some(g) => z.fields.iter().map(|f| g.slot(f.as_bytes())).collect(),
                    None => Vec::new(),
                };
                if let Some(g) = g {
                    for (rule, slots) in g.rule_slots() {
                        for s in slots {
                            let name = &g.fields[s as usize];
                            if !z.fields.iter().any(|f| f == name) && !z.fields.is_empty() {
                                out.unknown.push(UnknownField {
                                    rule,
                                    field: name.clone(),
                                    source: format!("zeek/{}", z.path),
                                });
                            }
                        }
                    }
                }
                cur = Some((z.path.clone(), src, g, cols));
                stale = false;
            }
            let Some((_, src, g, cols)) = cur.as_ref() else {
                continue;
            };
            out.count_source(src);
            let Some(g) = g else { continue };
            rec.reset(g.fields.len());
            for (c, v) in l.split(|&x| x == z.sep).enumerate() {
                let Some(Some(s)) = cols.get(c) else { continue };
                if v == z.unset.as_slice() {
                    continue;
                }
                let set = z.sets.get(c).copied().unwrap_or(false);
                if v == z.empty.as_slice() {
                    if set {
                        rec.push_null(*s);
                    } else {
                        rec.push(*s, "");
                    }
                    continue;
                }
                let mut push = |x: &[u8]| {
                    let owned;
                    let x = if x.contains(&b'\\') {
                        owned = unhex(x);
                        &owned[..]
                    } else {
                        x
                    };
                    match x {
                        b"T" if !set => rec.push(*s, "true"),
                        b"F" if !set => rec.push(*s, "false"),
                        _ => match std::str::from_utf8(x) {
                            Ok(t) => rec.push(*s, t),
                            Err(_) => rec.push(*s, &String::from_utf8_lossy(x)),
                        },
                    }
                };
                if set {
                    for e in v.split(|&x| x == z.set_sep) {
                        push(e);
                    }
                } else {
                    push(v);
                }
            }
            if g.fulltext {
                rec.push_full(&String::from_utf8_lossy(l));
            }
            self.eval(g, rec, l, line, off, None, hits, out);
        }
    }
}
