//! The payment model every part of the project speaks: where a payment is in
//! its life, how it was paid, what can happen to it from outside the cancel
//! API, how it is identified, and what a merchant's client concludes about
//! it. The reference server, the case formats, the project's client and the
//! runner all import these types from here; none of them owns the model.
//!
//! - [`payment`]: [`PaymentState`], [`Method`].
//! - [`events`]: outside [`Event`]s and scripted [`FaultKind`]s.
//! - [`ids`]: [`PaymentIds`] (a payment's two ids) and [`PaymentRef`] (the
//!   ids a request gives, either of which may be absent).
//! - [`client`]: what a merchant's client concludes ([`CancelConclusion`])
//!   and records ([`OrderStatus`]).
//! - [`capability`]: what a client under test is ([`Implementation`]) and
//!   which layers of a client's job it implements ([`Capability`]).
//!
//! The wire shapes of results (`resultStatus`, `paymentStatus`) are the
//! API's schema types in [`crate::spec::api`], which build on this model
//! (the domain imports nothing above it).

pub mod capability;
pub mod client;
pub mod events;
pub mod ids;
pub mod payment;

pub use capability::{Capability, Implementation};
pub use client::{CancelConclusion, OrderStatus};
pub use events::{Event, FaultKind};
pub use ids::{PaymentIds, PaymentRef};
pub use payment::{Method, PaymentState};
