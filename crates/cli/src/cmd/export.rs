//! `stormwatch export`: the store (or a slice of it) as a STIX 2.1 bundle.

use anyhow::{bail, Context, Result};
use std::io::Write;
use std::path::PathBuf;

use crate::global::{self, Exit, Global};
use stormwatch_model::{tlp, Timestamp};
use stormwatch_report::Format;
use stormwatch_store::ExportFilter;

/// Export a STIX 2.1 bundle (latest versions; revoked objects included).
///
/// With --format jsonl, one object per line instead of a bundle; with csv, one summary
/// row per object. Objects are written exactly as imported. A file given with -o
/// appears whole or not at all.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Only objects of this STIX type (repeatable)
    #[arg(long = "type", short = 't', value_name = "TYPE")]
    pub types: Vec<String>,

    /// Only versions modified at or after this time (RFC 3339 UTC, or YYYY-MM-DD)
    #[arg(long, value_name = "TIMESTAMP")]
    pub since: Option<String>,

    /// Only objects with this marking: a marking-definition id or TLP:CLEAR|GREEN|AMBER|AMBER+STRICT|RED (repeatable)
    #[arg(long, value_name = "ID|TLP:NAME")]
    pub marking: Vec<String>,

    /// Every stored version, not only the latest
    #[arg(long)]
    pub all_versions: bool,

    /// Write to FILE instead of stdout
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn run(g: &Global, a: &Args) -> Result<Exit> {
    let mut markings = Vec::new();
    for m in &a.marking {
        match tlp::resolve(m) {
            Some(ids) => markings.extend(ids),
            None => bail!("--marking {m:?} is neither a marking-definition id nor a TLP name (TLP:CLEAR, TLP:GREEN, TLP:AMBER, TLP:AMBER+STRICT, TLP:RED)"),
        }
    }
    let since = match &a.since {
        Some(s) => Some(
            Timestamp::parse_lenient(s)
                .with_context(|| format!("--since {s:?}"))?
                .key(),
        ),
        None => None,
    };
    let filter = ExportFilter {
        types: a.types.clone(),
        since,
        markings,
        all_versions: a.all_versions,
    };
    let store = g.open_store()?;
    let count = match &a.output {
        None => {
            let mut out = global::stdout();
            let n = write_export(store.as_ref(), &filter, g.format, &mut out)?;
            out.flush()?;
            n
        }
        Some(path) => {
            let dir = path
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(std::path::Path::new("."));
            let tmp = tempfile::Builder::new()
                .prefix(".stormwatch-export-")
                .tempfile_in(dir)
                .with_context(|| format!("cannot create a file in {}", dir.display()))?;
            let mut w = std::io::BufWriter::with_capacity(1 << 16, tmp);
            let n = write_export(store.as_ref(), &filter, g.format, &mut w)?;
            let tmp = w.into_inner().map_err(|e| e.into_error())?;
            tmp.as_file().sync_all()?;
            tmp.persist(path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            n
        }
    };
    let dest = a
        .output
        .as_ref()
        .map_or("stdout".to_owned(), |p| p.display().to_string());
    g.note(&format!("exported {count} objects to {dest}"));
    Ok(Exit::Clean)
}

fn write_export(
    store: &dyn stormwatch_store::Store,
    filter: &ExportFilter,
    fmt: Format,
    out: &mut dyn Write,
) -> Result<u64> {
    let n = match fmt {
        Format::Text
        | Format::Json
        | Format::Navigator
        | Format::Sarif
        | Format::Md
        | Format::Html
        | Format::Svg => {
            let id = format!("bundle--{}", uuid::Uuid::new_v4());
            write!(out, "{{\"type\":\"bundle\",\"id\":\"{id}\",\"objects\":[")?;
            let mut first = true;
            let n = store.export(filter, &mut |o| {
                out.write_all(if first { b"\n" } else { b",\n" })?;
                first = false;
                out.write_all(o.json.as_bytes())
            })?;
            out.write_all(b"\n]}\n")?;
            n
        }
        Format::Jsonl => store.export(filter, &mut |o| {
            out.write_all(o.json.as_bytes())?;
            out.write_all(b"\n")
        })?,
        Format::Csv => {
            let mut w = csv_writer(out);
            w.write_record(["id", "type", "version", "name", "revoked"])?;
            let n = store.export(filter, &mut |o| {
                w.write_record([
                    o.id.as_str(),
                    o.type_name.as_str(),
                    o.version.as_str(),
                    o.name.as_deref().unwrap_or(""),
                    if o.revoked { "true" } else { "false" },
                ])
                .map_err(std::io::Error::other)
            })?;
            w.flush()?;
            n
        }
    };
    Ok(n)
}

fn csv_writer(out: &mut dyn Write) -> stormwatch_report::CsvWriter<&mut dyn Write> {
    stormwatch_report::CsvWriter::from_writer(out)
}
