//! The conformance page's style sheet. The outcomes' classes come from
//! the one table of how outcomes are shown ([`crate::suite::outcome`]),
//! which the matrix page draws from too.

use crate::suite::outcome::{Outcome, css as outcome_css};

/// What both pages (this one and the matrix page) start with: the
/// outcomes' colours, the page, its header and the run's verdict and facts.
pub(crate) const PAGE_BASE: &str = r#"
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
"#;

/// What comes after [`PAGE_BASE`], before the outcomes' classes.
const BEFORE: &str = r#"dl.run dd { margin: 0; word-break: break-all; }
ul.counts { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 8px; }
ul.counts li { border: 1px solid var(--line); border-radius: 6px; padding: 6px 12px; }
ul.counts strong { font-size: 18px; margin-left: 4px; }
.badge { display: inline-block; border-radius: 4px; padding: 0 6px; white-space: nowrap; }
"#;

/// Between the outcomes' classes.
const WARNINGS: &str = "ul.warnings li.warning { background: none; margin-bottom: 4px; }\n";

/// What comes after them.
const AFTER: &str = r#".none { color: #8c959f; }
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

/// The whole style sheet.
pub(super) fn css() -> String {
    format!(
        "{PAGE_BASE}{BEFORE}{}{WARNINGS}{}{AFTER}",
        outcome_css(&[
            Outcome::Pass,
            Outcome::Fail,
            Outcome::Ignored,
            Outcome::NotApplicable,
            Outcome::Pending,
            Outcome::ExpectedFail,
            Outcome::Warning,
            Outcome::Flaky,
        ]),
        outcome_css(&[Outcome::UnexpectedPass]),
    )
}
