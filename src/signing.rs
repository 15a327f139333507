//! The signing scheme of the cancel API, in both directions.
//!
//! This module owns everything about message signatures: which bytes are
//! signed ([`content_to_sign`]), the algorithm (SHA256withRSA, i.e.
//! RSASSA-PKCS1-v1_5 over SHA-256), the key formats the vendor issues
//! ([`SigningKey`]: base64 PKCS#8 DER; [`VerifyingKey`]: base64 X.509
//! SubjectPublicKeyInfo DER), and the `Signature` header
//! ([`SignatureHeader`]). The same scheme covers requests (merchant signs,
//! provider verifies), responses and notifications (provider signs, merchant
//! verifies), so both the reference server and the test client use
//! [`sign_message`] and [`verify_message`].
//!
//! The RSA arithmetic underneath is aws-lc-rs (AWS-LC, the library rustls
//! uses by default); [`tls_crypto_provider`] hands the same library to
//! rustls, so the process carries one crypto implementation. Nothing outside
//! this module names the backend.
//!
//! Secrets never reach `Debug` or `Display` output: private keys and
//! signature values are shown as [`mask`]'s `***`, and errors describe what is
//! wrong without quoting key or signature material.

use std::fmt;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    KeyPair as _, ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256, RsaKeyPair,
};
use base64::Engine as _;
use base64::alphabet;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

/// The only algorithm name the cancel API defines for the `Signature` header.
pub const ALGORITHM: &str = "RSA256";

/// What [`KeyError`] says it was loading, for a private key.
pub const PRIVATE_KEY_KIND: &str = "private key (PKCS#8)";
/// What [`KeyError`] says it was loading, for a public key.
pub const PUBLIC_KEY_KIND: &str = "public key (X.509 SubjectPublicKeyInfo)";

const PRIVATE_PEM_LABEL: &str = "PRIVATE KEY";
const PUBLIC_PEM_LABEL: &str = "PUBLIC KEY";

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

// ---------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------

/// Merchant or provider private key (RSA, PKCS#8 DER).
///
/// `Debug` prints `SigningKey(***)`: the key bytes are never shown.
pub struct SigningKey {
    key_pair: RsaKeyPair,
    rng: SystemRandom,
}

impl SigningKey {
    /// Loads a private key in the vendor's format: one line of base64 over
    /// PKCS#8 DER. PEM armour (`-----BEGIN PRIVATE KEY-----`), line breaks and
    /// surrounding whitespace are accepted as well, because keys are often
    /// pasted from files made by `openssl`.
    pub fn from_base64_pkcs8(text: &str) -> Result<Self, KeyError> {
        let der = decode_key_text(text, PRIVATE_KEY_KIND, PRIVATE_PEM_LABEL)?;
        match RsaKeyPair::from_pkcs8(&der) {
            Ok(key_pair) => Ok(Self {
                key_pair,
                rng: SystemRandom::new(),
            }),
            Err(rejected) => Err(KeyError::NotAKey {
                kind: PRIVATE_KEY_KIND,
                reason: diagnose_private_key(&der, &rejected.to_string()),
            }),
        }
    }

    /// Signs `message` with SHA256withRSA (RSASSA-PKCS1-v1_5, SHA-256).
    ///
    /// The result is deterministic for a given key and message. Only an
    /// internal failure of the crypto library (e.g. its random source, used
    /// for blinding) can make this fail.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SigningError> {
        let mut signature = vec![0u8; self.key_pair.public_modulus_len()];
        self.key_pair
            .sign(&RSA_PKCS1_SHA256, &self.rng, message, &mut signature)
            .map_err(|_| SigningError::RsaFailed)?;
        Ok(signature)
    }

    /// The matching public key.
    pub fn public_key(&self) -> VerifyingKey {
        let rsa_public_key = self.key_pair.public_key().as_ref().to_vec();
        let modulus_len = self.key_pair.public_modulus_len();
        // The library wrote this DER itself and only loads 2048- to
        // 8192-bit private keys, whose public half passes both checks; the
        // fallbacks exist only to keep this function free of panics.
        let modulus_bits = check_rsa_public_key(&rsa_public_key)
            .map_or(modulus_len * 8, |parsed| parsed.modulus_bits);
        let parsed = ParsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &rsa_public_key).ok();
        VerifyingKey {
            spki: encode_spki(&rsa_public_key),
            parsed,
            modulus_len,
            modulus_bits,
        }
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey({})", mask(&self.key_pair))
    }
}

/// Public key (RSA, X.509 SubjectPublicKeyInfo DER).
///
/// Checked when loaded to be an RSA key that verification accepts (2048 to
/// 8192 bits, odd public exponent >= 3), so a bad key fails at load time with
/// a reason instead of making every later verification fail silently.
#[derive(Clone)]
pub struct VerifyingKey {
    spki: Vec<u8>,
    /// The key as the library verifies with it, parsed once at load: parsing
    /// it again for every verification would cost a noticeable share of the
    /// verification itself. `None` only if the library refused a key that
    /// passed this module's checks, which then verifies nothing.
    parsed: Option<ParsedPublicKey>,
    modulus_len: usize,
    modulus_bits: usize,
}

/// Keys are equal when their (canonical) SubjectPublicKeyInfo is; the
/// parsed form is derived from it.
impl PartialEq for VerifyingKey {
    fn eq(&self, other: &Self) -> bool {
        self.spki == other.spki
    }
}

impl Eq for VerifyingKey {}

impl VerifyingKey {
    /// Loads a public key in the vendor's format: one line of base64 over
    /// X.509 SubjectPublicKeyInfo DER. PEM armour (`-----BEGIN PUBLIC
    /// KEY-----`), line breaks and surrounding whitespace are accepted too.
    pub fn from_base64_spki(text: &str) -> Result<Self, KeyError> {
        let der = decode_key_text(text, PUBLIC_KEY_KIND, PUBLIC_PEM_LABEL)?;
        let parsed = parse_spki(&der).map_err(|reason| KeyError::NotAKey {
            kind: PUBLIC_KEY_KIND,
            reason: reason.to_string(),
        })?;
        let verifier = ParsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &parsed.rsa_public_key)
            .map_err(|rejected| KeyError::NotAKey {
                kind: PUBLIC_KEY_KIND,
                reason: format!(
                    "rejected by the crypto library: {}",
                    rejected.description_()
                ),
            })?;
        // Stored re-encoded, so equal keys compare equal and
        // `to_base64_spki` always gives the canonical form.
        Ok(Self {
            spki: encode_spki(&parsed.rsa_public_key),
            parsed: Some(verifier),
            modulus_len: parsed.modulus_bits.div_ceil(8),
            modulus_bits: parsed.modulus_bits,
        })
    }

    /// Whether `signature` is a valid SHA256withRSA signature of `message`.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        self.parsed
            .as_ref()
            .is_some_and(|key| key.verify_sig(message, signature).is_ok())
    }

    /// The key in the vendor's format: one line of standard base64 (with
    /// padding) over SubjectPublicKeyInfo DER.
    pub fn to_base64_spki(&self) -> String {
        STANDARD.encode(&self.spki)
    }

    /// Length in bytes every signature made with the matching private key
    /// has; a different length means the signature was damaged in transit.
    pub fn signature_len(&self) -> usize {
        self.modulus_len
    }

    /// Size of the RSA modulus in bits.
    pub fn modulus_bits(&self) -> usize {
        self.modulus_bits
    }
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A short fingerprint is enough to tell keys apart in logs; the full
        // key would drown them.
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &self.spki);
        let fingerprint: String = digest.as_ref()[..8]
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        f.debug_struct("VerifyingKey")
            .field("modulus_bits", &self.modulus_bits)
            .field("spki_sha256_prefix", &fingerprint)
            .finish()
    }
}

