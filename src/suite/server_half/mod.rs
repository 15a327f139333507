//! The server half (`cancel-conformance run`): every server case, loaded
//! ([`crate::suite::load`]), made a trial (`suite::trials`), run
//! against the target ([`exec`], with the invariants checked after every
//! step) and judged against the target's expectations
//! (`suite::judged`). The target — the embedded reference server
//! or an endpoint — is set up in `start`; [`sandbox`] plans the payments a
//! target without a control plane needs, and `check` looks at a fixtures
//! file's payments before a run.

pub mod case;
mod check;
pub mod exec;
pub mod sandbox;
mod start;
pub mod target;

pub use check::check as check_fixtures;

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use libtest_mimic::Completion;
use tokio::runtime::{Handle, Runtime};

use super::driver::{self, HalfRun, Judged, RunShape};
use super::failure::Failure;
use super::report::Half;
use super::report::gate::GateSettings;
use super::settings::RunSettings;
use super::trials::SERVER_CASES_AT_ONCE;
use crate::server::RunningServer;
use crate::wire::http;
use case::{Case, LoadedCase};
use start::{PrepareError, prepare_target};
use target::Target;

/// Judges a server (`cancel-conformance run`): every server case as one
/// trial of the harness, then the reports and the exit code.
pub fn run(
    settings: RunSettings,
    gate: &GateSettings,
    libtest: &libtest_mimic::Arguments,
) -> ExitCode {
    let shape = RunShape {
        half: Half::Server,
        reports: &settings.reports,
        gate,
        libtest,
        strict: settings.strict,
        cases: settings.cases.as_deref(),
        expectations: settings.expectations.as_deref(),
        cases_at_once: SERVER_CASES_AT_ONCE,
    };
    driver::drive(
        shape,
        ServerRun {
            settings: &settings,
            shared: None,
            server: None,
        },
    )
}

/// The server half's part of a run: the target, made ready once.
struct ServerRun<'a> {
    settings: &'a RunSettings,
    /// What every trial shares; `None` when the run only lists its cases.
    shared: Option<Arc<Shared>>,
    /// The embedded reference server, kept alive until the run ends.
    server: Option<RunningServer>,
}

impl HalfRun for ServerRun<'_> {
    type Case = Case;
    type PrepareError = PrepareError;

    fn prepare(
        &mut self,
        cases: &[LoadedCase],
        runtime: &Runtime,
        listing: bool,
    ) -> Result<(), PrepareError> {
        let settings = self.settings;
        // The fixtures file is read once, here. A file that gives a name
        // fewer payments than a full run takes is said before the run, not
        // discovered in it.
        let plan = sandbox::plan(cases, settings.profile);
        let pools = settings
            .fixtures
            .as_deref()
            .map(target::load_fixtures)
            .transpose();
        if let Ok(Some(pools)) = &pools {
            for warning in sandbox::shortfalls(&plan, pools) {
                eprintln!("warning: {warning}");
            }
        }
        // Listing needs no target.
        if listing {
            return Ok(());
        }
        let pools = pools.map_err(PrepareError::Fixtures)?;
        let http = http_client(settings).map_err(PrepareError::HttpClient)?;
        let (target, server) = runtime.block_on(prepare_target(
            settings,
            &http,
            pools,
            sandbox::needs(&plan),
        ))?;
        eprintln!("{}", header(&target, settings));
        self.shared = Some(Arc::new(Shared { target, http }));
        self.server = server;
        Ok(())
    }

    fn case_runner(
        &self,
        handle: &Handle,
    ) -> impl Fn(&Case, &Path) -> Result<Completion, Failure> + Clone + Send + 'static {
        let shared = self.shared.clone();
        let handle = handle.clone();
        move |case, file| match &shared {
            Some(shared) => {
                handle.block_on(exec::run_case(case, file, &shared.target, &shared.http))
            }
            None => Ok(Completion::Completed),
        }
    }

    fn judged(self) -> Judged {
        let settings = self.settings;
        let Some(shared) = &self.shared else {
            return Judged {
                profile: Some(settings.profile.to_string()),
                ..Judged::default()
            };
        };
        let target = &shared.target;
        let control_plane = match (&target.fixtures, &settings.fixtures) {
            (Some(_), Some(file)) => format!(
                "{}; fixtures from {}",
                target.control_plane.describe(),
                file.display()
            ),
            _ => target.control_plane.describe(),
        };
        Judged {
            target: target.description.clone(),
            profile: Some(settings.profile.to_string()),
            control_plane: Some(control_plane),
            client: None,
        }
    }
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
    use crate::suite::load;

    #[test]
    fn cases_with_a_timed_step_wait_on_purpose() {
        let catalog = Catalog::embedded().expect("catalogs load");
        let cases =
            load::cases::<Case>(&crate::suite::CaseSource::Embedded, &catalog).expect("cases load");
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
