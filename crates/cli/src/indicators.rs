//! Which indicators a command sweeps for (docs/CLI.md, `intel init`): the store's,
//! plus every `--iocs FILE` (STIX bundles, MISP events, Zeek intel files, CSV and text
//! lists, defanged values too); when that set is empty, the built-in pack's AA25-239A
//! indicators. Shared by `hunt`, `audit` and `detect`.

use anyhow::{Context, Result};
use serde_json::Value;
use std::path::{Path, PathBuf};

use crate::global::Global;
use stormwatch_hunt::indicators::{Built, IndicatorDef};
use stormwatch_hunt::iocs::{Ioc, IocSet, Label, PlainList, Source};
use stormwatch_intel::formats::indicators::IndicatorKind;

pub use stormwatch_hunt::document::IndicatorInfo;

/// The compiled indicator set and a description of its origin.
pub struct Loaded {
    pub built: Built,
    pub info: IndicatorInfo,
}

/// The store's live indicators, as definitions.
pub fn stored_defs(store: &dyn stormwatch_store::Store) -> Result<Vec<IndicatorDef>> {
    let mut defs = Vec::new();
    for o in store.objects_of_type(&["indicator"])? {
        if !o.revoked {
            if let Some(d) = IndicatorDef::from_stix(&o.value()?) {
                defs.push(d);
            }
        }
    }
    Ok(defs)
}

/// Loads the indicators for a command: store + `--iocs`, else the pack.
pub fn load(g: &Global, iocs: &[PathBuf]) -> Result<Loaded> {
    let store = g.open_store()?;
    let stored = stored_defs(store.as_ref())?;
    drop(store);
    let mut extra: Vec<IndicatorDef> = Vec::new();
    let mut plain = stormwatch_hunt::document::PlainValues::default();
    for f in iocs {
        match defs_from_file(f, plain.lists.len() as u32)? {
            FromFile::Defs(d) => extra.extend(d),
            FromFile::Values(publisher, v) => {
                plain.lists.push(PlainList {
                    publisher,
                    name: plain_names,
                });
                if plain.values.is_empty() {
                    plain.values = v;
                } else {
                    plain.values.extend(v);
                }
            }
        }
    }
    let sel = stormwatch_hunt::document::select(
        stored,
        extra,
        plain,
        stormwatch_intel::pack::ADVISORY_STIX,
    );
    if sel.used_pack {
        g.note("note: no indicators in the store or --iocs; using the built-in pack's AA25-239A indicators");
    }
    let built = sel.built;
    if !built.unsweepable.is_empty() {
        g.note(&format!(
            "note: {} comparisons cannot be swept (e.g. {}: {}); `--format json` lists them all",
            built.unsweepable.len(),
            built.unsweepable[0].atom,
            built.unsweepable[0].reason
        ));
    }
    Ok(Loaded {
        built,
        info: sel.info,
    })
}

/// Adds `--allow` files (one value per line, `#` comments) to the set's allow list.
pub fn add_allow_lists(set: &mut IocSet, files: &[PathBuf]) -> Result<()> {
    for f in files {
        let text =
            std::fs::read_to_string(f).with_context(|| format!("--allow {}", f.display()))?;
        for (n, line) in text.lines().enumerate() {
            let v = line.split('#').next().unwrap_or("").trim();
            if v.is_empty() {
                continue;
            }
            let ioc = allow_value(v).with_context(|| format!("--allow {} line {}: {v:?} is not an address, network, domain, URL, e-mail or hash", f.display(), n + 1))?;
            set.allow(ioc);
        }
    }
    Ok(())
}

/// What an --iocs file gives: indicator objects, or (for plain lists, which can hold
/// millions of values) values added straight to the set.
enum FromFile {
    Defs(Vec<IndicatorDef>),
    /// The list's publisher (the file stem) and its values.
    Values(String, Vec<(Ioc, Source)>),
}

/// The kinds of plain-list values, by the code their labels carry.
const KINDS: [IndicatorKind; 11] = [
    IndicatorKind::Ipv4,
    IndicatorKind::Ipv6,
    IndicatorKind::Ipv4Cidr,
    IndicatorKind::Ipv6Cidr,
    IndicatorKind::Domain,
    IndicatorKind::Url,
    IndicatorKind::Email,
    IndicatorKind::Md5,
    IndicatorKind::Sha1,
    IndicatorKind::Sha256,
    IndicatorKind::Sha512,
];

/// A plain-list value's natural key and pattern (its [`PlainList::name`]): the
/// ones `stormwatch import` gives the same value, so hunt and import agree on ids.
fn plain_names(kind: u8, value: &str) -> (String, String) {
    match KINDS.get(usize::from(kind)) {
        Some(k) => (format!("{}:{value}", k.name()), k.pattern(value)),
        None => (value.to_owned(), value.to_owned()),
    }
}

