//! The suite carried inside the binary: the case files under `cases/`,
//! embedded at build time by `build.rs`, and the suite's version. A binary
//! copied alone into an empty directory runs every half with these;
//! `cancel-conformance cases export DIR` writes them out for editing.

use std::path::Path;

include!(concat!(env!("OUT_DIR"), "/embedded_cases.rs"));

/// The version of the embedded suite: the crate's. A case's `since:` names
/// the suite version that added it (`--suite-version`).
pub const SUITE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The embedded case files below `half/` (`server` or `client`): path
/// below `cases/` and text.
pub fn files_of(half: &str) -> impl Iterator<Item = (&'static str, &'static str)> {
    let prefix = format!("{half}/");
    FILES
        .iter()
        .copied()
        .filter(move |(path, _)| path.starts_with(&prefix))
}

/// Writes every embedded case file below `dir`, as `cases/` holds them.
/// Refuses a `dir` that already holds anything: an export never overwrites
/// someone's edited cases. Returns how many files it wrote.
pub fn export(dir: &Path) -> Result<usize, String> {
    if let Ok(mut entries) = std::fs::read_dir(dir)
        && entries.next().is_some()
    {
        return Err(format!(
            "{} is not empty: give a new or empty directory (an export never overwrites cases)",
            dir.display()
        ));
    }
    for (relative, text) in FILES {
        let target = dir.join(relative);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|err| format!("cannot create {}: {err}", parent.display()))?;
        }
        std::fs::write(&target, text)
            .map_err(|err| format!("cannot write {}: {err}", target.display()))?;
    }
    Ok(FILES.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The embedded set is the source tree's, file for file.
    #[test]
    fn embedded_cases_are_the_trees() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("cases");
        assert!(files_of("server").count() > 50);
        assert!(files_of("client").count() > 10);
        for (relative, text) in FILES {
            let on_disk = std::fs::read_to_string(root.join(relative)).expect("tree file");
            assert_eq!(&on_disk, text, "{relative}");
        }
    }

    #[test]
    fn export_writes_every_file_and_never_overwrites() {
        let dir = std::env::temp_dir().join(format!("cc-export-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(export(&dir), Ok(FILES.len()));
        let (relative, text) = FILES[0];
        assert_eq!(
            std::fs::read_to_string(dir.join(relative)).expect("exported"),
            text
        );
        let err = export(&dir).expect_err("not empty");
        assert!(err.contains("not empty"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
