//! MISP galaxy cluster files (MISP/misp-galaxy `clusters/*.json`; schema
//! `schema_clusters.json`): `{"type", "name", "uuid", "version", "values": [{"value",
//! "uuid", "description", "meta", "related", "revoked"}]}`.
//!
//! Every cluster value becomes one STIX object made by the identity "MISP galaxy
//! project", with id `deterministic_id("MISP galaxy project", <stix type>, <value
//! uuid, lower case>)`. The STIX type follows the galaxy `type` ([`GALAXY_TYPES`]; a
//! galaxy not in the table whose `category` is "actor" is taken for actors, anything
//! else becomes the custom SDO `x-misp-galaxy-cluster`). `name` is the value
//! (trimmed), `aliases` the `meta.synonyms` (for types that have aliases), plus
//! `description`, `external_references` (`meta.external_id` of MITRE galaxies as
//! `mitre-attack`/`mitre-mobile-attack`, then each `meta.refs` entry as
//! `misp-galaxy-ref`), `x_misp_galaxy` (the galaxy type), `x_misp_cluster_uuid` and
//! `x_misp_meta` (the whole `meta`, verbatim). The file has a `version` but no date:
//! `created`/`modified` are [`UNKNOWN_TIME`].
//!
//! `related` entries become relationships (see [`relation_of`]): name links
//! ("similar", "overlaps", "related-to", "linked-to", "associated-with"; "known-as")
//! are claims ([`ClaimSpec`]: overlaps-with; same-as) graded by the MISP galaxy
//! project's grade, undated, citing the galaxy and the cluster, with MISP's
//! estimative-language tags as the claim's note; "uses"/"used-by" become a STIX `uses`
//! relationship (reversed for "used-by"); anything else a relationship with MISP's
//! relation name. A target is referenced by the same deterministic rule, so its STIX
//! type must be known: from this file, from a [`KnownClusters`] index of other galaxy
//! files ([`convert_with`]), or from ATT&CK's data model for a few MITRE relations
//! (mitigations mitigate techniques, detection strategies detect techniques,
//! sub-techniques are techniques). Other targets are skipped and counted in a warning.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{json, Map, Value};

use stormwatch_model::claim::{ClaimKind, ClaimSpec};

use super::{
    source_identity, source_identity_id, Converted, FormatError, RecordError, UNKNOWN_TIME,
};
use crate::sources;

/// Format name reported by `import`.
pub const FORMAT: &str = "misp-galaxy";
/// Publisher identity of galaxy data.
pub const PUBLISHER: &str = "MISP galaxy project";
/// Custom SDO type for galaxies with no STIX counterpart.
pub const CUSTOM_TYPE: &str = "x-misp-galaxy-cluster";

/// How values of one galaxy type become STIX.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mapping {
    pub stix_type: &'static str,
    /// `malware_types` (STIX open vocabulary) for malware galaxies, if one fits.
    pub malware_types: &'static [&'static str],
    /// `identity_class` for identity galaxies.
    pub identity_class: Option<&'static str>,
}

const fn map(stix_type: &'static str) -> Mapping {
    Mapping {
        stix_type,
        malware_types: &[],
        identity_class: None,
    }
}

const fn malware(types: &'static [&'static str]) -> Mapping {
    Mapping {
        stix_type: "malware",
        malware_types: types,
        identity_class: None,
    }
}

const fn identity(class: &'static str) -> Mapping {
    Mapping {
        stix_type: "identity",
        malware_types: &[],
        identity_class: Some(class),
    }
}

