//! The scripted provider of the client half: answers each cancel request
//! with the case's next scripted answer (signed as the provider does, or
//! wrongly on purpose, held past the client's timeout, or never), spells
//! its headers in every way `sign.header-format` allows, presents the TLS
//! certificate the case asks for, and records every request exactly as it
//! arrived, with its arrival time, so that the judge can tell what the
//! client sent and how long it waited.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use axum_server::Handle;
use axum_server::tls_rustls::{RustlsAcceptor, RustlsConfig};
use serde_json::{Value, json};

use super::case::{Answer, AnswerSignature, HeaderStyle, ScriptedAnswer, Status, Transport};
use crate::signing::{SignedContent, SigningKey, test_keys};
use crate::wire::headers::{CLIENT_ID, RESPONSE_TIME, SIGNATURE};
use crate::wire::message::SentRequest;

/// The most of a request body the scripted provider reads.
const MAX_REQUEST_BYTES: usize = 1024 * 1024;

/// The client id an `other-client` answer or notification is made for.
pub const OTHER_CLIENT_ID: &str = "CONFORMANCE_OTHER_CLIENT";

/// What the scripted provider is told for one case.
pub struct Script {
    pub answers: Vec<Answer>,
    pub provider_key: Arc<SigningKey>,
    /// The merchant key: what a `wrong-key` answer is signed with.
    pub merchant_key: Arc<SigningKey>,
    /// The client id the client under test was given.
    pub client_id: String,
    /// How long a held answer is held: longer than any client that keeps
    /// its timeout waits.
    pub hold: Duration,
    /// The payment's ids, for answers to requests that name only one.
    pub payment_id: String,
    pub payment_request_id: String,
    /// The cancelTime every S answer reports.
    pub cancel_time: String,
}

/// One request as it arrived.
#[derive(Debug, Clone)]
pub struct Arrival {
    /// Empty (no method) for a connection refused before it was read.
    pub request: SentRequest,
    pub at: Instant,
    /// The answer it got was held (or never came).
    pub held: bool,
    /// The connection was reset as soon as it was accepted: the request
    /// was never read, there is nothing of it to judge.
    pub refused: bool,
    /// The answer it was scripted to get.
    pub answer: ScriptedAnswer,
    /// When the client closed the connection of a held answer before the
    /// hold was over: when it gave up waiting, by the suite's own clock.
    pub gave_up: Option<Instant>,
    /// When its answer left the handler (an answer sent at once): a pause
    /// before the next request counts from here, not from the arrival, so
    /// that the suite's own signing is not counted against the client.
    pub answered_at: Option<Instant>,
}

/// The scripted provider's state: the script and what it received.
pub struct Scripted {
    script: Script,
    received: Mutex<Vec<Arrival>>,
}

impl Scripted {
    pub fn new(script: Script) -> Arc<Scripted> {
        Arc::new(Scripted {
            script,
            received: Mutex::new(Vec::new()),
        })
    }

