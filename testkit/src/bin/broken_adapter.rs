//! Deliberately broken clients of the cancel API, each with one real,
//! plausible bug, behind the adapter protocol (INTERPRETING.md §8).
//!
//! TEST-ONLY, never shipped: these exist to prove that the suite's client
//! cases catch each bug. `broken_adapter <defect>` behaves like the
//! project's own client except for that one defect; the flawed logic lives
//! here, built from the same public parts as `CancelClient`, so that the
//! shipped client has no switch that could turn a bug on.
//!
//! ```sh
//! cargo run -p cancel-conformance-testkit --bin broken_adapter -- fails-on-u
//! ```

use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use serde_json::Value;

use cancel_conformance::client::adapter::{AdapterClient, run_adapter};
use cancel_conformance::client::notify::{parse_notification, verify_notification};
use cancel_conformance::client::retry::{AttemptKind, Backoff, Decision, decide};
use cancel_conformance::client::wire::{
    cancel_request, check_echo, compact_body, exchange, http_client, parse_answer, verify_answer,
};
use cancel_conformance::client::{
    AttemptNote, CancelClient, CancelOutcome, CancelReport, ClientError, Notification,
    NotificationEffect, NotificationError, OrderStatus, PaymentRef, Untrusted, conclusion,
};
use cancel_conformance::spec::api::{CANCEL_PATH, CancelRequest, CancelResponse, ResultStatus};
use cancel_conformance::wire::headers::header;
use cancel_conformance::wire::http::TransportError;
use cancel_conformance::wire::message::{Received, SentRequest};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Defect {
    /// retry.client-u-same-id: mints a fresh paymentRequestId for every retry, as it would for a new pay request.
    NewIdOnRetry,
    /// result.status-meaning: reads U as "it did not work" and reports failed.
    FailsOnU,
    /// retry.client-no-retry-on-f: retries an F as if it were transient.
    RetriesOnF,
    /// sign.client-verifies-response: never checks the answer's signature.
    IgnoresSignature,
    /// sign.client-signs-sent-bytes: signs the compact JSON but sends a pretty-printed copy.
    SignsReserialisedBody,
    /// path.sandbox-client: hard-codes the production path.
    ProductionPathForSandbox,
    /// state.cancelled-is-final: lets a payment-success notification overwrite a cancelled order.
    FlipsAfterLateNotification,
    /// full.no-partial: sends an amount, as if partial cancellation existed.
    SendsAmount,
    /// retry.client-timeout-same-id: treats a timeout as final.
    NoRetryOnTimeout,
    /// sign.header-format: sends `algorithm=RSA256,signature=...` without the keyVersion pair.
    NoKeyVersion,
    /// sign.header-format: puts the base64 signature in the header without URL-encoding it.
    RawBase64Signature,
    /// sign.header-format: always names keyVersion=1, whatever CC_KEY_VERSION says.
    HardcodedKeyVersion,
    /// sign.request-headers: sends Content-Type text/plain.
    TextPlainContentType,
    /// sign.request-headers: signs with a request time but leaves the Request-Time header out.
    NoRequestTime,
    /// sign.request-signature: calls the sandbox path but signs the production path.
    SignsProductionPathForSandbox,
    /// retry.client-timeout-bounded: ignores CC_TIMEOUT_MS and waits up to 10 s for an answer.
    IgnoresTimeout,
    /// retry.client-timeout-bounded: pauses a fixed second before each retry, whatever CC_TIMEOUT_MS is.
    LongPauseBeforeRetry,
    /// retry.client-attempts-bounded: makes two more attempts than CC_MAX_ATTEMPTS allows.
    IgnoresMaxAttempts,
    /// sign.client-verifies-response: checks the signature of S answers only.
    VerifiesOnlySuccess,
    /// sign.client-verifies-response: accepts an F or U answer that carries neither signature nor response-time.
    AcceptsUnsignedFAndU,
    /// sign.client-verifies-response: verifies over the answer's client-id header and never compares it with its own.
    VerifiesForAnswerClientId,
    /// sign.client-verifies-response: verifies answers with the merchant public key instead of the provider's.
    VerifiesWithMerchantKey,
    /// sign.client-verifies-response: verifies every answer over the production path, even when it called the sandbox path.
    VerifiesOverProductionPath,
    /// sign.header-format: splits the Signature header on commas without trimming, so spaces after commas lose the pairs.
    StrictSignatureParser,
    /// sign.header-format: decodes only uppercase percent-escapes (%2B, %2F, %3D).
    UppercaseEscapesOnly,
    /// sign.client-untrusted-ends-cancel: treats an untrusted answer like no answer and retries.
    RetriesAfterUntrusted,
    /// result.client-decides-by-status: concludes from resultCode: SUCCESS cancelled, the known U codes retried, any other code failed.
    OutcomeFromResultCode,
    /// result.client-decides-by-status: reports an F whose resultCode it does not know as unknown.
    UnknownFCodeIsUnknown,
    /// result.client-reports-answer: reports its own clock as the cancelTime, not the answer's.
    ReportsLocalCancelTime,
    /// state.client-order-record: books the order CANCELLED after an F answer.
    CancelledAfterF,
    /// state.client-order-record: books the order CANCELLED when the cancel ends unknown.
    CancelledAfterUnknown,
    /// state.client-order-record: keeps no record of a refused answer (NONE instead of UNKNOWN).
    RefusedLeavesNoRecord,
    /// state.client-order-record: lets a payment-success notification turn an UNKNOWN order SUCCESS.
    NotificationSettlesUnknown,
    /// state.client-order-record: leaves an order UNKNOWN after a trusted F settled its cancel.
    FKeepsUnknown,
    /// sign.client-verifies-notification: accepts a notification for another client id (verifies over its client-id header).
    NotificationIgnoresClientId,
    /// sign.client-verifies-notification: accepts a notification without a signature header.
    AcceptsUnsignedNotification,
    /// sign.header-format: looks notification headers up by their lowercase names only.
    CaseSensitiveNotificationHeaders,
    /// tls.client-verifies-certificate: switches certificate verification off.
    NoCertificateVerification,
    /// sign.client-verifies-response: accepts an answer that has no signature header at all.
    AcceptsMissingSignature,
    /// sign.client-verifies-response: believes a signed body whatever the HTTP status it came with.
    IgnoresHttpStatus,
    /// retry.client-attempts-bounded: stops one attempt short of CC_MAX_ATTEMPTS (an off-by-one).
    OneAttemptShort,
    /// retry.client-timeout-bounded: backs off exponentially from one second between retries.
    SecondsOfBackoff,
    /// retry.client-attempts-bounded: always makes three attempts, whatever CC_MAX_ATTEMPTS says.
    FixedThreeAttempts,
    /// sign.header-format: leaves the `=` padding off the base64 signature.
    UnpaddedSignature,
    /// sign.header-format: encodes the signature in URL-safe base64 (`-`, `_`).
    UrlSafeSignature,
    /// sign.request-headers: sends an empty Request-Time header.
    EmptyRequestTime,
    /// sign.request-headers: sends the Client-Id header twice (a middleware adds it again).
    DuplicateClientId,
    /// sign.request-headers: declares charset ISO-8859-1.
    Latin1Charset,
    /// fields.client-sends-valid-shape: sends an id it was not given as "" instead of leaving it out.
    EmptyStringForAbsentId,
    /// retry.client-timeout-same-id: retries a timeout but treats a refused or broken connection as final.
    NoRetryOnBrokenConnection,
    /// retry.client-attempts-bounded: counts attempts per client, not per cancel, so a second cancel has none left.
    SharedAttemptBudget,
    /// sign.client-verifies-response: believes a signed F or U body whatever HTTP status it came with.
    BelievesNon200FAndU,
    /// sign.client-verifies-response: refuses an answer that has no client-id header.
    RequiresAnswerClientId,
    /// sign.client-verifies-notification: accepts a notification without a client-id header, verifying over its own id.
    AcceptsNotificationWithoutClientId,
    /// notify.payment-result-meaning: marks an order paid on any accepted notification, F included.
    FailedPaymentMarksPaid,
    /// sign.client-verifies-notification: rejects every notification that is not a payment success.
    RejectsFailedPaymentNotification,
    /// sign.client-verifies-notification: verifies a notification over its body re-serialised compactly.
    VerifiesReserialisedNotification,
    /// sign.client-verifies-notification: verifies a notification over its body re-serialised with sorted keys.
    SortsNotificationKeys,
    /// sign.client-verifies-notification: rejects a notification whose body it has seen before (a replay guard gone too far).
    RejectsRepeatedNotification,
    /// sign.client-verifies-notification: answers a rejected notification `accepted: false` but marks the order paid anyway.
    RejectedNotificationMarksPaid,
    /// result.status-meaning: books the order CANCELLED after an untrusted answer.
    CancelledAfterRefused,
    /// state.cancelled-is-final: an F to a later cancel turns a CANCELLED order back to NONE.
    CancelUndoneByF,
    /// state.cancelled-is-final: a later cancel that ends unknown or refused puts a CANCELLED order in doubt.
    UnknownAfterCancelled,
    /// state.cancelled-is-final: a trusted S leaves a paid (SUCCESS) order SUCCESS.
    PaidOrderNotCancelled,
    /// state.client-order-record: a trusted F after UNKNOWN books NONE even when the order was paid.
    FForgetsPaid,
    /// state.client-order-record: ignores a payment-success notification while the order is UNKNOWN.
    ForgetsPaidDuringUnknown,
    /// state.client-order-record: a cancel that ends unknown or refused leaves a paid order SUCCESS.
    SuccessSurvivesUnknown,
    /// result.client-reports-answer: reports every F as resultCode FAILED.
    ReportsGenericFailCode,
    /// retry.client-u-same-id: answers a second cancel of the same payment with the first one's outcome, sending nothing.
    CachesCancelOutcome,
    /// retry.client-timeout-bounded: waits one and a half times CC_TIMEOUT_MS for an answer.
    WaitsOneAndAHalfTimeouts,
}

