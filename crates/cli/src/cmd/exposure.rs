//! `stormwatch exposure`: which advisory CVEs apply to a fleet, most urgent first.

use anyhow::{Context, Result};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;

use crate::global::{self, Exit, Global};
use stormwatch_audit::exposure::{self, DeviceRecord, Kev};
use stormwatch_audit::FileError;
use stormwatch_report::Format;

/// Report the advisory's CVEs (and KEV entries) that apply to devices.
///
/// Inputs: an inventory (CSV with columns host, vendor, product, version, or JSON: an
/// array of such objects or {"devices": [...]}), `show version` captures, or device
/// configurations (their version line; a `version 17.3` line gives only the release
/// train, reported as "possibly affected"). KEV due dates come from the store's KEV
/// vulnerability objects (`stormwatch import known_exploited_vulnerabilities.json`) or
/// --kev FILE. Exit 0 nothing applies, 1 exposures found, 2 when an input failed.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Inventory files, `show version` captures or configurations (files or directories)
    #[arg(required = true, value_name = "INVENTORY")]
    pub paths: Vec<PathBuf>,
    /// CISA KEV catalog (JSON or CSV) to read due dates from, besides the store
    #[arg(long, value_name = "FILE")]
    pub kev: Vec<PathBuf>,
}

fn kev_from_csv(text: &str) -> HashMap<String, Kev> {
    let mut m = HashMap::new();
    let mut r = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let Ok(h) = r.headers().cloned() else {
        return m;
    };
    let col = |n: &str| h.iter().position(|x| x == n);
    let (c, d, a) = (col("cveID"), col("dueDate"), col("dateAdded"));
    let Some(c) = c else { return m };
    for row in r.records().flatten() {
        if let Some(id) = row.get(c) {
            m.insert(
                id.to_owned(),
                Kev {
                    due_date: d.and_then(|i| row.get(i)).map(str::to_owned),
                    date_added: a.and_then(|i| row.get(i)).map(str::to_owned),
                },
            );
        }
    }
    m
}

fn load_kev(g: &Global, files: &[PathBuf]) -> Result<(HashMap<String, Kev>, String)> {
    let mut m: HashMap<String, Kev> = HashMap::new();
    let mut from = Vec::new();
    if let Ok(store) = g.open_store() {
        let mut n = 0;
        for o in store.objects_of_type(&["vulnerability"])? {
            let Ok(v) = o.value() else { continue };
            let x = &v["x_kev"];
            if let Some(id) = x["cveID"].as_str() {
                m.insert(
                    id.to_owned(),
                    Kev {
                        due_date: x["dueDate"].as_str().map(str::to_owned),
                        date_added: x["dateAdded"].as_str().map(str::to_owned),
                    },
                );
                n += 1;
            }
        }
        if n > 0 {
            from.push(format!("{n} KEV entries from the store"));
        }
    }
    for f in files {
        let text = std::fs::read_to_string(f).with_context(|| format!("--kev {}", f.display()))?;
        let got = if text.trim_start().starts_with('{') {
            let v: Value = serde_json::from_str(&text)
                .with_context(|| format!("--kev {}: not JSON", f.display()))?;
            exposure::kev_from_catalog(&v)
        } else {
            kev_from_csv(&text)
        };
        if got.is_empty() {
            anyhow::bail!("--kev {}: no KEV entries found (expected the CISA catalog JSON or CSV with cveID and dueDate)", f.display());
        }
        from.push(format!("{} KEV entries from {}", got.len(), f.display()));
        m.extend(got);
    }
    Ok((m, from.join(", ")))
}

/// Reads one input into device records.
fn records(path: &std::path::Path, display: &str) -> Result<Vec<DeviceRecord>, String> {
    let bytes = super::audit::read_limited(path, 256 << 20)?;
    let t = String::from_utf8_lossy(&bytes);
    let trimmed = t.trim_start();
    if trimmed.is_empty() {
        return Err("empty file".into());
    }
    if trimmed.starts_with('[') || trimmed.starts_with('{') {
        return exposure::from_inventory(display, &t);
    }
    let first = trimmed.lines().next().unwrap_or("").to_ascii_lowercase();
    if first.contains(',') && first.contains("version") {
        return exposure::from_inventory(display, &t);
    }
    if let Some(d) = exposure::from_show_version(display, &t) {
        return Ok(vec![d]);
    }
    match stormwatch_audit::prepare(&bytes, 256 << 20) {
        Ok(p) => {
            let cfg = stormwatch_audit::Config::parse(&p.text, p.dialect);
            let dev = stormwatch_audit::model::Device::build(&cfg);
            Ok(vec![exposure::from_config(display, &cfg, &dev)])
        }
        Err(e) => Err(format!("not an inventory (CSV/JSON with host, vendor, product, version), a `show version` capture or a supported configuration: {e}")),
    }
}

pub fn run(g: &Global, a: &Args) -> Result<Exit> {
    let (kev, kev_from) = load_kev(g, &a.kev)?;
    if kev.is_empty() {
        g.note("note: no KEV data in the store or --kev; due dates are unknown (import ../shared/data/kev/known_exploited_vulnerabilities.json or pass --kev FILE)");
    }
    let mut errors = Vec::new();
    let files = super::audit::collect_files(&a.paths, &mut errors);
    let mut devices = Vec::new();
    for (p, d) in &files {
        match records(p, d) {
            Ok(rs) => devices.extend(rs),
            Err(e) => errors.push(FileError {
                file: d.clone(),
                error: e,
            }),
        }
    }
    for d in &mut devices {
        exposure::assess(d, &kev);
        if d.version.is_none() {
            g.note(&format!(
                "note: {} ({}{}): no version known; nothing can be assessed",
                d.host.as_deref().unwrap_or("?"),
                d.source,
                if d.line > 1 {
                    format!(" line {}", d.line)
                } else {
                    String::new()
                }
            ));
        }
    }
    // Exposed: a CVE applies by version (affected / likely) or a possibly affected
    // version runs the vulnerable feature. Possibly exposed: only "possible" entries.
    let firm =
        |e: &exposure::Exposure| e.confidence != "possible" || e.feature_enabled == Some(true);
    let exposed = devices
        .iter()
        .filter(|d| d.exposures.iter().any(firm))
        .count();
    let possibly = devices
        .iter()
        .filter(|d| !d.exposures.is_empty() && !d.exposures.iter().any(firm))
        .count();
    let summary =
        json!({"devices": devices.len(), "exposed": exposed, "possibly_exposed": possibly});
    let doc = stormwatch_report::audit::ExposureDoc {
        devices: &devices,
        summary,
        errors: &errors,
        kev: &kev_from,
    };
    let mut out = global::stdout();
    match g.format {
        Format::Json => stormwatch_report::write_json(&mut out, &doc)?,
        Format::Jsonl => stormwatch_report::write_jsonl(&mut out, &devices)?,
        Format::Csv => stormwatch_report::audit::write_exposure_csv(&mut out, &devices)?,
        _ => stormwatch_report::audit::write_exposure_text(&mut out, &doc)?,
    }
    out.flush()?;
    if g.format == Format::Jsonl || g.format == Format::Csv {
        g.note(&format!("{exposed} of {} devices exposed", devices.len()));
    }
    for e in &errors {
        eprintln!("error: {}: {}", e.file, e.error);
    }
    Ok(if !errors.is_empty() {
        Exit::Failed
    } else if exposed + possibly > 0 {
        Exit::Findings
    } else {
        Exit::Clean
    })
}
