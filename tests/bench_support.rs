//! What the benchmarks (`bench/`) rely on in the reference server: the bulk
//! form of `POST /control/v1/payments` (INTERPRETING.md §5), whose payments
//! are all reachable through the id pattern, behave like singly seeded ones,
//! and leave the single form unchanged; and `serve --unsigned-answers`.

mod server_support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cancel_conformance::server::MAX_SEED_COUNT;
use reqwest::StatusCode;
use serde_json::{Value, json};
use server_support::Harness;

/// `first` with `n` added to the decimal number that ends it, keeping its
/// width: the id of the n-th payment (from 0) of a bulk seed.
fn nth(first: &str, n: u64) -> String {
    let digits = first.len() - first.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let (prefix, number) = first.split_at(first.len() - digits);
    let value: u128 = number.parse().expect("ends in a number");
    format!("{prefix}{:0digits$}", value + u128::from(n))
}

async fn bulk(harness: &Harness, body: Value) -> (StatusCode, Value) {
    harness
        .control("POST", "/control/v1/payments", Some(body))
        .await
}

fn ids(json: &Value, which: &str) -> (String, String) {
    (
        json[which]["paymentId"].as_str().expect("paymentId").into(),
        json[which]["paymentRequestId"]
            .as_str()
            .expect("paymentRequestId")
            .into(),
    )
}