const DEFECTS: &[(&str, Defect)] = &[
    ("new-id-on-retry", Defect::NewIdOnRetry),
    ("fails-on-u", Defect::FailsOnU),
    ("retries-on-f", Defect::RetriesOnF),
    ("ignores-signature", Defect::IgnoresSignature),
    ("signs-reserialised-body", Defect::SignsReserialisedBody),
    (
        "production-path-for-sandbox",
        Defect::ProductionPathForSandbox,
    ),
    (
        "flips-after-late-notification",
        Defect::FlipsAfterLateNotification,
    ),
    ("sends-amount", Defect::SendsAmount),
    ("no-retry-on-timeout", Defect::NoRetryOnTimeout),
    ("no-key-version", Defect::NoKeyVersion),
    ("raw-base64-signature", Defect::RawBase64Signature),
    ("hardcoded-key-version", Defect::HardcodedKeyVersion),
    ("text-plain-content-type", Defect::TextPlainContentType),
    ("no-request-time", Defect::NoRequestTime),
    (
        "signs-production-path-for-sandbox",
        Defect::SignsProductionPathForSandbox,
    ),
    ("ignores-timeout", Defect::IgnoresTimeout),
    ("long-pause-before-retry", Defect::LongPauseBeforeRetry),
    ("ignores-max-attempts", Defect::IgnoresMaxAttempts),
    ("verifies-only-success", Defect::VerifiesOnlySuccess),
    ("accepts-unsigned-f-and-u", Defect::AcceptsUnsignedFAndU),
    (
        "verifies-for-answer-client-id",
        Defect::VerifiesForAnswerClientId,
    ),
    (
        "verifies-with-merchant-key",
        Defect::VerifiesWithMerchantKey,
    ),
    (
        "verifies-over-production-path",
        Defect::VerifiesOverProductionPath,
    ),
    ("strict-signature-parser", Defect::StrictSignatureParser),
    ("uppercase-escapes-only", Defect::UppercaseEscapesOnly),
    ("retries-after-untrusted", Defect::RetriesAfterUntrusted),
    ("outcome-from-result-code", Defect::OutcomeFromResultCode),
    ("unknown-f-code-is-unknown", Defect::UnknownFCodeIsUnknown),
    ("reports-local-cancel-time", Defect::ReportsLocalCancelTime),
    ("cancelled-after-f", Defect::CancelledAfterF),
    ("cancelled-after-unknown", Defect::CancelledAfterUnknown),
    ("refused-leaves-no-record", Defect::RefusedLeavesNoRecord),
    (
        "notification-settles-unknown",
        Defect::NotificationSettlesUnknown,
    ),
    ("f-keeps-unknown", Defect::FKeepsUnknown),
    (
        "notification-ignores-client-id",
        Defect::NotificationIgnoresClientId,
    ),
    (
        "accepts-unsigned-notification",
        Defect::AcceptsUnsignedNotification,
    ),
    (
        "case-sensitive-notification-headers",
        Defect::CaseSensitiveNotificationHeaders,
    ),
    (
        "no-certificate-verification",
        Defect::NoCertificateVerification,
    ),
    ("accepts-missing-signature", Defect::AcceptsMissingSignature),
    ("ignores-http-status", Defect::IgnoresHttpStatus),
    ("one-attempt-short", Defect::OneAttemptShort),
    ("seconds-of-backoff", Defect::SecondsOfBackoff),
    ("fixed-three-attempts", Defect::FixedThreeAttempts),
    ("unpadded-signature", Defect::UnpaddedSignature),
    ("url-safe-signature", Defect::UrlSafeSignature),
    ("empty-request-time", Defect::EmptyRequestTime),
    ("duplicate-client-id", Defect::DuplicateClientId),
    ("latin1-charset", Defect::Latin1Charset),
    ("empty-string-for-absent-id", Defect::EmptyStringForAbsentId),
    (
        "no-retry-on-broken-connection",
        Defect::NoRetryOnBrokenConnection,
    ),
    ("shared-attempt-budget", Defect::SharedAttemptBudget),
    ("believes-non-200-f-and-u", Defect::BelievesNon200FAndU),
    ("requires-answer-client-id", Defect::RequiresAnswerClientId),
    (
        "accepts-notification-without-client-id",
        Defect::AcceptsNotificationWithoutClientId,
    ),
    ("failed-payment-marks-paid", Defect::FailedPaymentMarksPaid),
    (
        "rejects-failed-payment-notification",
        Defect::RejectsFailedPaymentNotification,
    ),
    (
        "verifies-reserialised-notification",
        Defect::VerifiesReserialisedNotification,
    ),
    ("sorts-notification-keys", Defect::SortsNotificationKeys),
    (
        "rejects-repeated-notification",
        Defect::RejectsRepeatedNotification,
    ),
    (
        "rejected-notification-marks-paid",
        Defect::RejectedNotificationMarksPaid,
    ),
    ("cancelled-after-refused", Defect::CancelledAfterRefused),
    ("cancel-undone-by-f", Defect::CancelUndoneByF),
    ("unknown-after-cancelled", Defect::UnknownAfterCancelled),
    ("paid-order-not-cancelled", Defect::PaidOrderNotCancelled),
    ("f-forgets-paid", Defect::FForgetsPaid),
    (
        "forgets-paid-during-unknown",
        Defect::ForgetsPaidDuringUnknown,
    ),
    ("success-survives-unknown", Defect::SuccessSurvivesUnknown),
    ("reports-generic-fail-code", Defect::ReportsGenericFailCode),
    ("caches-cancel-outcome", Defect::CachesCancelOutcome),
    (
        "waits-one-and-a-half-timeouts",
        Defect::WaitsOneAndAHalfTimeouts,
    ),
];

