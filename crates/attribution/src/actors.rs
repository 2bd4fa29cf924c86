//! Actor names and the claims that link them.
//!
//! The graph's nodes are *names* (normalised: case, spacing and punctuation
//! ignored); each name knows the stored objects that carry it. Its edges are claims:
//! - an intrusion-set's or threat-actor's `aliases` are same-as claims made by the
//!   object's `created_by_ref`, graded by the source table (`stormwatch_intel::sources`);
//! - relationships of the claim kinds (`same-as`, `overlaps-with`, `distinct-from`)
//!   carry their own source, date, confidence and Admiralty grade;
//! - opinions that disagree with a claim mark it disputed.
//!
//! A cluster is computed on demand from one name: links are followed best-confidence
//! first when they reach the threshold, are not disputed, and do not bring in a name
//! that some source says is distinct from a name already in the cluster. With
//! `include_disputed`, disputes and distinct-from claims are ignored.

use serde::Serialize;
use serde_json::Value;
use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap, HashSet};

use stormwatch_intel::{sources, vendors};
use stormwatch_model::claim::{ClaimInfo, ClaimKind};
use stormwatch_model::normalize_name;
use stormwatch_store::Store;

/// Types whose objects name actors.
pub const ACTOR_TYPES: &[&str] = &["intrusion-set", "threat-actor"];

/// Thresholds for following links.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Links below this confidence are not followed.
    pub min_confidence: u8,
    /// Follow disputed links and ignore distinct-from claims.
    pub include_disputed: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            min_confidence: 50,
            include_disputed: false,
        }
    }
}

/// One name and what carries it.
#[derive(Debug, Clone)]
pub struct NameNode {
    pub name: String,
    /// Objects whose `name` is this name (best first: ATT&CK, then others).
    pub primary: Vec<String>,
    /// Objects that list it as an alias.
    pub alias_of: Vec<String>,
    pub vendor: Option<String>,
    pub vendor_basis: Option<&'static str>,
}

/// A claim linking two names, as shown to the user.
#[derive(Debug, Clone, Serialize)]
pub struct Link {
    /// The claim's STIX id; for an alias list, `<object id>#<alias>`.
    pub id: String,
    pub from: String,
    pub to: String,
    pub kind: &'static str,
    pub source: Option<String>,
    /// When the source made the claim (partial) or null when unknown.
    pub date: Option<String>,
    pub reference: Option<String>,
    pub confidence: u8,
    pub admiralty: Option<String>,
    pub disputed: bool,
    /// Who disputes it, and how (an opinion, or a distinct-from claim).
    pub disputed_by: Vec<String>,
    pub followed: bool,
    /// Why it was not followed, when it was not.
    pub blocked_because: Option<String>,
    #[serde(skip)]
    a: usize,
    #[serde(skip)]
    b: usize,
    #[serde(skip)]
    claim_kind: ClaimKind,
}

/// What the graph keeps of an actor object: its name and the few properties
/// shown with it (Microsoft's stated origin, MISP's origin and victim metadata).
#[derive(Debug, Clone)]
pub struct ActorObject {
    pub id: String,
    pub name: Option<String>,
    /// A small JSON object with `x_ms_origin_threat` and a reduced `x_misp_meta`.
    pub extra: Value,
}

impl ActorObject {
    /// The kept properties as JSON.
    pub fn value(&self) -> stormwatch_store::Result<Value> {
        Ok(self.extra.clone())
    }
}

#[derive(serde::Deserialize)]
struct ActorFields {
    name: Option<Value>,
    aliases: Option<Vec<Value>>,
    x_mitre_aliases: Option<Vec<Value>>,
    created_by_ref: Option<Value>,
    confidence: Option<Value>,
    modified: Option<Value>,
    x_ms_origin_threat: Option<Value>,
    x_misp_meta: Option<MetaKept>,
}

/// The MISP meta keys the graph uses (`origin:NAME` and [`MISP_META_KEPT`]); the
/// rest (reference lists and the like) is skipped without being built.
struct MetaKept(serde_json::Map<String, Value>);

impl<'de> serde::Deserialize<'de> for MetaKept {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = MetaKept;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a MISP meta object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut m: A,
            ) -> Result<MetaKept, A::Error> {
                let mut out = serde_json::Map::new();
                while let Some(k) = m.next_key::<String>()? {
                    if k.starts_with("origin:") || MISP_META_KEPT.contains(&k.as_str()) {
                        out.insert(k, m.next_value::<Value>()?);
                    } else {
                        m.next_value::<serde::de::IgnoredAny>()?;
                    }
                }
                Ok(MetaKept(out))
            }
        }
        d.deserialize_map(V)
    }
}

