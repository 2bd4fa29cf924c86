//! MISP events (JSON): `{"Event": {...}}`, a bare event object, or a REST search
//! answer `{"response": [{"Event": {...}}, ...]}`.
//!
//! Each event becomes a STIX `report` published by the event's creator organisation
//! (`Orgc`, else `Org`, else "MISP"): name = `info`, published = the event `date`
//! (else its publish timestamp, else its timestamp), labels = the event's tag names,
//! TLP tags -> `object_marking_refs` (TLP 2.0 ids; white -> CLEAR), attached galaxy
//! clusters -> `x_misp_galaxies` (names only, not converted). Attributes (top-level
//! and inside MISP objects) of network and file types become STIX `indicator`s with
//! a STIX pattern; the MISP uuid, category and type stay in `x_misp_*` properties.
//! Other attribute types, sightings, proposals and object references are counted in
//! warnings. An attribute whose value does not parse for its type is a
//! [`RecordError`] naming its uuid and field.
//!
//! Natural keys: the event uuid (report) and the attribute uuid (indicator); an
//! attribute without uuid uses `<event key>|<type>|<value>`, an event without uuid
//! its own JSON text (so ids stay deterministic; a warning says so).
//! Confidence: the publisher's grade from [`crate::sources`] (F6 -> 50 when unknown).

use std::collections::{BTreeMap, HashSet};

use serde_json::{json, Map, Value};
use stormwatch_model::{deterministic_id, tlp};

use super::indicators::{self, day_timestamp, escape_pattern, unix_timestamp, IndicatorKind};
use super::{
    source_identity, source_identity_id, Converted, FormatError, RecordError, UNKNOWN_TIME,
};

type JsonObject = Map<String, Value>;

/// Format name.
pub const FORMAT: &str = "misp-event";
/// Publisher when the event names no organisation.
pub const DEFAULT_PUBLISHER: &str = "MISP";

/// True for the top-level keys of a MISP event file: `Event`, `response`, or a bare
/// event (`Attribute` or `Object`, or `uuid` with `info`), and no STIX `type`.
pub fn is_misp_event(top_level_keys: &[String]) -> bool {
    let has = |k: &str| top_level_keys.iter().any(|x| x == k);
    if has("type") || has("spec_version") || has("objects") {
        return false;
    }
    has("Event")
        || has("response")
        || has("Attribute")
        || has("Object")
        || (has("uuid") && has("info"))
}

/// True for a JSON object that is an event itself (not a wrapper).
fn is_bare_event(m: &Map<String, Value>) -> bool {
    !m.contains_key("type")
        && (m.contains_key("Attribute")
            || m.contains_key("Object")
            || (m.contains_key("uuid") && m.contains_key("info")))
}

/// The events of an input, in order.
fn events(v: &Value) -> Result<Vec<&Map<String, Value>>, FormatError> {
    let not_event = || {
        FormatError(
            r#"not a MISP event: expected {"Event": {...}}, {"response": [{"Event": {...}}]} or an event object with Attribute or Object"#
                .into(),
        )
    };
    fn one(item: &Value) -> Option<&Map<String, Value>> {
        let m = item.as_object()?;
        match m.get("Event") {
            Some(Value::Object(e)) => Some(e),
            Some(_) => None,
            None if is_bare_event(m) => Some(m),
            None => None,
        }
    }
    let list = match v {
        Value::Array(a) => a.iter().collect::<Vec<_>>(),
        Value::Object(m) => match m.get("response") {
            Some(Value::Array(a)) if !m.contains_key("Event") => a.iter().collect(),
            Some(r @ Value::Object(_)) if !m.contains_key("Event") => vec![r],
            _ => vec![v],
        },
        _ => return Err(not_event()),
    };
    if let Value::Object(m) = v {
        if m.contains_key("GalaxyCluster") && !m.contains_key("Attribute") {
            return Err(FormatError(
                "not a MISP event: this is a MISP galaxy (it has GalaxyCluster and no Attribute)"
                    .into(),
            ));
        }
    }
    let mut out = Vec::with_capacity(list.len());
    for item in list {
        out.push(one(item).ok_or_else(not_event)?);
    }
    if out.is_empty() {
        return Err(FormatError("the MISP file holds no event".into()));
    }
    Ok(out)
}

