//! `stormwatch hunt`: sweep logs, flows and packet captures for indicators.

use anyhow::{Context, Result};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::global::{self, Exit, Global};
use stormwatch_hunt::indicators::{self, IndicatorDef};
use stormwatch_hunt::iocs::{Ioc, Source};
use stormwatch_hunt::sweep::{self, InputReport, Match};
use stormwatch_report::Format;

/// Sweep files, directories or stdin for indicators.
///
/// Indicators: the store's, plus every --iocs file (STIX bundles, MISP events, Zeek
/// intel files, CSV and text lists, defanged values too); when that set is empty, the
/// built-in pack's AA25-239A indicators. Inputs: text and syslog, JSON lines, Zeek TSV
/// and JSON, CSV (nfdump), pcap and pcapng; gzip by content. Exit 0 nothing found, 1
/// matches, 2 when any input failed (the rest is swept and reported first).
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Files or directories to sweep ("-" reads stdin)
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Indicator file (repeatable)
    #[arg(long, value_name = "FILE")]
    pub iocs: Vec<PathBuf>,
    /// Known-good values never to report (one value per line, defanged allowed, CIDR allowed)
    #[arg(long, value_name = "FILE")]
    pub allow: Vec<PathBuf>,
    /// Report a match only when the record's time is inside the indicator's valid_from/valid_until
    #[arg(long)]
    pub respect_validity: bool,
    /// In directories, only files whose path matches this glob (repeatable)
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,
    /// In directories, skip files whose path matches this glob (repeatable)
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Year for timestamps without one (RFC 3164 syslog); default: the current year
    #[arg(long)]
    pub year: Option<i32>,
    /// Longest line accepted; a longer one stops the sweep of that input with an error
    #[arg(long, value_name = "BYTES", default_value_t = 64 << 20)]
    pub max_line_bytes: usize,
    /// Record a STIX sighting per matched indicator in the store (count, first/last seen)
    #[arg(long)]
    pub record: bool,
    /// Write the JSON summary here (useful with --format jsonl)
    #[arg(long, value_name = "FILE")]
    pub summary: Option<PathBuf>,
}

#[derive(Serialize, Default)]
struct Summary {
    indicator: String,
    indicator_value: String,
    hits: u64,
    first_seen: Option<String>,
    last_seen: Option<String>,
    files: Vec<String>,
}

#[derive(Serialize)]
struct HuntError {
    file: String,
    position: Option<u64>,
    error: String,
}

#[derive(Serialize)]
struct Doc<'a> {
    matches: &'a [Match],
    summary: &'a [Summary],
    inputs: &'a [InputReport],
    errors: &'a [HuntError],
    unsweepable: &'a [indicators::Unsweepable],
    indicators: &'a IndicatorInfo,
    caveat: &'static str,
}

#[derive(Serialize, Clone)]
struct IndicatorInfo {
    source: String,
    indicators: usize,
    values: usize,
}

const CAVEAT: &str = "A match is a lead, not proof: many indicator addresses are rented or shared infrastructure (CISA warns some are compromised third-party hosts); check the time window.";

fn year_now() -> i32 {
    stormwatch_model::Timestamp::now().to_string()[..4]
        .parse()
        .unwrap_or(2026)
}

/// What an --iocs file gives: indicator objects, or (for plain lists, which can hold
/// millions of values) values added straight to the set.
enum FromFile {
    Defs(Vec<IndicatorDef>),
    Values(Vec<(Ioc, Source)>),
}

/// A plain one-value-per-line list, read without building STIX objects. Ids are the
/// ones `stormwatch import` gives the same list (publisher = file stem).
fn plain_list(text: &str, stem: &str, display: &str) -> Result<Vec<(Ioc, Source)>> {
    use rayon::prelude::*;
    let lines: Vec<(usize, &str)> = text.lines().enumerate().collect();
    // Classifying and deriving ids dominates for big lists: spread it over the cores.
    let parsed: Vec<Result<Option<(Ioc, Source)>>> = lines
        .par_iter()
        .map(|&(n, line)| plain_value(n, line, stem, display))
        .collect();
    parsed.into_iter().filter_map(Result::transpose).collect()
}

