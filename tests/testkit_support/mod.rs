//! The test kit's binaries for the tests that run them (`mod
//! testkit_support;`).

use std::path::{Path, PathBuf};

/// The broken clients (`testkit/src/bin/broken_adapter.rs`), built first:
/// a plain `cargo test` builds the test kit's binaries, but a lone `cargo
/// test --test NAME` may not have.
pub(crate) fn broken_adapter() -> PathBuf {
    let status = std::process::Command::new(env!("CARGO"))
        .args([
            "build",
            "--quiet",
            "-p",
            "cancel-conformance-testkit",
            "--bin",
            "broken_adapter",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .expect("cargo runs");
    assert!(
        status.success(),
        "cannot build testkit/src/bin/broken_adapter.rs"
    );
    Path::new(env!("CARGO_BIN_EXE_cancel-conformance"))
        .parent()
        .expect("the binary has a directory")
        .join("broken_adapter")
}
