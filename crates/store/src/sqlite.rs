//! The embedded SQLite backend.
//!
//! Layout: `objects` holds every version (its `seq` is the commit sequence);
//! `current` points at the latest version of each id; `names`, `external_ids`,
//! `edges`, `refs` and the FTS5 table `fts` index the latest versions only, and are
//! rewritten when a newer version arrives; `markings` indexes every version.

use rusqlite::{params, Connection, OptionalExtension, Transaction};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::share;
use crate::*;
use stormwatch_model::{normalize_name, ObjectMeta};

const SCHEMA_VERSION: i64 = 2;

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS objects(
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL,
    version TEXT NOT NULL,
    type TEXT NOT NULL,
    spec_version TEXT NOT NULL,
    revoked INTEGER NOT NULL,
    deprecated INTEGER NOT NULL,
    added TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    json TEXT NOT NULL,
    UNIQUE(id, version)
);
CREATE TABLE IF NOT EXISTS current(
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    type TEXT NOT NULL,
    version TEXT NOT NULL,
    name TEXT,
    revoked INTEGER NOT NULL,
    deprecated INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS current_type ON current(type);
CREATE TABLE IF NOT EXISTS names(id TEXT NOT NULL, norm TEXT NOT NULL, name TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS names_norm ON names(norm);
CREATE INDEX IF NOT EXISTS names_id ON names(id);
CREATE TABLE IF NOT EXISTS external_ids(id TEXT NOT NULL, source TEXT NOT NULL, ext_id TEXT NOT NULL, norm TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS external_ids_norm ON external_ids(norm);
CREATE INDEX IF NOT EXISTS external_ids_id ON external_ids(id);
CREATE TABLE IF NOT EXISTS edges(rel_id TEXT NOT NULL, kind TEXT NOT NULL, source TEXT NOT NULL, target TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS edges_source ON edges(source);
CREATE INDEX IF NOT EXISTS edges_target ON edges(target);
CREATE INDEX IF NOT EXISTS edges_rel ON edges(rel_id);
CREATE INDEX IF NOT EXISTS edges_kind ON edges(kind);
CREATE TABLE IF NOT EXISTS refs(from_id TEXT NOT NULL, prop TEXT NOT NULL, to_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS refs_from ON refs(from_id);
CREATE INDEX IF NOT EXISTS refs_to ON refs(to_id);
CREATE TABLE IF NOT EXISTS markings(seq INTEGER NOT NULL, marking TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS markings_marking ON markings(marking);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(
    name, aliases, external_ids, description,
    tokenize = 'unicode61 remove_diacritics 2'
);
"#;

/// Sharing tables (schema version 2): collections and their entries, identity and
/// access records.
const SCHEMA_SHARE: &str = r#"
CREATE TABLE IF NOT EXISTS collections(id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE,
    description TEXT, default_marking TEXT NOT NULL, created TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS entries(
    cseq INTEGER PRIMARY KEY AUTOINCREMENT,
    collection TEXT NOT NULL,
    seq INTEGER NOT NULL,
    id TEXT NOT NULL,
    type TEXT NOT NULL,
    version TEXT NOT NULL,
    spec_version TEXT NOT NULL,
    added TEXT NOT NULL,
    markings TEXT NOT NULL,
    created_by TEXT,
    ends TEXT NOT NULL,
    first INTEGER NOT NULL DEFAULT 0,
    last INTEGER NOT NULL DEFAULT 0,
    UNIQUE(collection, seq)
);
CREATE INDEX IF NOT EXISTS entries_coll ON entries(collection, cseq);
CREATE INDEX IF NOT EXISTS entries_id ON entries(collection, id);
CREATE INDEX IF NOT EXISTS entries_latest ON entries(id) WHERE last = 1;
CREATE TABLE IF NOT EXISTS orgs(id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, created TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS org_identities(org TEXT NOT NULL, identity TEXT NOT NULL, PRIMARY KEY(org, identity)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS org_clients(org TEXT NOT NULL, client TEXT NOT NULL, PRIMARY KEY(org, client)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS users(id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, org TEXT NOT NULL, created TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tokens(id TEXT PRIMARY KEY, user_name TEXT NOT NULL, hash TEXT NOT NULL UNIQUE,
    created TEXT NOT NULL, expires TEXT, revoked TEXT) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS grants(principal_kind TEXT NOT NULL, principal TEXT NOT NULL, target_kind TEXT NOT NULL,
    target TEXT NOT NULL, permission TEXT NOT NULL, PRIMARY KEY(principal_kind, principal, target_kind, target)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS access_log(n INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL, token TEXT NOT NULL,
    user_name TEXT NOT NULL, org TEXT NOT NULL, collection TEXT NOT NULL, object_id TEXT NOT NULL, version TEXT NOT NULL,
    tlp TEXT NOT NULL, endpoint TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS status(id TEXT PRIMARY KEY, owner TEXT NOT NULL, created TEXT NOT NULL, json TEXT NOT NULL) WITHOUT ROWID;
-- The entries generation (`Store::entries_generation`); no row reads as 0.
CREATE TRIGGER IF NOT EXISTS entries_added AFTER INSERT ON entries BEGIN
    INSERT INTO meta(key, value) VALUES ('entries_generation', '1')
    ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1; END;
CREATE TRIGGER IF NOT EXISTS entries_removed AFTER DELETE ON entries BEGIN
    INSERT INTO meta(key, value) VALUES ('entries_generation', '1')
    ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1; END;
CREATE TRIGGER IF NOT EXISTS entries_reflagged AFTER UPDATE OF last, first, id, collection ON entries BEGIN
    INSERT INTO meta(key, value) VALUES ('entries_generation', '1')
    ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1; END;
"#;

/// A knowledge base in one SQLite file.
pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
    /// Collection id that `write` adds entries to (None: `default`, created on use).
    target: Option<String>,
}

impl SqliteStore {
    /// Opens (creating if needed) the store at `path`.
    /// (generation, keys) from a statement selecting (key, generation).
    fn keys(&self, sql: &str, params: impl rusqlite::Params) -> Result<Generational<i64>> {
        let mut st = self.conn.prepare_cached(sql).map_err(|e| self.err(e))?;
        let mut rows = st.query(params).map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        let mut generation = None;
        while let Some(r) = rows.next().map_err(|e| self.err(e))? {
            out.push(r.get::<_, i64>(0).map_err(|e| self.err(e))?);
            generation = Some(r.get::<_, i64>(1).map_err(|e| self.err(e))?);
        }
        Ok((generation, out))
    }

    pub fn open(path: &Path) -> Result<SqliteStore> {
        let ps = path.display().to_string();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Open {
                path: ps.clone(),
                message: format!("cannot create directory {}: {e}", dir.display()),
            })?;
        }
        let conn = Connection::open(path).map_err(|source| StoreError::Sqlite {
            path: ps.clone(),
            source,
        })?;
        let mut store = SqliteStore {
            conn,
            path: path.to_owned(),
            target: None,
        };
        store.init().map_err(|e| match e {
            StoreError::Sqlite {
                source: rusqlite::Error::SqliteFailure(f, _),
                ..
            } if f.code == rusqlite::ErrorCode::NotADatabase => StoreError::Open {
                path: ps,
                message: "is not a Stormwatch (SQLite) store; choose another --db path".into(),
            },
            e => e,
        })?;
        Ok(store)
    }

    fn err(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.path.display().to_string(),
            source,
        }
    }

    fn init(&mut self) -> Result<()> {
        self.conn
            .busy_timeout(std::time::Duration::from_secs(10))
            .map_err(|e| self.err(e))?;
        // Plans never depend on bound values. Without this, a statement whose plan
        // compared a parameter with a constant (`e.collection = ?1` beside the
        // partial index `WHERE last = 1`) is re-prepared every time it leaves the
        // statement cache (which clears its bindings): a re-parse per TAXII page,
        // a tenth of the server's CPU under load.
        self.conn
            .set_db_config(
                rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
                true,
            )
            .map_err(|e| self.err(e))?;
        self.conn
            .execute_batch(
                "PRAGMA page_size = 8192; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
                 PRAGMA temp_store = MEMORY; PRAGMA cache_size = -65536;
                 PRAGMA mmap_size = 268435456;",
            )
            .map_err(|e| self.err(e))?;
        let version: Option<String> = self
            .conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'schema_version'",
                [],
                |r| r.get(0),
            )
            .optional()
            .or_else(|e| match e {
                rusqlite::Error::SqliteFailure(_, Some(ref m)) if m.contains("no such table") => {
                    Ok(None)
                }
                e => Err(e),
            })
            .map_err(|e| self.err(e))?;
        match version.as_deref().map(str::parse::<i64>) {
            None => {
                self.conn
                    .execute_batch(SCHEMA)
                    .map_err(|e| self.err(e))?;
                self.conn
                    .execute_batch(SCHEMA_SHARE)
                    .map_err(|e| self.err(e))?;
                self.set_schema_version()?;
            }
            Some(Ok(1)) => {
                // Migration 1 -> 2: sharing tables; every stored version joins `default`.
                let tx = self
                    .conn
                    .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                    .map_err(|e| StoreError::Sqlite {
                        path: self.path.display().to_string(),
                        source: e,
                    })?;
                migrate_1_to_2(&tx).map_err(|e| StoreError::Sqlite {
                    path: self.path.display().to_string(),
                    source: e,
                })?;
                tx.commit().map_err(|e| StoreError::Sqlite {
                    path: self.path.display().to_string(),
                    source: e,
                })?;
                self.set_schema_version()?;
            }
            Some(Ok(v)) if v == SCHEMA_VERSION => {
                // New indexes of the same schema version are created on open.
                self.conn
                    .execute_batch(SCHEMA)
                    .map_err(|e| self.err(e))?;
                self.conn
                    .execute_batch(SCHEMA_SHARE)
                    .map_err(|e| self.err(e))?;
            }
            Some(v) => {
                return Err(StoreError::Open {
                    path: self.path.display().to_string(),
                    message: format!(
                        "schema version {v:?} is not {SCHEMA_VERSION}; this store was made by another Stormwatch version"
                    ),
                })
            }
        }
        Ok(())
    }

    fn set_schema_version(&self) -> Result<()> {
        self.conn
            .execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?1)",
                [SCHEMA_VERSION.to_string()],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    fn row_to_object(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredObject> {
        Ok(StoredObject {
            id: r.get(0)?,
            type_name: r.get(1)?,
            version: r.get(2)?,
            name: r.get(3)?,
            revoked: r.get(4)?,
            deprecated: r.get(5)?,
            seq: r.get(6)?,
            json: r.get(7)?,
        })
    }

    fn query_objects(&self, sql: &str, p: impl rusqlite::Params) -> Result<Vec<StoredObject>> {
        let mut st = self.conn.prepare_cached(sql).map_err(|e| self.err(e))?;
        let rows = st
            .query_map(p, Self::row_to_object)
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }
}

/// Columns selected by every query that returns [`StoredObject`]s from `current c`
/// joined with `objects o`.
const CURRENT_COLS: &str =
    "c.id, c.type, c.version, c.name, c.revoked, c.deprecated, o.seq, o.json";

fn write_tx(
    tx: &Transaction<'_>,
    collection: &str,
    objects: &[StixObject<'_>],
    progress: &mut dyn FnMut(usize),
) -> rusqlite::Result<WriteReport> {
    let mut report = WriteReport::default();
    let mut entries = EntryWriter::new(tx, collection)?;
    let mut find =
        tx.prepare_cached("SELECT seq, json FROM objects WHERE id = ?1 AND version = ?2")?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO objects(id, version, type, spec_version, revoked, deprecated, json)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    let mut replace = tx.prepare_cached(
        "UPDATE objects SET json = ?2, revoked = ?3, deprecated = ?4 WHERE seq = ?1",
    )?;
    let mut get_current = tx.prepare_cached("SELECT seq, version FROM current WHERE id = ?1")?;
    let mut put_current = tx.prepare_cached(
        "INSERT OR REPLACE INTO current(id, seq, type, version, name, revoked, deprecated)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    let mut add_marking =
        tx.prepare_cached("INSERT INTO markings(seq, marking) VALUES (?1, ?2)")?;
    let mut del_markings = tx.prepare_cached("DELETE FROM markings WHERE seq = ?1")?;
    for (i, obj) in objects.iter().enumerate() {
        if i % 1024 == 0 {
            progress(i);
        }
        let m = &obj.meta;
        let version = m.version_key();
        let existing: Option<(i64, String)> = find
            .query_row(params![m.id, version], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let seq = match existing {
            Some((seq, ref json)) if json.as_str() == obj.text || same_json(json, &obj.text) => {
                report.unchanged += 1;
                entries.add(seq, m, &version)?;
                continue;
            }
            Some((seq, _)) => {
                replace.execute(params![seq, obj.text.as_ref(), m.revoked, m.deprecated])?;
                // The JSON of a stored version changed: caches keyed on seq must
                // not serve the old one (see `Store::json_by_seq`).
                tx.prepare_cached(
                    "INSERT INTO meta(key, value) VALUES ('content_generation', '1')
                     ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1",
                )?
                .execute([])?;
                del_markings.execute([seq])?;
                report.replaced.push(m.id.clone());
                entries.replaced(seq, m)?;
                seq
            }
            None => {
                insert.execute(params![
                    m.id,
                    version,
                    m.type_name,
                    m.spec_version,
                    m.revoked,
                    m.deprecated,
                    obj.text.as_ref()
                ])?;
                report.imported += 1;
                tx.last_insert_rowid()
            }
        };
        for mk in &m.markings {
            add_marking.execute(params![seq, mk])?;
        }
        entries.add(seq, m, &version)?;
        let cur: Option<(i64, String)> = get_current
            .query_row([&m.id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let newest = match &cur {
            None => true,
            Some((cur_seq, cur_version)) => version >= *cur_version || *cur_seq == seq,
        };
        if !newest {
            continue;
        }
        if let Some((old_seq, _)) = cur {
            unindex(tx, &m.id, old_seq)?;
        }
        put_current.execute(params![
            m.id,
            seq,
            m.type_name,
            version,
            m.name,
            m.revoked,
            m.deprecated
        ])?;
        index(tx, seq, m)?;
    }
    progress(objects.len());
    Ok(report)
}

/// Equal as JSON values (formatting and key order aside).
fn same_json(a: &str, b: &str) -> bool {
    match (
        serde_json::from_str::<serde_json::Value>(a),
        serde_json::from_str::<serde_json::Value>(b),
    ) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

fn unindex(tx: &Transaction<'_>, id: &str, old_seq: i64) -> rusqlite::Result<()> {
    for sql in [
        "DELETE FROM names WHERE id = ?1",
        "DELETE FROM external_ids WHERE id = ?1",
        "DELETE FROM edges WHERE rel_id = ?1",
        "DELETE FROM refs WHERE from_id = ?1",
    ] {
        tx.prepare_cached(sql)?.execute([id])?;
    }
    tx.prepare_cached("DELETE FROM fts WHERE rowid = ?1")?
        .execute([old_seq])?;
    Ok(())
}

fn index(tx: &Transaction<'_>, seq: i64, m: &ObjectMeta) -> rusqlite::Result<()> {
    let mut add_name =
        tx.prepare_cached("INSERT INTO names(id, norm, name) VALUES (?1, ?2, ?3)")?;
    for n in m.name.iter().chain(&m.aliases) {
        let norm = normalize_name(n);
        if !norm.is_empty() {
            add_name.execute(params![m.id, norm, n])?;
        }
    }
    let mut add_ext = tx.prepare_cached(
        "INSERT INTO external_ids(id, source, ext_id, norm) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for e in &m.external_ids {
        add_ext.execute(params![m.id, e.source, e.id, e.id.to_uppercase()])?;
    }
    let mut add_edge = tx.prepare_cached(
        "INSERT INTO edges(rel_id, kind, source, target) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for e in &m.edges {
        add_edge.execute(params![m.id, e.kind, e.source, e.target])?;
    }
    let mut add_ref =
        tx.prepare_cached("INSERT INTO refs(from_id, prop, to_id) VALUES (?1, ?2, ?3)")?;
    for (p, t) in &m.refs {
        add_ref.execute(params![m.id, p, t])?;
    }
    if !m.edges.is_empty() {
        return Ok(()); // relationships and sightings are not searched by text
    }
    let ext: Vec<&str> = m.external_ids.iter().map(|e| e.id.as_str()).collect();
    tx.prepare_cached(
        "INSERT INTO fts(rowid, name, aliases, external_ids, description) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        seq,
        m.name,
        m.aliases.join(" ; "),
        ext.join(" "),
        m.description
    ])?;
    Ok(())
}

/// Turns user text into an FTS5 query: every word must occur (as a prefix), and no
/// character of the input can act as FTS5 syntax.
fn fts_query(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{}\"*", w.to_lowercase()))
        .collect();
    (!words.is_empty()).then(|| words.join(" AND "))
}

impl Store for SqliteStore {
    fn write(
        &mut self,
        objects: &[StixObject<'_>],
        progress: &mut dyn FnMut(usize),
    ) -> Result<WriteReport> {
        let path = self.path.display().to_string();
        let err = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let collection = match &self.target {
            Some(c) => c.clone(),
            None => self.use_collection(DEFAULT_COLLECTION)?.id,
        };
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(err)?;
        let report = write_tx(&tx, &collection, objects, progress).map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(report)
    }

    fn existing_ids(&self, ids: &[&str]) -> Result<Vec<String>> {
        let mut st = self
            .conn
            .prepare_cached("SELECT 1 FROM current WHERE id = ?1")
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for id in ids {
            if st.exists([id]).map_err(|e| self.err(e))? {
                out.push((*id).to_owned());
            }
        }
        Ok(out)
    }

    fn relationships_of_type(&self, types: &[&str]) -> Result<Vec<StoredObject>> {
        if types.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (1..=types.len()).map(|i| format!("?{i}")).collect();
        let sql = format!(
            "SELECT {CURRENT_COLS} FROM current c JOIN objects o ON o.seq = c.seq
             WHERE c.id IN (SELECT rel_id FROM edges WHERE kind IN ({}))
             ORDER BY o.seq",
            marks.join(", ")
        );
        self.query_objects(&sql, rusqlite::params_from_iter(types.iter()))
    }

    fn names_of_type(&self, types: &[&str]) -> Result<Vec<(String, Option<String>)>> {
        if types.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (1..=types.len()).map(|i| format!("?{i}")).collect();
        let sql = format!(
            "SELECT id, name FROM current WHERE revoked = 0 AND type IN ({})",
            marks.join(", ")
        );
        let mut st = self.conn.prepare(&sql).map_err(|e| self.err(e))?;
        let rows = st
            .query_map(rusqlite::params_from_iter(types.iter()), |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .map_err(|e| self.err(e))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))?;
        Ok(rows)
    }

    fn get(&self, id: &str) -> Result<Option<StoredObject>> {
        let sql = format!(
            "SELECT {CURRENT_COLS} FROM current c JOIN objects o ON o.seq = c.seq WHERE c.id = ?1"
        );
        Ok(self.query_objects(&sql, [id])?.pop())
    }

    fn versions(&self, id: &str) -> Result<Vec<StoredObject>> {
        self.query_objects(
            "SELECT o.id, o.type, o.version, NULL, o.revoked, o.deprecated, o.seq, o.json
             FROM objects o WHERE o.id = ?1 ORDER BY o.version, o.seq",
            [id],
        )
    }

    fn resolve(&self, key: &str) -> Result<Vec<StoredObject>> {
        let key = key.trim();
        if stormwatch_model::object::check_id(key).is_ok() {
            return Ok(self.get(key)?.into_iter().collect());
        }
        let sql = format!(
            "SELECT {CURRENT_COLS} FROM current c JOIN objects o ON o.seq = c.seq
             WHERE c.id IN (SELECT id FROM external_ids WHERE norm = ?1)
             UNION
             SELECT {CURRENT_COLS} FROM current c JOIN objects o ON o.seq = c.seq
             WHERE c.id IN (SELECT id FROM names WHERE norm = ?2)"
        );
        let mut found =
            self.query_objects(&sql, params![key.to_uppercase(), normalize_name(key)])?;
        // Exact external ids first, then exact names before aliases, then by type.
        let upper = key.to_uppercase();
        let norm = normalize_name(key);
        found.sort_by_key(|o| {
            let ext = !self
                .external_ids(&o.id)
                .unwrap_or_default()
                .iter()
                .any(|(_, e)| e.to_uppercase() == upper);
            let name = o.name.as_deref().map(normalize_name) != Some(norm.clone());
            (ext, name, o.type_name.clone(), o.id.clone())
        });
        if found.iter().any(|o| !o.revoked) {
            found.retain(|o| !o.revoked);
        }
        Ok(found)
    }

    fn suggest(&self, key: &str, n: usize) -> Result<Vec<String>> {
        let norm = normalize_name(key);
        if norm.is_empty() {
            return Ok(Vec::new());
        }
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT DISTINCT n.name FROM names n JOIN current c ON c.id = n.id
                 WHERE c.revoked = 0 AND c.type NOT IN ('relationship', 'sighting', 'indicator')
                 UNION SELECT DISTINCT ext_id FROM external_ids",
            )
            .map_err(|e| self.err(e))?;
        let names: Vec<String> = st
            .query_map([], |r| r.get(0))
            .map_err(|e| self.err(e))?
            .collect::<rusqlite::Result<_>>()
            .map_err(|e| self.err(e))?;
        let mut scored: Vec<(f64, String)> = names
            .into_iter()
            .map(|name| {
                let n = normalize_name(&name);
                let mut s = strsim::jaro_winkler(&norm, &n);
                if n.contains(&norm) || norm.contains(&n) {
                    s = s.max(0.85);
                }
                (s, name)
            })
            .filter(|(s, _)| *s >= 0.8)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        let mut seen = HashSet::new();
        Ok(scored
            .into_iter()
            .map(|(_, n)| n)
            .filter(|n| seen.insert(n.clone()))
            .take(n)
            .collect())
    }

    fn names(&self, id: &str) -> Result<Vec<String>> {
        let mut st = self
            .conn
            .prepare_cached("SELECT name FROM names WHERE id = ?1 ORDER BY rowid")
            .map_err(|e| self.err(e))?;
        let v = st
            .query_map([id], |r| r.get(0))
            .map_err(|e| self.err(e))?
            .collect::<rusqlite::Result<Vec<String>>>()
            .map_err(|e| self.err(e))?;
        Ok(v)
    }

    fn external_ids(&self, id: &str) -> Result<Vec<(String, String)>> {
        let mut st = self
            .conn
            .prepare_cached("SELECT source, ext_id FROM external_ids WHERE id = ?1 ORDER BY rowid")
            .map_err(|e| self.err(e))?;
        let v = st
            .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(|e| self.err(e))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))?;
        Ok(v)
    }

    fn relationships(&self, id: &str) -> Result<Vec<RelationshipView>> {
        let sql = "
            SELECT e.rel_id, e.kind, 'outgoing', e.target, e.target
            FROM edges e JOIN current r ON r.id = e.rel_id
            WHERE e.source = ?1 AND r.revoked = 0
            UNION ALL
            SELECT e.rel_id, e.kind, 'incoming', e.source, e.source
            FROM edges e JOIN current r ON r.id = e.rel_id
            WHERE e.target = ?1 AND r.revoked = 0";
        let mut st = self.conn.prepare_cached(sql).map_err(|e| self.err(e))?;
        let rows: Vec<(String, String, String, String)> = st
            .query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .map_err(|e| self.err(e))?
            .collect::<rusqlite::Result<_>>()
            .map_err(|e| self.err(e))?;
        let mut other = self
            .conn
            .prepare_cached(
                "SELECT c.name, (SELECT ext_id FROM external_ids x WHERE x.id = c.id ORDER BY rowid LIMIT 1)
                 FROM current c WHERE c.id = ?1",
            )
            .map_err(|e| self.err(e))?;
        let mut out = Vec::with_capacity(rows.len());
        for (rel, kind, dir, other_id) in rows {
            let (name, ext): (Option<String>, Option<String>) = other
                .query_row([&other_id], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
                .map_err(|e| self.err(e))?
                .unwrap_or((None, None));
            out.push(RelationshipView {
                relationship_id: rel,
                kind,
                direction: if dir == "outgoing" {
                    Direction::Outgoing
                } else {
                    Direction::Incoming
                },
                other_type: other_id
                    .split_once("--")
                    .map(|(t, _)| t.to_owned())
                    .unwrap_or_default(),
                other_id,
                other_name: name,
                other_external_id: ext,
            });
        }
        out.sort_by(|a, b| {
            (
                a.kind.as_str(),
                a.direction as u8,
                a.other_type.as_str(),
                &a.other_name,
            )
                .cmp(&(
                    b.kind.as_str(),
                    b.direction as u8,
                    b.other_type.as_str(),
                    &b.other_name,
                ))
        });
        Ok(out)
    }

    fn search(&self, q: &SearchQuery) -> Result<Vec<SearchHit>> {
        let Some(fts) = fts_query(&q.text) else {
            return Ok(Vec::new());
        };
        // Weights: name 10, aliases 6, external ids 8, description 1.
        let mut sql = String::from(
            "SELECT c.id, c.type, c.name,
                    (SELECT ext_id FROM external_ids x WHERE x.id = c.id ORDER BY rowid LIMIT 1),
                    -bm25(fts, 10.0, 6.0, 8.0, 1.0) AS score
             FROM fts JOIN current c ON c.seq = fts.rowid
             WHERE fts MATCH ?1",
        );
        if !q.include_revoked {
            sql.push_str(" AND c.revoked = 0 AND c.deprecated = 0");
        }
        let mut args: Vec<String> = vec![fts];
        if !q.types.is_empty() {
            let marks: Vec<String> = (0..q.types.len()).map(|i| format!("?{}", i + 2)).collect();
            sql.push_str(&format!(" AND c.type IN ({})", marks.join(", ")));
            args.extend(q.types.iter().cloned());
        }
        sql.push_str(" ORDER BY score DESC, c.name LIMIT ");
        sql.push_str(&q.limit.max(1).to_string());
        let mut st = self.conn.prepare(&sql).map_err(|e| self.err(e))?;
        let hits = st
            .query_map(rusqlite::params_from_iter(args.iter()), |r| {
                Ok(SearchHit {
                    id: r.get(0)?,
                    type_name: r.get(1)?,
                    name: r.get(2)?,
                    external_id: r.get(3)?,
                    score: (r.get::<_, f64>(4)? * 1000.0).round() / 1000.0,
                })
            })
            .map_err(|e| self.err(e))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))?;
        Ok(hits)
    }

    fn export(
        &self,
        filter: &ExportFilter,
        sink: &mut dyn FnMut(&StoredObject) -> std::io::Result<()>,
    ) -> Result<u64> {
        let mut sql = if filter.all_versions {
            String::from(
                "SELECT o.id, o.type, o.version, NULL, o.revoked, o.deprecated, o.seq, o.json
                 FROM objects o WHERE 1 = 1",
            )
        } else {
            format!(
                "SELECT {CURRENT_COLS} FROM current c JOIN objects o ON o.seq = c.seq WHERE 1 = 1"
            )
        };
        let mut args: Vec<String> = Vec::new();
        let placeholders = |vals: &[String], args: &mut Vec<String>| {
            let start = args.len();
            args.extend(vals.iter().cloned());
            (start..args.len())
                .map(|i| format!("?{}", i + 1))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if !filter.types.is_empty() {
            let p = placeholders(&filter.types, &mut args);
            // The latest-version view has a type index; the versions table does not.
            let col = if filter.all_versions {
                "o.type"
            } else {
                "c.type"
            };
            sql.push_str(&format!(" AND {col} IN ({p})"));
        }
        if let Some(since) = &filter.since {
            let p = placeholders(std::slice::from_ref(since), &mut args);
            sql.push_str(&format!(" AND o.version >= {p}"));
        }
        if !filter.markings.is_empty() {
            let p = placeholders(&filter.markings, &mut args);
            sql.push_str(&format!(
                " AND o.seq IN (SELECT seq FROM markings WHERE marking IN ({p}))"
            ));
        }
        sql.push_str(" ORDER BY o.seq");
        let mut st = self.conn.prepare(&sql).map_err(|e| self.err(e))?;
        let mut rows = st
            .query(rusqlite::params_from_iter(args.iter()))
            .map_err(|e| self.err(e))?;
        let mut n = 0;
        while let Some(r) = rows.next().map_err(|e| self.err(e))? {
            let o = Self::row_to_object(r).map_err(|e| self.err(e))?;
            sink(&o).map_err(|e| StoreError::Open {
                path: self.path.display().to_string(),
                message: format!("writing export: {e}"),
            })?;
            n += 1;
        }
        Ok(n)
    }

    fn stats(&self) -> Result<Stats> {
        let q = |sql: &str| -> Result<u64> {
            self.conn
                .query_row(sql, [], |r| r.get::<_, i64>(0))
                .map(|v| v as u64)
                .map_err(|e| self.err(e))
        };
        let mut st = self
            .conn
            .prepare(
                "SELECT type, count(*) FROM current GROUP BY type ORDER BY count(*) DESC, type",
            )
            .map_err(|e| self.err(e))?;
        let types = st
            .query_map([], |r| {
                Ok(TypeCount {
                    type_name: r.get(0)?,
                    count: r.get::<_, i64>(1)? as u64,
                })
            })
            .map_err(|e| self.err(e))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))?;
        let bytes = ["", "-wal"]
            .iter()
            .filter_map(|s| {
                let mut p = self.path.clone().into_os_string();
                p.push(s);
                std::fs::metadata(p).ok().map(|m| m.len())
            })
            .sum();
        Ok(Stats {
            store: self.path.display().to_string(),
            bytes,
            objects: q("SELECT count(*) FROM current")?,
            versions: q("SELECT count(*) FROM objects")?,
            revoked: q("SELECT count(*) FROM current WHERE revoked = 1")?,
            types,
        })
    }

    fn use_collection(&mut self, name: &str) -> Result<Collection> {
        let c = match self.collection_by_name(name)? {
            Some(c) => c,
            None if name == DEFAULT_COLLECTION => self.collection_add(
                DEFAULT_COLLECTION,
                Some("Objects imported without --collection"),
                share::AMBER,
            )?,
            None => {
                return Err(StoreError::NotFound(format!(
                    "no collection named {name:?}; create it with `stormwatch admin collection add {name}`"
                )))
            }
        };
        self.target = Some(c.id.clone());
        Ok(c)
    }

    fn collection_add(
        &mut self,
        name: &str,
        description: Option<&str>,
        default_marking: &str,
    ) -> Result<Collection> {
        if self.collection_by_name(name)?.is_some() {
            return Err(StoreError::Conflict(format!(
                "a collection named {name:?} exists already"
            )));
        }
        let c = Collection {
            id: uuid::Uuid::new_v4().to_string(),
            name: name.to_owned(),
            description: description.map(str::to_owned),
            default_marking: default_marking.to_owned(),
            created: now(),
        };
        self.conn
            .execute(
                "INSERT INTO collections(id, name, description, default_marking, created) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![c.id, c.name, c.description, c.default_marking, c.created],
            )
            .map_err(|e| self.err(e))?;
        Ok(c)
    }

    fn entries(
        &self,
        collection_id: &str,
        filter: &EntryFilter,
        limit: usize,
        with_json: bool,
    ) -> Result<Vec<Entry>> {
        let (json, join) = if with_json {
            ("o.json", " JOIN objects o ON o.seq = e.seq")
        } else {
            ("NULL", "")
        };
        let (sql, args) = entries_sql(
            &format!("{ENTRY_COLS}, {json}, NULL"),
            join,
            collection_id,
            filter,
            limit,
        );
        let mut st = self.conn.prepare_cached(&sql).map_err(|e| self.err(e))?;
        let rows = st
            .query_map(rusqlite::params_from_iter(args.iter()), row_to_entry)
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    fn keeps_content_generation(&self) -> bool {
        true
    }

    fn entry_keys(
        &self,
        collection_id: &str,
        filter: &EntryFilter,
        limit: usize,
    ) -> Result<Generational<i64>> {
        // One statement, so one snapshot: the generation and the keys agree.
        let (sql, args) = entries_sql(
            &format!("e.cseq, {GENERATION}"),
            "",
            collection_id,
            filter,
            limit,
        );
        self.keys(&sql, rusqlite::params_from_iter(args.iter()))
    }

    fn latest_entry_keys(&self, ids: &[String]) -> Result<Generational<i64>> {
        let list = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
        let sql = format!(
            "SELECT e.cseq, {GENERATION} FROM entries e
             WHERE e.last = 1 AND e.id IN (SELECT value FROM json_each(?1))"
        );
        self.keys(&sql, [list])
    }

    fn entries_generation(&self) -> Result<Option<i64>> {
        self.conn
            .prepare_cached(ENTRIES_GENERATION)
            .and_then(|mut st| st.query_row([], |r| r.get::<_, i64>(0)))
            .map(Some)
            .map_err(|e| self.err(e))
    }

    fn entries_by_cseq(&self, cseqs: &[i64]) -> Result<Generational<Entry>> {
        if cseqs.is_empty() {
            return Ok((None, Vec::new()));
        }
        let list = serde_json::to_string(cseqs).unwrap_or_else(|_| "[]".into());
        let sql = format!(
            "SELECT {ENTRY_COLS}, NULL, {GENERATION} FROM entries e
             WHERE e.cseq IN (SELECT value FROM json_each(?1))"
        );
        let mut st = self.conn.prepare_cached(&sql).map_err(|e| self.err(e))?;
        let mut rows = st.query([list]).map_err(|e| self.err(e))?;
        let mut out = Vec::with_capacity(cseqs.len());
        let mut generation = None;
        while let Some(r) = rows.next().map_err(|e| self.err(e))? {
            generation = Some(r.get::<_, i64>(14).map_err(|e| self.err(e))?);
            out.push(row_to_entry(r).map_err(|e| self.err(e))?);
        }
        Ok((generation, out))
    }

    fn json_by_seq(&self, seqs: &[i64]) -> Result<Generational<(i64, String)>> {
        if seqs.is_empty() {
            return Ok((None, Vec::new()));
        }
        // One cached statement whatever the number of seqs: they travel as a JSON array.
        let list = serde_json::to_string(seqs).unwrap_or_else(|_| "[]".into());
        let sql = format!(
            "SELECT seq, json, {GENERATION} FROM objects WHERE seq IN (SELECT value FROM json_each(?1))"
        );
        let mut st = self.conn.prepare_cached(&sql).map_err(|e| self.err(e))?;
        let mut rows = st.query([list]).map_err(|e| self.err(e))?;
        let mut out = Vec::with_capacity(seqs.len());
        let mut generation = None;
        while let Some(r) = rows.next().map_err(|e| self.err(e))? {
            generation = Some(r.get::<_, i64>(2).map_err(|e| self.err(e))?);
            out.push((
                r.get::<_, i64>(0).map_err(|e| self.err(e))?,
                r.get::<_, String>(1).map_err(|e| self.err(e))?,
            ));
        }
        Ok((generation, out))
    }

    fn latest_entries(&self, ids: &[String]) -> Result<Vec<Entry>> {
        // One cached statement whatever the number of ids: they travel as a JSON array.
        let list = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
        let sql = format!(
            "SELECT {ENTRY_COLS}, NULL, NULL FROM entries e
             WHERE e.last = 1 AND e.id IN (SELECT value FROM json_each(?1))"
        );
        let mut st = self.conn.prepare_cached(&sql).map_err(|e| self.err(e))?;
        let rows = st
            .query_map([list], row_to_entry)
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    fn delete_entries(
        &mut self,
        collection_id: &str,
        id: &str,
        versions: &VersionMatch,
        spec_versions: &[String],
    ) -> Result<usize> {
        let path = self.path.display().to_string();
        let err = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let filter = EntryFilter {
            ids: vec![id.to_owned()],
            versions: if *versions == VersionMatch::default() {
                VersionMatch {
                    all: true,
                    ..Default::default()
                }
            } else {
                versions.clone()
            },
            spec_versions: spec_versions.to_vec(),
            ..Default::default()
        };
        let doomed = self.entries(collection_id, &filter, usize::MAX >> 1, false)?;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(err)?;
        for e in &doomed {
            tx.execute("DELETE FROM entries WHERE cseq = ?1", [e.cseq])
                .map_err(err)?;
        }
        refresh_flags(&tx, collection_id, id).map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(doomed.len())
    }

    fn org_add(&mut self, name: &str, identities: &[String], client_of: &[String]) -> Result<Org> {
        let d = self.directory()?;
        if d.orgs.iter().any(|o| o.name == name) {
            return Err(StoreError::Conflict(format!(
                "an organisation named {name:?} exists already"
            )));
        }
        for owner in client_of {
            if !d.orgs.iter().any(|o| &o.name == owner) {
                return Err(StoreError::NotFound(format!(
                    "no organisation named {owner:?}; create it first with `stormwatch admin org add {owner}`"
                )));
            }
        }
        let org = Org {
            id: uuid::Uuid::new_v4().to_string(),
            name: name.to_owned(),
            identities: identities.to_vec(),
            clients: Vec::new(),
            created: now(),
        };
        let path = self.path.display().to_string();
        let err = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(err)?;
        tx.execute(
            "INSERT INTO orgs(id, name, created) VALUES (?1, ?2, ?3)",
            params![org.id, org.name, org.created],
        )
        .map_err(err)?;
        for i in identities {
            tx.execute(
                "INSERT OR IGNORE INTO org_identities(org, identity) VALUES (?1, ?2)",
                params![name, i],
            )
            .map_err(err)?;
        }
        for owner in client_of {
            tx.execute(
                "INSERT OR IGNORE INTO org_clients(org, client) VALUES (?1, ?2)",
                params![owner, name],
            )
            .map_err(err)?;
        }
        tx.commit().map_err(err)?;
        Ok(org)
    }

    fn user_add(&mut self, name: &str, org: &str) -> Result<User> {
        let d = self.directory()?;
        if d.users.iter().any(|u| u.name == name) {
            return Err(StoreError::Conflict(format!(
                "a user named {name:?} exists already"
            )));
        }
        if !d.orgs.iter().any(|o| o.name == org) {
            return Err(StoreError::NotFound(format!(
                "no organisation named {org:?}; create it with `stormwatch admin org add {org}`"
            )));
        }
        let u = User {
            id: uuid::Uuid::new_v4().to_string(),
            name: name.to_owned(),
            org: org.to_owned(),
            created: now(),
        };
        self.conn
            .execute(
                "INSERT INTO users(id, name, org, created) VALUES (?1, ?2, ?3, ?4)",
                params![u.id, u.name, u.org, u.created],
            )
            .map_err(|e| self.err(e))?;
        Ok(u)
    }

    fn token_add(&mut self, user: &str, hash: &str, expires: Option<&str>) -> Result<Token> {
        let exists: bool = self
            .conn
            .prepare_cached("SELECT 1 FROM users WHERE name = ?1")
            .and_then(|mut s| s.exists([user]))
            .map_err(|e| self.err(e))?;
        if !exists {
            return Err(StoreError::NotFound(format!(
                "no user named {user:?}; create it with `stormwatch admin user add {user} --org ORG`"
            )));
        }
        let t = Token {
            id: format!("tok_{}", &uuid::Uuid::new_v4().simple().to_string()[..12]),
            user: user.to_owned(),
            created: now(),
            expires: expires.map(str::to_owned),
            revoked: None,
        };
        self.conn
            .execute(
                "INSERT INTO tokens(id, user_name, hash, created, expires) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![t.id, t.user, hash, t.created, t.expires],
            )
            .map_err(|e| self.err(e))?;
        Ok(t)
    }

    fn token_revoke(&mut self, id: &str) -> Result<bool> {
        let n = self
            .conn
            .execute(
                "UPDATE tokens SET revoked = ?2 WHERE id = ?1 AND revoked IS NULL",
                params![id, now()],
            )
            .map_err(|e| self.err(e))?;
        Ok(n > 0)
    }

    fn grant_add(&mut self, g: &Grant) -> Result<()> {
        let d = self.directory()?;
        check_grant(&d, g)?;
        self.conn
            .execute(
                "INSERT OR REPLACE INTO grants(principal_kind, principal, target_kind, target, permission)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    kind_str(g.principal_kind),
                    g.principal,
                    target_str(g.target_kind),
                    g.target,
                    g.permission.as_str()
                ],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    fn directory(&self) -> Result<Directory> {
        let c = &self.conn;
        let e = |e| self.err(e);
        let pairs = |sql: &str| -> Result<Vec<(String, String)>> {
            let mut st = c.prepare_cached(sql).map_err(e)?;
            let v = st
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(e)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(e)?;
            Ok(v)
        };
        let idents = pairs("SELECT org, identity FROM org_identities ORDER BY identity")?;
        let clients = pairs("SELECT org, client FROM org_clients ORDER BY client")?;
        let mut st = c
            .prepare_cached("SELECT id, name, created FROM orgs ORDER BY name")
            .map_err(e)?;
        let orgs = st
            .query_map([], |r| {
                let name: String = r.get(1)?;
                Ok(Org {
                    id: r.get(0)?,
                    identities: idents
                        .iter()
                        .filter(|(o, _)| *o == name)
                        .map(|(_, i)| i.clone())
                        .collect(),
                    clients: clients
                        .iter()
                        .filter(|(o, _)| *o == name)
                        .map(|(_, i)| i.clone())
                        .collect(),
                    name,
                    created: r.get(2)?,
                })
            })
            .map_err(e)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(e)?;
        let mut st = c
            .prepare_cached("SELECT id, name, org, created FROM users ORDER BY name")
            .map_err(e)?;
        let users = st
            .query_map([], |r| {
                Ok(User {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    org: r.get(2)?,
                    created: r.get(3)?,
                })
            })
            .map_err(e)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(e)?;
        let mut st = c
            .prepare_cached(
                "SELECT id, user_name, created, expires, revoked FROM tokens ORDER BY created, id",
            )
            .map_err(e)?;
        let tokens = st
            .query_map([], row_to_token)
            .map_err(e)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(e)?;
        let mut st = c
            .prepare_cached(
                "SELECT principal_kind, principal, target_kind, target, permission FROM grants
                 ORDER BY target_kind, target, principal_kind, principal",
            )
            .map_err(e)?;
        let grants = st
            .query_map([], |r| {
                let pk: String = r.get(0)?;
                let tk: String = r.get(2)?;
                let p: String = r.get(4)?;
                Ok(Grant {
                    principal_kind: if pk == "org" {
                        PrincipalKind::Org
                    } else {
                        PrincipalKind::User
                    },
                    principal: r.get(1)?,
                    target_kind: if tk == "object" {
                        TargetKind::Object
                    } else {
                        TargetKind::Collection
                    },
                    target: r.get(3)?,
                    permission: if p == "write" {
                        Permission::Write
                    } else {
                        Permission::Read
                    },
                })
            })
            .map_err(e)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(e)?;
        let mut st = c
            .prepare_cached(
                "SELECT id, name, description, default_marking, created FROM collections ORDER BY name",
            )
            .map_err(e)?;
        let collections = st
            .query_map([], row_to_collection)
            .map_err(e)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(e)?;
        Ok(Directory {
            orgs,
            users,
            tokens,
            grants,
            collections,
        })
    }

    fn token_owner(&self, hash: &str) -> Result<Option<TokenOwner>> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT t.id, t.user_name, t.created, t.expires, t.revoked, u.id, u.name, u.org, u.created
                 FROM tokens t JOIN users u ON u.name = t.user_name WHERE t.hash = ?1",
            )
            .map_err(|e| self.err(e))?;
        st.query_row([hash], |r| {
            Ok(TokenOwner {
                token: row_to_token(r)?,
                user: User {
                    id: r.get(5)?,
                    name: r.get(6)?,
                    org: r.get(7)?,
                    created: r.get(8)?,
                },
            })
        })
        .optional()
        .map_err(|e| self.err(e))
    }

    fn log_access(&mut self, records: &[AccessRecord]) -> Result<()> {
        if records.is_empty() {
            return Ok(());
        }
        let path = self.path.display().to_string();
        let err = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(err)?;
        {
            let mut st = tx
                .prepare_cached(
                    "INSERT INTO access_log(time, token, user_name, org, collection, object_id, version, tlp, endpoint)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )
                .map_err(err)?;
            for a in records {
                st.execute(params![
                    a.time,
                    a.token,
                    a.user,
                    a.org,
                    a.collection,
                    a.object_id,
                    a.version,
                    a.tlp,
                    a.endpoint
                ])
                .map_err(err)?;
            }
        }
        tx.commit().map_err(err)?;
        Ok(())
    }

    fn access_log(&self, limit: usize) -> Result<Vec<AccessRecord>> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT time, token, user_name, org, collection, object_id, version, tlp, endpoint
                 FROM access_log ORDER BY n DESC LIMIT ?1",
            )
            .map_err(|e| self.err(e))?;
        let v = st
            .query_map([limit.min(i64::MAX as usize) as i64], |r| {
                Ok(AccessRecord {
                    time: r.get(0)?,
                    token: r.get(1)?,
                    user: r.get(2)?,
                    org: r.get(3)?,
                    collection: r.get(4)?,
                    object_id: r.get(5)?,
                    version: r.get(6)?,
                    tlp: r.get(7)?,
                    endpoint: r.get(8)?,
                })
            })
            .map_err(|e| self.err(e))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))?;
        Ok(v)
    }

    fn status_put(&mut self, id: &str, owner: &str, json: &str) -> Result<()> {
        self.conn
            .execute(
                "INSERT OR REPLACE INTO status(id, owner, created, json) VALUES (?1, ?2, ?3, ?4)",
                params![id, owner, now(), json],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    fn status_get(&self, id: &str) -> Result<Option<(String, String)>> {
        self.conn
            .query_row("SELECT owner, json FROM status WHERE id = ?1", [id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()
            .map_err(|e| self.err(e))
    }
}

impl SqliteStore {
    fn collection_by_name(&self, name: &str) -> Result<Option<Collection>> {
        self.conn
            .query_row(
                "SELECT id, name, description, default_marking, created FROM collections WHERE name = ?1",
                [name],
                row_to_collection,
            )
            .optional()
            .map_err(|e| self.err(e))
    }
}

/// Now as a stored timestamp.
fn now() -> String {
    stormwatch_model::Timestamp::now().to_string()
}

/// Columns of an [`Entry`] from `entries e` (the JSON column follows).
const ENTRY_COLS: &str = "e.cseq, e.collection, e.id, e.type, e.version, e.spec_version, e.added, \
     e.markings, e.created_by, e.ends, e.first, e.last, e.seq";

/// The content generation (see [`Store::json_by_seq`]) as a scalar subquery: 0
/// until a write first replaces a stored version in place.
const GENERATION: &str =
    "coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'content_generation'), 0)";

/// The entries generation (see [`Store::entries_generation`]), moved by triggers.
const ENTRIES_GENERATION: &str =
    "SELECT coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'entries_generation'), 0)";

/// `SELECT {select} FROM entries e{join} WHERE ...` for a listing.
fn entries_sql(
    select: &str,
    join: &str,
    collection_id: &str,
    filter: &EntryFilter,
    limit: usize,
) -> (String, Vec<rusqlite::types::Value>) {
    let mut sql =
        format!("SELECT {select} FROM entries e{join} WHERE e.collection = ?1 AND e.cseq > ?2");
    let mut args: Vec<rusqlite::types::Value> =
        vec![collection_id.to_owned().into(), filter.after_cseq.into()];
    push_in(&mut sql, &mut args, "e.id", &filter.ids);
    push_in(&mut sql, &mut args, "e.type", &filter.types);
    push_in(&mut sql, &mut args, "e.spec_version", &filter.spec_versions);
    if let Some(a) = &filter.added_after {
        args.push(a.clone().into());
        sql.push_str(&format!(" AND e.added > ?{}", args.len()));
    }
    let v = &filter.versions;
    if !v.all {
        let mut parts = Vec::new();
        if v.last || (!v.first && v.exact.is_empty()) {
            parts.push("e.last = 1".to_owned());
        }
        if v.first {
            parts.push("e.first = 1".to_owned());
        }
        if !v.exact.is_empty() {
            let mut p = String::new();
            push_in(&mut p, &mut args, "e.version", &v.exact);
            parts.push(p.trim_start_matches(" AND ").to_owned());
        }
        sql.push_str(&format!(" AND ({})", parts.join(" OR ")));
    }
    sql.push_str(&format!(
        " ORDER BY e.cseq LIMIT {}",
        limit.min(i64::MAX as usize)
    ));
    (sql, args)
}

fn split_list(s: String) -> Vec<String> {
    s.split(' ')
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect()
}

fn row_to_entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<Entry> {
    Ok(Entry {
        cseq: r.get(0)?,
        collection: r.get(1)?,
        id: r.get(2)?,
        type_name: r.get(3)?,
        version: r.get(4)?,
        spec_version: r.get(5)?,
        added: r.get(6)?,
        markings: split_list(r.get(7)?),
        created_by: r.get(8)?,
        ends: split_list(r.get(9)?),
        first: r.get(10)?,
        last: r.get(11)?,
        seq: r.get(12)?,
        json: r.get(13)?,
    })
}

fn row_to_token(r: &rusqlite::Row<'_>) -> rusqlite::Result<Token> {
    Ok(Token {
        id: r.get(0)?,
        user: r.get(1)?,
        created: r.get(2)?,
        expires: r.get(3)?,
        revoked: r.get(4)?,
    })
}

fn row_to_collection(r: &rusqlite::Row<'_>) -> rusqlite::Result<Collection> {
    Ok(Collection {
        id: r.get(0)?,
        name: r.get(1)?,
        description: r.get(2)?,
        default_marking: r.get(3)?,
        created: r.get(4)?,
    })
}

/// Appends ` AND col IN (?n, ...)` for a non-empty list.
fn push_in(sql: &mut String, args: &mut Vec<rusqlite::types::Value>, col: &str, vals: &[String]) {
    if vals.is_empty() {
        return;
    }
    let start = args.len();
    args.extend(vals.iter().map(|v| rusqlite::types::Value::from(v.clone())));
    let marks: Vec<String> = (start..args.len()).map(|i| format!("?{}", i + 1)).collect();
    sql.push_str(&format!(" AND {col} IN ({})", marks.join(", ")));
}

fn kind_str(k: PrincipalKind) -> &'static str {
    match k {
        PrincipalKind::User => "user",
        PrincipalKind::Org => "org",
    }
}

fn target_str(k: TargetKind) -> &'static str {
    match k {
        TargetKind::Collection => "collection",
        TargetKind::Object => "object",
    }
}

/// The grant names an existing principal and collection.
pub(crate) fn check_grant(d: &Directory, g: &Grant) -> Result<()> {
    let known = match g.principal_kind {
        PrincipalKind::User => d.users.iter().any(|u| u.name == g.principal),
        PrincipalKind::Org => d.orgs.iter().any(|o| o.name == g.principal),
    };
    if !known {
        return Err(StoreError::NotFound(format!(
            "no user or organisation named {:?}",
            g.principal
        )));
    }
    if g.target_kind == TargetKind::Collection && !d.collections.iter().any(|c| c.name == g.target)
    {
        return Err(StoreError::NotFound(format!(
            "no collection named {:?}; create it with `stormwatch admin collection add {}`",
            g.target, g.target
        )));
    }
    Ok(())
}

/// Adds collection entries inside a write transaction, with strictly increasing
/// date-added keys.
struct EntryWriter<'t> {
    tx: &'t Transaction<'t>,
    collection: String,
    last_added: Option<String>,
}

impl<'t> EntryWriter<'t> {
    fn new(tx: &'t Transaction<'t>, collection: &str) -> rusqlite::Result<EntryWriter<'t>> {
        let last_added = tx
            .query_row(
                "SELECT added FROM entries ORDER BY cseq DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?;
        Ok(EntryWriter {
            tx,
            collection: collection.to_owned(),
            last_added,
        })
    }

    fn add(&mut self, seq: i64, m: &ObjectMeta, version: &str) -> rusqlite::Result<()> {
        let added = share::next_added(self.last_added.as_deref());
        // The first entry of an id in a collection is both its first and last version:
        // no flags to recompute (the common case on import).
        let others = self
            .tx
            .prepare_cached("SELECT 1 FROM entries WHERE collection = ?1 AND id = ?2 LIMIT 1")?
            .exists(params![self.collection, m.id])?;
        let n = self
            .tx
            .prepare_cached(
                "INSERT OR IGNORE INTO entries(collection, seq, id, type, version, spec_version, added, markings, created_by, ends, first, last)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)",
            )?
            .execute(params![
                self.collection,
                seq,
                m.id,
                m.type_name,
                version,
                m.spec_version,
                added,
                m.markings.join(" "),
                m.created_by_ref,
                share::ends_of(m).join(" "),
                !others
            ])?;
        if n > 0 {
            self.last_added = Some(added);
            if others {
                refresh_flags(self.tx, &self.collection, &m.id)?;
            }
        }
        Ok(())
    }

    fn replaced(&mut self, seq: i64, m: &ObjectMeta) -> rusqlite::Result<()> {
        self.tx
            .prepare_cached(
                "UPDATE entries SET markings = ?2, created_by = ?3, ends = ?4 WHERE seq = ?1",
            )?
            .execute(params![
                seq,
                m.markings.join(" "),
                m.created_by_ref,
                share::ends_of(m).join(" ")
            ])?;
        Ok(())
    }
}

/// Recomputes the first/last flags of an object's entries in a collection.
fn refresh_flags(tx: &Transaction<'_>, collection: &str, id: &str) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "UPDATE entries SET
            first = (version = (SELECT min(version) FROM entries x WHERE x.collection = ?1 AND x.id = ?2)),
            last = (version = (SELECT max(version) FROM entries x WHERE x.collection = ?1 AND x.id = ?2))
         WHERE collection = ?1 AND id = ?2",
    )?
    .execute(params![collection, id])?;
    Ok(())
}

/// Schema 1 -> 2: the sharing tables, and every stored version in `default`.
fn migrate_1_to_2(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(SCHEMA_SHARE)?;
    let id = uuid::Uuid::new_v4().to_string();
    tx.execute(
        "INSERT OR IGNORE INTO collections(id, name, description, default_marking, created) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id, DEFAULT_COLLECTION, "Objects imported without --collection", share::AMBER, now()],
    )?;
    let id: String = tx.query_row(
        "SELECT id FROM collections WHERE name = ?1",
        [DEFAULT_COLLECTION],
        |r| r.get(0),
    )?;
    let rows: Vec<(i64, String, String)> = {
        let mut st = tx.prepare("SELECT seq, version, json FROM objects ORDER BY seq")?;
        let v = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        v
    };
    let mut w = EntryWriter::new(tx, &id)?;
    for (seq, version, json) in rows {
        let Ok(map) = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&json)
        else {
            continue;
        };
        let m = ObjectMeta::from_map(&map);
        w.add(seq, &m, &version)?;
    }
    Ok(())
}
