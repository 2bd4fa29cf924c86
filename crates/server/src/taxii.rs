//! TAXII 2.1: discovery, the API root `/taxii2/root/`, collections, objects (with
//! every match filter, `added_after`, `limit` and `next`), object by id, versions,
//! manifest, POST with a status resource, DELETE.
//!
//! Paging walks the collection's commit sequence (`cseq`), never wall-clock time:
//! `next` is the commit number of the last entry returned, so a page boundary falls
//! between two entries however many share a timestamp, and date-added keys are
//! strictly increasing in commit order, so `added_after` never skips an object
//! committed later by another writer.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, Request, State as AxState};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use std::sync::Arc;

use crate::access::{self, Policy, Principal};
use crate::cache::ObjectCache;
use crate::http::{
    self, check_accept, credential, json_response, with_user, ApiError, STIX, TAXII,
};
use crate::State;
use stormwatch_model::{Limits, Timestamp};
use stormwatch_store::share::display_key;
use stormwatch_store::{AccessRecord, Collection, Entry, Store, VersionMatch};

pub fn routes() -> Router<Arc<State>> {
    let routes: Vec<(&str, axum::routing::MethodRouter<Arc<State>>)> = vec![
        ("/taxii2/", get(discovery)),
        ("/taxii2/root/", get(api_root)),
        ("/taxii2/root/status/{sid}/", get(status)),
        ("/taxii2/root/collections/", get(collections)),
        ("/taxii2/root/collections/{cid}/", get(collection)),
        (
            "/taxii2/root/collections/{cid}/objects/",
            get(objects).post(add_objects),
        ),
        (
            "/taxii2/root/collections/{cid}/objects/{oid}/",
            get(object).delete(delete_object),
        ),
        (
            "/taxii2/root/collections/{cid}/objects/{oid}/versions/",
            get(versions),
        ),
        ("/taxii2/root/collections/{cid}/manifest/", get(manifest)),
    ];
    // Every URL also without its trailing slash (taxii2-client polls status so).
    let mut r = Router::new();
    for (path, m) in routes {
        r = r
            .route(path, m.clone())
            .route(path.trim_end_matches('/'), m);
    }
    r
}

type Q = Result<Query<Vec<(String, String)>>, QueryRejection>;

fn taxii_ok(body: String) -> Response {
    json_response(StatusCode::OK, TAXII, body)
}

fn base_url(headers: &HeaderMap, tls: bool) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        })
        .unwrap_or("localhost");
    format!("{}://{host}", if tls { "https" } else { "http" })
}

async fn discovery(
    AxState(st): AxState<Arc<State>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    check_accept(&headers, TAXII)?;
    let base = base_url(&headers, st.config.tls.is_some());
    let root = format!("{base}/taxii2/root/");
    Ok(taxii_ok(
        serde_json::json!({
            "title": "Stormwatch TAXII 2.1 server",
            "description": "Salt Typhoon class intelligence, shared under TLP 2.0",
            "default": root,
            "api_roots": [root],
        })
        .to_string(),
    ))
}

/// Authenticates, then runs `f` on a blocking thread with the store and the caller.
async fn authed<T, F>(
    state: &Arc<State>,
    headers: &HeaderMap,
    f: F,
) -> Result<(T, String), ApiError>
where
    T: Send + 'static,
    F: FnOnce(&mut dyn Store, &Arc<Policy>, &Principal) -> Result<T, ApiError> + Send + 'static,
{
    let cred = credential(state, headers)?;
    state.with_store(as_caller(cred, f)).await
}

/// `f` run as the caller `cred` authenticates, with the caller's name for logs.
fn as_caller<T, F>(
    cred: http::Credential,
    f: F,
) -> impl FnOnce(&mut dyn Store, &Arc<Policy>) -> Result<(T, String), ApiError> + Send + 'static
where
    T: Send + 'static,
    F: FnOnce(&mut dyn Store, &Arc<Policy>, &Principal) -> Result<T, ApiError> + Send + 'static,
{
    move |s, policy| {
        let p = cred.check(s, policy)?;
        let r = f(s, policy, &p)?;
        Ok((r, http::user_of(&p)))
    }
}