/// Converts a MISP event file.
pub fn convert(text: &str) -> Result<Converted, FormatError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let v: Value = serde_json::from_str(text)
        .map_err(|e| FormatError(format!("invalid JSON in the MISP event: {e}")))?;
    let evs = events(&v)?;
    let mut st = State::default();
    let mut identities: Vec<Map<String, Value>> = Vec::new();
    let mut seen_identities = HashSet::new();
    let mut body = Vec::new();
    for ev in evs {
        let publisher = publisher(ev);
        if seen_identities.insert(publisher.clone()) {
            identities.push(source_identity(&publisher, "organization"));
        }
        body.extend(st.event(ev, &publisher));
    }
    let mut out = Converted {
        format: FORMAT.into(),
        objects: identities,
        rejected: std::mem::take(&mut st.rejected),
        warnings: std::mem::take(&mut st.warnings),
    };
    out.objects.extend(body);
    st.summarise(&mut out.warnings);
    Ok(out)
}

fn str_of<'a>(m: &'a Map<String, Value>, k: &str) -> Option<&'a str> {
    m.get(k)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn publisher(ev: &Map<String, Value>) -> String {
    ["Orgc", "Org"]
        .iter()
        .find_map(|k| {
            ev.get(*k)
                .and_then(Value::as_object)
                .and_then(|o| str_of(o, "name"))
        })
        .unwrap_or(DEFAULT_PUBLISHER)
        .to_owned()
}

/// MISP booleans come as true/false, "1"/"0" or 1/0.
fn truthy(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => matches!(s.trim(), "1" | "true" | "True"),
        Some(Value::Number(n)) => n.as_i64() == Some(1),
        _ => false,
    }
}

fn array<'a>(m: &'a Map<String, Value>, k: &str) -> &'a [Value] {
    m.get(k)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// Tag names of an object's `Tag` list.
fn tag_names(m: &Map<String, Value>) -> Vec<String> {
    array(m, "Tag")
        .iter()
        .filter_map(|t| t.as_object().and_then(|t| str_of(t, "name")))
        .map(str::to_owned)
        .collect()
}

/// TLP 2.0 marking ids of TLP tags (`tlp:white` counts as CLEAR).
fn tlp_markings(tags: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in tags {
        let lower = t.to_ascii_lowercase();
        let Some(level) = lower.strip_prefix("tlp:") else {
            continue;
        };
        let level = match level.trim() {
            "white" | "clear" => tlp::Tlp::Clear,
            "green" => tlp::Tlp::Green,
            "amber" => tlp::Tlp::Amber,
            "amber+strict" => tlp::Tlp::AmberStrict,
            "red" => tlp::Tlp::Red,
            _ => continue,
        };
        // TLP_MARKINGS lists the TLP 2.0 definitions first.
        if let Some((id, _, _)) = tlp::TLP_MARKINGS.iter().find(|(_, l, _)| *l == level) {
            if !out.iter().any(|o| o == id) {
                out.push((*id).to_owned());
            }
        }
    }
    out
}

/// Counters and output shared by the events of one file.
#[derive(Default)]
struct State {
    rejected: Vec<RecordError>,
    warnings: Vec<String>,
    attr_index: usize,
    unsupported: BTreeMap<String, usize>,
    sightings: usize,
    deleted: usize,
    proposals: usize,
    references: usize,
    duplicates: usize,
}

impl State {
    fn summarise(&self, w: &mut Vec<String>) {
        if !self.unsupported.is_empty() {
            let n: usize = self.unsupported.values().sum();
            let list: Vec<String> = self
                .unsupported
                .iter()
                .map(|(t, c)| format!("{t} ({c})"))
                .collect();
            w.push(format!(
                "{n} attributes of unsupported types kept out: {}",
                list.join(", ")
            ));
        }
        if self.sightings > 0 {
            w.push(format!("{} sightings ignored", self.sightings));
        }
        if self.deleted > 0 {
            w.push(format!("{} deleted attributes kept out", self.deleted));
        }
        if self.proposals > 0 {
            w.push(format!(
                "{} proposals (ShadowAttribute) ignored",
                self.proposals
            ));
        }
        if self.references > 0 {
            w.push(format!(
                "{} MISP object references ignored",
                self.references
            ));
        }
        if self.duplicates > 0 {
            w.push(format!(
                "{} attributes duplicate an earlier one (same uuid, or same type and value) and were kept once",
                self.duplicates
            ));
        }
    }

