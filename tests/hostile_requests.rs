//! Hostile requests against the reference server, over raw TCP so that
//! nothing in a client library tidies them up: oversized and slow bodies,
//! slow heads (slow-loris), invalid UTF-8, deeply nested JSON, duplicate
//! keys, huge numbers and header injection. Each gets an API error answer
//! (HTTP 200, F, signed) or a closed connection, and the server keeps
//! serving well-behaved clients while the hostile ones are at it.
//!
//! What the server does with each, decided here:
//!
//! | request | answer |
//! |---|---|
//! | body over 64 KiB (declared, chunked, or a declared 1 TB) | F PARAM_ILLEGAL |
//! | body started, then stalled past the body time limit | F PARAM_ILLEGAL |
//! | head never finished (slow-loris) | connection closed after the head time limit |
//! | invalid UTF-8 in the body | F PARAM_ILLEGAL |
//! | 100,000 `[` (over the limit) or 60,000 (under it) | F PARAM_ILLEGAL (serde_json stops at depth 128) |
//! | `{"paymentId":"a","paymentId":"b"}`, also spelt `payment\u0049d` | F PARAM_ILLEGAL: a repeated key has no agreed meaning |
//! | `1e999999`, 400-digit integers as ids | F PARAM_ILLEGAL |
//! | a bare CR, NUL, control characters, obs-fold or a space before the colon in the head; CR in the request target | HTTP 400 from the HTTP layer and a closed connection |
//! | CRLF or a bare LF inside a header value | ends the header line: the rest is a header of its own; the answer echoes only the Client-Id sent, never an injected header |

mod server_support;

use std::time::{Duration, Instant};

use cancel_conformance::server::{DEFAULT_CLIENT_ID, ServerConfig};
use cancel_conformance::signing::{SignedContent, test_keys};
use cancel_conformance::spec::api::CANCEL_PATH;
use serde_json::{Value, json};
use server_support::Harness;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const REQUEST_TIME: &str = "2026-11-26T12:00:00+08:00";
/// The time limits the test server runs with, short so the test is quick
/// (`serve` uses 10 s; the mechanism is the same).
const HEAD_LIMIT: Duration = Duration::from_secs(2);
const BODY_LIMIT: Duration = Duration::from_secs(1);

async fn start() -> Harness {
    let config = ServerConfig {
        header_read_timeout: HEAD_LIMIT,
        body_read_timeout: BODY_LIMIT,
        ..ServerConfig::test_default()
    };
    Harness::start_with(config, None).await
}

/// A correctly signed cancel's head for `body`, with `Connection: close`
/// so that the server ends the connection after its answer.
fn signed_head(body: &[u8], length: Option<u64>) -> String {
    let signature = SignedContent::post(CANCEL_PATH, DEFAULT_CLIENT_ID, REQUEST_TIME, body)
        .sign(&test_keys::merchant_signing(), "1")
        .expect("signing works");
    let length = length.unwrap_or(body.len() as u64);
    format!(
        "POST {CANCEL_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n\
         Content-Type: application/json; charset=UTF-8\r\nClient-Id: {DEFAULT_CLIENT_ID}\r\n\
         Request-Time: {REQUEST_TIME}\r\nSignature: {signature}\r\n\
         Content-Length: {length}\r\nConnection: close\r\n\r\n"
    )
}

/// What came back on a raw connection.
#[derive(Debug)]
struct Raw {
    status: Option<u16>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// Everything received, for messages.
    text: String,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// An API error answer: HTTP 200, JSON, F with `code`, signed by the
    /// provider key over the cancel path, naming `client_id`.
    fn assert_api_error(&self, code: &str, client_id: &str) {
        assert_eq!(self.status, Some(200), "{}", self.text);
        let json: Value = serde_json::from_slice(&self.body).expect("a JSON answer");
        assert_eq!(json["result"]["resultStatus"], "F", "{}", self.text);
        assert_eq!(json["result"]["resultCode"], code, "{}", self.text);
        assert_eq!(self.header("client-id"), Some(client_id), "{}", self.text);
        SignedContent::post(
            CANCEL_PATH,
            client_id,
            self.header("response-time").expect("a response-time"),
            &self.body,
        )
        .verify(
            &test_keys::provider_verifying(),
            self.header("signature").expect("signed"),
        )
        .expect("the answer verifies");
    }

