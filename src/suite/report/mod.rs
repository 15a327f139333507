//! The reports of a run, written after the test harness is done: JUnit XML
//! for CI dashboards ([`junit`]), a JSON results file for tools ([`json`]),
//! and a self-contained HTML conformance page for people ([`html`]).
//!
//! Each trial records its case's outcome in a shared [`Recorder`]; the
//! records and the harness's own tally are reconciled in [`Report::new`], so
//! every report counts exactly what libtest's summary line counts. Reports
//! only ever hold text that was already rendered for a person, where keys
//! and signatures are masked.

pub mod gate;
pub mod html;
pub mod json;
pub mod junit;
#[cfg(test)]
mod junit_schema;
pub mod output;
pub mod results;
pub mod summary;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use libtest_mimic::{Arguments, Conclusion, Trial};
use time::OffsetDateTime;

use crate::spec::catalog::Catalog;
pub(crate) use output::write_file;

/// Where to write the reports; every one is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
pub struct ReportArgs {
    /// Write a JUnit XML report here (one testcase per case).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write a JSON results file here (counts and every case's outcome).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write a self-contained HTML conformance page here (rules × cases).
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Write a Markdown job summary here (counts, regressions, each
    /// failure's first difference, links into the --html report); on
    /// GitHub Actions give "$GITHUB_STEP_SUMMARY".
    #[arg(long, value_name = "FILE")]
    pub summary: Option<PathBuf>,
}

impl ReportArgs {
    pub fn any(&self) -> bool {
        self.junit.is_some() || self.json.is_some() || self.html.is_some() || self.summary.is_some()
    }

    /// Checks every report path before the run starts ([`output::check`]).
    pub fn check(&self) -> Result<(), String> {
        let paths: Vec<(&str, &Path)> = [
            ("--junit", &self.junit),
            ("--json", &self.json),
            ("--html", &self.html),
        ]
        .into_iter()
        .filter_map(|(option, path)| path.as_deref().map(|path| (option, path)))
        .collect();
        output::check(&paths)
    }
}

/// Which half of the suite ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Half {
    /// `run`: the suite judged a server.
    Server,
    /// `client`: the suite judged a client through its adapter.
    Client,
}

impl Half {
    pub fn as_str(self) -> &'static str {
        match self {
            Half::Server => "server",
            Half::Client => "client",
        }
    }

    fn command(self) -> &'static str {
        match self {
            Half::Server => "cancel-conformance run",
            Half::Client => "cancel-conformance client",
        }
    }
}

/// How one case ended, as the reports name it. libtest knows only passed,
/// failed and ignored: an expected failure is one of its passes, an
/// unexpected pass one of its failures, and a warning (a case that only
/// deviates from assumptions, in a run that is not strict) one of its
/// passes. A case judging a capability the client does not declare
/// (protocol 3) is not applicable: one of libtest's ignored cases, counted
/// apart in every report, never a pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    Pass,
    Warning,
    /// A timing case that failed, was run once more and passed.
    Flaky,
    ExpectedFail,
    Ignored,
    NotApplicable,
    UnexpectedPass,
    Fail,
    /// Newer than the user's pin (`--suite-version`) or absent from the
    /// baseline: run and shown, counted apart, never failing the run.
    Pending,
}

impl Outcome {
    pub const ALL: [Outcome; 9] = [
        Outcome::Pass,
        Outcome::Warning,
        Outcome::Flaky,
        Outcome::Fail,
        Outcome::Ignored,
        Outcome::NotApplicable,
        Outcome::ExpectedFail,
        Outcome::UnexpectedPass,
        Outcome::Pending,
    ];

