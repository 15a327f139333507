//! The run as JUnit XML, the format every CI dashboard reads: one
//! `<testcase>` per case, named by its permanent path and grouped by its
//! folder. A failure carries its first difference as its message and its
//! rendered text (masked) as its body; an ignored, not-applicable or
//! pending case is `<skipped>`; an expected failure passes, with a note
//! saying so. The document keeps to the JUnit schema Jenkins' xUnit plugin
//! validates against (the strictest reader; GitLab, GitHub's reporters and
//! Jenkins' JUnit plugin read a subset), checked by [`super::junit_schema`].

use std::fmt::Write as _;

use super::{Outcome, Report, rfc3339, seconds};

/// The whole report, as an XML document.
pub fn render(report: &Report) -> String {
    let counts = report.counts();
    let info = &report.info;
    let suite_name = format!("cancel-conformance {}", info.half.as_str());
    // The Ant JUnit schema wants a timestamp without an offset; it is UTC,
    // and the exact RFC 3339 time is a property.
    let timestamp = info
        .started
        .to_offset(time::UtcOffset::UTC)
        .format(time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second]"
        ))
        .unwrap_or_default();
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" time=\"{}\">",
        escape(&suite_name),
        counts.total,
        counts.failed,
        seconds(info.duration),
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{}\" timestamp=\"{timestamp}\">",
        escape(&suite_name),
        counts.total,
        counts.failed,
        counts.ignored + counts.pending,
        seconds(info.duration),
    );
    out.push_str("    <properties>\n");
    for (name, value) in [
        ("command", info.half.command().to_string()),
        ("target", info.target.clone()),
        ("suite", info.suite.clone()),
        ("start_time", rfc3339(info.started)),
        ("expected_failures", counts.expected_failures.to_string()),
        ("unexpected_passes", counts.unexpected_passes.to_string()),
        ("warnings", counts.warnings.to_string()),
        ("pending", counts.pending.to_string()),
        ("filtered_out", counts.filtered_out.to_string()),
    ] {
        let _ = writeln!(
            out,
            "      <property name=\"{name}\" value=\"{}\"/>",
            escape(&value)
        );
    }
    out.push_str("    </properties>\n");
    for case in &report.cases {
        let _ = write!(
            out,
            "    <testcase classname=\"{}\" name=\"{}\" time=\"{}\"",
            escape(case.folder()),
            escape(&case.name),
            seconds(case.duration),
        );
        let message = case.message.as_deref().unwrap_or("");
        match case.outcome {
            Outcome::Pass => out.push_str("/>\n"),
            // JUnit has no warning outcome, and the schema CI servers
            // validate against (junit_schema) allows a testcase no
            // properties: a passed testcase whose system-out starts with
            // one `verdict: warning` line and one `deviates_from:` line per
            // rule, for tools, then the text for people.
            Outcome::Warning => {
                let mut text = String::from("verdict: warning\n");
                for deviation in &case.deviations {
                    let _ = writeln!(text, "deviates_from: {}", deviation.rule);
                }
                text.push_str(message);
                let _ = writeln!(
                    out,
                    ">\n      <system-out>{}</system-out>\n    </testcase>",
                    escape(&text),
                );
            }
            // Flaky: likewise a passed testcase whose system-out starts
            // with `verdict: flaky`, then the first run's failure.
            Outcome::Flaky => {
                let _ = writeln!(
                    out,
                    ">\n      <system-out>{}</system-out>\n    </testcase>",
                    escape(&format!("verdict: flaky\n{message}")),
                );
            }
            Outcome::Fail | Outcome::UnexpectedPass => {
                // The message a dashboard shows in its list: the first
                // difference (rule, expected, actual), else the kind.
                let kind = case.kind.as_deref().unwrap_or("FAILURE");
                let headline = match case.headline() {
                    Some(headline) => format!("{kind}: {headline}"),
                    None => message.lines().next().unwrap_or(kind).to_string(),
                };
                let _ = writeln!(
                    out,
                    ">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>",
                    escape(&headline),
                    escape(kind),
                    escape(message),
                );
            }
            // A pending case is not judged: skipped, with what it found.
            Outcome::Ignored | Outcome::NotApplicable | Outcome::Pending => {
                let _ = writeln!(
                    out,
                    ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                    escape(message),
                );
            }
            Outcome::ExpectedFail => {
                let note = format!(
                    "EXPECTED FAILURE: the expectations file lists this case ({}), and it fails as expected:\n{message}",
                    case.expected_failure_reason
                        .as_deref()
                        .unwrap_or("no reason given"),
                );
                let _ = writeln!(
                    out,
                    ">\n      <system-out>{}</system-out>\n    </testcase>",
                    escape(&note),
                );
            }
        }
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

/// Escapes text for an XML attribute or element. Characters XML 1.0 cannot
/// hold at all (most control characters, which a target's body may carry)
/// become U+FFFD, so that the file always parses.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Kept as references so that attribute values keep their lines.
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push('\t'),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::tests::sample;
    use super::*;

    #[test]
    fn one_testcase_per_case_with_folder_as_classname() {
        let xml = render(&sample());
        assert_eq!(xml.matches("<testcase ").count(), 5, "{xml}");
        assert!(
            xml.contains("<testcase classname=\"server/a\" name=\"server/a/passes\""),
            "{xml}"
        );
        assert!(
            xml.contains("tests=\"5\" failures=\"2\" errors=\"0\" skipped=\"1\""),
            "{xml}"
        );
        // The message is the first difference; the body the whole failure.
        assert!(xml.contains("<failure message=\"MISMATCH: step 1 (cancel): result.resultCode [rule result.code-status-pairing]: expected SUCCESS, actual &lt;PROCESS_FAIL&gt;\" type=\"MISMATCH\">MISMATCH in case server/a/fails&#10;"), "{xml}");
        assert!(xml.contains("type=\"UNEXPECTED PASS\""), "{xml}");
        assert!(
            xml.contains("<skipped message=\"needs the control plane\"/>"),
            "{xml}"
        );
        assert!(
            xml.contains("<system-out>EXPECTED FAILURE: the expectations file lists this case (the sandbox&apos;s window is 30 days)"),
            "{xml}"
        );
        assert!(xml.contains("timestamp=\"1970-01-01T00:00:00\""), "{xml}");
    }

    /// Every outcome, rendered, keeps to the schema CI servers read.
    #[test]
    fn every_outcome_keeps_to_the_junit_schema() {
        let mut report = sample();
        for outcome in Outcome::ALL {
            let mut record = super::super::tests::record(
                &format!("server/all/{}", outcome.as_str()),
                outcome,
                &["ident.either-id-suffices"],
            );
            if outcome == Outcome::Warning {
                record.deviations = vec![crate::suite::verdict::Deviation {
                    rule: "codes.media-type-not-acceptable".into(),
                    level: crate::spec::catalog::Level::Must,
                    basis: Some(crate::spec::catalog::Basis::Assumption),
                    reason: "assumed".into(),
                }];
            }
            report.cases.push(record);
        }
        let xml = render(&report);
        if let Err(err) = super::super::junit_schema::check(&xml) {
            panic!("{err}\n{xml}");
        }
        assert!(
            xml.contains(
                "verdict: warning&#10;deviates_from: codes.media-type-not-acceptable&#10;"
            ),
            "{xml}"
        );
    }

    #[test]
    fn markup_and_control_characters_cannot_break_the_document() {
        let xml = render(&sample());
        assert!(
            xml.contains("&lt;b&gt;&amp;&quot;quoted&quot;\u{FFFD}"),
            "{xml}"
        );
        assert!(!xml.contains('\u{1b}'));
        assert_eq!(escape("a\tb"), "a\tb");
    }
}
