//! The conformance page: one self-contained HTML file (inline CSS, no
//! script, no external assets) that a person opens from a CI artifact. It
//! shows what was judged and when, the tally, a matrix of rules × cases,
//! and every case with its outcome and, for failures, the masked exchange.
//!
//! Tools and tests read it through stable hooks: `id="count-passed"`,
//! `count-failed`, `count-ignored`, `count-expected-fail`,
//! `count-unexpected-pass`, `count-warning`, `count-not-applicable`,
//! `count-pending`, `count-total` hold the tally (in libtest's terms:
//! expected failures and warnings are among the passed, not-applicable
//! cases among the ignored; pending cases are counted apart); the warnings
//! have a section of their own, `#warnings`, one
//! `li.warning` per case with `data-case`; every matrix cell where
//! a case cites a rule is a `td.cell` with `data-outcome`, `data-rule` and
//! `data-case`; every case is a `tr.case` in `#cases` and a
//! `details.case-detail`, each with `data-outcome`.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::{CaseRecord, Half, Outcome, Report, rfc3339, seconds};
use crate::spec::catalog::{Catalog, Side};

/// The whole page.
pub fn render(report: &Report, catalog: &Catalog) -> String {
    let counts = report.counts();
    let info = &report.info;
    let half = match info.half {
        Half::Server => "server half",
        Half::Client => "client half",
    };
    let verdict = if counts.failed > 0 { "fail" } else { "pass" };
    let mut out = String::with_capacity(64 * 1024);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(
        out,
        "<title>Cancel API conformance ({half}): {}</title>",
        escape(&info.target)
    );
    let _ = writeln!(out, "<style>{}</style>\n</head>", style::css());
    let _ = writeln!(
        out,
        "<body data-half=\"{}\" data-verdict=\"{verdict}\">",
        info.half.as_str()
    );
    let _ = writeln!(
        out,
        "<header>\n<h1>Cancel API conformance: {half}</h1>\n<p class=\"verdict {verdict}\" id=\"verdict\">{}</p>",
        match (verdict, counts.warnings) {
            ("fail", _) => "FAILED: some case failed".to_string(),
            (_, 0) => "PASSED: no case failed".to_string(),
            (_, warnings) => format!(
                "PASSED: no case failed ({warnings} warning{}: deviations from assumptions only)",
                if warnings == 1 { "" } else { "s" }
            ),
        }
    );
    out.push_str("<dl class=\"run\">\n");
    let started = rfc3339(info.started);
    for (id, label, value) in [
        ("target", "Target", escape(&info.target)),
        (
            "started",
            "Started (UTC)",
            format!("<time datetime=\"{0}\">{0}</time>", escape(&started)),
        ),
        (
            "duration",
            "Duration",
            format!("{} s", seconds(info.duration)),
        ),
        ("command", "Command", escape(info.half.command())),
        (
            "profile",
            "Profile",
            escape(info.profile.as_deref().unwrap_or("—")),
        ),
        (
            "control-plane",
            "Control plane",
            escape(info.control_plane.as_deref().unwrap_or("—")),
        ),
        (
            "tool",
            "Suite",
            format!("{} {}", env!("CARGO_PKG_NAME"), escape(&info.suite)),
        ),
    ] {
        let _ = writeln!(out, "<dt>{label}</dt><dd id=\"{id}\">{value}</dd>");
    }
    if let Some(facts) = &info.client {
        // Protocol 3: who the client says it is and what it is judged on.
        let said = facts.implementation.as_ref().map_or_else(
            || "a protocol 2 adapter (no hello): judged on every capability".to_string(),
            |found| {
                let capabilities: Vec<&str> =
                    found.capabilities.iter().map(|c| c.as_str()).collect();
                format!(
                    "{} {} ({}); declares {}",
                    found.name,
                    found.version,
                    found.language,
                    capabilities.join(", ")
                )
            },
        );
        let _ = writeln!(
            out,
            "<dt>Client</dt><dd id=\"implementation\">{}</dd>",
            escape(&said)
        );
    }
    out.push_str("</dl>\n</header>\n<main>\n");
    failures(&mut out, report);

    out.push_str("<section id=\"summary\">\n<h2>Summary</h2>\n<ul class=\"counts\">\n");
    for (class, label, id, value, note) in [
        ("total", "cases", "count-total", counts.total, ""),
        ("pass", "passed", "count-passed", counts.passed, ""),
        ("fail", "failed", "count-failed", counts.failed, ""),
        (
            "warning",
            "warnings",
            "count-warning",
            counts.warnings,
            "counted as passed",
        ),
        (
            "flaky",
            "flaky",
            "count-flaky",
            counts.flaky,
            "failed once, passed when run again; counted as passed",
        ),
        ("ignored", "ignored", "count-ignored", counts.ignored, ""),
        (
            "not-applicable",
            "not applicable",
            "count-not-applicable",
            counts.not_applicable,
            "counted as ignored: a capability the client does not declare",
        ),
        (
            "pending",
            "pending",
            "count-pending",
            counts.pending,
            "newer than the pinned suite or the baseline; never failing",
        ),
        (
            "expected-fail",
            "expected failures",
            "count-expected-fail",
            counts.expected_failures,
            "counted as passed",
        ),
        (
            "unexpected-pass",
            "unexpected passes",
            "count-unexpected-pass",
            counts.unexpected_passes,
            "counted as failed",
        ),
        (
            "filtered",
            "filtered out",
            "count-filtered-out",
            counts.filtered_out,
            "not run",
        ),
    ] {
        let note = if note.is_empty() {
            String::new()
        } else {
            format!(" <small>({note})</small>")
        };
        let _ = writeln!(
            out,
            "<li class=\"count {class}\">{label} <strong id=\"{id}\">{value}</strong>{note}</li>"
        );
    }
    out.push_str("</ul>\n");
    legend(&mut out);
    out.push_str("</section>\n");

    warnings(&mut out, report, catalog);
    matrix(&mut out, report, catalog);
    case_list(&mut out, report);
    case_details(&mut out, report, catalog);
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

fn legend(out: &mut String) {
    out.push_str("<p class=\"legend\">");
    for outcome in Outcome::ALL {
        let _ = write!(
            out,
            "<span class=\"badge {}\">{} {}</span> ",
            outcome.as_str(),
            outcome.glyph(),
            outcome.label()
        );
    }
    out.push_str("<span class=\"badge none\">· no case of this run checks the rule</span></p>\n");
}

/// The rules a page lists: every rule binding this half, then any other
/// rule a case cites, in the catalog's order.
fn rules_shown<'a>(report: &Report, catalog: &'a Catalog) -> Vec<&'a crate::spec::Rule> {
    let cited: BTreeSet<&str> = report
        .cases
        .iter()
        .flat_map(|case| case.rules.iter().map(String::as_str))
        .collect();
    catalog
        .rules
        .iter()
        .filter(|rule| {
            let binds = match report.info.half {
                Half::Server => matches!(rule.side, Side::Server | Side::Both),
                Half::Client => matches!(rule.side, Side::Client | Side::Both),
            };
            binds || cited.contains(rule.id.value.as_str())
        })
        .collect()
}

