//! Tests of `crate::server::store`, beside it: the rules of one payment's
//! life (`lifecycle`: cancel rules, windows, events, inquiry status) and the
//! store's calls (`calls`: lookup, ownership, faults, seeding, races). The
//! fixtures both use are here.

use super::*;
use crate::spec::api::{MAX_ID_LEN, PaymentStatus};
use std::sync::Arc;
use time::macros::datetime;

const T0: OffsetDateTime = datetime!(2024-03-05 10:00:00 +08:00);
const OWNER: &str = "OWNER";
const DAY: Duration = Duration::from_secs(24 * 60 * 60);
const MS: Duration = Duration::from_millis(1);

/// A payment's lifecycle as a fixture of `state` starts it: paid at T0
/// unless never paid, cancelled at T0 when cancelled.
fn payment(state: PaymentState, method: Method) -> Lifecycle {
    let paid = state.is_paid();
    Lifecycle {
        method,
        state,
        paid_at: paid.then_some(T0),
        cancel_time: (state == PaymentState::Cancelled).then_some(T0),
        created_at: None,
    }
}

fn store_at(instant: OffsetDateTime) -> Store {
    Store::with_clock(Windows::default(), Clock::from_fn(move || instant))
}

fn seed(store: &Store, state: PaymentState, method: Method, age: Duration) -> PaymentIds {
    store
        .seed(Seed {
            state,
            method,
            age,
            owner: OWNER.into(),
        })
        .expect("age is within bounds")
}

fn cancel(store: &Store, ids: &PaymentIds) -> CallOutcome {
    store.call(OWNER, Lookup::PaymentId(&ids.payment_id), Operation::Cancel)
}

fn cancel_outcome(store: &Store, ids: &PaymentIds) -> CancelEffect {
    match cancel(store, ids) {
        CallOutcome::Done {
            result: CallResult::Cancel { outcome, .. },
            ..
        } => outcome,
        other => panic!("expected a carried-out cancel, got {other:?}"),
    }
}

fn is_cancelled(outcome: CancelEffect) -> bool {
    matches!(outcome, CancelEffect::Cancelled { .. })
}

mod calls;
mod lifecycle;
