//! How the store finds a payment from its id without hashing: both ids
//! spell the seeding date and a serial number (the id codec), and the serial
//! number picks the shard and the place in it (sharding).

use time::OffsetDateTime;

use crate::domain::PaymentIds;
use crate::server::clock::WIRE_OFFSET;

/// How many locks the payments are spread over. A payment always lives
/// under the same one, so every operation on it is still atomic; payments
/// under different locks never wait for each other.
pub(super) const SHARDS: usize = 64;

/// Digits of the serial number that ends both ids of a payment.
const SERIAL_DIGITS: usize = 17;
/// Digits of the date that starts a payment id.
const DATE_DIGITS: usize = 8;
const REQUEST_ID_PREFIX: &str = "PAY_REQ_";

/// Where a payment is: its serial number, and the date its ids carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Key {
    pub(super) date: u32,
    pub(super) serial: u64,
}

impl Key {
    /// `{date:8}{serial:017}`, e.g. `2024030500000000000000001`.
    pub(super) fn of_payment_id(id: &str) -> Option<Key> {
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
    pub(super) fn of_request_id(id: &str) -> Option<Key> {
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

    pub(super) fn ids(self) -> PaymentIds {
        let Key { date, serial } = self;
        PaymentIds {
            payment_id: format!("{date:0DATE_DIGITS$}{serial:0SERIAL_DIGITS$}"),
            payment_request_id: format!(
                "{REQUEST_ID_PREFIX}{date:0DATE_DIGITS$}_{serial:0SERIAL_DIGITS$}"
            ),
        }
    }

    pub(super) fn shard(self) -> usize {
        // The remainder is below SHARDS, so it fits.
        usize::try_from(self.serial % SHARDS as u64).unwrap_or(0)
    }

    pub(super) fn index(self) -> usize {
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
pub(super) fn date_code(now: OffsetDateTime) -> u32 {
    let local = now.to_offset(WIRE_OFFSET);
    match u32::try_from(local.year()) {
        Ok(year) if year <= 9999 => {
            year * 10_000 + u32::from(u8::from(local.month())) * 100 + u32::from(local.day())
        }
        _ => 0,
    }
}
