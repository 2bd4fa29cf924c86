//! Rendering of `audit` and `exposure` results: grouped text, JSON, JSON lines, CSV
//! and SARIF 2.1.0 (docs/CLI.md, `audit`, `exposure`).

use serde::Serialize;
use serde_json::{json, Value};
use std::io::{self, Write};

use stormwatch_audit::exposure::DeviceRecord;
use stormwatch_audit::{FileError, Finding, Rule, Severity, Skipped, RULES};

/// The `audit` JSON document.
#[derive(Serialize)]
pub struct AuditDoc<'a> {
    pub findings: &'a [Finding],
    pub skipped: &'a [Skipped],
    pub errors: &'a [FileError],
    /// Per audited file: vendor, hostname, counts.
    pub files: &'a [Value],
    pub indicators: &'a Value,
}

const CSV_COLUMNS: &[&str] = &[
    "file",
    "line",
    "severity",
    "rule",
    "name",
    "title",
    "technique",
    "message",
    "remediation",
    "baseline_file",
    "baseline_line",
    "vendor",
    "hostname",
];

fn csv_row(f: &Finding) -> Vec<String> {
    vec![
        f.file.clone(),
        f.line.to_string(),
        f.severity.name().to_owned(),
        f.rule.to_owned(),
        f.name.to_owned(),
        f.title.to_owned(),
        f.technique.to_owned(),
        f.message.clone(),
        f.remediation.to_owned(),
        f.baseline_file.clone().unwrap_or_default(),
        f.baseline_line.map(|l| l.to_string()).unwrap_or_default(),
        f.vendor.to_owned(),
        f.hostname.clone().unwrap_or_default(),
    ]
}

/// CSV with a header row.
pub fn write_csv(out: &mut dyn Write, findings: &[Finding]) -> io::Result<()> {
    let rows: Vec<Vec<String>> = findings.iter().map(csv_row).collect();
    crate::write_csv(out, CSV_COLUMNS, &rows)
}

/// Findings grouped by file, most severe first within the file's line order.
pub fn write_text(out: &mut dyn Write, doc: &AuditDoc) -> io::Result<()> {
    let mut i = 0;
    let f = doc.findings;
    while i < f.len() {
        let file = &f[i].file;
        let host = f[i]
            .hostname
            .as_deref()
            .map(|h| format!(", {}", crate::clean(h)))
            .unwrap_or_default();
        writeln!(out, "{} ({}{host})", crate::clean(file), f[i].vendor)?;
        while i < f.len() && &f[i].file == file {
            let x = &f[i];
            let base = match (&x.baseline_file, x.baseline_line) {
                (Some(b), Some(l)) => format!(" [baseline {}:{l}]", crate::clean(b)),
                _ => String::new(),
            };
            writeln!(
                out,
                "  {:>5}  {:<8}  {} {}: {}{base}",
                x.line,
                x.severity.name().to_ascii_uppercase(),
                x.rule,
                x.name,
                crate::clean(&x.message)
            )?;
            i += 1;
        }
        writeln!(out)?;
    }
    Ok(())
}

/// The one-line summary (stderr in text mode).
pub fn summary_line(doc: &AuditDoc) -> String {
    let mut counts = [0usize; 5];
    for f in doc.findings {
        counts[f.severity as usize] += 1;
    }
    format!(
        "{} findings ({} critical, {} high, {} medium, {} low, {} info) in {} files; {} skipped, {} errors",
        doc.findings.len(),
        counts[0],
        counts[1],
        counts[2],
        counts[3],
        counts[4],
        doc.files.len(),
        doc.skipped.len(),
        doc.errors.len()
    )
}

/// `--explain RULE`: the rule's data and documentation.
pub fn write_explain(out: &mut dyn Write, r: &Rule, json_fmt: bool) -> io::Result<()> {
    if json_fmt {
        return crate::write_json(out, r);
    }
    writeln!(out, "{} ({}): {}", r.id, r.name, r.title)?;
    writeln!(
        out,
        "severity: {}    technique: {}",
        r.severity.name(),
        r.technique
    )?;
    writeln!(out, "guidance: {}", r.guidance)?;
    writeln!(out)?;
    writeln!(out, "{}", r.doc)?;
    writeln!(out)?;
    writeln!(out, "## Remediation\n{}", r.remediation)
}

fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// A path as a SARIF URI reference: relative paths stay relative (percent-encoded),
/// absolute ones become `file://` URIs.
fn uri(path: &str) -> String {
    let mut s = String::with_capacity(path.len());
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                s.push(b as char)
            }
            b'\\' => s.push('/'),
            _ => s.push_str(&format!("%{b:02X}")),
        }
    }
    if path.starts_with('/') {
        format!("file://{s}")
    } else {
        s
    }
}

fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

