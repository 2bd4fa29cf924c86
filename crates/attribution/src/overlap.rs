//! Overlap ranking: which known intrusion set best explains what was observed?
//!
//! The model is a two-part mixture. An observed item (technique, software, CVE,
//! targeted sector or country, indicator) was either shown by the actor — then it is
//! one of the actor's known items, each equally likely — or it is background, drawn
//! by how common the item is across all known actors (ubiquitous techniques such as
//! T1059 are likely background, rare ones are not). For candidate `g` with `n_g`
//! known items and an observed item `i` of global frequency `q_i`:
//!
//! ```text
//! P(i | g) = (1 - e) * m(g, i) / n_g + e * q_i        m = 1 if g uses i,
//!                                                     beta if only a sibling/parent
//!                                                     technique, else 0
//! score(g) = sum over observed i of ln(P(i | g) / (e * q_i))   (log-likelihood ratio
//!            against "all of it is background"; only shared items add to it)
//! probability(g) = exp(score(g) / T) / sum over all candidates of exp(score / T)
//! ```
//!
//! Rarer items weigh more (small `q_i`), and actors with very large profiles do not
//! win by matching everything (the `1 / n_g` term). `T` (temperature) was fitted
//! on benchmark seeds other than those reported so that reported probabilities
//! match observed top-1 accuracy (`BENCHMARKS.md`). The probability assumes the
//! actor is one of the known candidates (a uniform prior over them); an actor not
//! in the store cannot be recognised.
//!
//! Candidates are the stored intrusion sets and threat actors, merged when followed
//! same-as links make them one actor ([`ActorGraph::same_as_groups`]). The store is
//! read with typed partial parses (only the few properties needed are built).

use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

use crate::actors::{ActorGraph, Options};
use stormwatch_model::normalize_name;
use stormwatch_store::{ExportFilter, Store};

/// Share of observed items assumed to be background (not specific to the actor).
pub const NOISE: f64 = 0.35;
/// Credit for a technique when the candidate uses only its parent or a sibling.
pub const FAMILY_CREDIT: f64 = 0.25;
/// Softmax temperature fitted on calibration seeds (BENCHMARKS.md, "Attribution").
pub const TEMPERATURE: f64 = 0.9;
/// Spread of the actor-specific item count (items).
pub const COUNT_SPREAD: f64 = 1.0;
/// Beta prior (a, b) on the background share: Beta(1, 1) is uniform.
pub const NOISE_PRIOR: (u32, u32) = (1, 1);
/// Additive smoothing of item frequencies (items no actor uses stay possible).
pub const SMOOTHING: f64 = 0.1;

/// Scoring parameters.
#[derive(Debug, Clone, Copy)]
pub struct Params {
    pub noise: f64,
    pub family_credit: f64,
    pub temperature: f64,
    pub smoothing: f64,
    /// Beta(a, b) prior on the background share, integrated out (the analyst rarely
    /// knows how much of an observation is common background); `noise` is then only
    /// used for the related-technique bonus and the per-item weights shown.
    pub noise_prior: Option<(u32, u32)>,
    /// Spread (in items) of the number of actor-specific items around `(1 - noise)
    /// x N`: the count is modelled as a discretised normal instead of the binomial
    /// an independent per-item choice would give. `None`: binomial.
    pub count_spread: Option<f64>,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            noise: NOISE,
            family_credit: FAMILY_CREDIT,
            temperature: TEMPERATURE,
            smoothing: SMOOTHING,
            noise_prior: None,
            count_spread: Some(COUNT_SPREAD),
        }
    }
}

/// What kind of observation an item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ItemKind {
    Technique,
    Software,
    Cve,
    Sector,
    Country,
    Indicator,
}

impl ItemKind {
    pub const ALL: [ItemKind; 6] = [
        ItemKind::Technique,
        ItemKind::Software,
        ItemKind::Cve,
        ItemKind::Sector,
        ItemKind::Country,
        ItemKind::Indicator,
    ];

    fn index(self) -> usize {
        self as usize
    }

    pub fn name(self) -> &'static str {
        match self {
            ItemKind::Technique => "technique",
            ItemKind::Software => "software",
            ItemKind::Cve => "cve",
            ItemKind::Sector => "sector",
            ItemKind::Country => "country",
            ItemKind::Indicator => "indicator",
        }
    }
}

/// One known item.
#[derive(Debug, Clone)]
pub struct ItemInfo {
    /// External id (T1190, S1206, CVE-2023-20198), the sector or country name, or
    /// the indicator value; the software name when it has no external id.
    pub key: String,
    pub name: Option<String>,
    pub kind: ItemKind,
}

/// One candidate actor (one or more stored objects).
#[derive(Debug, Clone)]
pub struct Group {
    /// STIX id of the representative object (ATT&CK when present).
    pub id: String,
    pub external_id: Option<String>,
    pub name: String,
    /// Every stored object merged into this candidate.
    pub members: Vec<String>,
    /// Item indexes, sorted, deduplicated.
    pub items: Vec<u32>,
    /// Number of items of each kind (in [`ItemKind::ALL`] order).
    pub per_kind: [u32; 6],
}

