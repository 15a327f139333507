//! The case format: one YAML file per behaviour under `cases/`. These types
//! generate `spec/case.schema.json`; unknown keys are rejected, so a typo in
//! a case is a located bug in the case, never a silently skipped check.

mod checks;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;
use serde_saphyr::Spanned;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::spec::api::{PaymentStatus, ResultStatus};

// The payment model is the domain's; the case format names a payment's
// state after what a case seeds (a fixture in a state).
use crate::domain::{Event, FaultKind, Method, PaymentState};

/// One conformance case: one behaviour of the cancel API, the rules it
/// checks, the payment it starts from and the steps that show it.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Case")]
pub struct Case {
    /// The behaviour, stated as a fact ("A partly refunded payment is not
    /// cancellable"), never as a wish.
    #[schemars(length(min = 10, max = 200))]
    pub description: String,
    /// Ids of the rules in `spec/rules.yaml` this case checks.
    #[schemars(with = "Vec<String>", length(min = 1))]
    pub rules: Vec<Spanned<String>>,
    /// The suite version that added this case (`0.1.0`): a run pinned to
    /// an earlier version (`--suite-version`) judges it as pending.
    #[schemars(
        with = "String",
        regex(pattern = r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")
    )]
    pub since: Spanned<String>,
    /// The payment the case starts from; absent when the case needs none
    /// (an unknown payment, a request that names no payment).
    #[serde(default)]
    #[schemars(with = "Option<Fixture>")]
    pub fixture: Option<Spanned<Fixture>>,
    /// A second payment, for cases about two payments (ids that disagree).
    #[serde(default)]
    #[schemars(with = "Option<Fixture>")]
    pub other_fixture: Option<Spanned<Fixture>>,
    /// What the case does, in order; each step says what its answer must show.
    #[schemars(with = "Vec<Step>", length(min = 1))]
    pub steps: Vec<Spanned<Step>>,
    /// The acquirer profile whose behaviour the case checks, where the
    /// sources disagree; absent when it holds for every profile. A run of
    /// another profile ignores the case and says why.
    #[serde(default)]
    pub profile: Option<crate::profile::Profile>,
    /// The contract time zone the case's outcome depends on (a next-day
    /// cut-off read on a calendar), e.g. `+08:00`; absent when it holds in
    /// every zone. A run declaring another zone ignores the case and says
    /// why.
    #[serde(default)]
    pub time_zone: Option<crate::time_zone::TimeZone>,
}

impl Case {
    /// Whether only a target with a control plane can run the case: a step
    /// makes an outside event happen, scripts a fault or moves the clock, or
    /// a fixture must be seeded at the moment of the case
    /// ([`Fixture::needs_seeding_on_time`]).
    pub fn needs_control_plane(&self) -> bool {
        let steps = self.steps.iter().any(|step| {
            matches!(
                step.value,
                Step::Event(_) | Step::Fault(_) | Step::Advance(_)
            )
        });
        steps
            || self
                .fixture
                .iter()
                .chain(&self.other_fixture)
                .any(|fixture| fixture.value.needs_seeding_on_time())
    }

    /// Whether the case waits on purpose: a step gives up on an answer the
    /// server holds, so its thread sits idle for the step's timeout. A run
    /// starts these first, so the wait overlaps the other cases' work
    /// instead of trailing after it.
    pub fn waits_on_purpose(&self) -> bool {
        self.steps
            .iter()
            .any(|step| matches!(&step.value, Step::Cancel(cancel) if cancel.timeout_ms.is_some()))
    }
}

/// A payment in a given state, seeded through the control plane or, for a
/// target without one, looked up by `name` in the fixtures file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Fixture {
    /// The fixture's name; every case that uses the name describes the same
    /// payment, so one prepared sandbox payment per name is enough to map.
    #[schemars(regex(pattern = r"^[a-z0-9]+(-[a-z0-9]+)*$"))]
    pub name: String,
    /// Where the payment is in its life.
    pub state: PaymentState,
    /// How the buyer pays; windows and capture rules depend on it.
    #[serde(default)]
    pub method: Method,
    /// How long ago the buyer paid (or the payment was created, if unpaid),
    /// e.g. `10m`, `2h`, `8d`. Defaults to just now.
    #[serde(default)]
    #[schemars(regex(pattern = r"^[0-9]+(ms|s|m|h|d)$"))]
    pub age: Option<String>,
    /// Which client the payment belongs to: the suite's own (`self`) or
    /// another client id of the same merchant (`other`).
    #[serde(default)]
    pub owner: Owner,
    /// What the payment's own clock reads when it is seeded (RFC 3339 with
    /// an offset); it runs on from there. Needs control plane 1.1, so a
    /// fixture with a clock is never looked up in a fixtures file.
    #[serde(default)]
    #[schemars(regex(
        pattern = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"
    ))]
    pub clock: Option<String>,
    /// When the buyer paid, on the payment's clock (RFC 3339); instead of
    /// `age`. Needs control plane 1.1.
    #[serde(default)]
    #[schemars(regex(
        pattern = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"
    ))]
    pub paid_at: Option<String>,
    /// When the order was created, on the payment's clock (RFC 3339); for
    /// an unpaid payment instead of `age`, for a paid one before `paid_at`.
    /// Needs control plane 1.1.
    #[serde(default)]
    #[schemars(regex(
        pattern = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"
    ))]
    pub created_at: Option<String>,
}

