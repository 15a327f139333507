//! The suite's power to fail: each deliberately broken server below must
//! fail the run, for the reason it names (a given case fails, and its
//! failure says the given thing), and the unbroken reference server must
//! pass every case. The defects live here, in a proxy wrapped around the
//! real reference server, never as switches inside the shipped server.
//!
//! The proxy speaks HTTP/1.1 itself on its front side, so that it sees the
//! request's header names as sent and writes its answer's names as it
//! chooses, like a server written in any other stack would. Every broken
//! answer is re-signed with the provider's TEST-ONLY key (but for the
//! defects that are about signing), so that each defect shows on its own
//! rather than as a side effect of a broken signature.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;
use time::macros::{format_description, offset, time};
use time::{Duration, OffsetDateTime, UtcOffset};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use cancel_conformance::profile::Profile;
use cancel_conformance::server::{self, DEFAULT_CLIENT_ID, OTHER_CLIENT_ID, ServerConfig};
use cancel_conformance::signing::{SignedContent, test_keys};
use cancel_conformance::spec::Catalog;
use cancel_conformance::suite::load::load_cases;
use cancel_conformance::suite::server_half::sandbox;
use cancel_conformance::suite::target::{FixturePools, Target};
use cancel_conformance::suite::{run_all, verdict};
use cancel_conformance::time_zone::TimeZone;
use cancel_conformance::wire::http;

/// Appended to a failure that would only be a warning in a run that is not
/// strict (every difference rests on assumptions or SHOULD rules).
const WARNING_ONLY: &str = " [warning only]";

const CANCEL: &str = "/ams/api/v1/payments/cancel";
const SANDBOX_CANCEL: &str = "/ams/sandbox/api/v1/payments/cancel";
const UTC8: UtcOffset = offset!(+8);

/// One way a server can be wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Defect {
    /// No defect: the proxy only forwards (proves the proxy is faithful).
    None,
    // ----- business rules and codes
    /// Cancels a refunded payment: PROCESS_FAIL becomes S SUCCESS.
    CancelsRefunded,
    /// Cancels a captured card payment: ORDER_STATUS_INVALID becomes S.
    CancelsCaptured,
    /// Cancels past the window: CANCEL_WINDOW_EXCEED becomes S.
    CancelsPastWindow,
    /// A repeat cancel of a cancelled payment fails.
    RepeatFails,
    /// Ignores `paymentId` precedence: serves by `paymentRequestId` when both are sent.
    IgnoresPaymentIdPrecedence,
    /// Accepts a 65-character id (serves it as if cut to 64).
    AcceptsOverlongIds,
    /// Finds payments by ids trimmed and in any letter case.
    LenientIdLookup,
    /// Refuses a request field sent as JSON null (as PARAM_ILLEGAL) instead
    /// of treating it as absent.
    RefusesNullFields,
    /// Swaps two F codes: ORDER_NOT_EXIST and PARAM_ILLEGAL.
    SwapsNotExistAndParamIllegal,
    /// Says ORDER_STATUS_INVALID where the window has passed.
    StatusInvalidForWindow,
    /// Says ORDER_STATUS_INVALID for a refunded payment.
    StatusInvalidForRefunded,
    /// Hides another client's payment: ACCESS_DENIED becomes ORDER_NOT_EXIST.
    HidesOtherClientsPayment,
    /// Once a payment got U, every later call on it gets U too.
    UnknownNeverResolves,
    // ----- answer shape and pairing
    /// Pairs a code with the wrong status: PROCESS_FAIL travels with U.
    WrongStatusForCode,
    /// Pairs SYSTEM_ERROR with F.
    SystemErrorAsFailure,
    /// Answers a business failure with HTTP 400.
    HttpErrorForBusinessFailure,
    /// Leaves `cancelTime` out of an S answer.
    NoCancelTimeOnSuccess,
    /// Puts a `cancelTime` on F answers.
    CancelTimeOnFailure,
    /// Writes `cancelTime` without its offset.
    CancelTimeWithoutOffset,
    /// Omits `paymentRequestId` from an S answer.
    OmitsPaymentRequestId,
    /// Swaps the two ids in S answers.
    SwapsEchoedIds,
    /// Leaves `resultMessage` out of every answer.
    NoResultMessage,
    // ----- inquiry
    /// After a late payment-success notification, a cancelled payment reads SUCCESS.
    FlipsToSuccessAfterLateNotification,
    /// Reports a failed payment as PROCESSING.
    InquiryHidesFailure,
    // ----- what an answer leaves behind
    /// Answers ACCESS_DENIED, but cancels the payment for its owner anyway.
    AccessDeniedButCancels,
    /// Answers a scripted U, but carries the cancel out anyway.
    UnknownButCancels,
    /// Answers INVALID_SIGNATURE, but carries the cancel out anyway.
    BadSignatureButCancels,
    /// An inquiry cancels the payment it asks about.
    InquiryCancels,
    // ----- cancelTime truth
    /// Writes the UTC clock time and labels it +08:00.
    CancelTimeUtcLabelledUtc8,
    /// Keeps the clock digits but labels them +09:00.
    CancelTimeRelabelledOffset,
    /// Reports a cancel time five minutes late.
    CancelTimeMinutesLate,
    /// Reports a cancel time eight hours late (local time labelled UTC).
    CancelTimeHoursLate,
    // ----- a sandbox's rate limit (not in DEFECTS: throttling is no
    // defect; a run waits it out or ignores the case, never fails it)
    /// Answers every API call U REQUEST_TRAFFIC_EXCEED_LIMIT, changing nothing.
    AlwaysThrottles,
    /// Answers every other API call so, changing nothing.
    ThrottlesEveryOtherCall,
    /// Reports real time, not the payment's (moved) clock.
    CancelTimeFromRealClock,
    /// A repeat cancel reports "now" on the payment's clock.
    RepeatReportsNow,
    /// A repeat cancel reports a new `cancelTime` each time.
    RepeatChangesCancelTime,
    // ----- windows at their boundaries
    /// The card window is 169 hours.
    CardWindowHourLonger,
    /// The card window is one minute longer.
    CardWindowMinuteLonger,
    /// The card window is one minute shorter.
    CardWindowMinuteShorter,
    /// The wallet window ends at midnight UTC+8, not 00:15.
    WalletCutOffAtMidnight,
    /// The wallet window ends at 00:16 UTC+8.
    WalletCutOffMinuteLate,
    /// The wallet window ends a day late.
    WalletCutOffDayLate,
    /// The wallet's day is counted in UTC.
    WalletDayInUtc,
    /// The wallet window is 24 hours from payment.
    WalletWindowTwentyFourHours,
    /// Windows count from the order's creation, not from payment.
    WindowFromCreation,
    // ----- signing of answers
    /// Sends answers without a signature.
    UnsignedAnswers,
    /// Signs the answer, then sends a re-serialised body.
    SignsOtherBytes,
    /// Leaves `keyVersion` out of the answer's Signature header.
    AnswerSignatureWithoutKeyVersion,
    /// Sends the answer's signature as raw base64, not URL-encoded.
    AnswerSignatureNotUrlEncoded,
    /// Names another client id in the answer's `client-id` header.
    WrongClientIdHeader,
    /// Signs every answer over the production path, also for the sandbox path.
    SignsAnswersOverProductionPath,
    /// Writes the answer's signing headers as `Signature`, `Response-Time`, `Client-Id`.
    TitleCaseAnswerHeaders,
    /// Sends the signature header twice.
    DuplicateSignatureHeader,
    // ----- Content-Type of answers
    /// Answers with `Content-Type: text/plain`.
    TextPlainAnswers,
    /// Answers without a Content-Type.
    NoContentType,
    /// Answers with `application/json; charset=ISO-8859-1`.
    WrongCharset,
    // ----- reading requests
    /// Accepts requests whose signature is missing or does not verify.
    AcceptsBadSignatures,
    /// Refuses a Signature header with spaces after the commas.
    RefusesSpacedSignature,
    /// Refuses lowercase percent-escapes in the Signature header.
    RefusesLowercaseEscapes,
    /// Reads only lowercase request header names.
    ReadsOnlyLowercaseHeaderNames,
    /// Verifies sandbox-path requests over the production path.
    VerifiesOverProductionPath,
    /// Accepts a signature made over either path.
    AcceptsSignatureOverEitherPath,
    // ----- the vendor's payment-status pages
    /// Refuses to cancel a failed payment (F ORDER_STATUS_INVALID), as the
    /// suite itself once required.
    FailedCancelRefused,
    /// After an S on a failed payment, inquiries read CANCELLED, not FAIL.
    FailedCancelReadsCancelled,
    /// An unpaid payment never closes: a FAIL it reached by time alone
    /// reads PROCESSING.
    UnpaidNeverCloses,
    /// A repeat cancel after an event on the cancelled payment fails.
    RepeatFailsAfterEvent,
    /// Inquiries keep reporting the first status they reported.
    StaleInquiry,
    /// Counts an id's length in UTF-8 bytes, not characters.
    CountsIdLengthInBytes,
    /// Counts an id's length in UTF-16 units, not characters.
    CountsIdLengthInUtf16Units,
    /// Has no sandbox inquiry path (NO_INTERFACE_DEF).
    NoSandboxInquiry,
    /// The S after a U reports the time of the U, not its own.
    CancelTimeFromUnknownAttempt,
    /// Refuses a Request-Time that is not epoch milliseconds.
    RefusesIsoRequestTime,
    /// Refuses a Request-Time in epoch milliseconds.
    RefusesEpochRequestTime,
    /// Leaves F and U answers unsigned, as a gateway does (a warning).
    UnsignedErrorAnswers,
}

