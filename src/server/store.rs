//! The payments the reference server knows, and every rule about them, in
//! three parts:
//!
//! - `lifecycle`: [`Payment`] and the pure state machine: what a cancel
//!   answers in each state (rules `repeat.*`, `refund.*`, `capture.*`,
//!   `state.*`, `window.*`) and which outside events move it where. It
//!   takes "now" as an argument and does no I/O, so the rules are tested at
//!   exact instants.
//! - `ids`: the id codec and sharding (a payment is found from its id
//!   without hashing: the ids spell a serial number).
//! - this file: the [`Store`] itself, its compact records, clocks and
//!   scripted faults.
//!
//! [`Store`] holds the payments, each behind the lock of its shard, so that a
//! cancel and a concurrent refund or capture on the same payment are ordered
//! and never give contradictory answers. It also owns each payment's clock
//! offset (moved by the control plane so windows expire without waiting, per
//! payment so that parallel tests never disturb each other) and its scripted
//! faults.
//!
//! The store is built for millions of payments: a payment is found from its
//! id without hashing (the ids the store hands out spell a serial number),
//! and is kept in about 70 bytes.

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use time::OffsetDateTime;

use super::clock::Clock;
use super::config::Windows;
use crate::domain::{Event, FaultKind, Method, PaymentIds, PaymentState};
use crate::profile::Profile;
use crate::spec::api::PaymentStatus;

mod faults;
mod ids;
mod lifecycle;

pub(super) use faults::{Delivery, Fault, UnknownCode};
use ids::{Key, SHARDS, date_code};
use lifecycle::Lifecycle;
pub(super) use lifecycle::{CancelEffect, Payment, Refusal};

/// The furthest a payment's clock may be moved, and the oldest a seeded
/// payment may be: far beyond any window, and far from the calendar's end.
pub(super) const MAX_CLOCK_SHIFT: Duration = Duration::from_secs(100 * 366 * 24 * 60 * 60);

// ---------------------------------------------------------------------------
// Faults
// ---------------------------------------------------------------------------

// ---------------------------------------------------------------------------
// The store
// ---------------------------------------------------------------------------

/// How a request names its payment. The API layer decides which id governs
/// (rule ident.payment-id-precedence); the store never falls back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Lookup<'a> {
    PaymentId(&'a str),
    PaymentRequestId(&'a str),
}

/// Which API a call is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Operation {
    Cancel,
    Inquiry,
}

/// What an API call on the store came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum CallOutcome {
    /// No payment has the deciding id.
    NotFound,
    /// The payment belongs to another client id; nothing was done.
    AccessDenied,
    /// A scripted `unknown` fault: nothing was done.
    Unknown(UnknownCode),
    /// The call was carried out.
    Done {
        result: CallResult,
        delivery: Delivery,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum CallResult {
    Cancel {
        ids: PaymentIds,
        outcome: CancelEffect,
    },
    Inquiry {
        ids: PaymentIds,
        status: PaymentStatus,
    },
}

/// What the control plane asks to be seeded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seed {
    pub state: PaymentState,
    pub method: Method,
    /// How long ago the buyer paid (or the payment was created, or cancelled).
    pub age: Duration,
    pub owner: String,
}

/// Instants a seed may be given at instead of an age (control plane 1.1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct SeedTimes {
    /// What the payment's clock reads at seeding; real time when absent.
    pub clock: Option<OffsetDateTime>,
    /// When the buyer paid (or the payment was created, or cancelled), on
    /// the payment's clock; `now - age` when absent.
    pub at: Option<OffsetDateTime>,
    /// When the order was placed, on the payment's clock, if given apart
    /// from `at` (a paid payment's `createdAt`).
    pub created: Option<OffsetDateTime>,
}

/// A payment as the control plane shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct PaymentView {
    pub payment: Payment,
    /// The payment's "now".
    pub now: OffsetDateTime,
}

/// What an outside event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct EventOutcome {
    pub applied: bool,
    pub state: PaymentState,
}

