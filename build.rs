//! Embeds the suite's case files in the binary: every `*.yaml` under
//! `cases/` becomes one `(relative path, text)` entry of
//! `$OUT_DIR/embedded_cases.rs`, which `src/suite/embedded.rs` includes. A
//! binary copied alone into a container, or installed from a registry, so
//! carries its suite; `--cases DIR` still overrides it.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("cases");
    // A directory here makes cargo rerun this script when anything below it
    // changes: an edited case is in the next build.
    println!("cargo::rerun-if-changed=cases");
    let mut files = Vec::new();
    if let Err(err) = collect(&root, &mut files) {
        panic!("cannot read {}: {err}", root.display());
    }
    files.sort();
    let mut out = String::from(
        "/// Every case file of the suite: its path below `cases/` (with `/`\n\
         /// separators) and its text.\n\
         pub static FILES: &[(&str, &str)] = &[\n",
    );
    for file in &files {
        let relative = file
            .strip_prefix(&root)
            .expect("collected below the root")
            .components()
            .map(|part| part.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        writeln!(
            out,
            "    ({relative:?}, include_str!({:?})),",
            file.display().to_string()
        )
        .expect("writing to a String");
    }
    out.push_str("];\n");
    let target = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("embedded_cases.rs");
    std::fs::write(&target, out)
        .unwrap_or_else(|err| panic!("cannot write {}: {err}", target.display()));
}

/// Every `*.yaml` below `dir`; symbolic links are not followed, so the
/// embedded suite is exactly what the tree holds.
fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let path = entry.path();
        if kind.is_dir() {
            collect(&path, out)?;
        } else if kind.is_file() && path.extension().is_some_and(|ext| ext == "yaml") {
            out.push(path);
        }
    }
    Ok(())
}
