//! `cargo test --test conformance`: every server case against the embedded
//! reference server, through the same code path as `cancel-conformance run`.
//! libtest arguments pass through (`cargo test --test conformance -- refund`).

use std::process::ExitCode;

use clap::Parser;

#[derive(Parser)]
struct Args {
    #[command(flatten)]
    run: cancel_conformance::cli::RunArgs,
}

fn main() -> ExitCode {
    let args = Args::parse();
    cancel_conformance::cli::run(args.run)
}
