//! The store's calls: lookup by either id, ownership, scripted faults,
//! seeding one payment or many, and calls that race.

use super::*;

// ----- lookup, ownership, faults

#[test]
fn lookup_by_either_id_and_unknown_ids() {
    let store = store_at(T0);
    let ids = seed(&store, PaymentState::Paid, Method::Wallet, Duration::ZERO);
    let by_request = store.call(
        OWNER,
        Lookup::PaymentRequestId(&ids.payment_request_id),
        Operation::Inquiry,
    );
    assert!(matches!(by_request, CallOutcome::Done { .. }));
    // The ids are not interchangeable.
    assert_eq!(
        store.call(
            OWNER,
            Lookup::PaymentId(&ids.payment_request_id),
            Operation::Cancel
        ),
        CallOutcome::NotFound
    );
    assert_eq!(
        store.call(
            OWNER,
            Lookup::PaymentRequestId(&ids.payment_id),
            Operation::Cancel
        ),
        CallOutcome::NotFound
    );
}

#[test]
fn other_clients_are_denied_and_change_nothing() {
    let store = store_at(T0);
    let ids = seed(&store, PaymentState::Paid, Method::Wallet, Duration::ZERO);
    store
        .script_fault(
            &ids.payment_id,
            Fault {
                kind: FaultKind::Unknown,
                code: UnknownCode::SystemError,
                delay: Duration::ZERO,
                count: 1,
            },
        )
        .unwrap();
    assert_eq!(
        store.call(
            "SOMEONE_ELSE",
            Lookup::PaymentId(&ids.payment_id),
            Operation::Cancel
        ),
        CallOutcome::AccessDenied
    );
    assert_eq!(
        store.view(&ids.payment_id).unwrap().payment.state,
        PaymentState::Paid
    );
    // The denied call did not reach the business step, so the fault is
    // still there for the owner.
    assert_eq!(
        cancel(&store, &ids),
        CallOutcome::Unknown(UnknownCode::SystemError)
    );
}

#[test]
fn unknown_fault_changes_nothing_and_is_used_up() {
    let store = store_at(T0);
    let ids = seed(&store, PaymentState::Paid, Method::Wallet, Duration::ZERO);
    store
        .script_fault(
            &ids.payment_id,
            Fault {
                kind: FaultKind::Unknown,
                code: UnknownCode::RequestTrafficExceedLimit,
                delay: Duration::ZERO,
                count: 2,
            },
        )
        .unwrap();
    for _ in 0..2 {
        assert_eq!(
            cancel(&store, &ids),
            CallOutcome::Unknown(UnknownCode::RequestTrafficExceedLimit)
        );
        assert_eq!(
            store.view(&ids.payment_id).unwrap().payment.state,
            PaymentState::Paid
        );
    }
    assert!(is_cancelled(cancel_outcome(&store, &ids)));
}

#[test]
fn delay_and_drop_faults_carry_out_the_call() {
    let store = store_at(T0);
    let ids = seed(&store, PaymentState::Paid, Method::Wallet, Duration::ZERO);
    for kind in [FaultKind::Delay, FaultKind::Drop] {
        store
            .script_fault(
                &ids.payment_id,
                Fault {
                    kind,
                    code: UnknownCode::default(),
                    delay: Duration::from_millis(250),
                    count: 1,
                },
            )
            .unwrap();
    }
    let CallOutcome::Done { delivery, .. } = cancel(&store, &ids) else {
        panic!("delay carries out the call");
    };
    assert_eq!(delivery, Delivery::After(Duration::from_millis(250)));
    assert_eq!(
        store.view(&ids.payment_id).unwrap().payment.state,
        PaymentState::Cancelled
    );
    let CallOutcome::Done { delivery, .. } = cancel(&store, &ids) else {
        panic!("drop carries out the call");
    };
    assert_eq!(delivery, Delivery::Drop);
    let CallOutcome::Done { delivery, .. } = cancel(&store, &ids) else {
        panic!("no fault left");
    };
    assert_eq!(delivery, Delivery::Now);
}

#[test]
fn unknown_codes_round_trip() {
    for code in UnknownCode::ALL {
        assert_eq!(UnknownCode::parse(code.as_str()), Some(code));
    }
    assert_eq!(UnknownCode::parse("PROCESS_FAIL"), None);
}

// ----- seeding

#[test]
fn seeding_gives_fresh_ids_within_limits() {
    let store = store_at(T0);
    let a = seed(&store, PaymentState::Paid, Method::Card, Duration::ZERO);
    let b = seed(&store, PaymentState::Paid, Method::Card, Duration::ZERO);
    assert_ne!(a.payment_id, b.payment_id);
    assert_ne!(a.payment_request_id, b.payment_request_id);
    assert_eq!(a.payment_id, "2024030500000000000000001");
    assert!(a.payment_id.len() <= MAX_ID_LEN && a.payment_request_id.len() <= MAX_ID_LEN);
}

