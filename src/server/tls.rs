//! The server's TLS identity: a self-signed certificate made at start-up
//! (which clients are told to trust through
//! [`crate::server::RunningServer::ca_cert_pem`]), or a certificate and key
//! read from PEM files.
//!
//! rustls gets the crate's crypto provider
//! ([`crate::signing::tls_crypto_provider`]) explicitly, so the server never
//! depends on, or changes, a process-wide default provider.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use super::serve::ServeError;

/// The names a self-signed certificate covers unless told otherwise: the
/// name and the address a local client reaches the server by.
pub(super) const DEFAULT_SELF_SIGNED_HOSTS: [&str; 2] = ["localhost", "127.0.0.1"];

/// How the server gets its certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsSetup {
    /// A fresh self-signed certificate for these host names and IP
    /// addresses (its subject alternative names); empty means
    /// [`DEFAULT_SELF_SIGNED_HOSTS`].
    SelfSigned { hosts: Vec<String> },
    /// A certificate chain and its private key, both PEM.
    Files { cert_pem: PathBuf, key_pem: PathBuf },
}

impl TlsSetup {
    /// A self-signed certificate for [`DEFAULT_SELF_SIGNED_HOSTS`].
    pub fn self_signed() -> Self {
        TlsSetup::SelfSigned {
            hosts: DEFAULT_SELF_SIGNED_HOSTS.map(str::to_string).to_vec(),
        }
    }
}

impl Default for TlsSetup {
    fn default() -> Self {
        Self::self_signed()
    }
}

/// A ready rustls configuration and, when self-signed, the certificate a
/// client must trust.
pub(crate) struct TlsMaterial {
    pub config: Arc<rustls::ServerConfig>,
    pub self_signed_pem: Option<String>,
}

pub(crate) fn prepare(setup: TlsSetup) -> Result<TlsMaterial, ServeError> {
    match setup {
        TlsSetup::SelfSigned { hosts } => {
            let hosts = if hosts.is_empty() {
                DEFAULT_SELF_SIGNED_HOSTS.map(str::to_string).to_vec()
            } else {
                hosts
            };
            let certified = rcgen::generate_simple_self_signed(hosts).map_err(|error| {
                ServeError::SelfSigned {
                    reason: error.to_string(),
                }
            })?;
            let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
                certified.signing_key.serialize_der(),
            ));
            let config = server_config(vec![certified.cert.der().clone()], key)?;
            Ok(TlsMaterial {
                config,
                self_signed_pem: Some(certified.cert.pem()),
            })
        }
        TlsSetup::Files { cert_pem, key_pem } => {
            let certs = read_certificates(&cert_pem)?;
            let key = read_private_key(&key_pem)?;
            Ok(TlsMaterial {
                config: server_config(certs, key)?,
                self_signed_pem: None,
            })
        }
    }
}

fn server_config(
    certs: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<rustls::ServerConfig>, ServeError> {
    let provider = Arc::new(crate::signing::tls_crypto_provider());
    let rejected = |error: rustls::Error| ServeError::Tls {
        reason: error.to_string(),
    };
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(rejected)?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(rejected)?;
    // The server speaks HTTP/1.1 only (that is where the header read timeout
    // applies), so that is all it offers.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn read_pem(path: &Path, what: &'static str) -> Result<Vec<u8>, ServeError> {
    crate::input_file::read(path).map_err(|err| ServeError::ReadFile {
        what,
        path: path.to_path_buf(),
        source: std::io::Error::other(err.reason()),
    })
}

fn read_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, ServeError> {
    const WHAT: &str = "TLS certificate";
    let text = read_pem(path, WHAT)?;
    let certs = CertificateDer::pem_slice_iter(&text)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| ServeError::BadPem {
            what: WHAT,
            path: path.to_path_buf(),
            reason: error.to_string(),
        })?;
    if certs.is_empty() {
        return Err(ServeError::BadPem {
            what: WHAT,
            path: path.to_path_buf(),
            reason: "no CERTIFICATE block found".to_string(),
        });
    }
    Ok(certs)
}

fn read_private_key(path: &Path) -> Result<PrivateKeyDer<'static>, ServeError> {
    const WHAT: &str = "TLS private key";
    let text = read_pem(path, WHAT)?;
    PrivateKeyDer::from_pem_slice(&text).map_err(|error| ServeError::BadPem {
        what: WHAT,
        path: path.to_path_buf(),
        // The error names what is missing or malformed, never key bytes.
        reason: error.to_string(),
    })
}
