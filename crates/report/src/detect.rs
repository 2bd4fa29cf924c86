//! Output of `stormwatch detect`: one record per detection (docs/CLI.md), streamed as
//! JSON lines, CSV rows or text lines, or gathered into one JSON document.

use serde::Serialize;
use std::io::{self, Write};

use crate::Format;

/// One detection, as docs/CLI.md defines it.
#[derive(Debug, Clone, Serialize)]
pub struct Record {
    /// Sigma id (built-in rules and flow heuristics have ids too).
    pub rule: String,
    pub title: String,
    pub level: String,
    pub tags: Vec<String>,
    pub file: String,
    /// 1-based line in the decompressed text.
    pub line: u64,
    /// 0-based byte offset of the line in the decompressed text.
    pub offset: u64,
    /// RFC 3339 UTC, when the record has a time.
    pub time: Option<String>,
    pub time_inferred: bool,
    /// For a correlation rule: what it correlated (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correlation: Option<Correlated>,
}

/// What a correlation rule's detection brings together. The record's own `file`,
/// `line`, `offset` and `time` are those of the detection that completed it.
#[derive(Debug, Clone, Serialize)]
pub struct Correlated {
    /// `event_count`, `value_count`, `temporal` or `temporal_ordered`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The group-by fields and their values (null: the record had none).
    pub group: std::collections::BTreeMap<String, Option<String>>,
    /// Events in the window, or distinct values for value_count.
    pub count: u64,
    pub timespan_seconds: i64,
    /// The member detections, in time order.
    pub events: Vec<CorrelatedEvent>,
}

/// One member detection of a correlation.
#[derive(Debug, Clone, Serialize)]
pub struct CorrelatedEvent {
    pub rule: String,
    pub title: String,
    pub file: String,
    pub line: u64,
    pub time: Option<String>,
}

/// The CSV header.
pub const CSV_HEADER: &[&str] = &[
    "rule",
    "title",
    "level",
    "tags",
    "file",
    "line",
    "offset",
    "time",
    "time_inferred",
];

/// Writes one record in a streamed format (text, jsonl, csv); other formats do nothing.
pub fn write_record(
    out: &mut dyn Write,
    csv: Option<&mut crate::CsvWriter<Vec<u8>>>,
    fmt: Format,
    r: &Record,
) -> io::Result<()> {
    match fmt {
        Format::Jsonl => {
            serde_json::to_writer(&mut *out, r)?;
            out.write_all(b"\n")
        }
        Format::Text => writeln!(
            out,
            "{}:{}: [{}] {} ({}){}{}",
            r.file,
            r.line,
            r.level,
            crate::clean(&r.title),
            r.rule,
            r.time
                .as_ref()
                .map(|t| format!(
                    " at {t}{}",
                    if r.time_inferred { " (inferred)" } else { "" }
                ))
                .unwrap_or_default(),
            r.correlation
                .as_ref()
                .map(|c| format!(
                    " correlating {}",
                    c.events
                        .iter()
                        .map(|e| format!("{}:{} ({})", e.file, e.line, crate::clean(&e.title)))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
                .unwrap_or_default()
        ),
        Format::Csv => match csv {
            Some(w) => w
                .write_record([
                    r.rule.clone(),
                    r.title.clone(),
                    r.level.clone(),
                    r.tags.join(" "),
                    r.file.clone(),
                    r.line.to_string(),
                    r.offset.to_string(),
                    r.time.clone().unwrap_or_default(),
                    r.time_inferred.to_string(),
                ])
                .map_err(io::Error::other),
            None => Ok(()),
        },
        _ => Ok(()),
    }
}

/// Per-rule totals.
#[derive(Debug, Clone, Serialize, Default)]
pub struct RuleSummary {
    pub rule: String,
    pub title: String,
    pub level: String,
    pub file: String,
    pub hits: u64,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
}

/// Writes the summary lines for stderr (text and jsonl modes).
pub fn summary_lines(summary: &[RuleSummary]) -> Vec<String> {
    summary
        .iter()
        .map(|s| {
            format!(
                "  {:>7}  [{}] {} ({}) {} .. {}",
                s.hits,
                s.level,
                crate::clean(&s.title),
                s.rule,
                s.first_seen.as_deref().unwrap_or("?"),
                s.last_seen.as_deref().unwrap_or("?")
            )
        })
        .collect()
}
