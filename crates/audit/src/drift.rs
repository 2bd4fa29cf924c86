//! Drift: a section-aware semantic diff of a configuration against its approved
//! baseline, each change rated with the same checks.
//!
//! Lines are compared by their path (Cisco: the parent chain and the line; Junos: the
//! flattened path), so moving a section does not count and the same line under another
//! interface does. A removed and an added line under the same parent with the same
//! leading keywords form one change. Removals point at the enclosing section of the
//! audited file (or line 1) and at the removed line in the baseline (docs/CLI.md).

use std::collections::HashMap;

use crate::checks::Hit;
use crate::parse::{Config, Kind};
use crate::redact;
use crate::rules::Severity;

/// One change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub hit: Hit,
    pub baseline_line: Option<u32>,
}

/// Lines whose change means nothing (timestamps, byte counts).
fn volatile(t: &str) -> bool {
    t.starts_with("Current configuration")
        || t.starts_with("Building configuration")
        || t.starts_with("ntp clock-period")
        || t.starts_with("Last configuration change")
        || t == "end"
}

struct Keyed {
    idx: usize,
    key: String,
    parent_key: String,
    stem: String,
}

fn keyed(cfg: &Config) -> Vec<Keyed> {
    let junos = cfg.dialect.is_junos();
    let mut out = Vec::with_capacity(cfg.lines.len());
    let mut paths: Vec<String> = Vec::with_capacity(cfg.lines.len());
    for (i, l) in cfg.lines.iter().enumerate() {
        let parent_key = match l.parent {
            Some(p) => paths.get(p as usize).cloned().unwrap_or_default(),
            None => String::new(),
        };
        let key = if parent_key.is_empty() {
            l.text.to_string()
        } else {
            format!("{parent_key} > {}", l.text)
        };
        paths.push(key.clone());
        if l.kind != Kind::Stmt || volatile(&l.text) {
            continue;
        }
        let (parent_key, stem) = if junos {
            // Parent: the path without its last word; stem: the first words.
            let words: Vec<&str> = l.text.split_ascii_whitespace().collect();
            let n = words.len();
            (
                words[..n.saturating_sub(1)].join(" "),
                words[..n.saturating_sub(1).max(1).min(n)].join(" "),
            )
        } else {
            let stem: Vec<&str> = l.text.split_ascii_whitespace().take(2).collect();
            (parent_key, stem.join(" "))
        };
        out.push(Keyed {
            idx: i,
            key,
            parent_key,
            stem,
        });
    }
    out
}

/// Sections of interest to an intruder: a change there is at least medium.
fn security_section(t: &str) -> bool {
    const P: &[&str] = &[
        "access-list",
        "ip access-list",
        "ipv4 access-list",
        "ipv6 access-list",
        "object-group",
        "aaa",
        "tacacs",
        "radius",
        "snmp",
        "interface Tunnel",
        "interface tunnel",
        "interface Loopback",
        "interface loopback",
        "ip route",
        "ipv6 route",
        "router bgp",
        "router static",
        "username",
        "line vty",
        "ip http",
        "ip ssh",
        "ssh",
        "logging",
        "monitor",
        "crypto",
        "archive",
        "event manager",
        "iox",
        "app-hosting",
        "feature",
        "vstack",
        "enable",
        "ntp",
        "service",
        "telnet",
        "system login",
        "system services",
        "system syslog",
        "system tacplus",
        "system radius",
        "system authentication",
        "firewall",
        "policy-options prefix-list",
        "routing-options static",
        "protocols bgp",
        "interfaces lo0",
        "interfaces gr-",
        "interfaces ip-",
        "forwarding-options",
        "security",
        "ip access-group",
        "ipv6 traffic-filter",
        "access-group",
        "access-class",
        "ipv4 access-group",
        "ip address",
        "tunnel",
    ];
    P.iter().any(|p| t.starts_with(p))
}

