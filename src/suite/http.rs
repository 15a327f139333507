//! One HTTP exchange with the target, recorded as sent and as received so
//! that a failure can show both. Transport problems are their own kind of
//! outcome, never confused with a wrong answer.

use std::fmt;
use std::time::Duration;

/// The most of an answer the runner reads; a larger answer is a fault of
/// the target, not a reason to run out of memory.
pub const MAX_ANSWER_BYTES: usize = 1024 * 1024;

/// A request exactly as it goes on the wire. Its `Debug` masks the
/// signature, so that no log of it can leak one.
#[derive(Clone)]
pub struct SentRequest {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl fmt::Debug for SentRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SentRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("headers", &MaskedHeaders(&self.headers))
            .field("body", &String::from_utf8_lossy(&self.body))
            .finish()
    }
}

/// An answer exactly as it came off the wire (header names lowercase).
/// Its `Debug` masks the signature too.
#[derive(Clone)]
pub struct Received {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl fmt::Debug for Received {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Received")
            .field("status", &self.status)
            .field("headers", &MaskedHeaders(&self.headers))
            .field("body", &String::from_utf8_lossy(&self.body))
            .finish()
    }
}

/// Header names whose values are secrets (compared lowercase).
pub const SECRET_HEADERS: &[&str] = &["signature", "agent-token", "authorization"];

/// The value to show for a header: secrets masked.
pub fn shown_header_value<'a>(name: &str, value: &'a str) -> &'a str {
    if SECRET_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
        crate::signing::mask(value)
    } else {
        value
    }
}

struct MaskedHeaders<'a>(&'a [(String, String)]);

impl fmt::Debug for MaskedHeaders<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(
                self.0
                    .iter()
                    .map(|(name, value)| (name, shown_header_value(name, value))),
            )
            .finish()
    }
}

impl Received {
    /// The first header with this (lowercase) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// Why no complete answer arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportError {
    /// Nothing listens there, or the TLS handshake failed.
    Connect { url: String, detail: String },
    /// No answer within the time allowed.
    NoAnswer { after: Duration },
    /// The answer started but the connection ended before it was complete.
    Broken { detail: String },
    /// The answer is larger than the runner reads.
    TooLarge,
    /// The request could not be made at all (a bad URL or method).
    Request { detail: String },
    /// The client half: the adapter did not give a usable answer.
    Adapter { detail: String },
}

impl TransportError {
    /// True for the outcomes a case can script on purpose (a held or dropped
    /// answer), as opposed to a target that cannot be reached at all.
    pub fn is_missing_answer(&self) -> bool {
        matches!(
            self,
            TransportError::NoAnswer { .. } | TransportError::Broken { .. }
        )
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransportError::Connect { url, detail } => write!(
                f,
                "cannot connect to {url}: {detail} (is the target running, and is the URL right?)"
            ),
            TransportError::NoAnswer { after } => {
                write!(f, "no answer within {} ms", after.as_millis())
            }
            TransportError::Broken { detail } => {
                write!(
                    f,
                    "the connection ended before the answer was complete: {detail}"
                )
            }
            TransportError::TooLarge => write!(
                f,
                "the answer is larger than {MAX_ANSWER_BYTES} bytes; a cancel answer is a few hundred"
            ),
            TransportError::Request { detail } => write!(f, "cannot make the request: {detail}"),
            TransportError::Adapter { detail } => f.write_str(detail),
        }
    }
}

/// The HTTP client every exchange goes through: rustls with the crate's one
/// crypto provider, and the extra CA certificate (PEM) a self-signed target
/// needs.
pub fn client(ca_cert_pem: Option<&[u8]>) -> Result<reqwest::Client, String> {
    let mut builder = builder();
    if let Some(pem) = ca_cert_pem {
        let certificate = reqwest::Certificate::from_pem(pem)
            .map_err(|err| format!("the CA certificate is not PEM: {err}"))?;
        builder = builder.tls_certs_merge([certificate]);
    }
    build(builder)
}

/// The client for a target reached over plain `http://` (the embedded
/// server, a local `serve`): it trusts no certificate at all, so building
/// it skips reading the system's trust store — a few milliseconds, which is
/// a noticeable part of a run that takes a tenth of a second. Redirects are
/// never followed, so it cannot end up on an `https://` URL.
pub fn plain_http_client() -> Result<reqwest::Client, String> {
    build(builder().tls_certs_only([]))
}

fn builder() -> reqwest::ClientBuilder {
    // reqwest is built without a default crypto provider so that only the
    // crate's own is compiled in; installing it twice is harmless.
    let _ = crate::signing::tls_crypto_provider().install_default();
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(64)
}

fn build(builder: reqwest::ClientBuilder) -> Result<reqwest::Client, String> {
    builder
        .build()
        .map_err(|err| format!("cannot set up the HTTP client: {err}"))
}

/// Why [`fetch`] could not read a whole answer.
#[derive(Debug)]
pub enum FetchFailure {
    Http(reqwest::Error),
    /// The body is longer than the cap.
    TooLarge,
}

/// Sends a built request and reads its whole answer: the status, the
/// headers with lowercase names, and at most `cap` bytes of body. Shared by
/// the runner and the project's own client, which differ only in how they
/// name what went wrong.
pub async fn fetch(builder: reqwest::RequestBuilder, cap: usize) -> Result<Received, FetchFailure> {
    let mut response = builder.send().await.map_err(FetchFailure::Http)?;
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(FetchFailure::Http)? {
        if body.len() + chunk.len() > cap {
            return Err(FetchFailure::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Received {
        status,
        headers,
        body,
    })
}

/// Sends `request` to `base_url` and reads the whole answer.
pub async fn send(
    client: &reqwest::Client,
    base_url: &str,
    request: &SentRequest,
    timeout: Duration,
) -> Result<Received, TransportError> {
    let url = format!("{base_url}{}", request.path);
    let method = reqwest::Method::from_bytes(request.method.as_bytes()).map_err(|err| {
        TransportError::Request {
            detail: format!("method `{}`: {err}", request.method),
        }
    })?;
    let mut builder = client.request(method, &url).body(request.body.clone());
    for (name, value) in &request.headers {
        builder = builder.header(name, value);
    }
    let exchange = async {
        fetch(builder, MAX_ANSWER_BYTES)
            .await
            .map_err(|failure| match failure {
                FetchFailure::Http(err) => classify(&url, &err),
                FetchFailure::TooLarge => TransportError::TooLarge,
            })
    };
    match tokio::time::timeout(timeout, exchange).await {
        Ok(result) => result,
        Err(_) => Err(TransportError::NoAnswer { after: timeout }),
    }
}

fn classify(url: &str, err: &reqwest::Error) -> TransportError {
    let detail = error_chain(err);
    if err.is_connect() {
        TransportError::Connect {
            url: url.to_string(),
            detail,
        }
    } else if err.is_timeout() {
        TransportError::NoAnswer {
            after: Duration::ZERO,
        }
    } else if err.is_builder() {
        TransportError::Request { detail }
    } else {
        TransportError::Broken { detail }
    }
}

/// reqwest's own message is terse ("error sending request"); the causes
/// below it say what actually happened. Shared with the project's client.
pub fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