fn main() -> ExitCode {
    let argument = std::env::args().nth(1);
    let Some(defect) = argument.as_deref().and_then(|name| {
        DEFECTS
            .iter()
            .find(|(known, _)| *known == name)
            .map(|(_, defect)| *defect)
    }) else {
        let names: Vec<&str> = DEFECTS.iter().map(|(name, _)| *name).collect();
        eprintln!(
            "usage: broken_adapter <defect>\n  defects: {}\n  (got {})",
            names.join(", "),
            argument.as_deref().unwrap_or("nothing")
        );
        return ExitCode::from(2);
    };
    run_adapter("broken_adapter", |config| {
        BrokenClient::new(defect, CancelClient::new(config)?)
    })
}

struct BrokenClient {
    defect: Defect,
    /// Supplies configuration, signing, transport and the order records.
    inner: CancelClient,
    /// The HTTP client of the TLS defects and of `ignores-timeout`.
    http: reqwest::Client,
    /// Attempts made over the client's life (`shared-attempt-budget`).
    attempts_made: AtomicU32,
    /// Notification bodies seen (`rejects-repeated-notification`) and the
    /// outcome of the last cancel (`caches-cancel-outcome`).
    memory: Mutex<Memory>,
}

#[derive(Default)]
struct Memory {
    bodies: Vec<Vec<u8>>,
    last_outcome: Option<CancelOutcome>,
}

