//! `POST /control/v1/payments`: seeding a payment, or many alike, in a
//! state, optionally at absolute times on its own clock (control plane
//! 1.1), each checked against the state.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::{Request, State};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::super::Shared;
use super::super::store::{Seed, SeedTimes};
use super::{ControlRejection, Reply, json_body, store_error};
use crate::domain::PaymentState;
use crate::spec::control_plane::{DEFAULT_CLIENT_ID, SeedRequest, Seeded};

/// The longest owner client id accepted when seeding.
const MAX_OWNER_LEN: usize = 256;

pub(super) async fn seed(State(shared): State<Arc<Shared>>, request: Request) -> Reply<Seeded> {
    let body: SeedRequest = json_body(&shared, request).await?;
    let profile = shared.config.profile;
    if !super::super::store::profile::has_method(profile, body.method) {
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
fn seed_times(body: &SeedRequest) -> Result<SeedTimes, ControlRejection> {
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
