//! The rules about one payment's life, with no storage and no I/O: what a
//! cancel answers in each state (rules `repeat.*`, `refund.*`, `capture.*`,
//! `state.*`, `window.*`), when the cancellable window closes, and which
//! outside events (payment success, capture, refunds) move a payment where.
//! Each takes "now" as an argument, so the rules are tested at exact
//! instants.

use time::OffsetDateTime;

use super::profile;
use crate::domain::{Event, Method, PaymentState};
use crate::profile::Profile;
use crate::server::config::Windows;
use crate::spec::api::PaymentStatus;

/// A payment as the reference provider knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Payment {
    pub payment_id: String,
    pub payment_request_id: String,
    /// The client id the payment belongs to; any other caller is denied.
    pub owner: String,
    pub method: Method,
    pub state: PaymentState,
    /// When the buyer paid; the cancellable window is counted from here.
    pub paid_at: Option<OffsetDateTime>,
    /// When the payment was cancelled: set when `state` is cancelled, and
    /// on a failed payment once a cancel was answered S (its state stays
    /// failed, `state.failed-cancel-success`).
    pub cancel_time: Option<OffsetDateTime>,
}

/// What a cancel did to a payment on the reference server (the client's
/// conclusion about a cancel is [`crate::domain::CancelConclusion`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CancelEffect {
    /// The payment is cancelled (now, or already before: `repeat`), at
    /// `cancel_time`.
    Cancelled {
        cancel_time: OffsetDateTime,
        repeat: bool,
    },
    /// The payment keeps its state.
    Refused(Refusal),
}

/// Why a cancel was refused. Each maps to one result code in `answer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Partly or fully refunded: PROCESS_FAIL.
    Refunded,
    /// A card capture is under way: ORDER_STATUS_INVALID.
    CaptureInProgress,
    /// Captured: ORDER_STATUS_INVALID.
    Captured,
    /// Paid, but the window closed at `deadline`: CANCEL_WINDOW_EXCEED.
    WindowExceeded { deadline: OffsetDateTime },
    /// A method that is never cancellable: CANCEL_WINDOW_EXCEED.
    NotCancellable,
}

/// The part of a payment the rules read and change: [`Payment`] without its
/// names, so that the store runs the same rules on its compact records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Lifecycle {
    pub(super) method: Method,
    pub(super) state: PaymentState,
    pub(super) paid_at: Option<OffsetDateTime>,
    pub(super) cancel_time: Option<OffsetDateTime>,
    /// When the order was placed, where known; windows count from it under
    /// the antom profile.
    pub(super) created_at: Option<OffsetDateTime>,
}

impl Lifecycle {
    /// [`Lifecycle::cancel_as`] under the default profile.
    #[cfg(test)]
    pub(super) fn cancel(&mut self, now: OffsetDateTime, windows: &Windows) -> CancelEffect {
        self.cancel_as(now, windows, Profile::default())
    }

    /// Cancels the payment if its state and window allow it.
    ///
    /// The checks run in a fixed order because some states match several
    /// rules (a refunded payment is also captured; a repeat cancel may be past
    /// the window): a repeat is always S, refunds win over capture, and the
    /// window only matters for a payment that could otherwise be cancelled.
    pub(super) fn cancel_as(
        &mut self,
        now: OffsetDateTime,
        windows: &Windows,
        profile: Profile,
    ) -> CancelEffect {
        match self.state {
            PaymentState::Cancelled => {
                // Set whenever the state is; `now` only guards against a
                // payment built by hand without one, and is then kept so that
                // every later repeat reports the same time.
                let cancel_time = *self.cancel_time.get_or_insert(now);
                return CancelEffect::Cancelled {
                    cancel_time,
                    repeat: true,
                };
            }
            PaymentState::PartlyRefunded | PaymentState::FullyRefunded => {
                return CancelEffect::Refused(Refusal::Refunded);
            }
            PaymentState::Capturing => return CancelEffect::Refused(Refusal::CaptureInProgress),
            PaymentState::Captured => return CancelEffect::Refused(Refusal::Captured),
            // The status pages: cancelling a failed payment answers S, and
            // the status stays FAIL (state.failed-cancel-success). The first
            // such cancel's time is kept so that a repeat reports it.
            PaymentState::Failed => {
                let repeat = self.cancel_time.is_some();
                let cancel_time = *self.cancel_time.get_or_insert(now);
                return CancelEffect::Cancelled {
                    cancel_time,
                    repeat,
                };
            }
            // Where the window starts is the profile's: at payment, so
            // none before it (window.unpaid-always-cancellable), or at the
            // order placement, paid or not (window.counts-from-order).
            PaymentState::Paid | PaymentState::AwaitingBuyer => {
                if let Some(refusal) = profile::refusal_by_kind(self) {
                    return CancelEffect::Refused(refusal);
                }
                if let Some(deadline) = profile::window_start(self, profile)
                    .and_then(|start| self.deadline_from(start, windows))
                    && now > deadline
                {
                    return CancelEffect::Refused(Refusal::WindowExceeded { deadline });
                }
            }
        }
        self.state = PaymentState::Cancelled;
        self.cancel_time = Some(now);
        CancelEffect::Cancelled {
            cancel_time: now,
            repeat: false,
        }
    }