impl Fixture {
    /// Whether only a payment seeded at the moment of the case can be the
    /// fixture: one placed on its own clock or at absolute times (control
    /// plane 1.1), or one whose age is given to the second (a few seconds
    /// from a window's edge). A payment prepared ahead, as a sandbox's or
    /// a `serve --write-fixtures` pool's is, ages while it waits.
    pub fn needs_seeding_on_time(&self) -> bool {
        let to_the_second = self
            .age
            .as_deref()
            .and_then(parse_duration)
            .is_some_and(|age| age.as_millis() % 60_000 != 0);
        self.clock.is_some() || self.paid_at.is_some() || self.created_at.is_some() || to_the_second
    }
}

/// Which client a payment belongs to, or which client id a request uses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Owner {
    /// The client id the suite runs as.
    #[default]
    #[serde(rename = "self")]
    Own,
    /// Another client id of the same merchant.
    Other,
}

/// One step of a case.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub enum Step {
    /// Send a cancel request.
    Cancel(Box<CancelStep>),
    /// Send a payment inquiry to observe the payment's status.
    Inquiry(InquiryStep),
    /// Something happens to the payment outside the cancel API (control plane).
    Event(EventStep),
    /// Script a fault for the next calls on the payment (control plane).
    Fault(FaultStep),
    /// Move the payment's clock: it was paid this much longer ago (control plane).
    Advance(AdvanceStep),
}

/// Which identifiers a request carries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum By {
    /// `paymentId` only.
    #[default]
    PaymentId,
    /// `paymentRequestId` only.
    PaymentRequestId,
    /// Both identifiers.
    Both,
    /// Neither identifier.
    Neither,
}

/// Which seeded payment an id is taken from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Which {
    /// The case's `fixture`.
    #[default]
    Fixture,
    /// The case's `other_fixture`.
    OtherFixture,
}

/// How the request is signed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Signing {
    /// Signed correctly over the exact bytes sent.
    #[default]
    Valid,
    /// No `Signature` header.
    Missing,
    /// A signature that does not verify (made over other bytes).
    Bad,
    /// A correct signature announced under a key version the client does not have.
    WrongKeyVersion,
}

/// Which client id a request is sent as.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ClientChoice {
    /// The client id the suite runs as.
    #[default]
    #[serde(rename = "self")]
    Own,
    /// Another client id of the same merchant.
    Other,
    /// A client id the provider does not know.
    Unknown,
    /// No `Client-Id` header at all.
    Missing,
}

/// How the ids taken from a fixture are spelled in a request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum IdSpelling {
    /// As the payment has them.
    #[default]
    Exact,
    /// In lowercase letters.
    Lowercase,
    /// With a space after them.
    TrailingSpace,
}

impl IdSpelling {
    pub fn spell(self, id: &str) -> String {
        match self {
            IdSpelling::Exact => id.to_string(),
            IdSpelling::Lowercase => id.to_ascii_lowercase(),
            IdSpelling::TrailingSpace => format!("{id} "),
        }
    }
}

/// Spellings of the `Signature` header that `sign.header-format` allows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SignatureSpelling {
    /// `algorithm=RSA256,keyVersion=1,signature=...` with uppercase escapes.
    #[default]
    Compact,
    /// A space after each comma, as the vendor's examples write it.
    SpacesAfterCommas,
    /// Percent-escapes in lowercase (`%2b`, `%2f`, `%3d`).
    LowercaseEscapes,
    /// Both of the above.
    SpacesAndLowercaseEscapes,
}

/// Spellings of the request's header names.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum HeaderNames {
    /// `content-type`, `client-id`, `request-time`, `signature`.
    #[default]
    Lowercase,
    /// `Content-Type`, `Client-Id`, `Request-Time`, `Signature`.
    TitleCase,
    /// `CONTENT-TYPE`, `CLIENT-ID`, `REQUEST-TIME`, `SIGNATURE`.
    Uppercase,
}

