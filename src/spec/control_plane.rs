//! The control plane's contract (INTERPRETING.md §5): where it lives, the
//! token that guards it, and the bodies of its calls and answers. The
//! reference server serves it and the runner calls it, both through these
//! types, so neither imports the other. Plain JSON in camelCase, never
//! signed; errors are HTTP 4xx with `{"error": "..."}` ([`ErrorAnswer`]).
//!
//! The client ids are here too: the reference server knows them from its
//! start and the suite calls (and plays the provider for) them.

use serde::{Deserialize, Serialize, Serializer};

use crate::domain::{Event, FaultKind, Method, PaymentState};

/// Where the control plane lives: every conforming mock serves it under
/// this prefix.
pub const PREFIX: &str = "/control/v1";

/// The id of the payment the runner's pre-flight probe asks for: no
/// payment has it, so a control plane answers HTTP 404 with an
/// [`ErrorAnswer`].
pub const PROBE_PAYMENT_ID: &str = "cancel-conformance-probe";

/// The client id the suite runs as by default.
pub const DEFAULT_CLIENT_ID: &str = "CONFORMANCE_TEST_CLIENT";
/// A second client id of the same merchant, for access-denied cases.
pub const OTHER_CLIENT_ID: &str = "CONFORMANCE_OTHER_CLIENT";
/// A client id with the sandbox prefix, for the sandbox paths.
pub const SANDBOX_CLIENT_ID: &str = "SANDBOX_CONFORMANCE_TEST_CLIENT";

/// The scheme a control-plane call carries its token under, in the
/// `Authorization` header.
pub const CONTROL_TOKEN_SCHEME: &str = "Bearer";

/// Why a text cannot be a control token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Empty, it would open the control plane to anyone.
    #[error("the control token is empty")]
    Empty,
    #[error("the control token must be printable ASCII without spaces")]
    NotPrintable,
}

/// The secret every control-plane call must present when the server is
/// given one (`serve --control-token-file`, or the environment variable
/// `CANCEL_CONFORMANCE_CONTROL_TOKEN`). Its `Debug` shows `***`: the token
/// opens the control plane, which can seed, cancel and refund at will.
#[derive(Clone, PartialEq, Eq)]
pub struct ControlToken {
    /// `Bearer <token>`, the `Authorization` value a call must carry; made
    /// once, so that checking a call builds nothing.
    authorization: String,
}

impl ControlToken {
    /// A token from text as read from a file or the environment: blanks
    /// around it (a trailing newline) are dropped; an empty token is
    /// refused, since it would open the control plane to anyone.
    pub fn new(text: &str) -> Result<Self, TokenError> {
        let token = text.trim();
        if token.is_empty() {
            return Err(TokenError::Empty);
        }
        if !token.bytes().all(|byte| byte.is_ascii_graphic()) {
            return Err(TokenError::NotPrintable);
        }
        Ok(Self {
            authorization: format!("{CONTROL_TOKEN_SCHEME} {token}"),
        })
    }

    /// The `Authorization` header value a caller sends.
    pub fn authorization(&self) -> &str {
        &self.authorization
    }

    /// True when an `Authorization` header value carries this token. The
    /// comparison takes the same time wherever the first difference is, so
    /// the token cannot be guessed byte by byte from response times.
    pub fn admits(&self, authorization: &[u8]) -> bool {
        let expected = self.authorization.as_bytes();
        if authorization.len() != expected.len() {
            return false;
        }
        authorization
            .iter()
            .zip(expected)
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0
    }
}

impl std::fmt::Debug for ControlToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ControlToken(***)")
    }
}

// ----- POST /control/v1/payments

/// Seeds a payment (or, with `count`, that many alike). Unknown fields are
/// errors, so that a typo in a case never passes silently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedRequest {
    #[serde(serialize_with = "state_name")]
    pub state: PaymentState,
    #[serde(default, serialize_with = "method_name")]
    pub method: Method,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_ms: Option<u64>,
    /// The owning client id; the server's default client when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Control plane 1.1: what the payment's clock reads at seeding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock: Option<String>,
    /// Control plane 1.1: when the buyer paid, on the payment's clock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid_at: Option<String>,
    /// Control plane 1.1: when the order was created, on the payment's clock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// The bulk form: this many payments alike, for benchmarks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
}

/// A seeded payment's ids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeededPayment {
    pub payment_id: String,
    pub payment_request_id: String,
}

