//! Recognising an input's format by its content, never by its file name.

use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};

use crate::formats::{Converted, FormatError};

/// What an input looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detected {
    /// A STIX bundle or object, or JSON that is nothing else (the STIX parser then
    /// explains what is wrong with it).
    Stix,
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
    let _ = text;
    Detected::Stix
}

/// Converts a non-STIX input. `file` names the input (indicator lists take their
/// publisher name from it).
pub fn convert(d: Detected, text: &str, file: &str) -> Result<Converted, FormatError> {
    let _ = (text, file);
    match d {
        Detected::Stix => Err(FormatError("STIX input is not converted".into())),
    }
}
