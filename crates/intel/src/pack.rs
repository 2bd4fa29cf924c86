//! The built-in intel pack, embedded in the binary and loaded by `stormwatch intel init`.
//!
//! It is CISA's official STIX file for advisory AA25-239A, byte for byte, plus a
//! bundle this project writes from public facts only: the Salt Typhoon names and the
//! alias links between them with their vendors and the disputes, the companies named
//! by the advisory and the OFAC sanction, and the attribution statements of the seed
//! reporting, each a sourced, dated, graded claim. Every citation is one of
//! DOMAIN.md section 8 or a file in shared/data. A date the source does not give is
//! null, never guessed. Ids are deterministic, so `intel init` is idempotent.

use serde_json::{json, Map, Value};

use crate::formats::source_identity;
use crate::sources;
use stormwatch_model::claim::{Admiralty, ClaimKind, ClaimSpec};
use stormwatch_model::deterministic_id;

/// CISA's STIX file for AA25-239A (US government work, TLP:CLEAR).
pub const ADVISORY_STIX: &str = include_str!("../../../examples/AA25-239A.stix.json");

/// Record-keeping time of every object the pack writes (the day it was written).
pub const PACK_TIME: &str = "2026-11-23T00:00:00.000Z";

/// The identity that owns the pack's own objects (names, organisations).
pub const PACK_PUBLISHER: &str = "Stormwatch intel pack";

/// Actors the pack names: (key, name).
#[rustfmt::skip]
const ACTORS: &[(&str, &str)] = &[
    ("salt", "Salt Typhoon"), ("opanda", "OPERATOR PANDA"), ("ghost", "GhostEmperor"),
    ("famous", "FamousSparrow"), ("earth", "Earth Estries"), ("unc2286", "UNC2286"),
    ("unc5807", "UNC5807"), ("redmike", "RedMike"), ("volt", "Volt Typhoon"),
    ("flax", "Flax Typhoon"),
];

/// Organisations and states: (key, name, description).
#[rustfmt::skip]
const ORGS: &[(&str, &str, &str)] = &[
    ("juxinhe", "Sichuan Juxinhe Network Technology", "Company named as a supplier to PRC MSS/PLA units (AA25-239A); sanctioned by US Treasury OFAC on 2025-01-17."),
    ("huanyu", "Beijing Huanyu Tianqiong Information Technology", "Company named as a supplier to PRC MSS/PLA units (AA25-239A)."),
    ("zhixin", "Sichuan Zhixin Ruijie Network Technology", "Company named as a supplier to PRC MSS/PLA units (AA25-239A)."),
    ("prc", "People's Republic of China (state)", "The PRC state, as the subject of attribution claims."),
    ("usgov", "United States government", "The US state, as the subject of attribution claims made by PRC bodies."),
];

/// Activity clusters that are not named actors: (key, name, description).
#[rustfmt::skip]
const CAMPAIGNS: &[(&str, &str, &str)] = &[
    ("telecom2024", "Compromise of US telecommunications companies (2024)", "Compromise of networks at multiple telecommunications companies: call records, private communications of people in government or politics, copies of lawful-intercept requests (FBI and CISA joint statement, 2024-11-13)."),
    ("prcgeneral", "PRC state cyber operations against the UK, the Netherlands and allies (general statements)", "Placeholder subject for general statements about Chinese state cyber operations that do not name a specific actor."),
    ("cncert2024", "Attacks on Chinese technology firms reported by CNCERT (2024-12)", "Two intrusions at Chinese technology firms that CNCERT described as suspected US intelligence operations."),
];

/// One claim of the pack.
struct C {
    kind: ClaimKind,
    subject: &'static str,
    object: &'static str,
    source: &'static str,
    date: Option<&'static str>,
    /// Admiralty grade for this claim; None = the source's default.
    grade: Option<&'static str>,
    reference: &'static str,
    url: Option<&'static str>,
    note: Option<&'static str>,
}

const AA: &str =
    "Joint advisory AA25-239A (NSA, CISA, FBI, DC3 + agencies of 12 countries), 2025-08-27";
