//! The control plane under `/control/v1`: how the suite seeds payments, makes
//! outside events happen, moves a payment's clock, scripts faults and reads
//! the requests a client sent. Plain JSON in camelCase, never signed; it is
//! not part of the provider's API, so its errors are HTTP 4xx with
//! `{"error": "..."}` rather than result objects.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use percent_encoding::percent_decode_str;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::Shared;
use super::body::{BodyError, read_limited};
use super::clock::wire_time;
use super::config::{CONTROL_TOKEN_SCHEME, DEFAULT_CLIENT_ID};
use super::request_log::LoggedRequest;
use super::store::{
    Fault, MAX_SEED_COUNT, MAX_STORED_PAYMENTS, Seed, SeedTimes, StoreError, UnknownCode,
};
use crate::domain::{Event, FaultKind, Method, PaymentState};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Where the control plane lives.
pub const PREFIX: &str = "/control/v1";

/// The longest a `delay` fault may hold an answer.
pub const MAX_DELAY: Duration = Duration::from_secs(60);
/// Used when a `delay` fault names no `delayMs`.
pub const DEFAULT_DELAY: Duration = Duration::from_secs(1);
/// The longest owner client id accepted when seeding.
const MAX_OWNER_LEN: usize = 256;

pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/control/v1/payments", post(seed))
        .route("/control/v1/payments/{payment_id}", get(show))
        .route("/control/v1/payments/{payment_id}/events", post(event))
        .route("/control/v1/payments/{payment_id}/advance", post(advance))
        .route("/control/v1/payments/{payment_id}/faults", post(fault))
        .route("/control/v1/requests", get(requests))
        .route("/control/{*rest}", any(no_such_endpoint))
        .method_not_allowed_fallback(method_not_allowed)
}

/// Lets a control-plane call through only with the server's token, when it
/// has one. Every path under `/control` is covered, unknown ones included,
/// so that a caller without the token learns nothing about the plane.
pub async fn require_token(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: axum::middleware::Next,
) -> Response {
    if let Some(token) = &shared.config.control_token {
        let admitted = request
            .headers()
            .get(axum::http::header::AUTHORIZATION)
            .is_some_and(|value| token.admits(value.as_bytes()));
        if !admitted {
            return ControlRejection::Unauthorized.into_response();
        }
    }
    next.run(request).await
}

/// Why the control plane rejects a request; rendered in one place. (A
/// runner's failed control call is the suite's `ControlError`.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ControlRejection {
    BadRequest(String),
    UnknownPayment(String),
    NoSuchEndpoint,
    MethodNotAllowed,
    /// The server has a control token and the call did not carry it.
    Unauthorized,
    /// The store holds its most payments ([`MAX_STORED_PAYMENTS`]).
    Full,
}

impl IntoResponse for ControlRejection {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            ControlRejection::BadRequest(message) => (StatusCode::BAD_REQUEST, message),
            ControlRejection::Full => (
                StatusCode::INSUFFICIENT_STORAGE,
                format!(
                    "the server holds at most {MAX_STORED_PAYMENTS} payments in all and this seed \
                     would pass that; restart it to seed more"
                ),
            ),
            ControlRejection::UnknownPayment(id) => (
                StatusCode::NOT_FOUND,
                format!("no payment with paymentId {id:?}"),
            ),
            ControlRejection::NoSuchEndpoint => (
                StatusCode::NOT_FOUND,
                format!("no such control endpoint; the control plane lives under {PREFIX}"),
            ),
            ControlRejection::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "this control endpoint does not take that method".to_string(),
            ),
            ControlRejection::Unauthorized => {
                let message = format!(
                    "this control plane needs its token: send `Authorization: \
                     {CONTROL_TOKEN_SCHEME} <token>` with the token the server was started with"
                );
                return (
                    StatusCode::UNAUTHORIZED,
                    [(axum::http::header::WWW_AUTHENTICATE, CONTROL_TOKEN_SCHEME)],
                    Json(json!({ "error": message })),
                )
                    .into_response();
            }
        };
        (status, Json(json!({ "error": message }))).into_response()
    }
}

fn store_error(error: StoreError, payment_id: &str) -> ControlRejection {
    match error {
        StoreError::UnknownPayment => ControlRejection::UnknownPayment(payment_id.to_string()),
        StoreError::ClockShiftTooLarge => ControlRejection::BadRequest(format!(
            "a payment's age and clock moves are limited to {} days",
            super::store::MAX_CLOCK_SHIFT.as_secs() / 86_400
        )),
        StoreError::BadCount => {
            ControlRejection::BadRequest(format!("count must be 1 to {MAX_SEED_COUNT}"))
        }
        StoreError::InTheFuture => ControlRejection::BadRequest(
            "paidAt / createdAt is after what the payment's clock reads".to_string(),
        ),
        StoreError::Full => ControlRejection::Full,
    }
}

