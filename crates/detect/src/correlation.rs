//! Sigma correlation rules (Sigma 2.x `correlation:` documents): `event_count`,
//! `value_count`, `temporal` and `temporal_ordered` over the detections of the rules
//! they name, grouped by field values (`group-by`, with `aliases`) inside a `timespan`.
//!
//! Records are streamed, so correlation runs after the sweep over the detections of the
//! member rules only (each detection carries the group-by values captured from its
//! record). Windows slide: a correlation fires at the detection that completes it, then
//! its group starts afresh, so one burst gives one correlated detection. Detections
//! without a time cannot be placed in a window and are counted, not correlated.

use rustc_hash::FxHashMap;
use serde_yaml::{Mapping, Value as Yaml};

use crate::sigma::{str_of, strs_of, RuleError};

/// How a correlation combines its member rules' detections.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// At least / at most N detections in the window.
    EventCount,
    /// N distinct values of a field in the window.
    ValueCount(String),
    /// Every member rule fired in the window, in any order.
    Temporal,
    /// Every member rule fired in the window, in the order listed.
    TemporalOrdered,
}

impl Kind {
    /// The Sigma `type` name.
    pub fn name(&self) -> &'static str {
        match self {
            Kind::EventCount => "event_count",
            Kind::ValueCount(_) => "value_count",
            Kind::Temporal => "temporal",
            Kind::TemporalOrdered => "temporal_ordered",
        }
    }
}

/// A count comparison; every one given must hold (`gte: 3` and `lte: 10` is a range).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Op {
    Gt,
    Gte,
    Lt,
    Lte,
    Eq,
}

/// A parsed correlation rule.
#[derive(Debug, Clone)]
pub struct Correlation {
    pub id: String,
    pub name: Option<String>,
    pub title: String,
    pub level: String,
    pub tags: Vec<String>,
    pub references: Vec<String>,
    pub description: String,
    pub kind: Kind,
    /// Member rules, by `name` or `id`.
    pub rules: Vec<String>,
    pub group_by: Vec<String>,
    /// `aliases`: a group-by name -> (rule name or id -> that rule's field).
    pub aliases: Vec<(String, Vec<(String, String)>)>,
    /// Seconds.
    pub timespan: i64,
    pub condition: Vec<(Op, u64)>,
    /// `generate`: the member rules also report their own detections (default false).
    pub generate: bool,
}

impl Correlation {
    /// The field that member rule `rule` (its name or id) reads for group-by name `g`.
    pub fn field_for<'a>(&'a self, g: &'a str, rule_keys: &[&str]) -> &'a str {
        for (name, per) in &self.aliases {
            if name == g {
                for (r, f) in per {
                    if rule_keys.contains(&r.as_str()) {
                        return f;
                    }
                }
            }
        }
        g
    }

    /// Whether the count meets the condition.
    pub fn holds(&self, n: u64) -> bool {
        self.condition.iter().all(|&(op, v)| match op {
            Op::Gt => n > v,
            Op::Gte => n >= v,
            Op::Lt => n < v,
            Op::Lte => n <= v,
            Op::Eq => n == v,
        })
    }
}

fn err<T>(msg: impl Into<String>) -> Result<T, RuleError> {
    Err(RuleError(msg.into()))
}

/// A timespan: a number and a unit (`s`, `m`, `h`, `d`, `w`), e.g. `10m`.
pub fn timespan(s: &str) -> Option<i64> {
    let s = s.trim();
    let unit = s.chars().last()?;
    let mult = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        'w' => 7 * 86_400,
        _ => return None,
    };
    let n: i64 = s[..s.len() - 1].trim().parse().ok()?;
    (n > 0).then(|| n.checked_mul(mult)).flatten()
}

