//! What each command does, once its arguments are parsed. Every failure is
//! printed here, once, as a message that says what to do.

use std::path::Path;
use std::process::ExitCode;

use std::path::PathBuf;

use crate::server::{ClientKey, ServerConfig, TlsSetup};
use crate::signing::VerifyingKey;
use crate::spec::schema::{self, Dialect};
use crate::spec::validate::{self, Message};

pub use crate::suite::RunArgs;

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
}

/// `cancel-conformance run`.
pub fn run(args: RunArgs) -> ExitCode {
    crate::suite::run(args)
}

/// `cancel-conformance serve`.
pub fn serve(args: ServeArgs) -> ExitCode {
    let mut config = ServerConfig::test_default();
    config.control_plane = !args.no_control_plane;
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
            "cancel API at {}{} (control plane {})",
            server.base_url,
            crate::spec::api::CANCEL_PATH,
            if args.no_control_plane {
                "off"
            } else {
                "on, at /control/v1"
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
