//! Every argument of the command line, in one place: the commands and the
//! flags of each (clap derive), with the help texts shown after `--help`.
//! What a command does with them is in the sibling modules; where a
//! setting left out here gets its value is [`super::config`].

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use super::shared_args::{GateArgs, MatrixArgs, ReportArgs};
use crate::spec::schema::Dialect;
use crate::spec::validate::Message;

#[derive(Parser)]
#[command(
    name = "cancel-conformance",
    version,
    about = "Specification and conformance suite for the payment cancel API",
    after_help = "Examples:\n  cancel-conformance run                               # every server case against the embedded reference server\n  cancel-conformance run --endpoint http://127.0.0.1:8080 refund\n  cancel-conformance run --config sandbox.yaml --junit report.xml --html report.html\n  cancel-conformance client --adapter \"cancel-conformance adapter\"\n  cancel-conformance matrix matrix/matrix.yaml --html matrix.html\n  cancel-conformance serve --addr 127.0.0.1:8080\n  cancel-conformance schema --out schemas\n  cancel-conformance validate --message cancel-response captured.json\n\n`run` and `client` read ./cancel-conformance.yaml when present (see `run --help`)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run every server case against the embedded reference server, or --endpoint URL.
    #[command(after_help = RUN_HELP)]
    Run(Box<RunArgs>),
    /// Judge a client through its adapter: the suite plays the provider.
    #[command(after_help = CLIENT_HELP)]
    Client(Box<ClientArgs>),
    /// The project's own Rust client as a client-half adapter (JSON lines
    /// on stdin/stdout, INTERPRETING.md §8); started by `client --adapter
    /// "cancel-conformance adapter"`, not by hand.
    Adapter,
    /// Judge many implementations, clients and servers, in one run: one
    /// page of cases × implementations.
    #[command(after_help = crate::matrix::HELP)]
    Matrix(Box<MatrixArgs>),
    /// Prepare a target without a control plane: `--template` prints a
    /// fixtures file skeleton of the payments the server cases need;
    /// `check FILE --endpoint URL` says which of its payments are ready.
    Fixtures(FixturesArgs),
    /// Serve the reference server.
    Serve(ServeArgs),
    /// Write the JSON Schemas and the OpenAPI document.
    Schema {
        /// Directory to write into (created if missing).
        #[arg(long, default_value = "spec")]
        out: PathBuf,
        /// JSON Schema dialect of the message schemas.
        #[arg(long, value_enum, default_value = "2020-12")]
        draft: Dialect,
    },
    /// The suite embedded in this binary: `cases export DIR` writes it out
    /// for editing (then run with `--cases DIR`).
    #[command(subcommand)]
    Cases(CasesCommand),
    /// Check one captured request or response (JSON file, or - for stdin) against the spec.
    Validate {
        /// Which message the file holds.
        #[arg(long, value_enum)]
        message: Message,
        /// The JSON file.
        file: PathBuf,
    },
}

/// `cancel-conformance cases ...`.
#[derive(Debug, clap::Subcommand)]
pub enum CasesCommand {
    /// Write every embedded case file below DIR (a new or empty directory),
    /// as the source tree's `cases/` holds them.
    Export {
        /// Directory to write into (created if missing; must be empty).
        dir: PathBuf,
    },
}

/// How to reach, sign for and judge a server target: what `run` and
/// `fixtures check` both take. Settings left out here come from the
/// environment, then the configuration file, then the defaults
/// ([`super::config`]).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct TargetArgs {
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
    /// The cases directory, holding server/ [config: cases] [default: the
    /// suite embedded in this binary; `cases export DIR` writes it out].
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
    /// The most requests a second to send to the target, N/s (a sandbox's
    /// rate limit). A throttled answer (REQUEST_TRAFFIC_EXCEED_LIMIT, HTTP
    /// 429) from a target without a control plane is waited out in any
    /// case [config: rate] [default: unpaced].
    #[arg(long, value_name = "N/s")]
    pub rate: Option<crate::config_file::Rate>,
    /// The acquirer profile to check where the sources disagree: cases of
    /// another profile are ignored, and the embedded reference server plays
    /// this one [config: profile] [default: apo].
    #[arg(long, value_enum, value_name = "NAME")]
    pub profile: Option<crate::profile::Profile>,
}

/// Arguments of `cancel-conformance run`. Settings left out here come from
/// the environment, then the configuration file, then the defaults
/// ([`super::config`]).
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Fixtures file (fixture name → prepared payment ids) for a target
    /// without the control plane, such as a vendor sandbox [config:
    /// fixtures].
    #[arg(long, value_name = "FILE")]
    pub fixtures: Option<PathBuf>,
    /// Expectations file: the target's known deviations [config:
    /// expectations].
    #[arg(long, value_name = "FILE")]
    pub expectations: Option<PathBuf>,
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
    /// The target's contract time zone, in which the next-day cut-off is
    /// counted: cases that name another zone are ignored, and the embedded
    /// reference server counts in this one [config: time_zone] [default:
    /// +08:00].
    #[arg(long, value_name = "OFFSET", allow_hyphen_values = true)]
    pub time_zone: Option<crate::time_zone::TimeZone>,
    #[command(flatten)]
    pub reports: ReportArgs,
    #[command(flatten)]
    pub gate: GateArgs,
    #[command(flatten)]
    pub libtest: libtest_mimic::Arguments,
}

