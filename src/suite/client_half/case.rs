//! The client-case format: one YAML file per client behaviour under
//! `cases/client/`. The suite plays the provider: a case scripts what the
//! provider answers, drives the client through its adapter, and says what
//! the client must conclude. These types generate
//! `spec/client-case.schema.json`.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_saphyr::Spanned;

/// One client conformance case.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "ClientCase")]
pub struct ClientCase {
    /// The behaviour, stated as a fact, never as a wish.
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
    /// Which client id the client under test calls as.
    #[serde(default)]
    pub client: Identity,
    /// The key version the client is given (`CC_KEY_VERSION`); its
    /// request Signature headers must name it.
    #[serde(default = "default_key_version")]
    #[schemars(length(min = 1, max = 8))]
    pub key_version: String,
    /// The attempts per cancel this case allows (`CC_MAX_ATTEMPTS`), when
    /// fewer than the run's `--max-attempts`: a client that ignores the
    /// variable and uses a fixed number shows itself.
    #[serde(default)]
    #[schemars(range(min = 1, max = 20))]
    pub max_attempts: Option<u32>,
    /// The certificate the scripted provider presents. Anything but
    /// `trusted` serves HTTPS whether or not the run uses `--tls`.
    #[serde(default)]
    pub certificate: Certificate,
    /// What the scripted provider answers to the successive cancel
    /// requests it receives; once the list is used up, its last entry
    /// answers every further request.
    #[schemars(length(min = 1))]
    pub answers: Vec<Answer>,
    /// What the case does, in order.
    #[schemars(with = "Vec<ClientStep>", length(min = 1))]
    pub steps: Vec<Spanned<ClientStep>>,
}

fn default_key_version() -> String {
    crate::signing::test_keys::KEY_VERSION.to_string()
}

impl ClientCase {
    /// The fewest attempts per cancel (`CC_MAX_ATTEMPTS`) a correct client
    /// needs to pass this case; a run allowing fewer ignores the case.
    pub fn attempts_needed(&self) -> u32 {
        self.steps
            .iter()
            .filter_map(|step| match &step.value {
                ClientStep::Cancel(cancel) => Some(
                    cancel
                        .expect
                        .attempts
                        .unwrap_or(1)
                        .max(cancel.expect.min_attempts.unwrap_or(1)),
                ),
                _ => None,
            })
            .max()
            .unwrap_or(1)
    }

    /// Whether one of this case's answers carries `code`: a case may
    /// script a code outside the catalog (a provider that added one).
    pub fn scripts_code(&self, code: &str) -> bool {
        self.answers
            .iter()
            .any(|answer| answer.code() == Some(code))
    }
}

/// The client id the client under test is given.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Identity {
    /// An ordinary (production) client id.
    #[default]
    Production,
    /// A client id starting with `SANDBOX_`: the client must call the
    /// `/ams/sandbox/api/...` paths.
    Sandbox,
}

/// The TLS certificate the scripted provider presents.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Certificate {
    /// The one `CC_CA_CERT` names (with `--tls`), or plain HTTP.
    #[default]
    Trusted,
    /// A certificate for the right host name from an authority the client
    /// was not told to trust (`CC_CA_CERT` names another one).
    UntrustedCa,
    /// A certificate the client was told to trust, issued for another
    /// host name than the one in `CC_BASE_URL`.
    WrongHostName,
}

/// One scripted answer of the provider to a cancel request.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Answer {
    /// S SUCCESS with the payment's ids and a cancelTime, signed.
    Success,
    /// U with this code (SYSTEM_ERROR, REQUEST_TRAFFIC_EXCEED_LIMIT,
    /// UNKNOWN_EXCEPTION), signed.
    Unknown(String),
    /// F with this code, signed.
    Fail(String),
    /// A signed S SUCCESS held until well after the client's timeout: a
    /// client that waits that long and believes it is wrong.
    Timeout,
    /// The connection is held until well after the client's timeout, then
    /// closed without an answer.
    Never,
    /// S SUCCESS with neither signature nor response-time header.
    Unsigned,
    /// S SUCCESS with a signature that does not verify.
    BadSignature,
    /// No answer, at once: the connection is reset as soon as it is
    /// accepted, before the request is read (a provider that is down).
    Refused,
    /// No usable answer, at once: the request is read, the status line,
    /// the headers and half the body of an S answer are sent, and the
    /// connection is then broken.
    CutOff,
    /// Any answer, spelled out.
    Answer(ScriptedAnswer),
}

