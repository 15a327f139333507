//! The command line, in one place: the arguments of every command
//! ([`args`]), where each setting gets its value — flag, environment,
//! configuration file, default ([`config`]) — and what each command does
//! ([`run`] for `run`, `client` and `fixtures`; [`serve`]; [`spec`] for
//! `schema` and `validate`). The suite never reads the command line: it is
//! handed plain settings (`suite::settings`).

pub mod args;
pub mod config;
mod run;
mod serve;
pub mod shared_args;
mod spec;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;

pub use args::{ClientArgs, FixturesArgs, RunArgs, ServeArgs};
pub use run::{client, fixtures, run};
pub use serve::serve;
pub use spec::{schema, validate};

use args::{Cli, Command};
use shared_args::MatrixCommand;

/// The `cancel-conformance` program: parses the command line and runs the
/// command.
pub fn main() -> ExitCode {
    // A bare `--` after `run` is accepted so that both `run --list` and
    // `run -- --list` reach the test harness the same way.
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == "run" || a == "client")
        && let Some(at) = args.iter().position(|a| a == "--")
    {
        args.remove(at);
    }
    let cli = Cli::parse_from(args);
    match cli.command {
        Command::Run(mut args) => {
            args.target.config = config_here(args.target.config.take());
            run(*args)
        }
        Command::Client(mut args) => {
            args.config = config_here(args.config.take());
            client(*args)
        }
        Command::Adapter => crate::client::adapter::adapter_main(),
        Command::Matrix(mut args) => match args.command.take() {
            Some(MatrixCommand::Merge(merge)) => crate::matrix::merge_parts(merge.into()),
            None => crate::matrix::matrix((*args).into()),
        },
        Command::Fixtures(args) => fixtures(args),
        Command::Serve(args) => serve(args),
        Command::Schema { out, draft } => schema(&out, draft),
        Command::Validate { message, file } => validate(message, &file),
        Command::Cases(args::CasesCommand::Export { dir }) => export_cases(&dir),
    }
}

/// `cancel-conformance cases export DIR`: the embedded suite written out.
fn export_cases(dir: &Path) -> ExitCode {
    match crate::suite::embedded::export(dir) {
        Ok(count) => {
            println!(
                "wrote {count} case files of suite {} to {}; run them with --cases {}",
                crate::suite::embedded::SUITE_VERSION,
                dir.display(),
                dir.display()
            );
            ExitCode::SUCCESS
        }
        Err(err) => crate::suite::setup_error(err),
    }
}

/// The configuration file of `run` and `client` as the command sees it:
/// `--config`, else CANCEL_CONFORMANCE_CONFIG, else
/// `./cancel-conformance.yaml` when there is one.
pub fn config_here(flag: Option<PathBuf>) -> Option<PathBuf> {
    config::locate(flag.as_deref(), &config::process_env, Some(Path::new(".")))
}

/// Writes to standard output, ignoring a closed pipe: `schema | head` ends
/// quietly once `head` has read enough, rather than panicking as
/// `println!` does.
pub(crate) fn out(text: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    let _ = std::io::stdout().lock().write_fmt(text);
}
