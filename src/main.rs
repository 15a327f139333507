//! The `cancel-conformance` program; the command line is
//! `cancel_conformance::cli`.

fn main() -> std::process::ExitCode {
    cancel_conformance::cli::main()
}