    /// The indicators and the report of one event.
    fn event(&mut self, ev: &Map<String, Value>, publisher: &str) -> Vec<Map<String, Value>> {
        let uuid = str_of(ev, "uuid");
        let info = str_of(ev, "info");
        let key = match uuid {
            Some(u) => u.to_owned(),
            None => {
                self.warnings.push(format!(
                    "event {:?} has no uuid: its ids are derived from its content",
                    info.unwrap_or("(no info)")
                ));
                format!("content:{}", Value::Object(ev.clone()))
            }
        };
        let label = uuid.or(info).unwrap_or("(no uuid)").to_owned();
        let date = match str_of(ev, "date") {
            None => None,
            Some(d) => match day_timestamp(d) {
                Some(t) => Some(t),
                None => {
                    self.warnings.push(format!(
                        r#"event {label}: field "date": {d:?} is not a date (YYYY-MM-DD); the timestamps are used instead"#
                    ));
                    None
                }
            },
        };
        let ts = |k: &str| ev.get(k).and_then(|v| unix_timestamp(v).ok().flatten());
        let timestamp = ts("timestamp").filter(|t| t != UNKNOWN_TIME);
        let publish_ts = ts("publish_timestamp").filter(|t| t != UNKNOWN_TIME);
        let event_time = date.clone().or_else(|| timestamp.clone());
        let created = event_time
            .clone()
            .unwrap_or_else(|| UNKNOWN_TIME.to_owned());
        let modified = match &timestamp {
            Some(t) if later(t, &created) => t.clone(),
            _ => created.clone(),
        };
        let published = date
            .clone()
            .or(publish_ts)
            .or(timestamp)
            .unwrap_or_else(|| UNKNOWN_TIME.to_owned());
        let tags = tag_names(ev);
        let markings = tlp_markings(&tags);
        let confidence = crate::sources::grade(publisher).confidence();

        self.sightings += array(ev, "Sighting").len();
        self.proposals += array(ev, "ShadowAttribute").len();
        // (attribute, the MISP object holding it)
        let mut attrs: Vec<(&JsonObject, Option<&JsonObject>)> = Vec::new();
        for a in array(ev, "Attribute") {
            if let Some(a) = a.as_object() {
                attrs.push((a, None));
            }
        }
        for o in array(ev, "Object") {
            let Some(o) = o.as_object() else { continue };
            self.references += array(o, "ObjectReference").len();
            if truthy(o.get("deleted")) {
                self.deleted += array(o, "Attribute").len();
                continue;
            }
            for a in array(o, "Attribute") {
                if let Some(a) = a.as_object() {
                    attrs.push((a, Some(o)));
                }
            }
        }
        let ctx = EventCtx {
            publisher,
            key: &key,
            time: event_time.as_deref(),
            markings: &markings,
            confidence,
        };
        let mut objects = Vec::new();
        let mut seen = HashSet::new();
        for (a, obj) in attrs {
            let index = self.attr_index;
            self.attr_index += 1;
            self.sightings += array(a, "Sighting").len();
            self.proposals += array(a, "ShadowAttribute").len();
            if truthy(a.get("deleted")) {
                self.deleted += 1;
                continue;
            }
            match attribute(&ctx, a, obj) {
                Ok(Some(m)) => {
                    let id = m.get("id").and_then(Value::as_str).unwrap_or_default();
                    if seen.insert(id.to_owned()) {
                        objects.push(m);
                    } else {
                        self.duplicates += 1;
                    }
                }
                Ok(None) => {
                    let t = str_of(a, "type").unwrap_or("(none)").to_owned();
                    *self.unsupported.entry(t).or_default() += 1;
                }
                Err(error) => self.rejected.push(RecordError {
                    index,
                    line: 0,
                    id: str_of(a, "uuid")
                        .or_else(|| str_of(a, "value"))
                        .map(str::to_owned),
                    error,
                }),
            }
        }

        let mut galaxies: Vec<String> = Vec::new();
        let clusters = array(ev, "Galaxy")
            .iter()
            .filter_map(Value::as_object)
            .flat_map(|g| array(g, "GalaxyCluster"))
            .chain(array(ev, "GalaxyCluster"));
        for c in clusters.filter_map(Value::as_object) {
            if let Some(n) = str_of(c, "value").or_else(|| str_of(c, "tag_name")) {
                if !galaxies.iter().any(|g| g == n) {
                    galaxies.push(n.to_owned());
                }
            }
        }

        let refs: Vec<Value> = if objects.is_empty() {
            vec![json!(source_identity_id(publisher))]
        } else {
            objects
                .iter()
                .filter_map(|o| o.get("id").cloned())
                .collect()
        };
        let mut r = Map::new();
        r.insert("type".into(), json!("report"));
        r.insert("spec_version".into(), json!("2.1"));
        r.insert(
            "id".into(),
            json!(deterministic_id(publisher, "report", &key)),
        );
        r.insert(
            "created_by_ref".into(),
            json!(source_identity_id(publisher)),
        );
        r.insert("created".into(), json!(created));
        r.insert("modified".into(), json!(modified));
        let name = match (info, uuid) {
            (Some(i), _) => i.to_owned(),
            (None, Some(u)) => format!("MISP event {u}"),
            (None, None) => "MISP event".to_owned(),
        };
        r.insert("name".into(), json!(name));
        r.insert("published".into(), json!(published));
        r.insert("object_refs".into(), Value::Array(refs));
        r.insert("confidence".into(), json!(confidence));
        if !tags.is_empty() {
            r.insert("labels".into(), json!(tags));
        }
        if !markings.is_empty() {
            r.insert("object_marking_refs".into(), json!(markings));
        }
        if let Some(u) = uuid {
            r.insert("x_misp_event_uuid".into(), json!(u));
        }
        for (k, x) in [
            ("threat_level_id", "x_misp_threat_level_id"),
            ("analysis", "x_misp_analysis"),
        ] {
            if let Some(v) = str_of(ev, k) {
                r.insert(x.into(), json!(v));
            }
        }
        if ev.contains_key("published") {
            r.insert(
                "x_misp_published".into(),
                json!(truthy(ev.get("published"))),
            );
        }
        if !galaxies.is_empty() {
            r.insert("x_misp_galaxies".into(), json!(galaxies));
        }
        objects.push(r);
        objects
    }
}