/// Why a key could not be loaded. Never carries key bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyError {
    /// The text holds nothing but whitespace (or an empty PEM block).
    Empty { kind: &'static str },
    /// PEM armour names a different kind of object than the one needed.
    WrongPemLabel {
        kind: &'static str,
        expected: &'static str,
        found: String,
    },
    /// PEM armour is present but incomplete or ambiguous.
    MalformedPem {
        kind: &'static str,
        reason: &'static str,
    },
    /// The text is not standard base64. `offset` counts characters after
    /// whitespace and armour have been removed.
    NotBase64 {
        kind: &'static str,
        reason: &'static str,
        offset: Option<usize>,
    },
    /// The bytes decode but are not a usable RSA key of the expected kind.
    NotAKey { kind: &'static str, reason: String },
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::Empty { kind } => write!(
                f,
                "the {kind} is empty: supply the key as one line of base64 DER, \
                 as the vendor issues it, or as a PEM block"
            ),
            KeyError::WrongPemLabel {
                kind,
                expected,
                found,
            } => {
                write!(
                    f,
                    "the {kind} is PEM labelled \"{found}\" but \"{expected}\" is needed"
                )?;
                match found.as_str() {
                    "RSA PRIVATE KEY" => f.write_str(
                        ": it is a PKCS#1 key; convert it with \
                         `openssl pkcs8 -topk8 -nocrypt -in key.pem`",
                    ),
                    "ENCRYPTED PRIVATE KEY" => f.write_str(
                        ": it is passphrase-protected; decrypt it with \
                         `openssl pkcs8 -in key.pem` (it asks for the passphrase)",
                    ),
                    "RSA PUBLIC KEY" => f.write_str(
                        ": it is a PKCS#1 public key; convert it with \
                         `openssl rsa -RSAPublicKey_in -pubout -in key.pem`",
                    ),
                    "CERTIFICATE" => f.write_str(
                        ": extract the public key with `openssl x509 -pubkey -noout -in cert.pem`",
                    ),
                    "PUBLIC KEY" | "PRIVATE KEY" => f.write_str(
                        ": this is the other half of a key pair; check which key \
                         this setting expects",
                    ),
                    _ => f.write_str(": supply the key in the expected format"),
                }
            }
            KeyError::MalformedPem { kind, reason } => write!(
                f,
                "the {kind} has broken PEM armour ({reason}): supply either the bare \
                 base64 line or exactly one complete -----BEGIN ...----- / -----END ...----- block"
            ),
            KeyError::NotBase64 {
                kind,
                reason,
                offset,
            } => {
                write!(f, "the {kind} is not valid standard base64 ({reason}")?;
                if let Some(offset) = offset {
                    write!(f, " at character {offset}")?;
                }
                f.write_str(
                    "): supply the key as base64 DER using only A-Z, a-z, 0-9, '+', '/' \
                     and '=', exactly as issued, without quotes",
                )
            }
            KeyError::NotAKey { kind, reason } => {
                write!(f, "the {kind} is not a usable RSA key ({reason}): ")?;
                if *kind == PRIVATE_KEY_KIND {
                    f.write_str(
                        "supply an unencrypted RSA private key (2048 bits or more) in \
                         PKCS#8 DER, e.g. from `openssl pkcs8 -topk8 -nocrypt -outform DER`",
                    )
                } else {
                    f.write_str(
                        "supply an RSA public key (2048 to 8192 bits) in X.509 \
                         SubjectPublicKeyInfo DER, e.g. from `openssl pkey -pubout -outform DER`",
                    )
                }
            }
        }
    }
}

impl std::error::Error for KeyError {}

/// Turns key text (bare base64 or PEM) into DER bytes.
fn decode_key_text(
    text: &str,
    kind: &'static str,
    expected_label: &'static str,
) -> Result<Vec<u8>, KeyError> {
    // Editors on Windows like to prepend a byte-order mark to saved files.
    let text = text.trim_start_matches('\u{feff}').trim();
    if text.is_empty() {
        return Err(KeyError::Empty { kind });
    }
    let body = match text.find("-----BEGIN ") {
        // Text before the armour is ignored, as openssl does, because tools
        // such as `openssl pkcs12` print attribute lines there.
        Some(start) => pem_body(&text[start + "-----BEGIN ".len()..], kind, expected_label)?,
        None if text.contains("-----END ") => {
            return Err(KeyError::MalformedPem {
                kind,
                reason: "END line without a BEGIN line",
            });
        }
        None => text,
    };
    let compact: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    if compact.is_empty() {
        return Err(KeyError::Empty { kind });
    }
    LENIENT_BASE64.decode(compact.as_bytes()).map_err(|error| {
        let (reason, offset) = describe_base64_error(&error);
        KeyError::NotBase64 {
            kind,
            reason,
            offset,
        }
    })
}

/// The base64 between the BEGIN and END lines; `after_begin` starts right
/// after `-----BEGIN `.
fn pem_body<'a>(
    after_begin: &'a str,
    kind: &'static str,
    expected_label: &'static str,
) -> Result<&'a str, KeyError> {
    let (label, after_label) = after_begin
        .split_once("-----")
        .ok_or(KeyError::MalformedPem {
            kind,
            reason: "the BEGIN line does not end with -----",
        })?;
    if label != expected_label {
        return Err(KeyError::WrongPemLabel {
            kind,
            expected: expected_label,
            found: truncate_for_message(label),
        });
    }
    let end_marker = format!("-----END {label}-----");
    let (body, trailer) =
        after_label
            .split_once(end_marker.as_str())
            .ok_or(KeyError::MalformedPem {
                kind,
                reason: "no matching END line",
            })?;
    if trailer.contains("-----BEGIN ") {
        return Err(KeyError::MalformedPem {
            kind,
            reason: "more than one PEM block",
        });
    }
    // Encrypted legacy PEM carries `Proc-Type:`/`DEK-Info:` headers; base64
    // never contains ':', so this catches them without parsing headers.
    if body.contains(':') {
        return Err(KeyError::MalformedPem {
            kind,
            reason: "PEM headers such as Proc-Type are not supported; decrypt the key first",
        });
    }
    Ok(body)
}

/// Keeps error messages bounded when the input is something unexpected
/// (a whole file pasted into a setting, for instance).
fn truncate_for_message(text: &str) -> String {
    const LIMIT: usize = 40;
    match text.char_indices().nth(LIMIT) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_string(),
    }
}

