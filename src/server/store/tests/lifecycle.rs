//! The rules of one payment's life, at exact instants: what a cancel
//! answers in each state, the windows at their boundaries, the outside
//! events, and the status an inquiry reports.

use super::*;

// ----- cancel rules, in their order

#[test]
fn repeat_cancel_is_success_with_the_original_time() {
    let mut p = payment(PaymentState::Paid, Method::Card);
    let first = p.cancel(T0 + time::Duration::minutes(5), &Windows::default());
    let later = T0 + time::Duration::days(30);
    let again = p.cancel(later, &Windows::default());
    let CancelEffect::Cancelled {
        cancel_time,
        repeat: false,
    } = first
    else {
        panic!("first cancel: {first:?}");
    };
    assert_eq!(
        again,
        CancelEffect::Cancelled {
            cancel_time,
            repeat: true
        }
    );
    assert_eq!(p.cancel_time, Some(cancel_time));
}

#[test]
fn seeded_cancelled_payment_repeats_its_seeded_time() {
    let mut p = payment(PaymentState::Cancelled, Method::Wallet);
    assert_eq!(
        p.cancel(T0 + time::Duration::days(400), &Windows::default()),
        CancelEffect::Cancelled {
            cancel_time: T0,
            repeat: true
        }
    );
}

#[test]
fn refunded_payments_are_process_fail_even_inside_the_window() {
    for state in [PaymentState::PartlyRefunded, PaymentState::FullyRefunded] {
        for method in [Method::Card, Method::Wallet] {
            let mut p = payment(state, method);
            assert_eq!(
                p.cancel(T0, &Windows::default()),
                CancelEffect::Refused(Refusal::Refunded)
            );
            assert_eq!(p.state, state, "a refused cancel changes nothing");
            assert_eq!(p.cancel_time, None);
        }
    }
}

#[test]
fn capture_in_progress_and_captured_are_status_invalid() {
    let mut capturing = payment(PaymentState::Capturing, Method::Card);
    assert_eq!(
        capturing.cancel(T0, &Windows::default()),
        CancelEffect::Refused(Refusal::CaptureInProgress)
    );
    assert_eq!(capturing.state, PaymentState::Capturing);
    for method in [Method::Card, Method::Wallet] {
        let mut captured = payment(PaymentState::Captured, method);
        assert_eq!(
            captured.cancel(T0, &Windows::default()),
            CancelEffect::Refused(Refusal::Captured)
        );
        assert_eq!(captured.state, PaymentState::Captured);
    }
}

#[test]
fn failed_payment_is_success_and_stays_failed_with_its_first_cancel_time() {
    let mut p = payment(PaymentState::Failed, Method::Card);
    assert_eq!(
        p.cancel(T0, &Windows::default()),
        CancelEffect::Cancelled {
            cancel_time: T0,
            repeat: false
        }
    );
    assert_eq!(p.state, PaymentState::Failed);
    assert_eq!(p.status(), PaymentStatus::Fail);
    let later = T0 + time::Duration::hours(2);
    assert_eq!(
        p.cancel(later, &Windows::default()),
        CancelEffect::Cancelled {
            cancel_time: T0,
            repeat: true
        }
    );
    assert_eq!(p.state, PaymentState::Failed);
}

#[test]
fn an_unpaid_payment_closes_as_failed_14_minutes_after_its_creation() {
    let lifetime = Windows::default().unpaid_lifetime;
    let mut p = Lifecycle {
        created_at: Some(T0),
        ..payment(PaymentState::AwaitingBuyer, Method::Wallet)
    };
    let closes = T0 + time::Duration::minutes(14);
    assert!(!p.expire(closes - time::Duration::MILLISECOND, lifetime));
    assert_eq!(p.state, PaymentState::AwaitingBuyer);
    assert!(p.expire(closes, lifetime));
    assert_eq!(p.state, PaymentState::Failed);
    assert_eq!(p.status(), PaymentStatus::Fail);
    // Paid before its end, a payment never closes.
    let mut paid = Lifecycle {
        created_at: Some(T0),
        paid_at: Some(T0),
        ..payment(PaymentState::Paid, Method::Wallet)
    };
    assert!(!paid.expire(closes + time::Duration::days(1), lifetime));
    assert_eq!(paid.state, PaymentState::Paid);
}

