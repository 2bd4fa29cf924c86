//! Parsing STIX bundles (2.0 and 2.1) into checked objects.
//!
//! The bundle is parsed once into borrowed raw slices, so an object's stored text is
//! exactly its input bytes unless it had to be upgraded from STIX 2.0. Each object is
//! then parsed on its own, validated and reduced to [`ObjectMeta`]; its parsed form
//! is dropped at once, which keeps peak memory near the size of the input.

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::borrow::Cow;

use crate::object::{ObjectMeta, StixObject};
use crate::validate::{validate, Issue, Severity};

/// Limits that protect against hostile input.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest accepted JSON text of a single object, in bytes.
    pub max_object_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_object_bytes: 16 << 20,
        }
    }
}

/// Why a whole file could not be read as a bundle. Positions are 1-based.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("invalid UTF-8 at line {line}, column {column} (byte offset {offset}); STIX JSON must be UTF-8")]
    Utf8 {
        line: usize,
        column: usize,
        offset: usize,
    },
    #[error("invalid JSON at line {line}, column {column}: {message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("not a STIX bundle: {0}")]
    NotABundle(String),
    #[error("JSON nested deeper than {limit} levels at line {line}, column {column}; STIX content never needs this, so the file is refused")]
    TooDeep {
        line: usize,
        column: usize,
        limit: usize,
    },
}

/// Deepest JSON nesting accepted (serde_json's own recursion limit is 128).
pub const MAX_DEPTH: usize = 100;

/// Finds the first place where JSON nesting exceeds `limit`, skipping strings.
/// Runs before parsing so that hostile nesting is refused with its position.
pub fn check_depth(text: &[u8], limit: usize) -> Result<(), BundleError> {
    let mut depth = 0usize;
    let mut i = 0;
    while i < text.len() {
        match text[i] {
            b'"' => {
                // Skip the string, honouring escapes (strings are most of STIX's bytes).
                i += 1;
                loop {
                    match memchr::memchr2(b'"', b'\\', &text[i.min(text.len())..]) {
                        None => return Ok(()),
                        Some(p) if text[i + p] == b'\\' => i += p + 2,
                        Some(p) => {
                            i += p;
                            break;
                        }
                    }
                }
            }
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    let (line, column) = line_col(text, i);
                    return Err(BundleError::TooDeep {
                        line,
                        column,
                        limit,
                    });
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

/// An object that passed validation (it may still carry warnings).
#[derive(Debug)]
pub struct Checked<'a> {
    /// 0-based position in the bundle's `objects`.
    pub index: usize,
    pub object: StixObject<'a>,
    pub warnings: Vec<Issue>,
    /// True when the object was converted from STIX 2.0.
    pub upgraded: bool,
}

/// An object that failed validation, with every error found in it.
#[derive(Debug, Clone)]
pub struct Rejected {
    /// 0-based position in the bundle's `objects`.
    pub index: usize,
    /// 1-based line of the object's first byte in the file.
    pub line: usize,
    pub id: Option<String>,
    pub errors: Vec<Issue>,
}

/// A parsed bundle: accepted and rejected objects, in input order.
#[derive(Debug)]
pub struct ParsedBundle<'a> {
    pub id: Option<String>,
    /// `spec_version` of the bundle itself (present only in STIX 2.0 bundles).
    pub spec_version: Option<String>,
    /// True when the input was one STIX object rather than a bundle.
    pub single_object: bool,
    pub objects: Vec<Checked<'a>>,
    pub rejected: Vec<Rejected>,
}

impl ParsedBundle<'_> {
    /// `stix-2.0` when any object was upgraded or the bundle says 2.0, else `stix-2.1`
    /// (with `-object` for a lone object).
    pub fn format_name(&self) -> &'static str {
        if self.single_object {
            if self.objects.iter().any(|o| o.upgraded) {
                "stix-2.0-object"
            } else {
                "stix-2.1-object"
            }
        } else if self.spec_version.as_deref() == Some("2.0")
            || self.objects.iter().any(|o| o.upgraded)
        {
            "stix-2.0"
        } else {
            "stix-2.1"
        }
    }
}

