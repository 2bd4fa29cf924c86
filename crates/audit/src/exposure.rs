//! CVE exposure: which of the advisory's (and related Salt Typhoon reporting's) CVEs
//! apply to a device, from a configuration's version line, a `show version` capture
//! or an inventory (CSV or JSON with host, vendor, product, version).
//!
//! The vulnerability table is data with its source: fixed releases only where
//! DOMAIN.md section 2 states them (that text is built from the advisory and vendor
//! reports; the IOS XE fixes are marked "reported" there); elsewhere `fixed_in` is
//! unknown rather than guessed. KEV dates come from the caller (the store's KEV
//! vulnerability objects or the KEV catalog file).

use serde::Serialize;
use std::collections::HashMap;

use crate::checks::Hit;
use crate::model::Device;
use crate::parse::{Config, Dialect};
use crate::rules::Severity;

/// A platform family the table knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Platform {
    IosXe,
    Ios,
    NxOs,
    IosXr,
    Asa,
    Junos,
    PanOs,
    IvantiConnectSecure,
    Other,
}

/// One vulnerability entry.
pub struct Vuln {
    pub cve: &'static str,
    pub platforms: &'static [Platform],
    /// Trains with their first fixed release (empty: not known from our sources).
    pub fixed: &'static [&'static str],
    /// Release trains affected (prefixes); empty means "every version of the platform
    /// may be affected; confirm with the vendor".
    pub trains: &'static [&'static str],
    /// The feature that must be on, as words a user recognises.
    pub feature: Option<&'static str>,
    pub source: &'static str,
    pub in_advisory: bool,
}

const SRC_AA: &str =
    "DOMAIN.md section 2 (joint advisory AA25-239A; fixed releases as reported there)";
const SRC_OTHER: &str =
    "DOMAIN.md section 2 (other Salt Typhoon reporting); fixed release not in the shared data";

/// The table. Fixed releases: DOMAIN.md section 2 only.
pub static VULNS: &[Vuln] = &[
    Vuln {
        cve: "CVE-2023-20198",
        platforms: &[Platform::IosXe],
        fixed: &["17.9.4a", "17.6.6a", "17.3.8a", "16.12.10a"],
        trains: &["16.", "17."],
        feature: Some("web UI (ip http server / ip http secure-server)"),
        source: SRC_AA,
        in_advisory: true,
    },
    Vuln {
        cve: "CVE-2023-20273",
        platforms: &[Platform::IosXe],
        fixed: &["17.9.4a", "17.6.6a", "17.3.8a", "16.12.10a"],
        trains: &["16.", "17."],
        feature: Some("web UI (ip http server / ip http secure-server)"),
        source: SRC_AA,
        in_advisory: true,
    },
    Vuln {
        cve: "CVE-2018-0171",
        platforms: &[Platform::Ios, Platform::IosXe],
        fixed: &[],
        trains: &[],
        feature: Some("Smart Install client (vstack, TCP/4786)"),
        source:
            "DOMAIN.md section 2 (joint advisory AA25-239A); fixed releases not in the shared data",
        in_advisory: true,
    },
    Vuln {
        cve: "CVE-2024-3400",
        platforms: &[Platform::PanOs],
        fixed: &["10.2.9-h1", "11.0.4-h1", "11.1.2-h3"],
        trains: &["10.2.", "11.0.", "11.1."],
        feature: Some("GlobalProtect"),
        source: SRC_AA,
        in_advisory: true,
    },
    Vuln {
        cve: "CVE-2024-21887",
        platforms: &[Platform::IvantiConnectSecure],
        fixed: &[],
        trains: &["9.", "22."],
        feature: None,
        source:
            "DOMAIN.md section 2 (joint advisory AA25-239A); fixed releases not in the shared data",
        in_advisory: true,
    },
    Vuln {
        cve: "CVE-2023-46805",
        platforms: &[Platform::IvantiConnectSecure],
        fixed: &[],
        trains: &["9.", "22."],
        feature: None,
        source:
            "DOMAIN.md section 2 (joint advisory AA25-239A); fixed releases not in the shared data",
        in_advisory: true,
    },
    Vuln {
        cve: "CVE-2024-20399",
        platforms: &[Platform::NxOs],
        fixed: &[],
        trains: &[],
        feature: Some("CLI access (authenticated, local)"),
        source: SRC_OTHER,
        in_advisory: false,
    },
];

