//! Acquirer profiles, proven both ways: the reference server playing each
//! profile passes that profile's cases (and the common ones), and fails
//! every case of the other profile whose behaviour differs, as a MISMATCH
//! that names the profile's rule with expected vs actual. Through the
//! command line: `--profile` is listed with its names in both helps, an
//! unknown name is refused, and `profile:` in the configuration file picks
//! the cases and the embedded server's behaviour.

mod cli_support;
use cli_support::isolated_command;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use cancel_conformance::profile::Profile;
use cancel_conformance::server::{self, ServerConfig};
use cancel_conformance::spec::Catalog;
use cancel_conformance::suite::failure::{CaseContext, Failure, render};
use cancel_conformance::suite::load;
use cancel_conformance::suite::server_half::case::{Case, LoadedCase};
use cancel_conformance::suite::server_half::target::Target;
use cancel_conformance::time_zone::TimeZone;
use cancel_conformance::wire::http;
use cancel_conformance_testkit::runs::{run_all, test_target};
use libtest_mimic::Completion;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The cases only the apo profile runs, and the rule of each that the
/// antom server breaks; `None` for one both servers pass: a payment
/// completed after an unpaid cancel stays CANCELLED under both, and an
/// unpaid payment closes as FAIL after 14 minutes under both (the vendor's
/// status pages), so only where a window starts tells them apart.
const APO_ONLY: [(&str, Option<&str>); 6] = [
    (
        "server/state/unpaid-cancel-then-buyer-pays-stays-cancelled",
        None,
    ),
    (
        "server/window/card-paid-by-event-window-starts-at-payment",
        Some("window.counts-from-payment"),
    ),
    (
        "server/window/card-window-counts-from-payment-not-creation",
        Some("window.counts-from-payment"),
    ),
    ("server/window/unpaid-30-days-is-success", None),
    (
        "server/window/unpaid-card-clock-advanced-30-days-is-success",
        None,
    ),
    (
        "server/window/wallet-window-counts-from-payment-not-creation",
        Some("window.counts-from-payment"),
    ),
];

/// The cases only the antom profile runs, and the rule of each that the
/// apo server breaks; `None` for one both servers pass (a late payment
/// after an unpaid cancel stays CANCELLED either way). The apo server has
/// no payment method of the antom kinds: it refuses to seed one, naming
/// the profile.
const ANTOM_ONLY: [(&str, Option<&str>); 8] = [
    ("server/state/unpaid-cancel-blocks-payment", None),
    (
        "server/window/kind-uncancellable-paid-is-window-exceeded",
        Some("window.kind-codes"),
    ),
    (
        "server/window/kind-uncancellable-unpaid-is-window-exceeded",
        Some("window.kind-codes"),
    ),
    (
        "server/window/kind-unpaid-only-paid-is-window-exceeded",
        Some("window.kind-codes"),
    ),
    (
        "server/window/kind-unpaid-only-unpaid-10-minutes-is-success",
        Some("window.kinds"),
    ),
    (
        "server/window/order-placement-card-paid-10-minutes-after-order-is-window-exceeded",
        Some("window.counts-from-order"),
    ),
    (
        "server/window/order-placement-card-paid-by-event-is-window-exceeded",
        Some("window.counts-from-order"),
    ),
    (
        "server/window/order-placement-wallet-paid-next-day-is-window-exceeded",
        Some("window.counts-from-order"),
    ),
];

fn cases(catalog: &Catalog) -> Vec<LoadedCase> {
    let cases = load::cases_in::<Case>(&root().join("cases"), catalog).expect("cases load");
    assert!(cases.len() >= 100, "only {} server cases load", cases.len());
    cases
}

/// Every server case against a reference server playing `served`, judged
/// as a run of `checked`.
async fn outcomes(
    served: Profile,
    checked: Profile,
    cases: &[LoadedCase],
) -> BTreeMap<String, Result<Completion, Failure>> {
    let config = ServerConfig {
        profile: served,
        ..ServerConfig::test_default()
    };
    outcomes_against(config, |target| target.profile = checked, cases).await
}

