//! Which vendor coined an actor name, as data.
//!
//! Explicit names come from DOMAIN.md section 5 (which cites the vendors' reports
//! listed in its section 8); naming schemes are the vendors' published conventions
//! and are marked as such, because a pattern is a guess about who coined a name, not
//! a fact. MISP galaxy clusters that state a name's origin (`origin:NAME`) are read
//! by the actor code and take precedence.

/// How a vendor was assigned to a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Basis {
    /// The name is listed with its vendor in a cited source.
    Cited,
    /// The name follows a vendor's naming scheme.
    NamingScheme,
}

/// Names whose vendor is stated in DOMAIN.md section 5.
#[rustfmt::skip]
pub static EXPLICIT: &[(&str, &str)] = &[
    ("Salt Typhoon", "Microsoft"),
    ("OPERATOR PANDA", "CrowdStrike"),
    ("GhostEmperor", "Kaspersky"),
    ("FamousSparrow", "ESET"),
    ("Earth Estries", "Trend Micro"),
    ("UNC2286", "Mandiant"),
    ("UNC5807", "Mandiant"),
    ("RedMike", "Recorded Future"),
];

const MICROSOFT_FAMILIES: &[&str] = &[
    "typhoon",
    "gale",
    "monsoon",
    "sandstorm",
    "sleet",
    "rain",
    "whirlwind",
    "lightning",
    "blizzard",
    "squall",
    "hail",
    "derecho",
    "haze",
    "dust",
    "frost",
    "tornado",
    "cyclone",
    "tempest",
    "tsunami",
    "flood",
    "gust",
    "vortex",
];

const CROWDSTRIKE_ANIMALS: &[&str] = &[
    "panda", "bear", "kitten", "chollima", "spider", "jackal", "tiger", "buffalo", "crane",
    "leopard", "ocelot", "saiga", "hawk", "wolf", "lynx",
];

const SECUREWORKS_ELEMENTS: &[&str] = &[
    "bronze", "iron", "cobalt", "gold", "nickel", "tin", "aluminum", "copper", "platinum", "zinc",
    "silver", "mercury", "lead", "titanium",
];

const UNIT42_CONSTELLATIONS: &[&str] = &["taurus", "ursa", "serpens", "libra", "pisces", "draco"];

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// The vendor that coined `name`, and on what basis.
pub fn vendor_of(name: &str) -> Option<(&'static str, Basis)> {
    let n = name.trim();
    if let Some((_, v)) = EXPLICIT.iter().find(|(x, _)| x.eq_ignore_ascii_case(n)) {
        return Some((v, Basis::Cited));
    }
    let lower = n.to_lowercase();
    let words: Vec<&str> = lower.split_whitespace().collect();
    let last = words.last().copied().unwrap_or("");
    let scheme = |v: &'static str| Some((v, Basis::NamingScheme));
    if let Some(rest) = lower
        .strip_prefix("storm-")
        .or_else(|| lower.strip_prefix("dev-"))
    {
        if digits(rest) {
            return scheme("Microsoft");
        }
    }
    if lower.strip_prefix("covertnetwork-").is_some_and(digits) {
        return scheme("Microsoft");
    }
    if words.len() == 2 && MICROSOFT_FAMILIES.contains(&last) {
        return scheme("Microsoft");
    }
    if words.len() == 2 && CROWDSTRIKE_ANIMALS.contains(&last) {
        return scheme("CrowdStrike");
    }
    if words.len() == 2 && words[0] == "earth" {
        return scheme("Trend Micro");
    }
    if words.len() == 2 && SECUREWORKS_ELEMENTS.contains(&words[0]) {
        return scheme("Secureworks");
    }
    if words.len() == 2 && UNIT42_CONSTELLATIONS.contains(&last) {
        return scheme("Palo Alto Networks Unit 42");
    }
    for (prefix, v) in [
        ("unc", "Mandiant"),
        ("apt", "Mandiant"),
        ("tag-", "Recorded Future"),
        ("ta", "Proofpoint"),
    ] {
        if lower.strip_prefix(prefix).is_some_and(digits) {
            return scheme(v);
        }
    }
    if let Some(rest) = lower.strip_prefix('g') {
        if rest.len() == 4 && digits(rest) {
            return scheme("MITRE ATT&CK");
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendors() {
        assert_eq!(vendor_of("ghostemperor"), Some(("Kaspersky", Basis::Cited)));
        assert_eq!(
            vendor_of("Volt Typhoon"),
            Some(("Microsoft", Basis::NamingScheme))
        );
        assert_eq!(vendor_of("Storm-0558").map(|v| v.0), Some("Microsoft"));
        assert_eq!(
            vendor_of("VANGUARD PANDA").map(|v| v.0),
            Some("CrowdStrike")
        );
        assert_eq!(vendor_of("UNC4841").map(|v| v.0), Some("Mandiant"));
        assert_eq!(vendor_of("APT41").map(|v| v.0), Some("Mandiant"));
        assert_eq!(
            vendor_of("BRONZE SILHOUETTE").map(|v| v.0),
            Some("Secureworks")
        );
        assert_eq!(vendor_of("G1045").map(|v| v.0), Some("MITRE ATT&CK"));
        assert_eq!(vendor_of("Lotus Blossom"), None);
    }
}
