//! The reports of a run, written after the test harness is done: JUnit XML
//! for CI dashboards ([`junit`]), a JSON results file for tools ([`json`]),
//! and a self-contained HTML conformance page for people ([`html`]).
//!
//! Each trial records its case's outcome in a shared [`Recorder`]; the
//! records and the harness's own tally are reconciled in [`Report::new`], so
//! every report counts exactly what libtest's summary line counts. Reports
//! only ever hold text that was already rendered for a person, where keys
//! and signatures are masked.

pub mod causes;
pub mod file;
pub mod gate;
pub mod html;
pub mod json;
pub mod junit;
#[cfg(test)]
mod junit_schema;
pub mod output;
pub mod record;
pub mod results;
pub mod summary;
pub mod warnings;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use libtest_mimic::Conclusion;
use time::OffsetDateTime;

use crate::spec::catalog::Catalog;
pub use crate::suite::outcome::{Behaviour, Outcome};
pub(crate) use output::write_file;
pub use record::{CaseRecord, Counts, Planned, Recorder};

/// Where to write the reports; every one is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportPaths {
    /// Write a JUnit XML report here (one testcase per case).
    pub junit: Option<PathBuf>,
    /// Write a JSON results file here (counts and every case's outcome).
    pub json: Option<PathBuf>,
    /// Write a self-contained HTML conformance page here (rules × cases).
    pub html: Option<PathBuf>,
    /// Write a Markdown job summary here (counts, regressions, each
    /// failure's first difference, links into the --html report); on
    /// GitHub Actions give "$GITHUB_STEP_SUMMARY".
    pub summary: Option<PathBuf>,
}

impl ReportPaths {
    pub fn any(&self) -> bool {
        self.junit.is_some() || self.json.is_some() || self.html.is_some() || self.summary.is_some()
    }

    /// Checks every report path before the run starts ([`output::check`]).
    pub fn check(&self) -> Result<(), output::OutputError> {
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
    pub implementation: Option<crate::domain::Implementation>,
    /// Per case name, the capabilities the case judges.
    pub capabilities: BTreeMap<String, Vec<crate::domain::Capability>>,
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
                    found: None,
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
        Counts::of(&self.cases, self.filtered_out)
    }

    /// Writes every report `paths` asks for; the first error names its file.
    pub fn write(&self, paths: &ReportPaths, catalog: &Catalog) -> Result<(), output::OutputError> {
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
    use crate::suite::failure::{Diff, Found};
    use libtest_mimic::{Arguments, Trial};

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
            found: (outcome == Outcome::Fail).then(|| Found::Differences {
                step: 1,
                action: "cancel".to_string(),
                diffs: vec![Diff::ruled(
                    &[crate::spec::rule_id::RESULT_CODE_STATUS_PAIRING],
                    "result.resultCode",
                    "SUCCESS",
                    "<PROCESS_FAIL>",
                )],
            }),
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