const AA_URL: &str = "https://www.cisa.gov/news-events/cybersecurity-advisories/aa25-239a";
const MS: &str = "Microsoft, \"How Microsoft names threat actors\" and MicrosoftMapping.json (2023-04, rev. 2025)";
const MS_FILE: &str = "MicrosoftMapping.json (shared/data/microsoft, 2026-07 version): lists Salt, Volt and Flax Typhoon as separate actors";

#[rustfmt::skip]
const CLAIMS: &[C] = &[
    // Alias links.
    C { kind: ClaimKind::OverlapsWith, subject: "salt", object: "opanda", source: "Joint advisory AA25-239A agencies", date: Some("2025-08-27"), grade: None, reference: AA, url: Some(AA_URL), note: Some("the advisory says the activity overlaps these names") },
    C { kind: ClaimKind::OverlapsWith, subject: "salt", object: "redmike", source: "Joint advisory AA25-239A agencies", date: Some("2025-08-27"), grade: None, reference: AA, url: Some(AA_URL), note: None },
    C { kind: ClaimKind::OverlapsWith, subject: "salt", object: "unc5807", source: "Joint advisory AA25-239A agencies", date: Some("2025-08-27"), grade: None, reference: AA, url: Some(AA_URL), note: None },
    C { kind: ClaimKind::OverlapsWith, subject: "salt", object: "ghost", source: "Joint advisory AA25-239A agencies", date: Some("2025-08-27"), grade: None, reference: AA, url: Some(AA_URL), note: None },
    C { kind: ClaimKind::SameAs, subject: "salt", object: "opanda", source: "Microsoft", date: None, grade: None, reference: MS, url: None, note: Some("listed as another name; the date of this link is not stated") },
    C { kind: ClaimKind::SameAs, subject: "salt", object: "ghost", source: "Microsoft", date: None, grade: None, reference: MS, url: None, note: Some("listed as another name; the date of this link is not stated") },
    C { kind: ClaimKind::SameAs, subject: "salt", object: "famous", source: "Microsoft", date: None, grade: None, reference: MS, url: None, note: Some("listed as another name; ESET disputes it") },
    C { kind: ClaimKind::DistinctFrom, subject: "famous", object: "salt", source: "ESET", date: Some("2025-03"), grade: None, reference: "ESET, 2025-03: FamousSparrow overlaps with but is distinct from Salt Typhoon/Earth Estries", url: None, note: Some("overlapping but distinct") },
    C { kind: ClaimKind::DistinctFrom, subject: "famous", object: "earth", source: "ESET", date: Some("2025-03"), grade: None, reference: "ESET, 2025-03: FamousSparrow overlaps with but is distinct from Salt Typhoon/Earth Estries", url: None, note: Some("overlapping but distinct") },
    C { kind: ClaimKind::OverlapsWith, subject: "earth", object: "salt", source: "Trend Micro", date: Some("2024-11"), grade: None, reference: "Trend Micro, 2024-11: Earth Estries overlaps Salt Typhoon, FamousSparrow, GhostEmperor, UNC2286", url: None, note: None },
    C { kind: ClaimKind::OverlapsWith, subject: "earth", object: "famous", source: "Trend Micro", date: Some("2024-11"), grade: None, reference: "Trend Micro, 2024-11: Earth Estries overlaps Salt Typhoon, FamousSparrow, GhostEmperor, UNC2286", url: None, note: None },
    C { kind: ClaimKind::OverlapsWith, subject: "earth", object: "ghost", source: "Trend Micro", date: Some("2024-11"), grade: None, reference: "Trend Micro, 2024-11: Earth Estries overlaps Salt Typhoon, FamousSparrow, GhostEmperor, UNC2286", url: None, note: None },
    C { kind: ClaimKind::OverlapsWith, subject: "earth", object: "unc2286", source: "Trend Micro", date: Some("2024-11"), grade: None, reference: "Trend Micro, 2024-11: Earth Estries overlaps Salt Typhoon, FamousSparrow, GhostEmperor, UNC2286", url: None, note: None },
    C { kind: ClaimKind::OverlapsWith, subject: "redmike", object: "salt", source: "Recorded Future", date: Some("2025-02-13"), grade: None, reference: "Recorded Future (Insikt Group), 2025-02-13: RedMike, aligned with Salt Typhoon; exploited CVE-2023-20198/20273 on >1,000 Cisco devices", url: None, note: Some("\"aligned with\"") },
    C { kind: ClaimKind::DistinctFrom, subject: "volt", object: "salt", source: "Microsoft", date: None, grade: None, reference: MS_FILE, url: None, note: Some("separate entries in Microsoft's mapping") },
    C { kind: ClaimKind::DistinctFrom, subject: "flax", object: "salt", source: "Microsoft", date: None, grade: None, reference: MS_FILE, url: None, note: Some("separate entries in Microsoft's mapping") },
    // Attribution.
    C { kind: ClaimKind::AttributedTo, subject: "salt", object: "prc", source: "Joint advisory AA25-239A agencies", date: Some("2025-08-27"), grade: None, reference: AA, url: Some(AA_URL), note: Some("PRC state-sponsored; co-sealed by 13 countries' agencies, which count as one voice") },
    C { kind: ClaimKind::AttributedTo, subject: "salt", object: "juxinhe", source: "Joint advisory AA25-239A agencies", date: Some("2025-08-27"), grade: None, reference: AA, url: Some(AA_URL), note: Some("named as a supplier to MSS/PLA units") },
    C { kind: ClaimKind::AttributedTo, subject: "salt", object: "huanyu", source: "Joint advisory AA25-239A agencies", date: Some("2025-08-27"), grade: None, reference: AA, url: Some(AA_URL), note: Some("named as a supplier to MSS/PLA units") },
    C { kind: ClaimKind::AttributedTo, subject: "salt", object: "zhixin", source: "Joint advisory AA25-239A agencies", date: Some("2025-08-27"), grade: None, reference: AA, url: Some(AA_URL), note: Some("named as a supplier to MSS/PLA units") },
    C { kind: ClaimKind::AttributedTo, subject: "salt", object: "juxinhe", source: "US Treasury OFAC", date: Some("2025-01-17"), grade: None, reference: "US Treasury OFAC press release JY-2792, 2025-01-17: sanctions on Sichuan Juxinhe Network Technology Co. for direct involvement with Salt Typhoon, active since at least 2019", url: Some("https://home.treasury.gov/news/press-releases/jy2792"), note: Some("sanctions designation; same government evidence base as FBI and CISA") },
    C { kind: ClaimKind::AttributedTo, subject: "telecom2024", object: "prc", source: "FBI", date: Some("2024-11-13"), grade: None, reference: "FBI and CISA joint statement, 2024-11-13: Joint Statement from FBI and CISA on the Investigation into People's Republic of China Targeting of Commercial Telecommunications Infrastructure", url: None, note: Some("joint with CISA; \"PRC-affiliated actors\"") },
    C { kind: ClaimKind::AttributedTo, subject: "salt", object: "prc", source: "Microsoft", date: None, grade: None, reference: MS, url: None, note: Some("Typhoon family = China; the mapping states origin China") },
    C { kind: ClaimKind::AttributedTo, subject: "salt", object: "prc", source: "Eclypsium", date: None, grade: None, reference: "Eclypsium blog (date to verify, 2024-2025): groups including Salt Typhoon observed since 2020 with solid evidence of China-based state-sponsored operations", url: None, note: Some("date not verified, left unknown") },
    C { kind: ClaimKind::AttributedTo, subject: "prcgeneral", object: "prc", source: "UK NCSC", date: Some("2025-05-07"), grade: None, reference: "UK NCSC CEO R. Horne, speech, 2025-05-07: \"China remains the pacing threat in the cyber realm\"", url: None, note: Some("general statement; does not name Salt Typhoon") },
    C { kind: ClaimKind::AttributedTo, subject: "prcgeneral", object: "prc", source: "Netherlands MIVD", date: Some("2025-04"), grade: None, reference: "Netherlands MIVD annual report 2024 (2025-04) and director P. Reesink (2025-05): Chinese cyber operations against NL and allies; threat will increase", url: None, note: Some("general statement; does not name Salt Typhoon") },
    C { kind: ClaimKind::Fabricated, subject: "salt", object: "usgov", source: "Global Times", date: Some("2025-01-17"), grade: None, reference: "Global Times (PRC state media), 2025-01-17: calls Salt Typhoon a US-fabricated \"so-called\" group, after \"Volt Typhoon\"", url: None, note: Some("denial without evidence; not independent of CNCERT (PRC state)") },
    C { kind: ClaimKind::AttributedTo, subject: "cncert2024", object: "usgov", source: "CNCERT", date: Some("2024-12"), grade: None, reference: "CNCERT, 2024-12: two \"suspected US intelligence\" attacks on Chinese tech firms; attribution by tool links, US working hours, IP switching and log deletion", url: None, note: Some("working-hours evidence is weak: easily shifted, many time zones overlap") },
];

