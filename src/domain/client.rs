//! What a merchant's client makes of a cancel: its conclusion, and its own
//! record of the payment afterwards (INTERPRETING.md §8). The project's
//! client computes them, the adapter protocol carries them, client cases
//! expect them: one type each for all three.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What a client concludes from a cancel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CancelConclusion {
    /// An S answer arrived and was trusted.
    Cancelled,
    /// An F answer arrived and was trusted.
    Failed,
    /// No conclusive answer within the client's attempts.
    Unknown,
    /// An answer arrived that the client did not trust.
    Refused,
}

impl CancelConclusion {
    /// The name cases and the adapter protocol use.
    pub fn as_str(self) -> &'static str {
        match self {
            CancelConclusion::Cancelled => "cancelled",
            CancelConclusion::Failed => "failed",
            CancelConclusion::Unknown => "unknown",
            CancelConclusion::Refused => "refused",
        }
    }
}

impl fmt::Display for CancelConclusion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The client's own record of a payment (INTERPRETING.md §8, order statuses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderStatus {
    /// Never heard of this payment.
    None,
    /// The buyer paid.
    Success,
    /// A cancel was attempted and its fate is not known (no conclusive or
    /// no trusted answer); the merchant should inquire before acting.
    Unknown,
    /// Cancelled; final.
    Cancelled,
}

impl OrderStatus {
    /// The name the adapter protocol and client cases use.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::None => "NONE",
            OrderStatus::Success => "SUCCESS",
            OrderStatus::Unknown => "UNKNOWN",
            OrderStatus::Cancelled => "CANCELLED",
        }
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The adapter protocol and client cases spell these values through
    // serde, reports and messages through `as_str`: the two must agree.
    #[test]
    fn serde_names_are_the_names_shown() {
        for conclusion in [
            CancelConclusion::Cancelled,
            CancelConclusion::Failed,
            CancelConclusion::Unknown,
            CancelConclusion::Refused,
        ] {
            let json = serde_json::to_value(conclusion).expect("serialises");
            assert_eq!(json, serde_json::json!(conclusion.as_str()));
            let back: CancelConclusion = serde_json::from_value(json).expect("parses");
            assert_eq!(back, conclusion);
        }
        for status in [
            OrderStatus::None,
            OrderStatus::Success,
            OrderStatus::Unknown,
            OrderStatus::Cancelled,
        ] {
            let json = serde_json::to_value(status).expect("serialises");
            assert_eq!(json, serde_json::json!(status.as_str()));
            let back: OrderStatus = serde_json::from_value(json).expect("parses");
            assert_eq!(back, status);
        }
        assert!(serde_json::from_str::<OrderStatus>("\"cancelled\"").is_err());
        assert!(serde_json::from_str::<CancelConclusion>("\"CANCELLED\"").is_err());
    }
}