/// Everything needed to rank, built once from the store.
#[derive(Debug, Clone, Default)]
pub struct Index {
    pub items: Vec<ItemInfo>,
    lookup: HashMap<(ItemKind, String), u32>,
    item_of_object: HashMap<String, u32>,
    pub groups: Vec<Group>,
    postings: Vec<Vec<u32>>,
    family: HashMap<String, Vec<u32>>,
    /// Number of candidates using each item.
    pub df: Vec<u32>,
    /// Sum of `df` over each technique family (a technique and its sub-techniques).
    family_df: HashMap<String, f64>,
    df_total: f64,
}

/// What was observed, as the user wrote it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Observation {
    pub ttp: Vec<String>,
    pub software: Vec<String>,
    pub indicator: Vec<String>,
    pub cve: Vec<String>,
    pub sector: Vec<String>,
    pub country: Vec<String>,
}

impl Observation {
    /// Total number of values given.
    pub fn len(&self) -> usize {
        self.ttp.len()
            + self.software.len()
            + self.indicator.len()
            + self.cve.len()
            + self.sector.len()
            + self.country.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds a value of unstated kind, classified by its shape: `T1234[.567]` and
    /// `TA1234` are ATT&CK ids, `S1234` software, `CVE-...` a CVE, anything else
    /// an indicator value.
    pub fn push_guess(&mut self, v: &str) {
        let v = v.trim();
        if v.is_empty() {
            return;
        }
        let u = v.to_ascii_uppercase();
        if is_technique_id(&u) || is_tactic_id(&u) {
            self.ttp.push(v.to_owned());
        } else if u.len() == 5 && u.starts_with('S') && u[1..].bytes().all(|b| b.is_ascii_digit()) {
            self.software.push(v.to_owned());
        } else if u.starts_with("CVE-") {
            self.cve.push(v.to_owned());
        } else {
            self.indicator.push(v.to_owned());
        }
    }
}

impl Observation {
    /// Reads observations from a file's text: a JSON object with the lists `ttp`,
    /// `software`, `indicator`, `cve`, `sector`, `country` (plural spellings and
    /// `techniques` accepted); a JSON array of values; JSON lines from `hunt`
    /// (`indicator_value`); CSV with a header `kind,value`; or one value a line
    /// (classified by shape). Errors name the line.
    pub fn parse_text(text: &str) -> Result<Observation, String> {
        let mut o = Observation::default();
        let t = text.trim_start_matches('\u{feff}').trim();
        if t.starts_with('{') || t.starts_with('[') {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(t) {
                o.add_json(&v, 1)?;
                return Ok(o);
            }
            // JSON lines.
            for (n, line) in t.lines().enumerate() {
                let line = line.trim();
                if line.is_empty() {
                    continue;
                }
                let v: serde_json::Value = serde_json::from_str(line)
                    .map_err(|e| format!("line {}: not JSON: {e}", n + 1))?;
                o.add_json(&v, n + 1)?;
            }
            return Ok(o);
        }
        let mut lines = t.lines().enumerate();
        let first = t.lines().next().unwrap_or("").to_ascii_lowercase();
        let csv_header = first.replace(' ', "");
        if csv_header == "kind,value" || csv_header == "type,value" {
            lines.next();
            for (n, line) in lines {
                if line.trim().is_empty() {
                    continue;
                }
                let Some((k, v)) = line.split_once(',') else {
                    return Err(format!("line {}: expected KIND,VALUE", n + 1));
                };
                o.add_kind(k.trim(), v.trim().trim_matches('"'), n + 1)?;
            }
            return Ok(o);
        }
        for (_, line) in lines {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            for v in line.split(',') {
                o.push_guess(v);
            }
        }
        Ok(o)
    }

    fn add_kind(&mut self, kind: &str, v: &str, line: usize) -> Result<(), String> {
        let list = match kind.to_ascii_lowercase().as_str() {
            "ttp" | "ttps" | "technique" | "techniques" | "attack-pattern" => &mut self.ttp,
            "software" | "malware" | "tool" => &mut self.software,
            "indicator" | "indicators" | "ioc" | "iocs" => &mut self.indicator,
            "cve" | "cves" | "vulnerability" => &mut self.cve,
            "sector" | "sectors" => &mut self.sector,
            "country" | "countries" => &mut self.country,
            other => {
                return Err(format!(
                    "line {line}: unknown kind {other:?} (use ttp, software, indicator, cve, sector or country)"
                ))
            }
        };
        list.push(v.to_owned());
        Ok(())
    }

    fn add_json(&mut self, v: &serde_json::Value, line: usize) -> Result<(), String> {
        use serde_json::Value;
        match v {
            Value::Array(a) => {
                for x in a {
                    match x {
                        Value::String(s) => self.push_guess(s),
                        other => self.add_json(other, line)?,
                    }
                }
            }
            Value::Object(m) => {
                if let Some(iv) = m.get("indicator_value").and_then(Value::as_str) {
                    self.indicator.push(iv.to_owned());
                    return Ok(());
                }
                for (k, val) in m {
                    let vals: Vec<&str> = match val {
                        Value::String(s) => s.split(',').collect(),
                        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                        _ => {
                            return Err(format!(
                                "line {line}: key {k:?}: expected a string or a list of strings"
                            ))
                        }
                    };
                    for x in vals {
                        self.add_kind(k, x.trim(), line)
                            .map_err(|e| e.replace("unknown kind", "unknown key"))?;
                    }
                }
            }
            _ => return Err(format!("line {line}: expected a JSON object or array")),
        }
        Ok(())
    }
}

/// An observed value that was not used, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Ignored {
    pub value: String,
    pub kind: ItemKind,
    pub reason: String,
}

