//! Running the `cancel-conformance` binary from a test, out of reach of the
//! settings of whoever runs the tests.

use std::path::Path;
use std::process::Command;

/// The binary, run from `dir` with every `CANCEL_CONFORMANCE_*` variable
/// removed: neither a `cancel-conformance.yaml` in the checkout nor an
/// endpoint or key in the environment can change what the test runs
/// against.
pub(crate) fn isolated_command(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cancel-conformance"));
    command.current_dir(dir);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("CANCEL_CONFORMANCE_") {
            command.env_remove(name);
        }
    }
    command
}