#[derive(Deserialize)]
struct RawBundle<'a> {
    #[serde(rename = "type")]
    type_name: Option<Value>,
    id: Option<Value>,
    spec_version: Option<Value>,
    #[serde(borrow)]
    objects: Option<Vec<&'a RawValue>>,
}

/// 1-based (line, column) of a byte offset.
pub fn line_col(text: &[u8], offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let col = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
    (line, col)
}

/// Checks that `bytes` are UTF-8, naming the position of the first bad byte.
pub fn as_utf8(bytes: &[u8]) -> Result<&str, BundleError> {
    std::str::from_utf8(bytes).map_err(|e| {
        let offset = e.valid_up_to();
        let (line, column) = line_col(bytes, offset);
        BundleError::Utf8 {
            line,
            column,
            offset,
        }
    })
}

fn kind_of_json_start(text: &str) -> Option<&'static str> {
    match text.trim_start().bytes().next() {
        None => Some("the file is empty"),
        Some(b'{') => None,
        Some(b'[') => Some("the top-level JSON value is an array, not a bundle object"),
        Some(b'"') => Some("the top-level JSON value is a string, not a bundle object"),
        Some(b't' | b'f') => Some("the top-level JSON value is a boolean, not a bundle object"),
        Some(b'n') => Some("the top-level JSON value is null, not a bundle object"),
        Some(b'-' | b'0'..=b'9') => {
            Some("the top-level JSON value is a number, not a bundle object")
        }
        Some(_) => Some("the file does not start with a JSON value"),
    }
}

/// Parses and checks a bundle. Whole-file problems are errors; problems in single
/// objects are collected in [`ParsedBundle::rejected`] so that every bad object is
/// reported at once.
pub fn parse_bundle(text: &str, limits: Limits) -> Result<ParsedBundle<'_>, BundleError> {
    if let Some(what) = kind_of_json_start(text) {
        return Err(BundleError::NotABundle(format!(
            "{what}; expected {{\"type\": \"bundle\", \"objects\": [...]}}"
        )));
    }
    check_depth(text.as_bytes(), MAX_DEPTH)?;
    let raw: RawBundle = serde_json::from_str(text).map_err(|e| BundleError::Json {
        line: e.line(),
        column: e.column(),
        message: strip_position(&e.to_string()),
    })?;
    match raw.type_name.as_ref().and_then(Value::as_str) {
        Some("bundle") => {}
        Some(t) if looks_like_object(t, raw.id.as_ref()) => {
            // A lone STIX object (the official examples ship some): a bundle of one.
            let whole: &RawValue = serde_json::from_str(text).map_err(|e| BundleError::Json {
                line: e.line(),
                column: e.column(),
                message: strip_position(&e.to_string()),
            })?;
            let checked = check_object(text, 0, whole, false, limits);
            let (objects, rejected) = match checked {
                Ok(c) => (vec![c], vec![]),
                Err(r) => (vec![], vec![r]),
            };
            return Ok(ParsedBundle {
                id: None,
                spec_version: None,
                single_object: true,
                objects,
                rejected,
            });
        }
        Some(t) => {
            return Err(BundleError::NotABundle(format!(
                "top-level object has type {t:?} but no matching id; expected a bundle ({{\"type\": \"bundle\", \"id\": \"bundle--<uuid>\", \"objects\": [...]}}) or one STIX object"
            )))
        }
        None => {
            return Err(BundleError::NotABundle(
                "top-level object has no \"type\" property; expected {\"type\": \"bundle\", \"objects\": [...]}".into(),
            ))
        }
    }
    let id = raw.id.as_ref().and_then(Value::as_str).map(str::to_owned);
    if let Some(id) = &id {
        if !id.starts_with("bundle--") || crate::object::check_id(id).is_err() {
            return Err(BundleError::NotABundle(format!(
                "bundle id {id:?} is not of the form bundle--UUID"
            )));
        }
    }
    let spec_version = raw
        .spec_version
        .as_ref()
        .and_then(Value::as_str)
        .map(str::to_owned);
    if let Some(v) = &spec_version {
        if v != "2.0" && v != "2.1" {
            return Err(BundleError::NotABundle(format!(
                "bundle spec_version {v:?} is not 2.0"
            )));
        }
    }
    let is_20 = spec_version.as_deref() == Some("2.0");
    use rayon::prelude::*;
    let checked: Vec<Result<Checked<'_>, Rejected>> = raw
        .objects
        .unwrap_or_default()
        .into_par_iter()
        .enumerate()
        .map(|(index, r)| check_object(text, index, r, is_20, limits))
        .collect();
    let mut objects = Vec::with_capacity(checked.len());
    let mut rejected = Vec::new();
    for c in checked {
        match c {
            Ok(c) => objects.push(c),
            Err(rej) => rejected.push(rej),
        }
    }
    Ok(ParsedBundle {
        id,
        spec_version,
        single_object: false,
        objects,
        rejected,
    })
}

