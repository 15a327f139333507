//! The conformance runner: loads the cases, runs one libtest-mimic test per
//! case against a target (the embedded reference server, or any endpoint),
//! and renders what went wrong.

pub mod adapter;
pub mod case;
pub mod client_case;
pub mod client_exec;
pub mod coverage;
pub mod exec;
pub mod expectations;
pub mod failure;
pub mod http;
pub mod load;
pub mod scripted;
pub mod target;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use libtest_mimic::{Completion, Failed, Trial};

use crate::server::{self, ServerConfig};
use crate::signing::{SigningKey, VerifyingKey, test_keys};
use crate::spec::catalog::Catalog;
use expectations::Expectations;
use failure::{CaseContext, Failure, render};
use load::{LoadedCase, load_cases};
use target::Target;

/// Arguments of `cancel-conformance run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Base URL of the implementation to judge (scheme, host, port). Without
    /// it, the embedded reference server is started on 127.0.0.1:0.
    #[arg(long, env = "CANCEL_CONFORMANCE_ENDPOINT")]
    pub endpoint: Option<String>,
    /// The client id to call as.
    #[arg(long, env = "CANCEL_CONFORMANCE_CLIENT_ID", default_value = server::DEFAULT_CLIENT_ID)]
    pub client_id: String,
    /// Another client id of the same merchant (same key), for the
    /// ACCESS_DENIED cases; `none` if there is none.
    #[arg(long, env = "CANCEL_CONFORMANCE_OTHER_CLIENT_ID", default_value = server::OTHER_CLIENT_ID)]
    pub other_client_id: String,
    /// File holding the merchant private key (base64 PKCS#8, or PEM). The
    /// key itself may be given in CANCEL_CONFORMANCE_MERCHANT_PRIVATE_KEY
    /// instead. Default: the TEST-ONLY key of testdata/keys.
    #[arg(long)]
    pub merchant_private_key_file: Option<PathBuf>,
    /// File holding the provider public key (base64 SPKI, or PEM); or the
    /// key itself in CANCEL_CONFORMANCE_PROVIDER_PUBLIC_KEY. Default: the
    /// TEST-ONLY provider key.
    #[arg(long)]
    pub provider_public_key_file: Option<PathBuf>,
    /// The merchant key's version, as sent in the Signature header.
    #[arg(long, env = "CANCEL_CONFORMANCE_KEY_VERSION", default_value = "1")]
    pub key_version: String,
    /// Fixtures file (fixture name → prepared payment ids) for a target
    /// without the control plane, such as a vendor sandbox.
    #[arg(long)]
    pub fixtures: Option<PathBuf>,
    /// Expectations file: the target's known deviations.
    #[arg(long)]
    pub expectations: Option<PathBuf>,
    /// The cases directory.
    #[arg(long)]
    pub cases: Option<PathBuf>,
    /// PEM certificate to trust for an https endpoint with a self-signed
    /// certificate (as `serve --tls` makes).
    #[arg(long)]
    pub ca_cert: Option<PathBuf>,
    /// How long one exchange may take, in milliseconds.
    #[arg(long, default_value_t = 10_000)]
    pub timeout_ms: u64,
    #[command(flatten)]
    pub libtest: libtest_mimic::Arguments,
}

/// The cases directory: as given, else `cases/` here, else the one this
/// binary was built from.
pub fn cases_dir(given: Option<&Path>) -> PathBuf {
    if let Some(dir) = given {
        return dir.to_path_buf();
    }
    let here = PathBuf::from("cases");
    if here.is_dir() {
        return here;
    }
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/cases"))
}

/// A problem that stops the run before any case runs.
fn setup_error(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(2)
}

