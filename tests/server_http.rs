//! The reference server over real HTTP: every check of the request pipeline,
//! the business answers, the control plane, faults, TLS and the transport
//! limits. Each test starts its own server on 127.0.0.1:0.

mod server_support;

use std::time::{Duration, Instant};

use cancel_conformance::server::{self, ServerConfig, TlsSetup};
use cancel_conformance::spec::api::{
    CANCEL_PATH, INQUIRY_PATH, SANDBOX_CANCEL_PATH, SANDBOX_INQUIRY_PATH,
};
use cancel_conformance::spec::validate::{Message, validate};
use reqwest::StatusCode;
use serde_json::{Value, json};
use server_support::{Call, Harness, JSON, Sig};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const DAY_MS: u64 = 24 * 60 * 60 * 1000;

/// Checks a cancel answer against the response schema too.
fn assert_valid_cancel_answer(answer: &server_support::Answer) {
    let violations = validate(Message::CancelResponse, &answer.json);
    assert!(violations.is_empty(), "{violations:?}");
}

fn assert_f(answer: &server_support::Answer, code: &str) {
    assert_eq!(
        (answer.status_letter(), answer.code()),
        ("F", code),
        "{}",
        answer.json
    );
    assert_eq!(
        answer.json.as_object().map(|o| o.len()),
        Some(1),
        "F carries only result"
    );
    assert_valid_cancel_answer(answer);
}

// ----- the happy path

#[tokio::test]
async fn signed_cancel_succeeds_with_a_signed_answer() {
    let h = Harness::start().await;
    let (payment_id, request_id) = h.seed_state("paid").await;
    let answer = h.cancel_by_id(&payment_id).await;
    assert_eq!((answer.status_letter(), answer.code()), ("S", "SUCCESS"));
    assert_eq!(answer.json["paymentId"], payment_id.as_str());
    assert_eq!(answer.json["paymentRequestId"], request_id.as_str());
    assert_eq!(answer.json["result"]["resultMessage"], "Success");
    let cancel_time = answer.json["cancelTime"].as_str().expect("cancelTime");
    assert!(cancel_time.ends_with("+08:00"), "{cancel_time}");
    let parsed = OffsetDateTime::parse(cancel_time, &Rfc3339).expect("RFC 3339");
    assert!((OffsetDateTime::now_utc() - parsed).abs() < time::Duration::minutes(1));
    assert_valid_cancel_answer(&answer);
    assert_eq!(h.state_of(&payment_id).await, "cancelled");
}

#[tokio::test]
async fn cancel_by_payment_request_id_and_repeat_keeps_the_first_time() {
    let h = Harness::start().await;
    let (payment_id, request_id) = h.seed_state("awaiting-buyer").await;
    let first = h.cancel(json!({ "paymentRequestId": request_id })).await;
    assert_eq!(first.code(), "SUCCESS");
    assert_eq!(first.json["paymentId"], payment_id.as_str());
    // A repeat after the window would have closed is still the first S.
    h.advance(&payment_id, 30 * DAY_MS).await;
    let again = h.cancel_by_id(&payment_id).await;
    assert_eq!(again.code(), "SUCCESS");
    assert_eq!(again.json["cancelTime"], first.json["cancelTime"]);
}

#[tokio::test]
async fn pretty_printed_body_and_epoch_request_time_verify() {
    let h = Harness::start().await;
    let (payment_id, _) = h.seed_state("paid").await;
    let body = format!("{{\n   \"paymentId\": \"{payment_id}\"\n}}").into_bytes();
    let mut call = Call::post(CANCEL_PATH, body);
    call.request_time = Some("1764129600000");
    call.content_type = Some("Application/JSON");
    let answer = h.call(&call).await;
    assert_eq!(answer.code(), "SUCCESS");
}

