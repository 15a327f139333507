//! One cause shown once. A misconfiguration (a wrong provider key, answer
//! headers in Title-Case, a path prefix left out) fails most cases the same
//! way; after the run the runner says so once, with the likely fix, and
//! lists the cases, instead of leaving a person to read the same
//! transcript a hundred times. Each case's own failure (and its full
//! transcript) stays in the output above and in the reports.
//!
//! A failure's *headline* is its first difference on one line (rule,
//! expected, actual): the JUnit failure message and the summary's line.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{CaseRecord, Outcome};
use crate::suite::failure::{Diff, Found, RestsOn};

/// How many cases must share a cause before it is summarised.
pub const AT_LEAST: usize = 3;

/// The longest expected or actual value a headline shows.
const VALUE_CHARS: usize = 160;

fn cut(text: &str) -> String {
    let mut out: String = text.chars().take(VALUE_CHARS).collect();
    if text.chars().count() > VALUE_CHARS {
        out.push('…');
    }
    out.replace('\n', " ")
}

/// One difference on one line, with the rules it rests on.
fn diff_line(diff: &Diff, case_rules: &[String]) -> String {
    let rules = match &diff.rests_on {
        _ if diff.at.contains("[rule") => String::new(),
        RestsOn::Rules(rules) => format!(" [rule {}]", rules.join(", ")),
        RestsOn::Case if case_rules.is_empty() => String::new(),
        RestsOn::Case => format!(" [rule {}]", case_rules.join(", ")),
        RestsOn::Runner => " [the runner's control-plane contract]".to_string(),
    };
    format!(
        "{}{rules}: expected {}, actual {}",
        diff.at,
        cut(&diff.expected),
        cut(&diff.actual)
    )
}

/// The failure's first difference on one line.
pub fn headline(found: &Found, case_rules: &[String]) -> String {
    match found {
        Found::Differences {
            step,
            action,
            diffs,
        } => match diffs.first() {
            Some(diff) => format!("step {step} ({action}): {}", diff_line(diff, case_rules)),
            None => format!("step {step} ({action}): the answer differs"),
        },
        Found::Transport {
            step,
            action,
            error,
        } => format!("step {step} ({action}): {}", cut(error)),
        Found::CaseBug(error) => format!(
            "{}:{}:{}: {}",
            error.file.display(),
            error.line,
            error.column,
            cut(&error.message)
        ),
        Found::NotApplicable { reason } => reason.clone(),
        Found::Flaky { first } => format!("flaky: {}", headline(first, case_rules)),
    }
}

/// What the failure has in common with others failing for the same
/// reason: one key per difference (where, and what was expected; the
/// actual value, which holds ids and times, is left out), or the kind of
/// transport error. A bug in a case has none: it is the case's own.
/// A difference with a known likely cause is keyed by that cause, so that
/// one misconfiguration is one group whatever path or case shows it.
pub fn cause_keys(found: &Found) -> Vec<(String, String)> {
    let keyed = |key: String, line: String| match hint(&format!("{key} {line}")) {
        Some(hint) => (hint.to_string(), line),
        None => (key, line),
    };
    match found {
        Found::Differences { diffs, .. } => diffs
            .iter()
            .map(|diff| {
                keyed(
                    format!("{}: expected {}", diff.at, cut(&diff.expected)),
                    diff_line(diff, &[]),
                )
            })
            .collect(),
        Found::Transport { error, .. } => {
            let kind = error.split(':').next().unwrap_or_default().to_string();
            vec![keyed(format!("transport: {kind}"), cut(error))]
        }
        // A bug in a case is the case's own; a not-applicable case and a
        // flaky one did not fail the target.
        Found::CaseBug(_) | Found::NotApplicable { .. } | Found::Flaky { .. } => Vec::new(),
    }
}

/// The likely misconfiguration behind a cause, from its text.
fn hint(line: &str) -> Option<&'static str> {
    let has = |needle: &str| line.contains(needle);
    Some(if has("header name") {
        "answer header names' case: the target sends its signing headers in another case (e.g. Title-Case); send them lowercase, as the rule names them"
    } else if has("header signature") && has("does not verify") {
        "answer signature does not verify — check the provider public key (--provider-public-key-file) is the public half of the key the target signs with"
    } else if has("INVALID_SIGNATURE") {
        "the target refuses the runner's signatures: check the merchant key pair (--merchant-private-key-file, and the public half registered with the target)"
    } else if has("KEY_NOT_FOUND") {
        "the target does not know the key version: check --key-version"
    } else if has("CLIENT_INVALID") {
        "the target does not know the client id: check --client-id"
    } else if has("NO_INTERFACE_DEF") || has("HTTP 404") {
        "the target has no API at the path: check the path prefix in --endpoint (and a SANDBOX_ client id for the sandbox paths)"
    } else if has("transport: cannot connect") || has("transport: nothing") {
        "the target cannot be reached: check --endpoint"
    } else {
        return None;
    })
}

