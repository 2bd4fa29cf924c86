//! Device log lines to fields: Cisco IOS / IOS XE / NX-OS / IOS XR syslog
//! (`%FACILITY-SEVERITY-MNEMONIC: text`, IOS XR's `%A-B-6-C : text`), Junos syslog
//! (`TAG: text`, structured `TAG [junos@2636... k="v"]`), each bare or inside an RFC 3164
//! (`<pri>Mmm dd hh:mm:ss host ...`) or RFC 5424 (`<pri>1 TIMESTAMP host app ...`)
//! wrapper, and TACACS+ accounting records (tac_plus: tab-separated time, NAS, user,
//! port, remote address, record type, then `key=value` pairs with `cmd=`).
//!
//! Command records (IOS `%PARSER-5-CFGLOG_LOGGEDCMD`, `%AAAA-6-ACCTLOCAL`, NX-OS
//! `%VSHD-5-VSHD_SYSLOG_CMD_EXEC` and `%AAA-6-AAA_ACCOUNTING_MESSAGE`, Junos
//! `UI_CMDLINE_READ_LINE`, TACACS+ `cmd=`) get the logsource `<vendor>/aaa` with the
//! fields `user` and `command`, and their keyword text is the command alone (so that
//! SigmaHQ's `cisco/aaa` keyword rules read commands, not whole lines). Other lines are
//! `<vendor>/syslog` (`bgp`, `ldp` for those facilities) with the whole line as text.

use regex::Regex;
use std::sync::OnceLock;

use crate::engine::Source;

/// A parsed line.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub source: Source,
    pub fields: Vec<(&'static str, String)>,
    /// Keyword text; `None` = the whole line.
    pub full: Option<String>,
    /// Unix seconds and whether the time was inferred (no year, or a zone not known).
    pub time: Option<(i64, bool)>,
}

fn cisco_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"%([A-Z][A-Z0-9_]*(?:-[A-Z][A-Z0-9_]*)*)-([0-7])-([A-Z0-9_]+)\s?:\s?(.*)$")
            .expect("cisco regex")
    })
}

fn junos_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"^(?:([A-Za-z0-9_./-]+)(?:\[(\d+)\])?:?\s+)?([A-Z][A-Z0-9]*_[A-Z0-9_]+)(?::\s*|\s+\[([^\]]*)\]\s*)(.*)$")
            .expect("junos regex")
    })
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn hms(s: &str) -> Option<i64> {
    let t = s.split('.').next()?;
    let mut it = t.split(':');
    let h: i64 = it.next()?.parse().ok()?;
    let m: i64 = it.next()?.parse().ok()?;
    let sec: i64 = it.next()?.parse().ok()?;
    (h < 24 && m < 60 && sec < 61 && it.next().is_none()).then_some(h * 3600 + m * 60 + sec)
}

/// Device times: `Mmm d [yyyy] hh:mm:ss[.f] [TZ]`, `yyyy Mmm d hh:mm:ss [TZ]`, or
/// RFC 3339. Inferred when the year is missing or the zone is not UTC/GMT.
pub fn device_time(s: &str, year: i32) -> Option<(i64, bool)> {
    let s = s.trim().trim_start_matches(['*', '.']);
    if let Some(t) = stormwatch_hunt::time::iso(s) {
        return Some((t, false));
    }
    let toks: Vec<&str> = s.split_whitespace().collect();
    let month = |t: &str| {
        MONTHS
            .iter()
            .position(|m| t.len() >= 3 && t[..3].eq_ignore_ascii_case(m))
            .map(|i| i as i64 + 1)
    };
    let (y, mo, d, time, rest) =
        if toks.len() >= 4 && toks[0].len() == 4 && toks[0].bytes().all(|b| b.is_ascii_digit()) {
            (
                Some(toks[0].parse::<i64>().ok()?),
                month(toks[1])?,
                toks[2],
                toks[3],
                &toks[4..],
            )
        } else if toks.len() >= 3 {
            let mo = month(toks[0])?;
            if toks.len() >= 4 && toks[2].len() == 4 && toks[2].bytes().all(|b| b.is_ascii_digit())
            {
                (
                    Some(toks[2].parse().ok()?),
                    mo,
                    toks[1],
                    toks[3],
                    &toks[4..],
                )
            } else {
                (None, mo, toks[1], toks[2], &toks[3..])
            }
        } else {
            return None;
        };
    let d: i64 = d.parse().ok()?;
    if !(1..=31).contains(&d) {
        return None;
    }
    let secs = hms(time.trim_end_matches(':'))?;
    let zone = rest.first().map(|z| z.trim_end_matches(':'));
    let utc = zone.is_some_and(|z| matches!(z, "UTC" | "GMT" | "Z"));
    let yy = y.unwrap_or(year as i64);
    Some((
        days_from_civil(yy, mo, d) * 86400 + secs,
        y.is_none() || !utc,
    ))
}

