//! How a case's step shapes its request beyond a plain, signed POST of
//! its body: path, method, headers, signing and the Signature header's
//! spelling.

use crate::suite::server_half::case::{HeaderNames, SignatureSpelling, Signing, Which};

/// How a request deviates from a plain, signed POST of its body.
#[derive(Debug, Default)]
pub(super) struct RequestShape {
    pub(super) bytes: Vec<u8>,
    /// The payment whose ids an answer echoes.
    pub(super) subject: Which,
    pub(super) path: Option<String>,
    pub(super) method: Option<String>,
    pub(super) content_type: Option<String>,
    pub(super) omit_content_type: bool,
    pub(super) request_time: Option<String>,
    pub(super) signing: Signing,
    pub(super) omit_request_time: bool,
    pub(super) timeout_ms: Option<u64>,
    pub(super) signature_spelling: SignatureSpelling,
    pub(super) header_names: HeaderNames,
    pub(super) signed_path: Option<String>,
}

/// A `Signature` header value (as `SignatureHeader::format` writes it) in
/// another spelling the grammar allows.
pub(super) fn respell(value: &str, spelling: SignatureSpelling) -> String {
    let spaced = matches!(
        spelling,
        SignatureSpelling::SpacesAfterCommas | SignatureSpelling::SpacesAndLowercaseEscapes
    );
    let lowercase = matches!(
        spelling,
        SignatureSpelling::LowercaseEscapes | SignatureSpelling::SpacesAndLowercaseEscapes
    );
    let mut out = String::with_capacity(value.len() + 4);
    let mut escape = 0;
    for c in value.chars() {
        if c == '%' {
            escape = 2;
            out.push(c);
        } else if escape > 0 {
            escape -= 1;
            out.push(if lowercase { c.to_ascii_lowercase() } else { c });
        } else if c == ',' && spaced {
            out.push_str(", ");
        } else {
            out.push(c);
        }
    }
    out
}
