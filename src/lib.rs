//! cancel-conformance: the declarative specification and conformance-test
//! suite for the payment **cancel** API.
//!
//! One flow: the Rust types in [`spec`] generate the checked-in schemas under
//! `spec/`; the YAML cases under `cases/` are loaded by [`suite`], one test per
//! case, and run against the embedded reference [`server`] or any endpoint.

pub mod cli;
pub mod client;
pub mod config;
pub mod domain;
/// The bodies of the `fuzz/` targets, shared with `tests/properties.rs`;
/// not part of the API.
#[doc(hidden)]
pub mod fuzzing;
pub mod matrix;
pub mod server;
pub mod signing;
pub mod spec;
pub mod suite;
pub mod wire;
