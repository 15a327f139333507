//! How a payment is identified: the provider's `paymentId` and the
//! merchant's `paymentRequestId`.
//!
//! Two types, because they are two concepts: [`PaymentIds`] is what a
//! payment *has* (both ids, always), [`PaymentRef`] is what a request
//! *gives* (either id may be missing, and the request is still about one
//! payment).

use std::fmt;

use serde::Deserialize;

/// Both identifiers of one payment: what the reference server hands out
/// when it seeds a payment, what a fixtures file maps a fixture name to,
/// and what an answer about the payment names.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentIds {
    /// The id the provider assigned to the payment.
    pub payment_id: String,
    /// The id the merchant assigned to its pay request.
    pub payment_request_id: String,
}

/// The payment a cancel (or a status question) is about. At least one id
/// must be given for a cancel; when both are, the provider goes by
/// `payment_id`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct PaymentRef {
    /// The id the provider assigned to the payment.
    pub payment_id: Option<String>,
    /// The id the merchant assigned to its pay request.
    pub payment_request_id: Option<String>,
}

impl PaymentRef {
    pub fn new(payment_id: Option<String>, payment_request_id: Option<String>) -> Self {
        Self {
            payment_id,
            payment_request_id,
        }
    }

    pub fn by_payment_id(payment_id: impl Into<String>) -> Self {
        Self::new(Some(payment_id.into()), None)
    }

    pub fn by_request_id(payment_request_id: impl Into<String>) -> Self {
        Self::new(None, Some(payment_request_id.into()))
    }

    pub fn is_empty(&self) -> bool {
        self.payment_id.is_none() && self.payment_request_id.is_none()
    }
}

impl From<&PaymentIds> for PaymentRef {
    /// A reference by both of a payment's ids.
    fn from(ids: &PaymentIds) -> Self {
        Self::new(
            Some(ids.payment_id.clone()),
            Some(ids.payment_request_id.clone()),
        )
    }
}

impl fmt::Display for PaymentRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.payment_id, &self.payment_request_id) {
            (Some(id), Some(request)) => write!(f, "paymentId {id} / paymentRequestId {request}"),
            (Some(id), None) => write!(f, "paymentId {id}"),
            (None, Some(request)) => write!(f, "paymentRequestId {request}"),
            (None, None) => f.write_str("(no payment id)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reference_by_both_ids_names_both() {
        let ids = PaymentIds {
            payment_id: "P1".into(),
            payment_request_id: "R1".into(),
        };
        let reference = PaymentRef::from(&ids);
        assert_eq!(
            reference,
            PaymentRef::new(Some("P1".into()), Some("R1".into()))
        );
        assert_eq!(reference.to_string(), "paymentId P1 / paymentRequestId R1");
        assert!(PaymentRef::default().is_empty());
        assert_eq!(
            PaymentRef::by_request_id("R1").to_string(),
            "paymentRequestId R1"
        );
    }

    #[test]
    fn a_fixtures_entry_with_an_unknown_key_is_refused() {
        let parsed: Result<PaymentIds, _> = serde_json::from_value(serde_json::json!({
            "payment_id": "P1", "payment_request_id": "R1", "amount": 1
        }));
        assert!(parsed.is_err());
    }
}