impl Answer {
    /// The answer in full.
    pub fn spelled_out(&self) -> ScriptedAnswer {
        let plain = |status, code: &str, signature| ScriptedAnswer {
            status,
            code: Some(code.to_string()),
            signature,
            header: HeaderStyle::Plain,
            held: false,
            never: false,
            http_status: None,
            transport: Transport::Answered,
        };
        match self {
            Answer::Success => plain(Status::S, "SUCCESS", AnswerSignature::Valid),
            Answer::Unknown(code) => plain(Status::U, code, AnswerSignature::Valid),
            Answer::Fail(code) => plain(Status::F, code, AnswerSignature::Valid),
            Answer::Timeout => ScriptedAnswer {
                held: true,
                ..plain(Status::S, "SUCCESS", AnswerSignature::Valid)
            },
            Answer::Never => ScriptedAnswer {
                never: true,
                ..plain(Status::U, UNKNOWN_CODE, AnswerSignature::Valid)
            },
            Answer::Unsigned => plain(Status::S, "SUCCESS", AnswerSignature::Unsigned),
            Answer::BadSignature => plain(Status::S, "SUCCESS", AnswerSignature::Bad),
            Answer::Refused => ScriptedAnswer {
                transport: Transport::Refused,
                ..plain(Status::U, UNKNOWN_CODE, AnswerSignature::Valid)
            },
            Answer::CutOff => ScriptedAnswer {
                transport: Transport::CutOff,
                ..plain(Status::S, "SUCCESS", AnswerSignature::Valid)
            },
            Answer::Answer(answer) => answer.clone(),
        }
    }

    fn code(&self) -> Option<&str> {
        match self {
            Answer::Unknown(code) | Answer::Fail(code) => Some(code),
            Answer::Answer(answer) => answer.code.as_deref(),
            _ => None,
        }
    }
}

/// A resultStatus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum Status {
    S,
    F,
    U,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::S => "S",
            Status::F => "F",
            Status::U => "U",
        }
    }
}

/// An answer of the scripted provider, spelled out.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScriptedAnswer {
    /// The resultStatus.
    pub status: Status,
    /// The resultCode; by default SUCCESS for S, PROCESS_FAIL for F and
    /// UNKNOWN_EXCEPTION (the U code the vendor documents) for U. It may
    /// be a code outside the catalog.
    #[serde(default)]
    #[schemars(length(min = 1, max = 64))]
    pub code: Option<String>,
    /// How the answer is signed.
    #[serde(default)]
    pub signature: AnswerSignature,
    /// How the provider spells its headers.
    #[serde(default)]
    pub header: HeaderStyle,
    /// Held until well after the client's timeout before it is sent.
    #[serde(default)]
    pub held: bool,
    /// Never sent: the connection is closed without an answer once the
    /// hold is over.
    #[serde(default)]
    pub never: bool,
    /// The HTTP status it is sent with (200 unless said).
    #[serde(default)]
    #[schemars(range(min = 200, max = 599))]
    pub http_status: Option<u16>,
    /// Whether the answer arrives whole, or the connection fails at once
    /// (no hold).
    #[serde(default)]
    pub transport: Transport,
}

/// The U code a scripted answer carries unless the case names one: the
/// one the vendor's published tables give for an unknown outcome.
pub const UNKNOWN_CODE: &str = "UNKNOWN_EXCEPTION";

/// How the connection that carries a scripted answer behaves.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Transport {
    /// The answer is sent whole (after the hold, if held).
    #[default]
    Answered,
    /// The connection is reset as soon as it is accepted, before the
    /// request is read: no answer, at once.
    Refused,
    /// The request is read; the status line, the headers and half the
    /// body are sent, then the connection is broken: no usable answer, at
    /// once.
    CutOff,
}

