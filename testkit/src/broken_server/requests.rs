//! The broken server's side of reading a request: what a defect does
//! before the reference server sees the call (changes it, or answers in
//! its place), and the broken cancel windows.

use std::ops::ControlFlow;

use serde_json::{Value, json};
use time::macros::time;
use time::{Duration, OffsetDateTime, UtcOffset};

use cancel_conformance::signing::{SignedContent, test_keys};

use super::Defect;
use super::front::{Incoming, Outgoing};
use super::proxy::{
    CANCEL, Call, Proxy, SANDBOX_CANCEL, UTC8, lock, parse_time, request_signature, result_json,
    set_header,
};

/// What the proxy saw of the payment before forwarding a cancel, for the
/// defects that answer from it.
pub(super) struct Seen {
    /// The payment as the control plane showed it before the cancel.
    pub(super) view_before: Option<Value>,
    /// The payment's clock, when a broken window allows the cancel that
    /// the real one refuses.
    pub(super) window_allows: Option<OffsetDateTime>,
}

impl Proxy {
    /// What a defect does before the reference server sees the call:
    /// changes `request` and says where to forward it, or answers in its
    /// place.
    pub(super) async fn broken_request(
        &self,
        call: &Call,
        request: &mut Incoming,
    ) -> ControlFlow<Outgoing, String> {
        let (path, client, named) = (&call.path, &call.client, &call.named);
        let (request_json, signature, time) = (&call.json, &call.signature, &call.time);
        let is_cancel = call.is_cancel;
        let mut forward_target = request.target.clone();
        match self.defect {
            Defect::RefusesSpacedSignature if signature.contains(", ") => {
                return ControlFlow::Break(self.answer(
                    path,
                    client,
                    result_json("INVALID_SIGNATURE", "F"),
                ));
            }
            Defect::RefusesLowercaseEscapes
                if ["%2b", "%2f", "%3d"].iter().any(|e| signature.contains(e)) =>
            {
                return ControlFlow::Break(self.answer(
                    path,
                    client,
                    result_json("INVALID_SIGNATURE", "F"),
                ));
            }
            Defect::ReadsOnlyLowercaseHeaderNames => {
                request
                    .headers
                    .retain(|(name, _)| *name == name.to_ascii_lowercase());
            }
            Defect::VerifiesOverProductionPath if path == SANDBOX_CANCEL => {
                forward_target = CANCEL.to_string();
            }
            Defect::AcceptsSignatureOverEitherPath => {
                let other = if path == SANDBOX_CANCEL {
                    CANCEL
                } else {
                    SANDBOX_CANCEL
                };
                let verifies_over_other = SignedContent::post(other, client, time, &request.body)
                    .verify(&test_keys::merchant_verifying(), signature)
                    .is_ok();
                if verifies_over_other {
                    set_header(
                        &mut request.headers,
                        "signature",
                        request_signature(path, client, time, &request.body),
                    );
                }
            }
            Defect::AcceptsBadSignatures => {
                set_header(
                    &mut request.headers,
                    "signature",
                    request_signature(path, client, time, &request.body),
                );
            }
            Defect::RefusesNullFields => {
                // The reference server refuses an empty string, so a null
                // turned into one is refused as a null-refusing server would.
                if let Value::Object(mut object) = request_json.clone()
                    && object.values().any(Value::is_null)
                {
                    for value in object.values_mut().filter(|value| value.is_null()) {
                        *value = Value::String(String::new());
                    }
                    request.body = Value::Object(object).to_string().into_bytes();
                    set_header(
                        &mut request.headers,
                        "signature",
                        request_signature(path, client, time, &request.body),
                    );
                }
            }
            Defect::LenientIdLookup => {
                if let Value::Object(mut object) = request_json.clone() {
                    for key in ["paymentId", "paymentRequestId"] {
                        if let Some(Value::String(id)) = object.get_mut(key) {
                            *id = id.trim().to_ascii_uppercase();
                        }
                    }
                    request.body = Value::Object(object).to_string().into_bytes();
                    set_header(
                        &mut request.headers,
                        "signature",
                        request_signature(path, client, time, &request.body),
                    );
                }
            }
            Defect::AcceptsOverlongIds | Defect::IgnoresPaymentIdPrecedence => {
                if let Value::Object(mut object) = request_json.clone() {
                    if self.defect == Defect::IgnoresPaymentIdPrecedence {
                        if object.contains_key("paymentRequestId") {
                            object.remove("paymentId");
                        }
                    } else {
                        for key in ["paymentId", "paymentRequestId"] {
                            if let Some(Value::String(id)) = object.get_mut(key)
                                && id.chars().count() > 64
                            {
                                *id = id.chars().take(64).collect();
                            }
                        }
                    }
                    request.body = Value::Object(object).to_string().into_bytes();
                    set_header(
                        &mut request.headers,
                        "signature",
                        request_signature(path, client, time, &request.body),
                    );
                }
            }
            Defect::UnknownNeverResolves => {
                let stuck = {
                    let memory = lock(&self.memory);
                    ["paymentId", "paymentRequestId"].iter().any(|key| {
                        request_json
                            .get(*key)
                            .and_then(Value::as_str)
                            .is_some_and(|id| memory.answered_unknown.contains(id))
                    })
                };
                if stuck {
                    return ControlFlow::Break(self.answer(
                        path,
                        client,
                        result_json("SYSTEM_ERROR", "U"),
                    ));
                }
            }
            Defect::InquiryCancels if !is_cancel => {
                self.cancel_behind(client, &request.body).await;
            }
            Defect::CountsIdLengthInBytes | Defect::CountsIdLengthInUtf16Units => {
                let too_long = ["paymentId", "paymentRequestId"].iter().any(|key| {
                    request_json
                        .get(*key)
                        .and_then(Value::as_str)
                        .is_some_and(|id| {
                            let units = if self.defect == Defect::CountsIdLengthInBytes {
                                id.len()
                            } else {
                                id.encode_utf16().count()
                            };
                            units > 64
                        })
                });
                if too_long {
                    return ControlFlow::Break(self.answer(
                        path,
                        client,
                        result_json("PARAM_ILLEGAL", "F"),
                    ));
                }
            }
            Defect::NoSandboxInquiry if path == "/ams/sandbox/api/v1/payments/inquiryPayment" => {
                return ControlFlow::Break(self.answer(
                    path,
                    client,
                    result_json("NO_INTERFACE_DEF", "F"),
                ));
            }
            Defect::RefusesIsoRequestTime | Defect::RefusesEpochRequestTime => {
                let epoch = !time.is_empty() && time.bytes().all(|b| b.is_ascii_digit());
                if epoch == (self.defect == Defect::RefusesEpochRequestTime) {
                    return ControlFlow::Break(self.answer(
                        path,
                        client,
                        result_json("PARAM_ILLEGAL", "F"),
                    ));
                }
            }
            Defect::FailedCancelRefused if is_cancel => {
                if let Some(id) = &named
                    && self
                        .view(id)
                        .await
                        .is_some_and(|view| view.get("state") == Some(&json!("failed")))
                {
                    return ControlFlow::Break(self.answer(
                        path,
                        client,
                        result_json("ORDER_STATUS_INVALID", "F"),
                    ));
                }
            }
            Defect::AlwaysThrottles | Defect::ThrottlesEveryOtherCall => {
                let call = {
                    let mut memory = lock(&self.memory);
                    memory.api_calls += 1;
                    memory.api_calls
                };
                if self.defect == Defect::AlwaysThrottles || call % 2 == 1 {
                    return ControlFlow::Break(self.answer(
                        path,
                        client,
                        result_json("REQUEST_TRAFFIC_EXCEED_LIMIT", "U"),
                    ));
                }
            }
            _ => {}
        }
        ControlFlow::Continue(forward_target)
    }