/// Every one of `cases` against a reference server started with `config`,
/// judged as a run against the test target as `declare` changes it (the
/// profile or the time zone the run declares).
async fn outcomes_against(
    config: ServerConfig,
    declare: impl FnOnce(&mut Target),
    cases: &[LoadedCase],
) -> BTreeMap<String, Result<Completion, Failure>> {
    let server = server::start(
        config,
        std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        None,
    )
    .await
    .expect("reference server starts");
    let mut target = test_target(&server.base_url);
    declare(&mut target);
    let results = run_all(
        cases,
        Arc::new(target),
        http::client(None).expect("http client"),
    )
    .await;
    drop(server);
    results.into_iter().collect()
}

fn profile_of(loaded: &LoadedCase) -> Option<Profile> {
    loaded.case.as_ref().expect("case parses").profile
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_profile_passes_its_own_cases_and_ignores_the_others_with_the_reason() {
    let catalog = Catalog::embedded().expect("catalog");
    let cases = cases(&catalog);
    let listed = |profile: Profile| -> Vec<&str> {
        match profile {
            Profile::Apo => APO_ONLY.iter().map(|(name, _)| *name).collect(),
            Profile::Antom => ANTOM_ONLY.iter().map(|(name, _)| *name).collect(),
        }
    };
    for profile in Profile::ALL {
        // The lists above are the cases' own `profile:` fields.
        let marked: Vec<&str> = cases
            .iter()
            .filter(|loaded| profile_of(loaded) == Some(profile))
            .map(|loaded| loaded.name.as_str())
            .collect();
        assert_eq!(marked, listed(profile), "cases marked `profile: {profile}`");
        let results = outcomes(profile, profile, &cases).await;
        let mut ran_own = 0;
        for loaded in &cases {
            let outcome = &results[&loaded.name];
            match (profile_of(loaded), outcome) {
                (Some(own), Ok(Completion::Completed)) if own == profile => ran_own += 1,
                (None, Ok(Completion::Completed)) => {}
                // A case of another contract time zone: its own test below.
                (None, Ok(Completion::Ignored { reason }))
                    if reason.as_deref().is_some_and(|r| r.contains("time zone")) => {}
                (Some(other), Ok(Completion::Ignored { reason })) if other != profile => {
                    let reason = reason.as_deref().unwrap_or_default();
                    assert!(
                        reason.contains(&format!("profile `{other}`"))
                            && reason.contains(&format!("profile `{profile}`")),
                        "{}: {reason}",
                        loaded.name
                    );
                }
                (_, outcome) => panic!(
                    "{} under profile {profile}: {}",
                    loaded.name,
                    match outcome {
                        Ok(Completion::Completed) => "passed".to_string(),
                        Ok(Completion::Ignored { reason }) => format!("ignored ({reason:?})"),
                        Err(failure) => format!("{failure:?}"),
                    }
                ),
            }
        }
        assert_eq!(ran_own, listed(profile).len(), "{profile}'s own cases ran");
    }
}

/// Runs `checked`'s cases against a server playing `served` and returns
/// the rendered failures by case name.
async fn failures_across(served: Profile, checked: Profile) -> BTreeMap<String, String> {
    let catalog = Catalog::embedded().expect("catalog");
    let cases = cases(&catalog);
    let results = outcomes(served, checked, &cases).await;
    cases
        .iter()
        .filter_map(|loaded| match &results[&loaded.name] {
            Err(failure) => {
                let case = loaded.case.as_ref().expect("case parses");
                let context = CaseContext {
                    name: loaded.name.clone(),
                    file: loaded.file.clone(),
                    description: case.description.clone(),
                    rules: case.rules.iter().map(|rule| rule.value.clone()).collect(),
                };
                assert_eq!(failure.kind(), "MISMATCH", "{}", loaded.name);
                Some((loaded.name.clone(), render(failure, &context, &catalog)))
            }
            Ok(_) => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_playing_apo_fails_the_antom_cases_that_differ() {
    let failures = failures_across(Profile::Apo, Profile::Antom).await;
    let expected: Vec<&str> = ANTOM_ONLY
        .iter()
        .filter(|(_, rule)| rule.is_some())
        .map(|(name, _)| *name)
        .collect();
    assert_eq!(
        failures.keys().map(String::as_str).collect::<Vec<_>>(),
        expected
    );
    for (name, rule) in ANTOM_ONLY {
        let Some(rule) = rule else { continue };
        let message = &failures[name];
        assert!(message.contains(rule), "{name} names {rule}:\n{message}");
    }
    // The stated reason: the windows still run from payment, and the
    // antom kinds of method do not exist.
    for (name, _) in &ANTOM_ONLY[1..5] {
        let message = &failures[*name];
        assert!(
            message.contains("exists under the antom profile only; this server plays profile apo"),
            "{name}:\n{message}"
        );
    }
    let window = &failures["server/window/order-placement-card-paid-10-minutes-after-order-is-window-exceeded"];
    assert!(
        window.contains("expected CANCEL_WINDOW_EXCEED") && window.contains("actual   SUCCESS"),
        "{window}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_playing_antom_fails_the_apo_cases_that_differ() {
    let failures = failures_across(Profile::Antom, Profile::Apo).await;
    let expected: Vec<&str> = APO_ONLY
        .iter()
        .filter(|(_, rule)| rule.is_some())
        .map(|(name, _)| *name)
        .collect();
    assert_eq!(
        failures.keys().map(String::as_str).collect::<Vec<_>>(),
        expected
    );
    for (name, rule) in APO_ONLY {
        let Some(rule) = rule else { continue };
        let message = &failures[name];
        assert!(message.contains(rule), "{name} names {rule}:\n{message}");
    }
    // The stated reason: the antom server counts the window from the order.
    let card = &failures["server/window/card-window-counts-from-payment-not-creation"];
    assert!(
        card.contains("expected SUCCESS") && card.contains("actual   CANCEL_WINDOW_EXCEED"),
        "{card}"
    );
}

/// The contract time zone, proven both ways: a run declaring UTC-5 against
/// a server counting in UTC-5 passes the UTC-5 cases and ignores the UTC+8
/// ones with the reason; the same run against a server counting in UTC+8
/// fails the case whose cut-off the zone moves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_of_another_time_zone_judges_that_zone_s_cut_off() {
    let catalog = Catalog::embedded().expect("catalog");
    let zone: TimeZone = "-05:00".parse().expect("zone");
    let cases: Vec<LoadedCase> = cases(&catalog)
        .into_iter()
        .filter(|loaded| {
            loaded
                .case
                .as_ref()
                .is_ok_and(|case| case.time_zone.is_some() && case.profile.is_none())
        })
        .collect();
    let in_zone =
        |loaded: &LoadedCase| loaded.case.as_ref().expect("case parses").time_zone == Some(zone);
    assert_eq!(cases.iter().filter(|loaded| in_zone(loaded)).count(), 2);
    for (served, must_fail) in [
        (zone, None),
        (
            TimeZone::DEFAULT,
            Some(
                "server/window/wallet-contract-at-utc-minus-5-10-seconds-after-cut-off-is-cancel-window-exceed",
            ),
        ),
    ] {
        let config = ServerConfig {
            windows: server::Windows {
                wallet_offset: served.0,
                ..server::Windows::default()
            },
            ..ServerConfig::test_default()
        };
        let results = outcomes_against(config, |target| target.time_zone = zone, &cases).await;
        for loaded in &cases {
            let outcome = &results[&loaded.name];
            match outcome {
                Ok(Completion::Ignored { reason }) => {
                    assert!(!in_zone(loaded), "{} ignored", loaded.name);
                    let reason = reason.as_deref().unwrap_or_default();
                    assert!(
                        reason.contains("time zone `+08:00`") && reason.contains("`-05:00`"),
                        "{}: {reason}",
                        loaded.name
                    );
                }
                Ok(Completion::Completed) => {
                    assert!(in_zone(loaded) && must_fail != Some(loaded.name.as_str()));
                }
                Err(failure) => {
                    assert_eq!(must_fail, Some(loaded.name.as_str()), "{failure:?}");
                    assert_eq!(failure.kind(), "MISMATCH");
                    assert!(format!("{failure:?}").contains("CANCEL_WINDOW_EXCEED"));
                }
            }
        }
    }
}

#[test]
fn both_helps_list_the_profiles_and_an_unknown_profile_is_refused() {
    for command in ["serve", "run"] {
        let out = isolated_command(root())
            .args([command, "--help"])
            .output()
            .expect("runs");
        let help = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{command} --help");
        assert!(
            help.contains("--profile <NAME>")
                && help.contains("- apo:")
                && help.contains("- antom:"),
            "{command} --help:\n{help}"
        );
        let out = isolated_command(root())
            .args([command, "--profile", "adyen"])
            .output()
            .expect("runs");
        let error = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{command}: {error}");
        assert!(
            error.contains("invalid value 'adyen' for '--profile <NAME>'")
                && error.contains("[possible values: apo, antom]"),
            "{command}: {error}"
        );
    }
}

#[test]
fn the_configuration_file_picks_the_profile_and_the_embedded_server_plays_it() {
    let dir = std::env::temp_dir().join(format!("cc-profiles-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let config = dir.join("antom.yaml");
    std::fs::write(&config, "profile: antom\n").expect("config");
    let cases = root().join("cases");
    let run = |extra: &[&str]| {
        let out = isolated_command(root())
            .arg("run")
            .arg("--config")
            .arg(&config)
            .arg("--cases")
            .arg(&cases)
            .args(extra)
            .args(["paid-by-event", "--test-threads", "1"])
            .output()
            .expect("runs");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    // The antom case passes only if the embedded server plays antom.
    let (code, out) = run(&[]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("server/window/order-placement-card-paid-by-event-is-window-exceeded ")
            && !out.contains("FAILED"),
        "{out}"
    );
    assert!(
        out.contains("ignored (belongs to profile `apo`; this run checks profile `antom`"),
        "{out}"
    );
    // A flag wins over the file.
    let (code, out) = run(&["--profile", "apo"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("ignored (belongs to profile `antom`; this run checks profile `apo`"),
        "{out}"
    );
    // A name the file cannot hold is a located error.
    std::fs::write(&config, "profile: adyen\n").expect("config");
    let (code, _) = run(&[]);
    assert_eq!(code, Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A `serve` child, killed when the test ends however it ends.
struct Served(std::process::Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn serve_plays_the_profile_it_is_given_and_says_so() {
    use std::io::BufRead;
    for (profile, other) in [("antom", "apo"), ("apo", "antom")] {
        let mut served = Served(
            isolated_command(root())
                .args(["serve", "--addr", "127.0.0.1:0", "--profile", profile])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("serve starts"),
        );
        let stdout = served.0.stdout.take().expect("stdout is piped");
        let (send, receive) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = std::io::BufReader::new(stdout).read_line(&mut line);
            let _ = send.send(line);
        });
        let line = receive
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("serve prints its start-up line in time");
        assert!(line.contains(&format!("; profile {profile};")), "{line}");
        let url = line
            .strip_prefix("cancel API at ")
            .and_then(|rest| {
                rest.split(cancel_conformance::spec::api::CANCEL_PATH)
                    .next()
            })
            .expect("the line starts with the API's URL")
            .to_string();
        let run = |checked: &str| {
            let out = isolated_command(root())
                // Strict, as the project judges itself: where a window
                // starts rests on an assumption under both profiles, which
                // alone only warns.
                .args(["run", "--strict", "--endpoint", &url, "--profile", checked])
                .arg("--cases")
                .arg(root().join("cases"))
                .args(["paid-by-event", "--test-threads", "1"])
                .output()
                .expect("runs");
            (
                out.status.code(),
                String::from_utf8_lossy(&out.stdout).into_owned(),
            )
        };
        // Judged as its own profile it passes; as the other, the case of
        // that profile whose window starts elsewhere fails.
        let (code, out) = run(profile);
        assert_eq!(code, Some(0), "{out}");
        let (code, out) = run(other);
        assert_eq!(code, Some(101), "{out}");
        assert!(
            out.contains("MISMATCH in case server/window/") && out.contains("paid-by-event"),
            "{out}"
        );
    }
}
