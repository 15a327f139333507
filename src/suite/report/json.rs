//! The run as one JSON document, for tools: what was judged, when, the
//! tally (the same numbers as libtest's summary line) and every case's
//! outcome. The format is versioned by `format_version`; fields are only
//! ever added within a version.

use serde_json::{Value, json};

use super::{Report, rfc3339};

/// Bumped when a field changes meaning or disappears.
pub const FORMAT_VERSION: u32 = 1;

/// The report as a JSON value.
pub fn to_value(report: &Report) -> Value {
    let counts = report.counts();
    let info = &report.info;
    let client = info.client.as_ref();
    let cases: Vec<Value> = report
        .cases
        .iter()
        .map(|case| {
            let mut value = json!({
                "name": case.name,
                "file": case.file.display().to_string(),
                "rules": case.rules,
                "outcome": case.outcome.as_str(),
                "kind": case.kind,
                "message": case.message,
                "headline": case.headline,
                "expected_failure_reason": case.expected_failure_reason,
                "verdict": verdict(case),
                "deviations": case.deviations.iter().map(|deviation| json!({
                    "rule": deviation.rule,
                    "level": deviation.level,
                    "basis": deviation.basis_shown(),
                    "reason": deviation.reason,
                })).collect::<Vec<_>>(),
                "duration_ms": duration_ms(case.duration),
            });
            if let Some(judged) = client.and_then(|facts| facts.capabilities.get(&case.name)) {
                value["capabilities"] = json!(judged);
            }
            value
        })
        .collect();
    let mut value = json!({
        "format_version": FORMAT_VERSION,
        "tool": {"name": env!("CARGO_PKG_NAME"), "version": env!("CARGO_PKG_VERSION")},
        "half": info.half.as_str(),
        "command": info.half.command(),
        "target": info.target,
        "suite": info.suite,
        "profile": info.profile,
        "control_plane": info.control_plane,
        "start_time": rfc3339(info.started),
        "duration_ms": duration_ms(info.duration),
        "counts": {
            "total": counts.total,
            "passed": counts.passed,
            "failed": counts.failed,
            "ignored": counts.ignored,
            "expected_failures": counts.expected_failures,
            "unexpected_passes": counts.unexpected_passes,
            "warnings": counts.warnings,
            "not_applicable": counts.not_applicable,
            "pending": counts.pending,
            "flaky": counts.flaky,
            "filtered_out": counts.filtered_out,
        },
        "cases": cases,
    });
    if let Some(facts) = client {
        // Protocol 3: who the client said it is (`null`: a protocol 2
        // adapter, judged on everything).
        value["implementation"] = json!(facts.implementation);
    }
    value
}

/// The report as pretty-printed JSON text.
pub fn render(report: &Report) -> String {
    let mut text = serde_json::to_string_pretty(&to_value(report)).unwrap_or_default();
    text.push('\n');
    text
}

/// What a case's outcome means for the run: `pass` (it passes, an expected
/// failure too), `warning` (it passes, but deviates from assumptions),
/// `fail`, `ignored`, or `not-applicable` (a capability the client does
/// not declare).
fn verdict(case: &super::CaseRecord) -> &'static str {
    use super::Outcome;
    match case.outcome {
        Outcome::Pass | Outcome::ExpectedFail => "pass",
        Outcome::Warning => "warning",
        Outcome::Flaky => "flaky",
        Outcome::Fail | Outcome::UnexpectedPass => "fail",
        Outcome::Ignored => "ignored",
        Outcome::NotApplicable => "not-applicable",
        Outcome::Pending => "pending",
    }
}

fn duration_ms(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::super::tests::sample;
    use super::*;

    #[test]
    fn counts_and_cases_agree() {
        let value: Value = serde_json::from_str(&render(&sample())).expect("valid JSON");
        assert_eq!(value["format_version"], 1);
        assert_eq!(value["half"], "server");
        assert_eq!(value["start_time"], "1970-01-01T00:00:00Z");
        assert_eq!(value["duration_ms"], 1500);
        assert_eq!(value["suite"], "0.2.0 (embedded)");
        assert_eq!(
            value["counts"],
            json!({"total": 5, "passed": 2, "failed": 2, "ignored": 1,
                   "expected_failures": 1, "unexpected_passes": 1, "warnings": 0,
                   "not_applicable": 0, "pending": 0, "flaky": 0, "filtered_out": 3})
        );
        let cases = value["cases"].as_array().expect("cases");
        assert_eq!(cases.len(), 5);
        assert_eq!(cases[0]["name"], "server/a/passes");
        assert_eq!(cases[0]["outcome"], "pass");
        assert_eq!(cases[0]["kind"], Value::Null);
        assert_eq!(cases[0]["rules"], json!(["ident.either-id-suffices"]));
        assert_eq!(cases[1]["outcome"], "fail");
        assert_eq!(cases[1]["kind"], "MISMATCH");
        assert_eq!(cases[3]["outcome"], "expected-fail");
        assert_eq!(
            cases[3]["expected_failure_reason"],
            "the sandbox's window is 30 days"
        );
    }
}
