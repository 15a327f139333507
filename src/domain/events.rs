//! What happens to a payment outside the cancel API (the buyer pays, a
//! capture, a refund) and the faults a provider can be scripted to show.
//! Cases ask for them; the reference server's control plane makes them
//! happen.

use schemars::JsonSchema;
use serde::Deserialize;

/// Something that happens to a payment outside the cancel API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Event {
    /// The buyer's payment succeeds (for a cancelled payment: a late
    /// payment-success notification, which must change nothing).
    PaymentSuccess,
    /// A capture of the payment starts.
    CaptureStarted,
    /// The payment is captured.
    Captured,
    /// Part of the amount is refunded.
    PartlyRefunded,
    /// The whole amount is refunded.
    FullyRefunded,
}

impl Event {
    pub fn as_str(self) -> &'static str {
        match self {
            Event::PaymentSuccess => "payment-success",
            Event::CaptureStarted => "capture-started",
            Event::Captured => "captured",
            Event::PartlyRefunded => "partly-refunded",
            Event::FullyRefunded => "fully-refunded",
        }
    }
}

/// The kinds of scripted fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum FaultKind {
    /// Answer U with `code` and change nothing.
    Unknown,
    /// Carry out the call, then hold the answer for `delay_ms`.
    Delay,
    /// Carry out the call, then close the connection without a complete answer.
    Drop,
}
