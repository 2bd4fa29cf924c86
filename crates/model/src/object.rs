//! A STIX object as Stormwatch keeps it: the JSON text exactly as received (or as
//! upgraded), plus the metadata every other crate indexes and displays.

use serde_json::{Map, Value};
use std::borrow::Cow;

use crate::spec::{self, Category};
use crate::Timestamp;

/// An external identifier such as ATT&CK `T1190`, `G1045` or `CVE-2023-20198`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalId {
    /// `source_name` of the external reference (e.g. `mitre-attack`, `cve`).
    pub source: String,
    pub id: String,
}

/// A directed edge from a relationship or sighting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    /// `relationship_type`, or `sighted` for a sighting.
    pub kind: String,
    pub source: String,
    pub target: String,
}

/// Metadata extracted from one object; everything the store indexes.
#[derive(Debug, Clone, Default)]
pub struct ObjectMeta {
    pub id: String,
    pub type_name: String,
    pub spec_version: String,
    pub created: Option<Timestamp>,
    pub modified: Option<Timestamp>,
    pub revoked: bool,
    /// ATT&CK's `x_mitre_deprecated`.
    pub deprecated: bool,
    /// Display name: `name`, else `value` (SCOs), else an indicator's pattern.
    pub name: Option<String>,
    /// `aliases`, `x_mitre_aliases` and any other `*_aliases` list.
    pub aliases: Vec<String>,
    pub description: Option<String>,
    pub external_ids: Vec<ExternalId>,
    pub created_by_ref: Option<String>,
    /// `object_marking_refs` and granular marking refs.
    pub markings: Vec<String>,
    pub edges: Vec<Edge>,
    /// Other embedded references: (property, target id).
    pub refs: Vec<(String, String)>,
}

impl ObjectMeta {
    /// The version key: `modified`, else `created`, else empty (unversioned SCOs).
    pub fn version_key(&self) -> String {
        self.modified
            .or(self.created)
            .map(|t| t.key())
            .unwrap_or_default()
    }

