//! A read-only [`Store`] that holds only what one caller may see: the capability
//! crates (attribution, hunt, audit) run on it unchanged, so the REST endpoints
//! that run CLI commands (`/api/attribute`, `/api/hunt`, ...) can never use or
//! return an object the caller may not see.
//!
//! The visible set is decided by [`Policy::visible`] (the one TLP rule, see
//! [`crate::access`]): every latest entry of each collection the caller reads,
//! relationship and sighting ends included. An object is then visible when the
//! store's latest version of it is one of those visible entries (the rule of the
//! REST API).

use std::cell::RefCell;
use std::collections::HashMap;

use crate::access::{self, Policy, Principal};
use stormwatch_model::StixObject;
use stormwatch_store::{
    AccessRecord, Collection, Directory, Entry, EntryFilter, ExportFilter, Grant, Org,
    RelationshipView, SearchHit, SearchQuery, Stats, Store, StoreError, StoredObject, Token,
    TokenOwner, User, VersionMatch, WriteReport,
};

type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Entries read from the store per call while the visible set is built.
const CHUNK: usize = 5000;

/// The caller's view of a store.
pub struct View<'a> {
    /// Held mutably (never written through) so that the view is `Send` like a store.
    inner: &'a mut dyn Store,
    /// id -> the visible entries (one per collection) of that id.
    visible: HashMap<String, Vec<Entry>>,
    /// id -> the store's latest version key (None: the store does not hold it).
    latest: RefCell<HashMap<String, Option<String>>>,
}

impl<'a> View<'a> {
    /// Walks every collection `p` may read and keeps the entries `p` may see.
    pub fn new(inner: &'a mut dyn Store, policy: &Policy, p: &Principal) -> Result<View<'a>> {
        let mut visible: HashMap<String, Vec<Entry>> = HashMap::new();
        let mut ids: Vec<&String> = policy.collections.keys().collect();
        ids.sort();
        for cid in ids {
            if !policy.can_read(p, cid) {
                continue;
            }
            let mut filter = EntryFilter {
                versions: VersionMatch::last(),
                ..Default::default()
            };
            loop {
                let batch = inner.entries(cid, &filter, CHUNK, false)?;
                let done = batch.len() < CHUNK;
                let ends = access::ends_of(&*inner, &batch)?;
                for e in batch {
                    filter.after_cseq = e.cseq;
                    if policy.visible(p, &e, &ends) {
                        visible.entry(e.id.clone()).or_default().push(e);
                    }
                }
                if done {
                    break;
                }
            }
        }
        Ok(View {
            inner,
            visible,
            latest: RefCell::default(),
        })
    }

    /// The store's latest version of `id` is visible.
    fn sees(&self, id: &str, version: &str) -> bool {
        self.visible
            .get(id)
            .is_some_and(|v| v.iter().any(|e| e.version == version))
    }

    fn sees_object(&self, o: &StoredObject) -> bool {
        self.sees(&o.id, &o.version)
    }

    /// Some version of `id` is visible (for lookups by id without a version).
    fn sees_id(&self, id: &str) -> bool {
        if !self.visible.contains_key(id) {
            return false;
        }
        match self.latest_version(id) {
            Ok(Some(v)) => self.sees(id, &v),
            _ => false,
        }
    }

    /// The store's latest version of `id` (cached for the life of the view).
    fn latest_version(&self, id: &str) -> Result<Option<String>> {
        if let Some(v) = self.latest.borrow().get(id) {
            return Ok(v.clone());
        }
        let v = self.inner.get(id)?.map(|o| o.version);
        self.latest.borrow_mut().insert(id.to_owned(), v.clone());
        Ok(v)
    }

    /// The access-log records for `ids` returned to `p` (AMBER and RED only).
    pub fn log_records<'i>(
        &self,
        policy: &Policy,
        p: &Principal,
        ids: impl IntoIterator<Item = &'i str>,
        endpoint: &str,
    ) -> Vec<AccessRecord> {
        let mut seen = std::collections::HashSet::new();
        let mut entries = Vec::new();
        for id in ids {
            if !seen.insert(id) {
                continue;
            }
            if let Some(e) = self.visible.get(id).and_then(|v| v.first()) {
                entries.push(e.clone());
            }
        }
        policy.log_records(p, &entries, endpoint)
    }
}

fn read_only() -> StoreError {
    StoreError::Unsupported("this view of the store is read-only".into())
}

