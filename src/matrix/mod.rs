//! `cancel-conformance matrix FILE`: many implementations, clients and
//! servers, judged in one run and shown on one page. The file ([`file`])
//! lists them; [`run`] judges each through its half; [`report`] writes the
//! JSON and [`page`] the HTML; with `--baseline`, the release gate of
//! [`crate::suite::report::gate`] judges each implementation against its
//! column of an earlier matrix.

pub mod capabilities;
pub mod error;
pub mod file;
pub mod merge;
pub mod page;
mod preflight;
pub mod report;
pub mod run;
pub mod shard;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use crate::spec::catalog::Catalog;
use crate::suite::outcome::Behaviour;
use crate::suite::report::gate::{self, GateSettings};
use crate::suite::report::write_file;
use crate::suite::setup_error;
use crate::wire::text::escape_controls;
use run::{Ran, Runner, Status};

/// What `cancel-conformance matrix` was asked to do.
#[derive(Debug)]
pub struct MatrixSettings {
    /// The matrix file (YAML, schema spec/matrix.schema.json): the
    /// implementations to judge.
    pub file: Option<PathBuf>,
    /// Only the cases whose name contains FILTER, in every implementation.
    pub filter: Option<String>,
    /// Write the matrix as JSON here (every implementation's results).
    pub json: Option<PathBuf>,
    /// Write the matrix page here: one self-contained HTML file.
    pub html: Option<PathBuf>,
    /// How many implementations are judged at once [default: the number
    /// of CPUs]. Implementations sharing an endpoint always run one after
    /// the other.
    pub jobs: Option<u16>,
    /// Run only part K of N (one CI job of N): a deterministic share of the
    /// implementations, each with all its cases; join the parts' --json
    /// files with `matrix merge`.
    pub shard: Option<shard::Shard>,
    pub gate: GateSettings,
}

/// Shown after `matrix --help`.
pub const HELP: &str = "\
A matrix file lists implementations; each is a client (the `client:` keys of
cancel-conformance.yaml) or a server (its top-level keys; `endpoint: embedded`
for a reference server of its own). Commands and paths are relative to the
matrix file, whose directory the implementations run in:

  implementations:
    - name: python-sdk-1.7.1
      client:
        adapter: .venvs/1.7.1/bin/python ../adapters/python/adapter.py
        tls: true
    - name: reference
      server:
        endpoint: embedded
    - name: staging
      server:
        endpoint: https://staging.example
        fixtures: staging-fixtures.yaml

Examples:
  cancel-conformance matrix matrix/matrix.yaml --json matrix.json --html matrix.html
  cancel-conformance matrix matrix/matrix.yaml --baseline last-release.json
  cancel-conformance matrix matrix/matrix.yaml --shard 1/2 --json part-1.json
  cancel-conformance matrix matrix/matrix.yaml --shard 2/2 --json part-2.json
  cancel-conformance matrix merge part-1.json part-2.json --previous last.json \\
      --json matrix.json --html matrix.html

Exit status: 0 every implementation passed (with --baseline: no regression
against its column of the baseline), 101 some implementation failed a case
or could not start (with --baseline: regressed), 2 the matrix could not run
or a report could not be written.";

