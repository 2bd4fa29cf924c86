//! `stormwatch audit`: audit network-device configurations for the advisory's
//! tradecraft, weak settings and drift against a baseline.

use anyhow::{bail, Result};
use rayon::prelude::*;
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::global::{self, Exit, Global};
use stormwatch_audit::{Baseline, BaselinePick, FileError, Finding, Options, Outcome};
use stormwatch_report::audit::AuditDoc;
use stormwatch_report::Format;

/// Audit router, switch and firewall configurations.
///
/// Dialects (recognised by content): Cisco IOS / IOS XE, NX-OS, IOS XR, ASA; Juniper
/// Junos in curly-brace and `display set` form. Other vendors are listed as skipped.
/// Checks the AA25-239A hunting guidance (see --explain RULE), addresses against the
/// indicators (store + --iocs, else the built-in pack's), and with --baseline the drift
/// against an approved configuration. Secrets are redacted unless --show-secrets.
/// Exit 0 clean, 1 findings of severity low or above, 2 when an input failed.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Configuration files or directories ("-" reads stdin)
    #[arg(value_name = "PATH", required_unless_present = "explain")]
    pub paths: Vec<PathBuf>,
    /// Indicator file (repeatable)
    #[arg(long, value_name = "FILE")]
    pub iocs: Vec<PathBuf>,
    /// Approved configuration: a file, or a directory whose files are matched by hostname
    #[arg(long, value_name = "PATH")]
    pub baseline: Option<PathBuf>,
    /// Print a rule's documentation (id such as AUD030 or name such as web-ui-enabled) and exit
    #[arg(long, value_name = "RULE")]
    pub explain: Option<String>,
    /// Print secrets (passwords, keys, communities) instead of <redacted>
    #[arg(long)]
    pub show_secrets: bool,
    /// Largest configuration read; bigger files are reported as errors
    #[arg(long, value_name = "BYTES", default_value_t = stormwatch_audit::DEFAULT_MAX_BYTES)]
    pub max_bytes: u64,
}

/// The files under the given paths, in order; walk errors are reported.
pub fn collect_files(paths: &[PathBuf], errors: &mut Vec<FileError>) -> Vec<(PathBuf, String)> {
    let (files, walk_errors) = crate::inputs::collect(paths, &Default::default());
    errors.extend(
        walk_errors
            .into_iter()
            .map(|(file, error)| FileError { file, error }),
    );
    files
}

/// Reads a file with a size limit, without reading giant files whole.
pub fn read_limited(path: &Path, max: u64) -> Result<Vec<u8>, String> {
    use std::io::Read;
    if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .lock()
            .take(max + 1)
            .read_to_end(&mut buf)
            .map_err(|e| format!("cannot read stdin: {e}"))?;
        return Ok(buf);
    }
    let f = std::fs::File::open(path).map_err(|e| format!("cannot read: {e}"))?;
    if let Ok(m) = f.metadata() {
        if m.len() > max {
            return Err(format!(
                "{} bytes is over the limit of {max} bytes for one configuration (raise it with --max-bytes)",
                m.len()
            ));
        }
    }
    let mut buf = Vec::new();
    f.take(max + 1)
        .read_to_end(&mut buf)
        .map_err(|e| format!("cannot read: {e}"))?;
    Ok(buf)
}

/// Baselines: lower-case hostname and file name -> index in the list.
type Baselines = (
    HashMap<String, usize>,
    HashMap<String, usize>,
    Vec<Baseline>,
);

/// Baselines by hostname (and by file name as a fallback).
fn load_baselines(path: &Path, max: u64) -> Result<Baselines> {
    let mut errs = Vec::new();
    let files = collect_files(&[path.to_path_buf()], &mut errs);
    if let Some(e) = errs.first() {
        bail!("--baseline {}: {}", e.file, e.error);
    }
    let mut by_host = HashMap::new();
    let mut by_name = HashMap::new();
    let mut list = Vec::new();
    for (p, d) in files {
        let bytes = read_limited(&p, max).map_err(|e| anyhow::anyhow!("--baseline {d}: {e}"))?;
        let prepared = match stormwatch_audit::prepare(&bytes, max) {
            Ok(x) => x,
            Err(e) if path.is_dir() => {
                let _ = e;
                continue;
            }
            Err(e) => bail!(
                "--baseline {d}: {e}; give an IOS/IOS XE/NX-OS/IOS XR/ASA or Junos configuration"
            ),
        };
        let cfg = stormwatch_audit::Config::parse(&prepared.text, prepared.dialect);
        if let Some(h) = cfg.hostname() {
            by_host.insert(h.to_ascii_lowercase(), list.len());
        }
        if let Some(n) = p.file_name() {
            by_name.insert(n.to_string_lossy().into_owned(), list.len());
        }
        list.push(Baseline { file: d, prepared });
    }
    if list.is_empty() {
        bail!("--baseline {}: no configuration found", path.display());
    }
    Ok((by_host, by_name, list))
}

