//! `cancel-conformance fixtures check FILE --endpoint URL`: every payment
//! of a fixtures file looked at (an inquiry, as the run does before a case)
//! and said to be ready, used up, in the wrong state or unknown, so that a
//! user knows before the run which payments to replace.

use std::fmt::Write as _;
use std::process::ExitCode;

use super::exec::precondition::{Readiness, readiness};
use super::sandbox;
use super::start::prepare_target;
use crate::spec::yaml::YamlError;
use crate::suite::harness::{SetupError, runtime, setup_error};
use crate::suite::load::LoadError;
use crate::suite::settings::RunSettings;

/// Checks the fixtures file of `settings` against its endpoint; exit 0
/// when every payment is ready, 1 when some is not, 2 when the check
/// cannot start.
pub fn check(settings: &RunSettings) -> ExitCode {
    match run_check(settings) {
        Ok((report, all_ready)) => {
            // A closed pipe (`| head`) ends the printing quietly.
            let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), report.as_bytes());
            if all_ready {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(err) => setup_error(err),
    }
}

/// Why the check cannot start.
#[derive(Debug, thiserror::Error)]
enum CheckError {
    #[error("give the fixtures file to check")]
    NoFixturesFile,
    #[error("give --endpoint URL: the target whose payments the file names")]
    NoEndpoint,
    #[error(transparent)]
    Fixtures(YamlError),
    #[error(transparent)]
    Catalog(YamlError),
    #[error(transparent)]
    Cases(#[from] LoadError),
    #[error(transparent)]
    Setup(#[from] SetupError),
    /// The target cannot be reached or prepared (the HTTP client, the keys,
    /// the endpoint).
    #[error("{0}")]
    Target(String),
    #[error(transparent)]
    Prepare(#[from] super::start::PrepareError),
}

fn run_check(settings: &RunSettings) -> Result<(String, bool), CheckError> {
    let file = settings
        .fixtures
        .as_ref()
        .ok_or(CheckError::NoFixturesFile)?;
    if settings.endpoint.is_none() {
        return Err(CheckError::NoEndpoint);
    }
    let pools =
        crate::suite::server_half::target::load_fixtures(file).map_err(CheckError::Fixtures)?;
    let catalog = crate::spec::catalog::Catalog::embedded().map_err(CheckError::Catalog)?;
    let source = crate::suite::CaseSource::of(settings.cases.as_deref());
    let plan = sandbox::plan(
        &crate::suite::load::cases::<crate::suite::server_half::case::Case>(&source, &catalog)?,
        settings.profile,
    );
    let runtime = runtime()?;
    let http = super::http_client(settings).map_err(CheckError::Target)?;
    let (target, _) = runtime.block_on(prepare_target(
        settings,
        &http,
        Some(pools.clone()),
        sandbox::needs(&plan),
    ))?;
    let mut out = String::new();
    let mut counts = [0usize; 5];
    for (name, pool) in &pools {
        let Some(used) = plan.get(name) else {
            let _ = writeln!(
                out,
                "{name}: no server case uses this name (a typo?); its {} payments are not checked",
                pool.len()
            );
            continue;
        };
        let need = used.payments_needed();
        let mut ready = 0;
        let mut lines = String::new();
        for (index, ids) in pool.iter().enumerate() {
            let found = runtime.block_on(readiness(&target, &http, &used.fixture, ids));
            let (slot, word) = match &found {
                Readiness::Ready => (0, "ready"),
                Readiness::UsedUp { .. } => (1, "used up"),
                Readiness::WrongState { .. } => (2, "wrong state"),
                Readiness::Unknown { .. } => (3, "unknown id"),
                Readiness::Throttled | Readiness::Unclear { .. } => (4, "unclear"),
            };
            counts[slot] += 1;
            ready += usize::from(slot == 0);
            let detail = match &found {
                Readiness::Ready => {
                    format!("{} as needed", used.fixture.state_once_seeded().as_str())
                }
                Readiness::UsedUp { status } | Readiness::WrongState { status, .. } => {
                    format!(
                        "{status} by inquiry; needs {}",
                        used.fixture.state_once_seeded().as_str()
                    )
                }
                Readiness::Unknown { code } => format!("the target answers F {code}"),
                Readiness::Throttled => "the target kept throttling the inquiry".into(),
                Readiness::Unclear { why } => why.clone(),
            };
            let _ = writeln!(
                lines,
                "  [{index}] {word:<11} {} ({detail})",
                ids.payment_id
            );
        }
        let short = if ready < need {
            format!("; a full run needs {need}: add {} more", need - ready)
        } else {
            String::new()
        };
        let _ = writeln!(out, "{name}: {ready} of {} ready{short}", pool.len());
        out.push_str(&lines);
    }
    let _ = writeln!(
        out,
        "\n{} ready, {} used up, {} in the wrong state, {} unknown, {} unclear (against {}; control plane: {})",
        counts[0],
        counts[1],
        counts[2],
        counts[3],
        counts[4],
        target.description,
        target.control_plane.describe()
    );
    Ok((out, counts[1..].iter().all(|count| *count == 0)))
}
