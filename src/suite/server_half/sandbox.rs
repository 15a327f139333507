//! Preparing a target without a control plane (a vendor sandbox): which
//! payments the server cases need, read from the cases themselves.
//! `cancel-conformance fixtures --template` prints a fixtures file skeleton
//! (every fixture name with its state, method, age and owner, the cases
//! using it, and how many fresh payments one full run uses up); `run
//! --fixtures` warns when one fixture name is used up by more than one
//! case, since a fixtures file maps a name to one payment and only the
//! first of those cases finds it as described.
//!
//! A case uses up its payment when one of its cancels of that payment is
//! expected to succeed, or may have been carried out (a U answer, or no
//! answer in time): afterwards the payment is cancelled, whatever state the
//! fixture describes. A payment that is cancelled already is not used up.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::domain::PaymentState;
use crate::spec::api::ResultStatus;
use crate::suite::case::{By, Case, Fixture, Owner, Step, Transport, Which};
use crate::suite::load::LoadedCase;

/// One fixture name, and what the cases do with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixtureUse {
    /// The fixture as the first case using it describes it (the loader
    /// checks that every case describing a name describes it alike).
    pub fixture: Fixture,
    /// Every case using the name.
    pub cases: Vec<String>,
    /// The cases that use the payment up.
    pub consumers: Vec<String>,
    /// The cases a target without a control plane can run (the others
    /// need events, faults or the clock, and are ignored there).
    pub runnable: Vec<String>,
}

/// The fixture names of `cases` (those that loaded), by name.
pub fn plan(cases: &[LoadedCase]) -> BTreeMap<String, FixtureUse> {
    let mut plan: BTreeMap<String, FixtureUse> = BTreeMap::new();
    for loaded in cases {
        let Ok(case) = &loaded.case else { continue };
        let runnable = !case.needs_control_plane();
        for (which, fixture) in [
            (Which::Fixture, &case.fixture),
            (Which::OtherFixture, &case.other_fixture),
        ] {
            let Some(fixture) = fixture else { continue };
            let entry = plan
                .entry(fixture.value.name.clone())
                .or_insert_with(|| FixtureUse {
                    fixture: fixture.value.clone(),
                    cases: Vec::new(),
                    consumers: Vec::new(),
                    runnable: Vec::new(),
                });
            entry.cases.push(loaded.name.clone());
            if runnable {
                entry.runnable.push(loaded.name.clone());
                if uses_up(case, which, &fixture.value) {
                    entry.consumers.push(loaded.name.clone());
                }
            }
        }
    }
    plan
}

/// Whether `case` leaves the payment of `which` cancelled.
fn uses_up(case: &Case, which: Which, fixture: &Fixture) -> bool {
    if fixture.state == PaymentState::Cancelled {
        return false;
    }
    case.steps.iter().any(|step| {
        let Step::Cancel(cancel) = &step.value else {
            return false;
        };
        // The payment the server looks up: by paymentId when the request
        // names it, else by paymentRequestId; an id written into the case
        // names no fixture.
        let aimed_at = match cancel.by {
            By::PaymentId | By::Both => {
                cancel.payment_id.is_none() && cancel.payment_id_of == which
            }
            By::PaymentRequestId => {
                cancel.payment_request_id.is_none() && cancel.payment_request_id_of == which
            }
            By::Neither => false,
        };
        let may_be_carried_out = cancel.expect.transport == Transport::NoAnswer
            || matches!(
                cancel.expect.result_status,
                Some(ResultStatus::S | ResultStatus::U)
            );
        aimed_at && may_be_carried_out
    })
}

/// The warnings of `run --fixtures`: one per fixture name used up by more
/// than one case a target without a control plane runs.
pub fn warnings(plan: &BTreeMap<String, FixtureUse>) -> Vec<String> {
    plan.iter()
        .filter(|(_, used)| used.consumers.len() > 1)
        .map(|(name, used)| {
            format!(
                "fixture `{name}` is used up (left cancelled) by {} cases: {}. The fixtures file maps it to one payment, so only the first of them to run finds it {}; the others fail for that reason, not the target's. Run them one at a time (a FILTER) with a fresh payment each, or give each its own fixture name.",
                used.consumers.len(),
                used.consumers.join(", "),
                used.fixture.state.as_str()
            )
        })
        .collect()
}

