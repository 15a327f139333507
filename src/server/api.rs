//! The cancel and inquiry APIs: the order in which a request is checked,
//! from its size to the business rule, and the answer it gets.
//!
//! Every request that is not for the control plane comes here, so unknown
//! paths and wrong methods get their F answers from the same pipeline. The
//! checks run in a fixed order, and the first one that fails decides the
//! answer:
//!
//! 1. body size (PARAM_ILLEGAL), read with a limit before anything else;
//! 2. path (NO_INTERFACE_DEF), then method (METHOD_NOT_SUPPORTED);
//! 3. Content-Type (MEDIA_TYPE_NOT_ACCEPTABLE);
//! 4. Client-Id (CLIENT_INVALID), Request-Time (PARAM_ILLEGAL);
//! 5. Signature header (INVALID_SIGNATURE), key version (KEY_NOT_FOUND),
//!    signature over the raw bytes (INVALID_SIGNATURE);
//! 6. body shape against the request schema (PARAM_ILLEGAL);
//! 7. lookup, ownership, scripted fault and business rule (`store`).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};
use axum::response::Response;
use serde_json::{Map, Value};

use super::Shared;
use super::answer::{self, ClientProblem, Exchange, Verdict};
use super::body::{BodyError, read_limited};
use super::config::ClientKey;
use super::request_log::ToLog;
use super::store::{CallOutcome, CallResult, CancelEffect, Delivery, Lookup, Operation};
use crate::signing::{SignatureHeader, SignedContent};
use crate::spec::api::{
    CANCEL_PATH, CancelRequest, INQUIRY_PATH, InquiryRequest, SANDBOX_CANCEL_PATH,
    SANDBOX_INQUIRY_PATH,
};
use crate::spec::validate::{Message, is_valid, validate};
use crate::wire::headers::{CLIENT_ID, REQUEST_TIME, SIGNATURE};

/// Which API a path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Endpoint {
    Cancel,
    Inquiry,
}

impl Endpoint {
    /// Production and sandbox paths behave alike for every client id (rule
    /// path.server-serves-both); only the signed path differs.
    fn of(path: &str) -> Option<Self> {
        match path {
            CANCEL_PATH | SANDBOX_CANCEL_PATH => Some(Endpoint::Cancel),
            INQUIRY_PATH | SANDBOX_INQUIRY_PATH => Some(Endpoint::Inquiry),
            _ => None,
        }
    }

    fn operation(self) -> Operation {
        match self {
            Endpoint::Cancel => Operation::Cancel,
            Endpoint::Inquiry => Operation::Inquiry,
        }
    }

    fn message(self) -> Message {
        match self {
            Endpoint::Cancel => Message::CancelRequest,
            Endpoint::Inquiry => Message::InquiryRequest,
        }
    }
}

/// The handler for every API request.
pub(super) async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let exchange = Exchange {
        path: parts.uri.path().to_string(),
        client_id: header_text(&parts.headers, CLIENT_ID)
            .unwrap_or_default()
            .to_string(),
    };
    let config = &shared.config;
    let body = read_limited(
        &parts.headers,
        body,
        config.max_body_bytes,
        config.body_read_timeout,
    )
    .await;
    let (verdict, delivery) = match body {
        Ok(body) => decide(&shared, &parts, &body),
        Err(BodyError::TooLarge { limit }) => (Verdict::BodyTooLarge { limit }, Delivery::Now),
        Err(BodyError::Interrupted | BodyError::TimedOut) => {
            (Verdict::BodyIncomplete, Delivery::Now)
        }
    };
    if let Delivery::After(delay) = delivery {
        tokio::time::sleep(delay).await;
    }
    answer::respond(config, &exchange, &verdict, delivery)
}

/// Everything after the body has been read: the checks in order, then the
/// store. Synchronous: nothing here waits.
fn decide(shared: &Shared, parts: &Parts, body: &Bytes) -> (Verdict, Delivery) {
    let path = parts.uri.path();
    let Some(endpoint) = Endpoint::of(path) else {
        return (Verdict::NoInterface, Delivery::Now);
    };
    // Parsed once, for the log and (after authentication) for the call.
    let parsed = serde_json::from_slice::<Value>(body);
    record(shared, parts, body, parsed.as_ref().ok());
    match authenticate(shared, parts, body) {
        Ok(client_id) => call(shared, endpoint, client_id, body, parsed),
        Err(verdict) => (verdict, Delivery::Now),
    }
}

