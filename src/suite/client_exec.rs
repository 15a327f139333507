//! Runs one client case: starts the scripted provider and the adapter,
//! carries out the steps, and judges everything the client sent, when it
//! sent it, and what it concluded (INTERPRETING.md §8, "What is judged").
//! Every mismatch names the rule it breaks.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use libtest_mimic::Completion;
use serde_json::{Value, json};

use super::adapter::{Adapter, AdapterError};
use super::client_case::{
    AnswerSignature, Certificate, ClientCase, ClientExpect, ClientStep, GivenIds, HeaderStyle,
    Identity, Notification, Outcome,
};
use super::failure::{Diff, Failure, Transcript};
use super::http::{SentRequest, TransportError};
use super::scripted::{Arrival, Script, Scripted, Signer, serve};
use crate::server::{DEFAULT_CLIENT_ID, SANDBOX_CLIENT_ID};
use crate::signing::{SignatureHeader, SigningKey, VerifyingKey, test_keys, verify_parsed};
use crate::spec::api::{CANCEL_PATH, path_for_client};
use crate::spec::validate::{Message, validate};

/// The adapter protocol version this runner speaks (INTERPRETING.md §8).
pub const PROTOCOL_VERSION: &str = "2";

/// Slack on top of what a client that keeps its timeout may take
/// (`CC_TIMEOUT_MS` waiting, at most `CC_TIMEOUT_MS` pausing): process
/// scheduling on a busy machine, an interpreter's garbage collector.
const TIMING_SLACK: Duration = Duration::from_millis(400);

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

    /// The longest a client that keeps its timeout takes between a request
    /// whose answer is held and its next move (its next request, or its
    /// conclusion): the timeout, a pause of at most the timeout, slack.
    pub fn patience(&self) -> Duration {
        self.client_timeout * 2 + TIMING_SLACK
    }

    /// How long a held answer is held: past [`ClientRun::patience`], so
    /// that a client that gets it has waited too long, provably.
    pub fn hold(&self) -> Duration {
        self.patience() + self.client_timeout.max(Duration::from_millis(200))
    }
}

/// A fresh pair of ids per case, so that no two cases share a payment,
/// and a cancelTime of its own.
fn fresh_ids() -> (String, String, String) {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    (
        format!("2026{stamp:012}{n:06}"),
        format!("ORDER-{stamp}-{n}"),
        format!("2026-11-26T18:{:02}:{:02}+08:00", (n / 60) % 60, n % 60),
    )
}

/// A certificate for `hosts`, signed by itself: its PEM, and the server
/// configuration that presents it.
fn certificate(hosts: &[&str]) -> Result<(String, Arc<rustls::ServerConfig>), String> {
    use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
    let hosts: Vec<String> = hosts.iter().map(|host| host.to_string()).collect();
    let certified = rcgen::generate_simple_self_signed(hosts).map_err(|err| err.to_string())?;
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let provider = Arc::new(crate::signing::tls_crypto_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|err| err.to_string())?
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key)
        .map_err(|err| err.to_string())?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok((certified.cert.pem(), Arc::new(config)))
}

/// What the provider's TLS looks like for a case: the server
/// configuration, and the certificate the client is told to trust.
type TlsPlan = Option<(Arc<rustls::ServerConfig>, String)>;

fn tls_plan(case: &ClientCase, run: &ClientRun) -> Result<TlsPlan, String> {
    const RIGHT: [&str; 2] = ["localhost", "127.0.0.1"];
    Ok(match case.certificate {
        Certificate::Trusted if !run.tls => None,
        Certificate::Trusted => {
            let (pem, config) = certificate(&RIGHT)?;
            Some((config, pem))
        }
        Certificate::UntrustedCa => {
            let (_, config) = certificate(&RIGHT)?;
            let (other_pem, _) = certificate(&RIGHT)?;
            Some((config, other_pem))
        }
        Certificate::WrongHostName => {
            let (pem, config) = certificate(&["wrong-host.invalid"])?;
            Some((config, pem))
        }
    })
}

