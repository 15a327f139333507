//! `cargo xtask bless` regenerates every generated file of the repository:
//! the JSON Schemas and the OpenAPI document under `spec/`, `ASSUMPTIONS.md`,
//! `cases/COVERAGE.md`, the golden outputs under `tests/golden/` and the
//! README's release-gate example (a real run, `tests/golden.rs`).
//!
//! The files are written by the drift tests themselves (`tests/generated.rs`
//! and `tests/golden.rs` rewrite what they check when `BLESS=1` is set), so
//! what is written and what is checked can never be two different things.
//! After writing, the same tests run again without `BLESS` to prove that the
//! tree is now in step, and `git status` shows what changed for review.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// The test targets that check (and, blessed, rewrite) generated files.
const DRIFT_TESTS: [&str; 2] = ["generated", "golden"];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("bless") if args.len() == 1 => bless(),
        _ => {
            eprintln!(
                "usage: cargo xtask bless\n\n  bless   regenerate spec/*.json, ASSUMPTIONS.md, cases/COVERAGE.md and tests/golden/*"
            );
            ExitCode::from(2)
        }
    }
}

fn bless() -> ExitCode {
    let root = repository_root();
    let steps: [(&str, bool); 2] = [("write", true), ("check", false)];
    for (what, blessing) in steps {
        let mut command = Command::new(cargo());
        command
            .current_dir(&root)
            .args(["test", "--locked", "--quiet"]);
        for test in DRIFT_TESTS {
            command.args(["--test", test]);
        }
        if blessing {
            command.env("BLESS", "1");
        } else {
            command.env_remove("BLESS");
        }
        eprintln!("xtask bless: {what} ({})", describe(&command));
        match command.status() {
            Ok(status) if status.success() => {}
            Ok(status) => {
                eprintln!("xtask bless: the {what} step failed ({status})");
                return ExitCode::FAILURE;
            }
            Err(err) => {
                eprintln!("xtask bless: cannot run cargo: {err}");
                return ExitCode::FAILURE;
            }
        }
    }
    // What changed, for review; a missing git is not an error.
    let _ = Command::new("git")
        .current_dir(&root)
        .args([
            "status",
            "--short",
            "--",
            "spec",
            "ASSUMPTIONS.md",
            "cases/COVERAGE.md",
            "tests/golden",
        ])
        .status();
    eprintln!("xtask bless: done; review the change with `git diff`");
    ExitCode::SUCCESS
}

/// The repository root: this crate sits in `xtask/` directly under it.
fn repository_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// The cargo that runs this task, so toolchain overrides carry over.
fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string())
}

fn describe(command: &Command) -> String {
    let mut text = String::from("cargo");
    for arg in command.get_args() {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    text
}