/// Arguments of `cancel-conformance client`. Settings left out here come
/// from the `client:` section of the configuration file, then the defaults.
#[derive(Debug, clap::Args)]
pub struct ClientArgs {
    /// Configuration file [env: CANCEL_CONFORMANCE_CONFIG] [default:
    /// ./cancel-conformance.yaml if present].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The adapter command, started once per case (exec'd directly, or
    /// through `sh -c` when it uses shell syntax) in a process group of its
    /// own; it speaks the JSON-lines protocol of INTERPRETING.md §8
    /// [config: client.adapter].
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
    /// Pass this variable of the runner's environment on to the adapter
    /// (repeatable; e.g. HTTPS_PROXY). The adapter gets only the CC_*
    /// protocol variables, PATH, HOME, USER, LOGNAME, SHELL, TERM, TZ,
    /// TMPDIR, LANG, LANGUAGE and LC_*, and these; never a
    /// CANCEL_CONFORMANCE_* variable [config: client.adapter_env].
    #[arg(long = "adapter-env", value_name = "NAME")]
    pub adapter_env: Vec<String>,
    /// Expectations file: the client's known deviations [config:
    /// client.expectations].
    #[arg(long, value_name = "FILE")]
    pub expectations: Option<PathBuf>,
    /// The cases directory, holding client/ [config: cases] [default: the
    /// suite embedded in this binary; `cases export DIR` writes it out].
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

/// Arguments of `cancel-conformance serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on (loopback by default: the control plane must
    /// never face a network).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: std::net::SocketAddr,
    /// Serve HTTPS: with a self-signed certificate made at start-up, or
    /// with --cert and --key.
    #[arg(long)]
    pub tls: bool,
    /// Certificate chain (PEM) for --tls.
    #[arg(long, requires_all = ["tls", "key"])]
    pub cert: Option<PathBuf>,
    /// Private key (PEM) of --cert.
    #[arg(long, requires_all = ["tls", "cert"])]
    pub key: Option<PathBuf>,
    /// Host names and IP addresses the self-signed certificate names
    /// (repeatable; default localhost and 127.0.0.1).
    #[arg(long = "tls-host", requires = "tls")]
    pub tls_hosts: Vec<String>,
    /// Write the self-signed certificate (PEM) to this file, for clients
    /// to trust (e.g. SSL_CERT_FILE for the Python SDK).
    #[arg(long, requires = "tls")]
    pub write_ca: Option<PathBuf>,
    /// Accept another client: `ID=FILE`, FILE holding its public key
    /// (base64 SPKI or PEM), key version 1. Repeatable; the test clients
    /// stay configured.
    #[arg(long = "client", value_name = "ID=FILE")]
    pub clients: Vec<String>,
    /// Turn off the control plane, for a server that looks like a real
    /// provider.
    #[arg(long)]
    pub no_control_plane: bool,
    /// File holding the control plane's token: every control call must then
    /// send `Authorization: Bearer <token>`. Required when --addr is not a
    /// loopback address; or the token itself in
    /// CANCEL_CONFORMANCE_CONTROL_TOKEN.
    #[arg(long, value_name = "FILE", conflicts_with = "no_control_plane")]
    pub control_token_file: Option<PathBuf>,
    /// Seed the payments every fixture name of the server cases needs, write
    /// the fixtures file naming them to FILE, and serve them: a sandbox to
    /// run against with `run --fixtures FILE` (only with --no-control-plane).
    #[arg(long, value_name = "FILE", requires = "no_control_plane")]
    pub write_fixtures: Option<PathBuf>,
    /// How many payments to seed per fixture name with --write-fixtures
    /// [default: what a full run needs, name by name].
    #[arg(long, value_name = "N", requires = "write_fixtures", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub pool: Option<u32>,
    /// Send API answers without a signature, to benchmark the server without
    /// RSA signing or to show how a client reacts to unsigned answers.
    #[arg(long)]
    pub unsigned_answers: bool,
    /// The acquirer whose behaviour to play where the sources disagree
    /// (INTERPRETING.md §9): apo (the seed: windows count from payment) or
    /// antom (windows count from the order placement; methods never
    /// cancellable, or only before payment).
    #[arg(long, value_enum, value_name = "NAME", default_value_t = crate::profile::Profile::Apo)]
    pub profile: crate::profile::Profile,
    /// The contract's time zone, in which the next-day cut-off (00:15 of
    /// the day after payment) is counted (rule window.contract-time-zone).
    #[arg(
        long,
        value_name = "OFFSET",
        default_value = "+08:00",
        allow_hyphen_values = true
    )]
    pub time_zone: crate::time_zone::TimeZone,
}

