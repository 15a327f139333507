//! Putting the app on a socket: binding, plain HTTP or TLS through
//! axum-server, the HTTP/1 limits (header read timeout against slow-loris
//! clients), and stopping.

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use axum_server::Handle;
use axum_server::tls_rustls::{RustlsAcceptor, RustlsConfig};
use tokio::task::JoinHandle;

use super::config::ServerConfig;
use super::tls::{self, TlsSetup};

/// How long a graceful shutdown waits for answers in flight (e.g. a delay
/// fault) before cutting connections.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

/// Why the server could not start, or stopped.
#[derive(Debug)]
pub enum ServeError {
    Bind {
        addr: SocketAddr,
        source: io::Error,
    },
    ReadFile {
        what: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    BadPem {
        what: &'static str,
        path: PathBuf,
        reason: String,
    },
    SelfSigned {
        reason: String,
    },
    /// rustls refused the certificate and key (e.g. they do not match).
    Tls {
        reason: String,
    },
    /// The server stopped with an I/O error after it started.
    Stopped {
        source: io::Error,
    },
    /// The server task ended abnormally (it was cancelled or panicked).
    Aborted {
        reason: String,
    },
}

impl fmt::Display for ServeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServeError::Bind { addr, source } => match source.kind() {
                io::ErrorKind::AddrInUse => write!(
                    f,
                    "cannot listen on {addr}: the address is already in use; stop the \
                     process using it or choose another address (port 0 picks a free one)"
                ),
                io::ErrorKind::PermissionDenied => write!(
                    f,
                    "cannot listen on {addr}: permission denied (ports below 1024 usually \
                     need privileges); choose another port"
                ),
                io::ErrorKind::AddrNotAvailable => write!(
                    f,
                    "cannot listen on {addr}: no local interface has this address"
                ),
                _ => write!(f, "cannot listen on {addr}: {source}"),
            },
            ServeError::ReadFile { what, path, source } => {
                write!(
                    f,
                    "cannot read the {what} file {}: {source}",
                    path.display()
                )
            }
            ServeError::BadPem { what, path, reason } => write!(
                f,
                "the {what} file {} is not usable PEM: {reason}",
                path.display()
            ),
            ServeError::SelfSigned { reason } => {
                write!(f, "cannot make a self-signed certificate: {reason}")
            }
            ServeError::Tls { reason } => write!(
                f,
                "the TLS certificate and key were refused: {reason}; check that the key \
                 belongs to the first certificate of the chain"
            ),
            ServeError::Stopped { source } => write!(f, "the server stopped: {source}"),
            ServeError::Aborted { reason } => write!(f, "the server task ended: {reason}"),
        }
    }
}

impl std::error::Error for ServeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ServeError::Bind { source, .. }
            | ServeError::ReadFile { source, .. }
            | ServeError::Stopped { source } => Some(source),
            _ => None,
        }
    }
}

/// A server running on the current tokio runtime. Dropping it stops it at
/// once; [`RunningServer::shutdown`] lets answers in flight finish first.
pub struct RunningServer {
    /// The address it listens on (the real port when 0 was asked for).
    pub addr: SocketAddr,
    /// `http://127.0.0.1:PORT` or `https://...`: what a client on this host
    /// calls. An unspecified bind address (0.0.0.0, ::) becomes loopback.
    pub base_url: String,
    /// With a self-signed certificate: that certificate in PEM, for clients
    /// to trust (e.g. through `SSL_CERT_FILE`).
    pub ca_cert_pem: Option<String>,
    handle: Handle<SocketAddr>,
    task: Option<JoinHandle<io::Result<()>>>,
}

impl fmt::Debug for RunningServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunningServer")
            .field("addr", &self.addr)
            .field("base_url", &self.base_url)
            .field("tls_self_signed", &self.ca_cert_pem.is_some())
            .finish_non_exhaustive()
    }
}

impl RunningServer {
    /// Stops accepting, lets answers in flight finish (briefly), and waits
    /// for the server to end.
    pub async fn shutdown(mut self) -> Result<(), ServeError> {
        self.handle.graceful_shutdown(Some(SHUTDOWN_GRACE));
        self.join().await
    }

    /// Runs until the server stops by itself, which only an I/O error makes
    /// it do; meant for `serve`, which races it against Ctrl-C.
    pub async fn wait(&mut self) -> Result<(), ServeError> {
        self.join().await
    }

    async fn join(&mut self) -> Result<(), ServeError> {
        let Some(task) = self.task.take() else {
            return Ok(());
        };
        match task.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(source)) => Err(ServeError::Stopped { source }),
            Err(join_error) => Err(ServeError::Aborted {
                reason: join_error.to_string(),
            }),
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        self.handle.shutdown();
    }
}

/// Binds `addr`, starts serving [`super::app`] on the current tokio runtime
/// (plain HTTP, or TLS with `tls`) and returns once the socket listens.
pub async fn start(
    config: ServerConfig,
    addr: SocketAddr,
    tls: Option<TlsSetup>,
) -> Result<RunningServer, ServeError> {
    let header_read_timeout = config.header_read_timeout;
    serve_router(super::app(config), header_read_timeout, addr, tls).await
}

/// Serves any router the way [`start`] serves the reference server (the
/// same TLS and slow-client handling): the client half's scripted
/// provider uses it too.
pub async fn serve_router(
    router: axum::Router,
    header_read_timeout: std::time::Duration,
    addr: SocketAddr,
    tls: Option<TlsSetup>,
) -> Result<RunningServer, ServeError> {
    let material = tls.map(tls::prepare).transpose()?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Bind { addr, source })?;
    let local = listener
        .local_addr()
        .map_err(|source| ServeError::Bind { addr, source })?;
    let make_service = router.into_make_service();
    let handle = Handle::new();

    let mut server = axum_server::Server::from_listener(listener)
        .handle(handle.clone())
        .http1_only();
    server
        .http_builder()
        .http1()
        .header_read_timeout(header_read_timeout);

    let (task, ca_cert_pem, scheme) = match material {
        None => (tokio::spawn(server.serve(make_service)), None, "http"),
        Some(material) => {
            let acceptor = RustlsAcceptor::new(RustlsConfig::from_config(material.config));
            let server = server.acceptor(acceptor);
            (
                tokio::spawn(server.serve(make_service)),
                material.self_signed_pem,
                "https",
            )
        }
    };
    Ok(RunningServer {
        addr: local,
        base_url: format!("{scheme}://{}", reachable(local)),
        ca_cert_pem,
        handle,
        task: Some(task),
    })
}

/// The address a local client dials for a server bound to `addr`.
fn reachable(addr: SocketAddr) -> SocketAddr {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, addr.port())
}