impl Store for View<'_> {
    fn write(&mut self, _: &[StixObject<'_>], _: &mut dyn FnMut(usize)) -> Result<WriteReport> {
        Err(read_only())
    }

    fn existing_ids(&self, ids: &[&str]) -> Result<Vec<String>> {
        Ok(self
            .inner
            .existing_ids(ids)?
            .into_iter()
            .filter(|id| self.sees_id(id))
            .collect())
    }

    fn relationships_of_type(&self, types: &[&str]) -> Result<Vec<StoredObject>> {
        Ok(self
            .inner
            .relationships_of_type(types)?
            .into_iter()
            .filter(|o| self.sees_object(o))
            .collect())
    }

    fn names_of_type(&self, types: &[&str]) -> Result<Vec<(String, Option<String>)>> {
        Ok(self
            .inner
            .names_of_type(types)?
            .into_iter()
            .filter(|(id, _)| self.sees_id(id))
            .collect())
    }

    fn get(&self, id: &str) -> Result<Option<StoredObject>> {
        Ok(self.inner.get(id)?.filter(|o| self.sees_object(o)))
    }

    fn versions(&self, id: &str) -> Result<Vec<StoredObject>> {
        // Only the versions the caller may see in some collection.
        Ok(self
            .inner
            .versions(id)?
            .into_iter()
            .filter(|o| self.sees(&o.id, &o.version))
            .collect())
    }

    fn resolve(&self, key: &str) -> Result<Vec<StoredObject>> {
        Ok(self
            .inner
            .resolve(key)?
            .into_iter()
            .filter(|o| self.sees_object(o))
            .collect())
    }

    fn suggest(&self, key: &str, n: usize) -> Result<Vec<String>> {
        // A suggestion is a name: offer only names of visible objects.
        let mut out = Vec::new();
        for s in self.inner.suggest(key, n.saturating_mul(4).max(n))? {
            if out.len() == n {
                break;
            }
            if !self.resolve(&s)?.is_empty() {
                out.push(s);
            }
        }
        Ok(out)
    }

    fn names(&self, id: &str) -> Result<Vec<String>> {
        if self.sees_id(id) {
            self.inner.names(id)
        } else {
            Ok(Vec::new())
        }
    }

    fn external_ids(&self, id: &str) -> Result<Vec<(String, String)>> {
        if self.sees_id(id) {
            self.inner.external_ids(id)
        } else {
            Ok(Vec::new())
        }
    }

    fn relationships(&self, id: &str) -> Result<Vec<RelationshipView>> {
        if !self.sees_id(id) {
            return Ok(Vec::new());
        }
        let rels = self.inner.relationships(id)?;
        let mut out = Vec::with_capacity(rels.len());
        for r in rels {
            if !self.sees_id(&r.relationship_id) {
                continue;
            }
            // An end the store holds must be visible (one it does not hold hides nothing).
            let held = self.latest_version(&r.other_id)?.is_some();
            if held && !self.sees_id(&r.other_id) {
                continue;
            }
            out.push(r);
        }
        Ok(out)
    }

    fn search(&self, query: &SearchQuery) -> Result<Vec<SearchHit>> {
        let want = query.limit;
        let wide = SearchQuery {
            limit: want.saturating_mul(5).min(5000),
            ..query.clone()
        };
        Ok(self
            .inner
            .search(&wide)?
            .into_iter()
            .filter(|h| self.sees_id(&h.id))
            .take(want)
            .collect())
    }

    fn export(
        &self,
        filter: &ExportFilter,
        sink: &mut dyn FnMut(&StoredObject) -> std::io::Result<()>,
    ) -> Result<u64> {
        let mut n = 0u64;
        self.inner.export(filter, &mut |o| {
            if self.sees(&o.id, &o.version) {
                n += 1;
                sink(o)
            } else {
                Ok(())
            }
        })?;
        Ok(n)
    }

    fn stats(&self) -> Result<Stats> {
        Err(StoreError::Unsupported(
            "statistics are not available in a caller's view".into(),
        ))
    }

    fn use_collection(&mut self, _: &str) -> Result<Collection> {
        Err(read_only())
    }

    fn collection_add(&mut self, _: &str, _: Option<&str>, _: &str) -> Result<Collection> {
        Err(read_only())
    }

    fn entries(
        &self,
        collection_id: &str,
        filter: &EntryFilter,
        limit: usize,
        with_json: bool,
    ) -> Result<Vec<Entry>> {
        Ok(self
            .inner
            .entries(collection_id, filter, limit, with_json)?
            .into_iter()
            .filter(|e| {
                self.visible
                    .get(&e.id)
                    .is_some_and(|v| v.iter().any(|x| x.cseq == e.cseq))
            })
            .collect())
    }

    fn latest_entries(&self, ids: &[String]) -> Result<Vec<Entry>> {
        Ok(ids
            .iter()
            .filter_map(|id| self.visible.get(id))
            .flatten()
            .cloned()
            .collect())
    }

    fn delete_entries(
        &mut self,
        _: &str,
        _: &str,
        _: &VersionMatch,
        _: &[String],
    ) -> Result<usize> {
        Err(read_only())
    }

    fn org_add(&mut self, _: &str, _: &[String], _: &[String]) -> Result<Org> {
        Err(read_only())
    }

    fn user_add(&mut self, _: &str, _: &str) -> Result<User> {
        Err(read_only())
    }

    fn token_add(&mut self, _: &str, _: &str, _: Option<&str>) -> Result<Token> {
        Err(read_only())
    }

    fn token_revoke(&mut self, _: &str) -> Result<bool> {
        Err(read_only())
    }

    fn grant_add(&mut self, _: &Grant) -> Result<()> {
        Err(read_only())
    }

    fn directory(&self) -> Result<Directory> {
        Err(StoreError::Unsupported(
            "the directory is not part of a caller's view".into(),
        ))
    }

    fn token_owner(&self, _: &str) -> Result<Option<TokenOwner>> {
        Ok(None)
    }

    fn log_access(&mut self, _: &[AccessRecord]) -> Result<()> {
        Err(read_only())
    }

    fn access_log(&self, _: usize) -> Result<Vec<AccessRecord>> {
        Ok(Vec::new())
    }

    fn status_put(&mut self, _: &str, _: &str, _: &str) -> Result<()> {
        Err(read_only())
    }

    fn status_get(&self, _: &str) -> Result<Option<(String, String)>> {
        Ok(None)
    }
}
