//! Runs one client case: starts the scripted provider and the adapter,
//! carries out the steps, and judges everything the client sent and
//! concluded (INTERPRETING.md §8, "What is judged").

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use libtest_mimic::Completion;
use serde_json::{Value, json};

use super::adapter::{Adapter, AdapterError};
use super::client_case::{
    ClientCase, ClientStep, GivenIds, Identity, Notification, NotificationSignature, Outcome,
};
use super::failure::{Diff, Failure, Transcript};
use super::http::{SentRequest, TransportError};
use super::scripted::{Script, Scripted};
use crate::server::{self, DEFAULT_CLIENT_ID, SANDBOX_CLIENT_ID, TlsSetup};
use crate::signing::{SigningKey, VerifyingKey, sign_message, test_keys, verify_message};
use crate::spec::api::{CANCEL_PATH, path_for_client};
use crate::spec::validate::{Message, validate};

/// How the client half is run.
#[derive(Clone)]
pub struct ClientRun {
    /// The adapter command, run through `sh -c`.
    pub adapter: String,
    /// Serve the scripted provider over HTTPS (clients that only speak TLS).
    pub tls: bool,
    /// How long the client waits for an answer (CC_TIMEOUT_MS).
    pub client_timeout: Duration,
    /// The most cancel requests a client may send for one cancel.
    pub max_attempts: u32,
    /// How long the adapter may take over one operation before it counts
    /// as hung; `None` allows for every attempt the client may make, plus
    /// time to start (see [`ClientRun::operation_deadline`]).
    pub adapter_deadline: Option<Duration>,
    /// Where to write the CA certificate for TLS runs.
    pub scratch_dir: std::path::PathBuf,
}

impl ClientRun {
    /// How long one adapter operation may take. Unless set, generous: a
    /// client may wait out several timeouts and back off between them, and
    /// an interpreter may take seconds to start and import its SDK.
    pub fn operation_deadline(&self) -> Duration {
        self.adapter_deadline.unwrap_or_else(|| {
            self.client_timeout * (self.max_attempts * 4 + 4) + Duration::from_secs(10)
        })
    }
}

/// A fresh pair of ids per case, so that no two cases share a payment.
fn fresh_ids() -> (String, String) {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    (
        format!("2026{stamp:012}{n:06}"),
        format!("ORDER-{stamp}-{n}"),
    )
}

