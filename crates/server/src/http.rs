//! HTTP plumbing shared by the TAXII and REST routes: errors as TAXII error
//! messages, content types, credentials and rate limits, request logs.

use axum::extract::{ConnectInfo, Request, State as AxState};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::access::{self, Principal, Refused, UserView};
use crate::State;
use stormwatch_store::Store;

/// The TAXII 2.1 media type.
pub const TAXII: &str = "application/taxii+json;version=2.1";
/// The STIX 2.1 media type.
pub const STIX: &str = "application/stix+json;version=2.1";

/// An error answered as a TAXII error message (`title`, `description`, `http_status`).
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub title: String,
    pub description: String,
}

impl ApiError {
    pub fn new(status: StatusCode, title: &str, description: impl Into<String>) -> ApiError {
        ApiError {
            status,
            title: title.to_owned(),
            description: description.into(),
        }
    }
    pub fn bad_request(d: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "Bad request", d)
    }
    pub fn not_found(d: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "Not found", d)
    }
    pub fn forbidden(d: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "Forbidden", d)
    }
    pub fn unauthorized() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "send Authorization: Bearer TOKEN (or HTTP Basic with the user name and the token as password); a token comes from `stormwatch admin token create USER`",
        )
    }
    pub fn internal(d: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal error", d)
    }
    pub fn store(e: stormwatch_store::StoreError) -> ApiError {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "Store unavailable",
            e.to_string(),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "title": self.title,
            "description": self.description,
            "http_status": self.status.as_u16().to_string(),
        });
        let mut r = (self.status, body.to_string()).into_response();
        r.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(TAXII));
        if self.status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"stormwatch\", Bearer realm=\"stormwatch\""),
            );
        }
        r
    }
}

/// A JSON body with a content type.
pub fn json_response(status: StatusCode, content_type: &'static str, body: String) -> Response {
    let mut r = (status, body).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

/// The client accepts TAXII 2.1 (or anything); else 406.
pub fn check_accept(headers: &HeaderMap, want: &str) -> Result<(), ApiError> {
    let Some(a) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Ok(());
    };
    let base = want.split(';').next().unwrap_or(want);
    let ok = a.split(',').any(|part| {
        let p = part.trim().to_ascii_lowercase().replace(' ', "");
        let mt = p.split(';').next().unwrap_or("");
        mt == "*/*"
            || mt == "application/*"
            || (mt == base && (!p.contains("version=") || p.contains("version=2.1")))
    });
    if ok {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::NOT_ACCEPTABLE,
            "Not acceptable",
            format!("this endpoint answers {want}; the Accept header asked for {a:?}"),
        ))
    }
}

/// The request's media type is `want` (parameters other than version ignored).
pub fn check_content_type(headers: &HeaderMap, want: &str) -> Result<(), ApiError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let p = ct.to_ascii_lowercase().replace(' ', "");
    let base = want.split(';').next().unwrap_or(want);
    let mt = p.split(';').next().unwrap_or("");
    if mt == base && (!p.contains("version=") || p.contains("version=2.1")) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported media type",
            format!("send Content-Type: {want} (got {ct:?})"),
        ))
    }
}