/// Describes a base64 failure without echoing the offending byte, which
/// could be part of a secret.
fn describe_base64_error(error: &base64::DecodeError) -> (&'static str, Option<usize>) {
    match error {
        base64::DecodeError::InvalidByte(offset, _) => {
            ("character outside the base64 alphabet", Some(*offset))
        }
        base64::DecodeError::InvalidLength(_) => ("length is not a possible base64 length", None),
        base64::DecodeError::InvalidLastSymbol(offset, _) => (
            "last character has bits that do not belong to the data",
            Some(*offset),
        ),
        base64::DecodeError::InvalidPadding => ("misplaced '=' padding", None),
    }
}

/// Explains why the crypto library rejected a private key, recognising the
/// mistakes people actually make (wrong half of the pair, wrong container).
fn diagnose_private_key(der: &[u8], library_reason: &str) -> String {
    if parse_spki(der).is_ok() {
        return "this is a public key (SubjectPublicKeyInfo), not a private key".to_string();
    }
    if RsaKeyPair::from_der(der).is_ok() {
        return "this is a PKCS#1 RSAPrivateKey, not PKCS#8; convert it with \
                `openssl pkcs8 -topk8 -nocrypt`"
            .to_string();
    }
    match library_reason {
        "WrongAlgorithm" => "the PKCS#8 key is not an RSA key".to_string(),
        "InvalidEncoding" => "not a PKCS#8 PrivateKeyInfo DER structure".to_string(),
        "TooSmall" => "the RSA modulus is smaller than 2048 bits".to_string(),
        "TooLarge" => "the RSA modulus is larger than supported".to_string(),
        "InconsistentComponents" => {
            "the RSA key's numbers do not belong together (a damaged key)".to_string()
        }
        other => format!("rejected by the crypto library: {other}"),
    }
}

// Minimal DER handling: the library verifies with a PKCS#1 RSAPublicKey, but the
// vendor hands out SubjectPublicKeyInfo, so the wrapper has to be taken off
// (and put back on for `to_base64_spki`). Only the few shapes needed here are
// supported.

const TAG_INTEGER: u8 = 0x02;
const TAG_BIT_STRING: u8 = 0x03;
const TAG_NULL: u8 = 0x05;
const TAG_OID: u8 = 0x06;
const TAG_SEQUENCE: u8 = 0x30;

/// 1.2.840.113549.1.1.1
const OID_RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
/// 1.2.840.113549.1.1.10
const OID_RSASSA_PSS: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a];
/// 1.2.840.10045.2.1
const OID_EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
/// 1.3.101.112
const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];

struct DerReader<'a> {
    rest: &'a [u8],
}

impl<'a> DerReader<'a> {
    fn new(input: &'a [u8]) -> Self {
        Self { rest: input }
    }

    fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    fn peek_tag(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    /// Reads one element with the given tag and returns its contents.
    fn read(&mut self, tag: u8) -> Result<&'a [u8], &'static str> {
        let (&found, rest) = self.rest.split_first().ok_or("DER structure ends early")?;
        if found != tag {
            return Err("unexpected DER element");
        }
        let (&first, mut rest) = rest.split_first().ok_or("DER structure ends early")?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let count = usize::from(first & 0x7f);
            if count == 0 {
                return Err("indefinite length is not allowed in DER");
            }
            if count > 4 || count > rest.len() {
                return Err("DER length is invalid");
            }
            let (len_bytes, after) = rest.split_at(count);
            rest = after;
            len_bytes
                .iter()
                .fold(0usize, |acc, &byte| (acc << 8) | usize::from(byte))
        };
        if len > rest.len() {
            return Err("DER element is longer than the data");
        }
        let (contents, after) = rest.split_at(len);
        self.rest = after;
        Ok(contents)
    }
}

struct ParsedRsaPublicKey {
    /// Re-encoded as strict DER, because the library's parser rejects the
    /// non-minimal encodings this module tolerates on input.
    rsa_public_key: Vec<u8>,
    modulus_bits: usize,
}

fn parse_spki(der: &[u8]) -> Result<ParsedRsaPublicKey, &'static str> {
    let mut outer = DerReader::new(der);
    let spki = outer
        .read(TAG_SEQUENCE)
        .map_err(|_| "not a DER SEQUENCE, so not a SubjectPublicKeyInfo")?;
    if !outer.is_empty() {
        return Err("extra bytes after the key");
    }
    let mut fields = DerReader::new(spki);
    if fields.peek_tag() == Some(TAG_INTEGER) {
        // Private keys (PKCS#8 and PKCS#1) start with a small version number;
        // a PKCS#1 RSAPublicKey starts with the (large) modulus.
        let mut probe = DerReader::new(spki);
        let first = probe.read(TAG_INTEGER)?;
        return Err(if first.len() <= 1 {
            "this is a private key, not a public key"
        } else {
            "this is a PKCS#1 RSAPublicKey, not SubjectPublicKeyInfo; convert it with \
             `openssl rsa -RSAPublicKey_in -pubout`"
        });
    }
    let algorithm = fields
        .read(TAG_SEQUENCE)
        .map_err(|_| "no AlgorithmIdentifier, so not a SubjectPublicKeyInfo")?;
    let key_bits = fields
        .read(TAG_BIT_STRING)
        .map_err(|_| "no subjectPublicKey BIT STRING, so not a SubjectPublicKeyInfo")?;
    if !fields.is_empty() {
        return Err("extra fields in the SubjectPublicKeyInfo");
    }

    let mut algorithm = DerReader::new(algorithm);
    let oid = algorithm.read(TAG_OID)?;
    match oid {
        OID_RSA_ENCRYPTION => {}
        OID_EC_PUBLIC_KEY => return Err("this is an EC key; the cancel API uses RSA"),
        OID_ED25519 => return Err("this is an Ed25519 key; the cancel API uses RSA"),
        OID_RSASSA_PSS => {
            return Err("this is an RSASSA-PSS-only key; the cancel API needs rsaEncryption");
        }
        _ => return Err("the key algorithm is not rsaEncryption"),
    }
    // RFC 3279 requires NULL parameters, but some encoders omit them.
    if !algorithm.is_empty() {
        let params = algorithm.read(TAG_NULL)?;
        if !params.is_empty() || !algorithm.is_empty() {
            return Err("unexpected rsaEncryption parameters");
        }
    }

    let (&unused_bits, rsa_public_key) = key_bits.split_first().ok_or("empty subjectPublicKey")?;
    if unused_bits != 0 {
        return Err("subjectPublicKey is not a whole number of bytes");
    }
    check_rsa_public_key(rsa_public_key)
}