/// A shared item that raised a candidate's score.
#[derive(Debug, Clone, Serialize)]
pub struct Shared {
    /// External id (T1190, S1206...), or the name/value when there is none.
    pub id: String,
    pub name: Option<String>,
    pub kind: ItemKind,
    /// Contribution to the score (natural log of the likelihood ratio).
    pub weight: f64,
    /// `exact`, or `related-technique` when only a parent or sibling is used.
    #[serde(rename = "match")]
    pub matched: &'static str,
}

/// One ranked candidate.
#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    pub id: String,
    pub external_id: Option<String>,
    pub name: String,
    pub members: Vec<String>,
    pub score: f64,
    pub probability: f64,
    pub shared: Vec<Shared>,
    /// How many items the candidate's profile has.
    pub profile_items: usize,
}

/// The answer to "who does this look like?".
#[derive(Debug, Clone, Serialize)]
pub struct Ranking {
    pub candidates: Vec<Candidate>,
    /// Values that were not known, as written.
    pub ignored: Vec<String>,
    /// The same, with kind and reason.
    pub ignored_detail: Vec<Ignored>,
    /// Known observed items (display ids).
    pub used: Vec<String>,
    /// Candidates ranked (including those sharing nothing).
    pub candidates_total: usize,
}

fn is_technique_id(u: &str) -> bool {
    let b = u.as_bytes();
    let base = b.len() >= 5 && b[0] == b'T' && b[1..5].iter().all(u8::is_ascii_digit);
    base && (b.len() == 5
        || (b.len() == 9 && b[5] == b'.' && b[6..9].iter().all(u8::is_ascii_digit)))
}

fn is_tactic_id(u: &str) -> bool {
    let b = u.as_bytes();
    b.len() == 6 && u.starts_with("TA") && b[2..].iter().all(u8::is_ascii_digit)
}

fn technique_root(key: &str) -> &str {
    key.split_once('.').map_or(key, |(r, _)| r)
}

#[derive(Deserialize)]
struct ExtRef {
    source_name: Option<String>,
    external_id: Option<String>,
}

#[derive(Deserialize)]
struct ObjFields {
    name: Option<String>,
    external_references: Option<Vec<ExtRef>>,
    x_mitre_deprecated: Option<bool>,
    pattern: Option<String>,
}

impl ObjFields {
    fn ext_id(&self, source: &str) -> Option<String> {
        self.external_references
            .iter()
            .flatten()
            .find(|r| r.source_name.as_deref() == Some(source))
            .and_then(|r| r.external_id.clone())
    }
}

/// The values compared for equality in a STIX pattern (`... = 'value'`).
pub fn pattern_values(pattern: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = pattern;
    while let Some(eq) = rest.find('=') {
        rest = &rest[eq + 1..];
        let t = rest.trim_start();
        if let Some(body) = t.strip_prefix('\'') {
            let mut v = String::new();
            let mut chars = body.char_indices();
            let mut end = body.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, n)) = chars.next() {
                            v.push(n);
                        }
                    }
                    '\'' => {
                        end = i + 1;
                        break;
                    }
                    _ => v.push(c),
                }
            }
            out.push(v);
            rest = &body[end.min(body.len())..];
        }
    }
    out
}

/// The ATT&CK id of a technique or software when the first external id is another
/// (e.g. a CAPEC reference listed first).
fn attack_id(
    store: &dyn Store,
    type_name: &str,
    id: &str,
    first: Option<String>,
) -> stormwatch_store::Result<Option<String>> {
    let fits = |e: &str| match type_name {
        "attack-pattern" => is_technique_id(&e.to_ascii_uppercase()),
        "malware" | "tool" => {
            e.len() == 5 && e.starts_with('S') && e[1..].bytes().all(|b| b.is_ascii_digit())
        }
        _ => true,
    };
    if first.as_deref().is_none_or(fits) {
        return Ok(first);
    }
    Ok(store
        .external_ids(id)?
        .into_iter()
        .map(|(_, e)| e)
        .find(|e| fits(e))
        .or(first))
}

fn norm_key(kind: ItemKind, v: &str) -> String {
    match kind {
        ItemKind::Technique | ItemKind::Cve => v.trim().to_ascii_uppercase(),
        ItemKind::Indicator => v.trim().to_ascii_lowercase(),
        _ => normalize_name(v),
    }
}

