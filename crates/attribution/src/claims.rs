//! Attribution claims with their sources, grades and independence groups.
//!
//! Claims are the relationships of the claim model (`stormwatch_model::claim`). A
//! source's independence group says which sources do not corroborate each other
//! (agencies that co-sealed one advisory; a state's media and its CERT under one
//! line). The group of a claim is, in order: `x_stormwatch_claim.independence_group`
//! on the claim, `x_stormwatch_independence_group` on the source identity, the
//! source table (`stormwatch_intel::sources`), else the source's own name (a source
//! nobody has grouped counts as independent). Corroboration of a proposition
//! (subject, kind, object) counts distinct groups, never documents.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

use stormwatch_intel::sources;
use stormwatch_model::claim::{ClaimInfo, ClaimKind, CLAIM_PROPERTY};
use stormwatch_store::Store;

/// Property on an identity naming its independence group.
pub const GROUP_PROPERTY: &str = "x_stormwatch_independence_group";

/// One stored claim, as listed.
#[derive(Debug, Clone, Serialize)]
pub struct Claim {
    pub id: String,
    pub kind: String,
    pub subject_id: String,
    pub subject: Option<String>,
    pub object_id: String,
    pub object: Option<String>,
    pub source: Option<String>,
    pub independence_group: String,
    pub date: Option<String>,
    pub admiralty: Option<String>,
    pub confidence: Option<u64>,
    pub reference: Option<String>,
    pub note: Option<String>,
    pub disputed_by: Vec<String>,
    pub revoked: bool,
}

/// Claims that say the same thing, and how many independent voices say it.
#[derive(Debug, Clone, Serialize)]
pub struct Proposition {
    pub subject: String,
    pub kind: String,
    pub object: String,
    /// Number of claims (documents).
    pub claims: usize,
    /// Number of distinct independence groups among their sources.
    pub independent_groups: usize,
    pub groups: Vec<String>,
    /// Highest confidence among them.
    pub best_confidence: Option<u64>,
    pub claim_ids: Vec<String>,
}

#[derive(Deserialize)]
struct Fields {
    source_ref: Option<String>,
    target_ref: Option<String>,
    relationship_type: Option<String>,
    created_by_ref: Option<String>,
    confidence: Option<u64>,
}

/// The independence group of a source name (without store lookups).
pub fn group_of_source(name: &str) -> String {
    sources::lookup(name).map_or_else(|| name.to_owned(), |s| s.independence_group.to_owned())
}