/// Each defect, and the proof that it is caught for its reason: a case
/// that must fail as a MISMATCH, and text its failure must contain.
const DEFECTS: &[(Defect, &str, &str)] = &[
    (
        Defect::CancelsRefunded,
        "server/refund/fully-refunded-is-process-fail",
        "PROCESS_FAIL",
    ),
    (
        Defect::CancelsCaptured,
        "server/capture/captured-card-is-order-status-invalid",
        "ORDER_STATUS_INVALID",
    ),
    (
        Defect::CancelsPastWindow,
        "server/window/card-paid-8-days-ago-is-cancel-window-exceed",
        "CANCEL_WINDOW_EXCEED",
    ),
    (
        Defect::RepeatFails,
        "server/repeat/second-cancel-keeps-first-cancel-time",
        "ORDER_STATUS_INVALID",
    ),
    (
        Defect::IgnoresPaymentIdPrecedence,
        "server/ident/both-ids-of-different-payments-cancels-only-the-payment-id-one",
        "state of the other fixture's payment",
    ),
    (
        Defect::AcceptsOverlongIds,
        "server/fields/",
        "PARAM_ILLEGAL",
    ),
    (
        Defect::RefusesNullFields,
        "server/ident/null-payment-id-is-absent",
        r#"expected: "SUCCESS", actual: "PARAM_ILLEGAL""#,
    ),
    (
        Defect::LenientIdLookup,
        "server/ident/payment-request-id-in-other-case-is-order-not-exist",
        "expected: \"ORDER_NOT_EXIST\"",
    ),
    (
        Defect::SwapsNotExistAndParamIllegal,
        "server/ident/unknown-payment-id-is-order-not-exist",
        "expected: \"ORDER_NOT_EXIST\"",
    ),
    (
        Defect::StatusInvalidForWindow,
        "server/window/card-paid-169-hours-ago-is-cancel-window-exceed",
        "actual: \"ORDER_STATUS_INVALID\"",
    ),
    (
        Defect::StatusInvalidForRefunded,
        "server/refund/partly-refunded-is-process-fail",
        "actual: \"ORDER_STATUS_INVALID\"",
    ),
    (
        Defect::HidesOtherClientsPayment,
        "server/auth/other-client-payment-is-access-denied",
        "actual: \"ORDER_NOT_EXIST\"",
    ),
    (
        Defect::UnknownNeverResolves,
        "server/retry/system-error-then-retry-is-success",
        "SYSTEM_ERROR",
    ),
    (
        Defect::WrongStatusForCode,
        "server/refund/fully-refunded-is-process-fail",
        "schema",
    ),
    (
        Defect::SystemErrorAsFailure,
        "server/retry/system-error-then-retry-is-success",
        "schema",
    ),
    (
        Defect::HttpErrorForBusinessFailure,
        "server/ident/unknown-payment-id-is-order-not-exist",
        "HTTP status",
    ),
    (
        Defect::NoCancelTimeOnSuccess,
        "server/cancel/paid-wallet-by-payment-id-is-success",
        "cancelTime",
    ),
    (
        Defect::CancelTimeOnFailure,
        "server/ident/unknown-payment-id-is-order-not-exist",
        "rule result.no-cancel-time-unless-success",
    ),
    (
        Defect::CancelTimeWithoutOffset,
        "server/cancel/paid-wallet-by-payment-id-is-success",
        "cancelTime",
    ),
    (
        Defect::OmitsPaymentRequestId,
        "server/cancel/paid-wallet-by-payment-id-is-success",
        "paymentRequestId",
    ),
    (
        Defect::SwapsEchoedIds,
        "server/cancel/paid-wallet-by-payment-id-is-success",
        "rule result.success-fields",
    ),
    (
        Defect::NoResultMessage,
        "server/ident/unknown-payment-id-is-order-not-exist",
        "resultMessage",
    ),
    (
        Defect::FlipsToSuccessAfterLateNotification,
        "server/state/",
        "CANCELLED",
    ),
    (
        Defect::InquiryHidesFailure,
        "server/inquiry/failed-is-fail",
        "rule state.inquiry-reports-state",
    ),
    (
        Defect::AccessDeniedButCancels,
        "server/auth/other-client-payment-is-access-denied",
        "state of the fixture's payment after F ACCESS_DENIED",
    ),
    (
        Defect::UnknownButCancels,
        "server/retry/u-answer-leaves-payment-unchanged",
        "rule retry.server-u-changes-nothing",
    ),
    (
        Defect::BadSignatureButCancels,
        "server/auth/bad-signature-is-invalid-signature",
        "state of the fixture's payment after F INVALID_SIGNATURE",
    ),
    (
        Defect::InquiryCancels,
        "server/inquiry/paid-wallet-is-success",
        "after an inquiry",
    ),
    (
        Defect::CancelTimeUtcLabelledUtc8,
        "server/cancel/paid-wallet-by-payment-id-is-success",
        "rule result.cancel-time-true",
    ),
    (
        Defect::CancelTimeRelabelledOffset,
        "server/cancel/paid-card-is-success",
        "rule result.cancel-time-true",
    ),
    (
        Defect::CancelTimeMinutesLate,
        "server/cancel/awaiting-buyer-is-success",
        "rule result.cancel-time-true",
    ),
    (
        Defect::CancelTimeHoursLate,
        "server/cancel/paid-card-is-success",
        "rule result.success-fields",
    ),
    (
        Defect::CancelTimeFromRealClock,
        "server/window/card-paid-by-event-window-starts-at-payment",
        "rule result.cancel-time-true",
    ),
    (
        Defect::RepeatReportsNow,
        "server/repeat/cancelled-long-ago-is-success",
        "rule repeat.already-cancelled-success",
    ),
    (
        Defect::RepeatChangesCancelTime,
        "server/repeat/second-cancel-keeps-first-cancel-time",
        "cancelTime",
    ),
    (
        Defect::CardWindowHourLonger,
        "server/window/card-paid-10-seconds-past-seven-days-is-cancel-window-exceed",
        "CANCEL_WINDOW_EXCEED",
    ),
    (
        Defect::CardWindowMinuteLonger,
        "server/window/card-paid-10-seconds-past-seven-days-by-clock-is-cancel-window-exceed",
        "CANCEL_WINDOW_EXCEED",
    ),
    (
        Defect::CardWindowMinuteShorter,
        "server/window/card-paid-10-seconds-before-seven-days-is-success",
        "actual: \"CANCEL_WINDOW_EXCEED\"",
    ),
    (
        Defect::WalletCutOffAtMidnight,
        "server/window/wallet-10-seconds-before-cut-off-is-success",
        "actual: \"CANCEL_WINDOW_EXCEED\"",
    ),
    (
        Defect::WalletCutOffMinuteLate,
        "server/window/wallet-10-seconds-after-cut-off-is-cancel-window-exceed",
        "expected: \"CANCEL_WINDOW_EXCEED\"",
    ),
    (
        Defect::WalletCutOffDayLate,
        "server/window/wallet-a-day-after-cut-off-is-cancel-window-exceed",
        "expected: \"CANCEL_WINDOW_EXCEED\"",
    ),
    (
        Defect::WalletDayInUtc,
        "server/window/wallet-day-is-counted-in-utc-plus-8",
        "actual: \"CANCEL_WINDOW_EXCEED\"",
    ),
    (
        Defect::WalletWindowTwentyFourHours,
        "server/window/wallet-10-seconds-after-cut-off-is-cancel-window-exceed",
        "expected: \"CANCEL_WINDOW_EXCEED\"",
    ),
    (
        Defect::WindowFromCreation,
        "server/window/card-window-counts-from-payment-not-creation",
        "actual: \"CANCEL_WINDOW_EXCEED\"",
    ),
    (
        Defect::UnsignedAnswers,
        "server/cancel/paid-wallet-by-payment-id-is-success",
        "headers signature, response-time",
    ),
    (
        Defect::SignsOtherBytes,
        "server/cancel/paid-wallet-by-payment-id-is-success",
        "does not verify",
    ),
    (
        Defect::AnswerSignatureWithoutKeyVersion,
        "server/cancel/paid-wallet-by-payment-id-is-success",
        "rule sign.header-format",
    ),
    (
        Defect::AnswerSignatureNotUrlEncoded,
        "server/cancel/paid-wallet-by-payment-id-is-success",
        "must URL-encode",
    ),
    (
        Defect::WrongClientIdHeader,
        "server/cancel/paid-wallet-by-payment-id-is-success",
        "header client-id",
    ),
    (
        Defect::SignsAnswersOverProductionPath,
        "server/http/sandbox-path-is-served",
        "does not verify",
    ),
    (
        Defect::TitleCaseAnswerHeaders,
        "server/cancel/paid-wallet-by-payment-id-is-success",
        "header name signature",
    ),
    (
        Defect::DuplicateSignatureHeader,
        "server/cancel/paid-wallet-by-payment-id-is-success",
        "exactly one",
    ),
    (
        Defect::TextPlainAnswers,
        "server/http/answers-are-json",
        "rule http.answer-content-type",
    ),
    (
        Defect::NoContentType,
        "server/cancel/paid-wallet-by-payment-id-is-success",
        "rule http.answer-content-type",
    ),
    (
        Defect::WrongCharset,
        "server/ident/unknown-payment-id-is-order-not-exist",
        "rule http.answer-content-type",
    ),
    (
        Defect::AcceptsBadSignatures,
        "server/auth/bad-signature-is-invalid-signature",
        "INVALID_SIGNATURE",
    ),
    (
        Defect::RefusesSpacedSignature,
        "server/auth/signature-with-spaces-after-commas-verifies",
        "actual: \"INVALID_SIGNATURE\"",
    ),
    (
        Defect::RefusesLowercaseEscapes,
        "server/auth/signature-with-lowercase-escapes-verifies",
        "actual: \"INVALID_SIGNATURE\"",
    ),
    (
        Defect::ReadsOnlyLowercaseHeaderNames,
        "server/auth/title-case-header-names-verify",
        "expected: \"SUCCESS\"",
    ),
    (
        Defect::VerifiesOverProductionPath,
        "server/http/sandbox-path-signed-over-production-path-is-invalid-signature",
        "expected: \"INVALID_SIGNATURE\"",
    ),
    (
        Defect::AcceptsSignatureOverEitherPath,
        "server/http/production-path-signed-over-sandbox-path-is-invalid-signature",
        "expected: \"INVALID_SIGNATURE\"",
    ),
    (
        Defect::FailedCancelRefused,
        "server/state/failed-cancel-is-success-and-stays-failed",
        "ORDER_STATUS_INVALID",
    ),
    (
        Defect::FailedCancelReadsCancelled,
        "server/state/failed-cancel-is-success-and-stays-failed",
        "CANCELLED",
    ),
    (
        Defect::UnpaidNeverCloses,
        "server/state/unpaid-15-minutes-is-closed-as-fail",
        "PROCESSING",
    ),
    (
        Defect::RepeatFailsAfterEvent,
        "server/repeat/repeat-after-captured-event-is-success",
        "PROCESS_FAIL",
    ),
    (
        Defect::StaleInquiry,
        "server/state/inquiry-before-and-after-payment-success",
        "PROCESSING",
    ),
    (
        Defect::CountsIdLengthInBytes,
        "server/fields/payment-id-64-non-ascii-chars-is-within-limit",
        "PARAM_ILLEGAL",
    ),
    (
        Defect::CountsIdLengthInUtf16Units,
        "server/fields/payment-request-id-64-astral-chars-is-within-limit",
        "PARAM_ILLEGAL",
    ),
    (
        Defect::NoSandboxInquiry,
        "server/http/sandbox-inquiry-path-is-served",
        "NO_INTERFACE_DEF",
    ),
    (
        Defect::CancelTimeFromUnknownAttempt,
        "server/retry/clock-moved-between-u-and-retry-reports-the-retry-time",
        "rule result.cancel-time-true",
    ),
    (
        Defect::RefusesIsoRequestTime,
        "server/auth/iso-8601-request-time-verifies",
        "PARAM_ILLEGAL",
    ),
    (
        Defect::RefusesEpochRequestTime,
        "server/auth/epoch-millisecond-request-time-verifies",
        "PARAM_ILLEGAL",
    ),
    (
        Defect::UnsignedErrorAnswers,
        "server/refund/fully-refunded-is-process-fail",
        "sign.error-response-signed",
    ),
];

