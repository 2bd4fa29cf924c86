//! Stormwatch's network-device configuration audit.
//!
//! Owns the configuration parsers (Cisco IOS / IOS XE, NX-OS, IOS XR, ASA; Juniper
//! Junos in curly-brace and `display set` form, recognised by content), the small
//! device model built from them, the checks for the AA25-239A hunting guidance (rules
//! as data in [`rules`], documented where declared), drift against a baseline, and CVE
//! exposure from versions and inventories. Takes bytes and an indicator set, returns
//! plain data; it never prints, reads a store or decides an exit code.

pub mod checks;
pub mod detect;
pub mod drift;
pub mod exposure;
pub mod model;
pub mod parse;
pub mod redact;
pub mod rules;

use serde::Serialize;
use stormwatch_hunt::iocs::IocSet;

pub use parse::{Config, Dialect};
pub use rules::{Rule, Severity, RULES};

/// The largest configuration audited (bigger inputs are an error, not a slow run).
pub const DEFAULT_MAX_BYTES: u64 = 64 << 20;

/// One finding, as in docs/CLI.md (`audit`).
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub name: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    pub technique: &'static str,
    pub file: String,
    /// 1-based.
    pub line: u32,
    pub message: String,
    pub remediation: &'static str,
    pub baseline_file: Option<String>,
    pub baseline_line: Option<u32>,
    pub vendor: &'static str,
    pub hostname: Option<String>,
    pub guidance: &'static str,
}

impl Finding {
    pub fn from_hit(
        h: &checks::Hit,
        file: &str,
        dialect: Dialect,
        hostname: Option<&str>,
    ) -> Finding {
        let r = rules::rule(h.rule);
        Finding {
            rule: r.id,
            name: r.name,
            title: r.title,
            severity: h.severity.unwrap_or(r.severity),
            technique: h.technique.unwrap_or(r.technique),
            file: file.to_owned(),
            line: h.line.max(1),
            message: h.message.clone(),
            remediation: r.remediation,
            baseline_file: None,
            baseline_line: None,
            vendor: dialect.name(),
            hostname: hostname.map(str::to_owned),
            guidance: r.guidance,
        }
    }
}

/// A file that is not a supported configuration.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Skipped {
    pub file: String,
    pub reason: String,
}

/// A file that could not be audited.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FileError {
    pub file: String,
    pub error: String,
}

/// Why a file was not turned into text to parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejected {
    /// Not a supported vendor (goes to `skipped`).
    #[error("{0}")]
    Skip(String),
    /// Unreadable, binary, empty or oversized (goes to `errors`).
    #[error("{0}")]
    Error(String),
}

/// A configuration's text and dialect, ready to parse.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub text: String,
    pub dialect: Dialect,
    /// Set when invalid UTF-8 was replaced.
    pub lossy: bool,
}

/// Decodes and recognises a file's bytes.
pub fn prepare(bytes: &[u8], max_bytes: u64) -> Result<Prepared, Rejected> {
    if bytes.len() as u64 > max_bytes {
        return Err(Rejected::Error(format!(
            "{} bytes is over the limit of {max_bytes} bytes for one configuration (raise it with --max-bytes)",
            bytes.len()
        )));
    }
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(Rejected::Error(
            "empty file (no configuration lines)".into(),
        ));
    }
    let utf16 = utf16_text(bytes);
    let bytes = utf16.as_ref().map_or(bytes, |s| s.as_bytes());
    let head = &bytes[..bytes.len().min(8192)];
    if memchr::memchr(0, head).is_some() {
        return Err(Rejected::Error(
            "binary file (NUL bytes), not a text configuration; if it is compressed, decompress it first".into(),
        ));
    }
    let (text, lossy) = match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_owned(), false),
        Err(_) => {
            let s = String::from_utf8_lossy(bytes).into_owned();
            // Mostly undecodable: binary.
            let bad = s.chars().filter(|c| *c == '\u{FFFD}').count();
            if bad * 20 > s.len().max(1) {
                return Err(Rejected::Error(
                    "binary file (not UTF-8 text), not a configuration".into(),
                ));
            }
            (s, true)
        }
    };
    let dialect = detect::detect(&text).map_err(Rejected::Skip)?;
    Ok(Prepared {
        text,
        dialect,
        lossy,
    })
}

/// UTF-16 text (with a byte-order mark, or ASCII with every other byte NUL), decoded.
fn utf16_text(b: &[u8]) -> Option<String> {
    let (le, body) = match b {
        [0xFF, 0xFE, rest @ ..] => (true, rest),
        [0xFE, 0xFF, rest @ ..] => (false, rest),
        _ => {
            let n = b.len().min(256) & !1;
            if n < 4 {
                return None;
            }
            let odd_nul = (0..n).step_by(2).all(|i| b[i] != 0 && b[i + 1] == 0);
            let even_nul = (0..n).step_by(2).all(|i| b[i] == 0 && b[i + 1] != 0);
            if !odd_nul && !even_nul {
                return None;
            }
            (odd_nul, b)
        }
    };
    let units: Vec<u16> = body
        .chunks_exact(2)
        .map(|c| {
            if le {
                u16::from_le_bytes([c[0], c[1]])
            } else {
                u16::from_be_bytes([c[0], c[1]])
            }
        })
        .collect();
    Some(String::from_utf16_lossy(&units))
}

/// The result of auditing one file.
#[derive(Debug, Clone, Serialize)]
pub struct FileAudit {
    pub file: String,
    pub vendor: &'static str,
    pub hostname: Option<String>,
    pub lines: usize,
    pub findings: Vec<Finding>,
    pub warnings: Vec<String>,
}

/// Audit options.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Keep secrets in messages (`--show-secrets`).
    pub show_secrets: bool,
}

