//! An in-memory cache of what the store says never changes, bounded in bytes and
//! shared by the requests of one `serve` process (each process has its own).
//!
//! Cached: collection entries by `cseq` (id, type, version, markings, owner,
//! relationship ends: what the TLP rule reads) and stored versions' JSON by `seq`,
//! both under the store's content generation (see
//! `Store::keeps_content_generation`: the generation changes in the same
//! transaction as any write that replaces a version in place, so a (generation,
//! key) pair names one value forever; a newer generation empties the cache).
//! Also cached: which entries are the latest of an id (the relationships' ends
//! the TLP rule looks at), under the store's entries generation
//! (`Store::entries_generation`, moved by the database in every commit that adds,
//! removes or re-flags entries), read on every request: a different value
//! empties that part. Not cached: which entries a page holds; that comes from
//! the store on every request, so deletes, new versions, `added_after` and `next`
//! stay exact, and the TLP rule is applied per request per caller exactly as
//! without the cache. A cached entry's
//! `first`/`last` flags are those of when it was read: the server never reads them
//! (version filters are applied by the store's queries).

use rustc_hash::FxHashMap as HashMap;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use stormwatch_store::Entry;

/// Bytes counted for one cached value beside its strings (map and queue slots,
/// string headers).
const OVERHEAD: usize = 64;

/// Entries by cseq and JSON texts by seq.
pub struct ObjectCache {
    max_bytes: usize,
    inner: Mutex<Inner>,
}

#[derive(Clone, Copy)]
enum Key {
    Entry(i64),
    Json(i64),
}

#[derive(Default)]
struct Inner {
    /// The content generation the cached values belong to.
    generation: i64,
    entries: HashMap<i64, Arc<Entry>>,
    json: HashMap<i64, Arc<str>>,
    /// Insertion order, for eviction (oldest first).
    order: VecDeque<(Key, usize)>,
    bytes: usize,
    /// The entries generation `ends` belongs to.
    ends_stamp: i64,
    /// Object id -> cseqs of its latest entries (empty: none in the store).
    ends: HashMap<String, Arc<[i64]>>,
    ends_bytes: usize,
}

impl Inner {
    /// Moves to `generation` if it is newer (dropping everything); false when the
    /// caller's snapshot is older than what is cached (then the cache is not used).
    fn sync(&mut self, generation: i64) -> bool {
        if generation > self.generation {
            self.entries.clear();
            self.json.clear();
            self.order.clear();
            self.bytes = 0;
            self.generation = generation;
            self.clear_ends();
        }
        generation == self.generation
    }

    fn clear_ends(&mut self) {
        self.ends.clear();
        self.ends_bytes = 0;
    }

    /// [`Inner::sync`] for the ends under entries generation `stamp` too.
    fn sync_ends(&mut self, generation: i64, stamp: i64) -> bool {
        if !self.sync(generation) {
            return false;
        }
        if stamp > self.ends_stamp {
            self.clear_ends();
            self.ends_stamp = stamp;
        }
        stamp == self.ends_stamp
    }

    /// Evicts the oldest values until `size` more bytes fit in `max`.
    fn make_room(&mut self, size: usize, max: usize) {
        while self.bytes + size > max {
            let Some((key, n)) = self.order.pop_front() else {
                break;
            };
            match key {
                Key::Entry(k) => self.entries.remove(&k).map(drop),
                Key::Json(k) => self.json.remove(&k).map(drop),
            };
            self.bytes -= n;
        }
    }
}

/// What an entry costs in the cache.
fn entry_bytes(e: &Entry) -> usize {
    let strings = [
        &e.collection,
        &e.id,
        &e.type_name,
        &e.version,
        &e.spec_version,
        &e.added,
    ];
    OVERHEAD * 2
        + std::mem::size_of::<Entry>()
        + strings.iter().map(|s| s.len()).sum::<usize>()
        + e.created_by.as_ref().map_or(0, String::len)
        + e.markings
            .iter()
            .chain(&e.ends)
            .map(|s| s.len() + 24)
            .sum::<usize>()
}

