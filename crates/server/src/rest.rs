//! The JSON REST API under `/api/` and its OpenAPI 3.0 document at
//! `/api/openapi.json` (which also describes the TAXII endpoints).
//!
//! Every answer goes through the same TLP rule as TAXII ([`crate::access`]): an
//! object is shown only when its latest version is visible to the caller in some
//! collection the caller reads, and a relationship only when it and its other end
//! are.

use axum::extract::rejection::QueryRejection;
use axum::extract::Request;
use axum::extract::{Path, Query, State as AxState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;

use crate::access::{self, Policy, Principal};
use crate::http::{self, credential, json_response, with_user, ApiError};
use crate::parse;
use crate::view::View;
use crate::State;
use stormwatch_attribution::commands::{self, CommandError};
use stormwatch_hunt::indicators::IndicatorDef;
use stormwatch_report::Format;
use stormwatch_store::{SearchQuery, Store, StoredObject};

pub fn routes() -> Router<Arc<State>> {
    Router::new()
        .route("/api/openapi.json", get(openapi))
        .route("/api/search", get(search))
        .route("/api/objects/{id}", get(show))
        .route("/api/actors/{key}", get(actor))
        .route("/api/actors/{key}/why", get(actor_why))
        .route("/api/attribute", post(attribute))
        .route("/api/audit", post(audit))
        .route("/api/hunt", post(hunt))
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

// ------------------------------------------------------------ command endpoints
//
// `actor why`, `attribute`, `audit` and `hunt` over HTTP: the same library
// functions as the CLI, run on a blocking thread against the caller's view of the
// store ([`View`]: only what TLP lets the caller see), answering the CLI's
// `--format json` document.

/// Runs `f` on the caller's view of the store (blocking thread); `f` returns the
/// JSON body and the ids it disclosed (their AMBER and RED reads are logged).
async fn command<F>(
    state: &Arc<State>,
    cred: http::Credential,
    endpoint: &'static str,
    f: F,
) -> Result<Response, ApiError>
where
    F: FnOnce(&View) -> Result<(Vec<u8>, Vec<String>), ApiError> + Send + 'static,
{
    let (body, user) = state
        .with_store(move |s, policy| {
            let p = cred.check(s, policy)?;
            let (body, log) = {
                let view = View::new(&mut *s, policy, &p).map_err(ApiError::store)?;
                let (body, ids) = f(&view)?;
                let log = view.log_records(policy, &p, ids.iter().map(String::as_str), endpoint);
                (body, log)
            };
            s.log_access(&log).map_err(ApiError::store)?;
            Ok((body, http::user_of(&p)))
        })
        .await?;
    let body = String::from_utf8(body).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(with_user(
        json_response(StatusCode::OK, "application/json", body),
        user,
    ))
}

/// A request body up to `--max-body-bytes` (413 beyond).
async fn body_bytes(state: &State, req: Request) -> Result<axum::body::Bytes, ApiError> {
    let max = state.config.max_body_bytes;
    axum::body::to_bytes(req.into_body(), max)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Request too large",
                format!("the body is over {max} bytes (serve --max-body-bytes)"),
            )
        })
}

fn command_error(e: CommandError) -> ApiError {
    match e {
        CommandError::Store(e) => ApiError::store(e),
        e @ CommandError::UnknownName { .. } => ApiError::not_found(e.to_string()),
        e => ApiError::bad_request(e.to_string()),
    }
}

