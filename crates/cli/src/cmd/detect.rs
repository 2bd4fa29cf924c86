//! `stormwatch detect`: Sigma rules (SigmaHQ-style `--rules` plus the built-in rules)
//! and flow heuristics over device logs, AAA accounting, Zeek logs and flows.

use anyhow::{bail, Context, Result};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use crate::global::{Exit, Global};
use stormwatch_detect::{input::Detection, Detector, Skipped, Source};
use stormwatch_hunt::sweep::InputReport;
use stormwatch_report::detect::{self as render, Record, RuleSummary};
use stormwatch_report::Format;

/// Run Sigma rules and the built-in AA25-239A behaviour rules over logs.
///
/// Inputs: Zeek TSV and JSON logs (logsource from #path/_path), JSON lines, nfdump CSV,
/// Cisco IOS/IOS XE/NX-OS/IOS XR and Junos syslog (bare, RFC 3164 or RFC 5424), TACACS+
/// accounting (tac_plus); gzip by content. Rules that cannot be evaluated are listed
/// with the reason. Exit 0 nothing found, 1 detections, 2 when an input or a record
/// failed (the rest still ran and was reported) or on a usage error.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub input: crate::inputs::InputArgs,
    /// Directory (or file) of Sigma rules, searched recursively for .yml/.yaml (repeatable)
    #[arg(long, value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// Do not run the built-in rules and flow heuristics
    #[arg(long)]
    pub no_builtin: bool,
    /// Logsource of inputs whose format does not say (PRODUCT[/SERVICE], e.g. linux/sshd)
    #[arg(long, value_name = "P[/S]")]
    pub logsource: Option<String>,
    /// Site file (TOML: aaa_servers, management_subnets, tunnel_peers, ssh_ports, [placeholders])
    #[arg(long, value_name = "FILE")]
    pub site: Option<PathBuf>,
    /// Record a STIX sighting per rule that fired, linked to an indicator (pattern_type sigma)
    #[arg(long)]
    pub record: bool,
}

#[derive(Serialize)]
struct DetectError {
    file: String,
    line: Option<u64>,
    position: Option<u64>,
    error: String,
}

#[derive(Serialize)]
struct Warning {
    rule: String,
    file: String,
    field: String,
    source: String,
    reason: String,
}

#[derive(Serialize)]
struct InputInfo<'a> {
    #[serde(flatten)]
    report: &'a InputReport,
    records: u64,
    sources: BTreeMap<String, u64>,
}

