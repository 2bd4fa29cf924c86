//! Publishers of intelligence and how Stormwatch grades what they say, as data.
//!
//! Each entry: the identity name used as `created_by_ref`, its identity class, the
//! default Admiralty grade of its claims (source reliability A-F, information
//! credibility 1-6) and its independence group (claims from one group do not
//! corroborate each other). Grades are the project's judgement, stated here so an
//! analyst can review and change them; the reasons are in the `why` column.

use stormwatch_model::claim::Admiralty;

/// One known publisher.
#[derive(Debug, Clone, Copy)]
pub struct Source {
    pub name: &'static str,
    pub identity_class: &'static str,
    pub reliability: char,
    pub credibility: u8,
    pub independence_group: &'static str,
    pub why: &'static str,
}

impl Source {
    pub fn grade(&self) -> Admiralty {
        Admiralty {
            reliability: self.reliability,
            credibility: self.credibility,
        }
    }
}

#[rustfmt::skip]
pub static SOURCES: &[Source] = &[
    Source { name: "The MITRE Corporation", identity_class: "organization", reliability: 'B', credibility: 2, independence_group: "MITRE", why: "curated knowledge base citing public reporting for every alias" },
    Source { name: "Microsoft", identity_class: "organization", reliability: 'B', credibility: 2, independence_group: "Microsoft", why: "vendor with first-hand telemetry; its mapping lists other vendors' names without per-link evidence" },
    Source { name: "MISP galaxy project", identity_class: "organization", reliability: 'C', credibility: 3, independence_group: "MISP galaxy", why: "community-maintained; synonyms collected from many reports, some of them disputed" },
    Source { name: "CISA", identity_class: "organization", reliability: 'A', credibility: 2, independence_group: "US government", why: "government agency publishing joint advisories" },
    Source { name: "FBI", identity_class: "organization", reliability: 'A', credibility: 2, independence_group: "US government", why: "law-enforcement agency with investigative access; co-author of joint statements" },
    Source { name: "US Treasury OFAC", identity_class: "organization", reliability: 'A', credibility: 2, independence_group: "US government", why: "sanctions designations are formal findings, but rest on the same US government evidence" },
    Source { name: "Joint advisory AA25-239A agencies", identity_class: "organization", reliability: 'A', credibility: 2, independence_group: "AA25-239A co-sealing agencies", why: "NSA, CISA, FBI, DC3 and agencies of 12 countries co-sealed one advisory: one voice, not 13" },
    Source { name: "UK NCSC", identity_class: "organization", reliability: 'A', credibility: 3, independence_group: "UK government", why: "national authority; the cited speech is general, not about Salt Typhoon specifically" },
    Source { name: "Netherlands MIVD", identity_class: "organization", reliability: 'A', credibility: 3, independence_group: "NL government", why: "military intelligence service; annual report statements are general" },
    Source { name: "Kaspersky", identity_class: "organization", reliability: 'B', credibility: 2, independence_group: "Kaspersky", why: "vendor technical report with first-hand samples" },
    Source { name: "ESET", identity_class: "organization", reliability: 'B', credibility: 2, independence_group: "ESET", why: "vendor technical research with first-hand telemetry" },
    Source { name: "Trend Micro", identity_class: "organization", reliability: 'B', credibility: 2, independence_group: "Trend Micro", why: "vendor technical research with first-hand telemetry" },
    Source { name: "Recorded Future", identity_class: "organization", reliability: 'B', credibility: 3, independence_group: "Recorded Future", why: "vendor research largely from external scanning and network telemetry" },
    Source { name: "Cisco Talos", identity_class: "organization", reliability: 'B', credibility: 2, independence_group: "Cisco", why: "vendor incident response on the affected devices" },
    Source { name: "Eclypsium", identity_class: "organization", reliability: 'C', credibility: 3, independence_group: "Eclypsium", why: "vendor blog; the cited statement's date is unverified" },
    Source { name: "CNCERT", identity_class: "organization", reliability: 'C', credibility: 4, independence_group: "PRC state", why: "state CERT; its stated evidence (tool links, working hours, IP switching) is weak and unverifiable; not independent of PRC state media" },
    Source { name: "Global Times", identity_class: "organization", reliability: 'D', credibility: 5, independence_group: "PRC state", why: "state media repeating the official line; no evidence offered" },
    Source { name: "Stormwatch analyst", identity_class: "individual", reliability: 'C', credibility: 3, independence_group: "local analyst", why: "claims entered on this installation; grade them explicitly" },
];

/// The entry for a publisher name, if known.
pub fn lookup(name: &str) -> Option<&'static Source> {
    SOURCES.iter().find(|s| s.name.eq_ignore_ascii_case(name))
}

/// The default grade of a publisher's claims: its table entry, else F6 (reliability
/// and credibility cannot be judged).
pub fn grade(name: &str) -> Admiralty {
    lookup(name).map_or(
        Admiralty {
            reliability: 'F',
            credibility: 6,
        },
        Source::grade,
    )
}