/// Runs `case` with the client behind `run.adapter`.
pub async fn run_client_case(case: &ClientCase, run: &ClientRun) -> Result<Completion, Failure> {
    let (payment_id, payment_request_id) = fresh_ids();
    let client_id = match case.client {
        Identity::Production => DEFAULT_CLIENT_ID,
        Identity::Sandbox => SANDBOX_CLIENT_ID,
    };
    let provider_key = Arc::new(test_keys::provider_signing());
    let scripted = Scripted::new(Script {
        answers: case.answers.clone(),
        provider_key: provider_key.clone(),
        hold: run.client_timeout * 3,
        payment_id: payment_id.clone(),
        payment_request_id: payment_request_id.clone(),
        cancel_time: "2026-11-26T18:00:00+08:00".into(),
    });
    let tls = run.tls.then(TlsSetup::self_signed);
    let provider = server::serve_router(
        scripted.router(),
        Duration::from_secs(10),
        std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        tls,
    )
    .await
    .map_err(|err| setup_failure(format!("cannot start the scripted provider: {err}")))?;
    let mut base_url = provider.base_url.clone();
    let mut env = vec![
        ("CC_PROTOCOL".to_string(), "1".to_string()),
        ("CC_CLIENT_ID".to_string(), client_id.to_string()),
        (
            "CC_MERCHANT_PRIVATE_KEY".to_string(),
            test_keys::MERCHANT_PRIVATE.trim().to_string(),
        ),
        (
            "CC_PROVIDER_PUBLIC_KEY".to_string(),
            test_keys::PROVIDER_PUBLIC.trim().to_string(),
        ),
        (
            "CC_TIMEOUT_MS".to_string(),
            run.client_timeout.as_millis().to_string(),
        ),
        ("CC_MAX_ATTEMPTS".to_string(), run.max_attempts.to_string()),
    ];
    if let Some(pem) = &provider.ca_cert_pem {
        // Clients check the certificate against the name they dial, and the
        // certificate names `localhost`.
        base_url = format!("https://localhost:{}", provider.addr.port());
        let path = run
            .scratch_dir
            .join(format!("ca-{}.pem", provider.addr.port()));
        std::fs::write(&path, pem)
            .map_err(|err| setup_failure(format!("cannot write {}: {err}", path.display())))?;
        env.push(("CC_CA_CERT".to_string(), path.display().to_string()));
    }
    env.push(("CC_BASE_URL".to_string(), base_url));

    let mut adapter =
        Adapter::start(&run.adapter, &env).map_err(|err| adapter_failure(0, "start", err, ""))?;
    let judge = Judge {
        client_id,
        payment_id: &payment_id,
        payment_request_id: &payment_request_id,
        merchant_key: test_keys::merchant_verifying(),
        max_attempts: run.max_attempts,
    };
    let deadline = run.operation_deadline();
    let mut result = Ok(Completion::Completed);
    for (index, step) in case.steps.iter().enumerate() {
        let number = index + 1;
        let outcome = match &step.value {
            ClientStep::Cancel(cancel) => {
                let before = scripted.received().len();
                let mut request = json!({"op": "cancel"});
                if matches!(cancel.by, GivenIds::PaymentId | GivenIds::Both) {
                    request["paymentId"] = json!(payment_id);
                }
                if matches!(cancel.by, GivenIds::PaymentRequestId | GivenIds::Both) {
                    request["paymentRequestId"] = json!(payment_request_id);
                }
                call(&mut adapter, number, "cancel", request, deadline)
                    .await
                    .and_then(|answer| {
                        let sent: Vec<SentRequest> =
                            scripted.received().into_iter().skip(before).collect();
                        judge.cancel(number, cancel.by, &cancel.expect, &answer, &sent)
                    })
            }
            ClientStep::Notify(notify) => {
                let well_signed = notify.signature == NotificationSignature::Valid;
                let request =
                    notification(&provider_key, client_id, &judge, notify.event, well_signed);
                call(&mut adapter, number, "notify", request, deadline)
                    .await
                    .and_then(|answer| {
                        unsupported(number, "notify", &answer).and_then(|_| {
                            let want = notify.accepted.unwrap_or(well_signed);
                            let actual = answer.get("accepted").and_then(Value::as_bool);
                            if actual == Some(want) {
                                Ok(Completion::Completed)
                            } else {
                                let signed = if well_signed {
                                    "well-signed"
                                } else {
                                    "badly signed"
                                };
                                Err(mismatch(
                                    number,
                                    "notify",
                                    vec![Diff::new(
                                        format!("accepted (a {signed} notification)"),
                                        want.to_string(),
                                        actual.map_or("(absent)".to_string(), |a| a.to_string()),
                                    )],
                                    None,
                                ))
                            }
                        })
                    })
            }
            ClientStep::Status(status) => {
                let request = json!({
                    "op": "status",
                    "paymentId": payment_id,
                    "paymentRequestId": payment_request_id,
                });
                call(&mut adapter, number, "status", request, deadline)
                    .await
                    .and_then(|answer| {
                        unsupported(number, "status", &answer).and_then(|_| {
                            let actual = answer
                                .get("status")
                                .and_then(Value::as_str)
                                .unwrap_or("(absent)");
                            if actual == status.expect.as_str() {
                                Ok(Completion::Completed)
                            } else {
                                Err(mismatch(
                                    number,
                                    "status",
                                    vec![Diff::new(
                                        "the client's record",
                                        status.expect.as_str(),
                                        actual,
                                    )],
                                    None,
                                ))
                            }
                        })
                    })
            }
        };
        if let Err(failure) = outcome {
            result = Err(failure);
            break;
        }
    }
    adapter.finish().await;
    drop(provider);
    result
}

fn setup_failure(detail: String) -> Failure {
    Failure::Transport {
        step: 0,
        action: "set up".into(),
        error: TransportError::Request { detail },
        request: None,
    }
}

/// Sends one operation; an adapter that crashes, hangs or answers garbage
/// is the step's TRANSPORT FAILURE, with its stderr.
async fn call(
    adapter: &mut Adapter,
    step: usize,
    op: &str,
    request: Value,
    deadline: Duration,
) -> Result<Value, Failure> {
    match adapter.call(request, deadline).await {
        Ok(answer) => Ok(answer),
        Err(err) => Err(adapter_failure(step, op, err, &adapter.stderr_tail())),
    }
}

fn adapter_failure(step: usize, action: &str, error: AdapterError, stderr: &str) -> Failure {
    let stderr = stderr.trim();
    let detail = if stderr.is_empty() {
        format!("{error} (its stderr is empty)")
    } else {
        format!(
            "{error}\n    adapter stderr:\n      {}",
            stderr.replace('\n', "\n      ")
        )
    };
    Failure::Transport {
        step,
        action: format!("adapter: {action}"),
        error: TransportError::Adapter { detail },
        request: None,
    }
}

