//! Secrets in configuration lines: where they are, how weak they are, and redaction.
//!
//! One scanner serves both: it finds the value after a secret keyword (`password`,
//! `secret`, `key`, `key-string`, `md5`, `authentication-key`, `encrypted-password`,
//! `ascii-text`, `pre-shared-key`, SNMP `community`, SNMPv3 `auth`/`priv`), with the
//! Cisco type digit before it (7 reversible, 5/4 crackable, 0 clear) or the hash
//! prefix (`$1$` MD5-crypt, Junos `$9$` reversible).

/// How a secret is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strength {
    /// Type 7, Junos `$9$`: decodes instantly.
    Reversible,
    /// Type 5/4, `$1$` MD5-crypt, ASA `encrypted` (MD5): crackable offline.
    Weak,
    /// Clear text.
    Plain,
    /// Type 6/8/9, SHA-crypt, PBKDF2, or a value that is not a password (community).
    Other,
}

/// A secret value's byte span in the line and its strength.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Secret {
    pub start: usize,
    pub end: usize,
    pub strength: Strength,
}

/// Whitespace-separated tokens with byte spans; a token opening with `"` runs to the
/// closing quote.
fn tokens(t: &str) -> Vec<(usize, usize)> {
    let b = t.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= b.len() {
            break;
        }
        let s = i;
        if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += 1;
            }
            i = (i + 1).min(b.len());
        } else {
            while i < b.len() && !b[i].is_ascii_whitespace() {
                i += 1;
            }
        }
        out.push((s, i));
    }
    out
}

const STOP: &[&str] = &[
    "encryption",
    "chain",
    "generate",
    "config-key",
    "zeroize",
    "import",
    "export",
    "storage",
    "level",
    "required",
    "address",
    "local",
    "remote",
    "hostname",
    "exchange",
    "aaa",
    "prompt",
    "strength-check",
    "policy",
    "key-string",
    "key-chain",
    "authentication",
    "timeout",
    "min-length",
    "management",
    "history",
    "unique",
    "lifetime",
    "rsa",
    "ec",
    "ecdsa",
    "sha",
    "mode",
    "keyring",
    "all",
    "read",
    "write",
    "notify",
    "access",
    "context",
    "match",
    "view",
    "group",
    "ipv4",
    "ipv6",
];

const KEYWORDS: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "key",
    "key-string",
    "md5",
    "authentication-key",
    "encrypted-password",
    "ascii-text",
    "hexadecimal",
    "pre-shared-key",
    "auth-password",
    "priv-password",
    "simple-password",
    "secret-key",
];

const ALGOS: &[&str] = &[
    "md5", "sha", "sha1", "sha-1", "sha224", "sha256", "sha384", "sha512", "sha-224", "sha-256",
    "sha-384", "sha-512", "aes", "aes128", "aes192", "aes256", "aes-128", "aes-192", "aes-256",
    "des", "3des", "128", "192", "256",
];

fn unquote(v: &str) -> &str {
    v.trim_matches('"')
}

/// Finds the secrets of one configuration line.
pub fn find(t: &str, junos: bool) -> Vec<Secret> {
    let toks = tokens(t);
    let mut out = Vec::new();
    let w = |i: usize| -> &str { toks.get(i).map_or("", |&(s, e)| &t[s..e]) };
    let snmp = t.starts_with("snmp-server ") || t.starts_with("snmp ") || t.contains(" snmp ");
    let mut i = 0;
    while i < toks.len() {
        let k = w(i);
        if k == "community" && snmp {
            let v = w(i + 1);
            if !v.is_empty()
                && !v.eq_ignore_ascii_case("public")
                && !v.eq_ignore_ascii_case("private")
                && !v.contains(':')
            {
                let (s, e) = toks[i + 1];
                out.push(Secret {
                    start: s,
                    end: e,
                    strength: Strength::Other,
                });
            }
            i += 2;
            continue;
        }
        if (k == "auth" || k == "priv") && snmp {
            let mut j = i + 1;
            while ALGOS.contains(&w(j)) {
                j += 1;
            }
            let v = w(j);
            if !v.is_empty()
                && !STOP.contains(&v)
                && v != "priv"
                && v != "localizedkey"
                && v != "auth"
            {
                let (s, e) = toks[j];
                out.push(Secret {
                    start: s,
                    end: e,
                    strength: Strength::Other,
                });
                i = j + 1;
                continue;
            }
            i += 1;
            continue;
        }
        if KEYWORDS.contains(&k) {
            let mut j = i + 1;
            let ty = w(j);
            let ty = if !ty.is_empty() && ty.len() <= 2 && ty.bytes().all(|b| b.is_ascii_digit()) {
                j += 1;
                Some(ty)
            } else if matches!(ty, "sha512" | "sha256" | "pbkdf2" | "scrypt") && k == "secret" {
                j += 1;
                Some("9")
            } else {
                None
            };
            let mut ty = ty;
            if ALGOS.contains(&w(j)) && k != "md5" {
                // `authentication-key ID md5 VALUE [7]`: the digit was a key id.
                j += 1;
                ty = None;
            }
            // IOS XR: `password encrypted X` (type 7 style), `password clear X`.
            let mut xr = None;
            if ty.is_none() && matches!(w(j), "encrypted" | "clear") && !w(j + 1).is_empty() {
                xr = Some(w(j) == "encrypted");
                j += 1;
            }
            let v = w(j);
            if v.is_empty() || STOP.contains(&v) || (k == "key" && ty.is_none() && v.len() <= 2) {
                i = j.max(i + 1);
                continue;
            }
            let after = w(j + 1);
            let raw = unquote(v);
            let strength = match ty {
                _ if xr == Some(true) => Strength::Reversible,
                _ if xr == Some(false) => Strength::Plain,
                Some("7") => Strength::Reversible,
                Some("4") => Strength::Weak,
                Some("5") if raw.starts_with("$1$") || !raw.starts_with('$') => Strength::Weak,
                Some("0") => Strength::Plain,
                Some(_) => Strength::Other,
                None if raw.starts_with("$9$") && junos => Strength::Reversible,
                None if raw.starts_with("$1$") => Strength::Weak,
                None if raw.starts_with('$') => Strength::Other,
                None if after == "encrypted" => Strength::Weak,
                None if after == "pbkdf2" || after == "localizedkey" => Strength::Other,
                None if after == "7" => Strength::Reversible,
                None if junos => Strength::Other,
                None if raw.starts_with("0x") => Strength::Other,
                None => Strength::Plain,
            };
            let (s, e) = toks[j];
            out.push(Secret {
                start: s,
                end: e,
                strength,
            });
            i = j + 1;
            continue;
        }
        // A quoted Junos secret after an unknown keyword.
        if junos && (k.starts_with("\"$9$") || k.starts_with("\"$1$") || k.starts_with("\"$")) {
            let (s, e) = toks[i];
            let strength = if k.starts_with("\"$9$") {
                Strength::Reversible
            } else if k.starts_with("\"$1$") {
                Strength::Weak
            } else {
                Strength::Other
            };
            out.push(Secret {
                start: s,
                end: e,
                strength,
            });
        }
        i += 1;
    }
    out
}

