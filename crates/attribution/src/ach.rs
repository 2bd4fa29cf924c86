//! Analysis of Competing Hypotheses (Heuer): a case file (TOML) with hypotheses,
//! evidence items (each with its source, independence group, Admiralty grade,
//! relevance and the claims it rests on) and a consistency rating of every item
//! against every hypothesis: `CC` = +2, `C` = +1, `N` = 0, `I` = -1, `II` = -2.
//!
//! Default scoring (every weight configurable in the case's `[weights]`):
//! - weight of an item = credibility weight (Admiralty 1..6 -> 1.0, 0.8, 0.6, 0.4,
//!   0.2, 0.5) x relevance weight (high 1.0, medium 0.7, low 0.4);
//! - inconsistency of a hypothesis = sum over items of weight x min(0, rating):
//!   the closest to 0 is the strongest (least inconsistent) hypothesis;
//! - diagnosticity of an item = max - min of its ratings across hypotheses (0 =
//!   consistent with everything, so it discriminates nothing);
//! - sensitivity: is the leader the same after removing any one item, or all the
//!   items of one source group?
//!
//! Cases are stored as STIX: a `grouping` whose extension (defined by an
//! `extension-definition` shipped with it) carries the case and its scores, and
//! whose `object_refs` are the claims the evidence cites; so they export.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

use stormwatch_model::claim::Admiralty;

/// Errors in a case file: each names the item and what to do.
#[derive(Debug, thiserror::Error)]
pub enum AchError {
    #[error("{0}")]
    Syntax(String),
    #[error("{0}")]
    Invalid(String),
}

/// Configurable weights.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Weights {
    /// Weight of Admiralty information credibility 1..6.
    pub credibility: [f64; 6],
    pub relevance: Relevance,
    /// Numeric value of each rating.
    pub ratings: RatingValues,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Relevance {
    pub high: f64,
    pub medium: f64,
    pub low: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
#[allow(non_snake_case)]
pub struct RatingValues {
    pub CC: f64,
    pub C: f64,
    pub N: f64,
    pub I: f64,
    pub II: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            credibility: [1.0, 0.8, 0.6, 0.4, 0.2, 0.5],
            relevance: Relevance::default(),
            ratings: RatingValues::default(),
        }
    }
}

impl Default for Relevance {
    fn default() -> Self {
        Relevance {
            high: 1.0,
            medium: 0.7,
            low: 0.4,
        }
    }
}

impl Default for RatingValues {
    fn default() -> Self {
        RatingValues {
            CC: 2.0,
            C: 1.0,
            N: 0.0,
            I: -1.0,
            II: -2.0,
        }
    }
}

/// One hypothesis.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hypothesis {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
}

/// One evidence item.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    pub id: String,
    pub title: String,
    /// Who says it.
    pub source: String,
    /// Independence group [default: the source table's group, else the source].
    #[serde(default)]
    pub group: Option<String>,
    /// Admiralty grade, e.g. `A2`: reliability A-F, credibility 1-6.
    pub grade: String,
    /// `high`, `medium` or `low`.
    pub relevance: String,
    /// Citation (publisher, date, title).
    pub reference: String,
    /// When the source said it: YYYY, YYYY-MM or YYYY-MM-DD (omit when unknown).
    #[serde(default)]
    pub date: Option<String>,
    /// Ids of stored claims this item rests on.
    #[serde(default)]
    pub claims: Vec<String>,
    #[serde(default)]
    pub note: Option<String>,
    /// Hypothesis id -> CC, C, N, I or II.
    pub ratings: BTreeMap<String, String>,
}

/// A case file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub title: String,
    #[serde(default)]
    pub question: Option<String>,
    #[serde(default)]
    pub analyst: Option<String>,
    #[serde(default)]
    pub weights: Weights,
    pub hypotheses: Vec<Hypothesis>,
    pub evidence: Vec<Evidence>,
}