/// [`authed`] for a read (see [`State::with_store_read`]): `f` returns, beside
/// its result, the access-log records of what it read, which are written (on a
/// blocking thread) before the response goes out; if they cannot be, nothing is
/// returned.
async fn authed_read<T, F>(
    state: &Arc<State>,
    headers: &HeaderMap,
    f: F,
) -> Result<(T, String), ApiError>
where
    T: Send + 'static,
    F: FnOnce(&mut dyn Store, &Arc<Policy>, &Principal) -> Result<(T, Vec<AccessRecord>), ApiError>
        + Send
        + 'static,
{
    let cred = credential(state, headers)?;
    let ((r, recs), user) = state.with_store_read(as_caller(cred, f)).await?;
    if !recs.is_empty() {
        state
            .with_store(move |s, _| s.log_access(&recs).map_err(ApiError::store))
            .await?;
    }
    Ok((r, user))
}

async fn api_root(
    AxState(st): AxState<Arc<State>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    check_accept(&headers, TAXII)?;
    let max = st.config.max_body_bytes;
    let ((), user) = authed(&st, &headers, |_, _, _| Ok(())).await?;
    Ok(with_user(
        taxii_ok(
            serde_json::json!({
                "title": "Stormwatch",
                "description": "Collections of STIX 2.1 objects; what each caller sees follows TLP 2.0",
                "versions": [TAXII],
                "max_content_length": max,
            })
            .to_string(),
        ),
        user,
    ))
}

fn collection_json(c: &Collection, policy: &Policy, p: &Principal) -> serde_json::Value {
    serde_json::json!({
        "id": c.id,
        "title": c.name,
        "description": c.description,
        "can_read": policy.can_read(p, &c.id),
        "can_write": policy.can_write(p, &c.id),
        "media_types": [STIX],
    })
}

async fn collections(
    AxState(st): AxState<Arc<State>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    check_accept(&headers, TAXII)?;
    let (body, user) = authed(&st, &headers, |_, policy, p| {
        let list: Vec<serde_json::Value> = policy
            .directory
            .collections
            .iter()
            .filter(|c| policy.can_read(p, &c.id) || policy.can_write(p, &c.id))
            .map(|c| collection_json(c, policy, p))
            .collect();
        Ok(if list.is_empty() {
            serde_json::json!({})
        } else {
            serde_json::json!({ "collections": list })
        }
        .to_string())
    })
    .await?;
    Ok(with_user(taxii_ok(body), user))
}

/// The collection `cid` if the caller may read or write it (else 404: its existence
/// is not disclosed).
fn find_collection<'p>(
    policy: &'p Policy,
    p: &Principal,
    cid: &str,
) -> Result<&'p Collection, ApiError> {
    policy
        .collections
        .get(cid)
        .filter(|c| policy.can_read(p, &c.id) || policy.can_write(p, &c.id))
        .ok_or_else(|| {
            ApiError::not_found(format!("no collection {cid:?} is visible to this account"))
        })
}

fn readable<'p>(policy: &'p Policy, p: &Principal, cid: &str) -> Result<&'p Collection, ApiError> {
    let c = find_collection(policy, p, cid)?;
    if !policy.can_read(p, &c.id) {
        return Err(ApiError::forbidden(format!(
            "this account may write to collection {cid:?} but not read it"
        )));
    }
    Ok(c)
}

async fn collection(
    AxState(st): AxState<Arc<State>>,
    headers: HeaderMap,
    Path(cid): Path<String>,
) -> Result<Response, ApiError> {
    check_accept(&headers, TAXII)?;
    let (body, user) = authed(&st, &headers, move |_, policy, p| {
        let c = find_collection(policy, p, &cid)?;
        Ok(collection_json(c, policy, p).to_string())
    })
    .await?;
    Ok(with_user(taxii_ok(body), user))
}

pub(crate) use crate::parse::Params;

/// Parses `match[...]`, `added_after`, `limit` and `next`.
pub(crate) fn parse_params(q: Q, max_page: usize) -> Result<Params, ApiError> {
    let Query(pairs) = q.map_err(|e| ApiError::bad_request(format!("bad query string: {e}")))?;
    crate::parse::taxii_params(&pairs, max_page)
}

/// The JSON of a page's object: read for this request, or shared with the cache.
pub(crate) enum Json {
    Owned(String),
    Shared(Arc<str>),
}

impl Json {
    fn as_str(&self) -> &str {
        match self {
            Json::Owned(s) => s,
            Json::Shared(s) => s,
        }
    }
}