impl ScriptedAnswer {
    /// Whether no usable answer comes of it (held past the timeout and
    /// closed, refused, or cut off): the client must retry.
    pub fn is_no_answer(&self) -> bool {
        self.never || self.transport != Transport::Answered
    }
}

impl ScriptedAnswer {
    pub fn result_code(&self) -> &str {
        match (&self.code, self.status) {
            (Some(code), _) => code,
            (None, Status::S) => "SUCCESS",
            (None, Status::F) => "PROCESS_FAIL",
            (None, Status::U) => UNKNOWN_CODE,
        }
    }
}

/// How an answer (or a notification) is signed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum AnswerSignature {
    /// By the provider, over the exact body, the path called, the
    /// client's id and the response-time sent.
    #[default]
    Valid,
    /// Neither signature nor response-time header.
    Unsigned,
    /// No signature header; response-time and client-id are there.
    Missing,
    /// Over other bytes than the body sent: it does not verify.
    Bad,
    /// Over the other path (sandbox for production and the reverse).
    OtherPath,
    /// For another client id: the client-id header names it and the
    /// signature is made over it.
    OtherClient,
    /// Signed, but without the response-time header it was made over.
    NoResponseTime,
    /// The response-time header differs from the time that was signed
    /// (an older answer's signature replayed with a fresh time).
    StaleResponseTime,
    /// With the merchant's key instead of the provider's.
    WrongKey,
    /// Validly signed over the client's own id, without a `client-id`
    /// header: an answer may leave it out (it is checked only if present),
    /// a notification may not.
    NoClientId,
}

/// How the provider spells a Signature header and its header names;
/// every style is one `sign.header-format` tells a parser to accept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum HeaderStyle {
    /// `algorithm=RSA256,keyVersion=1,signature=...`, uppercase escapes,
    /// lowercase header names.
    #[default]
    Plain,
    /// A space after each comma.
    SpacesAfterCommas,
    /// Percent-escapes in lowercase (`%2b`, `%2f`, `%3d`).
    LowercaseEscapes,
    /// Header names in title case (`Signature`, `Response-Time`).
    TitleCaseNames,
    /// The pairs in another order: `signature=...,keyVersion=1,algorithm=RSA256`.
    Reordered,
}

/// One step of a client case.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub enum ClientStep {
    /// Ask the client to cancel the case's payment.
    Cancel(ClientCancelStep),
    /// Deliver a payment notification to the client, as the provider would.
    Notify(NotifyStep),
    /// Ask the client for its own record of the payment.
    Status(StatusStep),
}

/// Which identifiers the client is given for the payment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum GivenIds {
    /// The `paymentId` only.
    #[default]
    PaymentId,
    /// The `paymentRequestId` only.
    PaymentRequestId,
    /// Both.
    Both,
}

/// A cancel through the client, and what must come of it.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientCancelStep {
    /// Which identifiers the client is given.
    #[serde(default)]
    pub by: GivenIds,
    /// What must come of it.
    pub expect: ClientExpect,
}

use crate::domain::{CancelConclusion, OrderStatus};

/// One outcome, or the outcomes that are all correct.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Outcomes {
    One(CancelConclusion),
    AnyOf(Vec<CancelConclusion>),
}

impl Outcomes {
    pub fn allows(&self, outcome: &str) -> bool {
        match self {
            Outcomes::One(one) => one.as_str() == outcome,
            Outcomes::AnyOf(any) => any.iter().any(|one| one.as_str() == outcome),
        }
    }

    pub fn show(&self) -> String {
        match self {
            Outcomes::One(one) => one.as_str().to_string(),
            Outcomes::AnyOf(any) => any
                .iter()
                .map(|one| one.as_str())
                .collect::<Vec<_>>()
                .join(" or "),
        }
    }

    pub fn is(&self, outcome: CancelConclusion) -> bool {
        *self == Outcomes::One(outcome)
    }
}

