//! `cancel-conformance serve`: the reference server, configured from its
//! flags. Every failure is printed here, once, as a message that says what
//! to do.

use std::path::Path;
use std::process::ExitCode;

use super::args::ServeArgs;
use super::config;
use crate::server::{ClientKey, ServerConfig, TlsSetup};
use crate::signing::VerifyingKey;

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
