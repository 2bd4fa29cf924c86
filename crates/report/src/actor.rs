//! Rendering of `actor show`, `actor why` and `actor list`.

use serde::Serialize;
use std::io::{self, Write};

use crate::{clean, write_csv, write_json, write_jsonl, Format, Table};
use stormwatch_attribution::actors::{ClusterMember, Link, Why};
use stormwatch_attribution::profile::{Item, Profile};

/// The `actor show` document (docs/CLI.md).
#[derive(Debug, Serialize)]
pub struct ActorShow {
    pub query: String,
    pub resolved: Resolved,
    pub taxonomy: Option<serde_json::Value>,
    pub stated_origin: Vec<StatedOrigin>,
    pub cluster: Vec<ClusterMember>,
    pub links: Vec<Link>,
    pub profile: Profile,
    pub options: ShownOptions,
}

#[derive(Debug, Serialize)]
pub struct Resolved {
    pub id: Option<String>,
    pub name: String,
}

/// An origin or motivation a source states for a cluster member.
#[derive(Debug, Serialize)]
pub struct StatedOrigin {
    pub name: String,
    pub origin: String,
    pub source: String,
}

#[derive(Debug, Serialize)]
pub struct ShownOptions {
    pub min_confidence: u8,
    pub include_disputed: bool,
}

/// CSV columns of a link row ([`link_row`]).
const LINK_COLUMNS: &[&str] = &[
    "followed",
    "claim",
    "source",
    "date",
    "confidence",
    "disputed",
];

fn link_row(l: &Link) -> Vec<String> {
    vec![
        if l.followed {
            "yes".into()
        } else {
            "no".into()
        },
        format!("{} {} {}", clean(&l.from), l.kind, clean(&l.to)),
        l.source.clone().unwrap_or_else(|| "?".into()),
        l.date.clone().unwrap_or_else(|| "unknown".into()),
        format!(
            "{}{}",
            l.confidence,
            l.admiralty
                .as_ref()
                .map(|a| format!(" ({a})"))
                .unwrap_or_default()
        ),
        if l.disputed {
            format!("DISPUTED by {}", l.disputed_by.join("; "))
        } else {
            String::new()
        },
    ]
}

fn items(out: &mut dyn Write, title: &str, list: &[Item]) -> io::Result<()> {
    if list.is_empty() {
        return Ok(());
    }
    writeln!(out, "\n{title} ({}):", list.len())?;
    let mut t = Table::new(&["", "", ""]);
    for i in list {
        t.row(vec![
            format!("  {}", i.external_id.as_deref().unwrap_or("")),
            clean(i.name.as_deref().unwrap_or(&i.id)),
            format!("[{}]", i.sources.join(", ")),
        ]);
    }
    t.write_rows(out)
}

/// Renders `actor show`.
pub fn show(out: &mut dyn Write, fmt: Format, a: &ActorShow) -> io::Result<()> {
    match fmt {
        Format::Json => write_json(out, a),
        Format::Navigator | Format::Sarif | Format::Md | Format::Html | Format::Svg => {
            write_json(out, &navigator_layer(a))
        }
        Format::Jsonl => write_jsonl(out, &a.links),
        Format::Csv => write_csv(
            out,
            LINK_COLUMNS,
            &a.links.iter().map(link_row).collect::<Vec<_>>(),
        ),
        Format::Text => {
            writeln!(
                out,
                "{}{}",
                clean(&a.resolved.name),
                a.resolved
                    .id
                    .as_ref()
                    .map(|i| format!("  ({i})"))
                    .unwrap_or_default()
            )?;
            if let Some(t) = &a.taxonomy {
                let g = |k: &str| t.get(k).and_then(|v| v.as_str()).unwrap_or("?").to_owned();
                writeln!(
                    out,
                    "  Microsoft taxonomy ({}): family {} = {} ({}), table {}",
                    g("name"),
                    g("family"),
                    g("meaning"),
                    g("kind"),
                    g("table_version")
                )?;
                for k in ["conflicts", "differences"] {
                    for c in t.get(k).and_then(|v| v.as_array()).into_iter().flatten() {
                        writeln!(out, "    ! {}", clean(c.as_str().unwrap_or("")))?;
                    }
                }
            }
            for o in &a.stated_origin {
                writeln!(
                    out,
                    "  stated origin: {} (for {}, says {})",
                    clean(&o.origin),
                    clean(&o.name),
                    o.source
                )?;
            }
            let followed: Vec<&ClusterMember> = a.cluster.iter().filter(|m| m.followed).collect();
            writeln!(
                out,
                "\nCluster at confidence >= {}{} ({} names):",
                a.options.min_confidence,
                if a.options.include_disputed {
                    ", disputed links included"
                } else {
                    ""
                },
                followed.len()
            )?;
            let mut t = Table::new(&["", "", ""]);
            for m in &a.cluster {
                let vendor = match (&m.vendor, m.vendor_basis) {
                    (Some(v), Some("naming-scheme")) => format!("{v} (by naming scheme)"),
                    (Some(v), _) => v.clone(),
                    (None, _) => "vendor unknown".into(),
                };
                t.row(vec![
                    format!("  {}", clean(&m.name)),
                    vendor,
                    if m.followed {
                        String::new()
                    } else {
                        "not followed".into()
                    },
                ]);
            }
            t.write_rows(out)?;
            writeln!(out, "\nWho says so ({} links):", a.links.len())?;
            let mut t = Table::new(&[
                "FOLLOWED",
                "CLAIM",
                "SOURCE",
                "DATE",
                "CONFIDENCE",
                "DISPUTE",
            ]);
            for l in &a.links {
                t.row(link_row(l));
            }
            t.write(out)?;
            let p = &a.profile;
            items(out, "Techniques", &p.techniques)?;
            items(out, "Software", &p.software)?;
            items(out, "CVEs", &p.cves)?;
            items(out, "Targeted sectors", &p.sectors)?;
            items(out, "Targeted countries", &p.countries)?;
            items(out, "Affiliated organisations", &p.organisations)?;
            if !p.claims.is_empty() {
                writeln!(out, "\nAttribution claims ({}):", p.claims.len())?;
                for c in &p.claims {
                    writeln!(
                        out,
                        "  {} {} {} — {}, {}, {}{}",
                        clean(c.subject.as_deref().unwrap_or("?")),
                        c.kind,
                        clean(c.object.as_deref().unwrap_or("?")),
                        c.source.as_deref().unwrap_or("?"),
                        c.date.as_deref().unwrap_or("date unknown"),
                        c.admiralty.as_deref().unwrap_or("ungraded"),
                        c.note
                            .as_ref()
                            .map(|n| format!("; {}", clean(n)))
                            .unwrap_or_default()
                    )?;
                }
            }
            Ok(())
        }
    }
}

