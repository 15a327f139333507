//! The conformance runner: loads the cases, runs one libtest-mimic test per
//! case against a target (the embedded reference server, or any endpoint),
//! renders what went wrong, and writes the run's reports.

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
pub mod report;
pub mod sandbox;
pub mod scripted;
pub mod target;
pub mod verdict;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use libtest_mimic::{Completion, Conclusion, Failed, Trial};

use crate::config::{self, Config, RunSettings};
use crate::server::{self, ServerConfig};
use crate::signing::{SigningKey, VerifyingKey, test_keys};
use crate::spec::catalog::Catalog;
use case::Case;
use expectations::Expectations;
use failure::{CaseContext, Failure, render};
use load::{Loaded, LoadedCase, load_cases};
use report::gate::{Baseline, GateArgs};
use report::{CaseRecord, Half, Outcome, Planned, Recorder, Report, ReportArgs, RunInfo};
use target::Target;

/// Arguments of `cancel-conformance run`. Settings left out here come from
/// the environment, then the configuration file, then the defaults
/// ([`crate::config`]).
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Configuration file [env: CANCEL_CONFORMANCE_CONFIG] [default:
    /// ./cancel-conformance.yaml if present].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Base URL of the implementation to judge (scheme, host, port). Without
    /// it, the embedded reference server is started on 127.0.0.1:0 [env:
    /// CANCEL_CONFORMANCE_ENDPOINT] [config: endpoint].
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
    /// The client id to call as [env: CANCEL_CONFORMANCE_CLIENT_ID] [config:
    /// client_id] [default: the test client].
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
    /// Another client id of the same merchant (same key), for the
    /// ACCESS_DENIED cases; `none` if there is none [env:
    /// CANCEL_CONFORMANCE_OTHER_CLIENT_ID] [config: other_client_id]
    /// [default: the second test client].
    #[arg(long, value_name = "ID")]
    pub other_client_id: Option<String>,
    /// File holding the merchant private key (base64 PKCS#8, or PEM); or the
    /// key itself in CANCEL_CONFORMANCE_MERCHANT_PRIVATE_KEY [config:
    /// merchant_private_key_file] [default: the TEST-ONLY key of
    /// testdata/keys].
    #[arg(long, value_name = "FILE")]
    pub merchant_private_key_file: Option<PathBuf>,
    /// File holding the provider public key (base64 SPKI, or PEM); or the
    /// key itself in CANCEL_CONFORMANCE_PROVIDER_PUBLIC_KEY [config:
    /// provider_public_key_file] [default: the TEST-ONLY provider key].
    #[arg(long, value_name = "FILE")]
    pub provider_public_key_file: Option<PathBuf>,
    /// The merchant key's version, as sent in the Signature header [env:
    /// CANCEL_CONFORMANCE_KEY_VERSION] [config: key_version] [default: 1].
    #[arg(long, value_name = "N")]
    pub key_version: Option<String>,
    /// Fixtures file (fixture name → prepared payment ids) for a target
    /// without the control plane, such as a vendor sandbox [config:
    /// fixtures].
    #[arg(long, value_name = "FILE")]
    pub fixtures: Option<PathBuf>,
    /// Expectations file: the target's known deviations [config:
    /// expectations].
    #[arg(long, value_name = "FILE")]
    pub expectations: Option<PathBuf>,
    /// The cases directory, holding server/ [config: cases] [default:
    /// ./cases, else the one this binary was built from].
    #[arg(long, value_name = "DIR")]
    pub cases: Option<PathBuf>,
    /// PEM certificate to trust for an https endpoint with a self-signed
    /// certificate (as `serve --tls` makes) [config: ca_cert].
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// How long one exchange may take, in milliseconds [config: timeout_ms]
    /// [default: 10000].
    #[arg(long, value_name = "MS")]
    pub timeout_ms: Option<u64>,
    /// File holding the target's control-plane token, sent as
    /// `Authorization: Bearer <token>` on every control call and never
    /// printed; or the token itself in CANCEL_CONFORMANCE_CONTROL_TOKEN
    /// [config: control_token_file].
    #[arg(long, value_name = "FILE")]
    pub control_token_file: Option<PathBuf>,
    /// Fail the cases that only deviate from assumptions (or SHOULD rules),
    /// which otherwise pass as warnings [config: strict].
    #[arg(long)]
    pub strict: bool,
    /// The acquirer profile to check where the sources disagree: cases of
    /// another profile are ignored, and the embedded reference server plays
    /// this one [config: profile] [default: apo].
    #[arg(long, value_enum, value_name = "NAME")]
    pub profile: Option<crate::profile::Profile>,
    #[command(flatten)]
    pub reports: ReportArgs,
    #[command(flatten)]
    pub gate: GateArgs,
    #[command(flatten)]
    pub libtest: libtest_mimic::Arguments,
}

