//! The defects: every way the broken server can be wrong, and for each the
//! proof that the suite catches it for its reason.

/// One way a server can be wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Defect {
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
pub const DEFECTS: &[(Defect, &str, &str)] = &[
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