/// The summary printed after the run: every cause shared by at least
/// [`AT_LEAST`] failing cases, largest first, with its hint and its cases.
/// Empty when no cause is shared that widely.
pub fn summary(cases: &[CaseRecord]) -> String {
    // Each failure with its causes, drawn once from its record's data.
    let failing: Vec<(&CaseRecord, Vec<(String, String)>)> = cases
        .iter()
        .filter(|case| matches!(case.outcome, Outcome::Fail))
        .map(|case| (case, case.causes()))
        .filter(|(_, causes)| !causes.is_empty())
        .collect();
    let mut left: Vec<&(&CaseRecord, Vec<(String, String)>)> = failing.iter().collect();
    let mut out = String::new();
    loop {
        // The cause most of the remaining failures share.
        let mut counts: BTreeMap<&str, (usize, &str)> = BTreeMap::new();
        for (_, causes) in &left {
            let mut seen = std::collections::BTreeSet::new();
            for (key, line) in causes {
                if seen.insert(key.as_str()) {
                    counts.entry(key).or_insert((0, line)).0 += 1;
                }
            }
        }
        let Some((key, (count, line))) = counts
            .into_iter()
            .max_by(|a, b| a.1.0.cmp(&b.1.0).then_with(|| b.0.cmp(a.0)))
        else {
            break;
        };
        if count < AT_LEAST {
            break;
        }
        let key = key.to_string();
        let (group, rest): (Vec<_>, Vec<_>) = left
            .into_iter()
            .partition(|(_, causes)| causes.iter().any(|(k, _)| *k == key));
        if out.is_empty() {
            out.push_str(
                "\none cause, many cases (each case's full failure is above and in the reports):\n",
            );
        }
        match hint(&format!("{key} {line}")) {
            Some(hint) => {
                let _ = writeln!(
                    out,
                    "  {count} cases: {hint}\n    first difference, e.g.: {line}"
                );
            }
            None => {
                let _ = writeln!(out, "  {count} cases: {line}");
            }
        }
        for (case, _) in group {
            let _ = writeln!(out, "    {}", case.name);
        }
        left = rest;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::failure::Failure;

    fn failing(name: &str, diffs: Vec<Diff>) -> CaseRecord {
        let failure = Failure::Mismatch {
            step: 1,
            action: "cancel".into(),
            diffs,
            transcript: None,
        };
        CaseRecord {
            name: name.into(),
            file: format!("cases/{name}.yaml").into(),
            description: String::new(),
            rules: Vec::new(),
            outcome: Outcome::Fail,
            kind: Some("MISMATCH".into()),
            message: Some("…".into()),
            found: Some(failure.found()),
            deviations: Vec::new(),
            expected_failure_reason: None,
            duration: std::time::Duration::ZERO,
        }
    }

    fn bad_signature(actual: &str) -> Diff {
        Diff::ruled(
            &[crate::spec::rule_id::SIGN_RESPONSE_SIGNED],
            "header signature",
            "verifies with the provider public key over POST /x and the exact body",
            format!("does not verify: {actual}"),
        )
    }

    #[test]
    fn a_cause_shared_by_many_cases_is_said_once_with_its_hint_and_cases() {
        let mut cases: Vec<CaseRecord> = (0..5)
            .map(|n| {
                // The shared cause is not always the first difference.
                let mut diffs = vec![bad_signature(&format!("mismatch {n}"))];
                if n % 2 == 0 {
                    diffs.insert(0, Diff::new("result.resultCode", format!("CODE{n}"), "X"));
                }
                failing(&format!("server/a/case-{n}"), diffs)
            })
            .collect();
        cases.push(failing(
            "server/b/alone",
            vec![Diff::new("result.resultCode", "SUCCESS", "PROCESS_FAIL")],
        ));
        let text = summary(&cases);
        assert_eq!(text.matches(" cases: ").count(), 1, "{text}");
        assert!(
            text.contains(
                "  5 cases: answer signature does not verify — check the provider public key"
            ),
            "{text}"
        );
        assert!(
            text.contains("e.g.: header signature [rule sign.response-signed]: expected verifies with the provider public key"),
            "{text}"
        );
        for n in 0..5 {
            assert!(text.contains(&format!("    server/a/case-{n}\n")), "{text}");
        }
        assert!(!text.contains("server/b/alone"), "{text}");
    }

    #[test]
    fn a_few_unrelated_failures_are_not_summarised() {
        let cases = vec![
            failing("server/a/one", vec![bad_signature("x")]),
            failing("server/a/two", vec![bad_signature("y")]),
            failing("server/a/three", vec![Diff::new("x", "1", "2")]),
        ];
        assert_eq!(summary(&cases), "");
    }

    #[test]
    fn the_headline_is_the_first_difference_with_its_rule() {
        let failure = Failure::Mismatch {
            step: 2,
            action: "cancel".into(),
            diffs: vec![
                Diff::new("result.resultCode", "SUCCESS", "PROCESS_FAIL"),
                bad_signature("x"),
            ],
            transcript: None,
        };
        assert_eq!(
            headline(&failure.found(), &["result.status-meaning".to_string()]),
            "step 2 (cancel): result.resultCode [rule result.status-meaning]: expected SUCCESS, actual PROCESS_FAIL"
        );
    }
}