impl ObjectCache {
    /// A cache holding at most `max_bytes` (0: caches nothing).
    pub fn new(max_bytes: usize) -> ObjectCache {
        ObjectCache {
            max_bytes,
            inner: Mutex::default(),
        }
    }

    pub fn enabled(&self) -> bool {
        self.max_bytes > 0
    }

    /// The cached entries of `cseqs` under `generation` (None: not cached).
    pub fn entries(&self, generation: i64, cseqs: &[i64]) -> Vec<Option<Arc<Entry>>> {
        let Ok(mut g) = self.inner.lock() else {
            return vec![None; cseqs.len()];
        };
        if !g.sync(generation) {
            return vec![None; cseqs.len()];
        }
        cseqs.iter().map(|s| g.entries.get(s).cloned()).collect()
    }

    /// The cached texts of `seqs` under `generation` (None: not cached).
    pub fn json(&self, generation: i64, seqs: &[i64]) -> Vec<Option<Arc<str>>> {
        let Ok(mut g) = self.inner.lock() else {
            return vec![None; seqs.len()];
        };
        if !g.sync(generation) {
            return vec![None; seqs.len()];
        }
        seqs.iter().map(|s| g.json.get(s).cloned()).collect()
    }

    /// The cached latest-entry keys of `ids` under content generation
    /// `generation` and entries generation `stamp` (None: not cached).
    pub fn ends(&self, generation: i64, stamp: i64, ids: &[String]) -> Vec<Option<Arc<[i64]>>> {
        let Ok(mut g) = self.inner.lock() else {
            return vec![None; ids.len()];
        };
        if !g.sync_ends(generation, stamp) {
            return vec![None; ids.len()];
        }
        ids.iter().map(|id| g.ends.get(id).cloned()).collect()
    }

    /// Keeps the latest-entry keys of ids, read from the store between two
    /// readings of entries generation `stamp`. This part of the cache is bounded
    /// by a quarter of the whole and emptied when full.
    pub fn keep_ends(&self, generation: i64, stamp: i64, items: Vec<(String, Arc<[i64]>)>) {
        if !self.enabled() {
            return;
        }
        let Ok(mut g) = self.inner.lock() else {
            return;
        };
        if !g.sync_ends(generation, stamp) {
            return;
        }
        for (id, keys) in items {
            let size = OVERHEAD + id.len() + 8 * keys.len();
            if size > self.max_bytes / 4 {
                continue;
            }
            if g.ends_bytes + size > self.max_bytes / 4 {
                g.clear_ends();
            }
            if g.ends.insert(id, keys).is_none() {
                g.ends_bytes += size;
            }
        }
    }

    /// Keeps entries read from the store under `generation`.
    pub fn keep_entries(&self, generation: i64, items: &[Arc<Entry>]) {
        self.keep(
            generation,
            items.iter().map(|e| (Key::Entry(e.cseq), entry_bytes(e))),
            |g, i| {
                let e = &items[i];
                g.entries.insert(e.cseq, Arc::clone(e)).is_none()
            },
        );
    }

    /// Keeps texts read from the store under `generation`.
    pub fn keep_json(&self, generation: i64, items: &[(i64, Arc<str>)]) {
        self.keep(
            generation,
            items
                .iter()
                .map(|(s, j)| (Key::Json(*s), j.len() + OVERHEAD)),
            |g, i| {
                let (s, j) = &items[i];
                g.json.insert(*s, Arc::clone(j)).is_none()
            },
        );
    }

    /// Inserts values (the i-th by `put`, which says whether it was new), evicting
    /// the oldest to stay within the bound.
    fn keep(
        &self,
        generation: i64,
        sizes: impl Iterator<Item = (Key, usize)>,
        mut put: impl FnMut(&mut Inner, usize) -> bool,
    ) {
        if !self.enabled() {
            return;
        }
        let Ok(mut g) = self.inner.lock() else {
            return;
        };
        if !g.sync(generation) {
            return;
        }
        for (i, (key, size)) in sizes.enumerate() {
            if size > self.max_bytes {
                continue;
            }
            g.make_room(size, self.max_bytes);
            if put(&mut g, i) {
                g.order.push_back((key, size));
                g.bytes += size;
            }
        }
    }

