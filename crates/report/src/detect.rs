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
            "{}:{}: [{}] {} ({}){}",
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
