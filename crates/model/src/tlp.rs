//! TLP markings: the STIX 2.1 predefined TLP 1.0 marking definitions and the
//! TLP 2.0 marking definitions of the OASIS extension (ids from DOMAIN.md section 7).

/// The TLP 2.0 extension-definition id.
pub const TLP2_EXTENSION: &str = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d";

/// A TLP level, ordered from most to least shareable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tlp {
    Clear,
    Green,
    Amber,
    AmberStrict,
    Red,
}

/// (marking-definition id, level, label) for every known TLP marking.
pub const TLP_MARKINGS: &[(&str, Tlp, &str)] = &[
    (
        "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
        Tlp::Clear,
        "TLP:CLEAR",
    ),
    (
        "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
        Tlp::Green,
        "TLP:GREEN",
    ),
    (
        "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
        Tlp::Amber,
        "TLP:AMBER",
    ),
    (
        "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
        Tlp::AmberStrict,
        "TLP:AMBER+STRICT",
    ),
    (
        "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
        Tlp::Red,
        "TLP:RED",
    ),
    // STIX 2.1 predefined TLP 1.0 markings; WHITE counts as CLEAR.
    (
        "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
        Tlp::Clear,
        "TLP:WHITE",
    ),
    (
        "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
        Tlp::Green,
        "TLP:GREEN",
    ),
    (
        "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
        Tlp::Amber,
        "TLP:AMBER",
    ),
    (
        "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
        Tlp::Red,
        "TLP:RED",
    ),
];

/// The TLP level of a marking-definition id, if it is a TLP marking.
pub fn level_of(marking_id: &str) -> Option<Tlp> {
    TLP_MARKINGS
        .iter()
        .find(|(id, _, _)| *id == marking_id)
        .map(|(_, l, _)| *l)
}

/// Resolves a marking given on the command line: a marking-definition id, or a TLP
/// name (`TLP:AMBER`, `amber`, `TLP:AMBER+STRICT`, `white`...). A TLP name yields
/// every marking id of that level (TLP 1.0 and 2.0 alike).
pub fn resolve(spec: &str) -> Option<Vec<String>> {
    if spec.starts_with("marking-definition--") {
        return Some(vec![spec.to_owned()]);
    }
    let name = spec.trim().to_ascii_uppercase();
    let name = name.strip_prefix("TLP:").unwrap_or(&name);
    let level = match name {
        "CLEAR" | "WHITE" => Tlp::Clear,
        "GREEN" => Tlp::Green,
        "AMBER" => Tlp::Amber,
        "AMBER+STRICT" | "AMBER-STRICT" => Tlp::AmberStrict,
        "RED" => Tlp::Red,
        _ => return None,
    };
    Some(
        TLP_MARKINGS
            .iter()
            .filter(|(_, l, _)| *l == level)
            .map(|(id, _, _)| (*id).to_owned())
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve_to_both_tlp_versions() {
        assert_eq!(resolve("tlp:white").unwrap().len(), 2);
        assert_eq!(resolve("TLP:AMBER+STRICT").unwrap().len(), 1);
        assert!(resolve("TLP:PURPLE").is_none());
        assert_eq!(level_of(TLP_MARKINGS[5].0), Some(Tlp::Clear));
    }
}
