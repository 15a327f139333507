//! The client half judges clients: the project's own client (through its
//! adapter, `cancel-conformance adapter`) passes every client case, and
//! each deliberately broken client in `examples/broken_adapter.rs` is
//! failed by at least one case, as a mismatch.

use std::path::{Path, PathBuf};
use std::time::Duration;

use cancel_conformance::spec::Catalog;
use cancel_conformance::suite::client_exec::ClientRun;
use cancel_conformance::suite::load::load_client_cases;
use cancel_conformance::suite::run_all_client;

const BROKEN: &[&str] = &[
    "new-id-on-retry",
    "fails-on-u",
    "retries-on-f",
    "ignores-signature",
    "signs-reserialised-body",
    "production-path-for-sandbox",
    "flips-after-late-notification",
    "sends-amount",
    "no-retry-on-timeout",
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The broken adapters are an example binary; `cargo test` builds examples,
/// but a lone `cargo test --test client_half` may not have, so build it.
fn broken_adapter() -> PathBuf {
    let status = std::process::Command::new(env!("CARGO"))
        .args(["build", "--quiet", "--example", "broken_adapter"])
        .current_dir(root())
        .status()
        .expect("cargo runs");
    assert!(status.success(), "cannot build examples/broken_adapter.rs");
    let bin = Path::new(env!("CARGO_BIN_EXE_cancel-conformance"));
    let dir = bin.parent().expect("the binary has a directory");
    dir.join("examples/broken_adapter")
}

fn run_with(adapter: String, scratch: &str) -> ClientRun {
    let scratch_dir =
        std::env::temp_dir().join(format!("cc-client-half-{scratch}-{}", std::process::id()));
    std::fs::create_dir_all(&scratch_dir).expect("scratch dir");
    ClientRun {
        adapter,
        tls: false,
        client_timeout: Duration::from_millis(200),
        max_attempts: 3,
        adapter_deadline: None,
        scratch_dir,
    }
}

/// Names of the cases that did not pass, with the kind of failure.
async fn failing(run: &ClientRun) -> Vec<String> {
    let catalog = Catalog::embedded().expect("catalog");
    let cases = load_client_cases(&root().join("cases"), &catalog).expect("client cases load");
    assert!(cases.len() >= 10, "the client half has its cases");
    run_all_client(&cases, run)
        .await
        .into_iter()
        .filter_map(|(name, outcome)| match outcome {
            Ok(libtest_mimic::Completion::Completed) => None,
            Ok(libtest_mimic::Completion::Ignored { .. }) => Some(format!("{name}: ignored")),
            Err(failure) => Some(format!("{name}: {} {failure:?}", failure.kind())),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_projects_own_client_passes_every_client_case() {
    let command = format!("{} adapter", env!("CARGO_BIN_EXE_cancel-conformance"));
    let failing = failing(&run_with(command, "good")).await;
    assert!(
        failing.is_empty(),
        "the good client fails:\n{}",
        failing.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_broken_client_is_caught() {
    let adapter = broken_adapter();
    let mut uncaught = Vec::new();
    let mut report = String::new();
    for defect in BROKEN {
        let run = run_with(format!("{} {defect}", adapter.display()), defect);
        let failing = failing(&run).await;
        report.push_str(&format!("{defect}: {} failing\n", failing.len()));
        if !failing.iter().any(|line| line.contains(": MISMATCH ")) {
            uncaught.push(*defect);
        }
    }
    assert!(BROKEN.len() >= 8);
    assert!(
        uncaught.is_empty(),
        "broken clients no case catches: {uncaught:?}\n{report}"
    );
}
