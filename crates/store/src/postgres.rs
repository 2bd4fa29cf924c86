//! The PostgreSQL backend (the `postgres` crate: tokio-postgres behind a blocking
//! client), chosen by `--database-url` or `STORMWATCH_DATABASE_URL`.
//!
//! Same layout as the SQLite backend; full-text search uses a weighted `tsvector`.
//! Writers take a transaction-scoped advisory lock, so commit-sequence numbers
//! (`objects.seq`, `entries.cseq`) are handed out in commit order even with several
//! `serve` processes on one database: a reader paging by `cseq` never skips an entry
//! that commits later. Migrations are numbered in `meta.schema_version` and run under
//! a session advisory lock, so processes starting together migrate once.

use ::postgres::{Client, NoTls, Row, Transaction};
use std::collections::HashSet;

use crate::share;
use crate::*;
use stormwatch_model::{normalize_name, ObjectMeta};

/// Advisory lock keys: writers and migrations.
const WRITE_LOCK: i64 = 0x5357_0001;
const MIGRATE_LOCK: i64 = 0x5357_0002;

/// Numbered migrations; `meta.schema_version` says how many ran.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE objects(
    seq BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL,
    version TEXT NOT NULL,
    type TEXT NOT NULL,
    spec_version TEXT NOT NULL,
    revoked BOOLEAN NOT NULL,
    deprecated BOOLEAN NOT NULL,
    json TEXT NOT NULL,
    UNIQUE(id, version)
);
CREATE TABLE current(
    id TEXT PRIMARY KEY,
    seq BIGINT NOT NULL,
    type TEXT NOT NULL,
    version TEXT NOT NULL,
    name TEXT,
    revoked BOOLEAN NOT NULL,
    deprecated BOOLEAN NOT NULL
);
CREATE INDEX current_type ON current(type);
CREATE INDEX current_seq ON current(seq);
CREATE TABLE names(n BIGSERIAL PRIMARY KEY, id TEXT NOT NULL, norm TEXT NOT NULL, name TEXT NOT NULL);
CREATE INDEX names_norm ON names(norm);
CREATE INDEX names_id ON names(id);
CREATE TABLE external_ids(n BIGSERIAL PRIMARY KEY, id TEXT NOT NULL, source TEXT NOT NULL, ext_id TEXT NOT NULL, norm TEXT NOT NULL);
CREATE INDEX external_ids_norm ON external_ids(norm);
CREATE INDEX external_ids_id ON external_ids(id);
CREATE TABLE edges(rel_id TEXT NOT NULL, kind TEXT NOT NULL, source TEXT NOT NULL, target TEXT NOT NULL);
CREATE INDEX edges_source ON edges(source);
CREATE INDEX edges_target ON edges(target);
CREATE INDEX edges_rel ON edges(rel_id);
CREATE INDEX edges_kind ON edges(kind);
CREATE TABLE refs(from_id TEXT NOT NULL, prop TEXT NOT NULL, to_id TEXT NOT NULL);
CREATE INDEX refs_from ON refs(from_id);
CREATE INDEX refs_to ON refs(to_id);
CREATE TABLE markings(seq BIGINT NOT NULL, marking TEXT NOT NULL);
CREATE INDEX markings_marking ON markings(marking);
CREATE INDEX markings_seq ON markings(seq);
CREATE TABLE fts(seq BIGINT PRIMARY KEY, doc TSVECTOR NOT NULL);
CREATE INDEX fts_doc ON fts USING GIN(doc);
CREATE TABLE collections(id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE,
    description TEXT, default_marking TEXT NOT NULL, created TEXT NOT NULL);
CREATE TABLE entries(
    cseq BIGSERIAL PRIMARY KEY,
    collection TEXT NOT NULL,
    seq BIGINT NOT NULL,
    id TEXT NOT NULL,
    type TEXT NOT NULL,
    version TEXT NOT NULL,
    spec_version TEXT NOT NULL,
    added TEXT NOT NULL,
    markings TEXT NOT NULL,
    created_by TEXT,
    ends TEXT NOT NULL,
    first BOOLEAN NOT NULL DEFAULT FALSE,
    last BOOLEAN NOT NULL DEFAULT FALSE,
    UNIQUE(collection, seq)
);
CREATE INDEX entries_coll ON entries(collection, cseq);
CREATE INDEX entries_id ON entries(collection, id);
CREATE INDEX entries_latest ON entries(id) WHERE last;
CREATE TABLE orgs(id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, created TEXT NOT NULL);
CREATE TABLE org_identities(org TEXT NOT NULL, identity TEXT NOT NULL, PRIMARY KEY(org, identity));
CREATE TABLE org_clients(org TEXT NOT NULL, client TEXT NOT NULL, PRIMARY KEY(org, client));
CREATE TABLE users(id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, org TEXT NOT NULL, created TEXT NOT NULL);
CREATE TABLE tokens(id TEXT PRIMARY KEY, user_name TEXT NOT NULL, hash TEXT NOT NULL UNIQUE,
    created TEXT NOT NULL, expires TEXT, revoked TEXT);
CREATE TABLE grants(principal_kind TEXT NOT NULL, principal TEXT NOT NULL, target_kind TEXT NOT NULL,
    target TEXT NOT NULL, permission TEXT NOT NULL, PRIMARY KEY(principal_kind, principal, target_kind, target));
CREATE TABLE access_log(n BIGSERIAL PRIMARY KEY, time TEXT NOT NULL, token TEXT NOT NULL,
    user_name TEXT NOT NULL, org TEXT NOT NULL, collection TEXT NOT NULL, object_id TEXT NOT NULL, version TEXT NOT NULL,
    tlp TEXT NOT NULL, endpoint TEXT NOT NULL);
