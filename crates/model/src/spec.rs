//! The STIX 2.1 object types as data: category, required properties, properties of
//! which at least one must be present, and the types each reference property may
//! point at. Source: STIX Version 2.1, OASIS Standard (10 June 2021), sections 4-7
//! (SDOs, SROs, meta objects, SCOs). Validation in [`crate::validate`] reads only
//! these tables, so a reviewer can check the rules here without reading control flow.

/// What kind of STIX object a type is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    /// STIX Domain Object.
    Sdo,
    /// STIX Relationship Object (relationship, sighting).
    Sro,
    /// STIX Cyber-observable Object.
    Sco,
    /// Meta objects: marking-definition, language-content, extension-definition.
    Meta,
}

/// Which objects a reference property may point at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Exactly these types.
    Types(&'static [&'static str]),
    /// Any SDO (including custom SDO-like types).
    AnySdo,
    /// Any SCO.
    AnySco,
    /// Any SDO or SCO, but not an SRO or meta object (relationship endpoints).
    SdoOrSco,
    /// Any SCO or SRO (observed-data object_refs).
    ScoOrSro,
    /// Any object.
    Any,
}

/// The rules for one object type.
#[derive(Debug)]
pub struct TypeSpec {
    pub name: &'static str,
    pub category: Category,
    /// Required beyond the category's common required properties.
    pub required: &'static [&'static str],
    /// Each inner list: at least one of these must be present.
    pub one_of: &'static [&'static [&'static str]],
    /// Reference properties (`*_ref`, `*_refs`) and what they may point at.
    pub refs: &'static [(&'static str, Target)],
    /// Timestamp-valued properties beyond created/modified.
    pub timestamps: &'static [&'static str],
}

use Category::*;
use Target::*;

const IP: &[&str] = &["ipv4-addr", "ipv6-addr"];
const NET_END: &[&str] = &["ipv4-addr", "ipv6-addr", "mac-addr", "domain-name"];

/// Common required properties per category.
pub fn common_required(c: Category) -> &'static [&'static str] {
    match c {
        Sdo | Sro => &["type", "spec_version", "id", "created", "modified"],
        Meta => &["type", "spec_version", "id", "created"],
        Sco => &["type", "id"],
    }
}

/// Reference properties that every object may carry.
pub const COMMON_REFS: &[(&str, Target)] = &[
    ("created_by_ref", Types(&["identity"])),
    ("object_marking_refs", Types(&["marking-definition"])),
];

