//! What a client under test is and which layers of a client's job it
//! implements, as its adapter says in `hello` (protocol 3, INTERPRETING.md
//! §8). The runner judges only the layers a client claims; the project's
//! client declares them all.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One layer of a client's job.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Capability {
    /// Signs its cancel requests (every cancel case judges the request).
    Sign,
    /// Verifies the provider's answers before believing them (signature,
    /// response time, client id, HTTP status, Signature header variants).
    Verify,
    /// Verifies the provider's TLS certificate and host name.
    Tls,
    /// Gives up on a request after `CC_TIMEOUT_MS`.
    Timeout,
    /// Retries a cancel after U or no answer, with the same ids, within
    /// `CC_MAX_ATTEMPTS`; never after F.
    Retry,
    /// Keeps an order record per payment (the `status` operation).
    Orders,
    /// Checks a payment notification (the `notify` operation).
    Notify,
}

impl Capability {
    /// Every capability, in the order reports show them.
    pub const ALL: [Capability; 7] = [
        Capability::Sign,
        Capability::Verify,
        Capability::Tls,
        Capability::Timeout,
        Capability::Retry,
        Capability::Orders,
        Capability::Notify,
    ];

    /// The name in `hello`, the results file and the matrix.
    pub fn as_str(self) -> &'static str {
        match self {
            Capability::Sign => "sign",
            Capability::Verify => "verify",
            Capability::Tls => "tls",
            Capability::Timeout => "timeout",
            Capability::Retry => "retry",
            Capability::Orders => "orders",
            Capability::Notify => "notify",
        }
    }

    pub fn parse(text: &str) -> Option<Capability> {
        Capability::ALL
            .into_iter()
            .find(|capability| capability.as_str() == text)
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who a client under test is, as its adapter says in `hello`; the
/// reports and the matrix show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Implementation {
    /// The client's name (e.g. the SDK's package name).
    #[schemars(length(min = 1, max = 100))]
    pub name: String,
    /// Its version, as its authors number it.
    #[schemars(length(min = 1, max = 64))]
    pub version: String,
    /// The language it is written in.
    #[schemars(length(min = 1, max = 40))]
    pub language: String,
    /// Where to read about it: a URL, or a file of the repository the
    /// adapter lives in (e.g. `adapters/node/README.md`).
    #[schemars(length(min = 1, max = 300))]
    pub homepage: String,
    /// The capabilities it implements; a case judging another one is not
    /// applicable to it.
    #[schemars(extend("uniqueItems" = true))]
    pub capabilities: Vec<Capability>,
}
