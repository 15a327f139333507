//! The arguments shared by several commands — where the reports go and the
//! release gate — and those of `matrix`, as the command line takes them.
//! Each becomes the plain settings of the part it drives
//! ([`ReportPaths`], [`GateSettings`], [`MatrixSettings`],
//! [`MergeSettings`]); nothing below the command line sees clap.

use std::path::PathBuf;

use crate::matrix::MatrixSettings;
use crate::matrix::merge::MergeSettings;
use crate::suite::report::ReportPaths;
use crate::suite::report::gate::GateSettings;

/// Where to write the reports; every one is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
pub struct ReportArgs {
    /// Write a JUnit XML report here (one testcase per case).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write a JSON results file here (counts and every case's outcome).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write a self-contained HTML conformance page here (rules × cases).
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Write a Markdown job summary here (counts, regressions, each
    /// failure's first difference, links into the --html report); on
    /// GitHub Actions give "$GITHUB_STEP_SUMMARY".
    #[arg(long, value_name = "FILE")]
    pub summary: Option<PathBuf>,
}

impl From<&ReportArgs> for ReportPaths {
    fn from(args: &ReportArgs) -> ReportPaths {
        ReportPaths {
            junit: args.junit.clone(),
            json: args.json.clone(),
            html: args.html.clone(),
            summary: args.summary.clone(),
        }
    }
}

/// `--baseline` of `run`, `client` and `matrix`.
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
pub struct GateArgs {
    /// A JSON results file of an earlier run (what `--json` wrote, e.g. of
    /// the last release): the run then fails only on regressions, cases
    /// that passed in it and fail now; they are listed first, then the
    /// cases that pass now and did not then.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// The suite version the run is pinned to (e.g. 0.1.0): cases added
    /// after it are pending — run and shown, counted apart, never failing
    /// the run — until the pin moves [config: suite_version] [default: the
    /// binary's suite, every case judged].
    #[arg(long, value_name = "V")]
    pub suite_version: Option<String>,
}

impl From<&GateArgs> for GateSettings {
    fn from(args: &GateArgs) -> GateSettings {
        GateSettings {
            baseline: args.baseline.clone(),
            suite_version: args.suite_version.clone(),
        }
    }
}

/// Arguments of `cancel-conformance matrix`.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct MatrixArgs {
    #[command(subcommand)]
    pub command: Option<MatrixCommand>,
    /// The matrix file (YAML, schema spec/matrix.schema.json): the
    /// implementations to judge.
    #[arg(value_name = "FILE", required = true)]
    pub file: Option<PathBuf>,
    /// Only the cases whose name contains FILTER, in every implementation.
    #[arg(value_name = "FILTER")]
    pub filter: Option<String>,
    /// Write the matrix as JSON here (every implementation's results).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write the matrix page here: one self-contained HTML file.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// How many implementations are judged at once [default: the number
    /// of CPUs]. Implementations sharing an endpoint always run one after
    /// the other.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
    /// Run only part K of N (one CI job of N): a deterministic share of the
    /// implementations, each with all its cases; join the parts' --json
    /// files with `matrix merge`.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<crate::matrix::shard::Shard>,
    #[command(flatten)]
    pub gate: GateArgs,
}

/// `matrix merge`.
#[derive(Debug, clap::Subcommand)]
pub enum MatrixCommand {
    /// Join the parts of a split matrix (`--shard K/N --json PART`) into one
    /// JSON and one page, as one unsplit run writes them.
    Merge(MergeArgs),
}

impl From<MatrixArgs> for MatrixSettings {
    fn from(args: MatrixArgs) -> MatrixSettings {
        MatrixSettings {
            gate: GateSettings::from(&args.gate),
            file: args.file,
            filter: args.filter,
            json: args.json,
            html: args.html,
            jobs: args.jobs,
            shard: args.shard,
        }
    }
}

/// Arguments of `cancel-conformance matrix merge`.
#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// The parts: what `matrix FILE --shard K/N --json PART` wrote, one
    /// per part (a missing part's columns come from --previous).
    #[arg(value_name = "PART", required = true, num_args = 1..)]
    pub parts: Vec<PathBuf>,
    /// Write the joined matrix as JSON here.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write the joined matrix page here.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// An earlier matrix results file: a column whose part is missing keeps
    /// its result from there, marked stale with that run's date.
    #[arg(long, value_name = "FILE")]
    pub previous: Option<PathBuf>,
    #[command(flatten)]
    pub gate: GateArgs,
}

impl From<MergeArgs> for MergeSettings {
    fn from(args: MergeArgs) -> MergeSettings {
        MergeSettings {
            gate: GateSettings::from(&args.gate),
            parts: args.parts,
            json: args.json,
            html: args.html,
            previous: args.previous,
        }
    }
}
