//! A matrix split across CI jobs (`matrix FILE --shard K/N`) and joined
//! (`matrix merge`) gives the result one unsplit run gives, implementation
//! by implementation and case by case; a column whose part is missing
//! keeps its last known result, marked stale with that run's date; and a
//! client is judged only on the capabilities its `hello` declares.

mod cli_support;
use cli_support::isolated_command;

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

mod testkit_support;
use testkit_support::broken_adapter;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_cancel-conformance")
}

fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cc-matrix-split-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn cc(dir: &Path, args: &[&str]) -> Output {
    isolated_command(dir)
        .args(args)
        .output()
        .expect("cancel-conformance runs")
}

fn json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()));
    serde_json::from_str(&text).expect("valid JSON")
}

/// What must be the same between two runs of one matrix: per
/// implementation (in order) its name, half, status, tally, capability
/// summary and every case's outcome; never timings or dates.
fn outcomes(matrix: &Value) -> Vec<Value> {
    matrix["implementations"]
        .as_array()
        .expect("implementations")
        .iter()
        .map(|implementation| {
            let cases: Vec<Value> = implementation["result"]["cases"]
                .as_array()
                .map(|cases| {
                    cases
                        .iter()
                        .map(|case| serde_json::json!([case["name"], case["outcome"]]))
                        .collect()
                })
                .unwrap_or_default();
            serde_json::json!({
                "name": implementation["name"],
                "half": implementation["half"],
                "status": implementation["status"],
                "counts": implementation["counts"],
                "capabilities": implementation["capabilities"],
                "implementation": implementation["implementation"],
                "cases": cases,
            })
        })
        .collect()
}

const FILTER: &str = "success";