/// One scored hypothesis.
#[derive(Debug, Clone, Serialize)]
pub struct HypothesisScore {
    pub id: String,
    pub title: String,
    /// Sum of weight x min(0, rating): closest to 0 is strongest.
    pub inconsistency: f64,
    /// Sum of weight x max(0, rating), shown for context only (ACH ranks on
    /// inconsistency: consistent evidence rarely discriminates).
    pub consistency: f64,
    pub rank: usize,
}

/// One scored evidence item.
#[derive(Debug, Clone, Serialize)]
pub struct EvidenceScore {
    pub id: String,
    pub title: String,
    pub source: String,
    pub group: String,
    pub grade: String,
    pub relevance: String,
    pub reference: String,
    pub date: Option<String>,
    pub claims: Vec<String>,
    pub weight: f64,
    /// Ratings in hypothesis order.
    pub ratings: Vec<String>,
    /// max - min of the numeric ratings.
    pub diagnosticity: f64,
    /// The same, times the item's weight.
    pub weighted_diagnosticity: f64,
}

/// What removing something does to the ranking.
#[derive(Debug, Clone, Serialize)]
pub struct Removal {
    /// `item` or `group`.
    pub kind: &'static str,
    /// The item id or the group name.
    pub removed: String,
    /// The leading hypothesis afterwards.
    pub leader: String,
    pub changes_leader: bool,
}

/// Sensitivity of the ranking.
#[derive(Debug, Clone, Serialize)]
pub struct Sensitivity {
    /// The leader survives removing any one item and any one source group.
    pub robust: bool,
    /// Hypotheses tied for the lead (empty when there is one leader).
    pub tied: Vec<String>,
    pub removals: Vec<Removal>,
}

/// A scored case.
#[derive(Debug, Clone, Serialize)]
pub struct Analysis {
    pub title: String,
    pub question: Option<String>,
    pub weights: Weights,
    /// In case order.
    pub hypotheses: Vec<HypothesisScore>,
    pub evidence: Vec<EvidenceScore>,
    /// Hypothesis ids, strongest first.
    pub ranking: Vec<String>,
    pub sensitivity: Sensitivity,
    pub warnings: Vec<String>,
    pub caveat: &'static str,
}

/// What every ACH result says about itself.
pub const ACH_CAVEAT: &str = "ACH ranks hypotheses by how much evidence contradicts them; it \
does not prove the leader. Ratings and grades are the analyst's judgement: check the \
sensitivity lines, add evidence that could refute the leader, and note that evidence every \
hypothesis explains (diagnosticity 0) carries no weight here.";

const RATINGS: [&str; 5] = ["CC", "C", "N", "I", "II"];

/// Size limits of a case (the sensitivity check is linear in items x hypotheses).
pub const MAX_HYPOTHESES: usize = 100;
pub const MAX_EVIDENCE: usize = 10_000;

impl Weights {
    fn rating(&self, r: &str) -> f64 {
        match r {
            "CC" => self.ratings.CC,
            "C" => self.ratings.C,
            "I" => self.ratings.I,
            "II" => self.ratings.II,
            _ => self.ratings.N,
        }
    }

    fn relevance(&self, r: &str) -> f64 {
        match r {
            "high" => self.relevance.high,
            "medium" => self.relevance.medium,
            _ => self.relevance.low,
        }
    }
}

fn toml_error(e: toml::de::Error) -> AchError {
    // "TOML parse error at line 12, column 1\n   |\n12 | relevence = ...\n ...\nunknown field ..."
    let msg = e.to_string();
    let mut lines = msg.lines().filter(|l| !l.trim().is_empty());
    let head = lines.next().unwrap_or("").trim().to_owned();
    let last = msg
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty() && !l.trim_start().starts_with('|') && !l.contains(" | "))
        .unwrap_or("")
        .trim()
        .to_owned();
    let head = head.replace("TOML parse error at ", "");
    AchError::Syntax(if last.is_empty() || last == head {
        head
    } else {
        format!("{head}: {last}")
    })
}

