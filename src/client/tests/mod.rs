//! The client against a scripted provider running in-process on
//! 127.0.0.1:0 (`provider`): the cancel procedure's retries and trust in
//! answers (`cancel`), payment notifications and the order records
//! (`notifications`), and the adapter protocol (`adapter`). The fixtures
//! they share are here.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use serde_json::{Value, json};

use super::*;
use crate::signing::{SignedContent, test_keys};
use crate::spec::api::{CancelResponse, ResultInfo, ResultStatus};
use crate::wire::message::SentRequest;

const CLIENT: &str = "CONFORMANCE_TEST_CLIENT";
const SANDBOX_CLIENT: &str = "SANDBOX_CONFORMANCE_TEST_CLIENT";
const CANCEL_TIME: &str = "2026-11-26T18:00:00+08:00";
const SERVER_PAYMENT_ID: &str = "2026112600000001";

mod adapter_protocol;
mod cancel;
mod notifications;
mod provider;

use provider::{Provider, Recorded, Step};

fn config(base_url: &str, client_id: &str) -> ClientConfig {
    ClientConfig {
        base_url: base_url.to_string(),
        client_id: client_id.to_string(),
        merchant_key: Arc::new(test_keys::merchant_signing()),
        key_version: test_keys::KEY_VERSION.into(),
        provider_key: test_keys::provider_verifying(),
        timeout: Duration::from_millis(300),
        max_attempts: 3,
        ca_cert_pem: None,
    }
}

fn client_for(provider: &Provider) -> CancelClient {
    CancelClient::new(config(&provider.base_url, CLIENT)).expect("client")
}

fn both(id: &str, request: &str) -> PaymentRef {
    PaymentRef::new(Some(id.into()), Some(request.into()))
}

/// Checks what the rules ask of every request the client sends.
fn assert_well_formed(request: &SentRequest, client_id: &str, path: &str) {
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, path);
    assert_eq!(
        request.header("content-type"),
        crate::wire::headers::JSON_CONTENT_TYPE
    );
    assert_eq!(request.header("client-id"), client_id);
    let time = request.header("request-time");
    assert!(
        time::OffsetDateTime::parse(time, &time::format_description::well_known::Rfc3339).is_ok(),
        "Request-Time `{time}` is RFC 3339"
    );
    let header = SignedContent::post(path, client_id, time, &request.body)
        .verify(
            &test_keys::merchant_verifying(),
            request.header("signature"),
        )
        .expect("the signature covers the exact bytes sent");
    assert_eq!(header.key_version.as_deref(), Some(test_keys::KEY_VERSION));
    let body = request.json();
    let object = body.as_object().expect("an object");
    assert!(
        object
            .keys()
            .all(|key| key == "paymentId" || key == "paymentRequestId"),
        "only the ids are sent: {body}"
    );
}

const NOTIFY_PATH: &str = "/notify/payment";

fn payment_success(payment_id: &str, request_id: &str) -> String {
    json!({
        "notifyType": "PAYMENT_RESULT",
        "result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success"},
        "paymentId": payment_id,
        "paymentRequestId": request_id,
        "paymentAmount": {"currency": "USD", "value": "100"}
    })
    .to_string()
}

fn provider_headers(client_id: &str, body: &str) -> Vec<(String, String)> {
    let time = "2026-11-26T18:05:00+08:00";
    let signature = SignedContent::post(NOTIFY_PATH, client_id, time, body.as_bytes())
        .sign(&test_keys::provider_signing(), test_keys::KEY_VERSION)
        .expect("sign");
    vec![
        ("client-id".into(), client_id.into()),
        ("request-time".into(), time.into()),
        ("signature".into(), signature),
    ]
}
