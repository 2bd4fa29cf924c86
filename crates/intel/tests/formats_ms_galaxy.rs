//! Microsoft threat actor mapping, Microsoft naming taxonomy and MISP galaxy clusters:
//! fixtures always, the real files from shared/data when present.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::{Map, Value};
use stormwatch_intel::formats::{misp_galaxy, ms_mapping, Converted};
use stormwatch_intel::sources;
use stormwatch_intel::taxonomy::{self, FamilyKind};
use stormwatch_model::{validate, Severity};
use stormwatch_testkit::shared_data;

fn fixture(name: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/ms_galaxy")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Every object passes validation with no error, and ids are unique.
fn assert_valid(c: &Converted, what: &str) {
    let mut ids = HashSet::new();
    for o in &c.objects {
        let errors: Vec<String> = validate(o)
            .into_iter()
            .filter(|i| i.severity == Severity::Error)
            .map(|i| i.to_string())
            .collect();
        assert!(
            errors.is_empty(),
            "{what}: {errors:?} in {}",
            Value::Object(o.clone())
        );
        let id = o["id"].as_str().unwrap().to_owned();
        assert!(ids.insert(id.clone()), "{what}: duplicate id {id}");
    }
}

fn by_name<'a>(c: &'a Converted, name: &str) -> &'a Map<String, Value> {
    c.objects
        .iter()
        .find(|o| o["type"] != "identity" && o["name"] == name)
        .unwrap_or_else(|| panic!("no object named {name}"))
}

fn strings(v: &Value) -> Vec<&str> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn as_text(c: &Converted) -> String {
    serde_json::to_string(&c.objects).unwrap()
}

// ---------------------------------------------------------------- Microsoft mapping

#[test]
fn mapping_2025_fixture() {
    let text = fixture("ms-mapping-2025.json");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(ms_mapping::layout(&v), Some(ms_mapping::Layout::V2025));
    assert!(ms_mapping::detect(&v));
    let c = ms_mapping::convert(&text).unwrap();
    assert_eq!(c.format, "ms-mapping-2025");
    assert!(c.rejected.is_empty(), "{:?}", c.rejected);
    assert_eq!(c.objects.len(), 1 + 15);
    assert_valid(&c, "fixture 2025");
    assert_eq!(c.objects[0]["type"], "identity");
    assert_eq!(c.objects[0]["name"], "Microsoft");
    let salt = by_name(&c, "Salt Typhoon");
    assert_eq!(salt["type"], "intrusion-set");
    assert_eq!(
        strings(&salt["aliases"]),
        ["OPERATOR PANDA", "GhostEmperor", "FamousSparrow"]
    );
    assert_eq!(salt["created_by_ref"], c.objects[0]["id"]);
    assert_eq!(salt["x_ms_origin_threat"], "China");
    assert_eq!(salt["x_ms_mapping_layout"], "2025");
    assert_eq!(salt["modified"], "2026-07-01T00:00:00.000Z");
    assert_eq!(salt["created"], "1970-01-01T00:00:00.000Z");
    assert_eq!(
        salt["confidence"],
        sources::grade("Microsoft").confidence() as u64
    );
    assert!(salt.get("x_ms_previous_name").is_none());
    // An empty origin stays "" and an empty alias list is left out.
    let lightning = by_name(&c, "Patched Lightning");
    assert_eq!(lightning["x_ms_origin_threat"], "");
    assert!(by_name(&c, "Storm-0249").get("aliases").is_none());
}

