//! The matrix page: one self-contained HTML file (inline CSS, no script, no
//! external asset). Per half that ran, a table of cases (rows, grouped by
//! the area of the first rule each case cites) × implementations
//! (columns), then a per-rule summary; above them, every implementation's
//! totals, the date and the suite's version.
//!
//! Hooks for tools and tests: every judged cell is a `td.cell` with
//! `data-impl`, `data-case` and `data-outcome` (one of the results file's
//! outcomes); a failing cell holds the failure's first lines in its `title`
//! (hover) and in a `<details>` (click). A cell's `id` is
//! `IMPLEMENTATION@CASE`, so a link can point at one cell
//! (`matrix.html#sdk-1.7.1@client/retry/...`). The cells of an implementation that
//! could not start are `td.not-run` without `data-outcome`; its column
//! head, `th.impl.dead`, says why. Totals are `td[data-count]` in
//! `#totals`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::report::{MatrixInfo, rfc3339};
use super::run::{Ran, Status};
use crate::spec::catalog::Catalog;
use crate::suite::outcome::{Behaviour, Outcome};
use crate::suite::report::html::escape;
use crate::suite::report::results::CaseResult;

/// How many lines of a failure a cell shows.
const FIRST_LINES: usize = 8;
/// How long one of those lines may be.
const LINE_CHARS: usize = 200;