/// Checks a PKCS#1 RSAPublicKey against the limits this module promises
/// (2048 to 8192 bits, an odd exponent from 3 to 2^33), so that a key which
/// loads is also a key that can verify, and a refusal says why in words.
fn check_rsa_public_key(der: &[u8]) -> Result<ParsedRsaPublicKey, &'static str> {
    let mut outer = DerReader::new(der);
    let sequence = outer.read(TAG_SEQUENCE)?;
    if !outer.is_empty() {
        return Err("extra bytes after the RSA public key");
    }
    let mut fields = DerReader::new(sequence);
    let modulus = positive_integer(fields.read(TAG_INTEGER)?)?;
    let exponent = positive_integer(fields.read(TAG_INTEGER)?)?;
    if !fields.is_empty() {
        return Err("extra fields in the RSA public key");
    }

    let (&top, _) = modulus.split_first().ok_or("the RSA modulus is zero")?;
    let modulus_bits = (modulus.len() - 1) * 8 + (8 - top.leading_zeros() as usize);
    if modulus_bits < 2048 {
        return Err("the RSA modulus is smaller than 2048 bits");
    }
    if modulus_bits > 8192 {
        return Err("the RSA modulus is larger than 8192 bits");
    }
    if modulus.last().is_some_and(|low| low & 1 == 0) {
        return Err("the RSA modulus is even");
    }

    if exponent.len() > 5 {
        return Err("the RSA public exponent is too large");
    }
    let e = exponent
        .iter()
        .fold(0u64, |acc, &byte| (acc << 8) | u64::from(byte));
    if !(3..1u64 << 33).contains(&e) || e & 1 == 0 {
        return Err("the RSA public exponent is not an odd number between 3 and 2^33");
    }

    let mut fields = encode_positive_integer(modulus);
    fields.extend_from_slice(&encode_positive_integer(exponent));
    Ok(ParsedRsaPublicKey {
        rsa_public_key: encode_der(TAG_SEQUENCE, &fields),
        modulus_bits,
    })
}

/// The magnitude of a non-negative DER INTEGER without leading zero bytes.
fn positive_integer(contents: &[u8]) -> Result<&[u8], &'static str> {
    match contents.first() {
        None => Err("empty DER INTEGER"),
        Some(&first) if first & 0x80 != 0 => Err("negative number in the RSA public key"),
        Some(_) => {
            let start = contents
                .iter()
                .position(|&byte| byte != 0)
                .unwrap_or(contents.len());
            Ok(&contents[start..])
        }
    }
}

fn encode_der(tag: u8, contents: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(contents.len() + 6);
    out.push(tag);
    let len = contents.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let len_bytes = len.to_be_bytes();
        let skip = len_bytes.iter().take_while(|&&byte| byte == 0).count();
        let significant = &len_bytes[skip..];
        out.push(0x80 | significant.len() as u8);
        out.extend_from_slice(significant);
    }
    out.extend_from_slice(contents);
    out
}

/// DER INTEGER for a magnitude without leading zeros: a zero byte is put in
/// front when the top bit is set, since DER integers are signed.
fn encode_positive_integer(magnitude: &[u8]) -> Vec<u8> {
    let mut contents = Vec::with_capacity(magnitude.len() + 1);
    if magnitude.first().is_none_or(|&top| top & 0x80 != 0) {
        contents.push(0);
    }
    contents.extend_from_slice(magnitude);
    encode_der(TAG_INTEGER, &contents)
}

fn encode_spki(rsa_public_key: &[u8]) -> Vec<u8> {
    let mut algorithm = encode_der(TAG_OID, OID_RSA_ENCRYPTION);
    algorithm.extend_from_slice(&encode_der(TAG_NULL, &[]));
    let mut bit_string = Vec::with_capacity(rsa_public_key.len() + 1);
    bit_string.push(0);
    bit_string.extend_from_slice(rsa_public_key);
    let mut fields = encode_der(TAG_SEQUENCE, &algorithm);
    fields.extend_from_slice(&encode_der(TAG_BIT_STRING, &bit_string));
    encode_der(TAG_SEQUENCE, &fields)
}

// ---------------------------------------------------------------------------
// What is signed
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// The Signature header
// ---------------------------------------------------------------------------

/// Parsed `Signature` header:
/// `algorithm=RSA256,keyVersion=1,signature=<form-urlencoded base64>`.
///
/// `Debug` shows the signature as `***`.
#[derive(Clone, PartialEq)]
pub struct SignatureHeader {
    /// As sent; [`SignatureHeader::parse`] only accepts `RSA256` (any case).
    pub algorithm: String,
    /// `None` when the pair is absent; the SDKs treat it as optional.
    pub key_version: Option<String>,
    /// The raw signature bytes (URL- and base64-decoded).
    pub signature: Vec<u8>,
}

impl SignatureHeader {
    /// Parses a `Signature` header value, tolerating what real senders do:
    ///
    /// * spaces around commas and `=` (the docs show `, `, the SDKs send `,`);
    /// * pairs in any order, names in any case; unknown pairs are ignored so
    ///   that a future field does not break verification; empty pieces
    ///   (doubled or trailing commas) are skipped;
    /// * percent-escapes in either case (`%2B` and `%2b`);
    /// * an un-encoded value: the value runs to the next comma, and base64
    ///   never contains a comma, so raw `=` padding survives;
    /// * base64 with or without `=` padding.
    ///
    /// A raw `+` is kept as a literal `+`, not turned into a space as HTML
    /// form decoding would: the value is base64, which has no spaces, and a
    /// sender that skipped URL-encoding means the base64 `+`.
    ///
    /// The `signature` and `algorithm` pairs are required and a repeated pair
    /// is rejected, because either would leave the signature ambiguous.
    pub fn parse(value: &str) -> Result<Self, SignatureHeaderError> {
        let value = value.trim();
        if value.is_empty() {
            return Err(SignatureHeaderError::Empty);
        }

        let mut algorithm: Option<&str> = None;
        let mut key_version: Option<&str> = None;
        let mut signature: Option<&str> = None;
        for (index, piece) in value.split(',').enumerate() {
            let piece = piece.trim();
            if piece.is_empty() {
                continue;
            }
            let Some((name, raw)) = piece.split_once('=') else {
                return Err(SignatureHeaderError::MalformedPair {
                    index,
                    reason: "no '=' between name and value",
                });
            };
            let name = name.trim();
            if name.is_empty() {
                return Err(SignatureHeaderError::MalformedPair {
                    index,
                    reason: "the name before '=' is empty",
                });
            }
            let (slot, canonical) = if name.eq_ignore_ascii_case("algorithm") {
                (&mut algorithm, "algorithm")
            } else if name.eq_ignore_ascii_case("keyVersion") {
                (&mut key_version, "keyVersion")
            } else if name.eq_ignore_ascii_case("signature") {
                (&mut signature, "signature")
            } else {
                continue;
            };
            if slot.is_some() {
                return Err(SignatureHeaderError::DuplicatePair { name: canonical });
            }
            *slot = Some(raw.trim());
        }

        let raw_signature = signature.ok_or(SignatureHeaderError::MissingSignature)?;
        let algorithm = decode_text_value(
            "algorithm",
            algorithm.ok_or(SignatureHeaderError::MissingAlgorithm)?,
        )?;
        if !algorithm.eq_ignore_ascii_case(ALGORITHM) {
            return Err(SignatureHeaderError::UnsupportedAlgorithm {
                algorithm: truncate_for_message(&algorithm),
            });
        }
        let key_version = key_version
            .map(|raw| decode_text_value("keyVersion", raw))
            .transpose()?;

        let base64_text: Vec<u8> = percent_decode_str(raw_signature).collect();
        if base64_text.is_empty() {
            return Err(SignatureHeaderError::BadEncoding {
                field: "signature",
                reason: "the value is empty",
                offset: None,
            });
        }
        let signature = LENIENT_BASE64.decode(&base64_text).map_err(|error| {
            let (reason, offset) = describe_base64_error(&error);
            SignatureHeaderError::BadEncoding {
                field: "signature",
                reason,
                offset,
            }
        })?;

        Ok(Self {
            algorithm,
            key_version,
            signature,
        })
    }

