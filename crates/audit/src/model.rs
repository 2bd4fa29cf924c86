//! The small vendor-independent device model the checks read: interfaces, ACLs, users,
//! AAA servers, SNMP, logging, services, tunnels, monitor sessions, containers and the
//! version, each item with the line it came from. Built in one pass over the parsed
//! lines, per dialect where the syntax differs.

use serde::Serialize;
use std::collections::HashMap;

use crate::parse::{starts_word, Config, Dialect};

/// Where an item was declared.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct At {
    pub line: u32,
    /// Index in `Config::lines`.
    #[serde(skip)]
    pub idx: usize,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Interface {
    pub name: String,
    pub line: u32,
    pub addresses: Vec<String>,
    /// `tunnel destination` (Cisco) / `tunnel destination` (Junos gr-/ip-).
    pub tunnel_destination: Option<(String, u32)>,
    pub tunnel_mode: Option<String>,
    pub shutdown: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct AclEntry {
    pub line: u32,
    pub text: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Acl {
    pub name: String,
    pub line: u32,
    pub entries: Vec<AclEntry>,
}

#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub name: String,
    pub line: u32,
    /// Privilege 15, root-lr/root-system, network-admin, super-user.
    pub privileged: bool,
    pub ssh_key_line: Option<u32>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AaaServer {
    pub kind: &'static str,
    pub address: String,
    pub line: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct Community {
    pub name: String,
    pub line: u32,
    pub read_write: bool,
    pub acl: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Host {
    pub address: String,
    pub line: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct Session {
    pub name: String,
    pub line: u32,
    /// `erspan`, `rspan`, `span`, `capture`, `port-mirroring`, `analyzer`.
    pub kind: &'static str,
}

/// A line where a service or feature is switched on.
#[derive(Debug, Clone, Serialize)]
pub struct Service {
    /// `telnet`, `http`, `https`, `smart-install`, `web-management`, ...
    pub name: &'static str,
    pub line: u32,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Vty {
    pub line: u32,
    pub access_class: Option<String>,
    pub transport_telnet: Option<u32>,
}

/// The device model.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Device {
    pub hostname: Option<String>,
    /// The version as stated in the configuration, with its line.
    pub version: Option<(String, u32)>,
    pub interfaces: Vec<Interface>,
    pub acls: Vec<Acl>,
    pub users: Vec<User>,
    pub aaa_servers: Vec<AaaServer>,
    pub aaa_fallback_local: Vec<u32>,
    pub aaa_new_model: bool,
    pub aaa_accounting: bool,
    pub snmp_communities: Vec<Community>,
    pub snmp_hosts: Vec<Host>,
    pub logging_hosts: Vec<Host>,
    pub ntp_servers: Vec<Host>,
    pub services: Vec<Service>,
    pub vtys: Vec<Vty>,
    pub monitor_sessions: Vec<Session>,
    pub containers: Vec<Service>,
}

fn word(t: &str, n: usize) -> &str {
    t.split_ascii_whitespace().nth(n).unwrap_or("")
}

/// The word after `key` in `t`.
pub fn after<'t>(t: &'t str, key: &str) -> Option<&'t str> {
    let mut it = t.split_ascii_whitespace();
    while let Some(w) = it.next() {
        if w == key {
            return it.next();
        }
    }
    None
}

impl Device {
    /// Builds the model from a parsed configuration.
    pub fn build(cfg: &Config) -> Device {
        let mut d = Device {
            hostname: cfg.hostname().map(str::to_owned),
            ..Default::default()
        };
        if cfg.dialect.is_junos() {
            junos(cfg, &mut d);
        } else {
            cisco(cfg, &mut d);
        }
        d
    }
}

fn cisco(cfg: &Config, d: &mut Device) {
    let dl = cfg.dialect;
    let mut cur_iface: Option<usize> = None;
    let mut cur_acl: Option<usize> = None;
    let mut cur_user: Option<usize> = None;
    let mut cur_vty: Option<usize> = None;
    let mut in_pubkey = false;
    let mut in_aaa_server: Option<&'static str> = None;
    let mut acl_index: HashMap<String, usize> = HashMap::new();
    for (i, l) in cfg.stmts() {
        let t: &str = &l.text;
        if l.depth == 0 {
            cur_iface = None;
            cur_acl = None;
            cur_user = None;
            cur_vty = None;
            in_pubkey = false;
            in_aaa_server = None;
        }
        let w0 = word(t, 0);
        if l.depth == 0 {
            match w0 {
                "version" if d.version.is_none() => {
                    d.version = Some((word(t, 1).to_owned(), l.no));
                }
                "ASA" | "PIX" if word(t, 1) == "Version" && d.version.is_none() => {
                    d.version = Some((word(t, 2).to_owned(), l.no));
                }
                "interface" => {
                    d.interfaces.push(Interface {
                        name: t["interface".len()..].trim().to_owned(),
                        line: l.no,
                        ..Default::default()
                    });
                    cur_iface = Some(d.interfaces.len() - 1);
                }
                "access-list" => {
                    // access-list NAME ... (IOS numbered, ASA named, NX-OS/XR none)
                    let name = word(t, 1);
                    let name = if name == "extended" || name == "standard" {
                        word(t, 2)
                    } else {
                        name
                    };
                    let at = match acl_index.get(name) {
                        Some(p) => *p,
                        None => {
                            acl_index.insert(name.to_owned(), d.acls.len());
                            d.acls.push(Acl {
                                name: name.to_owned(),
                                line: l.no,
                                entries: Vec::new(),
                            });
                            d.acls.len() - 1
                        }
                    };
                    d.acls[at].entries.push(AclEntry {
                        line: l.no,
                        text: t.to_owned(),
                    });
                }
                "ip" | "ipv4" | "ipv6" | "mac" if word(t, 1) == "access-list" => {
                    let mut name = word(t, 2);
                    if matches!(name, "standard" | "extended" | "resequence" | "role-based") {
                        name = word(t, 3);
                    }
                    if word(t, 2) == "resequence" {
                        continue;
                    }
                    d.acls.push(Acl {
                        name: name.to_owned(),
                        line: l.no,
                        entries: Vec::new(),
                    });
                    cur_acl = Some(d.acls.len() - 1);
                    // IOS XR / NX-OS one-line form: `ipv4 access-list NAME 10 permit ...`
                    let rest = t.split_ascii_whitespace().skip(3).collect::<Vec<_>>();
                    if rest.len() > 1 && rest[0].bytes().all(|b| b.is_ascii_digit()) {
                        let last = d.acls.len() - 1;
                        d.acls[last].entries.push(AclEntry {
                            line: l.no,
                            text: rest.join(" "),
                        });
                    }
                }
                "username" => {
                    let name = word(t, 1).to_owned();
                    let privileged = after(t, "privilege") == Some("15")
                        || matches!(
                            after(t, "role"),
                            Some("network-admin" | "vdc-admin" | "priv-15")
                        )
                        || after(t, "group")
                            .is_some_and(|g| g.starts_with("root-") || g == "netadmin");
                    let key = t.contains(" sshkey ").then_some(l.no);
                    if let Some(u) = d.users.iter_mut().find(|u| u.name == name) {
                        u.privileged |= privileged;
                        if key.is_some() {
                            u.ssh_key_line = key;
                        }
                    } else {
                        d.users.push(User {
                            name,
                            line: l.no,
                            privileged,
                            ssh_key_line: key,
                        });
                    }
                    cur_user = d.users.iter().position(|u| u.name == word(t, 1));
                }
                "line"
                    if word(t, 1) == "vty"
                        || (dl == Dialect::IosXr
                            && matches!(word(t, 1), "default" | "template")) =>
                {
                    d.vtys.push(Vty {
                        line: l.no,
                        ..Default::default()
                    });
                    cur_vty = Some(d.vtys.len() - 1);
                }
                "aaa" => {
                    if t == "aaa new-model" {
                        d.aaa_new_model = true;
                    }
                    if word(t, 1) == "accounting" {
                        d.aaa_accounting = true;
                    }
                    if word(t, 1) == "authentication" && t.contains(" group ") {
                        let toks: Vec<&str> = t.split_ascii_whitespace().collect();
                        let g = toks.iter().position(|w| *w == "group").unwrap_or(0);
                        if toks[g..].contains(&"local") || toks[g..].contains(&"LOCAL") {
                            d.aaa_fallback_local.push(l.no);
                        }
                    }
                    if word(t, 1) == "group" && word(t, 2) == "server" {
                        in_aaa_server = Some(if word(t, 3).starts_with("radius") {
                            "radius"
                        } else {
                            "tacacs+"
                        });
                    }
                    // ASA: aaa-server NAME (iface) host X
                }
                "aaa-server" => {
                    if let Some(h) = after(t, "host") {
                        d.aaa_servers.push(AaaServer {
                            kind: "aaa-server",
                            address: h.to_owned(),
                            line: l.no,
                        });
                    }
                }
                "tacacs-server" | "radius-server" if word(t, 1) == "host" => {
                    d.aaa_servers.push(AaaServer {
                        kind: if w0 == "tacacs-server" {
                            "tacacs+"
                        } else {
                            "radius"
                        },
                        address: word(t, 2).to_owned(),
                        line: l.no,
                    });
                }
                "tacacs" | "radius" if word(t, 1) == "server" => {
                    in_aaa_server = Some(if w0 == "tacacs" { "tacacs+" } else { "radius" });
                }
                "snmp-server" => snmp_cisco(t, l.no, d),
                "logging" => {
                    let w1 = word(t, 1);
                    let host = match w1 {
                        "host" | "server" => {
                            let h = word(t, 2);
                            // ASA: logging host IFACE ADDR
                            if dl == Dialect::Asa {
                                word(t, 3)
                            } else {
                                h
                            }
                        }
                        _ if looks_like_address(w1) => w1,
                        _ => "",
                    };
                    if !host.is_empty() {
                        d.logging_hosts.push(Host {
                            address: host.to_owned(),
                            line: l.no,
                        });
                    }
                }
                "ntp" if word(t, 1) == "server" || word(t, 1) == "peer" => {
                    let mut h = word(t, 2);
                    if h == "vrf" {
                        h = word(t, 4);
                    }
                    d.ntp_servers.push(Host {
                        address: h.to_owned(),
                        line: l.no,
                    });
                }
                "ip" if word(t, 1) == "http" => match word(t, 2) {
                    "server" => d.services.push(Service {
                        name: "http",
                        line: l.no,
                    }),
                    "secure-server" => d.services.push(Service {
                        name: "https",
                        line: l.no,
                    }),
                    _ => {}
                },
                "http" if dl == Dialect::Asa && t == "http server enable" => {
                    d.services.push(Service {
                        name: "http",
                        line: l.no,
                    })
                }
                "vstack" => d.services.push(Service {
                    name: "smart-install",
                    line: l.no,
                }),
                "feature" => match word(t, 1) {
                    "telnet" => d.services.push(Service {
                        name: "telnet",
                        line: l.no,
                    }),
                    "bash-shell" | "guestshell" => d.containers.push(Service {
                        name: "bash-shell",
                        line: l.no,
                    }),
                    "nxapi" => d.services.push(Service {
                        name: "nxapi",
                        line: l.no,
                    }),
                    _ => {}
                },
                // IOS XR `telnet [vrf X] ipv4 server ...`; ASA `telnet ADDR MASK IFACE`.
                "telnet" if t.contains(" server") || dl == Dialect::Asa => {
                    d.services.push(Service {
                        name: "telnet",
                        line: l.no,
                    });
                }
                "monitor" => monitor_cisco(t, l.no, d),
                "monitor-session" => d.monitor_sessions.push(Session {
                    name: word(t, 1).to_owned(),
                    line: l.no,
                    kind: "span",
                }),
                "iox" => d.containers.push(Service {
                    name: "iox",
                    line: l.no,
                }),
                "app-hosting" => d.containers.push(Service {
                    name: "app-hosting",
                    line: l.no,
                }),
                "guestshell" => d.containers.push(Service {
                    name: "guestshell",
                    line: l.no,
                }),
                "appmgr" => d.containers.push(Service {
                    name: "appmgr",
                    line: l.no,
                }),
                _ => {}
            }
            if t.starts_with("ip ssh pubkey-chain") {
                in_pubkey = true;
            }
            continue;
        }
        // Children.
        if let Some(ii) = cur_iface {
            let iface = &mut d.interfaces[ii];
            if (t.starts_with("ip address ")
                || t.starts_with("ipv4 address ")
                || t.starts_with("ipv6 address "))
                && l.depth == 1
            {
                iface.addresses.push(word(t, 2).to_owned());
            } else if t.starts_with("tunnel destination ") {
                iface.tunnel_destination = Some((word(t, 2).to_owned(), l.no));
            } else if let Some(m) = t.strip_prefix("tunnel mode ") {
                iface.tunnel_mode = Some(m.to_owned());
            } else if t == "shutdown" {
                iface.shutdown = true;
            }
        }
        if let Some(ai) = cur_acl {
            if l.depth == 1 && !t.starts_with("remark") && !t.starts_with("description") {
                d.acls[ai].entries.push(AclEntry {
                    line: l.no,
                    text: t.to_owned(),
                });
            }
        }
        if let Some(ui) = cur_user {
            if t.starts_with("group root-") || t == "group netadmin" {
                d.users[ui].privileged = true;
            }
            if t.starts_with("ssh authentication publickey") {
                d.users[ui].ssh_key_line = Some(l.no);
            }
        }
        if let Some(vi) = cur_vty {
            if t.starts_with("access-class ") {
                d.vtys[vi].access_class = Some(word(t, 1).to_owned());
            }
            if t.starts_with("transport input ") && (t.contains("telnet") || t.ends_with(" all")) {
                d.vtys[vi].transport_telnet = Some(l.no);
            }
        }
        if in_pubkey && (t.starts_with("key-hash") || t.starts_with("key-string")) {
            if let Some(p) = cfg.parent(i) {
                let name = word(&p.text, 1).to_owned();
                if let Some(u) = d.users.iter_mut().find(|u| u.name == name) {
                    u.ssh_key_line = Some(l.no);
                } else {
                    d.users.push(User {
                        name,
                        line: p.no,
                        privileged: false,
                        ssh_key_line: Some(l.no),
                    });
                }
            }
        }
        if let Some(kind) = in_aaa_server {
            let addr = if t.starts_with("address ipv4 ") || t.starts_with("address ipv6 ") {
                Some(word(t, 2))
            } else if t.starts_with("server-private ") || t.starts_with("server ") {
                Some(word(t, 1))
            } else {
                None
            };
            if let Some(a) = addr {
                d.aaa_servers.push(AaaServer {
                    kind,
                    address: a.to_owned(),
                    line: l.no,
                });
            }
        }
        if cfg.root_text(i).starts_with("snmp-server") && t.starts_with("host ") {
            d.snmp_hosts.push(Host {
                address: word(t, 1).to_owned(),
                line: l.no,
            });
        }
        if dl == Dialect::IosXr
            && cfg.root_text(i).starts_with("logging")
            && looks_like_address(word(t, 0))
        {
            d.logging_hosts.push(Host {
                address: word(t, 0).to_owned(),
                line: l.no,
            });
        }
        if t.starts_with("tacacs-server host ") || t.starts_with("radius-server host ") {
            d.aaa_servers.push(AaaServer {
                kind: "tacacs+",
                address: word(t, 2).to_owned(),
                line: l.no,
            });
        }
    }
}

fn snmp_cisco(t: &str, no: u32, d: &mut Device) {
    match word(t, 1) {
        "community" => {
            let name = word(t, 2);
            let toks: Vec<&str> = t.split_ascii_whitespace().skip(3).collect();
            let rw = toks.iter().any(|w| w.eq_ignore_ascii_case("rw"))
                || after(t, "group") == Some("network-admin");
            let acl = toks
                .iter()
                .filter(|w| !w.eq_ignore_ascii_case("ro") && !w.eq_ignore_ascii_case("rw"))
                .find(|w| {
                    !matches!(
                        **w,
                        "view" | "group" | "use-acl" | "use-ipv4acl" | "SystemOwner" | "SDROwner"
                    )
                })
                .map(|s| (*s).to_owned());
            d.snmp_communities.push(Community {
                name: name.to_owned(),
                line: no,
                read_write: rw,
                acl,
            });
        }
        "host" => {
            // ASA: `snmp-server host IFACE ADDR ...`.
            let a = if !looks_like_address(word(t, 2)) && looks_like_address(word(t, 3)) {
                word(t, 3)
            } else {
                word(t, 2)
            };
            d.snmp_hosts.push(Host {
                address: a.to_owned(),
                line: no,
            })
        }
        _ => {}
    }
}

fn monitor_cisco(t: &str, no: u32, d: &mut Device) {
    let w1 = word(t, 1);
    match w1 {
        "session" => {
            let name = word(t, 2).to_owned();
            if d.monitor_sessions
                .iter()
                .any(|s| s.name == name && s.kind != "capture")
            {
                // Later lines of the same session refine the kind.
                if t.contains("erspan") || t.contains(" remote ") {
                    if let Some(s) = d.monitor_sessions.iter_mut().find(|s| s.name == name) {
                        s.kind = if t.contains("erspan") {
                            "erspan"
                        } else {
                            "rspan"
                        };
                    }
                }
                return;
            }
            let kind = if t.contains("erspan") {
                "erspan"
            } else if t.contains(" remote ") {
                "rspan"
            } else {
                "span"
            };
            d.monitor_sessions.push(Session {
                name,
                line: no,
                kind,
            });
        }
        "capture" => {
            let name = word(t, 2).to_owned();
            if !d
                .monitor_sessions
                .iter()
                .any(|s| s.name == name && s.kind == "capture")
            {
                d.monitor_sessions.push(Session {
                    name,
                    line: no,
                    kind: "capture",
                });
            }
        }
        "erspan" => d.monitor_sessions.push(Session {
            name: t.to_owned(),
            line: no,
            kind: "erspan",
        }),
        _ => {}
    }
}

/// True for an IPv4/IPv6 address (optionally with a prefix length).
pub fn looks_like_address(w: &str) -> bool {
    let a = w.split('/').next().unwrap_or("");
    a.parse::<std::net::IpAddr>().is_ok()
}

fn junos(cfg: &Config, d: &mut Device) {
    let mut if_index: HashMap<String, usize> = HashMap::new();
    let mut acl_index: HashMap<String, usize> = HashMap::new();
    for (_, l) in cfg.stmts() {
        let t: &str = &l.text;
        // Strip `groups NAME ` so that group-inherited settings count too.
        let t = match t.strip_prefix("groups ") {
            Some(r) => r.split_once(' ').map_or(r, |(_, x)| x),
            None => t,
        };
        let no = l.no;
        if let Some(v) = t.strip_prefix("version ") {
            if d.version.is_none() {
                d.version = Some((v.trim().to_owned(), no));
            }
            continue;
        }
        if let Some(r) = t.strip_prefix("interfaces ") {
            let name = word(r, 0);
            let at = *if_index.entry(name.to_owned()).or_insert_with(|| {
                d.interfaces.push(Interface {
                    name: name.to_owned(),
                    line: no,
                    ..Default::default()
                });
                d.interfaces.len() - 1
            });
            if let Some(i) = d.interfaces.get_mut(at) {
                if let Some(a) = after(r, "address") {
                    if r.contains(" family inet") {
                        i.addresses.push(a.to_owned());
                    }
                }
                if let Some(dst) = after(r, "destination") {
                    if r.contains(" tunnel ") {
                        i.tunnel_destination = Some((dst.to_owned(), no));
                        i.tunnel_mode = Some(
                            if name.starts_with("gr-") {
                                "gre"
                            } else {
                                "ip-ip"
                            }
                            .to_owned(),
                        );
                    }
                }
                if r.ends_with(" disable") && r.split_ascii_whitespace().count() == 2 {
                    i.shutdown = true;
                }
            }
            continue;
        }
        if let Some(r) = t.strip_prefix("firewall ") {
            // firewall [family F] filter NAME term T ...
            if let Some(name) = after(r, "filter") {
                let at = *acl_index.entry(name.to_owned()).or_insert_with(|| {
                    d.acls.push(Acl {
                        name: name.to_owned(),
                        line: no,
                        entries: Vec::new(),
                    });
                    d.acls.len() - 1
                });
                if let Some(a) = d.acls.get_mut(at) {
                    a.entries.push(AclEntry {
                        line: no,
                        text: t.to_owned(),
                    });
                }
            }
            continue;
        }
        if let Some(r) = t.strip_prefix("system ") {
            if let Some(u) = r.strip_prefix("login user ") {
                let name = word(u, 0).to_owned();
                let idx = match d.users.iter().position(|x| x.name == name) {
                    Some(p) => p,
                    None => {
                        d.users.push(User {
                            name: name.clone(),
                            line: no,
                            privileged: false,
                            ssh_key_line: None,
                        });
                        d.users.len() - 1
                    }
                };
                if after(u, "class") == Some("super-user") {
                    d.users[idx].privileged = true;
                }
                if u.contains(" authentication ssh-") {
                    d.users[idx].ssh_key_line = Some(no);
                }
            } else if let Some(s) = r.strip_prefix("services ") {
                let w = word(s, 0);
                match w {
                    "telnet" => d.services.push(Service {
                        name: "telnet",
                        line: no,
                    }),
                    "web-management"
                        if s.contains(" http")
                            && !d.services.iter().any(|x| x.name == "web-management") =>
                    {
                        d.services.push(Service {
                            name: "web-management",
                            line: no,
                        })
                    }
                    "ftp" => d.services.push(Service {
                        name: "ftp",
                        line: no,
                    }),
                    _ => {}
                }
            } else if let Some(s) = r.strip_prefix("tacplus-server ") {
                let a = word(s, 0);
                if !d.aaa_servers.iter().any(|x| x.address == a) {
                    d.aaa_servers.push(AaaServer {
                        kind: "tacacs+",
                        address: a.to_owned(),
                        line: no,
                    });
                }
            } else if let Some(s) = r.strip_prefix("radius-server ") {
                let a = word(s, 0);
                if !d.aaa_servers.iter().any(|x| x.address == a) {
                    d.aaa_servers.push(AaaServer {
                        kind: "radius",
                        address: a.to_owned(),
                        line: no,
                    });
                }
            } else if let Some(s) = r.strip_prefix("authentication-order") {
                let s = s.trim();
                if s.contains("password") && (s.contains("tacplus") || s.contains("radius")) {
                    d.aaa_fallback_local.push(no);
                }
            } else if let Some(s) = r.strip_prefix("syslog host ") {
                let a = word(s, 0);
                if !d.logging_hosts.iter().any(|x| x.address == a) {
                    d.logging_hosts.push(Host {
                        address: a.to_owned(),
                        line: no,
                    });
                }
            } else if let Some(s) = r.strip_prefix("ntp server ") {
                d.ntp_servers.push(Host {
                    address: word(s, 0).to_owned(),
                    line: no,
                });
            } else if r.starts_with("accounting ") {
                d.aaa_accounting = true;
            }
            continue;
        }
        if let Some(r) = t.strip_prefix("snmp ") {
            if let Some(c) = r.strip_prefix("community ") {
                let name = word(c, 0).trim_matches('"');
                let rw = c.contains("authorization read-write");
                if let Some(x) = d.snmp_communities.iter_mut().find(|x| x.name == name) {
                    x.read_write |= rw;
                    if c.contains(" clients ") {
                        x.acl = Some("clients".into());
                    }
                } else {
                    d.snmp_communities.push(Community {
                        name: name.to_owned(),
                        line: no,
                        read_write: rw,
                        acl: c.contains(" clients ").then(|| "clients".into()),
                    });
                }
            } else if r.starts_with("trap-group ") {
                if let Some(a) = after(r, "targets") {
                    d.snmp_hosts.push(Host {
                        address: a.to_owned(),
                        line: no,
                    });
                }
            }
            continue;
        }
        if let Some(r) = t.strip_prefix("forwarding-options ") {
            let kind = if r.starts_with("port-mirroring") {
                Some("port-mirroring")
            } else if r.starts_with("analyzer") {
                Some("analyzer")
            } else if r.starts_with("packet-capture") {
                Some("capture")
            } else {
                None
            };
            if let Some(k) = kind {
                if !d.monitor_sessions.iter().any(|s| s.kind == k) {
                    d.monitor_sessions.push(Session {
                        name: k.to_owned(),
                        line: no,
                        kind: k,
                    });
                }
            }
            continue;
        }
        if starts_word(t, "services")
            && t.contains("port-mirroring")
            && !d
                .monitor_sessions
                .iter()
                .any(|s| s.kind == "port-mirroring")
        {
            d.monitor_sessions.push(Session {
                name: "port-mirroring".into(),
                line: no,
                kind: "port-mirroring",
            });
        }
    }
}
