//! A JSON results file read back: what `run --json` and `client --json`
//! wrote (see [`super::json`]), as the matrix and the release gate need it.
//! Reading is lenient about fields added later within a format version and
//! strict about what the reader relies on: a file without the cases, or with
//! an outcome this version does not know, is refused with a reason, never
//! half-read.

use std::path::Path;

use serde_json::Value;

use super::json::FORMAT_VERSION;
use crate::suite::client_half::adapter::messages::Implementation;
use crate::suite::client_half::capability::Capability;

/// How one case ended, as the results file names it. `Warning` is a failure
/// that rests only on SHOULD rules or on the project's assumptions: it is
/// read and shown wherever a file carries it, and counts as neither a pass
/// nor a failure of the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Cell {
    Pass,
    Fail,
    Warning,
    /// A timing case that failed once and passed when run again.
    Flaky,
    Ignored,
    /// The case judges a capability the client does not declare.
    NotApplicable,
    ExpectedFail,
    UnexpectedPass,
    /// Newer than the pin or the baseline: shown, never failing.
    Pending,
}

impl Cell {
    /// Every cell kind, in the order pages and totals show them.
    pub const ALL: [Cell; 9] = [
        Cell::Pass,
        Cell::Fail,
        Cell::Warning,
        Cell::Flaky,
        Cell::Ignored,
        Cell::NotApplicable,
        Cell::ExpectedFail,
        Cell::UnexpectedPass,
        Cell::Pending,
    ];

    pub fn parse(text: &str) -> Option<Cell> {
        Cell::ALL.into_iter().find(|cell| cell.as_str() == text)
    }

    /// The name in the results file (`outcome`) and in pages (`data-outcome`).
    pub fn as_str(self) -> &'static str {
        match self {
            Cell::Pass => "pass",
            Cell::Fail => "fail",
            Cell::Warning => "warning",
            Cell::Flaky => "flaky",
            Cell::Ignored => "ignored",
            Cell::NotApplicable => "not-applicable",
            Cell::ExpectedFail => "expected-fail",
            Cell::UnexpectedPass => "unexpected-pass",
            Cell::Pending => "pending",
        }
    }

    /// What the case's checks found about the implementation, whatever an
    /// expectations file said: an expected failure still failed, and an
    /// unexpected pass still passed.
    pub fn behaviour(self) -> Behaviour {
        match self {
            Cell::Pass | Cell::UnexpectedPass | Cell::Flaky => Behaviour::Passed,
            Cell::Warning => Behaviour::Warned,
            Cell::Fail | Cell::ExpectedFail => Behaviour::Failed,
            Cell::Ignored | Cell::NotApplicable | Cell::Pending => Behaviour::NotJudged,
        }
    }

    /// Whether the cell fails its run (libtest's failures).
    pub fn fails_the_run(self) -> bool {
        matches!(self, Cell::Fail | Cell::UnexpectedPass)
    }
}

/// What a case found, for comparing two runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    Passed,
    Warned,
    Failed,
    NotJudged,
}

/// One case of a results file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseResult {
    pub name: String,
    pub rules: Vec<String>,
    pub cell: Cell,
    /// `MISMATCH`, `TRANSPORT FAILURE`, `BUG IN CASE`, ...
    pub kind: Option<String>,
    /// The rendered (masked) failure, or why the case was ignored.
    pub message: Option<String>,
    /// A client case's capabilities (protocol 3); empty for server cases
    /// and older files. Names this version does not know are left out.
    pub capabilities: Vec<Capability>,
}

impl CaseResult {
    /// The failure in a few lines, for a matrix cell and the gate: its
    /// heading, then what was expected and what was found (a mismatch), or
    /// the last lines (a transport failure's error, a case's bug). The
    /// statements of the rules and the full exchange stay in the report.
    pub fn summary(&self) -> Vec<String> {
        let Some(message) = self.message.as_deref() else {
            return vec![self.cell.as_str().to_string()];
        };
        let lines: Vec<&str> = message.lines().filter(|l| !l.trim().is_empty()).collect();
        let mut summary: Vec<&str> = lines.iter().take(1).copied().collect();
        let body = lines.get(1..).unwrap_or_default();
        match body
            .iter()
            .position(|line| line.trim() == "expected vs actual:")
        {
            Some(at) => {
                summary.extend(
                    body.iter()
                        .rev()
                        .skip(body.len() - at)
                        .find(|l| l.trim_start().starts_with("step ")),
                );
                summary.extend(&body[at..]);
            }
            None => summary.extend(&body[body.len().saturating_sub(4)..]),
        }
        summary.into_iter().map(String::from).collect()
    }

