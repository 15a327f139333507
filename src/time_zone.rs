//! The contract's time zone: the calendar on which the next-day cut-off of
//! a cancellable period is counted (rule `window.contract-time-zone`).
//!
//! The APO payment-status page counts "day T until 00:15 of T+1" in the
//! time zone of the merchant's contract; the Antom guides name UTC+8. The
//! reference server plays one zone (`serve --time-zone`), a run declares the
//! target's zone (`run --time-zone`), and a case whose outcome depends on
//! the zone names it (`time_zone:`), so a run of another zone ignores it
//! with the reason, as for profiles.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer};
use time::UtcOffset;

/// A fixed UTC offset, written `+08:00` (also accepted: `UTC+8`, `+8`,
/// `-05:30`, `Z`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZone(pub UtcOffset);

impl TimeZone {
    /// UTC+8, the zone the vendor's guides name and the default.
    pub const DEFAULT: TimeZone = TimeZone(time::macros::offset!(+8));
}

impl Default for TimeZone {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl fmt::Display for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (hours, minutes, _) = self.0.as_hms();
        let sign = if self.0.is_negative() { '-' } else { '+' };
        write!(f, "{sign}{:02}:{:02}", hours.abs(), minutes.abs())
    }
}

impl FromStr for TimeZone {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || format!("`{text}` is not a UTC offset such as +08:00, UTC+8 or -05:00");
        let trimmed = text.trim();
        let rest = trimmed
            .strip_prefix("UTC")
            .or_else(|| trimmed.strip_prefix("GMT"))
            .unwrap_or(trimmed);
        if rest.is_empty() || rest == "Z" {
            return Ok(TimeZone(UtcOffset::UTC));
        }
        let (sign, digits) = match rest.as_bytes().first() {
            Some(b'+') => (1, &rest[1..]),
            Some(b'-') => (-1, &rest[1..]),
            _ => return Err(bad()),
        };
        let (hours, minutes) = digits.split_once(':').unwrap_or((digits, "0"));
        let number = |part: &str| {
            (!part.is_empty() && part.len() <= 2 && part.bytes().all(|b| b.is_ascii_digit()))
                .then(|| part.parse::<i8>().ok())
                .flatten()
        };
        let (Some(hours), Some(minutes)) = (number(hours), number(minutes)) else {
            return Err(bad());
        };
        if hours > 14 || minutes > 59 {
            return Err(bad());
        }
        UtcOffset::from_hms(sign * hours, sign * minutes, 0)
            .map(TimeZone)
            .map_err(|_| bad())
    }
}

impl<'de> Deserialize<'de> for TimeZone {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for TimeZone {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "TimeZone".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "A fixed UTC offset such as +08:00 (also UTC+8, -05:00, Z).",
            "pattern": "^((UTC|GMT)?([+-][0-9]{1,2}(:[0-9]{1,2})?)?|Z)$"
        })
    }
}

/// Why a case that depends on `case`'s zone is not run when the run
/// declares `run`; `None` when it applies.
pub fn reason_to_skip(case: Option<TimeZone>, run: TimeZone) -> Option<String> {
    let case = case?;
    (case != run).then(|| {
        format!(
            "counts its cut-off in time zone `{case}`; this run declares `{run}` (--time-zone {case} runs it)"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_parse_in_the_usual_spellings_and_print_as_plus_hh_mm() {
        for (text, shown) in [
            ("+08:00", "+08:00"),
            ("UTC+8", "+08:00"),
            ("+8", "+08:00"),
            ("-05:00", "-05:00"),
            ("-03:30", "-03:30"),
            ("Z", "+00:00"),
            ("UTC", "+00:00"),
        ] {
            let zone: TimeZone = text.parse().expect(text);
            assert_eq!(zone.to_string(), shown, "{text}");
        }
        for bad in [
            "8",
            "+8:0x",
            "+15:00",
            "+08:60",
            "UTC+",
            "Asia/Shanghai",
            "+123",
        ] {
            assert!(bad.parse::<TimeZone>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_case_of_another_zone_is_skipped_with_both_zones() {
        let other: TimeZone = "-05:00".parse().expect("zone");
        assert_eq!(reason_to_skip(None, other), None);
        assert_eq!(reason_to_skip(Some(other), other), None);
        let reason = reason_to_skip(Some(other), TimeZone::DEFAULT).expect("skipped");
        assert!(
            reason.contains("`-05:00`") && reason.contains("`+08:00`"),
            "{reason}"
        );
    }
}
