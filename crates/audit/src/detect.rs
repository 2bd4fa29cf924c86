//! Recognises a configuration's dialect from its content (never from the file name).
//!
//! Order: an explicit RANCID `RANCID-CONTENT-TYPE` header; then formats of other
//! vendors that are recognised to be skipped with a reason (F5, HP Comware/ProCurve,
//! CatOS, Cumulus NCLU, Palo Alto, Arista, iptables, JSON); then Junos (`set` form or
//! curly braces); then the Cisco dialects by their tell-tale lines.

use crate::parse::Dialect;

/// Junos top-level configuration keywords (the first word after `set`).
const JUNOS_TOP: &[&str] = &[
    "system",
    "interfaces",
    "protocols",
    "policy-options",
    "firewall",
    "routing-options",
    "routing-instances",
    "security",
    "snmp",
    "chassis",
    "class-of-service",
    "forwarding-options",
    "applications",
    "services",
    "groups",
    "vlans",
    "bridge-domains",
    "event-options",
    "access",
    "logical-systems",
    "poe",
    "ethernet-switching-options",
    "version",
    "apply-groups",
    "switch-options",
    "multi-chassis",
    "virtual-chassis",
    "accounting-options",
    "tenants",
    "schedulers",
    "access-profile",
    "dynamic-profiles",
    "bridge-domain",
    "fabric",
    "smtp",
    "jsrc",
    "forwarding-class",
];

/// CatOS `set` commands that Junos does not have.
const CATOS_SET: &[&str] = &[
    "port",
    "spantree",
    "prompt",
    "enablepass",
    "password",
    "vtp",
    "cdp",
    "logging",
    "ip",
    "interface",
    "module",
    "vlan",
    "length",
    "banner",
    "test",
    "summertime",
    "timezone",
    "boot",
    "trunk",
    "tacacs",
    "radius",
    "authentication",
    "ntp",
];

/// Detects the dialect, or says which unsupported format it is.
pub fn detect(text: &str) -> Result<Dialect, String> {
    let mut head_lines = 0usize;
    for (_, l) in crate::parse::lines_of(text) {
        head_lines += 1;
        if head_lines > 8 {
            break;
        }
        if let Some(at) = l.find("RANCID-CONTENT-TYPE:") {
            let kind = l[at + 20..].trim();
            return match kind {
                "cisco" => Ok(cisco_classic(text)),
                "cisco-nx" => Ok(Dialect::NxOs),
                "cisco-xr" => Ok(Dialect::IosXr),
                "juniper" => Ok(junos_form(text)),
                "arista" => Err("Arista EOS (RANCID-CONTENT-TYPE: arista) is not supported".into()),
                "paloalto" => {
                    Err("Palo Alto PAN-OS (RANCID-CONTENT-TYPE: paloalto) is not supported".into())
                }
                other => Err(format!(
                    "RANCID-CONTENT-TYPE: {other} is not a supported vendor"
                )),
            };
        }
    }
    let mut s = Scores::default();
    let mut seen = 0usize;
    for (_, raw) in crate::parse::lines_of(text) {
        let t = raw.trim();
        if t.is_empty() {
            continue;
        }
        seen += 1;
        if seen > 4000 {
            break;
        }
        s.line(raw, t);
    }
    s.decide(text)
}

#[derive(Default)]
struct Scores {
    junos_set: u32,
    catos_set: u32,
    other_set: u32,
    junos_curly: u32,
    braces: u32,
    semis: u32,
    f5: u32,
    hp: u32,
    cumulus: u32,
    palo: u32,
    arista: u32,
    iptables: u32,
    json: bool,
    asa: u32,
    xr: u32,
    nx: u32,
    cisco: u32,
    first: bool,
}