    /// The name in every report (JSON `outcome`, HTML `data-outcome`).
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Warning => "warning",
            Outcome::Flaky => "flaky",
            Outcome::Fail => "fail",
            Outcome::Ignored => "ignored",
            Outcome::NotApplicable => "not-applicable",
            Outcome::ExpectedFail => "expected-fail",
            Outcome::UnexpectedPass => "unexpected-pass",
            Outcome::Pending => "pending",
        }
    }
}

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
    /// A failure's first difference on one line (rule, expected, actual):
    /// the JUnit failure message (`suite::causes`).
    pub headline: Option<String>,
    /// What the failure shares with others failing the same way, for the
    /// one-cause summary (`suite::causes`): (key, line) per difference.
    pub causes: Vec<(String, String)>,
    /// For a warning (or a listed one): the assumptions and SHOULD rules
    /// the target deviates from, with their reasons.
    pub deviations: Vec<super::verdict::Deviation>,
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

    fn take(&self) -> Vec<CaseRecord> {
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
    filtered_out: bool,
    /// Counted as ignored without running (`--bench`).
    ignored_by_harness: bool,
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

/// What the run was, for the reports' headers.
#[derive(Debug, Clone)]
pub struct RunInfo {
    pub half: Half,
    /// What was judged, for people; never holds a secret.
    pub target: String,
    pub started: OffsetDateTime,
    pub duration: Duration,
    /// The suite judged: its version and where its cases came from
    /// (`CaseSource::describe`), printed in every report.
    pub suite: String,
    /// The acquirer profile the run checked (server half).
    pub profile: Option<String>,
    /// What the pre-flight probe found of the target's control plane, and
    /// where fixtures came from (server half).
    pub control_plane: Option<String>,
    /// The client half's: who the client is and what each case judges.
    pub client: Option<ClientFacts>,
}

/// What the client half knows of the client and its cases (protocol 3).
#[derive(Debug, Clone, Default)]
pub struct ClientFacts {
    /// What the adapter said to `hello`; `None` for a protocol 2 adapter
    /// (or a run in which no adapter answered).
    pub implementation: Option<crate::suite::client_half::adapter::messages::Implementation>,
    /// Per case name, the capabilities the case judges.
    pub capabilities: BTreeMap<String, Vec<crate::suite::client_half::capability::Capability>>,
}

/// The run's tally, in libtest's terms: `passed` includes the expected
/// failures and `failed` the unexpected passes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
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

/// A whole run, ready to be written in any format.
#[derive(Debug, Clone)]
pub struct Report {
    pub info: RunInfo,
    /// Sorted by name.
    pub cases: Vec<CaseRecord>,
    pub filtered_out: u64,
}

impl Report {
    /// Joins what the trials recorded with what the harness did: a trial
    /// that ran but recorded nothing panicked (libtest counts it failed); one
    /// the harness skipped is ignored; one filtered out is left out.
    pub fn new(
        info: RunInfo,
        recorder: &Recorder,
        planned: &[Planned],
        conclusion: &Conclusion,
    ) -> Report {
        let mut recorded: BTreeMap<String, CaseRecord> = recorder
            .take()
            .into_iter()
            .map(|record| (record.name.clone(), record))
            .collect();
        let mut cases = Vec::new();
        for plan in planned.iter().filter(|plan| !plan.filtered_out) {
            let record = recorded.remove(&plan.name).unwrap_or_else(|| {
                let (outcome, message) = if plan.ignored_by_harness {
                    (
                        Outcome::Ignored,
                        "not run: ignored by the harness arguments",
                    )
                } else {
                    (
                        Outcome::Fail,
                        "the case panicked; the run's output shows the panic",
                    )
                };
                CaseRecord {
                    name: plan.name.clone(),
                    file: plan.file.clone(),
                    description: plan.description.clone(),
                    rules: plan.rules.clone(),
                    outcome,
                    kind: (outcome == Outcome::Fail).then(|| "PANIC".to_string()),
                    message: Some(message.to_string()),
                    headline: None,
                    causes: Vec::new(),
                    deviations: Vec::new(),
                    expected_failure_reason: None,
                    duration: Duration::ZERO,
                }
            });
            cases.push(record);
        }
        cases.sort_by(|a, b| a.name.cmp(&b.name));
        Report {
            info,
            cases,
            filtered_out: conclusion.num_filtered_out,
        }
    }

    pub fn counts(&self) -> Counts {
        let mut counts = Counts {
            filtered_out: self.filtered_out,
            ..Counts::default()
        };
        for case in &self.cases {
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

    /// Writes every report `paths` asks for; the first error names its file.
    pub fn write(&self, paths: &ReportArgs, catalog: &Catalog) -> Result<(), String> {
        if let Some(path) = &paths.junit {
            write_file(path, &junit::render(self))?;
        }
        if let Some(path) = &paths.json {
            write_file(path, &json::render(self))?;
        }
        if let Some(path) = &paths.html {
            write_file(path, &html::render(self, catalog))?;
        }
        Ok(())
    }
}

/// An adapter command as reports show it. The command is the user's, and
/// may carry a credential for the client under test (`TOKEN=... node
/// adapter.js`, `--api-key=...`): values of environment assignments and of
/// options named like a secret are masked.
pub fn describe_adapter(command: &str) -> String {
    let masked: Vec<String> = command
        .split(' ')
        .map(|word| match word.split_once('=') {
            Some((name, value)) if !value.is_empty() && looks_secret(name) => {
                format!("{name}={}", crate::signing::mask(value))
            }
            _ => word.to_string(),
        })
        .collect();
    masked.join(" ")
}

fn looks_secret(name: &str) -> bool {
    let is_assignment = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let lower = name.to_ascii_lowercase();
    is_assignment
        || ["key", "token", "secret", "password", "passwd", "credential"]
            .iter()
            .any(|word| lower.contains(word))
}

/// RFC 3339 to the millisecond: nanoseconds are noise to a reader.
fn rfc3339(at: OffsetDateTime) -> String {
    let at = at.replace_millisecond(at.millisecond()).unwrap_or(at);
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn seconds(duration: Duration) -> String {
    format!("{:.3}", duration.as_secs_f64())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn record(name: &str, outcome: Outcome, rules: &[&str]) -> CaseRecord {
        let failed = !matches!(
            outcome,
            Outcome::Pass | Outcome::Ignored | Outcome::NotApplicable
        );
        CaseRecord {
            name: name.to_string(),
            file: PathBuf::from(format!("cases/{name}.yaml")),
            description: format!("The behaviour of {name} holds."),
            rules: rules.iter().map(|rule| rule.to_string()).collect(),
            outcome,
            kind: failed.then(|| match outcome {
                Outcome::UnexpectedPass => "UNEXPECTED PASS".to_string(),
                _ => "MISMATCH".to_string(),
            }),
            message: match outcome {
                Outcome::Pass => None,
                Outcome::Ignored => Some("needs the control plane".to_string()),
                _ => Some(format!(
                    "MISMATCH in case {name}\n  request:\n      signature: ***\n    <b>&\"quoted\"\u{1b}"
                )),
            },
            expected_failure_reason: matches!(
                outcome,
                Outcome::ExpectedFail | Outcome::UnexpectedPass
            )
            .then(|| "the sandbox's window is 30 days".to_string()),
            headline: (outcome == Outcome::Fail).then(|| {
                "step 1 (cancel): result.resultCode [rule codes.x]: expected SUCCESS, actual <PROCESS_FAIL>".to_string()
            }),
            causes: Vec::new(),
            deviations: Vec::new(),
            duration: Duration::from_millis(12),
        }
    }

    /// One case of every outcome.
    pub(crate) fn sample() -> Report {
        Report {
            info: RunInfo {
                half: Half::Server,
                target: "https://***@sandbox.example".to_string(),
                started: OffsetDateTime::UNIX_EPOCH,
                duration: Duration::from_millis(1500),
                client: None,
                suite: "0.2.0 (embedded)".to_string(),
                profile: Some("apo".to_string()),
                control_plane: Some("absent (probe answered HTTP 404)".to_string()),
            },
            cases: vec![
                record(
                    "server/a/passes",
                    Outcome::Pass,
                    &["ident.either-id-suffices"],
                ),
                record(
                    "server/a/fails",
                    Outcome::Fail,
                    &["ident.either-id-suffices"],
                ),
                record(
                    "server/b/ignored",
                    Outcome::Ignored,
                    &["ident.either-id-suffices"],
                ),
                record(
                    "server/b/expected",
                    Outcome::ExpectedFail,
                    &["ident.either-id-suffices"],
                ),
                record("server/b/unexpected", Outcome::UnexpectedPass, &[]),
            ],
            filtered_out: 3,
        }
    }

    #[test]
    fn counts_follow_libtest() {
        let counts = sample().counts();
        assert_eq!(
            counts,
            Counts {
                total: 5,
                passed: 2,
                failed: 2,
                ignored: 1,
                expected_failures: 1,
                unexpected_passes: 1,
                warnings: 0,
                not_applicable: 0,
                pending: 0,
                flaky: 0,
                filtered_out: 3,
            }
        );
    }

    #[test]
    fn trials_that_recorded_nothing_are_reconciled() {
        let args = Arguments {
            filter: Some("kept".to_string()),
            ..Arguments::default()
        };
        let trials = [
            Trial::test("server/x/kept-panicked", || Ok(())),
            Trial::test("server/x/kept-recorded", || Ok(())),
            Trial::test("server/x/dropped", || Ok(())),
        ];
        let planned: Vec<Planned> = trials
            .iter()
            .map(|trial| Planned::new(trial, &args, PathBuf::new(), String::new(), vec![]))
            .collect();
        let recorder = Recorder::default();
        recorder.push(record("server/x/kept-recorded", Outcome::Pass, &[]));
        let conclusion = Conclusion {
            num_filtered_out: 1,
            num_passed: 1,
            num_failed: 1,
            num_ignored: 0,
            num_measured: 0,
        };
        let report = Report::new(sample().info, &recorder, &planned, &conclusion);
        let outcomes: Vec<(&str, Outcome)> = report
            .cases
            .iter()
            .map(|case| (case.name.as_str(), case.outcome))
            .collect();
        assert_eq!(
            outcomes,
            [
                ("server/x/kept-panicked", Outcome::Fail),
                ("server/x/kept-recorded", Outcome::Pass)
            ]
        );
        let counts = report.counts();
        assert_eq!(
            (counts.passed, counts.failed, counts.filtered_out),
            (1, 1, 1)
        );
    }

    #[test]
    fn adapter_commands_lose_their_credentials() {
        assert_eq!(
            describe_adapter("API_TOKEN=abc node adapter.js --api-key=xyz --mode=fast"),
            "API_TOKEN=*** node adapter.js --api-key=*** --mode=fast"
        );
        assert_eq!(
            describe_adapter("python adapters/python/adapter.py"),
            "python adapters/python/adapter.py"
        );
    }
}