/// Why the control plane's request could not be carried out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum StoreError {
    UnknownPayment,
    /// An age or clock move beyond [`MAX_CLOCK_SHIFT`].
    ClockShiftTooLarge,
    /// A seeding count of 0 or above [`MAX_SEED_COUNT`].
    BadCount,
    /// A paid (or created) time after the payment's clock.
    InTheFuture,
    /// The seed would take the store past its total of payments
    /// ([`MAX_STORED_PAYMENTS`]).
    Full,
}

/// The most payments one seeding call may create: a bound on what a single
/// control-plane request can make the server allocate (about 70 MB).
pub const MAX_SEED_COUNT: u64 = 1_000_000;

/// The most payments the store holds in all, over every seeding call: a
/// bound on what the control plane can make a long-running server
/// allocate (about 350 MB). Five of the largest bulk seeds; a server that
/// holds them all is restarted to seed more (INTERPRETING.md §5).
pub const MAX_STORED_PAYMENTS: u64 = 5 * MAX_SEED_COUNT;

/// `paid_at` / `cancel_time` not set.
const NO_INSTANT: i64 = i64::MIN;

/// One payment as the store keeps it. Its ids are not stored: they are
/// spelled from `date` and the serial number the slot is found by.
struct Slot {
    /// The seeding day (UTC+8) as `yyyymmdd`, part of both ids.
    date: u32,
    method: Method,
    state: PaymentState,
    /// Shared by every payment of the same owner.
    owner: Arc<str>,
    /// Unix nanoseconds, or [`NO_INSTANT`].
    paid_at: i64,
    /// Unix nanoseconds, or [`NO_INSTANT`].
    cancel_time: i64,
    /// When the order was placed: Unix nanoseconds, or [`NO_INSTANT`].
    created_at: i64,
    /// Added to real now to get this payment's now; at most
    /// [`MAX_CLOCK_SHIFT`] either way (behind real time only when seeded at
    /// an absolute clock).
    offset: time::Duration,
    /// Scripted faults; boxed because almost no payment has any.
    faults: Option<Box<Faults>>,
}

/// A payment's scripted faults, first first, behind one pointer so that a
/// payment without any (nearly all) spends 8 bytes on them, not 32.
#[derive(Default)]
struct Faults(VecDeque<Fault>);

impl Slot {
    fn now(&self, real_now: OffsetDateTime) -> OffsetDateTime {
        // The offset is bounded by MAX_CLOCK_SHIFT, so this only saturates
        // for a clock set near the end of the calendar.
        real_now.checked_add(self.offset).unwrap_or(real_now)
    }

    fn lifecycle(&self) -> Lifecycle {
        Lifecycle {
            method: self.method,
            state: self.state,
            paid_at: instant_of(self.paid_at),
            cancel_time: instant_of(self.cancel_time),
            created_at: instant_of(self.created_at),
        }
    }

    fn set_lifecycle(&mut self, life: Lifecycle) {
        self.state = life.state;
        self.paid_at = nanos_of(life.paid_at);
        self.cancel_time = nanos_of(life.cancel_time);
        self.created_at = nanos_of(life.created_at);
    }

    /// Consumes one call's worth of the first scripted fault.
    fn take_fault(&mut self) -> Option<Fault> {
        let faults = &mut self.faults.as_mut()?.0;
        let front = faults.front_mut()?;
        let fault = *front;
        front.count = front.count.saturating_sub(1);
        if front.count == 0 {
            faults.pop_front();
            if faults.is_empty() {
                self.faults = None;
            }
        }
        Some(fault)
    }
}

/// Unix nanoseconds: every instant the store holds is within
/// [`MAX_CLOCK_SHIFT`] of now, far inside the ±292 years an `i64` spans.
fn nanos_of(instant: Option<OffsetDateTime>) -> i64 {
    instant.map_or(NO_INSTANT, |instant| {
        i64::try_from(instant.unix_timestamp_nanos()).unwrap_or(NO_INSTANT + 1)
    })
}

