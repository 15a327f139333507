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
use crate::signing::{VerifyError, VerifyingKey, sign_message, verify_message};
use crate::spec::api::{CancelRequest, CancelResponse};
use crate::suite::http::{FetchFailure, error_chain, fetch};

/// The most of an answer the client reads: a cancel answer is a few hundred
/// bytes, and a peer that sends more must not exhaust memory.
pub const MAX_ANSWER_BYTES: usize = 256 * 1024;

/// The `Content-Type` every request carries.
pub const CONTENT_TYPE: &str = "application/json; charset=UTF-8";

/// Header names of answers and notifications, lowercase as the provider
/// sends them.
pub const SIGNATURE: &str = "signature";
pub const RESPONSE_TIME: &str = "response-time";
pub const REQUEST_TIME: &str = "request-time";
pub const CLIENT_ID: &str = "client-id";

/// The payment a cancel (or a status question) is about. At least one id
/// must be given for a cancel; when both are, the provider goes by
/// `payment_id`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct PaymentRef {
    /// The id the provider assigned to the payment.
    pub payment_id: Option<String>,
    /// The id the merchant assigned to its pay request.
    pub payment_request_id: Option<String>,
}

impl PaymentRef {
    pub fn new(payment_id: Option<String>, payment_request_id: Option<String>) -> Self {
        Self {
            payment_id,
            payment_request_id,
        }
    }

    pub fn by_payment_id(payment_id: impl Into<String>) -> Self {
        Self::new(Some(payment_id.into()), None)
    }

    pub fn by_request_id(payment_request_id: impl Into<String>) -> Self {
        Self::new(None, Some(payment_request_id.into()))
    }

    pub fn is_empty(&self) -> bool {
        self.payment_id.is_none() && self.payment_request_id.is_none()
    }
}

impl fmt::Display for PaymentRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.payment_id, &self.payment_request_id) {
            (Some(id), Some(request)) => write!(f, "paymentId {id} / paymentRequestId {request}"),
            (Some(id), None) => write!(f, "paymentId {id}"),
            (None, Some(request)) => write!(f, "paymentRequestId {request}"),
            (None, None) => f.write_str("(no payment id)"),
        }
    }
}

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

/// A request ready to send. `Debug` masks the signature.
#[derive(Clone)]
pub struct OutgoingRequest {
    /// The path as sent (after any sandbox rewrite); the signature covers it.
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl fmt::Debug for OutgoingRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(name, value)| {
                let shown = if name.eq_ignore_ascii_case(SIGNATURE) {
                    crate::signing::mask(value)
                } else {
                    value.as_str()
                };
                (name.as_str(), shown)
            })
            .collect();
        f.debug_struct("OutgoingRequest")
            .field("path", &self.path)
            .field("headers", &headers)
            .field("body", &String::from_utf8_lossy(&self.body))
            .finish()
    }
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
) -> Result<OutgoingRequest, ClientError> {
    let request_time = request_time_now();
    let signature = sign_message(
        &config.merchant_key,
        &config.key_version,
        "POST",
        path,
        &config.client_id,
        &request_time,
        &body,
    )
    .map_err(ClientError::Signing)?;
    Ok(OutgoingRequest {
        path: path.to_string(),
        headers: vec![
            ("Content-Type".to_string(), CONTENT_TYPE.to_string()),
            ("Client-Id".to_string(), config.client_id.clone()),
            ("Request-Time".to_string(), request_time),
            ("Signature".to_string(), signature),
        ],
        body,
    })
}

/// An answer exactly as it came off the wire, header names lowercase.
/// `Debug` masks the signature.
#[derive(Clone)]
pub struct RawAnswer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawAnswer {
    /// The first header with this lowercase name.
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }
}

