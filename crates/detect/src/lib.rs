//! Behaviour detection for Stormwatch: a Sigma engine over device logs, AAA accounting
//! and flows.
//!
//! Owns: Sigma rule parsing ([`sigma`], [`condition`]), field-mapping pipelines as data
//! ([`pipeline`], `pipelines/*.yml` in pySigma's format), the compiled engine with
//! per-logsource and per-field indexing ([`engine`]), record readers on top of the
//! hunt's block reader ([`input`], [`json`]; Zeek TSV/JSON, JSON lines, nfdump CSV),
//! Cisco/Junos syslog and TACACS+ accounting parsers ([`syslog`]), the built-in rules
//! for AA25-239A tradecraft (`rules/*.yml`, embedded) and flow heuristics with the site
//! file ([`flow`]). It returns plain data (detections, skipped rules, errors); it never
//! prints and never touches the store.

pub mod cidr;
pub mod condition;
pub mod correlation;
pub mod engine;
pub mod flow;
pub mod input;
pub mod json;
pub mod pipeline;
pub mod sigma;
pub mod syslog;

use rustc_hash::FxHashMap;
use std::path::Path;

pub use correlation::Correlation;
pub use engine::{LoadedRule, Source};
pub use flow::Site;
pub use input::{Detection, InputResult, Options, RecordError, Sink, UnknownField};
pub use sigma::Placeholders;

use engine::Group;

/// A rule file that was not loaded, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Skipped {
    pub file: String,
    pub reason: String,
}

/// The built-in rules: (file name, text). Each has ATT&CK tags and cites DOMAIN.md.
pub const BUILTIN_RULES: &[(&str, &str)] = &[
    ("epc_capture.yml", include_str!("../rules/epc_capture.yml")),
    ("guestshell.yml", include_str!("../rules/guestshell.yml")),
    (
        "clear_logging.yml",
        include_str!("../rules/clear_logging.yml"),
    ),
    ("copy_offbox.yml", include_str!("../rules/copy_offbox.yml")),
    ("priv15_user.yml", include_str!("../rules/priv15_user.yml")),
    ("acl_change.yml", include_str!("../rules/acl_change.yml")),
    (
        "aaa_server_change.yml",
        include_str!("../rules/aaa_server_change.yml"),
    ),
    (
        "local_user_configured.yml",
        include_str!("../rules/local_user_configured.yml"),
    ),
    (
        "webui_programmatic_config.yml",
        include_str!("../rules/webui_programmatic_config.yml"),
    ),
    (
        "guestshell_syslog.yml",
        include_str!("../rules/guestshell_syslog.yml"),
    ),
    (
        "type7_password.yml",
        include_str!("../rules/type7_password.yml"),
    ),
    (
        "config_from_tftp.yml",
        include_str!("../rules/config_from_tftp.yml"),
    ),
    (
        "wsma_exploit_http.yml",
        include_str!("../rules/wsma_exploit_http.yml"),
    ),
    ("junos_shell.yml", include_str!("../rules/junos_shell.yml")),
    ("webui_login.yml", include_str!("../rules/webui_login.yml")),
    (
        "webui_login_then_priv15.yml",
        include_str!("../rules/webui_login_then_priv15.yml"),
    ),
];

/// A correlation rule and the file it came from.
#[derive(Debug, Clone)]
pub struct LoadedCorrelation {
    pub corr: Correlation,
    pub file: String,
}

/// Rules loaded from files: detection rules, correlation rules, and the files (or
/// documents) that were rejected, with the reason.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    pub rules: Vec<LoadedRule>,
    pub correlations: Vec<LoadedCorrelation>,
    pub skipped: Vec<Skipped>,
}

impl RuleSet {
    pub fn extend(&mut self, o: RuleSet) {
        self.rules.extend(o.rules);
        self.correlations.extend(o.correlations);
        self.skipped.extend(o.skipped);
    }