#[test]
fn bulk_seeds_are_consecutive_and_found_by_either_id() {
    let store = store_at(T0);
    let before = seed(&store, PaymentState::Paid, Method::Card, Duration::ZERO);
    let (first, last) = store
        .seed_many(
            Seed {
                state: PaymentState::Captured,
                method: Method::Card,
                age: Duration::ZERO,
                owner: OWNER.into(),
            },
            200,
        )
        .unwrap();
    assert_eq!(first.payment_id, "2024030500000000000000002");
    assert_eq!(
        first.payment_request_id,
        "PAY_REQ_20240305_00000000000000002"
    );
    assert_eq!(last.payment_id, "2024030500000000000000201");
    assert_eq!(
        last.payment_request_id,
        "PAY_REQ_20240305_00000000000000201"
    );
    for serial in 2..=201u64 {
        let payment_id = format!("20240305{serial:017}");
        let view = store.view(&payment_id).expect("seeded");
        assert_eq!(view.payment.state, PaymentState::Captured);
        assert_eq!(
            view.payment.payment_request_id,
            format!("PAY_REQ_20240305_{serial:017}")
        );
        let by_request = store.call(
            OWNER,
            Lookup::PaymentRequestId(&view.payment.payment_request_id),
            Operation::Inquiry,
        );
        assert!(matches!(by_request, CallOutcome::Done { .. }), "{serial}");
    }
    assert_eq!(
        store.view(&before.payment_id).unwrap().payment.state,
        PaymentState::Paid
    );
    let after = seed(&store, PaymentState::Paid, Method::Card, Duration::ZERO);
    assert_eq!(after.payment_id, "2024030500000000000000202");
}

#[test]
fn seed_counts_are_bounded() {
    let store = store_at(T0);
    let seed = || Seed {
        state: PaymentState::Paid,
        method: Method::Card,
        age: Duration::ZERO,
        owner: OWNER.into(),
    };
    assert_eq!(store.seed_many(seed(), 0), Err(StoreError::BadCount));
    assert_eq!(
        store.seed_many(seed(), MAX_SEED_COUNT + 1),
        Err(StoreError::BadCount)
    );
}

#[test]
fn the_store_s_total_of_payments_is_bounded_and_a_refused_seed_takes_nothing() {
    let store = store_at(T0).with_max_payments(10);
    let seed = || Seed {
        state: PaymentState::Paid,
        method: Method::Card,
        age: Duration::ZERO,
        owner: OWNER.into(),
    };
    assert!(store.seed_many(seed(), 8).is_ok());
    assert_eq!(store.seed_many(seed(), 3), Err(StoreError::Full));
    // The refused seed used up no serial number: two more still fit.
    let (first, last) = store.seed_many(seed(), 2).expect("two more fit");
    assert_eq!(first.payment_id, "2024030500000000000000009");
    assert_eq!(last.payment_id, "2024030500000000000000010");
    assert_eq!(store.seed_many(seed(), 1), Err(StoreError::Full));
    const { assert!(MAX_STORED_PAYMENTS >= MAX_SEED_COUNT) };
}

#[test]
fn ids_that_merely_look_alike_find_nothing() {
    let store = store_at(T0);
    let ids = seed(&store, PaymentState::Paid, Method::Card, Duration::ZERO);
    assert_eq!(ids.payment_id, "2024030500000000000000001");
    for payment_id in [
        "2024030600000000000000001",
        "2024030500000000000000000",
        "2024030500000000000000002",
        "02024030500000000000000001",
        "024030500000000000000001",
        " 2024030500000000000000001",
        "2024030500000000000000001 ",
        "+024030500000000000000001",
        "PAY_REQ_20240305_00000000000000001",
        "",
    ] {
        assert_eq!(
            store.call(OWNER, Lookup::PaymentId(payment_id), Operation::Cancel),
            CallOutcome::NotFound,
            "{payment_id:?}"
        );
        assert_eq!(store.view(payment_id), None, "{payment_id:?}");
    }
    for request_id in [
        "PAY_REQ_20240306_00000000000000001",
        "PAY_REQ_20240305_00000000000000002",
        "PAY_REQ_20240305-00000000000000001",
        "pay_req_20240305_00000000000000001",
        "PAY_REQ_20240305_000000000000000001",
        "PAY_REQ_2024030500000000000000001",
        "2024030500000000000000001",
    ] {
        assert_eq!(
            store.call(
                OWNER,
                Lookup::PaymentRequestId(request_id),
                Operation::Cancel
            ),
            CallOutcome::NotFound,
            "{request_id:?}"
        );
    }
    assert_eq!(
        store.view(&ids.payment_id).unwrap().payment.state,
        PaymentState::Paid,
        "nothing was cancelled"
    );
}

