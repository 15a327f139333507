//! Every API answer the reference server gives, built in one place.
//!
//! [`Verdict`] is the data of an answer: why the call ended as it did. This
//! module alone turns it into a result code and message, serialises the body
//! once, signs those exact bytes (rule sign.response-signed, also for
//! authentication failures: sign.response-signed-on-auth-failure) and sends
//! those exact bytes with HTTP 200 (rule http.status-200).

use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use time::OffsetDateTime;

use super::clock::wire_time;
use super::config::ServerConfig;
use super::store::{Delivery, Refusal, UnknownCode};
use crate::domain::PaymentIds;
use crate::signing::SignedContent;
use crate::spec::api::{CancelResponse, InquiryResponse, PaymentStatus, ResultInfo, ResultStatus};

// Response header names are the wire layer's, lowercase because the Python
// SDK matches them exactly so.
use crate::wire::headers::{
    CLIENT_ID as CLIENT_ID_HEADER, JSON_CONTENT_TYPE as CONTENT_TYPE,
    RESPONSE_TIME as RESPONSE_TIME_HEADER, SIGNATURE as SIGNATURE_HEADER,
};

/// The result codes the reference server sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Code {
    Success,
    CancelWindowExceed,
    ClientInvalid,
    OrderNotExist,
    AccessDenied,
    ProcessFail,
    ParamIllegal,
    OrderStatusInvalid,
    InvalidSignature,
    KeyNotFound,
    NoInterfaceDef,
    MediaTypeNotAcceptable,
    MethodNotSupported,
    Unknown(UnknownCode),
}

impl Code {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Code::Success => "SUCCESS",
            Code::CancelWindowExceed => "CANCEL_WINDOW_EXCEED",
            Code::ClientInvalid => "CLIENT_INVALID",
            Code::OrderNotExist => "ORDER_NOT_EXIST",
            Code::AccessDenied => "ACCESS_DENIED",
            Code::ProcessFail => "PROCESS_FAIL",
            Code::ParamIllegal => "PARAM_ILLEGAL",
            Code::OrderStatusInvalid => "ORDER_STATUS_INVALID",
            Code::InvalidSignature => "INVALID_SIGNATURE",
            Code::KeyNotFound => "KEY_NOT_FOUND",
            Code::NoInterfaceDef => "NO_INTERFACE_DEF",
            Code::MediaTypeNotAcceptable => "MEDIA_TYPE_NOT_ACCEPTABLE",
            Code::MethodNotSupported => "METHOD_NOT_SUPPORTED",
            Code::Unknown(code) => code.as_str(),
        }
    }

    /// The one status each code travels with (rule result.code-status-pairing).
    pub(super) fn status(self) -> ResultStatus {
        match self {
            Code::Success => ResultStatus::S,
            Code::Unknown(_) => ResultStatus::U,
            _ => ResultStatus::F,
        }
    }
}

/// Why the Client-Id header identifies no client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum ClientProblem {
    Missing,
    Unknown,
}

/// Why an API call ended as it did: the data of one answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Verdict {
    BodyTooLarge {
        limit: usize,
    },
    /// The client stopped sending, or was too slow, before the body was complete.
    BodyIncomplete,
    NoInterface,
    MethodNotSupported {
        method: String,
    },
    /// `found` is the Content-Type sent, if any.
    MediaTypeNotAcceptable {
        found: Option<String>,
    },
    ClientInvalid(ClientProblem),
    RequestTimeMissing,
    SignatureMissing,
    /// `reason` explains what is wrong without quoting the signature.
    SignatureInvalid {
        reason: String,
    },
    KeyNotFound {
        announced: String,
    },
    /// The body is not JSON (or not UTF-8); `reason` locates the problem.
    BodyNotJson {
        reason: String,
    },
    BodyNotObject,
    /// The body breaks the request schema; one line per violation.
    BodyShape {
        violations: Vec<String>,
    },
    OrderNotExist,
    AccessDenied,
    /// A scripted fault: outcome unknown, nothing changed.
    Unknown(UnknownCode),
    Cancelled {
        ids: PaymentIds,
        cancel_time: OffsetDateTime,
    },
    CancelRefused(Refusal),
    Inquired {
        ids: PaymentIds,
        status: PaymentStatus,
    },
}

