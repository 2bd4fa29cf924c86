//! TLS for `serve --tls-cert PEM --tls-key PEM`: rustls with the ring crypto
//! backend (no aws-lc-rs, no C++ toolchain or cmake). The certificate chain and the
//! key are read and checked against each other before the server binds, so a bad
//! file stops the start with an error naming it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The PEM files of a TLS server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The certificate chain, leaf first.
    pub cert: PathBuf,
    /// The private key (PKCS#8, PKCS#1 RSA or SEC1 EC).
    pub key: PathBuf,
}

/// Why the TLS files cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("--tls-cert {}: cannot read: {source}", .file.display())]
    ReadCert {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("--tls-key {}: cannot read: {source}", .file.display())]
    ReadKey {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("--tls-cert {}: {message}; give a PEM file with a CERTIFICATE block (the leaf first)", .file.display())]
    BadCert { file: PathBuf, message: String },
    #[error("--tls-key {}: {message}; give a PEM file with a PRIVATE KEY block (PKCS#8, RSA or EC)", .file.display())]
    BadKey { file: PathBuf, message: String },
    #[error("--tls-key {} does not belong to the certificate in --tls-cert {}: {message}", .key.display(), .cert.display())]
    Mismatch {
        cert: PathBuf,
        key: PathBuf,
        message: String,
    },
}

fn read(path: &Path) -> std::io::Result<Vec<u8>> {
    std::fs::read(path)
}

/// The certificates of a PEM file.
fn certs(file: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let bytes = read(file).map_err(|source| TlsError::ReadCert {
        file: file.to_owned(),
        source,
    })?;
    let mut out = Vec::new();
    for c in CertificateDer::pem_slice_iter(&bytes) {
        out.push(c.map_err(|e| TlsError::BadCert {
            file: file.to_owned(),
            message: format!("not a readable PEM file ({e})"),
        })?);
    }
    if out.is_empty() {
        return Err(TlsError::BadCert {
            file: file.to_owned(),
            message: "no certificate found".into(),
        });
    }
    Ok(out)
}

/// The private key of a PEM file.
fn key(file: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let bytes = read(file).map_err(|source| TlsError::ReadKey {
        file: file.to_owned(),
        source,
    })?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| TlsError::BadKey {
        file: file.to_owned(),
        message: match e {
            rustls::pki_types::pem::Error::NoItemsFound => "no private key found".into(),
            e => format!("not a readable PEM file ({e})"),
        },
    })
}

/// A rustls server configuration (ring, TLS 1.2 and 1.3, HTTP/1.1) for the files;
/// checks that the key is the certificate's.
pub fn server_config(files: &TlsFiles) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let chain = certs(&files.cert)?;
    let key = key(&files.key)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::BadCert {
            file: files.cert.clone(),
            message: e.to_string(),
        })?;
    let mut config = builder
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| match e {
            rustls::Error::InconsistentKeys(_) => TlsError::Mismatch {
                cert: files.cert.clone(),
                key: files.key.clone(),
                message: e.to_string(),
            },
            rustls::Error::General(_) => TlsError::BadKey {
                file: files.key.clone(),
                message: e.to_string(),
            },
            e => TlsError::BadCert {
                file: files.cert.clone(),
                message: e.to_string(),
            },
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