/// The F codes `unknown-f-code-is-unknown` knows; any other F it calls
/// unknown.
const KNOWN_F_CODES: [&str; 6] = [
    "PROCESS_FAIL",
    "CANCEL_WINDOW_EXCEED",
    "ORDER_NOT_EXIST",
    "ORDER_STATUS_INVALID",
    "INVALID_SIGNATURE",
    "ACCESS_DENIED",
];

/// The U codes `outcome-from-result-code` retries.
const KNOWN_U_CODES: [&str; 3] = [
    "SYSTEM_ERROR",
    "REQUEST_TRAFFIC_EXCEED_LIMIT",
    "UNKNOWN_EXCEPTION",
];

impl BrokenClient {
    fn new(defect: Defect, inner: CancelClient) -> Result<Self, ClientError> {
        let config = inner.config();
        let http = match defect {
            Defect::NoCertificateVerification => {
                let _ = cancel_conformance::signing::tls_crypto_provider().install_default();
                reqwest::Client::builder()
                    .no_proxy()
                    .danger_accept_invalid_certs(true)
                    .build()
            }
            _ => {
                return http_client(config.ca_cert_pem.as_deref()).map(|http| Self {
                    defect,
                    inner,
                    http,
                    attempts_made: AtomicU32::new(0),
                    memory: Mutex::default(),
                });
            }
        }
        .map_err(|err| ClientError::HttpSetup {
            detail: err.to_string(),
        })?;
        Ok(Self {
            defect,
            inner,
            http,
            attempts_made: AtomicU32::new(0),
            memory: Mutex::default(),
        })
    }

    fn memory(&self) -> std::sync::MutexGuard<'_, Memory> {
        self.memory
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn path(&self) -> &str {
        if self.defect == Defect::ProductionPathForSandbox {
            CANCEL_PATH
        } else {
            self.inner.cancel_path()
        }
    }

