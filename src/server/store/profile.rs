//! The payment rules that differ by acquirer profile (INTERPRETING.md §9):
//! where a cancellable period starts, and which method kinds exist.
//! Everything else in the lifecycle is the same under every profile: a
//! payment completed after an unpaid cancel is refunded and stays CANCELLED
//! under both (the vendor's status pages, APO and Antom editions alike).

use time::OffsetDateTime;

use super::{Lifecycle, Refusal};
use crate::domain::Method;
use crate::profile::Profile;

/// Where the payment's cancellable period starts, or `None` when it has
/// none yet.
///
/// apo counts from payment, so an unpaid payment has no window (rules
/// `window.counts-from-payment`, `window.unpaid-always-cancellable`). antom
/// counts from the order placement, paid or not (`window.counts-from-order`);
/// a payment whose order time is unknown falls back to its payment time.
pub(super) fn window_start(life: &Lifecycle, profile: Profile) -> Option<OffsetDateTime> {
    match profile {
        Profile::Apo => life.paid_at,
        Profile::Antom => life.created_at.or(life.paid_at),
    }
}

/// The refusal a payment's method kind gives a cancel before any window is
/// looked at (`window.kinds`, `window.kind-codes`): a never-cancellable
/// method refuses every cancel, and an only-before-payment method refuses
/// one once the buyer has paid, its period having ended at payment. The
/// control plane seeds these kinds under the antom profile only.
pub(super) fn refusal_by_kind(life: &Lifecycle) -> Option<Refusal> {
    match life.method {
        Method::Uncancellable => Some(Refusal::NotCancellable),
        Method::UnpaidOnly => life
            .paid_at
            .map(|deadline| Refusal::WindowExceeded { deadline }),
        Method::Card | Method::Wallet => None,
    }
}

/// Whether `profile` has payment methods of `method`'s kind: apo's seed
/// knows only cards and the rest (`window.varies`).
pub(crate) fn has_method(profile: Profile, method: Method) -> bool {
    match method {
        Method::Card | Method::Wallet => true,
        Method::UnpaidOnly | Method::Uncancellable => profile == Profile::Antom,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Event, PaymentState};
    use crate::server::config::Windows;
    use time::macros::datetime;

    const ORDERED: OffsetDateTime = datetime!(2024-03-05 10:00 +08:00);

    fn unpaid(method: Method) -> Lifecycle {
        Lifecycle {
            method,
            state: PaymentState::AwaitingBuyer,
            paid_at: None,
            cancel_time: None,
            created_at: Some(ORDERED),
        }
    }

    #[test]
    fn a_payment_after_an_unpaid_cancel_leaves_it_cancelled_under_every_profile() {
        for profile in Profile::ALL {
            let mut life = unpaid(Method::Wallet);
            life.cancel_as(ORDERED, &Windows::default(), profile);
            let before = life;
            let later = ORDERED + time::Duration::minutes(5);
            assert!(life.apply(Event::PaymentSuccess, later), "{profile}");
            assert_eq!(life, before, "{profile}");
        }
    }

    #[test]
    fn a_payment_cancelled_after_it_was_paid_stays_cancelled_under_every_profile() {
        for profile in Profile::ALL {
            let mut life = Lifecycle {
                state: PaymentState::Paid,
                paid_at: Some(ORDERED),
                ..unpaid(Method::Card)
            };
            life.cancel_as(ORDERED, &Windows::default(), profile);
            let before = life;
            assert!(life.apply(Event::PaymentSuccess, ORDERED));
            assert_eq!(life, before, "{profile}");
        }
    }

    #[test]
    fn antom_counts_the_window_from_the_order_placement_and_apo_from_payment() {
        // A wallet ordered on the 5th and paid on the 6th: antom's period
        // ended at 00:15 UTC+8 on the 6th, apo's ends at 00:15 on the 7th.
        let paid = Lifecycle {
            state: PaymentState::Paid,
            paid_at: Some(datetime!(2024-03-06 09:00 +08:00)),
            ..unpaid(Method::Wallet)
        };
        let now = datetime!(2024-03-06 12:00 +08:00);
        let mut antom = paid;
        assert!(matches!(
            antom.cancel_as(now, &Windows::default(), Profile::Antom),
            super::super::CancelEffect::Refused(super::super::Refusal::WindowExceeded { deadline })
                if deadline == datetime!(2024-03-06 00:15 +08:00)
        ));
        let mut apo = paid;
        assert!(matches!(
            apo.cancel_as(now, &Windows::default(), Profile::Apo),
            super::super::CancelEffect::Cancelled { .. }
        ));
        // An order placed at 23:55 and paid ten minutes later, the next
        // day (an unpaid payment lives 14 minutes): the periods differ by
        // a day.
        let late_order = Lifecycle {
            state: PaymentState::Paid,
            paid_at: Some(datetime!(2024-03-06 00:05 +08:00)),
            created_at: Some(datetime!(2024-03-05 23:55 +08:00)),
            ..unpaid(Method::Wallet)
        };
        let now = datetime!(2024-03-07 00:10 +08:00);
        assert!(matches!(
            late_order
                .clone()
                .cancel_as(now, &Windows::default(), Profile::Antom),
            super::super::CancelEffect::Refused(super::super::Refusal::WindowExceeded { .. })
        ));
        assert!(matches!(
            late_order
                .clone()
                .cancel_as(now, &Windows::default(), Profile::Apo),
            super::super::CancelEffect::Cancelled { .. }
        ));
    }

    #[test]
    fn method_kinds_refuse_by_themselves_and_exist_under_antom_only() {
        let mut never = unpaid(Method::Uncancellable);
        assert_eq!(
            never.cancel_as(ORDERED, &Windows::default(), Profile::Antom),
            super::super::CancelEffect::Refused(Refusal::NotCancellable)
        );
        let mut before_payment = unpaid(Method::UnpaidOnly);
        let much_later = ORDERED + time::Duration::days(30);
        let paid = Lifecycle {
            state: PaymentState::Paid,
            paid_at: Some(ORDERED),
            ..before_payment
        };
        assert!(matches!(
            before_payment.cancel_as(much_later, &Windows::default(), Profile::Antom),
            super::super::CancelEffect::Cancelled { .. }
        ));
        let mut paid = paid;
        assert_eq!(
            paid.cancel_as(ORDERED, &Windows::default(), Profile::Antom),
            super::super::CancelEffect::Refused(Refusal::WindowExceeded { deadline: ORDERED })
        );
        for method in [Method::Card, Method::Wallet] {
            assert!(Profile::ALL.iter().all(|p| has_method(*p, method)));
        }
        for method in [Method::UnpaidOnly, Method::Uncancellable] {
            assert!(has_method(Profile::Antom, method) && !has_method(Profile::Apo, method));
        }
    }
}