/// Removing one of these weakens the device.
fn protective(t: &str) -> bool {
    t.starts_with("logging host")
        || t.starts_with("logging server")
        || (t.starts_with("logging ")
            && t.split_ascii_whitespace()
                .nth(1)
                .is_some_and(crate::model::looks_like_address))
        || t.starts_with("access-class")
        || t.starts_with("no ip http")
        || t == "no vstack"
        || t.starts_with("aaa accounting")
        || t.starts_with("transport input ssh")
        || t.starts_with("system syslog host")
        || t.starts_with("system accounting")
        || t.starts_with("service password-encryption")
        || t.starts_with("no feature telnet")
        || t.starts_with("no service")
}

/// Diffs `cur` against `base`. `cur_hits` are the checks' hits on `cur` (used to rate
/// added and changed lines).
pub fn diff(cur: &Config, base: &Config, cur_hits: &[Hit], show: bool) -> Vec<Change> {
    let junos = cur.dialect.is_junos();
    let red = |t: &str| {
        if show {
            t.to_owned()
        } else {
            redact::redact(t, junos)
        }
    };
    let ck = keyed(cur);
    let bk = keyed(base);
    let mut base_count: HashMap<&str, Vec<usize>> = HashMap::new();
    for (j, k) in bk.iter().enumerate() {
        base_count.entry(k.key.as_str()).or_default().push(j);
    }
    let mut matched_base = vec![false; bk.len()];
    let mut added: Vec<&Keyed> = Vec::new();
    for k in &ck {
        match base_count.get_mut(k.key.as_str()).and_then(|v| v.pop()) {
            Some(j) => matched_base[j] = true,
            None => added.push(k),
        }
    }
    let removed: Vec<&Keyed> = bk
        .iter()
        .enumerate()
        .filter(|(j, _)| !matched_base[*j])
        .map(|(_, k)| k)
        .collect();
    // Pair changes.
    let mut used_added = vec![false; added.len()];
    let mut pairs: Vec<(Option<&Keyed>, Option<&Keyed>)> = Vec::new();
    for r in &removed {
        let m = added
            .iter()
            .enumerate()
            .find(|(a, k)| !used_added[*a] && k.parent_key == r.parent_key && k.stem == r.stem);
        match m {
            Some((a, k)) => {
                used_added[a] = true;
                pairs.push((Some(k), Some(r)));
            }
            None => pairs.push((None, Some(r))),
        }
    }
    for (a, k) in added.iter().enumerate() {
        if !used_added[a] {
            pairs.push((Some(k), None));
        }
    }
    let mut out = Vec::new();
    let cur_parent_line = |parent_key: &str| -> u32 {
        if parent_key.is_empty() {
            return 1;
        }
        if junos {
            // The first current line under the longest existing prefix.
            let mut p = parent_key;
            loop {
                if let Some(k) = ck.iter().find(|k| {
                    k.key.starts_with(p) && k.key.as_bytes().get(p.len()).is_none_or(|b| *b == b' ')
                }) {
                    return cur.lines[k.idx].no;
                }
                match p.rfind(' ') {
                    Some(i) => p = &p[..i],
                    None => return 1,
                }
            }
        }
        // Cisco: the parent line itself, if it still exists.
        for l in &cur.lines {
            if l.parent.is_none()
                && parent_key.starts_with(&*l.text)
                && (parent_key.len() == l.text.len()
                    || parent_key[l.text.len()..].starts_with(" > "))
            {
                return l.no;
            }
        }
        1
    };
    for (a, r) in pairs {
        let rate = |line: u32, text: &str, root: &str| -> (Severity, Vec<&'static str>) {
            let mut sev = if security_section(root) || security_section(text) {
                Severity::Medium
            } else {
                Severity::Low
            };
            let mut rules = Vec::new();
            for h in cur_hits
                .iter()
                .filter(|h| h.line == line && !matches!(h.rule, "AUD090" | "AUD041"))
            {
                let s = h.severity.unwrap_or(crate::rules::rule(h.rule).severity);
                if s < sev {
                    sev = s;
                }
                if !rules.contains(&h.rule) {
                    rules.push(h.rule);
                }
            }
            (sev, rules)
        };
        match (a, r) {
            (Some(a), r) => {
                let l = &cur.lines[a.idx];
                let root = cur.root_text(a.idx);
                let (mut sev, rules) = rate(l.no, &l.text, root);
                let under = if a.parent_key.is_empty() || junos {
                    String::new()
                } else {
                    format!(" under `{}`", red(&a.parent_key))
                };
                let why = if rules.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", rules.join(", "))
                };
                let (rule, msg, bl) = match r {
                    Some(r) => {
                        let bl = &base.lines[r.idx];
                        if protective(&bl.text) && sev > Severity::High {
                            sev = Severity::High;
                        }
                        (
                            "AUD202",
                            format!(
                                "changed{under}: `{}` was `{}`{why}",
                                red(&l.text),
                                red(&bl.text)
                            ),
                            Some(bl.no),
                        )
                    }
                    None => {
                        // New privileged users and new tunnels are high.
                        if rules.iter().any(|r| {
                            matches!(*r, "AUD042" | "AUD060" | "AUD043" | "AUD054" | "AUD044")
                        }) && sev > Severity::High
                        {
                            sev = Severity::High;
                        }
                        (
                            "AUD200",
                            format!("added{under}: `{}`{why}", red(&l.text)),
                            None,
                        )
                    }
                };
                out.push(Change {
                    hit: Hit {
                        rule,
                        line: l.no,
                        message: msg,
                        severity: Some(sev),
                        technique: None,
                    },
                    baseline_line: bl,
                });
            }
            (None, Some(r)) => {
                let bl = &base.lines[r.idx];
                let root = base.root_text(r.idx);
                let sev = if protective(&bl.text) {
                    Severity::High
                } else if security_section(root) || security_section(&bl.text) {
                    Severity::Medium
                } else {
                    Severity::Low
                };
                let under = if r.parent_key.is_empty() || junos {
                    String::new()
                } else {
                    format!(" from `{}`", red(&r.parent_key))
                };
                out.push(Change {
                    hit: Hit {
                        rule: "AUD201",
                        line: cur_parent_line(&r.parent_key),
                        message: format!("removed{under}: `{}`", red(&bl.text)),
                        severity: Some(sev),
                        technique: None,
                    },
                    baseline_line: Some(bl.no),
                });
            }
            (None, None) => {}
        }
    }
    out.sort_by_key(|c| (c.hit.line, c.baseline_line));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::Dialect;

    #[test]
    fn cisco_drift() {
        let base = "hostname r\nlogging host 10.0.0.1\ntacacs-server host 10.0.0.5\ninterface Gi0/0\n description up\nline vty 0 4\n access-class 10 in\n";
        let cur = "hostname r\ntacacs-server host 45.61.1.1\ninterface Gi0/0\n description up\naccess-list 20 permit 45.61.1.1\nline vty 0 4\n";
        let b = Config::parse(base, Dialect::Ios);
        let c = Config::parse(cur, Dialect::Ios);
        let ch = diff(&c, &b, &[], false);
        let got: Vec<(&str, u32, Option<u32>, Severity)> = ch
            .iter()
            .map(|c| {
                (
                    c.hit.rule,
                    c.hit.line,
                    c.baseline_line,
                    c.hit.severity.unwrap_or(Severity::Info),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("AUD201", 1, Some(2), Severity::High),
                ("AUD202", 2, Some(3), Severity::Medium),
                ("AUD200", 5, None, Severity::Medium),
                ("AUD201", 6, Some(7), Severity::High),
            ]
        );
    }

    #[test]
    fn junos_drift_across_forms() {
        let base = "system {\n    syslog {\n        host 10.0.0.1 any any;\n    }\n    services {\n        ssh;\n    }\n}\n";
        let cur = "set system services ssh\nset system services telnet\n";
        let b = Config::parse(base, Dialect::JunosCurly);
        let c = Config::parse(cur, Dialect::JunosSet);
        let ch = diff(&c, &b, &[], false);
        let got: Vec<(&str, u32, Option<u32>)> = ch
            .iter()
            .map(|c| (c.hit.rule, c.hit.line, c.baseline_line))
            .collect();
        assert_eq!(got, [("AUD201", 1, Some(3)), ("AUD200", 2, None)]);
        assert_eq!(ch[0].hit.severity, Some(Severity::High));
    }
}