/// The cases directory: as given, else `cases/` here if it holds `half`,
/// else the one this binary was built from. An installed binary whose
/// source tree is gone has none: the error says what to give.
pub fn cases_dir(given: Option<&Path>, half: &str) -> Result<PathBuf, String> {
    if let Some(dir) = given {
        return Ok(dir.to_path_buf());
    }
    let here = PathBuf::from("cases");
    if here.join(half).is_dir() {
        return Ok(here);
    }
    let built_from = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/cases"));
    if built_from.join(half).is_dir() {
        return Ok(built_from);
    }
    Err(format!(
        "cannot find the cases: neither ./cases/{half} nor {}/{half} (the source tree this binary was built from) exists; give --cases DIR (or `cases:` in {}) pointing at the cases/ directory of a cancel-conformance checkout",
        built_from.display(),
        config::FILE_NAME,
    ))
}

/// A problem that stops the run before any case runs.
fn setup_error(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(2)
}

/// The configuration file `--config` or CANCEL_CONFORMANCE_CONFIG names,
/// read. (The command line also looks for one in the current directory;
/// the library does not, so that tests never pick up a stray file.)
fn read_config(flag: Option<&Path>) -> Result<Option<Config>, String> {
    match config::locate(flag, &config::process_env, None) {
        Some(file) => {
            let config = config::load(&file).map_err(|err| err.to_string())?;
            eprintln!("note: settings from {}", file.display());
            Ok(Some(config))
        }
        None => Ok(None),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|err| format!("cannot start the async runtime: {err}"))
}

/// What either half loads before any case runs.
struct LoadedHalf<T> {
    catalog: Arc<Catalog>,
    cases: Vec<Loaded<T>>,
    /// Checked against the cases' names.
    expectations: Expectations,
}

fn load_half<T>(
    cases: Option<&Path>,
    half: &str,
    expectations: Option<&Path>,
    load: impl FnOnce(&Path, &Catalog) -> Result<Vec<Loaded<T>>, String>,
) -> Result<LoadedHalf<T>, String> {
    let catalog = Catalog::embedded().map_err(|err| err.to_string())?;
    let cases = load(&cases_dir(cases, half)?, &catalog)?;
    let names: Vec<String> = cases.iter().map(|case| case.name.clone()).collect();
    let expectations =
        Expectations::for_cases(expectations, &names).map_err(|err| err.to_string())?;
    Ok(LoadedHalf {
        catalog: Arc::new(catalog),
        cases,
        expectations,
    })
}