impl Verdict {
    pub(super) fn code(&self) -> Code {
        match self {
            Verdict::BodyTooLarge { .. }
            | Verdict::BodyIncomplete
            | Verdict::RequestTimeMissing
            | Verdict::BodyNotJson { .. }
            | Verdict::BodyNotObject
            | Verdict::BodyShape { .. } => Code::ParamIllegal,
            Verdict::NoInterface => Code::NoInterfaceDef,
            Verdict::MethodNotSupported { .. } => Code::MethodNotSupported,
            Verdict::MediaTypeNotAcceptable { .. } => Code::MediaTypeNotAcceptable,
            Verdict::ClientInvalid(_) => Code::ClientInvalid,
            Verdict::SignatureMissing | Verdict::SignatureInvalid { .. } => Code::InvalidSignature,
            Verdict::KeyNotFound { .. } => Code::KeyNotFound,
            Verdict::OrderNotExist => Code::OrderNotExist,
            Verdict::AccessDenied => Code::AccessDenied,
            Verdict::Unknown(code) => Code::Unknown(*code),
            Verdict::Cancelled { .. } | Verdict::Inquired { .. } => Code::Success,
            Verdict::CancelRefused(Refusal::Refunded) => Code::ProcessFail,
            Verdict::CancelRefused(Refusal::CaptureInProgress | Refusal::Captured) => {
                Code::OrderStatusInvalid
            }
            Verdict::CancelRefused(Refusal::WindowExceeded { .. } | Refusal::NotCancellable) => {
                Code::CancelWindowExceed
            }
        }
    }

    /// A message for people reading the answer; programs use the code.
    pub(super) fn message(&self) -> String {
        match self {
            Verdict::BodyTooLarge { limit } => {
                format!("The request body is larger than {limit} bytes.")
            }
            Verdict::BodyIncomplete => {
                "The request body did not arrive completely or in time.".to_string()
            }
            Verdict::NoInterface => "No API is defined at this path.".to_string(),
            Verdict::MethodNotSupported { method } => {
                format!("The API is called with POST, not {method}.")
            }
            Verdict::MediaTypeNotAcceptable { found: None } => {
                "The Content-Type header is missing; send application/json; charset=UTF-8."
                    .to_string()
            }
            Verdict::MediaTypeNotAcceptable { found: Some(found) } => format!(
                "Content-Type {found:?} is not accepted; send application/json; charset=UTF-8."
            ),
            Verdict::ClientInvalid(ClientProblem::Missing) => {
                "The Client-Id header is missing.".to_string()
            }
            Verdict::ClientInvalid(ClientProblem::Unknown) => {
                "The Client-Id header names no known client.".to_string()
            }
            Verdict::RequestTimeMissing => "The Request-Time header is missing.".to_string(),
            Verdict::SignatureMissing => "The Signature header is missing.".to_string(),
            Verdict::SignatureInvalid { reason } => format!("Invalid signature: {reason}"),
            Verdict::KeyNotFound { announced } => {
                format!("No key with keyVersion {announced:?} is registered for this client.")
            }
            Verdict::BodyNotJson { reason } => format!("The body is not valid JSON: {reason}"),
            Verdict::BodyNotObject => "The body is not a JSON object.".to_string(),
            Verdict::BodyShape { violations } => {
                format!("Illegal parameters: {}", violations.join("; "))
            }
            Verdict::OrderNotExist => "No payment matches the identifier.".to_string(),
            Verdict::AccessDenied => "The payment belongs to another client.".to_string(),
            Verdict::Unknown(_) => {
                "The outcome is unknown; retry with the same identifier.".to_string()
            }
            Verdict::Cancelled { .. } | Verdict::Inquired { .. } => "Success".to_string(),
            Verdict::CancelRefused(Refusal::Refunded) => {
                "The payment has been refunded and cannot be cancelled.".to_string()
            }
            Verdict::CancelRefused(Refusal::CaptureInProgress) => {
                "The payment is being captured and cannot be cancelled.".to_string()
            }
            Verdict::CancelRefused(Refusal::Captured) => {
                "The payment has been captured; refund it instead.".to_string()
            }
            Verdict::CancelRefused(Refusal::WindowExceeded { deadline }) => format!(
                "The cancellable period ended at {}; refund the payment instead.",
                wire_time(*deadline)
            ),
            Verdict::CancelRefused(Refusal::NotCancellable) => {
                "This payment method cannot be cancelled; refund the payment instead.".to_string()
            }
        }
    }

