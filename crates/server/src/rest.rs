//! The JSON REST API under `/api/` and its OpenAPI 3.0 document at
//! `/api/openapi.json` (which also describes the TAXII endpoints).
//!
//! Every answer goes through the same TLP rule as TAXII ([`crate::access`]): an
//! object is shown only when its latest version is visible to the caller in some
//! collection the caller reads, and a relationship only when it and its other end
//! are.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State as AxState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;

use crate::access::{self, Policy, Principal};
use crate::http::{self, credential, json_response, with_user, ApiError};
use crate::State;
use stormwatch_store::{SearchQuery, Store, StoredObject};

pub fn routes() -> Router<Arc<State>> {
    Router::new()
        .route("/api/openapi.json", get(openapi))
        .route("/api/search", get(search))
        .route("/api/objects/{id}", get(show))
        .route("/api/actors/{key}", get(actor))
}

fn ok_json(v: Value) -> Response {
    json_response(StatusCode::OK, "application/json", v.to_string())
}

async fn rest<T, F>(state: &Arc<State>, headers: &HeaderMap, f: F) -> Result<Response, ApiError>
where
    T: serde::Serialize + Send + 'static,
    F: FnOnce(&mut dyn Store, &Arc<Policy>, &Principal) -> Result<T, ApiError> + Send + 'static,
{
    let cred = credential(state, headers)?;
    let (v, user) = state
        .with_store(move |s, policy| {
            let p = cred.check(s, policy)?;
            let v = f(s, policy, &p)?;
            Ok((v, http::user_of(&p)))
        })
        .await?;
    let body = serde_json::to_value(v).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(with_user(ok_json(body), user))
}

/// Ids among `ids` whose latest stored version `p` may see (in some collection).
fn visible_ids(
    s: &dyn Store,
    policy: &Policy,
    p: &Principal,
    ids: &[String],
    endpoint: &str,
    log: &mut Vec<stormwatch_store::AccessRecord>,
) -> Result<HashMap<String, String>, ApiError> {
    let latest = s.latest_entries(ids).map_err(ApiError::store)?;
    let ends = access::ends_of(s, &latest).map_err(ApiError::store)?;
    let mut out = HashMap::new();
    for e in latest {
        if policy.visible(p, &e, &ends) && !out.contains_key(&e.id) {
            log.extend(policy.log_records(p, std::slice::from_ref(&e), endpoint));
            out.insert(e.id.clone(), e.version.clone());
        }
    }
    Ok(out)
}

type Q = Result<Query<Vec<(String, String)>>, QueryRejection>;

async fn search(
    AxState(st): AxState<Arc<State>>,
    headers: HeaderMap,
    q: Q,
) -> Result<Response, ApiError> {
    let Query(pairs) = q.map_err(|e| ApiError::bad_request(format!("bad query string: {e}")))?;
    let mut query = SearchQuery {
        limit: 20,
        ..Default::default()
    };
    for (k, v) in pairs {
        match k.as_str() {
            "q" => query.text = v,
            "type" => query.types.extend(v.split(',').map(str::to_owned)),
            "limit" => {
                query.limit = v
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=1000).contains(n))
                    .ok_or_else(|| ApiError::bad_request("limit must be 1 to 1000"))?
            }
            "include_revoked" => query.include_revoked = v == "true" || v == "1",
            _ => {}
        }
    }
    if query.text.trim().is_empty() {
        return Err(ApiError::bad_request("q (the search text) is required"));
    }
    if query.text.len() > 1000 {
        return Err(ApiError::bad_request("q is longer than 1000 bytes"));
    }
    rest(&st, &headers, move |s, policy, p| {
        let want = query.limit;
        // Hidden hits are dropped after ranking, so ask for more than needed.
        let wide = SearchQuery {
            limit: want.saturating_mul(5).min(5000),
            ..query
        };
        let hits = s.search(&wide).map_err(ApiError::store)?;
        let ids: Vec<String> = hits.iter().map(|h| h.id.clone()).collect();
        let mut log = Vec::new();
        let vis = visible_ids(s, policy, p, &ids, "rest search", &mut log)?;
        let hits: Vec<_> = hits
            .into_iter()
            .filter(|h| vis.contains_key(&h.id))
            .take(want)
            .collect();
        s.log_access(&log).map_err(ApiError::store)?;
        Ok(json!({ "hits": hits }))
    })
    .await
}