CREATE TABLE status(id TEXT PRIMARY KEY, owner TEXT NOT NULL, created TEXT NOT NULL, json TEXT NOT NULL);
"#,
    r#"
CREATE FUNCTION stormwatch_entries_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO meta(key, value) VALUES ('entries_generation', '1')
    ON CONFLICT (key) DO UPDATE SET value = (meta.value::BIGINT + 1)::TEXT;
    RETURN NULL;
END $$;
CREATE TRIGGER entries_moved AFTER INSERT OR DELETE OR UPDATE OF last, first, id, collection ON entries
    FOR EACH STATEMENT EXECUTE FUNCTION stormwatch_entries_moved();
"#,
];

/// A knowledge base in a PostgreSQL database.
pub struct PostgresStore {
    client: std::cell::RefCell<Client>,
    url: String,
    target: Option<String>,
    /// Prepared statements by SQL text: one round trip a query instead of two.
    stmts: std::cell::RefCell<std::collections::HashMap<String, ::postgres::Statement>>,
}

type PgResult<T> = std::result::Result<T, ::postgres::Error>;

impl PostgresStore {
    /// Connects and runs pending migrations.
    pub fn open(url: &str) -> Result<PostgresStore> {
        let client = Client::connect(url, NoTls).map_err(|e| StoreError::Open {
            path: redact_url(url),
            message: format!("cannot connect: {e}"),
        })?;
        let mut s = PostgresStore {
            client: std::cell::RefCell::new(client),
            url: url.to_owned(),
            target: None,
            stmts: Default::default(),
        };
        s.migrate()?;
        Ok(s)
    }

    fn err(&self, e: ::postgres::Error) -> StoreError {
        StoreError::Open {
            path: redact_url(&self.url),
            message: e.to_string(),
        }
    }

    fn migrate(&mut self) -> Result<()> {
        let url = self.url.clone();
        let err = |e: ::postgres::Error| StoreError::Open {
            path: redact_url(&url),
            message: e.to_string(),
        };
        let c = self.client.get_mut();
        c.execute("SELECT pg_advisory_lock($1)", &[&MIGRATE_LOCK])
            .map_err(err)?;
        let r = (|| -> Result<()> {
            c.batch_execute(
                "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            )
            .map_err(err)?;
            let v: Option<String> = c
                .query_opt("SELECT value FROM meta WHERE key = 'schema_version'", &[])
                .map_err(err)?
                .map(|r| r.get(0));
            // The PostgreSQL schema starts at version 2 (SQLite's first sharing schema).
            let done = match v.as_deref().map(str::parse::<usize>) {
                None => 0,
                Some(Ok(n)) if n >= 2 && n - 1 <= MIGRATIONS.len() => n - 1,
                Some(v) => {
                    return Err(StoreError::Open {
                        path: redact_url(&url),
                        message: format!(
                            "schema version {v:?} is not one this Stormwatch knows (up to {})",
                            MIGRATIONS.len() + 1
                        ),
                    })
                }
            };
            for (i, m) in MIGRATIONS.iter().enumerate().skip(done) {
                let mut tx = c.transaction().map_err(err)?;
                tx.batch_execute(m).map_err(err)?;
                tx.execute(
                    "INSERT INTO meta(key, value) VALUES ('schema_version', $1)
                     ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                    &[&(i + 2).to_string()],
                )
                .map_err(err)?;
                tx.commit().map_err(err)?;
            }
            Ok(())
        })();
        let _ = c.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATE_LOCK]);
        r
    }

    fn query(
        &self,
        sql: &str,
        params: &[&(dyn ::postgres::types::ToSql + Sync)],
    ) -> Result<Vec<Row>> {
        let mut client = self.client.borrow_mut();
        let mut stmts = self.stmts.borrow_mut();
        let st = match stmts.get(sql) {
            Some(st) => st.clone(),
            None => {
                let st = client.prepare(sql).map_err(|e| self.err(e))?;
                if stmts.len() >= 256 {
                    stmts.clear();
                }
                stmts.insert(sql.to_owned(), st.clone());
                st
            }
        };
        client.query(&st, params).map_err(|e| self.err(e))
    }

    /// (generation, keys) from a statement selecting (key, generation).
    fn keys(
        &self,
        sql: &str,
        params: &[&(dyn ::postgres::types::ToSql + Sync)],
    ) -> Result<Generational<i64>> {
        let rows = self.query(sql, params)?;
        let mut generation = None;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(r.try_get::<_, i64>(0).map_err(|e| self.err(e))?);
            generation = Some(r.try_get::<_, i64>(1).map_err(|e| self.err(e))?);
        }
        Ok((generation, out))
    }

    fn objects(
        &self,
        sql: &str,
        params: &[&(dyn ::postgres::types::ToSql + Sync)],
    ) -> Result<Vec<StoredObject>> {
        Ok(self.query(sql, params)?.iter().map(row_to_object).collect())
    }

    fn collection_by_name(&self, name: &str) -> Result<Option<Collection>> {
        Ok(self
            .query(
                "SELECT id, name, description, default_marking, created FROM collections WHERE name = $1",
                &[&name],
            )?
            .first()
            .map(row_to_collection))
    }
}

const CURRENT_COLS: &str =
    "c.id, c.type, c.version, c.name, c.revoked, c.deprecated, o.seq, o.json";

fn row_to_object(r: &Row) -> StoredObject {
    StoredObject {
        id: r.get(0),
        type_name: r.get(1),
        version: r.get(2),
        name: r.get(3),
        revoked: r.get(4),
        deprecated: r.get(5),
        seq: r.get(6),
        json: r.get(7),
    }
}