/// `cancel-conformance matrix`.
pub fn matrix(args: MatrixSettings) -> ExitCode {
    if let Err(err) = check_report_paths(args.json.as_deref(), args.html.as_deref()) {
        return setup_error(err);
    }
    let Some(path) = &args.file else {
        return setup_error("give a matrix FILE (or `matrix merge PART...`)".to_string());
    };
    let mut matrix = match file::load(path) {
        Ok(matrix) => matrix,
        Err(err) => return setup_error(err.to_string()),
    };
    let baseline = match load_baseline(&args.gate) {
        Ok(baseline) => baseline,
        Err(err) => return setup_error(err),
    };
    // Every column of the file, so that a merge knows the columns of a
    // part that never arrives.
    let columns: Vec<serde_json::Value> = matrix
        .entries
        .iter()
        .map(|entry| serde_json::json!({"name": entry.name, "half": entry.judged.half()}))
        .collect();
    if let Some(shard) = args.shard {
        let chosen = shard::select(&matrix.entries, shard);
        matrix.entries = chosen
            .into_iter()
            .map(|index| matrix.entries[index].clone())
            .collect();
    }
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(err) => return setup_error(format!("cannot find this program's own path: {err}")),
    };
    let scratch = std::env::temp_dir().join(format!("cc-matrix-{}", std::process::id()));
    if let Err(err) = std::fs::create_dir_all(&scratch) {
        return setup_error(format!("cannot create {}: {err}", scratch.display()));
    }
    let jobs = args.jobs.map(usize::from).unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    let empty_config = scratch.join("empty-config.yaml");
    if let Err(err) = std::fs::write(&empty_config, "{}\n") {
        return setup_error(format!("cannot write {}: {err}", empty_config.display()));
    }
    let runner = Runner {
        exe,
        jobs,
        filter: args.filter.clone(),
        suite_version: args.gate.suite_version.clone(),
        scratch: scratch.clone(),
        empty_config,
    };
    let total = matrix.entries.len();
    println!(
        "matrix: {total} implementations from {}{}, up to {} at a time",
        path.display(),
        args.shard
            .map(|shard| format!(" (part {shard})"))
            .unwrap_or_default(),
        jobs.min(total).max(1)
    );
    let started = time::OffsetDateTime::now_utc();
    let clock = Instant::now();
    let finished = AtomicUsize::new(0);
    let ran = run::run_cells(&matrix, &runner, &|ran| {
        let n = finished.fetch_add(1, Ordering::SeqCst) + 1;
        println!(
            "[{n:>width$}/{total}] {}",
            ran.progress_line(),
            width = total.to_string().len()
        );
    });
    let _ = std::fs::remove_dir_all(&scratch);
    let info = report::MatrixInfo {
        file: path.display().to_string(),
        started,
        duration: clock.elapsed(),
    };
    let shard = args.shard.map(|shard| {
        serde_json::json!({"index": shard.index, "count": shard.count, "implementations": columns})
    });
    publish(
        &info,
        &ran,
        (args.json.as_deref(), args.html.as_deref()),
        baseline.as_ref(),
        shard,
    )
}

type LoadedBaseline = Option<(PathBuf, report::Implementations)>;

/// A baseline that cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("the baseline {0}")]
struct BaselineError(error::ReadError);

fn load_baseline(gate: &GateSettings) -> Result<LoadedBaseline, BaselineError> {
    match &gate.baseline {
        Some(path) => match report::load(path) {
            Ok(baseline) => Ok(Some((path.clone(), baseline))),
            Err(err) => Err(BaselineError(err)),
        },
        None => Ok(None),
    }
}

/// `matrix merge`: the parts joined, then written and gated as one run.
/// `cancel-conformance matrix merge`.
pub fn merge_parts(args: merge::MergeSettings) -> ExitCode {
    if let Err(err) = check_report_paths(args.json.as_deref(), args.html.as_deref()) {
        return setup_error(err);
    }
    let parts = match args
        .parts
        .iter()
        .map(|part| merge::read(part))
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(parts) => parts,
        Err(err) => return setup_error(err),
    };
    let previous = match args.previous.as_deref().map(merge::read).transpose() {
        Ok(previous) => previous,
        Err(err) => return setup_error(format!("the previous results {err}")),
    };
    let baseline = match load_baseline(&args.gate) {
        Ok(baseline) => baseline,
        Err(err) => return setup_error(err),
    };
    let merged = match merge::merge(&parts, previous.as_ref()) {
        Ok(merged) => merged,
        Err(err) => return setup_error(err),
    };
    for note in &merged.notes {
        println!("{note}");
    }
    publish(
        &merged.info,
        &merged.ran,
        (args.json.as_deref(), args.html.as_deref()),
        baseline.as_ref(),
        None,
    )
}

/// The report paths, checked before anything runs (a link, a directory or
/// one path for both reports is refused).
fn check_report_paths(
    json: Option<&Path>,
    html: Option<&Path>,
) -> Result<(), crate::suite::report::output::OutputError> {
    let reports: Vec<(&str, &Path)> = [("--json", json), ("--html", html)]
        .into_iter()
        .filter_map(|(option, path)| path.map(|path| (option, path)))
        .collect();
    crate::suite::report::output::check(&reports)
}

