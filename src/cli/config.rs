//! The configuration file, `cancel-conformance.yaml`, and the one place
//! where each setting of `run` and `client` gets its value: a flag, else an
//! environment variable, else the file, else the default.
//!
//! The file holds paths to key files, never keys: a key either sits in a
//! file the file points at, or arrives in an environment variable from a
//! CI secret store. Relative paths in the file are relative to the file.

use std::path::{Path, PathBuf};

use super::args::{ClientArgs, RunArgs};
use super::shared_args::ReportArgs;
use crate::config_file::{ClientSection, ConfigFile, FILE_NAME, ReportsSection};
use crate::server;
use crate::spec::yaml::{self, YamlError};
use crate::suite::report::ReportPaths;
use crate::suite::settings::{ClientSettings, KeySource, RunSettings};

/// The environment variables the settings read.
pub mod env {
    /// The configuration file, when `--config` is not given.
    pub const CONFIG: &str = "CANCEL_CONFORMANCE_CONFIG";
    pub const ENDPOINT: &str = "CANCEL_CONFORMANCE_ENDPOINT";
    pub const CLIENT_ID: &str = "CANCEL_CONFORMANCE_CLIENT_ID";
    pub const OTHER_CLIENT_ID: &str = "CANCEL_CONFORMANCE_OTHER_CLIENT_ID";
    pub const KEY_VERSION: &str = "CANCEL_CONFORMANCE_KEY_VERSION";
    /// The merchant private key itself (base64 PKCS#8, or PEM).
    pub const MERCHANT_PRIVATE_KEY: &str = "CANCEL_CONFORMANCE_MERCHANT_PRIVATE_KEY";
    /// The provider public key itself (base64 SPKI, or PEM).
    pub const PROVIDER_PUBLIC_KEY: &str = "CANCEL_CONFORMANCE_PROVIDER_PUBLIC_KEY";
    /// The control plane's token itself, for `serve` and for `run`.
    pub const CONTROL_TOKEN: &str = "CANCEL_CONFORMANCE_CONTROL_TOKEN";
}

/// Defaults of the settings that have one.
pub mod defaults {
    pub const KEY_VERSION: &str = crate::signing::test_keys::KEY_VERSION;
    pub const TIMEOUT_MS: u64 = 10_000;
    pub const CLIENT_TIMEOUT_MS: u64 = 200;
    pub const MAX_ATTEMPTS: u32 = 3;
}

/// Looks up an environment variable; the process's in the program, a map
/// in tests.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process environment, where a variable set to blanks counts as unset
/// (CI systems set a missing secret to the empty string).
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
}

/// A configuration file as read: where it is, and its settings with every
/// relative path already made relative to the file's directory.
#[derive(Debug)]
pub struct Config {
    pub file: PathBuf,
    pub values: ConfigFile,
}

/// Which configuration file applies, if any: `--config`, else
/// `CANCEL_CONFORMANCE_CONFIG`, else `cancel-conformance.yaml` in `look_in`
/// when that is given and the file exists there.
pub fn locate(flag: Option<&Path>, env: Env<'_>, look_in: Option<&Path>) -> Option<PathBuf> {
    if let Some(file) = flag {
        return Some(file.to_path_buf());
    }
    if let Some(file) = env(env::CONFIG) {
        return Some(PathBuf::from(file));
    }
    let here = look_in?.join(FILE_NAME);
    here.is_file().then_some(here)
}