/// Strips an RFC 3164/5424 wrapper; returns (time, host, rest).
fn unwrap(line: &str, year: i32) -> (Option<(i64, bool)>, Option<String>, &str) {
    let mut s = line.trim_start();
    if !s.starts_with('<') {
        return (None, None, s);
    }
    let Some(close) = s.find('>') else {
        return (None, None, s);
    };
    if close > 4 || !s[1..close].bytes().all(|b| b.is_ascii_digit()) {
        return (None, None, s);
    }
    s = &s[close + 1..];
    if let Some(r) = s.strip_prefix("1 ") {
        // RFC 5424: TIMESTAMP HOST APP PROCID MSGID [SD] MSG
        let mut it = r.splitn(6, ' ');
        let ts = it.next().unwrap_or("");
        let host = it.next().filter(|h| *h != "-").map(str::to_owned);
        let _app = it.next();
        let _procid = it.next();
        let msgid = it.next().unwrap_or("-");
        let mut rest = it.next().unwrap_or("");
        let t = stormwatch_hunt::time::iso(ts).map(|t| (t, false));
        // Junos puts its tag in MSGID and key/values in the structured data.
        if msgid.len() > 2
            && msgid
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        {
            let at = r.len() - rest.len() - msgid.len() - 1;
            rest = &r[at..];
            return (t, host, rest);
        }
        let rest = rest.strip_prefix("- ").unwrap_or(rest);
        return (t, host, rest);
    }
    // RFC 3164: Mmm dd hh:mm:ss HOST rest
    if s.len() >= 16 && s.as_bytes().get(15) == Some(&b' ') {
        if let Some(t) = device_time(&s[..15], year) {
            let r = &s[16..];
            let (host, rest) = r.split_once(' ').unwrap_or((r, ""));
            // A Cisco "HOSTNAME: ..." or "seq: ..." after the header is not a host.
            if host.ends_with(':') {
                return (Some(t), None, r);
            }
            return (Some(t), Some(host.to_owned()), rest);
        }
    }
    (None, None, s)
}