pub fn run(g: &Global, a: &Args) -> Result<Exit> {
    let site = match &a.site {
        None => None,
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("--site {}: cannot read", p.display()))?;
            Some(stormwatch_detect::Site::parse(&text).map_err(|e| {
                anyhow::anyhow!("--site {}: {e} (see docs/CLI.md, detect)", p.display())
            })?)
        }
    };
    let placeholders = site
        .as_ref()
        .map(|s| s.placeholders.clone())
        .unwrap_or_default();
    let mut set = stormwatch_detect::RuleSet::default();
    for dir in &a.rules {
        if !dir.exists() {
            bail!(
                "--rules {}: no such file or directory; give a folder of Sigma .yml rules",
                dir.display()
            );
        }
        set.extend(stormwatch_detect::load_rules(dir, &placeholders));
    }
    if !a.no_builtin {
        set.extend(stormwatch_detect::builtin_rules());
    }
    let logsource = match &a.logsource {
        None => None,
        Some(s) => Some(Source::parse(s).with_context(|| {
            format!("--logsource {s:?}: give PRODUCT[/SERVICE], e.g. cisco/aaa or zeek/dns")
        })?),
    };
    let extra: Vec<Source> = logsource.iter().cloned().collect();
    let mut det = Detector::new(set, site, &extra);
    let skipped: Vec<Skipped> = std::mem::take(&mut det.skipped);
    if a.no_builtin {
        det = det.without_flows();
    }
    if a.no_builtin && a.rules.is_empty() {
        bail!("no rules: give --rules DIR, or drop --no-builtin");
    }
    let applicable = det.applicable();
    g.note(&format!(
        "{} rules and {} correlations loaded ({} skipped); {} can read the record sources this build knows",
        det.rules.len(),
        det.correlations.len(),
        skipped.len(),
        applicable.iter().filter(|x| **x).count()
    ));
    let opts = stormwatch_detect::Options {
        logsource,
        year: a.input.year(),
        max_line: a.input.max_line_bytes,
        ..Default::default()
    };

    let mut errors = Vec::new();
    let (files, walk_errors) = a.input.collect()?;
    errors.extend(walk_errors.into_iter().map(|(file, error)| DetectError {
        file,
        line: None,
        position: None,
        error,
    }));
    let fmt = g.format;
    // Stdout (not its lock): the sink runs beside the hashing thread.
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout());
    let mut all: Vec<Record> = Vec::new();
    let mut summary: BTreeMap<usize, RuleSummary> = BTreeMap::new();
    let mut inputs: Vec<(InputReport, u64, BTreeMap<String, u64>)> = Vec::new();
    let mut warnings: Vec<Warning> = Vec::new();
    let mut csv =
        (fmt == Format::Csv).then(|| stormwatch_report::CsvWriter::from_writer(Vec::new()));
    if let Some(w) = csv.as_mut() {
        w.write_record(render::CSV_HEADER)?;
    }
    // Detections of rules that feed correlations: (input index, file, detection).
    let mut members: Vec<(usize, String, Detection)> = Vec::new();
    let pb = g.progress("detect");
    for (path, display) in files {
        pb.set_message(display.clone());
        let reader: Box<dyn std::io::Read + Send> = if path.as_os_str() == "-" {
            Box::new(std::io::stdin())
        } else {
            match std::fs::File::open(&path) {
                Ok(f) => Box::new(f),
                Err(e) => {
                    errors.push(DetectError {
                        file: display,
                        line: None,
                        position: None,
                        error: format!("cannot read: {e}"),
                    });
                    continue;
                }
            }
        };
        let stdin = path.as_os_str() == "-";
        let file_index = inputs.len();
        let mut sink = |d: &Detection| -> std::io::Result<()> {
            if det.feeds_correlation(d.rule) {
                members.push((file_index, display.clone(), d.clone()));
            }
            if !det.reports(d.rule) {
                return Ok(());
            }
            let lr = &det.rules[d.rule];
            let r = Record {
                rule: lr.rule.id.clone(),
                title: lr.rule.title.clone(),
                level: lr.rule.level.clone(),
                tags: lr.rule.tags.clone(),
                file: display.clone(),
                line: d.line,
                offset: d.offset,
                time: d.time.map(|(s, _)| stormwatch_hunt::time::rfc3339(s)),
                time_inferred: d.time.is_some_and(|(_, i)| i),
                correlation: None,
            };
            account(&mut summary, d.rule, &lr.file, &r);
            if matches!(fmt, Format::Json) {
                all.push(r);
            } else {
                render::write_record(&mut out, csv.as_mut(), fmt, &r)?;
                if stdin {
                    out.flush()?;
                }
            }
            Ok(())
        };
        let res = det.scan(&display, reader, &opts, &mut sink)?;
        if let Some(e) = &res.report.error {
            errors.push(DetectError {
                file: display.clone(),
                line: None,
                position: Some(e.position),
                error: e.error.clone(),
            });
        }
        for e in &res.record_errors {
            errors.push(DetectError {
                file: display.clone(),
                line: Some(e.line),
                position: Some(e.offset),
                error: e.error.clone(),
            });
        }
        if res.record_errors_total > res.record_errors.len() as u64 {
            errors.push(DetectError {
                file: display.clone(),
                line: None,
                position: None,
                error: format!(
                    "{} more records could not be read",
                    res.record_errors_total - res.record_errors.len() as u64
                ),
            });
        }
        for u in &res.unknown_fields {
            let lr = &det.rules[u.rule];
            warnings.push(Warning {
                rule: lr.rule.id.clone(),
                file: display.clone(),
                field: u.field.clone(),
                source: u.source.clone(),
                reason: format!(
                    "rule {:?} reads field {:?}, which {} ({}) does not have: that part of the rule cannot match there",
                    lr.rule.title, u.field, display, u.source
                ),
            });
        }
        inputs.push((res.report, res.records, res.sources.into_iter().collect()));
    }
    pb.finish_and_clear();
    if !det.correlations.is_empty() {
        let dets: Vec<&Detection> = members.iter().map(|(_, _, d)| d).collect();
        let (hits, untimed) = det.correlate(&dets);
        if untimed > 0 {
            g.note(&format!(
                "{untimed} detections of rules that feed correlations had no time and were not correlated"
            ));
        }
        for (ci, h) in hits {
            let c = &det.correlations[ci];
            let corr = &c.loaded.corr;
            let Some(&last) = h.events.last() else {
                continue;
            };
            let (_, file, d) = &members[last];
            let time = d.time.map(|(s, _)| stormwatch_hunt::time::rfc3339(s));
            let events = h
                .events
                .iter()
                .map(|&e| {
                    let (_, f, m) = &members[e];
                    render::CorrelatedEvent {
                        rule: det.rules[m.rule].rule.id.clone(),
                        title: det.rules[m.rule].rule.title.clone(),
                        file: f.clone(),
                        line: m.line,
                        time: m.time.map(|(s, _)| stormwatch_hunt::time::rfc3339(s)),
                    }
                })
                .collect();
            let r = Record {
                rule: corr.id.clone(),
                title: corr.title.clone(),
                level: corr.level.clone(),
                tags: corr.tags.clone(),
                file: file.clone(),
                line: d.line,
                offset: d.offset,
                time,
                time_inferred: h
                    .events
                    .iter()
                    .any(|&e| members[e].2.time.is_some_and(|(_, i)| i)),
                correlation: Some(render::Correlated {
                    kind: corr.kind.name().to_owned(),
                    group: corr.group_by.iter().cloned().zip(h.key.clone()).collect(),
                    count: h.count,
                    timespan_seconds: corr.timespan,
                    events,
                }),
            };
            account(&mut summary, det.rules.len() + ci, &c.loaded.file, &r);
            if matches!(fmt, Format::Json) {
                all.push(r);
            } else {
                render::write_record(&mut out, csv.as_mut(), fmt, &r)?;
            }
        }
    }
    let summary: Vec<RuleSummary> = summary.into_values().collect();
    let total: u64 = summary.iter().map(|s| s.hits).sum();
    let input_info: Vec<InputInfo> = inputs
        .iter()
        .map(|(r, n, s)| InputInfo {
            report: r,
            records: *n,
            sources: s.clone(),
        })
        .collect();
    match fmt {
        Format::Json => stormwatch_report::write_json(
            &mut out,
            &json!({
                "detections": all,
                "summary": summary,
                "rules_skipped": skipped,
                "errors": errors,
                "warnings": warnings,
                "inputs": input_info,
            }),
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
        if let Some(p) = &a.input.summary {
            let doc = json!({"summary": summary, "rules_skipped": skipped, "errors": errors, "warnings": warnings, "inputs": input_info});
            std::fs::write(p, serde_json::to_vec_pretty(&doc)?)
                .with_context(|| format!("--summary {}", p.display()))?;
        }
        let records: u64 = inputs.iter().map(|i| i.1).sum();
        g.note(&format!(
            "{total} detections by {} rules in {} records of {} inputs",
            summary.len(),
            records,
            inputs.len()
        ));
        for l in render::summary_lines(&summary) {
            g.note(&l);
        }
        for s in skipped.iter().take(10) {
            g.note(&format!("skipped rule {}: {}", s.file, s.reason));
        }
        if skipped.len() > 10 {
            g.note(&format!(
                "... and {} more skipped rules (--format json lists them all)",
                skipped.len() - 10
            ));
        }
        for w in warnings.iter().take(10) {
            g.note(&format!("warning: {}", w.reason));
        }
    }
    if a.record && !summary.is_empty() {
        let n = record_sightings(g, &det, &summary, &inputs)?;
        g.note(&format!("recorded {n} sightings in the store"));
    }
    for e in &errors {
        eprintln!(
            "error: {}{}{}: {}",
            e.file,
            e.line.map(|l| format!(":{l}")).unwrap_or_default(),
            match (e.line, e.position) {
                (None, Some(p)) => format!(" at byte {p}"),
                _ => String::new(),
            },
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

/// Adds a reported detection to its rule's summary (`key`: the engine rule index, or
/// rules.len() + the correlation index).
fn account(summary: &mut BTreeMap<usize, RuleSummary>, key: usize, file: &str, r: &Record) {
    let s = summary.entry(key).or_insert_with(|| RuleSummary {
        rule: r.rule.clone(),
        title: r.title.clone(),
        level: r.level.clone(),
        file: file.to_owned(),
        ..Default::default()
    });
    s.hits += 1;
    if let Some(t) = &r.time {
        if s.first_seen.as_ref().is_none_or(|f| t < f) {
            s.first_seen = Some(t.clone());
        }
        if s.last_seen.as_ref().is_none_or(|l| t > l) {
            s.last_seen = Some(t.clone());
        }
    }
}

/// The text of a rule (for the indicator's pattern).
fn rule_text(file: &str) -> Option<String> {
    if let Some(name) = file.strip_prefix("builtin:") {
        return stormwatch_detect::BUILTIN_RULES
            .iter()
            .find(|(f, _)| *f == name)
            .map(|(_, t)| (*t).to_owned());
    }
    std::fs::read_to_string(file).ok()
}

/// One STIX indicator per rule that fired (pattern_type `sigma`, the rule's YAML as the
/// pattern; flow heuristics: pattern_type `stormwatch-flow`, their description) and
/// one sighting of it (count, first/last seen, the inputs' SHA-256 as evidence). Ids
/// derive from the rule and the inputs, so re-running records nothing new.
fn record_sightings(
    g: &Global,
    det: &Detector,
    summary: &[RuleSummary],
    inputs: &[(InputReport, u64, BTreeMap<String, u64>)],
) -> Result<usize> {
    let mut store = g.open_store()?;
    let me = stormwatch_intel::formats::source_identity(
        "Stormwatch detect (this installation)",
        "system",
    );
    let me_id = me["id"].as_str().unwrap_or_default().to_owned();
    let evidence: Vec<String> = inputs
        .iter()
        .map(|(i, _, _)| format!("{} sha256:{}", i.file, i.sha256))
        .collect();
    let now = stormwatch_model::Timestamp::now().to_string();
    let mut objs = vec![me];
    let mut n = 0;
    for s in summary {
        // (id, title, description, tags, pattern type, pattern)
        let rule = det
            .rules
            .iter()
            .position(|r| r.rule.id == s.rule && r.file == s.file)
            .map(|idx| {
                let r = &det.rules[idx].rule;
                let (ptype, pattern) = if det.flow_rule(idx) {
                    ("stormwatch-flow", r.description.clone())
                } else {
                    (
                        "sigma",
                        rule_text(&det.rules[idx].file).unwrap_or_else(|| r.title.clone()),
                    )
                };
                (&r.id, &r.title, &r.description, &r.tags, ptype, pattern)
            })
            .or_else(|| {
                det.correlations
                    .iter()
                    .find(|c| c.loaded.corr.id == s.rule && c.loaded.file == s.file)
                    .map(|c| {
                        let r = &c.loaded.corr;
                        let text = rule_text(&c.loaded.file).unwrap_or_else(|| r.title.clone());
                        (&r.id, &r.title, &r.description, &r.tags, "sigma", text)
                    })
            });
        let Some((rid, rtitle, rdesc, rtags, ptype, pattern)) = rule else {
            continue;
        };
        let ind_id = stormwatch_model::deterministic_id(
            "Stormwatch detect",
            "indicator",
            &format!("{}|{}", rid, rtitle),
        );
        let ind = json!({
            "type": "indicator", "spec_version": "2.1", "id": ind_id,
            "created": now, "modified": now, "created_by_ref": me_id,
            "name": rtitle, "description": rdesc,
            "indicator_types": ["anomalous-activity"],
            "pattern_type": ptype, "pattern": pattern, "valid_from": now,
            "labels": rtags,
            "external_references": [{"source_name": "sigma", "external_id": rid}],
        });
        let key = format!("{}|{}", ind_id, evidence.join(","));
        let mut o = json!({
            "type": "sighting", "spec_version": "2.1",
            "id": stormwatch_model::deterministic_id("Stormwatch detect", "sighting", &key),
            "created": now, "modified": now,
            "sighting_of_ref": ind_id, "count": s.hits.min(999_999_999),
            "where_sighted_refs": [me_id], "created_by_ref": me_id,
            "description": format!("stormwatch detect: {} detections of {:?} ({}). Inputs: {}", s.hits, rtitle, rid, evidence.join("; ")),
        });
        if let (Some(f), Some(l)) = (&s.first_seen, &s.last_seen) {
            o["first_seen"] = json!(f);
            o["last_seen"] = json!(l);
        }
        for v in [ind, o] {
            if let Value::Object(m) = v {
                objs.push(m);
            }
        }
        n += 1;
    }
    stormwatch_intel::write_objects(store.as_mut(), objs).map_err(anyhow::Error::msg)?;
    Ok(n)
}