pub fn run(g: &Global, a: &Args) -> Result<Exit> {
    let fmt = g.format;
    let mut out = global::stdout();
    if let Some(q) = &a.explain {
        let Some(r) = stormwatch_audit::rules::find(q) else {
            let ids: Vec<String> = stormwatch_audit::RULES
                .iter()
                .map(|r| format!("{} {}", r.id, r.name))
                .collect();
            bail!("no rule {q:?}; rules are: {}", ids.join(", "));
        };
        stormwatch_report::audit::write_explain(&mut out, r, fmt == Format::Json)?;
        out.flush()?;
        return Ok(Exit::Clean);
    }
    let loaded = crate::indicators::load(g, &a.iocs)?;
    let info = serde_json::to_value(&loaded.info)?;
    let set = loaded.built.set;
    let baselines = match &a.baseline {
        Some(p) => Some(load_baselines(p, a.max_bytes)?),
        None => None,
    };
    let mut errors = Vec::new();
    let files = collect_files(&a.paths, &mut errors);
    let opts = Options {
        show_secrets: a.show_secrets,
    };
    let single_baseline = a.baseline.as_ref().is_some_and(|p| !p.is_dir());
    let pb = g.progress("audit");
    global::stage(&pb, "configs", Some(files.len() as u64), false);
    let outcomes: Vec<Outcome> = files
        .par_iter()
        .map(|(path, display)| {
            let r = audit_one(
                path,
                display,
                &set,
                a.max_bytes,
                opts,
                baselines.as_ref(),
                single_baseline,
            );
            pb.inc(1);
            r
        })
        .collect();
    pb.finish_and_clear();
    let mut findings: Vec<Finding> = Vec::new();
    let mut skipped = Vec::new();
    let mut files_meta = Vec::new();
    let mut notes = Vec::new();
    for o in outcomes {
        match o {
            Outcome::Audited {
                findings: f,
                file,
                note,
            } => {
                findings.extend(f);
                files_meta.push(file);
                notes.extend(note);
            }
            Outcome::Skipped(s) => skipped.push(s),
            Outcome::Error(e) => errors.push(e),
        }
    }
    let doc = AuditDoc {
        findings: &findings,
        skipped: &skipped,
        errors: &errors,
        files: &files_meta,
        indicators: &info,
    };
    match fmt {
        Format::Json => stormwatch_report::write_json(&mut out, &doc)?,
        Format::Jsonl => stormwatch_report::write_jsonl(&mut out, &findings)?,
        Format::Csv => stormwatch_report::audit::write_csv(&mut out, &findings)?,
        Format::Sarif => stormwatch_report::write_json(
            &mut out,
            &stormwatch_report::audit::sarif(&doc, env!("CARGO_PKG_VERSION")),
        )?,
        _ => stormwatch_report::audit::write_text(&mut out, &doc)?,
    }
    out.flush()?;
    for n in &notes {
        g.note(n);
    }
    if fmt != Format::Json && fmt != Format::Sarif {
        for s in &skipped {
            g.note(&format!("skipped {}: {}", s.file, s.reason));
        }
        g.note(&stormwatch_report::audit::summary_line(&doc));
    }
    for e in &errors {
        eprintln!("error: {}: {}", e.file, e.error);
    }
    Ok(if !errors.is_empty() {
        Exit::Failed
    } else if findings.iter().any(|f| f.severity.counts()) {
        Exit::Findings
    } else {
        Exit::Clean
    })
}

fn audit_one(
    path: &Path,
    display: &str,
    set: &stormwatch_hunt::iocs::IocSet,
    max: u64,
    opts: Options,
    baselines: Option<&Baselines>,
    single_baseline: bool,
) -> Outcome {
    let bytes = match read_limited(path, max) {
        Ok(b) => b,
        Err(e) => {
            return Outcome::Error(FileError {
                file: display.to_owned(),
                error: e,
            })
        }
    };
    stormwatch_audit::audit_file(display, &bytes, set, max, opts, |hostname| {
        let Some((by_host, by_name, list)) = baselines else {
            return BaselinePick::None;
        };
        let idx = if single_baseline {
            Some(0)
        } else {
            hostname
                .and_then(|h| by_host.get(&h.to_ascii_lowercase()))
                .or_else(|| {
                    path.file_name()
                        .and_then(|n| by_name.get(&*n.to_string_lossy()))
                })
                .copied()
        };
        match idx.and_then(|i| list.get(i)) {
            Some(b) => BaselinePick::Use(b),
            None => BaselinePick::Unmatched,
        }
    })
}
