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

/// An answer together with its header names exactly as they came off the
/// wire. `raw_names` is `None` where the runner cannot see them (an
/// `https://` target, read through a client that lowercases every name).
#[derive(Debug, Clone)]
pub struct Exchanged {
    pub received: Received,
    pub raw_names: Option<Vec<String>>,
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

/// How long connecting and sending a request may take at most, whatever
/// the wait for its answer.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// Sends one request on a fresh connection (`Connection: close`).
async fn raw_send(
    authority: &str,
    request: &SentRequest,
) -> Result<tokio::net::TcpStream, TransportError> {
    use tokio::io::AsyncWriteExt;
    let url = format!("http://{authority}{}", request.path);
    if request.method.is_empty()
        || !request.method.bytes().all(|b| b.is_ascii_alphabetic())
        || request.path.contains(['\r', '\n', ' '])
    {
        return Err(TransportError::Request {
            detail: format!("method `{}` or path `{}`", request.method, request.path),
        });
    }
    let mut stream = tokio::net::TcpStream::connect(authority)
        .await
        .map_err(|err| TransportError::Connect {
            url: url.clone(),
            detail: err.to_string(),
        })?;
    let _ = stream.set_nodelay(true);
    let mut head = format!(
        "{} {} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\nContent-Length: {}\r\n",
        request.method,
        request.path,
        request.body.len()
    );
    for (name, value) in &request.headers {
        if name.contains(['\r', '\n', ':']) || value.contains(['\r', '\n']) {
            return Err(TransportError::Request {
                detail: format!("header `{name}` cannot be sent"),
            });
        }
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(&request.body);
    stream
        .write_all(&bytes)
        .await
        .map_err(|err| TransportError::Broken {
            detail: format!("while sending the request: {err}"),
        })?;
    Ok(stream)
}

/// Reads the answer until it is complete by its own framing, or until the
/// target closes the connection.
async fn raw_receive(mut stream: tokio::net::TcpStream) -> Result<Exchanged, TransportError> {
    use tokio::io::AsyncReadExt;
    let mut buffer = Vec::with_capacity(1024);
    let mut chunk = [0u8; 8192];
    loop {
        match parse_answer(&buffer)? {
            Parsed::Complete(exchanged) => return Ok(exchanged),
            Parsed::Partial => {}
        }
        let read = match stream.read(&mut chunk).await {
            Ok(read) => read,
            Err(err) => {
                return Err(TransportError::Broken {
                    detail: err.to_string(),
                });
            }
        };
        if read == 0 {
            return match parse_answer_at_end(&buffer)? {
                Some(exchanged) => Ok(exchanged),
                None => Err(TransportError::Broken {
                    detail: format!(
                        "the target closed the connection after {} bytes of an incomplete answer",
                        buffer.len()
                    ),
                }),
            };
        }
        buffer.extend_from_slice(&chunk[..read]);
        if buffer.len() > MAX_ANSWER_BYTES + 64 * 1024 {
            return Err(TransportError::TooLarge);
        }
    }
}

enum Parsed {
    Complete(Exchanged),
    Partial,
}

/// How the body of an answer ends.
enum Framing {
    Length(usize),
    Chunked,
    /// Neither: the body runs to the end of the connection.
    Close,
}

struct Head {
    status: u16,
    names: Vec<String>,
    headers: Vec<(String, String)>,
    framing: Framing,
    body_start: usize,
}

fn broken(detail: impl Into<String>) -> TransportError {
    TransportError::Broken {
        detail: detail.into(),
    }
}

/// The head of an answer once it is complete in `buffer`, skipping any
/// interim (1xx) answers before it.
fn parse_head(buffer: &[u8]) -> Result<Option<Head>, TransportError> {
    let mut start = 0;
    loop {
        let Some(end) = buffer[start..]
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map(|at| start + at)
        else {
            return Ok(None);
        };
        let text = std::str::from_utf8(&buffer[start..end])
            .map_err(|_| broken("the answer's head is not UTF-8"))?;
        let mut lines = text.split("\r\n");
        let status_line = lines.next().unwrap_or_default();
        let mut parts = status_line.splitn(3, ' ');
        let version = parts.next().unwrap_or_default();
        if !version.starts_with("HTTP/1.") {
            return Err(broken(format!(
                "not an HTTP/1.x answer: `{}`",
                status_line.chars().take(60).collect::<String>()
            )));
        }
        let status: u16 = parts
            .next()
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| broken(format!("no status code in `{status_line}`")))?;
        if (100..200).contains(&status) {
            start = end + 4;
            continue;
        }
        let mut names = Vec::new();
        let mut headers = Vec::new();
        let mut length = None;
        let mut chunked = false;
        for line in lines {
            let (name, value) = line
                .split_once(':')
                .ok_or_else(|| broken(format!("a header line without `:`: `{line}`")))?;
            let lower = name.to_ascii_lowercase();
            let value = value.trim().to_string();
            if lower == "content-length" {
                length = Some(
                    value
                        .parse::<usize>()
                        .map_err(|_| broken(format!("Content-Length `{value}`")))?,
                );
            }
            if lower == "transfer-encoding" && value.to_ascii_lowercase().contains("chunked") {
                chunked = true;
            }
            names.push(name.to_string());
            headers.push((lower, value));
        }
        let framing = match (chunked, length) {
            (true, _) => Framing::Chunked,
            (false, Some(length)) => Framing::Length(length),
            (false, None) if status == 204 || status == 304 => Framing::Length(0),
            (false, None) => Framing::Close,
        };
        return Ok(Some(Head {
            status,
            names,
            headers,
            framing,
            body_start: end + 4,
        }));
    }
}

fn complete(head: Head, body: Vec<u8>) -> Exchanged {
    Exchanged {
        received: Received {
            status: head.status,
            headers: head.headers,
            body,
        },
        raw_names: Some(head.names),
    }
}

fn parse_answer(buffer: &[u8]) -> Result<Parsed, TransportError> {
    let Some(head) = parse_head(buffer)? else {
        return Ok(Parsed::Partial);
    };
    let rest = &buffer[head.body_start..];
    match head.framing {
        Framing::Length(length) => {
            if length > MAX_ANSWER_BYTES {
                return Err(TransportError::TooLarge);
            }
            if rest.len() >= length {
                let body = rest[..length].to_vec();
                return Ok(Parsed::Complete(complete(head, body)));
            }
            Ok(Parsed::Partial)
        }
        Framing::Chunked => match dechunk(rest)? {
            Some(body) => Ok(Parsed::Complete(complete(head, body))),
            None => Ok(Parsed::Partial),
        },
        Framing::Close => Ok(Parsed::Partial),
    }
}

/// At the end of the connection: only a body framed by the close itself is
/// complete now; anything else was cut off.
fn parse_answer_at_end(buffer: &[u8]) -> Result<Option<Exchanged>, TransportError> {
    let Some(head) = parse_head(buffer)? else {
        return Ok(None);
    };
    match head.framing {
        Framing::Close => {
            let body = buffer[head.body_start..].to_vec();
            if body.len() > MAX_ANSWER_BYTES {
                return Err(TransportError::TooLarge);
            }
            Ok(Some(complete(head, body)))
        }
        _ => Ok(None),
    }
}

/// The body of a chunked answer once its last chunk has arrived.
fn dechunk(mut rest: &[u8]) -> Result<Option<Vec<u8>>, TransportError> {
    let mut body = Vec::new();
    loop {
        let Some(line_end) = rest.windows(2).position(|w| w == b"\r\n") else {
            return Ok(None);
        };
        let line = std::str::from_utf8(&rest[..line_end])
            .map_err(|_| broken("a chunk size line is not text"))?;
        let size_text = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| broken(format!("chunk size `{size_text}`")))?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            // Trailers, if any, end with an empty line.
            return Ok(rest.windows(2).position(|w| w == b"\r\n").map(|_| body));
        }
        if body.len() + size > MAX_ANSWER_BYTES {
            return Err(TransportError::TooLarge);
        }
        if rest.len() < size + 2 {
            return Ok(None);
        }
        body.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
}

