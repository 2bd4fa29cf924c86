//! The claim model: every "A is B", "A overlaps B", "A is not B", "X is attributed to Y"
//! is a claim by a source, on a date, with a grade. Claims are STIX relationships
//! (so they round-trip through export/import and TAXII) carrying the custom property
//! `x_stormwatch_claim`; disputes are STIX opinions on a claim. Nothing is merged:
//! clusters are computed from claims on demand.
//!
//! ```json
//! {"type": "relationship", "relationship_type": "same-as",
//!  "source_ref": "intrusion-set--...", "target_ref": "intrusion-set--...",
//!  "created_by_ref": "identity--<the source>", "confidence": 70,
//!  "external_references": [{"source_name": "Microsoft", "description": "..."}],
//!  "x_stormwatch_claim": {"date": "2025-03", "reliability": "B", "credibility": 2,
//!                         "reference": "...", "note": "..."}}
//! ```
//! `date` is when the source made the claim: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, or
//! null when unknown (never guessed).

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// Property that carries a claim's grading on a relationship.
pub const CLAIM_PROPERTY: &str = "x_stormwatch_claim";

/// What a claim says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClaimKind {
    /// Two names denote the same cluster.
    SameAs,
    /// Two clusters overlap (shared tooling, infrastructure or victims) but may differ.
    OverlapsWith,
    /// Two clusters are different actors.
    DistinctFrom,
    /// An actor or activity is attributed to a state, unit or organisation.
    AttributedTo,
    /// An attribution is denied.
    NotAttributedTo,
    /// An actor or activity is said to be fabricated.
    Fabricated,
}

impl ClaimKind {
    pub const ALL: [ClaimKind; 6] = [
        ClaimKind::SameAs,
        ClaimKind::OverlapsWith,
        ClaimKind::DistinctFrom,
        ClaimKind::AttributedTo,
        ClaimKind::NotAttributedTo,
        ClaimKind::Fabricated,
    ];

    /// The STIX `relationship_type` used for this kind.
    pub fn relationship_type(self) -> &'static str {
        match self {
            ClaimKind::SameAs => "same-as",
            ClaimKind::OverlapsWith => "overlaps-with",
            ClaimKind::DistinctFrom => "distinct-from",
            ClaimKind::AttributedTo => "attributed-to",
            ClaimKind::NotAttributedTo => "not-attributed-to",
            ClaimKind::Fabricated => "fabricated",
        }
    }

    /// The kind of a `relationship_type`, if it is a claim kind.
    pub fn from_relationship_type(t: &str) -> Option<ClaimKind> {
        ClaimKind::ALL
            .into_iter()
            .find(|k| k.relationship_type() == t)
    }

    /// True for the kinds that link names of one cluster (same-as, overlaps-with).
    pub fn links_names(self) -> bool {
        matches!(self, ClaimKind::SameAs | ClaimKind::OverlapsWith)
    }
}

/// Admiralty (NATO) grade: source reliability A-F and information credibility 1-6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Admiralty {
    pub reliability: char,
    pub credibility: u8,
}

impl Admiralty {
    /// Parses `B2`, `b2`, `F6`.
    pub fn parse(s: &str) -> Option<Admiralty> {
        let mut c = s.trim().chars();
        let r = c.next()?.to_ascii_uppercase();
        let n = c.as_str().parse::<u8>().ok()?;
        Admiralty::new(r, n)
    }

    pub fn new(reliability: char, credibility: u8) -> Option<Admiralty> {
        (('A'..='F').contains(&reliability) && (1..=6).contains(&credibility)).then_some(
            Admiralty {
                reliability,
                credibility,
            },
        )
    }

    /// STIX confidence for the credibility: 1-5 -> 90/70/50/30/10; 6 (cannot be judged)
    /// counts as 50 (docs/CLI.md, "Confidence").
    pub fn confidence(self) -> u8 {
        credibility_confidence(self.credibility)
    }
}

impl std::fmt::Display for Admiralty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}", self.reliability, self.credibility)
    }
}

/// Credibility 1-5 -> 90/70/50/30/10; 6 -> 50.
pub fn credibility_confidence(credibility: u8) -> u8 {
    match credibility {
        1 => 90,
        2 => 70,
        3 => 50,
        4 => 30,
        5 => 10,
        _ => 50,
    }
}

/// Checks a partial date: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
pub fn is_partial_date(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    match b.len() {
        4 => digits(0..4),
        7 => {
            digits(0..4)
                && b[4] == b'-'
                && digits(5..7)
                && (1..=12).contains(&s[5..7].parse::<u8>().unwrap_or(0))
        }
        10 => {
            is_partial_date(&s[..7])
                && b[7] == b'-'
                && digits(8..10)
                && (1..=31).contains(&s[8..10].parse::<u8>().unwrap_or(0))
        }
        _ => false,
    }
}

