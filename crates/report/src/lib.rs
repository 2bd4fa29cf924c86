//! Rendering of Stormwatch results, shared by the CLI and the server.
//!
//! Owns every output format: readable text tables, JSON documents, JSON lines and
//! CSV. Results arrive as plain data from the capability crates; nothing here reads
//! a store or decides an exit code. The JSON shapes are the contract in
//! `docs/CLI.md`; a new output format touches this crate only.

pub mod actor;
pub mod attribution;
pub mod audit;
pub mod detect;

use serde::Serialize;
use std::io::{self, Write};
use std::str::FromStr;

use stormwatch_intel::FileReport;
use stormwatch_store::{RelationshipView, SearchHit, Stats};

/// Output formats every command accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Jsonl,
    Csv,
    /// An ATT&CK Navigator layer (`actor show`).
    Navigator,
    /// SARIF 2.1.0 (`audit`).
    Sarif,
    /// Markdown (`ach`).
    Md,
    /// A standalone HTML page (`ach`).
    Html,
    /// An SVG picture (`timing`).
    Svg,
}

impl Format {
    /// The names accepted by `--format`.
    pub const NAMES: &'static [&'static str] = &[
        "text",
        "json",
        "jsonl",
        "csv",
        "navigator",
        "sarif",
        "md",
        "html",
        "svg",
    ];

    /// Formats every command accepts; the others belong to named commands.
    pub fn is_common(self) -> bool {
        matches!(
            self,
            Format::Text | Format::Json | Format::Jsonl | Format::Csv
        )
    }

    /// The name as given to `--format`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Jsonl => "jsonl",
            Format::Csv => "csv",
            Format::Navigator => "navigator",
            Format::Sarif => "sarif",
            Format::Md => "md",
            Format::Html => "html",
            Format::Svg => "svg",
        }
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Format, String> {
        match s {
            "text" => Ok(Format::Text),
            "json" => Ok(Format::Json),
            "jsonl" => Ok(Format::Jsonl),
            "csv" => Ok(Format::Csv),
            "navigator" => Ok(Format::Navigator),
            "sarif" => Ok(Format::Sarif),
            "md" => Ok(Format::Md),
            "html" => Ok(Format::Html),
            "svg" => Ok(Format::Svg),
            _ => Err(format!(
                "unknown format {s:?}; choose one of {}",
                Format::NAMES.join(", ")
            )),
        }
    }
}

/// Writes one pretty-printed JSON document and a newline.
pub fn write_json<T: Serialize + ?Sized>(out: &mut dyn Write, value: &T) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    out.write_all(b"\n")
}

