//! Request parsing: TAXII query strings (`match[...]`, `added_after`, `limit`,
//! `next`), POSTed TAXII envelopes, and the query strings and bodies of the REST
//! command endpoints. Pure functions from bytes to values or a TAXII error message
//! (never a panic), so `fuzz/fuzz_targets/taxii_query.rs` can drive them.

use serde_json::Value;

use crate::http::ApiError;
use stormwatch_attribution::overlap::Observation;
use stormwatch_model::Timestamp;
use stormwatch_store::{EntryFilter, VersionMatch};

/// The name=value pairs of a raw query string (percent-decoded, `+` as space).
pub fn query_pairs(raw: &str) -> Result<Vec<(String, String)>, ApiError> {
    let uri: axum::http::Uri = format!("/?{raw}")
        .parse()
        .map_err(|e| ApiError::bad_request(format!("bad query string: {e}")))?;
    axum::extract::Query::<Vec<(String, String)>>::try_from_uri(&uri)
        .map(|q| q.0)
        .map_err(|e| ApiError::bad_request(format!("bad query string: {e}")))
}

/// The URL parameters of a TAXII listing.
#[derive(Debug, Clone)]
pub struct Params {
    pub filter: EntryFilter,
    pub limit: usize,
}

fn list_values(v: &str) -> impl Iterator<Item = String> + '_ {
    v.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn version_key(v: &str, what: &str) -> Result<String, ApiError> {
    Timestamp::parse(v)
        .map(|t| t.key())
        .map_err(|e| ApiError::bad_request(format!("{what}: {e}")))
}

/// Most `match[...]` values one request may give (ids, types, versions together).
pub const MAX_FILTER_VALUES: usize = 1000;

/// Parses `match[...]`, `added_after`, `limit` (capped at `max_page`) and `next`.
pub fn taxii_params(pairs: &[(String, String)], max_page: usize) -> Result<Params, ApiError> {
    let mut f = EntryFilter::default();
    let max_page = max_page.max(1);
    let mut limit = 100.min(max_page);
    let mut versions = VersionMatch::default();
    for (k, v) in pairs {
        match k.as_str() {
            "match[id]" => f.ids.extend(list_values(v)),
            "match[type]" => f.types.extend(list_values(v)),
            "match[spec_version]" => f.spec_versions.extend(list_values(v)),
            "match[version]" => {
                for x in list_values(v) {
                    match x.as_str() {
                        "first" => versions.first = true,
                        "last" => versions.last = true,
                        "all" => versions.all = true,
                        t => versions.exact.push(version_key(t, "match[version]")?),
                    }
                }
            }
            "added_after" => f.added_after = Some(version_key(v, "added_after")?),
            "limit" => {
                let n: usize = v.trim().parse().map_err(|_| {
                    ApiError::bad_request(format!("limit {v:?} is not a positive integer"))
                })?;
                if n == 0 {
                    return Err(ApiError::bad_request("limit must be at least 1"));
                }
                limit = n.min(max_page);
            }
            "next" => {
                f.after_cseq = v
                    .trim()
                    .parse::<i64>()
                    .ok()
                    .filter(|n| *n >= 0)
                    .ok_or_else(|| {
                        ApiError::bad_request(format!(
                            "next {v:?} is not a value this server handed out"
                        ))
                    })?;
            }
            _ => {}
        }
        let values = f.ids.len() + f.types.len() + f.spec_versions.len() + versions.exact.len();
        if values > MAX_FILTER_VALUES {
            return Err(ApiError::bad_request(format!(
                "{values} match values; at most {MAX_FILTER_VALUES} per request"
            )));
        }
    }
    if versions == VersionMatch::default() {
        versions.last = true;
    }
    f.versions = versions;
    Ok(Params { filter: f, limit })
}

#[derive(serde::Deserialize)]
struct PostEnvelope<'a> {
    #[serde(borrow)]
    objects: Option<Vec<&'a serde_json::value::RawValue>>,
}

