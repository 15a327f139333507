//! The environment an adapter is started with: the runner sets these nine
//! variables (`CC_CA_CERT` only over TLS), and an adapter reads its whole
//! configuration from them.

/// The prefix of every protocol variable. The runner never passes a
/// variable of its own environment with this prefix on to the adapter, so
/// the protocol's values cannot be overridden from outside.
pub const PREFIX: &str = "CC_";

/// The protocol version the runner speaks (`3`).
pub const PROTOCOL: &str = "CC_PROTOCOL";
/// Scheme, host and port of the (scripted) provider.
pub const BASE_URL: &str = "CC_BASE_URL";
/// The client id to send in `Client-Id`.
pub const CLIENT_ID: &str = "CC_CLIENT_ID";
/// The merchant's private key (base64 PKCS#8).
pub const MERCHANT_PRIVATE_KEY: &str = "CC_MERCHANT_PRIVATE_KEY";
/// The `keyVersion` to announce in the `Signature` header.
pub const KEY_VERSION: &str = "CC_KEY_VERSION";
/// The provider's public key (base64 SPKI) answers are verified with.
pub const PROVIDER_PUBLIC_KEY: &str = "CC_PROVIDER_PUBLIC_KEY";
/// How long the client waits for one answer, in milliseconds.
pub const TIMEOUT_MS: &str = "CC_TIMEOUT_MS";
/// The most attempts one cancel may take, the first included.
pub const MAX_ATTEMPTS: &str = "CC_MAX_ATTEMPTS";
/// A file holding the certificate to trust (PEM), when the provider
/// speaks TLS.
pub const CA_CERT: &str = "CC_CA_CERT";

/// Every protocol variable.
pub const ALL: [&str; 9] = [
    PROTOCOL,
    BASE_URL,
    CLIENT_ID,
    MERCHANT_PRIVATE_KEY,
    KEY_VERSION,
    PROVIDER_PUBLIC_KEY,
    TIMEOUT_MS,
    MAX_ATTEMPTS,
    CA_CERT,
];

/// Whether `name` is the protocol's to set (it has the [`PREFIX`]).
pub fn is_protocol_variable(name: &str) -> bool {
    name.starts_with(PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variable_has_the_prefix() {
        assert!(ALL.iter().all(|name| is_protocol_variable(name)));
        assert!(!is_protocol_variable("CANCEL_CONFORMANCE_CONTROL_TOKEN"));
    }
}