/// Galaxy `type` -> STIX. The `type` inside the file counts, not the file name
/// (`360net.json` has type `360net-threat-actor`, `tidal-groups.json` has `groups`,
/// `mitre-detection-strategy.json` has `x-mitre-detection-strategy`).
#[rustfmt::skip]
pub static GALAXY_TYPES: &[(&str, Mapping)] = &[
    // Actor galaxies: values are groups.
    ("threat-actor", map("intrusion-set")),
    ("microsoft-activity-group", map("intrusion-set")),
    ("mitre-intrusion-set", map("intrusion-set")),
    ("mitre-enterprise-attack-intrusion-set", map("intrusion-set")),
    ("mitre-pre-attack-intrusion-set", map("intrusion-set")),
    ("mitre-mobile-attack-intrusion-set", map("intrusion-set")),
    ("mitre-ics-groups", map("intrusion-set")),
    ("360net-threat-actor", map("intrusion-set")),
    ("groups", map("intrusion-set")), // Tidal Cyber groups
    ("tidal-groups", map("intrusion-set")),
    // Malware families.
    ("mitre-malware", malware(&[])),
    ("mitre-enterprise-attack-malware", malware(&[])),
    ("mitre-mobile-attack-malware", malware(&[])),
    ("mitre-ics-software", malware(&[])), // all 17 values are malware (Stuxnet, Triton, ...)
    ("malpedia", malware(&[])),
    ("ransomware", malware(&["ransomware"])),
    ("rat", malware(&["remote-access-trojan"])),
    ("backdoor", malware(&["backdoor"])),
    ("botnet", malware(&["bot"])),
    ("stealer", malware(&[])),
    ("exploit-kit", malware(&["exploit-kit"])),
    // Tools.
    ("tool", map("tool")),
    ("mitre-tool", map("tool")),
    ("mitre-enterprise-attack-tool", map("tool")),
    ("mitre-mobile-attack-tool", map("tool")),
    ("rmm-tool", map("tool")),
    // Techniques and mitigations.
    ("mitre-attack-pattern", map("attack-pattern")),
    ("mitre-enterprise-attack-attack-pattern", map("attack-pattern")),
    ("mitre-pre-attack-attack-pattern", map("attack-pattern")),
    ("mitre-mobile-attack-attack-pattern", map("attack-pattern")),
    ("mitre-ics-techniques", map("attack-pattern")),
    ("mitre-course-of-action", map("course-of-action")),
    ("mitre-enterprise-attack-course-of-action", map("course-of-action")),
    ("mitre-mobile-attack-course-of-action", map("course-of-action")),
    // Identities and places.
    ("sector", identity("class")),
    ("surveillance-vendor", identity("organization")), // companies, not intrusion sets
    ("country", map("location")),
];

/// The STIX mapping of a galaxy type (and its category, for galaxies not in
/// [`GALAXY_TYPES`]).
pub fn stix_mapping(galaxy_type: &str, category: Option<&str>) -> Mapping {
    if let Some((_, m)) = GALAXY_TYPES.iter().find(|(t, _)| *t == galaxy_type) {
        return *m;
    }
    if category.is_some_and(|c| c.eq_ignore_ascii_case("actor")) {
        return map("intrusion-set");
    }
    map(CUSTOM_TYPE)
}

/// Types that carry `aliases` (STIX 2.1, plus the custom type).
const ALIAS_TYPES: &[&str] = &[
    "intrusion-set",
    "malware",
    "tool",
    "attack-pattern",
    "threat-actor",
    "campaign",
    CUSTOM_TYPE,
];

/// The `source_name` for `meta.external_id` of a MITRE galaxy, None for others.
fn attack_source(galaxy_type: &str) -> Option<&'static str> {
    if galaxy_type.starts_with("mitre-mobile-attack") {
        Some("mitre-mobile-attack")
    } else if galaxy_type.starts_with("mitre-ics") {
        Some("mitre-ics-attack")
    } else if galaxy_type.starts_with("mitre-") || galaxy_type.starts_with("x-mitre-") {
        Some("mitre-attack")
    } else {
        None
    }
}

/// True when the top-level keys are those of a galaxy cluster file.
pub fn detect(top_level_keys: &[String]) -> bool {
    let has = |k: &str| top_level_keys.iter().any(|t| t == k);
    has("values") && has("uuid") && (has("type") || has("name"))
}

/// What a MISP `related` type becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Relation {
    /// A graded claim between the two clusters.
    Claim(ClaimKind),
    /// A plain STIX relationship; `reversed` swaps source and target.
    Plain {
        relationship_type: String,
        reversed: bool,
    },
}

