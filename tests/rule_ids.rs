//! Every rule id the project names exists in `spec/rules.yaml`: the typed
//! constants and any other rule-id literal in `src/`, the `rules:` the case
//! files cite, and the ids the tests and the test kit use. A rule renamed
//! in the catalog and not in the code would otherwise be unknown to the
//! verdict, which takes an unknown rule for a firm one, or the other way
//! round: a failure could silently become a warning.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use cancel_conformance::spec::Catalog;
use cancel_conformance::spec::rule_id::is_rule_id;

/// One rule id named somewhere, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Named {
    file: PathBuf,
    /// 1-based.
    line: usize,
    id: String,
}

/// What names a rule id in Rust source: a string literal that is a rule
/// id whose area (`result` of `result.status-meaning`) is an area of the
/// catalog, or any literal given to `RuleId::new`. (Other dotted
/// literals, `report.xml`, are not rule ids.)
fn ids_in_rust(file: &Path, text: &str, areas: &BTreeSet<String>) -> Vec<Named> {
    let mut found = Vec::new();
    let mut rest = text;
    let mut offset = 0;
    while let Some(open) = rest.find('"') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('"') else { break };
        let literal = &after[..close];
        let start = offset + open;
        let constructed = text[..start].ends_with("RuleId::new(");
        let area = literal.split('.').next().unwrap_or_default();
        if is_rule_id(literal) && (constructed || areas.contains(area)) {
            found.push(Named {
                file: file.to_path_buf(),
                line: text[..start].matches('\n').count() + 1,
                id: literal.to_string(),
            });
        }
        // Every quote is tried as an opening one, so that no literal is
        // skipped; tried on a closing quote, the "literal" is the code up
        // to the next quote, which is never a bare `area.name`.
        offset += open + 1;
        rest = after;
    }
    found
}

/// The ids a case file cites under `rules:`, each at the first line that
/// names it.
fn ids_in_case(file: &Path, text: &str) -> Result<Vec<Named>, String> {
    let case: serde_json::Value =
        cancel_conformance::spec::yaml::parse(file, text).map_err(|err| err.to_string())?;
    let Some(rules) = case.get("rules").and_then(serde_json::Value::as_array) else {
        return Ok(Vec::new());
    };
    Ok(rules
        .iter()
        .filter_map(serde_json::Value::as_str)
        .map(|id| Named {
            file: file.to_path_buf(),
            line: text
                .lines()
                .position(|line| line.contains(id))
                .map_or(0, |index| index + 1),
            id: id.to_string(),
        })
        .collect())
}

/// The named ids the catalog does not have.
fn unknown(named: Vec<Named>, catalog: &Catalog) -> Vec<Named> {
    named
        .into_iter()
        .filter(|named| catalog.rule(&named.id).is_none())
        .collect()
}

/// Every id named in the Rust files and the case files below `dir`.
fn ids_below(dir: &Path, areas: &BTreeSet<String>) -> Vec<Named> {
    let mut files = Vec::new();
    collect(dir, &mut files);
    let mut named = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file)
            .unwrap_or_else(|err| panic!("{}: {err}", file.display()));
        match file.extension().and_then(|ext| ext.to_str()) {
            Some("rs") => named.extend(ids_in_rust(&file, &text, areas)),
            Some("yaml") => {
                named.extend(ids_in_case(&file, &text).unwrap_or_else(|err| panic!("{err}")))
            }
            _ => {}
        }
    }
    named
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|err| panic!("{}: {err}", dir.display()));
    for entry in entries {
        let path = entry
            .unwrap_or_else(|err| panic!("{}: {err}", dir.display()))
            .path();
        if path.is_dir() {
            collect(&path, files);
        } else {
            files.push(path);
        }
    }
}

fn catalog() -> Catalog {
    Catalog::embedded().unwrap_or_else(|err| panic!("{err}"))
}

