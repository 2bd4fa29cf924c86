//! What the sharing server keeps beside the objects: collections and their entries
//! (one entry per object version added to a collection, numbered by a monotonic
//! commit sequence), organisations, users, hashed API tokens, grants, the access log
//! and TAXII status resources. Access decisions are not made here: the server's
//! access module makes them from these records.

use serde::Serialize;

/// The collection that `write` uses until [`crate::Store::use_collection`] names another.
pub const DEFAULT_COLLECTION: &str = "default";

/// The default marking of a collection created implicitly: TLP:AMBER (TLP 2.0).
pub const AMBER: &str = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421";

/// A TAXII collection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Collection {
    /// A UUID, the TAXII collection id.
    pub id: String,
    /// Unique name, used by the CLI and shown as the TAXII title.
    pub name: String,
    pub description: Option<String>,
    /// Marking-definition id that unmarked objects of this collection take.
    pub default_marking: String,
    pub created: String,
}

/// An organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Org {
    pub id: String,
    pub name: String,
    /// STIX identity ids (`created_by_ref` values) that stand for this organisation.
    pub identities: Vec<String>,
    /// Names of the organisations this one names as its clients (TLP:AMBER).
    pub clients: Vec<String>,
    pub created: String,
}

/// A user account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: String,
    pub name: String,
    /// Name of the user's organisation.
    pub org: String,
    pub created: String,
}

/// An API token as listed (its hash never leaves the store).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Token {
    pub id: String,
    /// Name of the user the token acts for.
    pub user: String,
    pub created: String,
    pub expires: Option<String>,
    pub revoked: Option<String>,
}

/// Who a grant is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PrincipalKind {
    User,
    Org,
}

/// What a grant is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetKind {
    /// A collection (by name): read or write.
    Collection,
    /// One object (by id): names the principal as a recipient of a TLP:RED object.
    Object,
}

/// Read or write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Permission {
    Read,
    /// Write includes read.
    Write,
}

impl Permission {
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::Read => "read",
            Permission::Write => "write",
        }
    }
}

/// One grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Grant {
    pub principal_kind: PrincipalKind,
    /// User or organisation name.
    pub principal: String,
    pub target_kind: TargetKind,
    /// Collection name or object id.
    pub target: String,
    pub permission: Permission,
}

/// Everything access decisions need except the objects: small, read at once.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Directory {
    pub orgs: Vec<Org>,
    pub users: Vec<User>,
    pub tokens: Vec<Token>,
    pub grants: Vec<Grant>,
    pub collections: Vec<Collection>,
}

/// The token a hash belongs to, with its user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenOwner {
    pub token: Token,
    pub user: User,
}

/// Which versions of an object a listing returns (TAXII `match[version]`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VersionMatch {
    pub first: bool,
    pub last: bool,
    pub all: bool,
    /// Version keys ([`stormwatch_model::Timestamp::key`]).
    pub exact: Vec<String>,
}

impl VersionMatch {
    /// The TAXII default: the latest version.
    pub fn last() -> VersionMatch {
        VersionMatch {
            last: true,
            ..Default::default()
        }
    }
}

/// A listing of collection entries: every list empty means "no filter".
#[derive(Debug, Clone, Default)]
pub struct EntryFilter {
    pub ids: Vec<String>,
    pub types: Vec<String>,
    pub versions: VersionMatch,
    pub spec_versions: Vec<String>,
    /// Only entries added after this date-added key (exclusive).
    pub added_after: Option<String>,
    /// Only entries after this commit sequence number (exclusive): the paging cursor.
    pub after_cseq: i64,
}

/// One object version in a collection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// Commit sequence number: strictly increasing in commit order across the store.
    pub cseq: i64,
    /// Collection id.
    pub collection: String,
    pub id: String,
    #[serde(rename = "type")]
    pub type_name: String,
    /// Version key (normalised `modified`).
    pub version: String,
    pub spec_version: String,
    /// Date-added key: strictly increasing with `cseq`, so `added_after` never skips.
    pub added: String,
    /// Marking-definition ids of the version (object and granular).
    pub markings: Vec<String>,
    pub created_by: Option<String>,
    /// Ids at the ends of a relationship or sighting (empty for other objects).
    pub ends: Vec<String>,
    pub first: bool,
    pub last: bool,
    /// The stored version this entry is (its `seq`, see [`crate::StoredObject::seq`]):
    /// with the store's content generation it names the version's JSON exactly (see
    /// [`crate::Store::json_by_seq`]), so a cache can key on it.
    pub seq: i64,
    /// The object's JSON, when asked for.
    pub json: Option<String>,
}

/// One read of an AMBER or RED object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessRecord {
    pub time: String,
    pub token: String,
    pub user: String,
    pub org: String,
    pub collection: String,
    pub object_id: String,
    pub version: String,
    pub tlp: String,
    pub endpoint: String,
}

/// Fixed-width date-added key to a TAXII timestamp with microseconds.
pub fn display_key(key: &str) -> String {
    if key.len() == 30 && key.ends_with('Z') {
        format!("{}Z", &key[..26])
    } else {
        key.to_owned()
    }
}

/// The next date-added key: now, or one microsecond after the last one when the
/// clock has not moved past it (strictly increasing, whatever the clock does).
pub(crate) fn next_added(last: Option<&str>) -> String {
    let now = stormwatch_model::Timestamp::now();
    let now_us = stormwatch_model::Timestamp::from_unix(
        now.unix_seconds(),
        (now.key()[20..29].parse::<u32>().unwrap_or(0) / 1000) * 1000,
    );
    let Some(last) = last.and_then(|l| stormwatch_model::Timestamp::parse(l).ok()) else {
        return now_us.key();
    };
    if now_us > last {
        return now_us.key();
    }
    let k = last.key();
    let nanos: u32 = k[20..29].parse().unwrap_or(0);
    let us = nanos / 1000 + 1;
    let (secs, us) = if us >= 1_000_000 {
        (last.unix_seconds() + 1, 0)
    } else {
        (last.unix_seconds(), us)
    };
    stormwatch_model::Timestamp::from_unix(secs, us * 1000).key()
}

/// Ids at the ends of a relationship or sighting.
pub(crate) fn ends_of(m: &stormwatch_model::ObjectMeta) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for e in &m.edges {
        for x in [&e.source, &e.target] {
            if *x != m.id && !out.contains(x) {
                out.push(x.clone());
            }
        }
    }
    if m.type_name == "sighting" {
        for (p, t) in &m.refs {
            if p == "observed_data_refs" && !out.contains(t) {
                out.push(t.clone());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn added_keys_strictly_increase() {
        let a = next_added(None);
        let b = next_added(Some(&a));
        assert!(b > a, "{a} {b}");
        let far = "2999-01-01T00:00:00.999999000Z";
        let c = next_added(Some(far));
        assert_eq!(c, "2999-01-01T00:00:01.000000000Z");
        assert_eq!(display_key(&c), "2999-01-01T00:00:01.000000Z");
    }
}
