//! `cargo test --test conformance`: every server case against the embedded
//! reference server, through the same code path as `cancel-conformance run
//! --strict` (a deviation from an assumption fails, not only warns).
//! libtest arguments pass through (`cargo test --test conformance -- refund`).

use std::process::ExitCode;

use clap::Parser;

#[derive(Parser)]
struct Args {
    #[command(flatten)]
    run: cancel_conformance::cli::RunArgs,
}

fn main() -> ExitCode {
    let mut args = Args::parse();
    // The reference server is the project's own: it must keep every rule,
    // the assumed ones too, so a warning fails here.
    args.run.strict = true;
    cancel_conformance::cli::run(args.run)
}
