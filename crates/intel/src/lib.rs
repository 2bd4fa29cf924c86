//! Intelligence import for Stormwatch.
//!
//! Owns getting outside intelligence into the store: reading files (gzip detected by
//! content, never by extension), recognising their format, turning them into checked
//! STIX objects and writing each file in one transaction. A file with any invalid
//! object imports nothing unless the caller asks to skip invalid objects; every bad
//! object is reported with its index, id, line and property. It never prints.

pub mod detect;
pub mod formats;
pub mod pack;
pub mod read;
pub mod sources;
pub mod taxonomy;
pub mod vendors;

pub use read::{read_input, Compression, Input, ReadError};

use serde::Serialize;
use std::collections::HashSet;

use stormwatch_model::{bundle, tlp, Limits};
use stormwatch_store::Store;

/// Options for one import.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImportOptions {
    /// Import the valid objects of a file even when some are invalid.
    pub skip_invalid: bool,
    pub limits: Limits,
    /// Largest accepted file, after decompression, in bytes.
    pub max_input_bytes: Option<u64>,
}

/// Receives progress of an import; the CLI draws it, tests ignore it.
pub trait Progress {
    /// A new stage begins; `total` is its length in units (bytes or objects), if known.
    fn stage(&mut self, name: &str, total: Option<u64>);
    /// `done` units of the current stage are finished.
    fn advance(&mut self, done: u64);
}

/// What one import run knows beyond the file at hand.
#[derive(Default)]
pub struct Context {
    /// MISP galaxy clusters of every galaxy file in this run, so that `related`
    /// links between files keep their targets.
    pub galaxy_clusters: formats::misp_galaxy::KnownClusters,
}

impl Context {
    /// Pre-reads the inputs that need it (MISP galaxy files). Unreadable files are
    /// skipped here; the import itself reports them.
    pub fn prepare(paths: &[std::path::PathBuf], max_input_bytes: Option<u64>) -> Context {
        let mut ctx = Context::default();
        for p in paths {
            if p.as_os_str() == "-" {
                continue;
            }
            let Ok(input) = read_input(p, max_input_bytes) else {
                continue;
            };
            let Ok(text) = std::str::from_utf8(&input.bytes) else {
                continue;
            };
            if detect::detect(text) == detect::Detected::MispGalaxy {
                let _ = ctx.galaxy_clusters.add_file(text);
            }
        }
        ctx
    }
}

/// Ignores progress.
pub struct NoProgress;

impl Progress for NoProgress {
    fn stage(&mut self, _: &str, _: Option<u64>) {}
    fn advance(&mut self, _: u64) {}
}

/// An object that was not imported, and why.
#[derive(Debug, Clone, Serialize)]
pub struct RejectedObject {
    /// 0-based position in the bundle's `objects`.
    pub index: usize,
    /// 1-based line in the (decompressed) file where the object starts.
    pub line: usize,
    pub id: Option<String>,
    /// Every error found in the object, each naming its property.
    pub error: String,
}

/// What happened to one file. `error` is set when the file as a whole could not be
/// read or parsed; then nothing was imported.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    pub file: String,
    pub format: Option<String>,
    pub imported: usize,
    pub unchanged: usize,
    pub rejected: Vec<RejectedObject>,
    /// Ids whose stored version (same id and modified) had different content.
    pub replaced: Vec<String>,
    pub warnings: Vec<String>,
    pub error: Option<String>,
    /// True when the file's objects were written (all of them, or with
    /// `--skip-invalid` the valid ones).
    pub committed: bool,
}

impl FileReport {
    fn new(file: &str) -> FileReport {
        FileReport {
            file: file.to_owned(),
            format: None,
            imported: 0,
            unchanged: 0,
            rejected: Vec::new(),
            replaced: Vec::new(),
            warnings: Vec::new(),
            error: None,
            committed: false,
        }
    }

    /// A file counts as rejected when it failed whole, or when it had invalid
    /// objects and was not committed, or when nothing in it was accepted.
    pub fn is_rejected(&self) -> bool {
        self.error.is_some()
            || !self.committed
            || (!self.rejected.is_empty() && self.imported + self.unchanged == 0)
    }
}

/// How many unresolved references to name in a warning.
const REF_SAMPLES: usize = 3;