/// A page of visible entries.
pub(crate) struct Page {
    pub entries: Vec<Arc<Entry>>,
    pub more: bool,
    /// The entries' JSON, in order, when asked for (the entries themselves then
    /// carry none).
    pub json: Vec<Json>,
}

impl Page {
    pub fn next(&self) -> Option<String> {
        self.more
            .then(|| self.entries.last().map(|e| e.cseq.to_string()))
            .flatten()
    }
}

/// Walks a collection from the cursor, keeping what `p` may see, until `limit`
/// entries are found and one more visible entry shows there are more.
///
/// With the cache (see [`crate::cache`]), the store is asked only which entries
/// the page and the relationships' ends are (their `cseq`); their data and JSON
/// come from the cache, and only what it lacks from the store. Visibility is
/// decided on that data exactly as without the cache.
pub(crate) fn page(
    store: &dyn Store,
    cache: &ObjectCache,
    policy: &Policy,
    p: &Principal,
    collection: &Collection,
    params: &Params,
    with_json: bool,
) -> Result<Page, ApiError> {
    if cache.enabled() && store.keeps_content_generation() {
        if let Some(page) = page_cached(store, cache, policy, p, collection, params, with_json)
            .map_err(ApiError::store)?
        {
            return Ok(page);
        }
        // A write replaced a version, or an entry was deleted, while the page was
        // read: it is read again without the cache.
    }
    page_plain(store, policy, p, collection, params, with_json)
}

fn chunk_of(params: &Params) -> usize {
    (params.limit + 1).clamp(16, 1001)
}

/// [`page`] without the cache: entries (and JSON) straight from the store.
fn page_plain(
    store: &dyn Store,
    policy: &Policy,
    p: &Principal,
    collection: &Collection,
    params: &Params,
    with_json: bool,
) -> Result<Page, ApiError> {
    let mut filter = params.filter.clone();
    let mut out = Vec::with_capacity(params.limit.min(1000));
    let mut json = Vec::new();
    let chunk = chunk_of(params);
    loop {
        let batch = store
            .entries(&collection.id, &filter, chunk, with_json)
            .map_err(ApiError::store)?;
        let done = batch.len() < chunk;
        let ends = if matches!(p, Principal::Owner) {
            access::Ends::default()
        } else {
            access::ends_of(store, &batch).map_err(ApiError::store)?
        };
        for mut e in batch {
            filter.after_cseq = e.cseq;
            if policy.visible(p, &e, &ends) {
                if out.len() == params.limit {
                    return Ok(Page {
                        entries: out,
                        more: true,
                        json,
                    });
                }
                if with_json {
                    json.push(Json::Owned(e.json.take().unwrap_or_else(|| "null".into())));
                }
                out.push(Arc::new(e));
            }
        }
        if done {
            return Ok(Page {
                entries: out,
                more: false,
                json,
            });
        }
    }
}

/// Every read of one page must be under one content generation: false when `g`
/// differs from the one seen first (`None`: the read matched nothing).
fn same_generation(seen: &mut Option<i64>, g: Option<i64>) -> bool {
    match (g, *seen) {
        (None, _) => true,
        (Some(g), None) => {
            *seen = Some(g);
            true
        }
        (Some(g), Some(s)) => g == s,
    }
}

type CacheResult<T> = stormwatch_store::Result<Option<T>>;

/// [`page`] through the cache; None when the page must be read again without it.
fn page_cached(
    store: &dyn Store,
    cache: &ObjectCache,
    policy: &Policy,
    p: &Principal,
    collection: &Collection,
    params: &Params,
    with_json: bool,
) -> CacheResult<Page> {
    let mut filter = params.filter.clone();
    let mut out = Vec::with_capacity(params.limit.min(1000));
    let chunk = chunk_of(params);
    let mut generation = None;
    let more = 'walk: loop {
        let (g, keys) = store.entry_keys(&collection.id, &filter, chunk)?;
        if !same_generation(&mut generation, g) {
            return Ok(None);
        }
        let done = keys.len() < chunk;
        let Some(batch) = cached_entries(store, cache, &mut generation, &keys)? else {
            return Ok(None);
        };
        let ends = if matches!(p, Principal::Owner) {
            access::Ends::default()
        } else {
            let Some(ends) = cached_ends(store, cache, &mut generation, &batch)? else {
                return Ok(None);
            };
            ends
        };
        for e in batch {
            filter.after_cseq = e.cseq;
            if policy.visible(p, &e, &ends) {
                if out.len() == params.limit {
                    break 'walk true;
                }
                out.push(e);
            }
        }
        if done {
            break false;
        }
    };
    let json = match (with_json, generation) {
        (true, Some(g)) => match cached_json(store, cache, &mut generation, g, &out)? {
            Some(j) => j,
            None => return Ok(None),
        },
        _ => Vec::new(),
    };
    Ok(Some(Page {
        entries: out,
        more,
        json,
    }))
}

