//! `stormwatch hunt`: sweep logs, flows and packet captures for indicators.

use anyhow::{Context, Result};
use rayon::prelude::*;
use serde_json::Value;
use std::io::Write;
use std::path::PathBuf;

use crate::global::{self, Exit, Global};
use stormwatch_hunt::document::{HuntDoc, HuntError, Summaries, Summary, CAVEAT};
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
    #[command(flatten)]
    pub input: crate::inputs::InputArgs,
    /// Indicator file (repeatable)
    #[arg(long, value_name = "FILE")]
    pub iocs: Vec<PathBuf>,
    /// Known-good values never to report (one value per line, defanged allowed, CIDR allowed)
    #[arg(long, value_name = "FILE")]
    pub allow: Vec<PathBuf>,
    /// Report a match only when the record's time is inside the indicator's valid_from/valid_until
    #[arg(long)]
    pub respect_validity: bool,
    /// Record a STIX sighting per matched indicator in the store (count, first/last seen)
    #[arg(long)]
    pub record: bool,
    /// Do not compute the SHA-256 of each input (it is one serial chain per input and
    /// caps the speed of a single big file at about 1.2 GB/s); `sha256` is then null
    #[arg(long)]
    pub no_hash: bool,
}

/// Files up to this size are swept several at once (one per core), not split.
const SMALL_FILE: u64 = 8 << 20;
/// At most this many small files are swept (and their records held) at once.
const SMALL_GROUP: usize = 64;

/// A small file's records and report, or why it could not be read.
type Swept = std::io::Result<(Vec<Match>, InputReport)>;

/// Keeps an input's report, and its error among the errors.
fn report_input(errors: &mut Vec<HuntError>, inputs: &mut Vec<InputReport>, rep: InputReport) {
    if let Some(e) = &rep.error {
        errors.push(HuntError {
            file: rep.file.clone(),
            position: Some(e.position),
            error: e.error.clone(),
        });
    }
    inputs.push(rep);
}

