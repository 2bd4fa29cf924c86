//! Microsoft's weather-themed threat actor naming taxonomy, as data.
//!
//! A Microsoft actor name is `<adjective> <family>`: the family (the last word) stands
//! for an origin (a country) or a motivation; `Storm-####` is a group in development
//! and `CovertNetwork-####` a covert (ORB) network. Microsoft revised the taxonomy, and
//! its own mapping file uses families the published table does not define, so the
//! families are kept in several tables, each with its source, and [`decode`] returns
//! every entry that defines a family, even when the tables disagree:
//!
//! - `2023-04`: the first published taxonomy. Its families are exactly those whose
//!   names appear in the first published mapping file (MicrosoftMapping.json of
//!   2023-04-19, 68 entries), with the "Origin/Threat" the file gives them: 8 country
//!   families (Blizzard, Typhoon, Sandstorm, Sleet, Cyclone, Dust, Hail, Rain) plus
//!   Tempest, Tsunami and Storm. No family is added from memory.
//! - `2025`: "How Microsoft names threat actors" (rev. 2025), as listed in
//!   docs/DOMAIN.md section 5 (17 country families, 3 motivation families, Storm and
//!   CovertNetwork).
//! - `mapping-file-usage`: families that the current mapping file (MicrosoftMapping.json,
//!   2026-07 version) uses but the 2025 table does not define: Gust (United Arab
//!   Emirates) and Vortex (Pakistan). Vortex conflicts with the 2025 table, which gives
//!   Pakistan to Whirlwind; [`Decoded::conflicts`] says so.
//!
//! [`compare_with_stated`] lists where a name's family disagrees with the
//! "Origin/Threat" a source states for the actor.

use serde::Serialize;

/// What a family stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FamilyKind {
    /// The family names a country (the meaning).
    NationState,
    FinanciallyMotivated,
    PrivateSectorOffensive,
    InfluenceOperations,
    GroupInDevelopment,
    CovertNetwork,
}

impl FamilyKind {
    /// The kebab-case name used in JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            FamilyKind::NationState => "nation-state",
            FamilyKind::FinanciallyMotivated => "financially-motivated",
            FamilyKind::PrivateSectorOffensive => "private-sector-offensive",
            FamilyKind::InfluenceOperations => "influence-operations",
            FamilyKind::GroupInDevelopment => "group-in-development",
            FamilyKind::CovertNetwork => "covert-network",
        }
    }

    /// The kind a stated motivation names ("Financially motivated", "Private sector
    /// offensive actor", "Influence operations", "Group in development", "Covert
    /// network"; case, spacing, hyphens and a plural ignored), if it names one.
    pub fn from_stated(s: &str) -> Option<FamilyKind> {
        let k: String = s
            .chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect();
        let k = k.strip_suffix('s').unwrap_or(&k);
        match k {
            "financiallymotivated" | "financialmotivation" => {
                Some(FamilyKind::FinanciallyMotivated)
            }
            "privatesectoroffensiveactor" | "privatesectoroffensiveactors" | "psoa" => {
                Some(FamilyKind::PrivateSectorOffensive)
            }
            "influenceoperation" | "influenceoperations" => Some(FamilyKind::InfluenceOperations),
            "groupindevelopment" => Some(FamilyKind::GroupInDevelopment),
            "covertnetwork" => Some(FamilyKind::CovertNetwork),
            _ => None,
        }
    }
}

impl std::fmt::Display for FamilyKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One family as one table defines it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Family {
    /// As Microsoft spells it: `Typhoon`, `Storm`, `CovertNetwork`.
    pub name: &'static str,
    pub kind: FamilyKind,
    /// The country for nation-state families, else the motivation or category.
    pub meaning: &'static str,
    /// `2023-04`, `2025` or `mapping-file-usage`.
    pub table_version: &'static str,
    /// Where the table comes from.
    pub source: &'static str,
}

