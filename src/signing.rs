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
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};

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

mod header;
pub use header::{EmittedHeaderError, SignatureHeader, SignatureHeaderError};

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
mod tests;