/// `uses` relationships from vendor reports to the advisory's malware, by name:
/// (actor key, malware name in the advisory file, source, date, reference).
#[rustfmt::skip]
const USES: &[(&str, &str, &str, &str, &str)] = &[
    ("ghost", "Demodex", "Kaspersky", "2021-09-30", "Kaspersky (Securelist), \"GhostEmperor: From ProxyLogon to kernel mode\", 2021-09-30"),
    ("earth", "GhostSpider", "Trend Micro", "2024-11", "Trend Micro, 2024-11: Earth Estries uses GhostSpider, Demodex, SnappyBee, Masol RAT"),
    ("earth", "Demodex", "Trend Micro", "2024-11", "Trend Micro, 2024-11: Earth Estries uses GhostSpider, Demodex, SnappyBee, Masol RAT"),
    ("earth", "SnappyBee", "Trend Micro", "2024-11", "Trend Micro, 2024-11: Earth Estries uses GhostSpider, Demodex, SnappyBee, Masol RAT"),
    ("earth", "Masol RAT", "Trend Micro", "2024-11", "Trend Micro, 2024-11: Earth Estries uses GhostSpider, Demodex, SnappyBee, Masol RAT"),
];

/// `targets` relationships: (actor key, target, source, date, reference, note). A
/// target is a CVE (the advisory's vulnerability object of that name), `sector:NAME`
/// or `country:ISO` (objects the pack writes).
#[rustfmt::skip]
const TARGETS: &[(&str, &str, &str, &str, &str, &str)] = &[
    ("salt", "CVE-2024-21887", "Joint advisory AA25-239A agencies", "2025-08-27", AA, "exploited CVE listed by the advisory, whose activity cluster overlaps Salt Typhoon"),
    ("salt", "CVE-2023-46805", "Joint advisory AA25-239A agencies", "2025-08-27", AA, "exploited CVE listed by the advisory, whose activity cluster overlaps Salt Typhoon"),
    ("salt", "CVE-2024-3400", "Joint advisory AA25-239A agencies", "2025-08-27", AA, "exploited CVE listed by the advisory, whose activity cluster overlaps Salt Typhoon"),
    ("salt", "CVE-2023-20198", "Joint advisory AA25-239A agencies", "2025-08-27", AA, "exploited CVE listed by the advisory, whose activity cluster overlaps Salt Typhoon"),
    ("salt", "CVE-2023-20273", "Joint advisory AA25-239A agencies", "2025-08-27", AA, "exploited CVE listed by the advisory, whose activity cluster overlaps Salt Typhoon"),
    ("salt", "CVE-2018-0171", "Joint advisory AA25-239A agencies", "2025-08-27", AA, "exploited CVE listed by the advisory, whose activity cluster overlaps Salt Typhoon"),
    ("salt", "CVE-2018-0171", "Cisco Talos", "2025-02-20", "Cisco Talos, \"Weathering the storm: In the midst of a Typhoon\", 2025-02-20", "in one case"),
    ("redmike", "CVE-2023-20198", "Recorded Future", "2025-02-13", "Recorded Future (Insikt Group), 2025-02-13: RedMike exploited CVE-2023-20198/20273 on >1,000 Cisco devices", "on more than 1,000 Cisco devices"),
    ("redmike", "CVE-2023-20273", "Recorded Future", "2025-02-13", "Recorded Future (Insikt Group), 2025-02-13: RedMike exploited CVE-2023-20198/20273 on >1,000 Cisco devices", "on more than 1,000 Cisco devices"),
    ("salt", "sector:telecommunications", "Joint advisory AA25-239A agencies", "2025-08-27", AA, "backbone, provider-edge and customer-edge routers"),
    ("salt", "sector:government", "Joint advisory AA25-239A agencies", "2025-08-27", AA, "targeted networks named by the advisory"),
    ("salt", "sector:transportation", "Joint advisory AA25-239A agencies", "2025-08-27", AA, "targeted networks named by the advisory"),
    ("salt", "sector:hospitality", "Joint advisory AA25-239A agencies", "2025-08-27", AA, "lodging networks, named by the advisory"),
    ("salt", "sector:defense", "Joint advisory AA25-239A agencies", "2025-08-27", AA, "military infrastructure networks, named by the advisory"),
    ("salt", "country:US", "Joint advisory AA25-239A agencies", "2025-08-27", AA, "activity observed there, per the advisory"),
    ("salt", "country:AU", "Joint advisory AA25-239A agencies", "2025-08-27", AA, "activity observed there, per the advisory"),
    ("salt", "country:CA", "Joint advisory AA25-239A agencies", "2025-08-27", AA, "activity observed there, per the advisory"),
    ("salt", "country:NZ", "Joint advisory AA25-239A agencies", "2025-08-27", AA, "activity observed there, per the advisory"),
    ("salt", "country:GB", "Joint advisory AA25-239A agencies", "2025-08-27", AA, "activity observed there, per the advisory"),
];

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn key_id(type_name: &str, key: &str) -> String {
    deterministic_id(PACK_PUBLISHER, type_name, key)
}