/// The STIX form of a MISP relation type (trimmed, lower-cased; MISP data has
/// `"is-deployed-by "` with a trailing space), or None when nothing usable is left:
/// - "similar", "overlaps", "related-to", "linked-to", "associated-with" -> an
///   overlaps-with claim: MISP uses them for "these clusters are (partly) the same",
///   without saying how much; same-as would merge disputed clusters (MISP lists one
///   synonym on several actors), so the weaker kind is used;
/// - "known-as", "same-as" -> a same-as claim;
/// - "uses" -> `uses`; "used-by" -> `uses` reversed;
/// - anything else ("mitigates", "subtechnique-of", "revoked-by", "targets",
///   "variant-of", ...) -> a relationship of that name (characters outside a-z, 0-9
///   and '-' replaced by '-').
pub fn relation_of(misp_type: &str) -> Option<Relation> {
    let t = misp_type.trim().to_lowercase();
    Some(match t.as_str() {
        "similar" | "overlaps" | "related-to" | "linked-to" | "associated-with" => {
            Relation::Claim(ClaimKind::OverlapsWith)
        }
        "known-as" | "same-as" => Relation::Claim(ClaimKind::SameAs),
        "uses" => Relation::Plain {
            relationship_type: "uses".into(),
            reversed: false,
        },
        "used-by" => Relation::Plain {
            relationship_type: "uses".into(),
            reversed: true,
        },
        other => {
            let mut s = String::with_capacity(other.len());
            for c in other.chars() {
                let c = if c.is_ascii_lowercase() || c.is_ascii_digit() {
                    c
                } else {
                    '-'
                };
                if !(c == '-' && s.ends_with('-')) {
                    s.push(c);
                }
            }
            let s = s.trim_matches('-');
            if s.is_empty() {
                return None;
            }
            Relation::Plain {
                relationship_type: s.to_owned(),
                reversed: false,
            }
        }
    })
}

/// The target type ATT&CK's data model implies for a relation from a MITRE galaxy.
fn implied_target(galaxy_type: &str, relation: &str) -> Option<&'static str> {
    match (galaxy_type, relation) {
        (g, "mitigates") if g.starts_with("mitre-") && g.ends_with("course-of-action") => {
            Some("attack-pattern")
        }
        ("x-mitre-detection-strategy", "detects") => Some("attack-pattern"),
        (g, "subtechnique-of") if g.starts_with("mitre-") && g.ends_with("attack-pattern") => {
            Some("attack-pattern")
        }
        _ => None,
    }
}

/// True for `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (hex, any case).
pub fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// STIX types of cluster values by uuid, collected from galaxy files, so that
/// relationships to clusters of other files can be resolved ([`convert_with`]).
/// A uuid that two files give different STIX types is ambiguous and not resolved.
#[derive(Debug, Default, Clone)]
pub struct KnownClusters {
    types: HashMap<String, Option<&'static str>>,
}

impl KnownClusters {
    pub fn new() -> KnownClusters {
        KnownClusters::default()
    }

    /// Records one uuid's STIX type.
    pub fn insert(&mut self, uuid: &str, stix_type: &'static str) {
        let e = self
            .types
            .entry(uuid.to_ascii_lowercase())
            .or_insert(Some(stix_type));
        if *e != Some(stix_type) {
            *e = None;
        }
    }

    /// Adds every value of a galaxy file; returns how many uuids it read.
    pub fn add_file(&mut self, text: &str) -> Result<usize, FormatError> {
        let g = parse_top(text)?;
        let mapping = stix_mapping(&g.galaxy_type, g.category.as_deref());
        let mut n = 0;
        for raw in &g.values {
            #[derive(Deserialize)]
            struct Uuid {
                uuid: Option<Value>,
            }
            if let Ok(Uuid {
                uuid: Some(Value::String(u)),
            }) = serde_json::from_str::<Uuid>(raw.get())
            {
                if is_uuid(&u) {
                    self.insert(&u, mapping.stix_type);
                    n += 1;
                }
            }
        }
        Ok(n)
    }

    /// The STIX type of a uuid, if known and unambiguous.
    pub fn stix_type(&self, uuid: &str) -> Option<&'static str> {
        self.types
            .get(&uuid.to_ascii_lowercase())
            .copied()
            .flatten()
    }

    pub fn len(&self) -> usize {
        self.types.len()
    }

    pub fn is_empty(&self) -> bool {
        self.types.is_empty()
    }
}

