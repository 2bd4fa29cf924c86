//! `stormwatch actor`: who is this, and what do the others call them?

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

use crate::global::{self, Exit, Global};
use stormwatch_attribution::actors::{ActorGraph, Options};
use stormwatch_attribution::profile;
use stormwatch_model::claim::{is_partial_date, Admiralty, ClaimKind, ClaimSpec};
use stormwatch_model::Timestamp;
use stormwatch_report::actor::{ActorShow, Resolved, ShownOptions, StatedOrigin};

/// Actor names, alias claims, clusters and profiles.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    pub command: Sub,
}

#[derive(clap::Args, Debug, Clone, Copy)]
pub struct Follow {
    /// Follow only links with at least this confidence (0-100)
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u8).range(0..=100))]
    pub min_confidence: u8,
    /// Also follow disputed links and ignore distinct-from claims
    #[arg(long)]
    pub include_disputed: bool,
}

impl Follow {
    fn options(self) -> Options {
        Options {
            min_confidence: self.min_confidence,
            include_disputed: self.include_disputed,
        }
    }
}

#[derive(clap::Subcommand, Debug)]
pub enum Sub {
    /// Resolve a name to its cluster: every name reachable through followed claims,
    /// per vendor, with who says so, when and how strongly; plus the actor's profile.
    /// Exit 0 when found, 2 when no name matches (with suggestions).
    Show {
        /// Any name (case, spacing and punctuation insensitive)
        name: String,
        #[command(flatten)]
        follow: Follow,
    },
    /// Print the chain of claims connecting two names, or what blocks it.
    /// Exit 0 when connected by followed links, 1 when not.
    Why {
        a: String,
        b: String,
        #[command(flatten)]
        follow: Follow,
    },
    /// List actor names with their sources.
    List {
        /// Only actors whose stated origin contains this text (e.g. China)
        #[arg(long)]
        origin: Option<String>,
        /// Only Microsoft names of this family (e.g. Typhoon)
        #[arg(long)]
        family: Option<String>,
    },
    /// Record your own claim linking two names (an analyst claim, graded).
    Link {
        a: String,
        b: String,
        /// same-as, overlaps-with or distinct-from
        #[arg(long, default_value = "same-as")]
        kind: String,
        /// Who makes the claim
        #[arg(long, default_value = "Stormwatch analyst")]
        source: String,
        /// When the source made it: YYYY, YYYY-MM or YYYY-MM-DD (omit if unknown)
        #[arg(long)]
        date: Option<String>,
        /// Admiralty grade, e.g. B2 (reliability A-F, credibility 1-6)
        #[arg(long, default_value = "C3")]
        grade: String,
        /// Citation for the claim
        #[arg(long)]
        reference: String,
        #[arg(long)]
        url: Option<String>,
    },
    /// Dispute a claim (by its link id as shown by `actor show --format json`).
    Dispute {
        link_id: String,
        /// Who disputes it
        #[arg(long, default_value = "Stormwatch analyst")]
        source: String,
        /// Why
        #[arg(long)]
        reason: String,
    },
    /// Retract one of your own claims (it is revoked, never deleted).
    Retract { link_id: String },
}

fn load(g: &Global) -> Result<(Box<dyn stormwatch_store::Store>, ActorGraph)> {
    let store = g.open_store()?;
    let graph = ActorGraph::load(store.as_ref()).context("reading actors from the store")?;
    Ok((store, graph))
}

fn find(graph: &ActorGraph, name: &str) -> Result<usize> {
    match graph.find(name) {
        Some(n) => Ok(n),
        None => {
            let s = graph.suggest(name, 5);
            if s.is_empty() {
                bail!("no actor name matches {name:?} (load names with `stormwatch intel init` and `stormwatch import`)")
            }
            bail!(
                "no actor name matches {name:?}; did you mean: {}?",
                s.join(", ")
            )
        }
    }
}

fn now() -> String {
    Timestamp::now().to_string()
}

fn write_objects(
    store: &mut dyn stormwatch_store::Store,
    objs: Vec<serde_json::Map<String, Value>>,
) -> Result<()> {
    stormwatch_intel::write_objects(store, objs).map_err(anyhow::Error::msg)?;
    Ok(())
}

