//! The payments the reference server knows, and every rule about them.
//!
//! [`Payment`] is the pure state machine: what a cancel answers in each state
//! (rules `repeat.*`, `refund.*`, `capture.*`, `state.*`, `window.*`) and
//! which outside events (payment success, capture, refunds) move it where.
//! It takes "now" as an argument and does no I/O, so the rules are tested at
//! exact instants.
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
//! and is kept in about 60 bytes.

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use time::OffsetDateTime;

use super::clock::{Clock, WIRE_OFFSET};
use super::config::Windows;
use crate::spec::api::PaymentStatus;
use crate::suite::case::{Event, FaultKind, FixtureState, Method};

/// The furthest a payment's clock may be moved, and the oldest a seeded
/// payment may be: far beyond any window, and far from the calendar's end.
pub const MAX_CLOCK_SHIFT: Duration = Duration::from_secs(100 * 366 * 24 * 60 * 60);

// ---------------------------------------------------------------------------
// The state machine
// ---------------------------------------------------------------------------

/// A payment as the reference provider knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    pub payment_id: String,
    pub payment_request_id: String,
    /// The client id the payment belongs to; any other caller is denied.
    pub owner: String,
    pub method: Method,
    pub state: FixtureState,
    /// When the buyer paid; the cancellable window is counted from here.
    pub paid_at: Option<OffsetDateTime>,
    /// When the payment was cancelled; set exactly when `state` is cancelled.
    pub cancel_time: Option<OffsetDateTime>,
}

/// What a cancel did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelOutcome {
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
pub enum Refusal {
    /// Partly or fully refunded: PROCESS_FAIL.
    Refunded,
    /// A card capture is under way: ORDER_STATUS_INVALID.
    CaptureInProgress,
    /// Captured: ORDER_STATUS_INVALID.
    Captured,
    /// The payment failed: ORDER_STATUS_INVALID.
    Failed,
    /// Paid, but the window closed at `deadline`: CANCEL_WINDOW_EXCEED.
    WindowExceeded { deadline: OffsetDateTime },
}

/// The part of a payment the rules read and change: [`Payment`] without its
/// names, so that the store runs the same rules on its compact records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Lifecycle {
    method: Method,
    state: FixtureState,
    paid_at: Option<OffsetDateTime>,
    cancel_time: Option<OffsetDateTime>,
}

impl Lifecycle {
    /// Cancels the payment if its state and window allow it.
    ///
    /// The checks run in a fixed order because some states match several
    /// rules (a refunded payment is also captured; a repeat cancel may be past
    /// the window): a repeat is always S, refunds win over capture, and the
    /// window only matters for a payment that could otherwise be cancelled.
    fn cancel(&mut self, now: OffsetDateTime, windows: &Windows) -> CancelOutcome {
        match self.state {
            FixtureState::Cancelled => {
                // Set whenever the state is; `now` only guards against a
                // payment built by hand without one, and is then kept so that
                // every later repeat reports the same time.
                let cancel_time = *self.cancel_time.get_or_insert(now);
                return CancelOutcome::Cancelled {
                    cancel_time,
                    repeat: true,
                };
            }
            FixtureState::PartlyRefunded | FixtureState::FullyRefunded => {
                return CancelOutcome::Refused(Refusal::Refunded);
            }
            FixtureState::Capturing => return CancelOutcome::Refused(Refusal::CaptureInProgress),
            FixtureState::Captured => return CancelOutcome::Refused(Refusal::Captured),
            FixtureState::Failed => return CancelOutcome::Refused(Refusal::Failed),
            FixtureState::Paid => {
                if let Some(deadline) = self.cancel_deadline(windows)
                    && now > deadline
                {
                    return CancelOutcome::Refused(Refusal::WindowExceeded { deadline });
                }
            }
            // No window before payment (rule window.unpaid-always-cancellable).
            FixtureState::AwaitingBuyer => {}
        }
        self.state = FixtureState::Cancelled;
        self.cancel_time = Some(now);
        CancelOutcome::Cancelled {
            cancel_time: now,
            repeat: false,
        }
    }