#[test]
fn an_unpaid_payment_closes_on_its_own_clock_in_the_store() {
    let store = store_at(T0);
    let ids = seed(
        &store,
        PaymentState::AwaitingBuyer,
        Method::Wallet,
        Duration::from_secs(13 * 60),
    );
    let status = |store: &Store| match store.call(
        OWNER,
        Lookup::PaymentId(&ids.payment_id),
        Operation::Inquiry,
    ) {
        CallOutcome::Done {
            result: CallResult::Inquiry { status, .. },
            ..
        } => status,
        other => panic!("inquiry: {other:?}"),
    };
    assert_eq!(status(&store), PaymentStatus::Processing);
    store
        .advance(&ids.payment_id, Duration::from_secs(60))
        .unwrap();
    assert_eq!(status(&store), PaymentStatus::Fail);
    // Closed, it cannot be paid any more; a cancel answers S and it stays FAIL.
    let outcome = store
        .apply_event(&ids.payment_id, Event::PaymentSuccess)
        .unwrap();
    assert!(!outcome.applied);
    assert!(is_cancelled(cancel_outcome(&store, &ids)));
    assert_eq!(status(&store), PaymentStatus::Fail);
}

#[test]
fn refund_wins_over_window_and_capture_wins_over_window() {
    let far = T0 + time::Duration::days(365);
    let mut refunded = payment(PaymentState::FullyRefunded, Method::Card);
    assert_eq!(
        refunded.cancel(far, &Windows::default()),
        CancelEffect::Refused(Refusal::Refunded)
    );
    let mut captured = payment(PaymentState::Captured, Method::Card);
    assert_eq!(
        captured.cancel(far, &Windows::default()),
        CancelEffect::Refused(Refusal::Captured)
    );
}

#[test]
fn paid_payment_in_window_is_cancelled_now() {
    let mut p = payment(PaymentState::Paid, Method::Wallet);
    let now = T0 + time::Duration::hours(1);
    assert_eq!(
        p.cancel(now, &Windows::default()),
        CancelEffect::Cancelled {
            cancel_time: now,
            repeat: false
        }
    );
    assert_eq!(p.state, PaymentState::Cancelled);
    assert_eq!(p.cancel_time, Some(now));
    assert_eq!(p.status(), PaymentStatus::Cancelled);
}

#[test]
fn awaiting_buyer_has_no_window() {
    // The rule alone: in the store an unpaid payment closes after 14
    // minutes (`expire`), well before any window could end.
    for method in [Method::Card, Method::Wallet] {
        let mut p = payment(PaymentState::AwaitingBuyer, method);
        let much_later = T0 + time::Duration::days(3650);
        assert!(is_cancelled(p.cancel(much_later, &Windows::default())));
        assert_eq!(p.state, PaymentState::Cancelled);
    }
}

// ----- windows at their boundaries, through the per-payment clock

#[test]
fn card_window_includes_exactly_seven_days_and_not_a_millisecond_more() {
    let store = store_at(T0);
    let on_time = seed(&store, PaymentState::Paid, Method::Card, Duration::ZERO);
    let late = seed(&store, PaymentState::Paid, Method::Card, Duration::ZERO);
    store.advance(&on_time.payment_id, 7 * DAY).unwrap();
    store.advance(&late.payment_id, 7 * DAY + MS).unwrap();
    assert_eq!(
        cancel_outcome(&store, &on_time),
        CancelEffect::Cancelled {
            cancel_time: T0 + time::Duration::days(7),
            repeat: false
        }
    );
    assert_eq!(
        cancel_outcome(&store, &late),
        CancelEffect::Refused(Refusal::WindowExceeded {
            deadline: T0 + time::Duration::days(7)
        })
    );
    assert_eq!(
        store.view(&late.payment_id).unwrap().payment.state,
        PaymentState::Paid
    );
}