/// The runner's HTTP client for the target: a plain-`http://` target
/// (the embedded server, a local `serve`) without a CA file gets a client
/// that never reads the system's trust store.
fn http_client(settings: &RunSettings) -> Result<reqwest::Client, String> {
    let ca = match &settings.ca_cert {
        Some(file) => Some(
            std::fs::read(file).map_err(|err| format!("cannot read {}: {err}", file.display()))?,
        ),
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

/// `cancel-conformance run`.
pub fn run(args: RunArgs) -> ExitCode {
    let config = match read_config(args.config.as_deref()) {
        Ok(config) => config,
        Err(err) => return setup_error(err),
    };
    let settings = config::run_settings(&args, &config::process_env, config.as_ref());
    let baseline = match load_baseline(&args.gate, Half::Server) {
        Ok(baseline) => baseline,
        Err(err) => return setup_error(err),
    };
    let LoadedHalf {
        catalog,
        cases,
        expectations,
    } = match load_half(
        settings.cases.as_deref(),
        "server",
        settings.expectations.as_deref(),
        |dir, catalog| load_cases(dir, "server", catalog),
    ) {
        Ok(loaded) => loaded,
        Err(err) => return setup_error(err),
    };
    // One payment per fixture name cannot serve two cases that each leave
    // it cancelled: said before the run rather than discovered in it.
    if settings.fixtures.is_some() {
        for warning in sandbox::warnings(&sandbox::plan(&cases)) {
            eprintln!("warning: {warning}");
        }
    }
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(err) => return setup_error(err),
    };
    // Listing needs no target; the server handle keeps the embedded
    // server alive until the run ends.
    let (shared, _server) = if args.libtest.list {
        (None, None)
    } else {
        match http_client(&settings)
            .and_then(|http| Ok((http, runtime.block_on(prepare_target(&settings))?)))
        {
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
                |case| (&case.description, &case.rules),
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
                    &args.libtest,
                    settings.strict,
                ),
            )
        })
        .unzip();
    let started = time::OffsetDateTime::now_utc();
    let clock = Instant::now();
    // One thread gains nothing from the reordering: keep the file order.
    let trials = if args.libtest.list || args.libtest.test_threads == Some(1) {
        trials
    } else {
        waiting_cases_first(trials, &waits)
    };
    let conclusion = libtest_mimic::run(
        &with_default_threads(&args.libtest, SERVER_CASES_AT_ONCE),
        trials,
    );
    let info = RunInfo {
        half: Half::Server,
        target,
        started,
        duration: clock.elapsed(),
    };
    finish(
        &conclusion,
        &args.libtest,
        &settings.reports,
        info,
        &recorder,
        &planned,
        &catalog,
        baseline.as_ref(),
    )
}

