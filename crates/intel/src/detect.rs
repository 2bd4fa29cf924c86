//! Recognising an input's format by its content, never by its file name.

use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};

use crate::formats::{self, Converted, FormatError};

/// What an input looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detected {
    /// A STIX bundle or object, or JSON that is nothing else (the STIX parser then
    /// explains what is wrong with it).
    Stix,
    /// CISA's KEV catalog as JSON.
    KevJson,
    /// CISA's KEV catalog as CSV.
    KevCsv,
    /// A MISP event.
    MispEvent,
    /// A MISP galaxy cluster file.
    MispGalaxy,
    /// Microsoft's threat actor name mapping (an array of records).
    MsMapping,
    /// A CSV or plain-text list of indicators (defanged values too).
    IndicatorList,
}

/// Top-level keys of a JSON object, read without building the values.
pub fn top_level_keys(text: &str) -> Option<Vec<String>> {
    struct Keys;
    impl<'de> Visitor<'de> for Keys {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Vec<String>, A::Error> {
            let mut keys = Vec::new();
            while let Some(k) = m.next_key::<String>()? {
                m.next_value::<IgnoredAny>()?;
                keys.push(k);
            }
            Ok(keys)
        }
    }
    let mut de = serde_json::Deserializer::from_str(text);
    de.deserialize_map(Keys).ok()
}

/// Recognises the format of `text`.
pub fn detect(text: &str) -> Detected {
    let t = text.trim_start_matches('\u{feff}').trim_start();
    match t.as_bytes().first() {
        None | Some(b'"') => Detected::Stix,
        Some(b'{') => match top_level_keys(t) {
            Some(keys) if formats::kev::is_kev_json(&keys) => Detected::KevJson,
            Some(keys) if formats::misp_galaxy::detect(&keys) => Detected::MispGalaxy,
            Some(keys) if formats::misp_event::is_misp_event(&keys) => Detected::MispEvent,
            _ => Detected::Stix,
        },
        // A JSON array of records: Microsoft's mapping is the only such format; its
        // converter names the keys it found when they match neither layout.
        Some(b'[') => match serde_json::from_str::<serde_json::Value>(t) {
            Ok(serde_json::Value::Array(a))
                if a.first().is_some_and(serde_json::Value::is_object) =>
            {
                Detected::MsMapping
            }
            _ => Detected::Stix,
        },
        Some(_) => {
            let first = t.lines().next().unwrap_or("");
            if formats::kev::is_kev_csv(first) {
                Detected::KevCsv
            } else {
                Detected::IndicatorList
            }
        }
    }
}

/// Converts a non-STIX input. `file` names the input: indicator lists take their
/// publisher name from its stem.
pub fn convert(
    d: Detected,
    text: &str,
    file: &str,
    ctx: &crate::Context,
) -> Result<Converted, FormatError> {
    let converted = match d {
        Detected::Stix => return Err(FormatError("STIX input is not converted".into())),
        Detected::KevJson => formats::kev::convert_json(text)?,
        Detected::KevCsv => formats::kev::convert_csv(text)?,
        Detected::MispEvent => formats::misp_event::convert(text)?,
        Detected::MispGalaxy => formats::misp_galaxy::convert_with(text, &ctx.galaxy_clusters)?,
        Detected::MsMapping => formats::ms_mapping::convert(text)?,
        Detected::IndicatorList => {
            let stem = std::path::Path::new(file)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .filter(|s| !s.is_empty() && s != "-")
                .unwrap_or_else(|| "stdin".into());
            formats::indicators::convert(text, &stem)?
        }
    };
    // Only the publisher identity (the one object without a creator): nothing recognised.
    let real = converted
        .objects
        .iter()
        .filter(|o| o.contains_key("created_by_ref"))
        .count();
    if real == 0 && converted.rejected.is_empty() {
        return Err(FormatError(format!(
            "no STIX, MISP, KEV, Microsoft mapping or indicator content recognised (read as {})",
            converted.format
        )));
    }
    Ok(converted)
}
