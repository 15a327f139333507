//! The invariants the runner checks after every step, whether or not the
//! case asks (INTERPRETING.md §4): what an F or U left behind, what an S
//! did to the payment and when, and that an inquiry tells the truth. With a
//! control plane it reads the payments directly; without one, through an
//! inquiry.

use serde::Deserialize as _;

use super::*;
use crate::domain::PaymentState;
use crate::spec::api::PaymentStatus;
use crate::wire::headers::{CLIENT_ID, CONTENT_TYPE, REQUEST_TIME, SIGNATURE};

/// How far a `cancelTime` may lie from the moment the cancel took effect on
/// the payment's clock (rule `result.cancel-time-true`): the answer's time
/// is whole seconds, and a target's clock may drift a little from the
/// runner's.
pub const CANCEL_TIME_TOLERANCE: time::Duration = time::Duration::seconds(10);

/// How far beyond [`CANCEL_TIME_TOLERANCE`] a `cancelTime` must lie to be
/// no reading of the cancellation's time at all (a time zone slip, a
/// stale time): then it breaks rule `result.success-fields` too, which is
/// no assumption, and fails without `--strict`. Five minutes is beyond
/// any clock drift a sandbox keeps (a project choice).
pub(super) const CANCEL_TIME_FAR_OFF: time::Duration = time::Duration::minutes(5);

/// How long the runner waits, after a held or dropped answer, for the call
/// to show on the payment before it goes on (a target under load may still
/// be carrying it out).
pub(super) const HELD_CALL_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// One exchange as the invariants need it.
pub(super) struct Observed<'a> {
    pub(super) message: Message,
    pub(super) request: &'a SentRequest,
    pub(super) received: &'a Received,
    /// Real time just before the request went out and just after the
    /// answer was read.
    pub(super) sent_at: OffsetDateTime,
    pub(super) received_at: OffsetDateTime,
}

/// A difference found by the runner on its own, not because the case asked:
/// it names the rule it enforces.
pub(super) fn rule_diff(
    rule: RuleId<'_>,
    at: impl std::fmt::Display,
    expected: impl Into<String>,
    actual: impl Into<String>,
) -> Diff {
    Diff::ruled(&[rule], format!("{at} [rule {rule}]"), expected, actual)
}

pub(super) fn parse_time(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

pub(super) fn shown_time(time: OffsetDateTime) -> String {
    time.format(&Rfc3339).unwrap_or_default()
}

/// The `paymentStatus` an inquiry reports for a payment in each state
/// (rule `state.inquiry-reports-state`).
pub(super) fn status_of_state(state: PaymentState) -> PaymentStatus {
    match state {
        PaymentState::AwaitingBuyer => PaymentStatus::Processing,
        PaymentState::Paid
        | PaymentState::Capturing
        | PaymentState::Captured
        | PaymentState::PartlyRefunded
        | PaymentState::FullyRefunded => PaymentStatus::Success,
        PaymentState::Cancelled => PaymentStatus::Cancelled,
        PaymentState::Failed => PaymentStatus::Fail,
    }
}

/// A payment's state as the runner last learned it: one of the domain's,
/// or the word of a control plane naming a state the project does not
/// define (it equals none the runner expects, and is shown as given).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum SeenState {
    Is(PaymentState),
    Unnamed(String),
}

impl SeenState {
    /// The state a control plane's `state` names.
    pub(super) fn named(text: &str) -> SeenState {
        let deserializer =
            serde::de::IntoDeserializer::<serde::de::value::Error>::into_deserializer(text);
        PaymentState::deserialize(deserializer)
            .map_or_else(|_| SeenState::Unnamed(text.to_string()), SeenState::Is)
    }

    pub(super) fn as_str(&self) -> &str {
        match self {
            SeenState::Is(state) => state.as_str(),
            SeenState::Unnamed(text) => text,
        }
    }