/// Hands the test threads the cases that wait on purpose first (a held
/// answer, a client timeout): their idle time then overlaps the rest of the
/// run instead of trailing after it. The reports keep the cases' order.
fn waiting_cases_first(trials: Vec<Trial>, waits: &[bool]) -> Vec<Trial> {
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

/// The `--baseline` file, read before any case runs.
fn load_baseline(gate: &GateArgs, half: Half) -> Result<Option<Baseline>, String> {
    gate.baseline
        .as_deref()
        .map(|file| Baseline::load(file, half.as_str()))
        .transpose()
}

/// Writes the reports the run asked for and chooses the exit code: 0 when
/// no case failed, 101 (libtest's) when one did, 2 when a report cannot be
/// written — a CI gate must not pass without the report it publishes.
/// With a baseline, the gate chooses instead: 101 only on a regression.
#[allow(clippy::too_many_arguments)]
fn finish(
    conclusion: &Conclusion,
    libtest: &libtest_mimic::Arguments,
    paths: &ReportArgs,
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
    let warnings = verdict::summary(&report.cases, catalog);
    if libtest.format == Some(libtest_mimic::FormatSetting::Json) {
        eprint!("{warnings}");
    } else {
        print!("{warnings}");
    }
    if !paths.any() && baseline.is_none() {
        return conclusion.exit_code();
    }
    if let Err(err) = report.write(paths, catalog) {
        return setup_error(err);
    }
    match baseline {
        Some(baseline) => report::gate::judge(&report, baseline),
        None => conclusion.exit_code(),
    }
}

/// Arguments of `cancel-conformance client`. Settings left out here come
/// from the `client:` section of the configuration file, then the defaults.
#[derive(Debug, clap::Args)]
pub struct ClientArgs {
    /// Configuration file [env: CANCEL_CONFORMANCE_CONFIG] [default:
    /// ./cancel-conformance.yaml if present].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The adapter command, run through `sh -c` once per case; it speaks
    /// the JSON-lines protocol of INTERPRETING.md §8 [config: client.adapter].
    #[arg(long, value_name = "CMD ARGS")]
    pub adapter: Option<String>,
    /// Serve the scripted provider over HTTPS with a self-signed
    /// certificate (passed to the adapter as CC_CA_CERT), for clients that
    /// only speak TLS [config: client.tls].
    #[arg(long)]
    pub tls: bool,
    /// How long the client waits for an answer (CC_TIMEOUT_MS) [config:
    /// client.client_timeout_ms] [default: 200].
    #[arg(long, value_name = "MS")]
    pub client_timeout_ms: Option<u64>,
    /// The most cancel requests a client may send for one cancel
    /// (CC_MAX_ATTEMPTS) [config: client.max_attempts] [default: 3].
    #[arg(long, value_name = "N")]
    pub max_attempts: Option<u32>,
    /// How long the adapter may take over one operation before it counts
    /// as hung (a TRANSPORT FAILURE) [config: client.adapter_deadline_ms]
    /// [default: client timeout × (4 × attempts + 4) + 10 s, room for every
    /// retry and a slow interpreter start].
    #[arg(long, value_name = "MS", value_parser = clap::value_parser!(u64).range(1..))]
    pub adapter_deadline_ms: Option<u64>,
    /// Expectations file: the client's known deviations [config:
    /// client.expectations].
    #[arg(long, value_name = "FILE")]
    pub expectations: Option<PathBuf>,
    /// The cases directory, holding client/ [config: cases] [default:
    /// ./cases, else the one this binary was built from].
    #[arg(long, value_name = "DIR")]
    pub cases: Option<PathBuf>,
    /// Fail the cases that only deviate from assumptions (or SHOULD rules),
    /// which otherwise pass as warnings [config: strict].
    #[arg(long)]
    pub strict: bool,
    #[command(flatten)]
    pub reports: ReportArgs,
    #[command(flatten)]
    pub gate: GateArgs,
    #[command(flatten)]
    pub libtest: libtest_mimic::Arguments,
}

/// `cancel-conformance client`.
pub fn run_client(args: ClientArgs) -> ExitCode {
    let settings = match read_config(args.config.as_deref())
        .and_then(|config| config::client_settings(&args, config.as_ref()))
    {
        Ok(settings) => settings,
        Err(err) => return setup_error(err),
    };
    let baseline = match load_baseline(&args.gate, Half::Client) {
        Ok(baseline) => baseline,
        Err(err) => return setup_error(err),
    };
    let LoadedHalf {
        catalog,
        cases,
        expectations,
    } = match load_half(
        settings.cases.as_deref(),
        "client",
        settings.expectations.as_deref(),
        load::load_client_cases,
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
    let run = client_exec::ClientRun {
        adapter: settings.adapter.clone(),
        tls: settings.tls,
        client_timeout: Duration::from_millis(settings.client_timeout_ms),
        max_attempts: settings.max_attempts,
        adapter_deadline: settings.adapter_deadline_ms.map(Duration::from_millis),
        scratch_dir: scratch.clone(),
    };
    let handle = runtime.handle().clone();
    let recorder = Recorder::default();
    let waits: Vec<bool> = cases
        .iter()
        .map(|loaded| loaded.case.as_ref().is_ok_and(client_exec::waits))
        .collect();
    let (trials, planned): (Vec<Trial>, Vec<Planned>) = cases
        .into_iter()
        .map(|loaded| {
            let run = run.clone();
            let handle = handle.clone();
            trial(
                loaded,
                |case| (&case.description, &case.rules),
                move |case, _| handle.block_on(client_exec::run_client_case(case, &run)),
                (
                    &catalog,
                    &expectations,
                    &recorder,
                    &args.libtest,
                    settings.strict,
                ),
            )
        })
        .unzip();
    let started = time::OffsetDateTime::now_utc();
    let clock = Instant::now();
    let trials = if args.libtest.list || args.libtest.test_threads == Some(1) {
        trials
    } else {
        waiting_cases_first(trials, &waits)
    };
    let conclusion = libtest_mimic::run(
        &with_default_threads(&args.libtest, CLIENT_CASES_AT_ONCE),
        trials,
    );
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
    };
    finish(
        &conclusion,
        &args.libtest,
        &settings.reports,
        info,
        &recorder,
        &planned,
        &catalog,
        baseline.as_ref(),
    )
}

/// How many server cases run at once by default. A case spends most of its
/// time waiting on the network, so more than one per core keeps the cores
/// busy; many more would queue the RSA work of every case at once, and a
/// case that gives up on a held answer after 100 ms could give up before
/// its request was even sent.
const SERVER_CASES_AT_ONCE: usize = 8;

/// How many client cases run at once by default: each starts an adapter
/// process and a scripted provider.
const CLIENT_CASES_AT_ONCE: usize = 4;

/// Fills in the default number of test threads; an explicit
/// `--test-threads` wins.
fn with_default_threads(
    args: &libtest_mimic::Arguments,
    threads: usize,
) -> libtest_mimic::Arguments {
    let mut args = args.clone();
    if args.test_threads.is_none() {
        args.test_threads = Some(threads);
    }
    args
}

/// What every trial shares.
struct Shared {
    target: Target,
    http: reqwest::Client,
    handle: tokio::runtime::Handle,
}

/// What a failure and a report say about a case, known before it runs.
fn context_of<T>(
    loaded: &Loaded<T>,
    parts: impl Fn(&T) -> (&String, &Vec<serde_saphyr::Spanned<String>>),
) -> CaseContext {
    let parts = loaded.case.as_ref().ok().map(parts);
    CaseContext {
        name: loaded.name.clone(),
        file: loaded.file.clone(),
        description: parts
            .map(|(description, _)| description.clone())
            .unwrap_or_default(),
        rules: parts
            .map(|(_, rules)| rules.iter().map(|rule| rule.value.clone()).collect())
            .unwrap_or_default(),
    }
}

/// What every trial of a run shares: the catalog, the expectations, the
/// recorder of outcomes and the harness arguments.
type TrialSetting<'a> = (
    &'a Arc<Catalog>,
    &'a Expectations,
    &'a Recorder,
    &'a libtest_mimic::Arguments,
    bool,
);

