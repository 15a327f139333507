//! The one place a failure is rendered for a person: in full, with the
//! rules' statements and the exchange (every report), and in brief, from
//! what it found (a matrix cell, the gate, a job summary). Signatures and
//! keys are masked; every value a target sends is clipped.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::path::Path;

use super::{CaseContext, Diff, Failure, Found};
use crate::spec::catalog::Catalog;
use crate::spec::yaml::YamlError;
use crate::wire::headers::shown_header_value;
use crate::wire::headers::{CLIENT_ID, CONTENT_TYPE, RESPONSE_TIME, SIGNATURE};
use crate::wire::message::{Received, SentRequest};
use crate::wire::text::{SHOWN_CHARS, clip};

/// How much of a body a failure shows.
const BODY_PREVIEW_CHARS: usize = SHOWN_CHARS;
/// The label of a mismatch's differences in its rendering.
const EXPECTED_VS_ACTUAL: &str = "expected vs actual:";
/// The widest the field column of expected vs actual is padded to.
const ALIGN_AT_MOST: usize = 200;

/// Renders a failure for a person: the kind, the case file, the rules
/// with their statements, the exchange, and expected vs actual.
pub fn render(failure: &Failure, context: &CaseContext, catalog: &Catalog) -> String {
    if let Failure::Flaky { first } = failure {
        return format!(
            "{}\n{}",
            flaky_heading(&context.name),
            render(first, context, catalog)
        );
    }
    let mut out = String::new();
    let _ = writeln!(out, "{} in case {}", failure.kind(), context.name);
    if let Some(reason) = failure.not_applicable_reason() {
        for line in not_applicable_lines(&context.file, &reason) {
            let _ = writeln!(out, "{line}");
        }
        return out;
    }
    if let Failure::CaseBug(error) = failure {
        for line in case_bug_lines(error, &context.name) {
            let _ = writeln!(out, "{line}");
        }
        return out;
    }
    let _ = writeln!(out, "  --> {}", context.file.display());
    let _ = writeln!(out, "  case: {}", context.description);
    for id in &context.rules {
        match catalog.rule(id) {
            Some(rule) => {
                let _ = writeln!(
                    out,
                    "  rule {id} ({}): {}",
                    rule.level.as_str(),
                    rule.statement
                );
            }
            None => {
                let _ = writeln!(out, "  rule {id}");
            }
        }
    }
    match failure {
        Failure::Mismatch {
            step,
            action,
            diffs,
            transcript,
        } => {
            let _ = writeln!(out, "  step {step}: {action}");
            if let Some(transcript) = transcript {
                render_request(&mut out, &transcript.request);
                if let Some(response) = &transcript.response {
                    render_response(&mut out, response);
                }
            }
            let _ = writeln!(out, "    {EXPECTED_VS_ACTUAL}");
            render_diffs(&mut out, diffs);
        }
        Failure::Transport {
            step,
            action,
            error,
            request,
        } => {
            let _ = writeln!(out, "  step {step}: {action}");
            if let Some(request) = request {
                render_request(&mut out, request);
            }
            let _ = writeln!(out, "    {}", clip(&error.to_string(), SHOWN_CHARS));
        }
        Failure::CaseBug(_) | Failure::NotApplicable { .. } | Failure::Flaky { .. } => {}
    }
    out
}

/// Expected vs actual, one pair of lines per difference, the field names
/// aligned. Every value is clipped at [`SHOWN_CHARS`] and the alignment
/// at [`ALIGN_AT_MOST`], so that no length of anything a target sends can
/// swell the text or overflow the formatter (a width over 65,535 panics).
fn render_diffs(out: &mut String, diffs: &[Diff]) {
    for line in diff_lines(diffs) {
        let _ = writeln!(out, "{line}");
    }
}

