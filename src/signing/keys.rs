//! The key formats the vendor issues and their loading: [`SigningKey`]
//! (base64 PKCS#8 DER, or PEM) and [`VerifyingKey`] (base64 X.509
//! SubjectPublicKeyInfo DER, or PEM), and [`KeyError`], which says what is
//! wrong with a key without quoting it.

use std::fmt;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    KeyPair as _, ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256, RsaKeyPair,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::der::{check_rsa_public_key, encode_spki, parse_spki};
use super::message::SigningError;
use super::{LENIENT_BASE64, PRIVATE_KEY_KIND, PUBLIC_KEY_KIND, mask};

const PRIVATE_PEM_LABEL: &str = "PRIVATE KEY";
const PUBLIC_PEM_LABEL: &str = "PUBLIC KEY";

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
    pub(super) spki: Vec<u8>,
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
pub(super) fn truncate_for_message(text: &str) -> String {
    const LIMIT: usize = 40;
    match text.char_indices().nth(LIMIT) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_string(),
    }
}

/// Describes a base64 failure without echoing the offending byte, which
/// could be part of a secret.
pub(super) fn describe_base64_error(error: &base64::DecodeError) -> (&'static str, Option<usize>) {
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