impl Index {
    fn item(&mut self, kind: ItemKind, key: &str, name: Option<&str>, alt: &[&str]) -> u32 {
        let nk = norm_key(kind, key);
        let i = match self.lookup.get(&(kind, nk.clone())) {
            Some(&i) => i,
            None => {
                let found = alt
                    .iter()
                    .find_map(|a| self.lookup.get(&(kind, norm_key(kind, a))).copied());
                match found {
                    Some(i) => i,
                    None => {
                        let i = self.items.len() as u32;
                        self.items.push(ItemInfo {
                            key: key.to_owned(),
                            name: name.map(str::to_owned),
                            kind,
                        });
                        i
                    }
                }
            }
        };
        self.lookup.entry((kind, nk)).or_insert(i);
        for a in alt {
            let k = norm_key(kind, a);
            if !k.is_empty() {
                self.lookup.entry((kind, k)).or_insert(i);
            }
        }
        i
    }

    /// The item a stored object stands for (registering it when new).
    fn item_for(
        &mut self,
        type_name: &str,
        id: &str,
        ext: Option<&str>,
        name: Option<&str>,
    ) -> Option<u32> {
        if let Some(&i) = self.item_of_object.get(id) {
            return Some(i);
        }
        let i = match type_name {
            "attack-pattern" => {
                let key = ext
                    .map(str::to_ascii_uppercase)
                    .filter(|k| is_technique_id(k))
                    .or_else(|| {
                        // Advisory files put the id only in the name: "... [T1569] (ENT)".
                        let n = name?;
                        let s = n.find('[')? + 1;
                        let e = s + n[s..].find(']')?;
                        let k = n[s..e].to_ascii_uppercase();
                        is_technique_id(&k).then_some(k)
                    })?;
                let nm = if ext.is_some() { name } else { None };
                let i = self.item(ItemKind::Technique, &key, nm, &[]);
                if self.items[i as usize].name.is_none() {
                    self.items[i as usize].name = nm.map(str::to_owned);
                }
                i
            }
            "malware" | "tool" => {
                let n = name?;
                let key = ext.filter(|e| e.starts_with('S')).unwrap_or(n);
                self.item(ItemKind::Software, key, Some(n), &[n])
            }
            "vulnerability" => {
                let c = ext
                    .filter(|e| e.to_ascii_uppercase().starts_with("CVE-"))
                    .or(name.filter(|n| n.to_ascii_uppercase().starts_with("CVE-")))?
                    .to_ascii_uppercase();
                self.item(ItemKind::Cve, &c, name, &[])
            }
            "identity" => {
                let n = name?;
                self.item(ItemKind::Sector, n, Some(n), &[])
            }
            "location" => {
                let n = name?;
                self.item(ItemKind::Country, &n.to_ascii_uppercase(), Some(n), &[n])
            }
            _ => return None,
        };
        self.item_of_object.insert(id.to_owned(), i);
        Some(i)
    }

    /// Builds the index from the store: actor objects (merged by followed same-as
    /// links under `o`), and their `uses` (techniques, software), `targets` and
    /// `exploits` (CVEs, sectors, countries) and incoming `indicates` relationships.
    /// Revoked actors, relationships and items are left out (deprecated actors too;
    /// ATT&CK 18.1 has no live relationship to a deprecated item). The relationships
    /// are read through the store's edge index, without their JSON (ATT&CK's
    /// relationship descriptions are ~29 MB).
    pub fn load(
        store: &dyn Store,
        graph: &ActorGraph,
        o: Options,
    ) -> stormwatch_store::Result<Index> {
        let mut ix = Index::default();
        let live: HashSet<String> = store
            .names_of_type(&[
                "attack-pattern",
                "malware",
                "tool",
                "vulnerability",
                "identity",
                "location",
            ])?
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        let mut actor_ext: HashMap<String, (Option<String>, String)> = HashMap::new();
        let filter = ExportFilter {
            types: ["intrusion-set", "threat-actor"]
                .iter()
                .map(|t| (*t).to_owned())
                .collect(),
            ..Default::default()
        };
        store.export(&filter, &mut |so| {
            if so.revoked || so.deprecated {
                return Ok(());
            }
            if let Ok(f) = serde_json::from_str::<ObjFields>(&so.json) {
                if f.x_mitre_deprecated != Some(true) {
                    let name = f.name.clone().unwrap_or_else(|| so.id.clone());
                    actor_ext.insert(so.id.clone(), (f.ext_id("mitre-attack"), name));
                }
            }
            Ok(())
        })?;
        let mut groups: Vec<Group> = Vec::new();
        let mut pending_indicators: Vec<(String, usize)> = Vec::new();
        for members in graph.same_as_groups(o) {
            let members: Vec<String> = members
                .into_iter()
                .filter(|m| actor_ext.contains_key(m))
                .collect();
            let Some(rep) = members
                .iter()
                .find(|m| actor_ext[*m].0.is_some())
                .or(members.first())
                .cloned()
            else {
                continue;
            };
            let gi = groups.len();
            let mut items = Vec::new();
            for m in &members {
                for r in store.relationships(m)? {
                    let out = r.direction == stormwatch_store::Direction::Outgoing;
                    let t = r.other_type.as_str();
                    let wanted = match r.kind.as_str() {
                        "uses" => out && matches!(t, "attack-pattern" | "malware" | "tool"),
                        "targets" | "exploits" => {
                            out && matches!(t, "vulnerability" | "identity" | "location")
                        }
                        "indicates" => {
                            if !out && t == "indicator" {
                                pending_indicators.push((r.other_id.clone(), gi));
                            }
                            false
                        }
                        _ => false,
                    };
                    if !wanted || !live.contains(&r.other_id) {
                        continue;
                    }
                    let ext = if ix.item_of_object.contains_key(&r.other_id) {
                        None
                    } else {
                        attack_id(store, t, &r.other_id, r.other_external_id)?
                    };
                    if let Some(i) =
                        ix.item_for(t, &r.other_id, ext.as_deref(), r.other_name.as_deref())
                    {
                        items.push(i);
                    }
                }
            }
            let (ext, name) = actor_ext[&rep].clone();
            groups.push(Group {
                id: rep,
                external_id: ext,
                name,
                members,
                items,
                per_kind: [0; 6],
            });
        }
        for (ind, g) in pending_indicators {
            let Some(so) = store.get(&ind)? else { continue };
            if so.revoked {
                continue;
            }
            let Ok(f) = serde_json::from_str::<ObjFields>(&so.json) else {
                continue;
            };
            for v in pattern_values(f.pattern.as_deref().unwrap_or("")) {
                let i = ix.item(ItemKind::Indicator, &v, None, &[]);
                groups[g].items.push(i);
            }
        }
        for g in &mut groups {
            g.items.sort_unstable();
            g.items.dedup();
        }
        groups.retain(|g| !g.items.is_empty());
        groups.sort_by(|a, b| {
            (a.external_id.is_none(), &a.external_id, &a.name).cmp(&(
                b.external_id.is_none(),
                &b.external_id,
                &b.name,
            ))
        });
        ix.groups = groups;
        ix.finish();
        Ok(ix)
    }

