//! The signing scheme of the cancel API, in both directions.
//!
//! This module owns everything about message signatures, one concept a
//! file: `keys` (the key formats and their loading), `der` (the little DER
//! the key formats need), `header` (the `Signature` header's grammar),
//! `message` (which bytes are signed, signing and verifying), `test_keys`
//! (the published TEST-ONLY keys and their key version).
//!
//! Which bytes are signed ([`SignedContent`], [`content_to_sign`]), the algorithm (SHA256withRSA, i.e.
//! RSASSA-PKCS1-v1_5 over SHA-256), the key formats the vendor issues
//! ([`SigningKey`]: base64 PKCS#8 DER; [`VerifyingKey`]: base64 X.509
//! SubjectPublicKeyInfo DER), and the `Signature` header
//! ([`SignatureHeader`]). The same scheme covers requests (merchant signs,
//! provider verifies), responses and notifications (provider signs, merchant
//! verifies), so the reference server, the runner, the project's client and
//! the scripted provider all sign and verify through [`SignedContent`].
//!
//! The RSA arithmetic underneath is aws-lc-rs (AWS-LC, the library rustls
//! uses by default); [`tls_crypto_provider`] hands the same library to
//! rustls, so the process carries one crypto implementation. Nothing outside
//! this module names the backend.
//!
//! Secrets never reach `Debug` or `Display` output: private keys and
//! signature values are shown as [`mask`]'s `***`, and errors describe what is
//! wrong without quoting key or signature material.

use base64::alphabet;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};

/// The only algorithm name the cancel API defines for the `Signature` header.
pub const ALGORITHM: &str = "RSA256";

/// What [`KeyError`] says it was loading, for a private key.
pub const PRIVATE_KEY_KIND: &str = "private key (PKCS#8)";
/// What [`KeyError`] says it was loading, for a public key.
pub const PUBLIC_KEY_KIND: &str = "public key (X.509 SubjectPublicKeyInfo)";

/// Standard alphabet, padding optional: SDKs and hand-edited configs differ
/// on padding, and accepting both loses nothing because the alphabet is fixed.
const LENIENT_BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The set Java's `URLEncoder` leaves alone is `[A-Za-z0-9-_.*]`; escaping
/// everything else matches what the SDKs send and guarantees that no `,`,
/// `=`, `+` or `/` reaches a parser that splits on them.
const FORM_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'*');

/// The rustls crypto provider built on the same library as the signatures,
/// for every TLS client and server in the crate (and its tests): one crypto
/// implementation in the binary, chosen here and nowhere else.
pub fn tls_crypto_provider() -> rustls::crypto::CryptoProvider {
    rustls::crypto::aws_lc_rs::default_provider()
}

/// Masks a secret for display.
///
/// Every place that would show a key or a signature goes through this one
/// helper, so the masking looks the same everywhere and cannot be forgotten
/// in one spot only.
pub fn mask<T: ?Sized>(_secret: &T) -> &'static str {
    "***"
}

mod der;
mod header;
mod keys;
mod message;
pub mod test_keys;

pub use header::{EmittedHeaderError, SignatureHeader, SignatureHeaderError};
pub use keys::{KeyError, SigningKey, VerifyingKey};
pub use message::{SignedContent, SigningError, VerifyError, content_to_sign};

// The unit tests reach into the DER helpers directly, and encode base64.
#[cfg(test)]
use base64::{Engine as _, engine::general_purpose::STANDARD};
#[cfg(test)]
use der::{DerReader, TAG_SEQUENCE, encode_der, parse_spki};
#[cfg(test)]
mod tests;
