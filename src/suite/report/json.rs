//! The run as one JSON document, for tools: what was judged, when, the
//! tally (the same numbers as libtest's summary line) and every case's
//! outcome. The format is versioned by `format_version`; fields are only
//! ever added within a version.

use super::Report;
pub use super::file::FORMAT_VERSION;
use super::file::ResultsFile;

/// The report as pretty-printed JSON text: [`ResultsFile`] serialized.
pub fn render(report: &Report) -> String {
    let mut text = serde_json::to_string_pretty(&ResultsFile::of(report)).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::super::tests::sample;
    use super::*;
    use serde_json::{Value, json};

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