/// Checks method, headers and signature; returns the authenticated client id.
fn authenticate<'p>(shared: &Shared, parts: &'p Parts, body: &Bytes) -> Result<&'p str, Verdict> {
    if parts.method != Method::POST {
        return Err(Verdict::MethodNotSupported {
            method: parts.method.to_string(),
        });
    }
    check_content_type(&parts.headers)?;
    let (client_id, client) = find_client(shared, &parts.headers)?;
    let request_time = header_text(&parts.headers, REQUEST_TIME)
        .filter(|time| !time.is_empty())
        .ok_or(Verdict::RequestTimeMissing)?;
    check_signature(client, parts, client_id, request_time, body)?;
    Ok(client_id)
}

fn check_content_type(headers: &HeaderMap) -> Result<(), Verdict> {
    let Some(value) = headers.get(axum::http::header::CONTENT_TYPE) else {
        return Err(Verdict::MediaTypeNotAcceptable { found: None });
    };
    let text = String::from_utf8_lossy(value.as_bytes());
    let media_type = text.split(';').next().unwrap_or_default().trim();
    if media_type.eq_ignore_ascii_case("application/json") {
        Ok(())
    } else {
        Err(Verdict::MediaTypeNotAcceptable {
            found: Some(text.chars().take(100).collect()),
        })
    }
}

fn find_client<'s, 'p>(
    shared: &'s Shared,
    headers: &'p HeaderMap,
) -> Result<(&'p str, &'s ClientKey), Verdict> {
    let client_id = header_text(headers, CLIENT_ID)
        .filter(|id| !id.is_empty())
        .ok_or(Verdict::ClientInvalid(ClientProblem::Missing))?;
    let client = shared
        .config
        .clients
        .get(client_id)
        .ok_or(Verdict::ClientInvalid(ClientProblem::Unknown))?;
    Ok((client_id, client))
}

fn check_signature(
    client: &ClientKey,
    parts: &Parts,
    client_id: &str,
    request_time: &str,
    body: &[u8],
) -> Result<(), Verdict> {
    let value = parts
        .headers
        .get(SIGNATURE)
        .ok_or(Verdict::SignatureMissing)?;
    let text = std::str::from_utf8(value.as_bytes()).map_err(|_| Verdict::SignatureInvalid {
        reason: "the Signature header is not text".to_string(),
    })?;
    let header = SignatureHeader::parse(text).map_err(|error| Verdict::SignatureInvalid {
        reason: error.to_string(),
    })?;
    // The key is chosen by version before verifying: with no such key there
    // is nothing to verify against.
    if let Some(announced) = &header.key_version
        && *announced != client.key_version
    {
        return Err(Verdict::KeyNotFound {
            announced: announced.clone(),
        });
    }
    SignedContent {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        client_id,
        time: request_time,
        body,
    }
    .verify_parsed(&client.public_key, &header)
    .map_err(|failure| Verdict::SignatureInvalid {
        reason: failure.to_string(),
    })
}

/// The identifier that decides the lookup.
enum Deciding {
    PaymentId(String),
    PaymentRequestId(String),
}

impl Deciding {
    fn lookup(&self) -> Lookup<'_> {
        match self {
            Deciding::PaymentId(id) => Lookup::PaymentId(id),
            Deciding::PaymentRequestId(id) => Lookup::PaymentRequestId(id),
        }
    }
}

fn call(
    shared: &Shared,
    endpoint: Endpoint,
    client_id: &str,
    body: &Bytes,
    parsed: serde_json::Result<Value>,
) -> (Verdict, Delivery) {
    let deciding = match parse_parsed_body(endpoint, body, parsed) {
        Ok(deciding) => deciding,
        Err(verdict) => return (verdict, Delivery::Now),
    };
    match shared
        .store
        .call(client_id, deciding.lookup(), endpoint.operation())
    {
        CallOutcome::NotFound => (Verdict::OrderNotExist, Delivery::Now),
        CallOutcome::AccessDenied => (Verdict::AccessDenied, Delivery::Now),
        CallOutcome::Unknown(code) => (Verdict::Unknown(code), Delivery::Now),
        CallOutcome::Done { result, delivery } => {
            let verdict = match result {
                CallResult::Cancel {
                    ids,
                    outcome: CancelEffect::Cancelled { cancel_time, .. },
                } => Verdict::Cancelled { ids, cancel_time },
                CallResult::Cancel {
                    outcome: CancelEffect::Refused(refusal),
                    ..
                } => Verdict::CancelRefused(refusal),
                CallResult::Inquiry { ids, status } => Verdict::Inquired { ids, status },
            };
            (verdict, delivery)
        }
    }
}