    /// Formats a header value the way the SDKs do:
    /// `algorithm=RSA256,keyVersion=<v>,signature=<v>` without spaces.
    ///
    /// The signature is standard base64 with padding, then every character
    /// outside `[A-Za-z0-9-_.*]` is percent-escaped with uppercase hex
    /// (`+` → `%2B`, `/` → `%2F`, `=` → `%3D`). The key version gets the same
    /// escaping so that no input can break the header's `,`/`=` structure.
    pub fn format(key_version: &str, signature: &[u8]) -> String {
        let encoded = STANDARD.encode(signature);
        format!(
            "algorithm={ALGORITHM},keyVersion={},signature={}",
            utf8_percent_encode(key_version, FORM_VALUE),
            utf8_percent_encode(&encoded, FORM_VALUE),
        )
    }
}

/// What a sender must emit, beyond what a tolerant parser accepts
/// (`sign.header-format`, MUST on both sides). A parser tolerates a missing
/// `keyVersion` and a raw base64 value; a sender that relies on that breaks
/// every receiver that follows the documented grammar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmittedHeaderError {
    /// The value does not parse at all.
    Unparsable(SignatureHeaderError),
    /// There is no `keyVersion=` pair.
    MissingKeyVersion,
    /// The signature value carries a raw character that must be
    /// percent-escaped (`+`, `/` or `=`).
    RawCharacter { character: char },
}

impl fmt::Display for EmittedHeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EmittedHeaderError::Unparsable(error) => error.fmt(f),
            EmittedHeaderError::MissingKeyVersion => f.write_str(
                "the Signature header has no `keyVersion=` pair: a sender must emit \
                 `algorithm=RSA256,keyVersion=<version>,signature=<URL-encoded base64>`",
            ),
            EmittedHeaderError::RawCharacter { character } => write!(
                f,
                "the `signature` value of the Signature header carries a raw `{character}`: \
                 a sender must URL-encode the base64 value (`+` as %2B, `/` as %2F, `=` as %3D)"
            ),
        }
    }
}

impl std::error::Error for EmittedHeaderError {}

impl SignatureHeader {
    /// Parses a header value as a *sender* must write it: everything
    /// [`SignatureHeader::parse`] accepts, plus a `keyVersion` pair and a
    /// signature value with no raw `+`, `/` or `=`. Spaces after commas and
    /// either case of percent-escapes stay allowed, as the rule allows them.
    pub fn parse_emitted(value: &str) -> Result<Self, EmittedHeaderError> {
        let parsed = Self::parse(value).map_err(EmittedHeaderError::Unparsable)?;
        if parsed.key_version.is_none() {
            return Err(EmittedHeaderError::MissingKeyVersion);
        }
        let raw_signature = value
            .split(',')
            .filter_map(|piece| piece.trim().split_once('='))
            .find(|(name, _)| name.trim().eq_ignore_ascii_case("signature"))
            .map(|(_, raw)| raw.trim())
            .unwrap_or_default();
        if let Some(character) = raw_signature.chars().find(|c| matches!(c, '+' | '/' | '=')) {
            return Err(EmittedHeaderError::RawCharacter { character });
        }
        Ok(parsed)
    }
}

impl fmt::Debug for SignatureHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignatureHeader")
            .field("algorithm", &self.algorithm)
            .field("key_version", &self.key_version)
            .field("signature", &mask(&self.signature))
            .finish()
    }
}

fn decode_text_value(field: &'static str, raw: &str) -> Result<String, SignatureHeaderError> {
    percent_decode_str(raw)
        .decode_utf8()
        .map(|text| text.into_owned())
        .map_err(|_| SignatureHeaderError::BadEncoding {
            field,
            reason: "percent-escapes decode to invalid UTF-8",
            offset: None,
        })
}

/// Why a `Signature` header value could not be parsed. Never carries the
/// signature value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureHeaderError {
    /// The header value is empty or whitespace only.
    Empty,
    /// There is no `signature=` pair.
    MissingSignature,
    /// There is no `algorithm=` pair.
    MissingAlgorithm,
    /// The algorithm is not `RSA256`.
    UnsupportedAlgorithm { algorithm: String },
    /// The same pair appears twice.
    DuplicatePair { name: &'static str },
    /// A value could not be decoded. `offset` counts characters of the
    /// percent-decoded base64.
    BadEncoding {
        field: &'static str,
        reason: &'static str,
        offset: Option<usize>,
    },
    /// A comma-separated piece is not `name=value`; `index` counts pieces
    /// from 0.
    MalformedPair { index: usize, reason: &'static str },
}

impl fmt::Display for SignatureHeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHAPE: &str = "algorithm=RSA256,keyVersion=1,signature=<URL-encoded base64>";
        match self {
            SignatureHeaderError::Empty => {
                write!(f, "the Signature header is empty: send `{SHAPE}`")
            }
            SignatureHeaderError::MissingSignature => write!(
                f,
                "the Signature header has no `signature=` pair: send `{SHAPE}`"
            ),
            SignatureHeaderError::MissingAlgorithm => write!(
                f,
                "the Signature header has no `algorithm=` pair: send `{SHAPE}`"
            ),
            SignatureHeaderError::UnsupportedAlgorithm { algorithm } => write!(
                f,
                "the Signature header names algorithm \"{algorithm}\", but the cancel API \
                 only defines {ALGORITHM} (SHA256withRSA): sign with RSASSA-PKCS1-v1_5 \
                 over SHA-256 and send `algorithm={ALGORITHM}`"
            ),
            SignatureHeaderError::DuplicatePair { name } => write!(
                f,
                "the Signature header has `{name}=` more than once: send each pair once"
            ),
            SignatureHeaderError::BadEncoding {
                field,
                reason,
                offset,
            } => {
                write!(
                    f,
                    "the `{field}` value of the Signature header cannot be decoded ({reason}"
                )?;
                if let Some(offset) = offset {
                    write!(f, " at character {offset}")?;
                }
                f.write_str(
                    "): the value must be standard base64 (with padding), then \
                     URL-encoded, e.g. `+` as %2B, `/` as %2F, `=` as %3D",
                )
            }
            SignatureHeaderError::MalformedPair { index, reason } => write!(
                f,
                "pair {} of the Signature header is malformed ({reason}): \
                 send comma-separated name=value pairs, `{SHAPE}`",
                index + 1
            ),
        }
    }
}