#[tokio::test]
async fn sandbox_paths_work_for_every_client_id() {
    let h = Harness::start().await;
    let (payment_id, _) = h
        .seed(json!({"state": "paid", "owner": server::SANDBOX_CLIENT_ID}))
        .await;
    let body = json!({ "paymentId": payment_id }).to_string().into_bytes();
    let mut call = Call::post(SANDBOX_CANCEL_PATH, body.clone());
    call.client_id = Some(server::SANDBOX_CLIENT_ID);
    assert_eq!(h.call(&call).await.code(), "SUCCESS");
    let mut inquiry = Call::post(SANDBOX_INQUIRY_PATH, body);
    inquiry.client_id = Some(server::SANDBOX_CLIENT_ID);
    assert_eq!(h.call(&inquiry).await.json["paymentStatus"], "CANCELLED");

    // A production client id on the sandbox path is served the same way.
    let (other, _) = h.seed_state("paid").await;
    let call = Call::post(
        SANDBOX_CANCEL_PATH,
        json!({ "paymentId": other }).to_string().into_bytes(),
    );
    assert_eq!(h.call(&call).await.code(), "SUCCESS");
}

#[tokio::test]
async fn signature_covers_the_path_as_requested() {
    let h = Harness::start().await;
    let (payment_id, _) = h.seed_state("paid").await;
    // Signed for the production path, sent to the sandbox path.
    let body = json!({ "paymentId": payment_id }).to_string().into_bytes();
    let signed_for_production = cancel_conformance::signing::SignedContent::post(
        CANCEL_PATH,
        server::DEFAULT_CLIENT_ID,
        server_support::REQUEST_TIME,
        &body,
    )
    .sign(
        &cancel_conformance::signing::test_keys::merchant_signing(),
        "1",
    )
    .expect("signs");
    let response = h
        .http
        .post(h.url(SANDBOX_CANCEL_PATH))
        .header("Content-Type", JSON)
        .header("Client-Id", server::DEFAULT_CLIENT_ID)
        .header("Request-Time", server_support::REQUEST_TIME)
        .header("Signature", signed_for_production)
        .body(body)
        .send()
        .await
        .expect("answer");
    let json: Value = serde_json::from_slice(&response.bytes().await.expect("body")).expect("json");
    assert_eq!(json["result"]["resultCode"], "INVALID_SIGNATURE");
    assert_eq!(h.state_of(&payment_id).await, "paid");
}

// ----- inquiry and events

#[tokio::test]
async fn inquiry_reports_each_state() {
    let h = Harness::start().await;
    for (state, status) in [
        ("awaiting-buyer", "PROCESSING"),
        ("paid", "SUCCESS"),
        ("captured", "SUCCESS"),
        ("fully-refunded", "SUCCESS"),
        ("cancelled", "CANCELLED"),
        ("failed", "FAIL"),
    ] {
        let (payment_id, request_id) = h.seed_state(state).await;
        let answer = h.inquiry(&payment_id).await;
        assert_eq!(answer.code(), "SUCCESS");
        assert_eq!(answer.json["paymentStatus"], status, "{state}");
        assert_eq!(answer.json["paymentRequestId"], request_id.as_str());
        assert!(validate(Message::InquiryResponse, &answer.json).is_empty());
    }
    let unknown = h.inquiry("NO_SUCH_PAYMENT").await;
    assert_eq!(unknown.code(), "ORDER_NOT_EXIST");
}

#[tokio::test]
async fn inquiry_after_cancel_is_cancelled_and_a_late_payment_success_changes_nothing() {
    let h = Harness::start().await;
    // Paid before the cancel: the notification is late under every profile
    // (what a payment after an unpaid cancel does is the profile's, and
    // tests/profiles.rs proves both).
    let (payment_id, _) = h.seed_state("paid").await;
    assert_eq!(h.cancel_by_id(&payment_id).await.code(), "SUCCESS");
    assert_eq!(
        h.inquiry(&payment_id).await.json["paymentStatus"],
        "CANCELLED"
    );
    let (applied, state) = h.event(&payment_id, "payment-success").await;
    assert!(applied, "a late notification is accepted");
    assert_eq!(state, "cancelled");
    assert_eq!(
        h.inquiry(&payment_id).await.json["paymentStatus"],
        "CANCELLED"
    );
    let (applied, state) = h.event(&payment_id, "fully-refunded").await;
    assert_eq!((applied, state.as_str()), (false, "cancelled"));
}