impl fmt::Debug for RawAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(name, value)| {
                let shown = if name == SIGNATURE {
                    crate::signing::mask(value)
                } else {
                    value.as_str()
                };
                (name.as_str(), shown)
            })
            .collect();
        f.debug_struct("RawAnswer")
            .field("status", &self.status)
            .field("headers", &headers)
            .field("body", &String::from_utf8_lossy(&self.body))
            .finish()
    }
}

/// The first header named `name`, compared case-insensitively because
/// header names are case-insensitive on the wire.
pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

/// Why an attempt produced no answer at all. The request may or may not
/// have been carried out, so each of these leaves the cancel's fate open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportFailure {
    /// No complete answer within the configured timeout.
    NoAnswer { after: Duration },
    /// The connection could not be made (refused, TLS failure).
    Connect { detail: String },
    /// The connection ended before the answer was complete.
    Cut { detail: String },
    /// The request could not be put on the wire (e.g. a malformed URL).
    Request { detail: String },
}

impl fmt::Display for TransportFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransportFailure::NoAnswer { after } => {
                write!(f, "no answer within {} ms", after.as_millis())
            }
            TransportFailure::Connect { detail } => write!(f, "cannot connect: {detail}"),
            TransportFailure::Cut { detail } => {
                write!(
                    f,
                    "the connection ended before the answer was complete: {detail}"
                )
            }
            TransportFailure::Request { detail } => write!(f, "cannot send the request: {detail}"),
        }
    }
}

/// Builds the HTTP client: rustls with the crate's crypto provider, plus
/// the extra CA certificate a provider mock with a private certificate
/// needs. It is the runner's client: redirects are not followed, since a
/// signed request is only valid for the path it was signed for.
pub fn http_client(ca_cert_pem: Option<&[u8]>) -> Result<reqwest::Client, ClientError> {
    crate::suite::http::client(ca_cert_pem).map_err(|detail| ClientError::HttpSetup { detail })
}

/// Sends `request` to `base_url` and reads the whole answer, all within
/// `timeout`.
pub async fn exchange(
    http: &reqwest::Client,
    base_url: &str,
    request: &OutgoingRequest,
    timeout: Duration,
) -> Result<RawAnswer, TransportFailure> {
    let url = format!("{}{}", base_url.trim_end_matches('/'), request.path);
    let mut builder = http.post(&url).body(request.body.clone());
    for (name, value) in &request.headers {
        builder = builder.header(name, value);
    }
    let whole = async {
        match fetch(builder, MAX_ANSWER_BYTES).await {
            Ok(answer) => Ok(RawAnswer {
                status: answer.status,
                headers: answer.headers,
                body: answer.body,
            }),
            Err(FetchFailure::Http(err)) => Err(classify(&err)),
            Err(FetchFailure::TooLarge) => Err(TransportFailure::Cut {
                detail: format!("the answer is larger than {MAX_ANSWER_BYTES} bytes"),
            }),
        }
    };
    match tokio::time::timeout(timeout, whole).await {
        Ok(result) => result,
        Err(_) => Err(TransportFailure::NoAnswer { after: timeout }),
    }
}

fn classify(err: &reqwest::Error) -> TransportFailure {
    let detail = error_chain(err);
    if err.is_builder() {
        TransportFailure::Request { detail }
    } else if err.is_connect() {
        TransportFailure::Connect { detail }
    } else {
        TransportFailure::Cut { detail }
    }
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
    answer: &RawAnswer,
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
    verify_message(
        provider_key,
        signature,
        "POST",
        path,
        client_id,
        response_time,
        &answer.body,
    )
    .map(|_| ())
    .map_err(Untrusted::BadSignature)
}

/// Parses the body of an answer as a cancel answer.
pub fn parse_answer(answer: &RawAnswer) -> Result<CancelResponse, Untrusted> {
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
    answer: &RawAnswer,
) -> Result<CancelResponse, Untrusted> {
    verify_answer(&config.provider_key, &config.client_id, path, answer)?;
    let response = parse_answer(answer)?;
    check_echo(sent, &response)?;
    Ok(response)
}
