//! The server half (`cancel-conformance run`): every server case, loaded
//! ([`crate::suite::load`]), made a trial (`suite::trials`), run
//! against the target ([`exec`], with the invariants checked after every
//! step) and judged against the target's expectations
//! (`suite::judged`). The target — the embedded reference server
//! or an endpoint — is set up in `start`; [`sandbox`] plans the payments a
//! target without a control plane needs, and `check` looks at a fixtures
//! file's payments before a run.

mod check;
pub mod exec;
pub mod sandbox;
mod start;

pub use check::check as check_fixtures;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use libtest_mimic::{Completion, Trial};

use super::case::Case;
use super::harness::{LoadedHalf, finish, load_half, runtime, setup_error};
use super::load::load_cases_from;
use super::report::gate::GateArgs;
use super::report::{Half, Planned, Recorder, RunInfo};
use super::settings::RunSettings;
use super::target::Target;
use super::trials::{SERVER_CASES_AT_ONCE, run_trials, trial};
use crate::wire::http;
use start::prepare_target;

/// Judges a server (`cancel-conformance run`): every server case as one
/// trial of the harness, then the reports and the exit code.
pub fn run(settings: RunSettings, gate: &GateArgs, libtest: &libtest_mimic::Arguments) -> ExitCode {
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
        Half::Server,
        settings.cases.as_deref(),
        settings.expectations.as_deref(),
        |source, catalog| load_cases_from(source, "server", catalog),
    ) {
        Ok(loaded) => loaded,
        Err(err) => return setup_error(err),
    };
    // A fixtures file that gives a name fewer payments than a full run
    // takes is said before the run, not discovered in it.
    let plan = sandbox::plan(&cases, settings.profile);
    if let Some(file) = &settings.fixtures
        && let Ok(pools) = super::target::load_fixtures(file)
    {
        for warning in sandbox::shortfalls(&plan, &pools) {
            eprintln!("warning: {warning}");
        }
    }
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(err) => return setup_error(err),
    };
    // Listing needs no target; the server handle keeps the embedded
    // server alive until the run ends.
    let (shared, _server) = if libtest.list {
        (None, None)
    } else {
        let need = sandbox::needs(&plan);
        match http_client(&settings).and_then(|http| {
            let prepared = runtime.block_on(prepare_target(&settings, &http, need))?;
            Ok((http, prepared))
        }) {
            Ok((http, (target, server))) => (
                Some(Arc::new(Shared {
                    target,
                    http,
                    handle: runtime.handle().clone(),
                })),
                server,
            ),
            Err(err) => return setup_error(err),
        }
    };
    let target = shared
        .as_ref()
        .map(|shared| shared.target.description.clone())
        .unwrap_or_default();
    let control_plane = shared.as_ref().map(|shared| {
        let target = &shared.target;
        match (&target.fixtures, &settings.fixtures) {
            (Some(_), Some(file)) => format!(
                "{}; fixtures from {}",
                target.control_plane.describe(),
                file.display()
            ),
            _ => target.control_plane.describe(),
        }
    });
    if let Some(shared) = &shared {
        eprintln!("{}", header(&shared.target, &settings));
    }
    let recorder = Recorder::default();
    let waits: Vec<bool> = cases
        .iter()
        .map(|loaded| loaded.case.as_ref().is_ok_and(Case::waits_on_purpose))
        .collect();
    let (trials, planned): (Vec<Trial>, Vec<Planned>) = cases
        .into_iter()
        .map(|loaded| {
            let shared = shared.clone();
            trial(
                loaded,
                |case| (&case.description, &case.rules, case.since.value.as_str()),
                move |case, file| match &shared {
                    Some(shared) => shared.handle.block_on(exec::run_case(
                        case,
                        file,
                        &shared.target,
                        &shared.http,
                    )),
                    None => Ok(Completion::Completed),
                },
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
    let conclusion = run_trials(trials, &waits, libtest, SERVER_CASES_AT_ONCE);
    let info = RunInfo {
        half: Half::Server,
        target,
        started,
        duration: clock.elapsed(),
        client: None,
        suite: source.describe(),
        profile: Some(settings.profile.to_string()),
        control_plane,
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

/// The run's header: what it judges, under which profile, whether the
/// target has a control plane, and where fixtures come from.
fn header(target: &Target, settings: &RunSettings) -> String {
    let fixtures = match (&target.fixtures, &settings.fixtures) {
        (Some(pools), Some(file)) => format!(
            "fixtures from {} ({} names, {} payments)",
            file.display(),
            pools.pools().len(),
            pools.pools().values().map(Vec::len).sum::<usize>()
        ),
        _ if target.has_control_plane() => "fixtures seeded through the control plane".to_string(),
        _ => "no fixtures file: the cases needing a payment are ignored (give --fixtures FILE, INTERPRETING.md §6)".to_string(),
    };
    format!(
        "target: {}; profile {}; control plane: {}; {fixtures}",
        target.description,
        target.profile,
        target.control_plane.describe()
    )
}

/// What every trial shares.
struct Shared {
    target: Target,
    http: reqwest::Client,
    handle: tokio::runtime::Handle,
}

/// The runner's HTTP client for the target: a plain-`http://` target
/// (the embedded server, a local `serve`) without a CA file gets a client
/// that never reads the system's trust store.
fn http_client(settings: &RunSettings) -> Result<reqwest::Client, String> {
    let ca = match &settings.ca_cert {
        Some(file) => Some(crate::input_file::read(file).map_err(|err| err.to_string())?),
        None => None,
    };
    let plain_http = settings
        .endpoint
        .as_deref()
        .is_none_or(|url| url.starts_with("http://"));
    match (plain_http, ca.as_deref()) {
        (true, None) => http::plain_http_client(),
        (_, ca) => http::client(ca),
    }
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::spec::catalog::Catalog;

    #[test]
    fn cases_with_a_timed_step_wait_on_purpose() {
        let catalog = Catalog::embedded().expect("catalogs load");
        let cases = load_cases_from(&crate::suite::CaseSource::Embedded, "server", &catalog)
            .expect("cases load");
        let waits = |name: &str| {
            let loaded = cases.iter().find(|loaded| loaded.name == name);
            loaded
                .and_then(|loaded| loaded.case.as_ref().ok())
                .map(Case::waits_on_purpose)
        };
        assert_eq!(
            waits("server/retry/timed-out-cancel-is-carried-out"),
            Some(true)
        );
        assert_eq!(
            waits("server/retry/timeout-then-retry-is-success"),
            Some(true)
        );
        assert_eq!(
            waits("server/retry/dropped-cancel-is-carried-out"),
            Some(false)
        );
    }
}
