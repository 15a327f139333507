//! The judge of the client half: what each cancel the client made is held
//! against — the requests as sent (path, headers, the Signature header as a
//! sender must emit it, the signature over the exact bytes, the body), their
//! timing and count, and the conclusion the client reported.

use super::super::case::{ScriptedAnswer, Status};
use super::attribution::attempts_rule;
use super::content_type::{NotJsonUtf8, json_utf8};
use super::*;
use crate::domain::CancelConclusion;

/// How many U answers in a row end a cancel at the latest: the first
/// attempt and three retries (`retry.client-u-limit`).
pub(super) const U_LIMIT: u32 = 4;
use crate::wire::headers::{CLIENT_ID, CONTENT_TYPE, REQUEST_TIME, SIGNATURE};

/// What every cancel of one case is judged against.
pub(super) struct Judge<'a> {
    pub(super) client_id: &'a str,
    pub(super) key_version: &'a str,
    pub(super) payment_id: &'a str,
    pub(super) payment_request_id: &'a str,
    pub(super) cancel_time: &'a str,
    pub(super) merchant_key: VerifyingKey,
    /// `CC_MAX_ATTEMPTS` as this case gave it.
    pub(super) max_attempts: u32,
    /// The provider presents a certificate the client may trust.
    pub(super) certificate_trusted: bool,
    pub(super) run: &'a ClientRun,
}

