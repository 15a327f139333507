//! Reading a request body within a size limit and a time limit.
//!
//! Never more than the limit is buffered. A body over the limit is still
//! read to its end (and thrown away, up to a cap) before the answer goes out:
//! a client that is still sending when the server answers and closes would
//! often see a connection reset instead of the F answer it is owed.

use std::future::poll_fn;
use std::pin::Pin;
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::http::{HeaderMap, header};

/// The most an over-limit body is read (and discarded) to let its sender
/// finish; beyond this the connection is simply closed after the answer.
pub(super) const DRAIN_CAP_BYTES: u64 = 16 * 1024 * 1024;

/// Why no body was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BodyError {
    /// The body (or its declared Content-Length) exceeds the limit.
    TooLarge { limit: usize },
    /// The client stopped sending in the middle of the body.
    Interrupted,
    /// The body did not arrive within the time limit.
    TimedOut,
}

/// Reads the whole body if it is at most `limit` bytes and arrives within
/// `time_limit`.
pub(super) async fn read_limited(
    headers: &HeaderMap,
    mut body: Body,
    limit: usize,
    time_limit: Duration,
) -> Result<Bytes, BodyError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|text| text.trim().parse::<u64>().ok());
    let limit_u64 = u64::try_from(limit).unwrap_or(u64::MAX);

    let read = async {
        if let Some(length) = declared
            && length > limit_u64
        {
            if length <= DRAIN_CAP_BYTES {
                drain(&mut body).await;
            }
            return Err(BodyError::TooLarge { limit });
        }
        let capacity = declared.map_or(0, |length| length.min(limit_u64));
        let mut buffer = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
        loop {
            let Some(frame) = poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await else {
                return Ok(Bytes::from(buffer));
            };
            let Ok(frame) = frame else {
                return Err(BodyError::Interrupted);
            };
            // Trailers carry nothing the API uses.
            let Ok(data) = frame.into_data() else {
                continue;
            };
            if buffer.len().saturating_add(data.len()) > limit {
                drain(&mut body).await;
                return Err(BodyError::TooLarge { limit });
            }
            buffer.extend_from_slice(&data);
        }
    };
    tokio::time::timeout(time_limit, read)
        .await
        .unwrap_or(Err(BodyError::TimedOut))
}

/// Reads and discards what is left of the body, up to [`DRAIN_CAP_BYTES`].
async fn drain(body: &mut Body) {
    let mut seen: u64 = 0;
    while seen <= DRAIN_CAP_BYTES {
        match poll_fn(|cx| Pin::new(&mut *body).poll_frame(cx)).await {
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    seen = seen.saturating_add(u64::try_from(data.len()).unwrap_or(u64::MAX));
                }
            }
            Some(Err(_)) | None => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(content_length: Option<&str>) -> HeaderMap {
        let mut map = HeaderMap::new();
        if let Some(length) = content_length {
            map.insert(header::CONTENT_LENGTH, length.parse().unwrap());
        }
        map
    }

    #[tokio::test]
    async fn reads_a_body_within_the_limit() {
        let body = Body::from("hello");
        let read = read_limited(&headers(Some("5")), body, 5, Duration::from_secs(1)).await;
        assert_eq!(read, Ok(Bytes::from_static(b"hello")));
    }

    #[tokio::test]
    async fn refuses_a_body_over_the_limit_even_without_content_length() {
        let body = Body::from(vec![b'x'; 100]);
        let read = read_limited(&headers(None), body, 99, Duration::from_secs(1)).await;
        assert_eq!(read, Err(BodyError::TooLarge { limit: 99 }));
    }

    #[tokio::test]
    async fn refuses_a_declared_length_over_the_limit() {
        let body = Body::from("tiny");
        let read = read_limited(&headers(Some("1000000")), body, 10, Duration::from_secs(1)).await;
        assert_eq!(read, Err(BodyError::TooLarge { limit: 10 }));
    }
}
