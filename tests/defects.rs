//! The suite's power to fail: each deliberately broken server below must
//! fail at least one case, and the unbroken reference server must pass
//! every case. The defects live here, in a proxy wrapped around the real
//! reference server, never as switches inside the shipped server.
//!
//! Every broken answer is re-signed with the provider's TEST-ONLY key (but
//! for the defects that are about signing), so that each defect shows on
//! its own rather than as a side effect of a broken signature.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use cancel_conformance::server::{self, DEFAULT_CLIENT_ID, OTHER_CLIENT_ID, ServerConfig};
use cancel_conformance::signing::{sign_message, test_keys};
use cancel_conformance::spec::Catalog;
use cancel_conformance::suite::load::load_cases;
use cancel_conformance::suite::target::Target;
use cancel_conformance::suite::{http, run_all};

/// One way a server can be wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Defect {
    /// No defect: the proxy only forwards (proves the proxy is faithful).
    None,
    /// Cancels a refunded payment: PROCESS_FAIL becomes S SUCCESS.
    CancelsRefunded,
    /// Pairs a code with the wrong status: PROCESS_FAIL travels with U.
    WrongStatusForCode,
    /// Leaves `cancelTime` out of an S answer.
    NoCancelTimeOnSuccess,
    /// Writes `cancelTime` without its offset.
    CancelTimeWithoutOffset,
    /// Ignores `paymentId` precedence: serves by `paymentRequestId` when both are sent.
    IgnoresPaymentIdPrecedence,
    /// A repeat cancel reports a new `cancelTime`.
    RepeatChangesCancelTime,
    /// A repeat cancel of a cancelled payment fails.
    RepeatFails,
    /// Answers a business failure with HTTP 400.
    HttpErrorForBusinessFailure,
    /// Sends answers without a signature.
    UnsignedAnswers,
    /// Signs the answer, then sends a re-serialised body.
    SignsOtherBytes,
    /// Accepts requests whose signature is missing or does not verify.
    AcceptsBadSignatures,
    /// Accepts a 65-character id (serves it as if cut to 64).
    AcceptsOverlongIds,
    /// Cancels a captured card payment: ORDER_STATUS_INVALID becomes S.
    CancelsCaptured,
    /// Cancels past the window: CANCEL_WINDOW_EXCEED becomes S.
    CancelsPastWindow,
    /// Once a payment got U, every later call on it gets U too.
    UnknownNeverResolves,
    /// After a late payment-success notification, a cancelled payment reads SUCCESS.
    FlipsToSuccessAfterLateNotification,
    /// Omits `paymentRequestId` from an S answer.
    OmitsPaymentRequestId,
    /// Names another client id in the answer's `client-id` header.
    WrongClientIdHeader,
    /// Refuses a request field sent as JSON null (as PARAM_ILLEGAL) instead
    /// of treating it as absent.
    RefusesNullFields,
}

const DEFECTS: &[Defect] = &[
    Defect::CancelsRefunded,
    Defect::WrongStatusForCode,
    Defect::NoCancelTimeOnSuccess,
    Defect::CancelTimeWithoutOffset,
    Defect::IgnoresPaymentIdPrecedence,
    Defect::RepeatChangesCancelTime,
    Defect::RepeatFails,
    Defect::HttpErrorForBusinessFailure,
    Defect::UnsignedAnswers,
    Defect::SignsOtherBytes,
    Defect::AcceptsBadSignatures,
    Defect::AcceptsOverlongIds,
    Defect::CancelsCaptured,
    Defect::CancelsPastWindow,
    Defect::UnknownNeverResolves,
    Defect::FlipsToSuccessAfterLateNotification,
    Defect::OmitsPaymentRequestId,
    Defect::WrongClientIdHeader,
    Defect::RefusesNullFields,
];

struct Proxy {
    defect: Defect,
    upstream: String,
    http: reqwest::Client,
    /// Payment ids (either kind) that have been answered U.
    answered_unknown: Mutex<HashSet<String>>,
    /// Payment ids that received a late payment-success event.
    notified: Mutex<HashSet<String>>,
    /// Payment ids that have been answered S on cancel.
    cancelled: Mutex<HashSet<String>>,
    /// Counts S answers, to make each "new" cancelTime different.
    successes: Mutex<u32>,
}

fn ids_in(body: &Value) -> Vec<String> {
    ["paymentId", "paymentRequestId"]
        .iter()
        .filter_map(|key| body.get(*key).and_then(Value::as_str).map(str::to_string))
        .collect()
}

