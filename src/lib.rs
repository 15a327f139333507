//! cancel-conformance: the declarative specification and conformance-test
//! suite for the payment **cancel** API.
//!
//! One flow: the Rust types in [`spec`] generate the checked-in schemas under
//! `spec/`; the YAML cases under `cases/` are loaded by [`suite`], one test per
//! case, and run against the embedded reference [`server`] or any endpoint.
//!
//! The module map, from the bottom up: each module imports only modules
//! listed before it, so no arrow runs back up:
//! - leaves, importing nothing of the crate: [`domain`] (the payment model
//!   everyone speaks: state, method, events, ids, a client's conclusion and
//!   order status, a client's capabilities), [`signing`] (keys, DER, the
//!   `Signature` header grammar, signing and verifying), [`input_file`]
//!   (reading a file the user named: a regular file, size capped),
//!   [`profile`] (the acquirer profiles, where the sources disagree) and
//!   [`time_zone`] (the contract's time zone).
//! - [`wire`]: header names, the recorded request and answer, the one size
//!   cap, the HTTP exchange and its one transport-error type (imports
//!   signing).
//! - [`spec`]: the API's schema types, the rules and result-code catalogs,
//!   the rule ids the code names, the control plane's contract (imports
//!   domain, profile, input_file).
//! - [`adapter_protocol`]: the adapter protocol's messages, versions and
//!   `CC_*` environment, shared by the suite's client half, the client's
//!   adapter and the generated schemas (imports domain, spec).
//! - [`server`]: the reference server; [`client`]: the project's merchant
//!   client (both import the layers above, never each other).
//! - [`config_file`]: the format of `cancel-conformance.yaml`, which the
//!   command line reads and the matrix embeds.
//! - [`suite`]: the runner, in two halves of one shape (case format,
//!   target, execution, judge) driven by one flow, with the results model
//!   and its reports; [`matrix`] compares runs (imports the suite's
//!   results).
//! - [`documents`]: the list of every generated schema.
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