impl HeaderNames {
    /// `name` (lowercase, words joined by `-`) in this spelling.
    pub fn spell(self, name: &str) -> String {
        match self {
            HeaderNames::Lowercase => name.to_string(),
            HeaderNames::Uppercase => name.to_ascii_uppercase(),
            HeaderNames::TitleCase => name
                .split('-')
                .map(|word| {
                    let mut chars = word.chars();
                    chars
                        .next()
                        .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                        .unwrap_or_default()
                })
                .collect::<Vec<_>>()
                .join("-"),
        }
    }
}

/// A cancel request, and what its answer must show.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelStep {
    /// Which of the fixture's identifiers the request carries.
    #[serde(default)]
    pub by: By,
    /// Sends this `paymentId` instead of the fixture's (an unknown id, 65
    /// characters, an empty string).
    #[serde(default)]
    pub payment_id: Option<String>,
    /// Sends this `paymentRequestId` instead of the fixture's.
    #[serde(default)]
    pub payment_request_id: Option<String>,
    /// Takes `paymentId` from this payment (the fixture by default).
    #[serde(default)]
    pub payment_id_of: Which,
    /// Takes `paymentRequestId` from this payment (the fixture by default).
    #[serde(default)]
    pub payment_request_id_of: Which,
    /// Adds `merchantAccountId` with this value.
    #[serde(default)]
    pub merchant_account_id: Option<String>,
    /// Adds these fields to the body as they are (an amount, a number where
    /// a string belongs).
    #[serde(default)]
    pub extra_fields: Option<BTreeMap<String, Value>>,
    /// Sends exactly this text as the body instead (malformed JSON).
    #[serde(default)]
    pub raw_body: Option<String>,
    /// The request breaks the request schema on purpose; without this, a
    /// request the runner would send that breaks the schema is a bug in the case.
    #[serde(default)]
    pub invalid_request: bool,
    /// Sends to this path instead of the production cancel path.
    #[serde(default)]
    pub path: Option<String>,
    /// Uses this HTTP method instead of POST.
    #[serde(default)]
    pub method: Option<String>,
    /// Sends this `Content-Type` instead of `application/json; charset=UTF-8`.
    #[serde(default)]
    pub content_type: Option<String>,
    /// Leaves out the `Content-Type` header.
    #[serde(default)]
    pub omit_content_type: bool,
    /// Sends this `Request-Time` instead of the current RFC 3339 time (it is
    /// an opaque string: SDKs also send epoch milliseconds).
    #[serde(default)]
    pub request_time: Option<String>,
    /// How the request is signed.
    #[serde(default)]
    pub signature: Signing,
    /// Which client id the request is sent as.
    #[serde(default)]
    pub client: ClientChoice,
    /// Leaves out the `Request-Time` header.
    #[serde(default)]
    pub omit_request_time: bool,
    /// Sends the fixture's ids spelled otherwise: ids match exactly, so a
    /// changed spelling names no payment.
    #[serde(default)]
    pub id_spelling: IdSpelling,
    /// How the `Signature` header is spelled: any spelling the grammar
    /// allows must verify.
    #[serde(default)]
    pub signature_spelling: SignatureSpelling,
    /// How the request's header names are spelled (header names are
    /// case-insensitive). Only an `http://` target sees the spelling: over
    /// `https://` the HTTP client lowercases every name.
    #[serde(default)]
    pub header_names: HeaderNames,
    /// Signs over this path instead of the path the request is sent to (a
    /// signature made for the other of the production and sandbox paths).
    #[serde(default)]
    pub signed_path: Option<String>,
    /// Gives up waiting for the answer after this many milliseconds
    /// (for a scripted delay); the default is the run's timeout.
    #[serde(default)]
    #[schemars(range(min = 1, max = 60000))]
    pub timeout_ms: Option<u64>,
    /// What the answer must show.
    pub expect: Expect,
}

/// An inquiry about the fixture's payment, and what it must show.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InquiryStep {
    /// Which of the payment's identifiers the inquiry carries.
    #[serde(default)]
    pub by: By,
    /// Which seeded payment the inquiry is about (the fixture by default).
    #[serde(default)]
    pub of: Which,
    /// Sends this `paymentId` instead of the payment's (an unknown id).
    #[serde(default)]
    pub payment_id: Option<String>,
    /// Sends this `paymentRequestId` instead of the payment's.
    #[serde(default)]
    pub payment_request_id: Option<String>,
    /// Sends to this path instead of the client's inquiry path (the
    /// sandbox inquiry path, for a production client id), signed over it.
    #[serde(default)]
    pub path: Option<String>,
    /// What the answer must show.
    pub expect: Expect,
}

/// An event step: what happens, and whether the target must accept it.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EventStep {
    /// What happens to the payment.
    pub event: Event,
}