#[tokio::test]
async fn business_refusals_have_their_codes() {
    let h = Harness::start().await;
    let cases = [
        (json!({"state": "partly-refunded"}), "PROCESS_FAIL"),
        (
            json!({"state": "fully-refunded", "method": "card"}),
            "PROCESS_FAIL",
        ),
        (
            json!({"state": "capturing", "method": "card"}),
            "ORDER_STATUS_INVALID",
        ),
        (
            json!({"state": "captured", "method": "card"}),
            "ORDER_STATUS_INVALID",
        ),
        (
            json!({"state": "paid", "method": "card", "ageMs": 8 * DAY_MS}),
            "CANCEL_WINDOW_EXCEED",
        ),
        (
            json!({"state": "paid", "method": "wallet", "ageMs": 2 * DAY_MS}),
            "CANCEL_WINDOW_EXCEED",
        ),
    ];
    for (seed, code) in cases {
        let (payment_id, _) = h.seed(seed.clone()).await;
        let before = h.state_of(&payment_id).await;
        let answer = h.cancel_by_id(&payment_id).await;
        assert_f(&answer, code);
        assert_eq!(
            h.state_of(&payment_id).await,
            before,
            "{seed}: F changes nothing"
        );
    }
    // An unpaid payment 400 days old closed as failed 14 minutes after its
    // creation; a failed payment's cancel answers S and it stays failed
    // (state.failed-cancel-success).
    let (old_unpaid, _) = h
        .seed(json!({"state": "awaiting-buyer", "ageMs": 400 * DAY_MS}))
        .await;
    assert_eq!(h.cancel_by_id(&old_unpaid).await.code(), "SUCCESS");
    let (failed, _) = h.seed(json!({"state": "failed"})).await;
    let answer = h.cancel_by_id(&failed).await;
    assert_eq!((answer.status_letter(), answer.code()), ("S", "SUCCESS"));
    assert_valid_cancel_answer(&answer);
    for id in [&old_unpaid, &failed] {
        assert_eq!(h.state_of(id).await, "failed");
    }
}

#[tokio::test]
async fn advancing_the_clock_closes_the_card_window() {
    let h = Harness::start().await;
    let (payment_id, _) = h.seed(json!({"state": "paid", "method": "card"})).await;
    h.advance(&payment_id, 6 * DAY_MS).await;
    let (still_open, _) = h.seed(json!({"state": "paid", "method": "card"})).await;
    h.advance(&payment_id, DAY_MS + 1000).await;
    assert_f(&h.cancel_by_id(&payment_id).await, "CANCEL_WINDOW_EXCEED");
    // The other payment's clock did not move.
    assert_eq!(h.cancel_by_id(&still_open).await.code(), "SUCCESS");
}

#[tokio::test]
async fn events_move_payments_into_refusing_states() {
    let h = Harness::start().await;
    let (payment_id, _) = h.seed(json!({"state": "paid", "method": "card"})).await;
    assert_eq!(
        h.event(&payment_id, "capture-started").await,
        (true, "capturing".into())
    );
    assert_f(&h.cancel_by_id(&payment_id).await, "ORDER_STATUS_INVALID");
    assert_eq!(
        h.event(&payment_id, "captured").await,
        (true, "captured".into())
    );
    assert_eq!(
        h.event(&payment_id, "partly-refunded").await,
        (true, "partly-refunded".into())
    );
    assert_f(&h.cancel_by_id(&payment_id).await, "PROCESS_FAIL");
    assert_eq!(
        h.event(&payment_id, "capture-started").await,
        (false, "partly-refunded".into())
    );
}

// ----- identification

#[tokio::test]
async fn payment_id_decides_and_never_falls_back() {
    let h = Harness::start().await;
    let (a, _) = h.seed_state("paid").await;
    let (b, b_request) = h.seed_state("paid").await;
    let unknown = h
        .cancel(json!({ "paymentId": "UNKNOWN_ID", "paymentRequestId": b_request }))
        .await;
    assert_f(&unknown, "ORDER_NOT_EXIST");
    assert_eq!(h.state_of(&b).await, "paid");
    let both = h
        .cancel(json!({ "paymentId": a, "paymentRequestId": b_request }))
        .await;
    assert_eq!(both.code(), "SUCCESS");
    assert_eq!(both.json["paymentId"], a.as_str());
    assert_eq!(
        h.state_of(&b).await,
        "paid",
        "the other payment is untouched"
    );
    for body in [
        json!({ "paymentId": "", "paymentRequestId": b_request }),
        json!({ "paymentId": b, "paymentRequestId": "" }),
        json!({ "paymentId": null, "paymentRequestId": null }),
    ] {
        assert_f(&h.cancel(body).await, "PARAM_ILLEGAL");
    }
    assert_eq!(h.state_of(&b).await, "paid", "an empty id is not an id");
    // A null id is an absent one: the other id alone decides.
    let null_id = h
        .cancel(json!({ "paymentId": null, "paymentRequestId": b_request }))
        .await;
    assert_eq!(null_id.code(), "SUCCESS");
    assert_eq!(null_id.json["paymentId"], b.as_str());
}