/// One line of a plain list: `None` for blank lines and comments.
fn plain_value(n: usize, line: &str, stem: &str, display: &str) -> Result<Option<(Ioc, Source)>> {
    use stormwatch_intel::formats::indicators::{classify, refang, IndicatorKind};
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let first = line.split([' ', '\t', ',']).next().unwrap_or("");
    let Some((kind, value)) = classify(&refang(first)) else {
        anyhow::bail!("--iocs {display} line {}: {first:?} is not an address, network, domain, URL, e-mail or hash", n + 1);
    };
    let ioc = match kind {
        IndicatorKind::Ipv4 => value
            .parse::<std::net::Ipv4Addr>()
            .ok()
            .map(|a| Ioc::Ipv4(u32::from(a))),
        IndicatorKind::Ipv6 => value
            .parse::<std::net::Ipv6Addr>()
            .ok()
            .map(|a| Ioc::Ipv6(u128::from(a))),
        IndicatorKind::Ipv4Cidr | IndicatorKind::Ipv6Cidr => allow_value(&value),
        IndicatorKind::Domain => Some(Ioc::Domain {
            name: value.clone(),
            subdomains: false,
        }),
        IndicatorKind::Url => Some(Ioc::Url(stormwatch_hunt::scan::canonical_url(&value))),
        IndicatorKind::Email => Some(Ioc::Email(value.to_ascii_lowercase())),
        _ => allow_value(&value),
    };
    let Some(ioc) = ioc else {
        anyhow::bail!(
            "--iocs {display} line {}: {first:?} could not be read",
            n + 1
        );
    };
    let id =
        stormwatch_model::deterministic_id(stem, "indicator", &format!("{}:{value}", kind.name()));
    let source = Source {
        indicator: id,
        value: ioc.canonical(),
        atom: kind.pattern(&value),
        whole: true,
        valid_from: None,
        valid_until: None,
    };
    Ok(Some((ioc, source)))
}

/// Indicators from a file given with --iocs.
fn defs_from_file(path: &Path) -> Result<FromFile> {
    let input = stormwatch_intel::read_input(path, None)
        .with_context(|| format!("--iocs {}", path.display()))?;
    let text = std::str::from_utf8(&input.bytes)
        .with_context(|| format!("--iocs {}: not UTF-8", path.display()))?;
    if let Some(defs) = zeek_intel(text) {
        return Ok(FromFile::Defs(defs));
    }
    let display = path.display().to_string();
    let d = stormwatch_intel::detect::detect(text);
    if d == stormwatch_intel::detect::Detected::IndicatorList {
        let first = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'))
            .unwrap_or("");
        if !stormwatch_intel::formats::indicators::looks_like_indicator_csv(first) {
            let stem = path
                .file_stem()
                .map_or_else(|| "stdin".to_owned(), |s| s.to_string_lossy().into_owned());
            return Ok(FromFile::Values(plain_list(text, &stem, &display)?));
        }
    }
    let objects: Vec<Value> = if d == stormwatch_intel::detect::Detected::Stix {
        let b = stormwatch_model::parse_bundle(text, Default::default())
            .with_context(|| format!("--iocs {display}"))?;
        b.objects
            .iter()
            .filter_map(|c| serde_json::from_str(&c.object.text).ok())
            .collect()
    } else {
        let c = stormwatch_intel::detect::convert(d, text, &display, &Default::default())
            .map_err(|e| anyhow::anyhow!("--iocs {display}: {e}"))?;
        if !c.rejected.is_empty() {
            let r = &c.rejected[0];
            anyhow::bail!(
                "--iocs {display}: {} records could not be read, e.g. line {}: {}",
                c.rejected.len(),
                r.line,
                r.error
            );
        }
        c.objects.into_iter().map(Value::Object).collect()
    };
    Ok(FromFile::Defs(
        objects.iter().filter_map(IndicatorDef::from_stix).collect(),
    ))
}

