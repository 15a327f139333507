//! One HTTP exchange with a peer (the target, or for the project's client
//! the provider): the HTTP client, sending a request and reading its whole
//! answer, and why no complete answer arrived ([`TransportError`]).
//! Transport problems are their own kind of outcome, never confused with a
//! wrong answer.

use std::fmt;
use std::time::Duration;

use super::message::{Exchanged, MAX_ANSWER_BYTES, Received, SentRequest};
use super::raw::{SEND_TIMEOUT, raw_receive, raw_send};

/// Why no complete answer arrived: the one transport-error type, for the
/// runner (a TRANSPORT FAILURE, never a MISMATCH) and for the project's
/// client (an attempt that leaves the cancel's fate open).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportError {
    /// Nothing listens there, or the TLS handshake failed.
    Connect { url: String, detail: String },
    /// No answer within the time allowed.
    NoAnswer { after: Duration },
    /// The answer started but the connection ended before it was complete.
    Broken { detail: String },
    /// The answer is larger than [`MAX_ANSWER_BYTES`].
    TooLarge,
    /// The request could not be made at all (a bad URL or method).
    Request { detail: String },
    /// The runner's client half: the adapter did not give a usable answer.
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
                "cannot connect to {}: {detail} (is the target running, and is the URL right?)",
                super::url::shown(url)
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
enum FetchFailure {
    Http(reqwest::Error),
    /// The body is longer than the cap.
    TooLarge,
}

/// Sends a built request and reads its whole answer: the status, the
/// headers with lowercase names, and at most [`MAX_ANSWER_BYTES`] of body.
async fn fetch(builder: reqwest::RequestBuilder) -> Result<Received, FetchFailure> {
    // reqwest's errors name the URL; ours show it once, masked.
    let http = |err: reqwest::Error| FetchFailure::Http(err.without_url());
    let mut response = builder.send().await.map_err(http)?;
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
    while let Some(chunk) = response.chunk().await.map_err(http)? {
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
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
        fetch(builder).await.map_err(|failure| match failure {
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
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Sends an API request and reads its whole answer. Over plain `http://`
/// the runner speaks HTTP/1.1 itself, so that both directions keep header
/// names as written: requests go out in the case's spelling, and the
/// answer's names are seen as the target sent them (the usual clients
/// lowercase both). Over `https://` it goes through `client`.
pub async fn exchange(
    client: &reqwest::Client,
    base_url: &str,
    request: &SentRequest,
    timeout: Duration,
) -> Result<Exchanged, TransportError> {
    // Endpoints with user-info are refused before a run starts
    // (`url::endpoint`); one that slips through is never sent.
    if super::url::endpoint(base_url).is_err() {
        return Err(TransportError::Request {
            detail: format!(
                "`{}` is not an http(s) URL without user-info",
                super::url::shown(base_url)
            ),
        });
    }
    match base_url.strip_prefix("http://") {
        Some(rest) => {
            // A base URL may carry a path prefix in front of the API's paths.
            let rest = rest.trim_end_matches('/');
            let (authority, prefix) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            let prefixed;
            let request = if prefix.is_empty() {
                request
            } else {
                prefixed = SentRequest {
                    path: format!("{prefix}{}", request.path),
                    ..request.clone()
                };
                &prefixed
            };
            // The wait for the answer starts once the request is out: a
            // step that gives up after 100 ms on a held answer means the
            // answer, not a connection slow to open on a busy machine.
            let sending =
                tokio::time::timeout(timeout.max(SEND_TIMEOUT), raw_send(authority, request));
            let stream = match sending.await {
                Ok(result) => result?,
                Err(_) => {
                    return Err(TransportError::NoAnswer {
                        after: timeout.max(SEND_TIMEOUT),
                    });
                }
            };
            match tokio::time::timeout(timeout, raw_receive(stream)).await {
                Ok(result) => result,
                Err(_) => Err(TransportError::NoAnswer { after: timeout }),
            }
        }
        None => send(client, base_url, request, timeout)
            .await
            .map(|received| Exchanged {
                received,
                raw_names: None,
            }),
    }
}