    /// A broken window refuses what the real one allows: answer F without
    /// touching the payment, as such a server would. Otherwise, what the
    /// proxy saw of the payment before the cancel.
    pub(super) async fn broken_window(&self, call: &Call) -> ControlFlow<Outgoing, Seen> {
        let (path, client, named) = (&call.path, &call.client, &call.named);
        let is_cancel = call.is_cancel;
        let mut view_before = None;
        if let Some(id) = &named
            && is_cancel
            && (self.window_defect() || self.defect == Defect::RepeatReportsNow)
        {
            view_before = self.view(id).await;
        }
        // A broken window refuses what the real one allows: answer F
        // without touching the payment, as such a server would.
        let mut window_allows = None;
        if self.window_defect()
            && let (Some(view), Some(id)) = (&view_before, &named)
            && view.get("state") == Some(&json!("paid"))
            && view.get("owner").and_then(Value::as_str) == Some(client.as_str())
        {
            let text = |key: &str| view.get(key).and_then(Value::as_str).unwrap_or_default();
            if let (Some(paid), Some(now)) = (parse_time(text("paidAt")), parse_time(text("now"))) {
                let created = lock(&self.memory).created.get(id).copied().unwrap_or(paid);
                let allows = now <= self.deadline(text("method"), paid, created);
                if !allows {
                    return ControlFlow::Break(self.answer(
                        path,
                        client,
                        result_json("CANCEL_WINDOW_EXCEED", "F"),
                    ));
                }
                window_allows = Some(now);
            }
        }
        ControlFlow::Continue(Seen {
            view_before,
            window_allows,
        })
    }

    /// The last instant a paid payment may be cancelled, as this proxy's
    /// (possibly broken) window rule says.
    pub(super) fn deadline(
        &self,
        method: &str,
        paid: OffsetDateTime,
        created: OffsetDateTime,
    ) -> OffsetDateTime {
        let start = if self.defect == Defect::WindowFromCreation {
            created
        } else {
            paid
        };
        let next_day_at = |day_offset: i64, at: time::Time, zone: UtcOffset| {
            let local = start.to_offset(zone);
            (local.date() + Duration::days(day_offset))
                .with_time(at)
                .assume_offset(zone)
        };
        if method == "card" {
            let window = match self.defect {
                Defect::CardWindowHourLonger => Duration::hours(169),
                Defect::CardWindowMinuteLonger => Duration::hours(168) + Duration::minutes(1),
                Defect::CardWindowMinuteShorter => Duration::hours(168) - Duration::minutes(1),
                _ => Duration::hours(168),
            };
            return start + window;
        }
        match self.defect {
            Defect::WalletCutOffAtMidnight => next_day_at(1, time!(00:00), UTC8),
            Defect::WalletCutOffMinuteLate => next_day_at(1, time!(00:16), UTC8),
            Defect::WalletCutOffDayLate => next_day_at(2, time!(00:15), UTC8),
            Defect::WalletDayInUtc => next_day_at(1, time!(00:15), UtcOffset::UTC),
            Defect::WalletWindowTwentyFourHours => start + Duration::hours(24),
            _ => next_day_at(1, time!(00:15), UTC8),
        }
    }

    pub(super) fn window_defect(&self) -> bool {
        matches!(
            self.defect,
            Defect::CardWindowHourLonger
                | Defect::CardWindowMinuteLonger
                | Defect::CardWindowMinuteShorter
                | Defect::WalletCutOffAtMidnight
                | Defect::WalletCutOffMinuteLate
                | Defect::WalletCutOffDayLate
                | Defect::WalletDayInUtc
                | Defect::WalletWindowTwentyFourHours
                | Defect::WindowFromCreation
        )
    }
}