/// Reads a configuration file strictly: an unknown key, a wrong type or a
/// key written into the file is an error at its file:line:column.
pub fn load(file: &Path) -> Result<Config, YamlError> {
    let mut values: ConfigFile = yaml::load(file).map_err(|mut err| {
        // A key pasted into the file gets a pointer to where keys belong
        // rather than a bare "unknown field"; the key is never echoed.
        for (written, setting, var) in [
            (
                "merchant_private_key",
                "merchant_private_key_file",
                env::MERCHANT_PRIVATE_KEY,
            ),
            (
                "provider_public_key",
                "provider_public_key_file",
                env::PROVIDER_PUBLIC_KEY,
            ),
            ("control_token", "control_token_file", env::CONTROL_TOKEN),
        ] {
            if err.message.starts_with(&format!("unknown field `{written}`")) {
                err.message = format!(
                    "a configuration file holds no keys: give `{setting}: PATH` (a file holding the key), or put the key in the environment variable {var}"
                );
            }
        }
        err
    })?;
    let dir = file.parent().unwrap_or(Path::new("")).to_path_buf();
    let relative = |path: &mut Option<PathBuf>| {
        if let Some(path) = path
            && path.is_relative()
        {
            *path = dir.join(&*path);
        }
    };
    let relative_reports = |reports: &mut Option<ReportsSection>| {
        if let Some(reports) = reports {
            relative(&mut reports.junit);
            relative(&mut reports.json);
            relative(&mut reports.html);
        }
    };
    relative(&mut values.merchant_private_key_file);
    relative(&mut values.provider_public_key_file);
    relative(&mut values.ca_cert);
    relative(&mut values.control_token_file);
    relative(&mut values.fixtures);
    relative(&mut values.expectations);
    relative(&mut values.cases);
    relative_reports(&mut values.reports);
    if let Some(client) = &mut values.client {
        relative(&mut client.expectations);
        relative_reports(&mut client.reports);
    }
    Ok(Config {
        file: file.to_path_buf(),
        values,
    })
}

/// Where a key comes from, first match wins: a key-file flag, the key in
/// its environment variable, a key file named in the configuration file,
/// the TEST-ONLY key.
fn key_source(
    flag: Option<&Path>,
    var: &'static str,
    env: Env<'_>,
    file: Option<&Path>,
) -> KeySource {
    if let Some(path) = flag {
        return KeySource::File(path.to_path_buf());
    }
    if let Some(text) = env(var) {
        return KeySource::Env { var, text };
    }
    match file {
        Some(path) => KeySource::File(path.to_path_buf()),
        None => KeySource::TestOnly,
    }
}

/// The control-plane token, first match wins: the file given as a flag, the
/// token in [`env::CONTROL_TOKEN`], the file named in the configuration
/// file (the same order as keys: [`KeySource`], whose `TestOnly` means "no
/// token" here); `None` when there is none. Errors never hold the token.
pub fn control_token(
    flag: Option<&Path>,
    env: Env<'_>,
    file: Option<&Path>,
) -> Result<Option<server::ControlToken>, String> {
    let source = key_source(flag, env::CONTROL_TOKEN, env, file);
    let from = match &source {
        KeySource::TestOnly => return Ok(None),
        KeySource::File(path) => path.display().to_string(),
        KeySource::Env { var, .. } => var.to_string(),
    };
    let text = source
        .text("")
        .map_err(|err| err.replace("key file", "control token file"))?;
    server::ControlToken::new(&text)
        .map(Some)
        .map_err(|reason| format!("{reason} (from {from})"))
}

fn reports(flags: &ReportArgs, file: Option<&ReportsSection>) -> ReportPaths {
    let file = file.cloned().unwrap_or_default();
    ReportPaths {
        junit: flags.junit.clone().or(file.junit),
        json: flags.json.clone().or(file.json),
        html: flags.html.clone().or(file.html),
        summary: flags.summary.clone(),
    }
}

/// What `--other-client-id` (its variable, its key) takes for "the target
/// has no other client".
pub const NO_OTHER_CLIENT: &str = "none";

/// The other client id as given, `None` for [`NO_OTHER_CLIENT`].
fn other_client(id: String) -> Option<String> {
    (id != NO_OTHER_CLIENT).then_some(id)
}

