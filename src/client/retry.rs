//! The retry policy of a cancel: which attempt results are worth another
//! attempt, and how long to wait before it.
//!
//! A U answer or no answer at all leaves the cancel's fate open, and a
//! cancel repeated with the same identifiers is safe, so both are retried.
//! S and F are conclusions, and an untrusted answer is not something a
//! retry fixes (a provider with the wrong key keeps answering the same
//! way), so those end the cancel.

use std::time::Duration;

use crate::spec::api::ResultStatus;

/// The first pause between attempts.
pub const FIRST_BACKOFF: Duration = Duration::from_millis(50);
/// The longest pause between attempts: a cancel usually runs while someone
/// waits (a checkout, an order screen), so the pauses stay short.
pub const MAX_BACKOFF: Duration = Duration::from_millis(400);

/// What one attempt came to, as far as the retry policy cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptKind {
    /// A trusted answer with this status.
    Answered(ResultStatus),
    /// No complete answer (timeout, connection refused or cut).
    NoAnswer,
    /// An answer arrived but is not trusted.
    Untrusted,
}

/// Whether to try again after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The cancel is over; report what the attempt concluded.
    Conclude,
    /// Try again with the same identifiers, if attempts remain.
    Retry,
}

/// The policy: retry after U and after no answer; stop otherwise.
pub fn decide(kind: AttemptKind) -> Decision {
    match kind {
        AttemptKind::Answered(ResultStatus::U) | AttemptKind::NoAnswer => Decision::Retry,
        AttemptKind::Answered(ResultStatus::S | ResultStatus::F) | AttemptKind::Untrusted => {
            Decision::Conclude
        }
    }
}

/// How many U answers in a row end a cancel even when attempts remain: the
/// first attempt and three retries (`retry.client-u-limit`: the vendor's
/// guides hand the payment to support after three U retries).
pub const U_ANSWERS_LIMIT: usize = 4;

/// Whether the last attempts were `U_ANSWERS_LIMIT` U answers in a row.
pub fn u_limit_reached(kinds: impl DoubleEndedIterator<Item = AttemptKind>) -> bool {
    kinds
        .rev()
        .take_while(|kind| *kind == AttemptKind::Answered(ResultStatus::U))
        .count()
        >= U_ANSWERS_LIMIT
}

/// Pauses between attempts: 50 ms, doubling, at most 400 ms and never
/// longer than the client's timeout (rule `retry.client-timeout-bounded`:
/// a pause is measured against the timeout, INTERPRETING.md §8).
#[derive(Debug, Clone)]
pub struct Backoff {
    next: Duration,
    longest: Duration,
}

impl Backoff {
    /// The pauses of a client that gives up on an answer after `timeout`.
    pub fn within(timeout: Duration) -> Self {
        let longest = MAX_BACKOFF.min(timeout);
        Self {
            next: FIRST_BACKOFF.min(longest),
            longest,
        }
    }

    /// The pause before the next attempt.
    pub fn next_pause(&mut self) -> Duration {
        let pause = self.next;
        self.next = (self.next * 2).min(self.longest);
        pause
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn u_and_no_answer_are_retried() {
        assert_eq!(
            decide(AttemptKind::Answered(ResultStatus::U)),
            Decision::Retry
        );
        assert_eq!(decide(AttemptKind::NoAnswer), Decision::Retry);
    }

    #[test]
    fn s_f_and_untrusted_answers_end_the_cancel() {
        assert_eq!(
            decide(AttemptKind::Answered(ResultStatus::S)),
            Decision::Conclude
        );
        assert_eq!(
            decide(AttemptKind::Answered(ResultStatus::F)),
            Decision::Conclude
        );
        assert_eq!(decide(AttemptKind::Untrusted), Decision::Conclude);
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let mut backoff = Backoff::within(Duration::from_secs(10));
        let pauses: Vec<u128> = (0..6).map(|_| backoff.next_pause().as_millis()).collect();
        assert_eq!(pauses, [50, 100, 200, 400, 400, 400]);
    }

    #[test]
    fn no_pause_is_longer_than_the_timeout() {
        let mut backoff = Backoff::within(Duration::from_millis(120));
        let pauses: Vec<u128> = (0..4).map(|_| backoff.next_pause().as_millis()).collect();
        assert_eq!(pauses, [50, 100, 120, 120]);
        let mut tiny = Backoff::within(Duration::from_millis(20));
        assert_eq!(tiny.next_pause(), Duration::from_millis(20));
    }
}
