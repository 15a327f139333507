//! The project's own client of the cancel API, as a merchant's order
//! service would embed it, and its conformance adapter.
//!
//! [`CancelClient::cancel`] carries out the whole cancel procedure the rules
//! ask of a client: it signs exactly the bytes it sends, calls the sandbox
//! path for `SANDBOX_` client ids, trusts only answers signed by the
//! provider, retries U answers and missing answers with the same
//! identifiers, never retries an F, and records the order. The merchant's
//! order records ([`OrderBook`]) keep a cancelled order CANCELLED whatever
//! payment notification arrives later
//! ([`CancelClient::on_payment_notification`]).
//!
//! ```no_run
//! # async fn demo(config: cancel_conformance::client::ClientConfig) -> Result<(), cancel_conformance::client::ClientError> {
//! use cancel_conformance::client::{CancelClient, CancelOutcome, PaymentRef};
//!
//! let client = CancelClient::new(config)?;
//! match client.cancel(&PaymentRef::by_request_id("order-1234")).await {
//!     CancelOutcome::Cancelled { .. } => { /* release the goods */ }
//!     CancelOutcome::Failed { code, .. } => { /* e.g. CANCEL_WINDOW_EXCEED: refund */ }
//!     _ => { /* in doubt: inquire later */ }
//! }
//! # Ok(())
//! # }
//! ```
//!
//! The parts the procedure is built from ([`wire`], [`retry`],
//! [`notify`], [`orders`]) are public so that other procedures can reuse
//! them; [`adapter`] speaks the suite's adapter protocol around a client.

pub mod adapter;
mod cancel;
mod config;
pub mod notify;
pub mod orders;
pub mod retry;
pub mod wire;

// The types a caller of the client handles, wherever they are defined.
pub use crate::domain::{OrderStatus, PaymentRef};
pub use crate::wire::http::TransportError;
pub use cancel::{
    AttemptNote, CancelClient, CancelOutcome, CancelReport, NotificationEffect, conclusion,
};
pub use config::{ClientConfig, ClientError};
pub use notify::{Notification, NotificationError};
pub use orders::OrderBook;
pub use wire::Untrusted;

#[cfg(test)]
mod tests;