impl std::error::Error for SignatureHeaderError {}

// ---------------------------------------------------------------------------
// Signing and verifying messages
// ---------------------------------------------------------------------------

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

/// Signs a request or response and returns the `Signature` header value.
pub fn sign_message(
    key: &SigningKey,
    key_version: &str,
    method: &str,
    path: &str,
    client_id: &str,
    time: &str,
    body: &[u8],
) -> Result<String, SigningError> {
    let signature = key.sign(&content_to_sign(method, path, client_id, time, body))?;
    Ok(SignatureHeader::format(key_version, &signature))
}

/// Verifies a `Signature` header value over the content of a request or
/// response; on success returns the parsed header (e.g. for its key version).
pub fn verify_message(
    key: &VerifyingKey,
    header_value: &str,
    method: &str,
    path: &str,
    client_id: &str,
    time: &str,
    body: &[u8],
) -> Result<SignatureHeader, VerifyError> {
    let header = SignatureHeader::parse(header_value)?;
    verify_parsed(key, &header, method, path, client_id, time, body)?;
    Ok(header)
}

/// [`verify_message`] for a header already parsed, e.g. by a server that
/// chose the key by the header's key version first.
pub fn verify_parsed(
    key: &VerifyingKey,
    header: &SignatureHeader,
    method: &str,
    path: &str,
    client_id: &str,
    time: &str,
    body: &[u8],
) -> Result<(), VerifyError> {
    if header.signature.len() != key.signature_len() {
        return Err(VerifyError::WrongSignatureLength {
            expected: key.signature_len(),
            found: header.signature.len(),
        });
    }
    let content = content_to_sign(method, path, client_id, time, body);
    if key.verify(&content, &header.signature) {
        Ok(())
    } else {
        Err(VerifyError::Mismatch)
    }
}

// ---------------------------------------------------------------------------
// Test keys
// ---------------------------------------------------------------------------

/// TEST-ONLY key pairs, published in `testdata/keys/` (see its README).
///
/// They protect nothing: use them only for tests and the reference server,
/// never for a real account. The constants are the file contents (one line of
/// base64 plus a newline).
pub mod test_keys {
    use super::{SigningKey, VerifyingKey};

    pub const MERCHANT_PRIVATE: &str = include_str!("../testdata/keys/merchant-private.pkcs8.b64");
    pub const MERCHANT_PUBLIC: &str = include_str!("../testdata/keys/merchant-public.spki.b64");
    pub const PROVIDER_PRIVATE: &str = include_str!("../testdata/keys/provider-private.pkcs8.b64");
    pub const PROVIDER_PUBLIC: &str = include_str!("../testdata/keys/provider-public.spki.b64");

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
}

#[cfg(test)]
mod tests {

    #[test]
    fn emitted_grammar_requires_key_version_and_url_encoding() {
        let good = SignatureHeader::format("1", &[0xfb, 0xff, 0x01]);
        assert!(SignatureHeader::parse_emitted(&good).is_ok(), "{good}");
        let spaced = good.replace(',', ", ").replace("%2F", "%2f");
        assert!(SignatureHeader::parse_emitted(&spaced).is_ok(), "{spaced}");

        let no_version = "algorithm=RSA256,signature=%2B%2F8B";
        assert_eq!(
            SignatureHeader::parse_emitted(no_version),
            Err(EmittedHeaderError::MissingKeyVersion)
        );
        for (raw, character) in [("+/8B", '+'), ("AB/8", '/'), ("AQ==", '=')] {
            let value = format!("algorithm=RSA256,keyVersion=1,signature={raw}");
            assert!(
                SignatureHeader::parse(&value).is_ok(),
                "the parser tolerates {value}"
            );
            assert_eq!(
                SignatureHeader::parse_emitted(&value),
                Err(EmittedHeaderError::RawCharacter { character }),
                "{value}"
            );
        }
        assert!(matches!(
            SignatureHeader::parse_emitted("keyVersion=1"),
            Err(EmittedHeaderError::Unparsable(_))
        ));
    }
    use super::*;

    const PATH: &str = "/ams/api/v1/payments/cancel";
    const CLIENT_ID: &str = "SANDBOX_5Y3A2N2YEB3U02799";
    const TIME: &str = "2024-01-01T12:00:00+08:00";
    const BODY: &[u8] = br#"{"paymentRequestId":"pay-1","note":"caf\u00e9 \u2603"}"#;

    use test_keys::to_pem;

    /// The Signature header of the merchant's signature over the standard
    /// request (POST PATH, CLIENT_ID, TIME, BODY).
    fn merchant_header() -> String {
        sign_message(
            &test_keys::merchant_signing(),
            "1",
            "POST",
            PATH,
            CLIENT_ID,
            TIME,
            BODY,
        )
        .expect("signing works")
    }

    /// Verifies `header` over the standard request with `body` instead.
    fn verify_body(
        key: &VerifyingKey,
        header: &str,
        body: &[u8],
    ) -> Result<SignatureHeader, VerifyError> {
        verify_message(key, header, "POST", PATH, CLIENT_ID, TIME, body)
    }

    #[test]
    fn content_to_sign_has_the_documented_shape() {
        let content = content_to_sign("POST", PATH, CLIENT_ID, "1700000000000", b"{\"a\":1}");
        assert_eq!(
            content,
            b"POST /ams/api/v1/payments/cancel\nSANDBOX_5Y3A2N2YEB3U02799.1700000000000.{\"a\":1}"
        );
    }

    #[test]
    fn sign_verify_round_trip() {
        let parsed = verify_body(&test_keys::merchant_verifying(), &merchant_header(), BODY)
            .expect("signature verifies");
        assert_eq!(parsed.algorithm, "RSA256");
        assert_eq!(parsed.key_version.as_deref(), Some("1"));
        assert_eq!(parsed.signature.len(), 256);
    }

    #[test]
    fn public_key_matches_published_public_key() {
        assert_eq!(
            test_keys::merchant_signing().public_key(),
            test_keys::merchant_verifying()
        );
        assert_eq!(
            test_keys::provider_signing().public_key().to_base64_spki(),
            test_keys::PROVIDER_PUBLIC.trim()
        );
    }

    #[test]
    fn signatures_are_deterministic() {
        let key = test_keys::provider_signing();
        let first = key.sign(b"x").expect("signing works");
        assert_eq!(first, key.sign(b"x").expect("signing works"));
    }

    #[test]
    fn flipped_body_byte_fails() {
        let mut tampered = BODY.to_vec();
        tampered[5] ^= 0x01;
        let result = verify_body(
            &test_keys::merchant_verifying(),
            &merchant_header(),
            &tampered,
        );
        assert_eq!(result, Err(VerifyError::Mismatch));
    }