/// A top-level object whose `id` is `<type>--...` is taken for a lone STIX object.
fn looks_like_object(type_name: &str, id: Option<&Value>) -> bool {
    id.and_then(Value::as_str)
        .and_then(|id| id.split_once("--"))
        .is_some_and(|(t, _)| t == type_name)
}

fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_owned(),
        None => msg.to_owned(),
    }
}

fn check_object<'a>(
    text: &'a str,
    index: usize,
    raw: &'a RawValue,
    bundle_is_20: bool,
    limits: Limits,
) -> Result<Checked<'a>, Rejected> {
    let src = raw.get();
    let reject = |id: Option<String>, errors: Vec<Issue>| {
        let offset = (src.as_ptr() as usize).saturating_sub(text.as_ptr() as usize);
        Rejected {
            index,
            line: line_col(text.as_bytes(), offset).0,
            id,
            errors,
        }
    };
    let err = |message: String| Issue {
        severity: Severity::Error,
        property: None,
        message,
    };
    if src.len() > limits.max_object_bytes {
        return Err(reject(
            None,
            vec![err(format!(
                "object is {} bytes, over the limit of {} bytes (raise it with --max-object-bytes)",
                src.len(),
                limits.max_object_bytes
            ))],
        ));
    }
    let mut map: Map<String, Value> = match serde_json::from_str(src) {
        Ok(m) => m,
        Err(e) if e.classify() == serde_json::error::Category::Data => {
            return Err(reject(None, vec![err("is not a JSON object".into())]))
        }
        Err(e) => return Err(reject(None, vec![err(strip_position(&e.to_string()))])),
    };
    let upgraded = crate::upgrade::needs_upgrade(&map, bundle_is_20);
    if upgraded {
        crate::upgrade::upgrade_20(&mut map);
    }
    let (errors, warnings): (Vec<Issue>, Vec<Issue>) = validate(&map)
        .into_iter()
        .partition(|i| i.severity == Severity::Error);
    let id = map.get("id").and_then(Value::as_str).map(str::to_owned);
    if !errors.is_empty() {
        return Err(reject(id, errors));
    }
    let meta = ObjectMeta::from_map(&map);
    let text = if upgraded {
        Cow::Owned(serde_json::to_string(&map).unwrap_or_default())
    } else {
        Cow::Borrowed(src)
    };
    Ok(Checked {
        index,
        object: StixObject { text, meta },
        warnings,
        upgraded,
    })
}