    /// Every request received so far, in order.
    pub fn received(&self) -> Vec<Arrival> {
        self.received.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// Whether any answer spells header names in title case (the server
    /// then writes every header name so).
    pub fn title_case(&self) -> bool {
        self.script
            .answers
            .iter()
            .any(|answer| answer.spelled_out().header == HeaderStyle::TitleCaseNames)
    }

    /// The router that plays the provider.
    pub fn router(self: &Arc<Self>) -> Router {
        Router::new().fallback(answer).with_state(self.clone())
    }

    /// The answer the next request gets: the n-th request the n-th
    /// answer, the last answer every later one.
    fn next_answer(&self, received: &[Arrival]) -> ScriptedAnswer {
        let index = received
            .len()
            .min(self.script.answers.len().saturating_sub(1));
        self.script
            .answers
            .get(index)
            .map_or_else(|| Answer::Success.spelled_out(), Answer::spelled_out)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Arrival>> {
        self.received
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Records a request and picks its answer; the request's index.
    fn arrive(&self, request: SentRequest) -> (usize, ScriptedAnswer) {
        let mut received = self.lock();
        let answer = self.next_answer(&received);
        received.push(Arrival {
            request,
            at: Instant::now(),
            held: answer.held || answer.never,
            refused: false,
            answer: answer.clone(),
            gave_up: None,
            answered_at: None,
        });
        (received.len() - 1, answer)
    }

    /// Notes that the answer to request `index` leaves now.
    fn answered(&self, index: usize) {
        if let Some(arrival) = self.lock().get_mut(index) {
            arrival.answered_at = Some(Instant::now());
        }
    }

    /// Whether a connection just accepted is to be refused: the next
    /// answer says so. The refusal counts as one attempt.
    fn refuses_connection(&self) -> bool {
        let mut received = self.lock();
        let answer = self.next_answer(&received);
        if answer.transport != Transport::Refused {
            return false;
        }
        received.push(Arrival {
            request: SentRequest {
                method: String::new(),
                path: String::new(),
                headers: Vec::new(),
                body: Vec::new(),
            },
            at: Instant::now(),
            held: false,
            refused: true,
            answer,
            gave_up: None,
            answered_at: Some(Instant::now()),
        });
        true
    }
}

/// Notes when the client gives up on a held answer: the server drops the
/// handler of a request whose connection the client closed, and with it
/// this guard, before the hold is over.
struct GiveUpWatch {
    scripted: Arc<Scripted>,
    index: usize,
    armed: bool,
}

impl Drop for GiveUpWatch {
    fn drop(&mut self) {
        if self.armed
            && let Some(arrival) = self.scripted.lock().get_mut(self.index)
        {
            arrival.gave_up = Some(Instant::now());
        }
    }
}

/// Resets a connection the script refuses as soon as it is accepted,
/// before a byte is read; hands every other one on.
#[derive(Clone)]
struct Refusing<A> {
    scripted: Arc<Scripted>,
    inner: A,
}

impl<S, A> axum_server::accept::Accept<tokio::net::TcpStream, S> for Refusing<A>
where
    A: axum_server::accept::Accept<tokio::net::TcpStream, S> + Clone + Send + 'static,
    A::Future: Send + 'static,
    A::Stream: Send + 'static,
    A::Service: Send + 'static,
    S: Send + 'static,
{
    type Stream = A::Stream;
    type Service = A::Service;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = std::io::Result<(A::Stream, A::Service)>> + Send>,
    >;

    fn accept(&self, stream: tokio::net::TcpStream, service: S) -> Self::Future {
        if self.scripted.refuses_connection() {
            // A zero linger makes the close a TCP reset: the client sees
            // its connection refused, not an orderly end.
            let _ = stream.set_zero_linger();
            drop(stream);
            return Box::pin(std::future::ready(Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionRefused,
                "refused by the script",
            ))));
        }
        Box::pin(self.inner.accept(stream, service))
    }
}

/// A running scripted provider; stops when dropped.
pub struct Served {
    pub addr: SocketAddr,
    handle: Handle<SocketAddr>,
}

impl Drop for Served {
    fn drop(&mut self) {
        self.handle.shutdown();
    }
}

/// Serves the scripted provider on 127.0.0.1, over TLS with `tls`,
/// writing header names in title case with `title_case`, refusing the
/// connections the script refuses.
pub async fn serve(
    scripted: &Arc<Scripted>,
    tls: Option<Arc<rustls::ServerConfig>>,
    title_case: bool,
) -> std::io::Result<Served> {
    let router = scripted.router();
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let addr = listener.local_addr()?;
    let handle = Handle::new();
    let mut server = axum_server::Server::from_listener(listener)
        .handle(handle.clone())
        .http1_only();
    server
        .http_builder()
        .http1()
        .header_read_timeout(Duration::from_secs(10))
        .title_case_headers(title_case);
    let service = router.into_make_service();
    let refusing = Refusing {
        scripted: scripted.clone(),
        inner: axum_server::accept::DefaultAcceptor,
    };
    match tls {
        None => {
            tokio::spawn(server.acceptor(refusing).serve(service));
        }
        Some(config) => {
            let acceptor =
                RustlsAcceptor::new(RustlsConfig::from_config(config)).acceptor(refusing);
            tokio::spawn(server.acceptor(acceptor).serve(service));
        }
    }
    Ok(Served { addr, handle })
}

/// Answers one request: records it, then plays the next scripted answer.
async fn answer(State(scripted): State<Arc<Scripted>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_string();
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = to_bytes(body, MAX_REQUEST_BYTES)
        .await
        .unwrap_or_default()
        .to_vec();
    let request_json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let (index, answer) = scripted.arrive(SentRequest {
        method: parts.method.as_str().to_string(),
        path: path.clone(),
        headers,
        body,
    });
    let script = &scripted.script;
    if answer.held || answer.never {
        let mut watch = GiveUpWatch {
            scripted: scripted.clone(),
            index,
            armed: true,
        };
        tokio::time::sleep(script.hold).await;
        watch.armed = false;
    }
    if answer.never {
        // The headers promise a body that never comes: the server closes
        // the connection after the headers, with no answer to read.
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::OK;
        response
            .headers_mut()
            .insert("content-length", HeaderValue::from_static("64"));
        return response;
    }
    if answer.transport == Transport::CutOff {
        scripted.answered(index);
        return cut_off(&script.cancel_time);
    }
    let code = answer.result_code();
    let mut body = json!({"result": {
        "resultCode": code,
        "resultStatus": answer.status.as_str(),
        "resultMessage": code,
    }});
    if answer.status == Status::S {
        let id = |key: &str, fallback: &str| {
            request_json
                .get(key)
                .and_then(Value::as_str)
                .unwrap_or(fallback)
                .to_string()
        };
        body["paymentId"] = json!(id("paymentId", &script.payment_id));
        body["paymentRequestId"] = json!(id("paymentRequestId", &script.payment_request_id));
        body["cancelTime"] = json!(script.cancel_time);
    }
    // Pretty-printed: a client that re-serialises the body before it
    // verifies the signature gets other bytes, as with a real provider
    // whose layout it cannot predict.
    let bytes = serde_json::to_vec_pretty(&body).unwrap_or_default();
    let signer = Signer {
        provider_key: &script.provider_key,
        merchant_key: &script.merchant_key,
        client_id: &script.client_id,
        time_header: RESPONSE_TIME,
    };
    let headers = signer.headers(&path, &bytes, answer.signature, answer.header);
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = answer
        .http_status
        .and_then(|code| StatusCode::from_u16(code).ok())
        .unwrap_or(StatusCode::OK);
    let map = response.headers_mut();
    map.insert(
        "content-type",
        HeaderValue::from_static("application/json; charset=UTF-8"),
    );
    // One request per connection: every attempt opens its own, so that a
    // connection the script refuses is one attempt of the client's.
    map.insert("connection", HeaderValue::from_static("close"));
    if !answer.held {
        scripted.answered(index);
    }
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            map.insert(name, value);
        }
    }
    response
}

