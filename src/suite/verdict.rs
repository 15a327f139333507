//! Verdict levels: whether a failed case is a failure or only a warning.
//!
//! A wrong answer that breaks only rules the sources do not firmly state
//! (a project assumption, or a SHOULD or MAY) may be the project's guess
//! that is wrong rather than the target: such a case is a WARNING, which
//! passes the run unless it is strict. A case is a warning when it failed
//! as a MISMATCH and every difference rests only on such rules; one firm
//! difference makes it a failure, with the warning-only differences still
//! shown and marked. A TRANSPORT FAILURE or a BUG IN CASE is never a
//! warning.

use std::fmt::Write as _;

use super::failure::{CaseContext, Diff, Failure, RestsOn, render};
use super::outcome::Outcome;
use crate::spec::catalog::{AssumedPart, Basis, Catalog, Level, Rule};
use crate::spec::rule_id::{self, RuleId};

/// Rules about one part of every answer, which a case cites beside the
/// behaviour it is about: a difference from what the case expects rests on
/// such a rule only when it is in that part (the field named here; `None`:
/// never, because the runner checks that part on its own in every answer,
/// with a difference that names the rule).
const ABOUT_ONE_PART: [(RuleId<'static>, Option<&str>); 6] = [
    (rule_id::HTTP_STATUS_200, Some("HTTP status")),
    (
        rule_id::RESULT_NO_CANCEL_TIME_UNLESS_SUCCESS,
        Some("cancelTime"),
    ),
    (rule_id::RESULT_CODE_STATUS_PAIRING, None),
    (rule_id::RESULT_OBJECT_ALWAYS_PRESENT, None),
    (rule_id::SIGN_RESPONSE_SIGNED, None),
    (rule_id::HTTP_ANSWER_CONTENT_TYPE, None),
];

/// Whether a difference at `at` from what the case expects can rest on
/// the case's rule `rule`.
fn concerns(rule: RuleId<'_>, at: &str) -> bool {
    ABOUT_ONE_PART
        .iter()
        .find(|(id, _)| *id == rule)
        .is_none_or(|(_, part)| *part == Some(at))
}

/// One rule a warning-only difference rests on, as the reports show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deviation {
    pub rule: String,
    pub level: Level,
    /// `None` when the catalog does not give it (the catalog tests demand
    /// it of every rule, but a rule added without it still loads).
    pub basis: Option<Basis>,
    /// Why the rule is not firm: the assumption's reason, or its level.
    pub reason: String,
}

impl Deviation {
    /// The basis as the reports show it.
    pub fn basis_shown(&self) -> &'static str {
        self.basis.map_or("(not given)", Basis::as_str)
    }
}

/// The rules a difference rests on, given the rules its case cites.
pub fn rules_of(diff: &Diff, case_rules: &[String]) -> Vec<String> {
    match &diff.rests_on {
        RestsOn::Rules(rules) => rules.clone(),
        RestsOn::Runner => Vec::new(),
        RestsOn::Case => {
            let concerned: Vec<String> = case_rules
                .iter()
                .filter(|rule| concerns(RuleId::from(*rule), &diff.at))
                .cloned()
                .collect();
            if concerned.is_empty() {
                case_rules.to_vec()
            } else {
                concerned
            }
        }
    }
}

/// Why a rule is not firm, if it is not: an assumption, or a SHOULD or a
/// MAY. An unknown rule is firm (the coverage checks reject it anyway).
fn weakness(rule: &Rule) -> Option<String> {
    let assumed =
        rule.assumption || rule.basis.as_ref().map(|basis| basis.value) == Some(Basis::Assumption);
    if assumed {
        let reason = rule
            .reason
            .as_deref()
            .map(|reason| reason.split_whitespace().collect::<Vec<_>>().join(" "))
            .unwrap_or_else(|| "a project assumption".to_string());
        return Some(reason);
    }
    match rule.level {
        Level::Must => None,
        Level::Should => Some("a SHOULD: the sources recommend it, they do not require it".into()),
        Level::May => Some("a MAY: the sources allow it, they do not require it".into()),
    }
}

