//! One cancel request on the wire and the judgement of its answer: the
//! body, the signed headers, the HTTP exchange, and whether an answer can be
//! trusted (HTTP 200, signed by the provider over the exact bytes received,
//! parseable, about the payment asked for).
//!
//! These are the building blocks [`CancelClient`](super::CancelClient)
//! composes into its cancel procedure; they are public so that other
//! procedures (and the project's deliberately broken test clients) can be
//! built from the same parts.

use std::fmt;
use std::time::Duration;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::config::{ClientConfig, ClientError};
use crate::signing::{SignedContent, VerifyError, VerifyingKey};
use crate::spec::api::{CancelRequest, CancelResponse};

use crate::domain::PaymentRef;
use crate::wire::headers::{CLIENT_ID, JSON_CONTENT_TYPE, RESPONSE_TIME, SIGNATURE};
use crate::wire::http::TransportError;
use crate::wire::message::{Received, SentRequest};

/// The cancel request for `payment`: its ids, and nothing else (there is no
/// amount, only full cancellation exists).
pub fn cancel_request(payment: &PaymentRef) -> Result<CancelRequest, ClientError> {
    if payment.is_empty() {
        return Err(ClientError::NoIdentifier);
    }
    Ok(CancelRequest {
        payment_id: payment.payment_id.clone(),
        payment_request_id: payment.payment_request_id.clone(),
        merchant_account_id: None,
    })
}

/// The compact JSON body of `request`. It is produced once per cancel and
/// these bytes are both signed and sent, on every attempt.
pub fn compact_body(request: &CancelRequest) -> Result<Vec<u8>, ClientError> {
    serde_json::to_vec(request).map_err(|err| ClientError::Body {
        detail: err.to_string(),
    })
}

/// The time format of `Request-Time`: RFC 3339 in UTC, to the millisecond.
pub fn request_time_now() -> String {
    let now = OffsetDateTime::now_utc();
    let now = now
        .replace_nanosecond(now.nanosecond() / 1_000_000 * 1_000_000)
        .unwrap_or(now);
    now.format(&Rfc3339)
        .unwrap_or_else(|_| now.unix_timestamp().to_string())
}

/// Signs `body` for `POST path` with a fresh `Request-Time` and returns the
/// request carrying exactly those bytes.
pub fn signed_request(
    config: &ClientConfig,
    path: &str,
    body: Vec<u8>,
) -> Result<SentRequest, ClientError> {
    let request_time = request_time_now();
    let signature = SignedContent::post(path, &config.client_id, &request_time, &body)
        .sign(&config.merchant_key, &config.key_version)
        .map_err(ClientError::Signing)?;
    Ok(SentRequest {
        method: "POST".to_string(),
        path: path.to_string(),
        headers: vec![
            ("Content-Type".to_string(), JSON_CONTENT_TYPE.to_string()),
            ("Client-Id".to_string(), config.client_id.clone()),
            ("Request-Time".to_string(), request_time),
            ("Signature".to_string(), signature),
        ],
        body,
    })
}

/// Builds the HTTP client: rustls with the crate's crypto provider, plus
/// the extra CA certificate a provider mock with a private certificate
/// needs. It is the runner's client: redirects are not followed, since a
/// signed request is only valid for the path it was signed for.
pub fn http_client(ca_cert_pem: Option<&[u8]>) -> Result<reqwest::Client, ClientError> {
    crate::wire::http::client(ca_cert_pem).map_err(|detail| ClientError::HttpSetup { detail })
}

/// Sends `request` to `base_url` and reads the whole answer, all within
/// `timeout`.
pub async fn exchange(
    http: &reqwest::Client,
    base_url: &str,
    request: &SentRequest,
    timeout: Duration,
) -> Result<Received, TransportError> {
    crate::wire::http::send(http, base_url.trim_end_matches('/'), request, timeout).await
}

