//! A JSON results file read back: what `run --json` and `client --json`
//! wrote (see [`super::file`]), as the matrix and the release gate need it.
//! Reading is lenient about fields added later within a format version and
//! strict about what the reader relies on: a file without the cases, or with
//! an outcome this version does not know, is refused with a reason, never
//! half-read. A run of this process is read from its report directly
//! ([`RunResult::of`]), never through the file's text.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use super::Report;
use super::file::{FORMAT_VERSION, Fields, Loose, Probe, ResultsFile};
use crate::domain::capability::{Capability, Implementation};
use crate::suite::failure::{self, Found};
use crate::suite::outcome::Outcome;

/// Why a results file cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{0}")]
    Unreadable(#[from] crate::input_file::InputError),
    #[error("{}:{}:{}: not JSON: {source}", file.display(), source.line(), source.column())]
    NotJson {
        file: PathBuf,
        source: serde_json::Error,
    },
    #[error(
        "is the results file of a matrix (`matrix --json`), not of one half (`run --json`, `client --json`); give it to `matrix --baseline`"
    )]
    Matrix,
    #[error(
        "not a results file of format_version {FORMAT_VERSION} (as `run --json` or `client --json` writes); format_version is {}",
        found.map_or("missing".to_string(), |v| v.to_string())
    )]
    FormatVersion { found: Option<u64> },
    #[error("no `half`")]
    NoHalf,
    #[error("no `cases` list")]
    NoCases,
    #[error("case #{0} has no name")]
    CaseWithoutName(usize),
    #[error("case {0} has no outcome")]
    CaseWithoutOutcome(String),
    #[error(
        "case {name} has the outcome `{outcome}`, which this version of cancel-conformance does not know"
    )]
    UnknownOutcome { name: String, outcome: String },
    /// Past the checks, a field the reader relies on is still unreadable.
    #[error("{0}")]
    Malformed(serde_json::Error),
    /// Any of the above, in the named file.
    #[error("{}: {source}", file.display())]
    InFile {
        file: PathBuf,
        source: Box<ReadError>,
    },
}

/// One case of a results file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseResult {
    pub name: String,
    pub rules: Vec<String>,
    pub outcome: Outcome,
    /// `MISMATCH`, `TRANSPORT FAILURE`, `BUG IN CASE`, ...
    pub kind: Option<String>,
    /// The rendered (masked) failure, or why the case was ignored.
    pub message: Option<String>,
    /// Its case file, as the run named it.
    pub file: String,
    /// What the failure found, as data; `None` for a case that did not
    /// fail, and in files older than the field.
    pub found: Option<Found>,
    /// The expectations file's reason, when the case is listed there.
    pub expected_failure_reason: Option<String>,
    /// A client case's capabilities (protocol 3); empty for server cases
    /// and older files. Names this version does not know are left out.
    pub capabilities: Vec<Capability>,
}

impl CaseResult {
    /// The failure in a few lines, for a matrix cell and the gate
    /// ([`failure::brief`]), drawn from what it found; the outcome's name
    /// for a case that found nothing.
    pub fn summary(&self) -> Vec<String> {
        match (&self.found, &self.expected_failure_reason) {
            (Some(found), _) => {
                failure::brief(found, self.kind(), &self.name, Path::new(&self.file))
            }
            (None, Some(reason)) if self.outcome == Outcome::UnexpectedPass => {
                vec![failure::unexpected_pass(&self.name, reason)]
            }
            _ => vec![self.outcome.as_str().to_string()],
        }
    }

    /// [`CaseResult::summary`] as one line, after its kind; `None` for a
    /// case that found nothing.
    pub fn why(&self) -> Option<String> {
        let line = match (&self.found, &self.expected_failure_reason) {
            (Some(found), _) => {
                failure::brief_line(found, self.kind(), &self.name, Path::new(&self.file))
            }
            (None, Some(reason)) if self.outcome == Outcome::UnexpectedPass => {
                format!("{}: {reason}", self.kind())
            }
            _ => return None,
        };
        Some(if line.chars().count() > 300 {
            format!("{}…", line.chars().take(300).collect::<String>())
        } else {
            line
        })
    }

