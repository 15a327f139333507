//! What the trials record of their cases, and the run's tally: each trial
//! pushes its case's [`CaseRecord`] into the shared [`Recorder`]; what is
//! known of a trial before it runs ([`Planned`]) accounts for trials that
//! never recorded anything; [`Counts`] tallies the records in libtest's
//! terms.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use libtest_mimic::{Arguments, Trial};

use super::Outcome;
use crate::suite::failure::Found;

/// One case's outcome, with everything a report shows about it.
#[derive(Debug, Clone)]
pub struct CaseRecord {
    /// The case's permanent name (`server/refund/...`).
    pub name: String,
    pub file: PathBuf,
    pub description: String,
    pub rules: Vec<String>,
    pub outcome: Outcome,
    /// The failure's heading (`MISMATCH`, `TRANSPORT FAILURE`, `BUG IN
    /// CASE`, `UNEXPECTED PASS`), for failures and expected failures.
    pub kind: Option<String>,
    /// The rendered failure (masked), or why the case was ignored.
    pub message: Option<String>,
    /// What the failure found, as data (its differences, each with the
    /// rules it rests on, or its transport error): the headline and the
    /// causes are drawn from it (`report::causes`).
    pub found: Option<Found>,
    /// For a warning (or a listed one): the assumptions and SHOULD rules
    /// the target deviates from, with their reasons.
    pub deviations: Vec<crate::suite::verdict::Deviation>,
    /// The expectations file's reason, when the case is listed there.
    pub expected_failure_reason: Option<String>,
    pub duration: Duration,
}

impl CaseRecord {
    /// The folder part of the name: `server/refund` for
    /// `server/refund/partly-refunded-is-process-fail`.
    pub fn folder(&self) -> &str {
        self.name.rsplit_once('/').map_or("", |(folder, _)| folder)
    }

    /// The failure's first difference on one line (rule, expected,
    /// actual): the JUnit failure message and the JSON `headline`.
    pub fn headline(&self) -> Option<String> {
        let found = self.found.as_ref()?;
        Some(super::causes::headline(found, &self.rules))
    }

    /// What the failure shares with others failing the same way, for the
    /// one-cause summary: (key, line) per difference.
    pub fn causes(&self) -> Vec<(String, String)> {
        self.found
            .as_ref()
            .map(super::causes::cause_keys)
            .unwrap_or_default()
    }
}

/// Where the trials put their records; cloned into every trial.
#[derive(Debug, Clone, Default)]
pub struct Recorder(Arc<Mutex<Vec<CaseRecord>>>);

impl Recorder {
    pub fn push(&self, record: CaseRecord) {
        // A poisoned lock means another trial panicked while pushing; its
        // record is reconciled later, and this one still counts.
        let mut records = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        records.push(record);
    }

    pub(super) fn take(&self) -> Vec<CaseRecord> {
        let mut records = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        std::mem::take(&mut *records)
    }
}

/// What is known of a trial before the harness runs it, to account for
/// trials whose closure never recorded anything.
#[derive(Debug, Clone)]
pub struct Planned {
    pub name: String,
    pub file: PathBuf,
    pub description: String,
    pub rules: Vec<String>,
    /// Left out by a filter, `--skip` or `--exact`: not in the run at all.
    pub(super) filtered_out: bool,
    /// Counted as ignored without running (`--bench`).
    pub(super) ignored_by_harness: bool,
}

impl Planned {
    pub fn new(
        trial: &Trial,
        args: &Arguments,
        file: PathBuf,
        description: String,
        rules: Vec<String>,
    ) -> Planned {
        Planned {
            name: trial.name().to_string(),
            file,
            description,
            rules,
            filtered_out: args.is_filtered_out(trial),
            ignored_by_harness: args.is_ignored(trial),
        }
    }
}

/// The run's tally, in libtest's terms: `passed` includes the expected
/// failures, warnings and flaky cases, `failed` the unexpected passes,
/// `ignored` the not-applicable cases; pending cases are counted apart.
/// The results file writes it as it is (`counts`).
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(default)]
pub struct Counts {
    pub total: u64,
    pub passed: u64,
    pub failed: u64,
    pub ignored: u64,
    pub expected_failures: u64,
    pub unexpected_passes: u64,
    /// Cases that only deviate from assumptions; counted in `passed`.
    pub warnings: u64,
    /// Cases judging a capability the client does not declare; counted
    /// in `ignored` (as libtest counts them), shown apart.
    pub not_applicable: u64,
    /// Cases newer than the pin or the baseline: neither passed, failed
    /// nor ignored (`total` counts them).
    pub pending: u64,
    /// Timing cases that failed once and passed when run again; counted in
    /// `passed`.
    pub flaky: u64,
    pub filtered_out: u64,
}

impl Counts {
    /// The tally of `cases`, `filtered_out` more left out by a filter.
    pub fn of(cases: &[CaseRecord], filtered_out: u64) -> Counts {
        let mut counts = Counts {
            filtered_out,
            ..Counts::default()
        };
        for case in cases {
            counts.total += 1;
            match case.outcome {
                Outcome::Pass => counts.passed += 1,
                Outcome::Warning => {
                    counts.passed += 1;
                    counts.warnings += 1;
                }
                Outcome::Flaky => {
                    counts.passed += 1;
                    counts.flaky += 1;
                }
                Outcome::ExpectedFail => {
                    counts.passed += 1;
                    counts.expected_failures += 1;
                }
                Outcome::Fail => counts.failed += 1,
                Outcome::UnexpectedPass => {
                    counts.failed += 1;
                    counts.unexpected_passes += 1;
                }
                Outcome::Ignored => counts.ignored += 1,
                Outcome::NotApplicable => {
                    counts.ignored += 1;
                    counts.not_applicable += 1;
                }
                Outcome::Pending => counts.pending += 1,
            }
        }
        counts
    }
}
