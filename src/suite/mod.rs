//! The conformance runner, in two halves that each go load → trial →
//! execute → judge:
//!
//! - [`server_half`] (`run`): the suite calls a server — the embedded
//!   reference server or any endpoint — and judges its answers;
//! - [`client_half`] (`client`): the suite plays the provider and judges a
//!   client driven through its adapter.
//!
//! Shared by both: the case files found and read ([`load`]; the server
//! case format is [`case`], the client's `client_half::case`), each case
//! made one test-harness trial (`trials`) whose outcome is judged against
//! the target's known deviations ([`expectations`], `judged`) and the
//! levels of the rules it rests on ([`verdict`]: a warning or a failure), what a run
//! does around its trials (`harness`), the three kinds of failure and
//! their rendering ([`failure`]), the target of a server run ([`target`])
//! and the reports ([`report`]). HTTP is the wire layer's
//! ([`crate::wire`]). The command line hands a run its [`settings`];
//! nothing here reads the command line.

pub mod client_half;
mod driver;
pub mod embedded;
pub mod expectations;
pub mod failure;
mod harness;
mod judged;
pub mod load;
pub mod outcome;
pub mod pending;
pub mod report;
pub mod server_half;
pub mod settings;
mod trials;
pub mod verdict;

pub use client_half::run_client;
pub(crate) use harness::setup_error;
pub use load::CaseSource;
pub use server_half::{check_fixtures, run};
pub use trials::SERVER_CASES_AT_ONCE;
