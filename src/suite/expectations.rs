//! A target's known deviations: cases listed here must still fail (a case
//! that only warns counts as failing), and one that starts passing is
//! reported, so the list never silently goes stale.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::spec::yaml::{self, YamlError};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectationsFile {
    expected_failures: Vec<ExpectedFailure>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedFailure {
    /// The case's name (its path below `cases/` without `.yaml`).
    case: String,
    /// Why the target deviates; shown when the case unexpectedly passes.
    reason: String,
}

/// Case name → why the target is known to fail it.
#[derive(Debug, Clone, Default)]
pub struct Expectations {
    pub failures: BTreeMap<String, String>,
}

impl Expectations {
    /// The expectations in `file` if one is given, else none.
    pub fn for_cases(
        file: Option<&Path>,
        known_cases: &[String],
    ) -> Result<Expectations, YamlError> {
        match file {
            Some(file) => Expectations::load(file, known_cases),
            None => Ok(Expectations::default()),
        }
    }

    /// Reads an expectations file; every listed case must exist.
    pub fn load(file: &Path, known_cases: &[String]) -> Result<Expectations, YamlError> {
        let text = crate::input_file::read_text(file).map_err(|err| YamlError {
            file: file.to_path_buf(),
            line: 1,
            column: 1,
            message: format!("cannot read the expectations file: {}", err.reason()),
        })?;
        let parsed: ExpectationsFile = yaml::parse(file, &text)?;
        let mut failures = BTreeMap::new();
        for entry in parsed.expected_failures {
            if !known_cases.contains(&entry.case) {
                let line = text
                    .lines()
                    .position(|line| line.contains(&entry.case))
                    .map_or(1, |index| index as u64 + 1);
                return Err(YamlError {
                    file: file.to_path_buf(),
                    line,
                    column: 1,
                    message: format!(
                        "`{}` is not a case: use a name that `run --list` prints (without the `: test` suffix)",
                        entry.case
                    ),
                });
            }
            failures.insert(entry.case, entry.reason);
        }
        Ok(Expectations { failures })
    }

    pub fn reason(&self, case: &str) -> Option<&str> {
        self.failures.get(case).map(String::as_str)
    }
}
