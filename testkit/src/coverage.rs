//! Which cases check which rule: the table in `cases/COVERAGE.md` (written
//! and checked by `tests/generated.rs`, which `cargo xtask bless` runs),
//! and the facts `tests/coverage.rs` enforces (every rule checked, every
//! code the reference server answers exercised, S, F and U all present).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use cancel_conformance::spec::catalog::{Catalog, Side};
use cancel_conformance::spec::docs::generated_markdown_notice;
use cancel_conformance::suite::client_half::case::LoadedClientCase;
use cancel_conformance::suite::server_half::case::LoadedCase;
use cancel_conformance::suite::server_half::case::Step;

/// Rule id → names of the cases (server and client) that cite it.
pub fn cases_by_rule(
    server: &[LoadedCase],
    client: &[LoadedClientCase],
) -> BTreeMap<String, Vec<String>> {
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let cited = server
        .iter()
        .filter_map(|l| l.case.as_ref().ok().map(|c| (&l.name, &c.rules)))
        .chain(
            client
                .iter()
                .filter_map(|l| l.case.as_ref().ok().map(|c| (&l.name, &c.rules))),
        );
    for (name, rules) in cited {
        for rule in rules {
            map.entry(rule.value.clone())
                .or_default()
                .push(name.clone());
        }
    }
    map
}

/// Every result code some case expects, and every status.
pub fn expected_codes_and_statuses(cases: &[LoadedCase]) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut codes = BTreeSet::new();
    let mut statuses = BTreeSet::new();
    for loaded in cases {
        let Ok(case) = &loaded.case else { continue };
        for step in &case.steps {
            let expect = match &step.value {
                Step::Cancel(cancel) => &cancel.expect,
                Step::Inquiry(inquiry) => &inquiry.expect,
                _ => continue,
            };
            if let Some(list) = &expect.result_code {
                codes.extend(list.as_slice().iter().cloned());
            }
            if let Some(status) = expect.result_status {
                statuses.insert(status.as_str().to_string());
            }
        }
    }
    (codes, statuses)
}

/// The checked-in coverage table.
pub fn coverage_markdown(
    catalog: &Catalog,
    server_cases: &[LoadedCase],
    client_cases: &[LoadedClientCase],
) -> String {
    let by_rule = cases_by_rule(server_cases, client_cases);
    let mut out = generated_markdown_notice("spec/rules.yaml and cases/");
    out.push_str(
        "# Coverage: rule → cases\n\nEvery rule of `spec/rules.yaml` and the cases that check it.\n\n| rule | level | side | cases |\n|---|---|---|---|\n",
    );
    for rule in &catalog.rules {
        let side = match rule.side {
            Side::Server => "server",
            Side::Client => "client",
            Side::Both => "both",
        };
        // A rule of some profiles only says so beside its side, so that
        // the table keeps its columns.
        let side = if rule.profiles.is_empty() {
            side.to_string()
        } else {
            let names: Vec<&str> = rule.profiles.iter().map(|p| p.as_str()).collect();
            format!("{side}, profile {} only", names.join(", "))
        };
        let cases = match by_rule.get(&rule.id.value) {
            Some(names) => names
                .iter()
                .map(|name| format!("[`{name}`]({name}.yaml)"))
                .collect::<Vec<_>>()
                .join("<br>"),
            None => match &rule.uncheckable {
                Some(why) => format!("not observable through the API: {}", one_line(why)),
                None => "**none**".to_string(),
            },
        };
        let _ = writeln!(
            out,
            "| `{}` | {} | {side} | {cases} |",
            rule.id.value,
            rule.level.as_str()
        );
    }
    out
}

/// A folded YAML text on one table line.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
