//! Concurrent cancels, repeats, captures and refunds on shared payments, over
//! HTTP against one reference server, then a check that every payment's
//! answers could have come from the operations running one at a time.
//!
//! # The invariant, and why it is sound
//!
//! Every payment starts `paid` (card). From there, each operation in the mix
//! either leaves `paid` or is a repeat:
//!
//! * a cancel on `paid` succeeds and moves the payment to `cancelled`, where
//!   every later cancel is S again (same `cancelTime`) and every capture or
//!   refund event is refused (`applied: false`, state `cancelled`);
//! * a capture or refund event on `paid` is applied and moves the payment to
//!   `capturing`, `captured`, `partly-refunded` or `fully-refunded`. None of
//!   these ever leads back to `paid` or on to `cancelled`, and a cancel in any
//!   of them is F (ORDER_STATUS_INVALID or PROCESS_FAIL).
//!
//! So if the store is atomic (the operations on a payment take effect in
//! some one-at-a-time order), the first operation in that order decides the
//! payment's branch for good, and exactly one of these holds:
//!
//! * **cancelled branch**: at least one cancel answered S; no event answered
//!   `applied: true`; every event reported state `cancelled`; every cancel
//!   answered S with one and the same `cancelTime`; the final state is
//!   `cancelled`;
//! * **moved-on branch**: no cancel answered S; at least one event answered
//!   `applied: true`; every cancel answered ORDER_STATUS_INVALID or
//!   PROCESS_FAIL; no event reported `cancelled`; the final state is the
//!   state reported by one of the applied events and is not `paid`.
//!
//! A store that checked a payment's state and changed it in two steps (a
//! lost update) breaks this: a cancel that read `paid` and an event that read
//! `paid` would both succeed, giving an S cancel *and* an applied event on
//! the same payment, and the final state would contradict one of them. Two
//! racing first cancels that each wrote their own time would give S answers
//! with different `cancelTime`s (when they straddle a second boundary) and
//! is caught by the same check.
//!
//! Over HTTP the check is probabilistic: a store whose check and update are
//! a millisecond apart fails it in most runs. Narrower gaps are the business
//! of the store's own unit test, which races threads on it directly.

mod server_support;

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::json;
use server_support::Harness;
use tokio::sync::{Barrier, Semaphore};

const PAYMENTS: usize = 20;
const OPS_PER_PAYMENT: usize = 50;
/// Requests in flight at once. Each payment's operations are released
/// together, so this many in flight means two payments raced at a time, 50
/// operations each; client and server sockets together stay well under
/// small descriptor limits (macOS defaults to 256).
const IN_FLIGHT: u32 = 100;

#[derive(Debug, Clone, Copy)]
enum Op {
    CancelByPaymentId,
    CancelByPaymentRequestId,
    Event(&'static str),
}

#[derive(Debug, Clone)]
enum Outcome {
    Cancel {
        status: String,
        code: String,
        cancel_time: Option<String>,
    },
    Event {
        event: &'static str,
        applied: bool,
        state: String,
    },
}

/// A fixed mix per payment, shuffled with a seeded generator. Events reach
/// the store sooner than cancels (no signature to check), so even payments
/// get mostly cancels and odd ones mostly events: both branches of the
/// invariant are then exercised in every run, not just by luck.
fn ops_for(payment: usize) -> Vec<Op> {
    let cancels = if payment.is_multiple_of(2) { 40 } else { 10 };
    let mut ops = Vec::with_capacity(OPS_PER_PAYMENT);
    for i in 0..OPS_PER_PAYMENT {
        ops.push(if i < cancels {
            [Op::CancelByPaymentId, Op::CancelByPaymentRequestId][i % 2]
        } else {
            Op::Event(
                [
                    "capture-started",
                    "captured",
                    "partly-refunded",
                    "fully-refunded",
                ][i % 4],
            )
        });
    }
    let mut seed = 0x9E37_79B9_7F4A_7C15_u64 ^ (payment as u64).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    for i in (1..ops.len()).rev() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let j = (seed % (i as u64 + 1)) as usize;
        ops.swap(i, j);
    }
    ops
}