fn shown(
    s: &dyn Store,
    policy: &Policy,
    p: &Principal,
    o: &StoredObject,
    log: &mut Vec<stormwatch_store::AccessRecord>,
) -> Result<Value, ApiError> {
    let rels = s.relationships(&o.id).map_err(ApiError::store)?;
    let mut ids: Vec<String> = rels.iter().map(|r| r.relationship_id.clone()).collect();
    ids.extend(rels.iter().map(|r| r.other_id.clone()));
    let vis = visible_ids(s, policy, p, &ids, "rest show", log)?;
    let held = s.latest_entries(&ids).map_err(ApiError::store)?;
    let rels: Vec<_> = rels
        .into_iter()
        .filter(|r| {
            vis.contains_key(&r.relationship_id)
                // An end the store does not hold hides nothing; one it holds must be visible.
                && (vis.contains_key(&r.other_id) || !held.iter().any(|e| e.id == r.other_id))
        })
        .collect();
    Ok(json!({
        "id": o.id,
        "type": o.type_name,
        "name": o.name,
        "revoked": o.revoked,
        "names": s.names(&o.id).map_err(ApiError::store)?,
        "external_ids": s.external_ids(&o.id).map_err(ApiError::store)?
            .into_iter().map(|(source, id)| json!({"source": source, "id": id})).collect::<Vec<_>>(),
        "object": o.value().map_err(ApiError::store)?,
        "relationships": rels,
    }))
}

async fn show(
    AxState(st): AxState<Arc<State>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    rest(&st, &headers, move |s, policy, p| {
        let mut log = Vec::new();
        let found = s.get(&id).map_err(ApiError::store)?;
        let Some(o) = found else {
            return Err(ApiError::not_found(format!(
                "no object {id:?} is visible to this account"
            )));
        };
        let vis = visible_ids(
            s,
            policy,
            p,
            std::slice::from_ref(&o.id),
            "rest show",
            &mut log,
        )?;
        if vis.get(&o.id) != Some(&o.version) {
            return Err(ApiError::not_found(format!(
                "no object {id:?} is visible to this account"
            )));
        }
        let v = shown(s, policy, p, &o, &mut log)?;
        s.log_access(&log).map_err(ApiError::store)?;
        Ok(v)
    })
    .await
}

async fn actor(
    AxState(st): AxState<Arc<State>>,
    headers: HeaderMap,
    Path(key): Path<String>,
) -> Result<Response, ApiError> {
    if key.len() > 1000 {
        return Err(ApiError::bad_request("the key is longer than 1000 bytes"));
    }
    rest(&st, &headers, move |s, policy, p| {
        let mut log = Vec::new();
        let found = s.resolve(&key).map_err(ApiError::store)?;
        let ids: Vec<String> = found.iter().map(|o| o.id.clone()).collect();
        let vis = visible_ids(s, policy, p, &ids, "rest actor", &mut log)?;
        let mut out = Vec::new();
        for o in found.iter().filter(|o| vis.get(&o.id) == Some(&o.version)) {
            out.push(shown(s, policy, p, o, &mut log)?);
        }
        if out.is_empty() {
            return Err(ApiError::not_found(format!(
                "nothing visible to this account matches {key:?}"
            )));
        }
        s.log_access(&log).map_err(ApiError::store)?;
        Ok(json!({ "matches": out }))
    })
    .await
}

