//! The audit rules as data: id, name, title, severity, ATT&CK technique, the guidance
//! it implements and a remediation, each documented where it is declared (printed by
//! `stormwatch audit --explain RULE`). Guidance sources are the joint advisory
//! AA25-239A's hunting guidance as summarised in DOMAIN.md section 3, and the
//! advisory's mitigations; nothing else is cited.

use serde::Serialize;

/// Finding severity, most severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Critical,
    High,
    Medium,
    Low,
    Info,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Info => "info",
        }
    }
    /// Counts for the exit code (low or above).
    pub fn counts(self) -> bool {
        self <= Severity::Low
    }
}

/// One audit rule.
#[derive(Debug, Serialize)]
pub struct Rule {
    pub id: &'static str,
    pub name: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    /// ATT&CK technique id (a finding may name a more precise one).
    pub technique: &'static str,
    /// The guidance item implemented.
    pub guidance: &'static str,
    pub remediation: &'static str,
    /// Ruff-style documentation: what it does, why it matters, example, vendors.
    pub doc: &'static str,
}

use Severity::*;

/// Every rule. Ids are stable; names are kebab-case aliases.
pub static RULES: &[Rule] = &[
    Rule {
        id: "AUD001", name: "ioc-in-acl", title: "ACL entry with an advisory indicator address", severity: Critical,
        technique: "T1562.004", guidance: "ACL entries with advisory IOC addresses",
        remediation: "Remove the entry, collect the configuration history and device logs as evidence, and treat the device as compromised until proven otherwise.",
        doc: "## What it does\nFinds ACL, firewall-filter and object-group entries naming an address of the loaded indicators (store + --iocs, else the pack's AA25-239A indicators).\n\n## Why is this bad?\nThe actors add ACL entries admitting their VPS addresses so they can reach management services.\n\n## Example\n```\naccess-list 20 permit 45.61.133.61\n```\n\n## Vendors\nIOS/IOS XE, NX-OS, IOS XR, ASA, Junos (firewall filters, prefix-lists).",
    },
    Rule {
        id: "AUD002", name: "ioc-address", title: "Configuration names an advisory indicator address", severity: Critical,
        technique: "T1071", guidance: "TACACS+/RADIUS servers changed to unapproved hosts; tunnels to unknown peers; new trap hosts; copies off-box",
        remediation: "Find out who configured the address; remove it; rotate the AAA keys and credentials that could have been sent to it.",
        doc: "## What it does\nFinds any other configuration line (AAA server, tunnel destination, logging/SNMP/NTP host, archive path, ERSPAN destination, route, neighbour) naming an indicator address or domain. The finding's technique follows the context: T1556 for AAA, T1572 for tunnels, T1040 for mirroring, T1048 for archive/copy paths.\n\n## Why is this bad?\nRedirecting TACACS+ to an actor server captures every administrator's credentials; mirroring or tunnelling to it exfiltrates traffic.\n\n## Example\n```\ntacacs-server host 193.43.104.185 key 7 <redacted>\n```",
    },
    Rule {
        id: "AUD010", name: "telnet-enabled", title: "Telnet management enabled", severity: High,
        technique: "T1021", guidance: "`transport input telnet`; mitigation: disable Telnet",
        remediation: "Allow SSH only: `transport input ssh` (IOS), `no feature telnet` (NX-OS), `no telnet ipv4 server` (IOS XR), remove `telnet` lines (ASA), `delete system services telnet` (Junos).",
        doc: "## What it does\nFlags VTY lines accepting Telnet (`transport input telnet` or `all`), NX-OS `feature telnet`, IOS XR `telnet ... server`, ASA `telnet ADDR MASK IF`, Junos `system services telnet`.\n\n## Why is this bad?\nTelnet sends credentials in clear text; captured TACACS+ and login traffic is how these actors collect credentials.\n\n## Example\n```\nline vty 0 4\n transport input telnet\n```",
    },
    Rule {
        id: "AUD011", name: "vty-no-access-class", title: "VTY lines without an access-class", severity: Medium,
        technique: "T1133", guidance: "VTY `access-class` removed or widened",
        remediation: "Restrict management to the management network: `access-class MGMT in` under every `line vty`.",
        doc: "## What it does\nFlags `line vty` sections (IOS/IOS XE, NX-OS) with no `access-class`. The finding points at the `line vty` header.\n\n## Why is this bad?\nWithout it, anyone who can reach the device can try to log in; removing it is one of the advisory's drift signals.\n\n## Example\n```\nline vty 0 4\n transport input ssh\n```",
    },
    Rule {
        id: "AUD012", name: "mgmt-acl-permits-any", title: "Management access list admits any or external addresses", severity: Medium,
        technique: "T1133", guidance: "ACLs that admit external addresses; VTY access-class widened",
        remediation: "Limit the VTY/SNMP ACL (or ASA `ssh`/`telnet`/`http` lines) to the management subnets.",
        doc: "## What it does\nFlags entries of ACLs used as VTY `access-class` or SNMP community ACLs that permit `any` or a public (non-RFC 1918) source, and ASA `ssh`/`telnet`/`http` lines for 0.0.0.0 0.0.0.0.\n\n## Why is this bad?\nA widened management ACL is how an actor keeps access from their own infrastructure.\n\n## Example\n```\naccess-list 10 permit any\nline vty 0 4\n access-class 10 in\n```",
    },
    Rule {
        id: "AUD013", name: "acl-advisory-number", title: "ACL 10, 20 or 50 admits external addresses", severity: Low,
        technique: "T1562.004", guidance: "ACLs that admit external addresses, especially lists named/numbered 20, 10 or 50",
        remediation: "Check each public source admitted by the list against your inventory; remove what you cannot explain.",
        doc: "## What it does\nFlags permit entries with a public source (or `any`) in ACLs named or numbered 10, 20 or 50.\n\n## Why is this bad?\nThe advisory notes the actors' ACL changes favour these list names.\n\n## Example\n```\naccess-list 20 permit 103.169.91.231\n```",
    },
    Rule {
        id: "AUD020", name: "ssh-nonstandard-port", title: "SSH on a non-standard port", severity: High,
        technique: "T1571", guidance: "SSH/SFTP on non-standard high ports shaped like 22x22 or xxx22 (`^\\d{3,5}22$`)",
        remediation: "Serve SSH on port 22 only (IOS: `no ip ssh port ... rotary`, then remove the rotary group); find who changed it.",
        doc: "## What it does\nFlags SSH server ports other than 22 (`ip ssh port N rotary ...`, `ssh server port N`, Junos `system services ssh port N`). Ports shaped like the advisory's (5 digits ending in 22, e.g. 22x22) are high, other ports medium.\n\n## Why is this bad?\nThe actors run SSH listeners on such ports for persistent access.\n\n## Example\n```\nip ssh port 22022 rotary 1\n```",
    },
    Rule {
        id: "AUD021", name: "http-nonstandard-port", title: "HTTP(S) server on an 18xxx port", severity: High,
        technique: "T1571", guidance: "HTTP(S) servers on 18xxx ports",
        remediation: "Disable the web server (`no ip http server`, `no ip http secure-server`) or return it to its default port.",
        doc: "## What it does\nFlags `ip http port N` / `ip http secure-port N` with N in 18000-18999.\n\n## Why is this bad?\nThe advisory lists web servers moved to 18xxx ports among the actors' changes.\n\n## Example\n```\nip http secure-port 18443\n```",
    },
    Rule {
        id: "AUD022", name: "xr-sshd-operns", title: "IOS XR Linux sshd (sshd_operns / TCP 57722)", severity: High,
        technique: "T1571", guidance: "IOS XR `sshd_operns` (TCP/57722)",
        remediation: "Disable the host-OS SSH service unless it is documented; check the XR host for added users and keys.",
        doc: "## What it does\nFlags any configuration line mentioning `sshd_operns` or port 57722.\n\n## Why is this bad?\nThe Linux-level sshd of IOS XR bypasses XR AAA; the actors use it for access.\n\n## Example\n```\nssh server port 57722\n```",
    },
    Rule {
        id: "AUD030", name: "web-ui-enabled", title: "Web management UI enabled", severity: High,
        technique: "T1190", guidance: "`ip http server` / `ip http secure-server` on IOS XE (CVE-2023-20198 exposure)",
        remediation: "`no ip http server` and `no ip http secure-server` (IOS XE), `no http server enable` (ASA), `delete system services web-management` (Junos); patch to a fixed release (`stormwatch exposure`).",
        doc: "## What it does\nFlags an enabled web UI: IOS/IOS XE `ip http server` or `ip http secure-server`, ASA `http server enable`, Junos `system services web-management http(s)`. Critical on IOS XE (the CVE-2023-20198/20273 attack surface).\n\n## Why is this bad?\nCVE-2023-20198 creates a privilege-15 account through the IOS XE web UI; CVE-2023-20273 then runs commands as root.\n\n## Example\n```\nip http secure-server\n```",
    },
    Rule {
        id: "AUD031", name: "smart-install-enabled", title: "Smart Install (vstack) enabled", severity: Critical,
        technique: "T1190", guidance: "Smart Install enabled (`vstack`, TCP/4786; CVE-2018-0171)",
        remediation: "`no vstack`; block TCP/4786 at the edge.",
        doc: "## What it does\nFlags an explicit `vstack` line (IOS/IOS XE). A configuration without `no vstack` may still run Smart Install by default on older releases: check `show vstack config`.\n\n## Why is this bad?\nCVE-2018-0171 gives unauthenticated remote code execution on TCP/4786.\n\n## Example\n```\nvstack\n```",
    },
    Rule {
        id: "AUD040", name: "aaa-local-fallback", title: "AAA falls back to local accounts", severity: Low,
        technique: "T1556", guidance: "AAA falling back to local",
        remediation: "Keep `local` only as a documented emergency path with one strong, monitored account; alert on local logins.",
        doc: "## What it does\nFlags `aaa authentication login ... group X local` (IOS, IOS XR) and Junos `authentication-order [ tacplus password ]`.\n\n## Why is this bad?\nWith fallback, local accounts an attacker adds work whenever the AAA server is unreachable, and their logins bypass central accounting.\n\n## Example\n```\naaa authentication login default group tacacs+ local\n```",
    },
    Rule {
        id: "AUD041", name: "aaa-no-accounting", title: "No AAA command accounting", severity: Low,
        technique: "T1562", guidance: "mitigation: off-box logging and AAA accounting",
        remediation: "`aaa accounting commands 15 default start-stop group tacacs+` (IOS), `aaa accounting default group G` (NX-OS), Junos `system accounting`.",
        doc: "## What it does\nFlags configurations that use AAA (`aaa new-model`, or TACACS+/RADIUS servers) without any `aaa accounting` (Junos: `system accounting`). Reported at line 1.\n\n## Why is this bad?\nWithout accounting, an intruder's configuration commands leave no off-box record.\n\n## Example\n```\naaa new-model\naaa authentication login default group tacacs+ local\n```",
    },
    Rule {
        id: "AUD042", name: "privileged-local-user", title: "Privilege-15 / super-user local account", severity: Low,
        technique: "T1136.001", guidance: "new privilege-15 local users",
        remediation: "Confirm every privileged local account with its owner; remove unknown ones and rotate the rest.",
        doc: "## What it does\nLists local accounts with full privileges: `username X privilege 15`, NX-OS `role network-admin`, IOS XR `group root-lr|root-system|netadmin`, ASA `privilege 15`, Junos `class super-user`. In a drift run a new one is high.\n\n## Why is this bad?\nCVE-2023-20198 and the actors' persistence both add privilege-15 users.\n\n## Example\n```\nusername cisco_support privilege 15 secret 9 <redacted>\n```",
    },
    Rule {
        id: "AUD043", name: "ssh-authorized-key", title: "SSH public key installed for a local user", severity: Low,
        technique: "T1098.004", guidance: "Linux-level users, `authorized_keys`",
        remediation: "Confirm the key's owner; remove keys you cannot attribute.",
        doc: "## What it does\nFlags public keys in the configuration: IOS `ip ssh pubkey-chain` keys, NX-OS `username X sshkey`, ASA `ssh authentication publickey`, Junos `authentication ssh-rsa|ssh-ed25519|ssh-ecdsa`.\n\n## Why is this bad?\nA planted key gives password-less access that survives password rotation.\n\n## Example\n```\nset system login user ops authentication ssh-ed25519 \"ssh-ed25519 AAAA...\"\n```",
    },
    Rule {
        id: "AUD044", name: "aaa-server", title: "TACACS+/RADIUS server", severity: Info,
        technique: "T1556", guidance: "TACACS+/RADIUS server addresses or keys changed to unapproved hosts",
        remediation: "Compare with the approved AAA servers; a drift run (`--baseline`) rates changes.",
        doc: "## What it does\nLists the AAA servers (informational, to compare against the approved list; changes are rated by drift and indicator addresses by AUD002).\n\n## Example\n```\ntacacs server ISE\n address ipv4 10.0.0.5\n```",
    },
    Rule {
        id: "AUD050", name: "snmp-default-community", title: "SNMP community `public` or `private`", severity: High,
        technique: "T1602.001", guidance: "SNMP: communities `public`/`private`",
        remediation: "Remove the community; use SNMPv3 with authPriv.",
        doc: "## What it does\nFlags SNMP communities named public or private (any case).\n\n## Why is this bad?\nThey are the first guesses of every scanner; with RW they give full configuration control.\n\n## Example\n```\nsnmp-server community public RO\n```",
    },
    Rule {
        id: "AUD051", name: "snmp-rw-community", title: "SNMP read-write community", severity: High,
        technique: "T1602.002", guidance: "SNMP: RW communities",
        remediation: "Remove RW communities; manage through SSH/NETCONF with AAA, or SNMPv3 authPriv with a restricted view.",
        doc: "## What it does\nFlags read-write communities (`RW`, NX-OS `group network-admin`, Junos `authorization read-write`).\n\n## Why is this bad?\nA RW community can download and replace the running configuration.\n\n## Example\n```\nsnmp-server community s3cret RW\n```",
    },
    Rule {
        id: "AUD052", name: "snmp-v1-v2c", title: "SNMPv1/v2c community in use", severity: Low,
        technique: "T1602.001", guidance: "SNMP: v1/v2c where v3 is expected",
        remediation: "Move to SNMPv3 authPriv; if v2c must stay, bind the community to an ACL of the pollers.",
        doc: "## What it does\nFlags every other SNMP community (v1/v2c sends it in clear text); the message says whether it is bound to an ACL.\n\n## Example\n```\nsnmp-server community n0c RO 99\n```",
    },
    Rule {
        id: "AUD053", name: "snmpv3-no-priv", title: "SNMPv3 without privacy (encryption)", severity: Medium,
        technique: "T1602", guidance: "SNMPv3 without priv",
        remediation: "Use `priv` (authPriv): `snmp-server group G v3 priv`, users with `priv aes 128`.",
        doc: "## What it does\nFlags SNMPv3 groups in `noauth`/`auth` mode and v3 users defined without `priv`.\n\n## Why is this bad?\nWithout priv, MIB contents (routes, interfaces, sometimes configuration) cross the network in clear.\n\n## Example\n```\nsnmp-server group NMS v3 auth\n```",
    },
    Rule {
        id: "AUD054", name: "snmp-trap-host", title: "SNMP trap/inform host", severity: Info,
        technique: "T1020", guidance: "SNMP: new trap/inform hosts",
        remediation: "Compare with the approved collectors; drift runs rate new ones.",
        doc: "## What it does\nLists trap/inform targets (informational; drift rates new ones).\n\n## Example\n```\nsnmp-server host 192.0.2.9 version 2c <redacted>\n```",
    },
    Rule {
        id: "AUD060", name: "tunnel-interface", title: "GRE/mGRE/IP tunnel interface", severity: Low,
        technique: "T1572", guidance: "GRE/mGRE/IPsec tunnel interfaces to unknown peers (proto 47/50, UDP 500/4500)",
        remediation: "Confirm the tunnel's peer with the network owner; remove unknown tunnels and capture evidence first.",
        doc: "## What it does\nLists tunnel interfaces with their mode and destination: IOS/NX-OS `interface TunnelN`, IOS XR `interface tunnel-ip`, Junos `gr-`/`ip-` units with `tunnel destination`.\n\n## Why is this bad?\nThe actors build GRE tunnels to move collected traffic off the network.\n\n## Example\n```\ninterface Tunnel100\n tunnel destination 203.0.113.7\n```",
    },
    Rule {
        id: "AUD061", name: "ipsec-peer", title: "IPsec/ISAKMP peer", severity: Info,
        technique: "T1572", guidance: "IPsec tunnels to unknown peers (UDP 500/4500)",
        remediation: "Compare with the approved VPN peers.",
        doc: "## What it does\nLists `crypto isakmp key ... address X` and crypto map `set peer X` peers.\n\n## Example\n```\ncrypto isakmp key <redacted> address 198.51.100.4\n```",
    },
    Rule {
        id: "AUD070", name: "erspan-session", title: "ERSPAN / remote mirroring session", severity: High,
        technique: "T1040", guidance: "Traffic mirroring: SPAN/RSPAN/ERSPAN sessions",
        remediation: "Remove sessions nobody owns; check where the destination address leads.",
        doc: "## What it does\nFlags ERSPAN sessions (`monitor session N type erspan-source`, NX-OS `monitor erspan`), which send copies of traffic over IP to a remote address.\n\n## Why is this bad?\nMirroring to a remote host is a direct interception capability.\n\n## Example\n```\nmonitor session 1 type erspan-source\n destination\n  ip address 203.0.113.9\n```",
    },
    Rule {
        id: "AUD071", name: "span-session", title: "SPAN/RSPAN or port-mirroring session", severity: Medium,
        technique: "T1040", guidance: "Traffic mirroring: SPAN/RSPAN/ERSPAN sessions",
        remediation: "Confirm the session with its owner; remove it when the troubleshooting is over.",
        doc: "## What it does\nFlags local and remote SPAN sessions (`monitor session`, IOS XR `monitor-session`, Junos `forwarding-options port-mirroring|analyzer`).\n\n## Example\n```\nmonitor session 1 source interface Gi0/1\n```",
    },
    Rule {
        id: "AUD072", name: "packet-capture", title: "On-box packet capture configured", severity: High,
        technique: "T1040", guidance: "Embedded Packet Capture (`monitor capture ...`, filters on TCP/49 TACACS+ or RADIUS); IOS XR `tpacap`",
        remediation: "`no monitor capture NAME`; look for capture files on flash and their copies off-box.",
        doc: "## What it does\nFlags Embedded Packet Capture (`monitor capture`), IOS XR `tpacap`, Junos `forwarding-options packet-capture`. Critical when the capture filters TACACS+ (TCP/49) or RADIUS (1812/1813/1645/1646).\n\n## Why is this bad?\nThe actors capture TACACS+/RADIUS traffic to collect credentials.\n\n## Example\n```\nmonitor capture mycap interface Gi1 both match ipv4 any any\n```",
    },
    Rule {
        id: "AUD073", name: "capture-file-name", title: "Capture file name used by the actors", severity: Critical,
        technique: "T1040", guidance: "capture files `mycap.pcap`, `tac.pcap`, `1.pcap`",
        remediation: "Preserve the file as evidence, then remove it; find where it was copied.",
        doc: "## What it does\nFlags lines naming `mycap.pcap`, `tac.pcap` or `1.pcap`.\n\n## Example\n```\nmonitor capture mycap export bootflash:mycap.pcap\n```",
    },
    Rule {
        id: "AUD074", name: "cleartext-file-transfer", title: "Copies off-box by FTP/TFTP", severity: Medium,
        technique: "T1048.003", guidance: "copies off-box by FTP/TFTP",
        remediation: "Use SCP/SFTP to an approved host; remove `ftp:`/`tftp:` archive paths and FTP credentials.",
        doc: "## What it does\nFlags `tftp:`/`ftp:` URLs (archive paths, EEM copy actions, Junos archive-sites) and `ip ftp username|password`.\n\n## Why is this bad?\nConfigurations and captures copied by FTP/TFTP cross the network in clear, to wherever the URL points.\n\n## Example\n```\narchive\n path tftp://198.51.100.7/$h-$t\n```",
    },
    Rule {
        id: "AUD080", name: "container-enabled", title: "Guest Shell / container hosting enabled", severity: High,
        technique: "T1610", guidance: "Containers: Guest Shell, NX-OS `run guestshell`, `dohost`, `chvrf`, IOx / app-hosting",
        remediation: "Disable Guest Shell and app hosting unless documented (`no iox`, `guestshell destroy`, `no feature bash-shell`); list the containers and their files.",
        doc: "## What it does\nFlags IOS XE `iox`, `app-hosting`, `guestshell`, NX-OS `feature bash-shell`/`guestshell`, IOS XR `appmgr`, and any line (EEM applet, alias) running `guestshell`, `dohost` or `chvrf`.\n\n## Why is this bad?\nContainers run Linux tools outside the network OS's logging and AAA.\n\n## Example\n```\niox\napp-hosting appid sniff\n```",
    },
    Rule {
        id: "AUD090", name: "no-remote-logging", title: "No off-box syslog host", severity: Medium,
        technique: "T1562.002", guidance: "Logging: syslog hosts removed; mitigation: off-box logging",
        remediation: "Send logs to at least one collector: `logging host X` (IOS), `logging server X` (NX-OS), `logging X vrf V` (IOS XR), `set system syslog host X any any` (Junos).",
        doc: "## What it does\nFlags configurations with no syslog host. Reported at line 1.\n\n## Why is this bad?\nLocal logs are what the actors clear; without an off-box copy their activity is lost.",
    },
    Rule {
        id: "AUD091", name: "logging-disabled", title: "Logging disabled", severity: High,
        technique: "T1562.002", guidance: "Logging: logging disabled",
        remediation: "`logging on`; find out who disabled it.",
        doc: "## What it does\nFlags `no logging on` (IOS) and `no logging` variants that switch logging off.\n\n## Example\n```\nno logging on\n```",
    },
    Rule {
        id: "AUD092", name: "logging-lowered", title: "Syslog level lowered to errors or less", severity: Medium,
        technique: "T1562.002", guidance: "Logging: lowered",
        remediation: "`logging trap informational` (or notifications) so that configuration and login events are sent.",
        doc: "## What it does\nFlags `logging trap` levels 0-3 (emergencies..errors), which drop configuration-change and login messages.\n\n## Example\n```\nlogging trap critical\n```",
    },
    Rule {
        id: "AUD093", name: "log-tampering", title: "Log clearing or history tampering", severity: High,
        technique: "T1070", guidance: "Logging: buffers cleared; cleared `.bash_history`, `auth.log`, `lastlog`, `wtmp`, `btmp`",
        remediation: "Preserve what is left of the logs; remove the applet/alias; investigate who added it.",
        doc: "## What it does\nFlags lines (EEM applets, aliases, scripts) that run `clear logging` or touch `.bash_history`, `auth.log`, `lastlog`, `wtmp`, `btmp`.\n\n## Example\n```\nevent manager applet CLEAN\n action 1.0 cli command \"clear logging\"\n```",
    },
    Rule {
        id: "AUD100", name: "reversible-secret", title: "Reversible password (Cisco type 7 / Junos $9$)", severity: High,
        technique: "T1552.001", guidance: "Weak secrets: Cisco type 7 passwords",
        remediation: "Replace with type 8/9 secrets (`secret 9`), keys with AES type 6 (`password encryption aes`); rotate the password: anyone with the configuration can decode it.",
        doc: "## What it does\nFlags `password 7`, `key 7`, `key-string 7` and Junos `$9$` values. The value itself is never printed (redacted unless --show-secrets).\n\n## Why is this bad?\nType 7 and $9$ are obfuscation, not encryption: they decode instantly.\n\n## Example\n```\nusername ops password 7 <redacted>\n```",
    },
    Rule {
        id: "AUD101", name: "weak-password-hash", title: "Crackable password hash (type 5 / MD5-crypt)", severity: Medium,
        technique: "T1110.002", guidance: "Weak secrets: Cisco type 5 passwords (crackable; type 8/9 expected)",
        remediation: "Re-set the secret as type 8 (PBKDF2) or 9 (scrypt); Junos: SHA-256/512 crypt.",
        doc: "## What it does\nFlags type 5 and type 4 secrets, `$1$` MD5-crypt hashes (Junos, NX-OS, IOS XR) and ASA `encrypted` MD5 passwords.\n\n## Example\n```\nenable secret 5 <redacted>\n```",
    },
    Rule {
        id: "AUD102", name: "plaintext-password", title: "Password stored in clear text", severity: High,
        technique: "T1552.001", guidance: "Weak secrets",
        remediation: "Use `secret 9` / type 6 keys and `service password-encryption`; rotate the password.",
        doc: "## What it does\nFlags `password 0 X`, `password X`, `key X` and similar where the value is stored in clear.\n\n## Example\n```\nusername cisco privilege 15 password 0 <redacted>\n```",
    },
    Rule {
        id: "AUD110", name: "cve-exposure", title: "Version and enabled feature match an advisory CVE", severity: Critical,
        technique: "T1190", guidance: "Advisory CVEs (DOMAIN.md section 2); mitigation: patch KEV edge CVEs first",
        remediation: "Upgrade to a fixed release (see `stormwatch exposure`) or disable the feature now.",
        doc: "## What it does\nCombines the configuration's version line with the vulnerable feature: IOS XE 16/17 with the web UI on (CVE-2023-20198/20273), IOS/IOS XE with `vstack` (CVE-2018-0171). A `version 17.3` line only gives the release train, so the message says \"possibly affected, confirm the full version\".",
    },
    Rule {
        id: "AUD200", name: "drift-added", title: "Line added since the baseline", severity: Low,
        technique: "T1601", guidance: "Config drift: any change against an approved baseline",
        remediation: "Confirm the change with its change ticket; revert it otherwise.",
        doc: "## What it does\nWith `--baseline`, reports each line present now but not in the baseline, under its parent section. Severity: the highest of the checks that fire on the line, else medium for security sections (ACLs, AAA, SNMP, tunnels, routes, BGP, services, users, loopbacks, logging), else low.",
    },
    Rule {
        id: "AUD201", name: "drift-removed", title: "Line removed since the baseline", severity: Low,
        technique: "T1601", guidance: "Config drift: syslog hosts removed, VTY access-class removed",
        remediation: "Restore the line unless the removal was approved.",
        doc: "## What it does\nReports each baseline line missing now. `line` is the enclosing section in the audited file (or 1); `baseline_file`/`baseline_line` point at the removed line. Removing protective lines (logging hosts, access-class, `no ip http server`, `no vstack`, accounting, `transport input ssh`) is high.",
    },
    Rule {
        id: "AUD202", name: "drift-changed", title: "Line changed since the baseline", severity: Low,
        technique: "T1601", guidance: "Config drift: TACACS+/RADIUS server addresses or keys changed; loopbacks re-addressed",
        remediation: "Confirm the change with its change ticket; revert it otherwise.",
        doc: "## What it does\nA removed and an added line with the same parent and the same leading keywords (e.g. `tacacs-server host A` to `tacacs-server host B`) are reported as one change, rated as drift-added.",
    },
];

/// Looks a rule up by id or name (case-insensitive).
pub fn find(q: &str) -> Option<&'static Rule> {
    RULES
        .iter()
        .find(|r| r.id.eq_ignore_ascii_case(q) || r.name.eq_ignore_ascii_case(q))
}

/// The rule with this id; panics only on a programming error (ids are constants).
pub(crate) fn rule(id: &str) -> &'static Rule {
    match RULES.iter().find(|r| r.id == id) {
        Some(r) => r,
        None => &RULES[0],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn ids_unique_and_documented() {
        let mut ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), RULES.len());
        for r in RULES {
            assert!(r.doc.starts_with("## What it does"), "{}", r.id);
            assert!(find(r.name).is_some());
        }
    }
}
