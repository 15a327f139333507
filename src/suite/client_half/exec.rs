//! Runs one client case: starts the scripted provider and the adapter,
//! carries out the steps, and judges everything the client sent, when it
//! sent it, and what it concluded (INTERPRETING.md §8, "What is judged").
//! Every mismatch names the rule it breaks.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use libtest_mimic::Completion;
use serde_json::Value;

use super::adapter::{Adapter, AdapterError};
use super::case::{
    AnswerSignature, BodyLayout, Certificate, ClientCase, ClientExpect, ClientStep, GivenIds,
    Identity, Notification,
};
use super::hello::{Introductions, greet, not_applicable};
use super::scripted::{Arrival, Script, Scripted, serve};
use crate::adapter_protocol::messages::Operation;
use crate::adapter_protocol::{PROTOCOL_VERSION, env as cc};
use crate::signing::{SignatureHeader, SignedContent, VerifyingKey, test_keys};
use crate::spec::api::{CANCEL_PATH, path_for_client};
use crate::spec::control_plane::{DEFAULT_CLIENT_ID, SANDBOX_CLIENT_ID};
use crate::spec::rule_id::{self, RuleId};
use crate::spec::validate::{Message, validate};
use crate::suite::failure::{Diff, Failure, Transcript};
use crate::wire::http::TransportError;
use crate::wire::message::SentRequest;

mod attribution;
mod content_type;
mod judge;
mod notification;
use attribution::{LastEvent, conclusion_rules, notification_rules, status_rules};
use judge::Judge;
use notification::notification;

/// The tolerance on each timed span, as a share of `CC_TIMEOUT_MS` (in
/// tenths): process scheduling on a busy machine, an interpreter's garbage
/// collector. Below half the timeout, so that a client that waits 1.5 times
/// its timeout fails.
const TOLERANCE_TENTHS: u32 = 4;

/// The slack on a pause before a retry, on top of `CC_TIMEOUT_MS`: the
/// pause runs from the answer leaving the suite to the next request
/// arriving, so it also holds the client reading and verifying the answer,
/// signing the next request and connecting again, which a busy machine
/// slows down.
const PAUSE_SLACK: Duration = Duration::from_millis(400);

/// How the client half is run.
#[derive(Clone)]
pub struct ClientRun {
    /// The adapter command: exec'd directly, or run through `sh -c` when
    /// it needs a shell ([`super::process::needs_shell`]).
    pub adapter: String,
    /// Variables of the runner's environment passed on to the adapter
    /// beside the allow-list (`--adapter-env`, e.g. proxy settings).
    pub pass_env: Vec<String>,
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
    /// The first `hello` answer of the run, for the reports.
    pub introductions: Introductions,
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

    /// The tolerance on one timed span: four tenths of the timeout.
    pub fn tolerance(&self) -> Duration {
        self.client_timeout * TOLERANCE_TENTHS / 10
    }

    /// The longest a client that keeps its timeout waits for a held answer
    /// before it gives up (closes the connection): the timeout and the
    /// tolerance.
    pub fn span(&self) -> Duration {
        self.client_timeout + self.tolerance()
    }

    /// The longest a client that keeps its timeout pauses before a retry,
    /// from the answer (or from giving up) to its next request: the
    /// timeout, and slack for the work between.
    pub fn pause(&self) -> Duration {
        self.client_timeout + PAUSE_SLACK
    }

