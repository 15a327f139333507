//! The configuration file, `cancel-conformance.yaml`, and the one place
//! where each setting of `run` and `client` gets its value: a flag, else an
//! environment variable, else the file, else the default.
//!
//! The file holds paths to key files, never keys: a key either sits in a
//! file the file points at, or arrives in an environment variable from a
//! CI secret store. Relative paths in the file are relative to the file.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::de;
use serde::{Deserialize, Deserializer};

use crate::server;
use crate::spec::yaml::{self, YamlError};
use crate::suite::report::ReportArgs;
use crate::suite::{ClientArgs, RunArgs};

/// The file looked for in the current directory when no `--config` is given.
pub const FILE_NAME: &str = "cancel-conformance.yaml";

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
    pub const KEY_VERSION: &str = "1";
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

/// The contents of `cancel-conformance.yaml`. Every key is optional; the
/// top-level keys are the settings of `run`, the `client:` section those of
/// `client`.
#[derive(Debug, Default, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    pub endpoint: Option<String>,
    pub client_id: Option<String>,
    pub other_client_id: Option<String>,
    pub merchant_private_key_file: Option<PathBuf>,
    pub provider_public_key_file: Option<PathBuf>,
    /// A number or a string in the file (`key_version: 1`).
    #[serde(default, deserialize_with = "number_or_string")]
    #[schemars(with = "Option<KeyVersion>")]
    pub key_version: Option<String>,
    pub ca_cert: Option<PathBuf>,
    /// A file holding the target's control-plane token.
    pub control_token_file: Option<PathBuf>,
    pub fixtures: Option<PathBuf>,
    pub expectations: Option<PathBuf>,
    pub timeout_ms: Option<u64>,
    /// The cases directory (holding `server/` and `client/`), for both halves.
    pub cases: Option<PathBuf>,
    pub reports: Option<ReportsSection>,
    pub client: Option<ClientSection>,
}

/// `reports:` in the file.
#[derive(Debug, Default, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportsSection {
    pub junit: Option<PathBuf>,
    pub json: Option<PathBuf>,
    pub html: Option<PathBuf>,
}

/// `client:` in the file: the settings of `cancel-conformance client`.
#[derive(Debug, Default, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientSection {
    pub adapter: Option<String>,
    pub tls: Option<bool>,
    pub client_timeout_ms: Option<u64>,
    pub max_attempts: Option<u32>,
    pub adapter_deadline_ms: Option<u64>,
    pub expectations: Option<PathBuf>,
    pub reports: Option<ReportsSection>,
}

/// A key version as the file may spell it, for the schemas only.
#[derive(schemars::JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum KeyVersion {
    Number(u64),
    Text(String),
}

fn number_or_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    struct Visitor;
    impl de::Visitor<'_> for Visitor {
        type Value = Option<String>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a key version, such as 1")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
    }
    d.deserialize_any(Visitor)
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
#[derive(Clone, PartialEq, Eq)]
pub enum KeySource {
    File(PathBuf),
    Env { var: &'static str, text: String },
    TestOnly,
}

impl fmt::Debug for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeySource::File(path) => f.debug_tuple("File").field(path).finish(),
            KeySource::Env { var, text } => f
                .debug_struct("Env")
                .field("var", var)
                .field("text", &crate::signing::mask(text))
                .finish(),
            KeySource::TestOnly => f.write_str("TestOnly"),
        }
    }
}