/// A KEV catalog entry.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Kev {
    pub due_date: Option<String>,
    pub date_added: Option<String>,
}

/// Reads KEV entries (CVE -> dates) from the catalog JSON.
pub fn kev_from_catalog(json: &serde_json::Value) -> HashMap<String, Kev> {
    let mut m = HashMap::new();
    for v in json["vulnerabilities"].as_array().into_iter().flatten() {
        if let Some(c) = v["cveID"].as_str() {
            m.insert(
                c.to_owned(),
                Kev {
                    due_date: v["dueDate"].as_str().map(str::to_owned),
                    date_added: v["dateAdded"].as_str().map(str::to_owned),
                },
            );
        }
    }
    m
}

/// One device of the inventory.
#[derive(Debug, Clone, Serialize)]
pub struct DeviceRecord {
    pub host: Option<String>,
    pub vendor: Option<String>,
    pub product: Option<String>,
    pub version: Option<String>,
    pub source: String,
    /// Line (or CSV row / JSON index) the device came from.
    pub line: u32,
    #[serde(skip)]
    pub platform: Platform,
    /// Whether the version is complete or only a release train (`version 17.3`).
    pub version_is_train: bool,
    /// Feature states known from a configuration (feature text -> on/off).
    #[serde(skip)]
    pub features: Vec<(&'static str, bool)>,
    pub exposures: Vec<Exposure>,
}

/// One CVE that applies.
#[derive(Debug, Clone, Serialize)]
pub struct Exposure {
    pub cve: String,
    pub in_advisory: bool,
    pub kev_due_date: Option<String>,
    pub kev_date_added: Option<String>,
    pub fixed_in: Option<Vec<String>>,
    pub feature: Option<String>,
    /// Known from a configuration: true/false; null when not known.
    pub feature_enabled: Option<bool>,
    /// `affected` (version below the train's fix), `likely` (train without a listed
    /// fix), `possible` (train only, or no version ranges known).
    pub confidence: &'static str,
    pub priority: Severity,
    pub note: String,
    pub source: &'static str,
}

/// Platform from vendor/product/version words.
pub fn platform_of(vendor: &str, product: &str, version: &str) -> Platform {
    let v = vendor.to_ascii_lowercase();
    let p = product.to_ascii_lowercase().replace(['-', '_'], " ");
    let has = |s: &str| p.contains(s);
    if v.contains("palo") || has("pan os") || has("panos") {
        return Platform::PanOs;
    }
    if v.contains("ivanti") || v.contains("pulse") || has("connect secure") || has("policy secure")
    {
        return Platform::IvantiConnectSecure;
    }
    if v.contains("juniper") || has("junos") {
        return Platform::Junos;
    }
    if v.contains("cisco") || has("ios") || has("nx os") || has("nexus") || has("asa") {
        if has("ios xe")
            || has("iosxe")
            || has("catalyst 9")
            || has("isr4")
            || has("asr1")
            || has("csr1000")
        {
            return Platform::IosXe;
        }
        if has("ios xr") || has("iosxr") || has("asr9") || has("ncs") {
            return Platform::IosXr;
        }
        if has("nx os") || has("nxos") || has("nexus") {
            return Platform::NxOs;
        }
        if has("asa") || has("adaptive security") || has("firepower") {
            return Platform::Asa;
        }
        if has("ios") {
            let major: u32 = version
                .split('.')
                .next()
                .and_then(|m| m.trim().parse().ok())
                .unwrap_or(0);
            return if major >= 16 {
                Platform::IosXe
            } else {
                Platform::Ios
            };
        }
    }
    Platform::Other
}

/// A comparable version key: numbers and letters split (`17.03.04a` = 17,3,4,a;
/// `10.2.9-h1` = 10,2,9,h1).
fn vkey(v: &str) -> Vec<(u64, String)> {
    v.split(['.', '-', '(', ')'])
        .filter(|p| !p.is_empty())
        .map(|p| {
            let digits: String = p.chars().take_while(|c| c.is_ascii_digit()).collect();
            let rest: String = p.chars().skip(digits.len()).collect();
            let rest_num: String = rest.chars().filter(|c| c.is_ascii_digit()).collect();
            let rest_alpha: String = rest.chars().filter(|c| !c.is_ascii_digit()).collect();
            let n = digits.parse().unwrap_or(0);
            // `h1` hotfix parts: letters then a number.
            if digits.is_empty() {
                (
                    0,
                    format!("{rest_alpha}{:08}", rest_num.parse::<u64>().unwrap_or(0)),
                )
            } else {
                (n, rest.to_ascii_lowercase())
            }
        })
        .collect()
}

fn train_of(v: &str, parts: usize) -> Vec<u64> {
    vkey(v).iter().take(parts).map(|x| x.0).collect()
}

/// Evaluates the table for one device record.
pub fn assess(d: &mut DeviceRecord, kev: &HashMap<String, Kev>) {
    let Some(version) = d.version.clone() else {
        return;
    };
    for vu in VULNS {
        if !vu.platforms.contains(&d.platform) {
            continue;
        }
        let vn = version.trim();
        let in_train = vu.trains.is_empty()
            || vu.trains.iter().any(|t| {
                let norm: Vec<u64> = train_of(vn, 2);
                let tt: Vec<u64> = t
                    .trim_end_matches('.')
                    .split('.')
                    .filter_map(|x| x.parse().ok())
                    .collect();
                norm.starts_with(&tt)
            });
        if !in_train {
            continue;
        }
        let mut confidence;
        let mut note;
        if vu.fixed.is_empty() {
            confidence = "possible";
            note = if vu.trains.is_empty() {
                "affected releases and fixes are not in the shared data: confirm with the vendor advisory".to_owned()
            } else {
                "in an affected release train; fixed release not in the shared data".to_owned()
            };
        } else {
            let fix = vu.fixed.iter().find(|f| train_of(f, 2) == train_of(vn, 2));
            match fix {
                _ if d.version_is_train => {
                    confidence = "possible";
                    note = "possibly affected, confirm the full version (the configuration states only the release train)".to_owned();
                }
                Some(f) => {
                    if vkey(vn) >= vkey(f) {
                        continue; // fixed
                    }
                    confidence = "affected";
                    note = format!("below the train's fixed release {f}");
                }
                None => {
                    confidence = "likely";
                    note = format!(
                        "no fixed release listed for this train (listed: {})",
                        vu.fixed.join(", ")
                    );
                }
            }
        }
        let feature_enabled = vu
            .feature
            .and_then(|f| d.features.iter().find(|(n, _)| *n == f).map(|(_, on)| *on));
        if feature_enabled == Some(false) {
            note.push_str("; the vulnerable feature is off in the configuration");
        }
        let priority = match (confidence, feature_enabled) {
            (_, Some(false)) => Severity::Low,
            ("affected", Some(true)) => Severity::Critical,
            ("affected", None) | ("likely", Some(true)) | ("possible", Some(true)) => {
                Severity::High
            }
            ("likely", None) => Severity::High,
            _ => Severity::Medium,
        };
        if priority == Severity::Low && confidence == "possible" {
            confidence = "possible";
        }
        let k = kev.get(vu.cve);
        d.exposures.push(Exposure {
            cve: vu.cve.to_owned(),
            in_advisory: vu.in_advisory,
            kev_due_date: k.and_then(|k| k.due_date.clone()),
            kev_date_added: k.and_then(|k| k.date_added.clone()),
            fixed_in: (!vu.fixed.is_empty())
                .then(|| vu.fixed.iter().map(|s| (*s).to_owned()).collect()),
            feature: vu.feature.map(str::to_owned),
            feature_enabled,
            confidence,
            priority,
            note,
            source: vu.source,
        });
    }
    d.exposures
        .sort_by(|a, b| a.priority.cmp(&b.priority).then(a.cve.cmp(&b.cve)));
}

fn platform_of_dialect(d: Dialect) -> Platform {
    match d {
        Dialect::Ios => Platform::Ios,
        Dialect::IosXe => Platform::IosXe,
        Dialect::NxOs => Platform::NxOs,
        Dialect::IosXr => Platform::IosXr,
        Dialect::Asa => Platform::Asa,
        Dialect::JunosCurly | Dialect::JunosSet => Platform::Junos,
    }
}

/// A device record from a parsed configuration (version line + feature states).
pub fn from_config(source: &str, cfg: &Config, dev: &Device) -> DeviceRecord {
    let mut features = Vec::new();
    if cfg.dialect.is_ios() {
        let web = dev
            .services
            .iter()
            .any(|s| s.name == "http" || s.name == "https");
        features.push((VULNS[0].feature.unwrap_or(""), web));
        let vstack_on = dev.services.iter().any(|s| s.name == "smart-install");
        let vstack_off = cfg.stmts().any(|(_, l)| l.text == "no vstack");
        if vstack_on || vstack_off {
            features.push((VULNS[2].feature.unwrap_or(""), vstack_on));
        }
    }
    let (version, line) = dev.version.clone().map_or((None, 1), |(v, l)| (Some(v), l));
    // `version 17.3` (IOS, IOS XE): a train; IOS XR / NX-OS / Junos lines are complete.
    let train = cfg.dialect.is_ios()
        && version
            .as_deref()
            .is_some_and(|v| v.split('.').count() <= 2);
    DeviceRecord {
        host: dev.hostname.clone(),
        vendor: Some(
            if cfg.dialect.is_junos() {
                "Juniper"
            } else {
                "Cisco"
            }
            .into(),
        ),
        product: Some(cfg.dialect.name().to_owned()),
        version,
        source: source.to_owned(),
        line,
        platform: platform_of_dialect(cfg.dialect),
        version_is_train: train,
        features,
        exposures: Vec::new(),
    }
}

/// Audit hits (AUD110) for a configuration whose version and enabled feature match.
pub fn config_hits(cfg: &Config, dev: &Device) -> Vec<Hit> {
    let mut rec = from_config("", cfg, dev);
    assess(&mut rec, &HashMap::new());
    rec.exposures
        .iter()
        .filter(|e| e.feature_enabled == Some(true))
        .map(|e| Hit {
            rule: "AUD110",
            line: rec.line,
            message: format!(
                "{} {}: version {} with {} on ({}){}",
                e.cve,
                e.confidence,
                rec.version.as_deref().unwrap_or("?"),
                e.feature.as_deref().unwrap_or("the feature"),
                e.note,
                e.fixed_in
                    .as_ref()
                    .map(|f| format!("; fixed in {}", f.join(", ")))
                    .unwrap_or_default()
            ),
            severity: Some(if e.confidence == "affected" {
                Severity::Critical
            } else {
                Severity::High
            }),
            technique: None,
        })
        .collect()
}

/// Parses a `show version` capture: platform, version, hostname.
pub fn from_show_version(source: &str, text: &str) -> Option<DeviceRecord> {
    let mut platform = None;
    let mut version = None;
    let mut host = None;
    let mut product = None;
    for (_, l) in crate::parse::lines_of(text) {
        let t = l.trim();
        if let Some(i) = t.find(" uptime is ") {
            host.get_or_insert_with(|| t[..i].trim().to_owned());
        }
        let ver_after = |t: &str, key: &str| -> Option<String> {
            let i = t.find(key)?;
            let v = t[i + key.len()..]
                .trim_start()
                .split([',', ' ', '['])
                .next()?
                .trim();
            (!v.is_empty()).then(|| v.to_owned())
        };
        if t.starts_with("Cisco IOS XE Software") || t.contains("IOS-XE Software") {
            platform = Some(Platform::IosXe);
            product = Some("IOS XE");
            version = ver_after(t, "Version");
        } else if t.starts_with("Cisco IOS XR Software") {
            platform = Some(Platform::IosXr);
            product = Some("IOS XR");
            version = ver_after(t, "Version");
        } else if t.starts_with("Cisco Adaptive Security Appliance Software Version") {
            platform = Some(Platform::Asa);
            product = Some("ASA");
            version = ver_after(t, "Version");
        } else if t.starts_with("Cisco Nexus Operating System") {
            platform = Some(Platform::NxOs);
            product = Some("NX-OS");
        } else if platform == Some(Platform::NxOs)
            && (t.starts_with("NXOS: version") || t.starts_with("system:") && t.contains("version"))
        {
            version.get_or_insert_with(|| ver_after(t, "version").unwrap_or_default());
        } else if (t.starts_with("Cisco IOS Software") || t.starts_with("IOS (tm)"))
            && platform.is_none()
        {
            let v = ver_after(t, "Version");
            let major: u32 = v
                .as_deref()
                .and_then(|v| v.split('.').next())
                .and_then(|m| m.parse().ok())
                .unwrap_or(0);
            platform = Some(if major >= 16 || t.contains("IOS-XE") {
                Platform::IosXe
            } else {
                Platform::Ios
            });
            product = Some(if major >= 16 { "IOS XE" } else { "IOS" });
            version = v;
        } else if let Some(v) = t.strip_prefix("Junos: ").or_else(|| {
            t.strip_prefix("JUNOS Software Release [")
                .map(|x| x.trim_end_matches(']'))
        }) {
            platform = Some(Platform::Junos);
            product = Some("Junos");
            version = Some(v.trim().to_owned());
        } else if let Some(v) = t.strip_prefix("sw-version: ") {
            platform = Some(Platform::PanOs);
            product = Some("PAN-OS");
            version = Some(v.trim().to_owned());
        } else if let Some(h) = t
            .strip_prefix("Hostname: ")
            .or_else(|| t.strip_prefix("hostname: "))
        {
            host.get_or_insert_with(|| h.trim().to_owned());
        }
    }
    let platform = platform?;
    Some(DeviceRecord {
        host,
        vendor: Some(
            match platform {
                Platform::Junos => "Juniper",
                Platform::PanOs => "Palo Alto Networks",
                _ => "Cisco",
            }
            .into(),
        ),
        product: product.map(str::to_owned),
        version,
        source: source.to_owned(),
        line: 1,
        platform,
        version_is_train: false,
        features: Vec::new(),
        exposures: Vec::new(),
    })
}

/// Inventory rows from CSV (header naming host, vendor, product, version; any order,
/// case-insensitive) or JSON (an array of objects, or `{"devices": [...]}`).
pub fn from_inventory(source: &str, text: &str) -> Result<Vec<DeviceRecord>, String> {
    let t = text.trim_start();
    let rec = |host: Option<String>,
               vendor: Option<String>,
               product: Option<String>,
               version: Option<String>,
               line: u32| {
        let platform = platform_of(
            vendor.as_deref().unwrap_or(""),
            product.as_deref().unwrap_or(""),
            version.as_deref().unwrap_or(""),
        );
        DeviceRecord {
            host,
            vendor,
            product,
            version,
            source: source.to_owned(),
            line,
            platform,
            version_is_train: false,
            features: Vec::new(),
            exposures: Vec::new(),
        }
    };
    if t.starts_with('[') || t.starts_with('{') {
        let v: serde_json::Value = serde_json::from_str(t).map_err(|e| {
            format!(
                "invalid JSON at line {} column {}: {e}",
                e.line(),
                e.column()
            )
        })?;
        let arr = if v.is_array() {
            v.as_array()
        } else {
            v["devices"].as_array()
        };
        let Some(arr) = arr else {
            return Err(
                "JSON inventory must be an array of devices or {\"devices\": [...]}".into(),
            );
        };
        let s = |o: &serde_json::Value, k: &str| -> Option<String> {
            o.get(k).and_then(|x| match x {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
        };
        return Ok(arr
            .iter()
            .enumerate()
            .map(|(i, o)| {
                rec(
                    s(o, "host").or_else(|| s(o, "hostname")),
                    s(o, "vendor"),
                    s(o, "product").or_else(|| s(o, "platform")),
                    s(o, "version"),
                    i as u32,
                )
            })
            .collect());
    }
    let mut r = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(t.as_bytes());
    let headers = r.headers().map_err(|e| format!("CSV header: {e}"))?.clone();
    let col = |names: &[&str]| {
        headers
            .iter()
            .position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)))
    };
    let (hc, vc, pc, verc) = (
        col(&["host", "hostname", "name"]),
        col(&["vendor"]),
        col(&["product", "platform", "model", "os"]),
        col(&["version", "os_version", "software"]),
    );
    if verc.is_none() || (vc.is_none() && pc.is_none()) {
        return Err(format!(
            "CSV inventory needs columns host, vendor, product, version (found: {})",
            headers.iter().collect::<Vec<_>>().join(", ")
        ));
    }
    let mut out = Vec::new();
    for (i, row) in r.records().enumerate() {
        let row = row.map_err(|e| format!("CSV row {}: {e}", i + 2))?;
        let g = |c: Option<usize>| {
            c.and_then(|c| row.get(c))
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
        };
        out.push(rec(g(hc), g(vc), g(pc), g(verc), (i + 2) as u32));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dev(platform: Platform, v: &str) -> DeviceRecord {
        DeviceRecord {
            host: None,
            vendor: None,
            product: None,
            version: Some(v.into()),
            source: String::new(),
            line: 1,
            platform,
            version_is_train: false,
            features: vec![],
            exposures: vec![],
        }
    }

    #[test]
    fn ios_xe_versions() {
        let mut d = dev(Platform::IosXe, "17.03.04a");
        assess(&mut d, &HashMap::new());
        assert!(d
            .exposures
            .iter()
            .any(|e| e.cve == "CVE-2023-20198" && e.confidence == "affected"));
        let mut d = dev(Platform::IosXe, "17.9.4a");
        assess(&mut d, &HashMap::new());
        assert!(!d.exposures.iter().any(|e| e.cve == "CVE-2023-20198"));
        let mut d = dev(Platform::IosXe, "17.3");
        d.version_is_train = true;
        d.features.push((VULNS[0].feature.unwrap_or(""), true));
        assess(&mut d, &HashMap::new());
        let e = d
            .exposures
            .iter()
            .find(|e| e.cve == "CVE-2023-20198")
            .map(|e| (e.confidence, e.priority));
        assert_eq!(e, Some(("possible", Severity::High)));
    }

    #[test]
    fn pan_os_hotfix() {
        let mut d = dev(Platform::PanOs, "10.2.9-h1");
        assess(&mut d, &HashMap::new());
        assert!(d.exposures.is_empty());
        let mut d = dev(Platform::PanOs, "10.2.7-h8");
        assess(&mut d, &HashMap::new());
        assert_eq!(d.exposures.len(), 1);
        let mut d = dev(Platform::PanOs, "9.1.0");
        assess(&mut d, &HashMap::new());
        assert!(d.exposures.is_empty());
    }

    #[test]
    fn show_version() {
        let t = "Cisco IOS XE Software, Version 17.06.05\nrouter1 uptime is 3 weeks\n";
        let d = from_show_version("f", t).map(|d| (d.platform, d.version, d.host));
        assert_eq!(
            d,
            Some((
                Platform::IosXe,
                Some("17.06.05".into()),
                Some("router1".into())
            ))
        );
    }
}
