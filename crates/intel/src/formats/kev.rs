//! CISA's Known Exploited Vulnerabilities catalog, JSON or CSV
//! (<https://www.cisa.gov/known-exploited-vulnerabilities-catalog>).
//!
//! Each catalog entry becomes a STIX `vulnerability` published by the identity
//! "CISA": name = the CVE id, a `cve` external reference, description = the short
//! description, created = modified = the date CISA added it, and every field of the
//! entry verbatim under `x_kev` (the CSV's comma-separated `cwes` cell becomes a list,
//! as in the JSON), plus `x_kev_catalog_version` when the input states it (the JSON
//! does, the CSV does not). The natural key is the CVE id, so the JSON and the CSV of
//! one catalog give the same ids, and a later catalog updates the same objects.
//!
//! Confidence is 90: CISA adds a CVE only on reliable evidence of exploitation, which
//! is graded here as confirmed information (credibility 1 -> 90), higher than the
//! A2 default that `sources` gives CISA's advisories.

use std::collections::HashMap;

use serde_json::{json, Map, Value};
use stormwatch_model::deterministic_id;

use super::indicators::day_timestamp;
use super::{source_identity, source_identity_id, Converted, FormatError, RecordError};

/// Format name of the JSON catalog.
pub const FORMAT_JSON: &str = "cisa-kev-json";
/// Format name of the CSV catalog.
pub const FORMAT_CSV: &str = "cisa-kev-csv";
/// The publisher identity.
pub const PUBLISHER: &str = "CISA";
/// Confidence of every vulnerability from the catalog.
pub const CONFIDENCE: u8 = 90;

/// True for the top-level keys of the JSON catalog (`catalogVersion` and
/// `vulnerabilities`).
pub fn is_kev_json(top_level_keys: &[String]) -> bool {
    let has = |k: &str| top_level_keys.iter().any(|x| x == k);
    has("catalogVersion") && has("vulnerabilities")
}

/// True for the header line of the CSV catalog (it names `cveID` and `vendorProject`).
pub fn is_kev_csv(first_line: &str) -> bool {
    let cols: Vec<&str> = first_line
        .trim_start_matches('\u{feff}')
        .split(',')
        .map(|c| c.trim().trim_matches('"'))
        .collect();
    cols.contains(&"cveID") && cols.contains(&"vendorProject")
}

/// Converts the catalog as JSON (starts with `{`) or CSV.
pub fn convert(text: &str) -> Result<Converted, FormatError> {
    if text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with('{')
    {
        convert_json(text)
    } else {
        convert_csv(text)
    }
}

/// True for `CVE-YYYY-NNNN...` (four or more digits after the year).
fn is_cve_id(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("CVE-") else {
        return false;
    };
    let Some((year, num)) = rest.split_once('-') else {
        return false;
    };
    year.len() == 4
        && year.bytes().all(|b| b.is_ascii_digit())
        && num.len() >= 4
        && num.bytes().all(|b| b.is_ascii_digit())
}

/// Checks one record's key fields and builds its vulnerability.
struct Catalog {
    out: Converted,
    version: Option<String>,
    seen: HashMap<String, usize>,
}

impl Catalog {
    fn new(format: &str, version: Option<String>) -> Catalog {
        Catalog {
            out: Converted {
                format: format.into(),
                objects: vec![source_identity(PUBLISHER, "organization")],
                ..Default::default()
            },
            version,
            seen: HashMap::new(),
        }
    }