/// Imports one file into `store`. `display` is the name used in reports.
pub fn import_file(
    store: &mut dyn Store,
    path: &std::path::Path,
    display: &str,
    opts: &ImportOptions,
    ctx: &Context,
    progress: &mut dyn Progress,
) -> FileReport {
    let mut report = FileReport::new(display);
    let input = match read_input(path, opts.max_input_bytes) {
        Ok(i) => i,
        Err(e) => {
            report.error = Some(e.to_string());
            return report;
        }
    };
    import_bytes(store, &input, opts, ctx, progress, report)
}

/// Imports already-read content (used for stdin and by tests).
pub fn import_bytes(
    store: &mut dyn Store,
    input: &Input,
    opts: &ImportOptions,
    ctx: &Context,
    progress: &mut dyn Progress,
    mut report: FileReport,
) -> FileReport {
    progress.stage("parsing", Some(input.bytes.len() as u64));
    let text = match bundle::as_utf8(&input.bytes) {
        Ok(t) => t,
        Err(e) => {
            report.error = Some(e.to_string());
            return report;
        }
    };
    let (format, parsed) = match detect::detect(text) {
        detect::Detected::Stix => match stormwatch_model::parse_bundle(text, opts.limits) {
            Ok(p) => (p.format_name().to_owned(), p),
            Err(e) => {
                report.error = Some(e.to_string());
                return report;
            }
        },
        other => match detect::convert(other, text, &report.file, ctx) {
            Ok(c) => {
                report.warnings.extend(c.warnings.iter().cloned());
                (c.format.clone(), check_converted(c))
            }
            Err(e) => {
                report.error = Some(e.to_string());
                return report;
            }
        },
    };
    progress.advance(input.bytes.len() as u64);
    report.format = Some(match input.compression {
        Compression::None => format,
        Compression::Gzip => format!("{format}+gzip"),
    });
    commit(store, parsed, opts, progress, report)
}

/// Validates converted objects like a bundle's, keeping the converter's rejects.
pub fn check_converted(c: formats::Converted) -> stormwatch_model::ParsedBundle<'static> {
    let mut objects = Vec::with_capacity(c.objects.len());
    let mut rejected: Vec<stormwatch_model::Rejected> = c
        .rejected
        .into_iter()
        .map(|r| stormwatch_model::Rejected {
            index: r.index,
            line: r.line,
            id: r.id,
            errors: vec![stormwatch_model::Issue {
                severity: stormwatch_model::Severity::Error,
                property: None,
                message: r.error,
            }],
        })
        .collect();
    for (i, m) in c.objects.into_iter().enumerate() {
        match bundle::check_map(i, 0, m) {
            Ok(ch) => objects.push(ch),
            Err(r) => rejected.push(r),
        }
    }
    stormwatch_model::ParsedBundle {
        id: None,
        spec_version: None,
        single_object: false,
        objects,
        rejected,
    }
}

/// Reports rejects and warnings, then writes the accepted objects in one
/// transaction unless there were rejects and `skip_invalid` is off.
pub fn commit(
    store: &mut dyn Store,
    parsed: stormwatch_model::ParsedBundle<'_>,
    opts: &ImportOptions,
    progress: &mut dyn Progress,
    mut report: FileReport,
) -> FileReport {
    report.rejected = parsed
        .rejected
        .iter()
        .map(|r| RejectedObject {
            index: r.index,
            line: r.line,
            id: r.id.clone(),
            error: r
                .errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        })
        .collect();
    let upgraded = parsed.objects.iter().filter(|c| c.upgraded).count();
    if upgraded > 0 {
        report.warnings.push(format!(
            "{upgraded} objects were STIX 2.0 and were upgraded to 2.1 (spec_version added; malware is_family: true)"
        ));
    }
    let mut warned = 0usize;
    for c in &parsed.objects {
        for w in &c.warnings {
            warned += 1;
            if warned <= 20 {
                report
                    .warnings
                    .push(format!("objects[{}] {}: {w}", c.index, c.object.meta.id));
            }
        }
    }
    if warned > 20 {
        report
            .warnings
            .push(format!("... and {} more object warnings", warned - 20));
    }
    if !report.rejected.is_empty() && !opts.skip_invalid {
        return report;
    }
    if let Some(w) = unresolved_refs(store, &parsed) {
        report.warnings.push(w);
    }
    let objects: Vec<_> = parsed.objects.into_iter().map(|c| c.object).collect();
    progress.stage("writing", Some(objects.len() as u64));
    match store.write(&objects, &mut |n| progress.advance(n as u64)) {
        Ok(w) => {
            report.imported = w.imported;
            report.unchanged = w.unchanged;
            if !w.replaced.is_empty() {
                report.warnings.push(format!(
                    "{} stored versions had the same id and modified but different content and were replaced (e.g. {})",
                    w.replaced.len(),
                    w.replaced[0]
                ));
            }
            report.replaced = w.replaced;
            report.committed = true;
        }
        Err(e) => report.error = Some(e.to_string()),
    }
    report
}