#[cfg(test)]
mod raw_tests {
    use super::*;

    #[test]
    fn a_length_framed_answer_keeps_its_header_names() {
        let text = b"HTTP/1.1 200 OK\r\nSignature: x\r\ncontent-length: 2\r\n\r\n{}";
        let Ok(Parsed::Complete(answer)) = parse_answer(text) else {
            panic!("complete")
        };
        assert_eq!(answer.received.body, b"{}");
        assert_eq!(
            answer.raw_names,
            Some(vec!["Signature".to_string(), "content-length".to_string()])
        );
        assert_eq!(answer.received.header("signature"), Some("x"));
    }

    #[test]
    fn a_short_body_is_partial_and_cut_off_at_the_end() {
        let text = b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n{}";
        assert!(matches!(parse_answer(text), Ok(Parsed::Partial)));
        assert!(matches!(parse_answer_at_end(text), Ok(None)));
    }

    #[test]
    fn chunked_answers_are_joined_and_interim_answers_skipped() {
        let text = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n{\r\n1\r\n}\r\n0\r\n\r\n";
        let Ok(Parsed::Complete(answer)) = parse_answer(text) else {
            panic!("complete")
        };
        assert_eq!(answer.received.body, b"{}");
        assert_eq!(answer.received.status, 200);
        let cut = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n{\r\n";
        assert!(matches!(parse_answer(cut), Ok(Parsed::Partial)));
    }
}