struct Top<'a> {
    galaxy_type: String,
    name: Option<String>,
    category: Option<String>,
    version: Option<Value>,
    values: Vec<&'a RawValue>,
}

fn parse_top(text: &str) -> Result<Top<'_>, FormatError> {
    #[derive(Deserialize)]
    struct Raw<'a> {
        #[serde(rename = "type")]
        galaxy_type: Option<Value>,
        name: Option<Value>,
        category: Option<Value>,
        version: Option<Value>,
        #[serde(borrow)]
        values: Option<&'a RawValue>,
    }
    let raw: Raw = serde_json::from_str(text).map_err(|e| {
        FormatError(format!(
            "not a MISP galaxy cluster file (expected a JSON object with \"type\", \"uuid\" and \"values\"): {e}"
        ))
    })?;
    let galaxy_type = match raw.galaxy_type {
        Some(Value::String(t)) if !t.trim().is_empty() => t.trim().to_owned(),
        Some(_) => {
            return Err(FormatError(
                "MISP galaxy cluster file: \"type\" must be a non-empty string".into(),
            ))
        }
        None => {
            return Err(FormatError(
                "MISP galaxy cluster file: \"type\" (the galaxy type) is missing".into(),
            ))
        }
    };
    let values: Vec<&RawValue> = match raw.values {
        None => {
            return Err(FormatError(
                "MISP galaxy cluster file: \"values\" is missing".into(),
            ))
        }
        Some(v) => serde_json::from_str(v.get()).map_err(|_| {
            FormatError("MISP galaxy cluster file: \"values\" must be a list".into())
        })?,
    };
    let string = |v: Option<Value>| match v {
        Some(Value::String(s)) => Some(s),
        _ => None,
    };
    Ok(Top {
        galaxy_type,
        name: string(raw.name),
        category: string(raw.category),
        version: raw.version,
        values,
    })
}

/// One accepted cluster value.
struct Cluster {
    index: usize,
    uuid: String,
    name: String,
    id: String,
    value: Map<String, Value>,
}

/// Why a value could not be read as a JSON object.
fn parse_error(e: &serde_json::Error) -> String {
    match e.classify() {
        serde_json::error::Category::Data => "is not a JSON object".into(),
        _ => {
            let msg = e.to_string();
            match msg.rfind(" at line ") {
                Some(i) => msg[..i].to_owned(),
                None => msg,
            }
        }
    }
}

fn field_err(key: &str, what: &str) -> String {
    format!("field {key:?}: {what}")
}

/// Checks a value's `value` and `uuid`; returns (name, lower-case uuid).
fn check_value(v: &Map<String, Value>) -> Result<(String, String), String> {
    let name = match v.get("value") {
        None | Some(Value::Null) => return Err(field_err("value", "is missing")),
        Some(Value::String(s)) if s.trim().is_empty() => {
            return Err(field_err("value", "is empty"))
        }
        Some(Value::String(s)) => s.trim().to_owned(),
        Some(_) => return Err(field_err("value", "must be a string")),
    };
    let uuid = match v.get("uuid") {
        None | Some(Value::Null) => return Err(field_err("uuid", "is missing")),
        Some(Value::String(s)) if is_uuid(s.trim()) => s.trim().to_ascii_lowercase(),
        Some(Value::String(s)) => return Err(field_err("uuid", &format!("{s:?} is not a UUID"))),
        Some(_) => return Err(field_err("uuid", "must be a UUID string")),
    };
    Ok((name, uuid))
}

/// Converts one galaxy cluster file; relationships to clusters of other files are
/// kept only when ATT&CK's data model implies their type (see [`convert_with`]).
pub fn convert(text: &str) -> Result<Converted, FormatError> {
    convert_with(text, &KnownClusters::default())
}

