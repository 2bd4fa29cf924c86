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
pub mod engine;
pub mod flow;
pub mod input;
pub mod json;
pub mod pipeline;
pub mod sigma;
pub mod syslog;

use rustc_hash::FxHashMap;
use std::path::Path;

pub use engine::{LoadedRule, Source};
pub use flow::Site;
pub use input::{Detection, InputResult, Options, RecordError, Sink, UnknownField};

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
];

/// Parses the built-in rules (they are tested to parse).
pub fn builtin_rules() -> Vec<LoadedRule> {
    BUILTIN_RULES
        .iter()
        .filter_map(|(f, t)| {
            sigma::parse(t).ok().map(|rule| LoadedRule {
                rule,
                file: format!("builtin:{f}"),
            })
        })
        .collect()
}

/// Loads every `.yml`/`.yaml` under `dir` (sorted); unreadable or rejected files are
/// returned with the reason. `display` is the directory as given (paths are joined to it).
pub fn load_rules(dir: &Path) -> (Vec<LoadedRule>, Vec<Skipped>) {
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    walk(dir, &mut files, &mut skipped);
    files.sort();
    let mut rules = Vec::new();
    for f in files {
        let name = f.display().to_string();
        match std::fs::read(&f) {
            Err(e) => skipped.push(Skipped {
                file: name,
                reason: format!("cannot read: {e}"),
            }),
            Ok(bytes) => match String::from_utf8(bytes) {
                Err(_) => skipped.push(Skipped {
                    file: name,
                    reason: "not UTF-8 text".into(),
                }),
                Ok(text) => match sigma::parse(&text) {
                    Ok(rule) => rules.push(LoadedRule { rule, file: name }),
                    Err(e) => skipped.push(Skipped {
                        file: name,
                        reason: e.0,
                    }),
                },
            },
        }
    }
    (rules, skipped)
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
}

impl Detector {
    /// Compiles `rules` with the built-in pipelines. `extra` are sources given by the
    /// user (`--logsource`).
    pub fn new(mut rules: Vec<LoadedRule>, site: Option<Site>, extra: &[Source]) -> Detector {
        let maps = pipeline::builtin();
        let flow_base = rules.len();
        for f in flow::FLOW_RULES {
            rules.push(LoadedRule {
                rule: sigma::Rule {
                    id: f.id.into(),
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
        for s in sources {
            let mut g = engine::build_group(&rules[..flow_base], &maps, &s);
            if let Some(fs) = flow::want(&s, &mut g) {
                g.flow = Some((fs, flow_base));
                flow_slots.insert(s.clone(), fs);
            } else if g.is_empty() {
                continue;
            }
            groups.insert(s, g);
        }
        Detector {
            rules,
            groups,
            flow_slots,
            flow_base,
            site,
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_rules_parse_with_tags_and_references() {
        for (f, t) in BUILTIN_RULES {
            let r = sigma::parse(t).unwrap_or_else(|e| panic!("{f}: {e}"));
            assert!(!r.id.is_empty(), "{f}: no id");
            assert!(
                r.tags.iter().any(|t| t.starts_with("attack.t")),
                "{f}: no ATT&CK technique tag"
            );
            assert!(
                r.references.iter().any(|x| x.contains("DOMAIN.md")),
                "{f}: no DOMAIN.md reference"
            );
        }
        assert_eq!(builtin_rules().len(), BUILTIN_RULES.len());
    }
}
