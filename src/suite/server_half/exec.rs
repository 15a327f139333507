//! Runs one case against a target: seeds its fixture, carries out its steps
//! in order — building each request as the step shapes it, sending it, and
//! having every answer checked by the `judge` (its shape against the
//! response schema, its signature, what the step expects) and the
//! `invariants` that hold after every step.

use libtest_mimic::Completion;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::domain::PaymentIds;
use crate::signing::{SignatureHeader, SignedContent};
use crate::spec::api::{CANCEL_PATH, INQUIRY_PATH, path_for_client};
use crate::spec::control_plane::{AdvanceRequest, EventRequest, FaultRequest};
use crate::spec::rule_id::{self, RuleId};
use crate::spec::validate::{Message, validate};
use crate::spec::yaml::YamlError;
use crate::suite::failure::{Diff, Failure, Transcript};
use crate::suite::server_half::case::{
    By, CancelStep, CancelTimeExpectation, Case, ClientChoice, Expect, Fixture, Signing, Step,
    Transport, Which, parse_duration,
};
use crate::suite::server_half::target::{ControlError, Target, UNKNOWN_CLIENT_ID};
use crate::wire::http;
use crate::wire::message::{Exchanged, Received, SentRequest};

mod invariants;
mod judge;
pub mod precondition;
mod request_shape;
use crate::wire::headers::{CLIENT_ID, CONTENT_TYPE, REQUEST_TIME, SIGNATURE};
pub use invariants::CANCEL_TIME_TOLERANCE;
use invariants::{Observed, rule_diff};
use judge::check_headers;
use request_shape::{RequestShape, respell};

/// Why a target cannot run this case at all, if it cannot (reported as
/// an ignored test with this reason).
pub fn reason_to_ignore(case: &Case, target: &Target) -> Option<String> {
    if let Some(reason) = crate::profile::reason_to_skip(case.profile, target.profile) {
        return Some(reason);
    }
    if let Some(reason) = crate::time_zone::reason_to_skip(case.time_zone, target.time_zone) {
        return Some(reason);
    }
    if case.needs_control_plane() && !target.has_control_plane() {
        return Some("needs the control plane (events, faults or the clock), which this target does not have".into());
    }
    for fixture in case.fixture.iter().chain(&case.other_fixture) {
        if let Some(reason) = target.cannot_provide(&fixture.value) {
            return Some(reason);
        }
    }
    let needs_other = case.steps.iter().any(
        |step| matches!(&step.value, Step::Cancel(cancel) if cancel.client == ClientChoice::Other),
    );
    if needs_other && target.other_client_id.is_none() {
        return Some("sends as another client id: give --other-client-id".into());
    }
    None
}

/// The state a case carries from step to step.
struct Run<'a> {
    target: &'a Target,
    http: &'a reqwest::Client,
    ids: Option<PaymentIds>,
    other_ids: Option<PaymentIds>,
    /// The first `cancelTime` this case received, for `same-as-first`.
    first_cancel_time: Option<String>,
    /// What the runner knows of each seeded payment, to judge what every
    /// step did to it whether or not the case asks.
    known: Vec<Known>,
    /// Set when a target without a control plane kept throttling a step:
    /// the case is then ignored with this reason.
    throttled: Option<String>,
}

/// A seeded payment as the runner last knew it.
#[derive(Debug, Clone)]
struct Known {
    which: Which,
    ids: PaymentIds,
    /// The state as the control plane names it (for a target without one:
    /// the fixture's declared state, then `cancelled` after an S).
    state: invariants::SeenState,
    /// When it was cancelled, once the runner has learned it.
    cancel_time: Option<OffsetDateTime>,
    /// How far the payment's clock runs ahead of real time.
    clock_offset: time::Duration,
}