const ENTRY_COLS: &str = "e.cseq, e.collection, e.id, e.type, e.version, e.spec_version, e.added, \
     e.markings, e.created_by, e.ends, e.first, e.last, e.seq";

/// The content generation (see [`Store::json_by_seq`]) as a scalar subquery: 0
/// until a write first replaces a stored version in place.
const GENERATION: &str =
    "coalesce((SELECT value::BIGINT FROM meta WHERE key = 'content_generation'), 0)";

fn split_list(s: String) -> Vec<String> {
    s.split(' ')
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect()
}

fn row_to_entry(r: &Row) -> Entry {
    Entry {
        cseq: r.get(0),
        collection: r.get(1),
        id: r.get(2),
        type_name: r.get(3),
        version: r.get(4),
        spec_version: r.get(5),
        added: r.get(6),
        markings: split_list(r.get(7)),
        created_by: r.get(8),
        ends: split_list(r.get(9)),
        first: r.get(10),
        last: r.get(11),
        seq: r.get(12),
        json: r.get(13),
    }
}

fn row_to_collection(r: &Row) -> Collection {
    Collection {
        id: r.get(0),
        name: r.get(1),
        description: r.get(2),
        default_marking: r.get(3),
        created: r.get(4),
    }
}

fn row_to_token(r: &Row) -> Token {
    Token {
        id: r.get(0),
        user: r.get(1),
        created: r.get(2),
        expires: r.get(3),
        revoked: r.get(4),
    }
}

fn now() -> String {
    stormwatch_model::Timestamp::now().to_string()
}

/// Same JSON value (formatting and key order aside).
fn same_json(a: &str, b: &str) -> bool {
    match (
        serde_json::from_str::<serde_json::Value>(a),
        serde_json::from_str::<serde_json::Value>(b),
    ) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// A weighted search document: name A, external ids B, aliases C, description D.
const FTS_DOC: &str = "setweight(to_tsvector('simple', coalesce($2, '')), 'A') || \
     setweight(to_tsvector('simple', coalesce($4, '')), 'B') || \
     setweight(to_tsvector('simple', coalesce($3, '')), 'C') || \
     setweight(to_tsvector('simple', coalesce($5, '')), 'D')";

fn write_tx(
    tx: &mut Transaction<'_>,
    collection: &str,
    objects: &[StixObject<'_>],
    progress: &mut dyn FnMut(usize),
) -> PgResult<WriteReport> {
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])?;
    let mut report = WriteReport::default();
    let mut last_added: Option<String> = tx
        .query_opt("SELECT added FROM entries ORDER BY cseq DESC LIMIT 1", &[])?
        .map(|r| r.get(0));
    let find = tx.prepare("SELECT seq, json FROM objects WHERE id = $1 AND version = $2")?;
    let insert = tx.prepare(
        "INSERT INTO objects(id, version, type, spec_version, revoked, deprecated, json)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING seq",
    )?;
    let replace =
        tx.prepare("UPDATE objects SET json = $2, revoked = $3, deprecated = $4 WHERE seq = $1")?;
    let get_current = tx.prepare("SELECT seq, version FROM current WHERE id = $1")?;
    let put_current = tx.prepare(
        "INSERT INTO current(id, seq, type, version, name, revoked, deprecated)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (id) DO UPDATE SET seq = EXCLUDED.seq, type = EXCLUDED.type,
            version = EXCLUDED.version, name = EXCLUDED.name, revoked = EXCLUDED.revoked,
            deprecated = EXCLUDED.deprecated",
    )?;
    let add_marking = tx.prepare("INSERT INTO markings(seq, marking) VALUES ($1, $2)")?;
    let del_markings = tx.prepare("DELETE FROM markings WHERE seq = $1")?;
    let add_entry = tx.prepare(
        "INSERT INTO entries(collection, seq, id, type, version, spec_version, added, markings, created_by, ends)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (collection, seq) DO NOTHING",
    )?;
    let upd_entry =
        tx.prepare("UPDATE entries SET markings = $2, created_by = $3, ends = $4 WHERE seq = $1")?;
    for (i, obj) in objects.iter().enumerate() {
        if i % 1024 == 0 {
            progress(i);
        }
        let m = &obj.meta;
        let version = m.version_key();
        let existing: Option<(i64, String)> = tx
            .query_opt(&find, &[&m.id, &version])?
            .map(|r| (r.get(0), r.get(1)));
        let mut add = |tx: &mut Transaction<'_>, seq: i64| -> PgResult<()> {
            let added = share::next_added(last_added.as_deref());
            let n = tx.execute(
                &add_entry,
                &[
                    &collection,
                    &seq,
                    &m.id,
                    &m.type_name,
                    &version,
                    &m.spec_version,
                    &added,
                    &m.markings.join(" "),
                    &m.created_by_ref,
                    &share::ends_of(m).join(" "),
                ],
            )?;
            if n > 0 {
                last_added = Some(added);
                refresh_flags(tx, collection, &m.id)?;
            }
            Ok(())
        };
        let seq = match existing {
            Some((seq, ref json)) if json.as_str() == obj.text || same_json(json, &obj.text) => {
                report.unchanged += 1;
                add(tx, seq)?;
                continue;
            }
            Some((seq, _)) => {
                tx.execute(
                    &replace,
                    &[&seq, &obj.text.as_ref(), &m.revoked, &m.deprecated],
                )?;
                // The JSON of a stored version changed: caches keyed on seq must
                // not serve the old one (see `Store::json_by_seq`).
                tx.execute(
                    "INSERT INTO meta(key, value) VALUES ('content_generation', '1')
                     ON CONFLICT (key) DO UPDATE SET value = (meta.value::BIGINT + 1)::TEXT",
                    &[],
                )?;
                tx.execute(&del_markings, &[&seq])?;
                tx.execute(
                    &upd_entry,
                    &[
                        &seq,
                        &m.markings.join(" "),
                        &m.created_by_ref,
                        &share::ends_of(m).join(" "),
                    ],
                )?;
                report.replaced.push(m.id.clone());
                seq
            }
            None => {
                let r = tx.query_one(
                    &insert,
                    &[
                        &m.id,
                        &version,
                        &m.type_name,
                        &m.spec_version,
                        &m.revoked,
                        &m.deprecated,
                        &obj.text.as_ref(),
                    ],
                )?;
                report.imported += 1;
                r.get(0)
            }
        };
        for mk in &m.markings {
            tx.execute(&add_marking, &[&seq, mk])?;
        }
        add(tx, seq)?;
        let cur: Option<(i64, String)> = tx
            .query_opt(&get_current, &[&m.id])?
            .map(|r| (r.get(0), r.get(1)));
        let newest = match &cur {
            None => true,
            Some((cur_seq, cur_version)) => version >= *cur_version || *cur_seq == seq,
        };
        if !newest {
            continue;
        }
        if let Some((old_seq, _)) = cur {
            for sql in [
                "DELETE FROM names WHERE id = $1",
                "DELETE FROM external_ids WHERE id = $1",
                "DELETE FROM edges WHERE rel_id = $1",
                "DELETE FROM refs WHERE from_id = $1",
            ] {
                tx.execute(sql, &[&m.id])?;
            }
            tx.execute("DELETE FROM fts WHERE seq = $1", &[&old_seq])?;
        }
        tx.execute(
            &put_current,
            &[
                &m.id,
                &seq,
                &m.type_name,
                &version,
                &m.name,
                &m.revoked,
                &m.deprecated,
            ],
        )?;
        index(tx, seq, m)?;
    }
    progress(objects.len());
    Ok(report)
}