pub fn run(g: &Global, a: &Args) -> Result<Exit> {
    let started = std::time::Instant::now();
    let loaded = crate::indicators::load(g, &a.iocs)?;
    let info = loaded.info;
    let built_unsweepable = loaded.built.unsweepable;
    let mut set = loaded.built.set;
    crate::indicators::add_allow_lists(&mut set, &a.allow)?;
    let opts = sweep::Options {
        respect_validity: a.respect_validity,
        year: a.input.year(),
        max_line: a.input.max_line_bytes,
        ..Default::default()
    };
    let load_time = started.elapsed();
    let (files, walk_errors) = a.input.collect()?;
    let sweep_started = std::time::Instant::now();
    let mut errors: Vec<HuntError> = walk_errors
        .into_iter()
        .map(|(file, error)| HuntError {
            file,
            position: None,
            error,
        })
        .collect();
    // Progress: bytes read of all inputs (compressed inputs count as stored), with the
    // rate; drawn only on a terminal.
    let meta: Vec<Option<std::fs::Metadata>> = files
        .iter()
        .map(|(p, _)| (p.as_os_str() != "-").then(|| std::fs::metadata(p).ok())?)
        .collect();
    let total_bytes: u64 = meta.iter().flatten().map(|m| m.len()).sum();
    let pb = g.progress("hunt");
    global::stage(&pb, "sweep", Some(total_bytes), true);

    let fmt = g.format;
    let mut out = global::stdout();
    let mut all: Vec<Match> = Vec::new();
    let mut summary = Summaries::default();
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
    let file_opts = sweep::Options {
        hash: !a.no_hash,
        ..opts
    };
    let mut write = |m: &Match, live: bool| -> std::io::Result<()> {
        summary.add(m);
        match fmt {
            Format::Jsonl => {
                serde_json::to_writer(&mut out, m)?;
                out.write_all(b"\n")?;
                if live {
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
                if live {
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
            Format::Json
            | Format::Navigator
            | Format::Sarif
            | Format::Md
            | Format::Html
            | Format::Svg => all.push(m.clone()),
        }
        Ok(())
    };
    // Small regular files are swept several at once, one per core, each one's
    // records held until those of the files before it are written; a big file, or
    // stdin, is swept by all cores itself (line-aligned chunks).
    let small: Vec<bool> = meta
        .iter()
        .map(|m| {
            m.as_ref()
                .is_some_and(|m| m.is_file() && m.len() <= SMALL_FILE)
        })
        .collect();
    let mut k = 0;
    while let Some((path, display)) = files.get(k) {
        let group = small[k..]
            .iter()
            .take(SMALL_GROUP)
            .take_while(|&&s| s)
            .count();
        if group > 0 {
            let swept: Vec<(String, Swept)> = files[k..k + group]
                .par_iter()
                .map(|(path, display)| {
                    let res = std::fs::File::open(path).and_then(|f| {
                        let mut found = Vec::new();
                        let rep = sweep::sweep_file(
                            &set,
                            display,
                            &f,
                            &file_opts,
                            &mut |m: &Match| {
                                found.push(m.clone());
                                Ok(())
                            },
                            &|n| pb.inc(n),
                        )?;
                        Ok((found, rep))
                    });
                    (display.clone(), res)
                })
                .collect();
            for (display, res) in swept {
                match res {
                    Ok((found, rep)) => {
                        for m in &found {
                            write(m, false)?;
                        }
                        report_input(&mut errors, &mut inputs, rep);
                    }
                    Err(e) => errors.push(HuntError {
                        file: display,
                        position: None,
                        error: format!("cannot read: {e}"),
                    }),
                }
            }
            k += group;
            continue;
        }
        k += 1;
        let live = path.as_os_str() == "-";
        let rep = if live {
            let opts = sweep::Options { live, ..file_opts };
            sweep::sweep(&set, display, std::io::stdin(), &opts, &mut |m: &Match| {
                write(m, true)
            })?
        } else {
            match std::fs::File::open(path) {
                Ok(f) => sweep::sweep_file(
                    &set,
                    display,
                    &f,
                    &file_opts,
                    &mut |m: &Match| write(m, false),
                    &|n| pb.inc(n),
                )?,
                Err(e) => {
                    errors.push(HuntError {
                        file: display.clone(),
                        position: None,
                        error: format!("cannot read: {e}"),
                    });
                    continue;
                }
            }
        };
        report_input(&mut errors, &mut inputs, rep);
    }
    pb.finish_and_clear();
    let sweep_time = sweep_started.elapsed();
    let summary: Vec<Summary> = summary.into_vec();
    let total: u64 = summary.iter().map(|s| s.hits).sum();
    match fmt {
        Format::Json
        | Format::Navigator
        | Format::Sarif
        | Format::Md
        | Format::Html
        | Format::Svg => stormwatch_report::write_json(
            &mut out,
            &HuntDoc {
                matches: all,
                summary: summary.clone(),
                inputs: inputs.clone(),
                errors: errors.clone(),
                unsweepable: built_unsweepable.clone(),
                indicators: info.clone(),
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
        let doc = serde_json::json!({"summary": summary, "inputs": inputs, "errors": errors, "unsweepable": built_unsweepable, "indicators": info, "caveat": CAVEAT});
        if let Some(p) = &a.input.summary {
            std::fs::write(p, serde_json::to_vec_pretty(&doc)?)
                .with_context(|| format!("--summary {}", p.display()))?;
        }
        let bytes: u64 = inputs.iter().map(|i| i.bytes).sum();
        let secs = sweep_time.as_secs_f64();
        g.note(&format!(
            "{total} matches of {} indicators in {} inputs ({} bytes), swept in {secs:.3} s \
             ({:.0} MB/s; indicators loaded in {:.3} s); {}",
            summary.len(),
            inputs.len(),
            bytes,
            bytes as f64 / 1e6 / secs.max(1e-9),
            load_time.as_secs_f64(),
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
        let n = record_sightings(g, &summary, &inputs, !a.no_hash)?;
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
fn record_sightings(
    g: &Global,
    summary: &[Summary],
    inputs: &[InputReport],
    hashed: bool,
) -> Result<usize> {
    let mut store = g.open_store()?;
    let me =
        stormwatch_intel::formats::source_identity("Stormwatch hunt (this installation)", "system");
    let me_id = me["id"].as_str().unwrap_or_default().to_owned();
    let evidence: Vec<String> = inputs
        .iter()
        .map(|i| {
            if i.sha256.is_empty() {
                let why = if hashed {
                    "the input failed; see its error"
                } else {
                    "--no-hash"
                };
                format!("{} (sha256 not computed: {why})", i.file)
            } else {
                format!("{} sha256:{}", i.file, i.sha256)
            }
        })
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
