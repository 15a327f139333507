//! Where reports (and the matrix's results and page) are written: every
//! path is checked before the run starts, so that a run of many minutes
//! never ends in "cannot write", and a report is never written through a
//! symbolic link (which could point anywhere) nor two reports onto one path.

use std::path::{Path, PathBuf};

/// Why a report cannot be written where it was asked for.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("{first} and {option} both name {}: each report needs a file of its own", path.display())]
    Shared {
        first: String,
        option: String,
        path: PathBuf,
    },
    #[error(
        "{option} {} is a symbolic link: a report is never written through one; remove it or name another file",
        path.display()
    )]
    Link { option: String, path: PathBuf },
    #[error("{option} {} is a directory: name a file", path.display())]
    Directory { option: String, path: PathBuf },
    #[error("{option} {}: {} is not a directory", path.display(), parent.display())]
    FolderNotDirectory {
        option: String,
        path: PathBuf,
        parent: PathBuf,
    },
    #[error("cannot create {}: {source}", folder.display())]
    CreateFolder {
        folder: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write the report {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Checks the report paths a run was given, before it starts: each names
/// no directory and no existing symbolic link, its folder (if it exists
/// already) is a directory, and no two reports share a path. `paths`
/// pairs each path with the option that gave it (`--json`).
pub fn check(paths: &[(&str, &Path)]) -> Result<(), OutputError> {
    let mut seen: Vec<(&str, PathBuf)> = Vec::new();
    for (option, path) in paths {
        check_one(option, path)?;
        let key = identity(path);
        if let Some((first, _)) = seen.iter().find(|(_, other)| *other == key) {
            return Err(OutputError::Shared {
                first: first.to_string(),
                option: option.to_string(),
                path: path.to_path_buf(),
            });
        }
        seen.push((option, key));
    }
    Ok(())
}

fn check_one(option: &str, path: &Path) -> Result<(), OutputError> {
    if let Ok(metadata) = std::fs::symlink_metadata(path) {
        if metadata.file_type().is_symlink() {
            return Err(OutputError::Link {
                option: option.to_string(),
                path: path.to_path_buf(),
            });
        }
        if metadata.is_dir() {
            return Err(OutputError::Directory {
                option: option.to_string(),
                path: path.to_path_buf(),
            });
        }
    }
    if let Some(parent) = path.parent()
        && !parent.as_os_str().is_empty()
        && parent.exists()
        && !parent.is_dir()
    {
        return Err(OutputError::FolderNotDirectory {
            option: option.to_string(),
            path: path.to_path_buf(),
            parent: parent.to_path_buf(),
        });
    }
    Ok(())
}

/// The same file named two ways (`a.json`, `./a.json`, `dir/../a.json`)
/// gives one identity: the folder resolved when it exists, and the name.
fn identity(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    match (absolute.parent(), absolute.file_name()) {
        (Some(parent), Some(name)) => parent
            .canonicalize()
            .unwrap_or_else(|_| parent.to_path_buf())
            .join(name),
        _ => absolute,
    }
}

/// Writes a report (or the matrix's results and page), creating its
/// folder first; an existing symbolic link at `path` is refused, never
/// followed.
pub(crate) fn write_file(path: &Path, text: &str) -> Result<(), OutputError> {
    // CI recipes write into a reports/ folder that does not exist yet.
    if let Some(parent) = path.parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent).map_err(|source| OutputError::CreateFolder {
            folder: parent.to_path_buf(),
            source,
        })?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    // A link made after the check is still not followed.
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    let written = options.open(path).and_then(|mut file| {
        use std::io::Write;
        file.write_all(text.as_bytes())
    });
    written.map_err(|source| OutputError::Write {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_reports_on_one_path_links_and_directories_are_refused() {
        let dir = std::env::temp_dir().join(format!("cc-output-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch");
        let a = dir.join("a.json");
        let same = dir.join(".").join("a.json");
        let err = check(&[("--json", &a), ("--html", &same)])
            .unwrap_err()
            .to_string();
        assert!(err.contains("--json and --html both name"), "{err}");
        assert!(check(&[("--json", &a), ("--html", &dir.join("a.html"))]).is_ok());
        let err = check(&[("--json", &dir)]).unwrap_err().to_string();
        assert!(err.contains("is a directory"), "{err}");
        #[cfg(unix)]
        {
            let link = dir.join("link.json");
            std::os::unix::fs::symlink(dir.join("elsewhere"), &link).expect("symlink");
            let err = check(&[("--json", &link)]).unwrap_err().to_string();
            assert!(err.contains("symbolic link"), "{err}");
            assert!(write_file(&link, "{}").is_err());
            assert!(!dir.join("elsewhere").exists(), "the link was followed");
        }
        write_file(&a, "{}").expect("a plain file is written");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