/// Validates objects built in memory (analyst claims, sightings) and writes them in
/// one transaction. An invalid object is a bug in the caller: nothing is written.
pub fn write_objects(
    store: &mut dyn Store,
    objects: Vec<serde_json::Map<String, serde_json::Value>>,
) -> Result<stormwatch_store::WriteReport, String> {
    let mut checked = Vec::with_capacity(objects.len());
    for (i, o) in objects.into_iter().enumerate() {
        match bundle::check_map(i, 0, o) {
            Ok(c) => checked.push(c.object),
            Err(r) => {
                return Err(format!(
                    "internal error: built an invalid object: {:?}",
                    r.errors
                ))
            }
        }
    }
    store
        .write(&checked, &mut |_| {})
        .map_err(|e| e.to_string())
}

/// Loads the built-in pack (`stormwatch intel init`): CISA's AA25-239A file and
/// the pack's own names and claims. Idempotent.
pub fn init_pack(store: &mut dyn Store, progress: &mut dyn Progress) -> Vec<FileReport> {
    let opts = ImportOptions::default();
    let input = Input {
        bytes: pack::ADVISORY_STIX.as_bytes().to_vec(),
        compression: Compression::None,
    };
    let advisory = import_bytes(
        store,
        &input,
        &opts,
        &Context::default(),
        progress,
        FileReport::new("pack:AA25-239A.stix.json"),
    );
    let converted = formats::Converted {
        format: "stormwatch-pack".into(),
        objects: pack::objects(),
        ..Default::default()
    };
    let claims = commit(
        store,
        check_converted(converted),
        &opts,
        progress,
        FileReport {
            format: Some("stormwatch-pack".into()),
            ..FileReport::new("pack:salt-typhoon-claims")
        },
    );
    vec![advisory, claims]
}

/// A warning naming references that point at objects neither in the bundle nor in
/// the store (the predefined TLP markings always count as known).
fn unresolved_refs(
    store: &dyn Store,
    parsed: &stormwatch_model::ParsedBundle<'_>,
) -> Option<String> {
    let in_bundle: HashSet<&str> = parsed
        .objects
        .iter()
        .map(|c| c.object.meta.id.as_str())
        .collect();
    let mut missing: Vec<&str> = Vec::new();
    let mut seen = HashSet::new();
    for c in &parsed.objects {
        let m = &c.object.meta;
        let refs = m
            .created_by_ref
            .iter()
            .map(String::as_str)
            .chain(m.markings.iter().map(String::as_str))
            .chain(
                m.edges
                    .iter()
                    .flat_map(|e| [e.source.as_str(), e.target.as_str()]),
            )
            .chain(m.refs.iter().map(|(_, t)| t.as_str()));
        for r in refs {
            if !r.is_empty()
                && r != m.id
                && !in_bundle.contains(r)
                && tlp::level_of(r).is_none()
                && seen.insert(r)
            {
                missing.push(r);
            }
        }
    }
    if missing.is_empty() {
        return None;
    }
    let known: HashSet<String> = store
        .existing_ids(&missing)
        .unwrap_or_default()
        .into_iter()
        .collect();
    missing.retain(|r| !known.contains(*r));
    if missing.is_empty() {
        return None;
    }
    missing.sort_unstable();
    let sample: Vec<&str> = missing.iter().take(REF_SAMPLES).copied().collect();
    Some(format!(
        "{} referenced objects are neither in this file nor in the store (kept as dangling references), e.g. {}",
        missing.len(),
        sample.join(", ")
    ))
}
