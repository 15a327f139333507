//! The broken server's HTTP front: HTTP/1.1 spoken by hand, one request a
//! connection, so that the proxy sees a request's header names as they were
//! sent and writes its answer's names as it chooses, like a server written
//! in any other stack would.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::task::JoinHandle;

use super::proxy::Proxy;

/// Listens on a free local port and hands every connection to `proxy`;
/// returns the address and the task that accepts, which the caller aborts
/// to stop.
pub(super) async fn listen(proxy: Arc<Proxy>) -> std::io::Result<(SocketAddr, JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let front = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(handle(stream, proxy.clone()));
        }
    });
    Ok((address, front))
}

/// A request as the proxy's front read it: header names as sent.
pub(super) struct Incoming {
    pub(super) method: String,
    /// Path and query.
    pub(super) target: String,
    pub(super) headers: Vec<(String, String)>,
    pub(super) body: Vec<u8>,
}

impl Incoming {
    pub(super) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    pub(super) fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }
}

/// What the proxy writes back: header names as given; `cut` sends the head
/// and half the body, then closes (an incomplete answer).
pub(super) struct Outgoing {
    pub(super) status: u16,
    pub(super) headers: Vec<(String, String)>,
    pub(super) body: Vec<u8>,
    pub(super) cut: bool,
}

/// An API call (the defects' business), not a control-plane call.
fn is_api(path: &str) -> bool {
    path.starts_with("/ams/")
}

/// Reads one request (head and a Content-Length body) from the front side.
async fn read_request(stream: &mut tokio::net::TcpStream) -> Option<Incoming> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_string();
    let target = request_line.next()?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.to_string(), value.trim().to_string()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.parse().ok())
        .unwrap_or(0);
    let mut body = buffer[head_end + 4..].to_vec();
    while body.len() < length {
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..read]);
    }
    body.truncate(length);
    Some(Incoming {
        method,
        target,
        headers,
        body,
    })
}

/// Serves one connection: reads its request, hands it to the proxy as an
/// API call or a control-plane call, writes the answer and closes.
async fn handle(mut stream: tokio::net::TcpStream, proxy: Arc<Proxy>) {
    let Some(request) = read_request(&mut stream).await else {
        return;
    };
    let outgoing = if is_api(request.path()) {
        proxy.api(request).await
    } else {
        proxy.control(request).await
    };
    let mut head = format!("HTTP/1.1 {} X\r\n", outgoing.status);
    for (name, value) in &outgoing.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n",
        outgoing.body.len()
    ));
    let mut bytes = head.into_bytes();
    let body = if outgoing.cut {
        &outgoing.body[..outgoing.body.len() / 2]
    } else {
        &outgoing.body[..]
    };
    bytes.extend_from_slice(body);
    let _ = stream.write_all(&bytes).await;
    let _ = stream.shutdown().await;
}