/// The field of the answer that holds the result code.
const RESULT_CODE: &str = "result.resultCode";

/// Whether the rule is assumed only in the code it names (`assumed:
/// result-code` in spec/rules.yaml): the behaviour itself rests on the seed
/// or the vendor's docs (a captured payment cannot be cancelled; which F
/// code says so is assumed).
fn assumes_only_the_code(rule: &Rule) -> bool {
    rule.assumed == Some(AssumedPart::ResultCode)
}

/// The rule `id` as a warning-only difference at `at` rests on it, or
/// `None` when it is firm there: a MUST from the sources, or a rule
/// assumed only in its code and the difference is not in the code (an S
/// where the sources refuse the cancel is a failure, another F code only a
/// warning).
fn deviation(id: RuleId<'_>, at: &str, catalog: &Catalog) -> Option<Deviation> {
    let rule = catalog.rule(id)?;
    let reason = weakness(rule)?;
    if rule.level == Level::Must && assumes_only_the_code(rule) && at != RESULT_CODE {
        return None;
    }
    let basis = match &rule.basis {
        Some(basis) => Some(basis.value),
        None => rule.assumption.then_some(Basis::Assumption),
    };
    Some(Deviation {
        rule: id.to_string(),
        level: rule.level,
        basis,
        reason,
    })
}

/// The deviations a difference rests on, when every rule it rests on is
/// weak; `None` when one of them is firm (or it rests on none).
pub fn warning_only(
    diff: &Diff,
    case_rules: &[String],
    catalog: &Catalog,
) -> Option<Vec<Deviation>> {
    let rules = rules_of(diff, case_rules);
    if rules.is_empty() {
        return None;
    }
    rules
        .iter()
        .map(|rule| deviation(RuleId::from(rule), &diff.at, catalog))
        .collect()
}

/// What the runner concludes about a failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A firm rule is broken, or the failure is not a wrong answer.
    Failure,
    /// Only weak rules are broken: these, each once, in the order met.
    Warning(Vec<Deviation>),
}

/// Whether `failure` is only a warning.
pub fn classify(failure: &Failure, case_rules: &[String], catalog: &Catalog) -> Verdict {
    let Failure::Mismatch { diffs, .. } = failure else {
        return Verdict::Failure;
    };
    let mut all = Vec::new();
    for diff in diffs {
        match warning_only(diff, case_rules, catalog) {
            Some(deviations) => {
                for deviation in deviations {
                    if !all.contains(&deviation) {
                        all.push(deviation);
                    }
                }
            }
            None => return Verdict::Failure,
        }
    }
    if all.is_empty() {
        Verdict::Failure
    } else {
        Verdict::Warning(all)
    }
}

/// The heading of a warning: which assumptions the target deviates from,
/// on what basis, and why each is only an assumption.
pub fn heading(case: &str, deviations: &[Deviation], catalog: &Catalog) -> String {
    let mut out = format!("WARNING in case {case}\n");
    for deviation in deviations {
        let _ = writeln!(out, "  {}", describe(deviation, catalog));
    }
    out
}