/// The entries of `keys`, in order, from the cache or else the store (None: one
/// was deleted meanwhile, or the generation moved).
fn cached_entries(
    store: &dyn Store,
    cache: &ObjectCache,
    generation: &mut Option<i64>,
    keys: &[i64],
) -> CacheResult<Vec<Arc<Entry>>> {
    let Some(g) = *generation else {
        return Ok(Some(Vec::new()));
    };
    let mut got = cache.entries(g, keys);
    let missing: Vec<i64> = keys
        .iter()
        .zip(&got)
        .filter(|(_, e)| e.is_none())
        .map(|(k, _)| *k)
        .collect();
    if !missing.is_empty() {
        let (g2, rows) = store.entries_by_cseq(&missing)?;
        if !same_generation(generation, g2) {
            return Ok(None);
        }
        let rows: Vec<Arc<Entry>> = rows.into_iter().map(Arc::new).collect();
        cache.keep_entries(g, &rows);
        let by_key: rustc_hash::FxHashMap<i64, &Arc<Entry>> =
            rows.iter().map(|e| (e.cseq, e)).collect();
        for (e, k) in got.iter_mut().zip(keys) {
            if e.is_none() {
                *e = by_key.get(k).map(|x| Arc::clone(x));
            }
        }
    }
    Ok(got.into_iter().collect())
}

/// The latest entries of the relationships' ends in `batch`, by id.
///
/// Which entries are the latest of an id comes from the cache when the store's
/// entries generation, read now, is the one it was cached under (no entry was
/// added, removed or re-flagged since); otherwise from the store, and it is kept
/// only if the generation read again afterwards has not moved.
fn cached_ends(
    store: &dyn Store,
    cache: &ObjectCache,
    generation: &mut Option<i64>,
    batch: &[Arc<Entry>],
) -> CacheResult<access::Ends<Arc<Entry>>> {
    let mut ids: Vec<String> = batch.iter().flat_map(|e| e.ends.iter().cloned()).collect();
    let mut map = access::Ends::default();
    let Some(g) = *generation else {
        return Ok(Some(map));
    };
    if ids.is_empty() {
        return Ok(Some(map));
    }
    ids.sort_unstable();
    ids.dedup();
    let stamp = store.entries_generation()?;
    let known = match stamp {
        Some(st) => cache.ends(g, st, &ids),
        None => vec![None; ids.len()],
    };
    let missing: Vec<String> = ids
        .iter()
        .zip(&known)
        .filter(|(_, k)| k.is_none())
        .map(|(id, _)| id.clone())
        .collect();
    let mut keys: Vec<i64> = known
        .iter()
        .flatten()
        .flat_map(|k| k.iter().copied())
        .collect();
    // Keys from the cache first, then those read now (`cached_entries` keeps order).
    let cached = keys.len();
    if !missing.is_empty() {
        let (g2, more) = store.latest_entry_keys(&missing)?;
        if !same_generation(generation, g2) {
            return Ok(None);
        }
        keys.extend(more);
    }
    let Some(ends) = cached_entries(store, cache, generation, &keys)? else {
        return Ok(None);
    };
    if let (Some(st), false) = (stamp, missing.is_empty()) {
        // Kept only if nothing moved while they were read (see
        // `Store::entries_generation`).
        if store.entries_generation()? == Some(st) {
            let mut found: rustc_hash::FxHashMap<&str, Vec<i64>> =
                missing.iter().map(|id| (id.as_str(), Vec::new())).collect();
            for e in &ends[cached..] {
                if let Some(v) = found.get_mut(e.id.as_str()) {
                    v.push(e.cseq);
                }
            }
            cache.keep_ends(
                g,
                st,
                found
                    .into_iter()
                    .map(|(id, v)| (id.to_owned(), Arc::from(v)))
                    .collect(),
            );
        }
    }
    for e in ends {
        map.entry(e.id.clone()).or_default().push(e);
    }
    Ok(Some(map))
}