/// What the proxy remembers across requests.
#[derive(Default)]
struct Memory {
    /// Payment ids that were seeded unpaid.
    seeded_unpaid: HashSet<String>,
    /// Payment ids that received an event while cancelled.
    evented_after_cancel: HashSet<String>,
    /// paymentId → the first paymentStatus an inquiry reported.
    first_status: HashMap<String, Value>,
    /// paymentId → the payment's clock when a cancel of it was answered U.
    unknown_at: HashMap<String, Value>,
    /// Payment ids (either kind) that have been answered U.
    answered_unknown: HashSet<String>,
    /// Payment ids that received a late payment-success event.
    notified: HashSet<String>,
    /// Payment ids that have been answered S on cancel.
    cancelled: HashSet<String>,
    /// Counts S answers, to make each "new" cancelTime different.
    successes: u32,
    /// Counts API calls, for the throttling proxies.
    api_calls: u32,
    /// paymentRequestId → paymentId, from the seeding answers.
    payment_ids: HashMap<String, String>,
    /// paymentId → when its order was created, on its clock.
    created: HashMap<String, OffsetDateTime>,
}

struct Proxy {
    defect: Defect,
    upstream: String,
    http: reqwest::Client,
    memory: Mutex<Memory>,
}

/// A request as the proxy's front read it: header names as sent.
struct Incoming {
    method: String,
    /// Path and query.
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Incoming {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }
}

