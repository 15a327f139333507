//! `cancel-conformance fixtures --template` and the warning of `run
//! --fixtures`, through the command line: the skeleton names every fixture
//! the server cases use, reads back as a fixtures file, and a run given it
//! says which fixture names one payment cannot serve.

mod cli_support;
use cli_support::isolated_command;

use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_template_names_every_fixture_and_a_run_with_it_warns_about_short_pools() {
    let out = isolated_command(root())
        .args(["fixtures", "--template"])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let template = String::from_utf8(out.stdout).expect("UTF-8");
    // Every fixture name of every server case file is a key of the skeleton.
    let mut names = std::collections::BTreeSet::new();
    for entry in walk(&root().join("cases/server")) {
        let text = std::fs::read_to_string(&entry).expect("case");
        let mut in_fixture = false;
        for line in text.lines() {
            if line.starts_with("fixture:") || line.starts_with("other_fixture:") {
                in_fixture = true;
            } else if in_fixture && let Some(name) = line.trim().strip_prefix("name: ") {
                names.insert(name.trim().to_string());
                in_fixture = false;
            } else if !line.starts_with(' ') {
                in_fixture = false;
            }
        }
    }
    assert!(names.len() > 10, "{names:?}");
    for name in &names {
        assert!(
            template.contains(&format!("\n  {name}:\n")),
            "`{name}` missing:\n{template}"
        );
    }
    assert!(template.contains("A full run takes"), "{template}");

    // Given to `run --fixtures`, it is a fixtures file whose pools hold
    // what a full run needs: nothing to warn about. Cut to one payment a
    // name, the names one payment cannot serve are warned about before any
    // case runs.
    let dir = std::env::temp_dir().join(format!("cc-fixtures-template-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(dir.join("fixtures.yaml"), &template).expect("write");
    let out = isolated_command(&dir)
        .args(["run", "--fixtures", "fixtures.yaml", "--list"])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("warning: fixture"), "{stderr}");
    let mut one_each = String::new();
    let mut skip = false;
    for line in template.lines() {
        if line.starts_with("    - payment_id:") {
            skip = !line.contains("of payment 1 of");
        } else if !line.starts_with("      ") {
            skip = false;
        }
        if !skip {
            one_each.push_str(line);
            one_each.push('\n');
        }
    }
    std::fs::write(dir.join("one-each.yaml"), &one_each).expect("write");
    let out = isolated_command(&dir)
        .args(["run", "--fixtures", "one-each.yaml", "--list"])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("warning: fixture `paid-wallet` has 1 payment and a full run needs"),
        "{stderr}"
    );
    // Without a fixtures file (the control plane seeds a payment per case)
    // there is nothing to warn about.
    let out = isolated_command(&dir)
        .args(["run", "--list"])
        .output()
        .expect("runs");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("warning: fixture"));
    let _ = std::fs::remove_dir_all(&dir);
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else if path.extension().is_some_and(|ext| ext == "yaml") {
            files.push(path);
        }
    }
    files
}