/// Parses a correlation document (`m` is the whole document, `c` its `correlation`).
pub fn parse(m: &Mapping, c: &Yaml) -> Result<Correlation, RuleError> {
    let get = |k: &str| m.get(Yaml::String(k.into()));
    let Yaml::Mapping(c) = c else {
        return err("`correlation` is not a mapping");
    };
    let cget = |k: &str| c.get(Yaml::String(k.into()));
    let title = str_of(get("title")).ok_or_else(|| RuleError("no `title`".into()))?;
    let ty = str_of(cget("type")).ok_or_else(|| RuleError("correlation: no `type`".into()))?;
    let rules = strs_of(cget("rules"));
    if rules.is_empty() {
        return err("correlation: no `rules` (the names or ids of the rules it combines)");
    }
    let group_by = strs_of(cget("group-by"));
    let span_text = str_of(cget("timespan").or_else(|| cget("timeframe")))
        .ok_or_else(|| RuleError("correlation: no `timespan` (e.g. 10m)".into()))?;
    let timespan = timespan(&span_text).ok_or_else(|| {
        RuleError(format!(
            "correlation: timespan {span_text:?} is not a number with a unit s, m, h, d or w"
        ))
    })?;
    let mut condition = Vec::new();
    let mut field = None;
    match cget("condition") {
        None => {}
        Some(Yaml::Mapping(cm)) => {
            for (k, v) in cm {
                let k = k.as_str().unwrap_or_default();
                if k == "field" {
                    field = str_of(Some(v));
                    continue;
                }
                let op = match k {
                    "gt" => Op::Gt,
                    "gte" => Op::Gte,
                    "lt" => Op::Lt,
                    "lte" => Op::Lte,
                    "eq" => Op::Eq,
                    other => {
                        return err(format!(
                            "correlation: condition `{other}`: use gt, gte, lt, lte, eq or field"
                        ))
                    }
                };
                let n = match v {
                    Yaml::Number(n) => n.as_u64(),
                    Yaml::String(s) => s.trim().parse().ok(),
                    _ => None,
                }
                .ok_or_else(|| {
                    RuleError(format!(
                        "correlation: condition `{k}` needs a whole number >= 0"
                    ))
                })?;
                condition.push((op, n));
            }
        }
        Some(_) => return err("correlation: `condition` is not a mapping (e.g. {gte: 10})"),
    }
    let kind = match ty.as_str() {
        "event_count" => Kind::EventCount,
        "value_count" => Kind::ValueCount(field.clone().ok_or_else(|| {
            RuleError("correlation value_count: the condition needs `field`".into())
        })?),
        "temporal" => Kind::Temporal,
        "temporal_ordered" => Kind::TemporalOrdered,
        other => {
            return err(format!(
                "correlation: type `{other}` is not one of event_count, value_count, temporal, temporal_ordered"
            ))
        }
    };
    match kind {
        Kind::EventCount | Kind::ValueCount(_) if condition.is_empty() => {
            return err("correlation: a count needs a `condition` (e.g. {gte: 10})")
        }
        Kind::Temporal | Kind::TemporalOrdered => {
            if rules.len() < 2 {
                return err("correlation: temporal correlations need at least two rules");
            }
            if condition.is_empty() {
                // The spec's default: every member rule fired.
                condition.push((Op::Gte, rules.len() as u64));
            }
        }
        _ => {}
    }
    let mut aliases = Vec::new();
    match cget("aliases") {
        None | Some(Yaml::Null) => {}
        Some(Yaml::Mapping(am)) => {
            for (k, v) in am {
                let (Some(k), Yaml::Mapping(per)) = (k.as_str(), v) else {
                    return err("correlation: `aliases` maps a name to {rule: field}");
                };
                let mut list = Vec::new();
                for (r, f) in per {
                    match (str_of(Some(r)), str_of(Some(f))) {
                        (Some(r), Some(f)) => list.push((r, f)),
                        _ => return err(format!("correlation: alias `{k}`: give rule: field")),
                    }
                }
                aliases.push((k.to_owned(), list));
            }
        }
        Some(_) => return err("correlation: `aliases` is not a mapping"),
    }
    let generate = match cget("generate") {
        None | Some(Yaml::Null) => false,
        Some(Yaml::Bool(b)) => *b,
        Some(_) => return err("correlation: `generate` is true or false"),
    };
    Ok(Correlation {
        id: str_of(get("id")).unwrap_or_default(),
        name: str_of(get("name")),
        title,
        level: str_of(get("level")).unwrap_or_else(|| "medium".into()),
        tags: strs_of(get("tags")),
        references: strs_of(get("references")),
        description: str_of(get("description")).unwrap_or_default(),
        kind,
        rules,
        group_by,
        aliases,
        timespan,
        condition,
        generate,
    })
}