fn index(tx: &mut Transaction<'_>, seq: i64, m: &ObjectMeta) -> PgResult<()> {
    for n in m.name.iter().chain(&m.aliases) {
        let norm = normalize_name(n);
        if !norm.is_empty() {
            tx.execute(
                "INSERT INTO names(id, norm, name) VALUES ($1, $2, $3)",
                &[&m.id, &norm, n],
            )?;
        }
    }
    for e in &m.external_ids {
        tx.execute(
            "INSERT INTO external_ids(id, source, ext_id, norm) VALUES ($1, $2, $3, $4)",
            &[&m.id, &e.source, &e.id, &e.id.to_uppercase()],
        )?;
    }
    for e in &m.edges {
        tx.execute(
            "INSERT INTO edges(rel_id, kind, source, target) VALUES ($1, $2, $3, $4)",
            &[&m.id, &e.kind, &e.source, &e.target],
        )?;
    }
    for (p, t) in &m.refs {
        tx.execute(
            "INSERT INTO refs(from_id, prop, to_id) VALUES ($1, $2, $3)",
            &[&m.id, p, t],
        )?;
    }
    if !m.edges.is_empty() {
        return Ok(());
    }
    let ext: Vec<&str> = m.external_ids.iter().map(|e| e.id.as_str()).collect();
    // Punctuation splits words as in the SQLite tokenizer: "S1206" and "T0800" stay whole.
    tx.execute(
        &format!("INSERT INTO fts(seq, doc) VALUES ($1, {FTS_DOC})"),
        &[
            &seq,
            &m.name.as_deref().map(fts_text),
            &fts_text(&m.aliases.join(" ; ")),
            &fts_text(&ext.join(" ")),
            &m.description.as_deref().map(fts_text),
        ],
    )?;
    Ok(())
}

/// Lower-cased words separated by spaces (what both backends index).
fn fts_text(s: &str) -> String {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Every word must occur as a prefix; nothing in the input is tsquery syntax.
fn ts_query(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| format!("{}:*", w.to_lowercase()))
        .collect();
    (!words.is_empty()).then(|| words.join(" & "))
}

fn refresh_flags(tx: &mut Transaction<'_>, collection: &str, id: &str) -> PgResult<()> {
    tx.execute(
        "UPDATE entries SET
            first = (version = (SELECT min(version) FROM entries x WHERE x.collection = $1 AND x.id = $2)),
            last = (version = (SELECT max(version) FROM entries x WHERE x.collection = $1 AND x.id = $2))
         WHERE collection = $1 AND id = $2",
        &[&collection, &id],
    )?;
    Ok(())
}

/// Parameters for a dynamically built query.
struct Args(Vec<Box<dyn ::postgres::types::ToSql + Sync>>);

impl Args {
    fn push<T: ::postgres::types::ToSql + Sync + 'static>(&mut self, v: T) -> String {
        self.0.push(Box::new(v));
        format!("${}", self.0.len())
    }
    fn list(&mut self, vals: &[String]) -> String {
        vals.iter()
            .map(|v| self.push(v.clone()))
            .collect::<Vec<_>>()
            .join(", ")
    }
    fn refs(&self) -> Vec<&(dyn ::postgres::types::ToSql + Sync)> {
        self.0.iter().map(|b| b.as_ref() as _).collect()
    }
}

