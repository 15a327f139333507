//! The `Signature` header's grammar: what a receiver tolerates
//! ([`SignatureHeader::parse`]), what a sender must emit
//! ([`SignatureHeader::parse_emitted`]) and how it is written
//! ([`SignatureHeader::format`]).

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use percent_encoding::{percent_decode_str, utf8_percent_encode};

use super::keys::{describe_base64_error, truncate_for_message};
use super::{ALGORITHM, FORM_VALUE, LENIENT_BASE64, mask};

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
    /// The percent-decoded value is not padded standard base64: at
    /// character `offset` (from 0) of the decoded text, `reason`.
    NotStandardBase64 { offset: usize, reason: &'static str },
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
            EmittedHeaderError::NotStandardBase64 { offset, reason } => write!(
                f,
                "the `signature` value of the Signature header, URL-decoded, is not padded \
                 standard base64: character {offset} {reason} (a sender emits the standard \
                 alphabet A-Z a-z 0-9 + /, padded with `=` to a multiple of 4 characters)"
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
        let decoded: Vec<u8> = percent_decode_str(raw_signature).collect();
        if let Some((offset, reason)) = standard_base64_fault(&decoded) {
            return Err(EmittedHeaderError::NotStandardBase64 { offset, reason });
        }
        Ok(parsed)
    }
}

/// Where `text` first departs from padded standard base64 (RFC 4648 §4),
/// and how; `None` when it is padded standard base64.
fn standard_base64_fault(text: &[u8]) -> Option<(usize, &'static str)> {
    let padding = text.iter().rev().take_while(|byte| **byte == b'=').count();
    let data = text.len() - padding;
    for (offset, byte) in text.iter().enumerate() {
        let fault = match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'+' | b'/' if offset < data => None,
            b'=' if offset >= data => None,
            b'-' | b'_' => Some("is URL-safe base64 (`-` or `_`), not the standard alphabet"),
            b'=' => Some("is `=` padding before the end"),
            b'\r' | b'\n' | b' ' | b'\t' => Some("is white space or a line break"),
            _ => Some("is outside the base64 alphabet"),
        };
        if let Some(reason) = fault {
            return Some((offset, reason));
        }
    }
    if padding > 2 {
        return Some((data + 2, "is a third `=` of padding"));
    }
    if !text.len().is_multiple_of(4) {
        return Some((
            text.len(),
            "is missing: the text ends before a multiple of 4 characters (the `=` padding is left out)",
        ));
    }
    None
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