/// The OpenAPI 3.0 document.
pub fn openapi_document() -> Value {
    let err = json!({"$ref": "#/components/responses/Error"});
    let std_errors = json!({
        "400": err, "401": err, "403": err, "404": err, "406": err, "429": err,
    });
    let with = |ok: Value| {
        let mut r = std_errors.clone();
        r["200"] = ok;
        r
    };
    let taxii_ok = |schema: &str| json!({"description": "OK", "content": {"application/taxii+json;version=2.1": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}});
    let json_ok = |schema: &str| json!({"description": "OK", "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}});
    let p = |name: &str, inn: &str, required: bool, schema: Value| json!({"name": name, "in": inn, "required": required, "schema": schema});
    let s = || json!({"type": "string"});
    let cid = p("cid", "path", true, s());
    let oid = p("oid", "path", true, s());
    let filters = vec![
        p("match[id]", "query", false, s()),
        p("match[type]", "query", false, s()),
        p("match[version]", "query", false, s()),
        p("match[spec_version]", "query", false, s()),
        p(
            "added_after",
            "query",
            false,
            json!({"type": "string", "format": "date-time"}),
        ),
        p(
            "limit",
            "query",
            false,
            json!({"type": "integer", "minimum": 1}),
        ),
        p("next", "query", false, s()),
    ];
    let params =
        |first: Vec<Value>| -> Vec<Value> { first.into_iter().chain(filters.clone()).collect() };
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "Stormwatch",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "TAXII 2.1 and a JSON REST API over the Stormwatch knowledge base. Every answer follows TLP 2.0 for the calling account."
        },
        "security": [{"bearer": []}, {"basic": []}],
        "paths": {
            "/healthz": {"get": {"operationId": "health", "security": [], "responses": {"200": {"description": "up"}, "503": {"description": "store unavailable"}}}},
            "/api/search": {"get": {"operationId": "search", "parameters": [
                p("q", "query", true, json!({"type": "string", "minLength": 1})),
                p("type", "query", false, s()),
                p("limit", "query", false, json!({"type": "integer", "minimum": 1, "maximum": 1000})),
                p("include_revoked", "query", false, json!({"type": "boolean"})),
            ], "responses": with(json_ok("SearchResult"))}},
            "/api/objects/{id}": {"get": {"operationId": "show", "parameters": [p("id", "path", true, s())], "responses": with(json_ok("Shown"))}},
            "/api/actors/{key}": {"get": {"operationId": "actor", "parameters": [p("key", "path", true, s())], "responses": with(json!({"description": "OK", "content": {"application/json": {"schema": {"type": "object", "properties": {"matches": {"type": "array", "items": {"$ref": "#/components/schemas/Shown"}}}}}}}))}},
            "/taxii2/": {"get": {"operationId": "discovery", "security": [], "responses": with(taxii_ok("Discovery"))}},
            "/taxii2/root/": {"get": {"operationId": "apiRoot", "responses": with(taxii_ok("Object"))}},
            "/taxii2/root/collections/": {"get": {"operationId": "collections", "responses": with(taxii_ok("Object"))}},
            "/taxii2/root/collections/{cid}/": {"get": {"operationId": "collection", "parameters": [cid.clone()], "responses": with(taxii_ok("Object"))}},
            "/taxii2/root/collections/{cid}/objects/": {"get": {"operationId": "objects", "parameters": params(vec![cid.clone()]), "responses": with(taxii_ok("Envelope"))}},
            "/taxii2/root/collections/{cid}/objects/{oid}/": {"get": {"operationId": "object", "parameters": params(vec![cid.clone(), oid.clone()]), "responses": with(taxii_ok("Envelope"))}},
            "/taxii2/root/collections/{cid}/objects/{oid}/versions/": {"get": {"operationId": "versions", "parameters": params(vec![cid.clone(), oid.clone()]), "responses": with(taxii_ok("Object"))}},
            "/taxii2/root/collections/{cid}/manifest/": {"get": {"operationId": "manifest", "parameters": params(vec![cid.clone()]), "responses": with(taxii_ok("Object"))}},
            "/taxii2/root/status/{sid}/": {"get": {"operationId": "status", "parameters": [p("sid", "path", true, s())], "responses": with(taxii_ok("Object"))}},
        },
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "basic": {"type": "http", "scheme": "basic", "description": "user name, and the token as password"}
            },
            "responses": {"Error": {"description": "A TAXII error message", "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Error"}},
                "application/taxii+json;version=2.1": {"schema": {"$ref": "#/components/schemas/Error"}}
            }}},
            "schemas": {
                "Error": {"type": "object", "required": ["title", "http_status"], "properties": {
                    "title": {"type": "string"}, "description": {"type": "string"}, "http_status": {"type": "string"}}},
                "Object": {"type": "object"},
                "Discovery": {"type": "object", "required": ["title"], "properties": {
                    "title": {"type": "string"}, "default": {"type": "string"}, "api_roots": {"type": "array", "items": {"type": "string"}}}},
                "Envelope": {"type": "object", "properties": {
                    "more": {"type": "boolean"}, "next": {"type": "string"}, "objects": {"type": "array", "items": {"type": "object"}}}},
                "SearchResult": {"type": "object", "required": ["hits"], "properties": {"hits": {"type": "array", "items": {"type": "object", "properties": {
                    "id": {"type": "string"}, "type": {"type": "string"}, "name": {"type": "string", "nullable": true},
                    "external_id": {"type": "string", "nullable": true}, "score": {"type": "number"}}}}}},
                "Shown": {"type": "object", "required": ["id", "type", "object", "relationships"], "properties": {
                    "id": {"type": "string"}, "type": {"type": "string"}, "name": {"type": "string", "nullable": true},
                    "revoked": {"type": "boolean"}, "names": {"type": "array", "items": {"type": "string"}},
                    "external_ids": {"type": "array", "items": {"type": "object"}},
                    "object": {"type": "object"}, "relationships": {"type": "array", "items": {"type": "object"}}}}
            }
        }
    })
}

async fn openapi() -> Response {
    ok_json(openapi_document())
}