impl Judge<'_> {
    /// No cancel request may arrive after the client reported the
    /// conclusion of its cancel (and before it is asked to cancel again).
    pub(super) fn nothing_after_conclusion(
        &self,
        concluded: Option<(usize, Instant)>,
        received: &[Arrival],
        judged: usize,
    ) -> Result<(), Failure> {
        let Some((step, _)) = concluded else {
            return Ok(());
        };
        match received.get(judged) {
            None => Ok(()),
            Some(late) => Err(mismatch(
                step,
                "cancel",
                vec![cited(
                    &[rule_id::RETRY_CLIENT_ATTEMPTS_BOUNDED],
                    "cancel requests after the client reported its conclusion",
                    "none: a cancel ends when its outcome is reported",
                    format!("{} more", received.len() - judged),
                )],
                Some(late.request.clone()),
            )),
        }
    }

    pub(super) fn cancel(
        &self,
        step: usize,
        by: GivenIds,
        expect: &ClientExpect,
        answer: &Value,
        sent: &[Arrival],
        answered: Instant,
    ) -> Result<Completion, Failure> {
        unsupported(step, "cancel", answer)?;
        // What the client sent comes first: a wrong request explains a
        // wrong conclusion better than the other way round.
        let mut first_ids: Option<(Option<String>, Option<String>)> = None;
        for (index, arrival) in sent.iter().enumerate() {
            if arrival.refused {
                // Reset before a byte was read: nothing to judge.
                continue;
            }
            let request = &arrival.request;
            let mut diffs = self.request_diffs(by, request);
            let ids = ids_of(request);
            match &first_ids {
                None => first_ids = Some(ids),
                Some(first) if *first != ids => diffs.push(cited(
                    &[
                        rule_id::RETRY_CLIENT_U_SAME_ID,
                        rule_id::RETRY_CLIENT_TIMEOUT_SAME_ID,
                    ],
                    "identifiers on retry",
                    format!("the same as the first attempt: {}", show_ids(first)),
                    show_ids(&ids),
                )),
                Some(_) => {}
            }
            if !diffs.is_empty() {
                return Err(mismatch(
                    step,
                    &format!("cancel (request {} of {})", index + 1, sent.len()),
                    diffs,
                    Some(request.clone()),
                ));
            }
        }
        let mut diffs = Vec::new();
        let attempts = u32::try_from(sent.len()).unwrap_or(u32::MAX);
        let max = self.max_attempts;
        if attempts > max {
            diffs.push(cited(
                &[rule_id::RETRY_CLIENT_ATTEMPTS_BOUNDED],
                "cancel requests sent",
                format!("at most {max} (CC_MAX_ATTEMPTS)"),
                attempts.to_string(),
            ));
        }
        if expect.attempts == Some(0) && attempts > 0 {
            diffs.push(cited(
                &[rule_id::TLS_CLIENT_VERIFIES_CERTIFICATE],
                "cancel requests that reached a provider whose certificate the client cannot trust",
                "0: the client refuses the TLS handshake and never sends the body",
                attempts.to_string(),
            ));
        } else if let Some(want) = expect.attempts
            && want != attempts
        {
            diffs.push(cited(
                attempts_rule(want, attempts),
                "cancel requests sent",
                want.to_string(),
                attempts.to_string(),
            ));
        }
        let all_u = !sent.is_empty()
            && sent.iter().all(|arrival| {
                arrival.answer.status == Status::U && !arrival.answer.is_no_answer()
            });
        // The vendor's limit: after the first attempt and three retries all
        // answered U, a client may stop (retry.client-u-limit).
        let needed = if all_u { max.min(U_LIMIT) } else { max };
        if expect.all_attempts && attempts < needed {
            diffs.push(cited(
                &[rule_id::RETRY_CLIENT_ATTEMPTS_BOUNDED, rule_id::RETRY_CLIENT_U_SAME_ID, rule_id::RETRY_CLIENT_TIMEOUT_SAME_ID],
                "cancel requests sent",
                if needed < max {
                    format!("at least {needed}: every answer was U, and a client stops no sooner than after {U_LIMIT} U answers or CC_MAX_ATTEMPTS ({max}) requests")
                } else {
                    format!("{max} (CC_MAX_ATTEMPTS): no answer settled the cancel, so every attempt is used")
                },
                attempts.to_string(),
            ));
        }
        if all_u && attempts > U_LIMIT && attempts <= max {
            diffs.push(cited(
                &[rule_id::RETRY_CLIENT_U_LIMIT],
                "cancel requests sent, every one answered U",
                format!("at most {U_LIMIT}: after the first attempt and three retries answered U, a client hands the payment to a person"),
                attempts.to_string(),
            ));
        }
        if let Some(least) = expect.min_attempts
            && attempts < least
        {
            diffs.push(cited(
                &[
                    rule_id::RETRY_CLIENT_U_SAME_ID,
                    rule_id::RETRY_CLIENT_TIMEOUT_SAME_ID,
                ],
                "cancel requests sent",
                format!("at least {least}: U answers and timeouts are retried"),
                attempts.to_string(),
            ));
        }
        diffs.extend(self.timing_diffs(sent, answered));
        let outcome = answer
            .get("outcome")
            .and_then(Value::as_str)
            .unwrap_or("(absent)");
        if !expect.outcome.allows(outcome) {
            let got: Vec<ScriptedAnswer> =
                sent.iter().map(|arrival| arrival.answer.clone()).collect();
            diffs.push(cited(
                conclusion_rules(&expect.outcome, outcome, &got, self.certificate_trusted),
                "the client's conclusion",
                expect.outcome.show(),
                outcome,
            ));
        }
        if let Some(code) = &expect.result_code {
            let actual = answer
                .get("resultCode")
                .and_then(Value::as_str)
                .unwrap_or("(absent)");
            if actual != code {
                diffs.push(cited(
                    &[rule_id::RESULT_CLIENT_REPORTS_ANSWER],
                    "the reported resultCode",
                    code.clone(),
                    actual,
                ));
            }
        }
        if expect.outcome.is(CancelConclusion::Cancelled) && outcome == "cancelled" {
            let actual = answer.get("cancelTime").and_then(Value::as_str);
            if !same_instant(actual, self.cancel_time) {
                diffs.push(cited(
                    &[rule_id::RESULT_CLIENT_REPORTS_ANSWER],
                    "the reported cancelTime",
                    format!("the S answer's cancelTime, {}", self.cancel_time),
                    actual.unwrap_or("(absent)"),
                ));
            }
        }
        if diffs.is_empty() {
            Ok(Completion::Completed)
        } else {
            Err(mismatch(
                step,
                "cancel",
                diffs,
                sent.last().map(|arrival| arrival.request.clone()),
            ))
        }
    }

    /// A client that waited for a held answer longer than its timeout, or
    /// paused longer than its timeout before a retry, did not keep its
    /// timeout. Each span is measured by the suite's clock: from a request
    /// to the moment the client closed its connection (a held answer), and
    /// from then (or from an answer sent at once) to its next request. A
    /// span may exceed `CC_TIMEOUT_MS` by the tolerance only.
    pub(super) fn timing_diffs(&self, sent: &[Arrival], answered: Instant) -> Vec<Diff> {
        let span = self.run.span();
        let pause = self.run.pause();
        let timeout = self.run.client_timeout.as_millis();
        let tolerance = self.run.tolerance().as_millis();
        let waiting = format!(
            "at most {} ms: a wait of CC_TIMEOUT_MS ({timeout} ms) and {tolerance} ms of tolerance",
            span.as_millis()
        );
        let pausing = format!(
            "at most {} ms: a pause of CC_TIMEOUT_MS ({timeout} ms) and {} ms for reading the answer and sending again",
            pause.as_millis(),
            PAUSE_SLACK.as_millis()
        );
        for (index, arrival) in sent.iter().enumerate() {
            let number = index + 1;
            let next = sent.get(index + 1).map(|next| next.at);
            let late = |at: String, expected: &str, waited: Duration| {
                vec![cited(
                    &[rule_id::RETRY_CLIENT_TIMEOUT_BOUNDED],
                    at,
                    expected.to_string(),
                    format!("{} ms", waited.as_millis()),
                )]
            };
            // A pause from `from` (giving up, or an answer sent at once) to
            // the next request that outlasts the client's timeout.
            let paused_too_long = |from: Instant, what: &str| {
                let paused = next?.saturating_duration_since(from);
                (paused > pause).then(|| {
                    late(
                        format!("time from {what} to its next request"),
                        &pausing,
                        paused,
                    )
                })
            };
            if arrival.held {
                match arrival.gave_up {
                    Some(gave_up) => {
                        let waited = gave_up.saturating_duration_since(arrival.at);
                        if waited > span {
                            return late(
                                format!(
                                    "time from request {number} (its answer held) to the client closing its connection"
                                ),
                                &waiting,
                                waited,
                            );
                        }
                        if let Some(diffs) =
                            paused_too_long(gave_up, &format!("giving up on request {number}"))
                        {
                            return diffs;
                        }
                    }
                    None => {
                        // It never closed the connection while the answer
                        // was held: its next move bounds the wait and the
                        // pause together.
                        let (to, what) = match next {
                            Some(next) => (next, "its next request"),
                            None => (answered, "its conclusion"),
                        };
                        let waited = to.saturating_duration_since(arrival.at);
                        if waited > self.run.patience() {
                            return late(
                                format!("time from request {number} (its answer held) to {what}"),
                                &format!(
                                    "at most {} ms: a wait and a pause",
                                    self.run.patience().as_millis()
                                ),
                                waited,
                            );
                        }
                    }
                }
            } else if let Some(diffs) = paused_too_long(
                arrival.answered_at.unwrap_or(arrival.at),
                &format!("the answer to request {number} (sent at once)"),
            ) {
                return diffs;
            }
        }
        Vec::new()
    }

    /// Everything wrong with one request the client sent, each naming the
    /// rule it breaks.
    pub(super) fn request_diffs(&self, by: GivenIds, request: &SentRequest) -> Vec<Diff> {
        let mut diffs = Vec::new();
        let header = |name: &str| {
            let mut found = request.headers.iter().filter(|(key, _)| key == name);
            match (found.next(), found.next()) {
                (Some((_, value)), None) => Ok(Some(value.as_str())),
                (None, _) => Ok(None),
                (Some(_), Some(_)) => Err(()),
            }
        };
        for name in [CONTENT_TYPE, CLIENT_ID, REQUEST_TIME, SIGNATURE] {
            if header(name).is_err() {
                diffs.push(cited(
                    &[rule_id::SIGN_REQUEST_HEADERS],
                    format!("header {name}"),
                    "sent once",
                    "sent more than once",
                ));
            }
        }
        let header = |name: &str| header(name).ok().flatten();
        if request.method != "POST" {
            diffs.push(cited(
                &[rule_id::PATH_PRODUCTION],
                "method",
                "POST",
                request.method.clone(),
            ));
        }
        let path = path_for_client(self.client_id, CANCEL_PATH);
        if request.path != path {
            let rule = if path == CANCEL_PATH {
                rule_id::PATH_PRODUCTION
            } else {
                rule_id::PATH_SANDBOX_CLIENT
            };
            diffs.push(cited(
                &[rule],
                "path",
                format!("{path} (the path for client id {})", self.client_id),
                request.path.clone(),
            ));
        }
        if header(CLIENT_ID) != Some(self.client_id) {
            diffs.push(cited(
                &[rule_id::SIGN_REQUEST_HEADERS],
                "header Client-Id",
                format!("{} (CC_CLIENT_ID)", self.client_id),
                header(CLIENT_ID).unwrap_or("(absent)"),
            ));
        }
        let time = header(REQUEST_TIME).unwrap_or("");
        if time.trim().is_empty() {
            diffs.push(cited(
                &[rule_id::SIGN_REQUEST_HEADERS],
                "header Request-Time",
                "present, the time the request was signed",
                "(absent or empty)",
            ));
        }
        let content_type = header(CONTENT_TYPE);
        if let Err(why) = content_type.map_or(Err(NotJsonUtf8::Absent), json_utf8) {
            diffs.push(cited(
                &[rule_id::SIGN_REQUEST_HEADERS],
                "header Content-Type",
                "application/json; charset=UTF-8 (media type application/json; a charset, if given, UTF-8)",
                format!("{} ({why})", content_type.unwrap_or("(absent)")),
            ));
        }
        match header(SIGNATURE) {
            None => diffs.push(cited(
                &[rule_id::SIGN_REQUEST_SIGNATURE],
                "header Signature",
                "present",
                "(absent)",
            )),
            Some(value) => match SignatureHeader::parse_emitted(value) {
                Err(err) => diffs.push(cited(
                    &[rule_id::SIGN_HEADER_FORMAT],
                    "header Signature",
                    "algorithm=RSA256,keyVersion=<CC_KEY_VERSION>,signature=<base64, URL-encoded>",
                    err.to_string(),
                )),
                Ok(parsed) => {
                    if parsed.key_version.as_deref() != Some(self.key_version) {
                        diffs.push(cited(
                            &[rule_id::SIGN_HEADER_FORMAT],
                            "header Signature, keyVersion",
                            format!("{} (CC_KEY_VERSION)", self.key_version),
                            parsed.key_version.clone().unwrap_or_default(),
                        ));
                    }
                    if let Err(err) = SignedContent::post(
                        &request.path,
                        header(CLIENT_ID).unwrap_or(""),
                        time,
                        &request.body,
                    )
                    .verify_parsed(&self.merchant_key, &parsed)
                    {
                        diffs.push(cited(
                            &[rule_id::SIGN_CLIENT_SIGNS_SENT_BYTES, rule_id::SIGN_REQUEST_SIGNATURE],
                            "header Signature",
                            "verifies with the merchant key over `POST <path>\\n<client-id>.<request-time>.<the exact body bytes sent>`",
                            format!("does not verify: {err}"),
                        ));
                    }
                }
            },
        }
        match serde_json::from_slice::<Value>(&request.body) {
            Err(err) => diffs.push(cited(
                &[rule_id::FIELDS_CLIENT_SENDS_VALID_SHAPE],
                "body",
                "a JSON cancel request",
                format!("not JSON: {err}"),
            )),
            Ok(json) => {
                let amount = json.as_object().is_some_and(|object| {
                    object
                        .keys()
                        .any(|key| key.to_ascii_lowercase().contains("amount"))
                });
                for violation in validate(Message::CancelRequest, &json) {
                    let rule = if amount && violation.schema_path.contains("additionalProperties") {
                        rule_id::FULL_NO_PARTIAL
                    } else {
                        rule_id::FIELDS_CLIENT_SENDS_VALID_SHAPE
                    };
                    diffs.push(cited(
                        &[rule],
                        format!(
                            "body {} (schema {})",
                            show_path(&violation.instance_path),
                            violation.schema_path
                        ),
                        "valid per the cancel request schema",
                        violation.message,
                    ));
                }
                let named = |key: &str, want: &str| {
                    json.get(key)
                        .and_then(Value::as_str)
                        .is_none_or(|id| id == want)
                };
                let wanted = match by {
                    GivenIds::PaymentId => json.get("paymentId").is_some(),
                    GivenIds::PaymentRequestId => json.get("paymentRequestId").is_some(),
                    GivenIds::Both => {
                        json.get("paymentId").is_some() || json.get("paymentRequestId").is_some()
                    }
                };
                if !wanted
                    || !named("paymentId", self.payment_id)
                    || !named("paymentRequestId", self.payment_request_id)
                {
                    diffs.push(cited(
                        &[rule_id::IDENT_EITHER_ID_SUFFICES],
                        "identifiers",
                        format!(
                            "the payment the client was asked to cancel: {}",
                            show_ids(&(
                                Some(self.payment_id.to_string()),
                                Some(self.payment_request_id.to_string())
                            ))
                        ),
                        show_ids(&ids_of(request)),
                    ));
                }
            }
        }
        diffs
    }
}