impl Scores {
    fn line(&mut self, raw: &str, t: &str) {
        if !self.first {
            self.first = true;
            self.json = t.starts_with('{') || t.starts_with('[');
        }
        let top = !raw.starts_with(' ') && !raw.starts_with('\t');
        let mut w = t.split_ascii_whitespace();
        let w0 = w.next().unwrap_or("");
        let w1 = w.next().unwrap_or("");
        if t.ends_with('{') {
            self.braces += 1;
        }
        if t.ends_with(';') {
            self.semis += 1;
        }
        match w0 {
            "set" if top => {
                if w1 == "deviceconfig" || w1 == "rulebase" || w1 == "mgt-config" {
                    self.palo += 1;
                } else if JUNOS_TOP.contains(&w1) {
                    // `set snmp community read-only NAME` is CatOS.
                    if w1 == "snmp"
                        && t.contains(" community read-")
                        && !t.contains("authorization")
                    {
                        self.catos_set += 1;
                    } else {
                        self.junos_set += 1;
                    }
                } else if CATOS_SET.contains(&w1) {
                    self.catos_set += 1;
                } else {
                    self.other_set += 1;
                }
            }
            "ltm" | "gtm" | "apm" | "cm" | "sys" | "auth" | "net" if top && t.ends_with('{') => {
                self.f5 += 1
            }
            "net" if matches!(w1, "add" | "del" | "commit") => self.cumulus += 1,
            "sysname" => self.hp += 2,
            "-A" | "-P" | "*filter" | "*nat" | "*mangle" | ":INPUT" | ":FORWARD" => {
                self.iptables += 1
            }
            "ASA" | "PIX" | "FWSM" if w1 == "Version" => self.asa += 10,
            "nameif" | "same-security-traffic" | "object-group" | "names" | "pager" => {
                self.asa += if w0 == "nameif" || w0 == "pager" {
                    3
                } else {
                    1
                }
            }
            ":" if w1 == "Saved" => self.asa += 5,
            "!!" if w1 == "IOS" => self.xr += 10,
            "ipv4" | "ipv6" if !top && w1 == "address" => self.xr += 3,
            "route-policy" | "end-policy" | "prefix-set" | "end-set" | "community-set"
            | "as-path-set" | "rd-set" => self.xr += 3,
            "feature" | "vrf" if top && (w0 == "feature" || w1 == "context") => self.nx += 3,
            "switchname" => self.nx += 5,
            "!Command:" | "!Time:" => self.nx += 2,
            "hostname" | "interface" | "router" | "ip" | "line" | "access-list" | "snmp-server"
            | "logging" | "aaa" | "username" | "service" | "enable" | "ntp" | "tacacs-server"
            | "radius-server" | "crypto" | "control-plane" | "boot" | "spanning-tree" | "vlan"
            | "version" | "no" | "mpls" | "vrf" | "route-map" | "ipv6" | "class-map"
            | "policy-map" | "key" | "archive" | "monitor" | "banner" | "end" | "redundancy"
            | "license" => {
                // Some snippets are indented as a whole: count those too, once per line.
                self.cisco += 1;
                if w0 == "interface" && (w1.contains("0/0/0/") || w1.starts_with("MgmtEth")) {
                    self.xr += 3;
                }
                // IOS XR: `vrf NAME` alone at top level (IOS: `vrf definition`, NX-OS: `vrf context`).
                if w0 == "vrf"
                    && top
                    && !w1.is_empty()
                    && t.split_ascii_whitespace().count() == 2
                    && w1 != "context"
                    && w1 != "definition"
                {
                    self.xr += 3;
                }
                if w0 == "management" && w1 == "api" {
                    self.arista += 2;
                }
            }
            "daemon" | "management" if w1 == "TerminAttr" || w1 == "api" => self.arista += 3,
            "!" if t.contains("device:") && t.contains("EOS") => self.arista += 10,
            _ => {
                if (top
                    && (w0 == "system"
                        || w0 == "interfaces"
                        || w0 == "protocols"
                        || w0 == "policy-options"
                        || w0 == "firewall"
                        || w0 == "routing-options"
                        || w0 == "snmp"
                        || w0 == "security"
                        || w0 == "groups"
                        || w0 == "chassis"))
                    && w1 == "{"
                {
                    self.junos_curly += 5;
                }
                if t.starts_with("version ") && t.ends_with(';') {
                    self.junos_curly += 5;
                }
            }
        }
        if w0 == "system" && w1 == "{" {
            self.junos_curly += 5;
        }
    }

