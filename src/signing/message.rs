//! Signing and verifying one message, request or answer alike: which bytes
//! are signed ([`SignedContent`], [`content_to_sign`]) and the outcome of
//! signing ([`SigningError`]) or verifying ([`VerifyError`]).

use std::fmt;

use super::header::{SignatureHeader, SignatureHeaderError};
use super::keys::{SigningKey, VerifyingKey};

/// What a signature covers: one request or answer, named by its parts.
/// Every signer and verifier in the project builds one of these, so the
/// parts cannot be passed in the wrong order.
///
/// All parts are used verbatim: `method` as sent (the API only uses `POST`),
/// `path` as on the request line after any sandbox rewrite, `time` the
/// `Request-Time` (requests) or `Response-Time` (answers) header value as an
/// opaque string, and `body` the exact bytes on the wire.
#[derive(Clone, Copy)]
pub struct SignedContent<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub client_id: &'a str,
    pub time: &'a str,
    pub body: &'a [u8],
}

impl fmt::Debug for SignedContent<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedContent")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("client_id", &self.client_id)
            .field("time", &self.time)
            .field("body", &String::from_utf8_lossy(self.body))
            .finish()
    }
}

impl<'a> SignedContent<'a> {
    /// A `POST` to `path`, the only method the API uses.
    pub fn post(path: &'a str, client_id: &'a str, time: &'a str, body: &'a [u8]) -> Self {
        SignedContent {
            method: "POST",
            path,
            client_id,
            time,
            body,
        }
    }

    /// The bytes that are signed.
    pub fn bytes(&self) -> Vec<u8> {
        content_to_sign(self.method, self.path, self.client_id, self.time, self.body)
    }

    /// Signs the content and returns the `Signature` header value, announced
    /// under `key_version`.
    pub fn sign(&self, key: &SigningKey, key_version: &str) -> Result<String, SigningError> {
        let signature = key.sign(&self.bytes())?;
        Ok(SignatureHeader::format(key_version, &signature))
    }

    /// Verifies a `Signature` header value over the content; on success
    /// returns the parsed header (e.g. for its key version).
    pub fn verify(
        &self,
        key: &VerifyingKey,
        header_value: &str,
    ) -> Result<SignatureHeader, VerifyError> {
        let header = SignatureHeader::parse(header_value)?;
        self.verify_parsed(key, &header)?;
        Ok(header)
    }

    /// [`verify`](Self::verify) for a header already parsed, e.g. by a
    /// server that chose the key by the header's key version first.
    pub fn verify_parsed(
        &self,
        key: &VerifyingKey,
        header: &SignatureHeader,
    ) -> Result<(), VerifyError> {
        if header.signature.len() != key.signature_len() {
            return Err(VerifyError::WrongSignatureLength {
                expected: key.signature_len(),
                found: header.signature.len(),
            });
        }
        if key.verify(&self.bytes(), &header.signature) {
            Ok(())
        } else {
            Err(VerifyError::Mismatch)
        }
    }
}

/// The bytes that are signed: `<METHOD> <path>\n<client-id>.<time>.<body>`.
///
/// All parts are used verbatim: `method` as sent (the API only uses `POST`),
/// `path` as on the request line after any sandbox rewrite, `time` the
/// `Request-Time` (requests) or `Response-Time` (responses) header value as an
/// opaque string, and `body` the exact bytes on the wire. Re-serialising the
/// JSON body would change the bytes and break the signature.
pub fn content_to_sign(
    method: &str,
    path: &str,
    client_id: &str,
    time: &str,
    body: &[u8],
) -> Vec<u8> {
    let prefix = format!("{method} {path}\n{client_id}.{time}.");
    let mut content = Vec::with_capacity(prefix.len() + body.len());
    content.extend_from_slice(prefix.as_bytes());
    content.extend_from_slice(body);
    content
}

/// Why signing failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SigningError {
    /// The crypto library refused to produce a signature. This does not
    /// depend on the message; it points at the environment (e.g. no working
    /// random source).
    RsaFailed,
}

impl fmt::Display for SigningError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SigningError::RsaFailed => f.write_str(
                "RSA signing failed inside the crypto library (not caused by the message): \
                 check that the system random source is available, then retry",
            ),
        }
    }
}

impl std::error::Error for SigningError {}

/// Why a message signature was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyError {
    /// The `Signature` header value could not be parsed.
    Header(SignatureHeaderError),
    /// The signature has the wrong number of bytes for this key, which
    /// points at damage in transit or a different key size, not at the
    /// signed content.
    WrongSignatureLength { expected: usize, found: usize },
    /// The signature is well-formed but does not match the content with
    /// this key.
    Mismatch,
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerifyError::Header(error) => error.fmt(f),
            VerifyError::WrongSignatureLength { expected, found } => write!(
                f,
                "the signature is {found} bytes long but this key's signatures are \
                 {expected} bytes: check that the right key pair is used and that the \
                 value is base64-encoded once and URL-encoded once"
            ),
            VerifyError::Mismatch => f.write_str(
                "the signature does not match: check that the content signed is \
                 `<METHOD> <path>\\n<client-id>.<time>.<body>` with the exact body bytes, \
                 the path as sent (after any sandbox rewrite), the same Client-Id and \
                 Request-Time/Response-Time header values, and that the key pair matches",
            ),
        }
    }
}

impl std::error::Error for VerifyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            VerifyError::Header(error) => Some(error),
            _ => None,
        }
    }
}

impl From<SignatureHeaderError> for VerifyError {
    fn from(error: SignatureHeaderError) -> Self {
        VerifyError::Header(error)
    }
}
