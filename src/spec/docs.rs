//! The parts of the project's Markdown that are generated from the
//! catalogs, so that prose and spec cannot drift apart.

use std::fmt::Write as _;

use super::catalog::Catalog;

/// Markers around a generated block inside a hand-written document.
pub const ASSUMPTIONS_START: &str =
    "<!-- assumptions:start (generated from spec/rules.yaml; BLESS=1 cargo test --test docs) -->";
pub const ASSUMPTIONS_END: &str = "<!-- assumptions:end -->";

/// The README's list of assumptions: every rule marked `assumption: true`.
pub fn assumptions_markdown(catalog: &Catalog) -> String {
    let mut out = String::new();
    for rule in catalog.rules.iter().filter(|rule| rule.assumption) {
        let _ = writeln!(
            out,
            "- **`{}`** ({}): {}",
            rule.id.value,
            rule.level.as_str(),
            one_line(&rule.statement)
        );
        if let Some(reason) = &rule.reason {
            let _ = writeln!(out, "  *Why:* {}", one_line(reason));
        }
    }
    out
}

/// Replaces the text between `start` and `end` in `document` with `block`;
/// `None` when the markers are missing.
pub fn replace_block(document: &str, start: &str, end: &str, block: &str) -> Option<String> {
    let from = document.find(start)? + start.len();
    let to = document[from..].find(end)? + from;
    Some(format!(
        "{}\n{}{}",
        &document[..from],
        block,
        &document[to..]
    ))
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
