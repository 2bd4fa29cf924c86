//! What is known about a cluster: techniques, software, CVEs, victims, affiliated
//! organisations and attribution claims, each with the sources that say so.

use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

use crate::actors::{ActorGraph, Cluster};
use stormwatch_model::claim::{ClaimInfo, ClaimKind};
use stormwatch_store::{Direction, Store};

/// One profile entry and who states it.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    /// External id (T1190, S1206, CVE-...) when there is one.
    pub external_id: Option<String>,
    pub id: String,
    pub name: Option<String>,
    pub sources: Vec<String>,
}

/// An attribution claim about a cluster member.
#[derive(Debug, Clone, Serialize)]
pub struct ClaimItem {
    pub id: String,
    pub kind: String,
    pub subject: Option<String>,
    pub object: Option<String>,
    pub source: Option<String>,
    pub date: Option<String>,
    pub admiralty: Option<String>,
    pub confidence: Option<u64>,
    pub reference: Option<String>,
    pub note: Option<String>,
}

/// The profile of a cluster.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Profile {
    pub techniques: Vec<Item>,
    pub software: Vec<Item>,
    pub cves: Vec<Item>,
    pub sectors: Vec<Item>,
    pub countries: Vec<Item>,
    pub organisations: Vec<Item>,
    pub claims: Vec<ClaimItem>,
}

#[derive(Default)]
struct Acc(BTreeMap<String, Item>);

impl Acc {
    fn add(&mut self, id: &str, ext: Option<&str>, name: Option<&str>, source: &str) {
        let e = self.0.entry(id.to_owned()).or_insert_with(|| Item {
            external_id: ext.map(str::to_owned),
            id: id.to_owned(),
            name: name.map(str::to_owned),
            sources: Vec::new(),
        });
        if !e.sources.iter().any(|s| s == source) {
            e.sources.push(source.to_owned());
        }
    }
    fn done(self) -> Vec<Item> {
        let mut v: Vec<Item> = self.0.into_values().collect();
        v.sort_by(|a, b| {
            (a.external_id.as_deref().unwrap_or("~"), &a.name)
                .cmp(&(b.external_id.as_deref().unwrap_or("~"), &b.name))
        });
        v
    }
}

/// Builds the profile of the followed members of `cluster`.
pub fn profile(
    store: &dyn Store,
    graph: &ActorGraph,
    cluster: &Cluster,
) -> stormwatch_store::Result<Profile> {
    let (mut tech, mut soft, mut cves, mut sectors, mut countries, mut orgs) = (
        Acc::default(),
        Acc::default(),
        Acc::default(),
        Acc::default(),
        Acc::default(),
        Acc::default(),
    );
    let mut claims = Vec::new();
    let mut seen_claims = std::collections::HashSet::new();
    let ids: Vec<String> = cluster
        .members
        .iter()
        .filter(|m| m.followed)
        .filter_map(|m| graph.find(&m.name))
        .flat_map(|n| graph.names[n].primary.clone())
        .collect();
    let name_of_source = |v: &Value| -> String {
        v.get("created_by_ref")
            .and_then(Value::as_str)
            .map_or_else(|| "unknown source".into(), |r| graph.identity_name(r))
    };
    for id in &ids {
        let obj_source = graph.object(id).and_then(|o| o.value().ok()).map(|v| {
            if let Some(meta) = v.get("x_misp_meta") {
                for c in meta
                    .get("cfr-suspected-victims")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if let Some(c) = c.as_str() {
                        countries.add(&format!("name:{c}"), None, Some(c), "MISP galaxy project");
                    }
                }
                for c in meta
                    .get("cfr-target-category")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if let Some(c) = c.as_str() {
                        sectors.add(&format!("name:{c}"), None, Some(c), "MISP galaxy project");
                    }
                }
            }
            name_of_source(&v)
        });
        let _ = obj_source;
        for r in store.relationships(id)? {
            let rel = store.get(&r.relationship_id)?;
            let rv = rel
                .as_ref()
                .and_then(|o| o.value().ok())
                .unwrap_or(Value::Null);
            let source = name_of_source(&rv);
            let ext = r.other_external_id.as_deref();
            let name = r.other_name.as_deref();
            if let Some(kind) = ClaimKind::from_relationship_type(&r.kind) {
                if kind.links_names() || kind == ClaimKind::DistinctFrom {
                    continue;
                }
                if seen_claims.insert(r.relationship_id.clone()) {
                    let info = ClaimInfo::from_object(&rv);
                    let s = |k: &str| {
                        rv.get(k)
                            .and_then(Value::as_str)
                            .and_then(|i| store.get(i).ok().flatten())
                            .and_then(|o| o.name)
                    };
                    claims.push(ClaimItem {
                        id: r.relationship_id.clone(),
                        kind: r.kind.clone(),
                        subject: s("source_ref"),
                        object: s("target_ref"),
                        source: Some(source.clone()),
                        date: info.date,
                        admiralty: info.admiralty,
                        confidence: rv.get("confidence").and_then(Value::as_u64),
                        reference: info.reference,
                        note: info.note,
                    });
                }
                if r.other_type == "identity"
                    && r.direction == Direction::Outgoing
                    && kind == ClaimKind::AttributedTo
                {
                    orgs.add(&r.other_id, ext, name, &source);
                }
                continue;
            }
            if r.direction != Direction::Outgoing {
                continue;
            }
            match (r.kind.as_str(), r.other_type.as_str()) {
                ("uses", "attack-pattern") => tech.add(&r.other_id, ext, name, &source),
                ("uses", "malware" | "tool") => soft.add(&r.other_id, ext, name, &source),
                ("targets" | "exploits", "vulnerability") => {
                    cves.add(&r.other_id, ext.or(name), name, &source)
                }
                ("targets", "identity") => sectors.add(&r.other_id, ext, name, &source),
                ("targets", "location") => countries.add(&r.other_id, ext, name, &source),
                ("affiliated-with" | "attributed-to", "identity") => {
                    orgs.add(&r.other_id, ext, name, &source)
                }
                _ => {}
            }
        }
    }
    claims.sort_by(|a, b| (&a.date, &a.id).cmp(&(&b.date, &b.id)));
    Ok(Profile {
        techniques: tech.done(),
        software: soft.done(),
        cves: cves.done(),
        sectors: sectors.done(),
        countries: countries.done(),
        organisations: orgs.done(),
        claims,
    })
}
