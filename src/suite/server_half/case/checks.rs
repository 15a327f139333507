//! The checks of a server case that its schema cannot express, made when
//! the case is loaded: cited rules exist and hold under the case's
//! profile, codes are known and travel with their status, durations parse,
//! a step that acts on a payment has one, and a fixture name means one
//! payment across the suite. With them, what the loader and the trials
//! need of the format ([`CaseFormat`]).

use std::collections::BTreeMap;
use std::path::Path;

use serde_saphyr::Spanned;

use super::{By, Case, Fixture, LoadedCase, Step, Which, parse_duration};
use crate::spec::catalog::Catalog;
use crate::spec::yaml::YamlError;
use crate::suite::load::{CaseFormat, check_rules_cited, check_since};

/// A case checks only rules that hold under every profile it runs in: a
/// case without `profile:` runs in all of them, so it may cite only rules
/// without `profiles:`.
fn check_profile_of_rules(file: &Path, case: &Case, catalog: &Catalog) -> Result<(), YamlError> {
    for rule in &case.rules {
        let Some(entry) = catalog.rule(&rule.value) else {
            continue;
        };
        let holds = match case.profile {
            Some(profile) => entry.holds_under(profile),
            None => entry.profiles.is_empty(),
        };
        if !holds {
            let only: Vec<&str> = entry.profiles.iter().map(|p| p.as_str()).collect();
            return Err(YamlError::at(
                file,
                rule.referenced,
                format!(
                    "rule `{}` holds only under profile {} but this case runs under {}: set `profile:` to one of those, or cite another rule",
                    rule.value,
                    only.join(", "),
                    case.profile
                        .map_or("every profile (no `profile:`)".to_string(), |p| format!(
                            "profile {p}"
                        )),
                ),
            ));
        }
    }
    Ok(())
}

/// The checks the schema cannot express: cited rules exist, codes are
/// known, durations parse, and steps that act on a payment have one.
pub(super) fn check_case(file: &Path, case: Case, catalog: &Catalog) -> Result<Case, YamlError> {
    let whole_file = |message: String| YamlError {
        file: file.to_path_buf(),
        line: 1,
        column: 1,
        message,
    };
    check_rules_cited(file, &case.rules, catalog)?;
    check_since(file, &case.since)?;
    check_profile_of_rules(file, &case, catalog)?;
    if case.steps.is_empty() {
        return Err(whole_file(
            "`steps:` is empty: a case needs at least one step".into(),
        ));
    }
    // Both payments: the run seeds each with its age, and a case whose
    // age cannot be read must never run as a payment paid just now.
    for fixture in [&case.fixture, &case.other_fixture].into_iter().flatten() {
        if let Some(age) = fixture.value.age.as_deref()
            && parse_duration(age).is_none()
        {
            return Err(YamlError::at(
                file,
                fixture.referenced,
                format!("fixture age `{age}` is not a duration like `10m` or `8d`"),
            ));
        }
    }
    for (index, spanned) in case.steps.iter().enumerate() {
        let number = index + 1;
        let step = &spanned.value;
        let bug = |message: String| YamlError::at(file, spanned.referenced, message);
        let needs = needed_payments(step);
        if let Some(bad) = bad_advance(step) {
            return Err(bug(bad));
        }
        for which in needs {
            let (present, key) = match which {
                Which::Fixture => (case.fixture.is_some(), "fixture"),
                Which::OtherFixture => (case.other_fixture.is_some(), "other_fixture"),
            };
            if !present {
                return Err(bug(format!(
                    "step {number} uses the ids of `{key}` but the case has no `{key}:`; add one or give the ids literally"
                )));
            }
        }
        let expect = match step {
            Step::Cancel(cancel) => Some(&cancel.expect),
            Step::Inquiry(inquiry) => Some(&inquiry.expect),
            _ => None,
        };
        if let Some(codes) = expect.and_then(|e| e.result_code.as_ref()) {
            for code in codes.as_slice() {
                let Some(entry) = catalog.code(code) else {
                    return Err(bug(format!(
                        "step {number}: result code `{code}` is not in spec/result-codes.yaml"
                    )));
                };
                if let Some(status) = expect.and_then(|e| e.result_status)
                    && status != entry.status
                {
                    return Err(bug(format!(
                        "step {number}: `{code}` always travels with status {}, but the step expects {status}",
                        entry.status
                    )));
                }
            }
        }
        if let Step::Fault(fault) = step
            && let Some(code) = &fault.code
            && catalog.code(code).map(|c| c.status) != Some(crate::spec::ResultStatus::U)
        {
            return Err(bug(format!(
                "step {number}: fault code `{code}` is not a U code of spec/result-codes.yaml"
            )));
        }
    }
    Ok(case)
}

