//! The scripted provider the client tests talk to: it answers each cancel
//! request as the test scripted it (S, F, U, held, cut, unsigned, forged,
//! another HTTP status, about another payment) and records what it got.
//! The suite's scripted provider (`suite::client_half::scripted`) judges
//! clients through the adapter protocol and cannot script the answers
//! about another payment or the cut bodies these tests need.

use super::*;

/// What the scripted provider does with the next cancel request.
#[derive(Debug, Clone)]
pub(super) enum Step {
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
pub(super) trait Recorded {
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
pub(super) struct Provider {
    runtime: Option<tokio::runtime::Runtime>,
    script: Arc<Mutex<Script>>,
    pub(super) base_url: String,
}

impl Provider {
    pub(super) fn start(steps: Vec<Step>) -> Self {
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

    pub(super) fn requests(&self) -> Vec<SentRequest> {
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