/// The checks' hits on a parsed configuration.
pub fn hits(cfg: &Config, iocs: &IocSet, opts: Options) -> (model::Device, Vec<checks::Hit>) {
    let dev = model::Device::build(cfg);
    let mut hits = checks::run(cfg, &dev, iocs, opts.show_secrets);
    hits.extend(exposure::config_hits(cfg, &dev));
    hits.sort_by(|a, b| a.line.cmp(&b.line).then(a.rule.cmp(b.rule)));
    (dev, hits)
}

/// Audits a parsed configuration.
pub fn audit_config(file: &str, cfg: &Config, iocs: &IocSet, opts: Options) -> FileAudit {
    let (dev, hits) = hits(cfg, iocs, opts);
    audit_from_hits(file, cfg, &dev, &hits)
}

/// The file result for hits already computed.
pub fn audit_from_hits(
    file: &str,
    cfg: &Config,
    dev: &model::Device,
    hits: &[checks::Hit],
) -> FileAudit {
    let host = dev.hostname.as_deref();
    FileAudit {
        file: file.to_owned(),
        vendor: cfg.dialect.name(),
        hostname: dev.hostname.clone(),
        lines: cfg.lines.len(),
        findings: hits
            .iter()
            .map(|h| Finding::from_hit(h, file, cfg.dialect, host))
            .collect(),
        warnings: cfg.warnings.clone(),
    }
}

/// Audits one file's bytes: `Ok` with findings, or why it was skipped or failed.
pub fn audit_bytes(
    file: &str,
    bytes: &[u8],
    iocs: &IocSet,
    max_bytes: u64,
    opts: Options,
) -> Result<FileAudit, Rejected> {
    let p = prepare(bytes, max_bytes)?;
    let cfg = Config::parse(&p.text, p.dialect);
    let mut a = audit_config(file, &cfg, iocs, opts);
    if p.lossy {
        a.warnings.push("invalid UTF-8 replaced by U+FFFD".into());
    }
    Ok(a)
}

/// An approved configuration that audited files are compared with (`--baseline`).
#[derive(Debug, Clone)]
pub struct Baseline {
    /// The name shown as `baseline_file`.
    pub file: String,
    pub prepared: Prepared,
}

/// Which baseline an audited file is compared with, chosen once its hostname is known.
#[derive(Debug, Clone, Copy)]
pub enum BaselinePick<'b> {
    /// No baseline was asked for.
    None,
    /// Baselines were given, none matches this file (a note says so).
    Unmatched,
    /// Compare with this one.
    Use(&'b Baseline),
}

/// What auditing one file gave: findings with the file's summary (the `files[]`
/// record of the json document) and a note for stderr, or why it was skipped or
/// failed.
#[derive(Debug, Clone)]
pub enum Outcome {
    Audited {
        findings: Vec<Finding>,
        file: serde_json::Value,
        note: Option<String>,
    },
    Skipped(Skipped),
    Error(FileError),
}

/// Audits one configuration's bytes, named `display`, as `stormwatch audit` does
/// (shared by the CLI and the server's `POST /api/audit`): dialect by content,
/// the checks, address checks against `iocs`, and drift against the baseline that
/// `pick` chooses from the file's hostname. Secrets are redacted unless
/// `opts.show_secrets`.
pub fn audit_file<'b>(
    display: &str,
    bytes: &[u8],
    iocs: &IocSet,
    max_bytes: u64,
    opts: Options,
    pick: impl FnOnce(Option<&str>) -> BaselinePick<'b>,
) -> Outcome {
    let p = match prepare(bytes, max_bytes) {
        Ok(p) => p,
        Err(Rejected::Skip(reason)) => {
            return Outcome::Skipped(Skipped {
                file: display.to_owned(),
                reason,
            })
        }
        Err(Rejected::Error(error)) => {
            return Outcome::Error(FileError {
                file: display.to_owned(),
                error,
            })
        }
    };
    let cfg = Config::parse(&p.text, p.dialect);
    let (dev, hits) = hits(&cfg, iocs, opts);
    let audit = audit_from_hits(display, &cfg, &dev, &hits);
    let mut findings = audit.findings;
    let mut note = None;
    let mut baseline_used = serde_json::Value::Null;
    match pick(dev.hostname.as_deref()) {
        BaselinePick::None => {}
        BaselinePick::Use(b) => {
            let base = Config::parse(&b.prepared.text, b.prepared.dialect);
            baseline_used = serde_json::json!(b.file);
            if base.dialect.is_junos() != cfg.dialect.is_junos() {
                note = Some(format!(
                    "note: {display}: baseline {} is another vendor ({}); no drift computed",
                    b.file,
                    base.dialect.name()
                ));
            } else {
                for c in drift::diff(&cfg, &base, &hits, opts.show_secrets) {
                    let mut f =
                        Finding::from_hit(&c.hit, display, cfg.dialect, dev.hostname.as_deref());
                    f.baseline_file = Some(b.file.clone());
                    f.baseline_line = c.baseline_line;
                    findings.push(f);
                }
                findings.sort_by_key(|f| f.line);
            }
        }
        BaselinePick::Unmatched => {
            note = Some(format!(
                "note: {display}: no baseline with hostname {} or the same file name; drift not computed",
                dev.hostname.as_deref().unwrap_or("(none)")
            ));
        }
    }
    let file = serde_json::json!({
        "file": display,
        "vendor": audit.vendor,
        "hostname": audit.hostname,
        "lines": audit.lines,
        "findings": findings.len(),
        "warnings": audit.warnings,
        "baseline": baseline_used,
    });
    Outcome::Audited {
        findings,
        file,
        note,
    }
}