    #[test]
    fn other_parts_of_the_content_are_covered() {
        let verifying = test_keys::merchant_verifying();
        let header = merchant_header();
        let sandbox = "/ams/sandbox/api/v1/payments/cancel";
        for (method, path, client_id, time) in [
            ("GET", PATH, CLIENT_ID, TIME),
            ("POST", sandbox, CLIENT_ID, TIME),
            ("POST", PATH, "OTHER", TIME),
            ("POST", PATH, CLIENT_ID, "2024-01-01T12:00:01+08:00"),
        ] {
            let result = verify_message(&verifying, &header, method, path, client_id, time, BODY);
            assert_eq!(
                result,
                Err(VerifyError::Mismatch),
                "{method} {path} {client_id} {time}"
            );
        }
    }

    #[test]
    fn wrong_key_fails() {
        let result = verify_body(&test_keys::provider_verifying(), &merchant_header(), BODY);
        assert_eq!(result, Err(VerifyError::Mismatch));
    }

    #[test]
    fn truncated_signature_reports_length() {
        let signature = test_keys::merchant_signing()
            .sign(b"anything")
            .expect("signing works");
        let header = SignatureHeader::format("1", &signature[..255]);
        let result = verify_body(&test_keys::merchant_verifying(), &header, BODY);
        assert_eq!(
            result,
            Err(VerifyError::WrongSignatureLength {
                expected: 256,
                found: 255
            })
        );
    }

    #[test]
    fn header_format_parse_round_trip() {
        // 0xfb 0xff 0xbf encodes to "+/+/" and one byte forces "==" padding,
        // so every character that needs escaping occurs.
        let signature = [0xfb, 0xff, 0xbf, 0xfb, 0xff, 0xbf, 0x01];
        let value = SignatureHeader::format("1", &signature);
        assert_eq!(
            value,
            "algorithm=RSA256,keyVersion=1,signature=%2B%2F%2B%2F%2B%2F%2B%2FAQ%3D%3D"
        );
        let parsed = SignatureHeader::parse(&value).expect("parses");
        assert_eq!(
            parsed,
            SignatureHeader {
                algorithm: "RSA256".to_string(),
                key_version: Some("1".to_string()),
                signature: signature.to_vec(),
            }
        );
    }

    #[test]
    fn format_escapes_the_key_version() {
        let value = SignatureHeader::format("a,b=c", &[1]);
        assert!(value.starts_with("algorithm=RSA256,keyVersion=a%2Cb%3Dc,signature="));
        let parsed = SignatureHeader::parse(&value).expect("parses");
        assert_eq!(parsed.key_version.as_deref(), Some("a,b=c"));
    }

    #[test]
    fn parse_tolerates_spaces_lowercase_escapes_and_order() {
        let signature = [0xfb, 0xff, 0xbf, 0x01];
        let expected = SignatureHeader {
            algorithm: "RSA256".to_string(),
            key_version: Some("1".to_string()),
            signature: signature.to_vec(),
        };
        for value in [
            "algorithm=RSA256, keyVersion=1, signature=%2b%2f%2b%2fAQ%3d%3d",
            "  signature = %2B%2f%2b%2FAQ%3D%3d ,KEYVERSION=1,Algorithm=RSA256,  ",
            // un-encoded: a raw '+' is the base64 character, not a space
            "algorithm=RSA256,keyVersion=1,signature=+/+/AQ==",
            // padding left off
            "algorithm=RSA256,keyVersion=1,signature=%2B%2F%2B%2FAQ",
            // unknown pairs and empty pieces are skipped
            "algorithm=RSA256,,keyVersion=1,future=x,signature=%2B%2F%2B%2FAQ%3D%3D,",
        ] {
            assert_eq!(
                SignatureHeader::parse(value),
                Ok(expected.clone()),
                "{value}"
            );
        }
    }

    #[test]
    fn parse_without_key_version() {
        let parsed = SignatureHeader::parse("algorithm=rsa256,signature=AQ%3D%3D").expect("parses");
        assert_eq!(parsed.key_version, None);
        assert_eq!(parsed.algorithm, "rsa256");
        assert_eq!(parsed.signature, vec![1]);
    }

    #[test]
    fn parse_errors() {
        use SignatureHeaderError as E;
        type Check = fn(&E) -> bool;
        let cases: [(&str, Check); 9] = [
            ("", |e| *e == E::Empty),
            ("   ", |e| *e == E::Empty),
            ("algorithm=RSA256,keyVersion=1", |e| {
                *e == E::MissingSignature
            }),
            ("keyVersion=1,signature=AQ%3D%3D", |e| {
                *e == E::MissingAlgorithm
            }),
            (
                "algorithm=RSA512,signature=AQ%3D%3D",
                |e| matches!(e, E::UnsupportedAlgorithm { algorithm } if algorithm == "RSA512"),
            ),
            ("algorithm=RSA256,signature=AQ,signature=AQ", |e| {
                *e == E::DuplicatePair { name: "signature" }
            }),
            ("algorithm=RSA256,signature=A*Q", |e| {
                matches!(
                    e,
                    E::BadEncoding {
                        field: "signature",
                        offset: Some(1),
                        ..
                    }
                )
            }),
            ("algorithm=RSA256,signature=", |e| {
                matches!(
                    e,
                    E::BadEncoding {
                        field: "signature",
                        ..
                    }
                )
            }),
            ("algorithm=RSA256,RSA256,signature=AQ", |e| {
                *e == E::MalformedPair {
                    index: 1,
                    reason: "no '=' between name and value",
                }
            }),
        ];
        for (value, check) in cases {
            let error = SignatureHeader::parse(value).expect_err(value);
            assert!(check(&error), "{value:?} gave {error:?}");
            assert!(!error.to_string().is_empty());
        }
    }

    #[test]
    fn debug_output_hides_secrets() {
        let key = test_keys::merchant_signing();
        assert_eq!(format!("{key:?}"), "SigningKey(***)");
        assert_eq!(format!("{key:#?}"), "SigningKey(***)");

        let signature = key.sign(b"message").expect("signing works");
        let header =
            SignatureHeader::parse(&SignatureHeader::format("1", &signature)).expect("parses");
        let encoded = STANDARD.encode(&signature);
        for debug in [format!("{header:?}"), format!("{header:#?}")] {
            assert!(debug.contains("***"), "{debug}");
            assert!(!debug.contains(&encoded[..16]), "{debug}");
            assert!(!debug.contains('['), "looks like a byte list: {debug}");
        }

        let verifying = format!("{:?}", test_keys::merchant_verifying());
        assert!(verifying.contains("modulus_bits: 2048"), "{verifying}");
        assert!(
            !verifying.contains(&test_keys::MERCHANT_PUBLIC[..40]),
            "{verifying}"
        );
    }