/// Converts one galaxy cluster file, resolving targets in other files with `known`
/// (e.g. built with [`KnownClusters::add_file`] from every file of one import).
pub fn convert_with(text: &str, known: &KnownClusters) -> Result<Converted, FormatError> {
    let top = parse_top(text)?;
    let mapping = stix_mapping(&top.galaxy_type, top.category.as_deref());
    let stix_type = mapping.stix_type;
    let lines = super::element_lines(text, &top.values);
    let grade = sources::grade(PUBLISHER);
    let confidence = grade.confidence();
    let created_by = source_identity_id(PUBLISHER);
    let class = sources::lookup(PUBLISHER).map_or("organization", |s| s.identity_class);
    let version = match &top.version {
        Some(v @ Value::Number(_)) => format!(", version {v}"),
        Some(Value::String(s)) => format!(", version {s}"),
        _ => String::new(),
    };
    let galaxy_label = match &top.name {
        Some(n) => format!("MISP galaxy {} ({n:?}{version})", top.galaxy_type),
        None if version.is_empty() => format!("MISP galaxy {}", top.galaxy_type),
        None => format!(
            "MISP galaxy {} ({})",
            top.galaxy_type,
            version.trim_start_matches(", ")
        ),
    };

    let mut out = Converted {
        format: FORMAT.to_owned(),
        ..Converted::default()
    };
    out.objects.push(source_identity(PUBLISHER, class));

    // Pass 1: accept values.
    let mut clusters: Vec<Cluster> = Vec::with_capacity(top.values.len());
    let mut first_of: HashMap<String, usize> = HashMap::new();
    let mut duplicates: Vec<String> = Vec::new();
    for (index, raw) in top.values.iter().enumerate() {
        let line = lines.get(index).copied().unwrap_or(0);
        let value: Map<String, Value> = match serde_json::from_str(raw.get()) {
            Ok(m) => m,
            Err(e) => {
                out.rejected.push(RecordError {
                    index,
                    line,
                    id: None,
                    error: parse_error(&e),
                });
                continue;
            }
        };
        let (name, uuid) = match check_value(&value) {
            Ok(x) => x,
            Err(error) => {
                let id = ["uuid", "value"]
                    .iter()
                    .find_map(|k| value.get(*k).and_then(Value::as_str))
                    .map(str::to_owned);
                out.rejected.push(RecordError {
                    index,
                    line,
                    id,
                    error,
                });
                continue;
            }
        };
        if let Some(&first) = first_of.get(&uuid) {
            duplicates.push(format!(
                "values[{index}] ({name:?}, line {line}) repeats the uuid {uuid} of values[{first}]; kept the first"
            ));
            continue;
        }
        first_of.insert(uuid.clone(), index);
        let id = stormwatch_model::deterministic_id(PUBLISHER, stix_type, &uuid);
        clusters.push(Cluster {
            index,
            uuid,
            name,
            id,
            value,
        });
    }
    let local: HashMap<&str, &str> = clusters
        .iter()
        .map(|c| (c.uuid.as_str(), c.id.as_str()))
        .collect();

    // Pass 2: objects, then relationships.
    let mut relationships: Vec<Map<String, Value>> = Vec::new();
    let mut rel_ids: HashSet<String> = HashSet::new();
    let mut unknown_target: BTreeMap<String, usize> = BTreeMap::new();
    let (mut self_refs, mut malformed) = (0usize, 0usize);
    for c in &clusters {
        out.objects.push(value_object(
            c,
            &top.galaxy_type,
            mapping,
            &created_by,
            confidence,
            &mut out.warnings,
        ));
        let Some(related) = c.value.get("related").and_then(Value::as_array) else {
            continue;
        };
        for r in related {
            let Some(r) = r.as_object() else {
                malformed += 1;
                continue;
            };
            let (Some(dest), Some(rtype)) = (
                r.get("dest-uuid").and_then(Value::as_str),
                r.get("type").and_then(Value::as_str),
            ) else {
                malformed += 1;
                continue;
            };
            let dest = dest.trim().to_ascii_lowercase();
            if !is_uuid(&dest) {
                malformed += 1;
                continue;
            }
            if dest == c.uuid {
                self_refs += 1;
                continue;
            }
            let Some(relation) = relation_of(rtype) else {
                malformed += 1;
                continue;
            };
            let target_id = match local.get(dest.as_str()) {
                Some(id) => (*id).to_owned(),
                None => {
                    let t = known
                        .stix_type(&dest)
                        .or_else(|| implied_target(&top.galaxy_type, rtype.trim()));
                    match t {
                        Some(t) => stormwatch_model::deterministic_id(PUBLISHER, t, &dest),
                        None => {
                            *unknown_target.entry(rtype.trim().to_owned()).or_default() += 1;
                            continue;
                        }
                    }
                }
            };
            let tags: Vec<&str> = r
                .get("tags")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let mut rel = match &relation {
                Relation::Claim(kind) => {
                    let reference = format!("{galaxy_label}, cluster {} ({:?})", c.uuid, c.name);
                    let note =
                        (!tags.is_empty()).then(|| format!("MISP tags: {}", tags.join("; ")));
                    ClaimSpec {
                        kind: *kind,
                        source_ref: &c.id,
                        target_ref: &target_id,
                        created_by_ref: &created_by,
                        source_name: PUBLISHER,
                        date: None,
                        grade,
                        reference: &reference,
                        url: None,
                        note: note.as_deref(),
                        timestamp: UNKNOWN_TIME,
                    }
                    .to_stix()
                }
                Relation::Plain {
                    relationship_type,
                    reversed,
                } => {
                    let (s, t) = if *reversed {
                        (target_id.as_str(), c.id.as_str())
                    } else {
                        (c.id.as_str(), target_id.as_str())
                    };
                    let id = stormwatch_model::deterministic_id(
                        PUBLISHER,
                        "relationship",
                        &format!("{s}|{relationship_type}|{t}"),
                    );
                    let mut m = Map::new();
                    m.insert("type".into(), json!("relationship"));
                    m.insert("spec_version".into(), json!("2.1"));
                    m.insert("id".into(), json!(id));
                    m.insert("created".into(), json!(UNKNOWN_TIME));
                    m.insert("modified".into(), json!(UNKNOWN_TIME));
                    m.insert("relationship_type".into(), json!(relationship_type));
                    m.insert("source_ref".into(), json!(s));
                    m.insert("target_ref".into(), json!(t));
                    m.insert("created_by_ref".into(), json!(created_by));
                    m.insert("confidence".into(), json!(confidence));
                    if !tags.is_empty() {
                        m.insert("x_misp_tags".into(), json!(tags));
                    }
                    m
                }
            };
            rel.insert("x_misp_relation".into(), json!(rtype));
            let id = rel
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            if rel_ids.insert(id) {
                relationships.push(rel);
            }
        }
    }
    out.objects.extend(relationships);

    const SAMPLES: usize = 10;
    let ndup = duplicates.len();
    out.warnings.extend(duplicates.into_iter().take(SAMPLES));
    if ndup > SAMPLES {
        out.warnings
            .push(format!("... and {} more repeated uuids", ndup - SAMPLES));
    }
    let unknown: usize = unknown_target.values().sum();
    if unknown > 0 {
        let by_type: Vec<String> = unknown_target
            .iter()
            .map(|(t, n)| format!("{t}: {n}"))
            .collect();
        out.warnings.push(format!(
            "{unknown} related entries point at clusters outside this file whose STIX type is unknown and were skipped ({}); import the other galaxy files together to resolve them",
            by_type.join(", ")
        ));
    }
    if self_refs > 0 {
        out.warnings.push(format!(
            "{self_refs} related entries point at their own cluster and were skipped"
        ));
    }
    if malformed > 0 {
        out.warnings.push(format!(
            "{malformed} related entries lack a valid \"dest-uuid\" or \"type\" and were skipped"
        ));
    }
    Ok(out)
}

