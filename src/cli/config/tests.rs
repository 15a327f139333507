//! Tests of `crate::cli::config`, beside it in a file of their own.

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
    assert_eq!(
        settings.other_client_id.as_deref(),
        Some(server::OTHER_CLIENT_ID)
    );
    assert_eq!(settings.key_version, "1");
    assert_eq!(settings.timeout_ms, 10_000);
    assert_eq!(settings.merchant_key, KeySource::TestOnly);
    assert_eq!(settings.provider_key, KeySource::TestOnly);
    assert_eq!(settings.reports, ReportPaths::default());
}

#[test]
fn none_as_the_other_client_id_means_there_is_none() {
    let settings = run_settings(
        &run_args(&["--other-client-id", "none"]),
        &env_of(&[]),
        None,
    );
    assert_eq!(settings.other_client_id, None);
    let settings = run_settings(
        &run_args(&[]),
        &env_of(&[(env::OTHER_CLIENT_ID, "SECOND_ID")]),
        None,
    );
    assert_eq!(settings.other_client_id.as_deref(), Some("SECOND_ID"));
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
fn the_adapter_gets_only_the_variables_named_never_the_runner_s_own() {
    let config = config("client:\n  adapter: ./a\n  adapter_env: [HTTPS_PROXY, NO_PROXY]\n");
    let settings = client_settings(&client_args(&[]), Some(&config)).expect("settings");
    assert_eq!(settings.adapter_env, ["HTTPS_PROXY", "NO_PROXY"]);
    let flagged = client_settings(
        &client_args(&["--adapter-env", "HTTP_PROXY"]),
        Some(&config),
    )
    .expect("settings");
    assert_eq!(flagged.adapter_env, ["HTTP_PROXY"]);
    for name in ["CANCEL_CONFORMANCE_CONTROL_TOKEN", "CC_BASE_URL"] {
        let err = client_settings(
            &client_args(&["--adapter", "./a", "--adapter-env", name]),
            None,
        )
        .expect_err("refused");
        assert!(err.contains("never passed on"), "{err}");
    }
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