pub fn run(g: &Global, a: &Args) -> Result<Exit> {
    match &a.command {
        Sub::Show { name, follow } => show(g, name, follow.options()),
        Sub::Why { a: x, b: y, follow } => {
            let store = g.open_store()?;
            let w = stormwatch_attribution::commands::why(store.as_ref(), x, y, follow.options())
                .map_err(|e| match e {
                stormwatch_attribution::commands::CommandError::Store(e) => {
                    anyhow::Error::new(e).context("reading actors from the store")
                }
                e => anyhow::Error::new(e),
            })?;
            let mut out = global::stdout();
            stormwatch_report::actor::why(&mut out, g.format, &w.a, &w.b, &w.why)?;
            std::io::Write::flush(&mut out)?;
            Ok(if w.why.connected {
                Exit::Clean
            } else {
                Exit::Findings
            })
        }
        Sub::List { origin, family } => list(g, origin.as_deref(), family.as_deref()),
        Sub::Link {
            a: x,
            b: y,
            kind,
            source,
            date,
            grade,
            reference,
            url,
        } => {
            let kind = ClaimKind::from_relationship_type(kind)
                .filter(|k| k.links_names() || *k == ClaimKind::DistinctFrom)
                .with_context(|| {
                    format!("--kind {kind:?}: use same-as, overlaps-with or distinct-from")
                })?;
            let grade = Admiralty::parse(grade).with_context(|| {
                format!("--grade {grade:?}: use reliability A-F then credibility 1-6, e.g. B2")
            })?;
            if let Some(d) = date {
                if !is_partial_date(d) {
                    bail!("--date {d:?}: use YYYY, YYYY-MM or YYYY-MM-DD (omit it when unknown)");
                }
            }
            let (mut store, graph) = load(g)?;
            let (na, nb) = (find(&graph, x)?, find(&graph, y)?);
            let (Some(ia), Some(ib)) = (graph.representative(na), graph.representative(nb)) else {
                bail!("no stored object carries one of these names");
            };
            let ident = stormwatch_intel::formats::source_identity(source, "individual");
            let ts = now();
            let claim = ClaimSpec {
                kind,
                source_ref: ia,
                target_ref: ib,
                created_by_ref: ident["id"].as_str().unwrap_or_default(),
                source_name: source,
                date: date.as_deref(),
                grade,
                reference,
                url: url.as_deref(),
                note: None,
                timestamp: &ts,
            }
            .to_stix();
            let id = claim["id"].as_str().unwrap_or_default().to_owned();
            write_objects(store.as_mut(), vec![ident, claim])?;
            println!("{id}");
            Ok(Exit::Clean)
        }
        Sub::Dispute {
            link_id,
            source,
            reason,
        } => {
            let (mut store, graph) = load(g)?;
            let Some(link) = graph.links.iter().find(|l| &l.id == link_id) else {
                bail!("no claim has the id {link_id:?}; `stormwatch actor show NAME --format json` lists link ids");
            };
            let (target, alias) = match link_id.split_once('#') {
                Some((obj, al)) => (obj.to_owned(), Some(al.to_owned())),
                None => (link_id.clone(), None),
            };
            let ident = stormwatch_intel::formats::source_identity(source, "individual");
            let ts = now();
            let id = stormwatch_model::deterministic_id(source, "opinion", link_id);
            let mut op = json!({
                "type": "opinion", "spec_version": "2.1", "id": id, "created": ts, "modified": ts,
                "opinion": "disagree", "explanation": reason, "object_refs": [target],
                "created_by_ref": ident["id"],
            });
            if let Some(al) = alias {
                op["x_stormwatch_alias"] = json!(al);
            }
            let Value::Object(op) = op else {
                bail!("internal error")
            };
            write_objects(store.as_mut(), vec![ident, op])?;
            g.note(&format!(
                "disputed: {} {} {}",
                link.from, link.kind, link.to
            ));
            println!("{id}");
            Ok(Exit::Clean)
        }
        Sub::Retract { link_id } => {
            let mut store = g.open_store()?;
            let Some(obj) = store.get(link_id)? else {
                bail!("no stored claim has the id {link_id:?}");
            };
            let mut v = obj.value()?;
            let by = v
                .get("created_by_ref")
                .and_then(Value::as_str)
                .and_then(|r| store.get(r).ok().flatten())
                .and_then(|o| o.name);
            let own = by
                .as_deref()
                .and_then(stormwatch_intel::sources::lookup)
                .is_none_or(|s| s.identity_class == "individual");
            if !own || !matches!(obj.type_name.as_str(), "relationship" | "opinion") {
                bail!("{link_id} is not an analyst's claim or dispute; dispute it instead (`stormwatch actor dispute`)");
            }
            v["revoked"] = json!(true);
            v["modified"] = json!(now());
            let Value::Object(m) = v else {
                bail!("internal error")
            };
            write_objects(store.as_mut(), vec![m])?;
            g.note(&format!("retracted {link_id} (kept as a revoked version)"));
            Ok(Exit::Clean)
        }
    }
}