    /// [`CaseResult::summary`] as one line, without its heading.
    pub fn why(&self) -> Option<String> {
        self.message.as_ref()?;
        let summary = self.summary();
        // One line: the block's label goes, runs of alignment spaces shrink.
        let detail: Vec<String> = summary
            .iter()
            .skip(1)
            .filter(|line| line.trim() != "expected vs actual:")
            .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        let line = format!(
            "{}: {}",
            self.kind.as_deref().unwrap_or(self.cell.as_str()),
            detail.join(" / ")
        );
        Some(if line.chars().count() > 300 {
            format!("{}…", line.chars().take(300).collect::<String>())
        } else {
            line
        })
    }
}

/// A whole results file of one half.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunResult {
    /// `server` or `client`.
    pub half: String,
    pub target: String,
    pub start_time: String,
    pub tool_version: String,
    /// Who the client said it is (protocol 3 `hello`).
    pub implementation: Option<Implementation>,
    pub cases: Vec<CaseResult>,
}

impl RunResult {
    /// The same run's description with no case: the baseline of a column
    /// that could not start then, against which every pass is new.
    pub fn without_cases(&self) -> RunResult {
        RunResult {
            half: self.half.clone(),
            target: self.target.clone(),
            start_time: self.start_time.clone(),
            tool_version: self.tool_version.clone(),
            implementation: self.implementation.clone(),
            cases: Vec::new(),
        }
    }

    pub fn case(&self, name: &str) -> Option<&CaseResult> {
        self.cases.iter().find(|case| case.name == name)
    }

    /// How many cases ended as `cell`.
    pub fn count(&self, cell: Cell) -> usize {
        self.cases.iter().filter(|case| case.cell == cell).count()
    }
}

/// Reads a results file; the error names the file and what is wrong.
pub fn load(file: &Path) -> Result<RunResult, String> {
    let value = load_value(file)?;
    from_value(&value).map_err(|err| format!("{}: {err}", file.display()))
}

/// Reads a JSON file into a value; the error names the file and position.
pub fn load_value(file: &Path) -> Result<Value, String> {
    let text = crate::input_file::read_text(file).map_err(|err| err.to_string())?;
    serde_json::from_str(&text).map_err(|err| {
        format!(
            "{}:{}:{}: not JSON: {err}",
            file.display(),
            err.line(),
            err.column()
        )
    })
}