/// `SELECT {select} FROM entries e{join} WHERE ...` for a listing.
fn entries_sql(
    select: &str,
    join: &str,
    collection_id: &str,
    filter: &EntryFilter,
    limit: usize,
) -> (String, Args) {
    let mut a = Args(Vec::new());
    let pc = a.push(collection_id.to_owned());
    let pa = a.push(filter.after_cseq);
    let mut sql =
        format!("SELECT {select} FROM entries e{join} WHERE e.collection = {pc} AND e.cseq > {pa}");
    for (col, vals) in [
        ("e.id", &filter.ids),
        ("e.type", &filter.types),
        ("e.spec_version", &filter.spec_versions),
    ] {
        if !vals.is_empty() {
            let l = a.list(vals);
            sql.push_str(&format!(" AND {col} IN ({l})"));
        }
    }
    if let Some(x) = &filter.added_after {
        let p = a.push(x.clone());
        sql.push_str(&format!(" AND e.added > {p}"));
    }
    let v = &filter.versions;
    if !v.all {
        let mut parts = Vec::new();
        if v.last || (!v.first && v.exact.is_empty()) {
            parts.push("e.last".to_owned());
        }
        if v.first {
            parts.push("e.first".to_owned());
        }
        if !v.exact.is_empty() {
            let l = a.list(&v.exact);
            parts.push(format!("e.version IN ({l})"));
        }
        sql.push_str(&format!(" AND ({})", parts.join(" OR ")));
    }
    sql.push_str(&format!(
        " ORDER BY e.cseq LIMIT {}",
        limit.min(i64::MAX as usize)
    ));
    (sql, a)
}

