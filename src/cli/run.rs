//! `cancel-conformance run`, `client` and `fixtures`: the configuration
//! read, every setting chosen ([`super::config`]), and the suite handed the
//! result as plain settings. A problem before any case runs is printed
//! here, once, with exit status 2.

use std::path::Path;
use std::process::ExitCode;

use super::args::{ClientArgs, FixturesAction, FixturesArgs, RunArgs};
use super::config::{self, Config};
use super::shared_args::GateArgs;
use crate::spec::catalog::Catalog;
use crate::suite;
use crate::suite::load::{self, CaseSource};
use crate::suite::report::gate::GateSettings;
use crate::suite::server_half::case::{Case, LoadedCase};
use crate::suite::server_half::sandbox;
use crate::suite::setup_error;

/// `cancel-conformance run`, with the configuration file `--config` or
/// CANCEL_CONFORMANCE_CONFIG names (the command itself also looks in the
/// current directory, [`super::config_here`]; this function does not, so
/// that tests never pick up a stray file).
pub fn run(args: RunArgs) -> ExitCode {
    let config = match read_config(args.target.config.as_deref()) {
        Ok(config) => config,
        Err(err) => return setup_error(err),
    };
    let settings = config::run_settings(&args, &config::process_env, config.as_ref());
    suite::run(settings, &gate(&args.gate, config.as_ref()), &args.libtest)
}

/// `cancel-conformance client`, with the configuration file as for [`run`].
pub fn client(args: ClientArgs) -> ExitCode {
    let (settings, gate) = match read_config(args.config.as_deref()).and_then(|config| {
        let settings = config::client_settings(&args, config.as_ref())?;
        Ok((settings, gate(&args.gate, config.as_ref())))
    }) {
        Ok(both) => both,
        Err(err) => return setup_error(err),
    };
    suite::run_client(settings, &gate, &args.libtest)
}

/// The gate's settings: the flags, else the configuration file's
/// `suite_version:` (the baseline is a flag only: it changes per release).
fn gate(flags: &GateArgs, config: Option<&Config>) -> GateSettings {
    GateSettings {
        suite_version: flags
            .suite_version
            .clone()
            .or_else(|| config.and_then(|config| config.values.suite_version.clone())),
        ..GateSettings::from(flags)
    }
}

/// The configuration file `--config` or CANCEL_CONFORMANCE_CONFIG names,
/// read.
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

/// `cancel-conformance fixtures --template` and `fixtures check`.
pub fn fixtures(args: FixturesArgs) -> ExitCode {
    if let Some(FixturesAction::Check(check)) = &args.action {
        let run_args = check.as_run_args();
        let config = match read_config(run_args.target.config.as_deref()) {
            Ok(config) => config,
            Err(err) => return setup_error(err),
        };
        let settings = config::run_settings(&run_args, &config::process_env, config.as_ref());
        return suite::check_fixtures(&settings);
    }
    if !args.template {
        return setup_error(
            "give --template to print a fixtures file skeleton, or `check FILE --endpoint URL`",
        );
    }
    let cases = match Catalog::embedded()
        .map_err(|err| err.to_string())
        .and_then(|catalog| {
            load::cases::<Case>(&CaseSource::of(args.cases.as_deref()), &catalog)
                .map_err(|err| err.to_string())
        }) {
        Ok(cases) => cases,
        Err(err) => return setup_error(err),
    };
    let selected: Vec<LoadedCase> = cases
        .into_iter()
        .filter(|case| {
            args.filter
                .as_deref()
                .is_none_or(|filter| case.name.contains(filter))
        })
        .collect();
    let plan = sandbox::plan(&selected, args.profile);
    super::out(format_args!("{}", sandbox::template(&plan, selected.len())));
    ExitCode::SUCCESS
}