/// Writes one compact JSON record per line.
pub fn write_jsonl<'a, T: Serialize + 'a>(
    out: &mut dyn Write,
    items: impl IntoIterator<Item = &'a T>,
) -> io::Result<()> {
    for item in items {
        serde_json::to_writer(&mut *out, item)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// The CSV writer used for streamed output.
pub type CsvWriter<W> = csv::Writer<W>;

/// Writes CSV with a header row.
pub fn write_csv(out: &mut dyn Write, headers: &[&str], rows: &[Vec<String>]) -> io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(headers)?;
    for r in rows {
        w.write_record(r)?;
    }
    w.flush()
}

/// A plain text table: columns padded to their widest cell, the last unpadded.
pub struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(headers: &[&str]) -> Table {
        Table {
            headers: headers.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Writes the rows aligned as in [`Table::write`], without the header line.
    pub fn write_rows(&self, out: &mut dyn Write) -> io::Result<()> {
        let mut buf = Vec::new();
        self.write(&mut buf)?;
        for line in String::from_utf8_lossy(&buf).lines().skip(1) {
            writeln!(out, "{line}")?;
        }
        Ok(())
    }

    pub fn write(&self, out: &mut dyn Write) -> io::Result<()> {
        let n = self.headers.len();
        let mut width = vec![0usize; n];
        for r in std::iter::once(&self.headers).chain(&self.rows) {
            for (i, c) in r.iter().enumerate().take(n) {
                width[i] = width[i].max(c.chars().count());
            }
        }
        for r in std::iter::once(&self.headers).chain(&self.rows) {
            let mut line = String::new();
            for (i, c) in r.iter().enumerate().take(n) {
                if i + 1 == n {
                    line.push_str(c);
                } else {
                    line.push_str(c);
                    line.extend(std::iter::repeat_n(' ', width[i] - c.chars().count() + 2));
                }
            }
            writeln!(out, "{}", line.trim_end())?;
        }
        Ok(())
    }
}

/// Replaces control characters so that hostile strings cannot drive the terminal.
pub fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Shortens `s` to at most `max` characters, marking the cut with an ellipsis.
pub fn ellipsize(s: &str, max: usize) -> String {
    let s = clean(s);
    if s.chars().count() <= max {
        return s;
    }
    let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
    t.push('…');
    t
}

// ---------------------------------------------------------------- import

/// The `import --format json` document.
#[derive(Serialize)]
pub struct ImportDoc<'a> {
    pub files: &'a [FileReport],
}

/// Renders import results.
pub fn import(out: &mut dyn Write, fmt: Format, files: &[FileReport]) -> io::Result<()> {
    match fmt {
        Format::Json
        | Format::Navigator
        | Format::Sarif
        | Format::Md
        | Format::Html
        | Format::Svg => write_json(out, &ImportDoc { files }),
        Format::Jsonl => write_jsonl(out, files),
        Format::Csv => {
            let rows: Vec<Vec<String>> = files
                .iter()
                .map(|f| {
                    vec![
                        f.file.clone(),
                        f.format.clone().unwrap_or_default(),
                        f.imported.to_string(),
                        f.unchanged.to_string(),
                        f.rejected.len().to_string(),
                        f.error.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            write_csv(
                out,
                &[
                    "file",
                    "format",
                    "imported",
                    "unchanged",
                    "rejected",
                    "error",
                ],
                &rows,
            )
        }
        Format::Text => {
            for f in files {
                if let Some(e) = &f.error {
                    writeln!(out, "{}: not imported: {}", f.file, clean(e))?;
                    continue;
                }
                let status = if f.committed {
                    "imported"
                } else {
                    "NOT imported (no object written; fix the objects below or use --skip-invalid)"
                };
                writeln!(
                    out,
                    "{}: {} ({}): {} new, {} unchanged, {} rejected",
                    f.file,
                    status,
                    f.format.as_deref().unwrap_or("?"),
                    f.imported,
                    f.unchanged,
                    f.rejected.len()
                )?;
                for r in &f.rejected {
                    writeln!(
                        out,
                        "  objects[{}] (line {}) {}: {}",
                        r.index,
                        r.line,
                        r.id.as_deref().unwrap_or("(no id)"),
                        clean(&r.error)
                    )?;
                }
                for w in &f.warnings {
                    writeln!(out, "  warning: {}", clean(w))?;
                }
            }
            Ok(())
        }
    }
}

// ---------------------------------------------------------------- search

/// The `search --format json` document.
#[derive(Serialize)]
pub struct SearchDoc<'a> {
    pub hits: &'a [SearchHit],
}

/// Renders search hits.
pub fn search(out: &mut dyn Write, fmt: Format, hits: &[SearchHit]) -> io::Result<()> {
    let cells = |h: &SearchHit| {
        vec![
            format!("{:.2}", h.score),
            h.type_name.clone(),
            h.external_id.clone().unwrap_or_default(),
            h.name.clone().unwrap_or_default(),
            h.id.clone(),
        ]
    };
    match fmt {
        Format::Json
        | Format::Navigator
        | Format::Sarif
        | Format::Md
        | Format::Html
        | Format::Svg => write_json(out, &SearchDoc { hits }),
        Format::Jsonl => write_jsonl(out, hits),
        Format::Csv => write_csv(
            out,
            &["score", "type", "external_id", "name", "id"],
            &hits.iter().map(cells).collect::<Vec<_>>(),
        ),
        Format::Text => {
            let mut t = Table::new(&["SCORE", "TYPE", "EXT-ID", "NAME", "ID"]);
            for h in hits {
                let mut c = cells(h);
                c[3] = ellipsize(&c[3], 60);
                t.row(c);
            }
            t.write(out)
        }
    }
}

// ---------------------------------------------------------------- show

/// One object as `show` presents it.
#[derive(Debug, Serialize)]
pub struct ShownObject {
    pub object: serde_json::Value,
    pub names: Vec<String>,
    pub external_ids: Vec<ShownExternalId>,
    pub relationships: Vec<RelationshipView>,
    /// Number of stored versions.
    pub versions: usize,
}

/// An external id of a shown object.
#[derive(Debug, Serialize)]
pub struct ShownExternalId {
    pub source: String,
    pub id: String,
}

/// The `show --format json` document.
#[derive(Serialize)]
pub struct ShowDoc<'a> {
    pub objects: &'a [ShownObject],
}

fn prop<'a>(o: &'a serde_json::Value, k: &str) -> Option<&'a str> {
    o.get(k).and_then(serde_json::Value::as_str)
}

