//! Every Cisco (except CatOS) and Juniper file under shared/data/netconf parses; files
//! of other vendors are skipped with a reason; nothing panics.

use std::path::{Path, PathBuf};

use stormwatch_audit::{audit_bytes, prepare, Config, Dialect, Rejected, DEFAULT_MAX_BYTES};
use stormwatch_hunt::iocs::IocSet;

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Files known not to be Cisco/Juniper configurations, by where they live or name.
fn other_vendor(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or("");
    rel.ends_with("LICENSE")
        || rel.ends_with(".md")
        || rel.ends_with(".json")
        || rel.ends_with(".iptables")
        || rel.contains("/hosts/")
        || rel.contains("/iptables/")
        || rel.contains("D-Cumulus")
        || rel.contains("/palo_alto/")
        || name.starts_with("arista")
        || name.starts_with("cumulus")
        || name.starts_with("eos_")
        || name.starts_with("f5_")
        || name.starts_with("mos_")
        || name == "palo_alto"
        || rel.ends_with(".catos")
        || rel.ends_with(".f5")
        || rel.ends_with("HP_Procurve.conf")
        || rel.contains("live-with-isp/batfish")
        || rel.contains("D-AristaEOS")
        || rel.ends_with("interface_blacklist")
        // A 42-byte brace-matching test of ciscoconfparse (`if { something } {`), not Junos.
        || rel.ends_with("ciscoconfparse/sample_02.junos")
}

#[test]
fn every_cisco_and_juniper_file_parses() {
    let Some(root) = stormwatch_testkit::shared_data("netconf") else {
        return;
    };
    let set = IocSet::default();
    let mut parsed = 0;
    let mut by_dialect = std::collections::BTreeMap::<&str, usize>::new();
    let mut wrongly_skipped = Vec::new();
    let mut skipped = Vec::new();
    let mut misdetected = Vec::new();
    for f in files(&root) {
        let rel = f
            .strip_prefix(&root)
            .unwrap_or(&f)
            .to_string_lossy()
            .replace('\\', "/");
        let Ok(bytes) = std::fs::read(&f) else {
            continue;
        };
        match audit_bytes(&rel, &bytes, &set, DEFAULT_MAX_BYTES, Default::default()) {
            Ok(a) => {
                parsed += 1;
                let expect: &[&str] = if rel.contains("/juniper/")
                    || rel.ends_with(".junos")
                    || rel.contains("display_set")
                {
                    &["juniper-junos", "juniper-junos-set"]
                } else if rel.contains("/cisco_nxos/") || rel.ends_with(".nxos") {
                    &["cisco-nx-os"]
                } else if rel.contains("/cisco_xr/") || rel.ends_with(".iosxr") {
                    &["cisco-ios-xr"]
                } else if rel.contains("/cisco_asa/") || rel.ends_with(".asa") {
                    &["cisco-asa"]
                } else {
                    &[]
                };
                // Two OSPF snippets of batfish's ASA tests use only IOS syntax (batfish is told
                // the vendor by the folder); reading them as IOS is right.
                let ambiguous = rel.ends_with("cisco_asa/testconfigs/ospf-intervals")
                    || rel.ends_with("cisco_asa/testconfigs/ospf-network-types");
                if !expect.is_empty() && !expect.contains(&a.vendor) && !ambiguous {
                    misdetected.push(format!("{rel}: {}", a.vendor));
                }
                *by_dialect.entry(a.vendor).or_default() += 1;
                assert!(
                    a.findings.iter().all(|x| x.line >= 1),
                    "{rel}: a finding with line 0"
                );
            }
            Err(Rejected::Skip(reason)) | Err(Rejected::Error(reason)) => {
                if !other_vendor(&rel) {
                    wrongly_skipped.push(format!("{rel}: {reason}"));
                }
                skipped.push(format!("{rel}: {reason}"));
            }
        }
    }
    eprintln!(
        "parsed {parsed}: {by_dialect:?}\nskipped {}:",
        skipped.len()
    );
    for s in &skipped {
        eprintln!("  {s}");
    }
    assert!(
        wrongly_skipped.is_empty(),
        "Cisco/Juniper files not parsed:\n{}",
        wrongly_skipped.join("\n")
    );
    assert!(
        misdetected.is_empty(),
        "dialect not recognised:\n{}",
        misdetected.join("\n")
    );
    assert!(parsed >= 1300, "only {parsed} files parsed");
}

#[test]
fn lab_configs_have_hostnames_and_no_warnings() {
    let Some(root) = stormwatch_testkit::shared_data("netconf/batfish-lab-validation") else {
        return;
    };
    let mut n = 0;
    for f in files(&root) {
        let rel = f.to_string_lossy().to_string();
        if other_vendor(&rel) {
            continue;
        }
        let Ok(bytes) = std::fs::read(&f) else {
            continue;
        };
        let p = prepare(&bytes, DEFAULT_MAX_BYTES).unwrap_or_else(|e| panic!("{rel}: {e}"));
        let c = Config::parse(&p.text, p.dialect);
        assert!(
            c.hostname().is_some(),
            "{rel}: no hostname ({:?})",
            p.dialect
        );
        assert!(c.warnings.is_empty(), "{rel}: {:?}", c.warnings);
        if rel.contains("display_set") {
            assert_eq!(p.dialect, Dialect::JunosSet, "{rel}");
        }
        n += 1;
    }
    assert!(n >= 220, "{n}");
}