    /// The last instant a cancel of this payment is still in time; `None`
    /// when no window applies (not paid yet, or a deadline beyond the
    /// calendar).
    fn cancel_deadline(&self, windows: &Windows) -> Option<OffsetDateTime> {
        let paid_at = self.paid_at?;
        match self.method {
            Method::Card => paid_at.checked_add(windows.card.try_into().ok()?),
            Method::Wallet => {
                let local = paid_at.to_offset(windows.wallet_offset);
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
    fn apply(&mut self, event: Event, now: OffsetDateTime) -> bool {
        use FixtureState as S;
        let next = match (event, self.state) {
            // A late payment-success notification is absorbed: the payment
            // stays cancelled forever (rule state.cancelled-is-final).
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
    fn status(&self) -> PaymentStatus {
        match self.state {
            FixtureState::AwaitingBuyer => PaymentStatus::Processing,
            FixtureState::Paid
            | FixtureState::Capturing
            | FixtureState::Captured
            | FixtureState::PartlyRefunded
            | FixtureState::FullyRefunded => PaymentStatus::Success,
            FixtureState::Cancelled => PaymentStatus::Cancelled,
            FixtureState::Failed => PaymentStatus::Fail,
        }
    }
}

// ---------------------------------------------------------------------------
// Faults
// ---------------------------------------------------------------------------

/// The U codes a scripted `unknown` fault may answer with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum UnknownCode {
    SystemError,
    RequestTrafficExceedLimit,
    /// The default: the U code the vendor's sandbox and published tables use.
    #[default]
    UnknownException,
}

impl UnknownCode {
    pub const ALL: [UnknownCode; 3] = [
        UnknownCode::SystemError,
        UnknownCode::RequestTrafficExceedLimit,
        UnknownCode::UnknownException,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            UnknownCode::SystemError => "SYSTEM_ERROR",
            UnknownCode::RequestTrafficExceedLimit => "REQUEST_TRAFFIC_EXCEED_LIMIT",
            UnknownCode::UnknownException => "UNKNOWN_EXCEPTION",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|known| known.as_str() == code)
    }
}

/// A fault scripted for a payment's next `count` API calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault {
    pub kind: FaultKind,
    /// Used by `unknown` only.
    pub code: UnknownCode,
    /// Used by `delay` only.
    pub delay: Duration,
    pub count: u32,
}

/// How an answer that was carried out reaches the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    Now,
    /// Held this long before it is sent.
    After(Duration),
    /// The connection ends before the answer is complete.
    Drop,
}

// ---------------------------------------------------------------------------
// The store
// ---------------------------------------------------------------------------

/// The identifiers of one payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ids {
    pub payment_id: String,
    pub payment_request_id: String,
}

/// How a request names its payment. The API layer decides which id governs
/// (rule ident.payment-id-precedence); the store never falls back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup<'a> {
    PaymentId(&'a str),
    PaymentRequestId(&'a str),
}

/// Which API a call is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Cancel,
    Inquiry,
}

/// What an API call on the store came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallOutcome {
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
pub enum CallResult {
    Cancel { ids: Ids, outcome: CancelOutcome },
    Inquiry { ids: Ids, status: PaymentStatus },
}

/// What the control plane asks to be seeded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seed {
    pub state: FixtureState,
    pub method: Method,
    /// How long ago the buyer paid (or the payment was created, or cancelled).
    pub age: Duration,
    pub owner: String,
}

/// A payment as the control plane shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentView {
    pub payment: Payment,
    /// The payment's "now".
    pub now: OffsetDateTime,
}

/// What an outside event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventOutcome {
    pub applied: bool,
    pub state: FixtureState,
}

/// Why the control plane's request could not be carried out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreError {
    UnknownPayment,
    /// An age or clock move beyond [`MAX_CLOCK_SHIFT`].
    ClockShiftTooLarge,
    /// A seeding count of 0 or above [`MAX_SEED_COUNT`].
    BadCount,
}

/// How many locks the payments are spread over. A payment always lives
/// under the same one, so every operation on it is still atomic; payments
/// under different locks never wait for each other.
const SHARDS: usize = 64;

/// The most payments one seeding call may create: a bound on what a single
/// control-plane request can make the server allocate (about 60 MB).
pub const MAX_SEED_COUNT: u64 = 1_000_000;