#[test]
fn split_and_merged_equals_unsplit_and_a_missing_part_leaves_its_columns_stale() {
    let dir = scratch("equal");
    // The reference server, the project's client (it declares every
    // capability) and a broken one: three groups, dealt out 1, 2, 1.
    let yaml = format!(
        "implementations:\n\
         \x20 - name: reference\n    server:\n      endpoint: embedded\n\
         \x20 - name: rust-client\n    client:\n      adapter: {bin} adapter\n\
         \x20 - name: ignores-signature\n    client:\n      adapter: {broken} ignores-signature\n",
        bin = bin(),
        broken = broken_adapter().display()
    );
    std::fs::write(dir.join("matrix.yaml"), yaml).expect("write");
    let whole = cc(
        &dir,
        &["matrix", "matrix.yaml", FILTER, "--json", "whole.json"],
    );
    assert_eq!(whole.status.code(), Some(101), "ignores-signature fails");
    for k in ["1", "2"] {
        let part = cc(
            &dir,
            &[
                "matrix",
                "matrix.yaml",
                FILTER,
                "--shard",
                &format!("{k}/2"),
                "--json",
                &format!("part-{k}.json"),
            ],
        );
        assert!(
            matches!(part.status.code(), Some(0 | 101)),
            "part {k}: {}",
            String::from_utf8_lossy(&part.stderr)
        );
    }
    let part1 = json(&dir.join("part-1.json"));
    let names = |value: &Value| -> Vec<String> {
        value["implementations"]
            .as_array()
            .expect("implementations")
            .iter()
            .map(|i| i["name"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    assert_eq!(names(&part1), ["reference", "ignores-signature"]);
    assert_eq!(names(&json(&dir.join("part-2.json"))), ["rust-client"]);
    assert_eq!(part1["shard"]["count"], 2);

    let merged = cc(
        &dir,
        &[
            "matrix",
            "merge",
            "part-2.json",
            "part-1.json",
            "--json",
            "merged.json",
            "--html",
            "merged.html",
        ],
    );
    assert_eq!(
        merged.status.code(),
        whole.status.code(),
        "{}",
        String::from_utf8_lossy(&merged.stderr)
    );
    let whole_json = json(&dir.join("whole.json"));
    let merged_json = json(&dir.join("merged.json"));
    let expected = outcomes(&whole_json);
    assert!(
        expected.iter().any(|implementation| implementation["cases"]
            .as_array()
            .is_some_and(|cases| cases.len() > 2)),
        "the filter leaves cases to compare"
    );
    assert_eq!(outcomes(&merged_json), expected);
    // The project's client says who it is; its capabilities are all judged.
    let rust = &merged_json["implementations"][1];
    assert_eq!(rust["implementation"]["language"], "Rust");
    assert_eq!(rust["capabilities"]["sign"]["declared"], true);
    assert_eq!(rust["counts"]["not-applicable"], 0);
    let page = std::fs::read_to_string(dir.join("merged.html")).expect("page");
    assert!(
        page.contains("id=\"capabilities\""),
        "the page summarises capabilities"
    );

    // The joined result is gated like an unsplit one: against itself,
    // nothing regressed.
    let gated = cc(
        &dir,
        &[
            "matrix",
            "merge",
            "part-1.json",
            "part-2.json",
            "--baseline",
            "whole.json",
        ],
    );
    let stdout = String::from_utf8_lossy(&gated.stdout);
    assert_eq!(gated.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("matrix gate: PASSED"), "{stdout}");

    // Part 2 never arrives: its column keeps the last known result, stale.
    let stale = cc(
        &dir,
        &[
            "matrix",
            "merge",
            "part-1.json",
            "--previous",
            "whole.json",
            "--json",
            "stale.json",
            "--html",
            "stale.html",
        ],
    );
    let stdout = String::from_utf8_lossy(&stale.stdout);
    assert!(stdout.contains("part 2/2 missing"), "{stdout}");
    let stale_json = json(&dir.join("stale.json"));
    assert_eq!(outcomes(&stale_json), expected);
    let since = whole_json["start_time"].as_str().expect("a start time");
    assert_eq!(stale_json["implementations"][1]["stale_since"], since);
    assert_eq!(stale_json["implementations"][0].get("stale_since"), None);
    let page = std::fs::read_to_string(dir.join("stale.html")).expect("page");
    assert!(
        page.contains(&format!("data-stale-since=\"{since}\"")),
        "stale marked"
    );

    // Without an earlier result the column is shown as not run, never dropped.
    let lost = cc(
        &dir,
        &["matrix", "merge", "part-1.json", "--json", "lost.json"],
    );
    assert_eq!(lost.status.code(), Some(101));
    let lost_json = json(&dir.join("lost.json"));
    assert_eq!(
        names(&lost_json),
        ["reference", "rust-client", "ignores-signature"]
    );
    assert_eq!(lost_json["implementations"][1]["status"], "could-not-start");

    // Parts of different splits are refused, with the reason.
    let refused = cc(
        &dir,
        &[
            "matrix",
            "merge",
            "part-1.json",
            "whole.json",
            "--json",
            "x.json",
        ],
    );
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("split differently"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_split_recipes_are_yaml_run_every_part_then_merge_with_the_previous_result() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for recipe in [
        "examples/ci/matrix-shards.github.yml",
        "examples/ci/matrix-shards.gitlab-ci.yml",
    ] {
        let text = std::fs::read_to_string(root.join(recipe)).expect("recipe");
        let value: Value = serde_saphyr::from_str(&text)
            .unwrap_or_else(|err| panic!("{recipe} is not YAML: {err}"));
        assert!(value.is_object(), "{recipe}");
        let part = text.find("--shard").expect(recipe);
        let merge = text.find("matrix merge parts/*.json").expect(recipe);
        assert!(part < merge, "{recipe}: the parts run before the merge");
        assert!(text.contains("--previous previous/matrix.json"), "{recipe}");
        assert!(
            text.contains("cancel-conformance matrix matrix.yaml"),
            "{recipe}"
        );
    }
}