#[test]
fn card_age_counts_like_clock_moves() {
    let store = store_at(T0);
    let old = seed(&store, PaymentState::Paid, Method::Card, 7 * DAY + MS);
    let just_in = seed(&store, PaymentState::Paid, Method::Card, 7 * DAY);
    assert!(!is_cancelled(cancel_outcome(&store, &old)));
    assert!(is_cancelled(cancel_outcome(&store, &just_in)));
}

#[test]
fn wallet_window_ends_at_00_15_utc_plus_8_on_the_next_day() {
    // Paid 10:00 +08:00 on the 5th: in time until the 6th 00:15 +08:00,
    // i.e. 14 h 15 min later.
    let store = store_at(T0);
    let on_time = seed(&store, PaymentState::Paid, Method::Wallet, Duration::ZERO);
    let late = seed(&store, PaymentState::Paid, Method::Wallet, Duration::ZERO);
    let until = Duration::from_secs(14 * 3600 + 15 * 60);
    store.advance(&on_time.payment_id, until).unwrap();
    store.advance(&late.payment_id, until + MS).unwrap();
    let deadline = datetime!(2024-03-06 00:15:00 +08:00);
    assert_eq!(
        cancel_outcome(&store, &on_time),
        CancelEffect::Cancelled {
            cancel_time: deadline,
            repeat: false
        }
    );
    assert_eq!(
        cancel_outcome(&store, &late),
        CancelEffect::Refused(Refusal::WindowExceeded { deadline })
    );
}

/// The default cancel deadline of a wallet payment paid at `paid`.
fn wallet_deadline(paid: OffsetDateTime) -> Option<OffsetDateTime> {
    Lifecycle {
        paid_at: Some(paid),
        ..payment(PaymentState::Paid, Method::Wallet)
    }
    .cancel_deadline(&Windows::default())
}

#[test]
fn wallet_day_is_counted_in_utc_plus_8_not_utc() {
    // 20:00 UTC on the 5th is already 04:00 on the 6th at UTC+8, so the
    // deadline is the 7th 00:15 +08:00 (20 h 15 min later), not the 6th.
    assert_eq!(
        wallet_deadline(datetime!(2024-03-05 20:00:00 UTC)),
        Some(datetime!(2024-03-07 00:15:00 +08:00))
    );
}

#[test]
fn wallet_paid_just_after_midnight_keeps_until_the_following_midnight() {
    assert_eq!(
        wallet_deadline(datetime!(2024-03-05 00:10:00 +08:00)),
        Some(datetime!(2024-03-06 00:15:00 +08:00))
    );
    assert_eq!(
        wallet_deadline(datetime!(2024-12-31 23:59:00 +08:00)),
        Some(datetime!(2025-01-01 00:15:00 +08:00))
    );
}

#[test]
fn windows_are_configurable() {
    let windows = Windows {
        card: Duration::from_secs(60),
        ..Windows::default()
    };
    let mut p = payment(PaymentState::Paid, Method::Card);
    assert!(!is_cancelled(
        p.cancel(T0 + time::Duration::seconds(61), &windows)
    ));
    assert!(is_cancelled(
        p.cancel(T0 + time::Duration::seconds(60), &windows)
    ));
}

#[test]
fn payment_success_starts_the_window_at_the_payments_clock() {
    let store = store_at(T0);
    let ids = seed(
        &store,
        PaymentState::AwaitingBuyer,
        Method::Card,
        Duration::ZERO,
    );
    // Paid 13 minutes after creation, inside its unpaid life.
    let thirteen_minutes = Duration::from_secs(13 * 60);
    store.advance(&ids.payment_id, thirteen_minutes).unwrap();
    let outcome = store
        .apply_event(&ids.payment_id, Event::PaymentSuccess)
        .unwrap();
    assert_eq!(
        outcome,
        EventOutcome {
            applied: true,
            state: PaymentState::Paid
        }
    );
    assert_eq!(
        store.view(&ids.payment_id).unwrap().payment.paid_at,
        Some(T0 + time::Duration::minutes(13))
    );
    store.advance(&ids.payment_id, 7 * DAY + MS).unwrap();
    assert!(!is_cancelled(cancel_outcome(&store, &ids)));
}

