//! The client-case format: one YAML file per client behaviour under
//! `cases/client/`. The suite plays the provider: a case scripts what the
//! provider answers, drives the client through its adapter, and says what
//! the client must conclude. These types generate
//! `spec/client-case.schema.json`.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_saphyr::Spanned;

/// One client conformance case.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "ClientCase")]
pub struct ClientCase {
    /// The behaviour, stated as a fact, never as a wish.
    #[schemars(length(min = 10, max = 200))]
    pub description: String,
    /// Ids of the rules in `spec/rules.yaml` this case checks.
    #[schemars(with = "Vec<String>", length(min = 1))]
    pub rules: Vec<Spanned<String>>,
    /// Which client id the client under test calls as.
    #[serde(default)]
    pub client: Identity,
    /// What the scripted provider answers to the successive cancel
    /// requests it receives; once the list is used up, its last entry
    /// answers every further request.
    #[schemars(length(min = 1))]
    pub answers: Vec<Answer>,
    /// What the case does, in order.
    #[schemars(with = "Vec<ClientStep>", length(min = 1))]
    pub steps: Vec<Spanned<ClientStep>>,
}

/// The client id the client under test is given.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Identity {
    /// An ordinary (production) client id.
    #[default]
    Production,
    /// A client id starting with `SANDBOX_`: the client must call the
    /// `/ams/sandbox/api/...` paths.
    Sandbox,
}

/// One scripted answer of the provider to a cancel request.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Answer {
    /// S SUCCESS with the payment's ids and a cancelTime, signed.
    Success,
    /// U with this code (SYSTEM_ERROR, REQUEST_TRAFFIC_EXCEED_LIMIT,
    /// UNKNOWN_EXCEPTION), signed.
    Unknown(String),
    /// F with this code, signed.
    Fail(String),
    /// No answer within the client's timeout.
    Timeout,
    /// S SUCCESS with no signature headers.
    Unsigned,
    /// S SUCCESS with a signature that does not verify.
    BadSignature,
}

/// One step of a client case.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub enum ClientStep {
    /// Ask the client to cancel the case's payment.
    Cancel(ClientCancelStep),
    /// Deliver a payment notification to the client, as the provider would.
    Notify(NotifyStep),
    /// Ask the client for its own record of the payment.
    Status(StatusStep),
}

/// Which identifiers the client is given for the payment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum GivenIds {
    /// The `paymentId` only.
    #[default]
    PaymentId,
    /// The `paymentRequestId` only.
    PaymentRequestId,
    /// Both.
    Both,
}

/// A cancel through the client, and what must come of it.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientCancelStep {
    /// Which identifiers the client is given.
    #[serde(default)]
    pub by: GivenIds,
    /// What must come of it.
    pub expect: ClientExpect,
}

/// What a client concludes from a cancel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// An S answer arrived and was trusted.
    Cancelled,
    /// An F answer arrived and was trusted.
    Failed,
    /// No conclusive answer within the client's attempts.
    Unknown,
    /// An answer arrived that the client did not trust.
    Refused,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Cancelled => "cancelled",
            Outcome::Failed => "failed",
            Outcome::Unknown => "unknown",
            Outcome::Refused => "refused",
        }
    }
}

/// What a cancel step must show.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientExpect {
    /// The client's conclusion.
    pub outcome: Outcome,
    /// The result code the client reports (for `failed`).
    #[serde(default)]
    pub result_code: Option<String>,
    /// Exactly how many cancel requests the client sends in this step.
    #[serde(default)]
    #[schemars(range(min = 1, max = 20))]
    pub attempts: Option<u32>,
    /// At least this many cancel requests (a client that must retry).
    #[serde(default)]
    #[schemars(range(min = 1, max = 20))]
    pub min_attempts: Option<u32>,
}

/// The notifications the provider sends a merchant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Notification {
    /// The buyer's payment succeeded.
    PaymentSuccess,
}

/// A notification delivered to the client.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NotifyStep {
    /// What the provider notifies.
    pub event: Notification,
    /// Whether the notification carries a good signature (the default) or
    /// one that does not verify.
    #[serde(default)]
    pub signature: NotificationSignature,
    /// Whether the client must accept it: by default, a well-signed
    /// notification is accepted and a badly signed one is not.
    #[serde(default)]
    pub accepted: Option<bool>,
}

/// How a delivered notification is signed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum NotificationSignature {
    /// Signed by the provider over the exact body.
    #[default]
    Valid,
    /// A signature over other bytes: it does not verify.
    Bad,
}

/// The client's own record of a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderStatus {
    Cancelled,
    Success,
    Unknown,
    None,
}

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Cancelled => "CANCELLED",
            OrderStatus::Success => "SUCCESS",
            OrderStatus::Unknown => "UNKNOWN",
            OrderStatus::None => "NONE",
        }
    }
}

/// Asks the client for its record of the payment.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusStep {
    /// The record the client must hold.
    pub expect: OrderStatus,
}
