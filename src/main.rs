//! The `cancel-conformance` command line: `run`, `client`, `matrix`, `fixtures`, `serve`, `schema`, `validate`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use cancel_conformance::cli;
use cancel_conformance::spec::schema::Dialect;
use cancel_conformance::spec::validate::Message;

#[derive(Parser)]
#[command(
    name = "cancel-conformance",
    version,
    about = "Specification and conformance suite for the payment cancel API",
    after_help = "Examples:\n  cancel-conformance run                               # every server case against the embedded reference server\n  cancel-conformance run --endpoint http://127.0.0.1:8080 refund\n  cancel-conformance run --config sandbox.yaml --junit report.xml --html report.html\n  cancel-conformance client --adapter \"cancel-conformance adapter\"\n  cancel-conformance matrix matrix/matrix.yaml --html matrix.html\n  cancel-conformance serve --addr 127.0.0.1:8080\n  cancel-conformance schema --out schemas\n  cancel-conformance validate --message cancel-response captured.json\n\n`run` and `client` read ./cancel-conformance.yaml when present (see `run --help`)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run every server case against the embedded reference server, or --endpoint URL.
    #[command(after_help = cli::RUN_HELP)]
    Run(Box<cli::RunArgs>),
    /// Judge a client through its adapter: the suite plays the provider.
    #[command(after_help = cli::CLIENT_HELP)]
    Client(Box<cli::ClientArgs>),
    /// The project's own Rust client as a client-half adapter (JSON lines
    /// on stdin/stdout, INTERPRETING.md §8); started by `client --adapter`.
    #[command(hide = true)]
    Adapter,
    /// Judge many implementations, clients and servers, in one run: one
    /// page of cases × implementations.
    #[command(after_help = cancel_conformance::matrix::HELP)]
    Matrix(Box<cancel_conformance::matrix::MatrixArgs>),
    /// Prepare a target without a control plane: `--template` prints a
    /// fixtures file skeleton of the payments the server cases need.
    Fixtures(cancel_conformance::suite::sandbox::FixturesArgs),
    /// Serve the reference server.
    Serve(cli::ServeArgs),
    /// Write the JSON Schemas and the OpenAPI document.
    Schema {
        /// Directory to write into (created if missing).
        #[arg(long, default_value = "spec")]
        out: PathBuf,
        /// JSON Schema dialect of the message schemas.
        #[arg(long, value_enum, default_value = "2020-12")]
        draft: Dialect,
    },
    /// Check one captured request or response (JSON file, or - for stdin) against the spec.
    Validate {
        /// Which message the file holds.
        #[arg(long, value_enum)]
        message: Message,
        /// The JSON file.
        file: PathBuf,
    },
}

fn main() -> ExitCode {
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
        Command::Run(args) => cli::run(*args),
        Command::Client(args) => cli::client(*args),
        Command::Adapter => cancel_conformance::client::adapter::adapter_main(),
        Command::Matrix(args) => cancel_conformance::matrix::matrix(*args),
        Command::Fixtures(args) => cancel_conformance::suite::sandbox::fixtures_command(args),
        Command::Serve(args) => cli::serve(args),
        Command::Schema { out, draft } => cli::schema(&out, draft),
        Command::Validate { message, file } => cli::validate(message, &file),
    }
}