/// What the proxy writes back: header names as given; `cut` sends the head
/// and half the body, then closes (an incomplete answer).
struct Outgoing {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    cut: bool,
}

fn is_api(path: &str) -> bool {
    path.starts_with("/ams/")
}

fn lock(memory: &Mutex<Memory>) -> std::sync::MutexGuard<'_, Memory> {
    memory
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn wire(instant: OffsetDateTime) -> String {
    instant
        .to_offset(UTC8)
        .format(format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second]+08:00"
        ))
        .unwrap_or_default()
}

fn parse_time(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

/// A Signature header value for `content`, signed by `key`.
fn request_signature(path: &str, client: &str, time: &str, body: &[u8]) -> String {
    SignedContent::post(path, client, time, body)
        .sign(&test_keys::merchant_signing(), "1")
        .unwrap_or_default()
}

fn result_json(code: &str, status: &str) -> Value {
    json!({"result": {"resultCode": code, "resultStatus": status, "resultMessage": code}})
}

impl Proxy {
    /// Sends a request on to the reference server; `None` when the
    /// connection broke (a scripted drop).
    async fn upstream(
        &self,
        method: &str,
        target: &str,
        headers: &[(String, String)],
        body: Vec<u8>,
    ) -> Option<(u16, Vec<(String, String)>, Vec<u8>)> {
        let method = reqwest::Method::from_bytes(method.as_bytes()).ok()?;
        let mut request = self
            .http
            .request(method, format!("{}{target}", self.upstream))
            .body(body);
        for (name, value) in headers {
            let lower = name.to_ascii_lowercase();
            if lower != "host" && lower != "content-length" && lower != "connection" {
                request = request.header(name.as_str(), value.as_str());
            }
        }
        let answer = request.send().await.ok()?;
        let status = answer.status().as_u16();
        let headers = answer
            .headers()
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_string(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = answer.bytes().await.ok()?.to_vec();
        Some((status, headers, body))
    }

    /// Sends a correctly signed cancel of `body` as `client`, as a broken
    /// server that carries a cancel out behind its answer would.
    async fn cancel_behind(&self, client: &str, body: &[u8]) {
        let time = "2026-11-26T10:00:00+08:00";
        let headers = vec![
            ("content-type".to_string(), "application/json".to_string()),
            ("client-id".to_string(), client.to_string()),
            ("request-time".to_string(), time.to_string()),
            (
                "signature".to_string(),
                request_signature(CANCEL, client, time, body),
            ),
        ];
        let _ = self.upstream("POST", CANCEL, &headers, body.to_vec()).await;
    }

    async fn view(&self, payment_id: &str) -> Option<Value> {
        let (status, _, body) = self
            .upstream(
                "GET",
                &format!("/control/v1/payments/{payment_id}"),
                &[],
                Vec::new(),
            )
            .await?;
        (status == 200)
            .then(|| serde_json::from_slice(&body).ok())
            .flatten()
    }

    /// The paymentId a request body names, through the seeding answers
    /// for a paymentRequestId.
    fn payment_id_of(&self, body: &Value) -> Option<String> {
        if let Some(id) = body.get("paymentId").and_then(Value::as_str) {
            return Some(id.to_string());
        }
        let request_id = body.get("paymentRequestId").and_then(Value::as_str)?;
        lock(&self.memory).payment_ids.get(request_id).cloned()
    }

    /// The last instant a paid payment may be cancelled, as this proxy's
    /// (possibly broken) window rule says.
    fn deadline(
        &self,
        method: &str,
        paid: OffsetDateTime,
        created: OffsetDateTime,
    ) -> OffsetDateTime {
        let start = if self.defect == Defect::WindowFromCreation {
            created
        } else {
            paid
        };
        let next_day_at = |day_offset: i64, at: time::Time, zone: UtcOffset| {
            let local = start.to_offset(zone);
            (local.date() + Duration::days(day_offset))
                .with_time(at)
                .assume_offset(zone)
        };
        if method == "card" {
            let window = match self.defect {
                Defect::CardWindowHourLonger => Duration::hours(169),
                Defect::CardWindowMinuteLonger => Duration::hours(168) + Duration::minutes(1),
                Defect::CardWindowMinuteShorter => Duration::hours(168) - Duration::minutes(1),
                _ => Duration::hours(168),
            };
            return start + window;
        }
        match self.defect {
            Defect::WalletCutOffAtMidnight => next_day_at(1, time!(00:00), UTC8),
            Defect::WalletCutOffMinuteLate => next_day_at(1, time!(00:16), UTC8),
            Defect::WalletCutOffDayLate => next_day_at(2, time!(00:15), UTC8),
            Defect::WalletDayInUtc => next_day_at(1, time!(00:15), UtcOffset::UTC),
            Defect::WalletWindowTwentyFourHours => start + Duration::hours(24),
            _ => next_day_at(1, time!(00:15), UTC8),
        }
    }

    fn window_defect(&self) -> bool {
        matches!(
            self.defect,
            Defect::CardWindowHourLonger
                | Defect::CardWindowMinuteLonger
                | Defect::CardWindowMinuteShorter
                | Defect::WalletCutOffAtMidnight
                | Defect::WalletCutOffMinuteLate
                | Defect::WalletCutOffDayLate
                | Defect::WalletDayInUtc
                | Defect::WalletWindowTwentyFourHours
                | Defect::WindowFromCreation
        )
    }

    async fn control(&self, request: Incoming) -> Outgoing {
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        let path = request.path().to_string();
        if path.ends_with("/events")
            && body.get("event") == Some(&json!("payment-success"))
            && let Some(id) = path.split('/').nth(4)
        {
            lock(&self.memory).notified.insert(id.to_string());
        }
        if path.ends_with("/events")
            && let Some(id) = path.split('/').nth(4)
            && self
                .view(id)
                .await
                .is_some_and(|view| view.get("state") == Some(&json!("cancelled")))
        {
            lock(&self.memory)
                .evented_after_cancel
                .insert(id.to_string());
        }
        let Some((status, headers, answer)) = self
            .upstream(
                &request.method,
                &request.target,
                &request.headers,
                request.body.clone(),
            )
            .await
        else {
            return cut();
        };
        if path == "/control/v1/payments" && status == 200 {
            let seeded: Value = serde_json::from_slice(&answer).unwrap_or(Value::Null);
            if let (Some(id), Some(request_id)) = (
                seeded.get("paymentId").and_then(Value::as_str),
                seeded.get("paymentRequestId").and_then(Value::as_str),
            ) {
                let now = self
                    .view(id)
                    .await
                    .and_then(|view| view.get("now")?.as_str().and_then(parse_time));
                let created = body
                    .get("createdAt")
                    .and_then(Value::as_str)
                    .and_then(parse_time)
                    .or_else(|| {
                        body.get("paidAt")
                            .and_then(Value::as_str)
                            .and_then(parse_time)
                    })
                    .or_else(|| {
                        let age = body.get("ageMs").and_then(Value::as_i64).unwrap_or(0);
                        now.map(|now| now - Duration::milliseconds(age))
                    });
                let mut memory = lock(&self.memory);
                if body.get("state") == Some(&json!("awaiting-buyer")) {
                    memory.seeded_unpaid.insert(id.to_string());
                }
                memory
                    .payment_ids
                    .insert(request_id.to_string(), id.to_string());
                if let Some(created) = created {
                    memory.created.insert(id.to_string(), created);
                }
            }
        }
        let content_type = headers
            .into_iter()
            .filter(|(name, _)| name == "content-type")
            .collect();
        Outgoing {
            status,
            headers: content_type,
            body: answer,
            cut: false,
        }
    }

    async fn api(&self, mut request: Incoming) -> Outgoing {
        let path = request.path().to_string();
        let is_cancel = path.ends_with("/cancel");
        let client = request.header("client-id").unwrap_or_default().to_string();
        let request_json: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        let named = self.payment_id_of(&request_json);
        let signature = request.header("signature").unwrap_or_default().to_string();
        let time = request
            .header("request-time")
            .unwrap_or_default()
            .to_string();
        let mut forward_target = request.target.clone();
        let mut view_before = None;

        // ----- before the real server sees the request
        match self.defect {
            Defect::RefusesSpacedSignature if signature.contains(", ") => {
                return self.answer(&path, &client, result_json("INVALID_SIGNATURE", "F"));
            }
            Defect::RefusesLowercaseEscapes
                if ["%2b", "%2f", "%3d"].iter().any(|e| signature.contains(e)) =>
            {
                return self.answer(&path, &client, result_json("INVALID_SIGNATURE", "F"));
            }
            Defect::ReadsOnlyLowercaseHeaderNames => {
                request
                    .headers
                    .retain(|(name, _)| *name == name.to_ascii_lowercase());
            }
            Defect::VerifiesOverProductionPath if path == SANDBOX_CANCEL => {
                forward_target = CANCEL.to_string();
            }
            Defect::AcceptsSignatureOverEitherPath => {
                let other = if path == SANDBOX_CANCEL {
                    CANCEL
                } else {
                    SANDBOX_CANCEL
                };
                let verifies_over_other = SignedContent::post(other, &client, &time, &request.body)
                    .verify(&test_keys::merchant_verifying(), &signature)
                    .is_ok();
                if verifies_over_other {
                    set_header(
                        &mut request.headers,
                        "signature",
                        request_signature(&path, &client, &time, &request.body),
                    );
                }
            }
            Defect::AcceptsBadSignatures => {
                set_header(
                    &mut request.headers,
                    "signature",
                    request_signature(&path, &client, &time, &request.body),
                );
            }
            Defect::RefusesNullFields => {
                // The reference server refuses an empty string, so a null
                // turned into one is refused as a null-refusing server would.
                if let Value::Object(mut object) = request_json.clone()
                    && object.values().any(Value::is_null)
                {
                    for value in object.values_mut().filter(|value| value.is_null()) {
                        *value = Value::String(String::new());
                    }
                    request.body = Value::Object(object).to_string().into_bytes();
                    set_header(
                        &mut request.headers,
                        "signature",
                        request_signature(&path, &client, &time, &request.body),
                    );
                }
            }
            Defect::LenientIdLookup => {
                if let Value::Object(mut object) = request_json.clone() {
                    for key in ["paymentId", "paymentRequestId"] {
                        if let Some(Value::String(id)) = object.get_mut(key) {
                            *id = id.trim().to_ascii_uppercase();
                        }
                    }
                    request.body = Value::Object(object).to_string().into_bytes();
                    set_header(
                        &mut request.headers,
                        "signature",
                        request_signature(&path, &client, &time, &request.body),
                    );
                }
            }
            Defect::AcceptsOverlongIds | Defect::IgnoresPaymentIdPrecedence => {
                if let Value::Object(mut object) = request_json.clone() {
                    if self.defect == Defect::IgnoresPaymentIdPrecedence {
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
                    request.body = Value::Object(object).to_string().into_bytes();
                    set_header(
                        &mut request.headers,
                        "signature",
                        request_signature(&path, &client, &time, &request.body),
                    );
                }
            }
            Defect::UnknownNeverResolves => {
                let stuck = {
                    let memory = lock(&self.memory);
                    ["paymentId", "paymentRequestId"].iter().any(|key| {
                        request_json
                            .get(*key)
                            .and_then(Value::as_str)
                            .is_some_and(|id| memory.answered_unknown.contains(id))
                    })
                };
                if stuck {
                    return self.answer(&path, &client, result_json("SYSTEM_ERROR", "U"));
                }
            }
            Defect::InquiryCancels if !is_cancel => {
                self.cancel_behind(&client, &request.body).await;
            }
            Defect::CountsIdLengthInBytes | Defect::CountsIdLengthInUtf16Units => {
                let too_long = ["paymentId", "paymentRequestId"].iter().any(|key| {
                    request_json
                        .get(*key)
                        .and_then(Value::as_str)
                        .is_some_and(|id| {
                            let units = if self.defect == Defect::CountsIdLengthInBytes {
                                id.len()
                            } else {
                                id.encode_utf16().count()
                            };
                            units > 64
                        })
                });
                if too_long {
                    return self.answer(&path, &client, result_json("PARAM_ILLEGAL", "F"));
                }
            }
            Defect::NoSandboxInquiry if path == "/ams/sandbox/api/v1/payments/inquiryPayment" => {
                return self.answer(&path, &client, result_json("NO_INTERFACE_DEF", "F"));
            }
            Defect::RefusesIsoRequestTime | Defect::RefusesEpochRequestTime => {
                let epoch = !time.is_empty() && time.bytes().all(|b| b.is_ascii_digit());
                if epoch == (self.defect == Defect::RefusesEpochRequestTime) {
                    return self.answer(&path, &client, result_json("PARAM_ILLEGAL", "F"));
                }
            }
            Defect::FailedCancelRefused if is_cancel => {
                if let Some(id) = &named
                    && self
                        .view(id)
                        .await
                        .is_some_and(|view| view.get("state") == Some(&json!("failed")))
                {
                    return self.answer(&path, &client, result_json("ORDER_STATUS_INVALID", "F"));
                }
            }
            Defect::AlwaysThrottles | Defect::ThrottlesEveryOtherCall => {
                let call = {
                    let mut memory = lock(&self.memory);
                    memory.api_calls += 1;
                    memory.api_calls
                };
                if self.defect == Defect::AlwaysThrottles || call % 2 == 1 {
                    return self.answer(
                        &path,
                        &client,
                        result_json("REQUEST_TRAFFIC_EXCEED_LIMIT", "U"),
                    );
                }
            }
            _ => {}
        }
        if let Some(id) = &named
            && is_cancel
            && (self.window_defect() || self.defect == Defect::RepeatReportsNow)
        {
            view_before = self.view(id).await;
        }
        // A broken window refuses what the real one allows: answer F
        // without touching the payment, as such a server would.
        let mut window_allows = None;
        if self.window_defect()
            && let (Some(view), Some(id)) = (&view_before, &named)
            && view.get("state") == Some(&json!("paid"))
            && view.get("owner").and_then(Value::as_str) == Some(client.as_str())
        {
            let text = |key: &str| view.get(key).and_then(Value::as_str).unwrap_or_default();
            if let (Some(paid), Some(now)) = (parse_time(text("paidAt")), parse_time(text("now"))) {
                let created = lock(&self.memory).created.get(id).copied().unwrap_or(paid);
                let allows = now <= self.deadline(text("method"), paid, created);
                if !allows {
                    return self.answer(&path, &client, result_json("CANCEL_WINDOW_EXCEED", "F"));
                }
                window_allows = Some(now);
            }
        }

        let Some((status, _, answer_body)) = self
            .upstream(
                &request.method,
                &forward_target,
                &request.headers,
                request.body.clone(),
            )
            .await
        else {
            return cut();
        };
        let mut json: Value = serde_json::from_slice(&answer_body).unwrap_or(Value::Null);
        let code = json
            .pointer("/result/resultCode")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let letter = json
            .pointer("/result/resultStatus")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let success = |json: &mut Value, cancel_time: String| {
            json["result"] =
                json!({"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "Success"});
            for key in ["paymentId", "paymentRequestId"] {
                if let Some(id) = request_json.get(key) {
                    json[key] = id.clone();
                }
            }
            json["cancelTime"] = json!(cancel_time);
        };
        let now_text = wire(OffsetDateTime::now_utc());

        // ----- what the broken server answers instead
        match self.defect {
            _ if window_allows.is_some() && code == "CANCEL_WINDOW_EXCEED" => {
                success(
                    &mut json,
                    wire(window_allows.unwrap_or(OffsetDateTime::now_utc())),
                );
            }
            Defect::CancelsRefunded if code == "PROCESS_FAIL" => success(&mut json, now_text),
            Defect::CancelsCaptured if code == "ORDER_STATUS_INVALID" => {
                success(&mut json, now_text)
            }
            Defect::CancelsPastWindow if code == "CANCEL_WINDOW_EXCEED" => {
                success(&mut json, now_text)
            }
            Defect::SwapsNotExistAndParamIllegal if code == "ORDER_NOT_EXIST" => {
                json["result"]["resultCode"] = json!("PARAM_ILLEGAL")
            }
            Defect::SwapsNotExistAndParamIllegal if code == "PARAM_ILLEGAL" => {
                json["result"]["resultCode"] = json!("ORDER_NOT_EXIST")
            }
            Defect::StatusInvalidForWindow if code == "CANCEL_WINDOW_EXCEED" => {
                json["result"]["resultCode"] = json!("ORDER_STATUS_INVALID")
            }
            Defect::StatusInvalidForRefunded if code == "PROCESS_FAIL" => {
                json["result"]["resultCode"] = json!("ORDER_STATUS_INVALID")
            }
            Defect::HidesOtherClientsPayment if code == "ACCESS_DENIED" => {
                json["result"]["resultCode"] = json!("ORDER_NOT_EXIST")
            }
            Defect::UnknownNeverResolves if letter == "U" => {
                let mut memory = lock(&self.memory);
                for key in ["paymentId", "paymentRequestId"] {
                    if let Some(id) = request_json.get(key).and_then(Value::as_str) {
                        memory.answered_unknown.insert(id.to_string());
                    }
                }
            }
            Defect::WrongStatusForCode if code == "PROCESS_FAIL" => {
                json["result"]["resultStatus"] = json!("U")
            }
            Defect::SystemErrorAsFailure if code == "SYSTEM_ERROR" => {
                json["result"]["resultStatus"] = json!("F")
            }
            Defect::NoCancelTimeOnSuccess if letter == "S" => remove(&mut json, "cancelTime"),
            Defect::CancelTimeOnFailure if letter == "F" => json["cancelTime"] = json!(now_text),
            Defect::CancelTimeWithoutOffset => {
                if let Some(Value::String(time)) = json.get_mut("cancelTime") {
                    time.truncate(19);
                }
            }
            Defect::OmitsPaymentRequestId if letter == "S" => remove(&mut json, "paymentRequestId"),
            Defect::SwapsEchoedIds if letter == "S" && is_cancel => {
                let id = json["paymentId"].clone();
                json["paymentId"] = json["paymentRequestId"].clone();
                json["paymentRequestId"] = id;
            }
            Defect::NoResultMessage => {
                if let Some(result) = json.get_mut("result").and_then(Value::as_object_mut) {
                    result.remove("resultMessage");
                }
            }
            Defect::FlipsToSuccessAfterLateNotification => {
                let memory = lock(&self.memory);
                let flipped = json.get("paymentStatus") == Some(&json!("CANCELLED"))
                    && json
                        .get("paymentId")
                        .and_then(Value::as_str)
                        .is_some_and(|id| memory.notified.contains(id));
                if flipped {
                    json["paymentStatus"] = json!("SUCCESS");
                }
            }
            Defect::InquiryHidesFailure if json.get("paymentStatus") == Some(&json!("FAIL")) => {
                json["paymentStatus"] = json!("PROCESSING")
            }
            Defect::FailedCancelReadsCancelled => {
                let mut memory = lock(&self.memory);
                let id = json
                    .get("paymentId")
                    .and_then(Value::as_str)
                    .map(str::to_string);
                if let Some(id) = id {
                    if letter == "S" && is_cancel {
                        memory.cancelled.insert(id);
                    } else if json.get("paymentStatus") == Some(&json!("FAIL"))
                        && memory.cancelled.contains(&id)
                    {
                        json["paymentStatus"] = json!("CANCELLED");
                    }
                }
            }
            Defect::UnpaidNeverCloses if json.get("paymentStatus") == Some(&json!("FAIL")) => {
                let seeded_unpaid = json
                    .get("paymentId")
                    .and_then(Value::as_str)
                    .is_some_and(|id| lock(&self.memory).seeded_unpaid.contains(id));
                if seeded_unpaid {
                    json["paymentStatus"] = json!("PROCESSING");
                }
            }
            Defect::RepeatFailsAfterEvent if letter == "S" && is_cancel => {
                let evented = named
                    .as_ref()
                    .is_some_and(|id| lock(&self.memory).evented_after_cancel.contains(id));
                if evented {
                    json = result_json("PROCESS_FAIL", "F");
                }
            }
            Defect::StaleInquiry if !is_cancel => {
                if let (Some(id), Some(status)) = (
                    json.get("paymentId")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                    json.get("paymentStatus").cloned(),
                ) {
                    let first = lock(&self.memory)
                        .first_status
                        .entry(id)
                        .or_insert(status)
                        .clone();
                    json["paymentStatus"] = first;
                }
            }
            Defect::CancelTimeFromUnknownAttempt
                if is_cancel && (letter == "U" || letter == "S") =>
            {
                if let Some(id) = &named {
                    if letter == "U" {
                        let now = self
                            .view(id)
                            .await
                            .and_then(|view| view.get("now").cloned());
                        if let Some(now) = now {
                            lock(&self.memory).unknown_at.insert(id.clone(), now);
                        }
                    } else if let Some(then) = lock(&self.memory).unknown_at.get(id).cloned() {
                        json["cancelTime"] = then;
                    }
                }
            }
            Defect::AccessDeniedButCancels if code == "ACCESS_DENIED" => {
                let owner = if client == DEFAULT_CLIENT_ID {
                    OTHER_CLIENT_ID
                } else {
                    DEFAULT_CLIENT_ID
                };
                self.cancel_behind(owner, &request.body).await;
            }
            Defect::UnknownButCancels if letter == "U" && is_cancel => {
                self.cancel_behind(&client, &request.body).await;
            }
            Defect::BadSignatureButCancels if code == "INVALID_SIGNATURE" && is_cancel => {
                self.cancel_behind(&client, &request.body).await;
            }
            Defect::CancelTimeUtcLabelledUtc8 => shift_cancel_time(&mut json, |t| {
                let utc = t.to_offset(UtcOffset::UTC);
                utc.replace_offset(UTC8)
            }),
            Defect::CancelTimeRelabelledOffset => {
                shift_cancel_time(&mut json, |t| t.to_offset(UTC8).replace_offset(offset!(+9)))
            }
            Defect::CancelTimeMinutesLate => {
                shift_cancel_time(&mut json, |t| t + Duration::minutes(5))
            }
            Defect::CancelTimeHoursLate => shift_cancel_time(&mut json, |t| t + Duration::hours(8)),
            Defect::CancelTimeFromRealClock if letter == "S" && is_cancel => {
                json["cancelTime"] = json!(now_text)
            }
            Defect::RepeatReportsNow if letter == "S" && is_cancel => {
                let was_cancelled = view_before
                    .as_ref()
                    .is_some_and(|view| view.get("state") == Some(&json!("cancelled")));
                if was_cancelled && let Some(id) = &named {
                    let now = self
                        .view(id)
                        .await
                        .and_then(|view| view.get("now").cloned());
                    if let Some(now) = now {
                        json["cancelTime"] = now;
                    }
                }
            }
            Defect::RepeatChangesCancelTime if letter == "S" && is_cancel => {
                let mut memory = lock(&self.memory);
                memory.successes += 1;
                if let Some(Value::String(time)) = json.get_mut("cancelTime")
                    && let Some(t) = parse_time(time)
                {
                    *time = wire(t + Duration::minutes(i64::from(memory.successes % 50 + 1)));
                }
            }
            Defect::RepeatFails if letter == "S" && is_cancel => {
                let mut memory = lock(&self.memory);
                let ids: Vec<String> = ["paymentId", "paymentRequestId"]
                    .iter()
                    .filter_map(|key| json.get(*key).and_then(Value::as_str).map(str::to_string))
                    .collect();
                if ids.iter().any(|id| memory.cancelled.contains(id)) {
                    json = result_json("ORDER_STATUS_INVALID", "F");
                }
                memory.cancelled.extend(ids);
            }
            _ => {}
        }

        // ----- how the broken server writes its answer
        let body = json.to_string().into_bytes();
        let client_header = if self.defect == Defect::WrongClientIdHeader {
            format!("{client}_X")
        } else {
            client.clone()
        };
        let signed_path = if self.defect == Defect::SignsAnswersOverProductionPath {
            CANCEL.replace("cancel", path.rsplit('/').next().unwrap_or("cancel"))
        } else {
            path.clone()
        };
        let response_time = "2026-11-26T10:00:00+08:00";
        let signed_body = if self.defect == Defect::SignsOtherBytes {
            serde_json::to_vec_pretty(&json).unwrap_or_default()
        } else {
            body.clone()
        };
        let mut signature =
            SignedContent::post(&signed_path, &client_header, response_time, &signed_body)
                .sign(&test_keys::provider_signing(), "1")
                .unwrap_or_default();
        match self.defect {
            Defect::AnswerSignatureWithoutKeyVersion => {
                signature = signature.replace("keyVersion=1,", "");
            }
            Defect::AnswerSignatureNotUrlEncoded => {
                signature = signature
                    .replace("%2B", "+")
                    .replace("%2F", "/")
                    .replace("%3D", "=");
            }
            _ => {}
        }
        let mut headers = Vec::new();
        match self.defect {
            Defect::TextPlainAnswers => headers.push(("content-type".into(), "text/plain".into())),
            Defect::NoContentType => {}
            Defect::WrongCharset => headers.push((
                "content-type".into(),
                "application/json; charset=ISO-8859-1".into(),
            )),
            _ => headers.push((
                "content-type".into(),
                "application/json; charset=UTF-8".into(),
            )),
        }
        let unsigned_error =
            self.defect == Defect::UnsignedErrorAnswers && matches!(letter.as_str(), "F" | "U");
        if self.defect != Defect::UnsignedAnswers && !unsigned_error {
            let names = if self.defect == Defect::TitleCaseAnswerHeaders {
                ["Signature", "Response-Time", "Client-Id"]
            } else {
                ["signature", "response-time", "client-id"]
            };
            headers.push((names[0].into(), signature.clone()));
            if self.defect == Defect::DuplicateSignatureHeader {
                headers.push((names[0].into(), signature));
            }
            headers.push((names[1].into(), response_time.into()));
            headers.push((names[2].into(), client_header));
        } else {
            headers.push(("client-id".into(), client_header));
        }
        let status = if self.defect == Defect::HttpErrorForBusinessFailure
            && json.pointer("/result/resultStatus") == Some(&json!("F"))
        {
            400
        } else {
            status
        };
        Outgoing {
            status,
            headers,
            body,
            cut: false,
        }
    }

    /// A signed answer the proxy makes up itself.
    fn answer(&self, path: &str, client: &str, json: Value) -> Outgoing {
        let body = json.to_string().into_bytes();
        let time = "2026-11-26T10:00:00+08:00";
        let signature = SignedContent::post(path, client, time, &body)
            .sign(&test_keys::provider_signing(), "1")
            .unwrap_or_default();
        Outgoing {
            status: 200,
            headers: vec![
                (
                    "content-type".into(),
                    "application/json; charset=UTF-8".into(),
                ),
                ("signature".into(), signature),
                ("response-time".into(), time.into()),
                ("client-id".into(), client.into()),
            ],
            body,
            cut: false,
        }
    }
}

fn cut() -> Outgoing {
    Outgoing {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        body: b"{\"result\":{}}".to_vec(),
        cut: true,
    }
}

fn remove(json: &mut Value, key: &str) {
    if let Some(object) = json.as_object_mut() {
        object.remove(key);
    }
}

fn set_header(headers: &mut Vec<(String, String)>, name: &str, value: String) {
    headers.retain(|(key, _)| !key.eq_ignore_ascii_case(name));
    headers.push((name.to_string(), value));
}

/// Rewrites an answer's cancelTime, written with an explicit offset.
fn shift_cancel_time(json: &mut Value, change: impl Fn(OffsetDateTime) -> OffsetDateTime) {
    if let Some(Value::String(text)) = json.get_mut("cancelTime")
        && let Some(time) = parse_time(text)
    {
        let changed = change(time);
        let offset = changed.offset();
        let (hours, minutes, _) = offset.as_hms();
        *text = format!(
            "{}{:+03}:{:02}",
            changed
                .format(format_description!(
                    "[year]-[month]-[day]T[hour]:[minute]:[second]"
                ))
                .unwrap_or_default(),
            hours,
            minutes.abs()
        );
    }
}

/// Reads one request (head and a Content-Length body) from the front side.
async fn read_request(stream: &mut tokio::net::TcpStream) -> Option<Incoming> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_string();
    let target = request_line.next()?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.to_string(), value.trim().to_string()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.parse().ok())
        .unwrap_or(0);
    let mut body = buffer[head_end + 4..].to_vec();
    while body.len() < length {
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..read]);
    }
    body.truncate(length);
    Some(Incoming {
        method,
        target,
        headers,
        body,
    })
}

async fn handle(mut stream: tokio::net::TcpStream, proxy: Arc<Proxy>) {
    let Some(request) = read_request(&mut stream).await else {
        return;
    };
    let outgoing = if is_api(request.path()) {
        proxy.api(request).await
    } else {
        proxy.control(request).await
    };
    let mut head = format!("HTTP/1.1 {} X\r\n", outgoing.status);
    for (name, value) in &outgoing.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n",
        outgoing.body.len()
    ));
    let mut bytes = head.into_bytes();
    let body = if outgoing.cut {
        &outgoing.body[..outgoing.body.len() / 2]
    } else {
        &outgoing.body[..]
    };
    bytes.extend_from_slice(body);
    let _ = stream.write_all(&bytes).await;
    let _ = stream.shutdown().await;
}