    fn add(&mut self, file: String, text: &str, ph: &Placeholders) {
        match sigma::parse_docs(text, ph) {
            Ok(docs) => {
                for d in docs {
                    match d {
                        sigma::Doc::Rule(rule) => self.rules.push(LoadedRule {
                            rule,
                            file: file.clone(),
                        }),
                        sigma::Doc::Correlation(corr) => {
                            self.correlations.push(LoadedCorrelation {
                                corr,
                                file: file.clone(),
                            })
                        }
                    }
                }
            }
            Err(e) => self.skipped.push(Skipped { file, reason: e.0 }),
        }
    }
}

/// Parses the built-in rules (they are tested to parse).
pub fn builtin_rules() -> RuleSet {
    let mut set = RuleSet::default();
    for (f, t) in BUILTIN_RULES {
        set.add(format!("builtin:{f}"), t, &Placeholders::new());
    }
    set
}

/// Loads every `.yml`/`.yaml` under `dir` (sorted); unreadable or rejected files are
/// returned with the reason. `display` is the directory as given (paths are joined to it).
/// `ph` gives the values of `|expand` placeholders.
pub fn load_rules(dir: &Path, ph: &Placeholders) -> RuleSet {
    let mut files = Vec::new();
    let mut set = RuleSet::default();
    walk(dir, &mut files, &mut set.skipped);
    files.sort();
    // Parsed in parallel (YAML parsing is most of the start-up), kept in file order.
    use rayon::prelude::*;
    let parsed: Vec<RuleSet> = files
        .par_iter()
        .map(|f| {
            let mut one = RuleSet::default();
            let name = f.display().to_string();
            match std::fs::read(f) {
                Err(e) => one.skipped.push(Skipped {
                    file: name,
                    reason: format!("cannot read: {e}"),
                }),
                Ok(bytes) => match String::from_utf8(bytes) {
                    Err(_) => one.skipped.push(Skipped {
                        file: name,
                        reason: "not UTF-8 text".into(),
                    }),
                    Ok(text) => one.add(name, &text, ph),
                },
            }
            one
        })
        .collect();
    for one in parsed {
        set.extend(one);
    }
    set
}

fn walk(p: &Path, files: &mut Vec<std::path::PathBuf>, skipped: &mut Vec<Skipped>) {
    if p.is_file() {
        files.push(p.to_path_buf());
        return;
    }
    let rd = match std::fs::read_dir(p) {
        Ok(r) => r,
        Err(e) => {
            skipped.push(Skipped {
                file: p.display().to_string(),
                reason: format!("cannot read the directory: {e}"),
            });
            return;
        }
    };
    for e in rd.flatten() {
        let path = e.path();
        if path.is_dir() {
            walk(&path, files, skipped);
        } else if path.extension().is_some_and(|x| x == "yml" || x == "yaml") {
            files.push(path);
        }
    }
}

/// The record sources the readers produce (groups are built for them up front).
const PARSER_SOURCES: &[(&str, &str)] = &[
    ("cisco", "aaa"),
    ("cisco", "syslog"),
    ("cisco", "bgp"),
    ("cisco", "ldp"),
    ("juniper", "aaa"),
    ("juniper", "syslog"),
    ("juniper", "bgp"),
    ("nfdump", "flow"),
    ("zeek", "conn"),
];

/// Rules compiled for every record source, plus the flow heuristics and the site file.
pub struct Detector {
    /// Sigma rules, then one entry per flow heuristic (see [`Detector::flow_rule`]).
    pub rules: Vec<LoadedRule>,
    groups: FxHashMap<Source, Group>,
    /// Sources with flow heuristics.
    flow_slots: FxHashMap<Source, flow::Slots>,
    flow_base: usize,
    site: Option<Site>,
    /// Correlation rules whose member rules all resolved.
    pub correlations: Vec<Corr>,
    /// Per rule: its own detections are not reported (a member of correlations that
    /// all have `generate: false`).
    quiet: Vec<bool>,
    /// Rules and correlations that were rejected (loading, then resolving members).
    pub skipped: Vec<Skipped>,
}

/// A correlation with its member rules resolved to engine indices.
#[derive(Debug, Clone)]
pub struct Corr {
    pub loaded: LoadedCorrelation,
    /// Engine indices, in the correlation's `rules` order.
    pub members: Vec<usize>,
    /// Per member: for each group-by name, its position in the rule's captures.
    key_pos: Vec<Vec<usize>>,
    /// Per member: the value_count field's position.
    value_pos: Vec<Option<usize>>,
}