#[tokio::test]
async fn a_bulk_seed_answers_its_count_and_first_and_last_ids() {
    let harness = Harness::start().await;
    let (single, _) = harness.seed_state("paid").await;
    let (status, json) = bulk(
        &harness,
        json!({"state": "paid", "method": "card", "count": 1000}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert_eq!(json["count"], 1000);
    let keys: Vec<&String> = json.as_object().expect("an object").keys().collect();
    assert_eq!(keys, ["count", "first", "last"]);
    let (first, first_request) = ids(&json, "first");
    let (last, last_request) = ids(&json, "last");
    assert_eq!(nth(&first, 999), last);
    assert_eq!(nth(&first_request, 999), last_request);
    assert_ne!(first, single, "fresh ids, never a seeded payment's");

    // The single form is unchanged, and its ids follow the bulk's.
    let (status, after) = bulk(&harness, json!({"state": "paid"})).await;
    assert_eq!(status, StatusCode::OK);
    let keys: Vec<&String> = after.as_object().expect("an object").keys().collect();
    assert_eq!(keys, ["paymentId", "paymentRequestId"]);
    assert_ne!(after["paymentId"].as_str(), Some(last.as_str()));
}

#[tokio::test]
async fn every_bulk_seeded_payment_is_a_real_payment() {
    let harness = Harness::start().await;
    let (status, json) = bulk(
        &harness,
        json!({"state": "paid", "method": "wallet", "count": 300, "owner": "CONFORMANCE_TEST_CLIENT"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{json}");
    let (first, first_request) = ids(&json, "first");
    for n in [0, 1, 63, 64, 65, 150, 299] {
        let payment_id = nth(&first, n);
        let request_id = nth(&first_request, n);
        // By paymentId: S, then the payment is cancelled.
        let answer = harness.cancel(json!({ "paymentId": payment_id })).await;
        assert_eq!(answer.code(), "SUCCESS", "payment {n}");
        assert_eq!(answer.json["paymentRequestId"], request_id.as_str());
        assert_eq!(harness.state_of(&payment_id).await, "cancelled");
        // By paymentRequestId: the repeat is S with the same cancelTime.
        let again = harness
            .cancel(json!({ "paymentRequestId": request_id }))
            .await;
        assert_eq!(again.code(), "SUCCESS", "payment {n} again");
        assert_eq!(again.json["cancelTime"], answer.json["cancelTime"]);
    }
    // One past the last is no payment.
    let answer = harness
        .cancel(json!({ "paymentId": nth(&first, 300) }))
        .await;
    assert_eq!(answer.code(), "ORDER_NOT_EXIST");
    // Untouched payments of the seed are still paid, with their own state.
    assert_eq!(harness.state_of(&nth(&first, 2)).await, "paid");
    let (applied, state) = harness.event(&nth(&first, 3), "captured").await;
    assert!(applied);
    assert_eq!(state, "captured");
    let answer = harness.cancel(json!({ "paymentId": nth(&first, 3) })).await;
    assert_eq!(answer.code(), "ORDER_STATUS_INVALID");
}

#[tokio::test]
async fn bulk_seeded_payments_keep_state_owner_and_age() {
    let harness = Harness::start().await;
    let (status, json) = bulk(
        &harness,
        json!({"state": "paid", "method": "card", "ageMs": 8u64 * 24 * 3600 * 1000, "owner": "CONFORMANCE_OTHER_CLIENT", "count": 5}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{json}");
    let (first, _) = ids(&json, "first");
    let (status, shown) = harness
        .control(
            "GET",
            &format!("/control/v1/payments/{}", nth(&first, 4)),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(shown["state"], "paid");
    assert_eq!(shown["method"], "card");
    assert_eq!(shown["owner"], "CONFORMANCE_OTHER_CLIENT");
    // Another client's payment: ACCESS_DENIED for the default client.
    let answer = harness.cancel(json!({ "paymentId": nth(&first, 1) })).await;
    assert_eq!(answer.code(), "ACCESS_DENIED");
}

#[tokio::test]
async fn bulk_counts_are_bounded_and_checked() {
    let harness = Harness::start().await;
    for count in [json!(0), json!(MAX_SEED_COUNT + 1), json!(-1), json!("10")] {
        let (status, json) = bulk(&harness, json!({"state": "paid", "count": count})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "count {count}: {json}");
        assert!(json["error"].is_string(), "{json}");
    }
    let (status, json) = bulk(&harness, json!({"state": "paid", "count": 1})).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert_eq!(json["first"], json["last"]);
}

#[tokio::test]
async fn a_million_payments_seed_in_one_call() {
    let harness = Harness::start().await;
    let started = Instant::now();
    let (status, json) = bulk(
        &harness,
        json!({"state": "paid", "method": "card", "count": MAX_SEED_COUNT}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "seeding took {:?}",
        started.elapsed()
    );
    let (first, _) = ids(&json, "first");
    let (last, _) = ids(&json, "last");
    assert_eq!(nth(&first, MAX_SEED_COUNT - 1), last);
    let answer = harness.cancel(json!({ "paymentId": last })).await;
    assert_eq!(answer.code(), "SUCCESS");
}

/// A line the child prints, within a time limit.
fn wait_for_line(reader: &mut impl BufRead, needle: &str) -> String {
    let mut line = String::new();
    for _ in 0..20 {
        line.clear();
        if reader.read_line(&mut line).expect("reads stdout") == 0 {
            break;
        }
        if line.contains(needle) {
            return line;
        }
    }
    panic!("serve never printed {needle:?}");
}

#[test]
fn serve_unsigned_answers_sends_answers_without_signature_headers() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cancel-conformance"))
        .args(["serve", "--addr", "127.0.0.1:0", "--unsigned-answers"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve starts");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let line = wait_for_line(&mut stdout, "cancel API at http://");
    let address = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .expect("an address")
        .to_string();
    let body = r#"{"paymentId":"2026112600000000000000001"}"#;
    let request = format!(
        "POST /ams/api/v1/payments/cancel HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nClient-Id: CONFORMANCE_TEST_CLIENT\r\nRequest-Time: 1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = TcpStream::connect(&address).expect("connects");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    stream.write_all(request.as_bytes()).expect("sends");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("reads");
    child.kill().expect("stops");
    let _ = child.wait();
    let (head, body) = answer.split_once("\r\n\r\n").expect("a head and a body");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(body.contains("INVALID_SIGNATURE"), "{body}");
    let head = head.to_ascii_lowercase();
    assert!(!head.contains("\nsignature:"), "{head}");
    assert!(!head.contains("\nresponse-time:"), "{head}");
}
