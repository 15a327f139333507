//! `cancel-conformance matrix` and the release gate (`--baseline` of `run`,
//! `client` and `matrix`), through the command line as a person uses them.
//!
//! The implementations judged are real: the embedded reference server, the
//! project's own Rust client, a deliberately broken client
//! (`testkit/src/bin/broken_adapter.rs ignores-signature`), a reference server
//! that sends its answers unsigned (`serve --unsigned-answers`), an adapter
//! whose program does not exist, an endpoint nobody listens on and a
//! server whose key file does not exist. Each
//! assertion names the case that must fail and why.
//!
//! The matrix page is also opened in Debian's chromium, headless: its cells
//! as the browser built them must be the JSON's, and a failing cell must
//! show its message. That test needs chromium and is run by `.ci/run`.

mod browser_support;
mod cli_support;
use browser_support::{dump_dom, require_chromium};
use cli_support::isolated_command;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};

use serde_json::Value;

mod testkit_support;
use testkit_support::broken_adapter;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_cancel-conformance")
}

fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cc-matrix-test-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn rust_client() -> String {
    format!("{} adapter", bin())
}

/// A client that accepts answers whatever their signature.
fn client_ignoring_signatures() -> String {
    format!("{} ignores-signature", broken_adapter().display())
}

/// The client cases that catch a client ignoring signatures.
const SIGNATURE_CASES: [&str; 2] = [
    "client/signature/bad-signature-is-refused",
    "client/signature/unsigned-success-is-refused",
];

