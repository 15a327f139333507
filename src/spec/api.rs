//! The wire shapes of the cancel API and of the inquiry used to observe a
//! payment's status. These types are the single source of truth: the JSON
//! Schemas and the OpenAPI document under `spec/` are generated from them,
//! and their doc comments become the schemas' descriptions.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The longest `paymentId` / `paymentRequestId` the API accepts.
pub const MAX_ID_LEN: usize = 64;
/// The longest `merchantAccountId` the API accepts.
pub const MAX_MERCHANT_ACCOUNT_ID_LEN: usize = 32;

/// Production path of the cancel API.
pub const CANCEL_PATH: &str = "/ams/api/v1/payments/cancel";
/// Sandbox path of the cancel API: SDKs rewrite `/ams/api` to
/// `/ams/sandbox/api` for client ids starting with `SANDBOX_`.
pub const SANDBOX_CANCEL_PATH: &str = "/ams/sandbox/api/v1/payments/cancel";
/// Production path of the payment inquiry.
pub const INQUIRY_PATH: &str = "/ams/api/v1/payments/inquiryPayment";
/// Sandbox path of the payment inquiry.
pub const SANDBOX_INQUIRY_PATH: &str = "/ams/sandbox/api/v1/payments/inquiryPayment";
/// Client ids with this prefix talk to the sandbox paths.
pub const SANDBOX_CLIENT_PREFIX: &str = "SANDBOX_";

/// The path a client with this id must call for the given production path.
pub fn path_for_client(client_id: &str, production_path: &str) -> String {
    if client_id.starts_with(SANDBOX_CLIENT_PREFIX) {
        production_path.replacen("/ams/api", "/ams/sandbox/api", 1)
    } else {
        production_path.to_string()
    }
}

/// Matches an RFC 3339 date-time that carries its offset explicitly
/// (`Z` or `±hh:mm`). `format: date-time` alone is an annotation in many
/// validators, so the offset requirement is also spelled as a pattern.
pub const DATE_TIME_WITH_OFFSET_PATTERN: &str = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$";

/// Body of `POST /ams/api/v1/payments/cancel`: cancel one payment in full.
///
/// At least one of `paymentId` and `paymentRequestId` is present; when both
/// are, `paymentId` takes precedence. A field sent as `null` counts as absent
/// (some official SDKs send unset fields so). There is no amount: only full
/// cancellation exists, and no other field is accepted.
///
/// As generated types: the schema is one closed shape per id (`anyOf`), so
/// openapi-typescript and json-schema-to-typescript give a union that
/// rejects a non-object, a body naming neither id and any other field.
/// Types cannot carry the lengths (`minLength`, `maxLength`), and quicktype
/// merges the shapes into one with both ids optional, losing "at least one
/// id": those rules hold when this schema validates a body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(
    title = "CancelRequest",
    transform = crate::spec::id_branches::one_shape_per_id,
    example = example_request_by_payment_id(),
    example = example_request_by_payment_request_id()
)]
pub struct CancelRequest {
    /// The identifier the provider assigned to the payment. Takes precedence
    /// over `paymentRequestId` when both are given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 64), extend("x-null-means-absent" = true))]
    pub payment_id: Option<String>,
    /// The identifier the merchant assigned to its pay request; one-to-one
    /// with `paymentId`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 64), extend("x-null-means-absent" = true))]
    pub payment_request_id: Option<String>,
    /// The merchant account, when one client id serves several locations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 32), extend("x-null-means-absent" = true))]
    pub merchant_account_id: Option<String>,
}

/// The outcome of a call, present in every answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "Result", title = "Result", transform = crate::spec::schema::pair_codes_with_statuses)]
#[schemars(transform = require_result_message)]
pub struct ResultInfo {
    /// Why the call ended as it did. Each known code pairs with exactly one
    /// `resultStatus` (see `spec/result-codes.yaml`); an unknown code may
    /// carry any status.
    pub result_code: String,
    /// S: succeeded. F: failed, the code says why. U: unknown, retry with
    /// the same identifier.
    pub result_status: ResultStatus,
    /// A human-readable explanation; not for program logic. Every answer
    /// carries it (rule `result.object-always-present`); a reader tolerates
    /// its absence, the schema does not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_message: Option<String>,
}

/// `resultMessage` is optional to read (a client tolerates its absence)
/// but required of a server, so the schema that judges answers requires it.
fn require_result_message(schema: &mut schemars::Schema) {
    if let Some(serde_json::Value::Array(required)) = schema.get_mut("required") {
        required.push(serde_json::Value::String("resultMessage".into()));
    }
}

/// The three outcomes of a call. S: it succeeded. F: it failed, and
/// `resultCode` says why; do not retry blindly. U: the outcome is unknown;
/// retry with the same identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "ResultStatus")]
pub enum ResultStatus {
    S,
    F,
    U,
}

impl ResultStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ResultStatus::S => "S",
            ResultStatus::F => "F",
            ResultStatus::U => "U",
        }
    }
}