#[test]
fn mapping_2023_fixture_same_ids_and_merged_duplicates() {
    let text = fixture("ms-mapping-2023.json");
    let c = ms_mapping::convert(&text).unwrap();
    assert_eq!(c.format, "ms-mapping-2023");
    assert!(c.rejected.is_empty(), "{:?}", c.rejected);
    assert_valid(&c, "fixture 2023");
    // 8 records, Cotton Sandstorm twice.
    assert_eq!(c.objects.len(), 1 + 7);
    assert!(
        c.warnings.iter().any(|w| w.contains("Cotton Sandstorm")),
        "{:?}",
        c.warnings
    );
    let cotton = by_name(&c, "Cotton Sandstorm");
    assert_eq!(
        strings(&cotton["aliases"]),
        ["Vice Leaker", "NEPTUNIUM", "DEV-0198"]
    );
    assert_eq!(cotton["x_ms_previous_name"], "NEPTUNIUM");
    assert_eq!(
        strings(&cotton["x_ms_previous_names"]),
        ["NEPTUNIUM", "DEV-0198 (NEPTUNIUM)"]
    );
    let hail23 = by_name(&c, "Zigzag Hail");
    assert_eq!(hail23["x_ms_mapping_layout"], "2023");
    assert_eq!(hail23["modified"], "2023-04-19T00:00:00.000Z");
    assert_eq!(hail23["x_ms_origin_threat"], "South Korea");

    let c25 = ms_mapping::convert(&fixture("ms-mapping-2025.json")).unwrap();
    for name in ["Zigzag Hail", "Marbled Dust", "Manatee Tempest"] {
        let (a, b) = (by_name(&c, name), by_name(&c25, name));
        assert_eq!(a["id"], b["id"], "{name}");
        assert_ne!(a["modified"], b["modified"], "{name}");
    }
}