impl Detector {
    /// Compiles the rule set with the built-in pipelines. `extra` are sources given by
    /// the user (`--logsource`). Correlations naming a rule that is not loaded are
    /// added to [`Detector::skipped`].
    pub fn new(set: RuleSet, site: Option<Site>, extra: &[Source]) -> Detector {
        let RuleSet {
            mut rules,
            correlations,
            mut skipped,
        } = set;
        let maps = pipeline::builtin();
        let (corrs, captures, quiet) = resolve(&rules, correlations, &mut skipped);
        let flow_base = rules.len();
        for f in flow::FLOW_RULES {
            rules.push(LoadedRule {
                rule: sigma::Rule {
                    id: f.id.into(),
                    name: None,
                    title: f.title.into(),
                    level: f.level.into(),
                    tags: f.tags.iter().map(|t| (*t).to_owned()).collect(),
                    references: vec!["DOMAIN.md section 3".into()],
                    description: f.description.into(),
                    // Never selected by a record source: run by flow::check.
                    logsource: sigma::LogSource::default(),
                    searches: Vec::new(),
                    conditions: Vec::new(),
                },
                file: "builtin:flow".into(),
            });
        }
        let mut sources: Vec<Source> = Vec::new();
        let mut add = |s: Source| {
            if !sources.contains(&s) {
                sources.push(s);
            }
        };
        for (p, s) in PARSER_SOURCES {
            add(Source::new(p, s));
        }
        for s in extra {
            add(s.clone());
        }
        for (p, s) in pipeline::sources() {
            add(Source::new(&p, &s));
        }
        for r in &rules[..flow_base] {
            if let Some(p) = &r.rule.logsource.product {
                add(Source::new(
                    p,
                    r.rule.logsource.service.as_deref().unwrap_or(""),
                ));
                add(Source::new(p, ""));
            }
        }
        let mut groups = FxHashMap::default();
        let mut flow_slots = FxHashMap::default();
        let mut rejected: Vec<(usize, String)> = Vec::new();
        for s in sources {
            let mut g = engine::build_group(&rules[..flow_base], &maps, &s);
            rejected.append(&mut g.rejected);
            let want: Vec<usize> = g
                .rule_indices()
                .filter(|&r| !captures[r].is_empty())
                .collect();
            for r in want {
                let slots = captures[r]
                    .iter()
                    .map(|f| {
                        let names = pipeline::map_field(&maps, &rules[r].rule.logsource, f);
                        names.first().map(|n| g.want(n))
                    })
                    .collect();
                g.captures.insert(r, slots);
            }
            if let Some(fs) = flow::want(&s, &mut g) {
                g.flow = Some((fs, flow_base));
                flow_slots.insert(s.clone(), fs);
            } else if g.is_empty() {
                continue;
            }
            groups.insert(s, g);
        }
        // Rules a group could not compile (a regex over the size limit) are listed.
        rejected.sort();
        rejected.dedup_by_key(|(r, _)| *r);
        for (r, why) in rejected {
            skipped.push(Skipped {
                file: rules[r].file.clone(),
                reason: why,
            });
        }
        let n = rules.len();
        let mut quiet = quiet;
        quiet.resize(n, false);
        Detector {
            rules,
            groups,
            flow_slots,
            flow_base,
            site,
            correlations: corrs,
            quiet,
            skipped,
        }
    }

    /// Whether rule `i`'s own detections are reported (not only through correlations).
    pub fn reports(&self, i: usize) -> bool {
        !self.quiet.get(i).copied().unwrap_or(false)
    }

    /// Whether rule `i` feeds a correlation (its detections must be kept for
    /// [`Detector::correlate`]).
    pub fn feeds_correlation(&self, i: usize) -> bool {
        self.correlations.iter().any(|c| c.members.contains(&i))
    }

