//! The checks: the device model and the lines in, hits out. Each hit names its rule
//! (see `rules.rs` for what each one means and where it comes from).

use std::collections::HashSet;

use stormwatch_hunt::iocs::IocSet;

use crate::model::{after, Device};
use crate::parse::{starts_word, Config, Dialect};
use crate::redact::{self, Strength};
use crate::rules::Severity;

/// Words whose presence gates the per-line checks: one multi-pattern pass per line
/// instead of a substring search per check.
const NEEDLES: &[&str] = &[
    "password",
    "secret",
    "key",
    "md5",
    "$",
    "passwd",
    "ssh",
    "port",
    "sshd_operns",
    "57722",
    "clear log",
    ".bash_history",
    "auth.log",
    "lastlog",
    "wtmp",
    "btmp",
    "history -c",
    ".pcap",
    "tpacap",
    "ftp",
    "guestshell",
    "dohost",
    "chvrf",
];

static MATCHER: std::sync::LazyLock<Option<aho_corasick::AhoCorasick>> =
    std::sync::LazyLock::new(|| aho_corasick::AhoCorasick::new(NEEDLES).ok());

/// Bit i set when NEEDLES\[i\] occurs in `t` (all bits when the matcher is missing).
fn needles(t: &str) -> u64 {
    let Some(m) = MATCHER.as_ref() else {
        return u64::MAX;
    };
    let mut bits = 0u64;
    for x in m.find_overlapping_iter(t) {
        bits |= 1 << x.pattern().as_usize();
    }
    bits
}

fn has(bits: u64, needle: &str) -> bool {
    NEEDLES
        .iter()
        .position(|n| *n == needle)
        .is_some_and(|i| bits & (1 << i) != 0)
}

/// One check result, before it becomes a [`crate::Finding`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub rule: &'static str,
    pub line: u32,
    pub message: String,
    /// Overrides the rule's severity (e.g. critical on IOS XE).
    pub severity: Option<Severity>,
    /// Overrides the rule's technique.
    pub technique: Option<&'static str>,
}

fn hit(rule: &'static str, line: u32, message: String) -> Hit {
    Hit {
        rule,
        line,
        message,
        severity: None,
        technique: None,
    }
}

/// Is this IPv4 address private, loopback, link-local, CGNAT, documentation-free
/// "internal" space? (Used to tell external sources in ACLs.)
fn private_v4(a: std::net::Ipv4Addr) -> bool {
    let o = a.octets();
    a.is_private()
        || a.is_loopback()
        || a.is_link_local()
        || a.is_unspecified()
        || (o[0] == 100 && (64..128).contains(&o[1]))
        || o[0] >= 224
}

/// The source of an ACL entry, as `Some(true)` external, `Some(false)` internal,
/// `None` when it cannot be told (object groups, names).
fn acl_source_external(entry: &str) -> Option<(bool, String)> {
    let toks: Vec<&str> = entry.split_ascii_whitespace().collect();
    let act = toks.iter().position(|w| *w == "permit")?;
    let mut i = act + 1;
    // Extended lists name a protocol first.
    let proto_like = |w: &str| {
        matches!(
            w,
            "ip" | "tcp"
                | "udp"
                | "icmp"
                | "gre"
                | "esp"
                | "ahp"
                | "ipv4"
                | "ipv6"
                | "igmp"
                | "ospf"
                | "pim"
                | "eigrp"
                | "sctp"
                | "icmpv6"
        ) || w.bytes().all(|b| b.is_ascii_digit())
    };
    let next = toks.get(i)?;
    if proto_like(next) && toks.len() > i + 1 {
        i += 1;
    }
    let src = *toks.get(i)?;
    match src {
        "any" | "any4" | "any6" => Some((true, "any".into())),
        "host" => {
            let a = toks.get(i + 1)?;
            let ip: std::net::Ipv4Addr = a.parse().ok()?;
            Some((!private_v4(ip), (*a).to_owned()))
        }
        s => {
            let a = s.split('/').next()?;
            let ip: std::net::Ipv4Addr = a.parse().ok()?;
            if ip.is_unspecified() {
                return Some((true, s.to_owned()));
            }
            Some((!private_v4(ip), s.to_owned()))
        }
    }
}

