//! Flow heuristics over Zeek `conn` records and nfdump CSV flows, told apart from normal
//! by the site file (`--site`, TOML: `aaa_servers`, `management_subnets`,
//! `tunnel_peers`, `ssh_ports`, lists of addresses/CIDRs and ports). Each heuristic is
//! a rule with an id, ATT&CK tags and its DOMAIN.md reference, declared in
//! [`FLOW_RULES`]; the checks are the few lines in [`check`].

use serde::Deserialize;

use crate::cidr::Net;
use crate::engine::{Group, Rec, Source};
use crate::Detector;

/// The site file.
#[derive(Debug, Clone, Default)]
pub struct Site {
    pub aaa_servers: Vec<Net>,
    pub management_subnets: Vec<Net>,
    pub tunnel_peers: Vec<Net>,
    pub ssh_ports: Vec<u16>,
    /// Values of Sigma `|expand` placeholders (`%name%`).
    pub placeholders: crate::Placeholders,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SiteFile {
    #[serde(default)]
    aaa_servers: Vec<String>,
    #[serde(default)]
    management_subnets: Vec<String>,
    #[serde(default)]
    tunnel_peers: Vec<String>,
    #[serde(default)]
    ssh_ports: Vec<u16>,
    #[serde(default)]
    placeholders: crate::Placeholders,
}

impl Site {
    /// Parses the TOML text; errors name the key and the bad value.
    pub fn parse(text: &str) -> Result<Site, String> {
        let f: SiteFile =
            toml::from_str(text).map_err(|e| e.to_string().trim().replace('\n', " "))?;
        let nets = |key: &str, v: &[String]| -> Result<Vec<Net>, String> {
            v.iter()
                .map(|s| {
                    Net::parse(s)
                        .ok_or_else(|| format!("`{key}`: {s:?} is not an address or CIDR network"))
                })
                .collect()
        };
        Ok(Site {
            aaa_servers: nets("aaa_servers", &f.aaa_servers)?,
            management_subnets: nets("management_subnets", &f.management_subnets)?,
            tunnel_peers: nets("tunnel_peers", &f.tunnel_peers)?,
            ssh_ports: f.ssh_ports,
            placeholders: f.placeholders,
        })
    }
}

/// A flow heuristic, described like a Sigma rule.
pub struct FlowRule {
    pub id: &'static str,
    pub title: &'static str,
    pub level: &'static str,
    pub tags: &'static [&'static str],
    pub description: &'static str,
}

pub const SSH_PORT: usize = 0;
pub const TUNNEL: usize = 1;
pub const AAA: usize = 2;
pub const MGMT_COPY: usize = 3;

/// The heuristics (index = the constants above).
pub const FLOW_RULES: &[FlowRule] = &[
    FlowRule {
        id: "9a48c6d0-2847-4a66-b154-e2e74b87a1fa",
        title: "SSH to a non-standard port shaped like the advisory's (xxx22, 57722)",
        level: "medium",
        tags: &["attack.command-and-control", "attack.t1571", "attack.t1021.004"],
        description: "TCP to a port matching ^\\d{3,5}22$ (57722 is IOS XR's sshd_operns) that the site file does not approve in ssh_ports; on Zeek conn records only when Zeek saw SSH or the port is 57722. Reference: DOMAIN.md section 3 (SSH/SFTP on non-standard high ports shaped like 22x22 or xxx22; IOS XR sshd_operns TCP/57722).",
    },
    FlowRule {
        id: "8d0d50c0-afa2-49c1-9c98-397545263010",
        title: "GRE/ESP/IKE tunnel traffic with a peer the site file does not approve",
        level: "medium",
        tags: &["attack.command-and-control", "attack.t1572"],
        description: "IP protocol 47 (GRE) or 50 (ESP), or UDP 500/4500 (IKE, NAT-T), with a peer outside tunnel_peers (every peer when the list is empty). Reference: DOMAIN.md section 3 (GRE/mGRE/IPsec tunnel interfaces to unknown peers, proto 47/50, UDP 500/4500).",
    },
    FlowRule {
        id: "9f7be572-1ea7-4f7d-a235-24c630b0126d",
        title: "TACACS+/RADIUS traffic to a server the site file does not approve",
        level: "high",
        tags: &["attack.credential-access", "attack.t1556", "attack.collection", "attack.t1040"],
        description: "TCP/49 (TACACS+) or UDP 1812/1813/1645/1646 (RADIUS) to a server outside aaa_servers (every server when the list is empty). Reference: DOMAIN.md section 3 (TACACS+/RADIUS server addresses changed to unapproved hosts; captures of TCP/49).",
    },
    FlowRule {
        id: "968afc4d-c8ee-4889-8dea-b60528ec446d",
        title: "TFTP/FTP transfer from a management address",
        level: "high",
        tags: &["attack.exfiltration", "attack.t1048.003"],
        description: "UDP/69 (TFTP) or TCP/21 (FTP) from an address inside management_subnets (needs the site file). Reference: DOMAIN.md section 3 (capture files and configs copied off-box by FTP/TFTP).",
    },
];