/// Runs `case` against `target`.
pub async fn run_case(
    case: &Case,
    file: &std::path::Path,
    target: &Target,
    http: &reqwest::Client,
) -> Result<Completion, Failure> {
    if let Some(reason) = reason_to_ignore(case, target) {
        return Ok(Completion::ignored_with(reason));
    }
    let mut run = Run {
        target,
        http,
        ids: None,
        other_ids: None,
        first_cancel_time: None,
        known: Vec::new(),
        throttled: None,
    };
    for (which, fixture) in [
        (Which::Fixture, &case.fixture),
        (Which::OtherFixture, &case.other_fixture),
    ] {
        let Some(fixture) = fixture else { continue };
        let seeded_at = OffsetDateTime::now_utc();
        let ids = if target.fixtures.is_some() {
            match precondition::take(case, which, &fixture.value, target, http).await {
                Ok(ids) => ids,
                Err(reason) => return Ok(Completion::ignored_with(reason.to_string())),
            }
        } else {
            let action = match which {
                Which::Fixture => "seed the fixture",
                Which::OtherFixture => "seed the other fixture",
            };
            target
                .provide(http, &fixture.value)
                .await
                .map_err(|err| control_failure(0, action, err))?
        };
        run.remember(which, &ids, &fixture.value, seeded_at);
        match which {
            Which::Fixture => run.ids = Some(ids),
            Which::OtherFixture => run.other_ids = Some(ids),
        }
    }
    for (index, step) in case.steps.iter().enumerate() {
        let number = index + 1;
        let located =
            |message: String| Failure::CaseBug(YamlError::at(file, step.referenced, message));
        match &step.value {
            Step::Cancel(cancel) => run.cancel(number, cancel, &located).await?,
            Step::Inquiry(inquiry) => {
                let source = IdSource {
                    by: inquiry.by,
                    payment_id: inquiry.payment_id.as_ref(),
                    payment_request_id: inquiry.payment_request_id.as_ref(),
                    payment_id_of: inquiry.of,
                    payment_request_id_of: inquiry.of,
                };
                let body = run.ids_body(&source, &located)?;
                let shape = RequestShape {
                    bytes: Value::Object(body).to_string().into_bytes(),
                    subject: inquiry.of,
                    path: inquiry.path.clone(),
                    ..RequestShape::default()
                };
                run.exchange(
                    number,
                    "inquiry",
                    Message::InquiryResponse,
                    INQUIRY_PATH,
                    ClientChoice::Own,
                    &inquiry.expect,
                    shape,
                )
                .await?;
            }
            Step::Event(event) => {
                let answer = run
                    .control_on_payment(
                        number,
                        "event",
                        "events",
                        &EventRequest { event: event.event },
                    )
                    .await?;
                let state = answer.get("state").and_then(Value::as_str);
                if let (Some(state), Some(known)) = (state, run.known_mut(Which::Fixture)) {
                    known.state = invariants::SeenState::named(state);
                }
            }
            Step::Fault(fault) => {
                let body = FaultRequest {
                    kind: fault.kind,
                    code: fault.code.clone(),
                    count: Some(fault.count.unwrap_or(1)),
                    delay_ms: fault.delay_ms,
                };
                run.control_on_payment(number, "fault", "faults", &body)
                    .await?;
            }
            Step::Advance(advance) => {
                let ms = parse_duration(&advance.by)
                    .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
                    .ok_or_else(|| located(format!("`{}` is not a duration", advance.by)))?;
                run.control_on_payment(number, "advance", "advance", &AdvanceRequest { ms })
                    .await?;
                if let Some(known) = run.known_mut(Which::Fixture) {
                    let by = i64::try_from(ms).unwrap_or(i64::MAX);
                    known.clock_offset = known
                        .clock_offset
                        .saturating_add(time::Duration::milliseconds(by));
                }
                // Time alone moves an unpaid payment: 14 minutes after its
                // creation it closes as failed (state.unpaid-closes-after-
                // 14-minutes), so the runner learns its state again.
                if let Some(index) = run.known.iter().position(|k| k.which == Which::Fixture) {
                    let (state, _) = run.inspect(number, index).await?;
                    run.known[index].state = state;
                }
            }
        }
        if let Some(reason) = run.throttled.take() {
            return Ok(Completion::ignored_with(reason));
        }
    }
    Ok(Completion::Completed)
}

