//! Pending cases: a case newer than what the user pinned. Conformance
//! suites used as release gates keep new checks informational until the
//! user moves their pin (Pact's pending pacts, versioned requirement
//! sets): here a case added after `--suite-version V`, or absent from the
//! `--baseline`, runs and is shown, but is counted apart as *pending* and
//! never fails the run. So a client's CI does not break the day the suite
//! grows.

use std::collections::BTreeSet;
use std::fmt;

/// A suite version, `MAJOR.MINOR.PATCH`, compared as numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(u64, u64, u64);

impl Version {
    /// `0.2.0`; `None` for anything else (a `v` prefix, a pre-release).
    pub fn parse(text: &str) -> Option<Version> {
        let mut parts = text.split('.').map(|part| {
            // `01` is refused: one version has one spelling.
            (!part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
                .then_some(part)
                .filter(|part| part.len() == 1 || !part.starts_with('0'))
                .and_then(|part| part.parse::<u64>().ok())
        });
        let version = Version(parts.next()??, parts.next()??, parts.next()??);
        parts.next().is_none().then_some(version)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

/// Why a pin (`--suite-version`, `suite_version:`) cannot be honoured.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PinError {
    #[error("--suite-version `{0}` is not a suite version like 0.1.0")]
    NotAVersion(String),
    #[error(
        "--suite-version {pin} is newer than this binary's suite {suite}: install cancel-conformance {pin} or later"
    )]
    Newer { pin: Version, suite: &'static str },
}

/// What makes a case pending in a run: the pinned suite version, the
/// cases of the baseline. Neither given, no case is pending.
#[derive(Debug, Clone, Default)]
pub struct Pending {
    pin: Option<Version>,
    baseline: Option<(String, BTreeSet<String>)>,
}

impl Pending {
    /// The pin as given (`--suite-version`, `suite_version:`), checked:
    /// a pin that is not a version, or is newer than this suite, stops the
    /// run — a pin the binary cannot honour must not pass silently.
    pub fn new(pin: Option<&str>) -> Result<Pending, PinError> {
        let pin = pin
            .map(|text| {
                let version =
                    Version::parse(text).ok_or_else(|| PinError::NotAVersion(text.to_string()))?;
                let suite = Version::parse(super::embedded::SUITE_VERSION);
                if suite.is_some_and(|suite| version > suite) {
                    return Err(PinError::Newer {
                        pin: version,
                        suite: super::embedded::SUITE_VERSION,
                    });
                }
                Ok(version)
            })
            .transpose()?;
        Ok(Pending {
            pin,
            baseline: None,
        })
    }

    /// Cases absent from the baseline `file` (whose cases are `names`) are
    /// pending too.
    pub fn with_baseline(mut self, file: String, names: BTreeSet<String>) -> Pending {
        self.baseline = Some((file, names));
        self
    }

    /// Why the case `name`, added in suite `since`, is pending; `None`
    /// when it is judged as usual. A `since` that is not a version was
    /// refused when the case loaded.
    pub fn reason(&self, name: &str, since: &str) -> Option<String> {
        if let (Some(pin), Some(added)) = (self.pin, Version::parse(since))
            && added > pin
        {
            return Some(format!(
                "pending: added in suite {added}, after the pinned --suite-version {pin}"
            ));
        }
        match &self.baseline {
            Some((file, names)) if !names.contains(name) => {
                Some(format!("pending: not in the baseline {file}"))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_as_numbers_and_have_one_spelling() {
        let v = |text| Version::parse(text).expect(text);
        assert!(v("0.10.0") > v("0.9.1"));
        assert!(v("1.0.0") > v("0.99.99"));
        assert_eq!(v("0.2.0").to_string(), "0.2.0");
        for bad in [
            "",
            "0.2",
            "v0.2.0",
            "0.2.0-rc1",
            "0.02.0",
            "0.2.0.1",
            "a.b.c",
        ] {
            assert_eq!(Version::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_case_newer_than_the_pin_or_missing_from_the_baseline_is_pending() {
        let pinned = Pending::new(Some("0.1.0")).expect("a pin");
        assert_eq!(pinned.reason("server/a", "0.1.0"), None);
        let reason = pinned.reason("server/b", "0.2.0").expect("pending");
        assert!(
            reason.contains("0.2.0") && reason.contains("0.1.0"),
            "{reason}"
        );

        let unpinned = Pending::new(None).expect("no pin");
        assert_eq!(unpinned.reason("server/b", "0.2.0"), None);
        let gated = unpinned.with_baseline("base.json".into(), ["server/a".to_string()].into());
        assert_eq!(gated.reason("server/a", "0.2.0"), None);
        let reason = gated.reason("server/b", "0.1.0").expect("pending");
        assert!(reason.contains("base.json"), "{reason}");
    }

    #[test]
    fn a_pin_that_is_not_a_version_or_is_too_new_stops_the_run() {
        let err = Pending::new(Some("latest")).expect_err("not a version");
        assert_eq!(err, PinError::NotAVersion("latest".into()));
        assert!(err.to_string().contains("latest"), "{err}");
        let err = Pending::new(Some("999.0.0")).expect_err("too new");
        assert!(matches!(err, PinError::Newer { .. }), "{err}");
        assert!(err.to_string().contains("newer than this binary"), "{err}");
    }
}