/// One detection of a member rule, as correlation sees it.
#[derive(Debug, Clone)]
pub struct Event {
    /// Engine rule index.
    pub rule: usize,
    /// Unix seconds.
    pub time: i64,
    /// The group-by values, in the correlation's `group-by` order.
    pub key: Vec<Option<String>>,
    /// The value_count field's value.
    pub value: Option<String>,
    /// Caller's handle (e.g. its index into the caller's list of detections).
    pub handle: usize,
}

/// A correlation that fired.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// The group-by values.
    pub key: Vec<Option<String>>,
    /// Handles of the events in the window, in time order (the last completed it).
    pub events: Vec<usize>,
    /// The count the condition saw (events, or distinct values).
    pub count: u64,
}

/// Runs one correlation over events; `members` are the engine indices of its rules
/// in its `rules` order. Events need not be sorted.
pub fn run(c: &Correlation, members: &[usize], mut events: Vec<Event>) -> Vec<Hit> {
    events.sort_by_key(|e| (e.time, e.handle));
    let mut groups: FxHashMap<Vec<Option<String>>, Vec<Event>> = FxHashMap::default();
    let mut order: Vec<Vec<Option<String>>> = Vec::new();
    for e in events {
        if !groups.contains_key(&e.key) {
            order.push(e.key.clone());
        }
        groups.entry(e.key.clone()).or_default().push(e);
    }
    let mut hits = Vec::new();
    for key in order {
        let Some(evs) = groups.remove(&key) else {
            continue;
        };
        match &c.kind {
            Kind::EventCount | Kind::ValueCount(_) => count(c, &key, &evs, &mut hits),
            Kind::Temporal => temporal(c, members, &key, &evs, &mut hits),
            Kind::TemporalOrdered => ordered(c, members, &key, &evs, &mut hits),
        }
    }
    hits.sort_by_key(|h| h.events.last().copied());
    hits
}

fn count(c: &Correlation, key: &[Option<String>], evs: &[Event], hits: &mut Vec<Hit>) {
    let distinct = matches!(c.kind, Kind::ValueCount(_));
    let mut start = 0;
    let mut i = 0;
    while i < evs.len() {
        let t = evs[i].time;
        while evs[start].time < t.saturating_sub(c.timespan) {
            start += 1;
        }
        let window = &evs[start..=i];
        let n = if distinct {
            let mut vals: Vec<&str> = window.iter().filter_map(|e| e.value.as_deref()).collect();
            vals.sort_unstable();
            vals.dedup();
            vals.len() as u64
        } else {
            window.len() as u64
        };
        if c.holds(n) {
            hits.push(Hit {
                key: key.to_vec(),
                events: window.iter().map(|e| e.handle).collect(),
                count: n,
            });
            start = i + 1;
        }
        i += 1;
    }
}

