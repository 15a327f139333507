//! The one flow of a run, for either half: load the cases, the expectations
//! and the baseline; let the half make its target ready; run every case as
//! a trial of the harness; let the half say what the run judged; write the
//! reports and choose the exit code. What differs between the halves is
//! behind [`HalfRun`]: the server half calls a server, the client half
//! drives a client through its adapter.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use libtest_mimic::{Completion, Trial};
use tokio::runtime::{Handle, Runtime};

use super::failure::Failure;
use super::harness::{LoadedHalf, SetupError, finish, load_half, runtime, setup_error};
use super::load::{CaseFormat, Loaded};
use super::report::gate::GateSettings;
use super::report::output::OutputError;
use super::report::{ClientFacts, Half, Planned, Recorder, ReportPaths, RunInfo};
use super::trials::{TrialSettings, run_trials, trial};

/// What a run takes from its settings, whichever half it is.
pub(super) struct RunShape<'a> {
    pub(super) half: Half,
    pub(super) reports: &'a ReportPaths,
    pub(super) gate: &'a GateSettings,
    pub(super) libtest: &'a libtest_mimic::Arguments,
    /// Whether deviations from assumptions and SHOULD rules fail.
    pub(super) strict: bool,
    /// `--cases`, else the embedded suite.
    pub(super) cases: Option<&'a Path>,
    pub(super) expectations: Option<&'a Path>,
    /// How many cases run at once unless `--test-threads` says otherwise.
    pub(super) cases_at_once: usize,
}

/// What the reports say a run judged, known once its cases have run.
#[derive(Debug, Default)]
pub(super) struct Judged {
    /// What was judged, for people; never holds a secret.
    pub(super) target: String,
    pub(super) profile: Option<String>,
    pub(super) control_plane: Option<String>,
    pub(super) client: Option<ClientFacts>,
}

/// What one half brings to the run.
pub(super) trait HalfRun {
    type Case: CaseFormat;
    /// Why the target cannot be made ready.
    type PrepareError: std::fmt::Display + std::fmt::Debug;

    /// Makes the target ready before any case runs (not when the run only
    /// lists its cases). An error stops the run with exit status 2.
    fn prepare(
        &mut self,
        cases: &[Loaded<Self::Case>],
        runtime: &Runtime,
        listing: bool,
    ) -> Result<(), Self::PrepareError>;

    /// How a trial runs its well-formed case, given the case's file, on
    /// the run's async runtime (`handle`).
    fn case_runner(
        &self,
        handle: &Handle,
    ) -> impl Fn(&Self::Case, &Path) -> Result<Completion, Failure> + Clone + Send + 'static;

    /// After the last case: what the run judged (and the half's clean-up).
    fn judged(self) -> Judged;
}

/// Why a run stops before its first case: exit status 2.
#[derive(Debug, thiserror::Error)]
pub(super) enum NotStarted<E: std::fmt::Display + std::fmt::Debug> {
    #[error(transparent)]
    Reports(#[from] OutputError),
    #[error(transparent)]
    Setup(#[from] SetupError),
    /// The half could not make its target ready.
    #[error("{0}")]
    Target(E),
}

/// Runs every case of `half` under the test harness, then writes the
/// reports and chooses the exit code.
pub(super) fn drive<H: HalfRun>(shape: RunShape<'_>, half: H) -> ExitCode {
    run(&shape, half).unwrap_or_else(setup_error)
}

fn run<H: HalfRun>(
    shape: &RunShape<'_>,
    mut half: H,
) -> Result<ExitCode, NotStarted<H::PrepareError>> {
    shape.reports.check()?;
    let LoadedHalf {
        baseline,
        catalog,
        cases,
        expectations,
        source,
        pending,
    } = load_half::<H::Case>(shape.gate, shape.half, shape.cases, shape.expectations)?;
    // Lives until the last trial, which blocks on it, has run.
    let runtime = runtime()?;
    half.prepare(&cases, &runtime, shape.libtest.list)
        .map_err(NotStarted::Target)?;
    let recorder = Recorder::default();
    let settings = TrialSettings {
        catalog: &catalog,
        expectations: &expectations,
        recorder: &recorder,
        libtest: shape.libtest,
        strict: shape.strict,
        pending: &pending,
    };
    let waits: Vec<bool> = cases
        .iter()
        .map(|loaded| loaded.case.as_ref().is_ok_and(CaseFormat::waits_on_purpose))
        .collect();
    let run_case = half.case_runner(runtime.handle());
    let (trials, planned): (Vec<Trial>, Vec<Planned>) = cases
        .into_iter()
        .map(|loaded| trial(loaded, run_case.clone(), &settings))
        .unzip();
    let started = time::OffsetDateTime::now_utc();
    let clock = Instant::now();
    let conclusion = run_trials(trials, &waits, shape.libtest, shape.cases_at_once);
    let duration = clock.elapsed();
    let judged = half.judged();
    let info = RunInfo {
        half: shape.half,
        target: judged.target,
        started,
        duration,
        suite: source.describe(),
        profile: judged.profile,
        control_plane: judged.control_plane,
        client: judged.client,
    };
    Ok(finish(
        &conclusion,
        shape.libtest,
        shape.reports,
        info,
        &recorder,
        &planned,
        &catalog,
        baseline.as_ref(),
    ))
}
