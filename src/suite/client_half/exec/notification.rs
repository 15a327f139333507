//! The payment notifications the scripted provider sends through the
//! adapter: the body laid out as a provider lays it out (compact, spaced,
//! keys reordered, escaped), signed and spelled as a case asks.

use serde_json::json;

use super::super::case::{AnswerSignature, BodyLayout, HeaderStyle, Notification};
use super::super::scripted::Signer;
use super::judge::Judge;
use crate::adapter_protocol::messages::Operation;
use crate::signing::SigningKey;

/// A payment notification as the provider sends it to a merchant, its
/// body laid out and its headers signed and spelled as the step asks.
#[allow(clippy::too_many_arguments)]
pub(super) fn notification(
    key: &SigningKey,
    merchant_key: &SigningKey,
    client_id: &str,
    judge: &Judge<'_>,
    event: Notification,
    signing: AnswerSignature,
    style: HeaderStyle,
    layout: BodyLayout,
) -> Operation {
    let body = notification_body(judge.payment_id, judge.payment_request_id, event, layout);
    let path = "/notify/payment";
    let signer = Signer {
        provider_key: key,
        merchant_key,
        client_id,
        time_header: crate::wire::headers::REQUEST_TIME,
    };
    let headers = signer
        .headers(path, body.as_bytes(), signing, style)
        .into_iter()
        .collect();
    Operation::notify(path.to_string(), headers, body)
}

/// The body of a payment notification, laid out as `layout` says: the
/// same JSON value every time, other bytes.
fn notification_body(
    payment_id: &str,
    payment_request_id: &str,
    event: Notification,
    layout: BodyLayout,
) -> String {
    let (code, status, message) = match event {
        Notification::PaymentSuccess => ("SUCCESS", "S", "success"),
        Notification::PaymentFailure => ("USER_BALANCE_NOT_ENOUGH", "F", "failed"),
    };
    let result = json!({"resultCode": code, "resultStatus": status, "resultMessage": message});
    let amount = json!({"currency": "USD", "value": "1000"});
    let created = "2026-11-26T18:04:00+08:00";
    let paid = "2026-11-26T18:05:00+08:00";
    let body = json!({
        "notifyType": "PAYMENT_RESULT",
        "result": result,
        "paymentRequestId": payment_request_id,
        "paymentId": payment_id,
        "paymentAmount": amount,
        "paymentCreateTime": created,
        "paymentTime": paid
    });
    match layout {
        BodyLayout::Compact => body.to_string(),
        BodyLayout::Spaced => {
            serde_json::to_string_pretty(&body).unwrap_or_else(|_| body.to_string())
        }
        BodyLayout::Reordered => json!({
            "paymentTime": paid,
            "paymentId": payment_id,
            "paymentAmount": amount,
            "result": result,
            "paymentCreateTime": created,
            "notifyType": "PAYMENT_RESULT",
            "paymentRequestId": payment_request_id
        })
        .to_string(),
        // `\u0054` is `T` and `\u002B` is `+`: escapes a JSON parser
        // reads back, which a re-serialiser writes plainly.
        BodyLayout::Escaped => body
            .to_string()
            .replacen("\"notifyType\"", "\"notify\\u0054ype\"", 1)
            .replacen(paid, "2026-11-26T18:05:00\\u002B08:00", 1),
    }
}