/// `paid_at` / `cancel_time` not set.
const NO_INSTANT: i64 = i64::MIN;

/// Digits of the serial number that ends both ids of a payment.
const SERIAL_DIGITS: usize = 17;
/// Digits of the date that starts a payment id.
const DATE_DIGITS: usize = 8;
const REQUEST_ID_PREFIX: &str = "PAY_REQ_";

/// One payment as the store keeps it. Its ids are not stored: they are
/// spelled from `date` and the serial number the slot is found by.
struct Slot {
    /// The seeding day (UTC+8) as `yyyymmdd`, part of both ids.
    date: u32,
    method: Method,
    state: FixtureState,
    /// Shared by every payment of the same owner.
    owner: Arc<str>,
    /// Unix nanoseconds, or [`NO_INSTANT`].
    paid_at: i64,
    /// Unix nanoseconds, or [`NO_INSTANT`].
    cancel_time: i64,
    /// Added to real now to get this payment's now; at most
    /// [`MAX_CLOCK_SHIFT`].
    offset: Duration,
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
        time::Duration::try_from(self.offset)
            .ok()
            .and_then(|offset| real_now.checked_add(offset))
            .unwrap_or(real_now)
    }

    fn lifecycle(&self) -> Lifecycle {
        Lifecycle {
            method: self.method,
            state: self.state,
            paid_at: instant_of(self.paid_at),
            cancel_time: instant_of(self.cancel_time),
        }
    }

    fn set_lifecycle(&mut self, life: Lifecycle) {
        self.state = life.state;
        self.paid_at = nanos_of(life.paid_at);
        self.cancel_time = nanos_of(life.cancel_time);
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

/// Where a payment is: its serial number, and the date its ids carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Key {
    date: u32,
    serial: u64,
}

impl Key {
    /// `{date:8}{serial:017}`, e.g. `2024030500000000000000001`.
    fn of_payment_id(id: &str) -> Option<Key> {
        if id.len() != DATE_DIGITS + SERIAL_DIGITS {
            return None;
        }
        let (date, serial) = id.split_at(DATE_DIGITS);
        Some(Key {
            date: u32::try_from(digits(date)?).ok()?,
            serial: digits(serial)?,
        })
    }

    /// `PAY_REQ_{date:8}_{serial:017}`.
    fn of_request_id(id: &str) -> Option<Key> {
        let rest = id.strip_prefix(REQUEST_ID_PREFIX)?;
        if rest.len() != DATE_DIGITS + 1 + SERIAL_DIGITS {
            return None;
        }
        let (date, serial) = rest.split_at(DATE_DIGITS);
        Some(Key {
            date: u32::try_from(digits(date)?).ok()?,
            serial: digits(serial.strip_prefix('_')?)?,
        })
    }

    fn ids(self) -> Ids {
        let Key { date, serial } = self;
        Ids {
            payment_id: format!("{date:0DATE_DIGITS$}{serial:0SERIAL_DIGITS$}"),
            payment_request_id: format!(
                "{REQUEST_ID_PREFIX}{date:0DATE_DIGITS$}_{serial:0SERIAL_DIGITS$}"
            ),
        }
    }

    fn shard(self) -> usize {
        // The remainder is below SHARDS, so it fits.
        usize::try_from(self.serial % SHARDS as u64).unwrap_or(0)
    }

    fn index(self) -> usize {
        usize::try_from(self.serial / SHARDS as u64).unwrap_or(usize::MAX)
    }
}