/// The first published taxonomy (derived from the 2023-04-19 mapping file).
pub const TABLE_2023: &str = "2023-04";
/// "How Microsoft names threat actors", rev. 2025.
pub const TABLE_2025: &str = "2025";
/// Families the current mapping file uses that the 2025 table does not define.
pub const TABLE_MAPPING_USAGE: &str = "mapping-file-usage";
/// Table versions, oldest first (the mapping file of 2026-07 is the newest source).
pub const TABLE_VERSIONS: [&str; 3] = [TABLE_2023, TABLE_2025, TABLE_MAPPING_USAGE];

const SRC_2023: &str = "Microsoft, MicrosoftMapping.json, first published version (2023-04-19): families of the \"New name\" column and their \"Origin/Threat\"";
const SRC_2025: &str = "Microsoft, How Microsoft names threat actors (rev. 2025)";
const SRC_USAGE: &str = "Microsoft, MicrosoftMapping.json (2026-07 version): families used in \"Threat actor name\" with their \"Origin/Threat\"";

use FamilyKind::*;

const fn fam(
    name: &'static str,
    kind: FamilyKind,
    meaning: &'static str,
    table_version: &'static str,
    source: &'static str,
) -> Family {
    Family {
        name,
        kind,
        meaning,
        table_version,
        source,
    }
}

/// Every family of every table, oldest table first.
#[rustfmt::skip]
pub static FAMILIES: &[Family] = &[
    // 2023-04: exactly the families named in MicrosoftMapping-2023-04-19.json. Meanings
    // are the file's "Origin/Threat" values (it writes "Turkey"). Storm entries there
    // have "Group in development" (Storm-0257) but also "North Korea" (Storm-0530).
    fam("Blizzard", NationState, "Russia", TABLE_2023, SRC_2023),
    fam("Typhoon", NationState, "China", TABLE_2023, SRC_2023),
    fam("Sandstorm", NationState, "Iran", TABLE_2023, SRC_2023),
    fam("Sleet", NationState, "North Korea", TABLE_2023, SRC_2023),
    fam("Cyclone", NationState, "Vietnam", TABLE_2023, SRC_2023),
    fam("Dust", NationState, "Turkey", TABLE_2023, SRC_2023),
    fam("Hail", NationState, "South Korea", TABLE_2023, SRC_2023),
    fam("Rain", NationState, "Lebanon", TABLE_2023, SRC_2023),
    fam("Tempest", FinanciallyMotivated, "Financially motivated", TABLE_2023, SRC_2023),
    fam("Tsunami", PrivateSectorOffensive, "Private sector offensive actor", TABLE_2023, SRC_2023),
    fam("Storm", GroupInDevelopment, "Group in development", TABLE_2023, SRC_2023),
    // 2025: docs/DOMAIN.md section 5.
    fam("Typhoon", NationState, "China", TABLE_2025, SRC_2025),
    fam("Gale", NationState, "Germany", TABLE_2025, SRC_2025),
    fam("Monsoon", NationState, "India", TABLE_2025, SRC_2025),
    fam("Sandstorm", NationState, "Iran", TABLE_2025, SRC_2025),
    fam("Sleet", NationState, "North Korea", TABLE_2025, SRC_2025),
    fam("Rain", NationState, "Lebanon", TABLE_2025, SRC_2025),
    fam("Whirlwind", NationState, "Pakistan", TABLE_2025, SRC_2025),
    fam("Lightning", NationState, "Palestinian Authority", TABLE_2025, SRC_2025),
    fam("Blizzard", NationState, "Russia", TABLE_2025, SRC_2025),
    fam("Squall", NationState, "Singapore", TABLE_2025, SRC_2025),
    fam("Hail", NationState, "South Korea", TABLE_2025, SRC_2025),
    fam("Derecho", NationState, "Spain", TABLE_2025, SRC_2025),
    fam("Haze", NationState, "Syria", TABLE_2025, SRC_2025),
    fam("Dust", NationState, "Türkiye", TABLE_2025, SRC_2025),
    fam("Frost", NationState, "Ukraine", TABLE_2025, SRC_2025),
    fam("Tornado", NationState, "United States", TABLE_2025, SRC_2025),
    fam("Cyclone", NationState, "Vietnam", TABLE_2025, SRC_2025),
    fam("Tempest", FinanciallyMotivated, "Financially motivated", TABLE_2025, SRC_2025),
    fam("Tsunami", PrivateSectorOffensive, "Private sector offensive actor", TABLE_2025, SRC_2025),
    fam("Flood", InfluenceOperations, "Influence operations", TABLE_2025, SRC_2025),
    fam("Storm", GroupInDevelopment, "Group in development", TABLE_2025, SRC_2025),
    fam("CovertNetwork", CovertNetwork, "Covert network", TABLE_2025, SRC_2025),
    // mapping-file-usage: families of the current mapping file missing from the 2025
    // table (Daffodil Gust: United Arab Emirates; Viridian Vortex: Pakistan).
    fam("Gust", NationState, "United Arab Emirates", TABLE_MAPPING_USAGE, SRC_USAGE),
    fam("Vortex", NationState, "Pakistan", TABLE_MAPPING_USAGE, SRC_USAGE),
];