/// Renders `show` results.
pub fn show(out: &mut dyn Write, fmt: Format, objects: &[ShownObject]) -> io::Result<()> {
    match fmt {
        Format::Json
        | Format::Navigator
        | Format::Sarif
        | Format::Md
        | Format::Html
        | Format::Svg => write_json(out, &ShowDoc { objects }),
        Format::Jsonl => write_jsonl(out, objects),
        Format::Csv => {
            let mut rows = Vec::new();
            for s in objects {
                let id = prop(&s.object, "id").unwrap_or_default().to_owned();
                for r in &s.relationships {
                    rows.push(vec![
                        id.clone(),
                        r.kind.clone(),
                        format!("{:?}", r.direction).to_lowercase(),
                        r.other_id.clone(),
                        r.other_type.clone(),
                        r.other_external_id.clone().unwrap_or_default(),
                        r.other_name.clone().unwrap_or_default(),
                    ]);
                }
            }
            write_csv(
                out,
                &[
                    "object_id",
                    "relationship_type",
                    "direction",
                    "other_id",
                    "other_type",
                    "other_external_id",
                    "other_name",
                ],
                &rows,
            )
        }
        Format::Text => {
            for (i, s) in objects.iter().enumerate() {
                if i > 0 {
                    writeln!(out)?;
                }
                show_text(out, s)?;
            }
            Ok(())
        }
    }
}

