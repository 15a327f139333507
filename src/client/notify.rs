//! Payment notifications the provider sends to the merchant: checking that
//! one really comes from the provider, and reading what it says.
//!
//! A notification is signed like an answer, with the provider key, over
//! `POST <path>\n<client-id>.<request-time>.<exact body bytes>`, where path
//! is the merchant's own notification path the provider called. Only a
//! verified notification may change an order.

use std::fmt;

use serde::Deserialize;

use crate::domain::PaymentRef;
use crate::signing::{SignedContent, VerifyError, VerifyingKey};
use crate::wire::headers::{CLIENT_ID, REQUEST_TIME, SIGNATURE, header};

/// The `notifyType` of a payment result.
pub const PAYMENT_RESULT: &str = "PAYMENT_RESULT";

/// What a verified notification says, reduced to what the orders need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// `None` when the body has no `notifyType`.
    pub notify_type: Option<String>,
    pub payment: PaymentRef,
    /// `result.resultStatus` as sent (`S`, `F`, `U`).
    pub result_status: Option<String>,
    pub result_code: Option<String>,
}

impl Notification {
    /// Whether this says the buyer's payment succeeded. A body without
    /// `notifyType` is read as a payment result, the only kind a payment
    /// notification path receives.
    pub fn is_payment_success(&self) -> bool {
        self.notify_type
            .as_deref()
            .is_none_or(|kind| kind == PAYMENT_RESULT)
            && self.result_status.as_deref() == Some("S")
    }
}

/// Why a notification was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotificationError {
    /// A header needed to check the signature is absent.
    MissingHeader { name: &'static str },
    /// The notification is addressed to another client id.
    OtherClient { found: String },
    /// The signature does not verify with the provider key.
    BadSignature(VerifyError),
    /// The body is not a JSON notification.
    NotParseable { detail: String },
    /// The body names no payment.
    NoIdentifier,
}

impl fmt::Display for NotificationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotificationError::MissingHeader { name } => write!(
                f,
                "the notification has no `{name}` header, so its signature cannot be checked"
            ),
            NotificationError::OtherClient { found } => {
                write!(
                    f,
                    "the notification is for client id `{found}`, not this client"
                )
            }
            NotificationError::BadSignature(error) => {
                write!(f, "the notification's signature does not verify: {error}")
            }
            NotificationError::NotParseable { detail } => {
                write!(f, "the notification body is not a notification: {detail}")
            }
            NotificationError::NoIdentifier => {
                f.write_str("the notification names neither paymentId nor paymentRequestId")
            }
        }
    }
}

impl std::error::Error for NotificationError {}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Body {
    #[serde(default)]
    notify_type: Option<String>,
    #[serde(default)]
    payment_id: Option<String>,
    #[serde(default)]
    payment_request_id: Option<String>,
    #[serde(default)]
    result: Option<BodyResult>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BodyResult {
    #[serde(default)]
    result_status: Option<String>,
    #[serde(default)]
    result_code: Option<String>,
}

/// Verifies a notification received at `path` and reads it. Header names
/// are matched case-insensitively.
pub fn verify_notification(
    provider_key: &VerifyingKey,
    client_id: &str,
    path: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<Notification, NotificationError> {
    let required =
        |name: &'static str| header(headers, name).ok_or(NotificationError::MissingHeader { name });
    let signature = required(SIGNATURE)?;
    let request_time = required(REQUEST_TIME)?;
    let named_client = required(CLIENT_ID)?;
    if named_client != client_id {
        return Err(NotificationError::OtherClient {
            found: named_client.to_string(),
        });
    }
    SignedContent::post(path, client_id, request_time, body)
        .verify(provider_key, signature)
        .map_err(NotificationError::BadSignature)?;
    parse_notification(body)
}

/// Reads a notification body; it must already be verified.
pub fn parse_notification(body: &[u8]) -> Result<Notification, NotificationError> {
    let parsed: Body =
        serde_json::from_slice(body).map_err(|err| NotificationError::NotParseable {
            detail: err.to_string(),
        })?;
    let payment = PaymentRef::new(parsed.payment_id, parsed.payment_request_id);
    if payment.is_empty() {
        return Err(NotificationError::NoIdentifier);
    }
    let (result_status, result_code) = match parsed.result {
        Some(result) => (result.result_status, result.result_code),
        None => (None, None),
    };
    Ok(Notification {
        notify_type: parsed.notify_type,
        payment,
        result_status,
        result_code,
    })
}