    fn body(&self, sent: &CancelRequest) -> Result<Vec<u8>, ClientError> {
        if !matches!(
            self.defect,
            Defect::SendsAmount | Defect::EmptyStringForAbsentId
        ) {
            return compact_body(sent);
        }
        let mut value = serde_json::to_value(sent).map_err(|err| ClientError::Body {
            detail: err.to_string(),
        })?;
        if let Value::Object(object) = &mut value {
            if self.defect == Defect::SendsAmount {
                object.insert(
                    "cancelAmount".to_string(),
                    serde_json::json!({"currency": "USD", "value": "100"}),
                );
            } else {
                for key in ["paymentId", "paymentRequestId"] {
                    if object.get(key).is_none_or(Value::is_null) {
                        object.insert(key.to_string(), Value::String(String::new()));
                    }
                }
            }
        }
        serde_json::to_vec(&value).map_err(|err| ClientError::Body {
            detail: err.to_string(),
        })
    }

    /// Signs and builds the request, with this client's request defect.
    fn request(&self, sent: &CancelRequest, body: Vec<u8>) -> Result<SentRequest, ClientError> {
        let mut request = match self.defect {
            Defect::SignsReserialisedBody => {
                let pretty = serde_json::to_vec_pretty(sent).unwrap_or_else(|_| body.clone());
                let mut request = self.inner.sign(self.path(), body)?;
                request.body = pretty;
                request
            }
            Defect::SignsProductionPathForSandbox => {
                let mut request = self.inner.sign(CANCEL_PATH, body)?;
                request.path = self.path().to_string();
                request
            }
            _ => self.inner.sign(self.path(), body)?,
        };
        let key_version = self.inner.config().key_version.clone();
        for (name, value) in &mut request.headers {
            match (self.defect, name.as_str()) {
                (Defect::NoKeyVersion, "Signature") => {
                    *value = value.replace(&format!(",keyVersion={key_version}"), "");
                }
                (Defect::RawBase64Signature, "Signature") => {
                    *value = value
                        .replace("%2B", "+")
                        .replace("%2F", "/")
                        .replace("%3D", "=");
                }
                (Defect::HardcodedKeyVersion, "Signature") => {
                    *value = value.replace(&format!("keyVersion={key_version}"), "keyVersion=1");
                }
                (Defect::TextPlainContentType, "Content-Type") => {
                    *value = "text/plain; charset=UTF-8".to_string();
                }
                (Defect::Latin1Charset, "Content-Type") => {
                    *value = "application/json; charset=ISO-8859-1".to_string();
                }
                (Defect::UnpaddedSignature, "Signature") => {
                    while value.ends_with("%3D") {
                        value.truncate(value.len() - 3);
                    }
                }
                (Defect::UrlSafeSignature, "Signature") => {
                    *value = value.replace("%2B", "-").replace("%2F", "_");
                }
                (Defect::EmptyRequestTime, "Request-Time") => value.clear(),
                _ => {}
            }
        }
        if self.defect == Defect::DuplicateClientId
            && let Some(client_id) = header(&request.headers, "Client-Id").map(str::to_string)
        {
            request.headers.push(("Client-Id".to_string(), client_id));
        }
        if self.defect == Defect::NoRequestTime {
            request.headers.retain(|(name, _)| name != "Request-Time");
        }
        Ok(request)
    }

    async fn send(&self, request: &SentRequest) -> Result<Received, TransportError> {
        let config = self.inner.config();
        match self.defect {
            Defect::IgnoresTimeout => {
                exchange(
                    &self.http,
                    config.trimmed_base_url(),
                    request,
                    Duration::from_secs(10),
                )
                .await
            }
            Defect::NoCertificateVerification => {
                exchange(
                    &self.http,
                    config.trimmed_base_url(),
                    request,
                    config.timeout,
                )
                .await
            }
            Defect::WaitsOneAndAHalfTimeouts => {
                exchange(
                    &self.http,
                    config.trimmed_base_url(),
                    request,
                    config.timeout * 3 / 2,
                )
                .await
            }
            _ => self.inner.send(request).await,
        }
    }