    /// Adds the vulnerability of one record (`fields` verbatim, in input order).
    fn add(&mut self, index: usize, line: usize, fields: Map<String, Value>) {
        let cve = fields.get("cveID");
        let id = cve.and_then(Value::as_str).map(str::to_owned);
        let mut reject = |error: String| {
            self.out.rejected.push(RecordError {
                index,
                line,
                id: id.clone(),
                error,
            });
        };
        let cve = match cve {
            None => return reject(r#"field "cveID": is missing"#.into()),
            Some(Value::String(s)) if is_cve_id(s) => s.clone(),
            Some(Value::String(s)) => {
                return reject(format!(r#"field "cveID": {s:?} is not a CVE id"#))
            }
            Some(_) => return reject(r#"field "cveID": must be a string"#.into()),
        };
        let added = match fields.get("dateAdded") {
            None => return reject(r#"field "dateAdded": is missing"#.into()),
            Some(Value::String(s)) => match day_timestamp(s) {
                Some(t) => t,
                None => {
                    return reject(format!(
                        r#"field "dateAdded": {s:?} is not a date (YYYY-MM-DD)"#
                    ))
                }
            },
            Some(_) => return reject(r#"field "dateAdded": must be a string"#.into()),
        };
        if let Some(first) = self.seen.get(&cve) {
            let first = *first;
            return reject(format!(
                r#"field "cveID": {cve} is listed twice (first at index {first})"#
            ));
        }
        self.seen.insert(cve.clone(), index);
        let mut m = Map::new();
        m.insert("type".into(), json!("vulnerability"));
        m.insert("spec_version".into(), json!("2.1"));
        m.insert(
            "id".into(),
            json!(deterministic_id(PUBLISHER, "vulnerability", &cve)),
        );
        m.insert(
            "created_by_ref".into(),
            json!(source_identity_id(PUBLISHER)),
        );
        m.insert("created".into(), json!(added));
        m.insert("modified".into(), json!(added));
        m.insert("name".into(), json!(cve));
        if let Some(d) = fields
            .get("shortDescription")
            .and_then(Value::as_str)
            .filter(|d| !d.is_empty())
        {
            m.insert("description".into(), json!(d));
        }
        m.insert(
            "external_references".into(),
            json!([{"source_name": "cve", "external_id": cve}]),
        );
        m.insert("confidence".into(), json!(CONFIDENCE));
        m.insert("x_kev".into(), Value::Object(fields));
        if let Some(v) = &self.version {
            m.insert("x_kev_catalog_version".into(), json!(v));
        }
        self.out.objects.push(m);
    }
}

/// Converts the JSON catalog (`{"catalogVersion", "vulnerabilities": [...]}`).
pub fn convert_json(text: &str) -> Result<Converted, FormatError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let v: Value = serde_json::from_str(text)
        .map_err(|e| FormatError(format!("invalid JSON in the KEV catalog: {e}")))?;
    let Value::Object(top) = v else {
        return Err(FormatError(
            "not a KEV catalog: the top level is not a JSON object".into(),
        ));
    };
    let Some(Value::Array(list)) = top.get("vulnerabilities") else {
        return Err(FormatError(
            r#"not a KEV catalog: no "vulnerabilities" list"#.into(),
        ));
    };
    let version = top
        .get("catalogVersion")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let mut cat = Catalog::new(FORMAT_JSON, version);
    if cat.version.is_none() {
        cat.out
            .warnings
            .push(r#"the catalog has no "catalogVersion""#.into());
    }
    if let Some(n) = top.get("count").and_then(Value::as_u64) {
        if n != list.len() as u64 {
            cat.out.warnings.push(format!(
                r#"the catalog's "count" is {n} but it lists {} vulnerabilities"#,
                list.len()
            ));
        }
    }
    for (i, rec) in list.iter().enumerate() {
        match rec {
            Value::Object(fields) => cat.add(i, 0, fields.clone()),
            _ => cat.out.rejected.push(RecordError {
                index: i,
                line: 0,
                id: None,
                error: "vulnerabilities[] entry is not an object".into(),
            }),
        }
    }
    Ok(cat.out)
}

/// Converts the CSV catalog (a header row naming the KEV fields). Every cell is kept
/// as a string except `cwes`, which becomes a list as in the JSON catalog.
pub fn convert_csv(text: &str) -> Result<Converted, FormatError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| FormatError(format!("cannot read the KEV CSV header: {e}")))?
        .iter()
        .map(|h| h.trim().to_owned())
        .collect();
    if !headers.iter().any(|h| h == "cveID") {
        return Err(FormatError(format!(
            "not a KEV catalog: the CSV header {:?} has no cveID column",
            headers.join(",")
        )));
    }
    let mut cat = Catalog::new(FORMAT_CSV, None);
    for (i, rec) in rdr.records().enumerate() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                cat.out.rejected.push(RecordError {
                    index: i,
                    line: e.position().map_or(0, |p| p.line() as usize),
                    id: None,
                    error: format!("unreadable CSV row: {e}"),
                });
                continue;
            }
        };
        let line = rec.position().map_or(0, |p| p.line() as usize);
        if rec.len() != headers.len() {
            cat.out.rejected.push(RecordError {
                index: i,
                line,
                id: rec.get(0).map(str::to_owned),
                error: format!(
                    "the row has {} fields but the header has {}",
                    rec.len(),
                    headers.len()
                ),
            });
            continue;
        }
        let mut fields = Map::new();
        for (h, cell) in headers.iter().zip(rec.iter()) {
            let v = if h == "cwes" {
                Value::Array(
                    cell.split(',')
                        .map(str::trim)
                        .filter(|c| !c.is_empty())
                        .map(|c| Value::String(c.to_owned()))
                        .collect(),
                )
            } else {
                Value::String(cell.to_owned())
            };
            fields.insert(h.clone(), v);
        }
        cat.add(i, line, fields);
    }
    Ok(cat.out)
}
