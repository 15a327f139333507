//! Strict YAML loading shared by the catalogs and the cases: duplicate keys
//! are errors, `yes`/`no` are not booleans, `012` is not a number, and every
//! error carries file:line:column.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde_saphyr::options::DuplicateKeyPolicy;
use serde_saphyr::{Location, MessageFormatter, UserMessageFormatter};

/// A YAML file that could not be read into its type, located in the file.
#[derive(
    Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
pub struct YamlError {
    pub file: PathBuf,
    pub line: u64,
    pub column: u64,
    pub message: String,
}

impl YamlError {
    /// An error about a value found at `location` in `file`.
    pub fn at(file: &Path, location: Location, message: impl Into<String>) -> Self {
        YamlError {
            file: file.to_path_buf(),
            line: location.line(),
            column: location.column(),
            message: message.into(),
        }
    }
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file.display(),
            self.line,
            self.column,
            self.message
        )
    }
}

impl std::error::Error for YamlError {}

fn strict_options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        duplicate_keys: DuplicateKeyPolicy::Error,
        strict_booleans: true,
        legacy_octal_numbers: false,
        leading_zero_numbers_as_strings: true,
        underscored_numbers_as_strings: true,
        budget: serde_saphyr::budget! { max_documents: 1 },
    }
}

/// Parses `text` (the contents of `file`) into `T` with the strict options.
pub fn parse<T: DeserializeOwned>(file: &Path, text: &str) -> Result<T, YamlError> {
    serde_saphyr::from_str_with_options(text, strict_options()).map_err(|err| {
        let location = err.location().unwrap_or(Location::UNKNOWN);
        let message = UserMessageFormatter.format_message(&err).into_owned();
        YamlError {
            file: file.to_path_buf(),
            // An error with no position (an empty file) points at the start.
            line: location.line().max(1),
            column: location.column().max(1),
            message,
        }
    })
}

/// Reads and parses one YAML file; an I/O error names the path.
pub fn load<T: DeserializeOwned>(file: &Path) -> Result<T, YamlError> {
    let text = crate::input_file::read_text(file).map_err(|err| YamlError {
        file: file.to_path_buf(),
        line: 1,
        column: 1,
        message: format!("cannot read the file: {}", err.reason()),
    })?;
    parse(file, &text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Sample {
        #[allow(dead_code)]
        name: String,
        #[allow(dead_code)]
        flag: Option<bool>,
    }

    #[test]
    fn yes_and_no_and_leading_zeros_stay_strings() {
        let value: serde_json::Value =
            parse(Path::new("t.yaml"), "a: no\nb: yes\nc: 012\n").expect("parses");
        assert_eq!(value["a"], "no");
        assert_eq!(value["b"], "yes");
        assert_eq!(value["c"], "012");
    }

    #[test]
    fn duplicate_keys_are_located_errors() {
        let err = parse::<serde_json::Value>(Path::new("t.yaml"), "a: 1\na: 2\n")
            .expect_err("duplicate key");
        assert_eq!((err.line, err.column), (2, 1), "{err}");
    }

    #[test]
    fn unknown_keys_are_located_errors() {
        let err = parse::<Sample>(Path::new("dir/t.yaml"), "name: x\nnmae: y\n")
            .expect_err("unknown key");
        assert_eq!(err.line, 2, "{err}");
        assert!(err.to_string().starts_with("dir/t.yaml:2:"), "{err}");
        assert!(err.message.contains("nmae"), "{err}");
    }

    #[test]
    fn a_yaml_one_one_boolean_is_not_a_boolean() {
        let err = parse::<Sample>(Path::new("t.yaml"), "name: x\nflag: yes\n")
            .expect_err("yes is not a bool");
        assert_eq!(err.line, 2, "{err}");
    }
}
