//! `POST /control/v1/payments/{paymentId}/faults`: scripting a fault on a
//! payment's next calls, its fields checked against its kind.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Request, State};

use super::super::Shared;
use super::super::store::{Fault, UnknownCode};
use super::{ControlRejection, Reply, json_body, payment_id, store_error};
use crate::domain::FaultKind;
use crate::spec::control_plane::{Done, FaultRequest};

/// The longest a `delay` fault may hold an answer.
pub(super) const MAX_DELAY: Duration = Duration::from_secs(60);
/// Used when a `delay` fault names no `delayMs`.
pub(super) const DEFAULT_DELAY: Duration = Duration::from_secs(1);

/// Checks the fields against the kind: a field that the kind does not use
/// is an error, because the case that sent it expects an effect it will not
/// get.
fn fault_of(request: FaultRequest) -> Result<Fault, ControlRejection> {
    let count = request.count.unwrap_or(1);
    if count == 0 {
        return Err(ControlRejection::BadRequest(
            "count must be at least 1".to_string(),
        ));
    }
    if request.kind != FaultKind::Unknown && request.code.is_some() {
        return Err(ControlRejection::BadRequest(
            "code applies only to faults of kind unknown".to_string(),
        ));
    }
    if request.kind != FaultKind::Delay && request.delay_ms.is_some() {
        return Err(ControlRejection::BadRequest(
            "delayMs applies only to faults of kind delay".to_string(),
        ));
    }
    let code = match request.code.as_deref() {
        None => UnknownCode::default(),
        Some(text) => UnknownCode::parse(text).ok_or_else(|| {
            let allowed: Vec<&str> = UnknownCode::ALL.iter().map(|c| c.as_str()).collect();
            ControlRejection::BadRequest(format!(
                "code {text:?} is not a U code; use one of {}",
                allowed.join(", ")
            ))
        })?,
    };
    let delay = request
        .delay_ms
        .map_or(DEFAULT_DELAY, Duration::from_millis);
    if delay > MAX_DELAY {
        return Err(ControlRejection::BadRequest(format!(
            "delayMs is limited to {}",
            MAX_DELAY.as_millis()
        )));
    }
    Ok(Fault {
        kind: request.kind,
        code,
        delay,
        count,
    })
}

pub(super) async fn fault(
    State(shared): State<Arc<Shared>>,
    path: Result<Path<String>, PathRejection>,
    request: Request,
) -> Reply<Done> {
    let id = payment_id(path)?;
    let body: FaultRequest = json_body(&shared, request).await?;
    let fault = fault_of(body)?;
    shared
        .store
        .script_fault(&id, fault)
        .map_err(|error| store_error(error, &id))?;
    Ok(Json(Done {}))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fault_body(text: &str) -> Result<Fault, ControlRejection> {
        fault_of(
            serde_json::from_str::<FaultRequest>(text)
                .map_err(|e| ControlRejection::BadRequest(e.to_string()))?,
        )
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