/// Per-token request budgets (token bucket: `rate` a second, bursts of `2 * rate`).
pub struct RateLimiter {
    rate: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl RateLimiter {
    pub fn new(rate: u32) -> RateLimiter {
        RateLimiter {
            rate: f64::from(rate),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request from `key`'s budget; false when it is spent.
    pub fn allow(&self, key: &str) -> bool {
        if self.rate <= 0.0 {
            return true;
        }
        let Ok(mut b) = self.buckets.lock() else {
            return true;
        };
        if b.len() > 100_000 {
            b.clear();
        }
        let now = Instant::now();
        let burst = self.rate * 2.0;
        let e = b.entry(key.to_owned()).or_insert((burst, now));
        e.0 = (e.0 + now.duration_since(e.1).as_secs_f64() * self.rate).min(burst);
        e.1 = now;
        if e.0 >= 1.0 {
            e.0 -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Who made a request, for the request log.
#[derive(Clone)]
pub struct LogUser(pub String);

/// A presented credential, parsed and rate-limited (not yet checked).
pub struct Credential {
    token: String,
    user: Option<String>,
    cache: Arc<access::TokenCache>,
}

/// Reads the credential; 401 when absent or malformed, 429 when its budget is spent.
pub fn credential(state: &State, headers: &HeaderMap) -> Result<Credential, ApiError> {
    let h = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let (token, user) = access::parse_authorization(h).map_err(|_| ApiError::unauthorized())?;
    if !state.limiter.allow(&access::hash_token(&token)) {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many requests",
            format!(
                "this token may make {} requests a second (serve --rate-limit)",
                state.config.rate_limit
            ),
        ));
    }
    Ok(Credential {
        token,
        user,
        cache: Arc::clone(&state.tokens),
    })
}

impl Credential {
    /// Checks the credential against the store (on a blocking thread).
    pub fn check(
        &self,
        store: &dyn Store,
        policy: &Arc<access::Policy>,
    ) -> Result<Principal, ApiError> {
        let now = stormwatch_model::Timestamp::now().to_string();
        match access::authenticate(
            store,
            &self.cache,
            policy,
            &self.token,
            self.user.as_deref(),
            &now,
        ) {
            Ok(u) => Ok(Principal::User(u)),
            Err(Refused::Missing | Refused::Malformed | Refused::Unknown | Refused::WrongUser) => {
                Err(ApiError::unauthorized())
            }
            Err(Refused::Revoked) => Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "Unauthorized",
                "this token was revoked",
            )),
            Err(Refused::Expired) => Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "Unauthorized",
                "this token has expired",
            )),
        }
    }
}

/// The user name of a principal, for logs.
pub fn user_of(p: &Principal) -> String {
    match p {
        Principal::Owner => "owner".into(),
        Principal::User(UserView { name, .. }) => name.clone(),
    }
}

/// Adds the request-log user to a response.
pub fn with_user(mut r: Response, user: String) -> Response {
    r.extensions_mut().insert(LogUser(user));
    r
}

/// One JSON line per request on stderr; REST errors get `application/json`.
pub async fn log_requests(
    AxState(state): AxState<Arc<State>>,
    req: Request,
    next: Next,
) -> Response {
    let start = Instant::now();
    let method = req.method().to_string();
    let path = req.uri().path().to_owned();
    let query = req.uri().query().map(str::to_owned);
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.to_string());
    let mut resp = next.run(req).await;
    if path.starts_with("/api/") {
        if let Some(ct) = resp.headers().get(header::CONTENT_TYPE) {
            if ct.as_bytes().starts_with(b"application/taxii+json") {
                resp.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
            }
        }
    }
    if state.config.request_log {
        let user = resp.extensions().get::<LogUser>().map(|u| u.0.clone());
        let line = serde_json::json!({
            "time": stormwatch_model::Timestamp::now().to_string(),
            "method": method,
            "path": path,
            "query": query,
            "status": resp.status().as_u16(),
            "ms": (start.elapsed().as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0,
            "user": user,
            "peer": peer,
        });
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{line}");
    }
    resp
}

/// `GET /healthz`: the store answers.
pub async fn healthz(AxState(state): AxState<Arc<State>>) -> Response {
    let up = state.started.elapsed().as_secs();
    match state
        .with_store(|s, _| s.stats().map_err(ApiError::store).map(|st| st.objects))
        .await
    {
        Ok(n) => json_response(
            StatusCode::OK,
            "application/json",
            serde_json::json!({"status": "ok", "objects": n, "uptime_seconds": up}).to_string(),
        ),
        Err(e) => json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            "application/json",
            serde_json::json!({"status": "unavailable", "error": e.description}).to_string(),
        ),
    }
}

/// Any other path.
pub async fn not_found(req: Request) -> Response {
    ApiError::not_found(format!(
        "no endpoint at {}; TAXII discovery is at /taxii2/, the REST API under /api/ (see /api/openapi.json)",
        req.uri().path()
    ))
    .into_response()
}
