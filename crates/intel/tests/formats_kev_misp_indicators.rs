//! KEV catalog, MISP event and indicator list converters.

use std::path::PathBuf;

use serde_json::{Map, Value};
use stormwatch_intel::formats::indicators::{self, IndicatorKind};
use stormwatch_intel::formats::{kev, misp_event, source_identity_id, Converted};
use stormwatch_model::{validate, Severity};
use stormwatch_testkit::shared_data;

fn fixture(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/kev_misp_indicators")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Every object passes STIX validation with no error; ids are unique.
fn assert_valid(c: &Converted) {
    let mut ids = std::collections::HashSet::new();
    for (i, o) in c.objects.iter().enumerate() {
        let errors: Vec<String> = validate(o)
            .into_iter()
            .filter(|x| x.severity == Severity::Error)
            .map(|x| x.to_string())
            .collect();
        assert!(
            errors.is_empty(),
            "{} objects[{i}] {o:?}: {errors:?}",
            c.format
        );
        let id = o["id"].as_str().unwrap();
        assert!(ids.insert(id.to_owned()), "duplicate id {id}");
        if o["type"] != "identity" {
            assert!(o.contains_key("confidence"), "{id} has no confidence");
            assert!(
                o.contains_key("created_by_ref"),
                "{id} has no created_by_ref"
            );
        }
    }
    assert_eq!(c.objects[0]["type"], "identity", "identity first");
}

fn ids(c: &Converted, t: &str) -> Vec<String> {
    c.objects
        .iter()
        .filter(|o| o["type"] == t)
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect()
}

fn by_name<'a>(c: &'a Converted, name: &str) -> &'a Map<String, Value> {
    c.objects
        .iter()
        .find(|o| o.get("name").and_then(Value::as_str) == Some(name))
        .unwrap_or_else(|| panic!("no object named {name}"))
}

fn json_text(c: &Converted) -> String {
    serde_json::to_string(&c.objects).unwrap()
}

fn without_version(c: &Converted) -> Vec<Map<String, Value>> {
    c.objects
        .iter()
        .cloned()
        .map(|mut o| {
            o.remove("x_kev_catalog_version");
            o
        })
        .collect()
}

// ---------------------------------------------------------------- KEV

#[test]
fn kev_fixture_json_and_csv_give_the_same_objects() {
    let j = kev::convert_json(&fixture("kev.json")).unwrap();
    let c = kev::convert_csv(&fixture("kev.csv")).unwrap();
    assert_eq!(j.format, "cisa-kev-json");
    assert_eq!(c.format, "cisa-kev-csv");
    assert!(j.rejected.is_empty() && c.rejected.is_empty());
    assert!(j.warnings.is_empty(), "{:?}", j.warnings);
    assert_eq!(ids(&j, "vulnerability").len(), 4);
    assert_eq!(ids(&j, "vulnerability"), ids(&c, "vulnerability"));
    assert_eq!(without_version(&j), without_version(&c));
    assert_valid(&j);
    assert_valid(&c);

    let log4j = by_name(&j, "CVE-2021-44228");
    assert_eq!(log4j["created"], "2021-12-10T00:00:00.000Z");
    assert_eq!(log4j["modified"], log4j["created"]);
    assert_eq!(log4j["confidence"], 90);
    assert_eq!(log4j["created_by_ref"], source_identity_id("CISA"));
    assert_eq!(
        log4j["external_references"],
        serde_json::json!([{"source_name": "cve", "external_id": "CVE-2021-44228"}])
    );
    assert_eq!(log4j["x_kev"]["vendorProject"], "Apache");
    assert_eq!(
        log4j["x_kev"]["cwes"],
        serde_json::json!(["CWE-20", "CWE-400", "CWE-502"])
    );
    assert_eq!(log4j["x_kev_catalog_version"], "2025.08.25");
    assert_eq!(
        log4j["id"],
        stormwatch_model::deterministic_id("CISA", "vulnerability", "CVE-2021-44228")
    );
    assert_eq!(
        by_name(&c, "CVE-2025-8876")["x_kev"]["cwes"],
        serde_json::json!([])
    );
    assert!(log4j["description"]
        .as_str()
        .unwrap()
        .starts_with("Apache Log4j2"));
}