/// The families one table defines.
pub fn table(version: &str) -> impl Iterator<Item = &'static Family> + '_ {
    FAMILIES.iter().filter(move |f| f.table_version == version)
}

fn table_rank(version: &str) -> usize {
    TABLE_VERSIONS
        .iter()
        .position(|v| *v == version)
        .unwrap_or(0)
}

/// A name decoded against every table.
#[derive(Debug, Clone, Serialize)]
pub struct Decoded {
    /// The name as given.
    pub name: String,
    /// The family: Microsoft's spelling when known, else the last word as written.
    pub family: String,
    /// True when at least one table defines the family.
    pub known: bool,
    /// Every table entry that defines the family, oldest table first. They may
    /// disagree.
    pub matches: Vec<Family>,
    /// `unknown family "X"` when no table defines it (or the name is empty).
    pub note: Option<String>,
    /// Disagreements between tables about this family: different meanings for it, or
    /// its country given to another family by another table.
    pub conflicts: Vec<String>,
}

/// The `taxonomy` object of `actor show` (docs/CLI.md): the primary match, i.e. the
/// newest table that defines the family; for an unknown family `meaning` is
/// "unknown family" and `kind`/`table_version` are null.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Taxonomy {
    pub family: String,
    pub meaning: String,
    pub kind: Option<FamilyKind>,
    pub table_version: Option<String>,
}

impl Decoded {
    /// The entry of the newest table that defines the family.
    pub fn primary(&self) -> Option<&Family> {
        self.matches.last()
    }

    /// The summary for JSON output.
    pub fn taxonomy(&self) -> Taxonomy {
        match self.primary() {
            Some(f) => Taxonomy {
                family: f.name.to_owned(),
                meaning: f.meaning.to_owned(),
                kind: Some(f.kind),
                table_version: Some(f.table_version.to_owned()),
            },
            None => Taxonomy {
                family: self.family.clone(),
                meaning: "unknown family".to_owned(),
                kind: None,
                table_version: None,
            },
        }
    }
}

/// `Storm-0558` -> `Storm`, `CovertNetwork-1658` -> `CovertNetwork` (prefix, hyphen,
/// digits only); other words unchanged.
fn numbered_family(word: &str) -> &str {
    match word.split_once('-') {
        Some((prefix, num))
            if !prefix.is_empty()
                && !num.is_empty()
                && num.bytes().all(|b| b.is_ascii_digit())
                && (prefix.eq_ignore_ascii_case("Storm")
                    || prefix.eq_ignore_ascii_case("CovertNetwork")) =>
        {
            prefix
        }
        _ => word,
    }
}