/// Validates an object built in memory (by an importer of a non-STIX format). `line`
/// is the 1-based line of the source record it came from (0 when unknown).
pub fn check_map(
    index: usize,
    line: usize,
    map: Map<String, Value>,
) -> Result<Checked<'static>, Rejected> {
    let (errors, warnings): (Vec<Issue>, Vec<Issue>) = validate(&map)
        .into_iter()
        .partition(|i| i.severity == Severity::Error);
    if !errors.is_empty() {
        return Err(Rejected {
            index,
            line,
            id: map.get("id").and_then(Value::as_str).map(str::to_owned),
            errors,
        });
    }
    let meta = ObjectMeta::from_map(&map);
    let text = serde_json::to_string(&map).unwrap_or_default();
    Ok(Checked {
        index,
        object: StixObject {
            text: Cow::Owned(text),
            meta,
        },
        warnings,
        upgraded: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "c78cb6e5-0c4b-4611-8297-d1b8b55e40b5";

    fn one(obj: &str) -> String {
        format!(r#"{{"type":"bundle","id":"bundle--{ID}","objects":[{obj}]}}"#)
    }

    #[test]
    fn keeps_input_text_byte_for_byte() {
        let obj = format!(
            r#"{{"type":"x-thing","id":"x-thing--{ID}","created":"2020-01-01T00:00:00Z","modified":"2020-01-01T00:00:00Z","spec_version":"2.1","x_float":1.0,"x_big":123456789012345678901234567890}}"#
        );
        let text = one(&obj);
        let b = parse_bundle(&text, Limits::default()).unwrap();
        assert_eq!(b.objects[0].object.text, obj);
        assert_eq!(b.format_name(), "stix-2.1");
    }

    #[test]
    fn whole_file_errors() {
        let l = Limits::default();
        assert!(matches!(
            parse_bundle("\"aaaa\"", l),
            Err(BundleError::NotABundle(_))
        ));
        assert!(matches!(
            parse_bundle("", l),
            Err(BundleError::NotABundle(_))
        ));
        assert!(matches!(
            parse_bundle(r#"{"type":"indicator"}"#, l),
            Err(BundleError::NotABundle(_))
        ));
        assert!(matches!(
            parse_bundle(r#"{"hello":"world"}"#, l),
            Err(BundleError::NotABundle(_))
        ));
        assert!(matches!(
            parse_bundle("[1,2]", l),
            Err(BundleError::NotABundle(_))
        ));
        match parse_bundle("{\"type\":\"bundle\",\n\"objects\":[{", l) {
            Err(BundleError::Json { line: 2, .. }) => {}
            other => panic!("{other:?}"),
        }
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let text = one(&format!(r#"{{"type":"x-a","x_deep":{deep}}}"#));
        assert!(matches!(
            parse_bundle(&text, l),
            Err(BundleError::TooDeep { line: 1, .. })
        ));
        // Brackets inside strings do not count.
        let text = one(&format!(
            r#"{{"type":"x-a","id":"x-a--{ID}","x":"{}\\\"["}}"#,
            "[".repeat(500)
        ));
        assert!(parse_bundle(&text, l).is_ok());
        assert!(matches!(
            as_utf8(b"{\n\"a\xff\"}"),
            Err(BundleError::Utf8 {
                line: 2,
                column: 3,
                offset: 4
            })
        ));
    }

    #[test]
    fn rejects_every_bad_object_with_its_line() {
        let text = format!(
            "{{\"type\":\"bundle\",\"objects\":[\n{{\"type\":\"ipv4-addr\",\"id\":\"ipv4-addr--{ID}\",\"value\":\"1.2.3.4\"}},\n{{\"type\":\"ipv4-addr\",\"id\":\"bad\"}},\n7]}}"
        );
        let b = parse_bundle(&text, Limits::default()).unwrap();
        assert_eq!(b.objects.len(), 1);
        assert_eq!(b.rejected.len(), 2);
        assert_eq!(b.rejected[0].index, 1);
        assert_eq!(b.rejected[0].line, 3);
        assert_eq!(b.rejected[1].line, 4);
    }

    #[test]
    fn lone_object_is_a_bundle_of_one() {
        let obj = format!(r#"{{"type":"ipv4-addr","id":"ipv4-addr--{ID}","value":"1.2.3.4"}}"#);
        let b = parse_bundle(&obj, Limits::default()).unwrap();
        assert!(b.single_object);
        assert_eq!(b.objects.len(), 1);
        assert_eq!(b.format_name(), "stix-2.1-object");
    }

    #[test]
    fn object_size_limit() {
        let obj = format!(
            r#"{{"type":"ipv4-addr","id":"ipv4-addr--{ID}","value":"{}"}}"#,
            "a".repeat(2000)
        );
        let text = one(&obj);
        let b = parse_bundle(
            &text,
            Limits {
                max_object_bytes: 1000,
            },
        )
        .unwrap();
        assert!(b.rejected[0].errors[0].message.contains("over the limit"));
    }
}
