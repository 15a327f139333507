//! The runner's own HTTP/1.1 for plain `http://` targets: one request on a
//! fresh connection, written with its header names exactly as the case
//! spells them, and the answer read by its own framing (length, chunks, or
//! the connection's end) with its header names as the target sent them.
//! The usual clients lowercase both, which would hide what a case checks.

use std::time::Duration;

use super::http::TransportError;
use super::message::{Exchanged, MAX_ANSWER_BYTES, Received, SentRequest};

/// How long connecting and sending a request may take at most, whatever
/// the wait for its answer.
pub(super) const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// Sends one request on a fresh connection (`Connection: close`).
pub(super) async fn raw_send(
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
pub(super) async fn raw_receive(
    mut stream: tokio::net::TcpStream,
) -> Result<Exchanged, TransportError> {
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