impl std::fmt::Display for ResultStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Answer of the cancel API, always with HTTP 200. On `S` it names the
/// cancelled payment and when it was cancelled.
///
/// As generated types: the fields and their types carry over; the rules
/// between fields (on `S`, the ids and `cancelTime` are required; each
/// known `resultCode` comes with one `resultStatus`), the lengths and the
/// date-time pattern hold only when this schema validates an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(
    title = "CancelResponse",
    extend("if" = {"required": ["result"], "properties": {"result": {"type": "object", "properties": {"resultStatus": {"const": "S"}}}}},
           "then" = {"required": ["paymentId", "paymentRequestId", "cancelTime"], "properties": {"paymentId": true, "paymentRequestId": true, "cancelTime": true}}),
    example = example_response_success()
)]
pub struct CancelResponse {
    /// The outcome of the cancel.
    pub result: ResultInfo,
    /// The provider's identifier of the cancelled payment; present on `S`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 64))]
    pub payment_id: Option<String>,
    /// The merchant's identifier of the cancelled payment; present on `S`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 64))]
    pub payment_request_id: Option<String>,
    /// When the payment was cancelled: RFC 3339 with an explicit offset,
    /// e.g. `2019-06-12T19:07:11+08:00`; present on `S`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        extend("format" = "date-time", "pattern" = DATE_TIME_WITH_OFFSET_PATTERN)
    )]
    pub cancel_time: Option<String>,
}

/// Body of `POST /ams/api/v1/payments/inquiryPayment`, reduced to what the
/// suite needs to observe a payment's status. At least one of `paymentId`
/// and `paymentRequestId` is present and not null; other fields are allowed.
///
/// As generated types: one shape per id (`anyOf`), so openapi-typescript and
/// json-schema-to-typescript give a union that rejects a non-object and a
/// body naming neither id. The lengths, and for quicktype "at least one id",
/// hold only when this schema validates a body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(
    title = "InquiryRequest",
    transform = crate::spec::id_branches::one_shape_per_id,
    example = example_request_by_payment_id()
)]
pub struct InquiryRequest {
    /// The identifier the provider assigned to the payment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 64), extend("x-null-means-absent" = true))]
    pub payment_id: Option<String>,
    /// The identifier the merchant assigned to its pay request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 64), extend("x-null-means-absent" = true))]
    pub payment_request_id: Option<String>,
    /// The merchant account, when one client id serves several locations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 32), extend("x-null-means-absent" = true))]
    pub merchant_account_id: Option<String>,
}

/// Answer of the payment inquiry; on `S` it carries `paymentStatus`.
///
/// As generated types: the fields and their types carry over; the rules
/// between fields (on `S`, `paymentStatus` is required; each known
/// `resultCode` comes with one `resultStatus`) and the lengths hold only
/// when this schema validates an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(
    title = "InquiryResponse",
    extend("if" = {"required": ["result"], "properties": {"result": {"type": "object", "properties": {"resultStatus": {"const": "S"}}}}},
           "then" = {"required": ["paymentStatus"], "properties": {"paymentStatus": true}}),
    example = example_inquiry_response()
)]
pub struct InquiryResponse {
    /// The outcome of the inquiry itself (not of the payment).
    pub result: ResultInfo,
    /// The payment's current status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_status: Option<PaymentStatus>,
    /// The provider's identifier of the payment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 64))]
    pub payment_id: Option<String>,
    /// The merchant's identifier of the payment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 64))]
    pub payment_request_id: Option<String>,
}

/// A payment's status as the inquiry reports it. SUCCESS: the buyer paid.
/// FAIL: the payment failed. PROCESSING: under way, the buyer has not paid
/// yet. CANCELLED: cancelled, and it stays so whatever arrives later.
/// PENDING: waiting on a step outside the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[schemars(title = "PaymentStatus")]
pub enum PaymentStatus {
    Success,
    Fail,
    Processing,
    Cancelled,
    Pending,
}

impl PaymentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Success => "SUCCESS",
            PaymentStatus::Fail => "FAIL",
            PaymentStatus::Processing => "PROCESSING",
            PaymentStatus::Cancelled => "CANCELLED",
            PaymentStatus::Pending => "PENDING",
        }
    }
}

fn example_request_by_payment_id() -> serde_json::Value {
    serde_json::json!({"paymentId": "2019061218401080010018882020035XXXX"})
}

fn example_request_by_payment_request_id() -> serde_json::Value {
    serde_json::json!({"paymentRequestId": "paymentRequestIdXXXX"})
}

fn example_response_success() -> serde_json::Value {
    serde_json::json!({
        "cancelTime": "2019-06-12T19:07:11+08:00",
        "paymentId": "2019061218401080010018882020035XXXX",
        "paymentRequestId": "pay_2089760038715669_20277574507XXXX",
        "result": {"resultCode": "SUCCESS", "resultMessage": "Success", "resultStatus": "S"}
    })
}

fn example_inquiry_response() -> serde_json::Value {
    serde_json::json!({
        "paymentId": "2019061218401080010018882020035XXXX",
        "paymentRequestId": "pay_2089760038715669_20277574507XXXX",
        "paymentStatus": "CANCELLED",
        "result": {"resultCode": "SUCCESS", "resultMessage": "Success", "resultStatus": "S"}
    })
}
