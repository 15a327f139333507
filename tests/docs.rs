//! Generated Markdown stays in step with the catalogs and the cases:
//! the README's assumptions and `cases/COVERAGE.md`. `BLESS=1 cargo test
//! --test docs` rewrites them; review the change with `git diff`.

use std::path::{Path, PathBuf};

use cancel_conformance::spec::Catalog;
use cancel_conformance::spec::docs::{
    ASSUMPTIONS_END, ASSUMPTIONS_START, assumptions_markdown, replace_block,
};
use cancel_conformance::suite::coverage::coverage_markdown;
use cancel_conformance::suite::load::{load_cases, load_client_cases};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn blessing() -> bool {
    std::env::var_os("BLESS").is_some()
}

/// Compares `path` with `wanted`, or rewrites it when blessing.
fn check_or_bless(path: PathBuf, wanted: &str) {
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    if current == wanted {
        return;
    }
    if blessing() {
        std::fs::write(&path, wanted).expect("can write the generated file");
        return;
    }
    panic!(
        "{} is out of date with the spec; regenerate with `BLESS=1 cargo test --test docs` and review `git diff`",
        path.display()
    );
}

#[test]
fn readme_lists_every_assumption() {
    let catalog = Catalog::embedded().expect("catalog loads");
    let path = root().join("README.md");
    let readme = std::fs::read_to_string(&path).expect("README.md exists");
    let updated = replace_block(
        &readme,
        ASSUMPTIONS_START,
        ASSUMPTIONS_END,
        &assumptions_markdown(&catalog),
    )
    .expect("README.md holds the assumptions markers");
    check_or_bless(path, &updated);
}

#[test]
fn coverage_table_is_current() {
    let catalog = Catalog::embedded().expect("catalog loads");
    let cases = load_cases(&root().join("cases"), "server", &catalog).expect("cases load");
    let client = load_client_cases(&root().join("cases"), &catalog).expect("client cases load");
    check_or_bless(
        root().join("cases/COVERAGE.md"),
        &coverage_markdown(&catalog, &cases, &client),
    );
}