/// Zeek intel framework files: `#fields indicator indicator_type meta.source ...`.
fn zeek_intel(text: &str) -> Option<Vec<IndicatorDef>> {
    let header = text.lines().find(|l| l.starts_with("#fields"))?;
    let cols: Vec<&str> = header.split('\t').skip(1).collect();
    let vi = cols.iter().position(|c| *c == "indicator")?;
    let ti = cols.iter().position(|c| *c == "indicator_type")?;
    let mut out = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let f: Vec<&str> = line.split('\t').collect();
        let (Some(v), Some(t)) = (f.get(vi), f.get(ti)) else {
            continue;
        };
        let v = v.replace('\'', "\\'");
        let pattern = match *t {
            "Intel::ADDR" if v.contains(':') => format!("[ipv6-addr:value = '{v}']"),
            "Intel::ADDR" => format!("[ipv4-addr:value = '{v}']"),
            "Intel::SUBNET" if v.contains(':') => format!("[ipv6-addr:value ISSUBSET '{v}']"),
            "Intel::SUBNET" => format!("[ipv4-addr:value ISSUBSET '{v}']"),
            "Intel::DOMAIN" => format!("[domain-name:value = '{v}']"),
            "Intel::URL" => format!(
                "[url:value = '{}']",
                if v.contains("://") {
                    v.clone()
                } else {
                    format!("http://{v}")
                }
            ),
            "Intel::EMAIL" => format!("[email-addr:value = '{v}']"),
            "Intel::FILE_HASH" => {
                let k = match v.len() {
                    32 => "MD5",
                    40 => "'SHA-1'",
                    64 => "'SHA-256'",
                    128 => "'SHA-512'",
                    _ => continue,
                };
                format!("[file:hashes.{k} = '{v}']")
            }
            _ => continue,
        };
        out.push(IndicatorDef {
            id: stormwatch_model::deterministic_id("zeek-intel", "indicator", &format!("{t}|{v}")),
            pattern,
            pattern_type: "stix".into(),
            valid_from: None,
            valid_until: None,
        });
    }
    Some(out)
}

/// An input to sweep: its path and the name used in records.
type InputPath = (PathBuf, String);

fn collect_inputs(a: &Args) -> Result<(Vec<InputPath>, Vec<HuntError>)> {
    let mut inc = globset::GlobSetBuilder::new();
    for g in &a.include {
        inc.add(globset::Glob::new(g).with_context(|| format!("--include {g:?}"))?);
    }
    let mut exc = globset::GlobSetBuilder::new();
    for g in &a.exclude {
        exc.add(globset::Glob::new(g).with_context(|| format!("--exclude {g:?}"))?);
    }
    let (inc, exc) = (inc.build()?, exc.build()?);
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for p in &a.paths {
        if p.as_os_str() == "-" || !p.is_dir() {
            files.push((p.clone(), p.display().to_string()));
            continue;
        }
        let mut found: Vec<PathBuf> = Vec::new();
        for e in walkdir::WalkDir::new(p).follow_links(true) {
            match e {
                Ok(e) if e.file_type().is_file() => {
                    let path = e.into_path();
                    if (a.include.is_empty() || inc.is_match(&path)) && !exc.is_match(&path) {
                        found.push(path);
                    }
                }
                Ok(_) => {}
                Err(err) => errors.push(HuntError {
                    file: err
                        .path()
                        .map_or_else(|| p.display().to_string(), |x| x.display().to_string()),
                    position: None,
                    error: err.to_string(),
                }),
            }
        }
        found.sort();
        files.extend(found.into_iter().map(|f| {
            let d = f.display().to_string();
            (f, d)
        }));
    }
    Ok((files, errors))
}