/// A plain one-value-per-line list, read without building STIX objects. Ids are the
/// ones `stormwatch import` gives the same list (publisher = file stem).
fn plain_list(text: &str, list: u32, display: &str) -> Result<Vec<(Ioc, Source)>> {
    use rayon::prelude::*;
    let lines: Vec<(usize, &str)> = text.lines().enumerate().collect();
    // Classifying and deriving ids dominates for big lists: spread it over the cores.
    let parsed: Vec<Result<Option<(Ioc, Source)>>> = lines
        .par_iter()
        .map(|&(n, line)| plain_value(n, line, list, display))
        .collect();
    parsed.into_iter().filter_map(Result::transpose).collect()
}

/// One line of a plain list: `None` for blank lines and comments.
fn plain_value(n: usize, line: &str, list: u32, display: &str) -> Result<Option<(Ioc, Source)>> {
    use stormwatch_intel::formats::indicators::{classify, refang};
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let first = line.split([' ', '\t', ',']).next().unwrap_or("");
    let Some((kind, value)) = classify(&refang(first)) else {
        anyhow::bail!("--iocs {display} line {}: {first:?} is not an address, network, domain, URL, e-mail or hash", n + 1);
    };
    let ioc = match kind {
        IndicatorKind::Ipv4 => value
            .parse::<std::net::Ipv4Addr>()
            .ok()
            .map(|a| Ioc::Ipv4(u32::from(a))),
        IndicatorKind::Ipv6 => value
            .parse::<std::net::Ipv6Addr>()
            .ok()
            .map(|a| Ioc::Ipv6(u128::from(a))),
        IndicatorKind::Ipv4Cidr | IndicatorKind::Ipv6Cidr => allow_value(&value),
        IndicatorKind::Domain => Some(Ioc::Domain {
            name: value.clone(),
            subdomains: false,
        }),
        IndicatorKind::Url => Some(Ioc::Url(stormwatch_hunt::scan::canonical_url(&value))),
        IndicatorKind::Email => Some(Ioc::Email(value.to_ascii_lowercase())),
        _ => allow_value(&value),
    };
    let Some(ioc) = ioc else {
        anyhow::bail!(
            "--iocs {display} line {}: {first:?} could not be read",
            n + 1
        );
    };
    // std's IPv4 parser takes only the canonical spelling (no leading zeros), so
    // the text is already canonical: no need to format the address again.
    let canonical = match ioc {
        Ioc::Ipv4(_) => value.clone(),
        _ => ioc.canonical(),
    };
    let code = KINDS.iter().position(|k| *k == kind).unwrap_or(usize::MAX);
    let source = Source {
        label: Label::Plain {
            list,
            kind: u8::try_from(code).unwrap_or(u8::MAX),
            raw: (value != canonical).then(|| value.into_boxed_str()),
        },
        value: canonical,
        whole: true,
        valid_from: None,
        valid_until: None,
    };
    Ok(Some((ioc, source)))
}

/// Indicators from a file given with --iocs.
fn defs_from_file(path: &Path, list: u32) -> Result<FromFile> {
    let input = stormwatch_intel::read_input(path, None)
        .with_context(|| format!("--iocs {}", path.display()))?;
    let text = std::str::from_utf8(&input.bytes)
        .with_context(|| format!("--iocs {}: not UTF-8", path.display()))?;
    if let Some(defs) = zeek_intel(text) {
        return Ok(FromFile::Defs(defs));
    }
    let display = path.display().to_string();
    let d = stormwatch_intel::detect::detect(text);
    if d == stormwatch_intel::detect::Detected::IndicatorList {
        let first = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'))
            .unwrap_or("");
        if !stormwatch_intel::formats::indicators::looks_like_indicator_csv(first) {
            let stem = path
                .file_stem()
                .map_or_else(|| "stdin".to_owned(), |s| s.to_string_lossy().into_owned());
            return Ok(FromFile::Values(stem, plain_list(text, list, &display)?));
        }
    }
    let objects: Vec<Value> = if d == stormwatch_intel::detect::Detected::Stix {
        let b = stormwatch_model::parse_bundle(text, Default::default())
            .with_context(|| format!("--iocs {display}"))?;
        b.objects
            .iter()
            .filter_map(|c| serde_json::from_str(&c.object.text).ok())
            .collect()
    } else {
        let c = stormwatch_intel::detect::convert(d, text, &display, &Default::default())
            .map_err(|e| anyhow::anyhow!("--iocs {display}: {e}"))?;
        if !c.rejected.is_empty() {
            let r = &c.rejected[0];
            anyhow::bail!(
                "--iocs {display}: {} records could not be read, e.g. line {}: {}",
                c.rejected.len(),
                r.line,
                r.error
            );
        }
        c.objects.into_iter().map(Value::Object).collect()
    };
    Ok(FromFile::Defs(
        objects.iter().filter_map(IndicatorDef::from_stix).collect(),
    ))
}

