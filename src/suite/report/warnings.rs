//! What a run prints after libtest's summary, where libtest has no word
//! for them: the flaky cases and the warnings, each in full, then each
//! warning's deviations from assumptions and SHOULD rules.

use std::fmt::Write as _;

use super::{CaseRecord, Outcome};
use crate::spec::catalog::Catalog;
use crate::suite::verdict::describe;

/// The flaky cases (failed, then passed when run once more), each with
/// its first run's failure, then how many: libtest counted them as passed.
fn flaky_summary(records: &[CaseRecord]) -> String {
    let flaky: Vec<&CaseRecord> = records
        .iter()
        .filter(|record| record.outcome == Outcome::Flaky)
        .collect();
    if flaky.is_empty() {
        return String::new();
    }
    let mut out = String::from("\nflaky:\n\n");
    for record in &flaky {
        let _ = writeln!(out, "---- {} ----", record.name);
        let _ = writeln!(out, "{}", record.message.as_deref().unwrap_or_default());
    }
    let _ = writeln!(
        out,
        "{} flaky: these timing cases failed, then passed when run once more (counted as passed; never a silent pass):",
        flaky.len()
    );
    for record in flaky {
        let _ = writeln!(out, "  {}", record.name);
    }
    out
}

/// What the run prints after libtest's summary, where libtest has no word
/// for a warning: each warning in full (as libtest shows a failure), then
/// how many cases only warned, each with the assumptions it deviates from
/// and their reasons. Empty when no case warned.
pub fn summary(records: &[CaseRecord], catalog: &Catalog) -> String {
    let mut out = flaky_summary(records);
    let warned: Vec<&CaseRecord> = records
        .iter()
        .filter(|record| record.outcome == Outcome::Warning)
        .collect();
    if warned.is_empty() {
        return out;
    }
    out.push_str("\nwarnings:\n\n");
    for record in &warned {
        let _ = writeln!(out, "---- {} ----", record.name);
        let _ = writeln!(out, "{}", record.message.as_deref().unwrap_or_default());
    }
    let _ = writeln!(
        out,
        "{} warning{}: these cases deviate only from assumptions or SHOULD rules (they pass; `--strict` fails them):",
        warned.len(),
        if warned.len() == 1 { "" } else { "s" }
    );
    for record in warned {
        let _ = writeln!(out, "  {}", record.name);
        for deviation in &record.deviations {
            let _ = writeln!(out, "    {}", describe(deviation, catalog));
        }
    }
    out
}
