//! `cancel-conformance serve`: the reference server, configured from its
//! flags. Every failure is printed here, once, as a message that says what
//! to do. With `--write-fixtures` it seeds, before it serves, the payments
//! the server cases' fixture names need (the one way a server without a
//! control plane gets payments) and writes the fixtures file naming them.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use super::args::ServeArgs;
use super::config;
use crate::server::{ClientKey, ServerConfig, StartingPayment, TlsSetup};
use crate::signing::VerifyingKey;
use crate::suite::server_half::case::{Owner, parse_duration};
use crate::suite::server_half::sandbox;

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
    config.windows.wallet_offset = args.time_zone.0;
    for client in &args.clients {
        let Some((id, file)) = client.split_once('=') else {
            eprintln!("error: --client `{client}` is not ID=FILE");
            return ExitCode::from(2);
        };
        let key = match crate::input_file::read_text(Path::new(file))
            .map_err(|err| err.reason())
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
    let header_read_timeout = config.header_read_timeout;
    let router = match &args.write_fixtures {
        None => crate::server::app(config),
        Some(file) => match seeded_app(config, file, args.profile, args.pool) {
            Ok(router) => router,
            Err(err) => {
                eprintln!("error: {err}");
                return ExitCode::from(2);
            }
        },
    };
    runtime.block_on(async {
        let served = crate::server::serve_router(router, header_read_timeout, args.addr, tls);
        let mut server = match served.await {
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

/// The server holding a pool of payments per fixture name of the embedded
/// server cases (`pool` each, or what a full run needs), with the fixtures
/// file naming them written to `file`.
fn seeded_app(
    config: ServerConfig,
    file: &Path,
    profile: crate::profile::Profile,
    pool: Option<u32>,
) -> Result<axum::Router, String> {
    let catalog = crate::spec::catalog::Catalog::embedded().map_err(|err| err.to_string())?;
    let cases = crate::suite::load::cases::<crate::suite::server_half::case::Case>(
        &crate::suite::CaseSource::Embedded,
        &catalog,
    )
    .map_err(|err| err.to_string())?;
    let plan = sandbox::plan(&cases, profile);
    let mut names = Vec::new();
    let mut payments = Vec::new();
    for (name, used) in &plan {
        let need = used.payments_needed();
        if need == 0 {
            continue;
        }
        let count = pool.map_or(need, |pool| pool as usize);
        let fixture = &used.fixture;
        let payment = StartingPayment {
            state: fixture.state,
            method: fixture.method,
            age: fixture
                .age
                .as_deref()
                .and_then(parse_duration)
                .unwrap_or_default(),
            owner: match fixture.owner {
                Owner::Own => crate::server::DEFAULT_CLIENT_ID,
                Owner::Other => crate::server::OTHER_CLIENT_ID,
            }
            .to_string(),
        };
        names.push((name.clone(), count));
        payments.extend(std::iter::repeat_n(payment, count));
    }
    let (router, ids) = crate::server::app_with_payments(config, &payments)?;
    let mut text = format!(
        "# Written by `cancel-conformance serve --no-control-plane --write-fixtures`: the\n\
         # payments this server holds, {} per fixture name. Give it to\n\
         # `cancel-conformance run --endpoint URL --fixtures FILE`. A run uses payments\n\
         # up: restart the server for a fresh set.\n\
         fixtures:\n",
        pool.map_or("what a full run needs".to_string(), |pool| pool.to_string())
    );
    let mut ids = ids.into_iter();
    for (name, count) in names {
        let _ = writeln!(text, "  {name}:");
        for ids in ids.by_ref().take(count) {
            let _ = writeln!(
                text,
                "    - payment_id: {}\n      payment_request_id: {}",
                quoted(&ids.payment_id),
                quoted(&ids.payment_request_id)
            );
        }
    }
    std::fs::write(file, text).map_err(|err| format!("cannot write {}: {err}", file.display()))?;
    println!(
        "fixtures file {}: {} payments under {} fixture names",
        file.display(),
        payments.len(),
        plan.values()
            .filter(|used| used.payments_needed() > 0)
            .count()
    );
    Ok(router)
}

/// A YAML double-quoted scalar (a JSON string is one).
fn quoted(text: &str) -> String {
    serde_json::Value::String(text.to_string()).to_string()
}