impl KeySource {
    fn choose(flag: Option<&Path>, var: &'static str, env: Env<'_>, file: Option<&Path>) -> Self {
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

    /// The key's text, never printed; `test_only` is the TEST-ONLY default.
    pub fn text(&self, test_only: &str) -> Result<String, String> {
        match self {
            KeySource::File(path) => std::fs::read_to_string(path)
                .map_err(|err| format!("cannot read the key file {}: {err}", path.display())),
            KeySource::Env { text, .. } => Ok(text.clone()),
            KeySource::TestOnly => Ok(test_only.to_string()),
        }
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
    let source = KeySource::choose(flag, env::CONTROL_TOKEN, env, file);
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

/// Every setting of `run`, chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSettings {
    pub endpoint: Option<String>,
    pub client_id: String,
    /// `none` when there is no other client id.
    pub other_client_id: String,
    pub merchant_key: KeySource,
    pub provider_key: KeySource,
    pub key_version: String,
    pub fixtures: Option<PathBuf>,
    pub expectations: Option<PathBuf>,
    pub cases: Option<PathBuf>,
    pub ca_cert: Option<PathBuf>,
    /// The target's control-plane token, if it has one; an unreadable or
    /// empty token file is an error when the run starts, not before (listing
    /// cases needs no target).
    pub control_token: Result<Option<server::ControlToken>, String>,
    pub timeout_ms: u64,
    pub reports: ReportArgs,
}

/// Every setting of `client`, chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientSettings {
    pub adapter: String,
    pub tls: bool,
    pub client_timeout_ms: u64,
    pub max_attempts: u32,
    /// `None`: derived from the client's timeout and attempts.
    pub adapter_deadline_ms: Option<u64>,
    pub expectations: Option<PathBuf>,
    pub cases: Option<PathBuf>,
    pub reports: ReportArgs,
}

fn reports(flags: &ReportArgs, file: Option<&ReportsSection>) -> ReportArgs {
    let file = file.cloned().unwrap_or_default();
    ReportArgs {
        junit: flags.junit.clone().or(file.junit),
        json: flags.json.clone().or(file.json),
        html: flags.html.clone().or(file.html),
    }
}

/// Chooses every setting of `run`: flag > environment > file > default.
pub fn run_settings(args: &RunArgs, env: Env<'_>, config: Option<&Config>) -> RunSettings {
    let empty = ConfigFile::default();
    let file = config.map_or(&empty, |config| &config.values);
    let pick = |flag: &Option<String>, var: &str, file: &Option<String>| {
        flag.clone().or_else(|| env(var)).or_else(|| file.clone())
    };
    RunSettings {
        endpoint: pick(&args.endpoint, env::ENDPOINT, &file.endpoint),
        client_id: pick(&args.client_id, env::CLIENT_ID, &file.client_id)
            .unwrap_or_else(|| server::DEFAULT_CLIENT_ID.to_string()),
        other_client_id: pick(
            &args.other_client_id,
            env::OTHER_CLIENT_ID,
            &file.other_client_id,
        )
        .unwrap_or_else(|| server::OTHER_CLIENT_ID.to_string()),
        merchant_key: KeySource::choose(
            args.merchant_private_key_file.as_deref(),
            env::MERCHANT_PRIVATE_KEY,
            env,
            file.merchant_private_key_file.as_deref(),
        ),
        provider_key: KeySource::choose(
            args.provider_public_key_file.as_deref(),
            env::PROVIDER_PUBLIC_KEY,
            env,
            file.provider_public_key_file.as_deref(),
        ),
        key_version: pick(&args.key_version, env::KEY_VERSION, &file.key_version)
            .unwrap_or_else(|| defaults::KEY_VERSION.to_string()),
        fixtures: args.fixtures.clone().or_else(|| file.fixtures.clone()),
        expectations: args
            .expectations
            .clone()
            .or_else(|| file.expectations.clone()),
        cases: args.cases.clone().or_else(|| file.cases.clone()),
        ca_cert: args.ca_cert.clone().or_else(|| file.ca_cert.clone()),
        control_token: control_token(
            args.control_token_file.as_deref(),
            env,
            file.control_token_file.as_deref(),
        ),
        timeout_ms: args
            .timeout_ms
            .or(file.timeout_ms)
            .unwrap_or(defaults::TIMEOUT_MS),
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
        expectations: args
            .expectations
            .clone()
            .or_else(|| section.expectations.clone()),
        cases: args
            .cases
            .clone()
            .or_else(|| config.and_then(|config| config.values.cases.clone())),
        reports: reports(&args.reports, section.reports.as_ref()),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct RunCli {
        #[command(flatten)]
        run: RunArgs,
    }

    #[derive(Parser)]
    struct ClientCli {
        #[command(flatten)]
        client: ClientArgs,
    }

    fn run_args(flags: &[&str]) -> RunArgs {
        RunCli::try_parse_from(std::iter::once("run").chain(flags.iter().copied()))
            .expect("flags parse")
            .run
    }

    fn client_args(flags: &[&str]) -> ClientArgs {
        ClientCli::try_parse_from(std::iter::once("client").chain(flags.iter().copied()))
            .expect("flags parse")
            .client
    }

    fn config(text: &str) -> Config {
        let path = tempdir("config").join(FILE_NAME);
        std::fs::write(&path, text).expect("write config");
        load(&path).expect("config loads")
    }

    fn tempdir(tag: &str) -> PathBuf {
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "cc-config-{tag}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    const FILE: &str = "endpoint: https://file.example\nclient_id: FILE_ID\nkey_version: 7\ntimeout_ms: 2500\nfixtures: fixtures.yaml\nmerchant_private_key_file: keys/merchant.b64\nreports:\n  junit: out/report.xml\n";

    #[test]
    fn defaults_when_nothing_is_given() {
        let settings = run_settings(&run_args(&[]), &env_of(&[]), None);
        assert_eq!(settings.endpoint, None);
        assert_eq!(settings.client_id, server::DEFAULT_CLIENT_ID);
        assert_eq!(settings.other_client_id, server::OTHER_CLIENT_ID);
        assert_eq!(settings.key_version, "1");
        assert_eq!(settings.timeout_ms, 10_000);
        assert_eq!(settings.merchant_key, KeySource::TestOnly);
        assert_eq!(settings.provider_key, KeySource::TestOnly);
        assert_eq!(settings.reports, ReportArgs::default());
    }

    #[test]
    fn the_file_beats_the_defaults_and_its_paths_are_relative_to_it() {
        let config = config(FILE);
        let dir = config.file.parent().expect("dir").to_path_buf();
        let settings = run_settings(&run_args(&[]), &env_of(&[]), Some(&config));
        assert_eq!(settings.endpoint.as_deref(), Some("https://file.example"));
        assert_eq!(settings.client_id, "FILE_ID");
        assert_eq!(settings.key_version, "7");
        assert_eq!(settings.timeout_ms, 2500);
        assert_eq!(settings.fixtures, Some(dir.join("fixtures.yaml")));
        assert_eq!(
            settings.merchant_key,
            KeySource::File(dir.join("keys/merchant.b64"))
        );
        assert_eq!(settings.reports.junit, Some(dir.join("out/report.xml")));
    }

    #[test]
    fn the_environment_beats_the_file() {
        let config = config(FILE);
        let env = env_of(&[
            (env::ENDPOINT, "https://env.example"),
            (env::CLIENT_ID, "ENV_ID"),
            (env::KEY_VERSION, "3"),
            (env::MERCHANT_PRIVATE_KEY, "KEY-TEXT"),
        ]);
        let settings = run_settings(&run_args(&[]), &env, Some(&config));
        assert_eq!(settings.endpoint.as_deref(), Some("https://env.example"));
        assert_eq!(settings.client_id, "ENV_ID");
        assert_eq!(settings.key_version, "3");
        assert_eq!(
            settings.merchant_key,
            KeySource::Env {
                var: env::MERCHANT_PRIVATE_KEY,
                text: "KEY-TEXT".into()
            }
        );
        // Settings without a variable still come from the file.
        assert_eq!(settings.timeout_ms, 2500);
        // The key never shows in a debug print of the settings.
        assert!(!format!("{settings:?}").contains("KEY-TEXT"));
    }

    #[test]
    fn flags_beat_everything() {
        let config = config(FILE);
        let env = env_of(&[
            (env::ENDPOINT, "https://env.example"),
            (env::CLIENT_ID, "ENV_ID"),
            (env::MERCHANT_PRIVATE_KEY, "KEY-TEXT"),
        ]);
        let args = run_args(&[
            "--endpoint",
            "http://flag.example",
            "--client-id",
            "FLAG_ID",
            "--timeout-ms",
            "99",
            "--merchant-private-key-file",
            "flag.b64",
            "--junit",
            "flag.xml",
        ]);
        let settings = run_settings(&args, &env, Some(&config));
        assert_eq!(settings.endpoint.as_deref(), Some("http://flag.example"));
        assert_eq!(settings.client_id, "FLAG_ID");
        assert_eq!(settings.timeout_ms, 99);
        assert_eq!(settings.merchant_key, KeySource::File("flag.b64".into()));
        assert_eq!(settings.reports.junit, Some(PathBuf::from("flag.xml")));
    }

    #[test]
    fn the_client_half_reads_its_own_section() {
        let config = config(
            "cases: my-cases\nexpectations: server-only.yaml\nclient:\n  adapter: python adapter.py\n  tls: true\n  max_attempts: 4\n  adapter_deadline_ms: 5000\n  expectations: sdk-expectations.yaml\n  reports:\n    html: conformance.html\n",
        );
        let dir = config.file.parent().expect("dir").to_path_buf();
        let settings = client_settings(&client_args(&[]), Some(&config)).expect("adapter given");
        assert_eq!(settings.adapter, "python adapter.py");
        assert!(settings.tls);
        assert_eq!(settings.max_attempts, 4);
        assert_eq!(settings.client_timeout_ms, 200);
        assert_eq!(settings.adapter_deadline_ms, Some(5000));
        assert_eq!(
            settings.expectations,
            Some(dir.join("sdk-expectations.yaml"))
        );
        assert_eq!(settings.cases, Some(dir.join("my-cases")));
        assert_eq!(settings.reports.html, Some(dir.join("conformance.html")));
        let flagged = client_settings(
            &client_args(&[
                "--adapter",
                "./other",
                "--max-attempts",
                "9",
                "--adapter-deadline-ms",
                "700",
            ]),
            Some(&config),
        )
        .expect("adapter given");
        assert_eq!(
            (
                flagged.adapter.as_str(),
                flagged.max_attempts,
                flagged.adapter_deadline_ms
            ),
            ("./other", 9, Some(700))
        );
        let err = client_settings(&client_args(&[]), None).expect_err("no adapter");
        assert!(err.contains("--adapter"), "{err}");
        let zero = self::config("client:\n  adapter: ./a\n  adapter_deadline_ms: 0\n");
        let err = client_settings(&client_args(&[]), Some(&zero)).expect_err("a zero deadline");
        assert!(err.contains("adapter_deadline_ms is 0"), "{err}");
    }

    #[test]
    fn unknown_keys_and_keys_in_the_file_are_located_errors() {
        let dir = tempdir("errors");
        let path = dir.join(FILE_NAME);
        std::fs::write(&path, "endpoint: http://x\nclient_idd: X\n").expect("write");
        let err = load(&path).expect_err("unknown key");
        assert_eq!((err.line, err.column), (2, 1), "{err}");
        assert!(err.to_string().contains("client_idd"), "{err}");

        std::fs::write(&path, "client_id: X\nmerchant_private_key: MIIEv...\n").expect("write");
        let err = load(&path).expect_err("a key in the file");
        assert_eq!(err.line, 2, "{err}");
        assert!(
            err.message.contains("merchant_private_key_file")
                && err.message.contains(env::MERCHANT_PRIVATE_KEY),
            "{err}"
        );
        assert!(!err.to_string().contains("MIIEv"), "{err}");
    }

    #[test]
    fn the_config_file_is_found_by_flag_then_env_then_here() {
        let dir = tempdir("locate");
        let none = env_of(&[]);
        assert_eq!(locate(None, &none, Some(&dir)), None);
        std::fs::write(dir.join(FILE_NAME), "{}\n").expect("write");
        assert_eq!(locate(None, &none, Some(&dir)), Some(dir.join(FILE_NAME)));
        assert_eq!(locate(None, &none, None), None, "only the CLI looks here");
        let env = env_of(&[(env::CONFIG, "from-env.yaml")]);
        assert_eq!(
            locate(None, &env, Some(&dir)),
            Some(PathBuf::from("from-env.yaml"))
        );
        assert_eq!(
            locate(Some(Path::new("flag.yaml")), &env, Some(&dir)),
            Some(PathBuf::from("flag.yaml"))
        );
    }

    #[test]
    fn the_control_token_comes_from_flag_then_env_then_file() {
        let dir = tempdir("token");
        let (flag, file) = (dir.join("flag.token"), dir.join("file.token"));
        std::fs::write(&flag, "from-flag\n").expect("write");
        std::fs::write(&file, "from-file").expect("write");
        let env = env_of(&[(env::CONTROL_TOKEN, "from-env")]);
        let none = env_of(&[]);
        let admits = |token: Result<Option<server::ControlToken>, String>, text: &str| {
            token
                .expect("a readable token")
                .expect("a token")
                .admits(format!("Bearer {text}").as_bytes())
        };
        assert!(admits(
            control_token(Some(&flag), &env, Some(&file)),
            "from-flag"
        ));
        assert!(admits(control_token(None, &env, Some(&file)), "from-env"));
        assert!(admits(control_token(None, &none, Some(&file)), "from-file"));
        assert_eq!(control_token(None, &none, None), Ok(None));

        let missing = dir.join("missing.token");
        let err = control_token(Some(&missing), &none, None).expect_err("unreadable");
        assert!(
            err.contains("control token file") && err.contains("missing.token"),
            "{err}"
        );
        std::fs::write(&flag, "\n").expect("write");
        let err = control_token(Some(&flag), &none, None).expect_err("empty");
        assert!(err.contains("empty"), "{err}");

        let config = config("control_token_file: secrets/ctl.token\n");
        let settings = run_settings(&run_args(&[]), &none, Some(&config));
        let err = settings.control_token.expect_err("the file does not exist");
        let dir = config.file.parent().expect("dir").join("secrets");
        assert!(
            err.contains(&dir.display().to_string()),
            "relative to the file: {err}"
        );
    }
}