/// Where a group's flow fields are.
#[derive(Debug, Clone, Copy)]
pub struct Slots {
    orig: u16,
    resp: u16,
    resp_port: u16,
    proto: u16,
    service: Option<u16>,
    /// nfdump: source port and TCP flags (one-way flows need both to tell requests
    /// from replies and scan probes).
    orig_port: Option<u16>,
    flags: Option<u16>,
}

/// Asks `g` to read the flow fields of `src`, if it is a flow source.
pub fn want(src: &Source, g: &mut Group) -> Option<Slots> {
    match (src.product.as_str(), src.service.as_str()) {
        ("zeek", "conn") => Some(Slots {
            orig: g.want("id.orig_h"),
            resp: g.want("id.resp_h"),
            resp_port: g.want("id.resp_p"),
            proto: g.want("proto"),
            service: Some(g.want("service")),
            orig_port: None,
            flags: None,
        }),
        ("nfdump", "flow") => Some(Slots {
            orig: g.want("sa"),
            resp: g.want("da"),
            resp_port: g.want("dp"),
            proto: g.want("pr"),
            service: None,
            orig_port: Some(g.want("sp")),
            flags: Some(g.want("flg")),
        }),
        _ => None,
    }
}

fn in_any(nets: &[Net], ip: &str) -> bool {
    nets.iter().any(|n| n.contains_str(ip))
}

/// `^\d{3,5}22$`.
pub fn ssh_shaped(port: &str) -> bool {
    let b = port.as_bytes();
    (5..=7).contains(&b.len()) && b.iter().all(u8::is_ascii_digit) && b.ends_with(b"22")
}

/// Runs the heuristics on one record; pushes the engine indices of those that fire.
pub fn check(det: &Detector, g: &Group, rec: &Rec, hits: &mut Vec<usize>) {
    let Some((slots, base)) = g.flow else {
        return;
    };
    let site = det.site();
    let get = |s: u16| rec.first(s).unwrap_or("");
    let proto = get(slots.proto).to_ascii_lowercase();
    let port = get(slots.resp_port).trim();
    let (orig, resp) = (get(slots.orig).trim(), get(slots.resp).trim());
    let service = slots
        .service
        .map(|s| get(s).to_ascii_lowercase())
        .unwrap_or_default();
    let mut tcp = proto == "tcp" || proto == "6";
    if tcp {
        // One-way flows (nfdump): a reply from a well-known port, or a probe that never
        // saw an ACK (a scan), is not a connection to the destination port.
        let reply = slots
            .orig_port
            .is_some_and(|s| get(s).trim().parse::<u32>().is_ok_and(|p| p < 1024));
        let unacked = slots.flags.is_some_and(|s| !get(s).contains('A'));
        if reply || unacked {
            tcp = false;
        }
    }
    let udp = proto == "udp" || proto == "17";
    // SSH on an advisory-shaped port.
    if tcp && ssh_shaped(port) {
        let p: u16 = port.parse().unwrap_or(0);
        let approved = site.is_some_and(|s| s.ssh_ports.contains(&p));
        let evidence = slots.service.is_none() || service.contains("ssh") || port == "57722";
        if !approved && evidence {
            hits.push(base + SSH_PORT);
        }
    }
    // Tunnels.
    let tunnel = matches!(proto.as_str(), "gre" | "47" | "esp" | "50")
        || (udp && (port == "500" || port == "4500"));
    if tunnel {
        let peers = site.map_or(&[][..], |s| &s.tunnel_peers);
        if !(in_any(peers, resp) || in_any(peers, orig)) {
            hits.push(base + TUNNEL);
        }
    }
    // AAA.
    let aaa = (tcp && port == "49") || (udp && matches!(port, "1812" | "1813" | "1645" | "1646"));
    if aaa {
        let servers = site.map_or(&[][..], |s| &s.aaa_servers);
        if !in_any(servers, resp) {
            hits.push(base + AAA);
        }
    }
    // TFTP/FTP from management addresses.
    if let Some(s) = site {
        if ((udp && port == "69") || (tcp && port == "21")) && in_any(&s.management_subnets, orig) {
            hits.push(base + MGMT_COPY);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_file_and_shapes() {
        let s = Site::parse("aaa_servers = [\"10.0.0.5\"]\nmanagement_subnets = [\"10.9.0.0/16\"]\nssh_ports = [22, 10022]\n").unwrap();
        assert_eq!(s.ssh_ports, [22, 10022]);
        assert!(in_any(&s.aaa_servers, "10.0.0.5"));
        let e = Site::parse("aaa_servers = [\"nope\"]\n").unwrap_err();
        assert!(e.contains("aaa_servers"), "{e}");
        let e = Site::parse("unknown_key = 1\n").unwrap_err();
        assert!(e.contains("unknown"), "{e}");
        assert!(ssh_shaped("57722") && ssh_shaped("10022") && !ssh_shaped("2222"));
        assert!(!ssh_shaped("22") && !ssh_shaped("443"));
    }
}