/// A results value, as [`super::json::to_value`] writes it.
pub fn from_value(value: &Value) -> Result<RunResult, String> {
    if value.get("kind").and_then(Value::as_str) == Some("matrix") {
        return Err(
            "is the results file of a matrix (`matrix --json`), not of one half (`run --json`, `client --json`); give it to `matrix --baseline`"
                .to_string(),
        );
    }
    let version = value.get("format_version").and_then(Value::as_u64);
    if version != Some(u64::from(FORMAT_VERSION)) {
        return Err(format!(
            "not a results file of format_version {FORMAT_VERSION} (as `run --json` or `client --json` writes); format_version is {}",
            version.map_or("missing".to_string(), |v| v.to_string())
        ));
    }
    let text = |value: &Value, key: &str| value.get(key).and_then(Value::as_str).map(String::from);
    let half = text(value, "half").ok_or("no `half`")?;
    let cases = value
        .get("cases")
        .and_then(Value::as_array)
        .ok_or("no `cases` list")?
        .iter()
        .enumerate()
        .map(|(at, case)| {
            let name = text(case, "name").ok_or(format!("case #{at} has no name"))?;
            let outcome = text(case, "outcome").ok_or(format!("case {name} has no outcome"))?;
            let cell = Cell::parse(&outcome).ok_or(format!(
                "case {name} has the outcome `{outcome}`, which this version of cancel-conformance does not know"
            ))?;
            let rules = case
                .get("rules")
                .and_then(Value::as_array)
                .map(|rules| {
                    rules
                        .iter()
                        .filter_map(Value::as_str)
                        .map(String::from)
                        .collect()
                })
                .unwrap_or_default();
            let capabilities = case
                .get("capabilities")
                .and_then(Value::as_array)
                .map(|names| {
                    names
                        .iter()
                        .filter_map(Value::as_str)
                        .filter_map(Capability::parse)
                        .collect()
                })
                .unwrap_or_default();
            Ok(CaseResult {
                name,
                rules,
                cell,
                kind: text(case, "kind"),
                message: text(case, "message"),
                capabilities,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(RunResult {
        half,
        target: text(value, "target").unwrap_or_default(),
        start_time: text(value, "start_time").unwrap_or_default(),
        tool_version: value
            .get("tool")
            .and_then(|tool| text(tool, "version"))
            .unwrap_or_default(),
        // Written by this tool; one it cannot read is left out rather
        // than failing a file whose cases are sound.
        implementation: value
            .get("implementation")
            .and_then(|found| serde_json::from_value(found.clone()).ok()),
        cases,
    })
}

#[cfg(test)]
mod tests {
    use super::super::json;
    use super::super::tests::sample;
    use super::*;

    #[test]
    fn a_written_report_reads_back_case_for_case() {
        let report = sample();
        let read = from_value(&json::to_value(&report)).expect("reads back");
        assert_eq!(read.half, "server");
        assert_eq!(read.cases.len(), report.cases.len());
        for (written, read) in report.cases.iter().zip(&read.cases) {
            assert_eq!(written.name, read.name);
            assert_eq!(written.outcome.as_str(), read.cell.as_str());
            assert_eq!(written.message, read.message);
            assert_eq!(written.rules, read.rules);
        }
    }

    #[test]
    fn a_summary_keeps_the_heading_and_expected_vs_actual() {
        let case = |message: &str| CaseResult {
            name: "server/a/b".into(),
            rules: vec![],
            cell: Cell::Fail,
            kind: Some("MISMATCH".into()),
            message: Some(message.into()),
            capabilities: Vec::new(),
        };
        let mismatch = case(
            "MISMATCH in case server/a/b\n  --> cases/server/a/b.yaml\n  rule x.y (MUST): long statement\n  step 2: cancel\n    request:\n      POST /x\n    expected vs actual:\n      result.resultStatus  expected S\n                           actual   F\n",
        );
        assert_eq!(
            mismatch.summary(),
            [
                "MISMATCH in case server/a/b",
                "  step 2: cancel",
                "    expected vs actual:",
                "      result.resultStatus  expected S",
                "                           actual   F"
            ]
        );
        assert_eq!(
            mismatch.why().as_deref(),
            Some("MISMATCH: step 2: cancel / result.resultStatus expected S / actual F")
        );
        let transport = case(
            "TRANSPORT FAILURE in case server/a/b\n  --> f\n  step 1: cancel\n    request:\n      POST /x\n    connection refused\n",
        );
        assert_eq!(
            transport.summary().last().map(String::as_str),
            Some("    connection refused")
        );
        assert_eq!(transport.summary().len(), 5);
    }

    #[test]
    fn every_outcome_the_reports_write_is_a_cell() {
        for outcome in super::super::Outcome::ALL {
            assert!(Cell::parse(outcome.as_str()).is_some(), "{outcome:?}");
        }
    }

    #[test]
    fn unknown_outcomes_and_other_files_are_refused_with_a_reason() {
        let mut value = json::to_value(&sample());
        value["cases"][0]["outcome"] = "quarantined".into();
        let err = from_value(&value).expect_err("unknown outcome");
        assert!(
            err.contains("`quarantined`") && err.contains("server/a/passes"),
            "{err}"
        );
        let err = from_value(&serde_json::json!({"format_version": 9})).expect_err("version");
        assert!(err.contains("format_version is 9"), "{err}");
    }
}