    /// Looks up in the store the observed values the index does not know (software
    /// aliases, techniques no actor uses, CVEs of no actor): known values become
    /// items no candidate shares (they count as observed but raise no one); the rest
    /// stay unknown. Call before [`Index::rank`].
    pub fn learn(&mut self, store: &dyn Store, obs: &Observation) -> stormwatch_store::Result<()> {
        let mut added = false;
        let lists = [
            (ItemKind::Technique, &obs.ttp),
            (ItemKind::Software, &obs.software),
            (ItemKind::Cve, &obs.cve),
            (ItemKind::Sector, &obs.sector),
            (ItemKind::Country, &obs.country),
        ];
        for (kind, values) in lists {
            for v in values {
                let v = v.trim();
                if v.is_empty() || self.lookup.contains_key(&(kind, norm_key(kind, v))) {
                    continue;
                }
                if kind == ItemKind::Technique && !is_technique_id(&v.to_ascii_uppercase()) {
                    continue;
                }
                for so in store.resolve(v)? {
                    if so.revoked || so.deprecated {
                        continue;
                    }
                    let ok = match kind {
                        ItemKind::Technique => so.type_name == "attack-pattern",
                        ItemKind::Software => matches!(so.type_name.as_str(), "malware" | "tool"),
                        ItemKind::Cve => so.type_name == "vulnerability",
                        ItemKind::Sector => so.type_name == "identity",
                        ItemKind::Country => so.type_name == "location",
                        ItemKind::Indicator => false,
                    };
                    if !ok {
                        continue;
                    }
                    let first = store
                        .external_ids(&so.id)?
                        .into_iter()
                        .next()
                        .map(|(_, e)| e);
                    let ext = attack_id(store, &so.type_name, &so.id, first)?;
                    if let Some(i) =
                        self.item_for(&so.type_name, &so.id, ext.as_deref(), so.name.as_deref())
                    {
                        // Also under the spelling the user wrote (an alias).
                        self.lookup.entry((kind, norm_key(kind, v))).or_insert(i);
                        added = true;
                        break;
                    }
                }
            }
        }
        if added {
            self.finish();
        }
        Ok(())
    }

    /// Postings, families and frequencies from `groups`.
    fn finish(&mut self) {
        self.postings = vec![Vec::new(); self.items.len()];
        self.df = vec![0; self.items.len()];
        self.family.clear();
        for g in &mut self.groups {
            g.per_kind = [0; 6];
            for &i in &g.items {
                g.per_kind[self.items[i as usize].kind.index()] += 1;
            }
        }
        for (gi, g) in self.groups.iter().enumerate() {
            let mut roots: Vec<&str> = Vec::new();
            for &i in &g.items {
                self.postings[i as usize].push(gi as u32);
                self.df[i as usize] += 1;
                let it = &self.items[i as usize];
                if it.kind == ItemKind::Technique {
                    roots.push(technique_root(&it.key));
                }
            }
            roots.sort_unstable();
            roots.dedup();
            for r in roots {
                self.family.entry(r.to_owned()).or_default().push(gi as u32);
            }
        }
        self.df_total = self.df.iter().map(|&d| d as f64).sum();
        self.family_df.clear();
        for (i, it) in self.items.iter().enumerate() {
            if it.kind == ItemKind::Technique {
                *self
                    .family_df
                    .entry(technique_root(&it.key).to_owned())
                    .or_default() += self.df[i] as f64;
            }
        }
    }