/// The JSON of `entries`, in order, from the cache or else the store.
fn cached_json(
    store: &dyn Store,
    cache: &ObjectCache,
    generation: &mut Option<i64>,
    g: i64,
    entries: &[Arc<Entry>],
) -> CacheResult<Vec<Json>> {
    let seqs: Vec<i64> = entries.iter().map(|e| e.seq).collect();
    let mut json = cache.json(g, &seqs);
    let mut missing: Vec<i64> = seqs
        .iter()
        .zip(&json)
        .filter(|(_, j)| j.is_none())
        .map(|(s, _)| *s)
        .collect();
    if !missing.is_empty() {
        missing.sort_unstable();
        missing.dedup();
        let (g2, rows) = store.json_by_seq(&missing)?;
        if !same_generation(generation, g2) {
            return Ok(None);
        }
        let rows: Vec<(i64, Arc<str>)> = rows.into_iter().map(|(s, j)| (s, Arc::from(j))).collect();
        cache.keep_json(g, &rows);
        let by_seq: rustc_hash::FxHashMap<i64, &Arc<str>> =
            rows.iter().map(|(s, j)| (*s, j)).collect();
        for (j, s) in json.iter_mut().zip(&seqs) {
            if j.is_none() {
                *j = by_seq.get(s).map(|a| Arc::clone(a));
            }
        }
    }
    // A version the store does not hold (None): the page is read the plain way.
    Ok(json
        .into_iter()
        .map(|j| j.map(Json::Shared))
        .collect::<Option<Vec<_>>>())
}

fn date_headers(mut r: Response, entries: &[Arc<Entry>]) -> Response {
    if let (Some(a), Some(b)) = (entries.first(), entries.last()) {
        for (name, e) in [
            ("x-taxii-date-added-first", a),
            ("x-taxii-date-added-last", b),
        ] {
            if let Ok(v) = HeaderValue::from_str(&display_key(&e.added)) {
                r.headers_mut().insert(name, v);
            }
        }
    }
    r
}

fn envelope(page: &Page) -> String {
    let mut s = String::with_capacity(
        64 + page
            .json
            .iter()
            .map(|j| j.as_str().len() + 1)
            .sum::<usize>(),
    );
    s.push_str("{\"more\":");
    s.push_str(if page.more { "true" } else { "false" });
    if let Some(n) = page.next() {
        s.push_str(",\"next\":\"");
        s.push_str(&n);
        s.push('"');
    }
    s.push_str(",\"objects\":[");
    for (i, j) in page.json.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(j.as_str());
    }
    s.push_str("]}");
    s
}

async fn objects(
    AxState(st): AxState<Arc<State>>,
    headers: HeaderMap,
    Path(cid): Path<String>,
    q: Q,
) -> Result<Response, ApiError> {
    check_accept(&headers, TAXII)?;
    let params = parse_params(q, st.config.max_page)?;
    let st2 = Arc::clone(&st);
    let ((body, entries), user) = authed_read(&st, &headers, move |s, policy, p| {
        let c = readable(policy, p, &cid)?;
        let page = page(s, &st2.objects, policy, p, c, &params, true)?;
        let log = policy.log_records(p, &page.entries, "taxii objects");
        let body = envelope(&page);
        Ok(((body, page.entries), log))
    })
    .await?;
    Ok(with_user(date_headers(taxii_ok(body), &entries), user))
}

async fn object(
    AxState(st): AxState<Arc<State>>,
    headers: HeaderMap,
    Path((cid, oid)): Path<(String, String)>,
    q: Q,
) -> Result<Response, ApiError> {
    check_accept(&headers, TAXII)?;
    let mut params = parse_params(q, st.config.max_page)?;
    params.filter.ids = vec![oid.clone()];
    let st2 = Arc::clone(&st);
    let ((body, entries), user) = authed_read(&st, &headers, move |s, policy, p| {
        let c = readable(policy, p, &cid)?;
        let page = page(s, &st2.objects, policy, p, c, &params, true)?;
        if page.entries.is_empty() && params.filter.after_cseq == 0 {
            return Err(ApiError::not_found(format!(
                "no object {oid:?} matching the request is visible in this collection"
            )));
        }
        let log = policy.log_records(p, &page.entries, "taxii object");
        let body = envelope(&page);
        Ok(((body, page.entries), log))
    })
    .await?;
    Ok(with_user(date_headers(taxii_ok(body), &entries), user))
}