    fn result(&self) -> ResultInfo {
        let code = self.code();
        ResultInfo {
            result_code: code.as_str().to_string(),
            result_status: code.status(),
            result_message: Some(self.message()),
        }
    }

    /// The body, serialised once. Only S answers name a payment (rule
    /// result.no-cancel-time-unless-success).
    pub(super) fn body(&self) -> Vec<u8> {
        let result = self.result();
        // Every answer fits: one allocation, no growing.
        let mut buffer = Vec::with_capacity(384);
        let serialised = match self {
            Verdict::Inquired { ids, status } => serde_json::to_writer(
                &mut buffer,
                &InquiryResponse {
                    result,
                    payment_status: Some(*status),
                    payment_id: Some(ids.payment_id.clone()),
                    payment_request_id: Some(ids.payment_request_id.clone()),
                },
            ),
            Verdict::Cancelled { ids, cancel_time } => serde_json::to_writer(
                &mut buffer,
                &CancelResponse {
                    result,
                    payment_id: Some(ids.payment_id.clone()),
                    payment_request_id: Some(ids.payment_request_id.clone()),
                    cancel_time: Some(wire_time(*cancel_time)),
                },
            ),
            _ => serde_json::to_writer(
                &mut buffer,
                &CancelResponse {
                    result,
                    payment_id: None,
                    payment_request_id: None,
                    cancel_time: None,
                },
            ),
        };
        // Serialising these plain structs cannot fail; the fallback keeps the
        // "always a result object" promise even so.
        match serialised {
            Ok(()) => buffer,
            Err(_) => br#"{"result":{"resultCode":"UNKNOWN_EXCEPTION","resultStatus":"U","resultMessage":"The answer could not be serialised."}}"#
                .to_vec(),
        }
    }
}

/// What the answer's signature covers besides the body.
#[derive(Debug, Clone)]
pub(super) struct Exchange {
    /// The path as requested.
    pub path: String,
    /// The request's Client-Id, or empty when it had none usable.
    pub client_id: String,
}

/// Renders `verdict` as the HTTP answer, signed when the server signs.
pub(super) fn respond(
    config: &ServerConfig,
    exchange: &Exchange,
    verdict: &Verdict,
    delivery: Delivery,
) -> Response {
    let body = verdict.body();
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    if config.sign_responses {
        sign_into(config, exchange, &body, &mut headers);
    }

    if delivery == Delivery::Drop {
        // The head promises the whole body but only part of it follows, so
        // the connection is cut and the client sees an incomplete answer.
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
        let partial = body[..body.len() / 2].to_vec();
        let truncated = Body::from_stream(Body::from(partial).into_data_stream());
        return (StatusCode::OK, headers, truncated).into_response();
    }
    (StatusCode::OK, headers, body).into_response()
}