#[derive(serde::Deserialize)]
struct ClaimFields {
    source_ref: Option<Value>,
    target_ref: Option<Value>,
    relationship_type: Option<Value>,
    created_by_ref: Option<Value>,
    confidence: Option<Value>,
    external_references: Option<Value>,
    x_stormwatch_claim: Option<Value>,
}

/// MISP meta keys kept for display.
const MISP_META_KEPT: &[&str] = &[
    "country",
    "cfr-suspected-state-sponsor",
    "cfr-suspected-victims",
    "cfr-target-category",
];

/// Every actor name and claim in the store.
pub struct ActorGraph {
    pub names: Vec<NameNode>,
    by_norm: HashMap<String, usize>,
    pub links: Vec<Link>,
    adj: Vec<Vec<usize>>,
    identities: HashMap<String, String>,
    objects: HashMap<String, ActorObject>,
}

/// A cluster computed from one name.
#[derive(Debug, Clone, Serialize)]
pub struct Cluster {
    pub members: Vec<ClusterMember>,
    pub links: Vec<Link>,
}

/// A name in (or next to) a cluster.
#[derive(Debug, Clone, Serialize)]
pub struct ClusterMember {
    pub name: String,
    pub id: Option<String>,
    pub vendor: Option<String>,
    pub vendor_basis: Option<&'static str>,
    /// False for names linked to the cluster only by links that were not followed.
    pub followed: bool,
}

/// The answer to "how are A and B connected?".
#[derive(Debug, Clone, Serialize)]
pub struct Why {
    pub connected: bool,
    pub paths: Vec<Vec<Link>>,
    /// Links that would connect them but are disputed, below the threshold, or in
    /// conflict with a distinct-from claim; and those distinct-from claims.
    pub blocked: Vec<Link>,
}

