//! TEST-ONLY key pairs, published in `testdata/keys/` (see its README), and
//! the key version they are announced under.
//!
//! They protect nothing: use them only for tests and the reference server,
//! never for a real account. The constants are the file contents (one line of
//! base64 plus a newline).

use super::{SigningKey, VerifyingKey};

/// The key version the test keys are announced under (`keyVersion=1` in
/// the `Signature` header): the one place the project writes it. The
/// reference server's default, the runner's default identity and the
/// scripted provider all take it from here.
pub const KEY_VERSION: &str = "1";

pub const MERCHANT_PRIVATE: &str = include_str!("../../testdata/keys/merchant-private.pkcs8.b64");
pub const MERCHANT_PUBLIC: &str = include_str!("../../testdata/keys/merchant-public.spki.b64");
pub const PROVIDER_PRIVATE: &str = include_str!("../../testdata/keys/provider-private.pkcs8.b64");
pub const PROVIDER_PUBLIC: &str = include_str!("../../testdata/keys/provider-public.spki.b64");

// `expect` is acceptable only here: the input is compiled in and checked
// by the unit tests, so a failure is a build defect, not bad input.

pub fn merchant_signing() -> SigningKey {
    SigningKey::from_base64_pkcs8(MERCHANT_PRIVATE).expect("embedded test key is valid")
}

pub fn provider_signing() -> SigningKey {
    SigningKey::from_base64_pkcs8(PROVIDER_PRIVATE).expect("embedded test key is valid")
}

pub fn merchant_verifying() -> VerifyingKey {
    VerifyingKey::from_base64_spki(MERCHANT_PUBLIC).expect("embedded test key is valid")
}

pub fn provider_verifying() -> VerifyingKey {
    VerifyingKey::from_base64_spki(PROVIDER_PUBLIC).expect("embedded test key is valid")
}

/// Wraps a key given as one base64 line in PEM armour (64-character
/// lines), the form openssl and most key files use.
pub fn to_pem(label: &str, base64_line: &str) -> String {
    let compact: String = base64_line.split_whitespace().collect();
    let mut pem = format!("-----BEGIN {label}-----\n");
    for chunk in compact.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(chunk));
        pem.push('\n');
    }
    pem.push_str(&format!("-----END {label}-----\n"));
    pem
}