/// One case as a trial of either half: `run_case` runs a well-formed case
/// (given its file), the outcome is judged against the expectations and
/// recorded; with it, what the reports need to account for the trial even
/// if it never records anything.
fn trial<T: Send + 'static>(
    loaded: Loaded<T>,
    parts: impl Fn(&T) -> (&String, &Vec<serde_saphyr::Spanned<String>>),
    run_case: impl FnOnce(&T, &Path) -> Result<Completion, Failure> + Send + 'static,
    (catalog, expectations, recorder, libtest, strict): TrialSetting<'_>,
) -> (Trial, Planned) {
    let context = context_of(&loaded, parts);
    let expected_failure = expectations.reason(&loaded.name).map(str::to_string);
    let listed = expected_failure.is_some();
    let catalog = catalog.clone();
    let recorder = recorder.clone();
    let trial_context = context.clone();
    let trial = Trial::ignorable_test(loaded.name.clone(), move || {
        judged_and_recorded(
            &trial_context,
            expected_failure.as_deref(),
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
        libtest,
        context.file,
        context.description,
        context.rules,
    );
    (trial, planned)
}

/// Runs a case inside its trial, judges it, and records the outcome for
/// the reports.
fn judged_and_recorded(
    context: &CaseContext,
    expected_failure: Option<&str>,
    strict: bool,
    catalog: &Catalog,
    recorder: &Recorder,
    run: impl FnOnce() -> Result<Completion, Failure>,
) -> Result<Completion, Failed> {
    let clock = Instant::now();
    let outcome = run();
    let judged = judge(outcome, expected_failure, strict, context, catalog);
    recorder.push(CaseRecord {
        name: context.name.clone(),
        file: context.file.clone(),
        description: context.description.clone(),
        rules: context.rules.clone(),
        outcome: judged.outcome,
        kind: judged.kind,
        message: judged.message,
        deviations: judged.deviations,
        expected_failure_reason: expected_failure.map(str::to_string),
        duration: clock.elapsed(),
    });
    judged.verdict
}

/// A case's verdict for the harness, and what the reports say about it.
struct Judged {
    verdict: Result<Completion, Failed>,
    outcome: Outcome,
    kind: Option<String>,
    message: Option<String>,
    deviations: Vec<verdict::Deviation>,
}

impl Judged {
    fn failed(outcome: Outcome, kind: &'static str, message: String) -> Judged {
        Judged::from_judgement(verdict::Judgement {
            outcome,
            kind,
            message,
            deviations: Vec::new(),
        })
    }

    fn from_judgement(judgement: verdict::Judgement) -> Judged {
        let verdict = match judgement.outcome {
            // A warning passes the trial: libtest has no warning outcome,
            // and the run prints the warnings after its summary.
            Outcome::ExpectedFail | Outcome::Warning => Ok(Completion::Completed),
            _ => Err(judgement.message.clone().into()),
        };
        Judged {
            verdict,
            outcome: judgement.outcome,
            kind: Some(judgement.kind.to_string()),
            message: Some(judgement.message),
            deviations: judgement.deviations,
        }
    }
}

/// Turns a case's outcome into the test's verdict, applying the target's
/// expectations: a listed case must fail (for a reason of the target, not
/// of the case), and one that passes is reported as no longer deviating.
fn judge(
    outcome: Result<Completion, Failure>,
    expected_failure: Option<&str>,
    strict: bool,
    context: &CaseContext,
    catalog: &Catalog,
) -> Judged {
    match (outcome, expected_failure) {
        (Ok(Completion::Completed), None) => Judged {
            verdict: Ok(Completion::Completed),
            outcome: Outcome::Pass,
            kind: None,
            message: None,
            deviations: Vec::new(),
        },
        (Ok(Completion::Ignored { reason }), _) => Judged {
            message: reason.clone(),
            verdict: Ok(Completion::Ignored { reason }),
            outcome: Outcome::Ignored,
            kind: None,
            deviations: Vec::new(),
        },
        (Err(failure), None) => {
            Judged::from_judgement(verdict::judge_failure(&failure, context, catalog, strict))
        }
        // Only a wrong answer is a known deviation: a connection problem or
        // a crashed adapter says nothing about the deviation listed. A
        // warning may be listed too.
        (Err(failure @ Failure::Mismatch { .. }), Some(_)) => {
            let judgement = verdict::judge_failure(&failure, context, catalog, false);
            Judged::from_judgement(verdict::Judgement {
                outcome: Outcome::ExpectedFail,
                kind: failure.kind(),
                ..judgement
            })
        }
        (Err(failure), Some(_)) => Judged::failed(
            Outcome::Fail,
            failure.kind(),
            format!(
                "{}\n(listed as a known deviation, but it failed for another reason than a wrong answer)",
                render(&failure, context, catalog)
            ),
        ),
        (Ok(Completion::Completed), Some(reason)) => Judged::failed(
            Outcome::UnexpectedPass,
            "UNEXPECTED PASS",
            format!(
                "UNEXPECTED PASS in case {}: the expectations file lists it as failing ({reason}), but it passes now; remove it from the expectations file",
                context.name
            ),
        ),
    }
}

/// A private key file other users can read is a leak waiting to happen:
/// says so on stderr, naming the file (never the key), and goes on.
fn warn_if_readable_by_others(file: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(metadata) = std::fs::metadata(file) {
            let mode = metadata.permissions().mode() & 0o777;
            if mode & 0o044 != 0 {
                eprintln!(
                    "warning: the private key file {} can be read by other users (mode {mode:03o}); \
                     run `chmod 600 {}`",
                    file.display(),
                    file.display()
                );
            }
        }
    }
}

/// Builds the target: the embedded reference server (started here) or the
/// given endpoint. The returned server handle keeps the server alive.
async fn prepare_target(
    settings: &RunSettings,
) -> Result<(Target, Option<server::RunningServer>), String> {
    if let config::KeySource::File(file) = &settings.merchant_key {
        warn_if_readable_by_others(file);
    }
    let merchant_text = settings.merchant_key.text(test_keys::MERCHANT_PRIVATE)?;
    let merchant_key = SigningKey::from_base64_pkcs8(&merchant_text)
        .map_err(|err| format!("the merchant private key: {err}"))?;
    let provider_text = settings.provider_key.text(test_keys::PROVIDER_PUBLIC)?;
    let provider_key = VerifyingKey::from_base64_spki(&provider_text)
        .map_err(|err| format!("the provider public key: {err}"))?;
    let fixtures = match &settings.fixtures {
        Some(file) => Some(target::load_fixtures(file).map_err(|err| err.to_string())?),
        None => None,
    };
    let other_client_id =
        (settings.other_client_id != "none").then(|| settings.other_client_id.clone());
    let (base_url, description, running) = match &settings.endpoint {
        Some(url) => {
            let url = url.trim_end_matches('/').to_string();
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(format!(
                    "the endpoint `{}` is not an http:// or https:// URL",
                    report::describe_endpoint(&url)
                ));
            }
            (url.clone(), report::describe_endpoint(&url), None)
        }
        None => {
            let running = server::start(
                ServerConfig {
                    profile: settings.profile,
                    ..ServerConfig::test_default()
                },
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
            client_id: settings.client_id.clone(),
            other_client_id,
            merchant_key: Arc::new(merchant_key),
            key_version: settings.key_version.clone(),
            provider_key,
            fixtures,
            timeout: Duration::from_millis(settings.timeout_ms),
            control_token: settings.control_token.clone()?,
            profile: settings.profile,
        },
        running,
    ))
}