    /// Background probability of "some technique of this family" (a related match
    /// is only as telling as the family is rare).
    fn q_family(&self, key: &str, p: &Params) -> f64 {
        let v = self.items.len().max(1) as f64;
        let d = self
            .family_df
            .get(technique_root(key))
            .copied()
            .unwrap_or(0.0);
        (d + p.smoothing) / (self.df_total + p.smoothing * v)
    }

    /// An index from explicit groups (tests and benchmarks): `groups` are (name,
    /// item keys); keys shaped like technique ids are techniques, others software.
    pub fn from_groups(groups: &[(&str, Vec<&str>)]) -> Index {
        let mut ix = Index::default();
        for (name, keys) in groups {
            let mut items: Vec<u32> = keys
                .iter()
                .map(|k| {
                    let kind = if is_technique_id(&k.to_ascii_uppercase()) {
                        ItemKind::Technique
                    } else {
                        ItemKind::Software
                    };
                    ix.item(kind, k, None, &[])
                })
                .collect();
            items.sort_unstable();
            items.dedup();
            ix.groups.push(Group {
                id: format!("intrusion-set--{name}"),
                external_id: Some((*name).to_owned()),
                name: (*name).to_owned(),
                members: vec![format!("intrusion-set--{name}")],
                items,
                per_kind: [0; 6],
            });
        }
        ix.finish();
        ix
    }

    /// Background probability of an item (smoothed share of all uses).
    pub fn q(&self, i: u32, p: &Params) -> f64 {
        let v = self.items.len().max(1) as f64;
        (self.df[i as usize] as f64 + p.smoothing) / (self.df_total + p.smoothing * v)
    }

    /// Resolves what the user wrote to known items; the rest is ignored with a reason.
    pub fn resolve(&self, obs: &Observation) -> (Vec<u32>, Vec<Ignored>) {
        let mut known: Vec<u32> = Vec::new();
        let mut ignored = Vec::new();
        let lists = [
            (ItemKind::Technique, &obs.ttp),
            (ItemKind::Software, &obs.software),
            (ItemKind::Indicator, &obs.indicator),
            (ItemKind::Cve, &obs.cve),
            (ItemKind::Sector, &obs.sector),
            (ItemKind::Country, &obs.country),
        ];
        for (kind, values) in lists {
            for v in values {
                let v = v.trim();
                if v.is_empty() {
                    continue;
                }
                let u = v.to_ascii_uppercase();
                let why = |reason: &str| Ignored {
                    value: v.to_owned(),
                    kind,
                    reason: reason.to_owned(),
                };
                if kind == ItemKind::Technique && is_tactic_id(&u) {
                    ignored.push(why("an ATT&CK tactic, not a technique: tactics do not discriminate between actors"));
                    continue;
                }
                if kind == ItemKind::Technique && !is_technique_id(&u) {
                    ignored.push(why("not an ATT&CK technique id (T1234 or T1234.567)"));
                    continue;
                }
                match self.lookup.get(&(kind, norm_key(kind, v))) {
                    Some(&i) => {
                        if !known.contains(&i) {
                            known.push(i);
                        }
                    }
                    None => ignored.push(why(match kind {
                        ItemKind::Technique => {
                            "unknown technique id (not in the store's ATT&CK data, or revoked)"
                        }
                        ItemKind::Software => "unknown software id or name",
                        ItemKind::Indicator => "not an indicator attributed to any stored actor",
                        ItemKind::Cve => "unknown CVE (no vulnerability object in the store)",
                        ItemKind::Sector => "unknown sector",
                        ItemKind::Country => "unknown country",
                    })),
                }
            }
        }
        (known, ignored)
    }

    /// Which kinds an observation has.
    fn kinds(&self, observed: &[u32]) -> [bool; 6] {
        let mut m = [false; 6];
        for &i in observed {
            m[self.items[i as usize].kind.index()] = true;
        }
        m
    }

    /// Profile size of a candidate counting only the kinds observed (a technique
    /// list is drawn from the technique profile, not from the CVEs).
    fn size(&self, g: usize, kinds: &[bool; 6]) -> f64 {
        let s: u32 = (0..6)
            .filter(|&k| kinds[k])
            .map(|k| self.groups[g].per_kind[k])
            .sum();
        f64::from(s.max(1))
    }

    /// `Q_g`: the background mass of each candidate's own items.
    fn own_mass(&self, p: &Params) -> Vec<f64> {
        self.groups
            .iter()
            .map(|g| {
                g.items
                    .iter()
                    .map(|&i| self.q(i, p))
                    .sum::<f64>()
                    .min(0.999)
            })
            .collect()
    }

