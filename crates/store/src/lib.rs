//! Stormwatch's knowledge base behind one trait.
//!
//! Owns persistence of STIX objects: every version of every object (keyed by id and
//! `modified`), the latest-version view, revocation, indexes by type, name and alias,
//! external id and relationship endpoint, full-text search, and a monotonic commit
//! sequence. Callers see only [`Store`]; the default backend is embedded SQLite
//! ([`SqliteStore`]); a PostgreSQL backend implements the same trait. No SQL leaves
//! this crate.

mod postgres;
pub mod share;
mod sqlite;

use serde::Serialize;
use std::path::PathBuf;

pub use postgres::PostgresStore;
pub use share::{
    AccessRecord, Collection, Directory, Entry, EntryFilter, Grant, Org, Permission, PrincipalKind,
    TargetKind, Token, TokenOwner, User, VersionMatch, DEFAULT_COLLECTION,
};
pub use sqlite::SqliteStore;
use stormwatch_model::StixObject;

/// Errors from a store backend.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store {path}: {source}")]
    Sqlite {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("store {path}: {message}")]
    Open { path: String, message: String },
    #[error("store {0}: corrupt stored object: {1}")]
    Corrupt(String, String),
    #[error("{0}")]
    Unsupported(String),
    /// A name that must be unique is taken.
    #[error("{0}")]
    Conflict(String),
    /// A named record (collection, organisation, user, token) does not exist.
    #[error("{0}")]
    NotFound(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Values read in one snapshot with the store's content generation (`None` when
/// nothing was read; see [`Store::keeps_content_generation`]).
pub type Generational<T> = (Option<i64>, Vec<T>);

/// Where the knowledge base lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// An embedded SQLite database file.
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL.
    Postgres(String),
}

impl Location {
    /// Opens the store at this location, creating it if needed.
    pub fn open(&self) -> Result<Box<dyn Store>> {
        match self {
            Location::Sqlite(p) => Ok(Box::new(SqliteStore::open(p)?)),
            Location::Postgres(url) => Ok(Box::new(PostgresStore::open(url)?)),
        }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Sqlite(p) => write!(f, "{}", p.display()),
            Location::Postgres(u) => f.write_str(&redact_url(u)),
        }
    }
}

/// Hides the password of a connection URL.
pub fn redact_url(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://") {
        if let Some((cred, host)) = rest.split_once('@') {
            if let Some((user, _)) = cred.split_once(':') {
                return format!("{scheme}://{user}:***@{host}");
            }
        }
    }
    url.to_owned()
}

/// What a write did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct WriteReport {
    /// New versions stored.
    pub imported: usize,
    /// Versions already stored with equal content.
    pub unchanged: usize,
    /// Ids whose stored version (same id and `modified`) had different content and
    /// was replaced. STIX says this should not happen; it is reported.
    pub replaced: Vec<String>,
}

/// One stored version of an object.
#[derive(Debug, Clone, Serialize)]
pub struct StoredObject {
    pub id: String,
    #[serde(rename = "type")]
    pub type_name: String,
    /// Normalised `modified` (or `created`) used as the version key.
    pub version: String,
    pub name: Option<String>,
    pub revoked: bool,
    pub deprecated: bool,
    /// Commit sequence number: strictly increasing in the order versions were stored.
    pub seq: i64,
    /// The object's JSON text, exactly as imported.
    pub json: String,
}

impl StoredObject {
    /// The object as a JSON value.
    pub fn value(&self) -> Result<serde_json::Value> {
        serde_json::from_str(&self.json)
            .map_err(|e| StoreError::Corrupt(self.id.clone(), e.to_string()))
    }
}

/// A relationship (or sighting) seen from one of its ends.
#[derive(Debug, Clone, Serialize)]
pub struct RelationshipView {
    /// The relationship or sighting id.
    pub relationship_id: String,
    /// `relationship_type`, or `sighted`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `outgoing` when the object is the source, `incoming` when it is the target.
    pub direction: Direction,
    pub other_id: String,
    pub other_type: String,
    pub other_name: Option<String>,
    pub other_external_id: Option<String>,
}

/// Which end of a relationship an object is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Outgoing,
    Incoming,
}

/// A full-text search.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    pub text: String,
    pub types: Vec<String>,
    pub limit: usize,
    /// Include revoked and deprecated objects.
    pub include_revoked: bool,
}

/// One search result.
#[derive(Debug, Clone, Serialize)]
pub struct SearchHit {
    pub id: String,
    #[serde(rename = "type")]
    pub type_name: String,
    pub name: Option<String>,
    pub external_id: Option<String>,
    /// Relevance: higher is better (BM25 with names weighted over descriptions).
    pub score: f64,
}

