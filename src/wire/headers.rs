//! Header names of the cancel API, declared once, and which of them are
//! secrets. Names are lowercase, as the provider sends them; they are
//! compared case-insensitively, because header names are.

use std::fmt;

/// `Client-Id`: the merchant's client id, on requests and answers.
pub const CLIENT_ID: &str = "client-id";
/// `Request-Time`: when a request (or a notification) was made.
pub const REQUEST_TIME: &str = "request-time";
/// `Response-Time`: when an answer was made; it is signed.
pub const RESPONSE_TIME: &str = "response-time";
/// `Signature`: the signature over the content to sign.
pub const SIGNATURE: &str = "signature";
/// `Content-Type`.
pub const CONTENT_TYPE: &str = "content-type";

/// The `Content-Type` of every request and answer body.
pub const JSON_CONTENT_TYPE: &str = "application/json; charset=UTF-8";

/// Header names whose values are secrets (compared lowercase).
pub const SECRET_HEADERS: &[&str] = &[SIGNATURE, "agent-token", "authorization"];

/// The value to show for a header: secrets masked.
pub fn shown_header_value<'a>(name: &str, value: &'a str) -> &'a str {
    if SECRET_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
        crate::signing::mask(value)
    } else {
        value
    }
}

/// The first header named `name`, compared case-insensitively because
/// header names are case-insensitive on the wire.
pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

/// Headers for `Debug`, secrets masked.
pub(crate) struct MaskedHeaders<'a>(pub(crate) &'a [(String, String)]);

impl fmt::Debug for MaskedHeaders<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(
                self.0
                    .iter()
                    .map(|(name, value)| (name, shown_header_value(name, value))),
            )
            .finish()
    }
}
