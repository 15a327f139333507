//! The control plane under `/control/v1`: how the suite seeds payments, makes
//! outside events happen, moves a payment's clock, scripts faults and reads
//! the requests a client sent. Plain JSON in camelCase, never signed; it is
//! not part of the provider's API, so its errors are HTTP 4xx with
//! `{"error": "..."}` rather than result objects. The bodies and answers
//! are the contract's types ([`crate::spec::control_plane`]), which the
//! runner sends and reads too; seeding is in `seed`, faults in `fault`.

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

use super::Shared;
use super::body::{BodyError, read_limited};
use super::clock::wire_time;
use super::request_log::LoggedRequest;
use super::store::{MAX_SEED_COUNT, MAX_STORED_PAYMENTS, StoreError};
use crate::spec::control_plane::{
    AdvanceRequest, CONTROL_TOKEN_SCHEME, Done, ErrorAnswer, EventAnswer, EventRequest, PREFIX,
    PaymentInfo,
};

mod fault;
mod seed;

use fault::fault;
use seed::seed;

/// The endpoints under the contract's [`PREFIX`]; anything else under
/// `/control` is an unknown endpoint (never the API's NO_INTERFACE_DEF).
pub(super) fn routes() -> Router<Arc<Shared>> {
    let at = |path: &str| format!("{PREFIX}{path}");
    Router::new()
        .route(&at("/payments"), post(seed))
        .route(&at("/payments/{payment_id}"), get(show))
        .route(&at("/payments/{payment_id}/events"), post(event))
        .route(&at("/payments/{payment_id}/advance"), post(advance))
        .route(&at("/payments/{payment_id}/faults"), post(fault))
        .route(&at("/requests"), get(requests))
        .route("/control/{*rest}", any(no_such_endpoint))
        .method_not_allowed_fallback(method_not_allowed)
}

/// Lets a control-plane call through only with the server's token, when it
/// has one. Every path under `/control` is covered, unknown ones included,
/// so that a caller without the token learns nothing about the plane.
pub(super) async fn require_token(
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
pub(super) enum ControlRejection {
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
                    Json(ErrorAnswer { error: message }),
                )
                    .into_response();
            }
        };
        (status, Json(ErrorAnswer { error: message })).into_response()
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

// ----- GET /control/v1/payments/{paymentId}

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
        state: payment.state.as_str().to_string(),
        method: payment.method.as_str().to_string(),
        owner: payment.owner,
        cancel_time: payment.cancel_time.map(wire_time),
        paid_at: payment.paid_at.map(wire_time),
        now: wire_time(view.now),
    }))
}

// ----- POST /control/v1/payments/{paymentId}/events

async fn event(
    State(shared): State<Arc<Shared>>,
    path: Result<Path<String>, PathRejection>,
    request: Request,
) -> Reply<EventAnswer> {
    let id = payment_id(path)?;
    let body: EventRequest = json_body(&shared, request).await?;
    let outcome = shared
        .store
        .apply_event(&id, body.event)
        .map_err(|error| store_error(error, &id))?;
    Ok(Json(EventAnswer {
        applied: outcome.applied,
        state: outcome.state.as_str().to_string(),
    }))
}

// ----- POST /control/v1/payments/{paymentId}/advance

async fn advance(
    State(shared): State<Arc<Shared>>,
    path: Result<Path<String>, PathRejection>,
    request: Request,
) -> Reply<Done> {
    let id = payment_id(path)?;
    let body: AdvanceRequest = json_body(&shared, request).await?;
    shared
        .store
        .advance(&id, Duration::from_millis(body.ms))
        .map_err(|error| store_error(error, &id))?;
    Ok(Json(Done {}))
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
}
