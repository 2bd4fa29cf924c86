//! Validation of the STIX 2.1 MUSTs for one object, driven by the tables in
//! [`crate::spec`]. Errors reject the object; warnings are reported and kept.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::object::check_id;
use crate::spec::{self, Category, Target};
use crate::Timestamp;

/// How serious an issue is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A MUST of the specification is broken: the object is rejected.
    Error,
    /// Kept, but worth knowing.
    Warning,
}

/// One problem found in an object, naming the property (a JSON path such as
/// `external_references[2].source_name`) where there is one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    pub severity: Severity,
    pub property: Option<String>,
    pub message: String,
}

impl std::fmt::Display for Issue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.property {
            Some(p) => write!(f, "property {p}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

struct Checker {
    issues: Vec<Issue>,
}

impl Checker {
    fn error(&mut self, property: impl Into<Option<String>>, message: impl Into<String>) {
        self.issues.push(Issue {
            severity: Severity::Error,
            property: property.into(),
            message: message.into(),
        });
    }
    fn warn(&mut self, property: impl Into<Option<String>>, message: impl Into<String>) {
        self.issues.push(Issue {
            severity: Severity::Warning,
            property: property.into(),
            message: message.into(),
        });
    }

    fn timestamp(&mut self, map: &Map<String, Value>, key: &str) -> Option<Timestamp> {
        let v = map.get(key)?;
        match v.as_str() {
            None => {
                self.error(key.to_owned(), "must be a timestamp string");
                None
            }
            Some(s) => match Timestamp::parse(s) {
                Ok(t) => Some(t),
                Err(e) => {
                    self.error(key.to_owned(), e.to_string());
                    None
                }
            },
        }
    }

    fn order(&mut self, map: &Map<String, Value>, early: &str, late: &str, strict: bool) {
        let (Some(a), Some(b)) = (
            self.timestamp_quiet(map, early),
            self.timestamp_quiet(map, late),
        ) else {
            return;
        };
        if b < a || (strict && a == b) {
            let rel = if strict { "later than" } else { "at or after" };
            self.error(
                late.to_owned(),
                format!("must be {rel} {early} ({a} > {b})"),
            );
        }
    }

    fn timestamp_quiet(&self, map: &Map<String, Value>, key: &str) -> Option<Timestamp> {
        Timestamp::parse(map.get(key)?.as_str()?).ok()
    }

    /// Checks a reference property; `strict` makes a malformed custom reference an error.
    fn reference(&mut self, key: &str, v: &Value, target: Option<Target>) {
        let one = |this: &mut Checker, path: String, v: &Value| {
            let Some(s) = v.as_str() else {
                this.report(
                    target.is_some(),
                    path,
                    "must be an identifier string".into(),
                );
                return;
            };
            match check_id(s) {
                Err(e) => this.report(target.is_some(), path, e),
                Ok(t) => {
                    if let Some(target) = target {
                        if !spec::target_accepts(target, t) {
                            this.error(
                                path,
                                format!(
                                    "points at a {t}, but must point at {}",
                                    spec::describe_target(target)
                                ),
                            );
                        }
                    }
                }
            }
        };
        if key.ends_with("_refs") {
            match v.as_array() {
                None => self.report(
                    target.is_some(),
                    key.to_owned(),
                    "must be a list of identifiers".into(),
                ),
                Some(list) => {
                    if list.is_empty() {
                        self.warn(
                            key.to_owned(),
                            "is an empty list (STIX lists must not be empty)",
                        );
                    }
                    for (i, item) in list.iter().enumerate() {
                        one(self, format!("{key}[{i}]"), item);
                    }
                }
            }
        } else {
            one(self, key.to_owned(), v);
        }
    }

    fn report(&mut self, error: bool, path: String, msg: String) {
        if error {
            self.error(path, msg);
        } else {
            self.warn(path, msg);
        }
    }
}

/// Validates one object against the STIX 2.1 MUSTs.
pub fn validate(map: &Map<String, Value>) -> Vec<Issue> {
    let mut c = Checker { issues: Vec::new() };
    let type_name = match map.get("type") {
        Some(Value::String(t)) => {
            if !crate::object::is_valid_type_name(t) {
                c.error(
                    "type".to_owned(),
                    format!(
                        "{t:?} is not a valid type name (3-250 characters of a-z, 0-9 and '-')"
                    ),
                );
            }
            t.as_str()
        }
        Some(_) => {
            c.error("type".to_owned(), "must be a string");
            ""
        }
        None => {
            c.error("type".to_owned(), "is required");
            ""
        }
    };
    match map.get("id") {
        Some(Value::String(id)) => match check_id(id) {
            Err(e) => c.error("id".to_owned(), e),
            Ok(t) if !type_name.is_empty() && t != type_name => c.error(
                "id".to_owned(),
                format!("type part {t:?} differs from the object's type {type_name:?}"),
            ),
            Ok(_) => {}
        },
        Some(_) => c.error("id".to_owned(), "must be a string"),
        None => c.error("id".to_owned(), "is required"),
    }
    if type_name.is_empty() {
        return c.issues;
    }
    let spec_entry = spec::lookup(type_name);
    let category = spec::category_of(type_name, map.contains_key("created"));

    for &req in spec::common_required(category)
        .iter()
        .chain(spec_entry.map(|s| s.required).unwrap_or(&[]))
    {
        if req != "type" && req != "id" && !map.contains_key(req) {
            c.error(req.to_owned(), "is required");
        }
    }
    for group in spec_entry.map(|s| s.one_of).unwrap_or(&[]) {
        if !group.iter().any(|k| map.contains_key(*k)) {
            c.error(
                None,
                format!("at least one of {} is required", group.join(", ")),
            );
        }
    }
    if let Some(v) = map.get("spec_version") {
        match v.as_str() {
            Some("2.1") => {}
            Some(other) => c.error(
                "spec_version".to_owned(),
                format!(
                    "is {other:?}; Stormwatch stores STIX 2.1 (2.0 input is upgraded on import)"
                ),
            ),
            None => c.error("spec_version".to_owned(), "must be a string"),
        }
    }

    c.timestamp(map, "created");
    c.timestamp(map, "modified");
    c.order(map, "created", "modified", false);
    if let Some(s) = spec_entry {
        for ts in s.timestamps {
            c.timestamp(map, ts);
        }
    }
    c.order(map, "first_seen", "last_seen", false);
    c.order(map, "first_observed", "last_observed", false);
    c.order(map, "valid_from", "valid_until", true);
    c.order(map, "start_time", "stop_time", true);

    // References: typed ones from the tables, then any other *_ref(s) by syntax.
    let typed: Vec<(&str, Target)> = spec::COMMON_REFS
        .iter()
        .chain(spec_entry.map(|s| s.refs).unwrap_or(&[]))
        .copied()
        .collect();
    for (k, v) in map {
        if !(k.ends_with("_ref") || k.ends_with("_refs")) {
            continue;
        }
        let target = typed.iter().find(|(name, _)| name == k).map(|(_, t)| *t);
        c.reference(k, v, target);
    }

    if let Some(v) = map.get("revoked") {
        if !v.is_boolean() {
            c.error("revoked".to_owned(), "must be a boolean");
        }
    }
    if let Some(v) = map.get("confidence") {
        match v.as_u64() {
            Some(n) if n <= 100 => {}
            _ => c.error("confidence".to_owned(), "must be an integer from 0 to 100"),
        }
    }
    for key in ["labels", "aliases"] {
        if let Some(v) = map.get(key) {
            if !v.as_array().is_some_and(|a| a.iter().all(Value::is_string)) {
                c.error(key.to_owned(), "must be a list of strings");
            }
        }
    }
    for key in ["name", "description", "lang"] {
        if let Some(v) = map.get(key) {
            if !(v.is_string() || key == "name" && category == Category::Sco) {
                c.error(key.to_owned(), "must be a string");
            }
        }
    }
    check_external_references(&mut c, map);
    check_granular_markings(&mut c, map);
    check_extensions(&mut c, map);
    check_type_specific(&mut c, type_name, map);
    c.issues
}

fn check_external_references(c: &mut Checker, map: &Map<String, Value>) {
    let Some(v) = map.get("external_references") else {
        return;
    };
    let Some(list) = v.as_array() else {
        c.error("external_references".to_owned(), "must be a list");
        return;
    };
    for (i, r) in list.iter().enumerate() {
        let path = format!("external_references[{i}]");
        let Some(r) = r.as_object() else {
            c.error(path, "must be an object");
            continue;
        };
        match r.get("source_name").map(Value::as_str) {
            Some(Some(src)) => {
                if (src == "cve" || src == "capec") && !r.contains_key("external_id") {
                    c.error(
                        format!("{path}.external_id"),
                        format!("is required when source_name is {src:?}"),
                    );
                }
            }
            Some(None) => c.error(format!("{path}.source_name"), "must be a string"),
            None => c.error(format!("{path}.source_name"), "is required"),
        }
        if !["description", "url", "external_id"]
            .iter()
            .any(|k| r.contains_key(*k))
        {
            c.error(path, "needs at least one of description, url, external_id");
        }
    }
}

fn check_granular_markings(c: &mut Checker, map: &Map<String, Value>) {
    let Some(v) = map.get("granular_markings") else {
        return;
    };
    let Some(list) = v.as_array() else {
        c.error("granular_markings".to_owned(), "must be a list");
        return;
    };
    for (i, g) in list.iter().enumerate() {
        let path = format!("granular_markings[{i}]");
        let Some(g) = g.as_object() else {
            c.error(path, "must be an object");
            continue;
        };
        if g.contains_key("marking_ref") == g.contains_key("lang") {
            c.error(path.clone(), "must have exactly one of marking_ref, lang");
        }
        if let Some(r) = g.get("marking_ref") {
            c.reference(
                "marking_ref",
                r,
                Some(Target::Types(&["marking-definition"])),
            );
        }
        let selectors = g.get("selectors").and_then(Value::as_array);
        if selectors.is_none_or(Vec::is_empty) {
            c.error(format!("{path}.selectors"), "must be a non-empty list");
        }
    }
}

fn check_extensions(c: &mut Checker, map: &Map<String, Value>) {
    let Some(v) = map.get("extensions") else {
        return;
    };
    let Some(ext) = v.as_object() else {
        c.error(
            "extensions".to_owned(),
            "must be an object keyed by extension name or extension-definition id",
        );
        return;
    };
    for (k, v) in ext {
        if !v.is_object() {
            c.error(format!("extensions.{k}"), "must be an object");
        }
        if k.starts_with("extension-definition--") {
            if let Err(e) = check_id(k) {
                c.error(format!("extensions.{k}"), e);
            }
        }
    }
}

fn check_type_specific(c: &mut Checker, type_name: &str, map: &Map<String, Value>) {
    match type_name {
        "malware" => {
            if map.get("is_family").is_some_and(|v| !v.is_boolean()) {
                c.error("is_family".to_owned(), "must be a boolean");
            }
            if map.get("is_family") == Some(&Value::Bool(true)) && !map.contains_key("name") {
                c.error("name".to_owned(), "is required when is_family is true");
            }
        }
        "opinion" => {
            if let Some(v) = map.get("opinion") {
                if !v
                    .as_str()
                    .is_some_and(|s| spec::OPINION_VALUES.contains(&s))
                {
                    c.error(
                        "opinion".to_owned(),
                        format!("must be one of {}", spec::OPINION_VALUES.join(", ")),
                    );
                }
            }
        }
        "indicator" => {
            for k in ["pattern", "pattern_type"] {
                if map.get(k).is_some_and(|v| !v.is_string()) {
                    c.error(k.to_owned(), "must be a string");
                }
            }
        }
        "observed-data" => {
            if let Some(v) = map.get("number_observed") {
                if !v.as_u64().is_some_and(|n| (1..=999_999_999).contains(&n)) {
                    c.error(
                        "number_observed".to_owned(),
                        "must be an integer from 1 to 999,999,999",
                    );
                }
            }
        }
        "location" if map.contains_key("latitude") != map.contains_key("longitude") => {
            c.error(
                "longitude".to_owned(),
                "latitude and longitude must be given together",
            );
        }
        "relationship" if map.get("relationship_type").is_some_and(|v| !v.is_string()) => {
            c.error("relationship_type".to_owned(), "must be a string");
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn errors(v: Value) -> Vec<String> {
        validate(v.as_object().unwrap())
            .into_iter()
            .filter(|i| i.severity == Severity::Error)
            .map(|i| i.to_string())
            .collect()
    }

    fn base() -> Value {
        json!({
            "type": "intrusion-set", "spec_version": "2.1",
            "id": "intrusion-set--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5",
            "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-02T00:00:00.000Z",
            "name": "X"
        })
    }

    #[test]
    fn valid_object_has_no_errors() {
        assert!(errors(base()).is_empty());
    }

    #[test]
    fn bad_id_and_type_mismatch() {
        let mut v = base();
        v["id"] = json!("intrusion-set--nope");
        assert!(errors(v.clone())[0].contains("property id"));
        v["id"] = json!("malware--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5");
        assert!(errors(v)[0].contains("differs"));
    }

    #[test]
    fn created_after_modified() {
        let mut v = base();
        v["created"] = json!("2024-02-01T00:00:00Z");
        let e = errors(v);
        assert_eq!(e.len(), 1);
        assert!(e[0].contains("property modified"), "{e:?}");
    }

    #[test]
    fn required_per_type() {
        let mut v = base();
        v.as_object_mut().unwrap().remove("name");
        assert_eq!(errors(v), vec!["property name: is required"]);
        let r = json!({"type": "relationship", "spec_version": "2.1",
            "id": "relationship--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5",
            "created": "2024-01-01T00:00:00Z", "modified": "2024-01-01T00:00:00Z",
            "relationship_type": "uses",
            "source_ref": "relationship--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5"});
        let e = errors(r);
        assert!(
            e.iter().any(|m| m.contains("target_ref: is required")),
            "{e:?}"
        );
        assert!(
            e.iter()
                .any(|m| m.contains("source_ref: points at a relationship")),
            "{e:?}"
        );
    }

    #[test]
    fn ref_types_and_confidence() {
        let mut v = base();
        v["created_by_ref"] = json!("malware--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5");
        v["confidence"] = json!(101);
        let e = errors(v);
        assert!(e.iter().any(|m| m.contains("created_by_ref")));
        assert!(e.iter().any(|m| m.contains("confidence")));
    }

    #[test]
    fn sco_needs_no_timestamps() {
        let v = json!({"type": "ipv4-addr", "id": "ipv4-addr--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5", "value": "1.2.3.4"});
        assert!(errors(v).is_empty());
    }

    #[test]
    fn custom_types_and_properties_pass() {
        let v = json!({"type": "x-mitre-tactic", "spec_version": "2.1",
            "id": "x-mitre-tactic--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5",
            "created": "2024-01-01T00:00:00Z", "modified": "2024-01-01T00:00:00Z",
            "x_mitre_shortname": "execution", "x_custom": {"nested": [1, 2.5, null]}});
        assert!(errors(v).is_empty());
    }
}