    /// Whether the answer is trusted, with this client's verification
    /// defect.
    fn judge(&self, sent: &CancelRequest, answer: &Received) -> Result<CancelResponse, Untrusted> {
        let config = self.inner.config();
        let status_of = |answer: &Received| parse_answer(answer).map(|r| r.result.result_status);
        let unsigned =
            answer.header("signature").is_none() && answer.header("response-time").is_none();
        let skip = match self.defect {
            Defect::IgnoresSignature => true,
            Defect::AcceptsMissingSignature => answer.header("signature").is_none(),
            Defect::VerifiesOnlySuccess => status_of(answer).is_ok_and(|s| s != ResultStatus::S),
            Defect::AcceptsUnsignedFAndU => {
                unsigned && status_of(answer).is_ok_and(|s| s != ResultStatus::S)
            }
            _ => false,
        };
        let believed_status = self.defect == Defect::IgnoresHttpStatus
            || (self.defect == Defect::BelievesNon200FAndU
                && status_of(answer).is_ok_and(|s| s != ResultStatus::S));
        if self.defect == Defect::RequiresAnswerClientId && answer.header("client-id").is_none() {
            return Err(Untrusted::MissingHeader { name: "client-id" });
        }
        if answer.status != 200 && !believed_status {
            return Err(Untrusted::Status {
                status: answer.status,
            });
        }
        if !skip {
            let signature = answer.header("signature").unwrap_or_default();
            if self.defect == Defect::StrictSignatureParser
                && !signature
                    .split(',')
                    .any(|pair| pair.starts_with("signature="))
            {
                return Err(Untrusted::MissingHeader { name: "signature" });
            }
            if self.defect == Defect::UppercaseEscapesOnly
                && ["%2b", "%2f", "%3d"].iter().any(|e| signature.contains(e))
            {
                return Err(Untrusted::NotParseable {
                    detail: "the signature is not base64".into(),
                });
            }
            match self.defect {
                Defect::VerifiesForAnswerClientId => {
                    let client_id = answer.header("client-id").unwrap_or(&config.client_id);
                    verify_answer(&config.provider_key, client_id, self.path(), answer)?;
                }
                Defect::VerifiesWithMerchantKey => {
                    let merchant = config.merchant_key.public_key();
                    verify_answer(&merchant, &config.client_id, self.path(), answer)?;
                }
                Defect::VerifiesOverProductionPath => {
                    verify_answer(&config.provider_key, &config.client_id, CANCEL_PATH, answer)?;
                }
                Defect::IgnoresHttpStatus | Defect::BelievesNon200FAndU => {
                    let as_if_ok = Received {
                        status: 200,
                        ..answer.clone()
                    };
                    verify_answer(
                        &config.provider_key,
                        &config.client_id,
                        self.path(),
                        &as_if_ok,
                    )?;
                }
                _ => verify_answer(&config.provider_key, &config.client_id, self.path(), answer)?,
            }
        }
        let response = parse_answer(answer)?;
        check_echo(sent, &response)?;
        Ok(response)
    }

    /// What a trusted answer concludes, with this client's defect.
    fn decide(&self, note: &AttemptNote, response: Option<&CancelResponse>) -> Decision {
        let timed_out = matches!(note, AttemptNote::NoAnswer(TransportError::NoAnswer { .. }));
        let code = response
            .map(|r| r.result.result_code.as_str())
            .unwrap_or("");
        match (self.defect, note.kind()) {
            (Defect::FailsOnU, AttemptKind::Answered(ResultStatus::U)) => Decision::Conclude,
            (Defect::RetriesOnF, AttemptKind::Answered(ResultStatus::F)) => Decision::Retry,
            (Defect::NoRetryOnTimeout, AttemptKind::NoAnswer) if timed_out => Decision::Conclude,
            (Defect::NoRetryOnBrokenConnection, AttemptKind::NoAnswer) if !timed_out => {
                Decision::Conclude
            }
            (Defect::RetriesAfterUntrusted, AttemptKind::Untrusted) => Decision::Retry,
            (Defect::OutcomeFromResultCode, AttemptKind::Answered(_)) => {
                if KNOWN_U_CODES.contains(&code) {
                    Decision::Retry
                } else {
                    Decision::Conclude
                }
            }
            (Defect::UnknownFCodeIsUnknown, AttemptKind::Answered(ResultStatus::F)) => {
                Decision::Conclude
            }
            (_, kind) => decide(kind),
        }
    }

    fn conclude(&self, response: CancelResponse, number: u32) -> CancelOutcome {
        let code = response.result.result_code.clone();
        match (self.defect, response.result.result_status) {
            (Defect::ReportsGenericFailCode, ResultStatus::F) => CancelOutcome::Failed {
                code: "FAILED".to_string(),
                message: response.result.result_message,
            },
            (Defect::FailsOnU, ResultStatus::U) => CancelOutcome::Failed {
                code,
                message: response.result.result_message,
            },
            (Defect::OutcomeFromResultCode, _) if code == "SUCCESS" => {
                let mut response = response;
                response.result.result_status = ResultStatus::S;
                conclusion(response, number)
            }
            (Defect::OutcomeFromResultCode, _) if !KNOWN_U_CODES.contains(&code.as_str()) => {
                CancelOutcome::Failed {
                    code,
                    message: response.result.result_message,
                }
            }
            (Defect::UnknownFCodeIsUnknown, ResultStatus::F)
                if !KNOWN_F_CODES.contains(&code.as_str()) =>
            {
                CancelOutcome::Unknown {
                    attempts: number,
                    last_code: Some(code),
                }
            }
            (Defect::ReportsLocalCancelTime, ResultStatus::S) => {
                let now = time::OffsetDateTime::now_utc()
                    .format(&time::format_description::well_known::Rfc3339)
                    .ok();
                match conclusion(response, number) {
                    CancelOutcome::Cancelled {
                        result_code,
                        payment_id,
                        payment_request_id,
                        ..
                    } => CancelOutcome::Cancelled {
                        result_code,
                        cancel_time: now,
                        payment_id,
                        payment_request_id,
                    },
                    other => other,
                }
            }
            _ => conclusion(response, number),
        }
    }