/// Every claim in the store (revoked ones only with `include_revoked`).
pub fn load(store: &dyn Store, include_revoked: bool) -> stormwatch_store::Result<Vec<Claim>> {
    let kinds: Vec<&str> = ClaimKind::ALL
        .iter()
        .map(|k| k.relationship_type())
        .collect();
    let rels = store.relationships_of_type(&kinds)?;
    let mut names: HashMap<String, Option<String>> = HashMap::new();
    let mut groups: HashMap<String, Option<String>> = HashMap::new();
    let mut name_of = |id: &str| -> Option<String> {
        names
            .entry(id.to_owned())
            .or_insert_with(|| store.get(id).ok().flatten().and_then(|o| o.name))
            .clone()
    };
    // Disputes.
    let mut disputes: HashMap<String, Vec<String>> = HashMap::new();
    for op in store.objects_of_type(&["opinion"])? {
        if op.revoked {
            continue;
        }
        let v = op.value()?;
        if !matches!(
            v.get("opinion").and_then(Value::as_str),
            Some("disagree" | "strongly-disagree")
        ) || v.get("x_stormwatch_alias").is_some()
        {
            continue;
        }
        let who = v
            .get("created_by_ref")
            .and_then(Value::as_str)
            .and_then(&mut name_of)
            .unwrap_or_else(|| "unknown source".into());
        for r in v
            .get("object_refs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(r) = r.as_str() {
                disputes
                    .entry(r.to_owned())
                    .or_default()
                    .push(format!("{who} (opinion {})", op.id));
            }
        }
    }
    let mut out = Vec::new();
    for r in rels {
        if r.revoked && !include_revoked {
            continue;
        }
        let Ok(v) = serde_json::from_str::<Value>(&r.json) else {
            continue;
        };
        let Ok(f) = serde_json::from_value::<Fields>(v.clone()) else {
            continue;
        };
        let (Some(s), Some(t), Some(kind)) = (f.source_ref, f.target_ref, f.relationship_type)
        else {
            continue;
        };
        let info = ClaimInfo::from_object(&v);
        let source = f.created_by_ref.as_deref().and_then(&mut name_of);
        let claim_group = v
            .get(CLAIM_PROPERTY)
            .and_then(|c| c.get("independence_group"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        let ident_group = f.created_by_ref.as_deref().and_then(|id| {
            groups
                .entry(id.to_owned())
                .or_insert_with(|| {
                    store
                        .get(id)
                        .ok()
                        .flatten()
                        .and_then(|o| o.value().ok())
                        .and_then(|v| {
                            v.get(GROUP_PROPERTY)
                                .and_then(Value::as_str)
                                .map(str::to_owned)
                        })
                })
                .clone()
        });
        let group = claim_group
            .or(ident_group)
            .or_else(|| source.as_deref().map(group_of_source))
            .unwrap_or_else(|| "unknown source".into());
        out.push(Claim {
            id: r.id.clone(),
            kind,
            subject: name_of(&s),
            subject_id: s,
            object: name_of(&t),
            object_id: t,
            source,
            independence_group: group,
            date: info.date,
            admiralty: info.admiralty,
            confidence: f.confidence,
            reference: info.reference,
            note: info.note,
            disputed_by: disputes.remove(&r.id).unwrap_or_default(),
            revoked: r.revoked,
        });
    }
    out.sort_by(|a, b| {
        (&a.subject, &a.kind, &a.object, &a.date, &a.id)
            .cmp(&(&b.subject, &b.kind, &b.object, &b.date, &b.id))
    });
    Ok(out)
}

/// Groups claims by what they say; counts independent groups.
pub fn propositions(claims: &[Claim]) -> Vec<Proposition> {
    let mut m: BTreeMap<(String, String, String), Vec<&Claim>> = BTreeMap::new();
    for c in claims.iter().filter(|c| !c.revoked) {
        let key = (
            c.subject.clone().unwrap_or_else(|| c.subject_id.clone()),
            c.kind.clone(),
            c.object.clone().unwrap_or_else(|| c.object_id.clone()),
        );
        m.entry(key).or_default().push(c);
    }
    let mut out: Vec<Proposition> = m
        .into_iter()
        .map(|((subject, kind, object), cs)| {
            let mut groups: Vec<String> = cs.iter().map(|c| c.independence_group.clone()).collect();
            groups.sort();
            groups.dedup();
            Proposition {
                subject,
                kind,
                object,
                claims: cs.len(),
                independent_groups: groups.len(),
                groups,
                best_confidence: cs.iter().filter_map(|c| c.confidence).max(),
                claim_ids: cs.iter().map(|c| c.id.clone()).collect(),
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.independent_groups
            .cmp(&a.independent_groups)
            .then_with(|| (&a.subject, &a.kind, &a.object).cmp(&(&b.subject, &b.kind, &b.object)))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(id: &str, source: &str, group: &str) -> Claim {
        Claim {
            id: id.into(),
            kind: "attributed-to".into(),
            subject_id: "intrusion-set--1".into(),
            subject: Some("Salt Typhoon".into()),
            object_id: "identity--1".into(),
            object: Some("PRC".into()),
            source: Some(source.into()),
            independence_group: group.into(),
            date: None,
            admiralty: Some("A2".into()),
            confidence: Some(70),
            reference: None,
            note: None,
            disputed_by: Vec::new(),
            revoked: false,
        }
    }

    #[test]
    fn corroboration_counts_groups_not_documents() {
        let claims = vec![
            c("1", "FBI", "US government"),
            c("2", "CISA", "US government"),
            c("3", "US Treasury OFAC", "US government"),
            c("4", "Microsoft", "Microsoft"),
        ];
        let p = propositions(&claims);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].claims, 4);
        assert_eq!(p[0].independent_groups, 2);
        assert_eq!(group_of_source("Global Times"), group_of_source("CNCERT"));
        assert_eq!(group_of_source("Someone new"), "Someone new");
    }
}
