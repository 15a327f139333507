//! The broken server's side of answering: what a defect makes of the
//! reference server's answer, and how it writes the answer out (headers,
//! signature, status).

use serde_json::{Value, json};
use time::macros::{format_description, offset};
use time::{Duration, OffsetDateTime, UtcOffset};

use cancel_conformance::server::{DEFAULT_CLIENT_ID, OTHER_CLIENT_ID};
use cancel_conformance::signing::{SignedContent, test_keys};

use super::Defect;
use super::front::{Incoming, Outgoing};
use super::proxy::{CANCEL, Call, Proxy, UTC8, lock, parse_time, result_json, wire};
use super::requests::Seen;

/// The result the reference server answered, before a defect changed it.
pub(super) struct Answered {
    pub(super) code: String,
    /// The result status: S, F or U.
    pub(super) letter: String,
}

impl Answered {
    pub(super) fn of(json: &Value) -> Answered {
        let text = |pointer: &str| {
            json.pointer(pointer)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        Answered {
            code: text("/result/resultCode"),
            letter: text("/result/resultStatus"),
        }
    }
}

impl Proxy {
    /// What the broken server answers instead of the reference server's
    /// `json`.
    pub(super) async fn broken_answer(
        &self,
        call: &Call,
        request: &Incoming,
        mut json: Value,
        answered: &Answered,
        seen: Seen,
    ) -> Value {
        let (client, named, request_json) = (&call.client, &call.named, &call.json);
        let is_cancel = call.is_cancel;
        let (code, letter) = (answered.code.as_str(), answered.letter.as_str());
        let Seen {
            view_before,
            window_allows,
        } = seen;
        let success = |json: &mut Value, cancel_time: String| {
            json["result"] =
                json!({"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "Success"});
            for key in ["paymentId", "paymentRequestId"] {
                if let Some(id) = request_json.get(key) {
                    json[key] = id.clone();
                }
            }
            json["cancelTime"] = json!(cancel_time);
        };
        let now_text = wire(OffsetDateTime::now_utc());

        // ----- what the broken server answers instead
        match self.defect {
            _ if window_allows.is_some() && code == "CANCEL_WINDOW_EXCEED" => {
                success(
                    &mut json,
                    wire(window_allows.unwrap_or(OffsetDateTime::now_utc())),
                );
            }
            Defect::CancelsRefunded if code == "PROCESS_FAIL" => success(&mut json, now_text),
            Defect::CancelsCaptured if code == "ORDER_STATUS_INVALID" => {
                success(&mut json, now_text)
            }
            Defect::CancelsPastWindow if code == "CANCEL_WINDOW_EXCEED" => {
                success(&mut json, now_text)
            }
            Defect::SwapsNotExistAndParamIllegal if code == "ORDER_NOT_EXIST" => {
                json["result"]["resultCode"] = json!("PARAM_ILLEGAL")
            }
            Defect::SwapsNotExistAndParamIllegal if code == "PARAM_ILLEGAL" => {
                json["result"]["resultCode"] = json!("ORDER_NOT_EXIST")
            }
            Defect::StatusInvalidForWindow if code == "CANCEL_WINDOW_EXCEED" => {
                json["result"]["resultCode"] = json!("ORDER_STATUS_INVALID")
            }
            Defect::StatusInvalidForRefunded if code == "PROCESS_FAIL" => {
                json["result"]["resultCode"] = json!("ORDER_STATUS_INVALID")
            }
            Defect::HidesOtherClientsPayment if code == "ACCESS_DENIED" => {
                json["result"]["resultCode"] = json!("ORDER_NOT_EXIST")
            }
            Defect::UnknownNeverResolves if letter == "U" => {
                let mut memory = lock(&self.memory);
                for key in ["paymentId", "paymentRequestId"] {
                    if let Some(id) = request_json.get(key).and_then(Value::as_str) {
                        memory.answered_unknown.insert(id.to_string());
                    }
                }
            }
            Defect::WrongStatusForCode if code == "PROCESS_FAIL" => {
                json["result"]["resultStatus"] = json!("U")
            }
            Defect::SystemErrorAsFailure if code == "SYSTEM_ERROR" => {
                json["result"]["resultStatus"] = json!("F")
            }
            Defect::NoCancelTimeOnSuccess if letter == "S" => remove(&mut json, "cancelTime"),
            Defect::CancelTimeOnFailure if letter == "F" => json["cancelTime"] = json!(now_text),
            Defect::CancelTimeWithoutOffset => {
                if let Some(Value::String(time)) = json.get_mut("cancelTime") {
                    time.truncate(19);
                }
            }
            Defect::OmitsPaymentRequestId if letter == "S" => remove(&mut json, "paymentRequestId"),
            Defect::SwapsEchoedIds if letter == "S" && is_cancel => {
                let id = json["paymentId"].clone();
                json["paymentId"] = json["paymentRequestId"].clone();
                json["paymentRequestId"] = id;
            }
            Defect::NoResultMessage => {
                if let Some(result) = json.get_mut("result").and_then(Value::as_object_mut) {
                    result.remove("resultMessage");
                }
            }
            Defect::FlipsToSuccessAfterLateNotification => {
                let memory = lock(&self.memory);
                let flipped = json.get("paymentStatus") == Some(&json!("CANCELLED"))
                    && json
                        .get("paymentId")
                        .and_then(Value::as_str)
                        .is_some_and(|id| memory.notified.contains(id));
                if flipped {
                    json["paymentStatus"] = json!("SUCCESS");
                }
            }
            Defect::InquiryHidesFailure if json.get("paymentStatus") == Some(&json!("FAIL")) => {
                json["paymentStatus"] = json!("PROCESSING")
            }
            Defect::FailedCancelReadsCancelled => {
                let mut memory = lock(&self.memory);
                let id = json
                    .get("paymentId")
                    .and_then(Value::as_str)
                    .map(str::to_string);
                if let Some(id) = id {
                    if letter == "S" && is_cancel {
                        memory.cancelled.insert(id);
                    } else if json.get("paymentStatus") == Some(&json!("FAIL"))
                        && memory.cancelled.contains(&id)
                    {
                        json["paymentStatus"] = json!("CANCELLED");
                    }
                }
            }
            Defect::UnpaidNeverCloses if json.get("paymentStatus") == Some(&json!("FAIL")) => {
                let seeded_unpaid = json
                    .get("paymentId")
                    .and_then(Value::as_str)
                    .is_some_and(|id| lock(&self.memory).seeded_unpaid.contains(id));
                if seeded_unpaid {
                    json["paymentStatus"] = json!("PROCESSING");
                }
            }
            Defect::RepeatFailsAfterEvent if letter == "S" && is_cancel => {
                let evented = named
                    .as_ref()
                    .is_some_and(|id| lock(&self.memory).evented_after_cancel.contains(id));
                if evented {
                    json = result_json("PROCESS_FAIL", "F");
                }
            }
            Defect::StaleInquiry if !is_cancel => {
                if let (Some(id), Some(status)) = (
                    json.get("paymentId")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                    json.get("paymentStatus").cloned(),
                ) {
                    let first = lock(&self.memory)
                        .first_status
                        .entry(id)
                        .or_insert(status)
                        .clone();
                    json["paymentStatus"] = first;
                }
            }
            Defect::CancelTimeFromUnknownAttempt
                if is_cancel && (letter == "U" || letter == "S") =>
            {
                if let Some(id) = &named {
                    if letter == "U" {
                        let now = self
                            .view(id)
                            .await
                            .and_then(|view| view.get("now").cloned());
                        if let Some(now) = now {
                            lock(&self.memory).unknown_at.insert(id.clone(), now);
                        }
                    } else if let Some(then) = lock(&self.memory).unknown_at.get(id).cloned() {
                        json["cancelTime"] = then;
                    }
                }
            }
            Defect::AccessDeniedButCancels if code == "ACCESS_DENIED" => {
                let owner = if client == DEFAULT_CLIENT_ID {
                    OTHER_CLIENT_ID
                } else {
                    DEFAULT_CLIENT_ID
                };
                self.cancel_behind(owner, &request.body).await;
            }
            Defect::UnknownButCancels if letter == "U" && is_cancel => {
                self.cancel_behind(client, &request.body).await;
            }
            Defect::BadSignatureButCancels if code == "INVALID_SIGNATURE" && is_cancel => {
                self.cancel_behind(client, &request.body).await;
            }
            Defect::CancelTimeUtcLabelledUtc8 => shift_cancel_time(&mut json, |t| {
                let utc = t.to_offset(UtcOffset::UTC);
                utc.replace_offset(UTC8)
            }),
            Defect::CancelTimeRelabelledOffset => {
                shift_cancel_time(&mut json, |t| t.to_offset(UTC8).replace_offset(offset!(+9)))
            }
            Defect::CancelTimeMinutesLate => {
                shift_cancel_time(&mut json, |t| t + Duration::minutes(5))
            }
            Defect::CancelTimeHoursLate => shift_cancel_time(&mut json, |t| t + Duration::hours(8)),
            Defect::CancelTimeFromRealClock if letter == "S" && is_cancel => {
                json["cancelTime"] = json!(now_text)
            }
            Defect::RepeatReportsNow if letter == "S" && is_cancel => {
                let was_cancelled = view_before
                    .as_ref()
                    .is_some_and(|view| view.get("state") == Some(&json!("cancelled")));
                if was_cancelled && let Some(id) = &named {
                    let now = self
                        .view(id)
                        .await
                        .and_then(|view| view.get("now").cloned());
                    if let Some(now) = now {
                        json["cancelTime"] = now;
                    }
                }
            }
            Defect::RepeatChangesCancelTime if letter == "S" && is_cancel => {
                let mut memory = lock(&self.memory);
                memory.successes += 1;
                if let Some(Value::String(time)) = json.get_mut("cancelTime")
                    && let Some(t) = parse_time(time)
                {
                    *time = wire(t + Duration::minutes(i64::from(memory.successes % 50 + 1)));
                }
            }
            Defect::RepeatFails if letter == "S" && is_cancel => {
                let mut memory = lock(&self.memory);
                let ids: Vec<String> = ["paymentId", "paymentRequestId"]
                    .iter()
                    .filter_map(|key| json.get(*key).and_then(Value::as_str).map(str::to_string))
                    .collect();
                if ids.iter().any(|id| memory.cancelled.contains(id)) {
                    json = result_json("ORDER_STATUS_INVALID", "F");
                }
                memory.cancelled.extend(ids);
            }
            _ => {}
        }
        json
    }

    /// How the broken server writes its answer `json`: `letter` is the
    /// result status the reference server answered, `status` its HTTP
    /// status.
    pub(super) fn written(&self, call: &Call, json: &Value, letter: &str, status: u16) -> Outgoing {
        let (path, client) = (&call.path, &call.client);
        let body = json.to_string().into_bytes();
        let client_header = if self.defect == Defect::WrongClientIdHeader {
            format!("{client}_X")
        } else {
            client.clone()
        };
        let signed_path = if self.defect == Defect::SignsAnswersOverProductionPath {
            CANCEL.replace("cancel", path.rsplit('/').next().unwrap_or("cancel"))
        } else {
            path.clone()
        };
        let response_time = "2026-11-26T10:00:00+08:00";
        let signed_body = if self.defect == Defect::SignsOtherBytes {
            serde_json::to_vec_pretty(&json).unwrap_or_default()
        } else {
            body.clone()
        };
        let mut signature =
            SignedContent::post(&signed_path, &client_header, response_time, &signed_body)
                .sign(&test_keys::provider_signing(), "1")
                .unwrap_or_default();
        match self.defect {
            Defect::AnswerSignatureWithoutKeyVersion => {
                signature = signature.replace("keyVersion=1,", "");
            }
            Defect::AnswerSignatureNotUrlEncoded => {
                signature = signature
                    .replace("%2B", "+")
                    .replace("%2F", "/")
                    .replace("%3D", "=");
            }
            _ => {}
        }
        let mut headers = Vec::new();
        match self.defect {
            Defect::TextPlainAnswers => headers.push(("content-type".into(), "text/plain".into())),
            Defect::NoContentType => {}
            Defect::WrongCharset => headers.push((
                "content-type".into(),
                "application/json; charset=ISO-8859-1".into(),
            )),
            _ => headers.push((
                "content-type".into(),
                "application/json; charset=UTF-8".into(),
            )),
        }
        let unsigned_error =
            self.defect == Defect::UnsignedErrorAnswers && matches!(letter, "F" | "U");
        if self.defect != Defect::UnsignedAnswers && !unsigned_error {
            let names = if self.defect == Defect::TitleCaseAnswerHeaders {
                ["Signature", "Response-Time", "Client-Id"]
            } else {
                ["signature", "response-time", "client-id"]
            };
            headers.push((names[0].into(), signature.clone()));
            if self.defect == Defect::DuplicateSignatureHeader {
                headers.push((names[0].into(), signature));
            }
            headers.push((names[1].into(), response_time.into()));
            headers.push((names[2].into(), client_header));
        } else {
            headers.push(("client-id".into(), client_header));
        }
        let status = if self.defect == Defect::HttpErrorForBusinessFailure
            && json.pointer("/result/resultStatus") == Some(&json!("F"))
        {
            400
        } else {
            status
        };
        Outgoing {
            status,
            headers,
            body,
            cut: false,
        }
    }
}

fn remove(json: &mut Value, key: &str) {
    if let Some(object) = json.as_object_mut() {
        object.remove(key);
    }
}

/// Rewrites an answer's cancelTime, written with an explicit offset.
fn shift_cancel_time(json: &mut Value, change: impl Fn(OffsetDateTime) -> OffsetDateTime) {
    if let Some(Value::String(text)) = json.get_mut("cancelTime")
        && let Some(time) = parse_time(text)
    {
        let changed = change(time);
        let offset = changed.offset();
        let (hours, minutes, _) = offset.as_hms();
        *text = format!(
            "{}{:+03}:{:02}",
            changed
                .format(format_description!(
                    "[year]-[month]-[day]T[hour]:[minute]:[second]"
                ))
                .unwrap_or_default(),
            hours,
            minutes.abs()
        );
    }
}