/// An ATT&CK Navigator layer (layer format 4.5) of the cluster's techniques; each
/// technique's comment names the sources that state its use.
pub fn navigator_layer(a: &ActorShow) -> serde_json::Value {
    let members: Vec<&str> = a
        .cluster
        .iter()
        .filter(|m| m.followed)
        .map(|m| m.name.as_str())
        .collect();
    let techniques: Vec<serde_json::Value> = a
        .profile
        .techniques
        .iter()
        .filter_map(|t| {
            let id = t.external_id.as_deref()?;
            Some(serde_json::json!({
                "techniqueID": id,
                "score": t.sources.len(),
                "color": "",
                "comment": format!("{} — stated by {}", t.name.as_deref().unwrap_or(""), t.sources.join(", ")),
                "enabled": true,
                "showSubtechniques": true,
            }))
        })
        .collect();
    let max = a
        .profile
        .techniques
        .iter()
        .map(|t| t.sources.len())
        .max()
        .unwrap_or(1)
        .max(1);
    serde_json::json!({
        "name": format!("{} (Stormwatch)", a.resolved.name),
        "versions": {"attack": "18", "navigator": "5.1.0", "layer": "4.5"},
        "domain": "enterprise-attack",
        "description": format!(
            "Techniques of the cluster {} at confidence >= {}{}: {}. Score = number of sources stating the technique.",
            a.resolved.name, a.options.min_confidence,
            if a.options.include_disputed { " (disputed links included)" } else { "" },
            members.join(", ")
        ),
        "sorting": 3,
        "layout": {"layout": "side", "showID": true, "showName": true},
        "hideDisabled": false,
        "techniques": techniques,
        "gradient": {"colors": ["#ffe766", "#ff6666"], "minValue": 0, "maxValue": max},
        "legendItems": [],
        "metadata": [{"name": "generated_by", "value": "stormwatch actor show --format navigator"}],
        "showTacticRowBackground": false,
        "selectTechniquesAcrossTactics": true,
    })
}

/// Renders `actor why`.
pub fn why(out: &mut dyn Write, fmt: Format, a: &str, b: &str, w: &Why) -> io::Result<()> {
    match fmt {
        Format::Json
        | Format::Navigator
        | Format::Sarif
        | Format::Md
        | Format::Html
        | Format::Svg => write_json(out, w),
        Format::Jsonl => write_jsonl(out, w.paths.iter().flatten().chain(&w.blocked)),
        Format::Csv => write_csv(
            out,
            LINK_COLUMNS,
            &w.paths
                .iter()
                .flatten()
                .chain(&w.blocked)
                .map(link_row)
                .collect::<Vec<_>>(),
        ),
        Format::Text => {
            if w.connected {
                writeln!(
                    out,
                    "{} and {} are connected by these claims:",
                    clean(a),
                    clean(b)
                )?;
                for l in w.paths.iter().flatten() {
                    writeln!(
                        out,
                        "  {} {} {} — {}, {}, confidence {}{}",
                        clean(&l.from),
                        l.kind,
                        clean(&l.to),
                        l.source.as_deref().unwrap_or("?"),
                        l.date.as_deref().unwrap_or("date unknown"),
                        l.confidence,
                        l.admiralty
                            .as_ref()
                            .map(|x| format!(" ({x})"))
                            .unwrap_or_default()
                    )?;
                }
            } else if w.blocked.is_empty() {
                writeln!(out, "No claims connect {} and {}.", clean(a), clean(b))?;
            } else {
                writeln!(out, "{} and {} are NOT connected by followed links; these claims would connect or separate them:", clean(a), clean(b))?;
                for l in &w.blocked {
                    writeln!(
                        out,
                        "  {} {} {} — {}, {}, confidence {}: {}",
                        clean(&l.from),
                        l.kind,
                        clean(&l.to),
                        l.source.as_deref().unwrap_or("?"),
                        l.date.as_deref().unwrap_or("date unknown"),
                        l.confidence,
                        l.blocked_because.as_deref().unwrap_or("")
                    )?;
                }
                writeln!(out, "(use --include-disputed to follow disputed links)")?;
            }
            Ok(())
        }
    }
}