    async fn run_cancel(&self, payment: &PaymentRef) -> CancelReport {
        let mut attempts = Vec::new();
        let mut sent = match cancel_request(payment) {
            Ok(sent) => sent,
            Err(reason) => return not_sent(reason, attempts),
        };
        let original_request_id = sent
            .payment_request_id
            .clone()
            .or_else(|| sent.payment_id.clone())
            .unwrap_or_default();
        let config = self.inner.config();
        let max_attempts = match self.defect {
            Defect::IgnoresMaxAttempts => config.max_attempts + 2,
            Defect::OneAttemptShort => config.max_attempts.saturating_sub(1).max(1),
            Defect::FixedThreeAttempts => 3,
            Defect::SharedAttemptBudget => config
                .max_attempts
                .saturating_sub(self.attempts_made.load(Ordering::Relaxed)),
            _ => config.max_attempts,
        };
        if max_attempts == 0 {
            return CancelReport {
                outcome: CancelOutcome::Unknown {
                    attempts: 0,
                    last_code: None,
                },
                attempts,
            };
        }
        let mut backoff = Backoff::within(config.timeout);
        let mut last_code = None;
        for number in 1..=max_attempts {
            if number > 1 {
                let pause = match self.defect {
                    Defect::LongPauseBeforeRetry => Duration::from_secs(1),
                    Defect::SecondsOfBackoff => Duration::from_secs(1) * 2u32.pow(number - 2),
                    _ => backoff.next_pause(),
                };
                tokio::time::sleep(pause).await;
                if self.defect == Defect::NewIdOnRetry {
                    sent.payment_request_id = Some(format!("{original_request_id}-retry{number}"));
                }
            }
            self.attempts_made.fetch_add(1, Ordering::Relaxed);
            let request = match self.body(&sent).and_then(|body| self.request(&sent, body)) {
                Ok(request) => request,
                Err(reason) => return not_sent(reason, attempts),
            };
            let (note, response) = match self.send(&request).await {
                Err(failure) => (AttemptNote::NoAnswer(failure), None),
                Ok(answer) => match self.judge(&sent, &answer) {
                    Err(reason) => (AttemptNote::Untrusted(reason), None),
                    Ok(response) => (AttemptNote::from_response(&response), Some(response)),
                },
            };
            let decision = self.decide(&note, response.as_ref());
            last_code = match &note {
                AttemptNote::Answered { code, .. } => Some(code.clone()),
                _ => None,
            };
            attempts.push(note);
            let last_attempt = number == max_attempts;
            if decision == Decision::Retry && !last_attempt {
                continue;
            }
            let outcome = match response {
                Some(response)
                    if response.result.result_status != ResultStatus::U
                        || decision == Decision::Conclude =>
                {
                    self.conclude(response, number)
                }
                _ => match attempts.last() {
                    Some(AttemptNote::Untrusted(reason)) => CancelOutcome::Refused {
                        reason: reason.clone(),
                    },
                    _ => CancelOutcome::Unknown {
                        attempts: number,
                        last_code: last_code.clone(),
                    },
                },
            };
            return CancelReport { outcome, attempts };
        }
        CancelReport {
            outcome: CancelOutcome::Unknown {
                attempts: max_attempts,
                last_code,
            },
            attempts,
        }
    }

    /// Records a cancel's outcome, with this client's bookkeeping defect.
    fn record(&self, payment: &PaymentRef, outcome: &CancelOutcome) {
        let orders = self.inner.orders();
        let before = orders.status(payment);
        let in_doubt = matches!(
            outcome,
            CancelOutcome::Unknown { .. } | CancelOutcome::Refused { .. }
        );
        match (self.defect, outcome) {
            (Defect::CancelledAfterF, CancelOutcome::Failed { .. })
            | (Defect::CancelledAfterUnknown, CancelOutcome::Unknown { .. })
            | (Defect::CancelledAfterRefused, CancelOutcome::Refused { .. }) => {
                orders.overwrite(payment, OrderStatus::Cancelled);
            }
            (Defect::RefusedLeavesNoRecord, CancelOutcome::Refused { .. })
            | (Defect::FKeepsUnknown, CancelOutcome::Failed { .. }) => {}
            (Defect::CancelUndoneByF, CancelOutcome::Failed { .. })
                if before == OrderStatus::Cancelled =>
            {
                orders.overwrite(payment, OrderStatus::None);
            }
            (Defect::UnknownAfterCancelled, _) if in_doubt => {
                orders.overwrite(payment, OrderStatus::Unknown);
            }
            (Defect::PaidOrderNotCancelled, CancelOutcome::Cancelled { .. })
                if before == OrderStatus::Success => {}
            (Defect::FForgetsPaid, CancelOutcome::Failed { .. })
                if before == OrderStatus::Unknown =>
            {
                orders.overwrite(payment, OrderStatus::None);
            }
            (Defect::SuccessSurvivesUnknown, _) if in_doubt && before == OrderStatus::Success => {}
            _ => orders.record_outcome(payment, outcome),
        }
    }