/// SARIF 2.1.0: one run, every rule in the driver, skipped files and errors as
/// tool execution notifications.
pub fn sarif(doc: &AuditDoc, version: &str) -> Value {
    let rules: Vec<Value> = RULES
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "name": r.name,
                "shortDescription": {"text": r.title},
                "fullDescription": {"text": format!("{} (guidance: {})", r.title, r.guidance)},
                "help": {"text": format!("{}\n\nRemediation: {}", r.doc, r.remediation), "markdown": format!("{}\n\n## Remediation\n{}", r.doc, r.remediation)},
                "defaultConfiguration": {"level": sarif_level(r.severity)},
                "properties": {"tags": ["security", r.technique], "security-severity": security_severity(r.severity), "severity": r.severity.name()},
            })
        })
        .collect();
    let results: Vec<Value> = doc
        .findings
        .iter()
        .map(|f| {
            let idx = RULES.iter().position(|r| r.id == f.rule).unwrap_or(0);
            let mut res = json!({
                "ruleId": f.rule,
                "ruleIndex": idx,
                "level": sarif_level(f.severity),
                "message": {"text": f.message},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri(&f.file)}, "region": {"startLine": f.line.max(1)}}}],
                "properties": {"severity": f.severity.name(), "technique": f.technique, "vendor": f.vendor, "hostname": f.hostname, "remediation": f.remediation},
            });
            if let (Some(b), Some(l)) = (&f.baseline_file, f.baseline_line) {
                res["relatedLocations"] = json!([{"id": 1, "message": {"text": "baseline"}, "physicalLocation": {"artifactLocation": {"uri": uri(b)}, "region": {"startLine": l.max(1)}}}]);
            }
            res
        })
        .collect();
    let mut notes: Vec<Value> = doc
        .skipped
        .iter()
        .map(|s| json!({"level": "note", "message": {"text": format!("skipped: {}", s.reason)}, "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri(&s.file)}}}]}))
        .collect();
    notes.extend(doc.errors.iter().map(|e| json!({"level": "error", "message": {"text": e.error}, "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri(&e.file)}}}]})));
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "stormwatch", "fullName": "Stormwatch configuration audit", "version": version, "informationUri": "https://example.invalid/stormwatch", "rules": rules}},
            "invocations": [{"executionSuccessful": doc.errors.is_empty(), "toolExecutionNotifications": notes}],
            "results": results,
        }]
    })
}

/// The `exposure` document.
#[derive(Serialize)]
pub struct ExposureDoc<'a> {
    pub devices: &'a [DeviceRecord],
    pub summary: Value,
    pub errors: &'a [FileError],
    pub kev: &'a str,
}

/// The patch-priority list: every (device, CVE), most urgent first (priority, then
/// KEV due date), and the fleet summary.
pub fn write_exposure_text(out: &mut dyn Write, doc: &ExposureDoc) -> io::Result<()> {
    let mut rows: Vec<(&DeviceRecord, &stormwatch_audit::exposure::Exposure)> = doc
        .devices
        .iter()
        .flat_map(|d| d.exposures.iter().map(move |e| (d, e)))
        .collect();
    rows.sort_by(|a, b| {
        a.1.priority
            .cmp(&b.1.priority)
            .then(a.1.kev_due_date.cmp(&b.1.kev_due_date))
    });
    let mut t = crate::Table::new(&[
        "priority",
        "host",
        "platform",
        "version",
        "cve",
        "kev due",
        "fixed in",
        "feature on",
        "confidence / note",
    ]);
    for (d, e) in &rows {
        t.row(vec![
            e.priority.name().to_ascii_uppercase(),
            crate::clean(d.host.as_deref().unwrap_or("?")),
            crate::clean(d.product.as_deref().unwrap_or("?")),
            crate::clean(d.version.as_deref().unwrap_or("?")),
            e.cve.clone(),
            e.kev_due_date.clone().unwrap_or_else(|| "?".into()),
            e.fixed_in
                .as_ref()
                .map_or_else(|| "unknown".into(), |f| f.join(" ")),
            match e.feature_enabled {
                Some(true) => "yes".into(),
                Some(false) => "no".into(),
                None => "?".into(),
            },
            format!("{}: {}", e.confidence, e.note),
        ]);
    }
    if t.is_empty() {
        writeln!(out, "No advisory CVE applies to the devices given.")?;
    } else {
        writeln!(out, "Patch priority (KEV edge CVEs first):")?;
        t.write(out)?;
    }
    writeln!(
        out,
        "\n{} of {} devices exposed ({} more possibly: confirm their versions and features)",
        doc.summary["exposed"], doc.summary["devices"], doc.summary["possibly_exposed"]
    )
}

/// CSV: one row per (device, CVE).
pub fn write_exposure_csv(out: &mut dyn Write, devices: &[DeviceRecord]) -> io::Result<()> {
    let mut rows = Vec::new();
    for d in devices {
        for e in &d.exposures {
            rows.push(vec![
                d.host.clone().unwrap_or_default(),
                d.vendor.clone().unwrap_or_default(),
                d.product.clone().unwrap_or_default(),
                d.version.clone().unwrap_or_default(),
                e.cve.clone(),
                e.priority.name().to_owned(),
                e.confidence.to_owned(),
                e.kev_due_date.clone().unwrap_or_default(),
                e.fixed_in.as_ref().map(|f| f.join(" ")).unwrap_or_default(),
                e.feature_enabled.map(|b| b.to_string()).unwrap_or_default(),
                d.source.clone(),
            ]);
        }
    }
    crate::write_csv(
        out,
        &[
            "host",
            "vendor",
            "product",
            "version",
            "cve",
            "priority",
            "confidence",
            "kev_due_date",
            "fixed_in",
            "feature_enabled",
            "source",
        ],
        &rows,
    )
}