/// A POSTed TAXII envelope (`{"objects": [...]}`) as the text of a STIX bundle of
/// its objects, ready for [`stormwatch_model::parse_bundle`].
pub fn envelope_bundle(bytes: &[u8]) -> Result<String, ApiError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| ApiError::bad_request(format!("the body is not UTF-8: {e}")))?;
    stormwatch_model::bundle::check_depth(text.as_bytes(), 100)
        .map_err(|e| ApiError::bad_request(format!("the body is not a TAXII envelope: {e}")))?;
    let env: PostEnvelope = serde_json::from_str(text).map_err(|e| {
        ApiError::bad_request(format!(
            "the body is not a TAXII envelope ({{\"objects\": [...]}}): {e}"
        ))
    })?;
    let raw = env
        .objects
        .ok_or_else(|| ApiError::bad_request("the envelope has no \"objects\" list"))?;
    let mut bundle = String::with_capacity(text.len() + 80);
    bundle.push_str(&format!(
        "{{\"type\":\"bundle\",\"id\":\"bundle--{}\",\"objects\":[",
        uuid::Uuid::new_v4()
    ));
    for (i, r) in raw.iter().enumerate() {
        if i > 0 {
            bundle.push(',');
        }
        bundle.push_str(r.get());
    }
    bundle.push_str("]}");
    Ok(bundle)
}

/// How actor names are followed (`--min-confidence`, `--include-disputed`).
fn follow_option(
    k: &str,
    v: &str,
    o: &mut stormwatch_attribution::Options,
) -> Result<bool, ApiError> {
    match k {
        "min_confidence" => {
            o.min_confidence = v
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|n| *n <= 100)
                .ok_or_else(|| {
                    ApiError::bad_request(format!("min_confidence {v:?}: give an integer 0 to 100"))
                })?;
            Ok(true)
        }
        "include_disputed" => {
            o.include_disputed = boolean("include_disputed", v)?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

fn boolean(name: &str, v: &str) -> Result<bool, ApiError> {
    match v.trim() {
        "true" | "1" => Ok(true),
        "false" | "0" | "" => Ok(false),
        _ => Err(ApiError::bad_request(format!(
            "{name} {v:?}: give true or false"
        ))),
    }
}

/// Longest name accepted in a query string or body field.
const MAX_NAME: usize = 1000;

/// `GET /api/actors/{key}/why?to=OTHER[&min_confidence=N][&include_disputed=true]`.
pub fn why_query(
    pairs: &[(String, String)],
) -> Result<(String, stormwatch_attribution::Options), ApiError> {
    let mut o = stormwatch_attribution::Options::default();
    let mut to = None;
    for (k, v) in pairs {
        if k == "to" {
            to = Some(v.clone());
        } else {
            follow_option(k, v, &mut o)?;
        }
    }
    let to = to
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| ApiError::bad_request("to (the other actor name) is required"))?;
    if to.len() > MAX_NAME {
        return Err(ApiError::bad_request(format!(
            "to is longer than {MAX_NAME} bytes"
        )));
    }
    Ok((to, o))
}

/// The body of `POST /api/attribute`.
#[derive(Debug, Clone, Default)]
pub struct AttributeRequest {
    pub observation: Observation,
    pub limit: usize,
    pub options: stormwatch_attribution::Options,
    pub from_sightings: bool,
}

/// Most observed values one request may give.
pub const MAX_OBSERVED: usize = 10_000;

/// Reads `POST /api/attribute`'s JSON body: the lists `ttp`, `software`,
/// `indicator`, `cve`, `sector`, `country` (as `attribute FILE` reads them: plural
/// spellings, comma-separated strings) and the options `limit`, `min_confidence`,
/// `include_disputed`, `from_sightings`.
pub fn attribute_request(bytes: &[u8]) -> Result<AttributeRequest, ApiError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| ApiError::bad_request(format!("the body is not UTF-8: {e}")))?;
    stormwatch_model::bundle::check_depth(text.as_bytes(), 20)
        .map_err(|e| ApiError::bad_request(format!("the body is not JSON: {e}")))?;
    let v: Value = serde_json::from_str(text).map_err(|e| {
        ApiError::bad_request(format!(
            "the body is not JSON ({{\"ttp\": [...], \"software\": [...], ...}}): {e}"
        ))
    })?;
    let Value::Object(mut m) = v else {
        return Err(ApiError::bad_request(
            "the body must be a JSON object such as {\"ttp\": [\"T1190\"], \"software\": [\"S1206\"]}",
        ));
    };
    let mut r = AttributeRequest {
        limit: 10,
        ..Default::default()
    };
    if let Some(l) = m.remove("limit") {
        r.limit = l
            .as_u64()
            .filter(|n| (1..=1000).contains(n))
            .map(|n| n as usize)
            .ok_or_else(|| ApiError::bad_request("limit: give an integer 1 to 1000"))?;
    }
    if let Some(c) = m.remove("min_confidence") {
        r.options.min_confidence = c
            .as_u64()
            .filter(|n| *n <= 100)
            .map(|n| n as u8)
            .ok_or_else(|| ApiError::bad_request("min_confidence: give an integer 0 to 100"))?;
    }
    for (key, slot) in [
        ("include_disputed", &mut r.options.include_disputed),
        ("from_sightings", &mut r.from_sightings),
    ] {
        if let Some(b) = m.remove(key) {
            *slot = b
                .as_bool()
                .ok_or_else(|| ApiError::bad_request(format!("{key}: give true or false")))?;
        }
    }
    r.observation = Observation::parse_text(&Value::Object(m).to_string())
        .map_err(|e| ApiError::bad_request(e.replace("line 1: ", "")))?;
    if r.observation.len() > MAX_OBSERVED {
        return Err(ApiError::bad_request(format!(
            "{} observed values; at most {MAX_OBSERVED} per request",
            r.observation.len()
        )));
    }
    if r.observation.is_empty() && !r.from_sightings {
        return Err(ApiError::bad_request(
            "nothing observed: give ttp, software, indicator, cve, sector or country (lists of strings), or from_sightings: true",
        ));
    }
    Ok(r)
}

