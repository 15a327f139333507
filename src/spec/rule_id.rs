//! The id of a rule of `spec/rules.yaml`, and every id the code names as a
//! typed constant. The code that decides a verdict cites rules only through
//! these constants, so that one module lists what the code depends on in
//! the catalog, and `tests/rule_ids.rs` checks each of them (and every id
//! the cases and the tests name) against the catalog: a rule renamed in
//! `spec/rules.yaml` and not here would otherwise turn a firm failure into
//! a warning without a word (an unknown rule is firm, see
//! [`crate::suite::verdict`]).

use std::fmt;

/// A rule id (`area.kebab-name`), borrowed: a constant below, or the text a
/// case file gives, looked up in the catalog as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RuleId<'a>(&'a str);

impl RuleId<'static> {
    /// The id of a rule the code names. Evaluated at compile time for a
    /// constant, where an id not of the form `area.kebab-name` stops the
    /// build.
    pub const fn new(id: &'static str) -> RuleId<'static> {
        assert!(is_rule_id(id), "a rule id is `area.kebab-name`, lowercase");
        RuleId(id)
    }
}

impl<'a> RuleId<'a> {
    pub fn as_str(self) -> &'a str {
        self.0
    }
}

/// Any text names a rule for a lookup (a case's `rules:` entry, a rule id
/// in a results file); one that names none is simply not found.
impl<'a, T: AsRef<str> + ?Sized> From<&'a T> for RuleId<'a> {
    fn from(id: &'a T) -> RuleId<'a> {
        RuleId(id.as_ref())
    }
}

impl AsRef<str> for RuleId<'_> {
    fn as_ref(&self) -> &str {
        self.0
    }
}

impl fmt::Display for RuleId<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl PartialEq<str> for RuleId<'_> {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for RuleId<'_> {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<RuleId<'_>> for &str {
    fn eq(&self, other: &RuleId<'_>) -> bool {
        *self == other.0
    }
}

impl PartialEq<RuleId<'_>> for String {
    fn eq(&self, other: &RuleId<'_>) -> bool {
        self == other.0
    }
}