    /// The longest a client that keeps its timeout takes between a request
    /// whose answer is held and its next move (its next request, or its
    /// conclusion), when the suite did not see it give up: a wait and a
    /// pause.
    pub fn patience(&self) -> Duration {
        self.span() + self.pause()
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

/// Why the scripted provider's certificate cannot be made.
#[derive(Debug, thiserror::Error)]
enum CertificateError {
    #[error("{0}")]
    Generate(#[from] rcgen::Error),
    #[error("{0}")]
    Tls(#[from] rustls::Error),
}

/// A certificate for `hosts`, signed by itself: its PEM, and the server
/// configuration that presents it.
fn certificate(hosts: &[&str]) -> Result<(String, Arc<rustls::ServerConfig>), CertificateError> {
    use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
    let hosts: Vec<String> = hosts.iter().map(|host| host.to_string()).collect();
    let certified = rcgen::generate_simple_self_signed(hosts)?;
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let provider = Arc::new(crate::signing::tls_crypto_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok((certified.cert.pem(), Arc::new(config)))
}

/// What the provider's TLS looks like for a case: the server
/// configuration, and the certificate the client is told to trust.
type TlsPlan = Option<(Arc<rustls::ServerConfig>, String)>;

fn tls_plan(case: &ClientCase, run: &ClientRun) -> Result<TlsPlan, CertificateError> {
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

/// Runs `case` with the client behind `run.adapter`. A case that fails (a
/// mismatch, or no usable answer from the provider's side) is run once
/// more before it counts:
/// one that then passes is flaky, reported apart with the first run's
/// failure, never silently as a pass.
pub async fn run_client_case(case: &ClientCase, run: &ClientRun) -> Result<Completion, Failure> {
    // Every client case rests on timing: a client gives up on an answer
    // after CC_TIMEOUT_MS, so a starved machine can fail any of them. An
    // adapter that breaks the protocol, crashes or hangs is not retried:
    // that says nothing about timing.
    match run_once(case, run).await {
        Err(first @ (Failure::Mismatch { .. } | Failure::Transport { .. }))
            if !matches!(
                first,
                Failure::Transport {
                    error: TransportError::Adapter { .. },
                    ..
                }
            ) =>
        {
            match run_once(case, run).await {
                Ok(Completion::Completed) => Err(Failure::Flaky {
                    first: Box::new(first),
                }),
                again => again,
            }
        }
        outcome => outcome,
    }
}

/// Runs `case` once.
async fn run_once(case: &ClientCase, run: &ClientRun) -> Result<Completion, Failure> {
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
        &scripted,
        tls.as_ref().map(|(config, _)| config.clone()),
        scripted.title_case(),
    )
    .await
    .map_err(|err| setup_failure(format!("cannot start the scripted provider: {err}")))?;
    let mut base_url = format!("http://{}", provider.addr);
    let mut env = vec![
        (cc::PROTOCOL.to_string(), PROTOCOL_VERSION.to_string()),
        (cc::CLIENT_ID.to_string(), client_id.to_string()),
        (
            cc::MERCHANT_PRIVATE_KEY.to_string(),
            test_keys::MERCHANT_PRIVATE.trim().to_string(),
        ),
        (cc::KEY_VERSION.to_string(), case.key_version.clone()),
        (
            cc::PROVIDER_PUBLIC_KEY.to_string(),
            test_keys::PROVIDER_PUBLIC.trim().to_string(),
        ),
        (
            cc::TIMEOUT_MS.to_string(),
            run.client_timeout.as_millis().to_string(),
        ),
        (cc::MAX_ATTEMPTS.to_string(), max_attempts.to_string()),
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
        env.push((cc::CA_CERT.to_string(), path.display().to_string()));
    }
    env.push((cc::BASE_URL.to_string(), base_url));

    let mut adapter = Adapter::start(&run.adapter, &env, &run.pass_env)
        .map_err(|err| adapter_failure(0, "start", err, ""))?;
    let deadline = run.operation_deadline();
    // Protocol 3: who the client is decides which cases apply to it.
    let greeting = match greet(&mut adapter, deadline, &run.introductions).await {
        Ok(greeting) => greeting,
        Err(err) => {
            let failure = adapter_failure(0, "hello", err, &adapter.stderr_tail());
            adapter.finish().await;
            return Err(failure);
        }
    };
    if let Some(failure) = not_applicable(case, &greeting) {
        adapter.finish().await;
        return Err(failure);
    }
    let judge = Judge {
        client_id,
        key_version: &case.key_version,
        payment_id: &payment_id,
        payment_request_id: &payment_request_id,
        cancel_time: &cancel_time,
        merchant_key: test_keys::merchant_verifying(),
        max_attempts,
        certificate_trusted: case.certificate == Certificate::Trusted,
        run,
    };
    let mut result = Ok(Completion::Completed);
    // Requests judged so far, and when the last cancel was concluded.
    let mut judged = 0usize;
    let mut concluded: Option<(usize, Instant)> = None;
    // What last happened to the order, for the rules a record rests on.
    let mut last_event = LastEvent::Other;
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
                let request = Operation::cancel(
                    matches!(cancel.by, GivenIds::PaymentId | GivenIds::Both)
                        .then(|| payment_id.clone()),
                    matches!(cancel.by, GivenIds::PaymentRequestId | GivenIds::Both)
                        .then(|| payment_request_id.clone()),
                );
                let answer = call(&mut adapter, number, "cancel", request, deadline).await;
                let answered = Instant::now();
                let arrivals: Vec<Arrival> = scripted.received().into_iter().skip(before).collect();
                judged = before + arrivals.len();
                concluded = Some((number, answered));
                last_event = LastEvent::Other;
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
                    notify.body,
                );
                let valid = notify.signature == AnswerSignature::Valid;
                let want = notify.accepted.unwrap_or(valid);
                last_event = if !want {
                    LastEvent::RejectedNotification
                } else if notify.event == Notification::PaymentFailure {
                    LastEvent::FailedPaymentNotification
                } else {
                    LastEvent::Other
                };
                call(&mut adapter, number, "notify", request, deadline)
                    .await
                    .and_then(|answer| {
                        unsupported(number, "notify", &answer).and_then(|_| {
                            let actual = answer.get("accepted").and_then(Value::as_bool);
                            if actual == Some(want) {
                                Ok(Completion::Completed)
                            } else {
                                Err(mismatch(
                                    number,
                                    "notify",
                                    vec![cited(
                                        notification_rules(
                                            notify.signature,
                                            notify.header,
                                            notify.body != BodyLayout::Compact,
                                        ),
                                        format!(
                                            "accepted, for a {} notification signed `{}` with headers `{}` and a `{}` body",
                                            kebab(&notify.event),
                                            kebab(&notify.signature),
                                            kebab(&notify.header),
                                            kebab(&notify.body),
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
                let request = Operation::status(payment_id.clone(), payment_request_id.clone());
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
                                    vec![cited(
                                        status_rules(status.expect, actual, last_event),
                                        "the client's record of the payment",
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
    request: Operation,
    deadline: Duration,
) -> Result<Value, Failure> {
    match adapter.send(request, deadline).await {
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

/// A difference that breaks the named rules, which the field names after
/// it (`path [path.production]`), as every difference of the client half
/// does.
fn cited(
    rules: &[RuleId<'_>],
    at: impl std::fmt::Display,
    expected: impl Into<String>,
    actual: impl Into<String>,
) -> Diff {
    Diff::ruled(
        rules,
        format!("{at} [{}]", rule_id::joined(rules, ", ")),
        expected,
        actual,
    )
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
            // The case could not judge the behaviour at all: never only a
            // warning, whatever rules the case cites.
            vec![Diff::of_runner(
                "adapter answer",
                format!("the `{action}` operation carried out"),
                format!("error: {error}"),
            )],
            None,
        )),
        None => Ok(Completion::Completed),
    }
}