/// Every type defined by STIX 2.1.
#[rustfmt::skip]
pub static TYPES: &[TypeSpec] = &[
    // --- SDOs (section 4) ---
    TypeSpec { name: "attack-pattern", category: Sdo, required: &["name"], one_of: &[], refs: &[], timestamps: &[] },
    TypeSpec { name: "campaign", category: Sdo, required: &["name"], one_of: &[], refs: &[], timestamps: &["first_seen", "last_seen"] },
    TypeSpec { name: "course-of-action", category: Sdo, required: &["name"], one_of: &[], refs: &[], timestamps: &[] },
    TypeSpec { name: "grouping", category: Sdo, required: &["context", "object_refs"], one_of: &[], refs: &[("object_refs", Any)], timestamps: &[] },
    TypeSpec { name: "identity", category: Sdo, required: &["name"], one_of: &[], refs: &[], timestamps: &[] },
    TypeSpec { name: "incident", category: Sdo, required: &["name"], one_of: &[], refs: &[], timestamps: &[] },
    TypeSpec { name: "indicator", category: Sdo, required: &["pattern", "pattern_type", "valid_from"], one_of: &[], refs: &[], timestamps: &["valid_from", "valid_until"] },
    TypeSpec { name: "infrastructure", category: Sdo, required: &["name"], one_of: &[], refs: &[], timestamps: &["first_seen", "last_seen"] },
    TypeSpec { name: "intrusion-set", category: Sdo, required: &["name"], one_of: &[], refs: &[], timestamps: &["first_seen", "last_seen"] },
    TypeSpec { name: "location", category: Sdo, required: &[], one_of: &[&["region", "country", "latitude"]], refs: &[], timestamps: &[] },
    TypeSpec { name: "malware", category: Sdo, required: &["is_family"], one_of: &[], refs: &[("sample_refs", Types(&["file", "artifact"])), ("operating_system_refs", Types(&["software"]))], timestamps: &["first_seen", "last_seen"] },
    TypeSpec { name: "malware-analysis", category: Sdo, required: &["product"], one_of: &[&["result", "analysis_sco_refs"]], refs: &[("host_vm_ref", Types(&["software"])), ("operating_system_ref", Types(&["software"])), ("installed_software_refs", Types(&["software"])), ("analysis_sco_refs", AnySco), ("sample_ref", Types(&["file", "network-traffic", "artifact"]))], timestamps: &["analysis_started", "analysis_ended", "submitted"] },
    TypeSpec { name: "note", category: Sdo, required: &["content", "object_refs"], one_of: &[], refs: &[("object_refs", Any)], timestamps: &[] },
    TypeSpec { name: "observed-data", category: Sdo, required: &["first_observed", "last_observed", "number_observed"], one_of: &[&["object_refs", "objects"]], refs: &[("object_refs", ScoOrSro)], timestamps: &["first_observed", "last_observed"] },
    TypeSpec { name: "opinion", category: Sdo, required: &["opinion", "object_refs"], one_of: &[], refs: &[("object_refs", Any)], timestamps: &[] },
    TypeSpec { name: "report", category: Sdo, required: &["name", "published", "object_refs"], one_of: &[], refs: &[("object_refs", Any)], timestamps: &["published"] },
    TypeSpec { name: "threat-actor", category: Sdo, required: &["name"], one_of: &[], refs: &[], timestamps: &["first_seen", "last_seen"] },
    TypeSpec { name: "tool", category: Sdo, required: &["name"], one_of: &[], refs: &[], timestamps: &[] },
    TypeSpec { name: "vulnerability", category: Sdo, required: &["name"], one_of: &[], refs: &[], timestamps: &[] },
    // --- SROs (section 5) ---
    TypeSpec { name: "relationship", category: Sro, required: &["relationship_type", "source_ref", "target_ref"], one_of: &[], refs: &[("source_ref", SdoOrSco), ("target_ref", SdoOrSco)], timestamps: &["start_time", "stop_time"] },
    TypeSpec { name: "sighting", category: Sro, required: &["sighting_of_ref"], one_of: &[], refs: &[("sighting_of_ref", AnySdo), ("observed_data_refs", Types(&["observed-data"])), ("where_sighted_refs", Types(&["identity", "location"]))], timestamps: &["first_seen", "last_seen"] },
    // --- Meta objects (section 7) ---
    TypeSpec { name: "marking-definition", category: Meta, required: &[], one_of: &[&["definition", "extensions"]], refs: &[], timestamps: &[] },
    TypeSpec { name: "language-content", category: Meta, required: &["modified", "object_ref", "contents"], one_of: &[], refs: &[("object_ref", Any)], timestamps: &["object_modified"] },
    TypeSpec { name: "extension-definition", category: Meta, required: &["modified", "created_by_ref", "name", "schema", "version", "extension_types"], one_of: &[], refs: &[], timestamps: &[] },
    // --- SCOs (section 6) ---
    TypeSpec { name: "artifact", category: Sco, required: &[], one_of: &[&["payload_bin", "url"]], refs: &[], timestamps: &[] },
    TypeSpec { name: "autonomous-system", category: Sco, required: &["number"], one_of: &[], refs: &[], timestamps: &[] },
    TypeSpec { name: "directory", category: Sco, required: &["path"], one_of: &[], refs: &[("contains_refs", Types(&["file", "directory"]))], timestamps: &["ctime", "mtime", "atime"] },
    TypeSpec { name: "domain-name", category: Sco, required: &["value"], one_of: &[], refs: &[("resolves_to_refs", Types(&["ipv4-addr", "ipv6-addr", "domain-name"]))], timestamps: &[] },
    TypeSpec { name: "email-addr", category: Sco, required: &["value"], one_of: &[], refs: &[("belongs_to_ref", Types(&["user-account"]))], timestamps: &[] },
    TypeSpec { name: "email-message", category: Sco, required: &["is_multipart"], one_of: &[], refs: &[("from_ref", Types(&["email-addr"])), ("sender_ref", Types(&["email-addr"])), ("to_refs", Types(&["email-addr"])), ("cc_refs", Types(&["email-addr"])), ("bcc_refs", Types(&["email-addr"])), ("raw_email_ref", Types(&["artifact"]))], timestamps: &["date"] },
    TypeSpec { name: "file", category: Sco, required: &[], one_of: &[&["hashes", "name"]], refs: &[("parent_directory_ref", Types(&["directory"])), ("contains_refs", AnySco), ("content_ref", Types(&["artifact"]))], timestamps: &["ctime", "mtime", "atime"] },
    TypeSpec { name: "ipv4-addr", category: Sco, required: &["value"], one_of: &[], refs: &[("resolves_to_refs", Types(&["mac-addr"])), ("belongs_to_refs", Types(&["autonomous-system"]))], timestamps: &[] },
    TypeSpec { name: "ipv6-addr", category: Sco, required: &["value"], one_of: &[], refs: &[("resolves_to_refs", Types(&["mac-addr"])), ("belongs_to_refs", Types(&["autonomous-system"]))], timestamps: &[] },
    TypeSpec { name: "mac-addr", category: Sco, required: &["value"], one_of: &[], refs: &[], timestamps: &[] },
    TypeSpec { name: "mutex", category: Sco, required: &["name"], one_of: &[], refs: &[], timestamps: &[] },
    TypeSpec { name: "network-traffic", category: Sco, required: &["protocols"], one_of: &[&["src_ref", "dst_ref"]], refs: &[("src_ref", Types(NET_END)), ("dst_ref", Types(NET_END)), ("src_payload_ref", Types(&["artifact"])), ("dst_payload_ref", Types(&["artifact"])), ("encapsulates_refs", Types(&["network-traffic"])), ("encapsulated_by_ref", Types(&["network-traffic"]))], timestamps: &["start", "end"] },
    TypeSpec { name: "process", category: Sco, required: &[], one_of: &[], refs: &[("opened_connection_refs", Types(&["network-traffic"])), ("creator_user_ref", Types(&["user-account"])), ("image_ref", Types(&["file"])), ("parent_ref", Types(&["process"])), ("child_refs", Types(&["process"]))], timestamps: &["created_time"] },
    TypeSpec { name: "software", category: Sco, required: &["name"], one_of: &[], refs: &[], timestamps: &[] },
    TypeSpec { name: "url", category: Sco, required: &["value"], one_of: &[], refs: &[], timestamps: &[] },
    TypeSpec { name: "user-account", category: Sco, required: &[], one_of: &[], refs: &[], timestamps: &["account_created", "account_expires", "credential_last_changed", "account_first_login", "account_last_login"] },
    TypeSpec { name: "windows-registry-key", category: Sco, required: &[], one_of: &[], refs: &[("creator_user_ref", Types(&["user-account"]))], timestamps: &["modified_time"] },
    TypeSpec { name: "x509-certificate", category: Sco, required: &[], one_of: &[], refs: &[], timestamps: &["validity_not_before", "validity_not_after"] },
];