/// Parses a Cisco or Junos syslog line; `None` when it is neither.
pub fn parse(line: &str, year: i32) -> Option<Parsed> {
    let (wtime, whost, rest) = unwrap(line, year);
    if let Some(c) = cisco_re().captures(rest) {
        let m0 = c.get(0).map_or(0, |m| m.start());
        let facility = c.get(1).map_or("", |m| m.as_str());
        let severity = c.get(2).map_or("", |m| m.as_str());
        let mnemonic = c.get(3).map_or("", |m| m.as_str());
        let msg = c.get(4).map_or("", |m| m.as_str()).trim_end();
        // Before the %: [seq:] [host:] [*]time: or IOS XR "RP/0/RSP0/CPU0:time: proc[pid]:".
        let prefix = rest[..m0].trim().trim_end_matches(':');
        let mut host = whost;
        let mut time = None;
        for (i, seg) in prefix.split(": ").enumerate() {
            let seg = seg.trim();
            if let Some(t) = device_time(seg, year) {
                time = Some(t);
            } else if i == 0 && !seg.is_empty() && !seg.bytes().all(|b| b.is_ascii_digit()) {
                let h = seg.split_once(':').map_or(seg, |(h, t)| {
                    if let Some(x) = device_time(t, year) {
                        time = Some(x);
                    }
                    h
                });
                if host.is_none() && !h.contains(' ') {
                    host = Some(h.to_owned());
                }
            }
        }
        let time = time.or(wtime);
        let mut fields: Vec<(&'static str, String)> = vec![
            ("facility", facility.to_owned()),
            ("severity", severity.to_owned()),
            ("mnemonic", mnemonic.to_owned()),
            ("event_code", format!("{facility}-{severity}-{mnemonic}")),
            ("message", msg.to_owned()),
        ];
        if let Some(h) = host {
            fields.push(("host", h));
        }
        let (service, full) = match cisco_command(facility, mnemonic, msg) {
            Some((user, cmd)) => {
                if let Some(u) = user {
                    fields.push(("user", u));
                }
                fields.push(("command", cmd.clone()));
                ("aaa", Some(cmd))
            }
            None => {
                let svc = if facility == "BGP"
                    || facility.ends_with("BGP")
                    || (mnemonic == "BADAUTH" && facility.contains("TCP"))
                {
                    "bgp"
                } else if facility == "LDP" || facility.ends_with("LDP") {
                    "ldp"
                } else {
                    "syslog"
                };
                (svc, None)
            }
        };
        return Some(Parsed {
            source: Source::new("cisco", service),
            fields,
            full,
            time,
        });
    }
    if let Some(c) = junos_re().captures(rest) {
        let process = c.get(1).map(|m| m.as_str().to_owned());
        let tag = c.get(3).map_or("", |m| m.as_str());
        let sd = c.get(4).map(|m| m.as_str());
        let msg = c.get(5).map_or("", |m| m.as_str()).trim_end();
        let mut fields: Vec<(&'static str, String)> =
            vec![("event_id", tag.to_owned()), ("message", msg.to_owned())];
        if let Some(p) = &process {
            fields.push(("process", p.clone()));
        }
        if let Some(h) = whost {
            fields.push(("host", h));
        }
        let mut user = None;
        let mut command = None;
        if let Some(sd) = sd {
            for (k, v) in kv_quoted(sd) {
                match k.as_str() {
                    "username" => user = Some(v),
                    "command" => command = Some(v),
                    _ => {}
                }
            }
        }
        if tag == "UI_CMDLINE_READ_LINE" && command.is_none() {
            // User 'root', command 'show version '
            if let Some((u, c)) = msg.split_once("', command '") {
                user = u.strip_prefix("User '").map(str::to_owned);
                command = Some(c.trim_end_matches('\'').trim().to_owned());
            }
        }
        let service = if command.is_some() {
            "aaa"
        } else if tag.starts_with("BGP_") || msg.contains("bgp") || msg.contains("BGP") {
            "bgp"
        } else {
            "syslog"
        };
        if let Some(u) = user {
            fields.push(("user", u));
        }
        if let Some(cmd) = &command {
            fields.push(("command", cmd.clone()));
        }
        return Some(Parsed {
            source: Source::new("juniper", service),
            fields,
            full: command,
            time: wtime,
        });
    }
    None
}

fn kv_quoted(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(eq) = rest.find("=\"") {
        let key = rest[..eq].rsplit(' ').next().unwrap_or("").to_owned();
        let after = &rest[eq + 2..];
        let end = after.find('"').unwrap_or(after.len());
        out.push((key, after[..end].to_owned()));
        rest = &after[(end + 1).min(after.len())..];
    }
    out
}

/// (user, command) of Cisco command-logging messages.
fn cisco_command(facility: &str, mnemonic: &str, msg: &str) -> Option<(Option<String>, String)> {
    let clean = |c: &str| c.trim().trim_end_matches("<cr>").trim().to_owned();
    match (facility, mnemonic) {
        ("PARSER", "CFGLOG_LOGGEDCMD") => {
            let (u, c) = msg.split_once("logged command:")?;
            let user = u.trim().strip_prefix("User:").map(|x| x.trim().to_owned());
            Some((user, clean(c)))
        }
        ("AAAA", "ACCTLOCAL") => {
            let (u, c) = msg.split_once("Command:")?;
            let user = u
                .trim()
                .strip_prefix("Username:")
                .and_then(|x| x.split(" Privilege").next())
                .map(|x| x.trim().to_owned());
            Some((user, clean(c)))
        }
        ("VSHD", "VSHD_SYSLOG_CMD_EXEC") => {
            let (u, c) = msg.split_once(" executed the command:")?;
            Some((u.strip_prefix("User:").map(str::to_owned), clean(c)))
        }
        ("AAA", "AAA_ACCOUNTING_MESSAGE") => {
            // NX-OS: update:TTY:USER:COMMAND (SUCCESS)
            let mut it = msg.splitn(4, ':');
            let _kind = it.next()?;
            let _tty = it.next()?;
            let user = it.next()?.to_owned();
            let cmd = it.next()?;
            let cmd = cmd
                .trim_end_matches(" (SUCCESS)")
                .trim_end_matches(" (FAILURE)");
            (!cmd.trim().is_empty()).then(|| (Some(user), clean(cmd)))
        }
        _ => None,
    }
}

/// Parses a TACACS+ accounting record; `None` when the line is not one.
pub fn parse_tacacs(line: &str, year: i32) -> Option<Parsed> {
    // tac_plus writes tab-separated fields, the attribute-value pairs each in its own.
    let kv_field = |t: &str| {
        let t = t.trim();
        t.starts_with("cmd=") || t.starts_with("task_id=") || t.starts_with("service=")
    };
    let tabbed = line.contains('\t') && line.split('\t').any(kv_field);
    let spaced = !line.contains('\t') && line.contains("task_id=") && line.contains(" cmd=");
    if !tabbed && !spaced {
        return None;
    }
    let mut fields: Vec<(&'static str, String)> = Vec::new();
    let mut command = None;
    let mut time = None;
    const POS: [&str; 5] = ["nas", "user", "port", "rem_addr", "acct_type"];
    let toks: Vec<&str> = if line.contains('\t') {
        line.split('\t').collect()
    } else {
        return parse_tacacs_spaces(line, year);
    };
    let mut pos = 0;
    for (i, t) in toks.iter().enumerate() {
        let t = t.trim();
        if let Some((k, v)) = t
            .split_once('=')
            .filter(|(k, _)| !k.is_empty() && !k.contains(' '))
        {
            if let Some(name) = tacacs_key(k) {
                fields.push((name, v.to_owned()));
            }
            if k == "cmd" {
                command = Some(v.trim().trim_end_matches("<cr>").trim().to_owned());
            }
        } else if i == 0 && time.is_none() {
            time = device_time(t, year);
            if time.is_none() && pos < POS.len() {
                fields.push((POS[pos], t.to_owned()));
                pos += 1;
            }
        } else if pos < POS.len() {
            fields.push((POS[pos], t.to_owned()));
            pos += 1;
        }
    }
    if let Some(c) = &command {
        fields.push(("command", c.clone()));
    }
    // The device (NAS) is the record's host, as a syslog header's host is.
    if let Some((_, nas)) = fields.iter().find(|(k, _)| *k == "nas") {
        let nas = nas.clone();
        fields.push(("host", nas));
    }
    if command.is_none() && !fields.iter().any(|(k, _)| *k == "service") {
        return None;
    }
    Some(Parsed {
        source: Source::new("cisco", "aaa"),
        fields,
        full: Some(command.unwrap_or_default()),
        time,
    })
}

fn tacacs_key(k: &str) -> Option<&'static str> {
    Some(match k {
        "task_id" => "task_id",
        "timezone" => "timezone",
        "service" => "service",
        "priv-lvl" => "priv-lvl",
        "cmd" => "cmd",
        "start_time" => "start_time",
        "stop_time" => "stop_time",
        "elapsed_time" => "elapsed_time",
        "protocol" => "protocol",
        "disc-cause" => "disc-cause",
        "addr" => "addr",
        _ => return None,
    })
}

fn parse_tacacs_spaces(line: &str, year: i32) -> Option<Parsed> {
    // `... user=admin ... cmd=show running-config <cr>`: cmd runs to the end.
    let i = line.find("cmd=")?;
    let cmd = line[i + 4..]
        .trim()
        .trim_end_matches("<cr>")
        .trim()
        .to_owned();
    let mut fields: Vec<(&'static str, String)> =
        vec![("cmd", cmd.clone()), ("command", cmd.clone())];
    for t in line[..i].split_whitespace() {
        if let Some((k, v)) = t.split_once('=') {
            match k {
                "user" | "username" => fields.push(("user", v.to_owned())),
                "priv-lvl" | "priv_lvl" => fields.push(("priv-lvl", v.to_owned())),
                "service" => fields.push(("service", v.to_owned())),
                _ => {}
            }
        }
    }
    let time = line.get(..15).and_then(|t| device_time(t, year));
    Some(Parsed {
        source: Source::new("cisco", "aaa"),
        fields,
        full: Some(cmd),
        time,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field<'a>(p: &'a Parsed, k: &str) -> Option<&'a str> {
        p.fields
            .iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn cisco_variants() {
        let p = parse("HOSTNAME: Oct 19 13:40:06.358 CST: %PARSER-5-CFGLOG_LOGGEDCMD: User:jdoe  logged command:!exec: enable", 2026).unwrap();
        assert_eq!(p.source, Source::new("cisco", "aaa"));
        assert_eq!(field(&p, "user"), Some("jdoe"));
        assert_eq!(field(&p, "command"), Some("!exec: enable"));
        assert_eq!(field(&p, "host"), Some("HOSTNAME"));
        assert!(p.time.unwrap().1);

        let p = parse("Oct 19 18:30:13.311: %AAAA-6-ACCTLOCAL: Username: Admin Privilege level: 15 Command: verify /md5 system:memory/text <cr>", 2026).unwrap();
        assert_eq!(field(&p, "user"), Some("Admin"));
        assert_eq!(field(&p, "command"), Some("verify /md5 system:memory/text"));

        let p = parse("<190>HOSTNAME: 2025 Mar 13 17:07:57 UTC: %AAA-6-AAA_ACCOUNTING_MESSAGE: update:10.1.1.1@pts/0:admin:configure terminal ; guestshell enable (SUCCESS)", 2026).unwrap();
        assert_eq!(
            field(&p, "command"),
            Some("configure terminal ; guestshell enable")
        );
        assert_eq!(p.time, Some((1_741_885_677, false)));

        let p = parse("2023 Jan 11 19:06:23 CET: %VSHD-5-VSHD_SYSLOG_CONFIG_I: Configured from vty by jdoe on 1.2.3.4@pts/0", 2026).unwrap();
        assert_eq!(p.source, Source::new("cisco", "syslog"));
        assert_eq!(field(&p, "mnemonic"), Some("VSHD_SYSLOG_CONFIG_I"));

        let p = parse("<189>Oct 19 18:30:13 10.0.0.1 123: RP/0/RSP0/CPU0:Oct 19 18:30:13.311 UTC: config[65734]: %MGBL-CONFIG-6-DB_COMMIT : Configuration committed by user 'admin'.", 2026).unwrap();
        assert_eq!(field(&p, "facility"), Some("MGBL-CONFIG"));
        assert_eq!(field(&p, "mnemonic"), Some("DB_COMMIT"));
        assert_eq!(field(&p, "host"), Some("10.0.0.1"));
    }

    #[test]
    fn junos_and_tacacs() {
        let p = parse("<13>Mar 13 17:07:57 mx1 mgd[4242]: UI_CMDLINE_READ_LINE: User 'root', command 'request system shell '", 2026).unwrap();
        assert_eq!(p.source, Source::new("juniper", "aaa"));
        assert_eq!(field(&p, "command"), Some("request system shell"));
        let p = parse(
            "RT_FLOW_SESSION_CREATE: session created 1.2.3.4/46087->5.6.7.8/25",
            2026,
        )
        .unwrap();
        assert_eq!(p.source, Source::new("juniper", "syslog"));

        let p = parse_tacacs("Oct 19 18:30:13\t10.1.1.1\tadmin\ttty2\t10.2.2.2\tstop\ttask_id=5\ttimezone=UTC\tservice=shell\tpriv-lvl=15\tcmd=monitor capture CAP start <cr>", 2026).unwrap();
        assert_eq!(field(&p, "user"), Some("admin"));
        assert_eq!(field(&p, "nas"), Some("10.1.1.1"));
        assert_eq!(field(&p, "command"), Some("monitor capture CAP start"));
        assert_eq!(p.full.as_deref(), Some("monitor capture CAP start"));
        assert!(parse_tacacs("plain text line", 2026).is_none());
        assert!(parse_tacacs(
            "rshd[93991]: root@192.168.1.1 as root: cmd='rcp -t x'",
            2026
        )
        .is_none());
    }
}