/// The fixtures file skeleton.
pub fn template(plan: &BTreeMap<String, FixtureUse>, selected: usize) -> String {
    let used_up: usize = plan.values().map(|used| used.consumers.len()).sum();
    let runnable: usize = plan
        .values()
        .filter(|used| !used.runnable.is_empty())
        .count();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Fixtures file for a target without a control plane (a vendor sandbox),\n\
         # written by `cancel-conformance fixtures --template` from {selected} server cases.\n\
         #\n\
         # Prepare one payment per name below, in the state, method, age and owner\n\
         # its comment gives, and put its ids in place of the placeholders; then\n\
         # `cancel-conformance run --endpoint URL --fixtures THIS_FILE`. A case whose\n\
         # fixture is missing here is ignored with the reason.\n\
         #\n\
         # {} fixture names; {runnable} are used by cases a target without a control plane\n\
         # runs (the others only by cases needing events, faults or the clock).\n\
         # A full run uses up {used_up} fresh payments: each case listed as `uses up`\n\
         # leaves its payment cancelled, so that name needs a new payment before\n\
         # every run, one per case that uses it up.",
        plan.len()
    );
    out.push_str("fixtures:\n");
    for (name, used) in plan {
        let fixture = &used.fixture;
        let _ = writeln!(
            out,
            "  # state: {} | method: {} | age: {} | owner: {}",
            fixture.state.as_str(),
            fixture.method.as_str(),
            fixture.age.as_deref().unwrap_or("just now"),
            match fixture.owner {
                Owner::Own => "self (the client id you run as)",
                Owner::Other => "other (--other-client-id, same merchant)",
            }
        );
        if used.runnable.is_empty() {
            out.push_str("  # not needed without a control plane: every case using it needs events, faults or the clock\n");
        }
        for case in &used.cases {
            let mark = if used.consumers.contains(case) {
                "uses up"
            } else if used.runnable.contains(case) {
                "reads"
            } else {
                "needs the control plane"
            };
            let _ = writeln!(out, "  #   {mark}: {case}");
        }
        let _ = writeln!(
            out,
            "  {name}:\n    payment_id: \"<paymentId of a payment that is {}, {}>\"\n    payment_request_id: \"<its paymentRequestId>\"",
            fixture.state.as_str(),
            fixture.method.as_str()
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::spec::catalog::Catalog;
    use crate::suite::load::load_cases;

    fn server_cases() -> Vec<LoadedCase> {
        let catalog = Catalog::embedded().expect("catalog");
        load_cases(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("cases"),
            "server",
            &catalog,
        )
        .expect("cases load")
    }

    #[test]
    fn the_template_names_every_fixture_the_server_cases_use() {
        let cases = server_cases();
        let plan = plan(&cases);
        let text = template(&plan, cases.len());
        let parsed: serde_json::Value =
            crate::spec::yaml::parse(Path::new("template.yaml"), &text).expect("YAML");
        let names: Vec<&str> = parsed["fixtures"]
            .as_object()
            .expect("fixtures")
            .keys()
            .map(String::as_str)
            .collect();
        let mut used: Vec<String> = cases
            .iter()
            .filter_map(|loaded| loaded.case.as_ref().ok())
            .flat_map(|case| case.fixture.iter().chain(&case.other_fixture))
            .map(|fixture| fixture.value.name.clone())
            .collect();
        used.sort();
        used.dedup();
        assert_eq!(names, used);
        // It reads as a fixtures file once the placeholders are filled.
        let file = std::env::temp_dir().join(format!("cc-template-{}.yaml", std::process::id()));
        std::fs::write(&file, &text).expect("write");
        let loaded = crate::suite::target::load_fixtures(&file).expect("a fixtures file");
        assert_eq!(loaded.len(), used.len());
        let _ = std::fs::remove_file(&file);
    }

    #[test]
    fn a_successful_cancel_uses_its_payment_up_and_a_refused_one_does_not() {
        let cases = server_cases();
        let plan = plan(&cases);
        let consumers_of = |case: &str| -> Vec<&str> {
            plan.iter()
                .filter(|(_, used)| used.consumers.iter().any(|c| c == case))
                .map(|(name, _)| name.as_str())
                .collect()
        };
        let readers_of = |case: &str| -> Vec<&str> {
            plan.iter()
                .filter(|(_, used)| {
                    used.cases.iter().any(|c| c == case)
                        && !used.consumers.iter().any(|c| c == case)
                })
                .map(|(name, _)| name.as_str())
                .collect()
        };
        let success = "server/window/card-paid-6-days-ago-is-success";
        assert_eq!(consumers_of(success).len(), 1, "{success}");
        let exceeded = "server/window/card-paid-8-days-ago-is-cancel-window-exceed";
        assert!(consumers_of(exceeded).is_empty(), "{exceeded}");
        assert_eq!(readers_of(exceeded).len(), 1, "{exceeded}");
        let total: usize = plan.values().map(|used| used.consumers.len()).sum();
        assert!(total > 0);
        assert!(
            template(&plan, cases.len())
                .contains(&format!("A full run uses up {total} fresh payments"))
        );
    }

    #[test]
    fn a_name_used_up_by_two_cases_is_warned_about_naming_both() {
        let fixture = |name: &str| Fixture {
            name: name.to_string(),
            state: PaymentState::Paid,
            method: Default::default(),
            age: None,
            clock: None,
            paid_at: None,
            created_at: None,
            owner: Owner::Own,
        };
        let mut plan = BTreeMap::new();
        plan.insert(
            "paid".to_string(),
            FixtureUse {
                fixture: fixture("paid"),
                cases: vec![
                    "server/a/one".into(),
                    "server/a/two".into(),
                    "server/a/three".into(),
                ],
                consumers: vec!["server/a/one".into(), "server/a/two".into()],
                runnable: vec![
                    "server/a/one".into(),
                    "server/a/two".into(),
                    "server/a/three".into(),
                ],
            },
        );
        plan.insert(
            "once".to_string(),
            FixtureUse {
                fixture: fixture("once"),
                cases: vec!["server/b/one".into()],
                consumers: vec!["server/b/one".into()],
                runnable: vec!["server/b/one".into()],
            },
        );
        let warnings = warnings(&plan);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].starts_with(
                "fixture `paid` is used up (left cancelled) by 2 cases: server/a/one, server/a/two."
            ),
            "{}",
            warnings[0]
        );
    }
}
