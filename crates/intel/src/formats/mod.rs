//! Non-STIX formats and their recognition by content.
//!
//! Every importer turns its input into STIX objects (`serde_json` maps) that the
//! import pipeline then validates and writes exactly like a bundle's objects. An
//! importer never writes to the store and never prints. Conventions for all of them:
//! - ids are deterministic ([`stormwatch_model::deterministic_id`], docs/CLI.md "Ids"):
//!   re-importing the same content adds nothing;
//! - every object has `created_by_ref` pointing at the identity of the publisher of the
//!   data (built with [`source_identity`], included in the output);
//! - `created`/`modified` come from the data when it has dates, else [`UNKNOWN_TIME`]
//!   (stable, so re-imports stay idempotent) and the date a claim was made stays null;
//! - every object carries a `confidence`;
//! - a record that cannot be converted becomes a [`RecordError`] naming its line or
//!   index and the field at fault; the pipeline then imports nothing from the file
//!   unless `--skip-invalid`.

pub mod indicators;
pub mod kev;
pub mod misp_event;
pub mod misp_galaxy;
pub mod ms_mapping;

use serde_json::{json, Map, Value};

/// `created`/`modified` for objects whose source gives no date.
pub const UNKNOWN_TIME: &str = "1970-01-01T00:00:00.000Z";

/// A format recognised by content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A STIX bundle or a lone STIX object.
    Stix,
}

/// Objects converted from a non-STIX input.
#[derive(Debug, Default)]
pub struct Converted {
    /// Format name reported by `import` (e.g. `ms-mapping-2025`, `misp-galaxy`).
    pub format: String,
    /// STIX objects, in a stable order.
    pub objects: Vec<Map<String, Value>>,
    /// Source records that could not be converted.
    pub rejected: Vec<RecordError>,
    /// Things worth telling the user that are not errors.
    pub warnings: Vec<String>,
}

/// A source record that could not be converted.
#[derive(Debug, Clone)]
pub struct RecordError {
    /// 0-based record index in the input (array element, CSV row after the header...).
    pub index: usize,
    /// 1-based line in the input, 0 when unknown.
    pub line: usize,
    /// The record's own key when it has one (a uuid, a CVE id, a value).
    pub id: Option<String>,
    /// What is wrong, naming the field: `field "uuid": is missing`.
    pub error: String,
}

/// A whole input that could not be converted.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct FormatError(pub String);

/// An identity object for the publisher of some data, with a deterministic id
/// (publisher "stormwatch", natural key = the name).
pub fn source_identity(name: &str, identity_class: &str) -> Map<String, Value> {
    let id = stormwatch_model::deterministic_id("stormwatch", "identity", name);
    let v = json!({
        "type": "identity",
        "spec_version": "2.1",
        "id": id,
        "created": UNKNOWN_TIME,
        "modified": UNKNOWN_TIME,
        "name": name,
        "identity_class": identity_class,
    });
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// The id [`source_identity`] gives `name`.
pub fn source_identity_id(name: &str) -> String {
    stormwatch_model::deterministic_id("stormwatch", "identity", name)
}

/// 1-based line of each raw element of `text` (offsets increase, so one pass over
/// the text). Shared by the converters that report record lines.
pub(crate) fn element_lines(text: &str, raws: &[&serde_json::value::RawValue]) -> Vec<usize> {
    let bytes = text.as_bytes();
    let base = text.as_ptr() as usize;
    let mut line = 1usize;
    let mut pos = 0usize;
    raws.iter()
        .map(|r| {
            let off = (r.get().as_ptr() as usize)
                .saturating_sub(base)
                .min(bytes.len());
            if off >= pos {
                line += bytes[pos..off].iter().filter(|&&b| b == b'\n').count();
                pos = off;
            }
            line
        })
        .collect()
}