    /// Reads and verifies a notification with this client's defect.
    fn notification(
        &self,
        path: &str,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Result<Notification, NotificationError> {
        let config = self.inner.config();
        match self.defect {
            Defect::NotificationIgnoresClientId => {
                let named = header(headers, "client-id").unwrap_or(&config.client_id);
                verify_notification(&config.provider_key, named, path, headers, body)
            }
            Defect::AcceptsUnsignedNotification if header(headers, "signature").is_none() => {
                parse_notification(body)
            }
            Defect::AcceptsNotificationWithoutClientId
                if header(headers, "client-id").is_none() =>
            {
                let mut with_id = headers.to_vec();
                with_id.push(("client-id".to_string(), config.client_id.clone()));
                verify_notification(
                    &config.provider_key,
                    &config.client_id,
                    path,
                    &with_id,
                    body,
                )
            }
            Defect::VerifiesReserialisedNotification | Defect::SortsNotificationKeys => {
                let value: Value = serde_json::from_slice(body).map_err(|err| {
                    NotificationError::NotParseable {
                        detail: err.to_string(),
                    }
                })?;
                let value = if self.defect == Defect::SortsNotificationKeys {
                    sorted(value)
                } else {
                    value
                };
                let again = value.to_string().into_bytes();
                verify_notification(
                    &config.provider_key,
                    &config.client_id,
                    path,
                    headers,
                    &again,
                )
            }
            Defect::CaseSensitiveNotificationHeaders => {
                let lowercase: Vec<(String, String)> = headers
                    .iter()
                    .filter(|(name, _)| *name == name.to_ascii_lowercase())
                    .cloned()
                    .collect();
                verify_notification(
                    &config.provider_key,
                    &config.client_id,
                    path,
                    &lowercase,
                    body,
                )
            }
            _ => verify_notification(&config.provider_key, &config.client_id, path, headers, body),
        }
    }
}

fn not_sent(reason: ClientError, attempts: Vec<AttemptNote>) -> CancelReport {
    CancelReport {
        outcome: CancelOutcome::NotSent { reason },
        attempts,
    }
}

/// `value` with the keys of every object in sorted order.
fn sorted(value: Value) -> Value {
    match value {
        Value::Object(object) => {
            let mut pairs: Vec<(String, Value)> = object.into_iter().collect();
            pairs.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(pairs.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

impl AdapterClient for BrokenClient {
    async fn cancel(&self, payment: &PaymentRef) -> CancelReport {
        if self.defect == Defect::CachesCancelOutcome
            && let Some(outcome) = self.memory().last_outcome.clone()
        {
            return CancelReport {
                outcome,
                attempts: Vec::new(),
            };
        }
        let report = self.run_cancel(payment).await;
        self.record(payment, &report.outcome);
        self.memory().last_outcome = Some(report.outcome.clone());
        report
    }

    fn notify(
        &self,
        path: &str,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Result<NotificationEffect, NotificationError> {
        let orders = self.inner.orders();
        let notification = match self.notification(path, headers, body) {
            Ok(notification) => notification,
            Err(error) => {
                if self.defect == Defect::RejectedNotificationMarksPaid
                    && let Ok(unverified) = parse_notification(body)
                    && unverified.is_payment_success()
                {
                    orders.record_payment_success(&unverified.payment);
                }
                return Err(error);
            }
        };
        if self.defect == Defect::RejectsFailedPaymentNotification
            && !notification.is_payment_success()
        {
            return Err(NotificationError::NotParseable {
                detail: "not a payment success".to_string(),
            });
        }
        if self.defect == Defect::RejectsRepeatedNotification {
            let mut memory = self.memory();
            if memory.bodies.iter().any(|seen| seen == body) {
                return Err(NotificationError::NotParseable {
                    detail: "seen before".to_string(),
                });
            }
            memory.bodies.push(body.to_vec());
        }
        let marks_paid =
            notification.is_payment_success() || self.defect == Defect::FailedPaymentMarksPaid;
        let order_status = marks_paid.then(|| {
            let before = orders.status(&notification.payment);
            match (self.defect, before) {
                (Defect::FlipsAfterLateNotification, _)
                | (Defect::NotificationSettlesUnknown, OrderStatus::Unknown) => {
                    orders.overwrite(&notification.payment, OrderStatus::Success);
                    OrderStatus::Success
                }
                (Defect::ForgetsPaidDuringUnknown, OrderStatus::Unknown) => OrderStatus::Unknown,
                _ => orders.record_payment_success(&notification.payment),
            }
        });
        Ok(NotificationEffect {
            notification,
            order_status,
        })
    }

    fn status(&self, payment: &PaymentRef) -> OrderStatus {
        self.inner.status(payment)
    }
}