fn mismatch(step: usize, action: &str, diffs: Vec<Diff>, request: Option<SentRequest>) -> Failure {
    Failure::Mismatch {
        step,
        action: action.to_string(),
        diffs,
        transcript: request.map(|request| {
            Box::new(Transcript {
                request,
                response: None,
            })
        }),
    }
}

/// An adapter answer carrying `error` fails the case with its message.
fn unsupported(step: usize, action: &str, answer: &Value) -> Result<Completion, Failure> {
    match answer.get("error") {
        Some(error) => Err(mismatch(
            step,
            action,
            vec![Diff::new(
                "adapter answer",
                format!("the `{action}` operation carried out"),
                format!("error: {error}"),
            )],
            None,
        )),
        None => Ok(Completion::Completed),
    }
}

/// A payment-success notification as the provider sends it to a merchant.
fn notification(
    key: &SigningKey,
    client_id: &str,
    judge: &Judge<'_>,
    event: Notification,
    well_signed: bool,
) -> Value {
    let Notification::PaymentSuccess = event;
    let body = json!({
        "notifyType": "PAYMENT_RESULT",
        "result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success"},
        "paymentId": judge.payment_id,
        "paymentRequestId": judge.payment_request_id,
        "paymentAmount": {"currency": "USD", "value": "1000"},
        "paymentTime": "2026-11-26T18:05:00+08:00"
    })
    .to_string();
    let path = "/notify/payment";
    let time = "2026-11-26T18:05:01+08:00";
    let mut signed_bytes = body.clone().into_bytes();
    if !well_signed {
        signed_bytes.extend_from_slice(b" ");
    }
    let signature =
        sign_message(key, "1", "POST", path, client_id, time, &signed_bytes).unwrap_or_default();
    json!({
        "op": "notify",
        "path": path,
        "headers": {"client-id": client_id, "request-time": time, "signature": signature},
        "body": body,
    })
}

/// What every cancel of one case is judged against.
struct Judge<'a> {
    client_id: &'a str,
    payment_id: &'a str,
    payment_request_id: &'a str,
    merchant_key: VerifyingKey,
    max_attempts: u32,
}

