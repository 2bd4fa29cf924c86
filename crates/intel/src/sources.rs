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