/// Parses and checks the body; returns the identifier that decides.
///
/// serde alone is not trusted with the shape (an `Option` field accepts
/// `null`, and lengths are not its business): the request schema decides,
/// and serde only reads what the schema has accepted.
#[cfg(test)]
fn parse_body(endpoint: Endpoint, body: &[u8]) -> Result<Deciding, Verdict> {
    parse_parsed_body(endpoint, body, serde_json::from_slice(body))
}

/// [`parse_body`] on the result of parsing `body` as JSON.
fn parse_parsed_body(
    endpoint: Endpoint,
    body: &[u8],
    parsed: serde_json::Result<Value>,
) -> Result<Deciding, Verdict> {
    let instance: Value = parsed.map_err(|error| Verdict::BodyNotJson {
        reason: error.to_string(),
    })?;
    if !instance.is_object() {
        return Err(Verdict::BodyNotObject);
    }
    // serde_json keeps the last of a repeated key, other parsers the first
    // (RFC 8259 §4 leaves it open), so `{"paymentId":"a","paymentId":"b"}`
    // would cancel whichever payment this parser picks: refused instead.
    if let Err(error) = serde_json::from_slice::<UniqueKeys>(body) {
        return Err(Verdict::BodyShape {
            violations: vec![error.to_string()],
        });
    }
    // The schema also says that an empty id is not an id (rule
    // ident.empty-id-param-illegal: minLength 1), and that a null field is
    // an absent one (rule ident.null-means-absent): serde then reads the
    // null as `None`, so precedence below sees only the ids really given.
    // The common case, a valid body, is told apart without collecting
    // violations; only an invalid one is examined for its messages.
    let violations = if is_valid(endpoint.message(), &instance) {
        Vec::new()
    } else {
        validate(endpoint.message(), &instance)
    };
    if !violations.is_empty() {
        return Err(Verdict::BodyShape {
            violations: violations
                .iter()
                .map(|violation| {
                    let at = if violation.instance_path.is_empty() {
                        "/"
                    } else {
                        &violation.instance_path
                    };
                    format!("{at}: {}", violation.message)
                })
                .collect(),
        });
    }
    let shape_error = |error: serde_json::Error| Verdict::BodyShape {
        violations: vec![error.to_string()],
    };
    let (payment_id, payment_request_id) = match endpoint {
        Endpoint::Cancel => {
            let request: CancelRequest = serde_json::from_value(instance).map_err(shape_error)?;
            (request.payment_id, request.payment_request_id)
        }
        Endpoint::Inquiry => {
            let request: InquiryRequest = serde_json::from_value(instance).map_err(shape_error)?;
            (request.payment_id, request.payment_request_id)
        }
    };
    // paymentId alone decides when it is given (rules
    // ident.payment-id-precedence, ident.unknown-payment-id-decides).
    match (payment_id, payment_request_id) {
        (Some(id), _) => Ok(Deciding::PaymentId(id)),
        (None, Some(id)) => Ok(Deciding::PaymentRequestId(id)),
        // The schema's anyOf already rules this out; kept so that a schema
        // change cannot turn "neither" into a lookup.
        (None, None) => Err(Verdict::BodyShape {
            violations: vec!["neither paymentId nor paymentRequestId is given".to_string()],
        }),
    }
}

/// Any JSON value in which no object names a key twice (compared after
/// unescaping, so `"payment\u0049d"` is `"paymentId"`).
struct UniqueKeys;

impl<'de> serde::Deserialize<'de> for UniqueKeys {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(UniqueKeys)
    }
}

impl<'de> serde::de::Visitor<'de> for UniqueKeys {
    type Value = UniqueKeys;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_str<E>(self, _: &str) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_unit<E>(self) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self, A::Error> {
        while seq.next_element::<UniqueKeys>()?.is_some() {}
        Ok(self)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self, A::Error> {
        let mut seen = std::collections::HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(serde::de::Error::custom(format!(
                    "the key {key:?} is given twice"
                )));
            }
            map.next_value::<UniqueKeys>()?;
        }
        Ok(self)
    }
}

/// Logs a request to an API path for the control plane, when its body names
/// a payment. The Signature header is never logged.
fn record(shared: &Shared, parts: &Parts, body: &Bytes, parsed: Option<&Value>) {
    fn named<'v>(fields: &'v Map<String, Value>, key: &str) -> Option<&'v str> {
        fields
            .get(key)
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty())
    }
    let Some(Value::Object(fields)) = parsed else {
        return;
    };
    let named_payment_id = named(fields, "paymentId");
    let named_payment_request_id = named(fields, "paymentRequestId");
    if named_payment_id.is_none() && named_payment_request_id.is_none() {
        return;
    }
    shared.log.record(&ToLog {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        client_id: header_text(&parts.headers, CLIENT_ID),
        request_time: header_text(&parts.headers, REQUEST_TIME),
        body: &String::from_utf8_lossy(body),
        named_payment_id,
        named_payment_request_id,
    });
}