#[derive(PartialEq)]
struct Cand(u8, usize);
impl Eq for Cand {}
impl PartialOrd for Cand {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Cand {
    fn cmp(&self, o: &Self) -> Ordering {
        self.0.cmp(&o.0).then_with(|| o.1.cmp(&self.1))
    }
}

fn day_of(ts: Option<&str>) -> Option<String> {
    let t = ts?;
    (t.len() >= 10 && !t.starts_with("1970-01-01")).then(|| t[..10].to_owned())
}

impl ActorGraph {
    /// Reads every actor object, claim and dispute from the store.
    pub fn load(store: &dyn Store) -> stormwatch_store::Result<ActorGraph> {
        let mut g = ActorGraph {
            names: Vec::new(),
            by_norm: HashMap::new(),
            links: Vec::new(),
            adj: Vec::new(),
            identities: HashMap::new(),
            objects: HashMap::new(),
        };
        for (id, name) in store.names_of_type(&["identity"])? {
            if let Some(n) = name {
                g.identities.insert(id, n);
            }
        }
        let mut origin_vendor: HashMap<String, String> = HashMap::new();
        let mut actors: Vec<(bool, String, ActorFields)> = Vec::new();
        let filter = stormwatch_store::ExportFilter {
            types: ACTOR_TYPES.iter().map(|t| (*t).to_owned()).collect(),
            ..Default::default()
        };
        store.export(&filter, &mut |o| {
            if o.revoked || o.deprecated {
                return Ok(());
            }
            if let Ok(f) = serde_json::from_str::<ActorFields>(&o.json) {
                actors.push((!o.json.contains("\"mitre-attack\""), o.id.clone(), f));
            }
            Ok(())
        })?;
        // ATT&CK objects first, so they become the primary object of their names.
        actors.sort_by_key(|(not_attack, _, _)| *not_attack);
        for (_, id, f) in actors {
            let Some(name) = f.name.as_ref().and_then(Value::as_str).map(str::to_owned) else {
                continue;
            };
            let a = g.node(&name);
            g.names[a].primary.push(id.clone());
            let source = f
                .created_by_ref
                .as_ref()
                .and_then(Value::as_str)
                .map(|r| g.identities.get(r).cloned().unwrap_or_else(|| r.to_owned()));
            let grade = sources::grade(source.as_deref().unwrap_or(""));
            let confidence = f
                .confidence
                .as_ref()
                .and_then(Value::as_u64)
                .map_or(grade.confidence(), |c| c.min(100) as u8);
            let mut kept_meta = serde_json::Map::new();
            if let Some(MetaKept(meta)) = &f.x_misp_meta {
                for (k, val) in meta {
                    if let (Some(n), Some(vendor)) = (k.strip_prefix("origin:"), val.as_str()) {
                        origin_vendor.insert(normalize_name(n), vendor.to_owned());
                    }
                    if MISP_META_KEPT.contains(&k.as_str()) {
                        kept_meta.insert(k.clone(), val.clone());
                    }
                }
            }
            let date = day_of(f.modified.as_ref().and_then(Value::as_str));
            let own = normalize_name(&name);
            let mut seen: Vec<String> = vec![own];
            let mut aliases: Vec<&str> = Vec::new();
            for al in f.aliases.iter().chain(f.x_mitre_aliases.iter()).flatten() {
                if let Some(al) = al.as_str() {
                    let n = normalize_name(al);
                    if !n.is_empty() && !seen.contains(&n) {
                        seen.push(n);
                        aliases.push(al);
                    }
                }
            }
            let type_name = id.split_once("--").map_or("", |(t, _)| t);
            for al in aliases {
                let b = g.node(al);
                g.names[b].alias_of.push(id.clone());
                g.push_link(Link {
                    id: format!("{id}#{al}"),
                    from: name.clone(),
                    to: al.to_owned(),
                    kind: "same-as",
                    source: source.clone(),
                    date: date.clone(),
                    reference: Some(format!("aliases of {type_name} {id}")),
                    confidence,
                    admiralty: Some(grade.to_string()),
                    disputed: false,
                    disputed_by: Vec::new(),
                    followed: false,
                    blocked_because: None,
                    a,
                    b,
                    claim_kind: ClaimKind::SameAs,
                });
            }
            let mut extra = serde_json::Map::new();
            if let Some(o) = f.x_ms_origin_threat {
                extra.insert("x_ms_origin_threat".into(), o);
            }
            if !kept_meta.is_empty() {
                extra.insert("x_misp_meta".into(), Value::Object(kept_meta));
            }
            g.objects.insert(
                id.clone(),
                ActorObject {
                    id,
                    name: Some(name),
                    extra: Value::Object(extra),
                },
            );
        }
        // Explicit claims.
        let kinds = [
            ClaimKind::SameAs,
            ClaimKind::OverlapsWith,
            ClaimKind::DistinctFrom,
        ];
        let types: Vec<&str> = kinds.iter().map(|k| k.relationship_type()).collect();
        let mut skipped = 0usize;
        for r in store.relationships_of_type(&types)? {
            if r.revoked {
                continue;
            }
            let Ok(f) = serde_json::from_str::<ClaimFields>(&r.json) else {
                continue;
            };
            let mut small = serde_json::Map::new();
            for (k, val) in [
                ("created_by_ref", &f.created_by_ref),
                ("confidence", &f.confidence),
                ("external_references", &f.external_references),
                ("x_stormwatch_claim", &f.x_stormwatch_claim),
            ] {
                if let Some(val) = val {
                    small.insert(k.to_owned(), val.clone());
                }
            }
            let v = Value::Object(small);
            let str_of = |x: &Option<Value>| x.as_ref().and_then(Value::as_str).map(str::to_owned);
            let (Some(src), Some(dst), Some(rt)) = (
                str_of(&f.source_ref),
                str_of(&f.target_ref),
                str_of(&f.relationship_type),
            ) else {
                continue;
            };
            let (src, dst, rt) = (src.as_str(), dst.as_str(), rt.as_str());
            let Some(kind) = ClaimKind::from_relationship_type(rt) else {
                continue;
            };
            let (Some(na), Some(nb)) = (g.object_name(src), g.object_name(dst)) else {
                skipped += 1;
                continue;
            };
            let (a, b) = (g.node(&na), g.node(&nb));
            let info = ClaimInfo::from_object(&v);
            let source = g.source_name(&v);
            let grade = sources::grade(source.as_deref().unwrap_or(""));
            let confidence = v
                .get("confidence")
                .and_then(Value::as_u64)
                .map_or(grade.confidence(), |c| c.min(100) as u8);
            g.push_link(Link {
                id: r.id.clone(),
                from: na,
                to: nb,
                kind: kind.relationship_type(),
                source,
                date: info.date,
                reference: info.reference,
                confidence,
                admiralty: info.admiralty.or_else(|| Some(grade.to_string())),
                disputed: false,
                disputed_by: Vec::new(),
                followed: false,
                blocked_because: None,
                a,
                b,
                claim_kind: kind,
            });
        }
        let _ = skipped;
        // Disputes: opinions that disagree with a claim.
        for op in store.objects_of_type(&["opinion"])? {
            if op.revoked {
                continue;
            }
            let v = op.value()?;
            let disagrees = matches!(
                v.get("opinion").and_then(Value::as_str),
                Some("disagree" | "strongly-disagree")
            );
            if !disagrees {
                continue;
            }
            let who = g.source_name(&v).unwrap_or_else(|| "unknown source".into());
            let alias = v.get("x_stormwatch_alias").and_then(Value::as_str);
            for r in v
                .get("object_refs")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let Some(r) = r.as_str() else { continue };
                let target = match alias {
                    Some(al) => format!("{r}#{al}"),
                    None => r.to_owned(),
                };
                for l in g.links.iter_mut().filter(|l| l.id == target) {
                    l.disputed = true;
                    l.disputed_by.push(format!("{who} (opinion {})", op.id));
                }
            }
        }
        // A distinct-from claim disputes every name link between the same two names.
        let distinct: Vec<(usize, usize, String)> = g
            .links
            .iter()
            .filter(|l| l.claim_kind == ClaimKind::DistinctFrom)
            .map(|l| {
                (
                    l.a,
                    l.b,
                    format!(
                        "{} (distinct-from {})",
                        l.source.as_deref().unwrap_or("unknown source"),
                        l.id
                    ),
                )
            })
            .collect();
        for (a, b, why) in distinct {
            for l in g.links.iter_mut().filter(|l| l.claim_kind.links_names()) {
                if (l.a == a && l.b == b) || (l.a == b && l.b == a) {
                    l.disputed = true;
                    l.disputed_by.push(why.clone());
                }
            }
        }
        for (norm, vendor) in origin_vendor {
            if let Some(&i) = g.by_norm.get(&norm) {
                g.names[i].vendor = Some(vendor);
                g.names[i].vendor_basis = Some("misp-galaxy-origin");
            }
        }
        Ok(g)
    }