/// A STIX timestamp for a version key (unversioned objects: their date added).
fn version_display(e: &Entry) -> String {
    Timestamp::parse(&e.version)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| display_key(&e.added))
}

async fn versions(
    AxState(st): AxState<Arc<State>>,
    headers: HeaderMap,
    Path((cid, oid)): Path<(String, String)>,
    q: Q,
) -> Result<Response, ApiError> {
    check_accept(&headers, TAXII)?;
    let mut params = parse_params(q, st.config.max_page)?;
    params.filter.ids = vec![oid.clone()];
    params.filter.versions = VersionMatch {
        all: true,
        ..Default::default()
    };
    let st2 = Arc::clone(&st);
    let ((body, entries), user) = authed_read(&st, &headers, move |s, policy, p| {
        let c = readable(policy, p, &cid)?;
        let page = page(s, &st2.objects, policy, p, c, &params, false)?;
        if page.entries.is_empty() && params.filter.after_cseq == 0 {
            return Err(ApiError::not_found(format!(
                "no object {oid:?} matching the request is visible in this collection"
            )));
        }
        let mut v = serde_json::json!({
            "more": page.more,
            "versions": page.entries.iter().map(|e| version_display(e)).collect::<Vec<_>>(),
        });
        if let Some(n) = page.next() {
            v["next"] = n.into();
        }
        Ok(((v.to_string(), page.entries), Vec::new()))
    })
    .await?;
    Ok(with_user(date_headers(taxii_ok(body), &entries), user))
}

async fn manifest(
    AxState(st): AxState<Arc<State>>,
    headers: HeaderMap,
    Path(cid): Path<String>,
    q: Q,
) -> Result<Response, ApiError> {
    check_accept(&headers, TAXII)?;
    let params = parse_params(q, st.config.max_page)?;
    let st2 = Arc::clone(&st);
    let ((body, entries), user) = authed_read(&st, &headers, move |s, policy, p| {
        let c = readable(policy, p, &cid)?;
        let page = page(s, &st2.objects, policy, p, c, &params, false)?;
        let list: Vec<serde_json::Value> = page
            .entries
            .iter()
            .map(|e| {
                serde_json::json!({
                    "id": e.id,
                    "date_added": display_key(&e.added),
                    "version": version_display(e),
                    "media_type": STIX,
                })
            })
            .collect();
        let mut v = serde_json::json!({ "more": page.more, "objects": list });
        if let Some(n) = page.next() {
            v["next"] = n.into();
        }
        Ok(((v.to_string(), page.entries), Vec::new()))
    })
    .await?;
    Ok(with_user(date_headers(taxii_ok(body), &entries), user))
}

async fn delete_object(
    AxState(st): AxState<Arc<State>>,
    headers: HeaderMap,
    Path((cid, oid)): Path<(String, String)>,
    q: Q,
) -> Result<Response, ApiError> {
    check_accept(&headers, TAXII)?;
    let mut params = parse_params(q, st.config.max_page)?;
    params.filter.ids = vec![oid.clone()];
    let explicit_version = params.filter.versions != VersionMatch::last();
    let st2 = Arc::clone(&st);
    let ((), user) = authed(&st, &headers, move |s, policy, p| {
        let c = find_collection(policy, p, &cid)?.clone();
        if !policy.can_write(p, &c.id) {
            return Err(ApiError::forbidden(format!(
                "this account may not write to collection {cid:?}"
            )));
        }
        // Only what the caller can see can be deleted; the rest is "not found".
        if !explicit_version {
            params.filter.versions = VersionMatch {
                all: true,
                ..Default::default()
            };
        }
        params.limit = usize::MAX >> 2;
        let visible = page(s, &st2.objects, policy, p, &c, &params, false)?;
        if visible.entries.is_empty() {
            return Err(ApiError::not_found(format!(
                "no object {oid:?} matching the request is visible in this collection"
            )));
        }
        let versions = VersionMatch {
            exact: visible.entries.iter().map(|e| e.version.clone()).collect(),
            ..Default::default()
        };
        s.delete_entries(&c.id, &oid, &versions, &params.filter.spec_versions)
            .map_err(ApiError::store)?;
        Ok(())
    })
    .await?;
    Ok(with_user(taxii_ok(String::new()), user))
}