    /// Refused by the HTTP layer: a bare 400 (or nothing), the connection
    /// closed, and no trace of the smuggled header.
    fn assert_refused_and_closed(&self) {
        assert!(
            matches!(self.status, None | Some(400)),
            "expected a closed connection or HTTP 400: {}",
            self.text
        );
        assert!(
            !self.text.to_ascii_lowercase().contains("injected"),
            "{}",
            self.text
        );
    }
}

/// Sends `parts` (written one after the other, a pause between) while
/// reading what comes back, until the server closes the connection (at most
/// `wait`): a server that answers before the client is done is seen doing so.
async fn raw(addr: std::net::SocketAddr, parts: &[&[u8]], pause: Duration, wait: Duration) -> Raw {
    let stream = TcpStream::connect(addr).await.expect("connect");
    let (mut reader, mut writer) = stream.into_split();
    let parts: Vec<Vec<u8>> = parts.iter().map(|part| part.to_vec()).collect();
    let sending = tokio::spawn(async move {
        for (index, part) in parts.iter().enumerate() {
            if index > 0 {
                tokio::time::sleep(pause).await;
            }
            // The server may answer and close before all is sent.
            if writer.write_all(part).await.is_err() {
                break;
            }
        }
        // Keep the write half open: a half-close would end the request.
        std::future::pending::<()>().await;
    });
    let mut received = Vec::new();
    let read = tokio::time::timeout(wait, async {
        let mut buffer = [0u8; 64 * 1024];
        loop {
            match reader.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    sending.abort();
    assert!(
        read.is_ok(),
        "the server neither answered nor closed within {wait:?}"
    );
    parse(&received)
}

fn parse(received: &[u8]) -> Raw {
    let text = String::from_utf8_lossy(received).into_owned();
    let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Raw {
            status: None,
            headers: Vec::new(),
            body: Vec::new(),
            text,
        };
    };
    let head = String::from_utf8_lossy(&received[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok());
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_string()))
        .collect();
    let mut body = received[end + 4..].to_vec();
    if let Some(length) = headers
        .iter()
        .find(|(name, _)| name == "content-length")
        .and_then(|(_, value)| value.parse::<usize>().ok())
    {
        body.truncate(length);
    }
    Raw {
        status,
        headers,
        body,
        text,
    }
}

/// One signed cancel with `body`, sent whole.
async fn signed(addr: std::net::SocketAddr, body: &[u8]) -> Raw {
    let head = signed_head(body, None);
    raw(
        addr,
        &[head.as_bytes(), body],
        Duration::ZERO,
        Duration::from_secs(10),
    )
    .await
}

/// A request head whose header lines are `lines`, sent whole.
async fn head_with(addr: std::net::SocketAddr, request_line: &str, lines: &[&str]) -> Raw {
    let mut head = format!("{request_line}\r\nHost: 127.0.0.1\r\n");
    for line in lines {
        head.push_str(line);
        head.push_str("\r\n");
    }
    head.push_str("Content-Length: 2\r\nConnection: close\r\n\r\n{}");
    raw(
        addr,
        &[head.as_bytes()],
        Duration::ZERO,
        Duration::from_secs(10),
    )
    .await
}

// ---------------------------------------------------------------------------
// Each hostile request, on its own
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_bodies_are_param_illegal() {
    let h = start().await;
    let addr = h.server.addr;
    // Declared and sent: 10 MB.
    let big = vec![b' '; 10 * 1024 * 1024];
    signed(addr, &big)
        .await
        .assert_api_error("PARAM_ILLEGAL", DEFAULT_CLIENT_ID);
    // Declared as 1 TB, nothing sent: answered at once, not waited for.
    let started = Instant::now();
    let head = signed_head(b"", Some(1_000_000_000_000));
    raw(
        addr,
        &[head.as_bytes()],
        Duration::ZERO,
        Duration::from_secs(10),
    )
    .await
    .assert_api_error("PARAM_ILLEGAL", DEFAULT_CLIENT_ID);
    assert!(started.elapsed() < BODY_LIMIT, "{:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_stalls_is_param_illegal_after_the_body_limit() {
    let h = start().await;
    let body = br#"{"paymentId":"P"}"#;
    let head = signed_head(body, None);
    let started = Instant::now();
    // The head and half the body, then nothing (the rest would come too late).
    let first = [head.as_bytes(), &body[..8]].concat();
    let answer = raw(
        h.server.addr,
        &[&first, &body[8..]],
        BODY_LIMIT * 3,
        Duration::from_secs(10),
    )
    .await;
    answer.assert_api_error("PARAM_ILLEGAL", DEFAULT_CLIENT_ID);
    assert!(started.elapsed() < BODY_LIMIT * 3, "waited for the rest");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_head_that_never_ends_is_cut_off() {
    let h = start().await;
    let started = Instant::now();
    let answer = raw(
        h.server.addr,
        &[b"POST /ams/api/v1/payments/cancel HTTP/1.1\r\nHost: x\r\nClient-Id: C"],
        Duration::ZERO,
        HEAD_LIMIT * 10,
    )
    .await;
    assert!(answer.body.is_empty(), "{}", answer.text);
    assert!(
        matches!(answer.status, None | Some(408)),
        "closed, or 408: {}",
        answer.text
    );
    assert!(
        started.elapsed() >= HEAD_LIMIT / 2,
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_bodies_are_param_illegal() {
    let h = start().await;
    let addr = h.server.addr;
    let (payment_id, request_id) = h.seed_state("paid").await;
    let bodies: Vec<Vec<u8>> = vec![
        // Invalid UTF-8, in a value and bare.
        b"{\"paymentId\":\"\xff\xfe\"}".to_vec(),
        vec![0xc3, 0x28, 0xa0, 0xa1],
        // Deep nesting: over the size limit, and under it.
        "[".repeat(100_000).into_bytes(),
        "[".repeat(60_000).into_bytes(),
        format!("{{\"paymentId\":{}", "{\"a\":".repeat(10_000)).into_bytes(),
        // A repeated key, plainly and escaped; the last spelling names a real
        // payment, so picking either one would cancel something.
        format!(r#"{{"paymentId":"nope","paymentId":"{payment_id}"}}"#).into_bytes(),
        format!(r#"{{"paymentId":"{payment_id}","payment\u0049d":"{payment_id}"}}"#).into_bytes(),
        format!(r#"{{"paymentRequestId":"x","paymentRequestId":"{request_id}"}}"#).into_bytes(),
        // Huge numbers where strings belong.
        br#"{"paymentId":1e999999}"#.to_vec(),
        format!(r#"{{"paymentId":{}}}"#, "9".repeat(400)).into_bytes(),
        format!(
            r#"{{"paymentId":"{payment_id}","merchantAccountId":-{}}}"#,
            "1".repeat(400)
        )
        .into_bytes(),
        // NUL and a lone surrogate inside strings.
        b"{\"paymentId\":\"P\\u0000\"}\x00".to_vec(),
        br#"{"paymentId":"\ud800"}"#.to_vec(),
    ];
    for body in &bodies {
        let answer = signed(addr, body).await;
        let shown: String = String::from_utf8_lossy(body).chars().take(80).collect();
        assert_eq!(answer.status, Some(200), "{shown}: {}", answer.text);
        answer.assert_api_error("PARAM_ILLEGAL", DEFAULT_CLIENT_ID);
    }
    // None of them touched the payment.
    assert_eq!(h.state_of(&payment_id).await, "paid");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn header_injection_is_refused_and_never_echoed() {
    let h = start().await;
    let addr = h.server.addr;
    let post = format!("POST {CANCEL_PATH} HTTP/1.1");
    // A bare CR, a bare LF followed by a header-looking line, NUL, obs-fold,
    // a space before the colon, CR/LF in the request target.
    for lines in [
        vec!["Client-Id: CONFORMANCE_TEST_CLIENT\rX-Injected: yes"],
        vec!["Client-Id: A\0X-Injected: yes"],
        vec!["Client-Id: CONFORMANCE_TEST_CLIENT", " X-Injected: folded"],
        vec!["Client-Id : X-Injected"],
        vec!["Client-Id: \u{1}\u{7f}X-Injected"],
    ] {
        head_with(addr, &post, &lines)
            .await
            .assert_refused_and_closed();
    }
    head_with(
        addr,
        &format!("POST {CANCEL_PATH}\rX-Injected: yes HTTP/1.1"),
        &[],
    )
    .await
    .assert_refused_and_closed();

    // A CRLF ends the header line: what follows is a header of its own, and
    // the answer echoes only the Client-Id actually sent.
    let answer = head_with(
        addr,
        &post,
        &[
            "Content-Type: application/json",
            "Client-Id: SOMEONE",
            "X-Injected: yes",
            "Request-Time: 1",
            "Signature: algorithm=RSA256,signature=AAAA",
        ],
    )
    .await;
    answer.assert_api_error("CLIENT_INVALID", "SOMEONE");
    assert_eq!(answer.header("x-injected"), None, "{}", answer.text);
    // A bare LF ends a header line too (the HTTP parser is lenient there):
    // the same, and still nothing injected into the answer.
    let answer = head_with(
        addr,
        &post,
        &[
            "Content-Type: application/json",
            "Client-Id: SOMEONE\nX-Injected: yes",
        ],
    )
    .await;
    answer.assert_api_error("CLIENT_INVALID", "SOMEONE");
    assert_eq!(answer.header("x-injected"), None, "{}", answer.text);

    // A Client-Id that is not UTF-8 is not a client id; it is not echoed.
    let mut head =
        format!("{post}\r\nHost: x\r\nContent-Type: application/json\r\nClient-Id: ").into_bytes();
    head.extend_from_slice(b"\xff\xfeX\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}");
    let answer = raw(addr, &[&head], Duration::ZERO, Duration::from_secs(10)).await;
    answer.assert_api_error("CLIENT_INVALID", "");
}

// ---------------------------------------------------------------------------
// All of them at once, while a well-behaved client is served
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn well_behaved_clients_are_served_while_hostile_ones_run() {
    let h = start().await;
    let addr = h.server.addr;

    let hostile_started = Instant::now();
    let mut hostile = tokio::task::JoinSet::new();
    // 64 slow-loris connections that never finish their head.
    for _ in 0..64 {
        hostile.spawn(async move {
            let answer = raw(
                addr,
                &[b"POST /ams/api/v1/payments/cancel HTTP/1.1\r\nHost: x\r\n"],
                Duration::ZERO,
                HEAD_LIMIT * 5,
            )
            .await;
            assert!(answer.body.is_empty(), "{}", answer.text);
            ("slow head: closed", Some(Instant::now()))
        });
    }
    // 8 bodies that stall, 4 of 10 MB, and a stream of malformed ones.
    for _ in 0..8 {
        hostile.spawn(async move {
            let body = br#"{"paymentId":"P"}"#;
            let head = signed_head(body, None);
            raw(
                addr,
                &[head.as_bytes(), &body[..4], &body[4..]],
                BODY_LIMIT * 3,
                HEAD_LIMIT * 5,
            )
            .await
            .assert_api_error("PARAM_ILLEGAL", DEFAULT_CLIENT_ID);
            ("slow body: PARAM_ILLEGAL", None)
        });
    }
    for _ in 0..4 {
        hostile.spawn(async move {
            signed(addr, &vec![b'['; 10 * 1024 * 1024])
                .await
                .assert_api_error("PARAM_ILLEGAL", DEFAULT_CLIENT_ID);
            ("10 MB: PARAM_ILLEGAL", None)
        });
    }
    for _ in 0..4 {
        hostile.spawn(async move {
            for _ in 0..10 {
                signed(addr, "[".repeat(60_000).as_bytes())
                    .await
                    .assert_api_error("PARAM_ILLEGAL", DEFAULT_CLIENT_ID);
                signed(addr, br#"{"paymentId":"a","paymentId":"b"}"#)
                    .await
                    .assert_api_error("PARAM_ILLEGAL", DEFAULT_CLIENT_ID);
            }
            ("malformed: PARAM_ILLEGAL", None)
        });
    }

    // Meanwhile: a well-behaved client cancels one payment after another.
    let mut slowest = Duration::ZERO;
    for _ in 0..10 {
        let started = Instant::now();
        let (payment_id, _) = h.seed_state("paid").await;
        let answer = h.cancel(json!({ "paymentId": payment_id })).await;
        assert_eq!(answer.code(), "SUCCESS");
        slowest = slowest.max(started.elapsed());
    }
    let served_at = Instant::now();
    assert!(
        slowest < Duration::from_secs(2),
        "a well-behaved cancel took {slowest:?} while hostile clients ran"
    );
    let mut outcomes = std::collections::BTreeMap::new();
    while let Some(joined) = hostile.join_next().await {
        let (outcome, closed_at) = joined.expect("every hostile client got its answer");
        *outcomes.entry(outcome).or_insert(0) += 1;
        // The slow-loris connections were all still held open while the
        // well-behaved client was served: "meanwhile", not "afterwards".
        if let Some(closed_at) = closed_at {
            assert!(
                closed_at > served_at,
                "a slow head was cut off before the cancels ran"
            );
        }
    }
    println!(
        "10 cancels served in {:?} (slowest {slowest:?}) among {outcomes:?}",
        served_at - hostile_started
    );
    assert_eq!(outcomes.values().sum::<usize>(), 64 + 8 + 4 + 4);
}