impl From<crate::domain::PaymentIds> for SeededPayment {
    fn from(ids: crate::domain::PaymentIds) -> Self {
        SeededPayment {
            payment_id: ids.payment_id,
            payment_request_id: ids.payment_request_id,
        }
    }
}

impl From<SeededPayment> for crate::domain::PaymentIds {
    fn from(ids: SeededPayment) -> Self {
        crate::domain::PaymentIds {
            payment_id: ids.payment_id,
            payment_request_id: ids.payment_request_id,
        }
    }
}

/// The answer to either form of a seed: one payment's ids, or (with
/// `count`) how many were made and the ids of the first and the last; the
/// ids in between follow from those (INTERPRETING.md §5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Seeded {
    One(SeededPayment),
    Many {
        count: u64,
        first: SeededPayment,
        last: SeededPayment,
    },
}

// ----- GET /control/v1/payments/{paymentId}

/// What the control plane says of a payment now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentInfo {
    pub payment_id: String,
    pub payment_request_id: String,
    pub state: String,
    pub method: String,
    pub owner: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancel_time: Option<String>,
    /// Control plane 1.1: when the buyer paid, and what the payment's
    /// clock reads now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid_at: Option<String>,
    pub now: String,
}

// ----- POST /control/v1/payments/{paymentId}/events

/// Makes an outside event happen to a payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EventRequest {
    #[serde(serialize_with = "event_name")]
    pub event: Event,
}

/// Whether the event changed the payment, and its state after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventAnswer {
    pub applied: bool,
    pub state: String,
}

// ----- POST /control/v1/payments/{paymentId}/advance

/// Moves a payment's clock forward.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AdvanceRequest {
    pub ms: u64,
}

// ----- POST /control/v1/payments/{paymentId}/faults

/// Scripts a fault on a payment's next calls. A field the kind does not
/// use is an error (the server checks), because the case that sent it
/// expects an effect it will not get.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultRequest {
    #[serde(serialize_with = "fault_kind_name")]
    pub kind: FaultKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
}

/// The answer of a call that only does something (advance, faults): `{}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Done {}

// ----- GET /control/v1/requests?paymentId=...: the request log, as the
// server's request log records it.

/// Every refusal of the control plane, whatever the call: exactly this
/// one field (the runner's probe tells a control plane by it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorAnswer {
    pub error: String,
}

// The domain's enums are read from case files and never written, so the
// names they are sent under are spelled here.

fn state_name<S: Serializer>(state: &PaymentState, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(state.as_str())
}

fn method_name<S: Serializer>(method: &Method, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(method.as_str())
}

fn event_name<S: Serializer>(event: &Event, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(event.as_str())
}

fn fault_kind_name<S: Serializer>(kind: &FaultKind, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(match kind {
        FaultKind::Unknown => "unknown",
        FaultKind::Delay => "delay",
        FaultKind::Drop => "drop",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_read_back_as_they_were_written() {
        let seed = SeedRequest {
            state: PaymentState::Paid,
            method: Method::default(),
            age_ms: Some(5),
            owner: Some(DEFAULT_CLIENT_ID.into()),
            clock: None,
            paid_at: None,
            created_at: None,
            count: None,
        };
        let text = serde_json::to_string(&seed).expect("written");
        assert_eq!(
            serde_json::from_str::<SeedRequest>(&text).expect("read"),
            seed
        );
        let fault = FaultRequest {
            kind: FaultKind::Delay,
            code: None,
            count: Some(1),
            delay_ms: Some(250),
        };
        assert_eq!(
            serde_json::to_string(&fault).expect("written"),
            r#"{"kind":"delay","count":1,"delayMs":250}"#
        );
        assert_eq!(serde_json::to_string(&Done {}).expect("written"), "{}");
        assert!(serde_json::from_str::<EventRequest>(r#"{"event":"captured","x":1}"#).is_err());
    }

    #[test]
    fn the_token_is_checked_and_never_shown() {
        let token = ControlToken::new("  secret\n").expect("blanks dropped");
        assert_eq!(token.authorization(), "Bearer secret");
        assert!(token.admits(b"Bearer secret"));
        assert!(!token.admits(b"Bearer secreT"));
        assert_eq!(format!("{token:?}"), "ControlToken(***)");
        assert_eq!(ControlToken::new(" \n"), Err(TokenError::Empty));
        assert_eq!(
            ControlToken::new("two words"),
            Err(TokenError::NotPrintable)
        );
    }
}