/// True when STIX timestamp `a` is after `b` (both from this module: same width).
fn later(a: &str, b: &str) -> bool {
    match (
        stormwatch_model::Timestamp::parse(a),
        stormwatch_model::Timestamp::parse(b),
    ) {
        (Ok(a), Ok(b)) => a > b,
        _ => false,
    }
}

/// What an event's attributes share.
struct EventCtx<'a> {
    publisher: &'a str,
    key: &'a str,
    time: Option<&'a str>,
    markings: &'a [String],
    confidence: u8,
}

/// The STIX pattern of a MISP attribute: `Ok(None)` for types not converted,
/// `Err(why)` for a value that does not parse for its type.
pub fn pattern(misp_type: &str, value: &str) -> Result<Option<String>, String> {
    let t = misp_type.trim().to_ascii_lowercase();
    let v = value.trim();
    let p = match t.as_str() {
        "ip-src" | "ip-dst" => ip(v)?,
        "ip-src|port" | "ip-dst|port" => {
            let Some((addr, port)) = v.rsplit_once('|') else {
                return Err(format!("{value:?} is not IP|port"));
            };
            if !port.trim().chars().all(|c| c.is_ascii_digit()) {
                return Err(format!("{value:?}: port {port:?} is not a number"));
            }
            ip(addr.trim())?
        }
        "domain" | "hostname" => match indicators::domain(v) {
            Ok(d) => IndicatorKind::Domain.pattern(&d),
            Err(e) => return Err(format!("{value:?} is not a domain name ({e})")),
        },
        "url" | "link" | "uri" => {
            if v.is_empty() || v.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(format!("{value:?} is not a URL (empty or has whitespace)"));
            }
            let u = indicators::url(v).unwrap_or_else(|_| v.to_owned());
            IndicatorKind::Url.pattern(&u)
        }
        "email" | "email-src" | "email-dst" => match indicators::email(v) {
            Ok(e) => IndicatorKind::Email.pattern(&e),
            Err(e) => return Err(format!("{value:?} is not an email address ({e})")),
        },
        "md5" | "sha1" | "sha256" | "sha512" => {
            let kind = hash_kind(&t).ok_or_else(|| format!("unknown hash type {t}"))?;
            kind.pattern(&hash(kind, v)?)
        }
        "filename|md5" | "filename|sha1" | "filename|sha256" | "filename|sha512" => {
            let kind = hash_kind(t.trim_start_matches("filename|"))
                .ok_or_else(|| format!("unknown hash type {t}"))?;
            let Some((name, h)) = v.rsplit_once('|') else {
                return Err(format!("{value:?} is not filename|hash"));
            };
            let name = file_name(name)?;
            format!(
                "[file:name = '{}' AND {} = '{}']",
                escape_pattern(&name),
                kind.hash_path().unwrap_or("file:hashes.MD5"),
                escape_pattern(&hash(kind, h.trim())?)
            )
        }
        "filename" => format!("[file:name = '{}']", escape_pattern(&file_name(value)?)),
        _ => return Ok(None),
    };
    Ok(Some(p))
}

fn hash_kind(t: &str) -> Option<IndicatorKind> {
    match t {
        "md5" => Some(IndicatorKind::Md5),
        "sha1" => Some(IndicatorKind::Sha1),
        "sha256" => Some(IndicatorKind::Sha256),
        "sha512" => Some(IndicatorKind::Sha512),
        _ => None,
    }
}