    /// Extracts metadata from a parsed object. Never fails: missing or mistyped
    /// properties simply stay empty (validation reports them).
    pub fn from_map(map: &Map<String, Value>) -> ObjectMeta {
        let s = |k: &str| map.get(k).and_then(Value::as_str);
        let ts = |k: &str| s(k).and_then(|v| Timestamp::parse(v).ok());
        let type_name = s("type").unwrap_or_default().to_owned();
        let category = spec::category_of(&type_name, map.contains_key("created"));
        let name = s("name")
            .or_else(|| s("value"))
            .or_else(|| (type_name == "indicator").then(|| s("pattern")).flatten())
            .map(str::to_owned);
        let mut aliases = Vec::new();
        for (k, v) in map {
            if k == "aliases" || k.ends_with("_aliases") {
                if let Some(list) = v.as_array() {
                    for a in list.iter().filter_map(Value::as_str) {
                        if Some(a) != name.as_deref() && !aliases.iter().any(|x| x == a) {
                            aliases.push(a.to_owned());
                        }
                    }
                }
            }
        }
        let mut external_ids = Vec::new();
        if let Some(refs) = map.get("external_references").and_then(Value::as_array) {
            for r in refs {
                if let (Some(src), Some(id)) = (
                    r.get("source_name").and_then(Value::as_str),
                    r.get("external_id").and_then(Value::as_str),
                ) {
                    external_ids.push(ExternalId {
                        source: src.to_owned(),
                        id: id.to_owned(),
                    });
                }
            }
        }
        // Real files (CISA's advisory) name techniques only inside the name:
        // "Execution / System Services [T1569] (ENT)".
        // CISA's file names vulnerabilities "CVE-2024-3400" without a cve reference.
        if type_name == "vulnerability" && !external_ids.iter().any(|e| e.source == "cve") {
            if let Some(n) = name.as_deref().filter(|n| is_cve_id(n)) {
                external_ids.push(ExternalId {
                    source: "name".into(),
                    id: n.to_owned(),
                });
            }
        }
        if type_name == "attack-pattern" && external_ids.is_empty() {
            if let Some(id) = name.as_deref().and_then(bracketed_attack_id) {
                external_ids.push(ExternalId {
                    source: "name".into(),
                    id,
                });
            }
        }
        let mut markings: Vec<String> = str_list(map.get("object_marking_refs"));
        if let Some(g) = map.get("granular_markings").and_then(Value::as_array) {
            for m in g {
                if let Some(r) = m.get("marking_ref").and_then(Value::as_str) {
                    if !markings.iter().any(|x| x == r) {
                        markings.push(r.to_owned());
                    }
                }
            }
        }
        let mut edges = Vec::new();
        let id = s("id").unwrap_or_default().to_owned();
        match type_name.as_str() {
            "relationship" => {
                if let (Some(k), Some(a), Some(b)) =
                    (s("relationship_type"), s("source_ref"), s("target_ref"))
                {
                    edges.push(Edge {
                        kind: k.to_owned(),
                        source: a.to_owned(),
                        target: b.to_owned(),
                    });
                }
            }
            "sighting" => {
                if let Some(of) = s("sighting_of_ref") {
                    let mut by = str_list(map.get("where_sighted_refs"));
                    if by.is_empty() {
                        by.push(id.clone());
                    }
                    for b in by {
                        edges.push(Edge {
                            kind: "sighted".into(),
                            source: b,
                            target: of.to_owned(),
                        });
                    }
                }
            }
            _ => {}
        }
        let mut refs = Vec::new();
        for (k, v) in map {
            let core = matches!(
                k.as_str(),
                "created_by_ref" | "object_marking_refs" | "source_ref" | "target_ref"
            ) || (type_name == "sighting"
                && matches!(k.as_str(), "sighting_of_ref" | "where_sighted_refs"));
            if core {
                continue;
            }
            if k.ends_with("_ref") {
                if let Some(t) = v.as_str() {
                    refs.push((k.clone(), t.to_owned()));
                }
            } else if k.ends_with("_refs") {
                for t in str_list(Some(v)) {
                    refs.push((k.clone(), t));
                }
            }
        }
        ObjectMeta {
            spec_version: s("spec_version")
                .unwrap_or(if category == Category::Sco { "2.1" } else { "" })
                .to_owned(),
            id,
            created: ts("created"),
            modified: ts("modified"),
            revoked: map.get("revoked").and_then(Value::as_bool).unwrap_or(false),
            deprecated: map
                .get("x_mitre_deprecated")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            name,
            aliases,
            description: s("description").map(str::to_owned),
            external_ids,
            created_by_ref: s("created_by_ref").map(str::to_owned),
            markings,
            edges,
            refs,
            type_name,
        }
    }
}

fn str_list(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// `[T1569]`, `[T1059.008]` or `[TA0010]` inside a name.
fn bracketed_attack_id(name: &str) -> Option<String> {
    let mut rest = name;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        let close = after.find(']')?;
        let inner = &after[..close];
        if is_attack_id(inner) {
            return Some(inner.to_owned());
        }
        rest = &after[close..];
    }
    None
}

/// `CVE-YYYY-NNNN...` (four or more digits after the year).
pub fn is_cve_id(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 13
        && b[..4].eq_ignore_ascii_case(b"CVE-")
        && b[4..8].iter().all(u8::is_ascii_digit)
        && b[8] == b'-'
        && b[9..].iter().all(u8::is_ascii_digit)
}

/// `T1234`, `T1234.567` or `TA1234`.
pub fn is_attack_id(s: &str) -> bool {
    let b = s.as_bytes();
    let body = if b.starts_with(b"TA") {
        &b[2..]
    } else if b.starts_with(b"T") {
        &b[1..]
    } else {
        return false;
    };
    match body.len() {
        4 => body.iter().all(u8::is_ascii_digit),
        8 => {
            body[..4].iter().all(u8::is_ascii_digit)
                && body[4] == b'.'
                && body[5..].iter().all(u8::is_ascii_digit)
                && !b.starts_with(b"TA")
        }
        _ => false,
    }
}

