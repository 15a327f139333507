//! The merchant's own record of its payments (its orders), and the rules
//! that move an order between states.
//!
//! An order can be found by either of its ids: a cancel may name only the
//! `paymentRequestId` while a notification names both, and both must reach
//! the same order. The one rule that matters most: CANCELLED is final. A
//! payment-success notification that arrives after the cancel never
//! un-cancels the order (the provider returns those funds to the buyer).
//!
//! A record holds two facts: whether the payment is known to be paid (an
//! accepted payment-success notification) and where its cancel stands
//! (none, in doubt, done). The status shown is derived from them
//! (INTERPRETING.md §8, order statuses): a trusted F settles a cancel in
//! doubt as "not cancelled", and a payment-success notification does not
//! settle one at all.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use super::cancel::CancelOutcome;
use crate::domain::PaymentRef;

use crate::domain::OrderStatus;

/// All orders, shared by the cancel procedure and the notification handler.
#[derive(Debug, Default)]
pub struct OrderBook {
    inner: Mutex<Orders>,
}

#[derive(Debug, Default)]
struct Orders {
    /// Entries are never removed; an entry merged into another simply
    /// becomes unreachable.
    statuses: Vec<Record>,
    by_payment_id: HashMap<String, usize>,
    by_request_id: HashMap<String, usize>,
}

impl Orders {
    fn find(&self, payment: &PaymentRef) -> Option<usize> {
        let by_id = payment
            .payment_id
            .as_ref()
            .and_then(|id| self.by_payment_id.get(id));
        let by_request = payment
            .payment_request_id
            .as_ref()
            .and_then(|id| self.by_request_id.get(id));
        by_id.or(by_request).copied()
    }

    /// The order for `payment`, created if unknown, with every id given
    /// linked to it. Two orders that turn out to be one payment are merged,
    /// a cancelled one staying cancelled.
    fn entry(&mut self, payment: &PaymentRef) -> usize {
        let by_id = payment
            .payment_id
            .as_ref()
            .and_then(|id| self.by_payment_id.get(id).copied());
        let by_request = payment
            .payment_request_id
            .as_ref()
            .and_then(|id| self.by_request_id.get(id).copied());
        let index = match (by_id, by_request) {
            (Some(keep), Some(other)) if keep != other => {
                let merged = self.statuses[keep].merge(self.statuses[other]);
                self.statuses[keep] = merged;
                for target in self
                    .by_payment_id
                    .values_mut()
                    .chain(self.by_request_id.values_mut())
                {
                    if *target == other {
                        *target = keep;
                    }
                }
                keep
            }
            (Some(index), _) | (None, Some(index)) => index,
            (None, None) => {
                self.statuses.push(Record::default());
                self.statuses.len() - 1
            }
        };
        if let Some(id) = &payment.payment_id {
            self.by_payment_id.insert(id.clone(), index);
        }
        if let Some(id) = &payment.payment_request_id {
            self.by_request_id.insert(id.clone(), index);
        }
        index
    }
}

/// Where a payment's cancel stands, as far as the merchant knows. The
/// variants are in order of weight (derived `Ord`): when two records of one
/// payment meet, done beats in doubt, which beats nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
enum CancelState {
    #[default]
    None,
    InDoubt,
    Done,
}

/// What the merchant knows of one payment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Record {
    paid: bool,
    cancel: CancelState,
}

impl Record {
    fn status(self) -> OrderStatus {
        match (self.cancel, self.paid) {
            (CancelState::Done, _) => OrderStatus::Cancelled,
            (CancelState::InDoubt, _) => OrderStatus::Unknown,
            (CancelState::None, true) => OrderStatus::Success,
            (CancelState::None, false) => OrderStatus::None,
        }
    }

    fn merge(self, other: Record) -> Record {
        Record {
            paid: self.paid || other.paid,
            cancel: self.cancel.max(other.cancel),
        }
    }
}

impl OrderBook {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Orders> {
        // A panic elsewhere while holding the lock leaves plain data that is
        // still consistent (every write is a single assignment), so the
        // records stay usable.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The recorded status of `payment`, found by either id.
    pub fn status(&self, payment: &PaymentRef) -> OrderStatus {
        let orders = self.lock();
        orders
            .find(payment)
            .map_or(OrderStatus::None, |index| orders.statuses[index].status())
    }

    /// Records a trusted S answer: the order is CANCELLED, reachable by
    /// every id the request and the answer named.
    pub fn record_cancelled(&self, payment: &PaymentRef) {
        let mut orders = self.lock();
        let index = orders.entry(payment);
        orders.statuses[index].cancel = CancelState::Done;
    }

    /// Records a cancel whose fate is open. A cancelled order stays
    /// cancelled: an earlier S is not undone by a later doubt.
    pub fn record_in_doubt(&self, payment: &PaymentRef) {
        let mut orders = self.lock();
        let index = orders.entry(payment);
        let cancel = &mut orders.statuses[index].cancel;
        *cancel = (*cancel).max(CancelState::InDoubt);
    }

    /// Records that the buyer's payment succeeded, and returns the order's
    /// status afterwards. A CANCELLED order stays CANCELLED.
    pub fn record_payment_success(&self, payment: &PaymentRef) -> OrderStatus {
        let mut orders = self.lock();
        let index = orders.entry(payment);
        orders.statuses[index].paid = true;
        orders.statuses[index].status()
    }

