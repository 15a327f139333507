//! Capability summaries: per client implementation and per capability
//! (protocol 3, INTERPRETING.md §8), how the cases judging it ended —
//! pass, fail, warning, not applicable — in the matrix JSON and on its
//! page. A case judging several capabilities counts under each. The
//! implementation's name, version and language come from its `hello`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{Map, Value, json};

use super::run::Ran;
use crate::domain::Capability;
use crate::suite::outcome::Outcome;
use crate::suite::report::html::escape;
use crate::suite::report::results::RunResult;

/// Per capability, how many of the cases judging it ended as each cell.
/// Empty for a server, or a results file older than protocol 3.
pub fn tally(result: &RunResult) -> BTreeMap<Capability, BTreeMap<Outcome, usize>> {
    let mut tally: BTreeMap<Capability, BTreeMap<Outcome, usize>> = BTreeMap::new();
    for case in &result.cases {
        for capability in &case.capabilities {
            *tally
                .entry(*capability)
                .or_default()
                .entry(case.outcome)
                .or_default() += 1;
        }
    }
    tally
}

/// Whether the client declared `capability`: a protocol 2 adapter (no
/// `hello`) is judged on everything, so it counts as declaring it all.
fn declared(result: &RunResult, capability: Capability) -> bool {
    result
        .implementation
        .as_ref()
        .is_none_or(|found| found.capabilities.contains(&capability))
}

/// The summary as the matrix JSON carries it: `null` when no case names a
/// capability, else per capability (in [`Capability::ALL`] order) whether
/// it is declared and the count of every cell.
pub fn to_value(result: &RunResult) -> Value {
    let tally = tally(result);
    if tally.is_empty() {
        return Value::Null;
    }
    let mut summary = Map::new();
    for capability in Capability::ALL {
        let counts = tally.get(&capability);
        let mut entry = Map::new();
        entry.insert("declared".into(), json!(declared(result, capability)));
        for cell in Outcome::TALLIED {
            let n = counts.and_then(|counts| counts.get(&cell)).copied();
            entry.insert(cell.as_str().into(), json!(n.unwrap_or(0)));
        }
        summary.insert(capability.as_str().into(), Value::Object(entry));
    }
    Value::Object(summary)
}

/// The page's table: one row per client implementation, one column per
/// capability; each cell the tally, coloured by its worst outcome.
pub fn section(out: &mut String, ran: &[Ran]) {
    let rows: Vec<(&Ran, &RunResult)> = ran
        .iter()
        .filter_map(|ran| Some((ran, ran.result()?)))
        .filter(|(_, result)| !tally(result).is_empty())
        .collect();
    if rows.is_empty() {
        return;
    }
    out.push_str("<h2>Capabilities</h2>\n<p>Per client and capability, how the cases judging it ended. A client is judged only on the capabilities its adapter declares in <code>hello</code>; the other cases are not applicable (grey).</p>\n<table id=\"capabilities\">\n<thead><tr><th>Implementation</th><th>Says it is</th>");
    for capability in Capability::ALL {
        let _ = write!(out, "<th>{capability}</th>");
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for (ran, result) in rows {
        let name = escape(&ran.name);
        let who = result.implementation.as_ref().map_or_else(
            || "protocol 2 adapter: judged on everything".to_string(),
            |found| {
                escape(&format!(
                    "{} {} ({})",
                    found.name, found.version, found.language
                ))
            },
        );
        let _ = write!(
            out,
            "<tr data-impl=\"{name}\"><th>{name}</th><td>{who}</td>"
        );
        let tally = tally(result);
        for capability in Capability::ALL {
            let counts = tally.get(&capability).cloned().unwrap_or_default();
            let class = worst(&counts);
            let text: Vec<String> = Outcome::TALLIED
                .into_iter()
                .filter_map(|cell| {
                    let n = counts.get(&cell).copied().unwrap_or(0);
                    (n > 0).then(|| format!("{n} {}", cell.as_str()))
                })
                .collect();
            let _ = write!(
                out,
                "<td class=\"{class}\" data-capability=\"{capability}\" data-declared=\"{}\">{}</td>",
                declared(result, capability),
                if text.is_empty() {
                    "no case".to_string()
                } else {
                    text.join(", ")
                }
            );
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
}

/// The class of a capability's cell: its worst outcome.
fn worst(counts: &BTreeMap<Outcome, usize>) -> &'static str {
    let has = |cell| counts.get(&cell).is_some_and(|n| *n > 0);
    [
        Outcome::Fail,
        Outcome::UnexpectedPass,
        Outcome::Warning,
        Outcome::ExpectedFail,
        Outcome::Pass,
        Outcome::Ignored,
        Outcome::NotApplicable,
    ]
    .into_iter()
    .find(|cell| has(*cell))
    .map_or("not-run", Outcome::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Implementation;
    use crate::suite::report::results::CaseResult;

    fn case(name: &str, cell: Outcome, capabilities: &[Capability]) -> CaseResult {
        CaseResult {
            name: name.into(),
            rules: vec![],
            outcome: cell,
            kind: None,
            message: None,
            file: String::new(),
            found: None,
            expected_failure_reason: None,
            capabilities: capabilities.to_vec(),
        }
    }

    #[test]
    fn each_case_counts_under_every_capability_it_judges() {
        let result = RunResult {
            half: "client".into(),
            target: String::new(),
            start_time: String::new(),
            tool_version: String::new(),
            implementation: Some(Implementation {
                name: "sdk".into(),
                version: "1".into(),
                language: "Python".into(),
                homepage: "https://example.com".into(),
                capabilities: vec![Capability::Sign, Capability::Verify],
            }),
            cases: vec![
                case("a", Outcome::Pass, &[Capability::Sign]),
                case("b", Outcome::Fail, &[Capability::Sign, Capability::Verify]),
                case(
                    "c",
                    Outcome::NotApplicable,
                    &[Capability::Sign, Capability::Retry],
                ),
            ],
        };
        let value = to_value(&result);
        assert_eq!(value["sign"]["pass"], 1);
        assert_eq!(value["sign"]["fail"], 1);
        assert_eq!(value["sign"]["not-applicable"], 1);
        assert_eq!(value["verify"]["fail"], 1);
        assert_eq!(value["retry"]["declared"], false);
        assert_eq!(value["retry"]["not-applicable"], 1);
        assert_eq!(value["orders"]["pass"], 0);
        let mut page = String::new();
        let ran = Ran {
            name: "sdk-1".into(),
            description: None,
            half: "client",
            status: super::super::run::Status::Judged {
                exit_code: 101,
                written: Box::new(Value::Null),
                result: Box::new(result),
            },
            duration: std::time::Duration::ZERO,
            stale: None,
        };
        section(&mut page, &[ran]);
        assert!(
            page.contains(
                "<td class=\"fail\" data-capability=\"verify\" data-declared=\"true\">1 fail</td>"
            ),
            "{page}"
        );
        assert!(page.contains("<td class=\"not-applicable\" data-capability=\"retry\" data-declared=\"false\">1 not-applicable</td>"), "{page}");
        assert!(page.contains("sdk 1 (Python)"), "{page}");
    }
}