    /// Scores of every candidate for known observed items. Per candidate, with `k`
    /// of the `N` observed items in its profile of `n` items:
    /// `sum_{j<k} ln((1-e)/(n-j)) - sum_shared ln q_i + (N-k) ln(e/(1-Q_g))`, plus
    /// a bonus for techniques whose parent or sibling it uses.
    pub fn scores(&self, observed: &[u32], p: &Params) -> Vec<f64> {
        let g_n = self.groups.len();
        let mut k = vec![0u32; g_n];
        let mut lq = vec![0.0; g_n];
        let mut fam: Vec<(u32, f64)> = Vec::new();
        for &i in observed {
            let q = self.q(i, p);
            for &g in &self.postings[i as usize] {
                k[g as usize] += 1;
                lq[g as usize] += q.ln();
            }
            let it = &self.items[i as usize];
            if it.kind == ItemKind::Technique && p.family_credit > 0.0 {
                if let Some(f) = self.family.get(technique_root(&it.key)) {
                    let exact = &self.postings[i as usize];
                    let qf = self.q_family(&it.key, p);
                    for &g in f {
                        if exact.binary_search(&g).is_err() {
                            fam.push((g, qf));
                        }
                    }
                }
            }
        }
        let mass = self.own_mass(p);
        let kinds = self.kinds(observed);
        let n_obs = observed.len() as f64;
        let mut s: Vec<f64> = (0..g_n)
            .map(|g| {
                let n = self.size(g, &kinds);
                let kg = k[g] as f64;
                let draws: f64 = (0..k[g]).map(|j| -(n - j as f64).max(1.0).ln()).sum();
                let mix = match p.noise_prior {
                    // ln of the integral of (1-e)^k e^(N-k) Beta(e; a, b) de.
                    Some((a, b)) => {
                        let lf = |m: u32| (1..=m).map(|x| (x as f64).ln()).sum::<f64>();
                        let (ku, nk) = (k[g], observed.len() as u32 - k[g]);
                        lf(ku + b - 1) + lf(nk + a - 1)
                            - lf(observed.len() as u32 + a + b - 1)
                            - (lf(a - 1) + lf(b - 1) - lf(a + b - 1))
                    }
                    None => match p.count_spread {
                        Some(sd) => {
                            // At most a share (1 - e) of what the profile could show.
                            let d = ((1.0 - p.noise) * n_obs.min(n) - kg).max(0.0);
                            kg * (1.0 - p.noise).ln() + (n_obs - kg) * p.noise.ln()
                                - d * d / (2.0 * sd * sd)
                        }
                        None => kg * (1.0 - p.noise).ln() + (n_obs - kg) * p.noise.ln(),
                    },
                };
                draws + mix - lq[g] - (n_obs - kg) * (1.0 - mass[g]).ln()
            })
            .collect();
        for (g, q) in fam {
            let n = self.size(g as usize, &kinds);
            let m = mass[g as usize];
            s[g as usize] +=
                (1.0 + (1.0 - p.noise) * p.family_credit * (1.0 - m) / (n * p.noise * q)).ln();
        }
        s
    }

    /// Softmax of scores / temperature over every candidate.
    pub fn probabilities(&self, scores: &[f64], p: &Params) -> Vec<f64> {
        let t = p.temperature.max(1e-6);
        let m = scores.iter().copied().fold(0.0_f64, f64::max);
        let e: Vec<f64> = scores.iter().map(|s| ((s - m) / t).exp()).collect();
        let z: f64 = e.iter().sum();
        e.into_iter()
            .map(|x| x / z.max(f64::MIN_POSITIVE))
            .collect()
    }

    /// Ranks every candidate; returns the `limit` best with a positive score.
    pub fn rank(&self, obs: &Observation, p: &Params, limit: usize) -> Ranking {
        let (known, ignored) = self.resolve(obs);
        let scores = self.scores(&known, p);
        let probs = self.probabilities(&scores, p);
        let mass = self.own_mass(p);
        let kinds = self.kinds(&known);
        let shares = |g: usize| {
            known.iter().any(|&i| {
                self.groups[g].items.binary_search(&i).is_ok()
                    || (self.items[i as usize].kind == ItemKind::Technique
                        && self
                            .family
                            .get(technique_root(&self.items[i as usize].key))
                            .is_some_and(|f| f.contains(&(g as u32))))
            })
        };
        let mut order: Vec<usize> = (0..self.groups.len()).filter(|&g| shares(g)).collect();
        order.sort_by(|&a, &b| {
            scores[b]
                .total_cmp(&scores[a])
                .then_with(|| self.groups[a].name.cmp(&self.groups[b].name))
        });
        order.truncate(limit);
        let candidates = order
            .into_iter()
            .map(|g| {
                let grp = &self.groups[g];
                let n = self.size(g, &kinds);
                let k = known
                    .iter()
                    .filter(|&&i| grp.items.binary_search(&i).is_ok())
                    .count();
                // Geometric mean of n, n-1, ... n-k+1: the profile size each shared
                // item was drawn from.
                let n_eff = ((0..k).map(|j| (n - j as f64).max(1.0).ln()).sum::<f64>()
                    / k.max(1) as f64)
                    .exp();
                let odds = (1.0 - p.noise) * (1.0 - mass[g]) / p.noise;
                let mut shared: Vec<Shared> = known
                    .iter()
                    .filter_map(|&i| {
                        let it = &self.items[i as usize];
                        let q = self.q(i, p);
                        let (w, how) = if grp.items.binary_search(&i).is_ok() {
                            ((odds / (n_eff * q)).ln(), "exact")
                        } else if it.kind == ItemKind::Technique
                            && self
                                .family
                                .get(technique_root(&it.key))
                                .is_some_and(|f| f.contains(&(g as u32)))
                        {
                            (
                                (1.0 + odds * p.family_credit / (n * self.q_family(&it.key, p)))
                                    .ln(),
                                "related-technique",
                            )
                        } else {
                            return None;
                        };
                        Some(Shared {
                            id: it.key.clone(),
                            name: it.name.clone(),
                            kind: it.kind,
                            weight: round3(w),
                            matched: how,
                        })
                    })
                    .collect();
                shared.sort_by(|a, b| b.weight.total_cmp(&a.weight).then_with(|| a.id.cmp(&b.id)));
                Candidate {
                    id: grp.id.clone(),
                    external_id: grp.external_id.clone(),
                    name: grp.name.clone(),
                    members: grp.members.clone(),
                    score: round3(scores[g]),
                    probability: round4(probs[g]),
                    shared,
                    profile_items: grp.items.len(),
                }
            })
            .collect();
        Ranking {
            candidates,
            ignored: ignored.iter().map(|i| i.value.clone()).collect(),
            ignored_detail: ignored,
            used: known
                .iter()
                .map(|&i| self.items[i as usize].key.clone())
                .collect(),
            candidates_total: self.groups.len(),
        }
    }