#[test]
fn mapping_with_unknown_keys_is_a_format_error_naming_them() {
    let e = ms_mapping::convert(r#"[{"Actor": "Salt Typhoon", "Country": "China"}]"#)
        .unwrap_err()
        .to_string();
    for k in [
        "\"Actor\"",
        "\"Country\"",
        "\"Threat actor name\"",
        "\"New name\"",
        "\"Previous name\"",
    ] {
        assert!(e.contains(k), "{k} not in {e}");
    }
    assert!(!ms_mapping::detect(
        &serde_json::json!([{"Actor": "Salt Typhoon"}])
    ));
    assert!(ms_mapping::convert(r#"{"type": "bundle"}"#).is_err());
    assert!(ms_mapping::convert("[1, 2").is_err());
}

#[test]
fn mapping_record_without_name_is_a_record_error() {
    let text = "[\n{\"Threat actor name\": \"Salt Typhoon\", \"Origin/Threat\": \"China\", \"Other names\": \"\"},\n{\"Origin/Threat\": \"China\", \"Other names\": \"X\"},\n{\"Threat actor name\": 7},\n42\n]";
    let c = ms_mapping::convert(text).unwrap();
    assert_eq!(c.objects.len(), 2);
    let r: Vec<(usize, usize, &str)> = c
        .rejected
        .iter()
        .map(|r| (r.index, r.line, r.error.as_str()))
        .collect();
    assert_eq!(r.len(), 3, "{r:?}");
    assert_eq!((r[0].0, r[0].1), (1, 3));
    assert!(r[0].2.contains("\"Threat actor name\"") && r[0].2.contains("missing"));
    assert!(r[1].2.contains("\"Threat actor name\"") && r[1].2.contains("string"));
    assert_eq!(r[2].0, 3);
}

#[test]
fn mapping_conversion_is_deterministic() {
    for f in ["ms-mapping-2025.json", "ms-mapping-2023.json"] {
        let t = fixture(f);
        assert_eq!(
            as_text(&ms_mapping::convert(&t).unwrap()),
            as_text(&ms_mapping::convert(&t).unwrap())
        );
    }
}

// ---------------------------------------------------------------- taxonomy

#[test]
fn taxonomy_known_cases() {
    let d = taxonomy::decode("Salt Typhoon");
    let t = d.taxonomy();
    assert_eq!(
        (t.family.as_str(), t.meaning.as_str(), t.kind),
        ("Typhoon", "China", Some(FamilyKind::NationState))
    );
    assert_eq!(t.table_version.as_deref(), Some("2025"));
    let j = serde_json::to_value(&t).unwrap();
    assert_eq!(
        j,
        serde_json::json!({"family": "Typhoon", "meaning": "China", "kind": "nation-state", "table_version": "2025"})
    );

    let octo = taxonomy::decode("Octo Tempest");
    assert_eq!(octo.taxonomy().kind, Some(FamilyKind::FinanciallyMotivated));
    let storm = taxonomy::decode("Storm-0558");
    assert_eq!(storm.family, "Storm");
    assert_eq!(storm.taxonomy().kind, Some(FamilyKind::GroupInDevelopment));
    let cn = taxonomy::decode("CovertNetwork-1658");
    assert_eq!(cn.taxonomy().kind, Some(FamilyKind::CovertNetwork));
    let purple = taxonomy::decode("Purple Drizzle");
    assert!(!purple.known);
    assert_eq!(purple.family, "Drizzle");
    assert_eq!(purple.taxonomy().meaning, "unknown family");
    assert!(purple
        .note
        .as_deref()
        .unwrap_or("")
        .contains("unknown family"));
    assert!(taxonomy::compare_with_stated(&purple, "China")
        .iter()
        .any(|m| m.contains("unknown family")));

    // Pakistan: Vortex (mapping file) vs Whirlwind (2025 table), both ways.
    let vortex = taxonomy::decode("Viridian Vortex");
    assert!(vortex.known);
    assert_eq!(vortex.matches.len(), 1);
    assert_eq!(vortex.matches[0].table_version, "mapping-file-usage");
    assert_eq!(vortex.matches[0].meaning, "Pakistan");
    assert!(
        vortex
            .conflicts
            .iter()
            .any(|c| c.contains("Whirlwind") && c.contains("Pakistan")),
        "{:?}",
        vortex.conflicts
    );
    let whirl = taxonomy::decode("Some Whirlwind");
    assert!(whirl.conflicts.iter().any(|c| c.contains("Vortex")));
    let gust = taxonomy::decode("Daffodil Gust");
    assert_eq!(gust.taxonomy().meaning, "United Arab Emirates");
    // Dust: "Turkey" in 2023, "Türkiye" in 2025: the same country, no conflict.
    let dust = taxonomy::decode("Marbled Dust");
    assert_eq!(dust.matches.len(), 2);
    assert!(dust.conflicts.is_empty(), "{:?}", dust.conflicts);
    // Flood is not in the 2023 table.
    assert_eq!(taxonomy::decode("Neva Flood").matches.len(), 1);
}

#[test]
fn taxonomy_against_stated_origins_of_the_fixture() {
    let v: Value = serde_json::from_str(&fixture("ms-mapping-2025.json")).unwrap();
    let mut found = std::collections::BTreeMap::new();
    for r in v.as_array().unwrap() {
        let name = r["Threat actor name"].as_str().unwrap();
        let stated = r["Origin/Threat"].as_str().unwrap();
        found.insert(
            name.to_owned(),
            taxonomy::compare_with_stated(&taxonomy::decode(name), stated),
        );
    }
    let agrees = |n: &str| found[n].is_empty();
    for n in [
        "Salt Typhoon",
        "Octo Tempest",
        "Cinnamon Tempest",
        "CovertNetwork-1658",
        "Viridian Vortex",
        "Daffodil Gust",
        "Marbled Dust",
        "Storm-0249",
        "Neva Flood",
    ] {
        assert!(agrees(n), "{n}: {:?}", found[n]);
    }
    // Disagreements the data really has.
    for n in [
        "Patched Lightning", // empty stated origin
        "Zigzag Hail",       // "Korea": North or South?
        "Manatee Tempest",   // financially motivated family, stated "Russia"
        "Night Tsunami",     // private-sector offensive family, stated "Israel"
        "Storm-0133",        // group in development with a stated country
    ] {
        assert!(!agrees(n), "{n} should disagree");
    }
    assert!(found["Patched Lightning"][0].contains("empty"));
}

// ---------------------------------------------------------------- MISP galaxy

#[test]
fn galaxy_fixtures_convert_and_validate() {
    for f in [
        "misp-threat-actor.json",
        "misp-microsoft-activity-group.json",
        "misp-mitre-course-of-action.json",
        "misp-country.json",
    ] {
        let text = fixture(f);
        let keys = stormwatch_intel::detect::top_level_keys(&text).unwrap();
        assert!(misp_galaxy::detect(&keys), "{f}");
        let c = misp_galaxy::convert(&text).unwrap();
        assert_eq!(c.format, "misp-galaxy");
        assert!(c.rejected.is_empty(), "{f}: {:?}", c.rejected);
        assert_valid(&c, f);
        assert_eq!(c.objects[0]["name"], "MISP galaxy project");
        assert_eq!(
            as_text(&c),
            as_text(&misp_galaxy::convert(&text).unwrap()),
            "{f}: not deterministic"
        );
    }
}

#[test]
fn galaxy_actors_aliases_claims_and_skipped_links() {
    let c = misp_galaxy::convert(&fixture("misp-threat-actor.json")).unwrap();
    let ghost = by_name(&c, "GhostEmperor");
    assert_eq!(ghost["type"], "intrusion-set");
    assert_eq!(
        ghost["id"],
        stormwatch_model::deterministic_id(
            "MISP galaxy project",
            "intrusion-set",
            "3c3ca8f3-c6ab-4c5d-9bd0-be6677d6cdeb"
        )
    );
    assert!(strings(&ghost["aliases"]).contains(&"Salt Typhoon"));
    assert_eq!(ghost["x_misp_galaxy"], "threat-actor");
    assert_eq!(
        ghost["x_misp_cluster_uuid"],
        "3c3ca8f3-c6ab-4c5d-9bd0-be6677d6cdeb"
    );
    assert!(ghost["x_misp_meta"]["name-attribution"].is_array());
    assert_eq!(ghost["confidence"], 50);
    assert!(ghost["external_references"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["source_name"] == "misp-galaxy-ref"));
    // "similar" inside the file -> overlaps-with claims graded C3, undated.
    let estries = by_name(&c, "Earth Estries");
    let claim = c
        .objects
        .iter()
        .find(|o| o["type"] == "relationship" && o["source_ref"] == estries["id"])
        .unwrap();
    assert_eq!(claim["relationship_type"], "overlaps-with");
    assert_eq!(claim["target_ref"], ghost["id"]);
    let info = &claim["x_stormwatch_claim"];
    assert_eq!(
        (info["reliability"].as_str(), info["credibility"].as_u64()),
        (Some("C"), Some(3))
    );
    assert!(info["date"].is_null());
    assert!(info["reference"]
        .as_str()
        .unwrap()
        .contains("cluster 1f7f4a51-c4a8-4365-ade3-83b222e7cb67"));
    assert!(info["note"].as_str().unwrap().contains("likely"));
    // "uses" of a cluster in another file (malpedia): type unknown -> skipped, counted.
    assert!(
        c.warnings.iter().any(|w| w.contains("uses: 1")),
        "{:?}",
        c.warnings
    );
    // Volt Typhoon "similar" the Microsoft group in another file: skipped alone...
    assert!(!c.objects.iter().any(
        |o| o["type"] == "relationship" && o["source_ref"] == by_name(&c, "Volt Typhoon")["id"]
    ));
    // ... resolved with an index of the other file.
    let mut known = misp_galaxy::KnownClusters::new();
    assert_eq!(
        known
            .add_file(&fixture("misp-microsoft-activity-group.json"))
            .unwrap(),
        2
    );
    let c2 = misp_galaxy::convert_with(&fixture("misp-threat-actor.json"), &known).unwrap();
    assert_valid(&c2, "with index");
    let ms = misp_galaxy::convert(&fixture("misp-microsoft-activity-group.json")).unwrap();
    let ms_volt = by_name(&ms, "Volt Typhoon");
    let volt = by_name(&c2, "Volt Typhoon");
    assert!(c2.objects.iter().any(|o| o["type"] == "relationship"
        && o["source_ref"] == volt["id"]
        && o["target_ref"] == ms_volt["id"]
        && o["relationship_type"] == "overlaps-with"));
}

#[test]
fn galaxy_other_types() {
    let c = misp_galaxy::convert(&fixture("misp-country.json")).unwrap();
    let andorra = by_name(&c, "andorra");
    assert_eq!(andorra["type"], "location");
    assert_eq!(andorra["country"], "AD");
    // located-in points at a region galaxy that is not here: skipped, counted.
    assert!(
        c.warnings.iter().any(|w| w.contains("located-in: 3")),
        "{:?}",
        c.warnings
    );

    let c = misp_galaxy::convert(&fixture("misp-mitre-course-of-action.json")).unwrap();
    let coa = &c.objects[1];
    assert_eq!(coa["type"], "course-of-action");
    assert_eq!(coa["external_references"][0]["source_name"], "mitre-attack");
    assert_eq!(coa["external_references"][0]["external_id"], "M1059");
    // ATT&CK mitigations mitigate techniques: the target type is known.
    let rel = c
        .objects
        .iter()
        .find(|o| o["type"] == "relationship")
        .unwrap();
    assert_eq!(rel["relationship_type"], "mitigates");
    assert_eq!(
        rel["target_ref"],
        stormwatch_model::deterministic_id(
            "MISP galaxy project",
            "attack-pattern",
            "ea132c68-b518-4478-ae8d-1763cda26ee3"
        )
    );

    // An unknown galaxy becomes the custom type and still validates.
    let text = r#"{"type": "something-new", "name": "New", "uuid": "11111111-2222-3333-4444-555555555555", "version": 1,
        "values": [{"value": "Thing", "uuid": "11111111-2222-3333-4444-666666666666", "meta": {"synonyms": ["Other"], "x": [1, {"y": null}]}}]}"#;
    let c = misp_galaxy::convert(text).unwrap();
    assert_valid(&c, "custom");
    assert_eq!(c.objects[1]["type"], "x-misp-galaxy-cluster");
    assert_eq!(strings(&c.objects[1]["aliases"]), ["Other"]);
    assert_eq!(c.objects[1]["x_misp_meta"]["x"][1]["y"], Value::Null);
}

#[test]
fn galaxy_value_without_uuid_is_a_record_error_with_its_index() {
    let mut v: Value = serde_json::from_str(&fixture("misp-threat-actor.json")).unwrap();
    let values = v["values"].as_array_mut().unwrap();
    values[2].as_object_mut().unwrap().remove("uuid");
    values[4]["uuid"] = Value::from("not-a-uuid");
    values[5].as_object_mut().unwrap().remove("value");
    let text = serde_json::to_string_pretty(&v).unwrap();
    let c = misp_galaxy::convert(&text).unwrap();
    let r: Vec<_> = c
        .rejected
        .iter()
        .map(|r| (r.index, r.error.as_str()))
        .collect();
    assert_eq!(r.len(), 3, "{r:?}");
    assert_eq!(r[0].0, 2);
    assert!(r[0].1.contains("\"uuid\"") && r[0].1.contains("missing"));
    assert_eq!(r[1].0, 4);
    assert!(r[1].1.contains("not a UUID"));
    assert_eq!(r[2].0, 5);
    assert!(r[2].1.contains("\"value\""));
    assert!(c.rejected.iter().all(|r| r.line > 1));
    assert_valid(&c, "with rejects");
}

#[test]
fn galaxy_bad_files_are_format_errors() {
    for bad in [
        "",
        "[]",
        r#"{"uuid": "x", "values": []}"#,
        r#"{"type": "threat-actor", "uuid": "x"}"#,
        r#"{"type": "threat-actor", "uuid": "x", "values": {}}"#,
        r#"{"type": "threat-actor", "values": [1"#,
    ] {
        assert!(misp_galaxy::convert(bad).is_err(), "{bad}");
    }
    // Deep nesting is an error, not a stack overflow.
    let deep = format!(
        "{{\"type\": \"t\", \"uuid\": \"x\", \"values\": [{{\"meta\": {}1{}}}]}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let c = misp_galaxy::convert(&deep).unwrap();
    assert_eq!(c.rejected.len(), 1);
    assert!(
        c.rejected[0].error.contains("recursion"),
        "{:?}",
        c.rejected
    );
    assert_eq!(
        misp_galaxy::KnownClusters::new().add_file(&deep).unwrap(),
        0
    );
    let deep = format!("[{}1{}]", "[".repeat(100_000), "]".repeat(100_000));
    assert!(ms_mapping::convert(&deep).is_err());
    // Values that are not objects are record errors, not panics.
    let c =
        misp_galaxy::convert(r#"{"type": "threat-actor", "uuid": "x", "values": [1, null, "s"]}"#)
            .unwrap();
    assert_eq!(c.rejected.len(), 3);
}

// ---------------------------------------------------------------- real data

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    v.sort();
    v
}

#[test]
fn real_mapping_files_convert_and_decode() {
    let Some(dir) = shared_data("microsoft") else {
        return;
    };
    let text = std::fs::read_to_string(dir.join("MicrosoftMapping.json")).unwrap();
    let records: Vec<Value> = serde_json::from_str(&text).unwrap();
    assert_eq!(records.len(), 166);
    let c = ms_mapping::convert(&text).unwrap();
    assert_eq!(c.format, "ms-mapping-2025");
    assert!(c.rejected.is_empty(), "{:?}", c.rejected);
    assert_eq!(c.objects.len(), 1 + 166);
    assert_valid(&c, "MicrosoftMapping.json");

    let old = std::fs::read_to_string(dir.join("MicrosoftMapping-2023-04-19.json")).unwrap();
    let old_records: Vec<Value> = serde_json::from_str(&old).unwrap();
    assert_eq!(old_records.len(), 68);
    let c23 = ms_mapping::convert(&old).unwrap();
    assert_eq!(c23.format, "ms-mapping-2023");
    assert!(c23.rejected.is_empty(), "{:?}", c23.rejected);
    // 68 records name 65 actors (three are listed twice).
    assert_eq!(c23.objects.len(), 1 + 65);
    assert_eq!(c23.warnings.len(), 3, "{:?}", c23.warnings);
    assert_valid(&c23, "MicrosoftMapping-2023-04-19.json");
    let ids25: HashSet<&Value> = c.objects.iter().map(|o| &o["id"]).collect();
    let shared = c23.objects[1..]
        .iter()
        .filter(|o| ids25.contains(&o["id"]))
        .count();
    println!("2023 actors also in the current file (same id): {shared} of 65");

    // Taxonomy over every current name.
    let mut disagreements = 0;
    let mut by_family = std::collections::BTreeMap::<String, usize>::new();
    for r in &records {
        let name = r["Threat actor name"].as_str().unwrap();
        let stated = r["Origin/Threat"].as_str().unwrap();
        let d = taxonomy::decode(name);
        assert!(d.known, "{name}: {:?}", d.note);
        *by_family.entry(d.family.clone()).or_default() += 1;
        let diffs = taxonomy::compare_with_stated(&d, stated);
        if !diffs.is_empty() {
            disagreements += 1;
            println!("{name} [{stated}]: {}", diffs.join(" | "));
        }
    }
    println!(
        "families: {by_family:?}; {disagreements} of 166 names disagree with their stated origin"
    );
    let t = |n: &str| taxonomy::decode(n).taxonomy();
    assert_eq!(t("Salt Typhoon").meaning, "China");
    assert_eq!(
        t("Octo Tempest").kind,
        Some(FamilyKind::FinanciallyMotivated)
    );
    assert_eq!(t("Storm-0558").kind, Some(FamilyKind::GroupInDevelopment));
    assert_eq!(
        t("CovertNetwork-1658").kind,
        Some(FamilyKind::CovertNetwork)
    );
    assert!(!taxonomy::decode("Purple Drizzle").known);
    let vortex = records
        .iter()
        .find(|r| r["Threat actor name"] == "Viridian Vortex")
        .unwrap();
    assert_eq!(vortex["Origin/Threat"], "Pakistan");
    assert!(taxonomy::decode("Viridian Vortex")
        .conflicts
        .iter()
        .any(|c| c.contains("Whirlwind")));
}

/// The 2023 table is exactly the families of the 2023 file, with its origins.
#[test]
fn taxonomy_2023_table_matches_the_2023_file() {
    let Some(p) = shared_data("microsoft/MicrosoftMapping-2023-04-19.json") else {
        return;
    };
    let records: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
    let mut families = BTreeSet::new();
    for r in &records {
        let name = r["New name"].as_str().unwrap();
        let stated = r["Origin/Threat"].as_str().unwrap();
        let d = taxonomy::decode(name);
        let m = d
            .matches
            .iter()
            .find(|f| f.table_version == "2023-04")
            .unwrap_or_else(|| panic!("{name}: family not in the 2023 table"));
        families.insert(m.name);
        if m.kind == FamilyKind::NationState {
            assert_eq!(
                taxonomy::country_key(m.meaning),
                taxonomy::country_key(stated),
                "{name}"
            );
        }
    }
    let table: BTreeSet<&str> = taxonomy::table("2023-04").map(|f| f.name).collect();
    assert_eq!(families, table);
    let countries = taxonomy::table("2023-04")
        .filter(|f| f.kind == FamilyKind::NationState)
        .count();
    assert_eq!(countries, 8);
}

#[test]
fn real_galaxy_files_convert_with_no_rejects_and_validate() {
    let Some(dir) = shared_data("misp-galaxy/clusters") else {
        return;
    };
    let files = json_files(&dir);
    assert_eq!(files.len(), 33);
    let texts: Vec<(String, String)> = files
        .iter()
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(p).unwrap(),
            )
        })
        .collect();

    let start = Instant::now();
    let converted: Vec<Converted> = texts
        .iter()
        .map(|(f, t)| misp_galaxy::convert(t).unwrap_or_else(|e| panic!("{f}: {e}")))
        .collect();
    let elapsed = start.elapsed();
    let total: usize = converted.iter().map(|c| c.objects.len()).sum();
    println!(
        "converted {} galaxy files into {total} objects in {elapsed:?} (target: under 2 s in release)",
        files.len()
    );

    let mut types = std::collections::BTreeMap::<String, usize>::new();
    for ((f, _), c) in texts.iter().zip(&converted) {
        assert!(
            c.rejected.is_empty(),
            "{f}: {:?}",
            &c.rejected[..c.rejected.len().min(3)]
        );
        assert_valid(c, f);
        let stix = c
            .objects
            .get(1)
            .map_or("-", |o| o["type"].as_str().unwrap_or("-"));
        let rels = c
            .objects
            .iter()
            .filter(|o| o["type"] == "relationship")
            .count();
        println!(
            "{f}: {} objects ({stix}), {rels} relationships, warnings {:?}",
            c.objects.len(),
            c.warnings
        );
        for o in &c.objects {
            *types
                .entry(o["type"].as_str().unwrap().to_owned())
                .or_default() += 1;
        }
    }
    println!("types: {types:?}");
    // Spot checks of the type mapping.
    let of = |f: &str| {
        let i = texts.iter().position(|(n, _)| n == f).unwrap();
        &converted[i]
    };
    assert_eq!(of("360net.json").objects[1]["type"], "intrusion-set");
    assert_eq!(of("tidal-groups.json").objects[1]["type"], "intrusion-set");
    assert_eq!(of("malpedia.json").objects[1]["type"], "malware");
    assert_eq!(of("rmm-tool.json").objects[1]["type"], "tool");
    assert_eq!(of("sector.json").objects[1]["identity_class"], "class");
    assert_eq!(
        of("mitre-data-source.json").objects[1]["type"],
        "x-misp-galaxy-cluster"
    );
    // rmm-tool repeats 7 uuids (same tool listed twice): kept once, with warnings.
    assert!(of("rmm-tool.json")
        .warnings
        .iter()
        .any(|w| w.contains("repeats the uuid")));

    // With an index of all 33 files, links across files resolve.
    let start = Instant::now();
    let mut known = misp_galaxy::KnownClusters::new();
    for (f, t) in &texts {
        known.add_file(t).unwrap_or_else(|e| panic!("{f}: {e}"));
    }
    let with: Vec<Converted> = texts
        .iter()
        .map(|(_, t)| misp_galaxy::convert_with(t, &known).unwrap())
        .collect();
    println!(
        "indexed and converted with cross-file links in {:?}",
        start.elapsed()
    );
    let rels = |cs: &[Converted]| -> usize {
        cs.iter()
            .map(|c| {
                c.objects
                    .iter()
                    .filter(|o| o["type"] == "relationship")
                    .count()
            })
            .sum()
    };
    let (alone, together) = (rels(&converted), rels(&with));
    println!("relationships: {alone} file by file, {together} with the index");
    assert!(together > alone);
    let mut files_of_id = std::collections::HashMap::<&str, Vec<&str>>::new();
    let mut claims = 0;
    for ((f, _), c) in texts.iter().zip(&with) {
        assert!(c.rejected.is_empty(), "{f}");
        assert_valid(c, f);
        for o in &c.objects[1..] {
            files_of_id
                .entry(o["id"].as_str().unwrap())
                .or_default()
                .push(f);
            if o.contains_key("x_stormwatch_claim") {
                claims += 1;
            }
        }
    }
    let shared: Vec<_> = files_of_id.iter().filter(|(_, f)| f.len() > 1).collect();
    let mut pairs = BTreeSet::new();
    for (_, f) in &shared {
        pairs.insert(f.join(" + "));
    }
    println!(
        "{claims} claims; {} ids occur in more than one file (same uuid in two galaxies): {pairs:?}",
        shared.len()
    );
    // Determinism on the largest file.
    let big = texts.iter().max_by_key(|(_, t)| t.len()).unwrap();
    assert_eq!(
        as_text(&misp_galaxy::convert(&big.1).unwrap()),
        as_text(&misp_galaxy::convert(&big.1).unwrap())
    );
}
