//! Running a command from a test and reading what it said.

use std::process::Command;

/// Runs `command` to its end and returns its exit code (-1 when a signal
/// ended it) and its standard output followed by its standard error.
///
/// # Panics
///
/// When the command cannot be started: the test cannot go on.
pub fn code_and_output(command: &mut Command) -> (i32, String) {
    let output = command.output().expect("the command runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code().unwrap_or(-1), text)
}