    /// Runs every correlation over the member rules' detections; `dets` are the
    /// caller's detections (any order; their index is the handle in the hits).
    /// Returns (correlation index, hit) in time order, and the number of member
    /// detections that had no time and so could not be correlated.
    pub fn correlate(&self, dets: &[&Detection]) -> (Vec<(usize, correlation::Hit)>, usize) {
        let mut out = Vec::new();
        let untimed = dets
            .iter()
            .filter(|d| d.time.is_none() && self.feeds_correlation(d.rule))
            .count();
        for (ci, c) in self.correlations.iter().enumerate() {
            let mut events = Vec::new();
            for (h, d) in dets.iter().enumerate() {
                let Some(m) = c.members.iter().position(|&r| r == d.rule) else {
                    continue;
                };
                let Some((t, _)) = d.time else {
                    continue;
                };
                let cap = |p: usize| d.captured.get(p).cloned().flatten();
                events.push(correlation::Event {
                    rule: d.rule,
                    time: t,
                    key: c.key_pos[m].iter().map(|&p| cap(p)).collect(),
                    value: c.value_pos[m].and_then(cap),
                    handle: h,
                });
            }
            for hit in correlation::run(&c.loaded.corr, &c.members, events) {
                out.push((ci, hit));
            }
        }
        out.sort_by_key(|(_, h)| {
            h.events
                .last()
                .and_then(|&e| dets[e].time.map(|t| (t.0, e)))
        });
        (out, untimed)
    }

    /// Turns the flow heuristics off (`--no-builtin`).
    pub fn without_flows(mut self) -> Detector {
        self.flow_slots.clear();
        for g in self.groups.values_mut() {
            g.flow = None;
        }
        self.groups.retain(|_, g| !g.is_empty());
        self
    }

    /// The group for a record source: its own, else its product's catch-all.
    pub fn group(&self, src: &Source) -> Option<&Group> {
        self.groups.get(src).or_else(|| {
            if src.service.is_empty() {
                return None;
            }
            self.groups.get(&Source::new(&src.product, ""))
        })
    }

    /// The groups (sources and their rule counts), sorted.
    pub fn groups(&self) -> Vec<(String, usize)> {
        let mut v: Vec<(String, usize)> = self
            .groups
            .iter()
            .map(|(s, g)| (format!("{}/{}", s.product, s.service), g.rule_count()))
            .collect();
        v.sort();
        v
    }

    /// Whether rule `i` is a flow heuristic.
    pub fn flow_rule(&self, i: usize) -> bool {
        i >= self.flow_base
    }

    /// Sigma rules that some record source can evaluate.
    pub fn applicable(&self) -> Vec<bool> {
        let mut v = vec![false; self.rules.len()];
        for g in self.groups.values() {
            for r in g.rule_indices() {
                v[r] = true;
            }
        }
        for x in v.iter_mut().skip(self.flow_base) {
            *x = true;
        }
        v
    }

    pub(crate) fn site(&self) -> Option<&Site> {
        self.site.as_ref()
    }
}

