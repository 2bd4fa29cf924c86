//! Microsoft's threat actor naming map (microsoft/mstic, PublicFeeds/ThreatActorNaming,
//! MicrosoftMapping.json), in both published layouts:
//!
//! - 2025 and later (`ms-mapping-2025`): an array of `{"Threat actor name",
//!   "Origin/Threat", "Other names"}`, the other names as one comma-separated string;
//! - 2023 (`ms-mapping-2023`, the first published version of 2023-04-19): an array of
//!   `{"Previous name", "New name", "Origin/Threat", "Other names"}`, the other names
//!   as an array.
//!
//! Every actor becomes one `intrusion-set` made by the identity "Microsoft": `name` is
//! Microsoft's name, `aliases` the other names (and, for 2023, the previous name) —
//! the alias list is Microsoft's same-as claim. Both layouts give one actor the same
//! id (natural key `ms-actor|<normalized name>`), and the versions differ by
//! `modified`:
//! - `created` is [`UNKNOWN_TIME`] (the file does not say when an actor was named);
//! - `modified` of the 2023 layout is 2023-04-19, the date of that version
//!   (shared/data/SOURCES.md: "MicrosoftMapping-2023-04-19.json ... the first
//!   published version");
//! - `modified` of the current layout is 2026-07-01: SOURCES.md calls the file the
//!   "2026-07 version" and the file itself carries no date. A later file in the same
//!   layout gets the same `modified` (nothing in it says it is newer).
//!
//! Custom properties: `x_ms_origin_threat` (the "Origin/Threat" verbatim, `""` when
//! empty or absent), `x_ms_previous_name` (2023 layout, verbatim) and
//! `x_ms_mapping_layout` (`"2023"` or `"2025"`). Records that name the same actor
//! (the 2023 file lists Cotton Sandstorm, Pearl Sleet and Pink Sandstorm twice, once
//! under their element name and once under `DEV-#### (ELEMENT)`) become one object
//! with the union of the aliases; then `x_ms_previous_names` lists every previous
//! name and a warning says so.

use std::collections::{HashMap, HashSet};

use serde_json::value::RawValue;
use serde_json::{json, Map, Value};

use super::{
    source_identity, source_identity_id, Converted, FormatError, RecordError, UNKNOWN_TIME,
};
use crate::sources;

/// Publisher identity of the mapping.
pub const PUBLISHER: &str = "Microsoft";
/// Format name of the 2023 layout.
pub const FORMAT_2023: &str = "ms-mapping-2023";
/// Format name of the 2025+ layout.
pub const FORMAT_2025: &str = "ms-mapping-2025";
/// `modified` of objects from the 2023 layout: the version's date (SOURCES.md).
pub const MODIFIED_2023: &str = "2023-04-19T00:00:00.000Z";
/// `modified` of objects from the current layout: SOURCES.md's "2026-07 version".
pub const MODIFIED_CURRENT: &str = "2026-07-01T00:00:00.000Z";
/// Where Microsoft publishes the current file (the URL the MISP
/// microsoft-activity-group galaxy cites for it).
pub const CURRENT_URL: &str =
    "https://raw.githubusercontent.com/microsoft/mstic/master/PublicFeeds/ThreatActorNaming/MicrosoftMapping.json";

const K_NAME_2025: &str = "Threat actor name";
const K_NEW: &str = "New name";
const K_PREVIOUS: &str = "Previous name";
const K_ORIGIN: &str = "Origin/Threat";
const K_OTHER: &str = "Other names";

/// Which layout a mapping file has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// `Previous name`, `New name`, `Origin/Threat`, `Other names` (array).
    V2023,
    /// `Threat actor name`, `Origin/Threat`, `Other names` (comma-separated string).
    V2025,
}