/// The seeded payments a step takes ids from or acts on.
fn needed_payments(step: &Step) -> Vec<Which> {
    let from = |by: By,
                payment_id: &Option<String>,
                request_id: &Option<String>,
                id_of: Which,
                request_of: Which| {
        let mut needs = Vec::new();
        if matches!(by, By::PaymentId | By::Both) && payment_id.is_none() {
            needs.push(id_of);
        }
        if matches!(by, By::PaymentRequestId | By::Both) && request_id.is_none() {
            needs.push(request_of);
        }
        needs
    };
    match step {
        Step::Cancel(cancel) if cancel.raw_body.is_some() => Vec::new(),
        Step::Cancel(cancel) => from(
            cancel.by,
            &cancel.payment_id,
            &cancel.payment_request_id,
            cancel.payment_id_of,
            cancel.payment_request_id_of,
        ),
        Step::Inquiry(inquiry) => from(
            inquiry.by,
            &inquiry.payment_id,
            &inquiry.payment_request_id,
            inquiry.of,
            inquiry.of,
        ),
        Step::Event(_) | Step::Fault(_) | Step::Advance(_) => vec![Which::Fixture],
    }
}

fn bad_advance(step: &Step) -> Option<String> {
    match step {
        Step::Advance(advance) if parse_duration(&advance.by).is_none() => Some(format!(
            "`advance.by: {}` is not a duration like `10m` or `8d`",
            advance.by
        )),
        _ => None,
    }
}

/// A fixture name must mean one payment everywhere, since a sandbox user
/// prepares one payment per name.
pub(super) fn check_fixture_names_agree(cases: &mut [LoadedCase]) {
    let mut first: BTreeMap<String, (Fixture, String)> = BTreeMap::new();
    for loaded in cases.iter_mut() {
        let Ok(case) = &loaded.case else { continue };
        let mut conflict = None;
        for spanned in case.fixture.iter().chain(&case.other_fixture) {
            let fixture = &spanned.value;
            match first.get(&fixture.name) {
                None => {
                    first.insert(fixture.name.clone(), (fixture.clone(), loaded.name.clone()));
                }
                Some((seen, seen_in)) if seen != fixture => {
                    conflict = Some(YamlError {
                        file: loaded.file.clone(),
                        line: spanned.referenced.line(),
                        column: spanned.referenced.column(),
                        message: format!(
                            "fixture `{}` is described differently in {seen_in}: one name, one payment — rename one of them",
                            fixture.name
                        ),
                    });
                }
                Some(_) => {}
            }
        }
        if let Some(error) = conflict {
            loaded.case = Err(error);
        }
    }
}

impl CaseFormat for Case {
    const FOLDER: &'static str = "server";

    fn check(
        self,
        file: &std::path::Path,
        catalog: &crate::spec::catalog::Catalog,
    ) -> Result<Self, crate::spec::yaml::YamlError> {
        check_case(file, self, catalog)
    }

    fn check_together(cases: &mut [LoadedCase]) {
        check_fixture_names_agree(cases);
    }

    fn description(&self) -> &String {
        &self.description
    }

    fn rules(&self) -> &[Spanned<String>] {
        &self.rules
    }

    fn since(&self) -> &str {
        &self.since.value
    }

    fn waits_on_purpose(&self) -> bool {
        Case::waits_on_purpose(self)
    }
}
