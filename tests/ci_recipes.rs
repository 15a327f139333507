//! The CI recipes cannot rot: every file in `examples/ci/` and the
//! composite action `action.yml` is read as the CI server reads it, its
//! shell steps are extracted and run in a scratch directory against this
//! build. The steps the test stands in for are set-up: installing
//! cancel-conformance (the freshly built binary is first on PATH instead)
//! and the SDK (the project's own Rust client adapter,
//! `cancel-conformance adapter`, replaces it through the recipes' adapter
//! variables). Everything else — every `cancel-conformance` invocation, its
//! flags, the files it writes, the exit codes the recipe relies on — runs
//! as pasted. A test also fails when an input of `action.yml` names a flag
//! the binary no longer has.

mod cli_support;

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// What a step must contain to be set-up the test stands in for; every
/// other shell step runs.
const SET_UP: [&str; 6] = [
    "cargo install",
    "cargo binstall",
    "pip install",
    "apt-get",
    "-m venv",
    "git describe",
];

/// How many parts the split matrix recipes run in.
const PARTS: u32 = 2;

/// The recipes' adapter variables: the SDK they name is replaced by the
/// project's own client.
const ADAPTER_VARIABLES: [&str; 3] = ["ADAPTER", "RELEASE_ADAPTER", "CANDIDATE_ADAPTER"];

/// A job: its name, its environment, its steps.
type Job = (String, Vec<(String, String)>, Vec<Step>);

/// One shell step of a recipe.
struct Step {
    what: String,
    env: Vec<(String, String)>,
    run: String,
}

/// A GitHub step (a workflow's or the action's) as a shell step; `None`
/// for a step that uses an action instead of running a script.
fn step_of(step: &Value) -> Option<Step> {
    Some(Step {
        what: step["name"].as_str().unwrap_or("unnamed").to_string(),
        env: env_of(&step["env"]),
        run: step["run"].as_str()?.to_string(),
    })
}

fn parse_yaml(file: &Path) -> Value {
    let text = std::fs::read_to_string(file).expect("recipe reads");
    serde_saphyr::from_str(&text)
        .unwrap_or_else(|err| panic!("{} is not valid YAML: {err}", file.display()))
}

