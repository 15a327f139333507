//! What each command does, once its arguments are parsed. Every failure is
//! printed here, once, as a message that says what to do.

use std::path::Path;
use std::process::ExitCode;

use std::path::PathBuf;

use crate::config;
use crate::server::{ClientKey, ServerConfig, TlsSetup};
use crate::signing::VerifyingKey;
use crate::spec::schema::{self, Dialect};
use crate::spec::validate::{self, Message};

pub use crate::suite::{ClientArgs, RunArgs};

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
    /// Send API answers without a signature, to benchmark the server without
    /// RSA signing or to show how a client reacts to unsigned answers.
    #[arg(long)]
    pub unsigned_answers: bool,
    /// The acquirer whose behaviour to play where the sources disagree
    /// (INTERPRETING.md §9): apo (the seed: a buyer can still pay after an
    /// unpaid cancel; windows count from payment) or antom (an unpaid cancel
    /// stops the payment; windows count from the order placement).
    #[arg(long, value_enum, value_name = "NAME", default_value_t = crate::profile::Profile::Apo)]
    pub profile: crate::profile::Profile,
}

/// `cancel-conformance run`: as the library's, but a
/// `cancel-conformance.yaml` in the current directory applies too.
pub fn run(mut args: RunArgs) -> ExitCode {
    args.config = config_here(args.config.take());
    crate::suite::run(args)
}

/// `cancel-conformance client`, with the same configuration file lookup.
pub fn client(mut args: ClientArgs) -> ExitCode {
    args.config = config_here(args.config.take());
    crate::suite::run_client(args)
}

fn config_here(flag: Option<PathBuf>) -> Option<PathBuf> {
    config::locate(flag.as_deref(), &config::process_env, Some(Path::new(".")))
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
  profile: antom                       # the acquirer profile (INTERPRETING.md §9); default apo
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

/// `cancel-conformance serve`.
pub fn serve(args: ServeArgs) -> ExitCode {
    let mut config = ServerConfig::test_default();
    config.control_plane = !args.no_control_plane;
    config.control_token = match config::control_token(
        args.control_token_file.as_deref(),
        &config::process_env,
        None,
    ) {
        Ok(token) if args.no_control_plane => token.and(None),
        Ok(token) => token,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(2);
        }
    };
    if config.control_plane && config.control_token.is_none() && !args.addr.ip().is_loopback() {
        eprintln!(
            "error: --addr {} is not a loopback address, and the control plane (which seeds, \
             cancels and refunds payments at will) would be open to that network: give it a \
             token with --control-token-file FILE (or {}), or turn it off with --no-control-plane",
            args.addr,
            config::env::CONTROL_TOKEN
        );
        return ExitCode::from(2);
    }
    config.sign_responses = !args.unsigned_answers;
    config.profile = args.profile;
    for client in &args.clients {
        let Some((id, file)) = client.split_once('=') else {
            eprintln!("error: --client `{client}` is not ID=FILE");
            return ExitCode::from(2);
        };
        let key = match std::fs::read_to_string(file)
            .map_err(|err| err.to_string())
            .and_then(|text| VerifyingKey::from_base64_spki(&text).map_err(|err| err.to_string()))
        {
            Ok(key) => key,
            Err(err) => {
                eprintln!("error: --client {id}: the public key in {file}: {err}");
                return ExitCode::from(2);
            }
        };
        config.clients.insert(
            id.to_string(),
            ClientKey {
                public_key: key,
                key_version: crate::server::DEFAULT_KEY_VERSION.to_string(),
            },
        );
    }
    let tls = match (args.tls, &args.cert, &args.key) {
        (false, _, _) => None,
        (true, Some(cert), Some(key)) => Some(TlsSetup::Files {
            cert_pem: cert.clone(),
            key_pem: key.clone(),
        }),
        (true, _, _) => Some(TlsSetup::SelfSigned {
            hosts: args.tls_hosts.clone(),
        }),
    };
    let config_token_set = config.control_token.is_some();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::from(2);
        }
    };
    runtime.block_on(async {
        let mut server = match crate::server::start(config, args.addr, tls).await {
            Ok(server) => server,
            Err(err) => {
                eprintln!("error: {err}");
                return ExitCode::from(2);
            }
        };
        if let (Some(path), Some(pem)) = (&args.write_ca, &server.ca_cert_pem)
            && let Err(err) = std::fs::write(path, pem)
        {
            eprintln!("error: cannot write {}: {err}", path.display());
            return ExitCode::from(2);
        }
        println!(
            "cancel API at {}{} (listening on {}; profile {}; control plane {})",
            server.base_url,
            crate::spec::api::CANCEL_PATH,
            server.addr,
            args.profile,
            match (args.no_control_plane, &config_token_set) {
                (true, _) => "off",
                (false, true) => "on, at /control/v1, token required",
                (false, false) => "on, at /control/v1",
            }
        );
        tokio::select! {
            result = server.wait() => match result {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => {
                    eprintln!("error: {err}");
                    ExitCode::FAILURE
                }
            },
            _ = tokio::signal::ctrl_c() => {
                let _ = server.shutdown().await;
                ExitCode::SUCCESS
            }
        }
    })
}

/// `cancel-conformance schema --out DIR`.
pub fn schema(out: &Path, draft: Dialect) -> ExitCode {
    if let Err(err) = std::fs::create_dir_all(out) {
        eprintln!("error: cannot create {}: {err}", out.display());
        return ExitCode::from(2);
    }
    for (name, doc) in schema::generate(draft) {
        let path = out.join(&name);
        if let Err(err) = std::fs::write(&path, schema::render(&doc)) {
            eprintln!("error: cannot write {}: {err}", path.display());
            return ExitCode::from(2);
        }
        println!("wrote {}", path.display());
    }
    ExitCode::SUCCESS
}

/// `cancel-conformance validate --message M FILE`.
pub fn validate(message: Message, file: &Path) -> ExitCode {
    let text = if file == Path::new("-") {
        let mut text = String::new();
        match std::io::Read::read_to_string(&mut std::io::stdin(), &mut text) {
            Ok(_) => text,
            Err(err) => {
                eprintln!("error: cannot read standard input: {err}");
                return ExitCode::from(2);
            }
        }
    } else {
        match std::fs::read_to_string(file) {
            Ok(text) => text,
            Err(err) => {
                eprintln!("error: cannot read {}: {err}", file.display());
                return ExitCode::from(2);
            }
        }
    };
    let instance: serde_json::Value = match serde_json::from_str(&text) {
        Ok(value) => value,
        Err(err) => {
            println!(
                "{}:{}:{}: not JSON: {err}",
                file.display(),
                err.line(),
                err.column()
            );
            return ExitCode::FAILURE;
        }
    };
    let violations = validate::validate(message, &instance);
    if violations.is_empty() {
        println!("{}: a valid {}", file.display(), message.name());
        return ExitCode::SUCCESS;
    }
    println!(
        "{}: not a valid {} ({} violation{}):",
        file.display(),
        message.name(),
        violations.len(),
        if violations.len() == 1 { "" } else { "s" }
    );
    for violation in violations {
        println!("  {violation}");
    }
    ExitCode::FAILURE
}