/// `cancel-conformance run`.
pub fn run(args: RunArgs) -> ExitCode {
    let catalog = match Catalog::embedded() {
        Ok(catalog) => Arc::new(catalog),
        Err(err) => return setup_error(err),
    };
    let dir = cases_dir(args.cases.as_deref());
    let cases = match load_cases(&dir, "server", &catalog) {
        Ok(cases) => cases,
        Err(err) => return setup_error(err),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => return setup_error(format!("cannot start the async runtime: {err}")),
    };
    let names: Vec<String> = cases.iter().map(|c| c.name.clone()).collect();
    let expectations = match &args.expectations {
        Some(file) => match Expectations::load(file, &names) {
            Ok(expectations) => expectations,
            Err(err) => return setup_error(err),
        },
        None => Expectations::default(),
    };
    let ca = match &args.ca_cert {
        Some(file) => match std::fs::read(file) {
            Ok(pem) => Some(pem),
            Err(err) => return setup_error(format!("cannot read {}: {err}", file.display())),
        },
        None => None,
    };
    let http = match http::client(ca.as_deref()) {
        Ok(http) => http,
        Err(err) => return setup_error(err),
    };
    // Listing needs no target; the server handle keeps the embedded
    // server alive until the run ends.
    let (shared, _server) = if args.libtest.list {
        (None, None)
    } else {
        match runtime.block_on(prepare_target(&args)) {
            Ok((target, server)) => (
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
    let trials = cases
        .into_iter()
        .map(|loaded| trial(loaded, shared.clone(), &catalog, &expectations))
        .collect();
    let conclusion = libtest_mimic::run(&args.libtest, trials);
    conclusion.exit_code()
}

/// Arguments of `cancel-conformance client`.
#[derive(Debug, clap::Args)]
pub struct ClientArgs {
    /// The adapter command, run through `sh -c` once per case; it speaks
    /// the JSON-lines protocol of INTERPRETING.md §8.
    #[arg(long)]
    pub adapter: String,
    /// Serve the scripted provider over HTTPS with a self-signed
    /// certificate (passed to the adapter as CC_CA_CERT), for clients that
    /// only speak TLS.
    #[arg(long)]
    pub tls: bool,
    /// How long the client waits for an answer (CC_TIMEOUT_MS).
    #[arg(long, default_value_t = 400)]
    pub client_timeout_ms: u64,
    /// The most cancel requests a client may send for one cancel
    /// (CC_MAX_ATTEMPTS).
    #[arg(long, default_value_t = 5)]
    pub max_attempts: u32,
    /// Expectations file: the client's known deviations.
    #[arg(long)]
    pub expectations: Option<PathBuf>,
    /// The cases directory.
    #[arg(long)]
    pub cases: Option<PathBuf>,
    #[command(flatten)]
    pub libtest: libtest_mimic::Arguments,
}

/// `cancel-conformance client`.
pub fn run_client(args: ClientArgs) -> ExitCode {
    let catalog = match Catalog::embedded() {
        Ok(catalog) => Arc::new(catalog),
        Err(err) => return setup_error(err),
    };
    let dir = cases_dir(args.cases.as_deref());
    let cases = match load::load_client_cases(&dir, &catalog) {
        Ok(cases) => cases,
        Err(err) => return setup_error(err),
    };
    let names: Vec<String> = cases.iter().map(|c| c.name.clone()).collect();
    let expectations = match &args.expectations {
        Some(file) => match Expectations::load(file, &names) {
            Ok(expectations) => expectations,
            Err(err) => return setup_error(err),
        },
        None => Expectations::default(),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => return setup_error(format!("cannot start the async runtime: {err}")),
    };
    let scratch = std::env::temp_dir().join(format!("cancel-conformance-{}", std::process::id()));
    if let Err(err) = std::fs::create_dir_all(&scratch) {
        return setup_error(format!("cannot create {}: {err}", scratch.display()));
    }
    let run = client_exec::ClientRun {
        adapter: args.adapter.clone(),
        tls: args.tls,
        client_timeout: Duration::from_millis(args.client_timeout_ms),
        max_attempts: args.max_attempts,
        scratch_dir: scratch.clone(),
    };
    let handle = runtime.handle().clone();
    let trials = cases
        .into_iter()
        .map(|loaded| {
            let expected_failure = expectations.reason(&loaded.name).map(str::to_string);
            let is_expected = expected_failure.is_some();
            let catalog = catalog.clone();
            let run = run.clone();
            let handle = handle.clone();
            let trial = Trial::ignorable_test(loaded.name.clone(), move || {
                let context = CaseContext {
                    name: loaded.name.clone(),
                    file: loaded.file.clone(),
                    description: loaded
                        .case
                        .as_ref()
                        .map(|c| c.description.clone())
                        .unwrap_or_default(),
                    rules: loaded
                        .case
                        .as_ref()
                        .map(|c| c.rules.iter().map(|r| r.value.clone()).collect())
                        .unwrap_or_default(),
                };
                let outcome = match &loaded.case {
                    Err(error) => Err(Failure::CaseBug(error.clone())),
                    Ok(case) => handle.block_on(client_exec::run_client_case(case, &run)),
                };
                judge(outcome, expected_failure.as_deref(), &context, &catalog)
            });
            if is_expected {
                trial.with_kind("expected-fail")
            } else {
                trial
            }
        })
        .collect();
    let conclusion = libtest_mimic::run(&args.libtest, trials);
    let _ = std::fs::remove_dir_all(&scratch);
    conclusion.exit_code()
}

/// What every trial shares.
struct Shared {
    target: Target,
    http: reqwest::Client,
    handle: tokio::runtime::Handle,
}

fn trial(
    loaded: LoadedCase,
    shared: Option<Arc<Shared>>,
    catalog: &Arc<Catalog>,
    expectations: &Expectations,
) -> Trial {
    let expected_failure = expectations.reason(&loaded.name).map(str::to_string);
    let name_for_kind = loaded.name.clone();
    let catalog = catalog.clone();
    let trial = Trial::ignorable_test(loaded.name.clone(), move || {
        let context = CaseContext {
            name: loaded.name.clone(),
            file: loaded.file.clone(),
            description: loaded
                .case
                .as_ref()
                .map(|case| case.description.clone())
                .unwrap_or_default(),
            rules: loaded
                .case
                .as_ref()
                .map(|case| case.rules.iter().map(|r| r.value.clone()).collect())
                .unwrap_or_default(),
        };
        let outcome = match (&loaded.case, &shared) {
            (Err(error), _) => Err(Failure::CaseBug(error.clone())),
            (Ok(case), Some(shared)) => shared.handle.block_on(exec::run_case(
                case,
                &loaded.file,
                &shared.target,
                &shared.http,
            )),
            (Ok(_), None) => Ok(Completion::Completed),
        };
        judge(outcome, expected_failure.as_deref(), &context, &catalog)
    });
    if expectations.reason(&name_for_kind).is_some() {
        trial.with_kind("expected-fail")
    } else {
        trial
    }
}

/// Turns a case's outcome into the test's verdict, applying the target's
/// expectations: a listed case must fail (for a reason of the target, not
/// of the case), and one that passes is reported as no longer deviating.
fn judge(
    outcome: Result<Completion, Failure>,
    expected_failure: Option<&str>,
    context: &CaseContext,
    catalog: &Catalog,
) -> Result<Completion, Failed> {
    match (outcome, expected_failure) {
        (Ok(completion), None) => Ok(completion),
        (Err(failure), None) => Err(render(&failure, context, catalog).into()),
        // Only a wrong answer is a known deviation: a connection problem or
        // a crashed adapter says nothing about the deviation listed.
        (Err(Failure::Mismatch { .. }), Some(_)) => Ok(Completion::Completed),
        (Err(failure), Some(_)) => Err(format!(
            "{}\n(listed as a known deviation, but it failed for another reason than a wrong answer)",
            render(&failure, context, catalog)
        )
        .into()),
        (Ok(Completion::Ignored { reason }), Some(_)) => Ok(Completion::Ignored { reason }),
        (Ok(Completion::Completed), Some(reason)) => Err(format!(
            "UNEXPECTED PASS in case {}: the expectations file lists it as failing ({reason}), but it passes now; remove it from the expectations file",
            context.name
        )
        .into()),
    }
}

/// Reads a key from a file, else from an environment variable, else uses
/// the TEST-ONLY default. Never prints the key.
fn read_key_text(file: Option<&Path>, env: &str, default: &str) -> Result<String, String> {
    if let Some(file) = file {
        return std::fs::read_to_string(file)
            .map_err(|err| format!("cannot read the key file {}: {err}", file.display()));
    }
    match std::env::var(env) {
        Ok(text) if !text.trim().is_empty() => Ok(text),
        _ => Ok(default.to_string()),
    }
}

/// Builds the target: the embedded reference server (started here) or the
/// given endpoint. The returned server handle keeps the server alive.
async fn prepare_target(args: &RunArgs) -> Result<(Target, Option<server::RunningServer>), String> {
    let merchant_text = read_key_text(
        args.merchant_private_key_file.as_deref(),
        "CANCEL_CONFORMANCE_MERCHANT_PRIVATE_KEY",
        test_keys::MERCHANT_PRIVATE,
    )?;
    let merchant_key = SigningKey::from_base64_pkcs8(&merchant_text)
        .map_err(|err| format!("the merchant private key: {err}"))?;
    let provider_text = read_key_text(
        args.provider_public_key_file.as_deref(),
        "CANCEL_CONFORMANCE_PROVIDER_PUBLIC_KEY",
        test_keys::PROVIDER_PUBLIC,
    )?;
    let provider_key = VerifyingKey::from_base64_spki(&provider_text)
        .map_err(|err| format!("the provider public key: {err}"))?;
    let fixtures = match &args.fixtures {
        Some(file) => Some(target::load_fixtures(file).map_err(|err| err.to_string())?),
        None => None,
    };
    let other_client_id = (args.other_client_id != "none").then(|| args.other_client_id.clone());
    let (base_url, description, running) = match &args.endpoint {
        Some(url) => {
            let url = url.trim_end_matches('/').to_string();
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(format!(
                    "--endpoint `{url}` is not an http:// or https:// URL"
                ));
            }
            (url.clone(), url, None)
        }
        None => {
            let running = server::start(
                ServerConfig::test_default(),
                std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
                None,
            )
            .await
            .map_err(|err| format!("cannot start the embedded reference server: {err}"))?;
            let url = running.base_url.clone();
            (url, "embedded reference server".to_string(), Some(running))
        }
    };
    Ok((
        Target {
            base_url,
            description,
            client_id: args.client_id.clone(),
            other_client_id,
            merchant_key: Arc::new(merchant_key),
            key_version: args.key_version.clone(),
            provider_key,
            fixtures,
            timeout: Duration::from_millis(args.timeout_ms),
        },
        running,
    ))
}

/// The outcome of every case, without the test harness: for tools and for
/// tests that judge the suite itself (the defect matrix).
pub async fn run_all(
    cases: &[LoadedCase],
    target: Arc<Target>,
    http: reqwest::Client,
) -> Vec<(String, Result<Completion, Failure>)> {
    let mut tasks = tokio::task::JoinSet::new();
    for (index, loaded) in cases.iter().cloned().enumerate() {
        let target = target.clone();
        let http = http.clone();
        tasks.spawn(async move {
            let outcome = match &loaded.case {
                Err(error) => Err(Failure::CaseBug(error.clone())),
                Ok(case) => exec::run_case(case, &loaded.file, &target, &http).await,
            };
            (index, loaded.name, outcome)
        });
    }
    let mut results = Vec::with_capacity(cases.len());
    while let Some(joined) = tasks.join_next().await {
        if let Ok(result) = joined {
            results.push(result);
        }
    }
    results.sort_by_key(|(index, _, _)| *index);
    results
        .into_iter()
        .map(|(_, name, outcome)| (name, outcome))
        .collect()
}

/// The outcome of every client case with one adapter, without the test
/// harness (for the broken-adapter matrix). Cases run two at a time: each
/// starts a process.
pub async fn run_all_client(
    cases: &[load::LoadedClientCase],
    run: &client_exec::ClientRun,
) -> Vec<(String, Result<Completion, Failure>)> {
    let mut tasks = tokio::task::JoinSet::new();
    let mut results = Vec::with_capacity(cases.len());
    for (index, loaded) in cases.iter().cloned().enumerate() {
        if tasks.len() >= 2
            && let Some(Ok(done)) = tasks.join_next().await
        {
            results.push(done);
        }
        let run = run.clone();
        tasks.spawn(async move {
            let outcome = match &loaded.case {
                Err(error) => Err(Failure::CaseBug(error.clone())),
                Ok(case) => client_exec::run_client_case(case, &run).await,
            };
            (index, loaded.name, outcome)
        });
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