fn is_api(path: &str) -> bool {
    path.starts_with("/ams/")
}

fn header_text(headers: &HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// Signs a request the way a good client would: used by defects that
/// repair a request before the real server sees it.
fn resign_request(headers: &mut HeaderMap, method: &str, path: &str, body: &[u8]) {
    let client = header_text(headers, "client-id");
    let time = header_text(headers, "request-time");
    if let Ok(value) = sign_message(
        &test_keys::merchant_signing(),
        "1",
        method,
        path,
        &client,
        &time,
        body,
    ) && let Ok(value) = HeaderValue::from_str(&value)
    {
        headers.insert("signature", value);
    }
}

async fn forward(State(proxy): State<Arc<Proxy>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_string();
    let query = parts
        .uri
        .query()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    let method = parts.method.as_str().to_string();
    let mut headers = parts.headers.clone();
    let mut body = to_bytes(body, 4 << 20).await.unwrap_or_default().to_vec();
    let request_json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);

    if path.contains("/events")
        && request_json.get("event") == Some(&json!("payment-success"))
        && let Some(id) = path.split('/').nth(4)
    {
        proxy.notified.lock().expect("lock").insert(id.to_string());
    }
    if is_api(&path) {
        match proxy.defect {
            Defect::AcceptsBadSignatures => resign_request(&mut headers, &method, &path, &body),
            Defect::RefusesNullFields => {
                // The reference server refuses an empty string, so a null
                // turned into one is refused as a null-refusing server would.
                if let Value::Object(mut object) = request_json.clone()
                    && object.values().any(Value::is_null)
                {
                    for value in object.values_mut().filter(|value| value.is_null()) {
                        *value = json!("");
                    }
                    body = Value::Object(object).to_string().into_bytes();
                    resign_request(&mut headers, &method, &path, &body);
                }
            }
            Defect::AcceptsOverlongIds | Defect::IgnoresPaymentIdPrecedence => {
                if let Value::Object(mut object) = request_json.clone() {
                    if proxy.defect == Defect::IgnoresPaymentIdPrecedence {
                        if object.contains_key("paymentRequestId") {
                            object.remove("paymentId");
                        }
                    } else {
                        for key in ["paymentId", "paymentRequestId"] {
                            if let Some(Value::String(id)) = object.get_mut(key)
                                && id.chars().count() > 64
                            {
                                *id = id.chars().take(64).collect();
                            }
                        }
                    }
                    body = Value::Object(object).to_string().into_bytes();
                    resign_request(&mut headers, &method, &path, &body);
                }
            }
            Defect::UnknownNeverResolves => {
                let stuck = ids_in(&request_json)
                    .iter()
                    .any(|id| proxy.answered_unknown.lock().expect("lock").contains(id));
                if stuck {
                    let answer = json!({"result": {"resultCode": "SYSTEM_ERROR", "resultStatus": "U", "resultMessage": "unknown"}});
                    let client = header_text(&headers, "client-id");
                    return signed_response(
                        StatusCode::OK,
                        &path,
                        &client,
                        answer.to_string().into_bytes(),
                        true,
                    );
                }
            }
            _ => {}
        }
    }

    let mut upstream = proxy
        .http
        .request(
            parts.method.clone(),
            format!("{}{path}{query}", proxy.upstream),
        )
        .body(body);
    for (name, value) in headers.iter() {
        if name != "host" && name != "content-length" {
            upstream = upstream.header(name, value);
        }
    }
    let Ok(answer) = upstream.send().await else {
        // The upstream cut the connection (a scripted fault): cut ours too.
        return Response::builder()
            .status(StatusCode::OK)
            .body(Body::from_stream(futures_error_stream()))
            .unwrap_or_default();
    };
    let status = answer.status();
    let answer_headers = answer.headers().clone();
    let Ok(answer_body) = answer.bytes().await else {
        // The upstream dropped the connection on purpose (a scripted fault):
        // drop ours too.
        return Response::builder()
            .status(StatusCode::OK)
            .body(Body::from_stream(futures_error_stream()))
            .unwrap_or_default();
    };
    if !is_api(&path) {
        return plain_response(status, &answer_headers, answer_body);
    }
    let client = header_text(&answer_headers, "client-id");
    let mut json: Value = serde_json::from_slice(&answer_body).unwrap_or(Value::Null);
    let code = json
        .pointer("/result/resultCode")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let status_letter = json
        .pointer("/result/resultStatus")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let mut http_status = status;
    let mut sign = true;
    let mut answered_client = client.clone();
    let success = |json: &mut Value| {
        json["result"] =
            json!({"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "Success"});
        if let Some(id) = request_json.get("paymentId") {
            json["paymentId"] = id.clone();
        }
        if let Some(id) = request_json.get("paymentRequestId") {
            json["paymentRequestId"] = id.clone();
        }
        json["cancelTime"] = json!("2026-11-26T10:00:00+08:00");
    };
    let is_cancel = path.ends_with("/cancel");
    match proxy.defect {
        Defect::None
        | Defect::AcceptsBadSignatures
        | Defect::AcceptsOverlongIds
        | Defect::IgnoresPaymentIdPrecedence => {}
        Defect::CancelsRefunded if code == "PROCESS_FAIL" => success(&mut json),
        Defect::CancelsCaptured if code == "ORDER_STATUS_INVALID" => success(&mut json),
        Defect::CancelsPastWindow if code == "CANCEL_WINDOW_EXCEED" => success(&mut json),
        Defect::WrongStatusForCode if code == "PROCESS_FAIL" => {
            json["result"]["resultStatus"] = json!("U")
        }
        Defect::NoCancelTimeOnSuccess if status_letter == "S" => {
            if let Some(object) = json.as_object_mut() {
                object.remove("cancelTime");
            }
        }
        Defect::CancelTimeWithoutOffset => {
            if let Some(Value::String(time)) = json.get_mut("cancelTime") {
                time.truncate(19);
            }
        }
        Defect::RepeatChangesCancelTime if is_cancel && status_letter == "S" => {
            let mut count = proxy.successes.lock().expect("lock");
            *count += 1;
            json["cancelTime"] = json!(format!("2026-11-26T10:{:02}:00+08:00", *count % 60));
        }
        Defect::RepeatFails if is_cancel && status_letter == "S" => {
            let ids = ids_in(&request_json);
            let mut seen = proxy.cancelled.lock().expect("lock");
            if ids.iter().any(|id| seen.contains(id)) {
                json = json!({"result": {"resultCode": "ORDER_STATUS_INVALID", "resultStatus": "F", "resultMessage": "cancelled"}});
            }
            seen.extend(ids);
            if let (Some(a), Some(b)) = (json.get("paymentId"), json.get("paymentRequestId")) {
                seen.extend([a, b].iter().filter_map(|v| v.as_str().map(str::to_string)));
            }
        }
        Defect::HttpErrorForBusinessFailure if status_letter == "F" => {
            http_status = StatusCode::BAD_REQUEST
        }
        Defect::UnsignedAnswers => sign = false,
        Defect::SignsOtherBytes => {
            // Sign the compact form, send a pretty-printed one.
            let pretty = serde_json::to_vec_pretty(&json).unwrap_or_default();
            let compact = json.to_string().into_bytes();
            let mut response = signed_response(http_status, &path, &client, compact, true);
            *response.body_mut() = Body::from(pretty);
            return response;
        }
        Defect::UnknownNeverResolves if status_letter == "U" => {
            proxy
                .answered_unknown
                .lock()
                .expect("lock")
                .extend(ids_in(&request_json));
        }
        Defect::FlipsToSuccessAfterLateNotification => {
            let notified = proxy.notified.lock().expect("lock");
            let flipped = json.get("paymentStatus") == Some(&json!("CANCELLED"))
                && json
                    .get("paymentId")
                    .and_then(Value::as_str)
                    .is_some_and(|id| notified.contains(id));
            if flipped {
                json["paymentStatus"] = json!("SUCCESS");
            }
        }
        Defect::OmitsPaymentRequestId if status_letter == "S" => {
            if let Some(object) = json.as_object_mut() {
                object.remove("paymentRequestId");
            }
        }
        Defect::WrongClientIdHeader => answered_client = format!("{client}_X"),
        _ => {}
    }
    signed_response(
        http_status,
        &path,
        &answered_client,
        json.to_string().into_bytes(),
        sign,
    )
}

/// A body that fails at once, to cut a connection off mid-answer.
fn futures_error_stream()
-> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    futures_util::stream::once(async { Err(std::io::Error::other("cut off")) })
}

fn plain_response(status: StatusCode, headers: &HeaderMap, body: Bytes) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    if let Some(value) = headers.get("content-type") {
        response.headers_mut().insert("content-type", value.clone());
    }
    response
}