/// Decodes a Microsoft actor name: the family is the last word (case-insensitive);
/// `Storm-####` is a group in development and `CovertNetwork-####` a covert network.
pub fn decode(name: &str) -> Decoded {
    let last = name.split_whitespace().last().unwrap_or("");
    let word = numbered_family(last);
    let matches: Vec<Family> = FAMILIES
        .iter()
        .filter(|f| !word.is_empty() && f.name.eq_ignore_ascii_case(word))
        .copied()
        .collect();
    let known = !matches.is_empty();
    let family = matches
        .first()
        .map_or_else(|| word.to_owned(), |f| f.name.to_owned());
    let note = (!known).then(|| {
        if word.is_empty() {
            "unknown family: the name is empty".to_owned()
        } else {
            format!("unknown family {word:?}: no taxonomy table defines it")
        }
    });
    let conflicts = conflicts_of(&matches);
    Decoded {
        name: name.to_owned(),
        family,
        known,
        matches,
        note,
        conflicts,
    }
}

fn conflicts_of(matches: &[Family]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |s: String| {
        if !out.contains(&s) {
            out.push(s);
        }
    };
    // The tables disagree about what the family means.
    for (i, a) in matches.iter().enumerate() {
        for b in &matches[i + 1..] {
            if a.kind != b.kind || meaning_key(a) != meaning_key(b) {
                push(format!(
                    "{} means {} ({}) in table {} but {} ({}) in table {}",
                    a.name, a.meaning, a.kind, a.table_version, b.meaning, b.kind, b.table_version
                ));
            }
        }
    }
    // Another table gives the family's country to a different family.
    for m in matches.iter().filter(|m| m.kind == NationState) {
        let key = country_key(m.meaning);
        for o in FAMILIES.iter().filter(|o| {
            o.kind == NationState
                && o.table_version != m.table_version
                && !o.name.eq_ignore_ascii_case(m.name)
                && country_key(o.meaning) == key
        }) {
            push(format!(
                "table {} ({}) has {} for {}, but table {} ({}) gives {} to {}",
                m.table_version,
                m.source,
                m.name,
                m.meaning,
                o.table_version,
                o.source,
                o.meaning,
                o.name
            ));
        }
    }
    out
}

fn meaning_key(f: &Family) -> String {
    match f.kind {
        NationState => country_key(f.meaning),
        k => k.as_str().to_owned(),
    }
}

/// A comparison key for a country name: lower case, with the spellings sources use
/// for one country mapped to one key ("Türkiye"/"Turkey", "North Korea"/"Korea
/// (North)"/"DPRK", "United States"/"USA", ...). A bare "Korea" stays "korea".
pub fn country_key(s: &str) -> String {
    let lower: String = s
        .trim()
        .chars()
        .map(|c| match c {
            'ü' | 'Ü' => 'u',
            'é' | 'É' => 'e',
            '’' => '\'',
            c => c,
        })
        .flat_map(char::to_lowercase)
        .collect();
    let squashed: String = lower
        .split(|c: char| c.is_whitespace() || c == '.')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let k = match squashed.as_str() {
        "turkiye" | "republic of turkiye" | "republic of turkey" => "turkey",
        "korea (north)"
        | "korea, north"
        | "north-korea"
        | "dprk"
        | "democratic people's republic of korea"
        | "korea, democratic people's republic of"
        | "korea (democratic people's republic of)" => "north korea",
        "korea (south)"
        | "korea, south"
        | "south-korea"
        | "republic of korea"
        | "rok"
        | "korea, republic of"
        | "korea (republic of)" => "south korea",
        "usa" | "us" | "u s" | "united states of america" | "america" => "united states",
        "uae" => "united arab emirates",
        "russian federation" => "russia",
        "prc" | "people's republic of china" => "china",
        "islamic republic of iran" | "iran (islamic republic of)" => "iran",
        "viet nam" => "vietnam",
        "palestine" | "state of palestine" | "palestinian territories" => "palestinian authority",
        "syrian arab republic" => "syria",
        "uk" | "great britain" => "united kingdom",
        other => other,
    };
    k.to_owned()
}

/// A stated "Origin/Threat" split into countries and motivations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stated {
    /// Countries as written.
    pub countries: Vec<String>,
    /// Motivations or categories.
    pub kinds: Vec<FamilyKind>,
}

