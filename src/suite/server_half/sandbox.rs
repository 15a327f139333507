//! Preparing a target without a control plane (a vendor sandbox, or
//! `serve --no-control-plane --write-fixtures`): which payments the server
//! cases need, read from the cases themselves. A fixtures file gives each
//! fixture name a pool of payments: every case that uses a payment up takes
//! one of its own, and the cases that only read a name share one more.
//! `cancel-conformance fixtures --template` prints a skeleton with how many
//! payments each name needs for a full run; `run --fixtures` warns before
//! the run about names whose pool is short.
//!
//! A case uses up its payment when one of its cancels of that payment is
//! expected to succeed, or may have been carried out (a U answer, or no
//! answer in time): afterwards the payment is cancelled, whatever state the
//! fixture describes. A payment that is cancelled already is not used up.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::domain::{PaymentIds, PaymentState};
use crate::profile::Profile;
use crate::spec::api::ResultStatus;
use crate::suite::server_half::case::LoadedCase;
use crate::suite::server_half::case::{By, Case, Fixture, Owner, Step, Transport, Which};

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

/// The fixture names of `cases` (those that loaded), by name; a case is
/// runnable without a control plane when it needs none and belongs to
/// `profile` (or to every profile).
pub fn plan(cases: &[LoadedCase], profile: Profile) -> BTreeMap<String, FixtureUse> {
    let mut plan: BTreeMap<String, FixtureUse> = BTreeMap::new();
    for loaded in cases {
        let Ok(case) = &loaded.case else { continue };
        let runnable = !case.needs_control_plane()
            && crate::profile::reason_to_skip(case.profile, profile).is_none();
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
pub fn uses_up(case: &Case, which: Which, fixture: &Fixture) -> bool {
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

impl FixtureUse {
    /// The payments a full run takes from this name: one per case that
    /// uses it up, and one more that the cases only reading it share.
    pub fn payments_needed(&self) -> usize {
        self.consumers.len() + usize::from(self.is_read())
    }

    /// Whether some runnable case reads the payment without using it up.
    pub fn is_read(&self) -> bool {
        self.runnable.len() > self.consumers.len()
    }
}

/// Per name, the payments a full run takes and whether some case only
/// reads it: what [`crate::suite::server_half::target::FixturePools`] hands out by.
pub fn needs(plan: &BTreeMap<String, FixtureUse>) -> BTreeMap<String, (usize, bool)> {
    plan.iter()
        .map(|(name, used)| (name.clone(), (used.payments_needed(), used.is_read())))
        .collect()
}

/// The warnings of `run --fixtures`: one per fixture name whose pool
/// holds fewer payments than a full run takes.
pub fn shortfalls(
    plan: &BTreeMap<String, FixtureUse>,
    pools: &BTreeMap<String, Vec<PaymentIds>>,
) -> Vec<String> {
    plan.iter()
        .filter_map(|(name, used)| {
            let have = pools.get(name)?.len();
            let need = used.payments_needed();
            (have < need).then(|| {
                format!(
                    "fixture `{name}` has {have} payment{} and a full run needs {need} ({} using one up each{}): {} will be ignored as used up; add {} more to run them all",
                    if have == 1 { "" } else { "s" },
                    plural(used.consumers.len(), "case"),
                    if used.is_read() { ", 1 shared by the cases that only read it" } else { "" },
                    plural(need - have, "case"),
                    need - have
                )
            })
        })
        .collect()
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// The fixtures file skeleton: every name with as many placeholder
/// payments as a full run takes from it.
pub fn template(plan: &BTreeMap<String, FixtureUse>, selected: usize) -> String {
    let used_up: usize = plan.values().map(|used| used.consumers.len()).sum();
    let needed: usize = plan.values().map(FixtureUse::payments_needed).sum();
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
         # Each name below holds a pool: prepare as many payments as it lists, each\n\
         # in the state, method, age and owner its comment gives, and put their ids\n\
         # in place of the placeholders; then check them with\n\
         # `cancel-conformance fixtures check THIS_FILE --endpoint URL` and run\n\
         # `cancel-conformance run --endpoint URL --fixtures THIS_FILE`.\n\
         # Every case that uses a payment up (leaves it cancelled) takes one of its\n\
         # own; the cases that only read a name share one more. A case whose name is\n\
         # missing, used up, or whose payment is not in the state it needs (the\n\
         # runner asks by inquiry first) is ignored with the reason.\n\
         #\n\
         # {} fixture names; {runnable} are used by cases a target without a control plane\n\
         # runs (the others only by cases needing events, faults or the clock).\n\
         # A full run takes {needed} payments and uses up {used_up} of them: those need\n\
         # replacing before the next run.",
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
        let need = used.payments_needed();
        if used.runnable.is_empty() {
            out.push_str("  # not needed without a control plane: every case using it needs events, faults or the clock\n");
        } else {
            let _ = writeln!(
                out,
                "  # payments for a full run: {need} ({} using one up each{})",
                used.consumers.len(),
                if used.is_read() {
                    ", 1 shared by the cases that only read it"
                } else {
                    ""
                }
            );
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
        let _ = writeln!(out, "  {name}:");
        for index in 1..=need.max(1) {
            let _ = writeln!(
                out,
                "    - payment_id: \"<paymentId of payment {index} of {}, {} {}>\"\n      payment_request_id: \"<its paymentRequestId>\"",
                need.max(1),
                fixture.state.as_str(),
                fixture.method.as_str()
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::spec::catalog::Catalog;
    use crate::suite::load;

    fn server_cases() -> Vec<LoadedCase> {
        let catalog = Catalog::embedded().expect("catalog");
        load::cases_in::<Case>(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("cases"),
            &catalog,
        )
        .expect("cases load")
    }

    #[test]
    fn the_template_names_every_fixture_the_server_cases_use() {
        let cases = server_cases();
        let plan = plan(&cases, Profile::default());
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
        let loaded =
            crate::suite::server_half::target::load_fixtures(&file).expect("a fixtures file");
        assert_eq!(loaded.len(), used.len());
        let _ = std::fs::remove_file(&file);
    }

    #[test]
    fn a_successful_cancel_uses_its_payment_up_and_a_refused_one_does_not() {
        let cases = server_cases();
        let plan = plan(&cases, Profile::default());
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
        let needed: usize = plan.values().map(FixtureUse::payments_needed).sum();
        assert!(needed > total);
        assert!(template(&plan, cases.len()).contains(&format!(
            "A full run takes {needed} payments and uses up {total} of them"
        )));
    }

    #[test]
    fn a_pool_shorter_than_a_full_run_is_warned_about_with_the_count_to_add() {
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
        assert_eq!(plan["paid"].payments_needed(), 3);
        assert_eq!(plan["once"].payments_needed(), 1);
        let ids = |n: usize| PaymentIds {
            payment_id: format!("p{n}"),
            payment_request_id: format!("r{n}"),
        };
        let pools = BTreeMap::from([
            ("paid".to_string(), vec![ids(1)]),
            ("once".to_string(), vec![ids(2)]),
        ]);
        let warnings = shortfalls(&plan, &pools);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].starts_with("fixture `paid` has 1 payment and a full run needs 3"),
            "{}",
            warnings[0]
        );
        assert!(warnings[0].contains("add 2 more"), "{}", warnings[0]);
    }
}