fn instant_of(nanos: i64) -> Option<OffsetDateTime> {
    (nanos != NO_INSTANT)
        .then(|| OffsetDateTime::from_unix_timestamp_nanos(i128::from(nanos)).ok())
        .flatten()
}

type Shard = Mutex<Vec<Option<Slot>>>;

/// All payments. Each lives in one of [`SHARDS`] vectors, at the place its
/// serial number gives, behind that vector's lock: every call and event on a
/// payment holds its lock from the first read to the last write, which is
/// what makes concurrent cancels, refunds and captures on one payment answer
/// consistently. Nothing slow happens under a lock.
pub(super) struct Store {
    shards: Box<[Shard]>,
    /// The last serial number handed out.
    serial: AtomicU64,
    /// One copy of each owner's client id, shared by its payments.
    owners: Mutex<HashSet<Arc<str>>>,
    clock: Clock,
    windows: Windows,
    profile: Profile,
    /// [`MAX_STORED_PAYMENTS`], lower in tests.
    max_payments: u64,
}

/// Locks a mutex of the store. Nothing panics while holding one, and every
/// update is a single assignment of a consistent value, so a poisoned lock
/// still guards consistent data.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Store {
    pub(super) fn new(windows: Windows) -> Self {
        Self::with_clock(windows, Clock::system())
    }

    pub(super) fn with_clock(windows: Windows, clock: Clock) -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::new(Vec::new())).collect(),
            serial: AtomicU64::new(0),
            owners: Mutex::new(HashSet::new()),
            clock,
            windows,
            profile: Profile::default(),
            max_payments: MAX_STORED_PAYMENTS,
        }
    }

    /// The same store, holding at most `max` payments in all (tests).
    #[cfg(test)]
    pub(super) fn with_max_payments(self, max: u64) -> Self {
        Self {
            max_payments: max,
            ..self
        }
    }

    /// The same store, playing `profile`'s rules.
    pub(super) fn with_profile(self, profile: Profile) -> Self {
        Self { profile, ..self }
    }

    /// Runs `f` on the payment under its lock; `None` when there is none.
    fn with_slot<R>(&self, key: Key, f: impl FnOnce(&mut Slot) -> R) -> Option<R> {
        let mut shard = lock(&self.shards[key.shard()]);
        let slot = shard.get_mut(key.index())?.as_mut()?;
        (slot.date == key.date).then(|| f(slot))
    }

    fn with_payment<R>(&self, payment_id: &str, f: impl FnOnce(&mut Slot) -> R) -> Option<R> {
        self.with_slot(Key::of_payment_id(payment_id)?, f)
    }

    fn owner(&self, owner: String) -> Arc<str> {
        let mut owners = lock(&self.owners);
        if let Some(known) = owners.get(owner.as_str()) {
            return Arc::clone(known);
        }
        let owner: Arc<str> = owner.into();
        owners.insert(Arc::clone(&owner));
        owner
    }

    /// Creates a payment in the requested state with fresh ids.
    #[cfg(test)]
    pub(super) fn seed(&self, seed: Seed) -> Result<PaymentIds, StoreError> {
        self.seed_many(seed, 1).map(|(first, _)| first)
    }

    /// Creates `count` (1 to [`MAX_SEED_COUNT`]) payments alike, and returns
    /// the ids of the first and the last. Their serial numbers are
    /// consecutive: the i-th payment's ids are the first's with i added to
    /// the number that ends them.
    #[cfg(test)]
    pub(super) fn seed_many(
        &self,
        seed: Seed,
        count: u64,
    ) -> Result<(PaymentIds, PaymentIds), StoreError> {
        self.seed_many_at(seed, count, SeedTimes::default())
    }

    /// [`Store::seed_many`] with the payment's clock and its paid (or
    /// created, or cancelled) time given as instants (control plane 1.1).
    pub(super) fn seed_many_at(
        &self,
        seed: Seed,
        count: u64,
        times: SeedTimes,
    ) -> Result<(PaymentIds, PaymentIds), StoreError> {
        if count == 0 || count > MAX_SEED_COUNT {
            return Err(StoreError::BadCount);
        }
        if seed.age > MAX_CLOCK_SHIFT {
            return Err(StoreError::ClockShiftTooLarge);
        }
        let real_now = self.clock.now();
        let offset = times
            .clock
            .map_or(time::Duration::ZERO, |clock| clock - real_now);
        if offset.unsigned_abs() > MAX_CLOCK_SHIFT {
            return Err(StoreError::ClockShiftTooLarge);
        }
        // The payment's own now: what its clock reads.
        let clock_now = real_now.checked_add(offset).unwrap_or(real_now);
        let at = match times.at {
            Some(at) if at > clock_now => return Err(StoreError::InTheFuture),
            Some(at) if (clock_now - at).unsigned_abs() > MAX_CLOCK_SHIFT => {
                return Err(StoreError::ClockShiftTooLarge);
            }
            Some(at) => at,
            None => time::Duration::try_from(seed.age)
                .ok()
                .and_then(|age| clock_now.checked_sub(age))
                .ok_or(StoreError::ClockShiftTooLarge)?,
        };
        match times.created {
            Some(created) if created > clock_now => return Err(StoreError::InTheFuture),
            Some(created) if (clock_now - created).unsigned_abs() > MAX_CLOCK_SHIFT => {
                return Err(StoreError::ClockShiftTooLarge);
            }
            _ => {}
        }
        let now = real_now;
        let paid_at = seed.state.is_paid().then_some(at);
        let cancel_time = (seed.state == PaymentState::Cancelled).then_some(at);
        // A payment seeded without its order time was ordered when it was
        // paid (or created); a cancelled one keeps no order time.
        let created_at = times
            .created
            .or((seed.state != PaymentState::Cancelled).then_some(at));
        let owner = self.owner(seed.owner);
        let date = date_code(now);
        // The serial numbers are taken only if the total stays in bounds.
        let first = self
            .serial
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |serial| {
                serial
                    .checked_add(count)
                    .filter(|total| *total <= self.max_payments)
            })
            .map_err(|_| StoreError::Full)?
            + 1;
        let last = first + (count - 1);
        let slot = || Slot {
            date,
            method: seed.method,
            state: seed.state,
            owner: Arc::clone(&owner),
            paid_at: nanos_of(paid_at),
            cancel_time: nanos_of(cancel_time),
            created_at: nanos_of(created_at),
            offset,
            faults: None,
        };
        // Shard by shard, so a large seed takes each lock once.
        let shards = SHARDS as u64;
        for (number, shard) in self.shards.iter().enumerate() {
            let number = number as u64;
            let start = first + (number + shards - first % shards) % shards;
            if start > last {
                continue;
            }
            let mut shard = lock(shard);
            let end = Key {
                date,
                serial: last - (last + shards - number) % shards,
            }
            .index();
            if shard.len() <= end {
                // One allocation for a large seed (reserve grows to exactly
                // what is asked when that is more than double).
                let additional = end + 1 - shard.len();
                shard.reserve(additional);
                shard.resize_with(end + 1, || None);
            }
            for serial in (start..=last).step_by(SHARDS) {
                shard[Key { date, serial }.index()] = Some(slot());
            }
        }
        Ok((
            Key {
                date,
                serial: first,
            }
            .ids(),
            Key { date, serial: last }.ids(),
        ))
    }

    /// A cancel or inquiry by `caller`: lookup, ownership, scripted fault and
    /// the business rule, all under the payment's lock.
    pub(super) fn call(
        &self,
        caller: &str,
        lookup: Lookup<'_>,
        operation: Operation,
    ) -> CallOutcome {
        let real_now = self.clock.now();
        let key = match lookup {
            Lookup::PaymentId(id) => Key::of_payment_id(id),
            Lookup::PaymentRequestId(id) => Key::of_request_id(id),
        };
        let Some(key) = key else {
            return CallOutcome::NotFound;
        };
        let windows = &self.windows;
        let profile = self.profile;
        let outcome = self.with_slot(key, |slot| {
            if *slot.owner != *caller {
                return CallOutcome::AccessDenied;
            }
            let delivery = match slot.take_fault() {
                None => Delivery::Now,
                Some(fault) => match fault.kind {
                    FaultKind::Unknown => return CallOutcome::Unknown(fault.code),
                    FaultKind::Delay => Delivery::After(fault.delay),
                    FaultKind::Drop => Delivery::Drop,
                },
            };
            let now = slot.now(real_now);
            let mut life = slot.lifecycle();
            if life.expire(now, windows.unpaid_lifetime) {
                slot.set_lifecycle(life);
            }
            let result = match operation {
                Operation::Cancel => {
                    let outcome = life.cancel_as(now, windows, profile);
                    slot.set_lifecycle(life);
                    CallResult::Cancel {
                        ids: key.ids(),
                        outcome,
                    }
                }
                Operation::Inquiry => CallResult::Inquiry {
                    ids: key.ids(),
                    status: life.status(),
                },
            };
            CallOutcome::Done { result, delivery }
        });
        outcome.unwrap_or(CallOutcome::NotFound)
    }

    pub(super) fn view(&self, payment_id: &str) -> Option<PaymentView> {
        let real_now = self.clock.now();
        let key = Key::of_payment_id(payment_id)?;
        let unpaid_lifetime = self.windows.unpaid_lifetime;
        self.with_slot(key, |slot| {
            let ids = key.ids();
            let mut life = slot.lifecycle();
            if life.expire(slot.now(real_now), unpaid_lifetime) {
                slot.set_lifecycle(life);
            }
            PaymentView {
                payment: Payment {
                    payment_id: ids.payment_id,
                    payment_request_id: ids.payment_request_id,
                    owner: slot.owner.to_string(),
                    method: life.method,
                    state: life.state,
                    paid_at: life.paid_at,
                    cancel_time: life.cancel_time,
                },
                now: slot.now(real_now),
            }
        })
    }

    pub(super) fn ids(&self, payment_id: &str) -> Option<PaymentIds> {
        let key = Key::of_payment_id(payment_id)?;
        self.with_slot(key, |_| key.ids())
    }

    pub(super) fn apply_event(
        &self,
        payment_id: &str,
        event: Event,
    ) -> Result<EventOutcome, StoreError> {
        let real_now = self.clock.now();
        let unpaid_lifetime = self.windows.unpaid_lifetime;
        self.with_payment(payment_id, |slot| {
            let now = slot.now(real_now);
            let mut life = slot.lifecycle();
            life.expire(now, unpaid_lifetime);
            let applied = life.apply(event, now);
            slot.set_lifecycle(life);
            EventOutcome {
                applied,
                state: slot.state,
            }
        })
        .ok_or(StoreError::UnknownPayment)
    }

    /// Moves the payment's clock forward by `by`.
    pub(super) fn advance(&self, payment_id: &str, by: Duration) -> Result<(), StoreError> {
        self.with_payment(payment_id, |slot| {
            slot.offset = time::Duration::try_from(by)
                .ok()
                .and_then(|by| slot.offset.checked_add(by))
                .filter(|offset| offset.unsigned_abs() <= MAX_CLOCK_SHIFT)
                .ok_or(StoreError::ClockShiftTooLarge)?;
            Ok(())
        })
        .ok_or(StoreError::UnknownPayment)?
    }

    /// Queues a fault behind any already scripted for the payment.
    pub(super) fn script_fault(&self, payment_id: &str, fault: Fault) -> Result<(), StoreError> {
        self.with_payment(payment_id, |slot| {
            if fault.count > 0 {
                slot.faults.get_or_insert_default().0.push_back(fault);
            }
        })
        .ok_or(StoreError::UnknownPayment)
    }
}

pub(super) mod profile;
#[cfg(test)]
mod tests;