/// A header's value as text, when it is present and UTF-8.
fn header_text<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get(name)
        .and_then(|value| std::str::from_utf8(value.as_bytes()).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decided(body: &str) -> Result<String, String> {
        match parse_body(Endpoint::Cancel, body.as_bytes()) {
            Ok(Deciding::PaymentId(id)) => Ok(format!("paymentId={id}")),
            Ok(Deciding::PaymentRequestId(id)) => Ok(format!("paymentRequestId={id}")),
            Err(verdict) => Err(verdict.code().as_str().to_string()),
        }
    }

    #[test]
    fn payment_id_decides_when_both_are_given() {
        assert_eq!(
            decided(r#"{"paymentId":"P","paymentRequestId":"R"}"#),
            Ok("paymentId=P".into())
        );
        assert_eq!(
            decided(r#"{"paymentRequestId":"R"}"#),
            Ok("paymentRequestId=R".into())
        );
    }

    #[test]
    fn empty_ids_are_param_illegal_even_beside_a_valid_id() {
        for body in [
            r#"{"paymentId":"","paymentRequestId":"R"}"#,
            r#"{"paymentId":"P","paymentRequestId":""}"#,
            r#"{"paymentId":"","paymentRequestId":null}"#,
            r#"{"paymentId":null,"paymentRequestId":null}"#,
            r#"{"paymentId":null,"merchantAccountId":"M"}"#,
        ] {
            assert_eq!(decided(body), Err("PARAM_ILLEGAL".into()), "{body}");
        }
    }

    #[test]
    fn null_fields_are_absent() {
        for (body, deciding) in [
            (
                r#"{"paymentId":null,"paymentRequestId":"R"}"#,
                "paymentRequestId=R",
            ),
            (
                r#"{"paymentId":"P","paymentRequestId":null}"#,
                "paymentId=P",
            ),
            (
                r#"{"paymentId":null,"paymentRequestId":"R","merchantAccountId":null}"#,
                "paymentRequestId=R",
            ),
            (
                r#"{"paymentId":"P","merchantAccountId":null}"#,
                "paymentId=P",
            ),
        ] {
            assert_eq!(decided(body), Ok(deciding.into()), "{body}");
        }
    }

    #[test]
    fn shapes_the_schema_refuses_are_param_illegal() {
        let long = "x".repeat(65);
        let longest = "x".repeat(64);
        let account = "a".repeat(33);
        for body in [
            "{}".to_string(),
            "[]".to_string(),
            "\"P\"".to_string(),
            "{\"paymentId\":".to_string(),
            r#"{"paymentId":123}"#.to_string(),
            r#"{"paymentId":["P"]}"#.to_string(),
            r#"{"paymentId":"P","amount":{"value":"1"}}"#.to_string(),
            format!(r#"{{"paymentId":"{long}"}}"#),
            format!(r#"{{"paymentId":"P","merchantAccountId":"{account}"}}"#),
            r#"{"paymentId":"P","merchantAccountId":""}"#.to_string(),
        ] {
            assert_eq!(decided(&body), Err("PARAM_ILLEGAL".into()), "{body}");
        }
        assert_eq!(
            decided(&format!(r#"{{"paymentId":"{longest}"}}"#)),
            Ok(format!("paymentId={longest}"))
        );
        assert!(parse_body(Endpoint::Cancel, b"{\"paymentId\":\"\xff\"}").is_err());
    }

    #[test]
    fn a_key_given_twice_is_param_illegal_however_it_is_spelled() {
        for body in [
            r#"{"paymentId":"a","paymentId":"b"}"#,
            r#"{"paymentId":"a","payment\u0049d":"a"}"#,
            r#"{"paymentRequestId":"R","paymentId":"P","paymentRequestId":"R"}"#,
        ] {
            assert_eq!(decided(body), Err("PARAM_ILLEGAL".into()), "{body}");
        }
        let Err(Verdict::BodyShape { violations }) =
            parse_body(Endpoint::Cancel, br#"{"paymentId":"a","paymentId":"b"}"#)
        else {
            panic!("a duplicate key is a shape violation");
        };
        assert_eq!(
            violations,
            ["the key \"paymentId\" is given twice at line 1 column 28"]
        );
    }

    #[test]
    fn pretty_printed_bodies_are_fine() {
        assert_eq!(
            decided("{\n   \"paymentId\": \"P\"\n}"),
            Ok("paymentId=P".into())
        );
    }
}