/// The file name of `POST /api/audit?name=` / `POST /api/hunt?name=` (default `-`,
/// as for stdin on the command line).
pub fn input_name(pairs: &[(String, String)]) -> Result<String, ApiError> {
    let Some((_, v)) = pairs.iter().rev().find(|(k, _)| k == "name") else {
        return Ok("-".into());
    };
    if v.is_empty() || v.len() > 255 || v.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            "name: give a file name of 1 to 255 characters without control characters",
        ));
    }
    Ok(v.clone())
}

/// `POST /api/hunt` options: `name`, `respect_validity`, `year`.
#[derive(Debug, Clone)]
pub struct HuntQuery {
    pub name: String,
    pub respect_validity: bool,
    pub year: Option<i32>,
}

pub fn hunt_query(pairs: &[(String, String)]) -> Result<HuntQuery, ApiError> {
    let mut q = HuntQuery {
        name: input_name(pairs)?,
        respect_validity: false,
        year: None,
    };
    for (k, v) in pairs {
        match k.as_str() {
            "respect_validity" => q.respect_validity = boolean("respect_validity", v)?,
            "year" => {
                q.year = Some(
                    v.trim()
                        .parse::<i32>()
                        .ok()
                        .filter(|y| (1970..=9999).contains(y))
                        .ok_or_else(|| {
                            ApiError::bad_request(format!("year {v:?}: give a year 1970 to 9999"))
                        })?,
                )
            }
            _ => {}
        }
    }
    Ok(q)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taxii_params_read_filters_and_refuse_bad_values() {
        let p = taxii_params(
            &query_pairs("match%5Btype%5D=malware,tool&limit=5&next=7").unwrap(),
            1000,
        )
        .unwrap();
        assert_eq!(p.filter.types, ["malware", "tool"]);
        assert_eq!((p.limit, p.filter.after_cseq), (5, 7));
        assert!(p.filter.versions.last);
        for bad in ["limit=0", "limit=x", "next=-1", "added_after=yesterday"] {
            let e = taxii_params(&query_pairs(bad).unwrap(), 10).unwrap_err();
            assert_eq!(e.status, axum::http::StatusCode::BAD_REQUEST, "{bad}");
        }
    }

    #[test]
    fn attribute_bodies_are_read_like_attribute_files() {
        let r =
            attribute_request(br#"{"ttp": "T1190,T1059.008", "software": ["S1206"], "limit": 3}"#)
                .unwrap();
        assert_eq!(r.observation.ttp, ["T1190", "T1059.008"]);
        assert_eq!(r.observation.software, ["S1206"]);
        assert_eq!(r.limit, 3);
        for bad in [
            &b"[1,2"[..],
            b"\"T1190\"",
            b"{}",
            b"{\"ttp\": 5}",
            b"{\"colour\": [\"x\"]}",
            b"{\"ttp\": [\"T1190\"], \"limit\": 0}",
            b"\xff",
        ] {
            let e = attribute_request(bad).unwrap_err();
            assert_eq!(e.status, axum::http::StatusCode::BAD_REQUEST);
        }
    }

    #[test]
    fn envelopes_become_bundles() {
        let b = envelope_bundle(br#"{"objects": [{"type": "x"}]}"#).unwrap();
        assert!(b.ends_with(r#""objects":[{"type": "x"}]}"#), "{b}");
        assert!(envelope_bundle(b"{}").is_err());
        assert!(envelope_bundle(b"[[[[").is_err());
    }
}