#[test]
fn clocks_are_per_payment() {
    let store = store_at(T0);
    let moved = seed(&store, PaymentState::Paid, Method::Card, Duration::ZERO);
    let still = seed(&store, PaymentState::Paid, Method::Card, Duration::ZERO);
    store.advance(&moved.payment_id, 8 * DAY).unwrap();
    assert_eq!(store.view(&still.payment_id).unwrap().now, T0);
    assert!(is_cancelled(cancel_outcome(&store, &still)));
    assert!(!is_cancelled(cancel_outcome(&store, &moved)));
}

#[test]
fn seeds_at_an_absolute_clock_run_on_their_own_clock() {
    let store = store_at(T0);
    let seed = Seed {
        state: PaymentState::Paid,
        method: Method::Wallet,
        age: Duration::ZERO,
        owner: OWNER.into(),
    };
    // Two days behind real time, paid 75 minutes before its clock.
    let clock = T0 - time::Duration::days(2);
    let paid = clock - time::Duration::minutes(75);
    let times = SeedTimes {
        clock: Some(clock),
        at: Some(paid),
        ..SeedTimes::default()
    };
    let (ids, _) = store.seed_many_at(seed.clone(), 1, times).unwrap();
    let view = store.view(&ids.payment_id).unwrap();
    assert_eq!(view.now, clock);
    assert_eq!(view.payment.paid_at, Some(paid));
    // 10:00 minus 75 minutes is 08:45 the same day: cut-off 00:15 next day.
    assert!(is_cancelled(cancel_outcome(&store, &ids)));
    let future = SeedTimes {
        clock: Some(clock),
        at: Some(clock + time::Duration::SECOND),
        ..SeedTimes::default()
    };
    assert_eq!(
        store.seed_many_at(seed.clone(), 1, future),
        Err(StoreError::InTheFuture)
    );
    let too_far = SeedTimes {
        clock: Some(T0 - time::Duration::days(200 * 366)),
        at: None,
        ..SeedTimes::default()
    };
    assert_eq!(
        store.seed_many_at(seed, 1, too_far),
        Err(StoreError::ClockShiftTooLarge)
    );
}

#[test]
fn clock_moves_are_bounded() {
    let store = store_at(T0);
    let ids = seed(&store, PaymentState::Paid, Method::Card, Duration::ZERO);
    assert_eq!(
        store.advance(&ids.payment_id, MAX_CLOCK_SHIFT + MS),
        Err(StoreError::ClockShiftTooLarge)
    );
    assert_eq!(
        store.advance(&ids.payment_id, Duration::MAX),
        Err(StoreError::ClockShiftTooLarge)
    );
    store.advance(&ids.payment_id, MAX_CLOCK_SHIFT).unwrap();
    assert_eq!(
        store.advance(&ids.payment_id, MS),
        Err(StoreError::ClockShiftTooLarge)
    );
    let too_old = store.seed(Seed {
        state: PaymentState::Paid,
        method: Method::Card,
        age: Duration::MAX,
        owner: OWNER.into(),
    });
    assert_eq!(too_old, Err(StoreError::ClockShiftTooLarge));
    assert_eq!(store.advance("nope", MS), Err(StoreError::UnknownPayment));
}

// ----- events

fn after(state: PaymentState, method: Method, event: Event) -> (bool, PaymentState) {
    let mut p = payment(state, method);
    let applied = p.apply(event, T0);
    (applied, p.state)
}

