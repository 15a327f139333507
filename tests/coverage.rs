//! The cases cover the spec: every case loads, every server-side rule is
//! checked by a case, every code the reference server answers is expected
//! by a case, S, F and U all appear, and descriptions are unique facts.

use std::collections::BTreeSet;
use std::path::Path;

use cancel_conformance::spec::Catalog;
use cancel_conformance::spec::catalog::Side;
use cancel_conformance::suite::client_half::case::{ClientCase, LoadedClientCase};
use cancel_conformance::suite::load;
use cancel_conformance::suite::server_half::case::{Case, LoadedCase};
use cancel_conformance_testkit::coverage::{cases_by_rule, expected_codes_and_statuses};

fn client_cases(catalog: &Catalog) -> Vec<LoadedClientCase> {
    let cases = load::cases_in::<ClientCase>(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("cases"),
        catalog,
    )
    .expect("client cases load");
    // Every check below holds trivially over no cases at all.
    assert!(cases.len() >= 10, "only {} client cases load", cases.len());
    cases
}

fn server_cases(catalog: &Catalog) -> Vec<LoadedCase> {
    let cases = load::cases_in::<Case>(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("cases"),
        catalog,
    )
    .expect("cases load");
    assert!(cases.len() >= 50, "only {} server cases load", cases.len());
    cases
}

#[test]
fn every_case_file_is_well_formed() {
    let catalog = Catalog::embedded().expect("catalog loads");
    let bugs: Vec<String> = server_cases(&catalog)
        .iter()
        .filter_map(|loaded| loaded.case.as_ref().err().map(ToString::to_string))
        .chain(
            client_cases(&catalog)
                .iter()
                .filter_map(|loaded| loaded.case.as_ref().err().map(ToString::to_string)),
        )
        .collect();
    assert!(bugs.is_empty(), "bugs in cases:\n{}", bugs.join("\n"));
}

#[test]
fn every_server_rule_is_checked_by_a_server_case() {
    let catalog = Catalog::embedded().expect("catalog loads");
    let by_rule = cases_by_rule(&server_cases(&catalog), &[]);
    let missing: Vec<&str> = catalog
        .rules
        .iter()
        .filter(|rule| rule.side != Side::Client && !by_rule.contains_key(&rule.id.value))
        // A rule no case can observe says why instead (`uncheckable:`).
        .filter(|rule| rule.uncheckable.is_none())
        .map(|rule| rule.id.value.as_str())
        .collect();
    assert!(
        missing.is_empty(),
        "server rules no server case checks: {missing:?}"
    );
}

#[test]
fn every_client_rule_is_checked_by_a_client_case() {
    let catalog = Catalog::embedded().expect("catalog loads");
    let by_rule = cases_by_rule(&[], &client_cases(&catalog));
    let missing: Vec<&str> = catalog
        .rules
        .iter()
        .filter(|rule| rule.side == Side::Client && !by_rule.contains_key(&rule.id.value))
        // A rule no case can observe says why instead (`uncheckable:`).
        .filter(|rule| rule.uncheckable.is_none())
        .map(|rule| rule.id.value.as_str())
        .collect();
    assert!(
        missing.is_empty(),
        "client rules no client case checks: {missing:?}"
    );
}

#[test]
fn every_code_the_reference_server_answers_is_expected_somewhere() {
    let catalog = Catalog::embedded().expect("catalog loads");
    let (codes, statuses) = expected_codes_and_statuses(&server_cases(&catalog));
    let missing: Vec<&str> = catalog
        .codes
        .iter()
        .filter(|entry| entry.reference_server && !codes.contains(&entry.code.value))
        .map(|entry| entry.code.value.as_str())
        .collect();
    assert!(missing.is_empty(), "codes no case expects: {missing:?}");
    for status in ["S", "F", "U"] {
        assert!(statuses.contains(status), "no case expects status {status}");
    }
}

#[test]
fn descriptions_are_unique_statements_of_fact() {
    let catalog = Catalog::embedded().expect("catalog loads");
    let mut seen = BTreeSet::new();
    let server = server_cases(&catalog);
    let client = client_cases(&catalog);
    let descriptions = server
        .iter()
        .filter_map(|l| l.case.as_ref().ok().map(|c| (&l.name, &c.description)))
        .chain(
            client
                .iter()
                .filter_map(|l| l.case.as_ref().ok().map(|c| (&l.name, &c.description))),
        );
    for (name, description) in descriptions {
        let text = description.trim();
        assert!(
            seen.insert(text.to_lowercase()),
            "{name}: description used twice: {text}"
        );
        let lower = format!(" {} ", text.to_lowercase());
        for wish in [" should ", " must ", " ought ", " expected to "] {
            assert!(
                !lower.contains(wish),
                "{name}: a description states a fact, not a wish (`{}`): {text}",
                wish.trim()
            );
        }
    }
}