impl Layout {
    /// The format name reported by `import`.
    pub fn format_name(self) -> &'static str {
        match self {
            Layout::V2023 => FORMAT_2023,
            Layout::V2025 => FORMAT_2025,
        }
    }

    /// The value of `x_ms_mapping_layout`.
    pub fn label(self) -> &'static str {
        match self {
            Layout::V2023 => "2023",
            Layout::V2025 => "2025",
        }
    }

    /// The key holding the actor's (current) name.
    pub fn name_key(self) -> &'static str {
        match self {
            Layout::V2023 => K_NEW,
            Layout::V2025 => K_NAME_2025,
        }
    }

    /// The keys of one record.
    pub fn expected_keys(self) -> &'static [&'static str] {
        match self {
            Layout::V2023 => &[K_PREVIOUS, K_NEW, K_ORIGIN, K_OTHER],
            Layout::V2025 => &[K_NAME_2025, K_ORIGIN, K_OTHER],
        }
    }

    fn modified(self) -> &'static str {
        match self {
            Layout::V2023 => MODIFIED_2023,
            Layout::V2025 => MODIFIED_CURRENT,
        }
    }

    fn reference(self) -> &'static str {
        match self {
            Layout::V2023 => "Microsoft threat actor naming map, MicrosoftMapping.json, first published version (2023-04-19)",
            Layout::V2025 => "Microsoft threat actor naming map, MicrosoftMapping.json (2026-07 version)",
        }
    }
}

fn record_layout(m: &Map<String, Value>) -> Option<Layout> {
    if m.contains_key(K_NAME_2025) {
        Some(Layout::V2025)
    } else if m.contains_key(K_NEW) || m.contains_key(K_PREVIOUS) {
        Some(Layout::V2023)
    } else {
        None
    }
}

/// The layout of one record (an object) or of a whole file (an array: the layout of
/// its first record that has one), recognised from the keys.
pub fn layout(v: &Value) -> Option<Layout> {
    match v {
        Value::Object(m) => record_layout(m),
        Value::Array(a) => a.iter().find_map(|r| r.as_object().and_then(record_layout)),
        _ => None,
    }
}

/// True when `v` (a whole parsed file) is a Microsoft mapping in either layout.
pub fn detect(v: &Value) -> bool {
    matches!(v, Value::Array(_)) && layout(v).is_some()
}

/// One actor as read from one record.
struct Entry {
    index: usize,
    line: usize,
    name: String,
    origin: String,
    previous: Option<String>,
    aliases: Vec<String>,
}

/// `DEV-0198 (NEPTUNIUM)` -> `DEV-0198`, `NEPTUNIUM`; other names unchanged.
fn split_parenthesised(s: &str) -> Vec<&str> {
    let s = s.trim();
    if let (Some(open), true) = (s.find('('), s.ends_with(')')) {
        let before = s[..open].trim();
        let inside = s[open + 1..s.len() - 1].trim();
        if !before.is_empty() && !inside.is_empty() {
            return vec![before, inside];
        }
    }
    vec![s]
}

fn field_err(key: &str, what: &str) -> String {
    format!("field {key:?}: {what}")
}

fn read_entry(
    index: usize,
    line: usize,
    m: &Map<String, Value>,
    layout: Layout,
) -> Result<Entry, String> {
    let name_key = layout.name_key();
    let name = match m.get(name_key) {
        None => {
            let hint = match record_layout(m) {
                Some(other) if other != layout => format!(
                    " (the record has the {} layout's keys; the file's first record has the {} layout)",
                    other.label(),
                    layout.label()
                ),
                _ => String::new(),
            };
            return Err(field_err(name_key, &format!("is missing{hint}")));
        }
        Some(Value::String(s)) => s.trim().to_owned(),
        Some(_) => return Err(field_err(name_key, "must be a string")),
    };
    if name.is_empty() {
        return Err(field_err(name_key, "is empty"));
    }
    if stormwatch_model::normalize_name(&name).is_empty() {
        return Err(field_err(name_key, "has no letters or digits"));
    }
    let origin = match m.get(K_ORIGIN) {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(field_err(K_ORIGIN, "must be a string")),
    };
    let mut raw_names: Vec<String> = Vec::new();
    match m.get(K_OTHER) {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) => raw_names.extend(s.split(',').map(str::to_owned)),
        Some(Value::Array(a)) => {
            for (i, v) in a.iter().enumerate() {
                match v {
                    Value::String(s) => raw_names.push(s.clone()),
                    _ => return Err(field_err(&format!("{K_OTHER}[{i}]"), "must be a string")),
                }
            }
        }
        Some(_) => {
            return Err(field_err(
                K_OTHER,
                "must be a comma-separated string or a list of strings",
            ))
        }
    }
    let previous = match (layout, m.get(K_PREVIOUS)) {
        (Layout::V2023, Some(Value::String(s))) => Some(s.trim().to_owned()),
        (Layout::V2023, None | Some(Value::Null)) => None,
        (Layout::V2023, Some(_)) => return Err(field_err(K_PREVIOUS, "must be a string")),
        (Layout::V2025, _) => None,
    };
    if let Some(p) = &previous {
        raw_names.extend(split_parenthesised(p).into_iter().map(str::to_owned));
    }
    let mut entry = Entry {
        index,
        line,
        name,
        origin,
        previous,
        aliases: Vec::new(),
    };
    let mut seen: HashSet<String> = HashSet::from([entry.name.to_lowercase()]);
    for n in raw_names {
        add_alias(&mut entry.aliases, &mut seen, &n);
    }
    Ok(entry)
}