/// Everything needed to write a claim.
#[derive(Debug, Clone)]
pub struct ClaimSpec<'a> {
    pub kind: ClaimKind,
    pub source_ref: &'a str,
    pub target_ref: &'a str,
    /// Identity id of who makes the claim.
    pub created_by_ref: &'a str,
    /// Name of who makes the claim (used for the deterministic id and the reference).
    pub source_name: &'a str,
    /// When the source made the claim, partial or unknown.
    pub date: Option<&'a str>,
    pub grade: Admiralty,
    /// Citation: publisher, date, title or file.
    pub reference: &'a str,
    pub url: Option<&'a str>,
    pub note: Option<&'a str>,
    /// `created`/`modified` of the relationship (record keeping, not the claim date).
    pub timestamp: &'a str,
}

impl ClaimSpec<'_> {
    /// The claim as a STIX relationship with a deterministic id (same claim, same id).
    pub fn to_stix(&self) -> Map<String, Value> {
        let rt = self.kind.relationship_type();
        let key = format!("{}|{rt}|{}", self.source_ref, self.target_ref);
        let id = crate::deterministic_id(self.source_name, "relationship", &key);
        let mut ext = json!({"source_name": self.source_name, "description": self.reference});
        if let Some(u) = self.url {
            ext["url"] = json!(u);
        }
        let v = json!({
            "type": "relationship",
            "spec_version": "2.1",
            "id": id,
            "created": self.timestamp,
            "modified": self.timestamp,
            "relationship_type": rt,
            "source_ref": self.source_ref,
            "target_ref": self.target_ref,
            "created_by_ref": self.created_by_ref,
            "confidence": self.grade.confidence(),
            "external_references": [ext],
            CLAIM_PROPERTY: {
                "date": self.date,
                "reliability": self.grade.reliability.to_string(),
                "credibility": self.grade.credibility,
                "reference": self.reference,
                "note": self.note,
            }
        });
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }
}

/// The grading of a stored claim, read back from its JSON.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ClaimInfo {
    pub date: Option<String>,
    pub admiralty: Option<String>,
    pub reference: Option<String>,
    pub note: Option<String>,
}

impl ClaimInfo {
    /// Reads `x_stormwatch_claim` (absent on relationships made by other tools).
    pub fn from_object(o: &Value) -> ClaimInfo {
        let c = o.get(CLAIM_PROPERTY);
        let s = |k: &str| {
            c.and_then(|c| c.get(k))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let admiralty = match (
            s("reliability"),
            c.and_then(|c| c.get("credibility")).and_then(Value::as_u64),
        ) {
            (Some(r), Some(n)) => Some(format!("{r}{n}")),
            _ => None,
        };
        ClaimInfo {
            date: s("date"),
            admiralty,
            reference: s("reference").or_else(|| {
                o.get("external_references")
                    .and_then(|r| r.get(0))
                    .and_then(|r| r.get("description").or_else(|| r.get("url")))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            }),
            note: s("note"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admiralty_and_confidence() {
        let a = Admiralty::parse("b2").unwrap();
        assert_eq!(a.to_string(), "B2");
        assert_eq!(a.confidence(), 70);
        assert_eq!(Admiralty::parse("F6").unwrap().confidence(), 50);
        assert!(Admiralty::parse("G1").is_none());
        assert!(Admiralty::parse("A7").is_none());
    }

    #[test]
    fn partial_dates() {
        for ok in ["2025", "2025-03", "2024-11-13"] {
            assert!(is_partial_date(ok), "{ok}");
        }
        for bad in ["25", "2025-13", "2025-3", "2025-03-32", "late 2024"] {
            assert!(!is_partial_date(bad), "{bad}");
        }
    }

    #[test]
    fn claim_is_valid_stix_with_stable_id() {
        let spec = ClaimSpec {
            kind: ClaimKind::DistinctFrom,
            source_ref: "intrusion-set--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5",
            target_ref: "intrusion-set--d78cb6e5-0c4b-4611-8297-d1b8b55e40b5",
            created_by_ref: "identity--e78cb6e5-0c4b-4611-8297-d1b8b55e40b5",
            source_name: "ESET",
            date: Some("2025-03"),
            grade: Admiralty::new('B', 2).unwrap(),
            reference: "ESET, 2025-03",
            url: None,
            note: None,
            timestamp: "2025-03-01T00:00:00.000Z",
        };
        let m = spec.to_stix();
        assert!(crate::validate(&m)
            .iter()
            .all(|i| i.severity != crate::Severity::Error));
        assert_eq!(m["id"], spec.to_stix()["id"]);
        let info = ClaimInfo::from_object(&Value::Object(m));
        assert_eq!(info.admiralty.as_deref(), Some("B2"));
        assert_eq!(info.date.as_deref(), Some("2025-03"));
    }
}