/// What a cancel step must show.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientExpect {
    /// The client's conclusion (or the conclusions that are all correct).
    pub outcome: Outcomes,
    /// The result code the client reports (for `failed`).
    #[serde(default)]
    pub result_code: Option<String>,
    /// Exactly how many cancel requests the client sends in this step
    /// (0: none may reach the provider).
    #[serde(default)]
    #[schemars(range(min = 0, max = 20))]
    pub attempts: Option<u32>,
    /// At least this many cancel requests (a client that must retry).
    #[serde(default)]
    #[schemars(range(min = 1, max = 20))]
    pub min_attempts: Option<u32>,
    /// Exactly `CC_MAX_ATTEMPTS` cancel requests: no answer settled the
    /// cancel, so the client uses every attempt it has.
    #[serde(default)]
    pub all_attempts: bool,
}

/// The notifications the provider sends a merchant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Notification {
    /// The buyer's payment succeeded.
    PaymentSuccess,
    /// The buyer's payment failed (result.resultStatus F): it never marks
    /// an order paid.
    PaymentFailure,
}

/// How the provider lays out a notification body; the signature is over
/// the bytes as laid out, so a client that re-serialises the body before
/// it verifies fails on every layout but its own.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum BodyLayout {
    /// Compact JSON, keys in the documented order.
    #[default]
    Compact,
    /// A space after every `:` and `,`, and a line break and indent per
    /// key, as pretty-printing providers send it.
    Spaced,
    /// Compact, the keys in another order than the documented one.
    Reordered,
    /// Compact, with characters escaped as `\uXXXX` and `\/` where JSON
    /// allows it (`"success"` as `"\u0073uccess"`).
    Escaped,
}

/// A notification delivered to the client.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NotifyStep {
    /// What the provider notifies.
    pub event: Notification,
    /// How the notification is signed (`no-response-time`: without the
    /// request-time header; `stale-response-time`: a request-time other
    /// than the one signed).
    #[serde(default)]
    pub signature: AnswerSignature,
    /// How its headers are spelled.
    #[serde(default)]
    pub header: HeaderStyle,
    /// How its body is laid out.
    #[serde(default)]
    pub body: BodyLayout,
    /// Whether the client must accept it: by default, a validly signed
    /// notification is accepted and any other is not.
    #[serde(default)]
    pub accepted: Option<bool>,
}

/// Asks the client for its record of the payment.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusStep {
    /// The record the client must hold.
    pub expect: OrderStatus,
}

/// A client case file, loaded.
pub type LoadedClientCase = crate::suite::load::Loaded<ClientCase>;

impl crate::suite::load::CaseFormat for ClientCase {
    const FOLDER: &'static str = "client";

    /// Cited rules exist, `since:` is a suite version, and an expected
    /// result code is in spec/result-codes.yaml or scripted by the case.
    fn check(
        self,
        file: &std::path::Path,
        catalog: &crate::spec::catalog::Catalog,
    ) -> Result<Self, crate::spec::yaml::YamlError> {
        crate::suite::load::check_rules_cited(file, &self.rules, catalog)?;
        crate::suite::load::check_since(file, &self.since)?;
        for step in &self.steps {
            if let ClientStep::Cancel(cancel) = &step.value
                && let Some(code) = &cancel.expect.result_code
                && catalog.code(code).is_none()
                && !self.scripts_code(code)
            {
                return Err(crate::spec::yaml::YamlError::at(
                    file,
                    step.referenced,
                    format!("result code `{code}` is not in spec/result-codes.yaml"),
                ));
            }
        }
        Ok(self)
    }

    fn description(&self) -> &String {
        &self.description
    }

    fn rules(&self) -> &[Spanned<String>] {
        &self.rules
    }

    fn since(&self) -> &str {
        &self.since.value
    }

    /// A held answer, one never given, or a U answer: the case waits on
    /// the client's timeout or its retry.
    fn waits_on_purpose(&self) -> bool {
        self.answers.iter().any(|answer| {
            let answer = answer.spelled_out();
            answer.held || answer.never || answer.status == Status::U
        })
    }
}
