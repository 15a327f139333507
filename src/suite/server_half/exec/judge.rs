//! The judge of the server half: everything wrong with one answer — its
//! HTTP status, its signature (the header as a provider must emit it,
//! verified over the exact body), the signing headers and the Content-Type,
//! its shape against the response schema, and what the step expects of its
//! result, ids, `cancelTime` and payment status. The after-every-step
//! invariants are `invariants`.

use super::*;
use crate::wire::headers::{CLIENT_ID, CONTENT_TYPE, RESPONSE_TIME, SIGNATURE};

impl Run<'_> {
    /// Everything wrong with one answer.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn check(
        &mut self,
        message: Message,
        subject: Which,
        expect: &Expect,
        client_id: Option<&str>,
        request: &SentRequest,
        received: &Received,
    ) -> Vec<Diff> {
        let mut diffs = Vec::new();
        let want_status = expect.http_status.unwrap_or(200);
        if received.status != want_status {
            let at = "HTTP status";
            let (want, got) = (want_status.to_string(), received.status.to_string());
            // An answer expected with 200 breaks the rule that every answer
            // is sent with 200, whatever else the case is about.
            diffs.push(if want_status == 200 {
                Diff::ruled(&[rule_id::HTTP_STATUS_200], at, want, got)
            } else {
                Diff::new(at, want, got)
            });
        }
        check_signature(&mut diffs, self.target, client_id, request, received);
        let json: Value = match serde_json::from_slice(&received.body) {
            Ok(json) => json,
            Err(err) => {
                diffs.push(Diff::ruled(
                    &[rule_id::RESULT_OBJECT_ALWAYS_PRESENT],
                    "body",
                    "a JSON object",
                    format!("not JSON: {err}"),
                ));
                return diffs;
            }
        };
        for violation in validate(message, &json) {
            let at = if violation.instance_path.is_empty() {
                "/".to_string()
            } else {
                violation.instance_path.clone()
            };
            // The schema is the rules on the answer's shape: the cancel time's
            // format, a code's status, the S answer's fields, the result
            // object.
            let rule = if at.starts_with("/cancelTime") {
                rule_id::RESULT_CANCEL_TIME_FORMAT
            } else if at.starts_with("/result") && violation.schema_path.contains("/allOf/") {
                // The result object's if/then pairs: a code with its status.
                rule_id::RESULT_CODE_STATUS_PAIRING
            } else if at == "/" || at.starts_with("/result") {
                rule_id::RESULT_OBJECT_ALWAYS_PRESENT
            } else {
                rule_id::RESULT_SUCCESS_FIELDS
            };
            diffs.push(Diff::ruled(
                &[rule],
                format!("{at} (schema {})", violation.schema_path),
                format!("valid per the {} schema", message.name()),
                violation.message,
            ));
        }
        let field = |pointer: &str| json.pointer(pointer).and_then(Value::as_str);
        let shown = |value: Option<&str>| value.map_or("(absent)".to_string(), str::to_string);
        if let Some(status) = expect.result_status
            && field("/result/resultStatus") != Some(status.as_str())
        {
            diffs.push(Diff::new(
                "result.resultStatus",
                status.as_str(),
                shown(field("/result/resultStatus")),
            ));
        }
        if let Some(codes) = &expect.result_code {
            let actual = field("/result/resultCode");
            if !codes
                .as_slice()
                .iter()
                .any(|code| Some(code.as_str()) == actual)
            {
                diffs.push(Diff::new(
                    "result.resultCode",
                    codes.as_slice().join(" or "),
                    shown(actual),
                ));
            }
        }
        let subject_ids = match subject {
            Which::Fixture => &self.ids,
            Which::OtherFixture => &self.other_ids,
        };
        if expect.echoes_ids
            && let Some(ids) = subject_ids
        {
            for (name, want) in [
                ("paymentId", &ids.payment_id),
                ("paymentRequestId", &ids.payment_request_id),
            ] {
                let actual = field(&format!("/{name}"));
                if actual != Some(want.as_str()) {
                    diffs.push(Diff::new(name, want.clone(), shown(actual)));
                }
            }
        }
        let cancel_time = field("/cancelTime").map(str::to_string);
        match expect.cancel_time {
            Some(CancelTimeExpectation::Present) if cancel_time.is_none() => {
                diffs.push(Diff::new("cancelTime", "present", "(absent)"));
            }
            Some(CancelTimeExpectation::Absent) if cancel_time.is_some() => {
                diffs.push(Diff::new(
                    "cancelTime",
                    "absent",
                    shown(cancel_time.as_deref()),
                ));
            }
            Some(CancelTimeExpectation::SameAsFirst) => match &self.first_cancel_time {
                Some(first) if cancel_time.as_ref() != Some(first) => {
                    diffs.push(Diff::new(
                        "cancelTime",
                        format!("{first} (the first cancelTime this case received)"),
                        shown(cancel_time.as_deref()),
                    ));
                }
                None if cancel_time.is_none() => {
                    diffs.push(Diff::new("cancelTime", "present", "(absent)"));
                }
                _ => {}
            },
            _ => {}
        }
        if self.first_cancel_time.is_none() {
            self.first_cancel_time = cancel_time;
        }
        if let Some(status) = expect.payment_status
            && field("/paymentStatus") != Some(status.as_str())
        {
            diffs.push(Diff::new(
                "paymentStatus",
                status.as_str(),
                shown(field("/paymentStatus")),
            ));
        }
        diffs
    }
}

