//! Harness-free runs of the suite, with which the project's tests judge the
//! suite itself: every case's outcome handed back to the test, in the
//! cases' order, rather than a harness's report and exit code. They run the
//! same case bodies as `cancel-conformance run` and `client`
//! (`server_half::exec::run_case`, `client_half::exec::run_client_case`).

use std::sync::Arc;
use std::time::Duration;

use cancel_conformance::profile::Profile;
use cancel_conformance::server::{DEFAULT_CLIENT_ID, OTHER_CLIENT_ID};
use cancel_conformance::signing::test_keys;
use cancel_conformance::suite::SERVER_CASES_AT_ONCE;
use cancel_conformance::suite::client_half::case::LoadedClientCase;
use cancel_conformance::suite::client_half::exec::{self as client_exec, ClientRun};
use cancel_conformance::suite::failure::Failure;
use cancel_conformance::suite::server_half::case::LoadedCase;
use cancel_conformance::suite::server_half::exec;
use cancel_conformance::suite::server_half::target::{ControlPlane, Target};
use cancel_conformance::time_zone::TimeZone;
use libtest_mimic::Completion;

/// Every case's name and outcome, in the order the cases were given.
pub type Outcomes = Vec<(String, Result<Completion, Failure>)>;

/// The client window of [`run_all_client`], with which the project's
/// tests judge clients while `cargo test` runs other test binaries on the
/// same cores: a third of the harness's six, so that a correct client is
/// never failed for the load the tests themselves put on the machine (at
/// 4, the project's own client missed a timed case there).
pub const CLIENT_CASES_AT_ONCE_IN_TESTS: usize = 2;

/// A target at `base_url` called as the reference server's default test
/// client (with its other client id) and the TEST-ONLY keys: what a plain
/// `serve` accepts.
pub fn test_target(base_url: &str) -> Target {
    Target {
        base_url: base_url.trim_end_matches('/').to_string(),
        description: base_url.to_string(),
        client_id: DEFAULT_CLIENT_ID.to_string(),
        other_client_id: Some(OTHER_CLIENT_ID.to_string()),
        merchant_key: Arc::new(test_keys::merchant_signing()),
        key_version: test_keys::KEY_VERSION.to_string(),
        provider_key: test_keys::provider_verifying(),
        fixtures: None,
        control_plane: ControlPlane::Present,
        pacer: None,
        timeout: Duration::from_secs(10),
        control_token: None,
        profile: Profile::default(),
        time_zone: TimeZone::DEFAULT,
    }
}

/// The outcome of every server case against `target`, as many at once as
/// `run` runs by default.
pub async fn run_all(cases: &[LoadedCase], target: Arc<Target>, http: reqwest::Client) -> Outcomes {
    let runs = cases.iter().cloned().map(|loaded| {
        let target = target.clone();
        let http = http.clone();
        let name = loaded.name.clone();
        let run = async move {
            match &loaded.case {
                Err(error) => Err(Failure::CaseBug(error.clone())),
                Ok(case) => exec::run_case(case, &loaded.file, &target, &http).await,
            }
        };
        (name, run)
    });
    in_window(runs, SERVER_CASES_AT_ONCE).await
}

/// The outcome of every client case with one adapter,
/// [`CLIENT_CASES_AT_ONCE_IN_TESTS`] at a time.
pub async fn run_all_client(cases: &[LoadedClientCase], run: &ClientRun) -> Outcomes {
    let runs = cases.iter().cloned().map(|loaded| {
        let run = run.clone();
        let name = loaded.name.clone();
        let outcome = async move {
            match &loaded.case {
                Err(error) => Err(Failure::CaseBug(error.clone())),
                Ok(case) => client_exec::run_client_case(case, &run).await,
            }
        };
        (name, outcome)
    });
    in_window(runs, CLIENT_CASES_AT_ONCE_IN_TESTS).await
}

/// Runs the named cases, at most `window` at a time, and returns their
/// outcomes in the order given.
async fn in_window<F>(runs: impl Iterator<Item = (String, F)>, window: usize) -> Outcomes
where
    F: Future<Output = Result<Completion, Failure>> + Send + 'static,
{
    let mut tasks = tokio::task::JoinSet::new();
    let mut results = Vec::new();
    for (index, (name, run)) in runs.enumerate() {
        if tasks.len() >= window
            && let Some(Ok(done)) = tasks.join_next().await
        {
            results.push(done);
        }
        tasks.spawn(async move { (index, name, run.await) });
    }
    while let Some(joined) = tasks.join_next().await {
        if let Ok(done) = joined {
            results.push(done);
        }
    }
    results.sort_by_key(|(index, _, _)| *index);
    results
        .into_iter()
        .map(|(_, name, outcome)| (name, outcome))
        .collect()
}
