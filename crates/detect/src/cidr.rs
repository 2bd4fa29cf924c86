//! IPv4/IPv6 networks for `|cidr` and the site file.

use std::net::IpAddr;

/// A network: address bits and prefix length (IPv4 kept apart from IPv6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Net {
    v6: bool,
    bits: u128,
    len: u8,
}

impl Net {
    /// `a.b.c.d/n`, `x::/n`, or a bare address (a host network).
    pub fn parse(s: &str) -> Option<Net> {
        let s = s.trim();
        let (addr, len) = match s.split_once('/') {
            Some((a, l)) => (a, Some(l.parse::<u8>().ok()?)),
            None => (s, None),
        };
        let ip: IpAddr = addr.parse().ok()?;
        let (v6, bits, max) = match ip {
            IpAddr::V4(a) => (false, u32::from(a) as u128, 32u8),
            IpAddr::V6(a) => (true, u128::from(a), 128u8),
        };
        let len = len.unwrap_or(max);
        if len > max {
            return None;
        }
        Some(Net {
            v6,
            bits: bits & mask(len, max),
            len,
        })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let (v6, bits, max) = match ip {
            IpAddr::V4(a) => (false, u32::from(a) as u128, 32u8),
            IpAddr::V6(a) => (true, u128::from(a), 128u8),
        };
        v6 == self.v6 && bits & mask(self.len, max) == self.bits
    }

    /// `contains` on text (false when the text is not an address).
    pub fn contains_str(&self, s: &str) -> bool {
        s.trim().parse::<IpAddr>().is_ok_and(|ip| self.contains(ip))
    }
}

fn mask(len: u8, max: u8) -> u128 {
    if len == 0 {
        0
    } else {
        let all: u128 = if max == 32 {
            u32::MAX as u128
        } else {
            u128::MAX
        };
        all & !((1u128 << (max - len)) - 1).min(all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contains() {
        let n = Net::parse("172.16.0.0/12").unwrap();
        assert!(n.contains_str("172.31.255.1"));
        assert!(!n.contains_str("172.32.0.1"));
        assert!(!n.contains_str("::1"));
        assert!(Net::parse("fe80::/10").unwrap().contains_str("febf::1"));
        assert!(Net::parse("::1/128").unwrap().contains_str("::1"));
        assert!(Net::parse("0.0.0.0/0").unwrap().contains_str("8.8.8.8"));
        assert!(Net::parse("10.0.0.0/33").is_none());
        assert!(Net::parse("10.1.2.3").unwrap().contains_str("10.1.2.3"));
    }
}