#[tokio::test]
async fn another_clients_payment_is_access_denied() {
    let h = Harness::start().await;
    let (payment_id, _) = h
        .seed(json!({"state": "paid", "owner": server::OTHER_CLIENT_ID}))
        .await;
    assert_f(&h.cancel_by_id(&payment_id).await, "ACCESS_DENIED");
    assert_eq!(h.state_of(&payment_id).await, "paid");
}

// ----- the request pipeline's F answers

#[tokio::test]
async fn authentication_failures_are_signed_f_answers() {
    let h = Harness::start().await;
    let (payment_id, _) = h.seed_state("paid").await;
    let body = json!({ "paymentId": payment_id });

    let mut unsigned = Call::cancel(body.clone());
    unsigned.sig = Sig::Missing;
    assert_f(&h.call(&unsigned).await, "INVALID_SIGNATURE");

    let mut bad = Call::cancel(body.clone());
    bad.sig = Sig::Bad;
    assert_f(&h.call(&bad).await, "INVALID_SIGNATURE");

    let mut answer = h
        .http
        .post(h.url(CANCEL_PATH))
        .header("Content-Type", JSON)
        .header("Client-Id", server::DEFAULT_CLIENT_ID)
        .header("Request-Time", server_support::REQUEST_TIME)
        .header(
            "Signature",
            "algorithm=RSA256,keyVersion=1,signature=%%%not-base64",
        )
        .body(body.to_string())
        .send()
        .await
        .expect("answer");
    assert_eq!(answer.status(), StatusCode::OK);
    let json: Value = serde_json::from_slice(&answer.bytes().await.expect("body")).expect("json");
    assert_eq!(json["result"]["resultCode"], "INVALID_SIGNATURE");
    // The message explains without echoing the signature.
    assert!(!json.to_string().contains("not-base64"));

    let mut wrong_version = Call::cancel(body.clone());
    wrong_version.sig = Sig::KeyVersion("2");
    assert_f(&h.call(&wrong_version).await, "KEY_NOT_FOUND");

    let mut unknown_client = Call::cancel(body.clone());
    unknown_client.client_id = Some("NOBODY_KNOWS_ME");
    assert_f(&h.call(&unknown_client).await, "CLIENT_INVALID");

    let mut no_client = Call::cancel(body.clone());
    no_client.client_id = None;
    let no_client_answer = h.call(&no_client).await;
    assert_f(&no_client_answer, "CLIENT_INVALID");
    assert_eq!(no_client_answer.header("client-id"), Some(""));

    let mut no_time = Call::cancel(body.clone());
    no_time.request_time = None;
    assert_f(&h.call(&no_time).await, "PARAM_ILLEGAL");

    assert_eq!(
        h.state_of(&payment_id).await,
        "paid",
        "nothing was cancelled"
    );
    answer = h
        .http
        .post(h.url(CANCEL_PATH))
        .body("x")
        .send()
        .await
        .expect("answer");
    assert_eq!(answer.status(), StatusCode::OK);
    let bytes = answer.bytes().await.expect("a whole answer");
    let body: serde_json::Value = serde_json::from_slice(&bytes).expect("a JSON answer");
    assert_eq!(body["result"]["resultStatus"], "F", "{body}");
    assert_eq!(h.cancel_by_id(&payment_id).await.code(), "SUCCESS");
}