#[test]
fn every_event_in_every_state() {
    use Event as E;
    use PaymentState as S;
    let states = [
        S::AwaitingBuyer,
        S::Paid,
        S::Capturing,
        S::Captured,
        S::PartlyRefunded,
        S::FullyRefunded,
        S::Cancelled,
        S::Failed,
    ];
    let events = [
        E::PaymentSuccess,
        E::CaptureStarted,
        E::Captured,
        E::PartlyRefunded,
        E::FullyRefunded,
    ];
    for method in [Method::Card, Method::Wallet] {
        for state in states {
            for event in events {
                let expected = match (event, state) {
                    (E::PaymentSuccess, S::AwaitingBuyer) => Some(S::Paid),
                    // Cancelled before it was paid (as `payment` builds it):
                    // the late payment is accepted, refunded, and the
                    // payment stays cancelled under every profile.
                    (E::PaymentSuccess, S::Cancelled) => Some(S::Cancelled),
                    (E::CaptureStarted, S::Paid) if method == Method::Card => Some(S::Capturing),
                    (E::Captured, S::Paid | S::Capturing) => Some(S::Captured),
                    (E::PartlyRefunded, S::Paid | S::Captured | S::PartlyRefunded) => {
                        Some(S::PartlyRefunded)
                    }
                    (E::FullyRefunded, S::Paid | S::Captured | S::PartlyRefunded) => {
                        Some(S::FullyRefunded)
                    }
                    _ => None,
                };
                let (applied, now) = after(state, method, event);
                match expected {
                    Some(next) => {
                        assert!(applied, "{event:?} in {state:?} ({method:?})");
                        assert_eq!(now, next, "{event:?} in {state:?} ({method:?})");
                    }
                    None => {
                        assert!(!applied, "{event:?} in {state:?} ({method:?})");
                        assert_eq!(now, state, "a refused event changes nothing");
                    }
                }
            }
        }
    }
}

#[test]
fn nothing_moves_a_cancelled_payment() {
    for event in [
        Event::PaymentSuccess,
        Event::CaptureStarted,
        Event::Captured,
        Event::PartlyRefunded,
        Event::FullyRefunded,
    ] {
        // Cancelled after it was paid; one cancelled before behaves the
        // same (store/profile.rs).
        let mut p = Lifecycle {
            paid_at: Some(T0),
            ..payment(PaymentState::Cancelled, Method::Card)
        };
        let before = p;
        p.apply(event, T0 + time::Duration::hours(1));
        assert_eq!(p, before, "{event:?} changed a cancelled payment");
    }
}

#[test]
fn late_payment_success_is_accepted_but_the_payment_stays_cancelled() {
    let store = store_at(T0);
    // Paid, then cancelled: the notification is late under every profile.
    let ids = seed(&store, PaymentState::Paid, Method::Wallet, Duration::ZERO);
    assert!(is_cancelled(cancel_outcome(&store, &ids)));
    let outcome = store
        .apply_event(&ids.payment_id, Event::PaymentSuccess)
        .unwrap();
    assert_eq!(
        outcome,
        EventOutcome {
            applied: true,
            state: PaymentState::Cancelled
        }
    );
    let inquiry = store.call(
        OWNER,
        Lookup::PaymentId(&ids.payment_id),
        Operation::Inquiry,
    );
    assert_eq!(
        inquiry,
        CallOutcome::Done {
            result: CallResult::Inquiry {
                ids: ids.clone(),
                status: PaymentStatus::Cancelled
            },
            delivery: Delivery::Now
        }
    );
}

#[test]
fn inquiry_status_per_state() {
    use PaymentState as S;
    let expected = [
        (S::AwaitingBuyer, PaymentStatus::Processing),
        (S::Paid, PaymentStatus::Success),
        (S::Capturing, PaymentStatus::Success),
        (S::Captured, PaymentStatus::Success),
        (S::PartlyRefunded, PaymentStatus::Success),
        (S::FullyRefunded, PaymentStatus::Success),
        (S::Cancelled, PaymentStatus::Cancelled),
        (S::Failed, PaymentStatus::Fail),
    ];
    for (state, status) in expected {
        assert_eq!(payment(state, Method::Card).status(), status, "{state:?}");
    }
}
