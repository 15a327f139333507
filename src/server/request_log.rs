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
pub(super) const MAX_ENTRIES: usize = 10_000;
/// Body bytes kept at most, across all entries.
pub(super) const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// One API request as received, as the control plane shows it. Not the
/// wire's recorded request ([`crate::wire::message::SentRequest`]): this is the
/// control plane's JSON shape, holds no `Signature` and only the two
/// headers a client-side check reads, and its body is text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct LoggedRequest {
    pub method: String,
    pub path: String,
    /// `None` when the header was missing or not text.
    pub client_id: Option<String>,
    pub request_time: Option<String>,
    /// The body as received; bytes that are not UTF-8 are replaced.
    pub body: String,
}

/// One API request to log, borrowed from the request being handled (the
/// fields the log keeps, not the request as on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ToLog<'a> {
    pub method: &'a str,
    pub path: &'a str,
    /// `None` when the header was missing or not text.
    pub client_id: Option<&'a str>,
    pub request_time: Option<&'a str>,
    /// The body as received; bytes that are not UTF-8 are replaced.
    pub body: &'a str,
    /// The `paymentId` the body names, if any.
    pub named_payment_id: Option<&'a str>,
    /// The `paymentRequestId` the body names, if any.
    pub named_payment_request_id: Option<&'a str>,
}

const FIELDS: usize = 7;
const BODY: usize = 4;
const NAMED_PAYMENT_ID: usize = 5;
const NAMED_PAYMENT_REQUEST_ID: usize = 6;

/// A [`ToLog`] in one allocation: the fields one after the other, where
/// each ends, and which of the optional ones are present. A busy server
/// logs every request, so this is one allocation instead of seven.
struct Stored {
    text: Box<str>,
    ends: [u32; FIELDS],
    present: [bool; FIELDS],
}

impl Stored {
    fn new(request: &ToLog<'_>) -> Option<Self> {
        let fields = [
            Some(request.method),
            Some(request.path),
            request.client_id,
            request.request_time,
            Some(request.body),
            request.named_payment_id,
            request.named_payment_request_id,
        ];
        let mut text = String::with_capacity(fields.iter().flatten().map(|f| f.len()).sum());
        let mut ends = [0u32; FIELDS];
        let mut present = [false; FIELDS];
        for (index, field) in fields.into_iter().enumerate() {
            if let Some(field) = field {
                text.push_str(field);
                present[index] = true;
            }
            ends[index] = u32::try_from(text.len()).ok()?;
        }
        Some(Self {
            text: text.into_boxed_str(),
            ends,
            present,
        })
    }

    fn field(&self, index: usize) -> Option<&str> {
        let start = if index == 0 { 0 } else { self.ends[index - 1] };
        // The ends were taken from this text, so they are in bounds and on
        // character boundaries.
        self.present[index]
            .then(|| self.text.get(start as usize..self.ends[index] as usize))
            .flatten()
    }

    fn body_len(&self) -> usize {
        self.field(BODY).map_or(0, str::len)
    }

    fn names(&self, payment_id: &str, payment_request_id: &str) -> bool {
        self.field(NAMED_PAYMENT_ID) == Some(payment_id)
            || self.field(NAMED_PAYMENT_REQUEST_ID) == Some(payment_request_id)
    }

    fn shown(&self) -> LoggedRequest {
        let text = |index| self.field(index).unwrap_or_default().to_string();
        LoggedRequest {
            method: text(0),
            path: text(1),
            client_id: self.field(2).map(str::to_string),
            request_time: self.field(3).map(str::to_string),
            body: text(BODY),
        }
    }
}

#[derive(Default)]
struct Inner {
    entries: VecDeque<Stored>,
    body_bytes: usize,
}

#[derive(Default)]
pub(super) struct RequestLog {
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

    pub(super) fn record(&self, request: &ToLog<'_>) {
        // A single body over the whole budget could never be kept.
        if request.body.len() > MAX_BODY_BYTES {
            return;
        }
        // Built before taking the lock.
        let Some(entry) = Stored::new(request) else {
            return;
        };
        let mut inner = self.lock();
        inner.body_bytes += entry.body_len();
        inner.entries.push_back(entry);
        while inner.entries.len() > MAX_ENTRIES || inner.body_bytes > MAX_BODY_BYTES {
            match inner.entries.pop_front() {
                Some(old) => inner.body_bytes -= old.body_len(),
                None => break,
            }
        }
    }

    /// The requests that named the payment by either of its ids, oldest first.
    pub(super) fn naming(&self, payment_id: &str, payment_request_id: &str) -> Vec<LoggedRequest> {
        self.lock()
            .entries
            .iter()
            .filter(|entry| entry.names(payment_id, payment_request_id))
            .map(Stored::shown)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry<'a>(payment_id: &'a str, body: &'a str) -> ToLog<'a> {
        ToLog {
            method: "POST",
            path: "/p",
            client_id: Some("C"),
            request_time: Some("1"),
            body,
            named_payment_id: Some(payment_id),
            named_payment_request_id: None,
        }
    }

    #[test]
    fn finds_requests_by_either_id() {
        let log = RequestLog::default();
        log.record(&entry("P1", "a"));
        log.record(&ToLog {
            named_payment_id: None,
            named_payment_request_id: Some("R1"),
            ..entry("", "b")
        });
        log.record(&entry("P2", "c"));
        log.record(&ToLog {
            client_id: None,
            request_time: None,
            ..entry("P1", "d")
        });
        let shown = log.naming("P1", "R1");
        let bodies: Vec<&str> = shown.iter().map(|e| e.body.as_str()).collect();
        assert_eq!(bodies, ["a", "b", "d"]);
        assert_eq!(
            shown[0],
            LoggedRequest {
                method: "POST".into(),
                path: "/p".into(),
                client_id: Some("C".into()),
                request_time: Some("1".into()),
                body: "a".into(),
            }
        );
        assert_eq!(
            (
                shown[2].client_id.as_deref(),
                shown[2].request_time.as_deref()
            ),
            (None, None)
        );
    }

    #[test]
    fn stays_bounded_in_entries_and_bytes() {
        let log = RequestLog::default();
        for _ in 0..MAX_ENTRIES + 5 {
            log.record(&entry("P1", "x"));
        }
        assert_eq!(log.naming("P1", "").len(), MAX_ENTRIES);
        let big = "y".repeat(MAX_BODY_BYTES / 2 + 1);
        log.record(&entry("P2", &big));
        log.record(&entry("P2", &big));
        assert_eq!(log.naming("P2", "").len(), 1);
        assert!(log.lock().body_bytes <= MAX_BODY_BYTES);
    }
}
