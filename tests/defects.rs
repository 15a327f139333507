//! The suite's power to fail: each deliberately broken server must fail
//! the run, for the reason it names (a given case fails, and its failure
//! says the given thing), and the unbroken reference server must pass every
//! case. The defects, and the proxy around the real reference server that
//! plays them, are the test kit's (`testkit/src/broken_server/`), never
//! switches inside the shipped server.

use std::sync::Arc;

use cancel_conformance::profile::Profile;
use cancel_conformance::server::{self, ServerConfig};
use cancel_conformance::spec::Catalog;
use cancel_conformance::suite::load;
use cancel_conformance::suite::server_half::case::Case;
use cancel_conformance::suite::server_half::sandbox;
use cancel_conformance::suite::server_half::target::FixturePools;
use cancel_conformance::suite::verdict;
use cancel_conformance::time_zone::TimeZone;
use cancel_conformance::wire::http;
use cancel_conformance_testkit::broken_server::{BrokenServer, DEFECTS, Defect};
use cancel_conformance_testkit::runs::{run_all, test_target};

/// Appended to a failure that would only be a warning in a run that is not
/// strict (every difference rests on assumptions or SHOULD rules).
const WARNING_ONLY: &str = " [warning only]";

/// Starts the reference server and a proxy with `defect` in front of it,
/// runs every server case through the proxy, and returns each case that
/// did not pass with its failure.
async fn failing_cases(defect: Defect) -> Vec<(String, String)> {
    failing_cases_of(defect, None).await
}