impl Case {
    /// Parses and checks a case file.
    pub fn parse(text: &str) -> Result<Case, AchError> {
        let case: Case = toml::from_str(text).map_err(toml_error)?;
        case.check()?;
        Ok(case)
    }

    fn check(&self) -> Result<(), AchError> {
        let bad = |m: String| Err(AchError::Invalid(m));
        if self.hypotheses.len() < 2 {
            return bad("the case needs at least two [[hypotheses]]".into());
        }
        if self.hypotheses.len() > MAX_HYPOTHESES || self.evidence.len() > MAX_EVIDENCE {
            return bad(format!(
                "the case has {} hypotheses and {} evidence items; at most {MAX_HYPOTHESES} and {MAX_EVIDENCE} are supported",
                self.hypotheses.len(),
                self.evidence.len()
            ));
        }
        let w = &self.weights;
        let r = &w.ratings;
        let all =
            w.credibility
                .iter()
                .chain([&w.relevance.high, &w.relevance.medium, &w.relevance.low]);
        if all.clone().any(|x| !x.is_finite() || *x < 0.0) {
            return bad(
                "[weights]: credibility and relevance weights must be finite and not negative"
                    .into(),
            );
        }
        if [r.CC, r.C, r.N, r.I, r.II].iter().any(|x| !x.is_finite()) {
            return bad("[weights.ratings]: rating values must be finite numbers".into());
        }
        let mut seen = std::collections::HashSet::new();
        for h in &self.hypotheses {
            if h.id.trim().is_empty() || !seen.insert(h.id.as_str()) {
                return bad(format!(
                    "hypothesis {:?}: ids must be unique and not empty",
                    h.id
                ));
            }
        }
        let ids: Vec<&str> = self.hypotheses.iter().map(|h| h.id.as_str()).collect();
        let mut seen_e = std::collections::HashSet::new();
        for e in &self.evidence {
            if e.id.trim().is_empty() || !seen_e.insert(e.id.as_str()) {
                return bad(format!(
                    "evidence {:?}: ids must be unique and not empty",
                    e.id
                ));
            }
            if Admiralty::parse(&e.grade).is_none() {
                return bad(format!(
                    "evidence {}: grade {:?}: use reliability A-F then credibility 1-6, e.g. B2",
                    e.id, e.grade
                ));
            }
            if !["high", "medium", "low"].contains(&e.relevance.as_str()) {
                return bad(format!(
                    "evidence {}: relevance {:?}: use high, medium or low",
                    e.id, e.relevance
                ));
            }
            if let Some(d) = &e.date {
                if !stormwatch_model::claim::is_partial_date(d) {
                    return bad(format!(
                        "evidence {}: date {d:?}: use YYYY, YYYY-MM or YYYY-MM-DD (omit it when unknown)",
                        e.id
                    ));
                }
            }
            for (h, r) in &e.ratings {
                if !ids.contains(&h.as_str()) {
                    return bad(format!(
                        "evidence {}: rating for unknown hypothesis {h:?} (hypotheses: {})",
                        e.id,
                        ids.join(", ")
                    ));
                }
                if !RATINGS.contains(&r.as_str()) {
                    return bad(format!(
                        "evidence {}: rating {r:?} for {h}: use CC, C, N, I or II",
                        e.id
                    ));
                }
            }
        }
        if self.evidence.is_empty() {
            return bad("the case has no [[evidence]]".into());
        }
        Ok(())
    }

    fn group(e: &Evidence) -> String {
        e.group
            .clone()
            .unwrap_or_else(|| crate::claims::group_of_source(&e.source))
    }

    fn weight(&self, e: &Evidence) -> f64 {
        let cred = Admiralty::parse(&e.grade).map_or(6, |a| a.credibility);
        self.weights.credibility[usize::from(cred.clamp(1, 6)) - 1]
            * self.weights.relevance(&e.relevance)
    }