/// Which objects to export.
#[derive(Debug, Clone, Default)]
pub struct ExportFilter {
    pub types: Vec<String>,
    /// Only versions whose `modified` (normalised) is at or after this key.
    pub since: Option<String>,
    /// Only objects carrying at least one of these marking-definition ids.
    pub markings: Vec<String>,
    pub all_versions: bool,
}

/// Counts for `stormwatch stats`.
#[derive(Debug, Clone, Serialize)]
pub struct Stats {
    pub store: String,
    pub bytes: u64,
    /// Distinct objects (latest versions).
    pub objects: u64,
    /// Stored versions.
    pub versions: u64,
    pub revoked: u64,
    pub types: Vec<TypeCount>,
}

/// Objects of one type.
#[derive(Debug, Clone, Serialize)]
pub struct TypeCount {
    #[serde(rename = "type")]
    pub type_name: String,
    pub count: u64,
}

/// The knowledge base. Every method is one consistent read or one transaction.
pub trait Store: Send {
    /// Stores a batch of objects in one transaction: all or nothing. Versions
    /// already present with equal content count as unchanged. `progress` is called
    /// with the number of objects processed so far, now and then.
    fn write(
        &mut self,
        objects: &[StixObject<'_>],
        progress: &mut dyn FnMut(usize),
    ) -> Result<WriteReport>;

    /// Which of `ids` are present in the store (any version).
    fn existing_ids(&self, ids: &[&str]) -> Result<Vec<String>>;

    /// Latest versions of the relationships (and sightings, as `sighted`) whose
    /// `relationship_type` is one of `types`, revoked ones included, in commit order.
    fn relationships_of_type(&self, types: &[&str]) -> Result<Vec<StoredObject>>;

    /// Latest versions of all objects of the given types, in commit order (revoked
    /// included; check [`StoredObject::revoked`]).
    fn objects_of_type(&self, types: &[&str]) -> Result<Vec<StoredObject>> {
        let mut out = Vec::new();
        let filter = ExportFilter {
            types: types.iter().map(|t| (*t).to_owned()).collect(),
            ..Default::default()
        };
        self.export(&filter, &mut |o| {
            out.push(o.clone());
            Ok(())
        })?;
        Ok(out)
    }

    /// Ids and display names of the latest, non-revoked objects of the given types
    /// (no JSON is read: cheap for lookups such as identity names).
    fn names_of_type(&self, types: &[&str]) -> Result<Vec<(String, Option<String>)>>;

    /// The latest version of an object.
    fn get(&self, id: &str) -> Result<Option<StoredObject>>;

    /// Every stored version of an object, oldest first.
    fn versions(&self, id: &str) -> Result<Vec<StoredObject>>;

    /// Latest versions of the objects a user means by `key`: an id, an external id
    /// (`G1045`, `CVE-2024-3400`) or a name or alias (case, spacing and punctuation
    /// insensitive). Revoked objects only when nothing else matches.
    fn resolve(&self, key: &str) -> Result<Vec<StoredObject>>;

    /// Up to `n` stored names closest to `key`, for "did you mean".
    fn suggest(&self, key: &str, n: usize) -> Result<Vec<String>>;

    /// All names and aliases of an object (latest version).
    fn names(&self, id: &str) -> Result<Vec<String>>;

    /// External ids of an object as (source, id).
    fn external_ids(&self, id: &str) -> Result<Vec<(String, String)>>;

    /// Relationships and sightings with this object at either end (latest,
    /// non-revoked versions).
    fn relationships(&self, id: &str) -> Result<Vec<RelationshipView>>;

    /// Full-text search over names, aliases, external ids and descriptions.
    fn search(&self, query: &SearchQuery) -> Result<Vec<SearchHit>>;

    /// Streams matching objects to `sink` in commit order.
    fn export(
        &self,
        filter: &ExportFilter,
        sink: &mut dyn FnMut(&StoredObject) -> std::io::Result<()>,
    ) -> Result<u64>;

    /// Counts per type and store size.
    fn stats(&self) -> Result<Stats>;

    // --- Sharing: collections, identity and access records (see [`share`]). ---

    /// Makes the collection `name` the one [`Store::write`] adds objects to. The
    /// collection [`DEFAULT_COLLECTION`] is created (TLP:AMBER default) when missing;
    /// any other must exist.
    fn use_collection(&mut self, name: &str) -> Result<Collection>;

    /// Creates a collection.
    fn collection_add(
        &mut self,
        name: &str,
        description: Option<&str>,
        default_marking: &str,
    ) -> Result<Collection>;

    /// Up to `limit` entries of a collection matching `filter`, in commit order.
    fn entries(
        &self,
        collection_id: &str,
        filter: &EntryFilter,
        limit: usize,
        with_json: bool,
    ) -> Result<Vec<Entry>>;

    /// Whether this backend keeps a content generation, so that what
    /// [`Store::entries_by_cseq`] and [`Store::json_by_seq`] return may be cached.
    ///
    /// An entry's data (everything but its `first`/`last` flags) and a stored
    /// version's JSON never change, except when a write replaces a version in place
    /// (same id and `modified`, other content); every such write increases the
    /// content generation in its transaction. So what is read for a `cseq` or a
    /// `seq` under generation `g` is what every snapshot with generation `g` holds
    /// for it: (generation, cseq) and (generation, seq) are cache keys that are
    /// never stale. Which entries a listing holds, and which are `first` or `last`,
    /// change with every write and delete: those come from the store every time
    /// ([`Store::entry_keys`], [`Store::latest_entry_keys`]).
    fn keeps_content_generation(&self) -> bool {
        false
    }

    /// The `cseq` of each entry of [`Store::entries`] (same filter, order and
    /// limit), with the content generation read in the same snapshot (`None` when
    /// nothing matched).
    fn entry_keys(
        &self,
        collection_id: &str,
        filter: &EntryFilter,
        limit: usize,
    ) -> Result<Generational<i64>> {
        let _ = (collection_id, filter, limit);
        Err(StoreError::Unsupported(
            "this store keeps no content generation".into(),
        ))
    }

    /// The `cseq` of the latest entry of each of `ids` in every collection holding
    /// it (what [`Store::latest_entries`] returns), with the content generation.
    fn latest_entry_keys(&self, ids: &[String]) -> Result<Generational<i64>> {
        let _ = ids;
        Err(StoreError::Unsupported(
            "this store keeps no content generation".into(),
        ))
    }

    /// A counter that moves in the same transaction as every change to which
    /// entries a collection holds or which of them are the first or latest (an
    /// entry added or removed, a flag moved), kept by the database itself
    /// (triggers; a commit that changed nothing may move it too). It never moves
    /// back: two equal readings mean no such change committed between them, so
    /// what was read between them (which entries are the latest of some ids, say)
    /// may be cached under that value. `None`: this backend keeps no such counter.
    fn entries_generation(&self) -> Result<Option<i64>> {
        Ok(None)
    }

    /// Entries by `cseq` (no JSON; any order; deleted ones are missing), with the
    /// content generation read in the same snapshot.
    fn entries_by_cseq(&self, cseqs: &[i64]) -> Result<Generational<Entry>> {
        let _ = cseqs;
        Err(StoreError::Unsupported(
            "this store keeps no content generation".into(),
        ))
    }

    /// The JSON of stored versions by [`Entry::seq`] (any order), with the content
    /// generation read in the same snapshot (`None`: nothing found).
    fn json_by_seq(&self, seqs: &[i64]) -> Result<Generational<(i64, String)>> {
        let _ = seqs;
        Err(StoreError::Unsupported(
            "this store keeps no content generation".into(),
        ))
    }

    /// The latest entry of each of `ids` in every collection holding it (no JSON).
    fn latest_entries(&self, ids: &[String]) -> Result<Vec<Entry>>;

    /// Removes the matching versions of an object from a collection (the knowledge
    /// base keeps them). Returns how many entries were removed.
    fn delete_entries(
        &mut self,
        collection_id: &str,
        id: &str,
        versions: &VersionMatch,
        spec_versions: &[String],
    ) -> Result<usize>;

    /// Creates an organisation; `client_of` names organisations that name it as a client.
    fn org_add(&mut self, name: &str, identities: &[String], client_of: &[String]) -> Result<Org>;

    /// Creates a user in an existing organisation.
    fn user_add(&mut self, name: &str, org: &str) -> Result<User>;

    /// Stores a token by the hash of its secret.
    fn token_add(&mut self, user: &str, hash: &str, expires: Option<&str>) -> Result<Token>;

    /// Revokes a token; false when it was unknown or already revoked.
    fn token_revoke(&mut self, id: &str) -> Result<bool>;

    /// Adds (or changes the permission of) a grant.
    fn grant_add(&mut self, grant: &Grant) -> Result<()>;

    /// Organisations, users, tokens, grants and collections.
    fn directory(&self) -> Result<Directory>;

    /// The token with this hash and its user (revoked and expired ones included).
    fn token_owner(&self, hash: &str) -> Result<Option<TokenOwner>>;

    /// Appends reads of AMBER and RED objects to the access log.
    fn log_access(&mut self, records: &[AccessRecord]) -> Result<()>;

    /// The newest `limit` access-log records, newest first.
    fn access_log(&self, limit: usize) -> Result<Vec<AccessRecord>>;

    /// Stores a TAXII status resource.
    fn status_put(&mut self, id: &str, owner: &str, json: &str) -> Result<()>;

    /// A TAXII status resource as (owner, JSON).
    fn status_get(&self, id: &str) -> Result<Option<(String, String)>>;
}