    pub(super) fn is(&self, state: PaymentState) -> bool {
        *self == SeenState::Is(state)
    }

    /// The `paymentStatus` an inquiry reports for it; `None` for a state
    /// the project does not define.
    pub(super) fn status(&self) -> Option<PaymentStatus> {
        match self {
            SeenState::Is(state) => Some(status_of_state(*state)),
            SeenState::Unnamed(_) => None,
        }
    }
}

impl Run<'_> {
    pub(super) fn remember(
        &mut self,
        which: Which,
        ids: &PaymentIds,
        fixture: &Fixture,
        seeded_at: OffsetDateTime,
    ) {
        let clock_offset = fixture
            .clock
            .as_deref()
            .and_then(parse_time)
            .map_or(time::Duration::ZERO, |clock| clock - seeded_at);
        self.known.push(Known {
            which,
            ids: ids.clone(),
            state: SeenState::Is(fixture.state_once_seeded()),
            cancel_time: None,
            clock_offset,
        });
    }

    pub(super) fn known_mut(&mut self, which: Which) -> Option<&mut Known> {
        self.known.iter_mut().find(|known| known.which == which)
    }

    /// The seeded payment a request acts on: the one its `paymentId` names,
    /// or, without one, its `paymentRequestId` (`ident.payment-id-precedence`).
    /// A null id counts as absent (`ident.null-means-absent`).
    pub(super) fn named_payment(&self, body: &[u8]) -> Option<usize> {
        let json: Value = serde_json::from_slice(body).ok()?;
        let present = |key: &str| json.get(key).filter(|value| !value.is_null());
        if let Some(id) = present("paymentId") {
            let id = id.as_str()?;
            return self.known.iter().position(|k| k.ids.payment_id == id);
        }
        let id = present("paymentRequestId")?.as_str()?;
        self.known
            .iter()
            .position(|k| k.ids.payment_request_id == id)
    }

    /// After a step whose outcome the runner cannot judge (a held or
    /// dropped answer), learns what each payment is now. A held call may
    /// still be under way on a busy target, so while no payment has moved
    /// the runner looks again, for at most [`HELD_CALL_GRACE`].
    pub(super) async fn refresh_known(&mut self, step: usize) -> Result<(), Failure> {
        if !self.target.has_control_plane() {
            return Ok(());
        }
        let give_up = tokio::time::Instant::now() + HELD_CALL_GRACE.min(self.target.timeout);
        loop {
            let mut moved = false;
            for index in 0..self.known.len() {
                let (state, cancel_time) = self.inspect(step, index).await?;
                let known = &mut self.known[index];
                moved |= state != known.state;
                known.state = state;
                known.cancel_time = cancel_time;
            }
            if moved || tokio::time::Instant::now() >= give_up {
                return Ok(());
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }

    /// The control plane's view of a seeded payment: its state and, once
    /// cancelled, its cancel time.
    pub(super) async fn inspect(
        &self,
        step: usize,
        index: usize,
    ) -> Result<(SeenState, Option<OffsetDateTime>), Failure> {
        let payment_id = &self.known[index].ids.payment_id;
        let answer = self
            .target
            .inspect(self.http, payment_id)
            .await
            .map_err(|err| control_failure(step, "look at the payment", err))?;
        let call = format!(
            "GET {}/payments/{payment_id}",
            crate::suite::server_half::target::CONTROL_PREFIX
        );
        let refused = |what: &str| {
            control_failure(
                step,
                "look at the payment",
                ControlError::Refused {
                    call: call.clone(),
                    status: 200,
                    body: format!("{answer} ({what})"),
                },
            )
        };
        let state = answer
            .get("state")
            .and_then(Value::as_str)
            .map(SeenState::named)
            .ok_or_else(|| refused("no `state`"))?;
        let cancel_time = match answer.get("cancelTime") {
            None | Some(Value::Null) => None,
            Some(value) => Some(
                value
                    .as_str()
                    .and_then(parse_time)
                    .ok_or_else(|| refused("`cancelTime` is not RFC 3339"))?,
            ),
        };
        Ok((state, cancel_time))
    }

    /// What every answer implies about the payments, checked after each
    /// step whether or not the case asks: an S cancel names the payment it
    /// cancelled and a true cancel time; after F or U every payment is as it
    /// was; after S the named payment is cancelled at the answered time,
    /// and a repeat repeats it; an inquiry reports the payment's real state.
    /// With a control plane the payments are looked at directly; without
    /// one, through an inquiry where that can tell.
    pub(super) async fn invariants(
        &mut self,
        step: usize,
        observed: &Observed<'_>,
    ) -> Result<Vec<Diff>, Failure> {
        let mut diffs = Vec::new();
        let Ok(json) = serde_json::from_slice::<Value>(&observed.received.body) else {
            return Ok(diffs);
        };
        let text = |pointer: &str| json.pointer(pointer).and_then(Value::as_str);
        let status = text("/result/resultStatus");
        if matches!(status, Some("F" | "U")) && json.get("cancelTime").is_some() {
            diffs.push(rule_diff(
                rule_id::RESULT_NO_CANCEL_TIME_UNLESS_SUCCESS,
                "cancelTime",
                format!("absent on a {} answer", status.unwrap_or_default()),
                json["cancelTime"].to_string(),
            ));
        }
        if self.known.is_empty() || observed.received.status != 200 {
            return Ok(diffs);
        }
        let is_cancel = observed.message == Message::CancelResponse;
        let named = self.named_payment(&observed.request.body);
        let answered_time = text("/cancelTime").and_then(parse_time);
        let mut cancelled = None;
        if is_cancel && status == Some("S") {
            cancelled = named;
            if let Some(index) = named {
                let known = &self.known[index];
                for (name, want) in [
                    ("paymentId", &known.ids.payment_id),
                    ("paymentRequestId", &known.ids.payment_request_id),
                ] {
                    let actual = text(&format!("/{name}"));
                    if actual != Some(want.as_str()) {
                        diffs.push(rule_diff(
                            rule_id::RESULT_SUCCESS_FIELDS,
                            name,
                            format!("{want} (the payment the request names)"),
                            actual.map_or("(absent)".to_string(), str::to_string),
                        ));
                    }
                }
                match (answered_time, known.cancel_time) {
                    (Some(answered), Some(first))
                        if (answered - first).abs() >= time::Duration::SECOND =>
                    {
                        diffs.push(rule_diff(
                            rule_id::REPEAT_ALREADY_CANCELLED_SUCCESS,
                            "cancelTime",
                            format!(
                                "{} (when the payment was first cancelled)",
                                shown_time(first)
                            ),
                            shown_time(answered),
                        ));
                    }
                    (Some(answered), None) if !known.state.is(PaymentState::Cancelled) => {
                        let earliest =
                            observed.sent_at + known.clock_offset - CANCEL_TIME_TOLERANCE;
                        let latest =
                            observed.received_at + known.clock_offset + CANCEL_TIME_TOLERANCE;
                        if answered < earliest || answered > latest {
                            // Beyond any clock drift, the time is not the
                            // cancellation's at all: that breaks the vendor's
                            // cancelTime, not only the assumed tolerance, so
                            // it fails even where no control plane can say
                            // when the payment was cancelled.
                            let far_off = answered < earliest - CANCEL_TIME_FAR_OFF
                                || answered > latest + CANCEL_TIME_FAR_OFF;
                            let rules: &[RuleId] = if far_off {
                                &[
                                    rule_id::RESULT_CANCEL_TIME_TRUE,
                                    rule_id::RESULT_SUCCESS_FIELDS,
                                ]
                            } else {
                                &[rule_id::RESULT_CANCEL_TIME_TRUE]
                            };
                            diffs.push(Diff::ruled(
                                rules,
                                format!("cancelTime [rule {}]", rule_id::joined(rules, ", rule ")),
                                format!(
                                    "within {} s of {} (the payment's clock when it was cancelled)",
                                    CANCEL_TIME_TOLERANCE.whole_seconds(),
                                    shown_time(
                                        (observed.sent_at + known.clock_offset)
                                            .to_offset(answered.offset())
                                    )
                                ),
                                shown_time(answered),
                            ));
                        }
                    }
                    _ => {}
                }
            }
        }
        if !is_cancel
            && status == Some("S")
            && let Some(index) = named
        {
            // An inquiry that names its payment names the one asked about.
            let known = &self.known[index];
            for (name, want) in [
                ("paymentId", &known.ids.payment_id),
                ("paymentRequestId", &known.ids.payment_request_id),
            ] {
                if let Some(actual) = json.get(name)
                    && actual.as_str() != Some(want.as_str())
                {
                    diffs.push(rule_diff(
                        rule_id::STATE_INQUIRY_REPORTS_STATE,
                        name,
                        format!("{want} (the payment asked about)"),
                        actual.to_string(),
                    ));
                }
            }
        }
        if self.target.has_control_plane() {
            for index in 0..self.known.len() {
                let (state, cancel_time) = self.inspect(step, index).await?;
                let known = &self.known[index];
                let label = match known.which {
                    Which::Fixture => "the fixture's payment",
                    Which::OtherFixture => "the other fixture's payment",
                };
                if cancelled == Some(index) {
                    // A failed payment's cancel answers S and it stays
                    // failed (the vendor's status pages); any other S
                    // leaves the payment cancelled.
                    let (want, rule) = if known.state.is(PaymentState::Failed) {
                        (PaymentState::Failed, rule_id::STATE_FAILED_CANCEL_SUCCESS)
                    } else {
                        (PaymentState::Cancelled, rule_id::RESULT_STATUS_MEANING)
                    };
                    if !state.is(want) {
                        diffs.push(rule_diff(
                            rule,
                            format!("state of {label} after the S answer"),
                            want.as_str(),
                            state.as_str(),
                        ));
                    }
                    if let (Some(answered), Some(recorded)) = (answered_time, cancel_time)
                        && (answered - recorded).abs() >= time::Duration::SECOND
                    {
                        let rule = if known.state.is(PaymentState::Cancelled)
                            || known.cancel_time.is_some()
                        {
                            rule_id::REPEAT_ALREADY_CANCELLED_SUCCESS
                        } else {
                            rule_id::RESULT_STATUS_MEANING
                        };
                        diffs.push(rule_diff(
                            rule,
                            format!("cancel time of {label} (control plane)"),
                            format!("{} (the answered cancelTime)", shown_time(answered)),
                            shown_time(recorded),
                        ));
                    }
                } else {
                    let rule = match status {
                        Some("U") => rule_id::RETRY_SERVER_U_CHANGES_NOTHING,
                        _ => rule_id::RESULT_STATUS_MEANING,
                    };
                    let changed = state != known.state
                        || matches!((known.cancel_time, cancel_time), (Some(a), Some(b)) if a != b);
                    if changed {
                        let what = if is_cancel {
                            format!(
                                "{} {} cancel answer",
                                status.unwrap_or("this"),
                                text("/result/resultCode").unwrap_or("")
                            )
                        } else {
                            "an inquiry".to_string()
                        };
                        diffs.push(rule_diff(
                            rule,
                            format!("state of {label} after {what}"),
                            format!("{} (unchanged)", known.state.as_str()),
                            state.as_str(),
                        ));
                    }
                }
                if !is_cancel
                    && status == Some("S")
                    && named == Some(index)
                    && let Some(want) = state.status()
                {
                    let actual = text("/paymentStatus");
                    if actual != Some(want.as_str()) {
                        diffs.push(rule_diff(
                            rule_id::STATE_INQUIRY_REPORTS_STATE,
                            "paymentStatus",
                            format!("{} (the payment is {})", want.as_str(), state.as_str()),
                            actual.map_or("(absent)".to_string(), str::to_string),
                        ));
                    }
                }
                let known = &mut self.known[index];
                known.state = state;
                known.cancel_time = cancel_time.or(known.cancel_time);
            }
        } else if let Some(index) = named
            && is_cancel
            && matches!(status, Some("S" | "F"))
        {
            let failed = self.known[index].state.is(PaymentState::Failed);
            let want = if status == Some("S") && !failed {
                Some(PaymentStatus::Cancelled)
            } else {
                self.known[index].state.status()
            };
            if let Some(want) = want
                && let Some(actual) = self.inquire(index).await
                && actual != want.as_str()
            {
                diffs.push(rule_diff(
                    rule_id::RESULT_STATUS_MEANING,
                    "paymentStatus (inquiry after the cancel)",
                    format!(
                        "{} (after {} {})",
                        want.as_str(),
                        status.unwrap_or(""),
                        text("/result/resultCode").unwrap_or("")
                    ),
                    actual,
                ));
            }
            if status == Some("S") {
                let known = &mut self.known[index];
                if !failed {
                    known.state = SeenState::Is(PaymentState::Cancelled);
                }
                known.cancel_time = known.cancel_time.or(answered_time);
            }
        }
        Ok(diffs)
    }

    /// The `paymentStatus` an inquiry reports for a seeded payment, or
    /// `None` when no usable S answer arrives (the step itself judges
    /// inquiries; this only observes).
    pub(super) async fn inquire(&self, index: usize) -> Option<String> {
        let known = &self.known[index];
        let body = json!({"paymentId": known.ids.payment_id})
            .to_string()
            .into_bytes();
        let path = path_for_client(&self.target.client_id, INQUIRY_PATH);
        let request_time = now_request_time();
        let signature = SignedContent::post(&path, &self.target.client_id, &request_time, &body)
            .sign(&self.target.merchant_key, &self.target.key_version)
            .ok()?;
        let request = SentRequest {
            method: "POST".into(),
            path,
            headers: vec![
                (
                    CONTENT_TYPE.into(),
                    "application/json; charset=UTF-8".into(),
                ),
                (CLIENT_ID.into(), self.target.client_id.clone()),
                (REQUEST_TIME.into(), request_time),
                (SIGNATURE.into(), signature),
            ],
            body,
        };
        self.target.pace().await;
        let answer = http::exchange(
            self.http,
            &self.target.base_url,
            &request,
            self.target.timeout,
        )
        .await
        .ok()?;
        let json: Value = serde_json::from_slice(&answer.received.body).ok()?;
        (json.pointer("/result/resultStatus")? == "S")
            .then(|| json.get("paymentStatus")?.as_str().map(str::to_string))
            .flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_control_plane_state_is_read_as_the_domain_names_it_and_kept_as_given_otherwise() {
        for state in [
            PaymentState::AwaitingBuyer,
            PaymentState::Paid,
            PaymentState::Capturing,
            PaymentState::Captured,
            PaymentState::PartlyRefunded,
            PaymentState::FullyRefunded,
            PaymentState::Cancelled,
            PaymentState::Failed,
        ] {
            let seen = SeenState::named(state.as_str());
            assert_eq!(seen, SeenState::Is(state));
            assert_eq!(seen.as_str(), state.as_str());
            assert_eq!(seen.status(), Some(status_of_state(state)));
        }
        let odd = SeenState::named("Cancelled");
        assert_eq!(odd, SeenState::Unnamed("Cancelled".into()));
        assert_eq!(odd.as_str(), "Cancelled");
        assert!(!odd.is(PaymentState::Cancelled));
        assert_eq!(odd.status(), None);
    }
}