/// IP address SCO types.
pub const IP_TYPES: &[&str] = IP;

/// The rules for a type defined by STIX 2.1, or `None` for a custom type.
pub fn lookup(type_name: &str) -> Option<&'static TypeSpec> {
    TYPES.iter().find(|t| t.name == type_name)
}

/// The category of any type: spec types from the table; custom types are treated as
/// SDO-like when they carry `created` (as ATT&CK's `x-mitre-*` objects do), else SCO-like.
pub fn category_of(type_name: &str, has_created: bool) -> Category {
    match lookup(type_name) {
        Some(t) => t.category,
        None if has_created => Sdo,
        None => Sco,
    }
}

/// Whether `type_name` satisfies `target`. Custom types are taken as SDOs (the
/// common case: ATT&CK's `x-mitre-*`), so a reference to one is never rejected
/// as an SDO or SCO.
pub fn target_accepts(target: Target, type_name: &str) -> bool {
    let cat = lookup(type_name).map(|t| t.category);
    match target {
        Types(list) => list.contains(&type_name),
        Any => true,
        AnySdo => matches!(cat, Some(Sdo) | None),
        AnySco => matches!(cat, Some(Sco) | None),
        SdoOrSco => matches!(cat, Some(Sdo) | Some(Sco) | None),
        ScoOrSro => matches!(cat, Some(Sco) | Some(Sro) | None),
    }
}

/// Human description of a target, for error messages.
pub fn describe_target(target: Target) -> String {
    match target {
        Types(list) => list.join(" or "),
        Any => "any object".into(),
        AnySdo => "an SDO".into(),
        AnySco => "an SCO".into(),
        SdoOrSco => "an SDO or SCO".into(),
        ScoOrSro => "an SCO or SRO".into(),
    }
}

/// Opinion values (STIX 2.1 section 4.14).
pub const OPINION_VALUES: &[&str] = &[
    "strongly-disagree",
    "disagree",
    "neutral",
    "agree",
    "strongly-agree",
];