    /// (values, bytes) held now.
    #[cfg(test)]
    fn usage(&self) -> (usize, usize) {
        self.inner
            .lock()
            .map(|g| (g.entries.len() + g.json.len(), g.bytes))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(n: usize) -> Arc<str> {
        Arc::from("x".repeat(n))
    }

    #[test]
    fn stays_within_its_bound_evicting_the_oldest() {
        let c = ObjectCache::new(3 * (100 + OVERHEAD));
        c.keep_json(0, &[(1, text(100)), (2, text(100)), (3, text(100))]);
        assert_eq!(c.usage().0, 3);
        c.keep_json(0, &[(4, text(100))]);
        let (n, bytes) = c.usage();
        assert_eq!(n, 3);
        assert!(bytes <= 3 * (100 + OVERHEAD));
        let got = c.json(0, &[1, 2, 3, 4]);
        assert!(got[0].is_none() && got[1].is_some() && got[3].is_some());
        // Too big for the whole cache: not kept.
        c.keep_json(0, &[(5, text(10_000))]);
        assert!(c.json(0, &[5])[0].is_none());
    }

    #[test]
    fn a_new_generation_drops_everything_and_an_old_one_is_not_served() {
        let c = ObjectCache::new(1 << 20);
        c.keep_json(3, &[(1, text(10))]);
        assert!(c.json(3, &[1])[0].is_some());
        // A reader whose snapshot is older than the cache gets nothing from it,
        // and cannot add to it.
        assert!(c.json(2, &[1])[0].is_none());
        c.keep_json(2, &[(2, text(10))]);
        assert!(c.json(3, &[2])[0].is_none());
        // A newer generation (a version was replaced in place) empties it.
        assert!(c.json(4, &[1])[0].is_none());
        assert_eq!(c.usage(), (0, 0));
    }

    #[test]
    fn ends_follow_both_generations() {
        let c = ObjectCache::new(1 << 20);
        let ids = ["a".to_owned(), "b".to_owned()];
        c.keep_ends(
            1,
            5,
            vec![("a".into(), Arc::from([7])), ("b".into(), Arc::from([]))],
        );
        let got = c.ends(1, 5, &ids);
        assert_eq!(got[0].as_deref(), Some(&[7][..]));
        assert_eq!(got[1].as_deref(), Some(&[][..]));
        // An older reading of the entries generation gets nothing and adds nothing.
        assert!(c.ends(1, 4, &ids)[0].is_none());
        c.keep_ends(1, 4, vec![("c".into(), Arc::from([1]))]);
        assert!(c.ends(1, 5, &["c".to_owned()])[0].is_none());
        // Entries moved: the ends are dropped, the entries and JSON kept.
        c.keep_json(1, &[(1, text(10))]);
        assert!(c.ends(1, 6, &ids)[0].is_none());
        assert!(c.json(1, &[1])[0].is_some());
        c.keep_ends(1, 6, vec![("a".into(), Arc::from([8]))]);
        // A new content generation drops the ends too.
        assert!(c.ends(2, 6, &ids)[0].is_none());
    }

    #[test]
    fn ends_stay_within_a_quarter_of_the_bound() {
        let c = ObjectCache::new(4 * (OVERHEAD + 10 + 8) * 3);
        for i in 0..100 {
            c.keep_ends(0, 0, vec![(format!("id-{i:06}"), Arc::from([i]))]);
            let g = c.inner.lock().map(|g| g.ends_bytes).unwrap_or(usize::MAX);
            assert!(g <= c.max_bytes / 4, "{g}");
        }
    }

    #[test]
    fn disabled_holds_nothing() {
        let c = ObjectCache::new(0);
        assert!(!c.enabled());
        c.keep_json(0, &[(1, text(1))]);
        assert!(c.json(0, &[1])[0].is_none());
    }
}