fn hash(kind: IndicatorKind, v: &str) -> Result<String, String> {
    let want = match kind {
        IndicatorKind::Md5 => 32,
        IndicatorKind::Sha1 => 40,
        IndicatorKind::Sha256 => 64,
        _ => 128,
    };
    if v.len() == want && v.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(v.to_ascii_lowercase())
    } else {
        Err(format!(
            "{v:?} is not {} ({want} hex characters)",
            kind.describe()
        ))
    }
}

fn file_name(v: &str) -> Result<String, String> {
    if v.trim().is_empty() {
        return Err("the file name is empty".into());
    }
    if v.chars().any(|c| c.is_control()) {
        return Err(format!("{v:?} is not a file name (control characters)"));
    }
    Ok(v.to_owned())
}

/// IPv4 (strict), IPv6 (canonical) or either as CIDR.
fn ip(v: &str) -> Result<String, String> {
    match indicators::check(v) {
        indicators::Checked::Ok(k, c)
            if matches!(
                k,
                IndicatorKind::Ipv4
                    | IndicatorKind::Ipv6
                    | IndicatorKind::Ipv4Cidr
                    | IndicatorKind::Ipv6Cidr
            ) =>
        {
            Ok(k.pattern(&c))
        }
        indicators::Checked::Malformed(why)
            if v.chars()
                .all(|c| c.is_ascii_hexdigit() || ".:/".contains(c)) =>
        {
            Err(format!("{v:?} {why}"))
        }
        _ => Err(format!("{v:?} is not an IP address")),
    }
}

/// The indicator of one attribute (`Ok(None)` for an unsupported type).
fn attribute(
    ctx: &EventCtx<'_>,
    a: &Map<String, Value>,
    obj: Option<&Map<String, Value>>,
) -> Result<Option<Map<String, Value>>, String> {
    let t = match a.get("type") {
        Some(Value::String(t)) if !t.trim().is_empty() => t.trim(),
        Some(Value::String(_)) | None => return Err(r#"field "type": is missing"#.into()),
        Some(_) => return Err(r#"field "type": must be a string"#.into()),
    };
    let value = match a.get("value") {
        Some(Value::String(v)) => v.as_str(),
        None => return Err(r#"field "value": is missing"#.into()),
        Some(_) => return Err(r#"field "value": must be a string"#.into()),
    };
    let uuid = str_of(a, "uuid");
    let at = uuid.map_or(String::new(), |u| format!("attribute {u}: "));
    let Some(pattern) = pattern(t, value).map_err(|e| format!(r#"{at}field "value": {e}"#))? else {
        return Ok(None);
    };
    let time = match a.get("timestamp") {
        None => None,
        Some(v) => unix_timestamp(v).map_err(|e| format!(r#"{at}field "timestamp": {e}"#))?,
    }
    .filter(|t| t != UNKNOWN_TIME);
    let time = time
        .as_deref()
        .or(ctx.time)
        .unwrap_or(UNKNOWN_TIME)
        .to_owned();
    let natural = match uuid {
        Some(u) => u.to_owned(),
        None => format!("{}|{t}|{value}", ctx.key),
    };
    let mut m = indicators::indicator_base(
        ctx.publisher,
        &natural,
        value,
        &pattern,
        &time,
        ctx.confidence,
    );
    if let Some(c) = str_of(a, "comment") {
        m.insert("description".into(), json!(c));
    }
    if truthy(a.get("to_ids")) {
        m.insert("indicator_types".into(), json!(["malicious-activity"]));
    }
    let tags = tag_names(a);
    if !tags.is_empty() {
        m.insert("labels".into(), json!(tags));
    }
    let own = tlp_markings(&tags);
    let markings = if own.is_empty() { ctx.markings } else { &own };
    if !markings.is_empty() {
        m.insert("object_marking_refs".into(), json!(markings));
    }
    if let Some(u) = uuid {
        m.insert("x_misp_attribute_uuid".into(), json!(u));
    }
    if let Some(c) = str_of(a, "category") {
        m.insert("x_misp_category".into(), json!(c));
    }
    m.insert("x_misp_type".into(), json!(t));
    if let Some(o) = obj {
        if let Some(n) = str_of(o, "name") {
            m.insert("x_misp_object_name".into(), json!(n));
        }
        if let Some(u) = str_of(o, "uuid") {
            m.insert("x_misp_object_uuid".into(), json!(u));
        }
        if let Some(r) = str_of(a, "object_relation") {
            m.insert("x_misp_object_relation".into(), json!(r));
        }
    }
    Ok(Some(m))
}
