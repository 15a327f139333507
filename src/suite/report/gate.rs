//! The release gate: a run judged against a baseline, a results file an
//! earlier run wrote (`--json`). The run fails only on regressions: a case
//! whose checks passed in the baseline and fail now. Cases that failed then
//! and still fail are known debt, not a reason to stop a release; cases
//! that failed then and pass now are reported as improvements.
//!
//! A case compares by what its checks found ([`Outcome::behaviour`]), not by
//! its verdict: a case now listed in an expectations file still regressed
//! if it passed in the baseline.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::results::{ReadError, RunResult};
use crate::suite::outcome::{Behaviour, Outcome};

/// The release gate's settings (`--baseline`, `--suite-version`) of
/// `run`, `client` and `matrix`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GateSettings {
    /// A JSON results file of an earlier run (what `--json` wrote, e.g. of
    /// the last release): the run then fails only on regressions, cases
    /// that passed in it and fail now; they are listed first, then the
    /// cases that pass now and did not then.
    pub baseline: Option<PathBuf>,
    /// The suite version the run is pinned to (e.g. 0.1.0): cases added
    /// after it are pending — run and shown, counted apart, never failing
    /// the run — until the pin moves [config: suite_version] [default: the
    /// binary's suite, every case judged].
    pub suite_version: Option<String>,
}

/// A baseline as read, with where it came from.
#[derive(Debug, Clone)]
pub struct Baseline {
    pub file: PathBuf,
    pub result: RunResult,
}

impl Baseline {
    /// Reads a baseline for a run of `half`; a file of the other half is
    /// refused, as every case would look new.
    pub fn load(file: &Path, half: &str) -> Result<Baseline, BaselineError> {
        let result = super::results::load(file).map_err(BaselineError::Unreadable)?;
        if result.half != half {
            return Err(BaselineError::OtherHalf {
                file: file.to_path_buf(),
                found: result.half,
                wanted: half.to_string(),
            });
        }
        Ok(Baseline {
            file: file.to_path_buf(),
            result,
        })
    }
}

/// Why a baseline cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("the baseline {0}")]
    Unreadable(ReadError),
    #[error(
        "the baseline {} is a result of the {found} half, and this run judges the {wanted} half",
        file.display()
    )]
    OtherHalf {
        file: PathBuf,
        found: String,
        wanted: String,
    },
}

/// One case whose result moved between the baseline and now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub name: String,
    pub before: Outcome,
    pub after: Outcome,
    /// The failure heading and first line now, for regressions.
    pub why: Option<String>,
}

/// A run compared with its baseline.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Comparison {
    /// Passed (or only warned) in the baseline, fail now.
    pub regressions: Vec<Change>,
    /// Failed (or warned) in the baseline, pass now.
    pub improvements: Vec<Change>,
    /// Passed in the baseline, only warn now: shown, never failing.
    pub new_warnings: Vec<Change>,
    /// Failed in both.
    pub still_failing: usize,
    /// Cases of this run the baseline does not have.
    pub new_cases: Vec<String>,
    /// Cases of the baseline this run did not run (a filter, a removed case).
    pub not_run: Vec<String>,
}

impl Comparison {
    pub fn passes(&self) -> bool {
        self.regressions.is_empty()
    }
}

/// Compares `now` with `baseline`, case by case by name.
pub fn compare(baseline: &RunResult, now: &RunResult) -> Comparison {
    let mut comparison = Comparison::default();
    for case in &now.cases {
        let Some(before) = baseline.case(&case.name) else {
            comparison.new_cases.push(case.name.clone());
            continue;
        };
        let change = || Change {
            name: case.name.clone(),
            before: before.outcome,
            after: case.outcome,
            why: case.why(),
        };
        use Behaviour::*;
        match (before.outcome.behaviour(), case.outcome.behaviour()) {
            (Passed | Warned, Failed) => comparison.regressions.push(change()),
            (Failed | Warned, Passed) => comparison.improvements.push(change()),
            (Passed, Warned) => comparison.new_warnings.push(change()),
            (Failed, Failed) => comparison.still_failing += 1,
            _ => {}
        }
    }
    comparison.not_run = baseline
        .cases
        .iter()
        .filter(|case| now.case(&case.name).is_none())
        .map(|case| case.name.clone())
        .collect();
    comparison
}

