//! Reading a file the user named (a case, the rules, a configuration,
//! fixtures, expectations, a key, a certificate, a baseline, a matrix
//! file): it must be a regular file (a symbolic link to one is followed)
//! and at most [`MAX_INPUT_BYTES`] long. A FIFO would hang the run and a
//! device (`/dev/zero`) would fill memory: both are refused by name
//! before they are opened.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The largest file the tool reads. Its inputs are a few kilobytes (a
/// matrix's results, the largest, a few megabytes); the cap only stops a
/// file that is not what it should be.
pub const MAX_INPUT_BYTES: u64 = 64 * 1024 * 1024;

/// Why a file could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputError {
    /// The file system refused (no such file, no permission...).
    Io { path: PathBuf, detail: String },
    /// A directory, FIFO, socket or device.
    NotAFile { path: PathBuf, kind: &'static str },
    /// Longer than [`MAX_INPUT_BYTES`].
    TooLarge { path: PathBuf },
    /// Read as text, but not UTF-8.
    NotText { path: PathBuf },
}

impl InputError {
    /// What is wrong, without the file's name (for messages that name the
    /// file already, like a case's `file:line:column`).
    pub fn reason(&self) -> String {
        match self {
            InputError::Io { detail, .. } => detail.clone(),
            InputError::NotAFile { kind, .. } => format!("it is a {kind}, not a regular file"),
            InputError::TooLarge { .. } => {
                format!("it is larger than {MAX_INPUT_BYTES} bytes, the most any input may be")
            }
            InputError::NotText { .. } => "it is not UTF-8 text".to_string(),
        }
    }

    fn path(&self) -> &Path {
        match self {
            InputError::Io { path, .. }
            | InputError::NotAFile { path, .. }
            | InputError::TooLarge { path }
            | InputError::NotText { path } => path,
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot read {}: {}",
            self.path().display(),
            self.reason()
        )
    }
}

impl std::error::Error for InputError {}

/// What a file that is not a regular file is, for the message.
fn kind_of(file_type: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "FIFO";
        }
        if file_type.is_socket() {
            return "socket";
        }
        if file_type.is_char_device() || file_type.is_block_device() {
            return "device";
        }
    }
    if file_type.is_dir() {
        "directory"
    } else {
        "special file"
    }
}

/// The bytes of the regular file at `path`, at most [`MAX_INPUT_BYTES`].
pub fn read(path: &Path) -> Result<Vec<u8>, InputError> {
    let io = |err: std::io::Error| InputError::Io {
        path: path.to_path_buf(),
        detail: err.to_string(),
    };
    let metadata = std::fs::metadata(path).map_err(io)?;
    if !metadata.is_file() {
        return Err(InputError::NotAFile {
            path: path.to_path_buf(),
            kind: kind_of(metadata.file_type()),
        });
    }
    if metadata.len() > MAX_INPUT_BYTES {
        return Err(InputError::TooLarge {
            path: path.to_path_buf(),
        });
    }
    // The file may grow between the look and the read: the read stops
    // one byte past the cap all the same.
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .map_err(io)?
        .take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(InputError::TooLarge {
            path: path.to_path_buf(),
        });
    }
    Ok(bytes)
}

/// The text of the regular file at `path` (UTF-8), at most
/// [`MAX_INPUT_BYTES`].
pub fn read_text(path: &Path) -> Result<String, InputError> {
    String::from_utf8(read(path)?).map_err(|_| InputError::NotText {
        path: path.to_path_buf(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("cc-input-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        dir
    }

    #[test]
    fn a_regular_file_is_read_and_anything_else_is_refused_by_name() {
        let dir = scratch("kinds");
        let file = dir.join("a.yaml");
        std::fs::write(&file, "a: 1\n").expect("write");
        assert_eq!(read_text(&file).as_deref(), Ok("a: 1\n"));
        let err = read(&dir).unwrap_err();
        assert!(err.to_string().contains("is a directory"), "{err}");
        let missing = read(&dir.join("none")).unwrap_err();
        assert!(matches!(missing, InputError::Io { .. }), "{missing}");
        std::fs::write(dir.join("bin"), [0xff, 0xfe]).expect("write");
        assert!(matches!(
            read_text(&dir.join("bin")),
            Err(InputError::NotText { .. })
        ));
        #[cfg(unix)]
        {
            let device = dir.join("zero.yaml");
            std::os::unix::fs::symlink("/dev/zero", &device).expect("symlink");
            let err = read(&device).unwrap_err();
            assert!(err.to_string().contains("is a device"), "{err}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