/// Starts the reference server and a proxy with `defect` in front of it,
/// runs every server case through the proxy, and returns each case that
/// did not pass with its failure.
async fn failing_cases(defect: Defect) -> Vec<(String, String)> {
    failing_cases_of(defect, None).await
}

/// [`failing_cases`] for the cases whose names start with one of `only`,
/// if given, run as against a target without a control plane: their
/// fixtures are seeded beforehand and given as a fixtures file would.
async fn failing_cases_of(defect: Defect, only: Option<&[&str]>) -> Vec<(String, String)> {
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
        memory: Mutex::default(),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    let front = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(handle(stream, proxy.clone()));
        }
    });
    let catalog = Catalog::embedded().expect("catalog");
    let cases = load_cases(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("cases"),
        "server",
        &catalog,
    )
    .expect("cases load");
    // "Nothing fails" must not hold because nothing ran.
    assert!(cases.len() >= 100, "only {} server cases load", cases.len());
    // The proxy forwards to a server of the default profile and time zone:
    // the cases of the others are not its to pass (tests/profiles.rs runs
    // them).
    let cases: Vec<_> = cases
        .into_iter()
        .filter(|loaded| {
            loaded.case.as_ref().map_or(true, |case| {
                case.profile.is_none_or(|p| p == Profile::default())
                    && case.time_zone.is_none_or(|zone| zone == TimeZone::DEFAULT)
            })
        })
        .collect();
    let mut target = Target::with_test_identity(
        &format!("http://{address}"),
        DEFAULT_CLIENT_ID,
        OTHER_CLIENT_ID,
    );
    let cases = match only {
        None => cases,
        Some(names) => {
            let cases: Vec<_> = cases
                .into_iter()
                .filter(|loaded| names.iter().any(|name| loaded.name.starts_with(name)))
                .collect();
            assert_eq!(cases.len(), names.len(), "each named case loads");
            let seeder =
                Target::with_test_identity(&server.base_url, DEFAULT_CLIENT_ID, OTHER_CLIENT_ID);
            let http = http::client(None).expect("http client");
            // A pool per fixture name, as many payments as these cases take.
            let plan = sandbox::plan(&cases, Profile::default());
            let mut fixtures = std::collections::BTreeMap::new();
            for (name, used) in &plan {
                let mut pool = Vec::new();
                for _ in 0..used.payments_needed() {
                    pool.push(seeder.provide(&http, &used.fixture).await.expect("seeds"));
                }
                fixtures.insert(name.clone(), pool);
            }
            target.fixtures = Some(Arc::new(FixturePools::new(fixtures, sandbox::needs(&plan))));
            cases
        }
    };
    let target = Arc::new(target);
    let results = run_all(&cases, target, http::client(None).expect("http client")).await;
    front.abort();
    drop(server);
    let rules_of = |name: &str| -> Vec<String> {
        cases
            .iter()
            .find(|loaded| loaded.name == name)
            .and_then(|loaded| loaded.case.as_ref().ok())
            .map(|case| case.rules.iter().map(|rule| rule.value.clone()).collect())
            .unwrap_or_default()
    };
    results
        .into_iter()
        .filter_map(|(name, outcome)| match outcome {
            Ok(libtest_mimic::Completion::Completed) => None,
            Ok(libtest_mimic::Completion::Ignored { reason }) => {
                Some((name, format!("ignored ({})", reason.unwrap_or_default())))
            }
            Err(failure) => {
                // Without --strict, a failure resting only on assumptions
                // is a warning: said at the end, for the matrix's tally.
                let level = match verdict::classify(&failure, &rules_of(&name), &catalog) {
                    verdict::Verdict::Warning(_) => WARNING_ONLY,
                    verdict::Verdict::Failure => "",
                };
                Some((name, format!("{} {failure:?}{level}", failure.kind())))
            }
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_faithful_proxy_passes_every_case() {
    let failing = failing_cases(Defect::None).await;
    assert!(
        failing.is_empty(),
        "a proxy that only forwards fails:\n{}",
        failing
            .iter()
            .map(|(name, why)| format!("{name}: {why}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// Without a control plane the runner still judges what an F or S left
/// behind, through an inquiry after the cancel.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_control_plane_the_invariants_run_through_inquiry() {
    let cases: &[&str] = &[
        "server/auth/bad-signature-is-invalid-signature",
        "server/cancel/paid-wallet-by-payment-id-is-success",
    ];
    let faithful = failing_cases_of(Defect::None, Some(cases)).await;
    assert!(faithful.is_empty(), "{faithful:?}");
    let failing = failing_cases_of(Defect::BadSignatureButCancels, Some(cases)).await;
    assert!(
        failing.iter().any(|(name, why)| name == cases[0]
            && why.starts_with("MISMATCH ")
            && why.contains("paymentStatus (inquiry after the cancel)")
            && why.contains("CANCELLED")),
        "{failing:?}"
    );
    // An S answer that did not cancel shows the same way.
    let failing = failing_cases_of(
        Defect::CancelsRefunded,
        Some(&["server/refund/fully-refunded-is-process-fail"]),
    )
    .await;
    assert!(
        failing
            .iter()
            .any(|(_, why)| why.contains("paymentStatus (inquiry after the cancel)")),
        "{failing:?}"
    );
}

/// Without a control plane, a cancelTime hours off fails (the vendor's
/// cancelTime is when the cancel happened, judged by the runner's clock),
/// while one a few minutes off stays a warning of the assumed tolerance.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_control_plane_a_cancel_time_hours_off_fails() {
    let cases: &[&str] = &["server/cancel/paid-card-is-success"];
    let failing = failing_cases_of(Defect::CancelTimeHoursLate, Some(cases)).await;
    assert!(
        failing.iter().any(|(name, why)| name == cases[0]
            && why.starts_with("MISMATCH ")
            && why.contains("result.success-fields")
            && !why.ends_with(WARNING_ONLY)),
        "{failing:?}"
    );
    let failing = failing_cases_of(Defect::CancelTimeMinutesLate, Some(cases)).await;
    assert!(
        failing
            .iter()
            .any(|(name, why)| name == cases[0] && why.ends_with(WARNING_ONLY)),
        "{failing:?}"
    );
}

/// A target without a control plane that throttles is waited out; one
/// that keeps throttling ignores the case with that reason. Neither is a
/// mismatch blamed on the target.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_control_plane_throttling_is_waited_out_or_ignored_never_failed() {
    let cases: &[&str] = &["server/cancel/paid-card-is-success"];
    let failing = failing_cases_of(Defect::ThrottlesEveryOtherCall, Some(cases)).await;
    assert!(failing.is_empty(), "waited out: {failing:?}");
    let failing = failing_cases_of(Defect::AlwaysThrottles, Some(cases)).await;
    assert!(
        matches!(failing.as_slice(), [(name, why)] if name == cases[0]
            && why.starts_with("ignored (throttled: the target kept answering REQUEST_TRAFFIC_EXCEED_LIMIT")),
        "{failing:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_defect_fails_for_the_reason_it_names() {
    let mut uncaught = Vec::new();
    let mut report = String::new();
    // A few proxies at a time: each run mostly waits on held answers.
    let mut runs = tokio::task::JoinSet::new();
    let mut results = Vec::new();
    for (index, &(defect, _, _)) in DEFECTS.iter().enumerate() {
        if runs.len() >= 4
            && let Some(done) = runs.join_next().await
        {
            results.push(done.expect("a defect run completes"));
        }
        runs.spawn(async move { (index, failing_cases(defect).await) });
    }
    while let Some(done) = runs.join_next().await {
        results.push(done.expect("a defect run completes"));
    }
    results.sort_by_key(|(index, _)| *index);
    let mut warnings_only = Vec::new();
    for ((defect, case, reason), (_, failing)) in DEFECTS.iter().copied().zip(results) {
        report.push_str(&format!("{defect:?}: {} failing\n", failing.len()));
        // A defect every failing case of which only warns passes a run
        // that is not strict.
        if !failing.is_empty() && failing.iter().all(|(_, why)| why.ends_with(WARNING_ONLY)) {
            warnings_only.push(format!("{defect:?}"));
        }
        // Caught means the named case judged the target wrong (a mismatch,
        // never a case bug or a connection problem), and said why.
        let caught = failing.iter().any(|(name, why)| {
            name.starts_with(case) && why.starts_with("MISMATCH ") && why.contains(reason)
        });
        if !caught {
            let shown: Vec<String> = failing
                .iter()
                .map(|(name, why)| {
                    format!("    {name}: {}", why.chars().take(600).collect::<String>())
                })
                .collect();
            uncaught.push(format!(
                "{defect:?}: expected {case} to fail with `{reason}`; failing:\n{}",
                shown.join("\n")
            ));
        }
    }
    report.push_str(&format!(
        "caught only as warnings (they pass without --strict): {} of {}: {}\n",
        warnings_only.len(),
        DEFECTS.len(),
        warnings_only.join(", ")
    ));
    eprintln!("{report}");
    assert!(DEFECTS.len() >= 40, "the matrix holds at least 40 defects");
    assert!(
        uncaught.is_empty(),
        "defects not caught for their reason:\n{}\n{report}",
        uncaught.join("\n")
    );
}