    fn decide(&self, text: &str) -> Result<Dialect, String> {
        if self.json {
            return Err("JSON, not a device configuration".into());
        }
        if self.iptables >= 2 {
            return Err("iptables rules, not a supported device configuration".into());
        }
        if self.f5 > 0 && self.semis == 0 {
            return Err("F5 BIG-IP configuration is not supported".into());
        }
        if self.hp > 0 {
            return Err("HP Comware/ProCurve configuration is not supported".into());
        }
        if self.cumulus > 0 {
            return Err("Cumulus NCLU configuration is not supported".into());
        }
        if self.palo > 0 && self.junos_set == 0 {
            return Err("Palo Alto PAN-OS configuration is not supported".into());
        }
        if self.catos_set > 0 && self.catos_set >= self.junos_set {
            return Err("Cisco CatOS configuration is not supported".into());
        }
        if self.junos_set > 0 && self.junos_set >= self.cisco {
            return Ok(Dialect::JunosSet);
        }
        if self.junos_curly > 0 || (self.braces > 0 && self.semis > 0 && self.cisco == 0) {
            return Ok(Dialect::JunosCurly);
        }
        if self.arista >= 3 {
            return Err("Arista EOS configuration is not supported".into());
        }
        if self.asa >= 5 {
            return Ok(Dialect::Asa);
        }
        if self.xr >= 3 && self.xr > self.nx {
            return Ok(Dialect::IosXr);
        }
        if self.nx >= 3 {
            return Ok(Dialect::NxOs);
        }
        if self.cisco > 0 || self.xr > 0 || self.asa > 0 {
            return Ok(cisco_classic(text));
        }
        if self.other_set > 0 {
            return Err("`set` commands of an unknown vendor".into());
        }
        Err("not a recognised device configuration (no Cisco or Junos statements found)".into())
    }
}

/// IOS, IOS XE or ASA for a file RANCID calls `cisco`.
fn cisco_classic(text: &str) -> Dialect {
    let head = &text[..text.floor_char_boundary(64 * 1024)];
    if head.contains("ASA Version") || head.contains("PIX Version") || head.contains("FWSM Version")
    {
        return Dialect::Asa;
    }
    if head.contains("IOS XE") || head.contains("IOS-XE") {
        return Dialect::IosXe;
    }
    for (_, l) in crate::parse::lines_of(head) {
        if let Some(v) = l.strip_prefix("version ") {
            let major: u32 = v
                .split('.')
                .next()
                .and_then(|m| m.trim().parse().ok())
                .unwrap_or(0);
            return if major >= 16 {
                Dialect::IosXe
            } else {
                Dialect::Ios
            };
        }
    }
    Dialect::Ios
}

/// Curly or `set` form of a Junos file.
fn junos_form(text: &str) -> Dialect {
    let mut set = 0;
    let mut curly = 0;
    for (_, l) in crate::parse::lines_of(text).take(2000) {
        let t = l.trim();
        if t.starts_with("set ") {
            set += 1;
        } else if t.ends_with('{') || t.ends_with(';') {
            curly += 1;
        }
    }
    if set >= curly {
        Dialect::JunosSet
    } else {
        Dialect::JunosCurly
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dialects() {
        assert_eq!(
            detect("hostname a\ninterface Gi0/0\n ip address 1.1.1.1 255.0.0.0\n"),
            Ok(Dialect::Ios)
        );
        assert_eq!(detect("version 17.3\nhostname a\n"), Ok(Dialect::IosXe));
        assert_eq!(
            detect(": Saved\nASA Version 9.6(3)8\nhostname x\n"),
            Ok(Dialect::Asa)
        );
        assert_eq!(
            detect("version 9.3(5)\nfeature bgp\nhostname n\n"),
            Ok(Dialect::NxOs)
        );
        assert_eq!(
            detect("hostname x\ninterface GigabitEthernet0/0/0/0\n ipv4 address 1.1.1.1/24\n"),
            Ok(Dialect::IosXr)
        );
        assert_eq!(
            detect("set system host-name a\nset interfaces ge-0/0/0 unit 0\n"),
            Ok(Dialect::JunosSet)
        );
        assert_eq!(
            detect("system {\n host-name a;\n}\n"),
            Ok(Dialect::JunosCurly)
        );
        assert!(detect("#!\nset snmp community read-only x\n")
            .unwrap_err()
            .contains("CatOS"));
        assert!(detect("ltm virtual A {\n pool p\n}\n")
            .unwrap_err()
            .contains("F5"));
        assert!(detect("lorem ipsum\n").is_err());
    }
}
