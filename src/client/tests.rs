//! The client against a scripted provider running in-process on
//! 127.0.0.1:0: retries, trust in answers, the order records and the
//! adapter protocol.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use serde_json::{Value, json};

use super::adapter::{self, EnvError, Message, Op};
use super::*;
use crate::signing::{SignedContent, test_keys};
use crate::spec::api::{CancelResponse, ResultInfo, ResultStatus};
use crate::wire::SentRequest;

const CLIENT: &str = "CONFORMANCE_TEST_CLIENT";
const SANDBOX_CLIENT: &str = "SANDBOX_CONFORMANCE_TEST_CLIENT";
const CANCEL_TIME: &str = "2026-11-26T18:00:00+08:00";
const SERVER_PAYMENT_ID: &str = "2026112600000001";

/// What the scripted provider does with the next cancel request.
#[derive(Debug, Clone)]
enum Step {
    S,
    F(&'static str),
    U(&'static str),
    /// Answers only after this long.
    Hold(Duration),
    /// Starts the answer, then ends the connection.
    Cut,
    /// An S with no signature and no response-time.
    Unsigned,
    /// An S signed with the wrong key.
    ForgedSignature,
    /// A signed U with this HTTP status.
    HttpStatus(u16),
    /// A signed S about another payment.
    OtherPayment,
}

/// What the tests read from a request the provider recorded (the wire
/// layer's one recorded-request shape).
trait Recorded {
    fn header(&self, name: &str) -> &str;
    fn json(&self) -> Value;
}

impl Recorded for SentRequest {
    fn header(&self, name: &str) -> &str {
        crate::wire::headers::header(&self.headers, name).unwrap_or_default()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("the client sends JSON")
    }
}

#[derive(Default)]
struct Script {
    steps: VecDeque<Step>,
    requests: Vec<SentRequest>,
}

/// The scripted provider; it owns its runtime so that both async and plain
/// tests can use it.
struct Provider {
    runtime: Option<tokio::runtime::Runtime>,
    script: Arc<Mutex<Script>>,
    base_url: String,
}

impl Provider {
    fn start(steps: Vec<Step>) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let script = Arc::new(Mutex::new(Script {
            steps: steps.into(),
            requests: Vec::new(),
        }));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let base_url = format!("http://{}", listener.local_addr().expect("address"));
        let app = Router::new()
            .fallback(provider)
            .with_state(Arc::clone(&script));
        runtime.spawn(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            let _ = axum::serve(listener, app).await;
        });
        Self {
            runtime: Some(runtime),
            script,
            base_url,
        }
    }