/// Runs `case` with the client behind `run.adapter`.
pub async fn run_client_case(case: &ClientCase, run: &ClientRun) -> Result<Completion, Failure> {
    let needed = case.attempts_needed();
    if run.max_attempts < needed {
        return Ok(Completion::Ignored {
            reason: Some(format!(
                "needs a client allowed {needed} attempts per cancel, but --max-attempts is {}",
                run.max_attempts
            )),
        });
    }
    // The case may allow fewer attempts than the run; never more.
    let max_attempts = case
        .max_attempts
        .map_or(run.max_attempts, |fewer| fewer.min(run.max_attempts));
    let (payment_id, payment_request_id, cancel_time) = fresh_ids();
    let client_id = match case.client {
        Identity::Production => DEFAULT_CLIENT_ID,
        Identity::Sandbox => SANDBOX_CLIENT_ID,
    };
    let provider_key = Arc::new(test_keys::provider_signing());
    let merchant_key = Arc::new(test_keys::merchant_signing());
    let scripted = Scripted::new(Script {
        answers: case.answers.clone(),
        provider_key: provider_key.clone(),
        merchant_key: merchant_key.clone(),
        client_id: client_id.to_string(),
        hold: run.hold(),
        payment_id: payment_id.clone(),
        payment_request_id: payment_request_id.clone(),
        cancel_time: cancel_time.clone(),
    });
    let tls = tls_plan(case, run)
        .map_err(|err| setup_failure(format!("cannot make a TLS certificate: {err}")))?;
    let provider = serve(
        scripted.router(),
        tls.as_ref().map(|(config, _)| config.clone()),
        scripted.title_case(),
    )
    .await
    .map_err(|err| setup_failure(format!("cannot start the scripted provider: {err}")))?;
    let mut base_url = format!("http://{}", provider.addr);
    let mut env = vec![
        ("CC_PROTOCOL".to_string(), PROTOCOL_VERSION.to_string()),
        ("CC_CLIENT_ID".to_string(), client_id.to_string()),
        (
            "CC_MERCHANT_PRIVATE_KEY".to_string(),
            test_keys::MERCHANT_PRIVATE.trim().to_string(),
        ),
        ("CC_KEY_VERSION".to_string(), case.key_version.clone()),
        (
            "CC_PROVIDER_PUBLIC_KEY".to_string(),
            test_keys::PROVIDER_PUBLIC.trim().to_string(),
        ),
        (
            "CC_TIMEOUT_MS".to_string(),
            run.client_timeout.as_millis().to_string(),
        ),
        ("CC_MAX_ATTEMPTS".to_string(), max_attempts.to_string()),
    ];
    if let Some((_, pem)) = &tls {
        // Clients check the certificate against the name they dial, and the
        // trusted certificate names `localhost`.
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
        key_version: &case.key_version,
        payment_id: &payment_id,
        payment_request_id: &payment_request_id,
        cancel_time: &cancel_time,
        merchant_key: test_keys::merchant_verifying(),
        max_attempts,
        run,
    };
    let deadline = run.operation_deadline();
    let mut result = Ok(Completion::Completed);
    // Requests judged so far, and when the last cancel was concluded.
    let mut judged = 0usize;
    let mut concluded: Option<(usize, Instant)> = None;
    for (index, step) in case.steps.iter().enumerate() {
        let number = index + 1;
        if let Err(failure) =
            judge.nothing_after_conclusion(concluded, &scripted.received(), judged)
        {
            result = Err(failure);
            break;
        }
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
                let answer = call(&mut adapter, number, "cancel", request, deadline).await;
                let answered = Instant::now();
                let arrivals: Vec<Arrival> = scripted.received().into_iter().skip(before).collect();
                judged = before + arrivals.len();
                concluded = Some((number, answered));
                answer.and_then(|answer| {
                    judge.cancel(
                        number,
                        cancel.by,
                        &cancel.expect,
                        &answer,
                        &arrivals,
                        answered,
                    )
                })
            }
            ClientStep::Notify(notify) => {
                let request = notification(
                    &provider_key,
                    &merchant_key,
                    client_id,
                    &judge,
                    notify.event,
                    notify.signature,
                    notify.header,
                );
                call(&mut adapter, number, "notify", request, deadline)
                    .await
                    .and_then(|answer| {
                        unsupported(number, "notify", &answer).and_then(|_| {
                            let valid = notify.signature == AnswerSignature::Valid;
                            let want = notify.accepted.unwrap_or(valid);
                            let actual = answer.get("accepted").and_then(Value::as_bool);
                            if actual == Some(want) {
                                Ok(Completion::Completed)
                            } else {
                                Err(mismatch(
                                    number,
                                    "notify",
                                    vec![Diff::new(
                                        format!(
                                            "accepted, for a notification signed `{}` with headers `{}` [{}]",
                                            kebab(&notify.signature),
                                            kebab(&notify.header),
                                            if valid {
                                                "sign.header-format"
                                            } else {
                                                "sign.client-verifies-notification"
                                            }
                                        ),
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
                                        "the client's record of the payment [state.client-order-record]",
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
    if result.is_ok() && concluded.is_some() {
        // A client that goes on retrying after it reported shows itself
        // within one timeout and pause.
        if case_retries(case) {
            tokio::time::sleep(run.client_timeout).await;
        }
        if let Err(failure) =
            judge.nothing_after_conclusion(concluded, &scripted.received(), judged)
        {
            result = Err(failure);
        }
    }
    adapter.finish().await;
    drop(provider);
    result
}

/// Whether a client may be tempted to send more requests after its
/// conclusion: its last cancel ends unknown (every attempt U or no
/// answer), so a client that reports early and goes on retrying in the
/// background would.
fn case_retries(case: &ClientCase) -> bool {
    case.steps
        .iter()
        .rev()
        .find_map(|step| match &step.value {
            ClientStep::Cancel(cancel) => Some(cancel.expect.outcome.allows("unknown")),
            _ => None,
        })
        .unwrap_or(false)
}

/// How long a case may keep the client waiting on purpose: cases that
/// hold answers or retry run first, so that their waits overlap the rest.
pub fn waits(case: &ClientCase) -> bool {
    case.answers.iter().any(|answer| {
        let answer = answer.spelled_out();
        answer.held || answer.never || answer.status == super::client_case::Status::U
    })
}

/// A case-file value as spelled in the file.
fn kebab<T: std::fmt::Debug>(value: &T) -> String {
    let debug = format!("{value:?}");
    let mut out = String::new();
    for (index, c) in debug.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if index > 0 {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
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

/// A payment-success notification as the provider sends it to a merchant,
/// signed and spelled as the step asks.
fn notification(
    key: &SigningKey,
    merchant_key: &SigningKey,
    client_id: &str,
    judge: &Judge<'_>,
    event: Notification,
    signing: AnswerSignature,
    style: HeaderStyle,
) -> Value {
    let Notification::PaymentSuccess = event;
    let body = json!({
        "notifyType": "PAYMENT_RESULT",
        "result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success"},
        "paymentRequestId": judge.payment_request_id,
        "paymentId": judge.payment_id,
        "paymentAmount": {"currency": "USD", "value": "1000"},
        "paymentCreateTime": "2026-11-26T18:04:00+08:00",
        "paymentTime": "2026-11-26T18:05:00+08:00"
    })
    .to_string();
    let path = "/notify/payment";
    let signer = Signer {
        provider_key: key,
        merchant_key,
        client_id,
        time_header: "request-time",
    };
    let headers: serde_json::Map<String, Value> = signer
        .headers(path, body.as_bytes(), signing, style)
        .into_iter()
        .map(|(name, value)| (name, Value::String(value)))
        .collect();
    json!({
        "op": "notify",
        "path": path,
        "headers": headers,
        "body": body,
    })
}

/// What every cancel of one case is judged against.
struct Judge<'a> {
    client_id: &'a str,
    key_version: &'a str,
    payment_id: &'a str,
    payment_request_id: &'a str,
    cancel_time: &'a str,
    merchant_key: VerifyingKey,
    /// `CC_MAX_ATTEMPTS` as this case gave it.
    max_attempts: u32,
    run: &'a ClientRun,
}

impl Judge<'_> {
    /// No cancel request may arrive after the client reported the
    /// conclusion of its cancel (and before it is asked to cancel again).
    fn nothing_after_conclusion(
        &self,
        concluded: Option<(usize, Instant)>,
        received: &[Arrival],
        judged: usize,
    ) -> Result<(), Failure> {
        let Some((step, _)) = concluded else {
            return Ok(());
        };
        match received.get(judged) {
            None => Ok(()),
            Some(late) => Err(mismatch(
                step,
                "cancel",
                vec![Diff::new(
                    "cancel requests after the client reported its conclusion [retry.client-attempts-bounded]",
                    "none: a cancel ends when its outcome is reported",
                    format!("{} more", received.len() - judged),
                )],
                Some(late.request.clone()),
            )),
        }
    }

    fn cancel(
        &self,
        step: usize,
        by: GivenIds,
        expect: &ClientExpect,
        answer: &Value,
        sent: &[Arrival],
        answered: Instant,
    ) -> Result<Completion, Failure> {
        unsupported(step, "cancel", answer)?;
        // What the client sent comes first: a wrong request explains a
        // wrong conclusion better than the other way round.
        let mut first_ids: Option<(Option<String>, Option<String>)> = None;
        for (index, arrival) in sent.iter().enumerate() {
            let request = &arrival.request;
            let mut diffs = self.request_diffs(by, request);
            let ids = ids_of(request);
            match &first_ids {
                None => first_ids = Some(ids),
                Some(first) if *first != ids => diffs.push(Diff::new(
                    "identifiers on retry [retry.client-u-same-id, retry.client-timeout-same-id]",
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
        let max = self.max_attempts;
        if attempts > max {
            diffs.push(Diff::new(
                "cancel requests sent [retry.client-attempts-bounded]",
                format!("at most {max} (CC_MAX_ATTEMPTS)"),
                attempts.to_string(),
            ));
        }
        if expect.attempts == Some(0) && attempts > 0 {
            diffs.push(Diff::new(
                "cancel requests that reached a provider whose certificate the client cannot trust [tls.client-verifies-certificate]",
                "0: the client refuses the TLS handshake and never sends the body",
                attempts.to_string(),
            ));
        } else if let Some(want) = expect.attempts
            && want != attempts
        {
            diffs.push(Diff::new(
                format!("cancel requests sent [{}]", attempts_rule(want, attempts)),
                want.to_string(),
                attempts.to_string(),
            ));
        }
        if expect.all_attempts && attempts < max {
            diffs.push(Diff::new(
                "cancel requests sent [retry.client-attempts-bounded, retry.client-u-same-id, retry.client-timeout-same-id]",
                format!("{max} (CC_MAX_ATTEMPTS): no answer settled the cancel, so every attempt is used"),
                attempts.to_string(),
            ));
        }
        if let Some(least) = expect.min_attempts
            && attempts < least
        {
            diffs.push(Diff::new(
                "cancel requests sent [retry.client-u-same-id, retry.client-timeout-same-id]",
                format!("at least {least}: U answers and timeouts are retried"),
                attempts.to_string(),
            ));
        }
        diffs.extend(self.timing_diffs(sent, answered));
        let outcome = answer
            .get("outcome")
            .and_then(Value::as_str)
            .unwrap_or("(absent)");
        if !expect.outcome.allows(outcome) {
            diffs.push(Diff::new(
                "the client's conclusion [result.status-meaning, sign.client-verifies-response]",
                expect.outcome.show(),
                outcome,
            ));
        }
        if let Some(code) = &expect.result_code {
            let actual = answer
                .get("resultCode")
                .and_then(Value::as_str)
                .unwrap_or("(absent)");
            if actual != code {
                diffs.push(Diff::new(
                    "the reported resultCode [result.client-reports-answer]",
                    code.clone(),
                    actual,
                ));
            }
        }
        if expect.outcome.is(Outcome::Cancelled) && outcome == "cancelled" {
            let actual = answer.get("cancelTime").and_then(Value::as_str);
            if !same_instant(actual, self.cancel_time) {
                diffs.push(Diff::new(
                    "the reported cancelTime [result.client-reports-answer]",
                    format!("the S answer's cancelTime, {}", self.cancel_time),
                    actual.unwrap_or("(absent)"),
                ));
            }
        }
        if diffs.is_empty() {
            Ok(Completion::Completed)
        } else {
            Err(mismatch(
                step,
                "cancel",
                diffs,
                sent.last().map(|arrival| arrival.request.clone()),
            ))
        }
    }

    /// A client that waited for a held answer longer than its timeout
    /// (plus a pause of at most the timeout) did not keep its timeout.
    fn timing_diffs(&self, sent: &[Arrival], answered: Instant) -> Vec<Diff> {
        let patience = self.run.patience();
        let timeout = self.run.client_timeout.as_millis();
        let mut diffs = Vec::new();
        for (index, arrival) in sent.iter().enumerate() {
            // An answer that came at once: the next request may follow only
            // after a pause of at most the timeout (the answer itself took
            // no time worth counting); a held one also allows the wait.
            let (next, what) = match sent.get(index + 1) {
                Some(next) => (next.at, "its next request"),
                None if arrival.held => (answered, "its conclusion"),
                None => continue,
            };
            let waited = next.saturating_duration_since(arrival.at);
            if waited > patience {
                diffs.push(Diff::new(
                    format!(
                        "time from request {} ({}) to {what} [retry.client-timeout-bounded]",
                        index + 1,
                        if arrival.held {
                            "its answer held"
                        } else {
                            "answered at once"
                        }
                    ),
                    format!(
                        "at most {} ms: CC_TIMEOUT_MS is {timeout} ms, a pause at most as long, and {} ms of slack",
                        patience.as_millis(),
                        TIMING_SLACK.as_millis()
                    ),
                    format!("{} ms", waited.as_millis()),
                ));
                break;
            }
        }
        diffs
    }

    /// Everything wrong with one request the client sent, each naming the
    /// rule it breaks.
    fn request_diffs(&self, by: GivenIds, request: &SentRequest) -> Vec<Diff> {
        let mut diffs = Vec::new();
        let header = |name: &str| {
            let mut found = request.headers.iter().filter(|(key, _)| key == name);
            match (found.next(), found.next()) {
                (Some((_, value)), None) => Ok(Some(value.as_str())),
                (None, _) => Ok(None),
                (Some(_), Some(_)) => Err(()),
            }
        };
        for name in ["content-type", "client-id", "request-time", "signature"] {
            if header(name).is_err() {
                diffs.push(Diff::new(
                    format!("header {name} [sign.request-headers]"),
                    "sent once",
                    "sent more than once",
                ));
            }
        }
        let header = |name: &str| header(name).ok().flatten();
        if request.method != "POST" {
            diffs.push(Diff::new(
                "method [path.production]",
                "POST",
                request.method.clone(),
            ));
        }
        let path = path_for_client(self.client_id, CANCEL_PATH);
        if request.path != path {
            let rule = if path == CANCEL_PATH {
                "path.production"
            } else {
                "path.sandbox-client"
            };
            diffs.push(Diff::new(
                format!("path [{rule}]"),
                format!("{path} (the path for client id {})", self.client_id),
                request.path.clone(),
            ));
        }
        if header("client-id") != Some(self.client_id) {
            diffs.push(Diff::new(
                "header Client-Id [sign.request-headers]",
                format!("{} (CC_CLIENT_ID)", self.client_id),
                header("client-id").unwrap_or("(absent)"),
            ));
        }
        let time = header("request-time").unwrap_or("");
        if time.trim().is_empty() {
            diffs.push(Diff::new(
                "header Request-Time [sign.request-headers]",
                "present, the time the request was signed",
                "(absent or empty)",
            ));
        }
        let content_type = header("content-type");
        if let Err(why) = content_type.map_or(Err("absent".to_string()), json_utf8) {
            diffs.push(Diff::new(
                "header Content-Type [sign.request-headers]",
                "application/json; charset=UTF-8 (media type application/json; a charset, if given, UTF-8)",
                format!("{} ({why})", content_type.unwrap_or("(absent)")),
            ));
        }
        match header("signature") {
            None => diffs.push(Diff::new(
                "header Signature [sign.request-signature]",
                "present",
                "(absent)",
            )),
            Some(value) => match SignatureHeader::parse_emitted(value) {
                Err(err) => diffs.push(Diff::new(
                    "header Signature [sign.header-format]",
                    "algorithm=RSA256,keyVersion=<CC_KEY_VERSION>,signature=<base64, URL-encoded>",
                    err.to_string(),
                )),
                Ok(parsed) => {
                    if parsed.key_version.as_deref() != Some(self.key_version) {
                        diffs.push(Diff::new(
                            "header Signature, keyVersion [sign.header-format]",
                            format!("{} (CC_KEY_VERSION)", self.key_version),
                            parsed.key_version.clone().unwrap_or_default(),
                        ));
                    }
                    if let Err(err) = verify_parsed(
                        &self.merchant_key,
                        &parsed,
                        "POST",
                        &request.path,
                        header("client-id").unwrap_or(""),
                        time,
                        &request.body,
                    ) {
                        diffs.push(Diff::new(
                            "header Signature [sign.client-signs-sent-bytes, sign.request-signature]",
                            "verifies with the merchant key over `POST <path>\\n<client-id>.<request-time>.<the exact body bytes sent>`",
                            format!("does not verify: {err}"),
                        ));
                    }
                }
            },
        }
        match serde_json::from_slice::<Value>(&request.body) {
            Err(err) => diffs.push(Diff::new(
                "body [fields.client-sends-valid-shape]",
                "a JSON cancel request",
                format!("not JSON: {err}"),
            )),
            Ok(json) => {
                let amount = json.as_object().is_some_and(|object| {
                    object
                        .keys()
                        .any(|key| key.to_ascii_lowercase().contains("amount"))
                });
                for violation in validate(Message::CancelRequest, &json) {
                    let rule = if amount && violation.schema_path.contains("additionalProperties") {
                        "full.no-partial"
                    } else {
                        "fields.client-sends-valid-shape"
                    };
                    diffs.push(Diff::new(
                        format!(
                            "body {} (schema {}) [{rule}]",
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
                        "identifiers [ident.either-id-suffices]",
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

/// Which rule a wrong exact number of attempts breaks.
fn attempts_rule(want: u32, actual: u32) -> &'static str {
    if actual > want && want == 1 {
        "retry.client-no-retry-on-f, sign.client-untrusted-ends-cancel"
    } else if actual > want {
        "retry.client-attempts-bounded"
    } else {
        "retry.client-u-same-id, retry.client-timeout-same-id"
    }
}

/// `application/json`, with a charset parameter only if it is UTF-8.
fn json_utf8(value: &str) -> Result<(), String> {
    let mut parts = value.split(';');
    let media = parts.next().unwrap_or("").trim();
    if !media.eq_ignore_ascii_case("application/json") {
        return Err(format!("media type `{media}`"));
    }
    for parameter in parts {
        let Some((name, raw)) = parameter.split_once('=') else {
            return Err(format!(
                "parameter `{}` is not name=value",
                parameter.trim()
            ));
        };
        if name.trim().eq_ignore_ascii_case("charset") {
            let charset = raw.trim().trim_matches('"');
            if !charset.eq_ignore_ascii_case("utf-8") {
                return Err(format!("charset `{charset}`"));
            }
        }
    }
    Ok(())
}

/// Whether `reported` is the same instant as `want` (both RFC 3339): a
/// client may keep the text or re-format the time.
fn same_instant(reported: Option<&str>, want: &str) -> bool {
    use time::format_description::well_known::Rfc3339;
    let parse = |text: &str| time::OffsetDateTime::parse(text, &Rfc3339).ok();
    match (reported.and_then(parse), parse(want)) {
        (Some(reported), Some(want)) => reported == want,
        _ => false,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_type_is_json_with_a_utf8_charset_if_any() {
        for good in [
            "application/json; charset=UTF-8",
            "application/json",
            "Application/JSON;charset=utf-8",
            "application/json; charset=\"UTF-8\"",
        ] {
            assert_eq!(json_utf8(good), Ok(()), "{good}");
        }
        for bad in [
            "text/plain; charset=UTF-8",
            "application/json; charset=ISO-8859-1",
            "application/x-www-form-urlencoded",
            "application/json; charset",
        ] {
            assert!(json_utf8(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_cancel_time_may_be_reformatted_but_not_moved() {
        let want = "2026-11-26T18:00:07+08:00";
        assert!(same_instant(Some(want), want));
        assert!(same_instant(Some("2026-11-26T10:00:07Z"), want));
        assert!(!same_instant(Some("2026-11-26T18:00:07Z"), want));
        assert!(!same_instant(Some("2026-11-26 18:00:07"), want));
        assert!(!same_instant(None, want));
    }

    #[test]
    fn the_hold_outlasts_the_patience_of_a_client_keeping_its_timeout() {
        let run = ClientRun {
            adapter: String::new(),
            tls: false,
            client_timeout: Duration::from_millis(200),
            max_attempts: 3,
            adapter_deadline: None,
            scratch_dir: std::env::temp_dir(),
        };
        assert_eq!(run.patience(), Duration::from_millis(800));
        assert!(run.hold() > run.patience());
    }
}
