//! The log of API requests the control plane shows per payment, so that a
//! client-side check can see what a client sent (which id it retried with,
//! which body bytes, which Request-Time).
//!
//! The log is bounded in entries and in body bytes, oldest first out, so a
//! long-running server's memory stays flat. It never holds a `Signature`
//! header: only what is needed to judge the request's content.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};

use serde::Serialize;

/// Entries kept at most.
pub const MAX_ENTRIES: usize = 10_000;
/// Body bytes kept at most, across all entries.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// One API request as received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoggedRequest {
    pub method: String,
    pub path: String,
    /// `None` when the header was missing or not text.
    pub client_id: Option<String>,
    pub request_time: Option<String>,
    /// The body as received; bytes that are not UTF-8 are replaced.
    pub body: String,
    #[serde(skip)]
    pub named_payment_id: Option<String>,
    #[serde(skip)]
    pub named_payment_request_id: Option<String>,
}

impl LoggedRequest {
    fn names(&self, payment_id: &str, payment_request_id: &str) -> bool {
        self.named_payment_id.as_deref() == Some(payment_id)
            || self.named_payment_request_id.as_deref() == Some(payment_request_id)
    }
}

#[derive(Default)]
struct Inner {
    entries: VecDeque<LoggedRequest>,
    body_bytes: usize,
}

#[derive(Default)]
pub struct RequestLog {
    inner: Mutex<Inner>,
}

impl RequestLog {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Appends and evictions keep `body_bytes` in step before any code
        // that could panic runs, so a poisoned log is still consistent.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn record(&self, entry: LoggedRequest) {
        // A single body over the whole budget could never be kept.
        if entry.body.len() > MAX_BODY_BYTES {
            return;
        }
        let mut inner = self.lock();
        inner.body_bytes += entry.body.len();
        inner.entries.push_back(entry);
        while inner.entries.len() > MAX_ENTRIES || inner.body_bytes > MAX_BODY_BYTES {
            match inner.entries.pop_front() {
                Some(old) => inner.body_bytes -= old.body.len(),
                None => break,
            }
        }
    }

    /// The requests that named the payment by either of its ids, oldest first.
    pub fn naming(&self, payment_id: &str, payment_request_id: &str) -> Vec<LoggedRequest> {
        self.lock()
            .entries
            .iter()
            .filter(|entry| entry.names(payment_id, payment_request_id))
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(payment_id: &str, body: &str) -> LoggedRequest {
        LoggedRequest {
            method: "POST".into(),
            path: "/p".into(),
            client_id: Some("C".into()),
            request_time: Some("1".into()),
            body: body.into(),
            named_payment_id: Some(payment_id.into()),
            named_payment_request_id: None,
        }
    }

    #[test]
    fn finds_requests_by_either_id() {
        let log = RequestLog::default();
        log.record(entry("P1", "a"));
        log.record(LoggedRequest {
            named_payment_id: None,
            named_payment_request_id: Some("R1".into()),
            ..entry("", "b")
        });
        log.record(entry("P2", "c"));
        let bodies: Vec<String> = log.naming("P1", "R1").into_iter().map(|e| e.body).collect();
        assert_eq!(bodies, ["a", "b"]);
    }

    #[test]
    fn stays_bounded_in_entries_and_bytes() {
        let log = RequestLog::default();
        for _ in 0..MAX_ENTRIES + 5 {
            log.record(entry("P1", "x"));
        }
        assert_eq!(log.naming("P1", "").len(), MAX_ENTRIES);
        let big = "y".repeat(MAX_BODY_BYTES / 2 + 1);
        log.record(entry("P2", &big));
        log.record(entry("P2", &big));
        assert_eq!(log.naming("P2", "").len(), 1);
        assert!(log.lock().body_bytes <= MAX_BODY_BYTES);
    }
}