/// Whether `reported` is the same instant as `want` (both RFC 3339): a
/// client may keep the text or re-format the time.
pub(super) fn same_instant(reported: Option<&str>, want: &str) -> bool {
    use time::format_description::well_known::Rfc3339;
    let parse = |text: &str| time::OffsetDateTime::parse(text, &Rfc3339).ok();
    match (reported.and_then(parse), parse(want)) {
        (Some(reported), Some(want)) => reported == want,
        _ => false,
    }
}

pub(super) fn show_path(pointer: &str) -> &str {
    if pointer.is_empty() { "/" } else { pointer }
}

pub(super) fn ids_of(request: &SentRequest) -> (Option<String>, Option<String>) {
    let json: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
    let id = |key: &str| json.get(key).and_then(Value::as_str).map(str::to_string);
    (id("paymentId"), id("paymentRequestId"))
}

pub(super) fn show_ids(ids: &(Option<String>, Option<String>)) -> String {
    format!(
        "paymentId {}, paymentRequestId {}",
        ids.0.as_deref().unwrap_or("(absent)"),
        ids.1.as_deref().unwrap_or("(absent)")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cancel_time_may_be_reformatted_but_not_moved() {
        let want = "2026-11-26T18:00:07+08:00";
        assert!(same_instant(Some(want), want));
        assert!(same_instant(Some("2026-11-26T10:00:07Z"), want));
        assert!(!same_instant(Some("2026-11-26T18:00:07Z"), want));
        assert!(!same_instant(Some("2026-11-26 18:00:07"), want));
        assert!(!same_instant(None, want));
    }

    #[test]
    fn the_hold_outlasts_the_patience_of_a_client_keeping_its_timeout() {
        let run = ClientRun {
            adapter: String::new(),
            pass_env: Vec::new(),
            tls: false,
            client_timeout: Duration::from_millis(200),
            max_attempts: 3,
            adapter_deadline: None,
            scratch_dir: std::env::temp_dir(),
            introductions: Default::default(),
        };
        assert_eq!(run.tolerance(), Duration::from_millis(80));
        assert_eq!(run.span(), Duration::from_millis(280));
        assert_eq!(run.pause(), Duration::from_millis(600));
        assert!(run.hold() > run.patience());
        // A client waiting one and a half times its timeout is too late.
        assert!(run.client_timeout * 3 / 2 > run.span());
    }
}
