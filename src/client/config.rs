//! What a [`CancelClient`](super::CancelClient) is set up with, and the
//! errors that stop a cancel before anything is sent.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::signing::{SigningError, SigningKey, VerifyingKey};

/// Everything the client needs to talk to the provider.
///
/// `Debug` never shows key material: [`SigningKey`] masks itself and
/// [`VerifyingKey`] shows only a fingerprint.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Scheme, host and port, e.g. `https://open-sea-global.alipay.com`; the
    /// API path is appended to it.
    pub base_url: String,
    /// The merchant's client id; one starting with `SANDBOX_` talks to the
    /// sandbox paths.
    pub client_id: String,
    /// Signs every request.
    pub merchant_key: Arc<SigningKey>,
    /// The `keyVersion` the provider has registered `merchant_key` under.
    pub key_version: String,
    /// Verifies every answer and notification.
    pub provider_key: VerifyingKey,
    /// How long one attempt waits for a complete answer.
    pub timeout: Duration,
    /// The most cancel requests one cancel may send, retries included.
    pub max_attempts: u32,
    /// An extra CA certificate (PEM) to trust, for a provider or mock with
    /// a private certificate.
    pub ca_cert_pem: Option<Vec<u8>>,
}

/// Why the client could not be built, or why a cancel was never sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientError {
    /// A configuration value cannot work.
    InvalidConfig { field: &'static str, reason: String },
    /// The HTTP stack could not be set up (e.g. the CA certificate is not
    /// PEM).
    HttpSetup { detail: String },
    /// The payment was named by neither `paymentId` nor `paymentRequestId`.
    NoIdentifier,
    /// The request body could not be serialised.
    Body { detail: String },
    /// The request could not be signed.
    Signing(SigningError),
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::InvalidConfig { field, reason } => {
                write!(f, "the client configuration is unusable: {field} {reason}")
            }
            ClientError::HttpSetup { detail } => {
                write!(f, "cannot set up the HTTP client: {detail}")
            }
            ClientError::NoIdentifier => f.write_str(
                "the payment is named by neither paymentId nor paymentRequestId: \
                 give at least one of them",
            ),
            ClientError::Body { detail } => {
                write!(f, "cannot serialise the cancel request: {detail}")
            }
            ClientError::Signing(error) => write!(f, "cannot sign the cancel request: {error}"),
        }
    }
}

impl std::error::Error for ClientError {}

impl ClientConfig {
    /// Rejects values that would make every cancel fail in a confusing way
    /// later, so the mistake shows up when the client is built.
    pub(crate) fn check(&self) -> Result<(), ClientError> {
        let invalid = |field, reason: &str| {
            Err(ClientError::InvalidConfig {
                field,
                reason: reason.to_string(),
            })
        };
        if !(self.base_url.starts_with("http://") || self.base_url.starts_with("https://")) {
            return invalid(
                "base_url",
                "must start with http:// or https:// (e.g. https://open-sea-global.alipay.com)",
            );
        }
        if self.client_id.is_empty() {
            return invalid("client_id", "is empty");
        }
        if self.key_version.is_empty() {
            return invalid("key_version", "is empty (the provider's default is \"1\")");
        }
        if self.max_attempts == 0 {
            return invalid("max_attempts", "is 0: at least one request must be allowed");
        }
        if self.timeout.is_zero() {
            return invalid("timeout", "is 0: no answer could ever arrive in time");
        }
        Ok(())
    }

    /// The base URL without a trailing slash, so that appending a path that
    /// starts with `/` never doubles it.
    pub fn trimmed_base_url(&self) -> &str {
        self.base_url.trim_end_matches('/')
    }
}