fn control_failure(step: usize, action: &str, err: ControlError) -> Failure {
    match err {
        ControlError::Transport(error) => Failure::Transport {
            step,
            action: format!("control plane: {action}"),
            error,
            request: None,
        },
        ControlError::Refused { call, status, body } => Failure::Mismatch {
            step,
            action: format!("control plane: {action}"),
            diffs: vec![Diff::of_runner(
                call,
                "HTTP 200 with the JSON answer INTERPRETING.md describes",
                format!("HTTP {status}: {body}"),
            )],
            transcript: None,
        },
    }
}

impl Run<'_> {
    async fn control_on_payment(
        &self,
        step: usize,
        action: &str,
        what: &str,
        body: &impl serde::Serialize,
    ) -> Result<Value, Failure> {
        let payment_id = self
            .ids
            .as_ref()
            .map(|ids| ids.payment_id.clone())
            .unwrap_or_default();
        self.target
            .control(self.http, &format!("/payments/{payment_id}/{what}"), body)
            .await
            .map_err(|err| control_failure(step, action, err))
    }

    /// The ids of a seeded payment.
    fn ids_of(
        &self,
        which: Which,
        located: &(dyn Fn(String) -> Failure + Sync),
    ) -> Result<&PaymentIds, Failure> {
        let (ids, key) = match which {
            Which::Fixture => (&self.ids, "fixture"),
            Which::OtherFixture => (&self.other_ids, "other_fixture"),
        };
        ids.as_ref().ok_or_else(|| {
            located(format!(
                "this step needs the ids of `{key}`, but the case has no `{key}:`"
            ))
        })
    }

    /// The identifying part of a body: the seeded payments' ids, or overrides.
    fn ids_body(
        &self,
        source: &IdSource<'_>,
        located: &(dyn Fn(String) -> Failure + Sync),
    ) -> Result<Map<String, Value>, Failure> {
        let mut body = Map::new();
        if matches!(source.by, By::PaymentId | By::Both) {
            let value = match source.payment_id {
                Some(id) => id.clone(),
                None => self
                    .ids_of(source.payment_id_of, located)?
                    .payment_id
                    .clone(),
            };
            body.insert("paymentId".into(), Value::String(value));
        }
        if matches!(source.by, By::PaymentRequestId | By::Both) {
            let value = match source.payment_request_id {
                Some(id) => id.clone(),
                None => self
                    .ids_of(source.payment_request_id_of, located)?
                    .payment_request_id
                    .clone(),
            };
            body.insert("paymentRequestId".into(), Value::String(value));
        }
        Ok(body)
    }

    async fn cancel(
        &mut self,
        step: usize,
        cancel: &CancelStep,
        located: &(dyn Fn(String) -> Failure + Sync),
    ) -> Result<(), Failure> {
        let bytes = match &cancel.raw_body {
            // A raw body is sent as written: it is the whole request.
            Some(text) => text.as_bytes().to_vec(),
            None => {
                let source = IdSource {
                    by: cancel.by,
                    payment_id: cancel.payment_id.as_ref(),
                    payment_request_id: cancel.payment_request_id.as_ref(),
                    payment_id_of: cancel.payment_id_of,
                    payment_request_id_of: cancel.payment_request_id_of,
                };
                let mut body = self.ids_body(&source, located)?;
                for (key, overridden) in [
                    ("paymentId", cancel.payment_id.is_some()),
                    ("paymentRequestId", cancel.payment_request_id.is_some()),
                ] {
                    if let (false, Some(Value::String(id))) = (overridden, body.get_mut(key)) {
                        *id = cancel.id_spelling.spell(id);
                    }
                }
                if let Some(account) = &cancel.merchant_account_id {
                    body.insert("merchantAccountId".into(), Value::String(account.clone()));
                }
                for (key, value) in cancel.extra_fields.iter().flatten() {
                    body.insert(key.clone(), value.clone());
                }
                Value::Object(body).to_string().into_bytes()
            }
        };
        // A request that breaks the schema must say so, and one that says
        // so must break it: otherwise the case does not test what it claims.
        let breaks_schema = match serde_json::from_slice::<Value>(&bytes) {
            Ok(json) => !validate(Message::CancelRequest, &json).is_empty(),
            Err(_) => true,
        };
        if breaks_schema != cancel.invalid_request {
            let message = if breaks_schema {
                let detail = serde_json::from_slice::<Value>(&bytes)
                    .map(|json| {
                        validate(Message::CancelRequest, &json)
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join("; ")
                    })
                    .unwrap_or_else(|_| "the body is not JSON".into());
                format!(
                    "the request breaks the request schema ({detail}); if that is on purpose, add `invalid_request: true`"
                )
            } else {
                "`invalid_request: true`, but the request is a valid cancel request: remove it or make the request invalid".into()
            };
            return Err(located(message));
        }
        let shape = RequestShape {
            bytes,
            path: cancel.path.clone(),
            method: cancel.method.clone(),
            content_type: cancel.content_type.clone(),
            omit_content_type: cancel.omit_content_type,
            request_time: cancel.request_time.clone(),
            subject: cancel.payment_id_of,
            signing: cancel.signature,
            omit_request_time: cancel.omit_request_time,
            timeout_ms: cancel.timeout_ms,
            signature_spelling: cancel.signature_spelling,
            header_names: cancel.header_names,
            signed_path: cancel.signed_path.clone(),
        };
        self.exchange(
            step,
            "cancel",
            Message::CancelResponse,
            CANCEL_PATH,
            cancel.client,
            &cancel.expect,
            shape,
        )
        .await
    }

    /// Sends one API request shaped as the step says and checks the answer.
    #[allow(clippy::too_many_arguments)]
    async fn exchange(
        &mut self,
        step: usize,
        action: &str,
        response_message: Message,
        production_path: &str,
        client: ClientChoice,
        expect: &Expect,
        shape: RequestShape,
    ) -> Result<(), Failure> {
        let client_id = match client {
            ClientChoice::Own => Some(self.target.client_id.clone()),
            ClientChoice::Other => self.target.other_client_id.clone(),
            ClientChoice::Unknown => Some(UNKNOWN_CLIENT_ID.to_string()),
            ClientChoice::Missing => None,
        };
        let path = shape.path.clone().unwrap_or_else(|| {
            path_for_client(
                client_id.as_deref().unwrap_or(&self.target.client_id),
                production_path,
            )
        });
        let method = shape.method.clone().unwrap_or_else(|| "POST".into());
        let request_time = shape.request_time.clone().unwrap_or_else(now_request_time);
        let mut headers = Vec::new();
        if !shape.omit_content_type {
            let content_type = shape
                .content_type
                .clone()
                .unwrap_or_else(|| "application/json; charset=UTF-8".into());
            headers.push((CONTENT_TYPE.to_string(), content_type));
        }
        if let Some(id) = &client_id {
            headers.push((CLIENT_ID.into(), id.clone()));
        }
        if !shape.omit_request_time {
            headers.push((REQUEST_TIME.into(), request_time.clone()));
        }
        let id_for_signing = client_id.clone().unwrap_or_default();
        let signed_path = shape.signed_path.clone().unwrap_or_else(|| path.clone());
        let signed = |key_version: &str, content: &[u8]| {
            SignedContent {
                method: &method,
                path: &signed_path,
                client_id: &id_for_signing,
                time: &request_time,
                body: content,
            }
            .sign(&self.target.merchant_key, key_version)
        };
        let signature = match shape.signing {
            Signing::Valid => Some(signed(&self.target.key_version, &shape.bytes)),
            Signing::Missing => None,
            Signing::Bad => {
                // A well-formed signature over other bytes: it parses, and it
                // does not verify.
                let mut other = shape.bytes.clone();
                other.extend_from_slice(b" ");
                Some(signed(&self.target.key_version, &other))
            }
            Signing::WrongKeyVersion => Some(signed("99", &shape.bytes)),
        };
        if let Some(signature) = signature {
            let value = signature.map_err(|err| Failure::Transport {
                step,
                action: action.to_string(),
                error: http::TransportError::Request {
                    detail: format!("cannot sign the request: {err}"),
                },
                request: None,
            })?;
            headers.push((SIGNATURE.into(), respell(&value, shape.signature_spelling)));
        }
        for (name, _) in &mut headers {
            *name = shape.header_names.spell(name);
        }
        let shape_subject = shape.subject;
        let request = SentRequest {
            method,
            path,
            headers,
            body: shape.bytes,
        };
        let timeout = shape
            .timeout_ms
            .map_or(self.target.timeout, std::time::Duration::from_millis);
        // A target without a control plane that throttles the runner is
        // waited out; one that keeps at it ignores the case (unless the
        // case asks for the throttling answer).
        let wait_out = !self.target.has_control_plane()
            && !expect.result_code.as_ref().is_some_and(|codes| {
                codes
                    .as_slice()
                    .iter()
                    .any(|code| code == "REQUEST_TRAFFIC_EXCEED_LIMIT")
            });
        let mut waits = precondition::THROTTLE_WAITS.iter();
        let (sent_at, outcome, received_at) = loop {
            self.target.pace().await;
            let sent_at = time::OffsetDateTime::now_utc();
            let outcome = http::exchange(self.http, &self.target.base_url, &request, timeout).await;
            let received_at = time::OffsetDateTime::now_utc();
            let throttled = wait_out
                && outcome
                    .as_ref()
                    .is_ok_and(|exchanged| precondition::is_throttled(&exchanged.received));
            if !throttled {
                break (sent_at, outcome, received_at);
            }
            match waits.next() {
                Some(wait) => tokio::time::sleep(*wait).await,
                None => {
                    self.throttled = Some(format!(
                        "throttled: the target kept answering REQUEST_TRAFFIC_EXCEED_LIMIT (or HTTP 429) to step {step} after {} waits; run with a lower --rate",
                        precondition::THROTTLE_WAITS.len()
                    ));
                    return Ok(());
                }
            }
        };
        let (received, raw_names) = match (outcome, expect.transport) {
            (Ok(exchanged), Transport::Answered) => (exchanged.received, exchanged.raw_names),
            (Err(error), Transport::NoAnswer) if error.is_missing_answer() => {
                // Whatever the held call did is not judged here, but later
                // steps compare against what the payment is now.
                self.refresh_known(step).await?;
                return Ok(());
            }
            (Ok(Exchanged { received, .. }), Transport::NoAnswer) => {
                return Err(Failure::Mismatch {
                    step,
                    action: action.to_string(),
                    diffs: vec![Diff::new(
                        "transport",
                        "no complete answer (the case scripted a held or dropped answer)",
                        format!("HTTP {} with a complete answer", received.status),
                    )],
                    transcript: Some(Box::new(Transcript {
                        request,
                        response: Some(received),
                    })),
                });
            }
            (Err(error), _) => {
                return Err(Failure::Transport {
                    step,
                    action: action.to_string(),
                    error,
                    request: Some(Box::new(request)),
                });
            }
        };
        let mut diffs = self.check(
            response_message,
            shape_subject,
            expect,
            client_id.as_deref(),
            &request,
            &received,
        );
        check_headers(&mut diffs, raw_names.as_deref(), &received);
        let observed = Observed {
            message: response_message,
            request: &request,
            received: &received,
            sent_at,
            received_at,
        };
        diffs.extend(self.invariants(step, &observed).await?);
        if diffs.is_empty() {
            Ok(())
        } else {
            Err(Failure::Mismatch {
                step,
                action: action.to_string(),
                diffs,
                transcript: Some(Box::new(Transcript {
                    request,
                    response: Some(received),
                })),
            })
        }
    }
}

/// Where a request's ids come from.
struct IdSource<'a> {
    by: By,
    payment_id: Option<&'a String>,
    payment_request_id: Option<&'a String>,
    payment_id_of: Which,
    payment_request_id_of: Which,
}

/// The suite's own Request-Time: epoch milliseconds, the form the vendor's
/// change history has documented since June 2023 (rule
/// `sign.request-time-both-forms`; a case sends the older ISO 8601 form
/// through `request_time`).
fn now_request_time() -> String {
    let now = time::OffsetDateTime::now_utc();
    (now.unix_timestamp_nanos() / 1_000_000).to_string()
}