    /// Baseline for comparison: cosine of TF-IDF vectors (binary term frequency,
    /// idf = ln(N / df)). Returns a score per candidate.
    pub fn tfidf_scores(&self, observed: &[u32]) -> Vec<f64> {
        let n = self.groups.len().max(1) as f64;
        let idf = |i: u32| {
            let d = self.df[i as usize].max(1) as f64;
            (n / d).ln()
        };
        let qn: f64 = observed.iter().map(|&i| idf(i).powi(2)).sum::<f64>().sqrt();
        let mut s = vec![0.0; self.groups.len()];
        for &i in observed {
            let w = idf(i).powi(2);
            for &g in &self.postings[i as usize] {
                s[g as usize] += w;
            }
        }
        for (g, v) in s.iter_mut().enumerate() {
            let gn: f64 = self.groups[g]
                .items
                .iter()
                .map(|&i| idf(i).powi(2))
                .sum::<f64>()
                .sqrt();
            if gn > 0.0 && qn > 0.0 {
                *v /= gn * qn;
            }
        }
        s
    }

    /// The item index of a display key of a kind (tests, benchmarks).
    pub fn find_item(&self, kind: ItemKind, key: &str) -> Option<u32> {
        self.lookup.get(&(kind, norm_key(kind, key))).copied()
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn round4(x: f64) -> f64 {
    (x * 10000.0).round() / 10000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ix() -> Index {
        Index::from_groups(&[
            ("G1", vec!["T1059", "T1190", "T1599", "S0001"]),
            (
                "G2",
                vec!["T1059", "T1190", "T1027", "T1105", "T1082", "T1083"],
            ),
            ("G3", vec!["T1059", "T1027", "T1105", "T1082"]),
        ])
    }

    #[test]
    fn rare_items_weigh_more_than_common_ones() {
        let ix = ix();
        let p = Params::default();
        let obs = Observation {
            ttp: vec!["T1059".into(), "T1599".into()],
            ..Default::default()
        };
        let r = ix.rank(&obs, &p, 10);
        assert_eq!(r.candidates[0].name, "G1");
        let g1 = &r.candidates[0].shared;
        let w = |id: &str| g1.iter().find(|s| s.id == id).unwrap().weight;
        assert!(w("T1599") > w("T1059"), "{g1:?}");
        let total: f64 = ix
            .probabilities(&ix.scores(&ix.resolve(&obs).0, &p), &p)
            .iter()
            .sum();
        assert!((total - 1.0).abs() < 1e-9);
    }

    #[test]
    fn unknown_and_tactic_ids_are_ignored_with_reasons() {
        let ix = ix();
        let obs = Observation {
            ttp: vec!["T1190".into(), "TA0011".into(), "T9999".into(), "x".into()],
            ..Default::default()
        };
        let r = ix.rank(&obs, &Params::default(), 10);
        assert_eq!(r.ignored, vec!["TA0011", "T9999", "x"]);
        assert!(r.ignored_detail[0].reason.contains("tactic"));
        assert_eq!(r.used, vec!["T1190"]);
    }

    #[test]
    fn sub_technique_gets_family_credit() {
        let ix = ix();
        let obs = Observation {
            ttp: vec!["T1599.001".into()],
            ..Default::default()
        };
        // T1599.001 is unknown to this index: ignored.
        assert_eq!(ix.resolve(&obs).0.len(), 0);
        let ix = Index::from_groups(&[("A", vec!["T1599", "T1599.001"]), ("B", vec!["T1599.002"])]);
        let r = ix.rank(
            &Observation {
                ttp: vec!["T1599.001".into()],
                ..Default::default()
            },
            &Params::default(),
            10,
        );
        assert_eq!(r.candidates[0].name, "A");
        assert_eq!(r.candidates[1].shared[0].matched, "related-technique");
    }

    #[test]
    fn stix_pattern_values() {
        assert_eq!(
            pattern_values("[ipv4-addr:value = '1.2.3.4'] OR [file:name = 'a\\'b']"),
            vec!["1.2.3.4", "a'b"]
        );
        assert!(pattern_values("[x = ").is_empty());
    }
}
