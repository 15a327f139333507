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
    let _ = writeln!(out, "<style>{CSS}</style>\n</head>");
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

fn symbol(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Pass => "✓",
        Outcome::Warning => "⚠",
        Outcome::Flaky => "≈",
        Outcome::Fail => "✗",
        Outcome::Ignored => "○",
        Outcome::NotApplicable => "–",
        Outcome::ExpectedFail => "◐",
        Outcome::UnexpectedPass => "!",
        Outcome::Pending => "◇",
    }
}

fn label(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Pass => "pass",
        Outcome::Warning => "warning",
        Outcome::Flaky => "flaky (failed, then passed when run again)",
        Outcome::Fail => "fail",
        Outcome::Ignored => "ignored",
        Outcome::NotApplicable => "not applicable",
        Outcome::ExpectedFail => "expected failure",
        Outcome::UnexpectedPass => "unexpected pass",
        Outcome::Pending => "pending",
    }
}

fn legend(out: &mut String) {
    out.push_str("<p class=\"legend\">");
    for outcome in Outcome::ALL {
        let _ = write!(
            out,
            "<span class=\"badge {}\">{} {}</span> ",
            outcome.as_str(),
            symbol(outcome),
            label(outcome)
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
            label(case.outcome),
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
            Some(outcome) => (outcome.as_str(), label(outcome)),
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
                    label(case.outcome),
                    index + 1,
                    symbol(case.outcome),
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
            symbol(case.outcome),
            label(case.outcome),
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
        let first = case
            .headline
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
        .map(|(outcome, count)| format!("{count} {}", label(*outcome)))
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
            symbol(case.outcome),
            label(case.outcome),
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

const CSS: &str = r#"
:root { --pass:#1a7f37; --pass-bg:#dafbe1; --fail:#cf222e; --fail-bg:#ffebe9;
  --ignored:#57606a; --ignored-bg:#eaeef2; --xfail:#9a6700; --xfail-bg:#fff8c5;
  --xpass:#8250df; --xpass-bg:#fbefff; --warn:#bc4c00; --warn-bg:#fff1e5; --line:#d0d7de; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1f2328; background: #fff; }
header, main { padding: 0 24px; }
header { border-bottom: 1px solid var(--line); padding-bottom: 8px; }
h1 { font-size: 22px; margin: 16px 0 4px; }
h2 { font-size: 18px; margin: 24px 0 8px; }
p.verdict { display: inline-block; font-weight: 600; padding: 2px 10px; border-radius: 4px; margin: 4px 0 8px; }
p.verdict.pass { color: var(--pass); background: var(--pass-bg); }
p.verdict.fail { color: var(--fail); background: var(--fail-bg); }
dl.run { display: grid; grid-template-columns: max-content auto; gap: 2px 16px; margin: 0; }
dl.run dt { color: #57606a; }
dl.run dd { margin: 0; word-break: break-all; }
ul.counts { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 8px; }
ul.counts li { border: 1px solid var(--line); border-radius: 6px; padding: 6px 12px; }
ul.counts strong { font-size: 18px; margin-left: 4px; }
.badge { display: inline-block; border-radius: 4px; padding: 0 6px; white-space: nowrap; }
.pass { color: var(--pass); background: var(--pass-bg); }
.fail { color: var(--fail); background: var(--fail-bg); }
.ignored { color: var(--ignored); background: var(--ignored-bg); }
.not-applicable { color: var(--ignored); background: var(--ignored-bg); font-style: italic; }
.pending { color: var(--ignored); background: var(--ignored-bg); font-style: italic; }
.expected-fail { color: var(--xfail); background: var(--xfail-bg); }
.warning { color: var(--warn); background: var(--warn-bg); }
.flaky { color: var(--warn); background: var(--warn-bg); font-style: italic; }
ul.warnings li.warning { background: none; margin-bottom: 4px; }
.unexpected-pass { color: var(--xpass); background: var(--xpass-bg); }
.none { color: #8c959f; }
.hint, small { color: #57606a; }
.scroll { overflow: auto; max-height: 80vh; border: 1px solid var(--line); }
#matrix { border-collapse: separate; border-spacing: 0; font-size: 12px; }
#matrix th, #matrix td { border-right: 1px solid var(--line); border-bottom: 1px solid var(--line); padding: 0; }
#matrix thead th { position: sticky; top: 0; background: #f6f8fa; z-index: 2; }
#matrix thead tr:nth-child(2) th { top: 28px; }
#matrix th.group { height: 28px; max-width: 0; overflow: hidden; white-space: nowrap; text-overflow: ellipsis; padding: 0 2px; font-weight: 600; }
#matrix th.case-col { height: 220px; vertical-align: bottom; width: 22px; min-width: 22px; }
#matrix th.case-col span { writing-mode: vertical-rl; transform: rotate(180deg); white-space: nowrap; display: inline-block; padding: 4px 0; font-weight: normal; }
#matrix th.case-col a { color: inherit; text-decoration: none; }
#matrix th.rule-head { position: sticky; left: 0; background: #fff; z-index: 1; text-align: left; white-space: nowrap; padding: 2px 8px; font-weight: normal; font-family: ui-monospace, monospace; }
#matrix thead th.rule-head { z-index: 3; background: #f6f8fa; }
#matrix td.level, #matrix td.rule-verdict { padding: 2px 6px; white-space: nowrap; }
#matrix td.level.must { font-weight: 600; }
#matrix td.cell { text-align: center; width: 22px; min-width: 22px; height: 22px; }
#matrix td.cell a { color: inherit; text-decoration: none; display: block; }
#matrix tr.rule:hover th, #matrix tr.rule:hover td:empty { background: #f6f8fa; }
.assumption { border: 1px solid var(--line); border-radius: 3px; padding: 0 3px; font-family: system-ui, sans-serif; }
#cases { border-collapse: collapse; width: 100%; }
#cases th, #cases td { border-bottom: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; }
#cases td.rules a { font-family: ui-monospace, monospace; font-size: 12px; margin-right: 6px; }
#cases td.num { text-align: right; font-variant-numeric: tabular-nums; }
details.case-detail { border: 1px solid var(--line); border-radius: 6px; margin: 6px 0; background: #fff; }
details.case-detail summary { cursor: pointer; padding: 6px 10px; font-family: ui-monospace, monospace; }
details.case-detail .body { padding: 0 12px 8px; }
details.case-detail:target { outline: 2px solid #0969da; }
pre.transcript { background: #f6f8fa; border: 1px solid var(--line); border-radius: 6px; padding: 8px; overflow: auto; font-size: 12px; white-space: pre-wrap; word-break: break-all; }
code { font-family: ui-monospace, monospace; }
"#;

#[cfg(test)]
mod tests;
