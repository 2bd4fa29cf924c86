//! STIX 2.0 -> 2.1 conversion, as MITRE converts ATT&CK: add `spec_version`, give
//! malware `is_family: true`, drop the 2.0 type-name labels of malware and tools
//! (`["malware"]`, `["tool"]`), and give indicators `pattern_type: "stix"`.
//! Everything else, custom properties included, is kept as it is.

use serde_json::{Map, Value};

use crate::spec::{self, Category};

/// Whether an object is STIX 2.0: its bundle says so, or it is an SDO/SRO/meta
/// object without `spec_version` (as the Python `stix2` library reads it), or it
/// says `"spec_version": "2.0"`. SCOs may omit `spec_version` in 2.1.
pub fn needs_upgrade(map: &Map<String, Value>, bundle_is_20: bool) -> bool {
    match map.get("spec_version").and_then(Value::as_str) {
        Some("2.0") => true,
        Some(_) => false,
        None => {
            let t = map.get("type").and_then(Value::as_str).unwrap_or_default();
            let is_sco = spec::category_of(t, map.contains_key("created")) == Category::Sco;
            !is_sco || bundle_is_20
        }
    }
}

/// Converts a STIX 2.0 object to 2.1 in place.
pub fn upgrade_20(map: &mut Map<String, Value>) {
    map.insert("spec_version".into(), Value::String("2.1".into()));
    let t = map
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    match t.as_str() {
        "malware" => {
            map.entry("is_family").or_insert(Value::Bool(true));
            drop_type_label(map, "malware");
        }
        "tool" => drop_type_label(map, "tool"),
        "indicator" => {
            map.entry("pattern_type")
                .or_insert(Value::String("stix".into()));
        }
        _ => {}
    }
}

fn drop_type_label(map: &mut Map<String, Value>, label: &str) {
    let only_type = map
        .get("labels")
        .and_then(Value::as_array)
        .is_some_and(|l| l.len() == 1 && l[0].as_str() == Some(label));
    if only_type {
        map.shift_remove("labels");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn malware_as_mitre_converts_it() {
        let mut v = json!({"type": "malware", "id": "malware--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5",
            "labels": ["malware"], "name": "X", "x_mitre_aliases": ["X"]});
        let m = v.as_object_mut().unwrap();
        assert!(needs_upgrade(m, true));
        upgrade_20(m);
        assert_eq!(m["spec_version"], "2.1");
        assert_eq!(m["is_family"], true);
        assert!(!m.contains_key("labels"));
        assert_eq!(m["x_mitre_aliases"], json!(["X"]));
    }

    #[test]
    fn sco_without_spec_version_is_21() {
        let v = json!({"type": "ipv4-addr", "id": "ipv4-addr--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5", "value": "1.1.1.1"});
        assert!(!needs_upgrade(v.as_object().unwrap(), false));
    }
}