/// Runs every configuration check.
/// `show` keeps secrets in messages (`--show-secrets`).
pub fn run(cfg: &Config, d: &Device, iocs: &IocSet, show: bool) -> Vec<Hit> {
    let mut hits = Vec::new();
    let dl = cfg.dialect;
    let junos = dl.is_junos();
    let red = |t: &str| {
        if show {
            t.to_owned()
        } else {
            redact::redact(t, junos)
        }
    };

    // --- services -------------------------------------------------------------
    for s in &d.services {
        match s.name {
            "telnet" => hits.push(hit(
                "AUD010",
                s.line,
                "Telnet server enabled: credentials cross the network in clear".into(),
            )),
            "http" | "https" | "web-management" => {
                let mut h = hit(
                    "AUD030",
                    s.line,
                    format!(
                        "web management UI enabled ({}){}",
                        s.name,
                        if dl == Dialect::IosXe {
                            ": the CVE-2023-20198/20273 attack surface on IOS XE"
                        } else {
                            ""
                        }
                    ),
                );
                if dl == Dialect::IosXe {
                    h.severity = Some(Severity::Critical);
                }
                hits.push(h);
            }
            "smart-install" => hits.push(hit(
                "AUD031",
                s.line,
                "Smart Install client enabled (`vstack`, TCP/4786): CVE-2018-0171".into(),
            )),
            _ => {}
        }
    }
    for v in &d.vtys {
        if let Some(l) = v.transport_telnet {
            hits.push(hit("AUD010", l, "VTY lines accept Telnet".into()));
        }
        if v.access_class.is_none() && matches!(dl, Dialect::Ios | Dialect::IosXe | Dialect::NxOs) {
            hits.push(hit(
                "AUD011",
                v.line,
                "VTY lines have no access-class: logins accepted from any address".into(),
            ));
        }
    }

    // --- ACLs -----------------------------------------------------------------
    let mut mgmt_acls: Vec<(&str, &'static str)> = d
        .vtys
        .iter()
        .filter_map(|v| v.access_class.as_deref())
        .map(|a| (a, "VTY access-class"))
        .collect();
    for c in &d.snmp_communities {
        if let Some(a) = c.acl.as_deref() {
            mgmt_acls.push((a, "SNMP community ACL"));
        }
    }
    for acl in &d.acls {
        let mgmt = mgmt_acls
            .iter()
            .find(|(n, _)| *n == acl.name)
            .map(|(_, w)| *w);
        let advisory = matches!(acl.name.as_str(), "10" | "20" | "50");
        if mgmt.is_none() && !advisory {
            continue;
        }
        for e in &acl.entries {
            let Some((ext, src)) = acl_source_external(&e.text) else {
                continue;
            };
            if !ext {
                continue;
            }
            if let Some(w) = mgmt {
                hits.push(hit(
                    "AUD012",
                    e.line,
                    format!("{w} {} permits {src}: `{}`", acl.name, red(&e.text)),
                ));
            } else if advisory {
                hits.push(hit(
                    "AUD013",
                    e.line,
                    format!(
                        "ACL {} admits external source {src}: `{}`",
                        acl.name,
                        red(&e.text)
                    ),
                ));
            }
        }
    }

    // --- AAA and users --------------------------------------------------------
    for l in &d.aaa_fallback_local {
        hits.push(hit(
            "AUD040",
            *l,
            "AAA login falls back to local accounts".into(),
        ));
    }
    if !junos
        && (d.aaa_new_model || !d.aaa_servers.is_empty())
        && !d.aaa_accounting
        && dl != Dialect::Asa
    {
        hits.push(hit(
            "AUD041",
            1,
            "AAA is used but no `aaa accounting` is configured".into(),
        ));
    }
    if junos && !d.aaa_servers.is_empty() && !d.aaa_accounting {
        hits.push(hit(
            "AUD041",
            cfg.section_line("system"),
            "TACACS+/RADIUS used but no `system accounting`".into(),
        ));
    }
    for s in &d.aaa_servers {
        hits.push(hit(
            "AUD044",
            s.line,
            format!("{} server {}", s.kind, s.address),
        ));
    }
    for u in &d.users {
        if u.privileged {
            hits.push(hit(
                "AUD042",
                u.line,
                format!("local account `{}` has full privileges", u.name),
            ));
        }
        if let Some(k) = u.ssh_key_line {
            hits.push(hit(
                "AUD043",
                k,
                format!("SSH public key installed for `{}`", u.name),
            ));
        }
    }

    // --- SNMP -----------------------------------------------------------------
    for c in &d.snmp_communities {
        let default =
            c.name.eq_ignore_ascii_case("public") || c.name.eq_ignore_ascii_case("private");
        if default {
            hits.push(hit(
                "AUD050",
                c.line,
                format!(
                    "SNMP community `{}`{}",
                    c.name,
                    if c.read_write { " (read-write)" } else { "" }
                ),
            ));
        }
        if c.read_write {
            hits.push(hit("AUD051", c.line, "read-write SNMP community".into()));
        }
        if !default && !c.read_write {
            hits.push(hit(
                "AUD052",
                c.line,
                format!(
                    "SNMPv1/v2c community{}",
                    if c.acl.is_some() {
                        " (bound to an ACL)"
                    } else {
                        " not bound to an ACL"
                    }
                ),
            ));
        }
    }
    for h in &d.snmp_hosts {
        hits.push(hit(
            "AUD054",
            h.line,
            format!("SNMP notifications sent to {}", h.address),
        ));
    }

    // --- tunnels and mirroring --------------------------------------------------
    for i in &d.interfaces {
        let lname = i.name.to_ascii_lowercase();
        let is_tunnel =
            lname.starts_with("tunnel") || lname.starts_with("gr-") || lname.starts_with("ip-");
        if let Some((dst, _)) = &i.tunnel_destination {
            hits.push(hit(
                "AUD060",
                i.line,
                format!(
                    "tunnel interface {} ({}) to {dst}",
                    i.name,
                    i.tunnel_mode.as_deref().unwrap_or("gre")
                ),
            ));
        } else if is_tunnel && lname.starts_with("tunnel") {
            hits.push(hit(
                "AUD060",
                i.line,
                format!(
                    "tunnel interface {} ({}), no destination",
                    i.name,
                    i.tunnel_mode.as_deref().unwrap_or("gre")
                ),
            ));
        }
    }
    for s in &d.monitor_sessions {
        match s.kind {
            "erspan" => hits.push(hit("AUD070", s.line, format!("ERSPAN session {}", s.name))),
            "capture" => hits.push(hit("AUD072", s.line, format!("packet capture {}", s.name))),
            k => hits.push(hit("AUD071", s.line, format!("{k} session {}", s.name))),
        }
    }
    for c in &d.containers {
        hits.push(hit(
            "AUD080",
            c.line,
            format!("container hosting: {}", c.name),
        ));
    }

    // --- logging --------------------------------------------------------------
    if d.logging_hosts.is_empty() {
        let at = if junos {
            cfg.section_line("system syslog")
        } else {
            1
        };
        hits.push(hit(
            "AUD090",
            at,
            "no off-box syslog host configured".into(),
        ));
    }

    // --- per-line scans ---------------------------------------------------------
    let mut ioc_out: Vec<u32> = Vec::new();
    let mut seen_capture: HashSet<u32> = HashSet::new();
    for (i, l) in cfg.stmts() {
        let t: &str = &l.text;
        let no = l.no;
        let bits = needles(t);
        // Secrets.
        if bits & 0b11_1111 != 0 {
            let mut best: Option<Strength> = None;
            for s in redact::find(t, junos) {
                best = match (best, s.strength) {
                    (_, Strength::Reversible) => Some(Strength::Reversible),
                    (Some(Strength::Reversible), _) => best,
                    (_, Strength::Plain) => Some(Strength::Plain),
                    (Some(Strength::Plain), _) => best,
                    (_, Strength::Weak) => Some(Strength::Weak),
                    _ => best,
                };
            }
            match best {
                Some(Strength::Reversible) => hits.push(hit(
                    "AUD100",
                    no,
                    format!(
                        "reversible secret ({}): `{}`",
                        if junos { "Junos $9$" } else { "Cisco type 7" },
                        red(t)
                    ),
                )),
                Some(Strength::Plain) => hits.push(hit(
                    "AUD102",
                    no,
                    format!("clear-text secret: `{}`", red(t)),
                )),
                Some(Strength::Weak) => hits.push(hit(
                    "AUD101",
                    no,
                    format!("crackable hash (MD5-based): `{}`", red(t)),
                )),
                _ => {}
            }
        }
        let root = cfg.root_text(i);
        // SSH / HTTP ports.
        if has(bits, "port") && (has(bits, "ssh") || root.contains("ssh")) {
            if let Some(p) = after(t, "port").and_then(|p| p.parse::<u32>().ok()) {
                if p != 22 {
                    let shaped = p.to_string().len() == 5 && p % 100 == 22;
                    let mut h = hit(
                        "AUD020",
                        no,
                        format!(
                            "SSH served on port {p}{}",
                            if shaped {
                                " (shaped like the advisory's 22x22/xxx22 ports)"
                            } else {
                                ""
                            }
                        ),
                    );
                    if !shaped {
                        h.severity = Some(Severity::Medium);
                    }
                    hits.push(h);
                }
            }
        }
        if t.starts_with("ip http port ") || t.starts_with("ip http secure-port ") {
            if let Some(p) = t.rsplit(' ').next().and_then(|p| p.parse::<u32>().ok()) {
                if (18000..19000).contains(&p) {
                    hits.push(hit("AUD021", no, format!("web server on port {p}")));
                }
            }
        }
        if has(bits, "sshd_operns")
            || (has(bits, "57722") && t.split(|c: char| !c.is_ascii_digit()).any(|w| w == "57722"))
        {
            hits.push(hit("AUD022", no, format!("IOS XR host sshd: `{}`", red(t))));
        }
        // Logging.
        if t == "no logging on" || t == "no logging" {
            hits.push(hit("AUD091", no, "logging switched off".into()));
        }
        if let Some(level) = t.strip_prefix("logging trap ") {
            let lv = level.trim();
            if matches!(
                lv,
                "0" | "1" | "2" | "3" | "emergencies" | "alerts" | "critical" | "errors"
            ) {
                hits.push(hit("AUD092", no, format!("syslog level lowered to {lv}")));
            }
        }
        if (has(bits, "clear log")
            && (t.contains("clear logging") || (junos && t.contains("clear log "))))
            || has(bits, ".bash_history")
            || has(bits, "auth.log")
            || has(bits, "lastlog")
            || has(bits, "wtmp")
            || has(bits, "btmp")
            || has(bits, "history -c")
        {
            hits.push(hit("AUD093", no, format!("log tampering: `{}`", red(t))));
        }
        // Captures and cleartext copies.
        if has(bits, ".pcap")
            && (t.contains("mycap.pcap") || t.contains("tac.pcap") || t.contains("1.pcap"))
            && capture_name(t)
        {
            hits.push(hit(
                "AUD073",
                no,
                format!("actor capture file name: `{}`", red(t)),
            ));
        }
        if has(bits, "tpacap") && seen_capture.insert(no) {
            hits.push(hit("AUD072", no, "IOS XR tpacap packet capture".into()));
        }
        if t.starts_with("monitor capture ") || starts_word(t, "forwarding-options packet-capture")
        {
            let aaa_port = [
                " eq 49",
                " eq tacacs",
                " eq 1812",
                " eq 1813",
                " eq 1645",
                " eq 1646",
                " eq radius",
                "port 49",
            ]
            .iter()
            .any(|p| t.contains(p));
            if aaa_port {
                let mut h = hit(
                    "AUD072",
                    no,
                    format!("packet capture filtering TACACS+/RADIUS: `{}`", red(t)),
                );
                h.severity = Some(Severity::Critical);
                hits.push(h);
            }
        }
        if has(bits, "ftp")
            && (t.split_ascii_whitespace().any(|w| {
                let w = w.trim_matches('"');
                w.starts_with("tftp:") || w.starts_with("ftp:")
            }) || t.starts_with("ip ftp username")
                || t.starts_with("ip ftp password"))
        {
            hits.push(hit(
                "AUD074",
                no,
                format!("clear-text file transfer: `{}`", red(t)),
            ));
        }
        if has(bits, "guestshell") && !t.starts_with("guestshell")
            || has(bits, "dohost")
            || has(bits, "chvrf")
        {
            hits.push(hit(
                "AUD080",
                no,
                format!("container command: `{}`", red(t)),
            ));
        }
        // SNMPv3 without priv.
        if (t.starts_with("snmp-server group ")
            && t.contains(" v3 ")
            && (t.ends_with(" auth") || t.contains(" auth ") || t.contains(" noauth")))
            && !t.contains(" priv")
        {
            hits.push(hit(
                "AUD053",
                no,
                format!("SNMPv3 group without priv: `{}`", red(t)),
            ));
        }
        if t.starts_with("snmp-server user ")
            && (t.contains(" v3") || t.contains(" auth "))
            && !t.contains(" priv ")
            && !t.ends_with(" priv")
        {
            hits.push(hit("AUD053", no, "SNMPv3 user without priv".into()));
        }
        // ASA management from anywhere.
        if dl == Dialect::Asa {
            let w: Vec<&str> = t.split_ascii_whitespace().collect();
            if w.len() == 4
                && matches!(w[0], "ssh" | "telnet" | "http")
                && w[1] == "0.0.0.0"
                && w[2] == "0.0.0.0"
            {
                hits.push(hit(
                    "AUD012",
                    no,
                    format!("{} management admitted from any address on {}", w[0], w[3]),
                ));
            }
        }
        // IPsec peers.
        if t.starts_with("crypto isakmp key ") {
            if let Some(a) = after(t, "address") {
                hits.push(hit("AUD061", no, format!("ISAKMP peer {a}")));
            }
        }
        if let Some(peer) = t.strip_prefix("set peer ") {
            hits.push(hit("AUD061", no, format!("IPsec peer {}", peer.trim())));
        }
        // Indicator addresses.
        if !iocs.is_empty() {
            ioc_scan(t, root, junos, iocs, &mut ioc_out, no, &mut hits, &red);
        }
    }
    if junos {
        junos_snmpv3(cfg, &mut hits);
    }
    hits.sort_by(|a, b| a.line.cmp(&b.line).then(a.rule.cmp(b.rule)));
    hits.dedup_by(|a, b| a.line == b.line && a.rule == b.rule);
    hits
}

/// True when one of the actor file names is a whole path component.
fn capture_name(t: &str) -> bool {
    for n in ["mycap.pcap", "tac.pcap", "1.pcap"] {
        let mut from = 0;
        while let Some(p) = t[from..].find(n) {
            let at = from + p;
            let before = t[..at].bytes().last();
            if before.is_none_or(|b| matches!(b, b' ' | b':' | b'/' | b'"' | b'\'')) {
                return true;
            }
            from = at + n.len();
        }
    }
    false
}

fn junos_snmpv3(cfg: &Config, hits: &mut Vec<Hit>) {
    // snmp v3 usm local-engine user U authentication-sha ... / privacy-aes128 ...
    let mut users: Vec<(String, u32, bool)> = Vec::new();
    for (_, l) in cfg.stmts() {
        let Some(r) = l.text.strip_prefix("snmp v3 usm ") else {
            continue;
        };
        let Some(u) = after(r, "user") else { continue };
        let privacy = r.contains(" privacy-") && !r.contains("privacy-none");
        match users.iter_mut().find(|x| x.0 == u) {
            Some(x) => x.2 |= privacy,
            None => users.push((u.to_owned(), l.no, privacy)),
        }
    }
    for (u, no, p) in users {
        if !p {
            hits.push(hit(
                "AUD053",
                no,
                format!("SNMPv3 user `{u}` without privacy"),
            ));
        }
    }
}

/// Context of an address in the configuration: rule, technique, words.
fn context(t: &str, root: &str, junos: bool) -> (&'static str, &'static str, &'static str) {
    let r = if junos { t } else { root };
    let acl = r.starts_with("access-list")
        || r.starts_with("ip access-list")
        || r.starts_with("ipv4 access-list")
        || r.starts_with("ipv6 access-list")
        || r.starts_with("object-group")
        || r.starts_with("object network")
        || r.starts_with("firewall ")
        || r.starts_with("policy-options prefix-list")
        || r.starts_with("security policies")
        || r.starts_with("prefix-set")
        || r.starts_with("ip prefix-list");
    if acl {
        return ("AUD001", "T1562.004", "ACL entry");
    }
    if r.contains("tacacs") || r.contains("radius") || r.starts_with("aaa") || r.contains("tacplus")
    {
        return ("AUD002", "T1556", "AAA server");
    }
    if r.starts_with("interface Tunnel")
        || r.starts_with("interface tunnel")
        || t.contains("tunnel ")
        || r.starts_with("crypto")
        || r.starts_with("interfaces gr-")
    {
        return ("AUD002", "T1572", "tunnel/IPsec peer");
    }
    if r.starts_with("monitor") || t.contains("erspan") || r.starts_with("forwarding-options") {
        return ("AUD002", "T1040", "mirroring destination");
    }
    if r.starts_with("archive") || t.contains("ftp:") || t.contains("scp:") {
        return ("AUD002", "T1048", "archive/copy path");
    }
    if r.starts_with("logging") || r.starts_with("system syslog") {
        return ("AUD002", "T1020", "syslog host");
    }
    if r.starts_with("snmp") {
        return ("AUD002", "T1020", "SNMP host");
    }
    if r.starts_with("ntp") || r.starts_with("system ntp") {
        return ("AUD002", "T1071", "NTP server");
    }
    if r.starts_with("router bgp")
        || r.starts_with("protocols bgp")
        || r.starts_with("ip route")
        || r.starts_with("router static")
        || r.starts_with("routing-options")
    {
        return ("AUD002", "T1599", "routing");
    }
    ("AUD002", "T1071", "configuration")
}

#[allow(clippy::too_many_arguments)]
fn ioc_scan(
    t: &str,
    root: &str,
    junos: bool,
    iocs: &IocSet,
    out: &mut Vec<u32>,
    no: u32,
    hits: &mut Vec<Hit>,
    red: &dyn Fn(&str) -> String,
) {
    for raw in t.split(|c: char| {
        c.is_ascii_whitespace() || c == '"' || c == ',' || c == ';' || c == '[' || c == ']'
    }) {
        if raw.len() < 3 || !raw.bytes().any(|b| b == b'.' || b == b':') {
            continue;
        }
        let mut tok = raw;
        let colon = tok.as_bytes().contains(&b':');
        if let Some(p) = if colon { tok.find("://") } else { None } {
            tok = &tok[p + 3..];
            tok = tok.split(['/', ':']).next().unwrap_or("");
            if let Some(at) = tok.rfind('@') {
                tok = &tok[at + 1..];
            }
        } else if let Some(r) = tok
            .strip_prefix("tftp:")
            .filter(|_| colon)
            .or_else(|| tok.strip_prefix("ftp:"))
        {
            tok = r.trim_start_matches('/').split('/').next().unwrap_or("");
        }
        let tok = tok.split('/').next().unwrap_or(tok);
        out.clear();
        let b0 = tok.as_bytes().first().copied().unwrap_or(0);
        if b0.is_ascii_digit() && tok.contains('.') && !tok.contains(':') {
            if let Ok(a) = tok.parse::<std::net::Ipv4Addr>() {
                iocs.lookup_v4(u32::from(a), out);
            }
        } else if tok.contains(':')
            && tok
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        {
            if let Ok(a) = tok.parse::<std::net::Ipv6Addr>() {
                iocs.lookup_v6(u128::from(a), out);
            }
        } else if iocs.has_domains()
            && tok.contains('.')
            && tok.bytes().any(|b| b.is_ascii_alphabetic())
        {
            let d = tok.trim_end_matches('.').to_ascii_lowercase();
            iocs.lookup_domain(&d, out);
        }
        if out.is_empty() {
            continue;
        }
        let (rule, tech, what) = context(t, root, junos);
        let src = iocs.source(out[0]);
        hits.push(Hit {
            rule,
            line: no,
            message: format!(
                "{what} names indicator {} ({}): `{}`",
                src.value,
                iocs.indicator(out[0]),
                red(t)
            ),
            severity: None,
            technique: Some(tech),
        });
    }
}
