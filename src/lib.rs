//! cancel-conformance: the declarative specification and conformance-test
//! suite for the payment **cancel** API.
//!
//! One flow: the Rust types in [`spec`] generate the checked-in schemas under
//! `spec/`; the YAML cases under `cases/` are loaded by [`suite`], one test per
//! case, and run against the embedded reference [`server`] or any endpoint.
//!
//! The module map, from the bottom up:
//! - [`domain`]: the payment model everyone speaks (state, method, events,
//!   ids, a client's conclusion and order status).
//! - [`input_file`]: reading a file the user named (a regular file, size
//!   capped), for every input the tool reads.
//! - [`signing`]: keys, DER, the `Signature` header grammar, signing and
//!   verifying a message.
//! - [`wire`]: header names, the recorded request and answer, the one size
//!   cap, the HTTP exchange and its one transport-error type.
//! - [`spec`]: the API's schema types, the rules and result-code catalogs,
//!   the control plane's contract.
//! - [`adapter_protocol`]: the adapter protocol's messages, versions and
//!   `CC_*` environment, which the suite's client half, the client's
//!   adapter and the generated schemas share (imports domain, spec).
//! - [`profile`]: the acquirer profiles, where the sources disagree.
//! - [`server`]: the reference server (imports domain, signing, wire, spec).
//! - [`client`]: the project's merchant client (imports domain, signing,
//!   wire, spec).
//! - [`suite`]: the runner, case formats, judging and reports (imports
//!   everything below it); [`matrix`] compares runs.
//! - [`config_file`]: the format of `cancel-conformance.yaml`, which the
//!   command line reads and the matrix embeds; [`documents`]: the list of
//!   every generated schema.
//! - [`cli`]: the command line (arguments, configuration precedence, what
//!   each command does); it hands the suite plain settings.

pub mod adapter_protocol;
pub mod cli;
pub mod client;
pub mod config_file;
pub mod documents;
pub mod domain;
pub mod input_file;
pub mod matrix;
pub mod profile;
pub mod server;
pub mod signing;
pub mod spec;
pub mod suite;
pub mod time_zone;
pub mod wire;
