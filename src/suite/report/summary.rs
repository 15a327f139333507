//! CI-native output: `--summary FILE` writes a Markdown job summary (on
//! GitHub Actions, point it at `$GITHUB_STEP_SUMMARY`): the verdict, the
//! counts, the regressions against a baseline, and each failing case with
//! its first difference and a link into the HTML report. Under GitHub
//! Actions every failure is also printed as an `::error` annotation naming
//! the case file, so it shows on the pull request.

use std::fmt::Write as _;
use std::path::Path;

use super::gate::Comparison;
use super::results::{CaseResult, RunResult};
use super::{Outcome, Report};

/// At most this many failures are listed one by one; the HTML report has
/// the rest. A job summary is capped at 1 MiB by GitHub.
const LISTED: usize = 50;

/// The Markdown job summary of `report`; `results` is the same run read
/// back (for each failure's first difference), `html` the HTML report's
/// path as given, for links into it.
pub fn render(
    report: &Report,
    results: &RunResult,
    comparison: Option<&Comparison>,
    html: Option<&Path>,
) -> String {
    let counts = report.counts();
    let failed = match comparison {
        Some(comparison) => !comparison.passes(),
        None => counts.failed > 0,
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## {}: {}\n",
        report.info.half.command(),
        if failed { "❌ failed" } else { "✅ passed" }
    );
    let _ = writeln!(
        out,
        "Target: {}  \nSuite: {}\n",
        inline(&report.info.target),
        inline(&report.info.suite)
    );
    out.push_str(
        "| total | passed | failed | warnings | expected failures | ignored | pending |\n",
    );
    out.push_str("|---:|---:|---:|---:|---:|---:|---:|\n");
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} | {} | {} | {} |\n",
        counts.total,
        counts.passed,
        counts.failed,
        counts.warnings,
        counts.expected_failures,
        counts.ignored,
        counts.pending
    );
    if let Some(comparison) = comparison {
        let _ = writeln!(
            out,
            "Against the baseline: {} regression(s), {} improvement(s), {} still failing, {} new case(s) (pending).\n",
            comparison.regressions.len(),
            comparison.improvements.len(),
            comparison.still_failing,
            comparison.new_cases.len()
        );
        if !comparison.regressions.is_empty() {
            out.push_str("### Regressions\n\n");
            for change in &comparison.regressions {
                let _ = writeln!(
                    out,
                    "- {}: {} → {}{}",
                    link(&change.name, report, html),
                    change.before.as_str(),
                    change.after.as_str(),
                    change
                        .why
                        .as_deref()
                        .map(|why| format!(" — {}", inline(why)))
                        .unwrap_or_default()
                );
            }
            out.push('\n');
        }
    }
    let failures: Vec<&CaseResult> = results
        .cases
        .iter()
        .filter(|case| case.outcome.fails_the_run())
        .collect();
    if !failures.is_empty() {
        out.push_str("### Failures\n\n");
        for case in failures.iter().take(LISTED) {
            let _ = writeln!(
                out,
                "- {}: {}",
                link(&case.name, report, html),
                inline(
                    &case
                        .why()
                        .unwrap_or_else(|| case.outcome.as_str().to_string())
                )
            );
        }
        if failures.len() > LISTED {
            let _ = writeln!(
                out,
                "- … and {} more (see the HTML report)",
                failures.len() - LISTED
            );
        }
        out.push('\n');
    }
    if let Some(html) = html {
        let _ = writeln!(out, "Full report: `{}`", html.display());
    }
    out
}

/// The case's name, linked to its section of the HTML report when there
/// is one (the page numbers its cases from 1 in name order, `#case-N`).
fn link(name: &str, report: &Report, html: Option<&Path>) -> String {
    let index = report.cases.iter().position(|case| case.name == name);
    match (html, index) {
        (Some(html), Some(index)) => {
            format!("[`{name}`]({}#case-{})", html.display(), index + 1)
        }
        _ => format!("`{name}`"),
    }
}

/// Text on one Markdown line: no line breaks, no table pipes, no HTML.
fn inline(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
        .replace('<', "&lt;")
}

/// One GitHub Actions `::error` (a failure) or `::warning` (a warning)
/// line per case, naming its file; pending cases show as notices.
pub fn annotations(report: &Report, results: &RunResult) -> String {
    let mut out = String::new();
    for case in &report.cases {
        let level = match case.outcome {
            Outcome::Fail | Outcome::UnexpectedPass => "error",
            Outcome::Warning => "warning",
            Outcome::Pending => "notice",
            _ => continue,
        };
        let why = results
            .case(&case.name)
            .and_then(CaseResult::why)
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "::{level} file={},title={}::{}",
            property(&case.file.display().to_string()),
            property(&format!("{}: {}", case.name, case.outcome.as_str())),
            data(&why)
        );
    }
    out
}

/// Escapes a workflow command's message, as the runner decodes it.
fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow command's property value.
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::super::gate;
    use super::super::tests::sample;
    use super::*;

    #[test]
    fn the_summary_counts_and_links_every_failure() {
        let report = sample();
        let results = RunResult::of(&report);
        let text = render(&report, &results, None, Some(Path::new("r/report.html")));
        assert!(
            text.starts_with("## cancel-conformance run: ❌ failed"),
            "{text}"
        );
        assert!(text.contains("| 5 | 2 | 2 | 0 | 1 | 1 | 0 |"), "{text}");
        let failing: Vec<&str> = results
            .cases
            .iter()
            .filter(|case| case.outcome.fails_the_run())
            .map(|case| case.name.as_str())
            .collect();
        assert_eq!(failing.len(), 2);
        for name in failing {
            let index = report
                .cases
                .iter()
                .position(|c| c.name == name)
                .expect("in report")
                + 1;
            assert!(
                text.contains(&format!("[`{name}`](r/report.html#case-{index}): ")),
                "{text}"
            );
        }
        // Markup from a target's answer never reaches the page as HTML.
        assert!(!text.contains("<b>"), "{text}");
    }

    #[test]
    fn against_a_baseline_the_verdict_is_the_gates() {
        let report = sample();
        let results = RunResult::of(&report);
        let comparison = gate::compare(&results, &results);
        let text = render(&report, &results, Some(&comparison), None);
        assert!(text.contains("✅ passed"), "{text}");
        assert!(text.contains("0 regression(s)"), "{text}");
    }

    #[test]
    fn annotations_name_the_case_file_and_escape_the_message() {
        let report = sample();
        let results = RunResult::of(&report);
        let text = annotations(&report, &results);
        let errors: Vec<&str> = text.lines().filter(|l| l.starts_with("::error ")).collect();
        assert_eq!(errors.len(), 2, "{text}");
        for line in errors {
            assert!(line.contains("file=cases/server/"), "{line}");
            assert_eq!(
                line.matches("::").count(),
                2,
                "one command per line: {line}"
            );
        }
        assert_eq!(data("a%b\nc"), "a%25b%0Ac");
        assert_eq!(property("x:y,z"), "x%3Ay%2Cz");
    }
}