    fn requests(&self) -> Vec<SentRequest> {
        self.script.lock().expect("script").requests.clone()
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

async fn provider(
    State(script): State<Arc<Mutex<Script>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let captured = SentRequest {
        method: method.to_string(),
        path: uri.path().to_string(),
        headers: headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_string(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: body.to_vec(),
    };
    let step = {
        let mut script = script.lock().expect("script");
        script.requests.push(captured.clone());
        script.steps.pop_front().unwrap_or(Step::S)
    };
    let request: Value = serde_json::from_slice(&captured.body).unwrap_or(Value::Null);
    let text = |name: &str| {
        request
            .get(name)
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let success = CancelResponse {
        result: ResultInfo {
            result_code: "SUCCESS".into(),
            result_status: ResultStatus::S,
            result_message: Some("success".into()),
        },
        payment_id: Some(text("paymentId").unwrap_or_else(|| SERVER_PAYMENT_ID.into())),
        payment_request_id: text("paymentRequestId"),
        cancel_time: Some(CANCEL_TIME.into()),
    };
    let result = |status, code: &str| CancelResponse {
        result: ResultInfo {
            result_code: code.into(),
            result_status: status,
            result_message: None,
        },
        payment_id: None,
        payment_request_id: None,
        cancel_time: None,
    };
    let client_id = captured.header("client-id").to_string();
    let path = captured.path.clone();
    let signed = |status: u16, answer: &CancelResponse, key: &crate::signing::SigningKey| {
        let body = serde_json::to_vec(answer).expect("serialise");
        let time = "2026-11-26T18:00:00+08:00";
        let signature = SignedContent::post(&path, &client_id, time, &body)
            .sign(key, test_keys::KEY_VERSION)
            .expect("sign");
        Response::builder()
            .status(status)
            .header("content-type", "application/json; charset=UTF-8")
            .header("signature", signature)
            .header("response-time", time)
            .header("client-id", client_id.as_str())
            .body(Body::from(body))
            .expect("response")
    };
    let provider_key = test_keys::provider_signing();
    match step {
        Step::S => signed(200, &success, &provider_key),
        Step::F(code) => signed(200, &result(ResultStatus::F, code), &provider_key),
        Step::U(code) => signed(200, &result(ResultStatus::U, code), &provider_key),
        Step::Hold(pause) => {
            tokio::time::sleep(pause).await;
            signed(200, &success, &provider_key)
        }
        Step::Cut => {
            let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
                Ok(Bytes::from_static(b"{\"result\":")),
                Err(std::io::Error::other("cut")),
            ];
            Response::builder()
                .status(StatusCode::OK)
                .body(Body::from_stream(futures_util::stream::iter(chunks)))
                .expect("response")
        }
        Step::Unsigned => Response::builder()
            .status(StatusCode::OK)
            .header("content-type", "application/json; charset=UTF-8")
            .body(Body::from(serde_json::to_vec(&success).expect("serialise")))
            .expect("response"),
        Step::ForgedSignature => signed(200, &success, &test_keys::merchant_signing()),
        Step::HttpStatus(status) => signed(
            status,
            &result(ResultStatus::U, "SYSTEM_ERROR"),
            &provider_key,
        ),
        Step::OtherPayment => {
            let mut other = success.clone();
            other.payment_id = Some("SOMEONE_ELSES_PAYMENT".into());
            signed(200, &other, &provider_key)
        }
    }
}

fn config(base_url: &str, client_id: &str) -> ClientConfig {
    ClientConfig {
        base_url: base_url.to_string(),
        client_id: client_id.to_string(),
        merchant_key: Arc::new(test_keys::merchant_signing()),
        key_version: "1".into(),
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
    assert_eq!(header.key_version.as_deref(), Some("1"));
    let body = request.json();
    let object = body.as_object().expect("an object");
    assert!(
        object
            .keys()
            .all(|key| key == "paymentId" || key == "paymentRequestId"),
        "only the ids are sent: {body}"
    );
}

// --------------------------------------------------------------- retries

#[tokio::test]
async fn u_answers_are_retried_with_the_same_identifiers() {
    let provider = Provider::start(vec![
        Step::U("SYSTEM_ERROR"),
        Step::U("SYSTEM_ERROR"),
        Step::S,
    ]);
    let client = client_for(&provider);
    let outcome = client.cancel(&both("P1", "R1")).await;
    assert_eq!(
        outcome,
        CancelOutcome::Cancelled {
            result_code: "SUCCESS".into(),
            cancel_time: Some(CANCEL_TIME.into()),
            payment_id: Some("P1".into()),
            payment_request_id: Some("R1".into()),
        }
    );
    let requests = provider.requests();
    assert_eq!(requests.len(), 3);
    for request in &requests {
        assert_well_formed(request, CLIENT, "/ams/api/v1/payments/cancel");
        assert_eq!(
            request.body, requests[0].body,
            "every retry sends the same body"
        );
    }
    assert_eq!(
        requests[0].json(),
        json!({"paymentId": "P1", "paymentRequestId": "R1"})
    );
    assert_eq!(
        client.status(&PaymentRef::by_payment_id("P1")),
        OrderStatus::Cancelled
    );
}

#[tokio::test]
async fn only_u_answers_end_unknown_after_max_attempts() {
    let provider = Provider::start(vec![Step::U("SYSTEM_ERROR"); 5]);
    let client = client_for(&provider);
    let report = client
        .cancel_reported(&PaymentRef::by_request_id("R1"))
        .await;
    assert_eq!(
        report.outcome,
        CancelOutcome::Unknown {
            attempts: 3,
            last_code: Some("SYSTEM_ERROR".into())
        }
    );
    assert_eq!(report.attempts.len(), 3);
    assert_eq!(provider.requests().len(), 3);
    assert_eq!(
        client.status(&PaymentRef::by_request_id("R1")),
        OrderStatus::Unknown
    );
}

#[tokio::test]
async fn f_is_never_retried() {
    let provider = Provider::start(vec![Step::F("CANCEL_WINDOW_EXCEED")]);
    let client = client_for(&provider);
    let outcome = client.cancel(&PaymentRef::by_payment_id("P1")).await;
    assert_eq!(
        outcome,
        CancelOutcome::Failed {
            code: "CANCEL_WINDOW_EXCEED".into(),
            message: None
        }
    );
    assert_eq!(provider.requests().len(), 1);
    assert_eq!(
        client.status(&PaymentRef::by_payment_id("P1")),
        OrderStatus::None
    );
}

#[tokio::test]
async fn a_timeout_is_retried_with_the_same_identifiers() {
    let provider = Provider::start(vec![Step::Hold(Duration::from_millis(1500)), Step::S]);
    let client = client_for(&provider);
    let report = client
        .cancel_reported(&PaymentRef::by_request_id("R1"))
        .await;
    assert!(matches!(report.outcome, CancelOutcome::Cancelled { .. }));
    assert!(matches!(
        report.attempts[0],
        AttemptNote::NoAnswer(TransportError::NoAnswer { .. })
    ));
    let requests = provider.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].body, requests[1].body);
    // The provider's S named the paymentId too; the order is found by it.
    assert_eq!(
        client.status(&PaymentRef::by_payment_id(SERVER_PAYMENT_ID)),
        OrderStatus::Cancelled
    );
}

#[tokio::test]
async fn a_cut_connection_is_retried() {
    let provider = Provider::start(vec![Step::Cut, Step::S]);
    let client = client_for(&provider);
    let report = client.cancel_reported(&both("P1", "R1")).await;
    assert!(
        matches!(report.outcome, CancelOutcome::Cancelled { .. }),
        "{report:?}"
    );
    assert!(matches!(report.attempts[0], AttemptNote::NoAnswer(_)));
    assert_eq!(provider.requests().len(), 2);
}

#[tokio::test]
async fn timeouts_only_end_unknown() {
    let provider = Provider::start(vec![Step::Hold(Duration::from_millis(1500)); 3]);
    let mut config = config(&provider.base_url, CLIENT);
    config.max_attempts = 2;
    config.timeout = Duration::from_millis(150);
    let client = CancelClient::new(config).expect("client");
    let outcome = client.cancel(&PaymentRef::by_payment_id("P1")).await;
    assert_eq!(
        outcome,
        CancelOutcome::Unknown {
            attempts: 2,
            last_code: None
        }
    );
    assert_eq!(provider.requests().len(), 2);
}

#[tokio::test]
async fn nothing_listening_is_retried_then_unknown() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let base_url = format!("http://{}", closed.local_addr().expect("address"));
    drop(closed);
    let client = CancelClient::new(config(&base_url, CLIENT)).expect("client");
    let report = client
        .cancel_reported(&PaymentRef::by_payment_id("P1"))
        .await;
    assert_eq!(report.attempts.len(), 3);
    assert!(matches!(
        report.outcome,
        CancelOutcome::Unknown { attempts: 3, .. }
    ));
}

// ------------------------------------------------------- trusting answers

async fn refused_after_one_request(step: Step) -> Untrusted {
    let provider = Provider::start(vec![step, Step::S, Step::S]);
    let client = client_for(&provider);
    let outcome = client.cancel(&both("P1", "R1")).await;
    assert_eq!(
        provider.requests().len(),
        1,
        "an untrusted answer is not retried"
    );
    assert_eq!(
        client.status(&PaymentRef::by_payment_id("P1")),
        OrderStatus::Unknown,
        "an untrusted S does not cancel the order"
    );
    match outcome {
        CancelOutcome::Refused { reason } => reason,
        other => panic!("expected refused, got {other:?}"),
    }
}

#[tokio::test]
async fn an_unsigned_answer_is_refused() {
    assert_eq!(
        refused_after_one_request(Step::Unsigned).await,
        Untrusted::MissingHeader { name: "signature" }
    );
}

#[tokio::test]
async fn a_forged_signature_is_refused() {
    assert!(matches!(
        refused_after_one_request(Step::ForgedSignature).await,
        Untrusted::BadSignature(_)
    ));
}

#[tokio::test]
async fn a_status_other_than_200_is_refused() {
    assert_eq!(
        refused_after_one_request(Step::HttpStatus(500)).await,
        Untrusted::Status { status: 500 }
    );
}

#[tokio::test]
async fn an_answer_about_another_payment_is_refused() {
    assert!(matches!(
        refused_after_one_request(Step::OtherPayment).await,
        Untrusted::OtherPayment {
            field: "paymentId",
            ..
        }
    ));
}

#[tokio::test]
async fn a_sandbox_client_calls_the_sandbox_path() {
    let provider = Provider::start(vec![Step::S]);
    let client = CancelClient::new(config(&provider.base_url, SANDBOX_CLIENT)).expect("client");
    assert_eq!(client.cancel_path(), "/ams/sandbox/api/v1/payments/cancel");
    let outcome = client.cancel(&PaymentRef::by_payment_id("P1")).await;
    assert!(
        matches!(outcome, CancelOutcome::Cancelled { .. }),
        "{outcome:?}"
    );
    let requests = provider.requests();
    assert_well_formed(
        &requests[0],
        SANDBOX_CLIENT,
        "/ams/sandbox/api/v1/payments/cancel",
    );
}

#[tokio::test]
async fn a_payment_without_ids_is_not_sent() {
    let provider = Provider::start(vec![]);
    let client = client_for(&provider);
    let outcome = client.cancel(&PaymentRef::default()).await;
    assert_eq!(
        outcome,
        CancelOutcome::NotSent {
            reason: ClientError::NoIdentifier
        }
    );
    assert!(provider.requests().is_empty());
}

#[test]
fn unusable_configuration_is_refused_up_front() {
    let mut bad = config("http://127.0.0.1:1", CLIENT);
    bad.max_attempts = 0;
    assert!(matches!(
        CancelClient::new(bad),
        Err(ClientError::InvalidConfig {
            field: "max_attempts",
            ..
        })
    ));
    let bad = config("127.0.0.1:1", CLIENT);
    assert!(matches!(
        CancelClient::new(bad),
        Err(ClientError::InvalidConfig {
            field: "base_url",
            ..
        })
    ));
}

// ---------------------------------------------------------- notifications

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

#[tokio::test]
async fn a_late_payment_success_does_not_uncancel() {
    let provider = Provider::start(vec![Step::S]);
    let client = client_for(&provider);
    let outcome = client.cancel(&PaymentRef::by_request_id("R1")).await;
    assert!(matches!(outcome, CancelOutcome::Cancelled { .. }));
    let body = payment_success(SERVER_PAYMENT_ID, "R1");
    let accepted = client.on_payment_notification(
        NOTIFY_PATH,
        &provider_headers(CLIENT, &body),
        body.as_bytes(),
    );
    assert!(accepted);
    assert_eq!(
        client.status(&PaymentRef::by_request_id("R1")),
        OrderStatus::Cancelled
    );
    assert_eq!(
        client.status(&PaymentRef::by_payment_id(SERVER_PAYMENT_ID)),
        OrderStatus::Cancelled
    );
}

#[test]
fn a_payment_success_marks_an_open_order_paid() {
    let client = CancelClient::new(config("http://127.0.0.1:1", CLIENT)).expect("client");
    let body = payment_success("P1", "R1");
    assert!(client.on_payment_notification(
        NOTIFY_PATH,
        &provider_headers(CLIENT, &body),
        body.as_bytes()
    ));
    assert_eq!(
        client.status(&PaymentRef::by_request_id("R1")),
        OrderStatus::Success
    );
    assert_eq!(
        client.status(&PaymentRef::by_payment_id("P1")),
        OrderStatus::Success
    );
}

#[test]
fn unverified_notifications_change_nothing() {
    let client = CancelClient::new(config("http://127.0.0.1:1", CLIENT)).expect("client");
    let body = payment_success("P1", "R1");
    let headers = provider_headers(CLIENT, &body);
    let tampered = body.replace("\"value\":\"100\"", "\"value\":\"1\"");
    assert!(!client.on_payment_notification(NOTIFY_PATH, &headers, tampered.as_bytes()));
    assert!(!client.on_payment_notification("/elsewhere", &headers, body.as_bytes()));
    let unsigned: Vec<_> = headers
        .iter()
        .filter(|(name, _)| name != "signature")
        .cloned()
        .collect();
    assert!(!client.on_payment_notification(NOTIFY_PATH, &unsigned, body.as_bytes()));
    let other_client = provider_headers("CONFORMANCE_OTHER_CLIENT", &body);
    assert!(!client.on_payment_notification(NOTIFY_PATH, &other_client, body.as_bytes()));
    assert_eq!(
        client.status(&PaymentRef::by_payment_id("P1")),
        OrderStatus::None
    );
}

#[test]
fn other_notifications_are_accepted_without_effect() {
    let client = CancelClient::new(config("http://127.0.0.1:1", CLIENT)).expect("client");
    let body = json!({
        "notifyType": "PAYMENT_RESULT",
        "result": {"resultCode": "USER_BALANCE_NOT_ENOUGH", "resultStatus": "F"},
        "paymentId": "P1"
    })
    .to_string();
    let effect = client
        .handle_notification(
            NOTIFY_PATH,
            &provider_headers(CLIENT, &body),
            body.as_bytes(),
        )
        .expect("accepted");
    assert_eq!(effect.order_status, None);
    assert_eq!(
        client.status(&PaymentRef::by_payment_id("P1")),
        OrderStatus::None
    );
}

// ---------------------------------------------------------------- adapter

#[test]
fn protocol_lines_parse() {
    assert_eq!(
        adapter::parse_line(r#"{"id": 1, "op": "cancel", "paymentId": "P1"}"#),
        Ok(Message {
            id: json!(1),
            op: Op::Cancel(PaymentRef::by_payment_id("P1"))
        })
    );
    assert_eq!(
        adapter::parse_line(r#"{"id": "a", "op": "refund"}"#).map(|m| m.op),
        Ok(Op::Unsupported("refund".into()))
    );
    let malformed = adapter::parse_line("not json").expect_err("malformed");
    assert_eq!(malformed.id, Value::Null);
    let malformed =
        adapter::parse_line(r#"{"id": 7, "op": "notify", "path": "/n"}"#).expect_err("no body");
    assert_eq!(malformed.id, json!(7));
    let malformed = adapter::parse_line(r#"{"id": 8, "op": "cancel", "paymentId": 5}"#)
        .expect_err("a number is not an id");
    assert_eq!(malformed.id, json!(8));
}

#[test]
fn the_adapter_answers_every_line_in_order() {
    let provider = Provider::start(vec![
        Step::U("SYSTEM_ERROR"),
        Step::S,
        Step::F("PROCESS_FAIL"),
    ]);
    let client = client_for(&provider);
    let notification = payment_success("P1", "R1");
    let notify = json!({
        "id": 3, "op": "notify", "path": NOTIFY_PATH,
        "headers": provider_headers(CLIENT, &notification)
            .into_iter()
            .map(|(name, value)| (name, Value::String(value)))
            .collect::<serde_json::Map<String, Value>>(),
        "body": notification,
    });
    let input = [
        r#"{"id": 1, "op": "cancel", "paymentId": "P1", "paymentRequestId": "R1"}"#.to_string(),
        String::new(),
        r#"{"id": 2, "op": "status", "paymentRequestId": "R1"}"#.to_string(),
        notify.to_string(),
        r#"{"id": 4, "op": "status", "paymentId": "P1"}"#.to_string(),
        r#"{"id": 5, "op": "cancel", "paymentId": "P2"}"#.to_string(),
        r#"{"id": 6, "op": "status", "paymentId": "P2"}"#.to_string(),
        r#"{"id": 7, "op": "refund"}"#.to_string(),
        "{oops".to_string(),
        r#"{"id": 8, "op": "cancel"}"#.to_string(),
    ]
    .join("\n");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut output = Vec::new();
    let mut log = Vec::new();
    adapter::serve_lines(&client, &runtime, input.as_bytes(), &mut output, &mut log)
        .expect("served");
    let answers: Vec<Value> = String::from_utf8(output)
        .expect("UTF-8")
        .lines()
        .map(|line| serde_json::from_str(line).expect("each answer is one JSON line"))
        .collect();
    assert_eq!(answers.len(), 9, "{answers:#?}");
    assert_eq!(
        answers[0],
        json!({"id": 1, "outcome": "cancelled", "resultCode": "SUCCESS", "cancelTime": CANCEL_TIME})
    );
    assert_eq!(answers[1], json!({"id": 2, "status": "CANCELLED"}));
    assert_eq!(answers[2], json!({"id": 3, "accepted": true}));
    assert_eq!(answers[3], json!({"id": 4, "status": "CANCELLED"}));
    assert_eq!(
        answers[4],
        json!({"id": 5, "outcome": "failed", "resultCode": "PROCESS_FAIL"})
    );
    assert_eq!(answers[5], json!({"id": 6, "status": "NONE"}));
    assert_eq!(answers[6], json!({"id": 7, "error": "unsupported"}));
    assert_eq!(answers[7]["id"], Value::Null);
    assert!(answers[7]["error"].is_string());
    assert_eq!(answers[8]["id"], json!(8));
    assert!(answers[8]["error"].is_string());
    let log = String::from_utf8(log).expect("UTF-8");
    assert!(log.contains("attempt 1: U / SYSTEM_ERROR"), "{log}");
    assert!(!log.to_ascii_lowercase().contains("signature="), "{log}");
}

#[test]
fn the_environment_makes_the_configuration() {
    let merchant = test_keys::MERCHANT_PRIVATE.to_string();
    let provider = test_keys::PROVIDER_PUBLIC.to_string();
    let env = |overrides: &[(&str, &str)]| {
        let mut vars = vec![
            ("CC_PROTOCOL", "2".to_string()),
            ("CC_BASE_URL", "http://127.0.0.1:41234".to_string()),
            ("CC_CLIENT_ID", "SANDBOX_X".to_string()),
            ("CC_MERCHANT_PRIVATE_KEY", merchant.clone()),
            ("CC_PROVIDER_PUBLIC_KEY", provider.clone()),
            ("CC_TIMEOUT_MS", "250".to_string()),
        ];
        for (name, value) in overrides {
            vars.retain(|(existing, _)| existing != name);
            vars.push((name, value.to_string()));
        }
        adapter::config_from(move |name| {
            vars.iter()
                .find(|(existing, _)| *existing == name)
                .map(|(_, value)| value.clone())
        })
    };
    let config = env(&[]).expect("configuration");
    assert_eq!(config.timeout, Duration::from_millis(250));
    // The default written out, not read from the constant the code uses.
    assert_eq!(config.max_attempts, 5);
    assert_eq!(config.key_version, "1");
    assert_eq!(
        env(&[("CC_KEY_VERSION", "7")]).expect("config").key_version,
        "7"
    );
    assert_eq!(
        env(&[("CC_MAX_ATTEMPTS", "2")])
            .expect("config")
            .max_attempts,
        2
    );
    assert_eq!(
        env(&[("CC_CLIENT_ID", "")]).map(|_| ()),
        Err(EnvError::Missing {
            name: "CC_CLIENT_ID"
        })
    );
    assert!(matches!(
        env(&[("CC_TIMEOUT_MS", "soon")]),
        Err(EnvError::Invalid {
            name: "CC_TIMEOUT_MS",
            ..
        })
    ));
    assert!(matches!(
        env(&[("CC_PROTOCOL", "1")]),
        Err(EnvError::Protocol { .. })
    ));
    let error = env(&[("CC_MERCHANT_PRIVATE_KEY", "bm90IGEga2V5")])
        .map(|_| ())
        .expect_err("not a key");
    assert!(!error.to_string().contains("bm90IGEga2V5"), "{error}");
}