/// Adds a trimmed, non-empty alias not yet present (case-insensitively).
fn add_alias(list: &mut Vec<String>, seen: &mut HashSet<String>, alias: &str) {
    let a = alias.trim();
    if !a.is_empty() && seen.insert(a.to_lowercase()) {
        list.push(a.to_owned());
    }
}

/// Converts a mapping file (either layout) to STIX: the "Microsoft" identity, then one
/// intrusion-set per actor in file order.
pub fn convert(text: &str) -> Result<Converted, FormatError> {
    let raws: Vec<&RawValue> = serde_json::from_str(text).map_err(|e| {
        FormatError(format!(
            "not a Microsoft threat actor mapping (expected a JSON array of records): {e}"
        ))
    })?;
    if raws.is_empty() {
        return Err(FormatError(
            "the Microsoft threat actor mapping has no records".into(),
        ));
    }
    let lines = super::element_lines(text, &raws);
    let mut out = Converted::default();
    // Parse every record; keep the object ones for layout detection.
    // (index, line, the record if it is an object)
    type Record = (usize, usize, Result<Map<String, Value>, String>);
    let mut records: Vec<Record> = Vec::new();
    for (index, raw) in raws.iter().enumerate() {
        let line = lines.get(index).copied().unwrap_or(0);
        let map =
            serde_json::from_str::<Map<String, Value>>(raw.get()).map_err(|e| match e.classify() {
                serde_json::error::Category::Data => "is not a JSON object".to_owned(),
                _ => e.to_string(),
            });
        records.push((index, line, map));
    }
    let Some(layout) = records
        .iter()
        .find_map(|(_, _, m)| m.as_ref().ok().and_then(record_layout))
    else {
        let mut found: Vec<&str> = records
            .iter()
            .filter_map(|(_, _, m)| m.as_ref().ok())
            .flat_map(|m| m.keys().map(String::as_str))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        found.truncate(20);
        let quote = |ks: &[&str]| {
            ks.iter()
                .map(|k| format!("{k:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        return Err(FormatError(format!(
            "not a Microsoft threat actor mapping: the records have keys [{}]; expected [{}] (2025 layout) or [{}] (2023 layout)",
            quote(&found),
            quote(Layout::V2025.expected_keys()),
            quote(Layout::V2023.expected_keys()),
        )));
    };
    out.format = layout.format_name().to_owned();

    // Read entries, merging records that name the same actor.
    let mut entries: Vec<Entry> = Vec::new();
    let mut by_key: HashMap<String, usize> = HashMap::new();
    let mut merged: Vec<Vec<String>> = Vec::new(); // previous names per entry
    let mut merge_notes: Vec<String> = Vec::new();
    for (index, line, map) in records {
        let map = match map {
            Ok(m) => m,
            Err(error) => {
                out.rejected.push(RecordError {
                    index,
                    line,
                    id: None,
                    error,
                });
                continue;
            }
        };
        let entry = match read_entry(index, line, &map, layout) {
            Ok(e) => e,
            Err(error) => {
                let id = map
                    .get(layout.name_key())
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                out.rejected.push(RecordError {
                    index,
                    line,
                    id,
                    error,
                });
                continue;
            }
        };
        let key = stormwatch_model::normalize_name(&entry.name);
        match by_key.get(&key) {
            Some(&i) => {
                let first = &mut entries[i];
                let mut seen: HashSet<String> = first
                    .aliases
                    .iter()
                    .map(|a| a.to_lowercase())
                    .chain([first.name.to_lowercase()])
                    .collect();
                for a in &entry.aliases {
                    add_alias(&mut first.aliases, &mut seen, a);
                }
                if let Some(p) = &entry.previous {
                    merged[i].push(p.clone());
                }
                let origin_note = if entry.origin != first.origin {
                    format!(
                        "; its Origin/Threat {:?} differs from the first record's {:?} (kept the first)",
                        entry.origin, first.origin
                    )
                } else {
                    String::new()
                };
                merge_notes.push(format!(
                    "records {} and {} (lines {} and {}) both name {:?}: merged into one intrusion-set{origin_note}",
                    first.index, entry.index, first.line, entry.line, first.name
                ));
            }
            None => {
                by_key.insert(key, entries.len());
                merged.push(entry.previous.iter().cloned().collect());
                entries.push(entry);
            }
        }
    }
    out.warnings.extend(merge_notes);

    let grade = sources::grade(PUBLISHER);
    let class = sources::lookup(PUBLISHER).map_or("organization", |s| s.identity_class);
    out.objects.push(source_identity(PUBLISHER, class));
    let created_by = source_identity_id(PUBLISHER);
    let mut ext = json!({"source_name": PUBLISHER, "description": layout.reference()});
    if layout == Layout::V2025 {
        ext["url"] = json!(CURRENT_URL);
    }
    for (e, previous) in entries.iter().zip(&merged) {
        let id = stormwatch_model::deterministic_id(
            PUBLISHER,
            "intrusion-set",
            &format!("ms-actor|{}", stormwatch_model::normalize_name(&e.name)),
        );
        let mut m = Map::new();
        m.insert("type".into(), json!("intrusion-set"));
        m.insert("spec_version".into(), json!("2.1"));
        m.insert("id".into(), json!(id));
        m.insert("created".into(), json!(UNKNOWN_TIME));
        m.insert("modified".into(), json!(layout.modified()));
        m.insert("created_by_ref".into(), json!(created_by));
        m.insert("name".into(), json!(e.name));
        if !e.aliases.is_empty() {
            m.insert("aliases".into(), json!(e.aliases));
        }
        m.insert("confidence".into(), json!(grade.confidence()));
        m.insert("external_references".into(), json!([ext]));
        m.insert("x_ms_origin_threat".into(), json!(e.origin));
        if let Some(p) = &e.previous {
            m.insert("x_ms_previous_name".into(), json!(p));
        }
        if previous.len() > 1 {
            m.insert("x_ms_previous_names".into(), json!(previous));
        }
        m.insert("x_ms_mapping_layout".into(), json!(layout.label()));
        out.objects.push(m);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_layouts_give_one_id() {
        let a = convert(r#"[{"Threat actor name": "Salt Typhoon", "Origin/Threat": "China", "Other names": "OPERATOR PANDA, GhostEmperor, , ghostemperor"}]"#).unwrap();
        let b = convert(r#"[{"Previous name": "DEV-0001 (ZINC)", "New name": "Salt  Typhoon", "Origin/Threat": "", "Other names": ["X"]}]"#).unwrap();
        assert_eq!(a.format, FORMAT_2025);
        assert_eq!(b.format, FORMAT_2023);
        assert_eq!(a.objects[1]["id"], b.objects[1]["id"]);
        assert_ne!(a.objects[1]["modified"], b.objects[1]["modified"]);
        assert_eq!(
            a.objects[1]["aliases"],
            json!(["OPERATOR PANDA", "GhostEmperor"])
        );
        assert_eq!(b.objects[1]["aliases"], json!(["X", "DEV-0001", "ZINC"]));
        assert_eq!(b.objects[1]["x_ms_origin_threat"], json!(""));
    }

    #[test]
    fn unknown_keys_and_missing_names() {
        let e = convert(r#"[{"actor": "x", "country": "y"}]"#).unwrap_err();
        assert!(
            e.0.contains("\"actor\"") && e.0.contains("Threat actor name"),
            "{e}"
        );
        let c =
            convert("[{\"Threat actor name\": \"A Typhoon\"},\n{\"Origin/Threat\": \"China\"}]")
                .unwrap();
        assert_eq!(c.rejected.len(), 1);
        assert_eq!((c.rejected[0].index, c.rejected[0].line), (1, 2));
        assert!(c.rejected[0].error.contains("Threat actor name"));
        assert!(convert("{}").is_err());
        assert!(convert("[]").is_err());
    }
}