fn render(f: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> Result<Vec<u8>, ApiError> {
    let mut out = Vec::new();
    f(&mut out).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(out)
}

fn pairs_of(q: Q) -> Result<Vec<(String, String)>, ApiError> {
    q.map(|Query(p)| p)
        .map_err(|e| ApiError::bad_request(format!("bad query string: {e}")))
}

/// `GET /api/actors/{key}/why?to=OTHER`: `actor why KEY OTHER --format json`.
async fn actor_why(
    AxState(st): AxState<Arc<State>>,
    headers: HeaderMap,
    Path(key): Path<String>,
    q: Q,
) -> Result<Response, ApiError> {
    let (to, o) = parse::why_query(&pairs_of(q)?)?;
    if key.trim().is_empty() || key.len() > 1000 {
        return Err(ApiError::bad_request(
            "the actor name must be 1 to 1000 bytes",
        ));
    }
    let cred = credential(&st, &headers)?;
    command(&st, cred, "rest actor why", move |view| {
        let w = commands::why(view, &key, &to, o).map_err(command_error)?;
        let body =
            render(|out| stormwatch_report::actor::why(out, Format::Json, &w.a, &w.b, &w.why))?;
        let ids = w
            .why
            .paths
            .iter()
            .flatten()
            .chain(&w.why.blocked)
            .map(|l| l.id.split('#').next().unwrap_or(&l.id).to_owned())
            .collect();
        Ok((body, ids))
    })
    .await
}

/// `POST /api/attribute`: `attribute --format json` on a JSON body of observations.
async fn attribute(AxState(st): AxState<Arc<State>>, req: Request) -> Result<Response, ApiError> {
    let headers = req.headers().clone();
    // Credentials first: an anonymous caller learns nothing, not even about its body.
    let cred = credential(&st, &headers)?;
    let bytes = body_bytes(&st, req).await?;
    let r = parse::attribute_request(&bytes)?;
    command(&st, cred, "rest attribute", move |view| {
        let mut obs = r.observation;
        if r.from_sightings {
            obs.indicator
                .extend(commands::sighting_values(view).map_err(ApiError::store)?);
        }
        let a = commands::attribute(view, &obs, r.limit, r.options).map_err(command_error)?;
        let body =
            render(|out| stormwatch_report::attribution::ranking(out, Format::Json, &a.ranking))?;
        let ids = a
            .ranking
            .candidates
            .iter()
            .flat_map(|c| std::iter::once(&c.id).chain(&c.members))
            .cloned()
            .collect();
        Ok((body, ids))
    })
    .await
}

/// The indicators the caller may see, else the built-in pack (as `hunt` without
/// `--iocs` on a store without indicators).
fn visible_indicators(view: &View) -> Result<stormwatch_hunt::document::Selected, ApiError> {
    let mut defs = Vec::new();
    for o in view
        .objects_of_type(&["indicator"])
        .map_err(ApiError::store)?
    {
        if !o.revoked {
            if let Some(d) = IndicatorDef::from_stix(&o.value().map_err(ApiError::store)?) {
                defs.push(d);
            }
        }
    }
    Ok(stormwatch_hunt::document::select(
        defs,
        Vec::new(),
        Default::default(),
        stormwatch_intel::pack::ADVISORY_STIX,
    ))
}

/// `POST /api/audit[?name=FILE]`: `audit --format json` of one configuration.
async fn audit(AxState(st): AxState<Arc<State>>, q: Q, req: Request) -> Result<Response, ApiError> {
    let headers = req.headers().clone();
    let name = parse::input_name(&pairs_of(q)?)?;
    let cred = credential(&st, &headers)?;
    let bytes = body_bytes(&st, req).await?;
    let max = st.config.max_body_bytes as u64;
    command(&st, cred, "rest audit", move |view| {
        let sel = visible_indicators(view)?;
        let info =
            serde_json::to_value(&sel.info).map_err(|e| ApiError::internal(e.to_string()))?;
        let opts = stormwatch_audit::Options {
            show_secrets: false,
        };
        let outcome =
            stormwatch_audit::audit_file(&name, &bytes, &sel.built.set, max, opts, |_| {
                stormwatch_audit::BaselinePick::None
            });
        let (findings, skipped, files) = match outcome {
            stormwatch_audit::Outcome::Audited { findings, file, .. } => {
                (findings, Vec::new(), vec![file])
            }
            stormwatch_audit::Outcome::Skipped(s) => (Vec::new(), vec![s], Vec::new()),
            stormwatch_audit::Outcome::Error(e) => {
                return Err(ApiError::bad_request(format!("{}: {}", e.file, e.error)))
            }
        };
        let doc = stormwatch_report::audit::AuditDoc {
            findings: &findings,
            skipped: &skipped,
            errors: &[],
            files: &files,
            indicators: &info,
        };
        let body = render(|out| stormwatch_report::write_json(out, &doc))?;
        Ok((body, Vec::new()))
    })
    .await
}

/// `POST /api/hunt[?name=FILE][&respect_validity=true][&year=YYYY]`: `hunt --format
/// json` of one log (gzip or zstd recognised by content).
async fn hunt(AxState(st): AxState<Arc<State>>, q: Q, req: Request) -> Result<Response, ApiError> {
    let headers = req.headers().clone();
    let hq = parse::hunt_query(&pairs_of(q)?)?;
    let cred = credential(&st, &headers)?;
    let bytes = body_bytes(&st, req).await?;
    command(&st, cred, "rest hunt", move |view| {
        let sel = visible_indicators(view)?;
        let opts = stormwatch_hunt::sweep::Options {
            respect_validity: hq.respect_validity,
            year: hq.year.unwrap_or_else(year_now),
            ..Default::default()
        };
        let doc = stormwatch_hunt::document::sweep_one(
            &sel.built.set,
            sel.built.unsweepable,
            sel.info,
            &hq.name,
            std::io::Cursor::new(bytes),
            &opts,
        )
        .map_err(|e| ApiError::bad_request(format!("{}: {e}", hq.name)))?;
        if let Some(e) = doc.errors.first() {
            return Err(ApiError::bad_request(format!(
                "{}{}: {}",
                e.file,
                e.position
                    .map(|p| format!(" at byte {p}"))
                    .unwrap_or_default(),
                e.error
            )));
        }
        let body = render(|out| stormwatch_report::write_json(out, &doc))?;
        let ids = doc.summary.iter().map(|s| s.indicator.clone()).collect();
        Ok((body, ids))
    })
    .await
}

fn year_now() -> i32 {
    stormwatch_model::Timestamp::now().to_string()[..4]
        .parse()
        .unwrap_or(2026)
}

/// The OpenAPI 3.0 document.
pub fn openapi_document() -> Value {
    let err = json!({"$ref": "#/components/responses/Error"});
    let std_errors = json!({
        "400": err, "401": err, "403": err, "404": err, "406": err, "429": err,
    });
    let post_errors = json!({
        "400": err, "401": err, "413": err, "429": err,
    });
    let posted = |ok: Value| {
        let mut r = post_errors.clone();
        r["200"] = ok;
        r
    };
    let raw_body = json!({"required": true, "content": {
        "text/plain": {"schema": {"type": "string"}},
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
    }});
    let strings =
        json!({"oneOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string"}]});
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
            "/api/actors/{key}/why": {"get": {"operationId": "actorWhy",
                "description": "`stormwatch actor why KEY TO --format json`: the chain of claims between two actor names, over what this account may see.",
                "parameters": [
                p("key", "path", true, json!({"type": "string", "minLength": 1})),
                p("to", "query", true, json!({"type": "string", "minLength": 1})),
                p("min_confidence", "query", false, json!({"type": "integer", "minimum": 0, "maximum": 100})),
                p("include_disputed", "query", false, json!({"type": "boolean"})),
            ], "responses": with(json_ok("Why"))}},
            "/api/attribute": {"post": {"operationId": "attribute",
                "description": "`stormwatch attribute --format json`: rank the actors this account may see by overlap with the observed items.",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "properties": {
                    "ttp": strings, "software": strings, "indicator": strings, "cve": strings, "sector": strings, "country": strings,
                    "limit": {"type": "integer", "minimum": 1, "maximum": 1000},
                    "min_confidence": {"type": "integer", "minimum": 0, "maximum": 100},
                    "include_disputed": {"type": "boolean"},
                    "from_sightings": {"type": "boolean"}}}}}},
                "responses": posted(json_ok("Ranking"))}},
            "/api/audit": {"post": {"operationId": "audit",
                "description": "`stormwatch audit --format json` of one configuration (the body); secrets are always redacted; addresses are checked against the indicators this account may see (else the built-in pack's).",
                "parameters": [p("name", "query", false, json!({"type": "string", "minLength": 1, "maxLength": 255}))],
                "requestBody": raw_body.clone(),
                "responses": posted(json_ok("AuditDoc"))}},
            "/api/hunt": {"post": {"operationId": "hunt",
                "description": "`stormwatch hunt --format json` of one log (the body; gzip and zstd recognised by content), swept for the indicators this account may see (else the built-in pack's).",
                "parameters": [
                    p("name", "query", false, json!({"type": "string", "minLength": 1, "maxLength": 255})),
                    p("respect_validity", "query", false, json!({"type": "boolean"})),
                    p("year", "query", false, json!({"type": "integer", "minimum": 1970, "maximum": 9999})),
                ],
                "requestBody": raw_body,
                "responses": posted(json_ok("HuntDoc"))}},
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
                "Why": {"type": "object", "required": ["connected", "paths", "blocked"], "properties": {
                    "connected": {"type": "boolean"},
                    "paths": {"type": "array", "items": {"type": "array", "items": {"$ref": "#/components/schemas/Link"}}},
                    "blocked": {"type": "array", "items": {"$ref": "#/components/schemas/Link"}}}},
                "Link": {"type": "object", "required": ["id", "from", "to", "kind"], "properties": {
                    "id": {"type": "string"}, "from": {"type": "string"}, "to": {"type": "string"}, "kind": {"type": "string"},
                    "source": {"type": "string", "nullable": true}, "date": {"type": "string", "nullable": true},
                    "reference": {"type": "string", "nullable": true}, "confidence": {"type": "integer"},
                    "admiralty": {"type": "string", "nullable": true}, "disputed": {"type": "boolean"},
                    "disputed_by": {"type": "array", "items": {"type": "string"}}, "followed": {"type": "boolean"},
                    "blocked_because": {"type": "string", "nullable": true}}},
                "Ranking": {"type": "object", "required": ["candidates", "ignored"], "properties": {
                    "candidates": {"type": "array", "items": {"type": "object", "required": ["id", "name", "score", "probability", "shared"], "properties": {
                        "id": {"type": "string"}, "external_id": {"type": "string", "nullable": true}, "name": {"type": "string"},
                        "members": {"type": "array", "items": {"type": "string"}}, "score": {"type": "number"},
                        "probability": {"type": "number"}, "shared": {"type": "array", "items": {"type": "object"}},
                        "profile_items": {"type": "integer"}}}},
                    "ignored": {"type": "array", "items": {"type": "string"}},
                    "ignored_detail": {"type": "array", "items": {"type": "object"}},
                    "observed": {"type": "array", "items": {"type": "string"}},
                    "candidates_total": {"type": "integer"}, "caveat": {"type": "string"}}},
                "AuditDoc": {"type": "object", "required": ["findings", "skipped", "errors", "files", "indicators"], "properties": {
                    "findings": {"type": "array", "items": {"type": "object", "required": ["rule", "severity", "file", "line", "message"], "properties": {
                        "rule": {"type": "string"}, "name": {"type": "string"}, "title": {"type": "string"},
                        "severity": {"type": "string", "enum": ["critical", "high", "medium", "low", "info"]},
                        "technique": {"type": "string"}, "file": {"type": "string"}, "line": {"type": "integer"},
                        "message": {"type": "string"}, "remediation": {"type": "string"}}}},
                    "skipped": {"type": "array", "items": {"type": "object"}},
                    "errors": {"type": "array", "items": {"type": "object"}},
                    "files": {"type": "array", "items": {"type": "object"}},
                    "indicators": {"type": "object"}}},
                "HuntDoc": {"type": "object", "required": ["matches", "summary", "inputs", "errors", "indicators"], "properties": {
                    "matches": {"type": "array", "items": {"type": "object", "required": ["file", "offset", "value", "indicator", "indicator_value"], "properties": {
                        "file": {"type": "string"}, "line": {"type": "integer", "nullable": true}, "offset": {"type": "integer"},
                        "value": {"type": "string"}, "canonical": {"type": "string"}, "indicator": {"type": "string"},
                        "indicator_value": {"type": "string"}, "partial": {"type": "boolean"},
                        "time": {"type": "string", "nullable": true}, "time_inferred": {"type": "boolean"}}}},
                    "summary": {"type": "array", "items": {"type": "object"}},
                    "inputs": {"type": "array", "items": {"type": "object"}},
                    "errors": {"type": "array", "items": {"type": "object"}},
                    "unsweepable": {"type": "array", "items": {"type": "object"}},
                    "indicators": {"type": "object", "properties": {"source": {"type": "string"}, "indicators": {"type": "integer"}, "values": {"type": "integer"}}},
                    "caveat": {"type": "string"}}},
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