    fn node(&mut self, name: &str) -> usize {
        let norm = normalize_name(name);
        if let Some(&i) = self.by_norm.get(&norm) {
            return i;
        }
        let i = self.names.len();
        let (vendor, basis) = match vendors::vendor_of(name) {
            Some((v, vendors::Basis::Cited)) => (Some(v.to_owned()), Some("cited")),
            Some((v, vendors::Basis::NamingScheme)) => (Some(v.to_owned()), Some("naming-scheme")),
            None => (None, None),
        };
        self.names.push(NameNode {
            name: name.to_owned(),
            primary: Vec::new(),
            alias_of: Vec::new(),
            vendor,
            vendor_basis: basis,
        });
        self.adj.push(Vec::new());
        self.by_norm.insert(norm, i);
        i
    }

    fn push_link(&mut self, l: Link) {
        let i = self.links.len();
        self.adj[l.a].push(i);
        if l.b != l.a {
            self.adj[l.b].push(i);
        }
        self.links.push(l);
    }

    /// The name of an identity, by id (the id itself when unknown).
    pub fn identity_name(&self, id: &str) -> String {
        self.identities
            .get(id)
            .cloned()
            .unwrap_or_else(|| id.to_owned())
    }

    fn source_name(&self, v: &Value) -> Option<String> {
        let r = v.get("created_by_ref").and_then(Value::as_str)?;
        Some(
            self.identities
                .get(r)
                .cloned()
                .unwrap_or_else(|| r.to_owned()),
        )
    }

    fn object_name(&self, id: &str) -> Option<String> {
        self.objects.get(id).and_then(|o| o.name.clone())
    }

    /// The stored actor objects, by id.
    pub fn object(&self, id: &str) -> Option<&ActorObject> {
        self.objects.get(id)
    }

    /// The name node for a user's name (case, spacing and punctuation insensitive).
    pub fn find(&self, name: &str) -> Option<usize> {
        self.by_norm.get(&normalize_name(name)).copied()
    }

    /// Up to `n` known names close to `name`, for "did you mean".
    pub fn suggest(&self, name: &str, n: usize) -> Vec<String> {
        let norm = normalize_name(name);
        let mut scored: Vec<(f64, &str)> = self
            .names
            .iter()
            .map(|x| {
                let xn = normalize_name(&x.name);
                let mut s = strsim::jaro_winkler(&norm, &xn);
                if !norm.is_empty() && (xn.contains(&norm) || norm.contains(&xn)) {
                    s = s.max(0.85);
                }
                (s, x.name.as_str())
            })
            .filter(|(s, _)| *s >= 0.8)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
        scored
            .into_iter()
            .take(n)
            .map(|(_, s)| s.to_owned())
            .collect()
    }