async fn status(
    AxState(st): AxState<Arc<State>>,
    headers: HeaderMap,
    Path(sid): Path<String>,
) -> Result<Response, ApiError> {
    check_accept(&headers, TAXII)?;
    let (body, user) = authed(&st, &headers, move |s, _, p| {
        let me = http::user_of(p);
        match s.status_get(&sid).map_err(ApiError::store)? {
            Some((owner, json)) if owner == me => Ok(json),
            _ => Err(ApiError::not_found(format!(
                "no status {sid:?} for this account"
            ))),
        }
    })
    .await?;
    Ok(with_user(taxii_ok(body), user))
}

async fn add_objects(
    AxState(st): AxState<Arc<State>>,
    Path(cid): Path<String>,
    req: Request,
) -> Result<Response, ApiError> {
    let headers = req.headers().clone();
    check_accept(&headers, TAXII)?;
    http::check_content_type(&headers, TAXII)?;
    let cred = credential(&st, &headers)?;
    let max = st.config.max_body_bytes;
    let bytes = axum::body::to_bytes(req.into_body(), max)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Request too large",
                format!("the body is over max_content_length ({max} bytes)"),
            )
        })?;
    let (body, user) = st
        .with_store(move |s, policy| {
            let p = cred.check(s, policy)?;
            let c = find_collection(policy, &p, &cid)?.clone();
            if !policy.can_write(&p, &c.id) {
                return Err(ApiError::forbidden(format!(
                    "this account may not write to collection {cid:?}"
                )));
            }
            let status = add(s, &c, &bytes, &http::user_of(&p))?;
            Ok((status, http::user_of(&p)))
        })
        .await?;
    Ok(with_user(
        json_response(StatusCode::ACCEPTED, TAXII, body),
        user,
    ))
}

/// Validates and writes a POSTed envelope: all objects or none. Returns the status
/// resource (stored for `GET status`).
fn add(s: &mut dyn Store, c: &Collection, bytes: &[u8], owner: &str) -> Result<String, ApiError> {
    let bundle = crate::parse::envelope_bundle(bytes)?;
    let parsed = stormwatch_model::parse_bundle(&bundle, Limits::default())
        .map_err(|e| ApiError::bad_request(format!("the envelope cannot be read: {e}")))?;
    let request_timestamp = Timestamp::now().to_string();
    let id = uuid::Uuid::new_v4().to_string();
    let version_of = |m: &stormwatch_model::ObjectMeta| {
        m.modified
            .or(m.created)
            .map(|t| t.to_string())
            .unwrap_or_default()
    };
    let mut successes = Vec::new();
    let mut failures = Vec::new();
    if parsed.rejected.is_empty() {
        let objects: Vec<_> = parsed.objects.into_iter().map(|c| c.object).collect();
        s.use_collection(&c.name).map_err(ApiError::store)?;
        s.write(&objects, &mut |_| {}).map_err(ApiError::store)?;
        for o in &objects {
            successes.push(serde_json::json!({"id": o.meta.id, "version": version_of(&o.meta)}));
        }
    } else {
        for r in &parsed.rejected {
            let msg: Vec<String> = r
                .errors
                .iter()
                .map(|i| match &i.property {
                    Some(p) => format!("property {p}: {}", i.message),
                    None => i.message.clone(),
                })
                .collect();
            failures.push(serde_json::json!({
                "id": r.id.clone().unwrap_or_else(|| format!("objects[{}]", r.index)),
                "version": serde_json::Value::Null,
                "message": format!("objects[{}]: {}", r.index, msg.join("; ")),
            }));
        }
        for o in &parsed.objects {
            failures.push(serde_json::json!({
                "id": o.object.meta.id,
                "version": version_of(&o.object.meta),
                "message": "not added: other objects in this request are invalid, and a request is added whole or not at all",
            }));
        }
    }
    let total = successes.len() + failures.len();
    let status = serde_json::json!({
        "id": id,
        "status": "complete",
        "request_timestamp": request_timestamp,
        "total_count": total,
        "success_count": successes.len(),
        "successes": successes,
        "failure_count": failures.len(),
        "failures": failures,
        "pending_count": 0,
        "pendings": [],
    })
    .to_string();
    s.status_put(&id, owner, &status).map_err(ApiError::store)?;
    Ok(status)
}