/// Every answer is signed by the provider over `POST <path>\n<client-id>.
/// <response-time>.<body>`, and names the caller's client id.
pub(super) fn check_signature(
    diffs: &mut Vec<Diff>,
    target: &Target,
    client_id: Option<&str>,
    request: &SentRequest,
    received: &Received,
) {
    let (Some(header), Some(time)) = (received.header(SIGNATURE), received.header(RESPONSE_TIME))
    else {
        // A gateway's own F or U error comes unsigned (the SDKs accept
        // exactly that: sign.error-response-signed, a SHOULD); an unsigned
        // S, or one signing header without the other, is never acceptable.
        let neither =
            received.header(SIGNATURE).is_none() && received.header(RESPONSE_TIME).is_none();
        if neither && matches!(result_status(&received.body).as_deref(), Some("F" | "U")) {
            diffs.push(Diff::ruled(
                &[rule_id::SIGN_ERROR_RESPONSE_SIGNED],
                "headers signature, response-time",
                "present: F and U answers are signed too",
                "both absent (an unsigned gateway error)",
            ));
            return;
        }
        diffs.push(Diff::ruled(
            &[rule_id::SIGN_RESPONSE_SIGNED],
            "headers signature, response-time",
            "present: every answer is signed",
            format!(
                "signature {}, response-time {}",
                if received.header(SIGNATURE).is_some() {
                    "present"
                } else {
                    "absent"
                },
                if received.header(RESPONSE_TIME).is_some() {
                    "present"
                } else {
                    "absent"
                }
            ),
        ));
        return;
    };
    let answered_id = received.header(CLIENT_ID);
    let expected_id = client_id.unwrap_or("");
    if answered_id != Some(expected_id) {
        diffs.push(Diff::ruled(
            &[rule_id::SIGN_RESPONSE_SIGNED],
            "header client-id",
            format!("`{expected_id}` (the request's Client-Id)"),
            answered_id.map_or("(absent)".to_string(), |id| format!("`{id}`")),
        ));
    }
    // The grammar a provider must emit, stricter than what a receiver
    // tolerates: a keyVersion, and a URL-encoded value.
    if let Err(err) = SignatureHeader::parse_emitted(header) {
        diffs.push(rule_diff(
            rule_id::SIGN_HEADER_FORMAT,
            "header signature",
            "`algorithm=RSA256,keyVersion=<n>,signature=<URL-encoded base64>`",
            err.to_string(),
        ));
    }
    let signed_id = answered_id.unwrap_or(expected_id);
    if let Err(err) = SignedContent::post(&request.path, signed_id, time, &received.body)
        .verify(&target.provider_key, header)
    {
        diffs.push(Diff::ruled(
            &[rule_id::SIGN_RESPONSE_SIGNED],
            "header signature",
            format!(
                "verifies with the provider public key over POST {} and the exact body",
                request.path
            ),
            format!("does not verify: {err}"),
        ));
    }
}

/// The answer's `result.resultStatus`, if its body is JSON that has one.
fn result_status(body: &[u8]) -> Option<String> {
    let json: Value = serde_json::from_slice(body).ok()?;
    Some(json.pointer("/result/resultStatus")?.as_str()?.to_string())
}

/// What every answer's head must show beyond its signature: the signing
/// headers exactly once each and in lowercase as sent
/// (`sign.response-signed`), where the runner can see the names as sent,
/// and a JSON Content-Type (`http.answer-content-type`).
pub(super) fn check_headers(
    diffs: &mut Vec<Diff>,
    raw_names: Option<&[String]>,
    received: &Received,
) {
    if let Some(names) = raw_names {
        for wanted in [SIGNATURE, RESPONSE_TIME, CLIENT_ID] {
            let sent: Vec<&String> = names
                .iter()
                .filter(|name| name.eq_ignore_ascii_case(wanted))
                .collect();
            if sent.len() > 1 {
                diffs.push(rule_diff(
                    rule_id::SIGN_RESPONSE_SIGNED,
                    format!("header {wanted}"),
                    "exactly one",
                    format!("{} of them", sent.len()),
                ));
            }
            if let Some(name) = sent.iter().find(|name| name.as_str() != wanted) {
                diffs.push(rule_diff(
                    rule_id::SIGN_RESPONSE_SIGNED,
                    format!("header name {wanted}"),
                    format!("`{wanted}` (lowercase, as the rule names it)"),
                    format!("`{name}`"),
                ));
            }
        }
    }
    let types: Vec<&str> = received
        .headers
        .iter()
        .filter(|(name, _)| name == CONTENT_TYPE)
        .map(|(_, value)| value.as_str())
        .collect();
    let acceptable = |value: &str| {
        let mut parts = value.split(';').map(str::trim);
        let media = parts.next().unwrap_or_default();
        media.eq_ignore_ascii_case("application/json")
            && parts.all(|parameter| {
                parameter.split_once('=').is_some_and(|(name, value)| {
                    name.trim().eq_ignore_ascii_case("charset")
                        && value.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
                })
            })
    };
    match types.as_slice() {
        [one] if acceptable(one) => {}
        _ => diffs.push(rule_diff(
            rule_id::HTTP_ANSWER_CONTENT_TYPE,
            "header content-type",
            "exactly one `application/json`, optionally with `; charset=UTF-8`",
            if types.is_empty() {
                "(absent)".to_string()
            } else {
                types
                    .iter()
                    .map(|value| format!("`{value}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        )),
    }
}