    /// Per item and hypothesis: weight x min(0, rating).
    fn contributions(&self) -> Vec<Vec<f64>> {
        self.evidence
            .iter()
            .map(|e| {
                let w = self.weight(e);
                self.hypotheses
                    .iter()
                    .map(|h| {
                        let r = e.ratings.get(&h.id).map_or("N", String::as_str);
                        w * self.weights.rating(r).min(0.0)
                    })
                    .collect()
            })
            .collect()
    }

    /// Inconsistency per hypothesis over the items `keep` admits (by index).
    fn inconsistency(c: &[Vec<f64>], n_h: usize, keep: &dyn Fn(usize) -> bool) -> Vec<f64> {
        let mut s = vec![0.0; n_h];
        for (i, row) in c.iter().enumerate() {
            if keep(i) {
                for (h, v) in row.iter().enumerate() {
                    s[h] += v;
                }
            }
        }
        s
    }

    /// Hypothesis indexes, strongest first (ties in case order).
    fn order(scores: &[f64]) -> Vec<usize> {
        let mut o: Vec<usize> = (0..scores.len()).collect();
        o.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
        o
    }

    /// Scores, diagnosticity and sensitivity.
    pub fn analyse(&self) -> Analysis {
        let mut warnings = Vec::new();
        for e in &self.evidence {
            let missing: Vec<&str> = self
                .hypotheses
                .iter()
                .filter(|h| !e.ratings.contains_key(&h.id))
                .map(|h| h.id.as_str())
                .collect();
            if !missing.is_empty() {
                warnings.push(format!(
                    "evidence {}: no rating for {} (counted as N)",
                    e.id,
                    missing.join(", ")
                ));
            }
        }
        let contrib = self.contributions();
        let n_h = self.hypotheses.len();
        let inc = Self::inconsistency(&contrib, n_h, &|_| true);
        let order = Self::order(&inc);
        let round = |x: f64| (x * 1000.0).round() / 1000.0;
        let hypotheses = self
            .hypotheses
            .iter()
            .enumerate()
            .map(|(i, h)| HypothesisScore {
                id: h.id.clone(),
                title: h.title.clone(),
                inconsistency: round(inc[i]),
                consistency: round(
                    self.evidence
                        .iter()
                        .map(|e| {
                            let r = e.ratings.get(&h.id).map_or("N", String::as_str);
                            self.weight(e) * self.weights.rating(r).max(0.0)
                        })
                        .sum(),
                ),
                rank: order.iter().position(|&x| x == i).unwrap_or(0) + 1,
            })
            .collect();
        let evidence = self
            .evidence
            .iter()
            .map(|e| {
                let ratings: Vec<String> = self
                    .hypotheses
                    .iter()
                    .map(|h| e.ratings.get(&h.id).cloned().unwrap_or_else(|| "N".into()))
                    .collect();
                let vals: Vec<f64> = ratings.iter().map(|r| self.weights.rating(r)).collect();
                let hi = vals.iter().copied().fold(f64::MIN, f64::max);
                let lo = vals.iter().copied().fold(f64::MAX, f64::min);
                let w = self.weight(e);
                EvidenceScore {
                    id: e.id.clone(),
                    title: e.title.clone(),
                    source: e.source.clone(),
                    group: Self::group(e),
                    grade: e.grade.to_ascii_uppercase(),
                    relevance: e.relevance.clone(),
                    reference: e.reference.clone(),
                    date: e.date.clone(),
                    claims: e.claims.clone(),
                    weight: round(w),
                    ratings,
                    diagnosticity: round(hi - lo),
                    weighted_diagnosticity: round(w * (hi - lo)),
                }
            })
            .collect();
        // Sensitivity.
        let leader = order[0];
        let tied: Vec<String> = order
            .iter()
            .filter(|&&i| (inc[i] - inc[leader]).abs() < 1e-9)
            .map(|&i| self.hypotheses[i].id.clone())
            .collect();
        let tied = if tied.len() > 1 { tied } else { Vec::new() };
        // After a removal the leader "changes" when another hypothesis is at least
        // as strong (a tie for the lead counts as a change).
        let after = |s: &[f64]| -> (bool, String) {
            let changed = s
                .iter()
                .enumerate()
                .any(|(i, &v)| i != leader && v >= s[leader] - 1e-9);
            let l = if changed { Self::order(s)[0] } else { leader };
            (changed, self.hypotheses[l].id.clone())
        };
        let mut removals = Vec::new();
        let minus = |drop: &dyn Fn(usize) -> bool| -> Vec<f64> {
            let mut s = inc.clone();
            for (i, row) in contrib.iter().enumerate() {
                if drop(i) {
                    for (h, v) in row.iter().enumerate() {
                        s[h] -= v;
                    }
                }
            }
            s
        };
        for (ei, e) in self.evidence.iter().enumerate() {
            let (changes_leader, l) = after(&minus(&|i| i == ei));
            removals.push(Removal {
                kind: "item",
                removed: e.id.clone(),
                leader: l,
                changes_leader,
            });
        }
        let item_groups: Vec<String> = self.evidence.iter().map(Self::group).collect();
        let mut groups = item_groups.clone();
        groups.sort();
        groups.dedup();
        for g in groups {
            let (changes_leader, l) = after(&minus(&|i| item_groups[i] == g));
            removals.push(Removal {
                kind: "group",
                removed: g,
                leader: l,
                changes_leader,
            });
        }
        let robust = tied.is_empty() && removals.iter().all(|r| !r.changes_leader);
        Analysis {
            title: self.title.clone(),
            question: self.question.clone(),
            weights: self.weights.clone(),
            hypotheses,
            evidence,
            ranking: order
                .iter()
                .map(|&i| self.hypotheses[i].id.clone())
                .collect(),
            sensitivity: Sensitivity {
                robust,
                tied,
                removals,
            },
            warnings,
            caveat: ACH_CAVEAT,
        }
    }
}