    #[test]
    fn keys_load_from_base64_and_pem() {
        let from_line = test_keys::merchant_verifying();

        let pem_private = to_pem("PRIVATE KEY", test_keys::MERCHANT_PRIVATE);
        let from_pem = SigningKey::from_base64_pkcs8(&pem_private).expect("PEM private key loads");
        assert_eq!(from_pem.public_key(), from_line);

        let pem_public = to_pem("PUBLIC KEY", test_keys::MERCHANT_PUBLIC);
        assert_eq!(
            VerifyingKey::from_base64_spki(&pem_public).expect("PEM public key loads"),
            from_line
        );

        // Whitespace around and inside, CRLF line ends, text before the armour.
        let messy = format!(
            "\u{feff}Bag Attributes\r\n{}\r\n\r\n",
            pem_public.replace('\n', "\r\n")
        );
        assert_eq!(
            VerifyingKey::from_base64_spki(&messy).expect("messy PEM loads"),
            from_line
        );
        let spaced = format!("  \n{}\t\n", test_keys::MERCHANT_PUBLIC.trim());
        assert_eq!(
            VerifyingKey::from_base64_spki(&spaced).expect("spaced line loads"),
            from_line
        );
        let unpadded = test_keys::MERCHANT_PUBLIC.trim().trim_end_matches('=');
        assert_eq!(
            VerifyingKey::from_base64_spki(unpadded).expect("unpadded line loads"),
            from_line
        );
        assert_eq!(
            VerifyingKey::from_base64_spki(&from_line.to_base64_spki()).expect("round trip"),
            from_line
        );
    }

    #[test]
    fn garbage_gives_key_errors_not_panics() {
        let private = |text: &str| SigningKey::from_base64_pkcs8(text).expect_err(text);
        let public = |text: &str| VerifyingKey::from_base64_spki(text).expect_err(text);

        assert_eq!(
            private(""),
            KeyError::Empty {
                kind: PRIVATE_KEY_KIND
            }
        );
        assert_eq!(
            public(" \n "),
            KeyError::Empty {
                kind: PUBLIC_KEY_KIND
            }
        );
        assert!(matches!(
            private("not a key!"),
            KeyError::NotBase64 {
                offset: Some(7),
                ..
            }
        ));
        assert!(matches!(public("%%%%"), KeyError::NotBase64 { .. }));
        assert!(matches!(private("AAAA"), KeyError::NotAKey { .. }));
        assert!(matches!(public("AAAA"), KeyError::NotAKey { .. }));
        assert!(matches!(public("MAA="), KeyError::NotAKey { .. }));
        assert!(matches!(public("MIIBIjAN"), KeyError::NotAKey { .. }));
        assert!(matches!(
            private("-----BEGIN PRIVATE KEY-----\nAAAA\n"),
            KeyError::MalformedPem { .. }
        ));
        assert!(matches!(
            public("AAAA\n-----END PUBLIC KEY-----"),
            KeyError::MalformedPem { .. }
        ));
        assert!(matches!(
            private(&to_pem("RSA PRIVATE KEY", "AAAA")),
            KeyError::WrongPemLabel { found, .. } if found == "RSA PRIVATE KEY"
        ));
        assert!(matches!(
            public(&to_pem("CERTIFICATE", "AAAA")),
            KeyError::WrongPemLabel { found, .. } if found == "CERTIFICATE"
        ));
        let two_blocks = format!(
            "{}{}",
            to_pem("PUBLIC KEY", test_keys::MERCHANT_PUBLIC),
            to_pem("PUBLIC KEY", test_keys::PROVIDER_PUBLIC)
        );
        assert!(matches!(public(&two_blocks), KeyError::MalformedPem { .. }));

        // The two halves of a pair swapped.
        let swapped = private(test_keys::MERCHANT_PUBLIC);
        assert!(
            matches!(&swapped, KeyError::NotAKey { reason, .. } if reason.contains("public key")),
            "{swapped:?}"
        );
        let swapped = public(test_keys::MERCHANT_PRIVATE);
        assert!(
            matches!(&swapped, KeyError::NotAKey { reason, .. } if reason.contains("private key")),
            "{swapped:?}"
        );

        // PKCS#1 RSAPublicKey instead of SubjectPublicKeyInfo.
        let verifying = test_keys::merchant_verifying();
        let rsa_public_key = parse_spki(&verifying.spki).expect("parses").rsa_public_key;
        let pkcs1 = STANDARD.encode(&rsa_public_key);
        let error = public(&pkcs1);
        assert!(
            matches!(&error, KeyError::NotAKey { reason, .. } if reason.contains("PKCS#1")),
            "{error:?}"
        );

        // An EC P-256 public key (not secret, made with openssl).
        let ec = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE3iM/jsJxYSzeLEixCZaDrRqnhFVY068Otez3VOcD1NtO9hu2ozblSQ6+tL77ByJZqbTLOBgCZ+0KhsTXCHZ61g==";
        let error = public(ec);
        assert!(
            matches!(&error, KeyError::NotAKey { reason, .. } if reason.contains("EC")),
            "{error:?}"
        );
    }

    #[test]
    fn key_errors_do_not_echo_key_material() {
        let key_line = test_keys::MERCHANT_PRIVATE.trim();
        // Corrupt one character in the middle so the rest is still real key text.
        let corrupted = format!("{}!{}", &key_line[..800], &key_line[801..]);
        let error = SigningKey::from_base64_pkcs8(&corrupted).expect_err("corrupted");
        assert!(matches!(
            error,
            KeyError::NotBase64 {
                offset: Some(800),
                ..
            }
        ));
        let message = error.to_string();
        assert!(!message.contains(&key_line[790..800]), "{message}");
        assert!(!format!("{error:?}").contains(&key_line[790..800]));

        let truncated = &key_line[..1200];
        let error = SigningKey::from_base64_pkcs8(truncated).expect_err("truncated");
        let message = error.to_string();
        assert!(matches!(error, KeyError::NotAKey { .. }), "{error:?}");
        assert!(!message.contains(&key_line[..40]), "{message}");
    }

    #[test]
    fn loose_der_is_accepted_and_normalised() {
        let canonical = test_keys::merchant_verifying();
        let der = STANDARD
            .decode(test_keys::MERCHANT_PUBLIC.trim())
            .expect("test key is base64");
        // A 2048-bit SPKI starts `30 82 01 22`; re-state that length in a
        // needlessly long form.
        assert_eq!(der[..2], [0x30, 0x82]);
        let mut loose = vec![0x30, 0x84, 0x00, 0x00, der[2], der[3]];
        loose.extend_from_slice(&der[4..]);
        let key = VerifyingKey::from_base64_spki(&STANDARD.encode(&loose)).expect("loads");
        assert_eq!(key, canonical);
        assert_eq!(key.to_base64_spki(), test_keys::MERCHANT_PUBLIC.trim());

        let signature = test_keys::merchant_signing()
            .sign(b"loose")
            .expect("signing works");
        assert!(key.verify(b"loose", &signature));
    }

    #[test]
    fn der_length_encoding_round_trips() {
        for len in [0usize, 1, 127, 128, 255, 256, 70_000] {
            let contents = vec![7u8; len];
            let encoded = encode_der(TAG_SEQUENCE, &contents);
            let mut reader = DerReader::new(&encoded);
            assert_eq!(reader.read(TAG_SEQUENCE), Ok(contents.as_slice()));
            assert!(reader.is_empty());
        }
    }
}