    /// The best object to represent a name: its own object (ATT&CK first), else an
    /// object that lists it as an alias.
    pub fn representative(&self, node: usize) -> Option<&str> {
        let n = &self.names[node];
        n.primary.first().or(n.alias_of.first()).map(String::as_str)
    }

    fn followable(&self, l: &Link, o: Options) -> Result<(), String> {
        if !l.claim_kind.links_names() {
            return Err(format!("{} claims do not join names", l.kind));
        }
        if l.confidence < o.min_confidence {
            return Err(format!(
                "confidence {} is below {}",
                l.confidence, o.min_confidence
            ));
        }
        if l.disputed && !o.include_disputed {
            return Err(format!("disputed by {}", l.disputed_by.join(", ")));
        }
        Ok(())
    }

    fn distinct_partners(&self, node: usize, o: Options) -> Vec<(usize, usize)> {
        self.adj[node]
            .iter()
            .map(|&i| (i, &self.links[i]))
            .filter(|(_, l)| {
                l.claim_kind == ClaimKind::DistinctFrom && l.confidence >= o.min_confidence
            })
            .map(|(i, l)| (if l.a == node { l.b } else { l.a }, i))
            .collect()
    }

    /// Grows the cluster of `start`; returns members and the link that brought each in.
    fn grow(
        &self,
        start: usize,
        o: Options,
    ) -> (Vec<usize>, HashMap<usize, usize>, HashMap<usize, String>) {
        let mut in_cluster: HashSet<usize> = HashSet::from([start]);
        let mut order = vec![start];
        let mut parent: HashMap<usize, usize> = HashMap::new();
        let mut blocked: HashMap<usize, String> = HashMap::new();
        let mut heap = BinaryHeap::new();
        let push = |heap: &mut BinaryHeap<Cand>, node: usize| {
            for &i in &self.adj[node] {
                heap.push(Cand(self.links[i].confidence, i));
            }
        };
        push(&mut heap, start);
        while let Some(Cand(_, i)) = heap.pop() {
            let l = &self.links[i];
            let (inside, outside) = match (in_cluster.contains(&l.a), in_cluster.contains(&l.b)) {
                (true, false) => (l.a, l.b),
                (false, true) => (l.b, l.a),
                _ => continue,
            };
            let _ = inside;
            if let Err(why) = self.followable(l, o) {
                blocked.entry(i).or_insert(why);
                continue;
            }
            if !o.include_disputed {
                let conflict = self
                    .distinct_partners(outside, o)
                    .into_iter()
                    .find(|(p, _)| in_cluster.contains(p));
                if let Some((p, di)) = conflict {
                    let d = &self.links[di];
                    blocked.entry(i).or_insert(format!(
                        "{} is claimed distinct from {} by {} ({})",
                        self.names[outside].name,
                        self.names[p].name,
                        d.source.as_deref().unwrap_or("unknown source"),
                        d.id
                    ));
                    continue;
                }
            }
            in_cluster.insert(outside);
            order.push(outside);
            parent.insert(outside, i);
            push(&mut heap, outside);
        }
        (order, parent, blocked)
    }

    /// The cluster of names reachable from `start` under `o`.
    pub fn cluster(&self, start: usize, o: Options) -> Cluster {
        let (order, parent, blocked) = self.grow(start, o);
        let members: HashSet<usize> = order.iter().copied().collect();
        let mut out_members: Vec<ClusterMember> =
            order.iter().map(|&n| self.member(n, true)).collect();
        let mut seen_links = HashSet::new();
        let mut links = Vec::new();
        let mut outside_named = HashSet::new();
        for &n in &order {
            for &i in &self.adj[n] {
                if !seen_links.insert(i) {
                    continue;
                }
                let mut l = self.links[i].clone();
                let both = members.contains(&l.a) && members.contains(&l.b);
                l.followed =
                    parent.values().any(|&p| p == i) || (both && self.followable(&l, o).is_ok());
                if !l.followed {
                    l.blocked_because = blocked
                        .get(&i)
                        .cloned()
                        .or_else(|| self.followable(&l, o).err());
                }
                for end in [l.a, l.b] {
                    if !members.contains(&end) && outside_named.insert(end) {
                        out_members.push(self.member(end, false));
                    }
                }
                links.push(l);
            }
        }
        Cluster {
            members: out_members,
            links,
        }
    }