/// A fault scripted for the next calls on the fixture's payment.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FaultStep {
    /// What goes wrong.
    pub kind: FaultKind,
    /// For `unknown`: the U code to answer (UNKNOWN_EXCEPTION by default).
    #[serde(default)]
    pub code: Option<String>,
    /// How many of the next calls it hits (1 by default).
    #[serde(default)]
    #[schemars(range(min = 1, max = 100))]
    pub count: Option<u32>,
    /// For `delay`: how long the answer is held.
    #[serde(default)]
    #[schemars(range(min = 1, max = 60000))]
    pub delay_ms: Option<u64>,
}

/// Moves the payment's clock forward.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AdvanceStep {
    /// How far, e.g. `8d`.
    #[schemars(regex(pattern = r"^[0-9]+(ms|s|m|h|d)$"))]
    pub by: String,
}

/// What became of the exchange at the transport level.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Transport {
    /// A complete HTTP answer arrived.
    #[default]
    Answered,
    /// No answer arrived in time (a scripted delay).
    NoAnswer,
}

/// What `cancelTime` must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum CancelTimeExpectation {
    /// Present (and, as the schema says, RFC 3339 with an offset).
    Present,
    /// Absent.
    Absent,
    /// Present and equal to the first `cancelTime` this case received.
    SameAsFirst,
}

/// One code, or a list of acceptable codes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Codes {
    One(String),
    AnyOf(Vec<String>),
}

impl Codes {
    pub fn as_slice(&self) -> &[String] {
        match self {
            Codes::One(code) => std::slice::from_ref(code),
            Codes::AnyOf(codes) => codes,
        }
    }
}

/// What an answer must show. Every answer is also checked against the
/// response schema and its signature is verified, whatever is listed here.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// Whether an answer arrives at all.
    #[serde(default)]
    pub transport: Transport,
    /// The HTTP status (200 by default: every business result is HTTP 200).
    #[serde(default)]
    #[schemars(range(min = 100, max = 599))]
    pub http_status: Option<u16>,
    /// `result.resultStatus`.
    #[serde(default)]
    pub result_status: Option<ResultStatus>,
    /// `result.resultCode`: exactly this code, or one of these codes.
    #[serde(default)]
    pub result_code: Option<Codes>,
    /// The answer names the fixture's `paymentId` and `paymentRequestId`.
    #[serde(default)]
    pub echoes_ids: bool,
    /// What `cancelTime` must be.
    #[serde(default)]
    pub cancel_time: Option<CancelTimeExpectation>,
    /// `paymentStatus` of an inquiry answer.
    #[serde(default)]
    pub payment_status: Option<PaymentStatus>,
}

/// Parses a duration such as `10m` or `8d` (the case schema's pattern).
pub fn parse_duration(text: &str) -> Option<std::time::Duration> {
    let digits_end = text.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = text.split_at(digits_end);
    let number: u64 = number.parse().ok()?;
    let millis = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return None,
    };
    Some(std::time::Duration::from_millis(
        number.checked_mul(millis)?,
    ))
}

/// A server case file, loaded.
pub type LoadedCase = crate::suite::load::Loaded<Case>;

/// How long an unpaid payment lives before the provider closes it as FAIL
/// (rule `state.unpaid-closes-after-14-minutes`).
const UNPAID_LIFETIME: time::Duration = time::Duration::minutes(14);

impl Fixture {
    /// The state the payment is in once seeded, which is the state a case
    /// needs it in: the fixture's, except that an unpaid payment created
    /// 14 minutes or more before its clock has already closed as failed,
    /// on a sandbox as on the reference server.
    pub fn state_once_seeded(&self) -> PaymentState {
        if self.state != PaymentState::AwaitingBuyer {
            return self.state;
        }
        let parse = |text: &str| OffsetDateTime::parse(text, &Rfc3339).ok();
        let age = match (&self.created_at, &self.clock) {
            (Some(created), Some(clock)) => parse(clock)
                .zip(parse(created))
                .map(|(clock, created)| clock - created),
            _ => self
                .age
                .as_deref()
                .and_then(parse_duration)
                .and_then(|age| time::Duration::try_from(age).ok()),
        };
        if age.is_some_and(|age| age >= UNPAID_LIFETIME) {
            PaymentState::Failed
        } else {
            self.state
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_every_unit() {
        assert_eq!(
            parse_duration("250ms"),
            Some(std::time::Duration::from_millis(250))
        );
        assert_eq!(
            parse_duration("8d"),
            Some(std::time::Duration::from_secs(8 * 86_400))
        );
        assert_eq!(parse_duration("8"), None);
        assert_eq!(parse_duration("d"), None);
        assert_eq!(parse_duration("99999999999999999999d"), None);
    }
}
