//! The parts of the project's Markdown that are generated from the
//! catalogs, so that prose and spec cannot drift apart.

use std::fmt::Write as _;

use super::catalog::Catalog;
use super::schema::REGENERATE_COMMAND;

/// The first line of every generated Markdown file: an HTML comment, so it
/// is read in the source and invisible when rendered.
pub fn generated_markdown_notice(from: &str) -> String {
    format!("<!-- Generated from {from} by `{REGENERATE_COMMAND}`; do not edit by hand. -->\n")
}

/// `ASSUMPTIONS.md`: every rule whose basis is an assumption, with why the
/// suite had to choose.
pub fn assumptions_document(catalog: &Catalog) -> String {
    let mut out = generated_markdown_notice("spec/rules.yaml");
    out.push_str(
        "# Assumptions\n\n\
Where the seed document, the vendor's docs and the official SDKs are silent or \
disagree, the suite had to choose. Each choice is a rule whose `basis` is \
`assumption` in [`spec/rules.yaml`](spec/rules.yaml); this list is generated \
from it. A target that deviates only from these rules is reported with a \
warning, not a failure, unless the run is `--strict` (INTERPRETING.md says \
how verdicts are reached).\n\n",
    );
    out.push_str(&assumptions_markdown(catalog));
    out
}

/// The list of assumptions: every rule marked as one.
pub fn assumptions_markdown(catalog: &Catalog) -> String {
    let mut out = String::new();
    for rule in catalog.rules.iter().filter(|rule| rule.assumption) {
        let scope = match rule.assumed {
            Some(super::catalog::AssumedPart::ResultCode) => " *(only the result code is assumed)*",
            None => "",
        };
        let _ = writeln!(
            out,
            "- **`{}`** ({}){scope}: {}",
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

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