fn sign_into(config: &ServerConfig, exchange: &Exchange, body: &[u8], headers: &mut HeaderMap) {
    let response_time = wire_time(OffsetDateTime::now_utc());
    let signed = SignedContent::post(&exchange.path, &exchange.client_id, &response_time, body)
        .sign(&config.provider_key, &config.provider_key_version);
    let signature = match signed {
        Ok(signature) => signature,
        // Only a broken random source makes RSA signing fail. The answer then
        // goes out unsigned, which some SDKs reject whatever its status and
        // others accept (spec/sdk-behaviour.md); nothing else would be more
        // truthful.
        Err(error) => {
            eprintln!("reference server: cannot sign an answer: {error}");
            return;
        }
    };
    let values = [
        (SIGNATURE_HEADER, signature.as_str()),
        (RESPONSE_TIME_HEADER, response_time.as_str()),
        (CLIENT_ID_HEADER, exchange.client_id.as_str()),
    ];
    for (name, value) in values {
        // Every value is ASCII built here or the bytes of a header the client
        // sent (which may hold UTF-8 beyond ASCII, hence from_bytes), so
        // conversion cannot fail in practice.
        if let Ok(value) = HeaderValue::from_bytes(value.as_bytes()) {
            headers.insert(HeaderName::from_static(name), value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::catalog::Catalog;
    use crate::spec::validate::{Message, validate};
    use time::macros::datetime;

    fn ids() -> PaymentIds {
        PaymentIds {
            payment_id: "P1".into(),
            payment_request_id: "R1".into(),
        }
    }

    /// Every code the server answers with.
    const ALL_CODES: [Code; 16] = [
        Code::Success,
        Code::CancelWindowExceed,
        Code::ClientInvalid,
        Code::OrderNotExist,
        Code::AccessDenied,
        Code::ProcessFail,
        Code::ParamIllegal,
        Code::OrderStatusInvalid,
        Code::InvalidSignature,
        Code::KeyNotFound,
        Code::NoInterfaceDef,
        Code::MediaTypeNotAcceptable,
        Code::MethodNotSupported,
        Code::Unknown(UnknownCode::SystemError),
        Code::Unknown(UnknownCode::RequestTrafficExceedLimit),
        Code::Unknown(UnknownCode::UnknownException),
    ];

    #[test]
    fn every_code_pairs_with_the_status_in_the_catalog() {
        let catalog = Catalog::embedded().expect("spec/result-codes.yaml loads");
        for code in ALL_CODES {
            let entry = catalog
                .code(code.as_str())
                .unwrap_or_else(|| panic!("{} is not in spec/result-codes.yaml", code.as_str()));
            assert_eq!(entry.status, code.status(), "{}", code.as_str());
        }
    }

    #[test]
    fn success_names_the_payment_and_failures_do_not() {
        let success = Verdict::Cancelled {
            ids: ids(),
            cancel_time: datetime!(2019-06-12 19:07:11 +08:00),
        };
        let json: serde_json::Value = serde_json::from_slice(&success.body()).unwrap();
        assert_eq!(json["cancelTime"], "2019-06-12T19:07:11+08:00");
        assert_eq!(json["paymentId"], "P1");
        assert_eq!(json["result"]["resultStatus"], "S");
        assert!(validate(Message::CancelResponse, &json).is_empty());

        for verdict in [
            Verdict::OrderNotExist,
            Verdict::Unknown(UnknownCode::SystemError),
            Verdict::CancelRefused(Refusal::Refunded),
        ] {
            let json: serde_json::Value = serde_json::from_slice(&verdict.body()).unwrap();
            let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
            assert_eq!(keys, ["result"], "{verdict:?}");
            assert!(validate(Message::CancelResponse, &json).is_empty());
        }
    }

    #[test]
    fn inquiry_answer_matches_its_schema() {
        let verdict = Verdict::Inquired {
            ids: ids(),
            status: PaymentStatus::Cancelled,
        };
        let json: serde_json::Value = serde_json::from_slice(&verdict.body()).unwrap();
        assert_eq!(json["paymentStatus"], "CANCELLED");
        assert!(validate(Message::InquiryResponse, &json).is_empty());
    }
}