fn cc(dir: &Path, args: &[&str]) -> Output {
    isolated_command(dir)
        .args(args)
        .output()
        .expect("cancel-conformance runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()));
    serde_json::from_str(&text).expect("valid JSON")
}

/// `serve` on a free port, killed when dropped.
struct Serve {
    child: Child,
    url: String,
}

impl Serve {
    fn start(extra: &[&str]) -> Serve {
        let mut child = isolated_command(root())
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("serve starts");
        let stdout = child.stdout.take().expect("stdout piped");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("serve prints its address");
        // "cancel API at http://127.0.0.1:PORT/ams/api/... (control plane ...)"
        let url = line
            .split_whitespace()
            .find(|word| word.starts_with("http://"))
            .and_then(|word| word.find("/ams").map(|at| word[..at].to_string()))
            .unwrap_or_else(|| panic!("no address in `{line}`"));
        Serve { child, url }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn outcome_of(result: &Value, case: &str) -> String {
    result["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .find(|c| c["name"] == case)
        .map(|c| c["outcome"].as_str().unwrap_or_default().to_string())
        .unwrap_or_else(|| panic!("no case {case}"))
}

/// The cases a half's result (or a matrix column's `result`) fails, after
/// checking that the signature cases are among them: the broken client
/// breaks more rules than those two, and the gate must list every one.
fn failing_cases(result: &Value) -> Vec<String> {
    let failing: Vec<String> = result["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .filter(|c| c["outcome"] == "fail")
        .map(|c| c["name"].as_str().expect("name").to_string())
        .collect();
    for case in SIGNATURE_CASES {
        assert!(
            failing.iter().any(|name| name == case),
            "{case} passes: {failing:?}"
        );
    }
    failing
}

fn implementation<'a>(matrix: &'a Value, name: &str) -> &'a Value {
    matrix["implementations"]
        .as_array()
        .expect("implementations")
        .iter()
        .find(|i| i["name"] == name)
        .unwrap_or_else(|| panic!("no implementation {name}"))
}

#[test]
fn matrix_help_says_what_the_file_holds() {
    let out = cc(root(), &["matrix", "--help"]);
    assert!(out.status.success());
    let help = text(&out.stdout);
    for needle in [
        "<FILE>",
        "--baseline",
        "--json",
        "--html",
        "--jobs",
        "endpoint: embedded",
    ] {
        assert!(help.contains(needle), "`{needle}` missing from:\n{help}");
    }
}

#[test]
fn unknown_keys_in_a_matrix_file_are_errors_at_their_line_and_column() {
    let dir = scratch("unknown-key");
    let file = dir.join("m.yaml");
    std::fs::write(
        &file,
        "implementations:\n  - name: a\n    client:\n      adapter: x\n      retries: 3\n",
    )
    .expect("write");
    let out = cc(&dir, &["matrix", "m.yaml"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("m.yaml:5:7") && stderr.contains("retries"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A matrix with every kind of column; returns its directory, JSON and HTML.
fn run_matrix(tag: &str) -> (PathBuf, Value, PathBuf, Output) {
    let dir = scratch(tag);
    let nobody = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let yaml = format!(
        "implementations:\n\
         \x20 - name: reference\n    server:\n      endpoint: embedded\n\
         \x20 - name: rust-client\n    description: the project's own client\n    client:\n      adapter: {}\n\
         \x20 - name: ignores-signature\n    client:\n      adapter: {}\n\
         \x20 - name: missing-adapter\n    client:\n      adapter: ./no-such-adapter.py\n\
         \x20 - name: nobody-listens\n    server:\n      endpoint: http://127.0.0.1:{nobody}\n\
         \x20 - name: no-key\n    server:\n      merchant_private_key_file: no-such-key.b64\n",
        rust_client(),
        client_ignoring_signatures()
    );
    std::fs::write(dir.join("matrix.yaml"), yaml).expect("write");
    let out = cc(
        &dir,
        &[
            "matrix",
            "matrix.yaml",
            "--json",
            "out/matrix.json",
            "--html",
            "out/matrix.html",
        ],
    );
    let value = json(&dir.join("out/matrix.json"));
    (dir.clone(), value, dir.join("out/matrix.html"), out)
}

#[test]
fn a_matrix_judges_every_implementation_and_a_column_that_cannot_start_says_why() {
    let (dir, matrix, html, out) = run_matrix("six");
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(101),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    // One progress line per implementation.
    assert_eq!(
        stdout.lines().filter(|line| line.starts_with('[')).count(),
        6,
        "{stdout}"
    );
    let broken_line = stdout
        .lines()
        .find(|line| line.contains("ignores-signature (client): "))
        .unwrap_or_else(|| panic!("no progress line for the broken client:\n{stdout}"));

    let reference = implementation(&matrix, "reference");
    assert_eq!(reference["status"], "judged");
    assert_eq!(reference["counts"]["fail"], 0);
    assert!(reference["counts"]["pass"].as_u64() > Some(50));
    let rust = implementation(&matrix, "rust-client");
    assert_eq!(rust["counts"]["fail"], 0, "{rust}");
    let broken = implementation(&matrix, "ignores-signature");
    for case in SIGNATURE_CASES {
        assert_eq!(outcome_of(&broken["result"], case), "fail", "{case}");
    }
    let fails = failing_cases(&broken["result"]).len();
    assert_eq!(broken["counts"]["fail"], fails as u64);
    assert!(
        broken_line.contains(&format!(" pass, {fails} fail")),
        "the progress line counts what the JSON counts: {broken_line}"
    );
    let missing = implementation(&matrix, "missing-adapter");
    assert_eq!(missing["status"], "could-not-start");
    assert!(
        missing["reason"]
            .as_str()
            .is_some_and(|r| r.contains("`./no-such-adapter.py` does not exist")),
        "{missing}"
    );
    // A setting its half refuses: the half's own error is the reason.
    let no_key = implementation(&matrix, "no-key");
    assert_eq!(no_key["status"], "could-not-start");
    assert!(
        no_key["reason"]
            .as_str()
            .is_some_and(|r| r.contains("cannot read the key file no-such-key.b64")),
        "{no_key}"
    );
    let nobody = implementation(&matrix, "nobody-listens");
    assert_eq!(nobody["status"], "could-not-start");
    assert!(
        nobody["reason"]
            .as_str()
            .is_some_and(|r| r.contains("unreachable")),
        "{nobody}"
    );

    // The page has one cell per case per judged implementation, and the
    // failing cells carry their failure.
    let page = std::fs::read_to_string(&html).expect("page");
    let cells: u64 = matrix["implementations"]
        .as_array()
        .expect("list")
        .iter()
        .map(|i| i["counts"]["total"].as_u64().expect("total"))
        .sum();
    assert_eq!(page.matches("<td class=\"cell ").count() as u64, cells);
    assert!(page.contains("could not start: the adapter&#39;s program `./no-such-adapter.py`"));
    assert!(page.contains("MISMATCH in case client/signature/unsigned-success-is-refused"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
#[ignore = "needs Debian's chromium: .ci/run installs it"]
fn the_matrix_page_renders_in_chromium_with_the_jsons_cells_and_messages() {
    require_chromium();
    let (dir, matrix, html, _) = run_matrix("browser");
    let dom = dump_dom(&html, &dir.join("chromium-profile"));
    for implementation in matrix["implementations"].as_array().expect("list") {
        let name = implementation["name"].as_str().expect("name");
        let cells: Vec<&str> = dom
            .split("<td class=\"cell ")
            .skip(1)
            .map(|cell| &cell[..cell.find('>').expect("the tag ends")])
            .filter(|tag| tag.contains(&format!("data-impl=\"{name}\"")))
            .collect();
        let result = &implementation["result"];
        let expected = result["cases"].as_array().map_or(0, Vec::len);
        assert_eq!(cells.len(), expected, "cells of {name}");
        // Every cell's outcome is the JSON's for that case.
        for cell in &cells {
            let attr = |key: &str| {
                cell.split(&format!("{key}=\""))
                    .nth(1)
                    .and_then(|rest| rest.split('"').next())
                    .unwrap_or_default()
            };
            assert_eq!(attr("data-outcome"), outcome_of(result, attr("data-case")));
        }
        if implementation["status"] == "could-not-start" {
            let head = dom
                .split(&format!(
                    "data-impl=\"{name}\" data-status=\"could-not-start\">"
                ))
                .nth(1)
                .expect("a red column head");
            assert!(head.starts_with(&format!("{name}<span class=\"reason\">could not start:")));
        }
    }
    // A failing cell shows its failure: the heading and expected vs actual.
    let case = "client/signature/unsigned-success-is-refused";
    let cell = dom
        .split(&format!(
            "<td class=\"cell fail\" id=\"ignores-signature@{case}\" "
        ))
        .nth(1)
        .expect("the failing cell");
    let cell = &cell[..cell.find("</td>").expect("cell ends")];
    let message = implementation(&matrix, "ignores-signature")["result"]["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .find(|c| c["name"] == case)
        .and_then(|c| c["message"].as_str())
        .expect("a message")
        .to_string();
    let heading = message.lines().next().expect("a heading");
    assert!(
        cell.contains("<details>") && cell.contains(heading),
        "{cell}"
    );
    assert!(cell.contains("title=\""), "{cell}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Regressions come first, improvements after, and the verdict last.
fn assert_gate(stdout: &str, regressed: &[&str], improved: &[&str], passes: bool) {
    let gate = &stdout[stdout
        .find("release gate:")
        .unwrap_or_else(|| panic!("no gate in:\n{stdout}"))..];
    for case in regressed {
        assert!(
            gate.contains(&format!("REGRESSION {case} (pass -> fail)")),
            "{case}:\n{gate}"
        );
    }
    for case in improved {
        assert!(
            gate.contains(&format!("IMPROVED {case} (fail -> pass)")),
            "{case}:\n{gate}"
        );
    }
    if let (Some(first_improved), Some(last_regression)) =
        (gate.find("IMPROVED"), gate.rfind("REGRESSION"))
    {
        assert!(
            last_regression < first_improved,
            "regressions first:\n{gate}"
        );
    }
    assert_eq!(
        gate.matches("REGRESSION ").count(),
        regressed.len(),
        "{gate}"
    );
    assert!(
        gate.contains(if passes { "PASSED" } else { "FAILED" }),
        "{gate}"
    );
}

#[test]
fn the_client_gate_fails_a_regressed_client_and_passes_an_improved_one() {
    let dir = scratch("client-gate");
    let good = cc(
        &dir,
        &["client", "--adapter", &rust_client(), "--json", "good.json"],
    );
    assert_eq!(good.status.code(), Some(0), "{}", text(&good.stdout));
    let broken = client_ignoring_signatures();
    // The candidate accepts unsigned answers: it regressed.
    let candidate = cc(
        &dir,
        &[
            "client",
            "--adapter",
            &broken,
            "--baseline",
            "good.json",
            "--json",
            "bad.json",
        ],
    );
    assert_eq!(
        candidate.status.code(),
        Some(101),
        "{}",
        text(&candidate.stdout)
    );
    let regressed = failing_cases(&json(&dir.join("bad.json")));
    let regressed: Vec<&str> = regressed.iter().map(String::as_str).collect();
    assert_gate(&text(&candidate.stdout), &regressed, &[], false);
    // The other way round it improved, and the gate passes.
    let fixed = cc(
        &dir,
        &[
            "client",
            "--adapter",
            &rust_client(),
            "--baseline",
            "bad.json",
        ],
    );
    assert_eq!(fixed.status.code(), Some(0), "{}", text(&fixed.stdout));
    assert_gate(&text(&fixed.stdout), &[], &regressed, true);
    // Failing as the baseline did is no regression: the gate passes where
    // the run alone fails.
    let same = cc(
        &dir,
        &["client", "--adapter", &broken, "--baseline", "bad.json"],
    );
    assert_eq!(same.status.code(), Some(0), "{}", text(&same.stdout));
    assert!(
        text(&same.stdout).contains(&format!(
            "{} cases fail in the baseline too",
            regressed.len()
        )),
        "{}",
        text(&same.stdout)
    );
    // A baseline of the other half, or not a results file, stops the run.
    let server = cc(&dir, &["run", "--baseline", "good.json", "server/ident"]);
    assert_eq!(server.status.code(), Some(2));
    assert!(
        text(&server.stderr).contains("a result of the client half"),
        "{}",
        text(&server.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_server_gate_fails_a_server_that_stopped_signing_and_passes_the_fix() {
    let dir = scratch("server-gate");
    let filter = "server/ident";
    let good = cc(&dir, &["run", filter, "--json", "good.json"]);
    assert_eq!(good.status.code(), Some(0), "{}", text(&good.stdout));
    let unsigned = Serve::start(&["--unsigned-answers"]);
    let bad = cc(
        &dir,
        &[
            "run",
            filter,
            "--endpoint",
            &unsigned.url,
            "--baseline",
            "good.json",
            "--json",
            "bad.json",
        ],
    );
    assert_eq!(bad.status.code(), Some(101), "{}", text(&bad.stdout));
    let cases: Vec<String> = json(&dir.join("good.json"))["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| c["name"].as_str().expect("name").to_string())
        .collect();
    assert!(cases.len() >= 3, "{cases:?}");
    let names: Vec<&str> = cases.iter().map(String::as_str).collect();
    // Every answer is unsigned: each case whose answer is S regressed, and
    // says why; one whose answers are F or U only warns, an unsigned gateway
    // error being what the sources allow (sign.error-response-signed).
    let out = text(&bad.stdout);
    let regressed: Vec<&str> = names
        .iter()
        .copied()
        .filter(|name| out.contains(&format!("REGRESSION {name} (pass -> fail)")))
        .collect();
    assert!(!regressed.is_empty(), "{out}");
    for name in &names {
        assert!(
            regressed.contains(name) || out.contains(&format!("NEW WARNING {name} ")),
            "{name}:\n{out}"
        );
    }
    assert_gate(&out, &regressed, &[], false);
    assert!(out.contains("expected present: every answer is signed"));
    let fixed = cc(&dir, &["run", filter, "--baseline", "bad.json"]);
    assert_eq!(fixed.status.code(), Some(0), "{}", text(&fixed.stdout));
    assert_gate(&text(&fixed.stdout), &[], &regressed, true);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_matrix_gate_judges_each_implementation_against_its_own_column() {
    let dir = scratch("matrix-gate");
    let write = |adapter: &str| {
        std::fs::write(
            dir.join("m.yaml"),
            format!(
                "implementations:\n  - name: reference\n    server: {{}}\n  - name: sdk\n    client:\n      adapter: {adapter}\n"
            ),
        )
        .expect("write")
    };
    write(&rust_client());
    let good = cc(
        &dir,
        &["matrix", "m.yaml", "--json", "good.json", "signature"],
    );
    assert_eq!(good.status.code(), Some(0), "{}", text(&good.stdout));
    write(&client_ignoring_signatures());
    let bad = cc(
        &dir,
        &[
            "matrix",
            "m.yaml",
            "signature",
            "--baseline",
            "good.json",
            "--json",
            "bad.json",
            "--html",
            "bad.html",
        ],
    );
    assert_eq!(bad.status.code(), Some(101), "{}", text(&bad.stdout));
    let stdout = text(&bad.stdout);
    let regressed = failing_cases(&implementation(&json(&dir.join("bad.json")), "sdk")["result"]);
    let regressed: Vec<&str> = regressed.iter().map(String::as_str).collect();
    assert_gate(&stdout, &regressed, &[], false);
    assert!(
        stdout.contains("release gate: implementation `reference`"),
        "{stdout}"
    );
    assert!(stdout.contains("matrix gate: FAILED"), "{stdout}");
    let page = std::fs::read_to_string(dir.join("bad.html")).expect("page");
    assert!(page.contains("<pre id=\"gate\">") && page.contains("REGRESSION client/signature/"));
    write(&rust_client());
    let fixed = cc(
        &dir,
        &["matrix", "m.yaml", "signature", "--baseline", "bad.json"],
    );
    assert_eq!(fixed.status.code(), Some(0), "{}", text(&fixed.stdout));
    assert_gate(&text(&fixed.stdout), &[], &regressed, true);
    assert!(text(&fixed.stdout).contains("matrix gate: PASSED"));
    // One half's results are no matrix baseline.
    let half = cc(
        &dir,
        &[
            "client",
            "--adapter",
            &rust_client(),
            "--json",
            "half.json",
            "signature",
        ],
    );
    assert_eq!(half.status.code(), Some(0), "{}", text(&half.stdout));
    let wrong = cc(&dir, &["matrix", "m.yaml", "--baseline", "half.json"]);
    assert_eq!(wrong.status.code(), Some(2), "{}", text(&wrong.stdout));
    assert!(
        text(&wrong.stderr).contains("not a matrix results file"),
        "{}",
        text(&wrong.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_ci_recipes_of_the_gate_are_yaml_and_gate_on_the_baseline() {
    for recipe in [
        "examples/ci/baseline-gate.github.yml",
        "examples/ci/baseline-gate.gitlab-ci.yml",
    ] {
        let text = std::fs::read_to_string(root().join(recipe)).expect("recipe");
        let value: Value = serde_saphyr::from_str(&text)
            .unwrap_or_else(|err| panic!("{recipe} is not YAML: {err}"));
        assert!(value.is_object(), "{recipe}");
        // The baseline comes from the last release, the gate from the candidate.
        let baseline = text.find("--json reports/last-release.json").expect(recipe);
        let gate = text
            .find("--baseline reports/last-release.json")
            .expect(recipe);
        assert!(baseline < gate, "{recipe}: the baseline is made first");
    }
}

#[test]
fn the_committed_sdk_matrix_names_eight_releases_and_its_page_is_its_json() {
    let dir = root().join("matrix");
    let matrix = cancel_conformance::matrix::file::load(&dir.join("matrix.yaml"))
        .unwrap_or_else(|err| panic!("{err}"));
    let sdks = matrix
        .entries
        .iter()
        .filter(|entry| entry.name.starts_with("sdk-"))
        .count();
    assert!(sdks >= 8, "{sdks} SDK releases");
    // The two-release matrix CI runs reads too, and its columns are in the
    // baseline it is gated against.
    let ci = cancel_conformance::matrix::file::load(&dir.join("ci.yaml"))
        .unwrap_or_else(|err| panic!("{err}"));
    for entry in &ci.entries {
        assert!(
            matrix.entries.iter().any(|full| full.name == entry.name),
            "{} is not a column of matrix.yaml",
            entry.name
        );
    }
    let results = json(&dir.join("results.json"));
    let page = std::fs::read_to_string(dir.join("matrix.html")).expect("page");
    let names: Vec<&str> = matrix.entries.iter().map(|e| e.name.as_str()).collect();
    let judged: Vec<&str> = results["implementations"]
        .as_array()
        .expect("list")
        .iter()
        .map(|i| i["name"].as_str().expect("name"))
        .collect();
    assert_eq!(
        names, judged,
        "results.json is of matrix.yaml: rerun matrix/run.sh"
    );
    // One cell per case per judged implementation, each with the JSON's outcome.
    let mut cells = 0;
    for implementation in results["implementations"].as_array().expect("list") {
        let name = implementation["name"].as_str().expect("name");
        for case in implementation["result"]["cases"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let case_name = case["name"].as_str().expect("case");
            let outcome = case["outcome"].as_str().expect("outcome");
            let tag = format!("<td class=\"cell {outcome}\" id=\"{name}@{case_name}\"");
            assert!(page.contains(&tag), "{tag}");
            cells += 1;
        }
    }
    assert_eq!(page.matches("<td class=\"cell ").count(), cells);
    // Every cell the README points at exists.
    let readme = std::fs::read_to_string(dir.join("README.md")).expect("README");
    let links: Vec<&str> = readme
        .split("(matrix.html#")
        .skip(1)
        .map(|rest| &rest[..rest.find(')').expect("link ends")])
        .collect();
    assert!(links.len() >= 8, "{links:?}");
    for link in links {
        assert!(
            page.contains(&format!(" id=\"{link}\" ")),
            "README points at no cell: {link}"
        );
    }
}

#[test]
fn the_matrix_schema_accepts_the_committed_matrices_and_refuses_what_the_loader_refuses() {
    let schema = json(&root().join("spec/matrix.schema.json"));
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(&schema)
        .expect("the matrix schema compiles");
    let yaml = |text: &str| -> Value { serde_saphyr::from_str(text).expect("YAML") };
    for file in ["matrix/matrix.yaml", "matrix/ci.yaml"] {
        let text = std::fs::read_to_string(root().join(file)).expect("file");
        let errors: Vec<String> = validator
            .iter_errors(&yaml(&text))
            .map(|err| err.to_string())
            .collect();
        assert!(errors.is_empty(), "{file}: {errors:?}");
    }
    for refused in [
        "implementations:\n  - name: a\n    client:\n      adapter: x\n      retries: 3\n",
        "implementations:\n  - name: a\n    description: no half\n",
        "implementations:\n  - name: a\n    client: {adapter: x}\n    server: {}\n",
        "implementations:\n  - name: a\n    client:\n      tls: true\n",
        "implementations:\n  - name: a\n    server:\n      reports: {json: x.json}\n",
        "implementations: []\n",
    ] {
        assert!(
            !validator.is_valid(&yaml(refused)),
            "the schema accepts:\n{refused}"
        );
        let dir = scratch("schema-refused");
        std::fs::write(dir.join("m.yaml"), refused).expect("write");
        assert!(
            cancel_conformance::matrix::file::load(&dir.join("m.yaml")).is_err(),
            "the loader accepts:\n{refused}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