/// An S answer broken off half-way: the status line, the headers and half
/// the body, then the body fails, which makes the server drop the
/// connection (chunked: the client cannot tell the length in advance, and
/// the server claims no length it does not send).
fn cut_off(cancel_time: &str) -> Response {
    let whole = json!({"result": {"resultCode": "SUCCESS", "resultStatus": "S",
        "resultMessage": "success"}, "cancelTime": cancel_time})
    .to_string();
    let half = whole.as_bytes()[..whole.len() / 2].to_vec();
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = vec![
        Ok(half),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "cut off by the script",
        )),
    ];
    let mut response = Response::new(Body::from_stream(futures_util::stream::iter(chunks)));
    *response.status_mut() = StatusCode::OK;
    response.headers_mut().insert(
        "content-type",
        HeaderValue::from_static("application/json; charset=UTF-8"),
    );
    response
}

/// Makes the signature headers of an answer or a notification, in every
/// way the provider may (or, on purpose, must not) sign.
pub struct Signer<'a> {
    pub provider_key: &'a SigningKey,
    pub merchant_key: &'a SigningKey,
    pub client_id: &'a str,
    /// `response-time` for answers, `request-time` for notifications.
    pub time_header: &'a str,
}

impl Signer<'_> {
    /// The headers `client-id`, the time header and `signature` (names as
    /// `style` spells them), for `body` sent on `path`.
    pub fn headers(
        &self,
        path: &str,
        body: &[u8],
        signing: AnswerSignature,
        style: HeaderStyle,
    ) -> Vec<(String, String)> {
        let now = time::OffsetDateTime::now_utc();
        let format = |at: time::OffsetDateTime| {
            at.format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default()
        };
        let time = format(now);
        let client_id = if signing == AnswerSignature::OtherClient {
            OTHER_CLIENT_ID
        } else {
            self.client_id
        };
        let other_path = if path.contains("/ams/sandbox/api") {
            path.replacen("/ams/sandbox/api", "/ams/api", 1)
        } else if path.contains("/ams/api") {
            path.replacen("/ams/api", "/ams/sandbox/api", 1)
        } else {
            // A notification: the path of another kind of notification.
            "/notify/refund".to_string()
        };
        let signed_path = if signing == AnswerSignature::OtherPath {
            other_path.as_str()
        } else {
            path
        };
        let signed_time = if signing == AnswerSignature::StaleResponseTime {
            format(now - time::Duration::days(1))
        } else {
            time.clone()
        };
        let mut signed_body = body.to_vec();
        if signing == AnswerSignature::Bad {
            signed_body.extend_from_slice(b" ");
        }
        let key = if signing == AnswerSignature::WrongKey {
            self.merchant_key
        } else {
            self.provider_key
        };
        let signature = SignedContent::post(signed_path, client_id, &signed_time, &signed_body)
            .sign(key, test_keys::KEY_VERSION)
            .map(|value| restyle(&value, style))
            .unwrap_or_default();
        let name = |lower: &str| {
            if style == HeaderStyle::TitleCaseNames {
                title_case(lower)
            } else {
                lower.to_string()
            }
        };
        let mut headers = Vec::new();
        if signing != AnswerSignature::NoClientId {
            headers.push((name(CLIENT_ID), client_id.to_string()));
        }
        if !matches!(
            signing,
            AnswerSignature::Unsigned | AnswerSignature::NoResponseTime
        ) {
            headers.push((name(self.time_header), time));
        }
        if !matches!(
            signing,
            AnswerSignature::Unsigned | AnswerSignature::Missing
        ) {
            headers.push((name(SIGNATURE), signature));
        }
        headers
    }
}

