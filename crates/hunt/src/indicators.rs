//! From STIX indicators to the indicator set: each pattern parsed and compiled; what a
//! sweep cannot decide is reported with the reason, never silently dropped.

use serde::Serialize;
use serde_json::Value;

use crate::iocs::{Ioc, IocSet, Label, Source};
use crate::pattern::{self, TermKind};
use crate::scan::canonical_url;
use stormwatch_model::Timestamp;

/// An indicator to sweep for.
#[derive(Debug, Clone)]
pub struct IndicatorDef {
    pub id: String,
    pub pattern: String,
    pub pattern_type: String,
    pub valid_from: Option<i64>,
    pub valid_until: Option<i64>,
}

impl IndicatorDef {
    /// Reads a STIX indicator object; `None` for other objects.
    pub fn from_stix(v: &Value) -> Option<IndicatorDef> {
        if v.get("type").and_then(Value::as_str) != Some("indicator") {
            return None;
        }
        let s = |k: &str| v.get(k).and_then(Value::as_str);
        let t = |k: &str| {
            s(k).and_then(|x| Timestamp::parse(x).ok())
                .map(|t| t.unix_seconds())
        };
        Some(IndicatorDef {
            id: s("id")?.to_owned(),
            pattern: s("pattern")?.to_owned(),
            pattern_type: s("pattern_type").unwrap_or("stix").to_owned(),
            valid_from: t("valid_from"),
            valid_until: t("valid_until"),
        })
    }
}

/// A comparison the sweep cannot decide.
#[derive(Debug, Clone, Serialize)]
pub struct Unsweepable {
    pub indicator: String,
    pub atom: String,
    pub reason: String,
}

/// The compiled set and what was left out.
#[derive(Debug, Default)]
pub struct Built {
    pub set: IocSet,
    /// Indicators with at least one sweepable value.
    pub swept: usize,
    pub unsweepable: Vec<Unsweepable>,
}

/// The indicator-set value of a compiled term.
pub fn ioc_of(kind: &TermKind) -> Ioc {
    match kind {
        TermKind::Ipv4(a) => Ioc::Ipv4(*a),
        TermKind::Ipv4Net { addr, prefix } => Ioc::Ipv4Net {
            addr: *addr,
            prefix: *prefix,
        },
        TermKind::Ipv6(a) => Ioc::Ipv6(*a),
        TermKind::Ipv6Net { addr, prefix } => Ioc::Ipv6Net {
            addr: *addr,
            prefix: *prefix,
        },
        TermKind::Domain { name, subdomains } => Ioc::Domain {
            name: name.to_ascii_lowercase(),
            subdomains: *subdomains,
        },
        TermKind::Url(u) => Ioc::Url(canonical_url(u)),
        TermKind::Email(e) => Ioc::Email(e.to_ascii_lowercase()),
        TermKind::Md5(h) => Ioc::Hash(h.to_vec()),
        TermKind::Sha1(h) => Ioc::Hash(h.to_vec()),
        TermKind::Sha256(h) => Ioc::Hash(h.to_vec()),
        TermKind::Sha512(h) => Ioc::Hash(h.to_vec()),
    }
}

/// Compiles indicators into one set.
pub fn build(defs: &[IndicatorDef]) -> Built {
    let mut b = Built::default();
    for d in defs {
        if d.pattern_type != "stix" {
            b.unsweepable.push(Unsweepable {
                indicator: d.id.clone(),
                atom: d.pattern.clone(),
                reason: format!(
                    "pattern_type {:?} is not swept (only STIX patterns are)",
                    d.pattern_type
                ),
            });
            continue;
        }
        let p = match pattern::parse(&d.pattern) {
            Ok(p) => p,
            Err(e) => {
                b.unsweepable.push(Unsweepable {
                    indicator: d.id.clone(),
                    atom: d.pattern.clone(),
                    reason: format!("invalid pattern: {e}"),
                });
                continue;
            }
        };
        let sweep = pattern::compile(&p);
        for u in sweep.unsweepable {
            b.unsweepable.push(Unsweepable {
                indicator: d.id.clone(),
                atom: u.atom,
                reason: u.reason,
            });
        }
        if !sweep.terms.is_empty() {
            b.swept += 1;
        }
        for t in sweep.terms {
            let ioc = ioc_of(&t.kind);
            let source = Source {
                label: Label::Stix {
                    indicator: d.id.clone(),
                    atom: t.atom,
                },
                value: ioc.canonical(),
                whole: sweep.whole,
                valid_from: d.valid_from,
                valid_until: d.valid_until,
            };
            b.set.add(ioc, source);
        }
    }
    b
}