fn state_after(event: &str) -> &'static str {
    match event {
        "capture-started" => "capturing",
        "captured" => "captured",
        "partly-refunded" => "partly-refunded",
        "fully-refunded" => "fully-refunded",
        other => panic!("not in the mix: {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_operations_on_shared_payments_stay_consistent() {
    let harness = Arc::new(Harness::start().await);
    let mut payments = Vec::with_capacity(PAYMENTS);
    for _ in 0..PAYMENTS {
        payments.push(
            harness
                .seed(json!({"state": "paid", "method": "card"}))
                .await,
        );
    }
    let plans: Vec<Vec<Op>> = (0..PAYMENTS).map(ops_for).collect();

    // One coordinator per payment releases all of that payment's operations
    // at once (a barrier), so they race on the store; the semaphore admits
    // whole payments, in order, so the barriers can always fill.
    let in_flight = Arc::new(Semaphore::new(IN_FLIGHT as usize));
    let mut coordinators = tokio::task::JoinSet::new();
    for (index, (payment_id, request_id)) in payments.iter().cloned().enumerate() {
        let permits = Arc::clone(&in_flight)
            .acquire_many_owned(OPS_PER_PAYMENT as u32)
            .await
            .expect("semaphore open");
        let plan = plans[index].clone();
        let harness = Arc::clone(&harness);
        coordinators.spawn(async move {
            let barrier = Arc::new(Barrier::new(plan.len()));
            let mut operations = tokio::task::JoinSet::new();
            for op in plan {
                let harness = Arc::clone(&harness);
                let barrier = Arc::clone(&barrier);
                let payment_id = payment_id.clone();
                let request_id = request_id.clone();
                operations.spawn(async move {
                    barrier.wait().await;
                    run(&harness, op, &payment_id, &request_id).await
                });
            }
            let mut outcomes = Vec::new();
            while let Some(joined) = operations.join_next().await {
                outcomes.push(joined.expect("no operation panicked"));
            }
            drop(permits);
            (index, outcomes)
        });
    }
    let mut outcomes: Vec<Vec<Outcome>> = vec![Vec::new(); PAYMENTS];
    while let Some(joined) = coordinators.join_next().await {
        let (index, done) = joined.expect("no coordinator panicked");
        outcomes[index] = done;
    }
    let total = PAYMENTS * OPS_PER_PAYMENT;
    assert_eq!(outcomes.iter().map(Vec::len).sum::<usize>(), total);

    let mut branches = BTreeSet::new();
    for (index, (payment_id, _)) in payments.iter().enumerate() {
        let final_state = harness.state_of(payment_id).await;
        let branch = check_payment(&outcomes[index], &final_state)
            .unwrap_or_else(|why| panic!("payment {payment_id}: {why}\n{:#?}", outcomes[index]));
        branches.insert(branch);
    }
    // Both branches are exercised (each payment's branch depends on which of
    // its shuffled operations lands first; all 20 landing alike is ~1e-6).
    assert_eq!(branches.len(), 2, "only {branches:?} was exercised");
}

async fn run(harness: &Harness, op: Op, payment_id: &str, request_id: &str) -> Outcome {
    match op {
        Op::CancelByPaymentId | Op::CancelByPaymentRequestId => {
            let body = match op {
                Op::CancelByPaymentId => json!({ "paymentId": payment_id }),
                _ => json!({ "paymentRequestId": request_id }),
            };
            let answer = harness.cancel(body).await;
            Outcome::Cancel {
                status: answer.status_letter().to_string(),
                code: answer.code().to_string(),
                cancel_time: answer.json["cancelTime"].as_str().map(str::to_string),
            }
        }
        Op::Event(event) => {
            let (applied, state) = harness.event(payment_id, event).await;
            Outcome::Event {
                event,
                applied,
                state,
            }
        }
    }
}

/// Checks one payment's answers against the invariant in the module doc;
/// returns which branch the payment took.
fn check_payment(outcomes: &[Outcome], final_state: &str) -> Result<&'static str, String> {
    let mut cancel_times = BTreeSet::new();
    let mut successes = 0;
    let mut applied_states = BTreeSet::new();
    let mut saw_cancelled_event = false;
    for outcome in outcomes {
        match outcome {
            Outcome::Cancel {
                status,
                code,
                cancel_time,
            } => match (status.as_str(), code.as_str()) {
                ("S", "SUCCESS") => {
                    successes += 1;
                    cancel_times.insert(cancel_time.clone().ok_or("S without cancelTime")?);
                }
                ("F", "ORDER_STATUS_INVALID" | "PROCESS_FAIL") => {
                    if cancel_time.is_some() {
                        return Err("an F answer carries a cancelTime".into());
                    }
                }
                other => return Err(format!("unexpected cancel answer {other:?}")),
            },
            Outcome::Event {
                event,
                applied,
                state,
            } => {
                if *applied {
                    if state != state_after(event) {
                        return Err(format!("{event} applied but reported state {state}"));
                    }
                    applied_states.insert(state.clone());
                }
                if state == "cancelled" {
                    saw_cancelled_event = true;
                }
            }
        }
    }

    if successes > 0 {
        if !applied_states.is_empty() {
            return Err(format!(
                "a cancel answered S and events were applied too ({applied_states:?})"
            ));
        }
        if successes
            != outcomes
                .iter()
                .filter(|o| matches!(o, Outcome::Cancel { .. }))
                .count()
        {
            return Err("in the cancelled branch every cancel answers S".into());
        }
        if cancel_times.len() != 1 {
            return Err(format!(
                "S answers disagree on cancelTime: {cancel_times:?}"
            ));
        }
        if final_state != "cancelled" {
            return Err(format!(
                "a cancel answered S but the final state is {final_state}"
            ));
        }
        if outcomes
            .iter()
            .any(|o| matches!(o, Outcome::Event { state, .. } if state != "cancelled"))
        {
            return Err("an event saw a state other than cancelled".into());
        }
        Ok("cancelled")
    } else {
        if applied_states.is_empty() {
            return Err("neither a cancel nor an event took effect".into());
        }
        if saw_cancelled_event {
            return Err("an event saw cancelled but no cancel answered S".into());
        }
        if !applied_states.contains(final_state) {
            return Err(format!(
                "final state {final_state} is none of the applied events' states {applied_states:?}"
            ));
        }
        Ok("moved on")
    }
}