pub fn render(info: &MatrixInfo, ran: &[Ran], catalog: &Catalog, gate: Option<&str>) -> String {
    let failing = ran.iter().filter(|ran| ran.fails()).count();
    let verdict = if failing > 0 { "fail" } else { "pass" };
    let started = rfc3339(info.started);
    let mut out = String::with_capacity(256 * 1024);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(
        out,
        "<title>Cancel API conformance matrix: {} implementations</title>",
        ran.len()
    );
    let _ = writeln!(out, "<style>{}</style>\n</head>", style::css());
    let _ = writeln!(out, "<body data-verdict=\"{verdict}\">");
    let _ = writeln!(
        out,
        "<header>\n<h1>Cancel API conformance matrix</h1>\n<p class=\"verdict {verdict}\" id=\"verdict\">{}</p>",
        if failing > 0 {
            format!(
                "{failing} of {} implementations fail a case or could not start",
                ran.len()
            )
        } else {
            format!("every one of {} implementations passes", ran.len())
        }
    );
    out.push_str("<dl class=\"run\">\n");
    for (id, label, value) in [
        ("matrix-file", "Matrix file", escape(&info.file)),
        (
            "started",
            "Date (UTC)",
            format!("<time datetime=\"{0}\">{0}</time>", escape(&started)),
        ),
        (
            "suite-version",
            "Suite version",
            format!("cancel-conformance {}", env!("CARGO_PKG_VERSION")),
        ),
        (
            "duration",
            "Duration",
            format!("{:.1} s", info.duration.as_secs_f64()),
        ),
    ] {
        let _ = writeln!(out, "<dt>{label}</dt><dd id=\"{id}\">{value}</dd>");
    }
    out.push_str("</dl>\n");
    if let Some(gate) = gate {
        let _ = writeln!(
            out,
            "<h2>Release gate</h2>\n<pre id=\"gate\">{}</pre>",
            escape(gate)
        );
    }
    out.push_str("</header>\n<main>\n");
    totals(&mut out, ran);
    super::capabilities::section(&mut out, ran);
    legend(&mut out);
    for half in ["client", "server"] {
        let columns: Vec<&Ran> = ran.iter().filter(|ran| ran.half == half).collect();
        if !columns.is_empty() {
            half_table(&mut out, half, &columns, catalog);
            rule_summary(&mut out, half, &columns, catalog);
        }
    }
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

fn legend(out: &mut String) {
    out.push_str("<p class=\"legend\">");
    for cell in Outcome::TALLIED {
        let _ = write!(
            out,
            "<span class=\"badge {}\">{}</span> {} &nbsp; ",
            cell.as_str(),
            cell.glyph(),
            cell.look().legend
        );
    }
    out.push_str(
        "<span class=\"badge not-run\">—</span> not run: the implementation could not start</p>\n",
    );
}

fn totals(out: &mut String, ran: &[Ran]) {
    out.push_str("<h2>Implementations</h2>\n<table id=\"totals\">\n<thead><tr><th>Implementation</th><th>Half</th><th>Judged</th>");
    for cell in Outcome::TALLIED {
        let _ = write!(out, "<th class=\"{0}\">{0}</th>", cell.as_str());
    }
    out.push_str("<th>total</th></tr></thead>\n<tbody>\n");
    for ran in ran {
        let name = escape(&ran.name);
        let dead = matches!(ran.status, Status::CouldNotStart { .. });
        let _ = write!(
            out,
            "<tr data-impl=\"{name}\" data-status=\"{}\"{}><th>{name}{}{}</th><td>{}</td>",
            if dead { "could-not-start" } else { "judged" },
            if dead { " class=\"dead\"" } else { "" },
            ran.description
                .as_deref()
                .map(|d| format!("<br><small>{}</small>", escape(d)))
                .unwrap_or_default(),
            // A split matrix whose part for it failed: the last known result.
            ran.stale
                .as_deref()
                .map(|date| format!(
                    "<br><small class=\"stale\" data-stale-since=\"{0}\">stale: not run this time; results of {0}</small>",
                    escape(date)
                ))
                .unwrap_or_default(),
            ran.half
        );
        match &ran.status {
            Status::CouldNotStart { reason } => {
                let _ = write!(
                    out,
                    "<td class=\"reason\" colspan=\"{}\">could not start: {}</td>",
                    Outcome::TALLIED.len() + 2,
                    escape(reason)
                );
            }
            Status::Judged { result, .. } => {
                let _ = write!(out, "<td>{}</td>", escape(&result.target));
                for cell in Outcome::TALLIED {
                    let n = result.count(cell);
                    let _ = write!(
                        out,
                        "<td class=\"num{}\" data-count=\"{}\">{n}</td>",
                        if n > 0 {
                            format!(" {}", cell.as_str())
                        } else {
                            String::new()
                        },
                        cell.as_str()
                    );
                }
                let _ = write!(
                    out,
                    "<td class=\"num\" data-count=\"total\">{}</td>",
                    result.cases.len()
                );
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
}

/// The area a case is shown under: its first rule's, else its folder's.
fn area_of(case: &CaseResult) -> String {
    case.rules
        .first()
        .and_then(|rule| rule.split_once('.'))
        .map(|(area, _)| area.to_string())
        .unwrap_or_else(|| case.name.split('/').nth(1).unwrap_or("other").to_string())
}

/// The failure's first lines, for a cell.
fn first_lines(case: &CaseResult) -> String {
    let summary = case.summary();
    let mut lines: Vec<String> = summary
        .iter()
        .take(FIRST_LINES)
        .map(|line| {
            if line.chars().count() > LINE_CHARS {
                let cut: String = line.chars().take(LINE_CHARS).collect();
                format!("{cut}…")
            } else {
                line.to_string()
            }
        })
        .collect();
    if summary.len() > FIRST_LINES {
        lines.push("…".to_string());
    }
    lines.join("\n")
}

fn half_table(out: &mut String, half: &str, columns: &[&Ran], catalog: &Catalog) {
    // Every case any implementation of this half ran, by area in the
    // catalog's order of areas, then by name.
    let mut cases: BTreeMap<String, &CaseResult> = BTreeMap::new();
    for ran in columns {
        if let Some(result) = ran.result() {
            for case in &result.cases {
                cases.entry(case.name.clone()).or_insert(case);
            }
        }
    }
    let area_order: Vec<String> = catalog
        .rules
        .iter()
        .filter_map(|rule| {
            rule.id
                .value
                .split_once('.')
                .map(|(area, _)| area.to_string())
        })
        .fold(Vec::new(), |mut areas, area| {
            if !areas.contains(&area) {
                areas.push(area);
            }
            areas
        });
    let mut by_area: BTreeMap<(usize, String), Vec<&CaseResult>> = BTreeMap::new();
    for case in cases.values() {
        let area = area_of(case);
        let rank = area_order
            .iter()
            .position(|known| *known == area)
            .unwrap_or(usize::MAX);
        by_area.entry((rank, area)).or_default().push(case);
    }
    let lookup: Vec<BTreeMap<&str, &CaseResult>> = columns
        .iter()
        .map(|ran| {
            ran.result()
                .map(|result| {
                    result
                        .cases
                        .iter()
                        .map(|case| (case.name.as_str(), case))
                        .collect()
                })
                .unwrap_or_default()
        })
        .collect();
    let _ = writeln!(
        out,
        "<section class=\"half\" data-half=\"{half}\">\n<h2>{} half: {} cases × {} implementations</h2>",
        if half == "client" { "Client" } else { "Server" },
        cases.len(),
        columns.len()
    );
    let _ = writeln!(
        out,
        "<div class=\"scroll\"><table class=\"matrix\" id=\"matrix-{half}\">\n<thead><tr><th class=\"case-head\">Case</th>"
    );
    for ran in columns {
        let name = escape(&ran.name);
        match (&ran.status, ran.result()) {
            (Status::CouldNotStart { reason }, _) => {
                let _ = write!(
                    out,
                    "<th class=\"impl dead\" data-impl=\"{name}\" data-status=\"could-not-start\">{name}<span class=\"reason\">could not start: {}</span></th>",
                    escape(reason)
                );
            }
            (_, Some(result)) => {
                let tally: Vec<String> = Outcome::TALLIED
                    .into_iter()
                    .filter(|cell| result.count(*cell) > 0)
                    .map(|cell| {
                        format!(
                            "<span class=\"badge {}\">{} {}</span>",
                            cell.as_str(),
                            cell.glyph(),
                            result.count(cell)
                        )
                    })
                    .collect();
                let _ = write!(
                    out,
                    "<th class=\"impl\" data-impl=\"{name}\" data-status=\"judged\">{name}<span class=\"tally\">{}</span></th>",
                    tally.join(" ")
                );
            }
            _ => {}
        }
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for ((_, area), rows) in &by_area {
        let _ = writeln!(
            out,
            "<tr class=\"area\"><th colspan=\"{}\">{} <small>({} cases)</small></th></tr>",
            columns.len() + 1,
            escape(area),
            rows.len()
        );
        for case in rows {
            let case_name = escape(&case.name);
            let _ = write!(
                out,
                "<tr class=\"case\" data-case=\"{case_name}\"><th class=\"case-head\" title=\"{}\"><code>{}</code></th>",
                escape(&case.rules.join(", ")),
                escape(
                    case.name
                        .split_once('/')
                        .map_or(&case.name[..], |(_, rest)| rest)
                )
            );
            for (ran, cases) in columns.iter().zip(&lookup) {
                let name = escape(&ran.name);
                match (&ran.status, cases.get(case.name.as_str())) {
                    (Status::CouldNotStart { .. }, _) => {
                        let _ = write!(
                            out,
                            "<td class=\"not-run\" data-impl=\"{name}\" data-case=\"{case_name}\">—</td>"
                        );
                    }
                    (_, None) => {
                        let _ = write!(
                            out,
                            "<td class=\"absent\" data-impl=\"{name}\" data-case=\"{case_name}\"></td>"
                        );
                    }
                    (_, Some(found)) => cell(out, &name, &case_name, found),
                }
            }
            out.push_str("</tr>\n");
        }
    }
    out.push_str("</tbody>\n</table></div>\n");
}

fn cell(out: &mut String, impl_name: &str, case_name: &str, case: &CaseResult) {
    let outcome = case.outcome.as_str();
    let text = first_lines(case);
    let _ = write!(
        out,
        "<td class=\"cell {outcome}\" id=\"{impl_name}@{case_name}\" data-impl=\"{impl_name}\" data-case=\"{case_name}\" data-outcome=\"{outcome}\" title=\"{}\">",
        escape(&text)
    );
    if matches!(case.outcome, Outcome::Pass) {
        let _ = write!(out, "{}</td>", case.outcome.glyph());
    } else {
        let _ = write!(
            out,
            "<details><summary>{}</summary><pre class=\"message\">{}</pre></details></td>",
            case.outcome.glyph(),
            escape(&text)
        );
    }
}

fn rule_summary(out: &mut String, half: &str, columns: &[&Ran], catalog: &Catalog) {
    // Per rule and implementation: cases citing it that passed, of those judged.
    let mut rules: BTreeSet<&str> = BTreeSet::new();
    for ran in columns {
        if let Some(result) = ran.result() {
            for case in &result.cases {
                rules.extend(case.rules.iter().map(String::as_str));
            }
        }
    }
    let ordered: Vec<&str> = catalog
        .rules
        .iter()
        .map(|rule| rule.id.value.as_str())
        .filter(|id| rules.contains(id))
        .chain(
            rules
                .iter()
                .copied()
                .filter(|id| catalog.rule(id).is_none()),
        )
        .collect();
    let _ = writeln!(
        out,
        "<h3>Per rule ({half} half)</h3>\n<p class=\"hint\">Cases citing the rule whose checks passed, of those judged; ✗ when one failed.</p>\n<div class=\"scroll\"><table class=\"rules\" id=\"rules-{half}\">\n<thead><tr><th>Rule</th><th>Level</th>"
    );
    for ran in columns {
        let _ = write!(out, "<th>{}</th>", escape(&ran.name));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for id in ordered {
        let level = catalog.rule(id).map_or("?", |rule| rule.level.as_str());
        let _ = write!(
            out,
            "<tr data-rule=\"{0}\"><th><code>{0}</code></th><td>{level}</td>",
            escape(id)
        );
        for ran in columns {
            let Some(result) = ran.result() else {
                out.push_str("<td class=\"not-run\">—</td>");
                continue;
            };
            let citing: Vec<Behaviour> = result
                .cases
                .iter()
                .filter(|case| case.rules.iter().any(|rule| rule == id))
                .map(|case| case.outcome.behaviour())
                .collect();
            let judged = citing
                .iter()
                .filter(|b| **b != Behaviour::NotJudged)
                .count();
            let passed = citing.iter().filter(|b| **b == Behaviour::Passed).count();
            let class = if citing.contains(&Behaviour::Failed) {
                "fail"
            } else if citing.contains(&Behaviour::Warned) {
                "warning"
            } else if judged > 0 {
                "pass"
            } else {
                "ignored"
            };
            let _ = write!(
                out,
                "<td class=\"{class}\" data-impl=\"{}\">{}{passed}/{judged}</td>",
                escape(&ran.name),
                if class == "fail" { "✗ " } else { "" }
            );
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table></div>\n</section>\n");
}

mod style;

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::suite::failure::{Diff, Found};
    use crate::suite::report::results::RunResult;

    fn case(name: &str, cell: Outcome) -> CaseResult {
        CaseResult {
            name: name.to_string(),
            rules: vec!["ident.at-least-one".to_string()],
            outcome: cell,
            kind: (cell == Outcome::Fail).then(|| "MISMATCH".to_string()),
            message: (cell == Outcome::Fail).then(|| {
                format!("MISMATCH in case {name}\n  rule ident.at-least-one: <expected> S")
            }),
            file: String::new(),
            found: (cell == Outcome::Fail).then(|| Found::Differences {
                step: 1,
                action: "cancel".into(),
                diffs: vec![Diff::new("result.resultStatus", "<expected>", "S")],
            }),
            expected_failure_reason: None,
            capabilities: Vec::new(),
        }
    }

    fn judged(name: &str, cases: Vec<CaseResult>) -> Ran {
        Ran {
            name: name.to_string(),
            description: None,
            half: "client",
            status: Status::Judged {
                exit_code: 101,
                written: Box::new(serde_json::Value::Null),
                result: Box::new(RunResult {
                    half: "client".into(),
                    target: "adapter".into(),
                    start_time: String::new(),
                    tool_version: String::new(),
                    implementation: None,
                    cases,
                }),
            },
            duration: Duration::ZERO,
            stale: None,
        }
    }

    #[test]
    fn one_cell_per_case_per_judged_implementation_and_a_red_column_for_the_rest() {
        let ran = vec![
            judged(
                "a",
                vec![
                    case("client/x/one", Outcome::Pass),
                    case("client/x/two", Outcome::Fail),
                ],
            ),
            judged("b", vec![case("client/x/one", Outcome::Warning)]),
            Ran {
                name: "c".into(),
                description: None,
                half: "client",
                status: Status::CouldNotStart {
                    reason: "the adapter's program `./x` does not exist".into(),
                },
                duration: Duration::ZERO,
                stale: None,
            },
        ];
        let info = MatrixInfo {
            file: "m.yaml".into(),
            started: time::OffsetDateTime::UNIX_EPOCH,
            duration: Duration::ZERO,
        };
        let html = render(&info, &ran, &Catalog::embedded().expect("catalog"), None);
        assert_eq!(html.matches("<td class=\"cell ").count(), 3);
        assert_eq!(html.matches("data-outcome=\"warning\"").count(), 1);
        assert_eq!(
            html.matches("<td class=\"not-run\" data-impl=\"c\"")
                .count(),
            2
        );
        assert_eq!(html.matches("<td class=\"absent\"").count(), 1);
        assert!(html.contains("could not start: the adapter&#39;s program `./x` does not exist"));
        assert!(html.contains("<pre class=\"message\">MISMATCH in case client/x/two\n  step 1: cancel\n    expected vs actual:\n      result.resultStatus  expected &lt;expected&gt;\n                           actual   S</pre>"), "{html}");
        // Per rule: cases citing it that passed, of those judged.
        let row = html
            .split("<tr data-rule=\"ident.at-least-one\">")
            .nth(1)
            .and_then(|rest| rest.split("</tr>").next())
            .expect("the rule's row");
        assert!(row.contains("<td>MUST</td>"), "{row}");
        assert!(
            row.contains("<td class=\"fail\" data-impl=\"a\">✗ 1/2</td>"),
            "{row}"
        );
        assert!(
            row.contains("<td class=\"warning\" data-impl=\"b\">0/1</td>"),
            "{row}"
        );
        assert!(row.contains("<td class=\"not-run\">—</td>"), "{row}");
        assert!(html.contains("1970-01-01T00:00:00Z"));
        assert!(html.contains(env!("CARGO_PKG_VERSION")));
        assert!(!html.contains("<script") && !html.contains("src="));
    }
}