/// [`render_diffs`]' lines.
fn diff_lines(diffs: &[Diff]) -> Vec<String> {
    let shown: Vec<(Cow<'_, str>, Cow<'_, str>, Cow<'_, str>)> = diffs
        .iter()
        .map(|diff| {
            (
                clip(&diff.at, SHOWN_CHARS),
                clip(&diff.expected, SHOWN_CHARS),
                clip(&diff.actual, SHOWN_CHARS),
            )
        })
        .collect();
    let width = shown
        .iter()
        .map(|(at, _, _)| at.chars().count())
        .max()
        .unwrap_or(0)
        .min(ALIGN_AT_MOST);
    shown
        .iter()
        .flat_map(|(at, expected, actual)| {
            [
                format!("      {at:width$}  expected {expected}"),
                format!("      {:width$}  actual   {actual}", ""),
            ]
        })
        .collect()
}

/// The first line of a flaky case's rendering.
fn flaky_heading(case: &str) -> String {
    format!("FLAKY in case {case}: it failed, was run once more and passed; the first run:")
}

/// Where a case is wrong, and what to do about it.
fn case_bug_lines(error: &YamlError, case: &str) -> [String; 3] {
    // The two halves' case files have schemas of their own.
    let schema = if case.starts_with("client/") {
        "spec/client-case.schema.json"
    } else {
        "spec/case.schema.json"
    };
    [
        format!(
            "  --> {}:{}:{}",
            error.file.display(),
            error.line,
            error.column
        ),
        format!("  {}", error.message),
        format!("  The case is wrong, not the target: fix the case file (its schema is {schema})."),
    ]
}

/// Why a case was not applicable, under its file.
fn not_applicable_lines(file: &Path, reason: &str) -> [String; 2] {
    [format!("  --> {}", file.display()), format!("  {reason}")]
}

/// The message of a case the expectations file lists as failing that
/// passes now.
pub fn unexpected_pass(case: &str, reason: &str) -> String {
    format!(
        "UNEXPECTED PASS in case {case}: the expectations file lists it as failing ({reason}), but it passes now; remove it from the expectations file"
    )
}

/// A failure in a few lines, from what it found, for a matrix cell and
/// the gate: its heading, then the step with what was expected and what
/// was found (a mismatch), the step and its error (a transport failure),
/// where the case is wrong (its bug) or why it did not apply. The rules'
/// statements and the exchange stay in the full rendering.
pub fn brief(found: &Found, kind: &str, case: &str, file: &Path) -> Vec<String> {
    let (heading, found) = match found {
        Found::Flaky { first } => (flaky_heading(case), first.as_ref()),
        found => (format!("{kind} in case {case}"), found),
    };
    let mut lines = vec![heading];
    match found {
        Found::Differences {
            step,
            action,
            diffs,
        } => {
            lines.push(format!("  step {step}: {action}"));
            lines.push(format!("    {EXPECTED_VS_ACTUAL}"));
            lines.extend(diff_lines(diffs));
        }
        Found::Transport {
            step,
            action,
            error,
        } => {
            lines.push(format!("  step {step}: {action}"));
            lines.push(format!("    {error}"));
        }
        Found::CaseBug(error) => lines.extend(case_bug_lines(error, case)),
        Found::NotApplicable { reason } => lines.extend(not_applicable_lines(file, reason)),
        // A flaky case's first run is never itself flaky.
        Found::Flaky { .. } => {}
    }
    lines
}

/// [`brief`] on one line, after its kind: `MISMATCH: step 2: cancel /
/// result.resultStatus expected S / actual F`.
pub fn brief_line(found: &Found, kind: &str, case: &str, file: &Path) -> String {
    let detail: Vec<String> = brief(found, kind, case, file)
        .iter()
        .skip(1)
        .filter(|line| line.trim() != EXPECTED_VS_ACTUAL)
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    format!("{kind}: {}", detail.join(" / "))
}

fn render_request(out: &mut String, request: &SentRequest) {
    let _ = writeln!(out, "    request:");
    let _ = writeln!(out, "      {} {}", request.method, request.path);
    render_headers(out, &request.headers);
    render_body(out, &request.body);
}

fn render_response(out: &mut String, response: &Received) {
    let _ = writeln!(out, "    response:");
    let _ = writeln!(out, "      HTTP {}", response.status);
    let shown: Vec<(String, String)> = response
        .headers
        .iter()
        .filter(|(name, _)| {
            matches!(
                name.as_str(),
                CONTENT_TYPE | SIGNATURE | RESPONSE_TIME | CLIENT_ID
            )
        })
        .cloned()
        .collect();
    render_headers(out, &shown);
    render_body(out, &response.body);
}

fn render_headers(out: &mut String, headers: &[(String, String)]) {
    for (name, value) in headers {
        let _ = writeln!(
            out,
            "      {}: {}",
            clip(name, SHOWN_CHARS),
            clip(shown_header_value(name, value), SHOWN_CHARS)
        );
    }
}

fn render_body(out: &mut String, body: &[u8]) {
    if body.is_empty() {
        let _ = writeln!(out, "      (empty body)");
        return;
    }
    let text = String::from_utf8_lossy(body);
    let mut preview: String = text.chars().take(BODY_PREVIEW_CHARS).collect();
    if text.chars().count() > BODY_PREVIEW_CHARS {
        preview.push_str(" …(cut)");
    }
    for line in preview.lines() {
        let _ = writeln!(out, "      {line}");
    }
}