/// Chooses every setting of `run`: flag > environment > file > default.
pub fn run_settings(args: &RunArgs, env: Env<'_>, config: Option<&Config>) -> RunSettings {
    let empty = ConfigFile::default();
    let file = config.map_or(&empty, |config| &config.values);
    let pick = |flag: &Option<String>, var: &str, file: &Option<String>| {
        flag.clone().or_else(|| env(var)).or_else(|| file.clone())
    };
    RunSettings {
        endpoint: pick(&args.target.endpoint, env::ENDPOINT, &file.endpoint),
        client_id: pick(&args.target.client_id, env::CLIENT_ID, &file.client_id)
            .unwrap_or_else(|| server::DEFAULT_CLIENT_ID.to_string()),
        other_client_id: other_client(
            pick(
                &args.target.other_client_id,
                env::OTHER_CLIENT_ID,
                &file.other_client_id,
            )
            .unwrap_or_else(|| server::OTHER_CLIENT_ID.to_string()),
        ),
        merchant_key: key_source(
            args.target.merchant_private_key_file.as_deref(),
            env::MERCHANT_PRIVATE_KEY,
            env,
            file.merchant_private_key_file.as_deref(),
        ),
        provider_key: key_source(
            args.target.provider_public_key_file.as_deref(),
            env::PROVIDER_PUBLIC_KEY,
            env,
            file.provider_public_key_file.as_deref(),
        ),
        key_version: pick(
            &args.target.key_version,
            env::KEY_VERSION,
            &file.key_version,
        )
        .unwrap_or_else(|| defaults::KEY_VERSION.to_string()),
        fixtures: args.fixtures.clone().or_else(|| file.fixtures.clone()),
        expectations: args
            .expectations
            .clone()
            .or_else(|| file.expectations.clone()),
        cases: args.target.cases.clone().or_else(|| file.cases.clone()),
        ca_cert: args.target.ca_cert.clone().or_else(|| file.ca_cert.clone()),
        control_token: control_token(
            args.control_token_file.as_deref(),
            env,
            file.control_token_file.as_deref(),
        ),
        timeout_ms: args
            .target
            .timeout_ms
            .or(file.timeout_ms)
            .unwrap_or(defaults::TIMEOUT_MS),
        rate: args.target.rate.or(file.rate),
        strict: args.strict || file.strict.unwrap_or(false),
        profile: args.target.profile.or(file.profile).unwrap_or_default(),
        time_zone: args.time_zone.or(file.time_zone).unwrap_or_default(),
        reports: reports(&args.reports, file.reports.as_ref()),
    }
}

/// Chooses every setting of `client`: flag > file > default. The adapter
/// has no default.
pub fn client_settings(
    args: &ClientArgs,
    config: Option<&Config>,
) -> Result<ClientSettings, String> {
    let empty = ClientSection::default();
    let section = config
        .and_then(|config| config.values.client.as_ref())
        .unwrap_or(&empty);
    let adapter = args
        .adapter
        .clone()
        .or_else(|| section.adapter.clone())
        .ok_or_else(|| {
            "no adapter: give --adapter \"CMD ARGS\", or `adapter:` under `client:` in cancel-conformance.yaml".to_string()
        })?;
    Ok(ClientSettings {
        adapter,
        tls: args.tls || section.tls.unwrap_or(false),
        client_timeout_ms: args
            .client_timeout_ms
            .or(section.client_timeout_ms)
            .unwrap_or(defaults::CLIENT_TIMEOUT_MS),
        max_attempts: args
            .max_attempts
            .or(section.max_attempts)
            .unwrap_or(defaults::MAX_ATTEMPTS),
        adapter_deadline_ms: match args.adapter_deadline_ms.or(section.adapter_deadline_ms) {
            Some(0) => {
                return Err(
                    "client.adapter_deadline_ms is 0: give the milliseconds one adapter operation may take, at least 1"
                        .to_string(),
                );
            }
            deadline => deadline,
        },
        adapter_env: adapter_env(if args.adapter_env.is_empty() {
            section.adapter_env.as_deref().unwrap_or_default()
        } else {
            &args.adapter_env
        })?,
        expectations: args
            .expectations
            .clone()
            .or_else(|| section.expectations.clone()),
        cases: args
            .cases
            .clone()
            .or_else(|| config.and_then(|config| config.values.cases.clone())),
        strict: args.strict
            || config
                .and_then(|config| config.values.strict)
                .unwrap_or(false),
        reports: reports(&args.reports, section.reports.as_ref()),
    })
}

/// The variables `--adapter-env` names, checked: the runner's own
/// settings and secrets, and the protocol's variables, are never taken
/// from the runner's environment.
fn adapter_env(names: &[String]) -> Result<Vec<String>, String> {
    use crate::adapter_protocol::env::{PREFIX, is_protocol_variable};
    use crate::suite::client_half::process::RUNNER_PREFIX;
    for name in names {
        if name.starts_with(RUNNER_PREFIX) || is_protocol_variable(name) || name.is_empty() {
            return Err(format!(
                "--adapter-env `{}`: the runner's own {RUNNER_PREFIX}* variables and the protocol's {PREFIX}* are never passed on from its environment",
                crate::wire::text::escape_controls(name)
            ));
        }
    }
    Ok(names.to_vec())
}

#[cfg(test)]
mod tests;