    /// The failure's heading, else the outcome's name.
    fn kind(&self) -> &str {
        self.kind.as_deref().unwrap_or(self.outcome.as_str())
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

    /// How many cases ended as `outcome`.
    pub fn count(&self, outcome: Outcome) -> usize {
        self.cases
            .iter()
            .filter(|case| case.outcome == outcome)
            .count()
    }
}

/// Reads a results file; the error names the file and what is wrong.
pub fn load(file: &Path) -> Result<RunResult, ReadError> {
    let text = crate::input_file::read_text(file)?;
    parse(&text).map_err(|err| match err {
        ReadError::Malformed(source) if source.is_syntax() || source.is_eof() => {
            ReadError::NotJson {
                file: file.to_path_buf(),
                source,
            }
        }
        other => ReadError::InFile {
            file: file.to_path_buf(),
            source: Box::new(other),
        },
    })
}

/// Reads a JSON file into a value (the matrix keeps each half's file as
/// written); the error names the file and position.
pub fn load_value(file: &Path) -> Result<Value, ReadError> {
    let text = crate::input_file::read_text(file)?;
    serde_json::from_str(&text).map_err(|source| ReadError::NotJson {
        file: file.to_path_buf(),
        source,
    })
}

/// A results file's text.
pub fn parse(text: &str) -> Result<RunResult, ReadError> {
    // Anything but an object reads as a file without any field.
    let probe: Loose<Fields<Probe>> = serde_json::from_str(text).map_err(ReadError::Malformed)?;
    check(&probe.0.map(|fields| fields.0).unwrap_or_default())?;
    let file: ResultsFile = serde_json::from_str(text).map_err(ReadError::Malformed)?;
    Ok(RunResult::from(file))
}

/// A results file held in a larger document (a matrix results file).
pub fn from_value(value: &Value) -> Result<RunResult, ReadError> {
    let probe = Loose::<Fields<Probe>>::deserialize(value).map_err(ReadError::Malformed)?;
    check(&probe.0.map(|fields| fields.0).unwrap_or_default())?;
    let file = ResultsFile::deserialize(value).map_err(ReadError::Malformed)?;
    Ok(RunResult::from(file))
}

/// Refuses a file without what the reader relies on, in the order a
/// person would fix it.
fn check(probe: &Probe) -> Result<(), ReadError> {
    if probe.kind.0.as_deref() == Some("matrix") {
        return Err(ReadError::Matrix);
    }
    let found = probe.format_version.0;
    if found != Some(u64::from(FORMAT_VERSION)) {
        return Err(ReadError::FormatVersion { found });
    }
    if probe.half.0.is_none() {
        return Err(ReadError::NoHalf);
    }
    let cases = probe.cases.0.as_ref().ok_or(ReadError::NoCases)?;
    for (at, case) in cases.iter().enumerate() {
        let case = case.0.as_ref().map(|fields| &fields.0);
        let name = case
            .and_then(|case| case.name.0.clone())
            .ok_or(ReadError::CaseWithoutName(at))?;
        let outcome = case
            .and_then(|case| case.outcome.0.clone())
            .ok_or_else(|| ReadError::CaseWithoutOutcome(name.clone()))?;
        if Outcome::parse(&outcome).is_none() {
            return Err(ReadError::UnknownOutcome { name, outcome });
        }
    }
    Ok(())
}

impl From<ResultsFile> for RunResult {
    fn from(file: ResultsFile) -> RunResult {
        RunResult {
            half: file.half,
            target: file.target,
            start_time: file.start_time,
            tool_version: file.tool.version,
            implementation: file.implementation.flatten(),
            cases: file
                .cases
                .into_iter()
                .map(|case| CaseResult {
                    name: case.name,
                    rules: case.rules,
                    outcome: case.outcome,
                    kind: case.kind,
                    message: case.message,
                    file: case.file,
                    found: case.found,
                    expected_failure_reason: case.expected_failure_reason,
                    capabilities: case.capabilities.unwrap_or_default(),
                })
                .collect(),
        }
    }
}

impl RunResult {
    /// A run of this process, as its results file would read back.
    pub fn of(report: &Report) -> RunResult {
        RunResult::from(ResultsFile::of(report))
    }
}

#[cfg(test)]
mod tests {
    use super::super::json;
    use super::super::tests::sample;
    use super::*;