fn env_of(value: &Value) -> Vec<(String, String)> {
    value
        .as_object()
        .map(|map| {
            map.iter()
                .map(|(key, value)| {
                    let text = match value {
                        Value::String(text) => text.clone(),
                        other => other.to_string(),
                    };
                    (key.clone(), text)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The world the recipes assume, played by the test.
struct World {
    dir: PathBuf,
    /// `${{ ... }}` expressions the recipes may use, and their values here.
    expressions: BTreeMap<String, String>,
    _sandbox: Sandbox,
}

/// A `serve` without a control plane, standing in for a vendor sandbox.
struct Sandbox(Child);

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn world(name: &str) -> World {
    let dir = std::env::temp_dir().join(format!("cc-recipes-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("conformance")).expect("scratch");
    for file in ["expectations.yaml", "sandbox-expectations.yaml"] {
        std::fs::write(
            dir.join("conformance").join(file),
            "expected_failures: []\n",
        )
        .expect("expectations");
    }
    // No sandbox payments: the cases that need one are ignored with the
    // reason, the rest run.
    let prepare = dir.join("conformance/prepare-fixtures.sh");
    std::fs::write(&prepare, "#!/bin/sh\necho 'fixtures: {}'\n").expect("script");
    Command::new("chmod")
        .arg("+x")
        .arg(&prepare)
        .status()
        .expect("chmod");

    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new(env!("CARGO_BIN_EXE_cancel-conformance"))
        .args([
            "serve",
            "--no-control-plane",
            "--addr",
            &format!("127.0.0.1:{port}"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve starts");
    let sandbox = Sandbox(child);
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let key = |file: &str| {
        std::fs::read_to_string(root().join("testdata/keys").join(file))
            .expect("test key")
            .trim()
            .to_string()
    };
    let expressions = BTreeMap::from([
        ("runner.os".to_string(), "Linux".to_string()),
        (
            "secrets.SANDBOX_MERCHANT_PRIVATE_KEY".to_string(),
            key("merchant-private.pkcs8.b64"),
        ),
        (
            "secrets.SANDBOX_PROVIDER_PUBLIC_KEY".to_string(),
            key("provider-public.spki.b64"),
        ),
        (
            "vars.SANDBOX_ENDPOINT".to_string(),
            format!("http://127.0.0.1:{port}"),
        ),
        (
            "vars.SANDBOX_CLIENT_ID".to_string(),
            cancel_conformance::server::DEFAULT_CLIENT_ID.to_string(),
        ),
    ]);
    World {
        dir,
        expressions,
        _sandbox: sandbox,
    }
}

impl World {
    /// `text` with every `${{ expression }}` replaced; one the test does
    /// not know fails the test, naming it.
    fn substitute(&self, text: &str, env: &[(String, String)], origin: &str, part: u32) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${{") {
            out.push_str(&rest[..start]);
            let end = rest[start..]
                .find("}}")
                .unwrap_or_else(|| panic!("{origin}: an unclosed ${{{{ in {text}"));
            let expression = rest[start + 3..start + end].trim();
            let value = expression
                .strip_prefix("env.")
                .and_then(|name| env.iter().rev().find(|(key, _)| key == name))
                .map(|(_, value)| value.clone())
                .or_else(|| (expression == "matrix.part").then(|| part.to_string()))
                .or_else(|| self.expressions.get(expression).cloned())
                .unwrap_or_else(|| {
                    panic!("{origin}: the test does not know the expression `{expression}`")
                });
            out.push_str(&value);
            rest = &rest[start + end + 2..];
        }
        out.push_str(rest);
        out
    }

    /// Runs a job's steps in order, as the CI server would (bash, exit on
    /// the first error), as `part` of a split job (`matrix.part` on GitHub,
    /// `CI_NODE_INDEX` on GitLab; 1 when the job is not split); returns the
    /// steps it ran and the ones it stood in for.
    fn run_job(
        &self,
        origin: &str,
        part: u32,
        env: &[(String, String)],
        steps: &[Step],
    ) -> (usize, usize) {
        let bin_dir = Path::new(env!("CARGO_BIN_EXE_cancel-conformance"))
            .parent()
            .expect("bin dir")
            .to_path_buf();
        let path = format!(
            "{}:{}",
            bin_dir.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let (mut ran, mut stood_in) = (0, 0);
        for step in steps {
            let mut all_env: Vec<(String, String)> = env.to_vec();
            all_env.extend(step.env.iter().cloned());
            let all_env: Vec<(String, String)> = all_env
                .iter()
                .map(|(key, value)| {
                    // A recipe's own adapter variable (the action's comes
                    // from its input).
                    let value =
                        if ADAPTER_VARIABLES.contains(&key.as_str()) && !value.contains("${{") {
                            "cancel-conformance adapter".to_string()
                        } else {
                            self.substitute(value, env, origin, part)
                        };
                    (key.clone(), value)
                })
                .collect();
            let script = self.substitute(&step.run, &all_env, origin, part);
            if SET_UP.iter().any(|pattern| script.contains(pattern)) {
                stood_in += 1;
                continue;
            }
            let mut command = Command::new("bash");
            command
                .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", &script])
                .current_dir(&self.dir)
                .env("PATH", &path)
                .env("CI_PROJECT_DIR", &self.dir)
                // GitLab's parallel job of two parts.
                .env("CI_NODE_INDEX", part.to_string())
                .env("CI_NODE_TOTAL", PARTS.to_string())
                .env("GITHUB_STEP_SUMMARY", self.dir.join("step-summary.md"))
                .stdin(Stdio::null());
            for (name, _) in std::env::vars_os() {
                let name = name.to_string_lossy();
                if name.starts_with("CANCEL_CONFORMANCE_") || name.starts_with("GITHUB_") {
                    command.env_remove(name.as_ref());
                }
            }
            command.env("GITHUB_STEP_SUMMARY", self.dir.join("step-summary.md"));
            command.envs(all_env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            let output = command.output().expect("bash runs");
            assert!(
                output.status.success(),
                "{origin}, step `{}` exited {:?}:\n{script}\n--- output ---\n{}{}",
                step.what,
                output.status.code(),
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
            ran += 1;
        }
        (ran, stood_in)
    }
}

/// The jobs of a GitHub workflow: each `run:` step, with the workflow's,
/// the job's and the step's `env:`.
fn github_jobs(workflow: &Value) -> Vec<Job> {
    let top = env_of(&workflow["env"]);
    let Some(jobs) = workflow["jobs"].as_object() else {
        return Vec::new();
    };
    jobs.iter()
        .map(|(name, job)| {
            let mut env = top.clone();
            env.extend(env_of(&job["env"]));
            let steps = job["steps"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(step_of)
                .collect();
            (name.clone(), env, steps)
        })
        .collect()
}

/// The jobs of a GitLab file: `before_script` and `script` as one shell
/// session (as GitLab runs them), with the file's and the job's
/// `variables:`.
fn gitlab_jobs(pipeline: &Value) -> Vec<Job> {
    let top = env_of(&pipeline["variables"]);
    let Some(keys) = pipeline.as_object() else {
        return Vec::new();
    };
    keys.iter()
        .filter(|(_, job)| job.get("script").is_some())
        .map(|(name, job)| {
            let mut env = top.clone();
            env.extend(env_of(&job["variables"]));
            let lines: Vec<&str> = ["before_script", "script"]
                .iter()
                .flat_map(|key| job[*key].as_array().into_iter().flatten())
                .filter_map(Value::as_str)
                .collect();
            // Set-up lines are stood in for one by one; the rest run in one
            // shell, so that a variable one line sets reaches the next.
            let (set_up, run): (Vec<&str>, Vec<&str>) = lines
                .into_iter()
                .partition(|line| SET_UP.iter().any(|pattern| line.contains(pattern)));
            let mut steps: Vec<Step> = set_up
                .into_iter()
                .map(|line| Step {
                    what: "set-up".into(),
                    env: Vec::new(),
                    run: line.to_string(),
                })
                .collect();
            steps.push(Step {
                what: "script".into(),
                env: Vec::new(),
                run: run.join("\n"),
            });
            (name.clone(), env, steps)
        })
        .collect()
}

fn recipes() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("examples/ci"))
        .expect("examples/ci")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| {
            path.extension()
                .is_some_and(|ext| ext == "yml" || ext == "yaml")
        })
        .collect();
    files.sort();
    files
}

#[test]
fn every_recipe_runs_as_pasted_against_this_build() {
    let files = recipes();
    assert!(files.len() >= 4, "{files:?}");
    for file in files {
        let name = file
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let recipe = parse_yaml(&file);
        let jobs = if recipe.get("jobs").is_some() {
            github_jobs(&recipe)
        } else {
            gitlab_jobs(&recipe)
        };
        let text = std::fs::read_to_string(&file).expect("recipe");
        assert!(
            !text.contains("CONFORMANCE_REF") && !text.contains("v0.1.0"),
            "{name} pins something that does not exist"
        );
        assert!(
            text.contains("CANCEL_CONFORMANCE_VERSION: \"")
                && text.contains(&format!(
                    "CANCEL_CONFORMANCE_VERSION: \"{}\"",
                    env!("CARGO_PKG_VERSION")
                )),
            "{name}: one pinning scheme, CANCEL_CONFORMANCE_VERSION, at this release"
        );
        let world = world(name.trim_end_matches(".yml"));
        let mut invoked = 0;
        for (job, env, steps) in &jobs {
            invoked += steps
                .iter()
                .filter(|step| step.run.contains("cancel-conformance "))
                .count();
            let split = steps
                .iter()
                .any(|step| step.run.contains("matrix.part") || step.run.contains("CI_NODE_INDEX"));
            for part in 1..=if split { PARTS } else { 1 } {
                let (ran, stood_in) = world.run_job(&format!("{name} job {job}"), part, env, steps);
                eprintln!(
                    "{name} job {job} (part {part}): {ran} steps ran, {stood_in} set-up steps stood in for"
                );
            }
        }
        assert!(invoked > 0, "{name} never runs cancel-conformance");
        // `matrix` writes its page, not a job summary; `run` and `client`
        // write one.
        let judges_one =
            text.contains("cancel-conformance run") || text.contains("cancel-conformance client");
        let summary = std::fs::read_to_string(world.dir.join("step-summary.md"))
            .or_else(|_| std::fs::read_to_string(world.dir.join("reports/summary.md")))
            .unwrap_or_default();
        assert!(
            !judges_one || summary.starts_with("## cancel-conformance"),
            "{name}: no job summary written: {summary}"
        );
        let _ = std::fs::remove_dir_all(&world.dir);
    }
}

fn action() -> Value {
    parse_yaml(&root().join("action.yml"))
}

/// Inputs that are no flag: what to install, which command, extra words,
/// the artifact's name.
const NOT_FLAGS: [&str; 4] = ["version", "command", "args", "artifact"];

#[test]
fn every_input_of_the_action_is_a_flag_the_binary_has() {
    let action = action();
    let inputs = action["inputs"].as_object().expect("inputs");
    let help = |command: &str| {
        let output = cli_support::isolated_command(&std::env::temp_dir())
            .args([command, "--help"])
            .output()
            .expect("help");
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let (run, client) = (help("run"), help("client"));
    let script = action["runs"]["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(|step| step["run"].as_str())
        .collect::<Vec<_>>()
        .join("\n");
    for name in inputs
        .keys()
        .filter(|name| !NOT_FLAGS.contains(&name.as_str()))
    {
        let flag = format!("--{name}");
        let has = |help: &str| {
            help.match_indices(&flag).any(|(at, _)| {
                help[at + flag.len()..]
                    .chars()
                    .next()
                    .is_none_or(|next| next == ' ' || next == '\n' || next == '=')
            })
        };
        assert!(
            has(&run) || has(&client),
            "action.yml input `{name}`: neither `run` nor `client` has {flag} any more"
        );
        assert!(
            script.contains(&flag),
            "action.yml input `{name}` never reaches {flag}"
        );
    }
    for name in NOT_FLAGS {
        assert!(
            inputs.contains_key(name),
            "action.yml lost its `{name}` input"
        );
    }
}

/// The action's shell steps, with `inputs` over its defaults.
fn run_action(world: &World, inputs: &[(&str, &str)]) -> (usize, usize) {
    let action = action();
    let mut expressions: BTreeMap<String, String> = action["inputs"]
        .as_object()
        .expect("inputs")
        .iter()
        .map(|(name, input)| {
            let default = input["default"].as_str().unwrap_or_default().to_string();
            (format!("inputs.{name}"), default)
        })
        .collect();
    for (name, value) in inputs {
        expressions.insert(format!("inputs.{name}"), value.to_string());
    }
    let mut world_expressions = world.expressions.clone();
    world_expressions.extend(expressions);
    let world = World {
        dir: world.dir.clone(),
        expressions: world_expressions,
        _sandbox: Sandbox(Command::new("true").spawn().expect("a stand-in process")),
    };
    let steps: Vec<Step> = action["runs"]["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(step_of)
        .collect();
    world.run_job("action.yml", 1, &[], &steps)
}

#[test]
fn the_action_judges_a_server_and_a_client_and_writes_its_reports() {
    let world = world("action");
    let (ran, stood_in) = run_action(&world, &[("args", "refund")]);
    assert_eq!((ran, stood_in), (1, 1), "install stood in for, run ran");
    for report in ["report.xml", "results.json", "report.html"] {
        assert!(
            world.dir.join("cancel-conformance").join(report).is_file(),
            "{report}"
        );
    }
    let summary = std::fs::read_to_string(world.dir.join("step-summary.md")).expect("summary");
    assert!(
        summary.starts_with("## cancel-conformance run: ✅ passed"),
        "{summary}"
    );

    let (ran, _) = run_action(
        &world,
        &[
            ("command", "client"),
            ("adapter", "cancel-conformance adapter"),
            ("json", "client.json"),
            ("args", "retry"),
        ],
    );
    assert_eq!(ran, 1);
    assert!(world.dir.join("client.json").is_file());
    // Gated on that run, pinned to the first suite.
    let (ran, _) = run_action(
        &world,
        &[
            ("command", "client"),
            ("adapter", "cancel-conformance adapter"),
            ("json", "gated.json"),
            ("baseline", "client.json"),
            ("suite-version", "0.1.0"),
            ("strict", "true"),
            ("args", "retry"),
        ],
    );
    assert_eq!(ran, 1);
    let summary = std::fs::read_to_string(world.dir.join("step-summary.md")).expect("summary");
    assert!(
        summary.contains("Against the baseline: 0 regression(s)"),
        "{summary}"
    );
    let _ = std::fs::remove_dir_all(&world.dir);
}