/// The ids joined as the reports list them: `a, b`.
pub fn joined(ids: &[RuleId<'_>], separator: &str) -> String {
    ids.iter()
        .map(|id| id.as_str())
        .collect::<Vec<_>>()
        .join(separator)
}

/// Whether `id` is of the form `area.kebab-name`: two non-empty parts of
/// lowercase letters, digits and inner hyphens, joined by one dot. Const,
/// so that [`RuleId::new`] checks its constants when the code is built.
pub const fn is_rule_id(id: &str) -> bool {
    let bytes = id.as_bytes();
    let mut dots = 0;
    let mut index = 0;
    // Where the current part began.
    let mut start = 0;
    while index <= bytes.len() {
        let end = index == bytes.len();
        if end || bytes[index] == b'.' {
            if index == start || bytes[start] == b'-' || bytes[index - 1] == b'-' {
                return false;
            }
            if !end {
                dots += 1;
            }
            start = index + 1;
        } else {
            let byte = bytes[index];
            if !(byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-') {
                return false;
            }
        }
        index += 1;
    }
    dots == 1
}

// The rules the code cites, by area.

pub const CAPTURE_CAPTURED_STATUS_INVALID: RuleId<'static> =
    RuleId::new("capture.captured-status-invalid");
pub const CODES_MEDIA_TYPE_NOT_ACCEPTABLE: RuleId<'static> =
    RuleId::new("codes.media-type-not-acceptable");
pub const FIELDS_CLIENT_SENDS_VALID_SHAPE: RuleId<'static> =
    RuleId::new("fields.client-sends-valid-shape");
pub const FULL_NO_PARTIAL: RuleId<'static> = RuleId::new("full.no-partial");
pub const HTTP_ANSWER_CONTENT_TYPE: RuleId<'static> = RuleId::new("http.answer-content-type");
pub const HTTP_STATUS_200: RuleId<'static> = RuleId::new("http.status-200");
pub const IDENT_EITHER_ID_SUFFICES: RuleId<'static> = RuleId::new("ident.either-id-suffices");
pub const NOTIFY_PAYMENT_RESULT_MEANING: RuleId<'static> =
    RuleId::new("notify.payment-result-meaning");
pub const PATH_PRODUCTION: RuleId<'static> = RuleId::new("path.production");
pub const PATH_SANDBOX_CLIENT: RuleId<'static> = RuleId::new("path.sandbox-client");
pub const REPEAT_ALREADY_CANCELLED_SUCCESS: RuleId<'static> =
    RuleId::new("repeat.already-cancelled-success");
pub const RESULT_CANCEL_TIME_FORMAT: RuleId<'static> = RuleId::new("result.cancel-time-format");
pub const RESULT_CANCEL_TIME_TRUE: RuleId<'static> = RuleId::new("result.cancel-time-true");
pub const RESULT_CLIENT_REPORTS_ANSWER: RuleId<'static> =
    RuleId::new("result.client-reports-answer");
pub const RESULT_CODE_STATUS_PAIRING: RuleId<'static> = RuleId::new("result.code-status-pairing");
pub const RESULT_NO_CANCEL_TIME_UNLESS_SUCCESS: RuleId<'static> =
    RuleId::new("result.no-cancel-time-unless-success");
pub const RESULT_OBJECT_ALWAYS_PRESENT: RuleId<'static> =
    RuleId::new("result.object-always-present");
pub const RESULT_STATUS_MEANING: RuleId<'static> = RuleId::new("result.status-meaning");
pub const RESULT_SUCCESS_FIELDS: RuleId<'static> = RuleId::new("result.success-fields");
pub const RETRY_CLIENT_ATTEMPTS_BOUNDED: RuleId<'static> =
    RuleId::new("retry.client-attempts-bounded");
pub const RETRY_CLIENT_NO_RETRY_ON_F: RuleId<'static> = RuleId::new("retry.client-no-retry-on-f");
pub const RETRY_CLIENT_TIMEOUT_BOUNDED: RuleId<'static> =
    RuleId::new("retry.client-timeout-bounded");
pub const RETRY_CLIENT_TIMEOUT_SAME_ID: RuleId<'static> =
    RuleId::new("retry.client-timeout-same-id");
pub const RETRY_CLIENT_U_LIMIT: RuleId<'static> = RuleId::new("retry.client-u-limit");
pub const RETRY_CLIENT_U_SAME_ID: RuleId<'static> = RuleId::new("retry.client-u-same-id");
pub const RETRY_SERVER_U_CHANGES_NOTHING: RuleId<'static> =
    RuleId::new("retry.server-u-changes-nothing");
pub const SIGN_CLIENT_SIGNS_SENT_BYTES: RuleId<'static> =
    RuleId::new("sign.client-signs-sent-bytes");
pub const SIGN_CLIENT_UNTRUSTED_ENDS_CANCEL: RuleId<'static> =
    RuleId::new("sign.client-untrusted-ends-cancel");
pub const SIGN_CLIENT_VERIFIES_NOTIFICATION: RuleId<'static> =
    RuleId::new("sign.client-verifies-notification");
pub const SIGN_CLIENT_VERIFIES_RESPONSE: RuleId<'static> =
    RuleId::new("sign.client-verifies-response");
pub const SIGN_ERROR_RESPONSE_SIGNED: RuleId<'static> = RuleId::new("sign.error-response-signed");
pub const SIGN_HEADER_FORMAT: RuleId<'static> = RuleId::new("sign.header-format");
pub const SIGN_REQUEST_HEADERS: RuleId<'static> = RuleId::new("sign.request-headers");
pub const SIGN_REQUEST_SIGNATURE: RuleId<'static> = RuleId::new("sign.request-signature");
pub const SIGN_RESPONSE_SIGNED: RuleId<'static> = RuleId::new("sign.response-signed");
pub const STATE_CANCELLED_IS_FINAL: RuleId<'static> = RuleId::new("state.cancelled-is-final");
pub const STATE_CLIENT_ORDER_RECORD: RuleId<'static> = RuleId::new("state.client-order-record");
pub const STATE_FAILED_CANCEL_SUCCESS: RuleId<'static> = RuleId::new("state.failed-cancel-success");
pub const STATE_INQUIRY_REPORTS_STATE: RuleId<'static> = RuleId::new("state.inquiry-reports-state");
pub const TLS_CLIENT_VERIFIES_CERTIFICATE: RuleId<'static> =
    RuleId::new("tls.client-verifies-certificate");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_is_area_dot_kebab_name() {
        for good in ["a.b", "http.status-200", "sign.client-signs-sent-bytes"] {
            assert!(is_rule_id(good), "{good}");
        }
        for bad in [
            "", "a", ".b", "a.", "a.b.c", "A.b", "a.-b", "a.b-", "-a.b", "a_b.c", "a.b c",
        ] {
            assert!(!is_rule_id(bad), "{bad}");
        }
    }

    #[test]
    fn an_id_reads_and_compares_as_its_text() {
        assert_eq!(RESULT_STATUS_MEANING.to_string(), "result.status-meaning");
        assert_eq!(RESULT_STATUS_MEANING, "result.status-meaning");
        let cited = String::from("result.status-meaning");
        assert_eq!(RuleId::from(&cited), RESULT_STATUS_MEANING);
        assert_eq!(
            joined(
                &[RETRY_CLIENT_U_SAME_ID, RETRY_CLIENT_TIMEOUT_SAME_ID],
                ", "
            ),
            "retry.client-u-same-id, retry.client-timeout-same-id"
        );
    }
}