    #[test]
    fn a_written_report_reads_back_case_for_case() {
        let report = sample();
        let text = json::render(&report);
        let read = parse(&text).expect("reads back");
        assert_eq!(read, RunResult::of(&report));
        assert_eq!(read.half, "server");
        assert_eq!(read.cases.len(), report.cases.len());
        for (written, read) in report.cases.iter().zip(&read.cases) {
            assert_eq!(written.name, read.name);
            assert_eq!(written.outcome.as_str(), read.outcome.as_str());
            assert_eq!(written.message, read.message);
            assert_eq!(written.rules, read.rules);
        }
    }

    #[test]
    fn a_summary_keeps_the_heading_and_expected_vs_actual() {
        let case = |kind: &str, found: Found| CaseResult {
            name: "server/a/b".into(),
            rules: vec![],
            outcome: Outcome::Fail,
            kind: Some(kind.into()),
            // The rendering is never read: the summary comes from `found`.
            message: Some("unread".into()),
            file: "cases/server/a/b.yaml".into(),
            found: Some(found),
            expected_failure_reason: None,
            capabilities: Vec::new(),
        };
        let mismatch = case(
            "MISMATCH",
            Found::Differences {
                step: 2,
                action: "cancel".into(),
                diffs: vec![crate::suite::failure::Diff::new(
                    "result.resultStatus",
                    "S",
                    "F",
                )],
            },
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
            "TRANSPORT FAILURE",
            Found::Transport {
                step: 1,
                action: "cancel".into(),
                error: "connection refused".into(),
            },
        );
        assert_eq!(
            transport.summary(),
            [
                "TRANSPORT FAILURE in case server/a/b",
                "  step 1: cancel",
                "    connection refused"
            ]
        );
        let passed = CaseResult {
            outcome: Outcome::Pass,
            kind: None,
            message: None,
            found: None,
            ..mismatch.clone()
        };
        assert_eq!(passed.summary(), ["pass"]);
        assert_eq!(passed.why(), None);
        let unexpected = CaseResult {
            outcome: Outcome::UnexpectedPass,
            kind: Some("UNEXPECTED PASS".into()),
            found: None,
            expected_failure_reason: Some("the window is 30 days".into()),
            ..mismatch
        };
        assert_eq!(
            unexpected.why().as_deref(),
            Some("UNEXPECTED PASS: the window is 30 days")
        );
    }

    /// What a failure found travels in the results file and reads back as
    /// the same data.
    #[test]
    fn what_a_failure_found_reads_back_as_data() {
        let report = sample();
        let read = parse(&json::render(&report)).expect("reads back");
        let failed = report
            .cases
            .iter()
            .find(|case| case.found.is_some())
            .expect("the sample has a failure");
        let back = read.case(&failed.name).expect("the case reads back");
        assert_eq!(back.found, failed.found);
        assert!(back.summary().len() > 1, "{:?}", back.summary());
    }

    #[test]
    fn unknown_outcomes_and_other_files_are_refused_with_a_reason() {
        let mut value = serde_json::to_value(ResultsFile::of(&sample())).expect("a value");
        value["cases"][0]["outcome"] = "quarantined".into();
        let err = from_value(&value).expect_err("unknown outcome").to_string();
        assert!(
            err.contains("`quarantined`") && err.contains("server/a/passes"),
            "{err}"
        );
        let err = from_value(&serde_json::json!({"format_version": 9}))
            .expect_err("version")
            .to_string();
        assert!(err.contains("format_version is 9"), "{err}");
        let err = parse("[1, 2]").expect_err("not an object").to_string();
        assert!(err.contains("format_version is missing"), "{err}");
        let err = from_value(&serde_json::json!({"kind": "matrix"}))
            .expect_err("a matrix")
            .to_string();
        assert!(err.starts_with("is the results file of a matrix"), "{err}");
    }
}
