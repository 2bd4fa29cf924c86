//! Stormwatch's sharing server: TAXII 2.1 (discovery, API root, collections,
//! objects, manifest, versions, status) and a JSON REST API with its OpenAPI
//! document, over any [`stormwatch_store::Store`] backend (SQLite or PostgreSQL).
//!
//! Owns HTTP only: requests are authenticated and filtered by [`access`] (the one
//! place where TLP 2.0 is enforced), data comes from the store through a pool of
//! connections used on blocking threads. Request logs are JSON lines on stderr.

pub mod access;
mod cache;
mod http;
pub mod parse;
mod rest;
mod taxii;
pub mod tls;
mod view;

use axum::serve::ListenerExt;
use std::future::IntoFuture;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use stormwatch_store::{Location, Store};

pub use http::ApiError;
pub use tls::{TlsError, TlsFiles};

/// How to run the server.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub location: Location,
    /// Largest request body accepted (bytes).
    pub max_body_bytes: usize,
    /// Requests per second allowed per token (0: unlimited); bursts of twice that.
    pub rate_limit: u32,
    /// Write one JSON line per request to stderr.
    pub request_log: bool,
    /// Largest page (`limit`) served.
    pub max_page: usize,
    /// Worker threads (0: one per core).
    pub threads: usize,
    /// Requests that may use the store at once, each with its own connection
    /// (0: twice the cores, at least 4).
    pub store_slots: usize,
    /// Serve HTTPS with this certificate and key (rustls, ring backend).
    pub tls: Option<TlsFiles>,
    /// Bound of the in-memory cache of stored versions' JSON (bytes; 0: no cache).
    pub object_cache_bytes: usize,
}

impl Config {
    pub fn new(listen: SocketAddr, location: Location) -> Config {
        Config {
            listen,
            location,
            max_body_bytes: 32 << 20,
            rate_limit: 100,
            request_log: true,
            max_page: 1000,
            threads: 0,
            store_slots: 0,
            tls: None,
            object_cache_bytes: DEFAULT_OBJECT_CACHE_MIB << 20,
        }
    }
}

/// The default bound of the object cache, in MiB (`serve --object-cache`).
pub const DEFAULT_OBJECT_CACHE_MIB: usize = 64;

/// Errors that stop the server from starting.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on {0}: {1}")]
    Listen(SocketAddr, std::io::Error),
    #[error(transparent)]
    Store(#[from] stormwatch_store::StoreError),
    #[error(transparent)]
    Tls(#[from] TlsError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Store connections for blocking threads.
pub(crate) struct Pool {
    location: Location,
    idle: Mutex<Vec<Box<dyn Store>>>,
}

impl Pool {
    fn new(location: Location) -> Pool {
        Pool {
            location,
            idle: Mutex::new(Vec::new()),
        }
    }

    fn take(&self) -> stormwatch_store::Result<Box<dyn Store>> {
        if let Some(s) = self.idle.lock().ok().and_then(|mut v| v.pop()) {
            return Ok(s);
        }
        self.location.open()
    }

    fn give(&self, s: Box<dyn Store>) {
        if let Ok(mut v) = self.idle.lock() {
            if v.len() < 64 {
                v.push(s);
            }
        }
    }
}

/// Shared server state.
pub(crate) struct State {
    pub config: Config,
    pool: Pool,
    policy: RwLock<(Instant, Arc<access::Policy>)>,
    pub limiter: http::RateLimiter,
    pub tokens: Arc<access::TokenCache>,
    slots: Arc<tokio::sync::Semaphore>,
    /// JSON of stored versions, shared by requests (see [`cache`]).
    pub objects: cache::ObjectCache,
    pub started: Instant,
}

/// How long a directory snapshot (users, grants, collections) is reused. Admin
/// changes made by other processes take effect within this time.
const POLICY_TTL: Duration = Duration::from_secs(1);

impl State {
    /// Runs `f` with a store connection on a blocking thread.
    pub async fn with_store<T, F>(self: &Arc<Self>, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn Store, &Arc<access::Policy>) -> Result<T, ApiError> + Send + 'static,
    {
        // At most `store_slots` requests use the store at once: more only adds
        // context switches and per-connection caches on a small machine.
        let permit = Arc::clone(&self.slots)
            .acquire_owned()
            .await
            .map_err(|_| ApiError::internal("the server is shutting down"))?;
        let st = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            st.run(f)
        })
        .await
        .map_err(|e| ApiError::internal(format!("worker failed: {e}")))?
    }

    /// Runs `f`, a short read, with a store connection: on SQLite on the calling
    /// worker thread (a page read from the cache takes well under a millisecond,
    /// and handing it to a blocking thread and back cost more than that, in CPU
    /// and in latency under load), elsewhere as [`State::with_store`] (a
    /// PostgreSQL query waits on the network). `f` must not write: a write may
    /// wait for another writer's lock.
    pub async fn with_store_read<T, F>(self: &Arc<Self>, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn Store, &Arc<access::Policy>) -> Result<T, ApiError> + Send + 'static,
    {
        if !matches!(self.config.location, Location::Sqlite(_)) {
            return self.with_store(f).await;
        }
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.run(f)))
            .unwrap_or_else(|_| Err(ApiError::internal("worker failed")))
    }

    /// Runs `f` on this thread with a pooled connection (given back afterwards;
    /// dropped if `f` panics) and the current policy.
    fn run<T>(
        &self,
        f: impl FnOnce(&mut dyn Store, &Arc<access::Policy>) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let mut s = self.pool.take().map_err(ApiError::store)?;
        let r = self.policy(s.as_ref()).and_then(|p| f(s.as_mut(), &p));
        self.pool.give(s);
        r
    }

    /// The current policy, re-read from the store when older than [`POLICY_TTL`].
    fn policy(&self, store: &dyn Store) -> Result<Arc<access::Policy>, ApiError> {
        if let Ok(g) = self.policy.read() {
            if g.0.elapsed() < POLICY_TTL {
                return Ok(Arc::clone(&g.1));
            }
        }
        let p = Arc::new(access::Policy::new(
            store.directory().map_err(ApiError::store)?,
        ));
        if let Ok(mut g) = self.policy.write() {
            *g = (Instant::now(), Arc::clone(&p));
        }
        Ok(p)
    }
}