/// Id of the extension-definition that carries ACH cases on a `grouping`.
pub const EXTENSION_ID: &str = "extension-definition--5f0dc1a2-ac70-4c1e-9a55-7a170a25239a";

/// The extension-definition object (shipped with every stored case).
pub fn extension_definition(created_by_ref: &str) -> Map<String, Value> {
    let v = json!({
        "type": "extension-definition", "spec_version": "2.1", "id": EXTENSION_ID,
        "created": "2026-12-01T00:00:00.000Z", "modified": "2026-12-01T00:00:00.000Z",
        "created_by_ref": created_by_ref,
        "name": "Stormwatch ACH case",
        "description": "Analysis of Competing Hypotheses on a grouping: hypotheses, evidence items (source, independence group, Admiralty grade, relevance, cited claims), consistency ratings (CC, C, N, I, II), weights and the resulting scores, diagnosticity and sensitivity.",
        "schema": "https://example.invalid/stormwatch/ach-case-1.0 (see docs/CLI.md, `ach`)",
        "version": "1.0",
        "extension_types": ["property-extension"]
    });
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// The case as a STIX grouping (deterministic id from the title; `timestamp` is the
/// version). `object_refs` are the cited claims, else the creator identity.
pub fn to_stix(
    case: &Case,
    a: &Analysis,
    created_by_ref: &str,
    timestamp: &str,
) -> Map<String, Value> {
    let id = stormwatch_model::deterministic_id("Stormwatch analyst", "grouping", &case.title);
    let mut refs: Vec<String> = case
        .evidence
        .iter()
        .flat_map(|e| e.claims.iter().cloned())
        .filter(|c| c.contains("--"))
        .collect();
    refs.sort();
    refs.dedup();
    if refs.is_empty() {
        refs.push(created_by_ref.to_owned());
    }
    let v = json!({
        "type": "grouping", "spec_version": "2.1", "id": id,
        "created": timestamp, "modified": timestamp, "created_by_ref": created_by_ref,
        "name": case.title, "description": case.question,
        "context": "unspecified",
        "object_refs": refs,
        "extensions": { EXTENSION_ID: {
            "extension_type": "property-extension",
            "case": case,
            "ranking": a.ranking,
            "hypotheses": a.hypotheses,
            "evidence": a.evidence,
            "sensitivity": a.sensitivity,
        }}
    });
    match v {
        Value::Object(mut m) => {
            if case.question.is_none() {
                m.remove("description");
            }
            m
        }
        _ => Map::new(),
    }
}

/// A starting case for `ach init`.
pub const TEMPLATE: &str = r#"# Analysis of Competing Hypotheses: edit, then run `stormwatch ach THIS_FILE`.
# Ratings: CC (very consistent, +2), C (+1), N (neutral or not applicable, 0),
# I (inconsistent, -1), II (very inconsistent, -2). Grades are Admiralty codes:
# reliability A-F, credibility 1-6 (only credibility weighs the item).
title = "Who is behind the intrusion?"
question = "Which actor is responsible for the activity observed?"

# Optional: change the default weights.
# [weights]
# credibility = [1.0, 0.8, 0.6, 0.4, 0.2, 0.5]   # Admiralty credibility 1..6
# relevance = { high = 1.0, medium = 0.7, low = 0.4 }

[[hypotheses]]
id = "H1"
title = "A state-sponsored actor"

[[hypotheses]]
id = "H2"
title = "A criminal actor"

[[evidence]]
id = "E1"
title = "What was observed or reported"
source = "Stormwatch analyst"
grade = "C3"
relevance = "medium"
reference = "Publisher, date, title"
# date = "2025-08"         # when the source said it; omit when unknown
# claims = ["relationship--..."]   # stored claims it rests on (`stormwatch claim list`)
ratings = { H1 = "C", H2 = "I" }
"#;

#[cfg(test)]
mod tests {
    use super::*;

    /// Hand-checked matrix:
    ///
    /// | item | grade, relevance | weight | H1 | H2 | H3 |
    /// |---|---|---|---|---|---|
    /// | E1 | A1 high   | 1.0 x 1.0 = 1.00 | C  | II | I  |
    /// | E2 | B2 medium | 0.8 x 0.7 = 0.56 | N  | I  | N  |
    /// | E3 | C3 low    | 0.6 x 0.4 = 0.24 | I  | C  | CC |
    /// | E4 | F6 high   | 0.5 x 1.0 = 0.50 | C  | C  | C  |
    ///
    /// H1 = -0.24; H2 = -2.00 - 0.56 = -2.56; H3 = -1.00. Ranking H1, H3, H2.
    /// Diagnosticity: E1 1-(-2) = 3, E2 0-(-1) = 1, E3 2-(-1) = 3, E4 0.
    /// Sensitivity: removing E3 leaves H1 at 0 (still first); removing E1 gives
    /// H1 -0.24, H2 -0.56, H3 0 -> H3 leads: not robust. E1 and E2 are one group.
    const CASE: &str = r#"
title = "test"
[[hypotheses]]
id = "H1"
title = "one"
[[hypotheses]]
id = "H2"
title = "two"
[[hypotheses]]
id = "H3"
title = "three"
[[evidence]]
id = "E1"
title = "a"
source = "S1"
group = "G"
grade = "A1"
relevance = "high"
reference = "r"
ratings = { H1 = "C", H2 = "II", H3 = "I" }
[[evidence]]
id = "E2"
title = "b"
source = "S2"
group = "G"
grade = "B2"
relevance = "medium"
reference = "r"
ratings = { H1 = "N", H2 = "I", H3 = "N" }
[[evidence]]
id = "E3"
title = "c"
source = "S3"
grade = "C3"
relevance = "low"
reference = "r"
ratings = { H1 = "I", H2 = "C", H3 = "CC" }
[[evidence]]
id = "E4"
title = "d"
source = "S4"
grade = "F6"
relevance = "high"
reference = "r"
ratings = { H1 = "C", H2 = "C", H3 = "C" }
"#;

    #[test]
    fn hand_checked_matrix() {
        let a = Case::parse(CASE).unwrap().analyse();
        let inc: Vec<f64> = a.hypotheses.iter().map(|h| h.inconsistency).collect();
        assert_eq!(inc, vec![-0.24, -2.56, -1.0]);
        assert_eq!(a.ranking, vec!["H1", "H3", "H2"]);
        let w: Vec<f64> = a.evidence.iter().map(|e| e.weight).collect();
        assert_eq!(w, vec![1.0, 0.56, 0.24, 0.5]);
        let d: Vec<f64> = a.evidence.iter().map(|e| e.diagnosticity).collect();
        assert_eq!(d, vec![3.0, 1.0, 3.0, 0.0]);
        let r = |what: &str| {
            a.sensitivity
                .removals
                .iter()
                .find(|r| r.removed == what)
                .unwrap()
                .clone()
        };
        assert!(!r("E3").changes_leader);
        assert!(r("E1").changes_leader);
        assert_eq!(r("E1").leader, "H3");
        // Group G = E1 + E2: H1 -0.24, H2 0, H3 0 -> H2 and H3 lead.
        assert!(r("G").changes_leader);
        assert!(!a.sensitivity.robust);
        assert!(a.warnings.is_empty());
    }

    #[test]
    fn weights_and_grades_change_scores() {
        let changed = CASE.replacen("grade = \"C3\"", "grade = \"C1\"", 1);
        let a = Case::parse(&changed).unwrap().analyse();
        // E3 weight 1.0 x 0.4 = 0.4: H1 = -0.4.
        assert_eq!(a.hypotheses[0].inconsistency, -0.4);
        let w = format!("[weights]\nrelevance = {{ high = 0.5, medium = 0.7, low = 0.4 }}\n{CASE}");
        let w = w
            .replacen(
                "[weights]\nrelevance",
                "title = \"t\"\n[weights]\nrelevance",
                1,
            )
            .replacen("\ntitle = \"test\"", "", 1);
        let a = Case::parse(&w).unwrap().analyse();
        // E1 weight 0.5: H2 = -1.0 - 0.56.
        assert_eq!(a.hypotheses[1].inconsistency, -1.56);
    }

    #[test]
    fn typos_are_named() {
        let e = Case::parse(&CASE.replacen("relevance = \"low\"", "relevence = \"low\"", 1))
            .unwrap_err();
        assert!(
            e.to_string().contains("relevence") && e.to_string().contains("line"),
            "{e}"
        );
        let e = Case::parse(&CASE.replacen("H3 = \"CC\"", "H4 = \"CC\"", 1)).unwrap_err();
        assert!(
            e.to_string().contains("E3") && e.to_string().contains("\"H4\""),
            "{e}"
        );
        let e = Case::parse(&CASE.replacen("H3 = \"CC\"", "H3 = \"X\"", 1)).unwrap_err();
        assert!(
            e.to_string().contains("E3") && e.to_string().contains("\"X\""),
            "{e}"
        );
        let e = Case::parse(&CASE.replacen("grade = \"B2\"", "grade = \"B9\"", 1)).unwrap_err();
        assert!(e.to_string().contains("E2"), "{e}");
        assert!(Case::parse("not toml [").is_err());
        assert!(Case::parse(TEMPLATE).is_ok());
    }

    #[test]
    fn stix_grouping_is_valid() {
        let c = Case::parse(CASE).unwrap();
        let a = c.analyse();
        let ident = "identity--e78cb6e5-0c4b-4611-8297-d1b8b55e40b5";
        for o in [
            to_stix(&c, &a, ident, "2026-12-01T00:00:00.000Z"),
            extension_definition(ident),
        ] {
            let errors: Vec<_> = stormwatch_model::validate(&o)
                .into_iter()
                .filter(|i| i.severity == stormwatch_model::Severity::Error)
                .collect();
            assert!(errors.is_empty(), "{o:?}: {errors:?}");
        }
    }
}