/// The line with every secret value replaced by `<redacted>`.
pub fn redact(t: &str, junos: bool) -> String {
    let secrets = find(t, junos);
    if secrets.is_empty() {
        return t.to_owned();
    }
    let mut s = String::with_capacity(t.len());
    let mut at = 0;
    for x in secrets {
        s.push_str(&t[at..x.start]);
        s.push_str("<redacted>");
        at = x.end;
    }
    s.push_str(&t[at..]);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(t: &str, j: bool) -> Vec<Strength> {
        find(t, j).into_iter().map(|s| s.strength).collect()
    }

    #[test]
    fn cisco_types() {
        assert_eq!(
            st("username a password 7 0822455D0A16", false),
            [Strength::Reversible]
        );
        assert_eq!(st("enable secret 5 $1$abc$xyz", false), [Strength::Weak]);
        assert_eq!(
            st("username a password 5 $5$abc$xyz role network-admin", false),
            [Strength::Other]
        );
        assert_eq!(
            st("username cisco privilege 15 password 0 cisco", false),
            [Strength::Plain]
        );
        assert_eq!(
            st("enable password 8Ry2YjIyt7RRXU24 encrypted", false),
            [Strength::Weak]
        );
        assert_eq!(
            st("tacacs-server host 1.2.3.4 key 7 045802150C2E", false),
            [Strength::Reversible]
        );
        assert_eq!(st("service password-encryption", false), []);
        assert_eq!(st("password encryption aes", false), []);
        assert_eq!(st("key chain K", false), []);
        assert_eq!(st("key 1", false), []);
        assert_eq!(st("crypto key generate rsa modulus 2048", false), []);
        assert_eq!(
            st("ntp authentication-key 1 md5 0822455D0A16 7", false),
            [Strength::Reversible]
        );
        assert_eq!(
            st(
                "username admin privilege 15 role network-admin secret sha512 $6$x$y",
                false
            ),
            [Strength::Other]
        );
    }

    #[test]
    fn redaction() {
        assert_eq!(
            redact("snmp-server community n0c RO 10", false),
            "snmp-server community <redacted> RO 10"
        );
        assert_eq!(
            redact("snmp-server community public RO", false),
            "snmp-server community public RO"
        );
        assert_eq!(
            redact(
                "snmp-server user u g v3 auth sha AUTHPW priv aes 128 PRIVPW",
                false
            ),
            "snmp-server user u g v3 auth sha <redacted> priv aes 128 <redacted>"
        );
        assert_eq!(
            redact(
                "system login user a authentication encrypted-password \"$1$x$y\"",
                true
            ),
            "system login user a authentication encrypted-password <redacted>"
        );
        assert_eq!(
            st("protocols bgp group g authentication-key \"$9$abc\"", true),
            [Strength::Reversible]
        );
        assert_eq!(
            redact("crypto isakmp key s3cr3t address 1.2.3.4", false),
            "crypto isakmp key <redacted> address 1.2.3.4"
        );
        assert_eq!(
            redact("route-map X permit 10\n", false),
            "route-map X permit 10\n"
        );
    }
}