type Reply<T> = Result<Json<T>, ControlRejection>;

/// Reads a JSON body within the server's body limit; unknown fields are
/// errors so that a typo in a case never passes silently.
async fn json_body<T: DeserializeOwned>(
    shared: &Shared,
    request: Request,
) -> Result<T, ControlRejection> {
    let (parts, body) = request.into_parts();
    let config = &shared.config;
    let bytes = read_limited(
        &parts.headers,
        body,
        config.max_body_bytes,
        config.body_read_timeout,
    )
    .await
    .map_err(|error| {
        ControlRejection::BadRequest(match error {
            BodyError::TooLarge { limit } => format!("the body is larger than {limit} bytes"),
            BodyError::Interrupted | BodyError::TimedOut => {
                "the body did not arrive completely or in time".to_string()
            }
        })
    })?;
    serde_json::from_slice(&bytes)
        .map_err(|error| ControlRejection::BadRequest(format!("invalid body: {error}")))
}

fn payment_id(path: Result<Path<String>, PathRejection>) -> Result<String, ControlRejection> {
    path.map(|Path(id)| id)
        .map_err(|rejection| ControlRejection::BadRequest(rejection.body_text()))
}

// ----- POST /control/v1/payments

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SeedBody {
    state: PaymentState,
    #[serde(default)]
    method: Method,
    #[serde(default)]
    age_ms: Option<u64>,
    #[serde(default)]
    owner: Option<String>,
    /// Control plane 1.1: what the payment's clock reads at seeding.
    #[serde(default)]
    clock: Option<String>,
    /// Control plane 1.1: when the buyer paid, on the payment's clock.
    #[serde(default)]
    paid_at: Option<String>,
    /// Control plane 1.1: when the order was created, on the payment's clock.
    #[serde(default)]
    created_at: Option<String>,
    /// The bulk form: this many payments alike, for benchmarks.
    #[serde(default)]
    count: Option<u64>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SeededPayment {
    payment_id: String,
    payment_request_id: String,
}

/// The answer to either form: one payment's ids, or (with `count`) how many
/// were made and the ids of the first and the last; the ids in between
/// follow from those (INTERPRETING.md §5).
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum Seeded {
    One(SeededPayment),
    Many {
        count: u64,
        first: SeededPayment,
        last: SeededPayment,
    },
}

impl From<crate::domain::PaymentIds> for SeededPayment {
    fn from(ids: crate::domain::PaymentIds) -> Self {
        SeededPayment {
            payment_id: ids.payment_id,
            payment_request_id: ids.payment_request_id,
        }
    }
}

async fn seed(State(shared): State<Arc<Shared>>, request: Request) -> Reply<Seeded> {
    let body: SeedBody = json_body(&shared, request).await?;
    let profile = shared.config.profile;
    if !super::store::profile::has_method(profile, body.method) {
        return Err(ControlRejection::BadRequest(format!(
            "method `{}` exists under the antom profile only; this server plays profile {profile} (serve --profile antom)",
            body.method.as_str()
        )));
    }
    let times = seed_times(&body)?;
    let owner = body.owner.unwrap_or_else(|| DEFAULT_CLIENT_ID.to_string());
    if owner.is_empty() || owner.len() > MAX_OWNER_LEN {
        return Err(ControlRejection::BadRequest(format!(
            "owner must be a client id of 1 to {MAX_OWNER_LEN} bytes"
        )));
    }
    let seed = Seed {
        state: body.state,
        method: body.method,
        age: Duration::from_millis(body.age_ms.unwrap_or(0)),
        owner,
    };
    let seeded = match body.count {
        None => {
            let (first, _) = shared
                .store
                .seed_many_at(seed, 1, times)
                .map_err(|error| store_error(error, ""))?;
            Seeded::One(first.into())
        }
        Some(count) => {
            let (first, last) = shared
                .store
                .seed_many_at(seed, count, times)
                .map_err(|error| store_error(error, ""))?;
            Seeded::Many {
                count,
                first: first.into(),
                last: last.into(),
            }
        }
    };
    Ok(Json(seeded))
}

/// The instants of a 1.1 seed, checked against its state: `paidAt` only
/// for a payment that was paid, `createdAt` for any payment but a
/// cancelled one (for a paid payment, no later than `paidAt`; windows count
/// from it under the antom profile), and neither beside `ageMs`.
fn seed_times(body: &SeedBody) -> Result<SeedTimes, ControlRejection> {
    let instant = |name: &str, text: &Option<String>| {
        text.as_deref()
            .map(|text| {
                OffsetDateTime::parse(text, &Rfc3339).map_err(|_| {
                    ControlRejection::BadRequest(format!(
                        "{name} must be an RFC 3339 time with an offset, not {text:?}"
                    ))
                })
            })
            .transpose()
    };
    let clock = instant("clock", &body.clock)?;
    let paid_at = instant("paidAt", &body.paid_at)?;
    let created_at = instant("createdAt", &body.created_at)?;
    if body.age_ms.is_some() && (paid_at.is_some() || created_at.is_some()) {
        return Err(ControlRejection::BadRequest(
            "give either ageMs or paidAt / createdAt, not both".to_string(),
        ));
    }
    let paid_state = body.state.is_paid();
    if paid_at.is_some() && !paid_state {
        return Err(ControlRejection::BadRequest(format!(
            "paidAt applies only to a paid payment, not to one that is {}",
            body.state.as_str()
        )));
    }
    if created_at.is_some() && body.state == PaymentState::Cancelled {
        return Err(ControlRejection::BadRequest(
            "createdAt does not apply to a cancelled payment: give ageMs (its cancel time)"
                .to_string(),
        ));
    }
    if paid_state && created_at.is_some() && paid_at.is_none() {
        return Err(ControlRejection::BadRequest(
            "a paid payment seeded with createdAt needs paidAt too".to_string(),
        ));
    }
    if let (Some(created), Some(paid)) = (created_at, paid_at)
        && created > paid
    {
        return Err(ControlRejection::BadRequest(
            "createdAt is after paidAt".to_string(),
        ));
    }
    Ok(SeedTimes {
        clock,
        at: if paid_state { paid_at } else { created_at },
        created: created_at,
    })
}

// ----- GET /control/v1/payments/{paymentId}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct PaymentInfo {
    payment_id: String,
    payment_request_id: String,
    state: &'static str,
    method: &'static str,
    owner: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    cancel_time: Option<String>,
    /// Control plane 1.1: when the buyer paid, and what the payment's
    /// clock reads now.
    #[serde(skip_serializing_if = "Option::is_none")]
    paid_at: Option<String>,
    now: String,
}

