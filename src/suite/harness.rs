//! What a run of either half does around its trials: the async runtime,
//! the cases and the expectations loaded, the baseline read, and at the end
//! the reports written and the exit code chosen. A problem before any case
//! runs is one message and exit status 2.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use libtest_mimic::Conclusion;

use super::expectations::Expectations;
use super::load::{self, CaseFormat, CaseSource, LoadError, Loaded};
use super::pending::{Pending, PinError};
use super::report::gate::{self, Baseline, BaselineError, GateSettings};
use super::report::{
    Half, Planned, Recorder, Report, ReportPaths, RunInfo, causes, results, summary, warnings,
    write_file,
};
use crate::spec::catalog::Catalog;
use crate::spec::yaml::YamlError;

/// A problem that stops the run before any case runs.
pub(crate) fn setup_error(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(2)
}

/// What stops a run of either half before any case runs.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SetupError {
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    /// The `--baseline` file cannot be read, or is of the other half.
    #[error(transparent)]
    Baseline(#[from] BaselineError),
    #[error(transparent)]
    Pin(#[from] PinError),
    #[error(transparent)]
    Catalog(YamlError),
    #[error(transparent)]
    Cases(#[from] LoadError),
    #[error(transparent)]
    Expectations(YamlError),
}

pub(super) fn runtime() -> Result<tokio::runtime::Runtime, SetupError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(SetupError::Runtime)
}

/// What either half loads before any case runs.
pub(super) struct LoadedHalf<T> {
    /// The `--baseline` file, when the run is gated on one.
    pub(super) baseline: Option<Baseline>,
    pub(super) catalog: Arc<Catalog>,
    pub(super) cases: Vec<Loaded<T>>,
    /// Checked against the cases' names.
    pub(super) expectations: Expectations,
    /// Where the cases came from, for the reports.
    pub(super) source: CaseSource,
    /// Which cases are pending: newer than the pin or the baseline.
    pub(super) pending: Pending,
}

/// Loads what a run of `half` needs before any case runs: the baseline
/// (first, so that a missing file stops the run before anything else),
/// the catalog, the cases and the expectations checked against them.
pub(super) fn load_half<T: CaseFormat>(
    gate: &GateSettings,
    half: Half,
    cases: Option<&Path>,
    expectations: Option<&Path>,
) -> Result<LoadedHalf<T>, SetupError> {
    let baseline = gate
        .baseline
        .as_deref()
        .map(|file| Baseline::load(file, half.as_str()))
        .transpose()?;
    let mut pending = Pending::new(gate.suite_version.as_deref())?;
    if let Some(baseline) = &baseline {
        let names = baseline.result.cases.iter().map(|case| case.name.clone());
        pending = pending.with_baseline(baseline.file.display().to_string(), names.collect());
    }
    let catalog = Catalog::embedded().map_err(SetupError::Catalog)?;
    let source = CaseSource::of(cases);
    let cases = load::cases::<T>(&source, &catalog)?;
    let names: Vec<String> = cases.iter().map(|case| case.name.clone()).collect();
    let expectations =
        Expectations::for_cases(expectations, &names).map_err(SetupError::Expectations)?;
    Ok(LoadedHalf {
        baseline,
        catalog: Arc::new(catalog),
        cases,
        expectations,
        source,
        pending,
    })
}

/// Writes the reports the run asked for and chooses the exit code: 0 when
/// no case failed, 101 (libtest's) when one did, 2 when a report cannot be
/// written — a CI gate must not pass without the report it publishes.
/// With a baseline, the gate chooses instead: 101 only on a regression.
#[allow(clippy::too_many_arguments)]
pub(super) fn finish(
    conclusion: &Conclusion,
    libtest: &libtest_mimic::Arguments,
    paths: &ReportPaths,
    info: RunInfo,
    recorder: &Recorder,
    planned: &[Planned],
    catalog: &Catalog,
    baseline: Option<&Baseline>,
) -> ExitCode {
    if libtest.list {
        return conclusion.exit_code();
    }
    let report = Report::new(info, recorder, planned, conclusion);
    // After libtest's summary: the cases that passed only as warnings (on
    // stderr when stdout is libtest's JSON, which a tool parses).
    let warnings = format!(
        "{}{}",
        warnings::summary(&report.cases, catalog),
        causes::summary(&report.cases)
    );
    let suite = format!("suite: {}\n", report.info.suite);
    if libtest.format == Some(libtest_mimic::FormatSetting::Json) {
        eprint!("{warnings}{suite}");
    } else {
        print!("{warnings}{suite}");
    }
    let on_github = std::env::var_os("GITHUB_ACTIONS").is_some_and(|value| value == "true");
    if !paths.any() && baseline.is_none() && !on_github {
        return conclusion.exit_code();
    }
    if let Err(err) = report.write(paths, catalog) {
        return setup_error(err);
    }
    // The run as its results file reads: each failure's first difference
    // for the summary and the annotations, and the gate's input.
    let results = results::RunResult::of(&report);
    if on_github && libtest.format != Some(libtest_mimic::FormatSetting::Json) {
        print!("{}", summary::annotations(&report, &results));
    }
    if let Some(path) = &paths.summary {
        let comparison = baseline.map(|baseline| gate::compare(&baseline.result, &results));
        let text = summary::render(
            &report,
            &results,
            comparison.as_ref(),
            paths.html.as_deref(),
        );
        if let Err(err) = write_file(path, &text) {
            return setup_error(err);
        }
    }
    match baseline {
        Some(baseline) => gate::judge(&report, &results, baseline),
        None => conclusion.exit_code(),
    }
}