#[tokio::test]
async fn malformed_requests_get_f_and_the_server_keeps_serving() {
    let h = Harness::start().await;
    let (payment_id, _) = h.seed_state("paid").await;
    let long_id = "1".repeat(65);
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        ("neither id", b"{}".to_vec()),
        (
            "neither id, merchant account only",
            br#"{"merchantAccountId":"M1"}"#.to_vec(),
        ),
        (
            "65-character id",
            json!({ "paymentId": long_id }).to_string().into_bytes(),
        ),
        ("number id", br#"{"paymentId":12345}"#.to_vec()),
        ("malformed JSON", br#"{"paymentId":"#.to_vec()),
        ("not an object", br#"["paymentId"]"#.to_vec()),
        ("not UTF-8", b"{\"paymentId\":\"\xc3\x28\"}".to_vec()),
        (
            "unknown field amount",
            json!({ "paymentId": payment_id, "amount": {"currency": "USD", "value": "100"} })
                .to_string()
                .into_bytes(),
        ),
        (
            "merchantAccountId too long",
            json!({ "paymentId": payment_id, "merchantAccountId": "m".repeat(33) })
                .to_string()
                .into_bytes(),
        ),
        ("empty body", Vec::new()),
    ];
    for (what, body) in bodies {
        let answer = h.call(&Call::post(CANCEL_PATH, body)).await;
        assert_eq!(answer.code(), "PARAM_ILLEGAL", "{what}: {}", answer.json);
        assert_f(&answer, "PARAM_ILLEGAL");
    }

    let mut wrong_type = Call::cancel(json!({ "paymentId": payment_id }));
    wrong_type.content_type = Some("text/plain");
    assert_f(&h.call(&wrong_type).await, "MEDIA_TYPE_NOT_ACCEPTABLE");
    let mut no_type = Call::cancel(json!({ "paymentId": payment_id }));
    no_type.content_type = None;
    assert_f(&h.call(&no_type).await, "MEDIA_TYPE_NOT_ACCEPTABLE");

    for method in ["GET", "PUT", "DELETE", "PATCH"] {
        let mut call = Call::cancel(json!({ "paymentId": payment_id }));
        call.method = method;
        assert_f(&h.call(&call).await, "METHOD_NOT_SUPPORTED");
    }

    for path in [
        "/ams/api/v1/payments/refund",
        "/",
        "/ams/api/v1/payments/cancel/",
    ] {
        let call = Call::post(
            path,
            json!({ "paymentId": payment_id }).to_string().into_bytes(),
        );
        assert_f(&h.call(&call).await, "NO_INTERFACE_DEF");
    }
    let mut get_unknown = Call::post("/nothing/here", Vec::new());
    get_unknown.method = "GET";
    assert_f(&h.call(&get_unknown).await, "NO_INTERFACE_DEF");

    let oversized = Call::post(CANCEL_PATH, vec![b' '; 1024 * 1024]);
    assert_f(&h.call(&oversized).await, "PARAM_ILLEGAL");

    assert_eq!(h.state_of(&payment_id).await, "paid");
    assert_eq!(h.cancel_by_id(&payment_id).await.code(), "SUCCESS");
}

#[tokio::test]
async fn an_oversized_chunked_body_is_refused_without_content_length() {
    let h = Harness::start().await;
    let mut stream = tokio::net::TcpStream::connect(h.server.addr)
        .await
        .expect("connect");
    let head = format!(
        "POST {CANCEL_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: {JSON}\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.expect("head");
    let chunk = vec![b' '; 16 * 1024];
    for _ in 0..8 {
        stream
            .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
            .await
            .expect("chunk size");
        stream.write_all(&chunk).await.expect("chunk");
        stream.write_all(b"\r\n").await.expect("chunk end");
    }
    stream.write_all(b"0\r\n\r\n").await.expect("last chunk");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("read");
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(text.contains("PARAM_ILLEGAL"), "{text}");
}

// ----- faults

#[tokio::test]
async fn unknown_fault_answers_u_then_the_retry_gets_s() {
    let h = Harness::start().await;
    let (payment_id, _) = h.seed_state("paid").await;
    h.fault(&payment_id, json!({"kind": "unknown"})).await;
    let u = h.cancel_by_id(&payment_id).await;
    assert_eq!((u.status_letter(), u.code()), ("U", "UNKNOWN_EXCEPTION"));
    assert!(u.json.get("cancelTime").is_none());
    assert_valid_cancel_answer(&u);
    assert_eq!(h.state_of(&payment_id).await, "paid", "U changes nothing");
    let s = h.cancel_by_id(&payment_id).await;
    assert_eq!(s.code(), "SUCCESS");

    let (other, _) = h.seed_state("paid").await;
    h.fault(
        &other,
        json!({"kind": "unknown", "code": "REQUEST_TRAFFIC_EXCEED_LIMIT", "count": 2}),
    )
    .await;
    assert_eq!(
        h.inquiry(&other).await.code(),
        "REQUEST_TRAFFIC_EXCEED_LIMIT"
    );
    assert_eq!(
        h.cancel_by_id(&other).await.code(),
        "REQUEST_TRAFFIC_EXCEED_LIMIT"
    );
    assert_eq!(h.cancel_by_id(&other).await.code(), "SUCCESS");
}

#[tokio::test]
async fn faults_wait_for_a_request_that_reaches_the_payment() {
    let h = Harness::start().await;
    let (payment_id, _) = h.seed_state("paid").await;
    h.fault(&payment_id, json!({"kind": "unknown"})).await;
    let mut unsigned = Call::cancel(json!({ "paymentId": payment_id }));
    unsigned.sig = Sig::Missing;
    assert_eq!(h.call(&unsigned).await.code(), "INVALID_SIGNATURE");
    assert_eq!(
        h.cancel_by_id(&payment_id).await.code(),
        "UNKNOWN_EXCEPTION"
    );
}

#[tokio::test]
async fn delay_fault_carries_out_the_cancel_before_the_late_answer() {
    let h = Harness::start().await;
    let (payment_id, _) = h.seed_state("paid").await;
    h.fault(&payment_id, json!({"kind": "delay", "delayMs": 1500}))
        .await;
    let started = Instant::now();
    let call = Call::cancel(json!({ "paymentId": payment_id }));
    let (answer, state_meanwhile) = tokio::join!(h.call(&call), async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        h.state_of(&payment_id).await
    });
    assert_eq!(
        state_meanwhile, "cancelled",
        "the state changed before the answer left"
    );
    assert!(started.elapsed() >= Duration::from_millis(1500));
    assert_eq!(answer.code(), "SUCCESS");
}

#[tokio::test]
async fn drop_fault_cuts_the_answer_but_carries_out_the_cancel() {
    let h = Harness::start().await;
    let (payment_id, _) = h.seed_state("paid").await;
    h.fault(&payment_id, json!({"kind": "drop"})).await;
    let dropped = h
        .try_call(&Call::cancel(json!({ "paymentId": payment_id })))
        .await;
    assert!(dropped.is_err(), "no complete answer: {dropped:?}");
    assert_eq!(h.state_of(&payment_id).await, "cancelled");
    let retry = h.cancel_by_id(&payment_id).await;
    assert_eq!(retry.code(), "SUCCESS");
}

// ----- control plane

#[tokio::test]
async fn control_plane_errors_are_json() {
    let h = Harness::start().await;
    let (status, json) = h.control("GET", "/control/v1/payments/NOPE", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(json["error"].is_string());
    let (status, json) = h
        .control(
            "POST",
            "/control/v1/payments/NOPE/events",
            Some(json!({"event": "captured"})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{json}");
    for bad in [
        json!({"state": "lost"}),
        json!({"method": "card"}),
        json!({"state": "paid", "colour": "red"}),
        json!({"state": "paid", "ageMs": -1}),
    ] {
        let (status, json) = h
            .control("POST", "/control/v1/payments", Some(bad.clone()))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {json}");
        assert!(json["error"].is_string());
    }
    let (payment_id, _) = h.seed_state("paid").await;
    let (status, _) = h
        .control(
            "POST",
            &format!("/control/v1/payments/{payment_id}/faults"),
            Some(json!({"kind": "unknown", "code": "PROCESS_FAIL"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = h
        .control(
            "POST",
            &format!("/control/v1/payments/{payment_id}/advance"),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = h.control("GET", "/control/v1/requests", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = h.control("DELETE", "/control/v1/payments", None).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    let (status, json) = h.control("GET", "/control/v1/nothing", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{json}");
}

#[tokio::test]
async fn control_plane_shows_payments_and_the_requests_naming_them() {
    let h = Harness::start().await;
    let (payment_id, request_id) = h
        .seed(json!({"state": "cancelled", "method": "card", "ageMs": 60_000, "owner": server::OTHER_CLIENT_ID}))
        .await;
    let (status, json) = h
        .control("GET", &format!("/control/v1/payments/{payment_id}"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json["paymentRequestId"], request_id.as_str());
    assert_eq!(json["state"], "cancelled");
    assert_eq!(json["method"], "card");
    assert_eq!(json["owner"], server::OTHER_CLIENT_ID);
    assert!(
        json["cancelTime"]
            .as_str()
            .expect("cancelTime")
            .ends_with("+08:00")
    );

    let (paid, paid_request) = h.seed_state("paid").await;
    let mut call = Call::cancel(json!({ "paymentRequestId": paid_request }));
    call.request_time = Some("1764129600000");
    h.call(&call).await;
    h.cancel_by_id(&paid).await;
    h.cancel_by_id(&payment_id).await;
    let (status, log) = h
        .control(
            "GET",
            &format!("/control/v1/requests?paymentId={paid}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let entries = log.as_array().expect("a list");
    assert_eq!(entries.len(), 2, "{log}");
    assert_eq!(entries[0]["method"], "POST");
    assert_eq!(entries[0]["path"], CANCEL_PATH);
    assert_eq!(entries[0]["clientId"], server::DEFAULT_CLIENT_ID);
    assert_eq!(entries[0]["requestTime"], "1764129600000");
    assert_eq!(
        entries[0]["body"],
        json!({ "paymentRequestId": paid_request }).to_string()
    );
    assert!(!log.to_string().to_lowercase().contains("signature"));
    let (status, _) = h
        .control("GET", "/control/v1/requests?paymentId=NOPE", None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn without_the_control_plane_control_paths_are_unknown_interfaces() {
    let config = ServerConfig {
        control_plane: false,
        ..ServerConfig::test_default()
    };
    let h = Harness::start_with(config, None).await;
    let call = Call::post("/control/v1/payments", br#"{"state":"paid"}"#.to_vec());
    assert_f(&h.call(&call).await, "NO_INTERFACE_DEF");
}

#[tokio::test]
async fn unsigned_answers_when_signing_is_off() {
    let config = ServerConfig {
        sign_responses: false,
        ..ServerConfig::test_default()
    };
    let h = Harness::start_with(config, None).await;
    let answer = h
        .try_call(&Call::cancel(json!({"paymentId": "X"})))
        .await
        .expect("answer");
    assert_eq!(answer.code(), "ORDER_NOT_EXIST");
    assert!(answer.header("signature").is_none());
    assert!(answer.header("response-time").is_none());
}

// ----- transport

#[tokio::test]
async fn tls_with_a_self_signed_certificate() {
    let h = Harness::start_with(ServerConfig::test_default(), Some(TlsSetup::self_signed())).await;
    assert!(h.server.base_url.starts_with("https://127.0.0.1:"));
    let pem = h.server.ca_cert_pem.as_deref().expect("self-signed PEM");
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
    let (payment_id, _) = h.seed_state("paid").await;
    assert_eq!(h.cancel_by_id(&payment_id).await.code(), "SUCCESS");
    // The certificate also names localhost.
    let by_name = h
        .http
        .get(format!(
            "https://localhost:{}/control/v1/payments/{payment_id}",
            h.server.addr.port()
        ))
        .send()
        .await
        .expect("localhost is in the certificate");
    assert_eq!(by_name.status(), StatusCode::OK);
}

#[tokio::test]
async fn tls_files_that_cannot_be_read_are_clear_errors() {
    let missing = std::env::temp_dir().join("cancel-conformance-no-such-cert.pem");
    let error = server::start(
        ServerConfig::test_default(),
        "127.0.0.1:0".parse().expect("address"),
        Some(TlsSetup::Files {
            cert_pem: missing.clone(),
            key_pem: missing.clone(),
        }),
    )
    .await
    .expect_err("no such file");
    let message = error.to_string();
    assert!(message.contains("TLS certificate"), "{message}");
    assert!(
        message.contains(&missing.display().to_string()),
        "{message}"
    );
}

#[tokio::test]
async fn a_busy_address_is_a_clear_error() {
    let h = Harness::start().await;
    let error = server::start(ServerConfig::test_default(), h.server.addr, None)
        .await
        .expect_err("the address is taken");
    assert!(error.to_string().contains("already in use"), "{error}");
}

#[tokio::test]
async fn a_client_too_slow_to_send_its_head_is_cut_off() {
    let config = ServerConfig {
        header_read_timeout: Duration::from_millis(300),
        ..ServerConfig::test_default()
    };
    let h = Harness::start_with(config, None).await;
    let mut slow = tokio::net::TcpStream::connect(h.server.addr)
        .await
        .expect("connect");
    slow.write_all(b"POST /ams/api/v1/payments/cancel HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("partial head");
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(5), slow.read_to_end(&mut rest)).await;
    assert!(
        closed.is_ok(),
        "the server closes the connection of a slow client"
    );
    // Others are still served.
    let (payment_id, _) = h.seed_state("paid").await;
    assert_eq!(h.cancel_by_id(&payment_id).await.code(), "SUCCESS");
}

#[tokio::test]
async fn shutdown_stops_the_server() {
    let h = Harness::start().await;
    let addr = h.server.addr;
    h.server.shutdown().await.expect("clean stop");
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn inquiry_paths_answer_like_cancel_paths_for_bad_requests() {
    let h = Harness::start().await;
    let mut call = Call::post(INQUIRY_PATH, b"{}".to_vec());
    assert_f(&h.call(&call).await, "PARAM_ILLEGAL");
    call.sig = Sig::Bad;
    assert_f(&h.call(&call).await, "INVALID_SIGNATURE");
}

#[tokio::test]
async fn control_plane_1_1_seeds_at_absolute_times_on_the_payments_clock() {
    let h = Harness::start().await;
    // Paid at 23:00 UTC+8; the wallet window ends at 00:15 UTC+8 the next day.
    let (inside, _) = h
        .seed(json!({"state": "paid", "method": "wallet",
            "clock": "2026-11-27T00:14:50+08:00", "paidAt": "2026-11-26T23:00:00+08:00"}))
        .await;
    let (status, view) = h
        .control("GET", &format!("/control/v1/payments/{inside}"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["paidAt"], "2026-11-26T23:00:00+08:00");
    let now = view["now"].as_str().expect("now");
    assert!(now.starts_with("2026-11-27T00:14:5"), "{now}");
    let answer = h.cancel_by_id(&inside).await;
    assert_eq!(answer.code(), "SUCCESS");
    let (outside, _) = h
        .seed(json!({"state": "paid", "method": "wallet",
            "clock": "2026-11-27T00:15:10+08:00", "paidAt": "2026-11-26T23:00:00+08:00"}))
        .await;
    assert_f(&h.cancel_by_id(&outside).await, "CANCEL_WINDOW_EXCEED");
    // Created long before it was paid: the window counts from payment.
    let (created_earlier, _) = h
        .seed(json!({"state": "paid", "method": "card",
            "clock": "2026-11-26T12:00:00+08:00", "paidAt": "2026-11-20T12:00:00+08:00",
            "createdAt": "2026-11-18T12:00:00+08:00"}))
        .await;
    assert_eq!(h.cancel_by_id(&created_earlier).await.code(), "SUCCESS");
    for bad in [
        json!({"state": "paid", "clock": "yesterday"}),
        json!({"state": "paid", "paidAt": "2026-11-26T23:00:00+08:00", "ageMs": 5}),
        json!({"state": "awaiting-buyer", "paidAt": "2026-11-26T23:00:00+08:00"}),
        json!({"state": "cancelled", "createdAt": "2026-11-26T23:00:00+08:00"}),
        json!({"state": "paid", "createdAt": "2026-11-26T23:00:00+08:00"}),
        json!({"state": "paid", "clock": "2026-11-26T12:00:00+08:00",
            "paidAt": "2026-11-26T13:00:00+08:00"}),
        json!({"state": "paid", "clock": "2026-11-26T12:00:00+08:00",
            "paidAt": "2026-11-20T12:00:00+08:00", "createdAt": "2026-11-21T12:00:00+08:00"}),
    ] {
        let (status, json) = h
            .control("POST", "/control/v1/payments", Some(bad.clone()))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {json}");
    }
}