fn show_text(out: &mut dyn Write, s: &ShownObject) -> io::Result<()> {
    let o = &s.object;
    let id = prop(o, "id").unwrap_or("?");
    let ty = prop(o, "type").unwrap_or("?");
    let title = prop(o, "name")
        .or_else(|| prop(o, "value"))
        .or_else(|| prop(o, "pattern"))
        .unwrap_or(id);
    let ext: Vec<&str> = s.external_ids.iter().map(|e| e.id.as_str()).collect();
    writeln!(
        out,
        "{}  [{}]{}",
        clean(title),
        ty,
        if ext.is_empty() {
            String::new()
        } else {
            format!("  {}", ext.join(", "))
        }
    )?;
    let mut t = Table::new(&["", ""]);
    t.row(vec!["id".into(), id.into()]);
    for k in ["created", "modified"] {
        if let Some(v) = prop(o, k) {
            t.row(vec![k.into(), v.into()]);
        }
    }
    if s.versions > 1 {
        t.row(vec!["versions".into(), s.versions.to_string()]);
    }
    if o.get("revoked").and_then(serde_json::Value::as_bool) == Some(true) {
        t.row(vec![
            "revoked".into(),
            "yes (this object was withdrawn by its producer)".into(),
        ]);
    }
    if o.get("x_mitre_deprecated")
        .and_then(serde_json::Value::as_bool)
        == Some(true)
    {
        t.row(vec!["deprecated".into(), "yes".into()]);
    }
    if s.names.len() > 1 {
        t.row(vec!["names".into(), clean(&s.names.join(", "))]);
    }
    for e in &s.external_ids {
        t.row(vec![
            "external id".into(),
            format!("{} ({})", e.id, e.source),
        ]);
    }
    if let Some(c) = o.get("confidence") {
        t.row(vec!["confidence".into(), c.to_string()]);
    }
    if let Some(p) = prop(o, "pattern") {
        t.row(vec!["pattern".into(), clean(p)]);
    }
    for k in [
        "created_by_ref",
        "source_ref",
        "target_ref",
        "relationship_type",
    ] {
        if let Some(v) = prop(o, k) {
            t.row(vec![k.into(), v.into()]);
        }
    }
    t.write(out)?;
    if let Some(d) = prop(o, "description") {
        writeln!(out)?;
        for line in d.lines() {
            writeln!(out, "  {}", clean(line))?;
        }
    }
    if s.relationships.is_empty() {
        return Ok(());
    }
    writeln!(out, "\nRelationships ({}):", s.relationships.len())?;
    let mut i = 0;
    let rels = &s.relationships;
    while i < rels.len() {
        let (kind, dir, oty) = (&rels[i].kind, rels[i].direction, &rels[i].other_type);
        let j = rels[i..]
            .iter()
            .position(|r| &r.kind != kind || r.direction != dir || &r.other_type != oty)
            .map_or(rels.len(), |p| i + p);
        let arrow = match dir {
            stormwatch_store::Direction::Outgoing => format!("{kind} →"),
            stormwatch_store::Direction::Incoming => format!("← {kind}"),
        };
        writeln!(out, "  {arrow} {oty} ({})", j - i)?;
        let mut t = Table::new(&["", "", ""]);
        for r in &rels[i..j] {
            t.row(vec![
                format!("   {}", r.other_external_id.as_deref().unwrap_or("")),
                ellipsize(r.other_name.as_deref().unwrap_or("(not in store)"), 70),
                r.other_id.clone(),
            ]);
        }
        t.write_rows(out)?;
        i = j;
    }
    Ok(())
}

// ---------------------------------------------------------------- stats

/// Renders store statistics.
pub fn stats(out: &mut dyn Write, fmt: Format, s: &Stats) -> io::Result<()> {
    match fmt {
        Format::Json
        | Format::Navigator
        | Format::Sarif
        | Format::Md
        | Format::Html
        | Format::Svg => write_json(out, s),
        Format::Jsonl => write_jsonl(out, &s.types),
        Format::Csv => write_csv(
            out,
            &["type", "count"],
            &s.types
                .iter()
                .map(|t| vec![t.type_name.clone(), t.count.to_string()])
                .collect::<Vec<_>>(),
        ),
        Format::Text => {
            writeln!(out, "store     {}", s.store)?;
            writeln!(out, "size      {}", human_bytes(s.bytes))?;
            writeln!(
                out,
                "objects   {} ({} versions, {} revoked)\n",
                s.objects, s.versions, s.revoked
            )?;
            let mut t = Table::new(&["TYPE", "COUNT"]);
            for ty in &s.types {
                t.row(vec![ty.type_name.clone(), ty.count.to_string()]);
            }
            t.write(out)
        }
    }
}

/// `1.5 MiB` style sizes.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_aligns_and_trims() {
        let mut t = Table::new(&["A", "LONGER", "C"]);
        t.row(vec!["xyz".into(), "1".into(), "last".into()]);
        let mut out = Vec::new();
        t.write(&mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "A    LONGER  C\nxyz  1       last\n"
        );
    }

    #[test]
    fn cleans_control_characters() {
        assert_eq!(clean("a\x1b[31mb\n"), "a [31mb ");
        assert_eq!(ellipsize("abcdef", 4), "abc…");
        assert_eq!(human_bytes(1536), "1.5 KiB");
    }

    #[test]
    fn formats_parse() {
        assert_eq!("jsonl".parse::<Format>(), Ok(Format::Jsonl));
        assert!("yaml".parse::<Format>().is_err());
    }
}
