//! The scripted provider of the client half: answers each cancel request
//! with the case's next scripted answer, signs its answers as the provider
//! does, and records every request exactly as it arrived so that the
//! checks can judge what the client sent.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use super::client_case::Answer;
use super::http::SentRequest;
use crate::signing::{SigningKey, sign_message};

/// The most of a request body the scripted provider reads.
const MAX_REQUEST_BYTES: usize = 1024 * 1024;

/// What the scripted provider is told for one case.
pub struct Script {
    pub answers: Vec<Answer>,
    pub provider_key: Arc<SigningKey>,
    /// How long a `timeout` answer is held: longer than the client waits.
    pub hold: Duration,
    /// The payment's ids, for answers to requests that name only one.
    pub payment_id: String,
    pub payment_request_id: String,
    /// The cancelTime every S answer reports.
    pub cancel_time: String,
}

/// The scripted provider's state: the script and what it received.
pub struct Scripted {
    script: Script,
    received: Mutex<Vec<SentRequest>>,
    cancels: Mutex<usize>,
}

impl Scripted {
    pub fn new(script: Script) -> Arc<Scripted> {
        Arc::new(Scripted {
            script,
            received: Mutex::new(Vec::new()),
            cancels: Mutex::new(0),
        })
    }

    /// Every request received so far, in order.
    pub fn received(&self) -> Vec<SentRequest> {
        self.received.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// The router that plays the provider.
    pub fn router(self: &Arc<Self>) -> Router {
        Router::new().fallback(answer).with_state(self.clone())
    }

    fn next_answer(&self) -> Answer {
        let mut count = self
            .cancels
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let index = (*count).min(self.script.answers.len().saturating_sub(1));
        *count += 1;
        self.script
            .answers
            .get(index)
            .cloned()
            .unwrap_or(Answer::Success)
    }
}

/// Answers one request: records it, then plays the next scripted answer.
async fn answer(State(scripted): State<Arc<Scripted>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_string();
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = to_bytes(body, MAX_REQUEST_BYTES)
        .await
        .unwrap_or_default()
        .to_vec();
    let client_id = headers
        .iter()
        .find(|(name, _)| name == "client-id")
        .map(|(_, value)| value.clone())
        .unwrap_or_default();
    let request_json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if let Ok(mut received) = scripted.received.lock() {
        received.push(SentRequest {
            method: parts.method.as_str().to_string(),
            path: path.clone(),
            headers,
            body,
        });
    }
    let script = &scripted.script;
    let success = || {
        let id = |key: &str, fallback: &str| {
            request_json
                .get(key)
                .and_then(Value::as_str)
                .unwrap_or(fallback)
                .to_string()
        };
        json!({
            "result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "Success"},
            "paymentId": id("paymentId", &script.payment_id),
            "paymentRequestId": id("paymentRequestId", &script.payment_request_id),
            "cancelTime": script.cancel_time,
        })
    };
    let result = |code: &str, status: &str| json!({"result": {"resultCode": code, "resultStatus": status, "resultMessage": code}});
    let (body, signing) = match scripted.next_answer() {
        Answer::Success => (success(), Signing::Good),
        Answer::Unknown(code) => (result(&code, "U"), Signing::Good),
        Answer::Fail(code) => (result(&code, "F"), Signing::Good),
        Answer::Timeout => {
            tokio::time::sleep(script.hold).await;
            (result("SYSTEM_ERROR", "U"), Signing::Good)
        }
        Answer::Unsigned => (success(), Signing::None),
        Answer::BadSignature => (success(), Signing::OverOtherBytes),
    };
    let bytes = body.to_string().into_bytes();
    signed(&script.provider_key, &path, &client_id, bytes, signing)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Signing {
    Good,
    None,
    OverOtherBytes,
}

fn signed(
    key: &SigningKey,
    path: &str,
    client_id: &str,
    body: Vec<u8>,
    signing: Signing,
) -> Response {
    let time = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let signed_bytes = match signing {
        Signing::OverOtherBytes => {
            let mut other = body.clone();
            other.extend_from_slice(b" ");
            other
        }
        _ => body.clone(),
    };
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(
        "content-type",
        HeaderValue::from_static("application/json; charset=UTF-8"),
    );
    if let Ok(value) = HeaderValue::from_str(client_id) {
        headers.insert("client-id", value);
    }
    if signing != Signing::None {
        let signature = sign_message(key, "1", "POST", path, client_id, &time, &signed_bytes);
        if let (Ok(signature), Ok(time)) = (signature, HeaderValue::from_str(&time))
            && let Ok(value) = HeaderValue::from_str(&signature)
        {
            headers.insert("signature", value);
            headers.insert("response-time", time);
        }
    }
    response
}