fn signed_response(
    status: StatusCode,
    path: &str,
    client: &str,
    body: Vec<u8>,
    sign: bool,
) -> Response {
    let time = "2026-11-26T10:00:00+08:00";
    let mut response = Response::new(Body::from(body.clone()));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        "content-type",
        HeaderValue::from_static("application/json; charset=UTF-8"),
    );
    if let Ok(value) = HeaderValue::from_str(client) {
        headers.insert(HeaderName::from_static("client-id"), value);
    }
    if sign {
        headers.insert(
            HeaderName::from_static("response-time"),
            HeaderValue::from_static(time),
        );
        if let Ok(signature) = sign_message(
            &test_keys::provider_signing(),
            "1",
            "POST",
            path,
            client,
            time,
            &body,
        ) && let Ok(value) = HeaderValue::from_str(&signature)
        {
            headers.insert(HeaderName::from_static("signature"), value);
        }
    }
    response
}

/// Starts the reference server and a proxy with `defect` in front of it,
/// runs every server case through the proxy, and returns the names of the
/// cases that did not pass.
async fn failing_cases(defect: Defect) -> Vec<String> {
    let server = server::start(
        ServerConfig::test_default(),
        std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        None,
    )
    .await
    .expect("reference server starts");
    let proxy = Arc::new(Proxy {
        defect,
        upstream: server.base_url.clone(),
        http: http::client(None).expect("http client"),
        answered_unknown: Mutex::default(),
        notified: Mutex::default(),
        cancelled: Mutex::default(),
        successes: Mutex::default(),
    });
    let app = Router::new().fallback(forward).with_state(proxy);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let catalog = Catalog::embedded().expect("catalog");
    let cases = load_cases(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("cases"),
        "server",
        &catalog,
    )
    .expect("cases load");
    // "Nothing fails" must not hold because nothing ran.
    assert!(cases.len() >= 50, "only {} server cases load", cases.len());
    let target = Arc::new(Target::with_test_identity(
        &format!("http://{address}"),
        DEFAULT_CLIENT_ID,
        OTHER_CLIENT_ID,
    ));
    let results = run_all(&cases, target, http::client(None).expect("http client")).await;
    drop(server);
    results
        .into_iter()
        .filter_map(|(name, outcome)| match outcome {
            Ok(libtest_mimic::Completion::Completed) => None,
            Ok(libtest_mimic::Completion::Ignored { reason }) => {
                Some(format!("{name}: ignored ({})", reason.unwrap_or_default()))
            }
            Err(failure) => Some(format!("{name}: {} {failure:?}", failure.kind())),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_faithful_proxy_passes_every_case() {
    let failing = failing_cases(Defect::None).await;
    assert!(
        failing.is_empty(),
        "a proxy that only forwards fails:\n{}",
        failing.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_defect_fails_at_least_one_case() {
    let mut uncaught = Vec::new();
    let mut report = String::new();
    for &defect in DEFECTS {
        let failing = failing_cases(defect).await;
        report.push_str(&format!("{defect:?}: {} failing\n", failing.len()));
        // Caught means the target was judged wrong: a mismatch, never a
        // case bug or a connection problem.
        if !failing.iter().any(|line| line.contains(": MISMATCH ")) {
            uncaught.push(defect);
        }
    }
    assert!(DEFECTS.len() >= 15, "the matrix holds at least 15 defects");
    assert!(
        uncaught.is_empty(),
        "defects no case catches: {uncaught:?}\n{report}"
    );
}

/// The null-means-absent cases fail a server that refuses null fields, and
/// for that reason: the answer's PARAM_ILLEGAL where SUCCESS was expected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_refusing_null_fields_fails_the_null_cases_for_that_reason() {
    let failing = failing_cases(Defect::RefusesNullFields).await;
    for case in [
        "server/ident/null-payment-id-is-absent",
        "server/ident/null-payment-request-id-is-absent",
        "server/fields/merchant-account-id-null-is-absent",
    ] {
        let line = failing
            .iter()
            .find(|line| line.starts_with(&format!("{case}: ")))
            .unwrap_or_else(|| panic!("{case} passes a null-refusing server:\n{failing:#?}"));
        assert!(line.contains(": MISMATCH "), "{line}");
        assert!(
            line.contains(r#"expected: "SUCCESS", actual: "PARAM_ILLEGAL""#),
            "{line}"
        );
    }
}