/// Zeek intel framework files: `#fields indicator indicator_type meta.source ...`.
fn zeek_intel(text: &str) -> Option<Vec<IndicatorDef>> {
    let header = text.lines().find(|l| l.starts_with("#fields"))?;
    let cols: Vec<&str> = header.split('\t').skip(1).collect();
    let vi = cols.iter().position(|c| *c == "indicator")?;
    let ti = cols.iter().position(|c| *c == "indicator_type")?;
    let mut out = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let f: Vec<&str> = line.split('\t').collect();
        let (Some(v), Some(t)) = (f.get(vi), f.get(ti)) else {
            continue;
        };
        let v = v.replace('\'', "\\'");
        let pattern = match *t {
            "Intel::ADDR" if v.contains(':') => format!("[ipv6-addr:value = '{v}']"),
            "Intel::ADDR" => format!("[ipv4-addr:value = '{v}']"),
            "Intel::SUBNET" if v.contains(':') => format!("[ipv6-addr:value ISSUBSET '{v}']"),
            "Intel::SUBNET" => format!("[ipv4-addr:value ISSUBSET '{v}']"),
            "Intel::DOMAIN" => format!("[domain-name:value = '{v}']"),
            "Intel::URL" => format!(
                "[url:value = '{}']",
                if v.contains("://") {
                    v.clone()
                } else {
                    format!("http://{v}")
                }
            ),
            "Intel::EMAIL" => format!("[email-addr:value = '{v}']"),
            "Intel::FILE_HASH" => {
                let k = match v.len() {
                    32 => "MD5",
                    40 => "'SHA-1'",
                    64 => "'SHA-256'",
                    128 => "'SHA-512'",
                    _ => continue,
                };
                format!("[file:hashes.{k} = '{v}']")
            }
            _ => continue,
        };
        out.push(IndicatorDef {
            id: stormwatch_model::deterministic_id("zeek-intel", "indicator", &format!("{t}|{v}")),
            pattern,
            pattern_type: "stix".into(),
            valid_from: None,
            valid_until: None,
        });
    }
    Some(out)
}

/// An allow-list value: address, network, domain (`*.example.com` for subdomains),
/// URL, e-mail or hash; defanged spellings are refanged.
pub fn allow_value(v: &str) -> Option<stormwatch_hunt::iocs::Ioc> {
    use stormwatch_hunt::iocs::Ioc;
    let v = stormwatch_intel::formats::indicators::refang(v);
    if let Some((a, p)) = v.split_once('/') {
        if let (Ok(a), Ok(p)) = (a.parse::<std::net::IpAddr>(), p.parse::<u8>()) {
            return Some(match a {
                std::net::IpAddr::V4(x) => Ioc::Ipv4Net {
                    addr: u32::from(x),
                    prefix: p.min(32),
                },
                std::net::IpAddr::V6(x) => Ioc::Ipv6Net {
                    addr: u128::from(x),
                    prefix: p.min(128),
                },
            });
        }
    }
    if let Some(d) = v.strip_prefix("*.") {
        return Some(Ioc::Domain {
            name: d.to_ascii_lowercase(),
            subdomains: true,
        });
    }
    match v.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(x)) => return Some(Ioc::Ipv4(u32::from(x))),
        Ok(std::net::IpAddr::V6(x)) => return Some(Ioc::Ipv6(u128::from(x))),
        Err(_) => {}
    }
    if v.contains("://") {
        return Some(Ioc::Url(stormwatch_hunt::scan::canonical_url(&v)));
    }
    if v.contains('@') {
        return Some(Ioc::Email(v.to_ascii_lowercase()));
    }
    if v.len().is_multiple_of(2)
        && matches!(v.len(), 32 | 40 | 64 | 128)
        && v.bytes().all(|b| b.is_ascii_hexdigit())
    {
        let bytes = (0..v.len())
            .step_by(2)
            .filter_map(|i| u8::from_str_radix(&v[i..i + 2], 16).ok())
            .collect();
        return Some(Ioc::Hash(bytes));
    }
    if v.contains('.')
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
    {
        return Some(Ioc::Domain {
            name: v.trim_end_matches('.').to_ascii_lowercase(),
            subdomains: false,
        });
    }
    None
}