/// The value of a string of ASCII digits, nothing else.
fn digits(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// The day of `now` at UTC+8 as `yyyymmdd`, the date in fresh ids (0 for a
/// year outside 0..=9999, which the bounded clocks never reach).
fn date_code(now: OffsetDateTime) -> u32 {
    let local = now.to_offset(WIRE_OFFSET);
    match u32::try_from(local.year()) {
        Ok(year) if year <= 9999 => {
            year * 10_000 + u32::from(u8::from(local.month())) * 100 + u32::from(local.day())
        }
        _ => 0,
    }
}

type Shard = Mutex<Vec<Option<Slot>>>;

/// All payments. Each lives in one of [`SHARDS`] vectors, at the place its
/// serial number gives, behind that vector's lock: every call and event on a
/// payment holds its lock from the first read to the last write, which is
/// what makes concurrent cancels, refunds and captures on one payment answer
/// consistently. Nothing slow happens under a lock.
pub struct Store {
    shards: Box<[Shard]>,
    /// The last serial number handed out.
    serial: AtomicU64,
    /// One copy of each owner's client id, shared by its payments.
    owners: Mutex<HashSet<Arc<str>>>,
    clock: Clock,
    windows: Windows,
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
    pub fn new(windows: Windows) -> Self {
        Self::with_clock(windows, Clock::system())
    }

    pub fn with_clock(windows: Windows, clock: Clock) -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::new(Vec::new())).collect(),
            serial: AtomicU64::new(0),
            owners: Mutex::new(HashSet::new()),
            clock,
            windows,
        }
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
    pub fn seed(&self, seed: Seed) -> Result<Ids, StoreError> {
        self.seed_many(seed, 1).map(|(first, _)| first)
    }

    /// Creates `count` (1 to [`MAX_SEED_COUNT`]) payments alike, and returns
    /// the ids of the first and the last. Their serial numbers are
    /// consecutive: the i-th payment's ids are the first's with i added to
    /// the number that ends them.
    pub fn seed_many(&self, seed: Seed, count: u64) -> Result<(Ids, Ids), StoreError> {
        if count == 0 || count > MAX_SEED_COUNT {
            return Err(StoreError::BadCount);
        }
        if seed.age > MAX_CLOCK_SHIFT {
            return Err(StoreError::ClockShiftTooLarge);
        }
        let now = self.clock.now();
        let at = time::Duration::try_from(seed.age)
            .ok()
            .and_then(|age| now.checked_sub(age))
            .ok_or(StoreError::ClockShiftTooLarge)?;
        let paid_at = match seed.state {
            FixtureState::Paid
            | FixtureState::Capturing
            | FixtureState::Captured
            | FixtureState::PartlyRefunded
            | FixtureState::FullyRefunded => Some(at),
            FixtureState::AwaitingBuyer | FixtureState::Cancelled | FixtureState::Failed => None,
        };
        let cancel_time = (seed.state == FixtureState::Cancelled).then_some(at);
        let owner = self.owner(seed.owner);
        let date = date_code(now);
        let first = self.serial.fetch_add(count, Ordering::Relaxed) + 1;
        let last = first + (count - 1);
        let slot = || Slot {
            date,
            method: seed.method,
            state: seed.state,
            owner: Arc::clone(&owner),
            paid_at: nanos_of(paid_at),
            cancel_time: nanos_of(cancel_time),
            offset: Duration::ZERO,
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
    pub fn call(&self, caller: &str, lookup: Lookup<'_>, operation: Operation) -> CallOutcome {
        let real_now = self.clock.now();
        let key = match lookup {
            Lookup::PaymentId(id) => Key::of_payment_id(id),
            Lookup::PaymentRequestId(id) => Key::of_request_id(id),
        };
        let Some(key) = key else {
            return CallOutcome::NotFound;
        };
        let windows = &self.windows;
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
            let result = match operation {
                Operation::Cancel => {
                    let outcome = life.cancel(now, windows);
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

    pub fn view(&self, payment_id: &str) -> Option<PaymentView> {
        let real_now = self.clock.now();
        let key = Key::of_payment_id(payment_id)?;
        self.with_slot(key, |slot| {
            let ids = key.ids();
            let life = slot.lifecycle();
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

    pub fn ids(&self, payment_id: &str) -> Option<Ids> {
        let key = Key::of_payment_id(payment_id)?;
        self.with_slot(key, |_| key.ids())
    }

    pub fn apply_event(&self, payment_id: &str, event: Event) -> Result<EventOutcome, StoreError> {
        let real_now = self.clock.now();
        self.with_payment(payment_id, |slot| {
            let now = slot.now(real_now);
            let mut life = slot.lifecycle();
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
    pub fn advance(&self, payment_id: &str, by: Duration) -> Result<(), StoreError> {
        self.with_payment(payment_id, |slot| {
            slot.offset = slot
                .offset
                .checked_add(by)
                .filter(|offset| *offset <= MAX_CLOCK_SHIFT)
                .ok_or(StoreError::ClockShiftTooLarge)?;
            Ok(())
        })
        .ok_or(StoreError::UnknownPayment)?
    }

    /// Queues a fault behind any already scripted for the payment.
    pub fn script_fault(&self, payment_id: &str, fault: Fault) -> Result<(), StoreError> {
        self.with_payment(payment_id, |slot| {
            if fault.count > 0 {
                slot.faults.get_or_insert_default().0.push_back(fault);
            }
        })
        .ok_or(StoreError::UnknownPayment)
    }
}

#[cfg(test)]
mod tests {
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
    fn payment(state: FixtureState, method: Method) -> Lifecycle {
        let paid = !matches!(
            state,
            FixtureState::AwaitingBuyer | FixtureState::Cancelled | FixtureState::Failed
        );
        Lifecycle {
            method,
            state,
            paid_at: paid.then_some(T0),
            cancel_time: (state == FixtureState::Cancelled).then_some(T0),
        }
    }

    fn store_at(instant: OffsetDateTime) -> Store {
        Store::with_clock(Windows::default(), Clock::from_fn(move || instant))
    }

    fn seed(store: &Store, state: FixtureState, method: Method, age: Duration) -> Ids {
        store
            .seed(Seed {
                state,
                method,
                age,
                owner: OWNER.into(),
            })
            .expect("age is within bounds")
    }

    fn cancel(store: &Store, ids: &Ids) -> CallOutcome {
        store.call(OWNER, Lookup::PaymentId(&ids.payment_id), Operation::Cancel)
    }

    fn cancel_outcome(store: &Store, ids: &Ids) -> CancelOutcome {
        match cancel(store, ids) {
            CallOutcome::Done {
                result: CallResult::Cancel { outcome, .. },
                ..
            } => outcome,
            other => panic!("expected a carried-out cancel, got {other:?}"),
        }
    }

    fn is_cancelled(outcome: CancelOutcome) -> bool {
        matches!(outcome, CancelOutcome::Cancelled { .. })
    }

    // ----- cancel rules, in their order

    #[test]
    fn repeat_cancel_is_success_with_the_original_time() {
        let mut p = payment(FixtureState::Paid, Method::Card);
        let first = p.cancel(T0 + time::Duration::minutes(5), &Windows::default());
        let later = T0 + time::Duration::days(30);
        let again = p.cancel(later, &Windows::default());
        let CancelOutcome::Cancelled {
            cancel_time,
            repeat: false,
        } = first
        else {
            panic!("first cancel: {first:?}");
        };
        assert_eq!(
            again,
            CancelOutcome::Cancelled {
                cancel_time,
                repeat: true
            }
        );
        assert_eq!(p.cancel_time, Some(cancel_time));
    }

    #[test]
    fn seeded_cancelled_payment_repeats_its_seeded_time() {
        let mut p = payment(FixtureState::Cancelled, Method::Wallet);
        assert_eq!(
            p.cancel(T0 + time::Duration::days(400), &Windows::default()),
            CancelOutcome::Cancelled {
                cancel_time: T0,
                repeat: true
            }
        );
    }

    #[test]
    fn refunded_payments_are_process_fail_even_inside_the_window() {
        for state in [FixtureState::PartlyRefunded, FixtureState::FullyRefunded] {
            for method in [Method::Card, Method::Wallet] {
                let mut p = payment(state, method);
                assert_eq!(
                    p.cancel(T0, &Windows::default()),
                    CancelOutcome::Refused(Refusal::Refunded)
                );
                assert_eq!(p.state, state, "a refused cancel changes nothing");
                assert_eq!(p.cancel_time, None);
            }
        }
    }

    #[test]
    fn capture_in_progress_and_captured_are_status_invalid() {
        let mut capturing = payment(FixtureState::Capturing, Method::Card);
        assert_eq!(
            capturing.cancel(T0, &Windows::default()),
            CancelOutcome::Refused(Refusal::CaptureInProgress)
        );
        assert_eq!(capturing.state, FixtureState::Capturing);
        for method in [Method::Card, Method::Wallet] {
            let mut captured = payment(FixtureState::Captured, method);
            assert_eq!(
                captured.cancel(T0, &Windows::default()),
                CancelOutcome::Refused(Refusal::Captured)
            );
            assert_eq!(captured.state, FixtureState::Captured);
        }
    }

    #[test]
    fn failed_payment_is_status_invalid() {
        let mut p = payment(FixtureState::Failed, Method::Card);
        assert_eq!(
            p.cancel(T0, &Windows::default()),
            CancelOutcome::Refused(Refusal::Failed)
        );
        assert_eq!(p.state, FixtureState::Failed);
    }

    #[test]
    fn refund_wins_over_window_and_capture_wins_over_window() {
        let far = T0 + time::Duration::days(365);
        let mut refunded = payment(FixtureState::FullyRefunded, Method::Card);
        assert_eq!(
            refunded.cancel(far, &Windows::default()),
            CancelOutcome::Refused(Refusal::Refunded)
        );
        let mut captured = payment(FixtureState::Captured, Method::Card);
        assert_eq!(
            captured.cancel(far, &Windows::default()),
            CancelOutcome::Refused(Refusal::Captured)
        );
    }

    #[test]
    fn paid_payment_in_window_is_cancelled_now() {
        let mut p = payment(FixtureState::Paid, Method::Wallet);
        let now = T0 + time::Duration::hours(1);
        assert_eq!(
            p.cancel(now, &Windows::default()),
            CancelOutcome::Cancelled {
                cancel_time: now,
                repeat: false
            }
        );
        assert_eq!(p.state, FixtureState::Cancelled);
        assert_eq!(p.cancel_time, Some(now));
        assert_eq!(p.status(), PaymentStatus::Cancelled);
    }

    #[test]
    fn awaiting_buyer_has_no_window() {
        for method in [Method::Card, Method::Wallet] {
            let mut p = payment(FixtureState::AwaitingBuyer, method);
            let much_later = T0 + time::Duration::days(3650);
            assert!(is_cancelled(p.cancel(much_later, &Windows::default())));
            assert_eq!(p.state, FixtureState::Cancelled);
        }
    }

    // ----- windows at their boundaries, through the per-payment clock

    #[test]
    fn card_window_includes_exactly_seven_days_and_not_a_millisecond_more() {
        let store = store_at(T0);
        let on_time = seed(&store, FixtureState::Paid, Method::Card, Duration::ZERO);
        let late = seed(&store, FixtureState::Paid, Method::Card, Duration::ZERO);
        store.advance(&on_time.payment_id, 7 * DAY).unwrap();
        store.advance(&late.payment_id, 7 * DAY + MS).unwrap();
        assert_eq!(
            cancel_outcome(&store, &on_time),
            CancelOutcome::Cancelled {
                cancel_time: T0 + time::Duration::days(7),
                repeat: false
            }
        );
        assert_eq!(
            cancel_outcome(&store, &late),
            CancelOutcome::Refused(Refusal::WindowExceeded {
                deadline: T0 + time::Duration::days(7)
            })
        );
        assert_eq!(
            store.view(&late.payment_id).unwrap().payment.state,
            FixtureState::Paid
        );
    }

    #[test]
    fn card_age_counts_like_clock_moves() {
        let store = store_at(T0);
        let old = seed(&store, FixtureState::Paid, Method::Card, 7 * DAY + MS);
        let just_in = seed(&store, FixtureState::Paid, Method::Card, 7 * DAY);
        assert!(!is_cancelled(cancel_outcome(&store, &old)));
        assert!(is_cancelled(cancel_outcome(&store, &just_in)));
    }

    #[test]
    fn wallet_window_ends_at_00_15_utc_plus_8_on_the_next_day() {
        // Paid 10:00 +08:00 on the 5th: in time until the 6th 00:15 +08:00,
        // i.e. 14 h 15 min later.
        let store = store_at(T0);
        let on_time = seed(&store, FixtureState::Paid, Method::Wallet, Duration::ZERO);
        let late = seed(&store, FixtureState::Paid, Method::Wallet, Duration::ZERO);
        let until = Duration::from_secs(14 * 3600 + 15 * 60);
        store.advance(&on_time.payment_id, until).unwrap();
        store.advance(&late.payment_id, until + MS).unwrap();
        let deadline = datetime!(2024-03-06 00:15:00 +08:00);
        assert_eq!(
            cancel_outcome(&store, &on_time),
            CancelOutcome::Cancelled {
                cancel_time: deadline,
                repeat: false
            }
        );
        assert_eq!(
            cancel_outcome(&store, &late),
            CancelOutcome::Refused(Refusal::WindowExceeded { deadline })
        );
    }

    /// The default cancel deadline of a wallet payment paid at `paid`.
    fn wallet_deadline(paid: OffsetDateTime) -> Option<OffsetDateTime> {
        Lifecycle {
            paid_at: Some(paid),
            ..payment(FixtureState::Paid, Method::Wallet)
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
        let mut p = payment(FixtureState::Paid, Method::Card);
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
            FixtureState::AwaitingBuyer,
            Method::Card,
            Duration::ZERO,
        );
        store.advance(&ids.payment_id, 30 * DAY).unwrap();
        let outcome = store
            .apply_event(&ids.payment_id, Event::PaymentSuccess)
            .unwrap();
        assert_eq!(
            outcome,
            EventOutcome {
                applied: true,
                state: FixtureState::Paid
            }
        );
        assert_eq!(
            store.view(&ids.payment_id).unwrap().payment.paid_at,
            Some(T0 + time::Duration::days(30))
        );
        store.advance(&ids.payment_id, 7 * DAY + MS).unwrap();
        assert!(!is_cancelled(cancel_outcome(&store, &ids)));
    }

    #[test]
    fn clocks_are_per_payment() {
        let store = store_at(T0);
        let moved = seed(&store, FixtureState::Paid, Method::Card, Duration::ZERO);
        let still = seed(&store, FixtureState::Paid, Method::Card, Duration::ZERO);
        store.advance(&moved.payment_id, 8 * DAY).unwrap();
        assert_eq!(store.view(&still.payment_id).unwrap().now, T0);
        assert!(is_cancelled(cancel_outcome(&store, &still)));
        assert!(!is_cancelled(cancel_outcome(&store, &moved)));
    }

    #[test]
    fn clock_moves_are_bounded() {
        let store = store_at(T0);
        let ids = seed(&store, FixtureState::Paid, Method::Card, Duration::ZERO);
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
            state: FixtureState::Paid,
            method: Method::Card,
            age: Duration::MAX,
            owner: OWNER.into(),
        });
        assert_eq!(too_old, Err(StoreError::ClockShiftTooLarge));
        assert_eq!(store.advance("nope", MS), Err(StoreError::UnknownPayment));
    }

    // ----- events

    fn after(state: FixtureState, method: Method, event: Event) -> (bool, FixtureState) {
        let mut p = payment(state, method);
        let applied = p.apply(event, T0);
        (applied, p.state)
    }

    #[test]
    fn every_event_in_every_state() {
        use Event as E;
        use FixtureState as S;
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
                        (E::PaymentSuccess, S::Cancelled) => Some(S::Cancelled),
                        (E::CaptureStarted, S::Paid) if method == Method::Card => {
                            Some(S::Capturing)
                        }
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
            let mut p = payment(FixtureState::Cancelled, Method::Card);
            let before = p;
            p.apply(event, T0 + time::Duration::hours(1));
            assert_eq!(p, before, "{event:?} changed a cancelled payment");
        }
    }

    #[test]
    fn late_payment_success_is_accepted_but_the_payment_stays_cancelled() {
        let store = store_at(T0);
        let ids = seed(
            &store,
            FixtureState::AwaitingBuyer,
            Method::Wallet,
            Duration::ZERO,
        );
        assert!(is_cancelled(cancel_outcome(&store, &ids)));
        let outcome = store
            .apply_event(&ids.payment_id, Event::PaymentSuccess)
            .unwrap();
        assert_eq!(
            outcome,
            EventOutcome {
                applied: true,
                state: FixtureState::Cancelled
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
        use FixtureState as S;
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

    // ----- lookup, ownership, faults

    #[test]
    fn lookup_by_either_id_and_unknown_ids() {
        let store = store_at(T0);
        let ids = seed(&store, FixtureState::Paid, Method::Wallet, Duration::ZERO);
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
        let ids = seed(&store, FixtureState::Paid, Method::Wallet, Duration::ZERO);
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
            FixtureState::Paid
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
        let ids = seed(&store, FixtureState::Paid, Method::Wallet, Duration::ZERO);
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
                FixtureState::Paid
            );
        }
        assert!(is_cancelled(cancel_outcome(&store, &ids)));
    }

    #[test]
    fn delay_and_drop_faults_carry_out_the_call() {
        let store = store_at(T0);
        let ids = seed(&store, FixtureState::Paid, Method::Wallet, Duration::ZERO);
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
            FixtureState::Cancelled
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
        let a = seed(&store, FixtureState::Paid, Method::Card, Duration::ZERO);
        let b = seed(&store, FixtureState::Paid, Method::Card, Duration::ZERO);
        assert_ne!(a.payment_id, b.payment_id);
        assert_ne!(a.payment_request_id, b.payment_request_id);
        assert_eq!(a.payment_id, "2024030500000000000000001");
        assert!(a.payment_id.len() <= MAX_ID_LEN && a.payment_request_id.len() <= MAX_ID_LEN);
    }

    #[test]
    fn bulk_seeds_are_consecutive_and_found_by_either_id() {
        let store = store_at(T0);
        let before = seed(&store, FixtureState::Paid, Method::Card, Duration::ZERO);
        let (first, last) = store
            .seed_many(
                Seed {
                    state: FixtureState::Captured,
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
            assert_eq!(view.payment.state, FixtureState::Captured);
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
            FixtureState::Paid
        );
        let after = seed(&store, FixtureState::Paid, Method::Card, Duration::ZERO);
        assert_eq!(after.payment_id, "2024030500000000000000202");
    }

    #[test]
    fn seed_counts_are_bounded() {
        let store = store_at(T0);
        let seed = || Seed {
            state: FixtureState::Paid,
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
    fn ids_that_merely_look_alike_find_nothing() {
        let store = store_at(T0);
        let ids = seed(&store, FixtureState::Paid, Method::Card, Duration::ZERO);
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
            FixtureState::Paid,
            "nothing was cancelled"
        );
    }

    #[test]
    fn seeded_states_carry_their_times() {
        let store = store_at(T0);
        let hour = Duration::from_secs(3600);
        let cancelled = seed(&store, FixtureState::Cancelled, Method::Wallet, hour);
        let view = store.view(&cancelled.payment_id).unwrap().payment;
        assert_eq!(view.cancel_time, Some(T0 - time::Duration::hours(1)));
        let captured = seed(&store, FixtureState::Captured, Method::Wallet, hour);
        let view = store.view(&captured.payment_id).unwrap().payment;
        assert_eq!(view.paid_at, Some(T0 - time::Duration::hours(1)));
        assert_eq!(view.state, FixtureState::Captured);
        let waiting = seed(&store, FixtureState::AwaitingBuyer, Method::Card, hour);
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
        let ids: Arc<Vec<Ids>> = Arc::new(
            (0..PAYMENTS)
                .map(|_| seed(&store, FixtureState::Paid, Method::Card, Duration::ZERO))
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
                assert_eq!(state, FixtureState::Cancelled);
            } else {
                assert!(events.iter().any(|&a| a), "{index}: nothing took effect");
                assert_ne!(state, FixtureState::Cancelled);
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
        let ids = seed(&store, FixtureState::Paid, Method::Card, Duration::ZERO);
        let handles: Vec<_> = (0..16)
            .map(|_| {
                let store = Arc::clone(&store);
                let ids = ids.clone();
                std::thread::spawn(move || cancel_outcome(&store, &ids))
            })
            .collect();
        let outcomes: Vec<CancelOutcome> = handles
            .into_iter()
            .map(|h| h.join().expect("no panic"))
            .collect();
        let firsts = outcomes
            .iter()
            .filter(|o| matches!(o, CancelOutcome::Cancelled { repeat: false, .. }))
            .count();
        assert_eq!(firsts, 1, "exactly one cancel is the first");
        let times: Vec<_> = outcomes
            .iter()
            .map(|o| match o {
                CancelOutcome::Cancelled { cancel_time, .. } => *cancel_time,
                CancelOutcome::Refused(r) => panic!("refused: {r:?}"),
            })
            .collect();
        assert!(times.windows(2).all(|w| w[0] == w[1]));
    }
}