impl Store for PostgresStore {
    fn write(
        &mut self,
        objects: &[StixObject<'_>],
        progress: &mut dyn FnMut(usize),
    ) -> Result<WriteReport> {
        let collection = match &self.target {
            Some(c) => c.clone(),
            None => self.use_collection(DEFAULT_COLLECTION)?.id,
        };
        let url = self.url.clone();
        let err = |e: ::postgres::Error| StoreError::Open {
            path: redact_url(&url),
            message: e.to_string(),
        };
        let mut c = self.client.borrow_mut();
        let mut tx = c.transaction().map_err(err)?;
        let report = write_tx(&mut tx, &collection, objects, progress).map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(report)
    }

    fn existing_ids(&self, ids: &[&str]) -> Result<Vec<String>> {
        let v: Vec<String> = ids.iter().map(|s| (*s).to_owned()).collect();
        let found: HashSet<String> = self
            .query("SELECT id FROM current WHERE id = ANY($1)", &[&v])?
            .iter()
            .map(|r| r.get(0))
            .collect();
        Ok(v.into_iter().filter(|i| found.contains(i)).collect())
    }

    fn relationships_of_type(&self, types: &[&str]) -> Result<Vec<StoredObject>> {
        let t: Vec<String> = types.iter().map(|s| (*s).to_owned()).collect();
        self.objects(
            &format!(
                "SELECT {CURRENT_COLS} FROM current c JOIN objects o ON o.seq = c.seq
                 WHERE c.id IN (SELECT rel_id FROM edges WHERE kind = ANY($1)) ORDER BY o.seq"
            ),
            &[&t],
        )
    }

    fn names_of_type(&self, types: &[&str]) -> Result<Vec<(String, Option<String>)>> {
        let t: Vec<String> = types.iter().map(|s| (*s).to_owned()).collect();
        Ok(self
            .query(
                "SELECT id, name FROM current WHERE NOT revoked AND type = ANY($1)",
                &[&t],
            )?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect())
    }

    fn get(&self, id: &str) -> Result<Option<StoredObject>> {
        Ok(self
            .objects(
                &format!(
                    "SELECT {CURRENT_COLS} FROM current c JOIN objects o ON o.seq = c.seq WHERE c.id = $1"
                ),
                &[&id],
            )?
            .pop())
    }

    fn versions(&self, id: &str) -> Result<Vec<StoredObject>> {
        self.objects(
            "SELECT o.id, o.type, o.version, NULL::TEXT, o.revoked, o.deprecated, o.seq, o.json
             FROM objects o WHERE o.id = $1 ORDER BY o.version, o.seq",
            &[&id],
        )
    }

    fn resolve(&self, key: &str) -> Result<Vec<StoredObject>> {
        let key = key.trim();
        if stormwatch_model::object::check_id(key).is_ok() {
            return Ok(self.get(key)?.into_iter().collect());
        }
        let upper = key.to_uppercase();
        let norm = normalize_name(key);
        let mut found = self.objects(
            &format!(
                "SELECT {CURRENT_COLS} FROM current c JOIN objects o ON o.seq = c.seq
                 WHERE c.id IN (SELECT id FROM external_ids WHERE norm = $1)
                    OR c.id IN (SELECT id FROM names WHERE norm = $2)"
            ),
            &[&upper, &norm],
        )?;
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
        let names: Vec<String> = self
            .query(
                "SELECT DISTINCT n.name FROM names n JOIN current c ON c.id = n.id
                 WHERE NOT c.revoked AND c.type NOT IN ('relationship', 'sighting', 'indicator')
                 UNION SELECT DISTINCT ext_id FROM external_ids",
                &[],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let mut scored: Vec<(f64, String)> = names
            .into_iter()
            .map(|name| {
                let x = normalize_name(&name);
                let mut s = strsim::jaro_winkler(&norm, &x);
                if x.contains(&norm) || norm.contains(&x) {
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
        Ok(self
            .query("SELECT name FROM names WHERE id = $1 ORDER BY n", &[&id])?
            .iter()
            .map(|r| r.get(0))
            .collect())
    }

    fn external_ids(&self, id: &str) -> Result<Vec<(String, String)>> {
        Ok(self
            .query(
                "SELECT source, ext_id FROM external_ids WHERE id = $1 ORDER BY n",
                &[&id],
            )?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect())
    }

    fn relationships(&self, id: &str) -> Result<Vec<RelationshipView>> {
        let rows = self.query(
            "SELECT e.rel_id, e.kind, 'outgoing', e.target,
                    t.name, (SELECT ext_id FROM external_ids x WHERE x.id = e.target ORDER BY n LIMIT 1)
             FROM edges e JOIN current r ON r.id = e.rel_id LEFT JOIN current t ON t.id = e.target
             WHERE e.source = $1 AND NOT r.revoked
             UNION ALL
             SELECT e.rel_id, e.kind, 'incoming', e.source,
                    t.name, (SELECT ext_id FROM external_ids x WHERE x.id = e.source ORDER BY n LIMIT 1)
             FROM edges e JOIN current r ON r.id = e.rel_id LEFT JOIN current t ON t.id = e.source
             WHERE e.target = $1 AND NOT r.revoked",
            &[&id],
        )?;
        let mut out: Vec<RelationshipView> = rows
            .iter()
            .map(|r| {
                let other_id: String = r.get(3);
                let dir: String = r.get(2);
                RelationshipView {
                    relationship_id: r.get(0),
                    kind: r.get(1),
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
                    other_name: r.get(4),
                    other_external_id: r.get(5),
                }
            })
            .collect();
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
        let Some(tsq) = ts_query(&q.text) else {
            return Ok(Vec::new());
        };
        let mut a = Args(Vec::new());
        let p = a.push(tsq);
        // Weights as the SQLite backend: name 10, external ids 8, aliases 6, description 1.
        let mut sql = format!(
            "SELECT c.id, c.type, c.name,
                    (SELECT ext_id FROM external_ids x WHERE x.id = c.id ORDER BY n LIMIT 1),
                    ts_rank('{{0.1, 0.6, 0.8, 1.0}}', f.doc, to_tsquery('simple', {p}))::FLOAT8 * 10.0 AS score
             FROM fts f JOIN current c ON c.seq = f.seq
             WHERE f.doc @@ to_tsquery('simple', {p})"
        );
        if !q.include_revoked {
            sql.push_str(" AND NOT c.revoked AND NOT c.deprecated");
        }
        if !q.types.is_empty() {
            let l = a.list(&q.types);
            sql.push_str(&format!(" AND c.type IN ({l})"));
        }
        sql.push_str(&format!(
            " ORDER BY score DESC, c.name LIMIT {}",
            q.limit.clamp(1, i64::MAX as usize)
        ));
        Ok(self
            .query(&sql, &a.refs())?
            .iter()
            .map(|r| SearchHit {
                id: r.get(0),
                type_name: r.get(1),
                name: r.get(2),
                external_id: r.get(3),
                score: (r.get::<_, f64>(4) * 1000.0).round() / 1000.0,
            })
            .collect())
    }

    fn export(
        &self,
        filter: &ExportFilter,
        sink: &mut dyn FnMut(&StoredObject) -> std::io::Result<()>,
    ) -> Result<u64> {
        let mut a = Args(Vec::new());
        let mut sql = if filter.all_versions {
            String::from(
                "SELECT o.id, o.type, o.version, NULL::TEXT, o.revoked, o.deprecated, o.seq, o.json
                 FROM objects o WHERE TRUE",
            )
        } else {
            format!(
                "SELECT {CURRENT_COLS} FROM current c JOIN objects o ON o.seq = c.seq WHERE TRUE"
            )
        };
        if !filter.types.is_empty() {
            let l = a.list(&filter.types);
            sql.push_str(&format!(" AND o.type IN ({l})"));
        }
        if let Some(since) = &filter.since {
            let p = a.push(since.clone());
            sql.push_str(&format!(" AND o.version >= {p}"));
        }
        if !filter.markings.is_empty() {
            let l = a.list(&filter.markings);
            sql.push_str(&format!(
                " AND o.seq IN (SELECT seq FROM markings WHERE marking IN ({l}))"
            ));
        }
        sql.push_str(" ORDER BY o.seq");
        let mut n = 0;
        for r in self.query(&sql, &a.refs())? {
            let o = row_to_object(&r);
            sink(&o).map_err(|e| StoreError::Open {
                path: redact_url(&self.url),
                message: format!("writing export: {e}"),
            })?;
            n += 1;
        }
        Ok(n)
    }

    fn stats(&self) -> Result<Stats> {
        let one = |sql: &str| -> Result<u64> {
            Ok(self
                .query(sql, &[])?
                .first()
                .map_or(0, |r| r.get::<_, i64>(0)) as u64)
        };
        let types = self
            .query(
                "SELECT type, count(*) FROM current GROUP BY type ORDER BY count(*) DESC, type",
                &[],
            )?
            .iter()
            .map(|r| TypeCount {
                type_name: r.get(0),
                count: r.get::<_, i64>(1) as u64,
            })
            .collect();
        Ok(Stats {
            store: redact_url(&self.url),
            bytes: one("SELECT pg_database_size(current_database())")?,
            objects: one("SELECT count(*) FROM current")?,
            versions: one("SELECT count(*) FROM objects")?,
            revoked: one("SELECT count(*) FROM current WHERE revoked")?,
            types,
        })
    }

    fn use_collection(&mut self, name: &str) -> Result<Collection> {
        let c = match self.collection_by_name(name)? {
            Some(c) => c,
            None if name == DEFAULT_COLLECTION => {
                match self.collection_add(
                    DEFAULT_COLLECTION,
                    Some("Objects imported without --collection"),
                    share::AMBER,
                ) {
                    Ok(c) => c,
                    // Another process created it meanwhile.
                    Err(StoreError::Conflict(_)) | Err(StoreError::Open { .. }) => self
                        .collection_by_name(name)?
                        .ok_or_else(|| StoreError::NotFound(name.to_owned()))?,
                    Err(e) => return Err(e),
                }
            }
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
        self.query(
            "INSERT INTO collections(id, name, description, default_marking, created) VALUES ($1, $2, $3, $4, $5)",
            &[&c.id, &c.name, &c.description, &c.default_marking, &c.created],
        )?;
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
            ("NULL::TEXT", "")
        };
        let (sql, a) = entries_sql(
            &format!("{ENTRY_COLS}, {json}, NULL::BIGINT"),
            join,
            collection_id,
            filter,
            limit,
        );
        Ok(self
            .query(&sql, &a.refs())?
            .iter()
            .map(row_to_entry)
            .collect())
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
        let (sql, a) = entries_sql(
            &format!("e.cseq, {GENERATION}"),
            "",
            collection_id,
            filter,
            limit,
        );
        self.keys(&sql, &a.refs())
    }

    fn latest_entry_keys(&self, ids: &[String]) -> Result<Generational<i64>> {
        self.keys(
            &format!("SELECT e.cseq, {GENERATION} FROM entries e WHERE e.last AND e.id = ANY($1)"),
            &[&ids],
        )
    }

    fn entries_generation(&self) -> Result<Option<i64>> {
        Ok(self
            .query(
                "SELECT coalesce((SELECT value::BIGINT FROM meta WHERE key = 'entries_generation'), 0)",
                &[],
            )?
            .first()
            .map(|r| r.get::<_, i64>(0)))
    }

    fn entries_by_cseq(&self, cseqs: &[i64]) -> Result<Generational<Entry>> {
        if cseqs.is_empty() {
            return Ok((None, Vec::new()));
        }
        let rows = self.query(
            &format!(
                "SELECT {ENTRY_COLS}, NULL::TEXT, {GENERATION} FROM entries e WHERE e.cseq = ANY($1)"
            ),
            &[&cseqs],
        )?;
        let mut generation = None;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            generation = Some(r.try_get::<_, i64>(14).map_err(|e| self.err(e))?);
            out.push(row_to_entry(r));
        }
        Ok((generation, out))
    }

    fn json_by_seq(&self, seqs: &[i64]) -> Result<Generational<(i64, String)>> {
        if seqs.is_empty() {
            return Ok((None, Vec::new()));
        }
        let rows = self.query(
            &format!("SELECT seq, json, {GENERATION} FROM objects WHERE seq = ANY($1)"),
            &[&seqs],
        )?;
        let mut generation = None;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            generation = Some(r.try_get::<_, i64>(2).map_err(|e| self.err(e))?);
            out.push((
                r.try_get::<_, i64>(0).map_err(|e| self.err(e))?,
                r.try_get::<_, String>(1).map_err(|e| self.err(e))?,
            ));
        }
        Ok((generation, out))
    }

    fn latest_entries(&self, ids: &[String]) -> Result<Vec<Entry>> {
        Ok(self
            .query(
                &format!("SELECT {ENTRY_COLS}, NULL::TEXT, NULL::BIGINT FROM entries e WHERE e.last AND e.id = ANY($1)"),
                &[&ids],
            )?
            .iter()
            .map(row_to_entry)
            .collect())
    }

    fn delete_entries(
        &mut self,
        collection_id: &str,
        id: &str,
        versions: &VersionMatch,
        spec_versions: &[String],
    ) -> Result<usize> {
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
        let doomed: Vec<i64> = self
            .entries(collection_id, &filter, usize::MAX >> 2, false)?
            .iter()
            .map(|e| e.cseq)
            .collect();
        let url = self.url.clone();
        let err = |e: ::postgres::Error| StoreError::Open {
            path: redact_url(&url),
            message: e.to_string(),
        };
        let mut c = self.client.borrow_mut();
        let mut tx = c.transaction().map_err(err)?;
        tx.execute("DELETE FROM entries WHERE cseq = ANY($1)", &[&doomed])
            .map_err(err)?;
        refresh_flags(&mut tx, collection_id, id).map_err(err)?;
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
        let url = self.url.clone();
        let err = |e: ::postgres::Error| StoreError::Open {
            path: redact_url(&url),
            message: e.to_string(),
        };
        let mut c = self.client.borrow_mut();
        let mut tx = c.transaction().map_err(err)?;
        tx.execute(
            "INSERT INTO orgs(id, name, created) VALUES ($1, $2, $3)",
            &[&org.id, &org.name, &org.created],
        )
        .map_err(err)?;
        for i in identities {
            tx.execute(
                "INSERT INTO org_identities(org, identity) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[&name, i],
            )
            .map_err(err)?;
        }
        for owner in client_of {
            tx.execute(
                "INSERT INTO org_clients(org, client) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[owner, &name],
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
        self.query(
            "INSERT INTO users(id, name, org, created) VALUES ($1, $2, $3, $4)",
            &[&u.id, &u.name, &u.org, &u.created],
        )?;
        Ok(u)
    }

    fn token_add(&mut self, user: &str, hash: &str, expires: Option<&str>) -> Result<Token> {
        if self
            .query("SELECT 1 FROM users WHERE name = $1", &[&user])?
            .is_empty()
        {
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
        self.query(
            "INSERT INTO tokens(id, user_name, hash, created, expires) VALUES ($1, $2, $3, $4, $5)",
            &[&t.id, &t.user, &hash, &t.created, &t.expires],
        )?;
        Ok(t)
    }

    fn token_revoke(&mut self, id: &str) -> Result<bool> {
        let n = self
            .client
            .borrow_mut()
            .execute(
                "UPDATE tokens SET revoked = $2 WHERE id = $1 AND revoked IS NULL",
                &[&id, &now()],
            )
            .map_err(|e| self.err(e))?;
        Ok(n > 0)
    }

    fn grant_add(&mut self, g: &Grant) -> Result<()> {
        let d = self.directory()?;
        crate::sqlite::check_grant(&d, g)?;
        let pk = match g.principal_kind {
            PrincipalKind::User => "user",
            PrincipalKind::Org => "org",
        };
        let tk = match g.target_kind {
            TargetKind::Collection => "collection",
            TargetKind::Object => "object",
        };
        self.query(
            "INSERT INTO grants(principal_kind, principal, target_kind, target, permission)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (principal_kind, principal, target_kind, target)
             DO UPDATE SET permission = EXCLUDED.permission",
            &[&pk, &g.principal, &tk, &g.target, &g.permission.as_str()],
        )?;
        Ok(())
    }

    fn directory(&self) -> Result<Directory> {
        let pairs = |sql: &str| -> Result<Vec<(String, String)>> {
            Ok(self
                .query(sql, &[])?
                .iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect())
        };
        let idents = pairs("SELECT org, identity FROM org_identities ORDER BY identity")?;
        let clients = pairs("SELECT org, client FROM org_clients ORDER BY client")?;
        let orgs = self
            .query("SELECT id, name, created FROM orgs ORDER BY name", &[])?
            .iter()
            .map(|r| {
                let name: String = r.get(1);
                Org {
                    id: r.get(0),
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
                    created: r.get(2),
                }
            })
            .collect();
        let users = self
            .query(
                "SELECT id, name, org, created FROM users ORDER BY name",
                &[],
            )?
            .iter()
            .map(|r| User {
                id: r.get(0),
                name: r.get(1),
                org: r.get(2),
                created: r.get(3),
            })
            .collect();
        let tokens = self
            .query(
                "SELECT id, user_name, created, expires, revoked FROM tokens ORDER BY created, id",
                &[],
            )?
            .iter()
            .map(row_to_token)
            .collect();
        let grants = self
            .query(
                "SELECT principal_kind, principal, target_kind, target, permission FROM grants
                 ORDER BY target_kind, target, principal_kind, principal",
                &[],
            )?
            .iter()
            .map(|r| {
                let pk: String = r.get(0);
                let tk: String = r.get(2);
                let p: String = r.get(4);
                Grant {
                    principal_kind: if pk == "org" {
                        PrincipalKind::Org
                    } else {
                        PrincipalKind::User
                    },
                    principal: r.get(1),
                    target_kind: if tk == "object" {
                        TargetKind::Object
                    } else {
                        TargetKind::Collection
                    },
                    target: r.get(3),
                    permission: if p == "write" {
                        Permission::Write
                    } else {
                        Permission::Read
                    },
                }
            })
            .collect();
        let collections = self
            .query(
                "SELECT id, name, description, default_marking, created FROM collections ORDER BY name",
                &[],
            )?
            .iter()
            .map(row_to_collection)
            .collect();
        Ok(Directory {
            orgs,
            users,
            tokens,
            grants,
            collections,
        })
    }

    fn token_owner(&self, hash: &str) -> Result<Option<TokenOwner>> {
        Ok(self
            .query(
                "SELECT t.id, t.user_name, t.created, t.expires, t.revoked, u.id, u.name, u.org, u.created
                 FROM tokens t JOIN users u ON u.name = t.user_name WHERE t.hash = $1",
                &[&hash],
            )?
            .first()
            .map(|r| TokenOwner {
                token: row_to_token(r),
                user: User {
                    id: r.get(5),
                    name: r.get(6),
                    org: r.get(7),
                    created: r.get(8),
                },
            }))
    }

    fn log_access(&mut self, records: &[AccessRecord]) -> Result<()> {
        if records.is_empty() {
            return Ok(());
        }
        let url = self.url.clone();
        let err = |e: ::postgres::Error| StoreError::Open {
            path: redact_url(&url),
            message: e.to_string(),
        };
        let mut c = self.client.borrow_mut();
        let mut tx = c.transaction().map_err(err)?;
        let st = tx
            .prepare(
                "INSERT INTO access_log(time, token, user_name, org, collection, object_id, version, tlp, endpoint)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .map_err(err)?;
        for a in records {
            tx.execute(
                &st,
                &[
                    &a.time,
                    &a.token,
                    &a.user,
                    &a.org,
                    &a.collection,
                    &a.object_id,
                    &a.version,
                    &a.tlp,
                    &a.endpoint,
                ],
            )
            .map_err(err)?;
        }
        tx.commit().map_err(err)?;
        Ok(())
    }

    fn access_log(&self, limit: usize) -> Result<Vec<AccessRecord>> {
        let limit = limit.min(i64::MAX as usize) as i64;
        Ok(self
            .query(
                "SELECT time, token, user_name, org, collection, object_id, version, tlp, endpoint
                 FROM access_log ORDER BY n DESC LIMIT $1",
                &[&limit],
            )?
            .iter()
            .map(|r| AccessRecord {
                time: r.get(0),
                token: r.get(1),
                user: r.get(2),
                org: r.get(3),
                collection: r.get(4),
                object_id: r.get(5),
                version: r.get(6),
                tlp: r.get(7),
                endpoint: r.get(8),
            })
            .collect())
    }

    fn status_put(&mut self, id: &str, owner: &str, json: &str) -> Result<()> {
        self.query(
            "INSERT INTO status(id, owner, created, json) VALUES ($1, $2, $3, $4)
             ON CONFLICT (id) DO UPDATE SET json = EXCLUDED.json",
            &[&id, &owner, &now(), &json],
        )?;
        Ok(())
    }

    fn status_get(&self, id: &str) -> Result<Option<(String, String)>> {
        Ok(self
            .query("SELECT owner, json FROM status WHERE id = $1", &[&id])?
            .first()
            .map(|r| (r.get(0), r.get(1))))
    }
}