fn areas(catalog: &Catalog) -> BTreeSet<String> {
    catalog
        .rules
        .iter()
        .filter_map(|rule| rule.id.value.split_once('.'))
        .map(|(area, _)| area.to_string())
        .collect()
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The broken cases the tests load on purpose: this one cites a rule that
/// does not exist, to prove the loader refuses it.
const CITES_A_MISSING_RULE: &str = "tests/broken-cases/server/unknown-rule/cites-missing-rule.yaml";

#[test]
fn every_rule_id_named_in_the_tree_is_in_the_catalog() {
    let catalog = catalog();
    let areas = areas(&catalog);
    let mut named = Vec::new();
    for dir in ["src", "cases", "tests", "testkit"] {
        named.extend(ids_below(&root().join(dir), &areas));
    }
    // The scan sees the constants and the cases' citations.
    assert!(
        named
            .iter()
            .any(|n| n.file.ends_with("src/spec/rule_id.rs") && n.id == "result.status-meaning"),
        "the constants of src/spec/rule_id.rs were not seen"
    );
    assert!(
        named
            .iter()
            .filter(|n| n.file.starts_with(root().join("cases")))
            .count()
            > 100,
        "the cases' `rules:` were not seen"
    );
    let (deliberate, unknown): (Vec<Named>, Vec<Named>) = unknown(named, &catalog)
        .into_iter()
        .partition(|n| n.file.ends_with(CITES_A_MISSING_RULE));
    let shown: Vec<String> = unknown
        .iter()
        .map(|n| format!("{}:{}: `{}`", n.file.display(), n.line, n.id))
        .collect();
    assert!(
        shown.is_empty(),
        "rule ids not in spec/rules.yaml:\n  {}",
        shown.join("\n  ")
    );
    assert_eq!(
        deliberate.len(),
        1,
        "{CITES_A_MISSING_RULE} no longer cites exactly one missing rule: {deliberate:?}"
    );
}

/// An id spelled at run time, so that this file names no unknown id itself.
fn made_up(area: &str) -> String {
    [area, "such-rule"].join(".")
}

#[test]
fn a_made_up_id_given_to_rule_id_new_is_reported_with_its_line() {
    let catalog = catalog();
    let id = made_up("no");
    let text = format!(
        "use crate::spec::rule_id::RuleId;\n\npub const GONE: RuleId<'static> = RuleId::new(\"{id}\");\npub const KEPT: RuleId<'static> = RuleId::new(\"result.status-meaning\");\n"
    );
    let file = Path::new("src/spec/rule_id.rs");
    let named = ids_in_rust(file, &text, &areas(&catalog));
    assert_eq!(named.len(), 2, "{named:?}");
    assert_eq!(
        unknown(named, &catalog),
        [Named {
            file: file.to_path_buf(),
            line: 3,
            id: id.clone(),
        }]
    );
}

#[test]
fn a_made_up_literal_of_a_catalog_area_is_reported_and_other_dotted_text_is_not() {
    let catalog = catalog();
    let id = made_up("result");
    let text = format!(
        "diffs.push(cited(&[\"{id}\"], \"x\", \"y\", \"z\"));\nlet file = \"report.xml\";\nlet at = \"result.resultCode\";\n"
    );
    let named = ids_in_rust(Path::new("src/x.rs"), &text, &areas(&catalog));
    let ids: Vec<&str> = named.iter().map(|n| n.id.as_str()).collect();
    assert_eq!(ids, [id.as_str()]);
    assert_eq!(unknown(named, &catalog).len(), 1);
}

#[test]
fn a_case_citing_a_made_up_rule_is_reported() {
    let catalog = catalog();
    let id = made_up("ident");
    let text =
        format!("description: d\nrules:\n  - ident.either-id-suffices\n  - {id}\nsteps: []\n");
    let file = Path::new("cases/server/x/y.yaml");
    let named = ids_in_case(file, &text).unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(named.len(), 2, "{named:?}");
    let unknown = unknown(named, &catalog);
    assert_eq!(unknown.len(), 1, "{unknown:?}");
    assert_eq!((unknown[0].id.as_str(), unknown[0].line), (id.as_str(), 4));
}