#[test]
fn kev_detection() {
    let keys: Vec<String> = [
        "title",
        "catalogVersion",
        "dateReleased",
        "count",
        "vulnerabilities",
    ]
    .map(String::from)
    .to_vec();
    assert!(kev::is_kev_json(&keys));
    assert!(!kev::is_kev_json(&["type".into(), "objects".into()]));
    let csv = fixture("kev.csv");
    assert!(kev::is_kev_csv(csv.lines().next().unwrap()));
    assert!(!kev::is_kev_csv("indicator,type"));
    // convert() picks the layout by content.
    assert_eq!(kev::convert(&csv).unwrap().format, "cisa-kev-csv");
    assert_eq!(
        kev::convert(&fixture("kev.json")).unwrap().format,
        "cisa-kev-json"
    );
}

#[test]
fn kev_bad_records_name_field_line_and_index() {
    let json = r#"{"catalogVersion": "x", "vulnerabilities": [
        {"cveID": "CVE-2020-1234", "dateAdded": "2020-01-02"},
        {"cveID": "CVE-X", "dateAdded": "2020-01-02"},
        {"cveID": "CVE-2020-5678", "dateAdded": "2020/01/02"},
        {"dateAdded": "2020-01-02"},
        {"cveID": "CVE-2020-1234", "dateAdded": "2020-01-03"},
        {"cveID": "CVE-2020-9999", "dateAdded": "2021-02-29"},
        7
    ]}"#;
    let c = kev::convert_json(json).unwrap();
    assert_eq!(ids(&c, "vulnerability").len(), 1);
    let errs: Vec<(usize, &str)> = c
        .rejected
        .iter()
        .map(|r| (r.index, r.error.as_str()))
        .collect();
    assert_eq!(errs[0], (1, r#"field "cveID": "CVE-X" is not a CVE id"#));
    assert_eq!(c.rejected[0].id.as_deref(), Some("CVE-X"));
    assert_eq!(
        errs[1],
        (
            2,
            r#"field "dateAdded": "2020/01/02" is not a date (YYYY-MM-DD)"#
        )
    );
    assert_eq!(errs[2], (3, r#"field "cveID": is missing"#));
    assert!(errs[3].1.contains("listed twice"), "{errs:?}");
    assert!(errs[4].1.contains(r#"field "dateAdded""#), "{errs:?}");
    assert_eq!(errs[5].0, 6);
    assert_valid(&c);

    let csv = "cveID,vendorProject,dateAdded,cwes\nCVE-2020-1234,A,2020-01-02,\"CWE-1, CWE-2\"\nCVE-X,B,2020-01-02,\n\"CVE-2020-5678\",\"multi\nline\",bad,\n";
    let c = kev::convert_csv(csv).unwrap();
    assert_eq!(c.rejected.len(), 2);
    assert_eq!(c.rejected[0].line, 3);
    assert_eq!(c.rejected[0].index, 1);
    assert_eq!(
        c.rejected[0].error,
        r#"field "cveID": "CVE-X" is not a CVE id"#
    );
    assert_eq!(c.rejected[1].line, 4);
    assert!(c.rejected[1].error.starts_with(r#"field "dateAdded""#));
    assert_eq!(
        c.objects[1]["x_kev"]["cwes"],
        serde_json::json!(["CWE-1", "CWE-2"])
    );
    assert!(kev::convert_json("[1]").is_err());
    assert!(kev::convert_json("{\"vulnerabilities\": ").is_err());
    assert!(kev::convert_csv("a,b\n1,2\n").is_err());
}

#[test]
fn kev_real_catalog_json_and_csv() {
    let (Some(jp), Some(cp)) = (
        shared_data("kev/known_exploited_vulnerabilities.json"),
        shared_data("kev/known_exploited_vulnerabilities.csv"),
    ) else {
        return;
    };
    let j = kev::convert_json(&std::fs::read_to_string(jp).unwrap()).unwrap();
    let c = kev::convert_csv(&std::fs::read_to_string(cp).unwrap()).unwrap();
    assert!(
        j.rejected.is_empty(),
        "{:?}",
        &j.rejected[..j.rejected.len().min(3)]
    );
    assert!(
        c.rejected.is_empty(),
        "{:?}",
        &c.rejected[..c.rejected.len().min(3)]
    );
    assert!(j.warnings.is_empty(), "{:?}", j.warnings);
    assert_eq!(ids(&j, "vulnerability").len(), 1404);
    assert_eq!(ids(&j, "vulnerability"), ids(&c, "vulnerability"));
    assert_eq!(without_version(&j), without_version(&c));
    assert_valid(&j);
    assert_valid(&c);
    println!(
        "KEV: {} vulnerabilities from JSON and CSV, 0 rejects",
        ids(&j, "vulnerability").len()
    );
}

// ---------------------------------------------------------------- MISP

const CLEAR: &str = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487";
const AMBER_STRICT: &str = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003";

fn keys_of(text: &str) -> Vec<String> {
    match serde_json::from_str::<Value>(text).unwrap() {
        Value::Object(m) => m.keys().cloned().collect(),
        _ => vec![],
    }
}

#[test]
fn misp_xorist_event() {
    let text = fixture("57c4445b-c548-4654-af0b-4be3950d210f.json");
    assert!(misp_event::is_misp_event(&keys_of(&text)));
    let c = misp_event::convert(&text).unwrap();
    assert_eq!(c.format, "misp-event");
    assert!(c.rejected.is_empty(), "{:?}", c.rejected);
    assert_valid(&c);
    assert_eq!(c.objects[0]["name"], "CIRCL");
    assert_eq!(
        c.warnings,
        vec!["3 attributes of unsupported types kept out: comment (1), regkey|value (1), text (1)"]
    );
    let report = c.objects.iter().find(|o| o["type"] == "report").unwrap();
    assert_eq!(report["name"], "Ransomware - Xorist");
    assert_eq!(report["published"], "2016-08-29T00:00:00.000Z");
    assert_eq!(report["created"], "2016-08-29T00:00:00.000Z");
    assert_eq!(report["modified"], "2016-08-30T07:10:11.000Z");
    assert_eq!(report["object_marking_refs"], serde_json::json!([CLEAR]));
    assert_eq!(report["labels"].as_array().unwrap().len(), 4);
    assert_eq!(
        report["id"],
        stormwatch_model::deterministic_id(
            "CIRCL",
            "report",
            "57c4445b-c548-4654-af0b-4be3950d210f"
        )
    );
    let inds = ids(&c, "indicator");
    assert_eq!(inds.len(), 6);
    assert_eq!(report["object_refs"], serde_json::json!(inds));

    let md5 = by_name(&c, "0749bae92ca336a02c83d126e04ec628");
    assert_eq!(
        md5["pattern"],
        "[file:hashes.MD5 = '0749bae92ca336a02c83d126e04ec628']"
    );
    assert_eq!(
        md5["indicator_types"],
        serde_json::json!(["malicious-activity"])
    );
    assert_eq!(md5["valid_from"], "2016-08-29T14:19:55.000Z");
    assert_eq!(
        md5["x_misp_attribute_uuid"],
        "57c4448b-454c-4d17-90d1-4d2f950d210f"
    );
    assert_eq!(md5["x_misp_category"], "Payload delivery");
    assert_eq!(md5["x_misp_type"], "md5");
    assert_eq!(md5["description"], "Imported via the Freetext Import Tool");
    assert_eq!(md5["object_marking_refs"], serde_json::json!([CLEAR]));
    let sha256 = by_name(
        &c,
        "b3c4ae251f8094fa15b510051835c657eaef2a6cea46075d3aec964b14a99f68",
    );
    assert_eq!(
        sha256["pattern"],
        "[file:hashes.'SHA-256' = 'b3c4ae251f8094fa15b510051835c657eaef2a6cea46075d3aec964b14a99f68']"
    );
    let file = by_name(&c, "3Z4wnG9603it23y.exe");
    assert_eq!(file["pattern"], "[file:name = '3Z4wnG9603it23y.exe']");
    // A link (to_ids false) is kept without indicator_types.
    let link = by_name(
        &c,
        "http://www.xylibox.com/2011/06/have-fun-with-trojan-ransomwin32xorist.html",
    );
    assert!(!link.contains_key("indicator_types"));
    assert!(
        !link.contains_key("description"),
        "empty comment is no description"
    );
    assert!(link["pattern"]
        .as_str()
        .unwrap()
        .starts_with("[url:value = 'http://www.xylibox.com/"));
}

#[test]
fn misp_fixture_layouts() {
    // Bare event (no wrapper) with Org/Orgc, no TLP.
    let text = fixture("misp_event.json");
    assert!(misp_event::is_misp_event(&keys_of(&text)));
    let c = misp_event::convert(&text).unwrap();
    assert_valid(&c);
    assert_eq!(c.objects[0]["name"], "ORGNAME");
    let report = c.objects.iter().find(|o| o["type"] == "report").unwrap();
    assert!(!report.contains_key("object_marking_refs"));
    assert_eq!(ids(&c, "indicator").len(), 1);
    assert_eq!(
        c.warnings,
        vec!["1 attributes of unsupported types kept out: text (1)"]
    );

    // Objects only, no uuid, no org, attributes without uuid or timestamp.
    let text = fixture("event_obj_attr_tag.json");
    assert!(misp_event::is_misp_event(&keys_of(&text)));
    let c = misp_event::convert(&text).unwrap();
    assert_valid(&c);
    assert!(c.rejected.is_empty());
    assert_eq!(c.objects[0]["name"], "MISP");
    let bar = by_name(&c, "bar");
    assert_eq!(bar["pattern"], "[file:name = 'bar']");
    assert_eq!(bar["labels"], serde_json::json!(["blah"]));
    assert_eq!(bar["x_misp_object_name"], "file");
    assert_eq!(bar["x_misp_object_relation"], "filename");
    assert_eq!(bar["valid_from"], "1970-01-01T00:00:00.000Z");
    assert_eq!(
        by_name(&c, "https://www.circl.lu")["pattern"],
        "[url:value = 'https://www.circl.lu']"
    );
    assert!(
        c.warnings.iter().any(|w| w.contains("has no uuid")),
        "{:?}",
        c.warnings
    );
    assert!(c
        .warnings
        .iter()
        .any(|w| w == "1 MISP object references ignored"));

    // A galaxy definition is not an event.
    let text = fixture("galaxy.json");
    assert!(!misp_event::is_misp_event(&keys_of(&text)));
    assert!(misp_event::convert(&text).is_err());
}

#[test]
fn misp_real_event_files() {
    let Some(dir) = shared_data("misp-events") else {
        return;
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut events = 0;
    for p in files {
        let text = std::fs::read_to_string(&p).unwrap();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if misp_event::is_misp_event(&keys_of(&text)) {
            let c = misp_event::convert(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_valid(&c);
            println!(
                "{name}: {} objects, {} indicators, {} rejects, warnings {:?}",
                c.objects.len(),
                ids(&c, "indicator").len(),
                c.rejected.len(),
                c.warnings
            );
            assert!(c.rejected.is_empty(), "{name}: {:?}", c.rejected);
            events += 1;
        } else {
            // galaxy.json (a galaxy definition) and sighting.json (a lone sighting).
            let e = misp_event::convert(&text).unwrap_err();
            println!("{name}: not an event ({e})");
        }
    }
    assert_eq!(events, 3);
}

#[test]
fn misp_values_markings_galaxies_and_rejects() {
    let text = r#"{"response": [{"Event": {
        "uuid": "11111111-2222-4333-8444-555555555555", "info": "test", "date": "2024-02-03",
        "timestamp": "1706918400",
        "Orgc": {"name": "Example CERT"},
        "Tag": [{"name": "TLP:AMBER+STRICT"}, {"name": "type:OSINT"}],
        "Galaxy": [{"name": "Threat Actor", "GalaxyCluster": [{"value": "APT-X", "tag_name": "misp-galaxy:threat-actor=\"APT-X\""}]}],
        "Attribute": [
          {"uuid": "a1", "type": "ip-dst", "value": "300.1.1.1", "to_ids": true, "timestamp": "1706918400"},
          {"uuid": "a2", "type": "ip-dst|port", "value": "2001:DB8:0:0:0:0:0:1|443", "to_ids": "1", "timestamp": "1706918400"},
          {"uuid": "a3", "type": "filename|md5", "value": "it's\\a.exe|D41D8CD98F00B204E9800998ECF8427E", "to_ids": false},
          {"uuid": "a4", "type": "domain", "value": "Evil.Example.COM.", "Sighting": [{"type": "0"}, {"type": "0"}]},
          {"uuid": "a5", "type": "email-src", "value": "x@Example.com", "comment": "sender"},
          {"uuid": "a6", "type": "md5", "value": "abc"},
          {"uuid": "a7", "type": "ip-src", "value": "10.0.0.0/8"},
          {"uuid": "a8", "type": "text", "value": "hello"},
          {"uuid": "a9", "type": "url", "value": "http://x.test/a", "deleted": true}
        ]}}]}"#;
    assert!(misp_event::is_misp_event(&keys_of(text)));
    let c = misp_event::convert(text).unwrap();
    assert_valid(&c);
    assert_eq!(c.rejected.len(), 2);
    assert_eq!(c.rejected[0].id.as_deref(), Some("a1"));
    assert_eq!(c.rejected[0].index, 0);
    assert!(
        c.rejected[0]
            .error
            .contains(r#"attribute a1: field "value": "300.1.1.1" is not an IPv4 address"#),
        "{}",
        c.rejected[0].error
    );
    assert_eq!(c.rejected[1].id.as_deref(), Some("a6"));
    assert_eq!(c.objects[0]["name"], "Example CERT");
    let pat = |name: &str| by_name(&c, name)["pattern"].as_str().unwrap().to_owned();
    assert_eq!(
        pat("2001:DB8:0:0:0:0:0:1|443"),
        "[ipv6-addr:value = '2001:db8::1']"
    );
    assert_eq!(
        pat("it's\\a.exe|D41D8CD98F00B204E9800998ECF8427E"),
        r"[file:name = 'it\'s\\a.exe' AND file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']"
    );
    assert_eq!(
        pat("Evil.Example.COM."),
        "[domain-name:value = 'evil.example.com']"
    );
    assert_eq!(pat("x@Example.com"), "[email-addr:value = 'x@example.com']");
    assert_eq!(pat("10.0.0.0/8"), "[ipv4-addr:value = '10.0.0.0/8']");
    let port = by_name(&c, "2001:DB8:0:0:0:0:0:1|443");
    assert_eq!(
        port["indicator_types"],
        serde_json::json!(["malicious-activity"])
    );
    assert_eq!(
        port["object_marking_refs"],
        serde_json::json!([AMBER_STRICT])
    );
    // No attribute timestamp: the event date.
    assert_eq!(
        by_name(&c, "x@Example.com")["valid_from"],
        "2024-02-03T00:00:00.000Z"
    );
    let report = c.objects.iter().find(|o| o["type"] == "report").unwrap();
    assert_eq!(report["x_misp_galaxies"], serde_json::json!(["APT-X"]));
    assert_eq!(
        report["object_marking_refs"],
        serde_json::json!([AMBER_STRICT])
    );
    assert_eq!(
        report["labels"],
        serde_json::json!(["TLP:AMBER+STRICT", "type:OSINT"])
    );
    assert_eq!(report["object_refs"].as_array().unwrap().len(), 5);
    assert!(c
        .warnings
        .contains(&"1 attributes of unsupported types kept out: text (1)".to_owned()));
    assert!(c.warnings.contains(&"2 sightings ignored".to_owned()));
    assert!(c
        .warnings
        .contains(&"1 deleted attributes kept out".to_owned()));

    // An event with nothing convertible refers to its publisher.
    let c = misp_event::convert(r#"{"Event": {"uuid": "u", "info": "empty", "Attribute": []}}"#)
        .unwrap();
    assert_valid(&c);
    let report = c.objects.iter().find(|o| o["type"] == "report").unwrap();
    assert_eq!(
        report["object_refs"],
        serde_json::json!([source_identity_id("MISP")])
    );
    assert_eq!(report["published"], "1970-01-01T00:00:00.000Z");

    assert!(misp_event::convert("[]").is_err());
    assert!(misp_event::convert("{\"Event\": 3}").is_err());
    assert!(misp_event::convert("not json").is_err());
    assert!(!misp_event::is_misp_event(&[
        "type".into(),
        "id".into(),
        "Attribute".into()
    ]));
}

// ---------------------------------------------------------------- indicator lists

#[test]
fn refang_table() {
    for (defanged, refanged) in [
        ("1[.]2[.]3[.]4", "1.2.3.4"),
        ("1.2.3[.]4", "1.2.3.4"),
        ("example[.]com", "example.com"),
        ("hxxp://example.com/a", "http://example.com/a"),
        ("hXXps://example.com", "https://example.com"),
        ("http[:]//example.com", "http://example.com"),
        ("hxxps[:]//evil[.]com/x", "https://evil.com/x"),
        ("example(.)com", "example.com"),
        ("example{.}com", "example.com"),
        ("user[at]example.com", "user@example.com"),
        ("user[@]example[.]com", "user@example.com"),
        ("example[dot]com", "example.com"),
        ("  1.2.3.4  ", "1.2.3.4"),
        ("plain.example.org", "plain.example.org"),
    ] {
        assert_eq!(indicators::refang(defanged), refanged, "{defanged}");
    }
}

#[test]
fn classify_table() {
    use IndicatorKind::*;
    for (input, kind, canonical) in [
        ("1.2.3.4", Ipv4, "1.2.3.4"),
        ("1[.]2[.]3[.]4", Ipv4, "1.2.3.4"),
        ("255.255.255.255", Ipv4, "255.255.255.255"),
        ("0.0.0.0", Ipv4, "0.0.0.0"),
        ("2001:DB8:0:0:0:0:0:1", Ipv6, "2001:db8::1"),
        (
            "2001:0db8:0000:0000:0001:0000:0000:0001",
            Ipv6,
            "2001:db8::1:0:0:1",
        ),
        ("::FFFF:192.0.2.1", Ipv6, "::ffff:192.0.2.1"),
        ("10.0.0.0/8", Ipv4Cidr, "10.0.0.0/8"),
        ("2001:DB8::/32", Ipv6Cidr, "2001:db8::/32"),
        ("Example[.]COM.", Domain, "example.com"),
        ("xn--bcher-kva.example", Domain, "xn--bcher-kva.example"),
        ("sub.xn--p1ai", Domain, "sub.xn--p1ai"),
        (
            "hxxps://Evil[.]Example/Path?q=A",
            Url,
            "https://evil.example/Path?q=A",
        ),
        ("ftp://192.0.2.1:21/x", Url, "ftp://192.0.2.1:21/x"),
        (
            "http://[2001:DB8::1]:8080/",
            Url,
            "http://[2001:db8::1]:8080/",
        ),
        ("Bob[at]Example[.]com", Email, "Bob@example.com"),
        (
            "D41D8CD98F00B204E9800998ECF8427E",
            Md5,
            "d41d8cd98f00b204e9800998ecf8427e",
        ),
        (
            "da39a3ee5e6b4b0d3255bfef95601890afd80709",
            Sha1,
            "da39a3ee5e6b4b0d3255bfef95601890afd80709",
        ),
        (
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            Sha256,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        (&"ab".repeat(64), Sha512, &"ab".repeat(64)),
    ] {
        assert_eq!(
            indicators::classify(input),
            Some((kind, canonical.to_owned())),
            "{input}"
        );
    }
    for bad in [
        "300.1.2.3",
        "1.2.3",
        "1.2.3.4.5",
        "01.2.3.4",
        "1.2.3.4/33",
        &"a".repeat(31),
        "hxxp://",
        "http://",
        "example.c0m",
        "-bad.example.com",
        "a@b",
        "2001:db8:::1",
        "word",
        "",
    ] {
        assert_eq!(indicators::classify(bad), None, "{bad}");
    }
}

#[test]
fn indicator_csv_fixture() {
    let text = fixture("partner-feed.csv");
    assert!(indicators::looks_like_indicator_csv(
        "first_seen,type,indicator,comment"
    ));
    assert!(indicators::looks_like_indicator_csv("\"IP\",\"Comment\""));
    assert!(!indicators::looks_like_indicator_csv("cveID,vendorProject"));
    let c = indicators::convert_csv(&text, "partner-feed").unwrap();
    assert_eq!(c.format, "indicator-csv");
    assert!(c.rejected.is_empty(), "{:?}", c.rejected);
    assert_valid(&c);
    assert_eq!(c.objects[0]["name"], "partner-feed");
    assert_eq!(c.objects[0]["identity_class"], "organization");
    assert_eq!(ids(&c, "indicator").len(), 7);
    assert_eq!(
        c.warnings,
        vec![
            "1 rows of unsupported types kept out: filename (1)",
            "1 duplicate indicators were kept once"
        ]
    );
    let ip = by_name(&c, "192.0.2.10");
    assert_eq!(ip["pattern"], "[ipv4-addr:value = '192.0.2.10']");
    assert_eq!(ip["valid_from"], "2025-01-01T10:00:00.000Z");
    assert_eq!(ip["created"], ip["valid_from"]);
    assert_eq!(ip["description"], "C2 server");
    assert_eq!(ip["confidence"], 50);
    assert_eq!(
        ip["id"],
        stormwatch_model::deterministic_id("partner-feed", "indicator", "ipv4:192.0.2.10")
    );
    assert_eq!(
        by_name(&c, "evil-example.com")["valid_from"],
        "2025-01-01T00:00:00.000Z"
    );
    let url = by_name(&c, "https://evil-example.com/login?a=1");
    assert_eq!(url["valid_from"], "1970-01-01T00:00:00.000Z");
    assert_eq!(
        url["pattern"],
        "[url:value = 'https://evil-example.com/login?a=1']"
    );
    assert_eq!(
        by_name(&c, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")["pattern"],
        "[file:hashes.'SHA-256' = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']"
    );
    assert_eq!(
        by_name(&c, "2001:db8::1")["pattern"],
        "[ipv6-addr:value = '2001:db8::1']"
    );
    assert_eq!(
        by_name(&c, "198.51.100.0/24")["pattern"],
        "[ipv4-addr:value = '198.51.100.0/24']"
    );
    assert_eq!(
        by_name(&c, "phish@evil-example.com")["pattern"],
        "[email-addr:value = 'phish@evil-example.com']"
    );
}

#[test]
fn indicator_text_fixture_rejects_malformed_ip_with_line() {
    let c = indicators::convert_text(&fixture("partner-feed.txt"), "partner-feed").unwrap();
    assert_eq!(c.format, "indicator-text");
    assert_valid(&c);
    assert_eq!(c.rejected.len(), 1);
    let r = &c.rejected[0];
    assert_eq!(r.line, 8);
    assert_eq!(r.id.as_deref(), Some("300.1.2.3"));
    assert_eq!(
        r.error,
        r#"value: "300.1.2.3" is not an IPv4 address (octet 300 is over 255)"#
    );
    assert_eq!(ids(&c, "indicator").len(), 5);
    assert_eq!(by_name(&c, "192.0.2.10")["description"], "C2 server");
    assert_eq!(by_name(&c, "evil-example.org")["description"], "parked");
    assert_eq!(
        by_name(&c, "http://198.51.100.7/payload.bin")["description"],
        "download URL"
    );
    assert_eq!(
        by_name(&c, "d41d8cd98f00b204e9800998ecf8427e")["description"],
        "empty file md5"
    );
    assert!(!by_name(&c, "2001:db8::1").contains_key("description"));

    // The same IOC from the same publisher has one id in both lists.
    let csv = indicators::convert_csv(&fixture("partner-feed.csv"), "partner-feed").unwrap();
    assert_eq!(
        by_name(&c, "192.0.2.10")["id"],
        by_name(&csv, "192.0.2.10")["id"]
    );
    assert_eq!(
        by_name(&c, "2001:db8::1")["id"],
        by_name(&csv, "2001:db8::1")["id"]
    );
    // convert() tells the layouts apart.
    assert_eq!(
        indicators::convert(&fixture("partner-feed.csv"), "p")
            .unwrap()
            .format,
        "indicator-csv"
    );
    assert_eq!(
        indicators::convert(&fixture("partner-feed.txt"), "p")
            .unwrap()
            .format,
        "indicator-text"
    );
}

#[test]
fn indicator_malformed_values_name_line_and_column() {
    let csv = "ip,comment\n1.2.3.4,ok\n1.2.3,short\n1.2.3.4.5,long\nexample.com,not an ip\n\"300.1.2.3\",big\n";
    let c = indicators::convert_csv(csv, "feed").unwrap();
    let got: Vec<(usize, &str)> = c
        .rejected
        .iter()
        .map(|r| (r.line, r.error.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                3,
                r#"column "ip": "1.2.3" is not an IPv4 address (3 parts, not 4)"#
            ),
            (
                4,
                r#"column "ip": "1.2.3.4.5" is not an IPv4 address (5 parts, not 4)"#
            ),
            (
                5,
                r#"column "ip": "example.com" is a domain name, but column "ip" says "ip" (an IP address or network)"#
            ),
            (
                6,
                r#"column "ip": "300.1.2.3" is not an IPv4 address (octet 300 is over 255)"#
            ),
        ]
    );
    assert_eq!(c.rejected[0].index, 1);

    let text =
        "# list\n\nabcdefabcdefabcdefabcdefabcdefa\nhxxp://\nIndicators\n01.1.1.1\n1.2.3.4:443\n";
    let c = indicators::convert_text(text, "feed").unwrap();
    let lines: Vec<usize> = c.rejected.iter().map(|r| r.line).collect();
    assert_eq!(lines, vec![3, 4, 6, 7]);
    assert!(
        c.rejected[0].error.contains("31 hex characters"),
        "{}",
        c.rejected[0].error
    );
    assert!(c.rejected[1]
        .error
        .starts_with(r#"value: "hxxp://" is not a URL"#));
    assert!(c.rejected[2].error.contains("leading zero"));
    assert_eq!(
        c.warnings,
        vec![r#"1 lines not recognised as indicators were skipped (e.g. line 5: "Indicators")"#]
    );
    assert_eq!(c.objects.len(), 1, "only the identity");

    assert!(indicators::convert_csv("name,comment\nx,y\n", "feed").is_err());
    assert!(indicators::convert_text("1.2.3.4", " ").is_err());
}

#[test]
fn ipv6_canonical_form() {
    assert_eq!(
        indicators::classify("2001:DB8:0:0:0:0:0:1"),
        Some((IndicatorKind::Ipv6, "2001:db8::1".to_owned()))
    );
    let c = indicators::convert_text("2001:DB8:0:0:0:0:0:1\n2001:db8::1\n", "feed").unwrap();
    assert_eq!(ids(&c, "indicator").len(), 1);
    assert_eq!(c.objects[1]["pattern"], "[ipv6-addr:value = '2001:db8::1']");
    assert_eq!(c.warnings, vec!["1 duplicate indicators were kept once"]);
}

#[test]
fn conversions_are_deterministic() {
    let a = kev::convert_json(&fixture("kev.json")).unwrap();
    let b = kev::convert_json(&fixture("kev.json")).unwrap();
    assert_eq!(json_text(&a), json_text(&b));
    let a = kev::convert_csv(&fixture("kev.csv")).unwrap();
    let b = kev::convert_csv(&fixture("kev.csv")).unwrap();
    assert_eq!(json_text(&a), json_text(&b));
    for f in [
        "57c4445b-c548-4654-af0b-4be3950d210f.json",
        "misp_event.json",
        "event_obj_attr_tag.json",
    ] {
        let a = misp_event::convert(&fixture(f)).unwrap();
        let b = misp_event::convert(&fixture(f)).unwrap();
        assert_eq!(json_text(&a), json_text(&b), "{f}");
        assert_eq!(a.warnings, b.warnings);
    }
    let a = indicators::convert_csv(&fixture("partner-feed.csv"), "partner-feed").unwrap();
    let b = indicators::convert_csv(&fixture("partner-feed.csv"), "partner-feed").unwrap();
    assert_eq!(json_text(&a), json_text(&b));
    let a = indicators::convert_text(&fixture("partner-feed.txt"), "partner-feed").unwrap();
    let b = indicators::convert_text(&fixture("partner-feed.txt"), "partner-feed").unwrap();
    assert_eq!(json_text(&a), json_text(&b));
}

#[test]
fn hostile_input_does_not_panic() {
    for s in [
        "", "\u{feff}", "{", "[", "\"", ",,,\n,,,", "\u{0}\u{1}", "[.][.][.]", "hxxp", "é[.]é",
        "http://[", "http://[::1", "a@", "@b.com", "/", "1.2.3.4/", "::/", "ftp://:80",
        "{\"vulnerabilities\": [null, [], {\"cveID\": null}]}",
        "{\"Event\": {\"Attribute\": [null, {\"type\": 5}, {\"type\": \"ip-dst\", \"value\": null}, {\"type\": \"md5\", \"value\": \"x\", \"timestamp\": \"-5\"}]}}",
        "{\"response\": {\"Event\": {\"uuid\": \"x\", \"info\": \"y\", \"date\": \"2020-13-45\"}}}",
    ] {
        let _ = kev::convert(s);
        let _ = misp_event::convert(s);
        let _ = indicators::convert_text(s, "f");
        let _ = indicators::convert_csv(s, "f");
        let _ = indicators::convert_csv(&format!("indicator\n{s}\n"), "f");
        let _ = indicators::classify(s);
        let _ = indicators::refang(s);
    }
}