/// Arguments of `cancel-conformance fixtures`.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct FixturesArgs {
    #[command(subcommand)]
    pub action: Option<FixturesAction>,
    /// Print a fixtures file skeleton for the selected server cases.
    #[arg(long)]
    pub template: bool,
    /// The cases directory, holding server/ [default: the suite embedded
    /// in this binary].
    #[arg(long, value_name = "DIR")]
    pub cases: Option<PathBuf>,
    /// Only the cases whose name contains FILTER.
    #[arg(value_name = "FILTER")]
    pub filter: Option<String>,
    /// The acquirer profile the run will check: cases of another profile
    /// need no payment.
    #[arg(long, value_enum, value_name = "NAME", default_value_t = crate::profile::Profile::Apo)]
    pub profile: crate::profile::Profile,
}

/// What `fixtures` does besides `--template`.
#[derive(Debug, Subcommand)]
pub enum FixturesAction {
    /// Look at every payment of a fixtures file (an inquiry each) and say
    /// which are ready, used up, in the wrong state or unknown; exit 1
    /// unless all are ready.
    Check(Box<FixturesCheckArgs>),
}

/// Arguments of `cancel-conformance fixtures check`: the fixtures file and
/// how to reach and sign for the target, as `run` takes them.
#[derive(Debug, clap::Args)]
pub struct FixturesCheckArgs {
    /// The fixtures file.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    #[command(flatten)]
    pub target: TargetArgs,
}

impl FixturesCheckArgs {
    /// The `run` arguments these stand for, with the file as `--fixtures`.
    pub fn as_run_args(&self) -> RunArgs {
        RunArgs {
            target: self.target.clone(),
            fixtures: Some(self.file.clone()),
            expectations: None,
            time_zone: None,
            control_token_file: None,
            strict: false,
            reports: Default::default(),
            gate: Default::default(),
            libtest: Default::default(),
        }
    }
}

/// Shown after `run --help`.
pub const RUN_HELP: &str = "\
Settings: a flag wins over an environment variable, which wins over the
configuration file, which wins over the default. The configuration file is
--config FILE, else $CANCEL_CONFORMANCE_CONFIG, else ./cancel-conformance.yaml
if there is one. Keys never go in that file: it names key files, or the keys
come from CANCEL_CONFORMANCE_MERCHANT_PRIVATE_KEY and
CANCEL_CONFORMANCE_PROVIDER_PUBLIC_KEY.

Examples:
  cancel-conformance run                                     # every server case against the embedded reference server
  cancel-conformance run refund                              # only the cases whose name contains `refund`
  cancel-conformance run --endpoint http://127.0.0.1:8080 --junit report.xml --json results.json --html report.html
  CANCEL_CONFORMANCE_MERCHANT_PRIVATE_KEY=\"$(cat merchant-private.b64)\" \\
  CANCEL_CONFORMANCE_PROVIDER_PUBLIC_KEY=\"$(cat provider-public.b64)\" \\
    cancel-conformance run --config sandbox.yaml

A configuration file (every key optional; relative paths are relative to it):
  endpoint: https://sandbox.provider.example
  client_id: SANDBOX_XXXXXXXX
  other_client_id: none
  provider_public_key_file: keys/provider-public.b64   # or the env variable
  key_version: 1
  fixtures: sandbox-fixtures.yaml
  expectations: sandbox-expectations.yaml
  timeout_ms: 15000
  rate: 5/s                            # at most 5 requests a second to the target
  profile: antom                       # the acquirer profile (INTERPRETING.md §9); default apo
  time_zone: \"+08:00\"                  # the contract's time zone of the next-day cut-off; default +08:00
  reports:
    junit: reports/conformance.xml
    json: reports/conformance.json
    html: reports/conformance.html

Exit status: 0 no case failed (ignored cases and expected failures do not
fail a run), 101 some case failed, 2 the run could not start or a report
could not be written.";

/// Shown after `client --help`.
pub const CLIENT_HELP: &str = "\
Settings: a flag wins over the `client:` section of the configuration file,
which wins over the default. The configuration file is --config FILE, else
$CANCEL_CONFORMANCE_CONFIG, else ./cancel-conformance.yaml if there is one.

Examples:
  cancel-conformance client --adapter \"cancel-conformance adapter\"           # the project's own Rust client
  cancel-conformance client --tls --adapter \".venv/bin/python adapters/python/adapter.py\" \\
    --expectations adapters/python/expectations.yaml --junit report.xml --html report.html

A configuration file for a client SDK repository:
  client:
    adapter: node conformance/adapter.js
    tls: true
    expectations: conformance/expectations.yaml
    reports:
      junit: reports/conformance.xml
      html: reports/conformance.html

Exit status: 0 no case failed, 101 some case failed, 2 the run could not
start or a report could not be written.";