#[test]
fn seeded_states_carry_their_times() {
    let store = store_at(T0);
    let hour = Duration::from_secs(3600);
    let cancelled = seed(&store, PaymentState::Cancelled, Method::Wallet, hour);
    let view = store.view(&cancelled.payment_id).unwrap().payment;
    assert_eq!(view.cancel_time, Some(T0 - time::Duration::hours(1)));
    let captured = seed(&store, PaymentState::Captured, Method::Wallet, hour);
    let view = store.view(&captured.payment_id).unwrap().payment;
    assert_eq!(view.paid_at, Some(T0 - time::Duration::hours(1)));
    assert_eq!(view.state, PaymentState::Captured);
    let waiting = seed(&store, PaymentState::AwaitingBuyer, Method::Card, hour);
    assert_eq!(
        store.view(&waiting.payment_id).unwrap().payment.paid_at,
        None
    );
}

/// Threads race cancels against capture and refund events on the same
/// payments, without HTTP in between, so even a narrow check-then-act gap
/// in the store would show. From `paid`, whichever operation takes effect
/// first decides for good: either every cancel is S and no event applies,
/// or no cancel is S (see tests/server_concurrency.rs for the argument).
#[test]
fn racing_cancels_and_events_never_both_take_effect() {
    const PAYMENTS: usize = 2_000;
    const THREADS: usize = 8;
    let store = Arc::new(store_at(T0));
    let ids: Arc<Vec<PaymentIds>> = Arc::new(
        (0..PAYMENTS)
            .map(|_| seed(&store, PaymentState::Paid, Method::Card, Duration::ZERO))
            .collect(),
    );
    let barrier = Arc::new(std::sync::Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|thread| {
            let (store, ids, barrier) =
                (Arc::clone(&store), Arc::clone(&ids), Arc::clone(&barrier));
            std::thread::spawn(move || {
                barrier.wait();
                ids.iter()
                    .map(|ids| {
                        if thread % 2 == 0 {
                            is_cancelled(cancel_outcome(&store, ids))
                        } else {
                            let event = [
                                Event::Captured,
                                Event::PartlyRefunded,
                                Event::CaptureStarted,
                            ][thread % 3];
                            store
                                .apply_event(&ids.payment_id, event)
                                .expect("known")
                                .applied
                        }
                    })
                    .collect::<Vec<bool>>()
            })
        })
        .collect();
    let took_effect: Vec<Vec<bool>> = handles
        .into_iter()
        .map(|h| h.join().expect("no panic"))
        .collect();
    for (index, ids) in ids.iter().enumerate() {
        let cancels: Vec<bool> = (0..THREADS)
            .step_by(2)
            .map(|t| took_effect[t][index])
            .collect();
        let events: Vec<bool> = (1..THREADS)
            .step_by(2)
            .map(|t| took_effect[t][index])
            .collect();
        let state = store.view(&ids.payment_id).expect("known").payment.state;
        if cancels.iter().any(|&s| s) {
            assert!(cancels.iter().all(|&s| s), "{index}: S and F cancels mixed");
            assert!(
                events.iter().all(|&a| !a),
                "{index}: cancelled and moved on"
            );
            assert_eq!(state, PaymentState::Cancelled);
        } else {
            assert!(events.iter().any(|&a| a), "{index}: nothing took effect");
            assert_ne!(state, PaymentState::Cancelled);
        }
    }
}

#[test]
fn concurrent_cancels_share_one_cancel_time() {
    let moving = Arc::new(Mutex::new(T0));
    let clock_source = Arc::clone(&moving);
    let store = Arc::new(Store::with_clock(
        Windows::default(),
        Clock::from_fn(move || {
            let mut now = clock_source.lock().unwrap_or_else(|p| p.into_inner());
            *now += time::Duration::milliseconds(1500);
            *now
        }),
    ));
    let ids = seed(&store, PaymentState::Paid, Method::Card, Duration::ZERO);
    let handles: Vec<_> = (0..16)
        .map(|_| {
            let store = Arc::clone(&store);
            let ids = ids.clone();
            std::thread::spawn(move || cancel_outcome(&store, &ids))
        })
        .collect();
    let outcomes: Vec<CancelEffect> = handles
        .into_iter()
        .map(|h| h.join().expect("no panic"))
        .collect();
    let firsts = outcomes
        .iter()
        .filter(|o| matches!(o, CancelEffect::Cancelled { repeat: false, .. }))
        .count();
    assert_eq!(firsts, 1, "exactly one cancel is the first");
    let times: Vec<_> = outcomes
        .iter()
        .map(|o| match o {
            CancelEffect::Cancelled { cancel_time, .. } => *cancel_time,
            CancelEffect::Refused(r) => panic!("refused: {r:?}"),
        })
        .collect();
    assert!(times.windows(2).all(|w| w[0] == w[1]));
}