    /// Records what a cancel concluded: S cancels the order for good; U,
    /// timeouts and untrusted answers leave it in doubt; an F leaves the
    /// payment as it was, which settles a cancel that was in doubt.
    pub fn record_outcome(&self, payment: &PaymentRef, outcome: &CancelOutcome) {
        match outcome {
            CancelOutcome::Cancelled {
                payment_id,
                payment_request_id,
                ..
            } => {
                let named = PaymentRef::new(
                    payment_id.clone().or_else(|| payment.payment_id.clone()),
                    payment_request_id
                        .clone()
                        .or_else(|| payment.payment_request_id.clone()),
                );
                self.record_cancelled(&named);
            }
            CancelOutcome::Unknown { .. } | CancelOutcome::Refused { .. } => {
                self.record_in_doubt(payment);
            }
            // F: the payment was not cancelled and keeps its state, which
            // settles an earlier cancel in doubt.
            CancelOutcome::Failed { .. } => {
                let mut orders = self.lock();
                if let Some(index) = orders.find(payment)
                    && orders.statuses[index].cancel == CancelState::InDoubt
                {
                    orders.statuses[index].cancel = CancelState::None;
                }
            }
            CancelOutcome::NotSent { .. } => {}
        }
    }

    /// Sets an order's status with no lifecycle rule applied, e.g. to load
    /// records kept elsewhere.
    pub fn overwrite(&self, payment: &PaymentRef, status: OrderStatus) {
        let mut orders = self.lock();
        let index = orders.entry(payment);
        orders.statuses[index] = match status {
            OrderStatus::None => Record::default(),
            OrderStatus::Success => Record {
                paid: true,
                cancel: CancelState::None,
            },
            OrderStatus::Unknown => Record {
                paid: false,
                cancel: CancelState::InDoubt,
            },
            OrderStatus::Cancelled => Record {
                paid: false,
                cancel: CancelState::Done,
            },
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both(id: &str, request: &str) -> PaymentRef {
        PaymentRef::new(Some(id.into()), Some(request.into()))
    }

    #[test]
    fn unknown_payment_is_none() {
        let book = OrderBook::new();
        assert_eq!(
            book.status(&PaymentRef::by_payment_id("P")),
            OrderStatus::None
        );
    }

    #[test]
    fn either_id_finds_the_order() {
        let book = OrderBook::new();
        book.record_cancelled(&both("P1", "R1"));
        assert_eq!(
            book.status(&PaymentRef::by_payment_id("P1")),
            OrderStatus::Cancelled
        );
        assert_eq!(
            book.status(&PaymentRef::by_request_id("R1")),
            OrderStatus::Cancelled
        );
        assert_eq!(book.status(&both("P1", "R1")), OrderStatus::Cancelled);
        assert_eq!(
            book.status(&PaymentRef::by_payment_id("P2")),
            OrderStatus::None
        );
    }

    #[test]
    fn a_cancel_in_doubt_is_settled_by_f_but_not_by_a_notification() {
        let book = OrderBook::new();
        let order = both("P1", "R1");
        book.record_payment_success(&order);
        assert_eq!(book.status(&order), OrderStatus::Success);
        book.record_in_doubt(&order);
        assert_eq!(book.status(&order), OrderStatus::Unknown);
        // Whether the cancel took effect is still open.
        book.record_payment_success(&order);
        assert_eq!(book.status(&order), OrderStatus::Unknown);
        // A trusted F: not cancelled, the payment keeps its state (paid).
        book.record_outcome(
            &order,
            &CancelOutcome::Failed {
                code: "PROCESS_FAIL".into(),
                message: None,
            },
        );
        assert_eq!(book.status(&order), OrderStatus::Success);
        let unpaid = both("P2", "R2");
        book.record_in_doubt(&unpaid);
        book.record_outcome(
            &unpaid,
            &CancelOutcome::Failed {
                code: "PROCESS_FAIL".into(),
                message: None,
            },
        );
        assert_eq!(book.status(&unpaid), OrderStatus::None);
    }

    #[test]
    fn late_payment_success_does_not_uncancel() {
        let book = OrderBook::new();
        book.record_cancelled(&PaymentRef::by_request_id("R1"));
        // The notification names both ids; it must still reach the order.
        assert_eq!(
            book.record_payment_success(&both("P1", "R1")),
            OrderStatus::Cancelled
        );
        assert_eq!(
            book.status(&PaymentRef::by_payment_id("P1")),
            OrderStatus::Cancelled
        );
    }

    #[test]
    fn payment_success_marks_an_open_order_paid() {
        let book = OrderBook::new();
        assert_eq!(
            book.record_payment_success(&both("P1", "R1")),
            OrderStatus::Success
        );
        // A cancel in doubt stays in doubt: the notification says the
        // payment succeeded, not whether the cancel took effect.
        book.record_in_doubt(&PaymentRef::by_payment_id("P2"));
        assert_eq!(
            book.record_payment_success(&PaymentRef::by_payment_id("P2")),
            OrderStatus::Unknown
        );
    }

    #[test]
    fn doubt_never_overrides_a_cancel() {
        let book = OrderBook::new();
        book.record_cancelled(&PaymentRef::by_payment_id("P1"));
        book.record_in_doubt(&PaymentRef::by_payment_id("P1"));
        assert_eq!(
            book.status(&PaymentRef::by_payment_id("P1")),
            OrderStatus::Cancelled
        );
    }

    #[test]
    fn two_records_of_one_payment_merge_and_cancelled_wins() {
        let book = OrderBook::new();
        book.record_payment_success(&PaymentRef::by_payment_id("P1"));
        book.record_cancelled(&PaymentRef::by_request_id("R1"));
        book.record_payment_success(&both("P1", "R1"));
        assert_eq!(
            book.status(&PaymentRef::by_payment_id("P1")),
            OrderStatus::Cancelled
        );
        assert_eq!(
            book.status(&PaymentRef::by_request_id("R1")),
            OrderStatus::Cancelled
        );
    }
}
