//! A payment's life and how it was paid: the two facts every rule about
//! cancelling reads. Cases name them for a fixture; the reference server
//! keeps them for each payment.

use schemars::JsonSchema;
use serde::Deserialize;

/// Where a payment is in its life.
// The case schema has always called this `FixtureState` (a fixture is a
// payment in a given state); the name in the schema stays, so that the
// generated file and every tool reading it are unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(rename = "FixtureState")]
pub enum PaymentState {
    /// Created; the buyer has not paid yet.
    AwaitingBuyer,
    /// The buyer paid; nothing captured or refunded.
    Paid,
    /// A card payment whose capture is under way.
    Capturing,
    /// Captured.
    Captured,
    /// Part of the amount was refunded.
    PartlyRefunded,
    /// The whole amount was refunded.
    FullyRefunded,
    /// Already cancelled.
    Cancelled,
    /// The payment failed.
    Failed,
}

impl PaymentState {
    /// Whether the buyer has paid: the payment succeeded, whatever
    /// happened to it since (captured, refunded) short of a cancel.
    pub fn is_paid(self) -> bool {
        matches!(
            self,
            PaymentState::Paid
                | PaymentState::Capturing
                | PaymentState::Captured
                | PaymentState::PartlyRefunded
                | PaymentState::FullyRefunded
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PaymentState::AwaitingBuyer => "awaiting-buyer",
            PaymentState::Paid => "paid",
            PaymentState::Capturing => "capturing",
            PaymentState::Captured => "captured",
            PaymentState::PartlyRefunded => "partly-refunded",
            PaymentState::FullyRefunded => "fully-refunded",
            PaymentState::Cancelled => "cancelled",
            PaymentState::Failed => "failed",
        }
    }
}

/// How the buyer pays.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// A card: cancellable up to 7 days after payment, never once captured.
    Card,
    /// Any other method (a wallet): cancellable until 00:15 UTC+8 the next day.
    #[default]
    Wallet,
    /// A method cancellable only until the buyer has paid (the Antom guides'
    /// online banking and bank transfers). Control plane 1.2, antom profile.
    UnpaidOnly,
    /// A method never cancellable (the Antom guides' Indonesian methods).
    /// Control plane 1.2, antom profile.
    Uncancellable,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Card => "card",
            Method::Wallet => "wallet",
            Method::UnpaidOnly => "unpaid-only",
            Method::Uncancellable => "uncancellable",
        }
    }
}