/// Resolves correlation members (by rule name or id) and works out, per rule, the
/// fields to capture and whether its own detections are reported.
#[allow(clippy::type_complexity)]
fn resolve(
    rules: &[LoadedRule],
    correlations: Vec<LoadedCorrelation>,
    skipped: &mut Vec<Skipped>,
) -> (Vec<Corr>, Vec<Vec<String>>, Vec<bool>) {
    let mut captures: Vec<Vec<String>> = vec![Vec::new(); rules.len()];
    let mut member_generate: Vec<Option<bool>> = vec![None; rules.len()];
    let mut out = Vec::new();
    'next: for lc in correlations {
        let c = &lc.corr;
        let mut members = Vec::new();
        for key in &c.rules {
            let found: Vec<usize> = rules
                .iter()
                .enumerate()
                .filter(|(_, r)| r.rule.name.as_deref() == Some(key) || r.rule.id == *key)
                .map(|(i, _)| i)
                .collect();
            match found.as_slice() {
                [i] => members.push(*i),
                [] => {
                    skipped.push(Skipped {
                        file: lc.file.clone(),
                        reason: format!(
                            "correlation {:?}: no loaded rule has the name or id {key:?} (give its file with --rules)",
                            c.title
                        ),
                    });
                    continue 'next;
                }
                _ => {
                    skipped.push(Skipped {
                        file: lc.file.clone(),
                        reason: format!(
                            "correlation {:?}: {} loaded rules have the name or id {key:?}",
                            c.title,
                            found.len()
                        ),
                    });
                    continue 'next;
                }
            }
        }
        let mut key_pos = Vec::new();
        let mut value_pos = Vec::new();
        for &r in &members {
            let keys: Vec<&str> = [
                rules[r].rule.name.as_deref(),
                Some(rules[r].rule.id.as_str()),
            ]
            .into_iter()
            .flatten()
            .collect();
            let mut pos = |f: &str| -> usize {
                let caps = &mut captures[r];
                match caps.iter().position(|x| x == f) {
                    Some(p) => p,
                    None => {
                        caps.push(f.to_owned());
                        caps.len() - 1
                    }
                }
            };
            let kp: Vec<usize> = c
                .group_by
                .iter()
                .map(|g| pos(c.field_for(g, &keys)))
                .collect();
            let vp = match &c.kind {
                correlation::Kind::ValueCount(f) => Some(pos(c.field_for(f, &keys))),
                _ => None,
            };
            key_pos.push(kp);
            value_pos.push(vp);
            let g = member_generate[r].get_or_insert(false);
            *g |= c.generate;
        }
        out.push(Corr {
            loaded: lc,
            members,
            key_pos,
            value_pos,
        });
    }
    let quiet = member_generate.iter().map(|g| *g == Some(false)).collect();
    (out, captures, quiet)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_rules_parse_with_tags_and_references() {
        for (f, t) in BUILTIN_RULES {
            let docs =
                sigma::parse_docs(t, &Placeholders::new()).unwrap_or_else(|e| panic!("{f}: {e}"));
            let (id, tags, refs) = match &docs[0] {
                sigma::Doc::Rule(r) => (&r.id, &r.tags, &r.references),
                sigma::Doc::Correlation(c) => (&c.id, &c.tags, &c.references),
            };
            assert!(!id.is_empty(), "{f}: no id");
            assert!(
                tags.iter().any(|t| t.starts_with("attack.t")),
                "{f}: no ATT&CK technique tag"
            );
            assert!(
                refs.iter().any(|x| x.contains("DOMAIN.md")),
                "{f}: no DOMAIN.md reference"
            );
        }
        let set = builtin_rules();
        assert!(set.skipped.is_empty(), "{:?}", set.skipped);
        assert_eq!(
            set.rules.len() + set.correlations.len(),
            BUILTIN_RULES.len()
        );
        let det = Detector::new(set, None, &[]);
        assert!(det.skipped.is_empty(), "{:?}", det.skipped);
        assert_eq!(det.correlations.len(), 1);
    }

    /// A regex whose syntax is fine but which the engine cannot compile (over the size
    /// limit) rejects its rule with the reason instead of never matching.
    #[test]
    fn regex_over_the_size_limit_is_a_skipped_rule() {
        let big = "title: big\nid: r1\nlogsource: {product: zeek, service: dns}\ndetection:\n  s:\n    query|re: '(\\w{100}){100}'\n  condition: s\n";
        let ok = "title: ok\nid: r2\nlogsource: {product: zeek, service: dns}\ndetection:\n  s:\n    query|re: 'a+b'\n  condition: s\n";
        let mut set = RuleSet::default();
        set.add("big.yml".into(), big, &Placeholders::new());
        set.add("ok.yml".into(), ok, &Placeholders::new());
        assert_eq!(set.rules.len(), 2, "{:?}", set.skipped);
        let det = Detector::new(set, None, &[]);
        assert_eq!(det.skipped.len(), 1, "{:?}", det.skipped);
        assert_eq!(det.skipped[0].file, "big.yml");
        assert!(
            det.skipped[0].reason.contains("cannot be compiled"),
            "{}",
            det.skipped[0].reason
        );
        let dns = det.group(&Source::new("zeek", "dns")).expect("group");
        assert_eq!(dns.rule_indices().collect::<Vec<_>>(), vec![1]);
    }
}