/// The STIX object of one accepted value.
fn value_object(
    c: &Cluster,
    galaxy_type: &str,
    mapping: Mapping,
    created_by: &str,
    confidence: u8,
    warnings: &mut Vec<String>,
) -> Map<String, Value> {
    let v = &c.value;
    let meta = v.get("meta");
    let meta_obj = meta.and_then(Value::as_object);
    let mut m = Map::new();
    m.insert("type".into(), json!(mapping.stix_type));
    m.insert("spec_version".into(), json!("2.1"));
    m.insert("id".into(), json!(c.id));
    m.insert("created".into(), json!(UNKNOWN_TIME));
    m.insert("modified".into(), json!(UNKNOWN_TIME));
    m.insert("created_by_ref".into(), json!(created_by));
    m.insert("name".into(), json!(c.name));
    if let Some(Value::String(d)) = v.get("description") {
        if !d.trim().is_empty() {
            m.insert("description".into(), json!(d));
        }
    }
    if ALIAS_TYPES.contains(&mapping.stix_type) {
        let mut seen: HashSet<String> = HashSet::from([c.name.to_lowercase()]);
        let aliases: Vec<&str> = meta_obj
            .and_then(|mo| mo.get("synonyms"))
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::trim)
                    .filter(|s| !s.is_empty() && seen.insert(s.to_lowercase()))
                    .collect()
            })
            .unwrap_or_default();
        if !aliases.is_empty() {
            m.insert("aliases".into(), json!(aliases));
        }
    }
    match mapping.stix_type {
        "malware" => {
            m.insert("is_family".into(), json!(true));
            if !mapping.malware_types.is_empty() {
                m.insert("malware_types".into(), json!(mapping.malware_types));
            }
        }
        "identity" => {
            m.insert(
                "identity_class".into(),
                json!(mapping.identity_class.unwrap_or("unknown")),
            );
        }
        "location" => {
            let iso = meta_obj
                .and_then(|mo| mo.get("ISO"))
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| s.len() == 2 && s.chars().all(|ch| ch.is_ascii_alphabetic()));
            match iso {
                Some(iso) => {
                    m.insert("country".into(), json!(iso.to_ascii_uppercase()));
                }
                None => {
                    warnings.push(format!(
                        "values[{}] ({:?}) has no 2-letter meta.ISO; its location's country is the value itself",
                        c.index, c.name
                    ));
                    m.insert("country".into(), json!(c.name));
                }
            }
        }
        _ => {}
    }
    if v.get("revoked") == Some(&Value::Bool(true)) {
        m.insert("revoked".into(), json!(true));
    }
    let mut refs: Vec<Value> = Vec::new();
    if let (Some(src), Some(ext)) = (
        attack_source(galaxy_type),
        meta_obj
            .and_then(|mo| mo.get("external_id"))
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty()),
    ) {
        refs.push(json!({"source_name": src, "external_id": ext}));
    }
    if let Some(list) = meta_obj
        .and_then(|mo| mo.get("refs"))
        .and_then(Value::as_array)
    {
        let mut seen: HashSet<&str> = HashSet::new();
        for r in list.iter().filter_map(Value::as_str).map(str::trim) {
            if r.is_empty() || !seen.insert(r) {
                continue;
            }
            let lower = r.to_ascii_lowercase();
            if lower.starts_with("http://") || lower.starts_with("https://") {
                refs.push(json!({"source_name": "misp-galaxy-ref", "url": r}));
            } else {
                refs.push(json!({"source_name": "misp-galaxy-ref", "description": r}));
            }
        }
    }
    if !refs.is_empty() {
        m.insert("external_references".into(), Value::Array(refs));
    }
    m.insert("confidence".into(), json!(confidence));
    m.insert("x_misp_galaxy".into(), json!(galaxy_type));
    m.insert("x_misp_cluster_uuid".into(), json!(c.uuid));
    if let Some(meta) = meta {
        m.insert("x_misp_meta".into(), meta.clone());
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relations() {
        assert_eq!(
            relation_of("similar"),
            Some(Relation::Claim(ClaimKind::OverlapsWith))
        );
        assert_eq!(
            relation_of("is-deployed-by "),
            Some(Relation::Plain {
                relationship_type: "is-deployed-by".into(),
                reversed: false
            })
        );
        assert_eq!(
            relation_of("used-by"),
            Some(Relation::Plain {
                relationship_type: "uses".into(),
                reversed: true
            })
        );
        assert_eq!(relation_of(" !! "), None);
    }

    #[test]
    fn uuids_and_detection() {
        assert!(is_uuid("3b357ed0-c50c-5793-b0e9-e60ada7a50e5"));
        assert!(!is_uuid("3b357ed0-c50c-5793-b0e9-e60ada7a50e"));
        assert!(!is_uuid("3b357ed0xc50c-5793-b0e9-e60ada7a50e5"));
        let keys = |ks: &[&str]| ks.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(detect(&keys(&["type", "uuid", "values", "version"])));
        assert!(!detect(&keys(&["type", "id", "objects"])));
    }
}