fn show(g: &Global, name: &str, o: Options) -> Result<Exit> {
    let (store, graph) = load(g)?;
    let node = match graph.find(name) {
        Some(n) => n,
        None => {
            let s = graph.suggest(name, 5);
            let msg = if s.is_empty() {
                format!("no actor name matches {name:?}")
            } else {
                format!(
                    "no actor name matches {name:?}; did you mean: {}?",
                    s.join(", ")
                )
            };
            if g.format == stormwatch_report::Format::Json {
                let mut out = global::stdout();
                stormwatch_report::write_json(
                    &mut out,
                    &json!({"query": name, "resolved": null, "suggestions": s}),
                )?;
                std::io::Write::flush(&mut out)?;
            }
            eprintln!("error: {msg}");
            return Ok(Exit::Failed);
        }
    };
    let cluster = graph.cluster(node, o);
    let prof = profile::profile(store.as_ref(), &graph, &cluster)?;
    let mut stated = Vec::new();
    for m in cluster.members.iter().filter(|m| m.followed) {
        let Some(n) = graph.find(&m.name) else {
            continue;
        };
        for id in &graph.names[n].primary {
            let Some(v) = graph.object(id).and_then(|o| o.value().ok()) else {
                continue;
            };
            if let Some(s) = v.get("x_ms_origin_threat").and_then(Value::as_str) {
                stated.push(StatedOrigin {
                    name: m.name.clone(),
                    origin: s.to_owned(),
                    source: "Microsoft".into(),
                });
            }
            if let Some(meta) = v.get("x_misp_meta") {
                for k in ["country", "cfr-suspected-state-sponsor"] {
                    if let Some(s) = meta.get(k).and_then(Value::as_str) {
                        stated.push(StatedOrigin {
                            name: m.name.clone(),
                            origin: s.to_owned(),
                            source: "MISP galaxy project".into(),
                        });
                    }
                }
            }
        }
    }
    let member_names: Vec<String> = cluster
        .members
        .iter()
        .filter(|m| m.followed)
        .map(|m| m.name.clone())
        .collect();
    let taxonomy = Some(taxonomy_of(&graph, node, &member_names));
    stated.dedup_by(|a, b| a.name == b.name && a.origin == b.origin && a.source == b.source);
    let doc = ActorShow {
        query: name.to_owned(),
        resolved: Resolved {
            id: graph.representative(node).map(str::to_owned),
            name: graph.names[node].name.clone(),
        },
        taxonomy,
        stated_origin: stated,
        cluster: cluster.members,
        links: cluster.links,
        profile: prof,
        options: ShownOptions {
            min_confidence: o.min_confidence,
            include_disputed: o.include_disputed,
        },
    };
    let mut out = global::stdout();
    stormwatch_report::actor::show(&mut out, g.format, &doc)?;
    std::io::Write::flush(&mut out)?;
    Ok(Exit::Clean)
}