/// [`failing_cases`] for the cases whose names start with one of `only`,
/// if given, run as against a target without a control plane: their
/// fixtures are seeded beforehand and given as a fixtures file would.
async fn failing_cases_of(defect: Defect, only: Option<&[&str]>) -> Vec<(String, String)> {
    let server = server::start(
        ServerConfig::test_default(),
        std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        None,
    )
    .await
    .expect("reference server starts");
    let broken = BrokenServer::start(
        defect,
        &server.base_url,
        http::client(None).expect("http client"),
    )
    .await
    .expect("the broken server listens");
    let catalog = Catalog::embedded().expect("catalog");
    let cases = load::cases_in::<Case>(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("cases"),
        &catalog,
    )
    .expect("cases load");
    // "Nothing fails" must not hold because nothing ran.
    assert!(cases.len() >= 100, "only {} server cases load", cases.len());
    // The proxy forwards to a server of the default profile and time zone:
    // the cases of the others are not its to pass (tests/profiles.rs runs
    // them).
    let cases: Vec<_> = cases
        .into_iter()
        .filter(|loaded| {
            loaded.case.as_ref().map_or(true, |case| {
                case.profile.is_none_or(|p| p == Profile::default())
                    && case.time_zone.is_none_or(|zone| zone == TimeZone::DEFAULT)
            })
        })
        .collect();
    let mut target = test_target(&broken.base_url);
    let cases = match only {
        None => cases,
        Some(names) => {
            let cases: Vec<_> = cases
                .into_iter()
                .filter(|loaded| names.iter().any(|name| loaded.name.starts_with(name)))
                .collect();
            assert_eq!(cases.len(), names.len(), "each named case loads");
            let seeder = test_target(&server.base_url);
            let http = http::client(None).expect("http client");
            // A pool per fixture name, as many payments as these cases take.
            let plan = sandbox::plan(&cases, Profile::default());
            let mut fixtures = std::collections::BTreeMap::new();
            for (name, used) in &plan {
                let mut pool = Vec::new();
                for _ in 0..used.payments_needed() {
                    pool.push(seeder.provide(&http, &used.fixture).await.expect("seeds"));
                }
                fixtures.insert(name.clone(), pool);
            }
            target.fixtures = Some(Arc::new(FixturePools::new(fixtures, sandbox::needs(&plan))));
            cases
        }
    };
    let target = Arc::new(target);
    let results = run_all(&cases, target, http::client(None).expect("http client")).await;
    drop(broken);
    drop(server);
    let rules_of = |name: &str| -> Vec<String> {
        cases
            .iter()
            .find(|loaded| loaded.name == name)
            .and_then(|loaded| loaded.case.as_ref().ok())
            .map(|case| case.rules.iter().map(|rule| rule.value.clone()).collect())
            .unwrap_or_default()
    };
    results
        .into_iter()
        .filter_map(|(name, outcome)| match outcome {
            Ok(libtest_mimic::Completion::Completed) => None,
            Ok(libtest_mimic::Completion::Ignored { reason }) => {
                Some((name, format!("ignored ({})", reason.unwrap_or_default())))
            }
            Err(failure) => {
                // Without --strict, a failure resting only on assumptions
                // is a warning: said at the end, for the matrix's tally.
                let level = match verdict::classify(&failure, &rules_of(&name), &catalog) {
                    verdict::Verdict::Warning(_) => WARNING_ONLY,
                    verdict::Verdict::Failure => "",
                };
                Some((name, format!("{} {failure:?}{level}", failure.kind())))
            }
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_faithful_proxy_passes_every_case() {
    let failing = failing_cases(Defect::None).await;
    assert!(
        failing.is_empty(),
        "a proxy that only forwards fails:\n{}",
        failing
            .iter()
            .map(|(name, why)| format!("{name}: {why}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// Without a control plane the runner still judges what an F or S left
/// behind, through an inquiry after the cancel.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_control_plane_the_invariants_run_through_inquiry() {
    let cases: &[&str] = &[
        "server/auth/bad-signature-is-invalid-signature",
        "server/cancel/paid-wallet-by-payment-id-is-success",
    ];
    let faithful = failing_cases_of(Defect::None, Some(cases)).await;
    assert!(faithful.is_empty(), "{faithful:?}");
    let failing = failing_cases_of(Defect::BadSignatureButCancels, Some(cases)).await;
    assert!(
        failing.iter().any(|(name, why)| name == cases[0]
            && why.starts_with("MISMATCH ")
            && why.contains("paymentStatus (inquiry after the cancel)")
            && why.contains("CANCELLED")),
        "{failing:?}"
    );
    // An S answer that did not cancel shows the same way.
    let failing = failing_cases_of(
        Defect::CancelsRefunded,
        Some(&["server/refund/fully-refunded-is-process-fail"]),
    )
    .await;
    assert!(
        failing
            .iter()
            .any(|(_, why)| why.contains("paymentStatus (inquiry after the cancel)")),
        "{failing:?}"
    );
}

/// Without a control plane, a cancelTime hours off fails (the vendor's
/// cancelTime is when the cancel happened, judged by the runner's clock),
/// while one a few minutes off stays a warning of the assumed tolerance.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_control_plane_a_cancel_time_hours_off_fails() {
    let cases: &[&str] = &["server/cancel/paid-card-is-success"];
    let failing = failing_cases_of(Defect::CancelTimeHoursLate, Some(cases)).await;
    assert!(
        failing.iter().any(|(name, why)| name == cases[0]
            && why.starts_with("MISMATCH ")
            && why.contains("result.success-fields")
            && !why.ends_with(WARNING_ONLY)),
        "{failing:?}"
    );
    let failing = failing_cases_of(Defect::CancelTimeMinutesLate, Some(cases)).await;
    assert!(
        failing
            .iter()
            .any(|(name, why)| name == cases[0] && why.ends_with(WARNING_ONLY)),
        "{failing:?}"
    );
}

/// A target without a control plane that throttles is waited out; one
/// that keeps throttling ignores the case with that reason. Neither is a
/// mismatch blamed on the target.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_control_plane_throttling_is_waited_out_or_ignored_never_failed() {
    let cases: &[&str] = &["server/cancel/paid-card-is-success"];
    let failing = failing_cases_of(Defect::ThrottlesEveryOtherCall, Some(cases)).await;
    assert!(failing.is_empty(), "waited out: {failing:?}");
    let failing = failing_cases_of(Defect::AlwaysThrottles, Some(cases)).await;
    assert!(
        matches!(failing.as_slice(), [(name, why)] if name == cases[0]
            && why.starts_with("ignored (throttled: the target kept answering REQUEST_TRAFFIC_EXCEED_LIMIT")),
        "{failing:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_defect_fails_for_the_reason_it_names() {
    let mut uncaught = Vec::new();
    let mut report = String::new();
    // A few proxies at a time: each run mostly waits on held answers.
    let mut runs = tokio::task::JoinSet::new();
    let mut results = Vec::new();
    for (index, &(defect, _, _)) in DEFECTS.iter().enumerate() {
        if runs.len() >= 4
            && let Some(done) = runs.join_next().await
        {
            results.push(done.expect("a defect run completes"));
        }
        runs.spawn(async move { (index, failing_cases(defect).await) });
    }
    while let Some(done) = runs.join_next().await {
        results.push(done.expect("a defect run completes"));
    }
    results.sort_by_key(|(index, _)| *index);
    let mut warnings_only = Vec::new();
    for ((defect, case, reason), (_, failing)) in DEFECTS.iter().copied().zip(results) {
        report.push_str(&format!("{defect:?}: {} failing\n", failing.len()));
        // A defect every failing case of which only warns passes a run
        // that is not strict.
        if !failing.is_empty() && failing.iter().all(|(_, why)| why.ends_with(WARNING_ONLY)) {
            warnings_only.push(format!("{defect:?}"));
        }
        // Caught means the named case judged the target wrong (a mismatch,
        // never a case bug or a connection problem), and said why.
        let caught = failing.iter().any(|(name, why)| {
            name.starts_with(case) && why.starts_with("MISMATCH ") && why.contains(reason)
        });
        if !caught {
            let shown: Vec<String> = failing
                .iter()
                .map(|(name, why)| {
                    format!("    {name}: {}", why.chars().take(600).collect::<String>())
                })
                .collect();
            uncaught.push(format!(
                "{defect:?}: expected {case} to fail with `{reason}`; failing:\n{}",
                shown.join("\n")
            ));
        }
    }
    report.push_str(&format!(
        "caught only as warnings (they pass without --strict): {} of {}: {}\n",
        warnings_only.len(),
        DEFECTS.len(),
        warnings_only.join(", ")
    ));
    eprintln!("{report}");
    assert!(DEFECTS.len() >= 40, "the matrix holds at least 40 defects");
    assert!(
        uncaught.is_empty(),
        "defects not caught for their reason:\n{}\n{report}",
        uncaught.join("\n")
    );
}
