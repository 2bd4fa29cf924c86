//! STIX 2.1 data model for Stormwatch.
//!
//! Owns what a STIX object *is* here: the raw JSON text kept losslessly (custom `x_`
//! properties, extensions and unknown properties survive untouched), the metadata
//! every other crate indexes ([`ObjectMeta`]), validation of the specification's MUSTs
//! ([`validate()`]), STIX 2.0 -> 2.1 upgrade, bundle parsing, timestamps, TLP markings
//! and the project's deterministic-id namespace. It does no I/O.

pub mod bundle;
pub mod claim;
pub mod object;
pub mod spec;
pub mod timestamp;
pub mod tlp;
pub mod upgrade;
pub mod validate;

pub use bundle::{parse_bundle, BundleError, Checked, Limits, ParsedBundle, Rejected};
pub use object::{normalize_name, Edge, ExternalId, ObjectMeta, StixObject};
pub use timestamp::{Timestamp, TimestampError};
pub use validate::{validate, Issue, Severity};

/// Namespace of the UUIDv5 ids Stormwatch gives objects built from non-STIX input
/// (see `docs/CLI.md`, "Ids"): the name is `<publisher identity name>|<object
/// type>|<natural key>`. Fixed forever: changing it changes every derived id.
pub const ID_NAMESPACE: uuid::Uuid =
    uuid::Uuid::from_u128(0x5f0d_c1a2_7e4b_4c1e_9a55_7a17_0a25_239a);

/// A deterministic STIX id for an object built from non-STIX input.
pub fn deterministic_id(publisher: &str, type_name: &str, natural_key: &str) -> String {
    let name = format!("{publisher}|{type_name}|{natural_key}");
    format!(
        "{type_name}--{}",
        uuid::Uuid::new_v5(&ID_NAMESPACE, name.as_bytes())
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn namespace_is_the_documented_one() {
        assert_eq!(
            super::ID_NAMESPACE.to_string(),
            "5f0dc1a2-7e4b-4c1e-9a55-7a170a25239a"
        );
        let a = super::deterministic_id("CISA", "indicator", "1.2.3.4");
        assert_eq!(a, super::deterministic_id("CISA", "indicator", "1.2.3.4"));
        assert!(a.starts_with("indicator--"));
        assert_ne!(a, super::deterministic_id("CISA", "indicator", "1.2.3.5"));
    }
}