/// The gate's verdict for people: regressions first, then improvements.
/// `what` names what was compared (`the client half`, an implementation).
pub fn render(comparison: &Comparison, what: &str, baseline: &Path) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "release gate: {what} against the baseline {}",
        baseline.display()
    );
    let plural = |n: usize, one: &str, many: &str| {
        if n == 1 {
            format!("{n} {one}")
        } else {
            format!("{n} {many}")
        }
    };
    let _ = writeln!(
        out,
        "  {} (passed in the baseline, fail now){}",
        plural(comparison.regressions.len(), "regression", "regressions"),
        if comparison.regressions.is_empty() {
            ""
        } else {
            ":"
        }
    );
    for change in &comparison.regressions {
        let _ = writeln!(
            out,
            "    REGRESSION {} ({} -> {}){}",
            change.name,
            change.before.as_str(),
            change.after.as_str(),
            change
                .why
                .as_deref()
                .map(|why| format!(": {why}"))
                .unwrap_or_default()
        );
    }
    let _ = writeln!(
        out,
        "  {} (failed in the baseline, pass now){}",
        plural(comparison.improvements.len(), "improvement", "improvements"),
        if comparison.improvements.is_empty() {
            ""
        } else {
            ":"
        }
    );
    for change in &comparison.improvements {
        let _ = writeln!(
            out,
            "    IMPROVED {} ({} -> {})",
            change.name,
            change.before.as_str(),
            change.after.as_str()
        );
    }
    for change in &comparison.new_warnings {
        let _ = writeln!(
            out,
            "    NEW WARNING {} (passed in the baseline; does not fail the gate)",
            change.name
        );
    }
    if comparison.still_failing > 0 {
        let _ = writeln!(
            out,
            "  {} in the baseline too (not counted against the gate)",
            plural(comparison.still_failing, "case fails", "cases fail")
        );
    }
    if !comparison.new_cases.is_empty() {
        let _ = writeln!(
            out,
            "  {} not in the baseline (not compared)",
            plural(comparison.new_cases.len(), "case", "cases")
        );
    }
    if !comparison.not_run.is_empty() {
        let _ = writeln!(
            out,
            "  {} of the baseline not run now (not compared)",
            plural(comparison.not_run.len(), "case", "cases")
        );
    }
    let _ = writeln!(
        out,
        "gate: {}",
        if comparison.passes() {
            "PASSED (no regression)".to_string()
        } else {
            format!(
                "FAILED ({})",
                plural(comparison.regressions.len(), "regression", "regressions")
            )
        }
    );
    out
}

/// The gate of one `run` or `client`: the report read as its results file
/// would be, compared with the baseline and printed after the harness's
/// summary; 101 (libtest's failure code) only on a regression.
pub fn judge(
    report: &super::Report,
    now: &RunResult,
    baseline: &Baseline,
) -> std::process::ExitCode {
    let comparison = compare(&baseline.result, now);
    print!(
        "\n{}",
        render(
            &comparison,
            &format!("the {} half", report.info.half.as_str()),
            &baseline.file
        )
    );
    if comparison.passes() {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::from(101)
    }
}

#[cfg(test)]
mod tests {
    use super::super::results::CaseResult;
    use super::*;
    use crate::suite::failure::Found;

    fn result(cases: &[(&str, Outcome)]) -> RunResult {
        RunResult {
            half: "client".into(),
            target: String::new(),
            start_time: String::new(),
            tool_version: String::new(),
            implementation: None,
            cases: cases
                .iter()
                .map(|(name, outcome)| CaseResult {
                    name: name.to_string(),
                    rules: vec![],
                    outcome: *outcome,
                    kind: outcome.fails_the_run().then(|| "MISMATCH".to_string()),
                    message: outcome
                        .fails_the_run()
                        .then(|| format!("MISMATCH in case {name}\n  detail")),
                    file: String::new(),
                    found: outcome.fails_the_run().then(|| Found::Transport {
                        step: 1,
                        action: "cancel".into(),
                        error: "detail".into(),
                    }),
                    expected_failure_reason: None,
                    capabilities: Vec::new(),
                })
                .collect(),
        }
    }

    #[test]
    fn only_a_case_that_passed_and_fails_now_fails_the_gate() {
        let baseline = result(&[
            ("a", Outcome::Pass),
            ("b", Outcome::Fail),
            ("c", Outcome::Fail),
            ("d", Outcome::Pass),
            ("e", Outcome::ExpectedFail),
            ("gone", Outcome::Pass),
        ]);
        let now = result(&[
            ("a", Outcome::Fail),
            ("b", Outcome::Pass),
            ("c", Outcome::Fail),
            ("d", Outcome::Warning),
            ("e", Outcome::UnexpectedPass),
            ("new", Outcome::Fail),
        ]);
        let comparison = compare(&baseline, &now);
        let names = |changes: &[Change]| -> Vec<String> {
            changes.iter().map(|change| change.name.clone()).collect()
        };
        assert_eq!(names(&comparison.regressions), ["a"]);
        assert_eq!(names(&comparison.improvements), ["b", "e"]);
        assert_eq!(names(&comparison.new_warnings), ["d"]);
        assert_eq!(comparison.still_failing, 1);
        assert_eq!(comparison.new_cases, ["new"]);
        assert_eq!(comparison.not_run, ["gone"]);
        assert!(!comparison.passes());
        let text = render(&comparison, "the client half", Path::new("base.json"));
        let regression =
            text.find("REGRESSION a (pass -> fail): MISMATCH: step 1: cancel / detail");
        let improved = text.find("IMPROVED b (fail -> pass)");
        assert!(
            regression.is_some() && improved.is_some() && regression < improved,
            "regressions come first:\n{text}"
        );
        assert!(text.ends_with("gate: FAILED (1 regression)\n"), "{text}");
    }

    #[test]
    fn a_run_that_only_improves_passes_the_gate() {
        let baseline = result(&[("a", Outcome::Fail), ("b", Outcome::Fail)]);
        let now = result(&[("a", Outcome::Pass), ("b", Outcome::Fail)]);
        let comparison = compare(&baseline, &now);
        assert!(comparison.passes());
        let text = render(&comparison, "x", Path::new("b.json"));
        assert!(text.contains("1 improvement (failed in the baseline, pass now):"));
        assert!(text.ends_with("gate: PASSED (no regression)\n"), "{text}");
    }
}