/// The outcome of every case, without the test harness: for tools and for
/// tests that judge the suite itself (the defect matrix). As many cases run
/// at once as `run` runs by default.
pub async fn run_all(
    cases: &[LoadedCase],
    target: Arc<Target>,
    http: reqwest::Client,
) -> Vec<(String, Result<Completion, Failure>)> {
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

/// The outcome of every client case with one adapter, without the test
/// harness (for the broken-adapter matrix). Cases run two at a time: each
/// starts a process.
pub async fn run_all_client(
    cases: &[load::LoadedClientCase],
    run: &client_exec::ClientRun,
) -> Vec<(String, Result<Completion, Failure>)> {
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
    in_window(runs, 2).await
}

/// Runs the named cases, at most `window` at a time, and returns their
/// outcomes in the order given.
async fn in_window<F>(
    runs: impl Iterator<Item = (String, F)>,
    window: usize,
) -> Vec<(String, Result<Completion, Failure>)>
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

    #[test]
    fn cases_with_a_timed_step_wait_on_purpose() {
        let catalog = Catalog::embedded().expect("catalogs load");
        let cases_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("cases");
        let cases = load_cases(&cases_dir, "server", &catalog).expect("cases load");
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

    #[test]
    fn a_warning_passes_its_trial_and_an_expectations_entry_covers_it() {
        let catalog = Catalog::embedded().expect("catalogs load");
        let context = CaseContext {
            name: "server/http/a-case".into(),
            file: "cases/server/http/a-case.yaml".into(),
            description: String::new(),
            rules: vec!["codes.media-type-not-acceptable".into()],
        };
        let weak = || {
            Err(Failure::Mismatch {
                step: 1,
                action: "cancel".into(),
                diffs: vec![failure::Diff::new("result.resultCode", "A", "B")],
                transcript: None,
            })
        };
        let lenient = judge(weak(), None, false, &context, &catalog);
        assert_eq!(lenient.outcome, Outcome::Warning);
        assert!(lenient.verdict.is_ok());
        let strict = judge(weak(), None, true, &context, &catalog);
        assert_eq!(strict.outcome, Outcome::Fail);
        assert!(strict.verdict.is_err());
        let listed = judge(weak(), Some("known"), true, &context, &catalog);
        assert_eq!(listed.outcome, Outcome::ExpectedFail);
        assert!(listed.verdict.is_ok());
        assert_eq!(listed.deviations.len(), 1);
    }

    #[test]
    fn missing_cases_say_what_to_give() {
        let err = cases_dir(None, "no-such-half").expect_err("no such cases");
        assert!(err.contains("--cases DIR"), "{err}");
        assert!(err.contains(env!("CARGO_MANIFEST_DIR")), "{err}");
        assert_eq!(
            cases_dir(Some(Path::new("elsewhere")), "server"),
            Ok(PathBuf::from("elsewhere"))
        );
    }
}