/// `request-time` → `Request-Time`.
fn title_case(lower: &str) -> String {
    lower
        .split('-')
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// A Signature header value as formatted, spelled in `style`.
fn restyle(value: &str, style: HeaderStyle) -> String {
    match style {
        HeaderStyle::Plain | HeaderStyle::TitleCaseNames => value.to_string(),
        HeaderStyle::SpacesAfterCommas => value.replace(',', ", "),
        HeaderStyle::LowercaseEscapes => {
            let mut out = String::with_capacity(value.len());
            let mut rest = value;
            while let Some(at) = rest.find('%') {
                out.push_str(&rest[..at]);
                let escape = rest.get(at..at + 3).unwrap_or(&rest[at..]);
                out.push_str(&escape.to_ascii_lowercase());
                rest = &rest[at + escape.len()..];
            }
            out.push_str(rest);
            out
        }
        HeaderStyle::Reordered => {
            let mut pairs: Vec<&str> = value.split(',').collect();
            pairs.reverse();
            pairs.join(",")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signing::{SignatureHeader, test_keys};

    #[test]
    fn every_style_is_one_a_tolerant_parser_reads_to_the_same_signature() {
        let key = test_keys::provider_signing();
        let plain = SignedContent::post("/p", "C", "t", b"{}")
            .sign(&key, test_keys::KEY_VERSION)
            .expect("signs");
        let want = SignatureHeader::parse(&plain).expect("parses");
        for style in [
            HeaderStyle::SpacesAfterCommas,
            HeaderStyle::LowercaseEscapes,
            HeaderStyle::Reordered,
        ] {
            let styled = restyle(&plain, style);
            assert_ne!(styled, plain, "{style:?} changes the spelling");
            assert_eq!(
                SignatureHeader::parse(&styled).expect("parses"),
                want,
                "{style:?}"
            );
        }
        let lower = restyle(&plain, HeaderStyle::LowercaseEscapes);
        assert!(
            ["%2b", "%2f", "%3d"]
                .iter()
                .any(|escape| lower.contains(escape))
        );
        assert_eq!(title_case("response-time"), "Response-Time");
    }
}