fn temporal(
    c: &Correlation,
    members: &[usize],
    key: &[Option<String>],
    evs: &[Event],
    hits: &mut Vec<Hit>,
) {
    // The latest detection of each member in the current window.
    let mut last: Vec<Option<usize>> = vec![None; members.len()];
    for (i, e) in evs.iter().enumerate() {
        for (m, r) in members.iter().enumerate() {
            if *r == e.rule {
                last[m] = Some(i);
            }
        }
        let t = e.time;
        let mut inside: Vec<usize> = last
            .iter()
            .flatten()
            .copied()
            .filter(|&j| evs[j].time >= t.saturating_sub(c.timespan))
            .collect();
        inside.sort_unstable();
        inside.dedup();
        let fired = last
            .iter()
            .filter(|x| x.is_some_and(|j| evs[j].time >= t.saturating_sub(c.timespan)))
            .count() as u64;
        if c.holds(fired) {
            hits.push(Hit {
                key: key.to_vec(),
                events: inside.iter().map(|&j| evs[j].handle).collect(),
                count: fired,
            });
            last.iter_mut().for_each(|x| *x = None);
        }
    }
}

fn ordered(
    c: &Correlation,
    members: &[usize],
    key: &[Option<String>],
    evs: &[Event],
    hits: &mut Vec<Hit>,
) {
    // chain[k]: the events of the latest-starting chain that has reached step k.
    let mut chain: Vec<Option<Vec<usize>>> = vec![None; members.len()];
    for (i, e) in evs.iter().enumerate() {
        let t = e.time;
        // Later steps first, so one event does not advance a chain twice.
        for k in (0..members.len()).rev() {
            if members[k] != e.rule {
                continue;
            }
            if k == 0 {
                chain[0] = Some(vec![i]);
                continue;
            }
            let Some(prev) = chain[k - 1].clone() else {
                continue;
            };
            if evs[prev[0]].time < t.saturating_sub(c.timespan) {
                continue;
            }
            let mut next = prev;
            next.push(i);
            chain[k] = Some(next);
        }
        let last = members.len() - 1;
        if let Some(done) = chain[last].take() {
            hits.push(Hit {
                key: key.to_vec(),
                count: done.len() as u64,
                events: done.iter().map(|&j| evs[j].handle).collect(),
            });
            chain.iter_mut().for_each(|x| *x = None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corr(yaml: &str) -> Correlation {
        let v: Yaml = serde_yaml::from_str(yaml).expect("yaml");
        let Yaml::Mapping(m) = &v else { panic!() };
        parse(m, m.get(Yaml::String("correlation".into())).expect("c")).expect("parse")
    }

    fn ev(rule: usize, time: i64, host: &str, handle: usize) -> Event {
        Event {
            rule,
            time,
            key: vec![Some(host.into())],
            value: Some(format!("v{handle}")),
            handle,
        }
    }

    #[test]
    fn timespans() {
        assert_eq!(timespan("10m"), Some(600));
        assert_eq!(timespan("1h"), Some(3600));
        assert_eq!(timespan("2d"), Some(172_800));
        assert_eq!(timespan("0m"), None);
        assert_eq!(timespan("5x"), None);
        assert_eq!(timespan("m"), None);
        assert_eq!(timespan("9223372036854775807s"), Some(i64::MAX));
        assert_eq!(timespan("9223372036854775807m"), None);
    }

    #[test]
    fn ordered_needs_order_and_window_and_group() {
        let c = corr("title: t\ncorrelation:\n  type: temporal_ordered\n  rules: [a, b]\n  group-by: [host]\n  timespan: 10m\n");
        // b before a: nothing; a then b within 10 m on the same host: one hit.
        let evs = vec![
            ev(1, 0, "r1", 0),
            ev(0, 10, "r1", 1),
            ev(1, 700, "r1", 2), // 690 s after a: outside
            ev(0, 1000, "r1", 3),
            ev(1, 1200, "r2", 4), // other host
            ev(1, 1500, "r1", 5), // 500 s after a: inside
        ];
        let h = run(&c, &[0, 1], evs);
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].events, vec![3, 5]);
        assert_eq!(h[0].key, vec![Some("r1".into())]);
    }

    /// A huge timespan and extreme times neither overflow nor panic.
    #[test]
    fn extreme_times_and_spans() {
        let c = corr("title: t\ncorrelation:\n  type: temporal_ordered\n  rules: [a, b]\n  timespan: 9223372036854775807s\n");
        // i64::MAX - i64::MIN is longer than any span: no hit, and no overflow.
        let h = run(
            &c,
            &[0, 1],
            vec![ev(0, i64::MIN, "r", 0), ev(1, i64::MAX, "r", 1)],
        );
        assert!(h.is_empty());
        let h = run(&c, &[0, 1], vec![ev(0, 0, "r", 0), ev(1, i64::MAX, "r", 1)]);
        assert_eq!(h.len(), 1);
        let c = corr("title: t\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 9223372036854775807s\n  condition: {gte: 2}\n");
        assert!(run(
            &c,
            &[0],
            vec![ev(0, i64::MIN, "r", 0), ev(0, i64::MAX, "r", 1)]
        )
        .is_empty());
        assert_eq!(
            run(
                &c,
                &[0],
                vec![ev(0, -5, "r", 0), ev(0, i64::MAX - 10, "r", 1)]
            )
            .len(),
            1
        );
        assert_eq!(
            run(&c, &[0], vec![ev(0, 5, "r", 0), ev(0, i64::MAX, "r", 1)]).len(),
            1
        );
    }

    #[test]
    fn temporal_any_order() {
        let c = corr("title: t\ncorrelation:\n  type: temporal\n  rules: [a, b]\n  group-by: [host]\n  timespan: 1m\n");
        let h = run(&c, &[0, 1], vec![ev(1, 0, "r", 0), ev(0, 30, "r", 1)]);
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].events, vec![0, 1]);
        let h = run(&c, &[0, 1], vec![ev(1, 0, "r", 0), ev(0, 61, "r", 1)]);
        assert!(h.is_empty());
    }

    #[test]
    fn counts_fire_once_per_burst() {
        let c = corr("title: t\ncorrelation:\n  type: event_count\n  rules: a\n  group-by: [host]\n  timespan: 1m\n  condition: {gte: 3}\n");
        let evs: Vec<Event> = (0..7).map(|i| ev(0, i * 10, "r", i as usize)).collect();
        let h = run(&c, &[0], evs);
        assert_eq!(h.len(), 2, "{h:?}");
        assert_eq!(h[0].events, vec![0, 1, 2]);
        assert_eq!(h[1].events, vec![3, 4, 5]);
        let v = corr("title: t\ncorrelation:\n  type: value_count\n  rules: a\n  timespan: 1h\n  condition: {field: user, gte: 2}\n");
        let mut evs = vec![ev(0, 0, "r", 0), ev(0, 1, "r", 1)];
        evs[1].value = evs[0].value.clone();
        assert!(run(&v, &[0], evs.clone()).is_empty());
        evs.push(ev(0, 2, "r", 2));
        assert_eq!(run(&v, &[0], evs)[0].count, 2);
    }

    #[test]
    fn bad_correlations_say_why() {
        for (y, want) in [
            ("title: t\ncorrelation:\n  type: sometimes\n  rules: [a]\n  timespan: 1m\n", "type `sometimes`"),
            ("title: t\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 1m\n", "needs a `condition`"),
            ("title: t\ncorrelation:\n  type: temporal\n  rules: [a, b]\n  timespan: soon\n", "timespan"),
            ("title: t\ncorrelation:\n  type: temporal\n  rules: [a]\n  timespan: 1m\n", "at least two"),
            ("title: t\ncorrelation:\n  type: value_count\n  rules: [a]\n  timespan: 1m\n  condition: {gte: 2}\n", "`field`"),
        ] {
            let v: Yaml = serde_yaml::from_str(y).unwrap();
            let Yaml::Mapping(m) = &v else { panic!() };
            let e = parse(m, m.get(Yaml::String("correlation".into())).unwrap()).unwrap_err();
            assert!(e.0.contains(want), "{y}: {e}");
        }
    }
}