/// The router for a state (used by [`run`] and by tests).
fn app(state: Arc<State>) -> axum::Router {
    let taxii = taxii::routes();
    let rest = rest::routes();
    axum::Router::new()
        .merge(taxii)
        .merge(rest)
        .route("/healthz", axum::routing::get(http::healthz))
        .fallback(http::not_found)
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            http::log_requests,
        ))
        .with_state(state)
}

/// Opens the store, binds, serves until SIGINT or SIGTERM, then finishes the
/// requests in flight. `ready` is called with the bound address.
pub fn run(config: Config, ready: impl FnOnce(SocketAddr)) -> Result<(), ServeError> {
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    rt.enable_all();
    if config.threads > 0 {
        rt.worker_threads(config.threads);
    }
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let slots = if config.store_slots > 0 {
        config.store_slots
    } else {
        (2 * cores).max(4)
    };
    let rt = rt.max_blocking_threads(slots + 2).build()?;
    // TLS files are checked before anything else: a bad one names itself at once.
    let tls = config.tls.as_ref().map(tls::server_config).transpose()?;
    // Open once up front, outside the runtime (the PostgreSQL client blocks):
    // migrations run here, and a bad URL fails fast.
    let first = config.location.open()?;
    let policy = access::Policy::new(first.directory()?);
    let pool = Pool::new(config.location.clone());
    pool.give(first);
    let listener = rt
        .block_on(tokio::net::TcpListener::bind(config.listen))
        .map_err(|e| ServeError::Listen(config.listen, e))?;
    let addr = listener.local_addr()?;
    let state = Arc::new(State {
        limiter: http::RateLimiter::new(config.rate_limit),
        tokens: Arc::default(),
        slots: Arc::new(tokio::sync::Semaphore::new(slots)),
        objects: cache::ObjectCache::new(config.object_cache_bytes),
        config,
        pool,
        policy: RwLock::new((Instant::now(), Arc::new(policy))),
        started: Instant::now(),
    });
    // Signal handlers are installed before anyone is told the address, so a SIGTERM
    // sent right after the "listening" line is a graceful stop, not a kill.
    let signals = {
        let _in_runtime = rt.enter();
        Signals::install()
    };
    ready(addr);
    let make = app(Arc::clone(&state)).into_make_service_with_connect_info::<SocketAddr>();
    let served = match tls {
        None => rt.block_on(
            axum::serve(listener.tap_io(no_delay), make)
                .with_graceful_shutdown(signals.wait())
                .into_future(),
        ),
        Some(tls) => rt.block_on(async move {
            let handle = axum_server::Handle::new();
            let stop = handle.clone();
            tokio::spawn(async move {
                signals.wait().await;
                // Stop accepting; finish the requests in flight, however long.
                stop.graceful_shutdown(None);
            });
            let std_listener = listener.into_std()?;
            axum_server::from_tcp_rustls(
                std_listener,
                axum_server::tls_rustls::RustlsConfig::from_config(tls),
            )?
            .handle(handle)
            .serve(make)
            .await
        }),
    };
    // Store connections close here, outside the runtime (closing a PostgreSQL
    // client blocks).
    let idle: Vec<Box<dyn Store>> = state
        .pool
        .idle
        .lock()
        .map(|mut v| v.drain(..).collect())
        .unwrap_or_default();
    drop(idle);
    drop(rt);
    served?;
    Ok(())
}

/// Responses go out as soon as they are written: without `TCP_NODELAY`, the
/// last segment of a large page could wait for the client's delayed ACK (tens of
/// milliseconds on Linux), which shows as a latency tail under load.
/// (Failing to set it is not worth refusing a connection over: it is only speed.)
fn no_delay(tcp: &mut tokio::net::TcpStream) {
    let _ = tcp.set_nodelay(true);
}

/// SIGINT and SIGTERM, registered up front.
struct Signals {
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    int: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    fn install() -> Signals {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Signals {
                term: signal(SignalKind::terminate()).ok(),
                int: signal(SignalKind::interrupt()).ok(),
            }
        }
        #[cfg(not(unix))]
        Signals {}
    }

    async fn wait(self) {
        #[cfg(unix)]
        {
            let (mut term, mut int) = (self.term, self.int);
            let t = async {
                match term.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            let i = async {
                match int.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = t => {},
                _ = i => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        eprintln!(
            "{{\"event\":\"shutdown\",\"time\":\"{}\",\"message\":\"finishing requests in flight\"}}",
            stormwatch_model::Timestamp::now()
        );
    }
}