    /// Closes an unpaid payment whose life has run out: the provider closes
    /// it `lifetime` after the pay call and its status becomes FAIL
    /// (`state.unpaid-closes-after-14-minutes`). A payment whose order time
    /// is unknown never closes. Returns whether it closed now.
    pub(super) fn expire(&mut self, now: OffsetDateTime, lifetime: std::time::Duration) -> bool {
        let closes = self
            .created_at
            .zip(time::Duration::try_from(lifetime).ok())
            .and_then(|(created, lifetime)| created.checked_add(lifetime));
        let closed =
            self.state == PaymentState::AwaitingBuyer && closes.is_some_and(|at| now >= at);
        if closed {
            self.state = PaymentState::Failed;
        }
        closed
    }

    /// The last instant a cancel of this payment is still in time; `None`
    /// when no window applies (not paid yet, or a deadline beyond the
    /// calendar).
    #[cfg(test)]
    pub(super) fn cancel_deadline(&self, windows: &Windows) -> Option<OffsetDateTime> {
        self.deadline_from(self.paid_at?, windows)
    }

    /// The last instant a cancel is in time for a window that starts at
    /// `start`; `None` for a deadline beyond the calendar.
    fn deadline_from(&self, start: OffsetDateTime, windows: &Windows) -> Option<OffsetDateTime> {
        match self.method {
            Method::Card => start.checked_add(windows.card.try_into().ok()?),
            // Their periods do not run from a start (see `refusal_by_kind`).
            Method::UnpaidOnly | Method::Uncancellable => None,
            Method::Wallet => {
                let local = start.to_offset(windows.wallet_offset);
                let next_day = local.date().next_day()?;
                Some(
                    next_day
                        .with_time(windows.wallet_until)
                        .assume_offset(windows.wallet_offset),
                )
            }
        }
    }

    /// Applies an outside event if the current state allows it; returns
    /// whether it was accepted. A refused event changes nothing.
    pub(super) fn apply(&mut self, event: Event, now: OffsetDateTime) -> bool {
        use PaymentState as S;
        let next = match (event, self.state) {
            // A payment the buyer completes after the cancel, before or after
            // paying, is refunded in full and stays CANCELLED under every
            // profile (state.late-payment-refunded): accepted, nothing moves.
            (Event::PaymentSuccess, S::Cancelled) => return true,
            (Event::PaymentSuccess, S::AwaitingBuyer) => {
                self.paid_at = Some(now);
                S::Paid
            }
            (Event::CaptureStarted, S::Paid) if self.method == Method::Card => S::Capturing,
            (Event::Captured, S::Paid | S::Capturing) => S::Captured,
            (Event::PartlyRefunded, S::Paid | S::Captured | S::PartlyRefunded) => S::PartlyRefunded,
            (Event::FullyRefunded, S::Paid | S::Captured | S::PartlyRefunded) => S::FullyRefunded,
            _ => return false,
        };
        self.state = next;
        true
    }

    /// The `paymentStatus` an inquiry reports.
    pub(super) fn status(&self) -> PaymentStatus {
        match self.state {
            PaymentState::AwaitingBuyer => PaymentStatus::Processing,
            PaymentState::Paid
            | PaymentState::Capturing
            | PaymentState::Captured
            | PaymentState::PartlyRefunded
            | PaymentState::FullyRefunded => PaymentStatus::Success,
            PaymentState::Cancelled => PaymentStatus::Cancelled,
            PaymentState::Failed => PaymentStatus::Fail,
        }
    }
}
