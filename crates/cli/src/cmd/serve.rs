//! `stormwatch serve`: the TAXII 2.1 server and REST API over the store.

use anyhow::{Context, Result};
use std::net::SocketAddr;
use std::path::PathBuf;

use crate::global::{Exit, Global};

/// Serve the store over TAXII 2.1 (`/taxii2/`) and a JSON REST API (`/api/`).
///
/// Every data path enforces TLP 2.0 for the calling account (see `admin`).
/// Credentials: `Authorization: Bearer TOKEN`, or HTTP Basic with the user name and
/// the token as password. One JSON line per request goes to stderr (`--quiet`
/// turns them off). SIGINT or SIGTERM stops accepting and finishes requests in flight.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Address to listen on
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8480")]
    pub listen: SocketAddr,

    /// Largest request body accepted (bytes); larger POSTs get 413
    #[arg(long, value_name = "BYTES", default_value_t = 32 << 20)]
    pub max_body_bytes: usize,

    /// Requests per second allowed per token, bursts of twice that (0: unlimited)
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub rate_limit: u32,

    /// Largest page a client may ask for with `limit`
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub max_page: usize,

    /// Worker threads (0: one per core)
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub threads: usize,

    /// Memory bound of the cache of stored objects' JSON that TAXII pages are built
    /// from, in MiB (0: no cache, every page reads its JSON from the store)
    #[arg(long, value_name = "MIB", default_value_t = stormwatch_server::DEFAULT_OBJECT_CACHE_MIB)]
    pub object_cache: usize,

    /// Requests that use the store at once, each on its own connection and
    /// thread (0: twice the cores, at least 4); others wait their turn
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub store_slots: usize,

    /// Serve HTTPS: the certificate chain (PEM, leaf first); needs --tls-key
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// The private key of --tls-cert (PEM: PKCS#8, RSA or EC); needs --tls-cert
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}

pub fn run(g: &Global, a: &Args) -> Result<Exit> {
    let tls = match (&a.tls_cert, &a.tls_key) {
        (Some(cert), Some(key)) => {
            let files = stormwatch_server::TlsFiles {
                cert: cert.clone(),
                key: key.clone(),
            };
            // Checked before the store is opened: a bad file fails at once, named.
            stormwatch_server::tls::server_config(&files)?;
            Some(files)
        }
        (None, None) => None,
        _ => anyhow::bail!("give both --tls-cert and --tls-key, or neither"),
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    let location = g.location()?;
    let mut config = stormwatch_server::Config::new(a.listen, location.clone());
    config.max_body_bytes = a.max_body_bytes;
    config.rate_limit = a.rate_limit;
    config.max_page = a.max_page.max(1);
    config.threads = a.threads;
    config.store_slots = a.store_slots;
    config.object_cache_bytes = a.object_cache.saturating_mul(1 << 20);
    config.request_log = !g.quiet;
    config.tls = tls;
    stormwatch_server::run(config, |addr| {
        // Always printed: scripts wait for this line to know the port.
        eprintln!(
            "{{\"event\":\"listening\",\"address\":\"{addr}\",\"store\":{},\"tls\":{},\"taxii\":\"{scheme}://{addr}/taxii2/\"}}",
            serde_json::Value::from(location.to_string()),
            scheme == "https"
        );
    })
    .with_context(|| format!("serve {}", a.listen))?;
    Ok(Exit::Clean)
}