fn id_of_key(key: &str) -> String {
    if ACTORS.iter().any(|(k, _)| *k == key) {
        key_id("intrusion-set", key)
    } else if CAMPAIGNS.iter().any(|(k, _, _)| *k == key) {
        key_id("campaign", key)
    } else {
        key_id("identity", key)
    }
}

/// The pack's own objects (the advisory file is imported separately).
pub fn objects() -> Vec<Map<String, Value>> {
    let mut out = Vec::new();
    let pack = source_identity(PACK_PUBLISHER, "system");
    let pack_id = pack["id"].as_str().unwrap_or_default().to_owned();
    out.push(pack);
    for s in sources::SOURCES {
        let mut i = source_identity(s.name, s.identity_class);
        i.insert(
            "x_stormwatch_independence_group".into(),
            json!(s.independence_group),
        );
        i.insert(
            "x_stormwatch_default_grade".into(),
            json!(s.grade().to_string()),
        );
        i.insert("description".into(), json!(s.why));
        out.push(i);
    }
    for (key, name) in ACTORS {
        out.push(obj(json!({
            "type": "intrusion-set", "spec_version": "2.1", "id": key_id("intrusion-set", key),
            "created": PACK_TIME, "modified": PACK_TIME, "name": name,
            "created_by_ref": pack_id, "confidence": 100,
            "description": "A name used in public reporting; what others call it, and who says so, are the pack's claims."
        })));
    }
    for (key, name, description) in ORGS {
        out.push(obj(json!({
            "type": "identity", "spec_version": "2.1", "id": key_id("identity", key),
            "created": PACK_TIME, "modified": PACK_TIME, "name": name, "identity_class": "organization",
            "description": description, "created_by_ref": pack_id,
        })));
    }
    for (key, name, description) in CAMPAIGNS {
        out.push(obj(json!({
            "type": "campaign", "spec_version": "2.1", "id": key_id("campaign", key),
            "created": PACK_TIME, "modified": PACK_TIME, "name": name,
            "description": description, "created_by_ref": pack_id, "confidence": 100,
        })));
    }
    for c in CLAIMS {
        let src = source_identity(c.source, "organization");
        let grade = c
            .grade
            .and_then(Admiralty::parse)
            .unwrap_or_else(|| sources::grade(c.source));
        let (s, t) = (id_of_key(c.subject), id_of_key(c.object));
        out.push(
            ClaimSpec {
                kind: c.kind,
                source_ref: &s,
                target_ref: &t,
                created_by_ref: src["id"].as_str().unwrap_or_default(),
                source_name: c.source,
                date: c.date,
                grade,
                reference: c.reference,
                url: c.url,
                note: c.note,
                timestamp: PACK_TIME,
            }
            .to_stix(),
        );
    }
    let advisory: Value = serde_json::from_str(ADVISORY_STIX).unwrap_or(Value::Null);
    let by_name = |t: &str, name: &str| -> Option<String> {
        advisory["objects"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|o| o["type"] == t && o["name"].as_str() == Some(name))
            .and_then(|o| o["id"].as_str())
            .map(str::to_owned)
    };
    let mut written = std::collections::HashSet::new();
    for (actor, target, source, date, reference, note) in TARGETS {
        let target_id = if let Some(sector) = target.strip_prefix("sector:") {
            let id = key_id("identity", target);
            if written.insert(id.clone()) {
                out.push(obj(json!({
                    "type": "identity", "spec_version": "2.1", "id": id, "created": PACK_TIME,
                    "modified": PACK_TIME, "name": sector, "identity_class": "class",
                    "sectors": [sector], "created_by_ref": pack_id,
                })));
            }
            id
        } else if let Some(cc) = target.strip_prefix("country:") {
            let id = key_id("location", target);
            if written.insert(id.clone()) {
                out.push(obj(json!({
                    "type": "location", "spec_version": "2.1", "id": id, "created": PACK_TIME,
                    "modified": PACK_TIME, "name": cc, "country": cc, "created_by_ref": pack_id,
                })));
            }
            id
        } else {
            let Some(id) = by_name("vulnerability", target) else {
                continue;
            };
            id
        };
        let s = id_of_key(actor);
        let grade = sources::grade(source);
        let src = source_identity(source, "organization");
        out.push(obj(json!({
            "type": "relationship", "spec_version": "2.1",
            "id": deterministic_id(source, "relationship", &format!("{s}|targets|{target_id}")),
            "created": PACK_TIME, "modified": PACK_TIME, "relationship_type": "targets",
            "source_ref": s, "target_ref": target_id, "created_by_ref": src["id"],
            "confidence": grade.confidence(),
            "external_references": [{"source_name": source, "description": reference}],
            "x_stormwatch_claim": {"date": date, "reference": reference,
                "reliability": grade.reliability.to_string(), "credibility": grade.credibility, "note": note}
        })));
    }
    for (actor, malware, source, date, reference) in USES {
        let target = advisory["objects"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|o| o["type"] == "malware" && o["name"].as_str() == Some(malware));
        let Some(target) = target.and_then(|t| t["id"].as_str()) else {
            continue;
        };
        let s = id_of_key(actor);
        let src = source_identity(source, "organization");
        out.push(obj(json!({
            "type": "relationship", "spec_version": "2.1",
            "id": deterministic_id(source, "relationship", &format!("{s}|uses|{target}")),
            "created": PACK_TIME, "modified": PACK_TIME, "relationship_type": "uses",
            "source_ref": s, "target_ref": target, "created_by_ref": src["id"],
            "confidence": sources::grade(source).confidence(),
            "external_references": [{"source_name": source, "description": reference}],
            "x_stormwatch_claim": {"date": date, "reference": reference,
                "reliability": sources::grade(source).reliability.to_string(),
                "credibility": sources::grade(source).credibility, "note": null}
        })));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pack_objects_are_valid_and_stable() {
        let a = objects();
        assert_eq!(a, objects());
        for o in &a {
            let errors: Vec<_> = stormwatch_model::validate(o)
                .into_iter()
                .filter(|i| i.severity == stormwatch_model::Severity::Error)
                .collect();
            assert!(errors.is_empty(), "{o:?}: {errors:?}");
        }
        // Every claim's source is in the grading table.
        for c in CLAIMS {
            assert!(sources::lookup(c.source).is_some(), "{}", c.source);
            if let Some(d) = c.date {
                assert!(stormwatch_model::claim::is_partial_date(d), "{d}");
            }
        }
        assert_eq!(
            a.iter()
                .filter(|o| o.get("relationship_type").and_then(Value::as_str) == Some("uses"))
                .count(),
            USES.len()
        );
    }
}