async fn show(
    State(shared): State<Arc<Shared>>,
    path: Result<Path<String>, PathRejection>,
) -> Reply<PaymentInfo> {
    let id = payment_id(path)?;
    let view = shared
        .store
        .view(&id)
        .ok_or_else(|| ControlRejection::UnknownPayment(id.clone()))?;
    let payment = view.payment;
    Ok(Json(PaymentInfo {
        payment_id: payment.payment_id,
        payment_request_id: payment.payment_request_id,
        state: payment.state.as_str(),
        method: payment.method.as_str(),
        owner: payment.owner,
        cancel_time: payment.cancel_time.map(wire_time),
        paid_at: payment.paid_at.map(wire_time),
        now: wire_time(view.now),
    }))
}

// ----- POST /control/v1/payments/{paymentId}/events

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct EventBody {
    event: Event,
}

#[derive(Debug, Serialize)]
struct EventReply {
    applied: bool,
    state: &'static str,
}

async fn event(
    State(shared): State<Arc<Shared>>,
    path: Result<Path<String>, PathRejection>,
    request: Request,
) -> Reply<EventReply> {
    let id = payment_id(path)?;
    let body: EventBody = json_body(&shared, request).await?;
    let outcome = shared
        .store
        .apply_event(&id, body.event)
        .map_err(|error| store_error(error, &id))?;
    Ok(Json(EventReply {
        applied: outcome.applied,
        state: outcome.state.as_str(),
    }))
}

// ----- POST /control/v1/payments/{paymentId}/advance

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AdvanceBody {
    ms: u64,
}

async fn advance(
    State(shared): State<Arc<Shared>>,
    path: Result<Path<String>, PathRejection>,
    request: Request,
) -> Reply<serde_json::Value> {
    let id = payment_id(path)?;
    let body: AdvanceBody = json_body(&shared, request).await?;
    shared
        .store
        .advance(&id, Duration::from_millis(body.ms))
        .map_err(|error| store_error(error, &id))?;
    Ok(Json(json!({})))
}

// ----- POST /control/v1/payments/{paymentId}/faults

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FaultBody {
    kind: FaultKind,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    count: Option<u32>,
    #[serde(default)]
    delay_ms: Option<u64>,
}

