//! Processing pipelines as data: field-name mappings per logsource, written in pySigma's
//! pipeline YAML (the subset `field_name_mapping` with `logsource` rule conditions), and
//! the table of categories each record source answers to (`logsources.toml`).

use serde::Deserialize;
use serde_yaml::Value as Yaml;

use crate::sigma::LogSource;

/// One field-name mapping with the logsource it applies to.
#[derive(Debug, Clone)]
pub struct Mapping {
    pub id: String,
    pub when: Vec<LogSource>,
    /// Sigma name -> record names (several: any of them).
    pub fields: Vec<(String, Vec<String>)>,
}

/// The built-in pipelines (file name, text).
pub const BUILTIN: &[(&str, &str)] = &[
    ("zeek.yml", include_str!("../pipelines/zeek.yml")),
    ("nfdump.yml", include_str!("../pipelines/nfdump.yml")),
];

const LOGSOURCES: &str = include_str!("../pipelines/logsources.toml");

/// A pipeline could not be read.
#[derive(Debug, thiserror::Error)]
#[error("pipeline {file}: {reason}")]
pub struct PipelineError {
    pub file: String,
    pub reason: String,
}

/// Parses one pipeline file.
pub fn parse(file: &str, text: &str) -> Result<Vec<Mapping>, PipelineError> {
    let e = |reason: String| PipelineError {
        file: file.to_owned(),
        reason,
    };
    let v: Yaml = serde_yaml::from_str(text).map_err(|x| e(format!("malformed YAML: {x}")))?;
    let Some(ts) = v.get("transformations").and_then(Yaml::as_sequence) else {
        return Err(e("no `transformations` list".into()));
    };
    let mut out = Vec::new();
    for t in ts {
        let id = t.get("id").and_then(Yaml::as_str).unwrap_or("").to_owned();
        match t.get("type").and_then(Yaml::as_str) {
            Some("field_name_mapping") => {}
            other => {
                return Err(e(format!(
                "transformation {id:?}: type {other:?} is not supported (only field_name_mapping)"
            )))
            }
        }
        let mut fields = Vec::new();
        if let Some(m) = t.get("mapping").and_then(Yaml::as_mapping) {
            for (k, v) in m {
                let Some(k) = k.as_str() else { continue };
                let targets: Vec<String> = match v {
                    Yaml::String(s) => vec![s.clone()],
                    Yaml::Sequence(l) => l
                        .iter()
                        .filter_map(|x| x.as_str().map(str::to_owned))
                        .collect(),
                    _ => {
                        return Err(e(format!(
                            "transformation {id:?}: mapping of {k:?} is not a name or list"
                        )))
                    }
                };
                fields.push((k.to_owned(), targets));
            }
        }
        let mut when = Vec::new();
        if let Some(cs) = t.get("rule_conditions").and_then(Yaml::as_sequence) {
            for c in cs {
                if c.get("type").and_then(Yaml::as_str) != Some("logsource") {
                    return Err(e(format!(
                        "transformation {id:?}: only `logsource` rule conditions are supported"
                    )));
                }
                let g = |k: &str| c.get(k).and_then(Yaml::as_str).map(str::to_lowercase);
                when.push(LogSource {
                    product: g("product"),
                    category: g("category"),
                    service: g("service"),
                });
            }
        }
        out.push(Mapping { id, when, fields });
    }
    Ok(out)
}

/// The built-in mappings.
pub fn builtin() -> Vec<Mapping> {
    BUILTIN
        .iter()
        .flat_map(|(f, t)| parse(f, t).unwrap_or_default())
        .collect()
}

fn cond_matches(c: &LogSource, rule: &LogSource) -> bool {
    let eq =
        |a: &Option<String>, b: &Option<String>| a.as_ref().is_none_or(|x| b.as_ref() == Some(x));
    eq(&c.product, &rule.product)
        && eq(&c.category, &rule.category)
        && eq(&c.service, &rule.service)
}

/// The record names a rule's field maps to (the field itself when no mapping applies).
pub fn map_field(maps: &[Mapping], rule: &LogSource, field: &str) -> Vec<String> {
    for m in maps {
        if !m.when.is_empty() && !m.when.iter().any(|c| cond_matches(c, rule)) {
            continue;
        }
        if let Some((_, t)) = m.fields.iter().find(|(k, _)| k == field) {
            return t.clone();
        }
    }
    vec![field.to_owned()]
}

#[derive(Deserialize)]
struct SourcesFile {
    source: Vec<SourceEntry>,
}

#[derive(Deserialize)]
struct SourceEntry {
    product: String,
    service: String,
    categories: Vec<String>,
}

/// Every (product, service) of the table.
pub fn sources() -> Vec<(String, String)> {
    toml::from_str::<SourcesFile>(LOGSOURCES)
        .map(|f| {
            f.source
                .into_iter()
                .map(|s| (s.product, s.service))
                .collect()
        })
        .unwrap_or_default()
}

/// Categories a record source (product, service) answers to.
pub fn categories(product: &str, service: &str) -> Vec<String> {
    let f: SourcesFile = match toml::from_str(LOGSOURCES) {
        Ok(f) => f,
        Err(_) => return Vec::new(),
    };
    f.source
        .into_iter()
        .filter(|s| s.product == product && s.service == service)
        .flat_map(|s| s.categories)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_pipelines_parse_and_map() {
        for (f, t) in BUILTIN {
            parse(f, t).unwrap();
        }
        let maps = builtin();
        let http = LogSource {
            product: Some("zeek".into()),
            service: Some("http".into()),
            category: None,
        };
        assert_eq!(map_field(&maps, &http, "c-uri"), ["uri"]);
        assert_eq!(map_field(&maps, &http, "method"), ["method"]);
        assert_eq!(categories("zeek", "dns"), ["dns"]);
    }
}
