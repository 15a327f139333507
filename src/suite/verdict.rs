//! A case's outcome turned into the harness's verdict, with the target's
//! expectations applied: a listed case must fail for a reason of the
//! target, and one that passes is reported as no longer deviating. The
//! same for both halves; what a case checks is judged in each half's
//! `exec`.

use libtest_mimic::{Completion, Failed};

use super::failure::{CaseContext, Failure, render};
use super::report::Outcome;
use crate::spec::catalog::Catalog;

/// A case's verdict for the harness, and what the reports say about it.
pub(super) struct Judged {
    pub(super) verdict: Result<Completion, Failed>,
    pub(super) outcome: Outcome,
    pub(super) kind: Option<String>,
    pub(super) message: Option<String>,
}

impl Judged {
    fn failed(outcome: Outcome, kind: &str, message: String) -> Judged {
        let verdict = match outcome {
            Outcome::ExpectedFail => Ok(Completion::Completed),
            _ => Err(message.clone().into()),
        };
        Judged {
            verdict,
            outcome,
            kind: Some(kind.to_string()),
            message: Some(message),
        }
    }
}

/// Turns a case's outcome into the test's verdict, applying the target's
/// expectations: a listed case must fail (for a reason of the target, not
/// of the case), and one that passes is reported as no longer deviating.
pub(super) fn judge(
    outcome: Result<Completion, Failure>,
    expected_failure: Option<&str>,
    context: &CaseContext,
    catalog: &Catalog,
) -> Judged {
    match (outcome, expected_failure) {
        (Ok(Completion::Completed), None) => Judged {
            verdict: Ok(Completion::Completed),
            outcome: Outcome::Pass,
            kind: None,
            message: None,
        },
        (Ok(Completion::Ignored { reason }), _) => Judged {
            message: reason.clone(),
            verdict: Ok(Completion::Ignored { reason }),
            outcome: Outcome::Ignored,
            kind: None,
        },
        (Err(failure), None) => Judged::failed(
            Outcome::Fail,
            failure.kind(),
            render(&failure, context, catalog),
        ),
        // Only a wrong answer is a known deviation: a connection problem or
        // a crashed adapter says nothing about the deviation listed.
        (Err(failure @ Failure::Mismatch { .. }), Some(_)) => Judged::failed(
            Outcome::ExpectedFail,
            failure.kind(),
            render(&failure, context, catalog),
        ),
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
            format!(
                "UNEXPECTED PASS in case {}: the expectations file lists it as failing ({reason}), but it passes now; remove it from the expectations file",
                context.name
            ),
        ),
    }
}