/// Splits a stated origin such as "China, Financially motivated" on commas.
pub fn parse_stated(stated: &str) -> Stated {
    let mut s = Stated::default();
    for part in stated.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match FamilyKind::from_stated(part) {
            Some(k) => {
                if !s.kinds.contains(&k) {
                    s.kinds.push(k);
                }
            }
            None => s.countries.push(part.to_owned()),
        }
    }
    s
}

fn describe_kind(k: FamilyKind) -> &'static str {
    match k {
        NationState => "a nation-state actor",
        FinanciallyMotivated => "financially motivated",
        PrivateSectorOffensive => "a private-sector offensive actor",
        InfluenceOperations => "influence operations",
        GroupInDevelopment => "a group in development",
        CovertNetwork => "a covert network",
    }
}

/// Where the name's family disagrees with a stated origin/threat (e.g. the mapping
/// file's "Origin/Threat"). Empty when they agree. Rules:
/// - an empty stated origin, or an unknown family, is always reported;
/// - a nation-state family needs the stated origin to name its country (countries
///   compared with [`country_key`]; a bare "Korea" is reported as not saying North
///   or South) and no motivation;
/// - a motivation family (Tempest, Tsunami, Flood) needs the stated origin to say
///   that motivation; a country *next to* it (e.g. "China, Financially motivated")
///   is extra information, not a disagreement, but a country *instead of* it (e.g.
///   a Tempest stated as "Russia") is reported;
/// - `Storm-####` and `CovertNetwork-####` need exactly "Group in development" /
///   "Covert network": any country or other motivation is reported.
///
/// When tables disagree about the family, each distinct meaning is checked and the
/// messages name the tables.
pub fn compare_with_stated(decoded: &Decoded, stated_origin: &str) -> Vec<String> {
    let mut out = Vec::new();
    let stated = parse_stated(stated_origin);
    let empty = stated.countries.is_empty() && stated.kinds.is_empty();
    if !decoded.known {
        out.push(match &decoded.note {
            Some(n) => format!("{n}; the stated origin {stated_origin:?} cannot be checked"),
            None => format!(
                "unknown family {:?}; the stated origin {stated_origin:?} cannot be checked",
                decoded.family
            ),
        });
        if empty {
            out.push("the stated origin is empty".to_owned());
        }
        return out;
    }
    // One check per distinct meaning, naming the tables that give it (newest first).
    let mut groups: Vec<(Family, Vec<&'static str>)> = Vec::new();
    let mut ordered = decoded.matches.clone();
    ordered.sort_by_key(|f| std::cmp::Reverse(table_rank(f.table_version)));
    for f in ordered {
        match groups
            .iter_mut()
            .find(|(g, _)| g.kind == f.kind && meaning_key(g) == meaning_key(&f))
        {
            Some((_, tables)) => tables.push(f.table_version),
            None => groups.push((f, vec![f.table_version])),
        }
    }
    if empty {
        let what: Vec<String> = groups
            .iter()
            .map(|(f, t)| format!("{} means {} (table {})", f.name, f.meaning, t.join(", ")))
            .collect();
        out.push(format!(
            "the stated origin is empty, but the family says: {}",
            what.join("; ")
        ));
        return out;
    }
    for (f, tables) in &groups {
        let t = format!("table {}", tables.join(", "));
        match f.kind {
            NationState => {
                let want = country_key(f.meaning);
                let keys: Vec<String> = stated.countries.iter().map(|c| country_key(c)).collect();
                let korea_only = (want == "north korea" || want == "south korea")
                    && keys.iter().any(|k| k == "korea");
                if keys.contains(&want) {
                    // agrees
                } else if korea_only {
                    out.push(format!(
                        "the stated origin {stated_origin:?} does not say North or South Korea; family {} means {} ({t})",
                        f.name, f.meaning
                    ));
                } else if stated.countries.is_empty() {
                    out.push(format!(
                        "family {} means {} ({t}), but the stated origin {stated_origin:?} names no country",
                        f.name, f.meaning
                    ));
                } else {
                    out.push(format!(
                        "family {} means {} ({t}), but the stated origin names {}",
                        f.name,
                        f.meaning,
                        stated.countries.join(", ")
                    ));
                }
                for k in &stated.kinds {
                    out.push(format!(
                        "family {} is a nation-state family ({t}), but the stated origin says {}",
                        f.name,
                        describe_kind(*k)
                    ));
                }
            }
            FinanciallyMotivated | PrivateSectorOffensive | InfluenceOperations => {
                if !stated.kinds.contains(&f.kind) {
                    let instead = if stated.countries.is_empty() {
                        String::new()
                    } else {
                        format!(" (it names {} instead)", stated.countries.join(", "))
                    };
                    out.push(format!(
                        "family {} means {} ({t}), but the stated origin {stated_origin:?} does not say {}{instead}",
                        f.name,
                        f.meaning,
                        describe_kind(f.kind)
                    ));
                }
                for k in stated.kinds.iter().filter(|k| **k != f.kind) {
                    out.push(format!(
                        "family {} means {} ({t}), but the stated origin also says {}",
                        f.name,
                        f.meaning,
                        describe_kind(*k)
                    ));
                }
            }
            GroupInDevelopment | CovertNetwork => {
                let other: Vec<String> = stated
                    .countries
                    .iter()
                    .cloned()
                    .chain(
                        stated
                            .kinds
                            .iter()
                            .filter(|k| **k != f.kind)
                            .map(|k| describe_kind(*k).to_owned()),
                    )
                    .collect();
                if !other.is_empty() {
                    out.push(format!(
                        "{} is {} ({t}), but the stated origin {stated_origin:?} gives {}",
                        decoded.name,
                        describe_kind(f.kind),
                        other.join(", ")
                    ));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_and_numbered_names() {
        let d = decode("Salt Typhoon");
        assert!(d.known);
        let p = d.primary().unwrap();
        assert_eq!(
            (p.kind, p.meaning, p.table_version),
            (NationState, "China", "2025")
        );
        assert_eq!(d.matches.len(), 2);
        assert!(d.conflicts.is_empty(), "{:?}", d.conflicts);
        assert_eq!(decode("storm-0558").family, "Storm");
        assert_eq!(
            decode("CovertNetwork-1658").taxonomy().kind,
            Some(CovertNetwork)
        );
        let u = decode("Purple Drizzle");
        assert!(!u.known);
        assert_eq!(u.taxonomy().meaning, "unknown family");
        assert!(u.note.unwrap().contains("unknown family"));
        assert!(!decode("").known);
        assert!(!decode("Storm-").known);
    }

    #[test]
    fn vortex_and_whirlwind_conflict_both_ways() {
        let v = decode("Viridian Vortex");
        assert_eq!(v.primary().unwrap().table_version, TABLE_MAPPING_USAGE);
        assert!(
            v.conflicts.iter().any(|c| c.contains("Whirlwind")),
            "{:?}",
            v.conflicts
        );
        let w = decode("Any Whirlwind");
        assert!(
            w.conflicts.iter().any(|c| c.contains("Vortex")),
            "{:?}",
            w.conflicts
        );
    }

    #[test]
    fn stated_comparisons() {
        let c = |n: &str, s: &str| compare_with_stated(&decode(n), s);
        assert!(c("Salt Typhoon", "China").is_empty());
        assert!(!c("Salt Typhoon", "Russia").is_empty());
        assert!(c("Marbled Dust", "Türkiye").is_empty());
        assert!(c("Marbled Dust", "Turkey").is_empty());
        assert!(c("Onyx Sleet", "Korea (North)").is_empty());
        assert!(!c("Zigzag Hail", "Korea").is_empty());
        assert!(c("Octo Tempest", "Financially motivated").is_empty());
        assert!(c("Cinnamon Tempest", "China, Financially motivated").is_empty());
        assert!(!c("Manatee Tempest", "Russia").is_empty());
        assert!(c("Storm-0249", "Group in development").is_empty());
        assert!(!c("Storm-0133", "Iran").is_empty());
        assert!(!c("Patched Lightning", "").is_empty());
        assert!(!c("Purple Drizzle", "China").is_empty());
        assert!(c("CovertNetwork-1658", "Covert network").is_empty());
    }
}
