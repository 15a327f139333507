//! The adapter protocol (INTERPRETING.md §8), written once: the operations
//! the runner sends to an adapter and the answers it reads back
//! ([`messages`]), the protocol versions, and the `CC_*` environment an
//! adapter is started with ([`env`]). The suite's client half speaks it
//! from the runner's side, the project's own adapter
//! (`client::adapter`) from the adapter's side, and the schemas
//! `spec/adapter-*.schema.json` are generated from these types
//! ([`crate::documents`]), so the three cannot drift apart.
//!
//! It sits just above the spec (it imports only [`crate::domain`] and the
//! spec's schema generator) and below the server, the client and the suite.

pub mod env;
mod headers;
pub mod messages;
mod validate;

pub use headers::Headers;
pub use validate::{schema_name, violation};

/// The protocol version the runner speaks and the project's adapter
/// speaks first: version 3 added `hello`.
pub const PROTOCOL_VERSION: u32 = 3;

/// The earlier version the project's adapter still serves: it differs
/// only in having no `hello`, which a version 2 runner never sends.
pub const PROTOCOL_VERSION_BEFORE: u32 = 2;

/// Whether an adapter speaking versions 2 and 3 accepts `CC_PROTOCOL`'s
/// value (blanks around it ignored).
pub fn is_accepted_version(text: &str) -> bool {
    let text = text.trim();
    [PROTOCOL_VERSION, PROTOCOL_VERSION_BEFORE]
        .iter()
        .any(|version| version.to_string() == text)
}