/// The outcome that speaks for a rule: its worst case. An ignored case
/// says nothing about the rule: it speaks only when no case citing the
/// rule ran.
fn rule_outcome<'a>(cases: impl Iterator<Item = &'a CaseRecord>) -> Option<Outcome> {
    let outcomes: Vec<Outcome> = cases.map(|case| case.outcome).collect();
    outcomes
        .iter()
        .copied()
        .filter(|outcome| *outcome != Outcome::Ignored)
        .max()
        .or_else(|| outcomes.first().map(|_| Outcome::Ignored))
}

fn matrix(out: &mut String, report: &Report, catalog: &Catalog) {
    let rules = rules_shown(report, catalog);
    out.push_str("<section id=\"matrix-section\">\n<h2>Rules × cases</h2>\n");
    out.push_str("<p class=\"hint\">Hover a rule for its statement, a cell or a column for its case; click a column to see the case.</p>\n");
    out.push_str("<div class=\"scroll\">\n<table id=\"matrix\">\n<thead>\n<tr><th class=\"rule-head\" rowspan=\"2\" scope=\"col\">rule</th><th rowspan=\"2\" scope=\"col\">level</th><th rowspan=\"2\" scope=\"col\">result</th>");
    // Folders span their cases; cases are sorted, so a folder's cases are adjacent.
    let mut groups: Vec<(&str, usize)> = Vec::new();
    for case in &report.cases {
        match groups.last_mut() {
            Some((folder, count)) if *folder == case.folder() => *count += 1,
            _ => groups.push((case.folder(), 1)),
        }
    }
    for (folder, count) in &groups {
        let short = folder.rsplit('/').next().unwrap_or(folder);
        let _ = write!(
            out,
            "<th class=\"group\" colspan=\"{count}\" scope=\"colgroup\" title=\"{}\"><span>{}</span></th>",
            escape(folder),
            escape(short)
        );
    }
    out.push_str("</tr>\n<tr>");
    for (index, case) in report.cases.iter().enumerate() {
        let leaf = case.name.rsplit('/').next().unwrap_or(&case.name);
        let _ = write!(
            out,
            "<th class=\"case-col {}\" scope=\"col\" title=\"{}: {}\"><a href=\"#case-{}\"><span>{} {}</span></a></th>",
            case.outcome.as_str(),
            escape(&case.name),
            case.outcome.label(),
            index + 1,
            index + 1,
            escape(leaf)
        );
    }
    out.push_str("</tr>\n</thead>\n<tbody>\n");
    for rule in rules {
        let id = rule.id.value.as_str();
        let citing = || {
            report
                .cases
                .iter()
                .filter(move |case| case.rules.iter().any(|cited| cited == id))
        };
        let verdict = rule_outcome(citing());
        let (verdict_class, verdict_text) = match verdict {
            Some(outcome) => (outcome.as_str(), outcome.label()),
            None => ("none", "not checked"),
        };
        let _ = write!(
            out,
            "<tr class=\"rule\" id=\"rule-{0}\" data-rule=\"{0}\" data-level=\"{1}\" data-rule-outcome=\"{2}\"><th scope=\"row\" class=\"rule-head\" title=\"{1}: {3}\">{0}{4}</th><td class=\"level {5}\">{1}</td><td class=\"rule-verdict\"><span class=\"badge {2}\">{6}</span> <small>{7}</small></td>",
            escape(id),
            rule.level.as_str(),
            verdict_class,
            escape(&rule.statement),
            if rule.assumption {
                " <small class=\"assumption\" title=\"the sources are silent; the suite chose\">assumption</small>"
            } else {
                ""
            },
            rule.level.as_str().to_ascii_lowercase(),
            verdict_text,
            breakdown(citing()),
        );
        for (index, case) in report.cases.iter().enumerate() {
            if case.rules.iter().any(|cited| cited == id) {
                let _ = write!(
                    out,
                    "<td class=\"cell {0}\" data-outcome=\"{0}\" data-rule=\"{1}\" data-case=\"{2}\" title=\"{2}: {3}\"><a href=\"#case-{4}\">{5}</a></td>",
                    case.outcome.as_str(),
                    escape(id),
                    escape(&case.name),
                    case.outcome.label(),
                    index + 1,
                    case.outcome.glyph(),
                );
            } else {
                out.push_str("<td></td>");
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n</div>\n</section>\n");
}

fn case_list(out: &mut String, report: &Report) {
    out.push_str("<section id=\"case-list\">\n<h2>Cases</h2>\n<table id=\"cases\">\n<thead><tr><th scope=\"col\">#</th><th scope=\"col\">case</th><th scope=\"col\">outcome</th><th scope=\"col\">kind</th><th scope=\"col\">rules</th><th scope=\"col\">time (s)</th></tr></thead>\n<tbody>\n");
    for (index, case) in report.cases.iter().enumerate() {
        let rules: Vec<String> = case
            .rules
            .iter()
            .map(|rule| format!("<a href=\"#rule-{0}\">{0}</a>", escape(rule)))
            .collect();
        let _ = writeln!(
            out,
            "<tr class=\"case\" data-outcome=\"{0}\" data-case=\"{1}\"><td>{2}</td><td><a href=\"#case-{2}\">{1}</a></td><td><span class=\"badge {0}\">{3} {4}</span></td><td>{5}</td><td class=\"rules\">{6}</td><td class=\"num\">{7}</td></tr>",
            case.outcome.as_str(),
            escape(&case.name),
            index + 1,
            case.outcome.glyph(),
            case.outcome.label(),
            escape(case.kind.as_deref().unwrap_or("")),
            rules.join(" "),
            seconds(case.duration),
        );
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

/// What a person looks at first: every failing case, linked to its
/// details, with its first difference.
fn failures(out: &mut String, report: &Report) {
    let failing: Vec<(usize, &CaseRecord)> = report
        .cases
        .iter()
        .enumerate()
        .filter(|(_, case)| matches!(case.outcome, Outcome::Fail | Outcome::UnexpectedPass))
        .collect();
    if failing.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "<section id=\"failures\">\n<h2>Failures ({})</h2>\n<ol class=\"failures\">",
        failing.len()
    );
    for (index, case) in failing {
        let headline = case.headline();
        let first = headline
            .as_deref()
            .or_else(|| case.message.as_deref().and_then(|text| text.lines().next()))
            .unwrap_or("");
        let _ = writeln!(
            out,
            "<li data-case=\"{1}\"><a href=\"#case-{0}\">{1}</a> <span class=\"badge {2}\">{3}</span><br><code>{4}</code></li>",
            index + 1,
            escape(&case.name),
            case.outcome.as_str(),
            escape(case.kind.as_deref().unwrap_or("")),
            escape(first)
        );
    }
    out.push_str("</ol>\n</section>\n");
}

/// How the cases citing a rule ended, outcome by outcome (the numbers add
/// up to the cases citing it).
fn breakdown<'a>(cases: impl Iterator<Item = &'a CaseRecord>) -> String {
    let mut counts: Vec<(Outcome, usize)> = Vec::new();
    for case in cases {
        match counts
            .iter_mut()
            .find(|(outcome, _)| *outcome == case.outcome)
        {
            Some((_, count)) => *count += 1,
            None => counts.push((case.outcome, 1)),
        }
    }
    counts.sort_by_key(|(outcome, _)| {
        [
            Outcome::Pass,
            Outcome::Fail,
            Outcome::Warning,
            Outcome::Ignored,
            Outcome::ExpectedFail,
            Outcome::UnexpectedPass,
        ]
        .iter()
        .position(|o| o == outcome)
    });
    counts
        .iter()
        .map(|(outcome, count)| format!("{count} {}", outcome.label()))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// The cases that only deviate from assumptions, each with the rules and
/// why each is only an assumption; nothing when there are none.
fn warnings(out: &mut String, report: &Report, catalog: &Catalog) {
    let warned: Vec<(usize, &CaseRecord)> = report
        .cases
        .iter()
        .enumerate()
        .filter(|(_, case)| case.outcome == Outcome::Warning)
        .collect();
    if warned.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "<section id=\"warnings\">\n<h2>Warnings</h2>\n<p>These cases deviate only from project assumptions or SHOULD rules: they pass, unless the run is strict (<code>--strict</code>).</p>\n<ul class=\"warnings\">"
    );
    for (index, case) in warned {
        let _ = write!(
            out,
            "<li class=\"warning\" data-case=\"{0}\"><a href=\"#case-{1}\">{0}</a><ul>",
            escape(&case.name),
            index + 1
        );
        for deviation in &case.deviations {
            let _ = write!(
                out,
                "<li data-rule=\"{}\">{}</li>",
                escape(&deviation.rule),
                escape(&super::super::verdict::describe(deviation, catalog))
            );
        }
        out.push_str("</ul></li>\n");
    }
    out.push_str("</ul>\n</section>\n");
}

fn case_details(out: &mut String, report: &Report, catalog: &Catalog) {
    out.push_str("<section id=\"case-details\">\n<h2>Case by case</h2>\n");
    for (index, case) in report.cases.iter().enumerate() {
        let failed = !matches!(
            case.outcome,
            Outcome::Pass | Outcome::Ignored | Outcome::NotApplicable
        );
        let _ = writeln!(
            out,
            "<details class=\"case-detail\" id=\"case-{1}\" data-outcome=\"{0}\" data-case=\"{2}\"{3}>\n<summary><span class=\"badge {0}\">{4} {5}</span> {1}. {2}</summary>",
            case.outcome.as_str(),
            index + 1,
            escape(&case.name),
            if matches!(case.outcome, Outcome::Fail | Outcome::UnexpectedPass) {
                " open"
            } else {
                ""
            },
            case.outcome.glyph(),
            case.outcome.label(),
        );
        out.push_str("<div class=\"body\">\n");
        if !case.description.is_empty() {
            let _ = writeln!(
                out,
                "<p class=\"description\">{}</p>",
                escape(&case.description)
            );
        }
        let _ = writeln!(
            out,
            "<p class=\"file\">file <code>{}</code> · {} s</p>",
            escape(&case.file.display().to_string()),
            seconds(case.duration)
        );
        if !case.rules.is_empty() {
            out.push_str("<ul class=\"rules\">\n");
            for id in &case.rules {
                match catalog.rule(id) {
                    Some(rule) => {
                        let _ = writeln!(
                            out,
                            "<li><a href=\"#rule-{0}\">{0}</a> ({1}): {2}</li>",
                            escape(id),
                            rule.level.as_str(),
                            escape(&rule.statement)
                        );
                    }
                    None => {
                        let _ = writeln!(out, "<li>{}</li>", escape(id));
                    }
                }
            }
            out.push_str("</ul>\n");
        }
        if let Some(reason) = &case.expected_failure_reason {
            let _ = writeln!(
                out,
                "<p class=\"expectation\">Listed in the expectations file: {}</p>",
                escape(reason)
            );
        }
        match (&case.message, failed) {
            (Some(message), true) => {
                let _ = writeln!(out, "<pre class=\"transcript\">{}</pre>", escape(message));
            }
            (Some(message), false) => {
                let _ = writeln!(out, "<p class=\"reason\">{}</p>", escape(message));
            }
            (None, _) => {
                out.push_str(
                    "<p class=\"reason\">Every step's answer showed what the case expects.</p>\n",
                );
            }
        }
        out.push_str("</div>\n</details>\n");
    }
    out.push_str("</section>\n");
}

/// Escapes text for HTML content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // A target's body may carry control characters; shown, they
            // would only garble the page.
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

pub(crate) mod style;
#[cfg(test)]
mod tests;