/// An object ready to store: its JSON text and its metadata.
#[derive(Debug, Clone)]
pub struct StixObject<'a> {
    /// The JSON text to store and export: the input bytes when unchanged.
    pub text: Cow<'a, str>,
    pub meta: ObjectMeta,
}

/// Splits an identifier `type--uuid` into its parts, if it has that shape.
pub fn split_id(id: &str) -> Option<(&str, &str)> {
    let (t, u) = id.split_once("--")?;
    Some((t, u))
}

/// Whether `t` is a syntactically valid STIX type name (3-250 chars of a-z, 0-9, `-`).
pub fn is_valid_type_name(t: &str) -> bool {
    (3..=250).contains(&t.len())
        && t.bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
        && !t.starts_with('-')
        && !t.ends_with('-')
        && !t.contains("--")
}

/// Checks an identifier: `type--UUID` with a valid type name and an RFC 4122 UUID
/// in canonical hyphenated form. Returns the type part.
pub fn check_id(id: &str) -> Result<&str, String> {
    let Some((t, u)) = split_id(id) else {
        return Err(format!(
            "{id:?} is not an identifier of the form type--UUID"
        ));
    };
    if !is_valid_type_name(t) {
        return Err(format!("{id:?} has an invalid type part {t:?}"));
    }
    if u.len() != 36 || uuid::Uuid::try_parse(u).is_err() {
        return Err(format!("{id:?} does not end in a hyphenated UUID"));
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attack_ids() {
        assert!(is_attack_id("T1190"));
        assert!(is_attack_id("T1059.008"));
        assert!(is_attack_id("TA0010"));
        assert!(!is_attack_id("TA0010.001"));
        assert!(!is_attack_id("T119"));
        assert_eq!(
            bracketed_attack_id("Execution / System Services [T1569] (ENT)").as_deref(),
            Some("T1569")
        );
        assert_eq!(
            bracketed_attack_id("Foo [bar] [T1059.008]").as_deref(),
            Some("T1059.008")
        );
        assert_eq!(bracketed_attack_id("no id ["), None);
    }

    #[test]
    fn ids() {
        assert_eq!(
            check_id("identity--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5"),
            Ok("identity")
        );
        assert!(check_id("identity-c78cb6e5").is_err());
        assert!(check_id("Identity--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5").is_err());
        assert!(check_id("identity--c78cb6e50c4b46118297d1b8b55e40b5").is_err());
        assert!(check_id("identity--zzzzzzzz-0c4b-4611-8297-d1b8b55e40b5").is_err());
    }

    #[test]
    fn meta_of_relationship_and_aliases() {
        let v: Value = serde_json::json!({
            "type": "intrusion-set", "id": "intrusion-set--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5",
            "name": "Salt Typhoon", "aliases": ["Salt Typhoon", "GhostEmperor"],
            "x_mitre_aliases": ["GhostEmperor", "RedMike"],
            "external_references": [{"source_name": "mitre-attack", "external_id": "G1045"}],
            "created": "2024-01-01T00:00:00.000Z", "modified": "2024-02-01T00:00:00.000Z",
            "object_marking_refs": ["marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"]
        });
        let m = ObjectMeta::from_map(v.as_object().unwrap());
        assert_eq!(m.name.as_deref(), Some("Salt Typhoon"));
        assert_eq!(m.aliases, vec!["GhostEmperor", "RedMike"]);
        assert_eq!(m.external_ids[0].id, "G1045");
        assert_eq!(m.version_key(), "2024-02-01T00:00:00.000000000Z");
        assert_eq!(m.markings.len(), 1);
    }
}

/// Normalises a name for lookup: lower-case letters and digits only, so that
/// "Salt Typhoon", "salt-typhoon" and "SaltTyphoon" are one key.
pub fn normalize_name(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod norm_tests {
    #[test]
    fn normalizes() {
        assert_eq!(super::normalize_name("Salt-Typhoon "), "salttyphoon");
        assert_eq!(super::normalize_name("UNC5807"), "unc5807");
    }
}
