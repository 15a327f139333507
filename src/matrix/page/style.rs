//! The matrix page's style sheet.

use crate::suite::outcome::{self, Outcome};
use crate::suite::report::html::style::PAGE_BASE;

/// The style sheet: the outcomes' classes come from the one table of how
/// outcomes are shown, which the run page draws from too.
pub(super) fn css() -> String {
    format!(
        "{PAGE_BASE}{CSS_BEFORE}{}.stale {{ color: var(--warn); }}\n{CSS_AFTER}",
        outcome::css(&Outcome::TALLIED)
    )
}

/// What comes after the base both pages share ([`PAGE_BASE`]).
const CSS_BEFORE: &str = r#"h3 { font-size: 15px; margin: 16px 0 4px; }
dl.run dd { margin: 0; }
#gate { background: #f6f8fa; border: 1px solid var(--line); padding: 8px; white-space: pre-wrap; }
.badge { display: inline-block; border-radius: 4px; padding: 0 5px; white-space: nowrap; font-size: 12px; }
"#;

const CSS_AFTER: &str = r#".not-run, .dead, .dead th { color: var(--fail); background: var(--fail-bg); }
.hint, small { color: #57606a; }
table { border-collapse: separate; border-spacing: 0; font-size: 12px; }
th, td { border-right: 1px solid var(--line); border-bottom: 1px solid var(--line); padding: 2px 6px; text-align: left; vertical-align: top; }
#totals td.num { text-align: right; font-variant-numeric: tabular-nums; }
#totals td.reason { font-weight: 600; }
.scroll { overflow: auto; max-height: 85vh; border: 1px solid var(--line); }
table.matrix thead th { position: sticky; top: 0; background: #f6f8fa; z-index: 2; }
table.matrix th.impl { min-width: 90px; max-width: 160px; word-break: break-word; }
table.matrix th.impl .tally, table.matrix th.impl .reason { display: block; font-weight: normal; }
table.matrix th.impl.dead { color: var(--fail); background: var(--fail-bg); }
table.matrix th.case-head { position: sticky; left: 0; background: #fff; z-index: 1; white-space: nowrap; font-weight: normal; }
table.matrix thead th.case-head { z-index: 3; background: #f6f8fa; }
table.matrix tr.area th { background: #f6f8fa; font-weight: 600; position: static; }
table.matrix td.cell { text-align: center; min-width: 36px; }
table.matrix td.cell summary { cursor: pointer; list-style: none; }
table.matrix td.cell details[open] { position: relative; }
table.matrix td.cell pre.message { position: absolute; z-index: 5; left: 0; top: 100%; width: 60ch; max-height: 40vh; overflow: auto; text-align: left;
  white-space: pre-wrap; word-break: break-word; background: #fff; color: #1f2328; border: 1px solid var(--line); box-shadow: 0 4px 12px rgba(0,0,0,.15); padding: 6px; margin: 0; }
table.matrix td.not-run { text-align: center; }
table.matrix td.cell:target { outline: 3px solid #0969da; outline-offset: -3px; }
table.rules td { text-align: center; white-space: nowrap; }
code { font-family: ui-monospace, monospace; }
"#;
