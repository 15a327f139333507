//! A case's outcome turned into the harness's verdict, with the target's
//! expectations applied: a listed case must fail for a reason of the
//! target, and one that passes is reported as no longer deviating; a
//! failure that rests only on assumptions is a warning unless the run is
//! strict ([`super::verdict`]). The same for both halves; what a case
//! checks is judged in each half's `exec`.

use libtest_mimic::{Completion, Failed};

use super::failure::{self, CaseContext, Failure, render};
use super::report::Outcome;
use super::verdict;
use crate::spec::catalog::Catalog;

/// A case's verdict for the harness, and what the reports say about it.
pub(super) struct Judged {
    pub(super) outcome: Outcome,
    pub(super) kind: Option<String>,
    pub(super) message: Option<String>,
    pub(super) deviations: Vec<verdict::Deviation>,
}

impl Judged {
    /// The harness's verdict, which the outcome decides: a warning and an
    /// expected failure pass the trial (libtest has no warning outcome; the
    /// run prints the warnings after its summary), an ignored case is
    /// ignored with its reason, a failure and an unexpected pass fail it.
    pub(super) fn verdict(&self) -> Result<Completion, Failed> {
        match self.outcome {
            Outcome::Pass | Outcome::Warning | Outcome::Flaky | Outcome::ExpectedFail => {
                Ok(Completion::Completed)
            }
            // libtest has no "not applicable": it is ignored there, with
            // its reason, and reported apart everywhere else.
            Outcome::Ignored | Outcome::NotApplicable => Ok(Completion::Ignored {
                reason: self.message.clone(),
            }),
            // Shown as ignored with its one-line reason, never failing; the
            // reports carry the whole message.
            Outcome::Pending => Ok(Completion::Ignored {
                reason: self
                    .message
                    .as_deref()
                    .and_then(|message| message.lines().next())
                    .map(str::to_string),
            }),
            Outcome::Fail | Outcome::UnexpectedPass => {
                Err(self.message.clone().unwrap_or_default().into())
            }
        }
    }

    /// The case judged as pending (`reason`, [`super::pending`]): it ran
    /// and what it found is kept, but it is counted apart and never fails
    /// the run. A case that never got to judge its target stays as it was.
    pub(super) fn pending(self, reason: &str) -> Judged {
        let found = match self.outcome {
            Outcome::Ignored | Outcome::NotApplicable => return self,
            Outcome::Pass | Outcome::UnexpectedPass => "it passes".to_string(),
            Outcome::Flaky => "it passes when run again (flaky)".to_string(),
            Outcome::Warning => "it passes with a warning".to_string(),
            Outcome::Fail | Outcome::ExpectedFail | Outcome::Pending => {
                format!("it would fail ({})", self.kind.as_deref().unwrap_or("FAIL"))
            }
        };
        let message = match &self.message {
            Some(message) => format!("{reason}; {found}\n{message}"),
            None => format!("{reason}; {found}"),
        };
        Judged {
            outcome: Outcome::Pending,
            message: Some(message),
            ..self
        }
    }

    fn failed(outcome: Outcome, kind: &'static str, message: String) -> Judged {
        Judged::from_judgement(verdict::Judgement {
            outcome,
            kind,
            message,
            deviations: Vec::new(),
        })
    }

    fn from_judgement(judgement: verdict::Judgement) -> Judged {
        Judged {
            outcome: judgement.outcome,
            kind: Some(judgement.kind.to_string()),
            message: Some(judgement.message),
            deviations: judgement.deviations,
        }
    }
}

/// Turns a case's outcome into the test's verdict, applying the target's
/// expectations: a listed case must fail (for a reason of the target, not
/// of the case), and one that passes is reported as no longer deviating.
pub(super) fn judge(
    outcome: Result<Completion, Failure>,
    expected_failure: Option<&str>,
    strict: bool,
    context: &CaseContext,
    catalog: &Catalog,
) -> Judged {
    if let Err(failure) = &outcome
        && let Some(reason) = failure.not_applicable_reason()
    {
        // Not judged, so an expectations entry says nothing about it.
        return Judged {
            outcome: Outcome::NotApplicable,
            kind: None,
            message: Some(reason),
            deviations: Vec::new(),
        };
    }
    match (outcome, expected_failure) {
        (Ok(Completion::Completed), None) => Judged {
            outcome: Outcome::Pass,
            kind: None,
            message: None,
            deviations: Vec::new(),
        },
        (Ok(Completion::Ignored { reason }), _) => Judged {
            message: reason,
            outcome: Outcome::Ignored,
            kind: None,
            deviations: Vec::new(),
        },
        // Failed, then passed when run once more: its own outcome, a pass
        // for the harness, listed apart in every report.
        (Err(failure @ Failure::Flaky { .. }), _) => Judged {
            outcome: Outcome::Flaky,
            kind: Some(failure.kind().to_string()),
            message: Some(render(&failure, context, catalog)),
            deviations: Vec::new(),
        },
        (Err(failure), None) => {
            Judged::from_judgement(verdict::judge_failure(&failure, context, catalog, strict))
        }
        // Only a wrong answer is a known deviation: a connection problem or
        // a crashed adapter says nothing about the deviation listed. A
        // warning may be listed too.
        (Err(failure @ Failure::Mismatch { .. }), Some(_)) => {
            let judgement = verdict::judge_failure(&failure, context, catalog, false);
            Judged::from_judgement(verdict::Judgement {
                outcome: Outcome::ExpectedFail,
                kind: failure.kind(),
                ..judgement
            })
        }
        (Err(failure), Some(_)) => Judged::failed(
            Outcome::Fail,
            failure.kind(),
            format!(
                "{}\n(listed as a known deviation, but it failed for another reason than a wrong answer)",
                render(&failure, context, catalog)
            ),
        ),
        (Ok(Completion::Completed), Some(reason)) => Judged::failed(
            Outcome::UnexpectedPass,
            "UNEXPECTED PASS",
            failure::unexpected_pass(&context.name, reason),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_warning_passes_its_trial_and_an_expectations_entry_covers_it() {
        let catalog = Catalog::embedded().expect("catalogs load");
        let context = CaseContext {
            name: "server/http/a-case".into(),
            file: "cases/server/http/a-case.yaml".into(),
            description: String::new(),
            rules: vec!["codes.media-type-not-acceptable".into()],
        };
        let weak = || {
            Err(Failure::Mismatch {
                step: 1,
                action: "cancel".into(),
                diffs: vec![failure::Diff::new("result.resultCode", "A", "B")],
                transcript: None,
            })
        };
        let lenient = judge(weak(), None, false, &context, &catalog);
        assert_eq!(lenient.outcome, Outcome::Warning);
        assert!(lenient.verdict().is_ok());
        let strict = judge(weak(), None, true, &context, &catalog);
        assert_eq!(strict.outcome, Outcome::Fail);
        assert!(strict.verdict().is_err());
        let listed = judge(weak(), Some("known"), true, &context, &catalog);
        assert_eq!(listed.outcome, Outcome::ExpectedFail);
        assert!(listed.verdict().is_ok());
        assert_eq!(listed.deviations.len(), 1);
    }
}