impl FaultBody {
    /// Checks the fields against the kind: a field that the kind does not
    /// use is an error, because the case that sent it expects an effect it
    /// will not get.
    fn into_fault(self) -> Result<Fault, ControlRejection> {
        let count = self.count.unwrap_or(1);
        if count == 0 {
            return Err(ControlRejection::BadRequest(
                "count must be at least 1".to_string(),
            ));
        }
        if self.kind != FaultKind::Unknown && self.code.is_some() {
            return Err(ControlRejection::BadRequest(
                "code applies only to faults of kind unknown".to_string(),
            ));
        }
        if self.kind != FaultKind::Delay && self.delay_ms.is_some() {
            return Err(ControlRejection::BadRequest(
                "delayMs applies only to faults of kind delay".to_string(),
            ));
        }
        let code = match self.code.as_deref() {
            None => UnknownCode::default(),
            Some(text) => UnknownCode::parse(text).ok_or_else(|| {
                let allowed: Vec<&str> = UnknownCode::ALL.iter().map(|c| c.as_str()).collect();
                ControlRejection::BadRequest(format!(
                    "code {text:?} is not a U code; use one of {}",
                    allowed.join(", ")
                ))
            })?,
        };
        let delay = self.delay_ms.map_or(DEFAULT_DELAY, Duration::from_millis);
        if delay > MAX_DELAY {
            return Err(ControlRejection::BadRequest(format!(
                "delayMs is limited to {}",
                MAX_DELAY.as_millis()
            )));
        }
        Ok(Fault {
            kind: self.kind,
            code,
            delay,
            count,
        })
    }
}

async fn fault(
    State(shared): State<Arc<Shared>>,
    path: Result<Path<String>, PathRejection>,
    request: Request,
) -> Reply<serde_json::Value> {
    let id = payment_id(path)?;
    let body: FaultBody = json_body(&shared, request).await?;
    let fault = body.into_fault()?;
    shared
        .store
        .script_fault(&id, fault)
        .map_err(|error| store_error(error, &id))?;
    Ok(Json(json!({})))
}

// ----- GET /control/v1/requests?paymentId=...

async fn requests(
    State(shared): State<Arc<Shared>>,
    request: Request,
) -> Reply<Vec<LoggedRequest>> {
    let id = query_value(request.uri().query().unwrap_or_default(), "paymentId")
        .filter(|id| !id.is_empty())
        .ok_or_else(|| {
            ControlRejection::BadRequest("the query parameter paymentId is required".to_string())
        })?;
    let ids = shared
        .store
        .ids(&id)
        .ok_or_else(|| ControlRejection::UnknownPayment(id.clone()))?;
    Ok(Json(
        shared.log.naming(&ids.payment_id, &ids.payment_request_id),
    ))
}

/// The first value of `name` in a form-encoded query string.
fn query_value(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let decode = |text: &str| {
            percent_decode_str(&text.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        };
        (decode(key) == name).then(|| decode(value))
    })
}

async fn no_such_endpoint() -> ControlRejection {
    ControlRejection::NoSuchEndpoint
}

async fn method_not_allowed() -> ControlRejection {
    ControlRejection::MethodNotAllowed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_form_decoded() {
        assert_eq!(
            query_value("a=1&paymentId=P%201+2", "paymentId"),
            Some("P 1 2".into())
        );
        assert_eq!(query_value("paymentId", "paymentId"), Some(String::new()));
        assert_eq!(query_value("x=1", "paymentId"), None);
    }

    fn fault_body(text: &str) -> Result<Fault, ControlRejection> {
        serde_json::from_str::<FaultBody>(text)
            .map_err(|e| ControlRejection::BadRequest(e.to_string()))?
            .into_fault()
    }

    #[test]
    fn fault_bodies_are_checked_against_their_kind() {
        let unknown = fault_body(r#"{"kind":"unknown"}"#).unwrap();
        assert_eq!(
            (unknown.code, unknown.count),
            (UnknownCode::UnknownException, 1)
        );
        let traffic =
            fault_body(r#"{"kind":"unknown","code":"REQUEST_TRAFFIC_EXCEED_LIMIT","count":3}"#)
                .unwrap();
        assert_eq!(
            (traffic.code, traffic.count),
            (UnknownCode::RequestTrafficExceedLimit, 3)
        );
        assert_eq!(
            fault_body(r#"{"kind":"delay","delayMs":250}"#)
                .unwrap()
                .delay,
            Duration::from_millis(250)
        );
        for bad in [
            r#"{"kind":"unknown","code":"PROCESS_FAIL"}"#,
            r#"{"kind":"unknown","count":0}"#,
            r#"{"kind":"drop","code":"SYSTEM_ERROR"}"#,
            r#"{"kind":"unknown","delayMs":5}"#,
            r#"{"kind":"delay","delayMs":60001}"#,
            r#"{"kind":"explode"}"#,
            r#"{"kind":"drop","extra":1}"#,
        ] {
            assert!(
                matches!(fault_body(bad), Err(ControlRejection::BadRequest(_))),
                "{bad}"
            );
        }
    }
}