pub fn run(g: &Global, a: &Args) -> Result<Exit> {
    // Indicators: the store's, plus --iocs; else the pack's advisory indicators.
    let store = g.open_store()?;
    let mut defs: Vec<IndicatorDef> = Vec::new();
    for o in store.objects_of_type(&["indicator"])? {
        if !o.revoked {
            if let Some(d) = IndicatorDef::from_stix(&o.value()?) {
                defs.push(d);
            }
        }
    }
    drop(store);
    let from_store = defs.len();
    let mut values: Vec<(Ioc, Source)> = Vec::new();
    for f in &a.iocs {
        match defs_from_file(f)? {
            FromFile::Defs(d) => defs.extend(d),
            FromFile::Values(v) => values.extend(v),
        }
    }
    let mut source = format!(
        "{from_store} from the store, {} from --iocs",
        defs.len() - from_store + values.len()
    );
    if defs.is_empty() && values.is_empty() {
        let v: Value = serde_json::from_str(stormwatch_intel::pack::ADVISORY_STIX)?;
        defs = v["objects"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(IndicatorDef::from_stix)
            .collect();
        source = "the built-in pack (AA25-239A)".into();
        g.note("note: no indicators in the store or --iocs; sweeping for the built-in pack's AA25-239A indicators");
    }
    let mut built = indicators::build(&defs);
    built.swept += values.len();
    for (ioc, src) in values {
        built.set.add(ioc, src);
    }
    let info = IndicatorInfo {
        source,
        indicators: built.swept,
        values: built.set.len(),
    };
    if !built.unsweepable.is_empty() {
        g.note(&format!(
            "note: {} comparisons cannot be swept (e.g. {}: {}); `--format json` lists them all",
            built.unsweepable.len(),
            built.unsweepable[0].atom,
            built.unsweepable[0].reason
        ));
    }
    let mut set = built.set;
    for f in &a.allow {
        let text =
            std::fs::read_to_string(f).with_context(|| format!("--allow {}", f.display()))?;
        for (n, line) in text.lines().enumerate() {
            let v = line.split('#').next().unwrap_or("").trim();
            if v.is_empty() {
                continue;
            }
            let ioc = allow_value(v).with_context(|| format!("--allow {} line {}: {v:?} is not an address, network, domain, URL, e-mail or hash", f.display(), n + 1))?;
            set.allow(ioc);
        }
    }
    let opts = sweep::Options {
        respect_validity: a.respect_validity,
        year: a.year.unwrap_or_else(year_now),
        max_line: a.max_line_bytes,
        ..Default::default()
    };
    let (files, mut errors) = collect_inputs(a)?;

    let fmt = g.format;
    let mut out = global::stdout();
    let mut all: Vec<Match> = Vec::new();
    let mut summary: BTreeMap<String, Summary> = BTreeMap::new();
    let mut inputs: Vec<InputReport> = Vec::new();
    let mut csv =
        (fmt == Format::Csv).then(|| stormwatch_report::CsvWriter::from_writer(Vec::new()));
    if let Some(w) = csv.as_mut() {
        w.write_record([
            "file",
            "line",
            "packet",
            "offset",
            "value",
            "canonical",
            "indicator",
            "indicator_value",
            "partial",
            "atoms",
            "time",
            "time_inferred",
        ])?;
    }
    for (path, display) in files {
        let reader: Box<dyn std::io::Read> = if path.as_os_str() == "-" {
            Box::new(std::io::stdin().lock())
        } else {
            match std::fs::File::open(&path) {
                Ok(f) => Box::new(f),
                Err(e) => {
                    errors.push(HuntError {
                        file: display,
                        position: None,
                        error: format!("cannot read: {e}"),
                    });
                    continue;
                }
            }
        };
        let mut sink = |m: &Match| -> std::io::Result<()> {
            let s = summary
                .entry(m.indicator.clone())
                .or_insert_with(|| Summary {
                    indicator: m.indicator.clone(),
                    indicator_value: m.indicator_value.clone(),
                    ..Default::default()
                });
            s.hits += 1;
            if let Some(t) = &m.time {
                if s.first_seen.as_ref().is_none_or(|f| t < f) {
                    s.first_seen = Some(t.clone());
                }
                if s.last_seen.as_ref().is_none_or(|l| t > l) {
                    s.last_seen = Some(t.clone());
                }
            }
            if !s.files.contains(&m.file) {
                s.files.push(m.file.clone());
            }
            match fmt {
                Format::Jsonl => {
                    serde_json::to_writer(&mut out, m)?;
                    out.write_all(b"\n")?;
                    if path.as_os_str() == "-" {
                        out.flush()?;
                    }
                }
                Format::Text => {
                    let pos = match (m.line, m.packet) {
                        (Some(l), _) => format!("{l}"),
                        (None, Some(p)) => format!("packet {p}"),
                        _ => "?".into(),
                    };
                    writeln!(
                        out,
                        "{}:{pos}: {} = {}{} ({}){}",
                        m.file,
                        stormwatch_report::clean(&m.value),
                        m.indicator_value,
                        if m.partial { " [partial]" } else { "" },
                        m.indicator,
                        m.time
                            .as_ref()
                            .map(|t| format!(
                                " at {t}{}",
                                if m.time_inferred {
                                    " (year inferred)"
                                } else {
                                    ""
                                }
                            ))
                            .unwrap_or_default()
                    )?;
                    if path.as_os_str() == "-" {
                        out.flush()?;
                    }
                }
                Format::Csv => {
                    if let Some(w) = csv.as_mut() {
                        let opt = |x: Option<u64>| x.map(|v| v.to_string()).unwrap_or_default();
                        w.write_record([
                            m.file.clone(),
                            opt(m.line),
                            opt(m.packet),
                            m.offset.to_string(),
                            m.value.clone(),
                            m.canonical.clone(),
                            m.indicator.clone(),
                            m.indicator_value.clone(),
                            m.partial.to_string(),
                            m.atoms.join(" | "),
                            m.time.clone().unwrap_or_default(),
                            m.time_inferred.to_string(),
                        ])
                        .map_err(std::io::Error::other)?;
                    }
                }
                Format::Json | Format::Navigator => all.push(m.clone()),
            }
            Ok(())
        };
        let rep = sweep::sweep(&set, &display, reader, &opts, &mut sink)?;
        if let Some(e) = &rep.error {
            errors.push(HuntError {
                file: display.clone(),
                position: Some(e.position),
                error: e.error.clone(),
            });
        }
        inputs.push(rep);
    }
    let summary: Vec<Summary> = summary.into_values().collect();
    let total: u64 = summary.iter().map(|s| s.hits).sum();
    match fmt {
        Format::Json | Format::Navigator => stormwatch_report::write_json(
            &mut out,
            &Doc {
                matches: &all,
                summary: &summary,
                inputs: &inputs,
                errors: &errors,
                unsweepable: &built.unsweepable,
                indicators: &info,
                caveat: CAVEAT,
            },
        )?,
        Format::Csv => {
            if let Some(w) = csv {
                out.write_all(&w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?)?;
            }
        }
        _ => {}
    }
    out.flush()?;
    if fmt != Format::Json {
        let doc = serde_json::json!({"summary": summary, "inputs": inputs, "errors": errors, "unsweepable": built.unsweepable, "indicators": info, "caveat": CAVEAT});
        if let Some(p) = &a.summary {
            std::fs::write(p, serde_json::to_vec_pretty(&doc)?)
                .with_context(|| format!("--summary {}", p.display()))?;
        }
        let bytes: u64 = inputs.iter().map(|i| i.bytes).sum();
        g.note(&format!(
            "{total} matches of {} indicators in {} inputs ({} bytes); {}",
            summary.len(),
            inputs.len(),
            bytes,
            CAVEAT
        ));
        for s in &summary {
            g.note(&format!(
                "  {} ({}): {} hits, {} .. {}, in {}",
                s.indicator_value,
                s.indicator,
                s.hits,
                s.first_seen.as_deref().unwrap_or("?"),
                s.last_seen.as_deref().unwrap_or("?"),
                s.files.join(", ")
            ));
        }
    }
    if a.record && !summary.is_empty() {
        let n = record_sightings(g, &summary, &inputs)?;
        g.note(&format!("recorded {n} sightings in the store"));
    }
    for e in &errors {
        eprintln!(
            "error: {}{}: {}",
            e.file,
            e.position
                .map(|p| format!(" at byte {p}"))
                .unwrap_or_default(),
            e.error
        );
    }
    Ok(if !errors.is_empty() {
        Exit::Failed
    } else if total > 0 {
        Exit::Findings
    } else {
        Exit::Clean
    })
}

/// Writes one STIX sighting per matched indicator: count, first/last seen, sighted by
/// this installation; the evidence (inputs and their SHA-256) is in the description.
/// The id is derived from the indicator and the inputs' hashes, so re-running the same
/// sweep records nothing new.
fn record_sightings(g: &Global, summary: &[Summary], inputs: &[InputReport]) -> Result<usize> {
    let mut store = g.open_store()?;
    let me =
        stormwatch_intel::formats::source_identity("Stormwatch hunt (this installation)", "system");
    let me_id = me["id"].as_str().unwrap_or_default().to_owned();
    let evidence: Vec<String> = inputs
        .iter()
        .map(|i| format!("{} sha256:{}", i.file, i.sha256))
        .collect();
    let now = stormwatch_model::Timestamp::now().to_string();
    let mut objs = vec![me];
    for s in summary {
        let key = format!("{}|{}", s.indicator, evidence.join(","));
        let mut o = serde_json::json!({
            "type": "sighting", "spec_version": "2.1",
            "id": stormwatch_model::deterministic_id("Stormwatch hunt", "sighting", &key),
            "created": now, "modified": now,
            "sighting_of_ref": s.indicator, "count": s.hits.min(999_999_999),
            "where_sighted_refs": [me_id], "created_by_ref": me_id,
            "description": format!("stormwatch hunt: {} hits of {} in {}. Inputs: {}", s.hits, s.indicator_value, s.files.join(", "), evidence.join("; ")),
        });
        if let (Some(f), Some(l)) = (&s.first_seen, &s.last_seen) {
            o["first_seen"] = serde_json::json!(f);
            o["last_seen"] = serde_json::json!(l);
        }
        if let Value::Object(m) = o {
            objs.push(m);
        }
    }
    let n = objs.len() - 1;
    stormwatch_intel::write_objects(store.as_mut(), objs).map_err(anyhow::Error::msg)?;
    Ok(n)
}

/// An allow-list value: address, network, domain (`*.example.com` for subdomains),
/// URL, e-mail or hash; defanged spellings are refanged.
fn allow_value(v: &str) -> Option<stormwatch_hunt::iocs::Ioc> {
    use stormwatch_hunt::iocs::Ioc;
    let v = stormwatch_intel::formats::indicators::refang(v);
    if let Some((a, p)) = v.split_once('/') {
        if let (Ok(a), Ok(p)) = (a.parse::<std::net::IpAddr>(), p.parse::<u8>()) {
            return Some(match a {
                std::net::IpAddr::V4(x) => Ioc::Ipv4Net {
                    addr: u32::from(x),
                    prefix: p.min(32),
                },
                std::net::IpAddr::V6(x) => Ioc::Ipv6Net {
                    addr: u128::from(x),
                    prefix: p.min(128),
                },
            });
        }
    }
    if let Some(d) = v.strip_prefix("*.") {
        return Some(Ioc::Domain {
            name: d.to_ascii_lowercase(),
            subdomains: true,
        });
    }
    match v.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(x)) => return Some(Ioc::Ipv4(u32::from(x))),
        Ok(std::net::IpAddr::V6(x)) => return Some(Ioc::Ipv6(u128::from(x))),
        Err(_) => {}
    }
    if v.contains("://") {
        return Some(Ioc::Url(stormwatch_hunt::scan::canonical_url(&v)));
    }
    if v.contains('@') {
        return Some(Ioc::Email(v.to_ascii_lowercase()));
    }
    if v.len().is_multiple_of(2)
        && matches!(v.len(), 32 | 40 | 64 | 128)
        && v.bytes().all(|b| b.is_ascii_hexdigit())
    {
        let bytes = (0..v.len())
            .step_by(2)
            .filter_map(|i| u8::from_str_radix(&v[i..i + 2], 16).ok())
            .collect();
        return Some(Ioc::Hash(bytes));
    }
    if v.contains('.')
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
    {
        return Some(Ioc::Domain {
            name: v.trim_end_matches('.').to_ascii_lowercase(),
            subdomains: false,
        });
    }
    None
}