/// Microsoft's taxonomy applied to the resolved name, or else to the first Microsoft
/// name of the cluster: the family's meaning per table, conflicts between tables, and
/// where Microsoft's mapping states a different origin.
fn taxonomy_of(graph: &ActorGraph, node: usize, members: &[String]) -> Value {
    use stormwatch_intel::taxonomy;
    let own = &graph.names[node].name;
    let candidates = std::iter::once(own).chain(members.iter());
    let mut chosen = None;
    for name in candidates {
        let d = taxonomy::decode(name);
        if d.known {
            chosen = Some(d);
            break;
        }
    }
    let d = chosen.unwrap_or_else(|| taxonomy::decode(own));
    // The origin Microsoft's mapping states for that name.
    let stated: Option<String> = graph.find(&d.name).and_then(|n| {
        graph.names[n].primary.iter().find_map(|id| {
            graph.object(id).and_then(|o| o.value().ok()).and_then(|v| {
                v.get("x_ms_origin_threat")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
        })
    });
    let differences = match &stated {
        Some(s) => taxonomy::compare_with_stated(&d, s),
        None => Vec::new(),
    };
    let mut v = serde_json::to_value(d.taxonomy()).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.insert("name".into(), json!(d.name));
        m.insert("known".into(), json!(d.known));
        m.insert("note".into(), json!(d.note));
        m.insert(
            "tables".into(),
            serde_json::to_value(&d.matches).unwrap_or(Value::Null),
        );
        m.insert("conflicts".into(), json!(d.conflicts));
        m.insert("stated_origin".into(), json!(stated));
        m.insert("differences".into(), json!(differences));
    }
    v
}

fn list(g: &Global, origin: Option<&str>, family: Option<&str>) -> Result<Exit> {
    let (_, graph) = load(g)?;
    let mut rows = Vec::new();
    for (i, n) in graph.names.iter().enumerate() {
        let Some(id) = n.primary.first() else {
            continue;
        };
        let v = graph
            .object(id)
            .and_then(|o| o.value().ok())
            .unwrap_or(Value::Null);
        let stated = v
            .get("x_ms_origin_threat")
            .and_then(Value::as_str)
            .or_else(|| {
                v.get("x_misp_meta")
                    .and_then(|m| m.get("country"))
                    .and_then(Value::as_str)
            })
            .unwrap_or("")
            .to_owned();
        if let Some(o) = origin {
            if !stated.to_lowercase().contains(&o.to_lowercase()) {
                continue;
            }
        }
        let fam = n.name.split_whitespace().last().unwrap_or("").to_owned();
        if let Some(f) = family {
            if !fam.eq_ignore_ascii_case(f) {
                continue;
            }
        }
        let _ = i;
        rows.push(json!({"name": n.name, "id": id, "vendor": n.vendor, "stated_origin": stated, "objects": n.primary.len()}));
    }
    rows.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    let mut out = global::stdout();
    match g.format {
        stormwatch_report::Format::Json
        | stormwatch_report::Format::Navigator
        | stormwatch_report::Format::Sarif
        | stormwatch_report::Format::Md
        | stormwatch_report::Format::Html
        | stormwatch_report::Format::Svg => {
            stormwatch_report::write_json(&mut out, &json!({"actors": rows}))?
        }
        stormwatch_report::Format::Jsonl => stormwatch_report::write_jsonl(&mut out, &rows)?,
        stormwatch_report::Format::Csv => stormwatch_report::write_csv(
            &mut out,
            &["name", "vendor", "stated_origin", "id"],
            &rows
                .iter()
                .map(|r| {
                    vec![
                        r["name"].as_str().unwrap_or("").to_owned(),
                        r["vendor"].as_str().unwrap_or("").to_owned(),
                        r["stated_origin"].as_str().unwrap_or("").to_owned(),
                        r["id"].as_str().unwrap_or("").to_owned(),
                    ]
                })
                .collect::<Vec<_>>(),
        )?,
        stormwatch_report::Format::Text => {
            let mut t = stormwatch_report::Table::new(&["NAME", "VENDOR", "STATED ORIGIN", "ID"]);
            for r in &rows {
                t.row(vec![
                    stormwatch_report::clean(r["name"].as_str().unwrap_or("")),
                    r["vendor"].as_str().unwrap_or("").to_owned(),
                    stormwatch_report::ellipsize(r["stated_origin"].as_str().unwrap_or(""), 40),
                    r["id"].as_str().unwrap_or("").to_owned(),
                ]);
            }
            t.write(&mut out)?;
        }
    }
    std::io::Write::flush(&mut out)?;
    Ok(Exit::Clean)
}