impl Judge<'_> {
    fn cancel(
        &self,
        step: usize,
        by: GivenIds,
        expect: &super::client_case::ClientExpect,
        answer: &Value,
        sent: &[SentRequest],
    ) -> Result<Completion, Failure> {
        unsupported(step, "cancel", answer)?;
        // What the client sent comes first: a wrong request explains a
        // wrong conclusion better than the other way round.
        let mut first_ids: Option<(Option<String>, Option<String>)> = None;
        for (index, request) in sent.iter().enumerate() {
            let mut diffs = self.request_diffs(by, request);
            let ids = ids_of(request);
            match &first_ids {
                None => first_ids = Some(ids),
                Some(first) if *first != ids => diffs.push(Diff::new(
                    "identifiers on retry",
                    format!("the same as the first attempt: {}", show_ids(first)),
                    show_ids(&ids),
                )),
                Some(_) => {}
            }
            if !diffs.is_empty() {
                return Err(mismatch(
                    step,
                    &format!("cancel (request {} of {})", index + 1, sent.len()),
                    diffs,
                    Some(request.clone()),
                ));
            }
        }
        let mut diffs = Vec::new();
        let attempts = u32::try_from(sent.len()).unwrap_or(u32::MAX);
        if attempts > self.max_attempts {
            diffs.push(Diff::new(
                "cancel requests sent",
                format!("at most {} (CC_MAX_ATTEMPTS)", self.max_attempts),
                attempts.to_string(),
            ));
        }
        if let Some(want) = expect.attempts
            && want != attempts
        {
            diffs.push(Diff::new(
                "cancel requests sent",
                want.to_string(),
                attempts.to_string(),
            ));
        }
        if let Some(least) = expect.min_attempts
            && attempts < least
        {
            diffs.push(Diff::new(
                "cancel requests sent",
                format!("at least {least}"),
                attempts.to_string(),
            ));
        }
        let outcome = answer
            .get("outcome")
            .and_then(Value::as_str)
            .unwrap_or("(absent)");
        if outcome != expect.outcome.as_str() {
            diffs.push(Diff::new(
                "the client's conclusion",
                expect.outcome.as_str(),
                outcome,
            ));
        }
        if let Some(code) = &expect.result_code {
            let actual = answer
                .get("resultCode")
                .and_then(Value::as_str)
                .unwrap_or("(absent)");
            if actual != code {
                diffs.push(Diff::new("the reported resultCode", code.clone(), actual));
            }
        }
        if expect.outcome == Outcome::Cancelled && sent.is_empty() {
            diffs.push(Diff::new("cancel requests sent", "at least 1", "0"));
        }
        if diffs.is_empty() {
            Ok(Completion::Completed)
        } else {
            Err(mismatch(step, "cancel", diffs, sent.last().cloned()))
        }
    }

    /// Everything wrong with one request the client sent.
    fn request_diffs(&self, by: GivenIds, request: &SentRequest) -> Vec<Diff> {
        let mut diffs = Vec::new();
        let header = |name: &str| {
            request
                .headers
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.as_str())
        };
        if request.method != "POST" {
            diffs.push(Diff::new("method", "POST", request.method.clone()));
        }
        let path = path_for_client(self.client_id, CANCEL_PATH);
        if request.path != path {
            diffs.push(Diff::new(
                "path",
                format!("{path} (the path for client id {})", self.client_id),
                request.path.clone(),
            ));
        }
        if header("client-id") != Some(self.client_id) {
            diffs.push(Diff::new(
                "header Client-Id",
                self.client_id,
                header("client-id").unwrap_or("(absent)"),
            ));
        }
        let time = header("request-time").unwrap_or("");
        if time.is_empty() {
            diffs.push(Diff::new("header Request-Time", "present", "(absent)"));
        }
        let content_type = header("content-type").unwrap_or("(absent)");
        if !content_type
            .to_ascii_lowercase()
            .starts_with("application/json")
        {
            diffs.push(Diff::new(
                "header Content-Type",
                "application/json; charset=UTF-8",
                content_type,
            ));
        }
        match header("signature") {
            None => diffs.push(Diff::new("header Signature", "present", "(absent)")),
            Some(value) => {
                if let Err(err) = verify_message(
                    &self.merchant_key,
                    value,
                    "POST",
                    &request.path,
                    header("client-id").unwrap_or(""),
                    time,
                    &request.body,
                ) {
                    diffs.push(Diff::new(
                        "header Signature",
                        "verifies with the merchant key over the exact body bytes sent",
                        format!("does not verify: {err}"),
                    ));
                }
            }
        }
        match serde_json::from_slice::<Value>(&request.body) {
            Err(err) => diffs.push(Diff::new(
                "body",
                "a JSON cancel request",
                format!("not JSON: {err}"),
            )),
            Ok(json) => {
                for violation in validate(Message::CancelRequest, &json) {
                    diffs.push(Diff::new(
                        format!(
                            "body {} (schema {})",
                            show_path(&violation.instance_path),
                            violation.schema_path
                        ),
                        "valid per the cancel request schema",
                        violation.message,
                    ));
                }
                let named = |key: &str, want: &str| {
                    json.get(key)
                        .and_then(Value::as_str)
                        .is_none_or(|id| id == want)
                };
                let wanted = match by {
                    GivenIds::PaymentId => json.get("paymentId").is_some(),
                    GivenIds::PaymentRequestId => json.get("paymentRequestId").is_some(),
                    GivenIds::Both => {
                        json.get("paymentId").is_some() || json.get("paymentRequestId").is_some()
                    }
                };
                if !wanted
                    || !named("paymentId", self.payment_id)
                    || !named("paymentRequestId", self.payment_request_id)
                {
                    diffs.push(Diff::new(
                        "identifiers",
                        format!(
                            "the payment the client was asked to cancel: {}",
                            show_ids(&(
                                Some(self.payment_id.to_string()),
                                Some(self.payment_request_id.to_string())
                            ))
                        ),
                        show_ids(&ids_of(request)),
                    ));
                }
            }
        }
        diffs
    }
}

fn show_path(pointer: &str) -> &str {
    if pointer.is_empty() { "/" } else { pointer }
}

fn ids_of(request: &SentRequest) -> (Option<String>, Option<String>) {
    let json: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
    let id = |key: &str| json.get(key).and_then(Value::as_str).map(str::to_string);
    (id("paymentId"), id("paymentRequestId"))
}

fn show_ids(ids: &(Option<String>, Option<String>)) -> String {
    format!(
        "paymentId {}, paymentRequestId {}",
        ids.0.as_deref().unwrap_or("(absent)"),
        ids.1.as_deref().unwrap_or("(absent)")
    )
}