/// Why an answer that arrived is not trusted. Acting on such an answer could
/// record a cancel that never happened (or miss one that did), so the
/// client concludes nothing from it and does not retry blindly either.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Untrusted {
    /// Every answer that carries a result is HTTP 200.
    Status { status: u16 },
    /// A header needed to check the signature is absent.
    MissingHeader { name: &'static str },
    /// The answer says it is for another client id.
    OtherClient { found: String },
    /// The signature does not verify with the provider key.
    BadSignature(VerifyError),
    /// The body is not a cancel answer.
    NotParseable { detail: String },
    /// The answer names a different payment than the one asked about.
    OtherPayment {
        field: &'static str,
        sent: String,
        answered: String,
    },
}

impl fmt::Display for Untrusted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Untrusted::Status { status } => {
                write!(
                    f,
                    "HTTP status {status}, but every cancel answer is HTTP 200"
                )
            }
            Untrusted::MissingHeader { name } => {
                write!(
                    f,
                    "the answer has no `{name}` header, so its signature cannot be checked"
                )
            }
            Untrusted::OtherClient { found } => {
                write!(f, "the answer's client-id is `{found}`, not this client's")
            }
            Untrusted::BadSignature(error) => {
                write!(f, "the answer's signature does not verify: {error}")
            }
            Untrusted::NotParseable { detail } => {
                write!(f, "the answer is not a cancel answer: {detail}")
            }
            Untrusted::OtherPayment {
                field,
                sent,
                answered,
            } => write!(
                f,
                "the answer is about {field} `{answered}`, but the cancel was for `{sent}`"
            ),
        }
    }
}

/// Checks that `answer` is HTTP 200 and signed by the provider over
/// `POST <path>\n<client-id>.<response-time>.<exact body bytes>`.
pub fn verify_answer(
    provider_key: &VerifyingKey,
    client_id: &str,
    path: &str,
    answer: &Received,
) -> Result<(), Untrusted> {
    if answer.status != 200 {
        return Err(Untrusted::Status {
            status: answer.status,
        });
    }
    let signature = answer
        .header(SIGNATURE)
        .ok_or(Untrusted::MissingHeader { name: SIGNATURE })?;
    let response_time = answer
        .header(RESPONSE_TIME)
        .ok_or(Untrusted::MissingHeader {
            name: RESPONSE_TIME,
        })?;
    // The header only repeats the client id; an answer for another client
    // is not about this request whatever its signature says.
    if let Some(found) = answer.header(CLIENT_ID)
        && found != client_id
    {
        return Err(Untrusted::OtherClient {
            found: found.to_string(),
        });
    }
    SignedContent::post(path, client_id, response_time, &answer.body)
        .verify(provider_key, signature)
        .map(|_| ())
        .map_err(Untrusted::BadSignature)
}

/// Parses the body of an answer as a cancel answer.
pub fn parse_answer(answer: &Received) -> Result<CancelResponse, Untrusted> {
    serde_json::from_slice(&answer.body).map_err(|err| Untrusted::NotParseable {
        detail: err.to_string(),
    })
}

/// Checks that ids the answer echoes are the ids the cancel was for: a
/// signed S about another payment must not cancel this order.
pub fn check_echo(sent: &CancelRequest, answer: &CancelResponse) -> Result<(), Untrusted> {
    let pairs = [
        ("paymentId", &sent.payment_id, &answer.payment_id),
        (
            "paymentRequestId",
            &sent.payment_request_id,
            &answer.payment_request_id,
        ),
    ];
    for (field, sent, answered) in pairs {
        if let (Some(sent), Some(answered)) = (sent, answered)
            && sent != answered
        {
            return Err(Untrusted::OtherPayment {
                field,
                sent: sent.clone(),
                answered: answered.clone(),
            });
        }
    }
    Ok(())
}

/// The whole judgement of an answer: verified, parsed, about this payment.
pub fn trust_answer(
    config: &ClientConfig,
    sent: &CancelRequest,
    path: &str,
    answer: &Received,
) -> Result<CancelResponse, Untrusted> {
    verify_answer(&config.provider_key, &config.client_id, path, answer)?;
    let response = parse_answer(answer)?;
    check_echo(sent, &response)?;
    Ok(response)
}
