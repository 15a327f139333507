//! One case as one trial of the test harness, for either half: what the
//! reports know of it before it runs, its run judged against the target's
//! expectations (`judged`) and recorded; the order and the number of cases
//! at once under the harness.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use libtest_mimic::{Completion, Conclusion, Failed, Trial};

use super::expectations::Expectations;
use super::failure::{CaseContext, Failure};
use super::judged::judge;
use super::load::{CaseFormat, Loaded};
use super::pending::Pending;
use super::report::{CaseRecord, Planned, Recorder};
use crate::spec::catalog::Catalog;

/// How many server cases run at once: the harness's default
/// `--test-threads`, and the window of the harness-free runs with which
/// the project's tests judge the suite itself (`testkit/src/runs.rs`), so
/// that they judge it as `run` runs it.
///
/// A case spends most of its time waiting on the network, so more than one
/// per core keeps the cores busy; many more would queue the RSA work of
/// every case at once, and a case that gives up on a held answer after
/// 100 ms could give up before its request was even sent.
pub const SERVER_CASES_AT_ONCE: usize = 8;

/// How many client cases run at once under the harness (`client`), unless
/// `--test-threads` says otherwise. Each case starts an adapter process (an
/// interpreter, for most SDKs) and a scripted provider, and its verdict
/// rests on timing (a 200 ms client timeout, retries counted and spaced).
/// Six keep a 2-core machine busy without starving a case: measured side
/// by side on one machine, the project's client passes all 100 cases in
/// 2.37 s at 4, 1.77 s at 6 and 1.47 s at 8 (`bench/client_suite.sh`), and
/// the Python SDK's interpreters still keep every timed case at 6; a case
/// that fails is run once more (flaky) before it counts. On a machine that
/// is busy with other work, lower it with `--test-threads 2`.
pub(super) const CLIENT_CASES_AT_ONCE: usize = 6;

/// Runs the trials under the test harness, `window` at a time unless
/// `--test-threads` says otherwise. The cases that wait on purpose go
/// first; one thread gains nothing from the reordering, so it keeps the
/// file order (as does a listing).
pub(super) fn run_trials(
    trials: Vec<Trial>,
    waits: &[bool],
    libtest: &libtest_mimic::Arguments,
    window: usize,
) -> Conclusion {
    let trials = if libtest.list || libtest.test_threads == Some(1) {
        trials
    } else {
        waiting_cases_first(trials, waits)
    };
    libtest_mimic::run(&with_default_threads(libtest, window), trials)
}

/// Hands the test threads the cases that wait on purpose first (a held
/// answer, a client timeout): their idle time then overlaps the rest of the
/// run instead of trailing after it. The reports keep the cases' order.
pub(super) fn waiting_cases_first(trials: Vec<Trial>, waits: &[bool]) -> Vec<Trial> {
    let (first, rest): (Vec<_>, Vec<_>) = trials
        .into_iter()
        .zip(waits)
        .partition(|(_, waits)| **waits);
    first
        .into_iter()
        .chain(rest)
        .map(|(trial, _)| trial)
        .collect()
}

/// Fills in the default number of test threads; an explicit
/// `--test-threads` wins.
pub(super) fn with_default_threads(
    args: &libtest_mimic::Arguments,
    threads: usize,
) -> libtest_mimic::Arguments {
    let mut args = args.clone();
    if args.test_threads.is_none() {
        args.test_threads = Some(threads);
    }
    args
}

/// What a failure and a report say about a case, known before it runs.
pub(super) fn context_of<T: CaseFormat>(loaded: &Loaded<T>) -> CaseContext {
    let case = loaded.case.as_ref().ok();
    CaseContext {
        name: loaded.name.clone(),
        file: loaded.file.clone(),
        description: case
            .map(|case| case.description().clone())
            .unwrap_or_default(),
        rules: case
            .map(|case| case.rules().iter().map(|rule| rule.value.clone()).collect())
            .unwrap_or_default(),
    }
}

/// What every trial of a run shares.
pub(super) struct TrialSettings<'a> {
    pub(super) catalog: &'a Arc<Catalog>,
    /// The target's known deviations.
    pub(super) expectations: &'a Expectations,
    /// Where each trial puts its outcome.
    pub(super) recorder: &'a Recorder,
    pub(super) libtest: &'a libtest_mimic::Arguments,
    /// Whether deviations from assumptions and SHOULD rules fail.
    pub(super) strict: bool,
    /// What makes a case pending: newer than the pin or the baseline.
    pub(super) pending: &'a Pending,
}

/// One case as a trial of either half: `run_case` runs a well-formed case
/// (given its file), the outcome is judged against the expectations and
/// recorded; with it, what the reports need to account for the trial even
/// if it never records anything.
pub(super) fn trial<T: CaseFormat>(
    loaded: Loaded<T>,
    run_case: impl FnOnce(&T, &Path) -> Result<Completion, Failure> + Send + 'static,
    settings: &TrialSettings<'_>,
) -> (Trial, Planned) {
    let pending = loaded
        .case
        .as_ref()
        .ok()
        .and_then(|case| settings.pending.reason(&loaded.name, case.since()));
    let context = context_of(&loaded);
    let expected_failure = settings
        .expectations
        .reason(&loaded.name)
        .map(str::to_string);
    let listed = expected_failure.is_some();
    let catalog = settings.catalog.clone();
    let recorder = settings.recorder.clone();
    let strict = settings.strict;
    let trial_context = context.clone();
    let trial = Trial::ignorable_test(loaded.name.clone(), move || {
        judged_and_recorded(
            &trial_context,
            expected_failure.as_deref(),
            pending.as_deref(),
            strict,
            &catalog,
            &recorder,
            || match &loaded.case {
                Err(error) => Err(Failure::CaseBug(error.clone())),
                Ok(case) => run_case(case, &loaded.file),
            },
        )
    });
    let trial = if listed {
        trial.with_kind("expected-fail")
    } else {
        trial
    };
    let planned = Planned::new(
        &trial,
        settings.libtest,
        context.file,
        context.description,
        context.rules,
    );
    (trial, planned)
}

/// Runs a case inside its trial, judges it, and records the outcome for
/// the reports.
pub(super) fn judged_and_recorded(
    context: &CaseContext,
    expected_failure: Option<&str>,
    pending: Option<&str>,
    strict: bool,
    catalog: &Catalog,
    recorder: &Recorder,
    run: impl FnOnce() -> Result<Completion, Failure>,
) -> Result<Completion, Failed> {
    let clock = Instant::now();
    let outcome = run();
    let found = outcome.as_ref().err().map(Failure::found);
    let judged = judge(outcome, expected_failure, strict, context, catalog);
    let judged = match pending {
        Some(reason) => judged.pending(reason),
        None => judged,
    };
    let verdict = judged.verdict();
    recorder.push(CaseRecord {
        name: context.name.clone(),
        file: context.file.clone(),
        description: context.description.clone(),
        rules: context.rules.clone(),
        outcome: judged.outcome,
        kind: judged.kind,
        message: judged.message,
        found,
        deviations: judged.deviations,
        expected_failure_reason: expected_failure.map(str::to_string),
        duration: clock.elapsed(),
    });
    verdict
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases_that_wait_on_purpose_are_handed_out_first_in_their_order() {
        let trials = ["a", "b", "c", "d"]
            .map(|name| Trial::test(name, || Ok(())))
            .into();
        let ordered = waiting_cases_first(trials, &[false, true, false, true]);
        let names: Vec<&str> = ordered.iter().map(Trial::name).collect();
        assert_eq!(names, ["b", "d", "a", "c"]);
    }
}