    fn member(&self, n: usize, followed: bool) -> ClusterMember {
        let node = &self.names[n];
        ClusterMember {
            name: node.name.clone(),
            id: self.representative(n).map(str::to_owned),
            vendor: node.vendor.clone(),
            vendor_basis: node.vendor_basis,
            followed,
        }
    }

    /// Stored actor objects grouped into the same actor by followed same-as links
    /// only (overlaps-with never merges here): links are taken best confidence
    /// first, must pass `o`, and never join two groups between which some source
    /// claims a distinct-from (unless `include_disputed`). Objects carrying the same
    /// name are one group. Each group lists object ids, the primary objects of its
    /// names in name order (ATT&CK first within a name).
    pub fn same_as_groups(&self, o: Options) -> Vec<Vec<String>> {
        let n = self.names.len();
        let mut parent: Vec<usize> = (0..n).collect();
        fn root(p: &mut [usize], mut x: usize) -> usize {
            while p[x] != x {
                p[x] = p[p[x]];
                x = p[x];
            }
            x
        }
        let mut order: Vec<usize> = (0..self.links.len())
            .filter(|&i| self.links[i].claim_kind == ClaimKind::SameAs)
            .collect();
        order.sort_by_key(|&i| std::cmp::Reverse(self.links[i].confidence));
        let distinct: Vec<(usize, usize)> = self
            .links
            .iter()
            .filter(|l| l.claim_kind == ClaimKind::DistinctFrom && l.confidence >= o.min_confidence)
            .map(|l| (l.a, l.b))
            .collect();
        for i in order {
            let l = &self.links[i];
            if self.followable(l, o).is_err() {
                continue;
            }
            let (ra, rb) = (root(&mut parent, l.a), root(&mut parent, l.b));
            if ra == rb {
                continue;
            }
            if !o.include_disputed {
                let conflict = distinct.iter().any(|&(x, y)| {
                    let (rx, ry) = (root(&mut parent, x), root(&mut parent, y));
                    (rx == ra && ry == rb) || (rx == rb && ry == ra)
                });
                if conflict {
                    continue;
                }
            }
            parent[rb] = ra;
        }
        let mut groups: Vec<Vec<String>> = Vec::new();
        let mut at: HashMap<usize, usize> = HashMap::new();
        for node in 0..n {
            if self.names[node].primary.is_empty() {
                continue;
            }
            let r = root(&mut parent, node);
            let gi = *at.entry(r).or_insert_with(|| {
                groups.push(Vec::new());
                groups.len() - 1
            });
            for id in &self.names[node].primary {
                if !groups[gi].contains(id) {
                    groups[gi].push(id.clone());
                }
            }
        }
        groups
    }

    /// How `a` and `b` are connected under `o`, and what blocks them otherwise.
    pub fn why(&self, a: usize, b: usize, o: Options) -> Why {
        let path = |o: Options| -> Option<Vec<Link>> {
            let (_, parent, _) = self.grow(a, o);
            if a == b {
                return Some(Vec::new());
            }
            let mut cur = b;
            let mut out = Vec::new();
            while cur != a {
                let &i = parent.get(&cur)?;
                let mut l = self.links[i].clone();
                l.followed = true;
                cur = if l.a == cur { l.b } else { l.a };
                out.push(l);
            }
            out.reverse();
            Some(out)
        };
        if let Some(p) = path(o) {
            return Why {
                connected: true,
                paths: vec![p],
                blocked: Vec::new(),
            };
        }
        let relaxed = Options {
            min_confidence: 0,
            include_disputed: true,
        };
        let mut blocked = Vec::new();
        if let Some(p) = path(relaxed) {
            let on_path: HashSet<usize> = p.iter().flat_map(|l| [l.a, l.b]).collect();
            for mut l in p {
                l.followed = false;
                match self.followable(&l, o) {
                    Err(why) => l.blocked_because = Some(why),
                    Ok(()) => l.blocked_because = Some("connects names claimed distinct".into()),
                }
                blocked.push(l);
            }
            for l in &self.links {
                if l.claim_kind == ClaimKind::DistinctFrom
                    && on_path.contains(&l.a)
                    && on_path.contains(&l.b)
                {
                    let mut l = l.clone();
                    l.blocked_because = Some("a distinct-from claim is never followed".into());
                    blocked.push(l);
                }
            }
        }
        Why {
            connected: false,
            paths: Vec::new(),
            blocked,
        }
    }
}
