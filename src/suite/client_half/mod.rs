//! The client half (`cancel-conformance client`): the suite plays the
//! provider. Every client case ([`case`]), loaded
//! ([`crate::suite::load`]) and made a trial (`suite::trials`), is
//! run by [`exec`]: the [`scripted`] provider answers, the client is driven
//! through its [`adapter`], and what it sent and concluded is judged
//! (`exec`'s judge); the outcome is then judged against the client's
//! expectations (`suite::judged`).

pub mod adapter;
pub mod capability;
pub mod case;
pub mod exec;
pub mod hello;
pub mod process;
pub mod scripted;

use std::process::ExitCode;
use std::time::{Duration, Instant};

use libtest_mimic::Trial;

use super::harness::{LoadedHalf, finish, load_half, runtime, setup_error};
use super::load;
use super::report::gate::GateArgs;
use super::report::{self, Half, Planned, Recorder, RunInfo};
use super::settings::ClientSettings;
use super::trials::{CLIENT_CASES_AT_ONCE, run_trials, trial};

/// Judges a client through its adapter (`cancel-conformance client`):
/// every client case as one trial of the harness, then the reports and the
/// exit code.
pub fn run_client(
    settings: ClientSettings,
    gate: &GateArgs,
    libtest: &libtest_mimic::Arguments,
) -> ExitCode {
    if let Err(err) = settings.reports.check() {
        return setup_error(err);
    }
    let LoadedHalf {
        baseline,
        catalog,
        cases,
        expectations,
        source,
        pending,
    } = match load_half(
        gate,
        Half::Client,
        settings.cases.as_deref(),
        settings.expectations.as_deref(),
        load::load_client_cases_from,
    ) {
        Ok(loaded) => loaded,
        Err(err) => return setup_error(err),
    };
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(err) => return setup_error(err),
    };
    let scratch = std::env::temp_dir().join(format!("cancel-conformance-{}", std::process::id()));
    if let Err(err) = std::fs::create_dir_all(&scratch) {
        return setup_error(format!("cannot create {}: {err}", scratch.display()));
    }
    let run = exec::ClientRun {
        adapter: settings.adapter.clone(),
        pass_env: settings.adapter_env.clone(),
        tls: settings.tls,
        client_timeout: Duration::from_millis(settings.client_timeout_ms),
        max_attempts: settings.max_attempts,
        adapter_deadline: settings.adapter_deadline_ms.map(Duration::from_millis),
        scratch_dir: scratch.clone(),
        introductions: hello::Introductions::default(),
    };
    let handle = runtime.handle().clone();
    // The adapters' process groups do not get the terminal's Ctrl-C: the
    // runner ends them, then itself.
    runtime.spawn(process::end_all_on_interrupt());
    let recorder = Recorder::default();
    let capabilities = cases
        .iter()
        .filter_map(|loaded| {
            let case = loaded.case.as_ref().ok()?;
            let judged = capability::judged_by(case).into_iter().collect();
            Some((loaded.name.clone(), judged))
        })
        .collect();
    let introductions = run.introductions.clone();
    let waits: Vec<bool> = cases
        .iter()
        .map(|loaded| loaded.case.as_ref().is_ok_and(exec::waits))
        .collect();
    let (trials, planned): (Vec<Trial>, Vec<Planned>) = cases
        .into_iter()
        .map(|loaded| {
            let run = run.clone();
            let handle = handle.clone();
            trial(
                loaded,
                |case| (&case.description, &case.rules, case.since.value.as_str()),
                move |case, _| handle.block_on(exec::run_client_case(case, &run)),
                (
                    &catalog,
                    &expectations,
                    &recorder,
                    libtest,
                    settings.strict,
                    &pending,
                ),
            )
        })
        .unzip();
    let started = time::OffsetDateTime::now_utc();
    let clock = Instant::now();
    let conclusion = run_trials(trials, &waits, libtest, CLIENT_CASES_AT_ONCE);
    // Every case ends its adapter's group; this catches any left behind.
    process::end_all();
    let _ = std::fs::remove_dir_all(&scratch);
    let info = RunInfo {
        half: Half::Client,
        target: format!(
            "the client behind adapter `{}` (scripted provider over {})",
            report::describe_adapter(&settings.adapter),
            if settings.tls { "HTTPS" } else { "HTTP" }
        ),
        started,
        duration: clock.elapsed(),
        client: Some(report::ClientFacts {
            implementation: introductions.first(),
            capabilities,
        }),
        suite: source.describe(),
        profile: None,
        control_plane: None,
    };
    finish(
        &conclusion,
        libtest,
        &settings.reports,
        info,
        &recorder,
        &planned,
        &catalog,
        baseline.as_ref(),
    )
}
