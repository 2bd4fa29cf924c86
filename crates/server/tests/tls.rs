//! `serve --tls-cert --tls-key`: HTTPS with rustls (ring backend). A self-signed
//! certificate made here (rcgen) is trusted by a rustls client, which fetches
//! `/healthz` and TAXII discovery over TLS; plain HTTP to the TLS port gets no HTTP
//! answer; bad, missing and mismatched files are refused with errors naming them.

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::Value;
use stormwatch_server::{TlsError, TlsFiles};
use stormwatch_store::{Location, SqliteStore, Store};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

struct Pki {
    _dir: tempfile::TempDir,
    files: TlsFiles,
    der: CertificateDer<'static>,
    db: PathBuf,
}

fn pki() -> Pki {
    let dir = tempfile::tempdir().unwrap();
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    std::fs::write(&cert, ck.cert.pem()).unwrap();
    std::fs::write(&key, ck.signing_key.serialize_pem()).unwrap();
    let db = dir.path().join("kb.db");
    let mut s = SqliteStore::open(&db).unwrap();
    s.collection_add("c", None, "TLP:CLEAR").unwrap();
    drop(s);
    Pki {
        files: TlsFiles { cert, key },
        der: ck.cert.der().clone(),
        _dir: dir,
        db,
    }
}

fn start(p: &Pki) -> SocketAddr {
    let mut cfg = stormwatch_server::Config::new(
        "127.0.0.1:0".parse().unwrap(),
        Location::Sqlite(p.db.clone()),
    );
    cfg.request_log = false;
    cfg.threads = 2;
    cfg.tls = Some(p.files.clone());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        stormwatch_server::run(cfg, |a| {
            let _ = tx.send(a);
        })
        .unwrap();
    });
    rx.recv_timeout(std::time::Duration::from_secs(30)).unwrap()
}

/// GET over TLS, trusting only `root`: (status, body).
async fn https_get(addr: SocketAddr, root: &CertificateDer<'static>, path: &str) -> (u16, String) {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(root.clone()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(cfg));
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    let mut tls = connector.connect(name, tcp).await.unwrap();
    let req = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    tls.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    // A server may close without close_notify after `Connection: close`.
    let _ = tls.read_to_end(&mut raw).await;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let body = if chunked {
        common::dechunk(body)
    } else {
        body.to_owned()
    };
    (status, body)
}

#[test]
fn healthz_and_discovery_over_tls_and_plain_http_refused() {
    let p = pki();
    let addr = start(&p);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (st, body) = rt.block_on(https_get(addr, &p.der, "/healthz"));
    assert_eq!(st, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["status"], "ok");
    let (st, body) = rt.block_on(https_get(addr, &p.der, "/taxii2/"));
    assert_eq!(st, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert!(
        v["default"].as_str().unwrap().starts_with("https://"),
        "{v}"
    );
    // Plain HTTP to the TLS port: no HTTP answer at all.
    let (st, _, body) = common::http(addr, "GET", "/healthz", &[], b"");
    assert_eq!(st, 0, "plain HTTP was answered: {body}");
    assert!(!body.contains("\"status\""), "{body}");
    // Still serving TLS after the plain-text attempt.
    let (st, _) = rt.block_on(https_get(addr, &p.der, "/healthz"));
    assert_eq!(st, 200);
}

fn refused(files: &TlsFiles) -> String {
    let e: TlsError = stormwatch_server::tls::server_config(files).unwrap_err();
    e.to_string()
}

fn shown(p: &Path) -> String {
    p.display().to_string()
}

#[test]
fn bad_missing_and_mismatched_files_are_named() {
    let a = pki();
    let b = pki();
    assert!(stormwatch_server::tls::server_config(&a.files).is_ok());
    // Missing files.
    let gone = a.files.cert.with_file_name("gone.pem");
    let e = refused(&TlsFiles {
        cert: gone.clone(),
        key: a.files.key.clone(),
    });
    assert!(e.contains("--tls-cert") && e.contains(&shown(&gone)), "{e}");
    let e = refused(&TlsFiles {
        cert: a.files.cert.clone(),
        key: gone.clone(),
    });
    assert!(e.contains("--tls-key") && e.contains(&shown(&gone)), "{e}");
    // Not PEM / the wrong PEM.
    let junk = a.files.cert.with_file_name("junk.pem");
    std::fs::write(&junk, "hello\n").unwrap();
    let e = refused(&TlsFiles {
        cert: junk.clone(),
        key: a.files.key.clone(),
    });
    assert!(
        e.contains("--tls-cert") && e.contains(&shown(&junk)) && e.contains("no certificate"),
        "{e}"
    );
    let e = refused(&TlsFiles {
        cert: a.files.cert.clone(),
        key: a.files.cert.clone(),
    });
    assert!(
        e.contains("--tls-key") && e.contains("no private key"),
        "{e}"
    );
    // A key that is not the certificate's.
    let e = refused(&TlsFiles {
        cert: a.files.cert.clone(),
        key: b.files.key.clone(),
    });
    assert!(
        e.contains("does not belong")
            && e.contains(&shown(&a.files.cert))
            && e.contains(&shown(&b.files.key)),
        "{e}"
    );
    // The server refuses to start with them (before binding).
    let mut cfg = stormwatch_server::Config::new(
        "127.0.0.1:0".parse().unwrap(),
        Location::Sqlite(a.db.clone()),
    );
    cfg.tls = Some(TlsFiles {
        cert: a.files.cert.clone(),
        key: b.files.key.clone(),
    });
    let r = stormwatch_server::run(cfg, |_| panic!("must not listen"));
    assert!(matches!(
        r,
        Err(stormwatch_server::ServeError::Tls(
            TlsError::Mismatch { .. }
        ))
    ));
}