#[test]
fn the_check_rejects_contradictory_histories() {
    let s = |time: &str| Outcome::Cancel {
        status: "S".into(),
        code: "SUCCESS".into(),
        cancel_time: Some(time.into()),
    };
    let f = || Outcome::Cancel {
        status: "F".into(),
        code: "PROCESS_FAIL".into(),
        cancel_time: None,
    };
    let event = |event: &'static str, applied: bool, state: &str| Outcome::Event {
        event,
        applied,
        state: state.into(),
    };
    let t = "2026-11-26T12:00:00+08:00";
    // Consistent histories pass.
    assert_eq!(
        check_payment(
            &[s(t), event("captured", false, "cancelled"), s(t)],
            "cancelled"
        ),
        Ok("cancelled")
    );
    assert_eq!(
        check_payment(
            &[event("partly-refunded", true, "partly-refunded"), f()],
            "partly-refunded"
        ),
        Ok("moved on")
    );
    // A lost update: both took effect.
    assert!(
        check_payment(
            &[s(t), event("partly-refunded", true, "partly-refunded")],
            "cancelled"
        )
        .is_err()
    );
    // Two first cancels that each wrote a time.
    assert!(check_payment(&[s(t), s("2026-11-26T12:00:01+08:00")], "cancelled").is_err());
    // An S whose effect was overwritten.
    assert!(check_payment(&[s(t)], "captured").is_err());
    // An S next to an F on the same payment.
    assert!(check_payment(&[s(t), f()], "cancelled").is_err());
}
