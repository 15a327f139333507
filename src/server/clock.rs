//! Where the server's time comes from and how it is written on the wire.
//!
//! Real time is read through a [`Clock`] so that the store's rules can be
//! tested at exact instants; each payment then adds its own offset (see
//! `store`). Every time the server sends is RFC 3339 at UTC+8, the zone the
//! vendor's examples use.

use std::fmt;
use std::sync::Arc;

use time::format_description::BorrowedFormatItem;
use time::macros::{format_description, offset};
use time::{OffsetDateTime, UtcOffset};

/// The zone of every time the server sends.
pub(super) const WIRE_OFFSET: UtcOffset = offset!(+8);

/// Whole seconds and an explicit offset, as in the vendor's example
/// `2019-06-12T19:07:11+08:00`.
const WIRE_FORMAT: &[BorrowedFormatItem<'static>] = format_description!(
    "[year]-[month]-[day]T[hour]:[minute]:[second][offset_hour sign:mandatory]:[offset_minute]"
);

/// A source of "real now".
#[derive(Clone)]
pub(super) struct Clock(Arc<dyn Fn() -> OffsetDateTime + Send + Sync>);

impl Clock {
    /// The system clock.
    pub(super) fn system() -> Self {
        Self(Arc::new(OffsetDateTime::now_utc))
    }

    /// Any function of no arguments, e.g. a fixed instant in tests.
    #[cfg(test)]
    pub(super) fn from_fn(now: impl Fn() -> OffsetDateTime + Send + Sync + 'static) -> Self {
        Self(Arc::new(now))
    }

    pub(super) fn now(&self) -> OffsetDateTime {
        (self.0)()
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Clock")
    }
}

/// `instant` as the server writes it: `2019-06-12T19:07:11+08:00`.
pub(super) fn wire_time(instant: OffsetDateTime) -> String {
    let local = instant.to_offset(WIRE_OFFSET);
    // Formatting with a fixed description only fails for years outside
    // 0..=9999, which the store never produces (clock offsets are bounded);
    // the fallback still carries an offset so it stays parseable.
    local
        .format(WIRE_FORMAT)
        .unwrap_or_else(|_| "1970-01-01T08:00:00+08:00".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn wire_time_is_whole_seconds_at_utc_plus_8() {
        let instant = datetime!(2019-06-12 11:07:11.987 UTC);
        assert_eq!(wire_time(instant), "2019-06-12T19:07:11+08:00");
    }

    #[test]
    fn wire_time_crosses_the_date_line_into_utc_plus_8() {
        let instant = datetime!(2024-02-29 16:30:00 UTC);
        assert_eq!(wire_time(instant), "2024-03-01T00:30:00+08:00");
    }
}
