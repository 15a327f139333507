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

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use libtest_mimic::Completion;
use tokio::runtime::{Handle, Runtime};

use super::driver::{self, HalfRun, Judged, RunShape};
use super::failure::Failure;
use super::report::gate::GateSettings;
use super::report::{self, Half};
use super::settings::ClientSettings;
use super::trials::CLIENT_CASES_AT_ONCE;
use crate::domain::Capability;
use case::{ClientCase, LoadedClientCase};

/// Judges a client through its adapter (`cancel-conformance client`):
/// every client case as one trial of the harness, then the reports and the
/// exit code.
pub fn run_client(
    settings: ClientSettings,
    gate: &GateSettings,
    libtest: &libtest_mimic::Arguments,
) -> ExitCode {
    let shape = RunShape {
        half: Half::Client,
        reports: &settings.reports,
        gate,
        libtest,
        strict: settings.strict,
        cases: settings.cases.as_deref(),
        expectations: settings.expectations.as_deref(),
        cases_at_once: CLIENT_CASES_AT_ONCE,
    };
    let scratch_dir =
        std::env::temp_dir().join(format!("cancel-conformance-{}", std::process::id()));
    let run = exec::ClientRun {
        adapter: settings.adapter.clone(),
        pass_env: settings.adapter_env.clone(),
        tls: settings.tls,
        client_timeout: Duration::from_millis(settings.client_timeout_ms),
        max_attempts: settings.max_attempts,
        adapter_deadline: settings.adapter_deadline_ms.map(Duration::from_millis),
        scratch_dir,
        introductions: hello::Introductions::default(),
    };
    driver::drive(
        shape,
        ClientHalf {
            settings: &settings,
            run,
            capabilities: BTreeMap::new(),
        },
    )
}

/// The client half's part of a run: how each case starts the adapter, and
/// what each case judges of the client.
struct ClientHalf<'a> {
    settings: &'a ClientSettings,
    /// How each case starts the adapter; its scratch directory is made in
    /// `prepare` and removed once the run ends.
    run: exec::ClientRun,
    /// Per case name, the capabilities the case judges.
    capabilities: BTreeMap<String, Vec<Capability>>,
}

/// Why a client run cannot start.
#[derive(Debug, thiserror::Error)]
#[error("cannot create {}: {source}", dir.display())]
pub struct ScratchError {
    dir: PathBuf,
    source: std::io::Error,
}

impl HalfRun for ClientHalf<'_> {
    type Case = ClientCase;
    type PrepareError = ScratchError;

    fn prepare(
        &mut self,
        cases: &[LoadedClientCase],
        runtime: &Runtime,
        _listing: bool,
    ) -> Result<(), ScratchError> {
        let scratch = &self.run.scratch_dir;
        if let Err(source) = std::fs::create_dir_all(scratch) {
            return Err(ScratchError {
                dir: scratch.clone(),
                source,
            });
        }
        // The adapters' process groups do not get the terminal's Ctrl-C: the
        // runner ends them, then itself.
        runtime.spawn(process::end_all_on_interrupt());
        self.capabilities = cases
            .iter()
            .filter_map(|loaded| {
                let case = loaded.case.as_ref().ok()?;
                let judged = capability::judged_by(case).into_iter().collect();
                Some((loaded.name.clone(), judged))
            })
            .collect();
        Ok(())
    }

    fn case_runner(
        &self,
        handle: &Handle,
    ) -> impl Fn(&ClientCase, &Path) -> Result<Completion, Failure> + Clone + Send + 'static {
        let run = self.run.clone();
        let handle = handle.clone();
        move |case, _| handle.block_on(exec::run_client_case(case, &run))
    }

    fn judged(self) -> Judged {
        let settings = self.settings;
        // Every case ends its adapter's group; this catches any left behind.
        process::end_all();
        let _ = std::fs::remove_dir_all(&self.run.scratch_dir);
        Judged {
            target: format!(
                "the client behind adapter `{}` (scripted provider over {})",
                report::describe_adapter(&settings.adapter),
                if settings.tls { "HTTPS" } else { "HTTP" }
            ),
            profile: None,
            control_plane: None,
            client: Some(report::ClientFacts {
                implementation: self.run.introductions.first(),
                capabilities: self.capabilities,
            }),
        }
    }
}