/// Writes the JSON (with `shard`, for a part) and the page, gates against
/// the baseline, and says how the matrix ended.
fn publish(
    info: &report::MatrixInfo,
    ran: &[Ran],
    (json, html): (Option<&Path>, Option<&Path>),
    baseline: Option<&(PathBuf, report::Implementations)>,
    shard: Option<serde_json::Value>,
) -> ExitCode {
    let total = ran.len();
    let gate = baseline.map(|(path, baseline)| judge_against(ran, baseline, path));
    if let Some(path) = json {
        let mut value = report::to_value(info, ran);
        if let Some(shard) = shard {
            value["shard"] = shard;
        }
        let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
        text.push('\n');
        if let Err(err) = write_file(path, &text) {
            return setup_error(err);
        }
    }
    if let Some(path) = html {
        // Only the page names the rules behind its cells.
        let catalog = match Catalog::embedded() {
            Ok(catalog) => catalog,
            Err(err) => return setup_error(err.to_string()),
        };
        let page = page::render(
            info,
            ran,
            &catalog,
            gate.as_ref().map(|(text, _)| text.as_str()),
        );
        if let Err(err) = write_file(path, &page) {
            return setup_error(err);
        }
    }
    let failing: Vec<String> = ran
        .iter()
        .filter(|ran| ran.fails())
        .map(Ran::shown_name)
        .collect();
    match gate {
        Some((text, passes)) => {
            print!("\n{text}");
            if passes {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(101)
            }
        }
        None if failing.is_empty() => {
            println!("\nmatrix: every implementation passed");
            ExitCode::SUCCESS
        }
        None => {
            println!(
                "\nmatrix: {} of {total} implementations failed: {}",
                failing.len(),
                failing.join(", ")
            );
            ExitCode::from(101)
        }
    }
}

/// The gate over every implementation: each against its own column of the
/// baseline. An implementation that cannot start now regressed on every
/// case it passed then; one the baseline does not have is not gated.
fn judge_against(ran: &[Ran], baseline: &report::Implementations, path: &Path) -> (String, bool) {
    let mut text = String::new();
    let mut passes = true;
    for ran in ran {
        let what = format!("implementation `{}`", ran.shown_name());
        match (baseline.get(&ran.name), &ran.status) {
            (None, _) => {
                let _ = writeln!(
                    text,
                    "release gate: {what} is not in the baseline {}: not gated\n",
                    path.display()
                );
            }
            (Some(None), Status::CouldNotStart { reason }) => {
                let _ = writeln!(
                    text,
                    "release gate: {what} could not start, as in the baseline: {}\n",
                    escape_controls(reason)
                );
            }
            (Some(Some(before)), Status::CouldNotStart { reason }) => {
                let passed = before
                    .cases
                    .iter()
                    .filter(|case| case.outcome.behaviour() == Behaviour::Passed)
                    .count();
                if passed > 0 {
                    passes = false;
                }
                let _ = writeln!(
                    text,
                    "release gate: {what} could not start ({}); {}\n",
                    escape_controls(reason),
                    if passed > 0 {
                        format!(
                            "the {passed} cases it passed in the baseline {} regressed",
                            path.display()
                        )
                    } else {
                        format!(
                            "it passed no case in the baseline {} either",
                            path.display()
                        )
                    }
                );
            }
            (Some(before), Status::Judged { result, .. }) => {
                let empty;
                let before = match before {
                    Some(before) => before,
                    None => {
                        empty = result.without_cases();
                        &empty
                    }
                };
                let comparison = gate::compare(before, result);
                passes &= comparison.passes();
                text.push_str(&gate::render(&comparison, &what, path));
                text.push('\n');
            }
        }
    }
    let _ = writeln!(
        text,
        "matrix gate: {}",
        if passes {
            "PASSED (no implementation regressed)"
        } else {
            "FAILED (an implementation regressed)"
        }
    );
    (text, passes)
}
