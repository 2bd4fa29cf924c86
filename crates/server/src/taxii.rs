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
use std::collections::HashMap;
use std::sync::Arc;

use crate::access::{self, Policy, Principal};
use crate::http::{
    self, check_accept, credential, json_response, with_user, ApiError, STIX, TAXII,
};
use crate::State;
use stormwatch_model::{Limits, Timestamp};
use stormwatch_store::share::display_key;
use stormwatch_store::{Collection, Entry, Store, VersionMatch};

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
    state
        .with_store(move |s, policy| {
            let p = cred.check(s, policy)?;
            let r = f(s, policy, &p)?;
            Ok((r, http::user_of(&p)))
        })
        .await
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

/// A page of visible entries.
pub(crate) struct Page {
    pub entries: Vec<Entry>,
    pub more: bool,
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
pub(crate) fn page(
    store: &dyn Store,
    policy: &Policy,
    p: &Principal,
    collection: &Collection,
    params: &Params,
    with_json: bool,
) -> Result<Page, ApiError> {
    let mut filter = params.filter.clone();
    let mut out = Vec::with_capacity(params.limit.min(1000));
    let chunk = (params.limit + 1).clamp(16, 1001);
    loop {
        let batch = store
            .entries(&collection.id, &filter, chunk, with_json)
            .map_err(ApiError::store)?;
        let done = batch.len() < chunk;
        let ends = if matches!(p, Principal::Owner) {
            HashMap::new()
        } else {
            access::ends_of(store, &batch).map_err(ApiError::store)?
        };
        for e in batch {
            filter.after_cseq = e.cseq;
            if policy.visible(p, &e, &ends) {
                if out.len() == params.limit {
                    return Ok(Page {
                        entries: out,
                        more: true,
                    });
                }
                out.push(e);
            }
        }
        if done {
            return Ok(Page {
                entries: out,
                more: false,
            });
        }
    }
}

fn log_reads(
    store: &mut dyn Store,
    policy: &Policy,
    p: &Principal,
    entries: &[Entry],
    endpoint: &str,
) -> Result<(), ApiError> {
    let recs = policy.log_records(p, entries, endpoint);
    store.log_access(&recs).map_err(ApiError::store)
}

fn date_headers(mut r: Response, entries: &[Entry]) -> Response {
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
            .entries
            .iter()
            .map(|e| e.json.as_ref().map_or(0, String::len) + 1)
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
    for (i, e) in page.entries.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(e.json.as_deref().unwrap_or("null"));
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
    let ((body, entries), user) = authed(&st, &headers, move |s, policy, p| {
        let c = readable(policy, p, &cid)?;
        let page = page(s, policy, p, c, &params, true)?;
        log_reads(s, policy, p, &page.entries, "taxii objects")?;
        let body = envelope(&page);
        let mut entries = page.entries;
        for e in &mut entries {
            e.json = None;
        }
        Ok((body, entries))
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
    let ((body, entries), user) = authed(&st, &headers, move |s, policy, p| {
        let c = readable(policy, p, &cid)?;
        let page = page(s, policy, p, c, &params, true)?;
        if page.entries.is_empty() && params.filter.after_cseq == 0 {
            return Err(ApiError::not_found(format!(
                "no object {oid:?} matching the request is visible in this collection"
            )));
        }
        log_reads(s, policy, p, &page.entries, "taxii object")?;
        let body = envelope(&page);
        let mut entries = page.entries;
        for e in &mut entries {
            e.json = None;
        }
        Ok((body, entries))
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
    let ((body, entries), user) = authed(&st, &headers, move |s, policy, p| {
        let c = readable(policy, p, &cid)?;
        let page = page(s, policy, p, c, &params, false)?;
        if page.entries.is_empty() && params.filter.after_cseq == 0 {
            return Err(ApiError::not_found(format!(
                "no object {oid:?} matching the request is visible in this collection"
            )));
        }
        let mut v = serde_json::json!({
            "more": page.more,
            "versions": page.entries.iter().map(version_display).collect::<Vec<_>>(),
        });
        if let Some(n) = page.next() {
            v["next"] = n.into();
        }
        Ok((v.to_string(), page.entries))
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
    let ((body, entries), user) = authed(&st, &headers, move |s, policy, p| {
        let c = readable(policy, p, &cid)?;
        let page = page(s, policy, p, c, &params, false)?;
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
        Ok((v.to_string(), page.entries))
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
        let visible = page(s, policy, p, &c, &params, false)?;
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
