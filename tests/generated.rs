//! Every generated file of the repository is in step with what generates
//! it: the schemas and the OpenAPI document under `spec/` (from the Rust
//! types), `ASSUMPTIONS.md` (from `spec/rules.yaml`) and `cases/COVERAGE.md`
//! (from the rules and the cases). One test, so that any drift fails in one
//! place and names the one command that repairs it; the golden outputs have
//! theirs in `tests/golden.rs`, blessed by the same command.
//!
//! With `BLESS=1` the test writes what it would compare instead;
//! `cargo xtask bless` runs it that way (xtask/src/main.rs).

use std::path::{Path, PathBuf};

use cancel_conformance::spec::Catalog;
use cancel_conformance::spec::docs::assumptions_document;
use cancel_conformance::spec::schema::{self, Dialect, REGENERATE_COMMAND};
use cancel_conformance::suite::client_half::case::ClientCase;
use cancel_conformance::suite::load;
use cancel_conformance::suite::server_half::case::Case;
use cancel_conformance_testkit::coverage::coverage_markdown;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn blessing() -> bool {
    std::env::var_os("BLESS").is_some()
}

/// Every generated file and the text it must hold.
fn wanted_files() -> Vec<(PathBuf, String)> {
    let catalog = Catalog::embedded().expect("the embedded catalog loads");
    let mut files = Vec::new();
    for (name, doc) in cancel_conformance::documents::generate(Dialect::Draft2020_12) {
        files.push((root().join("spec").join(name), schema::render(&doc)));
    }
    files.push((
        root().join("ASSUMPTIONS.md"),
        assumptions_document(&catalog),
    ));
    let cases = load::cases_in::<Case>(&root().join("cases"), &catalog).expect("cases load");
    let client =
        load::cases_in::<ClientCase>(&root().join("cases"), &catalog).expect("client cases load");
    files.push((
        root().join("cases/COVERAGE.md"),
        coverage_markdown(&catalog, &cases, &client),
    ));
    files
}

/// A `.json` file under `spec/` that nothing generates any more.
fn stale_spec_documents() -> Vec<PathBuf> {
    let expected = cancel_conformance::documents::generate(Dialect::Draft2020_12);
    let entries = std::fs::read_dir(root().join("spec")).expect("spec/ is readable");
    entries
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| {
            let name = path
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default();
            name.ends_with(".json") && !expected.contains_key(&name)
        })
        .collect()
}

#[test]
fn every_generated_file_is_current() {
    let mut drifted = Vec::new();
    for (path, wanted) in wanted_files() {
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        if current == wanted {
            continue;
        }
        if blessing() {
            std::fs::write(&path, wanted).expect("can write the generated file");
        } else {
            drifted.push(path);
        }
    }
    for path in stale_spec_documents() {
        if blessing() {
            std::fs::remove_file(&path).expect("can delete a stale generated file");
        } else {
            drifted.push(path);
        }
    }
    let listed: Vec<String> = drifted
        .iter()
        .map(|path| {
            path.strip_prefix(root())
                .unwrap_or(path)
                .display()
                .to_string()
        })
        .collect();
    assert!(
        drifted.is_empty(),
        "generated files are out of step with what generates them (or no longer generated): {}\nregenerate with: {REGENERATE_COMMAND}   (then review `git diff`)",
        listed.join(", ")
    );
}

#[test]
fn every_generated_file_says_so_in_its_first_lines() {
    for (path, wanted) in wanted_files() {
        let head: String = wanted.lines().take(5).collect::<Vec<_>>().join("\n");
        assert!(
            head.contains("Generated") && head.contains(REGENERATE_COMMAND),
            "{} does not say in its first lines that it is generated and by what:\n{head}",
            path.display()
        );
    }
}

/// INTERPRETING.md tells a server's owner how many cases need the control
/// plane; the figure is hand-written, so it is held to the cases here.
#[test]
fn interpreting_counts_the_cases_that_need_the_control_plane() {
    let catalog = Catalog::embedded().expect("the embedded catalog loads");
    let cases = load::cases_in::<Case>(&root().join("cases"), &catalog).expect("cases load");
    let needing = cases
        .iter()
        .filter(|loaded| {
            loaded
                .case
                .as_ref()
                .is_ok_and(|case| case.needs_control_plane())
        })
        .count();
    let sentence = format!("{needing}\nof the {} server cases", cases.len());
    let text = std::fs::read_to_string(root().join("INTERPRETING.md")).expect("INTERPRETING.md");
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let wanted = sentence.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains(&wanted),
        "INTERPRETING.md (\"Set up your server to be judged\") must say \"{wanted}\": update the figure"
    );
}