/// One line: "deviates from assumption `id`: <statement>, basis: assumption — <reason>".
pub fn describe(deviation: &Deviation, catalog: &Catalog) -> String {
    let what = if deviation.basis == Some(Basis::Assumption) {
        "assumption".to_string()
    } else {
        format!("{} rule", deviation.level)
    };
    let statement = catalog
        .rule(&deviation.rule)
        .map(|rule| {
            rule.statement
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default();
    let statement = statement.trim_end_matches('.');
    format!(
        "deviates from {what} `{}`: {statement}, basis: {} — {}",
        deviation.rule,
        deviation.basis_shown(),
        deviation.reason
    )
}

/// For a failure with firm and warning-only differences mixed: the lines
/// that mark which differences would only have warned.
pub fn mixed_note(failure: &Failure, case_rules: &[String], catalog: &Catalog) -> Option<String> {
    let Failure::Mismatch { diffs, .. } = failure else {
        return None;
    };
    let mut out = String::new();
    for diff in diffs {
        if let Some(deviations) = warning_only(diff, case_rules, catalog) {
            let rules: Vec<&str> = deviations.iter().map(|d| d.rule.as_str()).collect();
            let _ = writeln!(
                out,
                "    (warning only) {}: rests on {} only",
                crate::wire::text::clip(&diff.at, crate::wire::text::SHOWN_CHARS),
                rules.join(", ")
            );
        }
    }
    (!out.is_empty()).then(|| {
        format!("  differences that alone would only warn (they rest on assumptions or SHOULD/MAY rules):\n{out}")
    })
}

/// A failed case judged: how the reports name its outcome, the heading,
/// the message for a person, and the deviations a warning rests on.
#[derive(Debug, Clone)]
pub struct Judgement {
    pub outcome: Outcome,
    pub kind: &'static str,
    pub message: String,
    /// Empty unless every difference only deviates from weak rules.
    pub deviations: Vec<Deviation>,
}

/// Judges a failed case the expectations do not list: a warning when
/// every difference rests only on assumptions or SHOULD/MAY rules (a
/// failure all the same when the run is strict), else a failure whose
/// warning-only differences are marked.
pub fn judge_failure(
    failure: &Failure,
    context: &CaseContext,
    catalog: &Catalog,
    strict: bool,
) -> Judgement {
    let rendered = render(failure, context, catalog);
    match classify(failure, &context.rules, catalog) {
        Verdict::Warning(deviations) if strict => {
            let mut message = rendered;
            let _ = writeln!(
                message,
                "  only a warning, failed because the run is strict (--strict, or `strict: true`):"
            );
            for deviation in &deviations {
                let _ = writeln!(message, "    {}", describe(deviation, catalog));
            }
            Judgement {
                outcome: Outcome::Fail,
                kind: failure.kind(),
                message,
                deviations,
            }
        }
        Verdict::Warning(deviations) => Judgement {
            outcome: Outcome::Warning,
            kind: WARNING,
            message: format!("{}{rendered}", heading(&context.name, &deviations, catalog)),
            deviations,
        },
        Verdict::Failure => {
            let mut message = rendered;
            if let Some(note) = mixed_note(failure, &context.rules, catalog) {
                message.push_str(&note);
            }
            Judgement {
                outcome: Outcome::Fail,
                kind: failure.kind(),
                message,
                deviations: Vec::new(),
            }
        }
    }
}

/// The heading of a warning in every report.
pub const WARNING: &str = "WARNING";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::http::TransportError;

    const ASSUMED: RuleId<'static> = rule_id::CODES_MEDIA_TYPE_NOT_ACCEPTABLE;
    const SHOULD: RuleId<'static> = rule_id::RETRY_CLIENT_NO_RETRY_ON_F;
    const FIRM: RuleId<'static> = rule_id::RESULT_SUCCESS_FIELDS;
    const STATUS_200: RuleId<'static> = rule_id::HTTP_STATUS_200;
    const NO_CANCEL_TIME: RuleId<'static> = rule_id::RESULT_NO_CANCEL_TIME_UNLESS_SUCCESS;

    fn catalog() -> Catalog {
        Catalog::embedded().expect("the embedded catalog loads")
    }

    fn mismatch(diffs: Vec<Diff>) -> Failure {
        Failure::Mismatch {
            step: 1,
            action: "cancel".into(),
            diffs,
            transcript: None,
        }
    }

    fn rules(ids: &[RuleId<'_>]) -> Vec<String> {
        ids.iter().map(RuleId::to_string).collect()
    }

    fn warned(verdict: &Verdict) -> Vec<&str> {
        match verdict {
            Verdict::Warning(deviations) => deviations.iter().map(|d| d.rule.as_str()).collect(),
            Verdict::Failure => Vec::new(),
        }
    }

    #[test]
    fn the_rules_the_tests_lean_on_are_weak_and_firm_as_named() {
        let catalog = catalog();
        let rule = |id: RuleId<'_>| catalog.rule(id).expect("the rule exists");
        assert!(weakness(rule(ASSUMED)).is_some());
        assert!(weakness(rule(SHOULD)).is_some());
        assert!(weakness(rule(FIRM)).is_none());
        assert!(weakness(rule(STATUS_200)).is_none());
    }

    #[test]
    fn a_difference_resting_only_on_assumptions_is_a_warning_with_the_reason() {
        let catalog = catalog();
        let failure = mismatch(vec![
            Diff::ruled(&[ASSUMED], "result.resultCode", "A", "B"),
            Diff::ruled(&[SHOULD, ASSUMED], "cancel requests sent", "1", "2"),
        ]);
        let verdict = classify(&failure, &[], &catalog);
        assert_eq!(warned(&verdict), [ASSUMED, SHOULD]);
        let Verdict::Warning(deviations) = verdict else {
            unreachable!("checked above");
        };
        let line = describe(&deviations[0], &catalog);
        assert!(
            line.starts_with(&format!("deviates from assumption `{ASSUMED}`: ")),
            "{line}"
        );
        assert!(
            line.contains(", basis: assumption — The code belongs"),
            "{line}"
        );
        let line = describe(&deviations[1], &catalog);
        assert!(
            line.starts_with(&format!("deviates from SHOULD rule `{SHOULD}`")),
            "{line}"
        );
    }

    #[test]
    fn a_rule_assumed_only_in_its_code_is_firm_about_everything_else() {
        let catalog = catalog();
        const CAPTURED: RuleId<'static> = rule_id::CAPTURE_CAPTURED_STATUS_INVALID;
        let rule = catalog.rule(CAPTURED).expect("the rule exists");
        assert!(
            assumes_only_the_code(rule),
            "{CAPTURED} in spec/rules.yaml no longer has `assumed: result-code`"
        );
        let case = rules(&[CAPTURED, STATUS_200]);
        let other_code = mismatch(vec![Diff::new(
            RESULT_CODE,
            "ORDER_STATUS_INVALID",
            "PROCESS_FAIL",
        )]);
        assert_eq!(warned(&classify(&other_code, &case, &catalog)), [CAPTURED]);
        // Cancelling a captured payment breaks what the seed says.
        let cancelled = mismatch(vec![
            Diff::new("result.resultStatus", "F", "S"),
            Diff::new(RESULT_CODE, "ORDER_STATUS_INVALID", "SUCCESS"),
        ]);
        assert_eq!(classify(&cancelled, &case, &catalog), Verdict::Failure);
        // A wholly assumed rule warns about the status too.
        let assumed = rules(&[ASSUMED]);
        let status = mismatch(vec![Diff::new("result.resultStatus", "F", "S")]);
        assert_eq!(warned(&classify(&status, &assumed, &catalog)), [ASSUMED]);
    }

    #[test]
    fn one_firm_difference_makes_a_failure_and_the_weak_ones_are_marked() {
        let catalog = catalog();
        let failure = mismatch(vec![
            Diff::ruled(&[ASSUMED], "result.resultCode", "A", "B"),
            Diff::ruled(&[FIRM], "paymentId", "1", "2"),
        ]);
        assert_eq!(classify(&failure, &[], &catalog), Verdict::Failure);
        let note = mixed_note(&failure, &[], &catalog).expect("a note");
        assert!(
            note.contains(&format!(
                "(warning only) result.resultCode: rests on {ASSUMED} only"
            )),
            "{note}"
        );
        assert!(!note.contains("paymentId"), "{note}");
        // A difference that rests on a firm and a weak rule at once is firm.
        let both = mismatch(vec![Diff::ruled(&[ASSUMED, FIRM], "x", "1", "2")]);
        assert_eq!(classify(&both, &[], &catalog), Verdict::Failure);
    }

    #[test]
    fn an_expectation_rests_on_the_case_s_rules_but_the_status_line_rule_only_on_the_status() {
        let catalog = catalog();
        let case = rules(&[ASSUMED, STATUS_200]);
        let body = mismatch(vec![Diff::new("result.resultCode", "A", "B")]);
        assert_eq!(warned(&classify(&body, &case, &catalog)), [ASSUMED]);
        let status = mismatch(vec![Diff::ruled(
            &[STATUS_200],
            "HTTP status",
            "200",
            "400",
        )]);
        assert_eq!(classify(&status, &case, &catalog), Verdict::Failure);
        // A case citing a firm rule beside the assumption fails.
        let mixed_case = rules(&[ASSUMED, FIRM]);
        assert_eq!(classify(&body, &mixed_case, &catalog), Verdict::Failure);
        // A rule about the cancelTime alone bears on a cancelTime
        // difference, not on the code.
        let cited = rules(&[ASSUMED, NO_CANCEL_TIME]);
        assert_eq!(warned(&classify(&body, &cited, &catalog)), [ASSUMED]);
        let time = mismatch(vec![Diff::new(
            "cancelTime",
            "absent",
            "2026-01-01T00:00:00Z",
        )]);
        assert_eq!(classify(&time, &cited, &catalog), Verdict::Failure);
        // A case citing only such rules: the difference rests on them.
        let only = rules(&[STATUS_200]);
        assert_eq!(classify(&body, &only, &catalog), Verdict::Failure);
    }

    #[test]
    fn transport_failures_bugs_in_cases_and_the_runner_s_own_checks_are_never_warnings() {
        let catalog = catalog();
        let case = rules(&[ASSUMED]);
        let transport = Failure::Transport {
            step: 1,
            action: "cancel".into(),
            error: TransportError::Request {
                detail: "refused".into(),
            },
            request: None,
        };
        assert_eq!(classify(&transport, &case, &catalog), Verdict::Failure);
        let bug = Failure::CaseBug(crate::spec::yaml::YamlError {
            file: "cases/x.yaml".into(),
            line: 1,
            column: 1,
            message: "unknown field".into(),
        });
        assert_eq!(classify(&bug, &case, &catalog), Verdict::Failure);
        let runner = mismatch(vec![Diff::of_runner("POST /control", "200", "500")]);
        assert_eq!(classify(&runner, &case, &catalog), Verdict::Failure);
    }

    #[test]
    fn strict_fails_a_warning_and_says_why() {
        let catalog = catalog();
        let context = CaseContext {
            name: "server/http/a-case".into(),
            file: "cases/server/http/a-case.yaml".into(),
            description: "A case.".into(),
            rules: rules(&[ASSUMED]),
        };
        let failure = mismatch(vec![Diff::new("result.resultCode", "A", "B")]);
        let lenient = judge_failure(&failure, &context, &catalog, false);
        assert_eq!(lenient.outcome, Outcome::Warning);
        assert_eq!(lenient.kind, WARNING);
        assert!(
            lenient
                .message
                .starts_with("WARNING in case server/http/a-case\n"),
            "{}",
            lenient.message
        );
        let strict = judge_failure(&failure, &context, &catalog, true);
        assert_eq!(strict.outcome, Outcome::Fail);
        assert_eq!(strict.kind, "MISMATCH");
        assert!(
            strict
                .message
                .contains("only a warning, failed because the run is strict"),
            "{}",
            strict.message
        );
        assert_eq!(strict.deviations.len(), 1);
    }
}
