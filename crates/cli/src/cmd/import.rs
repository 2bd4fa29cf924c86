//! `stormwatch import`: bring intelligence files into the store.

use anyhow::Result;
use std::path::PathBuf;

use crate::global::{self, Exit, Global};
use stormwatch_intel::{import_file, ImportOptions, Progress};
use stormwatch_model::Limits;

/// Import STIX 2.0/2.1 bundles (plain or gzip, recognised by content).
///
/// Each file is one transaction: a file with any invalid object imports nothing, and
/// every bad object is listed with its index, line, id and property. Re-importing
/// the same content adds nothing. STIX 2.0 is upgraded to 2.1 on the way in.
/// Exit 0 when every file was imported, 2 when any file was rejected.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Files to import ("-" reads stdin)
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Import the valid objects of a file that also has invalid ones (the rest are reported)
    #[arg(long)]
    pub skip_invalid: bool,

    /// Add the objects to this collection (see `admin collection add`) instead of `default`
    #[arg(long, value_name = "NAME")]
    pub collection: Option<String>,

    /// Reject objects whose JSON is larger than this many bytes
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_object_bytes)]
    pub max_object_bytes: usize,

    /// Reject files larger than this many bytes (after decompression)
    #[arg(long, value_name = "BYTES", default_value_t = stormwatch_intel::read::DEFAULT_MAX_INPUT)]
    pub max_input_bytes: u64,
}

struct Bar(indicatif::ProgressBar);

impl Progress for Bar {
    fn stage(&mut self, name: &str, total: Option<u64>) {
        global::stage(&self.0, name, total, name == "parsing");
    }
    fn advance(&mut self, done: u64) {
        self.0.set_position(done);
    }
}

pub fn run(g: &Global, a: &Args) -> Result<Exit> {
    let mut store = g.open_store()?;
    store.use_collection(
        a.collection
            .as_deref()
            .unwrap_or(stormwatch_store::DEFAULT_COLLECTION),
    )?;
    let opts = ImportOptions {
        skip_invalid: a.skip_invalid,
        limits: Limits {
            max_object_bytes: a.max_object_bytes,
        },
        max_input_bytes: Some(a.max_input_bytes),
    };
    let ctx = stormwatch_intel::Context::prepare(&a.files, Some(a.max_input_bytes));
    let mut reports = Vec::with_capacity(a.files.len());
    for path in &a.files {
        let display = path.display().to_string();
        let mut bar = Bar(g.progress(&display));
        let r = import_file(store.as_mut(), path, &display, &opts, &ctx, &mut bar);
        bar.0.finish_and_clear();
        if r.is_rejected() {
            let why = match &r.error {
                Some(e) => e.clone(),
                None if !r.committed => format!(
                    "{} invalid objects; nothing imported (use --skip-invalid to import the valid ones)",
                    r.rejected.len()
                ),
                None => "no valid object in the file".into(),
            };
            eprintln!("error: {display}: {why}");
        }
        reports.push(r);
    }
    let mut out = global::stdout();
    stormwatch_report::import(&mut out, g.format, &reports)?;
    std::io::Write::flush(&mut out)?;
    if g.format != stormwatch_report::Format::Text {
        let total: usize = reports.iter().map(|r| r.imported).sum();
        g.note(&format!(
            "imported {total} new object versions from {} files",
            reports.len()
        ));
    }
    Ok(if reports.iter().any(|r| r.is_rejected()) {
        Exit::Failed
    } else {
        Exit::Clean
    })
}
