//! How one case ended: the one outcome type of the run reports, the results
//! file, the release gate and the matrix, and the one table of how each
//! outcome is named and shown (name, glyph, label, CSS style) that both
//! HTML pages draw from, so that no two pages can show an outcome apart.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How one case ended, as the reports name it. libtest knows only passed,
/// failed and ignored: an expected failure is one of its passes, an
/// unexpected pass one of its failures, and a warning (a case that only
/// deviates from assumptions or SHOULD rules, in a run that is not strict)
/// one of its passes. A case judging a capability the client does not
/// declare (protocol 3) is not applicable: one of libtest's ignored cases,
/// counted apart in every report, never a pass.
// The declaration order is the order of severity a rule's worst case is
// chosen by (the run page's rule column, `Ord`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
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

/// How an outcome is named and shown, everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Look {
    /// The name in every report (JSON `outcome`, HTML `data-outcome` and
    /// its CSS class).
    pub name: &'static str,
    /// The one-character (or so) sign of a cell or a badge.
    pub glyph: &'static str,
    /// A few words, for a badge and a tooltip.
    pub label: &'static str,
    /// The label with what it means, for the matrix page's legend.
    pub legend: &'static str,
    /// The CSS declarations of the outcome's class, on both pages.
    pub style: &'static str,
}

impl Outcome {
    /// Every outcome, in the order the run page's legend shows them.
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

    /// Every outcome, in the order the matrix's totals, tallies and legend
    /// list them.
    pub const TALLIED: [Outcome; 9] = [
        Outcome::Pass,
        Outcome::Fail,
        Outcome::Warning,
        Outcome::Flaky,
        Outcome::Ignored,
        Outcome::NotApplicable,
        Outcome::ExpectedFail,
        Outcome::UnexpectedPass,
        Outcome::Pending,
    ];

    /// The outcome's row of the table.
    pub fn look(self) -> Look {
        let (name, glyph, label, legend, style) = match self {
            Outcome::Pass => (
                "pass",
                "✓",
                "pass",
                "pass",
                "color: var(--pass); background: var(--pass-bg);",
            ),
            Outcome::Warning => (
                "warning",
                "⚠",
                "warning",
                "warning (fails a SHOULD rule or an assumption only)",
                "color: var(--warn); background: var(--warn-bg);",
            ),
            Outcome::Flaky => (
                "flaky",
                "≈",
                "flaky (failed, then passed when run again)",
                "flaky (a timing case that failed, then passed when run again)",
                "color: var(--warn); background: var(--warn-bg); font-style: italic;",
            ),
            Outcome::Fail => (
                "fail",
                "✗",
                "fail",
                "fail",
                "color: var(--fail); background: var(--fail-bg);",
            ),
            Outcome::Ignored => (
                "ignored",
                "○",
                "ignored",
                "ignored",
                "color: var(--ignored); background: var(--ignored-bg);",
            ),
            Outcome::NotApplicable => (
                "not-applicable",
                "–",
                "not applicable",
                "not applicable",
                "color: var(--ignored); background: var(--ignored-bg); font-style: italic;",
            ),
            Outcome::ExpectedFail => (
                "expected-fail",
                "◐",
                "expected failure",
                "expected failure (listed in the expectations file)",
                "color: var(--xfail); background: var(--xfail-bg);",
            ),
            Outcome::UnexpectedPass => (
                "unexpected-pass",
                "!",
                "unexpected pass",
                "unexpected pass (listed as failing, passes)",
                "color: var(--xpass); background: var(--xpass-bg);",
            ),
            Outcome::Pending => (
                "pending",
                "◇",
                "pending",
                "pending",
                "color: var(--ignored); background: var(--ignored-bg); font-style: italic;",
            ),
        };
        Look {
            name,
            glyph,
            label,
            legend,
            style,
        }
    }

    /// The name in every report (JSON `outcome`, HTML `data-outcome`).
    pub fn as_str(self) -> &'static str {
        self.look().name
    }

    pub fn glyph(self) -> &'static str {
        self.look().glyph
    }

    pub fn label(self) -> &'static str {
        self.look().label
    }

    /// The outcome a report names `text`, if this version knows it.
    pub fn parse(text: &str) -> Option<Outcome> {
        Outcome::ALL
            .into_iter()
            .find(|outcome| outcome.as_str() == text)
    }

    /// What the case's checks found about the implementation, whatever an
    /// expectations file said: an expected failure still failed, and an
    /// unexpected pass still passed.
    pub fn behaviour(self) -> Behaviour {
        match self {
            Outcome::Pass | Outcome::UnexpectedPass | Outcome::Flaky => Behaviour::Passed,
            Outcome::Warning => Behaviour::Warned,
            Outcome::Fail | Outcome::ExpectedFail => Behaviour::Failed,
            Outcome::Ignored | Outcome::NotApplicable | Outcome::Pending => Behaviour::NotJudged,
        }
    }

    /// Whether the outcome fails its run (libtest's failures).
    pub fn fails_the_run(self) -> bool {
        matches!(self, Outcome::Fail | Outcome::UnexpectedPass)
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

/// The CSS rules of `outcomes`' classes, one line each (`.pass { ... }`),
/// as both pages' style sheets hold them.
pub fn css(outcomes: &[Outcome]) -> String {
    outcomes
        .iter()
        .map(|outcome| {
            let look = outcome.look();
            format!(".{} {{ {} }}\n", look.name, look.style)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_outcome_is_named_once_and_reads_back_by_its_name() {
        let mut names: Vec<&str> = Outcome::ALL.iter().map(|o| o.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Outcome::ALL.len());
        for outcome in Outcome::ALL {
            assert_eq!(Outcome::parse(outcome.as_str()), Some(outcome));
            assert!(Outcome::TALLIED.contains(&outcome));
            // The name serde writes is the table's.
            assert_eq!(
                serde_json::to_string(&outcome).ok(),
                Some(format!("\"{}\"", outcome.as_str()))
            );
        }
        assert_eq!(Outcome::parse("quarantined"), None);
    }
}
